/*
 * Shared by the files of the witness module: small file helpers.
 */
#ifndef CASETRAIL_WITNESS_INTERNAL_H
#define CASETRAIL_WITNESS_INTERNAL_H

#include <jansson.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/error.h"

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
 * snprintf into out, n bytes; returns 0, or CT_ETOOBIG when the text was
 * cut (a path longer than PATH_MAX).
 */
int wpath(char *out, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
