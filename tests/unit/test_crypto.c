/*
 * Unit tests of the crypto module: SM3 and SHA-256 known answers, the
 * hash text form, base64, SM2 and Ed25519 keys against published vectors,
 * key files, and SM2 and Ed25519 signatures checked by the openssl command
 * in both directions. SM4-CTR and HMAC-SM3 against known answers, the key
 * derivation, and a staff signature checked with 'openssl pkeyutl'.
 */
#include "common/common.h"

#include <ftw.h>
#include <setjmp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "crypto/crypto.h"

/* Decodes lowercase or uppercase hex into out and returns the byte count. */
static size_t unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = strlen(hex) / 2;

	assert_true(n <= max);
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

static void assert_digest(enum hash_alg alg, const void *data, size_t len,
			  const char *hex)
{
	uint8_t want[HASH_LEN], got[HASH_LEN];

	assert_int_equal(unhex(hex, want, sizeof(want)), HASH_LEN);
	hash_buf(alg, data, len, got);
	assert_memory_equal(got, want, HASH_LEN);
}

/* The two example messages of GB/T 32905 (SM3). */
static void test_sm3_known_answers(void **state)
{
	char abcd16[65] = "";

	(void)state;
	assert_digest(HASH_SM3, "abc", 3,
		      "66c7f0f462eeedd9d1f2d46bdc10e4e2"
		      "4167c4875cf2f7a2297da02b8f4ba8e0");
	for (int i = 0; i < 16; i++)
		memcpy(abcd16 + 4 * i, "abcd", 4);
	assert_digest(HASH_SM3, abcd16, 64,
		      "debe9ff92275b8a138604889c18e5a4d"
		      "6fdb70e5387e5765293dcba39c0c5732");
}

/* The one- and two-block examples of FIPS 180-2 and the empty message. */
static void test_sha256_known_answers(void **state)
{
	static const char two_block[] =
		"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

	(void)state;
	assert_digest(HASH_SHA256, "abc", 3,
		      "ba7816bf8f01cfea414140de5dae2223"
		      "b00361a396177a9cb410ff61f20015ad");
	assert_digest(HASH_SHA256, two_block, strlen(two_block),
		      "248d6a61d20638b8e5c026930c3e6039"
		      "a33ce45964ff2167f6ecedd419db06c1");
	assert_digest(HASH_SHA256, "", 0,
		      "e3b0c44298fc1c149afbf4c8996fb924"
		      "27ae41e4649b934ca495991b7852b855");
}

static void test_hasher_streaming_matches_one_shot(void **state)
{
	static const enum hash_alg algs[] = { HASH_SM3, HASH_SHA256 };
	uint8_t data[1000], one_shot[HASH_LEN], streamed[HASH_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	for (size_t a = 0; a < ARRAY_SIZE(algs); a++) {
		struct hasher *h = hasher_new(algs[a]);

		assert_non_null(h);
		hash_buf(algs[a], data, sizeof(data), one_shot);

		/* Uneven pieces, then the same hasher again after final. */
		for (int round = 0; round < 2; round++) {
			size_t pos = 0, piece = 1;

			while (pos < sizeof(data)) {
				size_t n = sizeof(data) - pos < piece
						   ? sizeof(data) - pos
						   : piece;

				hasher_update(h, data + pos, n);
				pos += n;
				piece = piece * 3 % 97 + 1;
			}
			hasher_final(h, streamed);
			assert_memory_equal(streamed, one_shot, HASH_LEN);
		}
		hasher_free(h);
	}
	hasher_free(NULL);
}

static void test_hash_alg_names(void **state)
{
	enum hash_alg alg = 0;

	(void)state;
	assert_string_equal(hash_alg_name(HASH_SM3), "sm3");
	assert_string_equal(hash_alg_name(HASH_SHA256), "sha256");
	assert_int_equal(hash_alg_parse("sm3", &alg), 0);
	assert_int_equal(alg, HASH_SM3);
	assert_int_equal(hash_alg_parse("sha256", &alg), 0);
	assert_int_equal(alg, HASH_SHA256);
	assert_int_equal(hash_alg_parse("SM3", &alg), CT_EINVAL);
	assert_int_equal(hash_alg_parse("sha-256", &alg), CT_EINVAL);
	assert_int_equal(hash_alg_parse("", &alg), CT_EINVAL);
}

static void test_hash_text_round_trip(void **state)
{
	static const enum hash_alg algs[] = { HASH_SM3, HASH_SHA256 };
	uint8_t digest[HASH_LEN], parsed[HASH_LEN];
	char text[HASH_TEXT_MAX];
	enum hash_alg alg = 0;

	(void)state;
	for (size_t a = 0; a < ARRAY_SIZE(algs); a++) {
		hash_buf(algs[a], "casetrail", 9, digest);
		hash_format(algs[a], digest, text);
		assert_int_equal(strlen(text),
				 strlen(hash_alg_name(algs[a])) + 1 + 64);
		assert_int_equal(hash_parse(text, &alg, parsed), 0);
		assert_int_equal(alg, algs[a]);
		assert_memory_equal(parsed, digest, HASH_LEN);
	}
	hash_buf(HASH_SM3, "abc", 3, digest);
	hash_format(HASH_SM3, digest, text);
	assert_string_equal(text, "sm3:66c7f0f462eeedd9d1f2d46bdc10e4e2"
				  "4167c4875cf2f7a2297da02b8f4ba8e0");
}

static void test_hash_parse_rejects(void **state)
{
	static const char *const bad[] = {
		/* uppercase hex */
		"sm3:66C7F0F462EEEDD9D1F2D46BDC10E4E24167C4875CF2F7A2297DA02B8F4BA8E0",
		/* 63 digits */
		"sm3:66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e",
		/* 65 digits */
		"sm3:66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e00",
		/* unknown algorithm */
		"md5:66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
		"SM3:66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
		/* no prefix */
		"66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
		/* a non-hex digit */
		"sha256:g6c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
		/* space after the colon */
		"sm3: 6c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
		"",
		"sm3:",
	};
	uint8_t out[HASH_LEN];
	enum hash_alg alg;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		print_message("case %zu: '%s'\n", i, bad[i]);
		assert_int_equal(hash_parse(bad[i], &alg, out), CT_EINVAL);
	}
}

/* RFC 4648, section 10. */
static void test_base64_known_answers(void **state)
{
	static const char *const pairs[][2] = {
		{ "", "" },		{ "f", "Zg==" },
		{ "fo", "Zm8=" },	{ "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" },
	};
	uint8_t out[16];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(pairs); i++) {
		struct buf b = BUF_INIT_MAX(1024);
		size_t len = strlen(pairs[i][0]);

		assert_int_equal(base64_encode(pairs[i][0], len, &b), 0);
		assert_int_equal(b.len, strlen(pairs[i][1]));
		if (b.len)
			assert_string_equal(b.data, pairs[i][1]);
		assert_int_equal(base64_decode(pairs[i][1], strlen(pairs[i][1]),
					       out, sizeof(out)),
				 (long)len);
		assert_memory_equal(out, pairs[i][0], len);
		buf_release(&b);
	}
}

static void test_base64_round_trip(void **state)
{
	uint8_t data[100], out[100];

	(void)state;
	assert_int_equal(crypto_random(data, sizeof(data)), 0);
	for (size_t len = 0; len <= sizeof(data); len++) {
		struct buf b = BUF_INIT_MAX(1024);

		assert_int_equal(base64_encode(data, len, &b), 0);
		assert_int_equal(b.len, (len + 2) / 3 * 4);
		assert_int_equal(base64_decode(b.data ? b.data : "", b.len, out,
					       sizeof(out)),
				 (long)len);
		assert_memory_equal(out, data, len);
		buf_release(&b);
	}
}

static void test_base64_rejects(void **state)
{
	static const char *const bad[] = {
		"Zg=",	    /* length not a multiple of four */
		"Zg",	    /* missing padding */
		"Zh==",	    /* padding bits not zero */
		"Zm9=",	    /* padding bits not zero */
		"Z===",	    /* three padding characters */
		"Zg==Zg==", /* padding in the middle */
		"Zm=v",	    /* padding before data */
		"Zm9v\n",   /* newline */
		"Zm 9v",    /* space */
		"Zm9v====", /* a group of padding only */
		"Zm9-",	    /* URL-safe alphabet */
		"Zm9_",
	};
	uint8_t out[16];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		print_message("case %zu: '%s'\n", i, bad[i]);
		assert_int_equal(base64_decode(bad[i], strlen(bad[i]), out,
					       sizeof(out)),
				 CT_EINVAL);
	}
	/* Output larger than the room given. */
	assert_int_equal(base64_decode("Zm9vYmFy", 8, out, 5), CT_EINVAL);
	assert_int_equal(base64_decode("Zm9vYmFy", 8, out, 6), 6);
}

static void test_random_and_wipe(void **state)
{
	uint8_t a[32], b[32], zero[32] = { 0 };

	(void)state;
	assert_int_equal(crypto_random(a, sizeof(a)), 0);
	assert_int_equal(crypto_random(b, sizeof(b)), 0);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(crypto_random(a, 0), 0);
	crypto_wipe(a, sizeof(a));
	assert_memory_equal(a, zero, sizeof(a));
}

/*
 * The SM2 signature example of GM/T 0003.5-2012 (GB/T 32918.5-2017),
 * annex A, on the SM2 curve with the ID "1234567812345678": private key,
 * public key, message "message digest", ZA, e = SM3(ZA || M) and the
 * signature (r, s). OpenSSL's test/sm2_internal_test.c checks the same
 * private key, nonce and (r, s).
 */
static const char sm2_vector_d[] =
	"3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8";
static const char sm2_vector_point[] =
	"04"
	"09f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020"
	"ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13";
static const char sm2_vector_za[] =
	"b2e14c5c79c6df5b85f4fe7ed8db7a262b9da7e07ccb0ea9f4747b8ccda8a4f3";
static const char sm2_vector_e[] =
	"f0b43e94ba45accaace692ed534382eb17e6ab5a19ce7b31f4486fdfc0d28640";
static const char sm2_vector_sig[] =
	"f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3"
	"b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa";
static const char sm2_vector_msg[] = "message digest";

static struct key *load_raw(enum key_type type, const char *hex)
{
	uint8_t raw[80];
	size_t n = unhex(hex, raw, sizeof(raw));
	struct error err = { 0 };
	struct key *k = NULL;

	assert_int_equal(key_load_public_raw(type, raw, n, &k, &err), 0);
	assert_non_null(k);
	return k;
}

static void test_sm2_za_known_answer(void **state)
{
	struct key *k = load_raw(KEY_SM2, sm2_vector_point);
	uint8_t za[HASH_LEN], want[HASH_LEN], e[HASH_LEN];
	uint8_t za_msg[HASH_LEN + sizeof(sm2_vector_msg) - 1];

	(void)state;
	assert_int_equal(sm2_za(k, SM2_DISTID, za), 0);
	unhex(sm2_vector_za, want, sizeof(want));
	assert_memory_equal(za, want, HASH_LEN);

	memcpy(za_msg, za, HASH_LEN);
	memcpy(za_msg + HASH_LEN, sm2_vector_msg, sizeof(sm2_vector_msg) - 1);
	hash_buf(HASH_SM3, za_msg, sizeof(za_msg), e);
	unhex(sm2_vector_e, want, sizeof(want));
	assert_memory_equal(e, want, HASH_LEN);

	/* Another ID gives another ZA. */
	assert_int_equal(sm2_za(k, "ALICE123@YAHOO.COM", e), 0);
	assert_memory_not_equal(e, za, HASH_LEN);
	key_free(k);
}

static void test_sm2_verify_published_signature(void **state)
{
	struct key *k = load_raw(KEY_SM2, sm2_vector_point);
	size_t msglen = strlen(sm2_vector_msg);
	uint8_t sig[SIG_MAX];

	(void)state;
	assert_int_equal(unhex(sm2_vector_sig, sig, sizeof(sig)), SIG_MAX);
	assert_int_equal(key_verify(k, sm2_vector_msg, msglen, sig, SIG_MAX),
			 0);

	sig[63] ^= 0x01;
	assert_int_equal(key_verify(k, sm2_vector_msg, msglen, sig, SIG_MAX),
			 CT_ECRYPTO);
	sig[63] ^= 0x01;
	assert_int_equal(key_verify(k, "message digesT", msglen, sig,
				    SIG_MAX),
			 CT_ECRYPTO);
	assert_int_equal(key_verify(k, sm2_vector_msg, msglen, sig, 63),
			 CT_ECRYPTO);
	key_free(k);
}

/* Temporary directory for key files, removed by teardown. */
static char tmpdir[64];

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ct-test-crypto-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int remove_tmpdir(void **state)
{
	(void)state;
	return nftw(tmpdir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void tmp_path(char *out, size_t max, const char *name)
{
	snprintf(out, max, "%s/%s", tmpdir, name);
}

/* Writes der as a PEM block of the given label to path. */
static void write_pem(const char *path, const char *label, const uint8_t *der,
		      size_t len)
{
	struct buf b64 = BUF_INIT_MAX(4096);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(base64_encode(der, len, &b64), 0);
	fprintf(f, "-----BEGIN %s-----\n", label);
	for (size_t i = 0; i < b64.len; i += 64)
		fprintf(f, "%.*s\n", (int)(b64.len - i < 64 ? b64.len - i : 64),
			b64.data + i);
	fprintf(f, "-----END %s-----\n", label);
	assert_int_equal(fclose(f), 0);
	buf_release(&b64);
}

/*
 * Writes the PKCS#8 PEM of the SM2 private key d with public point to
 * path: an ECPrivateKey on the SM2 curve (OID 1.2.156.10197.1.301) inside
 * a PrivateKeyInfo with algorithm id-ecPublicKey.
 */
static void write_sm2_pkcs8(const char *path, const char *d_hex,
			    const char *point_hex)
{
	static const uint8_t head[] = {
		0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07,
		0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
		0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d, 0x04, 0x6d, 0x30,
		0x6b, 0x02, 0x01, 0x01, 0x04, 0x20,
	};
	static const uint8_t mid[] = { 0xa1, 0x44, 0x03, 0x42, 0x00 };
	uint8_t der[sizeof(head) + 32 + sizeof(mid) + 65];
	size_t n = 0;

	memcpy(der, head, sizeof(head));
	n += sizeof(head);
	n += unhex(d_hex, der + n, 32);
	memcpy(der + n, mid, sizeof(mid));
	n += sizeof(mid);
	n += unhex(point_hex, der + n, 65);
	assert_int_equal(n, sizeof(der));
	write_pem(path, "PRIVATE KEY", der, n);
}

/* Writes the PKCS#8 PEM of the Ed25519 private key with this seed. */
static void write_ed25519_pkcs8(const char *path, const uint8_t seed[32])
{
	static const uint8_t head[] = {
		0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
		0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
	};
	uint8_t der[sizeof(head) + 32];

	memcpy(der, head, sizeof(head));
	memcpy(der + sizeof(head), seed, 32);
	write_pem(path, "PRIVATE KEY", der, sizeof(der));
}

static void test_sm2_published_private_key(void **state)
{
	struct error err = { 0 };
	struct key *k = NULL, *pub = load_raw(KEY_SM2, sm2_vector_point);
	uint8_t raw[80], want[65], sig[SIG_MAX];
	size_t siglen = 0;
	char path[128];

	(void)state;
	tmp_path(path, sizeof(path), "vector-sm2.pem");
	write_sm2_pkcs8(path, sm2_vector_d, sm2_vector_point);
	assert_int_equal(key_load_private(path, &k, &err), 0);
	assert_int_equal(key_get_type(k), KEY_SM2);
	assert_int_equal(key_public_raw(k, raw, sizeof(raw)), 65);
	unhex(sm2_vector_point, want, sizeof(want));
	assert_memory_equal(raw, want, 65);

	/* A fresh signature by the private key verifies under the public. */
	assert_int_equal(key_sign(k, "message digest", 14, sig, &siglen, &err),
			 0);
	assert_int_equal(siglen, SIG_MAX);
	assert_int_equal(key_verify(pub, "message digest", 14, sig, siglen),
			 0);
	key_free(k);
	key_free(pub);
}

static void check_sign_verify(enum key_type type)
{
	static const char msg[] = "localhost/casetrail/s1/sm3\n42\n";
	struct error err = { 0 };
	struct key *k = NULL, *other = NULL;
	uint8_t sig[SIG_MAX];
	size_t siglen = 0;

	assert_int_equal(key_generate(type, &k, &err), 0);
	assert_int_equal(key_generate(type, &other, &err), 0);
	assert_int_equal(key_get_type(k), type);
	assert_int_equal(key_sign(k, msg, strlen(msg), sig, &siglen, &err), 0);
	assert_int_equal(siglen, 64);
	assert_int_equal(key_verify(k, msg, strlen(msg), sig, siglen), 0);

	/* Every single flipped bit of the signature must be caught. */
	for (size_t bit = 0; bit < 8 * siglen; bit++) {
		sig[bit / 8] ^= (uint8_t)(1u << bit % 8);
		assert_int_equal(key_verify(k, msg, strlen(msg), sig, siglen),
				 CT_ECRYPTO);
		sig[bit / 8] ^= (uint8_t)(1u << bit % 8);
	}
	assert_int_equal(key_verify(k, msg, strlen(msg) - 1, sig, siglen),
			 CT_ECRYPTO);
	assert_int_equal(key_verify(other, msg, strlen(msg), sig, siglen),
			 CT_ECRYPTO);
	key_free(k);
	key_free(other);
}

static void test_sm2_sign_verify_round_trip(void **state)
{
	(void)state;
	check_sign_verify(KEY_SM2);
}

static void test_ed25519_sign_verify_round_trip(void **state)
{
	(void)state;
	check_sign_verify(KEY_ED25519);
}

/* RFC 8032, section 7.1, tests 1 and 2. */
static void test_ed25519_rfc8032_vectors(void **state)
{
	static const struct {
		const char *seed, *pub, *msg, *sig;
	} vectors[] = {
		{ "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
		  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
		  "",
		  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
		  "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
		{ "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
		  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
		  "72",
		  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
		  "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(vectors); i++) {
		uint8_t seed[32], pub[32], msg[8], want[64], raw[32],
			sig[SIG_MAX];
		size_t msglen = unhex(vectors[i].msg, msg, sizeof(msg));
		struct error err = { 0 };
		struct key *k = NULL, *verifier;
		size_t siglen = 0;
		char path[128];

		unhex(vectors[i].seed, seed, sizeof(seed));
		unhex(vectors[i].pub, pub, sizeof(pub));
		unhex(vectors[i].sig, want, sizeof(want));
		snprintf(path, sizeof(path), "%s/rfc8032-%zu.pem", tmpdir, i);
		write_ed25519_pkcs8(path, seed);

		assert_int_equal(key_load_private(path, &k, &err), 0);
		assert_int_equal(key_get_type(k), KEY_ED25519);
		assert_int_equal(key_public_raw(k, raw, sizeof(raw)), 32);
		assert_memory_equal(raw, pub, 32);
		assert_int_equal(key_sign(k, msg, msglen, sig, &siglen, &err),
				 0);
		assert_memory_equal(sig, want, 64);

		verifier = load_raw(KEY_ED25519, vectors[i].pub);
		assert_int_equal(key_verify(verifier, msg, msglen, want, 64),
				 0);
		want[0] ^= 0x80;
		assert_int_equal(key_verify(verifier, msg, msglen, want, 64),
				 CT_ECRYPTO);
		key_free(verifier);
		key_free(k);
	}
}

static void check_key_file_round_trip(enum key_type type, const char *name)
{
	struct error err = { 0 };
	struct key *k = NULL, *loaded = NULL;
	uint8_t raw1[80], raw2[80], sig[SIG_MAX];
	size_t siglen = 0;
	struct stat st;
	char path[128];
	int n1, n2;

	tmp_path(path, sizeof(path), name);
	assert_int_equal(key_generate(type, &k, &err), 0);
	assert_int_equal(key_save_private(k, path, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	assert_int_equal(key_load_private(path, &loaded, &err), 0);
	assert_int_equal(key_get_type(loaded), type);
	n1 = key_public_raw(k, raw1, sizeof(raw1));
	n2 = key_public_raw(loaded, raw2, sizeof(raw2));
	assert_int_equal(n1, type == KEY_SM2 ? 65 : 32);
	assert_int_equal(n2, n1);
	assert_memory_equal(raw1, raw2, (size_t)n1);
	assert_int_equal(key_sign(loaded, "x", 1, sig, &siglen, &err), 0);
	assert_int_equal(key_verify(k, "x", 1, sig, siglen), 0);

	/* A second save must not replace the file. */
	key_free(loaded);
	assert_int_equal(key_generate(type, &loaded, &err), 0);
	assert_int_equal(key_save_private(loaded, path, &err), CT_EEXIST);
	assert_non_null(strstr(err.msg, path));
	key_free(loaded);
	loaded = NULL;
	error_clear(&err);
	assert_int_equal(key_load_private(path, &loaded, &err), 0);
	assert_int_equal(key_public_raw(loaded, raw2, sizeof(raw2)), n1);
	assert_memory_equal(raw1, raw2, (size_t)n1);
	key_free(loaded);
	key_free(k);
}

static void test_key_file_round_trip(void **state)
{
	(void)state;
	check_key_file_round_trip(KEY_SM2, "sm2.pem");
	check_key_file_round_trip(KEY_ED25519, "ed25519.pem");
	key_free(NULL);
}

static void test_key_public_pem_round_trip(void **state)
{
	static const enum key_type types[] = { KEY_SM2, KEY_ED25519 };

	(void)state;
	for (size_t t = 0; t < ARRAY_SIZE(types); t++) {
		struct buf pem = BUF_INIT_MAX(4096);
		struct error err = { 0 };
		struct key *k = NULL, *pub = NULL;
		uint8_t raw1[80], raw2[80], sig[SIG_MAX];
		size_t siglen = 0;
		int n;

		assert_int_equal(key_generate(types[t], &k, &err), 0);
		assert_int_equal(key_public_pem(k, &pem), 0);
		assert_non_null(strstr(pem.data, "-----BEGIN PUBLIC KEY-----"));
		assert_int_equal(key_load_public_pem(pem.data, pem.len, &pub,
						     &err),
				 0);
		n = key_public_raw(k, raw1, sizeof(raw1));
		assert_int_equal(key_public_raw(pub, raw2, sizeof(raw2)), n);
		assert_memory_equal(raw1, raw2, (size_t)n);
		assert_int_equal(key_sign(k, "m", 1, sig, &siglen, &err), 0);
		assert_int_equal(key_verify(pub, "m", 1, sig, siglen), 0);

		/* A public key cannot sign. */
		assert_int_equal(key_sign(pub, "m", 1, sig, &siglen, &err),
				 CT_ECRYPTO);
		assert_int_equal(key_public_raw(k, raw1, n - 1), CT_EINVAL);
		key_free(pub);
		key_free(k);
		buf_release(&pem);
	}
}

/* Writes a P-256 key, which casetrail must reject, to path as PKCS#8. */
static void write_p256_key(const char *path)
{
	EVP_PKEY *pkey = EVP_EC_gen("P-256");
	FILE *f = fopen(path, "w");

	assert_non_null(pkey);
	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL,
					      NULL),
			 1);
	assert_int_equal(fclose(f), 0);
	EVP_PKEY_free(pkey);
}

static void test_key_load_rejects(void **state)
{
	struct error err = { 0 };
	struct key *k = (struct key *)1;
	char path[128];
	FILE *f;

	(void)state;
	tmp_path(path, sizeof(path), "missing.pem");
	assert_int_equal(key_load_private(path, &k, &err), CT_ENOTFOUND);
	assert_null(k);
	assert_non_null(strstr(err.msg, "missing.pem"));

	tmp_path(path, sizeof(path), "garbage.pem");
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
	      f);
	assert_int_equal(fclose(f), 0);
	error_clear(&err);
	assert_int_equal(key_load_private(path, &k, &err), CT_EINVAL);
	assert_non_null(strstr(err.msg, "garbage.pem"));

	tmp_path(path, sizeof(path), "p256.pem");
	write_p256_key(path);
	error_clear(&err);
	assert_int_equal(key_load_private(path, &k, &err), CT_EINVAL);
	assert_non_null(strstr(err.msg, "SM2"));

	error_clear(&err);
	assert_int_equal(key_load_public_pem("not a key", 9, &k, &err),
			 CT_EINVAL);
	assert_null(k);
}

static void test_key_load_public_raw_rejects(void **state)
{
	uint8_t point[65];
	struct error err = { 0 };
	struct key *k = NULL;

	(void)state;
	unhex(sm2_vector_point, point, sizeof(point));
	assert_int_equal(key_load_public_raw(KEY_SM2, point, 64, &k, &err),
			 CT_EINVAL);
	assert_null(k);
	assert_int_equal(key_load_public_raw(KEY_ED25519, point, 33, &k, &err),
			 CT_EINVAL);

	/* A compressed-point prefix. */
	point[0] = 0x02;
	error_clear(&err);
	assert_int_equal(key_load_public_raw(KEY_SM2, point, 65, &k, &err),
			 CT_EINVAL);

	/* A point off the curve. */
	point[0] = 0x04;
	point[64] ^= 0x01;
	error_clear(&err);
	assert_int_equal(key_load_public_raw(KEY_SM2, point, 65, &k, &err),
			 CT_EINVAL);
	assert_null(k);
}

static bool have_openssl_command(void)
{
	return system("openssl version >/dev/null 2>&1") == 0;
}

/* Runs a shell command line and returns its exit status. */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	status = system(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static size_t read_file(const char *path, uint8_t *out, size_t max)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	assert_non_null(f);
	n = fread(out, 1, max, f);
	assert_int_equal(fclose(f), 0);
	return n;
}

/* Writes r||s as a DER ECDSA-Sig-Value to path. */
static void write_der_sig(const char *path, const uint8_t raw[64])
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	unsigned char *der = NULL;
	int n;

	assert_non_null(sig);
	assert_int_equal(ECDSA_SIG_set0(sig, BN_bin2bn(raw, 32, NULL),
					BN_bin2bn(raw + 32, 32, NULL)),
			 1);
	n = i2d_ECDSA_SIG(sig, &der);
	assert_true(n > 0);
	write_file(path, der, (size_t)n);
	OPENSSL_free(der);
	ECDSA_SIG_free(sig);
}

/* Reads a DER ECDSA-Sig-Value from path as r||s. */
static void read_der_sig(const char *path, uint8_t raw[64])
{
	uint8_t der[128];
	size_t n = read_file(path, der, sizeof(der));
	const unsigned char *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)n);

	assert_non_null(sig);
	assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw, 32), 32);
	assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw + 32, 32),
			 32);
	ECDSA_SIG_free(sig);
}

/* Saves a new key's private and public PEM files into the temp dir. */
static struct key *cli_key(enum key_type type, const char *priv,
			   const char *pub)
{
	struct buf pem = BUF_INIT_MAX(4096);
	struct error err = { 0 };
	struct key *k = NULL;

	assert_int_equal(key_generate(type, &k, &err), 0);
	assert_int_equal(key_save_private(k, priv, &err), 0);
	assert_int_equal(key_public_pem(k, &pem), 0);
	write_file(pub, pem.data, pem.len);
	buf_release(&pem);
	return k;
}

/*
 * SM2 signatures checked by OpenSSL 3's command line tool, whose dgst
 * command takes the distinguishing ID as -sigopt distid:<ID>.
 */
static void test_sm2_openssl_command_cross_check(void **state)
{
	static const char msg[] = "localhost/casetrail/s1/sm3\n7\n";
	char priv[128], pub[128], msgpath[128], sigpath[128];
	struct error err = { 0 };
	uint8_t sig[SIG_MAX];
	size_t siglen = 0;
	struct key *k;

	(void)state;
	if (!have_openssl_command())
		skip();
	tmp_path(priv, sizeof(priv), "cli-sm2.pem");
	tmp_path(pub, sizeof(pub), "cli-sm2.pub.pem");
	tmp_path(msgpath, sizeof(msgpath), "cli-sm2.msg");
	tmp_path(sigpath, sizeof(sigpath), "cli-sm2.sig");
	k = cli_key(KEY_SM2, priv, pub);
	write_file(msgpath, msg, strlen(msg));

	/* Signed here, verified by openssl. */
	assert_int_equal(key_sign(k, msg, strlen(msg), sig, &siglen, &err), 0);
	write_der_sig(sigpath, sig);
	assert_int_equal(run("openssl dgst -sm3 -sigopt distid:%s -verify %s "
			     "-signature %s %s >/dev/null",
			     SM2_DISTID, pub, sigpath, msgpath),
			 0);
	/* openssl must fail it under another ID, or the check proves nothing. */
	assert_int_not_equal(run("openssl dgst -sm3 -sigopt distid:x -verify "
				 "%s -signature %s %s >/dev/null 2>&1",
				 pub, sigpath, msgpath),
			     0);

	/* Signed by openssl, verified here. */
	assert_int_equal(run("openssl dgst -sm3 -sigopt distid:%s -sign %s "
			     "-out %s %s",
			     SM2_DISTID, priv, sigpath, msgpath),
			 0);
	read_der_sig(sigpath, sig);
	assert_int_equal(key_verify(k, msg, strlen(msg), sig, SIG_MAX), 0);
	assert_int_equal(key_verify(k, msg, strlen(msg) - 1, sig, SIG_MAX),
			 CT_ECRYPTO);
	key_free(k);
}

static void test_ed25519_openssl_command_cross_check(void **state)
{
	static const char msg[] = "localhost/casetrail/s1/sha256\n7\n";
	char priv[128], pub[128], msgpath[128], sigpath[128];
	struct error err = { 0 };
	uint8_t sig[SIG_MAX];
	size_t siglen = 0;
	struct key *k;

	(void)state;
	if (!have_openssl_command())
		skip();
	tmp_path(priv, sizeof(priv), "cli-ed.pem");
	tmp_path(pub, sizeof(pub), "cli-ed.pub.pem");
	tmp_path(msgpath, sizeof(msgpath), "cli-ed.msg");
	tmp_path(sigpath, sizeof(sigpath), "cli-ed.sig");
	k = cli_key(KEY_ED25519, priv, pub);
	write_file(msgpath, msg, strlen(msg));

	assert_int_equal(key_sign(k, msg, strlen(msg), sig, &siglen, &err), 0);
	write_file(sigpath, sig, siglen);
	assert_int_equal(run("openssl pkeyutl -verify -rawin -pubin -inkey %s "
			     "-in %s -sigfile %s >/dev/null",
			     pub, msgpath, sigpath),
			 0);

	assert_int_equal(run("openssl pkeyutl -sign -rawin -inkey %s -in %s "
			     "-out %s",
			     priv, msgpath, sigpath),
			 0);
	assert_int_equal(read_file(sigpath, sig, sizeof(sig)), 64);
	assert_int_equal(key_verify(k, msg, strlen(msg), sig, 64), 0);
	key_free(k);
}

/* GB/T 32907 appendix A.1: the first counter block is the IV itself. */
static void test_sm4_ctr_known_answers(void **state)
{
	static const char text[] = "casetrail SM4-CTR: two blocks and a tail.";
	uint8_t key[SM4_KEY_LEN], iv[SM4_IV_LEN], want[64], buf[64];
	uint8_t zero[16] = { 0 };
	size_t n;

	(void)state;
	unhex("0123456789abcdeffedcba9876543210", key, sizeof(key));
	memcpy(iv, key, sizeof(iv));
	unhex("681edf34d206965e86b3e94f536e4246", want, sizeof(want));
	assert_int_equal(sm4_ctr(key, iv, zero, sizeof(zero), buf), 0);
	assert_memory_equal(buf, want, 16);

	/* Two blocks and a tail, as 'openssl enc -sm4-ctr' gives them. */
	unhex("000102030405060708090a0b0c0d0e0f", key, sizeof(key));
	unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", iv, sizeof(iv));
	n = unhex("2d1f5a279501b2fadaafc3995778106f24f554c12f2de6e3450a820964"
		  "0085545ba3b0256cb6df541a", want, sizeof(want));
	assert_int_equal(n, strlen(text));
	assert_int_equal(sm4_ctr(key, iv, text, n, buf), 0);
	assert_memory_equal(buf, want, n);
	/* In place, and back: counter mode is its own inverse. */
	assert_int_equal(sm4_ctr(key, iv, buf, n, buf), 0);
	assert_memory_equal(buf, text, n);
}

static void test_hmac_sm3(void **state)
{
	static const char fox[] = "The quick brown fox jumps over the lazy dog";
	uint8_t want[HMAC_SM3_LEN], got[HMAC_SM3_LEN], key[32];
	struct crypto_part one[] = { { fox, strlen(fox) } };
	struct crypto_part three[] = { { fox, 4 }, { "", 0 },
				       { fox + 4, strlen(fox) - 4 } };

	(void)state;
	/* From 'openssl mac -digest SM3 -macopt key:key HMAC'. */
	unhex("bd4a34077888162b210645b8ebf74b9af357303789357a27c7fc457244eb"
	      "d398", want, sizeof(want));
	assert_int_equal(hmac_sm3("key", 3, one, 1, got), 0);
	assert_memory_equal(got, want, HMAC_SM3_LEN);
	assert_int_equal(hmac_sm3("key", 3, three, 3, got), 0);
	assert_memory_equal(got, want, HMAC_SM3_LEN);
	assert_true(crypto_equal(got, want, HMAC_SM3_LEN));
	got[31] ^= 1;
	assert_false(crypto_equal(got, want, HMAC_SM3_LEN));

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	unhex("a8f95cf26f204957e7ca73c9602a25dda35f168b28103b51dfc968c81041"
	      "6b63", want, sizeof(want));
	one[0] = (struct crypto_part){ "abc", 3 };
	assert_int_equal(hmac_sm3(key, sizeof(key), one, 1, got), 0);
	assert_memory_equal(got, want, HMAC_SM3_LEN);
}

static void test_crypto_derive(void **state)
{
	uint8_t a[48], b[48], c[48], mac[HMAC_SM3_LEN];
	struct crypto_part label[] = { { "use a\x01", 6 } };

	(void)state;
	assert_int_equal(crypto_derive("secret", 6, "use a", a, sizeof(a)), 0);
	assert_int_equal(crypto_derive("secret", 6, "use a", b, sizeof(b)), 0);
	assert_memory_equal(a, b, sizeof(a));
	/* The first block is HMAC-SM3(secret, label || 0x01). */
	assert_int_equal(hmac_sm3("secret", 6, label, 1, mac), 0);
	assert_memory_equal(a, mac, HMAC_SM3_LEN);
	assert_int_equal(crypto_derive("secret", 6, "use b", c, sizeof(c)), 0);
	assert_memory_not_equal(a, c, sizeof(a));
	assert_int_equal(crypto_derive("secreT", 6, "use a", c, sizeof(c)), 0);
	assert_memory_not_equal(a, c, sizeof(a));
	assert_int_equal(crypto_derive("secret", 6, "use a", c, 65), CT_EINVAL);
}

static void test_sm2_sig_der_and_private_der(void **state)
{
	static const char msg[] = "casetrail-signature/v1\n";
	uint8_t der[SM2_SIG_DER_MAX + 1], raw[SIG_MAX], back[SIG_MAX];
	uint8_t pkey[KEY_DER_MAX], pub1[80], pub2[80];
	struct error err = { 0 };
	struct key *k = NULL, *k2 = NULL;
	size_t siglen;
	int n;

	(void)state;
	assert_int_equal(key_generate(KEY_SM2, &k, &err), 0);
	assert_int_equal(key_sign(k, msg, strlen(msg), raw, &siglen, &err), 0);
	n = sm2_sig_der(raw, der);
	assert_true(n > 8 && n <= SM2_SIG_DER_MAX);
	assert_int_equal(der[0], 0x30);
	assert_int_equal(sm2_sig_raw(der, (size_t)n, back), 0);
	assert_memory_equal(raw, back, SIG_MAX);
	/* Trailing bytes and a cut signature are refused. */
	assert_int_equal(sm2_sig_raw(der, (size_t)n - 1, back), CT_EINVAL);
	der[n] = 0;
	assert_int_equal(sm2_sig_raw(der, (size_t)n + 1, back), CT_EINVAL);

	/* The private key through PKCS#8 DER signs what the first verifies. */
	n = key_private_der(k, pkey, sizeof(pkey));
	assert_true(n > 0);
	assert_int_equal(key_load_private_der(pkey, (size_t)n, &k2, &err), 0);
	assert_int_equal(key_get_type(k2), KEY_SM2);
	assert_int_equal(key_public_raw(k, pub1, sizeof(pub1)),
			 key_public_raw(k2, pub2, sizeof(pub2)));
	assert_memory_equal(pub1, pub2, 65);
	assert_int_equal(key_sign(k2, msg, strlen(msg), raw, &siglen, &err),
			 0);
	assert_int_equal(key_verify(k, msg, strlen(msg), raw, SIG_MAX), 0);
	assert_int_equal(key_private_der(k, pkey, 16), CT_ETOOBIG);
	pkey[10] ^= 0xff;
	key_free(k2);
	k2 = NULL;
	assert_int_not_equal(key_load_private_der(pkey, 8, &k2, &err), 0);
	assert_null(k2);
	key_free(k);
}

static void test_staff_statement(void **state)
{
	struct buf b = BUF_INIT_MAX(1024);

	(void)state;
	assert_int_equal(staff_statement("h/casetrail/1/sm3", 42, "approver",
					 "zhang.head", "sm3:00ff", &b), 0);
	assert_string_equal(b.data, "casetrail-signature/v1\n"
			    "h/casetrail/1/sm3\n42\napprover\nzhang.head\n"
			    "sm3:00ff\n");
	buf_reset(&b);
	assert_int_equal(staff_statement("o", 1, "a\nb", "u", "c", &b),
			 CT_EINVAL);
	assert_int_equal(staff_statement("o", 1, "", "u", "c", &b), CT_EINVAL);
	buf_release(&b);
}

/*
 * An SM2 signature of a staff statement, made here and checked by
 * 'openssl pkeyutl' as a reader of the public key and the statement
 * would, with the distinguishing ID of GB/T 32918.
 */
static void test_staff_signature_openssl_pkeyutl(void **state)
{
	char pub[128], msgpath[128], sigpath[128];
	struct buf text = BUF_INIT_MAX(1024), pem = BUF_INIT_MAX(4096);
	uint8_t raw[SIG_MAX], der[SM2_SIG_DER_MAX];
	struct error err = { 0 };
	struct key *k = NULL;
	size_t siglen;
	int n;

	(void)state;
	if (!have_openssl_command())
		skip();
	tmp_path(pub, sizeof(pub), "staff.pub.pem");
	tmp_path(msgpath, sizeof(msgpath), "staff.msg");
	tmp_path(sigpath, sizeof(sigpath), "staff.sig");
	assert_int_equal(key_generate(KEY_SM2, &k, &err), 0);
	assert_int_equal(key_public_pem(k, &pem), 0);
	write_file(pub, pem.data, pem.len);
	assert_int_equal(staff_statement("t/casetrail/ab/sm3", 7, "legal",
					 "li.legal", "sm3:0a0b", &text), 0);
	write_file(msgpath, text.data, text.len);
	assert_int_equal(key_sign(k, text.data, text.len, raw, &siglen, &err),
			 0);
	n = sm2_sig_der(raw, der);
	assert_true(n > 0);
	write_file(sigpath, der, (size_t)n);
	assert_int_equal(run("openssl pkeyutl -verify -pubin -inkey %s -rawin "
			     "-in %s -sigfile %s -digest sm3 -pkeyopt "
			     "distid:%s >/dev/null", pub, msgpath, sigpath,
			     SM2_DISTID), 0);
	/* One changed byte of the statement fails. */
	text.data[text.len - 2] ^= 1;
	write_file(msgpath, text.data, text.len);
	assert_int_not_equal(run("openssl pkeyutl -verify -pubin -inkey %s "
				 "-rawin -in %s -sigfile %s -digest sm3 "
				 "-pkeyopt distid:%s >/dev/null 2>&1", pub,
				 msgpath, sigpath, SM2_DISTID), 0);
	key_free(k);
	buf_release(&text);
	buf_release(&pem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sm3_known_answers),
		cmocka_unit_test(test_sha256_known_answers),
		cmocka_unit_test(test_hasher_streaming_matches_one_shot),
		cmocka_unit_test(test_hash_alg_names),
		cmocka_unit_test(test_hash_text_round_trip),
		cmocka_unit_test(test_hash_parse_rejects),
		cmocka_unit_test(test_base64_known_answers),
		cmocka_unit_test(test_base64_round_trip),
		cmocka_unit_test(test_base64_rejects),
		cmocka_unit_test(test_random_and_wipe),
		cmocka_unit_test(test_sm2_za_known_answer),
		cmocka_unit_test(test_sm2_verify_published_signature),
		cmocka_unit_test(test_sm2_published_private_key),
		cmocka_unit_test(test_sm2_sign_verify_round_trip),
		cmocka_unit_test(test_ed25519_sign_verify_round_trip),
		cmocka_unit_test(test_ed25519_rfc8032_vectors),
		cmocka_unit_test(test_key_file_round_trip),
		cmocka_unit_test(test_key_public_pem_round_trip),
		cmocka_unit_test(test_key_load_rejects),
		cmocka_unit_test(test_key_load_public_raw_rejects),
		cmocka_unit_test(test_sm2_openssl_command_cross_check),
		cmocka_unit_test(test_ed25519_openssl_command_cross_check),
		cmocka_unit_test(test_sm4_ctr_known_answers),
		cmocka_unit_test(test_hmac_sm3),
		cmocka_unit_test(test_crypto_derive),
		cmocka_unit_test(test_sm2_sig_der_and_private_der),
		cmocka_unit_test(test_staff_statement),
		cmocka_unit_test(test_staff_signature_openssl_pkeyutl),
	};

	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
