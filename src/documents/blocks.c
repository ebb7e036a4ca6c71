/*
 * A template's blocks turned into items to lay out: paragraphs,
 * conditions, loops, tables and the standard clauses (remedies,
 * signatures, the party's confirmation).
 */
#include "common/common.h"

#include "cases/cases.h"
#include "internal.h"

int value_in(const json_t *list, const json_t *v)
{
	size_t i;
	json_t *e;

	json_array_foreach(list, i, e)
		if (json_equal(e, (json_t *)v))
			return 1;
	return 0;
}

void items_release(struct items *it)
{
	for (size_t i = 0; i < it->n; i++) {
		struct item *x = &it->v[i];

		free(x->text);
		for (size_t c = 0; c < x->nrows * x->ncols; c++)
			free(x->cells[c]);
		free(x->cells);
		free(x->widths);
	}
	free(it->v);
	memset(it, 0, sizeof(*it));
}

static struct item *items_grow(struct items *it)
{
	if (it->n == it->cap) {
		size_t cap = it->cap ? it->cap * 2 : 32;
		struct item *v = realloc(it->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		it->v = v;
		it->cap = cap;
	}
	memset(&it->v[it->n], 0, sizeof(it->v[0]));
	return &it->v[it->n++];
}

int items_add(struct items *it, enum item_type type, const char *text)
{
	struct item *x = items_grow(it);

	if (!x)
		return CT_ENOMEM;
	x->type = type;
	x->text = text ? strdup(text) : NULL;
	return text && !x->text ? CT_ENOMEM : 0;
}

int items_add_table(struct items *it, char **cells, size_t nrows, size_t ncols,
		    int header, int labels)
{
	struct item *x = items_grow(it);

	if (!x) {
		for (size_t i = 0; i < nrows * ncols; i++)
			free(cells[i]);
		free(cells);
		return CT_ENOMEM;
	}
	x->type = ITEM_TABLE;
	x->cells = cells;
	x->nrows = nrows;
	x->ncols = ncols;
	x->header = header;
	x->labels = labels;
	return 0;
}

/* Adds text filled from fc as an item of type. */
static int add_filled(const struct fill_ctx *fc, struct items *it,
		      enum item_type type, const char *text)
{
	char *t = fill_text(fc, text);
	int rc = t ? items_add(it, type, t) : CT_ENOMEM;

	free(t);
	return rc;
}

/* The value a condition or a loop names (a new reference). */
static json_t *path_value(const struct fill_ctx *fc, const char *path)
{
	char *text;
	char tpl[600];
	json_t *v;

	/* Loops and conditions read raw values, not text. */
	if (!strncmp(path, "fields.", 7))
		return json_incref(json_object_get(
		    json_object_get(fc->record, "fields"), path + 7));
	if (!strncmp(path, "item.", 5))
		return json_incref(json_object_get(fc->item, path + 5));
	snprintf(tpl, sizeof(tpl), "{{%s}}", path);
	text = fill_text(fc, tpl);
	v = text && strcmp(text, "____") ? json_string(text) : NULL;
	free(text);
	return v;
}

static int cond_holds(const struct fill_ctx *fc, const json_t *cond)
{
	json_t *v = path_value(
	    fc, json_string_value(json_object_get(cond, "field")) ?: "");
	const json_t *eq = json_object_get(cond, "equals");
	int holds;

	if (eq)
		holds = v && json_equal(v, (json_t *)eq);
	else if (json_object_get(cond, "in"))
		holds = v && value_in(json_object_get(cond, "in"), v);
	else
		holds = v && !json_is_null(v) && !json_is_false(v) &&
			!(json_is_string(v) && !json_string_length(v)) &&
			!(json_is_array(v) && !json_array_size(v));
	if (json_is_false(json_object_get(cond, "present")))
		holds = !holds;
	json_decref(v);
	return holds;
}

/* The elements each and table_each loop over (a new reference). */
static json_t *loop_items(const struct fill_ctx *fc, const char *path)
{
	json_t *list, *r;
	size_t i;

	if (strncmp(path, "records.", 8))
		return path_value(fc, path);
	list = json_array();
	json_array_foreach(json_object_get(fc->case_json, "records"), i, r)
		if (!strcmp(json_string_value(json_object_get(r, "kind")) ?: "",
			    path + 8))
			json_array_append(list, r);
	return list;
}

static int add_blocks(const struct fill_ctx *fc, const json_t *blocks,
		      struct items *it, struct error *err);

static int add_each(const struct fill_ctx *fc, const json_t *b,
		    struct items *it, struct error *err)
{
	json_t *list =
	    loop_items(fc, json_string_value(json_object_get(b, "each")));
	struct fill_ctx inner = *fc;
	size_t i;
	json_t *e;
	int rc = 0;

	json_array_foreach(list, i, e) {
		inner.item = e;
		inner.index = (long)i + 1;
		rc = add_blocks(&inner, json_object_get(b, "do"), it, err);
		if (rc)
			break;
	}
	json_decref(list);
	return rc;
}

/*
 * Turns a table's "widths" into shares of the text width, one per
 * column. Columns beyond the listed widths get the last width.
 */
static int set_widths(struct item *x, const json_t *widths)
{
	double total = 0;
	size_t n = json_array_size(widths);

	if (n == 0 || x->ncols == 0)
		return 0;
	x->widths = calloc(x->ncols, sizeof(*x->widths));
	if (!x->widths)
		return CT_ENOMEM;
	for (size_t c = 0; c < x->ncols; c++) {
		x->widths[c] = json_number_value(
		    json_array_get(widths, c < n ? c : n - 1));
		total += x->widths[c];
	}
	for (size_t c = 0; c < x->ncols; c++)
		x->widths[c] /= total;
	return 0;
}

/* Fills rows (arrays of cell texts), padding each to ncols. */
static int add_rows(const struct fill_ctx *fc, const json_t *rows, size_t nrows,
		    const json_t *row_tpl, const json_t *list,
		    const json_t *header, const json_t *widths,
		    struct items *it)
{
	size_t ncols = 2, total = nrows + (header != NULL), r = 0, i;
	struct fill_ctx inner = *fc;
	char **cells;
	json_t *e;

	if (row_tpl)
		ncols = json_array_size(row_tpl);
	for (i = 0; rows && i < nrows; i++)
		if (json_array_size(json_array_get(rows, i)) > ncols)
			ncols = json_array_size(json_array_get(rows, i));
	cells = calloc(total * ncols + 1, sizeof(*cells));
	if (!cells)
		return CT_ENOMEM;
	if (header)
		for (size_t c = 0; c < ncols; c++)
			cells[r * ncols + c] = fill_text(
			    fc,
			    json_string_value(json_array_get(header, c)) ?: "");
	r += header != NULL;
	for (i = 0; i < nrows; i++, r++) {
		const json_t *row = rows ? json_array_get(rows, i) : row_tpl;

		if (list) {
			e = json_array_get(list, i);
			inner.item = e;
			inner.index = (long)i + 1;
		}
		for (size_t c = 0; c < json_array_size(row); c++)
			cells[r * ncols + c] = fill_text(
			    &inner, json_string_value(json_array_get(row, c)));
	}
	if (items_add_table(it, cells, total, ncols, header != NULL,
			    rows != NULL))
		return CT_ENOMEM;
	return set_widths(&it->v[it->n - 1], widths);
}

static int add_remedies(const struct fill_ctx *fc, struct items *it)
{
	return add_filled(fc, it, ITEM_PARA,
			  "如不服本决定，可以在收到本决定书之日起"
			  "{{bureau.reconsideration.days|cn}}日内向"
			  "{{bureau.reconsideration.body}}申请行政复议，或者在"
			  "{{bureau.court.months|cn}}个月内向"
			  "{{bureau.court.body}}提起行政诉讼。");
}

/* The name of a role as data/record-kinds.json labels it. */
static const char *role_label(const struct fill_ctx *fc, const char *code)
{
	const json_t *roles = json_object_get(cases_kinds(fc->cases), "roles");
	size_t i;
	json_t *r;

	json_array_foreach(roles, i, r)
		if (!strcmp(json_string_value(json_object_get(r, "code")) ?: "",
			    code))
			return json_string_value(json_object_get(r, "name"))
				   ?: code;
	if (json_is_object(roles) &&
	    json_is_string(json_object_get(roles, code)))
		return json_string_value(json_object_get(roles, code));
	return code;
}

/* One signature line: role, signer (a staff member by name), date. */
static int add_signature(const struct fill_ctx *fc, const json_t *s,
			 struct items *it)
{
	const char *person = json_string_value(json_object_get(s, "person"));
	const char *method = json_string_value(json_object_get(s, "method"));
	const char *at = json_string_value(json_object_get(s, "at"));
	const char *name = person && person[0] ? person : "____";
	char date[64], line[1024];
	struct error err = { 0 };
	json_t *user = NULL;
	int staff = method && !strcmp(method, "staff");
	int rc;

	if (staff && person &&
	    cases_user_get(fc->cases, person, &user, &err) == 0 &&
	    json_string_value(json_object_get(user, "display_name")))
		name = json_string_value(json_object_get(user, "display_name"));
	if (format_cn_date(at, 0, date, sizeof(date)) != 0)
		snprintf(date, sizeof(date), "____");
	snprintf(line, sizeof(line), "%s：%s%s    日期：%s",
		 role_label(fc, json_string_value(json_object_get(s, "role"))
				    ?: ""),
		 name, staff ? "（已签名）" : "", date);
	json_decref(user);
	rc = items_add(it, ITEM_LINE, line);
	/* A long role or name moves the date to the next line whole. */
	if (rc == 0)
		it->v[it->n - 1].keep = strlen("日期：") + strlen(date);
	return rc;
}

static int add_signatures(const struct fill_ctx *fc, struct items *it)
{
	const json_t *sigs = json_object_get(
	    json_object_get(fc->record, "fields"), "signatures");
	size_t i;
	json_t *s;
	int rc = 0;

	if (!json_array_size(sigs))
		return items_add(it, ITEM_LINE, "（签名）____    日期：____");
	json_array_foreach(sigs, i, s) {
		rc = add_signature(fc, s, it);
		if (rc)
			break;
	}
	return rc;
}

/*
 * The confirmation phrase and the party's signature line. The line
 * leaves blanks (full-width spaces) for the handwritten date and stays
 * short enough to take the verification code beside it (layout.c).
 */
static int add_confirmation(const struct fill_ctx *fc, struct items *it)
{
	int rc = add_filled(fc, it, ITEM_PARA,
			    "{{fields.confirmation|default:以上记录我已看过，"
			    "与我所说一致。}}");

	return rc ? rc
		  : items_add(it, ITEM_LINE,
			      "被记录人（签名）：______　　　年　月　日");
}

static int add_block(const struct fill_ctx *fc, const json_t *b,
		     struct items *it, struct error *err)
{
	const json_t *v;

	if ((v = json_object_get(b, "p")))
		return add_filled(fc, it, ITEM_PARA, json_string_value(v));
	if ((v = json_object_get(b, "h")))
		return add_filled(fc, it, ITEM_HEADING, json_string_value(v));
	if ((v = json_object_get(b, "if"))) {
		v = json_object_get(b, cond_holds(fc, v) ? "then" : "else");
		return v ? add_blocks(fc, v, it, err) : 0;
	}
	if (json_object_get(b, "each"))
		return add_each(fc, b, it, err);
	if ((v = json_object_get(b, "table")))
		return add_rows(fc, v, json_array_size(v), NULL, NULL, NULL,
				json_object_get(b, "widths"), it);
	if ((v = json_object_get(b, "table_each"))) {
		json_t *list = loop_items(fc, json_string_value(v));
		int rc = add_rows(fc, NULL, json_array_size(list),
				  json_object_get(b, "row"), list,
				  json_object_get(b, "header"),
				  json_object_get(b, "widths"), it);

		json_decref(list);
		return rc;
	}
	if (json_is_true(json_object_get(b, "remedies")))
		return add_remedies(fc, it);
	if (json_is_true(json_object_get(b, "signatures")))
		return add_signatures(fc, it);
	if (json_is_true(json_object_get(b, "confirmation")))
		return add_confirmation(fc, it);
	if ((v = json_object_get(b, "space"))) {
		int rc = items_add(it, ITEM_SPACE, NULL);

		if (rc == 0)
			it->v[it->n - 1].lines = (int)json_integer_value(v);
		return rc;
	}
	return 0;
}

static int add_blocks(const struct fill_ctx *fc, const json_t *blocks,
		      struct items *it, struct error *err)
{
	size_t i;
	json_t *b;
	int rc = 0;

	json_array_foreach(blocks, i, b) {
		rc = add_block(fc, b, it, err);
		if (rc)
			return err->code ? err->code
					 : error_set(err, rc, "out of memory");
	}
	return 0;
}

int fill_template(const struct fill_ctx *fc, const json_t *tpl,
		  struct items *it, struct error *err)
{
	const json_t *closing = json_object_get(tpl, "closing");
	const char *addressee =
	    json_string_value(json_object_get(tpl, "addressee"));
	int rc = items_add(it, ITEM_TITLE,
			   json_string_value(json_object_get(tpl, "title")));

	if (rc == 0 && json_is_true(json_object_get(tpl, "number")))
		rc = add_filled(fc, it, ITEM_NUMBER, "{{record.number}}");
	if (rc == 0 && addressee)
		rc = add_filled(fc, it, ITEM_LINE, addressee);
	if (rc)
		return error_set(err, rc, "out of memory");
	if (add_blocks(fc, json_object_get(tpl, "body"), it, err))
		return err->code;
	if (!closing)
		return 0;
	rc = items_add(it, ITEM_SPACE, NULL);
	if (rc == 0) {
		it->v[it->n - 1].lines = 1;
		if (json_is_true(json_object_get(closing, "issuer")))
			rc = add_filled(fc, it, ITEM_ISSUER, "{{bureau.name}}");
	}
	if (rc == 0 && json_object_get(closing, "date"))
		rc = add_filled(
		    fc, it, ITEM_RIGHT,
		    json_string_value(json_object_get(closing, "date")));
	return rc ? error_set(err, rc, "out of memory") : 0;
}
