/*
 * Supervision reports: the evaluation report of a period (考核), the
 * score sheet of one case after the provincial case-file review standard
 * (案卷评查) and the annual licensing statistics (行政许可实施情况年度统计).
 *
 * Everything is read through the workflow's own queries (cases_list,
 * cases_show, cases_findings, media_list, archive_list), so a report
 * counts exactly what `casetrail findings` and `casetrail case list`
 * show. Nothing is written to the store. docs/reports.md describes the
 * contents, the CSV columns and the review standard.
 *
 * Functions that return a json_t hand the caller one reference; a
 * struct buf is filled by appending. Errors: CT_EINVAL names the bad
 * period, unit, year or format; CT_ENOTFOUND the unknown case;
 * CT_ECORRUPT a broken data/review-standard.json.
 */
#ifndef CASETRAIL_REPORTS_H
#define CASETRAIL_REPORTS_H

#include <jansson.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

struct access;
struct media;

/* The maximum period of a report, in days: a little over a year. */
#define REPORT_DAYS_MAX 400

struct report_req {
	int32_t from_day, to_day; /* days of receipt, both included */
	const char *unit;         /* NULL for the whole bureau */
};

/*
 * Parses the period and unit of a report request: from and to are
 * YYYY-MM-DD, to not before from and at most REPORT_DAYS_MAX days after
 * it. unit (may be NULL or "") must be the unit of a registered user.
 */
int reports_request(struct access *a, const char *from, const char *to,
		    const char *unit, struct report_req *out,
		    struct error *err);

/*
 * Collects the evaluation report of the cases received in the period:
 * the data model that the renderers below lay out. m may be NULL, which
 * leaves the audio-visual section empty with a note. docs/reports.md
 * lists its members.
 */
int reports_collect(struct access *a, struct media *m,
		    const struct report_req *q, json_t **out,
		    struct error *err);

/* Renders a collected report as one self-contained zh-CN HTML page. */
int reports_html(const json_t *report, struct buf *out, struct error *err);

/* Renders a collected report as UTF-8 CSV in long form, one row a value. */
int reports_csv(const json_t *report, struct buf *out, struct error *err);

/* Renders a collected report as an A4 PDF with page numbers. */
int reports_pdf(const json_t *report, struct buf *out, struct error *err);

/*
 * Scores case_id against data/review-standard.json: every item present
 * or missing with its reason and score, the total, the grade and the
 * items that fail the case outright. A sealed case is scored on the
 * records its last case file holds.
 */
int reports_review(struct access *a, const char *case_id, json_t **out,
		   struct error *err);

/*
 * Collects the annual statistics of the cases received in year: one row
 * per matter and a row of totals ({"year", "columns", "rows"}).
 */
int reports_annual(struct access *a, int year, json_t **out,
		   struct error *err);

/* Writes collected annual statistics as CSV with a header row. */
int reports_annual_csv(const json_t *annual, struct buf *out,
		       struct error *err);

#endif
