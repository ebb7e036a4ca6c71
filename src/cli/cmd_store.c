/*
 * Store commands: init, key show, verify and backup.
 */
#include "common/common.h"

#include <unistd.h>

#include "access/access.h"
#include "cli.h"
#include "common/log.h"
#include "documents/documents.h"
#include "ledger/ledger.h"
#include "ledger/verify.h"

#define STORE_OPTIONS "  --dir DIR          the store (default $CASETRAIL_DIR, else ./var/casetrail)\n"

static const char init_help[] =
	"Usage: casetrail init [--dir DIR] [--crypto gm|standard] [--host NAME]\n"
	"                      [--admin NAME | --no-admin] [--data DIR]\n"
	"\n"
	"Creates a new store: the SQLite database, the blob and key folders,\n"
	"the signing keys (mode 0600) and config.json, and signs the first\n"
	"checkpoint. Rejects a folder that is not empty (exit 2). Then it\n"
	"creates the first system administrator and prints their one-time\n"
	"password once, under \"admin\"; it must be changed at the first\n"
	"sign-in.\n"
	"\n" STORE_OPTIONS
	"  --crypto gm        SM3 tree, SM2 and Ed25519 keys (default)\n"
	"  --crypto standard  SHA-256 tree, Ed25519 key\n"
	"  --host NAME        the host part of the checkpoint origin (default\n"
	"                     the machine's host name)\n"
	"  --admin NAME       the system administrator's login name (default\n"
	"                     admin)\n"
	"  --no-admin         create no account, leaving the log empty (a store\n"
	"                     whose accounts come from an import)\n"
	"  --data DIR         the bureau data (default $CASETRAIL_DATA, else\n"
	"                     data/)\n";

static const char init_admin_default[] = "admin";

int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "crypto", required_argument, NULL, 'c' },
		{ "host", required_argument, NULL, 'H' },
		{ "admin", required_argument, NULL, 'a' },
		{ "no-admin", no_argument, NULL, 'n' },
		{ "data", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *crypto = "gm", *host = NULL, *data = NULL;
	const char *admin = init_admin_default;
	char hostname[256] = "localhost";
	struct error err = { 0 };
	json_t *created, *account = NULL;
	bool no_admin = false;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'c': crypto = optarg; break;
		case 'H': host = optarg; break;
		case 'a': admin = optarg; break;
		case 'n': no_admin = true; break;
		case 'D': data = optarg; break;
		case 'h': fputs(init_help, stdout); return EXIT_OK;
		default: return cli_bad_option("init", argv);
		}
	}
	if (optind < argc)
		return cli_usage("init", "unexpected argument '%s'",
				 argv[optind]);
	if (no_admin && admin != init_admin_default)
		return cli_usage("init", "--admin and --no-admin exclude each "
				 "other");
	if (!access_user_name_valid(admin))
		return cli_usage("init", "--admin '%s' is not a valid login "
				 "name; use 1 to 64 of a-z, 0-9, '.', '_' and "
				 "'-'", admin);
	if (!host) {
		if (gethostname(hostname, sizeof(hostname) - 1) != 0)
			snprintf(hostname, sizeof(hostname), "localhost");
		host = hostname;
	}
	dir = cli_store_dir(dir);
	if (ledger_create(dir, crypto, host, &err) != 0)
		return cli_fail(&err);
	/* Its public key is recorded with the first document it seals. */
	if (documents_seal_create(dir, &err) != 0)
		return cli_fail(&err);
	/*
	 * The first account is created by whoever runs init, as the OS
	 * user: no account exists yet that could be checked.
	 */
	if (!no_admin && cli_init_admin(dir, data, admin, &account) != 0)
		return EXIT_ERROR;
	created = json_pack("{s:s, s:s}", "created", dir, "crypto", crypto);
	if (account)
		json_object_set_new(created, "admin", account);
	cli_print_json(created);
	return EXIT_OK;
}

static const char key_help[] =
	"Usage: casetrail key show [--dir DIR] [--json]\n"
	"\n"
	"Prints each public signing key of the store as PEM, with its type,\n"
	"its signed-note key name and its key id (8 hex digits).\n"
	"\n" STORE_OPTIONS
	"  --json             print a JSON array instead\n";

static int key_show(struct ledger *l, int as_json)
{
	const struct ledger_config *cfg = ledger_config(l);
	struct note_key keys[2];
	struct buf pem = BUF_INIT_MAX(1 << 16);
	struct error err = { 0 };
	json_t *list = json_array();
	size_t n;

	if (ledger_note_keys(l, keys, &n, 0, &err) != 0) {
		json_decref(list);
		return cli_fail(&err);
	}
	for (size_t i = 0; i < n; i++) {
		const char *type = key_get_type(keys[i].key) == KEY_SM2
					   ? "sm2" : "ed25519";
		char id[16];

		snprintf(id, sizeof(id), "%08x", note_key_id(&keys[i]));
		buf_reset(&pem);
		key_public_pem(keys[i].key, &pem);
		if (as_json)
			json_array_append_new(list, json_pack(
				"{s:s, s:s, s:s, s:s}", "type", type, "name",
				keys[i].name, "key_id", id, "pem", pem.data));
		else
			printf("%s key %s id %s\n%s", type, keys[i].name, id,
			       pem.data);
	}
	if (as_json)
		cli_print_json(json_pack("{s:s, s:s, s:o}", "origin",
					 cfg->origin, "crypto", cfg->crypto,
					 "keys", list));
	else
		json_decref(list);
	buf_release(&pem);
	return EXIT_OK;
}

int cmd_key(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL;
	struct error err = { 0 };
	struct ledger *l;
	int c, as_json = 0, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'j': as_json = 1; break;
		case 'h': fputs(key_help, stdout); return EXIT_OK;
		default: return cli_bad_option("key", argv);
		}
	}
	if (optind >= argc || strcmp(argv[optind], "show") != 0)
		return cli_usage("key", "expected 'key show'");
	if (ledger_open(cli_store_dir(dir), LEDGER_READONLY, &l, &err) != 0)
		return cli_fail(&err);
	rc = key_show(l, as_json);
	ledger_close(l);
	return rc;
}

static const char verify_help[] =
	"Usage: casetrail verify [--dir DIR] [--against FILE|URL]\n"
	"                        [--blobs all|none]\n"
	"                        [--json]\n"
	"\n"
	"Recomputes every leaf and the whole Merkle tree, checks each stored\n"
	"checkpoint's signatures and consistency with its predecessor, every\n"
	"content item against its commitment and every blob against its hash.\n"
	"Prints one line per problem. Exit status 0 when all holds, 1 when a\n"
	"problem was found, 2 when the store cannot be opened. A run that\n"
	"finds problems is recorded in the store as an integrity-failure\n"
	"finding; a later run that passes cures it.\n"
	"\n" STORE_OPTIONS
	"  --against FILE     also check a checkpoint saved elsewhere (by a\n"
	"                     witness): a store rolled back below it or forked\n"
	"                     from it fails\n"
	"  --against URL      the same with the latest checkpoint that the\n"
	"                     witness at URL cosigned, whose cosignature is\n"
	"                     checked when witness.json has the witness's keys\n"
	"  --blobs all        re-hash every blob (default)\n"
	"  --blobs none       only check that every blob file exists\n"
	"  --json             print the summary as JSON\n"
	"  --no-record        do not record the result as an integrity-failure\n"
	"                     finding (or its cure); for copies of a store\n";

static int read_against(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;

	if (!f)
		return cli_failf("cannot open --against file '%s': %s", path,
				 strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_append(b, chunk, n) != 0) {
			fclose(f);
			return cli_failf("--against file '%s' is larger than "
					 "%zu bytes; it must hold one "
					 "checkpoint", path, b->max);
		}
	}
	fclose(f);
	return 0;
}

static void print_summary(const struct verify_result *r, int as_json,
			  const char *dir)
{
	if (as_json) {
		json_t *o = json_pack(
			"{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "ok",
			r->problems == 0, "problems", (json_int_t)r->problems,
			"entries", (json_int_t)r->entries, "checkpoints",
			(json_int_t)r->checkpoints, "content",
			(json_int_t)r->contents, "expunged",
			(json_int_t)r->expunged, "blobs",
			(json_int_t)r->blobs, "lost_in_restore", json_pack(
			"{s:I, s:I}", "content", (json_int_t)r->lost_content,
			"blobs", (json_int_t)r->lost_blobs));

		cli_witness_lag_json(dir, o);
		cli_print_json(o);
		return;
	}
	if (r->lost_content || r->lost_blobs)
		printf("lost in restore (named by restore entries): %" PRIu64
		       " content items, %" PRIu64 " blobs\n", r->lost_content,
		       r->lost_blobs);
	printf("%s: %" PRIu64 " entries, %" PRIu64 " checkpoints, %" PRIu64
	       " content items, %" PRIu64 " expunged, %" PRIu64 " blobs; %"
	       PRIu64 " problem%s\n", r->problems ? "FAILED" : "ok",
	       r->entries, r->checkpoints, r->contents, r->expunged, r->blobs,
	       r->problems, r->problems == 1 ? "" : "s");
}

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "against", required_argument, NULL, 'a' },
		{ "blobs", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "no-record", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct verify_options opt = { .check_blobs = 1, .out = stdout };
	struct buf against = BUF_INIT_MAX(1 << 16);
	struct verify_result res;
	struct error err = { 0 };
	const char *dir = NULL, *against_url = NULL;
	char *lines = NULL;
	size_t lines_len = 0;
	FILE *lines_out;
	int c, as_json = 0, rc, record = 1, cosig_bad = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'j': as_json = 1; break;
		case 'n': record = 0; break;
		case 'a':
			if (!strncmp(optarg, "http://", 7) ||
			    !strncmp(optarg, "https://", 8)) {
				against_url = optarg;
				break;
			}
			if (read_against(optarg, &against) != 0)
				goto fail;
			opt.against = against.data ? against.data : "";
			opt.against_len = against.len;
			break;
		case 'b':
			if (strcmp(optarg, "all") && strcmp(optarg, "none")) {
				cli_usage("verify", "invalid --blobs '%s'; use "
					  "all or none", optarg);
				goto fail;
			}
			opt.check_blobs = !strcmp(optarg, "all");
			break;
		case 'h': fputs(verify_help, stdout); buf_release(&against);
			return EXIT_OK;
		default: cli_bad_option("verify", argv); goto fail;
		}
	}
	if (optind < argc) {
		cli_usage("verify", "unexpected argument '%s'", argv[optind]);
		goto fail;
	}
	/* Problem lines are kept to record the result as a finding. */
	lines_out = open_memstream(&lines, &lines_len);
	if (lines_out)
		opt.out = lines_out;
	if (against_url) {
		cosig_bad = cli_witness_against(cli_store_dir(dir), against_url,
						&against, opt.out);
		if (cosig_bad == EXIT_ERROR) {
			if (lines_out)
				fclose(lines_out);
			free(lines);
			goto fail;
		}
		opt.against = against.data ? against.data : "";
		opt.against_len = against.len;
	}
	rc = ledger_verify(cli_store_dir(dir), &opt, &res, &err);
	buf_release(&against);
	if (lines_out) {
		fclose(lines_out);
		fwrite(lines, 1, lines_len, stdout);
	}
	if (rc) {
		free(lines);
		return cli_fail(&err);
	}
	res.problems += (uint64_t)cosig_bad;
	print_summary(&res, as_json, cli_store_dir(dir));
	if (!as_json)
		cli_witness_lag(cli_store_dir(dir), stdout);
	fflush(stdout);
	if (lines_out && record)
		cli_record_verify(dir, lines, lines_len);
	free(lines);
	return res.problems ? EXIT_PROBLEM : EXIT_OK;
fail:
	buf_release(&against);
	return EXIT_ERROR;
}

static const char backup_help[] =
	"Usage: casetrail backup --to DIR [--dir DIR]\n"
	"\n"
	"Writes a consistent copy of a store, which may be in use, to a new\n"
	"folder: the database through SQLite's online backup, every blob it\n"
	"references, the keys and the configuration. The copy is a store that\n"
	"'casetrail verify --dir' accepts.\n"
	"\n" STORE_OPTIONS
	"  --to DIR           the new folder (must not exist)\n";

int cmd_backup(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "to", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *to = NULL;
	struct error err = { 0 };
	struct ledger *l;
	uint64_t size = 0;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 't': to = optarg; break;
		case 'h': fputs(backup_help, stdout); return EXIT_OK;
		default: return cli_bad_option("backup", argv);
		}
	}
	if (!to)
		return cli_usage("backup", "--to DIR is missing");
	if (ledger_open(cli_store_dir(dir), 0, &l, &err) != 0)
		return cli_fail(&err);
	rc = ledger_backup(l, to, &err);
	if (rc == 0)
		rc = ledger_size(l, &size, &err);
	ledger_close(l);
	if (rc)
		return cli_fail(&err);
	cli_print_json(json_pack("{s:s, s:I}", "backup", to, "entries",
				 (json_int_t)size));
	return EXIT_OK;
}
