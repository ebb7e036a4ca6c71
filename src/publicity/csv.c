/*
 * A small RFC 4180 CSV reader and field writer for 双公示 files. The
 * reader takes the whole file in memory (at most CSV_FILE_MAX), checks
 * that it is UTF-8 and reports every malformation with its row and
 * column, so that an import error names the exact cell to fix.
 */
#include "common/common.h"

#include "publicity.h"

/* The maximum number of fields in one record. */
#define CSV_FIELDS_MAX 256

struct reader {
	const unsigned char *p, *end;
	size_t row;            /* 1-based record number */
	size_t line;           /* 1-based physical line, for messages */
	struct buf field;
	char *fields[CSV_FIELDS_MAX];
	size_t n;
	struct error *err;
};

/*
 * The length of the UTF-8 sequence at p (1 to 4), or 0 when it is not
 * a valid one: overlong forms, surrogates and values past U+10FFFF are
 * rejected as RFC 3629 requires.
 */
static size_t utf8_length(const unsigned char *p, const unsigned char *end)
{
	size_t n, i;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xC2 && p[0] <= 0xDF)
		n = 2, cp = p[0] & 0x1F;
	else if (p[0] >= 0xE0 && p[0] <= 0xEF)
		n = 3, cp = p[0] & 0x0F;
	else if (p[0] >= 0xF0 && p[0] <= 0xF4)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return n;
}

static void release_fields(struct reader *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->fields[i]);
	r->n = 0;
}

static int fail(struct reader *r, const char *what)
{
	return error_set(r->err, CT_EINVAL, "row %zu, column %zu (line %zu): "
			 "%s", r->row, r->n + 1, r->line, what);
}

/* Appends the character at r->p to the field, checking its encoding. */
static int take_char(struct reader *r)
{
	size_t n = utf8_length(r->p, r->end);

	if (n == 0)
		return fail(r, "invalid UTF-8; save the file as UTF-8 (not "
			    "GBK or GB 18030) and import it again");
	if (r->p[0] == '\0')
		return fail(r, "a NUL byte; the file is not text");
	if (r->field.len + n > CSV_FIELD_MAX)
		return error_set(r->err, CT_ETOOBIG, "row %zu, column %zu "
				 "(line %zu): a field longer than %zu bytes; "
				 "check for a missing closing quote", r->row,
				 r->n + 1, r->line, CSV_FIELD_MAX);
	if (r->p[0] == '\n')
		r->line++;
	if (buf_append(&r->field, r->p, n) != 0)
		return error_set(r->err, CT_ENOMEM, "out of memory");
	r->p += n;
	return 0;
}

static int end_field(struct reader *r)
{
	char *text;

	if (r->n == CSV_FIELDS_MAX)
		return fail(r, "more than 256 fields in one row");
	text = strdup(r->field.data ? r->field.data : "");
	if (!text)
		return error_set(r->err, CT_ENOMEM, "out of memory");
	r->fields[r->n++] = text;
	buf_reset(&r->field);
	return 0;
}

/* Reads a quoted field from after its opening quote to after the
 * closing one. */
static int read_quoted(struct reader *r)
{
	size_t start_line = r->line;
	int rc;

	for (;;) {
		if (r->p == r->end)
			return error_set(r->err, CT_EINVAL, "row %zu, column "
					 "%zu (line %zu): a quoted field is "
					 "not closed before the end of the "
					 "file", r->row, r->n + 1, start_line);
		if (r->p[0] == '"') {
			if (r->end - r->p > 1 && r->p[1] == '"') {
				r->p++;
				rc = take_char(r);
			} else {
				r->p++;
				return 0;
			}
		} else {
			rc = take_char(r);
		}
		if (rc)
			return rc;
	}
}

/* Reads one field and the separator after it; *last is set at the end
 * of a record. */
static int read_field(struct reader *r, int *last)
{
	int rc = 0;

	if (r->p < r->end && r->p[0] == '"') {
		r->p++;
		rc = read_quoted(r);
	} else {
		while (rc == 0 && r->p < r->end && r->p[0] != ',' &&
		       r->p[0] != '\n' && r->p[0] != '\r') {
			if (r->p[0] == '"')
				return fail(r, "a quote inside an unquoted "
					    "field; quote the whole field and "
					    "double the quote");
			rc = take_char(r);
		}
	}
	if (rc)
		return rc;
	if (r->p < r->end && r->p[0] == ',') {
		r->p++;
		*last = 0;
	} else if (r->p == r->end) {
		*last = 1;
	} else if (r->p[0] == '\r' && r->end - r->p > 1 && r->p[1] == '\n') {
		r->p += 2;
		*last = 1;
	} else if (r->p[0] == '\n' || r->p[0] == '\r') {
		r->p++;
		*last = 1;
	} else {
		return fail(r, "text after a closing quote; double a quote "
			    "inside a quoted field");
	}
	return end_field(r);
}

static bool blank_record(const struct reader *r)
{
	for (size_t i = 0; i < r->n; i++)
		for (const char *c = r->fields[i]; *c; c++)
			if (*c != ' ' && *c != '\t')
				return false;
	return true;
}

int csv_read(const char *data, size_t len, csv_row_fn fn, void *ctx,
	     struct error *err)
{
	struct reader r = { (const unsigned char *)data,
			    (const unsigned char *)data + len, 1, 1,
			    BUF_INIT_MAX(CSV_FIELD_MAX + 8), { 0 }, 0, err };
	int rc = 0, last;

	if (len > CSV_FILE_MAX)
		return error_set(err, CT_ETOOBIG, "the file has %zu bytes, "
				 "more than the %zu a CSV import takes; split "
				 "it", len, CSV_FILE_MAX);
	if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3))
		r.p += 3;
	while (rc == 0 && r.p < r.end) {
		last = 0;
		while (rc == 0 && !last)
			rc = read_field(&r, &last);
		if (rc == 0 && !blank_record(&r))
			rc = fn(ctx, r.row, r.fields, r.n, err);
		r.row++;
		release_fields(&r);
		if (r.p > (const unsigned char *)data && r.p[-1] == '\n')
			r.line++;
	}
	release_fields(&r);
	buf_release(&r.field);
	return rc;
}

int csv_put_field(struct buf *out, const char *text)
{
	size_t n = strlen(text);
	/* A leading U+FEFF is quoted, or at the start of a file a reader
	 * would take it for the byte order mark and drop it. */
	bool quote = n && (text[0] == ' ' || text[n - 1] == ' ' ||
			   !strncmp(text, "\xEF\xBB\xBF", 3));
	int rc = 0;

	for (const char *c = text; *c && !quote; c++)
		quote = *c == ',' || *c == '"' || *c == '\r' || *c == '\n';
	if (!quote)
		return buf_append(out, text, n);
	rc = buf_putc(out, '"');
	for (const char *c = text; *c && rc == 0; c++)
		rc = *c == '"' ? buf_append(out, "\"\"", 2) : buf_putc(out, *c);
	return rc ? rc : buf_putc(out, '"');
}
