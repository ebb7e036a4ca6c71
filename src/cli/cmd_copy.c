/*
 * Copy requests (复制申请) and the applicants' status inquiry on the
 * command line: copy request, decide, list, show and make; inquiry code,
 * status and serve. The acting user (--as) is checked by the access
 * policy as over HTTP. docs/copies.md states the rules.
 */
#include "common/common.h"

#include <fcntl.h>
#include <getopt.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access/copies.h"
#include "cli.h"
#include "http/http.h"
#include "media/stamp.h"

/* The CPU time of one `copy stamp-media`, which only copies packets. */
#define STAMP_CPU_SECONDS 300

static const char copy_help[] =
	"Usage: casetrail copy request --case ID --records SEQ[,SEQ...]\n"
	"                             --purpose TEXT [--media SEQ|HASH[,...]]\n"
	"                             [--requester NAME]\n"
	"                             [--on-behalf-of NAME]\n"
	"                             [--received DATE]\n"
	"       casetrail copy decide ID --approve|--reject [--reasons TEXT]\n"
	"                             [--withhold SEQ:REASON]...\n"
	"       casetrail copy list [--case ID] [--status S] [--offset N]\n"
	"                           [--limit N]\n"
	"       casetrail copy show ID\n"
	"       casetrail copy make ID --out FILE\n"
	"\n"
	"request records a party's request for copies of records (and\n"
	"audio-visual files) of their own case; staff registering it on the\n"
	"party's behalf name the party with --requester. decide approves or\n"
	"rejects it, as the head of the supervisory department (role\n"
	"supervisor); a rejection needs --reasons. list first raises\n"
	"copy-request-overdue for undecided requests past their time limit.\n"
	"make writes the copy set of an approved request, a tar, to FILE\n"
	"(which must not exist) and records it. Every command acts as --as.\n"
	"\n"
	"  --dir DIR             the store (default $CASETRAIL_DIR)\n"
	"  --data DIR            the bureau data (default $CASETRAIL_DATA)\n"
	"  --as USER             the acting user (default the OS user)\n"
	"  --json                print JSON\n"
	"  --received DATE       when a paper request arrived (YYYY-MM-DD or\n"
	"                        RFC 3339), if earlier than now; staff only\n"
	"  --status S            pending, overdue, approved or rejected\n"
	"  --withhold SEQ:REASON withhold record SEQ from the copies, saying\n"
	"                        why (repeatable)\n";

struct copy_opts {
	const char *dir, *data, *as, *case_id, *records, *media, *purpose;
	const char *requester, *on_behalf_of, *received, *reasons, *status;
	const char *out;
	int json, approve, reject;
	json_t *withhold;
	size_t offset, limit;
};

enum {
	OPT_DIR = 1000, OPT_DATA, OPT_AS, OPT_JSON, OPT_HELP, OPT_CASE,
	OPT_RECORDS, OPT_MEDIA, OPT_PURPOSE, OPT_REQUESTER, OPT_BEHALF,
	OPT_RECEIVED, OPT_APPROVE, OPT_REJECT, OPT_REASONS, OPT_WITHHOLD,
	OPT_STATUS, OPT_OFFSET, OPT_LIMIT, OPT_OUT,
};

static int add_withhold(struct copy_opts *o, const char *text)
{
	const char *colon = strchr(text, ':');
	char seq_text[32];
	uint64_t seq;

	if (!colon || colon == text || !colon[1] ||
	    (size_t)(colon - text) >= sizeof(seq_text))
		return cli_usage("copy", "--withhold '%s' must be SEQ:REASON",
				 text);
	memcpy(seq_text, text, (size_t)(colon - text));
	seq_text[colon - text] = '\0';
	if (cli_parse_u64("--withhold", seq_text, &seq) != 0)
		return EXIT_ERROR;
	json_array_append_new(o->withhold, json_pack(
		"{s:I, s:s}", "record", (json_int_t)seq, "reason", colon + 1));
	return 0;
}

static int parse_size(const char *what, const char *text, size_t max,
		      size_t *out)
{
	uint64_t v;

	if (cli_parse_u64(what, text, &v) != 0)
		return EXIT_ERROR;
	if (v > max)
		return cli_usage("copy", "%s takes at most %zu", what, max);
	*out = (size_t)v;
	return 0;
}

static int take_option(struct copy_opts *o, int ch)
{
	const char **text[] = {
		[OPT_DIR - OPT_DIR] = &o->dir,
		[OPT_DATA - OPT_DIR] = &o->data,
		[OPT_AS - OPT_DIR] = &o->as,
		[OPT_CASE - OPT_DIR] = &o->case_id,
		[OPT_RECORDS - OPT_DIR] = &o->records,
		[OPT_MEDIA - OPT_DIR] = &o->media,
		[OPT_PURPOSE - OPT_DIR] = &o->purpose,
		[OPT_REQUESTER - OPT_DIR] = &o->requester,
		[OPT_BEHALF - OPT_DIR] = &o->on_behalf_of,
		[OPT_RECEIVED - OPT_DIR] = &o->received,
		[OPT_REASONS - OPT_DIR] = &o->reasons,
		[OPT_STATUS - OPT_DIR] = &o->status,
		[OPT_OUT - OPT_DIR] = &o->out,
	};

	switch (ch) {
	case OPT_JSON: o->json = 1; return 0;
	case OPT_APPROVE: o->approve = 1; return 0;
	case OPT_REJECT: o->reject = 1; return 0;
	case OPT_WITHHOLD: return add_withhold(o, optarg);
	case OPT_OFFSET:
		return parse_size("--offset", optarg, SIZE_MAX, &o->offset);
	case OPT_LIMIT:
		return parse_size("--limit", optarg, 500, &o->limit);
	}
	if (ch >= OPT_DIR && ch <= OPT_OUT && text[ch - OPT_DIR]) {
		*text[ch - OPT_DIR] = optarg;
		return 0;
	}
	return EXIT_ERROR;
}

/* Parses the options after the subcommand; returns -1 after --help. */
static int parse_copy(int argc, char **argv, struct copy_opts *o)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "data", required_argument, NULL, OPT_DATA },
		{ "as", required_argument, NULL, OPT_AS },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "case", required_argument, NULL, OPT_CASE },
		{ "records", required_argument, NULL, OPT_RECORDS },
		{ "media", required_argument, NULL, OPT_MEDIA },
		{ "purpose", required_argument, NULL, OPT_PURPOSE },
		{ "requester", required_argument, NULL, OPT_REQUESTER },
		{ "on-behalf-of", required_argument, NULL, OPT_BEHALF },
		{ "received", required_argument, NULL, OPT_RECEIVED },
		{ "approve", no_argument, NULL, OPT_APPROVE },
		{ "reject", no_argument, NULL, OPT_REJECT },
		{ "reasons", required_argument, NULL, OPT_REASONS },
		{ "withhold", required_argument, NULL, OPT_WITHHOLD },
		{ "status", required_argument, NULL, OPT_STATUS },
		{ "offset", required_argument, NULL, OPT_OFFSET },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ "out", required_argument, NULL, OPT_OUT },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == OPT_HELP) {
			fputs(copy_help, stdout);
			return -1;
		}
		if (ch == '?' || ch == ':')
			return cli_bad_option("copy", argv);
		if (take_option(o, ch) != 0)
			return EXIT_ERROR;
	}
	return 0;
}

/* Splits "1,2,3" into an array of numbers, or of strings (hashes). */
static int split_list(const char *what, const char *text, bool hashes,
		      json_t **out)
{
	char *copy = strdup(text ? text : ""), *p = copy, *comma;
	uint64_t v;
	int rc = 0;

	*out = json_array();
	while (copy && rc == 0 && *p) {
		comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (hashes && strchr(p, ':'))
			json_array_append_new(*out, json_string(p));
		else if (cli_parse_u64(what, p, &v) == 0)
			json_array_append_new(*out,
					      json_integer((json_int_t)v));
		else
			rc = EXIT_ERROR;
		p = comma ? comma + 1 : p + strlen(p);
	}
	free(copy);
	return rc;
}

/* The principal of --as, loaded from the store the CLI opened. */
static int load_principal(const struct copy_opts *o, struct principal *p)
{
	struct error err = { 0 };

	if (access_principal(cli_access(), cli_actor(o->as), "cli", p,
			     &err) != 0)
		return cli_fail(&err);
	return 0;
}

/* Opens the store, loads --as and runs fn; prints its result. */
typedef int (*copy_fn)(struct access *a, const struct principal *p,
		       const struct actor *by, const struct copy_opts *o,
		       const char *id, json_t **out, struct error *err);

static void print_request(const json_t *v)
{
	const json_t *decision = json_object_get(v, "decision");

	printf("%s %s case %s requester %s: %s, due %s%s\n",
	       json_string_value(json_object_get(v, "id")) ?: "",
	       json_string_value(json_object_get(v, "number")) ?: "",
	       json_string_value(json_object_get(v, "case")) ?: "",
	       json_string_value(json_object_get(v, "requester")) ?: "",
	       json_string_value(json_object_get(v, "status")) ?: "",
	       json_string_value(json_object_get(v, "due")) ?: "",
	       json_is_true(json_object_get(v, "overdue")) ? " (overdue)" : "");
	if (json_is_object(decision))
		printf("  decided by %s on %s%s%s\n",
		       json_string_value(json_object_get(decision, "actor"))
			       ?: "",
		       json_string_value(json_object_get(decision, "decided"))
			       ?: "",
		       json_string_value(json_object_get(decision, "reasons"))
			       ? ": " : "",
		       json_string_value(json_object_get(decision, "reasons"))
			       ?: "");
}

static int run(const struct copy_opts *o, const char *id, copy_fn fn)
{
	struct principal p = { 0 };
	struct actor by = { cli_actor(o->as), cli_os_user() };
	struct error err = { 0 };
	json_t *out = NULL, *item;
	struct ledger *l;
	struct cases *c;
	size_t i;
	int rc;

	if (cli_open_cases(o->dir, o->data, 0, &l, &c) != 0)
		return EXIT_ERROR;
	rc = load_principal(o, &p);
	if (rc == 0 && fn(cli_access(), &p, &by, o, id, &out, &err) != 0)
		rc = cli_fail(&err);
	principal_release(&p);
	cli_close_cases(l, c);
	if (rc)
		return rc;
	if (o->json) {
		cli_print_json(out);
		return EXIT_OK;
	}
	if (json_is_array(json_object_get(out, "items")))
		json_array_foreach(json_object_get(out, "items"), i, item)
			print_request(item);
	else if (json_object_get(out, "status"))
		print_request(out);
	else
		printf("copy %s of %s: %" JSON_INTEGER_FORMAT " bytes, sha256 "
		       "%s\n",
		       json_string_value(json_object_get(out, "copy")) ?: "",
		       json_string_value(json_object_get(out, "request")) ?: "",
		       json_integer_value(json_object_get(out, "size")),
		       json_string_value(json_object_get(out, "sha256")) ?: "");
	json_decref(out);
	return EXIT_OK;
}

static int do_request(struct access *a, const struct principal *p,
		      const struct actor *by, const struct copy_opts *o,
		      const char *id, json_t **out, struct error *err)
{
	struct copy_request_req req = {
		.case_id = o->case_id, .purpose = o->purpose,
		.requester = o->requester, .on_behalf_of = o->on_behalf_of,
	};
	struct access_target t = { .case_id = o->case_id };
	json_t *records = NULL, *media = NULL;
	int rc = access_decide(a, p, ACT_COPY_REQUEST, &t, err);

	(void)id;
	if (rc == 0 && o->received &&
	    cases_time_parse(o->received, &req.received_ms) != 0)
		rc = error_set(err, CT_EINVAL, "--received '%s' must be "
			       "YYYY-MM-DD or an RFC 3339 time", o->received);
	req.has_received = o->received != NULL;
	if (rc == 0 && split_list("--records", o->records, false, &records))
		rc = error_set(err, CT_EINVAL, "--records takes record seqs "
			       "separated by commas");
	if (rc == 0 && o->media &&
	    split_list("--media", o->media, true, &media))
		rc = error_set(err, CT_EINVAL, "--media takes ingest seqs or "
			       "hashes separated by commas");
	req.records = records;
	req.media = media;
	if (rc == 0)
		rc = copies_request(a, p, by, &req, out, err);
	json_decref(records);
	json_decref(media);
	return rc;
}

static int do_decide(struct access *a, const struct principal *p,
		     const struct actor *by, const struct copy_opts *o,
		     const char *id, json_t **out, struct error *err)
{
	json_t *body = json_pack("{s:s}", "decision",
				 o->approve ? "approve" : "reject");
	int rc = access_decide(a, p, ACT_COPY_DECIDE, NULL, err);

	if (o->reasons)
		json_object_set_new(body, "reasons", json_string(o->reasons));
	if (json_array_size(o->withhold))
		json_object_set(body, "withhold", o->withhold);
	if (rc == 0)
		rc = copies_decide(a, p, by, id, body, out, err);
	json_decref(body);
	return rc;
}

static int do_list(struct access *a, const struct principal *p,
		   const struct actor *by, const struct copy_opts *o,
		   const char *id, json_t **out, struct error *err)
{
	struct copy_query q = { o->case_id, o->status, o->offset, o->limit };
	struct access_target t = { .case_id = o->case_id };
	int rc = 0;

	(void)by, (void)id;
	/* Without a case, the list shows only what the user may see. */
	if (o->case_id)
		rc = access_decide(a, p, ACT_COPY_READ, &t, err);
	if (rc == 0)
		rc = copies_sweep(a, ledger_now_ms(), NULL, err);
	return rc ? rc : copies_list(a, p, &q, out, err);
}

static int do_show(struct access *a, const struct principal *p,
		   const struct actor *by, const struct copy_opts *o,
		   const char *id, json_t **out, struct error *err)
{
	int rc = copies_get(a, id, out, err);

	(void)by, (void)o;
	if (rc == 0)
		rc = copies_visible(a, p, *out, err);
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/* Copies the tar open at in to a new file. */
static int write_copy(int in, const char *to, struct error *err)
{
	char chunk[65536];
	ssize_t n = 0;
	int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int rc = 0;

	if (out < 0)
		return error_set(err, CT_EIO, "cannot create '%s': %s", to,
				 strerror(errno));
	while (rc == 0 && (n = read(in, chunk, sizeof(chunk))) > 0)
		if (write(out, chunk, (size_t)n) != n)
			rc = error_set(err, CT_EIO, "cannot write '%s': %s",
				       to, strerror(errno));
	if (rc == 0 && (n < 0 || fsync(out) != 0))
		rc = error_set(err, CT_EIO, "cannot write '%s': %s", to,
			       strerror(errno));
	close(out);
	if (rc)
		unlink(to);
	return rc;
}

static int do_make(struct access *a, const struct principal *p,
		   const struct actor *by, const struct copy_opts *o,
		   const char *id, json_t **out, struct error *err)
{
	json_t *row = NULL;
	struct access_target t = { 0 };
	int fd = -1, rc = copies_get(a, id, &row, err);

	if (rc == 0)
		t.case_id = json_string_value(json_object_get(row, "case"));
	if (rc == 0)
		rc = access_decide(a, p, ACT_COPY_READ, &t, err);
	json_decref(row);
	/* Before a copy is recorded, which a file in the way would waste. */
	if (rc == 0 && access(o->out, F_OK) == 0)
		rc = error_set(err, CT_EEXIST, "'%s' exists; copy make writes "
			       "a new file", o->out);
	if (rc == 0)
		rc = copies_make(a, p, by, id, &fd, out, err);
	if (rc == 0)
		rc = write_copy(fd, o->out, err);
	if (fd >= 0)
		close(fd);
	return rc;
}

/*
 * copy stamp-media IN OUT: the child process of stamp_av_run, which
 * remuxes an audio or video file with the mark read from standard input.
 * Not for people: the copy set calls it.
 */
static int stamp_media(int argc, char **argv)
{
	struct rlimit cpu = { STAMP_CPU_SECONDS, STAMP_CPU_SECONDS };
	struct error err = { 0 };
	char mark[PIPE_BUF];
	size_t len = 0;
	ssize_t n;

	if (argc != 4)
		return cli_usage("copy", "copy stamp-media takes IN and OUT");
	setrlimit(RLIMIT_CPU, &cpu);
	while (len < sizeof(mark) - 1 &&
	       (n = read(STDIN_FILENO, mark + len, sizeof(mark) - 1 - len)) > 0)
		len += (size_t)n;
	mark[len] = '\0';
	if (!len)
		return cli_usage("copy", "copy stamp-media reads the mark from "
				 "standard input");
	if (stamp_av(argv[2], argv[3], mark, &err) != 0)
		return cli_fail(&err);
	return EXIT_OK;
}

int cmd_copy(int argc, char **argv)
{
	static const struct {
		const char *name;
		copy_fn fn;
		bool takes_id;
	} subs[] = {
		{ "request", do_request, false }, { "decide", do_decide, true },
		{ "list", do_list, false },       { "show", do_show, true },
		{ "make", do_make, true },
	};
	struct copy_opts o = { .withhold = json_array() };
	const char *id = NULL;
	size_t i;
	int rc;

	if (argc < 2 || !strcmp(argv[1], "--help")) {
		fputs(copy_help, argc < 2 ? stderr : stdout);
		json_decref(o.withhold);
		return argc < 2 ? EXIT_ERROR : EXIT_OK;
	}
	if (!strcmp(argv[1], "stamp-media")) {
		json_decref(o.withhold);
		return stamp_media(argc, argv);
	}
	for (i = 0; i < ARRAY_SIZE(subs) && strcmp(subs[i].name, argv[1]); i++)
		;
	if (i == ARRAY_SIZE(subs)) {
		json_decref(o.withhold);
		return cli_usage("copy", "unknown subcommand '%s'; use "
				 "request, decide, list, show or make",
				 argv[1]);
	}
	rc = parse_copy(argc - 1, argv + 1, &o);
	if (rc == 0 && subs[i].takes_id) {
		if (optind != argc - 2)
			rc = cli_usage("copy", "copy %s takes one request id, "
				       "such as 2026-1", subs[i].name);
		else
			id = argv[1 + optind];
	} else if (rc == 0 && optind != argc - 1) {
		rc = cli_usage("copy", "unexpected argument '%s'",
			       argv[1 + optind]);
	}
	if (rc == 0 && !strcmp(subs[i].name, "request") &&
	    (!o.case_id || !o.records || !o.purpose))
		rc = cli_usage("copy", "copy request needs --case, --records "
			       "and --purpose");
	if (rc == 0 && !strcmp(subs[i].name, "decide") &&
	    o.approve == o.reject)
		rc = cli_usage("copy", "copy decide needs --approve or "
			       "--reject");
	if (rc == 0 && !strcmp(subs[i].name, "make") && !o.out)
		rc = cli_usage("copy", "copy make needs --out FILE");
	if (rc == 0)
		rc = run(&o, id, subs[i].fn);
	json_decref(o.withhold);
	return rc < 0 ? EXIT_OK : rc;
}

/* --- the status inquiry --------------------------------------------------- */

static const char inquiry_help[] =
	"Usage: casetrail inquiry code CASE\n"
	"       casetrail inquiry status CASE CODE\n"
	"       casetrail inquiry serve --listen ADDR:PORT\n"
	"                               [--trusted-proxy ADDR]...\n"
	"\n"
	"code prints the inquiry code of a case, which the receipt shows\n"
	"(the same on every re-print; also 'casetrail case inquiry-code').\n"
	"status prints what the inquiry shows for CASE and CODE: stage,\n"
	"deadlines and the documents served, no personal information.\n"
	"serve runs the inquiry alone on its own address, for the public,\n"
	"until SIGINT or SIGTERM: GET / is a form, POST /status its answer\n"
	"and POST /api/status takes {\"case\", \"code\"} as JSON. Every other\n"
	"path answers 404.\n"
	"\n"
	"  --dir DIR            the store (default $CASETRAIL_DIR)\n"
	"  --data DIR           the bureau data (default $CASETRAIL_DATA)\n"
	"  --listen ADDR:PORT   the inquiry's address (port 0 picks a free\n"
	"                       port; [::1]:PORT for IPv6)\n"
	"  --trusted-proxy ADDR a reverse proxy in front: its requests count\n"
	"                       as coming from the last X-Forwarded-For\n"
	"                       address (up to 8)\n";

struct inquiry_args {
	const char *dir, *data;
	struct inquiry_options serve;
};

static int parse_inquiry(int argc, char **argv, struct inquiry_args *ia)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "data", required_argument, NULL, OPT_DATA },
		{ "listen", required_argument, NULL, 'l' },
		{ "trusted-proxy", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case OPT_DIR: ia->dir = optarg; break;
		case OPT_DATA: ia->data = optarg; break;
		case 'l': ia->serve.listen_addr = optarg; break;
		case 'p':
			if (ia->serve.trusted_proxy_count ==
			    HTTP_TRUSTED_PROXIES_MAX)
				return cli_usage("inquiry", "--trusted-proxy "
						 "may be given at most %d "
						 "times",
						 HTTP_TRUSTED_PROXIES_MAX);
			ia->serve.trusted_proxies
				[ia->serve.trusted_proxy_count++] = optarg;
			break;
		case OPT_HELP: fputs(inquiry_help, stdout); return -1;
		default: return cli_bad_option("inquiry", argv);
		}
	}
	return 0;
}

static int inquiry_code_of(const struct inquiry_args *ia, const char *id)
{
	char code[INQUIRY_CODE_LEN + 1];
	struct error err = { 0 };
	struct ledger *l;
	struct cases *c;
	int rc;

	if (cli_open_cases(ia->dir, ia->data, 0, &l, &c) != 0)
		return EXIT_ERROR;
	rc = inquiry_code(cli_access(), id, code, &err);
	cli_close_cases(l, c);
	if (rc)
		return cli_fail(&err);
	printf("%s\n", code);
	return EXIT_OK;
}

static int inquiry_status_of(const struct inquiry_args *ia, const char *id,
			     const char *code)
{
	struct error err = { 0 };
	json_t *out = NULL;
	struct ledger *l;
	struct cases *c;
	int rc;

	if (cli_open_cases(ia->dir, ia->data, 0, &l, &c) != 0)
		return EXIT_ERROR;
	rc = inquiry_status(cli_access(), id, code, &out, NULL, &err);
	cli_close_cases(l, c);
	if (rc)
		return cli_fail(&err);
	cli_print_json(out);
	return EXIT_OK;
}

static int inquiry_run_server(struct inquiry_args *ia)
{
	struct error err = { 0 };

	if (!ia->serve.listen_addr)
		return cli_usage("inquiry", "inquiry serve needs --listen "
				 "ADDR:PORT");
	if (inquiry_serve(cli_store_dir(ia->dir), cli_data_dir(ia->data),
			  &ia->serve, &err) != 0)
		return cli_fail(&err);
	return EXIT_OK;
}

int cmd_inquiry(int argc, char **argv)
{
	struct inquiry_args ia = { 0 };
	int rc, args;

	if (argc < 2 || !strcmp(argv[1], "--help")) {
		fputs(inquiry_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_ERROR : EXIT_OK;
	}
	rc = parse_inquiry(argc - 1, argv + 1, &ia);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	args = argc - 1 - optind;
	if (!strcmp(argv[1], "code") && args == 1)
		return inquiry_code_of(&ia, argv[1 + optind]);
	if (!strcmp(argv[1], "status") && args == 2)
		return inquiry_status_of(&ia, argv[1 + optind],
					 argv[2 + optind]);
	if (!strcmp(argv[1], "serve") && args == 0) {
		cli_setup_logging(1);
		return inquiry_run_server(&ia);
	}
	return cli_usage("inquiry", "use 'inquiry code CASE', 'inquiry status "
			 "CASE CODE' or 'inquiry serve --listen ADDR:PORT'");
}

int cmd_case_inquiry_code(int argc, char **argv)
{
	struct inquiry_args ia = { 0 };
	int rc = parse_inquiry(argc, argv, &ia);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (optind != argc - 1)
		return cli_usage("case", "case inquiry-code takes one case id");
	return inquiry_code_of(&ia, argv[optind]);
}
