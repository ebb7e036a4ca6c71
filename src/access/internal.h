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

/*
 * Staff signing keys (keys.c). keys_issue draws a new SM2 key pair for
 * user, wraps the private key under a key derived from password and
 * appends it as a "staff-key" entry; an older key of the user stops
 * signing. keys_rewrap re-wraps the current key under new_pw after a
 * password change, appending a "staff-key-rewrap" entry. Both return 0
 * or a negative code; old_pw that does not open the key is CT_EPERM.
 */
int keys_issue(struct access *a, const char *user, const char *password,
	       const struct actor *by, struct error *err);
int keys_rewrap(struct access *a, const char *user, const char *old_pw,
		const char *new_pw, const struct actor *by,
		struct error *err);

#endif
