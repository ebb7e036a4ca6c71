/*
 * The workflow API under /api/v1: the routes that need a bearer token,
 * their request bodies and query parameters, and the handlers per
 * resource. The public log endpoints under /api/v1 (entries and proofs)
 * are not part of it; routes.c serves them without a token.
 */
#ifndef CASETRAIL_HTTP_API_H
#define CASETRAIL_HTTP_API_H

#include "internal.h"

/* The input of a workflow handler: the request and the authenticated actor. */
struct api_call {
	struct server *s;
	struct MHD_Connection *c;
	struct request *rq;
	const char *const *params; /* decoded path parameters, in order */
	json_t *body;              /* the parsed JSON body, or NULL */
	struct actor actor;
	const struct principal *who; /* the actor's roles, unit, clearance */
};

/*
 * A workflow handler. It returns 0 after filling r, which contains a
 * problem when the client erred, or a negative code when the server
 * failed, with detail in err.
 */
typedef int (*api_fn)(struct api_call *call, struct reply *r,
		      struct error *err);

/* Path segments after /api/v1/; "*" matches one segment, a parameter. */
#define API_SEGMENTS_MAX 4

/*
 * Checks a request whose body is not JSON once its header is in, and
 * prepares to receive the body; returns as upload_begin does.
 */
typedef int (*api_begin_fn)(struct server *s, struct MHD_Connection *c,
			    struct request *rq, struct reply *r,
			    struct error *err);

struct api_route {
	const char *method; /* GET also serves HEAD */
	const char *segments[API_SEGMENTS_MAX + 1]; /* NULL-terminated */
	enum route_group group;
	api_fn handler;
	bool file_body; /* a POST whose body is a file for uploads.c */
	api_begin_fn begin; /* else a POST body is JSON (body.c) */
	bool anonymous;     /* served without a token: tus OPTIONS, sign-in */
	bool secret_body;   /* the body holds a password or a code: it is
			       wiped after use and never quoted in a reply */
	enum access_action action; /* what access_decide is asked */
};

/*
 * Asks access_decide whether the caller may do act on t. Returns 0 when
 * allowed; else 0 with a 403 problem in r and *denied set, or a negative
 * code when the check itself failed. Every handler that reads or changes
 * a case's content calls it with the case (and the mark) it resolved.
 */
int api_allow(struct api_call *call, enum access_action act,
	      const struct access_target *t, struct reply *r, bool *denied,
	      struct error *err);

/*
 * Fills r with a 403 problem whose detail is why's message, and records
 * the refusal of act in case_id (may be NULL) in the access log. For a
 * refusal that a handler decides itself, such as a state-secret mark.
 * Returns 0 or CT_ENOMEM.
 */
int api_refuse(struct api_call *call, enum access_action act,
	       const char *case_id, const struct error *why, struct reply *r);

/*
 * Records in the access log that the caller was refused act in case_id
 * (may be NULL) for reason, where the reply is not a 403: a record shown
 * as its stub. A failure to record is logged.
 */
void api_log_refusal(struct api_call *call, enum access_action act,
		     const char *case_id, const char *reason);

/*
 * Records that the caller read content marked mark (nothing for
 * MARK_NONE, or for a HEAD request, whose reply has no content) under
 * act: an access entry naming case_id and target. Returns 0 or a
 * negative code, which must fail the read.
 */
int api_log_read(struct api_call *call, enum access_action act,
		 const char *case_id, const char *target,
		 enum access_mark mark, struct error *err);

/* api.c */

/* Returns whether path belongs to the workflow API. */
bool api_path(const char *path);

/* route_begin and route_finish for a path of the workflow API. */
int api_begin(struct server *s, struct MHD_Connection *c,
	      struct request *rq, struct reply *r, struct error *err);
int api_finish(struct server *s, struct MHD_Connection *c,
	       struct request *rq, struct reply *r, struct error *err);

/*
 * Fills r for a failed call of the workflow whose only input was the
 * query: CT_EINVAL and CT_ENOTFOUND become a 400 naming the parameter's
 * value (err's message), and other codes go to reply_error.
 */
int api_query_error(struct reply *r, int code, const struct error *err);

/*
 * Returns the array of bureau data v: v itself when it is an array, else
 * its member named member. Returns NULL when neither is an array.
 */
const json_t *api_items(const json_t *v, const char *member);

/* Returns the element of items whose member key equals value, or NULL. */
const json_t *api_find(const json_t *items, const char *key,
		       const char *value);

/* body.c */

/* The maximum number of bytes of a rejected body read and dropped. */
#define DRAIN_MAX ((uint64_t)8 << 20)

/*
 * Checks the Content-Type and Content-Length of a request with a body
 * when its header arrives. Returns ROUTE_CONTINUE, or 0 with a problem
 * in r (415, or 413 when the declared length is over the limit and the
 * body cannot be drained).
 */
int body_begin(struct MHD_Connection *c, struct request *rq,
	       struct reply *r);

/*
 * Returns whether a body that will be rejected can be read and dropped
 * before the reply: the client does not wait for 100 Continue, and the
 * body is chunked or declared at most DRAIN_MAX (8 MiB) long.
 */
bool body_drainable(struct MHD_Connection *c);

/*
 * Takes size bytes of any request's body. The body of an upload that
 * upload_begin accepted goes to upload_receive. A body that body_begin
 * accepted is kept up to HTTP_JSON_BODY_MAX; other bytes are dropped, so
 * that a reply can follow the whole body. Returns MHD_NO to close the
 * connection when memory runs out or more than DRAIN_MAX bytes would be
 * dropped.
 */
enum MHD_Result body_receive(struct request *rq, const char *data,
			     size_t size);

/*
 * Parses the received body as a JSON object with jcs_parse. Returns 0
 * with *out set (the caller's reference), CT_EINVAL with a problem in r
 * (400 malformed JSON, 413 too large, 422 not an object), or CT_ENOMEM.
 */
int body_parse(struct request *rq, json_t **out, struct reply *r);

/* query.c: every function returns 0, CT_EINVAL with a 400 in r, or
 * CT_ENOMEM. */

/* Rejects any parameter not in names (NULL-terminated) or given twice. */
int query_check(struct MHD_Connection *c, const char *const *names,
		struct reply *r);

/* Reads a text parameter; *out is NULL when it is absent. */
int query_text(struct MHD_Connection *c, const char *name, const char **out,
	       struct reply *r);

/* Reads a decimal number from 0 to max; *found is set when it is given. */
int query_number(struct MHD_Connection *c, const char *name, uint64_t max,
		 uint64_t *out, bool *found, struct reply *r);

/* Reads a flag, 1 or 0; absent is 0. */
int query_flag(struct MHD_Connection *c, const char *name, int *out,
	       struct reply *r);

/* Reads offset (default 0) and limit (default 50, at most 500). */
#define QUERY_LIMIT_DEFAULT 50
#define QUERY_LIMIT_MAX 500
int query_page(struct MHD_Connection *c, size_t *offset, size_t *limit,
	       struct reply *r);

/* catalogue.c */
int serve_matters(struct api_call *call, struct reply *r, struct error *err);
int serve_matter(struct api_call *call, struct reply *r, struct error *err);
int serve_kinds(struct api_call *call, struct reply *r, struct error *err);
int serve_kind(struct api_call *call, struct reply *r, struct error *err);
int serve_laws(struct api_call *call, struct reply *r, struct error *err);
int serve_law(struct api_call *call, struct reply *r, struct error *err);
int serve_users(struct api_call *call, struct reply *r, struct error *err);
int serve_user(struct api_call *call, struct reply *r, struct error *err);

/* calendar.c */
int serve_calendar(struct api_call *call, struct reply *r,
		   struct error *err);
int serve_deadline(struct api_call *call, struct reply *r,
		   struct error *err);

/* cases.c */
int serve_cases(struct api_call *call, struct reply *r, struct error *err);
int create_case(struct api_call *call, struct reply *r, struct error *err);
int serve_case(struct api_call *call, struct reply *r, struct error *err);
int serve_timeline(struct api_call *call, struct reply *r,
		   struct error *err);
int serve_findings(struct api_call *call, struct reply *r,
		   struct error *err);

/* supervision.c */
int serve_finding_rules(struct api_call *call, struct reply *r,
			struct error *err);
int serve_warnings(struct api_call *call, struct reply *r, struct error *err);
int serve_digest(struct api_call *call, struct reply *r, struct error *err);

/* uploads.c */

/*
 * Checks a file upload when its header arrives: the query and the
 * declared length against the server's limit. Then it opens the
 * temporary file that upload_receive writes to. Returns ROUTE_CONTINUE,
 * 0 with a problem in r, or a negative code when no temporary file can
 * be created.
 */
int upload_begin(struct server *s, struct MHD_Connection *c,
		 struct request *rq, struct reply *r, struct error *err);

/*
 * Writes size bytes of an upload's body to its temporary file. Past the
 * limit, the file is closed and the rest dropped, up to DRAIN_MAX bytes.
 * Returns MHD_NO to close the connection when a write fails or more
 * would be dropped.
 */
enum MHD_Result upload_receive(struct request *rq, const char *data,
			       size_t size);

/* Closes an upload's temporary file, if open, which removes it. */
void upload_release(struct request *rq);

/*
 * Reads the limit of one upload from $CASETRAIL_UPLOAD_MAX (bytes), else
 * HTTP_UPLOAD_MAX_DEFAULT. Returns 0 or CT_EINVAL for a malformed value.
 */
int upload_max_from_env(uint64_t *out, struct error *err);

/*
 * Opens an unnamed temporary file for reading and writing in dir, the
 * store's blobs/tmp. Returns the descriptor or a negative code.
 */
int upload_spool_open(const char *dir, struct error *err);

int create_upload(struct api_call *call, struct reply *r,
		  struct error *err);

/* media.c: audio-visual files (docs/api.md, Media). */

/*
 * The metadata of a new file, from tus Upload-Metadata or multipart form
 * fields, with the names of media_ingest_req; strings are NUL-terminated
 * and empty when absent.
 */
struct media_fields {
	char filename[256];
	char case_id[CASE_ID_MAX + 1];
	int64_t record; /* -1: none */
	char type[16];
	char device[256];
	char officer[LEDGER_NAME_MAX + 1];
	char window[256];
	bool has_captured;
	int64_t captured_ms;
	char captured_reason[1024];
	bool device_copy_deleted;
	char mark[24]; /* a confidentiality mark's code, or empty */
	unsigned seen; /* bit per field, to reject one given twice */
};

void media_fields_init(struct media_fields *f);

/*
 * Sets field key to the len bytes of value, checking it. On bad input it
 * fills r with problem p naming source (such as "Upload-Metadata") and
 * the key, and returns CT_EINVAL.
 */
int media_fields_set(struct media_fields *f, const char *key,
		     const char *value, size_t len, enum problem p,
		     const char *source, struct reply *r);

/* Checks the fields that depend on each other; as media_fields_set. */
int media_fields_check(const struct media_fields *f, enum problem p,
		       const char *source, struct reply *r);

/*
 * Checks fields f with the media module before any byte of the file
 * arrives: options, officer, case and record. Returns 0; CT_EINVAL with a
 * problem in r; or another code when the server failed.
 */
int media_fields_accept(struct api_call *call, const struct media_fields *f,
		        struct reply *r, struct error *err);

/*
 * Ingests the file open at fd (read from offset 0) with fields f as the
 * request's actor. Returns 0 with *out, 0 with a problem in r when the
 * media module rejected the input, or a negative code when the server
 * failed.
 */
int media_ingest_fd(struct api_call *call, int fd,
		    const struct media_fields *f, json_t **out,
		    struct reply *r, struct error *err);

/* The playback sessions of media_access: created with the server. */
int media_sessions_new(struct media_sessions **out, struct error *err);
void media_sessions_free(struct media_sessions *ss);

/* The multipart form of POST /api/v1/media. */
int media_form_begin(struct server *s, struct MHD_Connection *c,
		     struct request *rq, struct reply *r, struct error *err);
enum MHD_Result media_form_receive(struct request *rq, const char *data,
				   size_t size);
void media_form_release(struct request *rq);

/*
 * Reads the row of media seq and asks whether the caller may do act on
 * it, in its case and at its mark, which *mark (may be NULL) receives;
 * the row gains "mark". Returns 0 with *row, CT_EINVAL with a problem
 * (403, 404) in r, or a server error.
 */
int media_allow(struct api_call *call, enum access_action act, uint64_t seq,
		json_t **row, enum access_mark *mark, struct reply *r,
		struct error *err);

int create_media(struct api_call *call, struct reply *r, struct error *err);
int serve_media_list(struct api_call *call, struct reply *r,
		     struct error *err);
int serve_media(struct api_call *call, struct reply *r, struct error *err);
int serve_media_custody(struct api_call *call, struct reply *r,
			struct error *err);
int link_media(struct api_call *call, struct reply *r, struct error *err);
int state_media_capture(struct api_call *call, struct reply *r,
			struct error *err);
int justify_media(struct api_call *call, struct reply *r,
		  struct error *err);
int serve_media_content(struct api_call *call, struct reply *r,
			struct error *err);
int serve_media_thumbnail(struct api_call *call, struct reply *r,
			  struct error *err);

/* tus.c: resumable uploads of media (tus 1.0.0). */

/*
 * Loads the unfinished uploads that the spool folder dir contains, so
 * that they resume after a restart. Returns 0 or a negative code.
 */
int tus_registry_open(const char *dir, struct tus_registry **out,
		      struct error *err);
void tus_registry_close(struct tus_registry *reg);

/* The PATCH body: prepares, receives, and ends an unanswered PATCH. */
int tus_patch_begin(struct server *s, struct MHD_Connection *c,
		    struct request *rq, struct reply *r, struct error *err);
int tus_create_begin(struct server *s, struct MHD_Connection *c,
		     struct request *rq, struct reply *r, struct error *err);
enum MHD_Result tus_patch_receive(struct request *rq, const char *data,
				  size_t size);
void tus_patch_release(struct request *rq);

int tus_options(struct api_call *call, struct reply *r, struct error *err);
int tus_create(struct api_call *call, struct reply *r, struct error *err);
int tus_head(struct api_call *call, struct reply *r, struct error *err);
int tus_patch(struct api_call *call, struct reply *r, struct error *err);
int tus_delete(struct api_call *call, struct reply *r, struct error *err);

/* marks.c: marks and the access log (docs/access.md) */
int mark_record(struct api_call *call, struct reply *r, struct error *err);
int mark_media(struct api_call *call, struct reply *r, struct error *err);
int serve_access_log(struct api_call *call, struct reply *r,
		     struct error *err);
int serve_audit(struct api_call *call, struct reply *r, struct error *err);

/* copies.c: copy requests (docs/copies.md) */
int create_copy_request(struct api_call *call, struct reply *r,
			struct error *err);
int serve_copy_requests(struct api_call *call, struct reply *r,
			struct error *err);
int serve_copy_request(struct api_call *call, struct reply *r,
		       struct error *err);
int decide_copy_request(struct api_call *call, struct reply *r,
			struct error *err);
int serve_copy(struct api_call *call, struct reply *r, struct error *err);
int serve_inquiry_code(struct api_call *call, struct reply *r,
		       struct error *err);

/* publicity.c: 双公示 files (docs/publicity.md) */
int serve_publicity(struct api_call *call, struct reply *r,
		    struct error *err);

/* reports.c: evaluation reports, annual statistics, score sheets
 * (docs/reports.md) */
int serve_reports(struct api_call *call, struct reply *r, struct error *err);
int serve_annual_report(struct api_call *call, struct reply *r,
			struct error *err);
int serve_review(struct api_call *call, struct reply *r, struct error *err);

/* case_files.c: sealed case files (docs/archive.md) */
int seal_case_file(struct api_call *call, struct reply *r, struct error *err);
int serve_case_files(struct api_call *call, struct reply *r,
		     struct error *err);

/* documents.c: official documents (docs/documents.md) */
int serve_documents(struct api_call *call, struct reply *r,
		    struct error *err);
int issue_document(struct api_call *call, struct reply *r, struct error *err);
int serve_document(struct api_call *call, struct reply *r, struct error *err);

/* session.c: sign-in and browser sessions (docs/api.md, Sessions). */

/* session_authenticate's result for a request without a session cookie. */
#define SESSION_NONE 1

/*
 * Authenticates rq by its session cookie, and for a method other than
 * GET, HEAD and OPTIONS by its X-CSRF-Token header. Returns SESSION_NONE
 * without a cookie; 0 with rq->user and rq->session set, or with a 401
 * (unknown or expired session, clearing the cookie) or 403 (CSRF) in r;
 * or a negative code when the check failed.
 */
int session_authenticate(struct server *s, struct MHD_Connection *c,
			 struct request *rq, struct reply *r,
			 struct error *err);

/*
 * Replies 422 unless every member of body is in names (NULL-terminated);
 * expected lists them for the message. Returns 0 or CT_EINVAL.
 */
int session_members(const json_t *body, const char *const *names,
		    const char *expected, struct reply *r);

/*
 * Reads string member name of body into *out (NULL when absent and not
 * required). Returns 0, or CT_EINVAL with a 422 in r; never quotes the
 * value.
 */
int session_string(const json_t *body, const char *name, bool required,
		   const char **out, struct reply *r);

int create_session(struct api_call *call, struct reply *r,
		   struct error *err);
int serve_session(struct api_call *call, struct reply *r, struct error *err);
int delete_session(struct api_call *call, struct reply *r,
		   struct error *err);
int create_session_totp(struct api_call *call, struct reply *r,
			struct error *err);
int create_session_enrolment(struct api_call *call, struct reply *r,
			     struct error *err);
int create_session_password(struct api_call *call, struct reply *r,
			    struct error *err);

/* accounts.c: account administration (docs/api.md, Accounts). */
int create_user(struct api_call *call, struct reply *r, struct error *err);
int serve_user_account(struct api_call *call, struct reply *r,
		       struct error *err);
int reset_user_password(struct api_call *call, struct reply *r,
			struct error *err);
int disable_user(struct api_call *call, struct reply *r, struct error *err);
int enable_user(struct api_call *call, struct reply *r, struct error *err);
int reset_user_totp(struct api_call *call, struct reply *r,
		    struct error *err);
int grant_user_role(struct api_call *call, struct reply *r,
		    struct error *err);
int revoke_user_role(struct api_call *call, struct reply *r,
		     struct error *err);
int set_user_unit(struct api_call *call, struct reply *r, struct error *err);
int set_user_clearance(struct api_call *call, struct reply *r,
		       struct error *err);

/* signatures.c: staff signatures and signing keys (access/sign.h). */
int create_signature(struct api_call *call, struct reply *r,
		     struct error *err);
int serve_signatures(struct api_call *call, struct reply *r,
		     struct error *err);
int serve_staff_keys(struct api_call *call, struct reply *r,
		     struct error *err);
int serve_staff_key(struct api_call *call, struct reply *r,
		    struct error *err);
int revoke_staff_key(struct api_call *call, struct reply *r,
		     struct error *err);

/*
 * The "sign" member {password, role} of a new record. signature_begin
 * checks it and opens the author's key before anything is appended:
 * returns 0 with *out (NULL without "sign"), CT_EINVAL with a 403 or 422
 * in r, or another code. signature_attach signs the stored record and
 * adds "signature" (or "signature_error") to its reply. signature_end
 * wipes the key; each takes NULL.
 */
struct sign_request;
int signature_begin(struct api_call *call, const char *kind,
		    const json_t *fields, struct sign_request **out,
		    struct reply *r, struct error *err);
void signature_attach(struct api_call *call, struct sign_request *sr,
		      json_t *record);
void signature_end(struct sign_request *sr);

/* records.c */
int add_record(struct api_call *call, struct reply *r, struct error *err);
int serve_record(struct api_call *call, struct reply *r, struct error *err);
int correct_record(struct api_call *call, struct reply *r,
		   struct error *err);

#endif
