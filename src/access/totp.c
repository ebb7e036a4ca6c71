/*
 * TOTP second factor (RFC 6238) through liboath: HMAC-SHA1, 6 digits,
 * 30-second steps from the Unix epoch, and a code of the step before or
 * after the current one is accepted too, for clock drift. The secret is
 * 20 random bytes (the HMAC-SHA1 key length RFC 4226 recommends), shown
 * once in base32 and as an otpauth:// URI.
 *
 * The secret is kept in the "totp-enrol" entry's content only, sealed
 * (encrypted at rest) like the password hashes, and the "totp" row
 * names that entry; no API returns the secret after enrolment.
 * The row also keeps the time step of the last accepted code, and the
 * projector of "login-second-factor" refuses a step that is not later,
 * so a code is accepted at most once, even by two requests at once.
 */
#include "common/common.h"

#include <liboath/oath.h>
#include <pthread.h>

#include "common/log.h"
#include "internal.h"

#define TOTP_SECRET_LEN 20
#define TOTP_STEP_S 30
#define TOTP_DIGITS 6
#define TOTP_WINDOW 1

static pthread_once_t oath_once = PTHREAD_ONCE_INIT;
static int oath_status = OATH_OK;

static void oath_start(void)
{
	oath_status = oath_init();
}

static int oath_ready(struct error *err)
{
	pthread_once(&oath_once, oath_start);
	if (oath_status != OATH_OK)
		return error_set(err, CT_ECRYPTO, "cannot start liboath: %s",
				 oath_strerror(oath_status));
	return 0;
}

int totp_check(const char *secret, const char *code, uint64_t *step,
	       struct error *err)
{
	char *raw = NULL;
	size_t len = 0, n = code ? strlen(code) : 0;
	uint64_t counter = 0;
	int pos = 0, rc = oath_ready(err);

	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (code[i] < '0' || code[i] > '9')
			n = 0;
	if (n != TOTP_DIGITS)
		return error_set(err, CT_EINVAL, "a TOTP code is %d digits",
				 TOTP_DIGITS);
	rc = oath_base32_decode(secret, strlen(secret), &raw, &len);
	if (rc != OATH_OK)
		return error_set(err, CT_ECORRUPT, "the stored TOTP secret "
				 "cannot be decoded: %s; reset the enrolment",
				 oath_strerror(rc));
	rc = oath_totp_validate3(raw, len, (time_t)(ledger_now_ms() / 1000),
				 TOTP_STEP_S, 0, TOTP_WINDOW, &pos, &counter,
				 code);
	crypto_wipe(raw, len);
	free(raw);
	if (rc == OATH_INVALID_OTP)
		return CT_EPERM;
	if (rc < 0)
		return error_set(err, CT_ECRYPTO, "cannot check the TOTP code: "
				 "%s", oath_strerror(rc));
	*step = counter;
	return 0;
}

int access_totp_enrol(struct access *a, const char *user,
		      const struct actor *by, char *secret, char *uri,
		      struct error *err)
{
	struct account_rows rows;
	uint8_t raw[TOTP_SECRET_LEN];
	char *b32 = NULL;
	size_t len = 0;
	uint64_t seq = 0;
	json_t *fields;
	int rc = account_rows_read(a, user, true, &rows, err);

	account_rows_release(&rows);
	if (rc == 0)
		rc = oath_ready(err);
	if (rc)
		return rc;
	if (crypto_random(raw, sizeof(raw)) != 0)
		return error_set(err, CT_ECRYPTO, "cannot draw a TOTP secret");
	rc = oath_base32_encode((const char *)raw, sizeof(raw), &b32, &len);
	crypto_wipe(raw, sizeof(raw));
	if (rc != OATH_OK || len >= ACCESS_TOTP_SECRET_MAX)
		return error_set(err, CT_ECRYPTO, "cannot encode the TOTP "
				 "secret");
	/* 20 bytes are 32 base32 characters, without padding. */
	snprintf(secret, ACCESS_TOTP_SECRET_MAX, "%s", b32);
	crypto_wipe(b32, len);
	free(b32);
	fields = json_pack("{s:s, s:s, s:i, s:i, s:s}", "user", user, "secret",
			   secret, "digits", TOTP_DIGITS, "period",
			   TOTP_STEP_S, "algorithm", "SHA1");
	rc = fields ? account_append(a, KIND_TOTP_ENROL, fields, by, &seq, err)
		    : error_set(err, CT_ENOMEM, "out of memory");
	json_decref(fields);
	if (rc) {
		crypto_wipe(secret, ACCESS_TOTP_SECRET_MAX);
		return rc;
	}
	/* The label is issuer:account (Key Uri Format); names need no
	 * escaping, being a-z, 0-9, '.', '_' and '-'. */
	snprintf(uri, ACCESS_TOTP_URI_MAX,
		 "otpauth://totp/casetrail:%s?secret=%s&issuer=casetrail"
		 "&algorithm=SHA1&digits=%d&period=%d",
		 user, secret, TOTP_DIGITS, TOTP_STEP_S);
	log_info("access", "totp enrolled", "user=%s seq=%" PRIu64 " by=%s",
		 user, seq, by->user);
	return 0;
}

int access_totp_reset(struct access *a, const char *user,
		      const char *reason, const struct actor *by,
		      struct error *err)
{
	struct account_rows rows;
	uint64_t seq = 0;
	json_t *fields;
	bool enrolled;
	int rc = account_rows_read(a, user, true, &rows, err);

	if (rc)
		return rc;
	enrolled = rows.totp != NULL;
	account_rows_release(&rows);
	rc = account_check_admin_reset(a, user, by, "TOTP", err);
	if (rc)
		return rc;
	if (!enrolled)
		return error_set(err, CT_ENOTFOUND, "'%s' has no TOTP enrolled",
				 user);
	fields = json_pack("{s:s}", "user", user);
	if (fields && reason)
		json_object_set_new(fields, "reason", json_string(reason));
	rc = fields ? account_append(a, KIND_TOTP_RESET, fields, by, &seq, err)
		    : error_set(err, CT_ENOMEM, "out of memory");
	json_decref(fields);
	if (rc == 0)
		log_info("access", "totp reset", "user=%s seq=%" PRIu64 " by=%s",
			 user, seq, by->user);
	return rc;
}

int project_totp_enrol(struct access *a, struct store *s,
		       const struct cases_entry *e, struct error *err)
{
	const char *user, *secret;
	json_t *u, *row;
	int rc;

	(void)a;
	if (!e->fields)
		return 0;
	user = json_string_value(json_object_get(e->fields, "user"));
	secret = json_string_value(json_object_get(e->fields, "secret"));
	if (!user || !secret)
		return error_set(err, CT_EINVAL, "totp-enrol entry lacks user "
				 "or secret");
	u = account_user_get(s, user);
	json_decref(u);
	if (!u && !e->replaying)
		return error_set(err, CT_ENOTFOUND, "user '%s' not found", user);
	row = json_pack("{s:b, s:I, s:I}", "confirmed", 0, "last_step",
			(json_int_t)0, "seq", (json_int_t)e->seq);
	rc = row ? account_kv_put(s, NS_TOTP, user, e->seq, row, err)
		 : error_set(err, CT_ENOMEM, "out of memory");
	json_decref(row);
	return rc;
}

int project_totp_reset(struct access *a, struct store *s,
		       const struct cases_entry *e, struct error *err)
{
	const char *user;

	(void)a;
	if (!e->fields)
		return 0;
	user = json_string_value(json_object_get(e->fields, "user"));
	if (!user)
		return error_set(err, CT_EINVAL, "totp-reset entry names no "
				 "user");
	return store_kv_delete(s, NS_TOTP, user, err);
}
