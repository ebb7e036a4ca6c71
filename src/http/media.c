/*
 * Audio-visual files over HTTP. This file ingests a small file from a
 * multipart form (POST /api/v1/media) and lists and reads files and
 * their chain of custody. It also records the acts on a file: a link to
 * a record, a stated capture time, a justification of a late upload. Large files come in
 * through tus (tus.c), and the stored bytes are served by
 * media_content.c. The media module (src/media/) does the work and
 * writes the entries; this file checks the input and shapes the replies.
 *
 * The metadata of a new file has the same keys whether it comes as tus
 * Upload-Metadata or as form fields, and is checked by
 * media_fields_set() for both. A file name is kept as data and never
 * used as a path.
 */
#include "common/common.h"

#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "api.h"
#include "common/jcs.h"
#include "common/log.h"

/* The largest file of a multipart form; bigger ones go through tus. */
#define FORM_FILE_MAX ((uint64_t)256 << 20)

/* The maximum length of a form field other than the file. */
#define FORM_FIELD_MAX 1024

/* libmicrohttpd's post processor buffer, at least 256 bytes. */
#define FORM_BUFFER 65536

enum field_id {
	FIELD_FILENAME,
	FIELD_CASE,
	FIELD_RECORD,
	FIELD_TYPE,
	FIELD_DEVICE,
	FIELD_OFFICER,
	FIELD_WINDOW,
	FIELD_CAPTURED,
	FIELD_CAPTURED_REASON,
	FIELD_DEVICE_COPY_DELETED,
	FIELD_MARK,
	FIELD_COUNT
};

static const char *const field_names[FIELD_COUNT] = {
	[FIELD_FILENAME] = "filename",
	[FIELD_CASE] = "case",
	[FIELD_RECORD] = "record",
	[FIELD_TYPE] = "type",
	[FIELD_DEVICE] = "device",
	[FIELD_OFFICER] = "officer",
	[FIELD_WINDOW] = "window",
	[FIELD_CAPTURED] = "captured",
	[FIELD_CAPTURED_REASON] = "captured_reason",
	[FIELD_DEVICE_COPY_DELETED] = "device_copy_deleted",
	[FIELD_MARK] = "mark",
};

#define FIELD_LIST                                                         \
	"filename, case, record, type, device, officer, window, captured, " \
	"captured_reason, device_copy_deleted and mark"

void media_fields_init(struct media_fields *f)
{
	memset(f, 0, sizeof(*f));
	f->record = -1;
}

/* Returns whether text contains a control character (C0 or DEL). */
static bool has_control(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return true;
	return false;
}

/* Copies a checked text value into out, or replies naming the key. */
static int copy_text(char *out, size_t n, const char *key, const char *text,
		     enum problem p, const char *source, struct reply *r)
{
	if (strlen(text) >= n)
		return reply_rejected(reply_problem_of(
		    r, p, "%s '%s' is longer than %zu bytes", source, key,
		    n - 1));
	memcpy(out, text, strlen(text) + 1);
	return 0;
}

/* Checks a file name: a name alone, never a path. */
static int check_filename(const char *text, enum problem p,
			  const char *source, struct reply *r)
{
	if (strchr(text, '/') || strchr(text, '\\') || !strcmp(text, ".") ||
	    !strcmp(text, "..") || strstr(text, "../") || strstr(text, "/.."))
		return reply_rejected(reply_problem_of(
		    r, p, "%s 'filename' = '%s' is a path; give the file's "
		    "own name without folders, '/', '\\\\' or '..'",
		    source, text));
	return 0;
}

static int parse_flag(const char *text, bool *out)
{
	if (!strcmp(text, "1") || !strcmp(text, "true"))
		*out = true;
	else if (!strcmp(text, "0") || !strcmp(text, "false"))
		*out = false;
	else
		return CT_EINVAL;
	return 0;
}

/* Sets one checked value; text is NUL-terminated valid UTF-8. */
static int set_field(struct media_fields *f, enum field_id id,
		     const char *text, enum problem p, const char *source,
		     struct reply *r)
{
	const char *key = field_names[id];
	uint64_t seq;

	switch (id) {
	case FIELD_FILENAME:
		if (check_filename(text, p, source, r))
			return CT_EINVAL;
		return copy_text(f->filename, sizeof(f->filename), key, text,
				 p, source, r);
	case FIELD_CASE:
		return copy_text(f->case_id, sizeof(f->case_id), key, text, p,
				 source, r);
	case FIELD_RECORD:
		if (http_parse_index(text, &seq))
			return reply_rejected(reply_problem_of(
			    r, p, "%s 'record' = '%s' is not a record seq; "
			    "give a decimal number without sign or leading "
			    "zeros", source, text));
		f->record = (int64_t)seq;
		return 0;
	case FIELD_TYPE:
		if (strcmp(text, "photo") && strcmp(text, "audio") &&
		    strcmp(text, "video") && strcmp(text, "surveillance"))
			return reply_rejected(reply_problem_of(
			    r, p, "%s 'type' = '%s' is unknown; give photo, "
			    "audio, video or surveillance, or leave it out to "
			    "take it from the content", source, text));
		return copy_text(f->type, sizeof(f->type), key, text, p,
				 source, r);
	case FIELD_DEVICE:
		return copy_text(f->device, sizeof(f->device), key, text, p,
				 source, r);
	case FIELD_OFFICER:
		return copy_text(f->officer, sizeof(f->officer), key, text, p,
				 source, r);
	case FIELD_WINDOW:
		return copy_text(f->window, sizeof(f->window), key, text, p,
				 source, r);
	case FIELD_CAPTURED:
		if (cases_time_parse(text, &f->captured_ms))
			return reply_rejected(reply_problem_of(
			    r, p, "%s 'captured' = '%s' is not a valid time; "
			    "give RFC 3339 such as 2026-12-04T09:30:00+08:00",
			    source, text));
		f->has_captured = true;
		return 0;
	case FIELD_CAPTURED_REASON:
		return copy_text(f->captured_reason,
				 sizeof(f->captured_reason), key, text, p,
				 source, r);
	case FIELD_DEVICE_COPY_DELETED:
		if (parse_flag(text, &f->device_copy_deleted))
			return reply_rejected(reply_problem_of(
			    r, p, "%s 'device_copy_deleted' = '%s' is "
			    "invalid; give 1 or 0 (true or false)", source,
			    text));
		return 0;
	case FIELD_MARK: {
		struct error why = { 0 };
		enum access_mark m;

		/* state-secret: such material is never stored at all. */
		if (access_mark_parse(text, &m, &why) != 0)
			return reply_rejected(reply_problem_of(
			    r, p, "%s 'mark': %s", source, why.msg));
		return copy_text(f->mark, sizeof(f->mark), key,
				 access_mark_code(m), p, source, r);
	}
	case FIELD_COUNT:
		break;
	}
	return CT_EINVAL;
}

int media_fields_set(struct media_fields *f, const char *key,
		     const char *value, size_t len, enum problem p,
		     const char *source, struct reply *r)
{
	char quoted[HTTP_QUOTE_MAX], text[FORM_FIELD_MAX + 1];
	int id;

	for (id = 0; id < FIELD_COUNT && strcmp(key, field_names[id]); id++)
		;
	if (id == FIELD_COUNT)
		return reply_rejected(reply_problem_of(
		    r, p, "%s key '%s' is unknown; the keys are " FIELD_LIST,
		    source, http_quote(key, quoted, sizeof(quoted))));
	if (f->seen & (1u << id))
		return reply_rejected(reply_problem_of(
		    r, p, "%s key '%s' is given more than once", source, key));
	f->seen |= 1u << id;
	if (len == 0)
		return reply_rejected(reply_problem_of(
		    r, p, "%s '%s' is empty; give a value or leave it out",
		    source, key));
	if (len > FORM_FIELD_MAX || memchr(value, '\0', len) ||
	    !jcs_utf8_valid(value, len))
		return reply_rejected(reply_problem_of(
		    r, p, "%s '%s' is not UTF-8 text of at most %d bytes",
		    source, key, FORM_FIELD_MAX));
	memcpy(text, value, len);
	text[len] = '\0';
	if (has_control(text))
		return reply_rejected(reply_problem_of(
		    r, p, "%s '%s' contains a control character; give one "
		    "line of text", source, key));
	return set_field(f, (enum field_id)id, text, p, source, r);
}

int media_fields_check(const struct media_fields *f, enum problem p,
		       const char *source, struct reply *r)
{
	if (!f->device[0])
		return reply_rejected(reply_problem_of(
		    r, p, "%s has no 'device'; give the camera or recorder "
		    "that made the file", source));
	if (f->has_captured && !f->captured_reason[0])
		return reply_rejected(reply_problem_of(
		    r, p, "%s has 'captured' without 'captured_reason'; say "
		    "why the stated capture time replaces the file's own",
		    source));
	if (!f->has_captured && f->captured_reason[0])
		return reply_rejected(reply_problem_of(
		    r, p, "%s has 'captured_reason' without 'captured'; give "
		    "the capture start it explains", source));
	return 0;
}

/* Fills req from the checked fields f, for the file fd (-1: none yet). */
static void fields_req(const struct media_fields *f, int fd,
		       struct media_ingest_req *req)
{
	*req = (struct media_ingest_req){
		.fd = fd,
		.name = f->filename[0] ? f->filename : NULL,
		.case_id = f->case_id[0] ? f->case_id : NULL,
		.record_seq = f->record,
		.type = f->type[0] ? f->type : NULL,
		.device = f->device,
		.officer = f->officer[0] ? f->officer : NULL,
		.window = f->window[0] ? f->window : NULL,
		.has_captured = f->has_captured,
		.captured_ms = f->captured_ms,
		.captured_reason = f->captured_reason[0] ? f->captured_reason
							 : NULL,
		.device_copy_deleted = f->device_copy_deleted,
		.mark = f->mark[0] ? f->mark : NULL,
	};
}

/*
 * Evidence of a case is added by those who take part in it: the case of
 * f, or of its record, needs ACT_MEDIA_LINK. Returns 0, CT_EINVAL with a
 * problem in r, or a server error.
 */
static int allow_case(struct api_call *call, const struct media_fields *f,
		      struct reply *r, struct error *err)
{
	struct access_target t = { 0 };
	char case_id[CASE_ID_MAX + 1] = "";
	bool denied;
	int rc;

	if (f->record >= 0) {
		rc = access_record_case(call->s->access, (uint64_t)f->record,
					case_id, NULL, err);
		if (rc)
			return reply_rejected(reply_error(r, rc, err));
	}
	t.case_id = f->case_id[0] ? f->case_id : case_id[0] ? case_id : NULL;
	if (!t.case_id)
		return 0;
	rc = api_allow(call, ACT_MEDIA_LINK, &t, r, &denied, err);
	return rc ? rc : denied ? CT_EINVAL : 0;
}

int media_fields_accept(struct api_call *call, const struct media_fields *f,
		        struct reply *r, struct error *err)
{
	struct media_ingest_req req;
	int rc;

	fields_req(f, -1, &req);
	rc = media_ingest_check(call->s->media, &req, &call->actor, err);
	if (rc)
		return reply_rejected(reply_error(r, rc, err));
	return allow_case(call, f, r, err);
}

int media_ingest_fd(struct api_call *call, int fd,
		    const struct media_fields *f, json_t **out,
		    struct reply *r, struct error *err)
{
	struct media_ingest_req req;
	int rc;

	fields_req(f, fd, &req);
	*out = NULL;
	rc = allow_case(call, f, r, err);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	if (lseek(fd, 0, SEEK_SET) != 0)
		return error_set(err, CT_EIO, "cannot rewind a file to ingest: "
				 "%s", strerror(errno));
	/*
	 * NOTE: hashing, copying and probing the file run on the server
	 * thread of the connection, as with /api/v1/uploads.
	 */
	rc = media_ingest(call->s->media, &req, &call->actor, out, err);
	if (rc)
		return reply_error(r, rc, err);
	return 0;
}

/* The multipart form being received: its file and its other fields. */
struct media_form {
	struct MHD_PostProcessor *pp;
	int fd;              /* the file part, spooled; -1 before it */
	uint64_t file_size;
	int file_parts;
	char part_name[256]; /* the file part's own filename */
	struct {
		char key[32];
		char value[FORM_FIELD_MAX + 1];
		size_t len;
	} fields[FIELD_COUNT];
	size_t nfields;
	bool too_big;        /* the file passed FORM_FILE_MAX */
	char problem[512];   /* the first malformed part, for the reply */
	uint64_t dropped;
};

/* Records the first problem of the form; later parts are ignored. */
static void form_fail(struct media_form *form, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void form_fail(struct media_form *form, const char *fmt, ...)
{
	va_list ap;

	if (form->problem[0])
		return;
	va_start(ap, fmt);
	vsnprintf(form->problem, sizeof(form->problem), fmt, ap);
	va_end(ap);
}

/* Appends a piece of the file part to the spool file. */
static enum MHD_Result form_file(struct media_form *form,
				 const char *filename, const char *data,
				 uint64_t off, size_t size)
{
	if (off == 0 && ++form->file_parts > 1)
		form_fail(form, "the form has more than one 'file' part; send "
			  "one file per request");
	if (off == 0 && filename)
		snprintf(form->part_name, sizeof(form->part_name), "%s",
			 filename);
	if (form->problem[0] || form->too_big)
		return MHD_YES;
	if (size > FORM_FILE_MAX - form->file_size) {
		form->too_big = true;
		return MHD_YES;
	}
	if (pwrite(form->fd, data, size, (off_t)form->file_size) !=
	    (ssize_t)size) {
		log_error("http", "cannot write a form's file to its temporary "
			  "file", "bytes=%" PRIu64 " error=\"%s\"",
			  form->file_size, strerror(errno));
		return MHD_NO;
	}
	form->file_size += size;
	return MHD_YES;
}

/* Appends a piece of a field other than the file. */
static void form_field(struct media_form *form, const char *key,
		       const char *data, uint64_t off, size_t size)
{
	char quoted[HTTP_QUOTE_MAX];
	size_t i;

	for (i = 0; i < form->nfields && strcmp(form->fields[i].key, key); i++)
		;
	if (off == 0 && i < form->nfields) {
		form_fail(form, "form field '%s' is given more than once",
			  http_quote(key, quoted, sizeof(quoted)));
		return;
	}
	if (i == form->nfields) {
		if (i == FIELD_COUNT || strlen(key) >= sizeof(form->fields[i].key)) {
			form_fail(form, "form field '%s' is unknown; the form "
				  "takes file and " FIELD_LIST,
				  http_quote(key, quoted, sizeof(quoted)));
			return;
		}
		snprintf(form->fields[i].key, sizeof(form->fields[i].key), "%s",
			 key);
		form->nfields++;
	}
	if (size > FORM_FIELD_MAX - form->fields[i].len) {
		form_fail(form, "form field '%s' is longer than %d bytes",
			  key, FORM_FIELD_MAX);
		return;
	}
	memcpy(form->fields[i].value + form->fields[i].len, data, size);
	form->fields[i].len += size;
}

static enum MHD_Result form_iterate(void *cls, enum MHD_ValueKind kind,
				    const char *key, const char *filename,
				    const char *content_type,
				    const char *transfer_encoding,
				    const char *data, uint64_t off,
				    size_t size)
{
	struct media_form *form = cls;

	(void)kind, (void)content_type, (void)transfer_encoding;
	if (!strcmp(key, "file"))
		return form_file(form, filename, data, off, size);
	if (!form->problem[0])
		form_field(form, key, data, off, size);
	return MHD_YES;
}

/* Returns whether the media type of a Content-Type is multipart/form-data. */
static bool is_form_type(const char *type)
{
	static const char form_type[] = "multipart/form-data";
	size_t len = type ? strcspn(type, "; \t") : 0;

	return len == sizeof(form_type) - 1 &&
	       !strncasecmp(type, form_type, len);
}

static int reply_form_too_big(struct reply *r)
{
	return reply_problem_of(r, PROBLEM_BODY_TOO_LARGE,
				"the form's file is larger than %" PRIu64
				" bytes (256 MiB), the limit of a form; send "
				"larger files with tus (POST "
				"/api/v1/media/tus)",
				FORM_FILE_MAX);
}

int media_form_begin(struct server *s, struct MHD_Connection *c,
		     struct request *rq, struct reply *r, struct error *err)
{
	const char *type, *length;
	char quoted[HTTP_QUOTE_MAX];
	struct media_form *form;
	uint64_t declared;
	int rc;

	rc = query_check(c, (const char *const[]){ NULL }, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	type = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					   MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!is_form_type(type))
		return reply_problem_of(
		    r, PROBLEM_UNSUPPORTED_MEDIA_TYPE,
		    "Content-Type '%s' is not supported; send the file and "
		    "its fields as multipart/form-data",
		    http_quote(type ? type : "", quoted, sizeof(quoted)));
	length = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					     MHD_HTTP_HEADER_CONTENT_LENGTH);
	/* The fields and part headers add a few KiB to the file. */
	if (length && http_parse_index(length, &declared) == 0 &&
	    declared > FORM_FILE_MAX + 64 * 1024)
		return reply_form_too_big(r);

	form = calloc(1, sizeof(*form));
	if (!form)
		return error_set(err, CT_ENOMEM, "out of memory");
	form->fd = upload_spool_open(s->upload_dir, err);
	if (form->fd < 0) {
		rc = form->fd;
		free(form);
		return rc;
	}
	/* A request rejected before its body is routed again after it. */
	media_form_release(rq);
	rq->form = form;
	form->pp = MHD_create_post_processor(c, FORM_BUFFER, form_iterate,
					     form);
	if (!form->pp) {
		media_form_release(rq);
		return reply_problem_of(
		    r, PROBLEM_UNSUPPORTED_MEDIA_TYPE,
		    "the multipart/form-data body has no boundary parameter; "
		    "send Content-Type: multipart/form-data; boundary=...");
	}
	return ROUTE_CONTINUE;
}

enum MHD_Result media_form_receive(struct request *rq, const char *data,
				   size_t size)
{
	struct media_form *form = rq->form;

	rq->upload_seen += size;
	if (!form->pp || form->too_big) {
		form->dropped += size;
		return form->dropped <= DRAIN_MAX ? MHD_YES : MHD_NO;
	}
	return MHD_post_process(form->pp, data, size);
}

void media_form_release(struct request *rq)
{
	struct media_form *form = rq->form;

	if (!form)
		return;
	if (form->pp)
		MHD_destroy_post_processor(form->pp);
	if (form->fd >= 0)
		close(form->fd);
	free(form);
	rq->form = NULL;
}

/* Reads the fields of a received form into f; replies 413 or 422. */
static int read_form(struct media_form *form, struct media_fields *f,
		     struct reply *r)
{
	static const char source[] = "form field";
	int rc;

	media_fields_init(f);
	if (form->too_big)
		return reply_rejected(reply_form_too_big(r));
	if (form->problem[0])
		return reply_rejected(reply_problem_of(
		    r, PROBLEM_VALIDATION_FAILED, "%s", form->problem));
	if (form->file_parts == 0)
		return reply_rejected(reply_problem_of(
		    r, PROBLEM_VALIDATION_FAILED,
		    "the form has no 'file' part; send the file as a part "
		    "named file"));
	for (size_t i = 0; i < form->nfields; i++) {
		rc = media_fields_set(f, form->fields[i].key,
				      form->fields[i].value,
				      form->fields[i].len,
				      PROBLEM_VALIDATION_FAILED, source, r);
		if (rc)
			return rc;
	}
	/* Without a filename field, the part's own name is kept. */
	if (!f->filename[0] && form->part_name[0]) {
		rc = media_fields_set(f, "filename", form->part_name,
				      strlen(form->part_name),
				      PROBLEM_VALIDATION_FAILED,
				      "file part", r);
		if (rc)
			return rc;
	}
	return media_fields_check(f, PROBLEM_VALIDATION_FAILED, "the form",
				  r);
}

/* Fills r with 201, the Location of media seq and out. */
static int reply_created(struct reply *r, json_t *out)
{
	json_t *seq = json_object_get(out, "seq");
	int rc;

	if (json_is_integer(seq))
		snprintf(r->location, sizeof(r->location),
			 "/api/v1/media/%" PRId64,
			 (int64_t)json_integer_value(seq));
	rc = reply_json(r, out, CACHE_NONE);
	r->status = MHD_HTTP_CREATED;
	return rc;
}

int create_media(struct api_call *call, struct reply *r, struct error *err)
{
	struct media_form *form = call->rq->form;
	struct media_fields f;
	json_t *out = NULL;
	int rc;

	if (!form)
		return error_set(err, CT_EIO, "the form has no state");
	/* Destroying the processor delivers the last buffered field. */
	if (form->pp && MHD_destroy_post_processor(form->pp) != MHD_YES)
		form_fail(form, "the multipart/form-data body is malformed or "
			  "cut short; check its boundary and final delimiter");
	form->pp = NULL;
	rc = read_form(form, &f, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	rc = media_ingest_fd(call, form->fd, &f, &out, r, err);
	if (rc || !out)
		return rc;
	return reply_created(r, out);
}

/* Parses the seq path parameter; replies 400 when it is malformed. */
static int read_seq(const char *text, uint64_t *seq, struct reply *r)
{
	char quoted[HTTP_QUOTE_MAX];

	if (http_parse_index(text, seq) == 0)
		return 0;
	return reply_rejected(reply_problem_of(
	    r, PROBLEM_INVALID_PATH,
	    "media seq '%s' is invalid; use the decimal seq of a "
	    "media-ingest entry, without sign or leading zeros",
	    http_quote(text, quoted, sizeof(quoted))));
}

/*
 * Reads the row of media seq and asks whether the caller may do act on
 * it, in its case and, for its content, at its mark (*mark, may be NULL).
 * Returns 0 with *row, CT_EINVAL with a problem in r, or a server error.
 */
int media_allow(struct api_call *call, enum access_action act, uint64_t seq,
		json_t **row, enum access_mark *mark, struct reply *r,
		struct error *err)
{
	struct access_target t = { 0 };
	bool denied;
	int rc = media_get(call->s->media, seq, row, err);

	if (rc)
		return reply_rejected(reply_error(r, rc, err));
	t.case_id = json_string_value(json_object_get(*row, "case"));
	rc = access_media_mark(call->s->access, *row, &t.mark, err);
	if (rc == 0)
		rc = api_allow(call, act, &t, r, &denied, err);
	if (rc == 0 && denied)
		rc = CT_EINVAL;
	if (rc) {
		json_decref(*row);
		*row = NULL;
		return rc;
	}
	json_object_set_new(*row, "mark", json_string(access_mark_code(
						    t.mark)));
	if (mark)
		*mark = t.mark;
	return 0;
}

/*
 * Whether the caller may read the metadata of files of case_id (NULL: of
 * no case), remembered per case in seen for one listing.
 */
static int may_list(struct api_call *call, const char *case_id, json_t *seen,
		    bool *ok, struct error *err)
{
	struct access_target t = { .case_id = case_id };
	struct error why = { 0 };
	json_t *known = json_object_get(seen, case_id ? case_id : "");
	int rc;

	if (known) {
		*ok = json_is_true(known);
		return 0;
	}
	rc = access_decide(call->s->access, call->who, ACT_MEDIA_READ, &t,
			   &why);
	if (rc && rc != CT_EPERM && rc != CT_ENOTFOUND)
		return error_set(err, rc, "%s", why.msg);
	*ok = rc == 0;
	json_object_set_new(seen, case_id ? case_id : "", json_boolean(*ok));
	return 0;
}

/*
 * Lists the files of q that the caller may see, for a caller whose
 * scope is their cases: every page of the store's list is read, and the
 * page asked for is cut from what remains.
 */
static int list_visible(struct api_call *call, const struct media_query *q,
			json_t **out, struct error *err)
{
	struct media_query all = *q;
	json_t *items = json_array(), *seen = json_object(), *page, *item;
	size_t kept = 0, i, limit = q->limit ? q->limit : QUERY_LIMIT_DEFAULT;
	uint64_t total;
	int rc = 0;

	all.limit = QUERY_LIMIT_MAX;
	for (all.offset = 0;; all.offset += QUERY_LIMIT_MAX) {
		rc = media_list(call->s->media, &all, &page, err);
		if (rc)
			break;
		total = (uint64_t)json_integer_value(json_object_get(page,
								     "total"));
		json_array_foreach(json_object_get(page, "items"), i, item) {
			bool ok = false;

			rc = may_list(call, json_string_value(json_object_get(
						    item, "case")),
				      seen, &ok, err);
			if (rc)
				break;
			if (ok && kept++ >= q->offset &&
			    json_array_size(items) < limit)
				json_array_append(items, item);
		}
		json_decref(page);
		if (rc || all.offset + QUERY_LIMIT_MAX >= total)
			break;
	}
	json_decref(seen);
	if (rc) {
		json_decref(items);
		return rc;
	}
	*out = json_pack("{s:o, s:I, s:I, s:I}", "items", items, "total",
			 (json_int_t)kept, "offset", (json_int_t)q->offset,
			 "limit", (json_int_t)limit);
	return *out ? 0 : error_set(err, CT_ENOMEM, "out of memory");
}

int serve_media_list(struct api_call *call, struct reply *r,
		     struct error *err)
{
	static const char *const names[] = { "case",   "type",   "window",
					     "hash",   "offset", "limit",
					     NULL };
	struct media_query q = { 0 };
	json_t *out = NULL;
	int rc;

	rc = query_check(call->c, names, r);
	if (rc == 0)
		rc = query_text(call->c, "case", &q.case_id, r);
	if (rc == 0)
		rc = query_text(call->c, "type", &q.type, r);
	if (rc == 0)
		rc = query_text(call->c, "window", &q.window, r);
	if (rc == 0)
		rc = query_text(call->c, "hash", &q.hash, r);
	if (rc == 0)
		rc = query_page(call->c, &q.offset, &q.limit, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	/* A list of one case is that case's; any other is filtered. */
	if (q.case_id) {
		struct access_target t = { .case_id = q.case_id };
		bool denied;

		rc = api_allow(call, ACT_MEDIA_READ, &t, r, &denied, err);
		if (rc || denied)
			return rc;
		rc = media_list(call->s->media, &q, &out, err);
	} else if (access_bureau_wide(call->who, ACT_MEDIA_READ)) {
		rc = media_list(call->s->media, &q, &out, err);
	} else {
		rc = list_visible(call, &q, &out, err);
	}
	if (rc)
		return api_query_error(r, rc, err);
	return reply_json(r, out, CACHE_NONE);
}

int serve_media(struct api_call *call, struct reply *r, struct error *err)
{
	json_t *out = NULL;
	uint64_t seq;
	int rc;

	rc = query_check(call->c, (const char *const[]){ NULL }, r);
	if (rc == 0)
		rc = read_seq(call->params[0], &seq, r);
	if (rc == 0)
		rc = media_allow(call, ACT_MEDIA_READ, seq, &out, NULL, r, err);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	return reply_json(r, out, CACHE_NONE);
}

int serve_media_custody(struct api_call *call, struct reply *r,
			struct error *err)
{
	json_t *row = NULL, *out = NULL;
	const char *hash;
	uint64_t seq;
	int rc;

	rc = query_check(call->c, (const char *const[]){ NULL }, r);
	if (rc == 0)
		rc = read_seq(call->params[0], &seq, r);
	if (rc == 0)
		rc = media_allow(call, ACT_MEDIA_READ, seq, &row, NULL, r, err);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	hash = json_string_value(json_object_get(row, "hash"));
	if (rc == 0 && !hash)
		rc = error_set(err, CT_ECORRUPT, "media %" PRIu64 " has no "
			       "hash", seq);
	if (rc == 0)
		rc = media_custody(call->s->media, hash, &out, err);
	json_decref(row);
	if (rc)
		return reply_error(r, rc, err);
	return reply_json(r, out, CACHE_NONE);
}

/* Replies 422 unless every member of body is in names. */
static int check_members(const json_t *body, const char *const *names,
			 const char *expected, struct reply *r)
{
	const char *key;
	json_t *value;

	json_object_foreach((json_t *)body, key, value)
	{
		size_t i;

		for (i = 0; names[i] && strcmp(names[i], key) != 0; i++)
			;
		if (!names[i])
			return reply_rejected(reply_problem_of(
			    r, PROBLEM_VALIDATION_FAILED,
			    "member '%s' is unknown; the body takes %s", key,
			    expected));
	}
	return 0;
}

/* Reads the required string member name of body. */
static int string_member(const json_t *body, const char *name,
			 const char **out, struct reply *r)
{
	const json_t *v = json_object_get(body, name);

	*out = json_string_value(v);
	if (*out && **out)
		return 0;
	return reply_rejected(reply_problem_of(
	    r, PROBLEM_VALIDATION_FAILED,
	    v ? "member '%s' must be a non-empty string"
	      : "member '%s' is missing", name));
}

/*
 * Reads the seq of the path, checks the members of the body, and asks
 * whether the caller may act on the file in its case (ACT_MEDIA_LINK).
 */
static int begin_act(struct api_call *call, const char *const *members,
		     const char *expected, uint64_t *seq, struct reply *r,
		     struct error *err)
{
	json_t *row = NULL;
	int rc = query_check(call->c, (const char *const[]){ NULL }, r);

	if (rc == 0)
		rc = read_seq(call->params[0], seq, r);
	if (rc == 0)
		rc = check_members(call->body, members, expected, r);
	if (rc == 0)
		rc = media_allow(call, ACT_MEDIA_LINK, *seq, &row, NULL, r,
				 err);
	json_decref(row);
	return rc;
}

/* Finishes an act: a problem from the media module, or 201 and out. */
static int finish_act(int rc, json_t *out, uint64_t seq, struct reply *r,
		      const struct error *err)
{
	if (rc)
		return reply_error(r, rc, err);
	rc = reply_json(r, out, CACHE_NONE);
	snprintf(r->location, sizeof(r->location), "/api/v1/media/%" PRIu64,
		 seq);
	r->status = MHD_HTTP_CREATED;
	return rc;
}

/* A link names a record: the caller must take part in its case too. */
static int allow_record(struct api_call *call, uint64_t seq, struct reply *r,
			struct error *err)
{
	char case_id[CASE_ID_MAX + 1];
	struct access_target t = { .case_id = case_id };
	bool denied;
	int rc = access_record_case(call->s->access, seq, case_id, NULL, err);

	if (rc == CT_ENOTFOUND) {
		/* The media module names the unknown record itself. */
		error_clear(err);
		return 0;
	}
	if (rc == 0 && case_id[0])
		rc = api_allow(call, ACT_MEDIA_LINK, &t, r, &denied, err);
	if (rc == 0 && case_id[0] && denied)
		rc = CT_EINVAL;
	return rc;
}

int link_media(struct api_call *call, struct reply *r, struct error *err)
{
	static const char *const members[] = { "record", NULL };
	const json_t *record;
	json_t *out = NULL;
	uint64_t seq;
	int rc;

	rc = begin_act(call, members, "record", &seq, r, err);
	record = json_object_get(call->body, "record");
	if (rc == 0 && (!json_is_integer(record) ||
			json_integer_value(record) < 0))
		rc = reply_rejected(reply_problem_of(
		    r, PROBLEM_VALIDATION_FAILED,
		    "member 'record' must be the seq of a record: an integer "
		    "of 0 or more"));
	if (rc == 0)
		rc = allow_record(call, (uint64_t)json_integer_value(record), r,
				  err);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	rc = media_link(call->s->media, seq,
			(uint64_t)json_integer_value(record), &call->actor,
			&out, err);
	return finish_act(rc, out, seq, r, err);
}

int state_media_capture(struct api_call *call, struct reply *r,
			struct error *err)
{
	static const char *const members[] = { "start", "reason", NULL };
	const char *start = NULL, *reason = NULL;
	json_t *out = NULL;
	int64_t start_ms = 0;
	uint64_t seq;
	int rc;

	rc = begin_act(call, members, "start and reason", &seq, r, err);
	if (rc == 0)
		rc = string_member(call->body, "start", &start, r);
	if (rc == 0)
		rc = string_member(call->body, "reason", &reason, r);
	if (rc == 0 && cases_time_parse(start, &start_ms))
		rc = reply_rejected(reply_problem_of(
		    r, PROBLEM_VALIDATION_FAILED,
		    "member 'start' = '%s' is not a valid time; give RFC 3339 "
		    "such as 2026-12-04T09:30:00+08:00", start));
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	rc = media_state_capture(call->s->media, seq, start_ms, reason,
				 &call->actor, &out, err);
	return finish_act(rc, out, seq, r, err);
}

int justify_media(struct api_call *call, struct reply *r, struct error *err)
{
	static const char *const members[] = { "reason", "approved_by", NULL };
	const char *reason = NULL, *approved_by = NULL;
	json_t *out = NULL;
	uint64_t seq;
	int rc;

	rc = begin_act(call, members, "reason and approved_by", &seq, r,
		       err);
	if (rc == 0)
		rc = string_member(call->body, "reason", &reason, r);
	if (rc == 0)
		rc = string_member(call->body, "approved_by", &approved_by, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	rc = media_justify(call->s->media, seq, reason, approved_by,
			   &call->actor, &out, err);
	return finish_act(rc, out, seq, r, err);
}
