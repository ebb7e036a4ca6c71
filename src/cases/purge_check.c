/*
 * purge-without-rule: the after-the-fact check of purges and expunges.
 *
 * The ledger and the media projection reject, on append, a purge of case
 * evidence or held footage and an expunge without another approver. Entries
 * that reached the log otherwise (written by an older version, or by a tool
 * using the ledger alone) are projected without those checks on catch-up
 * and rebuild. This check runs on every purge and expunge entry, before the
 * media projection marks the file purged, and raises a finding of no case
 * for one that no rule covers:
 *
 *   - a purge of a file that is case evidence or under a hold;
 *   - a purge under a rule other than surveillance-<N>d with N at least
 *     MEDIA_SURVEILLANCE_DAYS_MIN, or before the last retention day ended;
 *   - an expunge of a case's content or evidence without an approver other
 *     than its actor.
 *
 * A blob missing with no purge or expunge entry is found by verify, whose
 * result integrity.c projects.
 */
#include "common/common.h"

#include "internal.h"
#include "store/media.h"

#define DAY_MS 86400000LL

static json_t *media_row_read(struct store *s, uint64_t seq)
{
	struct buf body = BUF_INIT_MAX(1 << 20);
	struct error err = { 0 };
	json_t *row = NULL;

	if (store_media_get(s, seq, &body, &err) == 0)
		row = json_loadb(body.data, body.len, 0, NULL);
	buf_release(&body);
	return row;
}

/* The retention days a rule names, or -1 when it is no retention rule. */
static int rule_days(const char *rule)
{
	char unit = 0, extra = 0;
	int days = -1;

	if (!rule || sscanf(rule, "surveillance-%d%c%c", &days, &unit,
			    &extra) != 2 || unit != 'd')
		return -1;
	return days;
}

/* The capture span the file itself states when trusted, as the media
 * projection reads it for holds; else STORE_NO_TIME. */
static void own_span(const json_t *cap, int64_t *start, int64_t *end)
{
	json_t *text = json_object_get(cap, "file_start");

	*start = *end = STORE_NO_TIME;
	if (!json_is_true(json_object_get(cap, "trusted")) ||
	    !json_is_string(text) ||
	    time_parse(json_string_value(text), start) != 0) {
		*start = STORE_NO_TIME;
		return;
	}
	*end = *start + json_integer_value(json_object_get(cap,
							   "duration_ms"));
}

/* The day the file's recording ended: its own trusted capture end, else
 * the ingest, as the retention counts it. */
static int32_t counted_day(const json_t *row)
{
	const json_t *cap = json_object_get(row, "captured");
	json_t *start = json_object_get(cap, "file_start");
	json_t *ingested = json_object_get(row, "ingested");
	int64_t ms;

	if (json_is_true(json_object_get(cap, "trusted")) &&
	    json_is_string(start) && time_parse(json_string_value(start),
						&ms) == 0)
		return day_of_ms(ms + json_integer_value(json_object_get(
						cap, "duration_ms")));
	return day_of_ms(json_integer_value(ingested));
}

static int raise_purge_finding(struct cases *c, struct store *s,
			       const struct rec *r, const char *detail,
			       struct error *err)
{
	json_t *extra = json_pack("{s:s, s:s, s:I}", "detail", detail,
				  "kind", r->kind, "target",
				  (json_int_t)r->supersedes);
	char key[32];
	int rc;

	snprintf(key, sizeof(key), "%" PRId64, r->supersedes);
	rc = cases_finding_raise(c, s, "purge-without-rule", r->seq, r->ts_ms,
				 r->actor, key, extra, err);
	json_decref(extra);
	return rc;
}

static int check_purge(struct cases *c, struct store *s, const struct rec *r,
		       struct error *err)
{
	const char *rule = json_string_value(json_object_get(r->fields,
							     "rule"));
	json_t *row = media_row_read(s, (uint64_t)r->supersedes);
	int days = rule_days(rule);
	const char *why = NULL;
	char detail[160];
	int held = 0;

	if (!row)
		return 0;
	/* Evidence and holds first: they forbid a purge under any rule. */
	if (json_is_string(json_object_get(row, "case")) ||
	    json_array_size(json_object_get(row, "links")))
		why = "the file is evidence of a case";
	if (!why) {
		int64_t start, end;

		own_span(json_object_get(row, "captured"), &start, &end);
		held = store_hold_covers(s, (uint64_t)r->supersedes,
					 json_string_value(json_object_get(
						 row, "window")),
					 start, end, err);
		if (held < 0) {
			json_decref(row);
			return held;
		}
		if (held)
			why = "the file is under a hold";
	}
	if (!why && days < MEDIA_SURVEILLANCE_DAYS_MIN)
		why = "the rule is no retention rule in force";
	else if (!why &&
		 r->ts_ms < day_start_ms(counted_day(row) + days + 1))
		why = "the retention period had not ended";
	json_decref(row);
	if (!why)
		return 0;
	snprintf(detail, sizeof(detail), "purge under rule '%s': %s",
		 rule ? rule : "", why);
	return raise_purge_finding(c, s, r, detail, err);
}

int purge_check(struct cases *c, struct store *s, const struct rec *r,
		const char *case_id, struct error *err)
{
	const char *approver;

	if (r->supersedes < 0 || !r->fields)
		return 0;
	if (!strcmp(r->kind, KIND_PURGE))
		return check_purge(c, s, r, err);
	if (strcmp(r->kind, KIND_EXPUNGE) || !case_id[0])
		return 0;
	approver = json_string_value(json_object_get(r->fields,
						     "approved_by"));
	if (approver && approver[0] && strcmp(approver, r->actor))
		return 0;
	return raise_purge_finding(c, s, r, "expunge of case evidence without "
				   "another person's approval", err);
}
