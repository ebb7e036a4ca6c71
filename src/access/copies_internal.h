/*
 * Shared by the files of copy requests and the status inquiry: the
 * settings of data/access.json, the projectors of the copy entry kinds,
 * the copy set builder and the masking of personal information.
 */
#ifndef CASETRAIL_ACCESS_COPIES_INTERNAL_H
#define CASETRAIL_ACCESS_COPIES_INTERNAL_H

#include <pthread.h>

#include "copies.h"
#include "deadlines/deadlines.h"
#include "internal.h"

#define KIND_COPY_REQUEST "copy-request"
#define KIND_COPY_DECISION "copy-decision"
#define KIND_COPY_OVERDUE "copy-overdue"
#define KIND_COPY_MADE "copy-made"

/* The finding an undecided request past its time limit raises. */
#define FINDING_COPY_OVERDUE "copy-request-overdue"

/* The kv namespace of request rows, keyed by "<year>-<n, 9 digits>". */
#define COPY_NS "copy-request"

/* The actor of entries that the sweep appends. */
#define COPY_SWEEP_ACTOR "sweep"

/* Wrong inquiry codes remembered per case, and client addresses. */
#define INQUIRY_TRACKED_MAX 4096

/* The module's state: the loaded settings and the inquiry lockouts. */
struct copies {
	json_t *doc;            /* data/access.json, checked; NULL: absent */
	char path[4200];        /* where it was looked for */
	const json_t *req;      /* doc's copy_requests */
	const json_t *inq;      /* doc's inquiry */
	int limit_value;
	enum limit_unit limit_unit;
	int rate_per_minute;
	int lockout_after;
	int lockout_minutes;

	pthread_mutex_t mu;     /* guards the members below */
	uint8_t key[32];        /* the inquiry key, once loaded */
	bool key_loaded;
	json_t *wrong;          /* case id -> {"count", "first", "until"} */
};

/* Loads data_dir/access.json into *out; an absent file is no error. */
int copies_open(struct access *a, const char *data_dir, struct copies **out,
		struct error *err);
void copies_close(struct copies *cp);

/* Returns CT_ENOTFOUND naming the file when data/access.json is absent. */
int copies_need_config(const struct copies *cp, struct error *err);

/* The projectors of the four entry kinds (copies.c). */
int copies_project_request(struct access *a, struct store *s,
			   const struct cases_entry *e, struct error *err);
int copies_project_decision(struct access *a, struct store *s,
			    const struct cases_entry *e, struct error *err);
int copies_project_overdue(struct access *a, struct store *s,
			   const struct cases_entry *e, struct error *err);
int copies_project_made(struct access *a, struct store *s,
			const struct cases_entry *e, struct error *err);

/*
 * Checks that o is an object with exactly the members names lists
 * (NULL-terminated); where names it in the message. 0 or CT_EINVAL.
 */
int copy_check_members(const json_t *o, const char *where,
		       const char *const *names, struct error *err);

/* Reads and writes the row of key inside a transaction (copies_proj.c). */
int copy_row_read(struct store *s, const char *key, json_t **row,
		  uint64_t *seq, struct error *err);
int copy_row_write(struct store *s, const char *key, uint64_t seq,
		   const json_t *row, struct error *err);

/* Parses a request id "<year>-<n>" into the row key; 0 or CT_EINVAL. */
int copy_id_key(const char *id, char key[32], struct error *err);

/*
 * Computes the due day of a request received at received_ms under limit
 * {"value", "unit"}. Returns 0 or an error of deadline_after.
 */
int copy_due(struct access *a, int64_t received_ms, const json_t *limit,
	     struct due *due, struct error *err);

/* --- the copy set (copyset.c) --------------------------------------------- */

/* The input of a copy set: the request row and the case as shown. */
struct copy_set_in {
	const json_t *request;  /* as copies_get returns it */
	const json_t *case_view; /* cases_show of the request's case */
	const char *copy_id;    /* 8 hex digits naming this copy */
	int64_t made_ms;
};

/*
 * Writes the copy set as a tar to fd (at its current offset) and sets
 * *manifest to {"included": [...], "withheld": [...]}. Returns 0 or a
 * negative code.
 */
int copyset_write(struct access *a, const struct copy_set_in *in, int fd,
		  json_t **manifest, struct error *err);

/* --- masking (mask.c) ----------------------------------------------------- */

struct masker;

/*
 * Prepares the masking of one copy set. It collects the persons that the
 * case's records (case_view, as cases_show returns it) name, other than
 * the requester of request and the party represented. It also collects
 * the requester's own identity numbers, phones and addresses, which stay
 * visible. Returns NULL when out of memory.
 */
struct masker *masker_new(struct access *a, const json_t *case_view,
			  const json_t *request);
void masker_free(struct masker *m);

/*
 * Masks fields, a record's fields of kind: third parties' names, identity
 * numbers, phone numbers, e-mail addresses and addresses, in the fields
 * that hold them and wherever they appear in text. Returns a new object
 * and adds to *count the values it changed.
 */
json_t *masker_fields(struct masker *m, const char *kind, const json_t *fields,
		      size_t *count);

/* Masks the personal information that a free text contains. */
char *masker_text(struct masker *m, const char *text, size_t *count);

/* Returns whether name looks like an organisation rather than a person. */
bool copies_is_organization(const struct copies *cp, const char *name);

/* The masked form of a person's name: the first character and "**". */
char *mask_name(const char *name);

#endif
