/*
 * Case files (案卷): the sealed package of an ended case, as an RFC 8493
 * BagIt bag in a tar or zip file, that a court or an archive checks
 * without casetrail (docs/archive.md).
 *
 * The bag contains every entry of the case with its content and salt, the
 * PDF rendering of every record, every file, the inclusion proof of
 * every entry against one signed checkpoint, the keys that verify them,
 * a DA/T 48 package XML (eep.xml) signed with the bureau's seal key, the
 * catalogue (卷内目录) and closing note (备考表), the DA/T 70 check report
 * and verify.py, a verifier that needs only Python's standard library.
 *
 * Sealing appends a "case-file-seal" entry to the case that holds the
 * package as its attachment and names its tag manifest's hashes. A case
 * with entries after its last seal is sealed again as an amended package
 * (修改型) that holds the previous one under data/original/.
 */
#ifndef CASETRAIL_ARCHIVE_H
#define CASETRAIL_ARCHIVE_H

#include <jansson.h>
#include <stdint.h>

#include "access/access.h"
#include "cases/cases.h"
#include "common/error.h"
#include "documents/documents.h"

/* The case to seal, the package format and the preparer. */
struct archive_req {
	const char *case_id;
	const char *format;     /* "tar" (default) or "zip" */
	const struct actor *by; /* the preparer (立卷人) */
	const char *data_dir;   /* bureau data: bureau.json, matters.json */
};

/*
 * Seals the case file of an ended case and writes the package to fd,
 * which must be an empty regular file opened for reading and writing.
 * When nothing was added to the case since its last seal, writes the
 * stored package again. d may be NULL (no PDF renderings). *info gets
 * {case, reference, type, format, seq, size, sha256, tagmanifest,
 * covers: {first, last}, checkpoint, problems, new}. Errors: CT_ENOTFOUND
 * for an unknown case, CT_ESTATE for a case that has not ended,
 * CT_EINVAL for a bad format.
 */
int archive_seal(struct access *a, struct documents *d,
		 const struct archive_req *req, int fd, json_t **info,
		 struct error *err);

/*
 * Returns the records of case_id that a case file exports under a mark:
 * [{"seq", "mark"}] with each record's mark (the security
 * administrator's, else its content's), oldest first. Reads of the
 * access log and seals carry none. Sealing or downloading the case file
 * needs the clearance for every mark listed (docs/access.md).
 */
int archive_marks(struct access *a, const char *case_id, json_t **out,
		  struct error *err);

/* Returns the seals of a case, oldest first: {"items": [info]}. */
int archive_list(struct access *a, const char *case_id, json_t **out,
		 struct error *err);

/*
 * Checks a package file without a store. key_pem (may be NULL) is a log
 * public key to trust instead of the package's own. Calls problem for
 * each problem found, with the file it concerns ("" for the package) and
 * what is wrong. Returns the number of problems (0: the package is
 * sound), or a negative code when path cannot be read at all.
 */
typedef void (*archive_problem_fn)(void *ctx, const char *file,
				   const char *what);
int archive_verify(const char *path, const char *key_pem,
		   archive_problem_fn problem, void *ctx, struct error *err);

/* The bytes of verify.py, as embedded at build time. */
extern const char archive_verify_py[];
extern const unsigned long archive_verify_py_len;

#endif
