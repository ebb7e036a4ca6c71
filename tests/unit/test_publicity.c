/*
 * Unit tests for the two parsers of the 双公示 module: the check
 * characters of unified social credit codes (GB 32100-2015 with the
 * organization code of GB 11714) and the RFC 4180 CSV reader.
 */
#include "common/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "publicity/publicity.h"

/* Codes of a provincial platform's 行政许可 export, all valid. */
static const char *const valid_codes[] = {
	"92330206MA2EL62660", "92330206MA7FX69W9Y", "92330206MACTXDYM7N",
	"91330205671243732A", NULL,
};

static void credit_codes_valid(void **state)
{
	struct error err = { 0 };

	(void)state;
	for (size_t i = 0; valid_codes[i]; i++)
		assert_int_equal(credit_code_check(valid_codes[i], &err), 0);
}

static void altered_check_character_rejected(void **state)
{
	struct error err = { 0 };
	char code[19];

	(void)state;
	for (size_t i = 0; valid_codes[i]; i++) {
		memcpy(code, valid_codes[i], sizeof(code));
		code[17] = code[17] == '0' ? '1' : '0';
		error_clear(&err);
		assert_int_equal(credit_code_check(code, &err), CT_EINVAL);
		assert_non_null(strstr(err.msg, "check character"));
		assert_non_null(strstr(err.msg, code));
	}
}

static void altered_organization_code_rejected(void **state)
{
	struct error err = { 0 };
	char code[19];

	(void)state;
	memcpy(code, "91330205671243732A", sizeof(code));
	code[16] = '3';
	assert_int_equal(credit_code_check(code, &err), CT_EINVAL);
	assert_non_null(strstr(err.msg, "organization code"));
}

static void malformed_codes_rejected(void **state)
{
	static const char *const bad[] = {
		"", "9233020", "92330206MA2EL6266",      /* too short */
		"92330206MA2EL626600",                   /* too long */
		"92330206ma2el62660",                    /* lower case */
		"92330206MA2EL6266I", "9233020 MA2EL62660", NULL,
	};
	struct error err = { 0 };

	(void)state;
	for (size_t i = 0; bad[i]; i++)
		assert_int_equal(credit_code_check(bad[i], &err), CT_EINVAL);
}

/* Collects rows as "a|b|c" lines. */
static int collect(void *ctx, size_t row, char **fields, size_t n,
		   struct error *err)
{
	struct buf *out = ctx;

	(void)err;
	buf_printf(out, "%zu:", row);
	for (size_t i = 0; i < n; i++)
		buf_printf(out, "%s%s", i ? "|" : "", fields[i]);
	buf_putc(out, '\n');
	return 0;
}

static int read_text(const char *text, size_t len, struct buf *out,
		     struct error *err)
{
	buf_reset(out);
	error_clear(err);
	return csv_read(text, len, collect, out, err);
}

static void credit_code_length_in_characters(void **state)
{
	struct error err = { 0 };

	(void)state;
	/* 8 characters, 24 bytes: the message counts characters. */
	assert_int_equal(credit_code_check("统一社会信用代码", &err), CT_EINVAL);
	assert_non_null(strstr(err.msg, "has 8 characters"));
	/* 6 characters in 18 bytes are not 18 characters either. */
	error_clear(&err);
	assert_int_equal(credit_code_check("统一社会信用", &err), CT_EINVAL);
	assert_non_null(strstr(err.msg, "has 6 characters"));
	/* 18 characters with one of 3 bytes: the character is named whole. */
	error_clear(&err);
	assert_int_equal(credit_code_check("92330206MA2EL6266号", &err),
			 CT_EINVAL);
	assert_non_null(strstr(err.msg, "'号' at position 18"));
}

/* Masks text and checks the result and the count of numbers masked. */
static void assert_masked(const char *text, const char *expected,
			  size_t expected_count)
{
	size_t count = 0;
	char *masked = publicity_mask_resident_ids(text, &count);

	assert_non_null(masked);
	assert_string_equal(masked, expected);
	assert_int_equal(count, expected_count);
	free(masked);
}

static void resident_ids_masked_anywhere(void **state)
{
	(void)state;
	assert_masked("110101199003074514", "******************", 1);
	assert_masked("张三（身份证号110101199003074514）",
		      "张三（身份证号******************）", 1);
	assert_masked("JY110101199003074514", "JY******************", 1);
	assert_masked("11010119900307451X9", "11010119900307451X9", 0);
	/* Full-width digits: each character becomes one '*'. */
	assert_masked("号\xEF\xBC\x91\xEF\xBC\x91\xEF\xBC\x90\xEF\xBC\x91"
		      "\xEF\xBC\x90\xEF\xBC\x91\xEF\xBC\x91\xEF\xBC\x99"
		      "\xEF\xBC\x99\xEF\xBC\x90\xEF\xBC\x90\xEF\xBC\x93"
		      "\xEF\xBC\x90\xEF\xBC\x97\xEF\xBC\x94\xEF\xBC\x95"
		      "\xEF\xBC\x91\xEF\xBC\x94。", "号******************。", 1);
	/* An old 15-digit number, and two numbers in one value. */
	assert_masked("JY110101900307451", "JY***************", 1);
	assert_masked("110101199003074514,110101900307451",
		      "******************,***************", 2);
}

static void other_numbers_kept(void **state)
{
	(void)state;
	/* A wrong check character, a month 13, a 16-digit run. */
	assert_masked("110101199003074515", "110101199003074515", 0);
	assert_masked("110101901307451", "110101901307451", 0);
	assert_masked("JY13201040012345", "JY13201040012345", 0);
	assert_masked("", "", 0);
}

static void csv_quotes_bom_crlf(void **state)
{
	static const char text[] = "\xEF\xBB\xBF" "a,b\r\n"
				   "\"x, y\",\"say \"\"hi\"\"\"\r\n"
				   "\"two\nlines\",\r\n"
				   "\r\n"
				   "last,row";
	struct buf out = BUF_INIT_MAX(1 << 20);
	struct error err;

	(void)state;
	assert_int_equal(read_text(text, sizeof(text) - 1, &out, &err), 0);
	assert_string_equal(out.data, "1:a|b\n2:x, y|say \"hi\"\n"
				      "3:two\nlines|\n5:last|row\n");
	buf_release(&out);
}

static void csv_errors_named(void **state)
{
	static const struct {
		const char *text, *expected;
	} cases[] = {
		{ "a,b\n\"open,1\n", "row 2, column 1" },
		{ "a,b\n\"x\"y,1\n", "text after a closing quote" },
		{ "a,b\nx,y\"z\n", "row 2, column 2" },
		{ "a,b\n\xC4\xE3,1\n", "invalid UTF-8" },
		{ "a,b\n1,\xED\xA0\x80\n", "row 2, column 2" },
	};
	struct buf out = BUF_INIT_MAX(1 << 20);
	struct error err;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(read_text(cases[i].text,
					   strlen(cases[i].text), &out, &err),
				 CT_EINVAL);
		assert_non_null(strstr(err.msg, cases[i].expected));
	}
	buf_release(&out);
}

static void csv_huge_field_rejected(void **state)
{
	size_t len = CSV_FIELD_MAX + 16;
	char *text = malloc(len);
	struct buf out = BUF_INIT_MAX(1 << 20);
	struct error err;

	(void)state;
	assert_non_null(text);
	memcpy(text, "a\n", 2);
	memset(text + 2, 'x', len - 2);
	assert_int_equal(read_text(text, len, &out, &err), CT_ETOOBIG);
	assert_non_null(strstr(err.msg, "row 2, column 1"));
	free(text);
	buf_release(&out);
}

static void csv_field_written_quoted(void **state)
{
	struct buf out = BUF_INIT_MAX(1 << 20);

	(void)state;
	assert_int_equal(csv_put_field(&out, "plain"), 0);
	assert_int_equal(csv_put_field(&out, "a,b"), 0);
	assert_int_equal(csv_put_field(&out, "say \"hi\""), 0);
	assert_int_equal(csv_put_field(&out, " pad"), 0);
	assert_int_equal(csv_put_field(&out, "\xEF\xBB\xBFx"), 0);
	assert_string_equal(out.data, "plain\"a,b\"\"say \"\"hi\"\"\"\" pad\""
				      "\"\xEF\xBB\xBFx\"");
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(credit_codes_valid),
		cmocka_unit_test(altered_check_character_rejected),
		cmocka_unit_test(altered_organization_code_rejected),
		cmocka_unit_test(malformed_codes_rejected),
		cmocka_unit_test(credit_code_length_in_characters),
		cmocka_unit_test(resident_ids_masked_anywhere),
		cmocka_unit_test(other_numbers_kept),
		cmocka_unit_test(csv_quotes_bom_crlf),
		cmocka_unit_test(csv_errors_named),
		cmocka_unit_test(csv_huge_field_rejected),
		cmocka_unit_test(csv_field_written_quoted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
