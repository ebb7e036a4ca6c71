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

/*
 * The bureau's view of its witnesses for GET /api/v1/witness, set by
 * http_serve while its pusher runs (NULL otherwise).
 */
struct witness_pusher;
struct ledger;

#endif
