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

#include "common/error.h"
#include "media/media.h"

/*
 * The files HTTPS is served with: the PEM certificate (the server's, then
 * any intermediate ones) and its unencrypted PEM private key, which only
 * its owner may access (mode 0600 or 0400).
 */
struct http_tls {
	const char *cert_path;
	const char *key_path;
};

/*
 * Opens the store in dir, the workflow with the bureau data in data_dir
 * and the media module with media_cfg (borrowed for the call), starts
 * the checkpoint signer and a thread that runs
 * cases_sweep once a minute, and serves HTTP on listen_addr until the
 * process receives SIGINT or SIGTERM. listen_addr is "127.0.0.1:8080" or
 * "[::1]:8080", and port 0 picks a free port. With tls (borrowed for the
 * call; NULL for plain HTTP) it serves HTTPS, TLS 1.2 and 1.3 only, and
 * wipes the key text from its memory once the daemon has loaded it. Once
 * listening, it logs msg="listening" with the bound address and port.
 *
 * The calling thread blocks both signals while the server runs and waits
 * for them with sigwait(), so no signal handler is installed. The
 * server's threads inherit that mask, and the caller's mask is restored
 * before returning.
 *
 * Returns 0 after a clean stop, CT_EINVAL for an invalid listen address,
 * CT_EIO when the address cannot be bound, the error of reading or
 * checking the TLS files, or the error of opening the store or the bureau
 * data, with detail in err.
 */
int http_serve(const char *dir, const char *data_dir,
	       const char *listen_addr, const struct http_tls *tls,
	       const struct media_config *media_cfg, struct error *err);

#endif
