/*
 * A projection table of named rows for modules above the workflow
 * (accounts, sessions, marks, the access log, copy requests): each row is
 * a namespace, a key, the seq of the entry that last wrote it and a JSON
 * body. Like the other projection tables it holds nothing the log does
 * not, and a rebuild recreates it.
 *
 * Every function takes a connection inside a transaction and returns 0
 * or a negative CT_E* code.
 */
#ifndef CASETRAIL_STORE_KV_H
#define CASETRAIL_STORE_KV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "store/store.h"

/* Creates the table (store open) and empties it (rebuild). */
int kv_proj_create(struct store *s, struct error *err);
int kv_proj_clear(struct store *s, struct error *err);

/* Inserts or replaces row (ns, key). */
int store_kv_put(struct store *s, const char *ns, const char *key,
		 uint64_t seq, const char *body, struct error *err);

/*
 * Reads row (ns, key) into body (may be NULL) and *seq (may be NULL).
 * CT_ENOTFOUND, without a message, when there is none.
 */
int store_kv_get(struct store *s, const char *ns, const char *key,
		 struct buf *body, uint64_t *seq, struct error *err);

/* Deletes row (ns, key); deleting a missing row is not an error. */
int store_kv_delete(struct store *s, const char *ns, const char *key,
		    struct error *err);

/* Called per row; a nonzero return stops the scan and is returned. */
typedef int (*store_kv_fn)(void *ctx, const char *key, uint64_t seq,
			   const char *body, size_t len);

/*
 * Calls fn for the rows of ns whose key starts with prefix ("" for all),
 * in byte order of the key (reversed when desc), skipping offset rows and
 * stopping after limit (0: no limit). *total (may be NULL) receives the
 * number of matching rows.
 */
int store_kv_scan(struct store *s, const char *ns, const char *prefix,
		  bool desc, size_t offset, size_t limit, store_kv_fn fn,
		  void *ctx, uint64_t *total, struct error *err);

#endif
