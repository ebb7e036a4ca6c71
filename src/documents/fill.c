/*
 * Filling a template from a case: placeholders ({{path|filter:arg}}) and
 * blocks (if, each, table, remedies, signatures) become items to lay out.
 * A placeholder whose path is missing prints "____", a blank to fill by
 * hand, never "null".
 */
#include "common/common.h"

#include "cases/cases.h"
#include "internal.h"

#define BLANK "____"

static const char *const digits[] = { "零", "一", "二", "三", "四",
				      "五", "六", "七", "八", "九" };

/* Below 10000, with 零 for inner zeros and 十 alone for 10 to 19. */
static void small_number(int v, int lead, struct buf *b)
{
	static const char *const units[] = { "千", "百", "十", "" };
	static const int scale[] = { 1000, 100, 10, 1 };
	int zero = 0, started = 0;

	for (int i = 0; i < 4; i++) {
		int dgt = v / scale[i] % 10;

		if (dgt == 0) {
			zero = started;
			continue;
		}
		if (zero || (!started && lead && i > 0))
			buf_puts(b, digits[0]);
		if (!(i == 2 && dgt == 1 && !started && !lead))
			buf_puts(b, digits[dgt]);
		buf_puts(b, units[i]);
		started = 1;
		zero = 0;
	}
}

void format_cn_number(long long v, char *out, size_t n)
{
	struct buf b = BUF_INIT_MAX(256);

	if (v < 0 || v > 99999999) {
		snprintf(out, n, "%lld", v);
		return;
	}
	if (v == 0)
		buf_puts(&b, digits[0]);
	if (v >= 10000) {
		small_number((int)(v / 10000), 0, &b);
		buf_puts(&b, "万");
	}
	if (v % 10000)
		small_number((int)(v % 10000), v >= 10000, &b);
	snprintf(out, n, "%s", b.data ? b.data : "");
	buf_release(&b);
}

/* The proleptic Gregorian date of a day count since 1970-01-01. */
static void civil(int64_t days, int *y, int *m, int *d)
{
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

int format_cn_date(const char *text, int with_time, char *out, size_t n)
{
	int64_t ms, cst, sec_of_day;
	int y, m, d;

	if (!text || cases_time_parse(text, &ms) != 0)
		return -1;
	cst = ms + 8 * 3600 * 1000LL;
	civil(cst >= 0 ? cst / 86400000 : (cst - 86399999) / 86400000, &y, &m,
	      &d);
	sec_of_day = ((cst % 86400000) + 86400000) % 86400000 / 1000;
	if (with_time)
		snprintf(out, n, "%d年%d月%d日 %02d时%02d分", y, m, d,
			 (int)(sec_of_day / 3600), (int)(sec_of_day / 60 % 60));
	else
		snprintf(out, n, "%d年%d月%d日", y, m, d);
	return 0;
}

static const json_t *find_law(const json_t *laws, const char *id)
{
	size_t i;
	json_t *law;

	json_array_foreach(json_object_get(laws, "laws"), i, law)
		if (!strcmp(json_string_value(json_object_get(law, "id")) ?: "",
			    id))
			return law;
	return NULL;
}

/* 《中华人民共和国行政许可法》第三十二条第一款第（四）项 */
static void cite_one(const json_t *laws, const json_t *cite, struct buf *b)
{
	const json_t *law = find_law(
	    laws, json_string_value(json_object_get(cite, "law")) ?: "");
	const char *parts[] = { "article", "paragraph", "item" };
	char num[128];

	buf_printf(b, "《%s》",
		   law ? json_string_value(json_object_get(law, "title"))
			     ?: BLANK
		       : BLANK);
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		const json_t *v = json_object_get(cite, parts[i]);

		if (!json_is_integer(v))
			continue;
		format_cn_number(json_integer_value(v), num, sizeof(num));
		if (i == 0)
			buf_printf(b, "第%s条", num);
		else if (i == 1)
			buf_printf(b, "第%s款", num);
		else
			buf_printf(b, "第（%s）项", num);
	}
}

char *format_citations(const json_t *laws, const json_t *cites)
{
	struct buf b = BUF_INIT_MAX(1 << 16);
	size_t i;
	json_t *c;
	char *out;

	if (json_is_object(cites))
		cite_one(laws, cites, &b);
	json_array_foreach(cites, i, c) {
		if (i)
			buf_puts(&b, "、");
		cite_one(laws, c, &b);
	}
	out = strdup(b.data ? b.data : "");
	buf_release(&b);
	return out;
}

static const char *str(const json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

/* The matter's limit name (basis statutory or promised) as text. */
static json_t *limit_text(const struct fill_ctx *fc, const char *name,
			  const char *basis)
{
	size_t i;
	json_t *l;
	char num[128], text[256];

	json_array_foreach(json_object_get(fc->matter, "limits"), i, l) {
		const char *unit = str(l, "unit") ?: "";

		if (strcmp(str(l, "name") ?: "", name) ||
		    strcmp(str(l, "basis") ?: "", basis))
			continue;
		format_cn_number(
		    json_integer_value(json_object_get(l, "value")), num,
		    sizeof(num));
		snprintf(text, sizeof(text), "%s%s", num,
			 !strcmp(unit, "working_days") ? "个工作日"
			 : !strcmp(unit, "months")     ? "个月"
						       : "日");
		return json_string(text);
	}
	return NULL;
}

/* Walks a dotted path from o; returns a new reference or NULL. */
static json_t *walk(const json_t *o, const char *path)
{
	char name[256];

	while (o && *path) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);

		if (n >= sizeof(name))
			return NULL;
		memcpy(name, path, n);
		name[n] = '\0';
		o = json_object_get(o, name);
		path += n + (dot != NULL);
	}
	return o ? json_incref((json_t *)o) : NULL;
}

static json_t *actor_name(const struct fill_ctx *fc, const char *user)
{
	json_t *u = NULL, *name = NULL;
	struct error err = { 0 };

	if (!user)
		return NULL;
	if (cases_user_get(fc->cases, user, &u, &err) == 0)
		name = json_incref(json_object_get(u, "display_name"));
	json_decref(u);
	return name ? name : json_string(user);
}

/* The display name of every login name in v (a string or an array). */
static json_t *person_names(const struct fill_ctx *fc, const json_t *v)
{
	json_t *out, *e;
	size_t i;

	if (json_is_string(v))
		return actor_name(fc, json_string_value(v));
	if (json_is_object(v) && json_is_string(json_object_get(v, "user")))
		return actor_name(fc,
				  json_string_value(json_object_get(v, "user")));
	if (!json_is_array(v))
		return json_incref((json_t *)v);
	out = json_array();
	json_array_foreach(v, i, e) {
		json_array_append_new(out, person_names(fc, e));
	}
	return out;
}

/*
 * The name of every material code in v (a string or an array), from the
 * materials of the case's matter; a code the matter does not list stays
 * as it is.
 */
static json_t *material_names(const struct fill_ctx *fc, const json_t *v)
{
	json_t *out, *e, *m;
	size_t i;

	if (json_is_string(v)) {
		json_array_foreach(json_object_get(fc->matter, "materials"), i,
				   m) {
			if (!strcmp(str(m, "code") ?: "", json_string_value(v)))
				return json_incref(json_object_get(m, "name"));
		}
		return json_incref((json_t *)v);
	}
	if (!json_is_array(v))
		return json_incref((json_t *)v);
	out = json_array();
	json_array_foreach(v, i, e) {
		json_array_append_new(out, material_names(fc, e));
	}
	return out;
}

static const json_t *find_record(const json_t *case_json, json_int_t seq)
{
	size_t i;
	json_t *r;

	json_array_foreach(json_object_get(case_json, "records"), i, r)
		if (json_integer_value(json_object_get(r, "seq")) == seq)
			return r;
	return NULL;
}

/*
 * served.seq, served.number and served.title: the record that
 * fields.document_seq of the source record names. A document-issue
 * entry gives the issued document's number and title; any other
 * record gives its own number and the name of its kind.
 */
static json_t *served_value(const struct fill_ctx *fc, const char *rest)
{
	const json_t *seq = json_object_get(
	    json_object_get(fc->record, "fields"), "document_seq");
	const json_t *r, *f, *k;
	size_t i;

	if (!json_is_integer(seq))
		return NULL;
	r = find_record(fc->case_json, json_integer_value(seq));
	if (!r)
		return NULL;
	f = json_object_get(r, "fields");
	if (!strcmp(rest, "seq"))
		return json_incref((json_t *)seq);
	if (!strcmp(rest, "number"))
		return json_incref(json_object_get(f, "number"));
	if (strcmp(rest, "title"))
		return NULL;
	if (!strcmp(str(r, "kind") ?: "", KIND_DOCUMENT_ISSUE))
		return json_incref(json_object_get(f, "title"));
	json_array_foreach(json_object_get(cases_kinds(fc->cases), "kinds"), i,
			   k) {
		if (!strcmp(str(k, "code") ?: "", str(r, "kind") ?: ""))
			return json_incref(json_object_get(k, "name"));
	}
	return NULL;
}

static json_t *case_value(const struct fill_ctx *fc, const char *rest)
{
	const json_t *c = fc->case_json;

	if (!strcmp(rest, "matter"))
		return walk(c, "matter.code");
	if (!strcmp(rest, "matter_name"))
		return walk(c, "matter.name");
	if (!strcmp(rest, "address") || !strcmp(rest, "contact"))
		return walk(json_object_get(fc->application, "fields"), rest);
	return walk(c, rest);
}

static json_t *record_value(const struct fill_ctx *fc, const json_t *r,
			    const char *rest)
{
	if (!strcmp(rest, "number"))
		return walk(r, "fields.number");
	if (!strcmp(rest, "at"))
		return walk(r, "happened");
	if (!strcmp(rest, "actor_name"))
		return actor_name(fc, str(r, "actor"));
	return walk(r, rest);
}

/* Resolves a path to a value (a new reference), or NULL when missing. */
static json_t *resolve(const struct fill_ctx *fc, const char *path)
{
	const char *dot = strchr(path, '.');
	const char *rest = dot ? dot + 1 : "";
	size_t n = dot ? (size_t)(dot - path) : strlen(path);

#define ROOT(s) (n == strlen(s) && !strncmp(path, s, n))
	if (ROOT("index"))
		return fc->index > 0 ? json_integer(fc->index) : NULL;
	if (ROOT("item")) {
		if (!*rest)
			return fc->item ? json_incref((json_t *)fc->item)
					: NULL;
		if (json_object_get(fc->item, "kind") &&
		    json_object_get(fc->item, "seq"))
			return record_value(fc, fc->item, rest);
		return walk(fc->item, rest);
	}
	if (ROOT("case"))
		return case_value(fc, rest);
	if (ROOT("record"))
		return record_value(fc, fc->record, rest);
	if (ROOT("fields"))
		return walk(json_object_get(fc->record, "fields"), rest);
	if (ROOT("served"))
		return served_value(fc, rest);
	if (ROOT("bureau"))
		return walk(fc->d->bureau, rest);
	if (ROOT("matter")) {
		if (!strcmp(rest, "basis"))
			return json_incref(
			    json_object_get(fc->matter, "basis"));
		return walk(fc->matter, rest);
	}
	if (ROOT("limit")) {
		const char *p = strstr(rest, ".promised");
		char name[128];

		snprintf(name, sizeof(name), "%.*s",
			 (int)(p ? (size_t)(p - rest) : strlen(rest)), rest);
		return limit_text(fc, name, p ? "promised" : "statutory");
	}
	if (ROOT("deadline")) {
		char p[200];

		snprintf(p, sizeof(p), "deadlines.%s.date", rest);
		return walk(fc->case_json, p);
	}
#undef ROOT
	return NULL;
}

/* Plain text of a value: strings as they are, arrays joined by sep. */
static void value_text(const struct fill_ctx *fc, const json_t *v,
		       const char *sep, struct buf *b)
{
	size_t i;
	json_t *e;

	if (json_is_string(v))
		buf_puts(b, json_string_value(v));
	else if (json_is_integer(v))
		buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_boolean(v))
		buf_puts(b, json_is_true(v) ? "是" : "否");
	else if (json_is_array(v) && json_is_object(json_array_get(v, 0)) &&
		 json_object_get(json_array_get(v, 0), "law")) {
		char *t = format_citations(fc->laws, v);

		buf_puts(b, t ? t : "");
		free(t);
	} else if (json_is_array(v))
		json_array_foreach(v, i, e) {
			if (i)
				buf_puts(b, sep);
			value_text(fc, e, sep, b);
		}
	else if (json_is_object(v) && json_object_get(v, "name"))
		value_text(fc, json_object_get(v, "name"), sep, b);
	else
		buf_puts(b, BLANK);
}

/* The n-th ':'-separated argument of a filter, copied into out. */
static const char *filter_arg(const char *args, int n, char *out, size_t max)
{
	const char *p = args;

	for (int i = 0; p && i < n; i++) {
		p = strchr(p, ':');
		p = p ? p + 1 : NULL;
	}
	if (!p)
		return NULL;
	snprintf(out, max, "%.*s", (int)strcspn(p, ":"), p);
	return out;
}

/* Applies one filter (name, then ':' and arguments) to v. */
static json_t *apply_filter(const struct fill_ctx *fc, json_t *v, const char *f)
{
	char a[512], b2[512], text[256];
	const char *args = strchr(f, ':');
	size_t n = args ? (size_t)(args - f) : strlen(f);
	struct buf b = BUF_INIT_MAX(1 << 16);
	json_t *out = NULL;

	if (!strncmp(f, "default", n) && n == 7) {
		if (!v || (json_is_string(v) && !json_string_length(v)) ||
		    (json_is_array(v) && !json_array_size(v))) {
			json_decref(v);
			return json_string(filter_arg(f, 1, a, sizeof(a))
					       ?: "");
		}
		return v;
	}
	if (!strncmp(f, "yesno", n) && n == 5) {
		out = json_string(
		    filter_arg(f, json_is_true(v) ? 1 : 2, a, sizeof(a)) ?: "");
	} else if (!v) {
		return NULL;
	} else if ((!strncmp(f, "date", n) && n == 4) ||
		   (!strncmp(f, "datetime", n) && n == 8)) {
		if (format_cn_date(json_string_value(v), n == 8, text,
				   sizeof(text)) == 0)
			out = json_string(text);
	} else if (!strncmp(f, "person", n) && n == 6) {
		out = person_names(fc, v);
	} else if (!strncmp(f, "material", n) && n == 8) {
		out = material_names(fc, v);
	} else if (!strncmp(f, "cn", n) && n == 2) {
		if (json_is_integer(v)) {
			format_cn_number(json_integer_value(v), text,
					 sizeof(text));
			out = json_string(text);
		}
	} else if (!strncmp(f, "laws", n) && n == 4) {
		char *t = format_citations(fc->laws, v);

		out = json_string(t ? t : "");
		free(t);
	} else if (!strncmp(f, "join", n) && n == 4) {
		value_text(fc, v, filter_arg(f, 1, a, sizeof(a)) ?: "、", &b);
		out = json_string(b.data ? b.data : "");
	} else if (!strncmp(f, "enum", n) && n == 4) {
		const char *key = json_string_value(v);

		for (int i = 1; key && filter_arg(f, i, a, sizeof(a)); i++) {
			char *eq = strchr(a, '=');

			if (eq && (size_t)(eq - a) == strlen(key) &&
			    !strncmp(a, key, strlen(key))) {
				snprintf(b2, sizeof(b2), "%s", eq + 1);
				out = json_string(b2);
				break;
			}
		}
		if (!out)
			out = json_incref(v);
	}
	buf_release(&b);
	json_decref(v);
	return out;
}

/* Expands one placeholder body (path|filter...) into b. */
static void expand(const struct fill_ctx *fc, const char *body, size_t len,
		   struct buf *b)
{
	char *copy = strndup(body, len), *f, *next;
	char *bar = copy ? strchr(copy, '|') : NULL;
	json_t *v;

	if (!copy)
		return;
	if (bar)
		*bar = '\0';
	v = resolve(fc, copy);
	for (f = bar ? bar + 1 : NULL; f; f = next) {
		next = strchr(f, '|');
		if (next)
			*next++ = '\0';
		v = apply_filter(fc, v, f);
	}
	if (v && !(json_is_string(v) && !json_string_length(v)))
		value_text(fc, v, "、", b);
	else
		buf_puts(b, BLANK);
	json_decref(v);
	free(copy);
}

char *fill_text(const struct fill_ctx *fc, const char *text)
{
	struct buf b = BUF_INIT_MAX(1 << 20);
	const char *p = text ? text : "", *open;
	char *out;

	while ((open = strstr(p, "{{")) != NULL) {
		const char *close = strstr(open + 2, "}}");

		if (!close)
			break;
		buf_append(&b, p, (size_t)(open - p));
		expand(fc, open + 2, (size_t)(close - open - 2), &b);
		p = close + 2;
	}
	buf_puts(&b, p);
	out = strdup(b.data ? b.data : "");
	buf_release(&b);
	return out;
}
