/*
 * Marks on copies of media files: the request number, requester and
 * date of a copy set written into the file itself, so that a copy that
 * leaks can be traced to its request even when renamed.
 */
#ifndef CASETRAIL_MEDIA_STAMP_H
#define CASETRAIL_MEDIA_STAMP_H

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

#endif
