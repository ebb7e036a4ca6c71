/*
 * Bearer tokens for the HTTP API. A token is 32 random bytes, base64url
 * with the prefix "ct_", printed once. The log stores only its hash, its
 * user and its expiry, and a revocation is an entry of its own.
 */
#include "common/common.h"

#include "common/log.h"
#include "internal.h"

#define DAY_MS (24 * 3600 * 1000LL)

static void token_hash(const struct cases *c, const char *token,
		       char out[HASH_TEXT_MAX])
{
	uint8_t digest[HASH_LEN];

	hash_buf(c->alg, token, strlen(token), digest);
	hash_format(c->alg, digest, out);
}

/* Draws a new token into token (CASES_TOKEN_MAX bytes). */
static int draw_token(char *token, struct error *err)
{
	struct buf b64 = BUF_INIT_MAX(128);
	uint8_t raw[32];

	if (crypto_random(raw, sizeof(raw)) != 0 ||
	    base64_encode(raw, sizeof(raw), &b64) != 0) {
		buf_release(&b64);
		return error_set(err, CT_ECRYPTO, "cannot draw a random token");
	}
	/* URL-safe, without padding, so it fits a header unquoted. */
	for (size_t i = 0; i < b64.len; i++) {
		if (b64.data[i] == '+')
			b64.data[i] = '-';
		else if (b64.data[i] == '/')
			b64.data[i] = '_';
	}
	while (b64.len && b64.data[b64.len - 1] == '=')
		b64.data[--b64.len] = '\0';
	snprintf(token, CASES_TOKEN_MAX, "ct_%s", b64.data);
	crypto_wipe(raw, sizeof(raw));
	crypto_wipe(b64.data, b64.len);
	buf_release(&b64);
	return 0;
}

/* Whether user u holds sysadmin, secadmin or auditor. */
static bool holds_admin_role(const json_t *u)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(u, "roles"), i, v) {
		const char *code = json_string_value(v) ?: "";

		if (!strcmp(code, "sysadmin") || !strcmp(code, "secadmin") ||
		    !strcmp(code, "auditor"))
			return true;
	}
	return false;
}

int cases_token_create(struct cases *c, const char *user, int days,
		       const struct actor *by, char *token, uint64_t *seq,
		       struct error *err)
{
	struct ledger_record rec = { .kind = KIND_TOKEN, .actor = by->user,
				     .os_user = by->os_user, .supersedes = -1 };
	struct ledger_receipt receipt;
	char hash[HASH_TEXT_MAX];
	json_t *u = NULL, *fields;
	int64_t expires;
	int rc;

	if (days < 1 || days > CASES_TOKEN_DAYS_MAX)
		return error_set(err, CT_EINVAL, "a token is valid for 1 to %d "
				 "days, not %d", CASES_TOKEN_DAYS_MAX, days);
	rc = cases_user_get(c, user, &u, err);
	if (rc == 0 && holds_admin_role(u))
		rc = error_set(err, CT_EPERM, "'%s' holds an administration "
			       "role, and administrators sign in with a "
			       "password and a TOTP code; bearer tokens are "
			       "for scripts of other staff", user);
	json_decref(u);
	if (rc == 0)
		rc = draw_token(token, err);
	if (rc)
		return rc;
	token_hash(c, token, hash);
	expires = ledger_now_ms() + days * DAY_MS;
	fields = json_pack("{s:s, s:s, s:I}", "user", user, "hash", hash,
			   "expires", (json_int_t)expires);
	rec.fields = fields;
	rc = ledger_append(c->ledger, &rec, &receipt, err);
	json_decref(fields);
	if (rc) {
		crypto_wipe(token, CASES_TOKEN_MAX);
		return rc;
	}
	if (seq)
		*seq = receipt.seq;
	log_info("cases", "token created", "user=%s seq=%" PRIu64 " days=%d",
		 user, receipt.seq, days);
	return 0;
}

int cases_token_revoke(struct cases *c, uint64_t seq, const struct actor *by,
		       struct error *err)
{
	struct ledger_record rec = { .kind = KIND_TOKEN_REVOKE,
				     .actor = by->user, .os_user = by->os_user,
				     .supersedes = -1 };
	struct ledger_receipt receipt;
	json_t *fields = json_pack("{s:I}", "token", (json_int_t)seq);
	int rc;

	rec.fields = fields;
	rc = ledger_append(c->ledger, &rec, &receipt, err);
	json_decref(fields);
	if (rc)
		return rc;
	/* This process clears its cache of trusted tokens. */
	pthread_mutex_lock(&c->cache_mu);
	json_object_clear(c->tokens);
	pthread_mutex_unlock(&c->cache_mu);
	log_info("cases", "token revoked", "token=%" PRIu64 " seq=%" PRIu64
		 " user=%s", seq, receipt.seq, by->user);
	return 0;
}

static int list_token(void *ctx, uint64_t seq, const char *user,
		      int64_t expires_ms, int64_t revoked_by)
{
	char when[32];

	time_format(expires_ms == INT64_MAX ? 0 : expires_ms, when);
	json_array_append_new(ctx, json_pack(
		"{s:I, s:s, s:s?, s:o}", "seq", (json_int_t)seq, "user", user,
		"expires", expires_ms == INT64_MAX ? NULL : when, "revoked_by",
		revoked_by >= 0 ? json_integer(revoked_by) : json_null()));
	return 0;
}

int cases_token_list(struct cases *c, json_t **out, struct error *err)
{
	json_t *items = json_array();
	struct store *s;
	int rc = ledger_read_begin(c->ledger, &s, err);

	if (rc == 0) {
		rc = store_token_list(s, list_token, items, err);
		ledger_read_end(c->ledger, s);
	}
	if (rc) {
		json_decref(items);
		return rc;
	}
	*out = json_pack("{s:o}", "items", items);
	return 0;
}

/* A trusted token from memory: its user while live and nothing changed. */
static int token_cached(struct cases *c, const char *hash, uint64_t known,
			char *user, size_t n)
{
	json_t *hit;
	int found = 0;

	pthread_mutex_lock(&c->cache_mu);
	hit = json_object_get(c->tokens, hash);
	if (hit && known &&
	    (uint64_t)json_integer_value(json_object_get(hit, "size")) == known &&
	    json_integer_value(json_object_get(hit, "expires")) > ledger_now_ms()) {
		snprintf(user, n, "%s",
			 json_string_value(json_object_get(hit, "user")));
		found = 1;
	}
	pthread_mutex_unlock(&c->cache_mu);
	return found;
}

int cases_token_user(struct cases *c, const char *token, char *user,
		     size_t n, struct error *err)
{
	uint64_t known = ledger_known_size(c->ledger);
	struct buf name = BUF_INIT_MAX(256);
	char hash[HASH_TEXT_MAX];
	int64_t expires, revoked;
	struct store *s;
	int rc;

	if (!token || strlen(token) > CASES_TOKEN_MAX)
		return error_set(err, CT_EPERM, "the bearer token is invalid");
	token_hash(c, token, hash);
	if (token_cached(c, hash, known, user, n))
		return 0;
	rc = ledger_read_begin(c->ledger, &s, err);
	if (rc)
		return rc;
	rc = store_token_user(s, hash, &name, &expires, &revoked, NULL);
	ledger_read_end(c->ledger, s);
	if (rc == CT_ENOTFOUND)
		rc = error_set(err, CT_EPERM, "the bearer token is invalid");
	else if (rc == 0 && revoked >= 0)
		rc = error_set(err, CT_EPERM, "the bearer token was revoked; "
			       "ask for a new one");
	else if (rc == 0 && expires <= ledger_now_ms())
		rc = error_set(err, CT_EPERM, "the bearer token has expired; "
			       "ask for a new one");
	else if (rc)
		rc = error_set(err, rc, "cannot check the bearer token");
	if (rc == 0) {
		snprintf(user, n, "%s", name.data);
		pthread_mutex_lock(&c->cache_mu);
		json_object_set_new(c->tokens, hash, json_pack(
			"{s:s, s:I, s:I}", "user", name.data, "expires",
			(json_int_t)expires, "size", (json_int_t)known));
		pthread_mutex_unlock(&c->cache_mu);
	}
	buf_release(&name);
	return rc;
}
