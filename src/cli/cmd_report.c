/*
 * Supervision reports on the command line: the evaluation report of a
 * period as HTML, PDF or CSV, the annual licensing statistics as CSV,
 * and a case's review score sheet. The acting user (--as) is checked by
 * the access policy as over HTTP. docs/reports.md describes the output.
 */
#include "common/common.h"

#include <fcntl.h>
#include <getopt.h>
#include <unistd.h>

#include "cli.h"
#include "media/media.h"
#include "reports/reports.h"

static const char report_help[] =
	"Usage: casetrail report --from DATE --to DATE [--unit UNIT]\n"
	"                        --format html|pdf|csv --out FILE\n"
	"       casetrail report annual --year YEAR --out FILE\n"
	"\n"
	"The first form writes the evaluation report (考核报告) of the cases\n"
	"received from --from to --to (YYYY-MM-DD, both included, at most 400\n"
	"days): cases handled, deadline performance, findings, audio-visual\n"
	"upload delays, archive and publicity timeliness, with charts. --unit\n"
	"keeps the cases whose handler (else clerk) belongs to UNIT. annual\n"
	"writes the annual licensing statistics (行政许可实施情况年度统计) of\n"
	"the cases received in YEAR as CSV. Needs the role head or\n"
	"supervisor.\n"
	"\n"
	"  --dir DIR    the store (default $CASETRAIL_DIR)\n"
	"  --data DIR   the bureau data (default $CASETRAIL_DATA)\n"
	"  --as USER    the acting user (default the OS user)\n";

static const char review_help[] =
	"Usage: casetrail review CASE [--json]\n"
	"\n"
	"Scores a case against the case-file review standard of\n"
	"data/review-standard.json (案卷评查): each item present or missing\n"
	"with the reason, its score, the total, the grade and the items that\n"
	"fail the case outright. A sealed case is scored on the records of\n"
	"its last case file. Needs the role head, supervisor or case-auditor.\n"
	"\n"
	"  --dir DIR    the store (default $CASETRAIL_DIR)\n"
	"  --data DIR   the bureau data (default $CASETRAIL_DATA)\n"
	"  --as USER    the acting user (default the OS user)\n"
	"  --json       print JSON\n";

struct report_opts {
	const char *dir, *data, *as, *from, *to, *unit, *format, *out, *year;
	int json;
};

enum {
	OPT_DIR = 1000, OPT_DATA, OPT_AS, OPT_JSON, OPT_HELP, OPT_FROM,
	OPT_TO, OPT_UNIT, OPT_FORMAT, OPT_OUT, OPT_YEAR,
};

/* Parses the options; returns -1 after --help, else 0 or EXIT_ERROR. */
static int parse_options(const char *command, const char *help, int argc,
			 char **argv, struct report_opts *o)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "data", required_argument, NULL, OPT_DATA },
		{ "as", required_argument, NULL, OPT_AS },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "to", required_argument, NULL, OPT_TO },
		{ "unit", required_argument, NULL, OPT_UNIT },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "year", required_argument, NULL, OPT_YEAR },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case OPT_HELP: fputs(help, stdout); return -1;
		case OPT_DIR: o->dir = optarg; break;
		case OPT_DATA: o->data = optarg; break;
		case OPT_AS: o->as = optarg; break;
		case OPT_JSON: o->json = 1; break;
		case OPT_FROM: o->from = optarg; break;
		case OPT_TO: o->to = optarg; break;
		case OPT_UNIT: o->unit = optarg; break;
		case OPT_FORMAT: o->format = optarg; break;
		case OPT_OUT: o->out = optarg; break;
		case OPT_YEAR: o->year = optarg; break;
		default: return cli_bad_option(command, argv);
		}
	}
	return 0;
}

/* Writes data to path (replacing it) and syncs it. */
static int write_file(const char *path, const struct buf *data)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	size_t done = 0;

	if (fd < 0)
		return cli_failf("cannot create '%s': %s", path,
				 strerror(errno));
	while (done < data->len) {
		ssize_t n = write(fd, data->data + done, data->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			return cli_failf("writing '%s' failed: %s", path,
					 strerror(errno));
		}
		done += (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0)
		return cli_failf("writing '%s' failed: %s", path,
				 strerror(errno));
	return 0;
}

/* Loads --as and checks act against the policy, recording a refusal. */
static int allow(const struct report_opts *o, enum access_action act,
		 struct cli_viewer *v)
{
	struct access_target t = { 0 };
	struct error err = { 0 };

	memset(v, 0, sizeof(*v));
	v->os_user = cli_os_user();
	if (access_principal(cli_access(), cli_actor(o->as), "cli", &v->p,
			     &err) != 0)
		return cli_fail(&err);
	if (cli_viewer_allow(cli_access(), v, act, &t) != 0) {
		cli_viewer_release(v);
		return EXIT_ERROR;
	}
	return 0;
}

/* Renders the period report of o in its format into out. */
static int render(const struct report_opts *o, struct ledger *l,
		  struct cases *c, struct buf *out)
{
	struct report_req q;
	struct media *m = NULL;
	struct error err = { 0 };
	json_t *report = NULL;
	int rc = reports_request(cli_access(), o->from, o->to, o->unit, &q,
				 &err);

	/* The findings list re-evaluates open cases first; so does this. */
	if (rc == 0 && (rc = cases_sweep(c, &err)) == CT_EPERM) {
		error_clear(&err);
		rc = 0;
	}
	if (rc == 0)
		rc = media_open(c, l, NULL, &m, &err);
	if (rc == 0)
		rc = reports_collect(cli_access(), m, &q, &report, &err);
	if (rc == 0 && !strcmp(o->format, "html"))
		rc = reports_html(report, out, &err);
	else if (rc == 0 && !strcmp(o->format, "pdf"))
		rc = reports_pdf(report, out, &err);
	else if (rc == 0)
		rc = reports_csv(report, out, &err);
	json_decref(report);
	media_close(m);
	return rc ? cli_fail(&err) : 0;
}

static int annual(const struct report_opts *o, struct buf *out)
{
	struct error err = { 0 };
	json_t *stats = NULL;
	uint64_t year;
	int rc;

	if (cli_parse_u64("--year", o->year, &year) != 0)
		return EXIT_ERROR;
	rc = reports_annual(cli_access(), (int)(year > 9999 ? 0 : year),
			    &stats, &err);
	if (rc == 0)
		rc = reports_annual_csv(stats, out, &err);
	json_decref(stats);
	return rc ? cli_fail(&err) : 0;
}

/* Checks the options of either form before the store is opened. */
static int check_options(const struct report_opts *o, int is_annual)
{
	if (!o->out)
		return cli_usage("report", "--out FILE is missing");
	if (is_annual && (o->from || o->to || o->unit))
		return cli_usage("report", "annual counts a whole year of the "
				 "bureau; give --year YEAR, not --from, --to "
				 "or --unit");
	if (is_annual && o->format && strcmp(o->format, "csv"))
		return cli_usage("report", "annual is written as CSV only; "
				 "--format '%s' is not supported", o->format);
	if (is_annual)
		return o->year ? 0 : cli_usage("report", "annual needs "
					      "--year YEAR");
	if (o->year)
		return cli_usage("report", "--year belongs to 'report annual'; "
				 "give --from and --to for a period");
	if (!o->from || !o->to)
		return cli_usage("report", "--from DATE and --to DATE are "
				 "needed");
	if (!o->format)
		return cli_usage("report", "--format is missing; use html, "
				 "pdf or csv");
	if (strcmp(o->format, "html") && strcmp(o->format, "pdf") &&
	    strcmp(o->format, "csv"))
		return cli_usage("report", "--format '%s' is unknown; use "
				 "html, pdf or csv", o->format);
	return 0;
}

int cmd_report(int argc, char **argv)
{
	struct report_opts o = { 0 };
	struct buf out = BUF_INIT_MAX((size_t)256 << 20);
	int is_annual = argc > 1 && !strcmp(argv[1], "annual");
	struct cli_viewer v;
	struct ledger *l;
	struct cases *c;
	int rc = parse_options("report", report_help, argc - is_annual,
			       argv + is_annual, &o);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (optind != argc - is_annual)
		return cli_usage("report", "unexpected argument '%s'",
				 argv[optind + is_annual]);
	rc = check_options(&o, is_annual);
	if (rc)
		return rc;
	if (cli_open_cases(o.dir, o.data, 0, &l, &c) != 0)
		return EXIT_ERROR;
	rc = allow(&o, ACT_REPORT_READ, &v);
	if (rc == 0) {
		rc = is_annual ? annual(&o, &out) : render(&o, l, c, &out);
		cli_viewer_release(&v);
	}
	cli_close_cases(l, c);
	if (rc == 0)
		rc = write_file(o.out, &out);
	buf_release(&out);
	return rc;
}

static void print_review(const json_t *sheet)
{
	json_t *item;
	size_t i;

	printf("案卷评查 %s: %" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT
	       " %s\n", json_string_value(json_object_get(sheet, "case")),
	       json_integer_value(json_object_get(sheet, "total")),
	       json_integer_value(json_object_get(sheet, "max")),
	       json_string_value(json_object_get(sheet, "grade")));
	json_array_foreach(json_object_get(sheet, "items"), i, item)
		printf("  %-12s %-16s %3" JSON_INTEGER_FORMAT "/%-3"
		       JSON_INTEGER_FORMAT " %s%s %s\n",
		       json_string_value(json_object_get(item, "code")),
		       json_string_value(json_object_get(item, "state")),
		       json_integer_value(json_object_get(item, "score")),
		       json_integer_value(json_object_get(item, "points")),
		       json_string_value(json_object_get(item, "name")),
		       json_is_true(json_object_get(item, "veto"))
			       ? "（一票否决）"
			       : "",
		       json_string_value(json_object_get(item, "reason")));
}

int cmd_review(int argc, char **argv)
{
	struct report_opts o = { 0 };
	struct error err = { 0 };
	struct cli_viewer v;
	json_t *sheet = NULL;
	struct ledger *l;
	struct cases *c;
	int rc = parse_options("review", review_help, argc, argv, &o);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (optind != argc - 1)
		return cli_usage("review", "give one CASE id");
	if (cli_open_cases(o.dir, o.data, 0, &l, &c) != 0)
		return EXIT_ERROR;
	rc = allow(&o, ACT_CASE_REVIEW, &v);
	if (rc == 0) {
		if ((rc = cases_sweep(c, &err)) == CT_EPERM) {
			error_clear(&err);
			rc = 0;
		}
		if (rc == 0)
			rc = reports_review(cli_access(), argv[optind], &sheet,
					    &err);
		rc = rc ? cli_fail(&err) : 0;
		cli_viewer_release(&v);
	}
	cli_close_cases(l, c);
	if (rc == 0 && o.json)
		cli_print_json(sheet);
	else if (rc == 0) {
		print_review(sheet);
		json_decref(sheet);
	}
	return rc;
}
