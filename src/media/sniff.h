/*
 * Media type sniffing from content with libmagic, never from file names:
 * an evidence file's name is whatever the device or the uploader chose.
 */
#ifndef CASETRAIL_SNIFF_H
#define CASETRAIL_SNIFF_H

#include <stddef.h>

/*
 * Writes the MIME type of the data ("image/jpeg") into out; writes
 * "application/octet-stream" when libmagic cannot tell. head is the start
 * of the file (a few KiB suffice). Safe to call from several threads.
 */
void sniff_media_type(const void *head, size_t len, char *out, size_t n);

#endif
