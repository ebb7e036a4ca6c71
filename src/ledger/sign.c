/*
 * Signing checkpoints. The tree root is read and signed outside any lock;
 * storing it takes a short write transaction that also thins the stored
 * checkpoints: the previous latest one is dropped when it was signed in
 * the same UTC minute as the new one and no witness cosigned it, so one
 * checkpoint a minute remains, plus every cosigned one. The newest note is
 * also written to the store's checkpoint file.
 */
#include "common/common.h"

#include "common/log.h"
#include "internal.h"
#include "ledger/checkpoint.h"

static int sign_current(struct ledger *l, uint64_t size, struct buf *note,
			struct error *err)
{
	struct note_key keys[2];
	struct checkpoint cp = { 0 };
	size_t n;
	int rc;

	rc = ledger_note_keys(l, keys, &n, 1, err);
	if (rc)
		return rc;
	snprintf(cp.origin, sizeof(cp.origin), "%s", l->config.origin);
	cp.size = size;
	rc = ledger_root(l, size, cp.root, err);
	if (rc == 0)
		rc = checkpoint_sign(&cp, keys, n, note, err);
	return rc;
}

/* Stores a signed note unless a newer one exists; thins the older ones. */
static int store_signed(struct ledger *l, struct store *s, uint64_t size,
			const struct buf *note, int *newest,
			struct error *err)
{
	struct store_checkpoint prev = { 0 };
	int64_t now = ledger_now_ms();
	int rc, have_prev;

	*newest = 0;
	rc = store_begin(s, err);
	if (rc)
		return rc;
	rc = store_checkpoint_latest(s, &prev, NULL);
	have_prev = rc == 0;
	rc = 0;
	if (have_prev && prev.size >= size)
		goto out;
	rc = store_checkpoint_put(s, size, now, note->data, note->len, err);
	if (rc == 0 && have_prev && !prev.cosigned && prev.size > 0 &&
	    prev.ts_ms / 60000 == now / 60000)
		rc = store_checkpoint_delete(s, prev.size, err);
	if (rc == 0)
		*newest = 1;
out:
	if (rc == 0)
		rc = store_commit(s, err);
	store_end(s);
	buf_release(&prev.note);
	(void)l;
	return rc;
}

int ledger_checkpoint(struct ledger *l, int force, struct buf *note,
		      uint64_t *size, struct error *err)
{
	struct buf signed_note = BUF_INIT_MAX(1 << 16);
	struct buf *out = note ? note : &signed_note;
	char path[PATH_MAX];
	uint64_t latest = 0, current;
	int rc, newest = 0;

	rc = ledger_size(l, &current, err);
	if (rc == 0 && !force) {
		rc = ledger_checkpoint_latest(l, out, &latest, NULL);
		if (rc == 0 && latest >= current) {
			*size = latest;
			goto out;
		}
		rc = 0;
	}
	if (rc)
		goto out;
	buf_reset(out);
	rc = sign_current(l, current, out, err);
	/*
	 * The file is written under the writer lock too: the signer thread
	 * and a request that forces a checkpoint share one temporary name,
	 * and the file must never go back to an older note.
	 */
	path_join(path, sizeof(path), l->config.dir, CHECKPOINT_FILE);
	if (rc == 0) {
		writer_lock(l);
		rc = store_signed(l, l->writer, current, out, &newest, err);
		if (rc == 0 && newest)
			rc = write_file_atomic(path, out->data, out->len, 0644,
					       err);
		writer_unlock(l);
	}
	if (rc == 0 && !newest)
		rc = ledger_checkpoint_latest(l, out, &current, err);
	if (rc == 0) {
		*size = current;
		log_debug("ledger", "checkpoint signed", "size=%" PRIu64,
			  current);
	}
out:
	buf_release(&signed_note);
	return rc;
}

int ledger_checkpoint_latest(struct ledger *l, struct buf *note,
			     uint64_t *size, struct error *err)
{
	struct store_checkpoint cp = { 0 };
	struct store *s;
	int rc = reader_get(l, &s, err);

	if (rc)
		return rc;
	rc = store_checkpoint_latest(s, &cp, err);
	reader_put(l, s);
	if (rc == 0) {
		buf_reset(note);
		rc = buf_append(note, cp.note.data, cp.note.len);
		*size = cp.size;
	}
	buf_release(&cp.note);
	return rc;
}

#define SIGNER_POLL_MS 50

static void set_signer_error(struct ledger *l, const char *msg)
{
	pthread_mutex_lock(&l->signer_mu);
	snprintf(l->signer_error, sizeof(l->signer_error), "%s",
		 msg ? msg : "");
	pthread_mutex_unlock(&l->signer_mu);
}

int ledger_signer_error(struct ledger *l, char *out, size_t n)
{
	int failing;

	pthread_mutex_lock(&l->signer_mu);
	failing = l->signer_error[0] != '\0';
	snprintf(out, n, "%s", l->signer_error);
	pthread_mutex_unlock(&l->signer_mu);
	return failing;
}
#define SIGNER_MIN_INTERVAL_MS 100

void signer_kick(struct ledger *l)
{
	pthread_mutex_lock(&l->signer_mu);
	if (l->signer_running) {
		l->signer_kick = 1;
		pthread_cond_signal(&l->signer_cond);
	}
	pthread_mutex_unlock(&l->signer_mu);
}

/*
 * Waits up to ms for a kick or a stop. With until_deadline set, kicks do
 * not end the wait early, so that the minimum interval is kept.
 */
static void wait_ms(struct ledger *l, int64_t ms, int until_deadline)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	until.tv_sec += ms / 1000 + until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&l->signer_mu);
	while (!l->signer_stop && (until_deadline || !l->signer_kick)) {
		if (pthread_cond_timedwait(&l->signer_cond, &l->signer_mu,
					   &until) != 0)
			break;
	}
	l->signer_kick = 0;
	pthread_mutex_unlock(&l->signer_mu);
}

/* Signs when entries are uncovered; returns the time it signed, or 0. */
static int64_t sign_if_needed(struct ledger *l, uint64_t *covered)
{
	struct error err = { 0 };
	uint64_t size, signed_size;
	char quoted[ERROR_MSG_MAX + 16];
	int64_t now;

	if (ledger_size(l, &size, &err) != 0)
		return 0;
	note_size(l, size);
	if (size <= *covered)
		return 0;
	if (ledger_checkpoint(l, 0, NULL, &signed_size, &err) == 0) {
		*covered = signed_size;
		set_signer_error(l, NULL);
		return ledger_now_ms();
	}
	/* A broken key fails every attempt: log once a minute, counted. */
	now = ledger_now_ms();
	l->signer_failures++;
	if (now - l->signer_logged_ms >= 60000) {
		log_error("ledger", "checkpoint signing failed",
			  "size=%" PRIu64 " failures=%" PRIu64 " error=%s", size,
			  l->signer_failures,
			  log_quote(err.msg, quoted, sizeof(quoted)));
		l->signer_logged_ms = now;
	}
	set_signer_error(l, err.msg);
	return 0;
}

static void *signer_main(void *arg)
{
	struct ledger *l = arg;
	struct buf note = BUF_INIT_MAX(1 << 16);
	uint64_t covered = 0;
	int64_t last = 0;

	ledger_checkpoint_latest(l, &note, &covered, NULL);
	buf_release(&note);
	log_info("ledger", "checkpoint signer started", "covered=%" PRIu64,
		 covered);
	for (;;) {
		int64_t now = ledger_now_ms(), t;
		int stop;

		if (now - last < SIGNER_MIN_INTERVAL_MS)
			wait_ms(l, SIGNER_MIN_INTERVAL_MS - (now - last), 1);
		t = sign_if_needed(l, &covered);
		if (t)
			last = t;
		pthread_mutex_lock(&l->signer_mu);
		stop = l->signer_stop;
		pthread_mutex_unlock(&l->signer_mu);
		if (stop)
			break;
		wait_ms(l, SIGNER_POLL_MS, 0);
	}
	sign_if_needed(l, &covered);
	log_info("ledger", "checkpoint signer stopped", "covered=%" PRIu64,
		 covered);
	return NULL;
}

int ledger_signer_start(struct ledger *l, struct error *err)
{
	if (l->signer_running)
		return 0;
	l->signer_stop = 0;
	if (pthread_create(&l->signer, NULL, signer_main, l) != 0)
		return error_set(err, CT_EIO, "cannot start the checkpoint "
				 "signer thread: %s", strerror(errno));
	pthread_mutex_lock(&l->signer_mu);
	l->signer_running = 1;
	pthread_mutex_unlock(&l->signer_mu);
	return 0;
}

void ledger_signer_stop(struct ledger *l)
{
	if (!l->signer_running)
		return;
	pthread_mutex_lock(&l->signer_mu);
	l->signer_stop = 1;
	pthread_cond_signal(&l->signer_cond);
	pthread_mutex_unlock(&l->signer_mu);
	pthread_join(l->signer, NULL);
	pthread_mutex_lock(&l->signer_mu);
	l->signer_running = 0;
	pthread_mutex_unlock(&l->signer_mu);
}
