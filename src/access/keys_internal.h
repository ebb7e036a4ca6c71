/*
 * Shared by keys.c and sign.c: the rows of staff keys and signatures in
 * p_kv, the unwrapping of a private key, and the projectors of their
 * entry kinds, which access.c registers.
 *
 * Rows (store/kv.h):
 *
 *   staff-key       by key id: {id, user, alg, public, valid_from,
 *                   valid_until, seq, wrapped_seq, replaced_by,
 *                   revoked}; wrapped_seq is the entry whose content
 *                   contains the current wrapping of the private key
 *   staff-key-user  by user: {current, keys: [id, ...]}
 *   signature       by "<record seq, 20 digits>/<user>/<role>": {seq,
 *                   record, case, user, role, key, alg, commitment,
 *                   signature, at}
 */
#ifndef CASETRAIL_ACCESS_KEYS_INTERNAL_H
#define CASETRAIL_ACCESS_KEYS_INTERNAL_H

#include "internal.h"
#include "sign.h"

#define NS_STAFF_KEY "staff-key"
#define NS_STAFF_KEY_USER "staff-key-user"
#define NS_SIGNATURE "signature"

/* A key id: the first 8 bytes of SM3(04 || x || y) in hex. */
#define KEY_ID_LEN 16

/* Reads a row of ns as JSON inside s; NULL when there is none. */
json_t *keys_row(struct store *s, const char *ns, const char *key);

/*
 * Reads user's current key row in s: 0, or CT_EPERM naming why it
 * cannot sign (none, revoked, replaced, expired at now_ms).
 */
int keys_current(struct store *s, const char *user, int64_t now_ms,
		 json_t **row, struct error *err);

/*
 * Opens the private key of row (wrapped in the content of its
 * wrapped_seq) with password. CT_EPERM when password does not open it.
 */
int keys_unwrap(struct access *a, const json_t *row, const char *password,
		struct key **out, struct error *err);

/* The key row as access_keys_list shows it (a new reference). */
json_t *keys_render(const json_t *row, int64_t now_ms);

/* Projectors (see access_project_fn). */
int project_staff_key(struct access *a, struct store *s,
		      const struct cases_entry *e, struct error *err);
int project_staff_key_rewrap(struct access *a, struct store *s,
			     const struct cases_entry *e, struct error *err);
int project_staff_key_revoke(struct access *a, struct store *s,
			     const struct cases_entry *e, struct error *err);
int project_signature(struct access *a, struct store *s,
		      const struct cases_entry *e, struct error *err);

/* cases_projector.signed_at: the time of a signature row, or -1. */
int64_t keys_signed_at(void *ctx, struct store *s, uint64_t seq,
		       const char *user, const char *role);

#endif
