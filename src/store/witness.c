/*
 * The cosignatures table (see witness.h). It is created on first write,
 * so stores made before the witness existed need no migration; a read
 * of a store without it finds nothing.
 */
#include "common/common.h"

#include "internal.h"
#include "witness.h"

static const char cosign_schema[] =
	"CREATE TABLE IF NOT EXISTS cosignatures (size INTEGER NOT NULL,"
	" witness TEXT NOT NULL, ts INTEGER NOT NULL, note TEXT NOT NULL,"
	" PRIMARY KEY (size, witness));";

int store_cosign_put(struct store *s, uint64_t size, const char *witness,
		     int64_t ts_ms, const char *plain, const char *cosigned,
		     struct error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = exec_sql(s, cosign_schema, err);

	if (rc == 0)
		rc = store_checkpoint_put(s, size, ts_ms, plain, strlen(plain),
					  err);
	if (rc == 0) {
		rc = sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO "
					"cosignatures VALUES (?1, ?2, ?3, ?4)",
					-1, &st, NULL);
		if (rc != SQLITE_OK)
			return db_error(s, err, rc, "storing a cosignature");
		sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
		sqlite3_bind_text(st, 2, witness, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, ts_ms);
		sqlite3_bind_text(st, 4, cosigned, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return db_error(s, err, rc, "storing a cosignature");
		rc = sqlite3_prepare_v2(s->db, "UPDATE checkpoints SET "
					"cosigned = 1 WHERE size = ?1", -1,
					&st, NULL);
		if (rc != SQLITE_OK)
			return db_error(s, err, rc, "marking a checkpoint "
					"cosigned");
		sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		rc = rc == SQLITE_DONE ? 0 : db_error(s, err, rc, "marking a "
						      "checkpoint cosigned");
	}
	return rc;
}

int store_cosign_latest(struct store *s, const char *witness, uint64_t *size,
			int64_t *ts_ms, struct buf *note, struct error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT size, ts, note FROM "
				    "cosignatures WHERE witness = ?1 ORDER BY"
				    " size DESC LIMIT 1", -1, &st, NULL);

	if (rc != SQLITE_OK) {
		/* No table: nothing was ever cosigned in this store. */
		sqlite3_finalize(st);
		return CT_ENOTFOUND;
	}
	sqlite3_bind_text(st, 1, witness, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*size = (uint64_t)sqlite3_column_int64(st, 0);
		*ts_ms = sqlite3_column_int64(st, 1);
		rc = note ? column_buf(st, 2, note) : 0;
		if (rc)
			error_set(err, rc, "reading a cosignature: out of "
				  "memory");
	} else if (rc == SQLITE_DONE) {
		rc = CT_ENOTFOUND;
	} else {
		rc = db_error(s, err, rc, "reading a cosignature");
	}
	sqlite3_finalize(st);
	return rc;
}
