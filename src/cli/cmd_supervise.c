/*
 * Supervision commands over the findings: the yellow and red warnings of
 * open cases' time limits and the daily digest per person
 * (docs/findings.md, Warnings and Digest).
 */
#include "common/common.h"

#include "cases/cases.h"
#include "cases/supervision.h"
#include "ledger/ledger.h"
#include "cli.h"

struct supervise_args {
	const char *dir, *data, *user, *unit, *color, *date, *at;
	int json;
};

/* Parses the options of warnings and digest; returns 0, -1 after
 * --help, or an exit status. */
static int parse_args(const char *command, const char *help, int argc,
		      char **argv, struct supervise_args *a, int warnings)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "data", required_argument, NULL, 'D' },
		{ "user", required_argument, NULL, 'u' },
		{ "unit", required_argument, NULL, 'n' },
		{ "color", required_argument, NULL, 'c' },
		{ "date", required_argument, NULL, 't' },
		{ "at", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': a->dir = optarg; break;
		case 'D': a->data = optarg; break;
		case 'u': a->user = optarg; break;
		case 'j': a->json = 1; break;
		case 'h': fputs(help, stdout); return -1;
		case 'n':
		case 'c':
			if (!warnings)
				return cli_bad_option(command, argv);
			*(ch == 'n' ? &a->unit : &a->color) = optarg;
			break;
		case 'a':
			if (!warnings)
				return cli_bad_option(command, argv);
			a->at = optarg;
			break;
		case 't':
			if (warnings)
				return cli_bad_option(command, argv);
			a->date = optarg;
			break;
		default:
			return cli_bad_option(command, argv);
		}
	}
	if (optind != argc)
		return cli_usage(command, "unexpected argument '%s'",
				 argv[optind]);
	return 0;
}

static const char warnings_help[] =
	"Usage: casetrail warnings [--user U] [--unit U] [--color yellow|red]\n"
	"                          [--at TIME] [--json]\n"
	"\n"
	"Lists the warnings (黄牌/红牌) of open cases' time limits, evaluated\n"
	"now: yellow when a limit is due within 3 working days, red when it\n"
	"is overdue, against the promised limit where the matter has one, else\n"
	"the statutory. Each names the case, the limit, its due day, the\n"
	"working days left (negative when overdue), whether the due day rests\n"
	"on an unpublished calendar year (provisional), the responsible person\n"
	"and their superior.\n"
	"\n"
	"  --user U    only warnings where U is responsible or the superior\n"
	"  --unit U    only warnings whose responsible person is in unit U\n"
	"  --color C   only yellow or only red warnings\n"
	"  --at TIME   evaluate the open cases at TIME (RFC 3339) instead of\n"
	"              now\n"
	"  --dir DIR   the store (default $CASETRAIL_DIR, else ./var/casetrail)\n";

int cmd_warnings(int argc, char **argv)
{
	struct supervise_args a = { 0 };
	struct warning_query q = { 0 };
	struct error err = { 0 };
	json_t *out = NULL, *w;
	struct ledger *l;
	struct cases *c;
	size_t i;
	int r = parse_args("warnings", warnings_help, argc, argv, &a, 1);

	if (r)
		return r < 0 ? EXIT_OK : r;
	q.user = a.user;
	q.unit = a.unit;
	q.color = a.color;
	if (a.at && cli_parse_time("--at", a.at, &q.at_ms) != 0)
		return EXIT_ERROR;
	if (cli_open_cases(a.dir, a.data, 0, &l, &c) != 0)
		return EXIT_ERROR;
	r = cases_warnings(c, &q, &out, &err);
	cli_close_cases(l, c);
	if (r)
		return cli_fail(&err);
	if (a.json) {
		cli_print_json(out);
		return EXIT_OK;
	}
	printf("%-7s %-14s %-20s %-10s %5s %-12s %s\n", "COLOR", "CASE",
	       "LIMIT", "DUE", "LEFT", "RESPONSIBLE", "SUPERIOR");
	json_array_foreach(json_object_get(out, "items"), i, w)
		printf("%-7s %-14s %-20s %-10s %5" JSON_INTEGER_FORMAT
		       " %-12s %s\n",
		       json_string_value(json_object_get(w, "color")),
		       json_string_value(json_object_get(w, "case")),
		       json_string_value(json_object_get(w, "limit")),
		       json_string_value(json_object_get(w, "due")),
		       json_integer_value(json_object_get(w,
							  "working_days_left")),
		       json_string_value(json_object_get(w, "responsible"))
			       ?: "-",
		       json_string_value(json_object_get(w, "superior"))
			       ?: "-");
	json_decref(out);
	return EXIT_OK;
}

static const char digest_help[] =
	"Usage: casetrail digest [--date YYYY-MM-DD] [--user U] [--json]\n"
	"\n"
	"Prints the daily digest of each active user (of U alone with --user)\n"
	"as of 08:00 CST of the date (default today; now, if that is earlier):\n"
	"their yellow and red warnings, the open findings where they are\n"
	"responsible or superior, and the findings raised or cured in the 24\n"
	"hours before. A digest the server stored for that date is printed as\n"
	"stored.\n"
	"\n"
	"  --dir DIR   the store (default $CASETRAIL_DIR, else ./var/casetrail)\n";

int cmd_digest(int argc, char **argv)
{
	struct supervise_args a = { 0 };
	struct error err = { 0 };
	json_t *out = NULL, *d;
	struct ledger *l;
	struct cases *c;
	size_t i;
	int r = parse_args("digest", digest_help, argc, argv, &a, 0);

	if (r)
		return r < 0 ? EXIT_OK : r;
	if (cli_open_cases(a.dir, a.data, 0, &l, &c) != 0)
		return EXIT_ERROR;
	r = cases_digest(c, a.date, a.user, &out, &err);
	cli_close_cases(l, c);
	if (r)
		return cli_fail(&err);
	if (a.json) {
		cli_print_json(out);
		return EXIT_OK;
	}
	printf("digest of %s as of %s\n",
	       json_string_value(json_object_get(out, "date")),
	       json_string_value(json_object_get(out, "at")));
	printf("%-16s %6s %4s %5s %6s %5s\n", "USER", "YELLOW", "RED", "OPEN",
	       "RAISED", "CURED");
	json_array_foreach(json_object_get(out, "items"), i, d) {
		json_t *n = json_object_get(d, "counts");

		printf("%-16s %6" JSON_INTEGER_FORMAT " %4" JSON_INTEGER_FORMAT
		       " %5" JSON_INTEGER_FORMAT " %6" JSON_INTEGER_FORMAT
		       " %5" JSON_INTEGER_FORMAT "\n",
		       json_string_value(json_object_get(d, "user")),
		       json_integer_value(json_object_get(n, "yellow")),
		       json_integer_value(json_object_get(n, "red")),
		       json_integer_value(json_object_get(n, "open")),
		       json_integer_value(json_object_get(n, "raised")),
		       json_integer_value(json_object_get(n, "cured")));
	}
	json_decref(out);
	return EXIT_OK;
}

int cli_record_verify(const char *dir, const char *lines, size_t len)
{
	const struct actor by = { cli_actor(NULL), cli_os_user() };
	json_t *problems = verify_problem_lines(lines, len);
	struct error err = { 0 };
	struct ledger *l;
	struct cases *c;
	int rc;

	/* A pass matters only when it cures a finding: look first without
	 * opening the store for writing, which would change it. */
	if (json_array_size(problems) == 0) {
		int open = 0;

		if (cli_open_cases(dir, NULL, LEDGER_READONLY, &l, &c) != 0) {
			json_decref(problems);
			return EXIT_ERROR;
		}
		rc = cases_integrity_open(c, &open, &err);
		cli_close_cases(l, c);
		if (rc || !open) {
			json_decref(problems);
			return rc ? cli_fail(&err) : EXIT_OK;
		}
	}
	/* A store that cannot be opened for writing (a copy on read-only
	 * media) is verified all the same; only the finding is missing. */
	if (cli_open_cases(dir, NULL, 0, &l, &c) != 0) {
		fprintf(stderr, "casetrail: warning: the verify result was not "
			"recorded as a finding\n");
		json_decref(problems);
		return EXIT_ERROR;
	}
	rc = cases_integrity_record(c, problems, &by, &err);
	cli_close_cases(l, c);
	json_decref(problems);
	if (rc) {
		fprintf(stderr, "casetrail: warning: the verify result was not "
			"recorded as a finding: %s\n", err.msg);
		return EXIT_ERROR;
	}
	return EXIT_OK;
}
