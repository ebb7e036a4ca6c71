/*
 * Shared by the files of the HTTP server: the server state, the
 * per-request record used for the access log, and the reply that every
 * handler fills and reply_send() turns into one libmicrohttpd response.
 * This is the only header of casetrail that includes <microhttpd.h>.
 */
#ifndef CASETRAIL_HTTP_INTERNAL_H
#define CASETRAIL_HTTP_INTERNAL_H

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "common/buf.h"
#include "common/error.h"
#include "ledger/ledger.h"

/* Status codes from 100 to 599 are counted one by one for /metrics. */
#define HTTP_STATUS_MAX 600

/* Room for "[" IPv6 "]:" port and the NUL, with some to spare. */
#define HTTP_ADDR_MAX (INET6_ADDRSTRLEN + 16)

struct server {
	struct ledger *ledger;
	struct MHD_Daemon *daemon;
	char addr[HTTP_ADDR_MAX]; /* the bound address, as logged */
	_Atomic uint64_t requests[HTTP_STATUS_MAX]; /* by status code */
	_Atomic uint64_t mhd_errors; /* messages libmicrohttpd logged */
};

/*
 * One request from its request line to its completion. The target is the
 * request target exactly as the client sent it, before libmicrohttpd
 * decodes percent-escapes, and path is its part before any '?'.
 */
struct request {
	struct server *server;
	struct timespec start; /* CLOCK_MONOTONIC */
	char method[16];       /* empty until the handler runs */
	size_t body_len;       /* body bytes sent, 0 for HEAD */
	char remote[INET6_ADDRSTRLEN];
	char *path;
	char target[];
};

/*
 * A response under construction. Handlers set status, content type and
 * body, and header fields left NULL are not sent.
 */
struct reply {
	unsigned status;
	const char *content_type;
	const char *cache_control;
	const char *allow;
	struct buf body;
};

#define CACHE_IMMUTABLE "public, max-age=31536000, immutable"
#define CACHE_NONE "no-store"

/*
 * A resource handler. rest is the part of the path after the route's
 * prefix. It returns 0 after filling r, which contains a problem when the
 * client erred. A negative code means that the server failed, with detail
 * in err, and the caller replies 500.
 */
typedef int (*handler_fn)(struct server *s, struct MHD_Connection *c,
			  const char *rest, struct reply *r, struct error *err);

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
 * Returns CT_EINVAL when rc, the result of reply_problem(), is 0, else rc.
 * A parser that wrote a 400 into the reply returns this to stop its caller.
 */
static inline int reply_rejected(int rc)
{
	return rc ? rc : CT_EINVAL;
}

/* Fills r with status 200 and the compact JSON of v, taking v's reference. */
int reply_json(struct reply *r, json_t *v, const char *cache_control);

/*
 * Queues r as the response to the request and records its body length
 * in rq for the access log. The body moves into the response.
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
int route_request(struct server *s, struct MHD_Connection *c,
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

#endif
