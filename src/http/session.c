/*
 * Browser sessions over HTTP: sign-in, the current session, the TOTP
 * code, TOTP enrolment, password change and sign-out under
 * /api/v1/session, and the cookie and CSRF checks that api.c applies to
 * every route when a request carries no Authorization header.
 *
 * The cookie is HttpOnly, SameSite=Strict and Path=/, lives as long as
 * the session at most, and is Secure when the server runs TLS, where its
 * name takes the __Host- prefix, so that no other host or path can set
 * it. A sign-in always draws a new session id; a cookie the client sent
 * is never adopted. Every request authenticated by the cookie with a
 * method other than GET, HEAD or OPTIONS must send the session's CSRF
 * token in X-CSRF-Token.
 *
 * Passwords, session ids, CSRF tokens and TOTP secrets never reach a log
 * line or a problem detail; the request body that held a password is
 * wiped once read.
 */
#include "common/common.h"

#include <strings.h>

#include "api.h"

#define COOKIE_NAME "casetrail_session"
#define COOKIE_NAME_TLS "__Host-casetrail_session"
#define CSRF_HEADER "X-CSRF-Token"
#define CHALLENGE "Bearer realm=\"casetrail\""

static const char *cookie_name(const struct server *s)
{
	return s->tls ? COOKIE_NAME_TLS : COOKIE_NAME;
}

/* Sets the session cookie to value for max_age_s seconds (0 clears it). */
static int set_cookie(const struct server *s, struct reply *r,
		      const char *value, int64_t max_age_s)
{
	return reply_header(r, MHD_HTTP_HEADER_SET_COOKIE,
			    "%s=%s; Path=/; HttpOnly; SameSite=Strict%s; "
			    "Max-Age=%" PRId64, cookie_name(s), value,
			    s->tls ? "; Secure" : "", max_age_s);
}

/* Overwrites the strings of body that carry secrets, then the raw body. */
static void wipe_secrets(struct api_call *call, const char *const *names)
{
	for (size_t i = 0; names[i]; i++) {
		json_t *v = json_object_get(call->body, names[i]);
		const char *text = json_string_value(v);

		/* The body is this request's own, and freed right after. */
		if (text)
			crypto_wipe((char *)text, strlen(text));
	}
	if (call->rq->upload.data)
		crypto_wipe(call->rq->upload.data, call->rq->upload.len);
}

int session_members(const json_t *body, const char *const *names,
		    const char *expected, struct reply *r)
{
	const char *key;
	json_t *value;

	json_object_foreach((json_t *)body, key, value) {
		size_t i = 0;

		while (names[i] && strcmp(names[i], key))
			i++;
		if (!names[i])
			return reply_rejected(reply_problem_of(
			    r, PROBLEM_VALIDATION_FAILED,
			    "member '%s' is unknown; the body takes %s", key,
			    expected));
	}
	return 0;
}

int session_string(const json_t *body, const char *name, bool required,
		   const char **out, struct reply *r)
{
	json_t *v = json_object_get(body, name);

	*out = json_string_value(v);
	if (!v && !required)
		return 0;
	if (!v)
		return reply_rejected(reply_problem_of(
		    r, PROBLEM_VALIDATION_FAILED, "member '%s' is missing",
		    name));
	if (!*out)
		return reply_rejected(reply_problem_of(
		    r, PROBLEM_VALIDATION_FAILED, "member '%s' must be a "
		    "string", name));
	return 0;
}

/* Replies 401 with the challenge and detail. */
static int unauthorized(struct reply *r, const char *detail)
{
	int rc = reply_problem_of(r, PROBLEM_UNAUTHORIZED, "%s", detail);

	r->www_authenticate = CHALLENGE;
	return rc;
}

/* Fills r for a refused sign-in or TOTP code. */
static int reply_refusal(struct reply *r, enum access_refusal why,
			 int64_t retry_ms, const struct error *e)
{
	int rc;

	switch (why) {
	case ACCESS_REFUSED_THROTTLED:
		rc = reply_problem_of(r, PROBLEM_TOO_MANY_ATTEMPTS, "%s",
				      e->msg);
		break;
	case ACCESS_REFUSED_LOCKED:
		rc = reply_problem_of(r, PROBLEM_ACCOUNT_LOCKED, "%s", e->msg);
		break;
	case ACCESS_REFUSED_DISABLED:
		return reply_problem_of(r, PROBLEM_FORBIDDEN, "%s", e->msg);
	default:
		return unauthorized(r, e->msg);
	}
	if (rc == 0)
		rc = reply_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "%" PRId64,
				  (retry_ms + 999) / 1000);
	return rc;
}

/* The roles of user's row (a new reference), or an empty array. */
static json_t *roles_of(const json_t *user)
{
	json_t *roles = json_object_get(user, "roles");

	return json_is_array(roles) ? json_incref(roles) : json_array();
}

/* The session as GET /api/v1/session returns it, with the user's roles. */
static json_t *session_json(struct server *s, const struct access_session *ss)
{
	char expires[32], idle[32];
	json_t *user = NULL, *v;
	struct error ignored = { 0 };

	cases_user_get(s->cases, ss->user, &user, &ignored);
	cases_time_format(ss->expires_ms, expires);
	cases_time_format(ss->idle_expires_ms, idle);
	v = json_pack("{s:s, s:s, s:o, s:s, s:s, s:s, s:b, s:b, s:b, s:b}",
		      "auth", "cookie", "user", ss->user, "roles",
		      roles_of(user),
		      "csrf_token", ss->csrf, "expires", expires,
		      "idle_expires", idle, "second_factor_required",
		      ss->second_factor_required, "second_factor",
		      ss->second_factor, "totp_enrolled", ss->totp_enrolled,
		      "must_change_password", ss->must_change_password);
	json_decref(user);
	return v;
}

/* --- authentication of other routes ---------------------------------------- */

int session_authenticate(struct server *s, struct MHD_Connection *c,
			 struct request *rq, struct reply *r,
			 struct error *err)
{
	const char *id, *token;
	struct error why = { 0 };
	int rc;

	id = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, cookie_name(s));
	if (!id)
		return SESSION_NONE;
	rc = access_session_get(s->access, id, &rq->session, &why);
	if (rc == CT_EPERM) {
		rc = set_cookie(s, r, "", 0);
		return rc ? rc : unauthorized(r, why.msg);
	}
	if (rc)
		return error_set(err, rc, "cannot check the session: %s",
				 why.msg);
	crypto_wipe(rq->session.id, sizeof(rq->session.id));
	if (strcmp(rq->method, MHD_HTTP_METHOD_GET) &&
	    strcmp(rq->method, MHD_HTTP_METHOD_HEAD) &&
	    strcmp(rq->method, MHD_HTTP_METHOD_OPTIONS)) {
		token = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						    CSRF_HEADER);
		if (!access_session_csrf_ok(&rq->session, token))
			return reply_problem_of(
			    r, PROBLEM_FORBIDDEN, "the request has %s "
			    CSRF_HEADER " header; send the csrf_token of the "
			    "session, as GET /api/v1/session returns it",
			    token ? "a wrong" : "no");
	}
	snprintf(rq->user, sizeof(rq->user), "%s", rq->session.user);
	return 0;
}

/* --- /api/v1/session ------------------------------------------------------- */

int create_session(struct api_call *call, struct reply *r,
		   struct error *err)
{
	static const char *const secrets[] = { "password", NULL };
	struct access_session ss;
	enum access_refusal why;
	struct error e = { 0 };
	const char *user, *password;
	int64_t retry_ms;
	int rc;

	rc = session_members(call->body, (const char *const[]){
				     "user", "password", NULL },
			     "user and password", r);
	if (rc == 0)
		rc = session_string(call->body, "user", true, &user, r);
	if (rc == 0)
		rc = session_string(call->body, "password", true, &password, r);
	if (rc) {
		wipe_secrets(call, secrets);
		return rc == CT_EINVAL ? 0 : rc;
	}
	rc = access_login(call->s->access, user, password, call->rq->remote,
			  &ss, &why, &retry_ms, &e);
	wipe_secrets(call, secrets);
	if (rc == CT_EPERM)
		return reply_refusal(r, why, retry_ms, &e);
	if (rc == CT_EBUSY)
		return reply_error(r, rc, &e);
	if (rc)
		return error_set(err, rc, "%s", e.msg);
	snprintf(call->rq->user, sizeof(call->rq->user), "%s", ss.user);
	rc = set_cookie(call->s, r, ss.id,
			(ss.expires_ms - ss.created_ms) / 1000);
	crypto_wipe(ss.id, sizeof(ss.id));
	if (rc == 0)
		rc = reply_json(r, session_json(call->s, &ss), CACHE_NONE);
	crypto_wipe(&ss, sizeof(ss));
	return rc;
}

/* Replies 400 to a session route called with a bearer token. */
static int need_cookie(const struct api_call *call, struct reply *r)
{
	if (call->rq->session.active)
		return 0;
	return reply_rejected(reply_problem(
	    r, MHD_HTTP_BAD_REQUEST, "this request was authenticated by a "
	    "bearer token, not a session cookie; sign in with POST "
	    "/api/v1/session first"));
}

int serve_session(struct api_call *call, struct reply *r, struct error *err)
{
	json_t *user = NULL;
	int rc;

	(void)err;
	if (call->rq->session.active)
		return reply_json(r, session_json(call->s, &call->rq->session),
				  CACHE_NONE);
	rc = cases_user_get(call->s->cases, call->rq->user, &user, err);
	if (rc)
		return reply_error(r, rc, err);
	rc = reply_json(r, json_pack("{s:s, s:s, s:o}", "auth", "bearer",
				     "user", call->rq->user, "roles",
				     roles_of(user)),
			CACHE_NONE);
	json_decref(user);
	return rc;
}

int delete_session(struct api_call *call, struct reply *r, struct error *err)
{
	struct error e = { 0 };
	int rc = need_cookie(call, r);

	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	rc = access_logout(call->s->access, &call->rq->session,
			   call->rq->remote, &e);
	/* A session another request ended meanwhile is ended all the same. */
	if (rc && rc != CT_ENOTFOUND)
		return error_set(err, rc, "%s", e.msg);
	call->rq->session.active = false;
	rc = set_cookie(call->s, r, "", 0);
	if (rc == 0)
		rc = reply_json(r, json_pack("{s:s, s:b}", "user",
					     call->rq->user, "signed_out", 1),
				CACHE_NONE);
	return rc;
}

int create_session_totp(struct api_call *call, struct reply *r,
			struct error *err)
{
	static const char *const secrets[] = { "code", NULL };
	enum access_refusal why;
	struct error e = { 0 };
	const char *code;
	int64_t retry_ms;
	int rc = need_cookie(call, r);

	if (rc == 0)
		rc = session_members(call->body,
				     (const char *const[]){ "code", NULL },
				     "code", r);
	if (rc == 0)
		rc = session_string(call->body, "code", true, &code, r);
	if (rc) {
		wipe_secrets(call, secrets);
		return rc == CT_EINVAL ? 0 : rc;
	}
	rc = access_session_second_factor(call->s->access, &call->rq->session,
					  code, call->rq->remote, &why,
					  &retry_ms, &e);
	wipe_secrets(call, secrets);
	if (rc == CT_EPERM && why != ACCESS_REFUSED_NONE)
		return reply_refusal(r, why, retry_ms, &e);
	if (rc)
		return reply_error(r, rc, &e) ? error_set(err, rc, "%s", e.msg)
					      : 0;
	return reply_json(r, session_json(call->s, &call->rq->session),
			  CACHE_NONE);
}

int create_session_enrolment(struct api_call *call, struct reply *r,
			     struct error *err)
{
	char secret[ACCESS_TOTP_SECRET_MAX], uri[ACCESS_TOTP_URI_MAX];
	struct error e = { 0 };
	int rc = need_cookie(call, r);

	if (rc == 0)
		rc = session_members(call->body, (const char *const[]){ NULL },
				     "no members", r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	rc = access_session_totp_enrol(call->s->access, &call->rq->session,
				       secret, uri, &e);
	if (rc == CT_EPERM)
		return reply_problem_of(r, PROBLEM_FORBIDDEN, "%s", e.msg);
	if (rc)
		return reply_error(r, rc, &e) ? error_set(err, rc, "%s", e.msg)
					      : 0;
	call->rq->session.totp_enrolled = true;
	rc = reply_json(r, json_pack("{s:s, s:s, s:s, s:i, s:i, s:s}", "user",
				     call->rq->user, "secret", secret, "uri",
				     uri, "digits", 6, "period", 30,
				     "algorithm", "SHA1"),
			CACHE_NONE);
	r->status = MHD_HTTP_CREATED;
	crypto_wipe(secret, sizeof(secret));
	crypto_wipe(uri, sizeof(uri));
	return rc;
}

int create_session_password(struct api_call *call, struct reply *r,
			    struct error *err)
{
	static const char *const secrets[] = { "old", "new", NULL };
	struct access_session *ss = &call->rq->session;
	struct error e = { 0 };
	const char *old_pw, *new_pw;
	int rc;

	rc = session_members(call->body,
			     (const char *const[]){ "old", "new", NULL },
			     "old and new", r);
	if (rc == 0)
		rc = session_string(call->body, "old", true, &old_pw, r);
	if (rc == 0)
		rc = session_string(call->body, "new", true, &new_pw, r);
	if (rc) {
		wipe_secrets(call, secrets);
		return rc == CT_EINVAL ? 0 : rc;
	}
	rc = access_password_change(call->s->access, call->rq->user, old_pw,
				    new_pw, ss->active ? ss->hash : NULL,
				    call->rq->remote, &call->actor, &e);
	wipe_secrets(call, secrets);
	if (rc == CT_EPERM)
		return reply_problem_of(r, PROBLEM_FORBIDDEN, "%s", e.msg);
	if (rc)
		return reply_error(r, rc, &e) ? error_set(err, rc, "%s", e.msg)
					      : 0;
	ss->must_change_password = false;
	if (ss->active)
		return reply_json(r, session_json(call->s, ss), CACHE_NONE);
	return reply_json(r, json_pack("{s:s, s:b}", "user", call->rq->user,
				       "must_change_password", 0),
			  CACHE_NONE);
}
