/*
 * Copy requests (复制申请): a party of a case, or staff on the party's
 * behalf, requests copies of named records and files of that case. The
 * head of the supervisory department approves or rejects the request
 * within the time limit of data/access.json. On approval casetrail makes
 * the copy set, a tar archive in which confidential items are withheld,
 * third parties' personal information is masked and every file carries
 * the mark of the request. docs/copies.md states the rules.
 *
 * Entry kinds, all owned by the access module and naming their case in
 * the content, not in the envelope:
 *   copy-request   the request: records, files, requester, purpose
 *   copy-decision  approval or rejection, with reasons
 *   copy-overdue   the request went past its time limit undecided
 *   copy-made      one copy set was made, with the tar's hashes
 *
 * A request is named by its id "<year>-<n>" (2026-1) and its number
 * 复制〔2026〕1号, drawn from a counter that never reuses a number.
 *
 * Functions that return a json_t hand the caller one reference. Errors:
 * CT_EINVAL names the malformed or foreign value, CT_ENOTFOUND the unknown
 * request, case, record or file, CT_EPERM a person who may not act,
 * CT_ESTATE a request whose state does not allow the act (decided
 * already, not approved).
 */
#ifndef CASETRAIL_ACCESS_COPIES_H
#define CASETRAIL_ACCESS_COPIES_H

#include <jansson.h>
#include <stdint.h>

#include "access/access.h"

/* The maximum length of a request id "<year>-<n>", n below 10^9. */
#define COPY_ID_MAX 16

struct copy_request_req {
	const char *case_id;
	const json_t *records;      /* array of record seqs */
	const json_t *media;        /* array of ingest seqs or blob hashes;
				       may be NULL */
	const char *requester;      /* the party's name; NULL for a party
				       who requests in person */
	const char *on_behalf_of;   /* the party an agent represents; may be
				       NULL */
	const char *purpose;
	int has_received;           /* received earlier than now, on paper */
	int64_t received_ms;
};

/*
 * Records a copy request by who (a party bound to the case, or staff on
 * the party's behalf, who must then name the requester). by names the
 * actor of the entry, who->user, with the OS user for the CLI. Every record
 * and file must belong to the case; the first that does not is rejected
 * by name. Returns the request as copies_get does.
 */
int copies_request(struct access *a, const struct principal *who,
		   const struct actor *by,
		   const struct copy_request_req *req, json_t **out,
		   struct error *err);

/*
 * Records the decision on request id: body {"decision": "approve" or
 * "reject", "reasons", "withhold": [{"record", "reason"}]}. Reasons are
 * required for a rejection. who must hold the role supervisor. Returns
 * the request as copies_get does.
 */
int copies_decide(struct access *a, const struct principal *who,
		  const struct actor *by, const char *id, const json_t *body,
		  json_t **out, struct error *err);

/*
 * Returns request id: {"id", "number", "case", "records", "media",
 * "requester", "on_behalf_of", "purpose", "account", "received", "actor",
 * "status" (pending, approved, rejected), "due", "overdue", "decision",
 * "copies"}.
 */
int copies_get(struct access *a, const char *id, json_t **out,
	       struct error *err);

/*
 * Returns 0 when who may see request req (as copies_get returns it):
 * staff in the case's scope, or the party who made it or for whom it was
 * made. Otherwise CT_EPERM with the reason in err.
 */
int copies_visible(struct access *a, const struct principal *who,
		   const json_t *req, struct error *err);

struct copy_query {
	const char *case_id; /* NULL for any */
	const char *status;  /* pending, overdue, approved, rejected; NULL */
	size_t offset, limit;
};

/*
 * Returns {"items", "total", "offset", "limit"}: the requests who may
 * see, newest first.
 */
int copies_list(struct access *a, const struct principal *who,
		const struct copy_query *q, json_t **out, struct error *err);

/*
 * Appends a copy-overdue entry, which raises the finding
 * copy-request-overdue, for every undecided request whose time limit
 * ran out before now_ms. Returns 0 or a negative code; *raised (may be
 * NULL) receives how many it raised.
 */
int copies_sweep(struct access *a, int64_t now_ms, size_t *raised,
		 struct error *err);

/*
 * Makes one copy set of approved request id for who: builds the tar in
 * an unnamed temporary file, hashes it and appends a copy-made entry
 * with its hashes. The tar itself is not stored. Sets *fd to the tar,
 * open for reading at its start (the caller closes it), and returns
 * {"seq", "request", "copy", "hash", "sha256", "size", "name" (a file
 * name for it), "included", "withheld"}.
 */
int copies_make(struct access *a, const struct principal *who,
		const struct actor *by, const char *id, int *fd, json_t **out,
		struct error *err);

/* --- the status inquiry (inquiry.c) --------------------------------------- */

/* An inquiry code: 8 characters of Crockford's base32, and the NUL. */
#define INQUIRY_CODE_LEN 8

/*
 * Writes the inquiry code of case_id into code: HMAC of the case id under
 * the store's inquiry key (keys/inquiry.key, created on first use), so
 * every re-print of a receipt shows the same code. Returns 0 or a
 * negative code; CT_ENOTFOUND for an unknown case.
 */
int inquiry_code(struct access *a, const char *case_id,
		 char code[INQUIRY_CODE_LEN + 1], struct error *err);

/*
 * Checks code against case_id and returns the case's public status:
 * {"case", "matter", "stage", "stage_name", "status", "received",
 * "deadlines", "served"}. No person's name, number or address appears.
 * Repeated wrong codes lock the case's inquiry for a while. Returns
 * CT_EPERM for a wrong code, an unknown case or a locked inquiry,
 * without saying which, and sets *retry_s (may be NULL) to the seconds
 * a lock has left, else 0.
 */
int inquiry_status(struct access *a, const char *case_id, const char *code,
		   json_t **out, int *retry_s, struct error *err);

/* The inquiry limits of data/access.json: requests per minute per client
 * address. */
int inquiry_rate_per_minute(const struct access *a);

#endif
