/*
 * The staff-key command: staff members' SM2 signing keys and the
 * signatures they make over records (access/sign.h). The store's own
 * checkpoint keys are the key command's.
 *
 * A password is read from standard input, never from the command line,
 * because other users can read arguments in the process list. On a
 * terminal it is read with echo off. The acting user (--as, else the OS
 * user) is the signer. Revoking is the security administrator's act,
 * checked as the user command checks its acts (cmd_user.c).
 */
#include "common/common.h"

#include <termios.h>
#include <unistd.h>

#include "access/access.h"
#include "access/sign.h"
#include "cases/cases.h"
#include "cli.h"

static const char staff_key_help[] =
	"Usage: casetrail staff-key list [USER] [--json]\n"
	"       casetrail staff-key show ID\n"
	"       casetrail staff-key issue USER [--valid-until TIME]\n"
	"       casetrail staff-key revoke ID --reason TEXT\n"
	"       casetrail staff-key sign SEQ --role ROLE\n"
	"       casetrail staff-key signatures SEQ\n"
	"\n"
	"Each staff member has one SM2 signing key, its private key wrapped\n"
	"under their password; an account gets one when its password is set,\n"
	"and keeps it through password changes. list shows the keys (all, or\n"
	"USER's), newest first, with their state: current, replaced, revoked\n"
	"or expired. show prints one key with its public key (PEM).\n"
	"\n"
	"issue gives USER a new key, wrapped under the password read from\n"
	"standard input (the one USER signs in with, when they have one),\n"
	"valid for $CASETRAIL_KEY_VALID_DAYS days (default 1096) or until\n"
	"--valid-until (RFC 3339). USER's older key then stops signing; it\n"
	"still verifies what it signed. revoke stops key ID signing, for\n"
	"--reason: the security administrator's act.\n"
	"\n"
	"sign makes the acting user's SM2 signature over record SEQ in ROLE,\n"
	"after reading their password from standard input: the record must\n"
	"name them as a staff signer of ROLE (method staff), or ROLE is\n"
	"author and they wrote it. A revoked or expired key signs nothing.\n"
	"signatures prints the signatures of record SEQ with the signed\n"
	"statement and each public key, for checking with openssl\n"
	"(docs/access.md).\n"
	"\n"
	"  --dir DIR      the store (default $CASETRAIL_DIR, else ./var/casetrail)\n"
	"  --data DIR     the bureau data (default $CASETRAIL_DATA, else data/)\n"
	"  --as USER      the acting staff member (default the OS user)\n"
	"  --json         print JSON (list)\n";

enum { OPT_DIR = 1000, OPT_DATA, OPT_AS, OPT_JSON, OPT_HELP, OPT_UNTIL,
       OPT_REASON, OPT_ROLE };

struct sk_opts {
	const char *dir, *data, *as;
	int json;
	const char *until, *reason, *role;
};

#define PASSWORD_MAX 1024

/*
 * Reads one line from standard input into pw (PASSWORD_MAX bytes),
 * without its line end. On a terminal it prints prompt and turns echo
 * off. Returns 0, or prints an error and returns EXIT_ERROR.
 */
static int read_password(const char *prompt, char *pw)
{
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO) &&
		  tcgetattr(STDIN_FILENO, &old) == 0;
	size_t n;
	char *got;

	if (tty) {
		fprintf(stderr, "%s", prompt);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	got = fgets(pw, PASSWORD_MAX, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	n = got ? strlen(pw) : 0;
	if (n == PASSWORD_MAX - 1 && pw[n - 1] != '\n') {
		memset(pw, 0, PASSWORD_MAX);
		return cli_failf("the password on standard input is longer "
				 "than %d bytes", PASSWORD_MAX - 2);
	}
	while (n && (pw[n - 1] == '\n' || pw[n - 1] == '\r'))
		pw[--n] = '\0';
	if (!n)
		return cli_failf("no password on standard input; give it as "
				 "one line there, never as an argument");
	return 0;
}

static int parse(int argc, char **argv, struct sk_opts *o)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "data", required_argument, NULL, OPT_DATA },
		{ "as", required_argument, NULL, OPT_AS },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "valid-until", required_argument, NULL, OPT_UNTIL },
		{ "reason", required_argument, NULL, OPT_REASON },
		{ "role", required_argument, NULL, OPT_ROLE },
		{ NULL, 0, NULL, 0 },
	};
	const char *sub = argv[0];
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case OPT_DIR: o->dir = optarg; continue;
		case OPT_DATA: o->data = optarg; continue;
		case OPT_AS: o->as = optarg; continue;
		case OPT_JSON: o->json = 1; continue;
		case OPT_HELP: fputs(staff_key_help, stdout); return -1;
		case '?':
		case ':': return cli_bad_option("staff-key", argv);
		}
		if ((ch == OPT_UNTIL && !strcmp(sub, "issue")) ||
		    (ch == OPT_REASON && !strcmp(sub, "revoke")) ||
		    (ch == OPT_ROLE && !strcmp(sub, "sign"))) {
			*(ch == OPT_UNTIL    ? &o->until
			  : ch == OPT_REASON ? &o->reason
					     : &o->role) = optarg;
			continue;
		}
		return cli_usage("staff-key", "staff-key %s does not take %s",
				 sub, argv[optind - 1]);
	}
	return 0;
}

static int print_or_fail(int rc, json_t *out, const struct error *err)
{
	if (rc)
		return cli_fail(err);
	cli_print_json(out);
	return EXIT_OK;
}

static int sk_list(struct access *a, const char *user, int as_json)
{
	struct error err = { 0 };
	json_t *out = NULL, *k;
	size_t i;

	if (access_keys_list(a, user, &out, &err) != 0)
		return cli_fail(&err);
	if (as_json) {
		cli_print_json(out);
		return EXIT_OK;
	}
	printf("%-16s %-20s %-9s %-25s %s\n", "ID", "USER", "STATE",
	       "VALID FROM", "VALID UNTIL");
	json_array_foreach(json_object_get(out, "items"), i, k)
		printf("%-16s %-20s %-9s %-25s %s\n",
		       json_string_value(json_object_get(k, "id")),
		       json_string_value(json_object_get(k, "user")),
		       json_string_value(json_object_get(k, "state")),
		       json_string_value(json_object_get(k, "valid_from")),
		       json_string_value(json_object_get(k, "valid_until")));
	json_decref(out);
	return EXIT_OK;
}

static int sk_issue(struct access *a, const char *user, const char *until,
		     const struct actor *by)
{
	char pw[PASSWORD_MAX];
	struct error err = { 0 };
	json_t *out = NULL;
	int64_t until_ms = 0;
	int rc;

	if (until && cli_parse_time("--valid-until", until, &until_ms) != 0)
		return EXIT_ERROR;
	rc = read_password("Password of the key's owner: ", pw);
	if (rc)
		return rc;
	rc = access_key_issue(a, user, pw, until_ms, by, &out, &err);
	crypto_wipe(pw, sizeof(pw));
	return print_or_fail(rc, out, &err);
}

/* As cmd_user.c: access_decide when the actor has an account. */
static int may_revoke(struct access *a, const char *actor, struct error *err)
{
	struct principal p;
	int rc = access_principal(a, actor, "cli", &p, err);

	if (rc == CT_ENOTFOUND) {
		error_clear(err);
		return 0;
	}
	if (rc)
		return rc;
	rc = access_decide(a, &p, ACT_KEY_REVOKE, NULL, err);
	principal_release(&p);
	return rc;
}

static int sk_revoke(struct access *a, const char *id, const char *reason,
		      const struct actor *by)
{
	struct error err = { 0 };
	json_t *out = NULL;
	int rc = may_revoke(a, by->user, &err);

	if (rc == 0)
		rc = access_key_revoke(a, by, id, reason, &out, &err);
	return print_or_fail(rc, out, &err);
}

static int sk_sign(struct access *a, uint64_t seq, const char *role,
		    const struct actor *by)
{
	struct staff_signer *sg = NULL;
	char pw[PASSWORD_MAX];
	struct error err = { 0 };
	json_t *out = NULL;
	int rc = read_password("Password: ", pw);

	if (rc)
		return rc;
	rc = access_signer_open(a, by->user, pw, "cli", &sg, &err);
	crypto_wipe(pw, sizeof(pw));
	if (rc == 0)
		rc = access_sign(a, sg, seq, role, by, &out, &err);
	access_signer_close(sg);
	return print_or_fail(rc, out, &err);
}

int cmd_staff_key(int argc, char **argv)
{
	const char *sub = argc >= 2 ? argv[1] : "";
	struct sk_opts o = { 0 };
	struct error err = { 0 };
	json_t *out = NULL;
	struct ledger *l;
	struct cases *c;
	struct access *a;
	uint64_t seq = 0;
	const char *arg;
	int nargs, r;

	if (!strcmp(sub, "--help")) {
		fputs(staff_key_help, stdout);
		return EXIT_OK;
	}
	if (strcmp(sub, "list") && strcmp(sub, "show") &&
	    strcmp(sub, "issue") && strcmp(sub, "revoke") &&
	    strcmp(sub, "sign") && strcmp(sub, "signatures"))
		return cli_usage("staff-key", "expected list, show, issue, "
				 "revoke, sign or signatures");
	r = parse(argc - 1, argv + 1, &o);
	if (r)
		return r < 0 ? EXIT_OK : r;
	nargs = argc - 1 - optind;
	arg = nargs > 0 ? argv[optind + 1] : NULL;
	if (!strcmp(sub, "list") ? nargs > 1 : nargs != 1)
		return cli_usage("staff-key", "staff-key %s takes %s", sub,
				 !strcmp(sub, "list") ? "at most one USER"
				 : !strcmp(sub, "show") || !strcmp(sub, "revoke")
					 ? "one key ID"
				 : !strcmp(sub, "issue") ? "one USER"
							 : "one record SEQ");
	if ((!strcmp(sub, "sign") || !strcmp(sub, "signatures")) &&
	    cli_parse_u64("record seq", arg, &seq) != 0)
		return EXIT_ERROR;
	if (!strcmp(sub, "sign") && !o.role)
		return cli_usage("staff-key", "staff-key sign needs --role, "
				 "the role the record names you in");
	if (!strcmp(sub, "revoke") && !o.reason)
		return cli_usage("staff-key", "staff-key revoke needs --reason");
	if (cli_open_cases(o.dir, o.data, 0, &l, &c) != 0)
		return EXIT_ERROR;
	a = cli_access();
	struct actor by = { cli_actor(o.as), cli_os_user() };

	if (!strcmp(sub, "list"))
		r = sk_list(a, arg, o.json);
	else if (!strcmp(sub, "show")) {
		r = access_key_get(a, arg, &out, &err);
		r = print_or_fail(r, out, &err);
	}
	else if (!strcmp(sub, "issue"))
		r = sk_issue(a, arg, o.until, &by);
	else if (!strcmp(sub, "revoke"))
		r = sk_revoke(a, arg, o.reason, &by);
	else if (!strcmp(sub, "sign"))
		r = sk_sign(a, seq, o.role, &by);
	else {
		r = access_signatures(a, seq, &out, &err);
		r = print_or_fail(r, out, &err);
	}
	cli_close_cases(l, c);
	return r;
}
