/*
 * The projection of 双公示 entries (src/publicity/). A publicity-export
 * entry belongs to no case but names the decisions it published; for a
 * submission to the credit platform, the first export of each decision
 * is kept in p_kv, where a case's evaluation reads it (late-publicity),
 * and each named case is evaluated again at the export's time. A
 * publicity-history entry carries imported rows of earlier years, each
 * kept under its key so that a second import of the same row adds
 * nothing.
 */
#include "common/common.h"

#include "common/log.h"
#include "internal.h"

int is_publicity_kind(const char *kind)
{
	return !strcmp(kind, KIND_PUBLICITY_EXPORT) ||
	       !strcmp(kind, KIND_PUBLICITY_HISTORY);
}

static void seq_key(uint64_t seq, char key[24])
{
	snprintf(key, 24, "%020" PRIu64, seq);
}

int64_t publicity_first_export(struct store *s, uint64_t decision_seq)
{
	struct buf body = BUF_INIT_MAX(4096);
	struct error err = { 0 };
	char key[24];
	int64_t at = -1;

	seq_key(decision_seq, key);
	if (s && store_kv_get(s, NS_PUBLISHED, key, &body, NULL, &err) == 0) {
		json_t *row = json_loads(body.data ? body.data : "", 0, NULL);

		at = json_integer_value(json_object_get(row, "at"));
		json_decref(row);
	}
	buf_release(&body);
	return at;
}

/*
 * Evaluates a published case again, so that its publicity deadline is
 * met and it leaves the list of cases a sweep must visit.
 * NOTE: the case's last seq stays the same, so a rendering cached by it
 * (cases_show_json, the ETag) shows the old deadline state until the
 * next sweep empties the cache.
 */
static int reproject_case(struct cases *c, struct store *s, const char *id,
			  int64_t now_ms, struct error *err)
{
	struct state_slot *slot = state_get(c, s, id, err);
	int rc;

	if (!slot && err->code == CT_ENOTFOUND) {
		log_warn("cases", "publicity export of an unknown case",
			 "case=%s", id);
		error_clear(err);
		return 0;
	}
	if (!slot)
		return err->code ? err->code : CT_EIO;
	rc = case_project(c, s, &slot->cs, now_ms, err);
	if (rc)
		state_drop(slot);
	return rc;
}

static int project_export(struct cases *c, struct store *s,
			  const struct rec *r, struct error *err)
{
	const char *output = json_string_value(json_object_get(r->fields,
							       "output"));
	json_t *d;
	size_t i;
	int rc = 0;

	if (!output || strcmp(output, "submission"))
		return 0;
	json_array_foreach(json_object_get(r->fields, "decisions"), i, d) {
		json_int_t seq = json_integer_value(json_object_get(d, "seq"));
		const char *id = json_string_value(json_object_get(d, "case"));
		char key[24], *text;
		json_t *row;

		if (seq < 0 || !id)
			continue;
		seq_key((uint64_t)seq, key);
		rc = store_kv_get(s, NS_PUBLISHED, key, NULL, NULL, err);
		if (rc == 0)
			continue;
		if (rc != CT_ENOTFOUND)
			return rc;
		error_clear(err);
		row = json_pack("{s:I, s:I, s:s}", "export", (json_int_t)r->seq,
				"at", (json_int_t)r->ts_ms, "case", id);
		text = row ? json_dumps(row, JSON_COMPACT | JSON_SORT_KEYS)
			   : NULL;
		rc = text ? store_kv_put(s, NS_PUBLISHED, key, r->seq, text,
					 err)
			  : error_set(err, CT_ENOMEM, "out of memory");
		free(text);
		json_decref(row);
		if (rc == 0)
			rc = reproject_case(c, s, id, r->ts_ms, err);
		if (rc)
			return rc;
	}
	return 0;
}

static int project_history(struct store *s, const struct rec *r,
			   struct error *err)
{
	const char *source = json_string_value(json_object_get(r->fields,
							       "source"));
	json_t *row;
	size_t i;
	int rc = 0;

	json_array_foreach(json_object_get(r->fields, "rows"), i, row) {
		const char *key = json_string_value(json_object_get(row,
								    "key"));
		json_t *body;
		char *text;

		if (!key)
			continue;
		rc = store_kv_get(s, NS_PUBLICITY_HISTORY, key, NULL, NULL,
				  err);
		if (rc == 0)
			continue;
		if (rc != CT_ENOTFOUND)
			return rc;
		error_clear(err);
		body = json_pack("{s:I, s:O, s:s, s:O}", "seq",
				 (json_int_t)r->seq, "row",
				 json_object_get(row, "row"), "source",
				 source ?: "", "fields",
				 json_object_get(row, "fields"));
		text = body ? json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS)
			    : NULL;
		rc = text ? store_kv_put(s, NS_PUBLICITY_HISTORY, key, r->seq,
					 text, err)
			  : error_set(err, CT_ENOMEM, "out of memory");
		free(text);
		json_decref(body);
		if (rc)
			return rc;
	}
	return 0;
}

int publicity_project(struct cases *c, struct store *s, const struct rec *r,
		      struct error *err)
{
	if (!r->fields)
		return 0;
	if (!strcmp(r->kind, KIND_PUBLICITY_EXPORT))
		return project_export(c, s, r, err);
	return project_history(s, r, err);
}

int publicity_due_sync(struct store *s, const struct case_state *cs,
		       const json_t *deadlines, struct error *err)
{
	const char *state = json_string_value(json_object_get(
		json_object_get(deadlines, "publicity"), "state"));

	if (state && (!strcmp(state, "open") || !strcmp(state, "overdue")))
		return store_kv_put(s, NS_PUBLICITY_DUE, cs->id,
				    cs->recs[cs->n - 1].seq, "{}", err);
	return store_kv_delete(s, NS_PUBLICITY_DUE, cs->id, err);
}
