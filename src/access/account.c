/*
 * Accounts: the rows the access module keeps per user, and the entries
 * that grant and revoke roles, set units and clearances, and disable and
 * enable accounts, with their projectors.
 *
 * A user's row in p_users starts as the "user" entry's fields and is
 * rewritten by the projectors here. Its "grants" list the roles with
 * their unit and case bindings; "roles" and "cases" are derived from
 * them, so that access_principal needs to read only those. A role given
 * by the "user" entry itself becomes a grant without a binding the first
 * time a projector here touches the row.
 *
 * 三员分立: no person holds two of the system administrator, security
 * administrator and security auditor roles. The projector of a grant
 * checks it against the projected roles inside the write transaction, so
 * concurrent or reordered grants cannot break it. A replay (catch-up or
 * rebuild) projects what the log says without checking.
 */
#include "common/common.h"

#include "common/jcs.h"
#include "common/log.h"
#include "internal.h"
#include "store/projection.h"

#define REASON_MAX 1024

/* --- rows ------------------------------------------------------------------ */

bool account_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > 64)
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '_' || *p == '-'))
			return false;
	return true;
}

bool access_user_name_valid(const char *name)
{
	return account_name_valid(name);
}

static json_t *parse_object(const struct buf *b)
{
	json_t *v = b->data ? json_loadb(b->data, b->len, 0, NULL) : NULL;

	if (!json_is_object(v)) {
		json_decref(v);
		return NULL;
	}
	return v;
}

json_t *account_user_get(struct store *s, const char *name)
{
	struct buf b = BUF_INIT_MAX(1 << 20);
	json_t *v = NULL;

	if (store_user_get(s, name, &b, NULL) == 0)
		v = parse_object(&b);
	buf_release(&b);
	return v;
}

static int put_text(const json_t *body, char **text, struct error *err)
{
	/* The same form as the workflow's projection of "user" entries. */
	*text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	return *text ? 0 : error_set(err, CT_ENOMEM, "out of memory");
}

int account_user_put(struct store *s, const char *name, uint64_t seq,
		     const json_t *body, struct error *err)
{
	char *text;
	int rc = put_text(body, &text, err);

	if (rc == 0)
		rc = store_user_put(s, name, seq, text, err);
	free(text);
	return rc;
}

json_t *account_kv_get(struct store *s, const char *ns, const char *key)
{
	struct buf b = BUF_INIT_MAX(1 << 20);
	json_t *v = NULL;

	if (store_kv_get(s, ns, key, &b, NULL, NULL) == 0)
		v = parse_object(&b);
	buf_release(&b);
	return v;
}

int account_kv_put(struct store *s, const char *ns, const char *key,
		   uint64_t seq, const json_t *body, struct error *err)
{
	char *text;
	int rc = put_text(body, &text, err);

	if (rc == 0)
		rc = store_kv_put(s, ns, key, seq, text, err);
	if (text)
		crypto_wipe(text, strlen(text));
	free(text);
	return rc;
}

int account_append(struct access *a, const char *kind, const json_t *fields,
		   const struct actor *by, uint64_t *seq, struct error *err)
{
	struct ledger_record rec = {
		.kind = kind,
		.actor = by->user,
		.os_user = by->os_user,
		.fields = fields,
		.supersedes = -1,
		/* A password hash or a TOTP secret is encrypted at rest. */
		.seal = !strcmp(kind, KIND_PASSWORD) ||
			!strcmp(kind, KIND_TOTP_ENROL),
	};
	struct ledger_receipt receipt;
	int rc = ledger_append(a->ledger, &rec, &receipt, err);

	if (rc == 0 && seq)
		*seq = receipt.seq;
	return rc;
}

int account_rows_read(struct access *a, const char *user, bool need_user,
		      struct account_rows *out, struct error *err)
{
	struct store *s;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!account_name_valid(user))
		return error_set(err, need_user ? CT_ENOTFOUND : CT_EINVAL,
				 "user name '%s' is invalid; use 1 to 64 of "
				 "a-z, 0-9, '.', '_' and '-'", user);
	rc = ledger_read_begin(a->ledger, &s, err);
	if (rc)
		return rc;
	out->user = account_user_get(s, user);
	out->password = account_kv_get(s, NS_PASSWORD, user);
	out->failures = account_kv_get(s, NS_FAILURES, user);
	out->totp = account_kv_get(s, NS_TOTP, user);
	out->signin = account_kv_get(s, NS_SIGNIN, user);
	ledger_read_end(a->ledger, s);
	if (need_user && !out->user) {
		account_rows_release(out);
		return error_set(err, CT_ENOTFOUND, "user '%s' not found; add "
				 "the account with 'casetrail user add'", user);
	}
	return 0;
}

int account_secret(struct access *a, const json_t *row, const char *name,
		   char **out, struct error *err)
{
	json_int_t seq = json_integer_value(json_object_get(row, "seq"));
	json_t *fields = NULL;
	const char *text;
	int rc;

	*out = NULL;
	if (!row)
		return CT_ENOTFOUND;
	rc = ledger_content(a->ledger, (uint64_t)seq, &fields, err);
	text = json_string_value(json_object_get(fields, name));
	if (rc == 0 && !text)
		rc = CT_ENOTFOUND; /* expunged, or not of this kind */
	if (rc == 0 && !(*out = strdup(text)))
		rc = error_set(err, CT_ENOMEM, "out of memory");
	if (text)
		crypto_wipe((char *)text, strlen(text));
	json_decref(fields);
	return rc;
}

void account_secret_free(char *secret)
{
	if (secret) {
		crypto_wipe(secret, strlen(secret));
		free(secret);
	}
}

void account_rows_release(struct account_rows *r)
{
	json_decref(r->user);
	json_decref(r->password);
	json_decref(r->failures);
	json_decref(r->totp);
	json_decref(r->signin);
	memset(r, 0, sizeof(*r));
}

/* --- the module's state ---------------------------------------------------- */

int accounts_init(struct access *a, struct error *err)
{
	struct access_config *cfg = &a->cfg;
	struct access_accounts *ac = &a->acct;

	if (!cfg->lockout_failures)
		cfg->lockout_failures = 5;
	if (!cfg->lockout_window_ms)
		cfg->lockout_window_ms = 15 * 60 * 1000LL;
	if (!cfg->lockout_ms)
		cfg->lockout_ms = 15 * 60 * 1000LL;
	if (!cfg->login_rate)
		cfg->login_rate = 10;
	pthread_mutex_init(&ac->mu, NULL);
	pthread_cond_init(&ac->hash_done, NULL);
	ac->last_seen = json_object();
	ac->slots = calloc(THROTTLE_SLOTS, sizeof(*ac->slots));
	if (!ac->last_seen || !ac->slots)
		return error_set(err, CT_ENOMEM, "out of memory");
	return 0;
}

void accounts_release(struct access *a)
{
	struct access_accounts *ac = &a->acct;

	json_decref(ac->last_seen);
	free(ac->slots);
	free(ac->dummy_hash);
	pthread_cond_destroy(&ac->hash_done);
	pthread_mutex_destroy(&ac->mu);
}

/* Reads a positive number of seconds (or a count) from $name into *out. */
static int env_number(const char *name, int64_t max, int64_t *out,
		      struct error *err)
{
	const char *text = getenv(name);
	char *end = NULL;
	long long v;

	if (!text)
		return 0;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || end == text || *end || v < 1 || v > max)
		return error_set(err, CT_EINVAL, "$%s is '%s'; set it to a "
				 "whole number from 1 to %" PRId64, name, text,
				 max);
	*out = v;
	return 0;
}

int access_config_from_env(struct access_config *cfg, struct error *err)
{
	const int64_t day_s = 24 * 3600;
	int64_t ttl = 0, idle = 0, failures = 0, window = 0, lock = 0;
	int64_t rate = 0;
	int rc = env_number("CASETRAIL_SESSION_TTL", 7 * day_s, &ttl, err);

	if (rc == 0)
		rc = env_number("CASETRAIL_SESSION_IDLE", day_s, &idle, err);
	if (rc == 0)
		rc = env_number("CASETRAIL_LOCKOUT_FAILURES", 100, &failures,
				err);
	if (rc == 0)
		rc = env_number("CASETRAIL_LOCKOUT_WINDOW", day_s, &window,
				err);
	if (rc == 0)
		rc = env_number("CASETRAIL_LOCKOUT_DURATION", day_s, &lock,
				err);
	if (rc == 0)
		rc = env_number("CASETRAIL_LOGIN_RATE", 10000, &rate, err);
	if (rc)
		return rc;
	cfg->session_ttl_ms = ttl * 1000;
	cfg->session_idle_ms = idle * 1000;
	cfg->lockout_failures = (int)failures;
	cfg->lockout_window_ms = window * 1000;
	cfg->lockout_ms = lock * 1000;
	cfg->login_rate = (int)rate;
	return 0;
}

/* --- checks ---------------------------------------------------------------- */

/* Checks text given for a unit or a reason: UTF-8, no control bytes. */
static int check_text(const char *what, const char *text, size_t max,
		      struct error *err)
{
	size_t n = strlen(text);

	if (n == 0)
		return error_set(err, CT_EINVAL, "%s is empty", what);
	if (n > max)
		return error_set(err, CT_EINVAL, "%s is longer than %zu bytes",
				 what, max);
	if (!jcs_utf8_valid(text, n))
		return error_set(err, CT_EINVAL, "%s is not valid UTF-8", what);
	for (const char *p = text; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return error_set(err, CT_EINVAL, "%s contains a control "
					 "character", what);
	return 0;
}

/* Refuses a change of by's own account; what names the change. */
static int check_not_self(const char *user, const struct actor *by,
			  const char *what, struct error *err)
{
	if (by->user && !strcmp(by->user, user))
		return error_set(err, CT_EPERM, "'%s' may not %s their own "
				 "account; another administrator must", user,
				 what);
	return 0;
}

/* Checks that user exists before anything is appended for it. */
static int check_user(struct access *a, const char *user, struct error *err)
{
	struct account_rows rows;
	int rc = account_rows_read(a, user, true, &rows, err);

	account_rows_release(&rows);
	return rc;
}

static bool is_party_role(const char *code)
{
	return access_role_parse(code) == ROLE_PARTY;
}

/* Checks a grant or revocation and builds its fields into *out. */
static int grant_fields(struct access *a, const char *user,
			const struct access_grant *g, bool grant,
			json_t **out, struct error *err)
{
	uint64_t last;
	int rc;

	*out = NULL;
	if (!g->role || access_role_parse(g->role) < 0)
		return error_set(err, CT_EINVAL, "role '%s' is unknown or "
				 "carries no permission; use clerk, handler, "
				 "reviewer, legal, approver, head, archivist, "
				 "supervisor, sysadmin, secadmin, auditor, "
				 "case-auditor, officer, server, presiding, "
				 "party, applicant or interested-party",
				 g->role ? g->role : "");
	if (is_party_role(g->role) && grant && !g->case_id)
		return error_set(err, CT_EINVAL, "role '%s' binds a party to "
				 "one case; name the case", g->role);
	if (!is_party_role(g->role) && g->case_id)
		return error_set(err, CT_EINVAL, "role '%s' is not bound to a "
				 "case; only party, applicant and "
				 "interested-party are", g->role);
	if (g->unit) {
		rc = check_text("the unit", g->unit, ACCESS_UNIT_MAX, err);
		if (rc)
			return rc;
	}
	if (g->case_id && grant) {
		rc = cases_last_seq(a->cases, g->case_id, &last, err);
		if (rc == CT_ENOTFOUND)
			return error_set(err, rc, "case '%s' not found",
					 g->case_id);
		if (rc)
			return rc;
	}
	*out = json_pack("{s:s, s:s}", "user", user, "role", g->role);
	if (*out && g->unit)
		json_object_set_new(*out, "unit", json_string(g->unit));
	if (*out && g->case_id)
		json_object_set_new(*out, "case", json_string(g->case_id));
	return *out ? 0 : error_set(err, CT_ENOMEM, "out of memory");
}

/* Appends one account change of kind for user; logs it under what. */
static int change(struct access *a, const char *kind, const char *user,
		  json_t *fields, const struct actor *by, const char *what,
		  struct error *err)
{
	uint64_t seq = 0;
	int rc = account_append(a, kind, fields, by, &seq, err);

	json_decref(fields);
	if (rc == 0)
		log_info("access", what, "user=%s seq=%" PRIu64 " by=%s", user,
			 seq, by->user);
	return rc;
}

/* --- changes --------------------------------------------------------------- */

int access_role_grant(struct access *a, const char *user,
		      const struct access_grant *g, const struct actor *by,
		      struct error *err)
{
	json_t *fields;
	int rc = check_user(a, user, err);

	if (rc == 0)
		rc = check_not_self(user, by, "grant roles to", err);
	if (rc == 0)
		rc = grant_fields(a, user, g, true, &fields, err);
	if (rc)
		return rc;
	return change(a, KIND_ROLE_GRANT, user, fields, by, "role granted",
		      err);
}

int access_role_revoke(struct access *a, const char *user,
		       const struct access_grant *g, const struct actor *by,
		       struct error *err)
{
	json_t *fields;
	int rc = check_user(a, user, err);

	if (rc == 0)
		rc = check_not_self(user, by, "revoke roles of", err);
	if (rc == 0)
		rc = grant_fields(a, user, g, false, &fields, err);
	if (rc)
		return rc;
	return change(a, KIND_ROLE_REVOKE, user, fields, by, "role revoked",
		      err);
}

int access_unit_set(struct access *a, const char *user, const char *unit,
		    const struct actor *by, struct error *err)
{
	int rc = check_user(a, user, err);

	if (rc == 0)
		rc = check_not_self(user, by, "change the unit of", err);
	if (rc == 0 && unit[0])
		rc = check_text("the unit", unit, ACCESS_UNIT_MAX, err);
	if (rc)
		return rc;
	return change(a, KIND_UNIT, user,
		      json_pack("{s:s, s:s}", "user", user, "unit", unit), by,
		      "unit set", err);
}

int access_clearance_set(struct access *a, const char *user,
			 const json_t *marks, const struct actor *by,
			 struct error *err)
{
	bool cleared[MARK_COUNT] = { false };
	json_t *list, *v;
	size_t i;
	int rc = check_user(a, user, err);

	if (rc == 0)
		rc = check_not_self(user, by, "change the clearance of", err);
	if (rc)
		return rc;
	if (!json_is_array(marks))
		return error_set(err, CT_EINVAL, "the clearance is a list of "
				 "marks: commercial-secret, personal, "
				 "sensitive-personal");
	json_array_foreach(marks, i, v) {
		enum access_mark m;

		if (!json_is_string(v))
			return error_set(err, CT_EINVAL, "clearance %zu is not "
					 "a mark's code", i);
		rc = access_mark_parse(json_string_value(v), &m, err);
		if (rc)
			return rc;
		cleared[m] = true;
	}
	/* Stored in the order of the marks, without "none", which is
	 * implied, so that equal clearances look the same. */
	list = json_array();
	for (int m = MARK_NONE + 1; m < MARK_COUNT; m++)
		if (cleared[m])
			json_array_append_new(list, json_string(
				access_mark_code((enum access_mark)m)));
	return change(a, KIND_CLEARANCE, user,
		      json_pack("{s:s, s:o}", "user", user, "clearance", list),
		      by, "clearance set", err);
}

int access_account_disable(struct access *a, const char *user,
			   const char *reason, const struct actor *by,
			   struct error *err)
{
	json_t *fields;
	int rc = check_user(a, user, err);

	if (rc == 0)
		rc = check_not_self(user, by, "disable", err);
	if (rc == 0 && reason)
		rc = check_text("the reason", reason, REASON_MAX, err);
	if (rc)
		return rc;
	fields = json_pack("{s:s}", "user", user);
	if (fields && reason)
		json_object_set_new(fields, "reason", json_string(reason));
	return change(a, KIND_DISABLE, user, fields, by, "account disabled",
		      err);
}

int access_account_enable(struct access *a, const char *user,
			  const struct actor *by, struct error *err)
{
	int rc = check_user(a, user, err);

	if (rc)
		return rc;
	return change(a, KIND_ENABLE, user, json_pack("{s:s}", "user", user),
		      by, "account enabled", err);
}

/* --- status ---------------------------------------------------------------- */

struct session_count {
	const char *user;
	int64_t now_ms;
	int n;
};

static int count_session(void *ctx, const char *key, uint64_t seq,
			 const char *body, size_t len)
{
	struct session_count *sc = ctx;
	json_t *v = json_loadb(body, len, 0, NULL);

	(void)key, (void)seq;
	if (!strcmp(json_string_value(json_object_get(v, "user")) ?: "",
		    sc->user) &&
	    json_integer_value(json_object_get(v, "expires")) > sc->now_ms)
		sc->n++;
	json_decref(v);
	return 0;
}

int access_account_status(struct access *a, const char *user, json_t **out,
			  struct error *err)
{
	struct session_count sc = { user, ledger_now_ms(), 0 };
	struct account_rows rows;
	struct store *s;
	int64_t until;
	char when[32];
	json_t *v;
	int rc = account_rows_read(a, user, true, &rows, err);

	if (rc)
		return rc;
	rc = ledger_read_begin(a->ledger, &s, err);
	if (rc == 0) {
		rc = store_kv_scan(s, NS_SESSION, "", false, 0, 0,
				   count_session, &sc, NULL, err);
		ledger_read_end(a->ledger, s);
	}
	if (rc) {
		account_rows_release(&rows);
		return rc;
	}
	until = lock_until(&a->cfg, rows.failures);
	v = json_pack("{s:s, s:b, s:b, s:b, s:I, s:b, s:b, s:i}",
		      "user", user,
		      "disabled",
		      json_is_true(json_object_get(rows.user, "disabled")),
		      "password_set", rows.password != NULL,
		      "must_change_password",
		      json_is_true(json_object_get(rows.password,
						   "must_change")),
		      "failed_sign_ins",
		      (json_int_t)json_array_size(json_object_get(
			      rows.failures, "times")),
		      "totp_enrolled", rows.totp != NULL,
		      "totp_confirmed",
		      json_is_true(json_object_get(rows.totp, "confirmed")),
		      "sessions", sc.n);
	cases_time_format(until, when);
	json_object_set_new(v, "locked_until", until > sc.now_ms
				   ? json_string(when) : json_null());
	if (rows.signin) {
		cases_time_format(json_integer_value(json_object_get(
					  rows.signin, "at")), when);
		json_object_set_new(v, "last_sign_in", json_pack(
			"{s:s, s:O}", "at", when, "addr",
			json_object_get(rows.signin, "addr")));
	} else {
		json_object_set_new(v, "last_sign_in", json_null());
	}
	account_rows_release(&rows);
	*out = v;
	return 0;
}

/* --- projectors ------------------------------------------------------------ */

/*
 * Loads the user an entry names into *body. Returns 0 with *body NULL
 * when replaying an entry whose user is gone (nothing to project).
 */
static int entry_user(struct store *s, const struct cases_entry *e,
		      const char **user, json_t **body, struct error *err)
{
	*body = NULL;
	*user = json_string_value(json_object_get(e->fields, "user"));
	if (!*user)
		return error_set(err, CT_EINVAL, "%s entry names no user",
				 e->kind);
	*body = account_user_get(s, *user);
	if (!*body && !e->replaying)
		return error_set(err, CT_ENOTFOUND, "user '%s' not found",
				 *user);
	return 0;
}

/* The grants of body, made from its roles the first time. */
static json_t *grants_of(json_t *body)
{
	json_t *grants = json_object_get(body, "grants"), *r;
	size_t i;

	if (json_is_array(grants))
		return grants;
	grants = json_array();
	json_array_foreach(json_object_get(body, "roles"), i, r)
		json_array_append_new(grants, json_pack("{s:O}", "role", r));
	json_object_set_new(body, "grants", grants);
	return grants;
}

static bool in_array(const json_t *list, const char *text)
{
	json_t *v;
	size_t i;

	json_array_foreach(list, i, v)
		if (!strcmp(json_string_value(v) ?: "", text))
			return true;
	return false;
}

/*
 * Derives roles and cases of body from its grants.
 * NOTE: access_principal reads the user's one "unit"; a grant's unit is
 * recorded for the administrators' view but widens no case scope yet.
 */
static void derive_roles(json_t *body)
{
	json_t *roles = json_array(), *cases = json_array(), *g;
	size_t i;

	json_array_foreach(grants_of(body), i, g) {
		const char *role = json_string_value(json_object_get(g, "role"));
		const char *id = json_string_value(json_object_get(g, "case"));

		if (role && !in_array(roles, role))
			json_array_append_new(roles, json_string(role));
		if (id && !in_array(cases, id))
			json_array_append_new(cases, json_string(id));
	}
	json_object_set_new(body, "roles", roles);
	if (json_array_size(cases))
		json_object_set(body, "cases", cases);
	else
		json_object_del(body, "cases");
	json_decref(cases);
}

/* Whether grant g has the same role and bindings as the entry's fields. */
static bool same_grant(const json_t *g, const json_t *fields, bool exact)
{
	static const char *const keys[] = { "role", "unit", "case" };

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const char *want = json_string_value(json_object_get(fields,
								     keys[i]));
		const char *have = json_string_value(json_object_get(g,
								     keys[i]));

		if (!want && !exact)
			continue;
		if (want ? !have || strcmp(want, have) : have != NULL)
			return false;
	}
	return true;
}

/*
 * Refuses a second administration role (三员分立), and any case role
 * beside an administration role: the administrators read no case
 * content, which a case role would let them do.
 */
static int check_separation(const json_t *body, const char *user,
			    const char *role, struct error *err)
{
	int r = access_role_parse(role);
	bool admin = r >= 0 && (ROLE_BIT(r) & ROLES_ADMIN);
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(body, "roles"), i, v) {
		const char *code = json_string_value(v) ?: "";
		int held = access_role_parse(code);
		bool held_admin = held >= 0 && (ROLE_BIT(held) & ROLES_ADMIN);

		if (held == r || !strcmp(code, role))
			continue;
		if (admin && held_admin)
			return error_set(err, CT_EPERM, "'%s' holds the %s "
					 "role, and no person may hold two of "
					 "the system administrator, security "
					 "administrator and security auditor "
					 "roles (三员分立); revoke %s first",
					 user, code, code);
		if (admin || held_admin)
			return error_set(err, CT_EPERM, "'%s' holds the %s "
					 "role, and an administration role "
					 "(sysadmin, secadmin, auditor) is "
					 "never held with another role, since "
					 "administrators read no case content; "
					 "revoke %s first", user, code, code);
	}
	return 0;
}

int project_role_grant(struct access *a, struct store *s,
		       const struct cases_entry *e, struct error *err)
{
	const char *user, *role;
	json_t *body, *grants, *g;
	size_t i;
	int rc;

	(void)a;
	if (!e->fields)
		return 0;
	rc = entry_user(s, e, &user, &body, err);
	role = json_string_value(json_object_get(e->fields, "role"));
	if (rc || !body)
		return rc;
	if (!role) {
		json_decref(body);
		return error_set(err, CT_EINVAL, "role-grant entry names no "
				 "role");
	}
	grants = grants_of(body);
	if (!e->replaying) {
		rc = check_separation(body, user, role, err);
		json_array_foreach(grants, i, g)
			if (rc == 0 && same_grant(g, e->fields, true))
				rc = error_set(err, CT_EEXIST, "'%s' holds "
					       "role '%s' with these bindings "
					       "already", user, role);
	}
	if (rc == 0) {
		g = json_deep_copy(e->fields);
		json_object_del(g, "user");
		json_object_set_new(g, "seq", json_integer((json_int_t)e->seq));
		json_array_append_new(grants, g);
		derive_roles(body);
		rc = account_user_put(s, user, e->seq, body, err);
	}
	json_decref(body);
	return rc;
}

int project_role_revoke(struct access *a, struct store *s,
			const struct cases_entry *e, struct error *err)
{
	const char *user, *role;
	json_t *body, *grants;
	size_t removed = 0;
	int rc;

	(void)a;
	if (!e->fields)
		return 0;
	rc = entry_user(s, e, &user, &body, err);
	role = json_string_value(json_object_get(e->fields, "role"));
	if (rc || !body)
		return rc;
	grants = grants_of(body);
	for (size_t i = 0; i < json_array_size(grants);) {
		if (same_grant(json_array_get(grants, i), e->fields, false)) {
			json_array_remove(grants, i);
			removed++;
		} else {
			i++;
		}
	}
	if (!removed && !e->replaying)
		rc = error_set(err, CT_ENOTFOUND, "'%s' does not hold role "
			       "'%s'%s", user, role ? role : "",
			       json_object_get(e->fields, "unit") ||
					       json_object_get(e->fields, "case")
				       ? " with these bindings" : "");
	if (rc == 0) {
		derive_roles(body);
		rc = account_user_put(s, user, e->seq, body, err);
	}
	json_decref(body);
	return rc;
}

int project_unit(struct access *a, struct store *s,
		 const struct cases_entry *e, struct error *err)
{
	const char *user, *unit;
	json_t *body;
	int rc;

	(void)a;
	if (!e->fields)
		return 0;
	rc = entry_user(s, e, &user, &body, err);
	if (rc || !body)
		return rc;
	unit = json_string_value(json_object_get(e->fields, "unit"));
	if (unit && unit[0])
		json_object_set_new(body, "unit", json_string(unit));
	else
		json_object_del(body, "unit");
	rc = account_user_put(s, user, e->seq, body, err);
	json_decref(body);
	return rc;
}

int project_clearance(struct access *a, struct store *s,
		      const struct cases_entry *e, struct error *err)
{
	const char *user;
	json_t *body, *marks;
	int rc;

	(void)a;
	if (!e->fields)
		return 0;
	rc = entry_user(s, e, &user, &body, err);
	if (rc || !body)
		return rc;
	marks = json_object_get(e->fields, "clearance");
	json_object_set_new(body, "clearance",
			    json_is_array(marks) ? json_deep_copy(marks)
						 : json_array());
	rc = account_user_put(s, user, e->seq, body, err);
	json_decref(body);
	return rc;
}

int project_disable(struct access *a, struct store *s,
		    const struct cases_entry *e, struct error *err)
{
	const char *user;
	json_t *body;
	int rc;

	(void)a;
	if (!e->fields)
		return 0;
	rc = entry_user(s, e, &user, &body, err);
	if (rc || !body)
		return rc;
	if (!e->replaying && json_is_true(json_object_get(body, "disabled")))
		rc = error_set(err, CT_EEXIST, "the account '%s' is disabled "
			       "already", user);
	if (rc == 0) {
		json_object_set_new(body, "disabled", json_true());
		rc = account_user_put(s, user, e->seq, body, err);
	}
	if (rc == 0)
		rc = sessions_drop(s, user, NULL, e->ts_ms, err);
	json_decref(body);
	return rc;
}

int project_enable(struct access *a, struct store *s,
		   const struct cases_entry *e, struct error *err)
{
	const char *user;
	json_t *body;
	int rc;

	(void)a;
	if (!e->fields)
		return 0;
	rc = entry_user(s, e, &user, &body, err);
	if (rc || !body)
		return rc;
	if (!e->replaying && !json_is_true(json_object_get(body, "disabled")))
		rc = error_set(err, CT_EEXIST, "the account '%s' is enabled "
			       "already", user);
	if (rc == 0) {
		json_object_del(body, "disabled");
		rc = account_user_put(s, user, e->seq, body, err);
	}
	json_decref(body);
	return rc;
}

/* Whether user u (its p_users row) holds an administration role. */
static bool row_holds_admin(const json_t *u)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(u, "roles"), i, v) {
		int r = access_role_parse(json_string_value(v) ?: "");

		if (r >= 0 && (ROLE_BIT(r) & ROLES_ADMIN))
			return true;
	}
	return false;
}

int account_check_admin_reset(struct access *a, const char *user,
			      const struct actor *by, const char *what,
			      struct error *err)
{
	struct error ignored = { 0 };
	json_t *u = NULL;
	bool admin;
	int rc;

	if (!by->user || !strcmp(by->user, user))
		return 0;
	if (cases_user_get(a->cases, user, &u, &ignored) != 0)
		return 0;
	admin = row_holds_admin(u);
	json_decref(u);
	if (!admin)
		return 0;
	/* An actor without an account is the operator at the console. */
	u = NULL;
	error_clear(&ignored);
	rc = cases_user_get(a->cases, by->user, &u, &ignored);
	json_decref(u);
	if (rc == CT_ENOTFOUND)
		return 0;
	return error_set(err, CT_EPERM, "'%s' holds an administration role, "
			 "so '%s' may not reset their %s: one administrator "
			 "could then take over another's account; the "
			 "operators reset it at the console, without --as "
			 "naming an account", user, by->user, what);
}
