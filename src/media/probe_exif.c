/*
 * EXIF of probed photos through libexif: capture time (DateTimeOriginal
 * with SubSecTimeOriginal and OffsetTimeOriginal), the GPS position and
 * time stamp, orientation, and the camera's make, model and software.
 * JPEG files are read by libexif's loader; HEIF files hand their EXIF
 * block over from libheif.
 */
#include "common/common.h"

#include <libexif/exif-data.h>
#include <libexif/exif-loader.h>
#include <libexif/exif-log.h>
#include <unistd.h>

#include "probe_internal.h"

#define EXIF_TEXT_MAX 64

/* "Exif\0\0", which libexif expects before the TIFF header. */
static const unsigned char exif_header[6] = { 'E', 'x', 'i', 'f', 0, 0 };

struct exif_read {
	struct probe *p;
	int corrupt; /* a corrupt-data message was reported already */
};

static void log_corrupt(ExifLog *log, ExifLogCode code, const char *domain,
			const char *format, va_list args, void *data)
{
	struct exif_read *r = data;
	char msg[160];

	(void)log;
	(void)domain;
	if (code != EXIF_LOG_CODE_CORRUPT_DATA &&
	    code != EXIF_LOG_CODE_NO_MEMORY)
		return;
	if (r->corrupt++)
		return;
	vsnprintf(msg, sizeof(msg), format, args);
	probe_clean_text(msg, strlen(msg), msg, sizeof(msg));
	probe_problem(r->p, "metadata unreadable: EXIF: %s", msg);
}

static ExifEntry *find_entry(ExifData *d, ExifIfd ifd, ExifTag tag)
{
	return d->ifd[ifd] ? exif_content_get_entry(d->ifd[ifd], tag) : NULL;
}

/* Copies an ASCII entry (up to its first NUL) as clean text. */
static int get_text(ExifData *d, ExifIfd ifd, ExifTag tag, char *out,
		    size_t n)
{
	ExifEntry *e = find_entry(d, ifd, tag);

	out[0] = '\0';
	if (!e || !e->data || (e->format != EXIF_FORMAT_ASCII &&
			       e->format != EXIF_FORMAT_UNDEFINED))
		return 0;
	probe_clean_text((const char *)e->data, strnlen((char *)e->data,
							e->size),
			 out, n);
	return out[0] != '\0';
}

static int get_int(ExifData *d, ExifIfd ifd, ExifTag tag, int *v)
{
	ExifByteOrder order = exif_data_get_byte_order(d);
	ExifEntry *e = find_entry(d, ifd, tag);

	if (!e || !e->data || e->components < 1)
		return 0;
	if (e->format == EXIF_FORMAT_SHORT && e->size >= 2)
		*v = exif_get_short(e->data, order);
	else if (e->format == EXIF_FORMAT_LONG && e->size >= 4)
		*v = (int)(exif_get_long(e->data, order) & INT_MAX);
	else if (e->format == EXIF_FORMAT_BYTE && e->size >= 1)
		*v = e->data[0];
	else
		return 0;
	return 1;
}

/* Reads count unsigned rationals; a zero denominator fails. */
static int get_rationals(ExifData *d, ExifIfd ifd, ExifTag tag, double *v,
			 size_t count)
{
	ExifByteOrder order = exif_data_get_byte_order(d);
	ExifEntry *e = find_entry(d, ifd, tag);

	if (!e || !e->data || e->format != EXIF_FORMAT_RATIONAL ||
	    e->components < count || e->size < 8 * count)
		return 0;
	for (size_t i = 0; i < count; i++) {
		ExifRational r = exif_get_rational(e->data + 8 * i, order);

		if (r.denominator == 0)
			return 0;
		v[i] = (double)r.numerator / r.denominator;
	}
	return 1;
}

static void read_device(struct probe *p, ExifData *d)
{
	char text[EXIF_TEXT_MAX];

	if (get_text(d, EXIF_IFD_0, EXIF_TAG_MAKE, text, sizeof(text)))
		probe_set_device(p, "make", text);
	if (get_text(d, EXIF_IFD_0, EXIF_TAG_MODEL, text, sizeof(text)))
		probe_set_device(p, "model", text);
	if (get_text(d, EXIF_IFD_0, EXIF_TAG_SOFTWARE, text, sizeof(text)))
		probe_set_device(p, "software", text);
}

static void read_times(struct probe *p, ExifData *d)
{
	char when[EXIF_TEXT_MAX], subsec[EXIF_TEXT_MAX], offset[EXIF_TEXT_MAX];

	if (get_text(d, EXIF_IFD_EXIF, EXIF_TAG_DATE_TIME_ORIGINAL, when,
		     sizeof(when))) {
		get_text(d, EXIF_IFD_EXIF, EXIF_TAG_SUB_SEC_TIME_ORIGINAL,
			 subsec, sizeof(subsec));
		get_text(d, EXIF_IFD_EXIF, EXIF_TAG_OFFSET_TIME_ORIGINAL,
			 offset, sizeof(offset));
		probe_clue_exif(p, "exif-original", when, subsec, offset);
	}
	if (get_text(d, EXIF_IFD_EXIF, EXIF_TAG_DATE_TIME_DIGITIZED, when,
		     sizeof(when))) {
		get_text(d, EXIF_IFD_EXIF, EXIF_TAG_SUB_SEC_TIME_DIGITIZED,
			 subsec, sizeof(subsec));
		get_text(d, EXIF_IFD_EXIF, EXIF_TAG_OFFSET_TIME_DIGITIZED,
			 offset, sizeof(offset));
		probe_clue_exif(p, "exif-digitized", when, subsec, offset);
	}
	/* DateTime is when the file was last changed, kept for the record. */
	if (get_text(d, EXIF_IFD_0, EXIF_TAG_DATE_TIME, when, sizeof(when))) {
		get_text(d, EXIF_IFD_0, EXIF_TAG_OFFSET_TIME, offset,
			 sizeof(offset));
		probe_clue_exif(p, "exif-datetime", when, NULL, offset);
	}
}

/* GPSDateStamp "YYYY:MM:DD" and GPSTimeStamp (hours, minutes, seconds as
 * rationals) give UTC. */
static void read_gps_time(struct probe *p, ExifData *d)
{
	char date[EXIF_TEXT_MAX], value[PROBE_TEXT_MAX];
	double hms[3];
	int t[6] = { 0 }, millis;
	int has_date, has_time;

	has_date = get_text(d, EXIF_IFD_GPS, EXIF_TAG_GPS_DATE_STAMP, date,
			    sizeof(date));
	has_time = get_rationals(d, EXIF_IFD_GPS, EXIF_TAG_GPS_TIME_STAMP,
				 hms, 3);
	if (!has_date && !has_time)
		return;
	snprintf(value, sizeof(value), "%s %02.0f:%02.0f:%06.3f UTC",
		 has_date ? date : "(no date)", has_time ? hms[0] : 0,
		 has_time ? hms[1] : 0, has_time ? hms[2] : 0);
	if (!has_date || !has_time || strlen(date) != 10 ||
	    sscanf(date, "%4d:%2d:%2d", &t[0], &t[1], &t[2]) != 3 ||
	    hms[0] >= 24 || hms[1] >= 60 || hms[2] >= 60) {
		probe_clue_parts(p, "exif-gps", value, NULL, -1, 1, 0, 0);
		return;
	}
	t[3] = (int)hms[0];
	t[4] = (int)hms[1];
	t[5] = (int)hms[2];
	millis = (int)((hms[2] - t[5]) * 1000 + 0.5);
	if (millis > 999)
		millis = 999;
	probe_clue_parts(p, "exif-gps", value, t, millis > 0 ? millis : -1,
			 1, 0, 0);
}

static double degrees(const double dms[3])
{
	return dms[0] + dms[1] / 60 + dms[2] / 3600;
}

static void read_gps_position(struct probe *p, ExifData *d)
{
	char lat_ref[8], lon_ref[8];
	double lat[3], lon[3], alt = 0;
	int alt_ref = 0, has_alt;

	if (!get_rationals(d, EXIF_IFD_GPS, EXIF_TAG_GPS_LATITUDE, lat, 3) ||
	    !get_rationals(d, EXIF_IFD_GPS, EXIF_TAG_GPS_LONGITUDE, lon, 3))
		return;
	get_text(d, EXIF_IFD_GPS, EXIF_TAG_GPS_LATITUDE_REF, lat_ref,
		 sizeof(lat_ref));
	get_text(d, EXIF_IFD_GPS, EXIF_TAG_GPS_LONGITUDE_REF, lon_ref,
		 sizeof(lon_ref));
	has_alt = get_rationals(d, EXIF_IFD_GPS, EXIF_TAG_GPS_ALTITUDE, &alt,
				1);
	/* GPSAltitudeRef 1 means below sea level. */
	if (get_int(d, EXIF_IFD_GPS, EXIF_TAG_GPS_ALTITUDE_REF, &alt_ref) &&
	    alt_ref == 1)
		alt = -alt;
	probe_set_gps(p, lat_ref[0] == 'S' ? -degrees(lat) : degrees(lat),
		      lon_ref[0] == 'W' ? -degrees(lon) : degrees(lon),
		      has_alt, alt);
}

static void read_exif_data(struct probe *p, const unsigned char *buf,
			   unsigned int len)
{
	struct exif_read r = { .p = p };
	ExifData *d = exif_data_new();
	ExifLog *log = exif_log_new();
	int orientation;

	if (!d || !log) {
		probe_problem(p, "metadata unreadable: EXIF: out of memory");
		goto out_free;
	}
	exif_log_set_func(log, log_corrupt, &r);
	exif_data_log(d, log);
	/* Report what the file holds: no tags added by libexif to follow
	 * the specification, and no tags dropped for being unknown. */
	exif_data_unset_option(d, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
	exif_data_unset_option(d, EXIF_DATA_OPTION_IGNORE_UNKNOWN_TAGS);
	exif_data_load_data(d, buf, len);

	read_device(p, d);
	read_times(p, d);
	read_gps_time(p, d);
	read_gps_position(p, d);
	if (get_int(d, EXIF_IFD_0, EXIF_TAG_ORIENTATION, &orientation)) {
		if (orientation >= 1 && orientation <= 8) {
			p->orientation = orientation;
			json_object_set_new(p->report, "orientation",
					    json_integer(orientation));
		} else {
			probe_problem(p, "invalid EXIF orientation %d",
				      orientation);
		}
	}
out_free:
	if (d)
		exif_data_unref(d);
	if (log)
		exif_log_unref(log);
}

void probe_exif_jpeg(struct probe *p)
{
	ExifLoader *loader = exif_loader_new();
	const unsigned char *buf = NULL;
	unsigned int len = 0;
	unsigned char chunk[1 << 16];
	off_t at = 0;
	ssize_t n;

	if (!loader)
		return;
	/* The loader scans the JPEG markers and stops after APP1. */
	while ((n = pread(p->fd, chunk, sizeof(chunk), at)) > 0) {
		at += n;
		if (!exif_loader_write(loader, chunk, (unsigned int)n))
			break;
	}
	exif_loader_get_buf(loader, &buf, &len);
	if (buf && len > 0)
		read_exif_data(p, buf, len);
	exif_loader_unref(loader);
}

void probe_exif_block(struct probe *p, const uint8_t *data, size_t len)
{
	uint32_t skip;
	unsigned char *buf;

	/* ISO/IEC 23008-12 Annex A: a 32-bit big-endian offset to the TIFF
	 * header, which follows "Exif\0\0" in files from most devices. */
	if (len < 4 || len > UINT_MAX - sizeof(exif_header)) {
		probe_problem(p, "metadata unreadable: EXIF block of %zu "
			      "bytes", len);
		return;
	}
	skip = (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 |
	       (uint32_t)data[2] << 8 | data[3];
	if (skip > len - 4) {
		probe_problem(p, "metadata unreadable: EXIF block offset %u "
			      "past its end", skip);
		return;
	}
	data += 4 + skip;
	len -= 4 + skip;
	if (len >= 6 && memcmp(data, exif_header, 6) == 0) {
		read_exif_data(p, data, (unsigned int)len);
		return;
	}
	buf = malloc(len + sizeof(exif_header));
	if (!buf)
		return;
	memcpy(buf, exif_header, sizeof(exif_header));
	memcpy(buf + sizeof(exif_header), data, len);
	read_exif_data(p, buf, (unsigned int)(len + sizeof(exif_header)));
	free(buf);
}
