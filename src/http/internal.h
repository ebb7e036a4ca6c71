/*
 * Shared by the files of the HTTP server: the server state, the
 * per-request record used for routing and the access log, and the reply
 * that every handler fills and reply_send() turns into one libmicrohttpd
 * response. This is the only header of casetrail that includes
 * <microhttpd.h>.
 */
#ifndef CASETRAIL_HTTP_INTERNAL_H
#define CASETRAIL_HTTP_INTERNAL_H

#include <arpa/inet.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "common/buf.h"
#include "access/access.h"
#include "http.h"
#include "cases/cases.h"
#include "common/error.h"
#include "ledger/ledger.h"
#include "media/media.h"

/* Status codes from 100 to 599 are counted one by one for /metrics. */
#define HTTP_STATUS_MAX 600

/* Room for "[" IPv6 "]:" port and the NUL, with some to spare. */
#define HTTP_ADDR_MAX (INET6_ADDRSTRLEN + 16)

/* JSON request bodies larger than this get a 413. */
#define HTTP_JSON_BODY_MAX ((size_t)1 << 20)

/* The default maximum size of one uploaded file: 2 GiB. */
#define HTTP_UPLOAD_MAX_DEFAULT ((uint64_t)2 << 30)

/* Route groups, counted apart in /metrics. */
enum route_group {
	GROUP_OTHER, /* no route matched */
	GROUP_LOG,   /* checkpoint, tiles, entries, proofs */
	GROUP_HEALTH,
	GROUP_METRICS,
	GROUP_CATALOGUE, /* matters, record kinds, laws, calendar, deadline */
	GROUP_USERS,
	GROUP_CASES,
	GROUP_RECORDS,
	GROUP_FINDINGS,
	GROUP_UPLOADS,
	GROUP_MEDIA, /* audio-visual files, their tus uploads and content */
	GROUP_COPIES, /* copy requests and copy sets */
	GROUP_WEB,    /* the browser UI's files */
	GROUP_COUNT
};

/* The thread that runs cases_sweep once a minute (sweep.c). */
struct sweeper {
	struct cases *cases;
	struct access *access; /* raises overdue copy requests */
	struct media *media; /* purges due surveillance daily; NULL: none */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool running;
	bool stop;
};

/*
 * Runs the sweeper's daily tasks that are due by the CST wall clock:
 * the evaluation of every case, the nightly verify, the digests.
 */
void sweep_daily(struct cases *cases, struct ledger *ledger);

struct tus_registry;
struct media_sessions;

struct server {
	struct ledger *ledger;
	struct access *access;
	struct cases *cases;     /* the workflow the access module opened */
	struct media *media;
	struct documents *documents;       /* official documents */
	struct tus_registry *tus;          /* resumable uploads (tus.c) */
	struct media_sessions *sessions;   /* playback sessions (media.c) */
	struct MHD_Daemon *daemon;
	struct sweeper sweeper;
	struct witness_pusher *pusher; /* witness/witness.h; NULL: none */
	int web_fd; /* the browser UI's folder (static.c); -1: none */
	char addr[HTTP_ADDR_MAX]; /* the bound address, as logged */
	/*
	 * Clients reach the server over HTTPS, served here or terminated at
	 * a trusted proxy, so session cookies get the Secure attribute.
	 */
	bool tls;
	/* Reverse proxies whose X-Forwarded-For is believed; IPv4 mapped. */
	struct in6_addr trusted_proxies[HTTP_TRUSTED_PROXIES_MAX];
	size_t trusted_proxy_count;
	uint64_t upload_max;	  /* bytes; $CASETRAIL_UPLOAD_MAX */
	char upload_dir[PATH_MAX]; /* where uploads are spooled: blobs/tmp */
	_Atomic uint64_t requests[HTTP_STATUS_MAX]; /* by status code */
	_Atomic uint64_t mhd_errors; /* messages libmicrohttpd logged */
	_Atomic uint64_t group_requests[GROUP_COUNT];
	_Atomic uint64_t group_us[GROUP_COUNT]; /* summed durations */
};

struct api_route;
struct reply;

/*
 * A resource handler. rest is the part of the path after the route's
 * prefix. It returns 0 after filling r, which contains a problem when the
 * client erred. A negative code means that the server failed, with detail
 * in err, and the caller replies 500.
 */
typedef int (*handler_fn)(struct server *s, struct MHD_Connection *c,
			  const char *rest, struct reply *r, struct error *err);

/* Path parameters of a workflow route, such as the case id. */
#define API_PARAMS_MAX 2

/*
 * One request from its request line to its completion. The target is the
 * request target exactly as the client sent it, before libmicrohttpd
 * decodes percent-escapes, and path is its part before any '?'. decoded
 * has room for the percent-decoded path segments, which params point
 * into.
 */
struct request {
	struct server *server;
	struct timespec start; /* CLOCK_MONOTONIC */
	char method[16];       /* empty until the handler runs */
	size_t body_len;       /* response body bytes sent, 0 for HEAD */
	/* The client: the peer, or what a trusted proxy forwarded. */
	char remote[INET6_ADDRSTRLEN];
	bool from_proxy; /* the peer is a trusted proxy */
	char proxy[INET6_ADDRSTRLEN]; /* the proxy, once remote is forwarded */
	enum route_group group;
	const char *problem; /* the problem type slug sent, for the log */
	char user[LEDGER_NAME_MAX + 1]; /* the authenticated user, or "" */
	struct principal who;           /* loaded with user; released at end */
	struct access_session session;  /* the cookie session, if one is used */

	/* Set by route_begin: what route_finish runs. */
	bool routed;
	handler_fn handler; /* a route of the public log */
	const char *rest;
	const struct api_route *api; /* a workflow route */
	const char *params[API_PARAMS_MAX];

	/* The request body of a workflow route that takes one. */
	bool upload_open; /* body_begin accepted it */
	struct buf upload;
	uint64_t upload_seen; /* bytes received, kept or not */
	bool upload_too_big;

	/*
	 * The body of POST /api/v1/uploads, spooled to an unnamed temporary
	 * file (uploads.c). It is closed, and so removed, once stored or when
	 * the request ends.
	 */
	bool file_open;	   /* file_fd is open */
	bool file_too_big; /* over the limit: further bytes are dropped */
	int file_fd;
	uint64_t file_size;    /* bytes written to file_fd */
	uint64_t file_dropped; /* bytes dropped after file_too_big */
	char file_name[256];   /* Content-Disposition filename, for the log */

	/* The body of a tus PATCH (tus.c) or of a multipart form (media.c). */
	struct tus_patch *tus_patch;
	struct media_form *form;

	char *path;
	char *decoded;
	char target[];
};

/* Extra header fields of one reply: tus sends up to six. */
#define REPLY_HEADERS_MAX 8

/*
 * A response under construction. Handlers set status, content type and
 * body, and header fields left NULL or empty are not sent.
 */
struct reply {
	unsigned status;
	const char *content_type;
	const char *cache_control;
	const char *allow;
	const char *www_authenticate;
	const char *retry_after;
	const char *problem; /* the problem type slug, NULL for about:blank */
	char allow_list[32]; /* room for an Allow value built per request */
	char etag[96]; /* room for a quoted "sm3:" and 64 hex digits */
	char location[512];
	struct buf body;

	/* Header fields beyond those above, such as Content-Range. */
	struct reply_header {
		const char *name;
		char *value; /* owned by the reply */
	} headers[REPLY_HEADERS_MAX];
	size_t nheaders;

	/*
	 * A body read from file_fd instead of body: file_length bytes from
	 * file_offset. The reply owns the descriptor until reply_send hands
	 * it to libmicrohttpd, and a problem that replaces the reply closes
	 * it.
	 */
	int file_fd; /* -1: none */
	uint64_t file_offset, file_length;
};

#define CACHE_IMMUTABLE "public, max-age=31536000, immutable"
#define CACHE_NONE "no-store"
/* Case content: kept by no shared cache, revalidated with its ETag. */
#define CACHE_PRIVATE "private, no-cache"

/*
 * Problem types of the workflow API, each a URI under
 * https://casetrail.invalid/problems/ with a fixed title. The problems of
 * the public log endpoints and of routing carry no extra meaning beyond
 * their status, so they keep type about:blank.
 */
enum problem {
	PROBLEM_INVALID_JSON,      /* 400: the body is not acceptable JSON */
	PROBLEM_INVALID_PARAMETER, /* 400: a query parameter */
	PROBLEM_INVALID_PATH,      /* 400: a path segment */
	PROBLEM_UNAUTHORIZED,      /* 401 */
	PROBLEM_NOT_FOUND,         /* 404 */
	PROBLEM_STAGE_CONFLICT,    /* 409: CT_ESTATE */
	PROBLEM_ACTOR_NOT_ALLOWED, /* 409: CT_EPERM, such as self-approval */
	PROBLEM_ALREADY_EXISTS,    /* 409: CT_EEXIST */
	PROBLEM_BODY_TOO_LARGE,    /* 413 */
	PROBLEM_UNSUPPORTED_MEDIA_TYPE, /* 415 */
	PROBLEM_VALIDATION_FAILED, /* 422: CT_EINVAL */
	PROBLEM_BUSY,              /* 503: CT_EBUSY, with Retry-After */
	PROBLEM_INVALID_HEADER,    /* 400: a request header field */
	PROBLEM_TUS_VERSION,       /* 412: a Tus-Resumable we do not speak */
	PROBLEM_OFFSET_MISMATCH,   /* 409: Upload-Offset is not the upload's */
	PROBLEM_RANGE_NOT_SATISFIABLE, /* 416 */
	PROBLEM_UPLOAD_LOCKED,     /* 423: another request is using the upload */
	PROBLEM_TOO_MANY_UPLOADS,  /* 429: the user's unfinished uploads */
	PROBLEM_FORBIDDEN,         /* 403: the access policy refuses */
	PROBLEM_TOO_MANY_ATTEMPTS, /* 429: sign-ins from one address */
	PROBLEM_ACCOUNT_LOCKED,    /* 423: failed sign-ins lock the account */
	PROBLEM_COUNT
};

/* reply.c */
void reply_init(struct reply *r);
void reply_release(struct reply *r);

/*
 * Fills r with an RFC 9457 problem details object of type about:blank,
 * the standard reason phrase of status as its title and the formatted
 * detail. Returns 0 or CT_ENOMEM.
 */
int reply_problem(struct reply *r, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Fills r with a problem of type p: its status, URI and title, and the
 * formatted detail, which may contain UTF-8. Returns 0 or CT_ENOMEM.
 */
int reply_problem_of(struct reply *r, enum problem p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Fills r with the problem that matches code, a CT_E* error of the
 * workflow, with err's message as its detail, and returns 0. Returns code
 * itself for the errors of the server (CT_EIO, CT_ECORRUPT, CT_ENOMEM,
 * CT_ECRYPTO), for which the caller sends a 500.
 */
int reply_error(struct reply *r, int code, const struct error *err);

/*
 * Returns CT_EINVAL when rc, the result of reply_problem(), is 0, else rc.
 * A parser that wrote a 400 into the reply returns this to stop its caller.
 */
static inline int reply_rejected(int rc)
{
	return rc ? rc : CT_EINVAL;
}

/*
 * Adds a header field to r; name must be a string constant and the value
 * printable ASCII. Returns 0, or CT_ENOMEM when memory runs out or r has
 * REPLY_HEADERS_MAX already.
 */
int reply_header(struct reply *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Makes r's body length bytes of the open file fd from offset, taking
 * ownership of fd. Status and headers are the caller's to set.
 */
void reply_file(struct reply *r, int fd, uint64_t offset, uint64_t length);

/* Fills r with status 200 and the compact JSON of v, taking v's reference. */
int reply_json(struct reply *r, json_t *v, const char *cache_control);

/*
 * Fills r with {"items", "total", "offset", "limit"}: the slice of the
 * array items (borrowed) that starts at offset and contains at most limit
 * elements.
 */
int reply_page(struct reply *r, const json_t *items, size_t offset,
	       size_t limit);

/*
 * Queues r as the response to the request and records its body length
 * and problem type in rq for the access log. The body moves into the
 * response.
 */
enum MHD_Result reply_send(struct MHD_Connection *c, struct request *rq,
			   struct reply *r);

/*
 * Writes s into out as printable ASCII for a problem detail or a log
 * line: other bytes become \xHH, and a value longer than fits is cut and
 * ends in "...".
 */
const char *http_quote(const char *s, char *out, size_t n);

#define HTTP_QUOTE_MAX 80

/*
 * Parses a log index or tree size: decimal digits only, no sign, no
 * leading zeros except "0" itself, at most 2^63 - 1. Returns 0 or
 * CT_EINVAL.
 */
int http_parse_index(const char *s, uint64_t *out);

/* Encodes a hash as a base64 JSON string, or returns NULL without memory. */
json_t *http_json_base64(const uint8_t hash[HASH_LEN]);

/* routes.c */

/* route_begin's result when the request goes on to route_finish. */
#define ROUTE_CONTINUE 1

/*
 * The browser UI's files (static.c). static_open opens folder dir, or
 * leaves the UI off with a warning when it cannot. static_path returns
 * whether a request path names a UI file, and static_serve sends it.
 */
int static_open(struct server *s, const char *dir, struct error *err);
void static_close(struct server *s);
bool static_path(const struct server *s, const char *path);
int static_serve(struct server *s, struct MHD_Connection *c,
		 const char *path, struct reply *r, struct error *err);

/*
 * Resolves the route of rq once its header is in: method, path,
 * authorization and, for a request with a body, its type and length. It
 * returns ROUTE_CONTINUE when route_finish should run once the body is
 * in, 0 with a problem in r, or a negative code when the server failed.
 */
int route_begin(struct server *s, struct MHD_Connection *c,
		struct request *rq, struct reply *r, struct error *err);

/* Runs the handler that route_begin chose; returns as handler_fn does. */
int route_finish(struct server *s, struct MHD_Connection *c,
		 struct request *rq, struct reply *r, struct error *err);

/* tiles.c */
int serve_tile(struct server *s, struct MHD_Connection *c, const char *rest,
	       struct reply *r, struct error *err);

/* proofs.c */
int serve_entry(struct server *s, struct MHD_Connection *c, const char *rest,
		struct reply *r, struct error *err);
int serve_inclusion(struct server *s, struct MHD_Connection *c,
		    const char *rest, struct reply *r, struct error *err);
int serve_consistency(struct server *s, struct MHD_Connection *c,
		      const char *rest, struct reply *r, struct error *err);

/* tls.c */

struct gnutls_pcert_st;
struct gnutls_privkey_st;

/*
 * The certificate chain and private key of HTTPS, loaded into GnuTLS,
 * with what the start log line states about the certificate.
 */
struct tls_creds {
	struct gnutls_pcert_st *pcerts; /* the chain, the server's first */
	unsigned chain_length;
	struct gnutls_privkey_st *key;
	char subject[256]; /* of the first certificate, RFC 4514 */
	time_t not_before, not_after;
	char not_before_text[24], not_after_text[24]; /* RFC 3339 UTC */
};

/*
 * Reads and checks the certificate file and the private key file into
 * out. The key file must be a regular file that only its owner (the
 * user the server runs as, or root) may access, and an unencrypted PEM
 * key of the first certificate. The key's text is wiped from memory
 * before this returns. Returns 0, or CT_EINVAL, CT_EPERM, CT_EIO or
 * CT_ENOMEM with an error that names the file; out then holds nothing.
 */
int tls_creds_load(const char *cert_path, const char *key_path,
		   struct tls_creds *out, struct error *err);

/* Frees what c holds; GnuTLS clears the key as it frees it. */
void tls_creds_release(struct tls_creds *c);

/*
 * Fills items with the libmicrohttpd options that serve c over TLS 1.2
 * and 1.3 and returns their count, at most TLS_DAEMON_OPTIONS. c must
 * outlive the daemon; the process serves one set of credentials.
 */
#define TLS_DAEMON_OPTIONS 2
size_t tls_daemon_options(struct tls_creds *c, struct MHD_OptionItem *items);

/* sweep.c */
int sweeper_start(struct server *s, struct error *err);
void sweeper_stop(struct server *s);

#endif
