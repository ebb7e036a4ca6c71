/*
 * The witness's HTTP server (docs/witness.md): add-checkpoint of C2SP
 * tlog-witness and the casetrail routes under /casetrail/v1 for entries,
 * the cosigned checkpoint, status and files. The witness module does the
 * work; this file moves bytes between libmicrohttpd and it. A file PUT
 * is streamed to the witness module chunk by chunk, never held whole.
 */
#include "common/common.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "api.h"
#include "cases/supervision.h"
#include "common/log.h"
#include "deadlines/deadlines.h"
#include "internal.h"
#include "witness/witness.h"
#include "witness_server.h"

#define WS_THREADS 4
#define WS_TIMEOUT_S 60
/* 1,000 entries of at most 65,535 bytes, in base64 and JSON. */
#define WS_BODY_MAX ((size_t)96 << 20)
#define WS_NOTE_MAX ((size_t)1 << 20)
#define BLOBS_PREFIX "/casetrail/v1/blobs/"

struct ws_request {
	struct buf body;
	struct witness_upload *upload;
	struct witness_reply reply;
	int replied; /* reply is complete before the body ended */
};

struct ws_server {
	struct witness_node *w;
	struct MHD_Daemon *daemon;
	char addr[96];
};

/*
 * Queues r. A refused request is logged with the first line of its
 * reply, except a missing file, which the pusher's HEAD expects.
 */
static enum MHD_Result send_reply(struct MHD_Connection *c, const char *url,
				  const char *method,
				  const struct witness_reply *r, int head)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		head ? 0 : r->body.len, head ? (void *)"" : r->body.data,
		MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (r->status >= 400 && r->status != 404) {
		char qu[300], qd[300];
		size_t n = strcspn(r->body.data ? r->body.data : "", "\n");
		char line[256];

		snprintf(line, sizeof(line), "%.*s", (int)(n < 255 ? n : 255),
			 r->body.data ? r->body.data : "");
		log_warn("witness", "request refused", "method=%s path=%s "
			 "status=%u detail=%s", method,
			 log_quote(url, qu, sizeof(qu)), r->status,
			 log_quote(line, qd, sizeof(qd)));
	}

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
				"no-store");
	rc = MHD_queue_response(c, r->status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result send_text(struct MHD_Connection *c, const char *url,
				 unsigned status, const char *text)
{
	struct witness_reply r;
	enum MHD_Result rc;

	witness_reply_init(&r);
	r.status = status;
	buf_puts(&r.body, text);
	rc = send_reply(c, url, "GET", &r, 0);
	witness_reply_release(&r);
	return rc;
}

/* Streams a stored file in answer to GET. */
static enum MHD_Result send_file(struct MHD_Connection *c, const char *url,
				 const char *path)
{
	struct MHD_Response *resp;
	enum MHD_Result rc;
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &sb) != 0) {
		if (fd >= 0)
			close(fd);
		return send_text(c, url, 404, "no such file\n");
	}
	resp = MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
	if (!resp) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				"application/octet-stream");
	rc = MHD_queue_response(c, 200, resp);
	MHD_destroy_response(resp);
	return rc;
}

static const char *arg(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

/*
 * Reads a decimal query parameter up to INT64_MAX into *out, or dflt when
 * it is absent. Returns -1 with a 400 in r for anything else.
 */
static int arg_u64(struct MHD_Connection *c, const char *name,
		   uint64_t dflt, uint64_t *out, struct witness_reply *r)
{
	const char *v = arg(c, name);
	char *end;
	unsigned long long n;

	*out = dflt;
	if (!v)
		return 0;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (!v[0] || errno || *end || v[0] < '0' || v[0] > '9' ||
	    n > INT64_MAX) {
		r->status = 400;
		buf_reset(&r->body);
		buf_printf(&r->body, "%s='%.40s' is not a whole number from 0 "
			   "to %lld\n", name, v, (long long)INT64_MAX);
		return -1;
	}
	*out = (uint64_t)n;
	return 0;
}

/* Answers a request whose body, if any, has been read whole. */
static enum MHD_Result dispatch(struct ws_server *s, struct MHD_Connection *c,
				const char *url, const char *method,
				struct ws_request *rq)
{
	struct witness_reply *r = &rq->reply;
	struct error err = { 0 };
	int is_get = !strcmp(method, "GET"), is_head = !strcmp(method, "HEAD");
	int rc = 0;

	if (!strcmp(url, "/add-checkpoint") && !strcmp(method, "POST"))
		rc = witness_add_checkpoint(s->w, rq->body.data ?: "",
					    rq->body.len, r, &err);
	else if (!strcmp(url, "/casetrail/v1/entries") &&
		 !strcmp(method, "POST"))
		rc = witness_post_entries(s->w, rq->body.data ?: "",
					  rq->body.len, r, &err);
	else if (!strcmp(url, "/casetrail/v1/entries") && is_get) {
		uint64_t start, count;

		if (arg_u64(c, "start", 0, &start, r) == 0 &&
		    arg_u64(c, "count", WITNESS_BATCH_MAX, &count, r) == 0)
			rc = witness_get_entries(s->w, arg(c, "origin"), start,
						 count, r, &err);
	}
	else if (!strcmp(url, "/casetrail/v1/checkpoint") &&
		 (is_get || is_head))
		rc = witness_get_checkpoint(s->w, arg(c, "origin"), r, &err);
	else if (!strcmp(url, "/casetrail/v1/status") && (is_get || is_head)) {
		json_t *st = NULL;
		char *text;

		rc = witness_status(s->w, &st, &err);
		text = rc == 0 ? json_dumps(st, JSON_INDENT(2)) : NULL;
		json_decref(st);
		if (text) {
			r->status = 200;
			r->type = "application/json";
			buf_puts(&r->body, text);
			free(text);
		}
	} else if (!strncmp(url, BLOBS_PREFIX, strlen(BLOBS_PREFIX)) &&
		   (is_get || is_head)) {
		char path[PATH_MAX];

		if (witness_blob_path(s->w, arg(c, "origin"),
				      url + strlen(BLOBS_PREFIX), path,
				      sizeof(path), r) != 0)
			return send_reply(c, url, method, r, is_head);
		if (is_get && witness_blob_read_check(
				      s->w, arg(c, "origin"),
				      url + strlen(BLOBS_PREFIX),
				      MHD_lookup_connection_value(
					      c, MHD_HEADER_KIND,
					      "Casetrail-Read-Signature"),
				      r) != 0)
			return send_reply(c, url, method, r, 0);
		if (is_get)
			return send_file(c, url, path);
		r->status = access(path, F_OK) == 0 ? 200 : 404;
	} else {
		r->status = 404;
		buf_puts(&r->body, "no such resource; see docs/witness.md\n");
	}
	if (rc) {
		log_error("witness", "request failed", "code=%d detail=\"%s\"",
			  rc, err.msg);
		r->status = 500;
		buf_reset(&r->body);
		buf_puts(&r->body, "the witness failed; see its log\n");
	}
	return send_reply(c, url, method, r, is_head);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **req_cls)
{
	struct ws_server *s = cls;
	struct ws_request *rq = *req_cls;
	int is_put = !strcmp(method, "PUT");

	(void)version;
	if (!rq) {
		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		buf_init(&rq->body, !strcmp(url, "/add-checkpoint")
					    ? WS_NOTE_MAX : WS_BODY_MAX);
		witness_reply_init(&rq->reply);
		*req_cls = rq;
		if (is_put) {
			if (strncmp(url, BLOBS_PREFIX, strlen(BLOBS_PREFIX)) ||
			    witness_upload_begin(s->w, arg(c, "origin"),
						 url + strlen(BLOBS_PREFIX),
						 &rq->upload,
						 &rq->reply) != 0) {
				if (rq->reply.status == 500 &&
				    !rq->reply.body.len) {
					rq->reply.status = 404;
					buf_puts(&rq->reply.body, "no such "
						 "resource\n");
				}
				rq->replied = 1;
			}
		}
		return MHD_YES;
	}
	if (*upload_size) {
		if (rq->replied) {
			/* Read and drop the rest of a refused body. */
		} else if (is_put) {
			int wrc = witness_upload_write(rq->upload, upload,
						       *upload_size);

			if (wrc != 0) {
				witness_upload_abort(rq->upload);
				rq->upload = NULL;
				rq->reply.status = wrc == CT_ETOOBIG ? 413 : 500;
				buf_puts(&rq->reply.body, wrc == CT_ETOOBIG
					 ? "the body is larger than the size "
					   "the entry states for the file; "
					   "nothing was kept\n"
					 : "cannot write\n");
				rq->replied = 1;
			}
		} else if (buf_append(&rq->body, upload, *upload_size) != 0) {
			rq->reply.status = 413;
			buf_puts(&rq->reply.body, "request body too large\n");
			rq->replied = 1;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (rq->replied)
		return send_reply(c, url, method, &rq->reply, 0);
	if (is_put) {
		witness_upload_finish(rq->upload, &rq->reply);
		rq->upload = NULL;
		return send_reply(c, url, method, &rq->reply, 0);
	}
	return dispatch(s, c, url, method, rq);
}

static void request_done(void *cls, struct MHD_Connection *c, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct ws_request *rq = *req_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (!rq)
		return;
	witness_upload_abort(rq->upload);
	buf_release(&rq->body);
	witness_reply_release(&rq->reply);
	free(rq);
	*req_cls = NULL;
}

static int parse_listen(const char *text, struct sockaddr_storage *addr,
			struct error *err)
{
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)addr;
	struct sockaddr_in *v4 = (struct sockaddr_in *)addr;
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon = strrchr(text, ':');
	unsigned long port;
	char *end;
	size_t len;

	memset(addr, 0, sizeof(*addr));
	if (!colon || !colon[1])
		goto invalid;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (*end || errno || port > 65535 || colon[1] == '+' ||
	    colon[1] == '-')
		goto invalid;
	len = (size_t)(colon - text);
	if (text[0] == '[' && len >= 2 && text[len - 1] == ']' &&
	    len - 2 < sizeof(host)) {
		memcpy(host, text + 1, len - 2);
		host[len - 2] = '\0';
		if (inet_pton(AF_INET6, host, &v6->sin6_addr) != 1)
			goto invalid;
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		return 0;
	}
	if (len == 0 || len >= sizeof(host))
		goto invalid;
	memcpy(host, text, len);
	host[len] = '\0';
	if (inet_pton(AF_INET, host, &v4->sin_addr) != 1)
		goto invalid;
	v4->sin_family = AF_INET;
	v4->sin_port = htons((uint16_t)port);
	return 0;
invalid:
	return error_set(err, CT_EINVAL, "listen address '%.100s' is invalid; "
			 "use a numeric ADDR:PORT such as 0.0.0.0:8090 or "
			 "[IPv6]:PORT (port 0 picks a free port)", text);
}

static int start_daemon(struct ws_server *s,
			const struct sockaddr_storage *addr,
			struct error *err)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
	const union MHD_DaemonInfo *info;
	char host[INET6_ADDRSTRLEN];

	if (addr->ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* clang-format off */
	s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, handle, s,
		MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)addr,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)WS_THREADS,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)WS_TIMEOUT_S,
		MHD_OPTION_NOTIFY_COMPLETED, request_done, s,
		MHD_OPTION_END);
	/* clang-format on */
	if (!s->daemon)
		return error_set(err, CT_EIO, "cannot listen for the witness; "
				 "check that no other server uses the port and "
				 "that the address belongs to this host");
	info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	if (addr->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)addr)->sin6_addr,
			  host, sizeof(host));
		snprintf(s->addr, sizeof(s->addr), "[%s]:%u", host,
			 info ? info->port : 0);
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)addr)->sin_addr,
			  host, sizeof(host));
		snprintf(s->addr, sizeof(s->addr), "%s:%u", host,
			 info ? info->port : 0);
	}
	return 0;
}

int witness_serve(const char *dir, const char *listen_addr,
		  struct error *err)
{
	struct ws_server s = { 0 };
	struct sockaddr_storage addr;
	sigset_t signals, saved;
	int rc, sig = 0;

	rc = parse_listen(listen_addr, &addr, err);
	sigemptyset(&signals);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &signals, &saved);
	if (rc == 0)
		rc = witness_open(dir, &s.w, err);
	if (rc == 0)
		rc = start_daemon(&s, &addr, err);
	if (rc == 0) {
		log_info("witness", "listening", "addr=%s", s.addr);
		while (sigwait(&signals, &sig) != 0)
			;
		log_info("witness", "stopping", "signal=%s",
			 sig == SIGINT ? "SIGINT" : "SIGTERM");
	}
	if (s.daemon)
		MHD_stop_daemon(s.daemon);
	witness_close(s.w);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	return rc;
}

/*
 * Builds the verify state of the integrity badge: the CST day the nightly
 * verify last finished (null before the first), and whether an
 * integrity-failure is open.
 */
static int verify_state(struct cases *cases, json_t **out, struct error *err)
{
	int32_t day;
	int open = 0;
	char text[11];
	int rc = cases_daily_last(cases, "verify", &day, err);

	if (rc == 0)
		rc = cases_integrity_open(cases, &open, err);
	if (rc)
		return rc;
	if (day != INT32_MIN)
		day_format(day, text);
	*out = json_pack("{s:o,s:b}", "last_day",
			 day != INT32_MIN ? json_string(text) : json_null(),
			 "integrity_failure_open", open);
	return *out ? 0 : error_set(err, CT_ENOMEM, "out of memory");
}

/* GET /api/v1/witness: the bureau's view of its witnesses. */
int serve_witness(struct api_call *call, struct reply *r, struct error *err)
{
	json_t *out = NULL, *verify = NULL;
	int rc = witness_bureau_status(call->s->ledger, call->s->pusher, &out,
				       err);

	if (rc)
		return rc;
	rc = verify_state(call->s->cases, &verify, err);
	if (rc) {
		json_decref(out);
		return rc;
	}
	json_object_set_new(out, "verify", verify);
	return reply_json(r, out, CACHE_NONE);
}
