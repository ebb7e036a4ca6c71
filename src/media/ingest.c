/*
 * Ingest of audio-visual files: stream into the blob store, probe in a
 * separate process, settle the capture time, flag what is wrong, make a
 * thumbnail, and record it all in one media-ingest entry. Nothing about
 * the file itself makes it refused: a damaged, empty or unprobeable file
 * is evidence too, stored and flagged.
 */
#include "common/common.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/jcs.h"
#include "common/log.h"
#include "internal.h"
#include "probe.h"

#define NAME_MAX_LEN 255
#define DEVICE_MAX 128
#define WINDOW_MAX 64
#define REASON_MAX 2000
/* Capture times before this (1990-01-01) are a camera's unset clock. */
#define PLAUSIBLE_MS 631152000000LL
/* A clock a little ahead of the server's is not yet "in the future". */
#define FUTURE_SLACK_MS (10 * 60 * 1000LL)
#define IMPORT_DEPTH_MAX 16

static const char *const types[] = { "photo", "audio", "video",
				     "surveillance" };

/*
 * A mark given at ingest raises the default of the file's type (docs/
 * access.md); state secrets are never stored.
 */
static int check_mark(const char *mark, struct error *err)
{
	static const char *const marks[] = { "none", "commercial-secret",
					     "personal", "sensitive-personal" };

	if (!mark)
		return 0;
	if (!strcmp(mark, "state-secret") || !strcmp(mark, "国家秘密"))
		return error_set(err, CT_EPERM, "state secrets are never "
				 "stored in casetrail, which is not a "
				 "classified system; keep the material under "
				 "the secrecy rules and add a "
				 "'secret-material-note' record that says it "
				 "exists and where it is kept");
	for (size_t i = 0; i < ARRAY_SIZE(marks); i++)
		if (!strcmp(mark, marks[i]))
			return 0;
	return error_set(err, CT_EINVAL, "mark '%s' is unknown; use none, "
			 "commercial-secret, personal or sensitive-personal",
			 mark);
}

/*
 * Checks a text option: valid UTF-8, and no control characters except,
 * with multiline, line feeds and tabs. what names the option.
 */
int media_check_text(const char *what, const char *text, int multiline,
		     struct error *err)
{
	size_t n = strlen(text);

	if (!jcs_utf8_valid(text, n))
		return error_set(err, CT_EINVAL, "%s is not valid UTF-8; give "
				 "it in UTF-8", what);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];

		if ((c < 0x20 || c == 0x7f) &&
		    !(multiline && (c == '\n' || c == '\t')))
			return error_set(err, CT_EINVAL, "%s contains the "
					 "control character 0x%02x at byte %zu; "
					 "remove it", what, c, i);
	}
	return 0;
}

static int check_texts(const struct media_ingest_req *q, struct error *err)
{
	const struct {
		const char *what, *text;
		int multiline;
	} texts[] = {
		{ "--device", q->device, 0 },
		{ "--type", q->type, 0 },
		{ "--officer", q->officer, 0 },
		{ "--window", q->window, 0 },
		{ "--case", q->case_id, 0 },
		{ "--captured-reason", q->captured_reason, 1 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(texts); i++)
		if (texts[i].text && media_check_text(texts[i].what,
						      texts[i].text,
						      texts[i].multiline, err))
			return CT_EINVAL;
	return 0;
}

static int check_req(const struct media_ingest_req *q, struct error *err)
{
	size_t i = 0;
	int64_t now = q->now_ms ? q->now_ms : ledger_now_ms();

	if (check_texts(q, err))
		return CT_EINVAL;

	if (q->type) {
		while (i < ARRAY_SIZE(types) && strcmp(q->type, types[i]))
			i++;
		if (i == ARRAY_SIZE(types))
			return error_set(err, CT_EINVAL, "type '%s' is unknown; "
					 "give photo, audio, video or "
					 "surveillance", q->type);
	}
	if (!q->device || !q->device[0])
		return error_set(err, CT_EINVAL, "the device is missing; name "
				 "the camera or recorder with --device");
	if (strlen(q->device) > DEVICE_MAX)
		return error_set(err, CT_EINVAL, "device '%.40s...' is longer "
				 "than %d bytes", q->device, DEVICE_MAX);
	if (q->name && strlen(q->name) > NAME_MAX_LEN)
		return error_set(err, CT_EINVAL, "file name '%.40s...' is "
				 "longer than %d bytes", q->name, NAME_MAX_LEN);
	if (q->type && !strcmp(q->type, "surveillance") &&
	    (!q->window || !q->window[0]))
		return error_set(err, CT_EINVAL, "the window is missing: "
				 "surveillance footage names its acceptance "
				 "window (--window, or the field 'window')");
	if (q->window && (!q->type || strcmp(q->type, "surveillance")))
		return error_set(err, CT_EINVAL, "--window applies only to "
				 "--type surveillance");
	if (q->window && strlen(q->window) > WINDOW_MAX)
		return error_set(err, CT_EINVAL, "window '%.40s...' is longer "
				 "than %d bytes", q->window, WINDOW_MAX);
	if (q->has_captured && (!q->captured_reason || !q->captured_reason[0]))
		return error_set(err, CT_EINVAL, "a stated capture time needs "
				 "its reason (--captured-reason)");
	if (q->has_captured && q->captured_ms > now + FUTURE_SLACK_MS)
		return error_set(err, CT_EINVAL, "the stated capture time lies "
				 "in the future; give the time the recording "
				 "began");
	if (q->has_captured && q->captured_ms < PLAUSIBLE_MS)
		return error_set(err, CT_EINVAL, "the stated capture time lies "
				 "before 1990; give the time the recording "
				 "began");
	if (q->captured_reason && strlen(q->captured_reason) > REASON_MAX)
		return error_set(err, CT_EINVAL, "the capture time's reason is "
				 "longer than %d bytes", REASON_MAX);
	if (q->record_seq >= 0 && q->type && !strcmp(q->type, "surveillance"))
		return error_set(err, CT_EINVAL, "window surveillance is not "
				 "linked to a record at ingest; hold it for the "
				 "case with 'casetrail retention hold'");
	return check_mark(q->mark, err);
}

/*
 * Copies a file name as data: bytes that are not valid UTF-8 (names from
 * GBK-encoded cards) and control characters become \xHH escapes.
 */
static void name_text(const char *name, char *out, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; name[i] && o + 5 < n;) {
		unsigned char c = (unsigned char)name[i];
		size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2
				 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;

		if (len > 1 && strnlen(name + i, len) == len &&
		    jcs_utf8_valid(name + i, len)) {
			if (o + len >= n)
				break;
			memcpy(out + o, name + i, len);
			o += len;
			i += len;
		} else if (len == 1 && c >= 0x20 && c != 0x7f) {
			out[o++] = (char)c;
			i++;
		} else {
			o += (size_t)snprintf(out + o, n - o, "\\x%02x", c);
			i++;
		}
	}
	out[o] = '\0';
}

/* Turns the probe's capture clues into a time in UTC milliseconds. */
static int64_t probe_start(const struct media *m, const json_t *cap,
			   json_t *captured)
{
	const char *utc = json_string_value(json_object_get(cap, "utc"));
	const char *local = json_string_value(json_object_get(cap, "local"));
	const char *offset = json_string_value(json_object_get(cap, "offset"));
	char text[64], zone[16];
	int64_t ms;

	if (utc && cases_time_parse(utc, &ms) == 0)
		return ms;
	if (!local || strlen(local) > 32)
		return STORE_NO_TIME;
	if (!offset) {
		int off = m->utc_offset_min % (24 * 60);

		snprintf(zone, sizeof(zone), "%c%02d:%02d", off < 0 ? '-' : '+',
			 abs(off) / 60, abs(off) % 60);
		offset = zone;
		json_object_set_new(captured, "zone_assumed",
				    json_string(zone));
	}
	snprintf(text, sizeof(text), "%s%s", local, offset);
	return cases_time_parse(text, &ms) == 0 ? ms : STORE_NO_TIME;
}

static int has_problem(const json_t *probe, const char *start)
{
	json_t *p;
	size_t i;

	json_array_foreach(json_object_get(probe, "problems"), i, p)
		if (!strncmp(json_string_value(p) ?: "", start, strlen(start)))
			return 1;
	return 0;
}

/* Whether the probe found damage rather than merely missing metadata. */
static int damaged(const json_t *probe)
{
	static const char *const benign[] = {
		"zero capture time", "no capture time", "thumbnail",
		"no thumbnail",
		"unprobeable", "zero-length",
	};
	json_t *p;
	size_t i;

	json_array_foreach(json_object_get(probe, "problems"), i, p) {
		const char *text = json_string_value(p) ?: "";
		size_t j = 0;

		while (j < ARRAY_SIZE(benign) &&
		       strncmp(text, benign[j], strlen(benign[j])))
			j++;
		if (j == ARRAY_SIZE(benign))
			return 1;
	}
	return 0;
}

/* Whether libmagic names an image, audio or video type. */
static int is_media_type(const char *type)
{
	return !strncmp(type, "image/", 6) || !strncmp(type, "audio/", 6) ||
	       !strncmp(type, "video/", 6);
}

static void flag(json_t *flags, const char *name)
{
	json_array_append_new(flags, json_string(name));
}

/*
 * Settles the capture time: the file's own unless it cannot be trusted
 * (missing, a zero epoch, in the future, clues that disagree), and the
 * officer's when stated. Fills captured and flags, and returns the end of the
 * recording or STORE_NO_TIME.
 */
static int64_t settle_capture(const struct media *m,
			      const struct media_ingest_req *q,
			      const char *by_user, const json_t *probe,
			      int64_t now, json_t *captured, json_t *flags)
{
	const json_t *cap = json_object_get(probe, "capture");
	json_t *why = json_array();
	json_t *dur = json_object_get(probe, "duration_ms");
	int64_t duration = json_is_integer(dur) && json_integer_value(dur) > 0
				   ? json_integer_value(dur) : 0;
	int64_t start = probe_start(m, cap, captured);
	char text[40];

	if (json_is_true(json_object_get(probe, "unprobeable")))
		json_array_append_new(why, json_string("the file could not be "
						       "probed"));
	else if (start == STORE_NO_TIME &&
		 has_problem(probe, "zero capture time"))
		json_array_append_new(why, json_string("the file states a zero "
						       "capture time"));
	else if (start == STORE_NO_TIME)
		json_array_append_new(why, json_string("the file states no "
						       "capture time"));
	else if (start < PLAUSIBLE_MS)
		json_array_append_new(why, json_string("the capture time lies "
						       "before 1990: the "
						       "device's clock was not "
						       "set"));
	else if (start > now + FUTURE_SLACK_MS)
		json_array_append_new(why, json_string("the capture time lies "
						       "in the future"));
	if (start != STORE_NO_TIME && json_is_true(json_object_get(cap,
								   "disagree")))
		json_array_append_new(why, json_string("the file's time fields "
						       "disagree"));
	if (json_object_get(cap, "source"))
		json_object_set(captured, "source", json_object_get(cap,
								    "source"));
	if (start != STORE_NO_TIME) {
		media_time_format(start, text);
		json_object_set_new(captured, "file_start", json_string(text));
	}
	json_object_set_new(captured, "duration_ms", json_integer(duration));
	json_object_set_new(captured, "trusted",
			    json_boolean(json_array_size(why) == 0));
	if (json_array_size(why)) {
		flag(flags, "untrusted-capture-time");
		json_object_set(captured, "untrusted", why);
		start = STORE_NO_TIME;
	}
	json_decref(why);
	if (q->has_captured) {
		start = q->captured_ms;
		json_object_set_new(captured, "source", json_string("stated"));
		json_object_set_new(captured, "stated", json_pack(
			"{s:s, s:s}", "reason", q->captured_reason, "by",
			by_user));
	}
	if (start == STORE_NO_TIME)
		return STORE_NO_TIME;
	media_time_format(start, text);
	json_object_set_new(captured, "start", json_string(text));
	media_time_format(start + duration, text);
	json_object_set_new(captured, "end", json_string(text));
	return start + duration;
}

/*
 * Replaces every real number in v by its decimal text, taking v and
 * returning the result. The ledger's canonical JSON contains integers only,
 * and a GPS position or a frame rate is kept as the probe printed it.
 */
static json_t *no_reals(json_t *v)
{
	const char *key;
	json_t *item, *tmp;
	size_t i;
	char text[64];

	if (json_is_real(v)) {
		snprintf(text, sizeof(text), "%.10g", json_real_value(v));
		json_decref(v);
		return json_string(text);
	}
	if (json_is_object(v)) {
		json_object_foreach_safe(v, tmp, key, item)
			json_object_set_new(v, key, no_reals(json_incref(item)));
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item)
			json_array_set_new(v, i, no_reals(json_incref(item)));
	}
	return v;
}

/* The probe's findings worth keeping with the entry, without its clutter. */
static json_t *probe_summary(const json_t *probe)
{
	static const char *const keep[] = {
		"kind", "format", "capture", "duration_ms", "video", "audio",
		"width", "height", "orientation", "gps", "device", "problems",
		"unprobeable",
	};
	json_t *out = json_object();

	for (size_t i = 0; i < ARRAY_SIZE(keep); i++) {
		json_t *v = json_object_get(probe, keep[i]);

		if (v)
			json_object_set_new(out, keep[i],
					    no_reals(json_deep_copy(v)));
	}
	return out;
}

/* Makes a file in the store's tmp folder for the thumbnail. */
static int thumb_temp(struct media *m, char *path, size_t n,
		      struct error *err)
{
	const struct ledger_config *cfg = ledger_config(m->ledger);
	int fd;

	if ((size_t)snprintf(path, n, "%s/blobs/tmp/blob-thumb-XXXXXX",
			     cfg->dir) >= n)
		return error_set(err, CT_EINVAL, "store path too long");
	fd = mkstemp(path);
	if (fd < 0)
		return error_set(err, CT_EIO, "cannot create '%s': %s", path,
				 strerror(errno));
	close(fd);
	return 0;
}

static int stream_in(struct media *m, const struct media_ingest_req *q,
		     struct ledger_attachment *att, struct error *err)
{
	struct stat st;
	int fd, rc;

	if (q->fd >= 0)
		return ledger_attach_fd(m->ledger, q->fd, q->name ?: "the upload",
					att, err);
	if (!q->path)
		return error_set(err, CT_EINVAL, "no file to ingest");
	/* O_NONBLOCK: a FIFO must not block the open; it is rejected below. */
	fd = open(q->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return error_set(err, errno == ENOENT ? CT_ENOTFOUND : CT_EIO,
				 "cannot open '%s': %s; check the path",
				 q->path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return error_set(err, CT_EINVAL, "'%s' is not a regular file; "
				 "give the recording's file", q->path);
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	rc = ledger_attach_fd(m->ledger, fd, q->path, att, err);
	close(fd);
	return rc;
}

struct dup_ctx {
	const char *device;
	json_t *seqs;
	int same_device;
};

static int note_dup(void *ctx, const char *body, size_t len)
{
	struct dup_ctx *d = ctx;
	json_t *row = json_loadb(body, len, 0, NULL);

	if (!row)
		return 0;
	json_array_append(d->seqs, json_object_get(row, "seq"));
	if (d->device && !strcmp(json_string_value(json_object_get(row,
								   "device"))
					 ?: "", d->device))
		d->same_device = 1;
	json_decref(row);
	return 0;
}

/* Earlier ingests of the same content, and whether one came from device. */
static int find_dups(struct media *m, const char *hash, const char *device,
		     json_t **seqs, int *same_device, struct error *err)
{
	struct dup_ctx d = { device, json_array(), 0 };
	struct store_media_filter f = {
		.hash = hash, .from_ms = STORE_NO_TIME, .to_ms = STORE_NO_TIME,
	};
	struct store *s;
	int rc = ledger_read_begin(m->ledger, &s, err);

	if (rc == 0) {
		rc = store_media_list(s, &f, note_dup, &d, NULL, err);
		ledger_read_end(m->ledger, s);
	}
	if (rc) {
		json_decref(d.seqs);
		return rc;
	}
	*seqs = d.seqs;
	*same_device = d.same_device;
	return 0;
}

static json_t *result_json(uint64_t seq, const struct ledger_attachment *att,
			   const json_t *fields, const char *case_id,
			   const json_t *dups)
{
	json_t *out = json_pack("{s:I, s:s, s:s, s:I, s:s}", "seq",
				(json_int_t)seq, "hash", att->hash, "sha256",
				att->sha256, "size", (json_int_t)att->size,
				"media_type", att->type);
	const char *const copy[] = { "type", "captured", "delay_ms", "flags",
				     "thumbnail", "record", "device",
				     "officer", "window", "name" };

	for (size_t i = 0; i < ARRAY_SIZE(copy); i++) {
		json_t *v = json_object_get(fields, copy[i]);

		if (v)
			json_object_set(out, copy[i], v);
	}
	json_object_set_new(out, "case", case_id ? json_string(case_id)
						 : json_null());
	json_object_set(out, "duplicates", (json_t *)dups);
	return out;
}

/* The case of the record a file is linked to at ingest. */
static int record_case(struct media *m, const struct media_ingest_req *q,
		       char *case_id, size_t n, struct error *err)
{
	char rec_case[CASE_ID_MAX + 1];
	int rc;

	snprintf(case_id, n, "%s", q->case_id ?: "");
	if (q->record_seq < 0)
		return 0;
	rc = media_record_case(m, (uint64_t)q->record_seq, rec_case,
			       sizeof(rec_case), err);
	if (rc == 0 && !case_id[0])
		snprintf(case_id, n, "%s", rec_case);
	return rc;
}

/* The checks of media_ingest_check; fills case_id with the file's case. */
static int check_ingest(struct media *m, const struct media_ingest_req *q,
			const struct actor *by, char *case_id, size_t n,
			struct error *err)
{
	uint64_t last;
	int rc = check_req(q, err);

	if (rc == 0)
		rc = media_check_actor(m, by, err);
	if (rc == 0 && q->officer) {
		json_t *u = NULL;

		if (cases_user_get(m->cases, q->officer, &u, NULL) != 0)
			rc = error_set(err, CT_EINVAL, "officer '%s' is not a "
				       "registered user", q->officer);
		json_decref(u);
	}
	if (rc == 0)
		rc = record_case(m, q, case_id, n, err);
	if (rc == 0 && q->case_id && q->record_seq >= 0 &&
	    strcmp(case_id, q->case_id))
		rc = error_set(err, CT_EINVAL, "record %" PRId64 " does not "
			       "belong to case %s", q->record_seq, q->case_id);
	if (rc == 0 && case_id[0])
		rc = cases_last_seq(m->cases, case_id, &last, err);
	return rc;
}

int media_ingest_check(struct media *m, const struct media_ingest_req *q,
		       const struct actor *by, struct error *err)
{
	char case_id[CASE_ID_MAX + 1];

	return check_ingest(m, q, by, case_id, sizeof(case_id), err);
}

/*
 * Ingests one file. With skip_device, a file whose content is stored
 * already from the same device is not recorded again: *skipped is set.
 */
static int ingest_one(struct media *m, const struct media_ingest_req *q,
		      const struct actor *by, int skip_device, json_t **out,
		      int *skipped, struct error *err)
{
	struct ledger_attachment atts[2];
	char case_id[CASE_ID_MAX + 1], blob[PATH_MAX], thumb[PATH_MAX] = "";
	struct probe_limits lim = { m->probe_seconds, m->probe_memory_mb, 0 };
	json_t *probe = NULL, *fields = NULL, *captured, *flags, *dups = NULL;
	const char *type, *kind;
	int64_t now, end, t0 = ledger_now_ms();
	size_t natts = 1;
	uint64_t seq;
	int same_device = 0;
	int rc = check_ingest(m, q, by, case_id, sizeof(case_id), err);

	*skipped = 0;
	if (rc == 0)
		rc = stream_in(m, q, &atts[0], err);
	if (rc)
		return rc;
	rc = find_dups(m, atts[0].hash, q->device, &dups, &same_device, err);
	if (rc == 0 && skip_device && same_device) {
		*skipped = 1;
		*out = json_pack("{s:s, s:s, s:O}", "hash", atts[0].hash,
				 "skipped", "stored already from this device",
				 "duplicates", dups);
		json_decref(dups);
		return 0;
	}
	if (rc == 0)
		rc = ledger_blob_path(m->ledger, atts[0].hash, blob,
				      sizeof(blob), err);
	if (rc == 0)
		rc = thumb_temp(m, thumb, sizeof(thumb), err);
	if (rc == 0 && probe_run(m->probe_exe, blob, thumb, &lim, &probe,
				 err) != 0) {
		/* Evidence is stored even when the prober cannot start. */
		log_error("media", "prober not started", "hash=%s error=%s",
			  atts[0].hash, err->msg);
		probe = json_pack("{s:[s+], s:b}", "problems", "unprobeable: ",
				  err->msg, "unprobeable", 1);
		error_clear(err);
	}
	if (rc)
		goto out;
	now = q->now_ms ? q->now_ms : ledger_now_ms();
	kind = json_string_value(json_object_get(probe, "kind")) ?: "other";
	type = q->type ? q->type : strcmp(kind, "photo") && strcmp(kind,
		"video") && strcmp(kind, "audio") ? "other" : kind;
	fields = json_pack("{s:s, s:s, s:s, s:s, s:b}", "type", type,
			   "device", q->device, "officer",
			   q->officer ? q->officer : by->user, "sha256",
			   atts[0].sha256, "device_copy_deleted",
			   q->device_copy_deleted);
	captured = json_object();
	flags = json_array();
	json_object_set_new(fields, "captured", captured);
	json_object_set_new(fields, "flags", flags);
	if (q->name) {
		char name[4 * NAME_MAX_LEN + 1];

		name_text(q->name, name, sizeof(name));
		json_object_set_new(fields, "name", json_string(name));
	}
	if (q->window)
		json_object_set_new(fields, "window", json_string(q->window));
	if (q->mark)
		json_object_set_new(fields, "mark", json_string(q->mark));
	if (q->record_seq >= 0)
		json_object_set_new(fields, "record",
				    json_integer(q->record_seq));
	end = settle_capture(m, q, by->user, probe, now, captured, flags);
	if (end != STORE_NO_TIME) {
		json_object_set_new(fields, "delay_ms", json_integer(now - end));
		if (now - end > MEDIA_UPLOAD_LIMIT_MS)
			flag(flags, "late-upload");
	}
	if (atts[0].size == 0)
		flag(flags, "empty");
	if (json_is_true(json_object_get(probe, "unprobeable")))
		flag(flags, "unprobeable");
	else if (atts[0].size > 0 && !strcmp(kind, "other") &&
		 !is_media_type(atts[0].type))
		flag(flags, "unknown-format");
	else if (atts[0].size > 0 && damaged(probe))
		flag(flags, "damaged");
	if (q->type && strcmp(q->type, "surveillance") &&
	    strcmp(kind, "other") && strcmp(q->type, kind))
		flag(flags, "type-mismatch");
	if (!q->device_copy_deleted)
		flag(flags, "device-copy-kept");
	json_object_set_new(fields, "probe", probe_summary(probe));
	{
		struct stat st;

		if (stat(thumb, &st) == 0 && st.st_size > 0 &&
		    ledger_attach_file(m->ledger, thumb, &atts[1], NULL) == 0) {
			natts = 2;
			json_object_set_new(fields, "thumbnail", json_pack(
				"{s:s, s:I}", "hash", atts[1].hash, "size",
				(json_int_t)atts[1].size));
		}
	}
	rc = media_append(m, MEDIA_KIND_INGEST, case_id[0] ? case_id : NULL,
			  fields, atts, natts, by, &seq, NULL, err);
	if (rc)
		goto out;
	*out = result_json(seq, &atts[0], fields, case_id[0] ? case_id : NULL,
			   dups);
	log_info("media", "file ingested", "seq=%" PRIu64 " hash=%s size=%"
		 PRIu64 " type=%s case=%s device=%s flags=%zu ms=%" PRId64,
		 seq, atts[0].hash, atts[0].size, type,
		 case_id[0] ? case_id : "-", q->device,
		 json_array_size(flags), ledger_now_ms() - t0);
out:
	if (thumb[0])
		unlink(thumb);
	json_decref(probe);
	json_decref(fields);
	json_decref(dups);
	return rc;
}

int media_ingest(struct media *m, const struct media_ingest_req *req,
		 const struct actor *by, json_t **out, struct error *err)
{
	int skipped;

	return ingest_one(m, req, by, 0, out, &skipped, err);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists the entries of dir in name order, without dot files. */
static int list_dir(const char *dir, char ***names, size_t *n,
		    struct error *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t cap = 0;

	*names = NULL;
	*n = 0;
	if (!d)
		return error_set(err, errno == ENOENT ? CT_ENOTFOUND : CT_EIO,
				 "cannot open folder '%s': %s", dir,
				 strerror(errno));
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (*n == cap) {
			char **more = realloc(*names, (cap = cap ? cap * 2 : 64) *
							      sizeof(char *));

			if (!more)
				break;
			*names = more;
		}
		(*names)[(*n)++] = strdup(e->d_name);
	}
	closedir(d);
	if (*n)
		qsort(*names, *n, sizeof(char *), cmp_names);
	return 0;
}

struct import {
	struct media *m;
	const struct media_ingest_req *req;
	const struct actor *by;
	json_t *ingested, *failed;
	size_t skipped;
};

static void import_failed(struct import *im, const char *path,
			  const char *why)
{
	json_array_append_new(im->failed, json_pack("{s:s, s:s}", "path",
						    path, "error", why));
	log_error("media", "import of a file failed", "path=%s error=%s",
		  path, why);
}

static int import_tree(struct import *im, const char *dir, int depth)
{
	char **names;
	size_t n;
	struct error err = { 0 };
	int rc = list_dir(dir, &names, &n, &err);

	if (rc) {
		import_failed(im, dir, err.msg);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX];
		struct stat st;

		if (!names[i] || (size_t)snprintf(path, sizeof(path), "%s/%s",
						  dir, names[i]) >= sizeof(path))
			continue;
		/* A link could lead out of the dump or round in a circle. */
		if (lstat(path, &st) != 0 || S_ISLNK(st.st_mode))
			continue;
		if (S_ISDIR(st.st_mode) && depth < IMPORT_DEPTH_MAX) {
			import_tree(im, path, depth + 1);
		} else if (S_ISREG(st.st_mode)) {
			struct media_ingest_req q = *im->req;
			json_t *one = NULL;
			int skipped = 0;

			q.fd = -1;
			q.path = path;
			q.name = names[i];
			error_clear(&err);
			if (ingest_one(im->m, &q, im->by, 1, &one, &skipped,
				       &err) != 0) {
				import_failed(im, path, err.msg);
				/* A closed store fails every file alike. */
				if (err.code == CT_EPERM || err.code == CT_EINVAL)
					rc = err.code;
			} else if (skipped) {
				im->skipped++;
			} else {
				json_object_set_new(one, "path",
						    json_string(path));
				json_array_append(im->ingested, one);
			}
			json_decref(one);
			if (rc)
				break;
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int media_import_dir(struct media *m, const char *dir,
		     const struct media_ingest_req *req,
		     const struct actor *by, json_t **out, struct error *err)
{
	struct import im = { m, req, by, json_array(), json_array(), 0 };
	struct stat st;
	int rc = check_req(req, err);

	if (rc == 0 && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)))
		rc = error_set(err, CT_ENOTFOUND, "'%s' is not a folder; give "
			       "the folder of the camera's files", dir);
	if (rc == 0) {
		rc = import_tree(&im, dir, 0);
		if (rc)
			error_set(err, rc, "import stopped: %s",
				  json_string_value(json_object_get(
					  json_array_get(im.failed,
							 json_array_size(
								 im.failed) - 1),
					  "error")));
	}
	if (rc == 0) {
		*out = json_pack("{s:O, s:I, s:O}", "ingested", im.ingested,
				 "skipped", (json_int_t)im.skipped, "failed",
				 im.failed);
		log_info("media", "folder imported", "dir=%s ingested=%zu "
			 "skipped=%zu failed=%zu device=%s", dir,
			 json_array_size(im.ingested), im.skipped,
			 json_array_size(im.failed), req->device);
	}
	json_decref(im.ingested);
	json_decref(im.failed);
	return rc;
}
