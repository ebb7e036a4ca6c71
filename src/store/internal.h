/*
 * Shared by the files of the SQLite store: the connection and the
 * helpers that run statements and turn SQLite errors into CT_E* codes.
 */
#ifndef CASETRAIL_STORE_INTERNAL_H
#define CASETRAIL_STORE_INTERNAL_H

#include <sqlite3.h>

#include "common/buf.h"
#include "common/error.h"
#include "store.h"

/* Statements of the projection tables, prepared on first use. */
#define PROJ_STMT_MAX 48

struct store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmts[32];
	sqlite3_stmt *proj[PROJ_STMT_MAX];
	int in_txn;
	int savepoint; /* a savepoint is open */
	/* The content master key (store_set_content_key), wiped on close. */
	unsigned char content_key[STORE_CONTENT_KEY_LEN];
	int has_content_key;
};

/* Sets err from a SQLite result code; returns the CT_E* code. */
int db_error(struct store *s, struct error *err, int rc, const char *what);

/* Runs a statement that returns no rows; leaves it reset. */
int run(struct store *s, sqlite3_stmt *st, const char *what,
	struct error *err);

/* Steps a single-row SELECT: 0 with a row, CT_ENOTFOUND, or an error. */
int step_row(struct store *s, sqlite3_stmt *st, const char *what,
	     struct error *err);

/* Reads column col of the current row as bytes into b (replacing it). */
int column_buf(sqlite3_stmt *st, int col, struct buf *b);

/* Returns err's code, or CT_EIO when err is NULL or empty. */
int failed_code(const struct error *err);

int exec_sql(struct store *s, const char *sql, struct error *err);

/* Creates the projection tables when missing (writable stores). */
int proj_create(struct store *s, struct error *err);
void proj_finalize(struct store *s);

#endif
