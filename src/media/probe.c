/*
 * The media prober's entry point: opens one file, sends it to libheif
 * (HEIF and HEIC) or to libavformat (everything else, including JPEG and
 * PNG), reads JPEG EXIF with libexif, settles the capture time and writes
 * the thumbnail. The readers add what they find to one JSON report and
 * list damage as problems instead of failing.
 */
#include "common/common.h"

#include <ctype.h>
#include <fcntl.h>
#include <libheif/heif.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe.h"
#include "probe_internal.h"

static void append_text(json_t *list, const char *fmt, va_list ap)
{
	char text[512];

	vsnprintf(text, sizeof(text), fmt, ap);
	probe_clean_text(text, strlen(text), text, sizeof(text));
	json_array_append_new(list, json_string(text));
}

void probe_problem(struct probe *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	append_text(p->problems, fmt, ap);
	va_end(ap);
}

void probe_note(struct probe *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	append_text(p->notes, fmt, ap);
	va_end(ap);
}

void probe_clean_text(const char *text, size_t len, char *out, size_t n)
{
	size_t i;

	if (n == 0)
		return;
	/* Byte i of out is written after byte i of text is read, so text
	 * and out may be the same buffer. */
	for (i = 0; i < len && i + 1 < n && text[i]; i++) {
		unsigned char c = (unsigned char)text[i];

		out[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	while (i > 0 && out[i - 1] == ' ')
		i--;
	out[i] = '\0';
}

void probe_set_device(struct probe *p, const char *field, const char *text)
{
	json_t *device = json_object_get(p->report, "device");
	char clean[PROBE_TEXT_MAX];

	probe_clean_text(text, strlen(text), clean, sizeof(clean));
	if (!clean[0])
		return;
	if (!device) {
		device = json_object();
		json_object_set_new(p->report, "device", device);
	}
	json_object_set_new(device, field, json_string(clean));
}

void probe_set_gps(struct probe *p, double lat, double lon, int has_alt,
		   double alt)
{
	json_t *gps;

	if (!(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180)) {
		probe_problem(p, "invalid GPS position %.6f, %.6f", lat, lon);
		return;
	}
	gps = json_pack("{s:f, s:f}", "lat", lat, "lon", lon);
	if (has_alt && alt > -20000 && alt < 100000)
		json_object_set_new(gps, "alt", json_real(alt));
	json_object_set_new(p->report, "gps", gps);
}

static int open_file(const char *path, int *fd, struct error *err)
{
	struct stat st;

	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (*fd < 0)
		return error_set(err, errno == ENOENT ? CT_ENOTFOUND : CT_EIO,
				 "cannot open '%s': %s", path,
				 strerror(errno));
	if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(*fd);
		*fd = -1;
		return error_set(err, CT_EINVAL, "'%s' is not a regular file",
				 path);
	}
	return 0;
}

/* Reads the report's problems, notes and clues into their final places
 * and writes the thumbnail. */
static void finish(struct probe *p, const struct probe_opts *opts)
{
	probe_capture_finish(p);
	if (opts && opts->thumb_out)
		probe_thumb_write(p, opts->thumb_out);
	json_object_set(p->report, "problems", p->problems);
}

static void probe_contents(struct probe *p)
{
	uint8_t head[64];
	ssize_t n = pread(p->fd, head, sizeof(head), 0);
	int is_jpeg = n >= 3 && head[0] == 0xff && head[1] == 0xd8 &&
		      head[2] == 0xff;

	if (n <= 0) {
		json_object_set_new(p->report, "kind", json_string("other"));
		probe_problem(p, n == 0 ? "zero-length file"
					: "metadata unreadable: read failed");
		return;
	}
	if (n >= 12 && heif_check_filetype(head, (int)n) !=
			       heif_filetype_no &&
	    !memcmp(head + 4, "ftyp", 4)) {
		probe_heif(p);
		return;
	}
	probe_av(p, is_jpeg);
	if (is_jpeg)
		probe_exif_jpeg(p);
}

int probe_file(const char *path, const struct probe_opts *opts,
	       json_t **out, struct error *err)
{
	struct probe p = { .path = path, .orientation = 1 };
	int rc;

	*out = NULL;
	rc = open_file(path, &p.fd, err);
	if (rc)
		return rc;
	p.report = json_object();
	p.problems = json_array();
	p.notes = json_array();
	p.max_side = opts && opts->max_side > 0 ? opts->max_side
						: PROBE_THUMB_SIDE_DEFAULT;
	probe_contents(&p);
	finish(&p, opts);

	*out = p.report;
	json_decref(p.problems);
	json_decref(p.notes);
	free(p.picture.rgb);
	close(p.fd);
	return 0;
}
