/*
 * Staff signatures and signing keys over HTTP (docs/api.md, docs/access.md):
 *
 *   POST /api/v1/records/{seq}/signatures {password, role}   the signer
 *   GET  /api/v1/records/{seq}/signatures                    case readers
 *   GET  /api/v1/staff-keys?user=                            staff
 *   GET  /api/v1/staff-keys/{id}                             staff
 *   POST /api/v1/staff-keys/{id}/revocation {reason}  security administrator
 *
 * and the "sign" member of POST /api/v1/cases/{id}/records, with which
 * the author signs the new record in the same request.
 *
 * The signer is always the authenticated user, who confirms with their
 * password: it opens their private key for this one signature. The
 * password is wiped from the request as soon as the key is open, and
 * never quoted in a reply or the log.
 */
#include "common/common.h"

#include <jansson.h>

#include "access/sign.h"
#include "api.h"

/* The "sign" of a new record: the open key and the role. */
struct sign_request {
	struct staff_signer *sg;
	char role[65];
};

/* Overwrites the password of obj and the raw body it was parsed from. */
static void wipe_password(struct api_call *call, json_t *obj)
{
	const char *text = json_string_value(json_object_get(obj, "password"));

	/* The body is this request's own, and freed right after. */
	if (text)
		crypto_wipe((char *)text, strlen(text));
	if (call->rq->upload.data)
		crypto_wipe(call->rq->upload.data, call->rq->upload.len);
}

/*
 * Reads {password, role} of obj (named what in messages). Returns 0, or
 * CT_EINVAL with a 422 in r.
 */
static int read_sign(const json_t *obj, const char *what,
		     const char **password, const char **role,
		     struct reply *r)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return reply_rejected(reply_problem_of(
		    r, PROBLEM_VALIDATION_FAILED,
		    "%s must be an object with password and role", what));
	json_object_foreach((json_t *)obj, key, v)
		if (strcmp(key, "password") && strcmp(key, "role"))
			return reply_rejected(reply_problem_of(
			    r, PROBLEM_VALIDATION_FAILED,
			    "member '%s' of %s is unknown; it takes password "
			    "and role", key, what));
	*password = json_string_value(json_object_get(obj, "password"));
	*role = json_string_value(json_object_get(obj, "role"));
	if (!*password || !**password || !*role)
		return reply_rejected(reply_problem_of(
		    r, PROBLEM_VALIDATION_FAILED,
		    "%s needs 'password', the signer's own, and 'role', the "
		    "role the record names them in (or author)", what));
	return 0;
}

/*
 * Opens the signer's key. A refusal (wrong password, a revoked, expired
 * or missing key, a locked account) is a 403 naming the reason.
 */
static int open_signer(struct api_call *call, const char *password,
		       struct staff_signer **sg, struct reply *r,
		       struct error *err)
{
	struct error why = { 0 };
	int rc = access_signer_open(call->s->access, call->actor.user,
				    password, call->rq->remote, sg, &why);

	if (rc == CT_EPERM)
		return reply_rejected(reply_problem_of(r, PROBLEM_FORBIDDEN,
						       "%s", why.msg));
	if (rc == CT_EINVAL || rc == CT_ENOTFOUND || rc == CT_EBUSY)
		return reply_rejected(reply_error(r, rc, &why));
	return rc ? error_set(err, rc, "%s", why.msg) : 0;
}

/* Parses the seq parameter; replies 400 when it is malformed. */
static int read_record_seq(const char *text, uint64_t *seq, struct reply *r)
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

/*
 * Resolves record seq's case and checks act on it with the policy.
 * Returns 0, 0 with *denied and a reply, or a code.
 */
static int allow_record(struct api_call *call, uint64_t seq,
			enum access_action act, struct reply *r, bool *denied,
			struct error *err)
{
	char case_id[CASE_ID_MAX + 1], kind[64];
	struct access_target t = { 0 };
	int rc = access_record_case(call->s->access, seq, case_id, kind, err);

	*denied = false;
	if (rc == CT_ENOTFOUND) {
		*denied = true;
		return reply_error(r, rc, err);
	}
	if (rc)
		return rc;
	t.case_id = case_id[0] ? case_id : NULL;
	return api_allow(call, act, &t, r, denied, err);
}

int create_signature(struct api_call *call, struct reply *r,
		     struct error *err)
{
	struct staff_signer *sg = NULL;
	const char *password = NULL, *role = NULL;
	json_t *out = NULL;
	uint64_t seq;
	bool denied;
	int rc;

	rc = query_check(call->c, (const char *const[]){ NULL }, r);
	if (rc == 0)
		rc = read_record_seq(call->params[0], &seq, r);
	if (rc == 0)
		rc = read_sign(call->body, "the body", &password, &role, r);
	if (rc == 0) {
		rc = allow_record(call, seq, ACT_RECORD_ADD, r, &denied, err);
		if (rc == 0 && denied)
			rc = CT_EINVAL;
	}
	if (rc == 0)
		rc = open_signer(call, password, &sg, r, err);
	wipe_password(call, call->body);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	rc = access_sign(call->s->access, sg, seq, role, &call->actor, &out,
			 err);
	access_signer_close(sg);
	if (rc)
		return reply_error(r, rc, err);
	snprintf(r->location, sizeof(r->location),
		 "/api/v1/records/%" PRIu64 "/signatures", seq);
	rc = reply_json(r, out, CACHE_NONE);
	r->status = MHD_HTTP_CREATED;
	return rc;
}

int serve_signatures(struct api_call *call, struct reply *r,
		     struct error *err)
{
	json_t *out = NULL;
	uint64_t seq;
	bool denied;
	int rc;

	rc = query_check(call->c, (const char *const[]){ NULL }, r);
	if (rc == 0)
		rc = read_record_seq(call->params[0], &seq, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	rc = allow_record(call, seq, ACT_CASE_READ, r, &denied, err);
	if (rc || denied)
		return rc;
	rc = access_signatures(call->s->access, seq, &out, err);
	if (rc)
		return reply_error(r, rc, err);
	return reply_json(r, out, CACHE_NONE);
}

int serve_staff_keys(struct api_call *call, struct reply *r,
		     struct error *err)
{
	static const char *const names[] = { "user", NULL };
	const char *user = NULL;
	json_t *out = NULL;
	int rc;

	rc = query_check(call->c, names, r);
	if (rc == 0)
		rc = query_text(call->c, "user", &user, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	rc = access_keys_list(call->s->access, user, &out, err);
	if (rc)
		return api_query_error(r, rc, err);
	return reply_json(r, out, CACHE_NONE);
}

int serve_staff_key(struct api_call *call, struct reply *r,
		    struct error *err)
{
	json_t *out = NULL;
	int rc = query_check(call->c, (const char *const[]){ NULL }, r);

	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	rc = access_key_get(call->s->access, call->params[0], &out, err);
	if (rc)
		return reply_error(r, rc, err);
	return reply_json(r, out, CACHE_NONE);
}

int revoke_staff_key(struct api_call *call, struct reply *r,
		     struct error *err)
{
	const json_t *reason = json_object_get(call->body, "reason");
	json_t *out = NULL, *v;
	const char *key;
	int rc = query_check(call->c, (const char *const[]){ NULL }, r);

	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	json_object_foreach(call->body, key, v)
		if (strcmp(key, "reason"))
			return reply_problem_of(r, PROBLEM_VALIDATION_FAILED,
						"member '%s' is unknown; the "
						"body takes reason", key);
	if (!json_is_string(reason) || !json_string_length(reason))
		return reply_problem_of(r, PROBLEM_VALIDATION_FAILED,
					"the body needs a non-empty 'reason': "
					"why the key must stop signing");
	rc = access_key_revoke(call->s->access, &call->actor, call->params[0],
			       json_string_value(reason), &out, err);
	if (rc)
		return reply_error(r, rc, err);
	rc = reply_json(r, out, CACHE_NONE);
	r->status = MHD_HTTP_CREATED;
	return rc;
}

/* --- signing a new record ------------------------------------------------------ */

int signature_begin(struct api_call *call, const char *kind,
		    const json_t *fields, struct sign_request **out,
		    struct reply *r, struct error *err)
{
	json_t *sign = json_object_get(call->body, "sign");
	const char *password = NULL, *role = NULL;
	struct sign_request *sr;
	struct error why = { 0 };
	int rc;

	*out = NULL;
	if (!sign)
		return 0;
	rc = read_sign(sign, "member 'sign'", &password, &role, r);
	if (rc == 0 && access_sign_allowed(call->actor.user, role, kind,
					   fields, call->actor.user, &why))
		rc = reply_rejected(reply_problem_of(
		    r, PROBLEM_VALIDATION_FAILED, "member 'sign': %s",
		    why.msg));
	sr = rc == 0 ? calloc(1, sizeof(*sr)) : NULL;
	if (rc == 0 && !sr)
		rc = error_set(err, CT_ENOMEM, "out of memory");
	if (rc == 0) {
		snprintf(sr->role, sizeof(sr->role), "%s", role);
		rc = open_signer(call, password, &sr->sg, r, err);
	}
	wipe_password(call, sign);
	if (rc) {
		signature_end(sr);
		return rc;
	}
	*out = sr;
	return 0;
}

void signature_attach(struct api_call *call, struct sign_request *sr,
		      json_t *record)
{
	json_t *seq = json_object_get(record, "seq"), *sig = NULL;
	struct error why = { 0 };

	if (!sr)
		return;
	/*
	 * The record is stored whatever happens here, so a failure is
	 * reported beside it and the signature can be made again alone.
	 */
	if (!json_is_integer(seq))
		snprintf(why.msg, sizeof(why.msg), "the record has no seq");
	else if (access_sign(call->s->access, sr->sg,
			     (uint64_t)json_integer_value(seq), sr->role,
			     &call->actor, &sig, &why) == 0)
		json_object_set_new(record, "signature", sig);
	if (!sig)
		json_object_set_new(record, "signature_error",
				    json_string(why.msg));
}

void signature_end(struct sign_request *sr)
{
	if (!sr)
		return;
	access_signer_close(sr->sg);
	free(sr);
}
