/*
 * Supervision over the findings: the yellow and red warnings (黄牌/红牌)
 * of open cases' time limits, the daily digest per person, the daily
 * evaluation of every case, and the results of integrity checks recorded
 * as findings (docs/findings.md).
 */
#ifndef CASETRAIL_CASES_SUPERVISION_H
#define CASETRAIL_CASES_SUPERVISION_H

#include <jansson.h>
#include <stdint.h>

#include "cases/cases.h"
#include "common/error.h"

/* A limit due within this many working days gets a yellow warning. */
#define WARNING_YELLOW_DAYS 3

struct warning_query {
	const char *user;  /* responsible or superior; NULL for any */
	const char *unit;  /* the responsible person's unit; NULL for any */
	const char *color; /* "yellow", "red" or NULL for both */
	int64_t at_ms;     /* evaluate at this time; 0 for now */
};

/*
 * Returns {"as_of", "items": [{case, matter, limit, basis, due,
 * working_days_left, color, provisional, responsible, superior, unit}],
 * "total"}: for each open case and each of its open time limits, a
 * yellow warning when due within WARNING_YELLOW_DAYS working days and a
 * red one when overdue, against the promised limit where the matter has
 * one, else the statutory. Sorted by due day, then case. CT_EINVAL names
 * a bad colour.
 */
int cases_warnings(struct cases *c, const struct warning_query *q,
		   json_t **out, struct error *err);

/*
 * Composes the digest of date (YYYY-MM-DD, CST; NULL for today) at 08:00
 * CST of that day, or now when that is later than now: for each active
 * user (only user when not NULL), their warnings, the open findings
 * where they are responsible or superior, and the findings raised or
 * cured since their last stored digest (else in the 24 hours before).
 * Returns {"date", "at", "since", "items": [{user, since, counts:
 * {yellow, red, open, raised, cured}, warnings, open_findings, raised,
 * cured, stored}]}. A digest the server stored for that date is returned
 * as stored.
 */
int cases_digest(struct cases *c, const char *date, const char *user,
		 json_t **out, struct error *err);

/*
 * Composes today's digests and stores them (one row per user, in the
 * "digest" projection namespace), logging one line per person with the
 * counts. *users gets the number stored.
 */
int cases_digest_publish(struct cases *c, size_t *users, struct error *err);

/*
 * Re-evaluates every case, closed ones included, at the current time;
 * *count gets the number evaluated. The daily evaluation of the server.
 */
int cases_evaluate_all(struct cases *c, size_t *count, struct error *err);

/*
 * Records the result of a verify run as an entry of kind verify-result
 * (no case): problems is the array of problem texts (empty when it
 * passed). A failed run raises integrity-failure, naming the store
 * administrator; a run that passes cures the open one. A pass with no
 * open integrity-failure appends nothing.
 */
int cases_integrity_record(struct cases *c, const json_t *problems,
			   const struct actor *by, struct error *err);

/*
 * The CST day a daily task of the server ("evaluate", "verify",
 * "digest") last finished, kept in the store so that a restart reads
 * it. cases_daily_last sets *day, or INT32_MIN when it never ran.
 * cases_daily_mark records day.
 */
int cases_daily_last(struct cases *c, const char *task, int32_t *day,
		     struct error *err);
int cases_daily_mark(struct cases *c, const char *task, int32_t day,
		     struct error *err);

/* Sets *open when an integrity-failure is open; reads only. */
int cases_integrity_open(struct cases *c, int *open, struct error *err);

/* Splits verify's problem lines (text of len bytes) into an array. */
json_t *verify_problem_lines(const char *text, size_t len);

#endif
