/*
 * The projectors of the copy entry kinds. Each keeps the request's row
 * in the kv table (namespace "copy-request", keyed by year and number)
 * and, for copy-overdue and copy-decision, the finding
 * copy-request-overdue. Outside a replay they check the entry against
 * the row first: a request not yet decided, a copy of an approved one.
 */
#include "common/common.h"

#include "copies_internal.h"
#include "store/kv.h"
#include "store/media.h"
#include "store/projection.h"

static const char *str_of(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static json_int_t int_of(const json_t *o, const char *key, json_int_t def)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? json_integer_value(v) : def;
}

int copy_row_read(struct store *s, const char *key, json_t **row,
		  uint64_t *seq, struct error *err)
{
	struct buf body = BUF_INIT_MAX(1 << 22);
	int rc = store_kv_get(s, COPY_NS, key, &body, seq, err);

	*row = NULL;
	if (rc == 0 && !(*row = json_loadb(body.data, body.len, 0, NULL)))
		rc = error_set(err, CT_ECORRUPT, "the row of copy request "
			       "'%s' is not JSON", key);
	buf_release(&body);
	return rc;
}

int copy_row_write(struct store *s, const char *key, uint64_t seq,
		   const json_t *row, struct error *err)
{
	char *body = json_dumps(row, JSON_COMPACT | JSON_SORT_KEYS);
	int rc;

	if (!body)
		return error_set(err, CT_ENOMEM, "out of memory");
	rc = store_kv_put(s, COPY_NS, key, seq, body, err);
	free(body);
	return rc;
}

/* Reads the row of request id in its own read transaction. */

/* The rule of copy-request-overdue, as cases/evaluate.c lists it too. */
static const char overdue_rule[] =
	"当事人申请复制案卷材料的，监督部门负责人应当在规定期限内作出批准或者"
	"不予批准的决定";

/* Adds the finding copy-request-overdue of row; it belongs to no case. */
static int add_overdue_finding(struct store *s, const json_t *row,
			       const json_t *fields, int64_t detected,
			       struct error *err)
{
	struct store_finding f = { 0 };
	char detail[512];
	json_t *body;
	char *text;
	int rc;

	snprintf(detail, sizeof(detail), "复制申请 %s（案件 %s）逾期未作出决定，"
		 "应于 %s 前决定", str_of(row, "number") ?: "",
		 str_of(row, "case") ?: "", str_of(fields, "due") ?: "");
	body = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:s}",
			 "code", FINDING_COPY_OVERDUE, "severity", "major",
			 "case", str_of(row, "case") ?: "", "record",
			 int_of(row, "seq", 0), "detected",
			 (json_int_t)detected, "rule", overdue_rule, "key",
			 str_of(row, "id") ?: "", "detail", detail, "request",
			 str_of(row, "id") ?: "", "due",
			 str_of(fields, "due") ?: "");
	if (str_of(fields, "responsible"))
		json_object_set_new(body, "responsible", json_string(
			str_of(fields, "responsible")));
	if (str_of(fields, "superior"))
		json_object_set_new(body, "superior", json_string(
			str_of(fields, "superior")));
	text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(body);
	if (!text)
		return error_set(err, CT_ENOMEM, "out of memory");
	f.code = FINDING_COPY_OVERDUE;
	f.record_seq = int_of(row, "seq", 0);
	f.detected_ms = detected;
	f.cured_ms = -1;
	f.body = text;
	rc = store_finding_add(s, &f, err);
	free(text);
	return rc;
}

static int entry_row(struct store *s, const struct cases_entry *e,
		     char key[32], json_t **row, struct error *err)
{
	const char *id = str_of(e->fields, "request");
	int rc;

	if (!e->fields || !id)
		return error_set(err, CT_EINVAL, "a %s entry names its request "
				 "in 'request'", e->kind);
	rc = copy_id_key(id, key, err);
	if (rc == 0)
		rc = copy_row_read(s, key, row, NULL, err);
	if (rc == CT_ENOTFOUND)
		rc = error_set(err, CT_ENOTFOUND, "copy request '%s' not "
			       "found", id);
	return rc;
}

/* Checks a request against the store before it is projected. */
static int check_request_entry(struct store *s, const json_t *f,
			       const char *key, struct error *err)
{
	const char *case_id = str_of(f, "case") ?: "";
	char rec_case[CASE_ID_MAX + 1];
	json_t *v, *row = NULL;
	struct buf body = BUF_INIT_MAX(64 * 1024);
	size_t i;
	int rc = copy_row_read(s, key, &row, NULL, err);

	json_decref(row);
	if (rc == 0)
		return error_set(err, CT_EEXIST, "copy request '%s' exists "
				 "already", str_of(f, "id"));
	error_clear(err);
	rc = store_case_get(s, case_id, &body, NULL, err);
	buf_release(&body);
	if (rc)
		return error_set(err, rc, "case '%s' not found", case_id);
	json_array_foreach(json_object_get(f, "records"), i, v) {
		rc = store_record_get(s, (uint64_t)json_integer_value(v),
				      rec_case, sizeof(rec_case), NULL, 0,
				      NULL, err);
		if (rc || strcmp(rec_case, case_id))
			return error_set(err, CT_EINVAL, "record %"
					 JSON_INTEGER_FORMAT " is not a "
					 "record of case '%s'",
					 json_integer_value(v), case_id);
	}
	return 0;
}

int copies_project_request(struct access *a, struct store *s,
			   const struct cases_entry *e, struct error *err)
{
	const json_t *f = e->fields;
	char key[32], when[32];
	json_t *row;
	int rc;

	(void)a;
	if (!f)
		return 0; /* content expunged: nothing left to project */
	rc = copy_id_key(str_of(f, "id") ?: "", key, err);
	if (rc == 0 && !e->replaying)
		rc = check_request_entry(s, f, key, err);
	if (rc)
		return rc;
	row = json_deep_copy(f);
	json_object_set_new(row, "seq", json_integer((json_int_t)e->seq));
	json_object_set_new(row, "actor", json_string(e->actor));
	cases_time_format(e->ts_ms, when);
	json_object_set_new(row, "requested", json_string(when));
	cases_time_format(e->at_ms, when);
	json_object_set_new(row, "received", json_string(when));
	json_object_set_new(row, "received_ms", json_integer(e->at_ms));
	json_object_set_new(row, "status", json_string("pending"));
	json_object_set_new(row, "decision", json_null());
	json_object_set_new(row, "overdue_entry", json_null());
	json_object_set_new(row, "copies", json_array());
	rc = copy_row_write(s, key, e->seq, row, err);
	json_decref(row);
	return rc;
}

/* Cures the open overdue finding of row; raises and cures a late one. */
static int cure_overdue(struct store *s, const json_t *row,
			const json_t *fields, int64_t ts_ms,
			struct error *err)
{
	int64_t id;
	int32_t due_day;
	int rc = store_media_finding_open(s, FINDING_COPY_OVERDUE,
					  (uint64_t)int_of(row, "seq", 0),
					  &id, err);

	if (rc == 0)
		return store_finding_cure(s, id, ts_ms, err);
	if (rc != CT_ENOTFOUND || !json_is_true(json_object_get(fields,
								  "late")))
		return rc == CT_ENOTFOUND ? 0 : rc;
	if (day_parse(str_of(fields, "due") ?: "", &due_day) != 0)
		return error_set(err, CT_EINVAL, "a late copy-decision states "
				 "its due day in 'due'");
	rc = add_overdue_finding(s, row, fields, day_start_ms(due_day + 1),
				 err);
	if (rc == 0)
		rc = store_media_finding_open(s, FINDING_COPY_OVERDUE,
					      (uint64_t)int_of(row, "seq", 0),
					      &id, err);
	return rc ? rc : store_finding_cure(s, id, ts_ms, err);
}

int copies_project_decision(struct access *a, struct store *s,
			    const struct cases_entry *e, struct error *err)
{
	json_t *row = NULL, *d;
	char key[32], when[32];
	uint64_t seq;
	int rc;

	(void)a;
	if (!e->fields)
		return 0;
	rc = entry_row(s, e, key, &row, err);
	if (rc == 0 && !e->replaying &&
	    strcmp(str_of(row, "status") ?: "", "pending"))
		rc = error_set(err, CT_ESTATE, "copy request '%s' was %s "
			       "already", str_of(row, "id"),
			       str_of(row, "status"));
	if (rc)
		goto out;
	cases_time_format(e->ts_ms, when);
	d = json_deep_copy(e->fields);
	json_object_del(d, "request");
	json_object_del(d, "case");
	json_object_set_new(d, "seq", json_integer((json_int_t)e->seq));
	json_object_set_new(d, "actor", json_string(e->actor));
	json_object_set_new(d, "decided", json_string(when));
	json_object_set(row, "status", json_object_get(d, "decision"));
	json_object_set_new(row, "decision", d);
	seq = (uint64_t)int_of(row, "seq", 0);
	rc = cure_overdue(s, row, e->fields, e->ts_ms, err);
	if (rc == 0)
		rc = copy_row_write(s, key, seq, row, err);
out:
	json_decref(row);
	return rc;
}

int copies_project_overdue(struct access *a, struct store *s,
			   const struct cases_entry *e, struct error *err)
{
	json_t *row = NULL;
	char key[32];
	int rc;

	(void)a;
	if (!e->fields)
		return 0;
	rc = entry_row(s, e, key, &row, err);
	if (rc == 0 && !e->replaying &&
	    (strcmp(str_of(row, "status") ?: "", "pending") ||
	     json_is_object(json_object_get(row, "overdue_entry"))))
		rc = error_set(err, CT_ESTATE, "copy request '%s' is decided "
			       "or overdue already", str_of(row, "id"));
	if (rc == 0)
		rc = add_overdue_finding(s, row, e->fields,
					 int_of(e->fields, "detected",
						e->ts_ms), err);
	if (rc == 0) {
		json_object_set_new(row, "overdue_entry", json_pack(
			"{s:I, s:s}", "seq", (json_int_t)e->seq, "due",
			str_of(e->fields, "due") ?: ""));
		rc = copy_row_write(s, key, (uint64_t)int_of(row, "seq", 0),
				    row, err);
	}
	json_decref(row);
	return rc;
}

int copies_project_made(struct access *a, struct store *s,
			const struct cases_entry *e, struct error *err)
{
	json_t *row = NULL;
	char key[32], when[32];
	int rc;

	(void)a;
	if (!e->fields)
		return 0;
	rc = entry_row(s, e, key, &row, err);
	if (rc == 0 && !e->replaying &&
	    strcmp(str_of(row, "status") ?: "", "approved"))
		rc = error_set(err, CT_ESTATE, "copy request '%s' is not "
			       "approved", str_of(row, "id"));
	if (rc)
		goto out;
	cases_time_format(e->ts_ms, when);
	json_array_append_new(json_object_get(row, "copies"), json_pack(
		"{s:I, s:s, s:s, s:s, s:s, s:I, s:s}", "seq",
		(json_int_t)e->seq, "copy", str_of(e->fields, "copy") ?: "",
		"hash", str_of(e->fields, "hash") ?: "", "sha256",
		str_of(e->fields, "sha256") ?: "", "made", when, "size",
		int_of(e->fields, "size", 0), "actor", e->actor));
	rc = copy_row_write(s, key, (uint64_t)int_of(row, "seq", 0), row, err);
out:
	json_decref(row);
	return rc;
}
