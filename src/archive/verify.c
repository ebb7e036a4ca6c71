/*
 * verify-package: checks a case file package without any store, with the
 * ledger's own Merkle, checkpoint and note code (docs/archive.md lists
 * the checks). Members are hashed while they are read; only those up to
 * KEEP_MAX bytes are kept in memory, so a package of large AV files is
 * checked in one pass.
 */
#include "common/common.h"

#include <ctype.h>

#include <archive.h>
#include <archive_entry.h>
#include <libxml/parser.h>

#include "archive/archive.h"
#include "content/content.h"
#include "internal.h"
#include "ledger/checkpoint.h"
#include "ledger/merkle.h"

#define KEEP_MAX ((size_t)64 << 20)

struct member {
	char *path;
	char hex[BAG_NALGS][DIGEST_MAX * 2 + 1];
	uint64_t size;
	struct buf data; /* empty when larger than KEEP_MAX */
	int listed[2 * BAG_NALGS];
};

struct pkg {
	struct member *m;
	size_t n, cap;
	archive_problem_fn problem;
	void *ctx;
	const char *key_pem;
	int count;
	/* the seqs whose content an expunge entry of the package destroyed */
	int64_t *expunged;
	size_t nexpunged;
	/* a record an issued document prints from, and whether its record.pdf is that PDF */
	struct issued {
		int64_t source;
		int matched;
	} *issued;
	size_t nissued;
};

static void bad(struct pkg *p, const char *file, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void bad(struct pkg *p, const char *file, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	p->problem(p->ctx, file, what);
	p->count++;
}

static struct member *find(struct pkg *p, const char *path)
{
	for (size_t i = 0; path && i < p->n; i++)
		if (!strcmp(p->m[i].path, path))
			return &p->m[i];
	return NULL;
}

static const char *jstr(const json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s ? s : "";
}

/* Reads one member, hashing it and keeping it when small. */
static int read_member(struct pkg *p, struct archive *ar, const char *name,
		       struct digest *d[], struct error *err)
{
	struct member *m;
	char chunk[65536];
	uint8_t md[DIGEST_MAX];
	la_ssize_t got;

	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;
		struct member *nm = realloc(p->m, cap * sizeof(*nm));

		if (!nm)
			return error_set(err, CT_ENOMEM, "out of memory");
		p->m = nm;
		p->cap = cap;
	}
	m = &p->m[p->n++];
	memset(m, 0, sizeof(*m));
	buf_init(&m->data, KEEP_MAX);
	m->path = strdup(name);
	while ((got = archive_read_data(ar, chunk, sizeof(chunk))) > 0) {
		for (size_t i = 0; i < BAG_NALGS; i++)
			digest_update(d[i], chunk, (size_t)got);
		m->size += (uint64_t)got;
		if (m->size <= KEEP_MAX)
			buf_append(&m->data, chunk, (size_t)got);
		else
			buf_release(&m->data);
	}
	for (size_t i = 0; i < BAG_NALGS; i++)
		bag_hex(md, digest_final(d[i], md), m->hex[i]);
	if (got < 0 || !m->path)
		return error_set(err, CT_EIO, "cannot read '%s' of the package: "
				 "%s", name, archive_error_string(ar) ?: "");
	return 0;
}

/* Reads the package file at path, or the len bytes at mem when given. */
static int read_package(struct pkg *p, const char *path, const void *mem,
			size_t len, struct error *err)
{
	struct archive *ar = archive_read_new();
	struct archive_entry *e;
	struct digest *d[BAG_NALGS] = { 0 };
	char root[256] = "";
	int rc = 0, r;

	archive_read_support_format_tar(ar);
	archive_read_support_format_zip(ar);
	for (size_t i = 0; i < BAG_NALGS; i++)
		d[i] = digest_new(bag_algs[i]);
	if ((mem ? archive_read_open_memory(ar, mem, len)
		 : archive_read_open_filename(ar, path, 65536)) != ARCHIVE_OK)
		rc = error_set(err, CT_EIO, "cannot read the package '%s': %s",
			       path, archive_error_string(ar) ?: "");
	while (rc == 0 && (r = archive_read_next_header(ar, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname_utf8(e), *slash;

		if (!name)
			name = archive_entry_pathname(e);
		if (archive_entry_filetype(e) != AE_IFREG || !name)
			continue;
		slash = strchr(name, '/');
		if (!slash) {
			bad(p, name, "lies outside the bag's folder");
			continue;
		}
		if (!root[0])
			snprintf(root, sizeof(root), "%.*s",
				 (int)(slash - name), name);
		else if (strncmp(name, root, strlen(root)) ||
			 name[strlen(root)] != '/')
			bad(p, name, "lies outside the bag's folder %s", root);
		if (find(p, slash + 1))
			bad(p, slash + 1, "is in the package twice");
		rc = read_member(p, ar, slash + 1, d, err);
	}
	if (rc == 0 && r != ARCHIVE_EOF)
		rc = error_set(err, CT_EIO, "cannot read the package '%s': %s",
			       path, archive_error_string(ar) ?: "");
	for (size_t i = 0; i < BAG_NALGS; i++)
		digest_free(d[i]);
	archive_read_free(ar);
	return rc;
}

/* --- the bag ------------------------------------------------------------ */

static void check_manifest(struct pkg *p, size_t alg, int tag)
{
	char name[64];
	struct member *mf;
	const char *line, *end;
	int slot = tag * BAG_NALGS + (int)alg;

	snprintf(name, sizeof(name), "%smanifest-%s.txt", tag ? "tag" : "",
		 bag_algs[alg]);
	mf = find(p, name);
	if (!mf || !mf->data.data) {
		bad(p, name, "missing");
		return;
	}
	for (line = mf->data.data; line < mf->data.data + mf->data.len;
	     line = end + 1) {
		char path[1024];
		const char *sp = memchr(line, ' ', mf->data.len -
				       (size_t)(line - mf->data.data));
		struct member *m;

		end = memchr(line, '\n', mf->data.len -
			     (size_t)(line - mf->data.data));
		if (!end || !sp || sp + 2 > end || sp[1] != ' ') {
			bad(p, name, "has a malformed line");
			return;
		}
		snprintf(path, sizeof(path), "%.*s", (int)(end - sp - 2), sp + 2);
		m = find(p, path);
		if (!m) {
			bad(p, path, "listed in %s but missing", name);
			continue;
		}
		m->listed[slot] = 1;
		if ((size_t)(sp - line) != strlen(m->hex[alg]) ||
		    memcmp(line, m->hex[alg], (size_t)(sp - line)))
			bad(p, path, "%s does not match %s", bag_algs[alg], name);
	}
	for (size_t i = 0; i < p->n; i++) {
		int payload = !strncmp(p->m[i].path, "data/", 5);

		if (!p->m[i].listed[slot] && payload == !tag &&
		    strncmp(p->m[i].path, "tagmanifest-", 12))
			bad(p, p->m[i].path, "not listed in %s", name);
	}
}

static void check_bag(struct pkg *p)
{
	struct member *m = find(p, "bagit.txt");
	uint64_t bytes = 0, files = 0;
	char oxum[64];

	if (!m || !m->data.data || strncmp(m->data.data,
					   "BagIt-Version: 1.0\n", 19))
		bad(p, "bagit.txt", "not a BagIt 1.0 declaration");
	for (size_t a = 0; a < BAG_NALGS; a++) {
		check_manifest(p, a, 0);
		check_manifest(p, a, 1);
	}
	for (size_t i = 0; i < p->n; i++)
		if (!strncmp(p->m[i].path, "data/", 5)) {
			bytes += p->m[i].size;
			files++;
		}
	snprintf(oxum, sizeof(oxum), "\nPayload-Oxum: %" PRIu64 ".%" PRIu64
		 "\n", bytes, files);
	m = find(p, "bag-info.txt");
	if (!m || !m->data.data ||
	    !memmem(m->data.data, m->data.len, oxum, strlen(oxum)))
		bad(p, "bag-info.txt", "Payload-Oxum is not %" PRIu64 ".%" PRIu64,
		    bytes, files);
}

/* --- the log ------------------------------------------------------------ */

static json_t *member_json(struct pkg *p, const char *path)
{
	struct member *m = find(p, path);

	if (!m || !m->data.data)
		return NULL;
	return json_loadb(m->data.data, m->data.len, 0, NULL);
}

static int check_checkpoint(struct pkg *p, const json_t *pkg,
			    const char *key_pem, struct checkpoint *cp)
{
	const char *file = jstr(pkg, "checkpoint");
	struct member *m = find(p, file);
	struct note_key keys[2] = { 0 };
	json_t *list = member_json(p, jstr(pkg, "log_keys")), *k;
	struct error err = { 0 };
	size_t n = 0, i;
	int rc;

	if (!m || !m->data.data) {
		bad(p, file[0] ? file : "data/package.json",
		    "the checkpoint is missing");
		json_decref(list);
		return -1;
	}
	if (key_pem) {
		keys[0].name = jstr(pkg, "origin");
		if (key_load_public_pem(key_pem, strlen(key_pem), &keys[0].key,
					&err) == 0)
			n = 1;
	} else {
		json_array_foreach(list, i, k) {
			uint8_t raw[65];
			const char *b64 = jstr(k, "raw");
			long len = base64_decode(b64, strlen(b64), raw,
						 sizeof(raw));

			if (i >= 2 || len <= 0 ||
			    key_load_public_raw(strcmp(jstr(k, "type"), "sm2")
							? KEY_ED25519 : KEY_SM2,
						raw, (size_t)len, &keys[n].key,
						&err))
				continue;
			keys[n++].name = jstr(k, "name");
		}
	}
	if (n == 0)
		bad(p, key_pem ? "--key" : "data/log/keys.json",
		    "no usable log key%s%s", err.msg[0] ? ": " : "", err.msg);
	rc = n ? checkpoint_verify(m->data.data, m->data.len, keys, n, cp,
				   &err)
	       : checkpoint_parse(m->data.data, m->data.len, cp, NULL, &err);
	if (rc)
		bad(p, file, "%s", err.msg);
	for (i = 0; i < n; i++)
		key_free(keys[i].key);
	json_decref(list);
	return rc;
}

static int proof_ok(struct pkg *p, enum hash_alg alg, const char *file,
		    uint64_t seq, const struct member *entry,
		    const struct checkpoint *cp)
{
	json_t *proof = member_json(p, file), *h;
	uint8_t hashes[MERKLE_MAX_PROOF][HASH_LEN], leaf[HASH_LEN];
	size_t n = 0, i;
	int ok;

	json_array_foreach(json_object_get(proof, "hashes"), i, h)
		if (n < MERKLE_MAX_PROOF &&
		    base64_decode(json_string_value(h) ?: "",
				  strlen(json_string_value(h) ?: ""),
				  hashes[n], HASH_LEN) == HASH_LEN)
			n++;
	merkle_leaf_hash(alg, entry->data.data, entry->data.len, leaf);
	ok = proof && n == json_array_size(json_object_get(proof, "hashes")) &&
	     (uint64_t)json_integer_value(json_object_get(proof,
							  "tree_size")) ==
		     cp->size &&
	     merkle_inclusion_verify(alg, seq, cp->size, leaf,
				     (const uint8_t(*)[HASH_LEN])hashes, n,
				     cp->root) == 0;
	json_decref(proof);
	return ok;
}

static void check_staff(struct pkg *p, const json_t *pkg, const char *file,
			const json_t *f)
{
	struct member *km = find(p, jstr(json_object_get(pkg, "staff_keys"),
					 jstr(f, "key")));
	struct buf text = BUF_INIT_MAX(4096);
	uint8_t der[SM2_SIG_DER_MAX + 8], raw[SIG_MAX];
	struct key *k = NULL;
	struct error err = { 0 };
	const char *b64 = jstr(f, "signature");
	long n = base64_decode(b64, strlen(b64), der, sizeof(der));

	if (!km || !km->data.data ||
	    key_load_public_pem(km->data.data, km->data.len, &k, &err)) {
		bad(p, file, "the staff key %s is not in the package",
		    jstr(f, "key"));
		return;
	}
	staff_statement(jstr(pkg, "origin"), (uint64_t)json_integer_value(
				json_object_get(f, "record")),
			jstr(f, "role"), jstr(f, "user"), jstr(f, "commitment"),
			&text);
	if (n <= 0 || sm2_sig_raw(der, (size_t)n, raw) ||
	    key_verify(k, text.data, text.len, raw, SIG_MAX))
		bad(p, file, "the staff signature does not verify");
	key_free(k);
	buf_release(&text);
}

/*
 * An issued document: the seal's SM2 signature (raw r||s, base64) over
 * its statement (src/documents/seal.c), whose last line is the SM3 of
 * the PDF attached to the entry.
 */
static void check_document(struct pkg *p, const json_t *pkg,
			   const char *file, const json_t *f,
			   const json_t *entry)
{
	struct member *km = find(p, jstr(pkg, "seal_key")), *pdf;
	const char *stmt = jstr(f, "statement"), *b64 = jstr(f, "signature");
	const char *hash = jstr(json_object_get(f, "pdf"), "hash");
	const char *att = strchr(jstr(json_array_get(json_object_get(
					 entry, "attachments"), 0), "hash"),
				 ':');
	uint8_t raw[SIG_MAX + 8];
	struct key *k = NULL;
	struct error err = { 0 };
	char path[160], last[HASH_TEXT_MAX + 2];
	long n = base64_decode(b64, strlen(b64), raw, sizeof(raw));

	if (!km || !km->data.data ||
	    key_load_public_pem(km->data.data, km->data.len, &k, &err)) {
		bad(p, file, "the seal key is not in the package");
		return;
	}
	if (n != SIG_MAX || key_verify(k, stmt, strlen(stmt), raw, SIG_MAX))
		bad(p, file, "the seal's signature of the document does not "
		    "verify");
	snprintf(last, sizeof(last), "\n%s\n", hash);
	if (strlen(stmt) < strlen(last) ||
	    strcmp(stmt + strlen(stmt) - strlen(last), last))
		bad(p, file, "the document's statement names another PDF");
	snprintf(path, sizeof(path), "data/files/%s", att ? att + 1 : "");
	pdf = find(p, path);
	if (pdf && (strncmp(hash, "sm3:", 4) || strcmp(pdf->hex[2], hash + 4)))
		bad(p, path, "is not the PDF that %s seals", file);
	snprintf(path, sizeof(path), "data/records/%" JSON_INTEGER_FORMAT
		 "/record.pdf", json_integer_value(json_object_get(f,
								   "source")));
	pdf = find(p, path);
	if (pdf) {
		struct issued *is = NULL, *grown;
		int64_t source = json_integer_value(json_object_get(f,
								    "source"));

		for (size_t i = 0; i < p->nissued; i++)
			if (p->issued[i].source == source)
				is = &p->issued[i];
		if (!is && (grown = realloc(p->issued, (p->nissued + 1) *
						  sizeof(*grown)))) {
			p->issued = grown;
			is = &p->issued[p->nissued++];
			is->source = source;
			is->matched = 0;
		}
		if (is && !strncmp(hash, "sm3:", 4) &&
		    !strcmp(pdf->hex[2], hash + 4))
			is->matched = 1;
	}
	key_free(k);
}

static void check_attachments(struct pkg *p, const json_t *pkg,
			      enum hash_alg alg, const char *file,
			      const json_t *entry)
{
	const json_t *att, *row;
	size_t i;

	json_array_foreach(json_object_get(entry, "attachments"), i, att) {
		const char *hex = strchr(jstr(att, "hash"), ':');
		char path[160];
		struct member *m;

		if (!hex)
			continue;
		snprintf(path, sizeof(path), "data/files/%s", hex + 1);
		m = find(p, path);
		row = json_object_get(json_object_get(pkg, "files"), path);
		if (!m && !json_is_true(json_object_get(row, "absent")) &&
		    !json_object_get(row, "wrapped"))
			bad(p, path, "missing (attached to %s)", file);
		else if (m && strcmp(m->hex[alg == HASH_SM3 ? 2 : 0], hex + 1))
			bad(p, path, "is not the file %s names", file);
	}
}

/* The package under data/original/ is the one its seal entry attached. */
static void check_original(struct pkg *p, const json_t *pkg,
			   enum hash_alg alg, const char *file,
			   const json_t *entry)
{
	const json_t *o = json_object_get(pkg, "original");
	const char *hex = strchr(jstr(json_array_get(json_object_get(
					entry, "attachments"), 0), "hash"), ':');
	struct member *m = find(p, jstr(o, "path"));
	char seq[24];

	snprintf(seq, sizeof(seq), "%" JSON_INTEGER_FORMAT,
		 json_integer_value(json_object_get(entry, "seq")));
	if (!o || strcmp(jstr(o, "seal"), seq))
		return;
	if (!m)
		bad(p, jstr(o, "path"), "missing (the package of %s)", file);
	else if (!hex || strcmp(m->hex[alg == HASH_SM3 ? 2 : 0], hex + 1))
		bad(p, jstr(o, "path"), "is not the package %s sealed", file);
}

/*
 * Checks one record folder, data/records/SEQ/. package.json is not signed,
 * so the entry, proved in the checkpoint's tree, decides whether content
 * must be there, whatever package.json lists.
 */
static void check_record(struct pkg *p, const json_t *pkg, enum hash_alg alg,
			 uint64_t seq, const struct checkpoint *cp)
{
	char file[64], cpath[64], spath[64], xpath[64], ppath[64];
	struct member *em, *cm, *sm;
	json_t *entry, *fields = NULL;
	char commit[HASH_TEXT_MAX];
	uint8_t salt[CONTENT_SALT_LEN];

	snprintf(file, sizeof(file), "data/records/%" PRIu64 "/entry.json",
		 seq);
	snprintf(cpath, sizeof(cpath), "data/records/%" PRIu64
		 "/content.json", seq);
	snprintf(spath, sizeof(spath), "data/records/%" PRIu64 "/salt.txt",
		 seq);
	snprintf(xpath, sizeof(xpath), "data/records/%" PRIu64
		 "/expunged.txt", seq);
	snprintf(ppath, sizeof(ppath), "data/records/%" PRIu64 "/proof.json",
		 seq);
	em = find(p, file);
	if (!em || !em->data.data) {
		bad(p, file, "missing");
		return;
	}
	entry = json_loadb(em->data.data, em->data.len, 0, NULL);
	if ((uint64_t)json_integer_value(json_object_get(entry, "seq")) != seq)
		bad(p, file, "is not entry %" PRIu64, seq);
	cm = find(p, cpath);
	sm = find(p, spath);
	if (json_is_string(json_object_get(entry, "content")) && !cm &&
	    find(p, xpath)) {
		size_t i;

		for (i = 0; i < p->nexpunged && p->expunged[i] != (int64_t)seq;
		     i++)
			;
		if (i == p->nexpunged)
			bad(p, xpath, "no expunge entry in the package names "
			    "entry %" PRIu64, seq);
	} else if (json_is_string(json_object_get(entry, "content"))) {
		int ok = cm && sm && cm->data.data && sm->data.data &&
			 sm->data.len >= 2 * CONTENT_SALT_LEN;

		for (size_t i = 0; ok && i < CONTENT_SALT_LEN; i++) {
			unsigned v;

			ok = sscanf(sm->data.data + 2 * i, "%2x", &v) == 1;
			salt[i] = (uint8_t)v;
		}
		if (ok) {
			content_commitment(alg, salt, CONTENT_SALT_LEN,
					   cm->data.data, cm->data.len, commit);
			ok = !strcmp(commit, jstr(entry, "content"));
		}
		if (!cm)
			bad(p, cpath, "missing (committed in %s)", file);
		else if (!ok)
			bad(p, cpath, "does not match the commitment of %s",
			    file);
		else
			fields = json_loadb(cm->data.data, cm->data.len, 0,
					    NULL);
	} else if (cm) {
		bad(p, cpath, "%s commits to no content", file);
	}
	if (!proof_ok(p, alg, ppath, seq, em, cp))
		bad(p, ppath, "does not prove %s in the checkpoint's tree",
		    file);
	check_attachments(p, pkg, alg, file, entry);
	check_original(p, pkg, alg, file, entry);
	if (fields && !strcmp(jstr(entry, "kind"), "signature"))
		check_staff(p, pkg, file, fields);
	if (fields && !strcmp(jstr(entry, "kind"), "document-issue"))
		check_document(p, pkg, file, fields, entry);
	json_decref(fields);
	json_decref(entry);
}

/* Collects the entries whose content an expunge entry destroyed. */
static void find_expunged(struct pkg *p)
{
	p->expunged = calloc(p->n + 1, sizeof(*p->expunged));
	for (size_t i = 0; p->expunged && i < p->n; i++) {
		const char *slash = strrchr(p->m[i].path, '/');
		json_t *e;

		if (strncmp(p->m[i].path, "data/records/", 13) || !slash ||
		    strcmp(slash, "/entry.json"))
			continue;
		e = member_json(p, p->m[i].path);
		if (!strcmp(jstr(e, "kind"), "expunge") &&
		    json_array_size(json_object_get(e, "attachments")) == 0 &&
		    json_is_integer(json_object_get(e, "supersedes")))
			p->expunged[p->nexpunged++] = json_integer_value(
				json_object_get(e, "supersedes"));
		json_decref(e);
	}
}

/* The seq of a member under data/records/SEQ/, or -1. */
static int64_t record_seq(const char *path)
{
	char *end;
	long long v;

	if (strncmp(path, "data/records/", 13) || !isdigit((unsigned char)
							   path[13]))
		return -1;
	v = strtoll(path + 13, &end, 10);
	return *end == '/' ? (int64_t)v : -1;
}

static int cmp_seq(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/*
 * The seqs of the record folders present and of package.json's records,
 * sorted, each once; a folder package.json does not list is a problem.
 */
static size_t record_seqs(struct pkg *p, const json_t *pkg, int64_t **out)
{
	const json_t *recs = json_object_get(pkg, "records"), *rec;
	size_t n = 0, k = 0, i;
	int64_t *v = calloc(p->n + json_array_size(recs) + 1, sizeof(*v));

	if (!v)
		return 0;
	for (i = 0; i < p->n; i++)
		if (record_seq(p->m[i].path) >= 0)
			v[n++] = record_seq(p->m[i].path);
	json_array_foreach(recs, i, rec)
		v[n++] = json_integer_value(json_object_get(rec, "seq"));
	qsort(v, n, sizeof(*v), cmp_seq);
	for (i = 0; i < n; i++)
		if (i == 0 || v[i] != v[k - 1])
			v[k++] = v[i];
	for (i = 0; i < k; i++) {
		int listed = 0;
		size_t j;

		json_array_foreach(recs, j, rec)
			listed |= json_integer_value(json_object_get(
					  rec, "seq")) == v[i];
		if (!listed) {
			char dir[48];

			snprintf(dir, sizeof(dir), "data/records/%" PRId64 "/",
				 v[i]);
			bad(p, dir, "not listed in data/package.json");
		}
	}
	*out = v;
	return k;
}

/* --- eep.xml and the report --------------------------------------------- */

/* Whether the check report states that the bureau had no seal key. */
static int report_unsigned(struct pkg *p)
{
	json_t *rep = member_json(p, "data/check-report.json"), *v;
	size_t i;
	int yes = 0;

	json_array_foreach(json_object_get(json_object_get(json_object_get(
			rep, "checks"), "authenticity"), "problems"), i, v)
		yes |= strstr(json_string_value(v) ?: "", "no seal key") != NULL;
	json_decref(rep);
	return yes;
}

static xmlNodePtr child(xmlNodePtr n, const char *name)
{
	for (n = n ? n->children : NULL; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    !strcmp((const char *)n->name, name))
			return n;
	return NULL;
}

/* The text of a child element, "" when there is none; free with xmlFree. */
static char *child_text(xmlNodePtr n, const char *name)
{
	xmlChar *t = xmlNodeGetContent(child(n, name));

	return t ? (char *)t : (char *)xmlStrdup((const xmlChar *)"");
}

/* Collects the 记录号 of every 文件实体块 under n. */
static void named_seqs(xmlNodePtr n, int64_t *v, size_t *k, size_t cap)
{
	for (n = n ? n->children : NULL; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (!strcmp((const char *)n->name, "文件实体块")) {
			char *t = child_text(child(n, "元数据"), "记录号");

			if (*k < cap && isdigit((unsigned char)t[0]))
				v[(*k)++] = strtoll(t, NULL, 10);
			xmlFree(t);
		} else {
			named_seqs(n, v, k, cap);
		}
	}
}

/* Checks that the records the signed XML names and those present match. */
static void check_eep_records(struct pkg *p, xmlNodePtr so)
{
	size_t cap = p->n + 1, k = 0;
	int64_t *named = calloc(cap, sizeof(*named));
	char path[64];

	if (!named)
		return;
	named_seqs(so, named, &k, cap);
	for (size_t i = 0; i < k; i++) {
		snprintf(path, sizeof(path), "data/records/%" PRId64
			 "/entry.json", named[i]);
		if (!find(p, path)) {
			snprintf(path, sizeof(path), "data/records/%" PRId64 "/",
				 named[i]);
			bad(p, path, "missing (named in data/eep.xml)");
		}
	}
	for (size_t i = 0; i < p->n; i++) {
		int64_t seq = record_seq(p->m[i].path);
		size_t j;

		if (seq < 0 || strcmp(strchr(p->m[i].path + 13, '/'),
				      "/entry.json"))
			continue;
		for (j = 0; j < k && named[j] != seq; j++)
			;
		if (j == k) {
			snprintf(path, sizeof(path), "data/records/%" PRId64 "/",
				 seq);
			bad(p, path, "not named in data/eep.xml");
		}
	}
	free(named);
}

/* Checks that an amended package contains the original the signed XML names. */
static int verify(const char *path, const void *mem, size_t len,
		  const char *key_pem, archive_problem_fn problem, void *ctx,
		  struct error *err);

/* A package inside another, whose problems are reported under its name. */
struct inner {
	struct pkg *outer;
	const char *name;
};

static void inner_problem(void *ctx, const char *file, const char *what)
{
	struct inner *in = ctx;

	bad(in->outer, in->name, "%s: %s", file, what);
}

static void check_eep_original(struct pkg *p, const json_t *pkg,
			       xmlNodePtr so)
{
	char *type = child_text(so, "封装包类型"), *name = NULL, *hash = NULL;
	xmlNodePtr o = child(child(child(so, "封装内容"), "修改封装内容"),
			     "原封装包");
	struct member *m;

	if (strcmp(type, "修改型"))
		goto out;
	name = child_text(o, "文件名");
	hash = child_text(o, "哈希值");
	if (strncmp(name, "data/original/", 14)) {
		bad(p, "data/eep.xml", "an amended package that names no "
		    "original");
		goto out;
	}
	m = find(p, name);
	if (!m) {
		bad(p, name, "missing (the original of this amended package)");
	} else if (strcmp(m->hex[0], hash)) {
		bad(p, name, "is not the original data/eep.xml names");
	} else if (m->data.data) {
		struct inner in = { p, name };
		struct error err = { 0 };

		if (verify(name, m->data.data, m->data.len, p->key_pem,
			   inner_problem, &in, &err) < 0)
			bad(p, name, "cannot be read: %s", err.msg);
	} else {
		p->problem(p->ctx, name, "warning: larger than 64 MiB, "
			   "so only its hash was checked");
	}
	if (strcmp(jstr(json_object_get(pkg, "original"), "path"), name))
		bad(p, "data/package.json", "its original is not %s", name);
out:
	xmlFree(type);
	xmlFree(name);
	xmlFree(hash);
}

/*
 * Requires the seal's signature over 被签名对象 whenever the package
 * contains a seal key, the XML has a 电子签名块 or the check report does
 * not state that the bureau had no seal key. An unsigned package gets a
 * warning, or fails when --key is given.
 */
static void check_eep(struct pkg *p, const json_t *pkg, const char *key_pem)
{
	static const char start[] = "<被签名对象", end[] = "</被签名对象>",
			  res[] = "<签名结果>", blk[] = "<电子签名块";
	struct member *m = find(p, "data/eep.xml"),
		      *km = find(p, jstr(pkg, "seal_key"));
	const char *s, *e, *r;
	uint8_t der[SM2_SIG_DER_MAX + 8], raw[SIG_MAX];
	struct key *k = NULL;
	struct error err = { 0 };
	xmlDocPtr doc;
	long n;

	if (!km)
		km = find(p, "data/keys/seal.pem");
	if (!m || !m->data.data) {
		bad(p, "data/eep.xml", "missing");
		return;
	}
	s = memmem(m->data.data, m->data.len, start, sizeof(start) - 1);
	e = s ? memmem(s, m->data.len - (size_t)(s - m->data.data), end,
		       sizeof(end) - 1) : NULL;
	r = memmem(m->data.data, m->data.len, res, sizeof(res) - 1);
	if (!e) {
		bad(p, "data/eep.xml", "has no 被签名对象");
		return;
	}
	if (km && r) {
		r += sizeof(res) - 1;
		n = base64_decode(r, strcspn(r, "<"), der, sizeof(der));
		if (!km->data.data ||
		    key_load_public_pem(km->data.data, km->data.len, &k,
					&err) ||
		    n <= 0 || sm2_sig_raw(der, (size_t)n, raw) ||
		    key_verify(k, s, (size_t)(e - s) + sizeof(end) - 1, raw,
			       SIG_MAX))
			bad(p, "data/eep.xml", "the seal's signature of "
			    "被签名对象 does not verify");
		key_free(k);
	} else if (km || r ||
		   memmem(m->data.data, m->data.len, blk, sizeof(blk) - 1) ||
		   !report_unsigned(p)) {
		bad(p, "data/eep.xml", "the seal's signature of 被签名对象 is "
		    "missing");
	} else if (key_pem) {
		bad(p, "data/eep.xml", "is not signed with the bureau seal");
	} else {
		p->problem(p->ctx, "data/eep.xml", "warning: not signed with "
			   "the bureau seal (the check report says the bureau "
			   "had no seal key)");
	}
	doc = xmlReadMemory(m->data.data, (int)m->data.len, "eep.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR |
				    XML_PARSE_NOWARNING);
	if (!doc) {
		bad(p, "data/eep.xml", "is not well-formed XML");
		return;
	}
	check_eep_records(p, child(xmlDocGetRootElement(doc), "被签名对象"));
	check_eep_original(p, pkg, child(xmlDocGetRootElement(doc),
					 "被签名对象"));
	xmlFreeDoc(doc);
}

static void check_report(struct pkg *p, const json_t *pkg)
{
	json_t *rep = member_json(p, "data/check-report.json"), *c;
	const char *name;
	int pass = 1;

	json_object_foreach(json_object_get(rep, "checks"), name, c)
		pass &= !strcmp(jstr(c, "result"), "pass");
	if (!rep || json_object_size(json_object_get(rep, "checks")) != 4 ||
	    strcmp(jstr(rep, "result"), pass ? "pass" : "fail"))
		bad(p, "data/check-report.json", "its result disagrees with "
		    "its checks");
	else if ((size_t)json_integer_value(json_object_get(json_object_get(
			 rep, "counts"), "entries")) !=
		 json_array_size(json_object_get(pkg, "records")))
		bad(p, "data/check-report.json", "counts another number of "
		    "entries");
	json_decref(rep);
}

int archive_verify(const char *path, const char *key_pem,
		   archive_problem_fn problem, void *ctx, struct error *err)
{
	return verify(path, NULL, 0, key_pem, problem, ctx, err);
}

static int verify(const char *path, const void *mem, size_t len,
		  const char *key_pem, archive_problem_fn problem, void *ctx,
		  struct error *err)
{
	struct pkg p = { .problem = problem, .ctx = ctx, .key_pem = key_pem };
	struct checkpoint cp;
	enum hash_alg alg = HASH_SM3;
	json_t *pkg = NULL;
	int64_t *seqs = NULL;
	size_t i, nseqs;
	int rc = read_package(&p, path, mem, len, err);

	if (rc)
		goto out;
	check_bag(&p);
	pkg = member_json(&p, "data/package.json");
	if (!pkg || hash_alg_parse(jstr(pkg, "hash"), &alg)) {
		bad(&p, "data/package.json", "missing or not readable");
		goto out;
	}
	nseqs = record_seqs(&p, pkg, &seqs);
	find_expunged(&p);
	if (check_checkpoint(&p, pkg, key_pem, &cp) == 0)
		for (i = 0; i < nseqs; i++)
			check_record(&p, pkg, alg, (uint64_t)seqs[i], &cp);
	free(seqs);
	for (i = 0; i < p.nissued; i++) {
		char pdf[64];

		snprintf(pdf, sizeof(pdf), "data/records/%" PRId64
			 "/record.pdf", p.issued[i].source);
		if (!p.issued[i].matched)
			bad(&p, pdf, "is not the PDF the seal signed for this "
			    "record");
	}
	check_eep(&p, pkg, key_pem);
	check_report(&p, pkg);
out:
	json_decref(pkg);
	for (i = 0; i < p.n; i++) {
		free(p.m[i].path);
		buf_release(&p.m[i].data);
	}
	free(p.m);
	free(p.issued);
	free(p.expunged);
	return rc ? rc : p.count;
}
