/*
 * Copy requests: numbering, the request, the decision, the sweep that
 * raises copy-request-overdue, lists and the making of a copy set. The
 * settings are read by copies_config.c and the rows kept by the
 * projectors of copies_proj.c.
 *
 * The overdue finding is raised by an entry (copy-overdue) rather than
 * by the projection alone: a rebuild replays the log without the sweep,
 * and the entry makes the finding, with its detection time, part of
 * what it replays. A decision cures it at the decision's time. A
 * decision made late without a sweep before it records that it was late
 * and raises and cures the finding at once.
 */
#include "common/common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "copies_internal.h"
#include "store/kv.h"
#include "store/media.h"
#include "store/projection.h"

#define PURPOSE_MAX 2000
#define REASONS_MAX 4000
#define NAME_MAX_BYTES 600
#define ITEMS_MAX 500

static const char *str_of(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static json_int_t int_of(const json_t *o, const char *key, json_int_t def)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? json_integer_value(v) : def;
}

/* --- ids, numbers and time limits ----------------------------------------- */

int copy_id_key(const char *id, char key[32], struct error *err)
{
	unsigned long year = 0, n = 0;
	const char *p = id;
	size_t digits = 0;

	for (; *p >= '0' && *p <= '9' && digits < 5; p++, digits++)
		year = year * 10 + (unsigned long)(*p - '0');
	if (digits != 4 || *p != '-' || p[1] == '0' || !p[1])
		goto invalid;
	for (p++, digits = 0; *p >= '0' && *p <= '9' && digits < 10;
	     p++, digits++)
		n = n * 10 + (unsigned long)(*p - '0');
	if (*p || digits > 9 || year < CAL_YEAR_MIN || year > CAL_YEAR_MAX)
		goto invalid;
	snprintf(key, 32, "%04lu-%09lu", year, n);
	return 0;
invalid:
	return error_set(err, CT_EINVAL, "copy request id '%.40s' is "
			 "invalid; it is <year>-<n>, such as 2026-1", id);
}

int copy_due(struct access *a, int64_t received_ms, const json_t *limit,
	     struct due *due, struct error *err)
{
	enum limit_unit unit = UNIT_WORKING_DAYS;
	const char *text = str_of(limit, "unit");
	int32_t day = day_of_ms(received_ms);

	if (text)
		limit_unit_parse(text, &unit);
	return deadline_after(cases_calendar_get(a->cases), day,
			      day_start_ms(day), (int)int_of(limit, "value", 0),
			      unit, NULL, 0, due, NULL, err);
}

struct counter_ctx {
	char name[128];
	uint64_t value;
};

static int next_number(void *ctx, struct store *s, struct error *err)
{
	struct counter_ctx *cc = ctx;

	return store_counter_next(s, cc->name, &cc->value, err);
}

/* Draws the next request number of year; never reused, gaps allowed. */
static int draw_number(struct access *a, int year, uint64_t *n,
		       struct error *err)
{
	struct counter_ctx cc = { "", 0 };
	int rc;

	snprintf(cc.name, sizeof(cc.name), "number:%s:%d",
		 str_of(a->copies->req, "number_prefix"), year);
	rc = ledger_write(a->ledger, next_number, &cc, err);
	*n = cc.value;
	return rc;
}

/* --- rows ----------------------------------------------------------------- */

static int row_get(struct access *a, const char *id, json_t **row,
		   struct error *err)
{
	char key[32];
	struct store *s;
	int rc = copy_id_key(id, key, err);

	if (rc)
		return rc;
	rc = ledger_read_begin(a->ledger, &s, err);
	if (rc)
		return rc;
	rc = copy_row_read(s, key, row, NULL, err);
	ledger_read_end(a->ledger, s);
	if (rc == CT_ENOTFOUND)
		return error_set(err, rc, "copy request '%s' not found; list "
				 "them with 'casetrail copy list'", id);
	return rc;
}

/* Adds the members that depend on the time: due, overdue. */
static int row_render(struct access *a, json_t *row, int64_t now_ms,
		      struct error *err)
{
	struct due due;
	char date[11];
	int64_t received = int_of(row, "received_ms", 0);
	int rc = copy_due(a, received, json_object_get(row, "limit"), &due,
			  err);
	const char *status = str_of(row, "status") ?: "";

	if (rc)
		return rc;
	day_format(due.day, date);
	json_object_del(row, "received_ms");
	json_object_set_new(row, "due", json_string(date));
	json_object_set_new(row, "overdue", json_boolean(
		!strcmp(status, "pending") && now_ms >= due.at_ms));
	return 0;
}

int copies_get(struct access *a, const char *id, json_t **out,
	       struct error *err)
{
	int rc = row_get(a, id, out, err);

	if (rc == 0)
		rc = row_render(a, *out, ledger_now_ms(), err);
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/* --- who may act ---------------------------------------------------------- */

#define COPY_STAFF                                                       \
	(ROLE_BIT(ROLE_CLERK) | ROLE_BIT(ROLE_HANDLER) |                 \
	 ROLE_BIT(ROLE_SUPERVISOR))

/* A party acting for themselves: no staff role that requests copies. */
static bool acts_as_party(const struct principal *who)
{
	return (who->roles & ROLE_BIT(ROLE_PARTY)) &&
	       !(who->roles & COPY_STAFF);
}

/* The name a party's account requests under: its display name. */
static int party_name(struct access *a, const struct principal *who,
		      char *out, size_t n, struct error *err)
{
	json_t *u = NULL;
	int rc = cases_user_get(a->cases, who->user, &u, err);

	if (rc)
		return rc;
	snprintf(out, n, "%s", str_of(u, "display_name") ?: who->user);
	json_decref(u);
	return 0;
}

int copies_visible(struct access *a, const struct principal *who,
		   const json_t *req, struct error *err)
{
	struct access_target t = { .case_id = str_of(req, "case") };
	char name[NAME_MAX_BYTES + 1];
	int rc = access_decide(a, who, ACT_COPY_READ, &t, err);

	if (rc || !acts_as_party(who))
		return rc;
	if (str_of(req, "account") && !strcmp(str_of(req, "account"),
					      who->user))
		return 0;
	/* A request staff registered for the party in the party's name. */
	if (!str_of(req, "account") &&
	    party_name(a, who, name, sizeof(name), err) == 0 &&
	    !strcmp(name, str_of(req, "requester") ?: ""))
		return 0;
	error_clear(err);
	return error_set(err, CT_EPERM, "copy request '%s' was made by "
			 "another party of case '%s'; '%s' sees only their "
			 "own requests", str_of(req, "id") ?: "",
			 t.case_id ?: "", who->user);
}

/*
 * The parties of a case as its records name them: the applicant and
 * every interested party notified. Returns a new array.
 */
static json_t *case_parties(const json_t *view)
{
	json_t *parties = json_array(), *r;
	size_t i;

	if (str_of(view, "applicant"))
		json_array_append_new(parties,
				      json_string(str_of(view, "applicant")));
	json_array_foreach(json_object_get(view, "records"), i, r) {
		const char *kind = str_of(r, "kind") ?: "";
		const char *party = str_of(json_object_get(r, "fields"),
					   "party");

		if (!strcmp(kind, "interested-party-notice") && party)
			json_array_append_new(parties, json_string(party));
	}
	return parties;
}

static bool in_strings(const json_t *a, const char *s)
{
	json_t *v;
	size_t i;

	json_array_foreach(a, i, v)
		if (!strcmp(json_string_value(v) ?: "", s))
			return true;
	return false;
}

static bool in_seqs(const json_t *a, json_int_t seq)
{
	json_t *v;
	size_t i;

	json_array_foreach(a, i, v)
		if (json_integer_value(v) == seq)
			return true;
	return false;
}

static int check_party(const json_t *view, const char *name,
		       const char *what, struct error *err)
{
	json_t *parties = case_parties(view);
	char *list = NULL;
	int rc = 0;

	if (!in_strings(parties, name)) {
		list = json_dumps(parties, JSON_COMPACT);
		rc = error_set(err, CT_EINVAL, "%s '%s' is not a party of case "
			       "'%s'; its parties are %s", what, name,
			       str_of(view, "id") ?: "", list ?: "[]");
	}
	free(list);
	json_decref(parties);
	return rc;
}

/* --- the request ---------------------------------------------------------- */

static bool view_has_record(const json_t *view, json_int_t seq)
{
	json_t *r;
	size_t i;

	json_array_foreach(json_object_get(view, "records"), i, r)
		if (int_of(r, "seq", -1) == seq)
			return true;
	return false;
}

static int check_records(const json_t *view, const json_t *records,
			 struct error *err)
{
	const char *case_id = str_of(view, "id") ?: "";
	json_t *v;
	size_t i, j;

	if (!json_is_array(records) || !json_array_size(records))
		return error_set(err, CT_EINVAL, "records must list the seqs "
				 "of the records to copy, at least one");
	if (json_array_size(records) > ITEMS_MAX)
		return error_set(err, CT_EINVAL, "records lists %zu records; "
				 "at most %d per request",
				 json_array_size(records), ITEMS_MAX);
	json_array_foreach(records, i, v) {
		json_int_t seq = json_integer_value(v);

		if (!json_is_integer(v) || seq < 0)
			return error_set(err, CT_EINVAL, "records[%zu] must be "
					 "a record's seq", i);
		for (j = 0; j < i; j++)
			if (json_integer_value(json_array_get(records, j)) ==
			    seq)
				return error_set(err, CT_EINVAL, "record %"
						 JSON_INTEGER_FORMAT " is "
						 "listed twice", seq);
		if (!view_has_record(view, seq))
			return error_set(err, CT_EINVAL, "record %"
					 JSON_INTEGER_FORMAT " is not a "
					 "record of case '%s'; a request "
					 "names records of its own case "
					 "only", seq, case_id);
	}
	return 0;
}

static int first_body(void *ctx, const char *body, size_t len)
{
	return buf_append(ctx, body, len);
}

/* Finds a file of the case by ingest seq or blob hash; adds {seq, hash}. */
static int resolve_file(struct store *s, const char *case_id,
			const json_t *item, size_t i, json_t *out,
			struct error *err)
{
	struct buf body = BUF_INIT_MAX(1 << 20);
	json_t *row = NULL;
	char what[HASH_TEXT_MAX + 32];
	int rc;

	if (json_is_integer(item) && json_integer_value(item) >= 0) {
		snprintf(what, sizeof(what), "file %" JSON_INTEGER_FORMAT,
			 json_integer_value(item));
		rc = store_media_get(s, (uint64_t)json_integer_value(item),
				     &body, err);
	} else if (json_is_string(item) &&
		   json_string_length(item) < HASH_TEXT_MAX) {
		struct store_media_filter f = { 0 };

		snprintf(what, sizeof(what), "file %s",
			 json_string_value(item));
		f.hash = json_string_value(item);
		f.case_id = case_id;
		f.from_ms = f.to_ms = STORE_NO_TIME;
		f.limit = 1;
		rc = store_media_list(s, &f, first_body, &body, NULL, err);
		if (rc == 0 && !body.len)
			rc = CT_ENOTFOUND;
	} else {
		return error_set(err, CT_EINVAL, "media[%zu] must be a file's "
				 "ingest seq or its hash", i);
	}
	if (rc == 0)
		row = json_loadb(body.data, body.len, 0, NULL);
	buf_release(&body);
	if (rc == CT_ENOTFOUND || (rc == 0 && !row)) {
		error_clear(err);
		return error_set(err, CT_EINVAL, "%s is not a file of case "
				 "'%s'; a request names files of its own case "
				 "only", what, case_id);
	}
	if (rc)
		return rc;
	if (strcmp(str_of(row, "case") ?: "", case_id))
		rc = error_set(err, CT_EINVAL, "%s is not a file of case '%s'; "
			       "a request names files of its own case only",
			       what, case_id);
	else if (json_is_object(json_object_get(row, "purged")))
		rc = error_set(err, CT_EINVAL, "%s was purged at the end of "
			       "its retention period", what);
	else
		json_array_append_new(out, json_pack(
			"{s:I, s:s}", "seq", int_of(row, "seq", 0), "hash",
			str_of(row, "hash") ?: ""));
	json_decref(row);
	return rc;
}

static int resolve_files(struct access *a, const char *case_id,
			 const json_t *media, json_t *out, struct error *err)
{
	struct store *s;
	json_t *v;
	size_t i;
	int rc;

	if (!media)
		return 0;
	if (!json_is_array(media) || json_array_size(media) > ITEMS_MAX)
		return error_set(err, CT_EINVAL, "media must be an array of at "
				 "most %d ingest seqs or hashes", ITEMS_MAX);
	rc = ledger_read_begin(a->ledger, &s, err);
	if (rc)
		return rc;
	json_array_foreach(media, i, v) {
		rc = resolve_file(s, case_id, v, i, out, err);
		if (rc)
			break;
	}
	ledger_read_end(a->ledger, s);
	for (i = 0; rc == 0 && i < json_array_size(out); i++)
		for (size_t j = 0; j < i; j++)
			if (int_of(json_array_get(out, i), "seq", -1) ==
			    int_of(json_array_get(out, j), "seq", -2))
				return error_set(err, CT_EINVAL, "file %"
						 JSON_INTEGER_FORMAT " is "
						 "listed twice",
						 int_of(json_array_get(out, i),
							"seq", 0));
	return rc;
}

static int check_text(const char *what, const char *text, size_t max,
		      bool required, struct error *err)
{
	if (!text && !required)
		return 0;
	if (!text || !text[0])
		return error_set(err, CT_EINVAL, "%s is missing; give it as "
				 "text", what);
	if (strlen(text) > max)
		return error_set(err, CT_EINVAL, "%s is %zu bytes long; at "
				 "most %zu", what, strlen(text), max);
	return 0;
}

/*
 * Decides the requester and the party account of a request. A party
 * requests in their own name. Staff name the party (or its agent and the
 * party represented), who must be a party of the case.
 */
static int request_people(struct access *a, const struct principal *who,
			  const struct copy_request_req *req,
			  const json_t *view, json_t *fields,
			  struct error *err)
{
	char name[NAME_MAX_BYTES + 1];
	int rc = check_text("requester", req->requester, NAME_MAX_BYTES,
			    false, err);

	if (rc == 0)
		rc = check_text("on_behalf_of", req->on_behalf_of,
				NAME_MAX_BYTES, false, err);
	if (rc)
		return rc;
	if (acts_as_party(who)) {
		rc = party_name(a, who, name, sizeof(name), err);
		if (rc)
			return rc;
		if (req->requester && strcmp(req->requester, name))
			return error_set(err, CT_EINVAL, "a party requests "
					 "copies in their own name ('%s'), not "
					 "as '%s'; leave requester out", name,
					 req->requester);
		if (req->has_received)
			return error_set(err, CT_EPERM, "only staff register "
					 "a request received earlier; leave "
					 "received out");
		json_object_set_new(fields, "account",
				    json_string(who->user));
	} else {
		if (!req->requester)
			return error_set(err, CT_EINVAL, "requester is "
					 "missing; staff name the party for "
					 "whom they register the request");
		snprintf(name, sizeof(name), "%s", req->requester);
	}
	if (req->on_behalf_of)
		rc = check_party(view, req->on_behalf_of, "on_behalf_of", err);
	else if (!acts_as_party(who))
		rc = check_party(view, name, "requester", err);
	if (rc)
		return rc;
	json_object_set_new(fields, "requester", json_string(name));
	json_object_set_new(fields, "on_behalf_of",
			    req->on_behalf_of ? json_string(req->on_behalf_of)
					      : json_null());
	return 0;
}

static json_t *limit_json(const struct copies *cp)
{
	return json_pack("{s:i, s:s}", "value", cp->limit_value, "unit",
			 limit_unit_name(cp->limit_unit));
}

int copies_request(struct access *a, const struct principal *who,
		   const struct actor *by,
		   const struct copy_request_req *req, json_t **out,
		   struct error *err)
{
	struct ledger_record rec = { .kind = KIND_COPY_REQUEST,
				     .actor = by->user,
				     .os_user = by->os_user,
				     .supersedes = -1 };
	struct ledger_receipt receipt;
	json_t *view = NULL, *fields = json_object(), *files = json_array();
	char id[COPY_ID_MAX + 1], number[128];
	int64_t received = req->has_received ? req->received_ms
					     : ledger_now_ms();
	int y, m, d, rc = copies_need_config(a->copies, err);
	uint64_t n = 0;

	if (rc == 0 && req->has_received && received > ledger_now_ms())
		rc = error_set(err, CT_EINVAL, "received lies in the future");
	if (rc == 0)
		rc = check_text("purpose", req->purpose, PURPOSE_MAX, true,
				err);
	if (rc == 0)
		rc = cases_show(a->cases, req->case_id, &view, err);
	if (rc == 0)
		rc = request_people(a, who, req, view, fields, err);
	if (rc == 0)
		rc = check_records(view, req->records, err);
	if (rc == 0)
		rc = resolve_files(a, req->case_id, req->media, files, err);
	day_to_ymd(day_of_ms(received), &y, &m, &d);
	if (rc == 0)
		rc = draw_number(a, y, &n, err);
	if (rc)
		goto out;
	snprintf(id, sizeof(id), "%d-%" PRIu64, y, n);
	snprintf(number, sizeof(number), "%s〔%d〕%" PRIu64 "号",
		 str_of(a->copies->req, "number_prefix"), y, n);
	json_object_set_new(fields, "id", json_string(id));
	json_object_set_new(fields, "number", json_string(number));
	json_object_set_new(fields, "case", json_string(req->case_id));
	json_object_set_new(fields, "records", json_deep_copy(req->records));
	json_object_set(fields, "media", files);
	json_object_set_new(fields, "purpose", json_string(req->purpose));
	json_object_set_new(fields, "limit", limit_json(a->copies));
	rec.fields = fields;
	rec.has_at = req->has_received;
	rec.at_ms = received;
	rc = ledger_append(a->ledger, &rec, &receipt, err);
	if (rc == 0) {
		log_info("copies", "copy request recorded", "id=%s case=%s "
			 "seq=%" PRIu64 " user=%s", id, req->case_id,
			 receipt.seq, by->user);
		rc = copies_get(a, id, out, err);
	}
out:
	json_decref(view);
	json_decref(fields);
	json_decref(files);
	return rc;
}

/* --- the decision --------------------------------------------------------- */

static int check_withhold(const json_t *withhold, const json_t *row,
			  struct error *err)
{
	static const char *const names[] = { "record", "reason", NULL };
	char at[64];
	json_t *w;
	size_t i;
	int rc;

	if (!withhold)
		return 0;
	if (!json_is_array(withhold))
		return error_set(err, CT_EINVAL, "withhold must be an array of "
				 "{\"record\", \"reason\"}");
	json_array_foreach(withhold, i, w) {
		snprintf(at, sizeof(at), "withhold[%zu]", i);
		rc = copy_check_members(w, at, names, err);
		if (rc)
			return rc;
		if (!json_is_integer(json_object_get(w, "record")) ||
		    !in_seqs(json_object_get(row, "records"),
			     int_of(w, "record", -1)))
			return error_set(err, CT_EINVAL, "%s.record must be "
					 "one of the records the request names",
					 at);
		rc = check_text("withhold reason", str_of(w, "reason"),
				REASONS_MAX, true, err);
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * Sets "responsible" and "superior" in f. The head of the supervisory
 * department, who decides copy requests, is the one active supervisor
 * whose superior has no supervisor role; "superior" is the head's.
 */
static void name_responsible(struct access *a, json_t *f)
{
	json_t *list = NULL, *u, *head = NULL;
	struct error ignored = { 0 };
	size_t i, heads = 0;

	if (cases_user_list(a->cases, &list, &ignored) != 0)
		return;
	json_array_foreach(json_object_get(list, "items"), i, u) {
		const char *sup = str_of(u, "superior");
		json_t *boss = NULL;
		bool boss_supervises = false;
		size_t j;
		json_t *b;

		if (!in_strings(json_object_get(u, "roles"), "supervisor") ||
		    json_is_true(json_object_get(u, "disabled")))
			continue;
		json_array_foreach(json_object_get(list, "items"), j, b)
			if (sup && !strcmp(str_of(b, "name") ?: "", sup))
				boss = b;
		boss_supervises = boss &&
			in_strings(json_object_get(boss, "roles"),
				   "supervisor");
		if (!boss_supervises) {
			head = u;
			heads++;
		}
	}
	if (heads == 1) {
		json_object_set_new(f, "responsible",
				    json_string(str_of(head, "name")));
		if (str_of(head, "superior"))
			json_object_set_new(f, "superior", json_string(
				str_of(head, "superior")));
	}
	json_decref(list);
}

/*
 * Checks a decision's body and who makes it, before the request is read.
 * Sets *approve. Returns 0, CT_EPERM or CT_EINVAL.
 */
static int check_decision(const struct principal *who, const json_t *body,
			  bool *approve, struct error *err)
{
	static const char *const names[] = {
		"decision", "reasons", "withhold", NULL,
	};
	const char *decision = str_of(body, "decision") ?: "";
	const char *reasons = str_of(body, "reasons");
	const char *key;
	json_t *v;

	if (!(who->roles & ROLE_BIT(ROLE_SUPERVISOR)))
		return error_set(err, CT_EPERM, "'%s' may not decide copy "
				 "requests: that is for the head of the "
				 "supervisory department (role supervisor)",
				 who->user);
	json_object_foreach((json_t *)body, key, v) {
		size_t i = 0;

		while (names[i] && strcmp(names[i], key))
			i++;
		if (!names[i])
			return error_set(err, CT_EINVAL, "member '%s' is "
					 "unknown; a decision has decision, "
					 "reasons and withhold", key);
	}
	*approve = !strcmp(decision, "approve");
	if (!*approve && strcmp(decision, "reject"))
		return error_set(err, CT_EINVAL, "decision must be \"approve\" "
				 "or \"reject\", not '%s'", decision);
	if (json_object_get(body, "reasons") && !reasons)
		return error_set(err, CT_EINVAL, "reasons must be text");
	if (!*approve && json_object_get(body, "withhold"))
		return error_set(err, CT_EINVAL, "withhold applies to an "
				 "approval only");
	return check_text("reasons", reasons, REASONS_MAX, !*approve, err);
}

/* The content of a decision of row: also whether it came too late. */
static int decision_fields(struct access *a, const char *id,
			   const json_t *row, const json_t *body,
			   bool approve, json_t **out, struct error *err)
{
	struct due due;
	char date[11];
	bool late;
	int rc = copy_due(a, int_of(row, "received_ms", 0),
			  json_object_get(row, "limit"), &due, err);

	if (rc)
		return rc;
	day_format(due.day, date);
	late = ledger_now_ms() >= due.at_ms;
	*out = json_pack("{s:s, s:s, s:s, s:s?, s:O?, s:s, s:b}", "request",
			 id, "case", str_of(row, "case") ?: "", "decision",
			 approve ? "approved" : "rejected", "reasons",
			 str_of(body, "reasons"), "withhold",
			 json_object_get(body, "withhold"), "due", date, "late",
			 late);
	/* A late decision that no sweep saw names whom the finding blames. */
	if (late && !json_is_object(json_object_get(row, "overdue_entry")))
		name_responsible(a, *out);
	return *out ? 0 : error_set(err, CT_ENOMEM, "out of memory");
}

int copies_decide(struct access *a, const struct principal *who,
		  const struct actor *by, const char *id, const json_t *body,
		  json_t **out, struct error *err)
{
	struct ledger_record rec = { .kind = KIND_COPY_DECISION,
				     .actor = by->user,
				     .os_user = by->os_user,
				     .supersedes = -1 };
	struct ledger_receipt receipt;
	json_t *row = NULL, *fields = NULL;
	bool approve = false;
	int rc = copies_need_config(a->copies, err);

	if (rc == 0)
		rc = check_decision(who, body, &approve, err);
	if (rc == 0)
		rc = row_get(a, id, &row, err);
	if (rc == 0 && strcmp(str_of(row, "status") ?: "", "pending"))
		rc = error_set(err, CT_ESTATE, "copy request '%s' was %s "
			       "already", id, str_of(row, "status") ?: "");
	if (rc == 0)
		rc = check_withhold(json_object_get(body, "withhold"), row,
				    err);
	if (rc == 0)
		rc = decision_fields(a, id, row, body, approve, &fields, err);
	rec.fields = fields;
	if (rc == 0)
		rc = ledger_append(a->ledger, &rec, &receipt, err);
	if (rc == 0) {
		log_info("copies", "copy request decided", "id=%s decision=%s "
			 "seq=%" PRIu64 " user=%s", id, approve ? "approved"
			 : "rejected", receipt.seq, by->user);
		rc = copies_get(a, id, out, err);
	}
	json_decref(row);
	json_decref(fields);
	return rc;
}

/* --- the overdue sweep ---------------------------------------------------- */

struct sweep_ctx {
	json_t *rows;
};

static int collect_row(void *ctx, const char *key, uint64_t seq,
		       const char *body, size_t len)
{
	struct sweep_ctx *sc = ctx;
	json_t *row = json_loadb(body, len, 0, NULL);

	(void)key, (void)seq;
	if (row)
		json_array_append_new(sc->rows, row);
	return 0;
}

/* Reads every request row (newest first with desc). */
static int all_rows(struct access *a, bool desc, json_t **rows,
		    struct error *err)
{
	struct sweep_ctx sc = { json_array() };
	struct store *s;
	int rc = ledger_read_begin(a->ledger, &s, err);

	if (rc == 0) {
		rc = store_kv_scan(s, COPY_NS, "", desc, 0, 0, collect_row,
				   &sc, NULL, err);
		ledger_read_end(a->ledger, s);
	}
	if (rc) {
		json_decref(sc.rows);
		return rc;
	}
	*rows = sc.rows;
	return 0;
}

static int raise_overdue(struct access *a, const json_t *row,
			 const struct due *due, struct error *err)
{
	struct ledger_record rec = { .kind = KIND_COPY_OVERDUE,
				     .actor = COPY_SWEEP_ACTOR,
				     .supersedes = -1 };
	struct ledger_receipt receipt;
	char date[11];
	json_t *fields;
	int rc;

	day_format(due->day, date);
	fields = json_pack("{s:s, s:s, s:s, s:I}", "request",
			   str_of(row, "id") ?: "", "case",
			   str_of(row, "case") ?: "", "due", date, "detected",
			   (json_int_t)due->at_ms);
	name_responsible(a, fields);
	rec.fields = fields;
	rc = ledger_append(a->ledger, &rec, &receipt, err);
	json_decref(fields);
	if (rc == 0)
		log_info("copies", "copy request overdue", "id=%s due=%s "
			 "seq=%" PRIu64, str_of(row, "id") ?: "", date,
			 receipt.seq);
	return rc;
}

int copies_sweep(struct access *a, int64_t now_ms, size_t *raised,
		 struct error *err)
{
	json_t *rows = NULL, *row;
	size_t i, n = 0;
	int rc;

	if (raised)
		*raised = 0;
	if (!a->copies->doc)
		return 0;
	rc = all_rows(a, false, &rows, err);
	json_array_foreach(rows, i, row) {
		struct due due;
		struct error one = { 0 };

		if (rc)
			break;
		if (strcmp(str_of(row, "status") ?: "", "pending") ||
		    json_is_object(json_object_get(row, "overdue_entry")))
			continue;
		rc = copy_due(a, int_of(row, "received_ms", 0),
			      json_object_get(row, "limit"), &due, err);
		if (rc || now_ms < due.at_ms)
			continue;
		rc = raise_overdue(a, row, &due, &one);
		/* Another process decided it or raised it meanwhile. */
		if (rc == CT_ESTATE || rc == CT_EEXIST)
			rc = 0;
		else if (rc)
			error_set(err, rc, "%s", one.msg);
		else
			n++;
	}
	json_decref(rows);
	if (raised)
		*raised = n;
	return rc;
}

/* --- lists ---------------------------------------------------------------- */

static bool status_matches(const json_t *row, const char *status)
{
	if (!status)
		return true;
	if (!strcmp(status, "overdue"))
		return json_is_true(json_object_get(row, "overdue"));
	return !strcmp(str_of(row, "status") ?: "", status);
}

int copies_list(struct access *a, const struct principal *who,
		const struct copy_query *q, json_t **out, struct error *err)
{
	static const char *const statuses[] = {
		"pending", "overdue", "approved", "rejected",
	};
	json_t *rows = NULL, *items = json_array(), *row;
	int64_t now = ledger_now_ms();
	size_t i, total = 0, limit = q->limit ? q->limit : 50;
	int rc = 0;
	bool known = !q->status;

	for (i = 0; i < ARRAY_SIZE(statuses) && !known; i++)
		known = !strcmp(q->status, statuses[i]);
	if (!known)
		rc = error_set(err, CT_EINVAL, "status '%s' is unknown; use "
			       "pending, overdue, approved or rejected",
			       q->status);
	if (rc == 0)
		rc = all_rows(a, true, &rows, err);
	json_array_foreach(rows, i, row) {
		struct error hidden = { 0 };

		if (rc)
			break;
		if (q->case_id && strcmp(str_of(row, "case") ?: "",
					 q->case_id))
			continue;
		rc = row_render(a, row, now, err);
		if (rc || !status_matches(row, q->status))
			continue;
		if (copies_visible(a, who, row, &hidden) != 0)
			continue;
		if (total >= q->offset && json_array_size(items) < limit)
			json_array_append(items, row);
		total++;
	}
	json_decref(rows);
	if (rc) {
		json_decref(items);
		return rc;
	}
	*out = json_pack("{s:o, s:I, s:I, s:I}", "items", items, "total",
			 (json_int_t)total, "offset", (json_int_t)q->offset,
			 "limit", (json_int_t)limit);
	return 0;
}

/* --- making a copy set ---------------------------------------------------- */

/* Opens an unnamed temporary file in the store's blobs/tmp. */
static int spool_open(struct access *a, struct error *err)
{
	char dir[PATH_MAX + 16], path[PATH_MAX + 48];
	int fd;

	snprintf(dir, sizeof(dir), "%s/blobs/tmp",
		 ledger_config(a->ledger)->dir);
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	/* File systems without O_TMPFILE: a named file, unlinked at once. */
	snprintf(path, sizeof(path), "%s/copy-XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return error_set(err, CT_EIO, "cannot create a temporary file "
				 "in '%s': %s", dir, strerror(errno));
	unlink(path);
	return fd;
}

static int check_makeable(struct access *a, const struct principal *who,
			  const json_t *row, struct error *err)
{
	const char *status = str_of(row, "status") ?: "";

	if (!strcmp(status, "pending"))
		return error_set(err, CT_ESTATE, "copy request '%s' is not "
				 "decided yet; the supervisory department "
				 "decides it first", str_of(row, "id"));
	if (strcmp(status, "approved"))
		return error_set(err, CT_ESTATE, "copy request '%s' was "
				 "rejected; no copy is made",
				 str_of(row, "id"));
	return copies_visible(a, who, row, err);
}

/* The hashes of a copy set: the store's and SHA-256. */
struct copy_hashes {
	char hash[HASH_TEXT_MAX];
	char sha256[HASH_TEXT_MAX];
	uint64_t size;
};

/* Hashes the file open at fd from its start and rewinds it. */
static int hash_copy(struct access *a, int fd, struct copy_hashes *h,
		     struct error *err)
{
	struct hasher *store = hasher_new(a->alg);
	struct hasher *sha = hasher_new(HASH_SHA256);
	uint8_t digest[HASH_LEN];
	char chunk[65536];
	ssize_t n = 0;
	int rc = store && sha ? 0 : error_set(err, CT_ENOMEM, "out of memory");

	h->size = 0;
	if (rc == 0 && lseek(fd, 0, SEEK_SET) != 0)
		rc = error_set(err, CT_EIO, "cannot rewind the copy set: %s",
			       strerror(errno));
	while (rc == 0 && (n = read(fd, chunk, sizeof(chunk))) > 0) {
		hasher_update(store, chunk, (size_t)n);
		hasher_update(sha, chunk, (size_t)n);
		h->size += (uint64_t)n;
	}
	if (rc == 0 && (n < 0 || lseek(fd, 0, SEEK_SET) != 0))
		rc = error_set(err, CT_EIO, "cannot read the copy set back: %s",
			       strerror(errno));
	if (rc == 0) {
		hasher_final(store, digest);
		hash_format(a->alg, digest, h->hash);
		hasher_final(sha, digest);
		hash_format(HASH_SHA256, digest, h->sha256);
	}
	hasher_free(store);
	hasher_free(sha);
	return rc;
}

/*
 * Builds the tar for row in an unnamed temporary file and hashes it.
 * Returns the file's descriptor, rewound, or a negative code.
 */
static int build_copy(struct access *a, const json_t *row,
		      const char *copy_id, int64_t made_ms, json_t **manifest,
		      struct copy_hashes *h, struct error *err)
{
	struct copy_set_in in = { row, NULL, copy_id, made_ms };
	json_t *view = NULL;
	int fd, rc = cases_show(a->cases, str_of(row, "case"), &view, err);

	if (rc)
		return rc;
	in.case_view = view;
	fd = spool_open(a, err);
	rc = fd < 0 ? fd : copyset_write(a, &in, fd, manifest, err);
	if (rc == 0)
		rc = hash_copy(a, fd, h, err);
	json_decref(view);
	if (rc && fd >= 0)
		close(fd);
	return rc ? rc : fd;
}

/* Appends the copy-made entry of a copy set; fills *seq. */
static int record_copy(struct access *a, const struct actor *by,
		       const json_t *row, const char *copy_id, int64_t made_ms,
		       const json_t *manifest, const struct copy_hashes *h,
		       uint64_t *seq, struct error *err)
{
	struct ledger_record rec = { .kind = KIND_COPY_MADE,
				     .actor = by->user,
				     .os_user = by->os_user,
				     .supersedes = -1 };
	struct ledger_receipt receipt;
	json_t *fields = json_pack(
		"{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:O, s:O}", "request",
		str_of(row, "id") ?: "", "case", str_of(row, "case") ?: "",
		"copy", copy_id, "requester", str_of(row, "requester") ?: "",
		"sha256", h->sha256, "hash", h->hash, "size",
		(json_int_t)h->size, "made", (json_int_t)made_ms, "included",
		json_object_get(manifest, "included"), "withheld",
		json_object_get(manifest, "withheld"));
	int rc;

	if (!fields)
		return error_set(err, CT_ENOMEM, "out of memory");
	rec.fields = fields;
	rc = ledger_append(a->ledger, &rec, &receipt, err);
	json_decref(fields);
	*seq = receipt.seq;
	return rc;
}

int copies_make(struct access *a, const struct principal *who,
		const struct actor *by, const char *id, int *fd,
		json_t **out, struct error *err)
{
	json_t *row = NULL, *manifest = NULL;
	struct copy_hashes h;
	char copy_id[9], name[128];
	uint8_t raw[4];
	uint64_t seq = 0;
	int64_t now = ledger_now_ms();
	int rc = copies_need_config(a->copies, err);

	*fd = -1;
	if (rc == 0)
		rc = row_get(a, id, &row, err);
	if (rc == 0)
		rc = check_makeable(a, who, row, err);
	if (rc == 0 && crypto_random(raw, sizeof(raw)) != 0)
		rc = error_set(err, CT_ECRYPTO, "cannot draw a copy id");
	snprintf(copy_id, sizeof(copy_id), "%02x%02x%02x%02x", raw[0], raw[1],
		 raw[2], raw[3]);
	if (rc == 0)
		rc = build_copy(a, row, copy_id, now, &manifest, &h, err);
	if (rc >= 0) {
		*fd = rc;
		rc = record_copy(a, by, row, copy_id, now, manifest, &h, &seq,
				 err);
	}
	if (rc == 0) {
		snprintf(name, sizeof(name), "copy-%s-%s.tar", id, copy_id);
		*out = json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:s, s:O, "
				 "s:O}", "seq", (json_int_t)seq, "request", id,
				 "copy", copy_id, "hash", h.hash, "sha256",
				 h.sha256, "size", (json_int_t)h.size, "name",
				 name, "included", json_object_get(manifest,
								  "included"),
				 "withheld", json_object_get(manifest,
							     "withheld"));
		log_info("copies", "copy set made", "id=%s copy=%s seq=%"
			 PRIu64 " user=%s bytes=%" PRIu64, id, copy_id, seq,
			 by->user, h.size);
	}
	if (rc && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	json_decref(row);
	json_decref(manifest);
	return rc;
}
