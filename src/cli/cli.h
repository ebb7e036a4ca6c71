/*
 * The command-line front end. Each command group has one file and one
 * entry point with the signature of cli_command_fn; main() dispatches on
 * the first one or two words. Commands print results to stdout (JSON for
 * ledger and proof commands) and errors to stderr as
 * "casetrail: <message>", and return an exit status:
 */
#ifndef CASETRAIL_CLI_H
#define CASETRAIL_CLI_H

#include <getopt.h>
#include <jansson.h>
#include <stdint.h>

#include "access/access.h"
#include "common/error.h"

enum cli_exit {
	EXIT_OK = 0,
	EXIT_PROBLEM = 1, /* verify found a problem */
	EXIT_ERROR = 2,   /* usage, input, permission or store error */
};

typedef int (*cli_command_fn)(int argc, char **argv);

int cmd_init(int argc, char **argv);
int cmd_key(int argc, char **argv);
int cmd_staff_key(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_proof(int argc, char **argv);
int cmd_checkpoint(int argc, char **argv);
int cmd_expunge(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_backup(int argc, char **argv);
/* cmd_restore.c: restore from a backup plus the witness. */
int cmd_restore(int argc, char **argv);
int cmd_serve(int argc, char **argv);
/* cmd_witness.c: the witness node and the bureau's side of it. */
int cmd_witness(int argc, char **argv);
/*
 * verify --against URL: fetches the witness's cosigned checkpoint of the
 * store into note and checks its cosignature when the store names that
 * witness with keys (else says so on stdout). Returns 0, 1 after
 * printing a problem line to out, or EXIT_ERROR after printing why it
 * could not.
 */
int cli_witness_against(const char *dir, const char *url, struct buf *note,
			FILE *out);
/* Prints how far each witness of the store is behind, one line each. */
void cli_witness_lag(const char *dir, FILE *out);
/* Sets "witnesses" of o to the same as JSON, when the store has any. */
void cli_witness_lag_json(const char *dir, json_t *o);
int cmd_deadline(int argc, char **argv);
int cmd_case(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_findings(int argc, char **argv);
/* cmd_supervise.c: yellow and red warnings, the daily digest. */
int cmd_warnings(int argc, char **argv);
int cmd_digest(int argc, char **argv);
/* Records a verify run's problem lines as an integrity finding (or its
 * cure); warns on stderr and returns EXIT_ERROR when that fails. */
int cli_record_verify(const char *dir, const char *lines, size_t len);
int cmd_calendar(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_rebuild(int argc, char **argv);
int cmd_matters(int argc, char **argv);
int cmd_kinds(int argc, char **argv);
int cmd_retention(int argc, char **argv);
int cmd_media(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_copy(int argc, char **argv);
int cmd_document(int argc, char **argv);
int cmd_seal_key(int argc, char **argv);
/* cmd_archive.c: case files (docs/archive.md). */
int cmd_archive(int argc, char **argv);
int cmd_verify_package(int argc, char **argv);
int cmd_inquiry(int argc, char **argv);
int cmd_publicity(int argc, char **argv);
/* cmd_report.c: evaluation reports, annual statistics, score sheets. */
int cmd_report(int argc, char **argv);
int cmd_review(int argc, char **argv);
/* casetrail case inquiry-code ID: the inquiry code of a case. */
int cmd_case_inquiry_code(int argc, char **argv);

struct ledger;
struct cases;

/*
 * Opens the store (--dir) and the workflow on the bureau data (--data),
 * printing any error; returns 0 or EXIT_ERROR.
 */
int cli_open_cases(const char *dir, const char *data, unsigned flags,
		   struct ledger **l, struct cases **c);
void cli_close_cases(struct ledger *l, struct cases *c);

/* The access module that cli_open_cases opened with the workflow. */
struct access *cli_access(void);

/*
 * Creates the store's first system administrator, name, with a one-time
 * password (cmd_user.c). *out receives {user, one_time_password,
 * must_change_password}. Returns 0, or EXIT_ERROR after printing why.
 */
int cli_init_admin(const char *dir, const char *data, const char *name,
		   json_t **out);

/* cmd_access.c: marks, the access log, expunge approvals, routes. */
int cmd_mark(int argc, char **argv);
int cmd_access(int argc, char **argv);
int cmd_routes(int argc, char **argv);
/* casetrail expunge approve ...: the security administrator's approval. */
int cli_expunge_approve(int argc, char **argv);

/*
 * Who a command that shows content shows it to: the registered user that
 * --as names, to whom the access policy applies, or the operators'
 * console (console set), which sees everything (docs/access.md). Reads
 * of marked content are recorded either way.
 */
struct cli_viewer {
	struct principal p;
	bool console;
	const char *os_user;
};

/* Loads the viewer of --as (may be NULL); returns 0 or EXIT_ERROR. */
int cli_viewer_open(struct access *a, const char *as, struct cli_viewer *v);
void cli_viewer_release(struct cli_viewer *v);

/*
 * Asks whether v may do act on t; a refusal is recorded and printed.
 * Returns 0 or EXIT_ERROR.
 */
int cli_viewer_allow(struct access *a, const struct cli_viewer *v,
		     enum access_action act, const struct access_target *t);

/* Records v's read of content marked mark (nothing for MARK_NONE);
 * returns 0 or EXIT_ERROR. */
int cli_viewer_read(struct access *a, const struct cli_viewer *v,
		    enum access_action act, const char *case_id,
		    const char *target, enum access_mark mark);

/*
 * Checks that v may read case id and withholds from case_json (as
 * cases_show returns it) what v may not read, recording the read.
 * Returns 0 or EXIT_ERROR.
 */
int cli_view_case(struct access *a, const struct cli_viewer *v,
		  const char *id, json_t *case_json);

/* Checks that v may list cases and withholds from list (as cases_list
 * returns it) what v may not see. Returns 0 or EXIT_ERROR. */
int cli_view_list(struct access *a, const struct cli_viewer *v, json_t *list);

/*
 * Applies the access policy to 'record show SEQ' of entry (its envelope)
 * with fields, for the viewer --as names: *mark receives the record's
 * mark; a refusal and a read of marked content are recorded. Opens the
 * store in dir itself. Returns 0 to show it, or EXIT_ERROR after printing
 * why not.
 */
int cli_view_record(const char *dir, const char *data, const char *as,
		    uint64_t seq, const json_t *entry, const json_t *fields,
		    enum access_mark *mark);

/*
 * Checks that the viewer --as names may read the metadata of the media
 * file row (as media_get returns it) and adds its "mark". Returns 0 or
 * EXIT_ERROR after printing why not.
 */
int cli_view_media(struct access *a, const char *as, json_t *row);

/* Reads a JSON file, or standard input for "-"; errors name what. */
int cli_read_json(const char *what, const char *path, json_t **out);

/* Prints "casetrail: <message>" to stderr and returns EXIT_ERROR. */
int cli_fail(const struct error *err);
int cli_failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints a usage error with a pointer to --help; returns EXIT_ERROR. */
int cli_usage(const char *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Reports the option getopt_long just rejected (unknown, or missing its
 * argument), naming it; returns EXIT_ERROR.
 */
int cli_bad_option(const char *command, char **argv);

/* The store directory: --dir, else $CASETRAIL_DIR, else ./var/casetrail. */
const char *cli_store_dir(const char *option);

/*
 * The bureau data folder (its calendar/ contains the year files): --data,
 * else $CASETRAIL_DATA, else the data/ folder of the source tree that
 * this program was built from.
 */
const char *cli_data_dir(const char *option);

/* The acting user: --as, else the OS user. */
const char *cli_actor(const char *option);

/* The OS user's login name ("uid-<n>" when it has none). */
const char *cli_os_user(void);

/*
 * Parses a decimal number named what: no sign, no leading zeros except
 * "0", at most 2^63 - 1. Returns 0, or prints an error and returns
 * EXIT_ERROR.
 */
int cli_parse_u64(const char *what, const char *text, uint64_t *out);

/*
 * Parses an RFC 3339 time ("2026-12-04T09:30:00+08:00", fraction of a
 * second optional, "Z" allowed) into UTC milliseconds.
 */
int cli_parse_time(const char *what, const char *text, int64_t *out_ms);

/* Prints a JSON value to stdout with a newline; takes its reference. */
void cli_print_json(json_t *v);

/* Opens the log level from $CASETRAIL_LOG (default warn for the CLI). */
void cli_setup_logging(int is_server);

#endif
