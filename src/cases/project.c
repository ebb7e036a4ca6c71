/*
 * Projecting the log: the hook that checks each record against its case
 * inside the append transaction and updates the query tables, catching
 * up on entries appended without it, and loading a case's state back
 * from the log.
 */
#include "common/common.h"

#include "common/jcs.h"
#include "common/log.h"
#include "content/content.h"
#include "internal.h"
#include "rules.h"

json_t *user_read(struct store *s, const char *name)
{
	struct buf body = BUF_INIT_MAX(1 << 20);
	json_t *u = NULL;

	if (name && store_user_get(s, name, &body, NULL) == 0)
		u = json_loadb(body.data, body.len, 0, NULL);
	buf_release(&body);
	return u;
}

static json_t *lookup_user(void *ctx, const char *name)
{
	return user_read(ctx, name);
}

static void env_init(struct cases *c, struct store *s, struct check_env *env)
{
	env->cat = &c->cat;
	env->cal = c->cal;
	env->user = lookup_user;
	env->user_ctx = s;
	env->signed_at = c->extra.signed_at;
	env->signed_ctx = c->extra.ctx;
	env->store = s;
}

/* Fills r from a stored entry and its content (NULL fields if none). */
static int rec_from_entry(struct store *s, uint64_t seq, struct rec *r,
			  char *case_id, size_t case_n, struct error *err)
{
	struct buf body = BUF_INIT_MAX(LEDGER_ENTRY_MAX + 1);
	struct content content;
	json_t *e = NULL;
	int rc = store_entry_get(s, seq, &body, err);

	memset(r, 0, sizeof(*r));
	if (rc == 0 && !(e = json_loadb(body.data, body.len, 0, NULL)))
		rc = error_set(err, CT_ECORRUPT, "entry %" PRIu64 " is not "
			       "JSON", seq);
	if (rc == 0) {
		json_t *at = json_object_get(e, "at");
		json_t *sup = json_object_get(e, "supersedes");

		r->seq = seq;
		r->ts_ms = json_integer_value(json_object_get(e, "ts"));
		r->at_ms = at ? json_integer_value(at) : r->ts_ms;
		snprintf(r->kind, sizeof(r->kind), "%s",
			 json_string_value(json_object_get(e, "kind")) ?: "");
		snprintf(r->actor, sizeof(r->actor), "%s",
			 json_string_value(json_object_get(e, "actor")) ?: "");
		r->supersedes = sup ? json_integer_value(sup) : -1;
		r->superseded_by = r->corrected_by = -1;
		r->original = NULL;
		r->attachments = json_incref(json_object_get(e, "attachments"));
		if (!r->attachments)
			r->attachments = json_array();
		if (case_id)
			snprintf(case_id, case_n, "%s",
				 json_string_value(json_object_get(e, "case"))
					 ?: "");
		/* Sealed content is decrypted here (content.h). */
		content_init(&content);
		if (content_read(s, seq, &content, NULL) == 0)
			r->fields = json_loadb(content.fields.data,
					       content.fields.len, 0, NULL);
		content_release(&content);
		/* Content no expunge removed was lost in a restore. */
		if (!r->fields)
			r->lost = store_expunge_get(s, seq, NULL, NULL,
						    NULL) != 0;
	}
	json_decref(e);
	buf_release(&body);
	return rc;
}

struct load_ctx {
	struct cases *c;
	struct store *s;
	struct case_state *cs;
	struct error *err;
};

static int load_one(void *ctx, uint64_t seq)
{
	struct load_ctx *lc = ctx;
	struct rec r;
	struct cases_projector *x = &lc->c->extra;
	int rc = rec_from_entry(lc->s, seq, &r, NULL, 0, lc->err);

	/* An entry of a module above names the case but is not its record. */
	if (rc == 0 && x->owns && x->owns(x->ctx, r.kind)) {
		json_decref(r.fields);
		json_decref(r.attachments);
		return 0;
	}
	/* Expunges stay in the timeline: what was removed, and who approved. */
	if (rc == 0)
		rc = case_fold(lc->cs, &lc->c->cat, &r, lc->err);
	return rc;
}

int case_load(struct cases *c, struct store *s, const char *id,
	      struct case_state *cs, struct error *err)
{
	struct load_ctx lc = { c, s, cs, err };
	int rc;

	memset(cs, 0, sizeof(*cs));
	snprintf(cs->id, sizeof(cs->id), "%s", id);
	rc = store_case_records(s, id, load_one, &lc, err);
	/* Only an application opens a case. */
	if (rc == 0 && (cs->n == 0 || strcmp(cs->recs[0].kind,
					     KIND_APPLICATION)))
		rc = error_set(err, CT_ENOTFOUND, "case '%s' not found; list "
			       "cases with 'casetrail case list'", id);
	if (rc)
		case_state_release(cs);
	return rc;
}

static uint32_t id_hash(const char *id)
{
	uint32_t h = 2166136261u;

	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return h;
}

void state_drop(struct state_slot *slot)
{
	if (slot->valid)
		case_state_release(&slot->cs);
	slot->valid = 0;
}

void state_cache_clear(struct cases *c)
{
	for (size_t i = 0; c->states && i < STATE_CACHE_SLOTS; i++)
		state_drop(&c->states[i]);
}

struct state_slot *state_get(struct cases *c, struct store *s,
			     const char *id, struct error *err)
{
	struct state_slot *slot = &c->states[id_hash(id) % STATE_CACHE_SLOTS];
	uint64_t last;

	if (store_case_get(s, id, NULL, &last, err) != 0)
		return NULL;
	if (slot->valid && slot->last_seq == last && !strcmp(slot->cs.id, id))
		return slot;
	state_drop(slot);
	if (case_load(c, s, id, &slot->cs, err) != 0)
		return NULL;
	slot->valid = 1;
	slot->last_seq = last;
	slot->evaluated_day = INT32_MIN;
	return slot;
}

/* --- findings ---------------------------------------------------------- */

/* The open findings of a case as stored: {id, code, record, detected,
 * body}, collected before any is changed. */
static int collect_open(void *ctx, const struct store_finding *row)
{
	if (row->cured_ms >= 0)
		return 0;
	json_array_append_new(ctx, json_pack(
		"{s:I, s:s, s:I, s:I, s:s}", "id", (json_int_t)row->id, "code",
		row->code, "record", (json_int_t)row->record_seq, "detected",
		(json_int_t)row->detected_ms, "body", row->body ?: ""));
	return 0;
}

/* Whether two codes name one rule: a row stored under a code's former
 * name (deemed-renewed) stays the same finding. */
static int same_code(const char *a, const char *b)
{
	const struct finding_rule *r = finding_rule_find(a);

	return !strcmp(a, b) || (r && r == finding_rule_find(b));
}

/* A finding is the same when its code, record, key and detection match. */
static int same_finding(const json_t *f, const json_t *row)
{
	json_t *rec = json_object_get(f, "record");
	int64_t seq = json_is_integer(rec) ? json_integer_value(rec) : -1;
	json_t *body = json_loads(json_string_value(json_object_get(row, "body")),
				  0, NULL);
	int same = body &&
		   same_code(json_string_value(json_object_get(f, "code")),
			     json_string_value(json_object_get(row, "code"))) &&
		   seq == json_integer_value(json_object_get(row, "record")) &&
		   json_integer_value(json_object_get(f, "detected")) ==
			   json_integer_value(json_object_get(row, "detected")) &&
		   !strcmp(json_string_value(json_object_get(f, "key")) ?: "",
			   json_string_value(json_object_get(body, "key")) ?: "");

	json_decref(body);
	return same;
}

/*
 * Brings an open stored finding in line with the evaluation at now_ms:
 * kept (its body refreshed, since the responsible person may be known
 * only later), cured, or removed. A finding whose detection lies after
 * now_ms was raised before a record dated earlier arrived, and that
 * record shows it never arose. A replay of the log never raises it, so
 * it is removed rather than cured.
 */
static int sync_row(struct store *s, const json_t *row, json_t *found,
		    char *matched, int64_t now_ms, struct error *err)
{
	int64_t id = json_integer_value(json_object_get(row, "id"));
	const char *old = json_string_value(json_object_get(row, "body"));
	json_t *f;
	size_t i;
	int rc = 0;

	json_array_foreach(found, i, f) {
		char *body;

		if (matched[i] || !same_finding(f, row))
			continue;
		matched[i] = 1;
		body = json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS);
		if (!body)
			return error_set(err, CT_ENOMEM, "out of memory");
		if (strcmp(body, old))
			rc = store_finding_update(s, id, body, err);
		free(body);
		return rc;
	}
	if (json_integer_value(json_object_get(row, "detected")) > now_ms)
		return store_finding_delete(s, id, err);
	return store_finding_cure(s, id, now_ms, err);
}

static int add_finding_row(struct store *s, const char *case_id,
			   const json_t *f, struct error *err)
{
	struct store_finding row = { 0 };
	json_t *rec = json_object_get(f, "record");
	char *body = json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS);
	int rc;

	if (!body)
		return error_set(err, CT_ENOMEM, "out of memory");
	row.case_id = case_id;
	row.code = json_string_value(json_object_get(f, "code"));
	row.record_seq = json_is_integer(rec) ? json_integer_value(rec) : -1;
	row.detected_ms = json_integer_value(json_object_get(f, "detected"));
	row.cured_ms = -1;
	row.body = body;
	rc = store_finding_add(s, &row, err);
	free(body);
	return rc;
}

static int sync_findings(struct store *s, const char *case_id, json_t *found,
			 int64_t now_ms, struct error *err)
{
	char *matched = calloc(json_array_size(found) + 1, 1);
	json_t *open = json_array(), *row, *f;
	size_t i;
	int rc;

	if (!matched || !open) {
		free(matched);
		json_decref(open);
		return error_set(err, CT_ENOMEM, "out of memory");
	}
	rc = store_case_findings(s, case_id, collect_open, open, err);
	json_array_foreach(open, i, row) {
		if (rc)
			break;
		rc = sync_row(s, row, found, matched, now_ms, err);
	}
	json_array_foreach(found, i, f) {
		if (rc)
			break;
		if (!matched[i])
			rc = add_finding_row(s, case_id, f, err);
	}
	free(matched);
	json_decref(open);
	return rc;
}

/* --- the case row -------------------------------------------------------- */

static void next_due(const json_t *deadlines, int32_t *due, int32_t *promised,
		     int *overdue)
{
	const char *name;
	json_t *d;

	*due = *promised = STORE_NO_DAY;
	*overdue = 0;
	json_object_foreach((json_t *)deadlines, name, d) {
		const char *state = json_string_value(json_object_get(d,
								      "state"));
		int32_t day;

		if (!state || (strcmp(state, "open") && strcmp(state, "overdue")))
			continue;
		*overdue |= !strcmp(state, "overdue");
		if (day_parse(json_string_value(json_object_get(d, "date")) ?: "",
			      &day) == 0 &&
		    (*due == STORE_NO_DAY || day < *due))
			*due = day;
		if (day_parse(json_string_value(json_object_get(
				      json_object_get(d, "promised"), "date"))
				      ?: "", &day) == 0 &&
		    (*promised == STORE_NO_DAY || day < *promised))
			*promised = day;
	}
}

/* Collects the document numbers of the case, for search. */
static void add_numbers(const struct case_state *cs, struct buf *search)
{
	for (size_t i = 0; i < cs->n; i++) {
		const char *no = json_string_value(json_object_get(
			cs->recs[i].fields, "number"));

		if (no)
			buf_printf(search, " %s", no);
	}
}

static json_t *case_summary(struct cases *c, const struct case_state *cs,
			    const json_t *app, json_t *deadlines,
			    size_t open_findings)
{
	const json_t *m = cs->matter;
	char received[32];

	time_format(cs->received_ms, received);
	return json_pack("{s:s, s:{s:s?, s:s?, s:s?}, s:s?, s:s?, s:s, s:s, "
			 "s:s, s:s, s:I, s:O, s:I}",
			 "id", cs->id, "matter", "code",
			 json_string_value(json_object_get(m, "code")), "name",
			 json_string_value(json_object_get(m, "name")), "type",
			 json_string_value(json_object_get(m, "type")),
			 "applicant",
			 json_string_value(json_object_get(app, "applicant")),
			 "applicant_id",
			 json_string_value(json_object_get(app, "applicant_id")),
			 "stage", stage_code(cs->stage), "stage_name",
			 c->cat.stage_names[cs->stage < STAGE_COUNT ? cs->stage
								    : 0],
			 "status", cs->status ?: "open", "received", received,
			 "last_seq", (json_int_t)cs->recs[cs->n - 1].seq,
			 "deadlines", deadlines, "open_findings",
			 (json_int_t)open_findings);
}

/* Writes the findings unless they are those last written for cs. */
static int sync_found(struct store *s, struct case_state *cs, json_t *found,
		      int64_t now_ms, struct error *err)
{
	char *sig = json_dumps(found, JSON_COMPACT | JSON_SORT_KEYS);
	int rc;

	if (sig && cs->found_sig && !strcmp(sig, cs->found_sig)) {
		free(sig);
		return 0;
	}
	rc = sync_findings(s, cs->id, found, now_ms, err);
	free(cs->found_sig);
	cs->found_sig = rc == 0 ? sig : NULL;
	if (rc)
		free(sig);
	return rc;
}

/*
 * Whether id has the shape of a resident identity card number: 17 digits
 * and a digit or X (GB 11643), or the 15 digits of the old cards. A
 * unified social credit code (GB 32100) has letters in other places.
 */
static bool person_id_shaped(const char *id)
{
	size_t n = strlen(id);

	if (n != 18 && n != 15)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool last = i == n - 1 && n == 18;

		if (!(id[i] >= '0' && id[i] <= '9') &&
		    !(last && (id[i] == 'X' || id[i] == 'x')))
			return false;
	}
	return true;
}

static int put_members(struct store *s, const struct case_state *cs,
		       uint64_t seq, struct error *err)
{
	json_t *names = case_member_names(cs);
	char *text = names ? json_dumps(names, JSON_COMPACT) : NULL;
	int rc = text ? store_kv_put(s, NS_MEMBERS, cs->id, seq, text, err)
		      : error_set(err, CT_ENOMEM, "out of memory");

	free(text);
	json_decref(names);
	return rc;
}

int case_project(struct cases *c, struct store *s, struct case_state *cs,
		 int64_t now_ms, struct error *err)
{
	json_t *deadlines = json_object(), *found = json_array(), *summary;
	const json_t *app = cs->n ? cs->recs[0].fields : NULL;
	struct buf search = BUF_INIT_MAX(1 << 16);
	struct store_case row = { 0 };
	struct check_env env;
	const char *applicant_id;
	char *text = NULL;
	int rc;

	env_init(c, s, &env);
	pthread_mutex_lock(&c->cal_mu);
	rc = case_evaluate(cs, &env, now_ms, deadlines, found);
	pthread_mutex_unlock(&c->cal_mu);
	if (rc == 0)
		rc = sync_found(s, cs, found, now_ms, err);
	if (rc == 0)
		rc = publicity_due_sync(s, cs, deadlines, err);
	if (rc == 0)
		rc = archive_due_sync(s, cs, err);
	summary = case_summary(c, cs, app, deadlines, json_array_size(found));
	/*
	 * A person's ID number is left out: it is personal information,
	 * matched only for readers cleared for it (store_case_filter.q_ids).
	 * An organisation's credit code is public and stays searchable.
	 */
	applicant_id = json_string_value(json_object_get(app, "applicant_id"));
	buf_printf(&search, "%s %s %s", cs->id,
		   json_string_value(json_object_get(app, "applicant")) ?: "",
		   applicant_id && !person_id_shaped(applicant_id)
			   ? applicant_id
			   : "");
	add_numbers(cs, &search);
	text = summary ? json_dumps(summary, JSON_COMPACT) : NULL;
	if (rc == 0 && !text)
		rc = error_set(err, CT_ENOMEM, "out of memory");
	if (rc == 0) {
		row.id = cs->id;
		/* An expunged application leaves the case without them. */
		row.matter = json_string_value(json_object_get(app, "matter"))
				     ?: "";
		row.applicant = json_string_value(json_object_get(app,
								  "applicant"))
					?: "";
		row.applicant_id = json_string_value(
			json_object_get(app, "applicant_id"));
		row.stage = stage_code(cs->stage);
		row.status = cs->status ?: "open";
		row.received_ms = cs->received_ms;
		row.opened_seq = cs->recs[0].seq;
		row.last_seq = cs->recs[cs->n - 1].seq;
		next_due(deadlines, &row.due_day, &row.promised_day,
			 &row.overdue);
		row.open = cs->stage < STAGE_ARCHIVE;
		row.search = search.data ? search.data : cs->id;
		row.summary = text;
		rc = store_case_put(s, &row, err);
	}
	if (rc == 0)
		rc = put_members(s, cs, row.last_seq, err);
	free(text);
	json_decref(summary);
	json_decref(deadlines);
	json_decref(found);
	buf_release(&search);
	return rc;
}

/* --- the hook ------------------------------------------------------------ */

static int project_user(struct store *s, uint64_t seq, const json_t *fields,
			int check, struct error *err)
{
	const char *name = json_string_value(json_object_get(fields, "name"));
	json_t *body, *old = user_read(s, name ?: "");
	char *text;
	int rc;

	if (!name)
		return error_set(err, CT_EINVAL, "user record has no name");
	if (old && check) {
		json_decref(old);
		return error_set(err, CT_EEXIST, "user '%s' exists already",
				 name);
	}
	json_decref(old);
	body = json_deep_copy(fields);
	json_object_set_new(body, "seq", json_integer((json_int_t)seq));
	text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	rc = text ? store_user_put(s, name, seq, text, err) : CT_ENOMEM;
	free(text);
	json_decref(body);
	return rc;
}

static int project_token(struct store *s, uint64_t seq, const json_t *fields,
			 struct error *err)
{
	const char *user = json_string_value(json_object_get(fields, "user"));
	const char *hash = json_string_value(json_object_get(fields, "hash"));

	json_t *expires = json_object_get(fields, "expires");

	if (!user || !hash)
		return error_set(err, CT_EINVAL, "token record lacks user or "
				 "hash");
	return store_token_put(s, hash, user, seq,
			       json_is_integer(expires)
				       ? json_integer_value(expires)
				       : INT64_MAX,
			       err);
}

static int project_token_revoke(struct cases *c, struct store *s,
				uint64_t seq, const json_t *fields,
				struct error *err)
{
	json_t *token = json_object_get(fields, "token");
	int rc;

	if (!json_is_integer(token) || json_integer_value(token) < 0)
		return error_set(err, CT_EINVAL, "token revocation names no "
				 "token");
	rc = store_token_revoke(s, (uint64_t)json_integer_value(token), seq,
				err);
	/* A replay keeps whatever the log holds. */
	if (rc == CT_ENOTFOUND && c->replaying) {
		error_clear(err);
		rc = 0;
	}
	return rc;
}

static int project_calendar(struct cases *c, struct store *s, uint64_t seq,
			    const json_t *fields, struct error *err)
{
	const json_t *file = json_object_get(fields, "file");
	char *text = json_dumps(fields, JSON_COMPACT | JSON_SORT_KEYS);
	int rc;

	pthread_mutex_lock(&c->cal_mu);
	rc = calendar_add_year(c->cal, file, err);
	pthread_mutex_unlock(&c->cal_mu);
	if (rc == 0)
		rc = text ? store_calendar_put(s, (int)json_integer_value(
						       json_object_get(file,
								       "year")),
					       seq, text, err)
			  : CT_ENOMEM;
	free(text);
	return rc;
}

/*
 * The earliest time a record states for its event: --at, or a date or
 * time among its fields (accepted_on, served_on, ...) before it was
 * written. A record typed in later states when it happened either way.
 */
static int64_t event_ms(const struct rec *r)
{
	int64_t earliest = r->at_ms < r->ts_ms ? r->at_ms : r->ts_ms;
	const char *name;
	json_t *v;

	/* A file's capture time is not the time of any act of the case. */
	if (is_media_kind(r->kind))
		return r->ts_ms;
	json_object_foreach(r->fields, name, v) {
		const char *text = json_string_value(v);
		int64_t ms;

		if (text && time_parse(text, &ms) == 0 && ms < earliest &&
		    ms >= day_start_ms(day_from_ymd(CAL_YEAR_MIN, 1, 1)))
			earliest = ms;
	}
	return earliest;
}

/* Forgets a case's cached state: an expunge removes content it holds. */
static void drop_case_state(struct cases *c, const char *case_id)
{
	struct state_slot *slot;

	if (!case_id[0])
		return;
	slot = &c->states[id_hash(case_id) % STATE_CACHE_SLOTS];
	if (slot->valid && !strcmp(slot->cs.id, case_id))
		state_drop(slot);
}

/* Opens a case from its application (no state exists yet). */
static int project_application(struct cases *c, struct store *s,
			       struct rec *r, const char *case_id,
			       struct error *err)
{
	struct case_state cs = { 0 };
	int rc;

	if (store_case_get(s, case_id, NULL, NULL, NULL) == 0)
		return error_set(err, CT_EEXIST, "case '%s' exists already",
				 case_id);
	snprintf(cs.id, sizeof(cs.id), "%s", case_id);
	rc = case_fold(&cs, &c->cat, r, err);
	if (rc == 0) {
		r->fields = NULL;
		r->attachments = NULL;
		rc = case_project(c, s, &cs, r->ts_ms, err);
	}
	case_state_release(&cs);
	return rc;
}

/*
 * Whether cs holds a document-issue entry (src/documents/) of the same
 * document and source record as fields: each is issued once, so that
 * every re-print, from any process, returns the first.
 */
static int issued_before(const struct case_state *cs, const json_t *fields)
{
	for (size_t i = 0; i < cs->n; i++) {
		const json_t *f = cs->recs[i].fields;

		if (!f || strcmp(cs->recs[i].kind, "document-issue"))
			continue;
		if (json_equal(json_object_get(f, "document"),
			       json_object_get(fields, "document")) &&
		    json_equal(json_object_get(f, "source"),
			       json_object_get(fields, "source")))
			return 1;
	}
	return 0;
}

/*
 * Whether the case-file-seal fields adds nothing to the last seal of cs:
 * no record other than a read of the access log or a seal lies between
 * the last record that seal covers and the last one fields covers. A
 * case is sealed once in each state, whichever process comes first.
 */
static int sealed_before(const struct case_state *cs, const json_t *fields)
{
	json_int_t last = json_integer_value(json_object_get(
		json_object_get(fields, "covers"), "last"));
	json_int_t sealed = -1;

	for (size_t i = 0; i < cs->n; i++)
		if (!strcmp(cs->recs[i].kind, KIND_CASE_FILE_SEAL) &&
		    cs->recs[i].fields)
			sealed = json_integer_value(json_object_get(
				json_object_get(cs->recs[i].fields, "covers"),
				"last"));
	if (sealed < 0)
		return 0;
	for (size_t i = 0; i < cs->n; i++) {
		json_int_t seq = (json_int_t)cs->recs[i].seq;

		if (seq > sealed && seq <= last &&
		    strcmp(cs->recs[i].kind, KIND_CASE_FILE_SEAL) &&
		    strcmp(cs->recs[i].kind, "access"))
			return 0;
	}
	return 1;
}

/* Checks a record of a case (unless replaying) and folds it in. */
static int project_case_record(struct cases *c, struct store *s,
			       struct rec *r, const char *case_id,
			       struct hook_result *hr, struct error *err)
{
	struct state_slot *slot;
	struct check_env env;
	const char *finding = NULL;
	int32_t today = day_of_ms(r->ts_ms);
	int64_t before = event_ms(r);
	int rc;

	if (!strcmp(r->kind, KIND_APPLICATION))
		return project_application(c, s, r, case_id, err);
	slot = state_get(c, s, case_id, err);
	/*
	 * An entry appended without the workflow (by the ledger alone) may
	 * name a case that was never opened: it is kept in the log and
	 * listed as a record, but no case is projected.
	 */
	if (!slot && err->code == CT_ENOTFOUND && c->replaying) {
		log_warn("cases", "record of an unknown case", "case=%s "
			 "seq=%" PRIu64 " kind=%s", case_id, r->seq, r->kind);
		error_clear(err);
		return 0;
	}
	if (!slot)
		return err->code ? err->code : CT_EIO;
	if (!c->replaying && !strcmp(r->kind, "document-issue") &&
	    issued_before(&slot->cs, r->fields))
		return error_set(err, CT_EEXIST, "document %s of record %"
				 JSON_INTEGER_FORMAT " was issued already",
				 json_string_value(json_object_get(
					 r->fields, "document")) ?: "",
				 json_integer_value(json_object_get(
					 r->fields, "source")));
	if (!c->replaying && !strcmp(r->kind, KIND_CASE_FILE_SEAL) &&
	    sealed_before(&slot->cs, r->fields))
		return error_set(err, CT_EEXIST, "case %s was sealed already "
				 "in this state", case_id);
	/*
	 * Findings that time raised before the event this record states,
	 * evaluated as of the event: a record typed in later with an earlier
	 * time shows which findings never arose. Findings depend on the day,
	 * so one evaluation a day is enough.
	 */
	if (slot->evaluated_day != day_of_ms(before)) {
		rc = case_project(c, s, &slot->cs, before, err);
		if (rc)
			goto fail;
		slot->evaluated_day = day_of_ms(before);
	}
	env_init(c, s, &env);
	/*
	 * Audio-visual entries were checked by media_project. An issued
	 * document (src/documents/) is written only by casetrail, from a
	 * record of the case that was checked when it was appended. A case
	 * file's seal follows the end of the case and takes no stage rule.
	 */
	if (!c->replaying && strcmp(r->kind, KIND_FINDING) &&
	    strcmp(r->kind, KIND_CORRECTION) && strcmp(r->kind, KIND_EXPUNGE) &&
	    strcmp(r->kind, "document-issue") &&
	    strcmp(r->kind, KIND_CASE_FILE_SEAL) && !is_media_kind(r->kind)) {
		pthread_mutex_lock(&c->cal_mu);
		rc = case_check(&slot->cs, &env, r, &finding, err);
		pthread_mutex_unlock(&c->cal_mu);
		/* The savepoint rollback undoes the evaluation above too. */
		if (rc) {
			slot->evaluated_day = INT32_MIN;
			free(slot->cs.found_sig);
			slot->cs.found_sig = NULL;
			if (hr)
				hr->finding = finding;
			return rc;
		}
	}
	rc = case_fold(&slot->cs, &c->cat, r, err);
	if (rc)
		goto fail;
	/* The state owns the fields now. */
	r->fields = NULL;
	r->attachments = NULL;
	rc = case_project(c, s, &slot->cs, r->ts_ms, err);
	if (rc)
		goto fail;
	slot->last_seq = r->seq;
	slot->evaluated_day = today;
	return 0;
fail:
	state_drop(slot);
	return rc;
}

static int add_open_id(void *ctx, const struct store_finding *f)
{
	json_array_append_new(ctx, json_integer(f->id));
	return 0;
}

/*
 * A witness-lag entry of the witness pusher (docs/witness.md): "behind"
 * raises the finding witness-behind unless one is open, "caught-up"
 * cures the open ones.
 */
static int project_witness_lag(struct cases *c, struct store *s,
			       const struct rec *r, struct error *err)
{
	struct store_finding_filter q = { .code = "witness-behind",
					  .open_only = 1, .limit = 64 };
	const char *state = json_string_value(json_object_get(r->fields,
							      "state"));
	json_t *open = json_array(), *id;
	size_t i;
	uint64_t total = 0;
	int rc = store_finding_list(s, &q, add_open_id, open, &total, err);

	if (rc == 0 && state && !strcmp(state, "behind") &&
	    json_array_size(open) == 0)
		rc = cases_finding_raise(c, s, "witness-behind", r->seq,
					 r->ts_ms, NULL, json_string_value(
					 json_object_get(r->fields, "witness")),
					 r->fields, err);
	else if (rc == 0 && state && !strcmp(state, "caught-up"))
		json_array_foreach(open, i, id) {
			if (rc == 0)
				rc = store_finding_cure(s,
							json_integer_value(id),
							r->ts_ms, err);
		}
	json_decref(open);
	return rc;
}

static int project_rec(struct cases *c, struct store *s, struct rec *r,
		       const char *case_id, struct hook_result *hr,
		       struct error *err)
{
	struct store_record row = { r->seq, case_id[0] ? case_id : NULL,
				    r->kind, r->actor };
	int rc = 0;

	if (c->extra.owns && c->extra.owns(c->extra.ctx, r->kind)) {
		struct cases_entry e = {
			r->seq, r->ts_ms, r->at_ms, r->kind, r->actor,
			case_id, r->supersedes, r->fields, r->attachments,
			hr, c->replaying,
		};

		/* Content expunged or lost in a restore projects nothing. */
		if (r->fields || !c->replaying)
			rc = c->extra.fn(c->extra.ctx, s, &e, err);
		return rc ? rc : store_record_put(s, &row, err);
	}
	/* purge-without-rule, before the media row is marked purged. */
	rc = purge_check(c, s, r, case_id, err);
	if (rc)
		return rc;
	/* A user, token or calendar whose content a restore lost is kept
	 * in the log and projected as nothing. */
	if (!r->fields && c->replaying &&
	    (!strcmp(r->kind, KIND_USER) || !strcmp(r->kind, KIND_TOKEN) ||
	     !strcmp(r->kind, KIND_TOKEN_REVOKE) ||
	     !strcmp(r->kind, KIND_CALENDAR)))
		return store_record_put(s, &row, err);
	if (!strcmp(r->kind, KIND_USER))
		rc = project_user(s, r->seq, r->fields, !c->replaying, err);
	else if (!strcmp(r->kind, KIND_TOKEN))
		rc = project_token(s, r->seq, r->fields, err);
	else if (!strcmp(r->kind, KIND_TOKEN_REVOKE))
		rc = project_token_revoke(c, s, r->seq, r->fields, err);
	else if (!strcmp(r->kind, KIND_CALENDAR)) {
		/*
		 * Deadlines move with the calendar at this entry's time, the
		 * same in a replay as when it was imported.
		 */
		rc = project_calendar(c, s, r->seq, r->fields, err);
		if (rc == 0)
			rc = sweep_open_cases(c, s, r->ts_ms, err);
	}
	else if (is_publicity_kind(r->kind))
		rc = publicity_project(c, s, r, err);
	else if (!strcmp(r->kind, "witness-lag") && r->fields)
		rc = project_witness_lag(c, s, r, err);
	else if (is_verify_kind(r->kind))
		rc = integrity_project(c, s, r, err);
	else if (is_media_kind(r->kind)) {
		rc = media_project(c, s, r, case_id, err);
		if (rc == 0 && case_id[0])
			rc = project_case_record(c, s, r, case_id, hr, err);
	} else if (!strcmp(r->kind, KIND_EXPUNGE) && case_id[0]) {
		/*
		 * The case's last seq moves to the expunge, which changes its
		 * cached rendering. The folded state is dropped before, so that
		 * the case row is made again from the log without the content
		 * the expunge destroys, and after, since it held it.
		 */
		drop_case_state(c, case_id);
		rc = project_case_record(c, s, r, case_id, hr, err);
		drop_case_state(c, case_id);
	} else if (case_id[0])
		rc = project_case_record(c, s, r, case_id, hr, err);
	if (rc == 0)
		rc = store_record_put(s, &row, err);
	if (rc == 0 && r->supersedes >= 0 && strcmp(r->kind, KIND_EXPUNGE) &&
	    strcmp(r->kind, KIND_PURGE))
		rc = store_record_supersede(s, (uint64_t)r->supersedes, r->seq,
					    err);
	if (rc == 0 && c->extra.observe) {
		struct cases_entry e = {
			r->seq, r->ts_ms, r->at_ms, r->kind, r->actor,
			case_id, r->supersedes, r->fields, r->attachments,
			hr, c->replaying,
		};

		rc = c->extra.observe(c->extra.ctx, s, &e, err);
	}
	return rc;
}

/* Projects a stored entry without checks (catch-up and rebuild). */
static int replay_one(struct cases *c, struct store *s, uint64_t seq,
		      struct error *err)
{
	char case_id[CASE_ID_MAX + 1];
	struct rec r;
	int saved = c->replaying;
	int rc = rec_from_entry(s, seq, &r, case_id, sizeof(case_id), err);

	if (rc)
		return rc;
	/* The expunge names its target's case only through the target. */
	if ((!strcmp(r.kind, KIND_EXPUNGE) || !strcmp(r.kind, KIND_PURGE)) &&
	    r.supersedes >= 0)
		store_record_get(s, (uint64_t)r.supersedes, case_id,
				 sizeof(case_id), NULL, 0, NULL, NULL);
	c->replaying = 1;
	rc = project_rec(c, s, &r, case_id, NULL, err);
	c->replaying = saved;
	json_decref(r.fields);
	json_decref(r.attachments);
	return rc;
}

int project_catch_up(struct cases *c, struct store *s, struct error *err)
{
	uint64_t done, count;
	int rc = store_projected_get(s, &done, err);

	if (rc == 0)
		rc = store_entry_count(s, &count, err);
	for (uint64_t seq = done; rc == 0 && seq < count; seq++)
		rc = replay_one(c, s, seq, err);
	if (rc == 0 && count > done)
		log_info("cases", "projected entries", "from=%" PRIu64
			 " to=%" PRIu64, done, count);
	return rc;
}

int project_entry(void *ctx, struct store *s, uint64_t seq, int64_t ts_ms,
		  const struct ledger_record *rec, struct error *err)
{
	struct cases *c = ctx;
	struct rec r = { 0 };
	char case_id[CASE_ID_MAX + 1] = "";
	int rc = project_catch_up(c, s, err);

	if (rc)
		return rc;
	r.seq = seq;
	r.ts_ms = ts_ms;
	r.at_ms = rec->has_at ? rec->at_ms : ts_ms;
	snprintf(r.kind, sizeof(r.kind), "%s", rec->kind);
	snprintf(r.actor, sizeof(r.actor), "%s", rec->actor);
	r.supersedes = rec->supersedes;
	r.superseded_by = r.corrected_by = -1;
	r.original = NULL;
	r.fields = json_deep_copy(rec->fields);
	r.attachments = json_array();
	for (size_t i = 0; i < rec->nattachments; i++)
		json_array_append_new(r.attachments, json_pack(
			"{s:s, s:I, s:s}", "hash", rec->attachments[i].hash,
			"size", (json_int_t)rec->attachments[i].size, "type",
			rec->attachments[i].type));
	if (rec->case_id)
		snprintf(case_id, sizeof(case_id), "%s", rec->case_id);
	else if ((!strcmp(r.kind, KIND_EXPUNGE) ||
		  !strcmp(r.kind, KIND_PURGE)) && r.supersedes >= 0)
		store_record_get(s, (uint64_t)r.supersedes, case_id,
				 sizeof(case_id), NULL, 0, NULL, NULL);
	rc = project_rec(c, s, &r, case_id, rec->hook_data, err);
	json_decref(r.fields);
	json_decref(r.attachments);
	return rc;
}
