/*
 * The supervisory department's witness (docs/witness.md).
 *
 * The node side keeps, for every log it follows, the log's entries, the
 * stored Merkle nodes over them, its latest cosigned checkpoint, the
 * case-linked files and its alarms. It checks each checkpoint a log
 * pushes (the log's signatures, the consistency proof from the size it
 * cosigned last and the root of the entries it holds), persists it and
 * only then answers with its cosignatures.
 *
 * A witness folder holds witness.json (its name and keys), keys/ and one
 * folder per log under logs/, named by the first 16 hex digits of the
 * SHA-256 of the log's origin: trust.json (origin and the log's public
 * keys), log.db (a store database: entries, nodes, checkpoints, and the
 * alarms in its named rows) and blobs/.
 *
 * The bureau's side records witnesses in witness.json of the store, and
 * its pusher sends new entries, files and checkpoints to each of them,
 * and keeps the cosigned notes in the store (store/witness.h).
 */
#ifndef CASETRAIL_WITNESS_H
#define CASETRAIL_WITNESS_H

#include <jansson.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "crypto/crypto.h"

#define WITNESS_BATCH_MAX 1000
#define WITNESS_NAME_MAX 128
#define WITNESS_KEYS_MAX 4

/* ---- Cosignatures (tlog-cosignature cosignature/v1) ---- */

/*
 * The key id of a cosigner key: SHA-256(name || "\n" || 0x04 || raw
 * Ed25519 key)[:4], or for SM2 SHA-256(name || "\n" || 0xff ||
 * "sm2-sm3-cosignature" || raw SM2 key)[:4].
 */
uint32_t cosig_key_id(const char *name, const struct key *k);

/*
 * Appends the cosignature line of key k named name on the checkpoint
 * body text[0 .. len) at time ts (POSIX seconds) to out:
 * "— <name> base64(key id || ts (8 bytes, big-endian) || signature)\n".
 */
int cosig_sign(const char *name, const struct key *k, const char *text,
	       size_t len, uint64_t ts, struct buf *out, struct error *err);

/*
 * Verifies that the note (checkpoint text, blank line, signature lines)
 * carries a valid cosignature by k under name; *ts receives its time.
 * Returns 0, or CT_ECRYPTO when none is there or it does not verify.
 */
int cosig_verify(const char *name, const struct key *k, const char *note,
		 size_t len, uint64_t *ts, struct error *err);

/* ---- The node ---- */

/* Creates a witness folder: witness.json, keys/ (SM2 and Ed25519), logs/. */
int witness_init(const char *dir, const char *name, struct error *err);

/*
 * Adds (or, with new keys, updates) a log the witness follows: its
 * origin and the PEM public keys that sign its checkpoints under it.
 */
int witness_trust(const char *dir, const char *origin,
		  const char *const *pems, size_t npems, struct error *err);

struct witness_node;

int witness_open(const char *dir, struct witness_node **out,
		 struct error *err);
void witness_close(struct witness_node *w);

/* An answer: HTTP status, media type and body. */
struct witness_reply {
	unsigned status;
	const char *type;
	struct buf body;
};

void witness_reply_init(struct witness_reply *r);
void witness_reply_release(struct witness_reply *r);

/* POST /add-checkpoint. Returns 0 with r filled, or a server error. */
int witness_add_checkpoint(struct witness_node *w, const char *body,
			   size_t len, struct witness_reply *r,
			   struct error *err);
/* POST /casetrail/v1/entries */
int witness_post_entries(struct witness_node *w, const char *body,
			 size_t len, struct witness_reply *r,
			 struct error *err);
/* GET /casetrail/v1/entries */
int witness_get_entries(struct witness_node *w, const char *origin,
			uint64_t start, uint64_t count,
			struct witness_reply *r, struct error *err);
/* GET /casetrail/v1/checkpoint */
int witness_get_checkpoint(struct witness_node *w, const char *origin,
			   struct witness_reply *r, struct error *err);
/* GET /casetrail/v1/status, and casetrail witness status. */
int witness_status(struct witness_node *w, json_t **out, struct error *err);

/*
 * A blob path for origin: 0 with the file's path (it may be missing),
 * or 404 or 400 in r->status with a message in r->body.
 */
int witness_blob_path(struct witness_node *w, const char *origin,
		      const char *hash, char *path, size_t n,
		      struct witness_reply *r);

/*
 * Checks the Casetrail-Read-Signature header of a GET of a file: the
 * base64 of a note over "casetrail-blob-read/v1", the origin, the hash
 * and a time within WBLOB_READ_SKEW_S seconds of now, signed by the log's
 * trusted keys. A file is evidence with content, so only the log may read
 * it back. Returns 0, or -1 with 403 or 400 in r.
 */
int witness_blob_read_check(struct witness_node *w, const char *origin,
			    const char *hash, const char *header,
			    struct witness_reply *r);

/* A PUT of a blob streamed to a temporary file while it is hashed. */
struct witness_upload;
int witness_upload_begin(struct witness_node *w, const char *origin,
			 const char *hash, struct witness_upload **out,
			 struct witness_reply *r);
/* Appends to the file; CT_ETOOBIG past the size its entries state. */
int witness_upload_write(struct witness_upload *u, const void *data,
			 size_t len);
/* Checks the hash, keeps or discards the file and fills r. */
void witness_upload_finish(struct witness_upload *u, struct witness_reply *r);
/* Discards an unfinished upload; NULL is a no-op. */
void witness_upload_abort(struct witness_upload *u);

/* ---- The bureau's side ---- */

/*
 * Records a witness in the store's witness.json,
 * {"witnesses": [{"url", "name", "keys": [PEM, ...]}]}: its URL, name
 * and the PEM public keys of its cosignatures. The same URL again
 * replaces its entry.
 */
int witness_config_add(const char *store_dir, const char *url,
		       const char *name, const char *const *pems,
		       size_t npems, struct error *err);

/* Reads the store's witness.json; *out is NULL when there is none. */
int witness_config_read(const char *store_dir, json_t **out,
			struct error *err);

struct ledger;
struct witness_pusher;

/*
 * Starts the pusher thread when the store has a witness; *out stays
 * NULL otherwise.
 */
int witness_pusher_start(struct ledger *l, struct witness_pusher **out,
			 struct error *err);
void witness_pusher_stop(struct witness_pusher *p);

/* One push to every witness; *report (may be NULL) says what happened. */
int witness_push_once(struct ledger *l, json_t **report, struct error *err);

/*
 * The bureau's view of its witnesses: per witness its URL, the size and
 * time of the latest cosigned checkpoint, the entries behind and, with
 * a pusher, its last error. p may be NULL.
 */
int witness_bureau_status(struct ledger *l, struct witness_pusher *p,
			  json_t **out, struct error *err);

/*
 * Fetches the witness's latest cosigned checkpoint of origin from url
 * (GET /casetrail/v1/checkpoint?origin=) into note. CT_EIO when the
 * witness cannot be reached or answers otherwise than 200, CT_ENOTFOUND
 * when it has no cosigned checkpoint of origin.
 */
int witness_fetch_checkpoint(const char *url, const char *origin,
			     struct buf *note, struct error *err);

/*
 * Checks the cosignatures on a note from a witness against the keys of
 * the store's witness.json entry whose URL is url (or, with url NULL,
 * of any entry): 0 when every key of that witness verifies, with *ts_ms
 * its time; CT_ENOTFOUND when the store names no such witness with keys;
 * CT_ECRYPTO when a cosignature is missing or invalid.
 */
int witness_check_cosigned(const char *store_dir, const char *url,
			   const char *note, size_t len, int64_t *ts_ms,
			   struct error *err);

#endif
