/*
 * The media prober: what a photo, video or audio file states about itself
 * (kind, format, streams, capture time and its clues, GPS position, device)
 * and a JPEG thumbnail or poster frame.
 *
 * probe_file() runs the decoders of FFmpeg, libexif and libheif on
 * untrusted bytes, so casetrail never calls it in the server. The server
 * calls probe_run(), which executes `casetrail probe` as a separate
 * process under CPU, memory and wall-clock limits, so that a file that
 * crashes or hangs a decoder costs one process and is still recorded.
 */
#ifndef CASETRAIL_PROBE_H
#define CASETRAIL_PROBE_H

#include <jansson.h>

#include "common/error.h"

/* Maximum side of a thumbnail in pixels, unless the caller sets one. */
#define PROBE_THUMB_SIDE_DEFAULT 320
#define PROBE_THUMB_SIDE_MAX 4096

struct probe_opts {
	const char *thumb_out; /* write a JPEG thumbnail here; NULL: none */
	int max_side;          /* maximum thumbnail side; 0: the default */
};

/*
 * Probes the file at path and sets *out to a new JSON object:
 *
 *   kind         "photo", "video", "audio" or "other"
 *   format       the FFmpeg demuxer name, or "jpeg", "png", "heic" ...
 *   capture      {"local", "offset", "utc", "source", "clues",
 *                 "disagree", "notes"}: the wall-clock time the device
 *                wrote, its UTC offset and the UTC time when the file
 *                states them, and every candidate time that was seen
 *   duration_ms  audio and video
 *   video        {"codec", "width", "height", "frames"}
 *   audio        {"codec", "channels", "sample_rate"}
 *   width, height, orientation (1-8, EXIF)   photos
 *   gps          {"lat", "lon", "alt"} in degrees and metres
 *   device       {"make", "model", "software"}
 *   problems     ["truncated: ...", "decode failed: ...", ...]
 *
 * Members that the file does not state are absent. A damaged file is not
 * an error:
 * what could be read is returned and the damage is listed in "problems".
 * With opts->thumb_out, writes a thumbnail (photos, with the EXIF
 * orientation applied) or a poster frame (videos); when none can be made,
 * no file is written and a problem gives the reason. opts may be NULL.
 *
 * Returns CT_ENOTFOUND or CT_EIO when path cannot be opened and CT_EINVAL
 * when it is not a regular file. The caller owns *out.
 */
int probe_file(const char *path, const struct probe_opts *opts,
	       json_t **out, struct error *err);

struct probe_limits {
	int seconds;     /* wall-clock limit; 0: 20 */
	int memory_mb;   /* resident memory limit in MiB; 0: 512 */
	int max_side;    /* maximum thumbnail side; 0: the default */
};

/*
 * Runs `exe probe` on path in a new process (posix_spawn, safe in a
 * threaded caller) and sets *result to the JSON it prints. exe is the
 * casetrail binary; NULL means /proc/self/exe. With thumb_out, the child
 * writes the thumbnail there. lim may be NULL for the defaults.
 *
 * The child is killed with SIGKILL when it runs past the wall-clock
 * limit, when its resident memory (VmRSS, polled every 20 ms) exceeds
 * the memory limit, or when it prints more than 1 MiB. When the child
 * is killed, crashes, fails or prints something other than a JSON
 * object, *result is {"problems": ["unprobeable: <why>"],
 * "unprobeable": true}, a partial thumbnail is removed, one warning is
 * logged and 0 is returned, because the file is evidence all the same.
 *
 * Returns an error only when the child cannot be started (CT_EIO). The
 * caller owns *result.
 */
int probe_run(const char *exe, const char *path, const char *thumb_out,
	      const struct probe_limits *lim, json_t **result,
	      struct error *err);

#endif
