/*
 * The import of historical 双公示 行政许可 files and their listing. A file
 * is read whole (csv.c), its header matched to the national columns by
 * code, alias or Chinese name, and every row checked before anything is
 * stored: a file with any error stores nothing. Rows are kept under the
 * SHA-256 of their canonical fields, so a row imported twice is stored
 * once; publicity-history entries carry up to HISTORY_BATCH rows each.
 */
#include "common/common.h"

#include <strings.h>

#include "common/jcs.h"
#include "common/log.h"
#include "crypto/crypto.h"
#include "deadlines/deadlines.h"
#include "publicity.h"
#include "store/kv.h"

/* As cases/publicity_proj.c projects them. */
#define KIND_PUBLICITY_HISTORY "publicity-history"
#define NS_PUBLICITY_HISTORY "publicity-history"

/* Rows per publicity-history entry: about 1 KiB each, far below the
 * content limit, and few enough appends that 1,000 rows take a second. */
#define HISTORY_BATCH 200

/* Errors and warnings listed in a report; the totals count them all. */
#define REPORT_MAX 50000

/* A column of the import: its code, Chinese name and other names. */
struct column {
	const char *code, *label;
	const char *aliases[3];
	bool required;   /* a blank field is a warning */
	bool credit;     /* a unified social credit code */
	bool date;
};

static const struct column columns[] = {
	{ "XK_XDR_MC", "行政相对人名称", { NULL }, true, false, false },
	{ "XK_XDR_LB", "行政相对人类别", { NULL }, true, false, false },
	{ "XK_XDR_SHXYM", "统一社会信用代码",
	  { "uni_social_crd_cd", "行政相对人代码_1（统一社会信用代码）" },
	  false, true, false },
	{ "XK_XDR_GSZC", "工商注册号", { NULL }, false, false, false },
	{ "XK_XDR_ZZJG", "组织机构代码", { NULL }, false, false, false },
	{ "XK_XDR_SWDJ", "税务登记号", { NULL }, false, false, false },
	{ "XK_XDR_SYDW", "事业单位证书号", { NULL }, false, false, false },
	{ "XK_XDR_SHZZ", "社会组织登记证号", { NULL }, false, false, false },
	{ "XK_FRDB", "法定代表人", { NULL }, false, false, false },
	{ "XK_FR_ZJLX", "法定代表人证件类型", { NULL }, false, false, false },
	{ "XK_FR_ZJHM", "法定代表人证件号码",
	  { "xk_fr_sfzh", "法定代表人身份证号" }, false, false, false },
	{ "XK_XDR_ZJLX", "证件类型", { NULL }, false, false, false },
	{ "XK_XDR_ZJHM", "证件号码", { NULL }, false, false, false },
	{ "XK_XKWS", "行政许可决定文书名称", { NULL }, true, false, false },
	{ "XK_WSH", "行政许可决定文书号", { "决定文书号" }, true, false, false },
	{ "XK_XKLB", "许可类别", { NULL }, true, false, false },
	{ "XK_XKZS", "许可证书名称", { NULL }, false, false, false },
	{ "XK_XKBH", "许可编号", { NULL }, false, false, false },
	{ "XK_NR", "许可内容", { NULL }, true, false, false },
	{ "XK_JDRQ", "许可决定日期", { NULL }, true, false, true },
	{ "XK_YXQZ", "有效期自", { NULL }, true, false, true },
	{ "XK_YXQZI", "有效期至", { NULL }, true, false, true },
	{ "XK_XKJG", "许可机关", { NULL }, true, false, false },
	{ "XK_XKJGDM", "许可机关统一社会信用代码", { NULL }, true, true,
	  false },
	{ "XK_ZT", "当前状态", { NULL }, true, false, false },
	{ "XK_LYDW", "数据来源单位", { NULL }, true, false, false },
	{ "XK_LYDWDM", "数据来源单位统一社会信用代码", { NULL }, true, true,
	  false },
	{ "BZ", "备注", { NULL }, false, false, false },
	{ "XK_ID", "记录编号", { NULL }, false, false, false },
};

#define NCOLUMNS ARRAY_SIZE(columns)

struct importer {
	int map[256];        /* file column -> columns[] index, or -1 */
	size_t ncols;        /* columns in the header */
	bool header_done;
	json_t *rows;        /* [{row, key, fields}] of rows to keep */
	json_t *first;       /* key -> row number of its first occurrence */
	json_t *duplicates;  /* [{row, first}] */
	json_t *warnings;    /* [{row, column, message}] */
	json_t *errors;      /* [{row, column, value, message}] */
	json_t *used, *ignored; /* header names matched and not */
	size_t nwarnings, nerrors, nduplicates, nrows;
};

static void add_problem(json_t *list, size_t *count, json_t *item)
{
	if (++*count <= REPORT_MAX)
		json_array_append_new(list, item);
	else
		json_decref(item);
}

/* Finds the column a header name stands for: code, alias or label. */
static int column_of(const char *name)
{
	while (*name == ' ')
		name++;
	for (size_t i = 0; i < NCOLUMNS; i++) {
		const struct column *c = &columns[i];

		if (!strcasecmp(name, c->code) || !strcmp(name, c->label))
			return (int)i;
		for (size_t j = 0; j < ARRAY_SIZE(c->aliases) && c->aliases[j];
		     j++)
			if (!strcasecmp(name, c->aliases[j]))
				return (int)i;
	}
	return -1;
}

static int read_header(struct importer *im, char **fields, size_t n,
		       struct error *err)
{
	bool seen[NCOLUMNS] = { false };
	bool identity = false;

	im->ncols = n;
	for (size_t i = 0; i < n; i++) {
		int c = column_of(fields[i]);

		im->map[i] = c;
		if (c < 0) {
			json_array_append_new(im->ignored,
					      json_string(fields[i]));
			continue;
		}
		if (seen[c])
			return error_set(err, CT_EINVAL, "row 1, column %zu: "
					 "'%s' names %s a second time; keep "
					 "one of the two columns", i + 1,
					 fields[i], columns[c].code);
		seen[c] = true;
		identity |= !strcmp(columns[c].code, "XK_XDR_MC") ||
			    !strcmp(columns[c].code, "XK_XDR_SHXYM");
		json_array_append_new(im->used, json_pack(
			"{s:s, s:s}", "name", fields[i], "column",
			columns[c].code));
	}
	if (!identity)
		return error_set(err, CT_EINVAL, "row 1: the header names "
				 "neither XK_XDR_MC (行政相对人名称) nor "
				 "XK_XDR_SHXYM (统一社会信用代码); is this a "
				 "双公示 行政许可 file with a header row?");
	im->header_done = true;
	return 0;
}

/* Accepts YYYY-MM-DD and YYYY/MM/DD. */
static bool date_valid(const char *text)
{
	char copy[11];
	int32_t day;

	if (strlen(text) != 10)
		return false;
	memcpy(copy, text, sizeof(copy));
	if (copy[4] == '/' && copy[7] == '/')
		copy[4] = copy[7] = '-';
	return day_parse(copy, &day) == 0;
}

static void check_value(struct importer *im, size_t row, size_t col,
			const struct column *c, const char *value)
{
	struct error why = { 0 };

	if (!value[0]) {
		if (c->required)
			add_problem(im->warnings, &im->nwarnings, json_pack(
				"{s:I, s:s, s:I, s:s}", "row", (json_int_t)row,
				"column", c->code, "position",
				(json_int_t)col + 1, "message", "blank"));
		return;
	}
	if (c->credit && credit_code_check(value, &why) != 0)
		add_problem(im->errors, &im->nerrors, json_pack(
			"{s:I, s:s, s:s, s:s}", "row", (json_int_t)row,
			"column", c->code, "value", value, "message",
			why.msg));
	else if (c->date && !date_valid(value))
		add_problem(im->errors, &im->nerrors, json_pack(
			"{s:I, s:s, s:s, s:s}", "row", (json_int_t)row,
			"column", c->code, "value", value, "message",
			"not a date; write YYYY-MM-DD"));
}

/* The key of a row: SHA-256 of the canonical JSON of its fields. */
static int row_key(const json_t *fields, char key[HASH_TEXT_MAX],
		   struct error *err)
{
	struct buf text = BUF_INIT_MAX(CSV_FILE_MAX);
	uint8_t digest[HASH_LEN];
	int rc = jcs_write(fields, &text, err);

	if (rc == 0) {
		hash_buf(HASH_SHA256, text.data, text.len, digest);
		hash_format(HASH_SHA256, digest, key);
	}
	buf_release(&text);
	return rc;
}

static int read_row(void *ctx, size_t row, char **fields, size_t n,
		    struct error *err)
{
	struct importer *im = ctx;
	json_t *values, *first;
	char key[HASH_TEXT_MAX];
	int rc;

	if (!im->header_done)
		return read_header(im, fields, n, err);
	if (n != im->ncols)
		return error_set(err, CT_EINVAL, "row %zu has %zu fields, the "
				 "header %zu; quote fields that contain "
				 "commas", row, n, im->ncols);
	im->nrows++;
	values = json_object();
	for (size_t i = 0; i < n; i++) {
		if (im->map[i] < 0)
			continue;
		check_value(im, row, i, &columns[im->map[i]], fields[i]);
		if (fields[i][0])
			json_object_set_new(values, columns[im->map[i]].code,
					    json_string(fields[i]));
	}
	rc = row_key(values, key, err);
	if (rc) {
		json_decref(values);
		return rc;
	}
	first = json_object_get(im->first, key);
	if (first) {
		add_problem(im->duplicates, &im->nduplicates, json_pack(
			"{s:I, s:O}", "row", (json_int_t)row, "first", first));
		json_decref(values);
		return 0;
	}
	json_object_set_new(im->first, key, json_integer((json_int_t)row));
	json_array_append_new(im->rows, json_pack(
		"{s:I, s:s, s:o}", "row", (json_int_t)row, "key", key,
		"fields", values));
	return 0;
}

/* Removes from im->rows those stored already; returns how many. */
static int drop_stored(struct access *a, struct importer *im, size_t *already,
		       struct error *err)
{
	struct ledger *l = access_ledger(a);
	json_t *kept = json_array(), *r;
	struct store *s = NULL;
	size_t i;
	int rc = ledger_read_begin(l, &s, err);

	*already = 0;
	json_array_foreach(im->rows, i, r) {
		if (rc)
			break;
		rc = store_kv_get(s, NS_PUBLICITY_HISTORY,
				  json_string_value(json_object_get(r, "key")),
				  NULL, NULL, err);
		if (rc == 0) {
			(*already)++;
		} else if (rc == CT_ENOTFOUND) {
			error_clear(err);
			rc = 0;
			json_array_append(kept, r);
		}
	}
	if (s)
		ledger_read_end(l, s);
	json_decref(im->rows);
	im->rows = kept;
	return rc;
}

static int store_rows(struct access *a, const struct actor *by,
		      struct importer *im, const char *source,
		      struct error *err)
{
	size_t n = json_array_size(im->rows);
	int rc = 0;

	for (size_t start = 0; start < n && rc == 0; start += HISTORY_BATCH) {
		struct ledger_record rec = { .kind = KIND_PUBLICITY_HISTORY,
					     .actor = by->user,
					     .os_user = by->os_user,
					     .supersedes = -1 };
		struct ledger_receipt receipt;
		json_t *batch = json_array(), *fields;

		for (size_t i = start; i < n && i < start + HISTORY_BATCH; i++)
			json_array_append(batch, json_array_get(im->rows, i));
		fields = json_pack("{s:s, s:o}", "source", source, "rows",
				   batch);
		rec.fields = fields;
		rc = fields ? ledger_append(access_ledger(a), &rec, &receipt,
					    err)
			    : error_set(err, CT_ENOMEM, "out of memory");
		if (rc == 0)
			log_info("publicity", "history rows recorded",
				 "seq=%" PRIu64 " rows=%zu user=%s",
				 receipt.seq, json_array_size(batch),
				 by->user);
		json_decref(fields);
	}
	return rc;
}

static void importer_release(struct importer *im)
{
	json_decref(im->rows);
	json_decref(im->first);
	json_decref(im->duplicates);
	json_decref(im->warnings);
	json_decref(im->errors);
	json_decref(im->used);
	json_decref(im->ignored);
}

int publicity_import(struct access *a, const struct principal *p,
		     const struct actor *by, const char *data, size_t len,
		     const char *source, bool check_only, json_t **out,
		     struct error *err)
{
	struct importer im = { .rows = json_array(), .first = json_object(),
			       .duplicates = json_array(),
			       .warnings = json_array(),
			       .errors = json_array(), .used = json_array(),
			       .ignored = json_array() };
	struct access_target t = { 0 };
	size_t already = 0, stored = 0;
	int rc = check_only ? 0 : access_decide(a, p, ACT_PUBLICITY_EXPORT,
						&t, err);

	*out = NULL;
	if (rc == 0)
		rc = csv_read(data, len, read_row, &im, err);
	if (rc == 0 && !im.header_done)
		rc = error_set(err, CT_EINVAL, "the file '%s' is empty; it "
			       "needs a header row", source);
	if (rc == 0 && im.nerrors == 0 && !check_only)
		rc = drop_stored(a, &im, &already, err);
	if (rc == 0 && im.nerrors == 0 && !check_only) {
		stored = json_array_size(im.rows);
		rc = store_rows(a, by, &im, source, err);
	}
	if (rc == 0) {
		*out = json_pack("{s:s, s:I, s:I, s:I, s:b, s:O, s:I, s:O, s:I, "
				 "s:O, s:O, s:O}", "source", source, "rows",
				 (json_int_t)im.nrows, "stored",
				 (json_int_t)stored, "already",
				 (json_int_t)already, "checked_only",
				 check_only, "duplicates", im.duplicates,
				 "warnings_total", (json_int_t)im.nwarnings,
				 "warnings", im.warnings, "errors_total",
				 (json_int_t)im.nerrors, "errors", im.errors,
				 "columns", im.used, "ignored", im.ignored);
		if (im.nerrors)
			rc = error_set(err, CT_EINVAL, "%zu fields of '%s' are "
				       "invalid, the first in row %" JSON_INTEGER_FORMAT
				       " (%s = '%s'); nothing was stored",
				       im.nerrors, source,
				       json_integer_value(json_object_get(
					       json_array_get(im.errors, 0),
					       "row")),
				       json_string_value(json_object_get(
					       json_array_get(im.errors, 0),
					       "column")),
				       json_string_value(json_object_get(
					       json_array_get(im.errors, 0),
					       "value")));
	}
	importer_release(&im);
	return rc;
}

struct lister {
	json_t *items;
};

static int list_row(void *ctx, const char *key, uint64_t seq,
		    const char *body, size_t len)
{
	struct lister *ls = ctx;
	json_t *row = json_loadb(body, len, 0, NULL);

	if (!row)
		return 0;
	json_object_set_new(row, "key", json_string(key));
	json_object_set_new(row, "seq", json_integer((json_int_t)seq));
	json_array_append_new(ls->items, row);
	return 0;
}

int publicity_list(struct access *a, size_t offset, size_t limit,
		   json_t **out, struct error *err)
{
	struct ledger *l = access_ledger(a);
	struct lister ls = { json_array() };
	struct store *s = NULL;
	uint64_t total = 0;
	int rc = ledger_read_begin(l, &s, err);

	if (rc == 0) {
		rc = store_kv_scan(s, NS_PUBLICITY_HISTORY, "", false, offset,
				   limit, list_row, &ls, &total, err);
		ledger_read_end(l, s);
	}
	if (rc) {
		json_decref(ls.items);
		return rc;
	}
	*out = json_pack("{s:o, s:I}", "items", ls.items, "total",
			 (json_int_t)total);
	return 0;
}
