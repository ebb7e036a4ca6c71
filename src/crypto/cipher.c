/*
 * SM4-CTR, HMAC-SM3 and a key derivation made of HMAC-SM3, for the
 * staff signing keys wrapped under a password and the content encrypted
 * at rest. Both encrypt with SM4-CTR under one key and authenticate the
 * result with HMAC-SM3 under another (encrypt-then-MAC): counter mode
 * alone would let a changed ciphertext decrypt to changed plaintext
 * unnoticed.
 */
#include "common/common.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "crypto/crypto.h"

int sm4_ctr(const uint8_t key[SM4_KEY_LEN], const uint8_t iv[SM4_IV_LEN],
	    const void *in, size_t len, void *out)
{
	EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, "SM4-CTR", NULL);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	const uint8_t *src = in;
	uint8_t *dst = out;
	int rc = CT_ECRYPTO, n;

	if (!cipher || !ctx ||
	    EVP_EncryptInit_ex2(ctx, cipher, key, iv, NULL) != 1)
		goto out;
	/* EVP takes an int length: feed long input in pieces. */
	while (len > 0) {
		size_t step = len > (1u << 30) ? (1u << 30) : len;

		if (EVP_EncryptUpdate(ctx, dst, &n, src, (int)step) != 1 ||
		    (size_t)n != step)
			goto out;
		src += step;
		dst += step;
		len -= step;
	}
	if (EVP_EncryptFinal_ex(ctx, dst, &n) == 1 && n == 0)
		rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(cipher);
	ERR_clear_error();
	return rc;
}

int hmac_sm3(const void *key, size_t key_len, const struct crypto_part *parts,
	     size_t n, uint8_t out[HMAC_SM3_LEN])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[2];
	size_t got = 0;
	int rc = CT_ECRYPTO;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)"SM3", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!ctx || EVP_MAC_init(ctx, key, key_len, params) != 1)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (parts[i].len &&
		    EVP_MAC_update(ctx, parts[i].data, parts[i].len) != 1)
			goto out;
	if (EVP_MAC_final(ctx, out, &got, HMAC_SM3_LEN) == 1 &&
	    got == HMAC_SM3_LEN)
		rc = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	ERR_clear_error();
	return rc;
}

int crypto_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

int crypto_derive(const void *secret, size_t secret_len, const char *label,
		  uint8_t *out, size_t len)
{
	uint8_t block[HMAC_SM3_LEN];
	size_t done = 0;

	if (len > 2 * HMAC_SM3_LEN)
		return CT_EINVAL;
	for (uint8_t i = 1; done < len; i++) {
		struct crypto_part parts[] = { { label, strlen(label) },
					       { &i, 1 } };
		size_t step = len - done < HMAC_SM3_LEN ? len - done
							: HMAC_SM3_LEN;

		if (hmac_sm3(secret, secret_len, parts, ARRAY_SIZE(parts),
			     block)) {
			crypto_wipe(out, done);
			return CT_ECRYPTO;
		}
		memcpy(out + done, block, step);
		done += step;
	}
	crypto_wipe(block, sizeof(block));
	return 0;
}

/* A statement line: not empty, no newline. */
static int line_ok(const char *s)
{
	return s && s[0] && !strchr(s, '\n') && !strchr(s, '\r');
}

int staff_statement(const char *origin, uint64_t seq, const char *role,
		    const char *user, const char *commitment,
		    struct buf *out)
{
	if (!line_ok(origin) || !line_ok(role) || !line_ok(user) ||
	    !line_ok(commitment))
		return CT_EINVAL;
	return buf_printf(out, "casetrail-signature/v1\n%s\n%" PRIu64
			  "\n%s\n%s\n%s\n", origin, seq, role, user,
			  commitment);
}

int document_statement(const char *origin, uint64_t seq, const char *leaf,
		       const char *document, const char *number,
		       const char *pdf_hash, struct buf *out)
{
	if (!line_ok(origin) || !line_ok(leaf) || !line_ok(document) ||
	    !line_ok(pdf_hash) || !number || strchr(number, '\n'))
		return CT_EINVAL;
	return buf_printf(out, "casetrail-document/v1\n%s\n%" PRIu64
			  "\n%s\n%s\n%s\n%s\n", origin, seq, leaf,
			  document, number[0] ? number : "-", pdf_hash);
}
