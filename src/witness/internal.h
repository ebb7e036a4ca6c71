/*
 * Shared by the files of the witness module: small file helpers.
 */
#ifndef CASETRAIL_WITNESS_INTERNAL_H
#define CASETRAIL_WITNESS_INTERNAL_H

#include <jansson.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/error.h"
#include "crypto/crypto.h"

/* Reads a whole file of at most max bytes into b (replacing it). */
int wfile_read(const char *path, size_t max, struct buf *b,
	       struct error *err);

/* Writes JSON to path atomically (temporary file, fsync, rename). */
int wfile_write_json(const char *path, const json_t *v, struct error *err);

/* Reads a JSON file; err names the file. */
int wfile_read_json(const char *path, json_t **out, struct error *err);

/* The folder name of a log: the first 16 hex digits of SHA-256(origin). */
void wlog_dirname(const char *origin, char out[17]);

/*
 * The note text by which a log vouches for a batch of entries it pushes:
 *
 *   casetrail-entries/v1\n<origin>\n<start>\n<count>\n<base64 digest>\n
 *
 * digest is the SHA-256 of each entry's base64 text, as sent, followed by
 * a newline. The log signs it with its checkpoint keys, so that no one
 * but the log can fill a witness with pending entries, nor make it accept
 * the files such entries would name.
 */
int wentries_text(const char *origin, uint64_t start, uint64_t count,
		  const uint8_t digest[HASH_LEN], struct buf *out);

/*
 * The note text by which a log asks a witness for one of its files:
 *
 *   casetrail-blob-read/v1\n<origin>\n<hash>\n<POSIX seconds>\n
 *
 * Files are evidence with content, unlike entries, so a witness hands one
 * out only to a request its log signed within the last minutes: the
 * bureau restoring its store, which holds the log's keys.
 */
#define WBLOB_READ_SKEW_S 300
int wblob_read_text(const char *origin, const char *hash, int64_t seconds,
		    struct buf *out);

/*
 * snprintf into out, n bytes; returns 0, or CT_ETOOBIG when the text was
 * cut (a path longer than PATH_MAX).
 */
int wpath(char *out, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
