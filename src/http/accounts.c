/*
 * Account administration over HTTP, for the administrators' pages:
 * creating accounts, one-time passwords, disabling and enabling, TOTP
 * resets and account state (the system administrator's acts,
 * ACT_ACCOUNT_ADMIN), and roles, units and clearances (the security
 * administrator's, ACT_GRANT). The route's action is checked before a
 * handler runs; the access module refuses changes to one's own account
 * and any grant that breaks 三员分立, which are 403 here.
 *
 * A one-time password is returned once, in the reply that set it, with
 * Cache-Control: no-store.
 */
#include "common/common.h"

#include "api.h"

/* Replies for an error of the access module: CT_EPERM is 403 here. */
static int account_error(struct reply *r, int rc, const struct error *e,
			 struct error *err)
{
	if (rc == CT_EPERM)
		return reply_problem_of(r, PROBLEM_FORBIDDEN, "%s", e->msg);
	if (reply_error(r, rc, e) == 0)
		return 0;
	return error_set(err, rc, "%s", e->msg);
}

/* Replies 200 with the user's row, or its account state. */
static int reply_user(struct api_call *call, const char *name, bool state,
		      struct reply *r, struct error *err)
{
	struct error e = { 0 };
	json_t *out = NULL;
	int rc = state ? access_account_status(call->s->access, name, &out,
					       &e)
		       : cases_user_get(call->s->cases, name, &out, &e);

	if (rc)
		return account_error(r, rc, &e, err);
	return reply_json(r, out, CACHE_NONE);
}

/* Checks that the body has only names (NULL-terminated) as members. */
static int body_only(struct api_call *call, const char *const *names,
		     const char *expected, struct reply *r)
{
	return session_members(call->body, names, expected, r);
}

int create_user(struct api_call *call, struct reply *r, struct error *err)
{
	static const char *const names[] = {
		"name", "display_name", "superior", "credential",
		"credential_valid_until", NULL,
	};
	char otp[ACCESS_OTP_LEN + 1];
	struct error e = { 0 };
	const char *name;
	json_t *out = NULL;
	int rc;

	if (json_object_get(call->body, "roles") ||
	    json_object_get(call->body, "unit"))
		return reply_problem_of(
		    r, PROBLEM_VALIDATION_FAILED, "roles and units are given "
		    "by the security administrator, with POST "
		    "/api/v1/users/{name}/roles and /unit; create the account "
		    "without them");
	rc = body_only(call, names, "name, display_name, superior, "
		       "credential and credential_valid_until", r);
	if (rc == 0)
		rc = session_string(call->body, "name", true, &name, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	rc = access_account_create(call->s->access, call->body, &call->actor,
				   otp, &out, &e);
	if (rc == CT_ENOTFOUND)
		rc = CT_EINVAL;
	if (rc)
		return account_error(r, rc, &e, err);
	snprintf(r->location, sizeof(r->location), "/api/v1/users/%s", name);
	rc = reply_json(r, json_pack("{s:o, s:s}", "user", out,
				     "one_time_password", otp),
			CACHE_NONE);
	r->status = MHD_HTTP_CREATED;
	crypto_wipe(otp, sizeof(otp));
	return rc;
}

int reset_user_password(struct api_call *call, struct reply *r,
			struct error *err)
{
	char otp[ACCESS_OTP_LEN + 1];
	struct error e = { 0 };
	const char *name = call->params[0];
	int rc = body_only(call, (const char *const[]){ NULL }, "no members",
			   r);

	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	rc = access_password_reset(call->s->access, name, &call->actor, otp,
				   &e);
	if (rc)
		return account_error(r, rc, &e, err);
	rc = reply_json(r, json_pack("{s:s, s:s, s:b}", "user", name,
				     "one_time_password", otp,
				     "must_change_password", 1),
			CACHE_NONE);
	crypto_wipe(otp, sizeof(otp));
	return rc;
}

int disable_user(struct api_call *call, struct reply *r, struct error *err)
{
	struct error e = { 0 };
	const char *reason = NULL;
	int rc = body_only(call, (const char *const[]){ "reason", NULL },
			   "reason", r);

	if (rc == 0)
		rc = session_string(call->body, "reason", false, &reason, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	rc = access_account_disable(call->s->access, call->params[0], reason,
				    &call->actor, &e);
	if (rc)
		return account_error(r, rc, &e, err);
	return reply_user(call, call->params[0], true, r, err);
}

int enable_user(struct api_call *call, struct reply *r, struct error *err)
{
	struct error e = { 0 };
	int rc = body_only(call, (const char *const[]){ NULL }, "no members",
			   r);

	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	rc = access_account_enable(call->s->access, call->params[0],
				   &call->actor, &e);
	if (rc)
		return account_error(r, rc, &e, err);
	return reply_user(call, call->params[0], true, r, err);
}

int reset_user_totp(struct api_call *call, struct reply *r,
		    struct error *err)
{
	struct error e = { 0 };
	int rc = query_check(call->c, (const char *const[]){ NULL }, r);

	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	rc = access_totp_reset(call->s->access, call->params[0], NULL,
			       &call->actor, &e);
	if (rc)
		return account_error(r, rc, &e, err);
	return reply_user(call, call->params[0], true, r, err);
}

int serve_user_account(struct api_call *call, struct reply *r,
		       struct error *err)
{
	int rc = query_check(call->c, (const char *const[]){ NULL }, r);

	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	return reply_user(call, call->params[0], true, r, err);
}

int grant_user_role(struct api_call *call, struct reply *r,
		    struct error *err)
{
	struct access_grant g = { 0 };
	struct error e = { 0 };
	int rc = body_only(call, (const char *const[]){ "role", "unit",
							"case", NULL },
			   "role, unit and case", r);

	if (rc == 0)
		rc = session_string(call->body, "role", true, &g.role, r);
	if (rc == 0)
		rc = session_string(call->body, "unit", false, &g.unit, r);
	if (rc == 0)
		rc = session_string(call->body, "case", false, &g.case_id, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	rc = access_role_grant(call->s->access, call->params[0], &g,
			       &call->actor, &e);
	if (rc)
		return account_error(r, rc, &e, err);
	return reply_user(call, call->params[0], false, r, err);
}

int revoke_user_role(struct api_call *call, struct reply *r,
		     struct error *err)
{
	struct access_grant g = { .role = call->params[1] };
	struct error e = { 0 };
	int rc = query_check(call->c, (const char *const[]){ "unit", "case",
							     NULL },
			     r);

	if (rc == 0)
		rc = query_text(call->c, "unit", &g.unit, r);
	if (rc == 0)
		rc = query_text(call->c, "case", &g.case_id, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	rc = access_role_revoke(call->s->access, call->params[0], &g,
				&call->actor, &e);
	if (rc)
		return account_error(r, rc, &e, err);
	return reply_user(call, call->params[0], false, r, err);
}

int set_user_unit(struct api_call *call, struct reply *r, struct error *err)
{
	struct error e = { 0 };
	const char *unit;
	int rc = body_only(call, (const char *const[]){ "unit", NULL }, "unit",
			   r);

	if (rc == 0)
		rc = session_string(call->body, "unit", true, &unit, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	rc = access_unit_set(call->s->access, call->params[0], unit,
			     &call->actor, &e);
	if (rc)
		return account_error(r, rc, &e, err);
	return reply_user(call, call->params[0], false, r, err);
}

int set_user_clearance(struct api_call *call, struct reply *r,
		       struct error *err)
{
	struct error e = { 0 };
	json_t *marks;
	int rc = body_only(call, (const char *const[]){ "clearance", NULL },
			   "clearance", r);

	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	marks = json_object_get(call->body, "clearance");
	if (!json_is_array(marks))
		return reply_problem_of(r, PROBLEM_VALIDATION_FAILED,
					"member 'clearance' must be an array "
					"of marks");
	rc = access_clearance_set(call->s->access, call->params[0], marks,
				  &call->actor, &e);
	if (rc)
		return account_error(r, rc, &e, err);
	return reply_user(call, call->params[0], false, r, err);
}
