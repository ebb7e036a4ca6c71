/*
 * The part of verifying an entry that needs nothing but the entry itself
 * (parsing, the canonical-form and envelope checks, the leaf hash), done
 * by worker threads on batches of entries while the caller goes on
 * reading. Results come back to the caller in the order entries were
 * added, so everything that depends on order (the tree, the output) stays
 * in one thread. Not a public API of the ledger.
 */
#ifndef CASETRAIL_ENTRY_POOL_H
#define CASETRAIL_ENTRY_POOL_H

#include <stdint.h>

#include <stddef.h>

#include "crypto/crypto.h"

/* An attachment an entry references, or for an expunge or purge,
 * removes. */
struct entry_ref {
	char hash[HASH_TEXT_MAX];
	uint64_t size;
};

/*
 * The fields of one entry that verify needs. The worker takes them out of
 * the parsed JSON, so that the document is allocated and freed in one
 * thread.
 */
struct entry_check {
	uint64_t seq;
	const char *body; /* valid during the consume call */
	size_t len;
	uint8_t leaf[HASH_LEN];
	char content[HASH_TEXT_MAX]; /* the commitment, "" when none */
	int expunge;                 /* kind is expunge or purge */
	int purge;                   /* kind is purge */
	int64_t supersedes;          /* -1 when absent or invalid */
	const struct entry_ref *refs;
	size_t nrefs;
	const char *problems; /* problem lines, each ending in '\n' */
	size_t problems_len;
};

/* Called in add order from the thread that calls entry_pool_add and
 * entry_pool_finish. A non-zero return stops the pool and is returned. */
typedef int (*entry_consume_fn)(void *ctx, struct entry_check *c);

struct entry_pool;

/* Starts a pool with one worker per online processor (at most 8). */
int entry_pool_start(enum hash_alg alg, entry_consume_fn consume, void *ctx,
		     struct entry_pool **out);

/* Copies one entry into the pool; may consume earlier results first. */
int entry_pool_add(struct entry_pool *p, uint64_t seq, const void *body,
		   size_t len);

/* Consumes every remaining result, stops the workers and frees the pool
 * (also after an error, with nothing more consumed). */
int entry_pool_finish(struct entry_pool *p, int consume_rest);

#endif
