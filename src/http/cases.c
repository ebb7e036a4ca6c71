/*
 * Cases and findings: the case list with its filters, opening a case,
 * one case with its ETag, its timeline of records, and the findings.
 *
 * GET /api/v1/cases/{id} is the hot path. The bytes come from
 * cases_show_json's cache and move into the response without a copy,
 * and the ETag is the seq of the case's last entry, so a client that has
 * the current version gets a 304 without a body.
 */
#include "common/common.h"

#include <jansson.h>

#include "api.h"

int serve_cases(struct api_call *call, struct reply *r, struct error *err)
{
	static const char *const names[] = { "stage", "matter", "q",
					     "overdue", "due-within", "open",
					     "offset", "limit", NULL };
	struct case_query q = { .due_within = -1 };
	uint64_t due_within;
	bool has_due = false;
	int rc;

	rc = query_check(call->c, names, r);
	if (rc == 0)
		rc = query_text(call->c, "stage", &q.stage, r);
	if (rc == 0)
		rc = query_text(call->c, "matter", &q.matter, r);
	if (rc == 0)
		rc = query_text(call->c, "q", &q.q, r);
	if (rc == 0)
		rc = query_flag(call->c, "overdue", &q.overdue, r);
	if (rc == 0)
		rc = query_number(call->c, "due-within", 3650, &due_within,
				  &has_due, r);
	if (rc == 0)
		rc = query_flag(call->c, "open", &q.open_only, r);
	if (rc == 0)
		rc = query_page(call->c, &q.offset, &q.limit, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	if (has_due)
		q.due_within = (int)due_within;

	rc = cases_list_json(call->s->cases, &q, &r->body, err);
	if (rc)
		return api_query_error(r, rc, err);
	r->content_type = "application/json";
	r->cache_control = CACHE_NONE;
	r->status = MHD_HTTP_OK;
	return 0;
}

/* Appends s to out with every byte outside RFC 3986 unreserved escaped. */
static void percent_encode(const char *s, char *out, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = strlen(out);

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		bool plain = (*p >= 'a' && *p <= 'z') ||
			     (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9') || strchr("-._~", *p);

		if (o + 4 > n)
			break;
		if (plain) {
			out[o++] = (char)*p;
			continue;
		}
		out[o++] = '%';
		out[o++] = hex[*p >> 4];
		out[o++] = hex[*p & 0xf];
	}
	out[o] = '\0';
}

int create_case(struct api_call *call, struct reply *r, struct error *err)
{
	json_t *out = NULL;
	const char *id;
	int rc;

	rc = query_check(call->c, (const char *const[]){ NULL }, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	rc = cases_new(call->s->cases, call->body, &call->actor, &out, err);
	/* Nothing in this path can be missing: an unknown matter is bad input. */
	if (rc == CT_ENOTFOUND)
		rc = CT_EINVAL;
	if (rc)
		return reply_error(r, rc, err);

	id = json_string_value(json_object_get(out, "id"));
	if (!id) {
		json_decref(out);
		return error_set(err, CT_ECORRUPT, "cases_new returned a case "
				 "without an id");
	}
	snprintf(r->location, sizeof(r->location), "/api/v1/cases/");
	percent_encode(id, r->location, sizeof(r->location));
	rc = reply_json(r, out, CACHE_NONE);
	r->status = MHD_HTTP_CREATED;
	return rc;
}

/*
 * Returns whether an If-None-Match value matches etag: "*", or a list of
 * entity tags compared weakly (a W/ prefix is ignored), as RFC 9110
 * section 13.1.2 specifies.
 */
static bool etag_matches(const char *header, const char *etag)
{
	size_t len = strlen(etag);
	const char *p = header;

	while (*p) {
		p += strspn(p, " \t,");
		if (*p == '*')
			return true;
		if (!strncmp(p, "W/", 2))
			p += 2;
		if (!strncmp(p, etag, len) &&
		    (p[len] == '\0' || strchr(" \t,", p[len])))
			return true;
		p += strcspn(p, ",");
	}
	return false;
}

int serve_case(struct api_call *call, struct reply *r, struct error *err)
{
	const char *if_none_match;
	uint64_t last_seq, generation;
	int rc;

	rc = query_check(call->c, (const char *const[]){ NULL }, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	/* Read first: a sweep during the rendering then moves the ETag. */
	generation = cases_generation(call->s->cases);
	rc = cases_show_json(call->s->cases, call->params[0], &r->body,
			     &last_seq, err);
	if (rc)
		return reply_error(r, rc, err);

	snprintf(r->etag, sizeof(r->etag), "\"%" PRIu64 ".%" PRIu64 "\"",
		 last_seq, generation);
	r->content_type = "application/json";
	r->cache_control = CACHE_PRIVATE;
	r->status = MHD_HTTP_OK;
	if_none_match = MHD_lookup_connection_value(
	    call->c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (if_none_match && etag_matches(if_none_match, r->etag)) {
		buf_reset(&r->body);
		r->content_type = NULL;
		r->status = MHD_HTTP_NOT_MODIFIED;
	}
	return 0;
}

int serve_timeline(struct api_call *call, struct reply *r,
		   struct error *err)
{
	static const char *const names[] = { "offset", "limit", NULL };
	const json_t *records;
	size_t offset, limit;
	json_t *case_json = NULL;
	int rc;

	rc = query_check(call->c, names, r);
	if (rc == 0)
		rc = query_page(call->c, &offset, &limit, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	rc = cases_show(call->s->cases, call->params[0], &case_json, err);
	if (rc)
		return reply_error(r, rc, err);
	records = json_object_get(case_json, "records");
	if (!json_is_array(records)) {
		json_decref(case_json);
		return error_set(err, CT_ECORRUPT, "cases_show returned a case "
				 "without a records array");
	}
	rc = reply_page(r, records, offset, limit);
	json_decref(case_json);
	return rc;
}

int serve_findings(struct api_call *call, struct reply *r,
		   struct error *err)
{
	static const char *const names[] = { "case", "code", "open", "offset",
					     "limit", NULL };
	struct finding_query q = { 0 };
	json_t *out = NULL;
	int rc;

	rc = query_check(call->c, names, r);
	if (rc == 0)
		rc = query_text(call->c, "case", &q.case_id, r);
	if (rc == 0)
		rc = query_text(call->c, "code", &q.code, r);
	if (rc == 0)
		rc = query_flag(call->c, "open", &q.open_only, r);
	if (rc == 0)
		rc = query_page(call->c, &q.offset, &q.limit, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;

	rc = cases_findings(call->s->cases, &q, &out, err);
	if (rc)
		return api_query_error(r, rc, err);
	return reply_json(r, out, CACHE_NONE);
}
