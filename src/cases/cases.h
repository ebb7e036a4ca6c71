/*
 * Record kinds. Each kind has a schema of fields; a record whose fields do
 * not fit its kind's schema is rejected before it reaches the ledger.
 * casetrail has one kind so far:
 *
 *   note (情况说明), an explanatory statement: {"text": non-empty string}
 */
#ifndef CASETRAIL_CASES_H
#define CASETRAIL_CASES_H

#include <jansson.h>

#include "common/error.h"

/* Maximum text of a note, in bytes of UTF-8. */
#define NOTE_TEXT_MAX (256 * 1024)

/*
 * Checks that kind is a known record kind and fields fit its schema.
 * Returns 0 or CT_EINVAL with err naming the kind or field.
 */
int record_kind_check(const char *kind, const json_t *fields,
		      struct error *err);

#endif
