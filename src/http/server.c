/*
 * The server's life cycle and its libmicrohttpd callbacks. http_serve()
 * opens the ledger, the workflow and the media module, loads the
 * unfinished tus uploads, starts the daemon, the checkpoint signer and
 * the sweeper, then waits for SIGINT or SIGTERM with sigwait()
 * and shuts down in reverse order.
 *
 * libmicrohttpd runs a pool of polling threads. Each request gets a struct
 * request in the URI log callback, which runs when the request line
 * arrives and is the only callback given the target before
 * percent-decoding. The access handler is called once when the header is
 * in, once per piece of the body, and once more at the end. It routes the
 * request when the header is in, collects a JSON body or writes an upload
 * to disk, then fills and queues one reply. The completion callback
 * writes the access log line, counts the request, closes an unfinished
 * upload's temporary file and frees the request.
 */
#include "common/common.h"

#include <pthread.h>
#include <signal.h>
#include <strings.h>

#include "api.h"
#include "common/log.h"
#include "documents/documents.h"
#include "http.h"
#include "internal.h"
#include "witness/witness.h"

/*
 * A request that appends a record blocks its thread until the group
 * commit is fsynced, so the pool size bounds how many appends can share
 * one commit; 32 lets 32 clients' records go in one fsync.
 */
#define POOL_THREADS 32
#define CONNECTION_LIMIT 512
#define CONNECTION_TIMEOUT_S 30

/* The request target is cut at this length in the access log. */
#define LOG_TARGET_MAX 512

/* Writes v4 into out as the IPv4-mapped IPv6 address ::ffff:a.b.c.d. */
static void map_ipv4(const struct in_addr *v4, struct in6_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->s6_addr[10] = 0xff;
	out->s6_addr[11] = 0xff;
	memcpy(&out->s6_addr[12], v4, 4);
}

/*
 * Writes the IP address of sa into out as an IPv6 address, mapping an
 * IPv4 one. Returns false for another address family.
 */
static bool peer_address(const struct sockaddr *sa, struct in6_addr *out)
{
	if (sa->sa_family == AF_INET6) {
		*out = ((const struct sockaddr_in6 *)sa)->sin6_addr;
		return true;
	}
	if (sa->sa_family != AF_INET)
		return false;
	map_ipv4(&((const struct sockaddr_in *)sa)->sin_addr, out);
	return true;
}

/* Whether the peer sa is one of the trusted reverse proxies. */
static bool from_trusted_proxy(const struct server *s,
			       const struct sockaddr *sa)
{
	struct in6_addr peer;

	if (!s->trusted_proxy_count || !peer_address(sa, &peer))
		return false;
	for (size_t i = 0; i < s->trusted_proxy_count; i++)
		if (!memcmp(&peer, &s->trusted_proxies[i], sizeof(peer)))
			return true;
	return false;
}

static void *request_begin(void *cls, const char *uri, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *info;
	size_t len = strlen(uri);
	struct request *rq;

	/* The target, its path and the decoded path, each NUL-terminated. */
	rq = calloc(1, sizeof(*rq) + 3 * (len + 1));
	if (!rq) {
		log_error("http", "out of memory for a request", "bytes=%zu",
			  sizeof(*rq) + 3 * (len + 1));
		return NULL;
	}
	rq->server = cls;
	clock_gettime(CLOCK_MONOTONIC, &rq->start);
	memcpy(rq->target, uri, len + 1);
	rq->path = rq->target + len + 1;
	memcpy(rq->path, uri, strcspn(uri, "?"));
	rq->decoded = rq->path + len + 1;

	info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(rq->remote, sizeof(rq->remote), "-");
	rq->from_proxy = info && from_trusted_proxy(rq->server,
						    info->client_addr);
	if (info && info->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET,
			  &((struct sockaddr_in *)info->client_addr)->sin_addr,
			  rq->remote, sizeof(rq->remote));
	else if (info && info->client_addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
			  &((struct sockaddr_in6 *)info->client_addr)
				   ->sin6_addr,
			  rq->remote, sizeof(rq->remote));
	return rq;
}

/* Returns the microseconds since start. */
static uint64_t elapsed_us(const struct timespec *start)
{
	struct timespec now;
	int64_t us;

	clock_gettime(CLOCK_MONOTONIC, &now);
	us = (int64_t)(now.tv_sec - start->tv_sec) * 1000000 +
	     (now.tv_nsec - start->tv_nsec) / 1000;
	return us > 0 ? (uint64_t)us : 0;
}

/*
 * Writes the access log line: the authenticated user and the problem
 * type follow when there are any. Client errors are logged here alone,
 * at info, and server errors (5xx) at warn; the Authorization header is
 * never logged.
 */
/*
 * Copies a request target into out with each query value replaced by
 * "*": a search term or a token in a URL can be personal data or a
 * secret, and the names alone say what was asked.
 */
static void target_without_values(const char *target, char *out, size_t n)
{
	const char *q = strchr(target, '?');
	size_t o, len = q ? (size_t)(q - target) : strlen(target);

	if (n == 0)
		return;
	o = len < n - 1 ? len : n - 1;
	memcpy(out, target, o);
	for (const char *p = q; p && *p && o + 1 < n; p++) {
		out[o++] = *p;
		if (*p != '=')
			continue;
		if (o + 1 < n)
			out[o++] = '*';
		while (p[1] && p[1] != '&')
			p++;
	}
	out[o] = '\0';
}

static void log_access(const struct request *rq, unsigned status,
		       uint64_t us, bool completed)
{
	char method[sizeof(rq->method) + 8], target[LOG_TARGET_MAX];
	char plain[LOG_TARGET_MAX];
	char user[sizeof(rq->user) + 8];
	char extra[sizeof(user) + 64 + INET6_ADDRSTRLEN] = "";

	if (rq->user[0])
		snprintf(extra, sizeof(extra), " user=%s",
			 log_quote(rq->user, user, sizeof(user)));
	if (rq->problem)
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
			 " problem=%s", rq->problem);
	if (rq->proxy[0])
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
			 " proxy=%s", rq->proxy);
	log_quote(rq->method[0] ? rq->method : "-", method, sizeof(method));
	target_without_values(rq->target, plain, sizeof(plain));
	log_event(status >= 500 ? LOG_WARN : LOG_INFO, "http", "request",
		  "method=%s target=%s status=%u bytes=%zu "
		  "ms=%.3f remote=%s completed=%s%s",
		  method, log_quote(plain, target, sizeof(target)), status,
		  rq->body_len, (double)us / 1e3, rq->remote,
		  completed ? "true" : "false", extra);
}

/* Writes the access log line, counts the request and frees it. */
static void request_end(void *cls, struct MHD_Connection *c, void **req_cls,
			enum MHD_RequestTerminationCode toe)
{
	struct server *s = cls;
	struct request *rq = *req_cls;
	const union MHD_ConnectionInfo *info;
	unsigned status = 0;
	uint64_t us;

	info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_HTTP_STATUS);
	if (info)
		status = info->http_status;
	if (status < HTTP_STATUS_MAX)
		atomic_fetch_add(&s->requests[status], 1);
	if (!rq)
		return;

	us = elapsed_us(&rq->start);
	atomic_fetch_add(&s->group_requests[rq->group], 1);
	atomic_fetch_add(&s->group_us[rq->group], us);
	log_access(rq, status, us,
		   toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
	upload_release(rq);
	tus_patch_release(rq);
	media_form_release(rq);
	principal_release(&rq->who);
	crypto_wipe(&rq->session, sizeof(rq->session));
	buf_release(&rq->upload);
	free(rq);
	*req_cls = NULL;
}

/* Logs a failure of the server and replaces r with a 500 problem. */
static int reply_failure(const struct request *rq, int code,
			 const struct error *err, struct reply *r)
{
	char target[LOG_TARGET_MAX], detail[ERROR_MSG_MAX + 64];

	log_error("http", "request failed", "target=%s error=%s",
		  log_quote(rq->target, target, sizeof(target)),
		  log_quote(err->msg[0] ? err->msg : ct_strerror(code), detail,
			    sizeof(detail)));
	return reply_problem(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
			     "the server could not complete the request (%s); "
			     "try again, and report it with the time of the "
			     "request if it persists",
			     ct_strerror(code));
}

/* Replies 400 to an HTTP/1.1 request without Host, as RFC 9112 requires. */
static int check_host(struct MHD_Connection *c, const char *version,
		      struct reply *r)
{
	if (strcmp(version, MHD_HTTP_VERSION_1_1) != 0 ||
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					MHD_HTTP_HEADER_HOST))
		return ROUTE_CONTINUE;
	return reply_problem(r, MHD_HTTP_BAD_REQUEST,
			     "the request has no Host header, which "
			     "HTTP/1.1 requires; add one");
}

/*
 * Routes rq unless that is done, and runs its handler unless its body is
 * still to come. Queues the reply, or returns MHD_YES to receive the body.
 * A request rejected before its body is routed again once the body has
 * been drained, so that the client reads the reply rather than a reset.
 */
static enum MHD_Result process(struct server *s, struct MHD_Connection *c,
			       struct request *rq, const char *version,
			       bool body_follows)
{
	struct error err = { 0 };
	enum MHD_Result result;
	struct reply r;
	int rc = ROUTE_CONTINUE;

	reply_init(&r);
	if (!rq->routed)
		rc = check_host(c, version, &r);
	if (!rq->routed && rc == ROUTE_CONTINUE)
		rc = route_begin(s, c, rq, &r, &err);
	if (body_follows && (rc == ROUTE_CONTINUE ||
			     (rc == 0 && body_drainable(c)))) {
		reply_release(&r);
		return MHD_YES;
	}
	if (rc == ROUTE_CONTINUE)
		rc = route_finish(s, c, rq, &r, &err);
	if (rc < 0)
		rc = reply_failure(rq, rc, &err, &r);
	result = rc < 0 ? MHD_NO : reply_send(c, rq, &r);
	if (result != MHD_YES)
		log_error("http", "cannot queue a response; closing the "
			  "connection", "status=%u", r.status);
	reply_release(&r);
	return result;
}

/* Keeps the value of the last X-Forwarded-For field in *cls. */
static enum MHD_Result find_forwarded(void *cls, enum MHD_ValueKind kind,
				      const char *key, const char *value)
{
	(void)kind;
	if (!strcasecmp(key, "X-Forwarded-For") && value)
		*(const char **)cls = value;
	return MHD_YES;
}

/*
 * Takes the client address of a request from a trusted proxy from the
 * last address of X-Forwarded-For: the one the proxy itself appended,
 * which the client cannot choose. rq->proxy keeps the proxy's address. A
 * request without the field, or whose last entry is no IP address, keeps
 * the proxy's address as its client.
 */
static void use_forwarded(struct MHD_Connection *c, struct request *rq)
{
	const char *value = NULL, *last;
	char text[INET6_ADDRSTRLEN], addr[INET6_ADDRSTRLEN];
	unsigned char bin[sizeof(struct in6_addr)];
	int family = AF_INET;
	size_t len;

	MHD_get_connection_values(c, MHD_HEADER_KIND, find_forwarded, &value);
	if (!value)
		return;
	last = strrchr(value, ',');
	last = last ? last + 1 : value;
	last += strspn(last, " \t");
	len = strcspn(last, " \t");
	if (len == 0 || len >= sizeof(text) ||
	    last[len + strspn(last + len, " \t")] != '\0')
		return;
	memcpy(text, last, len);
	text[len] = '\0';
	if (inet_pton(AF_INET, text, bin) != 1) {
		family = AF_INET6;
		if (inet_pton(AF_INET6, text, bin) != 1)
			return;
	}
	if (!inet_ntop(family, bin, addr, sizeof(addr)))
		return;
	memcpy(rq->proxy, rq->remote, sizeof(rq->proxy));
	memcpy(rq->remote, addr, sizeof(rq->remote));
}

static enum MHD_Result handle_request(void *cls, struct MHD_Connection *c,
				      const char *url, const char *method,
				      const char *version,
				      const char *upload_data,
				      size_t *upload_data_size, void **req_cls)
{
	struct request *rq = *req_cls;
	size_t size = *upload_data_size;

	(void)url;
	if (!rq)
		return MHD_NO; /* out of memory in request_begin */
	if (!rq->method[0]) {
		snprintf(rq->method, sizeof(rq->method), "%s", method);
		if (rq->from_proxy)
			use_forwarded(c, rq);
		/*
		 * libmicrohttpd 0.9.75 closes the connection after a reply
		 * queued in this first call, made when the headers arrive.
		 * GET and HEAD wait for the next call to keep it open. Other
		 * methods are routed now, so that a body is kept only for a
		 * route that takes it, and a client waiting for 100 Continue
		 * gets its rejection before it sends the body.
		 */
		if (!strcmp(method, MHD_HTTP_METHOD_GET) ||
		    !strcmp(method, MHD_HTTP_METHOD_HEAD))
			return MHD_YES;
		return process(cls, c, rq, version, true);
	}
	if (size > 0) {
		*upload_data_size = 0;
		return body_receive(rq, upload_data, size);
	}
	return process(cls, c, rq, version, false);
}

/* Routes libmicrohttpd's own error messages into the event log. */
static void log_mhd_message(void *cls, const char *fmt, va_list ap)
{
	struct server *s = cls;
	char text[512], quoted[600];
	size_t len;

	vsnprintf(text, sizeof(text), fmt, ap);
	len = strlen(text);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	atomic_fetch_add(&s->mhd_errors, 1);
	log_warn("http", "libmicrohttpd error", "detail=%s",
		 log_quote(text, quoted, sizeof(quoted)));
}

/* Parses a port: decimal, 0 to 65535, no sign and no leading zeros. */
static int parse_port(const char *text, uint16_t *port)
{
	unsigned long v = 0;

	if (!*text || strlen(text) > 5 || (text[0] == '0' && text[1]))
		return CT_EINVAL;
	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9')
			return CT_EINVAL;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v > 65535)
		return CT_EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/*
 * Parses "IPv4:PORT" or "[IPv6]:PORT" with a numeric address into addr.
 * Host names are not resolved, so the server binds exactly what is given.
 */
static int parse_listen(const char *text, struct sockaddr_storage *addr,
			struct error *err)
{
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)addr;
	struct sockaddr_in *v4 = (struct sockaddr_in *)addr;
	char host[INET6_ADDRSTRLEN + 1], quoted[HTTP_QUOTE_MAX];
	bool bracketed = text[0] == '[';
	const char *start = text + bracketed, *end, *colon;
	uint16_t port;
	size_t len;

	memset(addr, 0, sizeof(*addr));
	if (bracketed) {
		end = strchr(start, ']');
		colon = end && end[1] == ':' ? end + 1 : NULL;
	} else {
		end = strrchr(start, ':');
		colon = end;
	}
	len = colon ? (size_t)(end - start) : 0;
	if (len == 0 || len >= sizeof(host) || parse_port(colon + 1, &port))
		goto invalid;
	memcpy(host, start, len);
	host[len] = '\0';

	if (bracketed && inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(port);
		return 0;
	}
	if (!bracketed && inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(port);
		return 0;
	}
invalid:
	return error_set(err, CT_EINVAL, "listen address '%s' is invalid; "
			 "use a numeric IPv4 ADDR:PORT such as 127.0.0.1:8080 "
			 "or [IPv6]:PORT such as [::1]:8080 (port 0 picks a "
			 "free port)",
			 http_quote(text, quoted, sizeof(quoted)));
}

/* Writes the address part of addr as it is written in a URL. */
static void format_host(const struct sockaddr_storage *addr, char *out,
			size_t n)
{
	char host[INET6_ADDRSTRLEN] = "";

	if (addr->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)addr)->sin6_addr,
			  host, sizeof(host));
		snprintf(out, n, "[%s]", host);
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)addr)->sin_addr,
			  host, sizeof(host));
		snprintf(out, n, "%s", host);
	}
}

/*
 * Starts libmicrohttpd on addr, with TLS when creds is not NULL, and
 * records the bound address in s.
 */
static int daemon_start(struct server *s, const struct sockaddr_storage *addr,
			struct tls_creds *creds, struct error *err)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			 MHD_USE_ERROR_LOG;
	struct MHD_OptionItem tls_options[TLS_DAEMON_OPTIONS + 1];
	const union MHD_DaemonInfo *info;
	size_t n = 0;
	char host[INET6_ADDRSTRLEN + 2];
	unsigned port;

	if (addr->ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (creds) {
		flags |= MHD_USE_TLS;
		n = tls_daemon_options(creds, tls_options);
	}
	tls_options[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	/* clang-format off */
	s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, handle_request, s,
		MHD_OPTION_EXTERNAL_LOGGER, log_mhd_message, s,
		MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)addr,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)POOL_THREADS,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_LIMIT,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
		MHD_OPTION_URI_LOG_CALLBACK, request_begin, s,
		MHD_OPTION_NOTIFY_COMPLETED, request_end, s,
		MHD_OPTION_ARRAY, tls_options,
		MHD_OPTION_END);
	/* clang-format on */

	format_host(addr, host, sizeof(host));
	if (!s->daemon) {
		port = ntohs(addr->ss_family == AF_INET6 ?
			     ((struct sockaddr_in6 *)addr)->sin6_port :
			     ((struct sockaddr_in *)addr)->sin_port);
		return error_set(err, CT_EIO, "cannot listen on %s:%u; check "
				 "that no other server uses the port and that "
				 "the address belongs to this host%s", host,
				 port, creds ? ", and the libmicrohttpd "
				 "errors logged about TLS" : "");
	}
	info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	port = info ? info->port : 0;
	snprintf(s->addr, sizeof(s->addr), "%s:%u", host, port);
	if (creds)
		s->tls = true;
	return 0;
}

/*
 * Points uploads at the blob store's folder for temporary files,
 * blobs/tmp in the store (docs/architecture.md, Storage), which
 * ledger_open creates. Spooling there keeps an upload on the file system
 * it will be stored on.
 */
static int upload_dir_set(struct server *s, struct error *err)
{
	const char *dir = ledger_config(s->ledger)->dir;

	if ((size_t)snprintf(s->upload_dir, sizeof(s->upload_dir),
			     "%s/blobs/tmp", dir) < sizeof(s->upload_dir))
		return 0;
	return error_set(err, CT_EINVAL, "store path '%s' is too long for "
			 "its temporary folder", dir);
}

/*
 * Opens the ledger and the workflow, then starts serving, signing and
 * sweeping. Signing starts only once serving works, so that a failed
 * start changes nothing in the store.
 */
static int server_start(struct server *s, const char *dir,
			const char *data_dir,
			const struct media_config *media_cfg,
			const struct sockaddr_storage *addr,
			struct tls_creds *creds, struct error *err)
{
	struct access_config access_cfg = { 0 };
	int rc;

	/* Read-write, because the signer stores the checkpoints it signs. */
	rc = ledger_open(dir, 0, &s->ledger, err);
	if (rc == 0)
		rc = upload_dir_set(s, err);
	if (rc == 0)
		rc = access_config_from_env(&access_cfg, err);
	if (rc == 0)
		rc = access_open(s->ledger, data_dir, &access_cfg, &s->access,
				 err);
	if (rc == 0)
		s->cases = access_cases(s->access);
	if (rc == 0)
		rc = media_open(s->cases, s->ledger, media_cfg, &s->media, err);
	if (rc == 0)
		rc = documents_open(s->access, data_dir, &s->documents, err);
	if (rc == 0)
		rc = tus_registry_open(s->upload_dir, &s->tus, err);
	if (rc == 0)
		rc = media_sessions_new(&s->sessions, err);
	if (rc == 0)
		rc = daemon_start(s, addr, creds, err);
	if (rc == 0)
		rc = ledger_signer_start(s->ledger, err);
	if (rc == 0)
		rc = sweeper_start(s, err);
	if (rc == 0)
		rc = witness_pusher_start(s->ledger, &s->pusher, err);
	return rc;
}

/* Stops what server_start started, in reverse order; safe on a partial
 * start. */
static void server_stop(struct server *s)
{
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	sweeper_stop(s);
	witness_pusher_stop(s->pusher);
	if (s->ledger)
		ledger_signer_stop(s->ledger);
	media_sessions_free(s->sessions);
	tus_registry_close(s->tus);
	media_close(s->media);
	documents_close(s->documents);
	access_close(s->access);
	ledger_close(s->ledger);
	static_close(s);
}

/* Whether addr is in 127.0.0.0/8 or is ::1, which no other host reaches. */
static bool is_loopback(const struct sockaddr_storage *addr)
{
	const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)addr;
	const struct sockaddr_in *v4 = (const struct sockaddr_in *)addr;

	if (addr->ss_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
	return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
}

/* The certificate's validity left, below which the start log warns. */
#define TLS_EXPIRY_WARN_S (30 * 86400)

/*
 * Logs whether the server speaks TLS. With TLS it names the certificate
 * and warns when it is not valid yet, has expired or expires within 30
 * days. Without TLS on an address other hosts reach, it warns that
 * something in front must encrypt the traffic.
 */
static void log_transport(const struct sockaddr_storage *addr,
			  const struct tls_creds *creds, bool proxy_tls)
{
	char subject[sizeof(creds->subject) + 8];
	time_t now = time(NULL);

	if (!creds) {
		if (proxy_tls)
			log_info("http", "TLS terminated at the trusted proxy",
				 "scheme=http secure_cookies=true");
		else
			log_info("http", "TLS off", "scheme=http");
		if (!is_loopback(addr))
			log_warn("http", "serving plain HTTP on an address "
				 "other hosts can reach; serve HTTPS with "
				 "--tls-cert and --tls-key, or listen on "
				 "127.0.0.1 behind a reverse proxy that "
				 "terminates TLS", NULL);
		return;
	}
	log_info("http", "TLS on", "scheme=https protocols=TLS1.2,TLS1.3 "
		 "subject=%s not_before=%s not_after=%s chain=%u",
		 log_quote(creds->subject, subject, sizeof(subject)),
		 creds->not_before_text, creds->not_after_text,
		 creds->chain_length);
	if (creds->not_before != (time_t)-1 && now < creds->not_before)
		log_warn("http", "TLS certificate is not valid yet",
			 "not_before=%s", creds->not_before_text);
	else if (creds->not_after != (time_t)-1 && now >= creds->not_after)
		log_warn("http", "TLS certificate has expired; clients will "
			 "reject it", "not_after=%s", creds->not_after_text);
	else if (creds->not_after != (time_t)-1 &&
		 creds->not_after - now < TLS_EXPIRY_WARN_S)
		log_warn("http", "TLS certificate expires within 30 days",
			 "not_after=%s", creds->not_after_text);
}

/* Parses the numeric addresses of the trusted reverse proxies into s. */
static int parse_trusted_proxies(struct server *s,
				 const struct http_options *opts,
				 struct error *err)
{
	char quoted[HTTP_QUOTE_MAX];

	if (opts->trusted_proxy_count > HTTP_TRUSTED_PROXIES_MAX)
		return error_set(err, CT_EINVAL, "%zu trusted proxies given; "
				 "give at most %d", opts->trusted_proxy_count,
				 HTTP_TRUSTED_PROXIES_MAX);
	for (size_t i = 0; i < opts->trusted_proxy_count; i++) {
		const char *text = opts->trusted_proxies[i];
		struct in_addr v4;

		if (inet_pton(AF_INET, text, &v4) == 1)
			map_ipv4(&v4, &s->trusted_proxies[i]);
		else if (inet_pton(AF_INET6, text,
				   &s->trusted_proxies[i]) != 1)
			return error_set(err, CT_EINVAL, "trusted proxy "
					 "address '%s' is invalid; give the "
					 "numeric IPv4 or IPv6 address the "
					 "proxy connects from, such as "
					 "127.0.0.1 or ::1, without a port",
					 http_quote(text, quoted,
						    sizeof(quoted)));
	}
	s->trusted_proxy_count = opts->trusted_proxy_count;
	if (opts->proxy_tls && !opts->trusted_proxy_count)
		return error_set(err, CT_EINVAL, "--proxy-tls needs "
				 "--trusted-proxy: name the reverse proxy that "
				 "terminates TLS");
	s->tls = opts->proxy_tls;
	return 0;
}

/*
 * Checks the options and allocates the server: the listen address into
 * addr, the TLS files into creds when HTTPS is asked for, the trusted
 * proxies and the upload limit into *out.
 */
static int server_new(const struct http_options *opts,
		      struct sockaddr_storage *addr, struct tls_creds *creds,
		      struct server **out, struct error *err)
{
	struct server *s;
	int rc;

	*out = NULL;
	rc = parse_listen(opts->listen_addr, addr, err);
	if (rc)
		return rc;
	s = calloc(1, sizeof(*s));
	if (!s)
		return error_set(err, CT_ENOMEM, "out of memory");
	s->web_fd = -1;
	rc = parse_trusted_proxies(s, opts, err);
	if (rc == 0)
		rc = upload_max_from_env(&s->upload_max, err);
	if (rc == 0 && opts->tls_cert_path)
		rc = tls_creds_load(opts->tls_cert_path, opts->tls_key_path,
				    creds, err);
	if (rc) {
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int http_serve(const char *dir, const char *data_dir,
	       const struct http_options *opts,
	       const struct media_config *media_cfg, struct error *err)
{
	struct server *s = NULL;
	struct sockaddr_storage addr;
	struct tls_creds creds = { 0 };
	bool tls = opts->tls_cert_path != NULL;
	sigset_t signals, saved;
	char quoted[PATH_MAX + 8], data_quoted[PATH_MAX + 8];
	int rc, sig = 0;

	rc = server_new(opts, &addr, &creds, &s, err);
	if (rc)
		return rc;

	/* Block before any thread starts, so that every thread inherits it. */
	sigemptyset(&signals);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &signals, &saved);

	rc = static_open(s, opts->web_dir, err);
	if (rc == 0)
		rc = server_start(s, dir, data_dir, media_cfg, &addr,
			  tls ? &creds : NULL, err);
	if (rc)
		goto out_stop;
	log_transport(&addr, tls ? &creds : NULL, opts->proxy_tls);
	for (size_t i = 0; i < opts->trusted_proxy_count; i++)
		log_info("http", "trusting X-Forwarded-For from a proxy",
			 "proxy=%s", opts->trusted_proxies[i]);
	log_info("http", "listening", "addr=%s scheme=%s dir=%s data=%s "
		 "upload_max=%" PRIu64, s->addr, tls ? "https" : "http",
		 log_quote(dir, quoted, sizeof(quoted)),
		 log_quote(data_dir, data_quoted, sizeof(data_quoted)),
		 s->upload_max);
	while (sigwait(&signals, &sig) != 0)
		;
	log_info("http", "stopping", "signal=%s",
		 sig == SIGINT ? "SIGINT" : "SIGTERM");

out_stop:
	server_stop(s);
	tls_creds_release(&creds);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (rc == 0)
		log_info("http", "stopped", "addr=%s", s->addr);
	free(s);
	return rc;
}
