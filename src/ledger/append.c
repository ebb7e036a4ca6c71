/*
 * Appending to the ledger, with group commit.
 *
 * Each caller prepares its record outside any lock (canonical fields,
 * salt, commitment), queues it and waits. The first waiter that finds no
 * commit under way becomes the leader: it takes the whole queue, runs one
 * write transaction for all of it and wakes everyone. Records queued while
 * a leader commits form the next batch, so under load many appends share
 * one fsync, and a lone append waits for nobody.
 */
#include "common/common.h"

#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/jcs.h"
#include "common/log.h"
#include "content/content.h"
#include "internal.h"
#include "media/sniff.h"

struct append_req {
	const struct ledger_record *rec;
	struct content content;
	struct buf head; /* the envelope up to "seq", see build_head */
	struct ledger_receipt *receipt;
	/* For an expunge or a purge: what to destroy inside the transaction.
	 * A purge sets both flags and removes every attachment it lists. */
	int expunge;
	int purge;
	const char *expunge_blob;
	int rc;
	struct error err;
	int done;
	pthread_cond_t cond; /* signalled when done or when it is to lead */
	struct append_req *next;
};

int64_t ledger_now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

int ledger_check_record(const struct ledger_record *rec, struct error *err)
{
	if (check_name("record kind", rec->kind, err))
		return CT_EINVAL;
	if (rec->case_id && check_name("case id", rec->case_id, err))
		return CT_EINVAL;
	if (check_name("actor", rec->actor, err))
		return CT_EINVAL;
	if (rec->os_user && check_name("OS user", rec->os_user, err))
		return CT_EINVAL;
	if (rec->has_at && rec->at_ms < 0)
		return error_set(err, CT_EINVAL, "event time is before 1970");
	if (rec->nattachments > 1000)
		return error_set(err, CT_EINVAL,
				 "%zu attachments; a record takes at most 1000",
				 rec->nattachments);
	for (size_t i = 0; i < rec->nattachments; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(rec->attachments[i].hash,
				    rec->attachments[j].hash))
				return error_set(err, CT_EINVAL,
						 "attachments %zu and %zu have "
						 "the same content (%s); attach "
						 "it once", j + 1, i + 1,
						 rec->attachments[i].hash);
	return 0;
}

/*
 * Writes the canonical form of every envelope member that sorts before
 * "seq" (actor, at, attachments, case, content, kind, os_user) into
 * req->head, as "{...," with the closing brace dropped. This runs in the
 * caller's thread, so the group-commit leader only appends the members
 * that depend on the commit: "seq", "supersedes", "ts" and "v", which in
 * UTF-16 order come after all of those and in that order.
 */
static int build_head(struct append_req *req, struct error *err)
{
	const struct ledger_record *rec = req->rec;
	json_t *e = json_object();
	int rc;

	if (rec->has_at)
		json_object_set_new(e, "at", json_integer(rec->at_ms));
	json_object_set_new(e, "actor", json_string(rec->actor));
	if (rec->os_user)
		json_object_set_new(e, "os_user", json_string(rec->os_user));
	json_object_set_new(e, "kind", json_string(rec->kind));
	if (rec->case_id)
		json_object_set_new(e, "case", json_string(rec->case_id));
	json_object_set_new(e, "content",
			    json_string(req->content.commitment));
	if (rec->nattachments) {
		json_t *atts = json_array();

		for (size_t i = 0; i < rec->nattachments; i++) {
			const struct ledger_attachment *a =
				&rec->attachments[i];

			json_array_append_new(
				atts, json_pack("{s:s, s:I, s:s}", "hash",
						a->hash, "size",
						(json_int_t)a->size, "type",
						a->type));
		}
		json_object_set_new(e, "attachments", atts);
	}
	buf_reset(&req->head);
	rc = jcs_write(e, &req->head, err);
	json_decref(e);
	if (rc == CT_ETOOBIG)
		return error_set(err, rc, "the entry would be over the limit "
				 "of %d bytes; use fewer attachments or "
				 "shorter names", LEDGER_ENTRY_MAX);
	if (rc == 0) {
		/* The object is never empty: actor and content are there. */
		req->head.data[req->head.len - 1] = ',';
	}
	return rc;
}

/* Builds the canonical entry envelope of req at seq into out. */
static int build_entry(const struct append_req *req, uint64_t seq,
		       int64_t ts, struct buf *out, struct error *err)
{
	int rc;

	buf_reset(out);
	rc = buf_append(out, req->head.data, req->head.len);
	if (rc == 0)
		rc = buf_printf(out, "\"seq\":%" PRIu64 ",", seq);
	if (rc == 0 && req->rec->supersedes >= 0)
		rc = buf_printf(out, "\"supersedes\":%" PRId64 ",",
				req->rec->supersedes);
	if (rc == 0)
		rc = buf_printf(out, "\"ts\":%" PRId64 ",\"v\":1}", ts);
	if (rc == 0 && out->len > LEDGER_ENTRY_MAX)
		rc = CT_ETOOBIG;
	if (rc == CT_ETOOBIG)
		return error_set(err, CT_ETOOBIG,
				 "the entry would be %zu bytes or more, over "
				 "the limit of %d; use fewer attachments or "
				 "shorter names", out->len, LEDGER_ENTRY_MAX);
	return rc ? error_set(err, rc, "out of memory") : 0;
}

static int emit_node(void *ctx, unsigned level, uint64_t index,
		     const uint8_t hash[HASH_LEN])
{
	return store_node_put(ctx, level, index, hash, NULL);
}

/* Destroys, inside the transaction, what an expunge entry names. */
static int apply_expunge(struct ledger *l, const struct append_req *req,
			 uint64_t seq, struct error *err)
{
	uint64_t target = (uint64_t)req->rec->supersedes, refs;
	int rc;

	/*
	 * Marked in the same transaction: until the WAL is truncated the old
	 * pages are still in the files, and a process killed before that
	 * leaves the mark for the next writer and for verify.
	 */
	rc = store_meta_put(l->writer, META_WIPE_PENDING, "1", err);
	if (rc)
		return rc;
	if (!req->expunge_blob) {
		rc = store_content_delete(l->writer, target, err);
		if (rc == 0)
			rc = store_expunge_put(l->writer, target, NULL, seq,
					       err);
		return rc;
	}
	rc = store_blob_unref(l->writer, target, req->expunge_blob, seq, &refs,
			      err);
	if (rc == 0)
		rc = store_expunge_put(l->writer, target, req->expunge_blob,
				       seq, err);
	return rc;
}

/*
 * Marks each blob a purge entry lists as no longer referenced by the
 * purged entry, inside the transaction. The files go after the commit.
 */
static int apply_purge(struct ledger *l, const struct append_req *req,
		       uint64_t seq, struct error *err)
{
	const struct ledger_record *rec = req->rec;
	uint64_t target = (uint64_t)rec->supersedes, refs;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < rec->nattachments; i++) {
		const char *hash = rec->attachments[i].hash;

		rc = store_blob_unref(l->writer, target, hash, seq, &refs, err);
		if (rc == 0)
			rc = store_expunge_put(l->writer, target, hash, seq,
					       err);
	}
	return rc;
}

/*
 * Rejects a purge whose blobs another expunge or purge removed after
 * ledger_purge checked them. It runs before anything is written, so the
 * rejection fails this record alone and not its whole batch.
 */
static int check_purge_live(struct ledger *l, struct append_req *req)
{
	const struct ledger_record *rec = req->rec;
	uint64_t target = (uint64_t)rec->supersedes, by;

	for (size_t i = 0; i < rec->nattachments; i++)
		if (store_expunge_get(l->writer, target,
				      rec->attachments[i].hash, &by, NULL) == 0)
			return error_set(
			    &req->err, CT_ESTATE,
			    "blob %s of entry %" PRIu64
			    " was removed already by entry %" PRIu64,
			    rec->attachments[i].hash, target, by);
	return 0;
}

/*
 * Runs the projection hook under a savepoint, so that a rejected record
 * leaves nothing of what the hook wrote.
 */
static int run_hook(struct ledger *l, struct append_req *req, uint64_t seq,
		    int64_t ts)
{
	const struct ledger_record *rec = req->rec;
	int rc = store_savepoint(l->writer, &req->err);

	if (rc)
		return rc;
	rc = l->hook(l->hook_ctx, l->writer, seq, ts, rec, &req->err);
	if (rc) {
		store_savepoint_rollback(l->writer);
		return rc;
	}
	return store_savepoint_release(l->writer, &req->err);
}

/* Writes one record at seq; returns 0, or a code for this record alone
 * (nothing written) or, with *fatal set, one that fails the batch. */
static int write_one(struct ledger *l, struct append_req *req, uint64_t seq,
		     int64_t ts, struct buf *entry, int *fatal)
{
	const struct ledger_record *rec = req->rec;
	struct store *s = l->writer;
	int rc;

	rc = build_entry(req, seq, ts, entry, &req->err);
	if (rc)
		return rc;
	/*
	 * An expunge in another process may have destroyed a blob between
	 * its streaming here and this transaction, which excludes that.
	 */
	for (size_t i = 0; !req->expunge && i < rec->nattachments; i++)
		if (!blob_exists(l->blobs, rec->attachments[i].hash))
			return error_set(&req->err, CT_ESTATE,
					 "attachment %s was removed while this "
					 "record was written; attach it again",
					 rec->attachments[i].hash);
	if (req->purge) {
		rc = check_purge_live(l, req);
		if (rc)
			return rc;
	}
	if (l->hook) {
		rc = run_hook(l, req, seq, ts);
		if (rc)
			return rc;
	}
	*fatal = 1;
	rc = store_entry_put(s, seq, entry->data, entry->len, &req->err);
	if (rc == 0)
		rc = content_put(s, seq, &req->content, &req->err);
	for (size_t i = 0; rc == 0 && !req->expunge &&
			   i < rec->nattachments; i++) {
		const struct ledger_attachment *a = &rec->attachments[i];
		struct store_blob b = { 0 };

		snprintf(b.hash, sizeof(b.hash), "%s", a->hash);
		snprintf(b.sha256, sizeof(b.sha256), "%s", a->sha256);
		snprintf(b.type, sizeof(b.type), "%s", a->type);
		b.size = a->size;
		rc = store_blob_ref(s, seq, &b, &req->err);
	}
	if (rc == 0 && req->purge)
		rc = apply_purge(l, req, seq, &req->err);
	else if (rc == 0 && req->expunge)
		rc = apply_expunge(l, req, seq, &req->err);
	if (rc == 0) {
		merkle_leaf_hash(l->config.alg, entry->data, entry->len,
				 req->receipt->leaf);
		rc = merkle_frontier_push(&l->frontier, req->receipt->leaf,
					  emit_node, s);
	}
	if (rc == 0) {
		req->receipt->seq = seq;
		req->receipt->ts_ms = ts;
		snprintf(req->receipt->content, sizeof(req->receipt->content),
			 "%s", req->content.commitment);
		*fatal = 0;
	}
	return rc;
}

void note_size(struct ledger *l, uint64_t size)
{
	uint64_t seen = atomic_load(&l->known_size);

	while (size > seen &&
	       !atomic_compare_exchange_weak(&l->known_size, &seen, size))
		;
}

uint64_t ledger_known_size(struct ledger *l)
{
	/* Without the signer's poll, other processes' appends go unseen. */
	if (!l->signer_running)
		return 0;
	return atomic_load(&l->known_size);
}

/* Runs one transaction for the batch; sets each request's rc. */
static void commit_batch(struct ledger *l, struct append_req *batch)
{
	struct buf entry = BUF_INIT_MAX(LEDGER_ENTRY_MAX + 1024);
	struct error err = { 0 };
	uint64_t size = 0, first;
	int64_t ts = ledger_now_ms();
	int rc, fatal = 0;

	rc = store_begin(l->writer, &err);
	if (rc == 0)
		rc = store_entry_count(l->writer, &size, &err);
	/* Another process may have appended since this one last did. */
	if (rc == 0 && (!l->frontier_ok || l->frontier.size != size))
		rc = merkle_frontier_load(&l->frontier, l->config.alg,
					  store_node_get, l->writer, size);
	if (rc == 0 && l->frontier.size != size)
		rc = error_set(&err, CT_ECORRUPT, "stored tree has %" PRIu64
			       " leaves but %" PRIu64 " entries",
			       l->frontier.size, size);
	l->frontier_ok = rc == 0;
	first = size;
	for (struct append_req *r = batch; r && rc == 0; r = r->next) {
		r->rc = write_one(l, r, size, ts, &entry, &fatal);
		if (fatal)
			rc = r->rc;
		else if (r->rc == 0)
			size++;
	}
	if (rc == 0)
		rc = store_commit(l->writer, &err);
	if (rc) {
		store_end(l->writer);
		l->frontier_ok = 0;
		char quoted[ERROR_MSG_MAX + 16];
		const char *msg = err.msg;

		for (struct append_req *r = batch; !msg[0] && r; r = r->next)
			if (r->rc)
				msg = r->err.msg;
		log_error("ledger", "append batch failed", "first_seq=%" PRIu64
			  " error=%s", first,
			  log_quote(msg, quoted, sizeof(quoted)));
	}
	if (rc == 0 && size > first) {
		note_size(l, size);
		signer_kick(l);
	}
	for (struct append_req *r = batch; r; r = r->next) {
		if (rc && r->rc == 0) {
			r->rc = rc;
			memcpy(&r->err, &err, sizeof(err));
		}
		if (r->rc == 0)
			r->receipt->tree_size = size;
	}
	buf_release(&entry);
}

/*
 * Hands the writer on after a leader or a writer_lock holder is done:
 * to the oldest queued append, which becomes the next leader, and to
 * any writer_lock waiters. Called with l->mu held.
 */
static void release_writer(struct ledger *l)
{
	l->leader_active = 0;
	if (l->queue_head)
		pthread_cond_signal(&l->queue_head->cond);
	if (l->lock_waiters)
		pthread_cond_broadcast(&l->cond);
}

void writer_lock(struct ledger *l)
{
	pthread_mutex_lock(&l->mu);
	l->lock_waiters++;
	while (l->leader_active)
		pthread_cond_wait(&l->cond, &l->mu);
	l->lock_waiters--;
	l->leader_active = 1;
	pthread_mutex_unlock(&l->mu);
}

void writer_unlock(struct ledger *l)
{
	pthread_mutex_lock(&l->mu);
	release_writer(l);
	pthread_mutex_unlock(&l->mu);
}

/*
 * Queues req and returns once some leader has committed it. Each waiter
 * sleeps on its own condition variable, so a finished batch wakes only
 * its own requests and the next leader, not every waiting thread.
 */
static void run_queued(struct ledger *l, struct append_req *req)
{
	pthread_cond_init(&req->cond, NULL);
	pthread_mutex_lock(&l->mu);
	if (l->queue_tail)
		l->queue_tail->next = req;
	else
		l->queue_head = req;
	l->queue_tail = req;
	while (!req->done) {
		struct append_req *batch;

		if (l->leader_active) {
			pthread_cond_wait(&req->cond, &l->mu);
			continue;
		}
		l->leader_active = 1;
		batch = l->queue_head;
		l->queue_head = l->queue_tail = NULL;
		pthread_mutex_unlock(&l->mu);

		commit_batch(l, batch);

		pthread_mutex_lock(&l->mu);
		for (struct append_req *r = batch; r;) {
			struct append_req *next = r->next;

			r->done = 1;
			if (r != req)
				pthread_cond_signal(&r->cond);
			r = next;
		}
		release_writer(l);
	}
	pthread_mutex_unlock(&l->mu);
	pthread_cond_destroy(&req->cond);
}

static int append_req_run(struct ledger *l, struct append_req *req,
			  struct error *err)
{
	int rc;

	if (l->flags & LEDGER_READONLY)
		return error_set(err, CT_EPERM, "store '%s' is open read-only",
				 l->config.dir);
	rc = ledger_check_record(req->rec, err);
	if (rc == 0 && !req->rec->fields)
		rc = error_set(err, CT_EINVAL, "record fields are missing");
	if (rc == 0)
		rc = content_prepare(l->config.alg, req->rec->fields,
				     &req->content, err);
	req->content.seal = req->rec->seal != 0;
	buf_init(&req->head, LEDGER_ENTRY_MAX);
	if (rc == 0)
		rc = build_head(req, err);
	if (rc) {
		buf_release(&req->head);
		return rc;
	}
	run_queued(l, req);
	buf_release(&req->head);
	if (req->rc)
		error_set(err, req->rc, "%s", req->err.msg[0]
			  ? req->err.msg : ct_strerror(req->rc));
	return req->rc;
}

int ledger_append(struct ledger *l, const struct ledger_record *rec,
		  struct ledger_receipt *receipt, struct error *err)
{
	struct append_req req = { .rec = rec, .receipt = receipt };
	int rc;

	if (rec->kind && !strcmp(rec->kind, KIND_EXPUNGE))
		return error_set(err, CT_EINVAL,
				 "record kind '%s' is written only by "
				 "'casetrail expunge'", rec->kind);
	if (rec->kind && !strcmp(rec->kind, KIND_PURGE))
		return error_set(err, CT_EINVAL,
				 "record kind '%s' is written only by the "
				 "retention run ('casetrail retention run')",
				 rec->kind);
	content_init(&req.content);
	rc = append_req_run(l, &req, err);
	content_release(&req.content);
	return rc;
}

/* Checks that seq exists, is not itself an expunge, and still has what
 * is to be expunged; fills the attachment of blob_hash from the entry. */
static int check_expunge_target(struct ledger *l, uint64_t seq,
				const char *blob_hash,
				struct ledger_attachment *att,
				struct error *err)
{
	struct buf body = BUF_INIT_MAX(LEDGER_ENTRY_MAX + 1);
	struct buf salt = BUF_INIT_MAX(1024), fields = BUF_INIT_MAX(CONTENT_MAX);
	json_t *entry = NULL, *atts;
	const char *kind;
	uint64_t by;
	size_t i;
	int rc;

	rc = store_entry_get(l->writer, seq, &body, err);
	if (rc)
		goto out;
	entry = jcs_parse(body.data, body.len, err);
	if (!entry) {
		rc = CT_ECORRUPT;
		goto out;
	}
	kind = json_string_value(json_object_get(entry, "kind"));
	if (kind && !strcmp(kind, KIND_EXPUNGE)) {
		rc = error_set(err, CT_EINVAL, "entry %" PRIu64 " is an expunge "
			       "record; those stay readable", seq);
		goto out;
	}
	if (store_expunge_get(l->writer, seq, blob_hash, &by, NULL) == 0) {
		rc = error_set(err, CT_EINVAL, "%s of entry %" PRIu64 " was "
			       "expunged already by entry %" PRIu64,
			       blob_hash ? blob_hash : "the content", seq, by);
		goto out;
	}
	if (!blob_hash) {
		rc = store_content_get(l->writer, seq, &salt, &fields, err);
		goto out;
	}
	atts = json_object_get(entry, "attachments");
	for (i = 0; i < json_array_size(atts); i++) {
		json_t *a = json_array_get(atts, i);
		const char *h = json_string_value(json_object_get(a, "hash"));

		if (h && !strcmp(h, blob_hash)) {
			snprintf(att->hash, sizeof(att->hash), "%s", blob_hash);
			att->size = (uint64_t)json_integer_value(
				json_object_get(a, "size"));
			snprintf(att->type, sizeof(att->type), "%s",
				 json_string_value(json_object_get(a, "type")));
			goto out;
		}
	}
	rc = error_set(err, CT_ENOTFOUND, "entry %" PRIu64 " has no attachment "
		       "%s", seq, blob_hash);
out:
	json_decref(entry);
	buf_release(&body);
	crypto_wipe(fields.data, fields.len);
	buf_release(&fields);
	buf_release(&salt);
	return rc;
}

/* Clears the mark that an expunge's old pages may still be on disk. */
static int clear_pending(struct store *s, struct error *err)
{
	int rc = store_begin(s, err);

	if (rc == 0)
		rc = store_meta_put(s, META_WIPE_PENDING, "0", err);
	if (rc == 0)
		rc = store_commit(s, err);
	store_end(s);
	return rc;
}

int wal_truncate_attempts(struct ledger *l, int attempts, struct error *err)
{
	int rc;

	if (l->flags & LEDGER_READONLY)
		return error_set(err, CT_EPERM, "store '%s' is open read-only",
				 l->config.dir);
	writer_lock(l);
	rc = store_wal_truncate(l->writer, attempts, err);
	if (rc == 0)
		rc = clear_pending(l->writer, err);
	writer_unlock(l);
	if (rc)
		log_warn("ledger", "WAL not truncated: readers hold old pages",
			 "dir=%s", l->config.dir);
	return rc;
}

int ledger_wal_truncate(struct ledger *l, struct error *err)
{
	return wal_truncate_attempts(l, 50, err);
}

struct doomed {
	struct ledger *l;
	char (*paths)[PATH_MAX];
	size_t n, cap;
	struct error *err;
};

/* Moves one unreferenced blob aside; its wipe follows after the lock. */
static int retire_one(void *ctx, const char *hash)
{
	struct doomed *d = ctx;
	char (*p)[PATH_MAX];
	int rc;

	if (!blob_exists(d->l->blobs, hash))
		return 0;
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 8;

		p = realloc(d->paths, cap * sizeof(*p));
		if (!p)
			return error_set(d->err, CT_ENOMEM, "out of memory");
		d->paths = p;
		d->cap = cap;
	}
	rc = blob_retire(d->l->blobs, hash, d->paths[d->n], d->err);
	if (rc == 0)
		d->n++;
	return rc == CT_ENOTFOUND ? 0 : rc;
}

/*
 * Destroys the blob files that no live reference needs: hash alone, or
 * with hash NULL every one. The check and the move aside happen inside a
 * write transaction, which an append referencing the same blob also
 * needs, so an append never commits a reference to a file that is being
 * destroyed. The slow overwrite comes after the lock is released.
 */
static int destroy_unreferenced(struct ledger *l, const char *hash,
				struct error *err)
{
	struct doomed d = { .l = l, .err = err };
	struct store_blob b;
	int rc;

	writer_lock(l);
	rc = store_begin(l->writer, err);
	if (rc == 0 && hash) {
		rc = store_blob_get(l->writer, hash, &b, err);
		if (rc == 0 && b.refs == 0)
			rc = retire_one(&d, hash);
		else if (rc == 0)
			log_info("ledger", "blob kept: other entries reference "
				 "it", "blob=%s refs=%" PRIu64, hash, b.refs);
	} else if (rc == 0) {
		rc = store_blob_scan_unreferenced(l->writer, retire_one, &d,
						  err);
	}
	if (rc == 0)
		rc = store_commit(l->writer, err);
	store_end(l->writer);
	writer_unlock(l);
	for (size_t i = 0; i < d.n; i++) {
		int r = blob_wipe(d.paths[i], err);

		if (rc == 0)
			rc = r;
	}
	free(d.paths);
	return rc;
}

int ledger_expunge_finish(struct ledger *l, struct error *err)
{
	int rc = blob_clean_tmp(l->blobs, err);

	if (rc >= 0)
		rc = destroy_unreferenced(l, NULL, err);
	if (rc == 0)
		rc = ledger_wal_truncate(l, err);
	return rc;
}

int ledger_expunge(struct ledger *l, uint64_t seq, const char *blob_hash,
		   const char *reason, const char *approved_by,
		   const char *actor, const char *os_user,
		   struct ledger_receipt *receipt, struct error *err)
{
	struct ledger_attachment att = { 0 };
	struct ledger_record rec = { .kind = KIND_EXPUNGE, .actor = actor,
				     .os_user = os_user,
				     .supersedes = (int64_t)seq };
	struct append_req req = { .rec = &rec, .receipt = receipt,
				  .expunge = 1, .expunge_blob = blob_hash };
	json_t *fields = NULL;
	int rc;

	if (!reason || !*reason)
		return error_set(err, CT_EINVAL, "an expunge needs --reason");
	if (check_name("approver", approved_by, err))
		return CT_EINVAL;
	if (actor && !strcmp(actor, approved_by))
		return error_set(err, CT_EPERM, "'%s' cannot approve their own "
				 "expunge; name another approver", actor);
	writer_lock(l);
	rc = check_expunge_target(l, seq, blob_hash, &att, err);
	writer_unlock(l);
	if (rc)
		return rc;
	fields = json_pack("{s:s, s:s, s:s}", "reason", reason, "approved_by",
			   approved_by, "removed", blob_hash ? "blob"
			   : "content");
	if (!fields)
		return error_set(err, CT_EINVAL, "reason is not valid UTF-8");
	rec.fields = fields;
	if (blob_hash) {
		rec.attachments = &att;
		rec.nattachments = 1;
	}
	content_init(&req.content);
	rc = append_req_run(l, &req, err);
	content_release(&req.content);
	json_decref(fields);
	if (rc == 0 && blob_hash)
		rc = destroy_unreferenced(l, blob_hash, err);
	if (rc == 0) {
		struct error werr = { 0 };

		rc = ledger_wal_truncate(l, &werr);
		if (rc)
			rc = error_set(err, rc, "the expunge is recorded as entry "
				       "%" PRIu64 " and the content deleted, "
				       "but a reader kept an old copy in the "
				       "database files (%s); run 'casetrail "
				       "expunge --finish' once readers are done",
				       receipt->seq, werr.msg);
	}
	if (rc == 0)
		log_info("ledger", "expunged", "seq=%" PRIu64 " by_seq=%" PRIu64
			 " what=%s", seq, receipt->seq,
			 blob_hash ? blob_hash : "content");
	return rc;
}

/* Copies one attachment of a parsed entry into att. */
static void attachment_from_entry(const json_t *a,
				  struct ledger_attachment *att)
{
	memset(att, 0, sizeof(*att));
	snprintf(att->hash, sizeof(att->hash), "%s",
		 json_string_value(json_object_get(a, "hash")) ?: "");
	att->size = (uint64_t)json_integer_value(json_object_get(a, "size"));
	snprintf(att->type, sizeof(att->type), "%s",
		 json_string_value(json_object_get(a, "type")) ?: "");
}

/*
 * Checks that seq is neither an expunge nor a purge, that blob_hash is
 * one of its attachments and not removed yet, and collects every
 * attachment of seq still live into *atts (allocated), blob_hash first.
 */
static int check_purge_target(struct ledger *l, uint64_t seq,
			      const char *blob_hash,
			      struct ledger_attachment **atts, size_t *n,
			      struct error *err)
{
	struct buf body = BUF_INIT_MAX(LEDGER_ENTRY_MAX + 1);
	json_t *entry = NULL, *list;
	const char *kind;
	uint64_t by;
	size_t count, i;
	int rc, found = 0;

	*atts = NULL;
	*n = 0;
	rc = store_entry_get(l->writer, seq, &body, err);
	if (rc)
		goto out;
	entry = jcs_parse(body.data, body.len, err);
	if (!entry) {
		rc = CT_ECORRUPT;
		goto out;
	}
	kind = json_string_value(json_object_get(entry, "kind")) ?: "";
	if (!strcmp(kind, KIND_EXPUNGE) || !strcmp(kind, KIND_PURGE)) {
		rc = error_set(err, CT_EINVAL, "entry %" PRIu64 " is of kind "
			       "%s, which cannot be purged", seq, kind);
		goto out;
	}
	list = json_object_get(entry, "attachments");
	count = json_array_size(list);
	for (i = 0; i < count; i++)
		found |= !strcmp(json_string_value(json_object_get(
				 json_array_get(list, i), "hash")) ?: "",
				 blob_hash);
	if (!found) {
		rc = error_set(err, CT_ENOTFOUND, "entry %" PRIu64 " has no "
			       "attachment %s", seq, blob_hash);
		goto out;
	}
	if (store_expunge_get(l->writer, seq, blob_hash, &by, NULL) == 0) {
		rc = error_set(err, CT_ESTATE, "blob %s of entry %" PRIu64
			       " was removed already by entry %" PRIu64,
			       blob_hash, seq, by);
		goto out;
	}
	*atts = calloc(count, sizeof(**atts));
	if (!*atts) {
		rc = error_set(err, CT_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < count; i++) {
		json_t *a = json_array_get(list, i);
		const char *h = json_string_value(json_object_get(a, "hash"));

		if (!h || store_expunge_get(l->writer, seq, h, &by, NULL) == 0)
			continue;
		if (!strcmp(h, blob_hash)) {
			/* The content names this blob, so it goes first. */
			memmove(&(*atts)[1], &(*atts)[0], *n * sizeof(**atts));
			attachment_from_entry(a, &(*atts)[0]);
		} else {
			attachment_from_entry(a, &(*atts)[*n]);
		}
		(*n)++;
	}
out:
	json_decref(entry);
	buf_release(&body);
	return rc;
}

/* The reason every purge entry states; the rule names the period. */
#define PURGE_REASON "retention period ended"

int ledger_purge(struct ledger *l, uint64_t seq, const char *blob_hash,
		 const char *rule, const char *actor, const char *os_user,
		 struct ledger_receipt *receipt, struct error *err)
{
	struct ledger_record rec = { .kind = KIND_PURGE, .actor = actor,
				     .os_user = os_user,
				     .supersedes = (int64_t)seq };
	struct append_req req = { .rec = &rec, .receipt = receipt,
				  .expunge = 1, .purge = 1 };
	struct ledger_attachment *atts = NULL;
	json_t *fields = NULL;
	size_t n = 0;
	int rc;

	if (!blob_hash || !*blob_hash)
		return error_set(err, CT_EINVAL, "a purge names the blob it "
				 "purges");
	if (check_name("purge rule", rule, err))
		return CT_EINVAL;
	if (l->flags & LEDGER_READONLY)
		return error_set(err, CT_EPERM, "store '%s' is open read-only",
				 l->config.dir);
	writer_lock(l);
	rc = check_purge_target(l, seq, blob_hash, &atts, &n, err);
	writer_unlock(l);
	if (rc)
		goto out;
	fields = json_pack("{s:s, s:s, s:s}", "rule", rule, "hash", blob_hash,
			   "reason", PURGE_REASON);
	if (!fields) {
		rc = error_set(err, CT_ENOMEM, "out of memory");
		goto out;
	}
	rec.fields = fields;
	rec.attachments = atts;
	rec.nattachments = n;
	content_init(&req.content);
	rc = append_req_run(l, &req, err);
	content_release(&req.content);
	/* A file that another live entry references stays. */
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct error derr = { 0 };

		rc = destroy_unreferenced(l, atts[i].hash, &derr);
		if (rc)
			rc = error_set(err, rc,
				       "the purge is recorded as entry "
				       "%" PRIu64 ", but blob %s was not "
				       "destroyed (%s); run 'casetrail expunge "
				       "--finish'",
				       receipt->seq, atts[i].hash, derr.msg);
	}
	if (rc == 0)
		log_info("ledger", "purged", "seq=%" PRIu64 " by_seq=%" PRIu64
			 " blob=%s rule=%s blobs=%zu", seq, receipt->seq,
			 blob_hash, rule, n);
out:
	json_decref(fields);
	free(atts);
	return rc;
}

int ledger_attach_fd(struct ledger *l, int fd, const char *name,
		     struct ledger_attachment *att, struct error *err)
{
	struct blob_info info;
	int rc;

	memset(att, 0, sizeof(*att));
	rc = blob_put_fd(l->blobs, fd, name, 0, &info, err);
	if (rc)
		return rc;
	snprintf(att->hash, sizeof(att->hash), "%s", info.hash);
	snprintf(att->sha256, sizeof(att->sha256), "%s", info.sha256);
	att->size = info.size;
	sniff_media_type(info.head, info.head_len, att->type,
			 sizeof(att->type));
	return 0;
}

int ledger_attach_file(struct ledger *l, const char *path,
		       struct ledger_attachment *att, struct error *err)
{
	int fd, rc;

	fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : dup(0);
	if (fd < 0)
		return error_set(err, errno == ENOENT ? CT_ENOTFOUND : CT_EIO,
				 "cannot open attachment '%s': %s", path,
				 strerror(errno));
	rc = ledger_attach_fd(l, fd, path, att, err);
	close(fd);
	return rc;
}

void ledger_set_hook(struct ledger *l, ledger_hook_fn fn, void *ctx)
{
	l->hook = fn;
	l->hook_ctx = ctx;
}

int ledger_write(struct ledger *l, ledger_write_fn fn, void *ctx,
		 struct error *err)
{
	int rc;

	if (l->flags & LEDGER_READONLY)
		return error_set(err, CT_EPERM, "store '%s' is open read-only",
				 l->config.dir);
	writer_lock(l);
	rc = store_begin(l->writer, err);
	if (rc == 0)
		rc = fn(ctx, l->writer, err);
	if (rc == 0)
		rc = store_commit(l->writer, err);
	if (rc)
		store_end(l->writer);
	writer_unlock(l);
	return rc;
}
