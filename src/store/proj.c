/* The SQLite projection tables (see projection.h). */
#include "common/common.h"

#include <sqlite3.h>

#include "internal.h"
#include "kv.h"
#include "media.h"
#include "projection.h"

/*
 * Created on every writable open when missing. The tables hold only what
 * the log holds, so a newer casetrail may drop and rebuild them.
 */
static const char proj_schema_sql[] =
	"CREATE TABLE IF NOT EXISTS p_cases (id TEXT PRIMARY KEY,"
	" matter TEXT NOT NULL, applicant TEXT NOT NULL, applicant_id TEXT,"
	" stage TEXT NOT NULL, status TEXT NOT NULL,"
	" received INTEGER NOT NULL, opened_seq INTEGER NOT NULL,"
	" last_seq INTEGER NOT NULL, due_day INTEGER, promised_day INTEGER,"
	" overdue INTEGER NOT NULL, open INTEGER NOT NULL,"
	" search TEXT NOT NULL, summary TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS p_cases_stage ON p_cases (stage, opened_seq);"
	"CREATE INDEX IF NOT EXISTS p_cases_opened ON p_cases (opened_seq);"
	"CREATE TABLE IF NOT EXISTS p_records (seq INTEGER PRIMARY KEY,"
	" case_id TEXT, kind TEXT NOT NULL, actor TEXT NOT NULL,"
	" superseded_by INTEGER);"
	"CREATE INDEX IF NOT EXISTS p_records_case ON p_records (case_id, seq);"
	"CREATE TABLE IF NOT EXISTS p_users (name TEXT PRIMARY KEY,"
	" seq INTEGER NOT NULL, body TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS p_tokens (hash TEXT PRIMARY KEY,"
	" user TEXT NOT NULL, seq INTEGER NOT NULL, expires INTEGER NOT NULL,"
	" revoked INTEGER);"
	"CREATE INDEX IF NOT EXISTS p_tokens_seq ON p_tokens (seq);"
	"CREATE TABLE IF NOT EXISTS p_findings (id INTEGER PRIMARY KEY,"
	" case_id TEXT, code TEXT NOT NULL, record_seq INTEGER NOT NULL,"
	" detected INTEGER NOT NULL, cured INTEGER NOT NULL,"
	" body TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS p_findings_case ON p_findings (case_id, id);"
	"CREATE TABLE IF NOT EXISTS p_calendar (year INTEGER PRIMARY KEY,"
	" seq INTEGER NOT NULL, body TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY,"
	" value INTEGER NOT NULL);";

enum proj_stmt {
	PS_CASE_PUT,
	PS_CASE_GET,
	PS_CASE_OPEN_IDS,
	PS_RECORD_PUT,
	PS_RECORD_SUPERSEDE,
	PS_RECORD_GET,
	PS_CASE_RECORDS,
	PS_USER_PUT,
	PS_USER_GET,
	PS_USER_LIST,
	PS_TOKEN_PUT,
	PS_TOKEN_USER,
	PS_TOKEN_REVOKE,
	PS_TOKEN_LIST,
	PS_FINDING_ADD,
	PS_FINDING_CURE,
	PS_FINDING_UPDATE,
	PS_FINDING_DELETE,
	PS_CASE_FINDINGS,
	PS_ALL_FINDINGS,
	PS_CAL_PUT,
	PS_CAL_SCAN,
	PS_COUNTER_NEXT,
	PS_COUNTER_RAISE,
	PS_PROJECTED,
	PS_COUNT
};

_Static_assert(PS_COUNT <= PROJ_STMT_MAX, "struct store has room");

static const char *proj_sql[PS_COUNT] = {
	[PS_CASE_PUT] = "INSERT OR REPLACE INTO p_cases VALUES (?1, ?2, ?3,"
			" ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
	[PS_CASE_GET] = "SELECT summary, last_seq FROM p_cases WHERE id = ?1",
	[PS_CASE_OPEN_IDS] = "SELECT id FROM p_cases WHERE open ORDER BY id",
	[PS_RECORD_PUT] = "INSERT OR REPLACE INTO p_records VALUES"
			  " (?1, ?2, ?3, ?4, NULL)",
	[PS_RECORD_SUPERSEDE] = "UPDATE p_records SET superseded_by = ?2"
				" WHERE seq = ?1",
	[PS_RECORD_GET] = "SELECT case_id, kind, superseded_by FROM p_records"
			  " WHERE seq = ?1",
	[PS_CASE_RECORDS] = "SELECT seq FROM p_records WHERE case_id = ?1"
			    " ORDER BY seq",
	[PS_USER_PUT] = "INSERT OR REPLACE INTO p_users VALUES (?1, ?2, ?3)",
	[PS_USER_GET] = "SELECT body FROM p_users WHERE name = ?1",
	[PS_USER_LIST] = "SELECT body FROM p_users ORDER BY name",
	[PS_TOKEN_PUT] = "INSERT OR REPLACE INTO p_tokens VALUES (?1, ?2, ?3,"
			 " ?4, NULL)",
	[PS_TOKEN_USER] = "SELECT user, expires, revoked FROM p_tokens"
			  " WHERE hash = ?1",
	[PS_TOKEN_REVOKE] = "UPDATE p_tokens SET revoked = ?2 WHERE seq = ?1"
			    " AND revoked IS NULL",
	[PS_TOKEN_LIST] = "SELECT seq, user, expires, revoked FROM p_tokens"
			  " ORDER BY seq",
	[PS_FINDING_ADD] = "INSERT INTO p_findings (case_id, code, record_seq,"
			   " detected, cured, body) VALUES (?1, ?2, ?3, ?4,"
			   " ?5, ?6) RETURNING id",
	[PS_FINDING_CURE] = "UPDATE p_findings SET cured = ?2 WHERE id = ?1",
	[PS_FINDING_UPDATE] = "UPDATE p_findings SET body = ?2 WHERE id = ?1",
	[PS_FINDING_DELETE] = "DELETE FROM p_findings WHERE id = ?1",
	[PS_CASE_FINDINGS] = "SELECT id, case_id, code, record_seq, detected,"
			     " cured, body FROM p_findings WHERE case_id = ?1"
			     " ORDER BY id",
	[PS_ALL_FINDINGS] = "SELECT id, case_id, code, record_seq, detected,"
			    " cured, body FROM p_findings ORDER BY id",
	[PS_CAL_PUT] = "INSERT OR REPLACE INTO p_calendar VALUES (?1, ?2, ?3)",
	[PS_CAL_SCAN] = "SELECT year, seq, body FROM p_calendar ORDER BY year",
	[PS_COUNTER_NEXT] = "INSERT INTO counters VALUES (?1, 1) ON CONFLICT"
			    " (name) DO UPDATE SET value = value + 1"
			    " RETURNING value",
	[PS_PROJECTED] = "SELECT coalesce(max(seq) + 1, 0) FROM p_records",
	[PS_COUNTER_RAISE] = "INSERT INTO counters VALUES (?1, ?2) ON CONFLICT"
			     " (name) DO UPDATE SET value = max(value, ?2)",
};

/*
 * The version of the projection tables. A store whose tables are of
 * another version has them dropped and rebuilt from the log on open,
 * since they hold nothing the log does not.
 */
#define PROJ_VERSION "6"

int proj_create(struct store *s, struct error *err)
{
	struct buf v = BUF_INIT_MAX(32);
	int rc = store_meta_get(s, "projection", &v, NULL);
	int current = rc == 0 && !strcmp(v.data, PROJ_VERSION);

	buf_release(&v);
	if (!current) {
		rc = exec_sql(s, "DROP TABLE IF EXISTS p_cases;"
			      "DROP TABLE IF EXISTS p_records;"
			      "DROP TABLE IF EXISTS p_users;"
			      "DROP TABLE IF EXISTS p_tokens;"
			      "DROP TABLE IF EXISTS p_findings;"
			      "DROP TABLE IF EXISTS p_calendar;"
			      "DROP TABLE IF EXISTS p_media;"
			      "DROP TABLE IF EXISTS p_custody;"
			      "DROP TABLE IF EXISTS p_holds;"
			      "DROP TABLE IF EXISTS p_kv;"
			      "DELETE FROM meta WHERE key = 'projected';", err);
		if (rc)
			return rc;
	}
	rc = exec_sql(s, proj_schema_sql, err);
	if (rc == 0)
		rc = media_proj_create(s, err);
	if (rc == 0)
		rc = kv_proj_create(s, err);
	if (rc == 0 && !current)
		rc = store_meta_put(s, "projection", PROJ_VERSION, err);
	return rc;
}

void proj_finalize(struct store *s)
{
	for (int i = 0; i < PROJ_STMT_MAX; i++)
		sqlite3_finalize(s->proj[i]);
}

static sqlite3_stmt *pstmt(struct store *s, enum proj_stmt id,
			   struct error *err)
{
	sqlite3_stmt **st = &s->proj[id];
	int rc;

	if (*st) {
		sqlite3_reset(*st);
		sqlite3_clear_bindings(*st);
		return *st;
	}
	rc = sqlite3_prepare_v3(s->db, proj_sql[id], -1,
				SQLITE_PREPARE_PERSISTENT, st, NULL);
	if (rc != SQLITE_OK) {
		db_error(s, err, rc, "preparing a projection statement");
		return NULL;
	}
	return *st;
}

#define PREPARE(s, id, err)                         \
	sqlite3_stmt *st = pstmt((s), (id), (err)); \
	if (!st)                                    \
	return failed_code(err)

static void bind_text(sqlite3_stmt *st, int col, const char *text)
{
	if (text)
		sqlite3_bind_text(st, col, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, col);
}

static void bind_day(sqlite3_stmt *st, int col, int32_t day)
{
	if (day == STORE_NO_DAY)
		sqlite3_bind_null(st, col);
	else
		sqlite3_bind_int(st, col, day);
}

/* Copies column col as text into out (NUL-terminated). */
static int column_text(sqlite3_stmt *st, int col, char *out, size_t n)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	if (snprintf(out, n, "%s", t ? (const char *)t : "") >= (int)n)
		return CT_ETOOBIG;
	return 0;
}

/* Runs a row-returning statement, calling fn with column 0 as text. */
static int scan_text(struct store *s, sqlite3_stmt *st, store_text_fn fn,
		     void *ctx, const char *what, struct error *err)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		int r = fn(ctx, t ? t : "", (size_t)sqlite3_column_bytes(st, 0));

		if (r) {
			sqlite3_reset(st);
			return r;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : db_error(s, err, rc, what);
}

int store_case_put(struct store *s, const struct store_case *c,
		   struct error *err)
{
	PREPARE(s, PS_CASE_PUT, err);
	bind_text(st, 1, c->id);
	bind_text(st, 2, c->matter);
	bind_text(st, 3, c->applicant);
	bind_text(st, 4, c->applicant_id);
	bind_text(st, 5, c->stage);
	bind_text(st, 6, c->status);
	sqlite3_bind_int64(st, 7, c->received_ms);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)c->opened_seq);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)c->last_seq);
	bind_day(st, 10, c->due_day);
	bind_day(st, 11, c->promised_day);
	sqlite3_bind_int(st, 12, c->overdue);
	sqlite3_bind_int(st, 13, c->open);
	bind_text(st, 14, c->search);
	bind_text(st, 15, c->summary);
	return run(s, st, "writing a case", err);
}

int store_case_get(struct store *s, const char *id, struct buf *summary,
		   uint64_t *last_seq, struct error *err)
{
	int rc;

	PREPARE(s, PS_CASE_GET, err);
	bind_text(st, 1, id);
	rc = step_row(s, st, "reading a case", err);
	if (rc == CT_ENOTFOUND)
		return error_set(err, rc, "case '%s' not found; list cases "
				 "with 'casetrail case list'", id);
	if (rc)
		return rc;
	if (last_seq)
		*last_seq = (uint64_t)sqlite3_column_int64(st, 1);
	rc = summary ? column_buf(st, 0, summary) : 0;
	sqlite3_reset(st);
	return rc ? error_set(err, CT_ENOMEM, "out of memory") : 0;
}

/*
 * Prepares the query built in sql (built is the result of building it)
 * and releases sql.
 */
static int prepare_built(struct store *s, struct buf *sql, int built,
			 sqlite3_stmt **out, const char *what,
			 struct error *err)
{
	int rc;

	if (built) {
		buf_release(sql);
		return error_set(err, CT_ENOMEM, "out of memory");
	}
	rc = sqlite3_prepare_v2(s->db, sql->data, -1, out, NULL);
	buf_release(sql);
	return rc == SQLITE_OK ? 0 : db_error(s, err, rc, what);
}

/* Steps a count(*) query into *total and finalizes it. */
static int read_count(struct store *s, sqlite3_stmt *st, const char *what,
		      uint64_t *total, struct error *err)
{
	int rc = sqlite3_step(st);

	*total = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
	rc = rc == SQLITE_ROW ? 0 : db_error(s, err, rc, what);
	sqlite3_finalize(st);
	return rc;
}

/* Appends " AND <cond>" with its text parameter to a query being built. */
static int where(struct buf *sql, const char *cond)
{
	return buf_printf(sql, " AND %s", cond);
}

static int build_case_query(struct buf *sql, const struct store_case_filter *f,
			    int count)
{
	int rc = buf_printf(sql, "SELECT %s FROM p_cases WHERE 1",
			    count ? "count(*)" : "summary");

	if (rc == 0 && f->stage)
		rc = where(sql, "stage = ?1");
	if (rc == 0 && f->matter)
		rc = where(sql, "matter = ?2");
	if (rc == 0 && f->q)
		rc = where(sql, f->q_ids ? "(instr(search, ?3) > 0 OR"
			   " instr(coalesce(applicant_id, ''), ?3) > 0)"
			   : "instr(search, ?3) > 0");
	if (rc == 0 && f->overdue)
		rc = where(sql, "overdue");
	if (rc == 0 && f->due_by != STORE_NO_DAY)
		rc = where(sql, "open AND due_day <= ?4");
	if (rc == 0 && f->open_only)
		rc = where(sql, "open");
	if (rc == 0 && !count)
		rc = buf_printf(sql, " ORDER BY opened_seq DESC LIMIT ?5"
				" OFFSET ?6");
	return rc;
}

static int prepare_case_query(struct store *s, const struct store_case_filter *f,
			      int count, sqlite3_stmt **out, struct error *err)
{
	struct buf sql = BUF_INIT_MAX(1024);
	int rc = build_case_query(&sql, f, count);

	rc = prepare_built(s, &sql, rc, out, "preparing a case query", err);
	if (rc)
		return rc;
	bind_text(*out, 1, f->stage);
	bind_text(*out, 2, f->matter);
	bind_text(*out, 3, f->q);
	bind_day(*out, 4, f->due_by);
	if (!count) {
		sqlite3_bind_int64(*out, 5, (sqlite3_int64)f->limit);
		sqlite3_bind_int64(*out, 6, (sqlite3_int64)f->offset);
	}
	return 0;
}

int store_case_list(struct store *s, const struct store_case_filter *f,
		    store_text_fn fn, void *ctx, uint64_t *total,
		    struct error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare_case_query(s, f, 1, &st, err);

	if (rc)
		return rc;
	rc = read_count(s, st, "counting cases", total, err);
	if (rc)
		return rc;
	rc = prepare_case_query(s, f, 0, &st, err);
	if (rc)
		return rc;
	rc = scan_text(s, st, fn, ctx, "listing cases", err);
	sqlite3_finalize(st);
	return rc;
}

int store_case_open_ids(struct store *s, store_text_fn fn, void *ctx,
			struct error *err)
{
	PREPARE(s, PS_CASE_OPEN_IDS, err);
	return scan_text(s, st, fn, ctx, "listing open cases", err);
}

int store_record_put(struct store *s, const struct store_record *r,
		     struct error *err)
{
	PREPARE(s, PS_RECORD_PUT, err);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)r->seq);
	bind_text(st, 2, r->case_id);
	bind_text(st, 3, r->kind);
	bind_text(st, 4, r->actor);
	return run(s, st, "writing a record", err);
}

int store_record_supersede(struct store *s, uint64_t seq, uint64_t by_seq,
			   struct error *err)
{
	PREPARE(s, PS_RECORD_SUPERSEDE, err);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)by_seq);
	return run(s, st, "marking a record superseded", err);
}

int store_record_get(struct store *s, uint64_t seq, char *case_id,
		     size_t case_n, char *kind, size_t kind_n,
		     int64_t *superseded_by, struct error *err)
{
	int rc;

	PREPARE(s, PS_RECORD_GET, err);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	rc = step_row(s, st, "reading a record", err);
	if (rc == CT_ENOTFOUND)
		return error_set(err, rc, "record %" PRIu64 " not found", seq);
	if (rc)
		return rc;
	if (case_id)
		rc = column_text(st, 0, case_id, case_n);
	if (rc == 0 && kind)
		rc = column_text(st, 1, kind, kind_n);
	if (superseded_by)
		*superseded_by = sqlite3_column_type(st, 2) == SQLITE_NULL
					 ? -1
					 : sqlite3_column_int64(st, 2);
	sqlite3_reset(st);
	return rc ? error_set(err, rc, "record %" PRIu64 " has a case id "
			      "or kind that is too long", seq) : 0;
}

int store_case_records(struct store *s, const char *case_id,
		       store_seq_fn fn, void *ctx, struct error *err)
{
	int rc;

	PREPARE(s, PS_CASE_RECORDS, err);
	bind_text(st, 1, case_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int r = fn(ctx, (uint64_t)sqlite3_column_int64(st, 0));

		if (r) {
			sqlite3_reset(st);
			return r;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0
				 : db_error(s, err, rc, "reading case records");
}

int store_user_put(struct store *s, const char *name, uint64_t seq,
		   const char *body, struct error *err)
{
	PREPARE(s, PS_USER_PUT, err);
	bind_text(st, 1, name);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	bind_text(st, 3, body);
	return run(s, st, "writing a user", err);
}

int store_user_get(struct store *s, const char *name, struct buf *body,
		   struct error *err)
{
	int rc;

	PREPARE(s, PS_USER_GET, err);
	bind_text(st, 1, name);
	rc = step_row(s, st, "reading a user", err);
	if (rc == CT_ENOTFOUND)
		return error_set(err, rc, "user '%s' not found; add users with "
				 "'casetrail user add'", name);
	if (rc)
		return rc;
	rc = column_buf(st, 0, body);
	sqlite3_reset(st);
	return rc ? error_set(err, CT_ENOMEM, "out of memory") : 0;
}

int store_user_list(struct store *s, store_text_fn fn, void *ctx,
		    struct error *err)
{
	PREPARE(s, PS_USER_LIST, err);
	return scan_text(s, st, fn, ctx, "listing users", err);
}

int store_token_put(struct store *s, const char *hash, const char *user,
		    uint64_t seq, int64_t expires_ms, struct error *err)
{
	PREPARE(s, PS_TOKEN_PUT, err);
	bind_text(st, 1, hash);
	bind_text(st, 2, user);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)seq);
	sqlite3_bind_int64(st, 4, expires_ms);
	return run(s, st, "writing a token", err);
}

int store_token_user(struct store *s, const char *hash, struct buf *user,
		     int64_t *expires_ms, int64_t *revoked_by,
		     struct error *err)
{
	int rc;

	PREPARE(s, PS_TOKEN_USER, err);
	bind_text(st, 1, hash);
	rc = step_row(s, st, "reading a token", err);
	if (rc)
		return rc; /* CT_ENOTFOUND names no value: it is a secret */
	rc = column_buf(st, 0, user);
	*expires_ms = sqlite3_column_int64(st, 1);
	*revoked_by = sqlite3_column_type(st, 2) == SQLITE_NULL
			      ? -1
			      : sqlite3_column_int64(st, 2);
	sqlite3_reset(st);
	return rc ? error_set(err, CT_ENOMEM, "out of memory") : 0;
}

int store_token_revoke(struct store *s, uint64_t seq, uint64_t by_seq,
		       struct error *err)
{
	int rc;

	PREPARE(s, PS_TOKEN_REVOKE, err);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)by_seq);
	rc = run(s, st, "revoking a token", err);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		return error_set(err, CT_ENOTFOUND, "token %" PRIu64 " not "
				 "found or revoked already; list tokens with "
				 "'casetrail token list'", seq);
	return rc;
}

int store_token_list(struct store *s, store_token_fn fn, void *ctx,
		     struct error *err)
{
	int rc;

	PREPARE(s, PS_TOKEN_LIST, err);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *user = (const char *)sqlite3_column_text(st, 1);
		int r = fn(ctx, (uint64_t)sqlite3_column_int64(st, 0),
			   user ? user : "", sqlite3_column_int64(st, 2),
			   sqlite3_column_type(st, 3) == SQLITE_NULL
				   ? -1
				   : sqlite3_column_int64(st, 3));

		if (r) {
			sqlite3_reset(st);
			return r;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : db_error(s, err, rc, "listing tokens");
}

int store_finding_add(struct store *s, struct store_finding *f,
		      struct error *err)
{
	int rc;

	PREPARE(s, PS_FINDING_ADD, err);
	bind_text(st, 1, f->case_id);
	bind_text(st, 2, f->code);
	sqlite3_bind_int64(st, 3, f->record_seq);
	sqlite3_bind_int64(st, 4, f->detected_ms);
	sqlite3_bind_int64(st, 5, f->cured_ms);
	bind_text(st, 6, f->body);
	rc = step_row(s, st, "writing a finding", err);
	if (rc)
		return rc == CT_ENOTFOUND ? CT_EIO : rc;
	f->id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

int store_finding_cure(struct store *s, int64_t id, int64_t cured_ms,
		       struct error *err)
{
	PREPARE(s, PS_FINDING_CURE, err);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, cured_ms);
	return run(s, st, "curing a finding", err);
}

int store_finding_update(struct store *s, int64_t id, const char *body,
			 struct error *err)
{
	PREPARE(s, PS_FINDING_UPDATE, err);
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, body);
	return run(s, st, "updating a finding", err);
}

int store_finding_delete(struct store *s, int64_t id, struct error *err)
{
	PREPARE(s, PS_FINDING_DELETE, err);
	sqlite3_bind_int64(st, 1, id);
	return run(s, st, "removing a finding", err);
}

static void read_finding(sqlite3_stmt *st, struct store_finding *f)
{
	f->id = sqlite3_column_int64(st, 0);
	f->case_id = (const char *)sqlite3_column_text(st, 1);
	f->code = (const char *)sqlite3_column_text(st, 2);
	f->record_seq = sqlite3_column_int64(st, 3);
	f->detected_ms = sqlite3_column_int64(st, 4);
	f->cured_ms = sqlite3_column_int64(st, 5);
	f->body = (const char *)sqlite3_column_text(st, 6);
}

static int scan_findings(struct store *s, sqlite3_stmt *st,
			 store_finding_fn fn, void *ctx, struct error *err)
{
	struct store_finding f;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int r;

		read_finding(st, &f);
		r = fn(ctx, &f);
		if (r) {
			sqlite3_reset(st);
			return r;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : db_error(s, err, rc, "reading findings");
}

int store_case_findings(struct store *s, const char *case_id,
			store_finding_fn fn, void *ctx, struct error *err)
{
	if (!case_id) {
		PREPARE(s, PS_ALL_FINDINGS, err);
		return scan_findings(s, st, fn, ctx, err);
	}
	PREPARE(s, PS_CASE_FINDINGS, err);
	bind_text(st, 1, case_id);
	return scan_findings(s, st, fn, ctx, err);
}

static int prepare_finding_query(struct store *s,
				 const struct store_finding_filter *f,
				 int count, sqlite3_stmt **out,
				 struct error *err)
{
	struct buf sql = BUF_INIT_MAX(1024);
	int rc = buf_printf(&sql, "SELECT %s FROM p_findings WHERE 1",
			    count ? "count(*)"
				  : "id, case_id, code, record_seq, detected,"
				    " cured, body");

	if (rc == 0 && f->case_id)
		rc = where(&sql, "case_id = ?1");
	if (rc == 0 && f->code)
		rc = where(&sql, "code = ?2");
	if (rc == 0 && f->open_only)
		rc = where(&sql, "cured < 0");
	if (rc == 0 && !count)
		rc = buf_printf(&sql, " ORDER BY detected DESC, id DESC"
				" LIMIT ?3 OFFSET ?4");
	rc = prepare_built(s, &sql, rc, out, "preparing a finding query", err);
	if (rc)
		return rc;
	bind_text(*out, 1, f->case_id);
	bind_text(*out, 2, f->code);
	if (!count) {
		sqlite3_bind_int64(*out, 3, (sqlite3_int64)f->limit);
		sqlite3_bind_int64(*out, 4, (sqlite3_int64)f->offset);
	}
	return 0;
}

int store_finding_list(struct store *s, const struct store_finding_filter *f,
		       store_finding_fn fn, void *ctx, uint64_t *total,
		       struct error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare_finding_query(s, f, 1, &st, err);

	if (rc)
		return rc;
	rc = read_count(s, st, "counting findings", total, err);
	if (rc)
		return rc;
	rc = prepare_finding_query(s, f, 0, &st, err);
	if (rc)
		return rc;
	rc = scan_findings(s, st, fn, ctx, err);
	sqlite3_finalize(st);
	return rc;
}

int store_calendar_put(struct store *s, int year, uint64_t seq,
		       const char *body, struct error *err)
{
	PREPARE(s, PS_CAL_PUT, err);
	sqlite3_bind_int(st, 1, year);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	bind_text(st, 3, body);
	return run(s, st, "writing a calendar year", err);
}

int store_calendar_scan(struct store *s, store_calendar_fn fn, void *ctx,
			struct error *err)
{
	int rc;

	PREPARE(s, PS_CAL_SCAN, err);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *body = (const char *)sqlite3_column_text(st, 2);
		int r = fn(ctx, sqlite3_column_int(st, 0),
			   (uint64_t)sqlite3_column_int64(st, 1),
			   body ? body : "");

		if (r) {
			sqlite3_reset(st);
			return r;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : db_error(s, err, rc, "reading calendar");
}

int store_counter_next(struct store *s, const char *name, uint64_t *value,
		       struct error *err)
{
	int rc;

	PREPARE(s, PS_COUNTER_NEXT, err);
	bind_text(st, 1, name);
	rc = step_row(s, st, "numbering", err);
	if (rc)
		return rc == CT_ENOTFOUND ? CT_EIO : rc;
	*value = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

int store_counter_raise(struct store *s, const char *name, uint64_t value,
			struct error *err)
{
	PREPARE(s, PS_COUNTER_RAISE, err);
	bind_text(st, 1, name);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)value);
	return run(s, st, "raising a counter", err);
}

/*
 * Every projected entry has its row in p_records, so the rows count the
 * entries the projections include without a mark to update per entry.
 */
int store_projected_get(struct store *s, uint64_t *count, struct error *err)
{
	int rc;

	PREPARE(s, PS_PROJECTED, err);
	rc = step_row(s, st, "reading the projection size", err);
	if (rc)
		return rc == CT_ENOTFOUND ? CT_EIO : rc;
	*count = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

int store_projection_clear(struct store *s, struct error *err)
{
	int rc = exec_sql(s, "DELETE FROM p_cases; DELETE FROM p_records;"
			  "DELETE FROM p_users; DELETE FROM p_tokens;"
			  "DELETE FROM p_findings; DELETE FROM p_calendar;",
			  err);

	if (rc == 0)
		rc = media_proj_clear(s, err);
	return rc ? rc : kv_proj_clear(s, err);
}

/* Each table's rows in key order; finding ids are left out because they
 * only number rows in the order they were written. */
static const char *const dump_sql[] = {
	"SELECT 'case', id, matter, applicant, applicant_id, stage, status,"
	" received, opened_seq, last_seq, due_day, promised_day, overdue, open,"
	" search, summary FROM p_cases ORDER BY id",
	"SELECT 'record', seq, case_id, kind, actor, superseded_by"
	" FROM p_records ORDER BY seq",
	"SELECT 'user', name, seq, body FROM p_users ORDER BY name",
	"SELECT 'token', hash, user, seq, expires, revoked FROM p_tokens"
	" ORDER BY hash",
	"SELECT 'finding', case_id, code, record_seq, detected, cured, body"
	" FROM p_findings ORDER BY case_id, code, record_seq, detected",
	"SELECT 'calendar', year, seq, body FROM p_calendar ORDER BY year",
	"SELECT 'media', seq, hash, type, case_id, window, start_ms, end_ms,"
	" ingested, purged_seq, body FROM p_media ORDER BY seq",
	"SELECT 'custody', hash, seq FROM p_custody ORDER BY hash, seq",
	"SELECT 'hold', id, seq, window, from_ms, to_ms, media_seq, case_id,"
	" released_seq, body FROM p_holds ORDER BY id",
	"SELECT 'kv', ns, key, seq, body FROM p_kv ORDER BY ns, key",
};

static int dump_rows(struct store *s, const char *sql, struct buf *out,
		     struct error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return db_error(s, err, rc, "preparing a projection dump");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int n = sqlite3_column_count(st);

		for (int i = 0; i < n; i++) {
			const char *t = (const char *)sqlite3_column_text(st, i);

			if (buf_printf(out, "%s%s", i ? "\t" : "",
				       t ? t : "NULL") != 0) {
				sqlite3_finalize(st);
				return error_set(err, CT_ENOMEM,
						 "out of memory");
			}
		}
		if (buf_append(out, "\n", 1) != 0) {
			sqlite3_finalize(st);
			return error_set(err, CT_ENOMEM, "out of memory");
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_error(s, err, rc, "dumping");
}

int store_projection_dump(struct store *s, struct buf *out, struct error *err)
{
	int rc = 0;

	buf_reset(out);
	for (size_t i = 0; rc == 0 && i < ARRAY_SIZE(dump_sql); i++)
		rc = dump_rows(s, dump_sql[i], out, err);
	return rc;
}
