/*
 * Records over HTTP: adding one to a case ({kind, fields, at?,
 * attachments?}), reading one by seq, and correcting one ({reason,
 * fields}), which appends a new record that supersedes it. Attachments
 * are files uploaded first with POST /api/v1/uploads and named here by
 * the hash it returned. Signature, seal and audio-visual fields refer to
 * them by their index in that list, as with the CLI's --attach. Members
 * other than those named are rejected, so that a misspelt "at" is never
 * dropped silently.
 *
 * A new record may carry "mark" to raise its kind's confidentiality mark
 * (it is kept as the "mark" member of its fields); "state-secret" is
 * rejected, since such material is never stored. Reading a record needs
 * a part in its case, and clearance for its mark: without it the reply
 * is the record's stub, and the refusal is recorded in the access log.
 *
 * "sign": {password, role} makes the author's SM2 signature of the new
 * record in the same request (signatures.c). A wrong password or a key
 * that may not sign is refused before anything is appended.
 */
#include "common/common.h"

#include <jansson.h>

#include "api.h"

/* Records describe what happened; allow this much clock skew ahead. */
#define AT_SKEW_MS (5 * 60 * 1000)

/* The maximum number of attachments of one record, as with --attach. */
#define RECORD_ATTACHMENTS_MAX 64

/* Reads exactly n digits at *p into *out and advances *p. */
static bool read_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return false;
		v = v * 10 + (**p - '0');
	}
	*out = v;
	return true;
}

/* Parses "Z" or "+HH:MM" / "-HH:MM" into seconds east of UTC. */
static bool read_offset(const char *p, int *seconds)
{
	int sign, h, m;

	if ((*p == 'Z' || *p == 'z') && !p[1]) {
		*seconds = 0;
		return true;
	}
	if (*p != '+' && *p != '-')
		return false;
	sign = *p++ == '-' ? -1 : 1;
	if (!read_digits(&p, 2, &h) || *p++ != ':' || !read_digits(&p, 2, &m) ||
	    *p || h > 23 || m > 59)
		return false;
	*seconds = sign * (h * 3600 + m * 60);
	return true;
}

/* Reads an optional fraction of a second as milliseconds. */
static bool read_fraction(const char **p, int *ms)
{
	int digits = 0;

	*ms = 0;
	if (**p != '.')
		return true;
	for ((*p)++; **p >= '0' && **p <= '9'; (*p)++, digits++)
		if (digits < 3)
			*ms = *ms * 10 + (**p - '0');
	for (int i = digits; i < 3; i++)
		*ms *= 10;
	return digits > 0;
}

/*
 * Parses an RFC 3339 date-time such as 2026-12-04T09:30:00+08:00 into
 * UTC milliseconds; a date that does not exist (February 30) fails.
 */
static bool parse_time(const char *text, int64_t *out)
{
	struct tm tm = { 0 };
	const char *p = text;
	int y, mo, d, h, mi, s, ms, offset;
	time_t t;

	if (!read_digits(&p, 4, &y) || *p++ != '-' ||
	    !read_digits(&p, 2, &mo) || *p++ != '-' ||
	    !read_digits(&p, 2, &d) || (*p != 'T' && *p != 't') ||
	    (p++, !read_digits(&p, 2, &h)) || *p++ != ':' ||
	    !read_digits(&p, 2, &mi) || *p++ != ':' ||
	    !read_digits(&p, 2, &s) || !read_fraction(&p, &ms) ||
	    !read_offset(p, &offset))
		return false;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 ||
	    s > 59)
		return false;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	t = timegm(&tm);
	/* timegm normalises February 30 to March 2; reject that. */
	if (tm.tm_mday != d || tm.tm_mon != mo - 1)
		return false;
	*out = ((int64_t)t - offset) * 1000 + ms;
	return *out >= 0;
}

/* Replies 422 unless every member of body is in names. */
static int check_members(const json_t *body, const char *const *names,
			 const char *expected, struct reply *r)
{
	const char *key;
	json_t *value;

	json_object_foreach((json_t *)body, key, value)
	{
		size_t i;

		for (i = 0; names[i] && strcmp(names[i], key) != 0; i++)
			;
		if (!names[i])
			return reply_rejected(reply_problem_of(
			    r, PROBLEM_VALIDATION_FAILED,
			    "member '%s' is unknown; the body takes %s", key,
			    expected));
	}
	return 0;
}

/* Reads member name of body, which must be of the given JSON type. */
static int member_of_type(const json_t *body, const char *name,
			  json_type type, bool required, const json_t **out,
			  struct reply *r)
{
	static const char *const type_names[] = {
		[JSON_OBJECT] = "an object", [JSON_ARRAY] = "an array",
		[JSON_STRING] = "a string",  [JSON_INTEGER] = "an integer",
		[JSON_REAL] = "a number",    [JSON_TRUE] = "a boolean",
		[JSON_FALSE] = "a boolean",  [JSON_NULL] = "null",
	};

	*out = json_object_get(body, name);
	if (!*out && !required)
		return 0;
	if (!*out)
		return reply_rejected(reply_problem_of(
		    r, PROBLEM_VALIDATION_FAILED, "member '%s' is missing",
		    name));
	if (json_typeof(*out) != type)
		return reply_rejected(reply_problem_of(
		    r, PROBLEM_VALIDATION_FAILED,
		    "member '%s' must be %s, not %s", name, type_names[type],
		    type_names[json_typeof(*out)]));
	return 0;
}

/* Reads the optional event time "at" into req. */
static int read_at(const json_t *at, struct record_request *req,
		   struct reply *r)
{
	const char *text = json_string_value(at);

	if (!at)
		return 0;
	if (!parse_time(text, &req->at_ms))
		return reply_rejected(reply_problem_of(
		    r, PROBLEM_VALIDATION_FAILED,
		    "member 'at' = '%s' is not a valid time; give an RFC "
		    "3339 time such as 2026-12-04T09:30:00+08:00",
		    text));
	if (req->at_ms > (int64_t)time(NULL) * 1000 + AT_SKEW_MS)
		return reply_rejected(reply_problem_of(
		    r, PROBLEM_VALIDATION_FAILED,
		    "member 'at' = '%s' is in the future; give the time the "
		    "event happened",
		    text));
	req->has_at = 1;
	return 0;
}

/* Fills r with 201, the Location of the new record and out. */
static int reply_created_record(struct reply *r, json_t *out,
				struct error *err)
{
	json_t *seq = json_object_get(out, "seq");
	int rc;

	if (!json_is_integer(seq)) {
		json_decref(out);
		return error_set(err, CT_ECORRUPT, "the workflow returned a "
				 "record without a seq");
	}
	snprintf(r->location, sizeof(r->location), "/api/v1/records/%" PRId64,
		 (int64_t)json_integer_value(seq));
	rc = reply_json(r, out, CACHE_NONE);
	r->status = MHD_HTTP_CREATED;
	return rc;
}

/*
 * Checks the optional "attachments" member: an array of at most
 * RECORD_ATTACHMENTS_MAX strings, none given twice. Sets *n.
 */
static int check_attachment_list(const json_t *list, size_t *n,
				 struct reply *r)
{
	char quoted[HTTP_QUOTE_MAX];
	const json_t *item;
	size_t i;

	*n = 0;
	if (!list)
		return 0;
	if (json_array_size(list) > RECORD_ATTACHMENTS_MAX)
		return reply_rejected(reply_problem_of(
		    r, PROBLEM_VALIDATION_FAILED,
		    "member 'attachments' lists %zu files; a record takes at "
		    "most %d",
		    json_array_size(list), RECORD_ATTACHMENTS_MAX));
	json_array_foreach(list, i, item)
	{
		if (!json_is_string(item))
			return reply_rejected(reply_problem_of(
			    r, PROBLEM_VALIDATION_FAILED,
			    "attachments[%zu] must be a string: the hash that "
			    "POST /api/v1/uploads returned",
			    i));
		for (size_t j = 0; j < i; j++)
			if (json_equal(item, json_array_get(list, j)))
				return reply_rejected(reply_problem_of(
				    r, PROBLEM_VALIDATION_FAILED,
				    "attachments[%zu] repeats attachments[%zu] "
				    "('%s'); list each file once and refer to "
				    "its index from every field that needs it",
				    i, j,
				    http_quote(json_string_value(item), quoted,
					       sizeof(quoted))));
	}
	*n = json_array_size(list);
	return 0;
}

/*
 * Fills atts with the stored blob of each hash in list. A malformed or
 * unknown hash gets a 422 that names it.
 */
static int load_attachments(struct api_call *call, const json_t *list,
			    struct ledger_attachment *atts, struct reply *r,
			    struct error *err)
{
	struct ledger *l = call->s->ledger;
	char quoted[HTTP_QUOTE_MAX];
	const json_t *item;
	size_t i;

	json_array_foreach(list, i, item)
	{
		const char *hash = json_string_value(item);
		int rc = ledger_blob_info(l, hash, &atts[i], err);

		http_quote(hash, quoted, sizeof(quoted));
		if (rc == CT_EINVAL)
			return reply_rejected(reply_problem_of(
			    r, PROBLEM_VALIDATION_FAILED,
			    "attachments[%zu] '%s' is not a hash of this "
			    "store; give the hash that POST /api/v1/uploads "
			    "returned (%s: and 64 hex digits)",
			    i, quoted, hash_alg_name(ledger_config(l)->alg)));
		if (rc == CT_ENOTFOUND)
			return reply_rejected(reply_problem_of(
			    r, PROBLEM_VALIDATION_FAILED,
			    "attachments[%zu] %s is not stored; upload the "
			    "file first with POST /api/v1/uploads",
			    i, quoted));
		if (rc)
			return rc;
	}
	return 0;
}

static int read_mark(const json_t *mark, const json_t *fields,
		     struct reply *r);

/*
 * Reads the members of a new record into req, and its attachment hashes
 * into *list (NULL when there are none).
 */
static int read_record_body(struct api_call *call,
			    struct record_request *req, const json_t **list,
			    struct reply *r)
{
	static const char *const members[] = { "kind", "fields", "at",
					       "attachments", "mark", "sign",
					       NULL };
	const json_t *kind, *fields, *at, *mark;
	int rc;

	rc = query_check(call->c, (const char *const[]){ NULL }, r);
	if (rc == 0)
		rc = check_members(call->body, members,
				   "kind, fields, at, attachments, mark and "
				   "sign", r);
	if (rc == 0)
		rc = member_of_type(call->body, "kind", JSON_STRING, true,
				    &kind, r);
	if (rc == 0)
		rc = member_of_type(call->body, "fields", JSON_OBJECT, true,
				    &fields, r);
	if (rc == 0)
		rc = member_of_type(call->body, "at", JSON_STRING, false, &at,
				    r);
	if (rc == 0)
		rc = read_at(at, req, r);
	if (rc == 0)
		rc = member_of_type(call->body, "attachments", JSON_ARRAY,
				    false, list, r);
	if (rc == 0)
		rc = check_attachment_list(*list, &req->nattachments, r);
	if (rc == 0)
		rc = member_of_type(call->body, "mark", JSON_STRING, false,
				    &mark, r);
	if (rc == 0)
		rc = read_mark(mark, fields, r);
	if (rc)
		return rc;
	req->kind = json_string_value(kind);
	req->fields = fields;
	return 0;
}

/*
 * Checks the record's "mark", as a member of the body or of its fields
 * (both must agree). state-secret gets the rule's explanation.
 */
static int read_mark(const json_t *mark, const json_t *fields,
		     struct reply *r)
{
	const json_t *inner = json_object_get(fields, "mark");
	struct error why = { 0 };
	enum access_mark m;

	if (mark && inner && !json_equal(mark, inner))
		return reply_rejected(reply_problem_of(
		    r, PROBLEM_VALIDATION_FAILED,
		    "member 'mark' and fields.mark differ; give the mark "
		    "once"));
	if (!mark)
		mark = inner;
	if (!mark)
		return 0;
	if (!json_is_string(mark))
		return reply_rejected(reply_problem_of(
		    r, PROBLEM_VALIDATION_FAILED,
		    "member 'mark' must be a string: none, commercial-secret, "
		    "personal or sensitive-personal"));
	if (access_mark_parse(json_string_value(mark), &m, &why) != 0)
		return reply_rejected(reply_problem_of(
		    r, PROBLEM_VALIDATION_FAILED, "member 'mark': %s",
		    why.msg));
	return 0;
}

static int append_record(struct api_call *call, struct record_request *req,
			 const json_t *list, struct sign_request *sign,
			 struct reply *r, struct error *err);

int add_record(struct api_call *call, struct reply *r, struct error *err)
{
	struct record_request req = { .case_id = call->params[0] };
	struct access_target t = { .case_id = call->params[0] };
	const json_t *list = NULL, *mark;
	struct sign_request *sign = NULL;
	json_t *fields = NULL;
	bool denied;
	int rc;

	rc = read_record_body(call, &req, &list, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	/* An unknown kind is bad input (422); a 404 is for the case alone. */
	if (!api_find(api_items(cases_kinds(call->s->cases), "kinds"), "code",
		      req.kind))
		return reply_problem_of(r, PROBLEM_VALIDATION_FAILED,
					"record kind '%s' is unknown; "
					"GET /api/v1/record-kinds lists them",
					req.kind);
	t.kind = req.kind;
	rc = api_allow(call, ACT_RECORD_ADD, &t, r, &denied, err);
	if (rc || denied)
		return rc;
	/* The mark is kept with the fields, under the same commitment. */
	mark = json_object_get(call->body, "mark");
	if (mark) {
		fields = json_deep_copy(req.fields);
		if (!fields || json_object_set(fields, "mark",
					       (json_t *)mark) != 0) {
			json_decref(fields);
			return error_set(err, CT_ENOMEM, "out of memory");
		}
		req.fields = fields;
	}
	/* Content under any mark is encrypted at rest from the start. */
	req.marked = access_content_mark(call->s->access, req.kind,
					 req.fields) != MARK_NONE;
	/* The author's signature: its password and role are checked
	 * before anything is appended. */
	rc = signature_begin(call, req.kind, req.fields, &sign, r, err);
	if (rc == 0)
		rc = append_record(call, &req, list, sign, r, err);
	signature_end(sign);
	json_decref(fields);
	return rc == CT_EINVAL ? 0 : rc;
}

/* Checks and appends req, whose attachments list names. */
static int append_record(struct api_call *call, struct record_request *req,
			 const json_t *list, struct sign_request *sign,
			 struct reply *r, struct error *err)
{
	struct ledger_attachment *atts = NULL;
	json_t *out = NULL;
	int rc = 0;

	/*
	 * With attachments, the stage and fields first: reading the files
	 * takes longer. Without, the append checks the case itself, inside
	 * its transaction.
	 */
	if (req->nattachments) {
		rc = cases_record_check(call->s->cases, req, &call->actor,
					err);
		if (rc)
			return reply_error(r, rc, err);
	}
	if (req->nattachments) {
		atts = calloc(req->nattachments, sizeof(*atts));
		if (!atts)
			return error_set(err, CT_ENOMEM, "out of memory");
		req->attachments = atts;
		rc = load_attachments(call, list, atts, r, err);
	}
	/*
	 * NOTE: an expunge that destroys one of these blobs before the
	 * append makes it fail with CT_ESTATE, which is sent as a 409
	 * stage-conflict that names the attachment.
	 */
	if (rc == 0) {
		rc = cases_record_add(call->s->cases, req, &call->actor, &out,
				      err);
		if (rc == 0)
			signature_attach(call, sign, out);
		rc = rc ? reply_error(r, rc, err)
			: reply_created_record(r, out, err);
	} else if (rc == CT_EINVAL) {
		rc = 0; /* r contains the 422 of load_attachments */
	}
	free(atts);
	return rc;
}

/* Parses the seq path parameter; replies 400 when it is malformed. */
static int read_seq(const char *text, uint64_t *seq, struct reply *r)
{
	char quoted[HTTP_QUOTE_MAX];

	if (http_parse_index(text, seq) == 0)
		return 0;
	return reply_rejected(reply_problem_of(
	    r, PROBLEM_INVALID_PATH,
	    "record seq '%s' is invalid; use a decimal number from 0 to "
	    "2^63 - 1 without sign or leading zeros",
	    http_quote(text, quoted, sizeof(quoted))));
}

static int record_mark(struct api_call *call, const char *target,
		       const json_t *record, enum access_mark *out,
		       struct error *err);

int serve_record(struct api_call *call, struct reply *r, struct error *err)
{
	struct access_target t = { 0 };
	struct error why = { 0 };
	json_t *record = NULL;
	char target[32];
	enum access_mark mark;
	uint64_t seq;
	bool denied;
	int rc;

	rc = query_check(call->c, (const char *const[]){ NULL }, r);
	if (rc == 0)
		rc = read_seq(call->params[0], &seq, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	rc = cases_record_get(call->s->cases, seq, &record, err);
	if (rc)
		return reply_error(r, rc, err);
	/* The case first: a record of another case is refused outright. */
	t.case_id = json_string_value(json_object_get(record, "case"));
	rc = api_allow(call, ACT_RECORD_READ, &t, r, &denied, err);
	snprintf(target, sizeof(target), "record:%" PRIu64, seq);
	if (rc == 0 && !denied)
		rc = record_mark(call, target, record, &mark, err);
	if (rc || denied) {
		json_decref(record);
		return rc;
	}
	t.mark = mark;
	rc = access_decide(call->s->access, call->who, ACT_RECORD_READ, &t,
			   &why);
	if (rc == CT_EPERM) {
		api_log_refusal(call, ACT_RECORD_READ, t.case_id, why.msg);
		json_t *stub = access_record_stub(record, mark, why.msg);

		json_decref(record);
		return reply_json(r, stub, CACHE_NONE);
	}
	if (rc == 0)
		rc = api_log_read(call, ACT_RECORD_READ, t.case_id, target,
				  mark, err);
	else
		rc = error_set(err, rc, "%s", why.msg);
	if (rc) {
		json_decref(record);
		return rc;
	}
	json_object_set_new(record, "mark", json_string(access_mark_code(mark)));
	return reply_json(r, record, CACHE_NONE);
}

/* The mark of a rendered record: the security administrator's, else its
 * own. */
static int record_mark(struct api_call *call, const char *target,
		       const json_t *record, enum access_mark *out,
		       struct error *err)
{
	struct error ignored = { 0 };
	int rc = access_mark_override(call->s->access, target, out, err);

	if (rc != CT_ENOTFOUND)
		return rc;
	error_clear(err);
	if (access_mark_parse(json_string_value(json_object_get(record, "mark"))
				      ?: "none",
			      out, &ignored) != 0)
		*out = MARK_SENSITIVE_PERSONAL;
	return 0;
}

int correct_record(struct api_call *call, struct reply *r,
		   struct error *err)
{
	static const char *const members[] = { "reason", "fields", NULL };
	char case_id[CASE_ID_MAX + 1];
	struct access_target t = { 0 };
	const json_t *reason, *fields;
	json_t *out = NULL;
	uint64_t seq;
	bool denied;
	int rc;

	rc = query_check(call->c, (const char *const[]){ NULL }, r);
	if (rc == 0)
		rc = read_seq(call->params[0], &seq, r);
	if (rc == 0 && json_object_get(call->body, "attachments"))
		rc = reply_rejected(reply_problem_of(
		    r, PROBLEM_VALIDATION_FAILED,
		    "member 'attachments' is not taken by corrections yet; "
		    "add the new files with a new record of the case"));
	if (rc == 0)
		rc = check_members(call->body, members, "reason and fields", r);
	if (rc == 0)
		rc = member_of_type(call->body, "reason", JSON_STRING, true,
				    &reason, r);
	if (rc == 0)
		rc = member_of_type(call->body, "fields", JSON_OBJECT, true,
				    &fields, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	rc = access_record_case(call->s->access, seq, case_id, NULL, err);
	if (rc)
		return reply_error(r, rc, err);
	t.case_id = case_id[0] ? case_id : NULL;
	rc = api_allow(call, ACT_RECORD_CORRECT, &t, r, &denied, err);
	if (rc || denied)
		return rc;

	rc = cases_record_correct(call->s->cases, seq,
				  json_string_value(reason), fields,
				  &call->actor, &out, err);
	if (rc)
		return reply_error(r, rc, err);
	return reply_created_record(r, out, err);
}
