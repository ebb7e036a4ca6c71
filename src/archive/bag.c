/*
 * The BagIt writer (RFC 8493): members are streamed into a tar or zip
 * file through libarchive while SHA-256, SHA-512 and SM3 are computed in
 * the same pass, so a file of any size is read once and never held in
 * memory. The manifests, bag-info.txt, bagit.txt and the tag manifests
 * are written last, from the digests collected.
 */
#include "common/common.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include "internal.h"

const char *const bag_algs[BAG_NALGS] = { "sha256", "sha512", "sm3" };

struct bag {
	struct archive *ar;
	char root[128];
	int64_t mtime_s;
	struct digest *d[BAG_NALGS];
	struct bag_file *files;
	size_t n, cap;
	uint64_t payload_bytes, payload_files;
};

void bag_hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int ar_fail(struct bag *b, const char *what, struct error *err)
{
	return error_set(err, CT_EIO, "cannot write the package (%s): %s",
			 what, archive_error_string(b->ar) ?: "unknown error");
}

int bag_open(int fd, const char *format, const char *root, int64_t mtime_s,
	     struct bag **out, struct error *err)
{
	struct bag *b = calloc(1, sizeof(*b));
	int rc = 0;

	if (!b)
		return error_set(err, CT_ENOMEM, "out of memory");
	snprintf(b->root, sizeof(b->root), "%s", root);
	b->mtime_s = mtime_s;
	b->ar = archive_write_new();
	for (size_t i = 0; i < BAG_NALGS; i++)
		if (!(b->d[i] = digest_new(bag_algs[i])))
			rc = error_set(err, CT_ECRYPTO, "OpenSSL has no %s "
				       "digest", bag_algs[i]);
	if (rc == 0 && !b->ar)
		rc = error_set(err, CT_ENOMEM, "out of memory");
	if (rc == 0 && (!strcmp(format, "zip")
				? archive_write_set_format_zip(b->ar)
				: archive_write_set_format_pax_restricted(b->ar)))
		rc = ar_fail(b, "format", err);
	if (rc == 0 && archive_write_open_fd(b->ar, fd) != ARCHIVE_OK)
		rc = ar_fail(b, "open", err);
	if (rc) {
		bag_free(b);
		return rc;
	}
	*out = b;
	return 0;
}

/* Starts a member and its record; returns the record or NULL. */
static struct bag_file *member_start(struct bag *b, const char *path,
				     uint64_t size, struct error *err)
{
	struct archive_entry *e;
	char full[1024];
	int ok;

	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 64;
		struct bag_file *f = realloc(b->files, cap * sizeof(*f));

		if (!f)
			return error_set(err, CT_ENOMEM, "out of memory"), NULL;
		b->files = f;
		b->cap = cap;
	}
	snprintf(full, sizeof(full), "%s/%s", b->root, path);
	e = archive_entry_new();
	archive_entry_set_pathname_utf8(e, full);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, (time_t)b->mtime_s, 0);
	ok = archive_write_header(b->ar, e) == ARCHIVE_OK;
	archive_entry_free(e);
	if (!ok)
		return ar_fail(b, path, err), NULL;
	memset(&b->files[b->n], 0, sizeof(b->files[b->n]));
	b->files[b->n].path = strdup(path);
	b->files[b->n].size = size;
	if (!b->files[b->n].path)
		return error_set(err, CT_ENOMEM, "out of memory"), NULL;
	return &b->files[b->n++];
}

static int member_data(struct bag *b, const void *p, size_t len,
		       struct error *err)
{
	for (size_t i = 0; i < BAG_NALGS; i++)
		digest_update(b->d[i], p, len);
	if (len && archive_write_data(b->ar, p, len) != (la_ssize_t)len)
		return ar_fail(b, "data", err);
	return 0;
}

static void member_end(struct bag *b, struct bag_file *f)
{
	uint8_t md[DIGEST_MAX];

	for (size_t i = 0; i < BAG_NALGS; i++)
		bag_hex(md, digest_final(b->d[i], md), f->hex[i]);
	if (!strncmp(f->path, "data/", 5)) {
		b->payload_bytes += f->size;
		b->payload_files++;
	}
}

int bag_add(struct bag *b, const char *path, const void *data, size_t len,
	    struct error *err)
{
	struct bag_file *f = member_start(b, path, len, err);

	if (!f || member_data(b, data, len, err))
		return err->code;
	member_end(b, f);
	return 0;
}

int bag_add_file(struct bag *b, const char *path, const char *src,
		 struct error *err)
{
	int fd = open(src, O_RDONLY | O_CLOEXEC);
	struct bag_file *f;
	struct stat st;
	uint64_t left;
	char chunk[65536];
	int rc = 0;

	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = error_set(err, CT_EIO, "cannot read '%s': %s", src,
			       strerror(errno));
		goto out;
	}
	f = member_start(b, path, (uint64_t)st.st_size, err);
	if (!f) {
		rc = err->code;
		goto out;
	}
	for (left = f->size; rc == 0 && left > 0;) {
		ssize_t got = read(fd, chunk, left < sizeof(chunk)
						      ? (size_t)left
						      : sizeof(chunk));

		if (got <= 0) {
			rc = error_set(err, CT_EIO, "cannot read '%s': %s",
				       src, got ? strerror(errno)
						: "file shrank");
			break;
		}
		rc = member_data(b, chunk, (size_t)got, err);
		left -= (uint64_t)got;
	}
	if (rc == 0)
		member_end(b, f);
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

const struct bag_file *bag_files(const struct bag *b, size_t *n)
{
	*n = b->n;
	return b->files;
}

/* Lists the files whose path is (payload) or is not under data/. */
static int write_manifest(struct bag *b, const char *name, size_t alg,
			  int payload, struct error *err)
{
	struct buf m = BUF_INIT_MAX(64u << 20);
	size_t n = b->n;
	int rc;

	for (size_t i = 0; i < n; i++)
		if ((strncmp(b->files[i].path, "data/", 5) == 0) == payload &&
		    strncmp(b->files[i].path, "tagmanifest-", 12))
			buf_printf(&m, "%s  %s\n", b->files[i].hex[alg],
				   b->files[i].path);
	rc = bag_add(b, name, m.data ? m.data : "", m.len, err);
	buf_release(&m);
	return rc;
}

int bag_finish(struct bag *b, const char *info,
	       char tag_sha256[DIGEST_MAX * 2 + 1],
	       char tag_sm3[DIGEST_MAX * 2 + 1], struct error *err)
{
	static const char bagit[] = "BagIt-Version: 1.0\n"
				    "Tag-File-Character-Encoding: UTF-8\n";
	struct buf text = BUF_INIT_MAX(1 << 20);
	char name[64];
	int rc;

	buf_printf(&text, "%sPayload-Oxum: %" PRIu64 ".%" PRIu64 "\n", info,
		   b->payload_bytes, b->payload_files);
	rc = bag_add(b, "bagit.txt", bagit, sizeof(bagit) - 1, err);
	if (rc == 0)
		rc = bag_add(b, "bag-info.txt", text.data, text.len, err);
	buf_release(&text);
	for (size_t i = 0; rc == 0 && i < BAG_NALGS; i++) {
		snprintf(name, sizeof(name), "manifest-%s.txt", bag_algs[i]);
		rc = write_manifest(b, name, i, 1, err);
	}
	/* The tag manifests list every tag file but one another. */
	for (size_t i = 0; rc == 0 && i < BAG_NALGS; i++) {
		snprintf(name, sizeof(name), "tagmanifest-%s.txt",
			 bag_algs[i]);
		rc = write_manifest(b, name, i, 0, err);
		if (rc == 0 && i == 0)
			snprintf(tag_sha256, DIGEST_MAX * 2 + 1, "%s",
				 b->files[b->n - 1].hex[0]);
		if (rc == 0 && i == 2)
			snprintf(tag_sm3, DIGEST_MAX * 2 + 1, "%s",
				 b->files[b->n - 1].hex[2]);
	}
	if (rc == 0 && archive_write_close(b->ar) != ARCHIVE_OK)
		rc = ar_fail(b, "close", err);
	return rc;
}

void bag_free(struct bag *b)
{
	if (!b)
		return;
	if (b->ar)
		archive_write_free(b->ar);
	for (size_t i = 0; i < BAG_NALGS; i++)
		digest_free(b->d[i]);
	for (size_t i = 0; i < b->n; i++)
		free(b->files[i].path);
	free(b->files);
	free(b);
}
