/*
 * The annual licensing statistics (行政许可实施情况年度统计) of the cases
 * received in one year: one row per matter and a row of totals, counted
 * from the same case renderings and findings lists as the report.
 * docs/reports.md states what each column counts.
 */
#include "common/common.h"

#include "access/access.h"
#include "deadlines/deadlines.h"
#include "internal.h"
#include "reports.h"

/* The columns in order: key and meaning. */
static const char *const columns[][2] = {
	{ "matter", "事项编码" },
	{ "matter_name", "事项名称" },
	{ "received", "申请件数" },
	{ "accepted", "受理件数" },
	{ "not_accepted", "不予受理件数" },
	{ "granted", "准予许可件数" },
	{ "partly_granted", "部分准予件数" },
	{ "not_granted", "不予许可件数" },
	{ "changed", "变更件数" },
	{ "renewed", "延续件数" },
	{ "revoked", "撤销件数" },
	{ "hearings", "举行听证次数" },
	{ "decided_on_time", "按期决定件数" },
	{ "decided_overdue", "超期决定件数" },
	{ "deemed_accepted", "视为受理件数" },
	{ "deemed_renewed", "视为准予延续件数" },
	{ "fees", "收费金额（元）" },
	{ "suspensions", "期限中止次数" },
};

/* The first counted column: the ones before are text. */
#define FIRST_COUNT 2

struct annual {
	struct cases *c;
	struct error *err;
	json_t *rows; /* matter code -> row */
};

static void add(json_t *row, const char *name, json_int_t n)
{
	json_object_set_new(row, name, json_integer(
		json_integer_value(json_object_get(row, name)) + n));
}

static json_t *new_row(const char *matter, const char *name)
{
	json_t *row = json_pack("{s:s, s:s}", "matter", matter, "matter_name",
				name);

	for (size_t i = FIRST_COUNT; i < ARRAY_SIZE(columns); i++)
		json_object_set_new(row, columns[i][0], json_integer(0));
	/* Nothing records a revocation, so the column stays empty. */
	json_object_set_new(row, "revoked", json_string(""));
	return row;
}

/* A matter of renewals has the renewal limit; of changes, "变更" in its
 * name. */
static int matter_is(const struct cases *c, const char *code,
		     const char *what)
{
	json_t *m, *l;
	size_t i, j;

	json_array_foreach(json_object_get(cases_matters(c), "matters"), i, m) {
		const char *name = json_string_value(json_object_get(m, "name"));

		if (strcmp(json_string_value(json_object_get(m, "code")) ?: "",
			   code))
			continue;
		if (!strcmp(what, "change"))
			return name && strstr(name, "变更") != NULL;
		json_array_foreach(json_object_get(m, "limits"), j, l)
			if (!strcmp(json_string_value(json_object_get(l, "name"))
					    ?: "",
				    "renewal"))
				return 1;
	}
	return 0;
}

static void count_findings(json_t *row, const json_t *findings)
{
	json_t *f;
	size_t i;

	json_array_foreach(findings, i, f) {
		const char *code = json_string_value(json_object_get(f, "code"))
				   ?: "";

		if (!strcmp(code, "deemed-accepted"))
			add(row, "deemed_accepted", 1);
		/* Stores written before the code's rename keep its old
		 * name on findings raised then. */
		if (!strcmp(code, "deemed-renewal") ||
		    !strcmp(code, "deemed-renewed"))
			add(row, "deemed_renewed", 1);
	}
}

static void count_case(struct annual *an, json_t *row, const json_t *shown)
{
	const char *status = json_string_value(json_object_get(shown,
							       "status"));
	const char *result = report_result(shown);
	const char *matter = json_string_value(json_object_get(row, "matter"));
	const char *state = json_string_value(json_object_get(
		json_object_get(json_object_get(shown, "deadlines"),
				"decision"),
		"state"));

	add(row, "received", 1);
	/* A refusal after deemed acceptance has no legal effect. */
	if (report_accepted(shown))
		add(row, "accepted", 1);
	else if (status && !strcmp(status, "refused"))
		add(row, "not_accepted", 1);
	if (result && !strcmp(result, "grant"))
		add(row, "granted", 1);
	if (result && !strcmp(result, "partial"))
		add(row, "partly_granted", 1);
	if (result && !strcmp(result, "deny"))
		add(row, "not_granted", 1);
	if (result && strcmp(result, "deny")) {
		if (matter_is(an->c, matter, "change"))
			add(row, "changed", 1);
		if (matter_is(an->c, matter, "renewal"))
			add(row, "renewed", 1);
	}
	add(row, "hearings", report_count_kind(shown, "hearing-record"));
	add(row, "suspensions", report_count_kind(shown, "suspension"));
	if (state && !strcmp(state, "met"))
		add(row, "decided_on_time", 1);
	if (state && !strcmp(state, "late"))
		add(row, "decided_overdue", 1);
}

static int annual_case(void *ctx, const json_t *summary)
{
	struct annual *an = ctx;
	const char *id = json_string_value(json_object_get(summary, "id"));
	const json_t *matter = json_object_get(summary, "matter");
	const char *code = json_string_value(json_object_get(matter, "code"))
			   ?: "";
	json_t *shown = NULL, *findings = json_array(), *row;
	int rc = cases_show(an->c, id ? id : "", &shown, an->err);

	if (rc == 0)
		rc = report_case_findings(an->c, id, findings, an->err);
	if (rc == 0) {
		report_apply_corrections(shown, INT64_MAX);
		row = json_object_get(an->rows, code);
		if (!row) {
			row = new_row(code, json_string_value(json_object_get(
						   matter, "name")) ?: code);
			json_object_set_new(an->rows, code, row);
		}
		count_case(an, row, shown);
		count_findings(row, findings);
	}
	json_decref(findings);
	json_decref(shown);
	return rc;
}

/* Orders the rows by matter code and appends the row of totals. */
static json_t *ordered(json_t *rows)
{
	json_t *out = json_array(), *row, *totals = new_row("合计", "");
	const char *key;
	size_t i, j;

	json_object_foreach(rows, key, row) {
		for (i = 0; i < json_array_size(out); i++)
			if (strcmp(key, json_string_value(json_object_get(
					       json_array_get(out, i),
					       "matter"))) < 0)
				break;
		json_array_insert(out, i, row);
		for (j = FIRST_COUNT; j < ARRAY_SIZE(columns); j++)
			if (json_is_integer(json_object_get(row, columns[j][0])))
				add(totals, columns[j][0], json_integer_value(
					json_object_get(row, columns[j][0])));
	}
	json_array_append_new(out, totals);
	return out;
}

int reports_annual(struct access *a, int year, json_t **out,
		   struct error *err)
{
	struct annual an = { access_cases(a), err, json_object() };
	json_t *cols = json_array();
	int rc;

	if (year < 2000 || year > 2099) {
		json_decref(an.rows);
		json_decref(cols);
		return error_set(err, CT_EINVAL, "year '%d' is out of range; "
				 "give a year from 2000 to 2099", year);
	}
	rc = report_each_case(an.c, day_from_ymd(year, 1, 1),
			      day_from_ymd(year, 12, 31), annual_case, &an,
			      err);
	for (size_t i = 0; i < ARRAY_SIZE(columns); i++)
		json_array_append_new(cols, json_pack("[s, s]", columns[i][0],
						      columns[i][1]));
	if (rc == 0)
		*out = json_pack("{s:i, s:s, s:o, s:o}", "year", year, "basis",
				 "received", "columns", cols, "rows",
				 ordered(an.rows));
	else
		json_decref(cols);
	json_decref(an.rows);
	return rc;
}
