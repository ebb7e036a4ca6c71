/*
 * 双公示 on the command line: export the granted licences of a range of
 * decision days as the submission file or the public view, import a
 * historical publicity file, and list the imported rows. The acting
 * user (--as) is checked by the access policy as over HTTP.
 * docs/publicity.md states the rules.
 */
#include "common/common.h"

#include <fcntl.h>
#include <getopt.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "deadlines/deadlines.h"
#include "publicity/publicity.h"

static const char publicity_help[] =
	"Usage: casetrail publicity export --from DATE --to DATE --out FILE\n"
	"                                  [--public] [--authority-code CODE]\n"
	"       casetrail publicity import FILE [--check]\n"
	"       casetrail publicity list [--offset N] [--limit N]\n"
	"\n"
	"export writes the granted licences decided from --from to --to\n"
	"(YYYY-MM-DD, both included) as a 双公示 行政许可 CSV file and records\n"
	"the export. Without --public it is the submission to the credit\n"
	"platform; with --public it is the public view, without ID numbers\n"
	"of natural persons and legal representatives, marked decisions and\n"
	"the columns an applicant's objection names, and with every other\n"
	"resident ID number replaced by '*'. import reads a historical\n"
	"publicity file and stores its rows unless --check; a file with any\n"
	"invalid field stores nothing, and --check needs no account. list\n"
	"shows the rows imported so far.\n"
	"\n"
	"  --dir DIR             the store (default $CASETRAIL_DIR)\n"
	"  --data DIR            the bureau data (default $CASETRAIL_DATA)\n"
	"  --as USER             the acting user (default the OS user)\n"
	"  --json                print JSON\n"
	"  --authority-code CODE the authority's unified social credit code,\n"
	"                        instead of publicity.json's\n";

struct publicity_opts {
	const char *dir, *data, *as, *from, *to, *out, *authority_code;
	int json, public_view, check;
	size_t offset, limit;
};

enum {
	OPT_DIR = 1000, OPT_DATA, OPT_AS, OPT_JSON, OPT_HELP, OPT_FROM,
	OPT_TO, OPT_OUT, OPT_PUBLIC, OPT_AUTHORITY, OPT_CHECK, OPT_OFFSET,
	OPT_LIMIT,
};

static int parse_size(const char *what, const char *text, size_t *out)
{
	uint64_t v;

	if (cli_parse_u64(what, text, &v) != 0)
		return EXIT_ERROR;
	*out = (size_t)v;
	return 0;
}

static int take_option(struct publicity_opts *o, int ch)
{
	switch (ch) {
	case OPT_DIR: o->dir = optarg; return 0;
	case OPT_DATA: o->data = optarg; return 0;
	case OPT_AS: o->as = optarg; return 0;
	case OPT_JSON: o->json = 1; return 0;
	case OPT_FROM: o->from = optarg; return 0;
	case OPT_TO: o->to = optarg; return 0;
	case OPT_OUT: o->out = optarg; return 0;
	case OPT_PUBLIC: o->public_view = 1; return 0;
	case OPT_AUTHORITY: o->authority_code = optarg; return 0;
	case OPT_CHECK: o->check = 1; return 0;
	case OPT_OFFSET: return parse_size("--offset", optarg, &o->offset);
	case OPT_LIMIT: return parse_size("--limit", optarg, &o->limit);
	}
	return EXIT_ERROR;
}

/* Parses the options after the subcommand; returns -1 after --help. */
static int parse_options(int argc, char **argv, struct publicity_opts *o)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "data", required_argument, NULL, OPT_DATA },
		{ "as", required_argument, NULL, OPT_AS },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "to", required_argument, NULL, OPT_TO },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "public", no_argument, NULL, OPT_PUBLIC },
		{ "authority-code", required_argument, NULL, OPT_AUTHORITY },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "offset", required_argument, NULL, OPT_OFFSET },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == OPT_HELP) {
			fputs(publicity_help, stdout);
			return -1;
		}
		if (ch == '?' || ch == ':')
			return cli_bad_option("publicity", argv);
		if (take_option(o, ch) != 0)
			return EXIT_ERROR;
	}
	return 0;
}

static int parse_day(const char *what, const char *text, int32_t *day)
{
	if (!text)
		return cli_usage("publicity", "export needs %s DATE", what);
	if (day_parse(text, day) != 0)
		return cli_usage("publicity", "%s '%s' is not a date; give "
				 "YYYY-MM-DD", what, text);
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

static void print_export(const json_t *out, const char *path)
{
	json_t *w;
	size_t i;

	printf("%s: %" JSON_INTEGER_FORMAT " rows (%s), entry %"
	       JSON_INTEGER_FORMAT ", sha256 %s\n", path,
	       json_integer_value(json_object_get(out, "rows")),
	       json_string_value(json_object_get(out, "output")) ?: "",
	       json_integer_value(json_object_get(out, "seq")),
	       json_string_value(json_object_get(out, "sha256")) ?: "");
	json_array_foreach(json_object_get(out, "withheld"), i, w)
		printf("  withheld decision %" JSON_INTEGER_FORMAT " of case "
		       "%s: %s\n", json_integer_value(json_object_get(w, "seq")),
		       json_string_value(json_object_get(w, "case")) ?: "",
		       json_string_value(json_object_get(w, "reason")) ?: "");
	json_array_foreach(json_object_get(out, "warnings"), i, w)
		printf("  warning: %s\n", json_string_value(w) ?: "");
}

static int do_export(const struct publicity_opts *o, struct access *a,
		     const struct principal *p, const struct actor *by)
{
	struct publicity_export_req req = { 0 };
	struct buf csv = BUF_INIT_MAX(CSV_FILE_MAX);
	struct error err = { 0 };
	json_t *out = NULL;
	int rc;

	if (!o->out)
		return cli_usage("publicity", "export needs --out FILE");
	rc = parse_day("--from", o->from, &req.from_day);
	if (rc == 0)
		rc = parse_day("--to", o->to, &req.to_day);
	if (rc)
		return rc;
	req.public_view = o->public_view;
	req.authority_code = o->authority_code;
	if (publicity_export(a, p, by, &req, &csv, &out, &err) != 0)
		rc = cli_fail(&err);
	if (rc == 0)
		rc = write_file(o->out, &csv);
	if (rc == 0 && o->json)
		cli_print_json(json_incref(out));
	else if (rc == 0)
		print_export(out, o->out);
	json_decref(out);
	buf_release(&csv);
	return rc;
}

static int read_file(const char *path, struct buf *data)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char chunk[65536];
	ssize_t n;

	if (fd < 0)
		return cli_failf("cannot open '%s': %s", path, strerror(errno));
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || buf_append(data, chunk, (size_t)n) != 0) {
			close(fd);
			return cli_failf("reading '%s' failed: %s", path,
					 n < 0 ? strerror(errno)
					       : "larger than 64 MiB");
		}
	}
	close(fd);
	return 0;
}

/* Prints the blank fields per column, with the first rows. */
static void print_warnings(const json_t *warnings)
{
	json_t *by_column = json_object(), *w, *rows;
	const char *column;
	size_t i;

	json_array_foreach(warnings, i, w) {
		column = json_string_value(json_object_get(w, "column"));
		rows = json_object_get(by_column, column ?: "");
		if (!rows) {
			rows = json_array();
			json_object_set_new(by_column, column ?: "", rows);
		}
		json_array_append(rows, json_object_get(w, "row"));
	}
	json_object_foreach(by_column, column, rows) {
		printf("  warning: %s blank in %zu rows (", column,
		       json_array_size(rows));
		for (i = 0; i < json_array_size(rows) && i < 5; i++)
			printf("%s%" JSON_INTEGER_FORMAT, i ? ", " : "",
			       json_integer_value(json_array_get(rows, i)));
		printf("%s)\n", json_array_size(rows) > 5 ? ", ..." : "");
	}
	json_decref(by_column);
}

static void print_import(const json_t *out)
{
	json_t *d;
	size_t i;

	printf("%s: %" JSON_INTEGER_FORMAT " rows, %" JSON_INTEGER_FORMAT
	       " stored, %" JSON_INTEGER_FORMAT " already stored, %"
	       JSON_INTEGER_FORMAT " invalid fields\n",
	       json_string_value(json_object_get(out, "source")) ?: "",
	       json_integer_value(json_object_get(out, "rows")),
	       json_integer_value(json_object_get(out, "stored")),
	       json_integer_value(json_object_get(out, "already")),
	       json_integer_value(json_object_get(out, "errors_total")));
	json_array_foreach(json_object_get(out, "errors"), i, d)
		printf("  error: row %" JSON_INTEGER_FORMAT ", %s = '%s': %s\n",
		       json_integer_value(json_object_get(d, "row")),
		       json_string_value(json_object_get(d, "column")) ?: "",
		       json_string_value(json_object_get(d, "value")) ?: "",
		       json_string_value(json_object_get(d, "message")) ?: "");
	json_array_foreach(json_object_get(out, "duplicates"), i, d)
		printf("  duplicate: row %" JSON_INTEGER_FORMAT " repeats row %"
		       JSON_INTEGER_FORMAT "\n",
		       json_integer_value(json_object_get(d, "row")),
		       json_integer_value(json_object_get(d, "first")));
	json_array_foreach(json_object_get(out, "ignored"), i, d)
		printf("  ignored column: %s\n", json_string_value(d) ?: "");
	print_warnings(json_object_get(out, "warnings"));
}

static int do_import(const struct publicity_opts *o, const char *path,
		     struct access *a, const struct principal *p,
		     const struct actor *by)
{
	struct buf data = BUF_INIT_MAX(CSV_FILE_MAX);
	struct error err = { 0 };
	json_t *out = NULL;
	const char *base = strrchr(path, '/');
	int rc = read_file(path, &data), call = 0;

	if (rc == 0)
		call = publicity_import(a, p, by, data.data ? data.data : "",
					data.len, base ? base + 1 : path,
					o->check, &out, &err);
	if (rc == 0 && out && o->json)
		cli_print_json(json_incref(out));
	else if (rc == 0 && out)
		print_import(out);
	if (rc == 0 && call != 0)
		rc = cli_fail(&err);
	json_decref(out);
	buf_release(&data);
	return rc;
}

static int do_list(const struct publicity_opts *o, struct access *a,
		   const struct principal *p)
{
	struct access_target t = { 0 };
	struct error err = { 0 };
	json_t *out = NULL, *item;
	size_t i;

	if (access_decide(a, p, ACT_PUBLICITY_EXPORT, &t, &err) != 0 ||
	    publicity_list(a, o->offset, o->limit, &out, &err) != 0)
		return cli_fail(&err);
	if (o->json) {
		cli_print_json(out);
		return EXIT_OK;
	}
	json_array_foreach(json_object_get(out, "items"), i, item) {
		const json_t *f = json_object_get(item, "fields");

		printf("%s row %" JSON_INTEGER_FORMAT " entry %"
		       JSON_INTEGER_FORMAT ": %s %s %s\n",
		       json_string_value(json_object_get(item, "source")) ?: "",
		       json_integer_value(json_object_get(item, "row")),
		       json_integer_value(json_object_get(item, "seq")),
		       json_string_value(json_object_get(f, "XK_XDR_SHXYM"))
			       ?: "-",
		       json_string_value(json_object_get(f, "XK_XDR_MC")) ?: "-",
		       json_string_value(json_object_get(f, "XK_WSH")) ?: "-");
	}
	printf("%" JSON_INTEGER_FORMAT " rows\n",
	       json_integer_value(json_object_get(out, "total")));
	json_decref(out);
	return EXIT_OK;
}

/*
 * Loads --as strictly (no console viewer: an export is an act, not a
 * read) and checks it against the policy, recording a refusal as every command does.
 */
static int load_viewer(const struct publicity_opts *o, struct cli_viewer *v)
{
	struct access_target t = { 0 };
	struct error err = { 0 };

	memset(v, 0, sizeof(*v));
	v->os_user = cli_os_user();
	if (access_principal(cli_access(), cli_actor(o->as), "cli", &v->p,
			     &err) != 0)
		return cli_fail(&err);
	if (cli_viewer_allow(cli_access(), v, ACT_PUBLICITY_EXPORT, &t) != 0) {
		cli_viewer_release(v);
		return EXIT_ERROR;
	}
	return 0;
}

int cmd_publicity(int argc, char **argv)
{
	struct publicity_opts o = { 0 };
	struct cli_viewer v;
	const char *sub = argc > 1 ? argv[1] : NULL, *file = NULL;
	struct ledger *l;
	struct cases *c;
	int rc;

	if (!sub || !strcmp(sub, "--help") || !strcmp(sub, "-h")) {
		fputs(publicity_help, sub ? stdout : stderr);
		return sub ? EXIT_OK : EXIT_ERROR;
	}
	if (strcmp(sub, "export") && strcmp(sub, "import") &&
	    strcmp(sub, "list"))
		return cli_usage("publicity", "unknown subcommand '%s'; use "
				 "export, import or list", sub);
	rc = parse_options(argc - 1, argv + 1, &o);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (!strcmp(sub, "import")) {
		if (optind + 1 != argc - 1)
			return cli_usage("publicity", "import takes one FILE");
		file = argv[optind + 1];
	} else if (optind != argc - 1) {
		return cli_usage("publicity", "unexpected argument '%s'",
				 argv[optind + 1]);
	}
	if (cli_open_cases(o.dir, o.data, 0, &l, &c) != 0)
		return EXIT_ERROR;
	/* A check stores nothing and reads no stored content, so it needs
	 * no account: --as is not even looked up. */
	if (file && o.check) {
		rc = do_import(&o, file, cli_access(), NULL, NULL);
		cli_close_cases(l, c);
		return rc;
	}
	rc = load_viewer(&o, &v);
	if (rc == 0) {
		struct actor by = { cli_actor(o.as), cli_os_user() };

		if (!strcmp(sub, "export"))
			rc = do_export(&o, cli_access(), &v.p, &by);
		else if (!strcmp(sub, "import"))
			rc = do_import(&o, file, cli_access(), &v.p, &by);
		else
			rc = do_list(&o, cli_access(), &v.p);
		cli_viewer_release(&v);
	}
	cli_close_cases(l, c);
	return rc;
}
