/*
 * 双公示 publication of licensing decisions: the export of granted
 * licences in the national 行政许可 field set (a submission file for the
 * credit platform and a separate public view), the import of historical
 * publicity files, and the checks both need (the CSV reader, the unified
 * social credit code of GB 32100-2015).
 *
 * The module sits above the access module: an export is decided by the
 * access policy (ACT_PUBLICITY_EXPORT) and reads confidentiality marks.
 * Its entries, publicity-export and publicity-history, belong to no case;
 * the workflow projects them (cases/publicity_proj.c) so that a case's
 * evaluation knows when each decision was first exported.
 *
 * Functions return 0 or a negative CT_E* code with detail in err, and
 * hand the caller one reference of every json_t they return.
 */
#ifndef CASETRAIL_PUBLICITY_H
#define CASETRAIL_PUBLICITY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "access/access.h"
#include "common/buf.h"
#include "common/error.h"

/* --- the CSV reader (RFC 4180) ----------------------------------------- */

/* The maximum size of one field in bytes, and of a whole file. */
#define CSV_FIELD_MAX ((size_t)64 << 10)
#define CSV_FILE_MAX ((size_t)64 << 20)

/*
 * Called per record with its 1-based row number (the header is row 1)
 * and its fields, NUL-terminated; a nonzero return stops the reading
 * and is returned.
 */
typedef int (*csv_row_fn)(void *ctx, size_t row, char **fields, size_t n,
			  struct error *err);

/*
 * Reads RFC 4180 CSV from data: a UTF-8 byte order mark is skipped,
 * records end in CRLF or LF, quoted fields may hold commas, quotes ("")
 * and line breaks. Rejects, naming the row and column: invalid UTF-8,
 * an unterminated quoted field, text after a closing quote, a NUL byte,
 * and a field over CSV_FIELD_MAX. Rows of whitespace alone are skipped.
 * CT_EINVAL for malformed input; fn's code otherwise.
 */
int csv_read(const char *data, size_t len, csv_row_fn fn, void *ctx,
	     struct error *err);

/* Appends text as one CSV field, quoted when it contains a comma, quote,
 * CR or LF, begins or ends with a space, or begins with U+FEFF. */
int csv_put_field(struct buf *out, const char *text);

/* --- unified social credit codes --------------------------------------- */

/*
 * Checks a unified social credit code (统一社会信用代码, GB 32100-2015):
 * 18 characters of 0-9 and A-H J-N P Q R T U W X Y; characters 9 to 17
 * an organization code whose ninth character is its GB 11714 check; and
 * the 18th character the weighted modulo-31 check of the first 17.
 * CT_EINVAL naming the code and the failing part.
 */
int credit_code_check(const char *code, struct error *err);

/*
 * Returns a copy of text in which every resident identity card number
 * is replaced by one '*' per character, and adds their count to *count.
 * A number is 18 characters with a valid GB 11643 birth date and check
 * character, or an old 15-digit one: a run of exactly 15 digits with a
 * valid month and day. Full-width digits count, and letters around a
 * number do not hide it. NULL when out of memory.
 */
char *publicity_mask_resident_ids(const char *text, size_t *count);

/* --- export -------------------------------------------------------------- */

/* The national 行政许可 columns in the order the export writes them. */
extern const char *const publicity_columns[];
#define PUBLICITY_COLUMNS 28

struct publicity_export_req {
	int32_t from_day, to_day; /* decision days, inclusive (deadlines.h) */
	bool public_view;         /* the public view, not the submission */
	const char *authority_code; /* overrides data/publicity.json; NULL */
};

/*
 * Writes the granted licences decided from from_day to to_day as CSV
 * into csv, as p (ACT_PUBLICITY_EXPORT), and appends a publicity-export
 * entry naming the decisions, the output, the row count and the file's
 * SHA-256 and store hash. Returns {seq, output, rows, decisions[],
 * withheld[], sha256, hash, warnings[]} in *out.
 */
int publicity_export(struct access *a, const struct principal *p,
		     const struct actor *by,
		     const struct publicity_export_req *req, struct buf *csv,
		     json_t **out, struct error *err);

/* --- import and listing -------------------------------------------------- */

/*
 * Reads a historical 双公示 行政许可 file (data, len bytes) named source.
 * Header names are matched case-insensitively, with aliases (the lower-
 * case codes, uni_social_crd_cd, the Chinese names). Every credit code
 * must pass credit_code_check. Blank fields of required columns are
 * warnings, repeated rows are reported. Unless check_only, and only when
 * no row has an error, the rows not stored yet are appended as
 * publicity-history entries, as p (ACT_PUBLICITY_EXPORT). With
 * check_only, p and by are unused and may be NULL. Returns the report {rows, stored, already,
 * duplicates[], warnings[], errors[], columns[], ignored[]} in *out; a
 * file with errors also returns CT_EINVAL.
 */
int publicity_import(struct access *a, const struct principal *p,
		     const struct actor *by,
		     const char *data, size_t len, const char *source,
		     bool check_only, json_t **out, struct error *err);

/* Returns {"items": [{key, seq, row, source, fields}], "total"}, in key
 * order, from offset, at most limit items (0: all). */
int publicity_list(struct access *a, size_t offset, size_t limit,
		   json_t **out, struct error *err);

#endif
