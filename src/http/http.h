/*
 * The HTTP server. Its public part serves a witness, a monitor or an
 * auditor, who check the log without access to any record's content. It
 * consists of the latest signed checkpoint, the C2SP tlog-tiles resources
 * (hash tiles and entry bundles), single entry envelopes, inclusion and
 * consistency proofs, a health check and Prometheus metrics. The workflow API under
 * /api/v1 (cases, records, findings, media, the bureau's data) needs a
 * bearer token and serves content.
 */
#ifndef CASETRAIL_HTTP_H
#define CASETRAIL_HTTP_H

#include <jansson.h>
#include <stdbool.h>

#include "common/error.h"
#include "media/media.h"

/* The maximum number of reverse proxies --trusted-proxy may name. */
#define HTTP_TRUSTED_PROXIES_MAX 8

/* Where and how the server listens; borrowed for the call. */
struct http_options {
	/* "127.0.0.1:8080" or "[::1]:8080"; port 0 picks a free port. */
	const char *listen_addr;
	/*
	 * Both set: serve HTTPS with the PEM certificate (the server's, then
	 * any intermediate ones) and its unencrypted PEM private key, which
	 * only its owner may access (mode 0600 or 0400). Both NULL: HTTP.
	 */
	const char *tls_cert_path;
	const char *tls_key_path;
	/*
	 * Numeric addresses of reverse proxies. A request from one of them
	 * is logged and checked as coming from the last address of its
	 * X-Forwarded-For header, which the proxy must set.
	 */
	const char *trusted_proxies[HTTP_TRUSTED_PROXIES_MAX];
	size_t trusted_proxy_count;
	/*
	 * A trusted proxy terminates TLS for every client, so session
	 * cookies get the Secure attribute although this server speaks
	 * plain HTTP. Needs a trusted proxy.
	 */
	bool proxy_tls;
	/* The browser UI's folder; NULL or a folder that cannot be opened:
	 * the server runs without the UI. */
	const char *web_dir;
};

/*
 * Opens the store in dir, the workflow with the bureau data in data_dir
 * and the media module with media_cfg (borrowed for the call), starts
 * the checkpoint signer and a thread that runs cases_sweep once a
 * minute, and serves HTTP as opts says until the process receives SIGINT
 * or SIGTERM. With TLS it serves TLS 1.2 and 1.3 only, and the key's text
 * is wiped from memory before the daemon starts. Once listening, it logs
 * msg="listening" with the bound address and port.
 *
 * The calling thread blocks both signals while the server runs and waits
 * for them with sigwait(), so no signal handler is installed. The
 * server's threads inherit that mask, and the caller's mask is restored
 * before returning.
 *
 * Returns 0 after a clean stop, CT_EINVAL for an invalid listen or proxy
 * address, CT_EIO when the address cannot be bound, the error of reading
 * or checking the TLS files, or the error of opening the store or the
 * bureau data, with detail in err.
 */
int http_serve(const char *dir, const char *data_dir,
	       const struct http_options *opts,
	       const struct media_config *media_cfg, struct error *err);

/* Where the status inquiry listens; borrowed for the call. */
struct inquiry_options {
	const char *listen_addr; /* as http_options.listen_addr */
	const char *trusted_proxies[HTTP_TRUSTED_PROXIES_MAX];
	size_t trusted_proxy_count;
};

/*
 * Opens the store in dir and the bureau data in data_dir and serves the
 * applicants' status inquiry alone (http/inquiry.c) on opts->listen_addr
 * until SIGINT or SIGTERM, as http_serve does for the staff server. Once
 * listening, it logs mod=inquiry msg=listening with the bound address.
 * Returns 0 after a clean stop, CT_EINVAL for an invalid address, CT_EIO
 * when it cannot be bound, or the error of opening the store.
 */
int inquiry_serve(const char *dir, const char *data_dir,
		  const struct inquiry_options *opts, struct error *err);

/*
 * Returns the routes of the workflow API as an array of {method, path,
 * action, anonymous}: path under /api/v1 with '*' for a parameter, and
 * the access policy's action (docs/access.md). The caller owns it.
 */
json_t *http_api_routes(void);

#endif
