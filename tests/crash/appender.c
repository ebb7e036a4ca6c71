/*
 * The appending side of the kill -9 test (test_kill.py).
 *
 *   appender append DIR THREADS PREFIX
 *
 * runs THREADS threads that append note records through ledger_append
 * until the process is killed, with the checkpoint signer running. Only
 * after ledger_append has returned 0 does a thread acknowledge its record,
 * with one write(2) of "ack SEQ TEXT\n" to standard output. Every
 * acknowledged record must therefore survive the kill.
 *
 *   appender check DIR
 *
 * reads such ack lines from standard input and checks with ledger_content
 * that each seq still has its content and that its text is TEXT. It prints
 * one line per mismatch and exits 1 when there is any.
 */
#include "common/common.h"

#include <pthread.h>
#include <unistd.h>

#include "common/log.h"
#include "ledger/ledger.h"

#define THREADS_MAX 256
#define ACK_LINE_MAX 512

struct appender {
	struct ledger *l;
	const char *prefix;
	unsigned index;
	pthread_t thread;
};

static const char usage[] =
	"Usage: appender append DIR THREADS PREFIX\n"
	"       appender check DIR < ACKS\n";

/* Writes line with one write(2), so that lines of threads never mix. */
static void write_ack(const char *line, size_t len)
{
	ssize_t n = write(STDOUT_FILENO, line, len);

	if (n != (ssize_t)len) {
		fprintf(stderr, "appender: writing an ack failed: %s\n",
			n < 0 ? strerror(errno) : "short write");
		_exit(1);
	}
}

static void *append_loop(void *arg)
{
	const struct appender *a = arg;

	for (uint64_t i = 0;; i++) {
		struct ledger_record rec = { .kind = "note",
					     .case_id = "CRASH-1",
					     .actor = "crash-test",
					     .supersedes = -1 };
		struct ledger_receipt receipt;
		struct error err = { 0 };
		char text[256], line[ACK_LINE_MAX];
		json_t *fields;
		int len;

		snprintf(text, sizeof(text), "%s-%u-%" PRIu64, a->prefix,
			 a->index, i);
		fields = json_pack("{s:s}", "text", text);
		if (!fields) {
			fprintf(stderr, "appender: invalid note '%s': %s\n",
				text, err.msg);
			_exit(1);
		}
		rec.fields = fields;
		if (ledger_append(a->l, &rec, &receipt, &err) != 0) {
			fprintf(stderr, "appender: appending '%s' failed: %s\n",
				text, err.msg);
			_exit(1);
		}
		json_decref(fields);
		len = snprintf(line, sizeof(line), "ack %" PRIu64 " %s\n",
			       receipt.seq, text);
		write_ack(line, (size_t)len);
	}
	return NULL;
}

static int parse_threads(const char *s, unsigned *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || end == s || *end || n < 1 || n > THREADS_MAX) {
		fprintf(stderr, "appender: THREADS '%s' is invalid; give a "
			"number from 1 to %d\n", s, THREADS_MAX);
		return -1;
	}
	*out = (unsigned)n;
	return 0;
}

static int run_append(const char *dir, const char *threads_arg,
		      const char *prefix)
{
	static struct appender workers[THREADS_MAX];
	struct error err = { 0 };
	struct ledger *l;
	unsigned threads;

	if (parse_threads(threads_arg, &threads) != 0)
		return 2;
	if (ledger_open(dir, 0, &l, &err) != 0 ||
	    ledger_signer_start(l, &err) != 0) {
		fprintf(stderr, "appender: cannot open '%s': %s\n", dir,
			err.msg);
		return 2;
	}
	for (unsigned i = 0; i < threads; i++) {
		workers[i] = (struct appender){ .l = l, .prefix = prefix,
						.index = i };
		if (pthread_create(&workers[i].thread, NULL, append_loop,
				   &workers[i]) != 0) {
			fprintf(stderr, "appender: cannot start thread %u\n",
				i);
			return 2;
		}
	}
	/* The threads end only with the process, on a kill or an error. */
	for (unsigned i = 0; i < threads; i++)
		pthread_join(workers[i].thread, NULL);
	ledger_close(l);
	return 0;
}

/* Splits "ack SEQ TEXT" in place; returns -1 when line has another form. */
static int parse_ack(char *line, uint64_t *seq, const char **text)
{
	char *end;

	line[strcspn(line, "\n")] = '\0';
	if (strncmp(line, "ack ", 4) != 0)
		return -1;
	errno = 0;
	*seq = strtoull(line + 4, &end, 10);
	if (errno || end == line + 4 || *end != ' ' || !end[1])
		return -1;
	*text = end + 1;
	return 0;
}

/* Checks one acknowledged record; returns 1 when it is not as acked. */
static int check_ack(struct ledger *l, uint64_t seq, const char *text)
{
	struct error err = { 0 };
	json_t *fields;
	const char *stored;
	int bad = 0;

	if (ledger_content(l, seq, &fields, &err) != 0) {
		printf("seq %" PRIu64 " (%s): content not readable: %s\n", seq,
		       text, err.msg);
		return 1;
	}
	stored = json_string_value(json_object_get(fields, "text"));
	if (!stored || strcmp(stored, text) != 0) {
		printf("seq %" PRIu64 ": text is '%s', acknowledged as '%s'\n",
		       seq, stored ? stored : "(none)", text);
		bad = 1;
	}
	json_decref(fields);
	return bad;
}

static int run_check(const char *dir)
{
	struct error err = { 0 };
	struct ledger *l;
	char *line = NULL;
	size_t cap = 0;
	uint64_t checked = 0, bad = 0, lineno = 0;

	if (ledger_open(dir, LEDGER_READONLY, &l, &err) != 0) {
		fprintf(stderr, "appender: cannot open '%s': %s\n", dir,
			err.msg);
		return 2;
	}
	while (getline(&line, &cap, stdin) > 0) {
		const char *text;
		uint64_t seq;

		lineno++;
		if (parse_ack(line, &seq, &text) != 0) {
			printf("line %" PRIu64 ": not an 'ack SEQ TEXT' "
			       "line: %s\n", lineno, line);
			bad++;
			continue;
		}
		bad += (uint64_t)check_ack(l, seq, text);
		checked++;
	}
	free(line);
	ledger_close(l);
	printf("checked %" PRIu64 " acks, %" PRIu64 " mismatches\n", checked,
	       bad);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *level = getenv("CASETRAIL_LOG");

	if (level && log_level_parse(level) >= 0)
		log_set_level((enum log_level)log_level_parse(level));
	if (argc == 5 && !strcmp(argv[1], "append"))
		return run_append(argv[2], argv[3], argv[4]);
	if (argc == 3 && !strcmp(argv[1], "check"))
		return run_check(argv[2]);
	fputs(usage, stderr);
	return 2;
}
