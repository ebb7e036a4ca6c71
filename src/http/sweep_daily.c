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
 * passed, because the server may have been down at that hour; a digest
 * already stored for the day is kept. Each task
 * runs at most once per day per process; a failure is logged and tried
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

static void log_failure(const char *what, int rc, const struct error *err)
{
	char detail[ERROR_MSG_MAX + 64];

	log_warn("sweep", what, "error=%s",
		 log_quote(err->msg[0] ? err->msg : ct_strerror(rc), detail,
			   sizeof(detail)));
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
	evaluated_day = today;
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
	verified_day = today;
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
	digest_day = today;
}

void sweep_daily(struct cases *cases, struct ledger *ledger)
{
	int64_t now = ledger_now_ms();
	int32_t today = day_of_ms(now);
	int hour = (int)((now - day_start_ms(today)) / HOUR_MS);

	if (evaluated_day != today)
		evaluate_all(cases, today);
	if (verified_day != today && hour >= VERIFY_FROM_HOUR &&
	    hour < VERIFY_UNTIL_HOUR)
		verify_store(cases, ledger_config(ledger)->dir, today);
	if (digest_day != today && hour >= DIGEST_HOUR)
		compose_digests(cases, today);
}
