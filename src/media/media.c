/*
 * The media handle and the acts on a stored file other than its ingest:
 * reading its row, linking it to a record, stating its capture time,
 * justifying a late upload, recording a playback session and printing
 * its chain of custody.
 */
#include "common/common.h"

#include <ctype.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "internal.h"

#define REASON_MAX 2000
#define SESSION_MAX 64

int media_open(struct cases *c, struct ledger *l,
	       const struct media_config *cfg, struct media **out,
	       struct error *err)
{
	struct media *m;
	ssize_t n;

	*out = NULL;
	if (cfg && cfg->surveillance_days &&
	    cfg->surveillance_days < MEDIA_SURVEILLANCE_DAYS_MIN)
		return error_set(err, CT_EINVAL, "window surveillance is kept "
				 "at least %d days; %d is too few",
				 MEDIA_SURVEILLANCE_DAYS_MIN,
				 cfg->surveillance_days);
	m = calloc(1, sizeof(*m));
	if (!m)
		return error_set(err, CT_ENOMEM, "out of memory");
	m->cases = c;
	m->ledger = l;
	m->probe_seconds = cfg && cfg->probe_seconds ? cfg->probe_seconds : 20;
	m->probe_memory_mb = cfg && cfg->probe_memory_mb ? cfg->probe_memory_mb
							 : 512;
	m->utc_offset_min = cfg && cfg->utc_offset_min ? cfg->utc_offset_min
						       : 480;
	m->surveillance_days = cfg && cfg->surveillance_days
				       ? cfg->surveillance_days
				       : MEDIA_SURVEILLANCE_DAYS_MIN;
	/* Resolved now: the binary may be replaced while the server runs. */
	if (cfg && cfg->probe_exe) {
		snprintf(m->probe_exe, sizeof(m->probe_exe), "%s",
			 cfg->probe_exe);
	} else {
		n = readlink("/proc/self/exe", m->probe_exe,
			     sizeof(m->probe_exe) - 1);
		if (n <= 0) {
			free(m);
			return error_set(err, CT_EIO, "cannot find the "
					 "casetrail binary for probing: %s",
					 strerror(errno));
		}
		m->probe_exe[n] = '\0';
	}
	*out = m;
	return 0;
}

void media_close(struct media *m)
{
	free(m);
}

void media_time_format(int64_t ms, char out[40])
{
	int64_t local = ms + 8 * 3600000LL;
	time_t secs = (time_t)(local >= 0 ? local / 1000
					  : (local - 999) / 1000);
	int frac = (int)(local - (int64_t)secs * 1000);
	struct tm tm;
	unsigned year;

	gmtime_r(&secs, &tm);
	/* RFC 3339 has four-digit years, so others print as 0000 or 9999. */
	year = tm.tm_year + 1900 < 0 ? 0
	       : tm.tm_year + 1900 > 9999 ? 9999 : (unsigned)tm.tm_year + 1900;
	snprintf(out, 40, "%04u-%02u-%02uT%02u:%02u:%02u.%03u+08:00",
		 year % 10000, (unsigned)(tm.tm_mon + 1) % 100,
		 (unsigned)tm.tm_mday % 100, (unsigned)tm.tm_hour % 100,
		 (unsigned)tm.tm_min % 100, (unsigned)tm.tm_sec % 100,
		 (unsigned)frac % 1000);
}

int media_row_read(struct media *m, uint64_t seq, json_t **out,
		   struct error *err)
{
	struct buf body = BUF_INIT_MAX(1 << 20);
	struct store *s;
	int rc = ledger_read_begin(m->ledger, &s, err);

	*out = NULL;
	if (rc)
		return rc;
	rc = store_media_get(s, seq, &body, err);
	ledger_read_end(m->ledger, s);
	if (rc == 0 && !(*out = json_loadb(body.data, body.len, 0, NULL)))
		rc = error_set(err, CT_ECORRUPT, "the media row of entry %"
			       PRIu64 " is not JSON", seq);
	buf_release(&body);
	return rc;
}

int media_check_actor(struct media *m, const struct actor *by,
		      struct error *err)
{
	json_t *u = NULL;

	if (by->user && cases_user_get(m->cases, by->user, &u, NULL) == 0) {
		json_decref(u);
		return 0;
	}
	return error_set(err, CT_EPERM, "user '%s' is not registered; "
			 "evidence is handled by staff added with 'casetrail "
			 "user add' (name yourself with --as)",
			 by->user ?: "");
}

int media_append(struct media *m, const char *kind, const char *case_id,
		 const json_t *fields, const struct ledger_attachment *atts,
		 size_t natts, const struct actor *by, uint64_t *seq,
		 int64_t *ts_ms, struct error *err)
{
	struct ledger_record rec = {
		.kind = kind, .case_id = case_id, .actor = by->user,
		.os_user = by->os_user, .fields = fields, .attachments = atts,
		.nattachments = natts, .supersedes = -1,
	};
	struct ledger_receipt receipt;
	int rc = media_check_actor(m, by, err);

	if (rc == 0)
		rc = ledger_append(m->ledger, &rec, &receipt, err);
	if (rc)
		return rc;
	if (seq)
		*seq = receipt.seq;
	if (ts_ms)
		*ts_ms = receipt.ts_ms;
	return 0;
}

int media_get(struct media *m, uint64_t seq, json_t **out,
	      struct error *err)
{
	return media_row_read(m, seq, out, err);
}

static int collect(void *ctx, const char *body, size_t len)
{
	json_t *v = json_loadb(body, len, 0, NULL);

	if (v)
		json_array_append_new(ctx, v);
	return 0;
}

int media_list(struct media *m, const struct media_query *q, json_t **out,
	       struct error *err)
{
	struct store_media_filter f = {
		.hash = q->hash, .case_id = q->case_id, .type = q->type,
		.window = q->window, .from_ms = STORE_NO_TIME,
		.to_ms = STORE_NO_TIME, .offset = q->offset,
		.limit = q->limit ? q->limit : 50,
	};
	json_t *items = json_array();
	uint64_t total = 0;
	struct store *s;
	int rc;

	if (!items)
		return error_set(err, CT_ENOMEM, "out of memory");
	rc = ledger_read_begin(m->ledger, &s, err);
	if (rc == 0) {
		rc = store_media_list(s, &f, collect, items, &total, err);
		ledger_read_end(m->ledger, s);
	}
	if (rc) {
		json_decref(items);
		return rc;
	}
	*out = json_pack("{s:o, s:I, s:I, s:I}", "items", items, "total",
			 (json_int_t)total, "offset", (json_int_t)f.offset,
			 "limit", (json_int_t)f.limit);
	return 0;
}

static int check_text(const char *what, const char *text, size_t max,
		      struct error *err)
{
	if (!text || !text[0])
		return error_set(err, CT_EINVAL, "%s is missing", what);
	if (strlen(text) > max)
		return error_set(err, CT_EINVAL, "%s is %zu bytes long, but at "
				 "most %zu are allowed", what, strlen(text),
				 max);
	return media_check_text(what, text, 1, err);
}

static const char *row_str(const json_t *row, const char *name)
{
	return json_string_value(json_object_get(row, name));
}

/* Fills the fields every entry about a file carries. */
static json_t *about(const json_t *row)
{
	return json_pack("{s:O, s:s}", "media", json_object_get(row, "seq"),
			 "hash", row_str(row, "hash") ?: "");
}

static int done(json_t **out, uint64_t seq, int64_t ts, const char *kind,
		const json_t *fields)
{
	*out = json_pack("{s:I, s:I, s:s, s:O}", "seq", (json_int_t)seq, "ts",
			 (json_int_t)ts, "kind", kind, "fields", fields);
	return 0;
}

int media_record_case(struct media *m, uint64_t seq, char *case_id,
		      size_t n, struct error *err)
{
	char kind[64] = "";
	struct store *s;
	int rc = ledger_read_begin(m->ledger, &s, err);

	if (rc)
		return rc;
	rc = store_record_get(s, seq, case_id, n, kind, sizeof(kind), NULL,
			      err);
	ledger_read_end(m->ledger, s);
	if (rc == CT_ENOTFOUND)
		return error_set(err, CT_ENOTFOUND, "record %" PRIu64 " not "
				 "found; give the seq of a record of the case",
				 seq);
	if (rc)
		return rc;
	if (!strncmp(kind, "media-", 6) || !strcmp(kind, KIND_PURGE) ||
	    !strcmp(kind, KIND_EXPUNGE) || !strcmp(kind, "correction") ||
	    !strcmp(kind, "finding"))
		return error_set(err, CT_EINVAL, "record %" PRIu64 " is a %s "
				 "entry; link the file to the record it "
				 "documents", seq, kind);
	if (!case_id[0])
		return error_set(err, CT_ENOTFOUND, "record %" PRIu64 " belongs "
				 "to no case; link the file to a record of a "
				 "case", seq);
	return 0;
}

int media_link(struct media *m, uint64_t media_seq, uint64_t record_seq,
	       const struct actor *by, json_t **out, struct error *err)
{
	json_t *row = NULL, *fields = NULL;
	char case_id[CASE_ID_MAX + 1];
	uint64_t seq;
	int64_t ts;
	int rc = media_row_read(m, media_seq, &row, err);

	if (rc == 0)
		rc = media_record_case(m, record_seq, case_id, sizeof(case_id),
				       err);
	if (rc)
		goto out;
	/* The facts the case's evaluation needs about the file. */
	fields = about(row);
	json_object_set_new(fields, "record", json_integer((json_int_t)
							   record_seq));
	json_object_set(fields, "ingested", json_object_get(row, "ingested"));
	if (json_object_get(row, "delay_ms"))
		json_object_set(fields, "delay_ms", json_object_get(row,
								   "delay_ms"));
	if (row_str(row, "device"))
		json_object_set(fields, "device", json_object_get(row,
								 "device"));
	if (row_str(row, "officer"))
		json_object_set(fields, "officer", json_object_get(row,
								  "officer"));
	rc = media_append(m, MEDIA_KIND_LINK, case_id, fields, NULL, 0, by,
			  &seq, &ts, err);
	if (rc == 0) {
		log_info("media", "file linked", "media=%" PRIu64 " record=%"
			 PRIu64 " case=%s seq=%" PRIu64 " user=%s", media_seq,
			 record_seq, case_id, seq, by->user);
		rc = done(out, seq, ts, MEDIA_KIND_LINK, fields);
	}
out:
	json_decref(row);
	json_decref(fields);
	return rc;
}

int media_state_capture(struct media *m, uint64_t media_seq, int64_t start_ms,
			const char *reason, const struct actor *by,
			json_t **out, struct error *err)
{
	json_t *row = NULL, *fields = NULL, *cap;
	char start[40], end[40];
	int64_t ts, duration, now = ledger_now_ms();
	uint64_t seq;
	int rc = check_text("the reason for the stated capture time", reason,
			    REASON_MAX, err);

	/* The same ten minutes of clock skew as at ingest. */
	if (rc == 0 && start_ms > now + 10 * 60 * 1000LL)
		rc = error_set(err, CT_EINVAL, "the stated capture time lies "
			       "in the future; give the time the recording "
			       "began");
	if (rc == 0 && start_ms < 631152000000LL)
		rc = error_set(err, CT_EINVAL, "the stated capture time lies "
			       "before 1990; give the time the recording "
			       "began");
	if (rc == 0)
		rc = media_row_read(m, media_seq, &row, err);
	if (rc)
		goto out;
	cap = json_object_get(row, "captured");
	duration = json_integer_value(json_object_get(cap, "duration_ms"));
	media_time_format(start_ms, start);
	media_time_format(start_ms + duration, end);
	fields = about(row);
	json_object_set_new(fields, "start", json_string(start));
	json_object_set_new(fields, "end", json_string(end));
	json_object_set_new(fields, "reason", json_string(reason));
	json_object_set_new(fields, "delay_ms", json_integer(
		json_integer_value(json_object_get(row, "ingested")) -
		(start_ms + duration)));
	if (row_str(row, "device"))
		json_object_set(fields, "device", json_object_get(row,
								 "device"));
	if (row_str(row, "officer"))
		json_object_set(fields, "officer", json_object_get(row,
								  "officer"));
	rc = media_append(m, MEDIA_KIND_CAPTURE, row_str(row, "case"), fields,
			  NULL, 0, by, &seq, &ts, err);
	if (rc == 0) {
		log_info("media", "capture time stated", "media=%" PRIu64
			 " seq=%" PRIu64 " user=%s", media_seq, seq, by->user);
		rc = done(out, seq, ts, MEDIA_KIND_CAPTURE, fields);
	}
out:
	json_decref(row);
	json_decref(fields);
	return rc;
}

int media_justify(struct media *m, uint64_t media_seq, const char *reason,
		  const char *approved_by, const struct actor *by,
		  json_t **out, struct error *err)
{
	json_t *row = NULL, *fields = NULL, *u = NULL;
	uint64_t seq;
	int64_t ts;
	int rc = check_text("the reason for the late upload", reason,
			    REASON_MAX, err);

	if (rc == 0)
		rc = check_text("the approver (--approved-by)", approved_by,
				128, err);
	if (rc == 0 && strchr(approved_by, '\n'))
		rc = error_set(err, CT_EINVAL, "the approver is one user name");
	if (rc == 0 && cases_user_get(m->cases, approved_by, &u, NULL) != 0)
		rc = error_set(err, CT_EINVAL, "approver '%s' is not a "
			       "registered user", approved_by);
	if (rc == 0)
		rc = media_row_read(m, media_seq, &row, err);
	if (rc)
		goto out;
	if (!strcmp(approved_by, row_str(row, "officer") ?: "")) {
		rc = error_set(err, CT_EPERM, "'%s' recorded the file and "
			       "cannot approve the reason for its late upload; "
			       "name a superior", approved_by);
		goto out;
	}
	fields = about(row);
	json_object_set_new(fields, "reason", json_string(reason));
	json_object_set_new(fields, "approved_by", json_string(approved_by));
	rc = media_append(m, MEDIA_KIND_JUSTIFY, row_str(row, "case"), fields,
			  NULL, 0, by, &seq, &ts, err);
	if (rc == 0) {
		log_info("media", "late upload justified", "media=%" PRIu64
			 " seq=%" PRIu64 " approved_by=%s user=%s", media_seq,
			 seq, approved_by, by->user);
		rc = done(out, seq, ts, MEDIA_KIND_JUSTIFY, fields);
	}
out:
	json_decref(u);
	json_decref(row);
	json_decref(fields);
	return rc;
}

static int session_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > SESSION_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return 0;
	return 1;
}

int media_access(struct media *m, uint64_t media_seq, const char *mode,
		 const char *session, const struct actor *by, json_t **out,
		 struct error *err)
{
	json_t *row = NULL, *fields = NULL;
	uint64_t seq;
	int64_t ts;
	int rc = 0;

	if (!mode || (strcmp(mode, "playback") && strcmp(mode, "download")))
		return error_set(err, CT_EINVAL, "access mode '%s' is unknown; "
				 "give playback or download", mode ?: "");
	if (!session || !session_ok(session))
		return error_set(err, CT_EINVAL, "session '%s' is not a valid "
				 "session name: 1 to %d letters, digits, '-' "
				 "or '_'", session ?: "", SESSION_MAX);
	rc = media_row_read(m, media_seq, &row, err);
	if (rc)
		return rc;
	fields = about(row);
	json_object_set_new(fields, "mode", json_string(mode));
	json_object_set_new(fields, "session", json_string(session));
	rc = media_append(m, MEDIA_KIND_ACCESS, row_str(row, "case"), fields,
			  NULL, 0, by, &seq, &ts, err);
	if (rc == 0)
		rc = done(out, seq, ts, MEDIA_KIND_ACCESS, fields);
	json_decref(row);
	json_decref(fields);
	return rc;
}

struct custody_ctx {
	struct media *m;
	json_t *events;
	struct error *err;
};

/* One entry of a file's custody: who did what, when, and its content. */
static int custody_event(void *ctx, uint64_t seq)
{
	struct custody_ctx *cc = ctx;
	struct buf body = BUF_INIT_MAX(LEDGER_ENTRY_MAX + 1);
	json_t *e = NULL, *fields = NULL, *ev;
	int rc = ledger_entry(cc->m->ledger, seq, &body, cc->err);

	if (rc == 0 && !(e = json_loadb(body.data, body.len, 0, NULL)))
		rc = error_set(cc->err, CT_ECORRUPT, "entry %" PRIu64 " is not "
			       "JSON", seq);
	buf_release(&body);
	if (rc)
		return rc;
	ev = json_pack("{s:I, s:O, s:O, s:O}", "seq", (json_int_t)seq, "ts",
		       json_object_get(e, "ts"), "kind",
		       json_object_get(e, "kind"), "actor",
		       json_object_get(e, "actor"));
	if (json_object_get(e, "os_user"))
		json_object_set(ev, "os_user", json_object_get(e, "os_user"));
	if (json_object_get(e, "case"))
		json_object_set(ev, "case", json_object_get(e, "case"));
	/* Content that was expunged is shown as absent, not as an error. */
	if (ledger_content(cc->m->ledger, seq, &fields, NULL) == 0)
		json_object_set_new(ev, "fields", fields);
	json_array_append_new(cc->events, ev);
	json_decref(e);
	return 0;
}

int media_custody(struct media *m, const char *hash, json_t **out,
		  struct error *err)
{
	struct custody_ctx cc = { m, json_array(), err };
	struct store_media_filter f = {
		.hash = hash, .from_ms = STORE_NO_TIME, .to_ms = STORE_NO_TIME,
		.limit = 1,
	};
	json_t *rows = json_array(), *first;
	char path[PATH_MAX];
	struct store *s;
	int rc = ledger_blob_path(m->ledger, hash ?: "", path, sizeof(path),
				  err);

	if (rc == 0)
		rc = ledger_read_begin(m->ledger, &s, err);
	if (rc)
		goto out;
	rc = store_media_list(s, &f, collect, rows, NULL, err);
	if (rc == 0)
		rc = store_custody_list(s, hash, custody_event, &cc, err);
	ledger_read_end(m->ledger, s);
	if (rc == 0 && json_array_size(cc.events) == 0)
		rc = error_set(err, CT_ENOTFOUND, "no entry touched the file "
			       "%s; list files with 'casetrail media list'",
			       hash);
	if (rc)
		goto out;
	first = json_array_get(rows, 0);
	*out = json_pack("{s:s, s:O*, s:O*, s:O*, s:b, s:O}", "hash", hash,
			 "sha256", json_object_get(first, "sha256"), "size",
			 json_object_get(first, "size"), "media_type",
			 json_object_get(first, "media_type"), "stored",
			 access(path, F_OK) == 0, "events", cc.events);
out:
	json_decref(rows);
	json_decref(cc.events);
	return rc;
}

int media_file(struct media *m, uint64_t seq, const char *which, char *path,
	       size_t n, uint64_t *size, char *media_type, size_t type_n,
	       struct error *err)
{
	json_t *row = NULL, *src;
	int rc = media_row_read(m, seq, &row, err);

	if (rc)
		return rc;
	src = !strcmp(which, "thumbnail") ? json_object_get(row, "thumbnail")
					  : row;
	if (json_object_get(row, "purged"))
		rc = error_set(err, CT_ENOTFOUND, "the file of entry %" PRIu64
			       " was purged by entry %" PRId64, seq,
			       (int64_t)json_integer_value(json_object_get(
				       json_object_get(row, "purged"), "seq")));
	else if (!src)
		rc = error_set(err, CT_ENOTFOUND, "the file of entry %" PRIu64
			       " has no thumbnail", seq);
	if (rc == 0)
		rc = ledger_blob_path(m->ledger, row_str(src, "hash") ?: "",
				      path, n, err);
	if (rc == 0 && access(path, R_OK) != 0)
		rc = error_set(err, CT_ENOTFOUND, "the file %s of entry %"
			       PRIu64 " is not in the store; run 'casetrail "
			       "verify'", row_str(src, "hash"), seq);
	if (rc == 0) {
		*size = (uint64_t)json_integer_value(json_object_get(src,
								    "size"));
		snprintf(media_type, type_n, "%s",
			 row_str(src, src == row ? "media_type" : "type")
				 ?: "application/octet-stream");
	}
	json_decref(row);
	return rc;
}
