/*
 * The 双公示 export of granted licences. Each granted case contributes the
 * row of its last decision when that decision's day lies in the range:
 * the applicant from the application, number, dates and validity from
 * the decision (corrections applied), the licence number from the last
 * licence-issue record and the authority from data/publicity.json.
 *
 * The submission file carries what the credit platform requires. The
 * public view leaves out the ID numbers of natural persons and legal
 * representatives, masks every resident ID number inside any other
 * column, and leaves out the rows of decisions whose content is marked, the
 * licence columns of a marked licence-issue record and the columns an
 * applicant's disclosure-objection names. Every export is recorded as a
 * publicity-export entry, which cases/publicity_proj.c projects.
 */
#include "common/common.h"

#include <unistd.h>

#include "common/log.h"
#include "crypto/crypto.h"
#include "deadlines/deadlines.h"
#include "publicity.h"

/* As cases/publicity_proj.c projects it. */
#define KIND_PUBLICITY_EXPORT "publicity-export"

/* A decision with no readable day. */
#define NO_DAY INT32_MIN

/* Cases read per page while collecting the granted ones. */
#define CASE_PAGE 500

const char *const publicity_columns[PUBLICITY_COLUMNS] = {
	"XK_XDR_MC", "XK_XDR_LB", "XK_XDR_SHXYM", "XK_XDR_GSZC",
	"XK_XDR_ZZJG", "XK_XDR_SWDJ", "XK_XDR_SYDW", "XK_XDR_SHZZ",
	"XK_FRDB", "XK_FR_ZJLX", "XK_FR_ZJHM", "XK_XDR_ZJLX",
	"XK_XDR_ZJHM", "XK_XKWS", "XK_WSH", "XK_XKLB",
	"XK_XKZS", "XK_XKBH", "XK_NR", "XK_JDRQ",
	"XK_YXQZ", "XK_YXQZI", "XK_XKJG", "XK_XKJGDM",
	"XK_ZT", "XK_LYDW", "XK_LYDWDM", "BZ",
};

/* Columns that hold ID numbers: blank in the public view. */
static const char *const id_columns[] = { "XK_FR_ZJHM", "XK_XDR_ZJHM", NULL };

/* Columns that come from the licence-issue record. */
static const char *const licence_columns[] = { "XK_XKZS", "XK_XKBH", NULL };

struct exporter {
	struct access *a;
	struct cases *cases;
	const struct publicity_export_req *req;
	json_t *config;     /* data/publicity.json, or an empty object */
	const char *authority_name, *authority_code;
	struct buf *csv;
	json_t *decisions;  /* [{seq, case, number}] of the rows written */
	json_t *withheld;   /* [{seq, case, reason}] left out of the view */
	json_t *warnings;
	size_t rows;
	char today[11];
};

static const char *str(const json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

/* Reads name (publicity.json, bureau.json) of the bureau data folder
 * into *out; a missing file is an empty object. */
static int load_data_file(struct exporter *x, const char *name, json_t **out,
			  struct error *err)
{
	char path[4096];
	json_error_t jerr;

	snprintf(path, sizeof(path), "%s/%s", cases_data_dir(x->cases), name);
	if (access(path, F_OK) != 0) {
		*out = json_object();
		return 0;
	}
	*out = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!*out || !json_is_object(*out))
		return error_set(err, CT_EINVAL, "%s line %d: %s; fix the "
				 "bureau data", path, jerr.line,
				 *out ? "not an object" : jerr.text);
	return 0;
}

/*
 * Loads publicity.json. The authority's name defaults to bureau.json's
 * "name", kept in the configuration so that it lives as long.
 */
static int load_config(struct exporter *x, struct error *err)
{
	json_t *bureau = NULL, *auth;
	int rc = load_data_file(x, "publicity.json", &x->config, err);

	if (rc == 0)
		rc = load_data_file(x, "bureau.json", &bureau, err);
	if (rc == 0) {
		auth = json_object_get(x->config, "authority");
		if (!json_is_object(auth)) {
			auth = json_object();
			json_object_set_new(x->config, "authority", auth);
		}
		if (!str(auth, "name") || !str(auth, "name")[0])
			json_object_set(auth, "name",
					json_object_get(bureau, "name"));
	}
	json_decref(bureau);
	return rc;
}

static int check_authority(struct exporter *x, struct error *err)
{
	const json_t *auth = json_object_get(x->config, "authority");

	x->authority_name = str(auth, "name") ?: "";
	x->authority_code = x->req->authority_code ? x->req->authority_code
						    : str(auth, "credit_code");
	if (!x->authority_code || !x->authority_code[0]) {
		x->authority_code = "";
		json_array_append_new(x->warnings, json_string(
			"the authority's credit code is not configured, so "
			"XK_XKJGDM and XK_LYDWDM are blank; set "
			"authority.credit_code in publicity.json or pass "
			"--authority-code"));
		return 0;
	}
	return credit_code_check(x->authority_code, err);
}

/* The record of kind last in force (not superseded, content present). */
static const json_t *last_record(const json_t *view, const char *kind)
{
	const json_t *recs = json_object_get(view, "records"), *found = NULL;
	json_t *r;
	size_t i;

	json_array_foreach(recs, i, r)
		if (!strcmp(str(r, "kind") ?: "", kind) &&
		    json_is_object(json_object_get(r, "fields")))
			found = r;
	return found;
}

/* The day a decision was made: decided_on, else the day it happened. */
static int32_t decision_day(const json_t *dec)
{
	const json_t *f = json_object_get(dec, "fields");
	int32_t day;
	int64_t ms;

	if (str(f, "decided_on") && day_parse(str(f, "decided_on"), &day) == 0)
		return day;
	if (cases_time_parse(str(dec, "happened") ?: "", &ms) == 0)
		return day_of_ms(ms);
	return NO_DAY;
}

/* The strictest mark among a record's own and the administrator's. */
static enum access_mark record_mark(const json_t *rec, const json_t *overrides,
				    bool own)
{
	enum access_mark m = MARK_NONE, o = MARK_NONE;
	struct error ignored = { 0 };
	char seq[24];

	if (own && str(rec, "mark"))
		access_mark_parse(str(rec, "mark"), &m, &ignored);
	snprintf(seq, sizeof(seq), "%" JSON_INTEGER_FORMAT,
		 json_integer_value(json_object_get(rec, "seq")));
	if (str(overrides, seq))
		access_mark_parse(str(overrides, seq), &o, &ignored);
	return o > m ? o : m;
}

/* Whether id is shaped as a resident identity card number. */
static bool person_id(const char *id)
{
	return id && access_has_resident_id(id) && strlen(id) == 18;
}

/*
 * 法人及非法人组织 for a credit code, 个体工商户 for one of an individual
 * business (registering department 9, kind 2), 自然人 for a resident
 * identity card number, else blank.
 */
static const char *applicant_class(const char *id, bool *is_code)
{
	struct error ignored = { 0 };

	*is_code = id && credit_code_check(id, &ignored) == 0;
	if (*is_code)
		return !strncmp(id, "92", 2) ? "个体工商户" : "法人及非法人组织";
	return person_id(id) ? "自然人" : "";
}

static void set(json_t *row, const char *column, const char *value)
{
	json_object_set_new(row, column, json_string(value ? value : ""));
}

/* Fills the columns of one granted decision of case view. */
static json_t *make_row(struct exporter *x, const json_t *view,
			const json_t *dec, const json_t *licence)
{
	const json_t *app = json_object_get(last_record(view, "application"),
					    "fields");
	const json_t *f = json_object_get(dec, "fields");
	const json_t *lf = json_object_get(licence, "fields");
	const json_t *matter = json_object_get(view, "matter");
	const json_t *settings = json_object_get(
		json_object_get(x->config, "matters"), str(matter, "code"));
	const json_t *source = json_object_get(x->config, "source");
	const char *id = str(app, "applicant_id"), *until;
	char day[11];
	bool is_code;
	json_t *row = json_object();

	set(row, "XK_XDR_MC", str(app, "applicant") ?: str(view, "applicant"));
	set(row, "XK_XDR_LB", applicant_class(id, &is_code));
	set(row, "XK_XDR_SHXYM", is_code ? id : "");
	set(row, "XK_XDR_ZJLX", person_id(id) ? "身份证" : "");
	set(row, "XK_XDR_ZJHM", person_id(id) ? id : "");
	set(row, "XK_XKWS", "行政许可决定书");
	set(row, "XK_WSH", str(f, "number"));
	set(row, "XK_XKLB", str(settings, "category") ?: "普通");
	/* The licence-issue kind records no certificate name. */
	set(row, "XK_XKZS", licence ? str(settings, "certificate") : "");
	set(row, "XK_XKBH", str(lf, "licence_no"));
	set(row, "XK_NR", str(matter, "name"));
	day_format(decision_day(dec), day);
	set(row, "XK_JDRQ", day);
	set(row, "XK_YXQZ", str(f, "valid_from"));
	until = str(f, "valid_until");
	set(row, "XK_YXQZI", until);
	set(row, "XK_XKJG", x->authority_name);
	set(row, "XK_XKJGDM", x->authority_code);
	/* 1 有效, 2 无效: valid until the end of the validity period. */
	set(row, "XK_ZT", until && strcmp(until, x->today) < 0 ? "2" : "1");
	set(row, "XK_LYDW", str(source, "name") && str(source, "name")[0]
				    ? str(source, "name")
				    : x->authority_name);
	set(row, "XK_LYDWDM", str(source, "credit_code") &&
					      str(source, "credit_code")[0]
				      ? str(source, "credit_code")
				      : x->authority_code);
	return row;
}

static void withhold(struct exporter *x, const json_t *view,
		     const json_t *dec, const char *reason)
{
	json_array_append_new(x->withheld, json_pack(
		"{s:O, s:s, s:s}", "seq", json_object_get(dec, "seq"), "case",
		str(view, "id") ?: "", "reason", reason));
}

/* Masks the resident ID numbers inside every column of row, wherever
 * they stand (an applicant's name, a licence number, a remark). */
static int mask_resident_ids(json_t *row)
{
	for (size_t i = 0; i < PUBLICITY_COLUMNS; i++) {
		const char *v = str(row, publicity_columns[i]);
		size_t count = 0;
		char *masked;

		if (!v || !*v)
			continue;
		masked = publicity_mask_resident_ids(v, &count);
		if (!masked)
			return CT_ENOMEM;
		if (count)
			set(row, publicity_columns[i], masked);
		free(masked);
	}
	return 0;
}

/*
 * Applies the public view's rules to row. Returns false when the whole
 * row must stay out (recorded in x->withheld).
 */
static bool apply_public_view(struct exporter *x, const json_t *view,
			      const json_t *dec, const json_t *licence,
			      json_t *row, struct error *err)
{
	json_t *overrides = NULL, *r, *c;
	size_t i, j;
	bool keep = true;
	const char *id = str(view, "id");

	for (i = 0; id_columns[i]; i++)
		set(row, id_columns[i], "");
	if (access_case_overrides(x->a, id, &overrides, err) != 0) {
		error_clear(err);
		overrides = json_object();
	}
	/* The application's own mark is for its contact and address, which
	 * never enter the file; the administrator's mark still counts. */
	if (record_mark(last_record(view, "application"), overrides, false) >
		    MARK_NONE ||
	    record_mark(dec, overrides, true) > MARK_NONE) {
		withhold(x, view, dec, "the application or decision is marked "
			 "confidential");
		keep = false;
	}
	if (keep && licence && record_mark(licence, overrides, true) >
					MARK_NONE)
		for (i = 0; licence_columns[i]; i++)
			set(row, licence_columns[i], "");
	json_array_foreach(json_object_get(view, "records"), i, r) {
		const json_t *cols;

		if (strcmp(str(r, "kind") ?: "", "disclosure-objection") ||
		    !json_is_object(json_object_get(r, "fields")))
			continue;
		cols = json_object_get(json_object_get(r, "fields"), "columns");
		if (json_array_size(cols) == 0)
			set(row, "XK_NR", "");
		json_array_foreach(cols, j, c)
			if (json_object_get(row, json_string_value(c) ?: ""))
				set(row, json_string_value(c), "");
	}
	json_decref(overrides);
	return keep;
}

static int put_line(struct buf *csv, const json_t *row)
{
	int rc = 0;

	for (size_t i = 0; i < PUBLICITY_COLUMNS && rc == 0; i++) {
		if (i)
			rc = buf_putc(csv, ',');
		if (rc == 0)
			rc = csv_put_field(csv, row ? str(row, publicity_columns[i])
							      ?: ""
						    : publicity_columns[i]);
	}
	return rc ? rc : buf_append(csv, "\r\n", 2);
}

/* Adds the row of one case when its last decision is a grant in range. */
static int export_case(struct exporter *x, const char *id, struct error *err)
{
	json_t *view = NULL, *row = NULL;
	const json_t *dec, *licence;
	const char *result;
	int32_t day;
	int rc = cases_show(x->cases, id, &view, err);

	if (rc)
		return rc;
	/* 双公示 publishes licences; confirmations are not among them. */
	if (strcmp(str(json_object_get(view, "matter"), "type") ?: "",
		   "licence"))
		goto out;
	dec = last_record(view, "decision");
	result = str(json_object_get(dec, "fields"), "result");
	day = dec ? decision_day(dec) : NO_DAY;
	if (!result || (strcmp(result, "grant") && strcmp(result, "partial")) ||
	    day == NO_DAY || day < x->req->from_day ||
	    day > x->req->to_day)
		goto out;
	licence = last_record(view, "licence-issue");
	row = make_row(x, view, dec, licence);
	if (x->req->public_view &&
	    !apply_public_view(x, view, dec, licence, row, err))
		goto out;
	if (x->req->public_view && mask_resident_ids(row) != 0) {
		rc = error_set(err, CT_ENOMEM, "out of memory masking the ID "
			       "numbers of case %s", id);
		goto out;
	}
	rc = put_line(x->csv, row);
	if (rc)
		rc = error_set(err, rc, "the export file is too large");
	x->rows++;
	json_array_append_new(x->decisions, json_pack(
		"{s:O, s:s, s:s}", "seq", json_object_get(dec, "seq"), "case",
		id, "number", str(json_object_get(dec, "fields"), "number")
				      ?: ""));
out:
	json_decref(row);
	json_decref(view);
	return rc;
}

static int export_all(struct exporter *x, struct error *err)
{
	struct case_query q = { .due_within = -1, .limit = CASE_PAGE };
	json_t *page = NULL, *item;
	size_t i, total;
	int rc;

	do {
		rc = cases_list(x->cases, &q, &page, err);
		if (rc)
			return rc;
		total = (size_t)json_integer_value(json_object_get(page,
								   "total"));
		json_array_foreach(json_object_get(page, "items"), i, item) {
			if (rc == 0 && !strcmp(str(item, "status") ?: "",
					       "granted"))
				rc = export_case(x, str(item, "id") ?: "", err);
		}
		q.offset += CASE_PAGE;
		json_decref(page);
	} while (rc == 0 && q.offset < total);
	return rc;
}

/* Appends the publicity-export entry that puts the export on the record. */
static int record_export(struct exporter *x, const struct actor *by,
			 json_t **out, struct error *err)
{
	struct ledger *l = cases_ledger(x->cases);
	enum hash_alg alg = ledger_config(l)->alg;
	struct ledger_record rec = { .kind = KIND_PUBLICITY_EXPORT,
				     .actor = by->user,
				     .os_user = by->os_user,
				     .supersedes = -1 };
	struct ledger_receipt receipt;
	uint8_t digest[HASH_LEN];
	char sha256[HASH_TEXT_MAX], hash[HASH_TEXT_MAX], from[11], to[11];
	json_t *fields;
	int rc;

	hash_buf(HASH_SHA256, x->csv->data, x->csv->len, digest);
	hash_format(HASH_SHA256, digest, sha256);
	hash_buf(alg, x->csv->data, x->csv->len, digest);
	hash_format(alg, digest, hash);
	day_format(x->req->from_day, from);
	day_format(x->req->to_day, to);
	fields = json_pack("{s:s, s:s, s:s, s:I, s:O, s:O, s:s, s:s, s:I}",
			   "output", x->req->public_view ? "public"
							 : "submission",
			   "from", from, "to", to, "rows", (json_int_t)x->rows,
			   "decisions", x->decisions, "withheld", x->withheld,
			   "sha256", sha256, "hash", hash, "size",
			   (json_int_t)x->csv->len);
	if (!fields)
		return error_set(err, CT_ENOMEM, "out of memory");
	rec.fields = fields;
	rc = ledger_append(l, &rec, &receipt, err);
	if (rc == 0) {
		log_info("publicity", "export recorded", "seq=%" PRIu64
			 " output=%s rows=%zu user=%s", receipt.seq,
			 str(fields, "output"), x->rows, by->user);
		json_object_set_new(fields, "seq",
				    json_integer((json_int_t)receipt.seq));
		json_object_set(fields, "warnings", x->warnings);
		*out = fields;
		return 0;
	}
	json_decref(fields);
	return rc;
}

int publicity_export(struct access *a, const struct principal *p,
		     const struct actor *by,
		     const struct publicity_export_req *req, struct buf *csv,
		     json_t **out, struct error *err)
{
	struct access_target t = { 0 };
	struct exporter x = { a, access_cases(a), req, NULL, NULL, NULL, csv,
			      json_array(), json_array(), json_array(), 0,
			      { 0 } };
	int rc = access_decide(a, p, ACT_PUBLICITY_EXPORT, &t, err);

	*out = NULL;
	day_format(day_of_ms(ledger_now_ms()), x.today);
	if (rc == 0 && req->from_day > req->to_day) {
		char from[11], to[11];

		day_format(req->from_day, from);
		day_format(req->to_day, to);
		rc = error_set(err, CT_EINVAL, "the range from %s to %s is "
			       "empty; give a start on or before the end",
			       from, to);
	}
	if (rc == 0)
		rc = load_config(&x, err);
	if (rc == 0)
		rc = check_authority(&x, err);
	if (rc == 0)
		rc = put_line(csv, NULL);
	if (rc == 0)
		rc = export_all(&x, err);
	if (rc == 0)
		rc = record_export(&x, by, out, err);
	json_decref(x.config);
	json_decref(x.decisions);
	json_decref(x.withheld);
	json_decref(x.warnings);
	return rc;
}
