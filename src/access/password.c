/*
 * Passwords: argon2id hashes (libargon2), the password policy, one-time
 * passwords, lockout after failed sign-ins, and the "password-set" and
 * "login-failure" entries.
 *
 * A hash is argon2id with t = 3 passes over m = 64 MiB in one lane, a
 * 16-byte random salt and a 32-byte output, stored in the PHC encoded
 * form that names its parameters, so that stronger parameters can come
 * later without invalidating stored hashes. One hash took 163 ms, and its
 * verification 165 ms, on the 2-core machine casetrail was developed on
 * (libargon2 0~20171227, Debian 12). At most HASHES_AT_ONCE hashes run at
 * once, which bounds their memory to 128 MiB; further callers wait up to
 * HASH_WAIT_MS, and beyond HASH_WAITERS_MAX waiting they are turned away
 * with CT_EBUSY.
 *
 * Lockout is computed, not stored: the "failures" row lists the times of
 * the failed sign-ins since the last successful one, and an account is
 * locked for cfg.lockout_ms after any cfg.lockout_failures of them fell
 * within cfg.lockout_window_ms. The row is a projection of the
 * "login-failure" entries, so a lock survives a restart.
 */
#include "common/common.h"

#include <argon2.h>
#include <strings.h>

#include "common/jcs.h"
#include "common/log.h"
#include "internal.h"

#define ARGON2_PASSES 3
#define ARGON2_MEMORY_KIB (64 * 1024)
#define ARGON2_LANES 1
#define SALT_LEN 16
#define DIGEST_LEN 32

#define HASHES_AT_ONCE 2
#define HASH_WAITERS_MAX 64
#define HASH_WAIT_MS 10000

#define PASSWORD_CHARS_MIN 12
#define PASSWORD_CLASSES_MIN 3

/*
 * Passwords that meet the length and class rules yet are among the most
 * used ones, compared without regard to case.
 */
static const char *const common_passwords[] = {
	"password1234", "password12345", "password123!", "password@123",
	"p@ssw0rd1234", "p@ssword1234", "passw0rd1234", "qwerty123456",
	"qwerty@12345", "qwer1234asdf", "1qaz2wsx3edc", "1qaz@wsx3edc",
	"1qaz!qaz2wsx", "zaq12wsxcde3", "abc123456789", "abcd1234!@#$",
	"admin@123456", "admin1234567", "admin123456!", "administrator1",
	"welcome12345", "welcome@1234", "iloveyou1234", "letmein12345",
	"changeme1234", "changeme123!", "casetrail123", "casetrail@123",
	"asdf1234qwer", "aa123456789!", "a123456789bc", "woaini131400",
	"woaini520131", "huawei@12345", "huawei123456", "root@1234567",
	"test@1234567", "sysadmin1234", "secadmin1234", "auditor12345",
};

/* One-time passwords: letters and digits without I, O, l, 0 and 1. */
static const char otp_alphabet[] =
	"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

/* --- hashing --------------------------------------------------------------- */

/* Waits for one of the HASHES_AT_ONCE slots. */
static int slot_take(struct access *a, struct error *err)
{
	struct access_accounts *ac = &a->acct;
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += HASH_WAIT_MS / 1000;
	pthread_mutex_lock(&ac->mu);
	if (ac->hashing >= HASHES_AT_ONCE && ac->waiting >= HASH_WAITERS_MAX)
		rc = ETIMEDOUT;
	ac->waiting++;
	while (rc == 0 && ac->hashing >= HASHES_AT_ONCE)
		rc = pthread_cond_timedwait(&ac->hash_done, &ac->mu, &until);
	ac->waiting--;
	if (ac->hashing < HASHES_AT_ONCE) {
		ac->hashing++;
		rc = 0;
	}
	pthread_mutex_unlock(&ac->mu);
	if (rc)
		return error_set(err, CT_EBUSY, "too many passwords are being "
				 "checked at once; try again in a few seconds");
	return 0;
}

static void slot_give(struct access *a)
{
	pthread_mutex_lock(&a->acct.mu);
	a->acct.hashing--;
	pthread_cond_signal(&a->acct.hash_done);
	pthread_mutex_unlock(&a->acct.mu);
}

/* Hashes pw into out; the caller holds a slot. */
static int hash_in_slot(const char *pw, char *out, struct error *err)
{
	uint8_t salt[SALT_LEN];
	int rc;

	if (crypto_random(salt, sizeof(salt)) != 0)
		return error_set(err, CT_ECRYPTO, "cannot draw a salt");
	rc = argon2id_hash_encoded(ARGON2_PASSES, ARGON2_MEMORY_KIB,
				   ARGON2_LANES, pw, strlen(pw), salt,
				   sizeof(salt), DIGEST_LEN, out,
				   ACCOUNT_HASH_MAX);
	if (rc != ARGON2_OK)
		return error_set(err, rc == ARGON2_MEMORY_ALLOCATION_ERROR
				 ? CT_ENOMEM : CT_ECRYPTO,
				 "cannot hash the password: %s",
				 argon2_error_message(rc));
	return 0;
}

int password_hash(struct access *a, const char *pw, char *out,
		  struct error *err)
{
	int rc = slot_take(a, err);

	if (rc)
		return rc;
	rc = hash_in_slot(pw, out, err);
	slot_give(a);
	return rc;
}

/*
 * Returns the hash verified in place of a missing one: a hash of random
 * bytes with the same parameters, made once.
 */
static const char *dummy_hash(struct access *a, struct error *err)
{
	char pw[33], *made = NULL;
	uint8_t raw[16];

	pthread_mutex_lock(&a->acct.mu);
	made = a->acct.dummy_hash;
	pthread_mutex_unlock(&a->acct.mu);
	if (made)
		return made;
	if (crypto_random(raw, sizeof(raw)) != 0) {
		error_set(err, CT_ECRYPTO, "cannot draw random bytes");
		return NULL;
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(pw + 2 * i, 3, "%02x", raw[i]);
	made = malloc(ACCOUNT_HASH_MAX);
	if (!made) {
		error_set(err, CT_ENOMEM, "out of memory");
		return NULL;
	}
	if (hash_in_slot(pw, made, err) != 0) {
		free(made);
		return NULL;
	}
	pthread_mutex_lock(&a->acct.mu);
	if (a->acct.dummy_hash) {
		free(made);
		made = a->acct.dummy_hash;
	} else {
		a->acct.dummy_hash = made;
	}
	pthread_mutex_unlock(&a->acct.mu);
	return made;
}

int password_verify(struct access *a, const char *hash, const char *pw,
		    struct error *err)
{
	bool dummy = !hash;
	int rc = slot_take(a, err), v;

	if (rc)
		return rc;
	if (dummy)
		hash = dummy_hash(a, err);
	if (!hash) {
		slot_give(a);
		return err && err->code ? err->code : CT_ECRYPTO;
	}
	v = argon2id_verify(hash, pw, strlen(pw));
	slot_give(a);
	if (v == ARGON2_OK && !dummy)
		return 0;
	if (v == ARGON2_OK || v == ARGON2_VERIFY_MISMATCH)
		return CT_EPERM;
	if (v == ARGON2_MEMORY_ALLOCATION_ERROR)
		return error_set(err, CT_ENOMEM, "out of memory checking a "
				 "password");
	/* A stored hash that does not decode is never a match. */
	log_warn("access", "stored password hash cannot be verified",
		 "error=\"%s\"", argon2_error_message(v));
	return CT_EPERM;
}

/* --- the policy ------------------------------------------------------------ */

/* Counts the UTF-8 characters of s (s is valid UTF-8). */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* Whether hay contains needle, ignoring the case of ASCII letters. */
static bool contains_nocase(const char *hay, const char *needle, size_t len)
{
	size_t n = strlen(hay);

	for (size_t i = 0; len && i + len <= n; i++)
		if (!strncasecmp(hay + i, needle, len))
			return true;
	return false;
}

/*
 * Whether pw contains the user name, or one of its parts of four or more
 * characters between '.', '_' and '-' (the family name of "wang.jianguo").
 */
static bool contains_name(const char *pw, const char *user)
{
	const char *p = user;

	if (strlen(user) >= 3 && contains_nocase(pw, user, strlen(user)))
		return true;
	while (*p) {
		size_t len = strcspn(p, "._-");

		if (len >= 4 && contains_nocase(pw, p, len))
			return true;
		p += len;
		if (*p)
			p++;
	}
	return false;
}

int access_password_policy(const char *user, const char *pw,
			   struct error *err)
{
	bool lower = false, upper = false, digit = false, other = false;
	size_t len = strlen(pw), chars;
	int classes;

	if (len > ACCESS_PASSWORD_MAX)
		return error_set(err, CT_EINVAL, "the password is longer than "
				 "%d bytes; choose a shorter one",
				 ACCESS_PASSWORD_MAX);
	if (!jcs_utf8_valid(pw, len))
		return error_set(err, CT_EINVAL, "the password is not valid "
				 "UTF-8 text");
	for (const char *p = pw; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c == 0x7f)
			return error_set(err, CT_EINVAL, "the password contains "
					 "a control character; use printable "
					 "characters only");
		if (c >= 'a' && c <= 'z')
			lower = true;
		else if (c >= 'A' && c <= 'Z')
			upper = true;
		else if (c >= '0' && c <= '9')
			digit = true;
		else
			other = true;
	}
	chars = utf8_chars(pw);
	if (chars < PASSWORD_CHARS_MIN)
		return error_set(err, CT_EINVAL, "the password is too short: it "
				 "has %zu characters and needs at least %d",
				 chars, PASSWORD_CHARS_MIN);
	classes = lower + upper + digit + other;
	if (classes < PASSWORD_CLASSES_MIN)
		return error_set(err, CT_EINVAL, "the password uses %d of the "
				 "four kinds of characters (lower-case "
				 "letters, upper-case letters, digits, other "
				 "characters) and needs at least %d",
				 classes, PASSWORD_CLASSES_MIN);
	if (user && contains_name(pw, user))
		return error_set(err, CT_EINVAL, "the password contains the "
				 "user name '%s' or a part of it; choose one "
				 "that does not", user);
	for (size_t i = 0; i < ARRAY_SIZE(common_passwords); i++)
		if (!strcasecmp(pw, common_passwords[i]))
			return error_set(err, CT_EINVAL, "the password is one "
					 "of the most commonly used passwords; "
					 "choose another");
	return 0;
}

int password_draw(char *out, struct error *err)
{
	const size_t n = sizeof(otp_alphabet) - 1;
	uint8_t raw[64];
	size_t used = 0, have = 0;
	bool lower, upper, digit;

	do {
		lower = upper = digit = false;
		for (size_t i = 0; i < ACCESS_OTP_LEN; i++) {
			uint8_t b;

			/* Rejection sampling keeps every character equally
			 * likely: 228 is the largest multiple of 57 <= 256. */
			do {
				if (used == have) {
					if (crypto_random(raw, sizeof(raw)))
						return error_set(
						    err, CT_ECRYPTO,
						    "cannot draw random bytes");
					used = 0;
					have = sizeof(raw);
				}
				b = raw[used++];
			} while (b >= 256 - 256 % n);
			out[i] = otp_alphabet[b % n];
			lower |= out[i] >= 'a' && out[i] <= 'z';
			upper |= out[i] >= 'A' && out[i] <= 'Z';
			digit |= out[i] >= '0' && out[i] <= '9';
		}
	} while (!(lower && upper && digit));
	out[ACCESS_OTP_LEN] = '\0';
	crypto_wipe(raw, sizeof(raw));
	return 0;
}

/* --- setting passwords ----------------------------------------------------- */

int password_store(struct access *a, const char *user, const char *pw,
		   bool must_change, const char *reason, const char *keep,
		   const struct actor *by, struct error *err)
{
	char hash[ACCOUNT_HASH_MAX];
	json_t *fields;
	uint64_t seq = 0;
	int rc = password_hash(a, pw, hash, err);

	if (rc)
		return rc;
	fields = json_pack("{s:s, s:s, s:b, s:s}", "user", user, "hash", hash,
			   "must_change", must_change, "reason", reason);
	if (fields && keep)
		json_object_set_new(fields, "keep_session", json_string(keep));
	rc = fields ? account_append(a, KIND_PASSWORD, fields, by, &seq, err)
		    : error_set(err, CT_ENOMEM, "out of memory");
	json_decref(fields);
	crypto_wipe(hash, sizeof(hash));
	if (rc == 0)
		log_info("access", "password set", "user=%s reason=%s seq=%"
			 PRIu64 " by=%s", user, reason, seq, by->user);
	return rc;
}

/* Sets a new one-time password; reason is "initial" or "reset". */
static int password_one_time(struct access *a, const char *user,
			     const char *reason, const struct actor *by,
			     char *otp, struct error *err)
{
	int rc = password_draw(otp, err);

	if (rc == 0)
		rc = password_store(a, user, otp, true, reason, NULL, by, err);
	/*
	 * The signing key is wrapped under the one-time password, and the
	 * first password change re-wraps it (keys_rewrap).
	 */
	if (rc == 0)
		rc = keys_issue(a, user, otp, by, err);
	if (rc)
		crypto_wipe(otp, ACCESS_OTP_LEN + 1);
	return rc;
}

int access_account_create(struct access *a, const json_t *user,
			  const struct actor *by, char *otp, json_t **out,
			  struct error *err)
{
	const char *name = json_string_value(json_object_get(user, "name"));
	json_t *made = NULL;
	int rc = cases_user_add(a->cases, user, by, &made, err);

	if (rc == 0 && otp)
		rc = password_one_time(a, name, "initial", by, otp, err);
	if (rc == 0 && otp) {
		/* The user's row as it is now, with no password in it. */
		json_decref(made);
		made = NULL;
		rc = cases_user_get(a->cases, name, &made, err);
	}
	if (rc == 0 && out)
		*out = made;
	else
		json_decref(made);
	return rc;
}

int access_password_reset(struct access *a, const char *user,
			  const struct actor *by, char *otp,
			  struct error *err)
{
	struct account_rows rows = { 0 };
	const char *reason;
	int rc = account_rows_read(a, user, true, &rows, err);

	if (rc)
		return rc;
	reason = rows.password ? "reset" : "initial";
	account_rows_release(&rows);
	rc = account_check_admin_reset(a, user, by, "password", err);
	return rc ? rc : password_one_time(a, user, reason, by, otp, err);
}

int access_password_change(struct access *a, const char *user,
			   const char *old_pw, const char *new_pw,
			   const char *keep_session, const char *addr,
			   const struct actor *by, struct error *err)
{
	struct account_rows rows = { 0 };
	char *hash = NULL;
	int64_t until;
	int rc = account_rows_read(a, user, true, &rows, err);

	if (rc)
		return rc;
	rc = account_secret(a, rows.password, "hash", &hash, err);
	if (rc == CT_ENOTFOUND)
		rc = 0;
	until = lock_until(&a->cfg, rows.failures);
	if (rc == 0 && !hash)
		rc = error_set(err, CT_EPERM, "'%s' has no password; ask the "
			       "system administrator to set one", user);
	else if (rc == 0 && until > ledger_now_ms())
		rc = error_set(err, CT_EPERM, "the account '%s' is locked "
			       "after repeated failed sign-ins; try again in "
			       "%" PRId64 " minutes", user,
			       (until - ledger_now_ms()) / 60000 + 1);
	if (rc == 0)
		rc = password_verify(a, hash, old_pw, err);
	if (rc == CT_EPERM && hash && until <= ledger_now_ms()) {
		struct error ignored = { 0 };

		failure_record(a, user, addr, "password-change", &ignored);
		rc = error_set(err, CT_EPERM, "the current password is wrong");
	}
	account_secret_free(hash);
	account_rows_release(&rows);
	if (rc)
		return rc;
	rc = access_password_policy(user, new_pw, err);
	if (rc == 0 && !strcmp(old_pw, new_pw))
		rc = error_set(err, CT_EINVAL, "the new password is the same "
			       "as the current one; choose a different one");
	if (rc == 0)
		rc = password_store(a, user, new_pw, false, "change",
				    keep_session, by, err);
	if (rc == 0)
		rc = keys_rewrap(a, user, old_pw, new_pw, by, err);
	return rc;
}

/* --- failed sign-ins ------------------------------------------------------- */

int64_t lock_until(const struct access_config *cfg, const json_t *failures)
{
	const json_t *times = json_object_get(failures, "times");
	size_t n = json_array_size(times), need;
	int64_t until = 0;

	need = cfg->lockout_failures > 0 ? (size_t)cfg->lockout_failures : 5;
	for (size_t i = need - 1; i < n; i++) {
		int64_t last = json_integer_value(json_array_get(times, i));
		int64_t first = json_integer_value(
			json_array_get(times, i + 1 - need));

		if (last - first <= cfg->lockout_window_ms &&
		    last + cfg->lockout_ms > until)
			until = last + cfg->lockout_ms;
	}
	return until;
}

int failure_record(struct access *a, const char *user, const char *addr,
		   const char *reason, struct error *err)
{
	struct actor by = { user, NULL };
	json_t *fields = json_pack("{s:s, s:s, s:s}", "user", user, "addr",
				   addr ? addr : "", "reason", reason);
	uint64_t seq = 0;
	int rc;

	if (!fields)
		return error_set(err, CT_ENOMEM, "out of memory");
	rc = account_append(a, KIND_LOGIN_FAILURE, fields, &by, &seq, err);
	json_decref(fields);
	if (rc == 0)
		log_info("access", "sign-in failed", "user=%s addr=%s "
			 "reason=%s seq=%" PRIu64, user, addr ? addr : "-",
			 reason, seq);
	return rc;
}

/* --- projectors ------------------------------------------------------------ */

int project_password(struct access *a, struct store *s,
		     const struct cases_entry *e, struct error *err)
{
	const char *user, *hash, *reason, *keep;
	json_t *u, *row;
	int rc;

	(void)a;
	if (!e->fields)
		return 0; /* expunged: the account keeps no password */
	user = json_string_value(json_object_get(e->fields, "user"));
	hash = json_string_value(json_object_get(e->fields, "hash"));
	reason = json_string_value(json_object_get(e->fields, "reason"));
	keep = json_string_value(json_object_get(e->fields, "keep_session"));
	if (!user || !hash || !reason)
		return error_set(err, CT_EINVAL, "password entry lacks user, "
				 "hash or reason");
	u = account_user_get(s, user);
	json_decref(u);
	if (!u && !e->replaying)
		return error_set(err, CT_ENOTFOUND, "user '%s' not found; add "
				 "the account first", user);
	row = json_pack("{s:b, s:s, s:I, s:I}", "must_change",
			json_is_true(json_object_get(e->fields, "must_change")),
			"reason", reason, "set", (json_int_t)e->ts_ms, "seq",
			(json_int_t)e->seq);
	rc = account_kv_put(s, NS_PASSWORD, user, e->seq, row, err);
	json_decref(row);
	/* Knowing the password, or having it reset, ends a lockout. */
	if (rc == 0)
		rc = store_kv_delete(s, NS_FAILURES, user, err);
	if (rc == 0)
		rc = sessions_drop(s, user, keep, e->ts_ms, err);
	return rc;
}

int project_login_failure(struct access *a, struct store *s,
			  const struct cases_entry *e, struct error *err)
{
	const char *user, *reason;
	json_t *row, *times;
	int rc;

	(void)a;
	if (!e->fields)
		return 0;
	user = json_string_value(json_object_get(e->fields, "user"));
	reason = json_string_value(json_object_get(e->fields, "reason"));
	if (!user || !reason)
		return error_set(err, CT_EINVAL, "login-failure entry lacks "
				 "user or reason");
	/* Attempts refused for a lock or a disabled account add nothing. */
	if (!strcmp(reason, "locked") || !strcmp(reason, "disabled"))
		return 0;
	/*
	 * NOTE: names that are no account get a row too, so that they lock
	 * alike; the per-address limit is all that bounds how many.
	 */
	row = account_kv_get(s, NS_FAILURES, user);
	if (!row)
		row = json_pack("{s:[]}", "times");
	times = json_object_get(row, "times");
	if (!json_is_array(times)) {
		times = json_array();
		json_object_set_new(row, "times", times);
	}
	json_array_append_new(times, json_integer((json_int_t)e->ts_ms));
	while (json_array_size(times) > FAILURES_KEPT)
		json_array_remove(times, 0);
	rc = account_kv_put(s, NS_FAILURES, user, e->seq, row, err);
	json_decref(row);
	return rc;
}
