/*
 * Entries and proofs under /api/v1: one entry envelope by seq, and the
 * RFC 9162 inclusion and consistency proofs with their hashes in base64.
 *
 * Query parameters are log indexes or tree sizes, parsed strictly. A
 * parameter that is missing, repeated or not a canonical decimal number
 * gets a 400 that names it. A tree size beyond the current log gets a 404,
 * because that tree may exist later. Responses for fixed sizes never
 * change, so they are served as immutable.
 */
#include "common/common.h"

#include <jansson.h>

#include "internal.h"

struct arg_count {
	const char *name;
	unsigned count;
};

static enum MHD_Result count_arg(void *cls, enum MHD_ValueKind kind,
				 const char *key, const char *value)
{
	struct arg_count *a = cls;

	(void)kind, (void)value;
	if (!strcmp(key, a->name))
		a->count++;
	return MHD_YES;
}

/*
 * Reads query parameter name as a log index or tree size. Returns 0 with
 * *found set, CT_EINVAL with a 400 problem in r, or CT_ENOMEM.
 */
static int query_index(struct MHD_Connection *c, const char *name,
		       bool required, uint64_t *out, bool *found,
		       struct reply *r)
{
	struct arg_count args = { name, 0 };
	char quoted[HTTP_QUOTE_MAX];
	const char *value;
	size_t value_len;

	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, count_arg, &args);
	*found = args.count == 1;
	if (args.count > 1)
		return reply_rejected(
		    reply_problem(r, MHD_HTTP_BAD_REQUEST,
				  "query parameter '%s' is given "
				  "%u times; give it once",
				  name, args.count));
	if (args.count == 0)
		return required ? reply_rejected(reply_problem(
				      r, MHD_HTTP_BAD_REQUEST,
				      "query parameter '%s' is missing; "
				      "add %s=N with a decimal number",
				      name, name))
				: 0;
	value = NULL;
	value_len = 0;
	MHD_lookup_connection_value_n(c, MHD_GET_ARGUMENT_KIND, name,
				      strlen(name), &value, &value_len);
	/* A decoded %00 would cut the value short unseen; reject it. */
	if (value && strlen(value) != value_len)
		return reply_rejected(reply_problem(
		    r, MHD_HTTP_BAD_REQUEST,
		    "query parameter '%s' contains a NUL byte; use a decimal "
		    "number", name));
	if (http_parse_index(value, out))
		return reply_rejected(reply_problem(
		    r, MHD_HTTP_BAD_REQUEST,
		    "query parameter %s='%s' is invalid; use a decimal "
		    "number from 0 to 2^63 - 1 without sign or leading "
		    "zeros",
		    name,
		    http_quote(value ? value : "", quoted, sizeof(quoted))));
	return 0;
}

/* Builds a JSON array of base64 hashes, or NULL when out of memory. */
static json_t *json_hashes(const uint8_t hashes[][HASH_LEN], size_t count)
{
	json_t *array = json_array();

	for (size_t i = 0; array && i < count; i++) {
		if (json_array_append_new(array, http_json_base64(hashes[i])) !=
		    0) {
			json_decref(array);
			array = NULL;
		}
	}
	return array;
}

int serve_entry(struct server *s, struct MHD_Connection *c, const char *rest,
		struct reply *r, struct error *err)
{
	char quoted[HTTP_QUOTE_MAX];
	uint64_t seq, size;
	int rc;

	(void)c;
	if (http_parse_index(rest, &seq))
		return reply_problem(r, MHD_HTTP_BAD_REQUEST,
				     "entry seq '%s' is invalid; use a decimal "
				     "number from 0 to 2^63 - 1 without sign "
				     "or leading zeros",
				     http_quote(rest, quoted, sizeof(quoted)));

	buf_release(&r->body);
	buf_init(&r->body, LEDGER_ENTRY_MAX + 1);
	rc = ledger_entry(s->ledger, seq, &r->body, err);
	if (rc == CT_ENOTFOUND && ledger_size(s->ledger, &size, NULL) == 0)
		return reply_problem(r, MHD_HTTP_NOT_FOUND,
				     "entry %" PRIu64 " not found; the log has "
				     "%" PRIu64 " entries, so seq must be "
				     "below that",
				     seq, size);
	if (rc)
		return rc;
	r->status = MHD_HTTP_OK;
	r->content_type = "application/json";
	r->cache_control = CACHE_IMMUTABLE;
	return 0;
}

/* Replies 404 unless a tree of size entries exists now. */
static int check_size(struct server *s, const char *name, uint64_t size,
		      uint64_t *current, struct reply *r, struct error *err)
{
	int rc = ledger_size(s->ledger, current, err);

	if (rc)
		return rc;
	if (size <= *current)
		return 0;
	return reply_rejected(
	    reply_problem(r, MHD_HTTP_NOT_FOUND,
			  "%s %" PRIu64 " is larger than the log "
			  "(%" PRIu64 " entries); request a size "
			  "up to %" PRIu64,
			  name, size, *current, *current));
}

static int reply_inclusion(struct server *s, uint64_t seq, uint64_t size,
			   const char *cache_control, struct reply *r,
			   struct error *err)
{
	uint8_t proof[MERKLE_MAX_PROOF][HASH_LEN], leaf[HASH_LEN];
	json_t *hashes, *leaf_hash;
	uint64_t tree_size;
	size_t count;
	int rc;

	rc = ledger_inclusion(s->ledger, seq, size, proof, &count, &tree_size,
			      err);
	if (rc == 0)
		rc = ledger_leaf(s->ledger, seq, leaf, err);
	if (rc)
		return rc;
	hashes = json_hashes(proof, count);
	leaf_hash = http_json_base64(leaf);
	if (!hashes || !leaf_hash) {
		json_decref(hashes);
		json_decref(leaf_hash);
		return CT_ENOMEM;
	}
	return reply_json(r,
			  json_pack("{s:I, s:I, s:o, s:o}", "leaf_index",
				    (json_int_t)seq, "tree_size",
				    (json_int_t)tree_size, "leaf_hash",
				    leaf_hash, "hashes", hashes),
			  cache_control);
}

int serve_inclusion(struct server *s, struct MHD_Connection *c,
		    const char *rest, struct reply *r, struct error *err)
{
	uint64_t seq, size = 0, current;
	bool has_seq, has_size;
	int rc;

	(void)rest;
	rc = query_index(c, "seq", true, &seq, &has_seq, r);
	if (rc == 0)
		rc = query_index(c, "size", false, &size, &has_size, r);
	if (rc == 0)
		rc = check_size(s, "tree size", size, &current, r, err);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;

	if (!has_size)
		size = current;
	if (seq >= size && has_size)
		return reply_problem(r, MHD_HTTP_BAD_REQUEST,
				     "seq %" PRIu64 " is not below the tree "
				     "size %" PRIu64 "; a tree of size N holds "
				     "entries 0 to N - 1",
				     seq, size);
	if (seq >= size)
		return reply_problem(r, MHD_HTTP_NOT_FOUND,
				     "entry %" PRIu64 " not found; the log has "
				     "%" PRIu64 " entries",
				     seq, size);
	return reply_inclusion(s, seq, size,
			       has_size ? CACHE_IMMUTABLE : CACHE_NONE, r, err);
}

int serve_consistency(struct server *s, struct MHD_Connection *c,
		      const char *rest, struct reply *r, struct error *err)
{
	uint8_t proof[MERKLE_MAX_PROOF][HASH_LEN];
	uint64_t old_size, new_size, current;
	bool has_old, has_new;
	json_t *hashes;
	size_t count;
	int rc;

	(void)rest;
	rc = query_index(c, "old", true, &old_size, &has_old, r);
	if (rc == 0)
		rc = query_index(c, "new", true, &new_size, &has_new, r);
	if (rc == 0 && (old_size == 0 || old_size > new_size))
		rc = reply_rejected(reply_problem(
		    r, MHD_HTTP_BAD_REQUEST,
		    "old=%" PRIu64 " and new=%" PRIu64 " are invalid; a "
		    "consistency proof needs 1 <= old <= new",
		    old_size, new_size));
	if (rc == 0)
		rc = check_size(s, "new", new_size, &current, r, err);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;

	rc = ledger_consistency(s->ledger, old_size, new_size, proof, &count,
				err);
	if (rc)
		return rc;
	hashes = json_hashes(proof, count);
	if (!hashes)
		return CT_ENOMEM;
	return reply_json(r,
			  json_pack("{s:I, s:I, s:o}", "old_size",
				    (json_int_t)old_size, "new_size",
				    (json_int_t)new_size, "hashes", hashes),
			  CACHE_IMMUTABLE);
}
