/*
 * Restoring a store that lost its disk from its last backup plus what
 * the supervisory department's witness holds (docs/witness.md, Restore).
 *
 * restore_prepare copies the backup into a staging folder beside the
 * target, reads the witness's latest cosigned checkpoint, checks the
 * log's signatures on it (and the witness's cosignature when the store
 * names the witness), checks that the backup's tree is a prefix of it,
 * fetches the missing entries, checks each and the root of the whole
 * tree against the checkpoint, fetches the files those entries attach
 * (each checked by hash) and only then stores the entries, without
 * content, and the cosigned checkpoint. The caller appends the restore
 * entry (restore_fields) through the workflow and calls restore_commit,
 * which renames the staging folder to the target; restore_abort removes
 * it. The backup is never written to.
 */
#ifndef CASETRAIL_WITNESS_RESTORE_H
#define CASETRAIL_WITNESS_RESTORE_H

#include <jansson.h>
#include <limits.h>
#include <stdint.h>

#include "common/error.h"

/* The kind of the entry that records a restore. */
#define KIND_RESTORE "restore"

struct restore_options {
	const char *backup;      /* folder written by casetrail backup */
	const char *target;      /* the store folder to create */
	const char *witness_url; /* base URL of the witness */
	const char *reason;      /* the operator's reason, required */
	const char *os_user;
	const char *const *skip_blobs; /* files to take as lost, NULL-ended */
};

struct restore;

/*
 * Runs every check and fetch and stores the recovered entries in the
 * staging folder. On failure the staging folder is removed and nothing
 * is at the target. Codes: CT_EINVAL (options, a backup that is not a
 * store, a target that is not empty), CT_EIO (witness unreachable),
 * CT_ENOTFOUND (the witness follows no log of the store's origin),
 * CT_ESTATE (the backup is newer than the witness's checkpoint),
 * CT_ECRYPTO (a signature or cosignature does not verify), CT_ECORRUPT
 * (a fork, entries that do not match the checkpoint, a corrupt file or
 * a malformed answer).
 */
int restore_prepare(const struct restore_options *o, struct restore **out,
		    struct error *err);

/* The staging folder, a store that ledger_open opens. */
const char *restore_dir(const struct restore *r);

/*
 * The content of the restore entry: backup and witness size and root,
 * the witness's origin and URL, the recovered range, the lost content
 * range and the lost files, the reason and the OS user. The caller
 * releases it.
 */
json_t *restore_fields(const struct restore *r);

/*
 * The report: recovered range, each entry whose content is lost (seq,
 * kind, case, time), files recovered and lost, and what cannot be
 * known. The caller releases it.
 */
json_t *restore_report(const struct restore *r);

/* Moves the staging folder to the target. */
int restore_commit(struct restore *r, struct error *err);

/* Removes the staging folder unless committed, and frees r. */
void restore_free(struct restore *r);

#endif
