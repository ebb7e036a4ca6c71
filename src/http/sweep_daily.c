/*
 * The sweeper's daily tasks, run after a minute sweep once they are due
 * by the wall clock in China Standard Time:
 *
 *   - after 00:00, the evaluation of every case, closed ones included,
 *     so that findings raised by time reach cases no minute sweep visits;
 *   - between 02:00 and 06:00, a verify of the whole store, recorded as
 *     an integrity-failure finding when it finds a problem (or as its
 *     cure when it passes again);
 *   - after 08:00, the digests of the day, stored per person.
 *
 * The evaluation and the digests also run at start once their hour has
 * passed, because the server may have been down at that hour. A digest
 * already stored for the day is kept. Once a store was verified, a
 * verify missed on two nights in a row runs at the first sweep after
 * 02:00, whatever the hour, so a store goes at most a day unverified. The day each task last finished is
 * kept in the store (cases_daily_mark), so a restart does not repeat a
 * task of the same day. A failure is logged and tried
 * again at the next minute sweep. The tasks share the sweeper's thread,
 * so a verify that re-hashes many blobs delays the minute sweeps behind
 * it.
 */
#include "common/common.h"

#include <stdio.h>

#include "cases/supervision.h"
#include "common/log.h"
#include "deadlines/deadlines.h"
#include "internal.h"
#include "ledger/verify.h"

#define HOUR_MS (3600 * 1000LL)
#define VERIFY_FROM_HOUR 2
#define VERIFY_UNTIL_HOUR 6
#define DIGEST_HOUR 8

/* The CST day each task last ran; touched by the sweeper thread only. */
static int32_t evaluated_day = INT32_MIN;
static int32_t verified_day = INT32_MIN;
static int32_t digest_day = INT32_MIN;
static int days_loaded;

static void log_failure(const char *what, int rc, const struct error *err)
{
	char detail[ERROR_MSG_MAX + 64];

	log_warn("sweep", what, "error=%s",
		 log_quote(err->msg[0] ? err->msg : ct_strerror(rc), detail,
			   sizeof(detail)));
}

/* Records that a task finished today; a failure only costs a rerun. */
static void mark_done(struct cases *cases, const char *task, int32_t today,
		      int32_t *day)
{
	struct error err = { 0 };
	int rc = cases_daily_mark(cases, task, today, &err);

	*day = today;
	if (rc)
		log_failure("daily task not marked done; a restart today "
			    "runs it again", rc, &err);
}

/* Reads the days the tasks last finished, before the first run. */
static void load_days(struct cases *cases)
{
	const char *tasks[] = { "evaluate", "verify", "digest" };
	int32_t *days[] = { &evaluated_day, &verified_day, &digest_day };
	struct error err = { 0 };

	for (size_t i = 0; i < ARRAY_SIZE(tasks); i++) {
		int rc = cases_daily_last(cases, tasks[i], days[i], &err);

		if (rc) {
			log_failure("cannot read when a daily task last ran; "
				    "running it again", rc, &err);
			*days[i] = INT32_MIN;
		}
	}
	days_loaded = 1;
}

static void evaluate_all(struct cases *cases, int32_t today)
{
	struct error err = { 0 };
	size_t count = 0;
	int rc;

	log_info("sweep", "daily evaluation started", NULL);
	rc = cases_evaluate_all(cases, &count, &err);
	if (rc) {
		log_failure("daily evaluation failed; retrying at the next "
			    "sweep", rc, &err);
		return;
	}
	log_info("sweep", "daily evaluation finished", "cases=%zu", count);
	mark_done(cases, "evaluate", today, &evaluated_day);
}

static void verify_store(struct cases *cases, const char *dir, int32_t today)
{
	const struct actor by = { "verify", NULL };
	struct verify_options opt = { .check_blobs = 1 };
	struct verify_result res;
	struct error err = { 0 };
	char *lines = NULL;
	size_t len = 0;
	json_t *problems;
	int rc;

	opt.out = open_memstream(&lines, &len);
	if (!opt.out) {
		log_warn("sweep", "daily verify skipped: out of memory", NULL);
		return;
	}
	log_info("sweep", "daily verify started", NULL);
	rc = ledger_verify(dir, &opt, &res, &err);
	fclose(opt.out);
	if (rc) {
		free(lines);
		log_failure("daily verify could not run; retrying at the next "
			    "sweep", rc, &err);
		return;
	}
	problems = verify_problem_lines(lines ? lines : "", len);
	free(lines);
	rc = cases_integrity_record(cases, problems, &by, &err);
	json_decref(problems);
	if (rc) {
		log_failure("daily verify result not recorded; retrying at the "
			    "next sweep", rc, &err);
		return;
	}
	log_info("sweep", "daily verify finished",
		 "entries=%" PRIu64 " problems=%" PRIu64, res.entries,
		 res.problems);
	mark_done(cases, "verify", today, &verified_day);
}

static void compose_digests(struct cases *cases, int32_t today)
{
	struct error err = { 0 };
	size_t users = 0;
	int rc = cases_digest_publish(cases, &users, &err);

	if (rc) {
		log_failure("daily digest failed; retrying at the next sweep",
			    rc, &err);
		return;
	}
	log_info("sweep", "daily digests stored", "users=%zu", users);
	mark_done(cases, "digest", today, &digest_day);
}

void sweep_daily(struct cases *cases, struct ledger *ledger)
{
	int64_t now = ledger_now_ms();
	int32_t today = day_of_ms(now);
	int hour = (int)((now - day_start_ms(today)) / HOUR_MS);

	if (!days_loaded)
		load_days(cases);
	if (evaluated_day != today)
		evaluate_all(cases, today);
	if (verified_day != today && hour >= VERIFY_FROM_HOUR &&
	    (hour < VERIFY_UNTIL_HOUR ||
	     (verified_day != INT32_MIN && verified_day < today - 1)))
		verify_store(cases, ledger_config(ledger)->dir, today);
	if (digest_day != today && hour >= DIGEST_HOUR)
		compose_digests(cases, today);
}
