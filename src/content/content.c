/* The content store (see content.h). */
#include "common/common.h"

#include "common/jcs.h"
#include "content.h"

void content_init(struct content *c)
{
	memset(c->salt, 0, sizeof(c->salt));
	buf_init(&c->fields, CONTENT_MAX);
	c->commitment[0] = '\0';
}

void content_release(struct content *c)
{
	crypto_wipe(c->salt, sizeof(c->salt));
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

int content_put(struct store *s, uint64_t seq, const struct content *c,
		struct error *err)
{
	return store_content_put(s, seq, c->salt, sizeof(c->salt),
				 c->fields.data, c->fields.len, err);
}

int content_get(struct store *s, enum hash_alg alg, uint64_t seq,
		const char *commitment, struct content *c, struct error *err)
{
	struct buf salt = BUF_INIT_MAX(1024);
	int rc;

	rc = store_content_get(s, seq, &salt, &c->fields, err);
	if (rc)
		goto out;
	if (salt.len != CONTENT_SALT_LEN) {
		rc = error_set(err, CT_ECORRUPT,
			       "content of entry %" PRIu64 ": salt is %zu "
			       "bytes, expected %d", seq, salt.len,
			       CONTENT_SALT_LEN);
		goto out;
	}
	memcpy(c->salt, salt.data, CONTENT_SALT_LEN);
	content_commitment(alg, c->salt, CONTENT_SALT_LEN, c->fields.data,
			   c->fields.len, c->commitment);
	if (commitment && strcmp(commitment, c->commitment) != 0)
		rc = error_set(err, CT_ECORRUPT,
			       "content of entry %" PRIu64 " hashes to %s but "
			       "the entry commits to %s", seq, c->commitment,
			       commitment);
out:
	crypto_wipe(salt.data, salt.len);
	buf_release(&salt);
	return rc;
}

/* NOTE: a placeholder until content is encrypted at rest; it changes nothing. */
int content_reseal(struct store *s, uint64_t seq, bool encrypt,
		   struct error *err)
{
	(void)s, (void)seq, (void)encrypt, (void)err;
	return 0;
}
