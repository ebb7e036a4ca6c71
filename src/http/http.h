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
 * Opens the store in dir, the workflow with the bureau data in data_dir
 * and the media module with media_cfg (borrowed for the call), starts
 * the checkpoint signer and a thread that runs
 * cases_sweep once a minute, and serves HTTP on listen_addr until the
 * process receives SIGINT or SIGTERM. listen_addr is "127.0.0.1:8080" or
 * "[::1]:8080", and port 0 picks a free port. Once listening, it logs
 * msg="listening" with the bound address and port.
 *
 * The calling thread blocks both signals while the server runs and waits
 * for them with sigwait(), so no signal handler is installed. The
 * server's threads inherit that mask, and the caller's mask is restored
 * before returning.
 *
 * Returns 0 after a clean stop, CT_EINVAL for an invalid listen address,
 * CT_EIO when the address cannot be bound, or the error of opening the
 * store or the bureau data, with detail in err.
 */
int http_serve(const char *dir, const char *data_dir,
	       const char *listen_addr, const struct media_config *media_cfg,
	       struct error *err);

#endif
