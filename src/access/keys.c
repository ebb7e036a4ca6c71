/*
 * Staff signing keys: one SM2 key pair per staff member, the private key
 * wrapped under a key derived from their password.
 */
#include "common/common.h"

#include "internal.h"

/* NOTE: placeholders until staff keys are built; they issue nothing. */
int keys_issue(struct access *a, const char *user, const char *password,
	       const struct actor *by, struct error *err)
{
	(void)a, (void)user, (void)password, (void)by, (void)err;
	return 0;
}

int keys_rewrap(struct access *a, const char *user, const char *old_pw,
		const char *new_pw, const struct actor *by,
		struct error *err)
{
	(void)a, (void)user, (void)old_pw, (void)new_pw, (void)by, (void)err;
	return 0;
}
