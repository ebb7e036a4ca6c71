/*
 * Shared by the files of the access module: the module's state and the
 * projectors of its entry kinds.
 */
#ifndef CASETRAIL_ACCESS_INTERNAL_H
#define CASETRAIL_ACCESS_INTERNAL_H

#include <pthread.h>

#include "access.h"
#include "store/kv.h"

/*
 * The in-memory part of sign-ins (password.c, session.c): how many
 * passwords are being hashed, the attempts per client address, and the
 * time of each session's last request. None of it is in the log, so a
 * restart forgets it: the per-address limits start afresh, and a
 * session's idle time is counted from its last entry (sign-in or TOTP).
 */
struct throttle_slot {
	char addr[ACCESS_ADDR_MAX];
	double tokens;  /* attempts left; refilled at cfg.login_rate/min */
	int64_t at_ms;  /* when tokens was last brought up to date */
};

#define THROTTLE_SLOTS 1024

struct access_accounts {
	pthread_mutex_t mu;
	pthread_cond_t hash_done; /* a hash slot became free */
	int hashing, waiting;     /* hashes running; callers waiting */
	char *dummy_hash; /* verified for unknown names, for equal timing */
	json_t *last_seen; /* session hash -> ms of its last request */
	struct throttle_slot *slots; /* THROTTLE_SLOTS of them */
};

struct access {
	struct ledger *ledger;
	struct cases *cases;
	struct access_config cfg;
	enum hash_alg alg;
	pthread_mutex_t mu; /* guards the in-memory state below */
	struct access_accounts acct; /* guarded by acct.mu */
	struct copies *copies; /* copy requests and the inquiry */
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

/* --- accounts and sign-ins ------------------------------------------------ */

/* Entry kinds of accounts (account.c, password.c, totp.c). */
#define KIND_PASSWORD "password-set"
#define KIND_ROLE_GRANT "role-grant"
#define KIND_ROLE_REVOKE "role-revoke"
#define KIND_UNIT "unit-set"
#define KIND_CLEARANCE "clearance-set"
#define KIND_DISABLE "account-disable"
#define KIND_ENABLE "account-enable"
#define KIND_TOTP_ENROL "totp-enrol"
#define KIND_TOTP_RESET "totp-reset"
/* Entry kinds of sign-ins (session.c). */
#define KIND_LOGIN "login"
#define KIND_LOGIN_FACTOR "login-second-factor"
#define KIND_LOGIN_FAILURE "login-failure"
#define KIND_LOGOUT "logout"

/*
 * The rows of accounts in p_kv (store/kv.h). Each namespace is keyed by
 * user name, except NS_SESSION, which is keyed by session hash:
 *
 *   password  {must_change, reason, set, seq}: the current password,
 *             whose argon2id hash is in the content of entry seq
 *   failures  {times: [ms, ...]}: failed sign-ins since the last
 *             successful one or password change, oldest first, at most
 *             FAILURES_KEPT; lockout is computed from them
 *   totp      {confirmed, last_step, seq}: the enrolment, whose secret
 *             is in the content of entry seq; whether a code was ever
 *             accepted, and the time step of the last accepted code
 *             (replays are refused)
 *   session   {user, created, expires, last, second_factor, seq}: a live
 *             session; last is the time of its last entry
 *   signin    {at, addr, seq}: the last successful sign-in
 *
 * The user's row in p_users carries what access_principal reads: roles,
 * grants [{role, unit, case, seq}], unit, clearance, cases, disabled.
 */
#define NS_PASSWORD "password"
#define NS_FAILURES "failures"
#define NS_TOTP "totp"
#define NS_SESSION "session"
#define NS_SIGNIN "signin"

#define FAILURES_KEPT 32

/* Sets up and frees the state of sign-ins (access_open, access_close). */
int accounts_init(struct access *a, struct error *err);
void accounts_release(struct access *a);

/* Whether name is a login name: 1 to 64 of a-z, 0-9, '.', '_', '-'. */
bool account_name_valid(const char *name);

/*
 * Reads and writes rows as JSON inside a transaction. The getters return
 * NULL for a missing or unreadable row; the caller owns the result.
 */
json_t *account_user_get(struct store *s, const char *name);
int account_user_put(struct store *s, const char *name, uint64_t seq,
		     const json_t *body, struct error *err);
json_t *account_kv_get(struct store *s, const char *ns, const char *key);
int account_kv_put(struct store *s, const char *ns, const char *key,
		   uint64_t seq, const json_t *body, struct error *err);

/*
 * Appends an entry of an access kind that names no case, with fields
 * (borrowed), as by. *seq (may be NULL) receives its seq.
 */
int account_append(struct access *a, const char *kind, const json_t *fields,
		   const struct actor *by, uint64_t *seq, struct error *err);

/*
 * Reads user's row and account rows in one snapshot; each out pointer
 * may be NULL and receives NULL when there is no row. CT_ENOTFOUND when
 * need_user and there is no such user.
 */
struct account_rows {
	json_t *user, *password, *failures, *totp, *signin;
};
/*
 * Refuses a reset of what (a password, a TOTP) of user when user holds an
 * administration role and by is another account: the system
 * administrator could otherwise take over the security administrator's
 * or the auditor's account. Such a reset is the operators' act at the
 * console (an actor without an account). Returns 0 or CT_EPERM.
 */
int account_check_admin_reset(struct access *a, const char *user,
			      const struct actor *by, const char *what,
			      struct error *err);

int account_rows_read(struct access *a, const char *user, bool need_user,
		      struct account_rows *out, struct error *err);
void account_rows_release(struct account_rows *r);

/*
 * Reads member name ("hash", "secret") of the content of the entry that
 * row names by its "seq" into *out, which the caller frees with
 * account_secret_free (it wipes it). CT_ENOTFOUND when row is NULL or
 * the content was expunged. The entries that carry a password hash or a
 * TOTP secret are sealed (encrypted at rest, content.h) and the rows
 * keep only their seq, so neither is readable from the database file.
 */
int account_secret(struct access *a, const json_t *row, const char *name,
		   char **out, struct error *err);
void account_secret_free(char *secret);

/* password.c */

/* Hashes pw with argon2id into out (ACCOUNT_HASH_MAX bytes). */
#define ACCOUNT_HASH_MAX 128
int password_hash(struct access *a, const char *pw, char *out,
		  struct error *err);
/*
 * Verifies pw against an encoded hash in constant time (argon2id_verify);
 * a NULL hash is verified against a dummy one, so that an unknown user
 * takes as long. Returns 0 on a match, CT_EPERM on none, CT_EBUSY when
 * too many hashes wait.
 */
int password_verify(struct access *a, const char *hash, const char *pw,
		    struct error *err);
/* Draws a one-time password of ACCESS_OTP_LEN letters and digits. */
int password_draw(char *out, struct error *err);
/* Hashes pw and appends a "password-set" entry for user. */
int password_store(struct access *a, const char *user, const char *pw,
		   bool must_change, const char *reason, const char *keep,
		   const struct actor *by, struct error *err);
/* Returns when the failures row locks its account (0: not locked). */
int64_t lock_until(const struct access_config *cfg, const json_t *failures);
/* Appends a "login-failure" entry for user (a valid name) from addr. */
int failure_record(struct access *a, const char *user, const char *addr,
		   const char *reason, struct error *err);

/* session.c */

/*
 * Deletes the session rows of user (of nobody when NULL) except keep
 * (may be NULL), and every row of any user that expired by now_ms.
 */
int sessions_drop(struct store *s, const char *user, const char *keep,
		  int64_t now_ms, struct error *err);
/*
 * Takes one attempt from addr's allowance. Returns false, with the wait
 * in *retry_ms, when none is left.
 */
bool throttle_take(struct access *a, const char *addr, int64_t *retry_ms);

/* totp.c */

/*
 * Checks code against the base32 secret at the current time, ±1 step.
 * Returns 0 with the code's time step in *step, CT_EPERM for a wrong
 * code, CT_EINVAL for one that is not 6 digits.
 */
int totp_check(const char *secret, const char *code, uint64_t *step,
	       struct error *err);

/* Projectors of the kinds above. */
int project_password(struct access *a, struct store *s,
		     const struct cases_entry *e, struct error *err);
int project_role_grant(struct access *a, struct store *s,
		       const struct cases_entry *e, struct error *err);
int project_role_revoke(struct access *a, struct store *s,
			const struct cases_entry *e, struct error *err);
int project_unit(struct access *a, struct store *s,
		 const struct cases_entry *e, struct error *err);
int project_clearance(struct access *a, struct store *s,
		      const struct cases_entry *e, struct error *err);
int project_disable(struct access *a, struct store *s,
		    const struct cases_entry *e, struct error *err);
int project_enable(struct access *a, struct store *s,
		   const struct cases_entry *e, struct error *err);
int project_totp_enrol(struct access *a, struct store *s,
		       const struct cases_entry *e, struct error *err);
int project_totp_reset(struct access *a, struct store *s,
		       const struct cases_entry *e, struct error *err);
int project_login(struct access *a, struct store *s,
		  const struct cases_entry *e, struct error *err);
int project_login_factor(struct access *a, struct store *s,
			 const struct cases_entry *e, struct error *err);
int project_login_failure(struct access *a, struct store *s,
			  const struct cases_entry *e, struct error *err);
int project_logout(struct access *a, struct store *s,
		   const struct cases_entry *e, struct error *err);

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

/* Whether kind is an entry kind of the access module (access.c). */
bool access_owns(struct access *a, const char *kind);

/* Projectors of the kinds of marks.c, log.c and expunge.c. */
int project_mark(struct access *a, struct store *s,
		 const struct cases_entry *e, struct error *err);
int project_access(struct access *a, struct store *s,
		   const struct cases_entry *e, struct error *err);
int project_expunge_approval(struct access *a, struct store *s,
			     const struct cases_entry *e, struct error *err);

/*
 * Keeps e for the security auditor when its actor holds sysadmin or
 * secadmin (log.c); called for every entry of the access module once its
 * own projector accepted it.
 */
int audit_note(struct access *a, struct store *s, const struct cases_entry *e,
	       struct error *err);

/* audit_note for the entries of the workflow's own kinds (accounts made
 * with 'user add', tokens, calendar years): cases_projector.observe. */
int audit_observe(void *ctx, struct store *s, const struct cases_entry *e,
		  struct error *err);

/* Renders each case record's mark in cases_show (marks.c). */
void marks_attach(struct access *a);

/*
 * Sets *has to whether user name holds role, as the projection stands
 * inside the transaction of s; an unknown user holds none.
 */
int store_user_has_role(struct store *s, const char *name, const char *role,
			bool *has, struct error *err);

#endif
