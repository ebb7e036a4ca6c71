/*
 * Worker threads for the entry pass of verify (see entry_pool.h).
 *
 * Batches live in a ring one longer than the number of workers. The
 * caller fills the batch at the head; when it is full it is queued and
 * the head moves on. Before the caller refills a slot, it waits for that
 * slot's batch to be checked and consumes it. Slots are reused in ring
 * order, so results are consumed exactly in the order they were added.
 */
#include "common/common.h"

#include <pthread.h>
#include <unistd.h>

#include "common/jcs.h"
#include "entry_pool.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"

#define BATCH_ENTRIES 512
#define MAX_WORKERS 8

enum batch_state { BATCH_FREE, BATCH_QUEUED, BATCH_BUSY, BATCH_DONE };

struct batch {
	enum batch_state state;
	uint64_t ticket; /* queue order */
	struct entry_check checks[BATCH_ENTRIES];
	size_t offsets[BATCH_ENTRIES];
	size_t problem_offsets[BATCH_ENTRIES];
	size_t ref_offsets[BATCH_ENTRIES];
	size_t n;
	struct entry_ref *refs;
	size_t nrefs, caprefs;
	struct buf bodies;
	struct buf problems;
	struct buf canon; /* the worker's scratch space */
};

struct entry_pool {
	enum hash_alg alg;
	entry_consume_fn consume;
	void *ctx;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	pthread_t workers[MAX_WORKERS];
	size_t nworkers;
	int stop;
	struct batch *ring;
	size_t nslots, head;
	uint64_t next_ticket;
};

__attribute__((format(printf, 2, 3))) static void note(struct batch *b,
						       const char *fmt, ...)
{
	va_list ap;
	char line[1024];

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	buf_puts(&b->problems, line);
	buf_putc(&b->problems, '\n');
}

static int add_ref(struct batch *b, const char *hash, uint64_t size)
{
	if (b->nrefs == b->caprefs) {
		size_t cap = b->caprefs ? 2 * b->caprefs : 64;
		struct entry_ref *r = realloc(b->refs, cap * sizeof(*r));

		if (!r)
			return CT_ENOMEM;
		b->refs = r;
		b->caprefs = cap;
	}
	snprintf(b->refs[b->nrefs].hash, HASH_TEXT_MAX, "%s", hash);
	b->refs[b->nrefs++].size = size;
	return 0;
}

/* Takes the commitment, kind, supersedes and attachments out of e. */
static void extract(struct batch *b, struct entry_check *c, json_t *e)
{
	const char *content = json_string_value(json_object_get(e, "content"));
	const char *kind = json_string_value(json_object_get(e, "kind"));
	json_t *sup = json_object_get(e, "supersedes");
	json_t *atts = json_object_get(e, "attachments");

	snprintf(c->content, sizeof(c->content), "%s", content ? content : "");
	c->purge = kind && !strcmp(kind, KIND_PURGE);
	c->expunge = c->purge || (kind && !strcmp(kind, KIND_EXPUNGE));
	c->supersedes = json_is_integer(sup) && json_integer_value(sup) >= 0
				? json_integer_value(sup) : -1;
	if (c->expunge && c->supersedes < 0)
		note(b, "entry %" PRIu64 ": %s names no entry", c->seq, kind);
	if (c->purge && json_array_size(atts) == 0)
		note(b, "entry %" PRIu64 ": purge lists no blob", c->seq);
	for (size_t i = 0; i < json_array_size(atts); i++) {
		json_t *a = json_array_get(atts, i);
		const char *h = json_string_value(json_object_get(a, "hash"));
		json_int_t size = json_integer_value(json_object_get(a, "size"));

		if (!h)
			note(b, "entry %" PRIu64 ": attachment %zu has no hash",
			     c->seq, i);
		else if (add_ref(b, h, size < 0 ? 0 : (uint64_t)size) == 0)
			c->nrefs++;
	}
}

/* Checks one entry's envelope and hashes it; notes go to the batch. */
static void check_one(struct entry_pool *p, struct batch *b, size_t i)
{
	struct entry_check *c = &b->checks[i];
	const char *body = b->bodies.data + b->offsets[i];
	struct error err = { 0 };
	json_t *e, *seq;

	b->problem_offsets[i] = b->problems.len;
	b->ref_offsets[i] = b->nrefs;
	c->nrefs = 0;
	c->content[0] = '\0';
	c->expunge = 0;
	c->purge = 0;
	c->supersedes = -1;
	merkle_leaf_hash(p->alg, body, c->len, c->leaf);
	if (c->len > LEDGER_ENTRY_MAX)
		note(b, "entry %" PRIu64 ": %zu bytes, over the limit of %d",
		     c->seq, c->len, LEDGER_ENTRY_MAX);
	e = jcs_parse(body, c->len, &err);
	if (!e) {
		note(b, "entry %" PRIu64 ": not valid entry JSON: %s", c->seq,
		     err.msg);
		return;
	}
	buf_reset(&b->canon);
	if (jcs_write(e, &b->canon, &err) != 0 || b->canon.len != c->len ||
	    memcmp(b->canon.data, body, c->len) != 0)
		note(b, "entry %" PRIu64 ": not in canonical form", c->seq);
	if (json_integer_value(json_object_get(e, "v")) != 1)
		note(b, "entry %" PRIu64 ": envelope version is not 1", c->seq);
	seq = json_object_get(e, "seq");
	if (!json_is_integer(seq) || (uint64_t)json_integer_value(seq) != c->seq)
		note(b, "entry %" PRIu64 ": records seq %" JSON_INTEGER_FORMAT
		     " (entries moved or swapped)", c->seq,
		     json_integer_value(seq));
	extract(b, c, e);
	json_decref(e);
}

static void *worker_main(void *arg)
{
	struct entry_pool *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct batch *b = NULL;

		for (size_t i = 0; i < p->nslots; i++)
			if (p->ring[i].state == BATCH_QUEUED &&
			    (!b || p->ring[i].ticket < b->ticket))
				b = &p->ring[i];
		if (!b && p->stop)
			break;
		if (!b) {
			pthread_cond_wait(&p->cond, &p->mu);
			continue;
		}
		b->state = BATCH_BUSY;
		pthread_mutex_unlock(&p->mu);
		buf_reset(&b->problems);
		b->nrefs = 0;
		for (size_t i = 0; i < b->n; i++)
			check_one(p, b, i);
		pthread_mutex_lock(&p->mu);
		b->state = BATCH_DONE;
		pthread_cond_broadcast(&p->cond);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Hands every result of a checked batch to the consumer, in order. */
static int consume_batch(struct entry_pool *p, struct batch *b, int call)
{
	int rc = 0;

	for (size_t i = 0; i < b->n; i++) {
		struct entry_check *c = &b->checks[i];
		size_t end = i + 1 < b->n ? b->problem_offsets[i + 1]
					  : b->problems.len;

		if (rc == 0 && call) {
			c->body = b->bodies.data + b->offsets[i];
			c->problems = b->problems.data
					      ? b->problems.data +
							b->problem_offsets[i]
					      : "";
			c->problems_len = end - b->problem_offsets[i];
			/* A batch of entries without attachments has no refs. */
			c->refs = b->refs ? b->refs + b->ref_offsets[i] : NULL;
			rc = p->consume(p->ctx, c);
		}
	}
	b->n = 0;
	buf_reset(&b->bodies);
	pthread_mutex_lock(&p->mu);
	b->state = BATCH_FREE;
	pthread_mutex_unlock(&p->mu);
	return rc;
}

/* Waits until batch b is checked; returns 0 when it was free. */
static int wait_done(struct entry_pool *p, struct batch *b)
{
	int used;

	pthread_mutex_lock(&p->mu);
	while (b->state == BATCH_QUEUED || b->state == BATCH_BUSY)
		pthread_cond_wait(&p->cond, &p->mu);
	used = b->state != BATCH_FREE;
	pthread_mutex_unlock(&p->mu);
	return used;
}

/* Queues the head batch and makes the next slot free for filling. */
static int queue_head(struct entry_pool *p)
{
	struct batch *b = &p->ring[p->head];
	struct batch *next;

	pthread_mutex_lock(&p->mu);
	b->state = BATCH_QUEUED;
	b->ticket = p->next_ticket++;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->mu);
	p->head = (p->head + 1) % p->nslots;
	next = &p->ring[p->head];
	if (!wait_done(p, next))
		return 0;
	return consume_batch(p, next, 1);
}

int entry_pool_start(enum hash_alg alg, entry_consume_fn consume, void *ctx,
		     struct entry_pool **out)
{
	struct entry_pool *p = calloc(1, sizeof(*p));
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	*out = NULL;
	if (!p)
		return CT_ENOMEM;
	p->alg = alg;
	p->consume = consume;
	p->ctx = ctx;
	p->nworkers = cpus < 1 ? 1 : cpus > MAX_WORKERS ? MAX_WORKERS
							: (size_t)cpus;
	p->nslots = p->nworkers + 1;
	p->ring = calloc(p->nslots, sizeof(*p->ring));
	if (!p->ring) {
		free(p);
		return CT_ENOMEM;
	}
	for (size_t i = 0; i < p->nslots; i++) {
		buf_init(&p->ring[i].bodies, BUF_DEFAULT_MAX);
		buf_init(&p->ring[i].problems, BUF_DEFAULT_MAX);
		buf_init(&p->ring[i].canon, 2 * LEDGER_ENTRY_MAX);
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cond, NULL);
	for (size_t i = 0; i < p->nworkers; i++)
		if (pthread_create(&p->workers[i], NULL, worker_main, p) != 0) {
			p->nworkers = i;
			break;
		}
	if (p->nworkers == 0) {
		entry_pool_finish(p, 0);
		return CT_EIO;
	}
	*out = p;
	return 0;
}

int entry_pool_add(struct entry_pool *p, uint64_t seq, const void *body,
		   size_t len)
{
	struct batch *b = &p->ring[p->head];
	int rc;

	b->offsets[b->n] = b->bodies.len;
	rc = buf_append(&b->bodies, body, len);
	if (rc)
		return rc;
	b->checks[b->n].seq = seq;
	b->checks[b->n].len = len;
	if (++b->n == BATCH_ENTRIES)
		return queue_head(p);
	return 0;
}

int entry_pool_finish(struct entry_pool *p, int consume_rest)
{
	int rc = 0, r;

	if (!p)
		return 0;
	if (p->ring[p->head].n > 0 && consume_rest)
		rc = queue_head(p);
	/* The oldest outstanding batch follows the head in ring order. */
	for (size_t k = 0; k < p->nslots; k++) {
		struct batch *b = &p->ring[(p->head + k) % p->nslots];

		if (!wait_done(p, b))
			continue;
		r = consume_batch(p, b, consume_rest && rc == 0);
		if (rc == 0)
			rc = r;
	}
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->mu);
	for (size_t i = 0; i < p->nworkers; i++)
		pthread_join(p->workers[i], NULL);
	for (size_t i = 0; i < p->nslots; i++) {
		consume_batch(p, &p->ring[i], 0);
		buf_release(&p->ring[i].bodies);
		buf_release(&p->ring[i].problems);
		buf_release(&p->ring[i].canon);
		free(p->ring[i].refs);
	}
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cond);
	free(p->ring);
	free(p);
	return rc;
}
