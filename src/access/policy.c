/*
 * Who may do what: the one table of casetrail's access policy and the
 * function that applies it. Everything not allowed here is refused.
 *
 * A rule names the roles that may act and the scope they act in:
 *
 *   anyone     any principal, even without roles (one's own session)
 *   bureau     the whole bureau: every case, no case named needed
 *   case       a case the principal takes part in: a party bound to it,
 *              a member (an author of its records or a person its records
 *              name), or staff of the same unit as a member; roles in
 *              BUREAU_WIDE reach every case
 *
 * Reading content also needs clearance for its mark. Clearance for
 * sensitive personal information covers personal information too;
 * clearance for commercial secrets is separate. The administration roles
 * (三员) reach no case content at all: they are not in any case rule.
 */
#include "common/common.h"

#include "internal.h"

/* Case work: the roles that add records to cases. */
#define CASEWORK                                                          \
	(ROLE_BIT(ROLE_CLERK) | ROLE_BIT(ROLE_HANDLER) |                  \
	 ROLE_BIT(ROLE_REVIEWER) | ROLE_BIT(ROLE_LEGAL) |                 \
	 ROLE_BIT(ROLE_APPROVER) | ROLE_BIT(ROLE_HEAD) |                  \
	 ROLE_BIT(ROLE_ARCHIVIST) | ROLE_BIT(ROLE_OFFICER) |              \
	 ROLE_BIT(ROLE_SERVER) | ROLE_BIT(ROLE_PRESIDING))

/* Those who read cases to supervise and evaluate; they change nothing. */
#define OVERSIGHT (ROLE_BIT(ROLE_SUPERVISOR) | ROLE_BIT(ROLE_CASE_AUDITOR))

/* Roles whose case scope is the whole bureau, not their unit. */
#define BUREAU_WIDE                                                       \
	(ROLE_BIT(ROLE_REVIEWER) | ROLE_BIT(ROLE_LEGAL) |                 \
	 ROLE_BIT(ROLE_APPROVER) | ROLE_BIT(ROLE_HEAD) |                  \
	 ROLE_BIT(ROLE_ARCHIVIST) | OVERSIGHT)

/* Every staff role, administrators included. */
#define STAFF (CASEWORK | OVERSIGHT | ROLES_ADMIN)

enum scope {
	SCOPE_NONE,   /* no principal needed */
	SCOPE_ANYONE, /* any authenticated principal */
	SCOPE_BUREAU,
	SCOPE_CASE,
};

struct rule {
	const char *name;
	uint32_t roles;
	enum scope scope;
	bool clearance; /* the target's mark must be cleared */
	bool party;     /* a party bound to the case may do it too */
};

static const struct rule rules[ACT_COUNT] = {
	[ACT_PUBLIC] = { "public", 0, SCOPE_NONE, false, false },
	[ACT_SELF] = { "self", 0, SCOPE_ANYONE, false, false },
	[ACT_CATALOGUE_READ] = { "catalogue-read", 0, SCOPE_ANYONE, false,
				 false },
	[ACT_CALENDAR_ADMIN] = { "calendar-admin", ROLE_BIT(ROLE_SYSADMIN),
				 SCOPE_BUREAU, false, false },
	[ACT_STAFF_READ] = { "staff-read", STAFF, SCOPE_BUREAU, false,
			     false },
	[ACT_ACCOUNT_ADMIN] = { "account-admin", ROLE_BIT(ROLE_SYSADMIN),
				SCOPE_BUREAU, false, false },
	[ACT_GRANT] = { "grant", ROLE_BIT(ROLE_SECADMIN), SCOPE_BUREAU, false,
			false },
	[ACT_MARK_SET] = { "mark-set", ROLE_BIT(ROLE_SECADMIN), SCOPE_BUREAU,
			   false, false },
	[ACT_KEY_REVOKE] = { "key-revoke", ROLE_BIT(ROLE_SECADMIN),
			     SCOPE_BUREAU, false, false },
	[ACT_EXPUNGE_APPROVE] = { "expunge-approve", ROLE_BIT(ROLE_SECADMIN),
				  SCOPE_BUREAU, false, false },
	[ACT_AUDIT_READ] = { "audit-read", ROLE_BIT(ROLE_AUDITOR),
			     SCOPE_BUREAU, false, false },
	[ACT_CASE_LIST] = { "case-list", CASEWORK | OVERSIGHT, SCOPE_BUREAU,
			    false, true },
	[ACT_CASE_CREATE] = { "case-create",
			      ROLE_BIT(ROLE_CLERK) | ROLE_BIT(ROLE_HANDLER),
			      SCOPE_BUREAU, false, false },
	[ACT_CASE_READ] = { "case-read", CASEWORK | OVERSIGHT, SCOPE_CASE,
			    false, true },
	[ACT_RECORD_READ] = { "record-read", CASEWORK | OVERSIGHT, SCOPE_CASE,
			      true, false },
	[ACT_RECORD_ADD] = { "record-add", CASEWORK, SCOPE_CASE, false,
			     false },
	[ACT_RECORD_CORRECT] = { "record-correct", CASEWORK, SCOPE_CASE,
				 false, false },
	/* A document of a marked record also needs record-read on it. */
	[ACT_DOCUMENT_ISSUE] = { "document-issue", CASEWORK, SCOPE_CASE,
				 false, false },
	[ACT_DOCUMENT_READ] = { "document-read", CASEWORK | OVERSIGHT,
				SCOPE_CASE, false, false },
	[ACT_FINDINGS_READ] = { "findings-read", CASEWORK | OVERSIGHT,
				SCOPE_BUREAU, false, false },
	[ACT_CASE_FILE_SEAL] = { "case-file-seal", ROLE_BIT(ROLE_ARCHIVIST),
				 SCOPE_BUREAU, false, false },
	[ACT_CASE_FILE_READ] = { "case-file-read", ROLE_BIT(ROLE_ARCHIVIST) |
					 OVERSIGHT,
				 SCOPE_BUREAU, false, false },
	[ACT_UPLOAD] = { "upload", CASEWORK, SCOPE_BUREAU, false, false },
	[ACT_MEDIA_INGEST] = { "media-ingest", CASEWORK, SCOPE_BUREAU, false,
			       false },
	[ACT_MEDIA_READ] = { "media-read", CASEWORK | OVERSIGHT, SCOPE_CASE,
			     false, false },
	[ACT_MEDIA_CONTENT] = { "media-content", CASEWORK | OVERSIGHT,
				SCOPE_CASE, true, false },
	[ACT_MEDIA_LINK] = { "media-link", CASEWORK, SCOPE_CASE, false,
			     false },
	[ACT_RETENTION] = { "retention",
			    ROLE_BIT(ROLE_HEAD) | ROLE_BIT(ROLE_ARCHIVIST) |
				    ROLE_BIT(ROLE_SUPERVISOR) |
				    ROLE_BIT(ROLE_LEGAL),
			    SCOPE_BUREAU, false, false },
	[ACT_COPY_REQUEST] = { "copy-request",
			       ROLE_BIT(ROLE_CLERK) | ROLE_BIT(ROLE_HANDLER),
			       SCOPE_CASE, false, true },
	[ACT_COPY_DECIDE] = { "copy-decide", ROLE_BIT(ROLE_SUPERVISOR),
			      SCOPE_BUREAU, false, false },
	[ACT_COPY_READ] = { "copy-read",
			    ROLE_BIT(ROLE_CLERK) | ROLE_BIT(ROLE_HANDLER) |
				    ROLE_BIT(ROLE_SUPERVISOR),
			    SCOPE_CASE, false, true },
	[ACT_PUBLICITY_EXPORT] = { "publicity-export",
				   ROLE_BIT(ROLE_CLERK) |
					   ROLE_BIT(ROLE_SUPERVISOR) |
					   ROLE_BIT(ROLE_HEAD),
				   SCOPE_BUREAU, false, false },
	[ACT_REPORT_READ] = { "report-read",
			      ROLE_BIT(ROLE_SUPERVISOR) | ROLE_BIT(ROLE_HEAD),
			      SCOPE_BUREAU, false, false },
	[ACT_CASE_REVIEW] = { "case-review",
			      ROLE_BIT(ROLE_SUPERVISOR) | ROLE_BIT(ROLE_HEAD) |
				      ROLE_BIT(ROLE_CASE_AUDITOR),
			      SCOPE_BUREAU, false, false },
};

const char *access_action_name(enum access_action act)
{
	return (unsigned)act < ACT_COUNT ? rules[act].name : "unknown";
}

static bool bound_to(const struct principal *p, const char *case_id)
{
	json_t *v;
	size_t i;

	json_array_foreach(p->cases, i, v)
		if (!strcmp(json_string_value(v) ?: "", case_id))
			return true;
	return false;
}

/*
 * Whether p takes part in case_id, directly or through a colleague of the
 * same unit. Returns 1, 0, or a negative code (CT_ENOTFOUND for an
 * unknown case).
 */
static int in_case(struct access *a, const struct principal *p,
		   const char *case_id, struct error *err)
{
	json_t *members = NULL, *v;
	size_t i;
	int found = 0, rc = cases_members(a->cases, case_id, &members, err);

	if (rc)
		return rc;
	json_array_foreach(members, i, v) {
		const char *name = json_string_value(v);
		json_t *u = NULL;
		struct error ignored = { 0 };

		if (!strcmp(name, p->user)) {
			found = 1;
			break;
		}
		if (!p->unit[0] ||
		    cases_user_get(a->cases, name, &u, &ignored) != 0)
			continue;
		found = !strcmp(json_string_value(json_object_get(u, "unit"))
					?: "",
				p->unit);
		json_decref(u);
		if (found)
			break;
	}
	json_decref(members);
	return found;
}

/* Whether p is cleared for content marked m. */
static bool cleared(const struct principal *p, enum access_mark m)
{
	if (m == MARK_NONE || (p->clearance & (1u << m)))
		return true;
	return m == MARK_PERSONAL &&
	       (p->clearance & (1u << MARK_SENSITIVE_PERSONAL));
}

static int refuse_role(const struct rule *r, const struct principal *p,
		       struct error *err)
{
	char names[512] = "";
	size_t used = 0;

	for (int i = 0; i < ROLE_COUNT; i++) {
		if (!(r->roles & ROLE_BIT(i)))
			continue;
		used += (size_t)snprintf(names + used, sizeof(names) - used,
					 "%s%s", used ? ", " : "",
					 access_role_code((enum access_role)i));
		if (used >= sizeof(names))
			break;
	}
	if (r->party)
		snprintf(names + strlen(names), sizeof(names) - strlen(names),
			 "%sa party of the case", names[0] ? ", or " : "");
	return error_set(err, CT_EPERM, "'%s' may not %s: it needs the role "
			 "%s; ask the security administrator", p->user,
			 r->name, names[0] ? names : "(none)");
}

/*
 * Checks everything of a rule but the clearance: the principal, its
 * roles, and the scope of the case. Returns 0, CT_EPERM, or a negative
 * code (CT_ENOTFOUND for an unknown case).
 */
static int decide_scope(struct access *a, const struct principal *p,
			const struct rule *r, enum access_action act,
			const struct access_target *t, struct error *err)
{
	bool staff_role, party_ok = false;
	int rc;

	if (r->scope == SCOPE_NONE)
		return 0;
	if (!p || !p->user[0])
		return error_set(err, CT_EPERM, "%s needs a signed-in user",
				 r->name);
	if (p->disabled)
		return error_set(err, CT_EPERM, "the account '%s' is disabled",
				 p->user);
	if (r->scope == SCOPE_ANYONE) {
		if (act == ACT_SELF && t->user && strcmp(t->user, p->user))
			return error_set(err, CT_EPERM, "'%s' may act only on "
					 "their own account, not '%s'",
					 p->user, t->user);
		return 0;
	}
	staff_role = (p->roles & r->roles) != 0;
	/*
	 * Without a case (the route's check before the handler knows it) a
	 * party passes as staff do; the handler then names the case.
	 */
	if (r->party && (p->roles & ROLE_BIT(ROLE_PARTY)))
		party_ok = r->scope == SCOPE_BUREAU || !t->case_id ||
			   bound_to(p, t->case_id);
	if (!staff_role && !party_ok) {
		if (r->party && (p->roles & ROLE_BIT(ROLE_PARTY)))
			return error_set(err, CT_EPERM, "'%s' is not a party "
					 "of case '%s'", p->user,
					 t->case_id ? t->case_id : "");
		return refuse_role(r, p, err);
	}
	if (r->scope == SCOPE_CASE && t->case_id && !party_ok &&
	    !(p->roles & r->roles & BUREAU_WIDE)) {
		rc = in_case(a, p, t->case_id, err);
		if (rc < 0)
			return rc;
		if (!rc)
			return error_set(err, CT_EPERM, "'%s' takes no part in "
					 "case '%s': neither they nor anyone "
					 "of unit '%s' is a member of it",
					 p->user, t->case_id, p->unit);
	}
	return 0;
}

int access_decide(struct access *a, const struct principal *p,
		  enum access_action act, const struct access_target *t,
		  struct error *err)
{
	static const struct access_target none = { 0 };
	const struct rule *r;
	int rc;

	if ((unsigned)act >= ACT_COUNT)
		return error_set(err, CT_EPERM, "unknown action %d", (int)act);
	r = &rules[act];
	if (!t)
		t = &none;
	rc = decide_scope(a, p, r, act, t, err);
	if (rc)
		return rc;
	if (r->clearance && !cleared(p, t->mark))
		return error_set(err, CT_EPERM, "'%s' is not cleared for "
				 "content marked %s; ask the security "
				 "administrator", p->user,
				 access_mark_code(t->mark));
	return 0;
}

int access_readable(struct access *a, const struct principal *p,
		    enum access_action act, const char *case_id,
		    uint32_t *marks, struct error *err)
{
	struct access_target t = { .case_id = case_id };
	const struct rule *r;
	int rc;

	*marks = 0;
	if ((unsigned)act >= ACT_COUNT)
		return error_set(err, CT_EPERM, "unknown action %d", (int)act);
	r = &rules[act];
	rc = decide_scope(a, p, r, act, &t, err);
	if (rc)
		return rc;
	for (int m = 0; m < MARK_COUNT; m++)
		if (!r->clearance || cleared(p, (enum access_mark)m))
			*marks |= 1u << m;
	return 0;
}

bool access_bureau_wide(const struct principal *p, enum access_action act)
{
	const struct rule *r;

	if ((unsigned)act >= ACT_COUNT || !p)
		return false;
	r = &rules[act];
	if (r->scope != SCOPE_CASE)
		return r->scope != SCOPE_BUREAU || (p->roles & r->roles);
	return (p->roles & r->roles & BUREAU_WIDE) != 0;
}

json_t *access_policy_json(void)
{
	static const char *const scopes[] = {
		[SCOPE_NONE] = "none", [SCOPE_ANYONE] = "anyone",
		[SCOPE_BUREAU] = "bureau", [SCOPE_CASE] = "case",
	};
	json_t *out = json_object(), *actions = json_array();
	json_t *wide = json_array();

	for (int a = 0; a < ACT_COUNT; a++) {
		const struct rule *r = &rules[a];
		json_t *roles = json_array();

		for (int i = 0; i < ROLE_COUNT; i++)
			if (r->roles & ROLE_BIT(i))
				json_array_append_new(roles, json_string(
					access_role_code((enum access_role)i)));
		json_array_append_new(actions, json_pack(
			"{s:s, s:o, s:s, s:b, s:b}", "action", r->name, "roles",
			roles, "scope", scopes[r->scope], "clearance",
			r->clearance, "party", r->party));
	}
	for (int i = 0; i < ROLE_COUNT; i++)
		if (BUREAU_WIDE & ROLE_BIT(i))
			json_array_append_new(wide, json_string(access_role_code(
						    (enum access_role)i)));
	json_object_set_new(out, "actions", actions);
	json_object_set_new(out, "bureau_wide", wide);
	return out;
}

bool access_cleared(const struct principal *p, enum access_mark m)
{
	return cleared(p, m);
}
