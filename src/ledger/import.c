/*
 * Importing entries that another copy of the log holds, as a restore
 * does with a witness's entries (ledger_import in ledger.h). The entries
 * come without content: only their envelopes, leaf hashes and tree nodes
 * are stored, with a reference row for each attachment, and an imported
 * expunge or purge removes what it names as it did when first written.
 */
#include "common/common.h"

#include "common/jcs.h"
#include "common/log.h"
#include "internal.h"

struct import_ctx {
	struct ledger *l;
	uint64_t start;
	const struct ledger_import_entry *entries;
	size_t n;
	const uint8_t *root;
	unsigned flags;
	ledger_sha256_fn sha256_of;
	void *fn_ctx;
	int removed; /* an expunge or purge removed something */
};

/* Checks that body is a canonical version-1 envelope carrying seq. */
static int check_envelope(const void *body, size_t len, uint64_t seq,
			  json_t **out, struct error *err)
{
	struct buf canon = BUF_INIT_MAX(LEDGER_ENTRY_MAX + 1);
	struct error perr = { 0 };
	json_t *e, *v;
	int rc = 0;

	*out = NULL;
	if (len > LEDGER_ENTRY_MAX)
		return error_set(err, CT_EINVAL, "entry %" PRIu64 " is %zu "
				 "bytes, over the limit of %d", seq, len,
				 LEDGER_ENTRY_MAX);
	e = jcs_parse(body, len, &perr);
	if (!e)
		return error_set(err, CT_EINVAL, "entry %" PRIu64 " is not "
				 "entry JSON: %s", seq, perr.msg);
	if (jcs_write(e, &canon, &perr) != 0 || canon.len != len ||
	    memcmp(canon.data, body, len) != 0)
		rc = error_set(err, CT_EINVAL, "entry %" PRIu64 " is not in "
			       "canonical form", seq);
	v = json_object_get(e, "seq");
	if (rc == 0 && (!json_is_integer(v) ||
			(uint64_t)json_integer_value(v) != seq))
		rc = error_set(err, CT_EINVAL, "entry %" PRIu64 " carries seq "
			       "%" JSON_INTEGER_FORMAT " (entries moved or "
			       "swapped)", seq, json_integer_value(v));
	if (rc == 0 && json_integer_value(json_object_get(e, "v")) != 1)
		rc = error_set(err, CT_EINVAL, "entry %" PRIu64 ": envelope "
			       "version is not 1", seq);
	if (rc == 0 && (!json_is_string(json_object_get(e, "kind")) ||
			!json_is_string(json_object_get(e, "content")) ||
			!json_is_string(json_object_get(e, "actor")) ||
			!json_is_integer(json_object_get(e, "ts"))))
		rc = error_set(err, CT_EINVAL, "entry %" PRIu64 " lacks kind, "
			       "content, actor or ts", seq);
	buf_release(&canon);
	if (rc)
		json_decref(e);
	else
		*out = e;
	return rc;
}

/* Records a reference row for each attachment of entry seq. */
static int import_refs(struct import_ctx *ic, uint64_t seq, const json_t *e,
		       struct error *err)
{
	json_t *atts = json_object_get(e, "attachments");
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < json_array_size(atts); i++) {
		json_t *a = json_array_get(atts, i);
		const char *hash = json_string_value(json_object_get(a, "hash"));
		const char *type = json_string_value(json_object_get(a, "type"));
		json_int_t size = json_integer_value(json_object_get(a, "size"));
		struct store_blob b = { 0 };
		enum hash_alg alg;
		uint8_t d[HASH_LEN];

		if (!hash || hash_parse(hash, &alg, d) != 0 ||
		    alg != ic->l->config.alg || size < 0)
			return error_set(err, CT_EINVAL, "entry %" PRIu64
					 ": attachment %zu is not a %s hash "
					 "with a size", seq, i + 1,
					 hash_alg_name(ic->l->config.alg));
		snprintf(b.hash, sizeof(b.hash), "%s", hash);
		snprintf(b.type, sizeof(b.type), "%s", type ? type : "");
		b.size = (uint64_t)size;
		if (ic->sha256_of)
			rc = ic->sha256_of(ic->fn_ctx, hash, b.sha256);
		if (rc == 0)
			rc = store_blob_ref(ic->l->writer, seq, &b, err);
	}
	return rc;
}

/*
 * Applies an imported expunge or purge: the content row or the blob
 * references it names are removed, as ledger_expunge and ledger_purge
 * did where the entry was written. Content that the restored copy never
 * had is no error.
 */
static int import_removal(struct import_ctx *ic, uint64_t seq,
			  const json_t *e, int purge, struct error *err)
{
	struct store *s = ic->l->writer;
	json_t *sup = json_object_get(e, "supersedes");
	json_t *atts = json_object_get(e, "attachments");
	uint64_t target, refs;
	struct error ignored = { 0 };
	int rc;

	if (!json_is_integer(sup) || json_integer_value(sup) < 0 ||
	    (uint64_t)json_integer_value(sup) >= seq)
		return error_set(err, CT_EINVAL, "entry %" PRIu64 ": %s names "
				 "no earlier entry", seq, purge ? KIND_PURGE
				 : KIND_EXPUNGE);
	target = (uint64_t)json_integer_value(sup);
	ic->removed = 1;
	if (!purge && json_array_size(atts) == 0) {
		rc = store_meta_put(s, META_WIPE_PENDING, "1", err);
		if (rc == 0)
			rc = store_content_delete(s, target, &ignored);
		if (rc == CT_ENOTFOUND)
			rc = 0;
		return rc ? error_set(err, rc, "%s", ignored.msg) :
			store_expunge_put(s, target, NULL, seq, err);
	}
	for (size_t i = 0; i < json_array_size(atts); i++) {
		const char *hash = json_string_value(json_object_get(
			json_array_get(atts, i), "hash"));

		if (!hash)
			return error_set(err, CT_EINVAL, "entry %" PRIu64 ": "
					 "attachment %zu has no hash", seq,
					 i + 1);
		rc = store_blob_unref(s, target, hash, seq, &refs, err);
		if (rc == 0)
			rc = store_expunge_put(s, target, hash, seq, err);
		if (rc)
			return rc;
	}
	return 0;
}

static int emit_node(void *ctx, unsigned level, uint64_t index,
		     const uint8_t hash[HASH_LEN])
{
	return store_node_put(ctx, level, index, hash, NULL);
}

/* Stores one entry at seq with its leaf, nodes, references, removals. */
static int import_one(struct import_ctx *ic, struct merkle_frontier *f,
		      uint64_t seq, const struct ledger_import_entry *ent,
		      struct error *err)
{
	struct store *s = ic->l->writer;
	uint8_t leaf[HASH_LEN];
	const char *kind;
	json_t *e;
	int rc = check_envelope(ent->body, ent->len, seq, &e, err);

	if (rc)
		return rc;
	merkle_leaf_hash(ic->l->config.alg, ent->body, ent->len, leaf);
	if (ic->flags & LEDGER_IMPORT_CHECK) {
		rc = merkle_frontier_push(f, leaf, NULL, NULL);
		goto out;
	}
	rc = store_entry_put(s, seq, ent->body, ent->len, err);
	if (rc == 0)
		rc = merkle_frontier_push(f, leaf, emit_node, s);
	kind = json_string_value(json_object_get(e, "kind"));
	if (rc == 0 && !strcmp(kind, KIND_EXPUNGE))
		rc = import_removal(ic, seq, e, 0, err);
	else if (rc == 0 && !strcmp(kind, KIND_PURGE))
		rc = import_removal(ic, seq, e, 1, err);
	else if (rc == 0)
		rc = import_refs(ic, seq, e, err);
out:
	json_decref(e);
	return rc;
}

static int import_tx(struct import_ctx *ic, struct error *err)
{
	struct ledger *l = ic->l;
	struct merkle_frontier f;
	uint8_t got[HASH_LEN];
	char want_text[HASH_TEXT_MAX], got_text[HASH_TEXT_MAX];
	uint64_t size = 0;
	int rc = store_entry_count(l->writer, &size, err);

	if (rc == 0 && size != ic->start)
		rc = error_set(err, CT_ESTATE, "the store holds %" PRIu64
			       " entries, not %" PRIu64 "; entries are "
			       "imported at the end of the log only", size,
			       ic->start);
	if (rc == 0)
		rc = merkle_frontier_load(&f, l->config.alg, store_node_get,
					  l->writer, size);
	for (size_t i = 0; rc == 0 && i < ic->n; i++)
		rc = import_one(ic, &f, ic->start + i, &ic->entries[i], err);
	if (rc)
		return rc;
	merkle_frontier_root(&f, got);
	if (memcmp(got, ic->root, HASH_LEN) != 0) {
		hash_format(l->config.alg, ic->root, want_text);
		hash_format(l->config.alg, got, got_text);
		return error_set(err, CT_ECORRUPT, "the tree of %" PRIu64
				 " entries has root %s, not %s",
				 ic->start + ic->n, got_text, want_text);
	}
	return 0;
}

int ledger_import(struct ledger *l, uint64_t start,
		  const struct ledger_import_entry *entries, size_t n,
		  const uint8_t root[HASH_LEN], unsigned flags,
		  ledger_sha256_fn sha256_of, void *ctx, struct error *err)
{
	struct import_ctx ic = { l, start, entries, n, root, flags, sha256_of,
				 ctx, 0 };
	int rc;

	if (l->flags & LEDGER_READONLY)
		return error_set(err, CT_EPERM, "store '%s' is open read-only",
				 l->config.dir);
	writer_lock(l);
	rc = store_begin(l->writer, err);
	if (rc == 0)
		rc = import_tx(&ic, err);
	if (rc == 0 && !(flags & LEDGER_IMPORT_CHECK))
		rc = store_commit(l->writer, err);
	store_end(l->writer);
	/* The cached right edge no longer matches the stored tree. */
	l->frontier_ok = 0;
	writer_unlock(l);
	if (rc == 0 && !(flags & LEDGER_IMPORT_CHECK)) {
		note_size(l, start + n);
		log_info("ledger", "entries imported", "from=%" PRIu64
			 " count=%zu", start, n);
	}
	/* Blob files and old pages that imported removals name go now. */
	if (rc == 0 && ic.removed && !(flags & LEDGER_IMPORT_CHECK))
		rc = ledger_expunge_finish(l, err);
	return rc;
}
