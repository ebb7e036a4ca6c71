/*
 * Inside the archive module: the bag writer (bag.c), the package XML
 * (eep.c) and the sealing of a case (archive.c).
 */
#ifndef CASETRAIL_ARCHIVE_INTERNAL_H
#define CASETRAIL_ARCHIVE_INTERNAL_H

#include <jansson.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "crypto/crypto.h"

/* The manifests' algorithms, in the order the bag lists them. */
#define BAG_NALGS 3
extern const char *const bag_algs[BAG_NALGS];

/* A kind of entry that the archive module writes. */
#define KIND_CASE_FILE_SEAL "case-file-seal"
/* The entry of an issued document (src/documents/). */
#define KIND_DOCUMENT_ISSUE "document-issue"

/* One file of a bag, as the bag writer hashed it. */
struct bag_file {
	char *path;                           /* relative to the bag */
	char hex[BAG_NALGS][DIGEST_MAX * 2 + 1];
	uint64_t size;
};

struct bag;

/*
 * Starts a bag named root written as format ("tar" or "zip") to fd.
 * mtime_s stamps every member.
 */
int bag_open(int fd, const char *format, const char *root, int64_t mtime_s,
	     struct bag **out, struct error *err);
/* Adds a member from memory; a path outside data/ is a tag file. */
int bag_add(struct bag *b, const char *path, const void *data, size_t len,
	    struct error *err);
/* Streams the file at src into the bag as path, never whole in memory. */
int bag_add_file(struct bag *b, const char *path, const char *src,
		 struct error *err);
/* The files added so far (payload and tag files). */
const struct bag_file *bag_files(const struct bag *b, size_t *n);
/*
 * Writes bag-info.txt (info, then Bagging-Date and Payload-Oxum), the
 * manifests, bagit.txt and the tag manifests, and closes the archive.
 * tag_sha256 and tag_sm3 receive the SHA-256 of tagmanifest-sha256.txt
 * and the SM3 of tagmanifest-sm3.txt as hex.
 */
int bag_finish(struct bag *b, const char *info,
	       char tag_sha256[DIGEST_MAX * 2 + 1],
	       char tag_sm3[DIGEST_MAX * 2 + 1], struct error *err);
void bag_free(struct bag *b);

/* Writes the hex of n bytes into out (2n + 1 bytes). */
void bag_hex(const uint8_t *p, size_t n, char *out);

/* The EEP (DA/T 48) of a case file, from the package description. */
struct key;
int eep_write(const json_t *pkg, struct key *seal, const char *seal_pem,
	      struct buf *out, struct error *err);

#endif
