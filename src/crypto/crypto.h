/*
 * Hashing, signing, random bytes and base64 on top of OpenSSL 3. This is
 * the only module that includes OpenSSL headers; everything else names
 * algorithms through the enums below.
 *
 * A store is fixed to one hash at creation: SM3 (GB/T 32905) in gm mode,
 * SHA-256 in standard mode. Both have 32-byte digests.
 */
#ifndef CASETRAIL_CRYPTO_H
#define CASETRAIL_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

#define HASH_LEN 32
/* "sha256:" plus 64 hex digits plus NUL */
#define HASH_TEXT_MAX 72

enum hash_alg { HASH_SM3 = 1, HASH_SHA256 = 2 };

/* Returns "sm3" or "sha256". */
const char *hash_alg_name(enum hash_alg alg);

/* Parses "sm3" or "sha256"; returns 0 or CT_EINVAL. */
int hash_alg_parse(const char *name, enum hash_alg *alg);

/* Hashes len bytes in one call. */
void hash_buf(enum hash_alg alg, const void *data, size_t len,
	      uint8_t out[HASH_LEN]);

/* Streaming hash state; hasher_free(NULL) is a no-op. */
struct hasher;
struct hasher *hasher_new(enum hash_alg alg);
void hasher_update(struct hasher *h, const void *data, size_t len);
/* Writes the digest and resets h for reuse. */
void hasher_final(struct hasher *h, uint8_t out[HASH_LEN]);
void hasher_free(struct hasher *h);

/*
 * A streaming digest named "sha256", "sha512" or "sm3" (digest.c), for
 * manifests that list one file under several algorithms. digest_new
 * returns NULL for another name or when OpenSSL lacks it; digest_final
 * writes the digest, returns its length and resets d for reuse.
 */
#define DIGEST_MAX 64
struct digest;
struct digest *digest_new(const char *name);
void digest_update(struct digest *d, const void *data, size_t len);
size_t digest_final(struct digest *d, uint8_t out[DIGEST_MAX]);
void digest_free(struct digest *d);

/* Writes "<alg>:<lowercase hex>" into out (at least HASH_TEXT_MAX bytes). */
void hash_format(enum hash_alg alg, const uint8_t digest[HASH_LEN],
		 char *out);

/*
 * Parses "<alg>:<64 hex digits>" (lowercase hex only, so that each digest
 * has one text form). Returns 0 or CT_EINVAL.
 */
int hash_parse(const char *text, enum hash_alg *alg, uint8_t out[HASH_LEN]);

/* Fills buf with n bytes from the OpenSSL CSPRNG; returns 0 or CT_ECRYPTO. */
int crypto_random(void *buf, size_t n);

/* Appends standard base64 (with padding, no newlines) of data to out. */
int base64_encode(const void *data, size_t len, struct buf *out);

/*
 * Decodes standard base64 with padding and no whitespace into out, which
 * has room for max bytes. Returns the decoded length or CT_EINVAL.
 */
long base64_decode(const char *text, size_t len, uint8_t *out, size_t max);

/* Overwrites n bytes in a way the compiler cannot drop. */
void crypto_wipe(void *p, size_t n);

/*
 * Signing keys. SM2 (GB/T 32918) signs the SM3 digest with the fixed
 * distinguishing ID "1234567812345678" on both signing and verifying, and
 * its signatures are raw r||s, 64 bytes. Ed25519 signatures are 64 bytes.
 */
enum key_type { KEY_SM2 = 1, KEY_ED25519 = 2 };

#define SIG_MAX 64
#define SM2_DISTID "1234567812345678"

struct key;

/* Generates a new private key. */
int key_generate(enum key_type type, struct key **out, struct error *err);

/*
 * Writes the private key as PKCS#8 PEM to path, created with mode 0600 and
 * never overwriting (O_EXCL), fsynced. Fails with CT_EEXIST if it exists.
 */
int key_save_private(const struct key *k, const char *path,
		     struct error *err);

/* Reads a PEM private key (SM2 or Ed25519) from path. */
int key_load_private(const char *path, struct key **out, struct error *err);

/* Reads a PEM public key (SubjectPublicKeyInfo) from a string. */
int key_load_public_pem(const char *pem, size_t len, struct key **out,
			struct error *err);

/*
 * Makes a public key from its raw form, as key_public_raw writes it: for
 * SM2 the 65-byte uncompressed point 04||x||y, which must lie on the SM2
 * curve, for Ed25519 the 32-byte key. Returns 0 or CT_EINVAL.
 */
int key_load_public_raw(enum key_type type, const uint8_t *raw, size_t len,
			struct key **out, struct error *err);

/* Appends the public key as SubjectPublicKeyInfo PEM to out. */
int key_public_pem(const struct key *k, struct buf *out);

/*
 * Writes the raw public key: for SM2 the 65-byte uncompressed point
 * 04||x||y, for Ed25519 the 32-byte key. Returns the length, or a negative
 * code when max is too small.
 */
int key_public_raw(const struct key *k, uint8_t *out, size_t max);

enum key_type key_get_type(const struct key *k);

/* Signs msg. sig must have room for SIG_MAX bytes; *siglen is set to 64. */
int key_sign(const struct key *k, const void *msg, size_t len,
	     uint8_t sig[SIG_MAX], size_t *siglen, struct error *err);

/* Returns 0 when sig is a valid signature of msg by k, else CT_ECRYPTO. */
int key_verify(const struct key *k, const void *msg, size_t len,
	       const uint8_t *sig, size_t siglen);

void key_free(struct key *k);

/*
 * Computes the SM2 user hash of GB/T 32918.2 for an SM2 key and an ID:
 *
 *   ZA = SM3(ENTL || ID || a || b || xG || yG || xA || yA)
 *
 * where ENTL is the bit length of ID in two big-endian bytes, a, b, xG, yG
 * are the SM2 curve parameters and (xA, yA) is the public key. An SM2
 * signature covers SM3(ZA || message); key_sign uses ID SM2_DISTID.
 * Returns 0, or CT_EINVAL when k is not an SM2 key or ID is longer than
 * 8191 bytes.
 */
int sm2_za(const struct key *k, const char *id, uint8_t out[HASH_LEN]);

/*
 * SM2 signatures as OpenSSL and the openssl command line read them: a DER
 * ECDSA-Sig-Value, at most SM2_SIG_DER_MAX bytes. sm2_sig_der converts
 * the raw r||s of key_sign into that form and returns its length, or
 * CT_ECRYPTO; sm2_sig_raw converts back and returns 0, or CT_EINVAL for
 * bytes that are not one DER signature with 32-byte r and s.
 */
#define SM2_SIG_DER_MAX 72
int sm2_sig_der(const uint8_t raw[SIG_MAX], uint8_t der[SM2_SIG_DER_MAX]);
int sm2_sig_raw(const uint8_t *der, size_t len, uint8_t raw[SIG_MAX]);

/*
 * A private key as PKCS#8 DER in memory, for wrapping under another key:
 * key_private_der writes it into der (room for max bytes) and returns its
 * length, or a negative code; the caller wipes der. key_load_private_der
 * reads it back, and accepts only SM2 (on the SM2 curve) and Ed25519.
 */
#define KEY_DER_MAX 256
int key_private_der(const struct key *k, uint8_t *der, size_t max);
int key_load_private_der(const uint8_t *der, size_t len, struct key **out,
			 struct error *err);

/*
 * The bytes a staff member's SM2 key signs for a record (see
 * docs/access.md): six lines, each ended by a newline,
 *
 *   casetrail-signature/v1
 *   <origin of the store's checkpoints>
 *   <seq of the signed record, decimal>
 *   <role the member signs in>
 *   <user name of the member>
 *   <the record entry's content commitment, "<alg>:<hex>">
 *
 * Appends them to out; returns 0 or CT_EINVAL when a value is empty or
 * contains a newline, or a buf error.
 */
int staff_statement(const char *origin, uint64_t seq, const char *role,
		    const char *user, const char *commitment,
		    struct buf *out);

/*
 * The statement that the bureau's seal key signs for an issued official
 * document (docs/documents.md): seven lines, each ended by a newline,
 *
 *   casetrail-document/v1
 *   <origin of the store's checkpoints>
 *   <seq of the source record, decimal>
 *   <leaf hash of the source record, "<alg>:<hex>">
 *   <document kind, a template code>
 *   <document number, "-" when the document has none>
 *   <SM3 hash of the PDF file, "sm3:<hex>">
 *
 * Appends them to out; returns 0 or CT_EINVAL when a value other than
 * the number is empty, or any contains a newline, or a buf error.
 */
int document_statement(const char *origin, uint64_t seq, const char *leaf,
		       const char *document, const char *number,
		       const char *pdf_hash, struct buf *out);

/*
 * Symmetric crypto for keys and content at rest (cipher.c): SM4 (GB/T
 * 32907) in counter mode, which encrypts and decrypts alike, and
 * HMAC-SM3 for authenticating what was encrypted (encrypt-then-MAC, with
 * a key of its own).
 */
#define SM4_KEY_LEN 16
#define SM4_IV_LEN 16
#define HMAC_SM3_LEN 32

/* Runs SM4-CTR over len bytes of in into out (which may be in). Returns 0
 * or CT_ECRYPTO. The pair (key, iv) must never be used twice. */
int sm4_ctr(const uint8_t key[SM4_KEY_LEN], const uint8_t iv[SM4_IV_LEN],
	    const void *in, size_t len, void *out);

/* One piece of a message that hmac_sm3 authenticates. */
struct crypto_part {
	const void *data;
	size_t len;
};

/* Computes HMAC-SM3 under key over the n parts in order. Returns 0 or
 * CT_ECRYPTO. */
int hmac_sm3(const void *key, size_t key_len, const struct crypto_part *parts,
	     size_t n, uint8_t out[HMAC_SM3_LEN]);

/* Compares n bytes in time that does not depend on where they differ;
 * returns 1 when equal. */
int crypto_equal(const void *a, const void *b, size_t n);

/*
 * Derives len bytes (at most 64) from a secret with HMAC-SM3 under a
 * label: out = HMAC-SM3(secret, label || 0x01) || HMAC-SM3(secret, label
 * || 0x02), cut to len. Keys for different uses come from different
 * labels. Returns 0 or CT_ECRYPTO.
 */
int crypto_derive(const void *secret, size_t secret_len, const char *label,
		  uint8_t *out, size_t len);

/*
 * Signed notes (C2SP signed-note). A note is text ending in a newline,
 * followed by a blank line and one signature line per key:
 *
 *   — <name> <base64(key id (4 bytes) || signature)>
 *
 * Ed25519 keys have signature type 0x01. SM2 keys use the type 0xff with
 * the identifier "sm2-sm3", so that the key id is the first four bytes of
 * SHA-256(name || 0x0A || 0xff || "sm2-sm3" || raw public key).
 */
struct note_key {
	const char *name; /* no spaces, no '+' */
	struct key *key;
};

/* Returns the 4-byte signed-note key id of a key under a name. */
uint32_t note_key_id(const struct note_key *nk);

/*
 * Appends text (which must end in '\n') followed by the blank line and a
 * signature line for each of the n keys to out.
 */
int note_sign(const char *text, size_t len, const struct note_key *keys,
	      size_t n, struct buf *out, struct error *err);

struct note_sig {
	char name[128];
	uint32_t key_id;
	/*
	 * The signature as decoded. siglen is 0 for a signature longer than
	 * sig (such as a post-quantum one): its line is checked and its name
	 * and key id are kept, but no key of casetrail can verify it.
	 */
	uint8_t sig[SIG_MAX + 64];
	size_t siglen;
};

#define NOTE_MAX_SIGS 16

struct note {
	size_t text_len; /* the signed text is note[0 .. text_len) */
	struct note_sig sigs[NOTE_MAX_SIGS];
	size_t nsigs;
};

/*
 * Checks that len bytes are valid UTF-8 without ASCII control characters
 * other than newline, as signed notes must be. Returns 0 or CT_EINVAL with
 * err giving the line and byte offset; what names s in that message.
 */
int note_check_text(const char *s, size_t len, const char *what,
		    struct error *err);

/*
 * Splits a signed note into its text and signature lines, checking the
 * grammar of the spec (text ends in newline, blank separator line, every
 * signature line well formed, at most NOTE_MAX_SIGS lines). Verifies
 * nothing. Returns 0 or CT_EINVAL with err naming the bad line.
 */
int note_parse(const char *note, size_t len, struct note *out,
	       struct error *err);

/*
 * Verifies that the parsed note carries a valid signature by each of the n
 * keys (matched by name and key id). When a key signed more than once,
 * every one of its signatures must verify. Signatures by other keys are
 * ignored. Returns 0, CT_EINVAL when n is 0, or CT_ECRYPTO with err naming
 * the first key whose signature is missing or invalid.
 */
int note_verify(const char *note, const struct note *parsed,
		const struct note_key *keys, size_t n, struct error *err);

#endif
