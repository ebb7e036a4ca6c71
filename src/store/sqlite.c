/*
 * The SQLite implementation of the metadata store (see store.h).
 *
 * The schema is created once by STORE_CREATE and carries its version in
 * the meta table. Statements are prepared once per connection and reset
 * after each use. The connection is used by one thread at a time; the
 * ledger serialises writers above this layer, and every reader opens its
 * own connection.
 */
#include "common/common.h"

#include <sqlite3.h>
#include <unistd.h>

#include "common/log.h"
#include "internal.h"
#include "store.h"

#define SCHEMA_VERSION "1"
#define BUSY_TIMEOUT_MS 30000

static const char schema_sql[] =
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE entries (seq INTEGER PRIMARY KEY, body BLOB NOT NULL);"
	"CREATE TABLE nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL,"
	" hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID;"
	"CREATE TABLE content (seq INTEGER PRIMARY KEY, salt BLOB NOT NULL,"
	" fields BLOB NOT NULL);"
	"CREATE TABLE blobs (hash TEXT PRIMARY KEY, sha256 TEXT NOT NULL,"
	" size INTEGER NOT NULL, type TEXT NOT NULL,"
	" refs INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE refs (seq INTEGER NOT NULL, hash TEXT NOT NULL,"
	" expunged_by INTEGER, PRIMARY KEY (seq, hash)) WITHOUT ROWID;"
	"CREATE INDEX refs_hash ON refs (hash);"
	"CREATE TABLE expunges (target_seq INTEGER NOT NULL,"
	" hash TEXT NOT NULL, by_seq INTEGER NOT NULL,"
	" PRIMARY KEY (target_seq, hash)) WITHOUT ROWID;"
	"CREATE TABLE checkpoints (size INTEGER PRIMARY KEY,"
	" ts INTEGER NOT NULL, cosigned INTEGER NOT NULL DEFAULT 0,"
	" note TEXT NOT NULL);"
	"CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries BEGIN"
	" SELECT RAISE(ABORT, 'ledger entries are append-only'); END;"
	"CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries BEGIN"
	" SELECT RAISE(ABORT, 'ledger entries are append-only'); END;"
	"CREATE TRIGGER nodes_no_update BEFORE UPDATE ON nodes BEGIN"
	" SELECT RAISE(ABORT, 'Merkle nodes are append-only'); END;"
	"CREATE TRIGGER nodes_no_delete BEFORE DELETE ON nodes BEGIN"
	" SELECT RAISE(ABORT, 'Merkle nodes are append-only'); END;"
	"INSERT INTO meta VALUES ('schema', '" SCHEMA_VERSION "');";

enum stmt_id {
	ST_BEGIN,
	ST_BEGIN_READ,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_META_GET,
	ST_META_PUT,
	ST_ENTRY_COUNT,
	ST_ENTRY_PUT,
	ST_ENTRY_GET,
	ST_ENTRY_SCAN,
	ST_NODE_PUT,
	ST_NODE_GET,
	ST_NODE_SCAN,
	ST_CONTENT_PUT,
	ST_CONTENT_GET,
	ST_CONTENT_DELETE,
	ST_CONTENT_SCAN,
	ST_BLOB_INSERT,
	ST_BLOB_ADDREF,
	ST_BLOB_GET,
	ST_REF_PUT,
	ST_REF_EXPUNGE,
	ST_BLOB_SUBREF,
	ST_REF_SCAN,
	ST_BLOB_UNREFERENCED,
	ST_EXPUNGE_PUT,
	ST_EXPUNGE_GET,
	ST_CP_PUT,
	ST_CP_DELETE,
	ST_CP_LATEST,
	ST_CP_SCAN,
	ST_COUNT
};

_Static_assert(ST_COUNT <= 32, "struct store has room for 32 statements");

static const char *stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_BEGIN_READ] = "BEGIN DEFERRED",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[ST_META_PUT] = "INSERT OR REPLACE INTO meta VALUES (?1, ?2)",
	[ST_ENTRY_COUNT] = "SELECT coalesce(max(seq) + 1, 0) FROM entries",
	[ST_ENTRY_PUT] = "INSERT INTO entries (seq, body) VALUES (?1, ?2)",
	[ST_ENTRY_GET] = "SELECT body FROM entries WHERE seq = ?1",
	[ST_ENTRY_SCAN] =
		"SELECT seq, body FROM entries WHERE seq >= ?1 ORDER BY seq",
	[ST_NODE_PUT] = "INSERT INTO nodes VALUES (?1, ?2, ?3)",
	[ST_NODE_GET] = "SELECT hash FROM nodes WHERE level = ?1 AND idx = ?2",
	[ST_NODE_SCAN] = "SELECT level, idx, hash FROM nodes ORDER BY level, idx",
	[ST_CONTENT_PUT] = "INSERT INTO content VALUES (?1, ?2, ?3)",
	[ST_CONTENT_GET] = "SELECT salt, fields FROM content WHERE seq = ?1",
	[ST_CONTENT_DELETE] = "DELETE FROM content WHERE seq = ?1",
	[ST_CONTENT_SCAN] = "SELECT seq, salt, fields FROM content ORDER BY seq",
	[ST_BLOB_INSERT] = "INSERT OR IGNORE INTO blobs VALUES (?1, ?2, ?3, ?4, 0)",
	[ST_BLOB_ADDREF] = "UPDATE blobs SET refs = refs + 1 WHERE hash = ?1",
	[ST_BLOB_GET] = "SELECT hash, sha256, size, type, refs FROM blobs"
			" WHERE hash = ?1",
	[ST_REF_PUT] = "INSERT INTO refs VALUES (?1, ?2, NULL)",
	[ST_REF_EXPUNGE] = "UPDATE refs SET expunged_by = ?3 WHERE seq = ?1"
			   " AND hash = ?2 AND expunged_by IS NULL",
	[ST_BLOB_SUBREF] = "UPDATE blobs SET refs = refs - 1 WHERE hash = ?1"
			   " RETURNING refs",
	[ST_REF_SCAN] = "SELECT seq, hash, expunged_by FROM refs"
			" ORDER BY seq, hash",
	[ST_BLOB_UNREFERENCED] = "SELECT hash FROM blobs WHERE refs <= 0",
	[ST_EXPUNGE_PUT] = "INSERT INTO expunges VALUES (?1, ?2, ?3)",
	[ST_EXPUNGE_GET] = "SELECT by_seq FROM expunges WHERE target_seq = ?1"
			   " AND hash = ?2",
	[ST_CP_PUT] = "INSERT OR IGNORE INTO checkpoints (size, ts, note)"
		      " VALUES (?1, ?2, ?3)",
	[ST_CP_DELETE] = "DELETE FROM checkpoints WHERE size = ?1",
	[ST_CP_LATEST] = "SELECT size, ts, cosigned, note FROM checkpoints"
			 " ORDER BY size DESC LIMIT 1",
	[ST_CP_SCAN] = "SELECT size, ts, cosigned, note FROM checkpoints"
		       " ORDER BY size",
};

int db_error(struct store *s, struct error *err, int rc,
		    const char *what)
{
	int code = CT_EIO;

	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		code = CT_EBUSY;
	else if (rc == SQLITE_CONSTRAINT)
		code = CT_EEXIST;
	else if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB)
		code = CT_ECORRUPT;
	else if (rc == SQLITE_NOMEM)
		code = CT_ENOMEM;
	return error_set(err, code, "%s failed in '%s': %s", what, s->path,
			 s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
}

/* Returns the prepared statement, reset and with its bindings cleared. */
static sqlite3_stmt *stmt(struct store *s, enum stmt_id id, struct error *err)
{
	sqlite3_stmt **st = &s->stmts[id];
	int rc;

	if (*st) {
		sqlite3_reset(*st);
		sqlite3_clear_bindings(*st);
		return *st;
	}
	rc = sqlite3_prepare_v3(s->db, stmt_sql[id], -1,
				SQLITE_PREPARE_PERSISTENT, st, NULL);
	if (rc != SQLITE_OK) {
		db_error(s, err, rc, "preparing a statement");
		return NULL;
	}
	return *st;
}

/* Runs a statement that returns no rows; leaves it reset. */
int run(struct store *s, sqlite3_stmt *st, const char *what,
	       struct error *err)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_error(s, err, rc, what);
	return 0;
}

int exec_sql(struct store *s, const char *sql, struct error *err)
{
	char *msg = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		error_set(err, rc == SQLITE_BUSY ? CT_EBUSY : CT_EIO,
			  "database '%s': %s", s->path,
			  msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return err && err->code ? err->code : CT_EIO;
	}
	return 0;
}

static int configure(struct store *s, unsigned flags, struct error *err)
{
	int rc;

	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(s->db, 0);
	if (flags & STORE_READONLY)
		return exec_sql(s, "PRAGMA query_only = ON;", err);

	/*
	 * WAL with synchronous=FULL fsyncs the log on every commit, so an
	 * acknowledged commit survives a crash. secure_delete overwrites
	 * freed content instead of leaving it in free pages.
	 */
	rc = exec_sql(s,
		      "PRAGMA journal_mode = WAL;"
		      "PRAGMA synchronous = FULL;"
		      "PRAGMA secure_delete = ON;",
		      err);
	return rc;
}

static int check_schema(struct store *s, struct error *err)
{
	struct buf v = BUF_INIT_MAX(64);
	int rc = store_meta_get(s, "schema", &v, NULL);

	if (rc == 0 && strcmp(v.data, SCHEMA_VERSION) != 0)
		rc = error_set(err, CT_ECORRUPT,
			       "database '%s' has schema version %s; this "
			       "casetrail reads version %s",
			       s->path, v.data, SCHEMA_VERSION);
	else if (rc)
		rc = error_set(err, CT_ECORRUPT,
			       "'%s' is not a casetrail database "
			       "(no schema version)", s->path);
	buf_release(&v);
	return rc;
}

int store_open(const char *path, unsigned flags, struct store **out,
	       struct error *err)
{
	struct store *s;
	int oflags, rc;

	*out = NULL;
	if (!(flags & STORE_CREATE) && access(path, F_OK) != 0)
		return error_set(err, CT_ENOTFOUND,
				 "database '%s' not found; create a store "
				 "with 'casetrail init'", path);
	if ((flags & STORE_CREATE) && access(path, F_OK) == 0)
		return error_set(err, CT_EEXIST, "database '%s' exists already",
				 path);
	s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		free(s);
		return error_set(err, CT_ENOMEM, "out of memory");
	}
	oflags = SQLITE_OPEN_NOMUTEX;
	if (flags & STORE_READONLY)
		oflags |= SQLITE_OPEN_READONLY;
	else
		oflags |= SQLITE_OPEN_READWRITE;
	if (flags & STORE_CREATE)
		oflags |= SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, &s->db, oflags, NULL);
	if (rc != SQLITE_OK) {
		rc = db_error(s, err, rc, "opening the database");
		goto fail;
	}
	rc = configure(s, flags, err);
	if (rc == 0 && (flags & STORE_CREATE))
		rc = exec_sql(s, schema_sql, err);
	if (rc == 0)
		rc = check_schema(s, err);
	if (rc == 0 && !(flags & STORE_READONLY))
		rc = proj_create(s, err);
	if (rc)
		goto fail;
	*out = s;
	return 0;
fail:
	store_close(s);
	return rc;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->stmts[i]);
	proj_finalize(s);
	if (s->db)
		sqlite3_close(s->db);
	free(s->path);
	/* explicit_bzero is not dropped although s is freed next. */
	explicit_bzero(s->content_key, sizeof(s->content_key));
	free(s);
}

void store_set_content_key(struct store *s,
			   const unsigned char key[STORE_CONTENT_KEY_LEN])
{
	memcpy(s->content_key, key, STORE_CONTENT_KEY_LEN);
	s->has_content_key = 1;
}

const unsigned char *store_content_key(const struct store *s)
{
	return s->has_content_key ? s->content_key : NULL;
}

int store_begin(struct store *s, struct error *err)
{
	sqlite3_stmt *st = stmt(s, ST_BEGIN, err);
	int rc;

	if (!st)
		return err && err->code ? err->code : CT_EIO;
	rc = run(s, st, "starting a write transaction", err);
	if (rc == 0)
		s->in_txn = 1;
	return rc;
}

int store_begin_read(struct store *s, struct error *err)
{
	sqlite3_stmt *st = stmt(s, ST_BEGIN_READ, err);
	int rc;

	if (!st)
		return err && err->code ? err->code : CT_EIO;
	rc = run(s, st, "starting a read transaction", err);
	if (rc == 0)
		s->in_txn = 1;
	return rc;
}

int store_commit(struct store *s, struct error *err)
{
	sqlite3_stmt *st = stmt(s, ST_COMMIT, err);
	int rc;

	if (!st)
		return err && err->code ? err->code : CT_EIO;
	rc = run(s, st, "committing", err);
	if (rc == 0)
		s->in_txn = 0;
	return rc;
}

void store_end(struct store *s)
{
	sqlite3_stmt *st;

	if (!s || !s->in_txn)
		return;
	st = stmt(s, ST_ROLLBACK, NULL);
	if (st)
		run(s, st, "rolling back", NULL);
	s->in_txn = 0;
}

int store_savepoint(struct store *s, struct error *err)
{
	int rc = exec_sql(s, "SAVEPOINT record", err);

	s->savepoint = rc == 0;
	return rc;
}

int store_savepoint_release(struct store *s, struct error *err)
{
	s->savepoint = 0;
	return exec_sql(s, "RELEASE record", err);
}

void store_savepoint_rollback(struct store *s)
{
	if (!s->savepoint)
		return;
	exec_sql(s, "ROLLBACK TO record; RELEASE record", NULL);
	s->savepoint = 0;
}

/* Reads column col of the current row as bytes into b (replacing it). */
int column_buf(sqlite3_stmt *st, int col, struct buf *b)
{
	const void *p = sqlite3_column_blob(st, col);
	int n = sqlite3_column_bytes(st, col);

	buf_reset(b);
	return buf_append(b, p ? p : "", (size_t)n);
}

/* Steps a single-row SELECT: 0 with a row, CT_ENOTFOUND, or an error. */
int step_row(struct store *s, sqlite3_stmt *st, const char *what,
		    struct error *err)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 0;
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return CT_ENOTFOUND;
	return db_error(s, err, rc, what);
}

int failed_code(const struct error *err)
{
	return err && err->code ? err->code : CT_EIO;
}

/* Declares st as the prepared statement id, returning on failure. */
#define PREPARE(s, id, err)                        \
	sqlite3_stmt *st = stmt((s), (id), (err)); \
	if (!st)                                   \
	return failed_code(err)

int store_meta_get(struct store *s, const char *key, struct buf *value,
		   struct error *err)
{
	int rc;

	PREPARE(s, ST_META_GET, err);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = step_row(s, st, "reading meta", err);
	if (rc == CT_ENOTFOUND)
		return error_set(err, rc, "meta key '%s' not found in '%s'",
				 key, s->path);
	if (rc)
		return rc;
	rc = column_buf(st, 0, value);
	sqlite3_reset(st);
	return rc;
}

int store_meta_put(struct store *s, const char *key, const char *value,
		   struct error *err)
{
	PREPARE(s, ST_META_PUT, err);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	return run(s, st, "writing meta", err);
}

int store_entry_count(struct store *s, uint64_t *count, struct error *err)
{
	int rc;

	PREPARE(s, ST_ENTRY_COUNT, err);
	rc = step_row(s, st, "counting entries", err);
	if (rc)
		return rc;
	*count = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

int store_entry_put(struct store *s, uint64_t seq, const void *body,
		    size_t len, struct error *err)
{
	PREPARE(s, ST_ENTRY_PUT, err);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	sqlite3_bind_blob(st, 2, body, (int)len, SQLITE_STATIC);
	return run(s, st, "appending an entry", err);
}

int store_entry_get(struct store *s, uint64_t seq, struct buf *body,
		    struct error *err)
{
	int rc;

	PREPARE(s, ST_ENTRY_GET, err);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	rc = step_row(s, st, "reading an entry", err);
	if (rc == CT_ENOTFOUND)
		return error_set(err, rc, "entry %" PRIu64 " not found", seq);
	if (rc)
		return rc;
	rc = column_buf(st, 0, body);
	sqlite3_reset(st);
	return rc;
}

int store_entry_scan(struct store *s, uint64_t from, store_entry_fn fn,
		     void *ctx, struct error *err)
{
	int rc;

	PREPARE(s, ST_ENTRY_SCAN, err);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)from);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *p = sqlite3_column_blob(st, 1);
		int n = sqlite3_column_bytes(st, 1);
		int r = fn(ctx, (uint64_t)sqlite3_column_int64(st, 0),
			   p ? p : "", (size_t)n);

		if (r) {
			sqlite3_reset(st);
			return r;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : db_error(s, err, rc, "reading entries");
}

int store_node_put(struct store *s, unsigned level, uint64_t index,
		   const uint8_t hash[32], struct error *err)
{
	PREPARE(s, ST_NODE_PUT, err);
	sqlite3_bind_int(st, 1, (int)level);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)index);
	sqlite3_bind_blob(st, 3, hash, 32, SQLITE_STATIC);
	return run(s, st, "storing a Merkle node", err);
}

int store_node_get(void *store, unsigned level, uint64_t index,
		   uint8_t out[32])
{
	struct store *s = store;
	int rc;

	PREPARE(s, ST_NODE_GET, NULL);
	sqlite3_bind_int(st, 1, (int)level);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)index);
	rc = step_row(s, st, "reading a Merkle node", NULL);
	if (rc)
		return rc;
	if (sqlite3_column_bytes(st, 0) != 32) {
		sqlite3_reset(st);
		return CT_ECORRUPT;
	}
	memcpy(out, sqlite3_column_blob(st, 0), 32);
	sqlite3_reset(st);
	return 0;
}

int store_node_scan(struct store *s, store_node_fn fn, void *ctx,
		    struct error *err)
{
	int rc;

	PREPARE(s, ST_NODE_SCAN, err);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int r = fn(ctx, (unsigned)sqlite3_column_int(st, 0),
			   (uint64_t)sqlite3_column_int64(st, 1),
			   sqlite3_column_blob(st, 2),
			   (size_t)sqlite3_column_bytes(st, 2));

		if (r) {
			sqlite3_reset(st);
			return r;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : db_error(s, err, rc, "reading nodes");
}

struct store_node_reader {
	sqlite3_stmt *st;
};

int store_node_reader_open(struct store *s, unsigned level,
			   struct store_node_reader **out, struct error *err)
{
	struct store_node_reader *r = calloc(1, sizeof(*r));
	int rc;

	*out = NULL;
	if (!r)
		return error_set(err, CT_ENOMEM, "out of memory");
	rc = sqlite3_prepare_v2(s->db,
				"SELECT idx, hash FROM nodes WHERE level = ?1 "
				"ORDER BY idx", -1, &r->st, NULL);
	if (rc != SQLITE_OK) {
		free(r);
		return db_error(s, err, rc, "reading nodes");
	}
	sqlite3_bind_int(r->st, 1, (int)level);
	*out = r;
	return 0;
}

int store_node_reader_next(struct store_node_reader *r, uint64_t *index,
			   uint8_t hash[32])
{
	int rc = sqlite3_step(r->st);

	if (rc == SQLITE_DONE)
		return CT_ENOTFOUND;
	if (rc != SQLITE_ROW)
		return CT_EIO;
	if (sqlite3_column_int64(r->st, 0) < 0)
		return CT_EINVAL;
	*index = (uint64_t)sqlite3_column_int64(r->st, 0);
	if (sqlite3_column_bytes(r->st, 1) != 32)
		return CT_ECORRUPT;
	memcpy(hash, sqlite3_column_blob(r->st, 1), 32);
	return 0;
}

void store_node_reader_free(struct store_node_reader *r)
{
	if (!r)
		return;
	sqlite3_finalize(r->st);
	free(r);
}

int store_content_put(struct store *s, uint64_t seq, const void *salt,
		      size_t salt_len, const void *fields, size_t len,
		      struct error *err)
{
	PREPARE(s, ST_CONTENT_PUT, err);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	sqlite3_bind_blob(st, 2, salt, (int)salt_len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, fields, (int)len, SQLITE_STATIC);
	return run(s, st, "storing content", err);
}

int store_content_get(struct store *s, uint64_t seq, struct buf *salt,
		      struct buf *fields, struct error *err)
{
	int rc;

	PREPARE(s, ST_CONTENT_GET, err);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	rc = step_row(s, st, "reading content", err);
	if (rc == CT_ENOTFOUND)
		return error_set(err, rc, "no content stored for entry %" PRIu64,
				 seq);
	if (rc)
		return rc;
	rc = column_buf(st, 0, salt);
	if (rc == 0)
		rc = column_buf(st, 1, fields);
	sqlite3_reset(st);
	return rc;
}

int store_content_delete(struct store *s, uint64_t seq, struct error *err)
{
	int rc;

	PREPARE(s, ST_CONTENT_DELETE, err);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	rc = run(s, st, "deleting content", err);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		return error_set(err, CT_ENOTFOUND,
				 "no content stored for entry %" PRIu64, seq);
	return rc;
}

int store_content_scan(struct store *s, store_content_fn fn, void *ctx,
		       struct error *err)
{
	int rc;

	PREPARE(s, ST_CONTENT_SCAN, err);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *salt = sqlite3_column_blob(st, 1);
		size_t salt_len = (size_t)sqlite3_column_bytes(st, 1);
		const void *f = sqlite3_column_blob(st, 2);
		size_t n = (size_t)sqlite3_column_bytes(st, 2);
		int r = fn(ctx, (uint64_t)sqlite3_column_int64(st, 0),
			   salt ? salt : "", salt_len, f ? f : "", n);

		if (r) {
			sqlite3_reset(st);
			return r;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : db_error(s, err, rc, "reading content");
}

int store_blob_ref(struct store *s, uint64_t seq, const struct store_blob *b,
		   struct error *err)
{
	int rc;

	{
		PREPARE(s, ST_BLOB_INSERT, err);
		sqlite3_bind_text(st, 1, b->hash, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, b->sha256, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)b->size);
		sqlite3_bind_text(st, 4, b->type, -1, SQLITE_STATIC);
		rc = run(s, st, "recording a blob", err);
		if (rc)
			return rc;
	}
	{
		PREPARE(s, ST_REF_PUT, err);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
		sqlite3_bind_text(st, 2, b->hash, -1, SQLITE_STATIC);
		rc = run(s, st, "recording a blob reference", err);
		if (rc)
			return rc;
	}
	PREPARE(s, ST_BLOB_ADDREF, err);
	sqlite3_bind_text(st, 1, b->hash, -1, SQLITE_STATIC);
	return run(s, st, "counting a blob reference", err);
}

int store_blob_get(struct store *s, const char *hash, struct store_blob *b,
		   struct error *err)
{
	int rc;

	PREPARE(s, ST_BLOB_GET, err);
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	rc = step_row(s, st, "reading a blob", err);
	if (rc == CT_ENOTFOUND)
		return error_set(err, rc, "blob %s not found", hash);
	if (rc)
		return rc;
	memset(b, 0, sizeof(*b));
	snprintf(b->hash, sizeof(b->hash), "%s",
		 (const char *)sqlite3_column_text(st, 0));
	snprintf(b->sha256, sizeof(b->sha256), "%s",
		 (const char *)sqlite3_column_text(st, 1));
	b->size = (uint64_t)sqlite3_column_int64(st, 2);
	snprintf(b->type, sizeof(b->type), "%s",
		 (const char *)sqlite3_column_text(st, 3));
	b->refs = (uint64_t)sqlite3_column_int64(st, 4);
	sqlite3_reset(st);
	return 0;
}

int store_blob_unref(struct store *s, uint64_t seq, const char *hash,
		     uint64_t by_seq, uint64_t *refs, struct error *err)
{
	int rc;

	{
		PREPARE(s, ST_REF_EXPUNGE, err);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
		sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)by_seq);
		rc = run(s, st, "expunging a blob reference", err);
		if (rc)
			return rc;
		if (sqlite3_changes(s->db) == 0)
			return error_set(err, CT_ENOTFOUND,
					 "entry %" PRIu64 " has no live "
					 "reference to blob %s", seq, hash);
	}
	PREPARE(s, ST_BLOB_SUBREF, err);
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	rc = step_row(s, st, "counting down a blob reference", err);
	if (rc)
		return rc == CT_ENOTFOUND
			       ? error_set(err, CT_ECORRUPT,
					   "blob %s has a reference but no "
					   "row", hash)
			       : rc;
	*refs = (uint64_t)sqlite3_column_int64(st, 0);
	/* Step past the RETURNING row so that the UPDATE completes. */
	sqlite3_step(st);
	sqlite3_reset(st);
	return 0;
}

int store_blob_scan_unreferenced(struct store *s, store_blob_fn fn,
				 void *ctx, struct error *err)
{
	int rc;

	PREPARE(s, ST_BLOB_UNREFERENCED, err);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int r = fn(ctx, (const char *)sqlite3_column_text(st, 0));

		if (r) {
			sqlite3_reset(st);
			return r;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : db_error(s, err, rc, "reading blobs");
}

int store_ref_scan(struct store *s, store_ref_fn fn, void *ctx,
		   struct error *err)
{
	int rc;

	PREPARE(s, ST_REF_SCAN, err);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t by = sqlite3_column_type(st, 2) == SQLITE_NULL
				     ? -1
				     : sqlite3_column_int64(st, 2);
		int r = fn(ctx, (uint64_t)sqlite3_column_int64(st, 0),
			   (const char *)sqlite3_column_text(st, 1), by);

		if (r) {
			sqlite3_reset(st);
			return r;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : db_error(s, err, rc, "reading refs");
}

int store_expunge_put(struct store *s, uint64_t target_seq, const char *hash,
		      uint64_t by_seq, struct error *err)
{
	PREPARE(s, ST_EXPUNGE_PUT, err);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)target_seq);
	sqlite3_bind_text(st, 2, hash ? hash : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)by_seq);
	return run(s, st, "recording an expunge", err);
}

int store_expunge_get(struct store *s, uint64_t target_seq, const char *hash,
		      uint64_t *by_seq, struct error *err)
{
	int rc;

	PREPARE(s, ST_EXPUNGE_GET, err);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)target_seq);
	sqlite3_bind_text(st, 2, hash ? hash : "", -1, SQLITE_STATIC);
	rc = step_row(s, st, "reading an expunge", err);
	if (rc)
		return rc;
	if (by_seq)
		*by_seq = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

int store_checkpoint_put(struct store *s, uint64_t size, int64_t ts_ms,
			 const char *note, size_t len, struct error *err)
{
	PREPARE(s, ST_CP_PUT, err);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
	sqlite3_bind_int64(st, 2, ts_ms);
	sqlite3_bind_text(st, 3, note, (int)len, SQLITE_STATIC);
	return run(s, st, "storing a checkpoint", err);
}

int store_checkpoint_delete(struct store *s, uint64_t size,
			    struct error *err)
{
	PREPARE(s, ST_CP_DELETE, err);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
	return run(s, st, "deleting a checkpoint", err);
}

static int read_checkpoint(sqlite3_stmt *st, struct store_checkpoint *cp)
{
	cp->size = (uint64_t)sqlite3_column_int64(st, 0);
	cp->ts_ms = sqlite3_column_int64(st, 1);
	cp->cosigned = sqlite3_column_int(st, 2);
	if (cp->note.max == 0)
		buf_init(&cp->note, 1 << 20);
	return column_buf(st, 3, &cp->note);
}

int store_checkpoint_latest(struct store *s, struct store_checkpoint *cp,
			    struct error *err)
{
	int rc;

	PREPARE(s, ST_CP_LATEST, err);
	rc = step_row(s, st, "reading the latest checkpoint", err);
	if (rc == CT_ENOTFOUND)
		return error_set(err, rc, "no checkpoint has been signed yet");
	if (rc)
		return rc;
	rc = read_checkpoint(st, cp);
	sqlite3_reset(st);
	return rc;
}

int store_checkpoint_scan(struct store *s, store_checkpoint_fn fn, void *ctx,
			  struct error *err)
{
	struct store_checkpoint cp = { 0 };
	int rc, r = 0;

	PREPARE(s, ST_CP_SCAN, err);
	buf_init(&cp.note, 1 << 20);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		/* A note too large to be one is passed on empty, so that the
		 * caller reports it and goes on with the others. */
		r = read_checkpoint(st, &cp);
		if (r == CT_ETOOBIG) {
			buf_reset(&cp.note);
			r = 0;
		}
		if (r == 0)
			r = fn(ctx, &cp);
		if (r)
			break;
	}
	sqlite3_reset(st);
	buf_release(&cp.note);
	if (r)
		return r;
	return rc == SQLITE_DONE ? 0
				 : db_error(s, err, rc, "reading checkpoints");
}

int store_wal_truncate(struct store *s, int attempts, struct error *err)
{
	int rc = SQLITE_BUSY;

	/*
	 * A truncating checkpoint waits for readers through the busy
	 * handler. With the normal 30 s timeout one attempt could block that
	 * long, so each attempt here fails fast and the loop bounds the
	 * whole wait.
	 */
	sqlite3_busy_timeout(s->db, 0);
	for (int i = 0; i < attempts && rc == SQLITE_BUSY; i++) {
		int log_frames = 0, done = 0;

		rc = sqlite3_wal_checkpoint_v2(s->db, NULL,
					       SQLITE_CHECKPOINT_TRUNCATE,
					       &log_frames, &done);
		if (rc == SQLITE_BUSY && i + 1 < attempts) {
			if (i % 10 == 0)
				log_info("store", "WAL checkpoint busy, "
					 "retrying", "attempt=%d", i + 1);
			usleep(100 * 1000);
		}
	}
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	if (rc != SQLITE_OK)
		return db_error(s, err, rc, "truncating the WAL");
	return 0;
}

int store_backup(struct store *s, const char *path, struct error *err)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *bk;
	int rc;

	rc = sqlite3_open_v2(path, &dst,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		error_set(err, CT_EIO, "cannot create backup database '%s': %s",
			  path, dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
		sqlite3_close(dst);
		return CT_EIO;
	}
	bk = sqlite3_backup_init(dst, "main", s->db, "main");
	if (!bk) {
		error_set(err, CT_EIO, "backup to '%s' failed: %s", path,
			  sqlite3_errmsg(dst));
		sqlite3_close(dst);
		return CT_EIO;
	}
	/* One step copies every page as one consistent snapshot. */
	rc = sqlite3_backup_step(bk, -1);
	sqlite3_backup_finish(bk);
	if (rc != SQLITE_DONE) {
		error_set(err, rc == SQLITE_BUSY ? CT_EBUSY : CT_EIO,
			  "backup to '%s' failed: %s", path,
			  sqlite3_errstr(rc));
		sqlite3_close(dst);
		return err && err->code ? err->code : CT_EIO;
	}
	rc = sqlite3_exec(dst, "PRAGMA journal_mode = WAL;", NULL, NULL, NULL);
	sqlite3_close(dst);
	return rc == SQLITE_OK ? 0
			       : error_set(err, CT_EIO,
					   "cannot set WAL mode on '%s'", path);
}
