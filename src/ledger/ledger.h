/*
 * The ledger: one append-only log of entries per store, each entry the
 * RFC 8785 canonical JSON of a fixed envelope that commits to a record's
 * content without containing it:
 *
 *   {"v":1, "seq", "ts", "at", "actor", "os_user", "kind", "case",
 *    "content": "<alg>:<hex>", "attachments": [{"hash","size","type"}],
 *    "supersedes"}
 *
 * seq is the entry's 0-based leaf index in the RFC 9162 Merkle tree over
 * all entries. ts is the time it was recorded and at the time the event
 * happened, both in UTC milliseconds. The fields at, os_user, case,
 * attachments and supersedes are left out when they do not apply. An entry is at most
 * LEDGER_ENTRY_MAX bytes.
 *
 * Appends from any number of threads share one transaction and one fsync
 * (group commit): the first caller to find no commit under way becomes the
 * leader, takes every queued append and commits them together while the
 * others wait. Each commit reads the tree's right edge inside its write
 * transaction, so other processes may append to the same store.
 *
 * A store directory contains config.json, casetrail.db (SQLite, WAL), blobs/,
 * keys/ and checkpoint (the latest signed checkpoint, kept outside the
 * database so that a database rolled back on its own is detected).
 */
#ifndef CASETRAIL_LEDGER_H
#define CASETRAIL_LEDGER_H

#include <jansson.h>
#include <limits.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "crypto/crypto.h"
#include "ledger/merkle.h"
#include "store/store.h"

#define LEDGER_ENTRY_MAX 65535
#define LEDGER_NAME_MAX 128

/* Kinds the ledger writes itself; callers cannot append them. */
#define KIND_EXPUNGE "expunge"
#define KIND_PURGE "purge"

struct ledger_key {
	enum key_type type;
	char name[256];
	char private_path[PATH_MAX];
	char public_path[PATH_MAX];
};

struct ledger_config {
	char dir[PATH_MAX];
	char store_id[64];
	char crypto[16]; /* "gm" or "standard" */
	enum hash_alg alg;
	char origin[256]; /* <host>/casetrail/<store id>/<alg> */
	struct ledger_key keys[2];
	size_t nkeys;
};

struct ledger;

/*
 * Creates a new store in dir: the folder itself (which must not exist or
 * be empty), config.json, the database, blobs/ and keys/, and signs the
 * checkpoint of the empty tree. crypto is "gm" (SM3 tree, SM2 and Ed25519
 * keys) or "standard" (SHA-256, Ed25519). host names the origin.
 * Fails with CT_EEXIST when a store or anything else is there.
 */
int ledger_create(const char *dir, const char *crypto, const char *host,
		  struct error *err);

enum ledger_flags {
	LEDGER_READONLY = 1 << 0,
};

int ledger_open(const char *dir, unsigned flags, struct ledger **out,
		struct error *err);
void ledger_close(struct ledger *l);

const struct ledger_config *ledger_config(const struct ledger *l);

struct ledger_attachment {
	char hash[HASH_TEXT_MAX];
	char sha256[HASH_TEXT_MAX];
	uint64_t size;
	char type[128];
};

/*
 * Streams the file at path into the blob store and fills att with its
 * hashes, size and media type sniffed from its content.
 */
int ledger_attach_file(struct ledger *l, const char *path,
		       struct ledger_attachment *att, struct error *err);

/* Streams an open file from its current offset to its end the same way;
 * name is used in messages. The caller keeps and closes fd. */
int ledger_attach_fd(struct ledger *l, int fd, const char *name,
		     struct ledger_attachment *att, struct error *err);

/*
 * Fills att for a blob already in the store, such as an earlier upload:
 * it reads the whole file to compute its hash, SHA-256 and size, and
 * sniffs its media type from its first bytes. Its time grows with the
 * file size. Fails with CT_EINVAL when hash is not a well-formed hash of
 * the store's algorithm, CT_ENOTFOUND when no blob has that hash (never
 * stored, or expunged), CT_ECORRUPT when the file's content no longer
 * matches its hash, or CT_EIO.
 */
int ledger_blob_info(struct ledger *l, const char *hash,
		     struct ledger_attachment *att, struct error *err);

struct ledger_record {
	const char *kind;
	const char *case_id;    /* NULL when the entry belongs to no case */
	const char *actor;      /* the acting staff member or service */
	const char *os_user;    /* NULL unless appended from the CLI */
	int has_at;             /* the event time differs from the record time */
	int64_t at_ms;          /* the event time, when has_at */
	const json_t *fields;   /* a JSON object: the content */
	const struct ledger_attachment *attachments;
	size_t nattachments;
	int64_t supersedes;     /* -1 for none */
	void *hook_data;        /* passed to the projection hook, if any */
	int seal;               /* encrypt the content at rest (content.h) */
};

struct ledger_receipt {
	uint64_t seq;
	int64_t ts_ms;
	uint8_t leaf[HASH_LEN];
	char content[HASH_TEXT_MAX];
	uint64_t tree_size; /* size of the tree right after the commit */
};

/*
 * Checks the envelope fields of a record (names, times, counts) without
 * touching the store, so that a caller can reject it before streaming
 * its attachments. ledger_append checks the same again.
 */
int ledger_check_record(const struct ledger_record *rec, struct error *err);

/*
 * Appends one record durably and fills receipt. Safe to call from several
 * threads at once. Fails with CT_EINVAL for an invalid record (err names
 * the field) and CT_ETOOBIG over a size limit. CT_EBUSY means another
 * process kept the write lock past the busy timeout. CT_ESTATE means a
 * concurrent expunge destroyed an attachment after it was streamed, so
 * stream it again and retry.
 */
int ledger_append(struct ledger *l, const struct ledger_record *rec,
		  struct ledger_receipt *receipt, struct error *err);

/*
 * Expunges the content of entry seq, or with blob_hash set, that blob
 * attachment of seq. It appends an expunge entry that supersedes seq and
 * names the approver and the reason in its content. For a blob, the entry
 * lists the blob among its attachments. Then it destroys what it names. The blob file
 * is deleted only when no other entry still references it. Returns
 * CT_EBUSY, with the expunge recorded, when readers kept old pages in the
 * database files; ledger_wal_truncate finishes the job later.
 */
int ledger_expunge(struct ledger *l, uint64_t seq, const char *blob_hash,
		   const char *reason, const char *approved_by,
		   const char *actor, const char *os_user,
		   struct ledger_receipt *receipt, struct error *err);

/*
 * Purges the file attachment blob_hash of entry seq at the end of its
 * retention period, with every other attachment of seq still present (a
 * media-ingest entry's thumbnail). It appends a purge entry that
 * supersedes seq, lists those blobs as its attachments and has the
 * content {"rule": rule, "hash": blob_hash, "reason": "retention period
 * ended"}. The entry passes through the projection hook, which may reject
 * it. After the commit each blob file is destroyed unless another live
 * entry still references it (the same bytes as evidence of a case).
 * Unlike an expunge, a purge deletes no content row, so the WAL is left
 * alone. Fails with CT_ENOTFOUND when seq has no attachment blob_hash,
 * CT_ESTATE when it was purged or expunged already, and CT_EINVAL for an
 * expunge or purge entry.
 */
int ledger_purge(struct ledger *l, uint64_t seq, const char *blob_hash,
		 const char *rule, const char *actor, const char *os_user,
		 struct ledger_receipt *receipt, struct error *err);

/*
 * Moves every committed page from the WAL into the database file and
 * truncates the WAL, so that deleted content leaves both files. Waits up
 * to about five seconds for readers of older snapshots; CT_EBUSY if they
 * are still there.
 */
int ledger_wal_truncate(struct ledger *l, struct error *err);

/*
 * Finishes what interrupted expunges left: wipes blob files that no live
 * reference needs and retired files in blobs/tmp, and truncates the WAL.
 */
int ledger_expunge_finish(struct ledger *l, struct error *err);

/*
 * A projection hook, called inside the write transaction for every entry
 * after the ledger's own checks and before the entry is stored. It gets
 * the writer connection, which shows the records before it in the same
 * batch. An expunge or purge entry comes as a record of its kind. Returning an
 * error rejects the record alone: everything the hook wrote for it is
 * rolled back, and the other records of the batch go on.
 */
typedef int (*ledger_hook_fn)(void *ctx, struct store *s, uint64_t seq,
			      int64_t ts_ms, const struct ledger_record *rec,
			      struct error *err);

/* Installs fn as the projection hook; call before any append. */
void ledger_set_hook(struct ledger *l, ledger_hook_fn fn, void *ctx);

/*
 * Runs fn with the writer connection inside a write transaction that
 * commits when fn returns 0 and rolls back otherwise. Appends wait
 * meanwhile. For projection maintenance, numbering and rebuilds.
 */
typedef int (*ledger_write_fn)(void *ctx, struct store *s, struct error *err);
int ledger_write(struct ledger *l, ledger_write_fn fn, void *ctx,
		 struct error *err);

/*
 * Borrows a read connection inside a read transaction (one consistent
 * snapshot) until ledger_read_end.
 */
int ledger_read_begin(struct ledger *l, struct store **s, struct error *err);
void ledger_read_end(struct ledger *l, struct store *s);

/*
 * Returns the tree size as this process last saw it: its own commits at
 * once, and, while the checkpoint signer runs, other processes' appends
 * within its poll interval of 50 ms. Readers compare it with the size at
 * which they cached something, to skip the store while nothing changed.
 * Returns 0, meaning unknown, while the signer does not run.
 */
uint64_t ledger_known_size(struct ledger *l);

/*
 * Writes the file path of a stored blob into out (PATH_MAX bytes).
 * CT_EINVAL when hash is not a hash of the store's algorithm; the file
 * itself may be missing (expunged or purged).
 */
int ledger_blob_path(struct ledger *l, const char *hash, char *out,
		     size_t n, struct error *err);

/* Reads the number of entries. */
int ledger_size(struct ledger *l, uint64_t *size, struct error *err);

/* Reads the exact entry bytes of seq into body. */
int ledger_entry(struct ledger *l, uint64_t seq, struct buf *body,
		 struct error *err);

/* Reads the leaf hash of seq. */
int ledger_leaf(struct ledger *l, uint64_t seq, uint8_t out[HASH_LEN],
		struct error *err);

/* Reads the content of seq, checked against the entry's commitment. */
int ledger_content(struct ledger *l, uint64_t seq, json_t **fields,
		   struct error *err);

/* Computes the root of the tree of the first size entries. */
int ledger_root(struct ledger *l, uint64_t size, uint8_t out[HASH_LEN],
		struct error *err);

/* Proofs as RFC 9162 defines them; size 0 means the current size. */
int ledger_inclusion(struct ledger *l, uint64_t seq, uint64_t size,
		     uint8_t proof[][HASH_LEN], size_t *count,
		     uint64_t *tree_size, struct error *err);
int ledger_consistency(struct ledger *l, uint64_t old_size,
		       uint64_t new_size, uint8_t proof[][HASH_LEN],
		       size_t *count, struct error *err);

/*
 * Reads the stored hashes of a tlog tile: the width hashes at tree level
 * 8 * tile_level starting at index 256 * tile_index, into out (32 * width
 * bytes). CT_ENOTFOUND when they are not all complete yet.
 */
int ledger_tile(struct ledger *l, unsigned tile_level, uint64_t tile_index,
		unsigned width, uint8_t *out, struct error *err);

/*
 * Signs a checkpoint of the current tree unless the latest stored one
 * already covers it (or always, with force), stores it (thinning older
 * ones to one a minute plus every cosigned one) and writes it to the
 * store's checkpoint file. Fills note with the latest checkpoint and
 * *size with its tree size.
 */
int ledger_checkpoint(struct ledger *l, int force, struct buf *note,
		      uint64_t *size, struct error *err);

/*
 * Starts the checkpoint signer, a thread that signs a checkpoint at most
 * 250 ms after the first entry that the latest one does not cover. It
 * wakes on every append of this process, polls the store every 50 ms for
 * appends by other processes, and signs at most once per 100 ms.
 */
int ledger_signer_start(struct ledger *l, struct error *err);

/*
 * Copies the signer's last error into out and returns 1 while signing
 * fails, or returns 0 when the last attempt succeeded.
 */
int ledger_signer_error(struct ledger *l, char *out, size_t n);

/* Stops the signer thread, if started; signs once more before it ends. */
void ledger_signer_stop(struct ledger *l);

/* Reads the latest stored checkpoint without signing. */
int ledger_checkpoint_latest(struct ledger *l, struct buf *note,
			     uint64_t *size, struct error *err);

/* Fills keys (room for 2) with the store's signing keys; loads them. */
int ledger_note_keys(struct ledger *l, struct note_key *keys, size_t *n,
		     int private_keys, struct error *err);

/*
 * Writes a consistent online copy of the store to dir, which must not
 * exist: the database through SQLite's backup API, then every blob it
 * references, then config and keys.
 */
int ledger_backup(struct ledger *l, const char *dir, struct error *err);

/*
 * Imports entries that another copy of the log holds (a witness's) at
 * the end of this store's log, without their content, in one write
 * transaction: entries[i] is the exact entry at seq start + i, and start
 * must be the store's size. Each must be a canonical version-1 envelope
 * carrying its seq. Nothing is stored unless the tree of start + n
 * entries has root. Each attachment gets a reference row; sha256_of
 * (may be NULL) fills a blob's SHA-256, "" for a file not at hand. An
 * imported expunge or purge removes what it names. No projection hook
 * runs. With LEDGER_IMPORT_CHECK nothing is written. CT_EINVAL names a
 * malformed entry, CT_ECORRUPT a root that differs.
 */
struct ledger_import_entry {
	const void *body;
	size_t len;
};
#define LEDGER_IMPORT_CHECK 1u
typedef int (*ledger_sha256_fn)(void *ctx, const char *hash,
				char out[HASH_TEXT_MAX]);
int ledger_import(struct ledger *l, uint64_t start,
		  const struct ledger_import_entry *entries, size_t n,
		  const uint8_t root[HASH_LEN], unsigned flags,
		  ledger_sha256_fn sha256_of, void *ctx, struct error *err);

/* Returns the current UTC time in milliseconds. */
int64_t ledger_now_ms(void);

#endif
