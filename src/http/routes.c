/*
 * Routing and the small resources: /healthz, /checkpoint and /metrics.
 * Paths of the workflow API go to api.c. Every other resource is a
 * public, read-only view of the log, so any method but GET and HEAD gets
 * 405 before the path is looked at. Those paths are matched on the
 * request target as sent: none of them needs a percent-escape, so a path
 * that contains one is rejected rather than decoded, which keeps "%2e%2e"
 * and "%2f" from reaching the tile path parser in disguise.
 */
#include "common/common.h"

#include <jansson.h>

#include "api.h"
#include "internal.h"

static const char *const group_names[GROUP_COUNT] = {
	[GROUP_OTHER] = "other",	 [GROUP_LOG] = "log",
	[GROUP_HEALTH] = "health",	 [GROUP_METRICS] = "metrics",
	[GROUP_CATALOGUE] = "catalogue", [GROUP_USERS] = "users",
	[GROUP_CASES] = "cases",	 [GROUP_RECORDS] = "records",
	[GROUP_FINDINGS] = "findings",	 [GROUP_UPLOADS] = "uploads",
	[GROUP_MEDIA] = "media",
	[GROUP_COPIES] = "copies",	 [GROUP_WEB] = "web",
};

/*
 * A checkpoint note is a few short lines and at most NOTE_MAX_SIGS
 * signature lines, far below this.
 */
#define CHECKPOINT_MAX 65536

static int serve_healthz(struct server *s, struct MHD_Connection *c,
			 const char *rest, struct reply *r, struct error *err)
{
	char signer_error[ERROR_MSG_MAX];
	uint64_t size;
	json_t *body;
	int rc;

	(void)c, (void)rest;
	rc = ledger_size(s->ledger, &size, err);
	if (rc)
		return rc;
	/* A server that cannot sign checkpoints still serves, degraded. */
	if (ledger_signer_error(s->ledger, signer_error,
				sizeof(signer_error)))
		body = json_pack("{s:s, s:I, s:s}", "status", "degraded",
				 "entries", (json_int_t)size,
				 "checkpoint_error", signer_error);
	else
		body = json_pack("{s:s, s:I}", "status", "ok", "entries",
				 (json_int_t)size);
	return reply_json(r, body, CACHE_NONE);
}

static int serve_checkpoint(struct server *s, struct MHD_Connection *c,
			    const char *rest, struct reply *r,
			    struct error *err)
{
	uint64_t size;
	int rc;

	(void)c, (void)rest;
	buf_release(&r->body);
	buf_init(&r->body, CHECKPOINT_MAX);
	rc = ledger_checkpoint_latest(s->ledger, &r->body, &size, err);
	if (rc == CT_ENOTFOUND)
		return reply_problem(r, MHD_HTTP_NOT_FOUND,
				     "the store has no signed checkpoint yet; "
				     "retry in a second, after the signer has "
				     "run");
	if (rc)
		return rc;
	r->status = MHD_HTTP_OK;
	r->content_type = "text/plain; charset=utf-8";
	r->cache_control = CACHE_NONE;
	return 0;
}

/* Writes the request count and summed duration of each route group. */
static int write_group_metrics(struct server *s, struct buf *out)
{
	int rc;

	rc = buf_puts(out, "# HELP casetrail_http_request_duration_seconds "
			   "Time from request line to response, by route "
			   "group.\n"
			   "# TYPE casetrail_http_request_duration_seconds "
			   "summary\n");
	for (unsigned g = 0; g < GROUP_COUNT && rc == 0; g++) {
		uint64_t n = atomic_load(&s->group_requests[g]);
		uint64_t us = atomic_load(&s->group_us[g]);

		rc = buf_printf(out,
				"casetrail_http_request_duration_seconds_sum"
				"{group=\"%s\"} %" PRIu64 ".%06" PRIu64 "\n"
				"casetrail_http_request_duration_seconds_count"
				"{group=\"%s\"} %" PRIu64 "\n",
				group_names[g], us / 1000000, us % 1000000,
				group_names[g], n);
	}
	return rc;
}

static int write_metrics(struct server *s, uint64_t entries,
			 uint64_t checkpoint_size, struct buf *out)
{
	int rc;

	rc = buf_puts(out, "# HELP casetrail_http_requests_total HTTP requests "
			   "completed, by status code.\n"
			   "# TYPE casetrail_http_requests_total counter\n");
	for (unsigned code = 0; code < HTTP_STATUS_MAX && rc == 0; code++) {
		uint64_t n = atomic_load(&s->requests[code]);

		if (n)
			rc = buf_printf(out,
					"casetrail_http_requests_total"
					"{code=\"%u\"} %" PRIu64 "\n",
					code, n);
	}
	if (rc == 0)
		rc = buf_printf(out,
				"# HELP casetrail_http_server_errors_total "
				"Error messages from libmicrohttpd.\n"
				"# TYPE casetrail_http_server_errors_total "
				"counter\n"
				"casetrail_http_server_errors_total %" PRIu64
				"\n",
				atomic_load(&s->mhd_errors));
	if (rc == 0)
		rc = buf_printf(out,
				"# HELP casetrail_ledger_entries Entries in "
				"the ledger.\n"
				"# TYPE casetrail_ledger_entries gauge\n"
				"casetrail_ledger_entries %" PRIu64 "\n"
				"# HELP casetrail_checkpoint_size Tree size of "
				"the latest signed checkpoint.\n"
				"# TYPE casetrail_checkpoint_size gauge\n"
				"casetrail_checkpoint_size %" PRIu64 "\n",
				entries, checkpoint_size);
	if (rc == 0)
		rc = write_group_metrics(s, out);
	return rc;
}

static int serve_metrics(struct server *s, struct MHD_Connection *c,
			 const char *rest, struct reply *r, struct error *err)
{
	struct buf note = BUF_INIT_MAX(CHECKPOINT_MAX);
	uint64_t entries, checkpoint_size = 0;
	int rc;

	(void)c, (void)rest;
	rc = ledger_size(s->ledger, &entries, err);
	if (rc == 0)
		rc = ledger_checkpoint_latest(s->ledger, &note,
					      &checkpoint_size, err);
	buf_release(&note);
	if (rc)
		return rc;
	rc = write_metrics(s, entries, checkpoint_size, &r->body);
	if (rc)
		return error_set(err, rc, "cannot write the metrics: %s",
				 ct_strerror(rc));
	r->status = MHD_HTTP_OK;
	r->content_type = "text/plain; version=0.0.4; charset=utf-8";
	r->cache_control = CACHE_NONE;
	return 0;
}

static const struct route {
	const char *path;
	bool prefix; /* path ends in '/' and the rest goes to the handler */
	enum route_group group;
	handler_fn handler;
} routes[] = {
    {"/healthz", false, GROUP_HEALTH, serve_healthz},
    {"/checkpoint", false, GROUP_LOG, serve_checkpoint},
    {"/metrics", false, GROUP_METRICS, serve_metrics},
    {"/tile/", true, GROUP_LOG, serve_tile},
    {"/api/v1/entries/", true, GROUP_LOG, serve_entry},
    {"/api/v1/proof/inclusion", false, GROUP_LOG, serve_inclusion},
    {"/api/v1/proof/consistency", false, GROUP_LOG, serve_consistency},
};

static const struct route *find_route(const char *path)
{
	for (size_t i = 0; i < ARRAY_SIZE(routes); i++) {
		const struct route *rt = &routes[i];

		if (rt->prefix ? !strncmp(path, rt->path, strlen(rt->path))
			       : !strcmp(path, rt->path))
			return rt;
	}
	return NULL;
}

/* route_begin for the public, read-only resources of the log. */
static int begin_public(struct server *s, struct request *rq,
			struct reply *r)
{
	char quoted[HTTP_QUOTE_MAX];
	const struct route *rt;

	if (strcmp(rq->method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(rq->method, MHD_HTTP_METHOD_HEAD) != 0) {
		r->allow = "GET, HEAD";
		return reply_problem(
		    r, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "method '%s' is not allowed; the resources of the log "
		    "are read-only and accept GET and HEAD",
		    http_quote(rq->method, quoted, sizeof(quoted)));
	}
	if (strchr(rq->path, '%'))
		return reply_problem(
		    r, MHD_HTTP_BAD_REQUEST,
		    "path '%s' contains a percent-escape; "
		    "casetrail paths are plain ASCII, so send "
		    "the path unescaped",
		    http_quote(rq->path, quoted, sizeof(quoted)));
	rt = find_route(rq->path);
	if (!rt && static_path(s, rq->path)) {
		rq->group = GROUP_WEB;
		rq->handler = static_serve;
		rq->rest = rq->path;
		return ROUTE_CONTINUE;
	}
	if (!rt)
		return reply_problem(
		    r, MHD_HTTP_NOT_FOUND,
		    "no resource at '%s'; the server has "
		    "the browser UI at /, /checkpoint, /tile/..., /api/v1/entries/"
		    "SEQ, /api/v1/proof/inclusion, /api/v1/"
		    "proof/consistency, /healthz, /metrics and the "
		    "workflow API under /api/v1 (see docs/api.md)",
		    http_quote(rq->path, quoted, sizeof(quoted)));
	rq->group = rt->group;
	rq->handler = rt->handler;
	rq->rest = rq->path + (rt->prefix ? strlen(rt->path) : 0);
	return ROUTE_CONTINUE;
}

int route_begin(struct server *s, struct MHD_Connection *c,
		struct request *rq, struct reply *r, struct error *err)
{
	int rc;

	rc = api_path(rq->path) ? api_begin(s, c, rq, r, err)
				: begin_public(s, rq, r);
	rq->routed = rc == ROUTE_CONTINUE;
	return rc;
}

int route_finish(struct server *s, struct MHD_Connection *c,
		 struct request *rq, struct reply *r, struct error *err)
{
	if (rq->api)
		return api_finish(s, c, rq, r, err);
	return rq->handler(s, c, rq->rest, r, err);
}
