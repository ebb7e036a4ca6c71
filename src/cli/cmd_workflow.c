/*
 * More workflow commands: token, findings, calendar import, import of
 * historical cases, rebuild of the projections, and the listings of the
 * bureau data (matters, kinds). The user command is in cmd_user.c.
 */
#include "common/common.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cases/cases.h"
#include "cases/rules.h"
#include "cli.h"

/* Parses --dir, --data, --as, --json and --help; other options fail. */
struct wf_opts {
	const char *dir, *data, *as;
	int json;
};

static int parse_common(const char *command, const char *help, int argc,
			char **argv, struct wf_opts *o,
			const struct option *extra, int (*on_extra)(int, void *),
			void *ctx)
{
	struct option opts[24] = {
		{ "dir", required_argument, NULL, 1000 },
		{ "data", required_argument, NULL, 1001 },
		{ "as", required_argument, NULL, 1002 },
		{ "json", no_argument, NULL, 1003 },
		{ "help", no_argument, NULL, 1004 },
	};
	size_t n = 5;
	int ch;

	for (; extra && extra[n - 5].name && n < 23; n++)
		opts[n] = extra[n - 5];
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 1000: o->dir = optarg; break;
		case 1001: o->data = optarg; break;
		case 1002: o->as = optarg; break;
		case 1003: o->json = 1; break;
		case 1004: fputs(help, stdout); return -1;
		default:
			if (ch == '?' || ch == ':' || !on_extra ||
			    on_extra(ch, ctx) != 0)
				return ch == '?' || ch == ':'
					       ? cli_bad_option(command, argv)
					       : EXIT_ERROR;
		}
	}
	return 0;
}

/* --- tokens ------------------------------------------------------------- */

static const char token_help[] =
	"Usage: casetrail token create --user NAME [--expires-in DAYS]\n"
	"       casetrail token list [--json]\n"
	"       casetrail token revoke SEQ\n"
	"\n"
	"create makes a bearer token for the HTTP API and prints it once, with\n"
	"the token's seq on standard error. Only its hash is stored; a lost\n"
	"token cannot be shown again, so create a new one. --expires-in sets\n"
	"how many days it is valid (default 90, at most 3650). list shows every\n"
	"token by seq, user, expiry and revocation, never the token. revoke\n"
	"ends the token created by entry SEQ; a running server stops taking it\n"
	"within a fraction of a second.\n"
	"\n"
	"  --dir DIR      the store (default $CASETRAIL_DIR, else ./var/casetrail)\n"
	"  --as USER      the acting staff member (default the OS user)\n";

struct token_args {
	const char *user;
	int days;
};

static int token_opt(int ch, void *ctx)
{
	struct token_args *ta = ctx;
	uint64_t v;

	if (ch == 'u') {
		ta->user = optarg;
		return 0;
	}
	if (ch == 'e') {
		if (cli_parse_u64("--expires-in", optarg, &v) != 0)
			return -1;
		if (v < 1 || v > CASES_TOKEN_DAYS_MAX) {
			cli_usage("token", "--expires-in takes 1 to %d days",
				  CASES_TOKEN_DAYS_MAX);
			return -1;
		}
		ta->days = (int)v;
		return 0;
	}
	return -1;
}

static int token_create(struct cases *c, const struct token_args *ta,
			const struct actor *by)
{
	char token[CASES_TOKEN_MAX];
	struct error err = { 0 };
	uint64_t seq;

	if (cases_token_create(c, ta->user, ta->days, by, token, &seq,
			       &err) != 0)
		return cli_fail(&err);
	puts(token);
	fprintf(stderr, "token seq %" PRIu64 ", valid for %d days\n", seq,
		ta->days);
	memset(token, 0, sizeof(token));
	return EXIT_OK;
}

static int token_list(struct cases *c, int as_json)
{
	struct error err = { 0 };
	json_t *out = NULL, *t;
	size_t i;

	if (cases_token_list(c, &out, &err) != 0)
		return cli_fail(&err);
	if (as_json) {
		cli_print_json(out);
		return EXIT_OK;
	}
	printf("%-8s %-20s %-26s %s\n", "SEQ", "USER", "EXPIRES", "STATE");
	json_array_foreach(json_object_get(out, "items"), i, t)
		printf("%-8" JSON_INTEGER_FORMAT " %-20s %-26s %s\n",
		       json_integer_value(json_object_get(t, "seq")),
		       json_string_value(json_object_get(t, "user")),
		       json_string_value(json_object_get(t, "expires")) ?: "-",
		       json_is_null(json_object_get(t, "revoked_by"))
			       ? "live"
			       : "revoked");
	json_decref(out);
	return EXIT_OK;
}

int cmd_token(int argc, char **argv)
{
	static const struct option extra[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "expires-in", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	struct token_args ta = { NULL, 90 };
	struct wf_opts o = { 0 };
	struct error err = { 0 };
	const char *sub = argc >= 2 ? argv[1] : "";
	struct ledger *l;
	struct cases *c;
	uint64_t seq = 0;
	int r;

	if (!strcmp(sub, "--help")) {
		fputs(token_help, stdout);
		return EXIT_OK;
	}
	if (strcmp(sub, "create") && strcmp(sub, "list") &&
	    strcmp(sub, "revoke"))
		return cli_usage("token", "expected 'token create', 'token "
				 "list' or 'token revoke SEQ'");
	r = parse_common("token", token_help, argc - 1, argv + 1, &o, extra,
			 token_opt, &ta);
	if (r)
		return r < 0 ? EXIT_OK : r;
	if (!strcmp(sub, "create") && (!ta.user || optind != argc - 1))
		return cli_usage("token", "token create needs --user NAME");
	if (!strcmp(sub, "list") && optind != argc - 1)
		return cli_usage("token", "token list takes no argument");
	if (!strcmp(sub, "revoke") &&
	    (optind != argc - 2 ||
	     cli_parse_u64("seq", argv[optind + 1], &seq) != 0))
		return cli_usage("token", "token revoke takes one SEQ");
	if (cli_open_cases(o.dir, o.data, 0, &l, &c) != 0)
		return EXIT_ERROR;
	struct actor by = { cli_actor(o.as), cli_os_user() };

	if (!strcmp(sub, "create"))
		r = token_create(c, &ta, &by);
	else if (!strcmp(sub, "list"))
		r = token_list(c, o.json);
	else if (cases_token_revoke(c, seq, &by, &err) != 0)
		r = cli_fail(&err);
	else
		cli_print_json(json_pack("{s:I}", "revoked", (json_int_t)seq));
	cli_close_cases(l, c);
	return r;
}

/* --- findings ------------------------------------------------------------ */

static const char findings_help[] =
	"Usage: casetrail findings [--case ID] [--code CODE] [--open]\n"
	"                          [--offset N] [--limit N] [--json]\n"
	"       casetrail findings --rules [--json]\n"
	"\n"
	"Re-evaluates the deadlines of open cases, then lists compliance\n"
	"findings, newest first: code, case, record, responsible person and\n"
	"superior, the rule, and when it was detected and cured. --open keeps\n"
	"the ones not cured. --rules lists the rule registry instead: each\n"
	"code's severity, the article it enforces, its statement in Chinese\n"
	"and English, who is responsible and what cures it.\n";

struct findings_args {
	struct finding_query q;
	int bad;
	int rules;
};

static int findings_extra(int ch, void *ctx)
{
	struct findings_args *fa = ctx;
	uint64_t v;

	switch (ch) {
	case 'c': fa->q.case_id = optarg; return 0;
	case 'k': fa->q.code = optarg; return 0;
	case 'o': fa->q.open_only = 1; return 0;
	case 'r': fa->rules = 1; return 0;
	case 'f':
		if (cli_parse_u64("--offset", optarg, &v))
			return -1;
		fa->q.offset = (size_t)v;
		return 0;
	case 'l':
		if (cli_parse_u64("--limit", optarg, &v))
			return -1;
		if (v == 0 || v > 500) {
			cli_usage("findings", "--limit takes 1 to 500");
			return -1;
		}
		fa->q.limit = (size_t)v;
		return 0;
	}
	return -1;
}

/* Prints the rule registry (cases/rules.h); needs no store. */
static int print_rules(int json)
{
	json_t *out = finding_rules_json(), *r;
	size_t i;

	if (json) {
		cli_print_json(out);
		return EXIT_OK;
	}
	json_array_foreach(json_object_get(out, "items"), i, r) {
		printf("%s (%s, %s)\n  %s\n  %s\n  responsible: %s\n  cured by: %s\n",
		       json_string_value(json_object_get(r, "code")),
		       json_string_value(json_object_get(r, "severity")),
		       json_string_value(json_object_get(r, "basis")),
		       json_string_value(json_object_get(
			       json_object_get(r, "statement"), "zh")),
		       json_string_value(json_object_get(
			       json_object_get(r, "statement"), "en")),
		       json_string_value(json_object_get(r, "responsible")),
		       json_string_value(json_object_get(r, "cure"))
			       ?: "not curable");
	}
	json_decref(out);
	return EXIT_OK;
}

int cmd_findings(int argc, char **argv)
{
	static const struct option extra[] = {
		{ "case", required_argument, NULL, 'c' },
		{ "code", required_argument, NULL, 'k' },
		{ "open", no_argument, NULL, 'o' },
		{ "offset", required_argument, NULL, 'f' },
		{ "limit", required_argument, NULL, 'l' },
		{ "rules", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct findings_args fa = { .q.sweep = 1 };
	struct wf_opts o = { 0 };
	struct error err = { 0 };
	json_t *out = NULL, *f;
	struct ledger *l;
	struct cases *c;
	size_t i;
	int r = parse_common("findings", findings_help, argc, argv, &o, extra,
			     findings_extra, &fa);

	if (r)
		return r < 0 ? EXIT_OK : r;
	if (optind != argc)
		return cli_usage("findings", "unexpected argument '%s'",
				 argv[optind]);
	if (fa.rules)
		return print_rules(o.json);
	if (cli_open_cases(o.dir, o.data, 0, &l, &c) != 0)
		return EXIT_ERROR;
	r = cases_findings(c, &fa.q, &out, &err);
	cli_close_cases(l, c);
	if (r)
		return cli_fail(&err);
	if (o.json) {
		cli_print_json(out);
		return EXIT_OK;
	}
	printf("%-6s %-12s %-26s %-6s %-12s %s\n", "ID", "CASE", "CODE",
	       "RECORD", "RESPONSIBLE", "STATE");
	json_array_foreach(json_object_get(out, "items"), i, f)
		printf("%-6" JSON_INTEGER_FORMAT " %-12s %-26s %-6s %-12s %s\n",
		       json_integer_value(json_object_get(f, "id")),
		       json_string_value(json_object_get(f, "case")) ?: "-",
		       json_string_value(json_object_get(f, "code")),
		       json_is_integer(json_object_get(f, "record")) ? "yes"
								     : "-",
		       json_string_value(json_object_get(f, "responsible"))
			       ?: "-",
		       json_is_null(json_object_get(f, "cured")) ? "open"
								 : "cured");
	json_decref(out);
	return EXIT_OK;
}

/* --- calendar, import, rebuild ------------------------------------------- */

static const char calendar_help[] =
	"Usage: casetrail calendar import FILE.json\n"
	"       casetrail calendar show [--json]\n"
	"\n"
	"import adds or replaces one year of the official working-day\n"
	"calendar (the holiday-cn format: {year, papers, days}) as an entry in\n"
	"the log, recomputes the deadlines of open cases and records which\n"
	"moved. A time-limit notice already given keeps its date.\n";

int cmd_calendar(int argc, char **argv)
{
	struct wf_opts o = { 0 };
	struct error err = { 0 };
	json_t *file = NULL, *out = NULL;
	struct ledger *l;
	struct cases *c;
	int show, r;

	if (argc < 2 || (strcmp(argv[1], "import") && strcmp(argv[1], "show"))) {
		if (argc >= 2 && !strcmp(argv[1], "--help")) {
			fputs(calendar_help, stdout);
			return EXIT_OK;
		}
		return cli_usage("calendar", "expected 'calendar import FILE' or "
				 "'calendar show'");
	}
	show = !strcmp(argv[1], "show");
	r = parse_common("calendar", calendar_help, argc - 1, argv + 1, &o,
			 NULL, NULL, NULL);
	if (r)
		return r < 0 ? EXIT_OK : r;
	if (optind + (show ? 0 : 1) != argc - 1)
		return cli_usage("calendar", show ? "calendar show takes no "
				 "argument" : "calendar import takes one FILE");
	if (!show && cli_read_json("calendar file", argv[optind + 1],
				    &file) != 0)
		return EXIT_ERROR;
	if (cli_open_cases(o.dir, o.data, 0, &l, &c) != 0) {
		json_decref(file);
		return EXIT_ERROR;
	}
	struct actor by = { cli_actor(o.as), cli_os_user() };

	r = show ? cases_calendar(c, &out, &err)
		 : cases_calendar_import(c, file, argv[optind + 1], &by, &out,
					 &err);
	cli_close_cases(l, c);
	json_decref(file);
	if (r)
		return cli_fail(&err);
	cli_print_json(out);
	return EXIT_OK;
}

static const char import_help[] =
	"Usage: casetrail import FILE.jsonl\n"
	"\n"
	"Imports historical cases and records, one JSON object per line:\n"
	"  {\"op\":\"case\",\"matter\",\"applicant\",\"received\",...,\"as\"}\n"
	"  {\"op\":\"record\",\"case\",\"kind\",\"fields\",\"at\",\"as\",\"attach\"}\n"
	"A \"case\" field of a record may be \"$N\": the case opened on line N.\n"
	"\"attach\" lists files (scans, photos, recordings) by paths relative to\n"
	"the folder of FILE.jsonl, which they may not leave. Each line is\n"
	"applied whole or not at all; the report lists each failed line with\n"
	"its error, and the exit status is 2 if any failed.\n";

#define IMPORT_ATTACH_MAX 64

/* Checks an attach path: relative, no "..", inside the import folder. */
static int attach_path_ok(const char *path, struct error *err)
{
	const char *p = path;

	if (!path[0] || path[0] == '/')
		return error_set(err, CT_EINVAL, "attach path '%s' must be "
				 "relative to the folder of the import file",
				 path);
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 2 && !strncmp(p, "..", 2))
			return error_set(err, CT_EINVAL, "attach path '%s' "
					 "leaves the folder of the import file "
					 "('..'); move the file inside it",
					 path);
		p += n + (p[n] == '/');
	}
	return 0;
}

/*
 * Opens path below dir_fd only: openat2 with RESOLVE_BENEATH refuses a
 * symbolic link that leads out of the folder too. Kernels before 5.6
 * lack it; there a symbolic link as the last component is refused. The
 * open does not block, so that a FIFO is rejected by the caller's check
 * for a regular file instead of waiting for a writer.
 */
static int open_beneath(int dir_fd, const char *path)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK,
				.resolve = RESOLVE_BENEATH };
	long fd = syscall(SYS_openat2, dir_fd, path, &how, sizeof(how));

	if (fd < 0 && errno == ENOSYS)
		return openat(dir_fd, path,
			      O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	return (int)fd;
}

/* Streams the files a line's "attach" names into the blob store. */
static int import_attach(struct ledger *l, const json_t *line, int dir_fd,
			 struct ledger_attachment *atts, size_t *n,
			 struct error *err)
{
	json_t *list = json_object_get(line, "attach"), *item;
	size_t i;

	*n = 0;
	if (list && (!json_is_array(list) ||
		     json_array_size(list) > IMPORT_ATTACH_MAX))
		return error_set(err, CT_EINVAL, "member 'attach' must be a "
				 "list of at most %d file paths",
				 IMPORT_ATTACH_MAX);
	json_array_foreach(list, i, item) {
		const char *path = json_string_value(item);
		struct stat st;
		int fd, rc;

		if (!path)
			return error_set(err, CT_EINVAL, "attach[%zu] must be a "
					 "file path", i);
		if (attach_path_ok(path, err))
			return CT_EINVAL;
		fd = open_beneath(dir_fd, path);
		if (fd < 0 && errno == EXDEV)
			return error_set(err, CT_EINVAL, "attach '%s' is a "
					 "symbolic link out of the folder of "
					 "the import file; copy the file in",
					 path);
		if (fd < 0)
			return error_set(err, CT_EINVAL, "cannot open attach "
					 "'%s': %s", path, strerror(errno));
		if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
			close(fd);
			return error_set(err, CT_EINVAL, "attach '%s' is not a "
					 "regular file; attach files only",
					 path);
		}
		fcntl(fd, F_SETFL, 0);
		rc = ledger_attach_fd(l, fd, path, &atts[i], err);
		close(fd);
		if (rc)
			return rc;
		(*n)++;
	}
	return 0;
}

struct import_run {
	struct ledger *l;
	struct cases *c;
	struct actor by;
	int dir_fd;
	json_t *opened; /* line number -> case id */
	size_t ok, failed;
};

/* Checks a record line that attaches files before they are streamed. */
static int import_precheck(struct import_run *ir, const json_t *v,
			   struct error *err)
{
	json_t *attach = json_object_get(v, "attach");
	const char *as = json_string_value(json_object_get(v, "as"));
	struct actor who = { as ? as : ir->by.user, ir->by.os_user };
	struct record_request q = { 0 };

	if (!json_is_array(attach) || json_array_size(attach) == 0 ||
	    strcmp(json_string_value(json_object_get(v, "op")) ?: "",
		   "record"))
		return 0;
	q.case_id = json_string_value(json_object_get(v, "case"));
	q.kind = json_string_value(json_object_get(v, "kind"));
	q.fields = json_object_get(v, "fields");
	q.nattachments = json_array_size(attach);
	if (!json_is_object(q.fields))
		return error_set(err, CT_EINVAL, "member 'fields' must be an "
				 "object");
	/* The event time is checked by the import itself. */
	return cases_record_check(ir->c, &q, &who, err);
}

static void import_one(struct import_run *ir, size_t lineno, json_t *v)
{
	struct ledger_attachment atts[IMPORT_ATTACH_MAX];
	struct error err = { 0 };
	const char *ref = json_string_value(json_object_get(v, "case"));
	json_t *out = NULL;
	size_t natts = 0;
	char key[32];
	int rc;

	if (ref && ref[0] == '$') {
		json_t *id = json_object_get(ir->opened, ref + 1);

		if (!id) {
			fprintf(stderr, "line %zu: case '%s' names line %s, "
				"which opened no case\n", lineno, ref, ref + 1);
			ir->failed++;
			return;
		}
		json_object_set(v, "case", id);
	}
	/* A record that will fail stores no attachment either. */
	rc = import_precheck(ir, v, &err);
	if (rc == 0)
		rc = import_attach(ir->l, v, ir->dir_fd, atts, &natts, &err);
	if (rc == 0)
		rc = cases_import_line(ir->c, v, atts, natts, &ir->by, &out,
				       &err);
	if (rc) {
		fprintf(stderr, "line %zu: %s\n", lineno, err.msg);
		ir->failed++;
		return;
	}
	snprintf(key, sizeof(key), "%zu", lineno);
	if (json_object_get(out, "id") && !json_object_get(out, "seq"))
		json_object_set(ir->opened, key, json_object_get(out, "id"));
	ir->ok++;
	json_decref(out);
}

/* Opens the folder of the import file, for its attachments. */
static int open_import_dir(const char *file)
{
	char *copy = strdup(file);
	char *slash = copy ? strrchr(copy, '/') : NULL;
	int fd;

	if (!copy)
		return -1;
	if (!strcmp(file, "-") || !slash)
		fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	else {
		slash[1] = '\0';
		fd = open(copy, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	free(copy);
	return fd;
}

int cmd_import(int argc, char **argv)
{
	struct wf_opts o = { 0 };
	struct import_run ir = { 0 };
	size_t lineno = 0, cap = 0;
	char *line = NULL;
	ssize_t n;
	FILE *in;
	int r = parse_common("import", import_help, argc, argv, &o, NULL, NULL,
			     NULL);

	if (r)
		return r < 0 ? EXIT_OK : r;
	if (optind + 1 != argc)
		return cli_usage("import", "import takes one FILE.jsonl");
	in = strcmp(argv[optind], "-") ? fopen(argv[optind], "re") : stdin;
	if (!in)
		return cli_failf("cannot open '%s': %s", argv[optind],
				 strerror(errno));
	ir.dir_fd = open_import_dir(argv[optind]);
	if (ir.dir_fd < 0 ||
	    cli_open_cases(o.dir, o.data, 0, &ir.l, &ir.c) != 0) {
		if (ir.dir_fd < 0)
			cli_failf("cannot open the folder of '%s': %s",
				  argv[optind], strerror(errno));
		else
			close(ir.dir_fd);
		if (in != stdin)
			fclose(in);
		return EXIT_ERROR;
	}
	ir.by.user = cli_actor(o.as);
	ir.by.os_user = cli_os_user();
	ir.opened = json_object();
	while ((n = getline(&line, &cap, in)) > 0) {
		json_error_t jerr;
		json_t *v;

		lineno++;
		if (n == 1 && line[0] == '\n')
			continue;
		v = json_loadb(line, (size_t)n, JSON_REJECT_DUPLICATES, &jerr);
		if (!v) {
			fprintf(stderr, "line %zu: invalid JSON: %s (column "
				"%d)\n", lineno, jerr.text, jerr.column);
			ir.failed++;
			continue;
		}
		import_one(&ir, lineno, v);
		json_decref(v);
	}
	free(line);
	if (in != stdin)
		fclose(in);
	close(ir.dir_fd);
	cli_close_cases(ir.l, ir.c);
	cli_print_json(json_pack("{s:I, s:I, s:I, s:o}", "lines",
				 (json_int_t)lineno, "imported",
				 (json_int_t)ir.ok, "failed",
				 (json_int_t)ir.failed, "cases", ir.opened));
	return ir.failed ? EXIT_ERROR : EXIT_OK;
}

static const char rebuild_help[] =
	"Usage: casetrail rebuild\n"
	"\n"
	"Recreates every projection (cases, records, users, tokens, findings,\n"
	"calendar) from the log alone, compares it with what was there and\n"
	"prints whether they match, with the differing rows. Exit status 1\n"
	"when they differ (the rebuilt projection is kept).\n";

int cmd_rebuild(int argc, char **argv)
{
	struct wf_opts o = { 0 };
	struct error err = { 0 };
	json_t *out = NULL;
	struct ledger *l;
	struct cases *c;
	int match, r = parse_common("rebuild", rebuild_help, argc, argv, &o,
				    NULL, NULL, NULL);

	if (r)
		return r < 0 ? EXIT_OK : r;
	if (optind != argc)
		return cli_usage("rebuild", "rebuild takes no argument");
	if (cli_open_cases(o.dir, o.data, 0, &l, &c) != 0)
		return EXIT_ERROR;
	r = cases_rebuild(c, &out, &err);
	cli_close_cases(l, c);
	if (r)
		return cli_fail(&err);
	match = json_is_true(json_object_get(out, "match"));
	cli_print_json(out);
	return match ? EXIT_OK : EXIT_PROBLEM;
}

/* --- bureau data --------------------------------------------------------- */

static const char data_help[] =
	"Usage: casetrail matters [CODE] [--json]\n"
	"       casetrail kinds [CODE] [--json]\n"
	"\n"
	"Lists the matter catalogue or the record kinds of the bureau data,\n"
	"or prints one in full as JSON.\n";

static int list_data(int argc, char **argv, int kinds)
{
	struct wf_opts o = { 0 };
	const json_t *root, *item;
	struct ledger *l;
	struct cases *c;
	size_t i;
	int r = parse_common(argv[0], data_help, argc, argv, &o, NULL, NULL,
			     NULL);

	if (r)
		return r < 0 ? EXIT_OK : r;
	if (optind + 1 < argc)
		return cli_usage(argv[0], "unexpected argument '%s'",
				 argv[optind + 1]);
	if (cli_open_cases(o.dir, o.data, LEDGER_READONLY, &l, &c) != 0)
		return EXIT_ERROR;
	root = json_object_get(kinds ? cases_kinds(c) : cases_matters(c),
			       kinds ? "kinds" : "matters");
	r = optind < argc ? EXIT_ERROR : EXIT_OK;
	json_array_foreach(root, i, item) {
		const char *code = json_string_value(json_object_get(item,
								     "code"));

		if (optind < argc) {
			if (strcmp(code, argv[optind]))
				continue;
			cli_print_json(json_incref((json_t *)item));
			r = EXIT_OK;
			break;
		}
		if (o.json)
			continue;
		printf("%-28s %-14s %s\n", code,
		       json_string_value(json_object_get(
			       item, kinds ? "stage" : "type")),
		       json_string_value(json_object_get(item, "name")));
	}
	if (optind == argc && o.json)
		cli_print_json(json_incref((json_t *)root));
	cli_close_cases(l, c);
	if (r)
		cli_failf("%s '%s' not found; run 'casetrail %s' for the list",
			  kinds ? "kind" : "matter", argv[optind], argv[0]);
	return r;
}

int cmd_matters(int argc, char **argv)
{
	return list_data(argc, argv, 0);
}

int cmd_kinds(int argc, char **argv)
{
	return list_data(argc, argv, 1);
}
