/*
 * Request bodies of the workflow API: JSON objects of at most
 * HTTP_JSON_BODY_MAX bytes, parsed by jcs_parse, which rejects duplicate
 * keys, non-integer numbers and integers beyond 2^53 - 1, and gives the
 * line and column of a syntax error.
 *
 * Type and declared length are checked as soon as the header is in. A
 * body over the limit, or the body of a request rejected for another
 * reason, is still read, up to DRAIN_MAX, and dropped before the reply.
 * A client that sends the whole body before it reads the reply would
 * otherwise see the connection reset instead of the problem.
 */
#include "common/common.h"

#include <strings.h>

#include <jansson.h>

#include "api.h"
#include "common/jcs.h"
#include "common/log.h"

/* Returns whether the media type of a Content-Type is application/json. */
static bool is_json_type(const char *type)
{
	static const char json[] = "application/json";
	size_t len = strcspn(type, "; \t");

	return len == sizeof(json) - 1 && !strncasecmp(type, json, len);
}

static int reply_too_big(struct reply *r)
{
	return reply_problem_of(r, PROBLEM_BODY_TOO_LARGE,
				"the request body is larger than %zu bytes "
				"(1 MiB), the limit for JSON bodies; send "
				"less, and attachments apart from the record",
				HTTP_JSON_BODY_MAX);
}

bool body_drainable(struct MHD_Connection *c)
{
	const char *expect, *length;
	uint64_t declared = 0;

	expect = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					     MHD_HTTP_HEADER_EXPECT);
	if (expect && !strcasecmp(expect, "100-continue"))
		return false;
	length = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					     MHD_HTTP_HEADER_CONTENT_LENGTH);
	return !length || (http_parse_index(length, &declared) == 0 &&
			   declared <= DRAIN_MAX);
}

int body_begin(struct MHD_Connection *c, struct request *rq,
	       struct reply *r)
{
	char quoted[HTTP_QUOTE_MAX];
	const char *type, *length;
	uint64_t declared = 0;

	type = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					   MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!type || !is_json_type(type))
		return reply_problem_of(
		    r, PROBLEM_UNSUPPORTED_MEDIA_TYPE,
		    "Content-Type '%s' is not supported; send the body as "
		    "application/json",
		    http_quote(type ? type : "", quoted, sizeof(quoted)));

	buf_init(&rq->upload, HTTP_JSON_BODY_MAX);
	rq->upload_open = true;
	length = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					     MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (!length || http_parse_index(length, &declared) ||
	    declared <= HTTP_JSON_BODY_MAX)
		return ROUTE_CONTINUE;
	if (!body_drainable(c))
		return reply_too_big(r);
	rq->upload_too_big = true;
	return ROUTE_CONTINUE;
}

enum MHD_Result body_receive(struct request *rq, const char *data,
			     size_t size)
{
	char target[HTTP_QUOTE_MAX];
	int rc;

	if (rq->file_open || rq->file_too_big)
		return upload_receive(rq, data, size);
	if (rq->tus_patch)
		return tus_patch_receive(rq, data, size);
	if (rq->form)
		return media_form_receive(rq, data, size);
	rq->upload_seen += size;
	if (rq->upload_open && !rq->upload_too_big) {
		rc = buf_append(&rq->upload, data, size);
		if (rc == CT_ETOOBIG) {
			rq->upload_too_big = true;
			buf_release(&rq->upload);
		} else if (rc) {
			log_error("http", "out of memory for a request body",
				  "bytes=%" PRIu64, rq->upload_seen);
			return MHD_NO;
		}
	}
	if ((!rq->upload_open || rq->upload_too_big) &&
	    rq->upload_seen > DRAIN_MAX) {
		log_warn("http", "closing a connection whose request body "
			 "is too large to drain", "target=%s bytes=%" PRIu64,
			 log_quote(rq->target, target, sizeof(target)),
			 rq->upload_seen);
		return MHD_NO;
	}
	return MHD_YES;
}

int body_parse(struct request *rq, json_t **out, struct reply *r)
{
	struct error perr = { 0 };
	json_t *v;

	*out = NULL;
	if (rq->upload_too_big)
		return reply_rejected(reply_too_big(r));
	v = jcs_parse(rq->upload.data, rq->upload.len, &perr);
	if (!v && perr.code == CT_ENOMEM)
		return CT_ENOMEM;
	if (!v)
		return reply_rejected(reply_problem_of(
		    r, PROBLEM_INVALID_JSON, "the request body is not "
		    "acceptable JSON: %s", perr.msg));
	if (!json_is_object(v)) {
		json_decref(v);
		return reply_rejected(reply_problem_of(
		    r, PROBLEM_VALIDATION_FAILED,
		    "the request body must be a JSON object"));
	}
	*out = v;
	return 0;
}
