/*
 * Projecting the audio-visual entries: the row of each ingested file, its
 * chain of custody, holds, and the findings about files that belong to
 * no case (a late upload, a gap in a window camera's footage). Findings
 * about a case's files come from the case's evaluation (evaluate.c).
 *
 * The hook checks each entry against what is committed before it, so two
 * racing acts (a link and a purge of the same file) cannot both pass.
 */
#include "common/common.h"

#include "common/log.h"
#include "internal.h"
#include "store/media.h"

/* Segments of a window camera further apart than this leave a gap. */
#define GAP_TOLERANCE_MS 5000

int is_media_kind(const char *kind)
{
	return !strncmp(kind, "media-", 6) || !strcmp(kind, KIND_PURGE);
}

static int64_t int_field(const json_t *o, const char *name, int64_t def)
{
	json_t *v = json_object_get(o, name);

	return json_is_integer(v) ? json_integer_value(v) : def;
}

static const char *str_field(const json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

static int64_t time_field(const json_t *o, const char *name)
{
	int64_t ms;

	if (time_parse(str_field(o, name) ?: "", &ms) != 0)
		return STORE_NO_TIME;
	return ms;
}

/* Reads the row of ingest seq as JSON. */
static int media_row(struct store *s, uint64_t seq, json_t **out,
		     struct error *err)
{
	struct buf body = BUF_INIT_MAX(1 << 20);
	int rc = store_media_get(s, seq, &body, err);

	*out = NULL;
	if (rc == 0 && !(*out = json_loadb(body.data, body.len, 0, NULL)))
		rc = error_set(err, CT_ECORRUPT, "the media row of entry %"
			       PRIu64 " is not JSON", seq);
	buf_release(&body);
	return rc;
}

static int media_row_put(struct store *s, json_t *row, struct error *err)
{
	json_t *cap = json_object_get(row, "captured");
	json_t *purged = json_object_get(row, "purged");
	char *body = json_dumps(row, JSON_COMPACT | JSON_SORT_KEYS);
	struct store_media m = {
		.seq = (uint64_t)int_field(row, "seq", 0),
		.hash = str_field(row, "hash"),
		.type = str_field(row, "type"),
		.case_id = str_field(row, "case"),
		.window = str_field(row, "window"),
		.start_ms = time_field(cap, "start"),
		.end_ms = time_field(cap, "end"),
		.ingested_ms = int_field(row, "ingested", 0),
		.purged_seq = purged ? int_field(purged, "seq", -1) : -1,
		.body = body,
	};
	int rc;

	if (!body)
		return error_set(err, CT_ENOMEM, "out of memory");
	rc = store_media_put(s, &m, err);
	free(body);
	return rc;
}

/* A finding of no case, written straight to the table. */
static int add_free_finding(struct cases *c, struct store *s,
			    const char *code, uint64_t record, int64_t detected,
			    const char *user, const char *key, json_t *extra,
			    struct error *err)
{
	json_t *f = json_pack("{s:s, s:s, s:n, s:I, s:I, s:s, s:s}", "code",
			      code, "severity", finding_severity(code), "case",
			      "record", (json_int_t)record, "detected",
			      (json_int_t)detected, "rule", finding_rule(code),
			      "key", key ?: "");
	struct store_finding row = { 0 };
	json_t *u;
	char *body;
	int rc;

	(void)c;
	if (extra)
		json_object_update(f, extra);
	if (user && user[0]) {
		json_object_set_new(f, "responsible", json_string(user));
		u = user_read(s, user);
		if (str_field(u, "superior"))
			json_object_set_new(f, "superior", json_string(
				str_field(u, "superior")));
		json_decref(u);
	}
	body = json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(f);
	if (!body)
		return error_set(err, CT_ENOMEM, "out of memory");
	row.code = code;
	row.record_seq = (int64_t)record;
	row.detected_ms = detected;
	row.cured_ms = -1;
	row.body = body;
	rc = store_finding_add(s, &row, err);
	free(body);
	return rc;
}

int cases_finding_raise(struct cases *c, struct store *s, const char *code,
			uint64_t record, int64_t detected_ms, const char *user,
			const char *key, json_t *extra, struct error *err)
{
	return add_free_finding(c, s, code, record, detected_ms, user, key,
				extra, err);
}

static int gap_finding(struct cases *c, struct store *s, const json_t *before,
		       const json_t *after, int64_t ts_ms, struct error *err)
{
	int64_t end = time_field(json_object_get(before, "captured"), "end");
	int64_t start = time_field(json_object_get(after, "captured"), "start");
	char from[32], to[32], detail[160];
	json_t *extra;
	int rc;

	if (end == STORE_NO_TIME || start == STORE_NO_TIME ||
	    start - end <= GAP_TOLERANCE_MS)
		return 0;
	time_format(end, from);
	time_format(start, to);
	snprintf(detail, sizeof(detail), "窗口 %s 录像中断：%s 至 %s",
		 str_field(after, "window") ?: "", from, to);
	extra = json_pack("{s:s, s:s, s:s, s:s, s:I}", "detail", detail,
			  "window", str_field(after, "window") ?: "", "from",
			  from, "to", to, "gap_ms", (json_int_t)(start - end));
	rc = add_free_finding(c, s, "surveillance-gap",
			      (uint64_t)int_field(after, "seq", 0), ts_ms,
			      str_field(after, "officer"),
			      str_field(after, "window"), extra, err);
	json_decref(extra);
	return rc;
}

/*
 * A new segment of a window camera: a gap before it or after it is a
 * finding. A segment that arrives late into a gap already reported cures
 * that finding, and what remains of the gap on either side is reported
 * anew.
 */
static int check_gaps(struct cases *c, struct store *s, const json_t *row,
		      int64_t ts_ms, struct error *err)
{
	struct buf prev = BUF_INIT_MAX(1 << 20), next = BUF_INIT_MAX(1 << 20);
	json_t *p = NULL, *n = NULL;
	int64_t start = time_field(json_object_get(row, "captured"), "start");
	int64_t id;
	int rc;

	if (start == STORE_NO_TIME || !str_field(row, "window"))
		return 0;
	rc = store_media_neighbours(s, str_field(row, "window"),
				    (uint64_t)int_field(row, "seq", 0), start,
				    &prev, &next, err);
	if (rc == 0 && prev.len)
		p = json_loadb(prev.data, prev.len, 0, NULL);
	if (rc == 0 && next.len)
		n = json_loadb(next.data, next.len, 0, NULL);
	if (rc == 0 && p)
		rc = gap_finding(c, s, p, row, ts_ms, err);
	if (rc == 0 && n) {
		rc = store_media_finding_open(s, "surveillance-gap",
					      (uint64_t)int_field(n, "seq", 0),
					      &id, err);
		if (rc == 0)
			rc = store_finding_cure(s, id, ts_ms, err);
		else if (rc == CT_ENOTFOUND && !p)
			rc = 0;
		else if (rc == CT_ENOTFOUND)
			goto done;
		if (rc == 0)
			rc = gap_finding(c, s, row, n, ts_ms, err);
	}
done:
	json_decref(p);
	json_decref(n);
	buf_release(&prev);
	buf_release(&next);
	return rc;
}

/* Checks that record seq belongs to case_id (or fills case_id). */
static int check_record(struct store *s, int64_t seq, char *case_id,
			size_t n, struct error *err)
{
	char rec_case[CASE_ID_MAX + 1] = "", kind[64] = "";
	int64_t by = -1;
	int rc;

	if (seq < 0)
		return 0;
	rc = store_record_get(s, (uint64_t)seq, rec_case, sizeof(rec_case),
			      kind, sizeof(kind), &by, err);
	if (rc == CT_ENOTFOUND)
		return error_set(err, CT_ENOTFOUND, "record %" PRId64 " not "
				 "found; give the seq of a record of the case",
				 seq);
	if (rc)
		return rc;
	if (is_media_kind(kind) || !strcmp(kind, KIND_CORRECTION) ||
	    !strcmp(kind, KIND_EXPUNGE) || !strcmp(kind, KIND_FINDING))
		return error_set(err, CT_EINVAL, "record %" PRId64 " is a %s "
				 "entry; link the file to the record it "
				 "documents", seq, kind);
	if (!rec_case[0])
		return error_set(err, CT_ENOTFOUND, "record %" PRId64 " belongs "
				 "to no case; link the file to a record of a "
				 "case", seq);
	if (case_id[0] && strcmp(case_id, rec_case))
		return error_set(err, CT_EINVAL, "record %" PRId64 " belongs "
				 "to case %s, not to case %s", seq, rec_case,
				 case_id);
	snprintf(case_id, n, "%s", rec_case);
	return 0;
}

static int project_ingest(struct cases *c, struct store *s,
			  const struct rec *r, const char *case_id,
			  struct error *err)
{
	json_t *row = json_deep_copy(r->fields);
	json_t *file = json_array_get(r->attachments, 0);
	json_t *thumb = json_array_get(r->attachments, 1);
	char case_buf[CASE_ID_MAX + 1];
	int64_t record = int_field(r->fields, "record", -1);
	int64_t delay = int_field(r->fields, "delay_ms", -1);
	int rc = 0;

	if (!row || !file) {
		json_decref(row);
		return error_set(err, CT_EINVAL, "a media-ingest entry carries "
				 "its file as its first attachment");
	}
	snprintf(case_buf, sizeof(case_buf), "%s", case_id);
	if (!c->replaying && record >= 0)
		rc = check_record(s, record, case_buf, sizeof(case_buf), err);
	if (!c->replaying && rc == 0 && case_id[0] &&
	    store_case_get(s, case_id, NULL, NULL, NULL) != 0)
		rc = error_set(err, CT_ENOTFOUND, "case '%s' not found; list "
			       "cases with 'casetrail case list'", case_id);
	if (rc) {
		json_decref(row);
		return rc;
	}
	json_object_set_new(row, "seq", json_integer((json_int_t)r->seq));
	json_object_set_new(row, "ingested", json_integer(r->ts_ms));
	json_object_set_new(row, "actor", json_string(r->actor));
	json_object_set(row, "hash", json_object_get(file, "hash"));
	json_object_set(row, "size", json_object_get(file, "size"));
	json_object_set(row, "media_type", json_object_get(file, "type"));
	if (thumb)
		json_object_set(row, "thumbnail", thumb);
	if (case_id[0])
		json_object_set_new(row, "case", json_string(case_id));
	json_object_set_new(row, "links", json_array());
	if (record >= 0)
		json_array_append_new(json_object_get(row, "links"), json_pack(
			"{s:I, s:I}", "record", (json_int_t)record, "seq",
			(json_int_t)r->seq));
	rc = media_row_put(s, row, err);
	if (rc == 0)
		rc = store_custody_add(s, str_field(file, "hash"), r->seq, err);
	if (rc == 0 && thumb)
		rc = store_custody_add(s, str_field(thumb, "hash"), r->seq,
				       err);
	/* A late file of no case: a case's own come from its evaluation. */
	if (rc == 0 && !case_id[0] && delay > MEDIA_UPLOAD_LIMIT_MS) {
		char detail[200];
		json_t *extra;

		snprintf(detail, sizeof(detail), "设备 %s，录制结束后 %.1f "
			 "小时上传", str_field(row, "device") ?: "?",
			 (double)delay / 3600000.0);
		extra = json_pack("{s:s, s:I, s:s}", "detail", detail,
				  "delay_ms", (json_int_t)delay, "device",
				  str_field(row, "device") ?: "");
		rc = add_free_finding(c, s, "late-av-upload", r->seq, r->ts_ms,
				      str_field(row, "officer"), "", extra,
				      err);
		json_decref(extra);
	}
	if (rc == 0 && !strcmp(str_field(row, "type") ?: "", "surveillance"))
		rc = check_gaps(c, s, row, r->ts_ms, err);
	json_decref(row);
	return rc;
}

/* The row of the file an entry names in its "media" field, unpurged. */
static int named_media(struct store *s, const struct rec *r, int live,
		       json_t **row, struct error *err)
{
	int64_t seq = int_field(r->fields, "media", -1);
	int rc;

	if (seq < 0)
		return error_set(err, CT_EINVAL, "a %s entry names its file "
				 "in 'media' (the seq of its ingest)", r->kind);
	rc = media_row(s, (uint64_t)seq, row, err);
	if (rc == 0 && live && json_object_get(*row, "purged")) {
		rc = error_set(err, CT_ESTATE, "the file of entry %" PRId64
			       " was purged by entry %" PRId64, seq,
			       int_field(json_object_get(*row, "purged"),
					 "seq", -1));
		json_decref(*row);
		*row = NULL;
	}
	return rc;
}

static int project_link(struct cases *c, struct store *s, const struct rec *r,
			const char *case_id, struct error *err)
{
	json_t *row = NULL;
	int64_t record = int_field(r->fields, "record", -1);
	char want[CASE_ID_MAX + 1];
	int rc = named_media(s, r, !c->replaying, &row, err);

	if (rc)
		return rc;
	snprintf(want, sizeof(want), "%s", str_field(row, "case") ?: "");
	if (!c->replaying) {
		if (want[0] && strcmp(want, case_id))
			rc = error_set(err, CT_EINVAL, "the file of entry %"
				       PRId64 " is evidence of case %s; it "
				       "cannot be linked to a record of case "
				       "%s", int_field(row, "seq", -1), want,
				       case_id);
		if (rc == 0)
			rc = check_record(s, record, want, sizeof(want), err);
	}
	if (rc == 0 && !c->replaying) {
		json_t *l;
		size_t i;

		json_array_foreach(json_object_get(row, "links"), i, l)
			if (int_field(l, "record", -1) == record)
				rc = error_set(err, CT_EEXIST, "the file of entry "
					       "%" PRId64 " is linked to record %"
					       PRId64 " already (entry %" PRId64
					       ")", int_field(row, "seq", -1),
					       record, int_field(l, "seq", -1));
	}
	if (rc == 0 && !str_field(row, "case")) {
		/* The case's evaluation takes over the late-upload finding. */
		json_object_set_new(row, "case", json_string(case_id));
		rc = store_media_finding_drop(s, "late-av-upload",
					      (uint64_t)int_field(row, "seq",
								  0), err);
	}
	if (rc == 0) {
		json_array_append_new(json_object_get(row, "links"), json_pack(
			"{s:I, s:I}", "record", (json_int_t)record, "seq",
			(json_int_t)r->seq));
		rc = media_row_put(s, row, err);
	}
	if (rc == 0)
		rc = store_custody_add(s, str_field(row, "hash"), r->seq, err);
	json_decref(row);
	return rc;
}

/*
 * A stated capture time can show that a file came more than 24 hours
 * after its recording. The row keeps the longest delay known, so that a
 * statement can add lateness but never remove it, and a file of no case
 * gets its finding now (a case's file gets it from the case's evaluation).
 */
static int stated_delay(struct cases *c, struct store *s, const struct rec *r,
			json_t *row, struct error *err)
{
	int64_t delay = int_field(r->fields, "delay_ms", -1);
	int64_t old = int_field(row, "delay_ms", -1);
	json_t *flags = json_object_get(row, "flags");
	int64_t id;
	char detail[200];
	json_t *extra;
	int rc;

	if (delay <= old)
		return 0;
	json_object_set_new(row, "delay_ms", json_integer(delay));
	if (delay <= MEDIA_UPLOAD_LIMIT_MS)
		return 0;
	if (json_is_array(flags) && old <= MEDIA_UPLOAD_LIMIT_MS)
		json_array_append_new(flags, json_string("late-upload"));
	if (str_field(row, "case"))
		return 0;
	rc = store_media_finding_open(s, "late-av-upload",
				      (uint64_t)int_field(row, "seq", 0), &id,
				      err);
	if (rc != CT_ENOTFOUND)
		return rc;
	snprintf(detail, sizeof(detail), "设备 %s，录制结束后 %.1f 小时上传",
		 str_field(row, "device") ?: "?", (double)delay / 3600000.0);
	extra = json_pack("{s:s, s:I, s:s}", "detail", detail, "delay_ms",
			  (json_int_t)delay, "device",
			  str_field(row, "device") ?: "");
	rc = add_free_finding(c, s, "late-av-upload",
			      (uint64_t)int_field(row, "seq", 0), r->ts_ms,
			      str_field(row, "officer"), "", extra, err);
	json_decref(extra);
	return rc;
}

/* media-capture, media-justify and media-access change the file's row. */
static int project_note(struct cases *c, struct store *s, const struct rec *r,
			struct error *err)
{
	json_t *row = NULL, *note;
	int live = strcmp(r->kind, MEDIA_KIND_JUSTIFY) != 0;
	int rc = named_media(s, r, live && !c->replaying, &row, err);

	if (rc)
		return rc;
	if (!c->replaying && !strcmp(r->kind, MEDIA_KIND_JUSTIFY) &&
	    json_object_get(row, "justified")) {
		rc = error_set(err, CT_EEXIST, "the late upload of entry %"
			       PRId64 " was justified already by entry %"
			       PRId64, int_field(row, "seq", -1),
			       int_field(json_object_get(row, "justified"),
					 "seq", -1));
		json_decref(row);
		return rc;
	}
	note = json_deep_copy(r->fields);
	json_object_del(note, "media");
	json_object_set_new(note, "seq", json_integer((json_int_t)r->seq));
	json_object_set_new(note, "by", json_string(r->actor));
	json_object_set_new(note, "ts", json_integer(r->ts_ms));
	if (!strcmp(r->kind, MEDIA_KIND_CAPTURE)) {
		json_t *cap = json_object_get(row, "captured");

		if (!json_is_object(cap)) {
			cap = json_object();
			json_object_set_new(row, "captured", cap);
		}
		/* The stated time is the one that counts, and the row keeps the
		 * file's own time beside it. */
		json_object_set(cap, "stated", note);
		json_object_set_new(cap, "source", json_string("stated"));
		rc = stated_delay(c, s, r, row, err);
		json_object_set(cap, "start", json_object_get(r->fields,
							      "start"));
		if (json_object_get(r->fields, "end"))
			json_object_set(cap, "end", json_object_get(r->fields,
								    "end"));
	} else if (!strcmp(r->kind, MEDIA_KIND_JUSTIFY)) {
		json_object_set(row, "justified", note);
	} else {
		json_int_t n = int_field(row, "accesses", 0);

		json_object_set_new(row, "accesses", json_integer(n + 1));
	}
	json_decref(note);
	if (rc == 0)
		rc = media_row_put(s, row, err);
	if (rc == 0)
		rc = store_custody_add(s, str_field(row, "hash"), r->seq, err);
	json_decref(row);
	return rc;
}

static int project_hold(struct cases *c, struct store *s, const struct rec *r,
			struct error *err)
{
	json_t *row = json_deep_copy(r->fields);
	int64_t media = int_field(r->fields, "media", -1);
	const char *basis = str_field(r->fields, "basis") ?: "";
	struct buf old = BUF_INIT_MAX(1 << 20);
	char *body;
	int rc = 0;

	if (!c->replaying && media >= 0) {
		json_t *m = NULL;

		rc = media_row(s, (uint64_t)media, &m, err);
		json_decref(m);
	}
	json_object_set_new(row, "seq", json_integer((json_int_t)r->seq));
	json_object_set_new(row, "ts", json_integer(r->ts_ms));
	json_object_set_new(row, "by", json_string(r->actor));
	body = json_dumps(row, JSON_COMPACT | JSON_SORT_KEYS);
	if (rc == 0 && !body)
		rc = error_set(err, CT_ENOMEM, "out of memory");
	if (rc == 0) {
		struct store_hold h = {
			.id = str_field(r->fields, "id"),
			.seq = r->seq,
			.window = str_field(r->fields, "window"),
			.from_ms = time_field(r->fields, "from"),
			.to_ms = time_field(r->fields, "to"),
			.media_seq = media,
			.case_id = !strcmp(basis, "case")
					   ? str_field(r->fields, "ref") : NULL,
			.released_seq = -1,
			.body = body,
		};

		if (!h.id)
			rc = error_set(err, CT_EINVAL, "a hold needs an 'id'");
		else if (!c->replaying &&
			 store_hold_get(s, h.id, &old, NULL) == 0)
			rc = error_set(err, CT_EEXIST, "hold '%s' exists "
				       "already", h.id);
		else
			rc = store_hold_put(s, &h, err);
	}
	free(body);
	buf_release(&old);
	json_decref(row);
	return rc;
}

static int project_release(struct cases *c, struct store *s,
			   const struct rec *r, struct error *err)
{
	struct buf body = BUF_INIT_MAX(1 << 20);
	const char *id = str_field(r->fields, "hold") ?: "";
	json_t *row = NULL, *rel;
	char *text = NULL;
	int rc = store_hold_get(s, id, &body, err);

	if (rc == 0 && !(row = json_loadb(body.data, body.len, 0, NULL)))
		rc = error_set(err, CT_ECORRUPT, "hold '%s' is not JSON", id);
	if (rc == 0 && !c->replaying && json_object_get(row, "released"))
		rc = error_set(err, CT_ESTATE, "hold '%s' was released "
			       "already", id);
	if (rc == 0) {
		rel = json_pack("{s:I, s:I, s:s, s:s}", "seq",
				(json_int_t)r->seq, "ts", (json_int_t)r->ts_ms,
				"by", r->actor, "reason",
				str_field(r->fields, "reason") ?: "");
		json_object_set_new(row, "released", rel);
		text = json_dumps(row, JSON_COMPACT | JSON_SORT_KEYS);
		if (!text)
			rc = error_set(err, CT_ENOMEM, "out of memory");
	}
	if (rc == 0) {
		const char *basis = str_field(row, "basis") ?: "";
		struct store_hold h = {
			.id = id,
			.seq = (uint64_t)int_field(row, "seq", 0),
			.window = str_field(row, "window"),
			.from_ms = time_field(row, "from"),
			.to_ms = time_field(row, "to"),
			.media_seq = int_field(row, "media", -1),
			.case_id = !strcmp(basis, "case")
					   ? str_field(row, "ref") : NULL,
			.released_seq = (int64_t)r->seq,
			.body = text,
		};

		rc = store_hold_put(s, &h, err);
	}
	free(text);
	json_decref(row);
	buf_release(&body);
	return rc;
}

/*
 * Rejects a purge of a file that became case evidence, was held or was
 * purged after the retention run read its row. It runs inside the write
 * transaction, so a link or hold that commits first wins.
 */
/*
 * Reads the capture span the file itself states, when it can be trusted;
 * else both ends are STORE_NO_TIME. A time stated by a user moves neither
 * a hold's coverage nor the retention period.
 */
static void own_span(const json_t *cap, int64_t *start, int64_t *end)
{
	*start = *end = STORE_NO_TIME;
	if (!json_is_true(json_object_get(cap, "trusted")))
		return;
	*start = time_field(cap, "file_start");
	if (*start != STORE_NO_TIME)
		*end = *start + int_field(cap, "duration_ms", 0);
}

static int check_purgeable(struct store *s, const json_t *row,
			   struct error *err)
{
	int64_t start, end;
	uint64_t seq = (uint64_t)int_field(row, "seq", 0);
	const json_t *cap = json_object_get(row, "captured");
	int held;

	if (json_object_get(row, "purged"))
		return error_set(err, CT_ESTATE, "the file of entry %" PRIu64
				 " was purged already by entry %" PRId64, seq,
				 int_field(json_object_get(row, "purged"),
					   "seq", -1));
	if (str_field(row, "case") ||
	    json_array_size(json_object_get(row, "links")))
		return error_set(err, CT_ESTATE,
				 "the file of entry %" PRIu64
				 " is evidence of case %s; case evidence is "
				 "never purged",
				 seq, str_field(row, "case") ?: "(linked)");
	own_span(cap, &start, &end);
	held = store_hold_covers(s, seq, str_field(row, "window"), start, end,
				 err);
	if (held < 0)
		return held;
	if (held)
		return error_set(err, CT_ESTATE, "the file of entry %" PRIu64
				 " is under a hold; release the hold first "
				 "('casetrail retention holds' lists them)",
				 seq);
	return 0;
}

/* A purge entry supersedes the ingest whose file it deleted. */
static int project_purge(struct cases *c, struct store *s,
			 const struct rec *r, struct error *err)
{
	json_t *row = NULL;
	int rc;

	if (r->supersedes < 0)
		return 0;
	rc = media_row(s, (uint64_t)r->supersedes, &row, err);
	/* A purge of a blob that no media row describes. */
	if (rc == CT_ENOTFOUND) {
		error_clear(err);
		return 0;
	}
	if (rc == 0 && !c->replaying)
		rc = check_purgeable(s, row, err);
	if (rc) {
		json_decref(row);
		return rc;
	}
	json_object_set_new(row, "purged", json_pack(
		"{s:I, s:I, s:s}", "seq", (json_int_t)r->seq, "ts",
		(json_int_t)r->ts_ms, "rule",
		str_field(r->fields, "rule") ?: ""));
	rc = media_row_put(s, row, err);
	if (rc == 0)
		rc = store_custody_add(s, str_field(row, "hash"), r->seq, err);
	json_decref(row);
	return rc;
}

int media_project(struct cases *c, struct store *s, const struct rec *r,
		  const char *case_id, struct error *err)
{
	if (!r->fields && strcmp(r->kind, KIND_PURGE))
		return 0;
	if (!strcmp(r->kind, MEDIA_KIND_INGEST))
		return project_ingest(c, s, r, case_id, err);
	if (!strcmp(r->kind, MEDIA_KIND_LINK)) {
		if (!case_id[0])
			return error_set(err, CT_EINVAL, "a media-link entry "
					 "names the case of its record");
		return project_link(c, s, r, case_id, err);
	}
	if (!strcmp(r->kind, MEDIA_KIND_CAPTURE) ||
	    !strcmp(r->kind, MEDIA_KIND_JUSTIFY) ||
	    !strcmp(r->kind, MEDIA_KIND_ACCESS))
		return project_note(c, s, r, err);
	if (!strcmp(r->kind, MEDIA_KIND_HOLD))
		return project_hold(c, s, r, err);
	if (!strcmp(r->kind, MEDIA_KIND_RELEASE))
		return project_release(c, s, r, err);
	if (!strcmp(r->kind, KIND_PURGE))
		return project_purge(c, s, r, err);
	return error_set(err, CT_EINVAL, "unknown media entry kind '%s'",
			 r->kind);
}
