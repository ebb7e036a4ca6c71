/*
 * File helpers of the witness module.
 */
#include "common/common.h"

#include <fcntl.h>
#include <libgen.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "internal.h"
#include "store/blob.h"

int wfile_read(const char *path, size_t max, struct buf *b,
	       struct error *err)
{
	char chunk[8192];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return error_set(err, errno == ENOENT ? CT_ENOTFOUND : CT_EIO,
				 "cannot open '%s': %s", path,
				 strerror(errno));
	buf_reset(b);
	b->max = max;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if (buf_append(b, chunk, (size_t)n) != 0) {
			close(fd);
			return error_set(err, CT_ETOOBIG, "'%s' is larger than "
					 "%zu bytes", path, max);
		}
	}
	close(fd);
	if (n < 0)
		return error_set(err, CT_EIO, "cannot read '%s': %s", path,
				 strerror(errno));
	return 0;
}

int wfile_write_json(const char *path, const json_t *v, struct error *err)
{
	char tmp[PATH_MAX + 8], folder[PATH_MAX];
	char *text = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS);
	size_t len = text ? strlen(text) : 0;
	int fd, rc = 0;

	if (!text)
		return error_set(err, CT_ENOMEM, "out of memory");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len ||
	    write(fd, "\n", 1) != 1 || fsync(fd) != 0)
		rc = error_set(err, CT_EIO, "cannot write '%s': %s", tmp,
			       strerror(errno));
	if (fd >= 0)
		close(fd);
	free(text);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = error_set(err, CT_EIO, "cannot rename '%s': %s", tmp,
			       strerror(errno));
	if (rc) {
		unlink(tmp);
		return rc;
	}
	snprintf(folder, sizeof(folder), "%s", path);
	return fsync_dir(dirname(folder), err);
}

int wfile_read_json(const char *path, json_t **out, struct error *err)
{
	struct buf b = BUF_INIT_MAX(1 << 20);
	json_error_t je;
	int rc = wfile_read(path, b.max, &b, err);

	if (rc == 0) {
		*out = json_loadb(b.data ? b.data : "", b.len, 0, &je);
		if (!*out)
			rc = error_set(err, CT_EINVAL, "'%s' is not valid "
				       "JSON: %s (line %d)", path, je.text,
				       je.line);
	}
	buf_release(&b);
	return rc;
}

void wlog_dirname(const char *origin, char out[17])
{
	uint8_t d[HASH_LEN];
	static const char hex[] = "0123456789abcdef";

	hash_buf(HASH_SHA256, origin, strlen(origin), d);
	for (int i = 0; i < 8; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[16] = '\0';
}

int wpath(char *out, size_t n, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(out, n, fmt, ap);
	va_end(ap);
	return len < 0 || (size_t)len >= n ? CT_ETOOBIG : 0;
}

int wentries_text(const char *origin, uint64_t start, uint64_t count,
		  const uint8_t digest[HASH_LEN], struct buf *out)
{
	int rc = buf_printf(out, "casetrail-entries/v1\n%s\n%" PRIu64
			    "\n%" PRIu64 "\n", origin, start, count);

	if (rc == 0)
		rc = base64_encode(digest, HASH_LEN, out);
	if (rc == 0)
		rc = buf_putc(out, '\n');
	return rc;
}

int wblob_read_text(const char *origin, const char *hash, int64_t seconds,
		    struct buf *out)
{
	return buf_printf(out, "casetrail-blob-read/v1\n%s\n%s\n%" PRId64
			  "\n", origin, hash, seconds);
}
