/*
 * Proof commands: proof inclusion, proof consistency and checkpoint. They
 * print what RFC 9162 and C2SP define, so any verifier can check them.
 */
#include "common/common.h"

#include "cli.h"
#include "ledger/checkpoint.h"
#include "ledger/ledger.h"

static const char proof_help[] =
	"Usage: casetrail proof inclusion SEQ [--size N] [--dir DIR]\n"
	"       casetrail proof consistency OLD NEW [--dir DIR]\n"
	"\n"
	"inclusion prints {\"leaf_index\", \"tree_size\", \"hashes\"}: the\n"
	"RFC 9162 inclusion proof of entry SEQ in the tree of N entries\n"
	"(default the current size), with the leaf and root hashes.\n"
	"consistency prints {\"old_size\", \"new_size\", \"hashes\"}: the RFC 9162\n"
	"consistency proof between the trees of OLD and NEW entries.\n"
	"Hashes are base64.\n";

static json_t *hash_list(uint8_t proof[][HASH_LEN], size_t n)
{
	json_t *list = json_array();
	struct buf b = BUF_INIT_MAX(256);

	for (size_t i = 0; i < n; i++) {
		buf_reset(&b);
		base64_encode(proof[i], HASH_LEN, &b);
		json_array_append_new(list, json_string(b.data));
	}
	buf_release(&b);
	return list;
}

static json_t *b64_json(const uint8_t h[HASH_LEN])
{
	struct buf b = BUF_INIT_MAX(256);
	json_t *s;

	base64_encode(h, HASH_LEN, &b);
	s = json_string(b.data);
	buf_release(&b);
	return s;
}

static int inclusion(struct ledger *l, uint64_t seq, uint64_t size)
{
	uint8_t proof[MERKLE_MAX_PROOF][HASH_LEN], leaf[HASH_LEN],
		root[HASH_LEN];
	struct error err = { 0 };
	uint64_t tree_size;
	size_t n;

	if (ledger_inclusion(l, seq, size, proof, &n, &tree_size, &err) ||
	    ledger_leaf(l, seq, leaf, &err) ||
	    ledger_root(l, tree_size, root, &err))
		return cli_fail(&err);
	cli_print_json(json_pack("{s:I, s:I, s:o, s:o, s:o}", "leaf_index",
				 (json_int_t)seq, "tree_size",
				 (json_int_t)tree_size, "hashes",
				 hash_list(proof, n), "leaf_hash",
				 b64_json(leaf), "root_hash", b64_json(root)));
	return EXIT_OK;
}

static int consistency(struct ledger *l, uint64_t old_size,
		       uint64_t new_size)
{
	uint8_t proof[MERKLE_MAX_PROOF][HASH_LEN], r1[HASH_LEN], r2[HASH_LEN];
	struct error err = { 0 };
	size_t n;

	if (ledger_consistency(l, old_size, new_size, proof, &n, &err) ||
	    ledger_root(l, old_size, r1, &err) ||
	    ledger_root(l, new_size, r2, &err))
		return cli_fail(&err);
	cli_print_json(json_pack("{s:I, s:I, s:o, s:o, s:o}", "old_size",
				 (json_int_t)old_size, "new_size",
				 (json_int_t)new_size, "hashes",
				 hash_list(proof, n), "old_root", b64_json(r1),
				 "new_root", b64_json(r2)));
	return EXIT_OK;
}

int cmd_proof(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *size_text = NULL, *sub;
	uint64_t a, b = 0;
	struct error err = { 0 };
	struct ledger *l;
	int c, rc, nargs;

	if (argc < 2 || argv[1][0] == '-') {
		if (argc >= 2 && !strcmp(argv[1], "--help"))
			return fputs(proof_help, stdout), EXIT_OK;
		return cli_usage("proof", "expected 'proof inclusion' or "
				 "'proof consistency'");
	}
	sub = argv[1];
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 's': size_text = optarg; break;
		case 'h': fputs(proof_help, stdout); return EXIT_OK;
		default: return cli_bad_option("proof", argv);
		}
	}
	nargs = argc - optind;
	if (!strcmp(sub, "inclusion")) {
		if (nargs != 1)
			return cli_usage("proof", "proof inclusion takes SEQ");
		if (cli_parse_u64("seq", argv[optind], &a) ||
		    (size_text && cli_parse_u64("--size", size_text, &b)))
			return EXIT_ERROR;
		if (size_text && b == 0)
			return cli_failf("invalid --size 0: a proof needs a "
					 "tree of at least one entry");
	} else if (!strcmp(sub, "consistency")) {
		if (nargs != 2)
			return cli_usage("proof", "proof consistency takes OLD "
					 "NEW");
		if (cli_parse_u64("old size", argv[optind], &a) ||
		    cli_parse_u64("new size", argv[optind + 1], &b))
			return EXIT_ERROR;
		if (b == 0)
			return cli_failf("invalid new size 0");
	} else {
		return cli_usage("proof", "unknown proof '%s'", sub);
	}
	if (ledger_open(cli_store_dir(dir), LEDGER_READONLY, &l, &err) != 0)
		return cli_fail(&err);
	rc = !strcmp(sub, "inclusion") ? inclusion(l, a, b)
				       : consistency(l, a, b);
	ledger_close(l);
	return rc;
}

static const char checkpoint_help[] =
	"Usage: casetrail checkpoint [--now] [--json] [--dir DIR]\n"
	"\n"
	"Prints the latest signed checkpoint (C2SP signed note). With --now,\n"
	"first signs one of the current tree if the latest does not cover\n"
	"it. With --json, prints {\"size\", \"root_hash\", \"note\"}.\n";

int cmd_checkpoint(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "now", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct buf note = BUF_INIT_MAX(1 << 16);
	struct checkpoint cp;
	struct error err = { 0 };
	const char *dir = NULL;
	struct ledger *l;
	uint64_t size;
	int c, now = 0, as_json = 0, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'n': now = 1; break;
		case 'j': as_json = 1; break;
		case 'h': fputs(checkpoint_help, stdout); return EXIT_OK;
		default: return cli_bad_option("checkpoint", argv);
		}
	}
	if (optind < argc)
		return cli_usage("checkpoint", "unexpected argument '%s'",
				 argv[optind]);
	if (ledger_open(cli_store_dir(dir), now ? 0 : LEDGER_READONLY, &l,
			&err) != 0)
		return cli_fail(&err);
	rc = now ? ledger_checkpoint(l, 0, &note, &size, &err)
		 : ledger_checkpoint_latest(l, &note, &size, &err);
	ledger_close(l);
	if (rc == 0 && as_json)
		rc = checkpoint_parse(note.data, note.len, &cp, NULL, &err);
	if (rc) {
		buf_release(&note);
		return cli_fail(&err);
	}
	if (as_json)
		cli_print_json(json_pack("{s:I, s:o, s:s}", "size",
					 (json_int_t)size, "root_hash",
					 b64_json(cp.root), "note", note.data));
	else
		fwrite(note.data, 1, note.len, stdout);
	buf_release(&note);
	return EXIT_OK;
}
