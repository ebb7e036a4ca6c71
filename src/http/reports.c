/*
 * Supervision reports over HTTP (docs/reports.md):
 *
 *   GET /api/v1/reports?from=&to=&unit=&format=html|pdf|csv
 *   GET /api/v1/reports/annual?year=&format=csv
 *   GET /api/v1/cases/{id}/review
 *
 * The router has checked report-read or case-review already. The server
 * re-evaluates open cases every minute, so a report shows the findings
 * as of the last sweep, as GET /api/v1/findings does.
 */
#include "common/common.h"

#include "api.h"
#include "reports/reports.h"

static const struct {
	const char *format, *type;
} types[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "pdf", "application/pdf" },
	{ "csv", "text/csv; charset=utf-8; header=present" },
};

/* Reads format (default def); 400 in r when it is not one of allowed. */
static int query_format(struct api_call *call, const char *def,
			size_t allowed, const char **format, struct reply *r)
{
	int rc = query_text(call->c, "format", format, r);

	if (rc)
		return rc;
	if (!*format)
		*format = def;
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if ((allowed & (1u << i)) && !strcmp(*format, types[i].format))
			return 0;
	return reply_rejected(reply_problem_of(
	    r, PROBLEM_INVALID_PARAMETER, "parameter 'format' = '%.40s' is "
	    "unknown; use %s", *format,
	    allowed == 4 ? "csv" : "html, pdf or csv"));
}

static const char *type_of(const char *format)
{
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (!strcmp(format, types[i].format))
			return types[i].type;
	return "application/octet-stream";
}

static int send_body(struct reply *r, const char *format, const char *name)
{
	int rc = reply_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION,
			      "attachment; filename=\"%s.%s\"", name, format);

	if (rc)
		return rc;
	r->status = MHD_HTTP_OK;
	r->content_type = type_of(format);
	r->cache_control = CACHE_NONE;
	return 0;
}

int serve_reports(struct api_call *call, struct reply *r, struct error *err)
{
	static const char *const names[] = { "from", "to", "unit", "format",
					     NULL };
	const char *from = NULL, *to = NULL, *unit = NULL, *format = NULL;
	struct report_req q;
	json_t *report = NULL;
	int rc = query_check(call->c, names, r);

	if (rc == 0)
		rc = query_text(call->c, "from", &from, r);
	if (rc == 0)
		rc = query_text(call->c, "to", &to, r);
	if (rc == 0)
		rc = query_text(call->c, "unit", &unit, r);
	if (rc == 0)
		rc = query_format(call, "html", 7, &format, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	rc = reports_request(call->s->access, from, to, unit, &q, err);
	if (rc)
		return api_query_error(r, rc, err);
	rc = reports_collect(call->s->access, call->s->media, &q, &report,
			     err);
	buf_reset(&r->body);
	if (rc == 0 && !strcmp(format, "html"))
		rc = reports_html(report, &r->body, err);
	else if (rc == 0 && !strcmp(format, "pdf"))
		rc = reports_pdf(report, &r->body, err);
	else if (rc == 0)
		rc = reports_csv(report, &r->body, err);
	json_decref(report);
	if (rc) {
		buf_reset(&r->body);
		return reply_error(r, rc, err);
	}
	return send_body(r, format, "report");
}

int serve_annual_report(struct api_call *call, struct reply *r,
			struct error *err)
{
	static const char *const names[] = { "year", "format", NULL };
	const char *format = NULL;
	json_t *stats = NULL;
	uint64_t year = 0;
	bool found = false;
	int rc = query_check(call->c, names, r);

	if (rc == 0)
		rc = query_number(call->c, "year", 9999, &year, &found, r);
	if (rc == 0)
		rc = query_format(call, "csv", 4, &format, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	if (!found)
		return reply_problem_of(r, PROBLEM_INVALID_PARAMETER,
					"parameter 'year' is missing; give "
					"the year, such as 2026");
	rc = reports_annual(call->s->access, (int)year, &stats, err);
	if (rc)
		return api_query_error(r, rc, err);
	buf_reset(&r->body);
	rc = reports_annual_csv(stats, &r->body, err);
	json_decref(stats);
	if (rc) {
		buf_reset(&r->body);
		return reply_error(r, rc, err);
	}
	return send_body(r, format, "annual");
}

int serve_review(struct api_call *call, struct reply *r, struct error *err)
{
	json_t *sheet = NULL;
	int rc = reports_review(call->s->access, call->params[0], &sheet, err);

	if (rc)
		return reply_error(r, rc, err);
	return reply_json(r, sheet, CACHE_NONE);
}
