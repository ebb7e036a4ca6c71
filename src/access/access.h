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

struct access;

/*
 * The default mark of records of kind: data/record-kinds.json's
 * "confidentiality", MARK_NONE for a kind it does not list.
 */
enum access_mark access_kind_mark(struct access *a, const char *kind);

/*
 * The mark a record's content carries by itself: its kind's default,
 * raised by the "mark" member of fields, and raised to sensitive-personal
 * when a string among fields contains a resident identity card number. A
 * correction carries the mark of the fields it gives. fields may be NULL
 * (content gone).
 */
enum access_mark access_content_mark(struct access *a, const char *kind,
				     const json_t *fields);

/*
 * Whether text contains a resident identity card number (GB 11643: 17
 * digits and a check character, with a valid birth date and check)
 * standing alone, not inside a longer run of letters or digits.
 */
bool access_has_resident_id(const char *text);

/*
 * The default mark of a media file of type: photo, video and surveillance
 * (faces) and an unknown type (NULL) are sensitive-personal, audio is
 * personal, and "other" (neither picture nor sound) is none.
 */
enum access_mark access_media_type_mark(const char *type);

/*
 * Reads the mark the security administrator gave target ("record:SEQ",
 * "media:SEQ"). Returns 0, CT_ENOTFOUND (without a message) when none was
 * given, or another code.
 */
int access_mark_override(struct access *a, const char *target,
			 enum access_mark *out, struct error *err);

/*
 * Reads the mark of a media file, row as media_get returns it: the
 * security administrator's, else its type's default raised by the mark
 * given at ingest ("mark").
 */
int access_media_mark(struct access *a, const json_t *row,
		      enum access_mark *out, struct error *err);

/*
 * Returns the marks the security administrator gave records of case_id,
 * as an object from seq (decimal text) to mark code (caller's reference),
 * with the seq of the newest change under the key "" when there is one.
 */
int access_case_overrides(struct access *a, const char *case_id,
			  json_t **out, struct error *err);

struct principal;

/*
 * Changes the mark of target ("record:SEQ" or "media:SEQ") to mark, for
 * reason, as p (ACT_MARK_SET): appends a "mark" entry; os_user names the
 * OS account of a command, NULL for the server. Returns the stored
 * change {target, mark, previous, reason, by, seq, at, case} in *out.
 * CT_EPERM when p may not, or for "state-secret"; CT_EINVAL for a
 * malformed target, mark or reason; CT_ENOTFOUND for an unknown target.
 */
int access_mark_set(struct access *a, const struct principal *p,
		    const char *os_user, const char *target, const char *mark,
		    const char *reason, json_t **out, struct error *err);

/*
 * Reads the case (CASE_ID_MAX + 1 bytes, "" for none) and kind (64 bytes)
 * of entry seq, either may be NULL. CT_ENOTFOUND for an unknown seq.
 */
int access_record_case(struct access *a, uint64_t seq, char *case_id,
		       char *kind, struct error *err);

/* Reads the last change of target's mark as access_mark_set returns it;
 * CT_ENOTFOUND when there was none. */
int access_mark_get(struct access *a, const char *target, json_t **out,
		    struct error *err);

/*
 * Returns a record's stub: what anyone who may read the case sees of a
 * record withheld from them (seq, kind, name, recorded, happened, case),
 * with its mark m and why it is withheld.
 */
json_t *access_record_stub(const json_t *record, enum access_mark m,
			   const char *why);

/*
 * Removes the applicant's personal members (applicant_id, contact,
 * address) from a case summary unless p is cleared for personal
 * information, or for sensitive personal information when one holds a
 * resident identity card number. Returns the mark of what was left in:
 * MARK_NONE when nothing was.
 */
enum access_mark access_redact_summary(const struct principal *p,
				       json_t *summary);

/*
 * Replaces each record of the array records (as cases_show renders them,
 * with "mark") whose mark is not in readable (bits from access_readable)
 * with its stub. overrides (access_case_overrides, may be NULL) replaces
 * the marks it names. *shown is raised to the highest mark left shown.
 */
int access_redact_records(struct access *a, const struct principal *p,
			  json_t *records, const json_t *overrides,
			  uint32_t readable, enum access_mark *shown);

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
/* The three administration roles; a person has at most one of them. */
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

/* Frees the case list a principal owns. */
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
	ACT_DOCUMENT_ISSUE,  /* render and seal an official document */
	ACT_DOCUMENT_READ,   /* list and read issued documents (mark applies) */
	ACT_FINDINGS_READ,
	ACT_CASE_FILE_SEAL,  /* seal and export a case file (案卷) */
	ACT_CASE_FILE_READ,  /* list a case's sealed case files */
	ACT_UPLOAD,          /* a file for a record's attachments */
	ACT_MEDIA_INGEST,
	ACT_MEDIA_READ,      /* a file's metadata */
	ACT_MEDIA_CONTENT,   /* a file's bytes (mark applies) */
	ACT_MEDIA_LINK,      /* link, state capture time, justify */
	ACT_RETENTION,       /* holds and releases */
	ACT_COPY_REQUEST,
	ACT_COPY_DECIDE,
	ACT_COPY_READ,
	ACT_PUBLICITY_EXPORT, /* 双公示 files of granted licences */
	ACT_REPORT_READ,     /* evaluation reports, annual statistics */
	ACT_CASE_REVIEW,     /* a case's review score sheet (案卷评查) */
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

/*
 * Decides whether p may do act on t. Returns 0, or CT_EPERM with err
 * saying what is missing in words a user can act on. Never appends: the
 * caller records refusals with access_log_refusal.
 */
int access_decide(struct access *a, const struct principal *p,
		  enum access_action act, const struct access_target *t,
		  struct error *err);

/*
 * Fills *marks with a bit (1u << mark) for each mark whose content p may
 * read under act in case_id (ACT_RECORD_READ, ACT_MEDIA_CONTENT): none
 * when the role or the case refuses, else the marks p is cleared for.
 * Returns 0, or CT_EPERM with err saying why p may not act at all, or
 * another code (CT_ENOTFOUND for an unknown case).
 */
int access_readable(struct access *a, const struct principal *p,
		    enum access_action act, const char *case_id,
		    uint32_t *marks, struct error *err);

/*
 * Whether p's roles let it do act in every case, so that a list need not
 * be filtered case by case: a rule of the whole bureau that p's roles
 * meet, or a case rule that one of p's bureau-wide roles meets.
 */
bool access_bureau_wide(const struct principal *p, enum access_action act);

/*
 * Returns the policy table as docs/access.md lists it: {"actions":
 * [{action, roles, scope, clearance, party}], "bureau_wide": [roles whose
 * case scope is every case]}. scope is none, anyone, bureau or case.
 */
json_t *access_policy_json(void);

/* Whether p is cleared for content marked m (MARK_NONE always). */
bool access_cleared(const struct principal *p, enum access_mark m);

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

/*
 * Counts the end of a request as activity of ss, so that a long request
 * (an upload) does not make the session look idle.
 */
void access_session_touch(struct access *a, const struct access_session *ss);

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
	const char *target;    /* "record:SEQ", "media:SEQ", "case:ID"... */
	enum access_mark mark;
	bool refused;
	const char *reason;    /* why it was refused; NULL for a read */
	const char *os_user;   /* the OS account of a command; NULL */
};

/*
 * Appends an "access" entry for ev by p (who, what, when, from where):
 * {user, action, case, target, mark, outcome "read" or "refused", from,
 * reason}. Refusals are counted per user: ACCESS_REFUSALS_MAX of them
 * within ACCESS_REFUSALS_WINDOW_MS raise the finding unauthorized-access,
 * naming the user and their superior. Returns 0 or a negative code; a
 * failure to record a read must fail the read.
 */
int access_log(struct access *a, const struct principal *p,
	       const struct access_event *ev, struct error *err);

#define ACCESS_REFUSALS_MAX 5
#define ACCESS_REFUSALS_WINDOW_MS (10 * 60 * 1000LL)

struct access_log_query {
	const char *case_id;  /* NULL for every case */
	const char *user;     /* NULL for every user */
	const char *outcome;  /* "read", "refused" or NULL for both */
	size_t offset, limit; /* limit 0: 50; at most 500 */
};

/*
 * Returns the access log, newest first: {"items": [{seq, at, user,
 * action, case, target, mark, outcome, from, reason}], "total",
 * "offset", "limit"}.
 */
int access_log_list(struct access *a, const struct access_log_query *q,
		    json_t **out, struct error *err);

/*
 * Returns the acts of the system and security administrators (entries of
 * the access module by a user holding sysadmin or secadmin when they
 * were recorded), newest first, as {"items": [{seq, at, kind, actor,
 * fields}], "total", "offset", "limit"}. user and kind (may be NULL)
 * filter them.
 */
int access_audit_list(struct access *a, const char *user, const char *kind,
		      size_t offset, size_t limit, json_t **out,
		      struct error *err);

/* --- expunge approvals (expunge.c) ----------------------------------------- */

/*
 * Records the security administrator's approval (ACT_EXPUNGE_APPROVE) to
 * expunge the content of entry seq, or with blob set its attachment
 * blob, for reason: an "expunge-approval" entry by p; os_user as for
 * access_mark_set. Returns the approval as access_expunge_approval does.
 */
int access_expunge_approve(struct access *a, const struct principal *p,
			   const char *os_user, uint64_t seq, const char *blob,
			   const char *reason, json_t **out,
			   struct error *err);

/*
 * Reads the approval to expunge seq (and blob): {seq, blob, reason,
 * approval (its seq), by, at}. CT_EPERM, saying how to record one, when
 * there is none.
 */
int access_expunge_approval(struct access *a, uint64_t seq,
			    const char *blob, json_t **out,
			    struct error *err);

/*
 * Expunges as ledger_expunge does, by by, once the security
 * administrator approved exactly this: the approver is recorded as
 * approved_by. approved_by (may be NULL) must name that approver.
 * CT_EPERM without an approval, for another approver, or when the
 * approver no longer holds secadmin.
 */
int access_expunge(struct access *a, uint64_t seq, const char *blob,
		   const char *reason, const char *approved_by,
		   const struct actor *by, struct ledger_receipt *receipt,
		   struct error *err);

#endif
