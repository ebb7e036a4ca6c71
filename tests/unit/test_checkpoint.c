/*
 * Unit tests of checkpoints: the exact text, each grammar rule of C2SP
 * tlog-checkpoint, the spec's example, and signing and verifying with the
 * SM2 and Ed25519 keys of a gm-mode store.
 */
#include "common/common.h"

#include <setjmp.h>

#include <cmocka.h>

#include "crypto/crypto.h"
#include "ledger/checkpoint.h"

#define EM_DASH "\xe2\x80\x94"
/* A syntactically valid signature line; parsing verifies nothing. */
#define ANY_SIG EM_DASH " k AAAAAAAA\n"
/* base64 of 32 zero bytes */
#define ZERO_ROOT "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

static const char origin[] = "localhost/casetrail/0f3a9c/sm3";

static void fill_checkpoint(struct checkpoint *cp, uint64_t size)
{
	memset(cp, 0, sizeof(*cp));
	snprintf(cp->origin, sizeof(cp->origin), "%s", origin);
	cp->size = size;
	hash_buf(HASH_SM3, "abc", 3, cp->root);
}

static void test_format_body_exact(void **state)
{
	struct buf out = BUF_INIT_MAX(4096);
	struct error err = { 0 };
	struct checkpoint cp;

	(void)state;
	fill_checkpoint(&cp, 20852163);
	assert_int_equal(checkpoint_format_body(&cp, &out, &err), 0);
	/* base64 of the SM3 digest of "abc" (GB/T 32905 example 1). */
	assert_string_equal(out.data,
			    "localhost/casetrail/0f3a9c/sm3\n"
			    "20852163\n"
			    "Zsfw9GLu7dnR8tRr3BDk4kFnxIdc8veiKX2gK49LqOA=\n");

	buf_reset(&out);
	cp.size = 0;
	assert_int_equal(checkpoint_format_body(&cp, &out, &err), 0);
	assert_non_null(strstr(out.data, "\n0\n"));
	buf_release(&out);
}

static void test_format_body_rejects(void **state)
{
	struct buf out = BUF_INIT_MAX(4096);
	struct error err;
	struct checkpoint cp;

	(void)state;
	fill_checkpoint(&cp, 1);
	cp.origin[0] = '\0';
	error_clear(&err);
	assert_int_equal(checkpoint_format_body(&cp, &out, &err), CT_EINVAL);
	assert_non_null(strstr(err.msg, "empty"));

	fill_checkpoint(&cp, 1);
	cp.origin[3] = '\n';
	error_clear(&err);
	assert_int_equal(checkpoint_format_body(&cp, &out, &err), CT_EINVAL);
	assert_non_null(strstr(err.msg, "newline"));

	fill_checkpoint(&cp, 1);
	cp.origin[3] = '\x7f';
	error_clear(&err);
	assert_int_equal(checkpoint_format_body(&cp, &out, &err), CT_EINVAL);

	fill_checkpoint(&cp, 1);
	memset(cp.origin, 'a', sizeof(cp.origin));
	error_clear(&err);
	assert_int_equal(checkpoint_format_body(&cp, &out, &err), CT_EINVAL);
	assert_non_null(strstr(err.msg, "longer than 255"));

	fill_checkpoint(&cp, CHECKPOINT_SIZE_MAX + 1);
	error_clear(&err);
	assert_int_equal(checkpoint_format_body(&cp, &out, &err), CT_EINVAL);
	assert_non_null(strstr(err.msg, "9223372036854775808"));
	assert_int_equal(out.len, 0);
	buf_release(&out);
}

/* The example of C2SP tlog-checkpoint. */
static void test_spec_example_parses(void **state)
{
	static const char note[] =
		"example.com/behind-the-sofa\n"
		"20852163\n"
		"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
		"\n" EM_DASH " example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf"
		"1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeM"
		"cTOAYQ8=\n";
	static const uint8_t root_start[] = { 0x0a, 0xc5, 0x18, 0x6a };
	struct buf body = BUF_INIT_MAX(4096);
	struct error err = { 0 };
	struct checkpoint cp;
	struct note parsed;

	(void)state;
	assert_int_equal(checkpoint_parse(note, strlen(note), &cp, &parsed,
					  &err),
			 0);
	assert_string_equal(cp.origin, "example.com/behind-the-sofa");
	assert_int_equal(cp.size, 20852163);
	assert_memory_equal(cp.root, root_start, sizeof(root_start));
	assert_int_equal(parsed.nsigs, 1);
	assert_string_equal(parsed.sigs[0].name, "example.com/behind-the-sofa");
	assert_int_equal(parsed.sigs[0].key_id, 0x033de0ae);

	/* Formatting the parsed checkpoint gives back the signed text. */
	assert_int_equal(checkpoint_format_body(&cp, &body, &err), 0);
	assert_int_equal(body.len, parsed.text_len);
	assert_memory_equal(body.data, note, body.len);
	buf_release(&body);
}

/* Parses body + "\n" + ANY_SIG and returns the result code. */
static int parse_with_body(const char *body, struct checkpoint *cp,
			   struct error *err)
{
	struct buf note = BUF_INIT_MAX(1 << 16);
	int rc;

	assert_int_equal(buf_puts(&note, body), 0);
	assert_int_equal(buf_puts(&note, "\n" ANY_SIG), 0);
	error_clear(err);
	rc = checkpoint_parse(note.data, note.len, cp, NULL, err);
	buf_release(&note);
	return rc;
}

static void test_parse_rejects_grammar_errors(void **state)
{
	static const struct {
		const char *body;
		const char *want; /* part of the error message */
	} cases[] = {
		{ "\n1\n" ZERO_ROOT "\n", "origin is empty" },
		{ "o\n", "no line 2" },
		{ "o\n1\n", "no line 3" },
		{ "o\n\n" ZERO_ROOT "\n", "tree size is empty" },
		{ "o\n01\n" ZERO_ROOT "\n", "leading zero" },
		{ "o\n00\n" ZERO_ROOT "\n", "leading zero" },
		{ "o\n-1\n" ZERO_ROOT "\n", "not a decimal number" },
		{ "o\n+1\n" ZERO_ROOT "\n", "not a decimal number" },
		{ "o\n 1\n" ZERO_ROOT "\n", "not a decimal number" },
		{ "o\n1 \n" ZERO_ROOT "\n", "not a decimal number" },
		{ "o\n1a\n" ZERO_ROOT "\n", "not a decimal number" },
		{ "o\n0x10\n" ZERO_ROOT "\n", "not a decimal number" },
		{ "o\n9223372036854775808\n" ZERO_ROOT "\n", "exceeds 2^63 - 1" },
		{ "o\n18446744073709551616\n" ZERO_ROOT "\n", "exceeds 2^63 - 1" },
		{ "o\n99999999999999999999999\n" ZERO_ROOT "\n", "exceeds" },
		{ "o\n1\n\n", "root hash '' is not" },
		/* 31 and 33 bytes */
		{ "o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		  "is not canonical base64 of 32 bytes" },
		{ "o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		  "is not canonical base64 of 32 bytes" },
		/* no padding, bad character, bits after padding, URL-safe */
		{ "o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		  "is not canonical base64" },
		{ "o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA*AA=\n",
		  "is not canonical base64" },
		{ "o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\n",
		  "is not canonical base64" },
		{ "o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-=\n",
		  "is not canonical base64" },
		{ "o\n1\n" ZERO_ROOT " \n", "is not canonical base64" },
		/* The empty line makes the text end early: "ext" follows it. */
		{ "o\n1\n" ZERO_ROOT "\n\next\n", "must not be empty" },
	};
	struct checkpoint cp;
	struct error err;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		print_message("case %zu: expecting '%s'\n", i, cases[i].want);
		assert_int_equal(parse_with_body(cases[i].body, &cp, &err),
				 CT_EINVAL);
		assert_non_null(strstr(err.msg, cases[i].want));
		assert_int_equal(cp.size, 0);
		assert_int_equal(cp.origin[0], '\0');
	}
}

static void test_parse_size_limits(void **state)
{
	struct checkpoint cp;
	struct error err;

	(void)state;
	assert_int_equal(parse_with_body("o\n0\n" ZERO_ROOT "\n", &cp, &err),
			 0);
	assert_int_equal(cp.size, 0);
	assert_int_equal(parse_with_body("o\n9223372036854775807\n" ZERO_ROOT
					 "\n",
					 &cp, &err),
			 0);
	assert_int_equal(cp.size, CHECKPOINT_SIZE_MAX);
}

static void test_parse_origin_limits(void **state)
{
	char body[600];
	struct checkpoint cp;
	struct error err;

	(void)state;
	memset(body, 'a', 255);
	snprintf(body + 255, sizeof(body) - 255, "\n1\n%s\n", ZERO_ROOT);
	assert_int_equal(parse_with_body(body, &cp, &err), 0);
	assert_int_equal(strlen(cp.origin), 255);

	memset(body, 'a', 256);
	snprintf(body + 256, sizeof(body) - 256, "\n1\n%s\n", ZERO_ROOT);
	assert_int_equal(parse_with_body(body, &cp, &err), CT_EINVAL);
	assert_non_null(strstr(err.msg, "longer than 255"));

	/* Spaces and non-ASCII text are allowed in an origin. */
	assert_int_equal(parse_with_body("审批局 log 1\n1\n" ZERO_ROOT "\n", &cp,
					 &err),
			 0);
	assert_string_equal(cp.origin, "审批局 log 1");
}

static void test_parse_extension_lines(void **state)
{
	struct checkpoint cp;
	struct error err;

	(void)state;
	assert_int_equal(parse_with_body("o\n5\n" ZERO_ROOT "\next one\n"
					 "ext two\n",
					 &cp, &err),
			 0);
	assert_string_equal(cp.origin, "o");
	assert_int_equal(cp.size, 5);
}

static void test_parse_body_directly(void **state)
{
	static const char body[] = "o\n5\n" ZERO_ROOT "\n";
	struct checkpoint cp;
	struct error err = { 0 };

	(void)state;
	assert_int_equal(checkpoint_parse_body(body, strlen(body), &cp, &err),
			 0);
	assert_int_equal(cp.size, 5);
	error_clear(&err);
	assert_int_equal(checkpoint_parse_body(body, strlen(body) - 1, &cp,
					       &err),
			 CT_EINVAL);
	assert_non_null(strstr(err.msg, "newline"));
	error_clear(&err);
	assert_int_equal(checkpoint_parse_body("o\x01\n5\n" ZERO_ROOT "\n",
					       strlen(body) + 1, &cp, &err),
			 CT_EINVAL);
	assert_non_null(strstr(err.msg, "control character"));
}

/* Keys of a gm-mode store: SM2 and Ed25519, both under the origin. */
struct store_keys {
	struct note_key keys[2];
};

static int make_keys(void **state)
{
	struct store_keys *s = calloc(1, sizeof(*s));
	struct error err = { 0 };

	if (!s)
		return -1;
	s->keys[0].name = origin;
	s->keys[1].name = origin;
	if (key_generate(KEY_SM2, &s->keys[0].key, &err) ||
	    key_generate(KEY_ED25519, &s->keys[1].key, &err))
		return -1;
	*state = s;
	return 0;
}

static int free_keys(void **state)
{
	struct store_keys *s = *state;

	key_free(s->keys[0].key);
	key_free(s->keys[1].key);
	free(s);
	return 0;
}

static void test_sign_parse_verify_round_trip(void **state)
{
	struct store_keys *s = *state;
	struct buf note = BUF_INIT_MAX(4096);
	struct error err = { 0 };
	struct checkpoint cp, got;
	struct note parsed;

	fill_checkpoint(&cp, 41);
	assert_int_equal(checkpoint_sign(&cp, s->keys, 2, &note, &err), 0);
	assert_int_equal(checkpoint_parse(note.data, note.len, &got, &parsed,
					  &err),
			 0);
	assert_string_equal(got.origin, cp.origin);
	assert_int_equal(got.size, cp.size);
	assert_memory_equal(got.root, cp.root, HASH_LEN);
	assert_int_equal(parsed.nsigs, 2);

	memset(&got, 0, sizeof(got));
	assert_int_equal(checkpoint_verify(note.data, note.len, s->keys, 2,
					   &got, &err),
			 0);
	assert_int_equal(got.size, 41);
	assert_memory_equal(got.root, cp.root, HASH_LEN);
	/* Either key alone verifies too. */
	assert_int_equal(checkpoint_verify(note.data, note.len, &s->keys[1], 1,
					   &got, &err),
			 0);
	buf_release(&note);
}

static void test_verify_rejects(void **state)
{
	struct store_keys *s = *state;
	struct buf note = BUF_INIT_MAX(4096);
	struct note_key stranger = { origin, NULL };
	struct error err = { 0 };
	struct checkpoint cp, got;
	char *size_digit;

	fill_checkpoint(&cp, 41);
	assert_int_equal(checkpoint_sign(&cp, s->keys, 1, &note, &err), 0);

	/* A key that did not sign. */
	assert_int_equal(checkpoint_verify(note.data, note.len, s->keys, 2,
					   &got, &err),
			 CT_ECRYPTO);
	assert_int_equal(got.size, 0);
	assert_int_equal(key_generate(KEY_SM2, &stranger.key, &err), 0);
	error_clear(&err);
	assert_int_equal(checkpoint_verify(note.data, note.len, &stranger, 1,
					   &got, &err),
			 CT_ECRYPTO);

	/* No keys at all proves nothing. */
	error_clear(&err);
	assert_int_equal(checkpoint_verify(note.data, note.len, s->keys, 0,
					   &got, &err),
			 CT_EINVAL);

	/* A rewritten tree size. */
	size_digit = strstr(note.data, "\n41\n");
	assert_non_null(size_digit);
	size_digit[2] = '2';
	error_clear(&err);
	assert_int_equal(checkpoint_verify(note.data, note.len, s->keys, 1,
					   &got, &err),
			 CT_ECRYPTO);
	assert_int_equal(got.size, 0);

	/* A malformed note is reported as such. */
	error_clear(&err);
	assert_int_equal(checkpoint_verify(note.data, note.len - 1, s->keys, 1,
					   &got, &err),
			 CT_EINVAL);
	key_free(stranger.key);
	buf_release(&note);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_body_exact),
		cmocka_unit_test(test_format_body_rejects),
		cmocka_unit_test(test_spec_example_parses),
		cmocka_unit_test(test_parse_rejects_grammar_errors),
		cmocka_unit_test(test_parse_size_limits),
		cmocka_unit_test(test_parse_origin_limits),
		cmocka_unit_test(test_parse_extension_lines),
		cmocka_unit_test(test_parse_body_directly),
		cmocka_unit_test(test_sign_parse_verify_round_trip),
		cmocka_unit_test(test_verify_rejects),
	};

	return cmocka_run_group_tests(tests, make_keys, free_keys);
}
