/*
 * Opening cases and adding records: the checks that can run before the
 * append (schema, stage, numbering), the append itself, whose hook checks
 * the case again inside the transaction, and corrections.
 */
#include "common/common.h"

#include "common/log.h"
#include "content/content.h"
#include "internal.h"

#define FUTURE_SLACK_MS (5 * 60 * 1000)

static void env_for(struct cases *c, struct store *s, struct check_env *env)
{
	env->cat = &c->cat;
	env->cal = c->cal;
	env->user = (user_lookup_fn)user_read;
	env->user_ctx = s;
}

static int check_time(const char *what, int64_t ms, struct error *err)
{
	if (ms < day_start_ms(day_from_ymd(CAL_YEAR_MIN, 1, 1)))
		return error_set(err, CT_EINVAL, "%s is before %d; give the "
				 "real date", what, CAL_YEAR_MIN);
	if (ms > ledger_now_ms() + FUTURE_SLACK_MS)
		return error_set(err, CT_EINVAL, "%s lies in the future; a "
				 "record states what has happened", what);
	return 0;
}

int record_kind_check(const struct cases *c, const char *kind,
		      const json_t *fields, struct error *err)
{
	const json_t *k = catalogue_kind(&c->cat, kind);
	struct check_env env = { &c->cat, c->cal, NULL, NULL };

	if (!k)
		return error_set(err, CT_EINVAL, "record kind '%s' is "
				 "unknown; list the kinds with 'casetrail "
				 "kinds'", kind);
	return schema_check(&env, k, fields, 1000, err);
}

int kind_sealed(const json_t *kind)
{
	const char *mark = json_string_value(json_object_get(kind,
							     "confidentiality"));

	return mark && strcmp(mark, "none") && strcmp(mark, "public") &&
	       strcmp(mark, "internal");
}

/* Draws a document number for kinds that have one: 曹审批受〔2026〕1号. */
static int assign_number(struct cases *c, const json_t *kind, json_t *fields,
			 int64_t at_ms, struct error *err)
{
	const char *prefix = json_string_value(json_object_get(kind, "number"));
	char name[256], number[320];
	uint64_t n;
	int y, m, d, rc;

	if (!prefix || !prefix[0])
		return 0;
	day_to_ymd(day_of_ms(at_ms), &y, &m, &d);
	snprintf(name, sizeof(name), "number:%s:%d", prefix, y);
	rc = cases_counter_next(c, name, &n, err);
	if (rc)
		return rc;
	snprintf(number, sizeof(number), "%s〔%d〕%" PRIu64 "号", prefix, y, n);
	json_object_set_new(fields, "number", json_string(number));
	return 0;
}

struct check_ctx {
	struct cases *c;
	const struct rec *r;
	const char *finding;
	size_t nattachments;
};

/* Runs the case checks in a read transaction, before any append. */
static int check_in_case(struct cases *c, const char *case_id,
			 const struct rec *r, const char **finding,
			 struct error *err)
{
	struct case_state cs;
	struct check_env env;
	struct store *s;
	int rc = ledger_read_begin(c->ledger, &s, err);

	if (rc)
		return rc;
	env_for(c, s, &env);
	rc = case_load(c, s, case_id, &cs, err);
	if (rc == 0) {
		pthread_mutex_lock(&c->cal_mu);
		rc = case_check(&cs, &env, r, finding, err);
		pthread_mutex_unlock(&c->cal_mu);
		case_state_release(&cs);
	}
	ledger_read_end(c->ledger, s);
	return rc;
}

static int check_schema_now(struct cases *c, const json_t *kind,
			    const json_t *fields, size_t natts,
			    struct error *err)
{
	struct check_env env;
	struct store *s;
	int rc = ledger_read_begin(c->ledger, &s, err);

	if (rc)
		return rc;
	env_for(c, s, &env);
	rc = schema_check(&env, kind, fields, natts, err);
	ledger_read_end(c->ledger, s);
	return rc;
}

/* Records the finding a rejected act raised (self-approval). */
static void record_finding(struct cases *c, const char *case_id,
			   const char *code, const struct rec *r,
			   const struct actor *by, const struct error *why)
{
	json_t *fields = json_pack("{s:s, s:s, s:s, s:s}", "code", code,
				   "user", by->user, "attempted", r->kind,
				   "detail", why->msg);
	struct ledger_record rec = { .kind = KIND_FINDING, .case_id = case_id,
				     .actor = by->user, .os_user = by->os_user,
				     .fields = fields, .supersedes = -1 };
	struct ledger_receipt receipt;
	struct error err = { 0 };

	if (ledger_append(c->ledger, &rec, &receipt, &err) != 0)
		log_error("cases", "cannot record finding", "case=%s code=%s "
			  "error=\"%s\"", case_id, code, err.msg);
	else
		log_warn("cases", "finding raised", "case=%s code=%s user=%s "
			 "seq=%" PRIu64, case_id, code, by->user, receipt.seq);
	json_decref(fields);
}

/* Only a registered staff member acts on a case. */
static int check_actor(struct cases *c, const struct actor *by,
		       struct error *err)
{
	json_t *u = NULL;

	if (by->user && cases_user_get(c, by->user, &u, NULL) == 0) {
		json_decref(u);
		return 0;
	}
	return error_set(err, CT_EPERM, "user '%s' is not registered; a case "
			 "is acted on by staff added with 'casetrail user "
			 "add' (name yourself with --as)", by->user ?: "");
}

/* The checks that need no case: kind, fields, number and time. */
static int check_request(const struct record_request *q,
			 const json_t *kind, struct error *err)
{
	if (!q->case_id || !q->case_id[0])
		return error_set(err, CT_EINVAL, "the case is missing; name it "
				 "with --case");
	if (!kind)
		return error_set(err, CT_EINVAL, "record kind '%s' is "
				 "unknown; list the kinds with 'casetrail "
				 "kinds'", q->kind ?: "");
	if (!strcmp(q->kind, KIND_CORRECTION))
		return error_set(err, CT_EINVAL, "a correction names the record "
				 "it corrects; use 'casetrail record correct "
				 "SEQ' or POST /api/v1/records/SEQ/corrections");
	if (json_object_get(q->fields, "number"))
		return error_set(err, CT_EINVAL, "field 'number' is assigned "
				 "by casetrail; leave it out");
	if (q->has_at && check_time("the event time (--at)", q->at_ms, err))
		return CT_EINVAL;
	return 0;
}

static void rec_of_request(const struct record_request *q,
			   const struct actor *by, struct rec *r)
{
	memset(r, 0, sizeof(*r));
	r->seq = UINT64_MAX;
	r->ts_ms = ledger_now_ms();
	r->at_ms = q->has_at ? q->at_ms : r->ts_ms;
	snprintf(r->kind, sizeof(r->kind), "%s", q->kind);
	snprintf(r->actor, sizeof(r->actor), "%s", by->user);
	r->supersedes = r->superseded_by = r->corrected_by = -1;
	r->original = NULL;
	r->fields = (json_t *)q->fields;
}

int cases_record_check(struct cases *c, const struct record_request *q,
		       const struct actor *by, struct error *err)
{
	const json_t *kind = catalogue_kind(&c->cat, q->kind ?: "");
	const char *finding = NULL;
	struct rec r;
	int rc = check_request(q, kind, err);

	if (rc == 0)
		rc = check_actor(c, by, err);
	if (rc)
		return rc;
	rec_of_request(q, by, &r);
	/* The stage first: a record the case cannot take yet is a 409. */
	rc = check_in_case(c, q->case_id, &r, &finding, err);
	if (rc && finding)
		record_finding(c, q->case_id, finding, &r, by, err);
	if (rc == 0)
		rc = check_schema_now(c, kind, q->fields, q->nattachments, err);
	return rc;
}

static json_t *receipt_json(const struct ledger_receipt *rc,
			    const char *case_id, const char *kind,
			    const json_t *fields)
{
	return json_pack("{s:I, s:s, s:s, s:I, s:s?, s:I}", "seq",
			 (json_int_t)rc->seq, "case", case_id, "kind", kind,
			 "ts", (json_int_t)rc->ts_ms, "number",
			 json_string_value(json_object_get(fields, "number")),
			 "tree_size", (json_int_t)rc->tree_size);
}

int cases_record_add(struct cases *c, const struct record_request *q,
		     const struct actor *by, json_t **out, struct error *err)
{
	const json_t *kind = catalogue_kind(&c->cat, q->kind ?: "");
	struct hook_result hr = { NULL };
	struct ledger_record rec = { 0 };
	struct ledger_receipt receipt;
	json_t *fields;
	struct rec r;
	int rc = check_request(q, kind, err);

	/*
	 * The case itself is checked by the hook inside the append, so
	 * that concurrent records of one case cannot both pass.
	 */
	if (rc == 0)
		rc = check_actor(c, by, err);
	if (rc == 0)
		rc = check_schema_now(c, kind, q->fields, q->nattachments, err);
	if (rc)
		return rc;
	/* A number drawn for a case that does not exist would be lost. */
	if (json_string_value(json_object_get(kind, "number"))) {
		uint64_t last;

		rc = cases_last_seq(c, q->case_id, &last, err);
		if (rc)
			return rc;
	}
	fields = json_deep_copy(q->fields);
	rc = assign_number(c, kind, fields, q->has_at ? q->at_ms
						       : ledger_now_ms(), err);
	rec.kind = q->kind;
	rec.case_id = q->case_id;
	rec.actor = by->user;
	rec.os_user = by->os_user;
	rec.has_at = q->has_at;
	rec.at_ms = q->at_ms;
	rec.fields = fields;
	rec.attachments = q->attachments;
	rec.nattachments = q->nattachments;
	rec.supersedes = -1;
	rec.hook_data = &hr;
	rec.seal = q->marked || kind_sealed(kind);
	if (rc == 0)
		rc = ledger_append(c->ledger, &rec, &receipt, err);
	if (rc && hr.finding) {
		rec_of_request(q, by, &r);
		record_finding(c, q->case_id, hr.finding, &r, by, err);
	}
	if (rc == 0) {
		*out = receipt_json(&receipt, q->case_id, q->kind, fields);
		log_info("cases", "record added", "case=%s kind=%s seq=%" PRIu64
			 " user=%s", q->case_id, q->kind, receipt.seq,
			 by->user);
	}
	json_decref(fields);
	return rc;
}

/* The application's fields from a cases_new request. */
static int application_fields(struct cases *c, const json_t *req,
			      json_t **out, int64_t *received_ms,
			      struct error *err)
{
	static const char *const allowed[] = {
		"matter", "applicant", "applicant_id", "received", "channel",
		"materials", "contact", "address",
	};
	const char *matter = json_string_value(json_object_get(req, "matter"));
	const char *received = json_string_value(json_object_get(req,
								 "received"));
	const char *key;
	char when[32];
	json_t *v, *f;

	json_object_foreach((json_t *)req, key, v) {
		size_t i = 0;

		while (i < ARRAY_SIZE(allowed) && strcmp(key, allowed[i]))
			i++;
		if (i == ARRAY_SIZE(allowed))
			return error_set(err, CT_EINVAL, "'%s' is not a field of "
					 "a new case; the fields are matter, "
					 "applicant, applicant_id, received, "
					 "channel, materials, contact and "
					 "address", key);
	}
	if (!matter || !catalogue_matter(&c->cat, matter))
		return error_set(err, CT_EINVAL, "matter '%s' is not in the "
				 "catalogue; list the matters with "
				 "'casetrail matters'", matter ?: "");
	if (json_object_get(req, "materials") &&
	    matter_check_materials(catalogue_matter(&c->cat, matter),
				   json_object_get(req, "materials"),
				   "materials", err))
		return CT_EINVAL;
	if (!received || time_parse(received, received_ms) != 0)
		return error_set(err, CT_EINVAL, "received '%s' must be the "
				 "date (YYYY-MM-DD) or time (RFC 3339) the "
				 "application arrived", received ?: "");
	if (check_time("received", *received_ms, err))
		return CT_EINVAL;
	f = json_deep_copy(req);
	time_format(*received_ms, when);
	json_object_set_new(f, "received", json_string(when));
	if (!json_object_get(f, "channel"))
		json_object_set_new(f, "channel", json_string("window"));
	*out = f;
	return 0;
}

int cases_new(struct cases *c, const json_t *req, const struct actor *by,
	      json_t **out, struct error *err)
{
	const json_t *kind = catalogue_kind(&c->cat, KIND_APPLICATION);
	struct ledger_record rec = { 0 };
	struct ledger_receipt receipt;
	char name[64], id[CASE_ID_MAX + 1];
	json_t *fields = NULL;
	int64_t received_ms;
	uint64_t n;
	int y, m, d;
	int rc;

	if (!kind)
		return error_set(err, CT_EINVAL, "record-kinds.json has no "
				 "kind 'application'");
	rc = check_actor(c, by, err);
	if (rc == 0)
		rc = application_fields(c, req, &fields, &received_ms, err);
	if (rc == 0)
		rc = check_schema_now(c, kind, fields, 0, err);
	if (rc) {
		json_decref(fields);
		return rc;
	}
	day_to_ymd(day_of_ms(received_ms), &y, &m, &d);
	snprintf(name, sizeof(name), "case:%d", y);
	rc = cases_counter_next(c, name, &n, err);
	snprintf(id, sizeof(id), "%d-%06" PRIu64, y, n);
	rec.kind = KIND_APPLICATION;
	rec.case_id = id;
	rec.actor = by->user;
	rec.os_user = by->os_user;
	rec.has_at = 1;
	rec.at_ms = received_ms;
	rec.fields = fields;
	rec.supersedes = -1;
	rec.seal = kind_sealed(kind);
	if (rc == 0)
		rc = ledger_append(c->ledger, &rec, &receipt, err);
	json_decref(fields);
	if (rc)
		return rc;
	log_info("cases", "case opened", "case=%s seq=%" PRIu64 " user=%s", id,
		 receipt.seq, by->user);
	return cases_show(c, id, out, err);
}

/*
 * Checks that corrected fields leave the document number alone: they may
 * repeat the number of record seq, or leave it out to keep it.
 */
static int check_number_kept(struct cases *c, uint64_t seq,
			     const json_t *fields, struct error *err)
{
	const json_t *number = json_object_get(fields, "number");
	struct error unread = { 0 };
	json_t *old = NULL;
	int same;

	if (!number)
		return 0;
	/* Content that cannot be read has no number to repeat. */
	same = ledger_content(c->ledger, seq, &old, &unread) == 0 &&
	       json_equal(number, json_object_get(old, "number"));
	json_decref(old);
	if (same)
		return 0;
	return error_set(err, CT_EINVAL, "field 'number' is assigned by "
			 "casetrail and a correction keeps it; leave it out");
}

/*
 * Checks a corrected application: its matter is what the case is, so it
 * stays, and a corrected receipt time is a real time in the past.
 */
static int check_application_kept(struct cases *c, uint64_t seq,
				  const json_t *fields, struct error *err)
{
	const char *received = json_string_value(json_object_get(fields,
								 "received"));
	struct error unread = { 0 };
	json_t *old = NULL;
	int64_t ms;
	int same;

	same = ledger_content(c->ledger, seq, &old, &unread) == 0 &&
	       json_equal(json_object_get(fields, "matter"),
			  json_object_get(old, "matter"));
	json_decref(old);
	if (!same)
		return error_set(err, CT_EINVAL, "the matter of a case cannot be "
				 "corrected; withdraw the case and open a new "
				 "one for the right matter");
	if (received && time_parse(received, &ms) == 0)
		return check_time("received", ms, err);
	return 0;
}

/* Reads entry seq as JSON; NULL when it cannot be read. */
static json_t *entry_json(struct store *s, uint64_t seq)
{
	struct buf body = BUF_INIT_MAX(LEDGER_ENTRY_MAX + 1);
	json_t *e = NULL;

	if (store_entry_get(s, seq, &body, NULL) == 0)
		e = json_loadb(body.data, body.len, 0, NULL);
	buf_release(&body);
	return e;
}

/* Reads the seq an entry supersedes (-1 for none). */
static int64_t entry_supersedes(struct store *s, uint64_t seq)
{
	json_t *e = entry_json(s, seq), *sup;
	int64_t out = -1;

	sup = json_object_get(e, "supersedes");
	if (json_is_integer(sup))
		out = json_integer_value(sup);
	json_decref(e);
	return out;
}

/*
 * Checks that the corrector wrote record seq, and counts its attachments.
 * A correction speaks for the record's author: another user could
 * otherwise turn a reviewer's disagreement into agreement, or sign an
 * approval step in the reviewer's record.
 */
static int check_author(struct store *s, uint64_t seq, const char *user,
			size_t *natts, struct error *err)
{
	json_t *e = entry_json(s, seq);
	const char *author = json_string_value(json_object_get(e, "actor"));
	int rc = 0;

	if (!author)
		rc = error_set(err, CT_ECORRUPT, "record %" PRIu64 " names no "
			       "author", seq);
	else if (strcmp(author, user))
		rc = error_set(err, CT_EPERM, "record %" PRIu64 " was written "
			       "by '%s', so only '%s' may correct it; ask them, "
			       "or add a note that states the error", seq,
			       author, author);
	*natts = json_array_size(json_object_get(e, "attachments"));
	json_decref(e);
	return rc;
}

/*
 * Follows a chain of corrections both ways: *seq becomes the original
 * record (a correction names what it corrects) and *latest the newest
 * correction of it, which a further correction supersedes.
 */
static int resolve_chain(struct store *s, uint64_t *seq, uint64_t *latest,
			 char *case_id, size_t case_n, char *kind, size_t kind_n,
			 struct error *err)
{
	int64_t by, back;
	char by_kind[64];
	int rc, hops = 0;

	for (;;) {
		rc = store_record_get(s, *seq, case_id, case_n, kind, kind_n,
				      &by, err);
		if (rc || strcmp(kind, KIND_CORRECTION))
			break;
		back = entry_supersedes(s, *seq);
		if (back < 0 || ++hops > 10000)
			return error_set(err, CT_ECORRUPT, "correction %" PRIu64
					 " names no record it corrects", *seq);
		*seq = (uint64_t)back;
	}
	if (rc)
		return rc;
	*latest = *seq;
	while (by >= 0) {
		rc = store_record_get(s, (uint64_t)by, NULL, 0, by_kind,
				      sizeof(by_kind), NULL, err);
		if (rc)
			return rc;
		if (strcmp(by_kind, KIND_CORRECTION))
			return error_set(err, CT_ESTATE, "record %" PRIu64 " was "
					 "superseded by record %" PRId64 " of "
					 "kind %s and cannot be corrected",
					 *latest, by, by_kind);
		*latest = (uint64_t)by;
		rc = store_record_get(s, *latest, NULL, 0, NULL, 0, &by, err);
		if (rc)
			return rc;
	}
	return 0;
}

/* Whether the content of seq is stored encrypted, whatever marked it. */
static int stored_sealed(struct store *s, uint64_t seq)
{
	struct buf salt = BUF_INIT_MAX(1024);
	struct buf raw = BUF_INIT_MAX(2 * CONTENT_MAX);
	int sealed = store_content_get(s, seq, &salt, &raw, NULL) == 0 &&
		     content_row_sealed(raw.data, raw.len);

	buf_release(&salt);
	buf_release(&raw);
	return sealed;
}

int cases_record_correct(struct cases *c, uint64_t seq, const char *reason,
			 const json_t *fields, const struct actor *by,
			 json_t **out, struct error *err)
{
	char case_id[CASE_ID_MAX + 1], kind_code[64];
	const json_t *kind;
	struct ledger_record rec = { 0 };
	struct ledger_receipt receipt;
	uint64_t latest = seq;
	size_t natts = 0;
	struct store *s;
	json_t *content;
	int rc, sealed = 0;

	if (!reason || !reason[0])
		return error_set(err, CT_EINVAL, "a correction needs a reason; "
				 "give --reason");
	rc = check_actor(c, by, err);
	if (rc == 0)
		rc = ledger_read_begin(c->ledger, &s, err);
	if (rc)
		return rc;
	rc = resolve_chain(s, &seq, &latest, case_id, sizeof(case_id),
			   kind_code, sizeof(kind_code), err);
	if (rc == 0)
		rc = check_author(s, seq, by->user, &natts, err);
	if (rc == 0)
		sealed = stored_sealed(s, seq) || stored_sealed(s, latest);
	ledger_read_end(c->ledger, s);
	if (rc)
		return rc;
	kind = catalogue_kind(&c->cat, kind_code);
	if (!case_id[0] || !kind)
		return error_set(err, CT_EINVAL, "record %" PRIu64 " (kind %s) "
				 "is not a case record that can be corrected",
				 seq, kind_code);
	rc = check_number_kept(c, seq, fields, err);
	if (rc == 0 && !strcmp(kind_code, KIND_APPLICATION))
		rc = check_application_kept(c, seq, fields, err);
	if (rc == 0)
		rc = check_schema_now(c, kind, fields, natts, err);
	if (rc)
		return rc;
	content = json_pack("{s:s, s:O, s:s}", "reason", reason, "fields",
			    fields, "kind", kind_code);
	rec.kind = KIND_CORRECTION;
	rec.case_id = case_id;
	rec.actor = by->user;
	rec.os_user = by->os_user;
	rec.fields = content;
	rec.supersedes = (int64_t)latest;
	/* The corrected fields stay as protected as what they correct. */
	rec.seal = sealed || kind_sealed(kind);
	rc = ledger_append(c->ledger, &rec, &receipt, err);
	if (rc == 0)
		*out = receipt_json(&receipt, case_id, KIND_CORRECTION, content);
	json_decref(content);
	return rc;
}
