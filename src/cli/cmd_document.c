/*
 * Official documents on the command line: document render (which issues
 * a document on its first render), document list and document get, and
 * the bureau's seal key: seal-key init and show. docs/documents.md
 * describes how documents are made, sealed and verified.
 */
#include "common/common.h"

#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "documents/documents.h"

static const char document_help[] =
    "Usage: casetrail document render CASE KIND [--record SEQ] --out FILE\n"
    "       casetrail document list CASE\n"
    "       casetrail document get CASE SEQ --out FILE\n"
    "\n"
    "render writes official document KIND (a template of\n"
    "data/documents/) of case CASE, printed from record SEQ or from the\n"
    "case's latest record of the template's kind, as a PDF to FILE. The\n"
    "first render issues the document: it is sealed with the bureau's\n"
    "seal key and recorded in a document-issue entry. Later renders write\n"
    "the same bytes. list shows the documents issued in a case; get\n"
    "writes the PDF that document-issue entry SEQ recorded. KIND\n"
    "'record' writes the plain rendering of record SEQ (its fields as a\n"
    "table) without issuing anything.\n"
    "\n"
    "  --dir DIR      the store (default $CASETRAIL_DIR)\n"
    "  --data DIR     the bureau data (default $CASETRAIL_DATA)\n"
    "  --as USER      the acting user (default the OS user)\n"
    "  --record SEQ   the record to print from\n"
    "  --out FILE     where to write the PDF (replaced if it exists)\n"
    "  --json         print JSON\n";

static const char seal_help[] =
    "Usage: casetrail seal-key init|show [--dir DIR] [--json]\n"
    "\n"
    "init creates the bureau's SM2 seal key in the store's keys/ folder\n"
    "(seal.key, mode 0600, and seal.pub) for a store made before seal\n"
    "keys existed, and records its public key in a seal-key entry. It\n"
    "never replaces a key. show prints the public key, its key id and\n"
    "the seq of its seal-key entry.\n"
    "\n"
    "  --dir DIR      the store (default $CASETRAIL_DIR)\n"
    "  --data DIR     the bureau data (default $CASETRAIL_DATA)\n"
    "  --as USER      the acting user (default the OS user)\n"
    "  --json         print JSON\n";

struct doc_opts {
	const char *dir, *data, *as, *record, *out;
	int json;
};

enum {
	OPT_DIR = 1000,
	OPT_DATA,
	OPT_AS,
	OPT_RECORD,
	OPT_OUT,
	OPT_JSON,
	OPT_HELP
};

/* Parses the options; returns -1 after --help. */
static int parse(int argc, char **argv, const char *help, const char *cmd,
		 struct doc_opts *o)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "data", required_argument, NULL, OPT_DATA },
		{ "as", required_argument, NULL, OPT_AS },
		{ "record", required_argument, NULL, OPT_RECORD },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case OPT_DIR: o->dir = optarg; break;
		case OPT_DATA: o->data = optarg; break;
		case OPT_AS: o->as = optarg; break;
		case OPT_RECORD: o->record = optarg; break;
		case OPT_OUT: o->out = optarg; break;
		case OPT_JSON: o->json = 1; break;
		case OPT_HELP: fputs(help, stdout); return -1;
		default: return cli_bad_option(cmd, argv);
		}
	}
	return 0;
}

/* Checks that FILE can be written: its folder exists, it is no folder. */
static int check_out(const char *out)
{
	char *copy = strdup(out);
	const char *dir = copy ? dirname(copy) : ".";
	struct stat st;
	int rc = 0;

	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		rc = cli_failf("--out '%s': folder '%s' does not exist; create "
			       "it first",
			       out, dir);
	else if (access(dir, W_OK) != 0)
		rc = cli_failf("--out '%s': folder '%s' is not writable", out,
			       dir);
	else if (stat(out, &st) == 0 && S_ISDIR(st.st_mode))
		rc = cli_failf("--out '%s' is a folder; give a file name", out);
	free(copy);
	return rc;
}

/* Writes pdf to out through a temporary file in the same folder. */
static int write_out(const char *out, const struct buf *pdf)
{
	char tmp[PATH_MAX];
	int fd, rc = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", out);
	fd = mkstemp(tmp);
	if (fd < 0)
		return cli_failf("cannot create '%s': %s", tmp,
				 strerror(errno));
	if (write(fd, pdf->data, pdf->len) != (ssize_t)pdf->len ||
	    fchmod(fd, 0644) != 0 || fsync(fd) != 0)
		rc = cli_failf("cannot write '%s': %s", tmp, strerror(errno));
	close(fd);
	if (rc == 0 && rename(tmp, out) != 0)
		rc = cli_failf("cannot write '%s': %s", out, strerror(errno));
	if (rc)
		unlink(tmp);
	return rc;
}

struct session {
	struct ledger *l;
	struct cases *c;
	struct documents *d;
	struct cli_viewer v;
	int viewer;
};

static int session_open(const struct doc_opts *o, struct session *s)
{
	struct error err = { 0 };

	memset(s, 0, sizeof(*s));
	if (cli_open_cases(o->dir, o->data, 0, &s->l, &s->c) != 0)
		return EXIT_ERROR;
	if (documents_open(cli_access(), cli_data_dir(o->data), &s->d, &err) !=
	    0)
		return cli_fail(&err);
	if (cli_viewer_open(cli_access(), o->as, &s->v) != 0)
		return EXIT_ERROR;
	s->viewer = 1;
	return 0;
}

static void session_close(struct session *s)
{
	if (s->viewer)
		cli_viewer_release(&s->v);
	documents_close(s->d);
	if (s->l)
		cli_close_cases(s->l, s->c);
}

static void print_info(const json_t *info, const char *out)
{
	printf("document %s %s (record %" JSON_INTEGER_FORMAT "): issued in "
	       "entry %" JSON_INTEGER_FORMAT ", %" JSON_INTEGER_FORMAT
	       " bytes, %s%s%s\n",
	       json_string_value(json_object_get(info, "document")) ?: "",
	       json_string_value(json_object_get(info, "number")) ?: "",
	       json_integer_value(json_object_get(info, "source")),
	       json_integer_value(json_object_get(info, "seq")),
	       json_integer_value(
		   json_object_get(json_object_get(info, "pdf"), "size")),
	       json_string_value(
		   json_object_get(json_object_get(info, "pdf"), "hash"))
		   ?: "",
	       out ? " -> " : "", out ? out : "");
}

static int do_render(const struct doc_opts *o, const char *case_id,
		     const char *kind)
{
	struct actor by = { cli_actor(o->as), cli_os_user() };
	struct buf pdf = BUF_INIT_MAX(BUF_DEFAULT_MAX);
	struct error err = { 0 };
	struct access_target t = { .case_id = case_id };
	struct session s;
	json_t *info = NULL;
	uint64_t seq = 0, source;
	int rc = 0;

	if (!o->out)
		return cli_usage("document", "render needs --out FILE");
	if (o->record && cli_parse_u64("--record", o->record, &seq) != 0)
		return EXIT_ERROR;
	if (check_out(o->out) != 0)
		return EXIT_ERROR;
	rc = session_open(o, &s);
	/* The viewer must be cleared for what the source record holds. */
	if (rc == 0 &&
	    documents_source(s.d, case_id, kind, o->record ? (int64_t)seq : -1,
			     &source, &t.mark, &err) != 0)
		rc = cli_fail(&err);
	if (rc == 0)
		rc = cli_viewer_allow(cli_access(), &s.v, ACT_DOCUMENT_ISSUE,
				      &t);
	if (rc == 0 && t.mark != MARK_NONE)
		rc = cli_viewer_allow(cli_access(), &s.v, ACT_RECORD_READ, &t);
	if (rc == 0 && documents_issue(s.d, case_id, kind, (int64_t)source, &by,
				       &pdf, &info, &err) != 0)
		rc = cli_fail(&err);
	if (rc == 0) {
		char target[64];

		snprintf(target, sizeof(target), "record:%" PRIu64, source);
		rc = cli_viewer_read(cli_access(), &s.v, ACT_DOCUMENT_ISSUE,
				     case_id, target, t.mark);
	}
	session_close(&s);
	if (rc == 0)
		rc = write_out(o->out, &pdf);
	if (rc == 0 && o->json)
		cli_print_json(json_incref(info));
	else if (rc == 0)
		print_info(info, o->out);
	json_decref(info);
	buf_release(&pdf);
	return rc;
}

/* The plain rendering of a record, not issued (KIND "record"). */
static int do_render_plain(const struct doc_opts *o, const char *case_id)
{
	struct buf pdf = BUF_INIT_MAX(BUF_DEFAULT_MAX);
	struct access_target t = { .case_id = case_id };
	struct error err = { 0 };
	struct session s;
	char target[64];
	uint64_t seq;
	int rc;

	if (!o->out || !o->record)
		return cli_usage("document",
				 "render CASE record needs --record "
				 "SEQ and --out FILE");
	if (cli_parse_u64("--record", o->record, &seq) != 0 ||
	    check_out(o->out) != 0)
		return EXIT_ERROR;
	snprintf(target, sizeof(target), "record:%" PRIu64, seq);
	rc = session_open(o, &s);
	if (rc == 0 &&
	    documents_record_mark(s.d, case_id, seq, &t.mark, &err) != 0)
		rc = cli_fail(&err);
	if (rc == 0)
		rc = cli_viewer_allow(cli_access(), &s.v, ACT_RECORD_READ, &t);
	if (rc == 0 &&
	    documents_render_record(s.d, case_id, seq, &pdf, &err) != 0)
		rc = cli_fail(&err);
	if (rc == 0)
		rc = cli_viewer_read(cli_access(), &s.v, ACT_RECORD_READ,
				     case_id, target, t.mark);
	session_close(&s);
	if (rc == 0)
		rc = write_out(o->out, &pdf);
	if (rc == 0 && !o->json)
		printf("record %" PRIu64 " of case %s -> %s\n", seq, case_id,
		       o->out);
	buf_release(&pdf);
	return rc;
}

static int do_list(const struct doc_opts *o, const char *case_id)
{
	struct access_target t = { .case_id = case_id };
	struct error err = { 0 };
	struct session s;
	json_t *list = NULL, *item;
	size_t i;
	int rc = session_open(o, &s);

	if (rc == 0)
		rc =
		    cli_viewer_allow(cli_access(), &s.v, ACT_DOCUMENT_READ, &t);
	if (rc == 0 && documents_list(s.d, case_id, &list, &err) != 0)
		rc = cli_fail(&err);
	session_close(&s);
	if (rc == 0 && o->json) {
		cli_print_json(list);
		return EXIT_OK;
	}
	json_array_foreach(list, i, item)
		print_info(item, NULL);
	json_decref(list);
	return rc;
}

static int do_get(const struct doc_opts *o, const char *case_id,
		  const char *seq_text)
{
	struct buf pdf = BUF_INIT_MAX(BUF_DEFAULT_MAX);
	struct access_target t = { .case_id = case_id };
	struct error err = { 0 };
	struct session s;
	json_t *info = NULL;
	uint64_t seq;
	int rc;

	if (!o->out)
		return cli_usage("document", "get needs --out FILE");
	if (cli_parse_u64("SEQ", seq_text, &seq) != 0 || check_out(o->out))
		return EXIT_ERROR;
	rc = session_open(o, &s);
	if (rc == 0)
		rc =
		    cli_viewer_allow(cli_access(), &s.v, ACT_DOCUMENT_READ, &t);
	if (rc == 0 && documents_issued(s.d, case_id, seq, &pdf, &info,
					&t.mark, &err) != 0)
		rc = cli_fail(&err);
	if (rc == 0 && t.mark != MARK_NONE)
		rc = cli_viewer_allow(cli_access(), &s.v, ACT_RECORD_READ, &t);
	session_close(&s);
	if (rc == 0)
		rc = write_out(o->out, &pdf);
	if (rc == 0 && o->json)
		cli_print_json(json_incref(info));
	else if (rc == 0)
		print_info(info, o->out);
	json_decref(info);
	buf_release(&pdf);
	return rc;
}

int cmd_document(int argc, char **argv)
{
	struct doc_opts o = { 0 };
	const char *sub = argc > 1 ? argv[1] : "";
	int rc = parse(argc - 1, argv + 1, document_help, "document", &o);
	int nargs = argc - 1 - optind;
	char **args = argv + 1 + optind;

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (!strcmp(sub, "render") && nargs == 2 && !strcmp(args[1], "record"))
		return do_render_plain(&o, args[0]);
	if (!strcmp(sub, "render") && nargs == 2)
		return do_render(&o, args[0], args[1]);
	if (!strcmp(sub, "list") && nargs == 1)
		return do_list(&o, args[0]);
	if (!strcmp(sub, "get") && nargs == 2)
		return do_get(&o, args[0], args[1]);
	return cli_usage("document", "expected 'render CASE KIND', 'list "
				     "CASE' or 'get CASE SEQ'");
}

static void print_seal(const json_t *k)
{
	const json_t *seq = json_object_get(k, "seq");

	printf("seal key %s (SM2, ID %s), ",
	       json_string_value(json_object_get(k, "key")) ?: "",
	       json_string_value(json_object_get(k, "distinguishing_id"))
		   ?: "");
	if (json_is_integer(seq))
		printf("recorded in entry %" JSON_INTEGER_FORMAT "\n",
		       json_integer_value(seq));
	else
		printf("recorded with the first document issued\n");
	fputs(json_string_value(json_object_get(k, "public_key")) ?: "",
	      stdout);
}

int cmd_seal_key(int argc, char **argv)
{
	struct doc_opts o = { 0 };
	const char *sub = argc > 1 ? argv[1] : "";
	struct actor by;
	struct error err = { 0 };
	struct session s;
	json_t *k = NULL;
	int rc = parse(argc - 1, argv + 1, seal_help, "seal-key", &o);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (argc - 1 - optind != 0 ||
	    (strcmp(sub, "init") && strcmp(sub, "show")))
		return cli_usage("seal-key", "expected 'init' or 'show'");
	by.user = cli_actor(o.as);
	by.os_user = cli_os_user();
	rc = session_open(&o, &s);
	if (rc == 0 && !strcmp(sub, "init") &&
	    documents_seal_init(s.d, &by, &k, &err) != 0)
		rc = cli_fail(&err);
	if (rc == 0 && !strcmp(sub, "show") &&
	    documents_seal_show(s.d, &k, &err) != 0)
		rc = cli_fail(&err);
	session_close(&s);
	if (rc == 0 && o.json)
		cli_print_json(k);
	else if (rc == 0) {
		print_seal(k);
		json_decref(k);
	}
	return rc;
}
