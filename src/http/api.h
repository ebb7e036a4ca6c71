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

struct api_route {
	const char *method; /* GET also serves HEAD */
	const char *segments[API_SEGMENTS_MAX + 1]; /* NULL-terminated */
	enum route_group group;
	api_fn handler;
	bool file_body; /* a POST whose body is a file for uploads.c */
};

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

int create_upload(struct api_call *call, struct reply *r,
		  struct error *err);

/* records.c */
int add_record(struct api_call *call, struct reply *r, struct error *err);
int serve_record(struct api_call *call, struct reply *r, struct error *err);
int correct_record(struct api_call *call, struct reply *r,
		   struct error *err);

#endif
