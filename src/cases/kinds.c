/* Record kinds and their field schemas (see cases.h). */
#include "common/common.h"

#include "cases.h"

static int check_note(const json_t *fields, struct error *err)
{
	const char *key;
	json_t *value;
	const json_t *text = json_object_get(fields, "text");

	json_object_foreach((json_t *)fields, key, value) {
		if (strcmp(key, "text") != 0)
			return error_set(err, CT_EINVAL,
					 "field '%s' is not a field of kind "
					 "note; a note has only 'text'", key);
	}
	if (!text)
		return error_set(err, CT_EINVAL,
				 "field 'text' is missing; a note needs "
				 "{\"text\": \"...\"}");
	if (!json_is_string(text))
		return error_set(err, CT_EINVAL,
				 "field 'text' must be a string");
	if (json_string_length(text) == 0)
		return error_set(err, CT_EINVAL, "field 'text' is empty");
	if (json_string_length(text) > NOTE_TEXT_MAX)
		return error_set(err, CT_EINVAL,
				 "field 'text' is %zu bytes, over the limit "
				 "of %d; attach long text as a file",
				 json_string_length(text), NOTE_TEXT_MAX);
	return 0;
}

int record_kind_check(const char *kind, const json_t *fields,
		      struct error *err)
{
	if (!json_is_object(fields))
		return error_set(err, CT_EINVAL,
				 "record fields must be a JSON object");
	if (!strcmp(kind, "note"))
		return check_note(fields, err);
	return error_set(err, CT_EINVAL,
			 "unknown record kind '%s'; the known kind is note "
			 "(情况说明)", kind);
}
