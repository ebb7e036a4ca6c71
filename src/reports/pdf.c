/*
 * The report as an A4 PDF, laid out with Pango and drawn with Cairo in
 * the CJK fonts of the official documents. It contains the heading, the
 * tables of report_tables and the charts of report_charts, with
 * "第 n 页 共 m 页" at the foot of every page. The layout runs twice, once
 * to count the pages and once to draw them.
 */
#include "common/common.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include "documents/documents.h"
#include "internal.h"
#include "reports.h"

/* A4 in points, and the margins. */
#define PAGE_W 595.276
#define PAGE_H 841.890
#define MARGIN 50.0
#define BODY_W (PAGE_W - 2 * MARGIN)
#define BOTTOM (PAGE_H - MARGIN - 20)

struct pdf {
	cairo_t *cr;
	PangoContext *pc;
	int draw;	/* the second pass draws; the first counts pages */
	int page, pages;
	double y;
};

/* Lays out text in width at (x, y), and draws it on the drawing pass.
 * Returns its height. */
static double text_at(struct pdf *p, double x, double y, double width,
		      const char *text, double size, int title)
{
	PangoLayout *lay = pango_layout_new(p->pc);
	PangoFontDescription *fd = pango_font_description_new();
	int w, h;

	pango_font_description_set_family(fd, documents_font_family(title));
	pango_font_description_set_weight(fd, title ? PANGO_WEIGHT_BOLD
						    : PANGO_WEIGHT_NORMAL);
	pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
	pango_layout_set_font_description(lay, fd);
	pango_font_description_free(fd);
	pango_layout_set_width(lay, (int)(width * PANGO_SCALE));
	pango_layout_set_wrap(lay, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_text(lay, text ? text : "", -1);
	pango_layout_get_size(lay, &w, &h);
	if (p->draw) {
		cairo_move_to(p->cr, x, y);
		pango_cairo_show_layout(p->cr, lay);
	}
	g_object_unref(lay);
	return (double)h / PANGO_SCALE;
}

static void footer(struct pdf *p)
{
	char text[64];

	if (!p->draw)
		return;
	snprintf(text, sizeof(text), "第 %d 页 共 %d 页", p->page, p->pages);
	text_at(p, PAGE_W / 2 - 40, PAGE_H - MARGIN, 120, text, 9, 0);
}

static void next_page(struct pdf *p)
{
	footer(p);
	if (p->draw)
		cairo_show_page(p->cr);
	p->page++;
	p->y = MARGIN;
}

/* Starts a new page unless h more points fit on this one. */
static void room_for(struct pdf *p, double h)
{
	if (p->y + h > BOTTOM && p->y > MARGIN)
		next_page(p);
}

/* The height of a table row: its tallest cell. */
static double row_height(struct pdf *p, char **cells, size_t n,
			 const double *widths)
{
	int draw = p->draw;
	double h = 0;

	p->draw = 0;
	for (size_t i = 0; i < n; i++) {
		double ch = text_at(p, 0, 0, widths[i] - 4, cells[i], 8, 0);

		if (ch > h)
			h = ch;
	}
	p->draw = draw;
	return h + 4;
}

static void draw_row(struct pdf *p, char **cells, size_t n,
		     const double *widths, int head)
{
	double h = row_height(p, cells, n, widths), x = MARGIN;

	room_for(p, h);
	for (size_t i = 0; i < n; i++) {
		if (p->draw) {
			cairo_rectangle(p->cr, x, p->y, widths[i], h);
			if (head) {
				cairo_set_source_rgb(p->cr, 0.92, 0.92, 0.92);
				cairo_fill_preserve(p->cr);
			}
			cairo_set_source_rgb(p->cr, 0.4, 0.4, 0.4);
			cairo_set_line_width(p->cr, 0.5);
			cairo_stroke(p->cr);
			cairo_set_source_rgb(p->cr, 0, 0, 0);
		}
		text_at(p, x + 2, p->y + 2, widths[i] - 4, cells[i], 8, 0);
		x += widths[i];
	}
	p->y += h;
}

static void draw_table(struct pdf *p, const json_t *t)
{
	const json_t *cols = json_object_get(t, "columns");
	size_t n = json_array_size(cols) + 1, i, j;
	double *widths = calloc(n, sizeof(*widths));
	char **cells = calloc(n, sizeof(*cells));
	double first = n > 4 ? 90 : 220, weights = 0;
	json_t *row, *col;

	/* Columns of text get twice the room of columns of numbers. */
	widths[0] = first;
	for (i = 1; i < n; i++) {
		widths[i] = 1;
		json_array_foreach(json_object_get(t, "rows"), j, row)
			if (json_is_string(json_array_get(
				    json_object_get(row, "cells"), i - 1)))
				widths[i] = 2;
		weights += widths[i];
	}
	for (i = 1; i < n; i++)
		widths[i] *= (BODY_W - first) / weights;
	room_for(p, 60);
	p->y += 10;
	p->y += text_at(p, MARGIN, p->y, BODY_W, json_string_value(
				json_object_get(t, "title")), 12, 1) + 4;
	cells[0] = strdup(json_string_value(json_object_get(t, "key_title"))
			  ?: "");
	json_array_foreach(cols, i, col)
		cells[i + 1] = strdup(json_string_value(json_array_get(col, 1))
				      ?: "");
	draw_row(p, cells, n, widths, 1);
	for (i = 0; i < n; i++)
		free(cells[i]);
	json_array_foreach(json_object_get(t, "rows"), i, row) {
		char text[1024];

		cells[0] = strdup(json_string_value(json_object_get(row,
								    "label"))
				  ?: "");
		for (j = 1; j < n; j++) {
			report_cell_text(json_array_get(json_object_get(row,
									"cells"),
							j - 1),
					 text, sizeof(text));
			cells[j] = strdup(text);
		}
		draw_row(p, cells, n, widths, 0);
		for (j = 0; j < n; j++)
			free(cells[j]);
	}
	free(cells);
	free(widths);
}

static double max_value(const json_t *pts)
{
	double max = 0;
	json_t *pt;
	size_t i;

	json_array_foreach(pts, i, pt)
		if ((double)json_integer_value(json_object_get(pt, "value")) >
		    max)
			max = (double)json_integer_value(
			    json_object_get(pt, "value"));
	return max > 0 ? max : 1;
}

static void draw_bar(struct pdf *p, const json_t *pts)
{
	double max = max_value(pts), span = BODY_W - 200;
	json_t *pt;
	size_t i;

	json_array_foreach(pts, i, pt) {
		json_int_t v = json_integer_value(json_object_get(pt, "value"));
		double w = (double)v / max * span;
		char num[32];

		room_for(p, 16);
		text_at(p, MARGIN, p->y, 170, json_string_value(json_object_get(
						   pt, "label")), 8, 0);
		if (p->draw) {
			cairo_set_source_rgb(p->cr, 0.29, 0.44, 0.65);
			cairo_rectangle(p->cr, MARGIN + 175, p->y + 1, w, 10);
			cairo_fill(p->cr);
			cairo_set_source_rgb(p->cr, 0, 0, 0);
		}
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, v);
		text_at(p, MARGIN + 178 + w, p->y, 40, num, 8, 0);
		p->y += 16;
	}
}

static void draw_line(struct pdf *p, const json_t *pts)
{
	size_t n = json_array_size(pts), i;
	double max = max_value(pts), h = 150, top, step;
	char num[32];
	json_t *pt;

	room_for(p, h + 30);
	top = p->y;
	step = n > 1 ? (BODY_W - 40) / (double)(n - 1) : 0;
	snprintf(num, sizeof(num), "%.0f", max);
	text_at(p, MARGIN, top, 30, num, 8, 0);
	text_at(p, MARGIN, top + h - 10, 30, "0", 8, 0);
	if (p->draw) {
		cairo_set_line_width(p->cr, 0.8);
		cairo_move_to(p->cr, MARGIN + 30, top + h);
		cairo_line_to(p->cr, MARGIN + BODY_W, top + h);
		cairo_stroke(p->cr);
		cairo_set_source_rgb(p->cr, 0.75, 0.22, 0.17);
		cairo_set_line_width(p->cr, 1.5);
		json_array_foreach(pts, i, pt) {
			double v = (double)json_integer_value(
			    json_object_get(pt, "value"));
			double x = MARGIN + 35 + step * (double)i;
			double y = top + h - v / max * (h - 10);

			if (i == 0)
				cairo_move_to(p->cr, x, y);
			else
				cairo_line_to(p->cr, x, y);
		}
		cairo_stroke(p->cr);
		cairo_set_source_rgb(p->cr, 0, 0, 0);
	}
	if (n) {
		text_at(p, MARGIN + 30, top + h + 2, 80, json_string_value(
				json_object_get(json_array_get(pts, 0), "label")),
			8, 0);
		text_at(p, MARGIN + BODY_W - 60, top + h + 2, 80,
			json_string_value(json_object_get(
				json_array_get(pts, n - 1), "label")),
			8, 0);
	}
	p->y = top + h + 20;
}

static void draw_charts(struct pdf *p, const json_t *report)
{
	json_t *charts = report_charts(report), *chart;
	size_t i;

	json_array_foreach(charts, i, chart) {
		const json_t *pts = json_object_get(chart, "points");

		room_for(p, 60);
		p->y += 10;
		p->y += text_at(p, MARGIN, p->y, BODY_W, json_string_value(
					json_object_get(chart, "title")), 12, 1) + 4;
		if (json_array_size(pts) == 0) {
			p->y += text_at(p, MARGIN, p->y, BODY_W, "无数据", 9, 0);
			continue;
		}
		if (strcmp(json_string_value(json_object_get(chart, "type")),
			   "line"))
			draw_bar(p, pts);
		else
			draw_line(p, pts);
	}
	json_decref(charts);
}

static void run(struct pdf *p, const json_t *report, const json_t *tables)
{
	char title[512], period[512];
	json_t *t;
	size_t i;

	p->page = 1;
	p->y = MARGIN;
	report_heading(report, title, sizeof(title), period, sizeof(period));
	p->y += text_at(p, MARGIN, p->y, BODY_W, title, 16, 1) + 6;
	p->y += text_at(p, MARGIN, p->y, BODY_W, period, 9, 0) + 6;
	json_array_foreach(tables, i, t) {
		if (i == 0)
			continue; /* the heading states the period already */
		draw_table(p, t);
		if (i == 1)
			draw_charts(p, report);
	}
	footer(p);
}

static cairo_status_t write_buf(void *closure, const unsigned char *data,
				unsigned int len)
{
	return buf_append(closure, data, len) ? CAIRO_STATUS_WRITE_ERROR
					      : CAIRO_STATUS_SUCCESS;
}

int reports_pdf(const json_t *report, struct buf *out, struct error *err)
{
	json_t *tables = report_tables(report);
	cairo_surface_t *surface;
	PangoFontMap *fm;
	struct pdf p = { 0 };
	cairo_status_t st;
	char title[512], period[512];

	documents_fonts_acquire();
	/* A font map per render, as the documents do: its caches go with it. */
	fm = pango_cairo_font_map_new_for_font_type(CAIRO_FONT_TYPE_FT);
	if (!fm) {
		json_decref(tables);
		documents_fonts_release();
		return error_set(err, CT_EIO, "cannot render the PDF report: "
				 "Pango has no FreeType font map");
	}
	report_heading(report, title, sizeof(title), period, sizeof(period));
	surface = cairo_pdf_surface_create_for_stream(write_buf, out, PAGE_W,
						      PAGE_H);
	cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE,
				       title);
	cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR,
				       "casetrail");
	p.cr = cairo_create(surface);
	p.pc = pango_font_map_create_context(fm);
	pango_cairo_update_context(p.cr, p.pc);
	pango_context_set_language(p.pc, pango_language_from_string("zh-cn"));
	run(&p, report, tables);
	p.pages = p.page;
	p.draw = 1;
	run(&p, report, tables);
	g_object_unref(p.pc);
	cairo_destroy(p.cr);
	cairo_surface_finish(surface);
	st = cairo_surface_status(surface);
	cairo_surface_destroy(surface);
	g_object_unref(fm);
	documents_fonts_release();
	json_decref(tables);
	if (st != CAIRO_STATUS_SUCCESS)
		return error_set(err, CT_EIO, "cannot render the PDF report: %s",
				 cairo_status_to_string(st));
	return 0;
}
