/* The content store (see content.h). */
#include "common/common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/jcs.h"
#include "content.h"

#define SEAL_MAGIC "\0cts\1"
#define SEAL_MAGIC_LEN 5
#define SEAL_KID_LEN 4
#define SEAL_HEAD_LEN (SEAL_MAGIC_LEN + SEAL_KID_LEN)
/* The record key: SM4 key, then HMAC key. */
#define SEAL_DK_LEN (SM4_KEY_LEN + HMAC_SM3_LEN)
#define SEAL_WRAP_LEN (SM4_IV_LEN + SEAL_DK_LEN + HMAC_SM3_LEN)
#define SEAL_BODY_OFF (SEAL_HEAD_LEN + SEAL_WRAP_LEN)
/* Everything but the sealed salt and fields themselves. */
#define SEAL_OVERHEAD (SEAL_BODY_OFF + SM4_IV_LEN + HMAC_SM3_LEN)

void content_init(struct content *c)
{
	memset(c->salt, 0, sizeof(c->salt));
	buf_init(&c->fields, CONTENT_MAX);
	c->commitment[0] = '\0';
	c->seal = false;
}

void content_release(struct content *c)
{
	crypto_wipe(c->salt, sizeof(c->salt));
	if (c->fields.data)
		crypto_wipe(c->fields.data, c->fields.len);
	buf_release(&c->fields);
}

void content_commitment(enum hash_alg alg, const void *salt, size_t salt_len,
			const void *fields, size_t len,
			char out[HASH_TEXT_MAX])
{
	struct hasher *h = hasher_new(alg);
	uint8_t digest[HASH_LEN];

	hasher_update(h, salt, salt_len);
	hasher_update(h, fields, len);
	hasher_final(h, digest);
	hasher_free(h);
	hash_format(alg, digest, out);
}

int content_prepare(enum hash_alg alg, const json_t *fields,
		    struct content *c, struct error *err)
{
	int rc;

	if (!json_is_object(fields))
		return error_set(err, CT_EINVAL,
				 "record fields must be a JSON object");
	buf_reset(&c->fields);
	rc = jcs_write(fields, &c->fields, err);
	if (rc == CT_ETOOBIG)
		return error_set(err, rc,
				 "record fields are longer than the limit of "
				 "%zu bytes; attach long text as a file",
				 CONTENT_MAX);
	if (rc)
		return rc;
	rc = crypto_random(c->salt, sizeof(c->salt));
	if (rc)
		return error_set(err, rc, "cannot draw a random salt");
	content_commitment(alg, c->salt, sizeof(c->salt), c->fields.data,
			   c->fields.len, c->commitment);
	return 0;
}

/* --- the master key ------------------------------------------------------- */

/* The file's text: a label and the key in base64 on one line. */
#define KEY_LABEL "casetrail-content-key/v1 "
#define KEY_TEXT_MAX 128

static int parse_key_file(const char *text, size_t len, const char *path,
			  uint8_t key[STORE_CONTENT_KEY_LEN],
			  struct error *err)
{
	size_t label = strlen(KEY_LABEL);
	uint8_t raw[STORE_CONTENT_KEY_LEN + 3];
	long n;

	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	if (len <= label || memcmp(text, KEY_LABEL, label))
		return error_set(err, CT_ECORRUPT, "'%s' is not a casetrail "
				 "content key file; restore it from a backup "
				 "of the store", path);
	n = base64_decode(text + label, len - label, raw, sizeof(raw));
	if (n != STORE_CONTENT_KEY_LEN) {
		crypto_wipe(raw, sizeof(raw));
		return error_set(err, CT_ECORRUPT, "'%s' does not hold a "
				 "%d-byte key; restore it from a backup of "
				 "the store", path, STORE_CONTENT_KEY_LEN);
	}
	memcpy(key, raw, STORE_CONTENT_KEY_LEN);
	crypto_wipe(raw, sizeof(raw));
	return 0;
}

static int read_key_file(const char *path, uint8_t key[STORE_CONTENT_KEY_LEN],
			 struct error *err)
{
	char text[KEY_TEXT_MAX];
	struct stat st;
	ssize_t n;
	int fd, rc;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return CT_ENOTFOUND;
	if (fd < 0)
		return error_set(err, CT_EIO, "cannot open '%s': %s", path,
				 strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return error_set(err, CT_EIO, "'%s' is not a regular file",
				 path);
	}
	if (st.st_mode & 077) {
		close(fd);
		return error_set(err, CT_EPERM, "content key '%s' is readable "
				 "by others (mode %04o); run chmod 600 '%s'",
				 path, (unsigned)(st.st_mode & 07777), path);
	}
	do
		n = read(fd, text, sizeof(text));
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0)
		return error_set(err, CT_EIO, "cannot read '%s': %s", path,
				 strerror(errno));
	rc = parse_key_file(text, (size_t)n, path, key, err);
	crypto_wipe(text, sizeof(text));
	return rc;
}

/* Writes all of text to fd. */
static int write_all(int fd, const char *text, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, text, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		text += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Creates the key file whole or not at all: written to a temporary name,
 * then linked to its name, which fails when another process made one
 * first. Returns 0, CT_EEXIST or another code.
 */
static int create_key_file(const char *dir, const char *path,
			   struct error *err)
{
	struct buf text = BUF_INIT_MAX(KEY_TEXT_MAX);
	uint8_t key[STORE_CONTENT_KEY_LEN];
	char tmp[PATH_MAX];
	int fd, rc, dfd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.%d", dir,
			     CONTENT_KEY_FILE, (int)getpid()) >= sizeof(tmp))
		return error_set(err, CT_EINVAL, "path too long: '%s'", dir);
	rc = crypto_random(key, sizeof(key));
	if (rc == 0)
		rc = buf_puts(&text, KEY_LABEL);
	if (rc == 0)
		rc = base64_encode(key, sizeof(key), &text);
	if (rc == 0)
		rc = buf_putc(&text, '\n');
	crypto_wipe(key, sizeof(key));
	if (rc) {
		buf_release(&text);
		return error_set(err, rc, "cannot draw a content key");
	}
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0) {
		rc = error_set(err, CT_EIO, "cannot create '%s': %s", tmp,
			       strerror(errno));
		goto out;
	}
	if (write_all(fd, text.data, text.len) || fsync(fd)) {
		rc = error_set(err, CT_EIO, "cannot write '%s': %s", tmp,
			       strerror(errno));
		close(fd);
		goto out_unlink;
	}
	close(fd);
	if (link(tmp, path) != 0)
		rc = errno == EEXIST ? CT_EEXIST
				     : error_set(err, CT_EIO, "cannot create "
						 "'%s': %s", path,
						 strerror(errno));
out_unlink:
	unlink(tmp);
	if (rc == 0) {
		dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || fsync(dfd) != 0)
			rc = error_set(err, CT_EIO, "cannot sync '%s': %s", dir,
				       strerror(errno));
		if (dfd >= 0)
			close(dfd);
	}
out:
	crypto_wipe(text.data, text.len);
	buf_release(&text);
	return rc;
}

int content_key_load(const char *keys_dir, bool create,
		     uint8_t key[STORE_CONTENT_KEY_LEN], struct error *err)
{
	char path[PATH_MAX];
	int rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", keys_dir,
			     CONTENT_KEY_FILE) >= sizeof(path))
		return error_set(err, CT_EINVAL, "path too long: '%s'",
				 keys_dir);
	rc = read_key_file(path, key, err);
	if (rc != CT_ENOTFOUND || !create)
		return rc;
	rc = create_key_file(keys_dir, path, err);
	/* Another process may have made it first: use theirs. */
	if (rc == 0 || rc == CT_EEXIST)
		rc = read_key_file(path, key, err);
	return rc;
}

/* --- sealing -------------------------------------------------------------- */

/* The keys that wrap record keys, and the master key's id. */
struct kek {
	uint8_t enc[SM4_KEY_LEN];
	uint8_t mac[HMAC_SM3_LEN];
	uint8_t id[SEAL_KID_LEN];
};

static int kek_of(struct store *s, uint64_t seq, struct kek *k,
		  struct error *err)
{
	const unsigned char *master = store_content_key(s);
	uint8_t id[HMAC_SM3_LEN];
	int rc;

	if (!master)
		return error_set(err, CT_EPERM, "the content of entry %" PRIu64
				 " is encrypted at rest and the store's "
				 "content key (keys/%s) is not loaded; open "
				 "the store where its keys folder is",
				 seq, CONTENT_KEY_FILE);
	rc = crypto_derive(master, STORE_CONTENT_KEY_LEN,
			   "casetrail content wrap sm4", k->enc,
			   sizeof(k->enc));
	if (rc == 0)
		rc = crypto_derive(master, STORE_CONTENT_KEY_LEN,
				   "casetrail content wrap mac", k->mac,
				   sizeof(k->mac));
	if (rc == 0)
		rc = crypto_derive(master, STORE_CONTENT_KEY_LEN,
				   "casetrail content key id", id, sizeof(id));
	memcpy(k->id, id, sizeof(k->id));
	return rc ? error_set(err, rc, "cannot derive the content keys") : 0;
}

static void seq_bytes(uint64_t seq, uint8_t out[8])
{
	for (int i = 7; i >= 0; i--, seq >>= 8)
		out[i] = (uint8_t)seq;
}

bool content_row_sealed(const void *fields, size_t len)
{
	return len >= SEAL_MAGIC_LEN &&
	       !memcmp(fields, SEAL_MAGIC, SEAL_MAGIC_LEN);
}

/*
 * Seals salt and fields of seq into a new row (*out, *out_len, which the
 * caller frees): draws a record key, encrypts salt and fields under it
 * and authenticates them, and wraps the record key under the master key.
 */
static int seal(struct store *s, uint64_t seq, const uint8_t *salt,
		const void *fields, size_t len, uint8_t **out,
		size_t *out_len, struct error *err)
{
	size_t clear = CONTENT_SALT_LEN + len, total = SEAL_OVERHEAD + clear;
	uint8_t dk[SEAL_DK_LEN], seqb[8], *row, *p;
	struct kek k;
	int rc = kek_of(s, seq, &k, err);

	*out = NULL;
	if (rc)
		return rc;
	seq_bytes(seq, seqb);
	row = malloc(total);
	if (!row) {
		rc = CT_ENOMEM;
		goto out;
	}
	memcpy(row, SEAL_MAGIC, SEAL_MAGIC_LEN);
	memcpy(row + SEAL_MAGIC_LEN, k.id, SEAL_KID_LEN);
	p = row + SEAL_HEAD_LEN;
	/* The record key, wrapped. */
	rc = crypto_random(dk, sizeof(dk));
	if (rc == 0)
		rc = crypto_random(p, SM4_IV_LEN);
	if (rc == 0)
		rc = sm4_ctr(k.enc, p, dk, sizeof(dk), p + SM4_IV_LEN);
	if (rc == 0) {
		struct crypto_part parts[] = {
			{ row, SEAL_HEAD_LEN }, { seqb, sizeof(seqb) },
			{ p, SM4_IV_LEN + SEAL_DK_LEN },
		};

		rc = hmac_sm3(k.mac, sizeof(k.mac), parts, ARRAY_SIZE(parts),
			      p + SM4_IV_LEN + SEAL_DK_LEN);
	}
	/* Salt and fields, encrypted in place under the record key. */
	p = row + SEAL_BODY_OFF;
	if (rc == 0)
		rc = crypto_random(p, SM4_IV_LEN);
	if (rc == 0) {
		memcpy(p + SM4_IV_LEN, salt, CONTENT_SALT_LEN);
		memcpy(p + SM4_IV_LEN + CONTENT_SALT_LEN, fields, len);
		rc = sm4_ctr(dk, p, p + SM4_IV_LEN, clear, p + SM4_IV_LEN);
	}
	if (rc == 0) {
		struct crypto_part parts[] = {
			{ row, SEAL_BODY_OFF }, { seqb, sizeof(seqb) },
			{ p, SM4_IV_LEN + clear },
		};

		rc = hmac_sm3(dk + SM4_KEY_LEN, HMAC_SM3_LEN, parts,
			      ARRAY_SIZE(parts), p + SM4_IV_LEN + clear);
	}
out:
	crypto_wipe(dk, sizeof(dk));
	crypto_wipe(&k, sizeof(k));
	if (rc) {
		if (row) {
			crypto_wipe(row, total);
			free(row);
		}
		return error_set(err, rc, "cannot encrypt the content of entry "
				 "%" PRIu64, seq);
	}
	*out = row;
	*out_len = total;
	return 0;
}

static int unseal(struct store *s, uint64_t seq, const uint8_t *row,
		  size_t len, struct content *c, struct error *err)
{
	uint8_t dk[SEAL_DK_LEN], mac[HMAC_SM3_LEN], seqb[8];
	const uint8_t *wrap = row + SEAL_HEAD_LEN;
	const uint8_t *body = row + SEAL_BODY_OFF;
	size_t body_len, clear_len;
	char *clear = NULL;
	struct kek k;
	int rc;

	if (len < SEAL_OVERHEAD + CONTENT_SALT_LEN)
		return error_set(err, CT_ECORRUPT, "sealed content of entry "
				 "%" PRIu64 " is %zu bytes, too short", seq,
				 len);
	rc = kek_of(s, seq, &k, err);
	if (rc)
		return rc;
	seq_bytes(seq, seqb);
	if (memcmp(row + SEAL_MAGIC_LEN, k.id, SEAL_KID_LEN)) {
		rc = error_set(err, CT_ECORRUPT, "content of entry %" PRIu64
			       " was sealed under another content key than "
			       "keys/%s", seq, CONTENT_KEY_FILE);
		goto out;
	}
	{
		struct crypto_part parts[] = {
			{ row, SEAL_HEAD_LEN }, { seqb, sizeof(seqb) },
			{ wrap, SM4_IV_LEN + SEAL_DK_LEN },
		};

		rc = hmac_sm3(k.mac, sizeof(k.mac), parts, ARRAY_SIZE(parts),
			      mac);
	}
	if (rc == 0 && !crypto_equal(mac, wrap + SM4_IV_LEN + SEAL_DK_LEN,
				     HMAC_SM3_LEN)) {
		rc = error_set(err, CT_ECORRUPT, "the key of the sealed content "
			       "of entry %" PRIu64 " fails its MAC: the row "
			       "was changed or moved", seq);
		goto out;
	}
	if (rc == 0)
		rc = sm4_ctr(k.enc, wrap, wrap + SM4_IV_LEN, SEAL_DK_LEN, dk);
	body_len = len - SEAL_BODY_OFF - HMAC_SM3_LEN;
	if (rc == 0) {
		struct crypto_part parts[] = {
			{ row, SEAL_BODY_OFF }, { seqb, sizeof(seqb) },
			{ body, body_len },
		};

		rc = hmac_sm3(dk + SM4_KEY_LEN, HMAC_SM3_LEN, parts,
			      ARRAY_SIZE(parts), mac);
	}
	if (rc == 0 && !crypto_equal(mac, body + body_len, HMAC_SM3_LEN)) {
		rc = error_set(err, CT_ECORRUPT, "the sealed content of entry "
			       "%" PRIu64 " fails its MAC: the row was "
			       "changed", seq);
		goto out;
	}
	clear_len = body_len - SM4_IV_LEN;
	if (rc == 0 && !(clear = malloc(clear_len)))
		rc = CT_ENOMEM;
	if (rc == 0)
		rc = sm4_ctr(dk, body, body + SM4_IV_LEN, clear_len, clear);
	if (rc == 0) {
		memcpy(c->salt, clear, CONTENT_SALT_LEN);
		buf_reset(&c->fields);
		rc = buf_append(&c->fields, clear + CONTENT_SALT_LEN,
				clear_len - CONTENT_SALT_LEN);
		c->seal = true;
	}
	if (rc)
		rc = error_set(err, rc, "cannot decrypt the content of entry "
			       "%" PRIu64, seq);
out:
	if (clear) {
		crypto_wipe(clear, clear_len);
		free(clear);
	}
	crypto_wipe(dk, sizeof(dk));
	crypto_wipe(&k, sizeof(k));
	return rc;
}

int content_from_row(struct store *s, uint64_t seq, const void *salt,
		     size_t salt_len, const void *fields, size_t len,
		     struct content *c, struct error *err)
{
	if (content_row_sealed(fields, len))
		return unseal(s, seq, fields, len, c, err);
	if (salt_len != CONTENT_SALT_LEN)
		return error_set(err, CT_ECORRUPT,
				 "content of entry %" PRIu64 ": salt is %zu "
				 "bytes, expected %d", seq, salt_len,
				 CONTENT_SALT_LEN);
	memcpy(c->salt, salt, CONTENT_SALT_LEN);
	c->seal = false;
	buf_reset(&c->fields);
	return buf_append(&c->fields, fields, len);
}

int content_put(struct store *s, uint64_t seq, const struct content *c,
		struct error *err)
{
	uint8_t *row;
	size_t len = 0;
	int rc;

	if (!c->seal)
		return store_content_put(s, seq, c->salt, sizeof(c->salt),
					 c->fields.data, c->fields.len, err);
	rc = seal(s, seq, c->salt, c->fields.data, c->fields.len, &row, &len,
		  err);
	if (rc)
		return rc;
	/* An empty salt column: the salt is sealed with the fields. */
	rc = store_content_put(s, seq, "", 0, row, len, err);
	free(row);
	return rc;
}

/* Reads the row of seq and fills c; the commitment is left to callers. */
static int read_row(struct store *s, uint64_t seq, struct content *c,
		    struct error *err)
{
	struct buf salt = BUF_INIT_MAX(1024);
	struct buf raw = BUF_INIT_MAX(CONTENT_MAX + SEAL_OVERHEAD +
				      CONTENT_SALT_LEN);
	int rc;

	rc = store_content_get(s, seq, &salt, &raw, err);
	if (rc == 0)
		rc = content_from_row(s, seq, salt.data, salt.len, raw.data,
				      raw.len, c, err);
	crypto_wipe(salt.data, salt.len);
	if (raw.data)
		crypto_wipe(raw.data, raw.len);
	buf_release(&salt);
	buf_release(&raw);
	return rc;
}

int content_read(struct store *s, uint64_t seq, struct content *c,
		 struct error *err)
{
	c->commitment[0] = '\0';
	return read_row(s, seq, c, err);
}

int content_get(struct store *s, enum hash_alg alg, uint64_t seq,
		const char *commitment, struct content *c, struct error *err)
{
	int rc = read_row(s, seq, c, err);

	if (rc)
		return rc;
	content_commitment(alg, c->salt, CONTENT_SALT_LEN, c->fields.data,
			   c->fields.len, c->commitment);
	if (commitment && strcmp(commitment, c->commitment) != 0)
		return error_set(err, CT_ECORRUPT,
				 "content of entry %" PRIu64 " hashes to %s but "
				 "the entry commits to %s", seq, c->commitment,
				 commitment);
	return 0;
}

int content_reseal(struct store *s, uint64_t seq, bool encrypt,
		   struct error *err)
{
	struct content c;
	int rc;

	content_init(&c);
	rc = read_row(s, seq, &c, err);
	if (rc || c.seal == encrypt)
		goto out;
	c.seal = encrypt;
	/* The row is replaced in the caller's transaction; secure_delete
	 * overwrites the old one. */
	rc = store_content_delete(s, seq, err);
	if (rc == 0)
		rc = content_put(s, seq, &c, err);
out:
	content_release(&c);
	return rc;
}
