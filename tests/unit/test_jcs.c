/*
 * Unit tests for the strict JSON parser and the RFC 8785 canonical writer.
 * The canonical outputs of the RFC 8785 test vectors come from the
 * testdata/input and testdata/output files of the reference
 * implementation (github.com/cyberphone/json-canonicalization). casetrail
 * rejects reals, so vectors that contain them are asserted to be rejected
 * and, where useful, checked again with the reals replaced by integers.
 */
#include "common/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "common/jcs.h"

static void assert_contains(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("expected \"%s\" in \"%s\"", part, text);
}

/* Parses in, writes it canonically and returns the output (caller frees). */
static char *canon(const char *in)
{
	struct buf out = BUF_INIT_MAX(BUF_DEFAULT_MAX);
	struct error err;
	json_t *v;
	int rc;

	error_clear(&err);
	v = jcs_parse(in, strlen(in), &err);
	if (!v)
		fail_msg("parsing %s failed: %s", in, err.msg);
	rc = jcs_write(v, &out, &err);
	if (rc)
		fail_msg("writing %s failed: %s", in, err.msg);
	json_decref(v);
	return buf_detach(&out, NULL);
}

static void assert_canon(const char *in, const char *expected)
{
	char *got = canon(in);

	assert_string_equal(got, expected);
	free(got);
}

/* Asserts that jcs_parse rejects in with a message containing part. */
static void assert_rejected(const char *in, size_t len, const char *part)
{
	struct error err;
	json_t *v;

	error_clear(&err);
	v = jcs_parse(in, len, &err);
	if (v) {
		json_decref(v);
		fail_msg("%s was accepted, expected \"%s\"", in, part);
	}
	assert_int_equal(err.code, CT_EINVAL);
	assert_contains(err.msg, part);
}

static void assert_rejected_str(const char *in, const char *part)
{
	assert_rejected(in, strlen(in), part);
}

static void rfc8785_arrays(void **state)
{
	(void)state;
	assert_canon("[\n  56,\n  {\n    \"d\": true,\n    \"10\": null,\n"
		     "    \"1\": [ ]\n  }\n]",
		     "[56,{\"1\":[],\"10\":null,\"d\":true}]");
}

static void rfc8785_french(void **state)
{
	(void)state;
	assert_canon("{\n  \"peach\": \"This sorting order\",\n"
		     "  \"péché\": \"is wrong according to French\",\n"
		     "  \"pêche\": \"but canonicalization MUST\",\n"
		     "  \"sin\":   \"ingnore locale\"\n}\n",
		     "{\"peach\":\"This sorting order\","
		     "\"péché\":\"is wrong according to French\","
		     "\"pêche\":\"but canonicalization MUST\","
		     "\"sin\":\"ingnore locale\"}");
}

static const char structures_in[] =
	"{\n  \"1\": {\"f\": {\"f\": \"hi\",\"F\": 5} ,\"\\n\": 56.0},\n"
	"  \"10\": { },\n  \"\": \"empty\",\n  \"a\": { },\n"
	"  \"111\": [ { } ],\n  \"A\": { }\n}";

static void rfc8785_structures(void **state)
{
	(void)state;
	/* The vector's 56.0 is a real, which casetrail rejects. */
	assert_rejected_str(structures_in,
			    "field '1[\"\\n\"]': 56.0 is written with a "
			    "fraction or exponent");

	/* With 56 in its place, the output is the vector's. */
	assert_canon("{\n  \"1\": {\"f\": {\"f\": \"hi\",\"F\": 5} ,"
		     "\"\\n\": 56},\n"
		     "  \"10\": { },\n  \"\": \"empty\",\n  \"a\": { },\n"
		     "  \"111\": [ { } ],\n  \"A\": { }\n}",
		     "{\"\":\"empty\",\"1\":{\"\\n\":56,"
		     "\"f\":{\"F\":5,\"f\":\"hi\"}},"
		     "\"10\":{},\"111\":[{}],\"A\":{},\"a\":{}}");
}

static void rfc8785_unicode(void **state)
{
	(void)state;
	/* No Unicode normalisation: U+1E0D U+0307 stay as they are. */
	assert_canon("{\n  \"Unnormalized Unicode\":\"\\u1e0d\\u0307\"\n}\n",
		     "{\"Unnormalized Unicode\":\"\xe1\xb8\x8d\xcc\x87\"}");
}

static void rfc8785_weird(void **state)
{
	(void)state;
	assert_canon("{\n  \"\\u20ac\": \"Euro Sign\",\n  \"1\": \"One\",\n"
		     "  \"\\u0080\": \"Control\\u007f\",\n"
		     "  \"\\ud83d\\ude02\": \"Smiley\",\n"
		     "  \"\\u00f6\": \"Latin Small Letter O With Diaeresis\",\n"
		     "  \"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\",\n"
		     "  \"</script>\": \"Browser Challenge\"\n}\n",
		     "{\"1\":\"One\",\"</script>\":\"Browser Challenge\","
		     "\"\xc2\x80\":\"Control\x7f\","
		     "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\","
		     "\"\xe2\x82\xac\":\"Euro Sign\","
		     "\"\xf0\x9f\x98\x82\":\"Smiley\","
		     "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

static void rfc8785_simple_string(void **state)
{
	(void)state;
	assert_canon("    \"this is a test string 1235\"",
		     "\"this is a test string 1235\"");
}

static void rfc8785_values(void **state)
{
	(void)state;
	/* The vector's numbers are all reals: the first one is reported. */
	assert_rejected_str(
		"{\n  \"numbers\": [1E30, 4.50, 333333333.33333329, 2e-3, "
		"0.000000000000000000000000001],\n"
		"  \"escaping\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022"
		"\\u005c\\\\\\\"\\/\",\n  \"literals\": [null, true, false]\n}",
		"field 'numbers[0]': 1e+30 is written with a fraction or "
		"exponent");
	assert_rejected_str("{\"numbers\": [4.50]}",
			    "field 'numbers[0]': 4.5 is not an integer");

	/* The rest of the vector, with the reference output's strings. */
	assert_canon("{\n  \"escaping\": \"\\u20ac$\\u000F\\u000aA'\\u0042"
		     "\\u0022\\u005c\\\\\\\"\\/\",\n"
		     "  \"literals\": [null, true, false]\n}",
		     "{\"escaping\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\"
		     "\\\"/\",\"literals\":[null,true,false]}");
}

/* The example of RFC 8785 section 3.2.3, sorted by UTF-16 code units. */
static void rfc8785_sorting_example(void **state)
{
	(void)state;
	assert_canon("{\n  \"\\u20ac\": \"Euro Sign\",\n"
		     "  \"\\r\": \"Carriage Return\",\n"
		     "  \"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\",\n"
		     "  \"1\": \"One\",\n"
		     "  \"\\ud83d\\ude00\": \"Emoji: Grinning Face\",\n"
		     "  \"\\u0080\": \"Control\",\n"
		     "  \"\\u00f6\": "
		     "\"Latin Small Letter O With Diaeresis\"\n}",
		     "{\"\\r\":\"Carriage Return\",\"1\":\"One\","
		     "\"\xc2\x80\":\"Control\","
		     "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\","
		     "\"\xe2\x82\xac\":\"Euro Sign\","
		     "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
		     "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

/*
 * Byte order and UTF-16 order differ only between characters above U+FFFF
 * and those in U+E000..U+FFFF.
 */
static void sort_utf16_not_bytes(void **state)
{
	(void)state;
	assert_canon("{\"\\uffff\":1,\"\\ud800\\udc00\":2}",
		     "{\"\xf0\x90\x80\x80\":2,\"\xef\xbf\xbf\":1}");
	assert_canon("{\"\\ue000\":1,\"\\udbff\\udfff\":2}",
		     "{\"\xf4\x8f\xbf\xbf\":2,\"\xee\x80\x80\":1}");
	assert_canon("{\"\\ud800\\udc00\":1,\"\\ud7ff\":2}",
		     "{\"\xed\x9f\xbf\":2,\"\xf0\x90\x80\x80\":1}");
	assert_canon("{\"\\ud83d\\ude00\":1,\"\\ud800\\udc00\":2}",
		     "{\"\xf0\x90\x80\x80\":2,\"\xf0\x9f\x98\x80\":1}");
	assert_canon("{\"ab\":1,\"a\":2,\"b\":3,\"\":4,\"B\":5}",
		     "{\"\":4,\"B\":5,\"a\":2,\"ab\":1,\"b\":3}");
}

/* Writes the escape RFC 8785 requires for a byte c below 0x20. */
static void control_escape(unsigned char c, char *out, size_t n)
{
	switch (c) {
	case '\b':
		snprintf(out, n, "\\b");
		break;
	case '\t':
		snprintf(out, n, "\\t");
		break;
	case '\n':
		snprintf(out, n, "\\n");
		break;
	case '\f':
		snprintf(out, n, "\\f");
		break;
	case '\r':
		snprintf(out, n, "\\r");
		break;
	default:
		snprintf(out, n, "\\u%04x", c);
		break;
	}
}

static void escape_every_control_char(void **state)
{
	(void)state;
	for (unsigned char c = 1; c < 0x20; c++) {
		char in[16], esc[8], expected[16];

		snprintf(in, sizeof(in), "\"\\u%04X\"", c);
		control_escape(c, esc, sizeof(esc));
		snprintf(expected, sizeof(expected), "\"%s\"", esc);
		assert_canon(in, expected);
	}
	assert_canon("\"\\u001F\\u000B\"", "\"\\u001f\\u000b\"");
}

static void escape_only_what_rfc_requires(void **state)
{
	(void)state;
	assert_canon("\"\\\"\\\\\"", "\"\\\"\\\\\"");
	assert_canon("\"\\/ / \\u007f \\u2028 \\u2029 \\u00e9\"",
		     "\"/ / \x7f \xe2\x80\xa8 \xe2\x80\xa9 \xc3\xa9\"");
	assert_canon("\"\\u4e2d\\u6587 中文\"", "\"中文 中文\"");
	assert_canon("{\"k\\ty\":\"v\\u0001\"}", "{\"k\\ty\":\"v\\u0001\"}");
}

static void scalars_and_whitespace(void **state)
{
	(void)state;
	assert_canon(" \t\r\n[ 1 , -2 ,\n 0 ] \n", "[1,-2,0]");
	assert_canon("-0", "0");
	assert_canon("42", "42");
	assert_canon("true", "true");
	assert_canon("false", "false");
	assert_canon("null", "null");
	assert_canon("\"\"", "\"\"");
	assert_canon("{}", "{}");
	assert_canon("[]", "[]");
	assert_canon("[[],{},[{}]]", "[[],{},[{}]]");
}

static void safe_integer_bounds(void **state)
{
	(void)state;
	assert_canon("[9007199254740991,-9007199254740991]",
		     "[9007199254740991,-9007199254740991]");
	assert_rejected_str("{\"a\":{\"b\":[1,9007199254740992]}}",
			    "field 'a.b[1]': 9007199254740992 is outside the "
			    "safe integer range");
	assert_rejected_str("-9007199254740992",
			    "field '(root)': -9007199254740992 is outside");
	assert_rejected_str("[9223372036854775807]", "is outside");
	assert_rejected_str("[9223372036854775808]",
			    "invalid JSON at line 1, column 20: too big "
			    "integer");
	assert_rejected_str("-99999999999999999999",
			    "too big negative integer");
	assert_rejected_str("[1e400]", "real number overflow");
}

static void reals_rejected_with_path(void **state)
{
	(void)state;
	assert_rejected_str("{\"items\":[{\"price\":1},{\"price\":2},"
			    "{\"price\":1.5}]}",
			    "field 'items[2].price': 1.5 is not an integer; "
			    "casetrail stores only integers, write amounts "
			    "in the smallest unit or as a string");
	assert_rejected_str("1.0", "field '(root)': 1.0 is written with a "
				   "fraction or exponent");
	assert_rejected_str("[1e2]", "field '[0]': 100.0 is written with");
	assert_rejected_str("[-0.0]", "field '[0]': -0.0 is written with");
	assert_rejected_str("{\"a\":[0.1]}", "field 'a[0]': 0.1 is not");
	assert_rejected_str("{\"a.b\":{\"\":2.5}}",
			    "field '[\"a.b\"][\"\"]': 2.5 is not");
	assert_rejected_str("{\"税额\":0.5}", "field '税额': 0.5 is not");
}

static void duplicate_keys_rejected(void **state)
{
	(void)state;
	assert_rejected_str("{\"a\":1,\"a\":2}", "duplicate object key");
	assert_rejected_str("{\"a\":1,\"\\u0061\":2}", "duplicate object key");
	assert_rejected_str("[{\"x\":{\"b\":1,\"c\":2,\"b\":3}}]",
			    "duplicate object key");
}

static void syntax_error_line_column(void **state)
{
	(void)state;
	assert_rejected_str("{\"a\": 1,\n  \"b\": x}",
			    "invalid JSON at line 2, column 8: invalid token");
	assert_rejected_str("", "invalid JSON at line 1, column 0");
	assert_rejected_str("{} x", "end of file expected");
	assert_rejected_str("[1,]", "invalid JSON at line 1, column 4");
	assert_rejected_str("01", "invalid JSON");
	assert_rejected_str("{'a':1}", "invalid JSON");
	assert_rejected(NULL, 3, "NULL text");
}

static void bad_text_rejected(void **state)
{
	(void)state;
	/* Unpaired UTF-16 surrogate escapes. */
	assert_rejected_str("\"\\ud800\"", "invalid Unicode");
	assert_rejected_str("\"\\udc00\"", "invalid Unicode");
	assert_rejected_str("\"\\ud800\\u0041\"", "invalid Unicode");
	assert_rejected_str("{\"\\ude00\":1}", "invalid Unicode");

	/* NUL, escaped or raw. */
	assert_rejected_str("\"a\\u0000b\"",
			    "\\u0000 (NUL) is not allowed in strings");
	assert_rejected_str("{\"a\\u0000\":1}", "NUL byte in object key");
	assert_rejected("\"a\0b\"", 5, "invalid JSON");

	/* Invalid UTF-8: a stray byte, an overlong '/', a surrogate. */
	assert_rejected_str("\"\xff\"", "unable to decode byte 0xff");
	assert_rejected_str("\"\xc0\xaf\"", "invalid JSON");
	assert_rejected_str("\"\xed\xa0\x80\"", "invalid JSON");
	assert_rejected_str("\"\x01\"", "control character");
}

/* Returns n arrays nested in one another, or objects keyed "k". */
static char *nested(int n, bool objects)
{
	struct buf b = BUF_INIT_MAX(BUF_DEFAULT_MAX);

	for (int i = 0; i < n; i++)
		assert_int_equal(buf_puts(&b, objects ? "{\"k\":" : "["), 0);
	assert_int_equal(buf_puts(&b, "1"), 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(buf_putc(&b, objects ? '}' : ']'), 0);
	return buf_detach(&b, NULL);
}

static void depth_limit(void **state)
{
	char *text;

	(void)state;
	text = nested(JCS_MAX_DEPTH, false);
	free(canon(text));
	free(text);

	text = nested(JCS_MAX_DEPTH, true);
	free(canon(text));
	free(text);

	text = nested(JCS_MAX_DEPTH + 1, false);
	assert_rejected_str(text, "field '[0][0][0]");
	assert_rejected_str(text, "nest deeper than 64 levels");
	free(text);

	text = nested(JCS_MAX_DEPTH + 1, true);
	assert_rejected_str(text, "field 'k.k.k.k");
	free(text);

	/* Deeper than Jansson's own limit of 2048. */
	text = nested(3000, false);
	assert_rejected_str(text, "at most 64 nested arrays and objects");
	free(text);
}

/* Values built in code bypass the parser and go through jcs_check. */
static void built_values_checked(void **state)
{
	struct buf out = BUF_INIT_MAX(BUF_DEFAULT_MAX);
	json_t *deep = json_array(), *v = json_object();
	struct error err;

	(void)state;
	json_object_set_new(v, "s", json_stringn("a\0b", 3));
	error_clear(&err);
	assert_int_equal(jcs_check(v, &err), CT_EINVAL);
	assert_contains(err.msg, "field 's': string contains a NUL");

	json_object_set_new(v, "s", json_stringn_nocheck("\xc3(", 2));
	error_clear(&err);
	assert_int_equal(jcs_write(v, &out, &err), CT_EINVAL);
	assert_contains(err.msg, "field 's': string is not valid UTF-8");
	assert_int_equal(out.len, 0);

	json_object_set_new(v, "s", json_real(2.5));
	error_clear(&err);
	assert_int_equal(jcs_check(v, &err), CT_EINVAL);
	assert_contains(err.msg, "field 's': 2.5 is not an integer");
	json_decref(v);

	for (int i = 0; i < JCS_MAX_DEPTH; i++) {
		json_t *outer = json_array();

		json_array_append_new(outer, deep);
		deep = outer;
	}
	error_clear(&err);
	assert_int_equal(jcs_write(deep, &out, &err), CT_EINVAL);
	assert_contains(err.msg, "nest deeper than 64 levels");
	json_decref(deep);

	error_clear(&err);
	assert_int_equal(jcs_check(NULL, &err), CT_EINVAL);
	assert_contains(err.msg, "field '(root)': value is missing");
	buf_release(&out);
}

static void writer_output_parses_back(void **state)
{
	static const char *cases[] = {
		"{\"z\":[1,2,{\"y\":null,\"x\":\"\\u0007\\n\"}],\"a\":true}",
		"{\"\\u20ac\":1,\"\\ud83d\\ude00\":[\"\\ufb33\",\"\\u0080\"]}",
		"[9007199254740991,-9007199254740991,0,-1]",
		"{\"k\\\"q\":\"\\\\\",\"\":{\"\":[]}}",
		"\"\\u001f\\u007f\\u2028/\"",
	};
	struct error err;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *text = canon(cases[i]);
		char *again;
		json_t *a, *b;

		error_clear(&err);
		a = jcs_parse(cases[i], strlen(cases[i]), &err);
		b = jcs_parse(text, strlen(text), &err);
		assert_non_null(a);
		assert_non_null(b);
		assert_true(json_equal(a, b));
		again = canon(text);
		assert_string_equal(again, text);
		json_decref(a);
		json_decref(b);
		free(text);
		free(again);
	}
}

static void output_max_honoured(void **state)
{
	const char *in = "{\"b\":\"0123456789\",\"a\":1}";
	const char *expected = "{\"a\":1,\"b\":\"0123456789\"}";
	struct error err;
	json_t *v;

	(void)state;
	error_clear(&err);
	v = jcs_parse(in, strlen(in), &err);
	assert_non_null(v);

	/* Exactly the canonical length plus the prefix fits. */
	struct buf fit = BUF_INIT_MAX(2 + strlen(expected));
	assert_int_equal(buf_puts(&fit, "xy"), 0);
	assert_int_equal(jcs_write(v, &fit, &err), 0);
	assert_int_equal(fit.len, 2 + strlen(expected));
	assert_memory_equal(fit.data + 2, expected, strlen(expected));
	buf_release(&fit);

	/* One byte less fails and leaves the prefix as it was. */
	struct buf small = BUF_INIT_MAX(1 + strlen(expected));
	assert_int_equal(buf_puts(&small, "xy"), 0);
	assert_int_equal(jcs_write(v, &small, &err), CT_ETOOBIG);
	assert_int_equal(err.code, CT_ETOOBIG);
	assert_contains(err.msg, "larger than the output maximum");
	assert_int_equal(small.len, 2);
	assert_string_equal(small.data, "xy");
	buf_release(&small);
	json_decref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc8785_arrays),
		cmocka_unit_test(rfc8785_french),
		cmocka_unit_test(rfc8785_structures),
		cmocka_unit_test(rfc8785_unicode),
		cmocka_unit_test(rfc8785_weird),
		cmocka_unit_test(rfc8785_simple_string),
		cmocka_unit_test(rfc8785_values),
		cmocka_unit_test(rfc8785_sorting_example),
		cmocka_unit_test(sort_utf16_not_bytes),
		cmocka_unit_test(escape_every_control_char),
		cmocka_unit_test(escape_only_what_rfc_requires),
		cmocka_unit_test(scalars_and_whitespace),
		cmocka_unit_test(safe_integer_bounds),
		cmocka_unit_test(reals_rejected_with_path),
		cmocka_unit_test(duplicate_keys_rejected),
		cmocka_unit_test(syntax_error_line_column),
		cmocka_unit_test(bad_text_rejected),
		cmocka_unit_test(depth_limit),
		cmocka_unit_test(built_values_checked),
		cmocka_unit_test(writer_output_parses_back),
		cmocka_unit_test(output_max_honoured),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
