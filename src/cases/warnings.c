/*
 * Yellow and red warnings (黄牌/红牌) of the time limits of open cases.
 * Each case is loaded and evaluated at the moment asked for, so the
 * states are those of that moment, not of the last sweep. Only the cases
 * open now are visited. A limit is
 * measured against the promised limit (承诺时限) where the matter has one
 * and the statutory limit otherwise.
 */
#include "common/common.h"

#include "internal.h"
#include "supervision.h"

struct warn_ctx {
	struct cases *c;
	struct store *s;
	const struct warning_query *q;
	int64_t at_ms;
	int32_t today;
	json_t *items;
	struct error *err;
};

static json_t *lookup_user(void *ctx, const char *name)
{
	return user_read(ctx, name);
}

static int collect_id(void *ctx, const char *id, size_t len)
{
	json_array_append_new(ctx, json_stringn(id, len));
	return 0;
}

/* The person answerable for a case's limits: the assigned handler, else
 * the clerk who registered the application. */
static const char *case_owner(const struct case_state *cs)
{
	for (size_t i = cs->n; i-- > 0;) {
		const struct rec *r = &cs->recs[i];
		const char *handler = json_string_value(
			json_object_get(r->fields, "handler"));

		if (!strcmp(r->kind, "assignment") && handler)
			return handler;
	}
	return cs->n ? cs->recs[0].actor : NULL;
}

/*
 * Working days from today to due: positive while due lies ahead (a limit
 * due tomorrow has 1) and 0 on the day itself. Once overdue it is minus
 * the working days since the due day, but at least -1, so the Saturday
 * after a Friday due day gives -1.
 */
static int days_left(const struct calendar *cal, int32_t today, int32_t due)
{
	int overdue;

	if (due >= today)
		return working_days_between(cal, today, due, NULL, 0);
	overdue = working_days_between(cal, due, today, NULL, 0);
	return overdue > 0 ? -overdue : -1;
}

static int wanted(const struct warning_query *q, const char *color,
		  const char *owner, const char *superior, const char *unit)
{
	if (q->color && strcmp(q->color, color))
		return 0;
	if (q->user && strcmp(owner ?: "", q->user) &&
	    strcmp(superior ?: "", q->user))
		return 0;
	if (q->unit && strcmp(unit ?: "", q->unit))
		return 0;
	return 1;
}

/* Adds the warnings of one deadline, if it warrants one. */
static void warn_deadline(struct warn_ctx *w, const struct case_state *cs,
			  const char *name, const json_t *d)
{
	const char *state = json_string_value(json_object_get(d, "state"));
	const json_t *promised = json_object_get(d, "promised");
	const json_t *limit = promised ? promised : d;
	const char *owner = case_owner(cs);
	const char *color;
	json_t *u, *item;
	int32_t due;
	int left;

	if (!state || (strcmp(state, "open") && strcmp(state, "overdue")))
		return;
	if (day_parse(json_string_value(json_object_get(limit, "date")) ?: "",
		      &due) != 0)
		return;
	left = days_left(w->c->cal, w->today, due);
	if (w->today > due)
		color = "red";
	else if (left <= WARNING_YELLOW_DAYS)
		color = "yellow";
	else
		return;
	u = owner ? user_read(w->s, owner) : NULL;
	if (wanted(w->q, color, owner,
		   json_string_value(json_object_get(u, "superior")),
		   json_string_value(json_object_get(u, "unit")))) {
		item = json_pack("{s:s, s:s?, s:s, s:s, s:O, s:i, s:s, s:b}",
				 "case", cs->id, "matter",
				 json_string_value(json_object_get(cs->matter,
								   "code")),
				 "limit", name, "basis",
				 promised ? "promised" : "statutory", "due",
				 json_object_get(limit, "date"),
				 "working_days_left", left, "color", color,
				 "provisional",
				 json_is_true(json_object_get(limit,
							      "provisional")));
		json_object_set_new(item, "responsible",
				    owner ? json_string(owner) : json_null());
		json_object_set_new(item, "superior",
				    json_incref(json_object_get(u, "superior"))
					    ?: json_null());
		json_object_set_new(item, "unit",
				    json_incref(json_object_get(u, "unit"))
					    ?: json_null());
		json_array_append_new(w->items, item);
	}
	json_decref(u);
}

/*
 * Evaluates one case at w->at_ms on the records it has now: the limits
 * count from the dates the records state, so an earlier or later moment
 * shows how the same case stands then.
 */
static int warn_case(struct warn_ctx *w, const char *id)
{
	struct case_state cs;
	struct check_env env = { 0 };
	json_t *deadlines = json_object(), *found = json_array(), *d;
	const char *name;
	int rc = case_load(w->c, w->s, id, &cs, w->err);

	if (rc) {
		json_decref(deadlines);
		json_decref(found);
		if (rc != CT_ENOTFOUND)
			return rc;
		error_clear(w->err);
		return 0;
	}
	env.cat = &w->c->cat;
	env.cal = w->c->cal;
	env.user = lookup_user;
	env.user_ctx = w->s;
	env.store = w->s;
	pthread_mutex_lock(&w->c->cal_mu);
	rc = case_evaluate(&cs, &env, w->at_ms, deadlines, found);
	json_object_foreach(deadlines, name, d)
		warn_deadline(w, &cs, name, d);
	pthread_mutex_unlock(&w->c->cal_mu);
	case_state_release(&cs);
	json_decref(deadlines);
	json_decref(found);
	return rc;
}

static int by_due(const void *x, const void *y)
{
	const json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
	int c = strcmp(json_string_value(json_object_get(a, "due")) ?: "",
		       json_string_value(json_object_get(b, "due")) ?: "");

	if (c)
		return c;
	c = strcmp(json_string_value(json_object_get(a, "case")) ?: "",
		   json_string_value(json_object_get(b, "case")) ?: "");
	return c ? c
		 : strcmp(json_string_value(json_object_get(a, "limit")) ?: "",
			  json_string_value(json_object_get(b, "limit")) ?: "");
}

/* Sorts an array of warnings in place. */
static void sort_items(json_t *items)
{
	size_t n = json_array_size(items);
	json_t **v = calloc(n + 1, sizeof(*v));

	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(items, i));
	qsort(v, n, sizeof(*v), by_due);
	json_array_clear(items);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, v[i]);
	free(v);
}

int warnings_collect(struct cases *c, struct store *s,
		     const struct warning_query *q, json_t *items,
		     struct error *err)
{
	struct warn_ctx w = { c, s, q, q->at_ms ? q->at_ms : ledger_now_ms(),
			      0, items, err };
	json_t *ids = json_array(), *id;
	size_t i;
	int rc = store_case_open_ids(s, collect_id, ids, err);

	w.today = day_of_ms(w.at_ms);
	json_array_foreach(ids, i, id) {
		if (rc)
			break;
		rc = warn_case(&w, json_string_value(id));
	}
	json_decref(ids);
	if (rc == 0)
		sort_items(items);
	return rc;
}

int cases_warnings(struct cases *c, const struct warning_query *q,
		   json_t **out, struct error *err)
{
	json_t *items;
	struct store *s;
	char as_of[32];
	int64_t at = q->at_ms ? q->at_ms : ledger_now_ms();
	struct warning_query fixed = *q;
	int rc;

	if (q->color && strcmp(q->color, "yellow") && strcmp(q->color, "red"))
		return error_set(err, CT_EINVAL, "colour '%s' is invalid; use "
				 "yellow or red", q->color);
	fixed.at_ms = at;
	rc = ledger_read_begin(c->ledger, &s, err);
	if (rc)
		return rc;
	items = json_array();
	rc = warnings_collect(c, s, &fixed, items, err);
	ledger_read_end(c->ledger, s);
	if (rc) {
		json_decref(items);
		return rc;
	}
	time_format(at, as_of);
	*out = json_pack("{s:s, s:I, s:o}", "as_of", as_of, "total",
			 (json_int_t)json_array_size(items), "items", items);
	return 0;
}
