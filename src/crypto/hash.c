/*
 * Digests of the store's hash (SM3 or SHA-256) through OpenSSL's EVP
 * interface, their "<alg>:<hex>" text form, random bytes and wiping.
 *
 * OpenSSL fails a digest of in-memory data only when it cannot allocate,
 * so the functions whose contract returns no error abort in that case
 * rather than hand back a digest that was never computed.
 */
#include "common/common.h"

#include <pthread.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto/crypto.h"

struct hasher {
	enum hash_alg alg;
	EVP_MD_CTX *ctx;
};

/*
 * OpenSSL 3 looks an algorithm up in its provider table, under a lock,
 * every time a legacy EVP_sm3()-style handle is used. Fetching each one
 * once and keeping one digest context per thread avoids that lookup on
 * every hash, and the ledger and verify compute millions of them.
 */
static EVP_MD *fetched_md[3];
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static pthread_key_t ctx_key;

struct thread_ctx {
	EVP_MD_CTX *ctx[3];
};

static void free_thread_ctx(void *p)
{
	struct thread_ctx *t = p;

	for (size_t i = 0; i < ARRAY_SIZE(t->ctx); i++)
		EVP_MD_CTX_free(t->ctx[i]);
	free(t);
}

static void fetch_digests(void)
{
	fetched_md[HASH_SM3] = EVP_MD_fetch(NULL, "SM3", NULL);
	fetched_md[HASH_SHA256] = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (pthread_key_create(&ctx_key, free_thread_ctx) != 0)
		abort();
}

static const EVP_MD *hash_md(enum hash_alg alg)
{
	const EVP_MD *md;

	pthread_once(&fetch_once, fetch_digests);
	md = fetched_md[alg == HASH_SM3 ? HASH_SM3 : HASH_SHA256];
	if (!md) {
		fprintf(stderr, "casetrail: OpenSSL has no %s digest\n",
			hash_alg_name(alg));
		abort();
	}
	return md;
}

/* Returns this thread's digest context for alg, created on first use. */
static EVP_MD_CTX *thread_ctx(enum hash_alg alg)
{
	struct thread_ctx *t;
	int i = alg == HASH_SM3 ? HASH_SM3 : HASH_SHA256;

	pthread_once(&fetch_once, fetch_digests);
	t = pthread_getspecific(ctx_key);
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t || pthread_setspecific(ctx_key, t) != 0)
			abort();
	}
	if (!t->ctx[i] && !(t->ctx[i] = EVP_MD_CTX_new()))
		abort();
	return t->ctx[i];
}

static void die_openssl(const char *what)
{
	fprintf(stderr, "casetrail: OpenSSL %s failed (out of memory?)\n",
		what);
	abort();
}

const char *hash_alg_name(enum hash_alg alg)
{
	return alg == HASH_SM3 ? "sm3" : "sha256";
}

int hash_alg_parse(const char *name, enum hash_alg *alg)
{
	if (strcmp(name, "sm3") == 0) {
		*alg = HASH_SM3;
		return 0;
	}
	if (strcmp(name, "sha256") == 0) {
		*alg = HASH_SHA256;
		return 0;
	}
	return CT_EINVAL;
}

void hash_buf(enum hash_alg alg, const void *data, size_t len,
	      uint8_t out[HASH_LEN])
{
	EVP_MD_CTX *ctx = thread_ctx(alg);
	unsigned int outlen = 0;

	if (EVP_DigestInit_ex2(ctx, hash_md(alg), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, data, len) != 1 ||
	    EVP_DigestFinal_ex(ctx, out, &outlen) != 1 || outlen != HASH_LEN)
		die_openssl("digest");
}

struct hasher *hasher_new(enum hash_alg alg)
{
	struct hasher *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->alg = alg;
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, hash_md(alg), NULL) != 1) {
		hasher_free(h);
		return NULL;
	}
	return h;
}

void hasher_update(struct hasher *h, const void *data, size_t len)
{
	if (EVP_DigestUpdate(h->ctx, data, len) != 1)
		die_openssl("EVP_DigestUpdate");
}

void hasher_final(struct hasher *h, uint8_t out[HASH_LEN])
{
	unsigned int outlen = 0;

	if (EVP_DigestFinal_ex(h->ctx, out, &outlen) != 1 ||
	    outlen != HASH_LEN)
		die_openssl("EVP_DigestFinal_ex");
	if (EVP_DigestInit_ex(h->ctx, hash_md(h->alg), NULL) != 1)
		die_openssl("EVP_DigestInit_ex");
}

void hasher_free(struct hasher *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

void hash_format(enum hash_alg alg, const uint8_t digest[HASH_LEN],
		 char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(hash_alg_name(alg));

	memcpy(out, hash_alg_name(alg), n);
	out[n++] = ':';
	for (size_t i = 0; i < HASH_LEN; i++) {
		out[n++] = hex[digest[i] >> 4];
		out[n++] = hex[digest[i] & 0x0f];
	}
	out[n] = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int hash_parse(const char *text, enum hash_alg *alg, uint8_t out[HASH_LEN])
{
	const char *colon = strchr(text, ':');
	char name[8];
	size_t n;

	if (!colon || (size_t)(colon - text) >= sizeof(name))
		return CT_EINVAL;
	n = (size_t)(colon - text);
	memcpy(name, text, n);
	name[n] = '\0';
	if (hash_alg_parse(name, alg))
		return CT_EINVAL;
	if (strlen(colon + 1) != 2 * HASH_LEN)
		return CT_EINVAL;

	for (size_t i = 0; i < HASH_LEN; i++) {
		int hi = hex_value(colon[1 + 2 * i]);
		int lo = hex_value(colon[2 + 2 * i]);

		if (hi < 0 || lo < 0)
			return CT_EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int crypto_random(void *buf, size_t n)
{
	unsigned char *p = buf;

	/* RAND_bytes takes an int count, so larger requests go in chunks. */
	while (n > 0) {
		size_t chunk = n < INT_MAX ? n : INT_MAX;

		if (RAND_bytes(p, (int)chunk) != 1)
			return CT_ECRYPTO;
		p += chunk;
		n -= chunk;
	}
	return 0;
}

void crypto_wipe(void *p, size_t n)
{
	OPENSSL_cleanse(p, n);
}
