/*
 * The evaluation report of a period, over the cases received from one
 * day to another. It counts what became of them, how they kept their
 * time limits, their findings, the delay of their audio-visual files and
 * the timeliness of their archiving and publicity. Every number comes
 * from the workflow's queries: the case list, each case as `case show`
 * renders it, the findings list of each case and the media list.
 */
#include "common/common.h"

#include "access/access.h"
#include "archive/archive.h"
#include "cases/cases.h"
#include "deadlines/deadlines.h"
#include "internal.h"
#include "media/media.h"
#include "reports.h"

/* Pages of the workflow's lists, at their maximum size. */
#define PAGE 500

/* An audio-visual file reaching the store later than this is late. */
#define AV_LATE_MS (24LL * 3600 * 1000)

/* --- staff and units ------------------------------------------------------ */

json_t *report_staff(struct cases *c, struct error *err)
{
	json_t *list = NULL, *staff, *u;
	size_t i;

	if (cases_user_list(c, &list, err) != 0)
		return NULL;
	staff = json_object();
	json_array_foreach(json_object_get(list, "items"), i, u) {
		const char *name = json_string_value(json_object_get(u, "name"));

		if (name)
			json_object_set(staff, name, u);
	}
	json_decref(list);
	return staff;
}

const char *report_user_unit(const json_t *staff, const char *user)
{
	const json_t *u = user ? json_object_get(staff, user) : NULL;

	return json_string_value(json_object_get(u, "unit"));
}

/* The unit of a case: its handler's, else its clerk's. */
const char *report_case_unit(const json_t *staff, const json_t *shown)
{
	const json_t *people = json_object_get(shown, "people");
	const char *unit = report_user_unit(
	    staff, json_string_value(json_object_get(people, "handler")));

	if (!unit)
		unit = report_user_unit(
		    staff, json_string_value(json_object_get(people, "clerk")));
	return unit ? unit : "未分配";
}

int reports_request(struct access *a, const char *from, const char *to,
		    const char *unit, struct report_req *out,
		    struct error *err)
{
	json_t *staff, *u;
	const char *name;
	int known = 0;

	memset(out, 0, sizeof(*out));
	if (!from || day_parse(from, &out->from_day) != 0)
		return error_set(err, CT_EINVAL, "from '%s' is not a date; give "
				 "YYYY-MM-DD", from ? from : "");
	if (!to || day_parse(to, &out->to_day) != 0)
		return error_set(err, CT_EINVAL, "to '%s' is not a date; give "
				 "YYYY-MM-DD", to ? to : "");
	if (out->to_day < out->from_day)
		return error_set(err, CT_EINVAL, "to '%s' is before from '%s'; "
				 "give the first day first", to, from);
	if (out->to_day - out->from_day >= REPORT_DAYS_MAX)
		return error_set(err, CT_EINVAL, "the period from '%s' to '%s' "
				 "is longer than %d days; split it", from, to,
				 REPORT_DAYS_MAX);
	if (!unit || !unit[0])
		return 0;
	staff = report_staff(access_cases(a), err);
	if (!staff)
		return err->code ? err->code : CT_ENOMEM;
	json_object_foreach(staff, name, u)
		known |= !strcmp(json_string_value(json_object_get(u, "unit"))
					 ?: "", unit);
	json_decref(staff);
	if (!known)
		return error_set(err, CT_EINVAL, "unit '%s' is unknown: no "
				 "registered user belongs to it; 'casetrail "
				 "user list' shows the units", unit);
	out->unit = unit;
	return 0;
}

/* --- counting helpers ---------------------------------------------------- */

/* Adds n to the member name of the row of table keyed key. */
void report_count(json_t *table, const char *key, const char *name,
		  json_int_t n)
{
	json_t *row = json_object_get(table, key);

	if (!row) {
		row = json_object();
		json_object_set_new(table, key, row);
	}
	json_object_set_new(row, name, json_integer(
		json_integer_value(json_object_get(row, name)) + n));
}

static void bump(json_t *o, const char *name)
{
	json_object_set_new(o, name, json_integer(
		json_integer_value(json_object_get(o, name)) + 1));
}

/* Turns {key: {counts}} into [{key, label, counts}] sorted by key. */
static json_t *rows_of(json_t *table, const char *key_name,
		       const json_t *labels)
{
	json_t *rows = json_array(), *row;
	const char *key;
	const char **keys;
	size_t n = json_object_size(table), i = 0;

	keys = calloc(n ? n : 1, sizeof(*keys));
	json_object_foreach(table, key, row)
		keys[i++] = key;
	for (i = 0; i + 1 < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(keys[j], keys[i]) < 0) {
				const char *t = keys[i];

				keys[i] = keys[j];
				keys[j] = t;
			}
	for (i = 0; i < n; i++) {
		json_t *out = json_deep_copy(json_object_get(table, keys[i]));
		const char *label = json_string_value(json_object_get(labels,
								      keys[i]));

		json_object_set_new(out, key_name, json_string(keys[i]));
		json_object_set_new(out, "label", json_string(label ? label
								    : keys[i]));
		json_array_append_new(rows, out);
	}
	free(keys);
	return rows;
}

/* --- one case ------------------------------------------------------------ */

static json_t *record_by_seq(const json_t *records, json_int_t seq)
{
	json_t *r;
	size_t i;

	json_array_foreach(records, i, r)
		if (json_integer_value(json_object_get(r, "seq")) == seq)
			return r;
	return NULL;
}

void report_apply_corrections(json_t *shown, json_int_t last)
{
	json_t *records = json_object_get(shown, "records"), *r;
	size_t i;

	/* A record superseded only by what the cut leaves out is in force. */
	json_array_foreach(records, i, r)
		if (json_integer_value(json_object_get(r, "superseded_by")) >
		    last)
			json_object_del(r, "superseded_by");
	json_array_foreach(records, i, r) {
		json_t *root = r, *fields = json_object_get(r, "fields");

		if (strcmp(json_string_value(json_object_get(r, "kind")) ?: "",
			   "correction") ||
		    json_object_get(r, "superseded_by") ||
		    json_integer_value(json_object_get(r, "seq")) > last)
			continue;
		/* Follow the chain of corrections down to the record itself. */
		while (root && !strcmp(json_string_value(json_object_get(
					       root, "kind")) ?: "",
				       "correction"))
			root = record_by_seq(records, json_integer_value(
				json_object_get(root, "supersedes")));
		if (!root || !json_is_object(json_object_get(fields, "fields")))
			continue;
		json_object_set(root, "fields", json_object_get(fields,
								"fields"));
		json_object_del(root, "superseded_by");
		json_object_set(r, "superseded_by", json_object_get(root, "seq"));
	}
}

const json_t *report_first_record(const json_t *shown, const char *kind)
{
	json_t *r;
	size_t i;

	json_array_foreach(json_object_get(shown, "records"), i, r)
		if (!strcmp(json_string_value(json_object_get(r, "kind")) ?: "",
			    kind) &&
		    json_is_object(json_object_get(r, "fields")) &&
		    !json_object_get(r, "superseded_by"))
			return r;
	return NULL;
}

int report_count_kind(const json_t *shown, const char *kind)
{
	json_t *r;
	size_t i;
	int n = 0;

	json_array_foreach(json_object_get(shown, "records"), i, r)
		n += !strcmp(json_string_value(json_object_get(r, "kind")) ?: "",
			     kind) &&
		     !json_object_get(r, "superseded_by");
	return n;
}

/* The result of the case's decision: grant, partial, deny or NULL. */
const char *report_result(const json_t *shown)
{
	const json_t *dec = report_first_record(shown, "decision");

	return json_string_value(json_object_get(json_object_get(dec, "fields"),
						 "result"));
}

/*
 * Whether the case was accepted, by notice or deemed (行政许可法 art. 32):
 * deemed acceptance stays even when a refusal follows, because a refusal
 * after it has no legal effect.
 */
int report_accepted(const json_t *shown)
{
	const json_t *deadlines = json_object_get(shown, "deadlines");

	return report_first_record(shown, "acceptance-notice") != NULL ||
	       json_object_get(deadlines, "decision") != NULL ||
	       json_object_get(json_object_get(deadlines, "acceptance"),
			       "deemed_accepted_on") != NULL;
}

/* Fetches every finding of a case with the findings list's query. */
int report_case_findings(struct cases *c, const char *id, json_t *into,
			 struct error *err)
{
	struct finding_query q = { .case_id = id, .limit = PAGE };

	for (;;) {
		json_t *page = NULL, *items;
		size_t n;
		int rc = cases_findings(c, &q, &page, err);

		if (rc)
			return rc;
		items = json_object_get(page, "items");
		n = json_array_size(items);
		json_array_extend(into, items);
		json_decref(page);
		if (n < PAGE)
			return 0;
		q.offset += n;
	}
}

/*
 * Calls fn for every case received from from_day to to_day, with its
 * summary; stops at the first non-zero return.
 */
int report_each_case(struct cases *c, int32_t from_day, int32_t to_day,
		     int (*fn)(void *ctx, const json_t *summary), void *ctx,
		     struct error *err)
{
	struct case_query q = { .due_within = -1, .limit = PAGE };

	for (;;) {
		json_t *page = NULL, *item;
		size_t i, n;
		int rc = cases_list(c, &q, &page, err);

		if (rc)
			return rc;
		n = json_array_size(json_object_get(page, "items"));
		json_array_foreach(json_object_get(page, "items"), i, item) {
			const char *received = json_string_value(
			    json_object_get(item, "received"));
			char date[11] = "";
			int32_t day;

			if (received)
				snprintf(date, sizeof(date), "%.10s", received);
			if (day_parse(date, &day) != 0 || day < from_day ||
			    day > to_day)
				continue;
			rc = fn(ctx, item);
			if (rc)
				break;
		}
		json_decref(page);
		if (rc)
			return rc;
		if (n < PAGE)
			return 0;
		q.offset += n;
	}
}

/* --- the report ---------------------------------------------------------- */

struct collect {
	struct access *a;
	struct cases *c;
	struct media *m;
	const struct report_req *q;
	struct error *err;
	json_t *staff;
	json_t *cases;      /* per-case rows */
	json_t *totals;     /* handled: counts */
	json_t *by_matter;  /* matter code -> counts */
	json_t *by_unit;
	json_t *matter_names;
	json_t *deadlines;
	json_int_t used_sum, limit_sum, timed;
	json_t *codes;      /* finding code -> counts */
	json_t *code_info;  /* code -> {severity, rule} */
	json_t *f_units, *f_officers, *f_totals;
	json_t *delays;     /* AV delays in ms */
	json_int_t av_late_findings;
	json_t *archive, *publicity;
	json_t *per_day;    /* YYYY-MM-DD -> cases received that day */
	json_t *no_case;    /* code -> counts of findings of no case */
	json_t *no_case_info;
};

static void count_handled(struct collect *co, const json_t *shown,
			  const char *matter, const char *unit)
{
	const char *status = json_string_value(json_object_get(shown,
							       "status"));
	const char *result = report_result(shown);
	const char *what[8];
	size_t n = 0;

	what[n++] = "received";
	if (report_accepted(shown))
		what[n++] = "accepted";
	else if (status && !strcmp(status, "refused"))
		what[n++] = "not_accepted";
	if (result) {
		what[n++] = "decided";
		what[n++] = !strcmp(result, "deny")	 ? "refused"
			    : !strcmp(result, "partial") ? "partly_granted"
							 : "granted";
	}
	if (status && !strcmp(status, "withdrawn"))
		what[n++] = "withdrawn";
	if (status && !strcmp(status, "terminated"))
		what[n++] = "terminated";
	if (!status || !strcmp(status, "open"))
		what[n++] = "open";
	for (size_t i = 0; i < n; i++) {
		bump(co->totals, what[i]);
		report_count(co->by_matter, matter, what[i], 1);
		report_count(co->by_unit, unit, what[i], 1);
	}
}

/*
 * Working days used for the decision: the limit (with its extension)
 * less the working days left after the decision, or plus those it came
 * late. Suspensions moved the due day already, so they are not counted.
 */
static void count_deadline(struct collect *co, const json_t *shown,
			   json_t *row)
{
	const json_t *d = json_object_get(json_object_get(shown, "deadlines"),
					  "decision");
	const char *state = json_string_value(json_object_get(d, "state"));
	const char *due = json_string_value(json_object_get(d, "date"));
	const char *met = json_string_value(json_object_get(d, "met_on"));
	json_int_t extended = json_integer_value(json_object_get(d,
								 "extended_by"));
	json_int_t limit = json_integer_value(json_object_get(d, "value")) +
			   extended;
	int32_t due_day, met_day;

	if (report_count_kind(shown, "suspension") > 0)
		bump(co->deadlines, "with_suspension");
	if (!state)
		return;
	json_object_set_new(row, "decision_state", json_string(state));
	if (!strcmp(state, "overdue")) {
		bump(co->deadlines, "overdue_open");
		bump(co->deadlines, "overdue");
		return;
	}
	if (strcmp(state, "met") && strcmp(state, "late"))
		return;
	bump(co->deadlines, "decided");
	if (!strcmp(state, "late"))
		bump(co->deadlines, "overdue");
	else if (extended > 0)
		bump(co->deadlines, "on_time_extended");
	else
		bump(co->deadlines, "on_time");
	if (!due || !met || day_parse(due, &due_day) || day_parse(met, &met_day))
		return;
	{
		const struct calendar *cal = cases_calendar_get(co->c);
		json_int_t used = met_day <= due_day
			? limit - working_days_between(cal, met_day, due_day,
						       NULL, 0)
			: limit + working_days_between(cal, due_day, met_day,
						       NULL, 0);

		json_object_set_new(row, "working_days_used",
				    json_integer(used));
		json_object_set_new(row, "working_days_limit",
				    json_integer(limit));
		co->used_sum += used;
		co->limit_sum += limit;
		co->timed++;
	}
}

static void count_finding(struct collect *co, const json_t *f,
			  const char *case_unit)
{
	const char *code = json_string_value(json_object_get(f, "code")) ?: "";
	const char *who = json_string_value(json_object_get(f, "responsible"));
	const char *unit = report_user_unit(co->staff, who);
	const char *state = json_is_null(json_object_get(f, "cured"))
				    ? "open"
				    : "cured";
	const char *severity = json_string_value(json_object_get(f,
								 "severity"));
	const char *level = severity && !strcmp(severity, "major") ? "major"
								   : "minor";

	if (!json_object_get(co->code_info, code))
		json_object_set_new(co->code_info, code, json_pack(
			"{s:s, s:s}", "severity",
			json_string_value(json_object_get(f, "severity")) ?: "",
			"rule",
			json_string_value(json_object_get(f, "rule")) ?: ""));
	report_count(co->codes, code, "total", 1);
	report_count(co->codes, code, state, 1);
	report_count(co->f_units, unit ? unit : case_unit, "total", 1);
	report_count(co->f_units, unit ? unit : case_unit, state, 1);
	report_count(co->f_units, unit ? unit : case_unit, level, 1);
	report_count(co->f_officers, who ? who : "-", "total", 1);
	report_count(co->f_officers, who ? who : "-", state, 1);
	report_count(co->f_officers, who ? who : "-", level, 1);
	bump(co->f_totals, "total");
	bump(co->f_totals, state);
	if (!strcmp(code, "late-av-upload"))
		co->av_late_findings++;
}

static int count_media(struct collect *co, const char *id)
{
	struct media_query q = { .case_id = id, .limit = PAGE };

	if (!co->m)
		return 0;
	for (;;) {
		json_t *page = NULL, *item;
		size_t i, n;
		int rc = media_list(co->m, &q, &page, co->err);

		if (rc)
			return rc;
		n = json_array_size(json_object_get(page, "items"));
		json_array_foreach(json_object_get(page, "items"), i, item) {
			json_t *delay = json_object_get(item, "delay_ms");

			if (json_is_integer(delay))
				json_array_append(co->delays, delay);
		}
		json_decref(page);
		if (n < PAGE)
			return 0;
		q.offset += n;
	}
}

/* An ended case: served, withdrawn or terminated (stage archive). */
static int count_archive(struct collect *co, const char *id,
			 const json_t *shown, const json_t *findings)
{
	json_t *seals = NULL, *f;
	size_t i;
	int late = 0;

	if (strcmp(json_string_value(json_object_get(shown, "stage")) ?: "",
		   "archive"))
		return 0;
	bump(co->archive, "ended");
	json_array_foreach(findings, i, f)
		late |= !strcmp(json_string_value(json_object_get(f, "code"))
					?: "", "late-archive");
	if (archive_list(co->a, id, &seals, co->err) != 0)
		return co->err->code;
	if (json_array_size(json_object_get(seals, "items")) > 0)
		bump(co->archive, late ? "sealed_late" : "sealed_on_time");
	else
		bump(co->archive, late ? "unsealed_late" : "unsealed_in_time");
	json_decref(seals);
	return 0;
}

static void count_publicity(struct collect *co, const json_t *shown,
			    json_t *row)
{
	const json_t *d = json_object_get(json_object_get(shown, "deadlines"),
					  "publicity");
	const char *state = json_string_value(json_object_get(d, "state"));

	if (!state)
		return;
	bump(co->publicity, "due");
	bump(co->publicity, state);
	json_object_set_new(row, "publicity_state", json_string(state));
}

static int collect_case(void *ctx, const json_t *summary)
{
	struct collect *co = ctx;
	const char *id = json_string_value(json_object_get(summary, "id"));
	json_t *shown = NULL, *findings = json_array(), *row, *f;
	const char *unit, *matter, *received;
	size_t i;
	int rc = cases_show(co->c, id ? id : "", &shown, co->err);

	if (rc == 0)
		rc = report_case_findings(co->c, id, findings, co->err);
	if (rc)
		goto out;
	report_apply_corrections(shown, INT64_MAX);
	unit = report_case_unit(co->staff, shown);
	if (co->q->unit && strcmp(co->q->unit, unit))
		goto out;
	matter = json_string_value(json_object_get(
		json_object_get(shown, "matter"), "code")) ?: "";
	json_object_set(co->matter_names, matter, json_object_get(
		json_object_get(shown, "matter"), "name"));
	received = json_string_value(json_object_get(shown, "received")) ?: "";
	/* An expunged application leaves a case without applicant. */
	row = json_pack("{s:s, s:s, s:s, s:s, s:s%, s:s, s:O}", "id", id,
			"matter", matter, "applicant",
			json_string_value(json_object_get(shown, "applicant"))
				?: "",
			"unit", unit, "received", received,
			strlen(received) < 10 ? strlen(received) : 10,
			"status",
			json_string_value(json_object_get(shown, "status"))
				?: "open",
			"result",
			json_object_get(json_object_get(report_first_record(
				shown, "decision"), "fields"), "result")
				?: json_null());
	count_handled(co, shown, matter, unit);
	count_deadline(co, shown, row);
	json_array_foreach(findings, i, f)
		count_finding(co, f, unit);
	json_object_set_new(row, "findings",
			    json_integer((json_int_t)json_array_size(findings)));
	count_publicity(co, shown, row);
	rc = count_archive(co, id, shown, findings);
	if (rc == 0)
		rc = count_media(co, id);
	if (rc == 0) {
		char key[11];

		snprintf(key, sizeof(key), "%.10s", received);
		bump(co->per_day, key);
		json_array_append_new(co->cases, row);
	} else {
		json_decref(row);
	}
out:
	json_decref(findings);
	json_decref(shown);
	return rc;
}

static int cmp_int(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The nearest-rank percentile p (0..100) of n sorted values. */
static int64_t percentile(const int64_t *v, size_t n, int p)
{
	size_t rank = ((size_t)p * n + 99) / 100;

	return v[rank ? rank - 1 : 0];
}

static json_t *av_section(struct collect *co)
{
	size_t n = json_array_size(co->delays), i, over = 0;
	int64_t *v = calloc(n ? n : 1, sizeof(*v));
	json_t *out, *d;

	json_array_foreach(co->delays, i, d) {
		v[i] = json_integer_value(d);
		over += v[i] > AV_LATE_MS;
	}
	qsort(v, n, sizeof(*v), cmp_int);
	out = json_pack("{s:I, s:I, s:I, s:b}", "files", (json_int_t)n,
			"over_24h", (json_int_t)over, "late_av_upload",
			co->av_late_findings, "measured", co->m != NULL);
	if (n) {
		int64_t median = n % 2 ? v[n / 2]
				       : (v[n / 2 - 1] + v[n / 2]) / 2;

		json_object_set_new(out, "median_ms", json_integer(median));
		json_object_set_new(out, "p90_ms",
				    json_integer(percentile(v, n, 90)));
		json_object_set_new(out, "max_ms", json_integer(v[n - 1]));
	}
	free(v);
	return out;
}

/*
 * The received cases per day of the period, or per week (from the first
 * day on) when the period is longer than 62 days.
 */
static json_t *series(struct collect *co)
{
	int32_t from = co->q->from_day, to = co->q->to_day;
	int step = to - from + 1 > 62 ? 7 : 1;
	json_t *points = json_array();

	for (int32_t d = from; d <= to; d += step) {
		json_int_t n = 0;
		char date[11];

		for (int32_t k = d; k < d + step && k <= to; k++) {
			day_format(k, date);
			n += json_integer_value(json_object_get(co->per_day,
								date));
		}
		day_format(d, date);
		json_array_append_new(points, json_pack("{s:s, s:I}", "label",
							date, "count", n));
	}
	return json_pack("{s:s, s:o}", "step", step == 7 ? "week" : "day",
			 "points", points);
}

static json_t *finding_codes(const json_t *codes, const json_t *code_info)
{
	json_t *rows = rows_of((json_t *)codes, "code", NULL), *row;
	size_t i;

	json_array_foreach(rows, i, row) {
		const json_t *info = json_object_get(
		    code_info, json_string_value(json_object_get(row, "code")));

		json_object_update(row, (json_t *)info);
	}
	return rows;
}

/*
 * Counts the findings of no case (refused access, surveillance gaps,
 * overdue copy requests, integrity failures, purges without a rule, a
 * witness behind) detected in the period, by code. They concern the
 * bureau rather than a case received in the period, so they are kept
 * apart from the case tables. With --unit, only those whose responsible
 * person belongs to the unit count.
 */
static int collect_no_case(struct collect *co)
{
	struct finding_query q = { .limit = PAGE };

	for (;;) {
		json_t *page = NULL, *items, *f;
		size_t n, i;
		int rc = cases_findings(co->c, &q, &page, co->err);

		if (rc)
			return rc;
		items = json_object_get(page, "items");
		n = json_array_size(items);
		json_array_foreach(items, i, f) {
			const char *code = json_string_value(
				json_object_get(f, "code")) ?: "";
			const char *who = json_string_value(
				json_object_get(f, "responsible"));
			const char *unit = report_user_unit(co->staff, who);
			int32_t day = day_of_ms(json_integer_value(
				json_object_get(f, "detected")));

			if (json_is_string(json_object_get(f, "case")) ||
			    day < co->q->from_day || day > co->q->to_day ||
			    (co->q->unit && (!unit || strcmp(co->q->unit,
							     unit))))
				continue;
			if (!json_object_get(co->no_case_info, code))
				json_object_set_new(co->no_case_info, code,
					json_pack("{s:s, s:s}", "severity",
						  json_string_value(json_object_get(
							  f, "severity")) ?: "",
						  "rule",
						  json_string_value(json_object_get(
							  f, "rule")) ?: ""));
			report_count(co->no_case, code, "total", 1);
			report_count(co->no_case, code,
				     json_is_null(json_object_get(f, "cured"))
					     ? "open"
					     : "cured",
				     1);
		}
		json_decref(page);
		if (n < PAGE)
			return 0;
		q.offset += n;
	}
}

static json_t *officer_rows(struct collect *co)
{
	json_t *names = json_object(), *u, *rows;
	const char *name;

	json_object_foreach(co->staff, name, u) {
		const char *dn = json_string_value(json_object_get(u,
								   "display_name"));

		if (dn && dn[0])
			json_object_set_new(names, name, json_string(dn));
	}
	rows = rows_of(co->f_officers, "user", names);
	json_decref(names);
	{
		json_t *row;
		size_t i;

		json_array_foreach(rows, i, row)
			json_object_set_new(row, "unit", json_string(
				report_user_unit(co->staff, json_string_value(
					json_object_get(row, "user"))) ?: ""));
	}
	return rows;
}

static json_t *assemble(struct collect *co)
{
	char from[11], to[11], now[32];
	json_t *deadlines = json_deep_copy(co->deadlines);

	day_format(co->q->from_day, from);
	day_format(co->q->to_day, to);
	cases_time_format(ledger_now_ms(), now);
	json_object_set_new(deadlines, "timed", json_integer(co->timed));
	if (co->timed) {
		json_object_set_new(deadlines, "avg_working_days_used",
				    json_real((double)co->used_sum /
					      (double)co->timed));
		json_object_set_new(deadlines, "avg_working_days_limit",
				    json_real((double)co->limit_sum /
					      (double)co->timed));
	}
	json_t *out = json_pack(
	    "{s:s, s:s, s:o, s:s, s:s, s:O, s:{s:O, s:o, s:o}, s:o, "
	    "s:{s:O, s:o, s:o, s:o}, s:o, s:O, s:O, s:o}",
	    "from", from, "to", to, "unit",
	    co->q->unit ? json_string(co->q->unit) : json_null(), "basis",
	    "received", "generated", now, "cases", co->cases, "handled",
	    "totals", co->totals, "by_matter",
	    rows_of(co->by_matter, "matter", co->matter_names), "by_unit",
	    rows_of(co->by_unit, "unit", NULL), "deadlines", deadlines,
	    "findings", "totals", co->f_totals, "by_code",
	    finding_codes(co->codes, co->code_info),
	    "by_unit", rows_of(co->f_units, "unit", NULL), "by_officer",
	    officer_rows(co), "av", av_section(co), "archive", co->archive,
	    "publicity", co->publicity, "received_series", series(co));

	if (out)
		json_object_set_new(json_object_get(out, "findings"), "no_case",
				    finding_codes(co->no_case,
						  co->no_case_info));
	return out;
}

int reports_collect(struct access *a, struct media *m,
		    const struct report_req *q, json_t **out,
		    struct error *err)
{
	struct collect co = { a, access_cases(a), m, q, err };
	json_t **tables[] = { &co.cases, &co.totals, &co.by_matter,
			      &co.by_unit, &co.matter_names, &co.deadlines,
			      &co.codes, &co.code_info, &co.f_units,
			      &co.f_officers, &co.f_totals, &co.delays,
			      &co.archive, &co.publicity, &co.per_day,
			      &co.no_case, &co.no_case_info };
	const char *zero[] = { "received", "accepted", "not_accepted",
			       "decided", "granted", "partly_granted",
			       "refused", "withdrawn", "terminated", "open" };
	const char *dzero[] = { "decided", "on_time", "on_time_extended",
				"with_suspension", "overdue",
				"overdue_open" };
	const char *azero[] = { "ended", "sealed_on_time", "sealed_late",
				"unsealed_in_time", "unsealed_late" };
	const char *pzero[] = { "due", "met", "late", "overdue", "open" };
	int rc;

	*out = NULL;
	co.staff = report_staff(co.c, err);
	if (!co.staff)
		return err->code ? err->code : CT_ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(tables); i++)
		*tables[i] = i == 0 || i == 11 ? json_array() : json_object();
	for (size_t i = 0; i < ARRAY_SIZE(zero); i++)
		json_object_set_new(co.totals, zero[i], json_integer(0));
	for (size_t i = 0; i < ARRAY_SIZE(dzero); i++)
		json_object_set_new(co.deadlines, dzero[i], json_integer(0));
	json_object_set_new(co.f_totals, "total", json_integer(0));
	json_object_set_new(co.f_totals, "open", json_integer(0));
	json_object_set_new(co.f_totals, "cured", json_integer(0));
	for (size_t i = 0; i < ARRAY_SIZE(azero); i++)
		json_object_set_new(co.archive, azero[i], json_integer(0));
	for (size_t i = 0; i < ARRAY_SIZE(pzero); i++)
		json_object_set_new(co.publicity, pzero[i], json_integer(0));
	rc = report_each_case(co.c, q->from_day, q->to_day, collect_case, &co,
			      err);
	if (rc == 0)
		rc = collect_no_case(&co);
	if (rc == 0) {
		*out = assemble(&co);
		if (!*out)
			rc = error_set(err, CT_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < ARRAY_SIZE(tables); i++)
		json_decref(*tables[i]);
	json_decref(co.staff);
	return rc;
}
