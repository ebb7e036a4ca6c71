/*
 * Deadlines and findings of one case, computed from its records, the
 * matter's limits and the calendar at a given moment. The result depends
 * on nothing else, so replaying the log gives the same findings with the
 * same detection times. A finding raised by a record is detected when the
 * record was written. A finding raised by time is detected at 00:00 CST
 * of the day after the deadline.
 */
#include "common/common.h"

#include "internal.h"
#include "rules.h"

#define MAX_PAUSES 32

/* Statements and severities come from the registry (rules.c). */
const char *finding_rule(const char *code)
{
	const struct finding_rule *r = finding_rule_find(code);

	return r ? r->statement_zh : "";
}

const char *finding_severity(const char *code)
{
	const struct finding_rule *r = finding_rule_find(code);

	return r ? r->severity : "minor";
}

struct eval {
	const struct case_state *cs;
	const struct check_env *env;
	int64_t now_ms;
	int32_t today;
	json_t *findings;
	json_t *deadlines;
	int64_t deemed_ms; /* when deemed acceptance was detected, else -1 */
};

static const char *field_str(const struct rec *r, const char *name)
{
	return json_string_value(json_object_get(r->fields, name));
}

static int is_kind(const struct rec *r, const char *kind)
{
	return !strcmp(r->kind, kind);
}

/* A date field of r as a day, else the day the event happened. */
static int32_t rec_day(const struct rec *r, const char *field)
{
	const char *text = field ? field_str(r, field) : NULL;
	int32_t day;
	int64_t ms;

	if (text && day_parse(text, &day) == 0)
		return day;
	if (text && time_parse(text, &ms) == 0)
		return day_of_ms(ms);
	return day_of_ms(r->at_ms);
}

static const struct rec *first_of(const struct case_state *cs,
				  const char *kind)
{
	for (size_t i = 0; i < cs->n; i++)
		if (is_kind(&cs->recs[i], kind) && cs->recs[i].fields)
			return &cs->recs[i];
	return NULL;
}

static const struct rec *last_of(const struct case_state *cs, const char *kind)
{
	for (size_t i = cs->n; i-- > 0;)
		if (is_kind(&cs->recs[i], kind) && cs->recs[i].fields)
			return &cs->recs[i];
	return NULL;
}

/* The matter's limit by name and basis, or NULL. */
static const json_t *limit_of(const struct case_state *cs, const char *name,
			      const char *basis)
{
	json_t *l;
	size_t i;

	json_array_foreach(json_object_get(cs->matter, "limits"), i, l)
		if (!strcmp(json_string_value(json_object_get(l, "name")) ?: "",
			    name) &&
		    !strcmp(json_string_value(json_object_get(l, "basis")) ?: "",
			    basis))
			return l;
	return NULL;
}

/*
 * Whether a limit applies: the Licensing Law's limits stand in for those
 * a licence's matter leaves out, but a confirmation has only the limits
 * its matter lists.
 */
static int has_limit(const struct case_state *cs, const json_t *limit)
{
	return limit || cs->licence;
}

static int limit_value(const json_t *limit, int def)
{
	json_t *v = json_object_get(limit, "value");

	return json_is_integer(v) ? (int)json_integer_value(v) : def;
}

static enum limit_unit limit_unit(const json_t *limit)
{
	enum limit_unit u = UNIT_WORKING_DAYS;
	const char *text = json_string_value(json_object_get(limit, "unit"));

	if (text)
		limit_unit_parse(text, &u);
	return u;
}

/* The responsible person of a record and their superior. */
static void set_people(struct eval *e, json_t *f, const char *user)
{
	json_t *u;
	const char *superior;

	if (!user || !user[0])
		return;
	json_object_set_new(f, "responsible", json_string(user));
	u = e->env->user ? e->env->user(e->env->user_ctx, user) : NULL;
	superior = json_string_value(json_object_get(u, "superior"));
	if (superior)
		json_object_set_new(f, "superior", json_string(superior));
	json_decref(u);
}

/* Raises a finding. The key distinguishes findings of one code and record. */
static void raise_finding(struct eval *e, const char *code,
			  const struct rec *r, const char *key,
			  int64_t detected_ms, const char *user,
			  const char *detail)
{
	json_t *f = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}", "code", code,
			      "severity", finding_severity(code), "case",
			      e->cs->id, "detected", (json_int_t)detected_ms,
			      "rule", finding_rule(code), "key", key ?: "");

	json_object_set_new(f, "record",
			    r ? json_integer((json_int_t)r->seq) : json_null());
	if (detail)
		json_object_set_new(f, "detail", json_string(detail));
	set_people(e, f, user);
	json_array_append_new(e->findings, f);
}

static json_t *due_json(int32_t day, int provisional, const char *basis,
			const json_t *limit)
{
	char date[11];

	day_format(day, date);
	return json_pack("{s:s, s:b, s:s, s:i, s:s}", "date", date,
			 "provisional", provisional, "basis", basis, "value",
			 limit_value(limit, 0), "unit",
			 limit_unit_name(limit_unit(limit)));
}

/* Counts a limit from trigger; fills *due. Returns 0 or an error code. */
static int count_limit(struct eval *e, const json_t *limit, int def,
		       int32_t trigger, int extra, const struct day_span *p,
		       size_t np, struct due *due)
{
	int n = limit_value(limit, def) + extra;
	enum limit_unit unit = limit ? limit_unit(limit) : UNIT_WORKING_DAYS;

	return deadline_after(e->env->cal, trigger, day_start_ms(trigger), n,
			      unit, p, np, due, NULL, NULL);
}

/* Sets deadline name: date, state and the promised limit beside it. */
static void put_deadline(struct eval *e, const char *name, const json_t *lim,
			 const struct due *due, const struct due *promised,
			 const json_t *plim, int32_t met_day, int suspended)
{
	json_t *d = due_json(due->day, due->provisional, "statutory", lim);
	const char *state = met_day != STORE_NO_DAY
				    ? (met_day <= due->day ? "met" : "late")
				    : suspended	       ? "suspended"
				    : e->today > due->day ? "overdue"
							 : "open";

	json_object_set_new(d, "state", json_string(state));
	if (met_day != STORE_NO_DAY) {
		char date[11];

		day_format(met_day, date);
		json_object_set_new(d, "met_on", json_string(date));
	}
	if (promised) {
		json_t *p = due_json(promised->day, promised->provisional,
				     "promised", plim);

		json_object_set_new(p, "warning",
				    json_boolean(met_day == STORE_NO_DAY &&
						 e->today > promised->day));
		json_object_set_new(d, "promised", p);
	}
	json_object_set_new(e->deadlines, name, d);
}

/* --- acceptance -------------------------------------------------------- */

/* The first response to the application: acceptance, refusal or notice. */
static int32_t first_answer(const struct case_state *cs,
			    const struct rec **answer)
{
	for (size_t i = 0; i < cs->n; i++) {
		const struct rec *r = &cs->recs[i];

		if (!r->fields)
			continue;
		*answer = r;
		if (is_kind(r, "acceptance-notice"))
			return rec_day(r, "accepted_on");
		if (is_kind(r, "refusal"))
			return rec_day(r, NULL);
		if (is_kind(r, "supplement-notice"))
			return rec_day(r, "notified_on");
	}
	*answer = NULL;
	return STORE_NO_DAY;
}

/* The day a withdrawal or termination ended the case, or STORE_NO_DAY. */
static int32_t ended_day(const struct case_state *cs)
{
	for (size_t i = 0; i < cs->n; i++) {
		const struct rec *r = &cs->recs[i];

		if (!r->fields)
			continue;
		if (is_kind(r, "withdrawal"))
			return rec_day(r, "requested_on");
		if (is_kind(r, "termination"))
			return rec_day(r, "terminated_on");
	}
	return STORE_NO_DAY;
}

/*
 * Evaluates acceptance; returns the day the decision clock starts, or
 * STORE_NO_DAY while the case is not accepted. A withdrawal or
 * termination before any response stops the acceptance clock.
 */
static int32_t eval_acceptance(struct eval *e)
{
	const struct case_state *cs = e->cs;
	const json_t *lim = limit_of(cs, "acceptance", "statutory");
	const struct rec *answer, *accept = last_of(cs, "acceptance-notice");
	const struct rec *app = first_of(cs, KIND_APPLICATION);
	int32_t answered = first_answer(cs, &answer);
	int32_t ended = ended_day(cs);
	int32_t until = answered != STORE_NO_DAY ? answered
			: ended != STORE_NO_DAY	   ? ended
						   : e->today;
	struct due due;

	if (!has_limit(cs, lim))
		return accept ? rec_day(accept, "accepted_on") : STORE_NO_DAY;
	if (count_limit(e, lim, 5, cs->received_day, 0, NULL, 0, &due))
		return STORE_NO_DAY;
	put_deadline(e, "acceptance", lim, &due, NULL, NULL, answered, 0);
	if (answered == STORE_NO_DAY && ended != STORE_NO_DAY)
		json_object_set_new(json_object_get(e->deadlines, "acceptance"),
				    "state", json_string(cs->status));
	if (cs->licence && until > due.day) {
		/* No response in time: accepted on the day of receipt. */
		e->deemed_ms = day_start_ms(due.day + 1);
		raise_finding(e, "deemed-accepted", NULL, "", e->deemed_ms,
			      app ? app->actor : NULL, NULL);
		json_object_set_new(json_object_get(e->deadlines, "acceptance"),
				    "deemed_accepted_on",
				    json_string(field_str(app, "received")
							?: ""));
		return cs->received_day;
	}
	return accept ? rec_day(accept, "accepted_on") : STORE_NO_DAY;
}

/* Whether a list of strings, or of objects with a "code", names code. */
static int lists_code(const json_t *list, const char *code)
{
	json_t *x;
	size_t i;

	json_array_foreach(list, i, x) {
		const char *have = json_is_string(x)
					   ? json_string_value(x)
					   : json_string_value(json_object_get(
						     x, "code"));

		if (have && !strcmp(have, code))
			return 1;
	}
	return 0;
}

/*
 * Whether a material was missing when the first supplement notice was
 * given: that notice listed it, or the matter requires it and neither the
 * application nor a material receipt before the notice handed it in.
 */
static int missing_at_first(const struct case_state *cs,
			    const struct rec *first, const char *code)
{
	json_t *m;
	size_t i;
	int required = 0;

	if (lists_code(json_object_get(first->fields, "missing"), code))
		return 1;
	json_array_foreach(json_object_get(cs->matter, "materials"), i, m)
		if (!strcmp(json_string_value(json_object_get(m, "code")) ?: "",
			    code))
			required = json_is_true(json_object_get(m, "required"));
	if (!required)
		return 0;
	for (size_t j = 0; j < cs->n && &cs->recs[j] != first; j++) {
		const struct rec *r = &cs->recs[j];

		if (is_kind(r, KIND_APPLICATION) &&
		    lists_code(json_object_get(r->fields, "materials"), code))
			return 0;
		if (is_kind(r, "material-receipt") &&
		    lists_code(json_object_get(r->fields, "received"), code))
			return 0;
	}
	return 1;
}

/*
 * One-time notice: a later supplement notice that requests a material
 * already missing at the first notice, which should have listed it.
 */
static void eval_supplements(struct eval *e)
{
	const struct case_state *cs = e->cs;
	const struct rec *first = NULL;

	for (size_t i = 0; i < cs->n; i++) {
		const struct rec *r = &cs->recs[i];
		json_t *item;
		size_t j;

		if (!is_kind(r, "supplement-notice") || !r->fields)
			continue;
		if (!first) {
			first = r;
			continue;
		}
		json_array_foreach(json_object_get(r->fields, "missing"), j,
				   item) {
			const char *code = json_string_value(item);

			if (code && missing_at_first(cs, first, code))
				raise_finding(e, "repeat-supplement-notice", r,
					      code, r->ts_ms, r->actor, code);
		}
	}
}

static void eval_time_limit_notice(struct eval *e, int32_t accepted)
{
	const struct case_state *cs = e->cs;
	const struct rec *acc = last_of(cs, "acceptance-notice");
	const struct rec *tln = first_of(cs, "time-limit-notice");
	const struct rec *dec = first_of(cs, "decision");
	const struct rec *app = first_of(cs, KIND_APPLICATION);
	const char *clause = acc ? field_str(acc, "time_limit_clause") : NULL;

	if (!cs->licence || accepted == STORE_NO_DAY)
		return;
	if (clause && clause[0])
		return;
	/* A licence decided on the spot needs no time-limit notice. */
	if (dec && rec_day(dec, NULL) == accepted)
		return;
	if (tln)
		return;
	if (acc) {
		raise_finding(e, "missing-time-limit-notice", acc, "",
			      acc->ts_ms, acc->actor, NULL);
		return;
	}
	/*
	 * Deemed accepted with no notice: missing from the moment deemed
	 * acceptance was detected, and the clerk who registered the
	 * application is responsible.
	 */
	raise_finding(e, "missing-time-limit-notice", NULL, "", e->deemed_ms,
		      app ? app->actor : NULL, NULL);
}

/* --- the decision clock ------------------------------------------------ */

static int lawful_reason(const char *reason)
{
	static const char *const list[] = {
		"hearing", "tender",	   "auction",  "testing",
		"inspection", "quarantine", "appraisal", "expert-review",
	};

	for (size_t i = 0; reason && i < ARRAY_SIZE(list); i++)
		if (!strcmp(reason, list[i]))
			return 1;
	return 0;
}

/*
 * Collects the spans on which the clock stood still. A lawful suspension
 * stops the clock after the day it starts and runs it again from the day
 * after the resumption: the span is [start + 1, resume]. *open is set
 * while a suspension has not ended. Its span then ends today, so the
 * decision deadline shown meanwhile is the one if the case resumed today.
 */
static size_t collect_pauses(struct eval *e, struct day_span *p, int *open)
{
	const struct case_state *cs = e->cs;
	size_t n = 0;
	int32_t start = STORE_NO_DAY;

	*open = 0;
	for (size_t i = 0; i < cs->n; i++) {
		const struct rec *r = &cs->recs[i];

		if (!r->fields)
			continue;
		if (is_kind(r, "suspension")) {
			const char *reason = field_str(r, "reason");

			if (!lawful_reason(reason) ||
			    !field_str(r, "notified_on")) {
				raise_finding(e, "unlawful-suspension", r, "",
					      r->ts_ms, r->actor,
					      !lawful_reason(reason)
						      ? reason
						      : "no written notice");
				start = STORE_NO_DAY;
				continue;
			}
			start = rec_day(r, "started_on");
		} else if (is_kind(r, "resumption") && start != STORE_NO_DAY) {
			if (n < MAX_PAUSES)
				p[n++] = (struct day_span){
					start + 1, rec_day(r, "resumed_on")
				};
			start = STORE_NO_DAY;
		}
	}
	if (start != STORE_NO_DAY) {
		*open = 1;
		if (n < MAX_PAUSES)
			p[n++] = (struct day_span){
				start + 1, e->today > start ? e->today : start
			};
	}
	return n;
}

/*
 * Extension days that count: those the head approved, up to the matter's
 * limit, when approved in time and notified to the applicant.
 */
static int eval_extension(struct eval *e, int32_t due_day)
{
	const struct case_state *cs = e->cs;
	const json_t *lim = limit_of(cs, "extension", "statutory");
	int joint = json_is_true(json_object_get(cs->matter, "joint"));
	int max = limit_value(lim, joint ? 15 : 10);

	for (size_t i = 0; i < cs->n; i++) {
		const struct rec *r = &cs->recs[i];
		json_int_t days;

		if (!is_kind(r, "extension") || !r->fields ||
		    !has_limit(cs, lim))
			continue;
		if (rec_day(r, "approved_on") > due_day ||
		    !field_str(r, "notified_on")) {
			raise_finding(e, "late-extension", r, "", r->ts_ms,
				      r->actor,
				      field_str(r, "notified_on")
					      ? "approved after the limit"
					      : "not told to the applicant");
			continue;
		}
		days = json_integer_value(json_object_get(r->fields, "days"));
		return days > 0 && days < max ? (int)days : max;
	}
	return 0;
}

/*
 * The handler: the one assigned, else the author of the proposal, else
 * the clerk who registered the case, who is answerable for a case left
 * without a handler.
 */
static const char *handler_of(const struct case_state *cs)
{
	const struct rec *a = last_of(cs, "assignment");
	const struct rec *p = first_of(cs, "proposed-decision");

	if (a && field_str(a, "handler"))
		return field_str(a, "handler");
	if (p)
		return p->actor;
	return cs->n ? cs->recs[0].actor : NULL;
}

/*
 * The due date the applicant was given in writing stays as given. When
 * the calendar or a suspension has moved the deadline since, the
 * difference is shown beside it (member "told").
 */
static void put_notified_due(struct eval *e, int32_t due_day)
{
	const struct rec *tln = last_of(e->cs, "time-limit-notice");
	const char *told = tln ? field_str(tln, "decision_due") : NULL;
	json_t *d = json_object_get(e->deadlines, "decision");
	int32_t day;

	if (!told || day_parse(told, &day) != 0 || !d)
		return;
	json_object_set_new(d, "told", json_pack("{s:s, s:I, s:i}", "date",
						 told, "record",
						 (json_int_t)tln->seq,
						 "difference_days",
						 due_day - day));
}

/*
 * The number of pauses that stop the clock (art. 45): a suspension stops
 * only a period still running on the day it starts. Once the limit
 * counted over the earlier pauses has run out, that suspension and every
 * later one stop nothing, so the deadline stays overdue.
 */
static size_t pauses_in_time(struct eval *e, const json_t *lim, int def,
			     int32_t accepted, int extra,
			     const struct day_span *p, size_t np)
{
	struct due due;

	for (size_t k = 0; k < np; k++)
		if (count_limit(e, lim, def, accepted, extra, p, k, &due) ||
		    p[k].first - 1 > due.day)
			return k;
	return np;
}

static void eval_decision(struct eval *e, int32_t accepted)
{
	const struct case_state *cs = e->cs;
	const json_t *lim = limit_of(cs, "decision", "statutory");
	const json_t *plim = limit_of(cs, "decision", "promised");
	const struct rec *dec = first_of(cs, "decision");
	int joint = json_is_true(json_object_get(cs->matter, "joint"));
	int def = joint ? 45 : 20;
	int32_t met = dec ? rec_day(dec, NULL) : STORE_NO_DAY;
	struct day_span pauses[MAX_PAUSES];
	struct due base, due, promised;
	int open, extra;
	size_t all = collect_pauses(e, pauses, &open), np;

	if (accepted == STORE_NO_DAY || !has_limit(cs, lim))
		return;
	np = pauses_in_time(e, lim, def, accepted, 0, pauses, all);
	if (count_limit(e, lim, def, accepted, 0, pauses, np, &base))
		return;
	extra = eval_extension(e, base.day);
	np = pauses_in_time(e, lim, def, accepted, extra, pauses, all);
	/* The open suspension is the last pause: it counts only if kept. */
	open = open && np == all;
	if (count_limit(e, lim, def, accepted, extra, pauses, np, &due))
		return;
	if (plim && count_limit(e, plim, 0, accepted, 0, pauses, np,
				&promised) == 0)
		put_deadline(e, "decision", lim, &due, &promised, plim, met,
			     open);
	else
		put_deadline(e, "decision", lim, &due, NULL, NULL, met, open);
	if (extra)
		json_object_set_new(json_object_get(e->deadlines, "decision"),
				    "extended_by", json_integer(extra));
	put_notified_due(e, due.day);
	/* Open while the decision is late; a late decision cures it. */
	if (!open && met == STORE_NO_DAY && e->today > due.day)
		raise_finding(e, "overdue-decision", NULL, "",
			      day_start_ms(due.day + 1), handler_of(cs), NULL);
}

static void eval_delivery(struct eval *e)
{
	const struct case_state *cs = e->cs;
	const struct rec *dec = last_of(cs, "decision");
	const json_t *lim = limit_of(cs, "delivery", "statutory");
	int32_t met = STORE_NO_DAY;
	struct due due;

	if (!dec || !strcmp(field_str(dec, "result") ?: "", "deny") ||
	    !has_limit(cs, lim))
		return;
	for (size_t i = 0; i < cs->n && met == STORE_NO_DAY; i++) {
		const struct rec *r = &cs->recs[i];
		const char *doc = field_str(r, "document");

		if (!strncmp(r->kind, "service-", 8) && doc &&
		    (!strcmp(doc, "licence") || !strcmp(doc, "decision")))
			met = rec_day(r, "served_on");
	}
	if (count_limit(e, lim, 10, rec_day(dec, NULL), 0, NULL, 0, &due))
		return;
	put_deadline(e, "delivery", lim, &due, NULL, NULL, met, 0);
	if (met == STORE_NO_DAY && e->today > due.day)
		raise_finding(e, "overdue-delivery", dec, "",
			      day_start_ms(due.day + 1), handler_of(cs), NULL);
}

/* The working days within which a grant is submitted to the credit
 * platform (双公示). */
#define PUBLICITY_WORKING_DAYS 7

/*
 * 双公示: a grant is exported to the credit platform within seven working
 * days of the decision. An export that came late leaves the finding
 * standing; one after now_ms (a replay's earlier evaluation) does not
 * count yet.
 */
static void eval_publicity(struct eval *e)
{
	const struct case_state *cs = e->cs;
	const struct rec *dec = last_of(cs, "decision");
	const char *result = dec ? field_str(dec, "result") : NULL;
	json_t *lim;
	int64_t exported;
	int32_t met = STORE_NO_DAY;
	struct due due;

	/* 双公示 publishes licences; confirmations are not among them. */
	if (!cs->licence || !result ||
	    (strcmp(result, "grant") && strcmp(result, "partial")))
		return;
	lim = json_pack("{s:i, s:s}", "value", PUBLICITY_WORKING_DAYS, "unit",
			"working_days");
	exported = publicity_first_export(e->env->store, dec->seq);
	if (exported >= 0 && exported <= e->now_ms)
		met = day_of_ms(exported);
	if (count_limit(e, lim, PUBLICITY_WORKING_DAYS,
			rec_day(dec, "decided_on"), 0, NULL, 0, &due) == 0) {
		put_deadline(e, "publicity", lim, &due, NULL, NULL, met, 0);
		if (met == STORE_NO_DAY ? e->today > due.day : met > due.day)
			raise_finding(e, "late-publicity", dec, "",
				      day_start_ms(due.day + 1),
				      handler_of(cs), NULL);
	}
	json_decref(lim);
}

/* Calendar days within which an ended case's file is sealed, unless the
 * matter's "archive_days" sets another period. */
#define ARCHIVE_DAYS 30

/*
 * The record that ended the case and the day it ended: the first service
 * of the decision, the licence or a refusal (its served_on day), or a
 * withdrawal or termination. Serving an acceptance or supplement notice
 * ends nothing. Returns NULL while the case has not ended.
 */
static const struct rec *case_end(const struct case_state *cs, int32_t *day)
{
	for (size_t i = 0; i < cs->n; i++) {
		const struct rec *r = &cs->recs[i];
		const char *doc = field_str(r, "document");

		if (!r->fields)
			continue;
		if (!strncmp(r->kind, "service-", 8) && doc &&
		    (!strcmp(doc, "decision") || !strcmp(doc, "licence") ||
		     !strcmp(doc, "refusal"))) {
			*day = rec_day(r, "served_on");
			return r;
		}
		if (is_kind(r, "withdrawal") || is_kind(r, "termination")) {
			*day = rec_day(r, is_kind(r, "withdrawal")
						  ? "requested_on"
						  : "terminated_on");
			return r;
		}
	}
	return NULL;
}

/*
 * R-STO-2 (recording measures art. 20): the case file is sealed within 30
 * calendar days after the day the case ended (case_end). A last day on a
 * rest day moves to the next working day.
 */
static void eval_archive(struct eval *e)
{
	const struct case_state *cs = e->cs;
	const struct rec *end, *seal = NULL;
	const json_t *set = json_object_get(cs->matter, "archive_days");
	int days = json_is_integer(set) && json_integer_value(set) > 0 &&
			   json_integer_value(set) <= 3650
		   ? (int)json_integer_value(set) : ARCHIVE_DAYS;
	int32_t met = STORE_NO_DAY, ended = STORE_NO_DAY;
	struct due due;

	if (cs->stage != STAGE_ARCHIVE)
		return;
	end = case_end(cs, &ended);
	for (size_t i = 0; i < cs->n && !seal; i++)
		if (!strcmp(cs->recs[i].kind, KIND_CASE_FILE_SEAL) &&
		    cs->recs[i].ts_ms <= e->now_ms)
			seal = &cs->recs[i];
	if (!end || deadline_after(e->env->cal, ended, 0, days,
				   UNIT_CALENDAR_DAYS, NULL, 0, &due, NULL,
				   NULL))
		return;
	if (seal)
		met = day_of_ms(seal->ts_ms);
	if (met == STORE_NO_DAY ? e->today > due.day : met > due.day)
		raise_finding(e, "late-archive", end, "",
			      day_start_ms(due.day + 1), handler_of(cs), NULL);
}

int archive_due_sync(struct store *s, const struct case_state *cs,
		     struct error *err)
{
	if (cs->stage != STAGE_ARCHIVE)
		return 0;
	for (size_t i = 0; i < cs->n; i++)
		if (!strcmp(cs->recs[i].kind, KIND_CASE_FILE_SEAL))
			return store_kv_delete(s, NS_ARCHIVE_DUE, cs->id, err);
	return store_kv_put(s, NS_ARCHIVE_DUE, cs->id,
			    cs->recs[cs->n - 1].seq, "{}", err);
}

/* --- records ------------------------------------------------------------ */

static int credential_valid(struct eval *e, const json_t *officer, int32_t day)
{
	const char *name = json_string_value(json_object_get(officer, "user"));
	const char *no = json_string_value(json_object_get(officer,
							   "credential_no"));
	json_t *u = name && e->env->user ? e->env->user(e->env->user_ctx, name)
					 : NULL;
	const char *have = json_string_value(json_object_get(u, "credential"));
	const char *until = json_string_value(json_object_get(
		u, "credential_valid_until"));
	int32_t until_day;
	int ok = have && no && !strcmp(have, no) && until &&
		 day_parse(until, &until_day) == 0 && until_day >= day;

	json_decref(u);
	return ok;
}

static void eval_officers(struct eval *e, const struct rec *r)
{
	json_t *o;
	size_t i;
	int valid = 0;

	json_array_foreach(json_object_get(r->fields, "officers"), i, o)
		valid += credential_valid(e, o, rec_day(r, NULL));
	if (valid < 2)
		raise_finding(e, "too-few-officers", r, "", r->ts_ms, r->actor,
			      valid ? "one officer with a valid credential"
				    : "no officer with a valid credential");
}

/* Every page of a transcript signed by each per-page signer. */
static void eval_pages(struct eval *e, const struct rec *r)
{
	const json_t *kind = catalogue_kind(e->env->cat, r->kind);
	json_int_t pages = json_integer_value(json_object_get(r->fields,
							      "pages"));
	json_t *signer, *sig;
	size_t i, j;

	json_array_foreach(json_object_get(kind, "signers"), i, signer) {
		const char *role = json_string_value(json_object_get(signer,
								     "role"));
		unsigned char seen[1001] = { 0 };
		json_int_t missing = 0;

		if (!json_is_true(json_object_get(signer, "per_page")) ||
		    pages <= 0 || pages > 1000)
			continue;
		json_array_foreach(json_object_get(r->fields, "signatures"), j,
				   sig) {
			json_t *p;
			size_t k;

			if (strcmp(json_string_value(json_object_get(sig,
								     "role"))
					   ?: "", role ?: ""))
				continue;
			if (!strcmp(json_string_value(json_object_get(
					    sig, "method")) ?: "", "refused"))
				memset(seen, 1, sizeof(seen));
			json_array_foreach(json_object_get(sig, "pages"), k, p)
				if (json_integer_value(p) >= 1 &&
				    json_integer_value(p) <= pages)
					seen[json_integer_value(p)] = 1;
		}
		for (json_int_t p = 1; p <= pages; p++)
			missing += !seen[p];
		if (missing) {
			char detail[96];

			snprintf(detail, sizeof(detail), "role %s: %" JSON_INTEGER_FORMAT
				 " of %" JSON_INTEGER_FORMAT " pages unsigned",
				 role, missing, pages);
			raise_finding(e, "missing-signature", r, role, r->ts_ms,
				      r->actor, detail);
		}
	}
}

/*
 * A staff signature is an SM2 signature over the record's commitment,
 * appended after the record (src/access/sign.c): the record must exist
 * before it can be signed, so the append cannot demand it, and a staff
 * signature named in the fields counts only once made. One still missing
 * at the end of the day after the record (or the correction in force)
 * was written raises unsigned-record; the signature cures it. Without a
 * module that records signatures nothing is checked.
 */
static void eval_staff_signatures(struct eval *e, const struct rec *r)
{
	const struct rec *in_force = r;
	int64_t due_ms;
	json_t *sig;
	size_t i;

	if (!e->env->signed_at)
		return;
	for (i = 0; r->corrected_by >= 0 && i < e->cs->n; i++)
		if (e->cs->recs[i].seq == (uint64_t)r->corrected_by)
			in_force = &e->cs->recs[i];
	due_ms = day_start_ms(day_of_ms(in_force->ts_ms) + 2);
	if (e->now_ms < due_ms)
		return;
	json_array_foreach(json_object_get(r->fields, "signatures"), i, sig) {
		const char *role = json_string_value(json_object_get(sig,
								     "role"));
		const char *who = json_string_value(json_object_get(sig,
								    "person"));
		char key[2 * USER_NAME_MAX + 64], detail[2 * USER_NAME_MAX + 96];
		int64_t at;

		if (!role || !who || strcmp(json_string_value(json_object_get(
				     sig, "method")) ?: "", "staff"))
			continue;
		at = e->env->signed_at(e->env->signed_ctx, e->env->store,
				       in_force->seq, who, role);
		if (at >= 0 && at <= e->now_ms)
			continue;
		snprintf(key, sizeof(key), "%s/%s", role, who);
		snprintf(detail, sizeof(detail), "role %s: no SM2 signature by "
			 "%s over record %" PRIu64, role, who, in_force->seq);
		raise_finding(e, "unsigned-record", r, key, due_ms, who,
			      detail);
	}
}

static void eval_records(struct eval *e)
{
	for (size_t i = 0; i < e->cs->n; i++) {
		const struct rec *r = &e->cs->recs[i];

		if (!r->fields)
			continue;
		if (is_kind(r, "onsite-verification"))
			eval_officers(e, r);
		eval_pages(e, r);
		eval_staff_signatures(e, r);
		if (is_kind(r, KIND_FINDING))
			raise_finding(e, field_str(r, "code") ?: "finding", r,
				      "", r->ts_ms, field_str(r, "user"),
				      field_str(r, "detail"));
	}
}

/* --- audio-visual records ----------------------------------------------- */

/* The ingest seq an AV record of the case is about, or -1. */
static int64_t av_media_seq(const struct rec *r)
{
	json_t *m;

	if (is_kind(r, "media-ingest"))
		return (int64_t)r->seq;
	m = json_object_get(r->fields, "media");
	if ((is_kind(r, "media-link") || is_kind(r, "media-capture")) &&
	    json_is_integer(m))
		return json_integer_value(m);
	return -1;
}

/* The approved reason given for a late upload of media seq, or NULL. */
static const struct rec *av_justified(const struct case_state *cs,
				      int64_t media)
{
	for (size_t i = cs->n; i-- > 0;) {
		const struct rec *r = &cs->recs[i];
		json_t *m = json_object_get(r->fields, "media");

		if (is_kind(r, "media-justify") && json_is_integer(m) &&
		    json_integer_value(m) == media)
			return r;
	}
	return NULL;
}

/* When a record about a file showed its delay: the ingest, the statement
 * of its capture time, or (for a link) the ingest it copies. */
static int64_t av_known_ms(const struct rec *r)
{
	json_t *ingested = json_object_get(r->fields, "ingested");

	if (is_kind(r, "media-link") && json_is_integer(ingested))
		return json_integer_value(ingested);
	return r->ts_ms;
}

/*
 * A file that reached the store more than 24 hours after its recording
 * ended, by its own capture time or by one stated later: a statement can
 * add lateness but never remove it. The finding is detected when the
 * lateness was first known and stays; an approved reason is shown beside
 * it. recs[i] is the first record of the case about the file.
 */
static void eval_late_av(struct eval *e, size_t i)
{
	const struct case_state *cs = e->cs;
	int64_t media = av_media_seq(&cs->recs[i]);
	int64_t delay = -1, detected = -1;
	const struct rec *first = NULL, *why;
	json_t *f;
	char detail[256];

	for (size_t k = i; k < cs->n; k++) {
		const struct rec *r = &cs->recs[k];
		json_t *d = json_object_get(r->fields, "delay_ms");

		if (!r->fields || av_media_seq(r) != media || !json_is_integer(d))
			continue;
		if (json_integer_value(d) > delay)
			delay = json_integer_value(d);
		if (json_integer_value(d) > MEDIA_UPLOAD_LIMIT_MS && !first) {
			first = r;
			detected = av_known_ms(r);
		}
	}
	if (!first)
		return;
	snprintf(detail, sizeof(detail), "设备 %s，录制结束后 %.1f 小时上传",
		 field_str(first, "device") ?: "?", (double)delay / 3600000.0);
	raise_finding(e, "late-av-upload", NULL, "", detected,
		      field_str(first, "officer"), detail);
	f = json_array_get(e->findings, json_array_size(e->findings) - 1);
	json_object_set_new(f, "record", json_integer(media));
	json_object_set_new(f, "delay_ms", json_integer(delay));
	if (field_str(first, "device"))
		json_object_set_new(f, "device",
				    json_string(field_str(first, "device")));
	why = av_justified(cs, media);
	if (why)
		json_object_set_new(f, "justified", json_pack(
			"{s:I, s:s, s:s}", "seq", (json_int_t)why->seq,
			"reason", field_str(why, "reason") ?: "",
			"approved_by", field_str(why, "approved_by") ?: ""));
}

/* Whether an AV file of the case is linked to record seq. */
static int av_linked(const struct case_state *cs, const struct rec *target)
{
	for (size_t i = 0; i < cs->n; i++) {
		const struct rec *r = &cs->recs[i];
		json_t *rs = json_object_get(r->fields, "record");
		int64_t seq = json_is_integer(rs) ? json_integer_value(rs) : -1;

		if (av_media_seq(r) < 0 || seq < 0)
			continue;
		if (seq == (int64_t)target->seq)
			return 1;
	}
	return 0;
}

/*
 * An inspection or hearing recorded without audio-visual evidence and
 * without an approved exemption. The file may follow the record: the
 * finding is detected when the 24 hours for uploading it have run out.
 */
static void eval_missing_av(struct eval *e, const struct rec *r)
{
	const json_t *kind = e->env->cat ? catalogue_kind(e->env->cat, r->kind)
					 : NULL;
	int64_t event = r->at_ms, t, due;

	/* The event ends at the record's end or start field, if earlier. */
	if ((time_parse(field_str(r, "end") ?: "", &t) == 0 ||
	     time_parse(field_str(r, "start") ?: "", &t) == 0) && t < event)
		event = t;
	due = event + 24 * 3600 * 1000LL;

	if (!kind || !json_is_true(json_object_get(json_object_get(kind, "av"),
						   "required")))
		return;
	if (json_object_get(r->fields, "av") ||
	    json_object_get(r->fields, "av_exemption") ||
	    av_linked(e->cs, r) || e->now_ms < due)
		return;
	raise_finding(e, "missing-av", r, "", due, r->actor, r->kind);
}

static void eval_av(struct eval *e)
{
	for (size_t i = 0; i < e->cs->n; i++) {
		const struct rec *r = &e->cs->recs[i];
		int64_t media = av_media_seq(r);
		size_t j = 0;

		/* A corrected record contains its corrected fields. */
		if (!r->fields)
			continue;
		eval_missing_av(e, r);
		if (media < 0)
			continue;
		/* Each file once, from the first record about it. */
		while (j < i && av_media_seq(&e->cs->recs[j]) != media)
			j++;
		if (j == i)
			eval_late_av(e, i);
	}
}

/* --- required records of each stage ------------------------------------ */

/* The kinds each stage requires are data: record-kinds.json "required". */
static void eval_required(struct eval *e)
{
	rules_eval_required(e->cs, e->env, e->findings);
}

/*
 * The day the applicant was told of the right to a hearing: a 听证告知书
 * states the right itself, so it counts first; without one, a rights
 * notice that lists 听证. A rights notice without it tells nothing about
 * a hearing. Returns STORE_NO_DAY when neither exists.
 */
static int32_t hearing_told_day(const struct case_state *cs)
{
	const struct rec *told = first_of(cs, "hearing-rights-notice");

	if (told)
		return rec_day(told, "notified_on");
	for (size_t i = 0; i < cs->n; i++) {
		const struct rec *r = &cs->recs[i];
		json_t *right;
		size_t j;

		if (!is_kind(r, "rights-notice") || !r->fields)
			continue;
		json_array_foreach(json_object_get(r->fields, "rights"), j,
				   right)
			if (right_is_hearing(json_string_value(right)))
				return rec_day(r, "told_on");
	}
	return STORE_NO_DAY;
}

/*
 * Hearings under the Licensing Law. Every hearing, requested (art. 47)
 * or held by the bureau itself (art. 46), is noticed to the parties 7
 * days before it (art. 48(1)). A hearing must be held within 20 working
 * days only when it was requested within 5 days of being told of the
 * right: a later request may be recorded but creates no such duty.
 */
static void eval_hearing(struct eval *e)
{
	const struct case_state *cs = e->cs;
	const struct rec *req = first_of(cs, "hearing-request");
	const struct rec *notice = last_of(cs, "hearing-notice");
	const struct rec *held = first_of(cs, "hearing-record");
	const json_t *lim = limit_of(cs, "hearing", "statutory");
	const json_t *rlim = limit_of(cs, "hearing-request", "statutory");
	const json_t *nlim = limit_of(cs, "hearing-notice", "statutory");
	int32_t met = held ? rec_day(held, "start") : STORE_NO_DAY;
	int32_t told_on = hearing_told_day(cs), requested;
	struct due due;
	int64_t hearing_ms;

	if (!cs->licence)
		return;
	if (notice &&
	    time_parse(field_str(notice, "hearing_at") ?: "", &hearing_ms) == 0 &&
	    deadline_before_bureau(e->env->cal, day_of_ms(hearing_ms),
				   limit_value(nlim, 7), UNIT_CALENDAR_DAYS,
				   &due, NULL) == 0)
		put_deadline(e, "hearing_notice", nlim, &due, NULL, NULL,
			     rec_day(notice, "notified_on"), 0);
	if (!req)
		return;
	requested = rec_day(req, "requested_on");
	if (told_on != STORE_NO_DAY &&
	    deadline_after(e->env->cal, told_on, 0, limit_value(rlim, 5),
			   UNIT_CALENDAR_DAYS, NULL, 0, &due, NULL, NULL) == 0) {
		put_deadline(e, "hearing_request", rlim, &due, NULL, NULL,
			     requested, 0);
		if (requested > due.day)
			return;
	}
	if (count_limit(e, lim, 20, requested, 0, NULL, 0, &due) == 0)
		put_deadline(e, "hearing", lim, &due, NULL, NULL, met, 0);
}

/*
 * Renewal (行政许可法 art. 50): the application is due 30 days before the
 * licence expires, and a renewal applied for in time that is not decided
 * before the expiry counts as granted.
 */
static void eval_renewal(struct eval *e)
{
	const struct case_state *cs = e->cs;
	const json_t *lim = limit_of(cs, "renewal", "statutory");
	const struct rec *app = first_of(cs, KIND_APPLICATION);
	const struct rec *dec = first_of(cs, "decision");
	const char *expiry = app ? field_str(app, "licence_expiry") : NULL;
	struct due due = { 0 };
	int32_t end;

	if (!lim || !expiry || day_parse(expiry, &end) != 0 ||
	    deadline_before(e->env->cal, end, limit_value(lim, 30),
			    limit_unit(lim), &due, NULL) != 0)
		return;
	put_deadline(e, "renewal_application", lim, &due, NULL, NULL,
		     cs->received_day, 0);
	if (cs->received_day > due.day)
		return;
	due.day = end;
	due.provisional = 0;
	put_deadline(e, "renewal_decision", lim, &due, NULL, NULL,
		     dec ? rec_day(dec, NULL) : STORE_NO_DAY, 0);
	/*
	 * licence_expiry is the last day of the licence's validity, so a
	 * decision made that day is still before it expires, as the
	 * renewal_decision deadline shows.
	 */
	if ((dec ? rec_day(dec, NULL) : e->today) > end)
		raise_finding(e, "deemed-renewal", NULL, "",
			      day_start_ms(end + 1), handler_of(cs), NULL);
}

int case_evaluate(const struct case_state *cs, const struct check_env *env,
		  int64_t now_ms, json_t *deadlines, json_t *findings)
{
	struct eval e = { cs, env, now_ms, day_of_ms(now_ms), findings,
			  deadlines, -1 };
	int32_t accepted;

	if (!cs->matter || cs->n == 0)
		return 0;
	accepted = eval_acceptance(&e);
	eval_supplements(&e);
	eval_time_limit_notice(&e, accepted);
	/* A refusal after deemed acceptance has no legal effect (art. 32):
	 * the decision clock keeps running. */
	if ((strcmp(cs->status ?: "", "refused") || e.deemed_ms >= 0) &&
	    strcmp(cs->status ?: "", "withdrawn") &&
	    strcmp(cs->status ?: "", "terminated")) {
		eval_decision(&e, accepted);
		eval_delivery(&e);
		eval_publicity(&e);
		eval_hearing(&e);
		eval_renewal(&e);
	}
	eval_records(&e);
	eval_av(&e);
	eval_required(&e);
	eval_archive(&e);
	rules_eval_case(cs, env, now_ms, deadlines, findings);
	return 0;
}
