/*
 * File uploads: POST /api/v1/uploads takes one file as the raw request
 * body, of any Content-Type, and stores it in the blob store. The reply
 * gives its hashes, size and sniffed media type, and records then name
 * it by hash in their "attachments" (records.c). Evidence is never
 * rejected for its content, only for its size.
 *
 * The body is written to disk as it arrives, into an unnamed file in the
 * blob store's tmp folder, so memory use does not depend on the file
 * size. The file has no name, so closing it frees it, and a client that
 * disconnects or a server that dies leaves nothing behind. Once the body
 * is complete, ledger_attach_fd copies it into the blob store under its
 * hash, where the same bytes uploaded twice are one file.
 *
 * ?mark=MARK names the confidentiality mark the file will have as part
 * of its record; "state-secret" is rejected before any byte is stored,
 * since such material is never kept in casetrail.
 *
 * NOTE: libmicrohttpd 0.9.75 in epoll mode may notice that a client
 * closed the connection mid-upload only at the connection timeout
 * (CONNECTION_TIMEOUT_S, 30 s). That happens when the close arrives
 * before the server has read the data sent ahead of it. The temporary
 * file is freed when the request ends, so up to that timeout later.
 *
 * NOTE: a file uploaded but never named by a record stays in the blob
 * store. Neither verify nor the expunge cleanup removes such files.
 */
#include "common/common.h"

#include <fcntl.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "api.h"
#include "common/jcs.h"
#include "common/log.h"

#define UPLOAD_MAX_ENV "CASETRAIL_UPLOAD_MAX"

int upload_max_from_env(uint64_t *out, struct error *err)
{
	const char *text = getenv(UPLOAD_MAX_ENV);
	char quoted[HTTP_QUOTE_MAX];

	*out = HTTP_UPLOAD_MAX_DEFAULT;
	if (!text)
		return 0;
	if (http_parse_index(text, out) == 0 && *out > 0)
		return 0;
	return error_set(err, CT_EINVAL, UPLOAD_MAX_ENV " '%s' is invalid; "
			 "give the maximum size of one uploaded file in "
			 "bytes, from 1 to 2^63 - 1, such as 2147483648 "
			 "(2 GiB, the default)",
			 http_quote(text, quoted, sizeof(quoted)));
}

static int reply_upload_too_big(struct reply *r, uint64_t max)
{
	return reply_problem_of(r, PROBLEM_BODY_TOO_LARGE,
				"the upload is larger than %" PRIu64 " bytes, "
				"the server's limit for one file; ask the "
				"operator to raise " UPLOAD_MAX_ENV " if the "
				"file must be kept whole",
				max);
}

/* Copies a parameter value at *p, a quoted-string or a token, into out
 * and moves *p past it. */
static void read_param_value(const char **p, char *out, size_t n)
{
	const char *s = *p;
	size_t o = 0;

	if (*s == '"') {
		for (s++; *s && *s != '"'; s++) {
			if (*s == '\\' && s[1])
				s++;
			if (o + 1 < n)
				out[o++] = *s;
		}
		if (*s == '"')
			s++;
	} else {
		for (; *s && *s != ';' && *s != ' ' && *s != '\t'; s++)
			if (o + 1 < n)
				out[o++] = *s;
	}
	out[o] = '\0';
	*p = s;
}

/*
 * Copies the filename parameter of a Content-Disposition value into out
 * (n > 0). Without one, it copies filename* (RFC 8187) as sent, still
 * percent-encoded, and otherwise leaves out empty. The name only goes
 * to the log.
 */
static void disposition_filename(const char *value, char *out, size_t n)
{
	char extended[256] = "", other[256];
	const char *p = value;

	out[0] = '\0';
	while ((p = strchr(p, ';')) != NULL) {
		const char *name;
		size_t len;

		p += 1 + strspn(p + 1, " \t");
		name = p;
		len = strcspn(p, "= \t;");
		p += len;
		p += strspn(p, " \t");
		if (*p != '=')
			continue;
		p += 1 + strspn(p + 1, " \t");
		if (len == 8 && !strncasecmp(name, "filename", len)) {
			read_param_value(&p, out, n);
			return;
		}
		if (len == 9 && !strncasecmp(name, "filename*", len))
			read_param_value(&p, extended, sizeof(extended));
		else
			read_param_value(&p, other, sizeof(other));
	}
	snprintf(out, n, "%s", extended);
}

/*
 * Where the file system lacks O_TMPFILE, a named file is created and
 * unlinked at once. Its "blob-" prefix lets blob_clean_tmp remove it a
 * day later if the process dies in between.
 */
int upload_spool_open(const char *dir, struct error *err)
{
	char path[PATH_MAX];
	int fd;

	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		goto fail;
	if ((size_t)snprintf(path, sizeof(path), "%s/blob-upload-XXXXXX",
			     dir) >= sizeof(path))
		return error_set(err, CT_EINVAL, "the temporary folder path "
				 "'%s' is too long", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		goto fail;
	unlink(path);
	return fd;
fail:
	return error_set(err, CT_EIO, "cannot create a temporary file for an "
			 "upload in '%s': %s", dir, strerror(errno));
}

int upload_begin(struct server *s, struct MHD_Connection *c,
		 struct request *rq, struct reply *r, struct error *err)
{
	const char *length, *disposition, *mark = NULL;
	struct error why = { 0 };
	enum access_mark m;
	uint64_t declared;
	int rc, fd;

	rc = query_check(c, (const char *const[]){ "mark", NULL }, r);
	if (rc == 0)
		rc = query_text(c, "mark", &mark, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	/* A file marked state secret is never stored, not even spooled. */
	if (mark && access_mark_parse(mark, &m, &why) != 0)
		return reply_problem_of(r, PROBLEM_VALIDATION_FAILED,
					"query parameter mark: %s", why.msg);

	/* A declared length over the limit is rejected before any byte. */
	length = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					     MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (length && http_parse_index(length, &declared) == 0 &&
	    declared > s->upload_max) {
		if (!body_drainable(c))
			return reply_upload_too_big(r, s->upload_max);
		rq->file_too_big = true;
		return ROUTE_CONTINUE;
	}

	disposition = MHD_lookup_connection_value(
	    c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_DISPOSITION);
	if (disposition)
		disposition_filename(disposition, rq->file_name,
				     sizeof(rq->file_name));
	fd = upload_spool_open(s->upload_dir, err);
	if (fd < 0)
		return fd;
	rq->file_fd = fd;
	rq->file_open = true;
	return ROUTE_CONTINUE;
}

static void close_file(struct request *rq)
{
	if (!rq->file_open)
		return;
	close(rq->file_fd);
	rq->file_open = false;
}

/* Writes all of data to fd; returns 0 or -1 with errno set. */
static int write_all(int fd, const char *data, size_t size)
{
	while (size > 0) {
		ssize_t n = write(fd, data, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		size -= (size_t)n;
	}
	return 0;
}

enum MHD_Result upload_receive(struct request *rq, const char *data,
			       size_t size)
{
	char user[sizeof(rq->user) + 8];
	struct server *s = rq->server;

	rq->upload_seen += size;
	if (rq->file_open && size > s->upload_max - rq->file_size) {
		/* Free the disk now; the 413 follows the drained body. */
		close_file(rq);
		rq->file_too_big = true;
	}
	if (rq->file_too_big) {
		rq->file_dropped += size;
		if (rq->file_dropped <= DRAIN_MAX)
			return MHD_YES;
		log_warn("http", "closing a connection whose upload is over "
			 "the limit",
			 "user=%s limit=%" PRIu64 " bytes=%" PRIu64,
			 log_quote(rq->user, user, sizeof(user)),
			 s->upload_max, rq->upload_seen);
		return MHD_NO;
	}
	if (write_all(rq->file_fd, data, size) != 0) {
		log_error("http", "cannot write an upload to its temporary "
			  "file; closing the connection",
			  "user=%s bytes=%" PRIu64 " dir=%s error=\"%s\"",
			  log_quote(rq->user, user, sizeof(user)),
			  rq->file_size, s->upload_dir, strerror(errno));
		close_file(rq);
		return MHD_NO;
	}
	rq->file_size += size;
	return MHD_YES;
}

void upload_release(struct request *rq)
{
	char user[sizeof(rq->user) + 8];

	if (!rq->file_open)
		return;
	log_info("http", "partial upload discarded", "user=%s bytes=%" PRIu64,
		 log_quote(rq->user, user, sizeof(user)), rq->file_size);
	close_file(rq);
}

/* Logs one line per stored upload; the file name may be any bytes. */
static void log_upload(const struct request *rq,
		       const struct ledger_attachment *att)
{
	char user[sizeof(rq->user) + 8], name[sizeof(rq->file_name) * 4];
	char ascii[sizeof(rq->file_name) * 4];
	const char *file_name = rq->file_name;

	if (!jcs_utf8_valid(file_name, strlen(file_name)))
		file_name = http_quote(file_name, ascii, sizeof(ascii));
	log_info("http", "upload stored",
		 "user=%s size=%" PRIu64 " hash=%s type=%s filename=%s",
		 log_quote(rq->user, user, sizeof(user)), att->size, att->hash,
		 att->type, log_quote(file_name, name, sizeof(name)));
}

int create_upload(struct api_call *call, struct reply *r, struct error *err)
{
	struct request *rq = call->rq;
	struct ledger_attachment att;
	const char *mark = NULL;
	json_t *out;
	int rc;

	if (rq->file_too_big)
		return reply_upload_too_big(r, call->s->upload_max);
	if (!rq->file_open)
		return error_set(err, CT_EIO, "the upload has no temporary "
				 "file");
	if (lseek(rq->file_fd, 0, SEEK_SET) != 0) {
		rc = error_set(err, CT_EIO, "cannot rewind the temporary file "
			       "of an upload: %s", strerror(errno));
		close_file(rq);
		return rc;
	}
	/*
	 * NOTE: this copies and hashes the whole file on the server thread
	 * of the connection. A large file delays that thread's other
	 * connections for the time it takes.
	 */
	rc = ledger_attach_fd(call->s->ledger, rq->file_fd, "the upload", &att,
			      err);
	close_file(rq);
	if (rc)
		return rc;
	log_upload(rq, &att);

	out = json_pack("{s:s, s:s, s:I, s:s}", "hash", att.hash, "sha256",
			att.sha256, "size", (json_int_t)att.size, "type",
			att.type);
	/* The mark belongs to the record that names the file; it is echoed
	 * so that the client can give it there. */
	if (out && query_text(call->c, "mark", &mark, r) == 0 && mark)
		json_object_set_new(out, "mark", json_string(mark));
	rc = reply_json(r, out, CACHE_NONE);
	r->status = MHD_HTTP_CREATED;
	return rc;
}
