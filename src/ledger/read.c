/*
 * Reading the ledger: entries, content, roots, proofs, tiles and the
 * description of a stored blob. Every read of the database borrows a
 * connection from the pool, so readers never wait for the writer (WAL)
 * or for each other. Stored nodes never change, so a proof needs no
 * transaction once the tree size is fixed.
 */
#include "common/common.h"

#include <fcntl.h>
#include <unistd.h>

#include "common/jcs.h"
#include "content/content.h"
#include "internal.h"
#include "media/sniff.h"

/* Blob files are read in pieces of this size, as blob_put_fd reads them. */
#define BLOB_READ_CHUNK ((size_t)1 << 20)

int ledger_size(struct ledger *l, uint64_t *size, struct error *err)
{
	struct store *s;
	int rc = reader_get(l, &s, err);

	if (rc)
		return rc;
	rc = store_entry_count(s, size, err);
	reader_put(l, s);
	return rc;
}

int ledger_entry(struct ledger *l, uint64_t seq, struct buf *body,
		 struct error *err)
{
	struct store *s;
	int rc = reader_get(l, &s, err);

	if (rc)
		return rc;
	rc = store_entry_get(s, seq, body, err);
	reader_put(l, s);
	return rc;
}

int ledger_leaf(struct ledger *l, uint64_t seq, uint8_t out[HASH_LEN],
		struct error *err)
{
	struct store *s;
	int rc = reader_get(l, &s, err);

	if (rc)
		return rc;
	rc = store_node_get(s, 0, seq, out);
	reader_put(l, s);
	if (rc == CT_ENOTFOUND)
		return error_set(err, rc, "entry %" PRIu64 " not found", seq);
	if (rc)
		return error_set(err, rc, "cannot read the leaf hash of entry "
				 "%" PRIu64, seq);
	return 0;
}

int ledger_content(struct ledger *l, uint64_t seq, json_t **fields,
		   struct error *err)
{
	struct buf body = BUF_INIT_MAX(LEDGER_ENTRY_MAX + 1);
	struct content c;
	json_t *entry = NULL;
	const char *commitment;
	struct store *s;
	uint64_t by;
	int rc;

	*fields = NULL;
	content_init(&c);
	rc = reader_get(l, &s, err);
	if (rc)
		goto out_nostore;
	rc = store_entry_get(s, seq, &body, err);
	if (rc)
		goto out;
	entry = jcs_parse(body.data, body.len, err);
	commitment = json_string_value(json_object_get(entry, "content"));
	if (!commitment) {
		rc = error_set(err, CT_ECORRUPT, "entry %" PRIu64 " has no "
			       "content commitment", seq);
		goto out;
	}
	if (store_expunge_get(s, seq, NULL, &by, NULL) == 0) {
		rc = error_set(err, CT_ENOTFOUND, "the content of entry %"
			       PRIu64 " was expunged by entry %" PRIu64,
			       seq, by);
		goto out;
	}
	rc = content_get(s, l->config.alg, seq, commitment, &c, err);
	if (rc == 0) {
		*fields = jcs_parse(c.fields.data, c.fields.len, err);
		if (!*fields)
			rc = CT_ECORRUPT;
	}
out:
	reader_put(l, s);
out_nostore:
	json_decref(entry);
	buf_release(&body);
	content_release(&c);
	return rc;
}

int ledger_root(struct ledger *l, uint64_t size, uint8_t out[HASH_LEN],
		struct error *err)
{
	struct store *s;
	int rc = reader_get(l, &s, err);

	if (rc)
		return rc;
	rc = merkle_root(l->config.alg, store_node_get, s, size, out);
	reader_put(l, s);
	if (rc)
		return error_set(err, rc, "cannot compute the root of size %"
				 PRIu64 ": %s", size, ct_strerror(rc));
	return 0;
}

/* Resolves size 0 to the current size and checks bound <= size. */
static int fix_size(struct store *s, uint64_t *size, uint64_t bound,
		    const char *what, struct error *err)
{
	uint64_t current;
	int rc = store_entry_count(s, &current, err);

	if (rc)
		return rc;
	if (*size == 0)
		*size = current;
	if (*size > current)
		return error_set(err, CT_EINVAL, "tree size %" PRIu64 " is "
				 "larger than the log (%" PRIu64 " entries)",
				 *size, current);
	if (bound >= *size)
		return error_set(err, CT_EINVAL, "%s %" PRIu64 " is not below "
				 "the tree size %" PRIu64, what, bound, *size);
	return 0;
}

int ledger_inclusion(struct ledger *l, uint64_t seq, uint64_t size,
		     uint8_t proof[][HASH_LEN], size_t *count,
		     uint64_t *tree_size, struct error *err)
{
	struct store *s;
	int rc = reader_get(l, &s, err);

	if (rc)
		return rc;
	rc = fix_size(s, &size, seq, "seq", err);
	if (rc == 0) {
		rc = merkle_inclusion_proof(l->config.alg, store_node_get, s,
					    seq, size, proof, count);
		if (rc)
			error_set(err, rc, "cannot build the inclusion proof: "
				  "%s", ct_strerror(rc));
	}
	*tree_size = size;
	reader_put(l, s);
	return rc;
}

int ledger_consistency(struct ledger *l, uint64_t old_size,
		       uint64_t new_size, uint8_t proof[][HASH_LEN],
		       size_t *count, struct error *err)
{
	struct store *s;
	int rc;

	if (old_size == 0 || new_size == 0 || old_size > new_size)
		return error_set(err, CT_EINVAL, "consistency needs 0 < old "
				 "<= new; got old %" PRIu64 ", new %" PRIu64,
				 old_size, new_size);
	rc = reader_get(l, &s, err);
	if (rc)
		return rc;
	rc = fix_size(s, &new_size, old_size - 1, "old size", err);
	if (rc == 0) {
		rc = merkle_consistency_proof(l->config.alg, store_node_get, s,
					      old_size, new_size, proof, count);
		if (rc)
			error_set(err, rc, "cannot build the consistency "
				  "proof: %s", ct_strerror(rc));
	}
	reader_put(l, s);
	return rc;
}

int ledger_tile(struct ledger *l, unsigned tile_level, uint64_t tile_index,
		unsigned width, uint8_t *out, struct error *err)
{
	unsigned level = 8 * tile_level;
	struct store *s;
	int rc;

	if (width < 1 || width > 256 || level >= MERKLE_MAX_LEVELS ||
	    tile_index > (UINT64_MAX >> 9))
		return error_set(err, CT_EINVAL, "invalid tile");
	rc = reader_get(l, &s, err);
	if (rc)
		return rc;
	for (unsigned i = 0; i < width && rc == 0; i++)
		rc = store_node_get(s, level, tile_index * 256 + i,
				    out + (size_t)i * HASH_LEN);
	reader_put(l, s);
	if (rc == CT_ENOTFOUND)
		return error_set(err, rc, "tile not found");
	if (rc)
		return error_set(err, rc, "cannot read tile: %s",
				 ct_strerror(rc));
	return 0;
}

int ledger_read_begin(struct ledger *l, struct store **s, struct error *err)
{
	int rc = reader_get(l, s, err);

	if (rc)
		return rc;
	rc = store_begin_read(*s, err);
	if (rc) {
		reader_put(l, *s);
		*s = NULL;
	}
	return rc;
}

void ledger_read_end(struct ledger *l, struct store *s)
{
	if (!s)
		return;
	store_end(s);
	reader_put(l, s);
}

/*
 * Reads fd to its end into h and h256 (NULL when the store's hash is
 * SHA-256 already), keeping its first bytes and its size in info.
 */
static int hash_blob_fd(int fd, const char *path, struct hasher *h,
			struct hasher *h256, struct blob_info *info,
			struct error *err)
{
	char *chunk = malloc(BLOB_READ_CHUNK);
	int rc = 0;

	if (!chunk)
		return error_set(err, CT_ENOMEM, "out of memory");
	for (;;) {
		ssize_t n = read(fd, chunk, BLOB_READ_CHUNK);
		size_t room = sizeof(info->head) - info->head_len;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = error_set(err, CT_EIO, "cannot read blob file "
				       "'%s': %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if (room > (size_t)n)
			room = (size_t)n;
		memcpy(info->head + info->head_len, chunk, room);
		info->head_len += room;
		info->size += (uint64_t)n;
		hasher_update(h, chunk, (size_t)n);
		if (h256)
			hasher_update(h256, chunk, (size_t)n);
	}
	free(chunk);
	return rc;
}

int ledger_blob_path(struct ledger *l, const char *hash, char *out,
		     size_t n, struct error *err)
{
	if (blob_path(l->blobs, hash, out, n) != 0)
		return error_set(err, CT_EINVAL, "'%s' is not a blob hash of "
				 "this store; give %s: and 64 lowercase hex "
				 "digits", hash, hash_alg_name(l->config.alg));
	return 0;
}

int ledger_blob_info(struct ledger *l, const char *hash,
		     struct ledger_attachment *att, struct error *err)
{
	enum hash_alg alg = l->config.alg;
	struct hasher *h = NULL, *h256 = NULL;
	struct blob_info info = { 0 };
	uint8_t digest[HASH_LEN];
	char path[PATH_MAX];
	int fd, rc;

	memset(att, 0, sizeof(*att));
	if (blob_path(l->blobs, hash, path, sizeof(path)) != 0)
		return error_set(err, CT_EINVAL, "'%s' is not a blob hash of "
				 "this store; give %s: and 64 lowercase hex "
				 "digits", hash, hash_alg_name(alg));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set(err, errno == ENOENT ? CT_ENOTFOUND : CT_EIO,
				 "blob %s: cannot open '%s': %s", hash, path,
				 strerror(errno));

	/* Re-hash the file, so that what is recorded is what it contains. */
	h = hasher_new(alg);
	h256 = alg == HASH_SHA256 ? NULL : hasher_new(HASH_SHA256);
	if (!h || (alg != HASH_SHA256 && !h256))
		rc = error_set(err, CT_ENOMEM, "out of memory");
	else
		rc = hash_blob_fd(fd, path, h, h256, &info, err);
	close(fd);
	if (rc)
		goto out;
	hasher_final(h, digest);
	hash_format(alg, digest, att->hash);
	if (strcmp(att->hash, hash) != 0) {
		rc = error_set(err, CT_ECORRUPT, "blob %s: content hashes to "
			       "%s; the file was changed, run 'casetrail "
			       "verify'", hash, att->hash);
		goto out;
	}
	if (h256) {
		hasher_final(h256, digest);
		hash_format(HASH_SHA256, digest, att->sha256);
	} else {
		snprintf(att->sha256, sizeof(att->sha256), "%s", att->hash);
	}
	att->size = info.size;
	sniff_media_type(info.head, info.head_len, att->type,
			 sizeof(att->type));
out:
	hasher_free(h);
	hasher_free(h256);
	return rc;
}
