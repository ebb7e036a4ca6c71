/*
 * casetrail retention: the purge of window surveillance past its
 * retention period, what the coming days will purge, and the holds that
 * keep footage from the purge (src/media/retention.c does the work).
 */
#include "common/common.h"

#include "cases/cases.h"
#include "cli.h"
#include "media/media.h"

/* The maximum retention period (100 years), against typing errors. */
#define SURVEILLANCE_DAYS_MAX 36500

static const char retention_help[] =
	"Usage: casetrail retention run [--dry-run] [--now TIME]\n"
	"                               [--surveillance-days N] [--json]\n"
	"       casetrail retention upcoming --days N [--now TIME]\n"
	"                               [--surveillance-days N] [--json]\n"
	"       casetrail retention hold --basis case|complaint|copy-request\n"
	"                               --ref REF (--window W --from TIME --to TIME\n"
	"                               | --media SEQ) --reason TEXT --as USER\n"
	"       casetrail retention release HOLD --reason TEXT --as USER\n"
	"       casetrail retention holds [--all] [--json]\n"
	"\n"
	"Window surveillance is kept at least 60 days. A segment whose capture\n"
	"ended on day D (China Standard Time) is purged from 00:00 CST of day\n"
	"D + 61. The day of the ingest counts instead when the file states no\n"
	"capture time it can be trusted for, even if a user stated one: a\n"
	"statement never shortens retention. Case evidence, held footage and\n"
	"footage of no window are never purged. Each purge is a ledger entry\n"
	"naming the rule and the hash of the purged file; the file itself is\n"
	"deleted unless another entry still references the same bytes.\n"
	"\n"
	"run purges what is due now (--dry-run lists it and changes nothing).\n"
	"upcoming lists what a run in the next N days would purge. hold keeps\n"
	"a window's footage captured in [--from, --to), or one file (--media,\n"
	"the seq of its ingest), from the purge; a case basis names an existing\n"
	"case in --ref. release ends hold HOLD. holds lists the holds in force,\n"
	"or every hold with --all.\n"
	"\n"
	"  --now TIME              the moment to count from, RFC 3339 (default now);\n"
	"                          a run that purges takes no time after now\n"
	"  --surveillance-days N   the retention period in days (default 60; at\n"
	"                          least the legal minimum of 60)\n"
	"  --dir DIR               the store (default $CASETRAIL_DIR, else\n"
	"                          ./var/casetrail)\n"
	"  --data DIR              the bureau data (default $CASETRAIL_DATA)\n"
	"  --as USER               the acting staff member; run acts as\n"
	"                          'retention' unless given\n"
	"  --json                  print the result as JSON\n";

struct retention_args {
	const char *dir, *data, *as;
	int json, all, dry_run, has_now, has_days;
	int64_t now_ms;
	int surveillance_days;
	uint64_t days;
	struct media_hold_req hold;
	int has_from, has_to;
	const char *reason;
};

enum {
	OPT_DIR = 1000, OPT_DATA, OPT_AS, OPT_JSON, OPT_HELP, OPT_ALL,
	OPT_DRY_RUN, OPT_NOW, OPT_SURVEILLANCE_DAYS, OPT_DAYS, OPT_BASIS,
	OPT_REF, OPT_WINDOW, OPT_FROM, OPT_TO, OPT_MEDIA, OPT_REASON,
};

static const struct option retention_opts[] = {
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "data", required_argument, NULL, OPT_DATA },
	{ "as", required_argument, NULL, OPT_AS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "now", required_argument, NULL, OPT_NOW },
	{ "surveillance-days", required_argument, NULL, OPT_SURVEILLANCE_DAYS },
	{ "days", required_argument, NULL, OPT_DAYS },
	{ "basis", required_argument, NULL, OPT_BASIS },
	{ "ref", required_argument, NULL, OPT_REF },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "to", required_argument, NULL, OPT_TO },
	{ "media", required_argument, NULL, OPT_MEDIA },
	{ "reason", required_argument, NULL, OPT_REASON },
	{ NULL, 0, NULL, 0 },
};

/*
 * Parses an RFC 3339 time that may lie in the future. cli_parse_time
 * rejects those, but a dry run's clock and a held span may be ahead.
 */
static int parse_any_time(const char *what, const char *text, int64_t *ms)
{
	if (cases_time_parse(text, ms) != 0)
		return cli_usage("retention",
				 "invalid %s '%s': expected an RFC "
				 "3339 time such as 2026-05-01T00:00:00+08:00",
				 what, text);
	return 0;
}

static int parse_surveillance_days(const char *text, int *out)
{
	uint64_t v;

	if (cli_parse_u64("--surveillance-days", text, &v) != 0)
		return EXIT_ERROR;
	if (v < MEDIA_SURVEILLANCE_DAYS_MIN)
		return cli_usage("retention", "--surveillance-days %" PRIu64
				 " is below the legal minimum: window "
				 "surveillance is kept at least %d days", v,
				 MEDIA_SURVEILLANCE_DAYS_MIN);
	if (v > SURVEILLANCE_DAYS_MAX)
		return cli_usage("retention", "--surveillance-days %" PRIu64
				 " is over %d", v, SURVEILLANCE_DAYS_MAX);
	*out = (int)v;
	return 0;
}

/* Handles one option; returns 0, -1 after --help, or an exit status. */
static int take_option(int ch, struct retention_args *a)
{
	uint64_t v;

	switch (ch) {
	case OPT_DIR: a->dir = optarg; return 0;
	case OPT_DATA: a->data = optarg; return 0;
	case OPT_AS: a->as = optarg; return 0;
	case OPT_JSON: a->json = 1; return 0;
	case OPT_HELP: fputs(retention_help, stdout); return -1;
	case OPT_ALL: a->all = 1; return 0;
	case OPT_DRY_RUN: a->dry_run = 1; return 0;
	case OPT_NOW:
		a->has_now = 1;
		return parse_any_time("--now", optarg, &a->now_ms);
	case OPT_SURVEILLANCE_DAYS:
		return parse_surveillance_days(optarg, &a->surveillance_days);
	case OPT_DAYS:
		a->has_days = 1;
		return cli_parse_u64("--days", optarg, &a->days);
	case OPT_BASIS: a->hold.basis = optarg; return 0;
	case OPT_REF: a->hold.ref = optarg; return 0;
	case OPT_WINDOW: a->hold.window = optarg; return 0;
	case OPT_FROM:
		a->has_from = 1;
		return parse_any_time("--from", optarg, &a->hold.from_ms);
	case OPT_TO:
		a->has_to = 1;
		return parse_any_time("--to", optarg, &a->hold.to_ms);
	case OPT_MEDIA:
		if (cli_parse_u64("--media", optarg, &v) != 0)
			return EXIT_ERROR;
		a->hold.media_seq = (int64_t)v;
		return 0;
	case OPT_REASON: a->reason = optarg; return 0;
	}
	return EXIT_ERROR;
}

static int parse_args(int argc, char **argv, struct retention_args *a)
{
	int ch, rc;

	a->hold.media_seq = -1;
	while ((ch = getopt_long(argc, argv, "", retention_opts, NULL)) != -1) {
		if (ch == '?' || ch == ':')
			return cli_bad_option("retention", argv);
		rc = take_option(ch, a);
		if (rc)
			return rc;
	}
	return 0;
}

static int open_media(const struct retention_args *a, unsigned flags,
		      struct ledger **l, struct cases **c, struct media **m)
{
	struct media_config cfg = { .surveillance_days =
					    a->surveillance_days };
	struct error err = { 0 };

	if (cli_open_cases(a->dir, a->data, flags, l, c) != 0)
		return EXIT_ERROR;
	if (media_open(*c, *l, &cfg, m, &err) != 0) {
		cli_close_cases(*l, *c);
		return cli_fail(&err);
	}
	return 0;
}

static void close_media(struct ledger *l, struct cases *c, struct media *m)
{
	media_close(m);
	cli_close_cases(l, c);
}

static const char *str(const json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

/* Prints one segment of a run or of the upcoming list as a table row. */
static void print_segment(const char *what, const json_t *seg)
{
	json_t *purge_seq = json_object_get(seg, "purge_seq");

	printf("%-12s %8" JSON_INTEGER_FORMAT "  %-12s  purgeable from %s",
	       what, json_integer_value(json_object_get(seg, "seq")),
	       str(seg, "window") ?: "-", str(seg, "purge_from") ?: "-");
	if (purge_seq)
		printf("  purge entry %" JSON_INTEGER_FORMAT,
		       json_integer_value(purge_seq));
	if (str(seg, "error"))
		printf("  error: %s", str(seg, "error"));
	putchar('\n');
}

static void print_run(const json_t *res)
{
	int dry_run = json_is_true(json_object_get(res, "dry_run"));
	const json_t *seg;
	size_t i;

	json_array_foreach(json_object_get(res, "purged"), i, seg)
		print_segment(dry_run ? "would purge" : "purged", seg);
	json_array_foreach(json_object_get(res, "held"), i, seg)
		print_segment("held", seg);
	json_array_foreach(json_object_get(res, "failed"), i, seg)
		print_segment("failed", seg);
	printf("%s %zu, held %zu, failed %zu, kept %" JSON_INTEGER_FORMAT
	       " (rule %s, as of %s)\n", dry_run ? "would purge" : "purged",
	       json_array_size(json_object_get(res, "purged")),
	       json_array_size(json_object_get(res, "held")),
	       json_array_size(json_object_get(res, "failed")),
	       json_integer_value(json_object_get(res, "kept")),
	       str(res, "rule"), str(res, "now"));
}

static int retention_run(int argc, char **argv)
{
	struct retention_args a = { 0 };
	struct error err = { 0 };
	struct retention_opts o = { 0 };
	struct ledger *l;
	struct cases *c;
	struct media *m;
	json_t *out = NULL;
	size_t failed;
	int rc = parse_args(argc, argv, &a);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (optind != argc)
		return cli_usage("retention",
				 "retention run takes no argument");
	o.now_ms = a.has_now ? a.now_ms : 0;
	o.dry_run = a.dry_run;
	rc = open_media(&a, a.dry_run ? LEDGER_READONLY : 0, &l, &c, &m);
	if (rc)
		return rc;
	struct actor by = { a.as ? a.as : "retention", cli_os_user() };

	rc = media_retention_run(m, &o, &by, &out, &err);
	close_media(l, c, m);
	if (rc)
		return cli_fail(&err);
	failed = json_array_size(json_object_get(out, "failed"));
	if (a.json)
		cli_print_json(json_incref(out));
	else
		print_run(out);
	json_decref(out);
	if (failed)
		return cli_failf("%zu due segment%s could not be purged; see "
				 "\"failed\"", failed, failed == 1 ? "" : "s");
	return EXIT_OK;
}

static int retention_upcoming(int argc, char **argv)
{
	struct retention_args a = { 0 };
	struct error err = { 0 };
	struct retention_opts o = { 0 };
	struct ledger *l;
	struct cases *c;
	struct media *m;
	json_t *out = NULL, *seg;
	size_t i;
	int rc = parse_args(argc, argv, &a);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (optind != argc)
		return cli_usage("retention", "retention upcoming takes no "
				 "argument");
	if (!a.has_days)
		return cli_usage("retention", "retention upcoming needs --days "
				 "N, the number of days ahead");
	if (a.days > 3660)
		return cli_usage("retention", "--days %" PRIu64 " is over 3660",
				 a.days);
	o.now_ms = a.has_now ? a.now_ms : 0;
	o.days = (int)a.days;
	rc = open_media(&a, LEDGER_READONLY, &l, &c, &m);
	if (rc)
		return rc;
	rc = media_retention_upcoming(m, &o, &out, &err);
	close_media(l, c, m);
	if (rc)
		return cli_fail(&err);
	if (a.json) {
		cli_print_json(out);
		return EXIT_OK;
	}
	json_array_foreach(json_object_get(out, "items"), i, seg)
		print_segment("due", seg);
	printf(
	    "%zu due by %s, %" JSON_INTEGER_FORMAT " more held (rule %s)\n",
	    json_array_size(json_object_get(out, "items")), str(out, "until"),
	    json_integer_value(json_object_get(out, "held")), str(out, "rule"));
	json_decref(out);
	return EXIT_OK;
}

/* Checks that a hold names a window span or one file, completely. */
static int check_hold_args(const struct retention_args *a)
{
	if (!a->hold.basis)
		return cli_usage("retention", "retention hold needs --basis "
				 "case, complaint or copy-request");
	if (!a->hold.ref)
		return cli_usage("retention", "retention hold needs --ref, the "
				 "case id, complaint or request number");
	if (!a->reason)
		return cli_usage("retention", "retention hold needs --reason");
	if (a->hold.window && a->hold.media_seq >= 0)
		return cli_usage("retention",
				 "give either --window with --from "
				 "and --to, or --media, not both");
	if (a->hold.media_seq >= 0 && (a->has_from || a->has_to))
		return cli_usage("retention",
				 "--from and --to go with --window, "
				 "not with --media");
	if (!a->hold.window && a->hold.media_seq < 0)
		return cli_usage("retention", "retention hold needs --window "
				 "with --from and --to, or --media SEQ");
	if (a->hold.window && (!a->has_from || !a->has_to))
		return cli_usage("retention",
				 "a hold of window %s needs --from "
				 "and --to",
				 a->hold.window);
	return 0;
}

static int retention_hold(int argc, char **argv)
{
	struct retention_args a = { 0 };
	struct error err = { 0 };
	struct ledger *l;
	struct cases *c;
	struct media *m;
	json_t *out = NULL;
	int rc = parse_args(argc, argv, &a);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (optind != argc)
		return cli_usage("retention", "unexpected argument '%s'",
				 argv[optind]);
	rc = check_hold_args(&a);
	if (rc)
		return rc;
	a.hold.reason = a.reason;
	rc = open_media(&a, 0, &l, &c, &m);
	if (rc)
		return rc;
	struct actor by = { cli_actor(a.as), cli_os_user() };

	rc = media_hold(m, &a.hold, &by, &out, &err);
	close_media(l, c, m);
	if (rc)
		return cli_fail(&err);
	cli_print_json(out);
	return EXIT_OK;
}

static int retention_release(int argc, char **argv)
{
	struct retention_args a = { 0 };
	struct error err = { 0 };
	struct ledger *l;
	struct cases *c;
	struct media *m;
	json_t *out = NULL;
	int rc = parse_args(argc, argv, &a);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (optind + 1 != argc)
		return cli_usage("retention", "retention release takes one "
				 "HOLD id");
	if (!a.reason)
		return cli_usage("retention", "retention release needs "
				 "--reason");
	rc = open_media(&a, 0, &l, &c, &m);
	if (rc)
		return rc;
	struct actor by = { cli_actor(a.as), cli_os_user() };

	rc = media_release(m, argv[optind], a.reason, &by, &out, &err);
	close_media(l, c, m);
	if (rc)
		return cli_fail(&err);
	cli_print_json(out);
	return EXIT_OK;
}

static void print_hold(const json_t *h)
{
	const json_t *released = json_object_get(h, "released");
	json_t *media = json_object_get(h, "media");

	printf("%-10s %-12s %-16s ", str(h, "id") ?: "-",
	       str(h, "basis") ?: "-", str(h, "ref") ?: "-");
	if (media)
		printf("file %" JSON_INTEGER_FORMAT, json_integer_value(media));
	else
		printf("window %s %s to %s", str(h, "window") ?: "-",
		       str(h, "from") ?: "-", str(h, "to") ?: "-");
	if (released)
		printf("  released by entry %" JSON_INTEGER_FORMAT,
		       json_integer_value(json_object_get(released, "seq")));
	putchar('\n');
}

static int retention_holds(int argc, char **argv)
{
	struct retention_args a = { 0 };
	struct error err = { 0 };
	struct ledger *l;
	struct cases *c;
	struct media *m;
	json_t *out = NULL, *h;
	size_t i;
	int rc = parse_args(argc, argv, &a);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (optind != argc)
		return cli_usage("retention", "retention holds takes no "
				 "argument");
	rc = open_media(&a, LEDGER_READONLY, &l, &c, &m);
	if (rc)
		return rc;
	rc = media_holds(m, !a.all, &out, &err);
	close_media(l, c, m);
	if (rc)
		return cli_fail(&err);
	if (a.json) {
		cli_print_json(out);
		return EXIT_OK;
	}
	json_array_foreach(json_object_get(out, "items"), i, h)
		print_hold(h);
	json_decref(out);
	return EXIT_OK;
}

int cmd_retention(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help")) {
		fputs(retention_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_ERROR : EXIT_OK;
	}
	if (!strcmp(argv[1], "run"))
		return retention_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "upcoming"))
		return retention_upcoming(argc - 1, argv + 1);
	if (!strcmp(argv[1], "hold"))
		return retention_hold(argc - 1, argv + 1);
	if (!strcmp(argv[1], "release"))
		return retention_release(argc - 1, argv + 1);
	if (!strcmp(argv[1], "holds"))
		return retention_holds(argc - 1, argv + 1);
	return cli_usage("retention", "unknown subcommand '%s'; use run, "
			 "upcoming, hold, release or holds", argv[1]);
}
