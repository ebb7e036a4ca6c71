/*
 * The content store: the field values that ledger entries commit to.
 *
 * A record's fields are written as RFC 8785 canonical JSON and stored with
 * a fresh random 32-byte salt beside the entry's seq. The entry carries
 * only the commitment H(salt || canonical fields) in the store's hash, as
 * "<alg>:<hex>". The salt keeps short or guessable field values (a yes/no
 * answer, a date) from being found by hashing candidates against a public
 * log. Content can be deleted by an approved expunge; the commitment stays.
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
};

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

/* Stores prepared content under seq (inside the caller's transaction). */
int content_put(struct store *s, uint64_t seq, const struct content *c,
		struct error *err);

/*
 * Reads the content of seq and checks it against commitment: returns 0,
 * CT_ENOTFOUND, or CT_ECORRUPT when it does not match (err names both hashes).
 */
int content_get(struct store *s, enum hash_alg alg, uint64_t seq,
		const char *commitment, struct content *c, struct error *err);

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
