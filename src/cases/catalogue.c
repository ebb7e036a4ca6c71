/*
 * The bureau's data: the law library, the matter catalogue and the record
 * kinds (docs/data.md), loaded once and indexed by code. A file that
 * lacks the members the workflow relies on is rejected, naming the file
 * and the member.
 */
#include "common/common.h"

#include "internal.h"

static const char *const stage_codes[STAGE_COUNT] = {
	"application", "acceptance", "investigation",
	"decision",    "service",    "archive",
};

const char *stage_code(enum stage s)
{
	return s < STAGE_COUNT ? stage_codes[s] : "any";
}

int stage_parse(const char *code, enum stage *out)
{
	for (int i = 0; i < STAGE_COUNT; i++)
		if (!strcmp(code, stage_codes[i])) {
			*out = (enum stage)i;
			return 0;
		}
	if (!strcmp(code, "any")) {
		*out = STAGE_ANY;
		return 0;
	}
	return CT_EINVAL;
}

enum stage kind_stage(const json_t *kind)
{
	enum stage s = STAGE_ANY;
	const char *code = json_string_value(json_object_get(kind, "stage"));

	if (code)
		stage_parse(code, &s);
	return s;
}

static json_t *load_json(const char *dir, const char *name, struct error *err)
{
	char path[4200];
	json_error_t jerr;
	json_t *v;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	v = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!v)
		error_set(err, CT_EINVAL,
			  "cannot load bureau data '%s': %s (line %d, column "
			  "%d); pass the data folder with --data or "
			  "$CASETRAIL_DATA", path, jerr.text, jerr.line,
			  jerr.column);
	return v;
}

/* Builds code -> object over the array member list of root. */
static json_t *index_by(const json_t *root, const char *list, const char *key,
			const char *file, struct error *err)
{
	json_t *items = json_object_get(root, list), *index, *item;
	size_t i;

	if (!json_is_array(items) || json_array_size(items) == 0) {
		error_set(err, CT_EINVAL, "bureau data '%s' has no '%s' list",
			  file, list);
		return NULL;
	}
	index = json_object();
	json_array_foreach(items, i, item) {
		const char *code = json_string_value(json_object_get(item, key));

		if (!code || !code[0]) {
			error_set(err, CT_EINVAL, "bureau data '%s': %s[%zu] "
				  "has no '%s'", file, list, i, key);
			json_decref(index);
			return NULL;
		}
		if (json_object_get(index, code)) {
			error_set(err, CT_EINVAL, "bureau data '%s': %s '%s' is "
				  "listed twice", file, list, code);
			json_decref(index);
			return NULL;
		}
		json_object_set(index, code, item);
	}
	return index;
}

static int check_kinds(struct catalogue *cat, struct error *err)
{
	const char *code;
	json_t *kind;

	json_object_foreach(cat->kind_index, code, kind) {
		const char *stage =
			json_string_value(json_object_get(kind, "stage"));
		enum stage s;

		if (!stage || stage_parse(stage, &s) != 0)
			return error_set(err, CT_EINVAL, "record-kinds.json: "
					 "kind '%s' has stage '%s'; use one "
					 "of the stages or 'any'", code,
					 stage ? stage : "");
		if (!json_is_array(json_object_get(kind, "fields")))
			return error_set(err, CT_EINVAL, "record-kinds.json: "
					 "kind '%s' has no fields list", code);
	}
	return 0;
}

static int load_stage_names(struct catalogue *cat, struct error *err)
{
	json_t *stages = json_object_get(cat->kinds, "stages"), *st;
	size_t i;

	for (int s = 0; s < STAGE_COUNT; s++)
		snprintf(cat->stage_names[s], sizeof(cat->stage_names[s]),
			 "%s", stage_codes[s]);
	json_array_foreach(stages, i, st) {
		const char *code = json_string_value(json_object_get(st, "code"));
		const char *name = json_string_value(json_object_get(st, "name"));
		enum stage s;

		if (!code || !name || stage_parse(code, &s) != 0 ||
		    s == STAGE_ANY)
			return error_set(err, CT_EINVAL, "record-kinds.json: "
					 "stages[%zu] is not one of the six "
					 "stages", i);
		snprintf(cat->stage_names[s], sizeof(cat->stage_names[s]),
			 "%s", name);
	}
	return 0;
}

static int check_matters(struct catalogue *cat, struct error *err)
{
	const char *code;
	json_t *m;

	json_object_foreach(cat->matter_index, code, m) {
		const char *type = json_string_value(json_object_get(m, "type"));
		json_t *basis = json_object_get(m, "basis"), *cite;
		size_t i;

		if (!type || (strcmp(type, "licence") && strcmp(type,
							 "confirmation")))
			return error_set(err, CT_EINVAL, "matters.json: matter "
					 "'%s' has type '%s'; use licence or "
					 "confirmation", code, type ? type : "");
		if (!json_is_array(json_object_get(m, "limits")))
			return error_set(err, CT_EINVAL, "matters.json: matter "
					 "'%s' has no limits", code);
		json_array_foreach(basis, i, cite) {
			char path[128];

			snprintf(path, sizeof(path), "matter %s basis[%zu]",
				 code, i);
			if (catalogue_check_citation(cat, cite, path, err))
				return CT_EINVAL;
		}
	}
	return 0;
}

int catalogue_load(struct catalogue *cat, const char *dir, struct error *err)
{
	int rc = CT_EINVAL;

	memset(cat, 0, sizeof(*cat));
	snprintf(cat->dir, sizeof(cat->dir), "%s", dir);
	cat->laws = load_json(dir, "laws.json", err);
	cat->matters = cat->laws ? load_json(dir, "matters.json", err) : NULL;
	cat->kinds = cat->matters ? load_json(dir, "record-kinds.json", err)
				  : NULL;
	if (!cat->kinds)
		goto fail;
	cat->law_index = index_by(cat->laws, "laws", "id", "laws.json", err);
	cat->matter_index = cat->law_index ? index_by(cat->matters, "matters",
						      "code", "matters.json",
						      err)
					   : NULL;
	cat->kind_index = cat->matter_index ? index_by(cat->kinds, "kinds",
						       "code",
						       "record-kinds.json",
						       err)
					    : NULL;
	if (!cat->kind_index)
		goto fail;
	rc = load_stage_names(cat, err);
	if (rc == 0)
		rc = check_kinds(cat, err);
	if (rc == 0)
		rc = check_matters(cat, err);
	if (rc == 0)
		return 0;
fail:
	catalogue_release(cat);
	return rc;
}

void catalogue_release(struct catalogue *cat)
{
	json_decref(cat->laws);
	json_decref(cat->matters);
	json_decref(cat->kinds);
	json_decref(cat->law_index);
	json_decref(cat->matter_index);
	json_decref(cat->kind_index);
	cat->laws = cat->matters = cat->kinds = NULL;
	cat->law_index = cat->matter_index = cat->kind_index = NULL;
}

const json_t *catalogue_matter(const struct catalogue *cat, const char *code)
{
	return code ? json_object_get(cat->matter_index, code) : NULL;
}

const json_t *catalogue_kind(const struct catalogue *cat, const char *code)
{
	return code ? json_object_get(cat->kind_index, code) : NULL;
}

/* Finds the element of list whose "no" is no. */
static json_t *find_no(const json_t *list, json_int_t no)
{
	json_t *item;
	size_t i;

	json_array_foreach(list, i, item)
		if (json_integer_value(json_object_get(item, "no")) == no)
			return item;
	return NULL;
}

static json_t *find_version(const json_t *law, const char *version)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(law, "versions"), i, v)
		if (!strcmp(json_string_value(json_object_get(v, "version"))
				    ?: "", version))
			return v;
	return NULL;
}

int catalogue_check_citation(const struct catalogue *cat, const json_t *cite,
			     const char *path, struct error *err)
{
	const char *id = json_string_value(json_object_get(cite, "law"));
	const char *ver = json_string_value(json_object_get(cite, "version"));
	json_t *art = json_object_get(cite, "article");
	json_t *para = json_object_get(cite, "paragraph");
	json_t *item = json_object_get(cite, "item");
	json_t *law, *v, *a = NULL, *p = NULL;

	if (!json_is_object(cite) || !id || !ver || !json_is_integer(art))
		return error_set(err, CT_EINVAL, "%s must be a citation "
				 "{\"law\", \"version\", \"article\"[, "
				 "\"paragraph\"[, \"item\"]]}", path);
	law = json_object_get(cat->law_index, id);
	if (!law)
		return error_set(err, CT_EINVAL, "%s cites law '%s', which is "
				 "not in the law library", path, id);
	v = find_version(law, ver);
	if (!v)
		return error_set(err, CT_EINVAL, "%s cites version '%s' of law "
				 "'%s', which the library does not have",
				 path, ver, id);
	a = find_no(json_object_get(v, "articles"), json_integer_value(art));
	if (!a)
		return error_set(err, CT_EINVAL, "%s cites article %" JSON_INTEGER_FORMAT
				 " of '%s' %s, which does not exist", path,
				 json_integer_value(art), id, ver);
	if (para) {
		p = json_is_integer(para)
			    ? find_no(json_object_get(a, "paragraphs"),
				      json_integer_value(para))
			    : NULL;
		if (!p)
			return error_set(err, CT_EINVAL, "%s cites a paragraph "
					 "that article %" JSON_INTEGER_FORMAT
					 " of '%s' does not have", path,
					 json_integer_value(art), id);
	}
	if (item && !(p && json_is_integer(item) &&
		      find_no(json_object_get(p, "items"),
			      json_integer_value(item))))
		return error_set(err, CT_EINVAL, "%s cites an item that "
				 "article %" JSON_INTEGER_FORMAT " of '%s' "
				 "does not have", path,
				 json_integer_value(art), id);
	return 0;
}

int matter_check_materials(const json_t *matter, const json_t *codes,
			   const char *path, struct error *err)
{
	json_t *code, *m;
	size_t i, j, k;

	json_array_foreach(codes, i, code) {
		const char *text = json_is_object(code)
					   ? json_string_value(json_object_get(
						     code, "code"))
					   : json_string_value(code);
		int known = 0;

		json_array_foreach(json_object_get(matter, "materials"), j, m)
			if (text && !strcmp(json_string_value(json_object_get(
						    m, "code")) ?: "", text))
				known = 1;
		if (!known)
			return error_set(err, CT_EINVAL, "%s[%zu] '%s' is not a "
					 "material of matter '%s'; see "
					 "'casetrail matters %s'", path, i,
					 text ?: "", json_string_value(
						 json_object_get(matter, "code")),
					 json_string_value(json_object_get(
						 matter, "code")));
		for (k = 0; k < i; k++) {
			json_t *prev = json_array_get(codes, k);
			const char *p = json_is_object(prev)
						? json_string_value(json_object_get(
							  prev, "code"))
						: json_string_value(prev);

			if (p && !strcmp(p, text))
				return error_set(err, CT_EINVAL, "%s lists "
						 "material '%s' twice", path,
						 text);
		}
	}
	return 0;
}
