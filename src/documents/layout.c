/*
 * Page layout: items on A4 pages as PDF, with Cairo drawing and Pango
 * doing every line break and glyph placement.
 *
 * Margins follow the national standard for official documents (GB/T
 * 9704): about 37 mm top, 35 mm bottom, 28 mm left and 26 mm right.
 * Titles use a Song face, the body a FangSong face: the Fandol fonts of
 * TeX Live, else Noto Serif CJK SC. Cairo embeds the subsets it uses.
 *
 * The layout runs twice, first only counting pages so that each footer
 * can print "第 N 页 共 M 页". Nothing of the moment of rendering enters
 * the file: the metadata dates are those of the record, and hinting is
 * off, so the same items give the same bytes.
 */
#include "common/common.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>
#include <qrencode.h>

#include <unistd.h>

#include "common/log.h"
#include "documents.h"
#include "internal.h"

#define MM (72.0 / 25.4)
#define PAGE_W (210 * MM)
#define PAGE_H (297 * MM)
#define MARGIN_TOP (37 * MM)
#define MARGIN_BOTTOM (35 * MM)
#define MARGIN_LEFT (28 * MM)
#define MARGIN_RIGHT (26 * MM)
#define TEXT_W (PAGE_W - MARGIN_LEFT - MARGIN_RIGHT)
#define QR_SIZE (24 * MM)
#define SEAL_SIZE (42 * MM)
#define CELL_PAD 4.0

#define FANDOL_DIR "/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CASETRAIL_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define CASETRAIL_ASAN 1
#endif

#ifdef CASETRAIL_ASAN
/*
 * Cairo 1.16.0 leaks one array (768 bytes here) each time it subsets a
 * CFF font such as Fandol or Noto CJK into a PDF. A program that only
 * draws one Pango line in such a font and finishes the surface shows
 * it. LeakSanitizer calls this function for its suppressions.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libcairo.so\n";
}
#endif

/* Open documents handles; the fonts are set up for the first. */
static pthread_mutex_t fonts_mu = PTHREAD_MUTEX_INITIALIZER;
static int fonts_users;
static const char *song = "FandolSong";
static const char *fang = "FandolFang";

/*
 * FandolSong-Bold.otf states weight 80 (regular), so fontconfig 2.14
 * matches it for bold Song but also emboldens it synthetically, and
 * Cairo then embeds an outline copy under the name CairoFont-0-0. This
 * rule, applied at match time, keeps the bold face as it is.
 */
static const char fandol_rules[] =
    "<?xml version=\"1.0\"?><fontconfig><match target=\"font\">"
    "<test name=\"family\"><string>FandolSong</string></test>"
    "<test name=\"style\"><string>Bold</string></test>"
    "<edit name=\"embolden\" mode=\"assign\"><bool>false</bool></edit>"
    "</match></fontconfig>";

static void fonts_setup(void)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/FandolFang-Regular.otf", FANDOL_DIR);
	if (!FcConfigParseAndLoadFromMemory(
		FcConfigGetCurrent(), (const FcChar8 *)fandol_rules, FcTrue))
		log_warn("documents", "fontconfig rule not loaded",
			 "font=FandolSong-Bold");
	if (access(path, R_OK) == 0 &&
	    FcConfigAppFontAddDir(FcConfigGetCurrent(),
				  (const FcChar8 *)FANDOL_DIR)) {
		log_info("documents", "fonts",
			 "song=FandolSong "
			 "fangsong=FandolFang dir=%s",
			 FANDOL_DIR);
	} else {
		song = fang = "Noto Serif CJK SC";
		log_warn("documents",
			 "Fandol fonts missing, using Noto Serif "
			 "CJK SC",
			 "dir=%s", FANDOL_DIR);
	}
}

void layout_fonts_acquire(void)
{
	pthread_mutex_lock(&fonts_mu);
	if (fonts_users++ == 0)
		fonts_setup();
	pthread_mutex_unlock(&fonts_mu);
}

/*
 * The last release frees what fontconfig and Cairo cache for the whole
 * process, so that a leak checker reports only what casetrail leaked.
 */
void layout_fonts_release(void)
{
	pthread_mutex_lock(&fonts_mu);
	if (--fonts_users == 0) {
		cairo_debug_reset_static_data();
		FcFini();
	}
	pthread_mutex_unlock(&fonts_mu);
}

void documents_fonts_acquire(void)
{
	layout_fonts_acquire();
}

void documents_fonts_release(void)
{
	layout_fonts_release();
}

const char *documents_font_family(int title)
{
	return title ? song : fang;
}

void *layout_load_png(const char *path)
{
	cairo_surface_t *img = cairo_image_surface_create_from_png(path);

	if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(img);
		return NULL;
	}
	return img;
}

void layout_free_png(void *image)
{
	if (image)
		cairo_surface_destroy(image);
}

/* The position of the next item and its page. */
struct pager {
	cairo_t *cr;
	PangoContext *pc;
	const struct page_setup *ps;
	int draw;	 /* 0 while counting pages */
	int page, pages; /* 1-based; pages known when drawing */
	double y, bottom;
	/*
	 * The run of short lines that ends the items (see track_run): its
	 * top and page (page 0: no run), its widest flush-left line and
	 * whether it has a flush-right line. The code may go beside it.
	 */
	double run_top, run_left_w;
	int run_page, run_right;
	double text_w; /* widest line of the text put_text placed last */
};

static PangoLayout *make_layout(struct pager *pg, const char *family, int bold,
				double size, double width)
{
	PangoLayout *lay = pango_layout_new(pg->pc);
	PangoFontDescription *fd = pango_font_description_new();

	pango_font_description_set_family(fd, family);
	pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD
						   : PANGO_WEIGHT_NORMAL);
	pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
	pango_layout_set_font_description(lay, fd);
	pango_font_description_free(fd);
	pango_layout_set_width(lay, (int)(width * PANGO_SCALE));
	pango_layout_set_wrap(lay, PANGO_WRAP_WORD_CHAR);
	return lay;
}

static void draw_footer(struct pager *pg)
{
	char text[128];
	PangoLayout *lay;

	if (pg->ps->footer_sign) {
		lay = make_layout(pg, fang, 0, 12, TEXT_W);
		pango_layout_set_text(lay, pg->ps->footer_sign, -1);
		cairo_move_to(pg->cr, MARGIN_LEFT, PAGE_H - MARGIN_BOTTOM + 4);
		pango_cairo_show_layout(pg->cr, lay);
		g_object_unref(lay);
	}
	snprintf(text, sizeof(text), "第 %d 页 共 %d 页", pg->page, pg->pages);
	lay = make_layout(pg, fang, 0, 12, TEXT_W);
	pango_layout_set_alignment(lay, PANGO_ALIGN_CENTER);
	pango_layout_set_text(lay, text, -1);
	cairo_move_to(pg->cr, MARGIN_LEFT, PAGE_H - MARGIN_BOTTOM / 2);
	pango_cairo_show_layout(pg->cr, lay);
	g_object_unref(lay);
}

static void new_page(struct pager *pg)
{
	if (pg->draw) {
		draw_footer(pg);
		cairo_show_page(pg->cr);
	}
	pg->page++;
	pg->y = MARGIN_TOP;
}

/*
 * Places a layout at x line by line from the current position, moving
 * to a new page where a line would cross the bottom margin.
 */
static void put_layout(struct pager *pg, PangoLayout *lay, double x,
		       double after)
{
	PangoLayoutIter *iter = pango_layout_get_iter(lay);
	double consumed = 0, last = 0;

	do {
		PangoRectangle r;
		double top, height, base;

		pango_layout_iter_get_line_extents(iter, NULL, &r);
		top = (double)r.y / PANGO_SCALE;
		height = (double)r.height / PANGO_SCALE;
		/* A line that a page cannot take starts the next page. */
		if (pg->y + top - consumed + height > pg->bottom &&
		    pg->y + top - consumed > MARGIN_TOP + 0.5) {
			new_page(pg);
			consumed = top;
		}
		base =
		    (double)pango_layout_iter_get_baseline(iter) / PANGO_SCALE;
		if (pg->draw) {
			cairo_move_to(pg->cr, x + (double)r.x / PANGO_SCALE,
				      pg->y + base - consumed);
			pango_cairo_show_layout_line(
			    pg->cr, pango_layout_iter_get_line_readonly(iter));
		}
		last = top + height;
	} while (pango_layout_iter_next_line(iter));
	pango_layout_iter_free(iter);
	pg->y += last - consumed + after;
}

static void put_text(struct pager *pg, const char *text, const char *family,
		     int bold, double size, PangoAlignment align, double indent,
		     double after, size_t keep)
{
	PangoLayout *lay = make_layout(pg, family, bold, size, TEXT_W);
	PangoRectangle logical;
	size_t len = text ? strlen(text) : 0;

	pango_layout_set_alignment(lay, align);
	pango_layout_set_indent(lay, (int)(indent * PANGO_SCALE));
	pango_layout_set_spacing(lay, (int)(size * 0.5 * PANGO_SCALE));
	if (align == PANGO_ALIGN_LEFT && indent > 0)
		pango_layout_set_justify(lay, TRUE);
	pango_layout_set_text(lay, text ? text : "", -1);
	if (keep > 0 && keep <= len) {
		/* The kept tail (a signature's date) moves to the next line
		 * whole when it does not fit. */
		PangoAttrList *attrs = pango_attr_list_new();
		PangoAttribute *a = pango_attr_allow_breaks_new(FALSE);

		a->start_index = (guint)(len - keep);
		a->end_index = (guint)len;
		pango_attr_list_insert(attrs, a);
		pango_layout_set_attributes(lay, attrs);
		pango_attr_list_unref(attrs);
	}
	put_layout(pg, lay, MARGIN_LEFT, after);
	pango_layout_get_extents(lay, NULL, &logical);
	pg->text_w = (double)logical.width / PANGO_SCALE;
	g_object_unref(lay);
}

/* Draws the seal image centred on the issuer line just placed. */
static void put_seal(struct pager *pg, double line_top, double line_h)
{
	cairo_surface_t *img = pg->ps->seal_image;
	double w, h, scale;

	if (!img || !pg->draw)
		return;
	w = cairo_image_surface_get_width(img);
	h = cairo_image_surface_get_height(img);
	if (w <= 0 || h <= 0)
		return;
	scale = SEAL_SIZE / (w > h ? w : h);
	cairo_save(pg->cr);
	cairo_translate(pg->cr, MARGIN_LEFT + TEXT_W - SEAL_SIZE * 0.9,
			line_top + line_h / 2 - h * scale / 2);
	cairo_scale(pg->cr, scale, scale);
	cairo_set_source_surface(pg->cr, img, 0, 0);
	cairo_paint_with_alpha(pg->cr, 0.85);
	cairo_restore(pg->cr);
}

static double cell_width(const struct item *x, size_t c)
{
	if (x->widths)
		return TEXT_W * x->widths[c];
	if (x->ncols == 2)
		return c == 0 ? TEXT_W * 0.3 : TEXT_W * 0.7;
	return TEXT_W / (double)x->ncols;
}

/* Draws one table row: Pango layouts in Cairo rectangles. */
static void put_row(struct pager *pg, const struct item *x, size_t row)
{
	PangoLayout *lays[32] = { 0 };
	double widths[32], height = 0, cx = MARGIN_LEFT;
	size_t ncols = x->ncols < 32 ? x->ncols : 32, n = 0;

	for (size_t c = 0; c < ncols; c++) {
		const char *text = x->cells[row * x->ncols + c];
		int bold = (x->header && row == 0) || (x->labels && c == 0);
		size_t span = 1;
		int h;

		if (!text && c > 0)
			continue;
		while (c + span < ncols && !x->cells[row * x->ncols + c + span])
			span++;
		widths[n] = 0;
		for (size_t s = 0; s < span; s++)
			widths[n] += cell_width(x, c + s);
		lays[n] = make_layout(pg, bold ? song : fang, bold, 14,
				      widths[n] - 2 * CELL_PAD);
		pango_layout_set_text(lays[n], text ? text : "", -1);
		pango_layout_get_size(lays[n], NULL, &h);
		if ((double)h / PANGO_SCALE + 2 * CELL_PAD > height)
			height = (double)h / PANGO_SCALE + 2 * CELL_PAD;
		n++;
	}
	if (pg->y + height > pg->bottom && pg->y > MARGIN_TOP)
		new_page(pg);
	for (size_t i = 0; i < n; i++) {
		if (pg->draw) {
			cairo_rectangle(pg->cr, cx, pg->y, widths[i], height);
			cairo_set_line_width(pg->cr, 0.75);
			cairo_stroke(pg->cr);
			cairo_move_to(pg->cr, cx + CELL_PAD, pg->y + CELL_PAD);
			pango_cairo_show_layout(pg->cr, lays[i]);
		}
		cx += widths[i];
		g_object_unref(lays[i]);
	}
	pg->y += height;
}

/*
 * Finds where the code goes beside the closing run of short lines when
 * it does not fit below them. Left of flush-right lines it keeps its
 * caption, and right of narrow flush-left lines it has none. Returns 0
 * when the run leaves no room, else 1 with *x and *caption_w set.
 */
static int qr_beside(const struct pager *pg, double *x, double *caption_w)
{
	if (pg->run_page != pg->page || pg->run_top + QR_SIZE > pg->bottom)
		return 0;
	if (pg->run_left_w == 0) {
		*x = MARGIN_LEFT;
		/* Leaves the right half to the issuer and date. */
		*caption_w = TEXT_W * 0.5 - QR_SIZE - 4 * MM;
		return 1;
	}
	if (pg->run_right || TEXT_W - pg->run_left_w < QR_SIZE + 2 * MM)
		return 0;
	*x = MARGIN_LEFT + TEXT_W - QR_SIZE;
	*caption_w = 0;
	return 1;
}

/*
 * Draws the verification code below the last item. When the page has
 * no room left for it there, it goes beside the closing lines (see
 * qr_beside), and only when they leave no room onto a new page.
 */
static void put_qr(struct pager *pg, const char *text)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	PangoLayout *lay;
	double module, top = pg->y + 12, x = MARGIN_LEFT;
	double caption_w = TEXT_W - QR_SIZE - 4 * MM;
	int beside = 0;

	if (!q)
		return;
	if (top + QR_SIZE > pg->bottom) {
		beside = qr_beside(pg, &x, &caption_w);
		if (beside) {
			top = pg->run_top;
		} else {
			new_page(pg);
			top = pg->y;
		}
	}
	module = QR_SIZE / q->width;
	if (pg->draw) {
		for (int r = 0; r < q->width; r++)
			for (int c = 0; c < q->width; c++)
				if (q->data[r * q->width + c] & 1)
					cairo_rectangle(
					    pg->cr, x + c * module,
					    top + r * module, module, module);
		cairo_fill(pg->cr);
	}
	if (pg->draw && caption_w > 0) {
		lay = make_layout(pg, fang, 0, 9, caption_w);
		pango_layout_set_text(lay,
				      "扫描二维码核验：本文书的来源记录在"
				      "记录系统中的位置与叶哈希，可用 "
				      "casetrail proof 验证。",
				      -1);
		cairo_move_to(pg->cr, x + QR_SIZE + 4 * MM, top);
		pango_cairo_show_layout(pg->cr, lay);
		g_object_unref(lay);
	}
	if (!beside)
		pg->y = top + QR_SIZE;
	QRcode_free(q);
}

/*
 * Keeps the run of short lines that the items end with (struct pager):
 * flush-right lines, and flush-left lines and paragraphs narrow enough
 * to leave room for the code on their right.
 */
static void track_run(struct pager *pg, const struct item *x, double top)
{
	int line = x->type == ITEM_LINE || x->type == ITEM_PARA ||
		   x->type == ITEM_HEADING;

	if ((!line && x->type != ITEM_RIGHT && x->type != ITEM_ISSUER) ||
	    (line && pg->text_w > TEXT_W - QR_SIZE - 2 * MM)) {
		pg->run_page = 0;
		return;
	}
	if (pg->run_page != pg->page) {
		/* A line that started a new page begins there. */
		pg->run_top = pg->y < top ? MARGIN_TOP : top;
		pg->run_page = pg->page;
		pg->run_left_w = 0;
		pg->run_right = 0;
	}
	if (line && pg->text_w > pg->run_left_w)
		pg->run_left_w = pg->text_w;
	pg->run_right |= !line;
}

static void put_item(struct pager *pg, const struct item *x)
{
	double top = pg->y;

	switch (x->type) {
	case ITEM_TITLE:
		put_text(pg, x->text, song, 1, 22, PANGO_ALIGN_CENTER, 0, 12, 0);
		break;
	case ITEM_NUMBER:
		put_text(pg, x->text, fang, 0, 16, PANGO_ALIGN_CENTER, 0, 16, 0);
		break;
	case ITEM_PARA:
		put_text(pg, x->text, fang, 0, 16, PANGO_ALIGN_LEFT, 32, 4, 0);
		break;
	case ITEM_HEADING:
		put_text(pg, x->text, song, 1, 16, PANGO_ALIGN_LEFT, 0, 4, 0);
		break;
	case ITEM_LINE:
		put_text(pg, x->text, fang, 0, 16, PANGO_ALIGN_LEFT, 0, 4,
			 x->keep);
		break;
	case ITEM_RIGHT:
	case ITEM_ISSUER:
		put_text(pg, x->text, fang, 0, 16, PANGO_ALIGN_RIGHT, 0, 4, 0);
		if (x->type == ITEM_ISSUER && pg->y > top)
			put_seal(pg, top, pg->y - top);
		break;
	case ITEM_TABLE:
		for (size_t r = 0; r < x->nrows; r++)
			put_row(pg, x, r);
		pg->y += 8;
		break;
	case ITEM_SPACE:
		pg->y += 24.0 * (x->lines > 0 ? x->lines : 1);
		if (pg->y > pg->bottom)
			new_page(pg);
		break;
	case ITEM_QR: put_qr(pg, x->text); break;
	}
	track_run(pg, x, top);
}

/* Runs the layout once: counting pages (draw 0) or drawing them. */
static void run_layout(struct pager *pg, const struct items *it)
{
	pg->page = 1;
	pg->y = MARGIN_TOP;
	pg->run_page = 0;
	pg->bottom = PAGE_H - MARGIN_BOTTOM - (pg->ps->footer_sign ? 8 : 0);
	for (size_t i = 0; i < it->n; i++)
		put_item(pg, &it->v[i]);
	if (pg->ps->qr_text) {
		struct item qr = { .type = ITEM_QR,
				   .text = (char *)pg->ps->qr_text };

		put_item(pg, &qr);
	}
	if (pg->draw) {
		draw_footer(pg);
		cairo_show_page(pg->cr);
	}
}

static cairo_status_t write_buf(void *closure, const unsigned char *data,
				unsigned int len)
{
	return buf_append(closure, data, len) ? CAIRO_STATUS_WRITE_ERROR
					      : CAIRO_STATUS_SUCCESS;
}

static PangoContext *make_context(PangoFontMap *fm, cairo_t *cr)
{
	PangoContext *pc = pango_font_map_create_context(fm);
	cairo_font_options_t *fo = cairo_font_options_create();

	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
	pango_cairo_update_context(cr, pc);
	pango_cairo_context_set_font_options(pc, fo);
	cairo_font_options_destroy(fo);
	pango_context_set_language(pc, pango_language_from_string("zh-cn"));
	return pc;
}

int layout_render(const struct page_setup *ps, const struct items *it,
		  struct buf *pdf, struct error *err)
{
	cairo_surface_t *surface;
	struct pager pg = { .ps = ps };
	cairo_status_t st;
	/* A font map per render: its caches go with it. */
	PangoFontMap *fm =
	    pango_cairo_font_map_new_for_font_type(CAIRO_FONT_TYPE_FT);

	if (!fm)
		return error_set(err, CT_EIO, "cannot render the PDF: Pango "
					      "has no FreeType font map");
	surface =
	    cairo_pdf_surface_create_for_stream(write_buf, pdf, PAGE_W, PAGE_H);
	cairo_pdf_surface_restrict_to_version(surface, CAIRO_PDF_VERSION_1_5);
	cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE,
				       ps->title ? ps->title : "");
	cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR,
				       "casetrail");
	if (ps->date) {
		cairo_pdf_surface_set_metadata(
		    surface, CAIRO_PDF_METADATA_CREATE_DATE, ps->date);
		cairo_pdf_surface_set_metadata(
		    surface, CAIRO_PDF_METADATA_MOD_DATE, ps->date);
	}
	pg.cr = cairo_create(surface);
	pg.pc = make_context(fm, pg.cr);
	run_layout(&pg, it);
	pg.pages = pg.page;
	pg.draw = 1;
	cairo_set_source_rgb(pg.cr, 0, 0, 0);
	run_layout(&pg, it);
	g_object_unref(pg.pc);
	cairo_destroy(pg.cr);
	cairo_surface_finish(surface);
	st = cairo_surface_status(surface);
	cairo_surface_destroy(surface);
	g_object_unref(fm);
	if (st != CAIRO_STATUS_SUCCESS)
		return error_set(err, CT_EIO, "cannot render the PDF: %s",
				 cairo_status_to_string(st));
	return 0;
}
