/*
 * Measurements of the ledger that bench/ledger runs and tabulates. Each
 * mode prints one JSON object on standard output:
 *
 *   ledger_bench create DIR gm|standard
 *   ledger_bench append [--no-signer] DIR THREADS SECONDS TEXT_BYTES
 *                       [MIN_ENTRIES]
 *       durable appends per second through ledger_append, with the
 *       checkpoint signer running as it does in the server unless
 *       --no-signer. With MIN_ENTRIES it goes on past SECONDS until the
 *       store contains that many entries
 *   ledger_bench sqlite DB STORE_DIR BATCH SECONDS
 *       the baseline: the entry bytes of STORE_DIR inserted into a plain
 *       SQLite table at DB (WAL, synchronous=FULL), BATCH rows a commit
 *   ledger_bench latency DIR WRITERS SECONDS TEXT_BYTES
 *       time from an acknowledged append to the first signed checkpoint
 *       that covers it, seen by polling ledger_checkpoint_latest
 *   ledger_bench verify DIR
 *       ledger_verify over the whole store, with the entry count and size
 *
 * Times come from CLOCK_MONOTONIC.
 */
#include "common/common.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <unistd.h>

#include "common/log.h"
#include "ledger/ledger.h"
#include "ledger/verify.h"

#define THREADS_MAX 256
#define MONITOR_POLL_NS 2000000L
#define BASELINE_ROWS 20000

static const char usage[] =
	"Usage: ledger_bench create DIR gm|standard\n"
	"       ledger_bench append [--no-signer] DIR THREADS SECONDS "
	"TEXT_BYTES [MIN_ENTRIES]\n"
	"       ledger_bench sqlite DB STORE_DIR BATCH SECONDS\n"
	"       ledger_bench latency DIR WRITERS SECONDS TEXT_BYTES\n"
	"       ledger_bench verify DIR\n";

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void sleep_ns(long ns)
{
	struct timespec t = { ns / 1000000000L, ns % 1000000000L };

	while (nanosleep(&t, &t) != 0 && errno == EINTR)
		;
}

static int parse_num(const char *name, const char *s, unsigned long min,
		     unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || end == s || *end || *out < min || *out > max) {
		fprintf(stderr, "ledger_bench: %s '%s' is invalid; give a "
			"number from %lu to %lu\n", name, s, min, max);
		return -1;
	}
	return 0;
}

static int fail(const char *action, const struct error *err)
{
	fprintf(stderr, "ledger_bench: %s failed: %s\n", action, err->msg);
	return 1;
}

/*
 * Fills text with a note of exactly len bytes (len >= 64): a fixed Chinese
 * sentence of the kind a case officer writes, the writer and its count,
 * then ASCII padding. Cuts only at a character boundary.
 */
static void note_text(char *text, size_t len, unsigned writer, uint64_t i)
{
	static const char sentence[] =
		"申请人于当日补正材料，经窗口人员核对原件与复印件一致，"
		"已受理并转审批科室办理。";
	size_t n = (size_t)snprintf(text, len + 1, "%u-%" PRIu64 " ", writer,
				    i);

	for (const char *p = sentence; *p && n < len; p++) {
		size_t clen = ((unsigned char)*p >= 0xe0) ? 3 : 1;

		if (n + clen > len)
			break;
		memcpy(text + n, p, clen);
		n += clen;
		p += clen - 1;
	}
	while (n < len)
		text[n++] = '.';
	text[n] = '\0';
}

/* Appends one note; fills *seq. */
static int append_note(struct ledger *l, const char *text, uint64_t *seq,
		       struct error *err)
{
	struct ledger_record rec = { .kind = "note", .case_id = "BENCH-1",
				     .actor = "bench", .supersedes = -1 };
	struct ledger_receipt receipt;
	json_t *fields = json_pack("{s:s}", "text", text);
	int rc;

	if (!fields)
		return error_set(err, CT_ENOMEM, "out of memory");
	rec.fields = fields;
	rc = ledger_append(l, &rec, &receipt, err);
	json_decref(fields);
	if (rc == 0)
		*seq = receipt.seq;
	return rc;
}

/* Appending threads shared by the append and latency modes. */
struct run {
	struct ledger *l;
	size_t text_bytes;
	int64_t deadline_ns;
	uint64_t min_entries;
	atomic_uint_fast64_t appended;
	atomic_int failed;
};

struct ack {
	uint64_t seq;
	int64_t ns;
};

struct writer {
	struct run *run;
	unsigned index;
	pthread_t thread;
	int keep_acks;
	struct ack *acks;
	size_t nacks, capacks;
};

static int keep_ack(struct writer *w, uint64_t seq, int64_t ns)
{
	if (w->nacks == w->capacks) {
		size_t cap = w->capacks ? w->capacks * 2 : 4096;
		struct ack *a = realloc(w->acks, cap * sizeof(*a));

		if (!a)
			return -1;
		w->acks = a;
		w->capacks = cap;
	}
	w->acks[w->nacks++] = (struct ack){ seq, ns };
	return 0;
}

static int run_done(struct run *r)
{
	if (atomic_load(&r->failed))
		return 1;
	if (now_ns() < r->deadline_ns)
		return 0;
	return atomic_load(&r->appended) >= r->min_entries;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct run *r = w->run;
	char text[4096];

	for (uint64_t i = 0; !run_done(r); i++) {
		struct error err = { 0 };
		uint64_t seq = 0;

		note_text(text, r->text_bytes, w->index, i);
		if (append_note(r->l, text, &seq, &err) != 0) {
			fprintf(stderr, "ledger_bench: append failed: %s\n",
				err.msg);
			atomic_store(&r->failed, 1);
			break;
		}
		atomic_fetch_add(&r->appended, 1);
		if (w->keep_acks && keep_ack(w, seq, now_ns()) != 0) {
			atomic_store(&r->failed, 1);
			break;
		}
	}
	return NULL;
}

/*
 * Starts n writers and returns how many started. A failed start marks the
 * run failed, which stops the writers already running.
 */
static unsigned start_writers(struct writer *w, unsigned n, struct run *r,
			      int keep_acks)
{
	for (unsigned i = 0; i < n; i++) {
		w[i] = (struct writer){ .run = r, .index = i,
					.keep_acks = keep_acks };
		if (pthread_create(&w[i].thread, NULL, writer_main, &w[i])) {
			fprintf(stderr, "ledger_bench: cannot start writer "
				"%u\n", i);
			atomic_store(&r->failed, 1);
			return i;
		}
	}
	return n;
}

static void join_writers(struct writer *w, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		pthread_join(w[i].thread, NULL);
}

static int open_store(const char *dir, int signer, struct ledger **l)
{
	struct error err = { 0 };

	if (ledger_open(dir, 0, l, &err) != 0)
		return fail("opening the store", &err);
	if (signer && ledger_signer_start(*l, &err) != 0) {
		ledger_close(*l);
		return fail("starting the signer", &err);
	}
	return 0;
}

static int cmd_append(int argc, char **argv)
{
	static struct writer writers[THREADS_MAX];
	unsigned long threads, seconds, text_bytes, min_entries = 0;
	struct run r = { 0 };
	int64_t start, end;
	uint64_t before, after;
	struct error err = { 0 };
	int signer = 1;

	if (argc > 2 && !strcmp(argv[2], "--no-signer")) {
		signer = 0;
		argc--;
		argv++;
	}
	if (argc < 6 || argc > 7 ||
	    parse_num("THREADS", argv[3], 1, THREADS_MAX, &threads) ||
	    parse_num("SECONDS", argv[4], 1, 3600, &seconds) ||
	    parse_num("TEXT_BYTES", argv[5], 64, 4000, &text_bytes) ||
	    (argc == 7 && parse_num("MIN_ENTRIES", argv[6], 0, 100000000,
				    &min_entries)))
		return 2;
	if (open_store(argv[2], signer, &r.l))
		return 1;
	if (ledger_size(r.l, &before, &err) != 0)
		return fail("reading the size", &err);
	r.text_bytes = text_bytes;
	r.min_entries = min_entries > before ? min_entries - before : 0;
	start = now_ns();
	r.deadline_ns = start + (int64_t)seconds * 1000000000;
	join_writers(writers, start_writers(writers, (unsigned)threads, &r, 0));
	end = now_ns();
	ledger_signer_stop(r.l);
	if (ledger_size(r.l, &after, &err) != 0)
		return fail("reading the size", &err);
	ledger_close(r.l);
	printf("{\"threads\": %lu, \"signer\": %s, \"appends\": %" PRIu64
	       ", \"seconds\": %.3f, \"rate\": %.1f, \"entries\": %" PRIu64
	       "}\n", threads, signer ? "true" : "false", after - before,
	       (double)(end - start) / 1e9,
	       (double)(after - before) * 1e9 / (double)(end - start), after);
	return atomic_load(&r.failed);
}

/* Reads up to max entry bodies of the store's database into rows. */
static int load_entries(const char *store_dir, struct buf *rows, size_t max,
			size_t *n)
{
	char path[PATH_MAX];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	*n = 0;
	snprintf(path, sizeof(path), "%s/casetrail.db", store_dir);
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "SELECT body FROM entries "
					"ORDER BY seq LIMIT ?1", -1, &st,
					NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 1, (sqlite3_int64)max);
	while (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		buf_init(&rows[*n], LEDGER_ENTRY_MAX);
		if (buf_append(&rows[*n], sqlite3_column_blob(st, 0),
			       (size_t)sqlite3_column_bytes(st, 0)) != 0)
			rc = SQLITE_NOMEM;
		(*n)++;
	}
	if (rc != SQLITE_OK)
		fprintf(stderr, "ledger_bench: reading entries of '%s' "
			"failed: %s\n", path, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc == SQLITE_OK && *n > 0 ? 0 : -1;
}

static int exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	fprintf(stderr, "ledger_bench: '%s' failed: %s\n", sql, msg);
	sqlite3_free(msg);
	return -1;
}

/* Inserts rows in transactions of batch rows until the deadline. */
static int insert_batches(sqlite3 *db, const struct buf *rows, size_t n,
			  unsigned long batch, int64_t deadline,
			  uint64_t *inserted)
{
	sqlite3_stmt *st = NULL;
	uint64_t id = 0;

	if (sqlite3_prepare_v2(db, "INSERT INTO entries (seq, body) "
			       "VALUES (?1, ?2)", -1, &st, NULL) != SQLITE_OK)
		return -1;
	while (now_ns() < deadline) {
		if (exec(db, "BEGIN IMMEDIATE") != 0)
			break;
		for (unsigned long i = 0; i < batch; i++, id++) {
			const struct buf *row = &rows[id % n];

			sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
			sqlite3_bind_blob(st, 2, row->data, (int)row->len,
					  SQLITE_STATIC);
			if (sqlite3_step(st) != SQLITE_DONE)
				goto fail;
			sqlite3_reset(st);
		}
		if (exec(db, "COMMIT") != 0)
			goto fail;
		*inserted = id;
	}
	sqlite3_finalize(st);
	return 0;
fail:
	fprintf(stderr, "ledger_bench: insert failed: %s\n",
		sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return -1;
}

static int cmd_sqlite(int argc, char **argv)
{
	static struct buf rows[BASELINE_ROWS];
	unsigned long batch, seconds;
	uint64_t inserted = 0, bytes = 0;
	sqlite3 *db = NULL;
	size_t n = 0;
	int64_t start, end;
	int rc = -1;

	if (argc != 6 || parse_num("BATCH", argv[4], 1, 100000, &batch) ||
	    parse_num("SECONDS", argv[5], 1, 3600, &seconds))
		return 2;
	if (load_entries(argv[3], rows, BASELINE_ROWS, &n) != 0)
		return 1;
	for (size_t i = 0; i < n; i++)
		bytes += rows[i].len;
	if (sqlite3_open(argv[2], &db) != SQLITE_OK ||
	    exec(db, "PRAGMA journal_mode = WAL;"
		     "PRAGMA synchronous = FULL;"
		     "CREATE TABLE entries (seq INTEGER PRIMARY KEY,"
		     " body BLOB NOT NULL);") != 0)
		goto out;
	start = now_ns();
	rc = insert_batches(db, rows, n, batch,
			    start + (int64_t)seconds * 1000000000, &inserted);
	end = now_ns();
	if (rc == 0)
		printf("{\"batch\": %lu, \"rows\": %" PRIu64 ", \"seconds\": "
		       "%.3f, \"rate\": %.1f, \"row_bytes_avg\": %.1f, "
		       "\"sqlite_version\": \"%s\"}\n", batch, inserted,
		       (double)(end - start) / 1e9,
		       (double)inserted * 1e9 / (double)(end - start),
		       (double)bytes / (double)n, sqlite3_libversion());
out:
	sqlite3_close(db);
	for (size_t i = 0; i < n; i++)
		buf_release(&rows[i]);
	return rc ? 1 : 0;
}

/* A checkpoint's tree size and the time the monitor first saw it. */
struct sighting {
	uint64_t size;
	int64_t ns;
};

struct monitor {
	struct ledger *l;
	atomic_int stop;
	struct sighting *seen; /* in time order */
	size_t nseen, capseen;
	uint64_t polls;
	int failed;
};

static void *monitor_main(void *arg)
{
	struct monitor *m = arg;
	struct buf note = BUF_INIT_MAX(1 << 16);
	uint64_t last = 0;

	while (!atomic_load(&m->stop)) {
		struct error err = { 0 };
		uint64_t size;

		if (ledger_checkpoint_latest(m->l, &note, &size, &err) != 0) {
			fprintf(stderr, "ledger_bench: reading the latest "
				"checkpoint failed: %s\n", err.msg);
			m->failed = 1;
			break;
		}
		m->polls++;
		if (size > last && m->nseen < m->capseen) {
			m->seen[m->nseen].size = size;
			m->seen[m->nseen].ns = now_ns();
			m->nseen++;
			last = size;
		}
		sleep_ns(MONITOR_POLL_NS);
	}
	buf_release(&note);
	return NULL;
}

/* Returns the time the first checkpoint covering seq was seen, or -1. */
static int64_t covered_at(const struct monitor *m, uint64_t seq)
{
	size_t lo = 0, hi = m->nseen;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->seen[mid].size > seq)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo < m->nseen ? m->seen[lo].ns : -1;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct_ms(const int64_t *sorted, size_t n, double p)
{
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);

	return (double)sorted[i] / 1e6;
}

/* Prints latency percentiles over every writer's acks. */
static int report_latency(const struct writer *w, unsigned nw,
			  const struct monitor *m)
{
	size_t total = 0, n = 0, uncovered = 0;
	int64_t *lat;

	for (unsigned i = 0; i < nw; i++)
		total += w[i].nacks;
	lat = malloc((total ? total : 1) * sizeof(*lat));
	if (!lat)
		return 1;
	for (unsigned i = 0; i < nw; i++)
		for (size_t j = 0; j < w[i].nacks; j++) {
			int64_t seen = covered_at(m, w[i].acks[j].seq);

			if (seen < 0)
				uncovered++;
			else
				lat[n++] = seen > w[i].acks[j].ns
						   ? seen - w[i].acks[j].ns : 0;
		}
	qsort(lat, n, sizeof(*lat), cmp_i64);
	if (n == 0) {
		fprintf(stderr, "ledger_bench: no append was covered by a "
			"checkpoint\n");
		free(lat);
		return 1;
	}
	printf("{\"writers\": %u, \"appends\": %zu, \"uncovered\": %zu, "
	       "\"checkpoints_seen\": %zu, \"polls\": %" PRIu64 ", "
	       "\"p50_ms\": %.1f, \"p90_ms\": %.1f, \"p99_ms\": %.1f, "
	       "\"max_ms\": %.1f}\n", nw, total, uncovered, m->nseen,
	       m->polls, pct_ms(lat, n, 0.50), pct_ms(lat, n, 0.90),
	       pct_ms(lat, n, 0.99), (double)lat[n - 1] / 1e6);
	free(lat);
	return 0;
}

/* Waits until a seen checkpoint covers size entries, at most 3 s. */
static void wait_covered(struct monitor *m, uint64_t size)
{
	int64_t until = now_ns() + 3000000000LL;

	while (now_ns() < until &&
	       (m->nseen == 0 || m->seen[m->nseen - 1].size < size))
		sleep_ns(MONITOR_POLL_NS);
}

static int cmd_latency(int argc, char **argv)
{
	static struct writer writers[THREADS_MAX];
	unsigned long nw, seconds, text_bytes;
	struct monitor m = { 0 };
	struct run r = { 0 };
	struct error err = { 0 };
	pthread_t monitor;
	uint64_t size;
	int rc;

	if (argc != 6 ||
	    parse_num("WRITERS", argv[3], 1, THREADS_MAX, &nw) ||
	    parse_num("SECONDS", argv[4], 1, 3600, &seconds) ||
	    parse_num("TEXT_BYTES", argv[5], 64, 4000, &text_bytes))
		return 2;
	if (open_store(argv[2], 1, &r.l))
		return 1;
	m.l = r.l;
	m.capseen = 1 << 20;
	m.seen = calloc(m.capseen, sizeof(*m.seen));
	if (!m.seen || pthread_create(&monitor, NULL, monitor_main, &m))
		return 1;
	r.text_bytes = text_bytes;
	r.deadline_ns = now_ns() + (int64_t)seconds * 1000000000;
	join_writers(writers, start_writers(writers, (unsigned)nw, &r, 1));
	if (ledger_size(r.l, &size, &err) != 0)
		return fail("reading the size", &err);
	wait_covered(&m, size);
	atomic_store(&m.stop, 1);
	pthread_join(monitor, NULL);
	rc = m.failed || atomic_load(&r.failed) ||
	     report_latency(writers, (unsigned)nw, &m);
	ledger_close(r.l);
	for (unsigned i = 0; i < nw; i++)
		free(writers[i].acks);
	free(m.seen);
	return rc;
}

/* Reads the average entry size straight from SQLite. */
static int entry_size_avg(const char *dir, double *avg)
{
	char path[PATH_MAX];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	snprintf(path, sizeof(path), "%s/casetrail.db", dir);
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "SELECT avg(length(body)) "
					"FROM entries", -1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		*avg = sqlite3_column_double(st, 0);
	} else {
		fprintf(stderr, "ledger_bench: reading '%s' failed: %s\n",
			path, sqlite3_errmsg(db));
		rc = SQLITE_ERROR;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

static int cmd_verify(int argc, char **argv)
{
	struct verify_options opt = { .check_blobs = 1, .out = stderr };
	struct verify_result res = { 0 };
	struct error err = { 0 };
	double avg;
	int64_t start, end;

	if (argc != 3)
		return 2;
	if (entry_size_avg(argv[2], &avg) != 0)
		return 1;
	start = now_ns();
	if (ledger_verify(argv[2], &opt, &res, &err) != 0)
		return fail("verify", &err);
	end = now_ns();
	printf("{\"entries\": %" PRIu64 ", \"entry_bytes_avg\": %.1f, "
	       "\"checkpoints\": %" PRIu64 ", \"problems\": %" PRIu64 ", "
	       "\"seconds\": %.3f, \"rate\": %.1f}\n", res.entries, avg,
	       res.checkpoints, res.problems, (double)(end - start) / 1e9,
	       (double)res.entries * 1e9 / (double)(end - start));
	return res.problems ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct error err = { 0 };
	const char *level = getenv("CASETRAIL_LOG");

	log_set_level(LOG_WARN);
	if (level && log_level_parse(level) >= 0)
		log_set_level((enum log_level)log_level_parse(level));
	if (argc == 4 && !strcmp(argv[1], "create")) {
		if (ledger_create(argv[2], argv[3], "bench.example", &err))
			return fail("creating the store", &err);
		printf("{\"created\": \"%s\"}\n", argv[2]);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "append"))
		return cmd_append(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "sqlite"))
		return cmd_sqlite(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "latency"))
		return cmd_latency(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "verify"))
		return cmd_verify(argc, argv);
	fputs(usage, stderr);
	return 2;
}
