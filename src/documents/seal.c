/*
 * The bureau's seal key: an SM2 key in the store's keys/ folder
 * (seal.key, mode 0600, and seal.pub), signing with SM3 and the ID
 * 1234567812345678 through src/crypto/. Its public key enters the log
 * in a `seal-key` entry, so that a verifier finds it there: appended by
 * `casetrail seal-key init`, and for a key that `casetrail init` made,
 * before the first document it seals.
 */
#include "common/common.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "access/access.h"
#include "documents.h"
#include <unistd.h>

#include "common/log.h"
#include "internal.h"
#include "ledger/ledger.h"
#include "store/store.h"

static void key_paths(const char *store_dir, char *priv, char *pub, size_t n)
{
	snprintf(priv, n, "%s/keys/seal.key", store_dir);
	snprintf(pub, n, "%s/keys/seal.pub", store_dir);
}

/* The key id: "sm3:" and the SM3 hash of the raw public key. */
static int key_id(const struct key *k, char out[HASH_TEXT_MAX])
{
	uint8_t raw[128], digest[HASH_LEN];
	int n = key_public_raw(k, raw, sizeof(raw));

	if (n < 0)
		return n;
	hash_buf(HASH_SM3, raw, (size_t)n, digest);
	hash_format(HASH_SM3, digest, out);
	return 0;
}

static int write_public(const struct key *k, const char *path,
			struct error *err)
{
	struct buf pem = BUF_INIT_MAX(1 << 16);
	int fd, rc = key_public_pem(k, &pem);

	if (rc) {
		buf_release(&pem);
		return error_set(err, rc, "cannot encode the seal's public key");
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = error_set(err, errno == EEXIST ? CT_EEXIST : CT_EIO,
			       "cannot create '%s': %s", path,
			       strerror(errno));
		buf_release(&pem);
		return rc;
	}
	if (write(fd, pem.data, pem.len) != (ssize_t)pem.len || fsync(fd) != 0)
		rc = error_set(err, CT_EIO, "cannot write '%s': %s", path,
			       strerror(errno));
	close(fd);
	buf_release(&pem);
	return rc;
}

int documents_seal_create(const char *store_dir, struct error *err)
{
	char priv[4200], pub[4200];
	struct key *k = NULL;
	int rc;

	key_paths(store_dir, priv, pub, sizeof(priv));
	if (access(priv, F_OK) == 0 || access(pub, F_OK) == 0)
		return error_set(err, CT_EEXIST,
				 "the seal key exists already "
				 "in '%s'; a seal key is never replaced",
				 priv);
	rc = key_generate(KEY_SM2, &k, err);
	if (rc == 0)
		rc = key_save_private(k, priv, err);
	if (rc == 0)
		rc = write_public(k, pub, err);
	if (rc && access(priv, F_OK) == 0 && rc != CT_EEXIST)
		unlink(priv);
	key_free(k);
	if (rc == 0)
		log_info("documents", "seal key created", "path=%s", priv);
	return rc;
}

int seal_load(struct documents *d, const char *store_dir, struct error *err)
{
	char priv[4200], pub[4200];
	struct buf pem = BUF_INIT_MAX(1 << 16);
	int rc;

	key_paths(store_dir, priv, pub, sizeof(priv));
	if (access(priv, F_OK) != 0)
		return 0;
	rc = key_load_private(priv, &d->seal, err);
	if (rc)
		return rc;
	if (key_get_type(d->seal) != KEY_SM2)
		return error_set(err, CT_EINVAL,
				 "'%s' is not an SM2 key; the "
				 "seal signs with SM2",
				 priv);
	if (key_public_pem(d->seal, &pem) != 0 ||
	    !(d->seal_pem = strndup(pem.data, pem.len)) ||
	    key_id(d->seal, d->seal_id) != 0)
		rc = error_set(err, CT_ENOMEM, "out of memory");
	buf_release(&pem);
	return rc;
}

/* The meta value naming the seal-key entry of key id. */
static void meta_name(const char *id, char *out, size_t n)
{
	snprintf(out, n, "seal-key:%s", id);
}

/* Reads the seq of the seal-key entry of the loaded key; -1 if none. */
static int64_t recorded_seq(struct documents *d)
{
	struct ledger *l = access_ledger(d->a);
	struct buf v = BUF_INIT_MAX(256);
	struct error err = { 0 };
	struct store *s;
	char name[128];
	int64_t seq = -1;

	meta_name(d->seal_id, name, sizeof(name));
	if (ledger_read_begin(l, &s, &err) != 0)
		return -1;
	if (store_meta_get(s, name, &v, &err) == 0 && v.data)
		seq = strtoll(v.data, NULL, 10);
	ledger_read_end(l, s);
	buf_release(&v);
	return seq;
}

struct meta_put {
	const char *name;
	char value[32];
};

static int put_meta(void *ctx, struct store *s, struct error *err)
{
	struct meta_put *m = ctx;

	return store_meta_put(s, m->name, m->value, err);
}

int seal_record(struct documents *d, const char *actor, const char *os_user,
		struct error *err)
{
	struct ledger *l = access_ledger(d->a);
	struct ledger_record rec = { .kind = KIND_SEAL_KEY,
				     .actor = actor,
				     .os_user = os_user,
				     .supersedes = -1 };
	struct ledger_receipt receipt;
	struct meta_put m;
	char name[128];
	json_t *fields;
	int rc;

	if (!d->seal)
		return error_set(err, CT_ESTATE,
				 "the store has no seal key; "
				 "create it with 'casetrail seal-key init'");
	if (recorded_seq(d) >= 0)
		return 0;
	fields = json_pack("{s:s, s:s, s:s, s:s}", "algorithm", "sm2",
			   "distinguishing_id", SM2_DISTID, "key", d->seal_id,
			   "public_key", d->seal_pem);
	rec.fields = fields;
	rc = ledger_append(l, &rec, &receipt, err);
	json_decref(fields);
	if (rc)
		return rc;
	meta_name(d->seal_id, name, sizeof(name));
	m.name = name;
	snprintf(m.value, sizeof(m.value), "%" PRIu64, receipt.seq);
	log_info("documents", "seal key recorded", "seq=%" PRIu64 " key=%s",
		 receipt.seq, d->seal_id);
	return ledger_write(l, put_meta, &m, err);
}

int documents_seal_init(struct documents *d, const struct actor *by,
			json_t **out, struct error *err)
{
	const char *dir = ledger_config(access_ledger(d->a))->dir;
	int rc = documents_seal_create(dir, err);

	if (rc == 0)
		rc = seal_load(d, dir, err);
	if (rc == 0)
		rc = seal_record(d, by->user, by->os_user, err);
	return rc ? rc : documents_seal_show(d, out, err);
}

int documents_seal_show(struct documents *d, json_t **out, struct error *err)
{
	int64_t seq;

	if (!d->seal)
		return error_set(err, CT_ENOTFOUND,
				 "the store has no seal key; "
				 "create it with 'casetrail seal-key init'");
	seq = recorded_seq(d);
	*out = json_pack("{s:s, s:s, s:s, s:s, s:o}", "algorithm", "sm2",
			 "distinguishing_id", SM2_DISTID, "key", d->seal_id,
			 "public_key", d->seal_pem, "seq",
			 seq >= 0 ? json_integer(seq) : json_null());
	return 0;
}

int seal_sign(struct documents *d, const struct buf *statement,
	      struct buf *sig_b64, struct error *err)
{
	uint8_t sig[SIG_MAX];
	size_t len;
	int rc =
	    key_sign(d->seal, statement->data, statement->len, sig, &len, err);

	return rc ? rc : base64_encode(sig, len, sig_b64);
}
