/*
 * Case files over HTTP (docs/archive.md): sealing an ended case's file
 * and downloading the package (body {"format": "tar" | "zip"}, tar by
 * default), and the list of a case's seals.
 */
#include "common/common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "api.h"
#include "archive/archive.h"

/* A temporary file in blobs/tmp that disappears when closed. */
static int spool_open(struct server *s, struct error *err)
{
	char path[PATH_MAX + 32];
	int fd = open(s->upload_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd >= 0)
		return fd;
	snprintf(path, sizeof(path), "%s/case-file-XXXXXX", s->upload_dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return error_set(err, CT_EIO, "cannot create a temporary file "
				 "in '%s': %s", s->upload_dir, strerror(errno));
	unlink(path);
	return fd;
}

int seal_case_file(struct api_call *call, struct reply *r, struct error *err)
{
	struct access_target t = { .case_id = call->params[0] };
	struct archive_req req = { .case_id = call->params[0],
				   .by = &call->actor };
	json_t *info = NULL, *marks = NULL, *v;
	const char *key;
	unsigned checked = 0;
	size_t i;
	bool denied = false;
	struct stat st;
	int fd, rc = api_allow(call, ACT_CASE_FILE_SEAL, &t, r, &denied, err);

	if (rc || denied)
		return rc;
	json_object_foreach(call->body, key, v)
		if (strcmp(key, "format"))
			return reply_problem_of(r, PROBLEM_VALIDATION_FAILED,
						"member '%.40s' is unknown; the "
						"body takes format", key);
	req.format = json_string_value(json_object_get(call->body, "format"));
	if (json_object_get(call->body, "format") &&
	    (!req.format || (strcmp(req.format, "tar") &&
			     strcmp(req.format, "zip"))))
		return reply_problem_of(r, PROBLEM_VALIDATION_FAILED, "invalid "
					"format: give \"tar\" or \"zip\"");
	/* The package contains every record, so each mark needs its clearance. */
	rc = archive_marks(call->s->access, call->params[0], &marks, err);
	if (rc)
		return reply_error(r, rc, err);
	json_array_foreach(marks, i, v) {
		if (access_mark_parse(json_string_value(json_object_get(
					      v, "mark")), &t.mark, err) != 0)
			error_clear(err);
		else if (!(checked & (1u << t.mark)))
			rc = api_allow(call, ACT_RECORD_READ, &t, r, &denied,
				       err);
		checked |= 1u << t.mark;
		if (rc || denied) {
			json_decref(marks);
			return rc;
		}
	}
	json_decref(marks);
	marks = NULL;
	req.data_dir = cases_data_dir(call->s->cases);
	fd = spool_open(call->s, err);
	if (fd < 0)
		return fd;
	rc = archive_seal(call->s->access, call->s->documents, &req, fd, &info,
			  err);
	if (rc == 0 && (fstat(fd, &st) != 0 || lseek(fd, 0, SEEK_SET) != 0))
		rc = error_set(err, CT_EIO, "cannot read back the package: %s",
			       strerror(errno));
	/* Every protected record exported is read, as a download is. */
	if (rc == 0)
		rc = archive_marks(call->s->access, call->params[0], &marks,
				   err);
	json_array_foreach(marks, i, v) {
		char target[48];
		enum access_mark m;

		snprintf(target, sizeof(target), "record:%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(v, "seq")));
		if (rc == 0 && access_mark_parse(json_string_value(
				 json_object_get(v, "mark")), &m, err) == 0)
			rc = api_log_read(call, ACT_CASE_FILE_SEAL,
					  call->params[0], target, m, err);
	}
	json_decref(marks);
	if (rc) {
		json_decref(info);
		close(fd);
		return reply_error(r, rc, err);
	}
	rc = reply_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION,
			  "attachment; filename=\"case-file-%s.%s\"",
			  call->params[0],
			  json_string_value(json_object_get(info, "format")));
	if (rc == 0)
		rc = reply_header(r, "Casetrail-Seal", "%" JSON_INTEGER_FORMAT,
				  json_integer_value(json_object_get(info,
								     "seq")));
	if (rc == 0) {
		r->status = json_is_true(json_object_get(info, "new"))
				    ? MHD_HTTP_CREATED : MHD_HTTP_OK;
		r->content_type = !strcmp(json_string_value(json_object_get(
						  info, "format")) ?: "",
					  "zip")
					  ? "application/zip"
					  : "application/x-tar";
		r->cache_control = CACHE_NONE;
		reply_file(r, fd, 0, (uint64_t)st.st_size);
	} else {
		close(fd);
	}
	json_decref(info);
	return rc;
}

int serve_case_files(struct api_call *call, struct reply *r,
		     struct error *err)
{
	struct access_target t = { .case_id = call->params[0] };
	json_t *list = NULL;
	bool denied = false;
	int rc = api_allow(call, ACT_CASE_FILE_READ, &t, r, &denied, err);

	if (rc || denied)
		return rc;
	rc = archive_list(call->s->access, call->params[0], &list, err);
	if (rc)
		return reply_error(r, rc, err);
	return reply_json(r, list, CACHE_NONE);
}
