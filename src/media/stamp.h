/*
 * Marks on copies of media files: the request number, requester and
 * date of a copy set written into the file itself, so that a copy that
 * leaks can be traced to its request even when renamed. stamp.c writes
 * them into JPEG photos, stamp_av.c into audio and video.
 */
#ifndef CASETRAIL_MEDIA_STAMP_H
#define CASETRAIL_MEDIA_STAMP_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

/*
 * Appends to out a copy of the JPEG file at path whose metadata is
 * replaced: a new EXIF block (APP1) states mark as ImageDescription
 * (UTF-8) and UserComment (UNICODE, UTF-16) and keeps orientation (1 to
 * 8; 0 for none), and a comment segment (COM) states mark too. The
 * original EXIF and XMP blocks, IPTC data and comments are left out, so
 * no GPS position or device serial of the original goes with the copy.
 * The image data is copied byte for byte. Returns 0, CT_EINVAL when the
 * file is not a JPEG whose segments can be walked, CT_EIO or CT_ENOMEM.
 */
int stamp_jpeg(const char *path, const char *mark, int orientation,
	       struct buf *out, struct error *err);

/* stamp_jpeg on the len bytes of a JPEG file in memory at jpeg. */
int stamp_jpeg_data(const uint8_t *jpeg, size_t len, const char *mark,
		    int orientation, struct buf *out, struct error *err);

/*
 * Writes a copy of the audio or video file at in_path to out_path, whose
 * extension chooses the container (.mp4, .mov, .m4a, .mp3, .avi, .mkv).
 * Every packet is copied as it is. The tag "comment" is set to mark, and
 * the original's other tags are kept except those of where it was
 * recorded (names containing "location" or "gps"). It runs libavformat's
 * demuxer on untrusted bytes, so only `casetrail copy stamp-media` calls
 * it, in a process of its own. Returns 0, or CT_EINVAL when the file
 * cannot be read or the container cannot carry its streams; out_path is
 * then removed.
 */
int stamp_av(const char *in_path, const char *out_path, const char *mark,
	     struct error *err);

/*
 * Runs `exe copy stamp-media IN OUT` (exe NULL: /proc/self/exe) as a
 * separate process with posix_spawn, which is safe in a threaded server,
 * writes mark to its standard input and waits for it at most seconds,
 * killing it with SIGKILL past that. Returns 0 when it exited 0 and wrote
 * out_path, else CT_EIO (CT_EINVAL for a mark of PIPE_BUF bytes or more)
 * with out_path removed.
 */
int stamp_av_run(const char *exe, const char *in_path, const char *out_path,
		 const char *mark, int seconds, struct error *err);

#endif
