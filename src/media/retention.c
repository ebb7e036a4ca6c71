/*
 * Retention of window surveillance: the daily purge of segments past
 * their retention period, and the holds that keep footage from it.
 *
 * Window surveillance is kept at least MEDIA_SURVEILLANCE_DAYS_MIN (60)
 * days, m->surveillance_days when the configuration raises it. Days are
 * counted as the law counts them: the day of the recording is not
 * counted, so a segment whose capture ended on day D in the bureau's zone
 * (China Standard Time) is kept through day D + days and may be purged
 * from 00:00 of day D + days + 1. With 60 days, a segment that ended on
 * 1 March may be purged from 00:00 CST on 1 May. The day counted from is
 * that of the capture end the file itself states, when it can be trusted,
 * and otherwise that of the ingest, so a capture time stated by a user
 * never makes footage purgeable early. A camera clock that is wrong but
 * plausible is not detected here; such footage shows as a late upload.
 *
 * Only segments of type surveillance with a window are purged. A file
 * that is evidence of a case (it has a case or a link), a file covered by
 * a hold in force and a file purged already are never purged. The
 * projection hook checks the same inside the write transaction, so a
 * link or hold that commits after the scan below still wins.
 *
 * Holds are media-hold entries {id, basis, ref, window, from, to, media,
 * reason}, ended by media-release entries {hold, reason}.
 */
#include "common/common.h"

#include "common/log.h"
#include "internal.h"

#define DAY_MS 86400000LL
#define HOLD_REF_MAX 128
#define HOLD_REASON_MAX 2000
/* The maximum number of ids a hold draws while concurrent holds take them. */
#define HOLD_ID_ATTEMPTS 5

/* A segment that the scan found due. */
struct segment {
	uint64_t seq;
	char hash[HASH_TEXT_MAX];
	char window[LEDGER_NAME_MAX + 1];
	int64_t end_ms;        /* own trusted capture end, or STORE_NO_TIME */
	int from_capture;      /* counted from the file's own capture end */
	int64_t ingested_ms;
	int64_t purge_from_ms; /* the first moment it may be purged */
	int held;
};

struct scan {
	struct media *m;
	struct store *s;
	int64_t now_ms;
	int64_t until_ms;      /* segments due at or before this are listed */
	struct segment *items;
	size_t n, cap;
	uint64_t kept;         /* rows left alone: not due, case evidence, or
				  of no window */
	struct error *err;
};

/*
 * Returns the first moment a segment whose period starts at basis_ms may
 * be purged, which is 00:00 of day D + days + 1 in the zone
 * utc_offset_min, where D is the day of basis_ms there.
 */
static int64_t purge_from(int64_t basis_ms, int days, int utc_offset_min)
{
	int64_t offset = (int64_t)utc_offset_min * 60000;
	int64_t local = basis_ms + offset;
	int64_t day =
	    local >= 0 ? local / DAY_MS : (local - DAY_MS + 1) / DAY_MS;

	return (day + days + 1) * DAY_MS - offset;
}

static int retention_days(const struct media *m)
{
	return m->surveillance_days > MEDIA_SURVEILLANCE_DAYS_MIN
		       ? m->surveillance_days : MEDIA_SURVEILLANCE_DAYS_MIN;
}

static const char *row_str(const json_t *row, const char *name)
{
	return json_string_value(json_object_get(row, name));
}

static int64_t row_time(const json_t *o, const char *name)
{
	int64_t ms;

	if (cases_time_parse(row_str(o, name) ?: "", &ms) != 0)
		return STORE_NO_TIME;
	return ms;
}

/*
 * Returns the capture end the file itself states when it can be trusted,
 * else STORE_NO_TIME. A time stated by a user does not count here.
 */
static int64_t own_end(const json_t *cap)
{
	int64_t start;

	if (!json_is_true(json_object_get(cap, "trusted")))
		return STORE_NO_TIME;
	start = row_time(cap, "file_start");
	if (start == STORE_NO_TIME)
		return STORE_NO_TIME;
	return start + json_integer_value(json_object_get(cap, "duration_ms"));
}

/* Whether the row is a window camera's segment that no case needs. */
static int is_free_segment(const json_t *row)
{
	return !strcmp(row_str(row, "type") ?: "", "surveillance") &&
	       row_str(row, "window") && !row_str(row, "case") &&
	       json_array_size(json_object_get(row, "links")) == 0 &&
	       !json_object_get(row, "purged");
}

static int add_segment(struct scan *sc, const struct segment *seg)
{
	if (sc->n == sc->cap) {
		size_t cap = sc->cap ? 2 * sc->cap : 64;
		struct segment *p = realloc(sc->items, cap * sizeof(*p));

		if (!p)
			return error_set(sc->err, CT_ENOMEM, "out of memory");
		sc->items = p;
		sc->cap = cap;
	}
	sc->items[sc->n++] = *seg;
	return 0;
}

/* Classifies one unpurged surveillance row of the scan. */
static int scan_row(void *ctx, const char *body, size_t len)
{
	struct scan *sc = ctx;
	json_t *row = json_loadb(body, len, 0, NULL);
	const json_t *cap;
	struct segment seg = { 0 };
	int64_t start, json_seq;
	int rc = 0;

	if (!row)
		return error_set(sc->err, CT_ECORRUPT, "a media row is not "
				 "JSON; run 'casetrail rebuild'");
	json_seq = json_integer_value(json_object_get(row, "seq"));
	/* A window name that does not fit could not be checked for holds. */
	if (!is_free_segment(row) || json_seq < 0 ||
	    strlen(row_str(row, "window")) >= sizeof(seg.window)) {
		sc->kept++;
		goto out;
	}
	/*
	 * Only the file's own trusted span counts, for the period and for
	 * holds: a stated time moves neither. A segment without one is held
	 * by any hold on its window.
	 */
	cap = json_object_get(row, "captured");
	seg.seq = (uint64_t)json_seq;
	seg.end_ms = own_end(cap);
	start = seg.end_ms == STORE_NO_TIME
			? STORE_NO_TIME
			: seg.end_ms - json_integer_value(json_object_get(
					       cap, "duration_ms"));
	seg.ingested_ms = json_integer_value(json_object_get(row, "ingested"));
	seg.from_capture = seg.end_ms != STORE_NO_TIME;
	seg.purge_from_ms = purge_from(seg.from_capture ? seg.end_ms
							: seg.ingested_ms,
				       retention_days(sc->m),
				       sc->m->utc_offset_min);
	if (seg.purge_from_ms > sc->until_ms) {
		sc->kept++;
		goto out;
	}
	snprintf(seg.hash, sizeof(seg.hash), "%s", row_str(row, "hash") ?: "");
	snprintf(seg.window, sizeof(seg.window), "%s", row_str(row, "window"));
	seg.held = store_hold_covers(sc->s, seg.seq, seg.window, start,
				     seg.end_ms, sc->err);
	if (seg.held < 0)
		rc = seg.held;
	else
		rc = add_segment(sc, &seg);
out:
	json_decref(row);
	return rc;
}

/* Lists the unpurged window segments due by sc->until_ms, in one read
 * snapshot. */
static int scan_segments(struct scan *sc)
{
	struct store_media_filter f = {
		.type = "surveillance",
		.from_ms = STORE_NO_TIME,
		.to_ms = STORE_NO_TIME,
		.unpurged = 1,
	};
	int rc = ledger_read_begin(sc->m->ledger, &sc->s, sc->err);

	if (rc)
		return rc;
	rc = store_media_list(sc->s, &f, scan_row, sc, NULL, sc->err);
	ledger_read_end(sc->m->ledger, sc->s);
	sc->s = NULL;
	return rc;
}

static json_t *segment_json(const struct segment *seg)
{
	char end[40], from[40];
	json_t *o;

	media_time_format(seg->purge_from_ms, from);
	o = json_pack("{s:I, s:s, s:s, s:s, s:s}", "seq",
		      (json_int_t)seg->seq, "hash", seg->hash, "window",
		      seg->window, "purge_from", from, "counted_from",
		      seg->from_capture ? "capture-end" : "ingest");
	if (seg->end_ms != STORE_NO_TIME) {
		media_time_format(seg->end_ms, end);
		json_object_set_new(o, "captured_end", json_string(end));
	}
	return o;
}

static int check_opts(const struct retention_opts *o, struct error *err)
{
	if (o && o->now_ms < 0)
		return error_set(err, CT_EINVAL,
				 "the retention clock is before "
				 "1970");
	if (o && (o->days < 0 || o->days > 3660))
		return error_set(err, CT_EINVAL,
				 "%d days ahead is out of range; "
				 "give 0 to 3660",
				 o->days);
	return 0;
}

/* Builds the members that every retention result starts with. */
static json_t *result_head(const struct media *m, int64_t now_ms)
{
	char now[40], rule[32];

	media_time_format(now_ms, now);
	snprintf(rule, sizeof(rule), "surveillance-%dd", retention_days(m));
	return json_pack("{s:s, s:s, s:i}", "now", now, "rule", rule,
			 "retention_days", retention_days(m));
}

/* Purges one due segment and adds it to purged, or to failed. */
static void purge_one(struct media *m, const struct segment *seg,
		      const char *rule, const struct actor *by,
		      json_t *purged, json_t *failed)
{
	struct ledger_receipt receipt;
	struct error err = { 0 };
	char quoted[ERROR_MSG_MAX + 16], window[2 * LEDGER_NAME_MAX];
	json_t *item = segment_json(seg);

	log_quote(seg->window, window, sizeof(window));

	if (ledger_purge(m->ledger, seg->seq, seg->hash, rule, by->user,
			 by->os_user, &receipt, &err) != 0) {
		json_object_set_new(item, "error", json_string(err.msg));
		json_array_append_new(failed, item);
		log_warn("retention", "purge failed", "seq=%" PRIu64
			 " window=%s error=%s", seg->seq, window,
			 log_quote(err.msg, quoted, sizeof(quoted)));
		return;
	}
	json_object_set_new(item, "purge_seq",
			    json_integer((json_int_t)receipt.seq));
	json_array_append_new(purged, item);
	log_info("retention", "purged a surveillance segment", "seq=%" PRIu64
		 " purge_seq=%" PRIu64 " window=%s blob=%s", seg->seq,
		 receipt.seq, window, seg->hash);
}

int media_retention_run(struct media *m, const struct retention_opts *o,
			const struct actor *by, json_t **out,
			struct error *err)
{
	struct scan sc = { .m = m, .err = err };
	json_t *res, *purged, *held, *failed;
	int dry_run = o && o->dry_run;
	int rc = check_opts(o, err);

	*out = NULL;
	if (rc)
		return rc;
	sc.now_ms = o && o->now_ms ? o->now_ms : ledger_now_ms();
	/* A clock set ahead would purge footage before its time. */
	if (!dry_run && sc.now_ms > ledger_now_ms())
		return error_set(err, CT_EINVAL,
				 "the retention clock lies in the "
				 "future; a run that purges counts from now or "
				 "earlier (use a dry run to look ahead)");
	/* A segment is due once its first purgeable moment has come. */
	sc.until_ms = sc.now_ms;
	rc = scan_segments(&sc);
	if (rc) {
		free(sc.items);
		return rc;
	}
	res = result_head(m, sc.now_ms);
	purged = json_array();
	held = json_array();
	failed = json_array();
	for (size_t i = 0; i < sc.n; i++) {
		const struct segment *seg = &sc.items[i];

		if (seg->held)
			json_array_append_new(held, segment_json(seg));
		else if (dry_run)
			json_array_append_new(purged, segment_json(seg));
		else
			purge_one(
			    m, seg,
			    json_string_value(json_object_get(res, "rule")), by,
			    purged, failed);
	}
	log_info("retention", dry_run ? "retention dry run finished"
				      : "retention run finished",
		 "purged=%zu held=%zu failed=%zu kept=%" PRIu64,
		 json_array_size(purged), json_array_size(held),
		 json_array_size(failed), sc.kept);
	json_object_set_new(res, "dry_run", json_boolean(dry_run));
	json_object_set_new(res, "purged", purged);
	json_object_set_new(res, "held", held);
	json_object_set_new(res, "failed", failed);
	json_object_set_new(res, "kept", json_integer((json_int_t)sc.kept));
	free(sc.items);
	*out = res;
	return 0;
}

int media_retention_upcoming(struct media *m, const struct retention_opts *o,
			     json_t **out, struct error *err)
{
	struct scan sc = { .m = m, .err = err };
	json_t *res, *items;
	size_t nheld = 0;
	char until[40];
	int rc = check_opts(o, err);

	*out = NULL;
	if (rc)
		return rc;
	sc.now_ms = o && o->now_ms ? o->now_ms : ledger_now_ms();
	sc.until_ms = sc.now_ms + (int64_t)(o ? o->days : 0) * DAY_MS;
	rc = scan_segments(&sc);
	if (rc) {
		free(sc.items);
		return rc;
	}
	res = result_head(m, sc.now_ms);
	items = json_array();
	for (size_t i = 0; i < sc.n; i++) {
		if (sc.items[i].held)
			nheld++;
		else
			json_array_append_new(items,
					      segment_json(&sc.items[i]));
	}
	media_time_format(sc.until_ms, until);
	json_object_set_new(res, "until", json_string(until));
	json_object_set_new(res, "items", items);
	json_object_set_new(res, "held", json_integer((json_int_t)nheld));
	free(sc.items);
	*out = res;
	return 0;
}

/* --- holds ------------------------------------------------------------- */

/* Checks a text option: present, at most max bytes, UTF-8 and without
 * control characters (line feeds and tabs only where multiline). */
static int check_text(const char *what, const char *text, size_t max,
		      int multiline, struct error *err)
{
	if (!text || !*text)
		return error_set(err, CT_EINVAL, "%s is missing", what);
	if (strlen(text) > max)
		return error_set(err, CT_EINVAL, "%s is longer than %zu bytes",
				 what, max);
	return media_check_text(what, text, multiline, err);
}

/* Checks the hold request apart from the store. */
static int check_hold_req(const struct media_hold_req *q, struct error *err)
{
	static const char *const bases[] = { "case", "complaint",
					     "copy-request" };
	int known = 0;

	for (size_t i = 0; i < ARRAY_SIZE(bases); i++)
		known |= q->basis && !strcmp(q->basis, bases[i]);
	if (!known)
		return error_set(err, CT_EINVAL, "hold basis '%s' is invalid; "
				 "use case, complaint or copy-request",
				 q->basis ?: "");
	if (check_text("the reference (--ref)", q->ref, HOLD_REF_MAX, 0,
		       err) ||
	    check_text("the reason (--reason)", q->reason, HOLD_REASON_MAX, 1,
		       err))
		return CT_EINVAL;
	if (q->window && q->media_seq >= 0)
		return error_set(err, CT_EINVAL, "a hold names either a window "
				 "and a time span or one file, not both");
	if (!q->window && q->media_seq < 0)
		return error_set(
		    err, CT_EINVAL,
		    "a hold names a window with a "
		    "time span (--window, --from, --to) or one file "
		    "(--media SEQ)");
	if (q->window &&
	    check_text("the window camera (--window)", q->window,
		       LEDGER_NAME_MAX, 0, err))
		return CT_EINVAL;
	if (q->window && q->from_ms >= q->to_ms)
		return error_set(err, CT_EINVAL, "the held span is empty: its "
				 "start (--from) is not before its end (--to)");
	return 0;
}

/* Checks what the hold names against the store: its case and its file. */
static int check_hold_refs(struct media *m, const struct media_hold_req *q,
			   struct error *err)
{
	uint64_t last;
	json_t *row = NULL;
	int rc = 0;

	if (!strcmp(q->basis, "case"))
		rc = cases_last_seq(m->cases, q->ref, &last, err);
	if (rc == CT_ENOTFOUND)
		return error_set(err, rc, "case '%s' not found; a hold on the "
				 "basis of a case names an existing case "
				 "('casetrail case list')", q->ref);
	if (rc)
		return rc;
	if (q->media_seq < 0)
		return 0;
	rc = media_row_read(m, (uint64_t)q->media_seq, &row, err);
	if (rc == 0 && json_object_get(row, "purged"))
		rc = error_set(err, CT_ESTATE, "the file of entry %" PRId64
			       " was purged already; nothing is left to hold",
			       q->media_seq);
	json_decref(row);
	return rc;
}

static json_t *hold_fields(const struct media_hold_req *q, const char *id)
{
	json_t *f = json_pack("{s:s, s:s, s:s, s:s}", "id", id, "basis",
			      q->basis, "ref", q->ref, "reason", q->reason);
	char from[40], to[40];

	if (!f)
		return NULL;
	if (q->window) {
		media_time_format(q->from_ms, from);
		media_time_format(q->to_ms, to);
		json_object_set_new(f, "window", json_string(q->window));
		json_object_set_new(f, "from", json_string(from));
		json_object_set_new(f, "to", json_string(to));
	} else {
		json_object_set_new(f, "media", json_integer(q->media_seq));
	}
	return f;
}

int media_hold(struct media *m, const struct media_hold_req *req,
	       const struct actor *by, json_t **out, struct error *err)
{
	json_t *fields = NULL;
	uint64_t size, seq = 0;
	int64_t ts = 0;
	char id[32];
	int rc;

	*out = NULL;
	rc = check_hold_req(req, err);
	if (rc == 0)
		rc = check_hold_refs(m, req, err);
	/*
	 * The id is H-<the entry count>, which is the hold's own seq unless
	 * another append comes first. The hook rejects an id in use, so two
	 * holds placed at once never share one. The loser draws again from
	 * the count, which has grown by then.
	 */
	for (int attempt = 1; rc == 0; attempt++) {
		rc = ledger_size(m->ledger, &size, err);
		if (rc)
			break;
		snprintf(id, sizeof(id), "H-%" PRIu64, size);
		json_decref(fields);
		fields = hold_fields(req, id);
		if (!fields) {
			rc = error_set(err, CT_EINVAL,
				       "the reference or reason "
				       "is not valid UTF-8");
			break;
		}
		rc = media_append(m, MEDIA_KIND_HOLD, NULL, fields, NULL, 0, by,
				  &seq, &ts, err);
		if (rc != CT_EEXIST)
			break;
		error_clear(err);
		rc = attempt < HOLD_ID_ATTEMPTS
			     ? 0 : error_set(err, CT_EBUSY, "no free hold id "
					     "after %d attempts; try again",
					     HOLD_ID_ATTEMPTS);
	}
	if (rc == 0) {
		json_object_set_new(fields, "seq",
				    json_integer((json_int_t)seq));
		json_object_set_new(fields, "ts", json_integer(ts));
		log_info("retention", "hold placed", "id=%s seq=%" PRIu64, id,
			 seq);
		*out = fields;
		return 0;
	}
	json_decref(fields);
	return rc;
}

/* Reads the body of hold id in a read snapshot. */
static int read_hold(struct media *m, const char *id, json_t **out,
		     struct error *err)
{
	struct buf body = BUF_INIT_MAX(1 << 20);
	struct store *s;
	int rc = ledger_read_begin(m->ledger, &s, err);

	*out = NULL;
	if (rc)
		return rc;
	rc = store_hold_get(s, id, &body, err);
	ledger_read_end(m->ledger, s);
	if (rc == 0 && !(*out = json_loadb(body.data, body.len, 0, NULL)))
		rc = error_set(err, CT_ECORRUPT, "hold '%s' is not JSON; run "
			       "'casetrail rebuild'", id);
	buf_release(&body);
	return rc;
}

int media_release(struct media *m, const char *hold_id, const char *reason,
		  const struct actor *by, json_t **out, struct error *err)
{
	json_t *hold = NULL, *fields = NULL;
	char quoted[2 * LEDGER_NAME_MAX];
	uint64_t seq = 0;
	int64_t ts = 0;
	int rc;

	*out = NULL;
	if (!hold_id || !*hold_id)
		return error_set(err, CT_EINVAL, "name the hold to release");
	rc = check_text("the reason (--reason)", reason, HOLD_REASON_MAX, 1,
			err);
	if (rc == 0)
		rc = read_hold(m, hold_id, &hold, err);
	if (rc == 0 && json_object_get(hold, "released"))
		rc = error_set(err, CT_ESTATE, "hold '%s' was released already "
			       "by entry %" JSON_INTEGER_FORMAT, hold_id,
			       json_integer_value(json_object_get(
				       json_object_get(hold, "released"),
				       "seq")));
	json_decref(hold);
	if (rc)
		return rc;
	fields = json_pack("{s:s, s:s}", "hold", hold_id, "reason", reason);
	if (!fields)
		return error_set(err, CT_EINVAL, "the reason is not valid "
				 "UTF-8");
	rc = media_append(m, MEDIA_KIND_RELEASE, NULL, fields, NULL, 0, by,
			  &seq, &ts, err);
	if (rc == 0) {
		json_object_set_new(fields, "seq",
				    json_integer((json_int_t)seq));
		json_object_set_new(fields, "ts", json_integer(ts));
		log_info("retention", "hold released", "id=%s seq=%" PRIu64,
			 log_quote(hold_id, quoted, sizeof(quoted)), seq);
		*out = fields;
		return 0;
	}
	json_decref(fields);
	return rc;
}

static int collect_hold(void *ctx, const char *body, size_t len)
{
	json_t *hold = json_loadb(body, len, 0, NULL);

	if (!hold)
		return CT_ECORRUPT;
	json_array_append_new(ctx, hold);
	return 0;
}

int media_holds(struct media *m, int active, json_t **out,
		struct error *err)
{
	json_t *items = json_array();
	struct store *s;
	int rc = ledger_read_begin(m->ledger, &s, err);

	*out = NULL;
	if (rc == 0) {
		rc = store_hold_list(s, active, collect_hold, items, err);
		ledger_read_end(m->ledger, s);
	}
	if (rc == CT_ECORRUPT && !err->msg[0])
		error_set(err, rc, "a stored hold is not JSON; run 'casetrail "
			  "rebuild'");
	if (rc) {
		json_decref(items);
		return rc;
	}
	*out = json_pack("{s:o}", "items", items);
	return 0;
}
