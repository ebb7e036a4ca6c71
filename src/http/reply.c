/*
 * Building responses: problem details (RFC 9457), JSON bodies, and the one
 * function that hands a finished reply to libmicrohttpd. Also the small
 * parsers and quoting that every handler shares, so that a log index is
 * read and an untrusted value is echoed the same way everywhere.
 */
#include "common/common.h"

#include <unistd.h>

#include <jansson.h>

#include "common/jcs.h"
#include "crypto/crypto.h"
#include "internal.h"

/* Problem bodies are short: a title, a status and a one-line detail. */
#define PROBLEM_MAX 4096

#define PROBLEM_BASE "https://casetrail.invalid/problems/"

/* Seconds a client waits before it retries after a 503 busy. */
#define BUSY_RETRY_AFTER "2"

static const struct problem_type {
	unsigned status;
	const char *slug;
	const char *title;
} problem_types[PROBLEM_COUNT] = {
    [PROBLEM_INVALID_JSON] = {400, "invalid-json", "Malformed JSON body"},
    [PROBLEM_INVALID_PARAMETER] = {400, "invalid-parameter",
				   "Invalid query parameter"},
    [PROBLEM_INVALID_PATH] = {400, "invalid-path", "Invalid path"},
    [PROBLEM_UNAUTHORIZED] = {401, "unauthorized",
			      "Authentication required"},
    [PROBLEM_NOT_FOUND] = {404, "not-found", "Not found"},
    [PROBLEM_STAGE_CONFLICT] = {409, "stage-conflict",
				"Not allowed in the case's stage"},
    [PROBLEM_ACTOR_NOT_ALLOWED] = {409, "actor-not-allowed",
				   "Not allowed for this actor"},
    [PROBLEM_ALREADY_EXISTS] = {409, "already-exists", "Already exists"},
    [PROBLEM_BODY_TOO_LARGE] = {413, "body-too-large",
				"Request body too large"},
    [PROBLEM_UNSUPPORTED_MEDIA_TYPE] = {415, "unsupported-media-type",
					"Unsupported media type"},
    [PROBLEM_VALIDATION_FAILED] = {422, "validation-failed",
				   "Invalid request content"},
    [PROBLEM_BUSY] = {503, "busy", "Store busy"},
    [PROBLEM_INVALID_HEADER] = {400, "invalid-header",
				"Invalid request header"},
    [PROBLEM_TUS_VERSION] = {412, "tus-version",
			     "Unsupported tus protocol version"},
    [PROBLEM_OFFSET_MISMATCH] = {409, "offset-mismatch",
				 "Upload offset mismatch"},
    [PROBLEM_RANGE_NOT_SATISFIABLE] = {416, "range-not-satisfiable",
				       "Range not satisfiable"},
    [PROBLEM_UPLOAD_LOCKED] = {423, "upload-locked", "Upload in use"},
    [PROBLEM_TOO_MANY_UPLOADS] = {429, "too-many-uploads",
				  "Too many unfinished uploads"},
    [PROBLEM_FORBIDDEN] = {403, "forbidden", "Forbidden"},
    [PROBLEM_TOO_MANY_ATTEMPTS] = {429, "too-many-attempts",
				   "Too many sign-in attempts"},
    [PROBLEM_ACCOUNT_LOCKED] = {423, "account-locked", "Account locked"},
};

void reply_init(struct reply *r)
{
	r->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	r->content_type = NULL;
	r->cache_control = CACHE_NONE;
	r->allow = NULL;
	r->www_authenticate = NULL;
	r->retry_after = NULL;
	r->problem = NULL;
	r->allow_list[0] = '\0';
	r->etag[0] = '\0';
	r->location[0] = '\0';
	r->nheaders = 0;
	r->file_fd = -1;
	r->file_offset = r->file_length = 0;
	buf_init(&r->body, BUF_DEFAULT_MAX);
}

static void close_file(struct reply *r)
{
	if (r->file_fd >= 0)
		close(r->file_fd);
	r->file_fd = -1;
}

void reply_release(struct reply *r)
{
	close_file(r);
	for (size_t i = 0; i < r->nheaders; i++)
		free(r->headers[i].value);
	r->nheaders = 0;
	buf_release(&r->body);
}

int reply_header(struct reply *r, const char *name, const char *fmt, ...)
{
	char *value;
	va_list ap;
	int len;

	if (r->nheaders == REPLY_HEADERS_MAX)
		return CT_ENOMEM;
	va_start(ap, fmt);
	len = vasprintf(&value, fmt, ap);
	va_end(ap);
	if (len < 0)
		return CT_ENOMEM;
	r->headers[r->nheaders].name = name;
	r->headers[r->nheaders].value = value;
	r->nheaders++;
	return 0;
}

void reply_file(struct reply *r, int fd, uint64_t offset, uint64_t length)
{
	close_file(r);
	buf_reset(&r->body);
	r->file_fd = fd;
	r->file_offset = offset;
	r->file_length = length;
}

/* Replaces r's body with a problem document; detail must be UTF-8. */
static int fill_problem(struct reply *r, unsigned status, const char *type,
			const char *title, const char *detail)
{
	json_t *problem;
	char *text;
	int rc;

	problem = json_pack("{s:s, s:s, s:I, s:s}", "type", type, "title",
			    title, "status", (json_int_t)status, "detail",
			    detail);
	if (!problem)
		return CT_ENOMEM;
	text = json_dumps(problem, JSON_COMPACT);
	json_decref(problem);
	if (!text)
		return CT_ENOMEM;

	close_file(r);
	buf_release(&r->body);
	buf_init(&r->body, PROBLEM_MAX);
	rc = buf_puts(&r->body, text);
	free(text);
	r->status = status;
	r->content_type = "application/problem+json";
	r->cache_control = CACHE_NONE;
	r->etag[0] = '\0';
	r->location[0] = '\0';
	return rc;
}

int reply_problem(struct reply *r, unsigned status, const char *fmt, ...)
{
	char detail[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);

	/* detail is ASCII because every value in it went through http_quote. */
	r->problem = NULL;
	return fill_problem(r, status, "about:blank",
			    MHD_get_reason_phrase_for(status), detail);
}

/* Fills r with problem p and a finished detail. */
static int problem_with_detail(struct reply *r, enum problem p,
			       const char *detail)
{
	const struct problem_type *t = &problem_types[p];
	char type[128], quoted[ERROR_MSG_MAX];

	snprintf(type, sizeof(type), PROBLEM_BASE "%s", t->slug);
	/* A message cut inside a character, or echoing bad bytes, is quoted. */
	if (!jcs_utf8_valid(detail, strlen(detail)))
		detail = http_quote(detail, quoted, sizeof(quoted));
	r->problem = t->slug;
	return fill_problem(r, t->status, type, t->title, detail);
}

int reply_problem_of(struct reply *r, enum problem p, const char *fmt, ...)
{
	char detail[ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return problem_with_detail(r, p, detail);
}

int reply_error(struct reply *r, int code, const struct error *err)
{
	const char *detail = err && err->msg[0] ? err->msg : ct_strerror(code);
	enum problem p;

	switch (code) {
	case CT_EINVAL: p = PROBLEM_VALIDATION_FAILED; break;
	case CT_ENOTFOUND: p = PROBLEM_NOT_FOUND; break;
	case CT_ESTATE: p = PROBLEM_STAGE_CONFLICT; break;
	case CT_EPERM: p = PROBLEM_ACTOR_NOT_ALLOWED; break;
	case CT_EEXIST: p = PROBLEM_ALREADY_EXISTS; break;
	case CT_ETOOBIG: p = PROBLEM_BODY_TOO_LARGE; break;
	case CT_EBUSY: p = PROBLEM_BUSY; break;
	default: return code;
	}
	if (p == PROBLEM_BUSY)
		r->retry_after = BUSY_RETRY_AFTER;
	return problem_with_detail(r, p, detail);
}

int reply_json(struct reply *r, json_t *v, const char *cache_control)
{
	char *text;
	int rc;

	if (!v)
		return CT_ENOMEM;
	text = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	if (!text)
		return CT_ENOMEM;
	buf_reset(&r->body);
	rc = buf_puts(&r->body, text);
	free(text);
	r->status = MHD_HTTP_OK;
	r->content_type = "application/json";
	r->cache_control = cache_control;
	return rc;
}

int reply_page(struct reply *r, const json_t *items, size_t offset,
	       size_t limit)
{
	size_t total = json_array_size(items);
	json_t *page = json_array();

	for (size_t i = offset; page && i < total && i - offset < limit; i++) {
		json_t *item = json_array_get(items, i);

		if (json_array_append(page, item) != 0) {
			json_decref(page);
			page = NULL;
		}
	}
	if (!page)
		return CT_ENOMEM;
	return reply_json(r,
			  json_pack("{s:o, s:I, s:I, s:I}", "items", page,
				    "total", (json_int_t)total, "offset",
				    (json_int_t)offset, "limit",
				    (json_int_t)limit),
			  CACHE_NONE);
}

static int add_header(struct MHD_Response *resp, const char *name,
		      const char *value)
{
	if (!value)
		return 0;
	return MHD_add_response_header(resp, name, value) == MHD_YES
		   ? 0
		   : CT_ENOMEM;
}

static bool has_header(const struct reply *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (!strcasecmp(r->headers[i].name, name))
			return true;
	return false;
}

static int add_headers(struct MHD_Response *resp, const struct reply *r)
{
	int rc = 0;

	rc = add_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	if (rc == 0)
		rc = add_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
				r->cache_control);
	if (rc == 0)
		rc = add_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	if (rc == 0)
		rc = add_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
				r->www_authenticate);
	if (rc == 0)
		rc = add_header(resp, MHD_HTTP_HEADER_RETRY_AFTER,
				r->retry_after);
	if (rc == 0 && r->etag[0])
		rc = add_header(resp, MHD_HTTP_HEADER_ETAG, r->etag);
	if (rc == 0 && r->location[0])
		rc = add_header(resp, MHD_HTTP_HEADER_LOCATION, r->location);
	if (rc == 0)
		rc = add_header(resp, "X-Content-Type-Options", "nosniff");
	/*
	 * A JSON or text reply opened on its own in a browser loads nothing
	 * and runs nothing. Replies with a policy of their own (the UI's
	 * files, stored media) keep it, and PDFs get none, which would keep
	 * the browser's viewer from showing them.
	 */
	if (rc == 0 && !has_header(r, "Content-Security-Policy") &&
	    !(r->content_type && !strcmp(r->content_type, "application/pdf")))
		rc = add_header(resp, "Content-Security-Policy",
				"default-src 'none'; frame-ancestors 'none'");
	for (size_t i = 0; i < r->nheaders && rc == 0; i++)
		rc = add_header(resp, r->headers[i].name, r->headers[i].value);
	return rc;
}

/* Creates the response of r, whose body is its file or its buffer. */
static struct MHD_Response *create_response(struct reply *r, size_t *len)
{
	struct MHD_Response *resp;
	char *data;

	if (r->file_fd >= 0 && r->file_length > 0) {
		resp = MHD_create_response_from_fd_at_offset64(
		    r->file_length, r->file_fd, r->file_offset);
		/* libmicrohttpd closes the descriptor with the response. */
		if (resp)
			r->file_fd = -1;
		*len = (size_t)r->file_length;
		return resp;
	}
	close_file(r);
	data = buf_detach(&r->body, len);
	if (!data)
		return NULL;
	resp =
	    MHD_create_response_from_buffer(*len, data, MHD_RESPMEM_MUST_FREE);
	if (!resp)
		free(data);
	return resp;
}

enum MHD_Result reply_send(struct MHD_Connection *c, struct request *rq,
			   struct reply *r)
{
	struct MHD_Response *resp;
	enum MHD_Result result;
	size_t len = 0;

	resp = create_response(r, &len);
	if (!resp)
		return MHD_NO;
	if (add_headers(resp, r)) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	result = MHD_queue_response(c, r->status, resp);
	MHD_destroy_response(resp);
	if (rq && strcmp(rq->method, MHD_HTTP_METHOD_HEAD) != 0)
		rq->body_len = len;
	if (rq)
		rq->problem = r->problem;
	return result;
}

const char *http_quote(const char *s, char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (n < 4) {
		if (n)
			out[0] = '\0';
		return out;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		size_t need = (*p >= 0x20 && *p < 0x7f && *p != '\\') ? 1 : 4;

		/* Keep room for "..." and the NUL. */
		if (o + need + 4 > n) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (need == 1) {
			out[o++] = (char)*p;
			continue;
		}
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[*p >> 4];
		out[o++] = hex[*p & 0xf];
	}
	out[o] = '\0';
	return out;
}

int http_parse_index(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s || (s[0] == '0' && s[1] != '\0'))
		return CT_EINVAL;
	for (const char *p = s; *p; p++) {
		unsigned digit;

		if (*p < '0' || *p > '9')
			return CT_EINVAL;
		digit = (unsigned)(*p - '0');
		if (v > ((uint64_t)INT64_MAX - digit) / 10)
			return CT_EINVAL;
		v = v * 10 + digit;
	}
	*out = v;
	return 0;
}

json_t *http_json_base64(const uint8_t hash[HASH_LEN])
{
	struct buf b = BUF_INIT_MAX(64);
	json_t *v = NULL;

	if (base64_encode(hash, HASH_LEN, &b) == 0)
		v = json_stringn(b.data, b.len);
	buf_release(&b);
	return v;
}
