/*
 * Sealing a case file (see archive.h and docs/archive.md).
 *
 * One pass over the case's entries writes every member of the bag while
 * it is collected: entry, content, salt, proof, rendering and files. The
 * package description (data/package.json), the EEP, the catalogue, the
 * closing note and the DA/T 70 report follow, built from what the pass
 * saw, then the manifests. The finished file is stored as the attachment
 * of the seal entry, so that an amended package can wrap it and a second
 * archive of an unchanged case gives the same bytes.
 */
#include "common/common.h"

#include <fcntl.h>
#include <unistd.h>

#include "access/sign.h"
#include "archive/archive.h"
#include "common/jcs.h"
#include "common/log.h"
#include "content/content.h"
#include "internal.h"
#include "ledger/checkpoint.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "store/projection.h"

/* Everything a seal collects on its way. */
struct sealing {
	struct access *a;
	struct documents *d;
	const struct archive_req *req;
	struct ledger *l;
	enum hash_alg alg;
	json_t *shown;          /* cases_show of the case */
	json_t *seqs;           /* every entry of the case, in order */
	json_t *docs;           /* documents_list, or [] */
	struct checkpoint cp;
	struct buf note;
	struct bag *bag;
	json_t *records;        /* package.json "records" */
	json_t *files;          /* package.json "files" */
	json_t *staff_keys;     /* key id -> file */
	json_t *problems[4];    /* DA/T 70: authenticity ... security */
	json_t *original;       /* the package an amended one wraps */
	int64_t now_ms;
	int pages, av_files;
};

enum { AUTH, INTEG, USAB, SECUR };
static const char *const check_names[4] = {
	"authenticity", "integrity", "usability", "security",
};

static void problem(struct sealing *sg, int check, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void problem(struct sealing *sg, int check, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_array_append_new(sg->problems[check], json_string(text));
}

static const char *jstr(const json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s ? s : "";
}

static json_t *b64_json(const uint8_t *p, size_t n)
{
	struct buf b = BUF_INIT_MAX(4096);
	json_t *s;

	base64_encode(p, n, &b);
	s = json_string(b.data ? b.data : "");
	buf_release(&b);
	return s;
}

static int add_json(struct sealing *sg, const char *path, const json_t *v,
		    struct error *err)
{
	char *text = json_dumps(v, JSON_INDENT(1) | JSON_SORT_KEYS);
	int rc;

	if (!text)
		return error_set(err, CT_ENOMEM, "out of memory");
	rc = bag_add(sg->bag, path, text, strlen(text), err);
	free(text);
	return rc;
}

/* --- bureau data -------------------------------------------------------- */

/* Reads data_dir/bureau.json, or {} when there is none yet. */
static json_t *bureau_load(const char *data_dir)
{
	char path[PATH_MAX];
	json_t *b;

	snprintf(path, sizeof(path), "%s/bureau.json", data_dir);
	b = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
	return json_is_object(b) ? b : (json_decref(b), json_object());
}

/* DA/T 13 retention: "permanent" Y, "30y" D30, "10y" D10. */
static void retention(const char *text, char code[8], const char **name)
{
	if (!strcmp(text, "permanent") || !strcmp(text, "Y")) {
		snprintf(code, 8, "Y");
		*name = "永久";
	} else if (!strcmp(text, "10y") || !strcmp(text, "D10")) {
		snprintf(code, 8, "D10");
		*name = "定期10年";
	} else {
		snprintf(code, 8, "D30");
		*name = "定期30年";
	}
}

static const json_t *matter_of(struct sealing *sg)
{
	const char *code = jstr(json_object_get(sg->shown, "matter"), "code");
	const json_t *m;
	size_t i;

	json_array_foreach(json_object_get(cases_matters(access_cases(sg->a)),
					   "matters"), i, m)
		if (!strcmp(jstr(m, "code"), code))
			return m;
	return NULL;
}

/* The display name of user name, else the login itself. */
static json_t *display_name(struct sealing *sg, const char *name)
{
	struct error err = { 0 };
	json_t *u = NULL, *out;
	const char *d;

	if (!name[0] ||
	    cases_user_get(access_cases(sg->a), name, &u, &err) != 0) {
		error_clear(&err);
		return json_string(name);
	}
	d = jstr(u, "display_name");
	out = json_string(d[0] ? d : name);
	json_decref(u);
	return out;
}

/* --- the case's entries ------------------------------------------------- */

static int collect_seq(void *ctx, uint64_t seq)
{
	return json_array_append_new(ctx, json_integer((json_int_t)seq));
}

static int case_seqs(struct sealing *sg, struct error *err)
{
	struct store *s;
	int rc = ledger_read_begin(sg->l, &s, err);

	if (rc)
		return rc;
	sg->seqs = json_array();
	rc = store_case_records(s, sg->req->case_id, collect_seq, sg->seqs,
				err);
	ledger_read_end(sg->l, s);
	return rc;
}

static int entry_json(struct ledger *l, uint64_t seq, struct buf *body,
		      json_t **out, struct error *err)
{
	int rc;

	buf_reset(body);
	rc = ledger_entry(l, seq, body, err);
	if (rc)
		return rc;
	*out = json_loadb(body->data, body->len, 0, NULL);
	return *out ? 0 : error_set(err, CT_ECORRUPT, "entry %" PRIu64 " is "
				    "not JSON", seq);
}

/*
 * The last seal of the case and whether an entry that changes the case
 * file follows it (reads of the access log do not).
 */
static int last_seal(struct sealing *sg, int64_t *seal, int *changed,
		     struct error *err)
{
	struct buf body = BUF_INIT_MAX(LEDGER_ENTRY_MAX + 1);
	json_t *v, *e;
	size_t i;
	int rc = 0;

	*seal = -1;
	*changed = 1;
	json_array_foreach(sg->seqs, i, v) {
		const char *kind;

		rc = entry_json(sg->l, (uint64_t)json_integer_value(v), &body,
				&e, err);
		if (rc)
			break;
		kind = jstr(e, "kind");
		if (!strcmp(kind, KIND_CASE_FILE_SEAL)) {
			*seal = json_integer_value(v);
			*changed = 0;
		} else if (strcmp(kind, "access")) {
			*changed = 1;
		}
		json_decref(e);
	}
	buf_release(&body);
	return rc;
}

/* --- one entry ---------------------------------------------------------- */

static int add_content(struct sealing *sg, uint64_t seq, const char *dir,
		       const char *commitment, json_t *rec, json_t **fields,
		       struct error *err)
{
	struct content c;
	struct store *s;
	char path[128], salt[CONTENT_SALT_LEN * 2 + 2];
	int rc = ledger_read_begin(sg->l, &s, err);

	if (rc)
		return rc;
	content_init(&c);
	rc = content_get(s, sg->alg, seq, commitment, &c, err);
	ledger_read_end(sg->l, s);
	if (rc == CT_ENOTFOUND) {
		static const char note[] = "The content of this entry was "
			"destroyed by an approved expunge; the entry keeps "
			"its commitment.\n";

		error_clear(err);
		snprintf(path, sizeof(path), "%s/expunged.txt", dir);
		json_object_set_new(rec, "content", json_null());
		content_release(&c);
		return bag_add(sg->bag, path, note, sizeof(note) - 1, err);
	}
	if (rc) {
		problem(sg, AUTH, "entry %" PRIu64 ": %s", seq, err->msg);
		error_clear(err);
		content_release(&c);
		json_object_set_new(rec, "content", json_null());
		return 0;
	}
	*fields = json_loadb(c.fields.data, c.fields.len, 0, NULL);
	snprintf(path, sizeof(path), "%s/content.json", dir);
	rc = bag_add(sg->bag, path, c.fields.data, c.fields.len, err);
	json_object_set_new(rec, "content", json_string(path));
	bag_hex(c.salt, CONTENT_SALT_LEN, salt);
	salt[CONTENT_SALT_LEN * 2] = '\n';
	salt[CONTENT_SALT_LEN * 2 + 1] = '\0';
	snprintf(path, sizeof(path), "%s/salt.txt", dir);
	if (rc == 0)
		rc = bag_add(sg->bag, path, salt, strlen(salt), err);
	json_object_set_new(rec, "salt", json_string(path));
	content_release(&c);
	return rc;
}

static int add_proof(struct sealing *sg, uint64_t seq, const char *dir,
		     const struct buf *entry, json_t *rec, struct error *err)
{
	uint8_t proof[MERKLE_MAX_PROOF][HASH_LEN], leaf[HASH_LEN];
	json_t *hashes = json_array(), *o;
	char path[128];
	uint64_t size;
	size_t n;
	int rc;

	rc = ledger_inclusion(sg->l, seq, sg->cp.size, proof, &n, &size, err);
	if (rc) {
		json_decref(hashes);
		return rc;
	}
	for (size_t i = 0; i < n; i++)
		json_array_append_new(hashes, b64_json(proof[i], HASH_LEN));
	merkle_leaf_hash(sg->alg, entry->data, entry->len, leaf);
	if (merkle_inclusion_verify(sg->alg, seq, size, leaf,
				    (const uint8_t(*)[HASH_LEN])proof, n,
				    sg->cp.root))
		problem(sg, AUTH, "entry %" PRIu64 " is not in the checkpoint's "
			"tree", seq);
	o = json_pack("{s:I, s:I, s:o, s:o}", "leaf_index", (json_int_t)seq,
		      "tree_size", (json_int_t)size, "hashes", hashes,
		      "leaf_hash", b64_json(leaf, HASH_LEN));
	snprintf(path, sizeof(path), "%s/proof.json", dir);
	rc = add_json(sg, path, o, err);
	json_decref(o);
	json_object_set_new(rec, "proof", json_string(path));
	return rc;
}

/* Adds each attached file once, under data/files/<store hash hex>. */
static int add_attachments(struct sealing *sg, const json_t *entry,
			   json_t *rec, struct error *err)
{
	json_t *list = json_array(), *att;
	size_t i;
	int rc = 0;

	json_array_foreach(json_object_get(entry, "attachments"), i, att) {
		const char *hash = jstr(att, "hash"), *hex = strchr(hash, ':');
		char src[PATH_MAX], path[160];

		if (!hex || strlen(hex + 1) != 64)
			continue;
		snprintf(path, sizeof(path), "data/files/%s", hex + 1);
		json_array_append_new(list, json_string(path));
		if (json_object_get(sg->files, path))
			continue;
		/* An earlier package is inside the one under data/original/. */
		if (!strcmp(jstr(entry, "kind"), KIND_CASE_FILE_SEAL)) {
			json_object_set_new(sg->files, path, json_pack(
				"{s:s, s:s}", "hash", hash, "wrapped",
				"data/original/"));
			continue;
		}
		rc = ledger_blob_path(sg->l, hash, src, sizeof(src), err);
		if (rc)
			break;
		if (access(src, R_OK) != 0) {
			json_object_set_new(sg->files, path, json_pack(
				"{s:s, s:b}", "hash", hash, "absent", 1));
			continue;
		}
		rc = bag_add_file(sg->bag, path, src, err);
		if (rc)
			break;
		json_object_set_new(sg->files, path, json_pack(
			"{s:s, s:s, s:I}", "hash", hash, "type",
			jstr(att, "type"), "size",
			json_integer_value(json_object_get(att, "size"))));
		/* An ingest's first attachment is the file, the next its
		 * thumbnail. */
		if (!strcmp(jstr(entry, "kind"), "media-ingest")
			    ? i == 0
			    : !strncmp(jstr(att, "type"), "video/", 6) ||
				      !strncmp(jstr(att, "type"), "audio/", 6))
			sg->av_files++;
	}
	json_object_set_new(rec, "files", list);
	return rc;
}

/* Counts the pages of a PDF ("/Type /Page" not followed by "s"). */
static int pdf_pages(const struct buf *pdf)
{
	const char *p = pdf->data, *end = pdf->data + pdf->len;
	int n = 0;

	while (p && (p = memmem(p, (size_t)(end - p), "/Type", 5))) {
		p += 5;
		while (p < end && (*p == ' ' || *p == '\r' || *p == '\n'))
			p++;
		if (end - p >= 5 && !memcmp(p, "/Page", 5) &&
		    (end - p == 5 || p[5] != 's'))
			n++;
	}
	return n ? n : 1;
}

static int pdf_usable(const struct buf *pdf)
{
	size_t tail = pdf->len < 1024 ? pdf->len : 1024;

	return pdf->len > 8 && !memcmp(pdf->data, "%PDF-", 5) &&
	       memmem(pdf->data + pdf->len - tail, tail, "%%EOF", 5);
}

static int read_file(const char *path, struct buf *out)
{
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t n;
	int rc = 0;

	if (!f)
		return CT_EIO;
	while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = buf_append(out, chunk, n);
	fclose(f);
	return rc;
}

/* The issued document of record seq, else a rendering of it. */
static int add_rendering(struct sealing *sg, uint64_t seq, const char *dir,
			 json_t *rec, struct error *err)
{
	struct buf pdf = BUF_INIT_MAX(256u << 20);
	const json_t *doc = NULL, *it;
	char path[128];
	size_t i;
	int rc = CT_ENOTFOUND;

	json_array_foreach(sg->docs, i, it)
		if ((uint64_t)json_integer_value(json_object_get(it, "source"))
		    == seq)
			doc = it;
	if (doc) {
		char src[PATH_MAX];

		rc = ledger_blob_path(sg->l, jstr(json_object_get(doc, "pdf"),
						  "hash"), src, sizeof(src), err);
		if (rc == 0)
			rc = read_file(src, &pdf);
	} else if (sg->d) {
		rc = documents_render_record(sg->d, sg->req->case_id, seq, &pdf,
					     err);
	}
	if (rc) {
		problem(sg, USAB, "record %" PRIu64 " has no PDF rendering%s%s",
			seq, err->msg[0] ? ": " : "", err->msg);
		error_clear(err);
		buf_release(&pdf);
		return 0;
	}
	if (!pdf_usable(&pdf))
		problem(sg, USAB, "the PDF of record %" PRIu64 " does not parse "
			"(no %%PDF header or %%%%EOF)", seq);
	if (memmem(pdf.data, pdf.len, "/Encrypt", 8))
		problem(sg, SECUR, "the PDF of record %" PRIu64 " is encrypted",
			seq);
	if (memmem(pdf.data, pdf.len, "/JavaScript", 11) ||
	    memmem(pdf.data, pdf.len, "/Launch", 7))
		problem(sg, SECUR, "the PDF of record %" PRIu64 " holds "
			"executable content", seq);
	snprintf(path, sizeof(path), "%s/record.pdf", dir);
	rc = bag_add(sg->bag, path, pdf.data, pdf.len, err);
	json_object_set_new(rec, "pdf", json_string(path));
	json_object_set_new(rec, "pages", json_integer(pdf_pages(&pdf)));
	sg->pages += pdf_pages(&pdf);
	if (doc) {
		json_object_set_new(rec, "document", json_pack(
			"{s:O?, s:O?, s:O?, s:O?}", "number",
			json_object_get(doc, "number"), "signature",
			json_object_get(doc, "signature"), "key",
			json_object_get(doc, "key"), "seq",
			json_object_get(doc, "seq")));
	}
	buf_release(&pdf);
	return rc;
}

/* A signature entry's staff key, written once as data/keys/staff/ID.pem. */
static int add_staff_key(struct sealing *sg, const json_t *fields,
			 struct error *err)
{
	const char *id = jstr(fields, "key");
	json_t *row = NULL;
	char path[200];
	int rc;

	if (!id[0] || strchr(id, '/') || json_object_get(sg->staff_keys, id))
		return 0;
	rc = access_key_get(sg->a, id, &row, err);
	if (rc) {
		problem(sg, AUTH, "staff key %s: %s", id, err->msg);
		error_clear(err);
		return 0;
	}
	snprintf(path, sizeof(path), "data/keys/staff/%s.pem", id);
	rc = bag_add(sg->bag, path, jstr(row, "public"),
		     strlen(jstr(row, "public")), err);
	json_object_set_new(sg->staff_keys, id, json_string(path));
	json_decref(row);
	return rc;
}

/* The record as cases_show renders it, or NULL for an entry of a module
 * above the workflow (signatures, the access log). */
static const json_t *shown_record(struct sealing *sg, uint64_t seq)
{
	const json_t *r;
	size_t i;

	json_array_foreach(json_object_get(sg->shown, "records"), i, r)
		if ((uint64_t)json_integer_value(json_object_get(r, "seq")) ==
		    seq)
			return r;
	return NULL;
}

static int add_entry(struct sealing *sg, uint64_t seq, struct error *err)
{
	struct buf body = BUF_INIT_MAX(LEDGER_ENTRY_MAX + 1);
	json_t *entry = NULL, *fields = NULL, *rec;
	const json_t *shown = shown_record(sg, seq);
	char dir[64], path[128];
	int rc;

	snprintf(dir, sizeof(dir), "data/records/%" PRIu64, seq);
	rc = entry_json(sg->l, seq, &body, &entry, err);
	if (rc)
		goto out;
	/*
	 * An issued document is the rendering of its source record, whose
	 * catalogue item carries it: the issue entry stays in the payload
	 * with its proof but is no item of its own.
	 */
	if (!strcmp(jstr(entry, "kind"), KIND_DOCUMENT_ISSUE))
		shown = NULL;
	rec = json_pack("{s:I, s:s, s:s, s:s}", "seq", (json_int_t)seq,
			"kind", jstr(entry, "kind"), "actor",
			jstr(entry, "actor"), "entry", "");
	json_array_append_new(sg->records, rec);
	json_object_set_new(rec, "actor_name",
			    display_name(sg, jstr(entry, "actor")));
	snprintf(path, sizeof(path), "%s/entry.json", dir);
	json_object_set_new(rec, "entry", json_string(path));
	rc = bag_add(sg->bag, path, body.data, body.len, err);
	if (rc == 0)
		rc = add_content(sg, seq, dir, jstr(entry, "content"), rec,
				 &fields, err);
	if (rc == 0)
		rc = add_proof(sg, seq, dir, &body, rec, err);
	if (rc == 0)
		rc = add_attachments(sg, entry, rec, err);
	if (rc == 0 && shown)
		rc = add_rendering(sg, seq, dir, rec, err);
	if (rc == 0 && !strcmp(jstr(entry, "kind"), "signature"))
		rc = add_staff_key(sg, fields, err);
	if (shown) {
		json_object_set(rec, "title", json_object_get(shown, "name"));
		json_object_set(rec, "happened",
				json_object_get(shown, "happened"));
		if (json_object_get(fields, "number"))
			json_object_set(rec, "number",
					json_object_get(fields, "number"));
	}
	if (fields && !strcmp(jstr(entry, "kind"), "media-ingest") &&
	    json_is_true(json_object_get(json_object_get(fields, "probe"),
					 "unprobeable")))
		problem(sg, USAB, "the file of entry %" PRIu64 " could not be "
			"probed", seq);
out:
	json_decref(entry);
	json_decref(fields);
	buf_release(&body);
	return rc;
}

/* --- keys --------------------------------------------------------------- */

static int add_log_keys(struct sealing *sg, json_t *pkg, struct error *err)
{
	struct note_key keys[2];
	struct buf pem = BUF_INIT_MAX(4096);
	json_t *list = json_array();
	size_t n = 0;
	int rc = ledger_note_keys(sg->l, keys, &n, 0, err);

	if (rc == 0 && checkpoint_verify(sg->note.data, sg->note.len, keys, n,
					 &sg->cp, err)) {
		problem(sg, AUTH, "checkpoint: %s", err->msg);
		error_clear(err);
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		uint8_t raw[65];
		int len = key_public_raw(keys[i].key, raw, sizeof(raw));
		char id[16];

		buf_reset(&pem);
		key_public_pem(keys[i].key, &pem);
		snprintf(id, sizeof(id), "%08x", note_key_id(&keys[i]));
		json_array_append_new(list, json_pack(
			"{s:s, s:s, s:s, s:s, s:o}", "name", keys[i].name,
			"type", key_get_type(keys[i].key) == KEY_SM2 ? "sm2"
								     : "ed25519",
			"key_id", id, "pem", pem.data, "raw",
			b64_json(raw, len > 0 ? (size_t)len : 0)));
	}
	if (rc == 0)
		rc = add_json(sg, "data/log/keys.json", list, err);
	json_object_set_new(pkg, "log_keys", json_string("data/log/keys.json"));
	json_decref(list);
	buf_release(&pem);
	return rc;
}

/* Loads the bureau seal key, or leaves *seal NULL when there is none. */
static void seal_key(struct sealing *sg, struct key **seal, struct buf *pem)
{
	char path[PATH_MAX + 16];
	struct error err = { 0 };

	*seal = NULL;
	snprintf(path, sizeof(path), "%s/keys/seal.key",
		 ledger_config(sg->l)->dir);
	if (access(path, F_OK) != 0 ||
	    key_load_private(path, seal, &err) != 0) {
		if (err.code)
			log_warn("archive", "seal key unusable", "error=%s",
				 err.msg);
		problem(sg, AUTH, "the bureau has no seal key (keys/seal.key): "
			"eep.xml is not signed");
		return;
	}
	key_public_pem(*seal, pem);
}

/* --- the package's description ----------------------------------------- */

/* DA/T 13 档号: 全宗号-WS·年度-保管期限代码-件号 (the case's serial). */
static void reference(const char *fonds, const char *case_id, int year,
		      const char *ret, char out[128])
{
	const char *serial = strrchr(case_id, '-');

	snprintf(out, 128, "%s-WS·%d-%s-%s", fonds, year, ret,
		 serial ? serial + 1 : case_id);
}

/* The catalogue (卷内目录): one row per record that cases_show lists. */
static json_t *catalogue(struct sealing *sg)
{
	json_t *rows = json_array(), *r;
	int page = 1, no = 0;
	size_t i;

	json_array_foreach(sg->records, i, r) {
		int pages = (int)json_integer_value(json_object_get(r, "pages"));
		char range[32], date[16];

		if (!json_object_get(r, "title"))
			continue;
		if (pages <= 1)
			snprintf(range, sizeof(range), "%d", page);
		else
			snprintf(range, sizeof(range), "%d-%d", page,
				 page + pages - 1);
		page += pages > 0 ? pages : 0;
		snprintf(date, sizeof(date), "%.10s", jstr(r, "happened"));
		json_object_set_new(r, "no", json_integer(++no));
		json_object_set_new(r, "date", json_string(date));
		json_array_append_new(rows, json_pack(
			"{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "no", no,
			"number", jstr(r, "number"), "actor",
			jstr(r, "actor_name"), "login", jstr(r, "actor"),
			"title", jstr(r, "title"), "date", date, "pages", range,
			"note", json_object_get(r, "content") == json_null()
					? "内容已依法删除" : ""));
	}
	return rows;
}

static void csv_cell(struct buf *b, const char *s, const char *sep)
{
	buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"')
			buf_putc(b, '"');
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
	buf_puts(b, sep);
}

static int add_catalogue(struct sealing *sg, const json_t *rows,
			 struct error *err)
{
	struct buf csv = BUF_INIT_MAX(16u << 20), txt = BUF_INIT_MAX(16u << 20);
	const json_t *r;
	size_t i;
	int rc;

	buf_puts(&csv, "序号,文号,责任者,题名,日期,页号,备注\r\n");
	buf_printf(&txt, "卷内目录\n\n");
	json_array_foreach(rows, i, r) {
		char no[16];

		snprintf(no, sizeof(no), "%d",
			 (int)json_integer_value(json_object_get(r, "no")));
		csv_cell(&csv, no, ",");
		csv_cell(&csv, jstr(r, "number"), ",");
		csv_cell(&csv, jstr(r, "actor"), ",");
		csv_cell(&csv, jstr(r, "title"), ",");
		csv_cell(&csv, jstr(r, "date"), ",");
		csv_cell(&csv, jstr(r, "pages"), ",");
		csv_cell(&csv, jstr(r, "note"), "\r\n");
		buf_printf(&txt, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", no,
			   jstr(r, "number")[0] ? jstr(r, "number") : "-",
			   jstr(r, "actor"), jstr(r, "title"), jstr(r, "date"),
			   jstr(r, "pages"), jstr(r, "note"));
	}
	rc = bag_add(sg->bag, "data/catalogue.csv", csv.data, csv.len, err);
	if (rc == 0)
		rc = bag_add(sg->bag, "data/catalogue.txt", txt.data, txt.len,
			     err);
	buf_release(&csv);
	buf_release(&txt);
	return rc;
}

static int add_closing(struct sealing *sg, const json_t *c, struct error *err)
{
	struct buf txt = BUF_INIT_MAX(1 << 16), csv = BUF_INIT_MAX(1 << 16);
	int rc;

	buf_printf(&txt, "备考表\n\n本卷共有文件 %d 件，%d 页，音像文件 %d 个。\n"
		   "立卷人：%s\n检查人：%s\n立卷时间：%s\n纸质原件存放位置：%s\n",
		   (int)json_integer_value(json_object_get(c, "items")),
		   (int)json_integer_value(json_object_get(c, "pages")),
		   (int)json_integer_value(json_object_get(c, "av_files")),
		   jstr(c, "preparer"), jstr(c, "checker"), jstr(c, "date"),
		   jstr(c, "paper_location"));
	buf_puts(&csv, "件数,页数,音像文件数,立卷人,检查人,立卷时间,"
		 "纸质原件存放位置\r\n");
	buf_printf(&csv, "%d,%d,%d,", (int)json_integer_value(
			   json_object_get(c, "items")),
		   (int)json_integer_value(json_object_get(c, "pages")),
		   (int)json_integer_value(json_object_get(c, "av_files")));
	csv_cell(&csv, jstr(c, "preparer"), ",");
	csv_cell(&csv, jstr(c, "checker"), ",");
	csv_cell(&csv, jstr(c, "date"), ",");
	csv_cell(&csv, jstr(c, "paper_location"), "\r\n");
	rc = bag_add(sg->bag, "data/closing-note.txt", txt.data, txt.len, err);
	if (rc == 0)
		rc = bag_add(sg->bag, "data/closing-note.csv", csv.data,
			     csv.len, err);
	buf_release(&txt);
	buf_release(&csv);
	return rc;
}

/* The integrity checks that need the whole case: records and numbers. */
static void check_integrity(struct sealing *sg)
{
	const char *stage = jstr(sg->shown, "stage");
	json_t *numbers = json_object(), *r;
	int application = 0;
	size_t i;

	if (strcmp(stage, "archive"))
		problem(sg, INTEG, "the case has not ended (stage %s)", stage);
	json_array_foreach(sg->records, i, r) {
		const char *no = jstr(r, "number");

		application |= !strcmp(jstr(r, "kind"), "application");
		/* An issue entry repeats the number of the record it issues. */
		if (!strcmp(jstr(r, "kind"), KIND_DOCUMENT_ISSUE))
			continue;
		if (no[0] && json_object_get(numbers, no))
			problem(sg, INTEG, "document number %s is used twice",
				no);
		json_object_set_new(numbers, no, json_true());
	}
	if (!application)
		problem(sg, INTEG, "the application is missing");
	json_object_foreach(sg->files, stage, r)
		if (json_is_true(json_object_get(r, "absent")))
			problem(sg, INTEG, "file %s is not in the store (%s)",
				jstr(r, "hash"), stage);
	json_decref(numbers);
}

static json_t *check_report(struct sealing *sg, const char *when)
{
	json_t *checks = json_object();
	int pass = 1;

	for (int i = 0; i < 4; i++) {
		int ok = json_array_size(sg->problems[i]) == 0;

		pass &= ok;
		json_object_set_new(checks, check_names[i], json_pack(
			"{s:s, s:O}", "result", ok ? "pass" : "fail",
			"problems", sg->problems[i]));
	}
	return json_pack("{s:s, s:s, s:o, s:s, s:{s:I, s:I, s:I}}",
			 "standard", "DA/T 70", "checked", when, "checks",
			 checks, "result", pass ? "pass" : "fail", "counts",
			 "entries", (json_int_t)json_array_size(sg->records),
			 "files", (json_int_t)json_object_size(sg->files),
			 "pages", (json_int_t)sg->pages);
}

static int add_report(struct sealing *sg, const json_t *report,
		      struct error *err)
{
	struct buf txt = BUF_INIT_MAX(1 << 20);
	int rc;

	buf_printf(&txt, "DA/T 70 四性检测报告\n检测时间：%s\n结论：%s\n\n",
		   jstr(report, "checked"),
		   !strcmp(jstr(report, "result"), "pass") ? "通过" : "未通过");
	for (int i = 0; i < 4; i++) {
		static const char *const zh[4] = { "真实性", "完整性", "可用性",
						   "安全性" };
		const json_t *c = json_object_get(json_object_get(report,
								  "checks"),
						  check_names[i]), *p;
		size_t j;

		buf_printf(&txt, "%s (%s): %s\n", zh[i], check_names[i],
			   jstr(c, "result"));
		json_array_foreach(json_object_get(c, "problems"), j, p)
			buf_printf(&txt, "  - %s\n", json_string_value(p));
	}
	rc = add_json(sg, "data/check-report.json", report, err);
	if (rc == 0)
		rc = bag_add(sg->bag, "data/check-report.txt", txt.data,
			     txt.len, err);
	buf_release(&txt);
	return rc;
}

/* --- sealing ------------------------------------------------------------ */

/* The previous package, wrapped whole under data/original/. */
static int add_original(struct sealing *sg, int64_t seal, struct error *err)
{
	struct buf body = BUF_INIT_MAX(LEDGER_ENTRY_MAX + 1);
	json_t *e = NULL, *fields = NULL;
	const char *hash;
	char src[PATH_MAX], path[128];
	size_t n;
	int rc = entry_json(sg->l, (uint64_t)seal, &body, &e, err);

	if (rc == 0)
		rc = ledger_content(sg->l, (uint64_t)seal, &fields, err);
	hash = jstr(json_array_get(json_object_get(e, "attachments"), 0),
		    "hash");
	if (rc == 0)
		rc = ledger_blob_path(sg->l, hash, src, sizeof(src), err);
	snprintf(path, sizeof(path), "data/original/case-file-%" PRId64 ".%s",
		 seal, !strcmp(jstr(fields, "format"), "zip") ? "zip" : "tar");
	if (rc == 0)
		rc = bag_add_file(sg->bag, path, src, err);
	if (rc == 0) {
		const struct bag_file *f = bag_files(sg->bag, &n) + n - 1;
		char seq[24];

		snprintf(seq, sizeof(seq), "%" PRId64, seal);
		sg->original = json_pack("{s:s, s:s, s:s, s:s, s:O?}", "path",
					 path, "seal", seq, "sha256", f->hex[0],
					 "sm3", f->hex[2], "reference",
					 json_object_get(fields, "reference"));
	}
	json_decref(e);
	json_decref(fields);
	buf_release(&body);
	return rc;
}

static int write_package(struct sealing *sg, int64_t seal, json_t *pkg,
			 char tag_sha256[], char tag_sm3[], struct error *err)
{
	struct buf eep = BUF_INIT_MAX(64u << 20), pem = BUF_INIT_MAX(8192);
	struct buf info = BUF_INIT_MAX(1 << 16);
	struct key *seal_k = NULL;
	json_t *v, *report = NULL;
	size_t i;
	int rc = 0;

	json_array_foreach(sg->seqs, i, v)
		if (rc == 0)
			rc = add_entry(sg, (uint64_t)json_integer_value(v), err);
	if (rc == 0 && seal >= 0)
		rc = add_original(sg, seal, err);
	if (rc == 0)
		rc = bag_add(sg->bag, "data/log/checkpoint.txt", sg->note.data,
			     sg->note.len, err);
	if (rc == 0)
		rc = add_log_keys(sg, pkg, err);
	seal_key(sg, &seal_k, &pem);
	if (rc == 0 && seal_k) {
		rc = bag_add(sg->bag, "data/keys/seal.pem", pem.data, pem.len,
			     err);
		json_object_set_new(pkg, "seal_key",
				    json_string("data/keys/seal.pem"));
	}
	check_integrity(sg);
	json_object_set_new(pkg, "catalogue", catalogue(sg));
	json_object_set_new(json_object_get(pkg, "closing"), "pages",
			    json_integer(sg->pages));
	json_object_set_new(json_object_get(pkg, "closing"), "av_files",
			    json_integer(sg->av_files));
	json_object_set_new(json_object_get(pkg, "closing"), "items",
			    json_integer((json_int_t)json_array_size(
				    json_object_get(pkg, "catalogue"))));
	json_object_set(pkg, "records", sg->records);
	json_object_set(pkg, "files", sg->files);
	json_object_set(pkg, "staff_keys", sg->staff_keys);
	if (sg->original)
		json_object_set(pkg, "original", sg->original);
	if (rc == 0)
		rc = add_catalogue(sg, json_object_get(pkg, "catalogue"), err);
	if (rc == 0)
		rc = add_closing(sg, json_object_get(pkg, "closing"), err);
	report = check_report(sg, jstr(pkg, "created"));
	if (rc == 0)
		rc = add_report(sg, report, err);
	json_object_set(pkg, "report", json_object_get(report, "result"));
	if (rc == 0)
		rc = add_json(sg, "data/package.json", pkg, err);
	if (rc == 0)
		rc = eep_write(pkg, seal_k, pem.data, &eep, err);
	if (rc == 0)
		rc = bag_add(sg->bag, "data/eep.xml", eep.data, eep.len, err);
	if (rc == 0)
		rc = bag_add(sg->bag, "verify.py", archive_verify_py,
			     archive_verify_py_len, err);
	buf_printf(&info, "Source-Organization: %s\nOrganization-Address: %s\n"
		   "External-Identifier: %s\nExternal-Description: %s %s\n"
		   "Bagging-Date: %.10s\nBag-Software-Agent: casetrail\n"
		   "Internal-Sender-Identifier: %s\n",
		   jstr(pkg, "unit"), jstr(pkg, "address"),
		   jstr(pkg, "reference"), jstr(pkg, "title"),
		   jstr(pkg, "type"), jstr(pkg, "created"), jstr(pkg, "case"));
	if (rc == 0)
		rc = bag_finish(sg->bag, info.data, tag_sha256, tag_sm3, err);
	json_decref(report);
	key_free(seal_k);
	buf_release(&eep);
	buf_release(&pem);
	buf_release(&info);
	return rc;
}

static json_t *package_json(struct sealing *sg, int64_t seal)
{
	json_t *bureau = bureau_load(sg->req->data_dir);
	const json_t *m = matter_of(sg);
	const char *ret_name, *fonds = jstr(bureau, "fonds");
	char created[32], ret[8], ref[128];
	json_t *pkg;

	cases_time_format(sg->now_ms, created);
	retention(jstr(m, "retention"), ret, &ret_name);
	reference(fonds[0] ? fonds : "0000", sg->req->case_id,
		  (int)strtol(created, NULL, 10), ret, ref);
	pkg = json_pack(
		"{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
		"s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s}}",
		"version", 1, "case", sg->req->case_id, "reference", ref,
		"fonds", fonds[0] ? fonds : "0000", "retention", ret,
		"retention_name", ret_name, "title",
		jstr(json_object_get(sg->shown, "matter"), "name"), "created",
		created, "unit", jstr(bureau, "name")[0] ? jstr(bureau, "name")
							 : "行政审批局",
		"address", jstr(bureau, "address"), "type",
		seal >= 0 ? "修改型" : "原始型", "hash",
		hash_alg_name(sg->alg), "origin", sg->cp.origin, "checkpoint",
		"data/log/checkpoint.txt", "closing", "preparer",
		"", "checker", "casetrail 四性检测", "date",
		created, "paper_location",
		jstr(bureau, "paper_location")[0]
			? jstr(bureau, "paper_location")
			: "未登记（bureau.json 未设 paper_location）");
	json_object_set_new(pkg, "tree_size", json_integer((json_int_t)sg->cp.size));
	json_object_set_new(json_object_get(pkg, "closing"), "preparer",
			    display_name(sg, sg->req->by->user));
	json_object_set_new(json_object_get(pkg, "closing"), "preparer_login",
			    json_string(sg->req->by->user));
	json_decref(bureau);
	return pkg;
}

/* Copies the package stored with seal entry seq to fd. */
static int copy_stored(struct ledger *l, uint64_t seq, int fd, json_t **info,
		       struct error *err)
{
	struct buf body = BUF_INIT_MAX(LEDGER_ENTRY_MAX + 1);
	json_t *e = NULL, *fields = NULL;
	char src[PATH_MAX], chunk[65536];
	int in = -1, rc = entry_json(l, seq, &body, &e, err);
	ssize_t got;

	if (rc == 0)
		rc = ledger_content(l, seq, &fields, err);
	if (rc == 0)
		rc = ledger_blob_path(l, jstr(json_array_get(json_object_get(
				      e, "attachments"), 0), "hash"), src,
				      sizeof(src), err);
	if (rc == 0 && (in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
		rc = error_set(err, CT_ENOTFOUND, "the package of seal %" PRIu64
			       " is not in the store: %s", seq, strerror(errno));
	while (rc == 0 && (got = read(in, chunk, sizeof(chunk))) != 0)
		if (got < 0 || write(fd, chunk, (size_t)got) != got)
			rc = error_set(err, CT_EIO, "cannot copy the package: "
				       "%s", strerror(errno));
	if (in >= 0)
		close(in);
	if (rc == 0) {
		json_object_set_new(fields, "seq", json_integer((json_int_t)seq));
		json_object_set_new(fields, "new", json_false());
		*info = json_incref(fields);
	}
	json_decref(e);
	json_decref(fields);
	buf_release(&body);
	return rc;
}

static int append_seal(struct sealing *sg, int fd, json_t *pkg,
		       const char *tag_sha256, const char *tag_sm3,
		       json_t **info, struct error *err)
{
	struct ledger_attachment att;
	struct ledger_receipt receipt;
	struct ledger_record rec = { 0 };
	json_t *fields;
	size_t n = json_array_size(sg->records);
	int rc;

	if (fsync(fd) != 0 || lseek(fd, 0, SEEK_SET) != 0)
		return error_set(err, CT_EIO, "cannot read back the package: "
				 "%s", strerror(errno));
	rc = ledger_attach_fd(sg->l, fd, "case file", &att, err);
	if (rc)
		return rc;
	fields = json_pack(
		"{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:{s:O, s:O}, s:I, s:s, "
		"s:I}",
		"case", sg->req->case_id, "reference", jstr(pkg, "reference"),
		"type", jstr(pkg, "type"), "format",
		sg->req->format ? sg->req->format : "tar", "tagmanifest",
		"sha256", tag_sha256, "sm3", tag_sm3, "covers", "first",
		json_object_get(json_array_get(sg->records, 0), "seq"), "last",
		json_object_get(json_array_get(sg->records, n - 1), "seq"),
		"checkpoint", (json_int_t)sg->cp.size, "report",
		jstr(pkg, "report"), "size", (json_int_t)att.size);
	if (sg->original)
		json_object_set(fields, "original",
				json_object_get(sg->original, "seal"));
	rec.kind = KIND_CASE_FILE_SEAL;
	rec.case_id = sg->req->case_id;
	rec.actor = sg->req->by->user;
	rec.os_user = sg->req->by->os_user;
	rec.fields = fields;
	rec.attachments = &att;
	rec.nattachments = 1;
	rec.supersedes = -1;
	rc = ledger_append(sg->l, &rec, &receipt, err);
	if (rc == 0) {
		log_info("archive", "case file sealed", "case=%s seq=%" PRIu64
			 " type=%s", sg->req->case_id, receipt.seq,
			 jstr(pkg, "type"));
		json_object_set_new(fields, "seq",
				    json_integer((json_int_t)receipt.seq));
		json_object_set_new(fields, "sha256",
				    json_string(att.sha256));
		json_object_set_new(fields, "new", json_true());
		*info = json_incref(fields);
	}
	json_decref(fields);
	return rc;
}

static void sealing_release(struct sealing *sg)
{
	json_decref(sg->shown);
	json_decref(sg->seqs);
	json_decref(sg->docs);
	json_decref(sg->records);
	json_decref(sg->files);
	json_decref(sg->staff_keys);
	json_decref(sg->original);
	for (int i = 0; i < 4; i++)
		json_decref(sg->problems[i]);
	buf_release(&sg->note);
	bag_free(sg->bag);
}

int archive_seal(struct access *a, struct documents *d,
		 const struct archive_req *req, int fd, json_t **info,
		 struct error *err)
{
	struct sealing sg = { .a = a, .d = d, .req = req };
	const char *format = req->format ? req->format : "tar";
	char root[CASE_ID_MAX + 16], tag_sha256[DIGEST_MAX * 2 + 1],
		tag_sm3[DIGEST_MAX * 2 + 1];
	json_t *pkg = NULL;
	int64_t seal;
	int changed, rc;

	if (strcmp(format, "tar") && strcmp(format, "zip"))
		return error_set(err, CT_EINVAL, "invalid format '%s': give "
				 "tar or zip", format);
	sg.l = access_ledger(a);
	sg.alg = ledger_config(sg.l)->alg;
	buf_init(&sg.note, 1 << 16);
	rc = cases_show(access_cases(a), req->case_id, &sg.shown, err);
	if (rc == 0 && strcmp(jstr(sg.shown, "stage"), "archive"))
		rc = error_set(err, CT_ESTATE, "case %s has not ended (stage "
			       "%s): a case file is sealed after the service "
			       "of the decision or licence, a withdrawal or a "
			       "termination", req->case_id,
			       jstr(sg.shown, "stage"));
	if (rc == 0)
		rc = case_seqs(&sg, err);
	if (rc == 0)
		rc = last_seal(&sg, &seal, &changed, err);
	if (rc == 0 && seal >= 0 && !changed) {
		rc = copy_stored(sg.l, (uint64_t)seal, fd, info, err);
		goto out;
	}
	if (rc == 0)
		rc = ledger_checkpoint(sg.l, 0, &sg.note, &sg.cp.size, err);
	if (rc == 0)
		rc = checkpoint_parse(sg.note.data, sg.note.len, &sg.cp, NULL,
				      err);
	if (rc)
		goto out;
	if (d && documents_list(d, req->case_id, &sg.docs, err)) {
		sg.docs = NULL;
		error_clear(err);
	}
	if (!sg.docs)
		sg.docs = json_array();
	sg.records = json_array();
	sg.files = json_object();
	sg.staff_keys = json_object();
	for (int i = 0; i < 4; i++)
		sg.problems[i] = json_array();
	sg.now_ms = ledger_now_ms();
	pkg = package_json(&sg, seal);
	snprintf(root, sizeof(root), "case-file-%s", req->case_id);
	rc = bag_open(fd, format, root, sg.now_ms / 1000, &sg.bag, err);
	if (rc == 0)
		rc = write_package(&sg, seal, pkg, tag_sha256, tag_sm3, err);
	if (rc == 0)
		rc = append_seal(&sg, fd, pkg, tag_sha256, tag_sm3, info, err);
	/* Another process sealed this state first: give its package. */
	if (rc == CT_EEXIST) {
		error_clear(err);
		json_decref(sg.seqs);
		sg.seqs = NULL;
		rc = case_seqs(&sg, err);
		if (rc == 0)
			rc = last_seal(&sg, &seal, &changed, err);
		if (rc == 0 && seal < 0)
			rc = error_set(err, CT_EIO, "case %s has no seal after "
				       "its seal was refused", req->case_id);
		if (rc == 0 && (ftruncate(fd, 0) != 0 ||
				lseek(fd, 0, SEEK_SET) != 0))
			rc = error_set(err, CT_EIO, "cannot rewrite the "
				       "package: %s", strerror(errno));
		if (rc == 0)
			rc = copy_stored(sg.l, (uint64_t)seal, fd, info, err);
	}
out:
	json_decref(pkg);
	sealing_release(&sg);
	return rc;
}

static enum access_mark record_mark(struct sealing *sg, uint64_t seq,
				    const json_t *e, const json_t *overrides)
{
	const char *kind = jstr(e, "kind");
	enum access_mark m;
	struct error err = { 0 };
	json_t *fields = NULL;
	char key[24];

	snprintf(key, sizeof(key), "%" PRIu64, seq);
	if (json_object_get(overrides, key) &&
	    access_mark_parse(jstr(overrides, key), &m, &err) == 0)
		return m;
	error_clear(&err);
	if (ledger_content(sg->l, seq, &fields, &err) != 0) {
		error_clear(&err);
		fields = NULL;
	}
	m = access_content_mark(sg->a, kind, fields);
	json_decref(fields);
	if (!strcmp(kind, "media-ingest")) {
		const char *type = json_string_value(json_object_get(
			json_array_get(json_object_get(e, "attachments"), 0),
			"type"));
		enum access_mark t = access_media_type_mark(type);

		if (t > m)
			m = t;
	}
	return m;
}

int archive_marks(struct access *a, const char *case_id, json_t **out,
		  struct error *err)
{
	struct sealing sg = { .a = a };
	struct archive_req req = { .case_id = case_id };
	struct buf body = BUF_INIT_MAX(LEDGER_ENTRY_MAX + 1);
	json_t *items = json_array(), *overrides = NULL, *v, *e;
	size_t i;
	int rc;

	sg.req = &req;
	sg.l = access_ledger(a);
	rc = access_case_overrides(a, case_id, &overrides, err);
	if (rc == 0)
		rc = case_seqs(&sg, err);
	json_array_foreach(sg.seqs, i, v) {
		uint64_t seq = (uint64_t)json_integer_value(v);
		const char *kind;
		enum access_mark m;

		if (rc || (rc = entry_json(sg.l, seq, &body, &e, err)))
			break;
		kind = jstr(e, "kind");
		if (strcmp(kind, "access") && strcmp(kind, KIND_CASE_FILE_SEAL) &&
		    (m = record_mark(&sg, seq, e, overrides)) != MARK_NONE)
			json_array_append_new(items, json_pack(
				"{s:I, s:s}", "seq", (json_int_t)seq, "mark",
				access_mark_code(m)));
		json_decref(e);
	}
	buf_release(&body);
	json_decref(sg.seqs);
	json_decref(overrides);
	if (rc) {
		json_decref(items);
		return rc;
	}
	*out = items;
	return 0;
}

int archive_list(struct access *a, const char *case_id, json_t **out,
		 struct error *err)
{
	struct sealing sg = { .a = a };
	struct archive_req req = { .case_id = case_id };
	struct buf body = BUF_INIT_MAX(LEDGER_ENTRY_MAX + 1);
	json_t *items = json_array(), *v, *e, *fields;
	size_t i;
	int rc;

	sg.req = &req;
	sg.l = access_ledger(a);
	rc = cases_show(access_cases(a), case_id, &sg.shown, err);
	if (rc == 0)
		rc = case_seqs(&sg, err);
	json_array_foreach(sg.seqs, i, v) {
		uint64_t seq = (uint64_t)json_integer_value(v);

		if (rc || (rc = entry_json(sg.l, seq, &body, &e, err)))
			break;
		if (!strcmp(jstr(e, "kind"), KIND_CASE_FILE_SEAL) &&
		    (rc = ledger_content(sg.l, seq, &fields, err)) == 0) {
			json_object_set_new(fields, "seq",
					    json_integer((json_int_t)seq));
			json_object_set(fields, "actor",
					json_object_get(e, "actor"));
			json_array_append_new(items, fields);
		}
		json_decref(e);
	}
	buf_release(&body);
	json_decref(sg.shown);
	json_decref(sg.seqs);
	if (rc) {
		json_decref(items);
		return rc;
	}
	*out = json_pack("{s:o}", "items", items);
	return 0;
}
