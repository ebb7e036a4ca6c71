/*
 * Record schemas: the fields of each kind, its signers, the party's
 * confirmation and the audio-visual record, checked against the kind's
 * definition in record-kinds.json. Every error names the field by its
 * path (officers[1].credential_no) and states what it must be.
 */
#include "common/common.h"

#include "internal.h"

#define STRING_MAX_DEFAULT 500
#define TEXT_MAX_BYTES 65536

/* Members of a record's fields that every kind may carry. */
static const char *const reserved[] = {
	"signatures", "confirmation", "av", "av_exemption", "number", "mark",
};

/* Confidentiality marks, each raising the one before. */
static const char *const mark_order[] = {
	"none", "commercial-secret", "personal", "sensitive-personal",
};

static int mark_rank(const char *code)
{
	for (size_t i = 0; i < ARRAY_SIZE(mark_order); i++)
		if (code && !strcmp(code, mark_order[i]))
			return (int)i;
	return -1;
}

/*
 * The "mark" member raises the kind's default confidentiality mark; only
 * the security administrator lowers one, with a mark entry of its own.
 */
static int check_mark(const json_t *kind, const json_t *fields,
		      struct error *err)
{
	json_t *v = json_object_get(fields, "mark");
	const char *code = json_string_value(v);
	const char *def = json_string_value(json_object_get(kind,
							    "confidentiality"));

	if (!v)
		return 0;
	if (code && (!strcmp(code, "state-secret") ||
		     !strcmp(code, "国家秘密")))
		return error_set(err, CT_EINVAL, "field 'mark' is "
				 "state-secret: state secrets are never stored "
				 "in casetrail; keep the material under the "
				 "secrecy rules and add a "
				 "'secret-material-note' record that says it "
				 "exists and where it is kept");
	if (mark_rank(code) < 0)
		return error_set(err, CT_EINVAL, "field 'mark' must be none, "
				 "commercial-secret, personal or "
				 "sensitive-personal");
	if (mark_rank(code) < mark_rank(def))
		return error_set(err, CT_EINVAL, "field 'mark' = '%s' is below "
				 "the kind's default '%s'; a record's author "
				 "may only raise its mark, and the security "
				 "administrator lowers one", code, def);
	return 0;
}

static int is_reserved(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
		if (!strcmp(name, reserved[i]))
			return 1;
	return 0;
}

/* Counts UTF-8 characters (the input is valid UTF-8). */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/*
 * Returns the first character of s that a record must not contain, or 0.
 * Those are control characters other than tab and newline, and invisible
 * or direction-changing ones (U+200B..U+200F, U+202A..U+202E,
 * U+2066..U+2069, U+FEFF). They can make a name read differently from
 * what is stored.
 */
static uint32_t hidden_char(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		uint32_t cp = *p;
		int n = 1;

		if (cp >= 0xf0)
			cp = (cp & 0x07) << 18 | (p[1] & 0x3f) << 12 |
			     (p[2] & 0x3f) << 6 | (p[3] & 0x3f), n = 4;
		else if (cp >= 0xe0)
			cp = (cp & 0x0f) << 12 | (p[1] & 0x3f) << 6 |
			     (p[2] & 0x3f), n = 3;
		else if (cp >= 0xc0)
			cp = (cp & 0x1f) << 6 | (p[1] & 0x3f), n = 2;
		if ((cp < 0x20 && cp != '\t' && cp != '\n') || cp == 0x7f ||
		    (cp >= 0x200b && cp <= 0x200f) ||
		    (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff)
			return cp;
		p += n;
	}
	return 0;
}

static json_int_t spec_int(const json_t *spec, const char *key, json_int_t def)
{
	json_t *v = json_object_get(spec, key);

	return json_is_integer(v) ? json_integer_value(v) : def;
}

/* Returns whether spec's "when" condition holds for fields (or none). */
static int when_holds(const json_t *spec, const json_t *fields)
{
	json_t *when = json_object_get(spec, "when"), *have;

	if (!when)
		return 1;
	have = json_object_get(fields,
			       json_string_value(json_object_get(when, "field"))
				       ?: "");
	return have && json_equal(have, json_object_get(when, "equals"));
}

static int check_fields(const struct check_env *env, const json_t *specs,
			const json_t *fields, const char *path,
			const char *kind, struct error *err);

/*
 * Parses an RFC 3339 date-time. time_parse also takes a bare date, which
 * names no moment, so a date-time must be longer than YYYY-MM-DD.
 */
static int parse_datetime(const char *text, int64_t *ms)
{
	return text && strlen(text) > 10 ? time_parse(text, ms) : CT_EINVAL;
}

static int check_string(const json_t *spec, const json_t *v, const char *path,
			int text, struct error *err)
{
	const char *s = json_string_value(v);
	json_int_t max = spec_int(spec, "max", text ? 0 : STRING_MAX_DEFAULT);
	json_int_t min = spec_int(spec, "min", 1);

	if (!s)
		return error_set(err, CT_EINVAL, "field '%s' must be a string",
				 path);
	/* The max of a text field counts bytes; of a string, characters. */
	if (text && (json_int_t)json_string_length(v) >
			    spec_int(spec, "max", TEXT_MAX_BYTES))
		return error_set(err, CT_EINVAL, "field '%s' is %zu bytes, over "
				 "the limit of %" JSON_INTEGER_FORMAT "; attach "
				 "long text as a file", path,
				 json_string_length(v),
				 spec_int(spec, "max", TEXT_MAX_BYTES));
	if (!text && strchr(s, '\n'))
		return error_set(err, CT_EINVAL, "field '%s' must be one line",
				 path);
	if (hidden_char(s))
		return error_set(err, CT_EINVAL, "field '%s' contains the "
				 "control or invisible character U+%04X; remove "
				 "it", path, (unsigned)hidden_char(s));
	if ((json_int_t)utf8_chars(s) < min)
		return error_set(err, CT_EINVAL, "field '%s' is empty", path);
	if (!text && max > 0 && (json_int_t)utf8_chars(s) > max)
		return error_set(err, CT_EINVAL, "field '%s' has %zu "
				 "characters, over the limit of %" JSON_INTEGER_FORMAT,
				 path, utf8_chars(s), max);
	return 0;
}

static int check_integer(const json_t *spec, const json_t *v, const char *path,
			 struct error *err)
{
	json_int_t n = json_integer_value(v);

	if (!json_is_integer(v))
		return error_set(err, CT_EINVAL, "field '%s' must be an integer",
				 path);
	if (json_object_get(spec, "min") && n < spec_int(spec, "min", 0))
		return error_set(err, CT_EINVAL, "field '%s' is %" JSON_INTEGER_FORMAT
				 "; the least allowed is %" JSON_INTEGER_FORMAT,
				 path, n, spec_int(spec, "min", 0));
	if (json_object_get(spec, "max") && n > spec_int(spec, "max", 0))
		return error_set(err, CT_EINVAL, "field '%s' is %" JSON_INTEGER_FORMAT
				 "; the most allowed is %" JSON_INTEGER_FORMAT,
				 path, n, spec_int(spec, "max", 0));
	return 0;
}

static int check_enum(const json_t *spec, const json_t *v, const char *path,
		      struct error *err)
{
	json_t *values = json_object_get(spec, "values"), *x;
	char list[512] = "";
	size_t i, used = 0;

	json_array_foreach(values, i, x) {
		if (json_equal(x, v))
			return 0;
		used += (size_t)snprintf(list + used, sizeof(list) - used,
					 "%s%s", i ? ", " : "",
					 json_string_value(x) ?: "");
		if (used >= sizeof(list))
			used = sizeof(list) - 1;
	}
	return error_set(err, CT_EINVAL, "field '%s' is %s%s%s; use one of %s",
			 path, json_is_string(v) ? "'" : "",
			 json_is_string(v) ? json_string_value(v) : "not a string",
			 json_is_string(v) ? "'" : "", list);
}

static int check_user(const struct check_env *env, const json_t *v,
		      const char *path, struct error *err)
{
	json_t *u;

	if (!json_is_string(v) || json_string_length(v) == 0)
		return error_set(err, CT_EINVAL, "field '%s' must name a user",
				 path);
	if (!env->user)
		return 0;
	u = env->user(env->user_ctx, json_string_value(v));
	if (!u)
		return error_set(err, CT_EINVAL, "field '%s' names user '%s', "
				 "who is not registered; add staff with "
				 "'casetrail user add'", path,
				 json_string_value(v));
	json_decref(u);
	return 0;
}

static int check_value(const struct check_env *env, const json_t *spec,
		       const json_t *v, const char *path, const char *kind,
		       struct error *err);

static int check_array(const struct check_env *env, const json_t *spec,
		       const json_t *v, const char *path, const char *kind,
		       const char *item_type, struct error *err)
{
	json_int_t min = spec_int(spec, "min", 0);
	json_int_t max = spec_int(spec, "max", 1000);
	json_t *item_spec, *x;
	size_t i;
	int rc = 0;

	if (!json_is_array(v))
		return error_set(err, CT_EINVAL, "field '%s' must be a list",
				 path);
	if ((json_int_t)json_array_size(v) < min)
		return error_set(err, CT_EINVAL, "field '%s' lists %zu; at least "
				 "%" JSON_INTEGER_FORMAT " are required", path,
				 json_array_size(v), min);
	if ((json_int_t)json_array_size(v) > max)
		return error_set(err, CT_EINVAL, "field '%s' lists %zu; at most "
				 "%" JSON_INTEGER_FORMAT " are allowed", path,
				 json_array_size(v), max);
	item_spec = json_deep_copy(spec);
	json_object_set_new(item_spec, "type", json_string(item_type));
	json_object_del(item_spec, "min");
	json_object_del(item_spec, "max");
	json_array_foreach(v, i, x) {
		char sub[256];

		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		rc = check_value(env, item_spec, x, sub, kind, err);
		if (rc)
			break;
	}
	json_decref(item_spec);
	return rc;
}

static int check_value(const struct check_env *env, const json_t *spec,
		       const json_t *v, const char *path, const char *kind,
		       struct error *err)
{
	const char *type = json_string_value(json_object_get(spec, "type"))
				   ?: "";
	int32_t day;
	int64_t ms;

	if (!strcmp(type, "string") || !strcmp(type, "text"))
		return check_string(spec, v, path, type[0] == 't', err);
	if (!strcmp(type, "integer"))
		return check_integer(spec, v, path, err);
	if (!strcmp(type, "boolean"))
		return json_is_boolean(v) ? 0 : error_set(err, CT_EINVAL,
				"field '%s' must be true or false", path);
	if (!strcmp(type, "date"))
		return json_is_string(v) &&
				       day_parse(json_string_value(v), &day) == 0
			       ? 0
			       : error_set(err, CT_EINVAL, "field '%s' must be "
					   "a real date as YYYY-MM-DD", path);
	if (!strcmp(type, "datetime"))
		return parse_datetime(json_string_value(v), &ms) == 0
			       ? 0
			       : error_set(err, CT_EINVAL, "field '%s' must be "
					   "a time as RFC 3339, for example "
					   "2026-12-04T09:30:00+08:00", path);
	if (!strcmp(type, "enum"))
		return check_enum(spec, v, path, err);
	if (!strcmp(type, "user"))
		return check_user(env, v, path, err);
	if (!strcmp(type, "law"))
		return catalogue_check_citation(env->cat, v, path, err);
	if (!strcmp(type, "seq"))
		return json_is_integer(v) && json_integer_value(v) >= 0
			       ? 0
			       : error_set(err, CT_EINVAL, "field '%s' must be "
					   "the seq of a record", path);
	if (!strcmp(type, "object"))
		return json_is_object(v)
			       ? check_fields(env, json_object_get(spec, "fields"),
					      v, path, kind, err)
			       : error_set(err, CT_EINVAL, "field '%s' must be "
					   "an object", path);
	if (!strcmp(type, "strings"))
		return check_array(env, spec, v, path, kind, "string", err);
	if (!strcmp(type, "users"))
		return check_array(env, spec, v, path, kind, "user", err);
	if (!strcmp(type, "laws"))
		return check_array(env, spec, v, path, kind, "law", err);
	if (!strcmp(type, "objects"))
		return check_array(env, spec, v, path, kind, "object", err);
	return error_set(err, CT_EINVAL, "kind '%s' gives field '%s' the "
			 "unknown type '%s'; fix record-kinds.json", kind,
			 path, type);
}

static const json_t *find_spec(const json_t *specs, const char *name)
{
	json_t *spec;
	size_t i;

	json_array_foreach(specs, i, spec)
		if (!strcmp(json_string_value(json_object_get(spec, "name"))
				    ?: "", name))
			return spec;
	return NULL;
}

static int check_fields(const struct check_env *env, const json_t *specs,
			const json_t *fields, const char *path,
			const char *kind, struct error *err)
{
	const char *name;
	json_t *v, *spec;
	size_t i;
	int top = path[0] == '\0';

	json_object_foreach((json_t *)fields, name, v) {
		if (top && is_reserved(name))
			continue;
		if (!find_spec(specs, name))
			return error_set(err, CT_EINVAL, "field '%s%s%s' is not a "
					 "field of kind '%s'; see 'casetrail "
					 "kinds %s'", path, top ? "" : ".",
					 name, kind, kind);
	}
	json_array_foreach(specs, i, spec) {
		const char *fname = json_string_value(json_object_get(spec,
								      "name"));
		char sub[256];

		snprintf(sub, sizeof(sub), "%s%s%s", path, top ? "" : ".",
			 fname ?: "");
		v = json_object_get(fields, fname ?: "");
		if (!v || json_is_null(v)) {
			if (json_is_true(json_object_get(spec, "required")) &&
			    when_holds(spec, fields))
				return error_set(err, CT_EINVAL, "field '%s' "
						 "(%s) is missing; kind '%s' "
						 "requires it", sub,
						 json_string_value(json_object_get(
							 spec, "label")) ?: "",
						 kind);
			continue;
		}
		if (check_value(env, spec, v, sub, kind, err))
			return CT_EINVAL;
	}
	return 0;
}

static int check_attachment_index(const json_t *v, size_t nattachments,
				  const char *path, struct error *err)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (size_t)json_integer_value(v) >= nattachments)
		return error_set(err, CT_EINVAL, "%s must be the index of one of "
				 "the record's %zu attachments (from 0)", path,
				 nattachments);
	return 0;
}

static int method_allowed(const json_t *signer, const char *method)
{
	json_t *m;
	size_t i;

	json_array_foreach(json_object_get(signer, "methods"), i, m)
		if (!strcmp(json_string_value(m) ?: "", method))
			return 1;
	return 0;
}

/* Checks one signature object against what its method needs. */
static int check_signature(const struct check_env *env, const json_t *sig,
			   size_t nattachments, const char *path,
			   struct error *err)
{
	const char *method = json_string_value(json_object_get(sig, "method"));
	const char *person = json_string_value(json_object_get(sig, "person"));
	const char *at = json_string_value(json_object_get(sig, "at"));
	char sub[160];
	int64_t ms;

	if (!json_is_object(sig) || !json_string_value(json_object_get(sig,
								       "role")))
		return error_set(err, CT_EINVAL, "%s must be an object with "
				 "role, person, method and at", path);
	if (!person || !person[0])
		return error_set(err, CT_EINVAL, "%s.person is missing", path);
	if (parse_datetime(at, &ms) != 0)
		return error_set(err, CT_EINVAL, "%s.at must be the time of "
				 "signing as RFC 3339", path);
	if (!method)
		return error_set(err, CT_EINVAL, "%s.method is missing; use "
				 "staff, pad, paper, seal or refused", path);
	if (!strcmp(method, "staff")) {
		snprintf(sub, sizeof(sub), "%s.person", path);
		return check_user(env, json_object_get(sig, "person"), sub,
				  err);
	}
	snprintf(sub, sizeof(sub), "%s.attachment", path);
	if (!strcmp(method, "pad") || !strcmp(method, "paper") ||
	    !strcmp(method, "seal"))
		return check_attachment_index(json_object_get(sig, "attachment"),
					      nattachments, sub, err);
	if (!strcmp(method, "refused")) {
		const char *reason = json_string_value(json_object_get(sig,
								       "reason"));
		const char *witness = json_string_value(json_object_get(
			sig, "witness"));

		if (!reason || !reason[0])
			return error_set(err, CT_EINVAL, "%s refuses to sign "
					 "without a reason; record why in "
					 "'reason'", path);
		if (!witness || !witness[0])
			return error_set(err, CT_EINVAL, "%s refuses to sign "
					 "without a witness; name one in "
					 "'witness'", path);
		return 0;
	}
	return error_set(err, CT_EINVAL, "%s.method is '%s'; use staff, pad, "
			 "paper, seal or refused", path, method);
}

static int check_signatures(const struct check_env *env, const json_t *kind,
			    const json_t *fields, size_t nattachments,
			    struct error *err)
{
	json_t *sigs = json_object_get(fields, "signatures"), *signer, *sig;
	const char *code = json_string_value(json_object_get(kind, "code"));
	size_t i, j;

	if (sigs && !json_is_array(sigs))
		return error_set(err, CT_EINVAL, "field 'signatures' must be a "
				 "list of signatures");
	json_array_foreach(sigs, i, sig) {
		char path[64];

		snprintf(path, sizeof(path), "signatures[%zu]", i);
		if (check_signature(env, sig, nattachments, path, err))
			return CT_EINVAL;
	}
	json_array_foreach(json_object_get(kind, "signers"), i, signer) {
		const char *role = json_string_value(json_object_get(signer,
								     "role"));
		int found = 0;

		json_array_foreach(sigs, j, sig) {
			const char *r = json_string_value(json_object_get(sig,
									  "role"));
			const char *m = json_string_value(json_object_get(
				sig, "method"));

			if (strcmp(r, role ?: ""))
				continue;
			if (!method_allowed(signer, m))
				return error_set(err, CT_EINVAL, "signatures[%zu] "
						 "of role '%s' uses method '%s', "
						 "which kind '%s' does not "
						 "accept for that role", j,
						 role, m, code);
			found = 1;
		}
		if (!found && json_is_true(json_object_get(signer, "required")) &&
		    when_holds(signer, fields))
			return error_set(err, CT_EINVAL, "the signature of role "
					 "'%s' is missing; kind '%s' requires "
					 "it (a party who refuses is recorded "
					 "with method refused, a reason and a "
					 "witness)", role, code);
	}
	return 0;
}

/* The party's confirmation phrase, unless the party refused to sign. */
static int check_confirmation(const json_t *kind, const json_t *fields,
			      struct error *err)
{
	json_t *sig, *c = json_object_get(fields, "confirmation");
	size_t i;

	if (!json_is_true(json_object_get(kind, "confirmation")))
		return 0;
	if (json_is_string(c) && json_string_length(c) > 0)
		return 0;
	json_array_foreach(json_object_get(fields, "signatures"), i, sig)
		if (!strcmp(json_string_value(json_object_get(sig, "method"))
				    ?: "", "refused"))
			return 0;
	return error_set(err, CT_EINVAL, "field 'confirmation' is missing: a "
			 "transcript carries the party's confirmation phrase "
			 "(以上笔录我已看过，与我所说相符)");
}

static int check_av(const json_t *kind, const json_t *fields,
		    size_t nattachments, struct error *err)
{
	json_t *av = json_object_get(fields, "av"), *ex, *item, *allowed;
	const char *reason;
	size_t i;

	if (av) {
		if (!json_is_array(av) || json_array_size(av) == 0)
			return error_set(err, CT_EINVAL, "field 'av' must list "
					 "the audio-visual records, each "
					 "{\"attachment\": i} or {\"seq\": n}");
		json_array_foreach(av, i, item) {
			char path[64];

			snprintf(path, sizeof(path), "av[%zu].attachment", i);
			if (json_is_integer(json_object_get(item, "seq")))
				continue;
			if (check_attachment_index(json_object_get(item,
								   "attachment"),
						   nattachments, path, err))
				return CT_EINVAL;
		}
		return 0;
	}
	if (!json_is_true(json_object_get(json_object_get(kind, "av"),
					  "required")))
		return 0;
	ex = json_object_get(fields, "av_exemption");
	reason = json_string_value(json_object_get(ex, "reason"));
	allowed = json_object_get(json_object_get(kind, "av"), "exemptions");
	json_array_foreach(allowed, i, item)
		if (reason && !strcmp(json_string_value(item) ?: "", reason))
			return 0;
	if (reason)
		return error_set(err, CT_EINVAL, "av_exemption.reason '%s' is "
				 "not an approved reason for kind '%s'",
				 reason,
				 json_string_value(json_object_get(kind, "code")));
	if (ex)
		return error_set(err, CT_EINVAL, "av_exemption needs a "
				 "'reason' from the approved list");
	/*
	 * The file may reach the store after the record: it has 24 hours
	 * (the finding missing-av is raised when they run out).
	 */
	return 0;
}

int schema_check(const struct check_env *env, const json_t *kind,
		 const json_t *fields, size_t nattachments, struct error *err)
{
	const char *code = json_string_value(json_object_get(kind, "code"));

	if (!json_is_object(fields))
		return error_set(err, CT_EINVAL,
				 "record fields must be a JSON object");
	if (check_fields(env, json_object_get(kind, "fields"), fields, "",
			 code, err))
		return CT_EINVAL;
	if (check_signatures(env, kind, fields, nattachments, err))
		return CT_EINVAL;
	if (check_confirmation(kind, fields, err))
		return CT_EINVAL;
	if (check_mark(kind, fields, err))
		return CT_EINVAL;
	return check_av(kind, fields, nattachments, err);
}
