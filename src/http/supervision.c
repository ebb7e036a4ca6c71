/*
 * The supervision routes: the finding rule registry, the yellow and red
 * warnings of open cases' time limits, and the caller's daily digest
 * (docs/api.md).
 */
#include "common/common.h"

#include <jansson.h>

#include "api.h"
#include "cases/rules.h"
#include "cases/supervision.h"

/*
 * Roles whose case list spans the whole bureau (src/access/policy.c):
 * they see every warning. Anyone else sees the warnings where they are
 * responsible or superior, and those of their unit.
 */
#define SEES_ALL                                                          \
	(ROLE_BIT(ROLE_REVIEWER) | ROLE_BIT(ROLE_LEGAL) |                 \
	 ROLE_BIT(ROLE_APPROVER) | ROLE_BIT(ROLE_HEAD) |                  \
	 ROLE_BIT(ROLE_ARCHIVIST) | ROLE_BIT(ROLE_SUPERVISOR) |           \
	 ROLE_BIT(ROLE_CASE_AUDITOR))

int serve_finding_rules(struct api_call *call, struct reply *r,
			struct error *err)
{
	static const char *const names[] = { NULL };

	(void)err;
	if (query_check(call->c, names, r))
		return 0;
	return reply_json(r, finding_rules_json(), CACHE_NONE);
}

static int visible(const struct principal *who, const json_t *w)
{
	const char *unit = json_string_value(json_object_get(w, "unit"));

	if (who->roles & SEES_ALL)
		return 1;
	if (!strcmp(json_string_value(json_object_get(w, "responsible")) ?: "",
		    who->user) ||
	    !strcmp(json_string_value(json_object_get(w, "superior")) ?: "",
		    who->user))
		return 1;
	return unit && who->unit[0] && !strcmp(unit, who->unit);
}

/*
 * Refuses a user no one registered, or a unit no user belongs to, with a
 * 400, as the command line does, so that a typing slip does not pass for
 * an empty list.
 */
static int check_people(struct api_call *call, const char *user,
			const char *unit, struct reply *r, struct error *err)
{
	json_t *list = NULL, *u;
	size_t i;
	int found = 0, rc;

	if (!user && !unit)
		return 0;
	rc = cases_user_list(call->s->cases, &list, err);
	if (rc)
		return rc;
	json_array_foreach(json_object_get(list, "items"), i, u) {
		const char *name = json_string_value(json_object_get(u, "name"));
		const char *un = json_string_value(json_object_get(u, "unit"));

		if (user && name && !strcmp(name, user))
			found |= 1;
		if (unit && un && !strcmp(un, unit))
			found |= 2;
	}
	json_decref(list);
	if (user && !(found & 1))
		return reply_rejected(reply_problem(
			r, 400, "user '%s' is not registered; give a login "
			"from the accounts list", user));
	if (unit && !(found & 2))
		return reply_rejected(reply_problem(
			r, 400, "no user belongs to unit '%s'; give a unit "
			"from the accounts list", unit));
	return 0;
}

int serve_warnings(struct api_call *call, struct reply *r, struct error *err)
{
	static const char *const names[] = { "user", "unit", "color", NULL };
	struct warning_query q = { 0 };
	json_t *out = NULL, *items, *kept, *w;
	size_t i;
	int rc;

	rc = query_check(call->c, names, r);
	if (rc == 0)
		rc = query_text(call->c, "user", &q.user, r);
	if (rc == 0)
		rc = query_text(call->c, "unit", &q.unit, r);
	if (rc == 0)
		rc = query_text(call->c, "color", &q.color, r);
	if (rc == 0)
		rc = check_people(call, q.user, q.unit, r, err);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;

	rc = cases_warnings(call->s->cases, &q, &out, err);
	if (rc)
		return api_query_error(r, rc, err);
	items = json_object_get(out, "items");
	kept = json_array();
	json_array_foreach(items, i, w)
		if (visible(call->who, w))
			json_array_append(kept, w);
	json_object_set_new(out, "total", json_integer(
		(json_int_t)json_array_size(kept)));
	json_object_set_new(out, "items", kept);
	return reply_json(r, out, CACHE_NONE);
}

int serve_digest(struct api_call *call, struct reply *r, struct error *err)
{
	static const char *const names[] = { "date", NULL };
	const char *date = NULL;
	json_t *out = NULL;
	int rc;

	rc = query_check(call->c, names, r);
	if (rc == 0)
		rc = query_text(call->c, "date", &date, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;

	rc = cases_digest(call->s->cases, date, call->who->user, &out, err);
	if (rc)
		return api_query_error(r, rc, err);
	return reply_json(r, out, CACHE_NONE);
}
