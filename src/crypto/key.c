/*
 * SM2 and Ed25519 signing keys: generation, PKCS#8 and SubjectPublicKeyInfo
 * PEM files, raw public keys, signing and verifying.
 *
 * SM2 signatures follow GB/T 32918.2: the signer hashes
 * ZA || message with SM3, where ZA binds the distinguishing ID and the
 * public key (see sm2_za). OpenSSL computes ZA itself once the ID is set
 * on the EVP_PKEY_CTX. OpenSSL reads and writes SM2 signatures as a DER
 * ECDSA-Sig-Value, and casetrail stores them as raw r||s, 32 bytes each,
 * so this file converts between the two.
 */
#include "common/common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "crypto/crypto.h"

/* Key files are a few hundred bytes, so a larger file is not a key. */
#define KEY_FILE_MAX (64 * 1024)
#define SM2_COORD_LEN 32
#define SM2_POINT_LEN (1 + 2 * SM2_COORD_LEN)
#define ED25519_KEY_LEN 32

struct key {
	enum key_type type;
	EVP_PKEY *pkey;
};

/*
 * Sets err to action, followed by OpenSSL's reason for the most recent
 * failure, and empties OpenSSL's error queue so that the next call starts
 * clean. Returns code.
 */
static int openssl_error(struct error *err, int code, const char *action)
{
	unsigned long e = ERR_peek_last_error();
	char reason[256] = "no reason given";

	if (e)
		ERR_error_string_n(e, reason, sizeof(reason));
	ERR_clear_error();
	return error_set(err, code, "%s: %s", action, reason);
}

static const char *key_type_name(enum key_type type)
{
	return type == KEY_SM2 ? "SM2" : "ED25519";
}

/* Wraps pkey in a new struct key, taking ownership of pkey. */
static int key_wrap(EVP_PKEY *pkey, enum key_type type, struct key **out,
		    struct error *err)
{
	struct key *k = calloc(1, sizeof(*k));

	if (!k) {
		EVP_PKEY_free(pkey);
		return error_set(err, CT_ENOMEM, "out of memory for a key");
	}
	k->type = type;
	k->pkey = pkey;
	*out = k;
	return 0;
}

/*
 * Classifies pkey as one of the two key types casetrail uses. SM2
 * keys must be on the SM2 curve, because sm2_za hashes that curve's
 * parameters.
 */
static int classify(EVP_PKEY *pkey, enum key_type *type, const char *source,
		    struct error *err)
{
	char group[64] = "";

	if (EVP_PKEY_is_a(pkey, "ED25519")) {
		*type = KEY_ED25519;
		return 0;
	}
	if (EVP_PKEY_is_a(pkey, "SM2") &&
	    EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
					   group, sizeof(group), NULL) == 1 &&
	    strcmp(group, "SM2") == 0) {
		*type = KEY_SM2;
		return 0;
	}
	ERR_clear_error();
	return error_set(err, CT_EINVAL,
			 "%s holds a %s key; casetrail signs only with SM2 (on the SM2 curve) or Ed25519 keys",
			 source, EVP_PKEY_get0_type_name(pkey));
}

int key_generate(enum key_type type, struct key **out, struct error *err)
{
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey = NULL;

	*out = NULL;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, key_type_name(type), NULL);
	if (!ctx || EVP_PKEY_keygen_init(ctx) != 1 ||
	    EVP_PKEY_generate(ctx, &pkey) != 1) {
		EVP_PKEY_CTX_free(ctx);
		return openssl_error(err, CT_ECRYPTO, "key generation failed");
	}
	EVP_PKEY_CTX_free(ctx);
	return key_wrap(pkey, type, out, err);
}

/* Writes all n bytes to fd, retrying after signals and short writes. */
static int write_all(int fd, const void *data, size_t n)
{
	const char *p = data;

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Makes the new directory entry of path durable. */
static int fsync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	int fd, rc;

	if (!slash) {
		dir[0] = '.';
		dir[1] = '\0';
	} else {
		size_t n = slash == path ? 1 : (size_t)(slash - path);

		if (n >= sizeof(dir))
			return -1;
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Creates path with mode 0600, never replacing a file, and writes data. */
static int write_new_file(const char *path, const void *data, size_t n,
			  struct error *err)
{
	int fd, saved;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0 && errno == EEXIST)
		return error_set(err, CT_EEXIST,
				 "key file '%s' exists already; move it away or choose another path",
				 path);
	if (fd < 0)
		return error_set(err, CT_EIO, "cannot create key file '%s': %s",
				 path, strerror(errno));

	if (write_all(fd, data, n) || fsync(fd)) {
		saved = errno;
		close(fd);
		unlink(path);
		return error_set(err, CT_EIO, "cannot write key file '%s': %s",
				 path, strerror(saved));
	}
	if (close(fd) || fsync_parent(path)) {
		saved = errno;
		unlink(path);
		return error_set(err, CT_EIO, "cannot sync key file '%s': %s",
				 path, strerror(saved));
	}
	return 0;
}

int key_save_private(const struct key *k, const char *path,
		     struct error *err)
{
	BIO *bio;
	char *pem;
	long len;
	int rc;

	/* A secure-memory BIO wipes the PEM text when it is freed. */
	bio = BIO_new(BIO_s_secmem());
	if (!bio || PEM_write_bio_PKCS8PrivateKey(bio, k->pkey, NULL, NULL, 0,
						  NULL, NULL) != 1) {
		BIO_free(bio);
		return openssl_error(err, CT_ECRYPTO,
				     "cannot encode the private key as PEM");
	}
	len = BIO_get_mem_data(bio, &pem);
	rc = write_new_file(path, pem, (size_t)len, err);
	BIO_free(bio);
	return rc;
}

/* Reads a whole key file of at most KEY_FILE_MAX bytes into buf. */
static int read_key_file(const char *path, char *buf, size_t *len,
			 struct error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;

	if (fd < 0)
		return error_set(err, errno == ENOENT ? CT_ENOTFOUND : CT_EIO,
				 "cannot open key file '%s': %s", path,
				 strerror(errno));
	for (;;) {
		ssize_t r = read(fd, buf + n, KEY_FILE_MAX - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int saved = errno;

			close(fd);
			return error_set(err, CT_EIO,
					 "cannot read key file '%s': %s", path,
					 strerror(saved));
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == KEY_FILE_MAX) {
			close(fd);
			return error_set(err, CT_ETOOBIG,
					 "key file '%s' is larger than %d bytes, so it is not a PEM key",
					 path, KEY_FILE_MAX);
		}
	}
	close(fd);
	*len = n;
	return 0;
}

/*
 * Declines to supply a passphrase, so that an encrypted PEM key fails to
 * load instead of prompting on the terminal.
 */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

int key_load_private(const char *path, struct key **out, struct error *err)
{
	char *text = OPENSSL_secure_malloc(KEY_FILE_MAX);
	EVP_PKEY *pkey = NULL;
	enum key_type type;
	BIO *bio = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (!text)
		return error_set(err, CT_ENOMEM, "out of memory for a key");
	rc = read_key_file(path, text, &len, err);
	if (rc)
		goto out_free_text;

	bio = BIO_new_mem_buf(text, (int)len);
	if (bio)
		pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	if (!pkey) {
		char action[PATH_MAX + 64];

		snprintf(action, sizeof(action),
			 "'%s' is not an unencrypted PEM private key", path);
		rc = openssl_error(err, CT_EINVAL, action);
		goto out_free_text;
	}
	rc = classify(pkey, &type, path, err);
	if (rc) {
		EVP_PKEY_free(pkey);
		goto out_free_text;
	}
	rc = key_wrap(pkey, type, out, err);

out_free_text:
	BIO_free(bio);
	OPENSSL_secure_clear_free(text, KEY_FILE_MAX);
	return rc;
}

int key_load_public_pem(const char *pem, size_t len, struct key **out,
			struct error *err)
{
	EVP_PKEY *pkey = NULL;
	enum key_type type;
	BIO *bio;
	int rc;

	*out = NULL;
	if (len > KEY_FILE_MAX)
		return error_set(err, CT_ETOOBIG,
				 "public key PEM of %zu bytes is larger than %d bytes",
				 len, KEY_FILE_MAX);
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio)
		pkey = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (!pkey)
		return openssl_error(err, CT_EINVAL,
				     "invalid PEM public key (expected a BEGIN PUBLIC KEY block)");
	rc = classify(pkey, &type, "the public key PEM", err);
	if (rc) {
		EVP_PKEY_free(pkey);
		return rc;
	}
	return key_wrap(pkey, type, out, err);
}

/* Checks that pkey is a valid public key, for keys built from raw bytes. */
static int check_public(EVP_PKEY *pkey, struct error *err)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	int ok = ctx && EVP_PKEY_public_check(ctx) == 1;

	EVP_PKEY_CTX_free(ctx);
	if (!ok)
		return openssl_error(err, CT_EINVAL,
				     "invalid SM2 public key point");
	return 0;
}

static EVP_PKEY *sm2_from_point(const uint8_t *raw, size_t len)
{
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey = NULL;

	params[0] = OSSL_PARAM_construct_utf8_string(
		OSSL_PKEY_PARAM_GROUP_NAME, (char *)"SM2", 0);
	params[1] = OSSL_PARAM_construct_octet_string(
		OSSL_PKEY_PARAM_PUB_KEY, (void *)raw, len);
	params[2] = OSSL_PARAM_construct_end();

	ctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

int key_load_public_raw(enum key_type type, const uint8_t *raw, size_t len,
			struct key **out, struct error *err)
{
	size_t want = type == KEY_SM2 ? SM2_POINT_LEN : ED25519_KEY_LEN;
	EVP_PKEY *pkey;
	int rc;

	*out = NULL;
	if (len != want || (type == KEY_SM2 && raw[0] != 0x04))
		return error_set(err, CT_EINVAL,
				 "raw %s public key has %zu bytes; expected %zu%s",
				 key_type_name(type), len, want,
				 type == KEY_SM2 ? " starting with 0x04" : "");
	if (type == KEY_SM2)
		pkey = sm2_from_point(raw, len);
	else
		pkey = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL,
						      raw, len);
	if (!pkey)
		return openssl_error(err, CT_EINVAL, "invalid raw public key");
	if (type == KEY_SM2) {
		rc = check_public(pkey, err);
		if (rc) {
			EVP_PKEY_free(pkey);
			return rc;
		}
	}
	return key_wrap(pkey, type, out, err);
}

int key_public_pem(const struct key *k, struct buf *out)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem;
	long len;
	int rc;

	if (!bio)
		return CT_ENOMEM;
	if (PEM_write_bio_PUBKEY(bio, k->pkey) != 1) {
		BIO_free(bio);
		ERR_clear_error();
		return CT_ECRYPTO;
	}
	len = BIO_get_mem_data(bio, &pem);
	rc = buf_append(out, pem, (size_t)len);
	BIO_free(bio);
	return rc;
}

static int sm2_public_raw(const struct key *k, uint8_t *out)
{
	BIGNUM *x = NULL, *y = NULL;
	int rc = CT_ECRYPTO;

	if (EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) != 1 ||
	    EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) != 1)
		goto out_free_coords;
	out[0] = 0x04;
	if (BN_bn2binpad(x, out + 1, SM2_COORD_LEN) != SM2_COORD_LEN ||
	    BN_bn2binpad(y, out + 1 + SM2_COORD_LEN, SM2_COORD_LEN) !=
		    SM2_COORD_LEN)
		goto out_free_coords;
	rc = SM2_POINT_LEN;

out_free_coords:
	BN_free(x);
	BN_free(y);
	ERR_clear_error();
	return rc;
}

int key_public_raw(const struct key *k, uint8_t *out, size_t max)
{
	size_t len = ED25519_KEY_LEN;

	if (k->type == KEY_SM2) {
		if (max < SM2_POINT_LEN)
			return CT_EINVAL;
		return sm2_public_raw(k, out);
	}
	if (max < ED25519_KEY_LEN)
		return CT_EINVAL;
	if (EVP_PKEY_get_raw_public_key(k->pkey, out, &len) != 1 ||
	    len != ED25519_KEY_LEN) {
		ERR_clear_error();
		return CT_ECRYPTO;
	}
	return (int)len;
}

enum key_type key_get_type(const struct key *k)
{
	return k->type;
}

/*
 * Sets up md for signing or verifying with k. For SM2 it also creates
 * *pctx with the distinguishing ID, which the caller frees after md
 * because md does not own it.
 */
static int digest_init(const struct key *k, bool sign, EVP_MD_CTX *md,
		       EVP_PKEY_CTX **pctx)
{
	const EVP_MD *digest = NULL;

	*pctx = NULL;
	if (k->type == KEY_SM2) {
		*pctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
		if (!*pctx ||
		    EVP_PKEY_CTX_set1_id(*pctx, SM2_DISTID,
					 strlen(SM2_DISTID)) != 1)
			return -1;
		EVP_MD_CTX_set_pkey_ctx(md, *pctx);
		digest = EVP_sm3();
	}
	if (sign)
		return EVP_DigestSignInit(md, NULL, digest, NULL, k->pkey) == 1
			       ? 0
			       : -1;
	return EVP_DigestVerifyInit(md, NULL, digest, NULL, k->pkey) == 1 ? 0
									  : -1;
}

/* Converts a DER ECDSA-Sig-Value into r||s, each left-padded to 32 bytes. */
static int der_to_raw(const uint8_t *der, size_t len, uint8_t out[SIG_MAX])
{
	const unsigned char *p = der;
	const BIGNUM *r, *s;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
	int rc = -1;

	if (!sig)
		return -1;
	ECDSA_SIG_get0(sig, &r, &s);
	if (p == der + len &&
	    BN_bn2binpad(r, out, SM2_COORD_LEN) == SM2_COORD_LEN &&
	    BN_bn2binpad(s, out + SM2_COORD_LEN, SM2_COORD_LEN) ==
		    SM2_COORD_LEN)
		rc = 0;
	ECDSA_SIG_free(sig);
	return rc;
}

/* Converts r||s into an allocated DER ECDSA-Sig-Value. */
static int raw_to_der(const uint8_t raw[SIG_MAX], unsigned char **der,
		      size_t *len)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, SM2_COORD_LEN, NULL);
	BIGNUM *s = BN_bin2bn(raw + SM2_COORD_LEN, SM2_COORD_LEN, NULL);
	int n;

	if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
		ECDSA_SIG_free(sig);
		BN_free(r);
		BN_free(s);
		return -1;
	}
	*der = NULL;
	n = i2d_ECDSA_SIG(sig, der);
	ECDSA_SIG_free(sig);
	if (n <= 0)
		return -1;
	*len = (size_t)n;
	return 0;
}

/* The DER form of an SM2 signature is at most 72 bytes. */
#define SM2_DER_MAX 80

int key_sign(const struct key *k, const void *msg, size_t len,
	     uint8_t sig[SIG_MAX], size_t *siglen, struct error *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t der[SM2_DER_MAX];
	size_t derlen = sizeof(der);
	int rc = 0;

	*siglen = 0;
	if (!md || digest_init(k, true, md, &pctx)) {
		rc = openssl_error(err, CT_ECRYPTO, "cannot start signing");
		goto out_free_ctx;
	}
	if (k->type == KEY_ED25519) {
		*siglen = SIG_MAX;
		if (EVP_DigestSign(md, sig, siglen, msg, len) != 1 ||
		    *siglen != SIG_MAX)
			rc = openssl_error(err, CT_ECRYPTO,
					   "Ed25519 signing failed");
		goto out_free_ctx;
	}
	if (EVP_DigestSign(md, der, &derlen, msg, len) != 1) {
		rc = openssl_error(err, CT_ECRYPTO, "SM2 signing failed");
		goto out_free_ctx;
	}
	if (der_to_raw(der, derlen, sig)) {
		rc = openssl_error(err, CT_ECRYPTO,
				   "OpenSSL returned an SM2 signature that is not a valid DER ECDSA-Sig-Value");
		goto out_free_ctx;
	}
	*siglen = SIG_MAX;

out_free_ctx:
	EVP_MD_CTX_free(md);
	EVP_PKEY_CTX_free(pctx);
	return rc;
}

int key_verify(const struct key *k, const void *msg, size_t len,
	       const uint8_t *sig, size_t siglen)
{
	EVP_MD_CTX *md = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *der = NULL;
	size_t derlen = siglen;
	int ok = 0;

	if (siglen != SIG_MAX)
		return CT_ECRYPTO;
	if (k->type == KEY_SM2 && raw_to_der(sig, &der, &derlen))
		goto out_free_ctx;
	md = EVP_MD_CTX_new();
	if (!md || digest_init(k, false, md, &pctx))
		goto out_free_ctx;
	ok = EVP_DigestVerify(md, der ? der : sig, derlen, msg, len) == 1;

out_free_ctx:
	EVP_MD_CTX_free(md);
	EVP_PKEY_CTX_free(pctx);
	OPENSSL_free(der);
	ERR_clear_error();
	return ok ? 0 : CT_ECRYPTO;
}

int sm2_sig_der(const uint8_t raw[SIG_MAX], uint8_t der[SM2_SIG_DER_MAX])
{
	unsigned char *p = NULL;
	size_t len = 0;
	int rc = CT_ECRYPTO;

	if (raw_to_der(raw, &p, &len) == 0 && len <= SM2_SIG_DER_MAX) {
		memcpy(der, p, len);
		rc = (int)len;
	}
	OPENSSL_free(p);
	ERR_clear_error();
	return rc;
}

int sm2_sig_raw(const uint8_t *der, size_t len, uint8_t raw[SIG_MAX])
{
	int rc = len <= SM2_SIG_DER_MAX && der_to_raw(der, len, raw) == 0
			 ? 0
			 : CT_EINVAL;

	ERR_clear_error();
	return rc;
}

int key_private_der(const struct key *k, uint8_t *der, size_t max)
{
	/* A secure-memory BIO wipes the encoding when it is freed. */
	BIO *bio = BIO_new(BIO_s_secmem());
	char *data;
	long len;
	int rc = CT_ECRYPTO;

	if (bio && i2d_PKCS8PrivateKey_bio(bio, k->pkey, NULL, NULL, 0, NULL,
					   NULL) == 1) {
		len = BIO_get_mem_data(bio, &data);
		if (len > 0 && (size_t)len <= max) {
			memcpy(der, data, (size_t)len);
			rc = (int)len;
		} else {
			rc = CT_ETOOBIG;
		}
	}
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

int key_load_private_der(const uint8_t *der, size_t len, struct key **out,
			 struct error *err)
{
	EVP_PKEY *pkey = NULL;
	enum key_type type;
	BIO *bio;
	int rc;

	*out = NULL;
	if (len > KEY_DER_MAX)
		return error_set(err, CT_EINVAL, "a private key of %zu bytes "
				 "is longer than %d bytes", len, KEY_DER_MAX);
	bio = BIO_new_mem_buf(der, (int)len);
	if (bio)
		pkey = d2i_PrivateKey_ex_bio(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (!pkey)
		return openssl_error(err, CT_EINVAL,
				     "not a PKCS#8 DER private key");
	rc = classify(pkey, &type, "the private key", err);
	if (rc) {
		EVP_PKEY_free(pkey);
		return rc;
	}
	return key_wrap(pkey, type, out, err);
}

/*
 * Parameters of the SM2 curve, GB/T 32918.5-2017 (identical to
 * GM/T 0003.5-2012): the coefficients a and b and the base point G.
 */
static const uint8_t sm2_curve[4][SM2_COORD_LEN] = {
	{ 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00,
	  0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfc },
	{ 0x28, 0xe9, 0xfa, 0x9e, 0x9d, 0x9f, 0x5e, 0x34, 0x4d, 0x5a, 0x9e,
	  0x4b, 0xcf, 0x65, 0x09, 0xa7, 0xf3, 0x97, 0x89, 0xf5, 0x15, 0xab,
	  0x8f, 0x92, 0xdd, 0xbc, 0xbd, 0x41, 0x4d, 0x94, 0x0e, 0x93 },
	{ 0x32, 0xc4, 0xae, 0x2c, 0x1f, 0x19, 0x81, 0x19, 0x5f, 0x99, 0x04,
	  0x46, 0x6a, 0x39, 0xc9, 0x94, 0x8f, 0xe3, 0x0b, 0xbf, 0xf2, 0x66,
	  0x0b, 0xe1, 0x71, 0x5a, 0x45, 0x89, 0x33, 0x4c, 0x74, 0xc7 },
	{ 0xbc, 0x37, 0x36, 0xa2, 0xf4, 0xf6, 0x77, 0x9c, 0x59, 0xbd, 0xce,
	  0xe3, 0x6b, 0x69, 0x21, 0x53, 0xd0, 0xa9, 0x87, 0x7c, 0xc6, 0x2a,
	  0x47, 0x40, 0x02, 0xdf, 0x32, 0xe5, 0x21, 0x39, 0xf0, 0xa0 },
};

int sm2_za(const struct key *k, const char *id, uint8_t out[HASH_LEN])
{
	size_t idlen = strlen(id);
	uint8_t point[SM2_POINT_LEN];
	uint8_t entl[2];
	struct hasher *h;

	/* ENTL is the bit length of the ID in two bytes. */
	if (k->type != KEY_SM2 || idlen > 0xffff / 8)
		return CT_EINVAL;
	if (key_public_raw(k, point, sizeof(point)) != SM2_POINT_LEN)
		return CT_ECRYPTO;
	h = hasher_new(HASH_SM3);
	if (!h)
		return CT_ENOMEM;

	entl[0] = (uint8_t)(idlen * 8 >> 8);
	entl[1] = (uint8_t)(idlen * 8);
	hasher_update(h, entl, sizeof(entl));
	hasher_update(h, id, idlen);
	for (size_t i = 0; i < ARRAY_SIZE(sm2_curve); i++)
		hasher_update(h, sm2_curve[i], SM2_COORD_LEN);
	hasher_update(h, point + 1, 2 * SM2_COORD_LEN);
	hasher_final(h, out);
	hasher_free(h);
	return 0;
}

void key_free(struct key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}
