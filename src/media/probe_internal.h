/*
 * Shared state of one probe: the report under construction, the capture
 * time clues collected from every source, and the first decoded picture.
 * Used only by probe*.c.
 */
#ifndef CASETRAIL_PROBE_INTERNAL_H
#define CASETRAIL_PROBE_INTERNAL_H

#include <jansson.h>
#include <stdint.h>

#define PROBE_CLUES_MAX 16
#define PROBE_TEXT_MAX 96

/* Two clues that differ by more than this disagree. */
#define PROBE_AGREE_MS (2 * 60 * 1000LL)

/*
 * One candidate capture time. ms counts milliseconds since 1970-01-01
 * 00:00:00 of the clock the clue is written in: local wall-clock time
 * unless is_utc. A clue with has_time == 0 was seen but cannot be read as
 * a point in time (a bare year, a malformed stamp).
 */
struct probe_clue {
	const char *source;          /* "exif-original", "mts", ... */
	char value[PROBE_TEXT_MAX];  /* the time as the file writes it */
	int has_time;
	int64_t ms;
	int has_millis;              /* the file gives a fraction of a second */
	int is_utc;
	int has_offset;              /* the file states the UTC offset */
	int offset_min;
	int zero;                    /* an epoch placeholder, not a time */
	int is_candidate;            /* may become the capture time */
};

/*
 * An RGB24 picture, rows top to bottom with no padding. Photos from
 * FFmpeg still need their EXIF orientation applied, libheif has applied
 * the HEIF transformations already.
 */
struct probe_picture {
	uint8_t *rgb;
	int width, height;
};

struct probe {
	const char *path;
	int fd;
	json_t *report;
	json_t *problems;
	json_t *notes;
	struct probe_clue clues[PROBE_CLUES_MAX];
	size_t n_clues;
	int orientation;              /* EXIF orientation, 1 when absent */
	int orientation_applied;      /* the picture needs no rotation */
	struct probe_picture picture; /* the first decoded frame, or empty */
	int max_side;                 /* longest side of p->picture */
};

/* Appends a problem, printf-formatted. */
void probe_problem(struct probe *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void probe_note(struct probe *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Copies text into out with control and non-ASCII bytes replaced by '?'
 * and trailing blanks removed, so that it is valid JSON text. */
void probe_clean_text(const char *text, size_t len, char *out, size_t n);

/* Sets report.device.<field> unless text is empty. */
void probe_set_device(struct probe *p, const char *field, const char *text);

/* Sets report.gps; rejects coordinates out of range with a problem. */
void probe_set_gps(struct probe *p, double lat, double lon, int has_alt,
		   double alt);

/* Capture time clues (probe_time.c). */

/* Adds an EXIF clue "YYYY:MM:DD HH:MM:SS" with optional sub-second digits
 * and an optional offset "+08:00". */
void probe_clue_exif(struct probe *p, const char *source,
		     const char *datetime, const char *subsec,
		     const char *offset);
/* Adds a clue written as ISO 8601 ("2020-01-05T11:19:45.000000Z",
 * "2019-03-11T15:26:20+0800", "2009-10-27 12:14:34", "2010"). When
 * as_utc, a time without a zone is UTC. */
void probe_clue_iso(struct probe *p, const char *source, const char *text,
		    int as_utc);
/* Adds a clue from parts already decoded (year, month, day, hour, minute,
 * second; NULL: no usable time); value is the text to record, millis -1
 * when the file gives no fraction of a second. */
void probe_clue_parts(struct probe *p, const char *source, const char *value,
		      const int parts[6], int millis, int is_utc,
		      int has_offset, int offset_min);
/* Judges the clues and sets report.capture. */
void probe_capture_finish(struct probe *p);

/* EXIF through libexif (probe_exif.c). */

/* Reads the EXIF of a JPEG file. */
void probe_exif_jpeg(struct probe *p);
/* Reads an EXIF block as HEIF stores it: a 4-byte offset, then TIFF. */
void probe_exif_block(struct probe *p, const uint8_t *data, size_t len);

/* HEIF through libheif (probe_heif.c): image size, EXIF and the decoded
 * primary image. */
void probe_heif(struct probe *p);

/* Libav (probe_av.c): demuxes the file, reads streams and tags and
 * decodes the first frame. */
void probe_av(struct probe *p, int is_jpeg);

/* Thumbnails (probe_thumb.c). */

struct AVFrame;

/* Scales a decoded frame to fit p->max_side and keeps it as p->picture.
 * Adds a problem when the pixel format cannot be converted. */
void probe_picture_from_frame(struct probe *p, const struct AVFrame *frame);
/* The same for an interleaved RGB24 image from libheif. */
void probe_picture_from_rgb(struct probe *p, const uint8_t *rgb, int stride,
			    int width, int height);
/* Applies the orientation to p->picture and writes it as a JPEG file to
 * out. Returns 0, or -1 after adding a problem. */
int probe_thumb_write(struct probe *p, const char *out);

#endif
