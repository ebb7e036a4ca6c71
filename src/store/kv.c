/*
 * The named-row projection table (see kv.h). Keys are compared byte by
 * byte, so a prefix scan is the range [prefix, prefix + 0xFF), because
 * no UTF-8 text contains the byte 0xFF.
 */
#include "common/common.h"

#include "internal.h"
#include "kv.h"

static const char kv_schema[] =
	"CREATE TABLE IF NOT EXISTS p_kv (ns TEXT NOT NULL, key TEXT NOT NULL,"
	" seq INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (ns, key))"
	" WITHOUT ROWID;";

int kv_proj_create(struct store *s, struct error *err)
{
	return exec_sql(s, kv_schema, err);
}

int kv_proj_clear(struct store *s, struct error *err)
{
	return exec_sql(s, "DELETE FROM p_kv;", err);
}

static int prepare(struct store *s, const char *sql, sqlite3_stmt **st,
		   const char *what, struct error *err)
{
	int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
				    st, NULL);

	return rc == SQLITE_OK ? 0 : db_error(s, err, rc, what);
}

static int finish(struct store *s, sqlite3_stmt *st, int rc,
		  const char *what, struct error *err)
{
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_error(s, err, rc, what);
}

int store_kv_put(struct store *s, const char *ns, const char *key,
		 uint64_t seq, const char *body, struct error *err)
{
	sqlite3_stmt *st;
	int rc = prepare(s, "INSERT OR REPLACE INTO p_kv VALUES (?1, ?2, ?3,"
			 " ?4)", &st, "writing a named row", err);

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, ns, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)seq);
	sqlite3_bind_text(st, 4, body, -1, SQLITE_STATIC);
	return finish(s, st, sqlite3_step(st), "writing a named row", err);
}

int store_kv_get(struct store *s, const char *ns, const char *key,
		 struct buf *body, uint64_t *seq, struct error *err)
{
	sqlite3_stmt *st;
	int rc = prepare(s, "SELECT seq, body FROM p_kv WHERE ns = ?1 AND"
			 " key = ?2", &st, "reading a named row", err);

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, ns, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(st);
		return CT_ENOTFOUND;
	}
	if (rc != SQLITE_ROW)
		return finish(s, st, rc, "reading a named row", err);
	if (seq)
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
	if (body) {
		const char *text = (const char *)sqlite3_column_text(st, 1);
		size_t len = (size_t)sqlite3_column_bytes(st, 1);

		buf_reset(body);
		if (buf_append(body, text ? text : "", text ? len : 0) != 0) {
			sqlite3_finalize(st);
			return error_set(err, CT_ENOMEM, "out of memory");
		}
	}
	sqlite3_finalize(st);
	return 0;
}

int store_kv_delete(struct store *s, const char *ns, const char *key,
		    struct error *err)
{
	sqlite3_stmt *st;
	int rc = prepare(s, "DELETE FROM p_kv WHERE ns = ?1 AND key = ?2",
			 &st, "deleting a named row", err);

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, ns, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	return finish(s, st, sqlite3_step(st), "deleting a named row", err);
}

/* Binds ns and the key range of prefix to ?1, ?2 and ?3. */
static int bind_range(sqlite3_stmt *st, const char *ns, const char *prefix,
		      char **upper)
{
	size_t len = strlen(prefix);

	*upper = malloc(len + 2);
	if (!*upper)
		return CT_ENOMEM;
	memcpy(*upper, prefix, len);
	(*upper)[len] = (char)0xFF;
	(*upper)[len + 1] = '\0';
	sqlite3_bind_text(st, 1, ns, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, *upper, (int)len + 1, SQLITE_STATIC);
	return 0;
}

static int count_rows(struct store *s, const char *ns, const char *prefix,
		      uint64_t *total, struct error *err)
{
	sqlite3_stmt *st;
	char *upper;
	int rc = prepare(s, "SELECT count(*) FROM p_kv WHERE ns = ?1 AND"
			 " key >= ?2 AND CAST(key AS BLOB) < ?3", &st,
			 "counting named rows", err);

	if (rc)
		return rc;
	if (bind_range(st, ns, prefix, &upper) != 0) {
		sqlite3_finalize(st);
		return error_set(err, CT_ENOMEM, "out of memory");
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*total = (uint64_t)sqlite3_column_int64(st, 0);
	rc = finish(s, st, rc == SQLITE_ROW ? SQLITE_DONE : rc,
		    "counting named rows", err);
	free(upper);
	return rc;
}

int store_kv_scan(struct store *s, const char *ns, const char *prefix,
		  bool desc, size_t offset, size_t limit, store_kv_fn fn,
		  void *ctx, uint64_t *total, struct error *err)
{
	static const char *const sql[2] = {
		"SELECT key, seq, body FROM p_kv WHERE ns = ?1 AND key >= ?2"
		" AND CAST(key AS BLOB) < ?3 ORDER BY key LIMIT ?4 OFFSET ?5",
		"SELECT key, seq, body FROM p_kv WHERE ns = ?1 AND key >= ?2"
		" AND CAST(key AS BLOB) < ?3 ORDER BY key DESC LIMIT ?4"
		" OFFSET ?5",
	};
	sqlite3_stmt *st;
	char *upper;
	int rc;

	if (total) {
		rc = count_rows(s, ns, prefix, total, err);
		if (rc)
			return rc;
	}
	rc = prepare(s, sql[desc], &st, "listing named rows", err);
	if (rc)
		return rc;
	if (bind_range(st, ns, prefix, &upper) != 0) {
		sqlite3_finalize(st);
		return error_set(err, CT_ENOMEM, "out of memory");
	}
	sqlite3_bind_int64(st, 4, limit ? (sqlite3_int64)limit : -1);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)offset);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int stop = fn(ctx, (const char *)sqlite3_column_text(st, 0),
			      (uint64_t)sqlite3_column_int64(st, 1),
			      (const char *)sqlite3_column_text(st, 2),
			      (size_t)sqlite3_column_bytes(st, 2));

		if (stop) {
			sqlite3_finalize(st);
			free(upper);
			return stop;
		}
	}
	rc = finish(s, st, rc, "listing named rows", err);
	free(upper);
	return rc;
}
