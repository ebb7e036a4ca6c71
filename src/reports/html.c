/*
 * The report as one self-contained zh-CN HTML page: inline CSS, the
 * charts as inline SVG written as text, no script and no external
 * resource. Every text that comes from the store (applicant names, units,
 * rule texts, labels) goes through report_xml_escape, in the tables and
 * in the SVG alike.
 */
#include "common/common.h"

#include "internal.h"
#include "reports.h"

#define SVG_W 640
#define BAR_H 22
#define LABEL_W 220

static const char style[] =
	"body{font-family:'Noto Serif CJK SC','FandolSong',serif;margin:2em;"
	"color:#111}h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;"
	"border-bottom:1px solid #999}table{border-collapse:collapse;"
	"margin:.5em 0}td,th{border:1px solid #888;padding:.2em .5em;"
	"font-size:.9em}td.n{text-align:right}th{background:#eee}"
	"figure{margin:1em 0}figcaption{font-weight:bold}";

static int put(struct buf *b, const char *text)
{
	return buf_puts(b, text) ? CT_ENOMEM : 0;
}

static int esc(struct buf *b, const char *text)
{
	return report_xml_escape(b, text);
}

static double max_value(const json_t *pts)
{
	double max = 0;
	json_t *p;
	size_t i;

	json_array_foreach(pts, i, p) {
		double v = (double)json_integer_value(json_object_get(p,
								      "value"));

		if (v > max)
			max = v;
	}
	return max > 0 ? max : 1;
}

static int svg_bar(struct buf *b, const json_t *chart)
{
	const json_t *pts = json_object_get(chart, "points");
	size_t n = json_array_size(pts), i;
	double max = max_value(pts), span = SVG_W - LABEL_W - 60;
	int h = (int)(n ? n : 1) * BAR_H + 10;
	json_t *p;
	int rc = buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
			    "width=\"%d\" height=\"%d\" role=\"img\">"
			    "<title>", SVG_W, h) ? CT_ENOMEM : 0;

	if (rc == 0)
		rc = esc(b, json_string_value(json_object_get(chart, "title")));
	if (rc == 0)
		rc = put(b, "</title>");
	if (rc == 0 && n == 0)
		rc = put(b, "<text x=\"4\" y=\"18\" font-size=\"13\">无数据"
			    "</text>");
	json_array_foreach(pts, i, p) {
		json_int_t v = json_integer_value(json_object_get(p, "value"));
		int y = (int)i * BAR_H + 4;
		double w = (double)v / max * span;

		if (rc)
			break;
		rc = buf_printf(b, "<text x=\"%d\" y=\"%d\" font-size=\"12\" "
				"text-anchor=\"end\">", LABEL_W - 6, y + 14)
			     ? CT_ENOMEM : 0;
		if (rc == 0)
			rc = esc(b, json_string_value(json_object_get(p,
								      "label")));
		if (rc == 0 && buf_printf(b, "</text><rect x=\"%d\" y=\"%d\" "
					  "width=\"%.1f\" height=\"%d\" "
					  "fill=\"#4a6fa5\"/><text x=\"%.1f\" "
					  "y=\"%d\" font-size=\"12\">%"
					  JSON_INTEGER_FORMAT "</text>",
					  LABEL_W, y, w, BAR_H - 6,
					  LABEL_W + w + 4, y + 14, v))
			rc = CT_ENOMEM;
	}
	return rc ? rc : put(b, "</svg>");
}

static int svg_line(struct buf *b, const json_t *chart)
{
	const json_t *pts = json_object_get(chart, "points");
	size_t n = json_array_size(pts), i;
	double max = max_value(pts);
	const int h = 240, left = 40, bottom = 200, top = 20;
	double step = n > 1 ? (double)(SVG_W - left - 20) / (double)(n - 1)
			    : 0;
	json_t *p;
	int rc = buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
			    "width=\"%d\" height=\"%d\" role=\"img\"><title>",
			    SVG_W, h) ? CT_ENOMEM : 0;

	if (rc == 0)
		rc = esc(b, json_string_value(json_object_get(chart, "title")));
	if (rc == 0 && buf_printf(b, "</title><line x1=\"%d\" y1=\"%d\" "
				  "x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>"
				  "<text x=\"2\" y=\"%d\" font-size=\"11\">%.0f"
				  "</text><text x=\"2\" y=\"%d\" "
				  "font-size=\"11\">0</text>"
				  "<polyline fill=\"none\" stroke=\"#c0392b\" "
				  "stroke-width=\"2\" points=\"",
				  left, bottom, SVG_W - 10, bottom, top + 4,
				  max, bottom))
		rc = CT_ENOMEM;
	json_array_foreach(pts, i, p) {
		double v = (double)json_integer_value(json_object_get(p,
								      "value"));

		if (rc == 0 && buf_printf(b, "%s%.1f,%.1f", i ? " " : "",
					  left + step * (double)i,
					  bottom - v / max * (bottom - top)))
			rc = CT_ENOMEM;
	}
	if (rc == 0)
		rc = put(b, "\"/>");
	/* Labels of the first, middle and last points. */
	for (size_t k = 0; rc == 0 && k < 3 && n; k++) {
		size_t at = n - 1;

		if (k == 0)
			at = 0;
		else if (k == 1)
			at = n / 2;

		if ((k == 1 && (at == 0 || at == n - 1)) ||
		    (k == 2 && n == 1))
			continue;
		rc = buf_printf(b, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" "
				"text-anchor=\"middle\">",
				left + step * (double)at, bottom + 16)
			     ? CT_ENOMEM : 0;
		if (rc == 0)
			rc = esc(b, json_string_value(json_object_get(
				json_array_get(pts, at), "label")));
		if (rc == 0)
			rc = put(b, "</text>");
	}
	return rc ? rc : put(b, "</svg>");
}

static int html_table(struct buf *b, const json_t *t)
{
	json_t *col, *row, *cell;
	size_t i, j;
	int rc = put(b, "<h2>");

	if (rc == 0)
		rc = esc(b, json_string_value(json_object_get(t, "title")));
	if (rc == 0)
		rc = put(b, "</h2><table><thead><tr><th>");
	if (rc == 0)
		rc = esc(b, json_string_value(json_object_get(t, "key_title")));
	json_array_foreach(json_object_get(t, "columns"), i, col) {
		if (rc == 0)
			rc = put(b, "</th><th>");
		if (rc == 0)
			rc = esc(b, json_string_value(json_array_get(col, 1)));
	}
	if (rc == 0)
		rc = put(b, "</th></tr></thead><tbody>");
	json_array_foreach(json_object_get(t, "rows"), i, row) {
		if (rc == 0)
			rc = put(b, "<tr><td>");
		if (rc == 0)
			rc = esc(b, json_string_value(json_object_get(row,
								      "label")));
		json_array_foreach(json_object_get(row, "cells"), j, cell) {
			char text[1024];

			report_cell_text(cell, text, sizeof(text));
			if (rc == 0)
				rc = put(b, json_is_string(cell)
						    ? "</td><td>"
						    : "</td><td class=\"n\">");
			if (rc == 0)
				rc = esc(b, text);
		}
		if (rc == 0)
			rc = put(b, "</td></tr>");
	}
	if (rc == 0 && json_array_size(json_object_get(t, "rows")) == 0)
		rc = put(b, "<tr><td>无</td></tr>");
	return rc ? rc : put(b, "</tbody></table>");
}

static int html_charts(struct buf *b, const json_t *report)
{
	json_t *charts = report_charts(report), *chart;
	size_t i;
	int rc = put(b, "<h2>图表</h2>");

	json_array_foreach(charts, i, chart) {
		const char *type = json_string_value(json_object_get(chart,
								     "type"));

		if (rc == 0)
			rc = put(b, "<figure><figcaption>");
		if (rc == 0)
			rc = esc(b, json_string_value(json_object_get(chart,
								      "title")));
		if (rc == 0)
			rc = put(b, "</figcaption>");
		if (rc == 0)
			rc = strcmp(type, "line") ? svg_bar(b, chart)
						  : svg_line(b, chart);
		if (rc == 0)
			rc = put(b, "</figure>");
	}
	json_decref(charts);
	return rc;
}

int reports_html(const json_t *report, struct buf *out, struct error *err)
{
	char title[512], period[512];
	json_t *tables = report_tables(report), *t;
	size_t i;
	int rc;

	report_heading(report, title, sizeof(title), period, sizeof(period));
	/* The policy forbids scripts and any fetch, should escaping fail. */
	rc = put(out, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head>"
		      "<meta charset=\"utf-8\"><meta http-equiv=\""
		      "Content-Security-Policy\" content=\"default-src 'none'; "
		      "style-src 'unsafe-inline'\"><title>");
	if (rc == 0)
		rc = esc(out, title);
	if (rc == 0)
		rc = buf_printf(out, "</title><style>%s</style></head><body>"
				"<h1>", style) ? CT_ENOMEM : 0;
	if (rc == 0)
		rc = esc(out, title);
	if (rc == 0)
		rc = put(out, "</h1><p>");
	if (rc == 0)
		rc = esc(out, period);
	if (rc == 0)
		rc = put(out, "</p>");
	if (rc == 0 && !json_is_true(json_object_get(json_object_get(
				  report, "av"), "measured")))
		rc = put(out, "<p>本报告未读取音像文件，音像时效一节为空。</p>");
	json_array_foreach(tables, i, t) {
		if (rc == 0)
			rc = html_table(out, t);
		/* The charts follow the overview of the cases handled. */
		if (rc == 0 && i == 1)
			rc = html_charts(out, report);
	}
	if (rc == 0)
		rc = put(out, "</body></html>\n");
	json_decref(tables);
	return rc ? error_set(err, rc, "out of memory writing the HTML report")
		  : 0;
}
