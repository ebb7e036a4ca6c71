/*
 * The read side of the witness protocol (docs/witness.md) as a client:
 * GET of the latest cosigned checkpoint, of entry lists and of files.
 * Only this part of the bureau's code reads from a witness; libcurl is
 * used only under src/witness/.
 *
 * Every body is bounded: a checkpoint or entry list larger than its
 * limit fails with CT_ETOOBIG, and a file larger than the size its entry
 * states fails the same way, so a witness cannot make the reader hold or
 * write more than it expects. No redirect is followed.
 */
#ifndef CASETRAIL_WITNESS_FETCH_H
#define CASETRAIL_WITNESS_FETCH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

/* Largest checkpoint note and entry list body the client accepts. */
#define FETCH_NOTE_MAX (64 * 1024)
#define FETCH_ENTRIES_MAX (100u * 1024 * 1024)
/* Entries asked for per request (the protocol's limit). */
#define FETCH_BATCH 1000

struct fetch;

/*
 * Opens a client of the witness at base_url (http:// or https://, no
 * query) for the log origin. Fails with CT_EINVAL naming a malformed
 * URL. The caller frees the client with fetch_free.
 */
int fetch_new(const char *base_url, const char *origin, struct fetch **out,
	      struct error *err);
void fetch_free(struct fetch *f);

/* The base URL the client was opened with. */
const char *fetch_url(const struct fetch *f);

/*
 * Reads the latest cosigned checkpoint into note. CT_EIO when the witness
 * cannot be reached, CT_ENOTFOUND when it follows no log of the origin
 * (404), CT_ECORRUPT for another answer, CT_ETOOBIG over FETCH_NOTE_MAX.
 */
int fetch_checkpoint(struct fetch *f, struct buf *note, struct error *err);

/*
 * Reads up to count entries from start into *entries, a JSON array of
 * base64 strings that the caller releases. The answer's start must be
 * start and the list non-empty and at most count long; otherwise
 * CT_ECORRUPT. Errors as fetch_checkpoint.
 */
int fetch_entries(struct fetch *f, uint64_t start, uint64_t count,
		  json_t **entries, struct error *err);

/*
 * Makes fetch_blob sign its requests with the log's keys (they stay the
 * caller's and must outlive f): a witness hands out files only to the log
 * (docs/witness.md).
 */
struct note_key;
void fetch_set_signer(struct fetch *f, const struct note_key *keys,
		      size_t n);

/*
 * Streams the file named hash to fd, at most max_size bytes. CT_EPERM
 * when the witness refused the request's signature (403).
 * CT_ENOTFOUND when the witness does not have it (404), CT_ETOOBIG when
 * the body runs past max_size, CT_EIO when the transfer or a write fails.
 */
int fetch_blob(struct fetch *f, const char *hash, int fd, uint64_t max_size,
	       struct error *err);

#endif
