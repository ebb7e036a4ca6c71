/*
 * The cost of casetrail's authorization check, for bench/access. The
 * HTTP server checks every workflow request twice. First it loads the
 * principal of the authenticated user (access_principal) and calls
 * access_decide on the route's action. Then the handler calls
 * access_decide again with the case and the mark of what it serves. This
 * program times the same calls on a real store:
 *
 *   access_bench STORE DATA COUNT THREADS CHECK...
 *
 * where each CHECK is LABEL=USER,ACTION[,CASE[,MARK]]: ACTION as
 * access_action_name spells it, MARK as access_mark_code does. For each
 * check it prints one JSON object on standard output:
 *
 *   {"label", "allowed", "reason", "count", "threads",
 *    "ns_principal_decide", "ns_decide", "checks_per_s"}
 *
 * ns_principal_decide is the wall time per access_principal plus
 * access_decide plus principal_release, as one request pays it, and
 * ns_decide that of access_decide alone on a loaded principal. With
 * THREADS above 1, that many threads run COUNT checks each at once, as
 * the server's pool does, and the times are wall time divided by all
 * checks. Times come from CLOCK_MONOTONIC.
 */
#include "common/common.h"

#include <pthread.h>
#include <stdatomic.h>

#include "access/access.h"
#include "common/log.h"
#include "ledger/ledger.h"

#define THREADS_MAX 256
#define WARMUP 200

static const char usage[] =
	"Usage: access_bench STORE DATA COUNT THREADS "
	"LABEL=USER,ACTION[,CASE[,MARK]]...\n";

struct check {
	char label[64];
	char user[LEDGER_NAME_MAX + 1];
	enum access_action action;
	char case_id[LEDGER_NAME_MAX + 1];
	struct access_target target;
};

/* The state that the threads of one timing share. */
struct run {
	struct access *access;
	const struct check *check;
	unsigned long count;
	bool decide_only;
	atomic_int failed;
};

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int parse_num(const char *name, const char *s, unsigned long min,
		     unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || end == s || *end || *out < min || *out > max) {
		fprintf(stderr, "access_bench: %s '%s' is invalid; give a "
			"number from %lu to %lu\n", name, s, min, max);
		return -1;
	}
	return 0;
}

/* Copies the next comma-separated field of *p into out (n bytes). */
static void next_field(const char **p, char *out, size_t n)
{
	size_t len = strcspn(*p, ",");

	snprintf(out, n, "%.*s", (int)len, *p);
	*p += len + ((*p)[len] == ',');
}

static int parse_check(const char *text, struct check *c)
{
	const char *eq = strchr(text, '='), *p;
	char action[64], mark[64];
	struct error err = { 0 };
	int act;

	memset(c, 0, sizeof(*c));
	if (!eq || eq == text)
		goto invalid;
	snprintf(c->label, sizeof(c->label), "%.*s", (int)(eq - text), text);
	p = eq + 1;
	next_field(&p, c->user, sizeof(c->user));
	next_field(&p, action, sizeof(action));
	next_field(&p, c->case_id, sizeof(c->case_id));
	next_field(&p, mark, sizeof(mark));
	for (act = 0; act < ACT_COUNT; act++)
		if (!strcmp(action, access_action_name((enum access_action)act)))
			break;
	if (!c->user[0] || act == ACT_COUNT)
		goto invalid;
	c->action = (enum access_action)act;
	if (c->case_id[0])
		c->target.case_id = c->case_id;
	if (mark[0] && access_mark_parse(mark, &c->target.mark, &err) != 0) {
		fprintf(stderr, "access_bench: %s\n", err.msg);
		return -1;
	}
	return 0;
invalid:
	fprintf(stderr, "access_bench: check '%s' is invalid; give "
		"LABEL=USER,ACTION[,CASE[,MARK]] with an action such as "
		"case-read\n", text);
	return -1;
}

/*
 * Runs one check: loads the principal (unless p is given) and decides.
 * Returns 1 allowed, 0 refused, -1 when the check itself failed.
 */
static int check_once(struct access *a, const struct check *c,
		      const struct principal *p, struct error *why)
{
	struct principal loaded;
	int rc;

	if (!p) {
		rc = access_principal(a, c->user, "bench", &loaded, why);
		if (rc)
			return rc == CT_EPERM ? 0 : -1;
		p = &loaded;
	}
	rc = access_decide(a, p, c->action, &c->target, why);
	if (p == &loaded)
		principal_release(&loaded);
	if (rc == 0)
		return 1;
	return rc == CT_EPERM ? 0 : -1;
}

static void *worker(void *arg)
{
	struct run *r = arg;
	struct principal p;
	struct error why = { 0 };
	bool loaded = false;

	if (r->decide_only) {
		if (access_principal(r->access, r->check->user, "bench", &p,
				     &why) != 0) {
			atomic_store(&r->failed, 1);
			return NULL;
		}
		loaded = true;
	}
	for (unsigned long i = 0; i < r->count; i++) {
		if (check_once(r->access, r->check, loaded ? &p : NULL,
			       &why) < 0) {
			atomic_store(&r->failed, 1);
			break;
		}
	}
	if (loaded)
		principal_release(&p);
	return NULL;
}

/* Returns the wall time in ns per check of count checks on each thread. */
static double time_checks(struct run *r, unsigned long threads)
{
	pthread_t tids[THREADS_MAX];
	unsigned long started = 0;
	int64_t start = now_ns();

	for (; started < threads; started++)
		if (pthread_create(&tids[started], NULL, worker, r) != 0)
			break;
	for (unsigned long i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	if (started < threads)
		atomic_store(&r->failed, 1);
	return (double)(now_ns() - start) / (double)(r->count * threads);
}

static int run_check(struct access *a, const struct check *c,
		     unsigned long count, unsigned long threads)
{
	struct run r = { .access = a, .check = c, .count = WARMUP };
	struct error why = { 0 };
	double with_principal, decide;
	int allowed = check_once(a, c, NULL, &why);
	json_t *out;

	if (allowed < 0) {
		fprintf(stderr, "access_bench: check '%s' failed: %s\n",
			c->label, why.msg);
		return -1;
	}
	time_checks(&r, 1);
	r.count = count;
	with_principal = time_checks(&r, threads);
	r.decide_only = true;
	decide = time_checks(&r, threads);
	if (atomic_load(&r.failed)) {
		fprintf(stderr, "access_bench: check '%s' failed while timed\n",
			c->label);
		return -1;
	}
	out = json_pack("{s:s, s:b, s:s, s:I, s:I, s:f, s:f, s:f}",
			"label", c->label, "allowed", allowed,
			"reason", allowed ? "" : why.msg,
			"count", (json_int_t)count,
			"threads", (json_int_t)threads,
			"ns_principal_decide", with_principal,
			"ns_decide", decide,
			"checks_per_s", 1e9 / with_principal);
	if (!out)
		return -1;
	json_dumpf(out, stdout, JSON_COMPACT);
	putchar('\n');
	fflush(stdout);
	json_decref(out);
	return 0;
}

int main(int argc, char **argv)
{
	struct ledger *l = NULL;
	struct access *a = NULL;
	struct error err = { 0 };
	unsigned long count, threads;
	int rc = 1;

	log_set_level(LOG_WARN);
	if (argc < 6) {
		fputs(usage, stderr);
		return 2;
	}
	if (parse_num("COUNT", argv[3], 1, 100000000, &count) ||
	    parse_num("THREADS", argv[4], 1, THREADS_MAX, &threads))
		return 2;
	if (ledger_open(argv[1], LEDGER_READONLY, &l, &err) != 0 ||
	    access_open(l, argv[2], NULL, &a, &err) != 0) {
		fprintf(stderr, "access_bench: cannot open the store '%s': "
			"%s\n", argv[1], err.msg);
		goto out;
	}
	for (int i = 5; i < argc; i++) {
		struct check c;

		if (parse_check(argv[i], &c) || run_check(a, &c, count, threads))
			goto out;
	}
	rc = 0;
out:
	access_close(a);
	ledger_close(l);
	return rc;
}
