/*
 * Case files: archive seals an ended case's file and writes the package;
 * verify-package checks a package without any store (docs/archive.md).
 */
#include "common/common.h"

#include <fcntl.h>
#include <unistd.h>

#include "archive/archive.h"
#include "cli.h"
#include "documents/documents.h"

static const char archive_help[] =
	"Usage: casetrail archive CASE --out FILE [--format tar|zip]\n"
	"                         [--as USER] [--json] [--dir DIR] [--data DIR]\n"
	"\n"
	"Seals the case file (案卷) of an ended case as a BagIt package and\n"
	"writes it to FILE, which must not exist. The seal is an entry of the\n"
	"case; a case with entries after its last seal gets an amended\n"
	"package (修改型) that holds the previous one. --as names the\n"
	"archivist; without it the OS user acts. --as needs the clearance for\n"
	"every mark among the case's records. The result of the DA/T 70 check\n"
	"is printed; a package that fails it is sealed all the same (exit 0)\n"
	"and the failure is printed to stderr too.\n";

/* Checks that v has the clearance for every mark among the records. */
static int allow_marks(const struct cli_viewer *v, const char *case_id,
		       json_t *marks)
{
	struct access_target t = { .case_id = case_id };
	struct error err = { 0 };
	const json_t *m;
	unsigned checked = 0;
	size_t i;
	int rc = 0;

	json_array_foreach(marks, i, m) {
		if (access_mark_parse(json_string_value(json_object_get(
					      m, "mark")), &t.mark, &err) != 0) {
			error_clear(&err);
			continue;
		}
		if (!(checked & (1u << t.mark)))
			rc = cli_viewer_allow(cli_access(), v, ACT_RECORD_READ,
					      &t);
		checked |= 1u << t.mark;
		if (rc)
			break;
	}
	return rc;
}

/* Records v's read of every protected record the package holds. */
static int log_reads(const struct cli_viewer *v, const char *case_id,
		     const json_t *marks)
{
	struct error err = { 0 };
	const json_t *m;
	size_t i;
	int rc = 0;

	json_array_foreach(marks, i, m) {
		enum access_mark mark;
		char target[48];

		if (access_mark_parse(json_string_value(json_object_get(
					      m, "mark")), &mark, &err) != 0) {
			error_clear(&err);
			continue;
		}
		snprintf(target, sizeof(target), "record:%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(m, "seq")));
		rc = cli_viewer_read(cli_access(), v, ACT_CASE_FILE_SEAL,
				     case_id, target, mark);
		if (rc)
			break;
	}
	return rc;
}

/* Syncs the folder of path, so that a new name in it is durable. */
static void sync_folder(const char *path)
{
	char folder[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd;

	if (!slash)
		snprintf(folder, sizeof(folder), ".");
	else
		snprintf(folder, sizeof(folder), "%.*s",
			 (int)(slash - path) + (slash == path), path);
	fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/*
 * Writes the package to a temporary file beside out_path and renames it
 * only once the seal entry is committed, so that out_path never contains a
 * package that no seal names.
 */
static int write_package(const char *dir, const char *data, const char *as,
			 const struct archive_req *req, const char *out_path,
			 json_t **info)
{
	struct cli_viewer v = { 0 };
	struct documents *d = NULL;
	struct error err = { 0 };
	struct ledger *l;
	struct cases *c;
	json_t *marks = NULL;
	char tmp[PATH_MAX];
	int fd = -1, rc;

	if (cli_open_cases(dir, data, 0, &l, &c) != 0)
		return EXIT_ERROR;
	rc = cli_viewer_open(cli_access(), as, &v);
	if (rc == 0 && as)
		rc = cli_viewer_allow(cli_access(), &v, ACT_CASE_FILE_SEAL,
				      &(struct access_target){
					      .case_id = req->case_id });
	if (rc == 0 && archive_marks(cli_access(), req->case_id, &marks,
				     &err) != 0)
		rc = cli_fail(&err);
	if (rc == 0 && as)
		rc = allow_marks(&v, req->case_id, marks);
	if (rc) {
		json_decref(marks);
		cli_viewer_release(&v);
		cli_close_cases(l, c);
		return rc;
	}
	if (documents_open(cli_access(), cli_data_dir(data), &d, &err) != 0) {
		fprintf(stderr, "casetrail: cannot render records, so the "
			"package has no PDFs of them: %s\n", err.msg);
		error_clear(&err);
		d = NULL;
	}
	if (access(out_path, F_OK) == 0)
		rc = cli_failf("'%s' exists; give a new file", out_path);
	else if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", out_path) >=
		 sizeof(tmp))
		rc = cli_failf("the path '%s' is too long", out_path);
	else if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		rc = cli_failf("cannot create a file beside '%s': %s; give a "
			       "folder you may write to", out_path,
			       strerror(errno));
	if (rc == 0 && archive_seal(cli_access(), d, req, fd, info, &err))
		rc = cli_fail(&err);
	if (rc == 0 && fsync(fd) != 0)
		rc = cli_failf("cannot write '%s': %s", tmp, strerror(errno));
	if (rc == 0 && link(tmp, out_path) != 0) {
		const char *why = strerror(errno);

		rc = cli_failf("cannot create '%s': %s; give a new file",
			       out_path, why ? why : "unknown error");
	}
	if (rc == 0)
		sync_folder(out_path);
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	if (rc == 0)
		rc = log_reads(&v, req->case_id, marks);
	if (rc) {
		json_decref(*info);
		*info = NULL;
	}
	json_decref(marks);
	documents_close(d);
	cli_viewer_release(&v);
	cli_close_cases(l, c);
	return rc;
}

int cmd_archive(int argc, char **argv)
{
	enum { OPT_DIR = 1, OPT_DATA, OPT_OUT, OPT_FORMAT, OPT_AS, OPT_JSON };
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "data", required_argument, NULL, OPT_DATA },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "as", required_argument, NULL, OPT_AS },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *data = NULL, *out = NULL, *as = NULL;
	struct archive_req req = { .format = "tar" };
	struct actor by;
	const char *report;
	json_t *info = NULL;
	int ch, as_json = 0, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case OPT_DIR: dir = optarg; break;
		case OPT_DATA: data = optarg; break;
		case OPT_OUT: out = optarg; break;
		case OPT_FORMAT: req.format = optarg; break;
		case OPT_AS: as = optarg; break;
		case OPT_JSON: as_json = 1; break;
		case 'h': fputs(archive_help, stdout); return EXIT_OK;
		default: return cli_bad_option("archive", argv);
		}
	}
	if (argc - optind != 1)
		return cli_usage("archive", "archive takes one CASE");
	if (!out)
		return cli_usage("archive", "give the package file with --out");
	if (strcmp(req.format, "tar") && strcmp(req.format, "zip"))
		return cli_usage("archive", "invalid --format '%s': give tar "
				 "or zip", req.format);
	req.case_id = argv[optind];
	by.user = cli_actor(as);
	by.os_user = cli_os_user();
	req.by = &by;
	req.data_dir = cli_data_dir(data);
	rc = write_package(dir, data, as, &req, out, &info);
	if (rc)
		return rc;
	report = json_string_value(json_object_get(info, "report")) ?: "";
	/*
	 * A package that fails its check is sealed all the same, as the
	 * evidence of what the case holds: the exit status stays 0 and the
	 * failure is printed, to stderr too.
	 */
	if (strcmp(report, "pass"))
		fprintf(stderr, "casetrail: the DA/T 70 check of the case file "
			"failed; see data/check-report.txt in '%s'\n", out);
	if (as_json)
		cli_print_json(info);
	else {
		printf("%s %s sealed as seq %" JSON_INTEGER_FORMAT " (%s), "
		       "DA/T 70 check %s: %s\n",
		       json_string_value(json_object_get(info, "reference")) ?: "",
		       json_string_value(json_object_get(info, "type")) ?: "",
		       json_integer_value(json_object_get(info, "seq")),
		       json_is_true(json_object_get(info, "new"))
			       ? "new" : "unchanged",
		       report[0] ? report : "unknown", out);
		json_decref(info);
	}
	return EXIT_OK;
}

static const char verify_help[] =
	"Usage: casetrail verify-package FILE [--key FILE]\n"
	"\n"
	"Checks a case file package without any store: the bag's manifests,\n"
	"commitments, inclusion proofs, the checkpoint's signatures, staff\n"
	"and seal signatures, eep.xml and the check report. --key gives a log\n"
	"public key (PEM) to trust instead of the package's own. Exit 0 when\n"
	"sound, 1 with one line per problem, 2 on a usage error.\n";

static void print_problem(void *ctx, const char *file, const char *what)
{
	(void)ctx;
	printf("%s: %s\n", file[0] ? file : "package", what);
}

int cmd_verify_package(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *key = NULL;
	struct error err = { 0 };
	char *pem = NULL;
	int ch, n;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'k': key = optarg; break;
		case 'h': fputs(verify_help, stdout); return EXIT_OK;
		default: return cli_bad_option("verify-package", argv);
		}
	}
	if (argc - optind != 1)
		return cli_usage("verify-package", "verify-package takes one "
				 "FILE");
	if (key) {
		FILE *f = fopen(key, "r");
		size_t len = 0;

		pem = f ? calloc(1, 16384) : NULL;
		if (pem)
			len = fread(pem, 1, 16383, f);
		if (f)
			fclose(f);
		if (!pem || len == 0)
			return free(pem), cli_failf("cannot read the key '%s'",
						    key);
	}
	n = archive_verify(argv[optind], pem, print_problem, NULL, &err);
	free(pem);
	if (n < 0)
		return cli_fail(&err);
	if (n > 0)
		return EXIT_PROBLEM;
	printf("%s: sound\n", argv[optind]);
	return EXIT_OK;
}
