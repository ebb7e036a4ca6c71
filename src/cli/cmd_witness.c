/*
 * casetrail witness: the supervisory department's witness node (init,
 * trust, serve, status of a witness folder) and the bureau's side of it
 * (add, push, status of a store). See docs/witness.md.
 */
#include "common/common.h"

#include <unistd.h>

#include "cases/cases.h"
#include "cli.h"
#include "http/witness_server.h"
#include "ledger/ledger.h"
#include "witness/witness.h"

#define KEYS_MAX 4

static const char witness_help[] =
	"Usage: casetrail witness init --dir W --name NAME\n"
	"       casetrail witness trust --dir W --origin ORIGIN --key FILE...\n"
	"       casetrail witness trust --dir W --from FILE\n"
	"       casetrail witness serve --dir W --listen ADDR:PORT\n"
	"       casetrail witness status --dir W|STORE\n"
	"       casetrail witness add --dir STORE --url URL --name NAME\n"
	"                             --key FILE... [--as USER] [--data DIR]\n"
	"       casetrail witness push --dir STORE\n"
	"\n"
	"The supervisory department's witness keeps a copy of the bureau's\n"
	"log and files and cosigns its checkpoints (docs/witness.md).\n"
	"\n"
	"On the witness's machine:\n"
	"  init     creates the witness folder W with its SM2 and Ed25519 keys\n"
	"           (W/keys/witness-sm2.pub and witness-ed25519.pub are what\n"
	"           the bureau adds); NAME names its cosignatures, such as\n"
	"           supervision.example.gov.cn/witness\n"
	"  trust    follows a log: ORIGIN is the first line of the bureau's\n"
	"           /checkpoint and each FILE a public key PEM of the store\n"
	"           (keys/*.pub of the store); --from FILE reads both from\n"
	"           what casetrail key show printed on the bureau's side (-\n"
	"           for standard input) and checks each key's id; a running\n"
	"           serve follows the log from its first request\n"
	"  serve    runs the witness's HTTP server until SIGINT or SIGTERM\n"
	"  status   prints the logs followed, their cosigned size and alarms\n"
	"\n"
	"On the bureau's side:\n"
	"  add      records a witness in the store (witness.json, and a\n"
	"           witness-add entry in the log); FILE are the witness's\n"
	"           public keys and NAME its name, as its casetrail witness\n"
	"           status prints them\n"
	"  push     pushes new entries, files and the latest checkpoint once\n"
	"           (casetrail serve does this continuously)\n"
	"  status   prints per witness the latest cosigned size and time and\n"
	"           how many entries it is behind\n";

struct wopts {
	const char *dir, *name, *origin, *listen, *url, *as, *data, *from;
	const char *keys[KEYS_MAX];
	size_t nkeys;
};

static int parse(const char *sub, int argc, char **argv, struct wopts *o)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "name", required_argument, NULL, 'n' },
		{ "origin", required_argument, NULL, 'o' },
		{ "listen", required_argument, NULL, 'l' },
		{ "url", required_argument, NULL, 'u' },
		{ "key", required_argument, NULL, 'k' },
		{ "as", required_argument, NULL, 'a' },
		{ "data", required_argument, NULL, 'D' },
		{ "from", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	(void)sub;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': o->dir = optarg; break;
		case 'n': o->name = optarg; break;
		case 'o': o->origin = optarg; break;
		case 'l': o->listen = optarg; break;
		case 'u': o->url = optarg; break;
		case 'a': o->as = optarg; break;
		case 'D': o->data = optarg; break;
		case 'f': o->from = optarg; break;
		case 'k':
			if (o->nkeys == KEYS_MAX)
				return cli_usage("witness", "at most %d --key "
						 "files", KEYS_MAX);
			o->keys[o->nkeys++] = optarg;
			break;
		case 'h': fputs(witness_help, stdout); return -1;
		default: return cli_bad_option("witness", argv);
		}
	}
	if (optind < argc)
		return cli_usage("witness", "unexpected argument '%s'",
				 argv[optind]);
	return 0;
}

/* Reads each --key file's text into pems (freed by the caller). */
static int read_keys(const struct wopts *o, char **pems)
{
	for (size_t i = 0; i < o->nkeys; i++) {
		FILE *f = fopen(o->keys[i], "rb");
		char text[8192];
		size_t n;

		if (!f)
			return cli_failf("cannot open key file '%s': %s",
					 o->keys[i], strerror(errno));
		n = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
		text[n] = '\0';
		pems[i] = strdup(text);
		if (!pems[i])
			return cli_failf("out of memory");
	}
	return 0;
}

static void free_keys(char **pems, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(pems[i]);
}

static int need(const char *value, const char *what)
{
	return value ? 0 : cli_usage("witness", "%s is required", what);
}

static int do_init(const struct wopts *o)
{
	struct error err = { 0 };

	if (need(o->dir, "--dir") || need(o->name, "--name"))
		return EXIT_ERROR;
	if (witness_init(o->dir, o->name, &err) != 0)
		return cli_fail(&err);
	cli_print_json(json_pack("{s:s, s:s, s:[s, s]}", "dir", o->dir, "name",
				 o->name, "public_keys",
				 "keys/witness-sm2.pub",
				 "keys/witness-ed25519.pub"));
	return EXIT_OK;
}

/*
 * Reads what casetrail key show prints: for each key a line
 * "<type> key <origin> id <key id>" and its PEM. Checks that every key
 * names the same origin and has the key id it states.
 */
static int read_key_show(const char *path, char *origin, size_t n,
			 char **pems, size_t *npems)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	char line[1024], type[32], name[300], id[32];
	struct buf pem = BUF_INIT_MAX(8192);
	int rc = 0, in_pem = 0;

	if (!f)
		return cli_failf("cannot open '%s': %s", path, strerror(errno));
	origin[0] = '\0';
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		if (!in_pem && sscanf(line, "%31s key %299s id %31s", type, name,
				      id) == 3) {
			if (origin[0] && strcmp(origin, name))
				rc = cli_failf("'%s' names two origins, '%s' and"
					       " '%s'", path, origin, name);
			snprintf(origin, n, "%s", name);
			continue;
		}
		if (!strncmp(line, "-----BEGIN ", 11))
			in_pem = 1;
		if (in_pem)
			buf_puts(&pem, line);
		if (in_pem && !strncmp(line, "-----END ", 9)) {
			struct note_key nk = { origin, NULL };
			struct error err = { 0 };
			char got[16];

			in_pem = 0;
			if (*npems == KEYS_MAX || !origin[0])
				rc = cli_failf("'%s' is not the output of "
					       "casetrail key show", path);
			else if (key_load_public_pem(pem.data, pem.len, &nk.key,
						     &err) != 0)
				rc = cli_fail(&err);
			if (rc == 0) {
				snprintf(got, sizeof(got), "%08x",
					 note_key_id(&nk));
				if (strcmp(got, id))
					rc = cli_failf("key of '%s' has id %s, not"
						       " the %s stated; copy the "
						       "output of casetrail key "
						       "show unchanged", path, got,
						       id);
			}
			key_free(nk.key);
			if (rc == 0)
				pems[(*npems)++] = strdup(pem.data);
			buf_reset(&pem);
		}
	}
	if (f != stdin)
		fclose(f);
	buf_release(&pem);
	if (rc == 0 && *npems == 0)
		rc = cli_failf("'%s' holds no key; give the output of casetrail"
			       " key show", path);
	return rc;
}

static int do_trust(const struct wopts *o)
{
	char *pems[KEYS_MAX] = { 0 }, origin[300];
	struct error err = { 0 };
	size_t npems = 0;
	int rc;

	if (need(o->dir, "--dir"))
		return EXIT_ERROR;
	if (o->from) {
		rc = read_key_show(o->from, origin, sizeof(origin), pems,
				   &npems);
		if (rc == 0 && witness_trust(o->dir, origin,
					     (const char *const *)pems, npems,
					     &err) != 0)
			rc = cli_fail(&err);
		free_keys(pems, npems);
		if (rc == 0)
			cli_print_json(json_pack("{s:s, s:I}", "origin", origin,
						 "keys", (json_int_t)npems));
		return rc;
	}
	if (need(o->origin, "--origin"))
		return EXIT_ERROR;
	if (o->nkeys == 0)
		return cli_usage("witness", "give the log's public keys with "
				 "--key FILE");
	rc = read_keys(o, pems);
	if (rc == 0 && witness_trust(o->dir, o->origin,
				     (const char *const *)pems, o->nkeys,
				     &err) != 0)
		rc = cli_fail(&err);
	free_keys(pems, o->nkeys);
	if (rc == 0)
		cli_print_json(json_pack("{s:s}", "origin", o->origin));
	return rc;
}

static int do_serve(const struct wopts *o)
{
	struct error err = { 0 };

	if (need(o->dir, "--dir") || need(o->listen, "--listen"))
		return EXIT_ERROR;
	cli_setup_logging(1);
	if (witness_serve(o->dir, o->listen, &err) != 0)
		return cli_fail(&err);
	return EXIT_OK;
}

/* Whether dir is a store (config.json) rather than a witness folder. */
static int is_store(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/config.json", dir);
	return access(path, F_OK) == 0;
}

static int do_status(const struct wopts *o)
{
	const char *dir = o->dir ? o->dir : cli_store_dir(NULL);
	struct error err = { 0 };
	json_t *out = NULL;
	int rc;

	if (is_store(dir)) {
		struct ledger *l = NULL;

		rc = ledger_open(dir, LEDGER_READONLY, &l, &err);
		if (rc == 0)
			rc = witness_bureau_status(l, NULL, &out, &err);
		ledger_close(l);
	} else {
		struct witness_node *w = NULL;

		rc = witness_open(dir, &w, &err);
		if (rc == 0)
			rc = witness_status(w, &out, &err);
		witness_close(w);
	}
	if (rc)
		return cli_fail(&err);
	cli_print_json(out);
	return EXIT_OK;
}

static int do_add(const struct wopts *o)
{
	char *pems[KEYS_MAX] = { 0 };
	const char *dir = cli_store_dir(o->dir);
	struct ledger_receipt rcpt;
	struct ledger *l = NULL;
	struct cases *c = NULL;
	struct error err = { 0 };
	json_t *fields = NULL, *ids;
	int rc;

	if (need(o->url, "--url"))
		return EXIT_ERROR;
	if (o->nkeys == 0)
		return cli_usage("witness", "give the witness's public keys "
				 "with --key FILE (its keys/witness-*.pub)");
	if (!o->name)
		return cli_usage("witness", "give the witness's name with "
				 "--name (what its casetrail witness status "
				 "prints)");
	rc = read_keys(o, pems);
	if (rc)
		goto out;
	/* Checks the keys and URL before anything is recorded. */
	ids = json_array();
	for (size_t i = 0; i < o->nkeys; i++) {
		struct key *k = NULL;
		char id[16];

		if (key_load_public_pem(pems[i], strlen(pems[i]), &k,
					&err) != 0) {
			json_decref(ids);
			rc = cli_fail(&err);
			goto out;
		}
		snprintf(id, sizeof(id), "%08x", cosig_key_id(o->name, k));
		json_array_append_new(ids, json_pack(
			"{s:s, s:s}", "type",
			key_get_type(k) == KEY_SM2 ? "sm2" : "ed25519",
			"key_id", id));
		key_free(k);
	}
	fields = json_pack("{s:s, s:s, s:o}", "url", o->url, "name", o->name,
			   "keys", ids);
	rc = cli_open_cases(dir, cli_data_dir(o->data), 0, &l, &c);
	if (rc)
		goto out;
	if (witness_config_add(dir, o->url, o->name,
			       (const char *const *)pems, o->nkeys,
			       &err) != 0) {
		rc = cli_fail(&err);
	} else {
		struct ledger_record rec = {
			.kind = "witness-add",
			.actor = cli_actor(o->as),
			.os_user = cli_os_user(),
			.fields = fields,
			.supersedes = -1,
		};

		if (ledger_append(l, &rec, &rcpt, &err) != 0)
			rc = cli_fail(&err);
		else
			cli_print_json(json_pack("{s:s, s:s, s:I}", "url",
						 o->url, "name", o->name,
						 "seq", (json_int_t)rcpt.seq));
	}
	cli_close_cases(l, c);
out:
	json_decref(fields);
	free_keys(pems, o->nkeys);
	return rc;
}

static int do_push(const struct wopts *o)
{
	struct ledger *l = NULL;
	struct error err = { 0 };
	json_t *report = NULL;
	int rc = ledger_open(cli_store_dir(o->dir), 0, &l, &err);

	if (rc == 0)
		rc = witness_push_once(l, &report, &err);
	ledger_close(l);
	if (rc)
		return cli_fail(&err);
	cli_print_json(report);
	return EXIT_OK;
}

int cmd_witness(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(const struct wopts *o);
	} subs[] = {
		{ "init", do_init }, { "trust", do_trust },
		{ "serve", do_serve }, { "status", do_status },
		{ "add", do_add }, { "push", do_push },
	};
	struct wopts o = { 0 };
	int rc;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(witness_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_ERROR : EXIT_OK;
	}
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
		if (strcmp(argv[1], subs[i].name))
			continue;
		rc = parse(argv[1], argc - 1, argv + 1, &o);
		if (rc)
			return rc < 0 ? EXIT_OK : rc;
		return subs[i].fn(&o);
	}
	return cli_usage("witness", "unknown subcommand '%s'; use init, "
			 "trust, serve, status, add or push", argv[1]);
}

int cli_witness_against(const char *dir, const char *url, struct buf *note,
			FILE *out)
{
	struct ledger *l = NULL;
	struct error err = { 0 };
	char origin[256];
	int64_t ts = 0;
	int rc = ledger_open(dir, LEDGER_READONLY, &l, &err);

	if (rc)
		return cli_fail(&err);
	snprintf(origin, sizeof(origin), "%s", ledger_config(l)->origin);
	ledger_close(l);
	if (witness_fetch_checkpoint(url, origin, note, &err) != 0)
		return cli_fail(&err);
	rc = witness_check_cosigned(dir, url, note->data, note->len, &ts,
				    &err);
	if (rc == CT_ENOTFOUND) {
		/* A remark, not a problem line that verify records. */
		printf("--against %s: the store names no such witness with keys,"
		       " so its cosignature was not checked\n", url);
		return 0;
	}
	if (rc) {
		fprintf(out, "--against %s: %s\n", url, err.msg);
		return 1;
	}
	return 0;
}

void cli_witness_lag(const char *dir, FILE *out)
{
	struct ledger *l = NULL;
	struct error err = { 0 };
	json_t *st = NULL, *w;
	size_t i;

	if (ledger_open(dir, LEDGER_READONLY, &l, &err) != 0)
		return;
	if (witness_bureau_status(l, NULL, &st, &err) == 0) {
		json_array_foreach(json_object_get(st, "witnesses"), i, w) {
			json_t *since = json_object_get(
				w, "seconds_since_cosigned");

			fprintf(out, "witness %s: %" JSON_INTEGER_FORMAT
				" entries behind", json_string_value(
					json_object_get(w, "url")),
				json_integer_value(json_object_get(
					w, "entries_behind")));
			if (json_is_integer(since))
				fprintf(out, ", last cosignature %"
					JSON_INTEGER_FORMAT " s ago\n",
					json_integer_value(since));
			else
				fputs(", never cosigned\n", out);
		}
	}
	json_decref(st);
	ledger_close(l);
}

void cli_witness_lag_json(const char *dir, json_t *o)
{
	struct ledger *l = NULL;
	struct error err = { 0 };
	json_t *st = NULL, *list;

	if (ledger_open(dir, LEDGER_READONLY, &l, &err) != 0)
		return;
	if (witness_bureau_status(l, NULL, &st, &err) == 0) {
		list = json_object_get(st, "witnesses");
		if (json_array_size(list))
			json_object_set(o, "witnesses", list);
	}
	json_decref(st);
	ledger_close(l);
}
