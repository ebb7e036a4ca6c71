/*
 * The copy set of an approved request: a tar archive (libarchive, pax)
 * with a manifest, each provided record's masked fields as text and as
 * JSON, and each provided file. Every file carries the mark
 *
 *   复制件 — 申请编号 <number> 申请人 <requester> 日期 <date> 份号 <copy>
 *
 * as its first line (text), its "mark" member (JSON), its EXIF
 * ImageDescription and UserComment (JPEG photos) and its file name
 * (every provided file). A record or file is withheld, and listed with
 * the reason, when the supervisor withheld it or when its kind is one of
 * copy_requests.withhold_kinds (internal deliberations). It is withheld
 * too when its mark is one of copy_requests.withhold_marks, unless the
 * rule's "unless" spares it. The attachments of records (scans,
 * signature images) are withheld as well, because images cannot be
 * masked.
 */
#include "common/common.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <locale.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "copies_internal.h"
#include "media/stamp.h"
#include "store/media.h"

#define COPY_FILE_MAX ((size_t)512 << 20)
/*
 * The time one audio or video file may take to be remuxed with its
 * mark. Packets are only copied, so this is about the time of reading
 * and writing the file once.
 */
#define STAMP_AV_SECONDS 300

static const char *str_of(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

struct copyset {
	struct access *a;
	const struct copy_set_in *in;
	struct archive *ar;
	struct masker *masker;
	char mark[1024];
	char dir[64];      /* the folder every entry lies in */
	bool raw_names;    /* no UTF-8 locale: names go in as bytes */
	json_t *included;
	json_t *withheld;
	struct error *err;
};

/* --- writing entries ------------------------------------------------------ */

static int archive_failed(struct copyset *cs, const char *what)
{
	return error_set(cs->err, CT_EIO, "cannot write %s of the copy set: "
			 "%s", what, archive_error_string(cs->ar) ?: "");
}

/*
 * Copies text given by a person (a requester's name) into out for use in
 * a file name: '/', '\\', control characters and a leading '.' become
 * '_', so that no extractor can be led out of the copy set's folder.
 */
static void name_part(const char *text, char *out, size_t n)
{
	const char *p = text ? text : "";
	size_t o = 0;

	for (; *p && o + 1 < n; p++) {
		unsigned char ch = (unsigned char)*p;
		bool bad = ch == '/' || ch == '\\' || ch < 0x20 || ch == 0x7f ||
			   (o == 0 && ch == '.');

		out[o++] = bad ? '_' : (char)ch;
	}
	/* Cut short: drop a UTF-8 sequence the cut split. */
	if (*p && ((unsigned char)*p & 0xC0) == 0x80) {
		while (o && ((unsigned char)out[o - 1] & 0xC0) == 0x80)
			o--;
		if (o && (unsigned char)out[o - 1] >= 0xC0)
			o--;
	}
	out[o] = '\0';
}

static int put_header(struct copyset *cs, const char *name, int64_t size)
{
	struct archive_entry *e = archive_entry_new();
	char path[512];
	int rc;

	if (!e)
		return error_set(cs->err, CT_ENOMEM, "out of memory");
	snprintf(path, sizeof(path), "%s/%s", cs->dir, name);
	if (cs->raw_names)
		archive_entry_copy_pathname(e, path);
	else
		archive_entry_set_pathname_utf8(e, path);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, size);
	archive_entry_set_mtime(e, cs->in->made_ms / 1000, 0);
	rc = archive_write_header(cs->ar, e);
	archive_entry_free(e);
	return rc == ARCHIVE_OK ? 0 : archive_failed(cs, name);
}

static int put_bytes(struct copyset *cs, const char *name, const void *data,
		     size_t len)
{
	int rc = put_header(cs, name, (int64_t)len);

	if (rc == 0 && len &&
	    archive_write_data(cs->ar, data, len) != (la_ssize_t)len)
		rc = archive_failed(cs, name);
	return rc;
}

static int put_file(struct copyset *cs, const char *name, const char *path)
{
	char chunk[65536];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = error_set(cs->err, CT_EIO, "cannot read '%s': %s", path,
			       strerror(errno));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	rc = put_header(cs, name, st.st_size);
	while (rc == 0 && (n = read(fd, chunk, sizeof(chunk))) > 0)
		if (archive_write_data(cs->ar, chunk, (size_t)n) != n)
			rc = archive_failed(cs, name);
	if (rc == 0 && n < 0)
		rc = error_set(cs->err, CT_EIO, "cannot read '%s': %s", path,
			       strerror(errno));
	close(fd);
	return rc;
}

/* --- what is withheld ----------------------------------------------------- */

static void withhold(struct copyset *cs, const char *item, json_int_t seq,
		     const char *name, const char *reason)
{
	json_array_append_new(cs->withheld, json_pack(
		"{s:s, s:I, s:s, s:s}", "item", item, "seq", seq, "name",
		name ?: "", "reason", reason));
}

static const char *reason_of(const json_t *list, const char *key,
			     const char *value)
{
	json_t *v;
	size_t i;

	json_array_foreach(list, i, v)
		if (!strcmp(str_of(v, key) ?: "", value))
			return str_of(v, "reason");
	return NULL;
}

/*
 * The confidentiality mark of a record: the security administrator's,
 * else the one its content carries (its kind's default, raised by what
 * it contains).
 */
static enum access_mark record_mark(struct copyset *cs, const json_t *r)
{
	enum access_mark m = MARK_NONE;
	struct error ignored = { 0 };
	char target[48];

	snprintf(target, sizeof(target), "record:%" JSON_INTEGER_FORMAT,
		 json_integer_value(json_object_get(r, "seq")));
	if (access_mark_override(cs->a, target, &m, &ignored) == 0)
		return m;
	return access_content_mark(cs->a, str_of(r, "kind") ?: "",
				   json_object_get(r, "fields"));
}

static bool is_requester(const json_t *req, const char *name)
{
	return name && (!strcmp(name, str_of(req, "requester") ?: "") ||
			(str_of(req, "on_behalf_of") &&
			 !strcmp(name, str_of(req, "on_behalf_of"))));
}

/* Whether the record's subject field names the requester (or the party
 * an agent represents): then its personal information is their own. */
static bool own_record(struct copyset *cs, const json_t *r)
{
	const char *field = str_of(json_object_get(cs->a->copies->req,
						   "subject_fields"),
				   str_of(r, "kind") ?: "");

	return field && is_requester(cs->in->request,
				     str_of(json_object_get(r, "fields"),
					    field));
}

/*
 * The reason the withhold_marks rule of mark withholds an item, or NULL:
 * its "unless" spares the applicant's own case file ("applicant") or a
 * record whose subject is the requester ("subject").
 */
static const char *mark_withheld(struct copyset *cs, enum access_mark mark,
				 const json_t *r)
{
	const json_t *rules = json_object_get(cs->a->copies->req,
					      "withhold_marks");
	const char *code = access_mark_code(mark), *unless;
	json_t *rule;
	size_t i;

	json_array_foreach(rules, i, rule) {
		if (strcmp(str_of(rule, "mark") ?: "", code))
			continue;
		unless = str_of(rule, "unless") ?: "";
		if (!strcmp(unless, "applicant") &&
		    is_requester(cs->in->request,
				 str_of(cs->in->case_view, "applicant")))
			return NULL;
		if (!strcmp(unless, "subject") && r && own_record(cs, r))
			return NULL;
		return str_of(rule, "reason");
	}
	return NULL;
}

/* The reason record r is withheld, or NULL when it is provided. */
static const char *record_withheld(struct copyset *cs, const json_t *r)
{
	const json_t *decision = json_object_get(cs->in->request, "decision");
	const json_t *settings = cs->a->copies->req;
	const char *kind = str_of(r, "kind") ?: "", *reason;
	json_t *w;
	size_t i;

	json_array_foreach(json_object_get(decision, "withhold"), i, w)
		if (json_integer_value(json_object_get(w, "record")) ==
		    json_integer_value(json_object_get(r, "seq")))
			return str_of(w, "reason");
	if (!json_is_object(json_object_get(r, "fields")))
		return "记录内容已依法删除";
	/* A correction is withheld like the record kind it corrects. */
	if (!strcmp(kind, "correction"))
		kind = str_of(json_object_get(r, "fields"), "kind") ?: kind;
	reason = reason_of(json_object_get(settings, "withhold_kinds"), "kind",
			   kind);
	return reason ? reason : mark_withheld(cs, record_mark(cs, r), r);
}

/* --- records as text ------------------------------------------------------ */

static const json_t *kind_def(struct copyset *cs, const char *code)
{
	const json_t *kinds = json_object_get(cases_kinds(cs->a->cases),
					      "kinds");
	json_t *k;
	size_t i;

	json_array_foreach(kinds, i, k)
		if (!strcmp(str_of(k, "code") ?: "", code))
			return k;
	return NULL;
}

/* The definition of field name among field_defs, or NULL. */
static const json_t *sub_def(const json_t *field_defs, const char *name)
{
	json_t *f;
	size_t i;

	json_array_foreach(field_defs, i, f)
		if (!strcmp(str_of(f, "name") ?: "", name))
			return f;
	return NULL;
}

static const char *label_of(const json_t *field_defs, const char *name)
{
	return str_of(sub_def(field_defs, name), "label");
}

static const json_t *sub_defs(const json_t *field_defs, const char *name)
{
	return json_object_get(sub_def(field_defs, name), "fields");
}

static void render_value(struct buf *b, const json_t *defs, const json_t *v,
			 int depth);

static void render_member(struct buf *b, const json_t *defs,
			  const char *key, const json_t *v, int depth)
{
	const char *label = label_of(defs, key);

	buf_printf(b, "%*s%s（%s）：", depth * 2, "", label ? label : key, key);
	render_value(b, sub_defs(defs, key), v, depth + 1);
}

/* Renders the members of obj in the order the kind defines its fields,
 * then the members it does not define (signatures, number...). */
static void render_members(struct buf *b, const json_t *defs,
			   const json_t *obj, int depth)
{
	const char *key, *name;
	json_t *v, *f;
	size_t i;

	json_array_foreach(defs, i, f) {
		name = str_of(f, "name");
		if (name && (v = json_object_get(obj, name)))
			render_member(b, defs, name, v, depth);
	}
	json_object_foreach((json_t *)obj, key, v)
		if (!sub_def(defs, key))
			render_member(b, defs, key, v, depth);
}

static void render_value(struct buf *b, const json_t *defs, const json_t *v,
			 int depth)
{
	json_t *item;
	size_t i;
	char *text;

	if (json_is_string(v)) {
		buf_printf(b, "%s\n", json_string_value(v));
	} else if (json_is_array(v)) {
		buf_putc(b, '\n');
		json_array_foreach(v, i, item) {
			buf_printf(b, "%*s- ", depth * 2, "");
			if (json_is_object(item)) {
				buf_putc(b, '\n');
				render_members(b, defs, item, depth + 1);
			} else {
				render_value(b, defs, item, depth + 1);
			}
		}
	} else if (json_is_object(v)) {
		buf_putc(b, '\n');
		render_members(b, defs, v, depth);
	} else {
		text = json_dumps(v, JSON_ENCODE_ANY);
		buf_printf(b, "%s\n", text ? text : "");
		free(text);
	}
}

static void render_record(struct copyset *cs, struct buf *b, const json_t *r,
			  const json_t *masked)
{
	const json_t *kind = kind_def(cs, str_of(r, "kind") ?: "");
	json_t *sup = json_object_get(r, "superseded_by");

	buf_printf(b, "%s\n\n", cs->mark);
	buf_printf(b, "记录 %" JSON_INTEGER_FORMAT " %s（%s）\n",
		   json_integer_value(json_object_get(r, "seq")),
		   str_of(r, "name") ?: "", str_of(r, "kind") ?: "");
	if (str_of(json_object_get(r, "fields"), "number"))
		buf_printf(b, "文书编号：%s\n",
			   str_of(json_object_get(r, "fields"), "number"));
	buf_printf(b, "发生时间：%s\n记录时间：%s\n",
		   str_of(r, "happened") ?: "", str_of(r, "recorded") ?: "");
	if (json_is_integer(sup))
		buf_printf(b, "本记录已由记录 %" JSON_INTEGER_FORMAT " 更正，"
			   "以下为更正后的内容\n", json_integer_value(sup));
	buf_puts(b, "\n");
	render_members(b, json_object_get(kind, "fields"), masked, 0);
}

/* --- records and files ---------------------------------------------------- */

static const json_t *find_record(const json_t *view, json_int_t seq)
{
	json_t *r;
	size_t i;

	json_array_foreach(json_object_get(view, "records"), i, r)
		if (json_integer_value(json_object_get(r, "seq")) == seq)
			return r;
	return NULL;
}

static void withhold_attachments(struct copyset *cs, const json_t *r)
{
	json_t *att;
	size_t i;
	char name[256];

	json_array_foreach(json_object_get(r, "attachments"), i, att) {
		snprintf(name, sizeof(name), "记录 %" JSON_INTEGER_FORMAT
			 " 的附件 %zu（%s）",
			 json_integer_value(json_object_get(r, "seq")), i,
			 str_of(att, "type") ?: "");
		withhold(cs, "attachment",
			 json_integer_value(json_object_get(r, "seq")), name,
			 "原件扫描件和签名图像无法遮盖他人个人信息，不提供复制；"
			 "可申请到窗口查阅");
	}
}

static int add_record(struct copyset *cs, json_int_t seq)
{
	const json_t *r = find_record(cs->in->case_view, seq);
	const char *reason = r ? record_withheld(cs, r) : "记录不存在";
	struct buf text = BUF_INIT_MAX((size_t)64 << 20);
	char base[160], name[200];
	json_t *masked, *doc;
	size_t count = 0;
	char *json_text;
	int rc;

	if (reason) {
		withhold(cs, "record", seq, r ? str_of(r, "name") : "", reason);
		return 0;
	}
	masked = masker_fields(cs->masker, str_of(r, "kind"),
			       json_object_get(r, "fields"), &count);
	snprintf(base, sizeof(base), "records/%06" JSON_INTEGER_FORMAT "-%s",
		 seq, str_of(r, "kind") ?: "record");
	render_record(cs, &text, r, masked);
	snprintf(name, sizeof(name), "%s.txt", base);
	rc = put_bytes(cs, name, text.data, text.len);
	doc = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:O}",
			"mark", cs->mark, "request",
			str_of(cs->in->request, "number") ?: "", "copy",
			cs->in->copy_id, "record", seq, "kind",
			str_of(r, "kind") ?: "", "name",
			str_of(r, "name") ?: "",
			"happened", str_of(r, "happened") ?: "", "recorded",
			str_of(r, "recorded") ?: "", "fields", masked);
	json_text = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	snprintf(name, sizeof(name), "%s.json", base);
	if (rc == 0)
		rc = json_text ? put_bytes(cs, name, json_text,
					   strlen(json_text))
			       : error_set(cs->err, CT_ENOMEM, "out of memory");
	if (rc == 0)
		json_array_append_new(cs->included, json_pack(
			"{s:s, s:I, s:s, s:s, s:I}", "item", "record", "seq",
			seq, "name", str_of(r, "name") ?: "", "file", base,
			"masked", (json_int_t)count));
	withhold_attachments(cs, r);
	free(json_text);
	json_decref(doc);
	json_decref(masked);
	buf_release(&text);
	return rc;
}

static int media_row(struct copyset *cs, json_int_t seq, json_t **row)
{
	struct buf body = BUF_INIT_MAX(1 << 20);
	struct store *s;
	int rc = ledger_read_begin(cs->a->ledger, &s, cs->err);

	*row = NULL;
	if (rc)
		return rc;
	rc = store_media_get(s, (uint64_t)seq, &body, cs->err);
	ledger_read_end(cs->a->ledger, s);
	if (rc == 0 && !(*row = json_loadb(body.data, body.len, 0, NULL)))
		rc = error_set(cs->err, CT_ECORRUPT, "the row of file %"
			       JSON_INTEGER_FORMAT " is not JSON", seq);
	buf_release(&body);
	return rc;
}

static const char *extension_of(const char *media_type)
{
	static const struct {
		const char *type, *ext;
	} exts[] = {
		{ "image/jpeg", "jpg" }, { "image/png", "png" },
		{ "image/heic", "heic" }, { "image/heif", "heif" },
		{ "video/mp4", "mp4" }, { "video/quicktime", "mov" },
		{ "video/x-msvideo", "avi" }, { "video/MP2T", "mts" },
		{ "audio/mpeg", "mp3" }, { "audio/x-wav", "wav" },
		{ "audio/mp4", "m4a" }, { "audio/amr", "amr" },
		{ "video/x-matroska", "mkv" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(exts); i++)
		if (media_type && !strcmp(exts[i].type, media_type))
			return exts[i].ext;
	return "bin";
}

/* Whether the container of ext can carry a "comment" tag. */
static bool taggable(const char *ext)
{
	static const char *const exts[] = {
		"mp4", "mov", "m4a", "mp3", "avi", "mkv",
	};

	for (size_t i = 0; i < ARRAY_SIZE(exts); i++)
		if (!strcmp(exts[i], ext))
			return true;
	return false;
}

/*
 * Writes an audio or video file with the mark in its metadata, remuxed
 * by a separate process. Returns 0 with *done set when it was written,
 * 0 with *done clear when the file could not be remuxed (the caller
 * copies it as stored), or an error of the archive.
 */
static int put_av(struct copyset *cs, const char *path, const char *name,
		  const char *ext, int64_t seq, bool *done)
{
	char out[PATH_MAX + 64];
	struct error why = { 0 };
	char quoted[ERROR_MSG_MAX + 64];
	int rc;

	*done = false;
	snprintf(out, sizeof(out), "%s/blobs/tmp/stamp-%s-%" PRId64 ".%s",
		 ledger_config(cs->a->ledger)->dir, cs->in->copy_id, seq, ext);
	if (stamp_av_run(NULL, path, out, cs->mark, STAMP_AV_SECONDS,
			 &why) != 0) {
		log_warn("copies", "media file copied without an embedded "
			 "mark", "seq=%" PRId64 " error=%s", seq,
			 log_quote(why.msg, quoted, sizeof(quoted)));
		return 0;
	}
	rc = put_file(cs, name, out);
	unlink(out);
	*done = rc == 0;
	return rc;
}

/* Writes a file of the request, with the mark inside when it can. */
static int put_media(struct copyset *cs, const json_t *row, const char *name,
		     const char **how)
{
	const char *type = str_of(row, "media_type");
	struct buf stamped = BUF_INIT_MAX(COPY_FILE_MAX);
	char path[PATH_MAX];
	int orientation = (int)json_integer_value(json_object_get(
		json_object_get(row, "probe"), "orientation"));
	int rc = ledger_blob_path(cs->a->ledger, str_of(row, "hash") ?: "",
				  path, sizeof(path), cs->err);

	const char *ext = extension_of(type);
	bool done = false;

	if (rc)
		return rc;
	*how = "name";
	if (type && !strcmp(type, "image/jpeg") &&
	    stamp_jpeg(path, cs->mark, orientation, &stamped, cs->err) == 0) {
		*how = "exif";
		rc = put_bytes(cs, name, stamped.data, stamped.len);
		done = true;
	} else if (taggable(ext)) {
		error_clear(cs->err);
		rc = put_av(cs, path, name, ext, json_integer_value(
				    json_object_get(row, "seq")), &done);
		if (done)
			*how = "metadata";
	}
	/* A file that cannot be marked inside is copied as stored. */
	if (rc == 0 && !done) {
		error_clear(cs->err);
		rc = put_file(cs, name, path);
	}
	buf_release(&stamped);
	return rc;
}

static int add_media(struct copyset *cs, const json_t *item)
{
	json_int_t seq = json_integer_value(json_object_get(item, "seq"));
	const char *reason = NULL, *how = NULL;
	enum access_mark mark = MARK_NONE;
	json_t *row = NULL;
	char name[640], requester[128];
	int rc = media_row(cs, seq, &row);

	if (rc == CT_ENOTFOUND) {
		error_clear(cs->err);
		withhold(cs, "media", seq, "", "文件不存在");
		return 0;
	}
	if (rc)
		return rc;
	if (access_media_mark(cs->a, row, &mark, cs->err) != 0) {
		json_decref(row);
		return cs->err->code ? cs->err->code : CT_EIO;
	}
	reason = mark_withheld(cs, mark, NULL);
	if (json_is_object(json_object_get(row, "purged")))
		reason = "已按保存期限删除";
	if (reason) {
		withhold(cs, "media", seq, str_of(row, "type"), reason);
		json_decref(row);
		return 0;
	}
	name_part(str_of(cs->in->request, "requester"), requester,
		  sizeof(requester));
	snprintf(name, sizeof(name), "media/%06" JSON_INTEGER_FORMAT
		 "_复制件_%s_%s_%s.%s", seq,
		 str_of(cs->in->request, "number") ?: "", requester,
		 cs->in->copy_id, extension_of(str_of(row, "media_type")));
	rc = put_media(cs, row, name, &how);
	if (rc == 0)
		json_array_append_new(cs->included, json_pack(
			"{s:s, s:I, s:s, s:s, s:s, s:s}", "item", "media",
			"seq", seq, "name", str_of(row, "type") ?: "", "file",
			name, "sha256_of_original", str_of(row, "sha256") ?: "",
			"marked", how));
	json_decref(row);
	return rc;
}

/* --- the manifest --------------------------------------------------------- */

/* Where the manifest says a file carries the mark. */
static const char *marked_where(const char *how)
{
	if (how && !strcmp(how, "exif"))
		return "文件名和 EXIF 图像说明";
	if (how && !strcmp(how, "metadata"))
		return "文件名和文件元数据（comment）";
	return "文件名";
}

static void manifest_item(struct buf *b, size_t i, const json_t *it)
{
	const char *item = str_of(it, "item") ?: "";
	json_int_t seq = json_integer_value(json_object_get(it, "seq"));

	if (!strcmp(item, "record"))
		buf_printf(b, "%zu. 记录 %" JSON_INTEGER_FORMAT " %s：%s.txt、"
			   "%s.json（遮盖他人个人信息 %" JSON_INTEGER_FORMAT
			   " 处）\n", i + 1, seq, str_of(it, "name") ?: "",
			   str_of(it, "file") ?: "", str_of(it, "file") ?: "",
			   json_integer_value(json_object_get(it, "masked")));
	else
		buf_printf(b, "%zu. 文件 %" JSON_INTEGER_FORMAT "（%s）：%s；"
			   "原件 SHA-256 %s；标记：%s\n", i + 1, seq,
			   str_of(it, "name") ?: "", str_of(it, "file") ?: "",
			   str_of(it, "sha256_of_original") ?: "",
			   marked_where(str_of(it, "marked")));
}

static void manifest_withheld(struct buf *b, size_t i, const json_t *it)
{
	const char *item = str_of(it, "item") ?: "";

	if (!strcmp(item, "attachment"))
		buf_printf(b, "%zu. %s：%s\n", i + 1, str_of(it, "name") ?: "",
			   str_of(it, "reason") ?: "");
	else
		buf_printf(b, "%zu. %s %" JSON_INTEGER_FORMAT " %s：%s\n", i + 1,
			   !strcmp(item, "record") ? "记录" : "文件",
			   json_integer_value(json_object_get(it, "seq")),
			   str_of(it, "name") ?: "",
			   str_of(it, "reason") ?: "");
}

static int put_manifest(struct copyset *cs, const char *date)
{
	const json_t *req = cs->in->request;
	const json_t *decision = json_object_get(req, "decision");
	struct buf b = BUF_INIT_MAX((size_t)16 << 20);
	size_t count = 0, i;
	char *purpose = masker_text(cs->masker, str_of(req, "purpose") ?: "",
				    &count);
	json_t *it, *doc;
	char *text;
	int rc;

	buf_printf(&b, "%s\n\n复制件清单\n\n", cs->mark);
	buf_printf(&b, "申请编号：%s\n案件：%s（%s）\n申请人：%s\n",
		   str_of(req, "number") ?: "", str_of(req, "case") ?: "",
		   str_of(json_object_get(cs->in->case_view, "matter"),
			  "name") ?: "",
		   str_of(req, "requester") ?: "");
	if (str_of(req, "on_behalf_of"))
		buf_printf(&b, "代理的当事人：%s\n", str_of(req, "on_behalf_of"));
	buf_printf(&b, "申请日期：%s\n申请用途：%s\n", str_of(req, "received")
		   ?: "", purpose ? purpose : "");
	buf_printf(&b, "批准：%s 于 %s 批准%s%s\n", str_of(decision, "actor") ?:
		   "", str_of(decision, "decided") ?: "",
		   str_of(decision, "reasons") ? "；理由：" : "",
		   str_of(decision, "reasons") ?: "");
	buf_printf(&b, "复制日期：%s\n份号：%s\n\n一、提供的材料\n", date,
		   cs->in->copy_id);
	json_array_foreach(cs->included, i, it)
		manifest_item(&b, i, it);
	if (!json_array_size(cs->included))
		buf_puts(&b, "（无）\n");
	buf_puts(&b, "\n二、不予提供的材料\n");
	json_array_foreach(cs->withheld, i, it)
		manifest_withheld(&b, i, it);
	if (!json_array_size(cs->withheld))
		buf_puts(&b, "（无）\n");
	buf_puts(&b, "\n三、说明\n本复制件中他人的姓名、身份证件号码、联系电话、"
		 "电子邮箱和地址已作遮盖处理。每个文件均标有申请编号、申请人、"
		 "复制日期和份号；本复制件的 SHA-256 和存储哈希记录于执法全过程"
		 "记录系统，可据以追溯其来源。\n");
	rc = put_bytes(cs, "manifest.txt", b.data, b.len);
	doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:O}", "mark",
			cs->mark, "request", str_of(req, "number") ?: "", "id",
			str_of(req, "id") ?: "", "requester",
			str_of(req, "requester") ?: "", "date", date, "copy",
			cs->in->copy_id, "included", cs->included, "withheld",
			cs->withheld);
	text = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	if (rc == 0)
		rc = text ? put_bytes(cs, "manifest.json", text, strlen(text))
			  : error_set(cs->err, CT_ENOMEM, "out of memory");
	free(text);
	free(purpose);
	json_decref(doc);
	buf_release(&b);
	return rc;
}

/* --- the whole set -------------------------------------------------------- */

static int write_items(struct copyset *cs)
{
	const json_t *req = cs->in->request;
	json_t *v;
	size_t i;
	int rc = 0;

	json_array_foreach(json_object_get(req, "records"), i, v) {
		rc = add_record(cs, json_integer_value(v));
		if (rc)
			return rc;
	}
	json_array_foreach(json_object_get(req, "media"), i, v) {
		rc = add_media(cs, v);
		if (rc)
			return rc;
	}
	return rc;
}

/*
 * Opens the archive on fd. The pax writer converts names through the
 * thread's locale, so the calling thread uses C.UTF-8 while it writes
 * (uselocale changes this thread alone); where that locale is missing,
 * names are stored as bytes and marked hdrcharset=BINARY.
 */
static int open_archive(struct copyset *cs, int fd, locale_t *utf8,
			locale_t *saved)
{
	*utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	*saved = *utf8 ? uselocale(*utf8) : (locale_t)0;
	cs->raw_names = !*utf8;
	if (!cs->ar || archive_write_set_format_pax_restricted(cs->ar) ||
	    (cs->raw_names &&
	     archive_write_set_options(cs->ar, "hdrcharset=BINARY")) ||
	    archive_write_open_fd(cs->ar, fd))
		return archive_failed(cs, "the header");
	return 0;
}

int copyset_write(struct access *a, const struct copy_set_in *in, int fd,
		  json_t **manifest, struct error *err)
{
	struct copyset cs = { a, in, archive_write_new(), NULL, "", "", false,
			      NULL, NULL, err };
	locale_t utf8 = (locale_t)0, saved = (locale_t)0;
	char date[11];
	int rc = 0;

	*manifest = NULL;
	day_format(day_of_ms(in->made_ms), date);
	snprintf(cs.mark, sizeof(cs.mark), "复制件 — 申请编号 %s 申请人 %s "
		 "日期 %s 份号 %s", str_of(in->request, "number") ?: "",
		 str_of(in->request, "requester") ?: "", date, in->copy_id);
	snprintf(cs.dir, sizeof(cs.dir), "copy-%s-%s",
		 str_of(in->request, "id") ?: "", in->copy_id);
	cs.included = json_array();
	cs.withheld = json_array();
	cs.masker = masker_new(a, in->case_view, in->request);
	if (!cs.ar || !cs.masker)
		rc = error_set(err, CT_ENOMEM, "out of memory");
	if (rc == 0)
		rc = open_archive(&cs, fd, &utf8, &saved);
	/* The manifest comes last: it lists what the items turned out to be. */
	if (rc == 0)
		rc = write_items(&cs);
	if (rc == 0)
		rc = put_manifest(&cs, date);
	if (rc == 0 && archive_write_close(cs.ar) != ARCHIVE_OK)
		rc = archive_failed(&cs, "the end");
	if (cs.ar)
		archive_write_free(cs.ar);
	if (utf8) {
		uselocale(saved);
		freelocale(utf8);
	}
	masker_free(cs.masker);
	if (rc == 0)
		*manifest = json_pack("{s:O, s:O}", "included", cs.included,
				      "withheld", cs.withheld);
	json_decref(cs.included);
	json_decref(cs.withheld);
	return rc;
}
