/*
 * The licensing workflow on the ledger: matters, cases, record kinds,
 * stages, internal approval, users and tokens, findings and deadlines.
 *
 * Every change is a ledger entry. The tables that serve queries (cases,
 * records, users, tokens, findings, imported calendar years) are
 * projections of the log. A hook inside the ledger's write transaction
 * checks each record against its case and updates them in the same
 * commit. `cases_rebuild` recreates them from the log alone.
 *
 * The bureau's data (docs/data.md) is loaded once by cases_open and never
 * changes while it is open. Every call is safe from several threads at
 * once. Functions that return a json_t hand the caller one reference.
 * Errors: CT_EINVAL names the missing or malformed field, or the unknown
 * kind or matter; CT_ENOTFOUND the unknown case, user or seq;
 * CT_ESTATE a record that the case's stage does not allow, CT_EPERM a
 * rule of who may act (self-approval), CT_EEXIST a duplicate name.
 */
#ifndef CASETRAIL_CASES_H
#define CASETRAIL_CASES_H

#include <jansson.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "ledger/ledger.h"

/* The maximum length of a case id in bytes. */
#define CASE_ID_MAX 64

struct cases;

/* The acting staff member; os_user is NULL outside the CLI. */
struct actor {
	const char *user;
	const char *os_user;
};

/*
 * Loads the bureau data from data_dir (laws.json, matters.json,
 * record-kinds.json, calendar/), installs the projection hook on l, and
 * brings the projections up to the log's end. l stays owned by the
 * caller and must outlive the returned handle.
 */
int cases_open(struct ledger *l, const char *data_dir, struct cases **out,
	       struct error *err);

/* An entry as a projector above the workflow sees it. */
struct cases_entry {
	uint64_t seq;
	int64_t ts_ms, at_ms;   /* recorded; happened (ts_ms when not stated) */
	const char *kind;
	const char *actor;
	const char *case_id;    /* "" when the entry names no case */
	int64_t supersedes;     /* -1 for none */
	const json_t *fields;   /* NULL when the content is gone */
	const json_t *attachments;
	void *hook_data;        /* the appender's ledger_record.hook_data */
	int replaying;          /* catch-up or rebuild: project, do not check */
};

/*
 * The projection of a module above the workflow (accounts, marks, the
 * access log, copy requests). owns tells which kinds are its own; the
 * workflow neither checks nor folds them into a case, and calls fn for
 * each inside the ledger's write transaction, on append, catch-up and
 * rebuild alike. An error from fn rejects the entry.
 */
struct cases_projector {
	int (*owns)(void *ctx, const char *kind);
	int (*fn)(void *ctx, struct store *s, const struct cases_entry *e,
		  struct error *err);
	void *ctx;
	/*
	 * Optional: the time (UTC ms) of the SM2 signature that user made
	 * in role over record seq, or -1 when there is none. With it, a
	 * staff signature that a record names counts only once made; one
	 * still missing raises unsigned-record (docs/findings.md).
	 */
	int64_t (*signed_at)(void *ctx, struct store *s, uint64_t seq,
			     const char *user, const char *role);
	/*
	 * Optional: called, after the workflow projected it, for every
	 * entry of a kind the workflow owns (users, tokens, calendar
	 * years, records), in the same transaction; an error rejects it.
	 */
	int (*observe)(void *ctx, struct store *s, const struct cases_entry *e,
		       struct error *err);
};

/* cases_open with the projector extra (may be NULL), installed before
 * the projections are brought up to the log's end. */
int cases_open_with(struct ledger *l, const char *data_dir,
		    const struct cases_projector *extra, struct cases **out,
		    struct error *err);
void cases_close(struct cases *c);

/* The bureau data files as loaded, whole (borrowed references):
 * {"version", "matters": [...]}, {"version", "stages", "roles",
 * "exemptions", "kinds": [...]} and {"version", "sources", "laws"}. */
const json_t *cases_matters(const struct cases *c);
const json_t *cases_kinds(const struct cases *c);
const json_t *cases_laws(const struct cases *c);

/* Users: {name, display_name, roles[], unit, superior, credential,
 * credential_valid_until}. */
int cases_user_add(struct cases *c, const json_t *user,
		   const struct actor *by, json_t **out, struct error *err);
int cases_user_get(struct cases *c, const char *name, json_t **out,
		   struct error *err);
/* Returns {"items": [users], "total"}. */
int cases_user_list(struct cases *c, json_t **out, struct error *err);

/*
 * Creates a bearer token for user, valid for days days, and writes it
 * (NUL-terminated) to token; only its hash is stored. token needs
 * CASES_TOKEN_MAX bytes. *seq (may be NULL) gets the token's seq, which
 * names it for cases_token_revoke.
 */
#define CASES_TOKEN_MAX 64
#define CASES_TOKEN_DAYS_MAX 3650
int cases_token_create(struct cases *c, const char *user, int days,
		       const struct actor *by, char *token, uint64_t *seq,
		       struct error *err);

/* Revokes the token created by entry seq. */
int cases_token_revoke(struct cases *c, uint64_t seq, const struct actor *by,
		       struct error *err);

/* Returns {"items": [{seq, user, expires, revoked}]}; never the hashes. */
int cases_token_list(struct cases *c, json_t **out, struct error *err);

/*
 * Finds the user of a bearer token; CT_EPERM when it is unknown, expired
 * or revoked. A revocation by another process takes effect within the
 * ledger's poll interval (see ledger_known_size).
 */
int cases_token_user(struct cases *c, const char *token, char *user,
		     size_t n, struct error *err);

/*
 * Opens a case: {matter, applicant, applicant_id, received, channel,
 * materials, contact, address}. received is an RFC 3339 time or a
 * YYYY-MM-DD date. Returns the case as cases_show does.
 */
int cases_new(struct cases *c, const json_t *req, const struct actor *by,
	      json_t **out, struct error *err);

struct case_query {
	const char *stage;   /* NULL for any */
	const char *matter;  /* NULL for any */
	const char *q;       /* applicant, case id or document number */
	int q_ids;           /* q also matches the applicant's ID number */
	int overdue;         /* only cases past a statutory deadline */
	int due_within;      /* only cases due within n working days; -1 */
	int open_only;
	size_t offset, limit;
};

/* Returns {"items": [case summaries], "total", "offset", "limit"}. */
int cases_list(struct cases *c, const struct case_query *q, json_t **out,
	       struct error *err);

/*
 * Writes the same list as JSON text into out, from the stored summaries
 * without parsing them, and from a cache while nothing was appended.
 */
int cases_list_json(struct cases *c, const struct case_query *q,
		    struct buf *out, struct error *err);

/*
 * Returns the names of the people who took part in a case: the authors
 * of its records and everyone its records name (assignment, approvals),
 * as an array. Names are not checked against the staff list.
 */
int cases_members(struct cases *c, const char *id, json_t **out,
		  struct error *err);

/* Returns a case with its records, stage, people, deadlines, findings. */
int cases_show(struct cases *c, const char *id, json_t **out,
	       struct error *err);

/*
 * Writes the canonical JSON of cases_show into out, from a cache keyed by
 * the case's last entry; *last_seq receives that entry's seq (an ETag).
 */
int cases_show_json(struct cases *c, const char *id, struct buf *out,
		    uint64_t *last_seq, struct error *err);

/*
 * Returns how many sweeps this process has run. A sweep changes what a
 * case shows without an entry (deadline states, findings raised by
 * time), so an ETag names the last seq and this generation.
 */
uint64_t cases_generation(struct cases *c);

/*
 * cases_show_json that also returns, in *marks (caller's reference), the
 * distinct marks of the rendered records other than "none", as an array
 * of codes, kept in the same cache. It tells a caller whether the cached
 * bytes may be served to a reader as they are.
 */
int cases_show_json_marks(struct cases *c, const char *id, struct buf *out,
			  uint64_t *last_seq, json_t **marks,
			  struct error *err);

/*
 * Returns the confidentiality mark code of a record of kind with fields
 * (NULL when its content is gone). It must depend on nothing else, since
 * renderings are cached by the case's last entry.
 */
typedef const char *(*cases_mark_fn)(void *ctx, const char *kind,
				     const json_t *fields);

/*
 * Installs fn, which gives every record that cases_show and
 * cases_record_get render a "mark" member; call before any rendering.
 */
void cases_set_marker(struct cases *c, cases_mark_fn fn, void *ctx);

/*
 * Raises a finding of no case from a projector above the workflow,
 * inside its transaction s: code (docs/findings.md), the entry seq it
 * concerns, the time it was detected, the responsible user (whose
 * superior it names, when registered), its key and extra members of its
 * body (borrowed, may be NULL).
 */
int cases_finding_raise(struct cases *c, struct store *s, const char *code,
			uint64_t record, int64_t detected_ms, const char *user,
			const char *key, json_t *extra, struct error *err);

/* Reads the seq of a case's last entry (cheap: one row). */
int cases_last_seq(struct cases *c, const char *id, uint64_t *last_seq,
		   struct error *err);

struct record_request {
	const char *case_id;
	const char *kind;
	const json_t *fields;
	const struct ledger_attachment *attachments;
	size_t nattachments;
	int has_at;     /* the event happened at at_ms, not now */
	int64_t at_ms;
	/* Under a confidentiality mark other than none, whatever the kind's
	 * default: the content is encrypted at rest (content.h). */
	int marked;
};

/*
 * Checks a record against its kind's schema and its case, without the
 * attachments, so that a caller can reject it before streaming any.
 */
int cases_record_check(struct cases *c, const struct record_request *r,
		       const struct actor *by, struct error *err);

/* Appends a record; returns {"seq", "case", "kind", "stage", "number"}. */
int cases_record_add(struct cases *c, const struct record_request *r,
		     const struct actor *by, json_t **out, struct error *err);

/* Appends a correction of seq that supersedes it, with the new fields. */
int cases_record_correct(struct cases *c, uint64_t seq, const char *reason,
			 const json_t *fields, const struct actor *by,
			 json_t **out, struct error *err);

/* Returns one record with its fields, as in a case's timeline. */
int cases_record_get(struct cases *c, uint64_t seq, json_t **out,
		     struct error *err);

struct finding_query {
	const char *case_id; /* NULL for all */
	const char *code;    /* NULL for all */
	int open_only;
	int sweep;           /* re-evaluate open cases first (the CLI) */
	size_t offset, limit;
};

/*
 * Returns {"items": [findings], "total", "offset", "limit"}, newest
 * first. With q->sweep, re-evaluates the time-dependent rules of every
 * open case at the current time first; the server does that every
 * minute instead.
 */
int cases_findings(struct cases *c, const struct finding_query *q,
		   json_t **out, struct error *err);

/* Re-evaluates deadlines and findings of open cases at the current time. */
int cases_sweep(struct cases *c, struct error *err);

/*
 * Imports one holiday-cn year file into the calendar (an entry of kind
 * calendar), recomputes the deadlines of open cases and records which
 * changed. Returns {"year", "seq", "changed": [{case, deadline, from, to}]}.
 */
int cases_calendar_import(struct cases *c, const json_t *year_file,
			  const char *source, const struct actor *by,
			  json_t **out, struct error *err);

/* Returns the calendar in use: {"years": [{year, published, source}]}. */
int cases_calendar(struct cases *c, json_t **out, struct error *err);

/* The calendar in use (borrowed; valid until cases_close). */
const struct calendar *cases_calendar_get(struct cases *c);

/*
 * Imports one line of a JSON Lines migration file: {"op": "case",
 * ...cases_new request..., "as"} or {"op": "record", "case", "kind",
 * "fields", "at", "as", "attach"}. The caller streams the files that
 * "attach" names and passes them as attachments. All or nothing per line.
 */
int cases_import_line(struct cases *c, const json_t *line,
		      const struct ledger_attachment *attachments,
		      size_t nattachments, const struct actor *by,
		      json_t **out, struct error *err);

/*
 * Recreates every projection from the log and compares it with what was
 * there. Returns {"entries", "cases", "records", "users", "findings",
 * "match": bool, "differences": [...]}.
 */
int cases_rebuild(struct cases *c, json_t **out, struct error *err);

/* Checks a record's fields against its kind (no case needed). */
int record_kind_check(const struct cases *c, const char *kind,
		      const json_t *fields, struct error *err);

/*
 * Times as the workflow writes them: RFC 3339 in China Standard Time, to
 * the second. Parsing accepts any offset, a fraction and a date alone
 * (00:00 CST). cases_time_parse returns 0 or CT_EINVAL.
 */
void cases_time_format(int64_t ms, char out[32]);
int cases_time_parse(const char *text, int64_t *ms);

/* The ledger the workflow appends to. */
struct ledger *cases_ledger(struct cases *c);

/* The bureau data folder the workflow was opened with. */
const char *cases_data_dir(const struct cases *c);

#endif
