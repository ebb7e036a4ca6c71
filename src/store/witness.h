/*
 * Cosignatures of the bureau's checkpoints by the supervisory
 * department's witness (docs/witness.md): the note as the witness
 * returned it, with the log's signature lines and the witness's
 * cosignature lines, kept per checkpoint size and witness name in the
 * table cosignatures, which is not a projection: a rebuild keeps it, and
 * a backup copies it with the rest of the database.
 */
#ifndef CASETRAIL_STORE_WITNESS_H
#define CASETRAIL_STORE_WITNESS_H

#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "store/store.h"

/*
 * Stores the cosigned note of the checkpoint of size under the witness's
 * name and marks that checkpoint cosigned, inserting plain (the log's
 * own note) first when thinning removed it. Call inside a write
 * transaction.
 */
int store_cosign_put(struct store *s, uint64_t size, const char *witness,
		     int64_t ts_ms, const char *plain, const char *cosigned,
		     struct error *err);

/*
 * Reads the cosigned note of the largest size that witness cosigned into
 * note (may be NULL), with its size and time. CT_ENOTFOUND, without a
 * message, when that witness cosigned nothing.
 */
int store_cosign_latest(struct store *s, const char *witness, uint64_t *size,
			int64_t *ts_ms, struct buf *note, struct error *err);

#endif
