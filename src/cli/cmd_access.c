/*
 * Confidentiality on the command line: marks (casetrail mark), the access
 * log and the administrators' acts (casetrail access), expunge approvals
 * (casetrail expunge approve), the route table (casetrail routes), and
 * the viewer of the commands that show content.
 *
 * The command line is the operators' console: whoever runs it has the
 * store's files, and with them the database itself. So a command that
 * shows content applies the access policy when --as names a registered
 * user, and otherwise (no --as: the OS user; or a name no account has)
 * shows everything. Either way, each read of marked content and each
 * refusal is an entry of the access log, under the acting name and the
 * OS account. Security acts (marks, expunge approvals) always need --as
 * naming a user who holds the role.
 */
#include "common/common.h"

#include "access/access.h"
#include "cases/cases.h"
#include "cli.h"
#include "http/http.h"
#include "ledger/ledger.h"

/* --- the viewer --------------------------------------------------------- */

int cli_viewer_open(struct access *a, const char *as, struct cli_viewer *v)
{
	struct error err = { 0 };
	int rc;

	memset(v, 0, sizeof(*v));
	v->os_user = cli_os_user();
	if (as) {
		rc = access_principal(a, cli_actor(as), "cli", &v->p, &err);
		if (rc == 0)
			return 0;
		if (rc != CT_ENOTFOUND)
			return cli_fail(&err);
	}
	/* The console: everything is shown, reads are still recorded. */
	v->console = true;
	snprintf(v->p.user, sizeof(v->p.user), "%s", cli_actor(as));
	snprintf(v->p.addr, sizeof(v->p.addr), "cli");
	v->p.clearance = ~0u;
	return 0;
}

void cli_viewer_release(struct cli_viewer *v)
{
	principal_release(&v->p);
}

/* Records an access of v; a read that cannot be recorded fails. */
static int record_access(struct access *a, const struct cli_viewer *v,
			 struct access_event *ev)
{
	struct error err = { 0 };

	ev->os_user = v->os_user;
	if (access_log(a, &v->p, ev, &err) != 0)
		return cli_fail(&err);
	return 0;
}

int cli_viewer_allow(struct access *a, const struct cli_viewer *v,
		     enum access_action act, const struct access_target *t)
{
	struct access_event ev = { .action = act, .refused = true };
	struct error err = { 0 };
	char target[CASE_ID_MAX + 8];
	int rc;

	if (v->console)
		return 0;
	rc = access_decide(a, &v->p, act, t, &err);
	if (rc != CT_EPERM)
		return rc ? cli_fail(&err) : 0;
	ev.case_id = t ? t->case_id : NULL;
	ev.reason = err.msg;
	if (ev.case_id) {
		snprintf(target, sizeof(target), "case:%s", ev.case_id);
		ev.target = target;
	}
	record_access(a, v, &ev);
	return cli_fail(&err);
}

int cli_viewer_read(struct access *a, const struct cli_viewer *v,
		    enum access_action act, const char *case_id,
		    const char *target, enum access_mark mark)
{
	struct access_event ev = { .action = act, .case_id = case_id,
				   .target = target, .mark = mark };

	return mark == MARK_NONE ? 0 : record_access(a, v, &ev);
}

int cli_view_case(struct access *a, const struct cli_viewer *v,
		  const char *id, json_t *case_json)
{
	struct access_target t = { .case_id = id };
	enum access_mark shown = MARK_NONE, summary;
	json_t *overrides = NULL;
	struct error err = { 0 };
	char target[CASE_ID_MAX + 8];
	uint32_t readable = ~0u;
	int rc = cli_viewer_allow(a, v, ACT_CASE_READ, &t);

	if (rc)
		return rc;
	if (!v->console) {
		rc = access_readable(a, &v->p, ACT_RECORD_READ, id, &readable,
				     &err);
		if (rc == CT_EPERM)
			readable = 0;
		else if (rc)
			return cli_fail(&err);
	}
	if (access_case_overrides(a, id, &overrides, &err) != 0)
		return cli_fail(&err);
	access_redact_records(a, &v->p, json_object_get(case_json, "records"),
			      overrides, readable, &shown);
	json_decref(overrides);
	summary = access_redact_summary(&v->p, case_json);
	if (summary > shown)
		shown = summary;
	snprintf(target, sizeof(target), "case:%s", id);
	return cli_viewer_read(a, v, ACT_CASE_READ, id, target, shown);
}

int cli_view_list(struct access *a, const struct cli_viewer *v,
		  json_t *list)
{
	json_t *items = json_object_get(list, "items"), *item;
	int rc = cli_viewer_allow(a, v, ACT_CASE_LIST, NULL);
	size_t i;

	if (rc || v->console)
		return rc;
	json_array_foreach(items, i, item)
		access_redact_summary(&v->p, item);
	/* A party lists the cases bound to them alone. */
	if (!(v->p.roles & ROLE_BIT(ROLE_PARTY)) ||
	    (v->p.roles & ~ROLE_BIT(ROLE_PARTY)))
		return 0;
	for (i = json_array_size(items); i-- > 0;) {
		const char *id = json_string_value(json_object_get(
			json_array_get(items, i), "id")) ?: "";
		json_t *c;
		size_t j;
		bool bound = false;

		json_array_foreach(v->p.cases, j, c)
			bound |= !strcmp(json_string_value(c) ?: "", id);
		if (!bound)
			json_array_remove(items, i);
	}
	json_object_set_new(list, "total", json_integer((json_int_t)
							json_array_size(items)));
	return 0;
}

/* --- casetrail mark ------------------------------------------------------- */

static const char mark_help[] =
	"Usage: casetrail mark record SEQ MARK --reason TEXT --as SECADMIN\n"
	"       casetrail mark media SEQ MARK --reason TEXT --as SECADMIN\n"
	"       casetrail mark show record|media SEQ\n"
	"Options: --dir DIR, --data DIR, --json.\n"
	"\n"
	"Changes the confidentiality mark of a record (by its seq) or of a\n"
	"media file (by the seq of its media-ingest entry), up or down, as the\n"
	"security administrator: an entry of the log that names the reason.\n"
	"MARK is none, commercial-secret, personal or sensitive-personal. A\n"
	"record moved between none and a mark has its stored content\n"
	"encrypted or decrypted at rest. State secrets are never stored: a\n"
	"record can only say where such material is kept (kind\n"
	"secret-material-note). show prints the last change of a mark.\n";

struct access_opts {
	const char *dir, *data, *as, *reason, *case_id, *user, *outcome;
	const char *kind, *blob, *offset, *limit;
	int json;
};

enum {
	OPT_DIR = 1000, OPT_DATA, OPT_AS, OPT_JSON, OPT_HELP, OPT_REASON,
	OPT_CASE, OPT_USER, OPT_OUTCOME, OPT_KIND, OPT_BLOB, OPT_OFFSET,
	OPT_LIMIT,
};

static const struct option access_options[] = {
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "data", required_argument, NULL, OPT_DATA },
	{ "as", required_argument, NULL, OPT_AS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "reason", required_argument, NULL, OPT_REASON },
	{ "case", required_argument, NULL, OPT_CASE },
	{ "user", required_argument, NULL, OPT_USER },
	{ "outcome", required_argument, NULL, OPT_OUTCOME },
	{ "kind", required_argument, NULL, OPT_KIND },
	{ "blob", required_argument, NULL, OPT_BLOB },
	{ "offset", required_argument, NULL, OPT_OFFSET },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ NULL, 0, NULL, 0 },
};

/* Parses the options of command; returns 0, -1 after --help, or 2. */
static int parse_opts(const char *command, const char *help, int argc,
		      char **argv, struct access_opts *o)
{
	int ch;

	while ((ch = getopt_long(argc, argv, "", access_options, NULL)) !=
	       -1) {
		switch (ch) {
		case OPT_DIR: o->dir = optarg; break;
		case OPT_DATA: o->data = optarg; break;
		case OPT_AS: o->as = optarg; break;
		case OPT_JSON: o->json = 1; break;
		case OPT_REASON: o->reason = optarg; break;
		case OPT_CASE: o->case_id = optarg; break;
		case OPT_USER: o->user = optarg; break;
		case OPT_OUTCOME: o->outcome = optarg; break;
		case OPT_KIND: o->kind = optarg; break;
		case OPT_BLOB: o->blob = optarg; break;
		case OPT_OFFSET: o->offset = optarg; break;
		case OPT_LIMIT: o->limit = optarg; break;
		case OPT_HELP: fputs(help, stdout); return -1;
		default: return cli_bad_option(command, argv);
		}
	}
	return 0;
}

/*
 * Loads the principal that --as names for a security act, which the
 * console cannot do: it must be a registered user.
 */
static int acting_admin(struct access *a, const char *command,
			const char *as, struct principal *p)
{
	struct error err = { 0 };

	if (!as)
		return cli_usage(command, "--as is missing: name the security "
				 "administrator who acts");
	if (access_principal(a, as, "cli", p, &err) != 0)
		return cli_fail(&err);
	return 0;
}

static int parse_target(const char *command, int argc, char **argv,
			int first, char *target, size_t n)
{
	uint64_t seq;

	if (first + 1 >= argc)
		return cli_usage(command, "give record|media and SEQ");
	if (strcmp(argv[first], "record") && strcmp(argv[first], "media"))
		return cli_usage(command, "target '%s' is invalid; give record "
				 "or media", argv[first]);
	if (cli_parse_u64("seq", argv[first + 1], &seq) != 0)
		return EXIT_ERROR;
	snprintf(target, n, "%s:%" PRIu64, argv[first], seq);
	return 0;
}

static int mark_show(struct access_opts *o, int argc, char **argv)
{
	char target[48];
	struct error err = { 0 };
	struct ledger *l;
	struct cases *c;
	json_t *out = NULL;
	int rc;

	if (optind + 3 != argc)
		return cli_usage("mark", "mark show takes record|media and SEQ");
	rc = parse_target("mark", argc, argv, optind + 1, target,
			  sizeof(target));
	if (rc)
		return rc;
	if (cli_open_cases(o->dir, o->data, LEDGER_READONLY, &l, &c) != 0)
		return EXIT_ERROR;
	rc = access_mark_get(cli_access(), target, &out, &err);
	cli_close_cases(l, c);
	if (rc)
		return cli_fail(&err);
	cli_print_json(out);
	return EXIT_OK;
}

int cmd_mark(int argc, char **argv)
{
	struct access_opts o = { 0 };
	struct principal p = { 0 };
	struct error err = { 0 };
	enum access_mark m;
	char target[48];
	struct ledger *l;
	struct cases *c;
	json_t *out = NULL;
	int rc = parse_opts("mark", mark_help, argc, argv, &o);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (optind < argc && !strcmp(argv[optind], "show"))
		return mark_show(&o, argc, argv);
	if (optind + 3 != argc)
		return cli_usage("mark", "give record|media, SEQ and MARK");
	rc = parse_target("mark", argc, argv, optind, target, sizeof(target));
	if (rc)
		return rc;
	if (!o.reason)
		return cli_usage("mark", "--reason is missing: say why the mark "
				 "changes");
	/* state-secret is never a mark: the rule, not a refused attempt. */
	if (access_mark_parse(argv[optind + 2], &m, &err) != 0)
		return cli_fail(&err);
	if (cli_open_cases(o.dir, o.data, 0, &l, &c) != 0)
		return EXIT_ERROR;
	rc = acting_admin(cli_access(), "mark", o.as, &p);
	if (rc == 0 && access_mark_set(cli_access(), &p, cli_os_user(), target,
				       argv[optind + 2], o.reason, &out,
				       &err) != 0) {
		if (err.code == CT_EPERM) {
			struct access_event ev = {
				.action = ACT_MARK_SET, .target = target,
				.refused = true, .reason = err.msg,
				.os_user = cli_os_user(),
			};
			struct error ignored = { 0 };

			access_log(cli_access(), &p, &ev, &ignored);
		}
		rc = cli_fail(&err);
	}
	principal_release(&p);
	cli_close_cases(l, c);
	if (rc)
		return rc;
	cli_print_json(out);
	return EXIT_OK;
}

/* --- casetrail access ----------------------------------------------------- */

static const char access_help[] =
	"Usage: casetrail access log [--case ID] [--user USER]\n"
	"                            [--outcome read|refused] [--json]\n"
	"       casetrail access audit [--user USER] [--kind KIND] [--json]\n"
	"       casetrail access policy [--json]\n"
	"Options: --dir DIR, --data DIR, --as USER, --offset N, --limit N.\n"
	"\n"
	"log lists the access log, newest first: every read of marked content\n"
	"and every refused attempt, with who, what, when and from where.\n"
	"audit lists the acts of the system and security administrators\n"
	"(accounts, roles, clearances, marks, expunge approvals). With --as\n"
	"naming a registered user, that user must be the security auditor.\n"
	"policy prints who may do what: each action with its scope, whether\n"
	"it needs clearance for the content's mark, whether a party of the\n"
	"case may, and the roles that may (docs/access.md).\n";

static void print_access_table(const json_t *list, bool audit)
{
	json_t *item;
	size_t i;

	json_array_foreach(json_object_get(list, "items"), i, item) {
		const char *get = audit ? "actor" : "user";

		if (audit) {
			char *fields = json_dumps(json_object_get(item,
								  "fields"),
						  JSON_COMPACT | JSON_SORT_KEYS);

			printf("%-8" PRId64 " %s %-16s %-20s %s\n",
			       (int64_t)json_integer_value(json_object_get(
				       item, "seq")),
			       json_string_value(json_object_get(item, "at")),
			       json_string_value(json_object_get(item, get)),
			       json_string_value(json_object_get(item, "kind")),
			       fields ? fields : "");
			free(fields);
			continue;
		}
		printf("%-8" PRId64 " %s %-16s %-8s %-16s %-18s %-14s %-20s "
		       "%s%s%s\n",
		       (int64_t)json_integer_value(json_object_get(item, "seq")),
		       json_string_value(json_object_get(item, "at")),
		       json_string_value(json_object_get(item, get)),
		       json_string_value(json_object_get(item, "outcome")),
		       json_string_value(json_object_get(item, "action")),
		       json_string_value(json_object_get(item, "mark")),
		       json_string_value(json_object_get(item, "case")) ?: "-",
		       json_string_value(json_object_get(item, "target")) ?: "-",
		       json_string_value(json_object_get(item, "from")) ?: "",
		       json_object_get(item, "reason") ? ": " : "",
		       json_string_value(json_object_get(item, "reason")) ?: "");
	}
	printf("%" PRId64 " of %" PRId64 "\n",
	       (int64_t)json_array_size(json_object_get(list, "items")),
	       (int64_t)json_integer_value(json_object_get(list, "total")));
}

static int parse_page(const struct access_opts *o, size_t *offset,
		      size_t *limit)
{
	uint64_t v;

	*offset = *limit = 0;
	if (o->offset) {
		if (cli_parse_u64("--offset", o->offset, &v) != 0)
			return EXIT_ERROR;
		*offset = (size_t)v;
	}
	if (o->limit) {
		if (cli_parse_u64("--limit", o->limit, &v) != 0)
			return EXIT_ERROR;
		*limit = (size_t)v;
	}
	return 0;
}

/* Prints the policy table of access_decide. */
static int access_policy(int argc, char **argv)
{
	struct access_opts o = { 0 };
	json_t *policy, *rule, *role;
	size_t i, j;
	int rc = parse_opts("access", access_help, argc, argv, &o);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (optind < argc)
		return cli_usage("access", "unexpected argument '%s'",
				 argv[optind]);
	policy = access_policy_json();
	if (o.json) {
		cli_print_json(policy);
		return EXIT_OK;
	}
	json_array_foreach(json_object_get(policy, "actions"), i, rule) {
		printf("%-16s %-7s %-9s %-6s ",
		       json_string_value(json_object_get(rule, "action")),
		       json_string_value(json_object_get(rule, "scope")),
		       json_is_true(json_object_get(rule, "clearance"))
			       ? "clearance"
			       : "-",
		       json_is_true(json_object_get(rule, "party")) ? "party"
								    : "-");
		json_array_foreach(json_object_get(rule, "roles"), j, role)
			printf("%s%s", j ? "," : "", json_string_value(role));
		putchar('\n');
	}
	json_decref(policy);
	return EXIT_OK;
}

int cmd_access(int argc, char **argv)
{
	struct access_opts o = { 0 };
	struct cli_viewer v;
	struct error err = { 0 };
	struct ledger *l;
	struct cases *c;
	json_t *out = NULL;
	size_t offset, limit;
	bool audit;
	int rc;

	if (argc < 2 || !strcmp(argv[1], "--help")) {
		fputs(access_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_ERROR : EXIT_OK;
	}
	if (!strcmp(argv[1], "policy"))
		return access_policy(argc - 1, argv + 1);
	if (strcmp(argv[1], "log") && strcmp(argv[1], "audit"))
		return cli_usage("access", "unknown subcommand '%s'; use log, "
				 "audit or policy", argv[1]);
	audit = !strcmp(argv[1], "audit");
	rc = parse_opts("access", access_help, argc - 1, argv + 1, &o);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (optind < argc - 1)
		return cli_usage("access", "unexpected argument '%s'",
				 argv[optind + 1]);
	if (parse_page(&o, &offset, &limit) != 0)
		return EXIT_ERROR;
	if (cli_open_cases(o.dir, o.data, 0, &l, &c) != 0)
		return EXIT_ERROR;
	rc = cli_viewer_open(cli_access(), o.as, &v);
	if (rc == 0)
		rc = cli_viewer_allow(cli_access(), &v, ACT_AUDIT_READ, NULL);
	if (rc == 0 && audit) {
		rc = access_audit_list(cli_access(), o.user, o.kind, offset,
				       limit, &out, &err);
	} else if (rc == 0) {
		struct access_log_query q = { o.case_id, o.user, o.outcome,
					      offset, limit };

		rc = access_log_list(cli_access(), &q, &out, &err);
	}
	if (rc > 0)
		out = NULL;
	else if (rc)
		rc = cli_fail(&err);
	cli_viewer_release(&v);
	cli_close_cases(l, c);
	if (rc)
		return rc;
	if (o.json) {
		cli_print_json(out);
	} else {
		print_access_table(out, audit);
		json_decref(out);
	}
	return EXIT_OK;
}

/* --- casetrail expunge approve ------------------------------------------- */

static const char approve_help[] =
	"Usage: casetrail expunge approve SEQ [--blob HASH] --reason TEXT\n"
	"                                 --as SECADMIN [--dir DIR] [--data DIR]\n"
	"\n"
	"Records the security administrator's approval to expunge the content\n"
	"of entry SEQ, or with --blob its attachment HASH. 'casetrail expunge'\n"
	"then destroys exactly that and names the approver.\n";

int cli_expunge_approve(int argc, char **argv)
{
	struct access_opts o = { 0 };
	struct principal p = { 0 };
	struct error err = { 0 };
	struct ledger *l;
	struct cases *c;
	json_t *out = NULL;
	uint64_t seq;
	int rc = parse_opts("expunge", approve_help, argc, argv, &o);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (optind + 1 != argc)
		return cli_usage("expunge", "expunge approve takes one SEQ");
	if (cli_parse_u64("seq", argv[optind], &seq) != 0)
		return EXIT_ERROR;
	if (!o.reason)
		return cli_usage("expunge", "--reason is missing: say why the "
				 "content must be destroyed");
	if (cli_open_cases(o.dir, o.data, 0, &l, &c) != 0)
		return EXIT_ERROR;
	rc = acting_admin(cli_access(), "expunge", o.as, &p);
	if (rc == 0 && access_expunge_approve(cli_access(), &p, cli_os_user(),
					      seq, o.blob, o.reason, &out,
					      &err) != 0)
		rc = cli_fail(&err);
	principal_release(&p);
	cli_close_cases(l, c);
	if (rc)
		return rc;
	cli_print_json(out);
	return EXIT_OK;
}

/* --- casetrail routes ----------------------------------------------------- */

static const char routes_help[] =
	"Usage: casetrail routes [--json]\n"
	"\n"
	"Lists every route of the HTTP API under /api/v1 with the action of\n"
	"the access policy it asks for (docs/access.md); '*' stands for one\n"
	"path segment.\n";

int cmd_routes(int argc, char **argv)
{
	struct access_opts o = { 0 };
	json_t *routes, *route;
	size_t i;
	int rc = parse_opts("routes", routes_help, argc, argv, &o);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (optind < argc)
		return cli_usage("routes", "unexpected argument '%s'",
				 argv[optind]);
	routes = http_api_routes();
	if (!routes)
		return cli_failf("out of memory");
	if (o.json) {
		cli_print_json(routes);
		return EXIT_OK;
	}
	json_array_foreach(routes, i, route)
		printf("%-7s %-40s %s\n",
		       json_string_value(json_object_get(route, "method")),
		       json_string_value(json_object_get(route, "path")),
		       json_string_value(json_object_get(route, "action")));
	json_decref(routes);
	return EXIT_OK;
}

/* --- record show ---------------------------------------------------------- */

/* The kinds that record show reads for a registered user: case records
 * and notes. Other entries (accounts, tokens, the access log) are the
 * operators' or the auditors' to read. */
static bool readable_kind(struct access *a, const char *kind,
			  const char *case_id)
{
	if (case_id && case_id[0])
		return true;
	return !strcmp(kind, "note") ||
	       !strcmp(kind, "secret-material-note") ||
	       (access_kind_mark(a, kind) != MARK_NONE);
}

int cli_view_record(const char *dir, const char *data, const char *as,
		    uint64_t seq, const json_t *entry, const json_t *fields,
		    enum access_mark *mark)
{
	const char *kind = json_string_value(json_object_get(entry, "kind"));
	const char *case_id = json_string_value(json_object_get(entry,
								 "case"));
	struct access_target t = { .case_id = case_id };
	struct error err = { 0 };
	struct cli_viewer v;
	char target[32];
	struct ledger *l;
	struct cases *c;
	int rc;

	if (cli_open_cases(dir, data, LEDGER_READONLY, &l, &c) != 0)
		return EXIT_ERROR;
	rc = cli_viewer_open(cli_access(), as, &v);
	snprintf(target, sizeof(target), "record:%" PRIu64, seq);
	if (rc == 0) {
		rc = access_mark_override(cli_access(), target, mark, &err);
		if (rc == CT_ENOTFOUND)
			*mark = access_content_mark(cli_access(), kind ?: "",
						    fields);
		rc = rc == CT_ENOTFOUND || rc == 0 ? 0 : cli_fail(&err);
	}
	if (rc == 0 && !v.console &&
	    !readable_kind(cli_access(), kind ?: "", case_id))
		rc = cli_failf("entry %" PRIu64 " is a '%s' entry, not a "
			       "record of a case; 'casetrail log show %" PRIu64
			       "' prints its envelope", seq, kind ?: "", seq);
	cli_close_cases(l, c);
	t.mark = *mark;
	/* Refusals and reads of marked content are entries: open to write. */
	if (rc == 0 && (*mark != MARK_NONE || !v.console)) {
		if (cli_open_cases(dir, data, 0, &l, &c) != 0) {
			cli_viewer_release(&v);
			return EXIT_ERROR;
		}
		rc = cli_viewer_allow(cli_access(), &v, ACT_RECORD_READ, &t);
		if (rc == 0)
			rc = cli_viewer_read(cli_access(), &v, ACT_RECORD_READ,
					     case_id, target, *mark);
		cli_close_cases(l, c);
	}
	cli_viewer_release(&v);
	return rc;
}

/* --- media show ----------------------------------------------------------- */

int cli_view_media(struct access *a, const char *as, json_t *row)
{
	struct access_target t = { 0 };
	struct error err = { 0 };
	struct cli_viewer v;
	int rc = cli_viewer_open(a, as, &v);

	t.case_id = json_string_value(json_object_get(row, "case"));
	if (rc == 0)
		rc = cli_viewer_allow(a, &v, ACT_MEDIA_READ, &t);
	if (rc == 0 && access_media_mark(a, row, &t.mark, &err) != 0)
		rc = cli_fail(&err);
	if (rc == 0)
		json_object_set_new(row, "mark",
				    json_string(access_mark_code(t.mark)));
	cli_viewer_release(&v);
	return rc;
}
