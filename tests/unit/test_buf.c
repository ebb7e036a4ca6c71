/*
 * Unit tests for the growable buffer (buf.c) and for log_quote (log.c),
 * the two helpers that bound and escape untrusted bytes before they are
 * stored, hashed or logged.
 */
#include "common/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "common/log.h"

static void buf_starts_empty(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 100);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 100);
	buf_release(&b);
	assert_null(b.data);
	assert_int_equal(b.max, 100);
}

static void buf_grows_and_keeps_nul(void **state)
{
	struct buf b = BUF_INIT_MAX(BUF_DEFAULT_MAX);
	char expected[10001];

	(void)state;
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(buf_append(&b, "0123456789", 10), 0);
		memcpy(expected + 10 * i, "0123456789", 10);
		assert_int_equal(b.len, 10 * (size_t)(i + 1));
		assert_true(b.cap > b.len);
		assert_int_equal(b.data[b.len], '\0');
	}
	expected[10000] = '\0';
	assert_string_equal(b.data, expected);

	assert_int_equal(buf_putc(&b, 'x'), 0);
	assert_int_equal(buf_puts(&b, "yz"), 0);
	assert_int_equal(b.len, 10003);
	assert_string_equal(b.data + 10000, "xyz");
	buf_release(&b);
}

static void buf_empty_append_allocates(void **state)
{
	struct buf b = BUF_INIT_MAX(16);

	(void)state;
	assert_int_equal(buf_append(&b, NULL, 0), 0);
	assert_non_null(b.data);
	assert_string_equal(b.data, "");
	buf_release(&b);
}

static void buf_max_rejects_excess(void **state)
{
	struct buf b = BUF_INIT_MAX(8);

	(void)state;
	assert_int_equal(buf_append(&b, "12345678", 8), 0);
	assert_int_equal(buf_putc(&b, '9'), CT_ETOOBIG);
	assert_int_equal(buf_puts(&b, "9"), CT_ETOOBIG);
	assert_int_equal(b.len, 8);
	assert_string_equal(b.data, "12345678");

	/* A size that would wrap around is rejected, not truncated. */
	assert_int_equal(buf_append(&b, "x", SIZE_MAX), CT_ETOOBIG);
	assert_int_equal(b.len, 8);
	buf_release(&b);
}

static void buf_max_size_max_no_wrap(void **state)
{
	struct buf b = BUF_INIT_MAX(SIZE_MAX);

	(void)state;
	assert_int_equal(buf_append(&b, "x", SIZE_MAX), CT_ETOOBIG);
	assert_int_equal(buf_append(&b, "x", 1), 0);
	assert_int_equal(buf_append(&b, "x", SIZE_MAX - 1), CT_ETOOBIG);
	assert_int_equal(b.len, 1);
	buf_release(&b);
}

static void buf_printf_formats(void **state)
{
	struct buf b = BUF_INIT_MAX(BUF_DEFAULT_MAX);
	char expected[400];

	(void)state;
	assert_int_equal(buf_printf(&b, "%s=%d", "seq", 41), 0);
	assert_string_equal(b.data, "seq=41");
	assert_int_equal(b.len, 6);

	/* Longer than the first allocation of 64 bytes. */
	memset(expected, 'a', 300);
	expected[300] = '\0';
	assert_int_equal(buf_printf(&b, " %s", expected), 0);
	assert_int_equal(b.len, 307);
	assert_string_equal(b.data + 7, expected);
	assert_int_equal(buf_printf(&b, "%s", ""), 0);
	assert_int_equal(b.len, 307);
	buf_release(&b);
}

static void buf_printf_honours_max(void **state)
{
	struct buf b = BUF_INIT_MAX(10);

	(void)state;
	assert_int_equal(buf_printf(&b, "%d", 12345), 0);
	assert_int_equal(buf_printf(&b, "%d", 123456), CT_ETOOBIG);
	assert_int_equal(b.len, 5);
	assert_string_equal(b.data, "12345");
	assert_int_equal(buf_printf(&b, "%05d", 6789), 0);
	assert_string_equal(b.data, "1234506789");
	buf_release(&b);
}

static void buf_reset_keeps_memory(void **state)
{
	struct buf b = BUF_INIT_MAX(BUF_DEFAULT_MAX);
	char *data;
	size_t cap;

	(void)state;
	buf_reset(&b);
	assert_null(b.data);
	assert_int_equal(buf_puts(&b, "hello"), 0);
	data = b.data;
	cap = b.cap;
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_ptr_equal(b.data, data);
	assert_int_equal(b.cap, cap);
	assert_string_equal(b.data, "");
	buf_release(&b);
}

static void buf_detach_hands_over(void **state)
{
	struct buf b = BUF_INIT_MAX(32);
	size_t len = 99;
	char *p;

	(void)state;
	assert_int_equal(buf_puts(&b, "record"), 0);
	p = buf_detach(&b, &len);
	assert_string_equal(p, "record");
	assert_int_equal(len, 6);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.max, 32);
	free(p);

	/* An empty buffer still yields an allocated empty string. */
	p = buf_detach(&b, &len);
	assert_non_null(p);
	assert_string_equal(p, "");
	assert_int_equal(len, 0);
	free(p);

	p = buf_detach(&b, NULL);
	assert_non_null(p);
	free(p);
}

static void quote_plain_stays_bare(void **state)
{
	char out[64];

	(void)state;
	assert_string_equal(log_quote("ledger", out, sizeof(out)), "ledger");
	assert_string_equal(log_quote("案件-42", out, sizeof(out)),
			    "案件-42");
	/* Bare values are cut like any C string. */
	assert_string_equal(log_quote("abcdef", out, 4), "abc");
}

static void quote_escapes_specials(void **state)
{
	char out[64];

	(void)state;
	assert_string_equal(log_quote("", out, sizeof(out)), "\"\"");
	assert_string_equal(log_quote("a b", out, sizeof(out)), "\"a b\"");
	assert_string_equal(log_quote("k=v", out, sizeof(out)), "\"k=v\"");
	assert_string_equal(log_quote("say \"hi\"", out, sizeof(out)),
			    "\"say \\\"hi\\\"\"");
	assert_string_equal(log_quote("a\\b", out, sizeof(out)),
			    "\"a\\\\b\"");
	assert_string_equal(log_quote("a\nlevel=error", out, sizeof(out)),
			    "\"a\\nlevel=error\"");
	assert_string_equal(log_quote("\r\t\x01\x1f\x7f", out, sizeof(out)),
			    "\"\\x0d\\x09\\x01\\x1f\\x7f\"");
}

static void quote_truncation_keeps_quote(void **state)
{
	char out[16];

	(void)state;
	log_quote("a b c d e f g h i j k", out, 10);
	assert_int_equal(strlen(out), 9);
	assert_string_equal(out, "\"a b c d\"");

	/* An escape is never split by the cut. */
	log_quote("ab\ncd", out, 6);
	assert_string_equal(out, "\"ab\"");
	log_quote("\x01\x02", out, 6);
	assert_string_equal(out, "\"\"");
	log_quote("\x01\x02", out, 7);
	assert_string_equal(out, "\"\\x01\"");
}

static void quote_tiny_output(void **state)
{
	char out[4] = "zzz";

	(void)state;
	assert_ptr_equal(log_quote("a b", out, 0), out);
	assert_string_equal(out, "zzz");
	log_quote("a b", out, 1);
	assert_string_equal(out, "");
	assert_int_equal(out[1], 'z');
	log_quote("a b", out, 2);
	assert_string_equal(out, "");
	log_quote("a b", out, 3);
	assert_string_equal(out, "\"\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buf_starts_empty),
		cmocka_unit_test(buf_grows_and_keeps_nul),
		cmocka_unit_test(buf_empty_append_allocates),
		cmocka_unit_test(buf_max_rejects_excess),
		cmocka_unit_test(buf_max_size_max_no_wrap),
		cmocka_unit_test(buf_printf_formats),
		cmocka_unit_test(buf_printf_honours_max),
		cmocka_unit_test(buf_reset_keeps_memory),
		cmocka_unit_test(buf_detach_hands_over),
		cmocka_unit_test(quote_plain_stays_bare),
		cmocka_unit_test(quote_escapes_specials),
		cmocka_unit_test(quote_truncation_keeps_quote),
		cmocka_unit_test(quote_tiny_output),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
