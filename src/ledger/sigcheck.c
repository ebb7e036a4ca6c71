/*
 * The staff signatures pass of verify: every "signature" entry is checked
 * against the "staff-key" entries before it, from the log alone. The key
 * it names must be its signer's newest when it was appended, within its
 * validity and not revoked. It must commit to the same content as the
 * record it signs. And it must verify as an SM2 signature, under that
 * key, of the statement of crypto.h (staff_statement).
 *
 * The same pass checks every "document-issue" entry (src/documents/)
 * against the "seal-key" entries before it. Its key must be one of them,
 * and the leaf hash it states must be that of its source record. Its
 * PDF attachment must be the file it hashes, and its signature must
 * verify under the seal key over document_statement.
 */
#include "common/common.h"

#include "common/jcs.h"
#include "content/content.h"
#include "internal.h"

/* Kinds written by the access module (src/access/sign.h). */
#define KIND_STAFF_KEY "staff-key"
#define KIND_STAFF_KEY_REVOKE "staff-key-revoke"
#define KIND_SIGNATURE "signature"
/* Kinds written by the documents module (src/documents/internal.h). */
#define KIND_SEAL_KEY "seal-key"
#define KIND_DOCUMENT_ISSUE "document-issue"

struct sigcheck {
	struct store *s;
	const struct ledger_config *config;
	sig_problem_fn report;
	void *report_ctx;
	json_t *keys;  /* id -> {user, public, from, until, revoked, replaced} */
	json_t *users; /* user -> the id of their newest key */
	json_t *seals; /* seal key id -> its public key PEM */
	uint64_t checked;
	uint64_t keys_gone; /* staff-key entries whose content is gone */
};

static void report(struct sigcheck *sc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void report(struct sigcheck *sc, const char *fmt, ...)
{
	char msg[ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sc->report(sc->report_ctx, msg);
}

/* Reads and parses the content of seq; NULL when it is gone or unreadable
 * (the content pass reports that). */
static json_t *fields_of(struct sigcheck *sc, uint64_t seq)
{
	struct content c;
	json_t *f = NULL;

	content_init(&c);
	if (content_read(sc->s, seq, &c, NULL) == 0)
		f = jcs_parse(c.fields.data, c.fields.len, NULL);
	content_release(&c);
	return f;
}

static const char *str(const json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

static int64_t num(const json_t *o, const char *name)
{
	return json_integer_value(json_object_get(o, name));
}

static void add_key(struct sigcheck *sc, uint64_t seq, const json_t *f)
{
	const char *user = str(f, "user"), *id = str(f, "id");
	const char *older;

	if (!user || !id || !str(f, "public")) {
		report(sc, "entry %" PRIu64 ": staff-key lacks user, id or "
		       "public", seq);
		return;
	}
	older = str(sc->users, user);
	if (older)
		json_object_set_new(json_object_get(sc->keys, older),
				    "replaced", json_integer((json_int_t)seq));
	json_object_set_new(sc->keys, id, json_pack(
		"{s:s, s:s, s:I, s:I}", "user", user, "public",
		str(f, "public"), "from", (json_int_t)num(f, "valid_from"),
		"until", (json_int_t)num(f, "valid_until")));
	json_object_set_new(sc->users, user, json_string(id));
}

static void revoke_key(struct sigcheck *sc, uint64_t seq, const json_t *f)
{
	json_t *k = json_object_get(sc->keys, str(f, "id") ?: "");

	if (!k) {
		report(sc, "entry %" PRIu64 ": revokes key '%s', which no "
		       "earlier staff-key entry issued", seq,
		       str(f, "id") ?: "");
		return;
	}
	if (!json_object_get(k, "revoked"))
		json_object_set_new(k, "revoked",
				    json_integer((json_int_t)seq));
}

/* Reads the commitment of the entry at seq into out. */
static int commitment_of(struct sigcheck *sc, uint64_t seq, char *out,
			 size_t n)
{
	struct buf body = BUF_INIT_MAX(LEDGER_ENTRY_MAX + 1);
	json_t *e = NULL;
	int rc = store_entry_get(sc->s, seq, &body, NULL);

	if (rc == 0 && !(e = jcs_parse(body.data, body.len, NULL)))
		rc = CT_ECORRUPT;
	if (rc == 0 && !str(e, "content"))
		rc = CT_ECORRUPT;
	if (rc == 0)
		snprintf(out, n, "%s", str(e, "content"));
	json_decref(e);
	buf_release(&body);
	return rc;
}

/* Whether sig verifies over the statement under the PEM key. */
static int sig_valid(struct sigcheck *sc, const char *pem, uint64_t record,
		     const json_t *f)
{
	struct buf text = BUF_INIT_MAX(4096);
	uint8_t der[SM2_SIG_DER_MAX + 4], raw[SIG_MAX];
	const char *b64 = str(f, "signature") ?: "";
	struct key *k = NULL;
	long n;
	int ok = 0;

	n = base64_decode(b64, strlen(b64), der, sizeof(der));
	if (n > 0 && sm2_sig_raw(der, (size_t)n, raw) == 0 &&
	    key_load_public_pem(pem, strlen(pem), &k, NULL) == 0 &&
	    key_get_type(k) == KEY_SM2 &&
	    staff_statement(sc->config->origin, record, str(f, "role") ?: "",
			    str(f, "user") ?: "", str(f, "commitment") ?: "",
			    &text) == 0)
		ok = key_verify(k, text.data, text.len, raw, SIG_MAX) == 0;
	key_free(k);
	buf_release(&text);
	return ok;
}

static void check_signature(struct sigcheck *sc, uint64_t seq, int64_t ts,
			    const char *actor, const json_t *f)
{
	const char *id = str(f, "key") ?: "", *user = str(f, "user") ?: "";
	json_t *rec = json_object_get(f, "record"), *k;
	char want[HASH_TEXT_MAX];
	uint64_t record;

	sc->checked++;
	if (!json_is_integer(rec) || json_integer_value(rec) < 0 ||
	    (uint64_t)json_integer_value(rec) >= seq) {
		report(sc, "signature %" PRIu64 ": names no earlier record",
		       seq);
		return;
	}
	record = (uint64_t)json_integer_value(rec);
	k = json_object_get(sc->keys, id);
	/* A key whose entry was expunged cannot be told from none. */
	if (!k && !sc->keys_gone)
		report(sc, "signature %" PRIu64 ": key '%s' was not issued by "
		       "an earlier staff-key entry", seq, id);
	if (!k)
		return;
	if (strcmp(str(k, "user"), user) || strcmp(actor, user))
		report(sc, "signature %" PRIu64 ": key '%s' belongs to '%s', "
		       "but the signature names '%s' and was appended by "
		       "'%s'", seq, id, str(k, "user"), user, actor);
	if (ts < num(k, "from") || ts >= num(k, "until"))
		report(sc, "signature %" PRIu64 ": made outside the validity "
		       "of key '%s'", seq, id);
	if (json_object_get(k, "revoked"))
		report(sc, "signature %" PRIu64 ": key '%s' was revoked by "
		       "entry %" PRId64 " before it", seq, id,
		       num(k, "revoked"));
	if (json_object_get(k, "replaced"))
		report(sc, "signature %" PRIu64 ": key '%s' was replaced by "
		       "entry %" PRId64 " before it", seq, id,
		       num(k, "replaced"));
	if (commitment_of(sc, record, want, sizeof(want)) != 0 ||
	    strcmp(want, str(f, "commitment") ?: "")) {
		report(sc, "signature %" PRIu64 ": its commitment is not that "
		       "of record %" PRIu64, seq, record);
		return;
	}
	if (!sig_valid(sc, str(k, "public"), record, f))
		report(sc, "signature %" PRIu64 ": the SM2 signature of record "
		       "%" PRIu64 " does not verify under key '%s'", seq,
		       record, id);
}

/* Writes the leaf hash of entry seq as "<alg>:<hex>"; returns 0 or a code. */
static int leaf_of(struct sigcheck *sc, uint64_t seq, char *out)
{
	struct buf body = BUF_INIT_MAX(LEDGER_ENTRY_MAX + 1);
	uint8_t leaf[HASH_LEN];
	struct hasher *h = NULL;
	int rc = store_entry_get(sc->s, seq, &body, NULL);

	if (rc == 0) {
		h = hasher_new(sc->config->alg);
		if (!h)
			rc = CT_ENOMEM;
	}
	if (h) {
		hasher_update(h, "\0", 1);
		hasher_update(h, body.data, body.len);
		hasher_final(h, leaf);
		hasher_free(h);
		hash_format(sc->config->alg, leaf, out);
	}
	buf_release(&body);
	return rc;
}

/* Whether the raw r||s seal signature verifies over the statement. */
static int seal_valid(const char *pem, const json_t *f, uint64_t source,
		      const char *origin)
{
	struct buf text = BUF_INIT_MAX(4096);
	const char *b64 = str(f, "signature") ?: "";
	const json_t *pdf = json_object_get(f, "pdf");
	uint8_t raw[SIG_MAX + 4];
	struct key *k = NULL;
	int ok = 0;
	long n = base64_decode(b64, strlen(b64), raw, sizeof(raw));

	if (n == SIG_MAX &&
	    key_load_public_pem(pem, strlen(pem), &k, NULL) == 0 &&
	    key_get_type(k) == KEY_SM2 &&
	    document_statement(origin, source, str(f, "leaf") ?: "",
			       str(f, "document") ?: "", str(f, "number") ?: "",
			       str(pdf, "hash") ?: "", &text) == 0)
		ok = key_verify(k, text.data, text.len, raw, SIG_MAX) == 0 &&
		     !strcmp(text.data, str(f, "statement") ?: "");
	key_free(k);
	buf_release(&text);
	return ok;
}

static void check_document(struct sigcheck *sc, uint64_t seq,
			   const json_t *e, const json_t *f)
{
	const json_t *src = json_object_get(f, "source");
	const json_t *pdf = json_object_get(f, "pdf");
	const json_t *att = json_array_get(json_object_get(e, "attachments"),
					   0);
	const char *pem = str(sc->seals, str(f, "key") ?: "");
	const char *want = sc->config->alg == HASH_SM3 ? str(pdf, "hash")
						       : str(pdf, "sha256");
	char leaf[HASH_TEXT_MAX];
	uint64_t source;

	sc->checked++;
	if (!json_is_integer(src) || json_integer_value(src) < 0 ||
	    (uint64_t)json_integer_value(src) >= seq) {
		report(sc, "document %" PRIu64 ": names no earlier source "
		       "record", seq);
		return;
	}
	source = (uint64_t)json_integer_value(src);
	if (!pem) {
		report(sc, "document %" PRIu64 ": seal key '%s' was not "
		       "recorded by an earlier seal-key entry", seq,
		       str(f, "key") ?: "");
		return;
	}
	if (leaf_of(sc, source, leaf) != 0 ||
	    strcmp(leaf, str(f, "leaf") ?: ""))
		report(sc, "document %" PRIu64 ": the leaf hash it states is "
		       "not that of record %" PRIu64, seq, source);
	/* An expunged PDF leaves no attachment; its hashes still sign. */
	if (att && (!want || strcmp(want, str(att, "hash") ?: "") ||
		    json_integer_value(json_object_get(att, "size")) !=
			    json_integer_value(json_object_get(pdf, "size"))))
		report(sc, "document %" PRIu64 ": its attachment is not the "
		       "PDF file that it hashes", seq);
	if (!seal_valid(pem, f, source, sc->config->origin))
		report(sc, "document %" PRIu64 ": the seal's SM2 signature "
		       "does not verify under key '%s'", seq,
		       str(f, "key") ?: "");
}

/* Whether the canonical entry is of one of the kinds this pass reads. */
static int wanted(const char *body, size_t len)
{
	static const char *const marks[] = {
		"\"kind\":\"" KIND_STAFF_KEY "\"",
		"\"kind\":\"" KIND_STAFF_KEY_REVOKE "\"",
		"\"kind\":\"" KIND_SIGNATURE "\"",
		"\"kind\":\"" KIND_SEAL_KEY "\"",
		"\"kind\":\"" KIND_DOCUMENT_ISSUE "\"",
	};

	for (size_t i = 0; i < ARRAY_SIZE(marks); i++)
		if (memmem(body, len, marks[i], strlen(marks[i])))
			return 1;
	return 0;
}

static int check_entry(void *ctx, uint64_t seq, const void *body, size_t len)
{
	struct sigcheck *sc = ctx;
	const char *kind;
	json_t *e, *f;

	if (!wanted(body, len))
		return 0;
	e = jcs_parse(body, len, NULL);
	kind = str(e, "kind") ?: "";
	/* Content that was expunged cannot be checked, and is no problem. */
	f = e ? fields_of(sc, seq) : NULL;
	if (!f && !strcmp(kind, KIND_STAFF_KEY))
		sc->keys_gone++;
	if (f && !strcmp(kind, KIND_STAFF_KEY))
		add_key(sc, seq, f);
	else if (f && !strcmp(kind, KIND_STAFF_KEY_REVOKE))
		revoke_key(sc, seq, f);
	else if (f && !strcmp(kind, KIND_SIGNATURE))
		check_signature(sc, seq, num(e, "ts"), str(e, "actor") ?: "",
				f);
	else if (f && !strcmp(kind, KIND_SEAL_KEY) && str(f, "key") &&
		 str(f, "public_key"))
		json_object_set_new(sc->seals, str(f, "key"),
				    json_string(str(f, "public_key")));
	else if (f && !strcmp(kind, KIND_DOCUMENT_ISSUE))
		check_document(sc, seq, e, f);
	json_decref(f);
	json_decref(e);
	return 0;
}

int check_staff_signatures(struct store *s, const struct ledger_config *c,
			   sig_problem_fn fn, void *ctx, uint64_t *checked,
			   struct error *err)
{
	struct sigcheck sc = { s, c, fn, ctx, json_object(), json_object(),
			       json_object(), 0, 0 };
	int rc = sc.keys && sc.users && sc.seals ? 0 : CT_ENOMEM;

	if (rc == 0)
		rc = store_entry_scan(s, 0, check_entry, &sc, err);
	json_decref(sc.keys);
	json_decref(sc.users);
	json_decref(sc.seals);
	*checked = sc.checked;
	return rc;
}
