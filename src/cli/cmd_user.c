/*
 * The user command: staff accounts, their passwords, roles, units,
 * clearances and TOTP, and the first system administrator that
 * `casetrail init` creates (cli_init_admin).
 *
 * Who may act is decided by the access policy, as on the server: the
 * acting user (--as, else the OS user) is checked with access_decide when
 * an account of that name exists. ACT_ACCOUNT_ADMIN (the system
 * administrator) covers adding, disabling and enabling accounts,
 * passwords and TOTP; ACT_GRANT (the security administrator) covers
 * roles, units and clearances.
 *
 * An actor without an account is let through, recorded under its name
 * and its OS user. The command line runs with the store's files in
 * reach, so it authenticates nobody: whoever runs it can write the store
 * anyway, and the log shows who did what. This is also how a store is
 * set up before any account exists, and how the first security
 * administrator gets the role: `casetrail init` creates the first system
 * administrator, who may not grant roles.
 */
#include "common/common.h"

#include "access/access.h"
#include "cases/cases.h"
#include "cli.h"

static const char user_help[] =
	"Usage: casetrail user add NAME [--role ROLE[,ROLE...]] [--unit UNIT]\n"
	"                          [--display-name TEXT] [--superior NAME]\n"
	"                          [--credential NO --credential-valid-until DATE]\n"
	"                          [--password]\n"
	"       casetrail user list [--json]\n"
	"       casetrail user show NAME\n"
	"       casetrail user status NAME\n"
	"       casetrail user passwd NAME\n"
	"       casetrail user disable NAME [--reason TEXT]\n"
	"       casetrail user enable NAME\n"
	"       casetrail user totp NAME [--reset]\n"
	"       casetrail user grant NAME ROLE [--unit UNIT] [--case ID]\n"
	"       casetrail user revoke NAME ROLE [--unit UNIT] [--case ID]\n"
	"       casetrail user unit NAME UNIT\n"
	"       casetrail user clearance NAME MARK[,MARK...]|none\n"
	"\n"
	"add registers a staff member (an entry in the log). NAME is the login\n"
	"name: a-z, 0-9, '.', '_' and '-'. Roles: clerk, handler, reviewer,\n"
	"legal, approver, head, archivist, supervisor, sysadmin, secadmin,\n"
	"auditor, case-auditor, officer, server, presiding; party, applicant\n"
	"and interested-party bind a person to one case (--case). The system\n"
	"administrator, security administrator and security auditor roles are\n"
	"never held by one person. --credential is the enforcement credential\n"
	"number (执法证号) and --credential-valid-until its expiry date.\n"
	"--password also sets a one-time password and prints it once.\n"
	"\n"
	"passwd replaces a password with a one-time password, printed once on\n"
	"standard output; it must be changed at the next sign-in, and the\n"
	"account's sessions end. disable ends an account's sessions and stops\n"
	"it signing in; enable undoes that. totp enrols the account in TOTP\n"
	"and prints the secret and an otpauth:// URI once; --reset removes the\n"
	"enrolment so that the user enrols again. status shows whether the\n"
	"account is disabled or locked, its password and TOTP state and its\n"
	"last sign-in. These are the system administrator's acts.\n"
	"\n"
	"grant and revoke give or take a role, optionally bound to a unit, and\n"
	"for a party role to a case; revoke without --unit or --case takes\n"
	"every grant of the role. unit sets the user's unit (\"\" removes it).\n"
	"clearance sets the marks the user may read: commercial-secret,\n"
	"personal, sensitive-personal, or none. These are the security\n"
	"administrator's acts. Nobody changes their own account this way.\n"
	"\n"
	"  --dir DIR      the store (default $CASETRAIL_DIR, else ./var/casetrail)\n"
	"  --data DIR     the bureau data (default $CASETRAIL_DATA, else data/)\n"
	"  --as USER      the acting staff member (default the OS user)\n"
	"  --json         print JSON (list)\n";

enum { OPT_DIR = 1000, OPT_DATA, OPT_AS, OPT_JSON, OPT_HELP };

struct user_opts {
	const char *dir, *data, *as;
	int json;
	json_t *user;         /* add: the account's fields */
	bool password;        /* add --password */
	const char *unit;     /* grant, revoke */
	const char *case_id;  /* grant, revoke */
	const char *reason;   /* disable */
	bool reset;           /* totp --reset */
};

/* Handles one option of add; returns 0, or -1 when ch is not one. */
static int add_option(int ch, struct user_opts *o)
{
	json_t *u = o->user;

	switch (ch) {
	case 'r': {
		json_t *roles = json_array();
		char *copy = strdup(optarg), *save = NULL, *tok;

		for (tok = strtok_r(copy, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save))
			json_array_append_new(roles, json_string(tok));
		free(copy);
		json_object_set_new(u, "roles", roles);
		return 0;
	}
	case 'u': json_object_set_new(u, "unit", json_string(optarg)); return 0;
	case 'n': json_object_set_new(u, "display_name", json_string(optarg)); return 0;
	case 's': json_object_set_new(u, "superior", json_string(optarg)); return 0;
	case 'c': json_object_set_new(u, "credential", json_string(optarg)); return 0;
	case 'v':
		json_object_set_new(u, "credential_valid_until",
				    json_string(optarg));
		return 0;
	case 'p': o->password = true; return 0;
	}
	return -1;
}

/*
 * Parses the options of subcommand sub (argv[0]); returns 0, -1 after
 * --help, or EXIT_ERROR.
 */
static int parse(const char *sub, int argc, char **argv, struct user_opts *o)
{
	static const struct option add_opts[] = {
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "data", required_argument, NULL, OPT_DATA },
		{ "as", required_argument, NULL, OPT_AS },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "role", required_argument, NULL, 'r' },
		{ "unit", required_argument, NULL, 'u' },
		{ "display-name", required_argument, NULL, 'n' },
		{ "superior", required_argument, NULL, 's' },
		{ "credential", required_argument, NULL, 'c' },
		{ "credential-valid-until", required_argument, NULL, 'v' },
		{ "password", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "data", required_argument, NULL, OPT_DATA },
		{ "as", required_argument, NULL, OPT_AS },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "unit", required_argument, NULL, 'u' },
		{ "case", required_argument, NULL, 'k' },
		{ "reason", required_argument, NULL, 'R' },
		{ "reset", no_argument, NULL, 'x' },
		{ NULL, 0, NULL, 0 },
	};
	bool add = !strcmp(sub, "add");
	const struct option *table = add ? add_opts : opts;
	int ch, index = 0;

	while ((ch = getopt_long(argc, argv, "", table, &index)) != -1) {
		switch (ch) {
		case OPT_DIR: o->dir = optarg; continue;
		case OPT_DATA: o->data = optarg; continue;
		case OPT_AS: o->as = optarg; continue;
		case OPT_JSON: o->json = 1; continue;
		case OPT_HELP: fputs(user_help, stdout); return -1;
		case '?':
		case ':': return cli_bad_option("user", argv);
		}
		if (add && add_option(ch, o) == 0)
			continue;
		if (!add && ch == 'u' && (!strcmp(sub, "grant") ||
					  !strcmp(sub, "revoke"))) {
			o->unit = optarg;
			continue;
		}
		if (!add && ch == 'k' && (!strcmp(sub, "grant") ||
					  !strcmp(sub, "revoke"))) {
			o->case_id = optarg;
			continue;
		}
		if (ch == 'R' && !strcmp(sub, "disable")) {
			o->reason = optarg;
			continue;
		}
		if (ch == 'x' && !strcmp(sub, "totp")) {
			o->reset = true;
			continue;
		}
		return cli_usage("user", "user %s does not take --%s", sub,
				 table[index].name);
	}
	return 0;
}

/*
 * Checks that actor may do act: access_decide when an account of that
 * name exists, nothing when none does (see the top of this file).
 */
static int allowed(struct access *a, const char *actor,
		   enum access_action act, struct error *err)
{
	struct principal p;
	int rc = access_principal(a, actor, "cli", &p, err);

	if (rc == CT_ENOTFOUND) {
		error_clear(err);
		return 0;
	}
	if (rc)
		return rc;
	rc = access_decide(a, &p, act, NULL, err);
	principal_release(&p);
	return rc;
}

/* Prints the user's row, or with state its account state. */
static int print_user(struct access *a, const char *name, bool state)
{
	struct error err = { 0 };
	json_t *out = NULL;
	int rc = state ? access_account_status(a, name, &out, &err)
		       : cases_user_get(access_cases(a), name, &out, &err);

	if (rc)
		return cli_fail(&err);
	cli_print_json(out);
	return EXIT_OK;
}

static int user_add(struct access *a, struct user_opts *o, const char *name,
		    const struct actor *by)
{
	char otp[ACCESS_OTP_LEN + 1];
	struct error err = { 0 };
	json_t *out = NULL;
	int rc;

	json_object_set_new(o->user, "name", json_string(name));
	rc = allowed(a, by->user, ACT_ACCOUNT_ADMIN, &err);
	/* Roles and units are the security administrator's to give. */
	if (rc == 0 && (json_object_get(o->user, "roles") ||
			json_object_get(o->user, "unit")))
		rc = allowed(a, by->user, ACT_GRANT, &err);
	if (rc)
		return cli_fail(&err);
	rc = access_account_create(a, o->user, by, o->password ? otp : NULL,
				   &out, &err);
	if (rc)
		return cli_fail(&err);
	if (!o->password) {
		cli_print_json(out);
		return EXIT_OK;
	}
	cli_print_json(json_pack("{s:o, s:s}", "user", out,
				 "one_time_password", otp));
	crypto_wipe(otp, sizeof(otp));
	return EXIT_OK;
}

static int user_list(struct access *a, const struct user_opts *o,
		     const struct actor *by)
{
	struct error err = { 0 };
	json_t *out = NULL, *u;
	size_t i;

	if (allowed(a, by->user, ACT_STAFF_READ, &err) != 0 ||
	    cases_user_list(access_cases(a), &out, &err) != 0)
		return cli_fail(&err);
	if (o->json) {
		cli_print_json(out);
		return EXIT_OK;
	}
	json_array_foreach(json_object_get(out, "items"), i, u) {
		char *roles = json_dumps(json_object_get(u, "roles"),
					 JSON_COMPACT);

		printf("%-20s %-12s %s%s\n",
		       json_string_value(json_object_get(u, "name")),
		       json_string_value(json_object_get(u, "unit")) ?: "-",
		       roles ? roles : "",
		       json_is_true(json_object_get(u, "disabled"))
			       ? " disabled" : "");
		free(roles);
	}
	json_decref(out);
	return EXIT_OK;
}

static int user_passwd(struct access *a, const char *name,
		       const struct actor *by)
{
	char otp[ACCESS_OTP_LEN + 1];
	struct error err = { 0 };

	if (allowed(a, by->user, ACT_ACCOUNT_ADMIN, &err) != 0 ||
	    access_password_reset(a, name, by, otp, &err) != 0)
		return cli_fail(&err);
	puts(otp);
	crypto_wipe(otp, sizeof(otp));
	fprintf(stderr, "one-time password of '%s', shown once; it must be "
		"changed at the next sign-in\n", name);
	return EXIT_OK;
}

static int user_totp(struct access *a, const struct user_opts *o,
		     const char *name, const struct actor *by)
{
	char secret[ACCESS_TOTP_SECRET_MAX], uri[ACCESS_TOTP_URI_MAX];
	struct error err = { 0 };

	if (allowed(a, by->user, ACT_ACCOUNT_ADMIN, &err) != 0)
		return cli_fail(&err);
	if (o->reset) {
		if (access_totp_reset(a, name, NULL, by, &err) != 0)
			return cli_fail(&err);
		return print_user(a, name, true);
	}
	if (access_totp_enrol(a, name, by, secret, uri, &err) != 0)
		return cli_fail(&err);
	cli_print_json(json_pack("{s:s, s:s, s:s}", "user", name, "secret",
				 secret, "uri", uri));
	crypto_wipe(secret, sizeof(secret));
	crypto_wipe(uri, sizeof(uri));
	return EXIT_OK;
}

/* Runs grant, revoke, unit or clearance, the security administrator's. */
static int user_grant(struct access *a, const char *sub,
		      const struct user_opts *o, char **args,
		      const struct actor *by)
{
	struct access_grant g = { args[1], o->unit, o->case_id };
	struct error err = { 0 };
	int rc = allowed(a, by->user, ACT_GRANT, &err);

	if (rc == 0 && !strcmp(sub, "grant"))
		rc = access_role_grant(a, args[0], &g, by, &err);
	else if (rc == 0 && !strcmp(sub, "revoke"))
		rc = access_role_revoke(a, args[0], &g, by, &err);
	else if (rc == 0 && !strcmp(sub, "unit"))
		rc = access_unit_set(a, args[0], args[1], by, &err);
	else if (rc == 0) {
		json_t *marks = json_array();
		char *copy = strdup(args[1]), *save = NULL, *tok;

		for (tok = strtok_r(copy, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save))
			if (strcmp(tok, "none"))
				json_array_append_new(marks, json_string(tok));
		free(copy);
		rc = access_clearance_set(a, args[0], marks, by, &err);
		json_decref(marks);
	}
	return rc ? cli_fail(&err) : print_user(a, args[0], false);
}

/* Runs sub with its positional arguments args (nargs of them). */
static int user_run(struct access *a, const char *sub, struct user_opts *o,
		    char **args, const struct actor *by)
{
	struct error err = { 0 };
	int rc = 0;

	if (!strcmp(sub, "add"))
		return user_add(a, o, args[0], by);
	if (!strcmp(sub, "list"))
		return user_list(a, o, by);
	if (!strcmp(sub, "show"))
		return allowed(a, by->user, ACT_STAFF_READ, &err)
			       ? cli_fail(&err) : print_user(a, args[0], false);
	if (!strcmp(sub, "passwd"))
		return user_passwd(a, args[0], by);
	if (!strcmp(sub, "totp"))
		return user_totp(a, o, args[0], by);
	if (!strcmp(sub, "status") || !strcmp(sub, "disable") ||
	    !strcmp(sub, "enable")) {
		rc = allowed(a, by->user, ACT_ACCOUNT_ADMIN, &err);
		if (rc == 0 && !strcmp(sub, "disable"))
			rc = access_account_disable(a, args[0], o->reason, by,
						    &err);
		else if (rc == 0 && !strcmp(sub, "enable"))
			rc = access_account_enable(a, args[0], by, &err);
		return rc ? cli_fail(&err) : print_user(a, args[0], true);
	}
	return user_grant(a, sub, o, args, by);
}

/* The subcommands and how many arguments each takes (grant: 2 or more). */
static const struct {
	const char *name;
	int args;
	unsigned flags; /* LEDGER_READONLY for those that only read */
} subcommands[] = {
	{ "add", 1, 0 },      { "list", 0, LEDGER_READONLY },
	{ "show", 1, LEDGER_READONLY }, { "status", 1, LEDGER_READONLY },
	{ "passwd", 1, 0 },   { "disable", 1, 0 },  { "enable", 1, 0 },
	{ "totp", 1, 0 },     { "grant", 2, 0 },    { "revoke", 2, 0 },
	{ "unit", 2, 0 },     { "clearance", 2, 0 },
};

int cmd_user(int argc, char **argv)
{
	struct user_opts o = { 0 };
	const char *sub = argc >= 2 ? argv[1] : "";
	struct ledger *l;
	struct cases *c;
	size_t i = 0;
	int r;

	if (argc < 2 || !strcmp(argv[1], "--help")) {
		fputs(user_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_ERROR : EXIT_OK;
	}
	while (i < ARRAY_SIZE(subcommands) && strcmp(subcommands[i].name, sub))
		i++;
	if (i == ARRAY_SIZE(subcommands))
		return cli_usage("user", "unknown subcommand '%s'; use add, "
				 "list, show, status, passwd, disable, enable, "
				 "totp, grant, revoke, unit or clearance", sub);
	o.user = json_object();
	r = parse(sub, argc - 1, argv + 1, &o);
	if (r == 0 && argc - 1 - optind != subcommands[i].args)
		r = cli_usage("user", "user %s takes %s", sub,
			      subcommands[i].args == 0 ? "no argument"
			      : subcommands[i].args == 1 ? "one NAME"
			      : !strcmp(sub, "unit") ? "NAME and UNIT"
			      : !strcmp(sub, "clearance") ? "NAME and MARKS"
			      : "NAME and ROLE");
	if (r == 0 && cli_open_cases(o.dir, o.data, subcommands[i].flags, &l,
				     &c) != 0)
		r = EXIT_ERROR;
	if (r) {
		json_decref(o.user);
		return r < 0 ? EXIT_OK : r;
	}
	struct actor by = { cli_actor(o.as), cli_os_user() };

	r = user_run(cli_access(), sub, &o, argv + 1 + optind, &by);
	cli_close_cases(l, c);
	json_decref(o.user);
	return r;
}

int cli_init_admin(const char *dir, const char *data, const char *name,
		   json_t **out)
{
	char otp[ACCESS_OTP_LEN + 1];
	struct actor by = { cli_os_user(), cli_os_user() };
	struct error err = { 0 };
	json_t *user, *made = NULL;
	struct ledger *l;
	struct cases *c;
	int rc;

	if (cli_open_cases(dir, data, 0, &l, &c) != 0)
		return EXIT_ERROR;
	user = json_pack("{s:s, s:[s]}", "name", name, "roles", "sysadmin");
	rc = access_account_create(cli_access(), user, &by, otp, &made, &err);
	cli_close_cases(l, c);
	json_decref(user);
	json_decref(made);
	if (rc) {
		cli_failf("the store was created, but not its system "
			  "administrator: %s; add one with 'casetrail user "
			  "add NAME --role sysadmin --password'", err.msg);
		return EXIT_ERROR;
	}
	*out = json_pack("{s:s, s:s, s:b}", "user", name,
			 "one_time_password", otp, "must_change_password", 1);
	crypto_wipe(otp, sizeof(otp));
	return EXIT_OK;
}
