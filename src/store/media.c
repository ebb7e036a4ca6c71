/*
 * Projection tables of the audio-visual evidence (see media.h). The
 * statements are few and cheap next to the files they describe, so each
 * call prepares its own.
 */
#include "common/common.h"

#include "internal.h"
#include "media.h"

static const char media_schema[] =
	"CREATE TABLE IF NOT EXISTS p_media (seq INTEGER PRIMARY KEY,"
	" hash TEXT NOT NULL, type TEXT NOT NULL, case_id TEXT, window TEXT,"
	" start_ms INTEGER, end_ms INTEGER, ingested INTEGER NOT NULL,"
	" purged_seq INTEGER, body TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS p_media_hash ON p_media (hash);"
	"CREATE INDEX IF NOT EXISTS p_media_case ON p_media (case_id, seq);"
	"CREATE INDEX IF NOT EXISTS p_media_window ON p_media"
	" (window, start_ms);"
	"CREATE TABLE IF NOT EXISTS p_custody (hash TEXT NOT NULL,"
	" seq INTEGER NOT NULL, PRIMARY KEY (hash, seq)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS p_holds (id TEXT PRIMARY KEY,"
	" seq INTEGER NOT NULL, window TEXT, from_ms INTEGER, to_ms INTEGER,"
	" media_seq INTEGER, case_id TEXT, released_seq INTEGER,"
	" body TEXT NOT NULL);";

int media_proj_create(struct store *s, struct error *err)
{
	return exec_sql(s, media_schema, err);
}

int media_proj_clear(struct store *s, struct error *err)
{
	return exec_sql(s, "DELETE FROM p_media; DELETE FROM p_custody;"
			"DELETE FROM p_holds;", err);
}

static int prepare(struct store *s, const char *sql, sqlite3_stmt **st,
		   const char *what, struct error *err)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);

	return rc == SQLITE_OK ? 0 : db_error(s, err, rc, what);
}

static void bind_text(sqlite3_stmt *st, int col, const char *text)
{
	if (text)
		sqlite3_bind_text(st, col, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, col);
}

static void bind_time(sqlite3_stmt *st, int col, int64_t ms)
{
	if (ms == STORE_NO_TIME)
		sqlite3_bind_null(st, col);
	else
		sqlite3_bind_int64(st, col, ms);
}

static void bind_opt(sqlite3_stmt *st, int col, int64_t v)
{
	if (v < 0)
		sqlite3_bind_null(st, col);
	else
		sqlite3_bind_int64(st, col, v);
}

/* Steps a statement that returns no rows and finalizes it. */
static int run_once(struct store *s, sqlite3_stmt *st, const char *what,
		    struct error *err)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW
		       ? 0 : db_error(s, err, rc, what);
}

/* Reads column 0 of a single-row query into body and finalizes it. */
static int read_body(struct store *s, sqlite3_stmt *st, struct buf *body,
		     const char *what, struct error *err)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		rc = column_buf(st, 0, body) ? error_set(err, CT_ENOMEM,
							 "out of memory")
					     : 0;
	else if (rc == SQLITE_DONE)
		rc = CT_ENOTFOUND;
	else
		rc = db_error(s, err, rc, what);
	sqlite3_finalize(st);
	return rc;
}

/* Calls fn with column 0 of each row and finalizes the statement. */
static int scan_bodies(struct store *s, sqlite3_stmt *st, store_media_fn fn,
		       void *ctx, const char *what, struct error *err)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		int r = fn(ctx, t ? t : "", (size_t)sqlite3_column_bytes(st, 0));

		if (r) {
			sqlite3_finalize(st);
			return r;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_error(s, err, rc, what);
}

int store_media_put(struct store *s, const struct store_media *m,
		    struct error *err)
{
	sqlite3_stmt *st;
	int rc = prepare(s, "INSERT OR REPLACE INTO p_media VALUES (?1, ?2,"
			 " ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", &st,
			 "storing a media row", err);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)m->seq);
	bind_text(st, 2, m->hash);
	bind_text(st, 3, m->type);
	bind_text(st, 4, m->case_id);
	bind_text(st, 5, m->window);
	bind_time(st, 6, m->start_ms);
	bind_time(st, 7, m->end_ms);
	sqlite3_bind_int64(st, 8, m->ingested_ms);
	bind_opt(st, 9, m->purged_seq);
	bind_text(st, 10, m->body);
	return run_once(s, st, "storing a media row", err);
}

int store_media_get(struct store *s, uint64_t seq, struct buf *body,
		    struct error *err)
{
	sqlite3_stmt *st;
	int rc = prepare(s, "SELECT body FROM p_media WHERE seq = ?1", &st,
			 "reading a media row", err);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	rc = read_body(s, st, body, "reading a media row", err);
	if (rc == CT_ENOTFOUND)
		rc = error_set(err, CT_ENOTFOUND, "no audio-visual file was "
			       "ingested as entry %" PRIu64, seq);
	return rc;
}

static int build_media_query(struct buf *sql,
			     const struct store_media_filter *f, int count)
{
	int rc = buf_printf(sql, "SELECT %s FROM p_media WHERE 1",
			    count ? "count(*)" : "body");

	if (rc == 0 && f->hash)
		rc = buf_printf(sql, " AND hash = ?1");
	if (rc == 0 && f->case_id)
		rc = buf_printf(sql, " AND case_id = ?2");
	if (rc == 0 && f->type)
		rc = buf_printf(sql, " AND type = ?3");
	if (rc == 0 && f->window)
		rc = buf_printf(sql, " AND window = ?4");
	if (rc == 0 && f->from_ms != STORE_NO_TIME)
		rc = buf_printf(sql, " AND start_ms >= ?5");
	if (rc == 0 && f->to_ms != STORE_NO_TIME)
		rc = buf_printf(sql, " AND start_ms < ?6");
	if (rc == 0 && f->unpurged)
		rc = buf_printf(sql, " AND purged_seq IS NULL");
	if (rc == 0 && f->has_after)
		rc = buf_printf(sql, " AND seq > ?7");
	if (rc == 0 && !count)
		rc = buf_printf(sql, " ORDER BY %s LIMIT ?8 OFFSET ?9",
				f->by_capture ? "start_ms, seq" : "seq");
	return rc;
}

static int prepare_media_query(struct store *s,
			       const struct store_media_filter *f, int count,
			       sqlite3_stmt **st, struct error *err)
{
	struct buf sql = BUF_INIT_MAX(1024);
	int rc = build_media_query(&sql, f, count);

	if (rc) {
		buf_release(&sql);
		return error_set(err, CT_ENOMEM, "out of memory");
	}
	rc = prepare(s, sql.data, st, "listing media", err);
	buf_release(&sql);
	if (rc)
		return rc;
	bind_text(*st, 1, f->hash);
	bind_text(*st, 2, f->case_id);
	bind_text(*st, 3, f->type);
	bind_text(*st, 4, f->window);
	bind_time(*st, 5, f->from_ms);
	bind_time(*st, 6, f->to_ms);
	sqlite3_bind_int64(*st, 7, (sqlite3_int64)f->after_seq);
	if (!count) {
		sqlite3_bind_int64(*st, 8, f->limit ? (sqlite3_int64)f->limit
						    : -1);
		sqlite3_bind_int64(*st, 9, (sqlite3_int64)f->offset);
	}
	return 0;
}

int store_media_list(struct store *s, const struct store_media_filter *f,
		     store_media_fn fn, void *ctx, uint64_t *total,
		     struct error *err)
{
	sqlite3_stmt *st;
	int rc;

	if (total) {
		rc = prepare_media_query(s, f, 1, &st, err);
		if (rc)
			return rc;
		rc = sqlite3_step(st);
		*total = rc == SQLITE_ROW
				 ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
		rc = rc == SQLITE_ROW ? 0 : db_error(s, err, rc,
						     "counting media");
		sqlite3_finalize(st);
		if (rc)
			return rc;
	}
	rc = prepare_media_query(s, f, 0, &st, err);
	if (rc)
		return rc;
	return scan_bodies(s, st, fn, ctx, "listing media", err);
}

static int neighbour(struct store *s, const char *sql, const char *window,
		     uint64_t seq, int64_t start_ms, struct buf *out,
		     struct error *err)
{
	sqlite3_stmt *st;
	int rc = prepare(s, sql, &st, "reading a window's segments", err);

	if (rc)
		return rc;
	bind_text(st, 1, window);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	sqlite3_bind_int64(st, 3, start_ms);
	buf_reset(out);
	rc = read_body(s, st, out, "reading a window's segments", err);
	return rc == CT_ENOTFOUND ? 0 : rc;
}

int store_media_neighbours(struct store *s, const char *window,
			   uint64_t seq, int64_t start_ms, struct buf *prev,
			   struct buf *next, struct error *err)
{
	int rc = neighbour(s, "SELECT body FROM p_media WHERE window = ?1"
			   " AND seq != ?2 AND start_ms IS NOT NULL AND"
			   " (start_ms < ?3 OR (start_ms = ?3 AND seq < ?2))"
			   " ORDER BY start_ms DESC, seq DESC LIMIT 1",
			   window, seq, start_ms, prev, err);

	if (rc == 0)
		rc = neighbour(s, "SELECT body FROM p_media WHERE window = ?1"
			       " AND seq != ?2 AND start_ms IS NOT NULL AND"
			       " (start_ms > ?3 OR (start_ms = ?3 AND"
			       " seq > ?2)) ORDER BY start_ms, seq LIMIT 1",
			       window, seq, start_ms, next, err);
	return rc;
}

int store_custody_add(struct store *s, const char *hash, uint64_t seq,
		      struct error *err)
{
	sqlite3_stmt *st;
	int rc = prepare(s, "INSERT OR IGNORE INTO p_custody VALUES (?1, ?2)",
			 &st, "recording custody", err);

	if (rc)
		return rc;
	bind_text(st, 1, hash);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	return run_once(s, st, "recording custody", err);
}

int store_custody_list(struct store *s, const char *hash, store_seq_fn fn,
		       void *ctx, struct error *err)
{
	sqlite3_stmt *st;
	int rc = prepare(s, "SELECT seq FROM p_custody WHERE hash = ?1"
			 " ORDER BY seq", &st, "reading custody", err);

	if (rc)
		return rc;
	bind_text(st, 1, hash);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int r = fn(ctx, (uint64_t)sqlite3_column_int64(st, 0));

		if (r) {
			sqlite3_finalize(st);
			return r;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_error(s, err, rc, "reading custody");
}

int store_hold_put(struct store *s, const struct store_hold *h,
		   struct error *err)
{
	sqlite3_stmt *st;
	int rc = prepare(s, "INSERT OR REPLACE INTO p_holds VALUES (?1, ?2,"
			 " ?3, ?4, ?5, ?6, ?7, ?8, ?9)", &st,
			 "storing a hold", err);

	if (rc)
		return rc;
	bind_text(st, 1, h->id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)h->seq);
	bind_text(st, 3, h->window);
	bind_time(st, 4, h->from_ms);
	bind_time(st, 5, h->to_ms);
	bind_opt(st, 6, h->media_seq);
	bind_text(st, 7, h->case_id);
	bind_opt(st, 8, h->released_seq);
	bind_text(st, 9, h->body);
	return run_once(s, st, "storing a hold", err);
}

int store_hold_get(struct store *s, const char *id, struct buf *body,
		   struct error *err)
{
	sqlite3_stmt *st;
	int rc = prepare(s, "SELECT body FROM p_holds WHERE id = ?1", &st,
			 "reading a hold", err);

	if (rc)
		return rc;
	bind_text(st, 1, id);
	rc = read_body(s, st, body, "reading a hold", err);
	if (rc == CT_ENOTFOUND)
		rc = error_set(err, CT_ENOTFOUND, "hold '%s' not found; list "
			       "holds with 'casetrail retention holds'", id);
	return rc;
}

int store_hold_list(struct store *s, int active, store_media_fn fn,
		    void *ctx, struct error *err)
{
	sqlite3_stmt *st;
	int rc = prepare(s, active ? "SELECT body FROM p_holds WHERE"
				     " released_seq IS NULL ORDER BY seq"
				   : "SELECT body FROM p_holds ORDER BY seq",
			 &st, "listing holds", err);

	if (rc)
		return rc;
	return scan_bodies(s, st, fn, ctx, "listing holds", err);
}

int store_hold_covers(struct store *s, uint64_t seq, const char *window,
		      int64_t start_ms, int64_t end_ms, struct error *err)
{
	sqlite3_stmt *st;
	int rc = prepare(s, "SELECT 1 FROM p_holds WHERE released_seq IS NULL"
			 " AND (media_seq = ?1 OR (window = ?2 AND"
			 " (?3 IS NULL OR ((from_ms IS NULL OR from_ms <= ?4)"
			 " AND (to_ms IS NULL OR ?3 < to_ms))))) LIMIT 1", &st,
			 "checking holds", err);

	if (rc)
		return rc;
	if (end_ms == STORE_NO_TIME || end_ms < start_ms)
		end_ms = start_ms;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	bind_text(st, 2, window);
	bind_time(st, 3, start_ms);
	bind_time(st, 4, end_ms);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : db_error(s, err, rc, "checking holds");
}

int store_media_finding_open(struct store *s, const char *code,
			     uint64_t record_seq, int64_t *id,
			     struct error *err)
{
	sqlite3_stmt *st;
	int rc = prepare(s, "SELECT id FROM p_findings WHERE case_id IS NULL"
			 " AND code = ?1 AND record_seq = ?2 AND cured < 0"
			 " ORDER BY id DESC LIMIT 1", &st, "reading findings",
			 err);

	if (rc)
		return rc;
	bind_text(st, 1, code);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)record_seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? CT_ENOTFOUND
				 : db_error(s, err, rc, "reading findings");
}

int store_media_finding_drop(struct store *s, const char *code,
			     uint64_t record_seq, struct error *err)
{
	sqlite3_stmt *st;
	int rc = prepare(s, "DELETE FROM p_findings WHERE case_id IS NULL"
			 " AND code = ?1 AND record_seq = ?2", &st,
			 "removing findings", err);

	if (rc)
		return rc;
	bind_text(st, 1, code);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)record_seq);
	return run_once(s, st, "removing findings", err);
}
