/*
 * Staff signing keys: one SM2 key pair per staff member, the private key
 * wrapped under a key derived from their password (see sign.h).
 *
 * Wrapping. argon2id (libargon2) turns the password and a random 16-byte
 * salt into a 32-byte secret, with the parameters the wrapping records
 * beside it: t = 3 passes over m = 64 MiB in one lane, as for password
 * hashes (password.c). crypto_derive makes two keys of that secret, one
 * for SM4 and one for HMAC-SM3. The PKCS#8 DER of the private key is
 * encrypted with SM4-CTR under a random IV. HMAC-SM3 covers a label, the
 * user, the key id, the parameters, the salt, the IV and the ciphertext,
 * so that a wrapping moved to another key or user fails:
 *
 *   "wrapped": {"alg": "sm4-ctr+hmac-sm3", "kdf": {"alg": "argon2id",
 *               "t": 3, "m": 65536, "p": 1, "salt": b64},
 *               "iv": b64, "ct": b64, "mac": b64}
 *
 * A wrong password fails the MAC and is told apart from nothing else.
 * The key id is the first 8 bytes, in hex, of SM3 over the public key's
 * uncompressed point.
 */
#include "common/common.h"

#include <argon2.h>

#include "common/jcs.h"
#include "common/log.h"
#include "keys_internal.h"
#include "store/projection.h"

#define KDF_PASSES 3
#define KDF_MEMORY_KIB (64 * 1024)
#define KDF_LANES 1
#define KDF_SALT_LEN 16
#define KDF_SECRET_LEN 32
#define WRAP_ALG "sm4-ctr+hmac-sm3"
#define WRAP_LABEL "casetrail-staff-key/v1\n"

/* At most this many key derivations at once: each takes 64 MiB. */
#define KDF_AT_ONCE 2

#define DAY_MS (24 * 3600 * 1000LL)

static pthread_mutex_t kdf_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t kdf_cond = PTHREAD_COND_INITIALIZER;
static int kdf_running;

/* Derives the wrapping keys of password under kdf's parameters. */
static int derive(const char *password, const uint8_t *salt, uint32_t t,
		  uint32_t m, uint32_t p, uint8_t enc[SM4_KEY_LEN],
		  uint8_t mac[HMAC_SM3_LEN], struct error *err)
{
	uint8_t secret[KDF_SECRET_LEN];
	int rc;

	pthread_mutex_lock(&kdf_mu);
	while (kdf_running >= KDF_AT_ONCE)
		pthread_cond_wait(&kdf_cond, &kdf_mu);
	kdf_running++;
	pthread_mutex_unlock(&kdf_mu);
	rc = argon2id_hash_raw(t, m, p, password, strlen(password), salt,
			       KDF_SALT_LEN, secret, sizeof(secret));
	pthread_mutex_lock(&kdf_mu);
	kdf_running--;
	pthread_cond_signal(&kdf_cond);
	pthread_mutex_unlock(&kdf_mu);
	if (rc != ARGON2_OK) {
		crypto_wipe(secret, sizeof(secret));
		return error_set(err, CT_ECRYPTO, "cannot derive the key of "
				 "the password: %s", argon2_error_message(rc));
	}
	rc = crypto_derive(secret, sizeof(secret), "casetrail staff key sm4",
			   enc, SM4_KEY_LEN);
	if (rc == 0)
		rc = crypto_derive(secret, sizeof(secret),
				   "casetrail staff key mac", mac,
				   HMAC_SM3_LEN);
	crypto_wipe(secret, sizeof(secret));
	return rc ? error_set(err, rc, "cannot derive the wrapping keys") : 0;
}

/* The MAC of a wrapping: everything it states, in a fixed order. */
static int wrap_mac(const uint8_t mac_key[HMAC_SM3_LEN], const char *user,
		    const char *id, uint32_t t, uint32_t m, uint32_t p,
		    const uint8_t *salt, const uint8_t *iv, const uint8_t *ct,
		    size_t ct_len, uint8_t out[HMAC_SM3_LEN])
{
	char params[96];
	int n = snprintf(params, sizeof(params),
			 "\n%s\n%s\nargon2id t=%u m=%u p=%u\n", user, id, t,
			 m, p);
	struct crypto_part parts[] = {
		{ WRAP_LABEL, strlen(WRAP_LABEL) },
		{ params, (size_t)n },
		{ salt, KDF_SALT_LEN },
		{ iv, SM4_IV_LEN },
		{ ct, ct_len },
	};

	if (n <= 0 || (size_t)n >= sizeof(params))
		return CT_EINVAL;
	return hmac_sm3(mac_key, HMAC_SM3_LEN, parts, ARRAY_SIZE(parts), out);
}

static int b64_member(json_t *o, const char *name, const void *data,
		      size_t len)
{
	struct buf b = BUF_INIT_MAX(1024);
	int rc = base64_encode(data, len, &b);

	if (rc == 0)
		rc = json_object_set_new(o, name, json_string(b.data)) ? CT_ENOMEM
									: 0;
	buf_release(&b);
	return rc;
}

/* Decodes base64 member name of o into out (max bytes); returns the
 * length or a negative code. */
static long b64_get(const json_t *o, const char *name, uint8_t *out,
		    size_t max)
{
	const char *text = json_string_value(json_object_get(o, name));

	return text ? base64_decode(text, strlen(text), out, max) : CT_EINVAL;
}

/* Wraps k's private key under password into *out. */
static int wrap(const struct key *k, const char *user, const char *id,
		const char *password, json_t **out, struct error *err)
{
	uint8_t salt[KDF_SALT_LEN], iv[SM4_IV_LEN], ct[KEY_DER_MAX];
	uint8_t der[KEY_DER_MAX], enc[SM4_KEY_LEN], mac_key[HMAC_SM3_LEN];
	uint8_t mac[HMAC_SM3_LEN];
	json_t *w = NULL, *kdf;
	int n, rc;

	*out = NULL;
	n = key_private_der(k, der, sizeof(der));
	if (n < 0)
		return error_set(err, n, "cannot encode the private key");
	rc = crypto_random(salt, sizeof(salt));
	if (rc == 0)
		rc = crypto_random(iv, sizeof(iv));
	if (rc) {
		rc = error_set(err, rc, "cannot draw random bytes");
		goto out;
	}
	rc = derive(password, salt, KDF_PASSES, KDF_MEMORY_KIB, KDF_LANES, enc,
		    mac_key, err);
	if (rc == 0)
		rc = sm4_ctr(enc, iv, der, (size_t)n, ct);
	if (rc == 0)
		rc = wrap_mac(mac_key, user, id, KDF_PASSES, KDF_MEMORY_KIB,
			      KDF_LANES, salt, iv, ct, (size_t)n, mac);
	if (rc) {
		rc = error_set(err, rc, "cannot wrap the private key");
		goto out;
	}
	kdf = json_pack("{s:s, s:i, s:i, s:i}", "alg", "argon2id", "t",
			KDF_PASSES, "m", KDF_MEMORY_KIB, "p", KDF_LANES);
	w = json_pack("{s:s, s:o}", "alg", WRAP_ALG, "kdf", kdf);
	rc = w ? 0 : CT_ENOMEM;
	if (rc == 0)
		rc = b64_member(kdf, "salt", salt, sizeof(salt));
	if (rc == 0)
		rc = b64_member(w, "iv", iv, sizeof(iv));
	if (rc == 0)
		rc = b64_member(w, "ct", ct, (size_t)n);
	if (rc == 0)
		rc = b64_member(w, "mac", mac, sizeof(mac));
	if (rc) {
		json_decref(w);
		rc = error_set(err, rc, "out of memory");
		goto out;
	}
	*out = w;
out:
	crypto_wipe(der, sizeof(der));
	crypto_wipe(enc, sizeof(enc));
	crypto_wipe(mac_key, sizeof(mac_key));
	return rc;
}

/* Opens a wrapping with password. */
static int unwrap(const json_t *w, const char *user, const char *id,
		  const char *password, struct key **out, struct error *err)
{
	uint8_t salt[KDF_SALT_LEN + 3], iv[SM4_IV_LEN + 3], ct[KEY_DER_MAX];
	uint8_t mac[HMAC_SM3_LEN + 3], want[HMAC_SM3_LEN], der[KEY_DER_MAX];
	uint8_t enc[SM4_KEY_LEN], mac_key[HMAC_SM3_LEN];
	const json_t *kdf = json_object_get(w, "kdf");
	json_int_t t = json_integer_value(json_object_get(kdf, "t"));
	json_int_t m = json_integer_value(json_object_get(kdf, "m"));
	json_int_t p = json_integer_value(json_object_get(kdf, "p"));
	long ns = b64_get(kdf, "salt", salt, sizeof(salt));
	long ni = b64_get(w, "iv", iv, sizeof(iv));
	long nc = b64_get(w, "ct", ct, sizeof(ct));
	long nm = b64_get(w, "mac", mac, sizeof(mac));
	int rc;

	*out = NULL;
	if (strcmp(json_string_value(json_object_get(w, "alg")) ?: "",
		   WRAP_ALG) ||
	    strcmp(json_string_value(json_object_get(kdf, "alg")) ?: "",
		   "argon2id") ||
	    t < 1 || t > 64 || m < 8 * 1024 || m > 4 * 1024 * 1024 || p < 1 ||
	    p > 16 || ns != KDF_SALT_LEN || ni != SM4_IV_LEN || nc <= 0 ||
	    nm != HMAC_SM3_LEN)
		return error_set(err, CT_ECORRUPT, "the wrapping of key '%s' is "
				 "malformed", id);
	rc = derive(password, salt, (uint32_t)t, (uint32_t)m, (uint32_t)p,
		    enc, mac_key, err);
	if (rc == 0)
		rc = wrap_mac(mac_key, user, id, (uint32_t)t, (uint32_t)m,
			      (uint32_t)p, salt, iv, ct, (size_t)nc, want);
	if (rc == 0 && !crypto_equal(mac, want, HMAC_SM3_LEN))
		rc = error_set(err, CT_EPERM, "the password does not open the "
			       "signing key of '%s'", user);
	if (rc == 0)
		rc = sm4_ctr(enc, iv, ct, (size_t)nc, der);
	if (rc == 0)
		rc = key_load_private_der(der, (size_t)nc, out, err);
	crypto_wipe(der, sizeof(der));
	crypto_wipe(enc, sizeof(enc));
	crypto_wipe(mac_key, sizeof(mac_key));
	return rc;
}

/* The id of a public key. */
static int key_id(const struct key *k, char out[KEY_ID_LEN + 1])
{
	uint8_t point[80], digest[HASH_LEN];
	int n = key_public_raw(k, point, sizeof(point));

	if (n <= 0)
		return CT_ECRYPTO;
	hash_buf(HASH_SM3, point, (size_t)n, digest);
	for (int i = 0; i < KEY_ID_LEN / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", digest[i]);
	return 0;
}

/* The id of a PEM public key; CT_EINVAL when it is not an SM2 key. */
static int pem_id(const char *pem, char out[KEY_ID_LEN + 1])
{
	struct key *k = NULL;
	int rc = key_load_public_pem(pem, strlen(pem), &k, NULL);

	if (rc == 0 && key_get_type(k) != KEY_SM2)
		rc = CT_EINVAL;
	if (rc == 0)
		rc = key_id(k, out);
	key_free(k);
	return rc;
}

/* --- rows ------------------------------------------------------------------ */

json_t *keys_row(struct store *s, const char *ns, const char *key)
{
	struct buf body = BUF_INIT_MAX(1 << 20);
	json_t *row = NULL;

	if (store_kv_get(s, ns, key, &body, NULL, NULL) == 0)
		row = json_loadb(body.data, body.len, 0, NULL);
	buf_release(&body);
	return row;
}

static int put_row(struct store *s, const char *ns, const char *key,
		   uint64_t seq, const json_t *row, struct error *err)
{
	char *text = json_dumps(row, JSON_COMPACT | JSON_SORT_KEYS);
	int rc;

	if (!text)
		return error_set(err, CT_ENOMEM, "out of memory");
	rc = store_kv_put(s, ns, key, seq, text, err);
	free(text);
	return rc;
}

static void when(int64_t ms, char out[32])
{
	cases_time_format(ms, out);
}

int keys_current(struct store *s, const char *user, int64_t now_ms,
		 json_t **row, struct error *err)
{
	json_t *u = keys_row(s, NS_STAFF_KEY_USER, user), *k = NULL, *rev;
	const char *id = json_string_value(json_object_get(u, "current"));
	char t[32];
	int rc = 0;

	*row = NULL;
	if (id)
		k = keys_row(s, NS_STAFF_KEY, id);
	if (!k) {
		rc = error_set(err, CT_EPERM, "'%s' has no signing key; a "
			       "password reset by the system administrator "
			       "issues one", user);
		goto out;
	}
	rev = json_object_get(k, "revoked");
	if (json_is_object(rev)) {
		when(json_integer_value(json_object_get(rev, "at")), t);
		rc = error_set(err, CT_EPERM, "the signing key %s of '%s' was "
			       "revoked on %s by %s (%s) and signs nothing; "
			       "a password reset by the system administrator "
			       "issues a new one", id, user, t,
			       json_string_value(json_object_get(rev, "by")),
			       json_string_value(json_object_get(rev,
								 "reason")));
		goto out;
	}
	if (json_integer_value(json_object_get(k, "valid_until")) <= now_ms) {
		when(json_integer_value(json_object_get(k, "valid_until")), t);
		rc = error_set(err, CT_EPERM, "the signing key %s of '%s' "
			       "expired on %s and signs nothing; a password "
			       "reset by the system administrator issues a "
			       "new one", id, user, t);
		goto out;
	}
	*row = json_incref(k);
out:
	json_decref(k);
	json_decref(u);
	return rc;
}

json_t *keys_render(const json_t *row, int64_t now_ms)
{
	int64_t from = json_integer_value(json_object_get(row, "valid_from"));
	int64_t until = json_integer_value(json_object_get(row,
							   "valid_until"));
	json_t *out = json_deep_copy(row), *rev = json_object_get(row,
								  "revoked");
	const char *state = "current";
	char t[32];

	json_object_del(out, "wrapped_seq");
	when(from, t);
	json_object_set_new(out, "valid_from", json_string(t));
	when(until, t);
	json_object_set_new(out, "valid_until", json_string(t));
	if (json_is_object(rev)) {
		json_t *r = json_object_get(out, "revoked");

		when(json_integer_value(json_object_get(rev, "at")), t);
		json_object_set_new(r, "at", json_string(t));
		state = "revoked";
	} else if (json_is_object(json_object_get(row, "replaced_by"))) {
		state = "replaced";
	} else if (until <= now_ms) {
		state = "expired";
	}
	json_object_set_new(out, "state", json_string(state));
	return out;
}

int keys_unwrap(struct access *a, const json_t *row, const char *password,
		struct key **out, struct error *err)
{
	const char *user = json_string_value(json_object_get(row, "user"));
	const char *id = json_string_value(json_object_get(row, "id"));
	json_int_t seq = json_integer_value(json_object_get(row,
							    "wrapped_seq"));
	json_t *fields = NULL;
	char mine[KEY_ID_LEN + 1];
	int rc = ledger_content(a->ledger, (uint64_t)seq, &fields, err);

	*out = NULL;
	if (rc)
		return rc;
	rc = unwrap(json_object_get(fields, "wrapped"), user ?: "", id ?: "",
		    password, out, err);
	json_decref(fields);
	/* The key must be the one the row's public key names. */
	if (rc == 0 && (key_id(*out, mine) || strcmp(mine, id ?: ""))) {
		key_free(*out);
		*out = NULL;
		rc = error_set(err, CT_ECORRUPT, "the wrapped key of '%s' is "
			       "not key %s", user, id);
	}
	return rc;
}

/* --- issuing and re-wrapping ------------------------------------------------- */

static int64_t valid_days(void)
{
	const char *env = getenv("CASETRAIL_KEY_VALID_DAYS");
	char *end;
	long v;

	if (!env || !*env)
		return KEY_VALID_DAYS_DEFAULT;
	errno = 0;
	v = strtol(env, &end, 10);
	if (errno || *end || v < 1 || v > 36600) {
		log_warn("access", "CASETRAIL_KEY_VALID_DAYS ignored: not a "
			 "number of days from 1 to 36600", "value=\"%.32s\"",
			 env);
		return KEY_VALID_DAYS_DEFAULT;
	}
	return v;
}

static int append(struct access *a, const char *kind, const json_t *fields,
		  const struct actor *by, int seal, uint64_t *seq,
		  struct error *err)
{
	struct ledger_record rec = { .kind = kind, .actor = by->user,
				     .os_user = by->os_user,
				     .fields = fields, .supersedes = -1,
				     .seal = seal };
	struct ledger_receipt receipt;
	int rc = ledger_append(a->ledger, &rec, &receipt, err);

	if (rc == 0 && seq)
		*seq = receipt.seq;
	return rc;
}

static int issue(struct access *a, const char *user, const char *password,
		 int64_t valid_until_ms, const struct actor *by,
		 char id[KEY_ID_LEN + 1], struct error *err)
{
	struct buf pem = BUF_INIT_MAX(4096);
	int64_t now = ledger_now_ms();
	json_t *wrapped = NULL, *fields;
	struct key *k = NULL;
	uint64_t seq = 0;
	int rc;

	if (!password || !password[0])
		return error_set(err, CT_EINVAL, "a signing key needs a "
				 "password to be wrapped under");
	if (!valid_until_ms)
		valid_until_ms = now + valid_days() * DAY_MS;
	if (valid_until_ms <= now)
		return error_set(err, CT_EINVAL, "a signing key must be valid "
				 "until a time in the future");
	rc = key_generate(KEY_SM2, &k, err);
	if (rc == 0 && (key_id(k, id) || key_public_pem(k, &pem)))
		rc = error_set(err, CT_ECRYPTO, "cannot encode the new key");
	if (rc == 0)
		rc = wrap(k, user, id, password, &wrapped, err);
	key_free(k);
	if (rc) {
		buf_release(&pem);
		return rc;
	}
	fields = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:o}", "user", user,
			   "id", id, "alg", "sm2", "public", pem.data,
			   "valid_from", (json_int_t)now, "valid_until",
			   (json_int_t)valid_until_ms, "wrapped", wrapped);
	buf_release(&pem);
	/* Sealed: the wrapping leaves the database file only encrypted. */
	rc = fields ? append(a, KIND_STAFF_KEY, fields, by, 1, &seq, err)
		    : error_set(err, CT_ENOMEM, "out of memory");
	json_decref(fields);
	if (rc == 0)
		log_info("access", "signing key issued", "user=%s key=%s "
			 "seq=%" PRIu64 " by=%s", user, id, seq, by->user);
	return rc;
}

int keys_issue(struct access *a, const char *user, const char *password,
	       const struct actor *by, struct error *err)
{
	char id[KEY_ID_LEN + 1];

	return issue(a, user, password, 0, by, id, err);
}

int keys_rewrap(struct access *a, const char *user, const char *old_pw,
		const char *new_pw, const struct actor *by,
		struct error *err)
{
	struct error why = { 0 };
	json_t *row = NULL, *wrapped = NULL, *fields;
	struct key *k = NULL;
	const char *id;
	struct store *s;
	uint64_t seq = 0;
	int rc = ledger_read_begin(a->ledger, &s, err);

	if (rc)
		return rc;
	rc = keys_current(s, user, ledger_now_ms(), &row, &why);
	ledger_read_end(a->ledger, s);
	/* Nothing usable to re-wrap: a new key under the new password. */
	if (rc == CT_EPERM || !old_pw)
		return keys_issue(a, user, new_pw, by, err);
	if (rc)
		return error_set(err, rc, "%s", why.msg);
	id = json_string_value(json_object_get(row, "id"));
	rc = keys_unwrap(a, row, old_pw, &k, err);
	if (rc == 0)
		rc = wrap(k, user, id, new_pw, &wrapped, err);
	key_free(k);
	if (rc) {
		json_decref(row);
		return rc;
	}
	fields = json_pack("{s:s, s:s, s:o}", "user", user, "id", id,
			   "wrapped", wrapped);
	rc = fields ? append(a, KIND_STAFF_KEY_REWRAP, fields, by, 1, &seq,
			     err)
		    : error_set(err, CT_ENOMEM, "out of memory");
	json_decref(fields);
	if (rc == 0)
		log_info("access", "signing key re-wrapped", "user=%s key=%s "
			 "seq=%" PRIu64, user, id, seq);
	json_decref(row);
	return rc;
}

/* --- the module's interface -------------------------------------------------- */

int access_key_get(struct access *a, const char *id, json_t **out,
		   struct error *err)
{
	struct store *s;
	json_t *row;
	int rc = ledger_read_begin(a->ledger, &s, err);

	if (rc)
		return rc;
	row = keys_row(s, NS_STAFF_KEY, id);
	ledger_read_end(a->ledger, s);
	if (!row)
		return error_set(err, CT_ENOTFOUND, "no signing key has the id "
				 "'%s'; list keys with 'casetrail staff-key "
				 "list'", id);
	*out = keys_render(row, ledger_now_ms());
	json_decref(row);
	return 0;
}

int access_key_issue(struct access *a, const char *user, const char *password,
		     int64_t valid_until_ms, const struct actor *by,
		     json_t **out, struct error *err)
{
	struct account_rows rows = { 0 };
	char *hash = NULL;
	char id[KEY_ID_LEN + 1];
	int rc = account_rows_read(a, user, true, &rows, err);

	if (rc)
		return rc;
	/* An account without a password yet takes any: it has no key. */
	rc = account_secret(a, rows.password, "hash", &hash, err);
	if (rc == CT_ENOTFOUND)
		rc = 0;
	if (rc == 0 && hash) {
		rc = password_verify(a, hash, password, err);
		if (rc == CT_EPERM)
			rc = error_set(err, CT_EPERM, "the password is not the "
				       "one '%s' signs in with; a signing key "
				       "is wrapped under that", user);
	}
	account_secret_free(hash);
	account_rows_release(&rows);
	if (rc == 0)
		rc = issue(a, user, password, valid_until_ms, by, id, err);
	if (rc == 0 && out)
		rc = access_key_get(a, id, out, err);
	return rc;
}

int access_key_revoke(struct access *a, const struct actor *by,
		      const char *id, const char *reason, json_t **out,
		      struct error *err)
{
	json_t *row = NULL, *fields;
	uint64_t seq = 0;
	int rc;

	if (!reason || !reason[0])
		return error_set(err, CT_EINVAL, "a revocation needs a reason; "
				 "say why the key must stop signing");
	rc = access_key_get(a, id, &row, err);
	if (rc)
		return rc;
	if (!strcmp(json_string_value(json_object_get(row, "state")),
		    "revoked")) {
		json_decref(row);
		return error_set(err, CT_ESTATE, "signing key %s was revoked "
				 "already", id);
	}
	fields = json_pack("{s:s, s:O, s:s}", "id", id, "user",
			   json_object_get(row, "user"), "reason", reason);
	json_decref(row);
	rc = fields ? append(a, KIND_STAFF_KEY_REVOKE, fields, by, 0, &seq,
			     err)
		    : error_set(err, CT_ENOMEM, "out of memory");
	json_decref(fields);
	if (rc)
		return rc;
	log_info("access", "signing key revoked", "key=%s seq=%" PRIu64
		 " by=%s", id, seq, by->user);
	return out ? access_key_get(a, id, out, err) : 0;
}

struct list_ctx {
	json_t *items;
	const char *user;
	int64_t now;
};

static int list_key(void *ctx, const char *key, uint64_t seq,
		    const char *body, size_t len)
{
	struct list_ctx *lc = ctx;
	json_t *row = json_loadb(body, len, 0, NULL);

	(void)key, (void)seq;
	if (row && (!lc->user || !strcmp(json_string_value(json_object_get(
						 row, "user")) ?: "",
					 lc->user)))
		json_array_append_new(lc->items, keys_render(row, lc->now));
	json_decref(row);
	return 0;
}

static int newest_first(const void *x, const void *y)
{
	json_int_t a = json_integer_value(json_object_get(*(json_t **)x,
							  "seq"));
	json_int_t b = json_integer_value(json_object_get(*(json_t **)y,
							  "seq"));

	if (a == b)
		return 0;
	return a < b ? 1 : -1;
}

int access_keys_list(struct access *a, const char *user, json_t **out,
		     struct error *err)
{
	struct list_ctx lc = { json_array(), user, ledger_now_ms() };
	json_t **sorted, *items;
	size_t n;
	struct store *s;
	int rc = ledger_read_begin(a->ledger, &s, err);

	if (rc == 0) {
		rc = store_kv_scan(s, NS_STAFF_KEY, "", false, 0, 0, list_key,
				   &lc, NULL, err);
		ledger_read_end(a->ledger, s);
	}
	n = json_array_size(lc.items);
	sorted = rc == 0 ? calloc(n + 1, sizeof(*sorted)) : NULL;
	if (!sorted) {
		json_decref(lc.items);
		return rc ? rc : error_set(err, CT_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++)
		sorted[i] = json_array_get(lc.items, i);
	qsort(sorted, n, sizeof(*sorted), newest_first);
	items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append(items, sorted[i]);
	free(sorted);
	json_decref(lc.items);
	*out = json_pack("{s:o}", "items", items);
	return 0;
}

/* --- projectors -------------------------------------------------------------- */

static const char *field(const struct cases_entry *e, const char *name)
{
	return json_string_value(json_object_get(e->fields, name));
}

int project_staff_key(struct access *a, struct store *s,
		      const struct cases_entry *e, struct error *err)
{
	const char *user = field(e, "user"), *id = field(e, "id");
	const char *pem = field(e, "public");
	json_int_t from = json_integer_value(json_object_get(e->fields,
							     "valid_from"));
	json_int_t until = json_integer_value(json_object_get(e->fields,
							      "valid_until"));
	struct buf body = BUF_INIT_MAX(1 << 20);
	json_t *u, *old = NULL, *row, *keys;
	char want[KEY_ID_LEN + 1];
	const char *prev;
	int rc;

	(void)a;
	if (!e->fields)
		return 0; /* expunged: nothing to project */
	if (!e->replaying) {
		if (!user || !id || !pem || until <= from ||
		    !json_is_object(json_object_get(e->fields, "wrapped")))
			return error_set(err, CT_EINVAL, "a staff-key entry "
					 "needs user, id, public, wrapped and "
					 "valid_until after valid_from");
		if (pem_id(pem, want) || strcmp(want, id))
			return error_set(err, CT_EINVAL, "key id '%s' is not "
					 "the id of the public key given", id);
		if (store_user_get(s, user, &body, NULL) != 0) {
			buf_release(&body);
			return error_set(err, CT_ENOTFOUND, "user '%s' is not "
					 "registered", user);
		}
		buf_release(&body);
	}
	if (!user || !id)
		return 0;
	u = keys_row(s, NS_STAFF_KEY_USER, user);
	if (!u)
		u = json_pack("{s:n, s:[]}", "current", "keys");
	prev = json_string_value(json_object_get(u, "current"));
	if (prev)
		old = keys_row(s, NS_STAFF_KEY, prev);
	rc = 0;
	if (old) {
		json_object_set_new(old, "replaced_by", json_pack(
			"{s:s, s:I}", "id", id, "seq", (json_int_t)e->seq));
		rc = put_row(s, NS_STAFF_KEY, prev, e->seq, old, err);
	}
	row = json_pack("{s:s, s:s, s:s, s:s?, s:I, s:I, s:I, s:I, s:n, s:n}",
			"id", id, "user", user, "alg", "sm2", "public", pem,
			"valid_from", from, "valid_until", until, "seq",
			(json_int_t)e->seq, "wrapped_seq", (json_int_t)e->seq,
			"replaced_by", "revoked");
	if (rc == 0)
		rc = put_row(s, NS_STAFF_KEY, id, e->seq, row, err);
	keys = json_object_get(u, "keys");
	json_array_append_new(keys, json_string(id));
	json_object_set_new(u, "current", json_string(id));
	if (rc == 0)
		rc = put_row(s, NS_STAFF_KEY_USER, user, e->seq, u, err);
	json_decref(row);
	json_decref(old);
	json_decref(u);
	return rc;
}

int project_staff_key_rewrap(struct access *a, struct store *s,
			     const struct cases_entry *e, struct error *err)
{
	const char *user = field(e, "user"), *id = field(e, "id");
	json_t *u, *row;
	int rc = 0;

	(void)a;
	if (!e->fields || !user || !id)
		return e->replaying || !e->fields
			       ? 0
			       : error_set(err, CT_EINVAL, "a staff-key-rewrap "
					   "entry needs user and id");
	u = keys_row(s, NS_STAFF_KEY_USER, user);
	row = keys_row(s, NS_STAFF_KEY, id);
	if (!e->replaying &&
	    (!row || strcmp(json_string_value(json_object_get(u, "current"))
					?: "", id) ||
	     json_is_object(json_object_get(row, "revoked"))))
		rc = error_set(err, CT_ESTATE, "key %s is not the current "
			       "signing key of '%s'", id, user);
	if (rc == 0 && row) {
		json_object_set_new(row, "wrapped_seq",
				    json_integer((json_int_t)e->seq));
		rc = put_row(s, NS_STAFF_KEY, id, e->seq, row, err);
	}
	json_decref(u);
	json_decref(row);
	return rc;
}

int project_staff_key_revoke(struct access *a, struct store *s,
			     const struct cases_entry *e, struct error *err)
{
	const char *id = field(e, "id"), *reason = field(e, "reason");
	json_t *row = id ? keys_row(s, NS_STAFF_KEY, id) : NULL;
	int rc = 0;

	(void)a;
	if (!e->fields)
		return 0;
	if (!e->replaying) {
		if (!row)
			rc = error_set(err, CT_ENOTFOUND, "no signing key has "
				       "the id '%s'", id ?: "");
		else if (json_is_object(json_object_get(row, "revoked")))
			rc = error_set(err, CT_ESTATE, "signing key %s was "
				       "revoked already", id);
		else if (strcmp(json_string_value(json_object_get(row, "user"))
					?: "", field(e, "user") ?: ""))
			rc = error_set(err, CT_EINVAL, "signing key %s is not "
				       "a key of '%s'", id, field(e, "user"));
	}
	if (rc == 0 && row && !json_is_object(json_object_get(row,
							       "revoked"))) {
		json_object_set_new(row, "revoked", json_pack(
			"{s:I, s:s, s:I, s:s}", "seq", (json_int_t)e->seq, "by",
			e->actor, "at", (json_int_t)e->ts_ms, "reason",
			reason ?: ""));
		rc = put_row(s, NS_STAFF_KEY, id, e->seq, row, err);
	}
	json_decref(row);
	return rc;
}
