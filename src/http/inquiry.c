/*
 * The applicants' status inquiry as a server of its own: `casetrail
 * inquiry serve` runs it in a process apart from the staff server, on
 * its own address, so that it can be exposed to the public while the
 * staff system is not. It serves exactly three resources and replies 404
 * to every other path, the staff API included:
 *
 *   GET  /            a form (Chinese): case number and inquiry code
 *   POST /status      the form's submission; the status as HTML
 *   POST /api/status  {"case", "code"}; the status as JSON
 *
 * The code travels in the body, never in the target, so it reaches no
 * log line. Each client address may look up inquiry.requests_per_minute
 * statuses a minute (a token bucket); past that, and while a case's
 * inquiry is locked after repeated wrong codes, the answer is 429 with
 * Retry-After. Behind a reverse proxy named by --trusted-proxy the
 * client is the last address of X-Forwarded-For. What the status shows
 * and how codes are checked: access/inquiry.c.
 */
#include "common/common.h"

#include <pthread.h>
#include <signal.h>
#include <strings.h>

#include <jansson.h>

#include "access/copies.h"
#include "common/log.h"
#include "http.h"
#include "internal.h"

#define INQUIRY_THREADS 4
#define INQUIRY_CONNECTIONS 256
#define INQUIRY_TIMEOUT_S 15
#define INQUIRY_BODY_MAX 4096
#define BUCKETS 1024

/* One client address's token bucket. */
struct bucket {
	struct in6_addr addr;
	bool used;
	double tokens;
	int64_t at_ms;
};

struct inquiry_server {
	struct ledger *ledger;
	struct access *access;
	struct MHD_Daemon *daemon;
	char addr[HTTP_ADDR_MAX];
	struct in6_addr proxies[HTTP_TRUSTED_PROXIES_MAX];
	size_t nproxies;
	int rate; /* lookups a minute per address, and the burst */
	pthread_mutex_t mu;
	struct bucket buckets[BUCKETS];
};

/* One request: its method, path, client and body. */
struct inquiry_request {
	char method[16];
	char path[64];
	char remote[INET6_ADDRSTRLEN];
	struct in6_addr client;
	struct buf body;
	bool too_big;
};

/* --- addresses ------------------------------------------------------------ */

static void to_v6(const struct sockaddr *sa, struct in6_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET6) {
		*out = ((const struct sockaddr_in6 *)sa)->sin6_addr;
	} else if (sa->sa_family == AF_INET) {
		out->s6_addr[10] = 0xff;
		out->s6_addr[11] = 0xff;
		memcpy(&out->s6_addr[12],
		       &((const struct sockaddr_in *)sa)->sin_addr, 4);
	}
}

/* Parses a numeric IPv4 or IPv6 address into its IPv6 form. */
static bool parse_ip(const char *text, struct in6_addr *out)
{
	struct in_addr v4;

	if (inet_pton(AF_INET6, text, out) == 1)
		return true;
	if (inet_pton(AF_INET, text, &v4) != 1)
		return false;
	memset(out, 0, sizeof(*out));
	out->s6_addr[10] = 0xff;
	out->s6_addr[11] = 0xff;
	memcpy(&out->s6_addr[12], &v4, 4);
	return true;
}

static void format_ip(const struct in6_addr *a, char *out, size_t n)
{
	if (IN6_IS_ADDR_V4MAPPED(a))
		inet_ntop(AF_INET, &a->s6_addr[12], out, (socklen_t)n);
	else
		inet_ntop(AF_INET6, a, out, (socklen_t)n);
}

static enum MHD_Result find_forwarded(void *cls, enum MHD_ValueKind kind,
				      const char *key, const char *value)
{
	(void)kind;
	if (!strcasecmp(key, "X-Forwarded-For") && value)
		*(const char **)cls = value;
	return MHD_YES;
}

/*
 * Sets the client of a request from a trusted proxy to the last address
 * of X-Forwarded-For, the one the proxy appended itself.
 */
static void forwarded_client(struct MHD_Connection *c,
			     struct inquiry_request *rq)
{
	const char *value = NULL, *last;
	char text[INET6_ADDRSTRLEN];
	struct in6_addr addr;
	size_t len;

	MHD_get_connection_values(c, MHD_HEADER_KIND, find_forwarded, &value);
	if (!value)
		return;
	last = strrchr(value, ',');
	last = last ? last + 1 : value;
	last += strspn(last, " \t");
	len = strcspn(last, " \t");
	if (!len || len >= sizeof(text))
		return;
	memcpy(text, last, len);
	text[len] = '\0';
	if (!parse_ip(text, &addr))
		return;
	rq->client = addr;
	format_ip(&addr, rq->remote, sizeof(rq->remote));
}

static void set_client(struct inquiry_server *s, struct MHD_Connection *c,
		       struct inquiry_request *rq)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	snprintf(rq->remote, sizeof(rq->remote), "-");
	if (!info)
		return;
	to_v6(info->client_addr, &rq->client);
	format_ip(&rq->client, rq->remote, sizeof(rq->remote));
	for (size_t i = 0; i < s->nproxies; i++)
		if (!memcmp(&rq->client, &s->proxies[i], sizeof(rq->client))) {
			forwarded_client(c, rq);
			break;
		}
}

/* --- the rate limit ------------------------------------------------------- */

/*
 * Takes one token from the client's bucket. Returns 0, or the seconds
 * until the next token when the bucket is empty. A full table recycles
 * the bucket that has been idle longest, which has refilled the most.
 */
static int take_token(struct inquiry_server *s, const struct in6_addr *a)
{
	double per_ms = s->rate / 60000.0;
	int64_t now = ledger_now_ms();
	struct bucket *b = NULL, *idle = &s->buckets[0];
	int wait = 0;

	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < BUCKETS && !b; i++) {
		struct bucket *x = &s->buckets[i];

		if (x->used && !memcmp(&x->addr, a, sizeof(*a)))
			b = x;
		else if (!x->used || (idle->used && x->at_ms < idle->at_ms))
			idle = x;
	}
	if (!b) {
		b = idle;
		b->used = true;
		b->addr = *a;
		b->tokens = s->rate;
		b->at_ms = now;
	}
	b->tokens += (double)(now - b->at_ms) * per_ms;
	if (b->tokens > s->rate)
		b->tokens = s->rate;
	b->at_ms = now;
	if (b->tokens >= 1.0)
		b->tokens -= 1.0;
	else
		wait = (int)((1.0 - b->tokens) / per_ms / 1000.0) + 1;
	pthread_mutex_unlock(&s->mu);
	return wait;
}

/* --- replies -------------------------------------------------------------- */

/* Escapes text for HTML element content and attribute values. */
static void html_put(struct buf *b, const char *text)
{
	for (const char *p = text ? text : ""; *p; p++) {
		switch (*p) {
		case '&': buf_puts(b, "&amp;"); break;
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		case '\'': buf_puts(b, "&#39;"); break;
		default: buf_putc(b, *p);
		}
	}
}

static const char page_head[] =
	"<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n"
	"<meta charset=\"utf-8\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, "
	"initial-scale=1\">\n"
	"<title>行政审批办理进度查询</title>\n"
	"<style>body{font-family:sans-serif;max-width:40em;margin:2em auto;"
	"padding:0 1em}label{display:block;margin:.8em 0 .2em}"
	"input{font-size:1.1em;width:100%;box-sizing:border-box}"
	"button{margin-top:1em;font-size:1.1em}"
	"table{border-collapse:collapse}td,th{border:1px solid #999;"
	"padding:.3em .6em;text-align:left}.error{color:#a00}</style>\n"
	"</head>\n<body>\n<h1>行政审批办理进度查询</h1>\n";

static const char page_form[] =
	"<form method=\"post\" action=\"/status\">\n"
	"<label for=\"case\">案件编号</label>\n"
	"<input id=\"case\" name=\"case\" required maxlength=\"64\" "
	"autocomplete=\"off\" placeholder=\"例如 2026-000001\">\n"
	"<label for=\"code\">查询码（受理回执上的 8 位字母和数字）</label>\n"
	"<input id=\"code\" name=\"code\" required maxlength=\"16\" "
	"autocomplete=\"off\">\n"
	"<button type=\"submit\">查询</button>\n</form>\n";

static const char page_tail[] =
	"<p><small>本页面只显示办理进度，不显示任何个人信息。"
	"多次输入错误的查询码后，该案件的查询将暂停一段时间。</small></p>\n"
	"</body>\n</html>\n";

static const struct {
	const char *code, *label;
} deadline_names[] = {
	{ "acceptance", "受理期限" }, { "decision", "决定期限" },
	{ "delivery", "送达期限" },  { "hearing", "听证期限" },
	{ "renewal", "延续决定期限" },
}, state_names[] = {
	{ "open", "办理中" },        { "overdue", "已超过期限" },
	{ "met", "已按期完成" },     { "late", "超期完成" },
	{ "suspended", "期限中止" },
};

static const char *label(const char *code, bool state)
{
	size_t n = state ? ARRAY_SIZE(state_names) : ARRAY_SIZE(deadline_names);

	for (size_t i = 0; i < n; i++) {
		const char *c = state ? state_names[i].code
				      : deadline_names[i].code;

		if (!strcmp(c, code))
			return state ? state_names[i].label
				     : deadline_names[i].label;
	}
	return code;
}

static const char *member(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void html_deadlines(struct buf *b, const json_t *deadlines)
{
	const char *name;
	json_t *d;

	buf_puts(b, "<h2>办理期限</h2>\n<table>\n<tr><th>期限</th>"
		 "<th>截止日期</th><th>状态</th><th>说明</th></tr>\n");
	json_object_foreach((json_t *)deadlines, name, d) {
		json_t *ext = json_object_get(d, "extended_by");

		buf_puts(b, "<tr><td>");
		html_put(b, label(name, false));
		buf_puts(b, "</td><td>");
		html_put(b, member(d, "date"));
		buf_puts(b, "</td><td>");
		html_put(b, label(member(d, "state") ?: "", true));
		buf_puts(b, "</td><td>");
		if (json_is_integer(ext))
			buf_printf(b, "已延长 %" JSON_INTEGER_FORMAT " 个工作日；",
				   json_integer_value(ext));
		if (member(d, "promised")) {
			buf_puts(b, "承诺办结日 ");
			html_put(b, member(d, "promised"));
			buf_puts(b, "；");
		}
		if (json_is_true(json_object_get(d, "provisional")))
			buf_puts(b, "节假日安排未公布，日期可能调整");
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</table>\n");
}

static void html_status(struct buf *b, const json_t *st)
{
	json_t *doc;
	size_t i;

	buf_puts(b, "<h2>案件 ");
	html_put(b, member(st, "case"));
	buf_puts(b, "</h2>\n<p>事项：");
	html_put(b, member(st, "matter"));
	buf_puts(b, "<br>收到申请日期：");
	html_put(b, member(st, "received"));
	buf_puts(b, "<br>当前阶段：");
	html_put(b, member(st, "stage_name"));
	buf_puts(b, "</p>\n");
	html_deadlines(b, json_object_get(st, "deadlines"));
	buf_puts(b, "<h2>已送达文书</h2>\n");
	if (!json_array_size(json_object_get(st, "served")))
		buf_puts(b, "<p>暂无</p>\n");
	else
		buf_puts(b, "<ul>\n");
	json_array_foreach(json_object_get(st, "served"), i, doc) {
		buf_puts(b, "<li>");
		html_put(b, member(doc, "title"));
		if (member(doc, "number")) {
			buf_puts(b, "（");
			html_put(b, member(doc, "number"));
			buf_puts(b, "）");
		}
		buf_puts(b, "，送达时间 ");
		html_put(b, member(doc, "served_on"));
		buf_puts(b, "</li>\n");
	}
	if (json_array_size(json_object_get(st, "served")))
		buf_puts(b, "</ul>\n");
}

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status,
			       const char *type, struct buf *body, int retry_s)
{
	size_t len = 0;
	char *data = buf_detach(body, &len), seconds[16];
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		len, data, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result rc;

	if (!resp) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
				"no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'none'; "
				"style-src 'unsafe-inline'; "
				"form-action 'self'; frame-ancestors 'none'");
	if (retry_s > 0) {
		snprintf(seconds, sizeof(seconds), "%d", retry_s);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER,
					seconds);
	}
	rc = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status,
				 json_t *v, int retry_s)
{
	struct buf b = BUF_INIT_MAX(1 << 20);
	char *text = json_dumps(v, JSON_COMPACT);

	json_decref(v);
	if (text)
		buf_puts(&b, text);
	free(text);
	return respond(c, status, status < 400 ? "application/json"
				 : "application/problem+json", &b, retry_s);
}

static json_t *problem(unsigned status, const char *title, const char *detail)
{
	return json_pack("{s:s, s:s, s:i, s:s}", "type", "about:blank",
			 "title", title, "status", status, "detail", detail);
}

static enum MHD_Result send_html(struct MHD_Connection *c, unsigned status,
				 const char *message, const json_t *st,
				 int retry_s)
{
	struct buf b = BUF_INIT_MAX(1 << 20);

	buf_puts(&b, page_head);
	if (message) {
		buf_puts(&b, "<p class=\"error\">");
		html_put(&b, message);
		buf_puts(&b, "</p>\n");
	}
	if (st)
		html_status(&b, st);
	buf_puts(&b, page_form);
	buf_puts(&b, page_tail);
	return respond(c, status, "text/html; charset=utf-8", &b, retry_s);
}

/* --- lookups -------------------------------------------------------------- */

/*
 * Reads case and code from a form body (application/x-www-form-urlencoded)
 * into the buffers, decoding escapes with libmicrohttpd.
 */
static bool parse_form(char *body, char *case_id, size_t case_n, char *code,
		       size_t code_n)
{
	char *save = NULL;

	case_id[0] = code[0] = '\0';
	for (char *pair = strtok_r(body, "&", &save); pair;
	     pair = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(pair, '=');

		if (!eq)
			continue;
		*eq = '\0';
		for (char *p = eq + 1; *p; p++)
			if (*p == '+')
				*p = ' ';
		MHD_http_unescape(eq + 1);
		if (!strcmp(pair, "case"))
			snprintf(case_id, case_n, "%s", eq + 1);
		else if (!strcmp(pair, "code"))
			snprintf(code, code_n, "%s", eq + 1);
	}
	return case_id[0] && code[0];
}

static bool parse_json(const struct buf *body, char *case_id, size_t case_n,
		       char *code, size_t code_n)
{
	json_t *v = json_loadb(body->data ? body->data : "", body->len,
			       JSON_REJECT_DUPLICATES, NULL);
	const char *c = json_string_value(json_object_get(v, "case"));
	const char *k = json_string_value(json_object_get(v, "code"));
	bool ok = c && k && json_object_size(v) == 2;

	if (ok) {
		snprintf(case_id, case_n, "%s", c);
		snprintf(code, code_n, "%s", k);
	}
	json_decref(v);
	return ok;
}

static const char wrong_code[] =
	"案件编号或查询码不正确，或该案件的查询因多次输入错误已暂停。"
	"请核对受理回执后再试。";

/* Looks up a status for a form (html) or the JSON endpoint. */
static enum MHD_Result lookup(struct inquiry_server *s,
			      struct MHD_Connection *c,
			      struct inquiry_request *rq, bool html)
{
	char case_id[CASE_ID_MAX + 8], code[40];
	struct error err = { 0 };
	json_t *st = NULL;
	int retry = take_token(s, &rq->client), rc;
	bool ok;

	if (retry)
		return html ? send_html(c, MHD_HTTP_TOO_MANY_REQUESTS,
					"查询过于频繁，请稍后再试。", NULL,
					retry)
			    : send_json(c, MHD_HTTP_TOO_MANY_REQUESTS,
					problem(429, "Too Many Requests",
						"too many lookups from this "
						"address; retry after the "
						"seconds in Retry-After"),
					retry);
	ok = !rq->too_big && (html ? parse_form(rq->body.data ? rq->body.data
							      : (char *)"",
						case_id, sizeof(case_id),
						code, sizeof(code))
				   : parse_json(&rq->body, case_id,
						sizeof(case_id), code,
						sizeof(code)));
	if (!ok)
		return html ? send_html(c, MHD_HTTP_BAD_REQUEST,
					"请填写案件编号和查询码。", NULL, 0)
			    : send_json(c, MHD_HTTP_BAD_REQUEST,
					problem(400, "Bad Request",
						"the body must be "
						"{\"case\": ID, \"code\": "
						"CODE}"), 0);
	rc = inquiry_status(s->access, case_id, code, &st, &retry, &err);
	if (rc == 0 && html) {
		enum MHD_Result sent = send_html(c, MHD_HTTP_OK, NULL, st, 0);

		json_decref(st);
		return sent;
	}
	if (rc == 0)
		return send_json(c, MHD_HTTP_OK, st, 0);
	if (rc == CT_EPERM) {
		unsigned status = retry ? MHD_HTTP_TOO_MANY_REQUESTS
					: MHD_HTTP_FORBIDDEN;

		return html ? send_html(c, status, wrong_code, NULL, retry)
			    : send_json(c, status, problem(status, retry
						? "Too Many Requests"
						: "Forbidden", err.msg), retry);
	}
	log_warn("inquiry", "status lookup failed", "code=%d", rc);
	return html ? send_html(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				"查询暂时无法完成，请稍后再试。", NULL, 0)
		    : send_json(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				problem(500, "Internal Server Error",
					"the lookup failed; try again later"),
				0);
}

/* Routes a request whose body, if any, is complete. */
static enum MHD_Result route(struct inquiry_server *s,
			     struct MHD_Connection *c,
			     struct inquiry_request *rq)
{
	bool get = !strcmp(rq->method, "GET") || !strcmp(rq->method, "HEAD");
	bool post = !strcmp(rq->method, "POST");
	bool known = !strcmp(rq->path, "/") || !strcmp(rq->path, "/status") ||
		     !strcmp(rq->path, "/api/status");

	if (!known)
		return send_json(c, MHD_HTTP_NOT_FOUND,
				 problem(404, "Not Found", "this server "
					 "answers only the status inquiry: "
					 "GET /, POST /status, POST "
					 "/api/status"), 0);
	if (!strcmp(rq->path, "/") && get)
		return send_html(c, MHD_HTTP_OK, NULL, NULL, 0);
	if (!strcmp(rq->path, "/status") && post)
		return lookup(s, c, rq, true);
	if (!strcmp(rq->path, "/api/status") && post)
		return lookup(s, c, rq, false);
	return send_json(c, MHD_HTTP_METHOD_NOT_ALLOWED,
			 problem(405, "Method Not Allowed",
				 !strcmp(rq->path, "/") ? "use GET"
							: "use POST"), 0);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *data,
			      size_t *size, void **req_cls)
{
	struct inquiry_server *s = cls;
	struct inquiry_request *rq = *req_cls;

	(void)version;
	if (!rq) {
		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		buf_init(&rq->body, INQUIRY_BODY_MAX);
		snprintf(rq->method, sizeof(rq->method), "%s", method);
		/* A longer path matches none of the three: 404 either way. */
		snprintf(rq->path, sizeof(rq->path), "%.*s",
			 (int)strcspn(url, "?"), url);
		set_client(s, c, rq);
		*req_cls = rq;
		return MHD_YES;
	}
	if (*size) {
		if (buf_append(&rq->body, data, *size) != 0)
			rq->too_big = true;
		*size = 0;
		return MHD_YES;
	}
	return route(s, c, rq);
}

static void request_done(void *cls, struct MHD_Connection *c, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct inquiry_request *rq = *req_cls;
	const union MHD_ConnectionInfo *info;
	char path[HTTP_QUOTE_MAX], method[HTTP_QUOTE_MAX];

	(void)cls;
	if (!rq)
		return;
	info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_HTTP_STATUS);
	log_info("inquiry", "request", "method=%s path=%s status=%u "
		 "remote=%s completed=%s",
		 log_quote(rq->method, method, sizeof(method)),
		 log_quote(rq->path, path, sizeof(path)),
		 info ? info->http_status : 0, rq->remote,
		 toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "true"
							    : "false");
	buf_release(&rq->body);
	free(rq);
	*req_cls = NULL;
}

/* --- the server ----------------------------------------------------------- */

static int parse_listen(const char *text, struct sockaddr_storage *addr,
			struct error *err)
{
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)addr;
	struct sockaddr_in *v4 = (struct sockaddr_in *)addr;
	char host[INET6_ADDRSTRLEN + 1], quoted[HTTP_QUOTE_MAX];
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
	return error_set(err, CT_EINVAL, "listen address '%s' is invalid; "
			 "use a numeric IPv4 ADDR:PORT such as 0.0.0.0:8081 "
			 "or [IPv6]:PORT (port 0 picks a free port)",
			 http_quote(text, quoted, sizeof(quoted)));
}

static int start_daemon(struct inquiry_server *s,
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
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)INQUIRY_THREADS,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)INQUIRY_CONNECTIONS,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)INQUIRY_TIMEOUT_S,
		MHD_OPTION_NOTIFY_COMPLETED, request_done, s,
		MHD_OPTION_END);
	/* clang-format on */
	if (!s->daemon)
		return error_set(err, CT_EIO, "cannot listen for the inquiry; "
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

static int read_proxies(struct inquiry_server *s,
			const struct inquiry_options *opts, struct error *err)
{
	char quoted[HTTP_QUOTE_MAX];

	for (size_t i = 0; i < opts->trusted_proxy_count; i++) {
		if (i == HTTP_TRUSTED_PROXIES_MAX ||
		    !parse_ip(opts->trusted_proxies[i], &s->proxies[i]))
			return error_set(err, CT_EINVAL, "trusted proxy '%s' "
					 "is not a numeric IP address, or more "
					 "than %d are given",
					 http_quote(opts->trusted_proxies[i],
						    quoted, sizeof(quoted)),
					 HTTP_TRUSTED_PROXIES_MAX);
		s->nproxies++;
	}
	return 0;
}

int inquiry_serve(const char *dir, const char *data_dir,
		  const struct inquiry_options *opts, struct error *err)
{
	struct inquiry_server *s = calloc(1, sizeof(*s));
	struct sockaddr_storage addr;
	sigset_t signals, saved;
	int rc, sig = 0;

	if (!s)
		return error_set(err, CT_ENOMEM, "out of memory");
	pthread_mutex_init(&s->mu, NULL);
	rc = parse_listen(opts->listen_addr, &addr, err);
	if (rc == 0)
		rc = read_proxies(s, opts, err);
	sigemptyset(&signals);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &signals, &saved);
	/* Read-write: the projections catch up, and the key may be drawn. */
	if (rc == 0)
		rc = ledger_open(dir, 0, &s->ledger, err);
	if (rc == 0)
		rc = access_open(s->ledger, data_dir, NULL, &s->access, err);
	if (rc == 0)
		s->rate = inquiry_rate_per_minute(s->access);
	if (rc == 0)
		rc = start_daemon(s, &addr, err);
	if (rc == 0) {
		log_info("inquiry", "listening", "addr=%s rate_per_minute=%d",
			 s->addr, s->rate);
		while (sigwait(&signals, &sig) != 0)
			;
		log_info("inquiry", "stopping", "signal=%s",
			 sig == SIGINT ? "SIGINT" : "SIGTERM");
	}
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	access_close(s->access);
	ledger_close(s->ledger);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	pthread_mutex_destroy(&s->mu);
	free(s);
	return rc;
}
