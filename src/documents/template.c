/*
 * Document templates (data/documents/<code>.json) and the bureau settings
 * (data/bureau.json): loading and checking. docs/documents.md describes
 * the format. Unknown members, placeholders of unknown roots and unknown
 * filters are rejected when the module opens, naming the file and the
 * value, so a mistake in a template never reaches a printed document.
 */
#include "common/common.h"

#include <dirent.h>

#include <unistd.h>

#include "common/log.h"
#include "internal.h"

static const char *const template_members[] = {
	"code",	      "title",	   "source", "when",	"number",
	"transcript", "addressee", "body",   "closing", NULL,
};

static const char *const bureau_members[] = {
	"version", "name",	 "address", "phone",	      "reconsideration",
	"court",   "seal_image", "fonds",   "paper_location", NULL,
};

static const char *const roots[] = {
	"case",	    "record", "fields", "bureau", "limit",
	"deadline", "matter", "item",	"index",  "served", NULL,
};

static const char *const filters[] = {
	"date", "datetime", "cn",      "laws", "yesno",
	"enum", "join",	    "default", "person", "material", NULL,
};

static int in_list(const char *const *list, const char *s, size_t n)
{
	for (size_t i = 0; list[i]; i++)
		if (strlen(list[i]) == n && !strncmp(list[i], s, n))
			return 1;
	return 0;
}

static int check_members(const char *file, const char *where, const json_t *o,
			 const char *const *allowed, struct error *err)
{
	const char *name;
	json_t *v;

	if (!json_is_object(o))
		return error_set(err, CT_EINVAL, "%s: %s must be an object",
				 file, where);
	json_object_foreach((json_t *)o, name, v)
		if (!in_list(allowed, name, strlen(name)))
			return error_set(err, CT_EINVAL,
					 "%s: unknown member "
					 "'%s' in %s",
					 file, name, where);
	return 0;
}

/* Checks every {{path|filter:args}} of text. */
static int check_text(const char *file, const char *text, struct error *err)
{
	const char *p = text;

	while ((p = strstr(p, "{{")) != NULL) {
		const char *end = strstr(p + 2, "}}");
		const char *path = p + 2, *bar, *stop;

		if (!end)
			return error_set(err, CT_EINVAL,
					 "%s: placeholder "
					 "'%.40s' has no closing '}}'",
					 file, p);
		stop = memchr(path, '.', (size_t)(end - path));
		bar = memchr(path, '|', (size_t)(end - path));
		if (!stop || (bar && bar < stop))
			stop = bar ? bar : end;
		if (!in_list(roots, path, (size_t)(stop - path)))
			return error_set(err, CT_EINVAL,
					 "%s: placeholder "
					 "'%.*s' has the unknown root '%.*s'",
					 file, (int)(end - p + 2), p,
					 (int)(stop - path), path);
		while (bar && bar < end) {
			const char *f = bar + 1;
			const char *next = memchr(f, '|', (size_t)(end - f));
			const char *colon = memchr(f, ':', (size_t)(end - f));
			const char *fend = next ? next : end;

			if (colon && colon < fend)
				fend = colon;
			if (!in_list(filters, f, (size_t)(fend - f)))
				return error_set(err, CT_EINVAL,
						 "%s: "
						 "placeholder '%.*s' has the "
						 "unknown filter '%.*s'",
						 file, (int)(end - p + 2), p,
						 (int)(fend - f), f);
			bar = next;
		}
		p = end + 2;
	}
	return 0;
}

static int check_string(const char *file, const char *where, const json_t *v,
			struct error *err)
{
	if (!json_is_string(v))
		return error_set(err, CT_EINVAL, "%s: %s must be a string",
				 file, where);
	return check_text(file, json_string_value(v), err);
}

static int check_cond(const char *file, const json_t *c, struct error *err)
{
	static const char *const members[] = { "field", "equals", "in",
					       "present", NULL };
	const json_t *in = json_object_get(c, "in");

	if (check_members(file, "a condition", c, members, err))
		return err->code;
	if (!json_is_string(json_object_get(c, "field")))
		return error_set(err, CT_EINVAL,
				 "%s: a condition needs "
				 "\"field\"",
				 file);
	if (in && (!json_is_array(in) || json_array_size(in) == 0))
		return error_set(err, CT_EINVAL,
				 "%s: \"in\" of a condition must be a "
				 "non-empty array of values",
				 file);
	return 0;
}

static int check_blocks(const char *file, const json_t *blocks,
			struct error *err);

static int check_cells(const char *file, const json_t *row, struct error *err)
{
	size_t i;
	json_t *cell;

	if (!json_is_array(row) || json_array_size(row) < 1)
		return error_set(err, CT_EINVAL,
				 "%s: a table row must be an "
				 "array of one or more strings",
				 file);
	json_array_foreach(row, i, cell)
		if (check_string(file, "a table cell", cell, err))
			return err->code;
	return 0;
}

/* "widths" of a table: one positive number per column, at most 32. */
static int check_widths(const char *file, const json_t *b, struct error *err)
{
	const json_t *w = json_object_get(b, "widths"), *v;
	size_t i;

	if (!w)
		return 0;
	if (!json_object_get(b, "table") && !json_object_get(b, "table_each"))
		return error_set(err, CT_EINVAL,
				 "%s: \"widths\" belongs to a table or "
				 "table_each block",
				 file);
	if (!json_is_array(w) || json_array_size(w) == 0 ||
	    json_array_size(w) > 32)
		return error_set(err, CT_EINVAL,
				 "%s: \"widths\" must be an array of 1 to "
				 "32 numbers",
				 file);
	json_array_foreach(w, i, v)
		if (!json_is_number(v) || json_number_value(v) <= 0)
			return error_set(err, CT_EINVAL,
					 "%s: \"widths\" must hold positive "
					 "numbers, not element %zu",
					 file, i);
	return 0;
}

static int check_block(const char *file, const json_t *b, struct error *err)
{
	static const char *const members[] = {
		"p",	"h",	    "if",	  "then",	  "else",
		"each", "do",	    "table",	  "table_each",	  "header",
		"row",	"remedies", "signatures", "confirmation", "space",
		"widths", NULL,
	};
	const json_t *v;
	size_t i;

	if (check_members(file, "a block", b, members, err))
		return err->code;
	if ((v = json_object_get(b, "p")) || (v = json_object_get(b, "h")))
		return check_string(file, "a paragraph", v, err);
	if ((v = json_object_get(b, "if"))) {
		if (check_cond(file, v, err) ||
		    check_blocks(file, json_object_get(b, "then"), err))
			return err->code;
		v = json_object_get(b, "else");
		return v ? check_blocks(file, v, err) : 0;
	}
	if ((v = json_object_get(b, "each"))) {
		if (check_text(file, json_string_value(v) ?: "", err))
			return err->code;
		return check_blocks(file, json_object_get(b, "do"), err);
	}
	if (check_widths(file, b, err))
		return err->code;
	if ((v = json_object_get(b, "table"))) {
		if (!json_is_array(v))
			return error_set(err, CT_EINVAL,
					 "%s: \"table\" must "
					 "be an array of rows",
					 file);
		json_array_foreach(v, i, b)
			if (check_cells(file, b, err))
				return err->code;
		return 0;
	}
	if ((v = json_object_get(b, "table_each"))) {
		if (!json_is_string(v) ||
		    check_cells(file, json_object_get(b, "row"), err))
			return err->code ? err->code
					 : error_set(err, CT_EINVAL,
						     "%s: \"table_each\" "
						     "must name an array",
						     file);
		v = json_object_get(b, "header");
		return v ? check_cells(file, v, err) : 0;
	}
	if (json_object_get(b, "remedies") ||
	    json_object_get(b, "signatures") ||
	    json_object_get(b, "confirmation"))
		return 0;
	if (json_is_integer(json_object_get(b, "space")))
		return 0;
	return error_set(err, CT_EINVAL,
			 "%s: a block needs one of p, h, if, "
			 "each, table, table_each, remedies, signatures, "
			 "confirmation or space",
			 file);
}

static int check_blocks(const char *file, const json_t *blocks,
			struct error *err)
{
	size_t i;
	json_t *b;

	if (!json_is_array(blocks))
		return error_set(err, CT_EINVAL, "%s: blocks must be an array",
				 file);
	json_array_foreach(blocks, i, b)
		if (check_block(file, b, err))
			return err->code;
	return 0;
}

static int check_template(const char *file, const char *code, const json_t *t,
			  struct error *err)
{
	static const char *const closing_members[] = { "issuer", "date", NULL };
	const json_t *v;

	if (check_members(file, "the template", t, template_members, err))
		return err->code;
	v = json_object_get(t, "code");
	if (!json_is_string(v) || strcmp(json_string_value(v), code))
		return error_set(err, CT_EINVAL,
				 "%s: \"code\" must be '%s', "
				 "the file's name",
				 file, code);
	if (!json_is_string(json_object_get(t, "title")))
		return error_set(err, CT_EINVAL, "%s: \"title\" is missing",
				 file);
	v = json_object_get(t, "source");
	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    !json_is_string(json_array_get(v, 0)))
		return error_set(err, CT_EINVAL,
				 "%s: \"source\" must list the "
				 "record kinds it is printed from",
				 file);
	if ((v = json_object_get(t, "when")) && check_cond(file, v, err))
		return err->code;
	if ((v = json_object_get(t, "addressee")) &&
	    check_string(file, "\"addressee\"", v, err))
		return err->code;
	if ((v = json_object_get(t, "closing"))) {
		if (check_members(file, "\"closing\"", v, closing_members, err))
			return err->code;
		if (json_object_get(v, "date") &&
		    check_string(file, "\"closing.date\"",
				 json_object_get(v, "date"), err))
			return err->code;
	}
	return check_blocks(file, json_object_get(t, "body"), err);
}

static int load_json(const char *path, json_t **out, struct error *err)
{
	json_error_t je;

	*out = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!*out)
		return error_set(err, CT_EINVAL,
				 "%s: invalid JSON at line %d: "
				 "%s",
				 path, je.line, je.text);
	return 0;
}

static int load_bureau(struct documents *d, struct error *err)
{
	char path[4200];
	const json_t *v;

	snprintf(path, sizeof(path), "%s/bureau.json", d->data_dir);
	if (access(path, F_OK) != 0) {
		/* NOTE: without bureau.json the bureau's name prints blank. */
		log_warn("documents", "no bureau settings", "path=%s", path);
		d->bureau = json_object();
		return 0;
	}
	if (load_json(path, &d->bureau, err) ||
	    check_members(path, "the bureau settings", d->bureau,
			  bureau_members, err))
		return err->code;
	v = json_object_get(d->bureau, "seal_image");
	if (v && !json_is_null(v) && !json_is_string(v))
		return error_set(err, CT_EINVAL,
				 "%s: \"seal_image\" must be a "
				 "file name or null",
				 path);
	return 0;
}

static int load_one(struct documents *d, const char *dir, const char *name,
		    struct error *err)
{
	char path[4400], code[256];
	size_t len = strlen(name);
	json_t *t;

	if (len < 6 || strcmp(name + len - 5, ".json") ||
	    len - 5 >= sizeof(code))
		return 0;
	snprintf(code, sizeof(code), "%.*s", (int)(len - 5), name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (load_json(path, &t, err))
		return err->code;
	if (check_template(path, code, t, err)) {
		json_decref(t);
		return err->code;
	}
	json_object_set_new(d->templates, code, t);
	return 0;
}

int templates_load(struct documents *d, struct error *err)
{
	char dir[4200];
	struct dirent **names = NULL;
	int n, rc = 0;

	d->templates = json_object();
	if (load_bureau(d, err))
		return err->code;
	snprintf(dir, sizeof(dir), "%s/documents", d->data_dir);
	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		log_warn("documents", "no document templates", "dir=%s", dir);
		return 0;
	}
	for (int i = 0; i < n; i++) {
		if (rc == 0)
			rc = load_one(d, dir, names[i]->d_name, err);
		free(names[i]);
	}
	free(names);
	return rc;
}
