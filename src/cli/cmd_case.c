/*
 * Workflow commands: case, user, token, findings, calendar, import,
 * rebuild, matters and kinds. Each opens the store and the bureau data,
 * which brings the projections up to the log's end.
 */
#include "common/common.h"

#include "access/access.h"
#include "cases/cases.h"
#include "cli.h"
#include "common/jcs.h"
#include "deadlines/deadlines.h"

int cli_read_json(const char *what, const char *path, json_t **out)
{
	json_error_t jerr;

	*out = !strcmp(path, "-")
		       ? json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr)
		       : json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!*out)
		return cli_failf("%s '%s': %s (line %d, column %d)", what, path,
				 jerr.text, jerr.line, jerr.column);
	return 0;
}

/* The access module of the store cli_open_cases opened. */
static struct access *cli_acc;

int cli_open_cases(const char *dir, const char *data, unsigned flags,
		   struct ledger **l, struct cases **c)
{
	struct error err = { 0 };

	*l = NULL;
	*c = NULL;
	if (ledger_open(cli_store_dir(dir), flags, l, &err) != 0)
		return cli_fail(&err);
	if (access_open(*l, cli_data_dir(data), NULL, &cli_acc, &err) != 0) {
		ledger_close(*l);
		*l = NULL;
		return cli_fail(&err);
	}
	*c = access_cases(cli_acc);
	return 0;
}

void cli_close_cases(struct ledger *l, struct cases *c)
{
	(void)c;
	access_close(cli_acc);
	cli_acc = NULL;
	ledger_close(l);
}

struct access *cli_access(void)
{
	return cli_acc;
}

/* Options every workflow command takes. */
struct common_opts {
	const char *dir, *data, *as;
	int json;
};

enum { OPT_DIR = 1000, OPT_DATA, OPT_AS, OPT_JSON, OPT_HELP };

#define COMMON_OPTIONS                                        \
	{ "dir", required_argument, NULL, OPT_DIR },          \
	{ "data", required_argument, NULL, OPT_DATA },        \
	{ "as", required_argument, NULL, OPT_AS },            \
	{ "json", no_argument, NULL, OPT_JSON },              \
	{ "help", no_argument, NULL, OPT_HELP }

/* Handles a common option; returns 1 if c was one, -1 for --help. */
static int common_opt(int c, struct common_opts *o, const char *help)
{
	switch (c) {
	case OPT_DIR: o->dir = optarg; return 1;
	case OPT_DATA: o->data = optarg; return 1;
	case OPT_AS: o->as = optarg; return 1;
	case OPT_JSON: o->json = 1; return 1;
	case OPT_HELP: fputs(help, stdout); return -1;
	}
	return 0;
}

static struct actor actor_of(const struct common_opts *o)
{
	struct actor a = { cli_actor(o->as), cli_os_user() };

	return a;
}

static int parse_size(const char *what, const char *text, size_t *out)
{
	uint64_t v;

	if (cli_parse_u64(what, text, &v) != 0)
		return EXIT_ERROR;
	*out = (size_t)v;
	return 0;
}

/* --- case ---------------------------------------------------------------- */

static const char case_help[] =
	"Usage: casetrail case new --matter CODE --applicant NAME\n"
	"                          [--applicant-id CODE] --received DATE\n"
	"                          [--channel window|oral|online|mail]\n"
	"                          [--contact PHONE] [--address TEXT]\n"
	"                          [--materials CODE[,CODE...]] [--json]\n"
	"       casetrail case list [--stage S] [--overdue] [--due-within N]\n"
	"                           [--q TEXT] [--matter CODE] [--open]\n"
	"                           [--offset N] [--limit N] [--json]\n"
	"       casetrail case show ID [--json]\n"
	"       casetrail case inquiry-code ID\n"
	"\n"
	"new opens a case with its application registration and prints its\n"
	"id. list shows cases, newest first; --q matches the applicant, the\n"
	"credit code, the case id and document numbers; --due-within N keeps\n"
	"open cases due within N working days. show prints the timeline of\n"
	"records, stage, people, deadlines and findings. inquiry-code prints\n"
	"the code the applicant's receipt shows for the status inquiry.\n"
	"With --as naming a registered user, list and show show only what\n"
	"that user may see (docs/access.md); reads of marked content are\n"
	"recorded in the access log.\n"
	"\n"
	"  --dir DIR      the store (default $CASETRAIL_DIR, else ./var/casetrail)\n"
	"  --data DIR     the bureau data (default $CASETRAIL_DATA, else data/)\n"
	"  --as USER      the acting staff member (default the OS user)\n"
	"  --received D   when the application arrived: YYYY-MM-DD or RFC 3339\n"
	"  --materials L  codes of the materials handed in (casetrail matters CODE)\n"
	"  --json         print JSON instead of a table\n";

static void print_case_table(const json_t *list)
{
	json_t *c;
	size_t i;

	printf("%-12s %-8s %-13s %-9s %-10s %s\n", "ID", "STAGE", "STATUS",
	       "DUE", "MATTER", "APPLICANT");
	json_array_foreach(json_object_get(list, "items"), i, c) {
		json_t *d = json_object_get(json_object_get(c, "deadlines"),
					    "decision");

		printf("%-12s %-8s %-13s %-10s %-10s %s\n",
		       json_string_value(json_object_get(c, "id")),
		       json_string_value(json_object_get(c, "stage_name")),
		       json_string_value(json_object_get(c, "status")),
		       json_string_value(json_object_get(d, "date")) ?: "-",
		       json_string_value(json_object_get(
			       json_object_get(c, "matter"), "code")),
		       json_string_value(json_object_get(c, "applicant")));
	}
	printf("%" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT " shown\n",
	       (json_int_t)json_array_size(json_object_get(list, "items")),
	       json_integer_value(json_object_get(list, "total")));
}

/* A string member of o, or "-" when it is missing (expunged content). */
static const char *text_of(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key)) ?: "-";
}

static void print_case(const json_t *c)
{
	const char *name;
	json_t *v;
	size_t i;

	printf("案件 %s  %s  %s\n", text_of(c, "id"),
	       text_of(json_object_get(c, "matter"), "name"),
	       text_of(c, "applicant"));
	printf("阶段 %s (%s)  状态 %s  收件 %s\n", text_of(c, "stage_name"),
	       text_of(c, "stage"), text_of(c, "status"),
	       text_of(c, "received"));
	json_object_foreach(json_object_get(c, "deadlines"), name, v)
		printf("期限 %-10s %s%s  %s\n", name,
		       json_string_value(json_object_get(v, "date")),
		       json_is_true(json_object_get(v, "provisional"))
			       ? " provisional"
			       : "",
		       json_string_value(json_object_get(v, "state")));
	json_array_foreach(json_object_get(c, "records"), i, v)
		printf("%6" JSON_INTEGER_FORMAT "  %s  %-26s %s%s\n",
		       json_integer_value(json_object_get(v, "seq")),
		       json_string_value(json_object_get(v, "happened")),
		       json_string_value(json_object_get(v, "kind")),
		       json_string_value(json_object_get(v, "actor")),
		       json_object_get(v, "superseded_by") ? " (superseded)"
							   : "");
	json_array_foreach(json_object_get(c, "findings"), i, v)
		printf("问题 %-26s %s%s\n",
		       json_string_value(json_object_get(v, "code")),
		       json_string_value(json_object_get(v, "detected_at")),
		       json_is_null(json_object_get(v, "cured")) ? "" : " cured");
}

/* Splits "a,b,c" into a JSON array of strings. */
static json_t *split_list(const char *text)
{
	json_t *list = json_array();
	const char *p = text;

	while (*p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);

		if (n)
			json_array_append_new(list, json_stringn(p, n));
		p += n + (comma ? 1 : 0);
	}
	return list;
}

static int case_new(int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_OPTIONS,
		{ "matter", required_argument, NULL, 'm' },
		{ "applicant", required_argument, NULL, 'a' },
		{ "applicant-id", required_argument, NULL, 'i' },
		{ "received", required_argument, NULL, 'r' },
		{ "channel", required_argument, NULL, 'c' },
		{ "contact", required_argument, NULL, 't' },
		{ "address", required_argument, NULL, 'A' },
		{ "materials", required_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 },
	};
	struct common_opts o = { 0 };
	json_t *req = json_object(), *out = NULL;
	struct error err = { 0 };
	struct ledger *l;
	struct cases *c;
	int ch, r;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if ((r = common_opt(ch, &o, case_help)) != 0) {
			if (r < 0)
				goto done;
			continue;
		}
		switch (ch) {
		case 'm': json_object_set_new(req, "matter", json_string(optarg)); break;
		case 'a': json_object_set_new(req, "applicant", json_string(optarg)); break;
		case 'i': json_object_set_new(req, "applicant_id", json_string(optarg)); break;
		case 'r': json_object_set_new(req, "received", json_string(optarg)); break;
		case 'c': json_object_set_new(req, "channel", json_string(optarg)); break;
		case 't': json_object_set_new(req, "contact", json_string(optarg)); break;
		case 'A': json_object_set_new(req, "address", json_string(optarg)); break;
		case 'M': json_object_set_new(req, "materials", split_list(optarg)); break;
		default: json_decref(req); return cli_bad_option("case", argv);
		}
	}
	if (!json_object_get(req, "matter") ||
	    !json_object_get(req, "applicant") ||
	    !json_object_get(req, "received")) {
		json_decref(req);
		return cli_usage("case", "case new needs --matter, --applicant "
				 "and --received");
	}
	if (cli_open_cases(o.dir, o.data, 0, &l, &c) != 0) {
		json_decref(req);
		return EXIT_ERROR;
	}
	struct actor by = actor_of(&o);

	r = cases_new(c, req, &by, &out, &err);
	cli_close_cases(l, c);
	json_decref(req);
	if (r)
		return cli_fail(&err);
	if (o.json)
		cli_print_json(out);
	else {
		puts(json_string_value(json_object_get(out, "id")));
		json_decref(out);
	}
	return EXIT_OK;
done:
	json_decref(req);
	return EXIT_OK;
}

/* What the viewer that --as names may see of a case list. */
static int view_list(const char *as, json_t *out)
{
	struct cli_viewer v;
	int r = cli_viewer_open(cli_access(), as, &v);

	if (r == 0)
		r = cli_view_list(cli_access(), &v, out);
	cli_viewer_release(&v);
	return r;
}

static int case_list(int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_OPTIONS,
		{ "stage", required_argument, NULL, 's' },
		{ "matter", required_argument, NULL, 'm' },
		{ "q", required_argument, NULL, 'q' },
		{ "overdue", no_argument, NULL, 'o' },
		{ "open", no_argument, NULL, 'O' },
		{ "due-within", required_argument, NULL, 'w' },
		{ "offset", required_argument, NULL, 'f' },
		{ "limit", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	struct case_query q = { .due_within = -1 };
	struct common_opts o = { 0 };
	struct error err = { 0 };
	json_t *out = NULL;
	struct ledger *l;
	struct cases *c;
	size_t n;
	int ch, r;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if ((r = common_opt(ch, &o, case_help)) != 0) {
			if (r < 0)
				return EXIT_OK;
			continue;
		}
		switch (ch) {
		case 's': q.stage = optarg; break;
		case 'm': q.matter = optarg; break;
		case 'q': q.q = optarg; break;
		case 'o': q.overdue = 1; break;
		case 'O': q.open_only = 1; break;
		case 'w':
			if (parse_size("--due-within", optarg, &n))
				return EXIT_ERROR;
			if (n > 3650)
				return cli_usage("case", "--due-within takes "
						 "0 to 3650 working days");
			q.due_within = (int)n;
			break;
		case 'f':
			if (parse_size("--offset", optarg, &q.offset))
				return EXIT_ERROR;
			break;
		case 'l':
			if (parse_size("--limit", optarg, &q.limit))
				return EXIT_ERROR;
			if (q.limit == 0 || q.limit > 500)
				return cli_usage("case", "--limit takes 1 to "
						 "500");
			break;
		default: return cli_bad_option("case", argv);
		}
	}
	if (cli_open_cases(o.dir, o.data, 0, &l, &c) != 0)
		return EXIT_ERROR;
	r = cases_list(c, &q, &out, &err);
	if (r == 0)
		r = view_list(o.as, out);
	else
		r = cli_fail(&err);
	cli_close_cases(l, c);
	if (r) {
		json_decref(out);
		return r;
	}
	if (o.json) {
		cli_print_json(out);
	} else {
		print_case_table(out);
		json_decref(out);
	}
	return EXIT_OK;
}

/* What the viewer that --as names may see of case id (docs/access.md). */
static int view_case(const char *id, const char *as, json_t *out)
{
	struct cli_viewer v;
	int r = cli_viewer_open(cli_access(), as, &v);

	if (r == 0)
		r = cli_view_case(cli_access(), &v, id, out);
	cli_viewer_release(&v);
	return r;
}

static int case_show(int argc, char **argv)
{
	static const struct option opts[] = { COMMON_OPTIONS,
					      { NULL, 0, NULL, 0 } };
	struct common_opts o = { 0 };
	struct error err = { 0 };
	json_t *out = NULL;
	struct ledger *l;
	struct cases *c;
	int ch, r;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if ((r = common_opt(ch, &o, case_help)) < 0)
			return EXIT_OK;
		if (r == 0)
			return cli_bad_option("case", argv);
	}
	if (optind + 1 != argc)
		return cli_usage("case", "case show takes one case ID");
	if (cli_open_cases(o.dir, o.data, 0, &l, &c) != 0)
		return EXIT_ERROR;
	r = cases_show(c, argv[optind], &out, &err);
	if (r == 0)
		r = view_case(argv[optind], o.as, out);
	else
		r = cli_fail(&err);
	cli_close_cases(l, c);
	if (r) {
		json_decref(out);
		return r;
	}
	if (o.json) {
		cli_print_json(out);
	} else {
		print_case(out);
		json_decref(out);
	}
	return EXIT_OK;
}

int cmd_case(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help")) {
		fputs(case_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_ERROR : EXIT_OK;
	}
	if (!strcmp(argv[1], "new"))
		return case_new(argc - 1, argv + 1);
	if (!strcmp(argv[1], "list"))
		return case_list(argc - 1, argv + 1);
	if (!strcmp(argv[1], "show"))
		return case_show(argc - 1, argv + 1);
	if (!strcmp(argv[1], "inquiry-code"))
		return cmd_case_inquiry_code(argc - 1, argv + 1);
	return cli_usage("case", "unknown subcommand '%s'; use new, list, "
			 "show or inquiry-code", argv[1]);
}
