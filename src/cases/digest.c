/*
 * The daily digest per person and the daily evaluation of every case.
 *
 * A digest of day D is composed at 08:00 CST of D: the person's yellow
 * and red warnings at that moment, the findings open then where they are
 * responsible or superior, and the findings raised or cured since their
 * last stored digest (the 24 hours before, when there is none). The server stores each day's digests in the "digest"
 * namespace of the kv projection (key "D/user"). They record what was
 * composed at the time, which the log cannot reproduce, so a rebuild
 * keeps them (digest_rows_save, digest_rows_restore).
 */
#include "common/common.h"

#include "common/log.h"
#include "internal.h"
#include "supervision.h"

#define NS_DIGEST "digest"
#define NS_DAILY "daily"
#define DIGEST_AT_MS (8 * 3600 * 1000LL)
#define DAY_MS (24 * 3600 * 1000LL)

struct digest_src {
	int64_t at, since; /* since: `at` less a day, for a first digest */
	int32_t day;
	json_t *warnings; /* every warning at `at` */
	json_t *findings; /* every finding, open or cured */
	json_t *users;    /* active users' bodies */
	json_t *last;     /* user -> at_ms of their last stored digest */
};

static int add_user(void *ctx, const char *text, size_t len)
{
	json_t *u = json_loadb(text, len, 0, NULL);

	if (u && !json_is_true(json_object_get(u, "disabled")))
		json_array_append(ctx, u);
	json_decref(u);
	return 0;
}

static int add_finding(void *ctx, const struct store_finding *f)
{
	json_t *body = json_loads(f->body, 0, NULL);

	if (!body)
		return 0;
	json_object_set_new(body, "id", json_integer(f->id));
	json_object_set_new(body, "detected", json_integer(f->detected_ms));
	json_object_set_new(body, "cured", f->cured_ms >= 0
						   ? json_integer(f->cured_ms)
						   : json_null());
	json_array_append_new(ctx, body);
	return 0;
}

/* Lists every finding, page by page. */
static int all_findings(struct store *s, json_t *items, struct error *err)
{
	struct store_finding_filter f = { NULL, NULL, 0, 0, 500 };
	uint64_t total = 0;
	int rc;

	do {
		rc = store_finding_list(s, &f, add_finding, items, &total,
					err);
		f.offset += f.limit;
	} while (rc == 0 && f.offset < total);
	return rc;
}

/*
 * Notes the time of each user's latest stored digest of a day before
 * src->day. Keys are "YYYY-MM-DD/user", scanned newest first.
 */
static int note_last(void *ctx, const char *key, uint64_t seq,
		     const char *body, size_t len)
{
	struct digest_src *src = ctx;
	json_t *row;
	int32_t day;
	char date[11];

	(void)seq;
	if (strlen(key) < 12 || key[10] != '/')
		return 0;
	snprintf(date, sizeof(date), "%.10s", key);
	if (day_parse(date, &day) != 0 || day >= src->day ||
	    json_object_get(src->last, key + 11))
		return 0;
	row = json_loadb(body, len, 0, NULL);
	if (json_is_integer(json_object_get(row, "at_ms")))
		json_object_set(src->last, key + 11,
				json_object_get(row, "at_ms"));
	json_decref(row);
	return 0;
}

static int digest_load(struct cases *c, struct store *s,
		       struct digest_src *src, struct error *err)
{
	struct warning_query q = { .at_ms = src->at };
	int rc;

	src->warnings = json_array();
	src->findings = json_array();
	src->users = json_array();
	src->last = json_object();
	rc = store_kv_scan(s, NS_DIGEST, "", true, 0, 0, note_last, src, NULL,
			   err);
	if (rc == 0)
		rc = warnings_collect(c, s, &q, src->warnings, err);
	if (rc == 0)
		rc = all_findings(s, src->findings, err);
	if (rc == 0)
		rc = store_user_list(s, add_user, src->users, err);
	return rc;
}

static void digest_src_release(struct digest_src *src)
{
	json_decref(src->warnings);
	json_decref(src->findings);
	json_decref(src->users);
	json_decref(src->last);
}

static int names(const json_t *item, const char *user)
{
	return !strcmp(json_string_value(json_object_get(item, "responsible"))
				       ?: "", user) ||
	       !strcmp(json_string_value(json_object_get(item, "superior"))
				       ?: "", user);
}

static int64_t ms_of(const json_t *f, const char *name)
{
	json_t *v = json_object_get(f, name);

	return json_is_integer(v) ? json_integer_value(v) : -1;
}

/*
 * The digest of one user from the loaded sources. Raised and cured count
 * since the user's last stored digest, else since a day before.
 */
static json_t *digest_of(const struct digest_src *src, const char *user)
{
	json_t *warn = json_array(), *open = json_array();
	json_t *raised = json_array(), *cured = json_array(), *x, *d;
	json_t *last = json_object_get(src->last, user);
	int64_t since = json_is_integer(last) ? json_integer_value(last)
					      : src->since;
	size_t i, yellow = 0, red = 0;
	char since_text[32];

	json_array_foreach(src->warnings, i, x) {
		const char *color;

		if (!names(x, user))
			continue;
		json_array_append(warn, x);
		color = json_string_value(json_object_get(x, "color"));
		if (color && !strcmp(color, "red"))
			red++;
		else
			yellow++;
	}
	json_array_foreach(src->findings, i, x) {
		int64_t detected = ms_of(x, "detected");
		int64_t gone = ms_of(x, "cured");

		if (!names(x, user) || detected > src->at)
			continue;
		if (gone < 0 || gone > src->at)
			json_array_append(open, x);
		if (detected > since)
			json_array_append(raised, x);
		if (gone > since && gone <= src->at)
			json_array_append(cured, x);
	}
	time_format(since, since_text);
	d = json_pack("{s:s, s:s, s:{s:I, s:I, s:I, s:I, s:I}, s:o, s:o, "
		      "s:o, s:o, s:b}",
		      "user", user, "since", since_text, "counts", "yellow",
		      (json_int_t)yellow, "red", (json_int_t)red, "open",
		      (json_int_t)json_array_size(open), "raised",
		      (json_int_t)json_array_size(raised), "cured",
		      (json_int_t)json_array_size(cured), "warnings", warn,
		      "open_findings", open, "raised", raised, "cured", cured,
		      "stored", 0);
	return d;
}

/* The moment of date's digest: 08:00 CST, or now if that is earlier. */
static int digest_moment(const char *date, int64_t now, int32_t *day,
			 int64_t *at, struct error *err)
{
	if (!date)
		*day = day_of_ms(now);
	else if (day_parse(date, day) != 0)
		return error_set(err, CT_EINVAL, "date '%s' is invalid; use "
				 "YYYY-MM-DD", date);
	*at = day_start_ms(*day) + DIGEST_AT_MS;
	if (*at > now)
		*at = now;
	return 0;
}

static json_t *digest_wrap(int32_t day, const struct digest_src *src,
			   json_t *items)
{
	char date[11], at[32], since[32];

	day_format(day, date);
	time_format(src->at, at);
	time_format(src->since, since);
	return json_pack("{s:s, s:s, s:s, s:I, s:o}", "date", date, "at", at,
			 "since", since, "total",
			 (json_int_t)json_array_size(items), "items", items);
}

/* Adds to items the digest row stored for key, if any; 1 when added. */
static int stored_row(struct store *s, const char *key, json_t *items)
{
	struct buf body = BUF_INIT_MAX(1 << 24);
	json_t *row = NULL;
	struct error err = { 0 };

	if (store_kv_get(s, NS_DIGEST, key, &body, NULL, &err) == 0)
		row = json_loadb(body.data, body.len, 0, NULL);
	buf_release(&body);
	if (!row)
		return 0;
	json_object_set_new(row, "stored", json_true());
	json_array_append_new(items, row);
	return 1;
}

int cases_digest(struct cases *c, const char *date, const char *user,
		 json_t **out, struct error *err)
{
	struct digest_src src = { 0 };
	json_t *items = json_array(), *u;
	struct store *s;
	int32_t day;
	size_t i;
	int rc = digest_moment(date, ledger_now_ms(), &day, &src.at, err);

	if (rc == 0)
		rc = ledger_read_begin(c->ledger, &s, err);
	if (rc) {
		json_decref(items);
		return rc;
	}
	src.since = src.at - DAY_MS;
	src.day = day;
	rc = digest_load(c, s, &src, err);
	json_array_foreach(src.users, i, u) {
		const char *name =
			json_string_value(json_object_get(u, "name"));
		char key[16 + USER_NAME_MAX];

		if (rc || !name || (user && strcmp(user, name)))
			continue;
		day_format(day, key);
		snprintf(key + 10, sizeof(key) - 10, "/%s", name);
		if (!stored_row(s, key, items))
			json_array_append_new(items, digest_of(&src, name));
	}
	ledger_read_end(c->ledger, s);
	if (rc == 0 && user && json_array_size(items) == 0)
		rc = error_set(err, CT_ENOTFOUND, "user '%s' is not an active "
			       "user; list users with 'casetrail user list'",
			       user);
	if (rc == 0)
		*out = digest_wrap(day, &src, json_incref(items));
	json_decref(items);
	digest_src_release(&src);
	return rc;
}

struct publish_ctx {
	struct cases *c;
	int32_t day;
	size_t users;
};

/* Logs one line per person with the counts of their digest only. */
static void log_counts(const char *user, const json_t *counts)
{
	log_info("digest", "digest composed",
		 "user=%s yellow=%" JSON_INTEGER_FORMAT
		 " red=%" JSON_INTEGER_FORMAT " open=%" JSON_INTEGER_FORMAT
		 " raised=%" JSON_INTEGER_FORMAT
		 " cured=%" JSON_INTEGER_FORMAT, user,
		 json_integer_value(json_object_get(counts, "yellow")),
		 json_integer_value(json_object_get(counts, "red")),
		 json_integer_value(json_object_get(counts, "open")),
		 json_integer_value(json_object_get(counts, "raised")),
		 json_integer_value(json_object_get(counts, "cured")));
}

static int publish_tx(void *ctx, struct store *s, struct error *err)
{
	struct publish_ctx *p = ctx;
	struct digest_src src = { 0 };
	uint64_t size = 0;
	json_t *u;
	size_t i;
	int rc;

	src.at = ledger_now_ms();
	src.since = src.at - DAY_MS;
	src.day = p->day;
	rc = project_catch_up(p->c, s, err);
	if (rc == 0)
		rc = digest_load(p->c, s, &src, err);
	ledger_size(p->c->ledger, &size, NULL);
	json_array_foreach(src.users, i, u) {
		const char *name =
			json_string_value(json_object_get(u, "name"));
		char key[16 + USER_NAME_MAX];
		json_t *d, *n;
		char *text;

		if (rc || !name)
			continue;
		day_format(p->day, key);
		snprintf(key + 10, sizeof(key) - 10, "/%s", name);
		/* A server started again the same day keeps the digest it
		 * stored, whose counts run from the one before. */
		rc = store_kv_get(s, NS_DIGEST, key, NULL, NULL, err);
		if (rc == 0)
			continue;
		if (rc != CT_ENOTFOUND)
			break;
		rc = 0;
		error_clear(err);
		d = digest_of(&src, name);
		json_object_del(d, "stored");
		json_object_set_new(d, "at_ms", json_integer(src.at));
		text = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
		rc = text ? store_kv_put(s, NS_DIGEST, key, size, text, err)
			  : error_set(err, CT_ENOMEM, "out of memory");
		n = json_object_get(d, "counts");
		if (rc == 0)
			log_counts(name, n);
		p->users += rc == 0;
		free(text);
		json_decref(d);
	}
	digest_src_release(&src);
	return rc;
}

int cases_digest_publish(struct cases *c, size_t *users, struct error *err)
{
	struct publish_ctx p = { c, day_of_ms(ledger_now_ms()), 0 };
	int rc = ledger_write(c->ledger, publish_tx, &p, err);

	*users = rc == 0 ? p.users : 0;
	return rc;
}

/* --- the daily evaluation of every case ----------------------------------- */

static int add_case_id(void *ctx, const char *text, size_t len)
{
	json_t *summary = json_loadb(text, len, 0, NULL);
	json_t *id = json_object_get(summary, "id");

	if (json_is_string(id))
		json_array_append(ctx, id);
	json_decref(summary);
	return 0;
}

struct evaluate_ctx {
	struct cases *c;
	int64_t now_ms;
	size_t count;
};

int evaluate_all_cases(struct cases *c, struct store *s, int64_t now_ms,
		       size_t *count, struct error *err)
{
	struct store_case_filter f = { .due_by = STORE_NO_DAY, .limit = 500 };
	json_t *ids = json_array(), *id;
	uint64_t total = 0;
	size_t i, n = 0;
	int rc = 0;

	while (rc == 0) {
		rc = store_case_list(s, &f, add_case_id, ids, &total, err);
		f.offset += f.limit;
		if (f.offset >= total)
			break;
	}
	json_array_foreach(ids, i, id) {
		struct state_slot *slot;

		if (rc)
			break;
		slot = state_get(c, s, json_string_value(id), err);
		if (!slot) {
			rc = err->code ? err->code : CT_EIO;
			break;
		}
		rc = case_project(c, s, &slot->cs, now_ms, err);
		if (rc)
			state_drop(slot);
		else
			slot->evaluated_day = day_of_ms(now_ms);
		n += rc == 0;
	}
	json_decref(ids);
	if (count)
		*count = n;
	return rc;
}

static int evaluate_tx(void *ctx, struct store *s, struct error *err)
{
	struct evaluate_ctx *ev = ctx;
	int rc = project_catch_up(ev->c, s, err);

	return rc ? rc
		  : evaluate_all_cases(ev->c, s, ev->now_ms, &ev->count, err);
}

/* --- stored digests across a rebuild --------------------------------------- */

struct saved {
	json_t *rows;
	const char *ns;
};

static int save_row(void *ctx, const char *key, uint64_t seq,
		    const char *body, size_t len)
{
	struct saved *sv = ctx;

	json_array_append_new(sv->rows, json_pack("{s:s, s:s, s:I, s:s%}",
						  "ns", sv->ns, "key", key,
						  "seq", (json_int_t)seq,
						  "body", body, len));
	return 0;
}

/* The stored digests and the days the daily tasks ran: no entry makes
 * them, so a rebuild carries them over. */
int digest_rows_save(struct store *s, json_t *rows, struct error *err)
{
	struct saved digests = { rows, NS_DIGEST }, daily = { rows, NS_DAILY };
	int rc = store_kv_scan(s, NS_DIGEST, "", false, 0, 0, save_row,
			       &digests, NULL, err);

	return rc ? rc : store_kv_scan(s, NS_DAILY, "", false, 0, 0, save_row,
				       &daily, NULL, err);
}

int digest_rows_restore(struct store *s, const json_t *rows,
			struct error *err)
{
	json_t *row;
	size_t i;
	int rc = 0;

	json_array_foreach(rows, i, row) {
		if (rc)
			break;
		rc = store_kv_put(s,
				  json_string_value(json_object_get(row, "ns")),
				  json_string_value(json_object_get(row, "key")),
				  (uint64_t)json_integer_value(
					  json_object_get(row, "seq")),
				  json_string_value(json_object_get(row, "body")),
				  err);
	}
	return rc;
}

int cases_evaluate_all(struct cases *c, size_t *count, struct error *err)
{
	struct evaluate_ctx ev = { c, ledger_now_ms(), 0 };
	int rc = ledger_write(c->ledger, evaluate_tx, &ev, err);

	*count = ev.count;
	if (rc == 0) {
		/* Renderings of the cases may have changed without an entry. */
		pthread_mutex_lock(&c->cache_mu);
		json_object_clear(c->cache);
		pthread_mutex_unlock(&c->cache_mu);
		atomic_fetch_add(&c->sweep_gen, 1);
	}
	return rc;
}

/* --- the days the daily tasks last ran ------------------------------------ */

int cases_daily_last(struct cases *c, const char *task, int32_t *day,
		     struct error *err)
{
	struct buf body = BUF_INIT_MAX(256);
	struct store *s;
	json_t *v;
	int rc = ledger_read_begin(c->ledger, &s, err);

	*day = INT32_MIN;
	if (rc)
		return rc;
	rc = store_kv_get(s, NS_DAILY, task, &body, NULL, err);
	ledger_read_end(c->ledger, s);
	if (rc == CT_ENOTFOUND) {
		error_clear(err);
		rc = 0;
	} else if (rc == 0) {
		v = json_loadb(body.data ? body.data : "", body.len, 0, NULL);
		/* A row that does not parse counts as never run. */
		if (day_parse(json_string_value(json_object_get(v, "day")) ?: "",
			      day) != 0)
			*day = INT32_MIN;
		json_decref(v);
	}
	buf_release(&body);
	return rc;
}

struct daily_mark {
	const char *task;
	int32_t day;
};

static int daily_mark_tx(void *ctx, struct store *s, struct error *err)
{
	const struct daily_mark *m = ctx;
	char date[11], body[32];

	day_format(m->day, date);
	snprintf(body, sizeof(body), "{\"day\":\"%s\"}", date);
	return store_kv_put(s, NS_DAILY, m->task, 0, body, err);
}

int cases_daily_mark(struct cases *c, const char *task, int32_t day,
		     struct error *err)
{
	struct daily_mark m = { task, day };

	return ledger_write(c->ledger, daily_mark_tx, &m, err);
}
