/*
 * Unit tests of signed notes: key ids and signatures against the vectors
 * of golang.org/x/mod/sumdb/note and of C2SP signed-note, the grammar of
 * the spec case by case, SM2 notes, and verification failures.
 */
#include "common/common.h"

#include <ftw.h>
#include <setjmp.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "crypto/crypto.h"

#define EM_DASH "\xe2\x80\x94"

/*
 * The example of golang.org/x/mod/sumdb/note (note_test.go, TestSign and
 * TestOpen): verifier keys are "<name>+<key id>+<base64(0x01 || public
 * key)>", the signer key carries base64(0x01 || Ed25519 seed).
 */
static const char peter_public[] =
	"ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char peter_seed[] =
	"AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
#define PETER_ID 0xc74f20a3u
static const char enoch_public[] =
	"ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
#define ENOCH_ID 0xaf0cfe78u
static const char go_text[] =
	"If you think cryptography is the answer to your problem,\n"
	"then you don't know what your problem is.\n";
static const char peter_sig[] =
	EM_DASH " PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIu"
		"GUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
static const char enoch_sig[] =
	EM_DASH " EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOH"
		"p+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

/*
 * The example.com/foo example that earlier revisions of C2SP signed-note
 * published with its verifier key.
 */
static const char foo_public[] =
	"AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
#define FOO_ID 0x530d903au
static const char foo_note[] =
	"This is an example message.\n\n" EM_DASH
	" example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7"
	"Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

static char tmpdir[64];

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ct-test-note-XXXXXX");
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

/* Loads an Ed25519 public key from base64(0x01 || key). */
static struct key *go_public_key(const char *b64)
{
	uint8_t raw[33];
	struct error err = { 0 };
	struct key *k = NULL;

	assert_int_equal(base64_decode(b64, strlen(b64), raw, sizeof(raw)), 33);
	assert_int_equal(raw[0], 0x01);
	assert_int_equal(key_load_public_raw(KEY_ED25519, raw + 1, 32, &k,
					     &err),
			 0);
	return k;
}

/* Loads the Ed25519 private key of base64(0x01 || seed) via PKCS#8 PEM. */
static struct key *go_private_key(const char *b64)
{
	static const uint8_t head[] = {
		0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
		0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
	};
	uint8_t raw[33], der[sizeof(head) + 32];
	struct buf pem = BUF_INIT_MAX(4096);
	struct error err = { 0 };
	struct key *k = NULL;
	char path[128];
	FILE *f;

	assert_int_equal(base64_decode(b64, strlen(b64), raw, sizeof(raw)), 33);
	memcpy(der, head, sizeof(head));
	memcpy(der + sizeof(head), raw + 1, 32);
	assert_int_equal(base64_encode(der, sizeof(der), &pem), 0);

	snprintf(path, sizeof(path), "%s/go-signer.pem", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "-----BEGIN PRIVATE KEY-----\n%s\n"
		   "-----END PRIVATE KEY-----\n",
		pem.data);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(key_load_private(path, &k, &err), 0);
	assert_int_equal(remove(path), 0);
	buf_release(&pem);
	return k;
}

/* Returns text + "\n" + the given signature lines in an allocated string. */
static char *make_note(const char *text, const char *sig1, const char *sig2)
{
	struct buf b = BUF_INIT_MAX(1 << 20);

	assert_int_equal(buf_puts(&b, text), 0);
	assert_int_equal(buf_putc(&b, '\n'), 0);
	if (sig1)
		assert_int_equal(buf_puts(&b, sig1), 0);
	if (sig2)
		assert_int_equal(buf_puts(&b, sig2), 0);
	return buf_detach(&b, NULL);
}

static void test_key_ids_match_published(void **state)
{
	struct note_key peter = { "PeterNeumann", go_public_key(peter_public) };
	struct note_key enoch = { "EnochRoot", go_public_key(enoch_public) };
	struct note_key foo = { "example.com/foo", go_public_key(foo_public) };

	(void)state;
	assert_int_equal(note_key_id(&peter), PETER_ID);
	assert_int_equal(note_key_id(&enoch), ENOCH_ID);
	assert_int_equal(note_key_id(&foo), FOO_ID);

	/* The name is part of the id. */
	peter.name = "PeterNeumann2";
	assert_int_not_equal(note_key_id(&peter), PETER_ID);
	key_free(peter.key);
	key_free(enoch.key);
	key_free(foo.key);
}

static void test_sign_reproduces_go_note(void **state)
{
	struct note_key peter = { "PeterNeumann", go_private_key(peter_seed) };
	struct buf out = BUF_INIT_MAX(4096);
	struct error err = { 0 };
	char *want = make_note(go_text, peter_sig, NULL);

	(void)state;
	assert_int_equal(note_key_id(&peter), PETER_ID);
	assert_int_equal(note_sign(go_text, strlen(go_text), &peter, 1, &out,
				   &err),
			 0);
	assert_string_equal(out.data, want);
	free(want);
	buf_release(&out);
	key_free(peter.key);
}

static void test_go_note_verifies(void **state)
{
	struct note_key keys[] = {
		{ "PeterNeumann", go_public_key(peter_public) },
		{ "EnochRoot", go_public_key(enoch_public) },
	};
	char *note = make_note(go_text, peter_sig, enoch_sig);
	struct error err = { 0 };
	struct note parsed;

	(void)state;
	assert_int_equal(note_parse(note, strlen(note), &parsed, &err), 0);
	assert_int_equal(parsed.text_len, strlen(go_text));
	assert_int_equal(parsed.nsigs, 2);
	assert_string_equal(parsed.sigs[0].name, "PeterNeumann");
	assert_int_equal(parsed.sigs[0].key_id, PETER_ID);
	assert_int_equal(parsed.sigs[0].siglen, 64);
	assert_string_equal(parsed.sigs[1].name, "EnochRoot");
	assert_int_equal(parsed.sigs[1].key_id, ENOCH_ID);

	assert_int_equal(note_verify(note, &parsed, keys, 2, &err), 0);
	/* Signatures by keys that are not given are ignored. */
	assert_int_equal(note_verify(note, &parsed, &keys[1], 1, &err), 0);
	assert_int_equal(note_verify(note, &parsed, keys, 0, &err), CT_EINVAL);
	free(note);
	key_free(keys[0].key);
	key_free(keys[1].key);
}

static void test_spec_example_verifies(void **state)
{
	struct note_key foo = { "example.com/foo", go_public_key(foo_public) };
	struct error err = { 0 };
	struct note parsed;

	(void)state;
	assert_int_equal(note_parse(foo_note, strlen(foo_note), &parsed, &err),
			 0);
	assert_int_equal(parsed.text_len,
			 strlen("This is an example message.\n"));
	assert_int_equal(note_verify(foo_note, &parsed, &foo, 1, &err), 0);
	key_free(foo.key);
}

static void test_parse_rejects_malformed(void **state)
{
	static const char nul_note[] = "Te\0xt\n\n" EM_DASH " n AAAAAAAA\n";
	static const struct {
		const char *note;
		const char *want; /* part of the error message */
		size_t len;	  /* 0 for strlen(note) */
	} cases[] = {
		{ "", "does not end in a newline" },
		{ "Text\n", "no blank line" },
		{ "Text\n\n", "no signature lines" },
		{ "Text\n\n" EM_DASH " n AAAAAAAA", "does not end in a newline" },
		{ "\x01Text\n\n" EM_DASH " n AAAAAAAA\n", "control character 0x01" },
		{ "Te\txt\n\n" EM_DASH " n AAAAAAAA\n", "control character 0x09" },
		{ "Text\r\n\n" EM_DASH " n AAAAAAAA\n", "control character 0x0d" },
		{ "Te\x7fxt\n\n" EM_DASH " n AAAAAAAA\n", "control character 0x7f" },
		{ nul_note, "control character 0x00", sizeof(nul_note) - 1 },
		{ "\xffText\n\n" EM_DASH " n AAAAAAAA\n", "invalid UTF-8" },
		/* overlong encoding of '/' */
		{ "\xc0\xafText\n\n" EM_DASH " n AAAAAAAA\n", "invalid UTF-8" },
		/* U+D800, a surrogate */
		{ "\xed\xa0\x80Text\n\n" EM_DASH " n AAAAAAAA\n", "invalid UTF-8" },
		/* above U+10FFFF */
		{ "\xf4\x90\x80\x80\n\n" EM_DASH " n AAAAAAAA\n", "invalid UTF-8" },
		/* truncated em dash */
		{ "Text\xe2\x80\n\n" EM_DASH " n AAAAAAAA\n", "invalid UTF-8" },
		{ "Text\n\n- n AAAAAAAA\n", "em dash" },
		{ "Text\n\n" EM_DASH "n AAAAAAAA\n", "em dash" },
		{ "Text\n\n" EM_DASH "  AAAAAAAA\n", "key name is empty" },
		{ "Text\n\n" EM_DASH " a+b AAAAAAAA\n", "space or '+'" },
		/* U+00A0 no-break space */
		{ "Text\n\n" EM_DASH " a\xc2\xa0" "b AAAAAAAA\n", "space or '+'" },
		/* U+3000 ideographic space */
		{ "Text\n\n" EM_DASH " a\xe3\x80\x80" "b AAAAAAAA\n",
		  "space or '+'" },
		/* A space inside the name leaves "Name ..." as the signature. */
		{ "Text\n\n" EM_DASH " Bad Name AAAAAAAA\n", "not valid standard base64" },
		{ "Text\n\n" EM_DASH " n\n", "no space between" },
		{ "Text\n\n" EM_DASH " n \n", "not valid standard base64" },
		{ "Text\n\n" EM_DASH " n AAAAAA==\n", "fewer than a key id" },
		{ "Text\n\n" EM_DASH " n AAAA!AAA\n", "not valid standard base64" },
		{ "Text\n\n" EM_DASH " n AAAAAAA\n", "not valid standard base64" },
		{ "Text\n\n" EM_DASH " n AAAAAAB=\n", "not valid standard base64" },
		{ "Text\n\n" EM_DASH " n  AAAAAAAA\n", "not valid standard base64" },
		{ "Text\n\n" EM_DASH " n AAAAAAAA \n", "not valid standard base64" },
		{ "Text\n\n" EM_DASH " n AAAAAAAA\nmore\n", "em dash" },
	};
	struct error err;
	struct note parsed;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t len = cases[i].len ? cases[i].len
					  : strlen(cases[i].note);

		error_clear(&err);
		print_message("case %zu: expecting '%s'\n", i, cases[i].want);
		assert_int_equal(note_parse(cases[i].note, len, &parsed, &err),
				 CT_EINVAL);
		assert_non_null(strstr(err.msg, cases[i].want));
	}
}

/* Returns the concatenation of up to four strings (NULL ends the list). */
static char *concat(const char *a, const char *b, const char *c,
		    const char *d)
{
	const char *parts[] = { a, b, c, d };
	struct buf out = BUF_INIT_MAX(1 << 16);

	for (size_t i = 0; i < ARRAY_SIZE(parts) && parts[i]; i++)
		assert_int_equal(buf_puts(&out, parts[i]), 0);
	return buf_detach(&out, NULL);
}

/* The malformed notes of golang.org/x/mod/sumdb/note TestOpen. */
static void test_parse_rejects_go_cases(void **state)
{
	char *cases[] = {
		concat(go_text, NULL, NULL, NULL),
		concat(go_text, "\n", NULL, NULL),
		concat(go_text, "\n", peter_sig, NULL),
		concat("\x01", go_text, "\n", peter_sig),
		concat("\xff", go_text, "\n", peter_sig),
		concat(go_text, "\n", peter_sig, "Unexpected line.\n"),
	};
	struct error err;
	struct note parsed;

	(void)state;
	/* The third case lacks the newline that ends the signature line. */
	cases[2][strlen(cases[2]) - 1] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		error_clear(&err);
		print_message("case %zu\n", i);
		assert_int_equal(note_parse(cases[i], strlen(cases[i]),
					    &parsed, &err),
				 CT_EINVAL);
		free(cases[i]);
	}
}

static void test_parse_last_blank_line_separates(void **state)
{
	static const char text[] = "first\n\nsecond\n\n" EM_DASH
				   " looks-like-a-signature AAAAAAAA\n"
				   "third\n";
	struct note_key peter = { "PeterNeumann", go_private_key(peter_seed) };
	struct buf out = BUF_INIT_MAX(4096);
	struct error err = { 0 };
	struct note parsed;

	(void)state;
	assert_int_equal(note_sign(text, strlen(text), &peter, 1, &out, &err),
			 0);
	assert_int_equal(note_parse(out.data, out.len, &parsed, &err), 0);
	assert_int_equal(parsed.text_len, strlen(text));
	assert_int_equal(parsed.nsigs, 1);
	assert_int_equal(note_verify(out.data, &parsed, &peter, 1, &err), 0);

	/* A text that ends in a blank line round-trips too. */
	buf_reset(&out);
	assert_int_equal(note_sign("a\n\n", 3, &peter, 1, &out, &err), 0);
	assert_int_equal(note_parse(out.data, out.len, &parsed, &err), 0);
	assert_int_equal(parsed.text_len, 3);
	assert_int_equal(note_verify(out.data, &parsed, &peter, 1, &err), 0);
	buf_release(&out);
	key_free(peter.key);
}

static void test_parse_signature_count_limit(void **state)
{
	struct buf b = BUF_INIT_MAX(1 << 16);
	struct error err = { 0 };
	struct note parsed;

	(void)state;
	buf_puts(&b, go_text);
	buf_puts(&b, "\n");
	for (int i = 0; i < NOTE_MAX_SIGS; i++)
		buf_puts(&b, peter_sig);
	assert_int_equal(note_parse(b.data, b.len, &parsed, &err), 0);
	assert_int_equal(parsed.nsigs, NOTE_MAX_SIGS);

	buf_puts(&b, peter_sig);
	assert_int_equal(note_parse(b.data, b.len, &parsed, &err), CT_EINVAL);
	assert_non_null(strstr(err.msg, "more than 16"));
	buf_release(&b);
}

/* A signature too long to keep, as an ML-DSA-44 cosignature (2420 bytes). */
static void test_parse_keeps_long_signature_unverified(void **state)
{
	struct note_key peter = { "PeterNeumann", go_public_key(peter_public) };
	uint8_t value[4 + 2420];
	struct buf b = BUF_INIT_MAX(1 << 16);
	struct error err = { 0 };
	struct note parsed;

	(void)state;
	memset(value, 0x5a, sizeof(value));
	value[0] = 0x12, value[1] = 0x34, value[2] = 0x56, value[3] = 0x78;
	buf_puts(&b, go_text);
	buf_puts(&b, "\n");
	buf_puts(&b, peter_sig);
	buf_puts(&b, EM_DASH " witness.example/pq ");
	base64_encode(value, sizeof(value), &b);
	buf_puts(&b, "\n");

	assert_int_equal(note_parse(b.data, b.len, &parsed, &err), 0);
	assert_int_equal(parsed.nsigs, 2);
	assert_string_equal(parsed.sigs[1].name, "witness.example/pq");
	assert_int_equal(parsed.sigs[1].key_id, 0x12345678);
	assert_int_equal(parsed.sigs[1].siglen, 0);
	assert_int_equal(note_verify(b.data, &parsed, &peter, 1, &err), 0);

	/* Padding inside a long signature is still invalid base64. */
	b.data[b.len - 40] = '=';
	assert_int_equal(note_parse(b.data, b.len, &parsed, &err), CT_EINVAL);
	buf_release(&b);
	key_free(peter.key);
}

static void test_verify_rejects_altered_note(void **state)
{
	struct note_key peter = { "PeterNeumann", go_public_key(peter_public) };
	char *note = make_note(go_text, peter_sig, NULL);
	struct error err = { 0 };
	struct note parsed;
	char *sig;

	(void)state;
	/* Altered text. */
	note[3] = 'X';
	assert_int_equal(note_parse(note, strlen(note), &parsed, &err), 0);
	assert_int_equal(note_verify(note, &parsed, &peter, 1, &err),
			 CT_ECRYPTO);
	assert_non_null(strstr(err.msg, "PeterNeumann"));
	note[3] = go_text[3];

	/* Altered signature bytes, key id intact. */
	sig = strstr(note, "x08go/");
	assert_non_null(sig);
	sig[20] = sig[20] == 'A' ? 'B' : 'A';
	error_clear(&err);
	assert_int_equal(note_parse(note, strlen(note), &parsed, &err), 0);
	assert_int_equal(note_verify(note, &parsed, &peter, 1, &err),
			 CT_ECRYPTO);
	free(note);
	key_free(peter.key);
}

static void test_verify_rejects_unknown_key(void **state)
{
	struct note_key peter = { "PeterNeumann", go_public_key(peter_public) };
	struct note_key other = { "PeterNeumann", NULL };
	char *note = make_note(go_text, peter_sig, NULL);
	struct error err = { 0 };
	struct note parsed;

	(void)state;
	assert_int_equal(key_generate(KEY_ED25519, &other.key, &err), 0);
	assert_int_equal(note_parse(note, strlen(note), &parsed, &err), 0);

	/* Same name, other key: its id differs, so no signature matches. */
	assert_int_equal(note_verify(note, &parsed, &other, 1, &err),
			 CT_ECRYPTO);
	assert_non_null(strstr(err.msg, "no signature"));

	/* Right key under another name. */
	peter.name = "PeterNeumann2";
	error_clear(&err);
	assert_int_equal(note_verify(note, &parsed, &peter, 1, &err),
			 CT_ECRYPTO);
	free(note);
	key_free(peter.key);
	key_free(other.key);
}

static void test_sm2_and_ed25519_note(void **state)
{
	static const char origin[] = "localhost/casetrail/s1/sm3";
	static const char text[] = "localhost/casetrail/s1/sm3\n1\n"
				   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
	struct note_key keys[2] = { { origin, NULL }, { origin, NULL } };
	struct buf out = BUF_INIT_MAX(4096), idin = BUF_INIT_MAX(256);
	uint8_t raw[65], digest[HASH_LEN];
	struct error err = { 0 };
	struct note parsed;
	uint32_t want;

	(void)state;
	assert_int_equal(key_generate(KEY_SM2, &keys[0].key, &err), 0);
	assert_int_equal(key_generate(KEY_ED25519, &keys[1].key, &err), 0);

	/* SHA-256(name || 0x0a || 0xff || "sm2-sm3" || 04||x||y)[:4] */
	assert_int_equal(key_public_raw(keys[0].key, raw, sizeof(raw)), 65);
	buf_puts(&idin, origin);
	buf_append(&idin, "\n\xff", 2);
	buf_puts(&idin, "sm2-sm3");
	buf_append(&idin, raw, sizeof(raw));
	hash_buf(HASH_SHA256, idin.data, idin.len, digest);
	want = (uint32_t)digest[0] << 24 | (uint32_t)digest[1] << 16 |
	       (uint32_t)digest[2] << 8 | digest[3];
	assert_int_equal(note_key_id(&keys[0]), want);

	assert_int_equal(note_sign(text, strlen(text), keys, 2, &out, &err), 0);
	assert_int_equal(note_parse(out.data, out.len, &parsed, &err), 0);
	assert_int_equal(parsed.nsigs, 2);
	assert_int_equal(parsed.sigs[0].key_id, want);
	assert_int_equal(parsed.sigs[0].siglen, 64);
	assert_int_equal(note_verify(out.data, &parsed, keys, 2, &err), 0);

	/* The SM2 line fails alone when its signature is swapped in. */
	memcpy(parsed.sigs[0].sig, parsed.sigs[1].sig, 64);
	assert_int_equal(note_verify(out.data, &parsed, keys, 1, &err),
			 CT_ECRYPTO);
	buf_release(&out);
	buf_release(&idin);
	key_free(keys[0].key);
	key_free(keys[1].key);
}

static void test_sign_rejects_bad_input(void **state)
{
	struct note_key keys[NOTE_MAX_SIGS + 1];
	struct buf out = BUF_INIT_MAX(1 << 16);
	struct error err;
	struct key *k = NULL;

	(void)state;
	assert_int_equal(key_generate(KEY_ED25519, &k, &err), 0);
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		keys[i].name = "a";
		keys[i].key = k;
	}
	error_clear(&err);
	assert_int_equal(note_sign("abc", 3, keys, 1, &out, &err), CT_EINVAL);
	error_clear(&err);
	assert_int_equal(note_sign("", 0, keys, 1, &out, &err), CT_EINVAL);
	error_clear(&err);
	assert_int_equal(note_sign("a\tb\n", 4, keys, 1, &out, &err),
			 CT_EINVAL);
	error_clear(&err);
	assert_int_equal(note_sign("\xff\n", 2, keys, 1, &out, &err),
			 CT_EINVAL);
	error_clear(&err);
	assert_int_equal(note_sign("a\n", 2, keys, 0, &out, &err), CT_EINVAL);
	error_clear(&err);
	assert_int_equal(note_sign("a\n", 2, keys, NOTE_MAX_SIGS + 1, &out,
				   &err),
			 CT_EINVAL);
	keys[0].name = "a b";
	error_clear(&err);
	assert_int_equal(note_sign("a\n", 2, keys, 1, &out, &err), CT_EINVAL);
	keys[0].name = "a+b";
	error_clear(&err);
	assert_int_equal(note_sign("a\n", 2, keys, 1, &out, &err), CT_EINVAL);
	keys[0].name = "";
	error_clear(&err);
	assert_int_equal(note_sign("a\n", 2, keys, 1, &out, &err), CT_EINVAL);
	assert_int_equal(out.len, 0);
	buf_release(&out);
	key_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_ids_match_published),
		cmocka_unit_test(test_sign_reproduces_go_note),
		cmocka_unit_test(test_go_note_verifies),
		cmocka_unit_test(test_spec_example_verifies),
		cmocka_unit_test(test_parse_rejects_malformed),
		cmocka_unit_test(test_parse_rejects_go_cases),
		cmocka_unit_test(test_parse_last_blank_line_separates),
		cmocka_unit_test(test_parse_signature_count_limit),
		cmocka_unit_test(test_parse_keeps_long_signature_unverified),
		cmocka_unit_test(test_verify_rejects_altered_note),
		cmocka_unit_test(test_verify_rejects_unknown_key),
		cmocka_unit_test(test_sm2_and_ed25519_note),
		cmocka_unit_test(test_sign_rejects_bad_input),
	};

	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
