/*
 * Official documents over HTTP (docs/documents.md): the list of a case's
 * issued documents, issuing (or re-printing) one, and downloading an
 * issued PDF. Issuing needs document-issue on the case and, for a source
 * record under a mark, record-read on it with the clearance for the mark.
 */
#include "common/common.h"

#include <jansson.h>

#include "api.h"
#include "documents/documents.h"

static int parse_seq(const char *text, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!text[0] || text[0] == '-' || text[0] == '+')
		return -1;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || *end || (text[0] == '0' && text[1]))
		return -1;
	*out = v;
	return 0;
}

int serve_documents(struct api_call *call, struct reply *r, struct error *err)
{
	struct access_target t = { .case_id = call->params[0] };
	json_t *list = NULL;
	bool denied = false;
	int rc = api_allow(call, ACT_DOCUMENT_READ, &t, r, &denied, err);

	if (rc || denied)
		return rc;
	rc = documents_list(call->s->documents, call->params[0], &list, err);
	if (rc)
		return reply_error(r, rc, err);
	return reply_json(r, json_pack("{s:o}", "items", list), CACHE_NONE);
}

/* Reads {"document": KIND, "record": SEQ}; 422 for anything else. */
static int read_body(const json_t *body, const char **kind, int64_t *seq,
		     struct reply *r)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)body, key, v)
		if (strcmp(key, "document") && strcmp(key, "record"))
			return reply_rejected(
			    reply_problem_of(r, PROBLEM_VALIDATION_FAILED,
					     "member '%s' "
					     "is "
					     "unknown; "
					     "the body "
					     "takes "
					     "document "
					     "and record",
					     key));
	*kind = json_string_value(json_object_get(body, "document"));
	if (!*kind)
		return reply_rejected(reply_problem_of(
		    r, PROBLEM_VALIDATION_FAILED,
		    "member 'document' must "
		    "name a document kind, such as acceptance-notice"));
	v = json_object_get(body, "record");
	*seq = -1;
	if (v && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return reply_rejected(
			    reply_problem_of(r, PROBLEM_VALIDATION_FAILED,
					     "member 'record' "
					     "must be a record's seq"));
		*seq = json_integer_value(v);
	}
	return 0;
}

/* Sends pdf as the reply with the document's number and seq. */
static int reply_pdf(struct reply *r, struct buf *pdf, const json_t *info)
{
	int rc = reply_header(
	    r, "Content-Disposition",
	    "attachment; filename=\"%s-%" JSON_INTEGER_FORMAT ".pdf\"",
	    json_string_value(json_object_get(info, "document")) ?: "document",
	    json_integer_value(json_object_get(info, "seq")));

	if (rc == 0)
		rc = reply_header(
		    r, "X-Document-Seq", "%" JSON_INTEGER_FORMAT,
		    json_integer_value(json_object_get(info, "seq")));
	if (rc)
		return rc;
	r->status = MHD_HTTP_OK;
	r->content_type = "application/pdf";
	r->cache_control = CACHE_NONE;
	buf_release(&r->body);
	r->body = *pdf;
	memset(pdf, 0, sizeof(*pdf));
	return 0;
}

int issue_document(struct api_call *call, struct reply *r, struct error *err)
{
	struct access_target t = { .case_id = call->params[0] };
	struct buf pdf = BUF_INIT_MAX(BUF_DEFAULT_MAX);
	struct documents *d = call->s->documents;
	const char *kind;
	char target[64];
	json_t *info = NULL;
	bool denied = false;
	uint64_t source;
	int64_t seq;
	/* The case first, so that nobody learns of cases they may not see. */
	int rc = api_allow(call, ACT_DOCUMENT_ISSUE, &t, r, &denied, err);

	if (rc || denied)
		return rc;
	rc = read_body(call->body, &kind, &seq, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	rc = documents_source(d, call->params[0], kind, seq, &source, &t.mark,
			      err);
	if (rc)
		return reply_error(r, rc, err);
	if (t.mark != MARK_NONE)
		rc = api_allow(call, ACT_RECORD_READ, &t, r, &denied, err);
	if (rc || denied)
		return rc;
	rc = documents_issue(d, call->params[0], kind, (int64_t)source,
			     &call->actor, &pdf, &info, err);
	if (rc) {
		buf_release(&pdf);
		return reply_error(r, rc, err);
	}
	snprintf(target, sizeof(target), "record:%" PRIu64, source);
	rc = api_log_read(call, ACT_DOCUMENT_ISSUE, call->params[0], target,
			  t.mark, err);
	if (rc == 0)
		rc = reply_pdf(r, &pdf, info);
	buf_release(&pdf);
	json_decref(info);
	return rc;
}

int serve_document(struct api_call *call, struct reply *r, struct error *err)
{
	struct access_target t = { .case_id = call->params[0] };
	struct buf pdf = BUF_INIT_MAX(BUF_DEFAULT_MAX);
	struct documents *d = call->s->documents;
	json_t *info = NULL;
	bool denied = false;
	uint64_t seq;
	char target[64];
	int rc;

	if (parse_seq(call->params[1], &seq) != 0)
		return reply_problem_of(r, PROBLEM_INVALID_PATH,
					"'%.40s' is not a document's seq",
					call->params[1]);
	rc = api_allow(call, ACT_DOCUMENT_READ, &t, r, &denied, err);
	if (rc || denied)
		return rc;
	rc = documents_issued(d, call->params[0], seq, &pdf, &info, &t.mark,
			      err);
	if (rc) {
		buf_release(&pdf);
		return reply_error(r, rc, err);
	}
	if (t.mark != MARK_NONE)
		rc = api_allow(call, ACT_RECORD_READ, &t, r, &denied, err);
	snprintf(target, sizeof(target), "record:%" JSON_INTEGER_FORMAT,
		 json_integer_value(json_object_get(info, "source")));
	if (rc == 0 && !denied)
		rc = api_log_read(call, ACT_DOCUMENT_READ, call->params[0],
				  target, t.mark, err);
	if (rc == 0 && !denied)
		rc = reply_pdf(r, &pdf, info);
	buf_release(&pdf);
	json_decref(info);
	return rc;
}
