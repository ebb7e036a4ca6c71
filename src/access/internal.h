/*
 * Shared by the files of the access module: the module's state and the
 * projectors of its entry kinds.
 */
#ifndef CASETRAIL_ACCESS_INTERNAL_H
#define CASETRAIL_ACCESS_INTERNAL_H

#include <pthread.h>

#include "access.h"
#include "store/kv.h"

struct access {
	struct ledger *ledger;
	struct cases *cases;
	struct access_config cfg;
	enum hash_alg alg;
	pthread_mutex_t mu; /* guards the in-memory state below */
};

/*
 * Projects one entry of an access kind inside the write transaction. When
 * e->replaying is 0 it also checks the entry against the projected state
 * (an account that exists, a role that 三员分立 allows) and rejects it with
 * CT_EINVAL, CT_EPERM or CT_EEXIST.
 */
typedef int (*access_project_fn)(struct access *a, struct store *s,
				 const struct cases_entry *e,
				 struct error *err);

struct access_kind {
	const char *kind;
	access_project_fn fn;
};

/* Namespaces of the p_kv rows the access module keeps. */
#define NS_SESSION "session"   /* session hash -> {user, expires, ...} */

#endif
