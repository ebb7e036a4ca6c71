/*
 * Shared by the files of the workflow: the loaded bureau data, the
 * folded state of one case, and the evaluation of its deadlines and
 * findings.
 */
#ifndef CASETRAIL_CASES_INTERNAL_H
#define CASETRAIL_CASES_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "cases.h"
#include "deadlines/deadlines.h"
#include "media/media.h"
#include "store/kv.h"
#include "store/projection.h"

/* Kinds the workflow writes itself; callers cannot add them. */
#define KIND_USER "user"
#define KIND_TOKEN "token"
#define KIND_TOKEN_REVOKE "token-revoke"
#define KIND_CALENDAR "calendar"
#define KIND_RECOMPUTE "deadline-recompute"
#define KIND_FINDING "finding"
/* The seal of a case file (src/archive/), folded into its case. */
#define KIND_CASE_FILE_SEAL "case-file-seal"
/*
 * Ended cases whose file is not sealed yet (evaluate.c keeps the rows),
 * which sweeps visit for late-archive although the case is closed.
 */
#define NS_ARCHIVE_DUE "archive-due"
#define KIND_CORRECTION "correction"
#define KIND_APPLICATION "application"

#define USER_NAME_MAX 64

enum stage {
	STAGE_APPLICATION,
	STAGE_ACCEPTANCE,
	STAGE_INVESTIGATION,
	STAGE_DECISION,
	STAGE_SERVICE,
	STAGE_ARCHIVE,
	STAGE_COUNT,
	STAGE_ANY = STAGE_COUNT,
};

struct catalogue {
	json_t *laws, *matters, *kinds; /* the files as loaded */
	json_t *matter_index;           /* code -> matter */
	json_t *kind_index;             /* code -> kind */
	json_t *law_index;              /* id -> law */
	char stage_names[STAGE_COUNT][32];
	char dir[4096];
};

int catalogue_load(struct catalogue *cat, const char *dir, struct error *err);
void catalogue_release(struct catalogue *cat);
const json_t *catalogue_matter(const struct catalogue *cat, const char *code);
const json_t *catalogue_kind(const struct catalogue *cat, const char *code);
/* Checks a law citation; CT_EINVAL naming path when it does not resolve. */
int catalogue_check_citation(const struct catalogue *cat, const json_t *cite,
			     const char *path, struct error *err);

/*
 * Checks that every code of a list (strings, or objects with "code") is
 * a material of the matter, once; CT_EINVAL naming path otherwise.
 */
int matter_check_materials(const json_t *matter, const json_t *codes,
			   const char *path, struct error *err);

const char *stage_code(enum stage s);
int stage_parse(const char *code, enum stage *out);
/* The stage a kind may first be added in (STAGE_ANY for any). */
enum stage kind_stage(const json_t *kind);

/* One record of a case as folded, with corrections applied. */
struct rec {
	uint64_t seq;
	int64_t ts_ms, at_ms;   /* recorded; happened */
	char kind[64];
	char actor[USER_NAME_MAX + 1];
	int64_t supersedes;     /* -1 for none */
	int64_t superseded_by;  /* -1 for none */
	int64_t corrected_by;   /* the correction now in force, -1 for none */
	json_t *fields;         /* NULL when expunged or lost */
	json_t *original;       /* the fields before the first correction, or NULL */
	int lost;               /* content lost in a restore, not expunged */
	json_t *attachments;    /* array of {hash, size, type}, may be empty */
};

struct case_state {
	char id[CASE_ID_MAX + 1];
	const json_t *matter;
	int licence;            /* the Licensing Law's rules run */
	enum stage stage;
	const char *status;     /* open, refused, granted, denied, ... */
	int64_t received_ms;
	int32_t received_day;
	struct rec *recs;
	size_t n, cap;
	/* The findings last written for this state, as sorted JSON text;
	 * an evaluation that finds the same skips writing them again. */
	char *found_sig;
};

void case_state_release(struct case_state *cs);

/* Keeps cs's row of NS_ARCHIVE_DUE: there while it ended unsealed. */
int archive_due_sync(struct store *s, const struct case_state *cs,
		     struct error *err);

/* Adds a record to the fold and moves the stage; never rejects. */
int case_fold(struct case_state *cs, const struct catalogue *cat,
	      struct rec *r, struct error *err);

/* Looks up a user's projection for the rules (borrowed store). */
typedef json_t *(*user_lookup_fn)(void *ctx, const char *name);

struct check_env {
	const struct catalogue *cat;
	const struct calendar *cal;
	user_lookup_fn user;
	void *user_ctx;
	/* Staff signatures made (cases_projector.signed_at, with its ctx
	 * and the store); NULL when no module records them. */
	int64_t (*signed_at)(void *ctx, struct store *s, uint64_t seq,
			     const char *user, const char *role);
	void *signed_ctx;
	struct store *store;
};

/*
 * Checks that a new record may be added to the case in its current state. On a
 * rule of who may act, sets *finding to the finding code it raises.
 */
int case_check(const struct case_state *cs, const struct check_env *env,
	       const struct rec *r, const char **finding, struct error *err);

/* Checks fields against a kind's schema, signatures and AV included. */
int schema_check(const struct check_env *env, const json_t *kind,
		 const json_t *fields, size_t nattachments, struct error *err);

/*
 * Evaluates deadlines and findings of the case at now_ms. deadlines gets
 * {"acceptance", "decision", "delivery", ...}; findings an array of
 * {code, record, detected, cured, responsible, rule, severity}.
 */
int case_evaluate(const struct case_state *cs, const struct check_env *env,
		  int64_t now_ms, json_t *deadlines, json_t *findings);

/*
 * The rules of rules_eval.c: the missing records that record-kinds.json's
 * "required" members declare, and the rules of hearing rights, legal
 * review, remedies and hearings, read from the deadlines case_evaluate
 * computed. Both append to findings.
 */
void rules_eval_required(const struct case_state *cs,
			 const struct check_env *env, json_t *findings);
void rules_eval_case(const struct case_state *cs, const struct check_env *env,
		     int64_t now_ms, const json_t *deadlines,
		     json_t *findings);

/*
 * Returns 1 when an item of a rights notice's "rights" tells of the right
 * to a hearing: it names 听证 and does not deny or waive it (不, 无, 未,
 * 放弃), so "不听证" tells of none.
 */
int right_is_hearing(const char *right);

/*
 * Appends to items the warnings of q (supervision.h) read through s, a
 * read or write transaction; q->at_ms must be set.
 */
struct warning_query;
int warnings_collect(struct cases *c, struct store *s,
		     const struct warning_query *q, json_t *items,
		     struct error *err);

/*
 * The result of a verify run (integrity.c): {ok, count, problems}, of no
 * case. Its projection raises or cures integrity-failure.
 */
#define KIND_VERIFY_RESULT "verify-result"
int is_verify_kind(const char *kind);
int integrity_project(struct cases *c, struct store *s, const struct rec *r,
		      struct error *err);

/*
 * Evaluates every case, closed ones included, at now_ms (writer lock
 * held); *count (may be NULL) gets the number evaluated. The daily
 * evaluation and the rebuild use it, so both see the same findings.
 */
int evaluate_all_cases(struct cases *c, struct store *s, int64_t now_ms,
		       size_t *count, struct error *err);

/* Keeps the stored digests (digest.c) across a rebuild's clear: rows
 * gets {key, seq, body} of each, which restore puts back. */
int digest_rows_save(struct store *s, json_t *rows, struct error *err);
int digest_rows_restore(struct store *s, const json_t *rows,
			struct error *err);

/* Raises purge-without-rule for a purge or expunge entry that no rule
 * covers (purge_check.c); 0 for entries of other kinds. */
int purge_check(struct cases *c, struct store *s, const struct rec *r,
		const char *case_id, struct error *err);

/* The text of each finding code's rule, and its severity. */
const char *finding_rule(const char *code);
const char *finding_severity(const char *code);

/* Folded case states kept between appends, by hash of the case id. */
#define STATE_CACHE_SLOTS 16384

struct state_slot {
	int valid;
	uint64_t last_seq;     /* the state includes records up to this seq */
	int32_t evaluated_day; /* the day its findings were last evaluated */
	struct case_state cs;
};

struct cases {
	struct ledger *ledger;
	struct catalogue cat;
	struct calendar *cal;   /* data/calendar plus imported years */
	pthread_mutex_t cal_mu; /* guards cal against imports */
	enum hash_alg alg;
	int replaying;          /* the hook projects without checking */
	struct cases_projector extra; /* kinds of the modules above */

	/*
	 * Used only under the ledger's writer lock (the hook, catch-up,
	 * sweeps), so it needs no lock of its own. A slot is trusted only
	 * while the case row's last seq matches it, which a rolled-back
	 * batch breaks.
	 */
	struct state_slot *states;

	cases_mark_fn marker; /* the "mark" of rendered records, or NULL */
	void *marker_ctx;

	/* Cached renderings of cases_show_json and cases_list_json. */
	pthread_mutex_t cache_mu;
	json_t *cache;  /* id or list query -> {"seq", "size", "text"} */
	json_t *tokens; /* token hash -> {user, expires, size}, cache_mu */
	_Atomic uint64_t sweep_gen; /* sweeps run by this process */
};

/* The result the hook reports back through ledger_record.hook_data. */
struct hook_result {
	const char *finding; /* the finding a rejected act raises */
};

/*
 * Whether the content of a kind is encrypted at rest by default: its
 * "confidentiality" names a mark, anything but none, public or internal.
 */
int kind_sealed(const json_t *kind);

/*
 * The people of a case (authors of its records and everyone they name),
 * as an array. case_project keeps it in p_kv under NS_MEMBERS, so that an
 * access check reads one short row instead of loading the case.
 */
#define NS_MEMBERS "case-members"
json_t *case_member_names(const struct case_state *cs);

/* Whether kind is one of the audio-visual entries (media/media.h). */
int is_media_kind(const char *kind);

/* Checks and projects an audio-visual entry (media_proj.c). */
int media_project(struct cases *c, struct store *s, const struct rec *r,
		  const char *case_id, struct error *err);

/*
 * 双公示 entries of src/publicity/, projected by publicity_proj.c: the
 * first submission of each decision (NS_PUBLISHED, keyed by the
 * decision's seq as 20 digits), the cases whose grant still waits for
 * one (NS_PUBLICITY_DUE, which sweeps visit even after the case closed)
 * and imported rows of earlier years (NS_PUBLICITY_HISTORY).
 */
#define KIND_PUBLICITY_EXPORT "publicity-export"
#define KIND_PUBLICITY_HISTORY "publicity-history"
#define NS_PUBLISHED "publicity-exported"
#define NS_PUBLICITY_DUE "publicity-due"
#define NS_PUBLICITY_HISTORY "publicity-history"

int is_publicity_kind(const char *kind);
int publicity_project(struct cases *c, struct store *s, const struct rec *r,
		      struct error *err);
/* The time (UTC ms) decision_seq was first submitted, or -1. */
int64_t publicity_first_export(struct store *s, uint64_t decision_seq);
/* Keeps cs's row of NS_PUBLICITY_DUE in step with its deadlines. */
int publicity_due_sync(struct store *s, const struct case_state *cs,
		       const json_t *deadlines, struct error *err);

/* The hook: checks and projects one entry (see ledger_hook_fn). */
int project_entry(void *ctx, struct store *s, uint64_t seq, int64_t ts_ms,
		  const struct ledger_record *rec, struct error *err);

/* Projects the entries the projections do not include yet. */
int project_catch_up(struct cases *c, struct store *s, struct error *err);

/* Loads a case's state from the projections and the log. */
int case_load(struct cases *c, struct store *s, const char *id,
	      struct case_state *cs, struct error *err);

/*
 * Returns the cached state of a case, loading it when the cache does not
 * hold its current state (writer lock held). NULL with err set on error.
 */
struct state_slot *state_get(struct cases *c, struct store *s,
			     const char *id, struct error *err);
void state_drop(struct state_slot *slot);
void state_cache_clear(struct cases *c);

/* Re-evaluates every open case at now_ms (writer lock held). */
int sweep_open_cases(struct cases *c, struct store *s, int64_t now_ms,
		     struct error *err);

/* Re-evaluates a case and writes its projection row and findings. */
int case_project(struct cases *c, struct store *s, struct case_state *cs,
		 int64_t now_ms, struct error *err);

/* Renders the case as cases_show returns it. */
int case_render(struct cases *c, struct store *s, const struct case_state *cs,
		json_t **out, struct error *err);

/* Draws the next value of a counter, durably, so it is never reused. */
int cases_counter_next(struct cases *c, const char *name, uint64_t *value,
		       struct error *err);

/* Reads a user's projection as JSON; NULL when unknown. */
json_t *user_read(struct store *s, const char *name);

/* Formats a UTC millisecond time as RFC 3339 in CST (+08:00). */
void time_format(int64_t ms, char out[32]);
/* Parses RFC 3339 or YYYY-MM-DD (00:00 CST) into UTC milliseconds. */
int time_parse(const char *text, int64_t *ms);

#endif
