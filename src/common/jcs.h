/*
 * JSON for commitments: strict parsing with Jansson and the RFC 8785
 * (JSON Canonicalization Scheme) writer that casetrail hashes.
 *
 * casetrail allows only the part of JSON whose canonical form is exact:
 * strings, booleans, null, arrays, objects and integers within
 * [-(2^53 - 1), 2^53 - 1]. Non-integer numbers and larger integers are
 * rejected with an error naming the field, and so are duplicate keys.
 */
#ifndef CASETRAIL_JCS_H
#define CASETRAIL_JCS_H

#include <jansson.h>

#include "buf.h"
#include "error.h"

#define JCS_MAX_SAFE_INT 9007199254740991LL

/*
 * Maximum number of arrays and objects nested in one another, counting
 * the top-level value. jcs_check and jcs_write reject deeper documents
 * with the path of the first container past the limit, so that neither
 * recurses without bound.
 */
#define JCS_MAX_DEPTH 64

/*
 * Returns whether len bytes are valid UTF-8 (no overlong forms, no UTF-16
 * surrogates, nothing beyond U+10FFFF) without NUL, that is, whether they
 * can stand in a JSON string that casetrail writes.
 */
int jcs_utf8_valid(const char *s, size_t len);

/*
 * Parses len bytes of JSON text. Rejects duplicate keys, invalid UTF-8,
 * NUL characters, reals and integers outside the safe range. On error
 * returns NULL and sets err (CT_EINVAL) to a message giving line and
 * column ("invalid JSON at line 3, column 7: ...") or the field path
 * ("field 'a.b[2]': 1.5 is not an integer").
 */
json_t *jcs_parse(const char *text, size_t len, struct error *err);

/*
 * Checks that v contains only the allowed types; on failure sets err to
 * name the field path. Returns 0 or CT_EINVAL.
 */
int jcs_check(const json_t *v, struct error *err);

/*
 * Appends the RFC 8785 canonical form of v to out: object members sorted
 * by the UTF-16 code units of their names, no whitespace, strings with
 * only the escapes the RFC requires. Returns 0, CT_EINVAL (a disallowed
 * value, named in err) or the buffer's CT_ETOOBIG.
 */
int jcs_write(const json_t *v, struct buf *out, struct error *err);

#endif
