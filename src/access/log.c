/*
 * The access log: every read of marked content and every refused attempt
 * is an "access" entry of the ledger, {user, action, case, target, mark,
 * outcome "read" or "refused", from, reason}, by the user it names. The
 * entry names no case in its envelope, so that it never joins a case's
 * timeline; its content does.
 *
 * The projection keeps each entry under three keys of the named-row
 * table: by seq ("access"), by user ("access-user") and by case
 * ("access-case"), so that each filter of the log is one prefix scan.
 * It also counts each user's refusals ("refusals"): ACCESS_REFUSALS_MAX
 * within ACCESS_REFUSALS_WINDOW_MS raise the finding unauthorized-access
 * and start the count again. Counting happens in the projection, so a
 * rebuild from the log raises the same findings at the same times.
 *
 * The acts of the system and security administrators are kept too
 * ("audit", "audit-user"), for the security auditor: every entry of the
 * access module by a user who held sysadmin or secadmin when it was
 * recorded. Only the members of its content that name what was done are
 * kept, never a password hash, key or token.
 */
#include "common/common.h"

#include "common/jcs.h"
#include "common/log.h"
#include "internal.h"
#include "store/projection.h"

#define NS_ACCESS "access"
#define NS_ACCESS_USER "access-user"
#define NS_ACCESS_CASE "access-case"
#define NS_REFUSALS "refusals"
#define NS_AUDIT "audit"
#define NS_AUDIT_USER "audit-user"

/* The maximum length of a reason or target in an access entry, in bytes. */
#define EVENT_TEXT_MAX 1000

#define LIST_LIMIT_DEFAULT 50
#define LIST_LIMIT_MAX 500

/*
 * Copies at most EVENT_TEXT_MAX bytes of text, cut at a character. Text
 * that is not UTF-8 (a request's raw bytes) is kept with every byte
 * outside printable ASCII written as \xNN.
 */
static json_t *bounded(const char *text)
{
	static const char hex[] = "0123456789abcdef";
	char safe[4 * EVENT_TEXT_MAX + 1];
	size_t len = strlen(text), o = 0;

	if (jcs_utf8_valid(text, len)) {
		if (len <= EVENT_TEXT_MAX)
			return json_string(text);
		len = EVENT_TEXT_MAX;
		while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
			len--;
		return json_stringn(text, len);
	}
	for (size_t i = 0; i < len && o + 4 < sizeof(safe); i++) {
		unsigned char ch = (unsigned char)text[i];

		if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
			safe[o++] = (char)ch;
			continue;
		}
		safe[o++] = '\\';
		safe[o++] = 'x';
		safe[o++] = hex[ch >> 4];
		safe[o++] = hex[ch & 0xf];
	}
	return json_stringn(safe, o);
}

int access_log(struct access *a, const struct principal *p,
	       const struct access_event *ev, struct error *err)
{
	struct ledger_record rec = { .kind = "access", .supersedes = -1 };
	struct ledger_receipt receipt;
	json_t *fields;
	int rc;

	if (!p || !p->user[0])
		return error_set(err, CT_EINVAL, "an access entry needs the "
				 "user who acted");
	fields = json_pack("{s:s, s:s, s:s, s:s, s:s}", "user", p->user,
			   "action", access_action_name(ev->action), "mark",
			   access_mark_code(ev->mark), "outcome",
			   ev->refused ? "refused" : "read", "from",
			   p->addr[0] ? p->addr : "unknown");
	if (!fields)
		return error_set(err, CT_ENOMEM, "out of memory");
	if (ev->case_id && ev->case_id[0])
		json_object_set_new(fields, "case", bounded(ev->case_id));
	if (ev->target && ev->target[0])
		json_object_set_new(fields, "target", bounded(ev->target));
	if (ev->refused && ev->reason)
		json_object_set_new(fields, "reason", bounded(ev->reason));
	rec.actor = p->user;
	rec.os_user = ev->os_user;
	rec.fields = fields;
	rc = ledger_append(a->ledger, &rec, &receipt, err);
	json_decref(fields);
	if (rc) {
		log_error("access", "cannot record an access", "user=%s "
			  "action=%s code=%d", p->user,
			  access_action_name(ev->action), rc);
		return rc;
	}
	if (ev->refused)
		log_info("access", "refused", "user=%s action=%s seq=%" PRIu64,
			 p->user, access_action_name(ev->action), receipt.seq);
	return 0;
}

/* --- projection ----------------------------------------------------------- */

static int put_json(struct store *s, const char *ns, const char *key,
		    uint64_t seq, const json_t *v, struct error *err)
{
	char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
	int rc;

	if (!text)
		return error_set(err, CT_ENOMEM, "out of memory");
	rc = store_kv_put(s, ns, key, seq, text, err);
	free(text);
	return rc;
}

/*
 * Adds a refusal at e to the user's recent ones; at ACCESS_REFUSALS_MAX
 * within the window, raises unauthorized-access and starts again.
 */
static int count_refusal(struct access *a, struct store *s,
			 const struct cases_entry *e, const char *user,
			 struct error *err)
{
	struct buf body = BUF_INIT_MAX(1 << 16);
	json_t *row = NULL, *recent = json_array(), *v;
	int64_t since = e->ts_ms - ACCESS_REFUSALS_WINDOW_MS;
	size_t i;
	int rc = store_kv_get(s, NS_REFUSALS, user, &body, NULL, err);

	if (rc == CT_ENOTFOUND) {
		error_clear(err);
		rc = 0;
	} else if (rc == 0) {
		row = json_loadb(body.data, body.len, 0, NULL);
	}
	buf_release(&body);
	json_array_foreach(json_object_get(row, "recent"), i, v)
		if (json_integer_value(json_object_get(v, "ts")) > since)
			json_array_append(recent, v);
	json_decref(row);
	json_array_append_new(recent, json_pack(
		"{s:I, s:I}", "seq", (json_int_t)e->seq, "ts",
		(json_int_t)e->ts_ms));
	if (rc == 0 && json_array_size(recent) >= ACCESS_REFUSALS_MAX) {
		char detail[256];
		json_t *seqs = json_array(), *extra;

		json_array_foreach(recent, i, v)
			json_array_append(seqs, json_object_get(v, "seq"));
		snprintf(detail, sizeof(detail), "用户 %s 在 %lld 分钟内 %zu "
			 "次越权访问被拒绝", user,
			 (long long)(ACCESS_REFUSALS_WINDOW_MS / 60000),
			 json_array_size(recent));
		extra = json_pack("{s:s, s:o, s:I}", "detail", detail,
				  "refusals", seqs, "window_ms",
				  (json_int_t)ACCESS_REFUSALS_WINDOW_MS);
		rc = cases_finding_raise(a->cases, s, "unauthorized-access",
					 e->seq, e->ts_ms, user, user, extra,
					 err);
		json_decref(extra);
		json_array_clear(recent);
		if (rc == 0)
			log_warn("access", "repeated refusals", "user=%s "
				 "seq=%" PRIu64, user, e->seq);
	}
	row = json_pack("{s:o}", "recent", recent);
	if (rc == 0)
		rc = put_json(s, NS_REFUSALS, user, e->seq, row, err);
	json_decref(row);
	return rc;
}

int project_access(struct access *a, struct store *s,
		   const struct cases_entry *e, struct error *err)
{
	const char *user = json_string_value(json_object_get(e->fields,
							      "user"));
	const char *outcome = json_string_value(json_object_get(e->fields,
								 "outcome"));
	const char *case_id = json_string_value(json_object_get(e->fields,
								 "case"));
	char key[LEDGER_NAME_MAX + CASE_ID_MAX + 32], when[32];
	json_t *row;
	int rc;

	if (!user || !outcome ||
	    (strcmp(outcome, "read") && strcmp(outcome, "refused")))
		return error_set(err, CT_EINVAL, "an access entry needs user "
				 "and outcome (read or refused)");
	if (!e->replaying && strcmp(user, e->actor))
		return error_set(err, CT_EINVAL, "an access entry records the "
				 "acts of its own actor, not of '%s'", user);
	cases_time_format(e->ts_ms, when);
	row = json_deep_copy(e->fields);
	json_object_set_new(row, "seq", json_integer((json_int_t)e->seq));
	json_object_set_new(row, "at", json_string(when));
	snprintf(key, sizeof(key), "%020" PRIu64, e->seq);
	rc = put_json(s, NS_ACCESS, key, e->seq, row, err);
	snprintf(key, sizeof(key), "%s\x1f%020" PRIu64, user, e->seq);
	if (rc == 0)
		rc = put_json(s, NS_ACCESS_USER, key, e->seq, row, err);
	if (rc == 0 && case_id && strlen(case_id) <= CASE_ID_MAX) {
		snprintf(key, sizeof(key), "%s\x1f%020" PRIu64, case_id,
			 e->seq);
		rc = put_json(s, NS_ACCESS_CASE, key, e->seq, row, err);
	}
	json_decref(row);
	if (rc == 0 && !strcmp(outcome, "refused"))
		rc = count_refusal(a, s, e, user, err);
	return rc;
}

/* Members of an administrator's act that the audit view shows. */
static const char *const audit_members[] = {
	"user", "name", "display_name", "target", "mark", "previous",
	"reason", "role", "roles", "unit", "clearance", "cases", "case",
	"disabled", "superior", "seq", "blob", "action", "expires",
	"revoked", "key_id",
};

static bool holds_admin_role(struct store *s, const char *name)
{
	struct buf body = BUF_INIT_MAX(1 << 20);
	json_t *u = NULL, *r;
	bool admin = false;
	size_t i;

	if (store_user_get(s, name, &body, NULL) == 0)
		u = json_loadb(body.data, body.len, 0, NULL);
	buf_release(&body);
	json_array_foreach(json_object_get(u, "roles"), i, r) {
		const char *code = json_string_value(r) ?: "";

		admin |= !strcmp(code, "sysadmin") || !strcmp(code, "secadmin");
	}
	json_decref(u);
	return admin;
}

int audit_note(struct access *a, struct store *s, const struct cases_entry *e,
	       struct error *err)
{
	char key[LEDGER_NAME_MAX + 32], when[32];
	json_t *row, *shown;
	int rc;

	(void)a;
	if (!strcmp(e->kind, "access") || !holds_admin_role(s, e->actor))
		return 0;
	shown = json_object();
	for (size_t i = 0; i < ARRAY_SIZE(audit_members); i++) {
		json_t *v = json_object_get(e->fields, audit_members[i]);

		if (v)
			json_object_set(shown, audit_members[i], v);
	}
	cases_time_format(e->ts_ms, when);
	row = json_pack("{s:I, s:s, s:s, s:s, s:o}", "seq", (json_int_t)e->seq,
			"at", when, "kind", e->kind, "actor", e->actor,
			"fields", shown);
	snprintf(key, sizeof(key), "%020" PRIu64, e->seq);
	rc = put_json(s, NS_AUDIT, key, e->seq, row, err);
	snprintf(key, sizeof(key), "%s\x1f%020" PRIu64, e->actor, e->seq);
	if (rc == 0)
		rc = put_json(s, NS_AUDIT_USER, key, e->seq, row, err);
	json_decref(row);
	return rc;
}

int audit_observe(void *ctx, struct store *s, const struct cases_entry *e,
		  struct error *err)
{
	return audit_note(ctx, s, e, err);
}

/* --- reading -------------------------------------------------------------- */

struct list_ctx {
	json_t *items;
	const char *case_id, *outcome, *kind; /* filters, NULL for any */
	size_t skip, limit, matched;
	bool filtered; /* the filters above are applied here, not by SQL */
};

static int list_row(void *ctx, const char *key, uint64_t seq,
		    const char *body, size_t len)
{
	struct list_ctx *lc = ctx;
	json_t *row = json_loadb(body, len, 0, NULL);

	(void)key, (void)seq;
	if (!row)
		return 0;
	if (lc->filtered &&
	    ((lc->case_id && strcmp(json_string_value(json_object_get(
					    row, "case")) ?: "", lc->case_id)) ||
	     (lc->outcome && strcmp(json_string_value(json_object_get(
					    row, "outcome")) ?: "",
				    lc->outcome)) ||
	     (lc->kind && strcmp(json_string_value(json_object_get(
					 row, "kind")) ?: "", lc->kind)))) {
		json_decref(row);
		return 0;
	}
	lc->matched++;
	if (lc->filtered && (lc->matched <= lc->skip ||
			     lc->matched > lc->skip + lc->limit)) {
		json_decref(row);
		return 0;
	}
	json_array_append_new(lc->items, row);
	return 0;
}

static size_t page_limit(size_t limit)
{
	if (limit == 0)
		return LIST_LIMIT_DEFAULT;
	return limit > LIST_LIMIT_MAX ? LIST_LIMIT_MAX : limit;
}

/*
 * Scans ns under prefix, newest first, applying lc's filters and page.
 * Without filters SQL pages and counts; with them every row is read.
 */
static int scan_page(struct access *a, const char *ns, const char *prefix,
		     struct list_ctx *lc, size_t offset, json_t **out,
		     struct error *err)
{
	uint64_t total = 0;
	struct store *s;
	int rc;

	lc->items = json_array();
	lc->skip = offset;
	rc = ledger_read_begin(a->ledger, &s, err);
	if (rc == 0) {
		rc = lc->filtered
			     ? store_kv_scan(s, ns, prefix, true, 0, 0, list_row,
					     lc, NULL, err)
			     : store_kv_scan(s, ns, prefix, true, offset,
					     lc->limit, list_row, lc, &total,
					     err);
		ledger_read_end(a->ledger, s);
	}
	if (rc) {
		json_decref(lc->items);
		return rc;
	}
	if (lc->filtered)
		total = lc->matched;
	*out = json_pack("{s:o, s:I, s:I, s:I}", "items", lc->items, "total",
			 (json_int_t)total, "offset", (json_int_t)offset,
			 "limit", (json_int_t)lc->limit);
	return *out ? 0 : error_set(err, CT_ENOMEM, "out of memory");
}

static int check_name(const char *what, const char *value, size_t max,
		      struct error *err)
{
	if (!value)
		return 0;
	if (!value[0] || strlen(value) > max || strchr(value, '\x1f'))
		return error_set(err, CT_EINVAL, "%s '%s' is invalid", what,
				 value);
	return 0;
}

int access_log_list(struct access *a, const struct access_log_query *q,
		    json_t **out, struct error *err)
{
	struct list_ctx lc = { .limit = page_limit(q->limit) };
	char prefix[LEDGER_NAME_MAX + CASE_ID_MAX + 8];
	const char *ns = NS_ACCESS;
	int rc;

	*out = NULL;
	rc = check_name("user", q->user, LEDGER_NAME_MAX, err);
	if (rc == 0)
		rc = check_name("case", q->case_id, CASE_ID_MAX, err);
	if (rc == 0 && q->outcome && strcmp(q->outcome, "read") &&
	    strcmp(q->outcome, "refused"))
		rc = error_set(err, CT_EINVAL, "outcome '%s' is invalid; use "
			       "read or refused", q->outcome);
	if (rc)
		return rc;
	prefix[0] = '\0';
	lc.outcome = q->outcome;
	if (q->user) {
		ns = NS_ACCESS_USER;
		snprintf(prefix, sizeof(prefix), "%s\x1f", q->user);
		lc.case_id = q->case_id;
	} else if (q->case_id) {
		ns = NS_ACCESS_CASE;
		snprintf(prefix, sizeof(prefix), "%s\x1f", q->case_id);
	}
	lc.filtered = lc.case_id || lc.outcome;
	return scan_page(a, ns, prefix, &lc, q->offset, out, err);
}

int access_audit_list(struct access *a, const char *user, const char *kind,
		      size_t offset, size_t limit, json_t **out,
		      struct error *err)
{
	struct list_ctx lc = { .limit = page_limit(limit), .kind = kind };
	char prefix[LEDGER_NAME_MAX + 8] = "";
	int rc = check_name("user", user, LEDGER_NAME_MAX, err);

	*out = NULL;
	if (rc == 0)
		rc = check_name("kind", kind, 64, err);
	if (rc)
		return rc;
	if (user)
		snprintf(prefix, sizeof(prefix), "%s\x1f", user);
	lc.filtered = kind != NULL;
	return scan_page(a, user ? NS_AUDIT_USER : NS_AUDIT, prefix, &lc,
			 offset, out, err);
}
