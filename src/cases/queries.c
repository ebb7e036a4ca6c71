/*
 * Reading the workflow: a case with its timeline, lists of cases and
 * findings, the sweep that re-evaluates open cases as time passes, the
 * calendar, migration imports and the rebuild of every projection.
 */
#include "common/common.h"

#include "common/jcs.h"
#include "common/log.h"
#include "internal.h"

/* Cached case renderings; past this many, the cache starts over. */
#define CACHE_MAX 4096

void time_format(int64_t ms, char out[32])
{
	int64_t local = ms + 8 * 3600000LL;
	int32_t day = day_of_ms(ms);
	int64_t in_day = local - (int64_t)day * 86400000LL;
	int y, m, d;

	day_to_ymd(day, &y, &m, &d);
	snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d+08:00", y, m, d,
		 (int)(in_day / 3600000), (int)(in_day / 60000 % 60),
		 (int)(in_day / 1000 % 60));
}

void cases_time_format(int64_t ms, char out[32])
{
	time_format(ms, out);
}

static int digits(const char *s, int n, int *out)
{
	*out = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*out = *out * 10 + (s[i] - '0');
	}
	return 0;
}

int time_parse(const char *text, int64_t *ms)
{
	int32_t day;
	int h, mi, se, oh, om, frac = 0;
	char date[11];
	const char *p;
	int64_t offset;

	if (!text || strlen(text) < 10)
		return CT_EINVAL;
	memcpy(date, text, 10);
	date[10] = '\0';
	if (day_parse(date, &day) != 0)
		return CT_EINVAL;
	if (text[10] == '\0') {
		*ms = day_start_ms(day);
		return 0;
	}
	p = text + 10;
	if ((*p != 'T' && *p != 't' && *p != ' ') || strlen(p) < 9 ||
	    digits(p + 1, 2, &h) || p[3] != ':' || digits(p + 4, 2, &mi) ||
	    p[6] != ':' || digits(p + 7, 2, &se) || h > 23 || mi > 59 ||
	    se > 60)
		return CT_EINVAL;
	p += 9;
	if (*p == '.') {
		int n = 0, v = 0;

		for (p++; *p >= '0' && *p <= '9'; p++, n++)
			if (n < 3)
				v = v * 10 + (*p - '0');
		if (n == 0)
			return CT_EINVAL;
		for (; n < 3; n++)
			v *= 10;
		frac = v;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		offset = 0;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 &&
		   !digits(p + 1, 2, &oh) && p[3] == ':' &&
		   !digits(p + 4, 2, &om) && oh < 24 && om < 60) {
		offset = (oh * 60 + om) * 60000LL * (*p == '-' ? -1 : 1);
	} else {
		return CT_EINVAL;
	}
	/* day_start_ms is 00:00 CST; the offset makes it the stated zone. */
	*ms = day_start_ms(day) + 8 * 3600000LL - offset +
	      ((h * 60 + mi) * 60 + (se > 59 ? 59 : se)) * 1000LL + frac;
	return 0;
}

/* --- one case ------------------------------------------------------------ */

/*
 * The display name of record r: its kind's name, and for a
 * document-issue entry (src/documents/, no kind of record-kinds.json,
 * so never appendable by users) the title of the issued document.
 */
static json_t *kind_name(const struct cases *c, const struct rec *r)
{
	const char *name = json_string_value(json_object_get(
		catalogue_kind(&c->cat, r->kind), "name"));

	if (!name && !strcmp(r->kind, "document-issue"))
		name = json_string_value(json_object_get(r->fields, "title"))
			   ?: "文书签发";
	return name ? json_string(name) : json_null();
}

static json_t *render_rec(const struct cases *c, const struct rec *r)
{
	char ts[32], at[32];
	json_t *o;

	time_format(r->ts_ms, ts);
	time_format(r->at_ms, at);
	o = json_pack("{s:I, s:s, s:o, s:s, s:s, s:s, s:O, s:O}", "seq",
		      (json_int_t)r->seq, "kind", r->kind, "name",
		      kind_name(c, r), "actor", r->actor, "recorded",
		      ts, "happened", at, "fields",
		      r->fields ? r->fields : json_null(), "attachments",
		      r->attachments ? r->attachments : json_null());
	if (!r->fields)
		json_object_set_new(o, r->lost ? "lost" : "expunged",
				    json_true());
	if (c->marker)
		json_object_set_new(o, "mark", json_string(c->marker(
					   c->marker_ctx, r->kind, r->fields)));
	if (r->supersedes >= 0)
		json_object_set_new(o, "supersedes",
				    json_integer(r->supersedes));
	if (r->superseded_by >= 0)
		json_object_set_new(o, "superseded_by",
				    json_integer(r->superseded_by));
	/* The version before the first correction, under the same mark:
	 * one that would need another mark is left out, so that a reader
	 * cleared for the corrected record reads nothing more. */
	if (r->original && r->fields) {
		if (!c->marker || !strcmp(c->marker(c->marker_ctx, r->kind,
						    r->original),
					  c->marker(c->marker_ctx, r->kind,
						    r->fields)))
			json_object_set(o, "original_fields", r->original);
		else
			json_object_set_new(o, "original_withheld", json_true());
	}
	return o;
}

static int add_finding(void *ctx, const struct store_finding *f)
{
	json_t *body = json_loads(f->body, 0, NULL);
	char when[32];

	if (!body)
		return 0;
	json_object_set_new(body, "id", json_integer(f->id));
	time_format(f->detected_ms, when);
	json_object_set_new(body, "detected_at", json_string(when));
	if (f->cured_ms >= 0) {
		time_format(f->cured_ms, when);
		json_object_set_new(body, "cured", json_integer(f->cured_ms));
		json_object_set_new(body, "cured_at", json_string(when));
	} else {
		json_object_set_new(body, "cured", json_null());
	}
	json_array_append_new(ctx, body);
	return 0;
}

static json_t *people(const struct case_state *cs)
{
	json_t *p = json_object();

	for (size_t i = 0; i < cs->n; i++) {
		const struct rec *r = &cs->recs[i];
		const char *step = json_string_value(json_object_get(r->fields,
								     "step"));

		if (!strcmp(r->kind, KIND_APPLICATION))
			json_object_set_new(p, "clerk", json_string(r->actor));
		else if (!strcmp(r->kind, "assignment"))
			json_object_update(p, r->fields);
		else if (!strcmp(r->kind, "proposed-decision") &&
			 !json_object_get(p, "handler"))
			json_object_set_new(p, "handler", json_string(r->actor));
		else if (!strcmp(r->kind, "approval-step") && step)
			json_object_set_new(p, !strcmp(step, "review")
						       ? "reviewed_by"
						       : "approved_by",
					    json_string(r->actor));
	}
	json_object_del(p, "signatures");
	return p;
}

static int listed(const json_t *list, const char *code)
{
	json_t *v;
	size_t i;

	json_array_foreach(list, i, v)
		if (!strcmp(json_string_value(v) ?: "", code))
			return 1;
	return 0;
}

/*
 * The required materials of the matter against what was handed in (the
 * application and every material receipt): what a one-time supplement
 * notice must list.
 */
static json_t *materials(const struct case_state *cs)
{
	json_t *received = json_array(), *missing = json_array(), *m;
	size_t i, j;

	for (i = 0; i < cs->n; i++) {
		const struct rec *r = &cs->recs[i];
		json_t *item;

		if (!strcmp(r->kind, KIND_APPLICATION))
			json_array_foreach(json_object_get(r->fields,
							   "materials"), j, item)
				if (!listed(received, json_string_value(item) ?: ""))
					json_array_append(received, item);
		if (!strcmp(r->kind, "material-receipt"))
			json_array_foreach(json_object_get(r->fields,
							   "received"), j, item) {
				json_t *code = json_object_get(item, "code");

				if (json_is_string(code) &&
				    !listed(received, json_string_value(code)))
					json_array_append(received, code);
			}
	}
	json_array_foreach(json_object_get(cs->matter, "materials"), i, m) {
		const char *code = json_string_value(json_object_get(m, "code"));

		if (code && json_is_true(json_object_get(m, "required")) &&
		    !listed(received, code))
			json_array_append_new(missing, json_pack(
				"{s:s, s:O}", "code", code, "name",
				json_object_get(m, "name")));
	}
	return json_pack("{s:o, s:o}", "received", received, "missing",
			 missing);
}

int case_render(struct cases *c, struct store *s, const struct case_state *cs,
		json_t **out, struct error *err)
{
	struct buf summary = BUF_INIT_MAX(1 << 20);
	json_t *o, *recs = json_array(), *findings = json_array();
	int rc = store_case_get(s, cs->id, &summary, NULL, err);

	if (rc == 0)
		rc = store_case_findings(s, cs->id, add_finding, findings, err);
	o = rc == 0 ? json_loadb(summary.data, summary.len, 0, NULL) : NULL;
	buf_release(&summary);
	if (!o) {
		json_decref(recs);
		json_decref(findings);
		return rc ? rc : error_set(err, CT_ECORRUPT, "case '%s' has a "
					   "damaged summary; run 'casetrail "
					   "rebuild'", cs->id);
	}
	for (size_t i = 0; i < cs->n; i++)
		json_array_append_new(recs, render_rec(c, &cs->recs[i]));
	json_object_set_new(o, "people", people(cs));
	json_object_set_new(o, "materials", materials(cs));
	json_object_set_new(o, "records", recs);
	json_object_set_new(o, "findings", findings);
	*out = o;
	return 0;
}

int cases_show(struct cases *c, const char *id, json_t **out,
	       struct error *err)
{
	struct case_state cs;
	struct store *s;
	int rc = ledger_read_begin(c->ledger, &s, err);

	if (rc)
		return rc;
	rc = case_load(c, s, id, &cs, err);
	if (rc == 0) {
		rc = case_render(c, s, &cs, out, err);
		case_state_release(&cs);
	}
	ledger_read_end(c->ledger, s);
	return rc;
}

/*
 * Cached renderings, keyed by case id (or list query): {"seq": last seq,
 * "size": the known tree size when last checked, "text", and for a case
 * "marks", the distinct marks of its records}. While the
 * ledger's known size is unchanged no record was added anywhere, so the
 * entry is served without reading the store.
 */
static int cached(struct cases *c, const char *key, uint64_t last,
		  uint64_t known, int check_seq, struct buf *out,
		  uint64_t *seq_out, json_t **marks)
{
	json_t *hit;
	int found = 0;

	pthread_mutex_lock(&c->cache_mu);
	hit = json_object_get(c->cache, key);
	if (hit && (check_seq
		    ? (uint64_t)json_integer_value(json_object_get(hit, "seq")) ==
			      last
		    : known && (uint64_t)json_integer_value(json_object_get(
				       hit, "size")) == known)) {
		json_t *text = json_object_get(hit, "text");

		buf_reset(out);
		found = buf_append(out, json_string_value(text),
				   json_string_length(text)) == 0;
		if (seq_out)
			*seq_out = (uint64_t)json_integer_value(
				json_object_get(hit, "seq"));
		if (found && marks) {
			*marks = json_deep_copy(json_object_get(hit, "marks"));
			found = *marks != NULL;
		}
		/* The store agreed at this size, so trust it until it grows. */
		if (found && check_seq)
			json_object_set_new(hit, "size",
					    json_integer((json_int_t)known));
	}
	pthread_mutex_unlock(&c->cache_mu);
	return found;
}

static void cache_put(struct cases *c, const char *key, uint64_t last,
		      uint64_t known, const struct buf *text,
		      const json_t *marks)
{
	json_t *entry = json_pack("{s:I, s:I, s:s%}", "seq", (json_int_t)last,
				  "size", (json_int_t)known, "text",
				  text->data, text->len);

	if (entry && marks)
		json_object_set_new(entry, "marks", json_deep_copy(marks));
	pthread_mutex_lock(&c->cache_mu);
	if (json_object_size(c->cache) >= CACHE_MAX)
		json_object_clear(c->cache);
	json_object_set_new(c->cache, key, entry);
	pthread_mutex_unlock(&c->cache_mu);
}

/* The distinct "mark" codes other than "none" among a case's records. */
static json_t *record_marks(const json_t *rendered)
{
	json_t *marks = json_array(), *rec;
	size_t i;

	json_array_foreach(json_object_get(rendered, "records"), i, rec) {
		json_t *mark = json_object_get(rec, "mark");
		const char *code = json_string_value(mark);

		if (code && strcmp(code, "none") && !listed(marks, code))
			json_array_append(marks, mark);
	}
	return marks;
}

void cases_set_marker(struct cases *c, cases_mark_fn fn, void *ctx)
{
	c->marker = fn;
	c->marker_ctx = ctx;
}

int cases_last_seq(struct cases *c, const char *id, uint64_t *last_seq,
		   struct error *err)
{
	struct store *s;
	int rc = ledger_read_begin(c->ledger, &s, err);

	if (rc)
		return rc;
	rc = store_case_get(s, id, NULL, last_seq, err);
	ledger_read_end(c->ledger, s);
	return rc;
}

int cases_show_json_marks(struct cases *c, const char *id, struct buf *out,
			  uint64_t *last_seq, json_t **marks,
			  struct error *err)
{
	uint64_t known = ledger_known_size(c->ledger);
	json_t *v = NULL, *found = NULL;
	struct store *s;
	int rc;

	if (marks)
		*marks = NULL;
	if (cached(c, id, 0, known, 0, out, last_seq, marks))
		return 0;
	rc = ledger_read_begin(c->ledger, &s, err);
	if (rc)
		return rc;
	/* Records only append, so the last seq identifies the rendering. */
	rc = store_case_get(s, id, NULL, last_seq, err);
	ledger_read_end(c->ledger, s);
	if (rc || cached(c, id, *last_seq, known, 1, out, NULL, marks))
		return rc;
	rc = cases_show(c, id, &v, err);
	if (rc == 0) {
		buf_reset(out);
		rc = jcs_write(v, out, err);
	}
	if (rc == 0 && !(found = record_marks(v)))
		rc = error_set(err, CT_ENOMEM, "out of memory");
	if (rc == 0) {
		*last_seq = (uint64_t)json_integer_value(json_object_get(
			v, "last_seq"));
		cache_put(c, id, *last_seq, known, out, found);
		if (marks)
			*marks = json_incref(found);
	}
	json_decref(found);
	json_decref(v);
	return rc;
}

int cases_show_json(struct cases *c, const char *id, struct buf *out,
		    uint64_t *last_seq, struct error *err)
{
	return cases_show_json_marks(c, id, out, last_seq, NULL, err);
}

int cases_record_get(struct cases *c, uint64_t seq, json_t **out,
		     struct error *err)
{
	char case_id[CASE_ID_MAX + 1];
	struct case_state cs;
	struct store *s;
	int rc = ledger_read_begin(c->ledger, &s, err);

	if (rc)
		return rc;
	rc = store_record_get(s, seq, case_id, sizeof(case_id), NULL, 0, NULL,
			      err);
	if (rc == 0 && !case_id[0])
		rc = error_set(err, CT_ENOTFOUND, "record %" PRIu64 " belongs "
			       "to no case; read it with 'casetrail record "
			       "show'", seq);
	if (rc == 0)
		rc = case_load(c, s, case_id, &cs, err);
	ledger_read_end(c->ledger, s);
	if (rc)
		return rc;
	rc = error_set(err, CT_ENOTFOUND, "record %" PRIu64 " not found", seq);
	for (size_t i = 0; i < cs.n; i++)
		if (cs.recs[i].seq == seq) {
			*out = render_rec(c, &cs.recs[i]);
			json_object_set_new(*out, "case", json_string(case_id));
			error_clear(err);
			rc = 0;
		}
	case_state_release(&cs);
	return rc;
}

/* --- lists --------------------------------------------------------------- */

static int collect_items(void *ctx, const char *text, size_t len)
{
	json_t *v = json_loadb(text, len, 0, NULL);

	if (v)
		json_array_append_new(ctx, v);
	return 0;
}

static int page_limit(size_t limit)
{
	if (limit == 0)
		return 50;
	if (limit > 500)
		return 500;
	return (int)limit;
}

struct raw_list {
	struct buf *out;
	int first;
};

/* Appends a stored case summary, already JSON, to the items array. */
static int append_raw(void *ctx, const char *text, size_t len)
{
	struct raw_list *rl = ctx;

	if ((!rl->first && buf_putc(rl->out, ',') != 0) ||
	    buf_append(rl->out, text, len) != 0)
		return CT_ENOMEM;
	rl->first = 0;
	return 0;
}

/* The filter of a list query, checking the stage and counting the day. */
static int case_filter(struct cases *c, const struct case_query *q,
		       struct store_case_filter *f, struct error *err)
{
	enum stage st;
	int rc = 0;

	*f = (struct store_case_filter){ q->stage, q->matter, q->q,
					 q->overdue, STORE_NO_DAY,
					 q->open_only, q->offset,
					 (size_t)page_limit(q->limit), q->q_ids };
	if (q->stage && stage_parse(q->stage, &st) != 0)
		return error_set(err, CT_EINVAL, "stage '%s' is unknown; use "
				 "application, acceptance, investigation, "
				 "decision, service or archive", q->stage);
	if (q->due_within >= 0) {
		struct due due;

		pthread_mutex_lock(&c->cal_mu);
		rc = deadline_after(c->cal, day_of_ms(ledger_now_ms()), 0,
				    q->due_within, UNIT_WORKING_DAYS, NULL, 0,
				    &due, NULL, err);
		pthread_mutex_unlock(&c->cal_mu);
		f->due_by = due.day;
	}
	return rc;
}

int cases_list_json(struct cases *c, const struct case_query *q,
		    struct buf *out, struct error *err)
{
	uint64_t known = ledger_known_size(c->ledger), total = 0;
	struct raw_list rl = { out, 1 };
	struct store_case_filter f;
	struct store *s;
	char key[1024];
	int rc = case_filter(c, q, &f, err);

	if (rc)
		return rc;
	/* Overdue states change with the day, so the day is in the key. */
	snprintf(key, sizeof(key), "\x01list\x1f%d\x1f%s\x1f%s\x1f%s\x1f%d"
		 "\x1f%d\x1f%d\x1f%zu\x1f%zu\x1f%d", q->q_ids, q->stage ?: "",
		 q->matter ?: "", q->q ?: "", q->overdue, (int)f.due_by,
		 q->open_only, f.offset, f.limit,
		 (int)day_of_ms(ledger_now_ms()));
	if (cached(c, key, 0, known, 0, out, NULL, NULL))
		return 0;
	buf_reset(out);
	rc = buf_puts(out, "{\"items\":[") ? CT_ENOMEM : 0;
	if (rc == 0)
		rc = ledger_read_begin(c->ledger, &s, err);
	if (rc == 0) {
		rc = store_case_list(s, &f, append_raw, &rl, &total, err);
		ledger_read_end(c->ledger, s);
	}
	if (rc == 0 && buf_printf(out, "],\"limit\":%zu,\"offset\":%zu,"
				  "\"total\":%" PRIu64 "}", f.limit, f.offset,
				  total) != 0)
		rc = CT_ENOMEM;
	if (rc == CT_ENOMEM)
		return error_set(err, rc, "out of memory");
	if (rc == 0)
		cache_put(c, key, 0, known, out, NULL);
	return rc;
}

int cases_list(struct cases *c, const struct case_query *q, json_t **out,
	       struct error *err)
{
	struct store_case_filter f;
	json_t *items;
	uint64_t total = 0;
	struct store *s;
	int rc = case_filter(c, q, &f, err);

	if (rc)
		return rc;
	items = json_array();
	rc = ledger_read_begin(c->ledger, &s, err);
	if (rc == 0) {
		rc = store_case_list(s, &f, collect_items, items, &total, err);
		ledger_read_end(c->ledger, s);
	}
	if (rc) {
		json_decref(items);
		return rc;
	}
	*out = json_pack("{s:o, s:I, s:I, s:I}", "items", items, "total",
			 (json_int_t)total, "offset", (json_int_t)f.offset,
			 "limit", (json_int_t)f.limit);
	return 0;
}

int cases_time_parse(const char *text, int64_t *ms)
{
	return time_parse(text, ms);
}

/* Adds every string inside v (objects and arrays walked) to set. */
static void collect_names(json_t *set, const json_t *v)
{
	const char *key;
	json_t *item;
	size_t i;

	if (json_is_string(v))
		json_object_set_new(set, json_string_value(v), json_true());
	else if (json_is_array(v))
		json_array_foreach(v, i, item)
			collect_names(set, item);
	else if (json_is_object(v))
		json_object_foreach((json_t *)v, key, item)
			collect_names(set, item);
}

json_t *case_member_names(const struct case_state *cs)
{
	json_t *set = json_object(), *names = json_array(), *p, *v;
	const char *name;

	for (size_t i = 0; i < cs->n; i++)
		json_object_set_new(set, cs->recs[i].actor, json_true());
	p = people(cs);
	collect_names(set, p);
	json_decref(p);
	json_object_foreach(set, name, v)
		json_array_append_new(names, json_string(name));
	json_decref(set);
	return names;
}

int cases_members(struct cases *c, const char *id, json_t **out,
		  struct error *err)
{
	struct buf body = BUF_INIT_MAX(1 << 20);
	struct store *s;
	int rc = ledger_read_begin(c->ledger, &s, err);

	if (rc)
		return rc;
	rc = store_kv_get(s, NS_MEMBERS, id, &body, NULL, err);
	ledger_read_end(c->ledger, s);
	if (rc == CT_ENOTFOUND) {
		buf_release(&body);
		return error_set(err, CT_ENOTFOUND, "case '%s' not found", id);
	}
	*out = rc == 0 ? json_loadb(body.data, body.len, 0, NULL) : NULL;
	buf_release(&body);
	if (rc)
		return rc;
	return *out ? 0 : error_set(err, CT_ECORRUPT, "the members of case "
				    "'%s' are damaged; run 'casetrail "
				    "rebuild'", id);
}
