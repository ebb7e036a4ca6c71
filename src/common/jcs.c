/*
 * RFC 8785 (JSON Canonicalization Scheme) for casetrail: strict parsing on
 * top of Jansson and the canonical writer whose bytes are hashed into
 * record content and ledger entries. Jansson 2.14 parses, but its
 * encoder sorts keys by bytes rather than UTF-16 code units (JSON_SORT_KEYS
 * puts U+FFFF before U+10000) and can write reals, so this file writes the
 * canonical form itself.
 *
 * One recursive walk both checks a value and, when given a buffer, writes
 * it. The walk stops at JCS_MAX_DEPTH nested arrays and objects, so no
 * document can make it recurse without bound. Jansson's own parser stops
 * far later, at JSON_PARSER_MAX_DEPTH (2048 in jansson_config.h of 2.14).
 * Every error names the field by its path: dotted keys and [i] indexes,
 * such as 'items[2].price', with "(root)" for the top-level value.
 */
#include "common/common.h"

#include <math.h>

#include "jcs.h"

/* Paths in error messages are cut after this many bytes and end in "...". */
#define PATH_SHOWN_MAX 200

/* One step from a value to its parent, used only to name a field. */
struct frame {
	const struct frame *parent;
	const char *key; /* NULL when the value is an array element */
	size_t key_len;
	size_t index;
};

struct member {
	const char *key;
	size_t key_len;
	json_t *value;
};

/* The state of one walk. out is NULL when the walk only checks. */
struct walk {
	struct buf *out;
	struct error *err;
};

/*
 * Decodes one UTF-8 sequence of at most len bytes into *cp. Returns its
 * length, or 0 for a byte sequence that is not valid UTF-8: truncated,
 * overlong, a UTF-16 surrogate or beyond U+10FFFF.
 */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	uint32_t c, min;
	size_t n;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		c = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		c = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		c = s[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* Returns the first UTF-16 code unit of a code point. */
static uint32_t utf16_first_unit(uint32_t cp)
{
	return cp < 0x10000 ? cp : 0xd800 + ((cp - 0x10000) >> 10);
}

/*
 * Compares two UTF-8 strings by their UTF-16 code units, the order RFC
 * 8785 section 3.2.3 requires for object members. Byte order differs only
 * when a character above U+FFFF (a surrogate pair, D800..DBFF first) meets
 * one in U+E000..U+FFFF, so only the first differing code point matters.
 * Bytes that are not valid UTF-8 compare as themselves, but the walk
 * rejects such keys before it sorts.
 */
static int compare_utf16(const char *a, size_t alen, const char *b, size_t blen)
{
	const unsigned char *ua = (const unsigned char *)a;
	const unsigned char *ub = (const unsigned char *)b;
	size_t i = 0, j = 0;

	while (i < alen && j < blen) {
		uint32_t ca, cb, fa, fb;
		size_t na = utf8_decode(ua + i, alen - i, &ca);
		size_t nb = utf8_decode(ub + j, blen - j, &cb);

		if (!na) {
			ca = ua[i];
			na = 1;
		}
		if (!nb) {
			cb = ub[j];
			nb = 1;
		}
		if (ca != cb) {
			fa = utf16_first_unit(ca);
			fb = utf16_first_unit(cb);
			if (fa != fb)
				return fa < fb ? -1 : 1;
			/* The high surrogates match, so the low ones decide. */
			return ca < cb ? -1 : 1;
		}
		i += na;
		j += nb;
	}
	return (i < alen) - (j < blen);
}

static int compare_members(const void *pa, const void *pb)
{
	const struct member *a = pa, *b = pb;

	return compare_utf16(a->key, a->key_len, b->key, b->key_len);
}

/*
 * Appends s as a JSON string with only the escapes RFC 8785 section
 * 3.2.2.2 allows: \" \\ \b \f \n \r \t, \u00xx in lowercase hex for the
 * other control characters, and every other character as literal UTF-8.
 */
static int append_string(struct buf *b, const char *s, size_t len)
{
	size_t start = 0;
	int rc = buf_putc(b, '"');

	for (size_t i = 0; i < len && !rc; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if (c == '"' || c == '\\')
			snprintf(esc, sizeof(esc), "\\%c", c);
		else if (c == '\b')
			snprintf(esc, sizeof(esc), "\\b");
		else if (c == '\f')
			snprintf(esc, sizeof(esc), "\\f");
		else if (c == '\n')
			snprintf(esc, sizeof(esc), "\\n");
		else if (c == '\r')
			snprintf(esc, sizeof(esc), "\\r");
		else if (c == '\t')
			snprintf(esc, sizeof(esc), "\\t");
		else
			snprintf(esc, sizeof(esc), "\\u%04x", c);
		rc = buf_append(b, s + start, i - start);
		if (!rc)
			rc = buf_puts(b, esc);
		start = i + 1;
	}
	if (!rc)
		rc = buf_append(b, s + start, len - start);
	if (!rc)
		rc = buf_putc(b, '"');
	return rc;
}

/* Returns whether a key can stand in a path after a dot, unquoted. */
static bool is_plain_key(const char *key, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)key[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		      c >= 0x80))
			return false;
	}
	return true;
}

/* Appends one path step: ".key", "key" at the start, ["k.y"] or [3]. */
static int append_step(struct buf *b, const struct frame *f, bool first)
{
	int rc;

	if (!f->key)
		return buf_printf(b, "[%zu]", f->index);
	if (is_plain_key(f->key, f->key_len)) {
		rc = first ? 0 : buf_putc(b, '.');
		if (!rc)
			rc = buf_append(b, f->key, f->key_len);
		return rc;
	}
	rc = buf_putc(b, '[');
	if (!rc)
		rc = append_string(b, f->key, f->key_len);
	if (!rc)
		rc = buf_putc(b, ']');
	return rc;
}

/*
 * Writes the path of the value at frame f into out. Keys on the path were
 * checked to be valid UTF-8 without NUL before the walk entered them.
 */
static void format_path(const struct frame *f, char *out, size_t n)
{
	const struct frame *chain[JCS_MAX_DEPTH + 1];
	struct buf path = BUF_INIT_MAX(PATH_SHOWN_MAX);
	struct buf step = BUF_INIT_MAX(PATH_SHOWN_MAX);
	size_t depth = 0;
	bool cut = false;

	for (; f && depth < ARRAY_SIZE(chain); f = f->parent)
		chain[depth++] = f;
	while (depth > 0 && !cut) {
		depth--;
		buf_reset(&step);
		cut = append_step(&step, chain[depth], path.len == 0) ||
		      buf_append(&path, step.data, step.len);
	}
	if (path.len == 0 && !cut)
		snprintf(out, n, "(root)");
	else
		snprintf(out, n, "%s%s", path.data ? path.data : "",
			 cut ? "..." : "");
	buf_release(&step);
	buf_release(&path);
}

/* Sets err to CT_EINVAL with a message that starts with the field path. */
static int __attribute__((format(printf, 3, 4)))
field_error(const struct frame *f, struct error *err, const char *fmt, ...)
{
	char path[PATH_SHOWN_MAX + 4], detail[ERROR_MSG_MAX];
	va_list ap;

	if (!err || err->msg[0] != '\0')
		return CT_EINVAL;
	format_path(f, path, sizeof(path));
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return error_set(err, CT_EINVAL, "field '%s': %s", path, detail);
}

/* Reports a failed append to the output buffer. */
static int output_error(struct walk *w, int rc)
{
	if (rc == CT_ETOOBIG)
		return error_set(w->err, rc,
				 "canonical JSON is larger than the output "
				 "maximum of %zu bytes; raise the buffer "
				 "maximum or send a smaller document",
				 w->out->max);
	return error_set(w->err, rc, "writing canonical JSON failed: %s",
			 ct_strerror(rc));
}

static int emit(struct walk *w, const char *s, size_t len)
{
	int rc;

	if (!w->out)
		return 0;
	rc = buf_append(w->out, s, len);
	return rc ? output_error(w, rc) : 0;
}

/*
 * Checks that a string or key is valid UTF-8 without NUL characters, so
 * that its canonical form parses back to the same value.
 */
int jcs_utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t cp;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_decode(u + i, len - i, &cp);

		if (n == 0 || cp == 0)
			return 0;
		i += n;
	}
	return 1;
}

static int check_text(struct walk *w, const struct frame *f, const char *s,
		      size_t len, const char *what)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = utf8_decode(u + i, len - i, &cp);

		if (!n)
			return field_error(f, w->err,
					   "%s is not valid UTF-8 at byte "
					   "%zu; send text encoded as UTF-8",
					   what, i);
		if (cp == 0)
			return field_error(f, w->err,
					   "%s contains a NUL character "
					   "(\\u0000) at byte %zu; remove it",
					   what, i);
		i += n;
	}
	return 0;
}

static int walk_string(struct walk *w, const json_t *v, const struct frame *f)
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	int rc = check_text(w, f, s, len, "string");

	if (rc || !w->out)
		return rc;
	rc = append_string(w->out, s, len);
	return rc ? output_error(w, rc) : 0;
}

static int walk_integer(struct walk *w, const json_t *v, const struct frame *f)
{
	json_int_t n = json_integer_value(v);
	int rc;

	if (n < -JCS_MAX_SAFE_INT || n > JCS_MAX_SAFE_INT)
		return field_error(f, w->err,
				   "%" JSON_INTEGER_FORMAT " is outside the "
				   "safe integer range -%lld..%lld "
				   "(2^53 - 1); write larger values as a "
				   "string",
				   n, JCS_MAX_SAFE_INT, JCS_MAX_SAFE_INT);
	if (!w->out)
		return 0;
	rc = buf_printf(w->out, "%" JSON_INTEGER_FORMAT, n);
	return rc ? output_error(w, rc) : 0;
}

/*
 * Rejects a real. The message shows an integral value below 1e17 with
 * ".0" and any other value in the shortest form that reads back as the
 * same double.
 */
static int reject_real(struct walk *w, const json_t *v, const struct frame *f)
{
	double d = json_real_value(v);
	bool integral = d == floor(d);
	char text[40];

	if (integral && fabs(d) < 1e17) {
		snprintf(text, sizeof(text), "%.1f", d);
	} else {
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(text, sizeof(text), "%.*g", prec, d);
			if (strtod(text, NULL) == d)
				break;
		}
	}
	if (integral)
		return field_error(f, w->err,
				   "%s is written with a fraction or exponent; "
				   "casetrail stores only integers, write it "
				   "without '.' or 'e'",
				   text);
	return field_error(f, w->err,
			   "%s is not an integer; casetrail stores only "
			   "integers, write amounts in the smallest unit or "
			   "as a string",
			   text);
}

static int walk_value(struct walk *w, const json_t *v, const struct frame *f,
		      int depth);

static int walk_array(struct walk *w, const json_t *v, const struct frame *f,
		      int depth)
{
	size_t n = json_array_size(v);
	int rc = emit(w, "[", 1);

	for (size_t i = 0; i < n && !rc; i++) {
		struct frame child = { f, NULL, 0, i };

		if (i > 0)
			rc = emit(w, ",", 1);
		if (!rc)
			rc = walk_value(w, json_array_get(v, i), &child,
					depth + 1);
	}
	if (!rc)
		rc = emit(w, "]", 1);
	return rc;
}

/*
 * Collects the members of obj into an array and checks their keys.
 * Jansson's iterator takes a non-const object but does not change it.
 */
static int collect_members(struct walk *w, const json_t *obj,
			   const struct frame *f, struct member *members)
{
	void *it = json_object_iter((json_t *)obj);
	size_t i = 0;
	int rc = 0;

	for (; it && !rc; it = json_object_iter_next((json_t *)obj, it)) {
		members[i].key = json_object_iter_key(it);
		members[i].key_len = json_object_iter_key_len(it);
		members[i].value = json_object_iter_value(it);
		rc = check_text(w, f, members[i].key, members[i].key_len,
				"object key");
		i++;
	}
	return rc;
}

static int walk_object(struct walk *w, const json_t *obj, const struct frame *f,
		       int depth)
{
	size_t n = json_object_size(obj);
	struct member *members = NULL;
	int rc;

	if (n == 0)
		return emit(w, "{}", 2);
	members = calloc(n, sizeof(*members));
	if (!members) {
		rc = error_set(w->err, CT_ENOMEM,
			       "out of memory sorting an object of %zu members",
			       n);
		goto out_free;
	}
	rc = collect_members(w, obj, f, members);
	if (rc)
		goto out_free;
	if (w->out)
		qsort(members, n, sizeof(*members), compare_members);

	rc = emit(w, "{", 1);
	for (size_t i = 0; i < n && !rc; i++) {
		struct frame child = {
			.parent = f,
			.key = members[i].key,
			.key_len = members[i].key_len,
		};

		if (i > 0)
			rc = emit(w, ",", 1);
		if (!rc && w->out) {
			rc = append_string(w->out, members[i].key,
					   members[i].key_len);
			rc = rc ? output_error(w, rc) : emit(w, ":", 1);
		}
		if (!rc)
			rc = walk_value(w, members[i].value, &child, depth + 1);
	}
	if (!rc)
		rc = emit(w, "}", 1);
out_free:
	free(members);
	return rc;
}

/*
 * Checks v, the value at path f inside depth arrays and objects, and
 * writes it when w->out is set.
 */
static int walk_value(struct walk *w, const json_t *v, const struct frame *f,
		      int depth)
{
	if (!v)
		return field_error(f, w->err, "value is missing (NULL)");
	if ((json_is_array(v) || json_is_object(v)) && depth >= JCS_MAX_DEPTH)
		return field_error(f, w->err,
				   "arrays and objects nest deeper than %d "
				   "levels; casetrail accepts at most %d",
				   JCS_MAX_DEPTH, JCS_MAX_DEPTH);

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return walk_object(w, v, f, depth);
	case JSON_ARRAY:
		return walk_array(w, v, f, depth);
	case JSON_STRING:
		return walk_string(w, v, f);
	case JSON_INTEGER:
		return walk_integer(w, v, f);
	case JSON_REAL:
		return reject_real(w, v, f);
	case JSON_TRUE:
		return emit(w, "true", 4);
	case JSON_FALSE:
		return emit(w, "false", 5);
	case JSON_NULL:
		return emit(w, "null", 4);
	}
	return field_error(f, w->err, "unknown Jansson type %d",
			   (int)json_typeof(v));
}

int jcs_check(const json_t *v, struct error *err)
{
	struct walk w = { NULL, err };

	return walk_value(&w, v, NULL, 0);
}

/*
 * On error out is cut back to the length it had on entry, so a caller
 * never hashes half a document.
 */
int jcs_write(const json_t *v, struct buf *out, struct error *err)
{
	struct walk w = { out, err };
	size_t start = out->len;
	int rc = walk_value(&w, v, NULL, 0);

	if (rc && out->data) {
		out->len = start;
		out->data[start] = '\0';
	}
	return rc;
}

/* Turns Jansson's error into casetrail's message and code. */
static json_t *parse_error(const json_error_t *jerr, struct error *err)
{
	int line = jerr->line, column = jerr->column;

	switch (json_error_code(jerr)) {
	case json_error_out_of_memory:
		error_set(err, CT_ENOMEM, "parsing JSON failed: out of memory");
		break;
	case json_error_null_character:
		error_set(err, CT_EINVAL,
			  "invalid JSON at line %d, column %d: \\u0000 (NUL) "
			  "is not allowed in strings; remove it",
			  line, column);
		break;
	case json_error_numeric_overflow:
		error_set(err, CT_EINVAL,
			  "invalid JSON at line %d, column %d: %s; casetrail "
			  "stores only integers within -%lld..%lld "
			  "(2^53 - 1), write larger values as a string",
			  line, column, jerr->text, JCS_MAX_SAFE_INT,
			  JCS_MAX_SAFE_INT);
		break;
	case json_error_stack_overflow:
		error_set(err, CT_EINVAL,
			  "invalid JSON at line %d, column %d: %s; casetrail "
			  "accepts at most %d nested arrays and objects",
			  line, column, jerr->text, JCS_MAX_DEPTH);
		break;
	default:
		error_set(err, CT_EINVAL,
			  "invalid JSON at line %d, column %d: %s", line,
			  column, jerr->text);
		break;
	}
	return NULL;
}

/*
 * Any JSON value is accepted at the top level (JSON_DECODE_ANY), as RFC
 * 8259 allows; callers that need an object check the type. Without
 * JSON_ALLOW_NUL, Jansson rejects \u0000 in strings, and it always
 * rejects invalid UTF-8 and unpaired surrogate escapes such as "\ud800".
 */
json_t *jcs_parse(const char *text, size_t len, struct error *err)
{
	json_error_t jerr;
	json_t *v;

	if (!text && len > 0) {
		error_set(err, CT_EINVAL,
			  "invalid JSON: NULL text of %zu bytes", len);
		return NULL;
	}
	v = json_loadb(text ? text : "", len,
		       JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!v)
		return parse_error(&jerr, err);
	if (jcs_check(v, err)) {
		json_decref(v);
		return NULL;
	}
	return v;
}
