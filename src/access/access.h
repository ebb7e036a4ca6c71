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
};

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
