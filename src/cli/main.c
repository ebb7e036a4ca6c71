/*
 * casetrail: the full-process recording system of an administrative
 * approval bureau. One program is both the command-line tool and the
 * server; this file dispatches on the command word.
 */
#include "common/common.h"

#include <getopt.h>

#include "cli.h"

static const struct command {
	const char *name;
	cli_command_fn fn;
	const char *summary;
} commands[] = {
	{ "init", cmd_init, "create a new store" },
	{ "key", cmd_key, "show the store's public signing keys" },
	{ "staff-key", cmd_staff_key, "staff signing keys and record signatures" },
	{ "record", cmd_record, "add a record, or show one with its content" },
	{ "log", cmd_log, "show a ledger entry" },
	{ "proof", cmd_proof, "print an inclusion or consistency proof" },
	{ "checkpoint", cmd_checkpoint, "print (or sign) the latest checkpoint" },
	{ "expunge", cmd_expunge, "destroy content or a blob, recorded" },
	{ "verify", cmd_verify, "check a whole store from scratch" },
	{ "backup", cmd_backup, "write a consistent online copy of a store" },
	{ "restore", cmd_restore, "rebuild a store from its backup and the witness" },
	{ "serve", cmd_serve, "run the HTTP server" },
	{ "witness", cmd_witness, "the supervisory department's witness node" },
	{ "case", cmd_case, "open, list and show cases" },
	{ "user", cmd_user, "register and list staff" },
	{ "token", cmd_token, "create a bearer token for the HTTP API" },
	{ "findings", cmd_findings, "list compliance findings" },
	{ "warnings", cmd_warnings, "yellow and red warnings of time limits" },
	{ "digest", cmd_digest, "the daily digest of warnings and findings" },
	{ "deadline", cmd_deadline, "count a statutory time limit" },
	{ "calendar", cmd_calendar, "import or show the working-day calendar" },
	{ "matters", cmd_matters, "list the matter catalogue" },
	{ "kinds", cmd_kinds, "list the record kinds" },
	{ "import", cmd_import, "import historical cases (JSON Lines)" },
	{ "rebuild", cmd_rebuild, "recreate the projections from the log" },
	{ "retention", cmd_retention, "purge or hold window surveillance" },
	{ "media", cmd_media, "ingest, link and trace audio-visual evidence" },
	{ "probe", cmd_probe, "print what a media file states about itself" },
	{ "mark", cmd_mark, "change a record's or file's confidentiality mark" },
	{ "access", cmd_access, "list the access log and administrators' acts" },
	{ "routes", cmd_routes, "list the HTTP API's routes and their actions" },
	{ "copy", cmd_copy, "request, decide and make copies of case records" },
	{ "document", cmd_document, "render and issue official documents" },
	{ "seal-key", cmd_seal_key, "create or show the bureau's seal key" },
	{ "archive", cmd_archive, "seal an ended case's file as a package" },
	{ "verify-package", cmd_verify_package, "check a case file package" },
	{ "inquiry", cmd_inquiry, "the applicants' status inquiry and its code" },
	{ "publicity", cmd_publicity, "export and import 双公示 licensing data" },
	{ "report", cmd_report, "evaluation reports and annual statistics" },
	{ "review", cmd_review, "score a case file against the review standard" },
};

static void usage(FILE *out)
{
	fputs("Usage: casetrail COMMAND [OPTIONS]\n\n"
	      "Commands:\n", out);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-11s %s\n", commands[i].name,
			commands[i].summary);
	fputs("\nEvery command takes --help. The store is --dir DIR, else "
	      "$CASETRAIL_DIR,\nelse ./var/casetrail. Exit status: 0 ok, 1 "
	      "verify (or record show) found\na problem, 2 usage, input, "
	      "permission or store error.\n", out);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_ERROR;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		puts("casetrail 0.1.0");
		return EXIT_OK;
	}
	/* Commands report rejected options themselves, naming them. */
	opterr = 0;
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[1], commands[i].name) == 0) {
			cli_setup_logging(commands[i].fn == cmd_serve);
			return commands[i].fn(argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "casetrail: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return EXIT_ERROR;
}
