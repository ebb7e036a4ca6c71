/*
 * The sweeper: a thread that runs cases_sweep once a minute, so that
 * deadlines and findings that depend only on the passing of time are
 * recorded without waiting for a request. The first sweep runs at start,
 * because the server may have been down past a deadline.
 *
 * After each case sweep it raises copy-request-overdue for undecided copy
 * requests past their time limit (access/copies.h).
 * Then it runs the daily tasks that are due (sweep_daily.c): the
 * evaluation of every case, the nightly verify and the digests.
 *
 * The same thread runs the retention of window surveillance at start and
 * then daily at 00:10 CST, soon after segments become due at midnight,
 * acting as "retention". Each purge and each run's totals are logged by
 * the media module. A run that fails as a whole is retried after
 * RETENTION_RETRY_S. A long run delays the next case sweep, because both
 * share this thread.
 *
 * A failed sweep is retried after SWEEP_RETRY_S. The first failure is
 * logged at once. Later ones are logged at most once per
 * SWEEP_LOG_EVERY_S, with their count, and the first success after them
 * logs how many there were.
 */
#include "common/common.h"

#include "access/copies.h"
#include "common/log.h"
#include "internal.h"

#define SWEEP_INTERVAL_S 60
#define SWEEP_RETRY_S 10
#define SWEEP_LOG_EVERY_S 600
#define RETENTION_RETRY_S 600
/* Retention runs this long after midnight in China Standard Time. */
#define RETENTION_AT_S (10 * 60)
#define CST_OFFSET_S (8 * 3600)
#define DAY_S 86400

static struct timespec after_seconds(int seconds)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += seconds;
	return t;
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) +
	       (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* The failures since the last success, for rate-limited logging. */
struct sweep_failures {
	unsigned count;
	unsigned unlogged;
	struct timespec logged; /* when the last failure was logged */
};

/* Runs one sweep and logs its outcome; returns the seconds to the next. */
static int sweep_once(struct cases *cases, struct sweep_failures *f)
{
	struct error err = { 0 };
	struct timespec start;
	char detail[ERROR_MSG_MAX + 64];
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &start);
	rc = cases_sweep(cases, &err);
	if (rc == 0) {
		if (f->count)
			log_info("sweep", "sweep works again",
				 "failures=%u", f->count);
		f->count = f->unlogged = 0;
		log_debug("sweep", "sweep finished", "ms=%.1f",
			  seconds_since(&start) * 1e3);
		return SWEEP_INTERVAL_S;
	}

	f->count++;
	f->unlogged++;
	if (f->count == 1 || seconds_since(&f->logged) >= SWEEP_LOG_EVERY_S) {
		log_warn("sweep", "sweep failed; retrying",
			 "error=%s failures=%u retry_s=%d",
			 log_quote(err.msg[0] ? err.msg : ct_strerror(rc),
				   detail, sizeof(detail)),
			 f->unlogged, SWEEP_RETRY_S);
		f->unlogged = 0;
		clock_gettime(CLOCK_MONOTONIC, &f->logged);
	}
	return SWEEP_RETRY_S;
}

/*
 * Raises copy-request-overdue for undecided copy requests past their
 * time limit. A failure is logged and tried again at the next sweep.
 */
static void sweep_copies(struct access *access)
{
	struct error err = { 0 };
	char detail[ERROR_MSG_MAX + 64];
	size_t raised = 0;
	int rc = copies_sweep(access, ledger_now_ms(), &raised, &err);

	if (rc)
		log_warn("sweep", "copy request sweep failed; retrying at the "
			 "next sweep", "error=%s",
			 log_quote(err.msg[0] ? err.msg : ct_strerror(rc),
				   detail, sizeof(detail)));
	else if (raised)
		log_info("sweep", "overdue copy requests raised", "count=%zu",
			 raised);
}

/* Returns the seconds from now to the next 00:10 CST by the wall clock. */
static int seconds_to_retention_time(void)
{
	int64_t local = ledger_now_ms() / 1000 + CST_OFFSET_S;
	int64_t next = (local / DAY_S) * DAY_S + RETENTION_AT_S;

	if (next <= local)
		next += DAY_S;
	return (int)(next - local);
}

/* Runs the retention once; returns the seconds to the next run. */
static int retention_once(struct media *media)
{
	const struct retention_opts opts = { 0 };
	const struct actor by = { "retention", NULL };
	struct error err = { 0 };
	char detail[ERROR_MSG_MAX + 64];
	json_t *out = NULL;
	int rc;

	rc = media_retention_run(media, &opts, &by, &out, &err);
	if (rc) {
		log_warn("sweep", "retention run failed; retrying",
			 "error=%s retry_s=%d",
			 log_quote(err.msg[0] ? err.msg : ct_strerror(rc),
				   detail, sizeof(detail)),
			 RETENTION_RETRY_S);
		return RETENTION_RETRY_S;
	}
	json_decref(out);
	return seconds_to_retention_time();
}

static int is_due(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > t->tv_sec ||
	       (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

static const struct timespec *earlier(const struct timespec *a,
				      const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? a : b;
	return a->tv_nsec <= b->tv_nsec ? a : b;
}

static void *sweeper_main(void *arg)
{
	struct sweeper *sw = arg;
	struct sweep_failures failures = { 0 };
	struct timespec next_sweep = after_seconds(0);
	struct timespec next_retention = after_seconds(0);

	pthread_mutex_lock(&sw->lock);
	while (!sw->stop) {
		const struct timespec *next = sw->media
			? earlier(&next_sweep, &next_retention) : &next_sweep;

		if (pthread_cond_timedwait(&sw->wake, &sw->lock, next) !=
		    ETIMEDOUT)
			continue;
		pthread_mutex_unlock(&sw->lock);
		if (is_due(&next_sweep)) {
			next_sweep = after_seconds(sweep_once(sw->cases,
							      &failures));
			sweep_copies(sw->access);
			sweep_daily(sw->cases, cases_ledger(sw->cases));
		}
		if (sw->media && is_due(&next_retention))
			next_retention = after_seconds(retention_once(sw->media));
		pthread_mutex_lock(&sw->lock);
	}
	pthread_mutex_unlock(&sw->lock);
	return NULL;
}

int sweeper_start(struct server *s, struct error *err)
{
	struct sweeper *sw = &s->sweeper;
	pthread_condattr_t attr;
	int rc;

	sw->cases = s->cases;
	sw->access = s->access;
	sw->media = s->media;
	sw->stop = false;
	pthread_mutex_init(&sw->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&sw->wake, &attr);
	pthread_condattr_destroy(&attr);

	rc = pthread_create(&sw->thread, NULL, sweeper_main, sw);
	if (rc) {
		pthread_cond_destroy(&sw->wake);
		pthread_mutex_destroy(&sw->lock);
		return error_set(err, CT_ENOMEM, "cannot start the sweeper "
				 "thread: %s", strerror(rc));
	}
	sw->running = true;
	log_info("sweep", "sweeper started", "interval_s=%d retention=%s",
		 SWEEP_INTERVAL_S, sw->media ? "daily" : "off");
	return 0;
}

void sweeper_stop(struct server *s)
{
	struct sweeper *sw = &s->sweeper;

	if (!sw->running)
		return;
	pthread_mutex_lock(&sw->lock);
	sw->stop = true;
	pthread_cond_signal(&sw->wake);
	pthread_mutex_unlock(&sw->lock);
	pthread_join(sw->thread, NULL);
	pthread_cond_destroy(&sw->wake);
	pthread_mutex_destroy(&sw->lock);
	sw->running = false;
}
