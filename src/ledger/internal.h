/* Definitions shared by the ledger's source files; not a public API. */
#ifndef CASETRAIL_LEDGER_INTERNAL_H
#define CASETRAIL_LEDGER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "ledger/ledger.h"
#include "store/blob.h"

#define CONFIG_FILE "config.json"
#define DB_FILE "casetrail.db"
#define BLOB_DIR "blobs"
#define KEY_DIR "keys"
#define CHECKPOINT_FILE "checkpoint"
#define READER_POOL 16
/* Meta key set to "1" while an expunge's old pages may be on disk. */
#define META_WIPE_PENDING "wipe_pending"

struct append_req;

struct ledger {
	struct ledger_config config;
	unsigned flags;
	struct blob_dir *blobs;

	/* Group commit: writer is used only by the current leader. */
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct append_req *queue_head, *queue_tail;
	int leader_active;
	int lock_waiters; /* threads waiting in writer_lock */
	struct store *writer;
	struct merkle_frontier frontier; /* valid when frontier_ok */
	int frontier_ok;
	ledger_hook_fn hook;
	void *hook_ctx;

	/* The tree size this process last saw (see ledger_known_size). */
	_Atomic uint64_t known_size;

	/* Connections for reads, one per concurrent reader. */
	pthread_mutex_t pool_mu;
	struct store *pool[READER_POOL];
	size_t pool_count;

	/* The content master key (keys/content.key), when the store has
	 * one; every connection gets it (content.h). */
	uint8_t content_key[STORE_CONTENT_KEY_LEN];
	int has_content_key;

	/* Loaded signing keys, under keys_mu. */
	pthread_mutex_t keys_mu;
	struct key *keys[2];
	int keys_private; /* keys[] hold the private keys */

	/* The checkpoint signer thread. */
	pthread_t signer;
	int signer_running, signer_stop, signer_kick;
	uint64_t signer_failures;
	int64_t signer_logged_ms;
	char signer_error[ERROR_MSG_MAX]; /* the last failure, "" after success */
	pthread_mutex_t signer_mu;
	pthread_cond_t signer_cond;
};

/*
 * Takes the writer connection for work outside group commit (checkpoints,
 * expunge checks): waits until no leader commits, then holds off others.
 */
void writer_lock(struct ledger *l);
void writer_unlock(struct ledger *l);

/* Truncates the WAL in up to attempts tries and clears the wipe mark. */
int wal_truncate_attempts(struct ledger *l, int attempts, struct error *err);

/* Raises the known tree size to size if it is larger. */
void note_size(struct ledger *l, uint64_t size);

/* Wakes the checkpoint signer after an append. */
void signer_kick(struct ledger *l);

/* Borrows a read connection; give it back with reader_put. */
int reader_get(struct ledger *l, struct store **s, struct error *err);
void reader_put(struct ledger *l, struct store *s);

/* Joins dir and name into out; CT_EINVAL when it does not fit. */
int path_join(char *out, size_t n, const char *dir, const char *name);

/* Formats a path into out; CT_EINVAL when it does not fit. */
int path_printf(char *out, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Reads the whole file at path (at most max bytes) into b. */
int read_file(const char *path, size_t max, struct buf *b,
	      struct error *err);

/* Writes data to path atomically: temporary file, fsync, rename, fsync
 * of the folder. mode is the new file's mode. */
int write_file_atomic(const char *path, const void *data, size_t len,
		      int mode, struct error *err);

/* Loads the configuration in dir/config.json. */
int config_load(const char *dir, struct ledger_config *c, struct error *err);

/* Checks that the database records the store id, hash and origin that
 * the configuration states. */
int check_db_matches(const struct ledger_config *c, struct store *s,
		     struct error *err);

/*
 * Checks every staff signature entry in s against the staff keys before
 * it, and every issued document against the seal keys before it
 * (sigcheck.c), calling fn with one line per problem. *checked gets the
 * number of signature and document entries read. Returns 0 or a code when the
 * entries cannot be read.
 */
typedef void (*sig_problem_fn)(void *ctx, const char *msg);
int check_staff_signatures(struct store *s, const struct ledger_config *c,
			   sig_problem_fn fn, void *ctx, uint64_t *checked,
			   struct error *err);

/* Checks that name is a usable identifier (case, actor, kind). */
int check_name(const char *what, const char *name, struct error *err);

#endif
