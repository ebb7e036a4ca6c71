/*
 * Expunge needs the security administrator's approval. The approval is
 * an "expunge-approval" entry by a user holding secadmin, {seq (of the
 * entry whose content is to go), blob (the attachment's hash, when one
 * file is to go instead), reason}, appended before the expunge. access_expunge then destroys
 * exactly what an approval names, and the expunge entry records the
 * approver as "approved_by". An entry can be expunged only once, so one
 * approval serves one expunge.
 *
 * The projection keeps each approval under the target's seq and blob
 * ("expunge-approval"), where the expunge looks it up.
 */
#include "common/common.h"

#include "common/log.h"
#include "internal.h"
#include "store/projection.h"

#define NS_APPROVAL "expunge-approval"

/* The maximum length of an approval's reason, in bytes. */
#define APPROVAL_REASON_MAX 2000

static void approval_key(uint64_t seq, const char *blob, char *out,
			 size_t n)
{
	snprintf(out, n, "%020" PRIu64 "/%s", seq, blob ? blob : "content");
}

/* Checks that seq is an entry that may be expunged, holding blob. */
static int check_target(struct store *s, uint64_t seq, const char *blob,
			uint64_t before, struct error *err)
{
	struct buf body = BUF_INIT_MAX(LEDGER_ENTRY_MAX + 1);
	json_t *entry = NULL, *att;
	const char *kind;
	bool found = blob == NULL;
	size_t i;
	int rc;

	if (seq >= before)
		return error_set(err, CT_ENOTFOUND, "entry %" PRIu64 " not "
				 "found", seq);
	rc = store_entry_get(s, seq, &body, err);
	if (rc == 0 && !(entry = json_loadb(body.data, body.len, 0, NULL)))
		rc = error_set(err, CT_ECORRUPT, "entry %" PRIu64 " is not "
			       "JSON", seq);
	buf_release(&body);
	if (rc)
		return rc;
	kind = json_string_value(json_object_get(entry, "kind")) ?: "";
	if (!strcmp(kind, KIND_EXPUNGE) || !strcmp(kind, KIND_PURGE))
		rc = error_set(err, CT_EINVAL, "entry %" PRIu64 " is itself "
			       "a%s %s entry, which cannot be expunged", seq,
			       kind[0] == 'e' ? "n" : "", kind);
	json_array_foreach(json_object_get(entry, "attachments"), i, att)
		found |= blob && !strcmp(json_string_value(json_object_get(
					 att, "hash")) ?: "", blob);
	if (rc == 0 && !found)
		rc = error_set(err, CT_ENOTFOUND, "entry %" PRIu64 " has no "
			       "attachment %s", seq, blob);
	json_decref(entry);
	return rc;
}

int project_expunge_approval(struct access *a, struct store *s,
			     const struct cases_entry *e, struct error *err)
{
	json_t *seq_v = json_object_get(e->fields, "seq");
	const char *blob = json_string_value(json_object_get(e->fields,
							      "blob"));
	const char *reason = json_string_value(json_object_get(e->fields,
								"reason"));
	char key[HASH_TEXT_MAX + 32], when[32];
	json_t *row;
	char *text;
	bool has;
	int rc;

	(void)a;
	if (!json_is_integer(seq_v) || json_integer_value(seq_v) < 0 ||
	    !reason || !reason[0])
		return error_set(err, CT_EINVAL, "an expunge approval needs "
				 "the seq of its target and a reason");
	if (!e->replaying) {
		rc = store_user_has_role(s, e->actor, "secadmin", &has, err);
		if (rc == 0 && !has)
			rc = error_set(err, CT_EPERM, "'%s' is not a security "
				       "administrator; only the security "
				       "administrator approves an expunge",
				       e->actor);
		if (rc == 0)
			rc = check_target(s, (uint64_t)json_integer_value(
						  seq_v), blob, e->seq, err);
		if (rc)
			return rc;
	}
	cases_time_format(e->ts_ms, when);
	row = json_deep_copy(e->fields);
	json_object_set_new(row, "approval", json_integer((json_int_t)e->seq));
	json_object_set_new(row, "by", json_string(e->actor));
	json_object_set_new(row, "at", json_string(when));
	text = row ? json_dumps(row, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(row);
	if (!text)
		return error_set(err, CT_ENOMEM, "out of memory");
	approval_key((uint64_t)json_integer_value(seq_v), blob, key,
		     sizeof(key));
	rc = store_kv_put(s, NS_APPROVAL, key, e->seq, text, err);
	free(text);
	return rc;
}

int access_expunge_approve(struct access *a, const struct principal *p,
			   const char *os_user, uint64_t seq, const char *blob,
			   const char *reason, json_t **out,
			   struct error *err)
{
	struct ledger_record rec = { .kind = "expunge-approval",
				     .actor = p->user, .os_user = os_user,
				     .supersedes = -1 };
	struct ledger_receipt receipt;
	json_t *fields;
	int rc;

	*out = NULL;
	if (!reason || !reason[0])
		return error_set(err, CT_EINVAL, "an expunge approval needs a "
				 "reason; give --reason");
	if (strlen(reason) > APPROVAL_REASON_MAX)
		return error_set(err, CT_EINVAL, "the reason is longer than %d "
				 "bytes", APPROVAL_REASON_MAX);
	if (seq > INT64_MAX)
		return error_set(err, CT_EINVAL, "seq %" PRIu64 " is out of "
				 "range", seq);
	rc = access_decide(a, p, ACT_EXPUNGE_APPROVE, NULL, err);
	if (rc)
		return rc;
	fields = json_pack("{s:I, s:s}", "seq", (json_int_t)seq, "reason",
			   reason);
	if (blob)
		json_object_set_new(fields, "blob", json_string(blob));
	rec.fields = fields;
	rc = ledger_append(a->ledger, &rec, &receipt, err);
	json_decref(fields);
	if (rc)
		return rc;
	log_info("access", "expunge approved", "seq=%" PRIu64 " approval=%"
		 PRIu64 " user=%s", seq, receipt.seq, p->user);
	return access_expunge_approval(a, seq, blob, out, err);
}

int access_expunge_approval(struct access *a, uint64_t seq,
			    const char *blob, json_t **out, struct error *err)
{
	struct buf body = BUF_INIT_MAX(1 << 16);
	char key[HASH_TEXT_MAX + 32];
	struct store *s;
	int rc = ledger_read_begin(a->ledger, &s, err);

	*out = NULL;
	if (rc)
		return rc;
	approval_key(seq, blob, key, sizeof(key));
	rc = store_kv_get(s, NS_APPROVAL, key, &body, NULL, err);
	ledger_read_end(a->ledger, s);
	if (rc == CT_ENOTFOUND)
		rc = error_set(err, CT_EPERM, "expunging %s of entry %" PRIu64
			       " needs the security administrator's approval, "
			       "and none is recorded; the security "
			       "administrator records it with 'casetrail "
			       "expunge approve %" PRIu64 "%s%s --reason TEXT "
			       "--as NAME'", blob ? "attachment" : "the content",
			       seq, seq, blob ? " --blob " : "", blob ? blob : "");
	if (rc == 0 && !(*out = json_loadb(body.data, body.len, 0, NULL)))
		rc = error_set(err, CT_ECORRUPT, "the approval row of entry %"
			       PRIu64 " is not JSON; run 'casetrail rebuild'",
			       seq);
	buf_release(&body);
	return rc;
}

int access_expunge(struct access *a, uint64_t seq, const char *blob,
		   const char *reason, const char *approved_by,
		   const struct actor *by, struct ledger_receipt *receipt,
		   struct error *err)
{
	json_t *approval = NULL;
	const char *approver;
	struct store *s;
	bool has = false;
	int rc = access_expunge_approval(a, seq, blob, &approval, err);

	if (rc)
		return rc;
	approver = json_string_value(json_object_get(approval, "by")) ?: "";
	if (approved_by && strcmp(approved_by, approver))
		rc = error_set(err, CT_EPERM, "the expunge of entry %" PRIu64
			       " was approved by '%s', not '%s' (approval %"
			       PRId64 ")", seq, approver, approved_by,
			       (int64_t)json_integer_value(json_object_get(
				       approval, "approval")));
	if (rc == 0)
		rc = ledger_read_begin(a->ledger, &s, err);
	if (rc == 0) {
		rc = store_user_has_role(s, approver, "secadmin", &has, err);
		ledger_read_end(a->ledger, s);
	}
	if (rc == 0 && !has)
		rc = error_set(err, CT_EPERM, "'%s', who approved the expunge "
			       "of entry %" PRIu64 ", no longer holds the "
			       "security administrator role; ask the present "
			       "one to approve it again", approver, seq);
	if (rc == 0)
		rc = ledger_expunge(a->ledger, seq, blob, reason, approver,
				    by->user, by->os_user, receipt, err);
	json_decref(approval);
	return rc;
}
