/*
 * Keeping the projections true: findings as time passes (the sweep),
 * calendar imports that move open deadlines, migration imports, and the
 * rebuild that recreates every projection from the log.
 */
#include "common/common.h"

#include "common/log.h"
#include "internal.h"

/* --- sweep and findings -------------------------------------------------- */

struct sweep_ctx {
	struct cases *c;
	struct store *s;
	int64_t now_ms;
	size_t cases;
	struct error *err;
};

static int sweep_case(void *ctx, const char *id, size_t len)
{
	struct sweep_ctx *sc = ctx;
	struct state_slot *slot;
	int rc;

	(void)len;
	slot = state_get(sc->c, sc->s, id, sc->err);
	/*
	 * A due list (publicity-due, archive-due) may name a case whose row
	 * is gone from a damaged projection, which a rebuild then restores.
	 */
	if (!slot && sc->err->code == CT_ENOTFOUND) {
		log_warn("cases", "due list names a case without a row",
			 "case=%s", id);
		error_clear(sc->err);
		return 0;
	}
	if (!slot)
		return sc->err->code ? sc->err->code : CT_EIO;
	rc = case_project(sc->c, sc->s, &slot->cs, sc->now_ms, sc->err);
	if (rc)
		state_drop(slot);
	else
		slot->evaluated_day = day_of_ms(sc->now_ms);
	sc->cases++;
	return rc;
}

/* Collects ids first: projecting rewrites the rows being scanned. */
static int collect_id(void *ctx, const char *id, size_t len)
{
	json_array_append_new(ctx, json_stringn(id, len));
	return 0;
}

/* Adds a closed case whose grant waits for its 双公示 export. */
static int collect_due(void *ctx, const char *key, uint64_t seq,
		       const char *body, size_t len)
{
	json_t *ids = ctx, *id;
	size_t i;

	(void)seq, (void)body, (void)len;
	json_array_foreach(ids, i, id)
		if (!strcmp(json_string_value(id), key))
			return 0;
	json_array_append_new(ids, json_string(key));
	return 0;
}

static int sweep_all(struct sweep_ctx *sc)
{
	json_t *ids = json_array(), *id;
	size_t i;
	int rc = store_case_open_ids(sc->s, collect_id, ids, sc->err);

	if (rc == 0)
		rc = store_kv_scan(sc->s, NS_PUBLICITY_DUE, "", false, 0, 0,
				   collect_due, ids, NULL, sc->err);
	/* Ended cases wait for their seal (late-archive). */
	if (rc == 0)
		rc = store_kv_scan(sc->s, NS_ARCHIVE_DUE, "", false, 0, 0,
				   collect_due, ids, NULL, sc->err);

	json_array_foreach(ids, i, id) {
		if (rc)
			break;
		rc = sweep_case(sc, json_string_value(id),
				json_string_length(id));
	}
	json_decref(ids);
	return rc;
}

int sweep_open_cases(struct cases *c, struct store *s, int64_t now_ms,
		     struct error *err)
{
	struct sweep_ctx sc = { c, s, now_ms, 0, err };

	return sweep_all(&sc);
}

static int sweep_tx(void *ctx, struct store *s, struct error *err)
{
	struct sweep_ctx *sc = ctx;
	int rc = project_catch_up(sc->c, s, err);

	sc->s = s;
	sc->err = err;
	return rc ? rc : sweep_all(sc);
}

int cases_sweep(struct cases *c, struct error *err)
{
	struct sweep_ctx sc = { c, NULL, ledger_now_ms(), 0, err };
	int rc = ledger_write(c->ledger, sweep_tx, &sc, err);

	if (rc == 0) {
		/*
		 * A sweep changes what cases show (deadline states, findings
		 * raised by time) without an entry, so the renderings go and
		 * the generation in their ETags moves.
		 */
		pthread_mutex_lock(&c->cache_mu);
		json_object_clear(c->cache);
		pthread_mutex_unlock(&c->cache_mu);
		atomic_fetch_add(&c->sweep_gen, 1);
		log_debug("cases", "swept open cases", "cases=%zu", sc.cases);
	}
	return rc;
}

uint64_t cases_generation(struct cases *c)
{
	return atomic_load(&c->sweep_gen);
}

static int add_listed(void *ctx, const struct store_finding *f)
{
	json_t *body = json_loads(f->body, 0, NULL);

	if (!body)
		return 0;
	json_object_set_new(body, "id", json_integer(f->id));
	json_object_set_new(body, "cured", f->cured_ms >= 0
						   ? json_integer(f->cured_ms)
						   : json_null());
	json_array_append_new(ctx, body);
	return 0;
}

int cases_findings(struct cases *c, const struct finding_query *q,
		   json_t **out, struct error *err)
{
	struct store_finding_filter f = { q->case_id, q->code, q->open_only,
					  q->offset,
					  q->limit == 0    ? 50
					  : q->limit > 500 ? 500
							   : q->limit };
	json_t *items;
	uint64_t total = 0;
	struct store *s;
	int rc;

	if (q->code && !finding_rule(q->code)[0])
		return error_set(err, CT_EINVAL, "finding code '%s' is unknown; "
				 "list the codes with 'casetrail findings "
				 "--rules'", q->code);
	if (q->case_id) {
		uint64_t last;

		rc = cases_last_seq(c, q->case_id, &last, err);
		if (rc)
			return rc;
	}
	/* A read-only store shows the findings as last evaluated. */
	rc = q->sweep ? cases_sweep(c, err) : 0;
	items = json_array();
	if (rc == CT_EPERM) {
		error_clear(err);
		rc = 0;
	}
	if (rc == 0)
		rc = ledger_read_begin(c->ledger, &s, err);
	if (rc == 0) {
		rc = store_finding_list(s, &f, add_listed, items, &total, err);
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

/* --- the calendar -------------------------------------------------------- */

struct due_snapshot {
	struct cases *c;
	json_t *before; /* id -> deadlines */
};

static int snapshot_case(void *ctx, const char *text, size_t len)
{
	json_t *v = json_loadb(text, len, 0, NULL);

	if (v)
		json_object_set(ctx, json_string_value(json_object_get(v, "id"))
					     ?: "",
				json_object_get(v, "deadlines"));
	json_decref(v);
	return 0;
}

static int snapshot(struct cases *c, json_t *out, struct error *err)
{
	struct store_case_filter f = { NULL, NULL, NULL, 0, STORE_NO_DAY, 1,
				       0, 1000000 };
	uint64_t total;
	struct store *s;
	int rc = ledger_read_begin(c->ledger, &s, err);

	if (rc)
		return rc;
	rc = store_case_list(s, &f, snapshot_case, out, &total, err);
	ledger_read_end(c->ledger, s);
	return rc;
}

/* Lists every deadline date that moved between two snapshots. */
static json_t *moved(const json_t *before, const json_t *after)
{
	json_t *changed = json_array(), *old, *deadlines, *d;
	const char *id, *name;

	json_object_foreach((json_t *)after, id, deadlines) {
		old = json_object_get(before, id);
		json_object_foreach(deadlines, name, d) {
			const char *from = json_string_value(json_object_get(
				json_object_get(old, name), "date"));
			const char *to = json_string_value(json_object_get(d,
									   "date"));

			if (from && to && strcmp(from, to))
				json_array_append_new(changed, json_pack(
					"{s:s, s:s, s:s, s:s}", "case", id,
					"deadline", name, "from", from, "to",
					to));
		}
	}
	return changed;
}

int cases_calendar_import(struct cases *c, const json_t *year_file,
			  const char *source, const struct actor *by,
			  json_t **out, struct error *err)
{
	struct calendar *check = calendar_new();
	json_t *before = json_object(), *after = json_object(), *fields,
	       *changed;
	struct ledger_record rec = { .kind = KIND_CALENDAR, .actor = by->user,
				     .os_user = by->os_user, .supersedes = -1 };
	struct ledger_receipt receipt, note;
	json_int_t year = json_integer_value(json_object_get(year_file, "year"));
	int rc = check ? calendar_add_year(check, year_file, err) : CT_ENOMEM;

	calendar_free(check);
	if (rc == 0)
		rc = snapshot(c, before, err);
	fields = json_pack("{s:O, s:s}", "file", year_file, "source",
			   source ?: "");
	rec.fields = fields;
	/* The hook re-evaluates every open case at the entry's time. */
	if (rc == 0)
		rc = ledger_append(c->ledger, &rec, &receipt, err);
	if (rc == 0)
		rc = snapshot(c, after, err);
	changed = moved(before, after);
	if (rc == 0) {
		json_t *note_fields = json_pack("{s:I, s:I, s:O}", "year", year,
						"calendar_seq",
						(json_int_t)receipt.seq,
						"changed", changed);

		rec.kind = KIND_RECOMPUTE;
		rec.fields = note_fields;
		rc = ledger_append(c->ledger, &rec, &note, err);
		json_decref(note_fields);
	}
	if (rc == 0) {
		*out = json_pack("{s:I, s:I, s:O}", "year", year, "seq",
				 (json_int_t)receipt.seq, "changed", changed);
		log_info("cases", "calendar imported", "year=%d seq=%" PRIu64
			 " moved=%zu", (int)year, receipt.seq,
			 json_array_size(changed));
	}
	json_decref(changed);
	json_decref(fields);
	json_decref(before);
	json_decref(after);
	return rc;
}

int cases_calendar(struct cases *c, json_t **out, struct error *err)
{
	json_t *years = json_array();

	(void)err;
	pthread_mutex_lock(&c->cal_mu);
	for (int y = 2007; y <= CAL_YEAR_MAX; y++) {
		int published = calendar_published(c->cal, y);

		if (!published && y > 2030)
			break;
		json_array_append_new(years, json_pack("{s:i, s:b}", "year", y,
						       "published", published));
	}
	pthread_mutex_unlock(&c->cal_mu);
	*out = json_pack("{s:o}", "years", years);
	return 0;
}

/* --- migration ----------------------------------------------------------- */

int cases_import_line(struct cases *c, const json_t *line,
		      const struct ledger_attachment *attachments,
		      size_t nattachments, const struct actor *by,
		      json_t **out, struct error *err)
{
	const char *op = json_string_value(json_object_get(line, "op"));
	const char *as = json_string_value(json_object_get(line, "as"));
	const char *at = json_string_value(json_object_get(line, "at"));
	struct actor who = { as ? as : by->user, by->os_user };
	struct record_request q = { 0 };
	json_t *req;
	int rc;

	if (!op)
		return error_set(err, CT_EINVAL, "member 'op' is missing; use "
				 "\"case\" or \"record\"");
	if (!strcmp(op, "case")) {
		req = json_deep_copy(line);
		json_object_del(req, "op");
		json_object_del(req, "as");
		json_object_del(req, "at");
		rc = cases_new(c, req, &who, out, err);
		json_decref(req);
		return rc;
	}
	if (strcmp(op, "record"))
		return error_set(err, CT_EINVAL, "op '%s' is unknown; use "
				 "\"case\" or \"record\"", op);
	q.case_id = json_string_value(json_object_get(line, "case"));
	q.kind = json_string_value(json_object_get(line, "kind"));
	q.fields = json_object_get(line, "fields");
	q.attachments = attachments;
	q.nattachments = nattachments;
	if (!json_is_object(q.fields))
		return error_set(err, CT_EINVAL, "member 'fields' must be an "
				 "object");
	if (at) {
		if (time_parse(at, &q.at_ms) != 0)
			return error_set(err, CT_EINVAL, "at '%s' must be an "
					 "RFC 3339 time", at);
		q.has_at = 1;
	}
	return cases_record_add(c, &q, &who, out, err);
}

/* --- rebuild ------------------------------------------------------------- */

struct rebuild_ctx {
	struct cases *c;
	struct buf before, after;
	uint64_t entries;
};

static int reload_calendar(struct cases *c, struct error *err)
{
	struct calendar *cal = calendar_new();
	char dir[4200];
	int rc;

	snprintf(dir, sizeof(dir), "%s/calendar", c->cat.dir);
	rc = cal ? calendar_load_dir(cal, dir, err) : CT_ENOMEM;
	if (rc) {
		calendar_free(cal);
		return rc;
	}
	pthread_mutex_lock(&c->cal_mu);
	calendar_free(c->cal);
	c->cal = cal;
	pthread_mutex_unlock(&c->cal_mu);
	return 0;
}

/*
 * Evaluates every case now and dumps the projections, clears them,
 * replays the whole log, evaluates again at the same moment and dumps
 * again, all in one transaction. The stored digests are kept.
 */
static int rebuild_tx(void *ctx, struct store *s, struct error *err)
{
	struct rebuild_ctx *rb = ctx;
	struct sweep_ctx sc = { rb->c, s, ledger_now_ms(), 0, err };
	json_t *digests = json_array();
	int rc = project_catch_up(rb->c, s, err);

	/* Every case, as the server's daily evaluation visits them. */
	if (rc == 0)
		rc = evaluate_all_cases(rb->c, s, sc.now_ms, NULL, err);
	if (rc == 0)
		rc = store_projection_dump(s, &rb->before, err);
	if (rc == 0)
		rc = digest_rows_save(s, digests, err);
	if (rc == 0)
		rc = store_projection_clear(s, err);
	if (rc == 0)
		rc = digest_rows_restore(s, digests, err);
	json_decref(digests);
	state_cache_clear(rb->c);
	if (rc == 0)
		rc = store_entry_count(s, &rb->entries, err);
	if (rc == 0)
		rc = reload_calendar(rb->c, err);
	if (rc == 0)
		rc = project_catch_up(rb->c, s, err);
	if (rc == 0)
		rc = evaluate_all_cases(rb->c, s, sc.now_ms, NULL, err);
	if (rc == 0)
		rc = store_projection_dump(s, &rb->after, err);
	return rc;
}

/* Lists the lines of one dump that the other lacks (at most 20). */
static void diff_lines(const struct buf *a, const struct buf *b,
		       const char *side, json_t *out)
{
	const char *p = a->data ? a->data : "";

	while (*p && json_array_size(out) < 20) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *line = strndup(p, n);
		char *needle = NULL;
		size_t cut = n > 300 ? 300 : n;

		/* Cut before a UTF-8 continuation byte, or json_pack fails. */
		while (line && cut > 0 && cut < n &&
		       ((unsigned char)line[cut] & 0xc0) == 0x80)
			cut--;
		if (line && asprintf(&needle, "%s\n", line) > 0 &&
		    !(b->data && strstr(b->data, needle)))
			json_array_append_new(out, json_pack(
				"{s:s, s:s%}", "only_in", side, "row", line,
				cut));
		free(needle);
		free(line);
		p += n + (nl ? 1 : 0);
	}
}

int cases_rebuild(struct cases *c, json_t **out, struct error *err)
{
	struct rebuild_ctx rb = { c, BUF_INIT_MAX((size_t)1 << 31),
				  BUF_INIT_MAX((size_t)1 << 31), 0 };
	json_t *diff = json_array();
	int match, rc = ledger_write(c->ledger, rebuild_tx, &rb, err);

	match = rc == 0 && rb.before.len == rb.after.len &&
		(rb.before.len == 0 ||
		 !memcmp(rb.before.data, rb.after.data, rb.before.len));
	if (rc == 0 && !match) {
		diff_lines(&rb.before, &rb.after, "before", diff);
		diff_lines(&rb.after, &rb.before, "rebuilt", diff);
	}
	if (rc == 0)
		*out = json_pack("{s:I, s:b, s:O}", "entries",
				 (json_int_t)rb.entries, "match", match,
				 "differences", diff);
	if (rc == 0)
		log_info("cases", "projections rebuilt", "entries=%" PRIu64
			 " match=%d", rb.entries, match);
	json_decref(diff);
	buf_release(&rb.before);
	buf_release(&rb.after);
	return rc;
}
