/*
 * HEIF and HEIC photos through libheif: the primary image's size, its
 * EXIF block (read by probe_exif.c) and the decoded image for the
 * thumbnail. libheif applies the rotation and mirroring boxes (irot,
 * imir) when it decodes, and those, not the EXIF orientation, are what
 * HEIF readers must follow.
 */
#include "common/common.h"

#include <libheif/heif.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe_internal.h"

/* HEIF files larger than this are not read into memory. */
#define HEIF_SIZE_MAX (256 * 1024 * 1024LL)

static void heif_problem(struct probe *p, const char *what,
			 struct heif_error e)
{
	char msg[PROBE_TEXT_MAX];

	probe_clean_text(e.message ? e.message : "", strlen(e.message ?
							  e.message : ""),
			 msg, sizeof(msg));
	probe_problem(p, "%s: %s", what, msg[0] ? msg : "libheif error");
}

static void read_exif(struct probe *p, struct heif_image_handle *h)
{
	heif_item_id ids[4];
	int n = heif_image_handle_get_list_of_metadata_block_IDs(
		h, "Exif", ids, (int)ARRAY_SIZE(ids));

	size_t len;
	uint8_t *data;
	struct heif_error e;

	/* A HEIF file from a camera or phone has one EXIF block. */
	if (n < 1)
		return;
	len = heif_image_handle_get_metadata_size(h, ids[0]);
	data = len ? malloc(len) : NULL;
	if (!data)
		return;
	e = heif_image_handle_get_metadata(h, ids[0], data);
	if (e.code == heif_error_Ok)
		probe_exif_block(p, data, len);
	else
		heif_problem(p, "metadata unreadable", e);
	free(data);
}

static void decode(struct probe *p, struct heif_image_handle *h)
{
	struct heif_image *img = NULL;
	const uint8_t *rgb;
	struct heif_error e;
	int stride;

	e = heif_decode_image(h, &img, heif_colorspace_RGB,
			      heif_chroma_interleaved_RGB, NULL);
	if (e.code != heif_error_Ok) {
		heif_problem(p, "decode failed", e);
		return;
	}
	rgb = heif_image_get_plane_readonly(img, heif_channel_interleaved,
					    &stride);
	if (rgb)
		probe_picture_from_rgb(p, rgb, stride,
				       heif_image_get_width(
					       img, heif_channel_interleaved),
				       heif_image_get_height(
					       img, heif_channel_interleaved));
	else
		probe_problem(p, "decode failed: no RGB plane");
	p->orientation_applied = 1;
	heif_image_release(img);
}

/* Reads the whole file, which libheif needs in memory or by path. */
static uint8_t *read_all(struct probe *p, size_t *len)
{
	struct stat st;
	uint8_t *data;
	size_t done = 0;

	if (fstat(p->fd, &st) != 0 || st.st_size <= 0 ||
	    st.st_size > HEIF_SIZE_MAX)
		return NULL;
	data = malloc((size_t)st.st_size);
	while (data && done < (size_t)st.st_size) {
		ssize_t n = pread(p->fd, data + done, (size_t)st.st_size - done,
				  (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	*len = done;
	return data;
}

static const char *format_of(const uint8_t *data, size_t len)
{
	static const char *const heic[] = { "heic", "heix", "heim", "heis",
					    "hevc", "hevx" };

	if (len >= 12 && (!memcmp(data + 8, "avif", 4) ||
			  !memcmp(data + 8, "avis", 4)))
		return "avif";
	for (size_t i = 0; i < ARRAY_SIZE(heic) && len >= 12; i++)
		if (!memcmp(data + 8, heic[i], 4))
			return "heic";
	return "heif";
}

void probe_heif(struct probe *p)
{
	struct heif_context *ctx = heif_context_alloc();
	struct heif_image_handle *h = NULL;
	struct heif_error e;
	size_t len = 0;
	uint8_t *data = read_all(p, &len);

	json_object_set_new(p->report, "kind", json_string("photo"));
	json_object_set_new(p->report, "format",
			    json_string(format_of(data, data ? len : 0)));
	if (!ctx || !data) {
		probe_problem(p, "metadata unreadable: cannot read the file "
			      "into memory");
		goto out_free;
	}
	e = heif_context_read_from_memory_without_copy(ctx, data, len, NULL);
	if (e.code == heif_error_Ok)
		e = heif_context_get_primary_image_handle(ctx, &h);
	if (e.code != heif_error_Ok) {
		heif_problem(p, "metadata unreadable", e);
		goto out_free;
	}
	json_object_set_new(p->report, "width",
			    json_integer(heif_image_handle_get_width(h)));
	json_object_set_new(p->report, "height",
			    json_integer(heif_image_handle_get_height(h)));
	read_exif(p, h);
	decode(p, h);
out_free:
	if (h)
		heif_image_handle_release(h);
	if (ctx)
		heif_context_free(ctx);
	free(data);
}
