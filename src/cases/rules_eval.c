/*
 * Rules of one case evaluated beside evaluate.c: the records each stage
 * requires, read from the "required" member of data/record-kinds.json,
 * and the rules of hearing rights, legal review, remedies and hearings
 * (行政许可法 arts. 38, 47, 48; recording measures art. 14). Each raises
 * a code of the registry (rules.c). Like evaluate.c, the result depends
 * only on the case's records, the bureau data, the calendar and the
 * time, so a replay of the log reproduces it.
 */
#include "common/common.h"

#include "internal.h"
#include "rules.h"

struct rules_eval {
	const struct case_state *cs;
	const struct check_env *env;
	int64_t now_ms;
	const json_t *deadlines;
	json_t *findings;
};

static const char *field_str(const struct rec *r, const char *name)
{
	return r && r->fields
		       ? json_string_value(json_object_get(r->fields, name))
		       : NULL;
}

static int is_kind(const struct rec *r, const char *kind)
{
	return !strcmp(r->kind, kind) && r->fields;
}

static const struct rec *first_of(const struct case_state *cs,
				  const char *kind)
{
	for (size_t i = 0; i < cs->n; i++)
		if (is_kind(&cs->recs[i], kind))
			return &cs->recs[i];
	return NULL;
}

static const struct rec *last_of(const struct case_state *cs, const char *kind)
{
	for (size_t i = cs->n; i-- > 0;)
		if (is_kind(&cs->recs[i], kind))
			return &cs->recs[i];
	return NULL;
}

/* Appends a finding with its rule, the responsible user and superior. */
static void add_finding(struct rules_eval *e, const char *code,
			const struct rec *r, const char *key,
			int64_t detected_ms, const char *user,
			const char *detail)
{
	const struct finding_rule *rule = finding_rule_find(code);
	json_t *f = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}", "code", code,
			      "severity", rule ? rule->severity : "minor",
			      "case", e->cs->id, "detected",
			      (json_int_t)detected_ms, "rule",
			      rule ? rule->statement_zh : "", "key",
			      key ? key : "");

	json_object_set_new(f, "record",
			    r ? json_integer((json_int_t)r->seq) : json_null());
	if (detail)
		json_object_set_new(f, "detail", json_string(detail));
	if (user && user[0]) {
		json_t *u = e->env->user ? e->env->user(e->env->user_ctx, user)
					 : NULL;
		const char *superior =
			json_string_value(json_object_get(u, "superior"));

		json_object_set_new(f, "responsible", json_string(user));
		if (superior)
			json_object_set_new(f, "superior",
					    json_string(superior));
		json_decref(u);
	}
	json_array_append_new(e->findings, f);
}

/* --- required records (data/record-kinds.json) --------------------------- */

/* The first service of the decision, the licence or a refusal. */
static const struct rec *first_service(const struct case_state *cs)
{
	for (size_t i = 0; i < cs->n; i++) {
		const struct rec *r = &cs->recs[i];
		const char *doc = field_str(r, "document");

		if (!strncmp(r->kind, "service-", 8) && r->fields && doc &&
		    (!strcmp(doc, "decision") || !strcmp(doc, "licence") ||
		     !strcmp(doc, "refusal")))
			return r;
	}
	return NULL;
}

/*
 * Whether a requirement's "when" holds for the case: every member must
 * match. "matter" names a flag of the matter that must be true, "type"
 * the matter's type (licence or confirmation), "record" a kind the case
 * must contain, "status" the case's status.
 */
static int when_holds(const struct case_state *cs, const json_t *when)
{
	const char *flag = json_string_value(json_object_get(when, "matter"));
	const char *type = json_string_value(json_object_get(when, "type"));
	const char *kind = json_string_value(json_object_get(when, "record"));
	const char *status = json_string_value(json_object_get(when, "status"));

	if (flag && !json_is_true(json_object_get(cs->matter, flag)))
		return 0;
	if (type && !strcmp(type, "licence") != !!cs->licence)
		return 0;
	if (kind && !first_of(cs, kind))
		return 0;
	if (status && strcmp(cs->status ? cs->status : "open", status))
		return 0;
	return 1;
}

void rules_eval_required(const struct case_state *cs,
			 const struct check_env *env, json_t *findings)
{
	struct rules_eval e = { cs, env, 0, NULL, findings };
	const json_t *kinds = env->cat ? json_object_get(env->cat->kinds,
							 "kinds")
				       : NULL;
	json_t *kind, *req;
	size_t i, j;

	json_array_foreach(kinds, i, kind) {
		const char *code = json_string_value(json_object_get(kind,
								     "code"));

		json_array_foreach(json_object_get(kind, "required"), j, req) {
			const char *by = json_string_value(
				json_object_get(req, "by"));
			const struct rec *end;

			if (!code || !by)
				continue;
			end = !strcmp(by, "service") ? first_service(cs)
						     : first_of(cs, by);
			if (!end ||
			    !when_holds(cs, json_object_get(req, "when")) ||
			    last_of(cs, code))
				continue;
			add_finding(&e, "missing-record", end, code,
				    end->ts_ms, end->actor, code);
		}
	}
}

/* --- hearing rights (art. 47) ------------------------------------------- */

/*
 * Whether the case records telling of the right to a hearing before
 * record end (or at any time when end is NULL): a hearing-rights notice
 * (听证告知书), or a rights notice listing 听证.
 */
int right_is_hearing(const char *right)
{
	static const char *const denials[] = { "不", "无", "未", "放弃" };

	if (!right || !strstr(right, "听证"))
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(denials); i++)
		if (strstr(right, denials[i]))
			return 0;
	return 1;
}

static int hearing_right_told(const struct case_state *cs,
			      const struct rec *end)
{
	for (size_t i = 0; i < cs->n && &cs->recs[i] != end; i++) {
		const struct rec *r = &cs->recs[i];
		json_t *right;
		size_t j;

		if (is_kind(r, "hearing-rights-notice"))
			return 1;
		if (!is_kind(r, "rights-notice"))
			continue;
		json_array_foreach(json_object_get(r->fields, "rights"), j,
				   right)
			if (right_is_hearing(json_string_value(right)))
				return 1;
	}
	return 0;
}

/*
 * Art. 47: a licence that directly affects major interests between the
 * applicant and others, which the case shows by an interested-party
 * notice, must tell the applicant and the interested parties of their
 * right to a hearing before the decision. The finding is raised when the
 * decision is proposed (or made, without a proposal). A notice given
 * before the decision cures it; once decided, a later notice does not.
 *
 * A matter the catalogue flags `hearing` (major public interest) falls
 * under art. 46 instead: a public announcement and a hearing the bureau
 * holds itself, not a right to request one.
 * NOTE: art. 46 is not checked, because no record kind stores the public
 * announcement (公告) of such a hearing.
 */
static void eval_rights_notice(struct rules_eval *e)
{
	const struct case_state *cs = e->cs;
	const struct rec *prop = first_of(cs, "proposed-decision");
	const struct rec *dec = first_of(cs, "decision");
	const struct rec *end = prop ? prop : dec;

	if (!cs->licence || !end || !first_of(cs, "interested-party-notice"))
		return;
	if (hearing_right_told(cs, dec))
		return;
	add_finding(e, "missing-rights-notice", end, "", end->ts_ms, end->actor,
		    "interested party notified");
}

/* --- legal review (recording measures art. 14) ---------------------------- */

/* The time the record in force for r was written: its correction's. */
static int64_t in_force_ms(const struct case_state *cs, const struct rec *r)
{
	for (size_t i = 0; r->corrected_by >= 0 && i < cs->n; i++)
		if (cs->recs[i].seq == (uint64_t)r->corrected_by)
			return cs->recs[i].ts_ms;
	return r->ts_ms;
}

/*
 * A decision on a matter of the legal review list needs an agreeing
 * legal review of its proposal before it. The append checks this
 * (state.c); this finding is the after-the-fact check for a review whose
 * content was expunged or corrected to disagree after the decision.
 */
static void eval_legal_review(struct rules_eval *e)
{
	const struct case_state *cs = e->cs;
	const struct rec *dec = first_of(cs, "decision");
	const struct rec *legal = NULL;
	int64_t detected;

	if (!dec || !json_is_true(json_object_get(cs->matter, "legal_review")))
		return;
	for (size_t i = 0; i < cs->n && &cs->recs[i] != dec; i++) {
		if (is_kind(&cs->recs[i], "proposed-decision"))
			legal = NULL;
		else if (!strcmp(cs->recs[i].kind, "legal-review"))
			legal = &cs->recs[i];
	}
	if (legal && legal->fields &&
	    strcmp(field_str(legal, "opinion") ?: "", "disagree"))
		return;
	detected = dec->ts_ms;
	if (legal && legal->fields && in_force_ms(cs, legal) > detected)
		detected = in_force_ms(cs, legal);
	add_finding(e, "missing-legal-review", dec, "", detected, dec->actor,
		    !legal		? "no legal review of the proposal"
		    : !legal->fields ? "the legal review's content is gone"
				     : "the legal review disagrees");
}

/* --- remedies (art. 38) --------------------------------------------------- */

/*
 * Whether a remedies clause names administrative reconsideration and a
 * lawsuit, each with the body to turn to and a time limit. The test is
 * textual: 复议 with a 人民政府 or 机关 and a period in 日 or 月, 诉讼 or
 * 起诉 with a 人民法院 and a period.
 */
static const char *remedies_gap(const char *text)
{
	int period = strstr(text, "日内") || strstr(text, "月内");

	if (!strstr(text, "复议"))
		return "no administrative reconsideration";
	if (!strstr(text, "诉讼") && !strstr(text, "起诉"))
		return "no lawsuit";
	if (!period)
		return "no time limit";
	if (!strstr(text, "人民政府") && !strstr(text, "机关"))
		return "no reconsideration body";
	if (!strstr(text, "人民法院"))
		return "no court";
	return NULL;
}

/*
 * Whether a refusal or denial document (data/documents/refusal.json,
 * decision-deny.json) was issued for record r: its remedies block names
 * the bodies and time limits of data/bureau.json.
 */
static int remedies_printed(const struct case_state *cs, const struct rec *r)
{
	for (size_t i = 0; i < cs->n; i++) {
		const json_t *f = cs->recs[i].fields;
		const char *doc =
			json_string_value(json_object_get(f, "document"));
		json_t *source = json_object_get(f, "source");

		if (!f || strcmp(cs->recs[i].kind, "document-issue") || !doc ||
		    !json_is_integer(source) ||
		    json_integer_value(source) != (json_int_t)r->seq)
			continue;
		if (!strcmp(doc, "refusal") || !strcmp(doc, "decision-deny"))
			return 1;
	}
	return 0;
}

static void eval_remedies(struct rules_eval *e)
{
	const struct case_state *cs = e->cs;
	const struct rec *r = last_of(cs, "refusal");
	const struct rec *dec = last_of(cs, "decision");
	const char *result = field_str(dec, "result");
	const char *gap;

	if (!r && dec && result && strcmp(result, "grant"))
		r = dec;
	if (!r || remedies_printed(cs, r))
		return;
	gap = remedies_gap(field_str(r, "remedies") ?: "");
	if (gap)
		add_finding(e, "missing-remedies", r, "", r->ts_ms, r->actor,
			    gap);
}

/* The handler the assignment names, else the author of the proposal. */
static const char *handler_name(const struct case_state *cs)
{
	const struct rec *a = last_of(cs, "assignment");
	const struct rec *p = first_of(cs, "proposed-decision");

	if (a && field_str(a, "handler"))
		return field_str(a, "handler");
	return p ? p->actor : NULL;
}

/* --- hearings (arts. 47, 48) ---------------------------------------------- */

static int32_t deadline_day(const json_t *d)
{
	int32_t day;

	if (day_parse(json_string_value(json_object_get(d, "date")) ?: "",
		      &day) != 0)
		return STORE_NO_DAY;
	return day;
}

/*
 * A hearing held with no notice before it, a hearing noticed late and a
 * hearing requested in time but held late, read from the deadlines
 * evaluate.c computed: "hearing" (20 working days from a request made in
 * time) and "hearing_notice" (7 days before any hearing).
 */
static void eval_hearings(struct rules_eval *e)
{
	const struct case_state *cs = e->cs;
	const struct rec *held = first_of(cs, "hearing-record");
	const struct rec *notice = first_of(cs, "hearing-notice");
	const struct rec *last_notice = last_of(cs, "hearing-notice");
	const json_t *hearing = json_object_get(e->deadlines, "hearing");
	const json_t *noticed = json_object_get(e->deadlines, "hearing_notice");
	const char *state =
		json_string_value(json_object_get(hearing, "state"));
	int32_t due = deadline_day(hearing);

	if (!cs->licence)
		return;
	if (held && (!notice || notice->seq > held->seq))
		add_finding(e, "missing-hearing-notice", held, "", held->ts_ms,
			    handler_name(cs),
			    "no hearing notice before the hearing");
	/* Open while the hearing is late; holding it cures the finding. */
	if (state && due != STORE_NO_DAY && !strcmp(state, "overdue"))
		add_finding(e, "late-hearing", NULL, "held",
			    day_start_ms(due + 1), handler_name(cs),
			    "hearing not held within 20 working days of the "
			    "request");
	/* evaluate.c counts the 7 days back from the last notice's hearing. */
	if (last_notice &&
	    !strcmp(json_string_value(json_object_get(noticed, "state")) ?: "",
		    "late"))
		add_finding(e, "late-hearing", last_notice, "notice",
			    last_notice->ts_ms, handler_name(cs),
			    "hearing notice given less than 7 days before");
}

void rules_eval_case(const struct case_state *cs, const struct check_env *env,
		     int64_t now_ms, const json_t *deadlines, json_t *findings)
{
	struct rules_eval e = { cs, env, now_ms, deadlines, findings };

	if (!cs->matter || cs->n == 0)
		return;
	eval_rights_notice(&e);
	eval_legal_review(&e);
	eval_remedies(&e);
	eval_hearings(&e);
}
