/*
 * Store verification (see verify.h). It runs in three passes over one
 * read snapshot of the database:
 *
 *  1. entries in seq order: canonical form, seq and leaf hash. The tree is
 *     recomputed with a frontier, every node it creates is compared with
 *     the stored one, and roots are kept at every checkpoint size;
 *  2. checkpoints: signatures, origin, root, consistency with the
 *     previous one, the checkpoint file and the --against note;
 *  3. content rows and blobs against what the entries commit to, minus
 *     what expunge and purge entries removed and what restore entries
 *     name as lost (content that only a witness's commitments brought
 *     back, files no one had).
 */
#include "common/common.h"

#include <sys/stat.h>
#include <unistd.h>

#include "common/jcs.h"
#include "content/content.h"
#include "entry_pool.h"
#include "internal.h"
#include "ledger/checkpoint.h"
#include "verify.h"

/* How a restore entry's kind reads inside its canonical envelope. */
#define RESTORE_KIND ",\"kind\":\"restore\","

struct attref {
	uint64_t seq;
	char hash[HASH_TEXT_MAX];
	uint64_t size;
};

/* The stored nodes of one level, read in index order beside the tree. */
struct level_reader {
	struct store_node_reader *r;
	int have, done;
	int bad; /* the held node's hash is not HASH_LEN bytes */
	uint64_t index;
	uint8_t hash[HASH_LEN];
};

/* The content commitment of one entry. */
struct commitment {
	uint64_t seq;
	uint8_t digest[HASH_LEN];
	uint8_t valid; /* the entry carries a well-formed commitment */
	uint8_t seen;  /* a content row was found for it */
};

struct sized_root {
	uint64_t size;
	uint8_t root[HASH_LEN];
	int have;
};

struct vctx {
	struct ledger_config config;
	struct store *s;
	struct blob_dir *blobs;
	const struct verify_options *opt;
	struct verify_result *res;

	struct merkle_frontier tree;
	uint64_t next_seq;
	struct level_reader levels[MERKLE_MAX_LEVELS];
	int gap; /* an entry is missing: tree positions are off */
	struct commitment *commits; /* in seq order, one per entry read */
	size_t ncommits, capcommits;
	struct attref *refs, *expunged;
	size_t nrefs, caprefs, nexp, capexp;
	uint64_t *restores; /* seqs of restore entries */
	size_t nrestores, caprestores;
	struct attref *lost_ranges; /* content lost: [seq, size) per entry */
	struct attref *lost_blobs;  /* files lost: seq and hash */
	size_t nlostr, caplostr, nlostb, caplostb;
	struct sized_root *roots; /* wanted roots, sorted by size */
	size_t nroots, caproots;
	struct entry_pool *pool;
};

__attribute__((format(printf, 2, 3))) static void problem(struct vctx *v,
							  const char *fmt,
							  ...)
{
	va_list ap;

	v->res->problems++;
	va_start(ap, fmt);
	vfprintf(v->opt->out, fmt, ap);
	va_end(ap);
	fputc('\n', v->opt->out);
}

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
	void *q;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 1024;
	q = realloc(*p, c * size);
	if (!q)
		return CT_ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

static int add_ref(struct attref **a, size_t *n, size_t *cap, uint64_t seq,
		   const char *hash, uint64_t size)
{
	if (grow((void **)a, cap, *n, sizeof(**a)))
		return CT_ENOMEM;
	(*a)[*n].seq = seq;
	snprintf((*a)[*n].hash, HASH_TEXT_MAX, "%s", hash ? hash : "");
	(*a)[*n].size = size;
	(*n)++;
	return 0;
}

static int cmp_ref(const void *a, const void *b)
{
	const struct attref *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return strcmp(x->hash, y->hash);
}

static int is_expunged(struct vctx *v, uint64_t seq, const char *hash)
{
	struct attref key = { .seq = seq };

	snprintf(key.hash, sizeof(key.hash), "%s", hash ? hash : "");
	return v->nexp && bsearch(&key, v->expunged, v->nexp,
				  sizeof(key), cmp_ref) != NULL;
}

/* Makes the reader of level hold the stored node at index, if any. */
static int seek_stored(struct vctx *v, unsigned level, uint64_t index)
{
	struct level_reader *lr = &v->levels[level];

	if (!lr->r && !lr->done &&
	    store_node_reader_open(v->s, level, &lr->r, NULL) != 0)
		lr->done = 1;
	while (!lr->done && (!lr->have || lr->index < index)) {
		int rc = store_node_reader_next(lr->r, &lr->index, lr->hash);

		lr->have = rc == 0 || rc == CT_ECORRUPT;
		lr->bad = rc == CT_ECORRUPT;
		if (rc == CT_ENOTFOUND) {
			lr->done = 1;
		} else if (rc == CT_EINVAL) {
			problem(v, "tree: a stored node of level %u has a "
				"negative index", level);
		} else if (rc && rc != CT_ECORRUPT) {
			problem(v, "tree: stored nodes of level %u cannot be "
				"read after index %" PRIu64 ": %s", level,
				lr->index, ct_strerror(rc));
			lr->done = 1;
		}
	}
	return lr->have && lr->index == index;
}

/* Compares a node the recomputed tree created with the stored one. */
static int compare_node(void *ctx, unsigned level, uint64_t index,
			const uint8_t hash[HASH_LEN])
{
	struct vctx *v = ctx;
	struct level_reader *lr = &v->levels[level];

	if (v->gap)
		return 0;
	if (!seek_stored(v, level, index))
		problem(v, "tree: node (level %u, index %" PRIu64 ") is missing"
			" from the stored tree", level, index);
	else if (lr->bad)
		problem(v, "tree: stored node (level %u, index %" PRIu64 ") is "
			"not a %d-byte hash", level, index, HASH_LEN);
	else if (memcmp(lr->hash, hash, HASH_LEN) != 0 && level == 0)
		problem(v, "entry %" PRIu64 ": stored leaf hash does not match "
			"the entry", index);
	else if (memcmp(lr->hash, hash, HASH_LEN) != 0)
		problem(v, "tree: stored node (level %u, index %" PRIu64 ") "
			"does not match the recomputed tree", level, index);
	if (lr->have && lr->index == index)
		lr->have = 0;
	return 0;
}

/* Keeps the recomputed root at each wanted size as the tree passes it. */
static void capture_roots(struct vctx *v)
{
	for (size_t i = 0; i < v->nroots; i++)
		if (v->roots[i].size == v->tree.size && !v->roots[i].have) {
			merkle_frontier_root(&v->tree, v->roots[i].root);
			v->roots[i].have = 1;
		}
}

/* Records what an entry commits to, and what an expunge or purge entry
 * removed. */
static int note_entry(struct vctx *v, const struct entry_check *c)
{
	int rc = 0;

	struct commitment *k;
	enum hash_alg alg;

	if (grow((void **)&v->commits, &v->capcommits, v->ncommits,
		 sizeof(*v->commits)))
		return CT_ENOMEM;
	k = &v->commits[v->ncommits++];
	memset(k, 0, sizeof(*k));
	k->seq = c->seq;
	k->valid = hash_parse(c->content, &alg, k->digest) == 0 &&
		   alg == v->config.alg;
	if (!k->valid)
		problem(v, "entry %" PRIu64 ": content commitment '%.80s' is not "
			"a %s hash", c->seq, c->content,
			hash_alg_name(v->config.alg));
	if (c->expunge && c->supersedes < 0)
		return 0;
	/* A purge removes blobs only; one that lists none is a problem. */
	if (c->purge && c->nrefs == 0)
		return 0;
	if (c->expunge && c->nrefs == 0)
		return add_ref(&v->expunged, &v->nexp, &v->capexp,
			       (uint64_t)c->supersedes, NULL, 0);
	for (size_t i = 0; i < c->nrefs && rc == 0; i++) {
		if (c->expunge)
			rc = add_ref(&v->expunged, &v->nexp, &v->capexp,
				     (uint64_t)c->supersedes, c->refs[i].hash,
				     0);
		else
			rc = add_ref(&v->refs, &v->nrefs, &v->caprefs, c->seq,
				     c->refs[i].hash, c->refs[i].size);
	}
	return rc;
}

/* Prints the problem lines a worker found in one entry. */
static void report_lines(struct vctx *v, const char *lines, size_t len)
{
	while (len > 0) {
		const char *nl = memchr(lines, '\n', len);
		size_t n = nl ? (size_t)(nl - lines) : len;

		problem(v, "%.*s", (int)n, lines);
		n += nl != NULL;
		lines += n;
		len -= n;
	}
}

/* Takes the checked entries in seq order: the tree and what they name. */
static int consume_entry(void *ctx, struct entry_check *c)
{
	struct vctx *v = ctx;
	uint64_t seq = c->seq;
	int rc;

	if (seq != v->next_seq) {
		if (seq - v->next_seq == 1)
			problem(v, "entry %" PRIu64 ": missing from the log",
				v->next_seq);
		else
			problem(v, "entries %" PRIu64 " to %" PRIu64 ": missing "
				"from the log", v->next_seq, seq - 1);
		/*
		 * Later leaves now sit at the wrong positions, so stored
		 * nodes are no longer compared; the gap is the cause.
		 */
		v->gap = 1;
		v->next_seq = seq;
	}
	report_lines(v, c->problems, c->problems_len);
	rc = merkle_frontier_push(&v->tree, c->leaf, compare_node, v);
	capture_roots(v);
	if (rc == 0)
		rc = note_entry(v, c);
	/* Canonical JSON writes the kind exactly so; strings escape quotes. */
	if (rc == 0 && memmem(c->body, c->len, RESTORE_KIND,
			      strlen(RESTORE_KIND)) &&
	    grow((void **)&v->restores, &v->caprestores, v->nrestores,
		 sizeof(*v->restores)) == 0)
		v->restores[v->nrestores++] = seq;
	v->next_seq = seq + 1;
	v->res->entries++;
	return rc;
}

static int add_entry(void *ctx, uint64_t seq, const void *body, size_t len)
{
	struct vctx *v = ctx;

	return entry_pool_add(v->pool, seq, body, len);
}

/* Pass 1: every entry, checked by the pool and consumed in order. */
static int check_entries(struct vctx *v, struct error *err)
{
	struct error serr = { 0 };
	int rc = entry_pool_start(v->config.alg, consume_entry, v, &v->pool);

	if (rc)
		return error_set(err, rc, "cannot start verify threads");
	rc = store_entry_scan(v->s, 0, add_entry, v, &serr);
	if (rc == 0)
		rc = entry_pool_finish(v->pool, 1);
	else
		entry_pool_finish(v->pool, 0);
	v->pool = NULL;
	if (rc == CT_ENOMEM)
		return error_set(err, rc, "out of memory");
	if (rc)
		problem(v, "database: entries cannot be read: %s",
			serr.msg[0] ? serr.msg : ct_strerror(rc));
	return 0;
}

struct stored_cp {
	uint64_t size;
	char *note;
	size_t len;
};

struct cp_list {
	struct stored_cp *items;
	size_t n, cap;
};

static int collect_cp(void *ctx, const struct store_checkpoint *cp)
{
	struct cp_list *l = ctx;
	char *copy;

	if (grow((void **)&l->items, &l->cap, l->n, sizeof(*l->items)))
		return CT_ENOMEM;
	copy = malloc(cp->note.len + 1);
	if (!copy)
		return CT_ENOMEM;
	memcpy(copy, cp->note.data, cp->note.len + 1);
	l->items[l->n].size = cp->size;
	l->items[l->n].note = copy;
	l->items[l->n].len = cp->note.len;
	l->n++;
	return 0;
}

static int want_root(struct vctx *v, uint64_t size)
{
	if (grow((void **)&v->roots, &v->caproots, v->nroots,
		 sizeof(*v->roots)))
		return CT_ENOMEM;
	memset(&v->roots[v->nroots], 0, sizeof(*v->roots));
	v->roots[v->nroots++].size = size;
	return 0;
}

static const struct sized_root *root_at(const struct vctx *v, uint64_t size)
{
	for (size_t i = 0; i < v->nroots; i++)
		if (v->roots[i].size == size && v->roots[i].have)
			return &v->roots[i];
	return NULL;
}

/*
 * Checks one signed checkpoint note against the keys, the origin and the
 * recomputed tree. what names it in problem lines. Fills cp when the note
 * parses; returns whether it was sound.
 */
static int check_note(struct vctx *v, const char *what, const char *note,
		      size_t len, const struct note_key *keys, size_t nkeys,
		      struct checkpoint *cp)
{
	const struct sized_root *r;
	struct error err = { 0 };

	if (checkpoint_parse(note, len, cp, NULL, &err) != 0) {
		problem(v, "%s: malformed: %s", what, err.msg);
		return 0;
	}
	error_clear(&err);
	if (checkpoint_verify(note, len, keys, nkeys, cp, &err) != 0) {
		problem(v, "%s: signature invalid: %s", what, err.msg);
		return 0;
	}
	if (strcmp(cp->origin, v->config.origin) != 0) {
		problem(v, "%s: origin '%s' is not this store's '%s'", what,
			cp->origin, v->config.origin);
		return 0;
	}
	if (cp->size > v->next_seq) {
		problem(v, "%s: covers %" PRIu64 " entries but the log has "
			"only %" PRIu64 " (entries were removed or the store "
			"was rolled back)", what, cp->size, v->next_seq);
		return 0;
	}
	r = root_at(v, cp->size);
	if (!r || memcmp(r->root, cp->root, HASH_LEN) != 0) {
		problem(v, "%s: root hash does not match the entries (the log "
			"was rewritten or forked)", what);
		return 0;
	}
	return 1;
}

/* Checks that cp extends prev, with a proof from the stored tree. */
static void check_consistency(struct vctx *v, const struct checkpoint *prev,
			      const struct checkpoint *cp)
{
	uint8_t proof[MERKLE_MAX_PROOF][HASH_LEN];
	size_t count = 0;
	int rc;

	if (prev->size == 0)
		return;
	rc = merkle_consistency_proof(v->config.alg, store_node_get, v->s,
				      prev->size, cp->size, proof, &count);
	if (rc == 0)
		rc = merkle_consistency_verify(v->config.alg, prev->size,
					       cp->size, prev->root, cp->root,
					       proof, count);
	if (rc)
		problem(v, "checkpoint %" PRIu64 ": not consistent with "
			"checkpoint %" PRIu64, cp->size, prev->size);
}

static int load_public_keys(struct vctx *v, struct key **k,
			    struct note_key *keys, struct error *err)
{
	struct buf pem = BUF_INIT_MAX(1 << 16);
	int rc = 0;

	for (size_t i = 0; i < v->config.nkeys && rc == 0; i++) {
		rc = read_file(v->config.keys[i].public_path, pem.max, &pem,
			       err);
		if (rc == 0)
			rc = key_load_public_pem(pem.data, pem.len, &k[i], err);
		keys[i].name = v->config.keys[i].name;
		keys[i].key = k[i];
	}
	buf_release(&pem);
	return rc;
}

static void check_checkpoints(struct vctx *v, const struct cp_list *cps,
			      const struct note_key *keys, size_t nkeys)
{
	struct checkpoint prev = { 0 }, cp;
	int have_prev = 0;
	char what[64];

	for (size_t i = 0; i < cps->n; i++) {
		snprintf(what, sizeof(what), "checkpoint %" PRIu64,
			 cps->items[i].size);
		v->res->checkpoints++;
		if (!check_note(v, what, cps->items[i].note, cps->items[i].len,
				keys, nkeys, &cp))
			continue;
		if (cp.size != cps->items[i].size)
			problem(v, "%s: note says size %" PRIu64, what,
				cp.size);
		if (have_prev)
			check_consistency(v, &prev, &cp);
		prev = cp;
		have_prev = 1;
	}
}

static void check_outside_notes(struct vctx *v, const struct buf *file,
				const struct cp_list *cps,
				const struct note_key *keys, size_t nkeys)
{
	uint64_t latest = cps->n ? cps->items[cps->n - 1].size : 0;
	struct checkpoint cp;

	if (file->len > 0 &&
	    check_note(v, "checkpoint file", file->data, file->len, keys,
		       nkeys, &cp) &&
	    cp.size > latest)
		problem(v, "checkpoint file: size %" PRIu64 " is newer than "
			"every checkpoint in the database (%" PRIu64 "); the "
			"database was rolled back", cp.size, latest);
	if (v->opt->against)
		check_note(v, "--against checkpoint", v->opt->against,
			   v->opt->against_len, keys, nkeys, &cp);
}

/* Reports stored nodes that the recomputed tree never created. */
static void check_extra_nodes(struct vctx *v)
{
	for (unsigned level = 0; level < MERKLE_MAX_LEVELS; level++) {
		struct level_reader *lr = &v->levels[level];
		uint64_t extra = 0, first = 0;

		if (v->gap)
			break;
		seek_stored(v, level, 0);
		while (!lr->done) {
			if (lr->have && extra++ == 0)
				first = lr->index;
			lr->have = 0;
			seek_stored(v, level, UINT64_MAX);
		}
		if (extra)
			problem(v, "tree: %" PRIu64 " stored node%s of level %u "
				"from index %" PRIu64 " %s beyond the log's %"
				PRIu64 " entries (entries were removed from "
				"the end)", extra, extra == 1 ? "" : "s", level,
				first, extra == 1 ? "lies" : "lie", v->next_seq);
	}
}

static int is_lost_content(const struct vctx *v, uint64_t seq)
{
	for (size_t i = 0; i < v->nlostr; i++)
		if (seq >= v->lost_ranges[i].seq && seq < v->lost_ranges[i].size)
			return 1;
	return 0;
}

static int is_lost_blob(const struct vctx *v, uint64_t seq, const char *hash)
{
	for (size_t i = 0; i < v->nlostb; i++)
		if (v->lost_blobs[i].seq == seq &&
		    !strcmp(v->lost_blobs[i].hash, hash))
			return 1;
	return 0;
}

static int cmp_commitment(const void *key, const void *elem);

/*
 * Reads what one restore entry names as lost, from its own content,
 * which must match its commitment: the content of the entries recovered
 * right before it, and files of those entries. A restore appends its
 * entry at once, so the range must end at its own seq. Returns 1 when
 * its content is missing, which a later restore may explain.
 */
static int load_restore(struct vctx *v, uint64_t seq)
{
	struct buf salt = BUF_INIT_MAX(1024), fields = BUF_INIT_MAX(CONTENT_MAX);
	struct commitment *k = bsearch(&seq, v->commits, v->ncommits,
				       sizeof(*v->commits), cmp_commitment);
	char got[HASH_TEXT_MAX], want[HASH_TEXT_MAX];
	json_t *doc = NULL, *range, *blobs;
	uint64_t from, to;
	int missing = 0;

	if (!k || !k->valid ||
	    store_content_get(v->s, seq, &salt, &fields, NULL) != 0) {
		missing = 1;
		goto out;
	}
	content_commitment(v->config.alg, salt.data, salt.len, fields.data,
			   fields.len, got);
	hash_format(v->config.alg, k->digest, want);
	doc = strcmp(got, want) ? NULL : json_loadb(fields.data, fields.len,
						     0, NULL);
	range = json_object_get(doc, "lost_content");
	from = (uint64_t)json_integer_value(json_object_get(range, "from"));
	to = (uint64_t)json_integer_value(json_object_get(range, "to"));
	blobs = json_object_get(doc, "lost_blobs");
	if (!doc || !json_is_object(range) || from > to || to != seq) {
		problem(v, "restore %" PRIu64 ": its content does not match its "
			"commitment or names a lost range that does not end "
			"right before it", seq);
		goto out;
	}
	if (to > from && add_ref(&v->lost_ranges, &v->nlostr, &v->caplostr,
				 from, NULL, to) != 0)
		goto out;
	for (size_t i = 0; i < json_array_size(blobs); i++) {
		json_t *b = json_array_get(blobs, i);
		json_int_t s = json_integer_value(json_object_get(b, "seq"));
		const char *h = json_string_value(json_object_get(b, "hash"));

		if (h && s >= 0 && (uint64_t)s >= from && (uint64_t)s < to)
			add_ref(&v->lost_blobs, &v->nlostb, &v->caplostb,
				(uint64_t)s, h, 0);
	}
out:
	json_decref(doc);
	buf_release(&salt);
	crypto_wipe(fields.data, fields.len);
	buf_release(&fields);
	return missing;
}

static int cmp_commitment(const void *key, const void *elem)
{
	uint64_t seq = *(const uint64_t *)key;
	const struct commitment *c = elem;

	return seq < c->seq ? -1 : seq > c->seq;
}

static int check_content_row(void *ctx, uint64_t seq, const void *salt,
			     size_t salt_len, const void *fields, size_t len)
{
	struct vctx *v = ctx;
	struct commitment *k;
	char got[HASH_TEXT_MAX], want[HASH_TEXT_MAX];

	v->res->contents++;
	k = v->ncommits ? bsearch(&seq, v->commits, v->ncommits,
				  sizeof(*v->commits), cmp_commitment)
			: NULL;
	if (!k || !k->valid) {
		problem(v, "content %" PRIu64 ": stored, but no entry commits "
			"to it", seq);
		return 0;
	}
	k->seen = 1;
	if (is_expunged(v, seq, NULL))
		problem(v, "content %" PRIu64 ": expunged by the log but still "
			"stored", seq);
	if (content_row_sealed(fields, len)) {
		struct content c;
		struct error e = { 0 };
		int rc;

		content_init(&c);
		rc = content_from_row(v->s, seq, salt, salt_len, fields, len,
				      &c, &e);
		if (rc)
			problem(v, "content %" PRIu64 ": %s", seq, e.msg);
		else
			content_commitment(v->config.alg, c.salt,
					   CONTENT_SALT_LEN, c.fields.data,
					   c.fields.len, got);
		content_release(&c);
		if (rc)
			return 0;
	} else {
		content_commitment(v->config.alg, salt, salt_len, fields, len,
				   got);
	}
	hash_format(v->config.alg, k->digest, want);
	if (strcmp(got, want) != 0)
		problem(v, "content %" PRIu64 ": does not match the entry's "
			"commitment %s", seq, want);
	return 0;
}

static void check_contents(struct vctx *v)
{
	struct error err = { 0 };

	if (store_content_scan(v->s, check_content_row, v, &err) != 0) {
		problem(v, "content: cannot be read: %s", err.msg);
		return;
	}
	for (size_t i = 0; i < v->ncommits; i++) {
		const struct commitment *k = &v->commits[i];

		if (k->seen || !k->valid)
			continue;
		if (is_expunged(v, k->seq, NULL))
			v->res->expunged++;
		else if (is_lost_content(v, k->seq))
			v->res->lost_content++;
		else
			problem(v, "content %" PRIu64 ": missing, and no "
				"expunge entry removed it", k->seq);
	}
}

static int cmp_ref_hash(const void *a, const void *b)
{
	const struct attref *x = a, *y = b;
	int c = strcmp(x->hash, y->hash);

	return c ? c : (x->seq < y->seq ? -1 : x->seq > y->seq);
}

/* Checks one blob referenced by refs[0 .. n), which share its hash. */
static void check_blob(struct vctx *v, const struct attref *refs, size_t n)
{
	const char *hash = refs[0].hash;
	struct store_blob row;
	struct error err = { 0 };
	char path[PATH_MAX];
	size_t live = 0;

	for (size_t i = 0; i < n; i++)
		live += !is_expunged(v, refs[i].seq, hash);
	if (live)
		v->res->blobs++;
	else
		v->res->expunged++;
	if (blob_path(v->blobs, hash, path, sizeof(path)) != 0) {
		problem(v, "blob %s: invalid hash in entry %" PRIu64, hash,
			refs[0].seq);
		return;
	}
	if (live && access(path, F_OK) != 0) {
		size_t lost = 0;

		for (size_t i = 0; i < n; i++)
			lost += !is_expunged(v, refs[i].seq, hash) &&
				is_lost_blob(v, refs[i].seq, hash);
		if (lost == live) {
			v->res->blobs--;
			v->res->lost_blobs++;
			return;
		}
	}
	if (live == 0) {
		if (access(path, F_OK) == 0)
			problem(v, "blob %s: expunged by the log but still "
				"stored; 'casetrail expunge --finish' destroys "
				"it", hash);
		return;
	}
	if (!v->opt->check_blobs) {
		if (access(path, F_OK) != 0)
			problem(v, "blob %s: file '%s' is missing, and no "
				"expunge or purge entry removed it (entry %"
				PRIu64 ")", hash, path, refs[0].seq);
		return;
	}
	if (store_blob_get(v->s, hash, &row, NULL) != 0)
		row.sha256[0] = '\0';
	if (blob_check(v->blobs, hash, row.sha256, refs[0].size, &err) != 0)
		problem(v, "%s (entry %" PRIu64 ")", err.msg, refs[0].seq);
}

static void check_blobs(struct vctx *v)
{
	size_t i = 0;

	if (v->nexp)
		qsort(v->expunged, v->nexp, sizeof(*v->expunged), cmp_ref);
	if (v->nrefs)
		qsort(v->refs, v->nrefs, sizeof(*v->refs), cmp_ref_hash);
	while (i < v->nrefs) {
		size_t j = i + 1;

		while (j < v->nrefs && !strcmp(v->refs[j].hash, v->refs[i].hash))
			j++;
		check_blob(v, &v->refs[i], j - i);
		i = j;
	}
}

static int cmp_root(const void *a, const void *b)
{
	const struct sized_root *x = a, *y = b;

	return x->size < y->size ? -1 : x->size > y->size;
}

/* Reads the checkpoint sizes whose roots pass 1 must keep. */
static int plan_roots(struct vctx *v, const struct cp_list *cps,
		      const struct buf *file, struct error *err)
{
	struct checkpoint cp;
	int rc = 0;

	/* Roots at the sizes stated in the notes, not in their rows. */
	for (size_t i = 0; i < cps->n && rc == 0; i++)
		if (checkpoint_parse(cps->items[i].note, cps->items[i].len, &cp,
				     NULL, NULL) == 0)
			rc = want_root(v, cp.size);
	if (rc == 0 && file->len &&
	    checkpoint_parse(file->data, file->len, &cp, NULL, NULL) == 0)
		rc = want_root(v, cp.size);
	if (rc == 0 && v->opt->against &&
	    checkpoint_parse(v->opt->against, v->opt->against_len, &cp, NULL,
			     NULL) == 0)
		rc = want_root(v, cp.size);
	if (rc)
		return error_set(err, rc, "out of memory");
	if (v->nroots)
		qsort(v->roots, v->nroots, sizeof(*v->roots), cmp_root);
	capture_roots(v);
	return 0;
}

static void check_store_id(struct vctx *v)
{
	struct buf id = BUF_INIT_MAX(256);
	struct error err = { 0 };

	if (store_meta_get(v->s, META_WIPE_PENDING, &id, NULL) == 0 &&
	    !strcmp(id.data, "1"))
		problem(v, "database: an expunge has not finished removing old "
			"copies of content from the database files; run "
			"'casetrail expunge --finish'");

	error_clear(&err);
	if (check_db_matches(&v->config, v->s, &err) != 0)
		problem(v, "database: %s", err.msg);
	buf_release(&id);
}

static void signature_problem(void *ctx, const char *msg)
{
	problem(ctx, "%s", msg);
}

static void check_signatures(struct vctx *v)
{
	struct error err = { 0 };

	if (check_staff_signatures(v->s, &v->config, signature_problem, v,
				   &v->res->signatures, &err) != 0)
		problem(v, "signatures: cannot be read: %s", err.msg);
}

/*
 * Hands the content key to the connection, so that sealed content can
 * be checked. A store without one has no sealed content to check; one
 * that cannot be read is a problem, and sealed rows then fail.
 */
static void load_content_key(struct vctx *v)
{
	uint8_t key[STORE_CONTENT_KEY_LEN];
	struct error err = { 0 };
	char path[PATH_MAX];
	int rc;

	path_join(path, sizeof(path), v->config.dir, KEY_DIR);
	rc = content_key_load(path, false, key, &err);
	if (rc == 0)
		store_set_content_key(v->s, key);
	else if (rc != CT_ENOTFOUND)
		problem(v, "content key: %s", err.msg);
	crypto_wipe(key, sizeof(key));
}

/* Runs the passes once the store is open and the snapshot taken. */
static int run_passes(struct vctx *v, struct buf *file, int file_rc,
		      const struct error *file_err, struct error *err)
{
	struct cp_list cps = { 0 };
	struct key *k[2] = { NULL, NULL };
	struct note_key keys[2];
	char path[PATH_MAX];
	struct error serr = { 0 };
	int rc;

	check_store_id(v);
	load_content_key(v);
	rc = load_public_keys(v, k, keys, err);
	if (rc)
		goto out;
	if (store_checkpoint_scan(v->s, collect_cp, &cps, &serr) != 0)
		problem(v, "database: checkpoints cannot be read: %s",
			serr.msg);
	path_join(path, sizeof(path), v->config.dir, CHECKPOINT_FILE);
	if (file_rc == CT_ENOTFOUND)
		problem(v, "checkpoint file: '%s' is missing; it holds the "
			"newest checkpoint, so a rolled-back database cannot be "
			"told from a current one", path);
	else if (file_rc)
		problem(v, "checkpoint file: cannot be read: %s",
			file_err->msg);
	if (file_rc)
		buf_reset(file);
	rc = plan_roots(v, &cps, file, err);
	if (rc)
		goto out;
	rc = check_entries(v, err);
	if (rc)
		goto out;
	check_extra_nodes(v);
	check_checkpoints(v, &cps, keys, v->config.nkeys);
	check_outside_notes(v, file, &cps, keys, v->config.nkeys);
	if (v->nexp)
		qsort(v->expunged, v->nexp, sizeof(*v->expunged), cmp_ref);
	for (size_t i = 0; i < v->nrestores; i++)
		if (!load_restore(v, v->restores[i]))
			v->restores[i] = UINT64_MAX;
	for (size_t i = 0; i < v->nrestores; i++)
		if (v->restores[i] != UINT64_MAX &&
		    !is_lost_content(v, v->restores[i]))
			problem(v, "restore %" PRIu64 ": its content is missing, "
				"so the losses it names cannot be accepted",
				v->restores[i]);
	check_contents(v);
	check_blobs(v);
	check_signatures(v);
	rc = 0;
out:
	for (size_t i = 0; i < cps.n; i++)
		free(cps.items[i].note);
	free(cps.items);
	key_free(k[0]);
	key_free(k[1]);
	return rc;
}

int ledger_verify(const char *dir, const struct verify_options *opt,
		  struct verify_result *result, struct error *err)
{
	struct vctx v = { 0 };
	struct buf file = BUF_INIT_MAX(1 << 16);
	struct error file_err = { 0 };
	char path[PATH_MAX];
	int rc, file_rc;

	memset(result, 0, sizeof(*result));
	v.opt = opt;
	v.res = result;
	rc = config_load(dir, &v.config, err);
	if (rc)
		return rc;
	merkle_frontier_init(&v.tree, v.config.alg);
	/*
	 * The checkpoint file is read before the snapshot is taken. A signer
	 * commits a checkpoint to the database before it rewrites the file,
	 * so a file read first never names a checkpoint the snapshot lacks,
	 * even while a server keeps signing.
	 */
	path_join(path, sizeof(path), dir, CHECKPOINT_FILE);
	file_rc = read_file(path, file.max, &file, &file_err);
	path_join(path, sizeof(path), dir, DB_FILE);
	rc = store_open(path, STORE_READONLY, &v.s, err);
	if (rc == 0)
		rc = store_begin_read(v.s, err);
	path_join(path, sizeof(path), dir, BLOB_DIR);
	if (rc == 0)
		rc = blob_dir_open(path, v.config.alg, &v.blobs, err);
	if (rc == 0)
		rc = run_passes(&v, &file, file_rc, &file_err, err);
	for (size_t i = 0; i < MERKLE_MAX_LEVELS; i++)
		store_node_reader_free(v.levels[i].r);
	store_end(v.s);
	store_close(v.s);
	blob_dir_free(v.blobs);
	free(v.commits);
	free(v.refs);
	free(v.expunged);
	free(v.restores);
	free(v.lost_ranges);
	free(v.lost_blobs);
	free(v.roots);
	buf_release(&file);
	return rc;
}
