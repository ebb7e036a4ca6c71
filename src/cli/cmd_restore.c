/*
 * casetrail restore: rebuilds a store that lost its disk from its last
 * backup plus the entries and files that the supervisory department's
 * witness holds (docs/witness.md, Restore). src/witness/restore.c does
 * the checks and the fetching in a staging folder; this file appends the
 * restore entry through the workflow, rebuilds the projections, signs a
 * checkpoint and moves the store into place.
 */
#include "common/common.h"

#include <getopt.h>

#include "cases/cases.h"
#include "cli.h"
#include "ledger/ledger.h"
#include "witness/restore.h"

static const char restore_help[] =
	"Usage: casetrail restore --from BACKUP --witness URL --reason TEXT\n"
	"                         [--dir TARGET] [--data DIR] [--as USER]\n"
	"                         [--skip-blob HASH]... [--json]\n"
	"\n"
	"Rebuilds a store from its backup plus the witness: copies BACKUP\n"
	"(which is never changed), reads the witness's latest cosigned\n"
	"checkpoint, checks its signatures and that the backup's log is a\n"
	"prefix of it, fetches the missing entries and checks the whole\n"
	"tree against the checkpoint, then fetches the files those entries\n"
	"attach. The recovered entries carry no content: the witness holds\n"
	"only commitments, so their content is lost, and files the witness\n"
	"does not hold are lost. A restore entry records all of that. The\n"
	"store appears at TARGET only when everything succeeded.\n"
	"Exit status 0 when restored, 1 when an integrity check failed\n"
	"(fork, signatures, corrupt data), 2 for any other error.\n"
	"\n"
	"  --from BACKUP      the folder 'casetrail backup --to' wrote\n"
	"  --witness URL      the witness's base URL\n"
	"  --reason TEXT      why the store is restored (required)\n"
	"  --dir TARGET       the new store (default $CASETRAIL_DIR); must not\n"
	"                     exist or be empty\n"
	"  --data DIR         the bureau data (default $CASETRAIL_DATA)\n"
	"  --as USER          the operator (default the OS user)\n"
	"  --skip-blob HASH   take this file as lost instead of fetching it\n"
	"                     (a copy the witness holds corrupt); repeatable\n"
	"  --json             print the report as JSON\n";

/* Appends the restore entry and rebuilds the projections in the stage. */
static int record_restore(const struct restore *r, const char *data,
			  const char *actor, const char *os_user,
			  uint64_t *seq)
{
	struct ledger_record rec = { .kind = KIND_RESTORE, .actor = actor,
				     .os_user = os_user, .supersedes = -1 };
	struct ledger_receipt receipt;
	struct error err = { 0 };
	struct ledger *l;
	struct cases *c;
	json_t *fields = restore_fields(r), *rebuilt = NULL;
	struct buf note = BUF_INIT_MAX(1 << 16);
	uint64_t size;
	int rc;

	if (cli_open_cases(restore_dir(r), data, 0, &l, &c) != 0) {
		json_decref(fields);
		return EXIT_ERROR;
	}
	rec.fields = fields;
	rc = ledger_append(l, &rec, &receipt, &err);
	if (rc == 0)
		rc = cases_rebuild(c, &rebuilt, &err);
	if (rc == 0)
		rc = ledger_checkpoint(l, 0, &note, &size, &err);
	cli_close_cases(l, c);
	json_decref(fields);
	json_decref(rebuilt);
	buf_release(&note);
	if (rc)
		return cli_fail(&err);
	*seq = receipt.seq;
	return 0;
}

static void print_text(const json_t *rep)
{
	json_t *lost = json_object_get(rep, "content_lost");
	json_t *got = json_object_get(rep, "blobs_recovered");
	json_t *gone = json_object_get(rep, "lost_blobs");
	json_t *rec = json_object_get(rep, "recovered");
	size_t i;
	json_t *v;

	json_int_t from = json_integer_value(json_object_get(rec, "from"));
	json_int_t to = json_integer_value(json_object_get(rec, "to"));

	if (to > from)
		printf("restored %s: entries %" JSON_INTEGER_FORMAT " to %"
		       JSON_INTEGER_FORMAT " recovered from the witness; "
		       "restore entry %" JSON_INTEGER_FORMAT "\n",
		       json_string_value(json_object_get(rep, "target")), from,
		       to - 1, json_integer_value(json_object_get(
				       rep, "restore_seq")));
	else
		printf("restored %s: the witness holds nothing the backup "
		       "lacks; restore entry %" JSON_INTEGER_FORMAT "\n",
		       json_string_value(json_object_get(rep, "target")),
		       json_integer_value(json_object_get(rep, "restore_seq")));
	json_array_foreach(lost, i, v) {
		char when[32];

		cases_time_format(json_integer_value(json_object_get(v, "ts")),
				  when);
		printf("content lost: entry %" JSON_INTEGER_FORMAT " %s case "
		       "%s recorded %s\n",
		       json_integer_value(json_object_get(v, "seq")),
		       json_string_value(json_object_get(v, "kind")),
		       json_string_value(json_object_get(v, "case")) ?: "-",
		       when);
	}
	json_array_foreach(got, i, v)
		printf("file recovered: %s (%" JSON_INTEGER_FORMAT " bytes, %s)"
		       " of entry %" JSON_INTEGER_FORMAT "\n",
		       json_string_value(json_object_get(v, "hash")),
		       json_integer_value(json_object_get(v, "size")),
		       json_string_value(json_object_get(v, "type")),
		       json_integer_value(json_object_get(v, "seq")));
	json_array_foreach(gone, i, v)
		printf("file lost: %s (%" JSON_INTEGER_FORMAT " bytes, %s) of "
		       "entry %" JSON_INTEGER_FORMAT ": %s\n",
		       json_string_value(json_object_get(v, "hash")),
		       json_integer_value(json_object_get(v, "size")),
		       json_string_value(json_object_get(v, "type")),
		       json_integer_value(json_object_get(v, "seq")),
		       json_string_value(json_object_get(v, "reason")));
	printf("unknown: anything written after the witness's latest "
	       "cosigned checkpoint (%" JSON_INTEGER_FORMAT " entries) cannot "
	       "be known\n", to);
}

/* Integrity failures exit 1, every other failure 2. */
static int fail_code(const struct error *err)
{
	cli_fail(err);
	return err->code == CT_ECORRUPT || err->code == CT_ECRYPTO
		       ? EXIT_PROBLEM : EXIT_ERROR;
}

int cmd_restore(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "witness", required_argument, NULL, 'w' },
		{ "reason", required_argument, NULL, 'r' },
		{ "dir", required_argument, NULL, 'd' },
		{ "data", required_argument, NULL, 'D' },
		{ "as", required_argument, NULL, 'a' },
		{ "skip-blob", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct restore_options o = { 0 };
	const char *dir = NULL, *data = NULL, *as = NULL;
	const char *skips[65] = { NULL };
	struct error err = { 0 };
	struct restore *r = NULL;
	size_t nskips = 0;
	uint64_t seq = 0;
	json_t *rep;
	int c, as_json = 0, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f': o.backup = optarg; break;
		case 'w': o.witness_url = optarg; break;
		case 'r': o.reason = optarg; break;
		case 'd': dir = optarg; break;
		case 'D': data = optarg; break;
		case 'a': as = optarg; break;
		case 'j': as_json = 1; break;
		case 's':
			if (nskips == 64)
				return cli_usage("restore", "at most 64 "
						 "--skip-blob");
			skips[nskips++] = optarg;
			break;
		case 'h': fputs(restore_help, stdout); return EXIT_OK;
		default: return cli_bad_option("restore", argv);
		}
	}
	if (optind < argc)
		return cli_usage("restore", "unexpected argument '%s'",
				 argv[optind]);
	if (!o.backup || !o.witness_url)
		return cli_usage("restore", "--from BACKUP and --witness URL "
				 "are required");
	if (!o.reason || !*o.reason)
		return cli_usage("restore", "--reason TEXT is required: say "
				 "why the store is restored");
	o.target = cli_store_dir(dir);
	o.os_user = cli_os_user();
	o.skip_blobs = skips;
	if (restore_prepare(&o, &r, &err) != 0)
		return fail_code(&err);
	rc = record_restore(r, data, cli_actor(as), o.os_user, &seq);
	if (rc == 0 && restore_commit(r, &err) != 0)
		rc = fail_code(&err);
	if (rc) {
		restore_free(r);
		return rc;
	}
	rep = restore_report(r);
	json_object_set_new(rep, "restore_seq", json_integer((json_int_t)seq));
	if (as_json)
		cli_print_json(json_incref(rep));
	else
		print_text(rep);
	json_decref(rep);
	restore_free(r);
	return EXIT_OK;
}
