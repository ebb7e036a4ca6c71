/*
 * Record commands: record add, record show, log show and expunge.
 */
#include "common/common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cases/cases.h"
#include "cli.h"
#include "common/jcs.h"
#include "content/content.h"
#include "ledger/ledger.h"

#define MAX_ATTACH 64

static const char record_help[] =
	"Usage: casetrail record add --case ID --kind KIND --fields FILE|-\n"
	"                            [--attach FILE]... [--at TIME] [--as USER]\n"
	"                            [--mark MARK]\n"
	"       casetrail record correct SEQ --reason TEXT --fields FILE|-\n"
	"       casetrail record show SEQ [--as USER]\n"
	"\n"
	"add appends a record: its fields (a JSON object read from FILE, or\n"
	"standard input for -) go to the content store, and the ledger entry\n"
	"carries their salted commitment. Each attachment is streamed into\n"
	"the blob store under its content hash. Prints the new entry's seq and\n"
	"leaf hash as JSON. The fields must fit the kind's schema (casetrail\n"
	"kinds KIND) and the case's stage; an error names each missing or\n"
	"malformed field. A note (情况说明) may belong to no case.\n"
	"\n"
	"correct appends a correction that supersedes record SEQ with new\n"
	"fields; both stay readable, and the case shows both. Only the\n"
	"record's author may correct it.\n"
	"\n"
	"show prints a record's entry and content, and checks the content\n"
	"against the entry's commitment. With --as naming a registered user,\n"
	"it shows only what that user may read (docs/access.md); a read of\n"
	"marked content is recorded in the access log either way.\n"
	"\n"
	"  --dir DIR          the store (default $CASETRAIL_DIR, else ./var/casetrail)\n"
	"  --case ID          the case the record belongs to\n"
	"  --kind KIND        the record kind\n"
	"  --fields FILE      the record's fields as a JSON object; - for stdin\n"
	"  --attach FILE      a file to attach (repeatable, at most 64)\n"
	"  --at TIME          when the event happened, RFC 3339, if not now\n"
	"  --as USER          the acting staff member (default the OS user)\n"
	"  --data DIR         the bureau data (default $CASETRAIL_DATA, else data/)\n"
	"  --reason TEXT      why a record is corrected\n"
	"  --mark MARK        raise the kind's confidentiality mark: commercial-secret,\n"
	"                     personal or sensitive-personal\n";

/* Reads FILE or stdin and parses it as JSON; errors name the file. */
static json_t *read_fields(const char *path)
{
	struct buf text = BUF_INIT_MAX(CONTENT_MAX);
	struct error err = { 0 };
	char chunk[65536];
	json_t *v = NULL;
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC |
					  O_NONBLOCK)
				   : 0;
	struct stat st;
	ssize_t n;

	if (fd < 0) {
		cli_failf("cannot open --fields file '%s': %s", path,
			  strerror(errno));
		return NULL;
	}
	if (fd > 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
		cli_failf("--fields '%s' is not a regular file; use - to read "
			  "standard input", path);
		close(fd);
		return NULL;
	}
	if (fd > 0)
		fcntl(fd, F_SETFL, 0);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if (buf_append(&text, chunk, (size_t)n) != 0) {
			cli_failf("--fields '%s' is larger than the limit of %zu "
				  "bytes; attach long text as a file", path,
				  CONTENT_MAX);
			goto out;
		}
	}
	if (n < 0) {
		cli_failf("cannot read --fields '%s': %s", path,
			  strerror(errno));
		goto out;
	}
	v = jcs_parse(text.data ? text.data : "", text.len, &err);
	if (!v)
		cli_failf("--fields '%s': %s", path, err.msg);
out:
	if (fd > 0)
		close(fd);
	buf_release(&text);
	return v;
}

static json_t *receipt_json(struct ledger *l, const struct ledger_receipt *r,
			    const struct ledger_attachment *atts, size_t n)
{
	struct buf leaf = BUF_INIT_MAX(256);
	json_t *out, *list = json_array();

	base64_encode(r->leaf, HASH_LEN, &leaf);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_pack(
			"{s:s, s:s, s:I, s:s}", "hash", atts[i].hash, "sha256",
			atts[i].sha256, "size", (json_int_t)atts[i].size,
			"type", atts[i].type));
	out = json_pack("{s:I, s:s, s:I, s:s, s:I, s:o}", "seq",
			(json_int_t)r->seq, "leaf_hash", leaf.data, "ts",
			(json_int_t)r->ts_ms, "content", r->content,
			"tree_size", (json_int_t)r->tree_size, "attachments",
			list);
	buf_release(&leaf);
	(void)l;
	return out;
}

/*
 * Opens every attachment before any is stored, so that a missing file or
 * one named twice rejects the record with the store unchanged.
 */
static int open_attachments(const char *const *paths, size_t n, int *fds)
{
	struct stat st[MAX_ATTACH];

	for (size_t i = 0; i < n; i++)
		fds[i] = -1;
	for (size_t i = 0; i < n; i++) {
		/* Non-blocking, so that a FIFO is rejected, not waited on. */
		fds[i] = open(paths[i], O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fds[i] < 0)
			return cli_failf("cannot open --attach '%s': %s",
					 paths[i], strerror(errno));
		if (fstat(fds[i], &st[i]) != 0 || !S_ISREG(st[i].st_mode))
			return cli_failf("--attach '%s' is not a regular file",
					 paths[i]);
		fcntl(fds[i], F_SETFL, 0);
		for (size_t j = 0; j < i; j++)
			if (st[j].st_dev == st[i].st_dev &&
			    st[j].st_ino == st[i].st_ino)
				return cli_failf("--attach '%s' is given twice; "
						 "attach each file once",
						 paths[i]);
	}
	return 0;
}

static void close_attachments(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

struct add_args {
	const char *dir, *data, *case_id, *kind, *fields, *actor, *mark;
	const char *attach[MAX_ATTACH];
	size_t nattach;
	int has_at;
	int64_t at_ms;
	int64_t correct; /* record correct: the seq corrected, else -1 */
	const char *reason;
};

/* Checks a record before any attachment is streamed. */
static int precheck(struct cases *c, const struct add_args *a,
		    const struct record_request *q, const struct actor *by,
		    const struct ledger_record *rec, struct error *err)
{
	if (ledger_check_record(rec, err) != 0)
		return err->code;
	if (!a->case_id) {
		if (record_kind_check(c, a->kind, q->fields, err) &&
		    strstr(err->msg, "is unknown"))
			return err->code;
		error_clear(err);
		if (strcmp(a->kind, "note"))
			return error_set(err, CT_EINVAL, "a record of kind '%s' "
					 "belongs to a case; give --case",
					 a->kind);
		return record_kind_check(c, a->kind, q->fields, err);
	}
	return cases_record_check(c, q, by, err);
}

/* Appends the record through the workflow, or a note of no case. */
static int append_record(struct ledger *l, struct cases *c,
			 const struct add_args *a,
			 const struct record_request *q,
			 const struct actor *by, struct ledger_record *rec,
			 struct ledger_receipt *receipt, json_t **out,
			 struct error *err)
{
	int rc;

	if (!a->case_id)
		return ledger_append(l, rec, receipt, err);
	rc = cases_record_add(c, q, by, out, err);
	if (rc == 0) {
		receipt->seq = (uint64_t)json_integer_value(
			json_object_get(*out, "seq"));
		receipt->ts_ms = json_integer_value(json_object_get(*out, "ts"));
		receipt->tree_size = (uint64_t)json_integer_value(
			json_object_get(*out, "tree_size"));
		rc = ledger_leaf(l, receipt->seq, receipt->leaf, err);
	}
	return rc;
}

/*
 * Puts --mark into fields as their "mark" member; state-secret gets the
 * rule's explanation. Returns 0 or EXIT_ERROR.
 */
static int set_mark(json_t *fields, const char *mark)
{
	const char *given = json_string_value(json_object_get(fields, "mark"));
	struct error err = { 0 };
	enum access_mark m;

	if (access_mark_parse(mark, &m, &err) != 0)
		return cli_fail(&err);
	if (given && strcmp(given, access_mark_code(m)))
		return cli_failf("--mark %s differs from the fields' mark '%s'; "
				 "give the mark once", mark, given);
	json_object_set_new(fields, "mark", json_string(access_mark_code(m)));
	return 0;
}

static int record_add(const struct add_args *a)
{
	struct ledger_attachment atts[MAX_ATTACH];
	struct actor by = { cli_actor(a->actor), cli_os_user() };
	struct ledger_record rec = { .kind = a->kind, .case_id = a->case_id,
				     .actor = by.user, .os_user = by.os_user,
				     .has_at = a->has_at, .at_ms = a->at_ms,
				     .supersedes = -1 };
	struct record_request q = { .case_id = a->case_id, .kind = a->kind,
				    .has_at = a->has_at, .at_ms = a->at_ms,
				    .nattachments = a->nattach };
	struct ledger_receipt receipt = { 0 };
	struct error err = { 0 };
	struct ledger *l = NULL;
	struct cases *c = NULL;
	json_t *fields, *out = NULL, *printed;
	int fds[MAX_ATTACH];
	int rc = EXIT_ERROR;

	fields = read_fields(a->fields);
	if (!fields)
		return EXIT_ERROR;
	if (a->mark && set_mark(fields, a->mark) != 0) {
		json_decref(fields);
		return EXIT_ERROR;
	}
	if (open_attachments(a->attach, a->nattach, fds) != 0) {
		close_attachments(fds, a->nattach);
		json_decref(fields);
		return EXIT_ERROR;
	}
	rec.fields = fields;
	q.fields = fields;
	if (cli_open_cases(a->dir, a->data, 0, &l, &c) != 0)
		goto out;
	/* Content under any mark is encrypted at rest from the start. */
	q.marked = access_content_mark(cli_access(), a->kind, fields) !=
		   MARK_NONE;
	rec.seal = q.marked;
	/* Reject a bad record before any attachment is written. */
	if (precheck(c, a, &q, &by, &rec, &err) != 0)
		goto fail;
	rec.attachments = atts;
	rec.nattachments = a->nattach;
	q.attachments = atts;
	/* A concurrent expunge of the same content makes one retry worth it. */
	for (int attempt = 0; attempt < 2; attempt++) {
		int r = 0;

		error_clear(&err);
		for (size_t i = 0; i < a->nattach && r == 0; i++) {
			lseek(fds[i], 0, SEEK_SET);
			r = ledger_attach_fd(l, fds[i], a->attach[i], &atts[i],
					     &err);
		}
		if (r == 0)
			r = append_record(l, c, a, &q, &by, &rec, &receipt,
					  &out, &err);
		if (r == 0)
			break;
		if (r != CT_ESTATE || attempt == 1)
			goto fail;
	}
	printed = receipt_json(l, &receipt, atts, a->nattach);
	if (out) {
		json_object_set(printed, "case", json_object_get(out, "case"));
		json_object_set(printed, "kind", json_object_get(out, "kind"));
		if (json_object_get(out, "number"))
			json_object_set(printed, "number",
					json_object_get(out, "number"));
	}
	cli_print_json(printed);
	rc = EXIT_OK;
	goto out;
fail:
	cli_fail(&err);
out:
	json_decref(out);
	cli_close_cases(l, c);
	close_attachments(fds, a->nattach);
	json_decref(fields);
	return rc;
}

/* Appends a correction that supersedes a->correct. */
static int record_correct(const struct add_args *a)
{
	struct actor by = { cli_actor(a->actor), cli_os_user() };
	struct error err = { 0 };
	struct ledger *l;
	struct cases *c;
	json_t *fields, *out = NULL;
	int rc;

	fields = read_fields(a->fields);
	if (!fields)
		return EXIT_ERROR;
	if (cli_open_cases(a->dir, a->data, 0, &l, &c) != 0) {
		json_decref(fields);
		return EXIT_ERROR;
	}
	rc = cases_record_correct(c, (uint64_t)a->correct, a->reason, fields,
				  &by, &out, &err);
	cli_close_cases(l, c);
	json_decref(fields);
	if (rc)
		return cli_fail(&err);
	cli_print_json(out);
	return EXIT_OK;
}

static int parse_add(int argc, char **argv, struct add_args *a)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "case", required_argument, NULL, 'c' },
		{ "kind", required_argument, NULL, 'k' },
		{ "fields", required_argument, NULL, 'f' },
		{ "attach", required_argument, NULL, 'a' },
		{ "at", required_argument, NULL, 't' },
		{ "as", required_argument, NULL, 'u' },
		{ "data", required_argument, NULL, 'D' },
		{ "reason", required_argument, NULL, 'r' },
		{ "mark", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': a->dir = optarg; break;
		case 'm': a->mark = optarg; break;
		case 'D': a->data = optarg; break;
		case 'r': a->reason = optarg; break;
		case 'c': a->case_id = optarg; break;
		case 'k': a->kind = optarg; break;
		case 'f': a->fields = optarg; break;
		case 'u': a->actor = optarg; break;
		case 't':
			if (cli_parse_time("--at", optarg, &a->at_ms) != 0)
				return EXIT_ERROR;
			a->has_at = 1;
			break;
		case 'a':
			if (a->nattach == MAX_ATTACH)
				return cli_usage("record", "more than %d "
						 "--attach files", MAX_ATTACH);
			a->attach[a->nattach++] = optarg;
			break;
		case 'h': fputs(record_help, stdout); return -1;
		default: return cli_bad_option("record", argv);
		}
	}
	if (a->correct >= 0) {
		uint64_t seq;

		if (optind + 1 != argc)
			return cli_usage("record", "record correct takes one "
					 "SEQ");
		if (cli_parse_u64("seq", argv[optind], &seq) != 0)
			return EXIT_ERROR;
		a->correct = (int64_t)seq;
		if (!a->reason || !a->fields)
			return cli_usage("record", "record correct needs "
					 "--reason and --fields");
		return 0;
	}
	if (optind < argc)
		return cli_usage("record", "unexpected argument '%s'",
				 argv[optind]);
	if (!a->kind || !a->fields)
		return cli_usage("record", "record add needs --kind and "
				 "--fields, and --case for a case record");
	return 0;
}

/* Parses the SEQ argument at argv[optind]. */
static int parse_seq_arg(const char *command, int argc, char **argv,
			 uint64_t *seq)
{
	if (optind >= argc)
		return cli_usage(command, "SEQ is missing");
	if (optind + 1 < argc)
		return cli_usage(command, "unexpected argument '%s'",
				 argv[optind + 1]);
	return cli_parse_u64("seq", argv[optind], seq);
}

static json_t *entry_json(const struct buf *body)
{
	return json_loadb(body->data, body->len, 0, NULL);
}

/* The options of record show that say who reads and where. */
struct show_args {
	const char *dir, *data, *as;
};

/* Prints record seq for the viewer of sa; closes l. */
static int record_show(struct ledger *l, uint64_t seq,
		       const struct show_args *sa)
{
	struct buf body = BUF_INIT_MAX(LEDGER_ENTRY_MAX + 1);
	enum access_mark mark = MARK_NONE;
	struct error err = { 0 };
	json_t *fields = NULL, *entry;
	int rc;

	rc = ledger_entry(l, seq, &body, &err);
	if (rc == 0)
		rc = ledger_content(l, seq, &fields, &err);
	ledger_close(l);
	if (rc == CT_ENOTFOUND && body.len) {
		/* Expunged or missing content: the entry stays readable. */
		cli_print_json(json_pack("{s:I, s:o, s:n, s:s}", "seq",
					 (json_int_t)seq, "entry",
					 entry_json(&body), "fields", "note",
					 err.msg));
		buf_release(&body);
		return EXIT_OK;
	}
	if (rc) {
		buf_release(&body);
		return rc == CT_ECORRUPT ? (cli_fail(&err), EXIT_PROBLEM)
					 : cli_fail(&err);
	}
	entry = entry_json(&body);
	buf_release(&body);
	rc = cli_view_record(sa->dir, sa->data, sa->as, seq, entry, fields,
			     &mark);
	if (rc) {
		json_decref(entry);
		json_decref(fields);
		return rc;
	}
	cli_print_json(json_pack("{s:I, s:o, s:o, s:b, s:s}", "seq",
				 (json_int_t)seq, "entry", entry, "fields",
				 fields, "content_verified", 1, "mark",
				 access_mark_code(mark)));
	return EXIT_OK;
}

int cmd_record(int argc, char **argv)
{
	struct add_args a = { 0 };
	struct error err = { 0 };
	const char *sub;
	struct ledger *l;
	uint64_t seq;
	int rc;

	if (argc < 2 || argv[1][0] == '-') {
		if (argc >= 2 && !strcmp(argv[1], "--help")) {
			fputs(record_help, stdout);
			return EXIT_OK;
		}
		return cli_usage("record", "expected 'record add' or 'record "
				 "show'");
	}
	sub = argv[1];
	a.correct = -1;
	if (!strcmp(sub, "add") || !strcmp(sub, "correct")) {
		if (sub[0] == 'c')
			a.correct = 0;
		rc = parse_add(argc - 1, argv + 1, &a);
		if (rc < 0)
			return EXIT_OK;
		if (rc)
			return rc;
		return a.correct >= 0 ? record_correct(&a) : record_add(&a);
	}
	if (strcmp(sub, "show") != 0)
		return cli_usage("record", "unknown subcommand '%s'", sub);
	{
		static const struct option opts[] = {
			{ "dir", required_argument, NULL, 'd' },
			{ "data", required_argument, NULL, 'D' },
			{ "as", required_argument, NULL, 'u' },
			{ "help", no_argument, NULL, 'h' },
			{ NULL, 0, NULL, 0 },
		};
		struct show_args sa = { 0 };
		int c;

		argc--;
		argv++;
		while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
			if (c == 'd')
				sa.dir = optarg;
			else if (c == 'D')
				sa.data = optarg;
			else if (c == 'u')
				sa.as = optarg;
			else if (c == 'h')
				return fputs(record_help, stdout), EXIT_OK;
			else
				return cli_bad_option("record", argv);
		}
		if (parse_seq_arg("record", argc, argv, &seq) != 0)
			return EXIT_ERROR;
		if (ledger_open(cli_store_dir(sa.dir), LEDGER_READONLY, &l,
				&err) != 0)
			return cli_fail(&err);
		rc = record_show(l, seq, &sa);
	}
	return rc;
}

static const char log_help[] =
	"Usage: casetrail log show SEQ [--raw] [--dir DIR]\n"
	"\n"
	"Prints the ledger entry SEQ with its leaf hash as JSON. With --raw,\n"
	"prints exactly the entry bytes that were hashed, and nothing else.\n";

int cmd_log(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "raw", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct buf body = BUF_INIT_MAX(LEDGER_ENTRY_MAX + 1);
	struct buf b64 = BUF_INIT_MAX(256);
	uint8_t leaf[HASH_LEN];
	struct error err = { 0 };
	const char *dir = NULL;
	struct ledger *l;
	uint64_t seq;
	int c, raw = 0, rc;

	if (argc < 2 || strcmp(argv[1], "show") != 0) {
		if (argc >= 2 && !strcmp(argv[1], "--help"))
			return fputs(log_help, stdout), EXIT_OK;
		return cli_usage("log", "expected 'log show SEQ'");
	}
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'r': raw = 1; break;
		case 'h': fputs(log_help, stdout); return EXIT_OK;
		default: return cli_bad_option("log", argv);
		}
	}
	if (parse_seq_arg("log", argc, argv, &seq) != 0)
		return EXIT_ERROR;
	if (ledger_open(cli_store_dir(dir), LEDGER_READONLY, &l, &err) != 0)
		return cli_fail(&err);
	rc = ledger_entry(l, seq, &body, &err);
	if (rc == 0)
		rc = ledger_leaf(l, seq, leaf, &err);
	ledger_close(l);
	if (rc) {
		buf_release(&body);
		return cli_fail(&err);
	}
	if (raw) {
		fwrite(body.data, 1, body.len, stdout);
	} else {
		base64_encode(leaf, HASH_LEN, &b64);
		cli_print_json(json_pack("{s:I, s:s, s:o}", "seq",
					 (json_int_t)seq, "leaf_hash", b64.data,
					 "entry", entry_json(&body)));
	}
	buf_release(&body);
	buf_release(&b64);
	return EXIT_OK;
}

static const char expunge_help[] =
	"Usage: casetrail expunge approve SEQ [--blob HASH] --reason TEXT\n"
	"                         --as SECADMIN\n"
	"       casetrail expunge SEQ --reason TEXT [--approved-by SECADMIN]\n"
	"                         [--blob HASH] [--as USER] [--dir DIR]\n"
	"                         [--data DIR]\n"
	"       casetrail expunge --finish [--dir DIR]\n"
	"\n"
	"Destroys the content of entry SEQ (or, with --blob, one of its\n"
	"attachments) and appends an expunge entry that records who approved\n"
	"it and why. The entry and its commitment stay, so the log still\n"
	"verifies; verify then accepts exactly that content as absent.\n"
	"\n"
	"The security administrator approves first: 'expunge approve' records\n"
	"the approval of exactly that content or attachment, and the expunge\n"
	"names that approver (--approved-by, when given, must match). The\n"
	"approver must be another person than the actor.\n"
	"\n"
	"Old copies of the content leave the database files when no reader\n"
	"holds an older snapshot. If one did, expunge exits 2 with the\n"
	"expunge recorded; --finish removes the old copies later.\n";

static int expunge(int argc, char **argv);

static int expunge_finish(const char *dir, int extra_args)
{
	struct error err = { 0 };
	struct ledger *l;
	int rc;

	if (extra_args)
		return cli_usage("expunge", "--finish takes no SEQ");
	if (ledger_open(dir, 0, &l, &err) != 0)
		return cli_fail(&err);
	rc = ledger_expunge_finish(l, &err);
	ledger_close(l);
	if (rc)
		return cli_fail(&err);
	cli_print_json(json_pack("{s:b}", "finished", 1));
	return EXIT_OK;
}

int cmd_expunge(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "approve"))
		return cli_expunge_approve(argc - 1, argv + 1);
	return expunge(argc, argv);
}

static int expunge(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "reason", required_argument, NULL, 'r' },
		{ "approved-by", required_argument, NULL, 'p' },
		{ "blob", required_argument, NULL, 'b' },
		{ "as", required_argument, NULL, 'u' },
		{ "finish", no_argument, NULL, 'f' },
		{ "data", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *reason = NULL, *approver = NULL;
	const char *data = NULL;
	struct cases *cases;
	int finish = 0;
	const char *blob = NULL, *actor = NULL;
	struct ledger_receipt r;
	struct error err = { 0 };
	struct ledger *l;
	uint64_t seq;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'r': reason = optarg; break;
		case 'p': approver = optarg; break;
		case 'b': blob = optarg; break;
		case 'u': actor = optarg; break;
		case 'f': finish = 1; break;
		case 'D': data = optarg; break;
		case 'h': fputs(expunge_help, stdout); return EXIT_OK;
		default: return cli_bad_option("expunge", argv);
		}
	}
	if (finish)
		return expunge_finish(cli_store_dir(dir), optind < argc);
	if (parse_seq_arg("expunge", argc, argv, &seq) != 0)
		return EXIT_ERROR;
	if (!reason)
		return cli_usage("expunge", "--reason is required");
	/* With the workflow open, the case shows the expunge at once. */
	if (cli_open_cases(dir, data, 0, &l, &cases) != 0)
		return EXIT_ERROR;
	struct actor by = { cli_actor(actor), cli_os_user() };

	rc = access_expunge(cli_access(), seq, blob, reason, approver, &by, &r,
			    &err);
	cli_close_cases(l, cases);
	if (rc)
		return cli_fail(&err);
	cli_print_json(json_pack("{s:I, s:I, s:s}", "seq", (json_int_t)r.seq,
				 "expunged", (json_int_t)seq, "removed",
				 blob ? blob : "content"));
	return EXIT_OK;
}
