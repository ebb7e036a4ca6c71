/*
 * Appends a purge entry through the ledger alone, with no projection
 * hook, as an older casetrail or another tool on the ledger could:
 *
 *   purger DIR SEQ HASH RULE ACTOR
 *
 * The next process that opens the workflow projects it on catch-up,
 * without the append-time checks, which is what purge-without-rule
 * checks after the fact (test_rules.py). Prints the purge's seq.
 */
#include "common/common.h"

#include "ledger/ledger.h"

int main(int argc, char **argv)
{
	struct ledger_receipt receipt;
	struct error err = { 0 };
	struct ledger *l;
	uint64_t seq;
	char *end;
	int rc;

	if (argc != 6) {
		fputs("Usage: purger DIR SEQ HASH RULE ACTOR\n", stderr);
		return 2;
	}
	seq = strtoull(argv[2], &end, 10);
	if (*end || end == argv[2]) {
		fprintf(stderr, "purger: invalid seq '%s'\n", argv[2]);
		return 2;
	}
	if (ledger_open(argv[1], 0, &l, &err) != 0) {
		fprintf(stderr, "purger: %s\n", err.msg);
		return 2;
	}
	rc = ledger_purge(l, seq, argv[3], argv[4], argv[5], NULL, &receipt,
			  &err);
	ledger_close(l);
	if (rc) {
		fprintf(stderr, "purger: %s\n", err.msg);
		return 2;
	}
	printf("%" PRIu64 "\n", receipt.seq);
	return 0;
}
