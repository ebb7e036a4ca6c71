/*
 * The state of one case: its records folded in order, the stage they have
 * reached, and the rules a new record must pass. Stages move forward only
 * through the records that end them:
 *
 *   application    ends with the application registration (case new)
 *   acceptance     acceptance notice -> investigation; refusal -> service
 *   investigation  proposed decision -> decision
 *   decision       decision (after internal approval) -> service
 *   service        service of the decision, licence or refusal -> archive
 *
 * A withdrawal or termination ends an open case at once. Records of an
 * earlier stage may still be added (a transcript typed in later).
 */
#include "common/common.h"

#include "internal.h"

void case_state_release(struct case_state *cs)
{
	for (size_t i = 0; i < cs->n; i++) {
		json_decref(cs->recs[i].fields);
		json_decref(cs->recs[i].original);
		json_decref(cs->recs[i].attachments);
	}
	free(cs->recs);
	free(cs->found_sig);
	memset(cs, 0, sizeof(*cs));
}

static const char *field_str(const struct rec *r, const char *name)
{
	return json_string_value(json_object_get(r->fields, name));
}

static int is_kind(const struct rec *r, const char *kind)
{
	return !strcmp(r->kind, kind);
}

static int is_service(const char *kind)
{
	return !strncmp(kind, "service-", 8);
}

/* Whether a service record serves the case's final document. */
static int serves_final(const struct rec *r)
{
	const char *doc = field_str(r, "document");

	return is_service(r->kind) && doc &&
	       (!strcmp(doc, "decision") || !strcmp(doc, "licence") ||
		!strcmp(doc, "refusal"));
}

static struct rec *find_seq(const struct case_state *cs, uint64_t seq)
{
	for (size_t i = 0; i < cs->n; i++)
		if (cs->recs[i].seq == seq)
			return &cs->recs[i];
	return NULL;
}

/* Applies a correction: the corrected record takes the new fields. */
static void apply_correction(struct case_state *cs, const struct rec *r)
{
	struct rec *target;
	json_t *fields;

	if (r->supersedes < 0)
		return;
	target = find_seq(cs, (uint64_t)r->supersedes);
	if (!target)
		return;
	target->superseded_by = (int64_t)r->seq;
	/* A correction of a correction corrects the original record. */
	while (is_kind(target, KIND_CORRECTION) && target->supersedes >= 0) {
		target = find_seq(cs, (uint64_t)target->supersedes);
		if (!target)
			return;
	}
	fields = json_object_get(r->fields, "fields");
	if (json_is_object(fields)) {
		json_t *number = json_object_get(target->fields, "number");

		/* A document keeps its number through corrections. */
		if (number && !json_object_get(fields, "number"))
			json_object_set(fields, "number", number);
		/* The first version stays readable beside the correction. */
		if (!target->original)
			target->original = target->fields;
		else
			json_decref(target->fields);
		target->fields = json_incref(fields);
		target->corrected_by = (int64_t)r->seq;
		/* A corrected receipt time moves the clocks that start there. */
		if (is_kind(target, KIND_APPLICATION) &&
		    time_parse(field_str(target, "received") ?: "",
			       &cs->received_ms) == 0)
			cs->received_day = day_of_ms(cs->received_ms);
	}
}

static void fold_stage(struct case_state *cs, const struct rec *r)
{
	const char *result = field_str(r, "result");

	if (is_kind(r, KIND_APPLICATION)) {
		cs->stage = STAGE_ACCEPTANCE;
	} else if (is_kind(r, "acceptance-notice")) {
		if (cs->stage == STAGE_ACCEPTANCE)
			cs->stage = STAGE_INVESTIGATION;
	} else if (is_kind(r, "refusal")) {
		if (cs->stage < STAGE_SERVICE) {
			cs->stage = STAGE_SERVICE;
			cs->status = "refused";
		}
	} else if (is_kind(r, "proposed-decision")) {
		if (cs->stage == STAGE_INVESTIGATION)
			cs->stage = STAGE_DECISION;
	} else if (is_kind(r, "decision")) {
		if (cs->stage == STAGE_DECISION) {
			cs->stage = STAGE_SERVICE;
			cs->status = result && !strcmp(result, "deny")
					     ? "denied"
					     : "granted";
		}
	} else if (serves_final(r)) {
		if (cs->stage == STAGE_SERVICE)
			cs->stage = STAGE_ARCHIVE;
	} else if (is_kind(r, "withdrawal") || is_kind(r, "termination")) {
		if (cs->stage < STAGE_ARCHIVE) {
			cs->stage = STAGE_ARCHIVE;
			cs->status = r->kind[0] == 'w' ? "withdrawn"
						       : "terminated";
		}
	}
}

/*
 * Forgets the content an expunge of content destroys, so that the state
 * is the one a load from the log gives afterwards. An expunge of a blob
 * names it as its attachment and leaves the record's fields.
 */
static void apply_expunge(struct case_state *cs, const struct rec *r)
{
	if (r->supersedes < 0 || json_array_size(r->attachments))
		return;
	for (size_t i = 0; i < cs->n; i++) {
		if (cs->recs[i].seq != (uint64_t)r->supersedes)
			continue;
		json_decref(cs->recs[i].fields);
		cs->recs[i].fields = NULL;
		json_decref(cs->recs[i].original);
		cs->recs[i].original = NULL;
		if (i == 0 && is_kind(&cs->recs[0], KIND_APPLICATION)) {
			cs->matter = NULL;
			cs->licence = 0;
		}
		return;
	}
}

int case_fold(struct case_state *cs, const struct catalogue *cat,
	      struct rec *r, struct error *err)
{
	if (cs->n == cs->cap) {
		size_t cap = cs->cap ? cs->cap * 2 : 16;
		struct rec *recs = realloc(cs->recs, cap * sizeof(*recs));

		if (!recs)
			return error_set(err, CT_ENOMEM, "out of memory");
		cs->recs = recs;
		cs->cap = cap;
	}
	if (is_kind(r, KIND_APPLICATION) && cs->n == 0) {
		const char *received = field_str(r, "received");

		cs->matter = catalogue_matter(cat, field_str(r, "matter"));
		cs->licence = cs->matter &&
			      !strcmp(json_string_value(json_object_get(
					      cs->matter, "type")) ?: "",
				      "licence");
		cs->status = "open";
		if (!received || time_parse(received, &cs->received_ms) != 0)
			cs->received_ms = r->at_ms;
		cs->received_day = day_of_ms(cs->received_ms);
	}
	if (is_kind(r, KIND_CORRECTION))
		apply_correction(cs, r);
	if (is_kind(r, KIND_EXPUNGE))
		apply_expunge(cs, r);
	cs->recs[cs->n++] = *r;
	fold_stage(cs, r);
	return 0;
}

/* The latest record of a kind, or NULL. */
static const struct rec *last_of(const struct case_state *cs, const char *kind)
{
	for (size_t i = cs->n; i-- > 0;)
		if (is_kind(&cs->recs[i], kind) && cs->recs[i].fields)
			return &cs->recs[i];
	return NULL;
}

/* The case's handler and reviewer: assigned, else who acted. */
static const char *case_person(const struct case_state *cs, const char *role)
{
	const struct rec *a = last_of(cs, "assignment");
	const char *name = a ? field_str(a, role) : NULL;

	return name && name[0] ? name : NULL;
}

static int user_has_role(const struct check_env *env, const char *name,
			 const char *role)
{
	json_t *u = env->user ? env->user(env->user_ctx, name) : NULL, *r;
	size_t i;
	int has = 0;

	json_array_foreach(json_object_get(u, "roles"), i, r)
		if (!strcmp(json_string_value(r) ?: "", role))
			has = 1;
	json_decref(u);
	return has;
}

/*
 * The internal approval chain of the latest proposal: handler proposes,
 * reviewer reviews, approver approves, three different people. Returns
 * the step records through *review and *approve.
 */
static const struct rec *approval_chain(const struct case_state *cs,
					const struct rec **review,
					const struct rec **approve)
{
	const struct rec *proposal = NULL;

	*review = *approve = NULL;
	for (size_t i = 0; i < cs->n; i++) {
		const struct rec *r = &cs->recs[i];
		const char *step = field_str(r, "step");
		const char *opinion = field_str(r, "opinion");

		if (!r->fields)
			continue;
		if (is_kind(r, "proposed-decision")) {
			proposal = r;
			*review = *approve = NULL;
		} else if (is_kind(r, "approval-step") && step) {
			int agree = opinion && strcmp(opinion, "disagree");

			/* A new review voids the approval of the last one. */
			if (!strcmp(step, "review")) {
				*review = agree ? r : NULL;
				*approve = NULL;
			} else if (!strcmp(step, "approve"))
				*approve = agree && *review ? r : NULL;
		}
	}
	return proposal;
}

static int check_approval_step(const struct case_state *cs,
			       const struct check_env *env,
			       const struct rec *r, const char **finding,
			       struct error *err)
{
	const struct rec *review, *approve;
	const struct rec *proposal = approval_chain(cs, &review, &approve);
	const char *step = field_str(r, "step");

	if (!proposal)
		return error_set(err, CT_ESTATE, "case %s has no proposed "
				 "decision to approve; the handler records "
				 "proposed-decision first", cs->id);
	if (!strcmp(proposal->actor, r->actor)) {
		*finding = "self-approval-attempt";
		return error_set(err, CT_EPERM, "user '%s' wrote the proposed "
				 "decision (record %" PRIu64 ") and cannot "
				 "%s it; another person must", r->actor,
				 proposal->seq, step ? step : "approve");
	}
	if (step && !strcmp(step, "approve")) {
		if (!review)
			return error_set(err, CT_ESTATE, "the proposal of case "
					 "%s has no agreeing review yet; the "
					 "reviewer records approval-step "
					 "review first", cs->id);
		if (!strcmp(review->actor, r->actor) &&
		    !(field_str(r, "fallback") &&
		      user_has_role(env, r->actor, "head"))) {
			*finding = "self-approval-attempt";
			return error_set(err, CT_EPERM, "user '%s' reviewed "
					 "this proposal and cannot approve "
					 "it too; only the head may act as "
					 "both, with 'fallback' saying why "
					 "the unit lacks a third person",
					 r->actor);
		}
	}
	return 0;
}

static int check_decision(const struct case_state *cs,
			  const struct rec *r, struct error *err)
{
	const struct rec *review, *approve;
	const struct rec *proposal = approval_chain(cs, &review, &approve);
	const struct rec *legal = last_of(cs, "legal-review");
	const struct rec *decided = last_of(cs, "decision");

	(void)r;
	if (decided)
		return error_set(err, CT_ESTATE, "case %s was decided "
				 "already by record %" PRIu64 "; correct that "
				 "record instead of adding another decision",
				 cs->id, decided->seq);
	if (!proposal || !review || !approve)
		return error_set(err, CT_ESTATE, "case %s cannot be decided "
				 "before internal approval: %s", cs->id,
				 !proposal ? "there is no proposed decision"
				 : !review ? "the review step is missing"
					   : "the approval step is missing");
	if (json_is_true(json_object_get(cs->matter, "legal_review")) &&
	    (!legal || legal->seq < proposal->seq ||
	     !strcmp(field_str(legal, "opinion") ?: "", "disagree")))
		return error_set(err, CT_ESTATE, "matter '%s' is on the legal "
				 "review list: record an agreeing "
				 "legal-review of the proposal before the "
				 "decision",
				 json_string_value(json_object_get(cs->matter,
								   "code")));
	return 0;
}

static int check_hearing_notice(const struct case_state *cs,
				const struct rec *r, struct error *err)
{
	const char *presiding = field_str(r, "presiding");
	const struct rec *review, *approve;
	const char *names[3] = { case_person(cs, "reviewer"),
				 case_person(cs, "handler"), NULL };

	approval_chain(cs, &review, &approve);
	if (review)
		names[2] = review->actor;
	for (int i = 0; presiding && i < 3; i++)
		if (names[i] && !strcmp(names[i], presiding))
			return error_set(err, CT_EPERM, "user '%s' %s case %s "
					 "and cannot preside over its "
					 "hearing; name another presiding "
					 "officer", presiding,
					 i == 1 ? "handles" : "reviews",
					 cs->id);
	return 0;
}

static int open_suspension(const struct case_state *cs)
{
	int open = 0;

	for (size_t i = 0; i < cs->n; i++) {
		if (is_kind(&cs->recs[i], "suspension"))
			open = 1;
		else if (is_kind(&cs->recs[i], "resumption"))
			open = 0;
	}
	return open;
}

static int has_consent(const struct case_state *cs)
{
	const struct rec *a = last_of(cs, "address-confirmation");

	return a && json_is_true(json_object_get(a->fields,
						 "electronic_consent"));
}

static int check_service(const struct case_state *cs, const struct rec *r,
			 struct error *err)
{
	const char *doc = field_str(r, "document");

	if (is_kind(r, "service-electronic") && !has_consent(cs))
		return error_set(err, CT_ESTATE, "electronic service needs the "
				 "recipient's consent: record an "
				 "address-confirmation with "
				 "electronic_consent true first");
	if (doc && (!strcmp(doc, "decision") || !strcmp(doc, "licence")) &&
	    !last_of(cs, "decision"))
		return error_set(err, CT_ESTATE, "case %s has no decision to "
				 "serve yet", cs->id);
	if (doc && !strcmp(doc, "refusal") && !last_of(cs, "refusal"))
		return error_set(err, CT_ESTATE, "case %s has no refusal to "
				 "serve", cs->id);
	return 0;
}

/* The record that ends each stage, for messages. */
static const char *const stage_end[STAGE_COUNT] = {
	"application", "acceptance-notice", "proposed-decision", "decision",
	"a service record of the decision", "nothing: the case is closed",
};

static int check_stage(const struct case_state *cs, const json_t *kind,
		       const struct rec *r, struct error *err)
{
	enum stage want = kind_stage(kind);
	int late_kind = is_kind(r, "note") || is_kind(r, "complaint") ||
			is_kind(r, KIND_CORRECTION);

	if (cs->stage == STAGE_ARCHIVE && !late_kind)
		return error_set(err, CT_ESTATE, "case %s is closed (%s); only "
				 "notes, complaints and corrections can be "
				 "added", cs->id, cs->status);
	/* Service of a notice may happen from acceptance on. */
	if (is_service(r->kind) && want == STAGE_SERVICE)
		want = STAGE_ACCEPTANCE;
	if (want != STAGE_ANY && want > cs->stage)
		return error_set(err, CT_ESTATE, "a record of kind '%s' belongs "
				 "to stage %s, but case %s is in stage %s; the "
				 "stage ends with %s", r->kind, stage_code(want),
				 cs->id, stage_code(cs->stage),
				 stage_end[cs->stage]);
	return 0;
}

static int check_kind_rules(const struct case_state *cs,
			    const struct check_env *env, const struct rec *r,
			    const char **finding, struct error *err)
{
	if (is_kind(r, KIND_APPLICATION))
		return error_set(err, CT_ESTATE, "case %s has its application "
				 "already; open a new case with 'casetrail "
				 "case new'", cs->id);
	if ((is_kind(r, "acceptance-notice") || is_kind(r, "refusal")) &&
	    cs->stage != STAGE_ACCEPTANCE)
		return error_set(err, CT_ESTATE, "case %s is past acceptance "
				 "(stage %s); it was accepted or refused "
				 "already", cs->id, stage_code(cs->stage));
	if (is_kind(r, "proposed-decision") &&
	    cs->stage != STAGE_INVESTIGATION && cs->stage != STAGE_DECISION)
		return error_set(err, CT_ESTATE, "case %s is in stage %s; a "
				 "proposed decision needs an accepted case",
				 cs->id, stage_code(cs->stage));
	if (is_kind(r, "supplement-notice"))
		return matter_check_materials(cs->matter, json_object_get(
						      r->fields, "missing"),
					      "missing", err);
	if (is_kind(r, "material-receipt"))
		return matter_check_materials(cs->matter, json_object_get(
						      r->fields, "received"),
					      "received", err);
	if (is_kind(r, "approval-step"))
		return check_approval_step(cs, env, r, finding, err);
	if (is_kind(r, "decision"))
		return check_decision(cs, r, err);
	if (is_kind(r, "hearing-notice") || is_kind(r, "hearing-record") ||
	    is_kind(r, "hearing-report"))
		return check_hearing_notice(cs, r, err);
	if (is_kind(r, "resumption") && !open_suspension(cs))
		return error_set(err, CT_ESTATE, "case %s has no suspension to "
				 "end", cs->id);
	if (is_kind(r, "suspension") && open_suspension(cs))
		return error_set(err, CT_ESTATE, "case %s is suspended "
				 "already; record the resumption first",
				 cs->id);
	if (is_kind(r, "licence-issue") &&
	    strcmp(cs->status ?: "", "granted"))
		return error_set(err, CT_ESTATE, "case %s has no decision "
				 "granting the licence", cs->id);
	if (is_service(r->kind))
		return check_service(cs, r, err);
	if (is_kind(r, "extension") &&
	    !user_has_role(env, field_str(r, "approved_by") ?: "", "head"))
		return error_set(err, CT_EPERM, "extension.approved_by '%s' is "
				 "not the head of the bureau; an extension "
				 "needs the head's approval",
				 field_str(r, "approved_by") ?: "");
	return 0;
}

int case_check(const struct case_state *cs, const struct check_env *env,
	       const struct rec *r, const char **finding, struct error *err)
{
	const json_t *kind = catalogue_kind(env->cat, r->kind);
	const char *author_kinds[] = { KIND_USER, KIND_TOKEN,
				       KIND_TOKEN_REVOKE, KIND_CALENDAR,
				       KIND_RECOMPUTE, KIND_FINDING };

	*finding = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(author_kinds); i++)
		if (is_kind(r, author_kinds[i]))
			return error_set(err, CT_EINVAL, "record kind '%s' is "
					 "written only by casetrail itself",
					 r->kind);
	if (!kind)
		return error_set(err, CT_EINVAL, "record kind '%s' is "
				 "unknown; list the kinds with 'casetrail "
				 "kinds'", r->kind);
	if (check_stage(cs, kind, r, err))
		return err->code;
	if (check_kind_rules(cs, env, r, finding, err))
		return err->code;
	return 0;
}
