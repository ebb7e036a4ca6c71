/*
 * GET /api/v1/publicity?from=&to=&public=1: the 双公示 行政许可 file of the
 * granted licences decided from `from` to `to` (docs/publicity.md), as
 * text/csv. Like the command line, every download is an export: it
 * appends a publicity-export entry, whose seq and SHA-256 the reply's
 * headers name. Without public=1 it is the submission to the credit
 * platform, which counts against the late-publicity time limit.
 */
#include "common/common.h"

#include "api.h"
#include "deadlines/deadlines.h"
#include "publicity/publicity.h"

/* Reads a required date parameter; 400 in r when absent or malformed. */
static int query_day(struct api_call *call, const char *name, int32_t *day,
		     struct reply *r)
{
	const char *text;
	int rc = query_text(call->c, name, &text, r);

	if (rc)
		return rc;
	if (!text || day_parse(text, day) != 0)
		return reply_rejected(reply_problem_of(
		    r, PROBLEM_INVALID_PARAMETER, "parameter '%s' = '%.40s' "
		    "must be a date, YYYY-MM-DD", name, text ? text : ""));
	return 0;
}

static int add_headers(struct reply *r, const json_t *out)
{
	int rc = reply_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION,
			      "attachment; filename=\"xzxk-%s.csv\"",
			      json_string_value(json_object_get(out, "output"))
				      ?: "export");

	if (rc == 0)
		rc = reply_header(r, "Casetrail-Export-Entry", "%" PRId64,
				  (int64_t)json_integer_value(
					  json_object_get(out, "seq")));
	if (rc == 0)
		rc = reply_header(r, "Casetrail-Export-SHA256", "%s",
				  json_string_value(json_object_get(
					  out, "sha256")) ?: "");
	return rc;
}

int serve_publicity(struct api_call *call, struct reply *r,
		    struct error *err)
{
	static const char *const names[] = { "from", "to", "public", NULL };
	struct publicity_export_req req = { 0 };
	json_t *out = NULL;
	int public_view = 0;
	int rc = query_check(call->c, names, r);

	if (rc == 0)
		rc = query_day(call, "from", &req.from_day, r);
	if (rc == 0)
		rc = query_day(call, "to", &req.to_day, r);
	if (rc == 0)
		rc = query_flag(call->c, "public", &public_view, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	req.public_view = public_view;
	/* A HEAD exports nothing: it would record a file nobody received. */
	if (!strcmp(call->rq->method, MHD_HTTP_METHOD_HEAD)) {
		r->status = MHD_HTTP_OK;
		r->content_type = "text/csv; charset=utf-8; header=present";
		r->cache_control = CACHE_NONE;
		return 0;
	}
	buf_reset(&r->body);
	rc = publicity_export(call->s->access, call->who, &call->actor, &req,
			      &r->body, &out, err);
	if (rc) {
		buf_reset(&r->body);
		return reply_error(r, rc, err);
	}
	rc = add_headers(r, out);
	json_decref(out);
	if (rc)
		return rc;
	r->status = MHD_HTTP_OK;
	r->content_type = "text/csv; charset=utf-8; header=present";
	r->cache_control = CACHE_NONE;
	return 0;
}
