/*
 * Sign-ins and browser sessions.
 *
 * A sign-in checks the per-address allowance (a token bucket of
 * cfg.login_rate attempts a minute), then the account's lock, then the
 * password, and appends "login" or "login-failure". A session is a row
 * keyed by the hash of its id with an absolute expiry (cfg.session_ttl_ms
 * after the sign-in, stated in the entry) and an idle timeout
 * (cfg.session_idle_ms after its last request). The time of the last
 * request is kept in memory only: after a restart it is the time of the
 * session's last entry, so that a restart never extends a session.
 *
 * An administration role needs a TOTP code after the password
 * ("login-second-factor"), and a one-time password must be changed
 * first: until then access_session_limit allows ACT_SELF alone.
 */
#include "common/common.h"

#include "common/log.h"
#include "internal.h"

#define SESSION_PREFIX "cs_"
#define SESSION_RAW_LEN 32
/* base64url of 32 bytes without padding is 43 characters. */
#define SESSION_ID_LEN (sizeof(SESSION_PREFIX) - 1 + 43)
/* The CSRF token is a hash of this label and the session id. */
#define CSRF_LABEL "casetrail-csrf\n"

/* Past this many entries, last_seen forgets sessions idle too long. */
#define LAST_SEEN_MAX 65536

static const char wrong_credentials[] =
	"the user name or password is wrong";

/* --- ids and tokens -------------------------------------------------------- */

/* Writes n bytes as base64url without padding into out (max bytes). */
static int encode_url(const uint8_t *raw, size_t n, char *out, size_t max,
		      struct error *err)
{
	struct buf b64 = BUF_INIT_MAX(256);
	int rc = 0;

	if (base64_encode(raw, n, &b64) != 0)
		rc = error_set(err, CT_ENOMEM, "out of memory");
	while (rc == 0 && b64.len && b64.data[b64.len - 1] == '=')
		b64.data[--b64.len] = '\0';
	for (size_t i = 0; rc == 0 && i < b64.len; i++) {
		if (b64.data[i] == '+')
			b64.data[i] = '-';
		else if (b64.data[i] == '/')
			b64.data[i] = '_';
	}
	if (rc == 0 && b64.len >= max)
		rc = error_set(err, CT_EINVAL, "encoded value too long");
	if (rc == 0)
		memcpy(out, b64.data, b64.len + 1);
	if (b64.data)
		crypto_wipe(b64.data, b64.len);
	buf_release(&b64);
	return rc;
}

static void session_hash(struct access *a, const char *id,
			 char out[HASH_TEXT_MAX])
{
	uint8_t digest[HASH_LEN];

	hash_buf(a->alg, id, strlen(id), digest);
	hash_format(a->alg, digest, out);
}

/* The CSRF token of session id: a hash that only the id opens. */
static int csrf_of(struct access *a, const char *id, char *out,
		   struct error *err)
{
	char text[sizeof(CSRF_LABEL) + ACCESS_SESSION_ID_MAX];
	uint8_t digest[HASH_LEN];
	int n = snprintf(text, sizeof(text), "%s%s", CSRF_LABEL, id);
	int rc;

	hash_buf(a->alg, text, (size_t)n, digest);
	rc = encode_url(digest, sizeof(digest), out, ACCESS_CSRF_MAX, err);
	crypto_wipe(text, sizeof(text));
	crypto_wipe(digest, sizeof(digest));
	return rc;
}

/* Draws a new session id with its hash and CSRF token into ss. */
static int session_draw(struct access *a, struct access_session *ss,
			struct error *err)
{
	uint8_t raw[SESSION_RAW_LEN];
	char body[48]; /* 43 characters and the NUL */
	int rc = 0;

	if (crypto_random(raw, sizeof(raw)) != 0)
		return error_set(err, CT_ECRYPTO, "cannot draw a session id");
	rc = encode_url(raw, sizeof(raw), body, sizeof(body), err);
	crypto_wipe(raw, sizeof(raw));
	if (rc == 0)
		snprintf(ss->id, sizeof(ss->id), SESSION_PREFIX "%s", body);
	crypto_wipe(body, sizeof(body));
	if (rc == 0)
		session_hash(a, ss->id, ss->hash);
	if (rc == 0)
		rc = csrf_of(a, ss->id, ss->csrf, err);
	return rc;
}

/* Whether id has the form session_draw gives, before it is hashed. */
static bool session_id_valid(const char *id)
{
	if (!id || strlen(id) != SESSION_ID_LEN ||
	    strncmp(id, SESSION_PREFIX, sizeof(SESSION_PREFIX) - 1))
		return false;
	for (const char *p = id + sizeof(SESSION_PREFIX) - 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return false;
	return true;
}

bool access_session_csrf_ok(const struct access_session *ss,
			    const char *token)
{
	size_t n = strlen(ss->csrf);
	unsigned char diff = 0;

	if (!ss->active || !n || !token || strlen(token) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(ss->csrf[i] ^ token[i]);
	return diff == 0;
}

/* --- in-memory state ------------------------------------------------------- */

static int64_t monotonic_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

bool throttle_take(struct access *a, const char *addr, int64_t *retry_ms)
{
	struct access_accounts *ac = &a->acct;
	double rate = a->cfg.login_rate, per_ms = rate / 60000.0;
	struct throttle_slot *slot = NULL, *oldest = &ac->slots[0];
	int64_t now = monotonic_ms();
	bool ok;

	if (!addr || !addr[0])
		addr = "-";
	pthread_mutex_lock(&ac->mu);
	for (size_t i = 0; i < THROTTLE_SLOTS && !slot; i++) {
		struct throttle_slot *t = &ac->slots[i];

		if (!strcmp(t->addr, addr))
			slot = t;
		else if (!t->addr[0] ? oldest->addr[0] != '\0'
				     : oldest->addr[0] && t->at_ms < oldest->at_ms)
			oldest = t;
	}
	if (!slot) {
		/* An unused slot, else the one idle longest. */
		slot = oldest;
		snprintf(slot->addr, sizeof(slot->addr), "%s", addr);
		slot->tokens = rate;
		slot->at_ms = now;
	}
	slot->tokens += (double)(now - slot->at_ms) * per_ms;
	if (slot->tokens > rate)
		slot->tokens = rate;
	slot->at_ms = now;
	ok = slot->tokens >= 1.0;
	if (ok)
		slot->tokens -= 1.0;
	else
		*retry_ms = (int64_t)((1.0 - slot->tokens) / per_ms) + 1;
	pthread_mutex_unlock(&ac->mu);
	return ok;
}

static void last_seen_set(struct access *a, const char *hash, int64_t now)
{
	struct access_accounts *ac = &a->acct;

	pthread_mutex_lock(&ac->mu);
	if (json_object_size(ac->last_seen) >= LAST_SEEN_MAX) {
		const char *key;
		json_t *v, *tmp;

		json_object_foreach_safe(ac->last_seen, tmp, key, v)
			if (now - json_integer_value(v) >=
			    a->cfg.session_idle_ms)
				json_object_del(ac->last_seen, key);
	}
	if (json_object_size(ac->last_seen) < LAST_SEEN_MAX)
		json_object_set_new(ac->last_seen, hash,
				    json_integer((json_int_t)now));
	pthread_mutex_unlock(&ac->mu);
}

/* Returns the time of hash's last request in this process, or 0. */
static int64_t last_seen_get(struct access *a, const char *hash)
{
	int64_t at;

	pthread_mutex_lock(&a->acct.mu);
	at = json_integer_value(json_object_get(a->acct.last_seen, hash));
	pthread_mutex_unlock(&a->acct.mu);
	return at;
}

static void last_seen_del(struct access *a, const char *hash)
{
	pthread_mutex_lock(&a->acct.mu);
	json_object_del(a->acct.last_seen, hash);
	pthread_mutex_unlock(&a->acct.mu);
}

/* --- sessions -------------------------------------------------------------- */

static bool holds_admin_role(const json_t *user)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(user, "roles"), i, v) {
		int r = access_role_parse(json_string_value(v) ?: "");

		if (r >= 0 && (ROLE_BIT(r) & ROLES_ADMIN))
			return true;
	}
	return false;
}

/* Fills the members of ss that come from the account's rows. */
static void session_fill(struct access_session *ss,
			 const struct account_rows *rows)
{
	ss->active = true;
	ss->second_factor_required = holds_admin_role(rows->user);
	ss->totp_enrolled = rows->totp != NULL;
	ss->must_change_password =
		json_is_true(json_object_get(rows->password, "must_change"));
}

/* Returns a refusal: CT_EPERM with *why set and err's message. */
static int refuse(enum access_refusal *why, enum access_refusal reason,
		  struct error *err, const char *msg, int64_t wait_ms)
{
	*why = reason;
	if (wait_ms > 0)
		return error_set(err, CT_EPERM, "%s; try again in %" PRId64
				 " seconds", msg, (wait_ms + 999) / 1000);
	return error_set(err, CT_EPERM, "%s", msg);
}

/* Refuses an attempt on a locked account, recording it. */
static int refuse_locked(struct access *a, const char *user,
			 const char *addr, int64_t until,
			 enum access_refusal *why, int64_t *retry_ms,
			 struct error *err)
{
	struct error ignored = { 0 };

	*retry_ms = until - ledger_now_ms();
	failure_record(a, user, addr, "locked", &ignored);
	return refuse(why, ACCESS_REFUSED_LOCKED, err, "the account is "
		      "locked after repeated failed sign-ins", *retry_ms);
}

/* Appends the "login" entry of a new session into ss. */
static int session_open(struct access *a, const char *user, const char *addr,
			struct access_session *ss, struct error *err)
{
	struct actor by = { user, NULL };
	int64_t now = ledger_now_ms();
	uint64_t seq = 0;
	json_t *fields;
	int rc = session_draw(a, ss, err);

	if (rc)
		return rc;
	snprintf(ss->user, sizeof(ss->user), "%s", user);
	ss->created_ms = now;
	ss->expires_ms = now + a->cfg.session_ttl_ms;
	ss->idle_expires_ms = now + a->cfg.session_idle_ms;
	fields = json_pack("{s:s, s:s, s:s, s:I}", "user", user, "session",
			   ss->hash, "addr", addr ? addr : "", "expires",
			   (json_int_t)ss->expires_ms);
	rc = fields ? account_append(a, KIND_LOGIN, fields, &by, &seq, err)
		    : error_set(err, CT_ENOMEM, "out of memory");
	json_decref(fields);
	if (rc)
		return rc;
	last_seen_set(a, ss->hash, now);
	log_info("access", "signed in", "user=%s addr=%s seq=%" PRIu64, user,
		 addr ? addr : "-", seq);
	return 0;
}

int access_login(struct access *a, const char *user, const char *password,
		 const char *addr, struct access_session *out,
		 enum access_refusal *why, int64_t *retry_after_ms,
		 struct error *err)
{
	struct account_rows rows = { 0 };
	char *hash = NULL;
	int64_t until;
	int rc;

	memset(out, 0, sizeof(*out));
	*why = ACCESS_REFUSED_NONE;
	*retry_after_ms = 0;
	if (!throttle_take(a, addr, retry_after_ms))
		return refuse(why, ACCESS_REFUSED_THROTTLED, err, "too many "
			      "sign-in attempts from this address",
			      *retry_after_ms);
	/* A malformed name or password names no account: nothing to log. */
	if (!account_name_valid(user) || !password ||
	    strlen(password) > ACCESS_PASSWORD_MAX)
		return refuse(why, ACCESS_REFUSED_CREDENTIALS, err,
			      wrong_credentials, 0);
	rc = account_rows_read(a, user, false, &rows, err);
	if (rc)
		return rc;
	until = lock_until(&a->cfg, rows.failures);
	if (until > ledger_now_ms()) {
		rc = refuse_locked(a, user, addr, until, why, retry_after_ms,
				   err);
		goto out;
	}
	rc = rows.user ? account_secret(a, rows.password, "hash", &hash, err)
		       : CT_ENOTFOUND;
	if (rc && rc != CT_ENOTFOUND)
		goto out;
	rc = password_verify(a, hash, password, err);
	if (rc == CT_EPERM) {
		struct error ignored = { 0 };

		failure_record(a, user, addr,
			       rows.user ? "password" : "unknown-user",
			       &ignored);
		rc = refuse(why, ACCESS_REFUSED_CREDENTIALS, err,
			    wrong_credentials, 0);
		goto out;
	}
	if (rc)
		goto out;
	if (json_is_true(json_object_get(rows.user, "disabled"))) {
		struct error ignored = { 0 };

		failure_record(a, user, addr, "disabled", &ignored);
		*why = ACCESS_REFUSED_DISABLED;
		rc = error_set(err, CT_EPERM, "the account '%s' is disabled; "
			       "ask the system administrator", user);
		goto out;
	}
	rc = session_open(a, user, addr, out, err);
	if (rc == 0)
		session_fill(out, &rows);
out:
	account_secret_free(hash);
	account_rows_release(&rows);
	if (rc)
		crypto_wipe(out, sizeof(*out));
	return rc;
}

/* Ends a session found expired, once: a second "logout" is rejected. */
static void session_expire(struct access *a, const char *user,
			   const char *hash, const char *reason)
{
	struct actor by = { user, NULL };
	struct error err = { 0 };
	json_t *fields = json_pack("{s:s, s:s, s:s}", "user", user,
				   "session", hash, "reason", reason);

	last_seen_del(a, hash);
	if (fields && account_append(a, KIND_LOGOUT, fields, &by, NULL,
				     &err) == 0)
		log_info("access", "session ended", "user=%s reason=%s", user,
			 reason);
	json_decref(fields);
}

/* Reads the session row of hash and its user's rows in one snapshot. */
static int session_rows(struct access *a, const char *hash, json_t **row,
			struct account_rows *rows, struct error *err)
{
	const char *user;
	struct store *s;
	int rc = ledger_read_begin(a->ledger, &s, err);

	memset(rows, 0, sizeof(*rows));
	if (rc)
		return rc;
	*row = account_kv_get(s, NS_SESSION, hash);
	user = json_string_value(json_object_get(*row, "user"));
	if (user) {
		rows->user = account_user_get(s, user);
		rows->password = account_kv_get(s, NS_PASSWORD, user);
		rows->totp = account_kv_get(s, NS_TOTP, user);
	}
	ledger_read_end(a->ledger, s);
	return 0;
}

int access_session_get(struct access *a, const char *id,
		       struct access_session *out, struct error *err)
{
	struct account_rows rows;
	json_t *row = NULL;
	int64_t now = ledger_now_ms(), last;
	const char *user;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!session_id_valid(id))
		return error_set(err, CT_EPERM, "the session is unknown; sign "
				 "in again");
	session_hash(a, id, out->hash);
	rc = session_rows(a, out->hash, &row, &rows, err);
	if (rc)
		return rc;
	user = json_string_value(json_object_get(row, "user"));
	last = last_seen_get(a, out->hash);
	if (!last)
		last = json_integer_value(json_object_get(row, "last"));
	out->expires_ms = json_integer_value(json_object_get(row, "expires"));
	if (!user || !rows.user)
		rc = error_set(err, CT_EPERM, "the session has ended or is "
			       "unknown; sign in again");
	else if (now >= out->expires_ms) {
		session_expire(a, user, out->hash, "expired");
		rc = error_set(err, CT_EPERM, "the session expired; sign in "
			       "again");
	} else if (now - last >= a->cfg.session_idle_ms) {
		session_expire(a, user, out->hash, "idle");
		rc = error_set(err, CT_EPERM, "the session ended after %" PRId64
			       " minutes without a request; sign in again",
			       a->cfg.session_idle_ms / 60000);
	}
	if (rc == 0) {
		snprintf(out->user, sizeof(out->user), "%s", user);
		snprintf(out->id, sizeof(out->id), "%s", id);
		rc = csrf_of(a, id, out->csrf, err);
	}
	if (rc == 0) {
		out->created_ms =
			json_integer_value(json_object_get(row, "created"));
		out->idle_expires_ms = now + a->cfg.session_idle_ms;
		out->second_factor =
			json_is_true(json_object_get(row, "second_factor"));
		session_fill(out, &rows);
		last_seen_set(a, out->hash, now);
	}
	json_decref(row);
	account_rows_release(&rows);
	if (rc)
		crypto_wipe(out, sizeof(*out));
	return rc;
}

int access_session_second_factor(struct access *a, struct access_session *ss,
				 const char *code, const char *addr,
				 enum access_refusal *why,
				 int64_t *retry_after_ms, struct error *err)
{
	struct account_rows rows;
	struct actor by = { ss->user, NULL };
	struct error ignored = { 0 };
	uint64_t step = 0, last;
	int64_t until;
	json_t *fields;
	char *secret = NULL;
	int rc;

	*why = ACCESS_REFUSED_NONE;
	*retry_after_ms = 0;
	if (!throttle_take(a, addr, retry_after_ms))
		return refuse(why, ACCESS_REFUSED_THROTTLED, err, "too many "
			      "sign-in attempts from this address",
			      *retry_after_ms);
	rc = account_rows_read(a, ss->user, true, &rows, err);
	if (rc)
		return rc;
	until = lock_until(&a->cfg, rows.failures);
	last = (uint64_t)json_integer_value(json_object_get(rows.totp,
							    "last_step"));
	if (until > ledger_now_ms())
		rc = refuse_locked(a, ss->user, addr, until, why,
				   retry_after_ms, err);
	else
		rc = account_secret(a, rows.totp, "secret", &secret, err);
	if (rc == CT_ENOTFOUND)
		rc = error_set(err, CT_ESTATE, "'%s' has no TOTP enrolled; "
			       "enrol first", ss->user);
	if (rc == 0)
		rc = totp_check(secret, code, &step, err);
	account_secret_free(secret);
	account_rows_release(&rows);
	if (rc == 0 && step <= last) {
		failure_record(a, ss->user, addr, "totp-replay", &ignored);
		return refuse(why, ACCESS_REFUSED_CREDENTIALS, err, "the code "
			      "was used already; wait for the next one", 0);
	}
	if (rc == CT_EPERM && *why == ACCESS_REFUSED_NONE) {
		failure_record(a, ss->user, addr, "totp", &ignored);
		return refuse(why, ACCESS_REFUSED_CREDENTIALS, err, "the code "
			      "is wrong or has expired", 0);
	}
	if (rc)
		return rc;
	fields = json_pack("{s:s, s:s, s:I, s:s}", "user", ss->user,
			   "session", ss->hash, "step", (json_int_t)step,
			   "addr", addr ? addr : "");
	rc = fields ? account_append(a, KIND_LOGIN_FACTOR, fields, &by, NULL,
				     err)
		    : error_set(err, CT_ENOMEM, "out of memory");
	json_decref(fields);
	/* The projector refuses a step another request used meanwhile. */
	if (rc == CT_EPERM)
		*why = ACCESS_REFUSED_CREDENTIALS;
	if (rc)
		return rc;
	ss->second_factor = true;
	last_seen_set(a, ss->hash, ledger_now_ms());
	log_info("access", "second factor given", "user=%s addr=%s",
		 ss->user, addr ? addr : "-");
	return 0;
}

int access_session_totp_enrol(struct access *a,
			      const struct access_session *ss, char *secret,
			      char *uri, struct error *err)
{
	struct account_rows rows;
	struct actor by = { ss->user, NULL };
	bool confirmed;
	int rc = account_rows_read(a, ss->user, true, &rows, err);

	if (rc)
		return rc;
	confirmed = json_is_true(json_object_get(rows.totp, "confirmed"));
	account_rows_release(&rows);
	if (confirmed && !ss->second_factor)
		return error_set(err, CT_EPERM, "'%s' has TOTP already; give a "
				 "code from it first, or ask the system "
				 "administrator to reset it", ss->user);
	return access_totp_enrol(a, ss->user, &by, secret, uri, err);
}

void access_session_touch(struct access *a, const struct access_session *ss)
{
	if (ss->active)
		last_seen_set(a, ss->hash, ledger_now_ms());
}

int access_logout(struct access *a, const struct access_session *ss,
		  const char *addr, struct error *err)
{
	struct actor by = { ss->user, NULL };
	json_t *fields = json_pack("{s:s, s:s, s:s, s:s}", "user", ss->user,
				   "session", ss->hash, "reason", "logout",
				   "addr", addr ? addr : "");
	int rc = fields ? account_append(a, KIND_LOGOUT, fields, &by, NULL,
					 err)
			: error_set(err, CT_ENOMEM, "out of memory");

	json_decref(fields);
	last_seen_del(a, ss->hash);
	if (rc == 0)
		log_info("access", "signed out", "user=%s addr=%s", ss->user,
			 addr ? addr : "-");
	return rc;
}

int access_session_limit(const struct access_session *ss,
			 enum access_action act, struct error *err)
{
	if (!ss || !ss->active || act == ACT_SELF || act == ACT_PUBLIC)
		return 0;
	if (ss->must_change_password)
		return error_set(err, CT_EPERM, "'%s' signed in with a one-time "
				 "password and must change it before doing "
				 "anything else", ss->user);
	if (ss->second_factor_required && !ss->second_factor)
		return error_set(err, CT_EPERM, "'%s' holds an administration "
				 "role and must give a TOTP code before doing "
				 "anything else", ss->user);
	return 0;
}

/* --- projectors ------------------------------------------------------------ */

struct drop_scan {
	const char *user, *keep;
	int64_t now_ms;
	json_t *keys;
};

static int drop_match(void *ctx, const char *key, uint64_t seq,
		      const char *body, size_t len)
{
	struct drop_scan *d = ctx;
	json_t *v = json_loadb(body, len, 0, NULL);
	const char *user = json_string_value(json_object_get(v, "user"));
	bool drop = json_integer_value(json_object_get(v, "expires")) <=
		    d->now_ms;

	(void)seq;
	if (d->user && user && !strcmp(user, d->user) &&
	    !(d->keep && !strcmp(key, d->keep)))
		drop = true;
	if (drop)
		json_array_append_new(d->keys, json_string(key));
	json_decref(v);
	return 0;
}

int sessions_drop(struct store *s, const char *user, const char *keep,
		  int64_t now_ms, struct error *err)
{
	struct drop_scan d = { user, keep, now_ms, json_array() };
	json_t *k;
	size_t i;
	int rc = store_kv_scan(s, NS_SESSION, "", false, 0, 0, drop_match, &d,
			       NULL, err);

	json_array_foreach(d.keys, i, k)
		if (rc == 0)
			rc = store_kv_delete(s, NS_SESSION,
					     json_string_value(k), err);
	json_decref(d.keys);
	return rc;
}

/* Reads the user and session an entry names. */
static int entry_session(const struct cases_entry *e, const char **user,
			 const char **hash, struct error *err)
{
	*user = json_string_value(json_object_get(e->fields, "user"));
	*hash = json_string_value(json_object_get(e->fields, "session"));
	if (!*user || !*hash)
		return error_set(err, CT_EINVAL, "%s entry lacks user or "
				 "session", e->kind);
	return 0;
}

int project_login(struct access *a, struct store *s,
		  const struct cases_entry *e, struct error *err)
{
	const char *user, *hash;
	json_t *row, *u;
	int rc;

	(void)a;
	if (!e->fields)
		return 0;
	rc = entry_session(e, &user, &hash, err);
	if (rc)
		return rc;
	u = account_user_get(s, user);
	json_decref(u);
	if (!u && !e->replaying)
		return error_set(err, CT_ENOTFOUND, "user '%s' not found", user);
	/* Sessions that have expired by now go. */
	rc = sessions_drop(s, NULL, NULL, e->ts_ms, err);
	row = json_pack("{s:s, s:I, s:O, s:I, s:b, s:I}", "user", user,
			"created", (json_int_t)e->ts_ms, "expires",
			json_object_get(e->fields, "expires"), "last",
			(json_int_t)e->ts_ms, "second_factor", 0, "seq",
			(json_int_t)e->seq);
	if (rc == 0)
		rc = account_kv_put(s, NS_SESSION, hash, e->seq, row, err);
	json_decref(row);
	row = json_pack("{s:I, s:O, s:I}", "at", (json_int_t)e->ts_ms, "addr",
			json_object_get(e->fields, "addr"), "seq",
			(json_int_t)e->seq);
	if (rc == 0)
		rc = account_kv_put(s, NS_SIGNIN, user, e->seq, row, err);
	json_decref(row);
	if (rc == 0)
		rc = store_kv_delete(s, NS_FAILURES, user, err);
	return rc;
}

int project_login_factor(struct access *a, struct store *s,
			 const struct cases_entry *e, struct error *err)
{
	const char *user, *hash;
	json_int_t step;
	json_t *totp = NULL, *row = NULL;
	int rc;

	(void)a;
	if (!e->fields)
		return 0;
	rc = entry_session(e, &user, &hash, err);
	if (rc)
		return rc;
	step = json_integer_value(json_object_get(e->fields, "step"));
	totp = account_kv_get(s, NS_TOTP, user);
	row = account_kv_get(s, NS_SESSION, hash);
	if (!e->replaying && !totp)
		rc = error_set(err, CT_ESTATE, "'%s' has no TOTP enrolled",
			       user);
	else if (!e->replaying && step <= json_integer_value(json_object_get(
						  totp, "last_step")))
		rc = error_set(err, CT_EPERM, "the code was used already; "
			       "wait for the next one");
	else if (!e->replaying && !row)
		rc = error_set(err, CT_EPERM, "the session has ended; sign in "
			       "again");
	if (rc == 0 && totp) {
		json_object_set_new(totp, "last_step", json_integer(step));
		json_object_set_new(totp, "confirmed", json_true());
		rc = account_kv_put(s, NS_TOTP, user, e->seq, totp, err);
	}
	if (rc == 0 && row) {
		json_object_set_new(row, "second_factor", json_true());
		json_object_set_new(row, "last",
				    json_integer((json_int_t)e->ts_ms));
		rc = account_kv_put(s, NS_SESSION, hash, e->seq, row, err);
	}
	json_decref(totp);
	json_decref(row);
	return rc;
}

int project_logout(struct access *a, struct store *s,
		   const struct cases_entry *e, struct error *err)
{
	const char *user, *hash;
	struct buf none = BUF_INIT_MAX(1 << 16);
	int rc;

	(void)a;
	if (!e->fields)
		return 0;
	rc = entry_session(e, &user, &hash, err);
	if (rc)
		return rc;
	if (!e->replaying &&
	    store_kv_get(s, NS_SESSION, hash, &none, NULL, NULL) != 0)
		rc = error_set(err, CT_ENOTFOUND, "the session has ended "
			       "already");
	buf_release(&none);
	return rc ? rc : store_kv_delete(s, NS_SESSION, hash, err);
}
