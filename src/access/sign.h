/*
 * Staff signing keys and the SM2 signatures staff make over records
 * (keys.c, sign.c).
 *
 * Each staff member has one current SM2 key pair. The private key is
 * never stored in the clear. It is wrapped under a key derived from the
 * member's password with argon2id, encrypted with SM4-CTR and
 * authenticated with HMAC-SM3. The "staff-key" entry that records it is
 * itself encrypted at rest (content.h). A newer key, issued at a
 * password reset, makes the older one stop signing; it still verifies
 * what it signed. The security administrator revokes a key with a
 * "staff-key-revoke" entry; a revoked or expired key signs nothing.
 *
 * A signature is an entry of kind "signature" appended by the signer
 * after the record: an SM2 signature (SM3, distinguishing ID SM2_DISTID)
 * of the statement of crypto.h (staff_statement), which names the store,
 * the record's seq, the role, the signer and the record's content
 * commitment. Anyone can verify it from the public key the "staff-key"
 * entry records (docs/access.md shows it with the openssl command).
 *
 * Errors: CT_EPERM for a wrong password, a revoked, expired or missing
 * key, or a person the record does not name as a signer; CT_EINVAL for
 * malformed input; CT_ENOTFOUND for an unknown user, key or record;
 * CT_EEXIST for a signature made already.
 */
#ifndef CASETRAIL_ACCESS_SIGN_H
#define CASETRAIL_ACCESS_SIGN_H

#include <jansson.h>
#include <stdint.h>

#include "access/access.h"

#define KIND_STAFF_KEY "staff-key"
#define KIND_STAFF_KEY_REWRAP "staff-key-rewrap"
#define KIND_STAFF_KEY_REVOKE "staff-key-revoke"
#define KIND_SIGNATURE "signature"

/* The signature algorithm a "signature" entry names. */
#define SIGN_ALG "sm2-sm3"

/* Days a staff key is valid unless $CASETRAIL_KEY_VALID_DAYS sets it. */
#define KEY_VALID_DAYS_DEFAULT 1096

/*
 * Issues a new key to user wrapped under password, valid until
 * valid_until_ms (0: the default lifetime). When the user has a
 * password, password must be it (CT_EPERM otherwise), so that the key
 * opens with what the member signs in with. Returns the key's row as
 * access_keys_list gives it in *out (may be NULL).
 */
int access_key_issue(struct access *a, const char *user, const char *password,
		     int64_t valid_until_ms, const struct actor *by,
		     json_t **out, struct error *err);

/*
 * Revokes key id for reason, as by, whom the caller checked for
 * ACT_KEY_REVOKE. Returns the key's row. CT_ESTATE when it was revoked
 * already.
 */
int access_key_revoke(struct access *a, const struct actor *by,
		      const char *id, const char *reason, json_t **out,
		      struct error *err);

/*
 * Returns {"items": [key rows]}, of user (all users when NULL), newest
 * first: {id, user, alg, public (PEM), valid_from, valid_until (RFC
 * 3339), seq, state ("current", "replaced", "revoked", "expired"),
 * replaced_by, revoked {seq, by, at, reason}}. Never a private key.
 */
int access_keys_list(struct access *a, const char *user, json_t **out,
		     struct error *err);

/* Reads one key's row as access_keys_list gives it; CT_ENOTFOUND. */
int access_key_get(struct access *a, const char *id, json_t **out,
		   struct error *err);

/*
 * A staff member's private key, unwrapped in memory for one signature.
 * access_signer_open checks that user's current key may sign (not
 * revoked, replaced or expired, the account not locked) and opens it
 * with password. A wrong password counts as a failed sign-in from addr.
 * access_signer_close wipes the key.
 */
struct staff_signer;
int access_signer_open(struct access *a, const char *user,
		       const char *password, const char *addr,
		       struct staff_signer **out, struct error *err);
void access_signer_close(struct staff_signer *sg);

/*
 * Checks, before a record exists, that user may sign a record of kind
 * with fields, written by author, in role: the fields name user as a
 * staff signer of that role, or role is "author" and user wrote it.
 */
int access_sign_allowed(const char *user, const char *role,
			const char *kind, const json_t *fields,
			const char *author, struct error *err);

/*
 * Signs record seq in role with sg and appends the "signature" entry, as
 * by (who must be the signer). Returns the signature as
 * access_signatures lists it in *out (may be NULL).
 */
int access_sign(struct access *a, struct staff_signer *sg, uint64_t seq,
		const char *role, const struct actor *by, json_t **out,
		struct error *err);

/*
 * Returns {"record", "commitment", "items": [signatures]} for record seq,
 * oldest first. Each is {seq, record, case, user, role, key, alg,
 * commitment, signature (base64 DER), at, statement (the signed text),
 * public (PEM), key_state}.
 */
int access_signatures(struct access *a, uint64_t seq, json_t **out,
		      struct error *err);

#endif
