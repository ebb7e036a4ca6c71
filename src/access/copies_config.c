/*
 * The settings of copy requests and the status inquiry: data/access.json,
 * checked member by member when the access module opens, so that a typo
 * fails at start rather than when a copy is made (docs/data.md).
 */
#include "common/common.h"

#include <unistd.h>

#include "copies_internal.h"

static const char *str_of(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static json_int_t int_of(const json_t *o, const char *key, json_int_t def)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? json_integer_value(v) : def;
}

int copy_check_members(const json_t *o, const char *where,
		       const char *const *names, struct error *err)
{
	const char *key;
	json_t *v;

	if (!json_is_object(o))
		return error_set(err, CT_EINVAL, "%s must be an object", where);
	json_object_foreach((json_t *)o, key, v) {
		size_t i = 0;

		while (names[i] && strcmp(names[i], key))
			i++;
		if (!names[i])
			return error_set(err, CT_EINVAL, "%s has the unknown "
					 "member '%s'", where, key);
	}
	for (size_t i = 0; names[i]; i++)
		if (!json_object_get(o, names[i]))
			return error_set(err, CT_EINVAL, "%s lacks the member "
					 "'%s'", where, names[i]);
	return 0;
}

static int check_strings(const json_t *a, const char *where,
			 struct error *err)
{
	json_t *v;
	size_t i;

	if (!json_is_array(a))
		return error_set(err, CT_EINVAL, "%s must be an array of "
				 "strings", where);
	json_array_foreach(a, i, v)
		if (!json_is_string(v) || !json_string_length(v))
			return error_set(err, CT_EINVAL, "%s[%zu] must be a "
					 "non-empty string", where, i);
	return 0;
}

/*
 * Checks [{"<key>": code, "reason": text}], whose members may also have
 * "unless": "applicant" or "subject" when with_unless.
 */
static int check_reasons(const json_t *a, const char *where, const char *key,
			 bool with_unless, struct error *err)
{
	const char *const names[] = { key, "reason", NULL };
	const char *unless;
	char at[128];
	json_t *v, *copy;
	size_t i;
	int rc;

	if (!json_is_array(a))
		return error_set(err, CT_EINVAL, "%s must be an array", where);
	json_array_foreach(a, i, v) {
		snprintf(at, sizeof(at), "%s[%zu]", where, i);
		unless = str_of(v, "unless");
		copy = json_copy(v);
		if (with_unless)
			json_object_del(copy, "unless");
		rc = copy_check_members(copy, at, names, err);
		json_decref(copy);
		if (rc)
			return rc;
		if (!str_of(v, key) || !str_of(v, "reason") ||
		    !str_of(v, "reason")[0])
			return error_set(err, CT_EINVAL, "%s needs a text "
					 "'%s' and a non-empty 'reason'", at,
					 key);
		if (json_object_get(v, "unless") && (!unless ||
		    (strcmp(unless, "applicant") && strcmp(unless, "subject"))))
			return error_set(err, CT_EINVAL, "%s.unless must be "
					 "\"applicant\" or \"subject\"", at);
	}
	return 0;
}

static int positive(const json_t *o, const char *key, const char *where,
		    int max, int *out, struct error *err)
{
	json_int_t v = int_of(o, key, -1);

	if (v < 1 || v > max)
		return error_set(err, CT_EINVAL, "%s.%s must be an integer "
				 "from 1 to %d", where, key, max);
	*out = (int)v;
	return 0;
}

static int check_copy_settings(struct copies *cp, struct error *err)
{
	static const char *const names[] = {
		"number_prefix", "time_limit", "withhold_kinds",
		"withhold_marks", "subject_fields", "person_fields",
		"id_fields", "phone_fields", "address_fields",
		"email_fields", "organization_words", NULL,
	};
	static const char *const limit_names[] = { "value", "unit", NULL };
	static const char *const lists[] = {
		"person_fields", "id_fields", "phone_fields",
		"address_fields", "email_fields", "organization_words",
	};
	const json_t *r = cp->req, *limit = json_object_get(r, "time_limit");
	const char *unit, *key;
	json_t *v;
	int rc = copy_check_members(r, "copy_requests", names, err);

	if (rc == 0)
		rc = copy_check_members(limit, "copy_requests.time_limit",
				   limit_names, err);
	if (rc)
		return rc;
	unit = str_of(limit, "unit");
	if (!unit || limit_unit_parse(unit, &cp->limit_unit) ||
	    cp->limit_unit == UNIT_HOURS)
		return error_set(err, CT_EINVAL, "copy_requests.time_limit."
				 "unit must be working_days or calendar_days");
	rc = positive(limit, "value", "copy_requests.time_limit", 365,
		      &cp->limit_value, err);
	if (rc == 0 && (!str_of(r, "number_prefix") ||
			!str_of(r, "number_prefix")[0] ||
			strlen(str_of(r, "number_prefix")) > 60))
		rc = error_set(err, CT_EINVAL, "copy_requests.number_prefix "
			       "must be a text of 1 to 60 bytes");
	if (rc == 0)
		rc = check_reasons(json_object_get(r, "withhold_kinds"),
				   "copy_requests.withhold_kinds", "kind",
				   false, err);
	if (rc == 0)
		rc = check_reasons(json_object_get(r, "withhold_marks"),
				   "copy_requests.withhold_marks", "mark", true,
				   err);
	for (size_t i = 0; rc == 0 && i < ARRAY_SIZE(lists); i++)
		rc = check_strings(json_object_get(r, lists[i]), lists[i],
				   err);
	if (rc == 0 && !json_is_object(json_object_get(r, "subject_fields")))
		rc = error_set(err, CT_EINVAL, "copy_requests.subject_fields "
			       "must map record kinds to field names");
	json_object_foreach(json_object_get(r, "subject_fields"), key, v)
		if (rc == 0 && (!json_is_string(v) || !json_string_length(v)))
			rc = error_set(err, CT_EINVAL, "copy_requests."
				       "subject_fields.%s must name a field",
				       key);
	return rc;
}

static int check_inquiry_settings(struct copies *cp, struct error *err)
{
	static const char *const names[] = {
		"requests_per_minute", "lockout_after", "lockout_minutes",
		"document_titles", NULL,
	};
	const json_t *q = cp->inq;
	const char *key;
	json_t *v;
	int rc = copy_check_members(q, "inquiry", names, err);

	if (rc == 0)
		rc = positive(q, "requests_per_minute", "inquiry", 10000,
			      &cp->rate_per_minute, err);
	if (rc == 0)
		rc = positive(q, "lockout_after", "inquiry", 1000,
			      &cp->lockout_after, err);
	if (rc == 0)
		rc = positive(q, "lockout_minutes", "inquiry", 10080,
			      &cp->lockout_minutes, err);
	if (rc == 0 && !json_is_object(json_object_get(q, "document_titles")))
		rc = error_set(err, CT_EINVAL, "inquiry.document_titles must "
			       "be an object");
	json_object_foreach(json_object_get(q, "document_titles"), key, v)
		if (rc == 0 && !json_is_string(v))
			rc = error_set(err, CT_EINVAL, "inquiry."
				       "document_titles.%s must be a text",
				       key);
	return rc;
}

static int load_settings(struct copies *cp, struct error *err)
{
	static const char *const names[] = {
		"version", "copy_requests", "inquiry", NULL,
	};
	json_error_t jerr;
	int rc;

	cp->doc = json_load_file(cp->path, JSON_REJECT_DUPLICATES, &jerr);
	if (!cp->doc && access(cp->path, F_OK) != 0 && errno == ENOENT)
		return 0;
	if (!cp->doc)
		return error_set(err, CT_EINVAL, "'%s': %s (line %d, column "
				 "%d)", cp->path, jerr.text, jerr.line,
				 jerr.column);
	rc = copy_check_members(cp->doc, "access.json", names, err);
	cp->req = json_object_get(cp->doc, "copy_requests");
	cp->inq = json_object_get(cp->doc, "inquiry");
	if (rc == 0)
		rc = check_copy_settings(cp, err);
	if (rc == 0)
		rc = check_inquiry_settings(cp, err);
	if (rc)
		return error_set(err, rc, "'%s' is invalid", cp->path);
	return 0;
}

int copies_open(struct access *a, const char *data_dir, struct copies **out,
		struct error *err)
{
	struct copies *cp = calloc(1, sizeof(*cp));
	int rc;

	(void)a;
	*out = NULL;
	if (!cp)
		return error_set(err, CT_ENOMEM, "out of memory");
	pthread_mutex_init(&cp->mu, NULL);
	cp->wrong = json_object();
	snprintf(cp->path, sizeof(cp->path), "%s/access.json", data_dir);
	rc = load_settings(cp, err);
	if (rc) {
		copies_close(cp);
		return rc;
	}
	*out = cp;
	return 0;
}

void copies_close(struct copies *cp)
{
	if (!cp)
		return;
	json_decref(cp->doc);
	json_decref(cp->wrong);
	crypto_wipe(cp->key, sizeof(cp->key));
	pthread_mutex_destroy(&cp->mu);
	free(cp);
}

int copies_need_config(const struct copies *cp, struct error *err)
{
	if (cp && cp->doc)
		return 0;
	return error_set(err, CT_ENOTFOUND, "'%s' is missing; copy requests "
			 "and the status inquiry need its settings (see "
			 "docs/data.md)", cp ? cp->path : "access.json");
}
