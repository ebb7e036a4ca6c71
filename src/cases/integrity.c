/*
 * integrity-failure: the result of each verify run (src/ledger/verify.c,
 * which only reads the store) is appended by the CLI or the server as an
 * entry of kind verify-result and of no case. Its projection raises the
 * finding when the run found problems and cures the open one when a
 * later run passes, so a rebuild reproduces both from the log.
 */
#include "common/common.h"

#include "common/log.h"
#include "internal.h"
#include "supervision.h"

/* At most this many problem texts are kept in an entry. */
#define VERIFY_PROBLEMS_MAX 20

int is_verify_kind(const char *kind)
{
	return !strcmp(kind, KIND_VERIFY_RESULT);
}

struct admin_ctx {
	char name[USER_NAME_MAX + 1];
};

/* Picks the first active user, by name, with the role sysadmin. */
static int find_admin(void *ctx, const char *text, size_t len)
{
	struct admin_ctx *a = ctx;
	json_t *u = json_loadb(text, len, 0, NULL);
	const char *name = json_string_value(json_object_get(u, "name"));
	json_t *role;
	size_t i;

	if (name && !json_is_true(json_object_get(u, "disabled")) &&
	    (!a->name[0] || strcmp(name, a->name) < 0))
		json_array_foreach(json_object_get(u, "roles"), i, role)
			if (!strcmp(json_string_value(role) ?: "", "sysadmin"))
				snprintf(a->name, sizeof(a->name), "%s", name);
	json_decref(u);
	return 0;
}

static int collect_open(void *ctx, const struct store_finding *f)
{
	if (f->cured_ms < 0)
		json_array_append_new(ctx, json_integer(f->id));
	return 0;
}

/* The open findings of code, as an array of ids. */
static int open_findings(struct store *s, const char *code, json_t *ids,
			 struct error *err)
{
	struct store_finding_filter f = { NULL, code, 1, 0, 500 };
	uint64_t total = 0;

	return store_finding_list(s, &f, collect_open, ids, &total, err);
}

struct key_ctx {
	const char *key;
	int found;
};

static int key_open(void *ctx, const struct store_finding *f)
{
	struct key_ctx *k = ctx;
	json_t *body = json_loads(f->body, 0, NULL);

	if (f->cured_ms < 0 &&
	    !strcmp(json_string_value(json_object_get(body, "key")) ?: "",
		    k->key))
		k->found = 1;
	json_decref(body);
	return 0;
}

/*
 * A blob file missing with no purge or expunge entry: verify names it as
 * "blob <hash>: file '<path>' is missing". One open purge-without-rule
 * per blob, keyed by its hash, naming the store administrator.
 */
static int missing_blobs(struct cases *c, struct store *s,
			 const struct rec *r, const json_t *problems,
			 const char *admin, struct error *err)
{
	json_t *line;
	size_t i;
	int rc = 0;

	json_array_foreach(problems, i, line) {
		const char *text = json_string_value(line);
		/* The hash itself contains a colon ("sm3:<hex>"). */
		const char *colon = text ? strstr(text, ": ") : NULL;
		struct store_finding_filter f = { NULL, "purge-without-rule", 1,
						  0, 500 };
		char hash[HASH_TEXT_MAX];
		struct key_ctx k = { hash, 0 };
		uint64_t total;
		json_t *extra;

		if (rc || !colon || strncmp(text, "blob ", 5) ||
		    !strstr(text, "' is missing") ||
		    (size_t)(colon - text - 5) >= sizeof(hash))
			continue;
		snprintf(hash, sizeof(hash), "%.*s", (int)(colon - text - 5),
			 text + 5);
		rc = store_finding_list(s, &f, key_open, &k, &total, err);
		if (rc || k.found)
			continue;
		extra = json_pack("{s:s, s:s}", "detail", text, "blob", hash);
		rc = cases_finding_raise(c, s, "purge-without-rule", r->seq,
					 r->ts_ms, admin, hash, extra, err);
		json_decref(extra);
	}
	return rc;
}

int integrity_project(struct cases *c, struct store *s, const struct rec *r,
		      struct error *err)
{
	json_t *problems = json_object_get(r->fields, "problems");
	json_t *ids, *id, *extra;
	struct admin_ctx admin = { "" };
	char detail[512];
	size_t i;
	int rc;

	if (!r->fields)
		return 0;
	ids = json_array();
	rc = store_user_list(s, find_admin, &admin, err);
	if (rc == 0)
		rc = missing_blobs(c, s, r, problems, admin.name, err);
	if (rc == 0)
		rc = open_findings(s, "integrity-failure", ids, err);
	if (rc == 0 && json_array_size(problems) == 0) {
		json_array_foreach(ids, i, id) {
			if (rc)
				break;
			rc = store_finding_cure(s, json_integer_value(id),
						r->ts_ms, err);
		}
		json_decref(ids);
		return rc;
	}
	/* One open finding at a time: later failures leave it standing. */
	if (rc || json_array_size(ids)) {
		json_decref(ids);
		return rc;
	}
	json_decref(ids);
	snprintf(detail, sizeof(detail), "%s",
		 json_string_value(json_array_get(problems, 0)) ?: "");
	extra = json_pack("{s:s, s:O, s:I}", "detail", detail, "problems",
			  problems, "count",
			  json_integer_value(json_object_get(r->fields,
							     "count")));
	if (rc == 0)
		rc = cases_finding_raise(c, s, "integrity-failure", r->seq,
					 r->ts_ms, admin.name, "verify", extra,
					 err);
	json_decref(extra);
	return rc;
}

int cases_integrity_open(struct cases *c, int *open, struct error *err)
{
	struct finding_query q = { .code = "integrity-failure",
				   .open_only = 1, .limit = 1 };
	json_t *out = NULL;
	int rc = cases_findings(c, &q, &out, err);

	*open = rc == 0 &&
		json_integer_value(json_object_get(out, "total")) > 0;
	json_decref(out);
	return rc;
}

int cases_integrity_record(struct cases *c, const json_t *problems,
			   const struct actor *by, struct error *err)
{
	struct ledger_record rec = { .kind = KIND_VERIFY_RESULT,
				     .actor = by->user, .os_user = by->os_user,
				     .supersedes = -1 };
	json_t *kept, *p, *fields;
	struct ledger_receipt receipt;
	size_t i;
	int rc;

	/* A pass is recorded only to cure an open finding, so that routine
	 * runs on a sound store add nothing to the log. */
	if (json_array_size(problems) == 0) {
		int open = 0;

		rc = cases_integrity_open(c, &open, err);
		if (rc || !open)
			return rc;
	}
	kept = json_array();
	json_array_foreach(problems, i, p)
		if (i < VERIFY_PROBLEMS_MAX && json_is_string(p))
			json_array_append(kept, p);
	fields = json_pack("{s:b, s:I, s:o}", "ok",
			   json_array_size(problems) == 0, "count",
			   (json_int_t)json_array_size(problems), "problems",
			   kept);
	rec.fields = fields;
	rc = ledger_append(c->ledger, &rec, &receipt, err);
	if (rc == 0)
		log_info("cases", "verify result recorded",
			 "seq=%" PRIu64 " problems=%zu", receipt.seq,
			 json_array_size(problems));
	json_decref(fields);
	return rc;
}

json_t *verify_problem_lines(const char *text, size_t len)
{
	json_t *lines = json_array();
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && text[i] != '\n')
			continue;
		if (i > start)
			json_array_append_new(lines, json_stringn(text + start,
								  i - start));
		start = i + 1;
	}
	return lines;
}
