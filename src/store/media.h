/*
 * Projection tables of the audio-visual evidence: one row per ingested
 * file (p_media, keyed by the seq of its ingest entry), the entries that
 * touched each stored file (p_custody, for its chain of custody) and the
 * holds that keep footage from purging (p_holds).
 *
 * Like the other projections (projection.h) they hold nothing the log
 * does not, and the row functions take a connection inside a transaction.
 * Bodies are JSON text that the caller writes and reads.
 */
#ifndef CASETRAIL_STORE_MEDIA_H
#define CASETRAIL_STORE_MEDIA_H

#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "store/projection.h"
#include "store/store.h"

/* A time that is not known. */
#define STORE_NO_TIME INT64_MIN

struct store_media {
	uint64_t seq;          /* the ingest entry */
	const char *hash;      /* the blob */
	const char *type;      /* photo, audio, video, surveillance */
	const char *case_id;   /* NULL when not linked to a case */
	const char *window;    /* the window camera's id, surveillance only */
	int64_t start_ms;      /* capture start, or STORE_NO_TIME */
	int64_t end_ms;        /* capture end, or STORE_NO_TIME */
	int64_t ingested_ms;
	int64_t purged_seq;    /* the purge entry, or -1 */
	const char *body;      /* JSON of the whole row */
};

/* Inserts or replaces a row. */
int store_media_put(struct store *s, const struct store_media *m,
		    struct error *err);

/* Reads the body of the row of ingest seq, or returns CT_ENOTFOUND. */
int store_media_get(struct store *s, uint64_t seq, struct buf *body,
		    struct error *err);

/* Called with each row's body. A non-zero return stops the scan. */
typedef int (*store_media_fn)(void *ctx, const char *body, size_t len);

struct store_media_filter {
	const char *hash;     /* NULL for any */
	const char *case_id;  /* NULL for any */
	const char *type;     /* NULL for any */
	const char *window;   /* NULL for any */
	int64_t from_ms;      /* capture start at or after, or STORE_NO_TIME */
	int64_t to_ms;        /* capture start before, or STORE_NO_TIME */
	int unpurged;         /* only rows not purged */
	uint64_t after_seq;   /* only rows with seq > after_seq, when set */
	int has_after;
	size_t offset, limit; /* limit 0: no limit */
	int by_capture;       /* order by capture start, else by seq */
};

/* Lists rows in seq (or capture) order. *total (may be NULL) gets the
 * number of rows the filter matches, ignoring offset and limit. */
int store_media_list(struct store *s, const struct store_media_filter *f,
		     store_media_fn fn, void *ctx, uint64_t *total,
		     struct error *err);

/*
 * Reads the bodies of the segments of window just before and just after
 * start_ms (by capture start, other than seq itself) into prev and next,
 * leaving a buffer empty when there is no such segment.
 */
int store_media_neighbours(struct store *s, const char *window,
			   uint64_t seq, int64_t start_ms, struct buf *prev,
			   struct buf *next, struct error *err);

/* Records that entry seq touched the blob hash (ingest, link, access,
 * hold, purge). */
int store_custody_add(struct store *s, const char *hash, uint64_t seq,
		      struct error *err);

/* Calls fn with the seqs of the entries that touched hash, in order. */
int store_custody_list(struct store *s, const char *hash, store_seq_fn fn,
		       void *ctx, struct error *err);

struct store_hold {
	const char *id;
	uint64_t seq;          /* the entry that placed it */
	const char *window;    /* NULL: not by window */
	int64_t from_ms, to_ms; /* capture span held, for a window */
	int64_t media_seq;     /* one file held, or -1 */
	const char *case_id;   /* NULL unless linked to a case */
	int64_t released_seq;  /* -1 while it lasts */
	const char *body;
};

int store_hold_put(struct store *s, const struct store_hold *h,
		   struct error *err);

/* Reads a hold's body; CT_ENOTFOUND. */
int store_hold_get(struct store *s, const char *id, struct buf *body,
		   struct error *err);

/* Lists holds' bodies, only those in force with active. */
int store_hold_list(struct store *s, int active, store_media_fn fn,
		    void *ctx, struct error *err);

/*
 * Returns 1 when a hold in force covers the file of ingest seq, 0 when
 * none does. A hold covers it by its seq, or by its window when the
 * capture [start_ms, end_ms] overlaps the hold's [from, to). A segment
 * with no known capture start (STORE_NO_TIME) is covered by every hold
 * of its window, because its footage may be of any time. An end of
 * STORE_NO_TIME counts as the start.
 */
int store_hold_covers(struct store *s, uint64_t seq, const char *window,
		      int64_t start_ms, int64_t end_ms, struct error *err);

/*
 * Findings of no case about a file (a late upload, a gap in a window's
 * footage), found by code and the seq they name: the id of the open one,
 * or CT_ENOTFOUND; and removal of all of them.
 */
int store_media_finding_open(struct store *s, const char *code,
			     uint64_t record_seq, int64_t *id,
			     struct error *err);
int store_media_finding_drop(struct store *s, const char *code,
			     uint64_t record_seq, struct error *err);

/* Creates the tables when missing; clears them. */
int media_proj_create(struct store *s, struct error *err);
int media_proj_clear(struct store *s, struct error *err);

#endif
