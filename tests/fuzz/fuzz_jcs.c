/*
 * libFuzzer target for the strict JSON parser and the canonical writer.
 * Every input that jcs_parse accepts is written canonically, parsed again
 * and written again. The two outputs must be byte-identical and the two
 * parsed values equal, because casetrail hashes the canonical bytes and a
 * second canonicalisation that changed them would change the hash.
 */
#include "common/common.h"

#include "common/jcs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes v into out and aborts on failure, because jcs_parse accepted v. */
static void write_or_abort(const json_t *v, struct buf *out)
{
	struct error err;

	error_clear(&err);
	if (jcs_write(v, out, &err)) {
		fprintf(stderr, "jcs_write failed on a parsed value: %s\n",
			err.msg);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf first = BUF_INIT_MAX(BUF_DEFAULT_MAX);
	struct buf second = BUF_INIT_MAX(BUF_DEFAULT_MAX);
	json_t *v, *again = NULL;
	struct error err;

	error_clear(&err);
	v = jcs_parse((const char *)data, size, &err);
	if (!v)
		goto out_release;
	write_or_abort(v, &first);

	error_clear(&err);
	again = jcs_parse(first.data, first.len, &err);
	if (!again) {
		fprintf(stderr, "canonical output does not parse: %s\n%s\n",
			err.msg, first.data);
		abort();
	}
	write_or_abort(again, &second);
	if (first.len != second.len ||
	    memcmp(first.data, second.data, first.len) != 0) {
		fprintf(stderr, "canonical outputs differ:\n%s\n%s\n",
			first.data, second.data);
		abort();
	}
	if (!json_equal(v, again)) {
		fprintf(stderr, "canonical output parses to another value:\n"
				"%s\n", first.data);
		abort();
	}
out_release:
	json_decref(again);
	json_decref(v);
	buf_release(&first);
	buf_release(&second);
	return 0;
}
