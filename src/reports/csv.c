/*
 * The report and the annual statistics as CSV (RFC 4180, UTF-8, CRLF
 * line ends, a header row). The report is in long form, one value a row
 * with its section, row and measure, so that a spreadsheet pivots any
 * section into a table. A text field that starts with =, +, -, @, a tab
 * or a carriage return gets a leading apostrophe, so that a spreadsheet
 * shows it rather than evaluating it as a formula.
 */
#include "common/common.h"

#include "internal.h"
#include "reports.h"

static int field(struct buf *b, const char *text, int is_text)
{
	int quote = strpbrk(text, ",\"\r\n") != NULL;
	int rc = 0;

	if (quote)
		rc = buf_putc(b, '"');
	if (rc == 0 && is_text && strchr("=+-@\t\r", text[0]) &&
	    text[0])
		rc = buf_putc(b, '\'');
	for (const char *p = text; rc == 0 && *p; p++)
		rc = *p == '"' ? buf_puts(b, "\"\"") : buf_putc(b, *p);
	if (rc == 0 && quote)
		rc = buf_putc(b, '"');
	return rc ? CT_ENOMEM : 0;
}

static int sep(struct buf *b, int last)
{
	return (last ? buf_puts(b, "\r\n") : buf_putc(b, ',')) ? CT_ENOMEM : 0;
}

int reports_csv(const json_t *report, struct buf *out, struct error *err)
{
	json_t *tables = report_tables(report), *t, *row, *col;
	size_t i, j, k;
	int rc = buf_puts(out, "section,section_title,key,label,measure,"
			       "measure_title,value\r\n") ? CT_ENOMEM : 0;

	json_array_foreach(tables, i, t) {
		const char *section = json_string_value(json_object_get(
			t, "section"));
		const char *title = json_string_value(json_object_get(t,
								      "title"));

		json_array_foreach(json_object_get(t, "rows"), j, row) {
			json_array_foreach(json_object_get(t, "columns"), k,
					   col) {
				const json_t *cell = json_array_get(
				    json_object_get(row, "cells"), k);
				char value[1024];

				report_cell_text(cell, value, sizeof(value));
				if (rc == 0)
					rc = field(out, section, 0);
				if (rc == 0)
					rc = sep(out, 0);
				if (rc == 0)
					rc = field(out, title, 0);
				if (rc == 0)
					rc = sep(out, 0);
				if (rc == 0)
					rc = field(out, json_string_value(
						json_object_get(row, "key")), 1);
				if (rc == 0)
					rc = sep(out, 0);
				if (rc == 0)
					rc = field(out, json_string_value(
						json_object_get(row, "label")),
						   1);
				if (rc == 0)
					rc = sep(out, 0);
				if (rc == 0)
					rc = field(out, json_string_value(
						json_array_get(col, 0)), 0);
				if (rc == 0)
					rc = sep(out, 0);
				if (rc == 0)
					rc = field(out, json_string_value(
						json_array_get(col, 1)), 0);
				if (rc == 0)
					rc = sep(out, 0);
				if (rc == 0)
					rc = field(out, value,
						   json_is_string(cell));
				if (rc == 0)
					rc = sep(out, 1);
			}
		}
	}
	json_decref(tables);
	return rc ? error_set(err, rc, "out of memory writing the CSV report")
		  : 0;
}

int reports_annual_csv(const json_t *annual, struct buf *out,
		       struct error *err)
{
	const json_t *cols = json_object_get(annual, "columns");
	json_t *col, *row;
	size_t i, j, n = json_array_size(cols);
	int rc = 0;

	json_array_foreach(cols, i, col) {
		if (rc == 0)
			rc = field(out, json_string_value(json_array_get(col, 0)),
				   0);
		if (rc == 0)
			rc = sep(out, i + 1 == n);
	}
	json_array_foreach(json_object_get(annual, "rows"), i, row) {
		json_array_foreach(cols, j, col) {
			const json_t *cell = json_object_get(
			    row, json_string_value(json_array_get(col, 0)));
			char value[1024];

			report_cell_text(cell, value, sizeof(value));
			if (rc == 0)
				rc = field(out, value, json_is_string(cell));
			if (rc == 0)
				rc = sep(out, j + 1 == n);
		}
	}
	return rc ? error_set(err, rc, "out of memory writing the CSV file")
		  : 0;
}
