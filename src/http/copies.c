/*
 * Copy requests over HTTP (docs/copies.md): a party or staff on the
 * party's behalf requests copies of records of a case, the supervisory
 * department decides, and the copy set of an approved request is
 * downloaded as a tar. Every download makes a new copy set with its own
 * copy id, recorded as a copy-made entry, so that each copy handed out
 * can be traced to its request.
 *
 * The route checks the role (api.c); the handlers check the case and,
 * for a party, that the request is their own. The tar is sent from an
 * unnamed temporary file and not kept: its hashes are in the log.
 */
#include "common/common.h"

#include <unistd.h>

#include <jansson.h>

#include "access/copies.h"
#include "api.h"

/* Replies 422 unless every member of body is in names. */
static int check_members(const json_t *body, const char *const *names,
			 const char *expected, struct reply *r)
{
	const char *key;
	json_t *value;

	json_object_foreach((json_t *)body, key, value) {
		size_t i;

		for (i = 0; names[i] && strcmp(names[i], key) != 0; i++)
			;
		if (!names[i])
			return reply_rejected(reply_problem_of(
			    r, PROBLEM_VALIDATION_FAILED,
			    "member '%s' is unknown; the body takes %s", key,
			    expected));
	}
	return 0;
}

/* Reads an optional text member; 422 when it is of another type. */
static int text_member(const json_t *body, const char *name,
		       const char **out, struct reply *r)
{
	const json_t *v = json_object_get(body, name);

	*out = json_string_value(v);
	if (v && !*out && !json_is_null(v))
		return reply_rejected(reply_problem_of(
		    r, PROBLEM_VALIDATION_FAILED, "member '%s' must be a "
		    "string", name));
	return 0;
}

/* Reads "received": a date (YYYY-MM-DD) or an RFC 3339 time. */
static int read_received(const json_t *body, struct copy_request_req *req,
			 struct reply *r)
{
	const char *text;
	int rc = text_member(body, "received", &text, r);

	if (rc || !text)
		return rc;
	if (cases_time_parse(text, &req->received_ms) != 0)
		return reply_rejected(reply_problem_of(
		    r, PROBLEM_VALIDATION_FAILED, "member 'received' = '%.40s' "
		    "is not a date; give YYYY-MM-DD or an RFC 3339 time",
		    text));
	req->has_received = 1;
	return 0;
}

/* Fills r with a problem for a failed call of the copies module. */
static int copies_failed(struct reply *r, int rc, const struct error *err)
{
	return reply_error(r, rc, err);
}

int create_copy_request(struct api_call *call, struct reply *r,
			struct error *err)
{
	static const char *const names[] = {
		"records", "media", "requester", "on_behalf_of", "purpose",
		"received", NULL,
	};
	struct copy_request_req req = { .case_id = call->params[0] };
	struct access_target t = { .case_id = call->params[0] };
	json_t *out = NULL;
	bool denied;
	int rc;

	rc = api_allow(call, ACT_COPY_REQUEST, &t, r, &denied, err);
	if (rc || denied)
		return rc;
	rc = check_members(call->body, names, "records, media, requester, "
			   "on_behalf_of, purpose and received", r);
	if (rc == 0)
		rc = text_member(call->body, "requester", &req.requester, r);
	if (rc == 0)
		rc = text_member(call->body, "on_behalf_of", &req.on_behalf_of,
				 r);
	if (rc == 0)
		rc = text_member(call->body, "purpose", &req.purpose, r);
	if (rc == 0)
		rc = read_received(call->body, &req, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	req.records = json_object_get(call->body, "records");
	req.media = json_object_get(call->body, "media");
	rc = copies_request(call->s->access, call->who, &call->actor, &req,
			    &out, err);
	if (rc)
		return copies_failed(r, rc, err);
	snprintf(r->location, sizeof(r->location), "/api/v1/copy-requests/%s",
		 json_string_value(json_object_get(out, "id")) ?: "");
	rc = reply_json(r, out, CACHE_NONE);
	r->status = MHD_HTTP_CREATED;
	return rc;
}

int serve_copy_requests(struct api_call *call, struct reply *r,
			struct error *err)
{
	static const char *const names[] = {
		"case", "status", "offset", "limit", NULL,
	};
	struct copy_query q = { 0 };
	struct access_target t = { 0 };
	json_t *out = NULL;
	bool denied;
	int rc = query_check(call->c, names, r);

	if (rc == 0)
		rc = query_text(call->c, "case", &q.case_id, r);
	if (rc == 0)
		rc = query_text(call->c, "status", &q.status, r);
	if (rc == 0)
		rc = query_page(call->c, &q.offset, &q.limit, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	if (q.case_id) {
		t.case_id = q.case_id;
		rc = api_allow(call, ACT_COPY_READ, &t, r, &denied, err);
		if (rc || denied)
			return rc;
	}
	rc = copies_list(call->s->access, call->who, &q, &out, err);
	if (rc)
		return api_query_error(r, rc, err);
	return reply_json(r, out, CACHE_NONE);
}

/*
 * Reads request params[0] and checks that the caller may see it: its
 * case in their scope, and for a party their own request. Returns 0 with
 * *out set, 0 with a problem in r, or a negative code.
 */
static int visible_request(struct api_call *call, json_t **out,
			   struct reply *r, struct error *err)
{
	struct access_target t = { 0 };
	struct error why = { 0 };
	bool denied;
	int rc = copies_get(call->s->access, call->params[0], out, err);

	if (rc)
		return copies_failed(r, rc, err);
	t.case_id = json_string_value(json_object_get(*out, "case"));
	rc = api_allow(call, ACT_COPY_READ, &t, r, &denied, err);
	if (rc == 0 && !denied &&
	    copies_visible(call->s->access, call->who, *out, &why) != 0)
		rc = api_refuse(call, ACT_COPY_READ, t.case_id, &why, r);
	else if (rc == 0 && !denied)
		return 0;
	json_decref(*out);
	*out = NULL;
	return rc;
}

int serve_copy_request(struct api_call *call, struct reply *r,
		       struct error *err)
{
	json_t *out = NULL;
	int rc = visible_request(call, &out, r, err);

	if (rc || !out)
		return rc;
	return reply_json(r, out, CACHE_NONE);
}

int decide_copy_request(struct api_call *call, struct reply *r,
			struct error *err)
{
	json_t *out = NULL;
	int rc = copies_decide(call->s->access, call->who, &call->actor,
			       call->params[0], call->body, &out, err);

	if (rc)
		return copies_failed(r, rc, err);
	return reply_json(r, out, CACHE_NONE);
}

/*
 * GET /api/v1/cases/{id}/inquiry-code: the code the applicant's receipt
 * prints, for those who may read the case.
 */
int serve_inquiry_code(struct api_call *call, struct reply *r,
		       struct error *err)
{
	struct access_target t = { .case_id = call->params[0] };
	char code[INQUIRY_CODE_LEN + 1];
	bool denied;
	int rc = api_allow(call, ACT_CASE_READ, &t, r, &denied, err);

	if (rc || denied)
		return rc;
	rc = inquiry_code(call->s->access, call->params[0], code, err);
	if (rc)
		return copies_failed(r, rc, err);
	return reply_json(r, json_pack("{s:s, s:s}", "case", call->params[0],
				       "code", code), CACHE_NONE);
}

/* Adds Content-Disposition with the copy set's file name (ASCII). */
static int add_disposition(struct reply *r, const json_t *made)
{
	return reply_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION,
			    "attachment; filename=\"%s\"",
			    json_string_value(json_object_get(made, "name"))
				    ?: "copy.tar");
}

/* The headers that name the copy: its id, hashes and entry. */
static int add_copy_headers(struct reply *r, const json_t *made)
{
	int rc = reply_header(r, "Casetrail-Copy", "%s",
			      json_string_value(json_object_get(made, "copy"))
				      ?: "");

	if (rc == 0)
		rc = reply_header(r, "Casetrail-Copy-Entry", "%" PRId64,
				  (int64_t)json_integer_value(
					  json_object_get(made, "seq")));
	if (rc == 0)
		rc = reply_header(r, "Casetrail-Copy-SHA256", "%s",
				  json_string_value(json_object_get(
					  made, "sha256")) ?: "");
	return rc;
}

int serve_copy(struct api_call *call, struct reply *r, struct error *err)
{
	json_t *row = NULL, *made = NULL;
	int fd = -1, rc = visible_request(call, &row, r, err);

	if (rc || !row)
		return rc;
	json_decref(row);
	/* A HEAD makes no copy: it would record one nobody received. */
	if (!strcmp(call->rq->method, MHD_HTTP_METHOD_HEAD)) {
		r->status = MHD_HTTP_OK;
		r->content_type = "application/x-tar";
		r->cache_control = CACHE_NONE;
		return 0;
	}
	rc = copies_make(call->s->access, call->who, &call->actor,
			 call->params[0], &fd, &made, err);
	if (rc)
		return copies_failed(r, rc, err);
	rc = add_disposition(r, made);
	if (rc == 0)
		rc = add_copy_headers(r, made);
	if (rc == 0) {
		r->status = MHD_HTTP_OK;
		r->content_type = "application/x-tar";
		r->cache_control = CACHE_NONE;
		reply_file(r, fd, 0, (uint64_t)json_integer_value(
					     json_object_get(made, "size")));
	} else {
		close(fd);
	}
	json_decref(made);
	return rc;
}
