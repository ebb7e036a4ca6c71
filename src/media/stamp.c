/*
 * Marks written into copies of JPEG photos. libexif builds a new EXIF
 * block from nothing (the original's EXIF is never parsed here), and the
 * JPEG's marker segments are walked only to drop and insert whole
 * segments: each segment's length is checked against the file before
 * it is used, and the entropy-coded data from the first SOS on is
 * copied unchanged. No decoder runs, so this is safe in the server.
 */
#include "common/common.h"

#include <fcntl.h>
#include <libexif/exif-data.h>
#include <libexif/exif-utils.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stamp.h"

/* JPEG markers (ITU T.81, table B.1). */
#define M_SOI 0xd8
#define M_EOI 0xd9
#define M_SOS 0xda
#define M_APP0 0xe0
#define M_APP1 0xe1
#define M_APP13 0xed
#define M_COM 0xfe

#define SEGMENT_MAX 65533 /* payload bytes after the 2-byte length */

static int read_all(const char *path, struct buf *b, struct error *err)
{
	char chunk[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return error_set(err, CT_EIO, "cannot open '%s': %s", path,
				 strerror(errno));
	while (rc == 0 && (n = read(fd, chunk, sizeof(chunk))) > 0)
		rc = buf_append(b, chunk, (size_t)n);
	if (rc == 0 && n < 0)
		rc = error_set(err, CT_EIO, "cannot read '%s': %s", path,
			       strerror(errno));
	close(fd);
	return rc ? error_set(err, rc, "cannot read '%s'", path) : 0;
}

static ExifEntry *new_entry(ExifMem *mem, ExifContent *ifd, ExifTag tag,
			    ExifFormat format, size_t size)
{
	ExifEntry *e = exif_entry_new_mem(mem);

	if (!e)
		return NULL;
	e->data = exif_mem_alloc(mem, (ExifLong)size);
	if (!e->data) {
		exif_entry_unref(e);
		return NULL;
	}
	e->tag = tag;
	e->format = format;
	e->components = format == EXIF_FORMAT_SHORT ? 1 : (unsigned long)size;
	e->size = (unsigned int)size;
	exif_content_add_entry(ifd, e);
	exif_entry_unref(e);
	return e;
}

/* The length of the UTF-8 sequence that starts with byte c. */
static size_t utf8_length(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c < 0xe0)
		return 2;
	return c < 0xf0 ? 3 : 4;
}

/* Converts UTF-8 to UTF-16LE into out; returns its byte length. */
static size_t utf16le(const char *s, unsigned char *out, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	while (*p && n + 4 <= max) {
		uint32_t cp;
		size_t len = utf8_length(*p);

		cp = len == 1 ? *p : (uint32_t)(*p & (0xff >> (len + 1)));
		for (size_t i = 1; i < len && p[i]; i++)
			cp = cp << 6 | (p[i] & 0x3f);
		for (size_t i = 1; i < len; i++)
			if (!p[i])
				len = i;
		p += len;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			uint16_t hi = (uint16_t)(0xd800 | (cp >> 10));
			uint16_t lo = (uint16_t)(0xdc00 | (cp & 0x3ff));

			out[n++] = hi & 0xff;
			out[n++] = hi >> 8;
			out[n++] = lo & 0xff;
			out[n++] = lo >> 8;
		} else {
			out[n++] = cp & 0xff;
			out[n++] = (cp >> 8) & 0xff;
		}
	}
	return n;
}

/* Builds "Exif\0\0" and the TIFF structure with the mark. */
static int build_exif(const char *mark, int orientation, unsigned char **out,
		      unsigned int *len)
{
	static const char unicode[8] = { 'U', 'N', 'I', 'C', 'O', 'D', 'E', 0 };
	ExifMem *mem = exif_mem_new_default();
	ExifData *ed = mem ? exif_data_new_mem(mem) : NULL;
	unsigned char wide[4096];
	size_t mark_len = strlen(mark), wide_len;
	ExifEntry *e;
	int rc = CT_ENOMEM;

	if (!ed)
		goto out;
	exif_data_set_byte_order(ed, EXIF_BYTE_ORDER_INTEL);
	exif_data_set_data_type(ed, EXIF_DATA_TYPE_COMPRESSED);
	e = new_entry(mem, ed->ifd[EXIF_IFD_0], EXIF_TAG_IMAGE_DESCRIPTION,
		      EXIF_FORMAT_ASCII, mark_len + 1);
	if (!e)
		goto out;
	memcpy(e->data, mark, mark_len + 1);
	if (orientation >= 1 && orientation <= 8) {
		e = new_entry(mem, ed->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION,
			      EXIF_FORMAT_SHORT, 2);
		if (!e)
			goto out;
		exif_set_short(e->data, EXIF_BYTE_ORDER_INTEL,
			       (ExifShort)orientation);
	}
	wide_len = utf16le(mark, wide, sizeof(wide));
	e = new_entry(mem, ed->ifd[EXIF_IFD_EXIF], EXIF_TAG_USER_COMMENT,
		      EXIF_FORMAT_UNDEFINED, sizeof(unicode) + wide_len);
	if (!e)
		goto out;
	memcpy(e->data, unicode, sizeof(unicode));
	memcpy(e->data + sizeof(unicode), wide, wide_len);
	*out = NULL;
	exif_data_save_data(ed, out, len);
	rc = *out && *len > 6 && *len <= SEGMENT_MAX ? 0 : CT_EINVAL;
out:
	if (ed)
		exif_data_unref(ed);
	if (mem)
		exif_mem_unref(mem);
	return rc;
}

static int put_segment(struct buf *out, int marker, const void *data,
		       size_t len)
{
	unsigned char head[4] = { 0xff, (unsigned char)marker,
				  (unsigned char)((len + 2) >> 8),
				  (unsigned char)((len + 2) & 0xff) };
	int rc = buf_append(out, head, sizeof(head));

	return rc ? rc : buf_append(out, data, len);
}

/* The metadata segments a marked copy leaves out. */
static bool dropped(int marker)
{
	return marker == M_APP1 || marker == M_APP13 || marker == M_COM;
}

/*
 * Copies the segments of jpeg (len bytes) after SOI to out, which starts
 * empty, leaving out the dropped ones, and from SOS on everything to the
 * end. *app0_len is the length of a leading APP0 segment as copied to
 * out, else 0. Returns 0, CT_EINVAL for a malformed segment, or a buf
 * error.
 */
static int copy_segments(const unsigned char *jpeg, size_t len,
			 struct buf *out, size_t *app0_len)
{
	size_t p = 2;
	bool first = true;
	int rc = 0;

	*app0_len = 0;
	while (rc == 0) {
		size_t seg;
		int marker;

		while (p + 1 < len && jpeg[p] == 0xff && jpeg[p + 1] == 0xff)
			p++; /* fill bytes */
		if (p + 4 > len || jpeg[p] != 0xff)
			return CT_EINVAL;
		marker = jpeg[p + 1];
		if (marker == M_SOS || marker == M_EOI)
			return buf_append(out, jpeg + p, len - p);
		seg = (size_t)jpeg[p + 2] << 8 | jpeg[p + 3];
		if (seg < 2 || p + 2 + seg > len)
			return CT_EINVAL;
		if (!dropped(marker))
			rc = buf_append(out, jpeg + p, 2 + seg);
		if (rc == 0 && first && marker == M_APP0)
			*app0_len = out->len;
		first = false;
		p += 2 + seg;
	}
	return rc;
}

int stamp_jpeg_data(const uint8_t *jpeg, size_t len, const char *mark,
		    int orientation, struct buf *out, struct error *err)
{
	static const unsigned char soi[2] = { 0xff, M_SOI };
	struct buf rest = BUF_INIT_MAX(out->max);
	unsigned char *exif = NULL;
	unsigned int exif_len = 0;
	size_t app0 = 0;
	int rc = 0;

	if (len < 4 || jpeg[0] != 0xff || jpeg[1] != M_SOI)
		return error_set(err, CT_EINVAL, "the file is not a JPEG");
	rc = copy_segments(jpeg, len, &rest, &app0);
	if (rc == CT_EINVAL)
		rc = error_set(err, rc, "the file has a malformed JPEG "
			       "segment");
	if (rc == 0 && build_exif(mark, orientation, &exif, &exif_len) != 0)
		rc = error_set(err, CT_ENOMEM, "cannot build the EXIF block "
			       "of the mark");
	if (rc)
		goto out;
	/* JFIF wants its APP0 right after SOI, EXIF its APP1 after that. */
	rc = buf_append(out, soi, sizeof(soi));
	if (rc == 0 && app0)
		rc = buf_append(out, rest.data, app0);
	if (rc == 0)
		rc = put_segment(out, M_APP1, exif, exif_len);
	if (rc == 0 && strlen(mark) <= SEGMENT_MAX)
		rc = put_segment(out, M_COM, mark, strlen(mark));
	if (rc == 0)
		rc = buf_append(out, rest.data + app0, rest.len - app0);
	if (rc)
		rc = error_set(err, rc, "cannot write the marked JPEG: %s",
			       ct_strerror(rc));
out:
	free(exif);
	buf_release(&rest);
	return rc;
}

int stamp_jpeg(const char *path, const char *mark, int orientation,
	       struct buf *out, struct error *err)
{
	struct buf in = BUF_INIT_MAX(out->max);
	int rc = read_all(path, &in, err);

	if (rc == 0)
		rc = stamp_jpeg_data((const uint8_t *)in.data, in.len, mark,
				     orientation, out, err);
	buf_release(&in);
	if (rc)
		return error_set(err, rc, "cannot mark '%s'", path);
	return 0;
}
