/*
 * Verifying a store from scratch, trusting nothing in it but its
 * configuration and public keys, which --against and the key ids from
 * 'key show' check from outside. Every entry is re-hashed and the whole
 * tree recomputed and compared with the stored nodes. Every stored
 * checkpoint's signatures, root and consistency with its predecessor are
 * checked, every content item against its entry's commitment, and every
 * blob is re-hashed.
 * What is missing is a problem unless an expunge entry in the log removed
 * it. Each problem is one line naming the entry, content, blob or
 * checkpoint.
 */
#ifndef CASETRAIL_VERIFY_H
#define CASETRAIL_VERIFY_H

#include <stdint.h>
#include <stdio.h>

#include "common/error.h"

struct verify_options {
	int check_blobs;     /* re-hash every blob (else check presence) */
	const char *against; /* a checkpoint note saved elsewhere, or NULL */
	size_t against_len;
	FILE *out; /* where problem lines go */
};

struct verify_result {
	uint64_t entries;
	uint64_t checkpoints;
	uint64_t contents;
	uint64_t expunged;
	uint64_t lost_content; /* lost in a restore, named by its entry */
	uint64_t lost_blobs;
	uint64_t blobs;
	uint64_t signatures; /* staff signature entries checked */
	uint64_t problems;
};

/*
 * Verifies the store in dir. Returns 0 when it could be examined, with
 * result->problems counting what failed, or an error when it could not
 * be opened at all (no store, unreadable config).
 */
int ledger_verify(const char *dir, const struct verify_options *opt,
		  struct verify_result *result, struct error *err);

#endif
