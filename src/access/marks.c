/*
 * Confidentiality marks: what a record or a media file carries by itself,
 * the security administrator's changes, and hiding marked content from
 * those not cleared for it.
 *
 * A record's mark is, from lowest to highest, the default of its kind
 * (data/record-kinds.json "confidentiality"), raised by the "mark" member
 * of its fields, and raised to sensitive-personal when any string among
 * its fields contains a resident identity card number. A media file's is
 * the default of its type, raised by the mark given at ingest. A "mark"
 * entry of the security administrator replaces either, up or down.
 *
 * Marks are ordered none < commercial-secret < personal <
 * sensitive-personal where one is raised over another; clearance is a set
 * (policy.c).
 *
 * The "mark" entry: {target "record:SEQ" or "media:SEQ", mark, reason}.
 * Its projection keeps one row per target (namespace "mark") and, for a
 * record of a case, one per case and seq ("mark-case"), so that a case's
 * changed marks are one prefix scan. A record whose mark moves between
 * none and any other has its stored content resealed in the same
 * transaction (content_reseal).
 */
#include "common/common.h"

#include <ctype.h>

#include "common/log.h"
#include "content/content.h"
#include "internal.h"
#include "store/media.h"
#include "store/projection.h"

#define NS_MARK "mark"
#define NS_MARK_CASE "mark-case"

/* The maximum length of a mark change's reason, in bytes. */
#define MARK_REASON_MAX 2000

/* --- what content carries by itself -------------------------------------- */

static enum access_mark parse_or_none(const char *code)
{
	struct error ignored = { 0 };
	enum access_mark m = MARK_NONE;

	if (code && access_mark_parse(code, &m, &ignored) != 0)
		m = MARK_NONE;
	return m;
}

static enum access_mark higher(enum access_mark x, enum access_mark y)
{
	return x > y ? x : y;
}

enum access_mark access_kind_mark(struct access *a, const char *kind)
{
	const json_t *kinds = json_object_get(cases_kinds(a->cases), "kinds");
	json_t *k;
	size_t i;

	json_array_foreach(kinds, i, k)
		if (!strcmp(json_string_value(json_object_get(k, "code")) ?: "",
			    kind))
			return parse_or_none(json_string_value(
				json_object_get(k, "confidentiality")));
	return MARK_NONE;
}

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Whether the 18 bytes at s are a resident identity card number of GB
 * 11643-1999. It has an area code whose first digit is 1 to 8, a birth
 * date from 1900, a sequence number and the ISO 7064 MOD 11-2 check
 * character.
 */
static bool resident_id_at(const char *s)
{
	static const int weight[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3,
					7, 9, 10, 5, 8, 4, 2 };
	static const char check[] = "10X98765432";
	int sum = 0, year, month, day;

	for (int i = 0; i < 17; i++) {
		if (!digit(s[i]))
			return false;
		sum += (s[i] - '0') * weight[i];
	}
	if (s[0] < '1' || s[0] > '8')
		return false;
	year = (s[6] - '0') * 1000 + (s[7] - '0') * 100 + (s[8] - '0') * 10 +
	       (s[9] - '0');
	month = (s[10] - '0') * 10 + (s[11] - '0');
	day = (s[12] - '0') * 10 + (s[13] - '0');
	if (year < 1900 || year > 2099 || month < 1 || month > 12 || day < 1 ||
	    day > 31)
		return false;
	return (s[17] == 'x' ? 'X' : s[17]) == check[sum % 11];
}

/*
 * Whether text contains a resident identity card number standing alone:
 * 18 characters not preceded or followed by an ASCII letter or digit.
 */
bool access_has_resident_id(const char *text)
{
	size_t len = strlen(text);

	for (size_t i = 0; i + 18 <= len; i++) {
		if (i > 0 && (digit(text[i - 1]) ||
			      isalpha((unsigned char)text[i - 1])))
			continue;
		if (i + 18 < len && (digit(text[i + 18]) ||
				     isalpha((unsigned char)text[i + 18])))
			continue;
		if (resident_id_at(text + i))
			return true;
	}
	return false;
}

/* Whether any string inside v (objects and arrays walked) has one. */
static bool holds_resident_id(const json_t *v, int depth)
{
	const char *key;
	json_t *item;
	size_t i;

	if (depth > 64)
		return false;
	if (json_is_string(v))
		return access_has_resident_id(json_string_value(v));
	if (json_is_array(v)) {
		json_array_foreach(v, i, item)
			if (holds_resident_id(item, depth + 1))
				return true;
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, item)
			if (holds_resident_id(item, depth + 1))
				return true;
	}
	return false;
}

enum access_mark access_content_mark(struct access *a, const char *kind,
				     const json_t *fields)
{
	enum access_mark m;

	/* A correction carries the fields of the kind it corrects. */
	if (!strcmp(kind, "correction") && fields) {
		const char *of = json_string_value(json_object_get(fields,
								   "kind"));

		m = higher(access_kind_mark(a, kind),
			   parse_or_none(json_string_value(
				   json_object_get(fields, "mark"))));
		if (of && strcmp(of, "correction"))
			m = higher(m, access_content_mark(
					   a, of, json_object_get(fields,
								  "fields")));
		return m;
	}
	m = access_kind_mark(a, kind);
	if (!fields)
		return m;
	m = higher(m, parse_or_none(json_string_value(json_object_get(
			      fields, "mark"))));
	if (m < MARK_SENSITIVE_PERSONAL && holds_resident_id(fields, 0))
		m = MARK_SENSITIVE_PERSONAL;
	return m;
}

/* The marker of cases_show's renderings (cases_set_marker). */
static const char *render_mark(void *ctx, const char *kind,
			       const json_t *fields)
{
	return access_mark_code(access_content_mark(ctx, kind, fields));
}

void marks_attach(struct access *a)
{
	cases_set_marker(a->cases, render_mark, a);
}

enum access_mark access_media_type_mark(const char *type)
{
	/* Pictures show faces; sound records voices and names. */
	if (!type || !strcmp(type, "photo") || !strcmp(type, "video") ||
	    !strcmp(type, "surveillance"))
		return MARK_SENSITIVE_PERSONAL;
	if (!strcmp(type, "audio"))
		return MARK_PERSONAL;
	/* Neither picture nor sound ("other"): marked only when asked. */
	return MARK_NONE;
}

/* --- the security administrator's changes -------------------------------- */

int access_mark_override(struct access *a, const char *target,
			 enum access_mark *out, struct error *err)
{
	struct buf body = BUF_INIT_MAX(1 << 16);
	struct store *s;
	json_t *row = NULL;
	int rc = ledger_read_begin(a->ledger, &s, err);

	if (rc)
		return rc;
	rc = store_kv_get(s, NS_MARK, target, &body, NULL, err);
	ledger_read_end(a->ledger, s);
	if (rc == 0 && !(row = json_loadb(body.data, body.len, 0, NULL)))
		rc = error_set(err, CT_ECORRUPT, "the mark row of '%s' is not "
			       "JSON; run 'casetrail rebuild'", target);
	if (rc == 0)
		*out = parse_or_none(json_string_value(json_object_get(row,
								       "mark")));
	json_decref(row);
	buf_release(&body);
	return rc;
}

int access_media_mark(struct access *a, const json_t *row,
		      enum access_mark *out, struct error *err)
{
	char target[64];
	int rc;

	snprintf(target, sizeof(target), "media:%" PRId64,
		 (int64_t)json_integer_value(json_object_get(row, "seq")));
	rc = access_mark_override(a, target, out, err);
	if (rc != CT_ENOTFOUND)
		return rc;
	error_clear(err);
	*out = higher(access_media_type_mark(json_string_value(
			      json_object_get(row, "type"))),
		      parse_or_none(json_string_value(json_object_get(
			      row, "mark"))));
	return 0;
}

static int collect_override(void *ctx, const char *key, uint64_t seq,
			    const char *body, size_t len)
{
	json_t *row = json_loadb(body, len, 0, NULL);
	const char *slash = strrchr(key, '/');
	json_t *newest = json_object_get(ctx, "");

	if (row && slash)
		json_object_set(ctx, slash + 1, json_object_get(row, "mark"));
	if (!newest || seq > (uint64_t)json_integer_value(newest))
		json_object_set_new(ctx, "", json_integer((json_int_t)seq));
	json_decref(row);
	return 0;
}

int access_case_overrides(struct access *a, const char *case_id,
			  json_t **out, struct error *err)
{
	char prefix[CASE_ID_MAX + 2];
	struct store *s;
	int rc;

	*out = json_object();
	if (!*out)
		return error_set(err, CT_ENOMEM, "out of memory");
	snprintf(prefix, sizeof(prefix), "%s/", case_id);
	rc = ledger_read_begin(a->ledger, &s, err);
	if (rc == 0) {
		rc = store_kv_scan(s, NS_MARK_CASE, prefix, false, 0, 0,
				   collect_override, *out, NULL, err);
		ledger_read_end(a->ledger, s);
	}
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/* Parses "record:SEQ" or "media:SEQ", setting *is_media for the latter. */
static int parse_target(const char *target, bool *is_media, uint64_t *seq,
			struct error *err)
{
	const char *num;
	char *end;

	if (!strncmp(target, "record:", 7))
		num = target + 7, *is_media = false;
	else if (!strncmp(target, "media:", 6))
		num = target + 6, *is_media = true;
	else
		num = NULL;
	if (!num || !digit(num[0]) || (num[0] == '0' && num[1]))
		return error_set(err, CT_EINVAL, "mark target '%s' is invalid; "
				 "give record:SEQ or media:SEQ", target);
	errno = 0;
	*seq = strtoull(num, &end, 10);
	if (*end || errno || *seq > INT64_MAX)
		return error_set(err, CT_EINVAL, "mark target '%s' is invalid; "
				 "give record:SEQ or media:SEQ", target);
	return 0;
}

/* Kinds whose entries are no record a mark could protect. */
static bool unmarkable_kind(struct access *a, const char *kind)
{
	static const char *const kinds[] = {
		"expunge", "purge", "user", "token", "token-revoke",
		"calendar", "deadline-recompute", "finding",
	};

	if (!strncmp(kind, "media-", 6))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (!strcmp(kind, kinds[i]))
			return true;
	return access_owns(a, kind);
}

/*
 * The mark record seq carries by itself, read inside the projection's
 * transaction. Content that is gone leaves its kind's default.
 */
static int stored_content_mark(struct access *a, struct store *s,
			       uint64_t seq, const char *kind,
			       enum access_mark *out, struct error *err)
{
	struct buf entry = BUF_INIT_MAX(LEDGER_ENTRY_MAX + 1);
	struct content c;
	json_t *env = NULL, *fields = NULL;
	int rc;

	content_init(&c);
	rc = store_entry_get(s, seq, &entry, err);
	if (rc == 0 && !(env = json_loadb(entry.data, entry.len, 0, NULL)))
		rc = error_set(err, CT_ECORRUPT, "entry %" PRIu64 " is not "
			       "JSON", seq);
	if (rc == 0)
		rc = content_get(s, a->alg, seq,
				 json_string_value(json_object_get(env,
								   "content"))
					 ?: "",
				 &c, err);
	json_decref(env);
	buf_release(&entry);
	if (rc == CT_ENOTFOUND) {
		error_clear(err);
		*out = access_kind_mark(a, kind);
		content_release(&c);
		return 0;
	}
	if (rc == 0 && !(fields = json_loadb(c.fields.data, c.fields.len, 0,
					     NULL)))
		rc = error_set(err, CT_ECORRUPT, "the content of entry %" PRIu64
			       " is not JSON", seq);
	if (rc == 0)
		*out = access_content_mark(a, kind, fields);
	json_decref(fields);
	content_release(&c);
	return rc;
}

/*
 * Finds what a mark entry changes: the case of its target and the mark
 * the target had before. Unless replaying, a target that does not exist
 * or cannot be marked rejects the entry.
 */
static int target_state(struct access *a, struct store *s,
			const struct cases_entry *e, const char *target,
			char *case_id, size_t n, enum access_mark *before,
			bool *is_media, uint64_t *seq, struct error *err)
{
	struct buf body = BUF_INIT_MAX(1 << 20);
	char kind[64] = "";
	json_t *row = NULL, *old = NULL;
	int rc = parse_target(target, is_media, seq, err);

	case_id[0] = '\0';
	if (rc)
		return rc;
	if (*seq >= e->seq)
		return error_set(err, CT_ENOTFOUND, "mark target '%s' is not "
				 "an earlier entry", target);
	rc = store_kv_get(s, NS_MARK, target, &body, NULL, err);
	if (rc == 0 && (old = json_loadb(body.data, body.len, 0, NULL)))
		*before = parse_or_none(json_string_value(
			json_object_get(old, "mark")));
	json_decref(old);
	if (rc != 0 && rc != CT_ENOTFOUND)
		goto out;
	if (*is_media) {
		rc = store_media_get(s, *seq, &body, err);
		if (rc == CT_ENOTFOUND)
			rc = error_set(err, CT_ENOTFOUND, "media %" PRIu64
				       " not found; give the seq of a "
				       "media-ingest entry", *seq);
		if (rc == 0 && !(row = json_loadb(body.data, body.len, 0,
						  NULL)))
			rc = error_set(err, CT_ECORRUPT, "the media row of %"
				       PRIu64 " is not JSON", *seq);
		if (rc == 0) {
			snprintf(case_id, n, "%s", json_string_value(
				 json_object_get(row, "case")) ?: "");
			if (!old)
				*before = higher(
					access_media_type_mark(json_string_value(
						json_object_get(row, "type"))),
					parse_or_none(json_string_value(
						json_object_get(row, "mark"))));
		}
		json_decref(row);
		goto out;
	}
	rc = store_record_get(s, *seq, case_id, n, kind, sizeof(kind), NULL,
			      err);
	if (rc == CT_ENOTFOUND)
		rc = error_set(err, CT_ENOTFOUND, "record %" PRIu64 " not "
			       "found", *seq);
	if (rc == 0 && unmarkable_kind(a, kind))
		rc = error_set(err, CT_EINVAL, "entry %" PRIu64 " is a %s "
			       "entry, not a record whose content a mark "
			       "protects", *seq, kind);
	if (rc == 0 && !old)
		rc = stored_content_mark(a, s, *seq, kind, before, err);
out:
	buf_release(&body);
	return rc;
}

int store_user_has_role(struct store *s, const char *name, const char *role,
			bool *has, struct error *err)
{
	struct buf body = BUF_INIT_MAX(1 << 20);
	json_t *u = NULL, *r;
	size_t i;
	int rc = store_user_get(s, name, &body, err);

	*has = false;
	if (rc == CT_ENOTFOUND) {
		error_clear(err);
		rc = 0;
	} else if (rc == 0 && !(u = json_loadb(body.data, body.len, 0,
					       NULL))) {
		rc = error_set(err, CT_ECORRUPT, "the row of user '%s' is not "
			       "JSON", name);
	}
	buf_release(&body);
	json_array_foreach(json_object_get(u, "roles"), i, r)
		*has |= !strcmp(json_string_value(r) ?: "", role);
	json_decref(u);
	return rc;
}

/* The actor of a mark entry must hold the security administrator role. */
static int check_secadmin(struct store *s, const char *actor,
			  struct error *err)
{
	bool has;
	int rc = store_user_has_role(s, actor, "secadmin", &has, err);

	if (rc == 0 && !has)
		rc = error_set(err, CT_EPERM, "'%s' is not a security "
			       "administrator; only the security "
			       "administrator changes marks", actor);
	return rc;
}

int project_mark(struct access *a, struct store *s,
		 const struct cases_entry *e, struct error *err)
{
	const char *target = json_string_value(json_object_get(e->fields,
								"target"));
	const char *code = json_string_value(json_object_get(e->fields,
							      "mark"));
	const char *reason = json_string_value(json_object_get(e->fields,
								"reason"));
	char case_id[CASE_ID_MAX + 1], key[CASE_ID_MAX + 32], when[32];
	enum access_mark mark, before = MARK_NONE;
	bool is_media = false;
	uint64_t seq = 0;
	json_t *row;
	char *text;
	int rc;

	if (!target || !code || !reason || !reason[0])
		return error_set(err, CT_EINVAL, "a mark entry needs target, "
				 "mark and reason");
	rc = access_mark_parse(code, &mark, err);
	if (rc == 0 && !e->replaying)
		rc = check_secadmin(s, e->actor, err);
	if (rc == 0)
		rc = target_state(a, s, e, target, case_id, sizeof(case_id),
				  &before, &is_media, &seq, err);
	if (rc && e->replaying && rc != CT_ENOMEM && rc != CT_EIO) {
		log_warn("access", "mark entry not projected", "seq=%" PRIu64
			 " target=%s", e->seq, target);
		error_clear(err);
		return 0;
	}
	if (rc)
		return rc;
	cases_time_format(e->ts_ms, when);
	row = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s}", "target", target,
			"mark", access_mark_code(mark), "previous",
			access_mark_code(before), "reason", reason, "by",
			e->actor, "seq", (json_int_t)e->seq, "at", when);
	if (case_id[0])
		json_object_set_new(row, "case", json_string(case_id));
	text = row ? json_dumps(row, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(row);
	if (!text)
		return error_set(err, CT_ENOMEM, "out of memory");
	rc = store_kv_put(s, NS_MARK, target, e->seq, text, err);
	if (rc == 0 && !is_media && case_id[0]) {
		snprintf(key, sizeof(key), "%s/%" PRIu64, case_id, seq);
		rc = store_kv_put(s, NS_MARK_CASE, key, e->seq, text, err);
	}
	free(text);
	/* Content already stored stays as the log's replay finds it. */
	if (rc == 0 && !is_media && !e->replaying &&
	    (before == MARK_NONE) != (mark == MARK_NONE)) {
		rc = content_reseal(s, seq, mark != MARK_NONE, err);
		if (rc == CT_ENOTFOUND) {
			error_clear(err);
			rc = 0;
		}
	}
	return rc;
}

int access_mark_set(struct access *a, const struct principal *p,
		    const char *os_user, const char *target, const char *mark,
		    const char *reason, json_t **out, struct error *err)
{
	struct access_target t = { 0 };
	struct ledger_record rec = { .kind = "mark", .actor = p->user,
				     .supersedes = -1 };
	struct ledger_receipt receipt;
	enum access_mark m;
	bool is_media;
	uint64_t seq;
	json_t *fields;
	int rc;

	*out = NULL;
	rc = access_mark_parse(mark, &m, err);
	if (rc == 0)
		rc = parse_target(target, &is_media, &seq, err);
	if (rc)
		return rc;
	if (!reason || !reason[0])
		return error_set(err, CT_EINVAL, "a mark change needs a reason");
	if (strlen(reason) > MARK_REASON_MAX)
		return error_set(err, CT_EINVAL, "the reason is longer than %d "
				 "bytes", MARK_REASON_MAX);
	rc = access_decide(a, p, ACT_MARK_SET, &t, err);
	if (rc)
		return rc;
	rec.os_user = os_user;
	fields = json_pack("{s:s, s:s, s:s}", "target", target, "mark",
			   access_mark_code(m), "reason", reason);
	rec.fields = fields;
	rc = ledger_append(a->ledger, &rec, &receipt, err);
	json_decref(fields);
	if (rc)
		return rc;
	log_info("access", "mark changed", "target=%s mark=%s seq=%" PRIu64
		 " user=%s", target, access_mark_code(m), receipt.seq,
		 p->user);
	return access_mark_get(a, target, out, err);
}

int access_mark_get(struct access *a, const char *target, json_t **out,
		    struct error *err)
{
	struct buf body = BUF_INIT_MAX(1 << 16);
	struct store *s;
	int rc = ledger_read_begin(a->ledger, &s, err);

	*out = NULL;
	if (rc)
		return rc;
	rc = store_kv_get(s, NS_MARK, target, &body, NULL, err);
	ledger_read_end(a->ledger, s);
	if (rc == CT_ENOTFOUND)
		rc = error_set(err, CT_ENOTFOUND, "no mark was set on '%s'",
			       target);
	if (rc == 0 && !(*out = json_loadb(body.data, body.len, 0, NULL)))
		rc = error_set(err, CT_ECORRUPT, "the mark row of '%s' is not "
			       "JSON; run 'casetrail rebuild'", target);
	buf_release(&body);
	return rc;
}

int access_record_case(struct access *a, uint64_t seq, char *case_id,
		       char *kind, struct error *err)
{
	char case_buf[CASE_ID_MAX + 1], kind_buf[64];
	struct store *s;
	int rc = ledger_read_begin(a->ledger, &s, err);

	if (rc)
		return rc;
	rc = store_record_get(s, seq, case_buf, sizeof(case_buf), kind_buf,
			      sizeof(kind_buf), NULL, err);
	ledger_read_end(a->ledger, s);
	if (rc == CT_ENOTFOUND)
		return error_set(err, CT_ENOTFOUND, "record %" PRIu64 " not "
				 "found", seq);
	if (rc)
		return rc;
	if (case_id)
		memcpy(case_id, case_buf, sizeof(case_buf));
	if (kind)
		memcpy(kind, kind_buf, sizeof(kind_buf));
	return 0;
}

/* --- hiding marked content ------------------------------------------------ */

json_t *access_record_stub(const json_t *record, enum access_mark m,
			   const char *why)
{
	static const char *const kept[] = { "seq", "kind", "name", "recorded",
					    "happened", "case" };
	json_t *stub = json_object();

	for (size_t i = 0; i < ARRAY_SIZE(kept); i++) {
		json_t *v = json_object_get(record, kept[i]);

		if (v)
			json_object_set(stub, kept[i], v);
	}
	json_object_set_new(stub, "mark", json_string(access_mark_code(m)));
	json_object_set_new(stub, "withheld", json_string(why));
	return stub;
}

/* The case summary's members that carry the applicant's personal data. */
static const char *const personal_members[] = { "applicant_id", "contact",
						"address" };

enum access_mark access_redact_summary(const struct principal *p,
				       json_t *summary)
{
	enum access_mark need = MARK_PERSONAL, shown = MARK_NONE;

	for (size_t i = 0; i < ARRAY_SIZE(personal_members); i++) {
		const char *v = json_string_value(json_object_get(
			summary, personal_members[i]));

		if (v && access_has_resident_id(v))
			need = MARK_SENSITIVE_PERSONAL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(personal_members); i++) {
		json_t *v = json_object_get(summary, personal_members[i]);

		if (!v || json_is_null(v))
			continue;
		if (access_cleared(p, need))
			shown = need;
		else
			json_object_del(summary, personal_members[i]);
	}
	return shown;
}

int access_redact_records(struct access *a, const struct principal *p,
			  json_t *records, const json_t *overrides,
			  uint32_t readable, enum access_mark *shown)
{
	json_t *rec;
	size_t i;

	(void)a;
	json_array_foreach(records, i, rec) {
		char seq[24];
		const char *code;
		enum access_mark m;

		snprintf(seq, sizeof(seq), "%" PRId64,
			 (int64_t)json_integer_value(json_object_get(rec,
								     "seq")));
		code = json_string_value(json_object_get(overrides, seq));
		if (!code)
			code = json_string_value(json_object_get(rec, "mark"));
		m = parse_or_none(code);
		if (readable & (1u << m)) {
			json_object_set_new(rec, "mark",
					    json_string(access_mark_code(m)));
			if (m > *shown)
				*shown = m;
			continue;
		}
		json_array_set_new(records, i, access_record_stub(
			rec, m, access_cleared(p, m)
				? "the reader may not read the records of "
				  "this case"
				: "the reader is not cleared for its mark"));
	}
	return 0;
}
