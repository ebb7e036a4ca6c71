/*
 * Projection tables: what the workflow derives from the log to serve
 * queries fast. Cases, the records of each case, users, token hashes,
 * findings and imported calendar years. They contain nothing that the
 * log does not, so they can be cleared and rebuilt from it. Numbering
 * counters are the one exception: they survive a rebuild, because a
 * document number is never reused.
 *
 * Bodies are JSON text written and read by the caller. Row functions
 * take a connection inside a transaction (store_begin or
 * store_begin_read), and like the rest of the store return 0 or a
 * negative CT_E* code.
 */
#ifndef CASETRAIL_STORE_PROJECTION_H
#define CASETRAIL_STORE_PROJECTION_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "store/store.h"

/* A day number that stands for "no date". */
#define STORE_NO_DAY INT32_MIN

struct store_case {
	const char *id;
	const char *matter;
	const char *applicant;
	const char *applicant_id; /* may be NULL */
	const char *stage;
	const char *status;
	int64_t received_ms;
	uint64_t opened_seq, last_seq;
	int32_t due_day;      /* next statutory due day, or STORE_NO_DAY */
	int32_t promised_day; /* next promised due day, or STORE_NO_DAY */
	int overdue;          /* a statutory deadline has passed unmet */
	int open;
	const char *search;   /* text that q matches: id, names, numbers */
	const char *summary;  /* JSON of the case's summary */
};

/* Inserts or replaces a case row. */
int store_case_put(struct store *s, const struct store_case *c,
		   struct error *err);

/* Reads a case's summary JSON and last seq; CT_ENOTFOUND. */
int store_case_get(struct store *s, const char *id, struct buf *summary,
		   uint64_t *last_seq, struct error *err);

struct store_case_filter {
	const char *stage;
	const char *matter;
	const char *q;
	int overdue;
	int32_t due_by; /* due on or before this day; STORE_NO_DAY for any */
	int open_only;
	size_t offset, limit;
	int q_ids;      /* q also matches the applicant's ID number */
};

/* Calls fn with the summary of each matching case, newest first, and
 * sets *total to the number matching. */
typedef int (*store_text_fn)(void *ctx, const char *text, size_t len);
int store_case_list(struct store *s, const struct store_case_filter *f,
		    store_text_fn fn, void *ctx, uint64_t *total,
		    struct error *err);

/* Calls fn with the id of every open case. */
int store_case_open_ids(struct store *s, store_text_fn fn, void *ctx,
			struct error *err);

struct store_record {
	uint64_t seq;
	const char *case_id; /* NULL for a record of no case */
	const char *kind;
	const char *actor;
};

int store_record_put(struct store *s, const struct store_record *r,
		     struct error *err);

/* Marks seq superseded by by_seq. */
int store_record_supersede(struct store *s, uint64_t seq, uint64_t by_seq,
			   struct error *err);

/* Reads the case id (empty for none) and kind of record seq. */
int store_record_get(struct store *s, uint64_t seq, char *case_id,
		     size_t case_n, char *kind, size_t kind_n,
		     int64_t *superseded_by, struct error *err);

/* Calls fn with the seq of each record of a case, in order. */
typedef int (*store_seq_fn)(void *ctx, uint64_t seq);
int store_case_records(struct store *s, const char *case_id,
		       store_seq_fn fn, void *ctx, struct error *err);

/* Users and tokens. */
int store_user_put(struct store *s, const char *name, uint64_t seq,
		   const char *body, struct error *err);
int store_user_get(struct store *s, const char *name, struct buf *body,
		   struct error *err);
int store_user_list(struct store *s, store_text_fn fn, void *ctx,
		    struct error *err);
int store_token_put(struct store *s, const char *hash, const char *user,
		    uint64_t seq, int64_t expires_ms, struct error *err);

/* Reads a token's user, expiry and revoking seq (-1 if live). */
int store_token_user(struct store *s, const char *hash, struct buf *user,
		     int64_t *expires_ms, int64_t *revoked_by,
		     struct error *err);

/* Marks token seq revoked by entry by_seq; CT_ENOTFOUND if no live one. */
int store_token_revoke(struct store *s, uint64_t seq, uint64_t by_seq,
		       struct error *err);

typedef int (*store_token_fn)(void *ctx, uint64_t seq, const char *user,
			      int64_t expires_ms, int64_t revoked_by);
int store_token_list(struct store *s, store_token_fn fn, void *ctx,
		     struct error *err);

struct store_finding {
	int64_t id;          /* set by store_finding_add */
	const char *case_id; /* NULL for a finding of no case */
	const char *code;
	int64_t record_seq;  /* -1 for none */
	int64_t detected_ms;
	int64_t cured_ms;    /* -1 while open */
	const char *body;    /* JSON */
};

int store_finding_add(struct store *s, struct store_finding *f,
		      struct error *err);
int store_finding_cure(struct store *s, int64_t id, int64_t cured_ms,
		       struct error *err);
int store_finding_update(struct store *s, int64_t id, const char *body,
			 struct error *err);
/* Removes a finding that a record dated before its detection refuted. */
int store_finding_delete(struct store *s, int64_t id, struct error *err);

/* Calls fn for each finding of a case (all cases with NULL). */
typedef int (*store_finding_fn)(void *ctx, const struct store_finding *f);
int store_case_findings(struct store *s, const char *case_id,
			store_finding_fn fn, void *ctx, struct error *err);

struct store_finding_filter {
	const char *case_id;
	const char *code;
	int open_only;
	size_t offset, limit;
};

int store_finding_list(struct store *s, const struct store_finding_filter *f,
		       store_finding_fn fn, void *ctx, uint64_t *total,
		       struct error *err);

/* Imported calendar years. */
int store_calendar_put(struct store *s, int year, uint64_t seq,
		       const char *body, struct error *err);
typedef int (*store_calendar_fn)(void *ctx, int year, uint64_t seq,
				 const char *body);
int store_calendar_scan(struct store *s, store_calendar_fn fn, void *ctx,
			struct error *err);

/*
 * Returns the next value of a counter (1 for a new one) and stores it.
 * store_counter_raise makes the counter at least value.
 */
int store_counter_next(struct store *s, const char *name, uint64_t *value,
		       struct error *err);
int store_counter_raise(struct store *s, const char *name, uint64_t value,
			struct error *err);

/* The number of log entries the projections include. */
int store_projected_get(struct store *s, uint64_t *count, struct error *err);

/* Deletes every projection row (counters stay). */
int store_projection_clear(struct store *s, struct error *err);

/*
 * Writes every projection row as one line of text, tables and rows in
 * key order, so that two projections can be compared line by line.
 */
int store_projection_dump(struct store *s, struct buf *out,
			  struct error *err);

#endif
