/*
 * Official documents (see documents.h): choosing the source record,
 * issuing a document once and returning the same bytes afterwards, the
 * plain rendering of any record, and the list of a case's documents.
 */
#include "common/common.h"

#include <sys/stat.h>

#include "documents.h"
#include "common/log.h"
#include "internal.h"
#include "ledger/ledger.h"

int documents_open(struct access *a, const char *data_dir,
		   struct documents **out, struct error *err)
{
	struct documents *d = calloc(1, sizeof(*d));
	const json_t *image;
	int rc;

	if (!d)
		return error_set(err, CT_ENOMEM, "out of memory");
	d->a = a;
	pthread_mutex_init(&d->mu, NULL);
	layout_fonts_acquire();
	snprintf(d->data_dir, sizeof(d->data_dir), "%s", data_dir);
	rc = templates_load(d, err);
	if (rc == 0)
		rc = seal_load(d, ledger_config(access_ledger(a))->dir, err);
	image = json_object_get(d->bureau, "seal_image");
	if (rc == 0 && json_is_string(image)) {
		char path[4400];

		snprintf(path, sizeof(path), "%s/%s", data_dir,
			 json_string_value(image));
		d->seal_image = layout_load_png(path);
		if (!d->seal_image)
			rc = error_set(err, CT_EINVAL,
				       "bureau.json: "
				       "seal_image '%s' is not a readable PNG "
				       "file",
				       path);
	}
	if (rc) {
		documents_close(d);
		return rc;
	}
	*out = d;
	return 0;
}

void documents_close(struct documents *d)
{
	if (!d)
		return;
	json_decref(d->templates);
	json_decref(d->bureau);
	key_free(d->seal);
	free(d->seal_pem);
	layout_free_png(d->seal_image);
	pthread_mutex_destroy(&d->mu);
	layout_fonts_release();
	free(d);
}

const char *documents_seal_public_pem(const struct documents *d)
{
	return d->seal_pem;
}

static const char *str(const json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

static int kind_in(const json_t *kinds, const char *kind)
{
	size_t i;
	json_t *k;

	json_array_foreach(kinds, i, k)
		if (!strcmp(json_string_value(k) ?: "", kind))
			return 1;
	return 0;
}

/* Whether record r passes the template's "when" condition. */
static int when_holds(const json_t *tpl, const json_t *r)
{
	const json_t *when = json_object_get(tpl, "when");
	const char *field = str(when, "field");
	const json_t *v;

	if (!when || !field)
		return 1;
	if (!strncmp(field, "fields.", 7))
		field += 7;
	v = json_object_get(json_object_get(r, "fields"), field);
	if (json_object_get(when, "equals"))
		return v &&
		       json_equal((json_t *)v, json_object_get(when, "equals"));
	if (json_object_get(when, "in"))
		return v && value_in(json_object_get(when, "in"), v);
	if (json_is_false(json_object_get(when, "present")))
		return !v || json_is_null(v);
	return v && !json_is_null(v);
}

/*
 * Raises *mark to what the template prints of the applicant beyond the
 * record: the contact, address or ID number are personal information,
 * and a resident identity card number is sensitive.
 */
static void applicant_mark(const json_t *tpl, const json_t *cs,
			   enum access_mark *mark)
{
	char *text = json_dumps(tpl, JSON_COMPACT);
	enum access_mark m = MARK_NONE;
	const char *id = str(cs, "applicant_id");

	if (text && (strstr(text, "case.contact") ||
		     strstr(text, "case.address") ||
		     strstr(text, "case.applicant_id")))
		m = MARK_PERSONAL;
	if (text && strstr(text, "case.applicant_id") && id &&
	    access_has_resident_id(id))
		m = MARK_SENSITIVE_PERSONAL;
	if (m > *mark)
		*mark = m;
	free(text);
}

static const json_t *case_record(const json_t *cs, uint64_t seq)
{
	size_t i;
	json_t *r;

	json_array_foreach(json_object_get(cs, "records"), i, r)
		if ((uint64_t)json_integer_value(json_object_get(r, "seq")) ==
		    seq)
			return r;
	return NULL;
}

/* The source record of document tpl in case cs: seq, or the latest. */
static int find_source(const json_t *cs, const char *case_id, const char *code,
		       const json_t *tpl, int64_t seq, const json_t **out,
		       struct error *err)
{
	const json_t *kinds = json_object_get(tpl, "source");
	const json_t *records = json_object_get(cs, "records");
	const json_t *r;

	if (seq < 0) {
		for (size_t i = json_array_size(records); i-- > 0;) {
			r = json_array_get(records, i);
			if (kind_in(kinds, str(r, "kind") ?: "") &&
			    json_object_get(r, "fields") &&
			    when_holds(tpl, r)) {
				*out = r;
				return 0;
			}
		}
		return error_set(
		    err, CT_ENOTFOUND,
		    "case %s has no record of "
		    "kind %s to print document %s from; give "
		    "--record SEQ",
		    case_id, json_string_value(json_array_get(kinds, 0)), code);
	}
	r = case_record(cs, (uint64_t)seq);
	if (!r)
		return error_set(err, CT_ENOTFOUND,
				 "record %" PRId64 " is not "
				 "a record of case %s",
				 seq, case_id);
	if (!kind_in(kinds, str(r, "kind") ?: ""))
		return error_set(err, CT_EINVAL,
				 "record %" PRId64 " is a %s "
				 "record; document %s is printed from a %s "
				 "record",
				 seq, str(r, "kind") ?: "", code,
				 json_string_value(json_array_get(kinds, 0)));
	if (!json_object_get(r, "fields"))
		return error_set(err, CT_ESTATE,
				 "the content of record %" PRId64
				 " was expunged; nothing is left to "
				 "print",
				 seq);
	if (!when_holds(tpl, r))
		return error_set(err, CT_EINVAL,
				 "record %" PRId64 " does not "
				 "meet the condition of document %s (%s)",
				 seq, code,
				 str(json_object_get(tpl, "when"), "field"));
	*out = r;
	return 0;
}

static int record_mark(struct documents *d, const json_t *r,
		       enum access_mark *mark, struct error *err);

/* The document-issue record of (code, source) in cs, or NULL. */
static const json_t *find_issue(const json_t *cs, const char *code,
				uint64_t source)
{
	size_t i;
	json_t *r, *f;

	json_array_foreach(json_object_get(cs, "records"), i, r) {
		if (strcmp(str(r, "kind") ?: "", KIND_DOCUMENT_ISSUE))
			continue;
		f = json_object_get(r, "fields");
		if (!strcmp(str(f, "document") ?: "", code) &&
		    (uint64_t)json_integer_value(
			json_object_get(f, "source")) == source)
			return r;
	}
	return NULL;
}

static json_t *issue_info(const json_t *r)
{
	const json_t *f = json_object_get(r, "fields");

	return json_pack(
	    "{s:O, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, "
	    "s:O?}",
	    "seq", json_object_get(r, "seq"), "document",
	    json_object_get(f, "document"), "source",
	    json_object_get(f, "source"), "number",
	    json_object_get(f, "number"), "title", json_object_get(f, "title"),
	    "pdf", json_object_get(f, "pdf"), "signature",
	    json_object_get(f, "signature"), "key", json_object_get(f, "key"),
	    "issued", json_object_get(r, "recorded"));
}

/* Reads the PDF blob of an issue record into pdf, checking its hash. */
static int read_issued(struct documents *d, const json_t *r, struct buf *pdf,
		       struct error *err)
{
	struct ledger *l = access_ledger(d->a);
	const json_t *att =
	    json_array_get(json_object_get(r, "attachments"), 0);
	const char *hash = str(att, "hash");
	char path[PATH_MAX], chunk[65536], got[HASH_TEXT_MAX];
	uint8_t digest[HASH_LEN];
	FILE *f;
	size_t n;
	int rc;

	if (!hash)
		return error_set(err, CT_ENOTFOUND,
				 "document %" JSON_INTEGER_FORMAT
				 " has no PDF file; it was expunged",
				 json_integer_value(json_object_get(r, "seq")));
	rc = ledger_blob_path(l, hash, path, sizeof(path), err);
	if (rc)
		return rc;
	f = fopen(path, "rb");
	if (!f)
		return error_set(err, CT_ENOTFOUND,
				 "the PDF of document %" JSON_INTEGER_FORMAT
				 " (%s) is missing: %s",
				 json_integer_value(json_object_get(r, "seq")),
				 hash, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && rc == 0)
		rc = buf_append(pdf, chunk, n);
	fclose(f);
	if (rc)
		return error_set(err, rc, "the PDF of document %s is too big",
				 hash);
	hash_buf(ledger_config(l)->alg, pdf->data, pdf->len, digest);
	hash_format(ledger_config(l)->alg, digest, got);
	if (strcmp(got, hash))
		return error_set(err, CT_ECORRUPT,
				 "the PDF file of %s does not "
				 "match its hash (%s); run 'casetrail verify'",
				 hash, got);
	return 0;
}

static const json_t *find_matter(struct cases *c, const char *code)
{
	size_t i;
	json_t *m;

	json_array_foreach(json_object_get(cases_matters(c), "matters"), i, m)
		if (!strcmp(str(m, "code") ?: "", code))
			return m;
	return NULL;
}

static const json_t *first_of(const json_t *cs, const char *kind)
{
	size_t i;
	json_t *r;

	json_array_foreach(json_object_get(cs, "records"), i, r)
		if (!strcmp(str(r, "kind") ?: "", kind))
			return r;
	return NULL;
}

/* The verification text of the QR code. */
static int qr_text(struct documents *d, uint64_t seq, char *out, size_t n,
		   char leaf_text[HASH_TEXT_MAX], struct error *err)
{
	struct ledger *l = access_ledger(d->a);
	uint8_t leaf[HASH_LEN];
	int rc = ledger_leaf(l, seq, leaf, err);

	if (rc)
		return rc;
	hash_format(ledger_config(l)->alg, leaf, leaf_text);
	snprintf(out, n, "casetrail:%s?seq=%" PRIu64 "&leaf=%s",
		 ledger_config(l)->origin, seq, leaf_text);
	return 0;
}

/* Renders template tpl from record r of case cs into pdf. */
static int render(struct documents *d, const json_t *tpl, const json_t *cs,
		  const json_t *r, int sealed, struct buf *pdf,
		  char leaf[HASH_TEXT_MAX], struct error *err)
{
	struct cases *c = access_cases(d->a);
	struct fill_ctx fc = {
		.d = d,
		.case_json = cs,
		.record = r,
		.application = first_of(cs, "application"),
		.matter = find_matter(
		    c, str(json_object_get(cs, "matter"), "code") ?: ""),
		.laws = cases_laws(c),
		.cases = c,
	};
	struct page_setup ps = {
		.title = str(tpl, "title"),
		.date = str(r, "recorded"),
		.seal_image = sealed ? d->seal_image : NULL,
	};
	struct items it = { 0 };
	char qr[1024];
	int rc =
	    qr_text(d, (uint64_t)json_integer_value(json_object_get(r, "seq")),
		    qr, sizeof(qr), leaf, err);

	ps.qr_text = qr;
	if (json_is_true(json_object_get(tpl, "transcript")))
		ps.footer_sign = "被记录人签名：____________    "
				 "记录人签名：____________";
	if (rc == 0)
		rc = fill_template(&fc, tpl, &it, err);
	if (rc == 0)
		rc = layout_render(&ps, &it, pdf, err);
	items_release(&it);
	return rc;
}

/* Writes pdf to a new blob and fills att. */
static int store_pdf(struct ledger *l, const struct buf *pdf,
		     struct ledger_attachment *att, struct error *err)
{
	FILE *f = tmpfile();
	int rc = 0;

	if (!f)
		return error_set(err, CT_EIO,
				 "cannot create a temporary file: "
				 "%s",
				 strerror(errno));
	if (fwrite(pdf->data, 1, pdf->len, f) != pdf->len || fflush(f) != 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		rc = error_set(err, CT_EIO, "cannot write a temporary file: %s",
			       strerror(errno));
	if (rc == 0)
		rc = ledger_attach_fd(l, fileno(f), "the document's PDF", att,
				      err);
	fclose(f);
	return rc;
}

/* Signs and records a freshly rendered document; fills *info. */
static int issue_new(struct documents *d, const char *case_id, const char *code,
		     const json_t *tpl, const json_t *r, const char *leaf,
		     enum access_mark mark, const struct actor *by,
		     const struct buf *pdf, json_t **info, struct error *err)
{
	struct ledger *l = access_ledger(d->a);
	uint64_t source =
	    (uint64_t)json_integer_value(json_object_get(r, "seq"));
	const char *number = str(json_object_get(r, "fields"), "number") ?: "";
	struct ledger_record rec = { .kind = KIND_DOCUMENT_ISSUE,
				     .case_id = case_id,
				     .actor = by->user,
				     .os_user = by->os_user,
				     .supersedes = -1 };
	struct buf stmt = BUF_INIT_MAX(4096), sig = BUF_INIT_MAX(4096);
	struct ledger_attachment att;
	struct ledger_receipt receipt;
	char sm3[HASH_TEXT_MAX], sha[HASH_TEXT_MAX], when[32];
	uint8_t digest[HASH_LEN];
	json_t *fields = NULL;
	int rc;

	hash_buf(HASH_SM3, pdf->data, pdf->len, digest);
	hash_format(HASH_SM3, digest, sm3);
	hash_buf(HASH_SHA256, pdf->data, pdf->len, digest);
	hash_format(HASH_SHA256, digest, sha);
	rc = document_statement(ledger_config(l)->origin, source, leaf, code,
				number, sm3, &stmt);
	if (rc)
		rc = error_set(err, rc,
			       "cannot state document %s: a value "
			       "holds a line break",
			       code);
	if (rc == 0)
		rc = seal_sign(d, &stmt, &sig, err);
	if (rc == 0)
		rc = seal_record(d, by->user, by->os_user, err);
	if (rc == 0)
		rc = store_pdf(l, pdf, &att, err);
	if (rc == 0) {
		fields = json_pack(
		    "{s:s, s:I, s:s, s:s, s:{s:s, s:s, s:I}, "
		    "s:s, s:s, s:s, s:s}",
		    "document", code, "source", (json_int_t)source, "number",
		    number, "title", str(tpl, "title"), "pdf", "hash", sm3,
		    "sha256", sha, "size", (json_int_t)pdf->len, "signature",
		    sig.data, "key", d->seal_id, "statement", stmt.data, "leaf",
		    leaf);
		/* The entry carries the mark of what the PDF prints. */
		if (fields && mark != MARK_NONE)
			json_object_set_new(fields, "mark",
					    json_string(access_mark_code(mark)));
		rec.fields = fields;
		rec.seal = mark != MARK_NONE;
		rec.attachments = &att;
		rec.nattachments = 1;
		rc = fields ? ledger_append(l, &rec, &receipt, err)
			    : error_set(err, CT_ENOMEM, "out of memory");
	}
	if (rc == 0 && info) {
		cases_time_format(receipt.ts_ms, when);
		*info = json_pack("{s:I, s:s, s:I, s:s, s:s, s:O, s:s, s:s, "
				  "s:s}",
				  "seq", (json_int_t)receipt.seq, "document",
				  code, "source", (json_int_t)source, "number",
				  number, "title", str(tpl, "title"), "pdf",
				  json_object_get(fields, "pdf"), "signature",
				  sig.data, "key", d->seal_id, "issued", when);
	}
	if (rc == 0)
		log_info("documents", "document issued",
			 "case=%s document=%s "
			 "source=%" PRIu64 " seq=%" PRIu64,
			 case_id, code, source, receipt.seq);
	json_decref(fields);
	buf_release(&stmt);
	buf_release(&sig);
	return rc;
}

static int load_case(struct documents *d, const char *case_id, json_t **cs,
		     struct error *err)
{
	return cases_show(access_cases(d->a), case_id, cs, err);
}

static int issue_locked(struct documents *d, const char *case_id,
			const char *code, int64_t seq, const struct actor *by,
			struct buf *pdf, json_t **info, struct error *err)
{
	const json_t *tpl = json_object_get(d->templates, code);
	const json_t *r = NULL, *issued;
	char leaf[HASH_TEXT_MAX];
	enum access_mark mark = MARK_NONE;
	json_t *cs = NULL;
	int rc;

	if (!tpl)
		return error_set(err, CT_ENOTFOUND,
				 "no document template has the code '%s'",
				 code);
	if (!d->seal)
		return error_set(err, CT_ESTATE,
				 "the store has no seal key; "
				 "create it with 'casetrail seal-key init'");
	rc = load_case(d, case_id, &cs, err);
	if (rc == 0)
		rc = find_source(cs, case_id, code, tpl, seq, &r, err);
	if (rc)
		goto out;
	issued = find_issue(
	    cs, code, (uint64_t)json_integer_value(json_object_get(r, "seq")));
	if (issued) {
		rc = read_issued(d, issued, pdf, err);
		if (rc == 0 && info)
			*info = issue_info(issued);
		goto out;
	}
	rc = record_mark(d, r, &mark, err);
	if (rc == 0) {
		applicant_mark(tpl, cs, &mark);
		rc = render(d, tpl, cs, r, 1, pdf, leaf, err);
	}
	if (rc == 0)
		rc = issue_new(d, case_id, code, tpl, r, leaf, mark, by, pdf,
			       info, err);
	/* Another process issued it first: return what it recorded. */
	if (rc == CT_EEXIST) {
		uint64_t source =
		    (uint64_t)json_integer_value(json_object_get(r, "seq"));

		error_clear(err);
		buf_reset(pdf);
		json_decref(cs);
		cs = NULL;
		rc = load_case(d, case_id, &cs, err);
		issued = rc == 0 ? find_issue(cs, code, source) : NULL;
		if (rc == 0 && !issued)
			rc = error_set(err, CT_ESTATE,
				       "document %s of record %" PRIu64
				       " was issued by another process but "
				       "cannot be read",
				       code, source);
		if (rc == 0)
			rc = read_issued(d, issued, pdf, err);
		if (rc == 0 && info)
			*info = issue_info(issued);
	}
out:
	json_decref(cs);
	return rc;
}

int documents_issue(struct documents *d, const char *case_id,
		    const char *doc_kind, int64_t seq, const struct actor *by,
		    struct buf *pdf, json_t **info, struct error *err)
{
	int rc;

	if (info)
		*info = NULL;
	/*
	 * One issue at a time in this process. Across processes, the
	 * workflow rejects a second document-issue entry of the same
	 * document and source record (CT_EEXIST), and the loser returns
	 * the winner's file.
	 */
	pthread_mutex_lock(&d->mu);
	rc = issue_locked(d, case_id, doc_kind, seq, by, pdf, info, err);
	pthread_mutex_unlock(&d->mu);
	if (rc)
		buf_reset(pdf);
	return rc;
}

/* The mark of record r: the security administrator's, else its own. */
static int record_mark(struct documents *d, const json_t *r,
		       enum access_mark *mark, struct error *err)
{
	char target[64];
	int rc;

	snprintf(target, sizeof(target), "record:%" JSON_INTEGER_FORMAT,
		 json_integer_value(json_object_get(r, "seq")));
	rc = access_mark_override(d->a, target, mark, err);
	if (rc != CT_ENOTFOUND)
		return rc;
	error_clear(err);
	*mark = MARK_NONE;
	if (!json_is_string(json_object_get(r, "mark")))
		return 0;
	return access_mark_parse(str(r, "mark"), mark, err);
}

int documents_record_mark(struct documents *d, const char *case_id,
			  uint64_t seq, enum access_mark *mark,
			  struct error *err)
{
	json_t *r = NULL;
	int rc = cases_record_get(access_cases(d->a), seq, &r, err);

	if (rc == 0 && strcmp(str(r, "case") ?: "", case_id))
		rc = error_set(err, CT_ENOTFOUND,
			       "record %" PRIu64 " is not a "
			       "record of case %s",
			       seq, case_id);
	if (rc == 0)
		rc = record_mark(d, r, mark, err);
	json_decref(r);
	return rc;
}

int documents_source(struct documents *d, const char *case_id,
		     const char *doc_kind, int64_t seq, uint64_t *source,
		     enum access_mark *mark, struct error *err)
{
	const json_t *tpl = json_object_get(d->templates, doc_kind);
	const json_t *r = NULL;
	json_t *cs = NULL;
	int rc;

	if (!tpl)
		return error_set(err, CT_ENOTFOUND,
				 "no document template has the code '%s'",
				 doc_kind);
	rc = load_case(d, case_id, &cs, err);
	if (rc == 0)
		rc = find_source(cs, case_id, doc_kind, tpl, seq, &r, err);
	if (rc == 0) {
		*source =
		    (uint64_t)json_integer_value(json_object_get(r, "seq"));
		rc = record_mark(d, r, mark, err);
	}
	if (rc == 0)
		applicant_mark(tpl, cs, mark);
	json_decref(cs);
	return rc;
}

int documents_list(struct documents *d, const char *case_id, json_t **out,
		   struct error *err)
{
	json_t *cs = NULL, *r;
	size_t i;
	int rc = load_case(d, case_id, &cs, err);

	*out = NULL;
	if (rc)
		return rc;
	*out = json_array();
	json_array_foreach(json_object_get(cs, "records"), i, r)
		if (!strcmp(str(r, "kind") ?: "", KIND_DOCUMENT_ISSUE))
			json_array_append_new(*out, issue_info(r));
	json_decref(cs);
	return 0;
}

int documents_issued(struct documents *d, const char *case_id, uint64_t seq,
		     struct buf *pdf, json_t **info, enum access_mark *mark,
		     struct error *err)
{
	json_t *cs = NULL;
	const json_t *r, *f, *tpl, *source;
	int rc = load_case(d, case_id, &cs, err);

	if (rc)
		return rc;
	r = case_record(cs, seq);
	if (!r || strcmp(str(r, "kind") ?: "", KIND_DOCUMENT_ISSUE))
		rc = error_set(err, CT_ENOTFOUND,
			       "record %" PRIu64 " is not a "
			       "document issued in case %s",
			       seq, case_id);
	f = json_object_get(r, "fields");
	source = case_record(cs, (uint64_t)json_integer_value(
					 json_object_get(f, "source")));
	if (rc == 0 && mark) {
		*mark = MARK_NONE;
		if (source)
			rc = record_mark(d, source, mark, err);
		tpl = json_object_get(d->templates, str(f, "document") ?: "");
		if (rc == 0 && tpl)
			applicant_mark(tpl, cs, mark);
	}
	if (rc == 0)
		rc = read_issued(d, r, pdf, err);
	if (rc == 0 && info)
		*info = issue_info(r);
	json_decref(cs);
	return rc;
}
