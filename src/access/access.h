/*
 * People and what they may do: accounts, roles, units, clearances,
 * passwords, sessions, staff signing keys, confidentiality marks, the
 * access log and copy requests.
 *
 * The access module sits above the workflow. It opens the workflow with a
 * projector of its own (cases_open_with), so that its entries (account,
 * role and clearance changes, logins, marks, reads of marked content,
 * signatures, copy requests) are projected in the same transaction as
 * they are appended and rebuilt with everything else.
 *
 * Who may do what is decided in one place, access_decide (policy.c), from
 * the principal's roles, unit, case bindings and clearance. The front
 * ends call it for every request before any handler runs; docs/access.md
 * lists the same table in words.
 *
 * Errors: CT_EPERM names what is missing (a role, a case, a clearance);
 * CT_EINVAL the malformed value; CT_ENOTFOUND the unknown user or case.
 */
#ifndef CASETRAIL_ACCESS_H
#define CASETRAIL_ACCESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "cases/cases.h"
#include "common/error.h"
#include "ledger/ledger.h"

/* --- marks ---------------------------------------------------------------- */

/*
 * Confidentiality marks, from open to most protected. State secrets have
 * no mark: casetrail never stores them (access_mark_parse refuses
 * "state-secret" with the explanation).
 */
enum access_mark {
	MARK_NONE,
	MARK_COMMERCIAL_SECRET,  /* 商业秘密 */
	MARK_PERSONAL,           /* 个人信息 */
	MARK_SENSITIVE_PERSONAL, /* 敏感个人信息 */
	MARK_COUNT
};

/* "none", "commercial-secret", "personal", "sensitive-personal". */
const char *access_mark_code(enum access_mark m);

/*
 * Parses a mark's code. "state-secret" (or 国家秘密) is CT_EPERM with the
 * rule: such material is not stored; record where it is kept instead.
 */
int access_mark_parse(const char *code, enum access_mark *out,
		      struct error *err);

/* --- roles and principals ------------------------------------------------- */

/* The roles of data/record-kinds.json that carry permissions. */
enum access_role {
	ROLE_CLERK,
	ROLE_HANDLER,
	ROLE_REVIEWER,
	ROLE_LEGAL,
	ROLE_APPROVER,
	ROLE_HEAD,
	ROLE_ARCHIVIST,
	ROLE_SUPERVISOR,
	ROLE_SYSADMIN,   /* 系统管理员 */
	ROLE_SECADMIN,   /* 安全保密管理员 */
	ROLE_AUDITOR,    /* 安全审计员 */
	ROLE_CASE_AUDITOR,
	ROLE_OFFICER,
	ROLE_SERVER,
	ROLE_PRESIDING,
	ROLE_PARTY,      /* applicant, party or interested party */
	ROLE_COUNT
};

#define ROLE_BIT(r) (1u << (r))
/* The three administration roles, which no person holds two of. */
#define ROLES_ADMIN \
	(ROLE_BIT(ROLE_SYSADMIN) | ROLE_BIT(ROLE_SECADMIN) | \
	 ROLE_BIT(ROLE_AUDITOR))

/* The code of role r as data/record-kinds.json spells it. */
const char *access_role_code(enum access_role r);
/* Parses a role code; "applicant" and "interested-party" are ROLE_PARTY.
 * Returns -1 for a code that carries no permission of its own. */
int access_role_parse(const char *code);

#define ACCESS_UNIT_MAX 128
#define ACCESS_ADDR_MAX 64

/* The person behind a request or a command, as access_principal loads. */
struct principal {
	char user[LEDGER_NAME_MAX + 1];
	char unit[ACCESS_UNIT_MAX + 1];
	uint32_t roles;      /* ROLE_BIT per role held */
	uint32_t clearance;  /* 1u << mark, per mark cleared; MARK_NONE always */
	json_t *cases;       /* the cases a party is bound to (array), or NULL */
	bool disabled;
	bool cookie;         /* authenticated by a session cookie: CSRF applies */
	bool second_factor;  /* the session passed TOTP */
	char addr[ACCESS_ADDR_MAX]; /* the client address, or "cli" */
};

/* Frees what a principal holds (its cases). */
void principal_release(struct principal *p);

/* --- the policy ----------------------------------------------------------- */

/*
 * What a request or command does. Every HTTP route and every command that
 * touches content declares one; access_decide is the only place that
 * turns it into yes or no.
 */
enum access_action {
	ACT_PUBLIC,          /* no principal needed: health, the log's tiles */
	ACT_SELF,            /* one's own session, password, key, profile */
	ACT_CATALOGUE_READ,  /* matters, record kinds, laws, calendar */
	ACT_CALENDAR_ADMIN,  /* import a calendar year */
	ACT_STAFF_READ,      /* list staff: names, units, roles */
	ACT_ACCOUNT_ADMIN,   /* create, update, disable accounts; passwords */
	ACT_GRANT,           /* roles, units, clearances */
	ACT_MARK_SET,        /* change a record's or file's mark */
	ACT_KEY_REVOKE,      /* revoke a staff signing key */
	ACT_EXPUNGE_APPROVE, /* approve destroying content */
	ACT_AUDIT_READ,      /* the access log and the administrators' acts */
	ACT_CASE_LIST,
	ACT_CASE_CREATE,
	ACT_CASE_READ,       /* a case's summary and record list */
	ACT_RECORD_READ,     /* a record's content (mark applies) */
	ACT_RECORD_ADD,      /* kind applies */
	ACT_RECORD_CORRECT,
	ACT_FINDINGS_READ,
	ACT_UPLOAD,          /* a file for a record's attachments */
	ACT_MEDIA_INGEST,
	ACT_MEDIA_READ,      /* a file's metadata */
	ACT_MEDIA_CONTENT,   /* a file's bytes (mark applies) */
	ACT_MEDIA_LINK,      /* link, state capture time, justify */
	ACT_RETENTION,       /* holds and releases */
	ACT_COPY_REQUEST,
	ACT_COPY_DECIDE,
	ACT_COPY_READ,
	ACT_COUNT
};

/* The short name of an action, as docs/access.md and the log spell it. */
const char *access_action_name(enum access_action act);

/* What an action is done to; every member may be NULL or MARK_NONE. */
struct access_target {
	const char *case_id;
	const char *kind;      /* a record kind, for ACT_RECORD_ADD */
	enum access_mark mark; /* of the content read */
	const char *user;      /* an account acted on, for ACT_SELF */
};

struct access;

/*
 * Decides whether p may do act on t. Returns 0, or CT_EPERM with err
 * saying what is missing in words a user can act on. Never appends: the
 * caller records refusals with access_log_refusal.
 */
int access_decide(struct access *a, const struct principal *p,
		  enum access_action act, const struct access_target *t,
		  struct error *err);

/* --- the module ------------------------------------------------------------ */

struct access_config {
	int64_t session_ttl_ms;  /* absolute lifetime of a login; 0: 8 h */
	int64_t session_idle_ms; /* idle timeout; 0: 30 min */
	int lockout_failures;    /* failed sign-ins that lock; 0: 5 */
	int64_t lockout_window_ms; /* ...within this time; 0: 15 min */
	int64_t lockout_ms;      /* how long the lock lasts; 0: 15 min */
	int login_rate;          /* sign-in attempts per minute and client
				    address, also the burst; 0: 10 */
};

/*
 * Fills cfg from the environment of the server: CASETRAIL_SESSION_TTL
 * and CASETRAIL_SESSION_IDLE (seconds), CASETRAIL_LOCKOUT_FAILURES,
 * CASETRAIL_LOCKOUT_WINDOW and CASETRAIL_LOCKOUT_DURATION (seconds) and
 * CASETRAIL_LOGIN_RATE (attempts per minute). An unset variable leaves
 * its member 0, the default. Returns 0 or CT_EINVAL naming the variable.
 */
int access_config_from_env(struct access_config *cfg, struct error *err);

/*
 * Opens the workflow on l and data_dir with the access projector, and
 * loads the access state. cfg may be NULL for the defaults. l stays owned
 * by the caller.
 */
int access_open(struct ledger *l, const char *data_dir,
		const struct access_config *cfg, struct access **out,
		struct error *err);
/* Closes the module and the workflow it opened. */
void access_close(struct access *a);

struct cases *access_cases(struct access *a);
struct ledger *access_ledger(struct access *a);

/*
 * Loads user's principal: roles, unit, clearance, case bindings.
 * CT_ENOTFOUND for an unknown user, CT_EPERM for a disabled account.
 * addr names where the request came from ("cli" for the command line).
 */
int access_principal(struct access *a, const char *user, const char *addr,
		     struct principal *out, struct error *err);

/* --- accounts (account.c, password.c, totp.c) ----------------------------- */

/*
 * An account is a "user" entry of the workflow plus the entries below,
 * each appended by the acting user `by` and projected into the user's
 * row (roles, unit, clearance, cases, disabled), which access_principal
 * reads. The three administration roles are never held by one person:
 * the projector of a grant checks that against the projected roles, in
 * the same transaction, so no order of grants can break it.
 *
 * These functions check the input and the account's state, not whether
 * `by` may act: the front ends ask access_decide first (ACT_ACCOUNT_ADMIN
 * for account and password changes, ACT_GRANT for roles, units and
 * clearances). Nobody changes their own roles, unit or clearance, or
 * disables their own account (CT_EPERM).
 */

/* Whether name is a login name: 1 to 64 of a-z, 0-9, '.', '_', '-'. */
bool access_user_name_valid(const char *name);

/* A password is at most this many bytes; buffers add the NUL. */
#define ACCESS_PASSWORD_MAX 256
/* Length of a generated one-time password (letters and digits). */
#define ACCESS_OTP_LEN 16

/*
 * Checks pw against the password policy for user: at least 12
 * characters, at least three of lower-case, upper-case, digits and
 * other characters, no control characters, not containing the user
 * name, not a commonly used password. CT_EINVAL says which rule failed
 * and never quotes the password.
 */
int access_password_policy(const char *user, const char *pw,
			   struct error *err);

/*
 * Registers an account from user (as cases_user_add takes it). With otp
 * not NULL it also sets a one-time password, written to otp
 * (ACCESS_OTP_LEN + 1 bytes), that must be changed at the first sign-in,
 * and issues the staff signing key. Returns the user in *out (may be
 * NULL).
 */
int access_account_create(struct access *a, const json_t *user,
			  const struct actor *by, char *otp, json_t **out,
			  struct error *err);

/*
 * Replaces user's password with a new one-time password written to otp
 * (ACCESS_OTP_LEN + 1 bytes). Ends the user's sessions, clears their
 * failed sign-ins and issues a new staff signing key (the old one stops
 * signing).
 */
int access_password_reset(struct access *a, const char *user,
			  const struct actor *by, char *otp,
			  struct error *err);

/*
 * Changes user's password from old_pw to new_pw, which must satisfy the
 * policy and differ from old_pw, and re-wraps their staff signing key.
 * Ends the user's other sessions; keep_session (a session hash, may be
 * NULL) stays. A wrong old_pw counts as a failed sign-in (CT_EPERM); a
 * locked account is CT_EPERM too.
 */
int access_password_change(struct access *a, const char *user,
			   const char *old_pw, const char *new_pw,
			   const char *keep_session, const char *addr,
			   const struct actor *by, struct error *err);

/* One role given to an account; unit and case_id may be NULL. */
struct access_grant {
	const char *role;    /* a code access_role_parse knows */
	const char *unit;    /* the unit the role is held in */
	const char *case_id; /* for party roles: the case; required */
};

/*
 * Grants or revokes a role ("role-grant", "role-revoke" entries). A
 * party role (party, applicant, interested-party) needs a case and binds
 * the account to it; other roles take no case. Revoking without unit
 * or case removes every grant of the role. CT_EPERM for a grant that
 * would give one person two administration roles, CT_EEXIST for a role
 * held already with the same binding, CT_ENOTFOUND for one not held.
 */
int access_role_grant(struct access *a, const char *user,
		      const struct access_grant *g, const struct actor *by,
		      struct error *err);
int access_role_revoke(struct access *a, const char *user,
		       const struct access_grant *g, const struct actor *by,
		       struct error *err);

/* Sets user's unit ("unit-set"); an empty unit removes it. */
int access_unit_set(struct access *a, const char *user, const char *unit,
		    const struct actor *by, struct error *err);

/*
 * Sets the marks user is cleared for ("clearance-set"): marks is an
 * array of access_mark_parse codes and replaces the earlier clearance;
 * "none" is implied and may be left out.
 */
int access_clearance_set(struct access *a, const char *user,
			 const json_t *marks, const struct actor *by,
			 struct error *err);

/* Disables an account, ending its sessions, or enables it again. */
int access_account_disable(struct access *a, const char *user,
			   const char *reason, const struct actor *by,
			   struct error *err);
int access_account_enable(struct access *a, const char *user,
			  const struct actor *by, struct error *err);

/*
 * Returns the state of user's account: {user, disabled, password_set,
 * must_change_password, failed_sign_ins, locked_until, totp_enrolled,
 * totp_confirmed, sessions, last_sign_in}; never a hash or a secret.
 */
int access_account_status(struct access *a, const char *user, json_t **out,
			  struct error *err);

/* TOTP (RFC 6238): HMAC-SHA1, 6 digits, 30-second steps, ±1 step. */
#define ACCESS_TOTP_SECRET_MAX 64  /* base32 of the 20-byte secret, NUL */
#define ACCESS_TOTP_URI_MAX 256

/*
 * Enrols user in TOTP with a new secret ("totp-enrol"), replacing any
 * earlier one. Writes the base32 secret and an otpauth:// URI for an
 * authenticator app to secret and uri, which the caller shows once.
 */
int access_totp_enrol(struct access *a, const char *user,
		      const struct actor *by, char *secret, char *uri,
		      struct error *err);

/* Removes user's TOTP enrolment ("totp-reset"), so they enrol again. */
int access_totp_reset(struct access *a, const char *user,
		      const char *reason, const struct actor *by,
		      struct error *err);

/* --- sessions (session.c) -------------------------------------------------- */

/*
 * A browser session: the cookie value is 32 random bytes (base64url, with
 * "cs_" before them), drawn anew at every sign-in and never taken from
 * the client. The log and the projection store only its hash. The CSRF
 * token is derived from the session id, so it is not stored either.
 */
#define ACCESS_SESSION_ID_MAX 64
#define ACCESS_CSRF_MAX 64

struct access_session {
	bool active;             /* a session authenticated the request */
	char user[LEDGER_NAME_MAX + 1];
	char id[ACCESS_SESSION_ID_MAX]; /* the cookie value; wiped after use */
	char hash[HASH_TEXT_MAX];
	char csrf[ACCESS_CSRF_MAX];
	int64_t created_ms, expires_ms, idle_expires_ms;
	bool second_factor_required; /* holds an administration role */
	bool second_factor;          /* a TOTP code was given */
	bool totp_enrolled;
	bool must_change_password;   /* signed in with a one-time password */
};

/* Why a sign-in or a TOTP code was refused. */
enum access_refusal {
	ACCESS_REFUSED_NONE,
	ACCESS_REFUSED_CREDENTIALS, /* wrong name, password or code */
	ACCESS_REFUSED_LOCKED,      /* too many failures for the account */
	ACCESS_REFUSED_THROTTLED,   /* too many attempts from the address */
	ACCESS_REFUSED_DISABLED,
};

/*
 * Signs user in with password from client address addr ("login" entry)
 * and fills out with a new session. A refusal is CT_EPERM with *why set,
 * *retry_after_ms when waiting helps, and a message that never says
 * whether the account exists; every refusal of a well-formed name is a
 * "login-failure" entry. CT_EBUSY when too many passwords are being
 * hashed at once.
 */
int access_login(struct access *a, const char *user, const char *password,
		 const char *addr, struct access_session *out,
		 enum access_refusal *why, int64_t *retry_after_ms,
		 struct error *err);

/*
 * Finds the session of cookie value id and fills out. CT_EPERM for an
 * unknown, ended or expired session; an expired one is ended with a
 * "logout" entry the first time it is seen. Counts as activity for the
 * idle timeout.
 */
int access_session_get(struct access *a, const char *id,
		       struct access_session *out, struct error *err);

/* Whether token is ss's CSRF token, compared in constant time. */
bool access_session_csrf_ok(const struct access_session *ss,
			    const char *token);

/*
 * Checks the TOTP code for ss's user ("login-second-factor" entry) and
 * marks ss as having passed it. Refusals as access_login; a code already
 * used (or older than the last one used) is refused, and a wrong one
 * counts as a failed sign-in. CT_ESTATE when the user has no TOTP.
 */
int access_session_second_factor(struct access *a, struct access_session *ss,
				 const char *code, const char *addr,
				 enum access_refusal *why,
				 int64_t *retry_after_ms, struct error *err);

/*
 * Enrols ss's user in TOTP as access_totp_enrol, allowed when they have
 * no confirmed enrolment yet or the session has passed the second
 * factor; CT_EPERM otherwise.
 */
int access_session_totp_enrol(struct access *a,
			      const struct access_session *ss, char *secret,
			      char *uri, struct error *err);

/* Ends ss ("logout" entry from addr). */
int access_logout(struct access *a, const struct access_session *ss,
		  const char *addr, struct error *err);

/*
 * Refuses (CT_EPERM) any action but ACT_SELF and ACT_PUBLIC to a session
 * that must first change its one-time password or give its TOTP code.
 */
int access_session_limit(const struct access_session *ss,
			 enum access_action act, struct error *err);

/* --- the access log (log.c) ------------------------------------------------ */

/* One read of marked content, or one refused attempt. */
struct access_event {
	enum access_action action;
	const char *case_id;   /* may be NULL */
	const char *target;    /* "record:SEQ", "media:HASH", "user:NAME"... */
	enum access_mark mark;
	bool refused;
	const char *reason;    /* why it was refused; NULL for a read */
};

/*
 * Appends an "access" entry for ev by p (who, what, when, from where).
 * Refusals are counted: repeated ones raise unauthorized-access. Returns
 * 0 or a negative code; a failure to record a read must fail the read.
 */
int access_log(struct access *a, const struct principal *p,
	       const struct access_event *ev, struct error *err);

#endif
