/*
 * Routing of the workflow API: /api/v1/{matters, record-kinds, laws,
 * calendar, deadline, users, cases, records, findings, uploads, media,
 * session}. Every route but the tus OPTIONS and signing in needs
 * "Authorization: Bearer <token>" or a session cookie (session.c), and
 * the token's or the session's user is the actor of whatever the request
 * records. Tokens and cookies are never echoed or logged.
 *
 * Paths are split into segments before they are decoded, so that an
 * escaped "/" (%2F) stays inside its segment. A segment "." or "..",
 * plain or escaped, a bad escape, an escaped NUL and invalid UTF-8 are
 * rejected with a 400 that names the segment. Checks run in this order:
 * path, route, method, token, then the body's type and length.
 */
#include "common/common.h"

#include <strings.h>

#include <jansson.h>

#include "api.h"
#include "common/jcs.h"
#include "common/log.h"
#include "http.h"
#include "witness_server.h"

#define API_PREFIX "/api/v1/"

/* "Bearer" and the realm; RFC 6750 adds error="invalid_token". */
#define BEARER_MISSING "Bearer realm=\"casetrail\""
#define BEARER_INVALID "Bearer realm=\"casetrail\", error=\"invalid_token\""

static const struct api_route api_routes[] = {
    {"GET", {"matters"}, GROUP_CATALOGUE, serve_matters,
     .action = ACT_CATALOGUE_READ},
    {"GET", {"matters", "*"}, GROUP_CATALOGUE, serve_matter,
     .action = ACT_CATALOGUE_READ},
    {"GET", {"record-kinds"}, GROUP_CATALOGUE, serve_kinds,
     .action = ACT_CATALOGUE_READ},
    {"GET", {"record-kinds", "*"}, GROUP_CATALOGUE, serve_kind,
     .action = ACT_CATALOGUE_READ},
    {"GET", {"laws"}, GROUP_CATALOGUE, serve_laws,
     .action = ACT_CATALOGUE_READ},
    {"GET", {"laws", "*"}, GROUP_CATALOGUE, serve_law,
     .action = ACT_CATALOGUE_READ},
    {"GET", {"calendar"}, GROUP_CATALOGUE, serve_calendar,
     .action = ACT_CATALOGUE_READ},
    {"GET", {"deadline"}, GROUP_CATALOGUE, serve_deadline,
     .action = ACT_CATALOGUE_READ},
    {"GET", {"users"}, GROUP_USERS, serve_users, .action = ACT_STAFF_READ},
    {"GET", {"users", "*"}, GROUP_USERS, serve_user, .action = ACT_STAFF_READ},
    {"GET", {"cases"}, GROUP_CASES, serve_cases, .action = ACT_CASE_LIST},
    {"POST", {"cases"}, GROUP_CASES, create_case, .action = ACT_CASE_CREATE},
    {"GET", {"cases", "*"}, GROUP_CASES, serve_case, .action = ACT_CASE_READ},
    {"GET", {"cases", "*", "records"}, GROUP_RECORDS, serve_timeline,
     .action = ACT_CASE_READ},
    {"POST", {"cases", "*", "records"}, GROUP_RECORDS, add_record,
     .action = ACT_RECORD_ADD},
    {"GET", {"records", "*"}, GROUP_RECORDS, serve_record,
     .action = ACT_RECORD_READ},
    {"POST", {"records", "*", "corrections"}, GROUP_RECORDS,
     correct_record, .action = ACT_RECORD_CORRECT},
    {"GET", {"records", "*", "signatures"}, GROUP_RECORDS, serve_signatures,
     .action = ACT_CASE_READ},
    {"POST", {"records", "*", "signatures"}, GROUP_RECORDS, create_signature,
     .secret_body = true, .action = ACT_RECORD_ADD},
    {"GET", {"staff-keys"}, GROUP_USERS, serve_staff_keys,
     .action = ACT_STAFF_READ},
    {"GET", {"staff-keys", "*"}, GROUP_USERS, serve_staff_key,
     .action = ACT_STAFF_READ},
    {"POST", {"staff-keys", "*", "revocation"}, GROUP_USERS,
     revoke_staff_key, .action = ACT_KEY_REVOKE},
    {"GET", {"findings"}, GROUP_FINDINGS, serve_findings,
     .action = ACT_FINDINGS_READ},
    {"GET", {"witness"}, GROUP_FINDINGS, serve_witness,
     .action = ACT_FINDINGS_READ},
    {"GET", {"findings", "rules"}, GROUP_FINDINGS, serve_finding_rules,
     .action = ACT_CATALOGUE_READ},
    {"GET", {"warnings"}, GROUP_FINDINGS, serve_warnings,
     .action = ACT_CASE_LIST},
    {"GET", {"digest"}, GROUP_FINDINGS, serve_digest, .action = ACT_SELF},
    {"POST", {"uploads"}, GROUP_UPLOADS, create_upload, .file_body = true,
     .action = ACT_UPLOAD},
    {"GET", {"media"}, GROUP_MEDIA, serve_media_list,
     .action = ACT_MEDIA_READ},
    {"POST", {"media"}, GROUP_MEDIA, create_media,
     .begin = media_form_begin, .action = ACT_MEDIA_INGEST},
    {"OPTIONS", {"media", "tus"}, GROUP_MEDIA, tus_options,
     .anonymous = true, .action = ACT_PUBLIC},
    {"POST", {"media", "tus"}, GROUP_MEDIA, tus_create,
     .begin = tus_create_begin, .action = ACT_MEDIA_INGEST},
    {"OPTIONS", {"media", "tus", "*"}, GROUP_MEDIA, tus_options,
     .anonymous = true, .action = ACT_PUBLIC},
    {"HEAD", {"media", "tus", "*"}, GROUP_MEDIA, tus_head,
     .action = ACT_MEDIA_INGEST},
    {"PATCH", {"media", "tus", "*"}, GROUP_MEDIA, tus_patch,
     .begin = tus_patch_begin, .action = ACT_MEDIA_INGEST},
    {"DELETE", {"media", "tus", "*"}, GROUP_MEDIA, tus_delete,
     .action = ACT_MEDIA_INGEST},
    {"GET", {"media", "*"}, GROUP_MEDIA, serve_media,
     .action = ACT_MEDIA_READ},
    {"GET", {"media", "*", "custody"}, GROUP_MEDIA, serve_media_custody,
     .action = ACT_MEDIA_READ},
    {"POST", {"media", "*", "links"}, GROUP_MEDIA, link_media,
     .action = ACT_MEDIA_LINK},
    {"POST", {"media", "*", "capture"}, GROUP_MEDIA, state_media_capture,
     .action = ACT_MEDIA_LINK},
    {"POST", {"media", "*", "justification"}, GROUP_MEDIA, justify_media,
     .action = ACT_MEDIA_LINK},
    {"GET", {"media", "*", "content"}, GROUP_MEDIA, serve_media_content,
     .action = ACT_MEDIA_CONTENT},
    {"GET", {"media", "*", "thumbnail"}, GROUP_MEDIA,
     serve_media_thumbnail, .action = ACT_MEDIA_CONTENT},
    {"POST", {"cases", "*", "copy-requests"}, GROUP_COPIES,
     create_copy_request, .action = ACT_COPY_REQUEST},
    {"GET", {"copy-requests"}, GROUP_COPIES, serve_copy_requests,
     .action = ACT_COPY_READ},
    {"GET", {"copy-requests", "*"}, GROUP_COPIES, serve_copy_request,
     .action = ACT_COPY_READ},
    {"POST", {"copy-requests", "*", "decision"}, GROUP_COPIES,
     decide_copy_request, .action = ACT_COPY_DECIDE},
    {"GET", {"copy-requests", "*", "copy"}, GROUP_COPIES, serve_copy,
     .action = ACT_COPY_READ},
    {"GET", {"cases", "*", "inquiry-code"}, GROUP_COPIES,
     serve_inquiry_code, .action = ACT_CASE_READ},
    {"GET", {"cases", "*", "documents"}, GROUP_CASES, serve_documents,
     .action = ACT_DOCUMENT_READ},
    {"POST", {"cases", "*", "documents"}, GROUP_CASES, issue_document,
     .action = ACT_DOCUMENT_ISSUE},
    {"GET", {"cases", "*", "documents", "*"}, GROUP_CASES, serve_document,
     .action = ACT_DOCUMENT_READ},
    {"POST", {"cases", "*", "case-file"}, GROUP_CASES, seal_case_file,
     .action = ACT_CASE_FILE_SEAL},
    {"GET", {"cases", "*", "case-files"}, GROUP_CASES, serve_case_files,
     .action = ACT_CASE_FILE_READ},
    {"GET", {"publicity"}, GROUP_CASES, serve_publicity,
     .action = ACT_PUBLICITY_EXPORT},
    {"GET", {"reports"}, GROUP_CASES, serve_reports,
     .action = ACT_REPORT_READ},
    {"GET", {"reports", "annual"}, GROUP_CASES, serve_annual_report,
     .action = ACT_REPORT_READ},
    {"GET", {"cases", "*", "review"}, GROUP_CASES, serve_review,
     .action = ACT_CASE_REVIEW},
    {"POST", {"records", "*", "mark"}, GROUP_RECORDS, mark_record,
     .action = ACT_MARK_SET},
    {"POST", {"media", "*", "mark"}, GROUP_MEDIA, mark_media,
     .action = ACT_MARK_SET},
    {"GET", {"access-log"}, GROUP_USERS, serve_access_log,
     .action = ACT_AUDIT_READ},
    {"GET", {"audit"}, GROUP_USERS, serve_audit, .action = ACT_AUDIT_READ},
    {"POST", {"session"}, GROUP_USERS, create_session, .anonymous = true,
     .secret_body = true, .action = ACT_PUBLIC},
    {"GET", {"session"}, GROUP_USERS, serve_session, .action = ACT_SELF},
    {"DELETE", {"session"}, GROUP_USERS, delete_session,
     .action = ACT_SELF},
    {"POST", {"session", "totp"}, GROUP_USERS, create_session_totp,
     .secret_body = true, .action = ACT_SELF},
    {"POST", {"session", "totp", "enrolment"}, GROUP_USERS,
     create_session_enrolment, .action = ACT_SELF},
    {"POST", {"session", "password"}, GROUP_USERS, create_session_password,
     .secret_body = true, .action = ACT_SELF},
    {"POST", {"users"}, GROUP_USERS, create_user,
     .action = ACT_ACCOUNT_ADMIN},
    {"GET", {"users", "*", "account"}, GROUP_USERS, serve_user_account,
     .action = ACT_ACCOUNT_ADMIN},
    {"POST", {"users", "*", "password"}, GROUP_USERS, reset_user_password,
     .action = ACT_ACCOUNT_ADMIN},
    {"POST", {"users", "*", "disable"}, GROUP_USERS, disable_user,
     .action = ACT_ACCOUNT_ADMIN},
    {"POST", {"users", "*", "enable"}, GROUP_USERS, enable_user,
     .action = ACT_ACCOUNT_ADMIN},
    {"DELETE", {"users", "*", "totp"}, GROUP_USERS, reset_user_totp,
     .action = ACT_ACCOUNT_ADMIN},
    {"POST", {"users", "*", "roles"}, GROUP_USERS, grant_user_role,
     .action = ACT_GRANT},
    {"DELETE", {"users", "*", "roles", "*"}, GROUP_USERS, revoke_user_role,
     .action = ACT_GRANT},
    {"POST", {"users", "*", "unit"}, GROUP_USERS, set_user_unit,
     .action = ACT_GRANT},
    {"POST", {"users", "*", "clearance"}, GROUP_USERS, set_user_clearance,
     .action = ACT_GRANT},
};

json_t *http_api_routes(void)
{
	json_t *list = json_array();

	for (size_t i = 0; list && i < ARRAY_SIZE(api_routes); i++) {
		const struct api_route *rt = &api_routes[i];
		char path[256] = "/api/v1";
		size_t used = strlen(path);

		for (size_t j = 0; rt->segments[j]; j++)
			used += (size_t)snprintf(path + used, sizeof(path) - used,
						 "/%s", rt->segments[j]);
		if (json_array_append_new(list, json_pack(
			    "{s:s, s:s, s:s, s:b}", "method", rt->method, "path",
			    path, "action", access_action_name(rt->action),
			    "anonymous", rt->anonymous)) != 0) {
			json_decref(list);
			list = NULL;
		}
	}
	return list;
}

bool api_path(const char *path)
{
	size_t len;

	if (strncmp(path, API_PREFIX, strlen(API_PREFIX)) != 0)
		return false;
	path += strlen(API_PREFIX);
	len = strcspn(path, "/");
	for (size_t i = 0; i < ARRAY_SIZE(api_routes); i++) {
		const char *first = api_routes[i].segments[0];

		if (strlen(first) == len && !strncmp(path, first, len))
			return true;
	}
	return false;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decodes the len bytes of one segment into out (NUL-terminated). Returns
 * NULL when it is acceptable, else the reason it is not.
 */
static const char *decode_segment(const char *s, size_t len, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int hi, lo;

		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		if (i + 2 >= len)
			return "has an invalid percent-escape";
		hi = hex_digit(s[i + 1]);
		lo = hex_digit(s[i + 2]);
		if (hi < 0 || lo < 0)
			return "has an invalid percent-escape";
		if (hi == 0 && lo == 0)
			return "contains an escaped NUL byte (%00)";
		out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	out[o] = '\0';
	if (!strcmp(out, ".") || !strcmp(out, ".."))
		return "is a relative segment, which no resource has";
	if (strchr(out, '/'))
		return "contains an escaped '/'";
	if (!jcs_utf8_valid(out, o))
		return "is not valid UTF-8";
	return NULL;
}

/*
 * Splits the path after /api/v1/ into decoded segments in rq->decoded.
 * Returns the number of segments (API_SEGMENTS_MAX + 1 when there are
 * more), or -1 with a 400 in r.
 */
static int split_path(struct request *rq, const char **segs,
		      struct reply *r)
{
	const char *p = rq->path + strlen(API_PREFIX);
	char *out = rq->decoded, quoted[HTTP_QUOTE_MAX];
	int n = 0;

	for (;;) {
		size_t len = strcspn(p, "/");
		const char *reason = decode_segment(p, len, out);

		if (reason) {
			char segment[HTTP_QUOTE_MAX];
			size_t cut = len < sizeof(segment) ? len
							  : sizeof(segment) - 1;

			memcpy(segment, p, cut);
			segment[cut] = '\0';
			reply_problem_of(r, PROBLEM_INVALID_PATH,
					 "path segment '%s' %s",
					 http_quote(segment, quoted,
						    sizeof(quoted)),
					 reason);
			return -1;
		}
		if (n < API_SEGMENTS_MAX + 1)
			segs[n++] = out;
		out += strlen(out) + 1;
		if (!p[len])
			return n;
		p += len + 1;
	}
}

/* Matches segs against rt, collecting its parameters. */
static bool match_route(const struct api_route *rt, const char **segs, int n,
			const char **params)
{
	int i, nparams = 0;

	for (i = 0; i < n && rt->segments[i]; i++) {
		if (!segs[i][0])
			return false;
		if (strcmp(rt->segments[i], "*") == 0)
			params[nparams++] = segs[i];
		else if (strcmp(rt->segments[i], segs[i]) != 0)
			return false;
	}
	return i == n && !rt->segments[i];
}

/* Adds method to the Allow list in allow, once. */
static void allow_method(char *allow, size_t n, const char *method)
{
	size_t used = strlen(allow);

	if (!strcmp(method, "GET"))
		method = "GET, HEAD";
	if (strstr(allow, method))
		return;
	snprintf(allow + used, n - used, "%s%s", used ? ", " : "", method);
}

/* Returns whether route method serves request method: GET serves HEAD. */
static bool method_matches(const char *route, const char *method)
{
	if (!strcmp(route, method))
		return true;
	return !strcmp(method, MHD_HTTP_METHOD_HEAD) &&
	       !strcmp(route, MHD_HTTP_METHOD_GET);
}

/*
 * Finds the route of rq's path and method. Returns 0 with rq->api set, or
 * with a 400, 404 or 405 in r.
 */
static int find_api_route(struct request *rq, struct reply *r)
{
	const char *segs[API_SEGMENTS_MAX + 1], *params[API_PARAMS_MAX];
	char quoted[HTTP_QUOTE_MAX], path[HTTP_QUOTE_MAX];
	char *allow = r->allow_list;
	int n = split_path(rq, segs, r);

	if (n < 0)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(api_routes); i++) {
		const struct api_route *rt = &api_routes[i];

		if (!match_route(rt, segs, n, params))
			continue;
		rq->group = rt->group;
		if (!method_matches(rt->method, rq->method)) {
			allow_method(allow, sizeof(r->allow_list),
				     rt->method);
			continue;
		}
		rq->api = rt;
		memcpy(rq->params, params, sizeof(params));
		return 0;
	}
	if (!allow[0])
		return reply_problem(r, MHD_HTTP_NOT_FOUND,
				     "no resource at '%s'; see docs/api.md for "
				     "the resources under /api/v1",
				     http_quote(rq->path, quoted,
						sizeof(quoted)));
	r->allow = allow;
	return reply_problem(r, MHD_HTTP_METHOD_NOT_ALLOWED,
			     "method '%s' is not allowed on '%s'; use %s",
			     http_quote(rq->method, quoted, sizeof(quoted)),
			     http_quote(rq->path, path, sizeof(path)), allow);
}

static int reply_unauthorized(struct reply *r, const char *challenge,
			      const char *detail)
{
	int rc = reply_problem_of(r, PROBLEM_UNAUTHORIZED, "%s", detail);

	r->www_authenticate = challenge;
	return rc;
}

/*
 * Checks the bearer token, or without an Authorization header the
 * session cookie (session.c), and stores its user in rq->user. Returns 0
 * with rq->user set or a 401 (or a 403 for a missing CSRF token) in r,
 * or a negative code when the check failed.
 */
static int authenticate(struct server *s, struct MHD_Connection *c,
			struct request *rq, struct reply *r,
			struct error *err)
{
	struct error token_err = { 0 };
	const char *header, *token;
	int rc;

	header = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					     MHD_HTTP_HEADER_AUTHORIZATION);
	if (!header) {
		rc = session_authenticate(s, c, rq, r, err);
		if (rc != SESSION_NONE)
			return rc;
		return reply_unauthorized(
		    r, BEARER_MISSING,
		    "the request has no Authorization header and no session "
		    "cookie; send 'Authorization: Bearer TOKEN' with a token "
		    "from 'casetrail token create', or sign in with POST "
		    "/api/v1/session");
	}
	if (strncasecmp(header, "Bearer", 6) != 0 ||
	    (header[6] != ' ' && header[6] != '\0'))
		return reply_unauthorized(
		    r, BEARER_MISSING,
		    "the Authorization header does not use the Bearer "
		    "scheme; send 'Authorization: Bearer TOKEN'");
	for (token = header + 6; *token == ' '; token++)
		;
	if (!*token)
		return reply_unauthorized(
		    r, BEARER_MISSING,
		    "the Authorization header has no token after 'Bearer'; "
		    "send 'Authorization: Bearer TOKEN'");
	rc = cases_token_user(s->cases, token, rq->user, sizeof(rq->user),
			      &token_err);
	if (rc == CT_EPERM || rc == CT_ENOTFOUND || rc == CT_EINVAL) {
		rq->user[0] = '\0';
		return reply_unauthorized(
		    r, BEARER_INVALID,
		    "the bearer token is invalid, expired or revoked; "
		    "create a new one with 'casetrail token create'");
	}
	/* token_err's message is not passed on: it might quote the token. */
	if (rc)
		return error_set(err, rc, "cannot check the bearer token: %s",
				 ct_strerror(rc));
	return 0;
}

/*
 * Records a refused request in the access log, target naming the
 * request. The refusal stands when it cannot be recorded, which is
 * logged.
 */
static void log_refusal(struct server *s, struct request *rq,
			enum access_action act, const char *case_id,
			const char *reason)
{
	struct principal anonymous = { 0 };
	const struct principal *p = &rq->who;
	struct access_event ev = { .action = act, .case_id = case_id,
				   .refused = true, .reason = reason };
	struct error err = { 0 };
	char target[HTTP_QUOTE_MAX + 16], path[HTTP_QUOTE_MAX];

	/* A principal that failed to load is named by the token's user. */
	if (!p->user[0]) {
		snprintf(anonymous.user, sizeof(anonymous.user), "%s",
			 rq->user);
		snprintf(anonymous.addr, sizeof(anonymous.addr), "%s",
			 rq->remote);
		p = &anonymous;
	}
	snprintf(target, sizeof(target), "%s %s", rq->method,
		 http_quote(rq->path, path, sizeof(path)));
	ev.target = target;
	if (access_log(s->access, p, &ev, &err) != 0)
		log_error("http", "refusal not recorded", "user=%s code=%d",
			  p->user, err.code);
}

/*
 * Loads the principal of rq->user and asks the policy whether its roles
 * allow the route's action at all; the case and the mark are checked by
 * the handler once it knows them (api_allow). Every refusal is recorded
 * in the access log. Returns ROUTE_CONTINUE, 0 with a 403 in r, or a
 * negative code.
 */
static int authorize(struct server *s, struct request *rq, struct reply *r,
		     struct error *err)
{
	struct error why = { 0 };
	int rc;

	/* A request whose body was drained is routed a second time. */
	principal_release(&rq->who);
	rc = access_principal(s->access, rq->user, rq->remote, &rq->who, &why);

	if (rc == CT_EPERM || rc == CT_ENOTFOUND) {
		memset(&rq->who, 0, sizeof(rq->who));
		log_refusal(s, rq, rq->api->action, NULL, why.msg);
		return reply_problem_of(r, PROBLEM_FORBIDDEN, "%s", why.msg);
	}
	if (rc)
		return error_set(err, rc, "%s", why.msg);
	rq->who.cookie = rq->session.active;
	rq->who.second_factor = rq->session.second_factor;
	rc = access_session_limit(&rq->session, rq->api->action, &why);
	/* A token skips the second factor the administrators must give. */
	if (rc == 0 && !rq->session.active && (rq->who.roles & ROLES_ADMIN) &&
	    rq->api->action != ACT_PUBLIC)
		rc = error_set(&why, CT_EPERM, "'%s' holds an administration "
			       "role and must sign in with a password and a "
			       "TOTP code; bearer tokens are not accepted "
			       "for administrators", rq->user);
	if (rc == 0)
		rc = access_decide(s->access, &rq->who, rq->api->action, NULL,
				   &why);
	if (rc == CT_EPERM) {
		log_refusal(s, rq, rq->api->action, NULL, why.msg);
		return reply_problem_of(r, PROBLEM_FORBIDDEN, "%s", why.msg);
	}
	return rc ? error_set(err, rc, "%s", why.msg) : ROUTE_CONTINUE;
}

int api_allow(struct api_call *call, enum access_action act,
	      const struct access_target *t, struct reply *r, bool *denied,
	      struct error *err)
{
	struct error why = { 0 };
	int rc = access_decide(call->s->access, &call->rq->who, act, t, &why);

	*denied = false;
	if (rc == CT_EPERM) {
		*denied = true;
		log_refusal(call->s, call->rq, act, t ? t->case_id : NULL,
			    why.msg);
		return reply_problem_of(r, PROBLEM_FORBIDDEN, "%s", why.msg);
	}
	if (rc == CT_ENOTFOUND) {
		*denied = true;
		return reply_problem_of(r, PROBLEM_NOT_FOUND, "%s", why.msg);
	}
	return rc ? error_set(err, rc, "%s", why.msg) : 0;
}

int api_refuse(struct api_call *call, enum access_action act,
	       const char *case_id, const struct error *why, struct reply *r)
{
	log_refusal(call->s, call->rq, act, case_id, why->msg);
	return reply_problem_of(r, PROBLEM_FORBIDDEN, "%s", why->msg);
}

void api_log_refusal(struct api_call *call, enum access_action act,
		     const char *case_id, const char *reason)
{
	log_refusal(call->s, call->rq, act, case_id, reason);
}

int api_log_read(struct api_call *call, enum access_action act,
		 const char *case_id, const char *target,
		 enum access_mark mark, struct error *err)
{
	struct access_event ev = { .action = act, .case_id = case_id,
				   .target = target, .mark = mark };

	/* A HEAD reply carries no content, so nothing was read. */
	if (mark == MARK_NONE ||
	    !strcmp(call->rq->method, MHD_HTTP_METHOD_HEAD))
		return 0;
	return access_log(call->s->access, &call->rq->who, &ev, err);
}

int api_begin(struct server *s, struct MHD_Connection *c,
	      struct request *rq, struct reply *r, struct error *err)
{
	int rc = find_api_route(rq, r);

	if (rc || !rq->api)
		return rc;
	/* An anonymous POST (signing in) takes a JSON body all the same. */
	if (rq->api->anonymous)
		return strcmp(rq->api->method, MHD_HTTP_METHOD_POST)
			       ? ROUTE_CONTINUE
			       : body_begin(c, rq, r);
	rc = authenticate(s, c, rq, r, err);
	if (rc || !rq->user[0])
		return rc;
	rc = authorize(s, rq, r, err);
	if (rc != ROUTE_CONTINUE)
		return rc;
	if (rq->api->file_body)
		return upload_begin(s, c, rq, r, err);
	if (rq->api->begin)
		return rq->api->begin(s, c, rq, r, err);
	if (!strcmp(rq->api->method, MHD_HTTP_METHOD_POST))
		return body_begin(c, rq, r);
	return ROUTE_CONTINUE;
}

int api_finish(struct server *s, struct MHD_Connection *c,
	       struct request *rq, struct reply *r, struct error *err)
{
	struct api_call call = {
		.s = s,
		.c = c,
		.rq = rq,
		.params = rq->params,
		.actor = { rq->user, NULL },
		.who = &rq->who,
	};
	int rc;

	if (!strcmp(rq->api->method, MHD_HTTP_METHOD_POST) &&
	    !rq->api->file_body && !rq->api->begin) {
		rc = body_parse(rq, &call.body, r);
		if (rc && rq->api->secret_body && rq->upload.data)
			crypto_wipe(rq->upload.data, rq->upload.len);
		/* The parser's message may quote the secret it choked on. */
		if (rc == CT_EINVAL && rq->api->secret_body)
			return reply_problem_of(r, PROBLEM_INVALID_JSON,
						"the request body is not a "
						"valid JSON object");
		if (rc)
			return rc == CT_EINVAL ? 0 : rc;
	}
	rc = rq->api->handler(&call, r, err);
	json_decref(call.body);
	access_session_touch(s->access, &rq->session);
	return rc;
}

int api_query_error(struct reply *r, int code, const struct error *err)
{
	if (code != CT_EINVAL && code != CT_ENOTFOUND)
		return reply_error(r, code, err);
	return reply_problem_of(r, PROBLEM_INVALID_PARAMETER, "%s",
				err->msg[0] ? err->msg : ct_strerror(code));
}

const json_t *api_items(const json_t *v, const char *member)
{
	if (json_is_array(v))
		return v;
	v = json_object_get(v, member);
	return json_is_array(v) ? v : NULL;
}

const json_t *api_find(const json_t *items, const char *key,
		       const char *value)
{
	size_t i;
	json_t *item;

	json_array_foreach(items, i, item)
	{
		const char *text = json_string_value(json_object_get(item, key));

		if (text && !strcmp(text, value))
			return item;
	}
	return NULL;
}
