/*
 * casetrail media: ingest audio-visual files one by one or a camera's
 * whole folder, show and list them, link them to records, state a
 * capture time, justify a late upload, and print a file's chain of
 * custody.
 */
#include "common/common.h"

#include "cases/cases.h"
#include "cli.h"
#include "media/media.h"

static const char media_help[] =
	"Usage: casetrail media ingest FILE... --device ID [--case ID]\n"
	"                 [--record SEQ] [--type photo|audio|video|surveillance]\n"
	"                 [--window W] [--officer USER] [--captured TIME\n"
	"                 --captured-reason TEXT] [--device-copy-deleted]\n"
	"                 [--mark MARK]\n"
	"       casetrail media import-dir DIR --device ID [--officer USER]\n"
	"                 [--case ID] [--type T] [--device-copy-deleted]\n"
	"       casetrail media list [--case ID] [--type T] [--window W]\n"
	"                 [--hash HASH] [--offset N] [--limit N]\n"
	"       casetrail media show SEQ\n"
	"       casetrail media link SEQ --record SEQ\n"
	"       casetrail media capture SEQ --start TIME --reason TEXT\n"
	"       casetrail media justify SEQ --reason TEXT --approved-by USER\n"
	"       casetrail media custody HASH|SEQ\n"
	"Common options: --dir DIR, --data DIR, --as USER, --json.\n"
	"\n"
	"ingest streams each file into the store, hashes it (the store's hash\n"
	"and SHA-256), probes it in a separate process and records it. The\n"
	"type is taken from the content unless --type names it. A damaged file\n"
	"is stored and flagged, never refused. The time from the end of the\n"
	"recording to the ingest is recorded; over 24 hours is a late upload.\n"
	"--captured states the capture start when the file's own time cannot\n"
	"be trusted. --device-copy-deleted records that the device's copy was\n"
	"deleted. import-dir ingests a camera's folder and, run again, adds\n"
	"only the files not yet stored from that device. --mark raises the\n"
	"file's confidentiality mark above its type's default (audio:\n"
	"personal; photo, video, surveillance: sensitive-personal).\n"
	"\n"
	"SEQ is the seq of a file's media-ingest entry. custody prints every\n"
	"entry that touched the file: ingest, links, sessions, holds, purge.\n";

struct media_opts {
	const char *dir, *data, *as;
	int json;
	struct media_ingest_req req;
	struct media_query q;
	const char *record, *start, *reason, *approved_by, *captured;
	const char *offset, *limit;
};

enum {
	OPT_DIR = 1000, OPT_DATA, OPT_AS, OPT_JSON, OPT_HELP, OPT_CASE,
	OPT_RECORD, OPT_TYPE, OPT_DEVICE, OPT_OFFICER, OPT_WINDOW,
	OPT_CAPTURED, OPT_CAPTURED_REASON, OPT_DELETED, OPT_HASH, OPT_OFFSET,
	OPT_LIMIT, OPT_START, OPT_REASON, OPT_APPROVED_BY, OPT_MARK,
};

static const struct option options[] = {
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "data", required_argument, NULL, OPT_DATA },
	{ "as", required_argument, NULL, OPT_AS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "case", required_argument, NULL, OPT_CASE },
	{ "record", required_argument, NULL, OPT_RECORD },
	{ "type", required_argument, NULL, OPT_TYPE },
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "officer", required_argument, NULL, OPT_OFFICER },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "captured", required_argument, NULL, OPT_CAPTURED },
	{ "captured-reason", required_argument, NULL, OPT_CAPTURED_REASON },
	{ "device-copy-deleted", no_argument, NULL, OPT_DELETED },
	{ "hash", required_argument, NULL, OPT_HASH },
	{ "offset", required_argument, NULL, OPT_OFFSET },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "start", required_argument, NULL, OPT_START },
	{ "reason", required_argument, NULL, OPT_REASON },
	{ "approved-by", required_argument, NULL, OPT_APPROVED_BY },
	{ "mark", required_argument, NULL, OPT_MARK },
	{ NULL, 0, NULL, 0 },
};

static int parse(int argc, char **argv, struct media_opts *o)
{
	int ch;

	o->req.fd = -1;
	o->req.record_seq = -1;
	while ((ch = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (ch) {
		case OPT_DIR: o->dir = optarg; break;
		case OPT_DATA: o->data = optarg; break;
		case OPT_AS: o->as = optarg; break;
		case OPT_JSON: o->json = 1; break;
		case OPT_HELP: fputs(media_help, stdout); return -1;
		case OPT_CASE: o->req.case_id = o->q.case_id = optarg; break;
		case OPT_RECORD: o->record = optarg; break;
		case OPT_TYPE: o->req.type = o->q.type = optarg; break;
		case OPT_DEVICE: o->req.device = optarg; break;
		case OPT_OFFICER: o->req.officer = optarg; break;
		case OPT_WINDOW: o->req.window = o->q.window = optarg; break;
		case OPT_CAPTURED: o->captured = optarg; break;
		case OPT_CAPTURED_REASON: o->req.captured_reason = optarg; break;
		case OPT_DELETED: o->req.device_copy_deleted = 1; break;
		case OPT_HASH: o->q.hash = optarg; break;
		case OPT_OFFSET: o->offset = optarg; break;
		case OPT_LIMIT: o->limit = optarg; break;
		case OPT_START: o->start = optarg; break;
		case OPT_REASON: o->reason = optarg; break;
		case OPT_APPROVED_BY: o->approved_by = optarg; break;
		case OPT_MARK: o->req.mark = optarg; break;
		default: return cli_bad_option("media", argv);
		}
	}
	if (o->record) {
		uint64_t v;

		if (cli_parse_u64("--record", o->record, &v))
			return EXIT_ERROR;
		o->req.record_seq = (int64_t)v;
	}
	if (o->captured) {
		if (cli_parse_time("--captured", o->captured,
				   &o->req.captured_ms))
			return EXIT_ERROR;
		o->req.has_captured = 1;
	}
	if (o->offset) {
		uint64_t v;

		if (cli_parse_u64("--offset", o->offset, &v))
			return EXIT_ERROR;
		o->q.offset = (size_t)v;
	}
	if (o->limit) {
		uint64_t v;

		if (cli_parse_u64("--limit", o->limit, &v))
			return EXIT_ERROR;
		if (v == 0 || v > 1000)
			return cli_usage("media", "--limit %s is out of range; "
					 "give 1 to 1000", o->limit);
		o->q.limit = (size_t)v;
	}
	return 0;
}

static int open_media(const struct media_opts *o, struct ledger **l,
		      struct cases **c, struct media **m)
{
	struct error err = { 0 };

	if (cli_open_cases(o->dir, o->data, 0, l, c) != 0)
		return EXIT_ERROR;
	if (media_open(*c, *l, NULL, m, &err) != 0) {
		cli_close_cases(*l, *c);
		return cli_fail(&err);
	}
	return 0;
}

static const char *str(const json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

static void print_flags(const json_t *row)
{
	json_t *f;
	size_t i;

	json_array_foreach(json_object_get(row, "flags"), i, f)
		printf("%s%s", i ? "," : "  flags: ", json_string_value(f));
}

/* One line per file: seq, type, capture start, size, hash, flags. */
static void print_row(const json_t *row)
{
	const json_t *cap = json_object_get(row, "captured");

	printf("%-6" JSON_INTEGER_FORMAT "  %-12s  %-29s  %10" JSON_INTEGER_FORMAT
	       "  %s", json_integer_value(json_object_get(row, "seq")),
	       str(row, "type") ?: "?", str(cap, "start") ?: "(unknown)",
	       json_integer_value(json_object_get(row, "size")),
	       str(row, "hash") ?: "");
	if (str(row, "case"))
		printf("  case %s", str(row, "case"));
	print_flags(row);
	putchar('\n');
}

static int do_ingest(struct media *m, struct media_opts *o, int argc,
		     char **argv, const struct actor *by)
{
	json_t *all = json_array();
	int status = EXIT_OK;

	for (int i = optind; i < argc; i++) {
		struct media_ingest_req q = o->req;
		struct error err = { 0 };
		json_t *out = NULL;
		const char *slash = strrchr(argv[i], '/');

		q.path = argv[i];
		q.name = slash ? slash + 1 : argv[i];
		if (media_ingest(m, &q, by, &out, &err) != 0) {
			fprintf(stderr, "casetrail: %s: %s\n", argv[i],
				err.msg);
			status = EXIT_ERROR;
			continue;
		}
		if (o->json) {
			json_object_set_new(out, "path", json_string(argv[i]));
			json_array_append_new(all, out);
		} else {
			print_row(out);
			json_decref(out);
		}
	}
	if (o->json)
		cli_print_json(json_pack("{s:o}", "items", all));
	else
		json_decref(all);
	return status;
}

static int need_seq(int argc, char **argv, const char *sub, uint64_t *seq)
{
	if (optind + 1 != argc)
		return cli_usage("media", "media %s takes one SEQ", sub);
	return cli_parse_u64("SEQ", argv[optind], seq);
}

static int print_result(int rc, json_t *out, const struct error *err,
			int json)
{
	if (rc)
		return cli_fail(err);
	if (json || !json_object_get(out, "kind")) {
		cli_print_json(out);
	} else {
		printf("%s recorded as entry %" JSON_INTEGER_FORMAT "\n",
		       str(out, "kind"),
		       json_integer_value(json_object_get(out, "seq")));
		json_decref(out);
	}
	return EXIT_OK;
}

static void print_custody(json_t *c)
{
	json_t *ev;
	size_t i;

	printf("%s  %s  %" JSON_INTEGER_FORMAT " bytes  %s\n", str(c, "hash"),
	       str(c, "sha256") ?: "", json_integer_value(json_object_get(c,
									  "size")),
	       json_is_true(json_object_get(c, "stored")) ? "stored"
							  : "not stored");
	json_array_foreach(json_object_get(c, "events"), i, ev) {
		char when[32];

		cases_time_format(json_integer_value(json_object_get(ev, "ts")),
				  when);
		printf("%-6" JSON_INTEGER_FORMAT "  %s  %-14s  %s%s%s\n",
		       json_integer_value(json_object_get(ev, "seq")), when,
		       str(ev, "kind") ?: "", str(ev, "actor") ?: "",
		       str(ev, "case") ? "  case " : "", str(ev, "case") ?: "");
	}
	json_decref(c);
}

/* Finds the hash of a file named by its ingest seq. */
static int custody_hash(struct media *m, const char *arg, char *hash,
			size_t n, struct error *err)
{
	json_t *row = NULL;
	uint64_t seq;
	int rc;

	if (strchr(arg, ':')) {
		snprintf(hash, n, "%s", arg);
		return 0;
	}
	if (cli_parse_u64("SEQ", arg, &seq))
		return error_set(err, CT_EINVAL, "give a file's hash "
				 "(sm3:<hex>) or the seq of its ingest");
	rc = media_get(m, seq, &row, err);
	if (rc == 0)
		snprintf(hash, n, "%s", str(row, "hash") ?: "");
	json_decref(row);
	return rc;
}

static int dispatch(struct media *m, const char *sub, struct media_opts *o,
		    int argc, char **argv, const struct actor *by)
{
	struct error err = { 0 };
	json_t *out = NULL;
	uint64_t seq;
	int rc;

	if (!strcmp(sub, "ingest"))
		return do_ingest(m, o, argc, argv, by);
	if (!strcmp(sub, "import-dir")) {
		rc = media_import_dir(m, argv[optind], &o->req, by, &out, &err);
		if (rc == 0 && !o->json) {
			json_t *row;
			size_t i;

			json_array_foreach(json_object_get(out, "ingested"), i,
					   row)
				print_row(row);
			printf("%zu ingested, %" JSON_INTEGER_FORMAT " stored "
			       "already, %zu failed\n",
			       json_array_size(json_object_get(out,
							       "ingested")),
			       json_integer_value(json_object_get(out,
								  "skipped")),
			       json_array_size(json_object_get(out, "failed")));
			rc = json_array_size(json_object_get(out, "failed"))
				     ? EXIT_ERROR : EXIT_OK;
			json_decref(out);
			return rc;
		}
		return print_result(rc, out, &err, 1);
	}
	if (!strcmp(sub, "list")) {
		json_t *row;
		size_t i;

		if (o->req.device || o->req.officer || o->record)
			return cli_usage("media", "media list filters by --case, "
					 "--type, --window and --hash only");
		rc = media_list(m, &o->q, &out, &err);
		if (rc || o->json)
			return print_result(rc, out, &err, 1);
		json_array_foreach(json_object_get(out, "items"), i, row)
			print_row(row);
		printf("%zu of %" JSON_INTEGER_FORMAT " files\n",
		       json_array_size(json_object_get(out, "items")),
		       json_integer_value(json_object_get(out, "total")));
		json_decref(out);
		return EXIT_OK;
	}
	if (!strcmp(sub, "custody")) {
		char hash[128];

		if (optind + 1 != argc)
			return cli_usage("media", "media custody takes one "
					 "HASH or SEQ");
		rc = custody_hash(m, argv[optind], hash, sizeof(hash), &err);
		if (rc == 0)
			rc = media_custody(m, hash, &out, &err);
		if (rc || o->json)
			return print_result(rc, out, &err, 1);
		print_custody(out);
		return EXIT_OK;
	}
	if ((rc = need_seq(argc, argv, sub, &seq)) != 0)
		return rc;
	if (!strcmp(sub, "show")) {
		rc = media_get(m, seq, &out, &err);
		if (rc == 0 && cli_view_media(cli_access(), o->as, out) != 0) {
			json_decref(out);
			return EXIT_ERROR;
		}
	} else if (!strcmp(sub, "link")) {
		uint64_t record;

		if (!o->record)
			return cli_usage("media", "media link needs --record");
		record = (uint64_t)o->req.record_seq;
		rc = media_link(m, seq, record, by, &out, &err);
	} else if (!strcmp(sub, "capture")) {
		int64_t start;

		if (!o->start || !o->reason)
			return cli_usage("media", "media capture needs --start "
					 "and --reason");
		if (cli_parse_time("--start", o->start, &start))
			return EXIT_ERROR;
		rc = media_state_capture(m, seq, start, o->reason, by, &out,
					 &err);
	} else {
		if (!o->reason || !o->approved_by)
			return cli_usage("media", "media justify needs --reason "
					 "and --approved-by");
		rc = media_justify(m, seq, o->reason, o->approved_by, by, &out,
				   &err);
	}
	return print_result(rc, out, &err, o->json || !strcmp(sub, "show"));
}

int cmd_media(int argc, char **argv)
{
	static const char *const subs[] = { "ingest", "import-dir", "list",
					    "show", "link", "capture",
					    "justify", "custody" };
	struct media_opts o = { 0 };
	struct ledger *l;
	struct cases *c;
	struct media *m;
	const char *sub;
	size_t i = 0;
	int rc;

	if (argc < 2 || !strcmp(argv[1], "--help")) {
		fputs(media_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_ERROR : EXIT_OK;
	}
	sub = argv[1];
	while (i < ARRAY_SIZE(subs) && strcmp(sub, subs[i]))
		i++;
	if (i == ARRAY_SIZE(subs))
		return cli_usage("media", "unknown subcommand '%s'", sub);
	rc = parse(argc - 1, argv + 1, &o);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	/* getopt ran over argv + 1, so positional arguments follow optind. */
	argc--;
	argv++;
	if (!strcmp(sub, "ingest") && optind >= argc)
		return cli_usage("media", "media ingest needs at least one "
				 "FILE");
	if (!strcmp(sub, "import-dir") && optind + 1 != argc)
		return cli_usage("media", "media import-dir takes one DIR");
	rc = open_media(&o, &l, &c, &m);
	if (rc)
		return rc;
	{
		struct actor by = { cli_actor(o.as), cli_os_user() };

		rc = dispatch(m, sub, &o, argc, argv, &by);
	}
	media_close(m);
	cli_close_cases(l, c);
	return rc;
}
