/*
 * Digests named by text (SHA-256, SHA-512, SM3) for files that carry
 * several manifests of one content, such as a case file's BagIt bag.
 * The store's own hash stays in hash.c.
 */
#include "common/common.h"

#include <openssl/evp.h>

#include "crypto/crypto.h"

struct digest {
	EVP_MD_CTX *ctx;
	EVP_MD *md;
};

struct digest *digest_new(const char *name)
{
	const char *ossl = !strcmp(name, "sha256") ? "SHA256"
			   : !strcmp(name, "sha512") ? "SHA512"
			   : !strcmp(name, "sm3")    ? "SM3"
						     : NULL;
	struct digest *d;

	if (!ossl || !(d = calloc(1, sizeof(*d))))
		return NULL;
	d->md = EVP_MD_fetch(NULL, ossl, NULL);
	d->ctx = EVP_MD_CTX_new();
	if (!d->md || !d->ctx || !EVP_DigestInit_ex(d->ctx, d->md, NULL)) {
		digest_free(d);
		return NULL;
	}
	return d;
}

void digest_update(struct digest *d, const void *data, size_t len)
{
	if (!EVP_DigestUpdate(d->ctx, data, len))
		abort();
}

size_t digest_final(struct digest *d, uint8_t out[DIGEST_MAX])
{
	unsigned n = 0;

	if (!EVP_DigestFinal_ex(d->ctx, out, &n) ||
	    !EVP_DigestInit_ex(d->ctx, d->md, NULL))
		abort();
	return n;
}

void digest_free(struct digest *d)
{
	if (!d)
		return;
	EVP_MD_CTX_free(d->ctx);
	EVP_MD_free(d->md);
	free(d);
}
