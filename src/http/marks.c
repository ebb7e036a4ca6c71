/*
 * Confidentiality marks and the access log over HTTP (docs/access.md):
 *
 *   POST /api/v1/records/{seq}/mark  {mark, reason}   security administrator
 *   POST /api/v1/media/{seq}/mark    {mark, reason}   security administrator
 *   GET  /api/v1/access-log?case=&user=&outcome=      security auditor
 *   GET  /api/v1/audit?user=&kind=                    security auditor
 *
 * A mark change is an entry of the log; it needs no clearance, since it
 * shows nothing of the content it protects.
 */
#include "common/common.h"

#include <jansson.h>

#include "api.h"

/* Reads {mark, reason} and changes the mark of target. */
static int set_mark(struct api_call *call, const char *what,
		    struct reply *r, struct error *err)
{
	const json_t *mark = json_object_get(call->body, "mark");
	const json_t *reason = json_object_get(call->body, "reason");
	char target[48], quoted[HTTP_QUOTE_MAX];
	struct error why = { 0 };
	enum access_mark m;
	const char *key;
	json_t *v, *out = NULL;
	uint64_t seq;
	int rc = query_check(call->c, (const char *const[]){ NULL }, r);

	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	if (http_parse_index(call->params[0], &seq) != 0)
		return reply_problem_of(r, PROBLEM_INVALID_PATH,
					"%s seq '%s' is invalid; use a decimal "
					"number without sign or leading zeros",
					what, http_quote(call->params[0], quoted,
							 sizeof(quoted)));
	json_object_foreach(call->body, key, v)
		if (strcmp(key, "mark") && strcmp(key, "reason"))
			return reply_problem_of(r, PROBLEM_VALIDATION_FAILED,
						"member '%s' is unknown; the "
						"body takes mark and reason",
						key);
	if (!json_is_string(mark) || !json_is_string(reason) ||
	    !json_string_length(reason))
		return reply_problem_of(r, PROBLEM_VALIDATION_FAILED,
					"the body needs 'mark' (none, "
					"commercial-secret, personal or "
					"sensitive-personal) and a non-empty "
					"'reason'");
	/* state-secret is invalid content here, not a refused attempt. */
	if (access_mark_parse(json_string_value(mark), &m, &why) != 0)
		return reply_problem_of(r, PROBLEM_VALIDATION_FAILED,
					"member 'mark': %s", why.msg);
	snprintf(target, sizeof(target), "%s:%" PRIu64, what, seq);
	rc = access_mark_set(call->s->access, call->who, NULL, target,
			     json_string_value(mark),
			     json_string_value(reason), &out, err);
	if (rc == CT_EPERM)
		return api_refuse(call, ACT_MARK_SET, NULL, err, r);
	if (rc)
		return reply_error(r, rc, err);
	rc = reply_json(r, out, CACHE_NONE);
	r->status = MHD_HTTP_CREATED;
	return rc;
}

int mark_record(struct api_call *call, struct reply *r, struct error *err)
{
	return set_mark(call, "record", r, err);
}

int mark_media(struct api_call *call, struct reply *r, struct error *err)
{
	return set_mark(call, "media", r, err);
}

int serve_access_log(struct api_call *call, struct reply *r,
		     struct error *err)
{
	static const char *const names[] = { "case", "user", "outcome",
					     "offset", "limit", NULL };
	struct access_log_query q = { 0 };
	json_t *out = NULL;
	int rc;

	rc = query_check(call->c, names, r);
	if (rc == 0)
		rc = query_text(call->c, "case", &q.case_id, r);
	if (rc == 0)
		rc = query_text(call->c, "user", &q.user, r);
	if (rc == 0)
		rc = query_text(call->c, "outcome", &q.outcome, r);
	if (rc == 0)
		rc = query_page(call->c, &q.offset, &q.limit, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	rc = access_log_list(call->s->access, &q, &out, err);
	if (rc)
		return api_query_error(r, rc, err);
	return reply_json(r, out, CACHE_NONE);
}

int serve_audit(struct api_call *call, struct reply *r, struct error *err)
{
	static const char *const names[] = { "user", "kind", "offset",
					     "limit", NULL };
	const char *user = NULL, *kind = NULL;
	size_t offset, limit;
	json_t *out = NULL;
	int rc;

	rc = query_check(call->c, names, r);
	if (rc == 0)
		rc = query_text(call->c, "user", &user, r);
	if (rc == 0)
		rc = query_text(call->c, "kind", &kind, r);
	if (rc == 0)
		rc = query_page(call->c, &offset, &limit, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	rc = access_audit_list(call->s->access, user, kind, offset, limit,
			       &out, err);
	if (rc)
		return api_query_error(r, rc, err);
	return reply_json(r, out, CACHE_NONE);
}
