/*
 * libFuzzer target for the 双公示 CSV reader. Every record it accepts is
 * written back with csv_put_field and read again. The second reading
 * must give the same fields, because an export that the import cannot
 * read back would lose rows.
 */
#include "common/common.h"

#include "publicity/publicity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct rows {
	struct buf text;   /* the records written back */
	struct buf fields; /* every field, NUL-separated */
};

static int write_back(void *ctx, size_t row, char **fields, size_t n,
		      struct error *err)
{
	struct rows *r = ctx;

	(void)row, (void)err;
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(&r->text, ',');
		csv_put_field(&r->text, fields[i]);
		buf_append(&r->fields, fields[i], strlen(fields[i]) + 1);
	}
	buf_append(&r->text, "\r\n", 2);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rows first = { BUF_INIT_MAX(BUF_DEFAULT_MAX),
			      BUF_INIT_MAX(BUF_DEFAULT_MAX) };
	struct rows second = { BUF_INIT_MAX(BUF_DEFAULT_MAX),
			       BUF_INIT_MAX(BUF_DEFAULT_MAX) };
	struct error err = { 0 };

	if (csv_read((const char *)data, size, write_back, &first, &err) == 0) {
		error_clear(&err);
		if (csv_read(first.text.data ? first.text.data : "",
			     first.text.len, write_back, &second, &err) != 0 ||
		    first.fields.len != second.fields.len ||
		    (first.fields.len &&
		     memcmp(first.fields.data, second.fields.data,
			    first.fields.len) != 0)) {
			fprintf(stderr, "a record written back reads "
				"differently: %s\n", err.msg);
			abort();
		}
	}
	buf_release(&first.text);
	buf_release(&first.fields);
	buf_release(&second.text);
	buf_release(&second.fields);
	return 0;
}
