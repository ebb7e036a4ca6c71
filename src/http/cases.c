/*
 * Cases and findings: the case list with its filters, opening a case,
 * one case with its ETag, its timeline of records, and the findings.
 *
 * GET /api/v1/cases/{id} is the hot path. The bytes come from
 * cases_show_json's cache and move into the response without a copy,
 * and the ETag is the seq of the case's last entry, so a client that has
 * the current version gets a 304 without a body.
 *
 * What a reader sees follows the access policy (docs/access.md). A
 * record the reader may not read (its mark, or a party's role) is shown
 * as its stub: that it exists, its kind and its dates. The applicant's
 * personal members of a case summary need clearance for personal
 * information. The cached bytes are served only when nothing in the case
 * is marked or the reader is cleared for all of it; any reply with
 * marked content carries Cache-Control: no-store and no ETag, and its
 * read is recorded in the access log. A party sees only the cases they
 * are bound to.
 */
#include "common/common.h"

#include <jansson.h>

#include "api.h"
#include "common/jcs.h"

/* Whether p lists only the cases it is bound to: a party, not staff. */
static bool only_bound(const struct principal *p)
{
	return (p->roles & ROLE_BIT(ROLE_PARTY)) &&
	       !(p->roles & ~ROLE_BIT(ROLE_PARTY));
}

/* Removes the personal members the caller may not see from a list. */
static int redact_list(const struct principal *p, struct reply *r,
		       struct error *err)
{
	json_t *list = json_loadb(r->body.data, r->body.len, 0, NULL);
	json_t *item;
	size_t i;

	if (!list)
		return error_set(err, CT_ECORRUPT, "the case list is not JSON");
	json_array_foreach(json_object_get(list, "items"), i, item)
		access_redact_summary(p, item);
	return reply_json(r, list, CACHE_NONE);
}

static int by_id_desc(const void *x, const void *y)
{
	const char *a = json_string_value(json_object_get(
		*(json_t *const *)x, "id")) ?: "";
	const char *b = json_string_value(json_object_get(
		*(json_t *const *)y, "id")) ?: "";

	return strcmp(b, a);
}

/* Whether a party's case summary matches the text q (NULL: any). */
static bool matches(const json_t *item, const char *q)
{
	static const char *const fields[] = { "id", "applicant", "number" };

	if (!q || !q[0])
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		const char *v = json_string_value(json_object_get(item,
								  fields[i]));

		if (v && strstr(v, q))
			return true;
	}
	return false;
}

/*
 * Lists the cases a party is bound to that match q, newest first: each
 * is looked up by its id, so no other case is ever read.
 */
static int serve_bound_cases(struct api_call *call,
			     const struct case_query *q, struct reply *r,
			     struct error *err)
{
	json_t *found = json_array(), *id, *page, *one, *item;
	size_t i, j, n = 0, limit = q->limit ? q->limit : QUERY_LIMIT_DEFAULT;
	json_t **sorted;
	int rc = 0;

	json_array_foreach(call->who->cases, i, id) {
		struct case_query by_id = *q;

		by_id.q = json_string_value(id);
		by_id.offset = 0;
		by_id.limit = QUERY_LIMIT_MAX;
		if (!by_id.q)
			continue;
		rc = cases_list(call->s->cases, &by_id, &one, err);
		if (rc)
			break;
		json_array_foreach(json_object_get(one, "items"), j, item)
			if (!strcmp(json_string_value(json_object_get(
					    item, "id")) ?: "", by_id.q) &&
			    matches(item, q->q))
				json_array_append(found, item);
		json_decref(one);
	}
	if (rc) {
		json_decref(found);
		return api_query_error(r, rc, err);
	}
	sorted = calloc(json_array_size(found) + 1, sizeof(*sorted));
	page = json_array();
	if (!sorted || !page) {
		free(sorted);
		json_decref(page);
		json_decref(found);
		return error_set(err, CT_ENOMEM, "out of memory");
	}
	json_array_foreach(found, i, item)
		sorted[n++] = item;
	qsort(sorted, n, sizeof(*sorted), by_id_desc);
	for (i = q->offset; i < n && i - q->offset < limit; i++) {
		access_redact_summary(call->who, sorted[i]);
		json_array_append(page, sorted[i]);
	}
	free(sorted);
	json_decref(found);
	return reply_json(r, json_pack("{s:o, s:I, s:I, s:I}", "items", page,
				       "total", (json_int_t)n, "offset",
				       (json_int_t)q->offset, "limit",
				       (json_int_t)limit),
			  CACHE_NONE);
}

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
	/* Only a reader cleared for ID numbers may find a case by one. */
	q.q_ids = access_cleared(call->who, MARK_PERSONAL) &&
		  access_cleared(call->who, MARK_SENSITIVE_PERSONAL);

	if (only_bound(call->who))
		return serve_bound_cases(call, &q, r, err);
	rc = cases_list_json(call->s->cases, &q, &r->body, err);
	if (rc)
		return api_query_error(r, rc, err);
	r->content_type = "application/json";
	r->cache_control = CACHE_NONE;
	r->status = MHD_HTTP_OK;
	/* Cleared for sensitive personal information: nothing to hide. */
	if (access_cleared(call->who, MARK_SENSITIVE_PERSONAL))
		return 0;
	return redact_list(call->who, r, err);
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

static int readable_marks(struct api_call *call, const char *id,
			  uint32_t *readable, struct error *err);

/*
 * Withholds from a new case v what its creator may not read, and
 * records the read of what is left marked.
 */
static int view_new_case(struct api_call *call, const char *id, json_t *v,
			 struct error *err)
{
	enum access_mark shown = MARK_NONE, summary;
	uint32_t readable = 0;
	char target[CASE_ID_MAX + 8];
	int rc = readable_marks(call, id, &readable, err);

	if (rc == 0)
		rc = access_redact_records(call->s->access, call->who,
					   json_object_get(v, "records"), NULL,
					   readable, &shown);
	summary = access_redact_summary(call->who, v);
	if (summary > shown)
		shown = summary;
	snprintf(target, sizeof(target), "case:%s", id);
	return rc ? rc : api_log_read(call, ACT_CASE_READ, id, target, shown,
				      err);
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
	/* The new case as its creator may read it, like any other case. */
	rc = view_new_case(call, id, out, err);
	if (rc) {
		json_decref(out);
		return rc;
	}
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

/*
 * Fills *readable with the marks whose records the caller may read in
 * case id (access_readable): none for a party, who reads the case's
 * stubs only.
 */
static int readable_marks(struct api_call *call, const char *id,
			  uint32_t *readable, struct error *err)
{
	struct error why = { 0 };
	int rc = access_readable(call->s->access, call->who, ACT_RECORD_READ,
				 id, readable, &why);

	if (rc == CT_EPERM)
		return 0;
	return rc ? error_set(err, rc, "%s", why.msg) : 0;
}

/* Returns the highest mark among the codes of marks. */
static enum access_mark highest(const json_t *marks, uint32_t *bits)
{
	enum access_mark top = MARK_NONE;
	struct error ignored = { 0 };
	json_t *v;
	size_t i;

	*bits = 0;
	json_array_foreach(marks, i, v) {
		enum access_mark m;

		if (access_mark_parse(json_string_value(v) ?: "", &m,
				      &ignored) != 0)
			m = MARK_SENSITIVE_PERSONAL;
		*bits |= 1u << m;
		if (m > top)
			top = m;
	}
	return top;
}

/* Whether the rendering in body names the applicant's personal data. */
static bool names_personal(const struct buf *body)
{
	static const char *const members[] = { "\"applicant_id\":\"",
					       "\"contact\":\"",
					       "\"address\":\"" };

	for (size_t i = 0; i < ARRAY_SIZE(members); i++)
		if (memmem(body->data, body->len, members[i],
			   strlen(members[i])))
			return true;
	return false;
}

/*
 * Redacts the rendering in r->body for the caller: records they may not
 * read become stubs, marks the security administrator changed replace
 * the rendered ones, and the summary loses the personal members they are
 * not cleared for. *shown receives the highest mark left in view.
 */
static int redact_case(struct api_call *call, struct reply *r,
		       const json_t *overrides, uint32_t readable,
		       enum access_mark *shown, struct error *err)
{
	json_t *v = json_loadb(r->body.data, r->body.len, 0, NULL);
	enum access_mark summary;
	int rc;

	if (!v)
		return error_set(err, CT_ECORRUPT, "the rendering of case '%s' "
				 "is not JSON", call->params[0]);
	*shown = MARK_NONE;
	rc = access_redact_records(call->s->access, call->who,
				   json_object_get(v, "records"), overrides,
				   readable, shown);
	summary = access_redact_summary(call->who, v);
	if (summary > *shown)
		*shown = summary;
	buf_reset(&r->body);
	if (rc == 0)
		rc = jcs_write(v, &r->body, err);
	json_decref(v);
	return rc;
}

int serve_case(struct api_call *call, struct reply *r, struct error *err)
{
	const char *id = call->params[0], *if_none_match;
	struct access_target t = { .case_id = id };
	json_t *marks = NULL, *overrides = NULL;
	uint64_t last_seq, generation, changed = 0;
	enum access_mark shown, summary = MARK_NONE;
	uint32_t readable = 0, present;
	char target[CASE_ID_MAX + 8];
	bool denied, as_cached;
	int rc;

	rc = query_check(call->c, (const char *const[]){ NULL }, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	rc = api_allow(call, ACT_CASE_READ, &t, r, &denied, err);
	if (rc || denied)
		return rc;
	rc = readable_marks(call, id, &readable, err);
	if (rc)
		return rc;
	/* Read first: a sweep during the rendering then moves the ETag. */
	generation = cases_generation(call->s->cases);
	rc = cases_show_json_marks(call->s->cases, id, &r->body, &last_seq,
				   &marks, err);
	if (rc)
		return reply_error(r, rc, err);
	rc = access_case_overrides(call->s->access, id, &overrides, err);
	if (rc) {
		json_decref(marks);
		return rc;
	}
	shown = highest(marks, &present);
	json_decref(marks);
	if (json_object_get(overrides, ""))
		changed = (uint64_t)json_integer_value(json_object_get(
			overrides, ""));
	if (names_personal(&r->body))
		summary = access_has_resident_id(r->body.data)
				  ? MARK_SENSITIVE_PERSONAL
				  : MARK_PERSONAL;
	/*
	 * The cached bytes go out only to a reader who may read every record
	 * in them: records at all (a party may not), and each mark present.
	 */
	as_cached = !changed && (readable & (1u << MARK_NONE)) &&
		    (present & ~readable) == 0 &&
		    access_cleared(call->who, summary);
	if (as_cached && summary > shown)
		shown = summary;
	if (!as_cached)
		rc = redact_case(call, r, overrides, readable, &shown, err);
	json_decref(overrides);
	if (rc)
		return rc;

	r->content_type = "application/json";
	r->status = MHD_HTTP_OK;
	if (shown != MARK_NONE) {
		snprintf(target, sizeof(target), "case:%s", id);
		r->cache_control = CACHE_NONE;
		return api_log_read(call, ACT_CASE_READ, id, target, shown,
				    err);
	}
	/* A view without marked content: its ETag names what shaped it. */
	if (as_cached)
		snprintf(r->etag, sizeof(r->etag), "\"%" PRIu64 ".%" PRIu64
			 "\"", last_seq, generation);
	else
		snprintf(r->etag, sizeof(r->etag), "\"%" PRIu64 ".%" PRIu64
			 ".%x.%x.%" PRIu64 "\"", last_seq, generation,
			 readable, call->who->clearance, changed);
	r->cache_control = CACHE_PRIVATE;
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
	const char *id = call->params[0];
	struct access_target t = { .case_id = id };
	enum access_mark shown = MARK_NONE;
	json_t *case_json = NULL, *overrides = NULL, *records, *page;
	char target[CASE_ID_MAX + 16];
	size_t offset, limit, total;
	uint32_t readable = 0;
	bool denied;
	int rc;

	rc = query_check(call->c, names, r);
	if (rc == 0)
		rc = query_page(call->c, &offset, &limit, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	rc = api_allow(call, ACT_CASE_READ, &t, r, &denied, err);
	if (rc || denied)
		return rc;
	rc = readable_marks(call, id, &readable, err);
	if (rc)
		return rc;
	rc = cases_show(call->s->cases, id, &case_json, err);
	if (rc)
		return reply_error(r, rc, err);
	records = json_object_get(case_json, "records");
	if (!json_is_array(records)) {
		json_decref(case_json);
		return error_set(err, CT_ECORRUPT, "cases_show returned a case "
				 "without a records array");
	}
	/* Only the page is redacted, and only its reads are recorded. */
	total = json_array_size(records);
	page = json_array();
	for (size_t i = offset; i < total && i - offset < limit; i++)
		json_array_append(page, json_array_get(records, i));
	json_decref(case_json);
	rc = access_case_overrides(call->s->access, id, &overrides, err);
	if (rc == 0)
		rc = access_redact_records(call->s->access, call->who, page,
					   overrides, readable, &shown);
	json_decref(overrides);
	snprintf(target, sizeof(target), "case:%s/records", id);
	if (rc == 0)
		rc = api_log_read(call, ACT_CASE_READ, id, target, shown, err);
	if (rc) {
		json_decref(page);
		return rc;
	}
	return reply_json(r, json_pack("{s:o, s:I, s:I, s:I}", "items", page,
				       "total", (json_int_t)total, "offset",
				       (json_int_t)offset, "limit",
				       (json_int_t)limit),
			  CACHE_NONE);
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
