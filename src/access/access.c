/*
 * The access module's handle: opening the workflow with the access
 * projector, and the codes of marks and roles.
 */
#include "common/common.h"

#include "common/log.h"
#include "copies_internal.h"
#include "internal.h"
#include "keys_internal.h"

/* Entry kinds the access module owns, with their projectors. */
static const struct access_kind kinds[] = {
	{ "mark", project_mark },
	{ "access", project_access },
	{ "expunge-approval", project_expunge_approval },
	{ KIND_COPY_REQUEST, copies_project_request },
	{ KIND_COPY_DECISION, copies_project_decision },
	{ KIND_COPY_OVERDUE, copies_project_overdue },
	{ KIND_COPY_MADE, copies_project_made },
	{ KIND_PASSWORD, project_password },
	{ KIND_ROLE_GRANT, project_role_grant },
	{ KIND_ROLE_REVOKE, project_role_revoke },
	{ KIND_UNIT, project_unit },
	{ KIND_CLEARANCE, project_clearance },
	{ KIND_DISABLE, project_disable },
	{ KIND_ENABLE, project_enable },
	{ KIND_TOTP_ENROL, project_totp_enrol },
	{ KIND_TOTP_RESET, project_totp_reset },
	{ KIND_LOGIN, project_login },
	{ KIND_LOGIN_FACTOR, project_login_factor },
	{ KIND_LOGIN_FAILURE, project_login_failure },
	{ KIND_LOGOUT, project_logout },
	{ KIND_STAFF_KEY, project_staff_key },
	{ KIND_STAFF_KEY_REWRAP, project_staff_key_rewrap },
	{ KIND_STAFF_KEY_REVOKE, project_staff_key_revoke },
	{ KIND_SIGNATURE, project_signature },
	{ NULL, NULL },
};

static const struct access_kind *find_kind(const char *kind)
{
	for (size_t i = 0; kinds[i].kind; i++)
		if (!strcmp(kinds[i].kind, kind))
			return &kinds[i];
	return NULL;
}

static int owns(void *ctx, const char *kind)
{
	(void)ctx;
	return find_kind(kind) != NULL;
}

bool access_owns(struct access *a, const char *kind)
{
	(void)a;
	return find_kind(kind) != NULL;
}

static int project(void *ctx, struct store *s, const struct cases_entry *e,
		   struct error *err)
{
	const struct access_kind *k = find_kind(e->kind);
	int rc = k ? k->fn(ctx, s, e, err) : 0;

	return rc ? rc : audit_note(ctx, s, e, err);
}

int access_open(struct ledger *l, const char *data_dir,
		const struct access_config *cfg, struct access **out,
		struct error *err)
{
	struct access *a = calloc(1, sizeof(*a));
	struct cases_projector proj = { owns, project, a, keys_signed_at,
					audit_observe };
	int rc;

	*out = NULL;
	if (!a)
		return error_set(err, CT_ENOMEM, "out of memory");
	a->ledger = l;
	a->alg = ledger_config(l)->alg;
	if (cfg)
		a->cfg = *cfg;
	if (!a->cfg.session_ttl_ms)
		a->cfg.session_ttl_ms = 8 * 3600 * 1000LL;
	if (!a->cfg.session_idle_ms)
		a->cfg.session_idle_ms = 30 * 60 * 1000LL;
	pthread_mutex_init(&a->mu, NULL);
	rc = accounts_init(a, err);
	if (rc == 0)
		rc = copies_open(a, data_dir, &a->copies, err);
	if (rc == 0)
		rc = cases_open_with(l, data_dir, &proj, &a->cases, err);
	if (rc) {
		access_close(a);
		return rc;
	}
	marks_attach(a);
	*out = a;
	return 0;
}

void access_close(struct access *a)
{
	if (!a)
		return;
	cases_close(a->cases);
	copies_close(a->copies);
	accounts_release(a);
	pthread_mutex_destroy(&a->mu);
	free(a);
}

struct cases *access_cases(struct access *a)
{
	return a->cases;
}

struct ledger *access_ledger(struct access *a)
{
	return a->ledger;
}

/* --- codes ---------------------------------------------------------------- */

static const char *const mark_codes[MARK_COUNT] = {
	[MARK_NONE] = "none",
	[MARK_COMMERCIAL_SECRET] = "commercial-secret",
	[MARK_PERSONAL] = "personal",
	[MARK_SENSITIVE_PERSONAL] = "sensitive-personal",
};

const char *access_mark_code(enum access_mark m)
{
	return (unsigned)m < MARK_COUNT ? mark_codes[m] : "none";
}

int access_mark_parse(const char *code, enum access_mark *out,
		      struct error *err)
{
	for (int m = 0; m < MARK_COUNT; m++)
		if (!strcmp(code, mark_codes[m])) {
			*out = (enum access_mark)m;
			return 0;
		}
	if (!strcmp(code, "state-secret") || !strcmp(code, "国家秘密"))
		return error_set(err, CT_EPERM,
				 "state secrets are never stored in casetrail, "
				 "which is not a classified system; keep the "
				 "material under the secrecy rules and add a "
				 "'secret-material-note' record that says it "
				 "exists and where it is kept");
	return error_set(err, CT_EINVAL, "unknown confidentiality mark '%s'; "
			 "use none, commercial-secret, personal or "
			 "sensitive-personal", code);
}

static const char *const role_codes[ROLE_COUNT] = {
	[ROLE_CLERK] = "clerk",
	[ROLE_HANDLER] = "handler",
	[ROLE_REVIEWER] = "reviewer",
	[ROLE_LEGAL] = "legal",
	[ROLE_APPROVER] = "approver",
	[ROLE_HEAD] = "head",
	[ROLE_ARCHIVIST] = "archivist",
	[ROLE_SUPERVISOR] = "supervisor",
	[ROLE_SYSADMIN] = "sysadmin",
	[ROLE_SECADMIN] = "secadmin",
	[ROLE_AUDITOR] = "auditor",
	[ROLE_CASE_AUDITOR] = "case-auditor",
	[ROLE_OFFICER] = "officer",
	[ROLE_SERVER] = "server",
	[ROLE_PRESIDING] = "presiding",
	[ROLE_PARTY] = "party",
};

const char *access_role_code(enum access_role r)
{
	return (unsigned)r < ROLE_COUNT ? role_codes[r] : "";
}

int access_role_parse(const char *code)
{
	for (int r = 0; r < ROLE_COUNT; r++)
		if (!strcmp(code, role_codes[r]))
			return r;
	if (!strcmp(code, "applicant") || !strcmp(code, "interested-party"))
		return ROLE_PARTY;
	return -1;
}

/* --- principals ----------------------------------------------------------- */

void principal_release(struct principal *p)
{
	json_decref(p->cases);
	p->cases = NULL;
}

int access_principal(struct access *a, const char *user, const char *addr,
		     struct principal *out, struct error *err)
{
	json_t *u = NULL, *v;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = cases_user_get(a->cases, user, &u, err);
	if (rc)
		return rc;
	snprintf(out->user, sizeof(out->user), "%s", user);
	snprintf(out->unit, sizeof(out->unit), "%s",
		 json_string_value(json_object_get(u, "unit")) ?: "");
	snprintf(out->addr, sizeof(out->addr), "%s", addr ? addr : "");
	json_array_foreach(json_object_get(u, "roles"), i, v) {
		int r = access_role_parse(json_string_value(v) ?: "");

		if (r >= 0)
			out->roles |= ROLE_BIT(r);
	}
	out->clearance = 1u << MARK_NONE;
	json_array_foreach(json_object_get(u, "clearance"), i, v) {
		enum access_mark m;
		struct error ignored = { 0 };

		if (access_mark_parse(json_string_value(v) ?: "", &m,
				      &ignored) == 0)
			out->clearance |= 1u << m;
	}
	v = json_object_get(u, "cases");
	if (json_is_array(v))
		out->cases = json_incref(v);
	out->disabled = json_is_true(json_object_get(u, "disabled"));
	json_decref(u);
	if (out->disabled) {
		principal_release(out);
		return error_set(err, CT_EPERM, "the account '%s' is disabled; "
				 "ask the system administrator", user);
	}
	return 0;
}
