/*
 * The witness's HTTP server (witness_server.c, docs/witness.md).
 */
#ifndef CASETRAIL_WITNESS_SERVER_H
#define CASETRAIL_WITNESS_SERVER_H

#include "common/error.h"

/*
 * Opens the witness folder dir and serves its routes on listen_addr
 * (ADDR:PORT, port 0 for a free one) until SIGINT or SIGTERM. Once
 * listening it logs mod=witness msg=listening addr=<address>.
 */
int witness_serve(const char *dir, const char *listen_addr,
		  struct error *err);


struct api_call;
struct reply;

/* GET /api/v1/witness: the bureau's witnesses (witness_bureau_status). */
int serve_witness(struct api_call *call, struct reply *r, struct error *err);

#endif
