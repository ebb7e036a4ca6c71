/*
 * The content store: the field values that ledger entries commit to.
 *
 * A record's fields are written as RFC 8785 canonical JSON and stored with
 * a fresh random 32-byte salt beside the entry's seq. The entry carries
 * only the commitment H(salt || canonical fields) in the store's hash, as
 * "<alg>:<hex>". The salt keeps short or guessable field values (a yes/no
 * answer, a date) from being found by hashing candidates against a public
 * log. Content can be deleted by an approved expunge; the commitment stays.
 *
 * Content under a confidentiality mark is encrypted at rest ("sealed"):
 * salt and fields together, with SM4-CTR under a fresh random key of
 * that record alone, authenticated with HMAC-SM3. The record's key is
 * stored only wrapped (encrypted and authenticated the same way) under
 * the store's content master key, keys/content.key, inside the same
 * content row. So the database file alone reveals neither the text nor
 * the salt, and an expunge, which deletes the row, destroys the record's
 * key with it: no copy of the key remains from which the content could
 * be recovered. The commitment is of the clear salt and fields, so
 * sealing changes nothing in the log.
 *
 * A sealed row has an empty salt column and, in the fields column:
 *
 *   "\0cts" 0x01          magic and version (5 bytes)
 *   master key id         first 4 bytes of HMAC-SM3(master, "casetrail
 *                         content key id")
 *   wrap iv (16), wrapped record key (48), wrap MAC (32)
 *   content iv (16), SM4-CTR(salt || canonical fields), content MAC (32)
 *
 * The record key is 16 bytes of SM4 key and 32 of HMAC key. The master
 * key gives the wrapping keys through crypto_derive. Each MAC covers the
 * bytes before it and the entry's seq, so a row moved to another seq
 * fails. Canonical JSON starts with '{', never with a NUL byte, so a
 * clear row cannot be taken for a sealed one.
 */
#ifndef CASETRAIL_CONTENT_H
#define CASETRAIL_CONTENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "crypto/crypto.h"
#include "store/store.h"

#define CONTENT_SALT_LEN 32
/* Largest canonical field text of one record; longer text goes to blobs. */
#define CONTENT_MAX ((size_t)1 << 20)

struct content {
	uint8_t salt[CONTENT_SALT_LEN];
	struct buf fields; /* canonical JSON */
	char commitment[HASH_TEXT_MAX];
	bool seal;         /* content_put encrypts it at rest */
};

/* The content master key file in the store's keys folder. */
#define CONTENT_KEY_FILE "content.key"

/*
 * Reads the content master key from keys_dir/content.key into key. With
 * create, a store that has none gets a new random one (mode 0600), so
 * that stores made before encryption at rest gain one on their first
 * writable open. Returns 0, CT_ENOTFOUND when there is none and create is
 * false, CT_EPERM when the file is readable by others, or another code.
 */
int content_key_load(const char *keys_dir, bool create,
		     uint8_t key[STORE_CONTENT_KEY_LEN], struct error *err);

/* Initialises c empty. */
void content_init(struct content *c);
void content_release(struct content *c);

/*
 * Canonicalises fields (a JSON object), draws a salt and computes the
 * commitment. Fails with CT_EINVAL on a disallowed value (named in err) or
 * CT_ETOOBIG over CONTENT_MAX.
 */
int content_prepare(enum hash_alg alg, const json_t *fields,
		    struct content *c, struct error *err);

/* Computes the commitment text of salt and canonical fields. */
void content_commitment(enum hash_alg alg, const void *salt, size_t salt_len,
			const void *fields, size_t len,
			char out[HASH_TEXT_MAX]);

/* Stores prepared content under seq (inside the caller's transaction),
 * sealed when c->seal is set. */
int content_put(struct store *s, uint64_t seq, const struct content *c,
		struct error *err);

/*
 * Reads the content of seq and checks it against commitment: returns 0,
 * CT_ENOTFOUND, or CT_ECORRUPT when it does not match (err names both hashes).
 */
int content_get(struct store *s, enum hash_alg alg, uint64_t seq,
		const char *commitment, struct content *c, struct error *err);

/*
 * Reads the content of seq as content_get does, without checking it
 * against a commitment (c->commitment stays empty).
 */
int content_read(struct store *s, uint64_t seq, struct content *c,
		 struct error *err);

/*
 * Fills c with the clear salt and fields of a content row as
 * store_content_scan hands it, decrypting a sealed one with the key of
 * store s. c->seal records which it was. Returns 0, CT_EPERM when s has no
 * content key, or CT_ECORRUPT when the row is malformed or fails its MAC.
 */
int content_from_row(struct store *s, uint64_t seq, const void *salt,
		     size_t salt_len, const void *fields, size_t len,
		     struct content *c, struct error *err);

/* Whether the fields column of a content row contains sealed content. */
bool content_row_sealed(const void *fields, size_t len);

/*
 * Stores the content of seq encrypted at rest (encrypt true) or in the
 * clear, whichever it is not yet, without changing what it commits to.
 * A mark raised or lowered after the record was written calls it inside
 * the caller's transaction. Returns 0, CT_ENOTFOUND when no content is
 * stored, or a negative code.
 */
int content_reseal(struct store *s, uint64_t seq, bool encrypt,
		   struct error *err);

#endif
