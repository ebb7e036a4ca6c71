/*
 * The access log: reads of marked content and refused attempts, each an
 * entry of the ledger.
 */
#include "common/common.h"

#include "internal.h"

/* NOTE: a placeholder until the access log is built; it records nothing. */
int access_log(struct access *a, const struct principal *p,
	       const struct access_event *ev, struct error *err)
{
	(void)a, (void)p, (void)ev, (void)err;
	return 0;
}
