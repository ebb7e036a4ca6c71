/*
 * The report as tables and charts: one model that the HTML, PDF and CSV
 * renderers all lay out, so that the three formats carry the same
 * numbers under the same headings.
 */
#include "common/common.h"

#include "internal.h"

/* Measures of the handled-cases tables, in column order. */
static const char *const handled_cols[][2] = {
	{ "received", "收件" },		{ "accepted", "受理" },
	{ "not_accepted", "不予受理" }, { "decided", "作出决定" },
	{ "granted", "准予许可" },	{ "partly_granted", "部分准予" },
	{ "refused", "不予许可" },	{ "withdrawn", "撤回" },
	{ "terminated", "终止" },	{ "open", "在办" },
};

static const char *const finding_cols[][2] = {
	{ "total", "合计" }, { "open", "未纠正" }, { "cured", "已纠正" },
	{ "major", "严重" }, { "minor", "一般" },
};

static json_t *columns(const char *const (*cols)[2], size_t n)
{
	json_t *out = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(out, json_pack("[s, s]", cols[i][0],
						     cols[i][1]));
	return out;
}

static json_t *table(const char *section, const char *title,
		     const char *key_title, json_t *cols)
{
	return json_pack("{s:s, s:s, s:s, s:o, s:[]}", "section", section,
			 "title", title, "key_title", key_title, "columns",
			 cols, "rows");
}

static void add_row(json_t *t, const char *key, const char *label,
		    json_t *cells)
{
	json_array_append_new(json_object_get(t, "rows"), json_pack(
		"{s:s, s:s, s:o}", "key", key, "label", label, "cells", cells));
}

/* Adds one row per object of rows, the cells read by measure. */
static void add_rows(json_t *t, const json_t *rows, const char *key_name,
		     const char *const (*cols)[2], size_t n)
{
	json_t *row;
	size_t i;

	json_array_foreach(rows, i, row) {
		json_t *cells = json_array();

		for (size_t j = 0; j < n; j++)
			json_array_append_new(cells, json_integer(
				json_integer_value(json_object_get(row,
								   cols[j][0]))));
		add_row(t, json_string_value(json_object_get(row, key_name))
				   ?: "",
			json_string_value(json_object_get(row, "label")) ?: "",
			cells);
	}
}

/* A table of one measure per row: [measure, label, value]. */
static json_t *list_table(const char *section, const char *title,
			  const json_t *values, const char *const (*names)[2],
			  size_t n)
{
	json_t *t = table(section, title, "指标",
			  json_pack("[[s, s]]", "value", "数值"));

	for (size_t i = 0; i < n; i++) {
		json_t *v = json_object_get(values, names[i][0]);

		add_row(t, names[i][0], names[i][1],
			v ? json_pack("[O]", v) : json_pack("[i]", 0));
	}
	return t;
}

static json_t *handled_tables(const json_t *report, json_t *out)
{
	const json_t *h = json_object_get(report, "handled");
	size_t n = ARRAY_SIZE(handled_cols);
	json_t *t;

	json_array_append_new(out, list_table("handled", "办件总体情况",
					      json_object_get(h, "totals"),
					      handled_cols, n));
	t = table("handled_by_matter", "按事项统计", "事项",
		  columns(handled_cols, n));
	add_rows(t, json_object_get(h, "by_matter"), "matter", handled_cols,
		 n);
	json_array_append_new(out, t);
	t = table("handled_by_unit", "按科室统计", "科室",
		  columns(handled_cols, n));
	add_rows(t, json_object_get(h, "by_unit"), "unit", handled_cols, n);
	json_array_append_new(out, t);
	return out;
}

static json_t *deadline_table(const json_t *report)
{
	static const char *const names[][2] = {
		{ "decided", "已作出决定" },
		{ "on_time", "按期办结" },
		{ "on_time_extended", "延期后按期办结" },
		{ "with_suspension", "有期限中止的案件" },
		{ "overdue", "超过法定期限" },
		{ "overdue_open", "其中：超期未决" },
		{ "timed", "计算用时的案件" },
		{ "avg_working_days_used", "平均用时（工作日）" },
		{ "avg_working_days_limit", "平均法定期限（工作日）" },
	};
	const json_t *d = json_object_get(report, "deadlines");
	json_t *t = list_table("deadlines", "办理时限", d, names,
			       ARRAY_SIZE(names));
	json_t *row;
	size_t i;

	/* Averages to one decimal, as text a spreadsheet reads as numbers. */
	json_array_foreach(json_object_get(t, "rows"), i, row) {
		json_t *cells = json_object_get(row, "cells");
		json_t *v = json_array_get(cells, 0);

		if (json_is_real(v)) {
			char text[32];

			snprintf(text, sizeof(text), "%.1f", json_real_value(v));
			json_array_set_new(cells, 0, json_string(text));
		}
	}
	return t;
}

/* A table of findings by code: rule, severity, total, open, cured. */
static json_t *code_table(const char *section, const char *title,
			  const json_t *rows)
{
	json_t *t, *row;
	size_t i;

	t = table(section, title, "代码",
		  json_pack("[[s, s], [s, s], [s, s], [s, s], [s, s]]", "rule",
			    "规则", "severity", "严重程度", "total", "合计",
			    "open", "未纠正", "cured", "已纠正"));
	json_array_foreach(rows, i, row) {
		const char *code = json_string_value(json_object_get(row,
								     "code"));
		const char *sev = json_string_value(json_object_get(row,
								    "severity"));

		add_row(t, code ? code : "", code ? code : "",
			json_pack("[s, s, I, I, I]",
				  json_string_value(json_object_get(row, "rule"))
					  ?: "",
				  sev && !strcmp(sev, "major") ? "严重" : "一般",
				  json_integer_value(json_object_get(row,
								     "total")),
				  json_integer_value(json_object_get(row,
								     "open")),
				  json_integer_value(json_object_get(row,
								     "cured"))));
	}
	return t;
}

static void finding_tables(const json_t *report, json_t *out)
{
	const json_t *f = json_object_get(report, "findings");
	size_t ncols = ARRAY_SIZE(finding_cols);
	json_t *t, *row, *cols;
	size_t i;

	json_array_append_new(out, code_table("findings_by_code",
					      "发现问题（按规则）",
					      json_object_get(f, "by_code")));
	t = table("findings_by_unit", "发现问题（按科室）", "科室",
		  columns(finding_cols, ncols));
	add_rows(t, json_object_get(f, "by_unit"), "unit", finding_cols,
		 ncols);
	json_array_append_new(out, t);
	t = table("findings_by_officer", "发现问题（按责任人）", "责任人",
		  json_pack("[[s, s]]", "unit", "科室"));
	cols = columns(finding_cols, ncols);
	json_array_extend(json_object_get(t, "columns"), cols);
	json_decref(cols);
	json_array_foreach(json_object_get(f, "by_officer"), i, row) {
		json_t *cells = json_pack("[O]", json_object_get(row, "unit"));

		for (size_t j = 0; j < ncols; j++)
			json_array_append_new(cells, json_integer(
				json_integer_value(json_object_get(
					row, finding_cols[j][0]))));
		add_row(t, json_string_value(json_object_get(row, "user")) ?: "",
			json_string_value(json_object_get(row, "label")) ?: "",
			cells);
	}
	json_array_append_new(out, t);
	json_array_append_new(out, code_table(
		"findings_no_case", "不属于单个案件的发现问题（按发现日期）",
		json_object_get(f, "no_case")));
}

static json_t *hours(const json_t *ms)
{
	char text[32];

	if (!json_is_integer(ms))
		return json_string("-");
	snprintf(text, sizeof(text), "%.1f",
		 (double)json_integer_value(ms) / 3600000.0);
	return json_string(text);
}

static json_t *av_table(const json_t *report)
{
	const json_t *av = json_object_get(report, "av");
	json_t *t = table("av", "音像记录上传时效", "指标",
			  json_pack("[[s, s]]", "value", "数值"));

	add_row(t, "files", "音像文件数",
		json_pack("[O]", json_object_get(av, "files")));
	add_row(t, "median_hours", "上传延迟中位数（小时）",
		json_pack("[o]", hours(json_object_get(av, "median_ms"))));
	add_row(t, "p90_hours", "上传延迟第90百分位（小时）",
		json_pack("[o]", hours(json_object_get(av, "p90_ms"))));
	add_row(t, "over_24h", "超过24小时上传",
		json_pack("[O]", json_object_get(av, "over_24h")));
	add_row(t, "late_av_upload", "late-av-upload 问题数",
		json_pack("[O]", json_object_get(av, "late_av_upload")));
	return t;
}

static json_t *case_table(const json_t *report)
{
	static const char *const status_names[][2] = {
		{ "open", "在办" },	     { "granted", "准予" },
		{ "denied", "不予许可" },    { "refused", "不予受理" },
		{ "withdrawn", "撤回" },     { "terminated", "终止" },
	};
	json_t *t = table("cases", "案件清单", "案号",
			  json_pack("[[s, s], [s, s], [s, s], [s, s], [s, s], "
				    "[s, s], [s, s], [s, s]]",
				    "matter", "事项", "applicant", "申请人",
				    "unit", "科室", "received", "收件日期",
				    "status", "状态", "result", "决定结果",
				    "decision_state", "决定期限",
				    "findings", "发现问题"));
	json_t *row;
	size_t i;

	json_array_foreach(json_object_get(report, "cases"), i, row) {
		const char *status = json_string_value(json_object_get(row,
								       "status"))
				     ?: "open";
		const char *result = json_string_value(json_object_get(row,
								       "result"));
		const char *state = json_string_value(json_object_get(
			row, "decision_state"));

		for (size_t j = 0; j < ARRAY_SIZE(status_names); j++)
			if (!strcmp(status, status_names[j][0]))
				status = status_names[j][1];
		add_row(t, json_string_value(json_object_get(row, "id")) ?: "",
			json_string_value(json_object_get(row, "id")) ?: "",
			json_pack("[O, s, O, O, s, s, s, O]",
				  json_object_get(row, "matter"),
				  json_string_value(json_object_get(
					  row, "applicant")) ?: "",
				  json_object_get(row, "unit"),
				  json_object_get(row, "received"), status,
				  !result ? ""
				  : !strcmp(result, "grant")   ? "准予"
				  : !strcmp(result, "partial") ? "部分准予"
							       : "不予许可",
				  !state ? ""
				  : !strcmp(state, "met")     ? "按期"
				  : !strcmp(state, "late")    ? "超期作出"
				  : !strcmp(state, "overdue") ? "超期未决"
				  : !strcmp(state, "suspended") ? "中止"
								 : "计时中",
				  json_object_get(row, "findings")));
	}
	return t;
}

/* The period, the unit and the basis of counting, as the first table. */
static json_t *period_table(const json_t *report)
{
	const json_t *unit = json_object_get(report, "unit");
	json_t *t = table("period", "统计口径", "项目",
			  json_pack("[[s, s]]", "value", "内容"));

	add_row(t, "from", "起始日期",
		json_pack("[O]", json_object_get(report, "from")));
	add_row(t, "to", "截止日期",
		json_pack("[O]", json_object_get(report, "to")));
	add_row(t, "unit", "科室",
		json_pack("[s]", json_is_string(unit) ? json_string_value(unit)
						      : "全局"));
	add_row(t, "basis", "统计依据",
		json_pack("[s]", "按收件日期（received）统计期间内收件的案件"));
	add_row(t, "generated", "生成时间",
		json_pack("[O]", json_object_get(report, "generated")));
	return t;
}

json_t *report_tables(const json_t *report)
{
	static const char *const archive_names[][2] = {
		{ "ended", "已办结案件" },
		{ "sealed_on_time", "按期归档" },
		{ "sealed_late", "逾期归档（late-archive）" },
		{ "unsealed_in_time", "未归档，未逾期" },
		{ "unsealed_late", "未归档，已逾期（late-archive）" },
	};
	static const char *const publicity_names[][2] = {
		{ "due", "应公示" },
		{ "met", "按期公示" },
		{ "late", "逾期公示（late-publicity）" },
		{ "overdue", "逾期未公示（late-publicity）" },
		{ "open", "公示期限未到" },
	};
	json_t *out = json_array();

	json_array_append_new(out, period_table(report));
	handled_tables(report, out);
	json_array_append_new(out, deadline_table(report));
	finding_tables(report, out);
	json_array_append_new(out, av_table(report));
	json_array_append_new(out, list_table(
		"archive", "归档时效", json_object_get(report, "archive"),
		archive_names, ARRAY_SIZE(archive_names)));
	json_array_append_new(out, list_table(
		"publicity", "双公示时效", json_object_get(report, "publicity"),
		publicity_names, ARRAY_SIZE(publicity_names)));
	json_array_append_new(out, case_table(report));
	return out;
}

static json_t *points(const json_t *rows, const char *label,
		      const char *value)
{
	json_t *out = json_array(), *row;
	size_t i;

	json_array_foreach(rows, i, row)
		json_array_append_new(out, json_pack(
			"{s:O, s:I}", "label", json_object_get(row, label),
			"value", json_integer_value(json_object_get(row,
								    value))));
	return out;
}

json_t *report_charts(const json_t *report)
{
	const json_t *series = json_object_get(report, "received_series");
	const char *step = json_string_value(json_object_get(series, "step"));

	return json_pack(
	    "[{s:s, s:s, s:o}, {s:s, s:s, s:o}, {s:s, s:s, s:o}]", "type",
	    "bar", "title", "发现问题（按规则）", "points",
	    points(json_object_get(json_object_get(report, "findings"),
				   "by_code"),
		   "code", "total"),
	    "type", "bar", "title", "收件数（按科室）", "points",
	    points(json_object_get(json_object_get(report, "handled"),
				   "by_unit"),
		   "label", "received"),
	    "type", "line", "title",
	    step && !strcmp(step, "week") ? "每周收件数" : "每日收件数",
	    "points", points(json_object_get(series, "points"), "label",
			     "count"));
}

void report_heading(const json_t *report, char *title, size_t ntitle,
		    char *period, size_t nperiod)
{
	const char *unit = json_string_value(json_object_get(report, "unit"));

	snprintf(title, ntitle, "行政审批执法全过程记录考核报告%s%s",
		 unit ? "（" : "", unit ? unit : "");
	if (unit)
		snprintf(title + strlen(title), ntitle - strlen(title), "）");
	snprintf(period, nperiod, "统计期间：%s 至 %s（按收件日期）；生成时间：%s",
		 json_string_value(json_object_get(report, "from")) ?: "",
		 json_string_value(json_object_get(report, "to")) ?: "",
		 json_string_value(json_object_get(report, "generated")) ?: "");
}

int report_xml_escape(struct buf *b, const char *text)
{
	for (const char *p = text ? text : ""; *p; p++) {
		int rc;

		switch (*p) {
		case '&': rc = buf_puts(b, "&amp;"); break;
		case '<': rc = buf_puts(b, "&lt;"); break;
		case '>': rc = buf_puts(b, "&gt;"); break;
		case '"': rc = buf_puts(b, "&quot;"); break;
		case '\'': rc = buf_puts(b, "&#39;"); break;
		default: rc = buf_putc(b, *p); break;
		}
		if (rc)
			return CT_ENOMEM;
	}
	return 0;
}

void report_cell_text(const json_t *cell, char *out, size_t n)
{
	if (json_is_integer(cell))
		snprintf(out, n, "%" JSON_INTEGER_FORMAT,
			 json_integer_value(cell));
	else if (json_is_real(cell))
		snprintf(out, n, "%.1f", json_real_value(cell));
	else
		snprintf(out, n, "%s", json_string_value(cell) ?: "");
}
