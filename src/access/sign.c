/*
 * SM2 signatures of records by staff (see sign.h).
 *
 * The member confirms with their password. Their private key is
 * unwrapped in memory for that one signature and freed, and OpenSSL
 * clears a private key's numbers when it frees them. The signed bytes are
 * the statement of staff_statement: the store's origin, the record's
 * seq, the role, the signer and the record entry's content commitment.
 * So a signature cannot be moved to another record, store or role.
 *
 * A wrong password counts as a failed sign-in (password.c), so that
 * signing cannot be used to guess a password past the lockout.
 */
#include "common/common.h"

#include "common/jcs.h"
#include "common/log.h"
#include "content/content.h"
#include "keys_internal.h"

#define ROLE_MAX 64

struct staff_signer {
	struct key *key;
	char user[LEDGER_NAME_MAX + 1];
	char id[KEY_ID_LEN + 1];
};

/* A role is lowercase letters, digits and '-', as the record kinds'. */
static int check_role(const char *role, struct error *err)
{
	size_t n = role ? strlen(role) : 0;

	if (n == 0 || n > ROLE_MAX)
		return error_set(err, CT_EINVAL, "the role to sign in is "
				 "missing or longer than %d bytes", ROLE_MAX);
	for (size_t i = 0; i < n; i++)
		if (!((role[i] >= 'a' && role[i] <= 'z') ||
		      (role[i] >= '0' && role[i] <= '9') || role[i] == '-'))
			return error_set(err, CT_EINVAL, "role '%s' may hold "
					 "only a-z, 0-9 and '-'; use a role "
					 "of the record's signers", role);
	return 0;
}

int access_signer_open(struct access *a, const char *user,
		       const char *password, const char *addr,
		       struct staff_signer **out, struct error *err)
{
	struct account_rows rows = { 0 };
	struct staff_signer *sg;
	json_t *row = NULL;
	struct store *s;
	int64_t until;
	int rc;

	*out = NULL;
	if (!password || !password[0])
		return error_set(err, CT_EINVAL, "signing needs the password of "
				 "'%s'", user);
	rc = account_rows_read(a, user, true, &rows, err);
	if (rc)
		return rc;
	until = lock_until(&a->cfg, rows.failures);
	account_rows_release(&rows);
	if (until > ledger_now_ms())
		return error_set(err, CT_EPERM, "the account '%s' is locked "
				 "after repeated wrong passwords; try again in "
				 "%" PRId64 " minutes", user,
				 (until - ledger_now_ms()) / 60000 + 1);
	rc = ledger_read_begin(a->ledger, &s, err);
	if (rc)
		return rc;
	rc = keys_current(s, user, ledger_now_ms(), &row, err);
	ledger_read_end(a->ledger, s);
	if (rc)
		return rc;
	sg = calloc(1, sizeof(*sg));
	if (!sg) {
		json_decref(row);
		return error_set(err, CT_ENOMEM, "out of memory");
	}
	snprintf(sg->user, sizeof(sg->user), "%s", user);
	snprintf(sg->id, sizeof(sg->id), "%s",
		 json_string_value(json_object_get(row, "id")));
	rc = keys_unwrap(a, row, password, &sg->key, err);
	json_decref(row);
	if (rc == CT_EPERM) {
		struct error ignored = { 0 };

		failure_record(a, user, addr, "signature", &ignored);
	}
	if (rc) {
		access_signer_close(sg);
		return rc;
	}
	*out = sg;
	return 0;
}

void access_signer_close(struct staff_signer *sg)
{
	if (!sg)
		return;
	key_free(sg->key);
	free(sg);
}

/* The fields that name a record's signers: those of a correction are in
 * the fields it gives. */
static const json_t *signer_fields(const char *kind, const json_t *fields)
{
	if (kind && !strcmp(kind, "correction"))
		return json_object_get(fields, "fields");
	return fields;
}

int access_sign_allowed(const char *user, const char *role,
			const char *kind, const json_t *fields,
			const char *author, struct error *err)
{
	json_t *sig;
	size_t i;
	int rc = check_role(role, err);

	if (rc)
		return rc;
	if (!strcmp(role, "author")) {
		if (author && !strcmp(author, user))
			return 0;
		return error_set(err, CT_EPERM, "'%s' did not write this "
				 "record, so cannot sign it as its author",
				 user);
	}
	json_array_foreach(json_object_get(signer_fields(kind, fields),
					   "signatures"), i, sig) {
		const char *r = json_string_value(json_object_get(sig, "role"));
		const char *p = json_string_value(json_object_get(sig,
								  "person"));
		const char *m = json_string_value(json_object_get(sig,
								  "method"));

		if (r && p && m && !strcmp(r, role) && !strcmp(p, user) &&
		    !strcmp(m, "staff"))
			return 0;
	}
	return error_set(err, CT_EPERM, "the record does not name '%s' as a "
			 "staff signer of role '%s'; a staff member signs in "
			 "a role the record's signatures give them, or as "
			 "'author' of a record they wrote", user, role);
}

/* The signed record, as its entry and content store it. */
struct target {
	char kind[64];
	char case_id[CASE_ID_MAX + 1];
	char actor[LEDGER_NAME_MAX + 1];
	char commitment[HASH_TEXT_MAX];
	json_t *fields; /* NULL when the content is gone */
};

/* Reads record seq from s (inside a transaction). */
static int target_read(struct store *s, uint64_t seq, struct target *t,
		       struct error *err)
{
	struct buf body = BUF_INIT_MAX(LEDGER_ENTRY_MAX + 1);
	struct content c;
	json_t *e = NULL;
	int rc = store_entry_get(s, seq, &body, NULL);

	memset(t, 0, sizeof(*t));
	if (rc == CT_ENOTFOUND)
		rc = error_set(err, rc, "no record has the seq %" PRIu64, seq);
	else if (rc == 0 && !(e = jcs_parse(body.data, body.len, NULL)))
		rc = error_set(err, CT_ECORRUPT, "entry %" PRIu64 " is not "
			       "JSON", seq);
	else if (rc)
		rc = error_set(err, rc, "cannot read entry %" PRIu64, seq);
	buf_release(&body);
	if (rc)
		return rc;
	snprintf(t->kind, sizeof(t->kind), "%s",
		 json_string_value(json_object_get(e, "kind")) ?: "");
	snprintf(t->case_id, sizeof(t->case_id), "%s",
		 json_string_value(json_object_get(e, "case")) ?: "");
	snprintf(t->actor, sizeof(t->actor), "%s",
		 json_string_value(json_object_get(e, "actor")) ?: "");
	snprintf(t->commitment, sizeof(t->commitment), "%s",
		 json_string_value(json_object_get(e, "content")) ?: "");
	json_decref(e);
	content_init(&c);
	if (content_read(s, seq, &c, NULL) == 0)
		t->fields = jcs_parse(c.fields.data, c.fields.len, NULL);
	content_release(&c);
	return 0;
}

/* Whether kind is a record of a case that staff sign. */
static int signable(struct access *a, const char *kind)
{
	json_t *k;
	size_t i;

	if (!strcmp(kind, "correction"))
		return 1;
	json_array_foreach(json_object_get(cases_kinds(a->cases), "kinds"), i,
			   k)
		if (!strcmp(json_string_value(json_object_get(k, "code")) ?: "",
			    kind))
			return 1;
	return 0;
}

static void sig_key(uint64_t record, const char *user, const char *role,
		    char *out, size_t n)
{
	snprintf(out, n, "%020" PRIu64 "/%s/%s", record, user, role);
}

/* Checks a signature request against the record; 0 or an error. */
static int check_target(struct access *a, struct store *s, uint64_t record,
			const char *user, const char *role, struct target *t,
			struct error *err)
{
	char key[LEDGER_NAME_MAX + ROLE_MAX + 32];
	json_t *old;
	int rc = target_read(s, record, t, err);

	if (rc)
		return rc;
	if (!signable(a, t->kind))
		return error_set(err, CT_EINVAL, "entry %" PRIu64 " is of kind "
				 "'%s', not a record that staff sign", record,
				 t->kind);
	if (!t->fields)
		return error_set(err, CT_ESTATE, "the content of record %"
				 PRIu64 " is gone (expunged), so whom it names "
				 "as signers cannot be checked", record);
	rc = access_sign_allowed(user, role, t->kind, t->fields, t->actor,
				 err);
	if (rc)
		return rc;
	sig_key(record, user, role, key, sizeof(key));
	old = keys_row(s, NS_SIGNATURE, key);
	if (old) {
		json_decref(old);
		return error_set(err, CT_EEXIST, "'%s' signed record %" PRIu64
				 " as %s already", user, record, role);
	}
	return 0;
}

/* The statement of a signature row's record. */
static int statement(struct access *a, uint64_t record, const char *role,
		     const char *user, const char *commitment, struct buf *out)
{
	return staff_statement(ledger_config(a->ledger)->origin, record, role,
			       user, commitment, out);
}

/* Renders a signature row with its statement and public key. */
static json_t *render(struct access *a, struct store *s, const json_t *row)
{
	struct buf text = BUF_INIT_MAX(4096);
	json_t *out = json_deep_copy(row), *key;
	char t[32];

	cases_time_format(json_integer_value(json_object_get(row, "at")), t);
	json_object_set_new(out, "at", json_string(t));
	if (statement(a, (uint64_t)json_integer_value(json_object_get(
				 row, "record")),
		      json_string_value(json_object_get(row, "role")),
		      json_string_value(json_object_get(row, "user")),
		      json_string_value(json_object_get(row, "commitment")),
		      &text) == 0)
		json_object_set_new(out, "statement", json_string(text.data));
	buf_release(&text);
	key = keys_row(s, NS_STAFF_KEY, json_string_value(json_object_get(
						row, "key")) ?: "");
	if (key) {
		json_t *shown = keys_render(key, ledger_now_ms());

		json_object_set(out, "public", json_object_get(shown,
							       "public"));
		json_object_set(out, "key_state", json_object_get(shown,
								  "state"));
		json_decref(shown);
		json_decref(key);
	}
	return out;
}

int access_sign(struct access *a, struct staff_signer *sg, uint64_t seq,
		const char *role, const struct actor *by, json_t **out,
		struct error *err)
{
	struct ledger_record rec = { .kind = KIND_SIGNATURE, .actor = by->user,
				     .os_user = by->os_user,
				     .supersedes = -1 };
	struct buf text = BUF_INIT_MAX(4096), b64 = BUF_INIT_MAX(256);
	uint8_t raw[SIG_MAX], der[SM2_SIG_DER_MAX];
	struct ledger_receipt receipt;
	json_t *fields = NULL;
	struct target t = { 0 };
	struct store *s;
	size_t siglen;
	int n, rc;

	if (strcmp(by->user, sg->user))
		return error_set(err, CT_EPERM, "'%s' may not sign with the "
				 "key of '%s'", by->user, sg->user);
	rc = ledger_read_begin(a->ledger, &s, err);
	if (rc)
		return rc;
	rc = check_target(a, s, seq, sg->user, role, &t, err);
	ledger_read_end(a->ledger, s);
	if (rc == 0 && statement(a, seq, role, sg->user, t.commitment, &text))
		rc = error_set(err, CT_EINVAL, "record %" PRIu64 " has no "
			       "commitment to sign", seq);
	if (rc == 0)
		rc = key_sign(sg->key, text.data, text.len, raw, &siglen, err);
	n = rc == 0 ? sm2_sig_der(raw, der) : 0;
	if (rc == 0 && (n <= 0 || base64_encode(der, (size_t)n, &b64)))
		rc = error_set(err, CT_ECRYPTO, "cannot encode the signature");
	if (rc == 0) {
		fields = json_pack("{s:I, s:s?, s:s, s:s, s:s, s:s, s:s, s:s}",
				   "record", (json_int_t)seq, "case",
				   t.case_id[0] ? t.case_id : NULL, "user",
				   sg->user, "key", sg->id, "role", role,
				   "alg", SIGN_ALG, "commitment", t.commitment,
				   "signature", b64.data);
		rec.case_id = t.case_id[0] ? t.case_id : NULL;
		rec.fields = fields;
		rc = fields ? ledger_append(a->ledger, &rec, &receipt, err)
			    : error_set(err, CT_ENOMEM, "out of memory");
	}
	json_decref(fields);
	json_decref(t.fields);
	buf_release(&text);
	buf_release(&b64);
	if (rc)
		return rc;
	log_info("access", "record signed", "record=%" PRIu64 " user=%s "
		 "role=%s key=%s seq=%" PRIu64, seq, sg->user, role, sg->id,
		 receipt.seq);
	if (!out)
		return 0;
	rc = access_signatures(a, seq, &fields, err);
	if (rc)
		return rc;
	/* The one just made: the newest of this user and role. */
	*out = NULL;
	for (size_t i = json_array_size(json_object_get(fields, "items"));
	     i-- > 0;) {
		json_t *it = json_array_get(json_object_get(fields, "items"), i);

		if (json_integer_value(json_object_get(it, "seq")) ==
		    (json_int_t)receipt.seq) {
			*out = json_incref(it);
			break;
		}
	}
	json_decref(fields);
	return *out ? 0 : error_set(err, CT_EIO, "signature %" PRIu64 " was "
				    "appended but is not projected",
				    receipt.seq);
}

struct sigs_ctx {
	struct access *a;
	struct store *s;
	json_t *items;
};

static int list_sig(void *ctx, const char *key, uint64_t seq,
		    const char *body, size_t len)
{
	struct sigs_ctx *sc = ctx;
	json_t *row = json_loadb(body, len, 0, NULL);

	(void)key, (void)seq;
	if (row)
		json_array_append_new(sc->items, render(sc->a, sc->s, row));
	json_decref(row);
	return 0;
}

static int oldest_first(const void *x, const void *y)
{
	json_int_t a = json_integer_value(json_object_get(*(json_t **)x,
							  "seq"));
	json_int_t b = json_integer_value(json_object_get(*(json_t **)y,
							  "seq"));

	return a < b ? -1 : a > b;
}

int access_signatures(struct access *a, uint64_t seq, json_t **out,
		      struct error *err)
{
	struct sigs_ctx sc = { a, NULL, json_array() };
	struct buf body = BUF_INIT_MAX(LEDGER_ENTRY_MAX + 1);
	char prefix[32];
	json_t *e = NULL, *items, **v;
	size_t n;
	int rc = ledger_read_begin(a->ledger, &sc.s, err);

	if (rc) {
		json_decref(sc.items);
		return rc;
	}
	rc = store_entry_get(sc.s, seq, &body, NULL);
	if (rc == CT_ENOTFOUND)
		rc = error_set(err, rc, "no record has the seq %" PRIu64, seq);
	if (rc == 0 && !(e = jcs_parse(body.data, body.len, err)))
		rc = CT_ECORRUPT;
	snprintf(prefix, sizeof(prefix), "%020" PRIu64 "/", seq);
	if (rc == 0)
		rc = store_kv_scan(sc.s, NS_SIGNATURE, prefix, false, 0, 0,
				   list_sig, &sc, NULL, err);
	ledger_read_end(a->ledger, sc.s);
	buf_release(&body);
	n = json_array_size(sc.items);
	v = rc == 0 ? calloc(n + 1, sizeof(*v)) : NULL;
	if (!v) {
		json_decref(e);
		json_decref(sc.items);
		return rc ? rc : error_set(err, CT_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(sc.items, i);
	qsort(v, n, sizeof(*v), oldest_first);
	items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append(items, v[i]);
	free(v);
	json_decref(sc.items);
	*out = json_pack("{s:I, s:O, s:o}", "record", (json_int_t)seq,
			 "commitment", json_object_get(e, "content"), "items",
			 items);
	json_decref(e);
	return 0;
}

/* --- the projector ------------------------------------------------------------ */

int64_t keys_signed_at(void *ctx, struct store *s, uint64_t seq,
		       const char *user, const char *role)
{
	char key[LEDGER_NAME_MAX + ROLE_MAX + 32];
	json_t *row;
	int64_t at = -1;

	(void)ctx;
	sig_key(seq, user, role, key, sizeof(key));
	row = keys_row(s, NS_SIGNATURE, key);
	if (row)
		at = json_integer_value(json_object_get(row, "at"));
	json_decref(row);
	return at;
}

/* Verifies the signature of entry e under the key row. */
static int verify_sig(struct access *a, const struct cases_entry *e,
		      const json_t *key, uint64_t record,
		      const char *commitment, struct error *err)
{
	const char *pem = json_string_value(json_object_get(key, "public"));
	const char *b64 = json_string_value(json_object_get(e->fields,
							    "signature"));
	struct buf text = BUF_INIT_MAX(4096);
	uint8_t der[SM2_SIG_DER_MAX + 4], raw[SIG_MAX];
	struct key *k = NULL;
	long n = b64 ? base64_decode(b64, strlen(b64), der, sizeof(der)) : -1;
	int ok = n > 0 && sm2_sig_raw(der, (size_t)n, raw) == 0 && pem &&
		 key_load_public_pem(pem, strlen(pem), &k, NULL) == 0 &&
		 statement(a, record, json_string_value(json_object_get(
					      e->fields, "role")),
			   e->actor, commitment, &text) == 0 &&
		 key_verify(k, text.data, text.len, raw, SIG_MAX) == 0;

	key_free(k);
	buf_release(&text);
	return ok ? 0 : error_set(err, CT_ECRYPTO, "the signature of record %"
				  PRIu64 " does not verify under key %s",
				  record, json_string_value(json_object_get(
						  key, "id")));
}

int project_signature(struct access *a, struct store *s,
		      const struct cases_entry *e, struct error *err)
{
	json_t *rec = json_object_get(e->fields, "record"), *row, *key = NULL;
	const char *user = json_string_value(json_object_get(e->fields,
							     "user"));
	const char *role = json_string_value(json_object_get(e->fields,
							     "role"));
	const char *id = json_string_value(json_object_get(e->fields, "key"));
	const char *commitment = json_string_value(json_object_get(
		e->fields, "commitment"));
	char k[LEDGER_NAME_MAX + ROLE_MAX + 32];
	struct target t = { 0 };
	uint64_t record;
	char *body;
	int rc = 0;

	if (!e->fields)
		return 0; /* expunged: it no longer counts */
	if (!json_is_integer(rec) || json_integer_value(rec) < 0 || !user ||
	    !role || !id || !commitment)
		return e->replaying ? 0
				    : error_set(err, CT_EINVAL, "a signature "
						"entry needs record, user, "
						"role, key and commitment");
	record = (uint64_t)json_integer_value(rec);
	if (!e->replaying) {
		if (strcmp(e->actor, user))
			rc = error_set(err, CT_EPERM, "a signature of '%s' is "
				       "appended by '%s'; signers sign for "
				       "themselves", user, e->actor);
		if (rc == 0)
			rc = check_target(a, s, record, user, role, &t, err);
		if (rc == 0 && strcmp(t.commitment, commitment))
			rc = error_set(err, CT_EINVAL, "the signature's "
				       "commitment is not that of record %"
				       PRIu64, record);
		if (rc == 0)
			rc = keys_current(s, user, e->ts_ms, &key, err);
		if (rc == 0 && strcmp(json_string_value(json_object_get(
					      key, "id")), id))
			rc = error_set(err, CT_EPERM, "key %s is not the "
				       "current signing key of '%s'", id,
				       user);
		if (rc == 0)
			rc = verify_sig(a, e, key, record, commitment, err);
		json_decref(t.fields);
		json_decref(key);
		if (rc)
			return rc;
	}
	row = json_pack("{s:I, s:I, s:s?, s:s, s:s, s:s, s:s, s:s, s:s, s:I}",
			"seq", (json_int_t)e->seq, "record", (json_int_t)record,
			"case", e->case_id[0] ? e->case_id : NULL, "user", user,
			"role", role, "key", id, "alg", SIGN_ALG, "commitment",
			commitment, "signature",
			json_string_value(json_object_get(e->fields,
							  "signature")) ?: "",
			"at", (json_int_t)e->ts_ms);
	body = row ? json_dumps(row, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	sig_key(record, user, role, k, sizeof(k));
	rc = body ? store_kv_put(s, NS_SIGNATURE, k, e->seq, body, err)
		  : error_set(err, CT_ENOMEM, "out of memory");
	free(body);
	json_decref(row);
	return rc;
}
