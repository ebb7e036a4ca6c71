/*
 * The working-day calendar in use and a deadline calculator on it:
 * /api/v1/deadline counts a period of working or calendar days from a
 * trigger date the way the workflow counts statutory limits, with no
 * paused spans, and with explain=1 lists every day it looked at.
 */
#include "common/common.h"

#include <jansson.h>

#include "api.h"
#include "deadlines/deadlines.h"

int serve_calendar(struct api_call *call, struct reply *r,
		   struct error *err)
{
	json_t *calendar = NULL;
	int rc;

	rc = query_check(call->c, (const char *const[]){ NULL }, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	rc = cases_calendar(call->s->cases, &calendar, err);
	if (rc)
		return reply_error(r, rc, err);
	return reply_json(r, calendar, CACHE_NONE);
}

/* A deadline request: the trigger day, the period and its unit. */
struct deadline_query {
	int32_t from;
	uint64_t n;
	enum limit_unit unit;
	int explain;
};

/* Reads from=DATE and exactly one of working-days=N and calendar-days=N. */
static int read_deadline_query(struct MHD_Connection *c,
			       struct deadline_query *q, struct reply *r)
{
	static const char *const names[] = { "from", "working-days",
					     "calendar-days", "explain", NULL };
	char quoted[HTTP_QUOTE_MAX];
	uint64_t working = 0, calendar = 0;
	bool has_working = false, has_calendar = false;
	const char *from;
	int rc;

	rc = query_check(c, names, r);
	if (rc == 0)
		rc = query_text(c, "from", &from, r);
	if (rc == 0 && (!from || day_parse(from, &q->from) != 0))
		rc = reply_rejected(reply_problem_of(
		    r, PROBLEM_INVALID_PARAMETER,
		    "query parameter from='%s' is %s; give the trigger date "
		    "as YYYY-MM-DD",
		    from ? http_quote(from, quoted, sizeof(quoted)) : "",
		    from ? "not a real date" : "missing"));
	if (rc == 0)
		rc = query_number(c, "working-days", 3650, &working,
				  &has_working, r);
	if (rc == 0)
		rc = query_number(c, "calendar-days", 3650, &calendar,
				  &has_calendar, r);
	if (rc == 0 && has_working == has_calendar)
		rc = reply_rejected(reply_problem_of(
		    r, PROBLEM_INVALID_PARAMETER,
		    "give exactly one of the query parameters working-days "
		    "and calendar-days"));
	if (rc == 0)
		rc = query_flag(c, "explain", &q->explain, r);
	q->n = has_working ? working : calendar;
	q->unit = has_working ? UNIT_WORKING_DAYS : UNIT_CALENDAR_DAYS;
	return rc;
}

static json_t *deadline_json(const struct deadline_query *q,
			     const struct due *due, json_t *explain)
{
	char from[11], day[11];

	day_format(q->from, from);
	day_format(due->day, day);
	return json_pack("{s:s, s:s, s:I, s:s, s:b, s:o*}", "from", from,
			 "unit", limit_unit_name(q->unit), "n",
			 (json_int_t)q->n, "due", day, "provisional",
			 due->provisional, "explain", explain);
}

int serve_deadline(struct api_call *call, struct reply *r,
		   struct error *err)
{
	const struct calendar *cal = cases_calendar_get(call->s->cases);
	struct deadline_query q = { 0 };
	json_t *explain = NULL;
	struct due due;
	int rc;

	rc = read_deadline_query(call->c, &q, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	if (q.explain && !(explain = json_array()))
		return CT_ENOMEM;
	rc = deadline_after(cal, q.from, day_start_ms(q.from), (int)q.n,
			    q.unit, NULL, 0, &due, explain, err);
	if (rc) {
		json_decref(explain);
		return api_query_error(r, rc, err);
	}
	return reply_json(r, deadline_json(&q, &due, explain), CACHE_NONE);
}
