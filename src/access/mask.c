/*
 * Masking of third parties' personal information in a copy set. The
 * fields that data/access.json names contain a person's name, identity
 * number, phone, e-mail or address. Their values are masked unless they
 * belong to the requester (or the party an agent represents), to an
 * organisation, or to a member of staff. The values found that way are
 * then masked wherever they appear in any text, and so are identity
 * numbers (15 or 18 characters), mobile and fixed-line phone numbers and
 * e-mail addresses that text contains, unless they are the requester's.
 *
 * NOTE: a name or address that appears only in free text, and in none of
 * the named fields of the case's records, is not recognised.
 */
#include "common/common.h"

#include "copies_internal.h"

struct masker {
	struct access *a;
	const struct copies *cp;
	json_t *self;   /* names of the requester and the party represented */
	json_t *own;    /* object: the requester's own values, kept */
	json_t *values; /* object: third parties' values -> masked form */
	json_t *staff;  /* object: login -> true, for persons who are staff */
};

/* --- UTF-8 and the masked forms ------------------------------------------- */

/* The length of the UTF-8 sequence at s, cut short at a NUL. */
static size_t utf8_step(const char *s)
{
	unsigned char c = (unsigned char)*s;
	size_t n = 4;

	if (c < 0x80)
		n = 1;
	else if (c < 0xe0)
		n = 2;
	else if (c < 0xf0)
		n = 3;
	for (size_t i = 1; i < n; i++)
		if (!s[i])
			return i;
	return n;
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s += utf8_step(s))
		n++;
	return n;
}

char *mask_name(const char *name)
{
	struct buf b = BUF_INIT_MAX(256);

	if (name[0])
		buf_append(&b, name, utf8_step(name));
	buf_puts(&b, "**");
	return buf_detach(&b, NULL);
}

/* Keeps the first head and last tail bytes of an ASCII value. */
static char *mask_middle(const char *v, size_t head, size_t tail)
{
	size_t n = strlen(v);
	struct buf b = BUF_INIT_MAX(1024);

	if (n <= head + tail) {
		head = n > 1 ? 1 : 0;
		tail = 0;
	}
	buf_append(&b, v, head);
	for (size_t i = head; i < n - tail; i++)
		buf_putc(&b, '*');
	buf_append(&b, v + n - tail, tail);
	return buf_detach(&b, NULL);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char *mask_id(const char *v)
{
	return mask_middle(v, 4, 4);
}

static char *mask_phone(const char *v)
{
	const char *dash = strchr(v, '-');

	if (strlen(v) == 11 && v[0] == '1')
		return mask_middle(v, 3, 4);
	if (dash && (size_t)(dash - v) <= 4) {
		char *rest = mask_middle(dash + 1, 0, 4), *out = NULL;

		if (rest && asprintf(&out, "%.*s-%s", (int)(dash - v), v,
				     rest) < 0)
			out = NULL;
		free(rest);
		return out;
	}
	return mask_middle(v, 3, 4);
}

static char *mask_email(const char *v)
{
	const char *at = strchr(v, '@');
	char *out = NULL;

	if (!at || at == v)
		return mask_middle(v, 1, 0);
	if (asprintf(&out, "%c***%s", v[0], at) < 0)
		return NULL;
	return out;
}

/*
 * Keeps an address down to its district: through the last 省, 市, 区,
 * 县, 州 or 旗 among its first 12 characters, else its first 2.
 */
static char *mask_address(const char *v)
{
	static const char *const regions[] = {
		"省", "市", "区", "县", "州", "旗",
	};
	struct buf b = BUF_INIT_MAX(1024);
	size_t keep = 0, chars = 0, first2 = 0;

	for (const char *p = v; *p && chars < 12; chars++) {
		size_t step = utf8_step(p);

		for (size_t i = 0; i < ARRAY_SIZE(regions); i++)
			if (!strncmp(p, regions[i], strlen(regions[i])))
				keep = (size_t)(p - v) + step;
		p += step;
		if (chars == 1)
			first2 = (size_t)(p - v);
	}
	if (!keep)
		keep = first2 ? first2 : strlen(v);
	buf_append(&b, v, keep);
	buf_puts(&b, "****");
	return buf_detach(&b, NULL);
}

/* --- field classes -------------------------------------------------------- */

enum field_class {
	FIELD_OTHER, FIELD_PERSON, FIELD_ID, FIELD_PHONE, FIELD_ADDRESS,
	FIELD_EMAIL,
};

static bool listed(const json_t *list, const char *path)
{
	json_t *v;
	size_t i;

	json_array_foreach(list, i, v)
		if (!strcmp(json_string_value(v), path))
			return true;
	return false;
}

/* The class of field path ("name" or "parent.name"). */
static enum field_class classify(const struct copies *cp, const char *path)
{
	static const struct {
		const char *list;
		enum field_class cls;
	} lists[] = {
		{ "person_fields", FIELD_PERSON },
		{ "id_fields", FIELD_ID },
		{ "phone_fields", FIELD_PHONE },
		{ "address_fields", FIELD_ADDRESS },
		{ "email_fields", FIELD_EMAIL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(lists); i++)
		if (listed(json_object_get(cp->req, lists[i].list), path))
			return lists[i].cls;
	return FIELD_OTHER;
}

bool copies_is_organization(const struct copies *cp, const char *name)
{
	size_t n = strlen(name);
	json_t *w;
	size_t i;

	json_array_foreach(json_object_get(cp->req, "organization_words"), i,
			   w) {
		size_t len = json_string_length(w);

		if (n > len && !memcmp(name + n - len, json_string_value(w),
				       len))
			return true;
	}
	return false;
}

static bool is_staff(struct masker *m, const char *name)
{
	json_t *hit = json_object_get(m->staff, name), *u = NULL;
	struct error ignored = { 0 };
	bool staff;

	if (hit)
		return json_is_true(hit);
	staff = cases_user_get(m->a->cases, name, &u, &ignored) == 0;
	json_decref(u);
	json_object_set_new(m->staff, name, json_boolean(staff));
	return staff;
}

static bool is_self(const struct masker *m, const char *name)
{
	json_t *v;
	size_t i;

	json_array_foreach(m->self, i, v)
		if (!strcmp(json_string_value(v), name))
			return true;
	return false;
}

static char *masked_form(enum field_class cls, const char *v)
{
	switch (cls) {
	case FIELD_PERSON: return mask_name(v);
	case FIELD_ID: return mask_id(v);
	case FIELD_PHONE: return mask_phone(v);
	case FIELD_ADDRESS: return mask_address(v);
	case FIELD_EMAIL: return mask_email(v);
	default: return NULL;
	}
}

/* Whether value v of class cls is a third party's and must be masked. */
static bool foreign(struct masker *m, enum field_class cls, const char *v)
{
	if (!v[0] || json_object_get(m->own, v))
		return false;
	if (cls != FIELD_PERSON)
		return true;
	return utf8_chars(v) >= 2 && !is_self(m, v) &&
	       !copies_is_organization(m->cp, v) && !is_staff(m, v);
}

/* --- collecting what to mask ---------------------------------------------- */

typedef void (*value_fn)(struct masker *m, enum field_class cls,
			 const char *value);

/* Calls fn for every string under field path of a record's fields. */
static void walk_values(struct masker *m, const char *path, const json_t *v,
			value_fn fn)
{
	const char *key;
	json_t *item;
	size_t i;
	char sub[256];

	if (json_is_string(v)) {
		fn(m, classify(m->cp, path), json_string_value(v));
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item)
			walk_values(m, path, item, fn);
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, item) {
			snprintf(sub, sizeof(sub), "%s%s%s", path,
				 path[0] ? "." : "", key);
			walk_values(m, path[0] ? sub : key, item, fn);
		}
	}
}

static void add_own(struct masker *m, enum field_class cls, const char *v)
{
	if (cls != FIELD_OTHER && cls != FIELD_PERSON && v[0])
		json_object_set_new(m->own, v, json_true());
}

static void add_foreign(struct masker *m, enum field_class cls,
			const char *v)
{
	char *masked;

	if (cls == FIELD_OTHER || json_object_get(m->values, v) ||
	    !foreign(m, cls, v))
		return;
	masked = masked_form(cls, v);
	if (masked)
		json_object_set_new(m->values, v, json_string(masked));
	free(masked);
}

/* The requester's own records: those whose subject field names them. */
static bool own_record(struct masker *m, const json_t *r)
{
	const char *kind = json_string_value(json_object_get(r, "kind"));
	const char *field = json_string_value(json_object_get(
		json_object_get(m->cp->req, "subject_fields"), kind ?: ""));
	const char *subject = field ? json_string_value(json_object_get(
		json_object_get(r, "fields"), field)) : NULL;

	return subject && is_self(m, subject);
}

struct masker *masker_new(struct access *a, const json_t *case_view,
			  const json_t *request)
{
	struct masker *m = calloc(1, sizeof(*m));
	const char *who[] = {
		json_string_value(json_object_get(request, "requester")),
		json_string_value(json_object_get(request, "on_behalf_of")),
	};
	json_t *r;
	size_t i;

	if (!m)
		return NULL;
	m->a = a;
	m->cp = a->copies;
	m->self = json_array();
	m->own = json_object();
	m->values = json_object();
	m->staff = json_object();
	for (i = 0; i < ARRAY_SIZE(who); i++)
		if (who[i] && who[i][0])
			json_array_append_new(m->self, json_string(who[i]));
	json_array_foreach(json_object_get(case_view, "records"), i, r)
		if (own_record(m, r))
			walk_values(m, "", json_object_get(r, "fields"),
				    add_own);
	json_array_foreach(json_object_get(case_view, "records"), i, r)
		walk_values(m, "", json_object_get(r, "fields"), add_foreign);
	return m;
}

void masker_free(struct masker *m)
{
	if (!m)
		return;
	json_decref(m->self);
	json_decref(m->own);
	json_decref(m->values);
	json_decref(m->staff);
	free(m);
}

/* --- masking text --------------------------------------------------------- */

/* Replaces every known third-party value in text, longest first. */
static char *replace_known(struct masker *m, const char *text, size_t *count)
{
	char *cur = strdup(text);
	const char *key, *best;
	json_t *done = json_object(), *v;

	for (;;) {
		struct buf b = BUF_INIT_MAX((size_t)1 << 26);
		const char *p, *hit;

		best = NULL;
		json_object_foreach(m->values, key, v)
			if (!json_object_get(done, key) &&
			    (!best || strlen(key) > strlen(best)))
				best = key;
		if (!best || !cur)
			break;
		json_object_set_new(done, best, json_true());
		if (!strstr(cur, best))
			continue;
		for (p = cur; (hit = strstr(p, best)); p = hit + strlen(best)) {
			buf_append(&b, p, (size_t)(hit - p));
			buf_puts(&b, json_string_value(json_object_get(
				m->values, best)));
			(*count)++;
		}
		buf_puts(&b, p);
		free(cur);
		cur = buf_detach(&b, NULL);
	}
	json_decref(done);
	return cur;
}

/* An identity number or phone number at p, of len bytes, or 0. */
static size_t number_at(const char *p, enum field_class *cls)
{
	size_t n = 0;

	while (is_digit(p[n]))
		n++;
	if (n == 17 && (p[n] == 'X' || p[n] == 'x') && !is_digit(p[n + 1])) {
		*cls = FIELD_ID;
		return 18;
	}
	if ((n == 18 || n == 15) && p[0] != '0') {
		*cls = FIELD_ID;
		return n;
	}
	if (n == 11 && p[0] == '1' && p[1] >= '3') {
		*cls = FIELD_PHONE;
		return n;
	}
	/* A fixed line: area code 0xx or 0xxx, a dash, 7 or 8 digits. */
	if ((n == 3 || n == 4) && p[0] == '0' && p[n] == '-') {
		size_t m = 0;

		while (is_digit(p[n + 1 + m]))
			m++;
		if (m == 7 || m == 8) {
			*cls = FIELD_PHONE;
			return n + 1 + m;
		}
	}
	return 0;
}

static bool email_char(char c, bool domain)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       is_digit(c) || c == '.' || c == '-' ||
	       (!domain && (c == '_' || c == '+' || c == '%'));
}

/* The length of an e-mail address that starts at p, or 0. */
static size_t email_at(const char *p)
{
	size_t n = 0, dot = 0;

	while (email_char(p[n], false))
		n++;
	if (!n || p[n] != '@')
		return 0;
	n++;
	while (email_char(p[n], true)) {
		dot += p[n] == '.';
		n++;
	}
	return dot ? n : 0;
}

/* Masks numbers and e-mail addresses that are not the requester's. */
static char *mask_patterns(struct masker *m, const char *text, size_t *count)
{
	struct buf b = BUF_INIT_MAX((size_t)1 << 26);
	const char *p = text;

	while (*p) {
		enum field_class cls = FIELD_OTHER;
		bool boundary = p == text || !is_digit(p[-1]);
		bool word = p == text || !email_char(p[-1], false);
		size_t n = boundary && is_digit(*p) ? number_at(p, &cls) : 0;
		char *value, *masked;

		if (!n && word && email_char(*p, false) && (n = email_at(p)))
			cls = FIELD_EMAIL;
		if (!n) {
			buf_putc(&b, *p++);
			continue;
		}
		value = strndup(p, n);
		masked = NULL;
		if (value && !json_object_get(m->own, value))
			masked = masked_form(cls, value);
		if (masked)
			buf_puts(&b, masked);
		else if (value)
			buf_puts(&b, value);
		*count += masked != NULL;
		free(masked);
		free(value);
		p += n;
	}
	return buf_detach(&b, NULL);
}

char *masker_text(struct masker *m, const char *text, size_t *count)
{
	char *known = replace_known(m, text, count), *out;

	if (!known)
		return NULL;
	out = mask_patterns(m, known, count);
	free(known);
	return out;
}

/* Masks one string of field path. */
static json_t *mask_string(struct masker *m, const char *path,
			   const char *v, size_t *count)
{
	enum field_class cls = classify(m->cp, path);
	const char *known = json_string_value(json_object_get(m->values, v));
	char *text;
	json_t *out;

	if (cls != FIELD_OTHER && known) {
		(*count)++;
		return json_string(known);
	}
	if (cls != FIELD_OTHER && cls != FIELD_PERSON && foreign(m, cls, v)) {
		text = masked_form(cls, v);
		(*count)++;
	} else {
		text = masker_text(m, v, count);
	}
	out = json_string(text ? text : "");
	free(text);
	return out;
}

static json_t *mask_value(struct masker *m, const char *path, const json_t *v,
			  size_t *count)
{
	const char *key;
	json_t *item, *out;
	size_t i;
	char sub[256];

	if (json_is_string(v))
		return mask_string(m, path, json_string_value(v), count);
	if (json_is_array(v)) {
		out = json_array();
		json_array_foreach(v, i, item)
			json_array_append_new(out, mask_value(m, path, item,
							      count));
		return out;
	}
	if (json_is_object(v)) {
		out = json_object();
		json_object_foreach((json_t *)v, key, item) {
			snprintf(sub, sizeof(sub), "%s.%s", path, key);
			json_object_set_new(out, key, mask_value(
				m, path[0] ? sub : key, item, count));
		}
		return out;
	}
	return json_deep_copy(v);
}

json_t *masker_fields(struct masker *m, const char *kind, const json_t *fields,
		      size_t *count)
{
	(void)kind;
	return mask_value(m, "", fields, count);
}
