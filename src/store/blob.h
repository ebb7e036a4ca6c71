/*
 * The blob store: a directory of immutable files named by their content
 * hash, blobs/<alg>/<h0h1>/<h2h3>/<hex>. A file is streamed into
 * blobs/tmp and hashed with the store's hash and SHA-256 in the same pass.
 * It is then fsynced, renamed to its hash name and the directory fsynced,
 * so a blob either exists whole under its name or not at all. Memory use does not depend on the file size.
 */
#ifndef CASETRAIL_BLOB_H
#define CASETRAIL_BLOB_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "crypto/crypto.h"

struct blob_dir;

struct blob_info {
	char hash[HASH_TEXT_MAX];   /* the store's hash */
	char sha256[HASH_TEXT_MAX]; /* always SHA-256 */
	uint64_t size;
	uint8_t head[4096]; /* the first bytes, for sniffing the media type */
	size_t head_len;
};

/* Opens the blob store under dir (which must exist); creates subfolders. */
int blob_dir_open(const char *dir, enum hash_alg alg, struct blob_dir **out,
		  struct error *err);
void blob_dir_free(struct blob_dir *bd);

/*
 * Streams fd to its end into the store and fills info. A blob whose hash
 * is already stored is not written again. max_size bounds the file size
 * (0 for no bound); a larger input fails with CT_ETOOBIG and stores
 * nothing. name is used in error messages only.
 */
int blob_put_fd(struct blob_dir *bd, int fd, const char *name,
		uint64_t max_size, struct blob_info *info, struct error *err);

/*
 * Writes the file path of a blob. The hash text is parsed strictly first,
 * so no text can produce a path outside the store. Returns 0 or CT_EINVAL.
 */
int blob_path(const struct blob_dir *bd, const char *hash, char *out,
	      size_t n);

/* Returns whether the blob's file exists. */
int blob_exists(const struct blob_dir *bd, const char *hash);

/*
 * Re-hashes a stored blob and compares it with its hash name, the given
 * SHA-256 text (may be NULL) and size. Returns 0, CT_ENOTFOUND or
 * CT_ECORRUPT with err naming the blob.
 */
int blob_check(const struct blob_dir *bd, const char *hash,
	       const char *sha256, uint64_t size, struct error *err);

/*
 * Moves a blob out of its hash name to blobs/tmp/expunged-<hex>, so that
 * it no longer exists as a blob, and writes that path into doomed (at
 * least PATH_MAX bytes). Quick, so it can run under the write lock; the
 * slow wipe follows with blob_wipe. CT_ENOTFOUND when it does not exist.
 */
int blob_retire(const struct blob_dir *bd, const char *hash, char *doomed,
		struct error *err);

/*
 * Destroys a file: overwrites it with zeros, fsyncs, unlinks it and
 * fsyncs its folder. A file that another process destroyed meanwhile
 * counts as destroyed.
 */
int blob_wipe(const char *path, struct error *err);

/*
 * Wipes every retired blob left in blobs/tmp by a process that died
 * before it could, and removes temporary blob files older than a day
 * (a writer still streaming one refreshes its time). Returns the number
 * of files removed, or a negative code.
 */
int blob_clean_tmp(const struct blob_dir *bd, struct error *err);

/* Copies a blob into another store's blob directory (for backups). */
int blob_copy_to(const struct blob_dir *bd, const char *hash,
		 const struct blob_dir *dst, struct error *err);

/* fsyncs a directory so that a rename or unlink in it is durable. */
int fsync_dir(const char *dir, struct error *err);

#endif
