/*
 * Query parameters of the workflow API. Every handler names the
 * parameters it takes, and a request with any other parameter, or with
 * one given twice, gets a 400 that names it, so that a misspelt filter is
 * never ignored. Names and values with a NUL byte (%00) or invalid UTF-8
 * are rejected the same way, and numbers are decimal digits only.
 */
#include "common/common.h"

#include <jansson.h>

#include "api.h"
#include "common/jcs.h"

/* The first parameter that query_check rejects, and the reason. */
struct query_scan {
	const char *const *names;
	unsigned seen[16]; /* by index in names */
	bool bad;
	const char *reason;
	char key[HTTP_QUOTE_MAX];
};

static enum MHD_Result scan_arg(void *cls, enum MHD_ValueKind kind,
				const char *key, size_t key_size,
				const char *value, size_t value_size)
{
	struct query_scan *scan = cls;
	size_t i;

	(void)kind;
	http_quote(key, scan->key, sizeof(scan->key));
	scan->bad = true;
	if (strlen(key) != key_size || (value && strlen(value) != value_size))
		scan->reason = "contains a NUL byte";
	else if (!jcs_utf8_valid(key, key_size) ||
		 (value && !jcs_utf8_valid(value, value_size)))
		scan->reason = "is not valid UTF-8";
	else
		scan->bad = false;
	if (scan->bad)
		return MHD_NO;

	for (i = 0; scan->names[i] && strcmp(scan->names[i], key) != 0; i++)
		;
	if (!scan->names[i])
		scan->reason = "is unknown";
	else if (i >= ARRAY_SIZE(scan->seen) || ++scan->seen[i] > 1)
		scan->reason = "is given more than once";
	scan->bad = scan->reason != NULL;
	return scan->bad ? MHD_NO : MHD_YES;
}

/* Writes the names a resource takes into out, comma-separated. */
static const char *list_names(const char *const *names, char *out, size_t n)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; names[i] && used < n; i++)
		used += (size_t)snprintf(out + used, n - used, "%s%s",
					 i ? ", " : "", names[i]);
	return out[0] ? out : "none";
}

int query_check(struct MHD_Connection *c, const char *const *names,
		struct reply *r)
{
	struct query_scan scan = { .names = names };
	char known[256];

	MHD_get_connection_values_n(c, MHD_GET_ARGUMENT_KIND, scan_arg, &scan);
	if (!scan.bad)
		return 0;
	return reply_rejected(reply_problem_of(
	    r, PROBLEM_INVALID_PARAMETER,
	    "query parameter '%s' %s; this resource takes %s", scan.key,
	    scan.reason, list_names(names, known, sizeof(known))));
}

int query_text(struct MHD_Connection *c, const char *name, const char **out,
	       struct reply *r)
{
	const char *value = NULL;
	size_t len = 0;

	*out = NULL;
	if (MHD_lookup_connection_value_n(c, MHD_GET_ARGUMENT_KIND, name,
					  strlen(name), &value,
					  &len) != MHD_YES)
		return 0;
	/* "?name" without "=" has a NULL value: treat it as empty. */
	*out = value ? value : "";
	if (!**out)
		return reply_rejected(reply_problem_of(
		    r, PROBLEM_INVALID_PARAMETER,
		    "query parameter '%s' is empty; give a value or leave "
		    "it out",
		    name));
	return 0;
}

int query_number(struct MHD_Connection *c, const char *name, uint64_t max,
		 uint64_t *out, bool *found, struct reply *r)
{
	char quoted[HTTP_QUOTE_MAX];
	const char *value;
	int rc;

	rc = query_text(c, name, &value, r);
	*found = value != NULL;
	if (rc || !value)
		return rc;
	if (http_parse_index(value, out) || *out > max)
		return reply_rejected(reply_problem_of(
		    r, PROBLEM_INVALID_PARAMETER,
		    "query parameter %s='%s' is invalid; use a decimal "
		    "number from 0 to %" PRIu64
		    " without sign or leading zeros",
		    name, http_quote(value, quoted, sizeof(quoted)), max));
	return 0;
}

int query_flag(struct MHD_Connection *c, const char *name, int *out,
	       struct reply *r)
{
	char quoted[HTTP_QUOTE_MAX];
	const char *value;
	int rc;

	*out = 0;
	rc = query_text(c, name, &value, r);
	if (rc || !value)
		return rc;
	if (strcmp(value, "0") != 0 && strcmp(value, "1") != 0)
		return reply_rejected(reply_problem_of(
		    r, PROBLEM_INVALID_PARAMETER,
		    "query parameter %s='%s' is invalid; use %s=1 or leave "
		    "it out",
		    name, http_quote(value, quoted, sizeof(quoted)), name));
	*out = value[0] == '1';
	return 0;
}

int query_page(struct MHD_Connection *c, size_t *offset, size_t *limit,
	       struct reply *r)
{
	char quoted[HTTP_QUOTE_MAX];
	const char *text;
	uint64_t value;
	bool found;
	int rc;

	rc = query_number(c, "offset", (uint64_t)INT64_MAX, &value, &found, r);
	if (rc)
		return rc;
	*offset = found ? (size_t)value : 0;
	rc = query_text(c, "limit", &text, r);
	if (rc)
		return rc;
	*limit = QUERY_LIMIT_DEFAULT;
	if (!text)
		return 0;
	/* A limit of 0 is rejected: the queries would read it as 50. */
	if (http_parse_index(text, &value) || value < 1 ||
	    value > QUERY_LIMIT_MAX)
		return reply_rejected(reply_problem_of(
		    r, PROBLEM_INVALID_PARAMETER,
		    "query parameter limit='%s' is invalid; use a decimal "
		    "number from 1 to %d without sign or leading zeros",
		    http_quote(text, quoted, sizeof(quoted)),
		    QUERY_LIMIT_MAX));
	*limit = (size_t)value;
	return 0;
}
