/*
 * The metadata store: one SQLite database in WAL mode that holds the
 * ledger's entries and stored Merkle nodes, the content that entries
 * commit to, the blob reference counts, the signed checkpoints and the
 * projections that serve queries. This is the only module that includes
 * sqlite3.h. Its interface is a set of typed operations, not SQL, so that
 * a PostgreSQL backend can implement the same calls.
 *
 * Entries and nodes are append-only: triggers in the schema abort any
 * UPDATE or DELETE of them. Content rows may be deleted, which is how an
 * approved expunge destroys what an entry committed to; secure_delete is
 * on, and store_wal_truncate() removes the old pages from the WAL.
 *
 * Writes happen between store_begin() and store_commit(); commits are
 * durable when they return (synchronous=FULL). Every function that returns
 * an int returns 0 or a negative CT_E* code, and fills err when given.
 */
#ifndef CASETRAIL_STORE_H
#define CASETRAIL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

struct store;

enum store_flags {
	STORE_READONLY = 1 << 0,
	STORE_CREATE = 1 << 1, /* create a new database; fails if it exists */
};

/* Opens (or with STORE_CREATE, creates) the database at path. */
int store_open(const char *path, unsigned flags, struct store **out,
	       struct error *err);

/* Closes the database; store_close(NULL) is a no-op. */
void store_close(struct store *s);

/* Starts a write transaction that holds the write lock (BEGIN IMMEDIATE). */
int store_begin(struct store *s, struct error *err);

/* Starts a read transaction: one consistent snapshot until store_end. */
int store_begin_read(struct store *s, struct error *err);

int store_commit(struct store *s, struct error *err);

/* Rolls back or ends the open transaction, if any. */
void store_end(struct store *s);

/*
 * A savepoint inside the open write transaction: release keeps what was
 * written since, rollback undoes it. One at a time.
 */
int store_savepoint(struct store *s, struct error *err);
int store_savepoint_release(struct store *s, struct error *err);
void store_savepoint_rollback(struct store *s);

/* Meta values: store id, hash algorithm, schema version. */
int store_meta_get(struct store *s, const char *key, struct buf *value,
		   struct error *err);
int store_meta_put(struct store *s, const char *key, const char *value,
		   struct error *err);

/* Number of entries, that is one more than the highest seq (0 if none). */
int store_entry_count(struct store *s, uint64_t *count, struct error *err);

int store_entry_put(struct store *s, uint64_t seq, const void *body,
		    size_t len, struct error *err);

/* Reads entry seq into body (replacing its contents); CT_ENOTFOUND. */
int store_entry_get(struct store *s, uint64_t seq, struct buf *body,
		    struct error *err);

/*
 * Calls fn for every stored entry row with seq >= from, in seq order.
 * The body pointer is valid only during the call. A non-zero return from
 * fn stops the scan and is returned.
 */
typedef int (*store_entry_fn)(void *ctx, uint64_t seq, const void *body,
			      size_t len);
int store_entry_scan(struct store *s, uint64_t from, store_entry_fn fn,
		     void *ctx, struct error *err);

/* Stored Merkle nodes (see ledger/merkle.h for what (level, index) is). */
int store_node_put(struct store *s, unsigned level, uint64_t index,
		   const uint8_t hash[32], struct error *err);

/* Returns 0, CT_ENOTFOUND, or CT_ECORRUPT when the stored hash is not 32
 * bytes long. Matches merkle_node_fn with the store as ctx. */
int store_node_get(void *store, unsigned level, uint64_t index,
		   uint8_t out[32]);

/* Calls fn for every stored node, ordered by level, then index. */
typedef int (*store_node_fn)(void *ctx, unsigned level, uint64_t index,
			     const void *hash, size_t len);
int store_node_scan(struct store *s, store_node_fn fn, void *ctx,
		    struct error *err);

/*
 * Reads the stored nodes of one level in index order, one step each, so
 * that a whole-tree check reads each level sequentially instead of one
 * lookup per node. Any number of readers may be open on one store.
 */
struct store_node_reader;
int store_node_reader_open(struct store *s, unsigned level,
			   struct store_node_reader **out, struct error *err);

/*
 * Reads the next node: 0; CT_ENOTFOUND past the last; CT_ECORRUPT with
 * *index set for a hash that is not 32 bytes; CT_EINVAL for a row with a
 * negative index, which is skipped; CT_EIO when the rows cannot be read.
 */
int store_node_reader_next(struct store_node_reader *r, uint64_t *index,
			   uint8_t hash[32]);
void store_node_reader_free(struct store_node_reader *r);

/*
 * The content master key, which content.c wraps the key of each record
 * encrypted at rest under. It lives in the store's keys folder, not in
 * the database; the ledger hands it to each connection it opens, and
 * store_close wipes it. store_content_key returns NULL when none was set.
 */
#define STORE_CONTENT_KEY_LEN 32
void store_set_content_key(struct store *s,
			   const unsigned char key[STORE_CONTENT_KEY_LEN]);
const unsigned char *store_content_key(const struct store *s);

/* Content: the salt and canonical fields an entry commits to. */
int store_content_put(struct store *s, uint64_t seq, const void *salt,
		      size_t salt_len, const void *fields, size_t len,
		      struct error *err);

/* Reads content; CT_ENOTFOUND when there is none for seq. */
int store_content_get(struct store *s, uint64_t seq, struct buf *salt,
		      struct buf *fields, struct error *err);

/* Deletes the content of seq; CT_ENOTFOUND when there is none. */
int store_content_delete(struct store *s, uint64_t seq, struct error *err);

/* Calls fn for every content row in seq order. */
typedef int (*store_content_fn)(void *ctx, uint64_t seq, const void *salt,
				size_t salt_len, const void *fields,
				size_t len);
int store_content_scan(struct store *s, store_content_fn fn, void *ctx,
		       struct error *err);

/*
 * Blob references: which entry references which blob. A blob file is
 * deleted only when no unexpunged reference remains.
 */
struct store_blob {
	char hash[80];   /* the store's hash, "sm3:<hex>" */
	char sha256[80]; /* "sha256:<hex>" */
	uint64_t size;
	char type[128];
	uint64_t refs; /* live (unexpunged) references */
};

/* Records that entry seq references blob b, counting the reference. */
int store_blob_ref(struct store *s, uint64_t seq, const struct store_blob *b,
		   struct error *err);

/* Reads a blob's row, with its live reference count; CT_ENOTFOUND. */
int store_blob_get(struct store *s, const char *hash, struct store_blob *b,
		   struct error *err);

/*
 * Marks the reference of entry seq to hash expunged by entry by_seq and
 * returns the remaining live references in *refs. CT_ENOTFOUND when seq
 * does not reference hash or the reference is expunged already.
 */
int store_blob_unref(struct store *s, uint64_t seq, const char *hash,
		     uint64_t by_seq, uint64_t *refs, struct error *err);

/* Calls fn for every blob row without live references. */
typedef int (*store_blob_fn)(void *ctx, const char *hash);
int store_blob_scan_unreferenced(struct store *s, store_blob_fn fn,
				 void *ctx, struct error *err);

/* Calls fn for every reference (seq, hash, expunged_by or -1). */
typedef int (*store_ref_fn)(void *ctx, uint64_t seq, const char *hash,
			    int64_t expunged_by);
int store_ref_scan(struct store *s, store_ref_fn fn, void *ctx,
		   struct error *err);

/* Expunges: which content (hash NULL) or blob of which entry was removed. */
int store_expunge_put(struct store *s, uint64_t target_seq, const char *hash,
		      uint64_t by_seq, struct error *err);

/* Returns whether the content (hash NULL) or blob of seq was expunged; the
 * expunging entry's seq goes to *by_seq when not NULL. */
int store_expunge_get(struct store *s, uint64_t target_seq, const char *hash,
		      uint64_t *by_seq, struct error *err);

/* Checkpoints, keyed by tree size. */
struct store_checkpoint {
	uint64_t size;
	int64_t ts_ms;
	int cosigned;
	struct buf note;
};

/* Inserts a checkpoint; an existing one of the same size is kept. */
int store_checkpoint_put(struct store *s, uint64_t size, int64_t ts_ms,
			 const char *note, size_t len, struct error *err);

int store_checkpoint_delete(struct store *s, uint64_t size,
			    struct error *err);

/* Reads the checkpoint of the largest size; CT_ENOTFOUND when none. */
int store_checkpoint_latest(struct store *s, struct store_checkpoint *cp,
			    struct error *err);

/* Calls fn for every checkpoint in size order. */
typedef int (*store_checkpoint_fn)(void *ctx,
				   const struct store_checkpoint *cp);
int store_checkpoint_scan(struct store *s, store_checkpoint_fn fn, void *ctx,
			  struct error *err);

/*
 * Checkpoints the WAL into the database and truncates it, so that deleted
 * pages are gone from both files. Makes up to attempts tries 100 ms apart
 * while readers hold old pages; CT_EBUSY if they still do.
 */
int store_wal_truncate(struct store *s, int attempts, struct error *err);

/* Writes a consistent copy of the database to path (online backup API). */
int store_backup(struct store *s, const char *path, struct error *err);

#endif
