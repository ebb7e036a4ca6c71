/*
 * Internals of the documents module: templates (template.c), filling
 * them from a case (fill.c), page layout (layout.c) and the seal
 * (seal.c).
 */
#ifndef CASETRAIL_DOCUMENTS_INTERNAL_H
#define CASETRAIL_DOCUMENTS_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "crypto/crypto.h"

struct access;
struct cases;

#define KIND_DOCUMENT_ISSUE "document-issue"
#define KIND_SEAL_KEY "seal-key"

struct documents {
	struct access *a;
	char data_dir[4096];
	json_t *templates; /* code -> template object */
	json_t *bureau;
	struct key *seal; /* NULL when keys/seal.key is missing */
	char *seal_pem;
	char seal_id[HASH_TEXT_MAX];
	void *seal_image;   /* cairo_surface_t of bureau.json's seal_image */
	pthread_mutex_t mu; /* one render and one issue at a time */
};

/* --- templates (template.c) ----------------------------------------------- */

/*
 * Loads every template of data_dir/documents/ into d->templates and
 * data_dir/bureau.json into d->bureau, checking members, placeholders
 * and filters; errors name the file and the value.
 */
int templates_load(struct documents *d, struct error *err);

/* --- items to lay out ------------------------------------------------------
 */

enum item_type {
	ITEM_TITLE,   /* centred, Song bold, large */
	ITEM_NUMBER,  /* centred document number under the title */
	ITEM_PARA,    /* FangSong, first line indented two characters */
	ITEM_HEADING, /* Song bold, no indent */
	ITEM_LINE,    /* FangSong, flush left, no indent */
	ITEM_RIGHT,   /* FangSong, flush right (issuer and date) */
	ITEM_ISSUER,  /* ITEM_RIGHT where the seal image is drawn */
	ITEM_TABLE,   /* ruled table of cells */
	ITEM_SPACE,   /* lines blank lines */
	ITEM_QR,      /* the verification code and its text */
};

struct item {
	enum item_type type;
	char *text;
	char **cells; /* nrows * ncols; NULL: spanned by the cell before */
	size_t nrows, ncols;
	int header; /* the first row is a header (bold) */
	int labels; /* the first column is labels (bold) */
	double *widths; /* ncols column shares of the text width, or NULL */
	int lines;
	size_t keep; /* bytes at the end of text never broken across lines */
};

struct items {
	struct item *v;
	size_t n, cap;
};

void items_release(struct items *it);
/* Whether v equals an element of the array list (a condition's "in"). */
int value_in(const json_t *list, const json_t *v);

/* Adds an item of type with a copy of text (may be NULL). */
int items_add(struct items *it, enum item_type type, const char *text);
/* Adds a table of nrows x ncols cells, taking ownership of cells. */
int items_add_table(struct items *it, char **cells, size_t nrows, size_t ncols,
		    int header, int labels);

/* --- layout (layout.c) ---------------------------------------------------- */

struct page_setup {
	const char *title;	 /* PDF metadata title */
	const char *date;	 /* ISO 8601 creation date (fixed) */
	const char *footer_sign; /* transcripts: signature line on each page */
	const char *qr_text;	 /* NULL: no code */
	void *seal_image;	 /* cairo_surface_t, NULL: no seal */
};

/*
 * Makes the fonts visible to fontconfig before the first render;
 * layout_fonts_release undoes it once every acquirer released it.
 */
void layout_fonts_acquire(void);
void layout_fonts_release(void);

/* Reads a PNG image (cairo_surface_t), or NULL when it cannot. */
void *layout_load_png(const char *path);
void layout_free_png(void *image);

/* Lays items out on A4 pages as a PDF appended to pdf. */
int layout_render(const struct page_setup *ps, const struct items *it,
		  struct buf *pdf, struct error *err);

/* --- filling (fill.c) ------------------------------------------------------
 */

/* The sources a template is filled from (all borrowed). */
struct fill_ctx {
	struct documents *d;
	const json_t *case_json;   /* as cases_show returns it */
	const json_t *record;	   /* the source record */
	const json_t *application; /* the case's application record */
	const json_t *matter;	   /* the matter of matters.json */
	const json_t *laws;	   /* laws.json */
	const json_t *item;	   /* inside each */
	long index;		   /* 1-based inside each */
	struct cases *cases;
};

/* Expands the placeholders of text into a new string. */
char *fill_text(const struct fill_ctx *fc, const char *text);

/* Turns a template's blocks into items. */
int fill_template(const struct fill_ctx *fc, const json_t *tpl,
		  struct items *it, struct error *err);

/* Formats a date or RFC 3339 time as 2026年12月4日 (with_time: 14时30分). */
int format_cn_date(const char *text, int with_time, char *out, size_t n);

/* Writes a number in Chinese figures (20 → 二十), 0 to 99999999. */
void format_cn_number(long long v, char *out, size_t n);

/* Citations of laws.json as text; returns a new string. */
char *format_citations(const json_t *laws, const json_t *cites);

/* --- the seal (seal.c) ------------------------------------------------------
 */

/* Loads keys/seal.key of the store, if present. */
int seal_load(struct documents *d, const char *store_dir, struct error *err);

/*
 * Appends the seal-key entry of the loaded key unless the log has one
 * for it already.
 */
int seal_record(struct documents *d, const char *actor, const char *os_user,
		struct error *err);

/* Signs statement with the seal key; appends the base64 signature. */
int seal_sign(struct documents *d, const struct buf *statement,
	      struct buf *sig_b64, struct error *err);

#endif
