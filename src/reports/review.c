/*
 * The score sheet of one case after the case-file review standard of
 * data/review-standard.json (行政许可案卷评查). The file lists the items,
 * their points, whether an item fails the case outright (一票否决) and the
 * name of the check that decides it. The checks themselves are the table
 * `checks` below, the one place that implements them. An item is present
 * (full points) or missing (none), with the reason. Items about the
 * decision do not apply to a case that has none and keep their points.
 */
#include "common/common.h"

#include <regex.h>

#include "access/access.h"
#include "archive/archive.h"
#include "internal.h"
#include "reports.h"

/* The input of a check: the case as shown, its findings, staff, laws. */
struct review_ctx {
	const json_t *shown;
	const json_t *findings;
	const json_t *staff;
	const json_t *laws;
	const json_t *seals;   /* archive_list items */
	const json_t *decision;
};

/*
 * A check: 1 present, 0 missing (reason set), CHECK_SHORT missing for a
 * reason that is no ground for the item's veto (reason set), -1 not
 * applicable.
 */
typedef int (*check_fn)(const struct review_ctx *rc, char *reason, size_t n);

#define CHECK_SHORT 2

static int has_finding(const struct review_ctx *rc, const char *code)
{
	json_t *f;
	size_t i;

	json_array_foreach(rc->findings, i, f)
		if (!strcmp(json_string_value(json_object_get(f, "code")) ?: "",
			    code))
			return 1;
	return 0;
}

/* Writes the first of codes that the case has as a finding into reason. */
static int no_findings(const struct review_ctx *rc, const char *const *codes,
		       char *reason, size_t n)
{
	for (size_t i = 0; codes[i]; i++)
		if (has_finding(rc, codes[i])) {
			snprintf(reason, n, "存在问题 %s", codes[i]);
			return 0;
		}
	return 1;
}

static const json_t *fields(const json_t *rec)
{
	return json_object_get(rec, "fields");
}

static int check_applicant(const struct review_ctx *rc, char *reason,
			   size_t n)
{
	const json_t *app = report_first_record(rc->shown, "application");
	const char *name = json_string_value(json_object_get(fields(app),
							     "applicant"));
	const char *id = json_string_value(json_object_get(fields(app),
							   "applicant_id"));

	if (!app) {
		snprintf(reason, n, "无申请登记记录（内容已删除或缺失）");
		return 0;
	}
	if (!name || !name[0] || !id || !id[0]) {
		snprintf(reason, n, "申请人名称或证件号码未登记");
		return 0;
	}
	return 1;
}

static int holds_role(const json_t *user, const char *role)
{
	json_t *r;
	size_t i;

	json_array_foreach(json_object_get(user, "roles"), i, r)
		if (!strcmp(json_string_value(r) ?: "", role))
			return 1;
	return 0;
}

/* The person of the first signature of rec with role (or method). */
static const char *signer(const json_t *rec, const char *key,
			  const char *value)
{
	json_t *s;
	size_t i;

	json_array_foreach(json_object_get(fields(rec), "signatures"), i, s)
		if (!strcmp(json_string_value(json_object_get(s, key)) ?: "",
			    value))
			return json_string_value(json_object_get(s, "person"));
	return NULL;
}

static int check_authorised(const struct review_ctx *rc, char *reason,
			    size_t n)
{
	const char *who;
	const json_t *user;

	if (!rc->decision)
		return -1;
	who = signer(rc->decision, "role", "approver");
	if (!who) {
		snprintf(reason, n, "许可决定书无审批负责人签名");
		return 0;
	}
	user = json_object_get(rc->staff, who);
	if (!user || !(holds_role(user, "approver") || holds_role(user, "head"))) {
		snprintf(reason, n, "许可决定由无审批权限的人员 %s 签发", who);
		return 0;
	}
	/* A rejected self-approval attempt is no decision signed without
	 * authority: procedure-complete counts it. */
	return 1;
}

static int check_basis(const struct review_ctx *rc, char *reason, size_t n)
{
	const json_t *basis;
	json_t *b;
	size_t i;

	if (!rc->decision)
		return -1;
	basis = json_object_get(fields(rc->decision), "basis");
	if (json_array_size(basis) == 0) {
		snprintf(reason, n, "许可决定书未援引法律依据");
		return 0;
	}
	json_array_foreach(basis, i, b) {
		const char *law = json_string_value(json_object_get(b, "law"));
		json_t *l;
		size_t j;
		int known = 0;

		if (!law || !json_is_integer(json_object_get(b, "article"))) {
			snprintf(reason, n, "第 %zu 项依据未具体到条", i + 1);
			return 0;
		}
		json_array_foreach(json_object_get(rc->laws, "laws"), j, l)
			known |= !strcmp(json_string_value(json_object_get(
						 l, "id")) ?: "", law);
		if (!known) {
			snprintf(reason, n, "依据所引法律 %s 不在法律库中", law);
			return 0;
		}
	}
	return 1;
}

static int check_procedure(const struct review_ctx *rc, char *reason,
			   size_t n)
{
	static const char *const codes[] = {
		"missing-record", "self-approval-attempt",
		"missing-time-limit-notice", "late-extension",
		"unlawful-suspension", "repeat-supplement-notice",
		"deemed-accepted", NULL,
	};
	int approve = 0, review = 0;
	json_t *r;
	size_t i;

	if (!report_first_record(rc->shown, "acceptance-notice") &&
	    !report_first_record(rc->shown, "refusal") &&
	    !report_first_record(rc->shown, "withdrawal")) {
		snprintf(reason, n, "无受理通知书或不予受理决定书");
		return 0;
	}
	json_array_foreach(json_object_get(rc->shown, "records"), i, r) {
		const char *step = json_string_value(json_object_get(
			fields(r), "step"));

		if (step && !json_object_get(r, "superseded_by")) {
			review |= !strcmp(step, "review");
			approve |= !strcmp(step, "approve");
		}
	}
	if (rc->decision && !report_first_record(rc->shown,
						  "proposed-decision")) {
		snprintf(reason, n, "无审查意见");
		return 0;
	}
	if (rc->decision && (!review || !approve)) {
		snprintf(reason, n, "审核、审批记录不全");
		return 0;
	}
	return no_findings(rc, codes, reason, n);
}

static int check_evidence(const struct review_ctx *rc, char *reason,
			  size_t n)
{
	static const char *const codes[] = {
		"too-few-officers", "missing-av", "late-av-upload", NULL,
	};
	const json_t *missing = json_object_get(json_object_get(rc->shown,
								"materials"),
						"missing");

	if (rc->decision && json_array_size(missing) > 0) {
		snprintf(reason, n, "缺少法定申请材料 %s",
			 json_string_value(json_object_get(json_array_get(
				 missing, 0), "name")) ?: "");
		return 0;
	}
	return no_findings(rc, codes, reason, n);
}

static int check_signed(const struct review_ctx *rc, char *reason, size_t n)
{
	static const char *const codes[] = {
		"missing-signature", "unsigned-record", NULL,
	};

	return no_findings(rc, codes, reason, n);
}

/* The documents that carry the bureau's seal and number. */
static const char *const sealed_kinds[] = {
	"acceptance-notice", "refusal", "decision", NULL,
};

static int check_sealed(const struct review_ctx *rc, char *reason, size_t n)
{
	int any = 0;

	for (size_t i = 0; sealed_kinds[i]; i++) {
		const json_t *rec = report_first_record(rc->shown,
							sealed_kinds[i]);

		if (!rec)
			continue;
		any = 1;
		if (!signer(rec, "method", "seal")) {
			snprintf(reason, n, "%s 未加盖印章", json_string_value(
					 json_object_get(rec, "name")) ?: "");
			return 0;
		}
	}
	return any ? 1 : -1;
}

/*
 * A decision made after the statutory limit (超过法定期限作出决定) fails
 * the item with its veto. A late delivery of the licence loses the
 * item's points but is no ground for the veto.
 */
static int check_in_time(const struct review_ctx *rc, char *reason,
			 size_t n)
{
	static const char *const decision_codes[] = {
		"overdue-decision", NULL,
	};
	static const char *const delivery_codes[] = {
		"overdue-delivery", NULL,
	};
	const json_t *deadlines = json_object_get(rc->shown, "deadlines");
	const char *state = json_string_value(json_object_get(
		json_object_get(deadlines, "decision"), "state"));
	const char *served = json_string_value(json_object_get(
		json_object_get(deadlines, "delivery"), "state"));

	if (state && (!strcmp(state, "late") || !strcmp(state, "overdue"))) {
		snprintf(reason, n, "超过法定期限作出决定");
		return 0;
	}
	if (!no_findings(rc, decision_codes, reason, n))
		return 0;
	if (served && (!strcmp(served, "late") || !strcmp(served, "overdue"))) {
		snprintf(reason, n, "未在法定期限内送达许可证件");
		return CHECK_SHORT;
	}
	return no_findings(rc, delivery_codes, reason, n) ? 1 : CHECK_SHORT;
}

static int check_numbered(const struct review_ctx *rc, char *reason,
			  size_t n)
{
	regex_t re;
	int any = 0, ok = 1;

	/* <prefix>〔<year>〕<n>号, as the workflow draws numbers. */
	if (regcomp(&re, "^.+〔[0-9]{4}〕[0-9]+号$", REG_EXTENDED | REG_NOSUB))
		return -1;
	for (size_t i = 0; ok && sealed_kinds[i]; i++) {
		const json_t *rec = report_first_record(rc->shown,
							sealed_kinds[i]);
		const char *no = json_string_value(json_object_get(fields(rec),
								   "number"));

		if (!rec)
			continue;
		any = 1;
		if (!no || regexec(&re, no, 0, NULL, 0) != 0) {
			snprintf(reason, n, "%s 无规范文号",
				 json_string_value(json_object_get(rec, "name"))
					 ?: "");
			ok = 0;
		}
	}
	regfree(&re);
	return !any ? -1 : ok;
}

static int check_case_file(const struct review_ctx *rc, char *reason,
			   size_t n)
{
	if (json_array_size(rc->seals) > 0)
		return 1;
	snprintf(reason, n, "案卷尚未封存，无卷内目录");
	return 0;
}

static const struct {
	const char *name;
	check_fn fn;
} checks[] = {
	{ "applicant-identified", check_applicant },
	{ "authorised-decision", check_authorised },
	{ "basis-cited", check_basis },
	{ "procedure-complete", check_procedure },
	{ "evidence-complete", check_evidence },
	{ "documents-signed", check_signed },
	{ "documents-sealed", check_sealed },
	{ "decided-in-time", check_in_time },
	{ "documents-numbered", check_numbered },
	{ "case-file-sealed", check_case_file },
};

static check_fn find_check(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(checks); i++)
		if (!strcmp(checks[i].name, name))
			return checks[i].fn;
	return NULL;
}

/* Loads and checks data/review-standard.json. */
static int load_standard(struct cases *c, json_t **out, struct error *err)
{
	char path[4096];
	json_error_t jerr;
	json_t *std, *item;
	size_t i;

	snprintf(path, sizeof(path), "%s/review-standard.json",
		 cases_data_dir(c));
	std = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!std)
		return error_set(err, CT_ECORRUPT, "review standard '%s' cannot "
				 "be read: %s (line %d)", path, jerr.text,
				 jerr.line);
	if (!json_is_array(json_object_get(std, "items")) ||
	    !json_is_array(json_object_get(std, "grades")) ||
	    !json_is_string(json_object_get(std, "name")) ||
	    !json_is_integer(json_object_get(std, "version")) ||
	    !json_is_string(json_object_get(std, "source"))) {
		json_decref(std);
		return error_set(err, CT_ECORRUPT, "review standard '%s' needs "
				 "'name', 'version', 'source' and the arrays "
				 "'items' and 'grades'", path);
	}
	json_array_foreach(json_object_get(std, "items"), i, item) {
		const char *check = json_string_value(json_object_get(item,
								      "check"));

		if (!check || !find_check(check) ||
		    !json_is_integer(json_object_get(item, "points")) ||
		    !json_is_string(json_object_get(item, "code")) ||
		    !json_is_string(json_object_get(item, "name"))) {
			/* The message copies check before std is freed. */
			int rc = error_set(err, CT_ECORRUPT, "review standard "
					   "item %zu has no code, name or "
					   "points, or an unknown check '%s'; "
					   "docs/reports.md lists the checks",
					   i + 1, check ? check : "");

			json_decref(std);
			return rc;
		}
	}
	*out = std;
	return 0;
}

static const char *grade_of(const json_t *std, json_int_t total, int vetoed)
{
	const char *last = "不合格";
	json_t *g;
	size_t i;

	json_array_foreach(json_object_get(std, "grades"), i, g) {
		last = json_string_value(json_object_get(g, "grade")) ?: last;
		if (!vetoed &&
		    total >= json_integer_value(json_object_get(g, "min")))
			return last;
	}
	return last;
}

/*
 * Keeps only the findings detected by the time the seal was recorded, so
 * that the sheet of an archived file does not change afterwards.
 */
static void keep_sealed_findings(const json_t *shown, const json_t *seal,
				 json_t *findings)
{
	json_int_t seq = json_integer_value(json_object_get(seal, "seq"));
	const char *recorded = NULL;
	int64_t sealed_ms;
	json_t *r;
	size_t i;

	json_array_foreach(json_object_get(shown, "records"), i, r)
		if (json_integer_value(json_object_get(r, "seq")) == seq)
			recorded = json_string_value(json_object_get(
				r, "recorded"));
	if (!recorded || cases_time_parse(recorded, &sealed_ms) != 0)
		return;
	/* The rendering is to the second; a finding of that second stays. */
	sealed_ms += 999;
	for (i = json_array_size(findings); i-- > 0;)
		if (json_integer_value(json_object_get(json_array_get(findings, i),
						       "detected")) > sealed_ms)
			json_array_remove(findings, i);
}

/* Keeps only the records the last seal covers (seq <= covers.last). */
static void keep_sealed(json_t *shown, const json_t *seal)
{
	json_int_t last = json_integer_value(json_object_get(
		json_object_get(seal, "covers"), "last"));
	json_t *recs = json_object_get(shown, "records");

	for (size_t i = json_array_size(recs); i-- > 0;)
		if (json_integer_value(json_object_get(json_array_get(recs, i),
						       "seq")) > last)
			json_array_remove(recs, i);
}

static json_t *score(const json_t *std, const struct review_ctx *rc,
		     json_int_t *total, json_int_t *max, json_t *vetoed)
{
	json_t *items = json_array(), *item;
	size_t i;

	json_array_foreach(json_object_get(std, "items"), i, item) {
		json_int_t points = json_integer_value(json_object_get(item,
								       "points"));
		int veto = json_is_true(json_object_get(item, "veto"));
		char reason[512] = "";
		int r = find_check(json_string_value(json_object_get(
			item, "check")))(rc, reason, sizeof(reason));
		const char *state = "missing";
		int present = r == 1 || r < 0;

		if (r == 1) {
			state = "present";
			reason[0] = '\0';
		} else if (r < 0) {
			state = "not-applicable";
			snprintf(reason, sizeof(reason), "本案无此项文书，不适用");
		}

		*max += points;
		*total += present ? points : 0;
		if (r == 0 && veto)
			json_array_append(vetoed, json_object_get(item, "code"));
		json_array_append_new(items, json_pack(
			"{s:O, s:O, s:O, s:I, s:I, s:s, s:b, s:b, s:s}", "code",
			json_object_get(item, "code"), "name",
			json_object_get(item, "name"), "check",
			json_object_get(item, "check"), "points", points,
			"score", present ? points : 0, "state", state, "veto", veto,
			"applicable", r >= 0, "reason", reason));
	}
	return items;
}

int reports_review(struct access *a, const char *case_id, json_t **out,
		   struct error *err)
{
	struct cases *c = access_cases(a);
	json_t *std = NULL, *shown = NULL, *findings = json_array();
	json_t *staff = NULL, *seals = NULL, *vetoed = json_array(), *items;
	const json_t *seal = NULL;
	json_int_t total = 0, max = 0;
	struct review_ctx rc;
	int rv = load_standard(c, &std, err);

	if (rv == 0)
		rv = cases_show(c, case_id, &shown, err);
	if (rv == 0)
		rv = report_case_findings(c, case_id, findings, err);
	if (rv == 0)
		rv = archive_list(a, case_id, &seals, err);
	if (rv == 0 && !(staff = report_staff(c, err)))
		rv = err->code ? err->code : CT_ENOMEM;
	if (rv)
		goto out;
	seal = json_array_get(json_object_get(seals, "items"),
			      json_array_size(json_object_get(seals, "items")) -
				      1);
	if (seal) {
		keep_sealed_findings(shown, seal, findings);
		keep_sealed(shown, seal);
	}
	report_apply_corrections(shown, seal ? json_integer_value(
		json_object_get(json_object_get(seal, "covers"), "last"))
					     : INT64_MAX);
	rc = (struct review_ctx){ shown, findings, staff, cases_laws(c),
				  json_object_get(seals, "items"), NULL };
	rc.decision = report_first_record(shown, "decision");
	items = score(std, &rc, &total, &max, vetoed);
	*out = json_pack("{s:s, s:O, s:O, s:o, s:I, s:I, s:s, s:O, s:o, "
			 "s:{s:O, s:O, s:O}}",
			 "case", case_id, "status",
			 json_object_get(shown, "status"), "sealed",
			 seal ? json_object_get(seal, "seq") : json_null(),
			 "items", items, "total", total, "max", max, "grade",
			 grade_of(std, total, json_array_size(vetoed) > 0),
			 "vetoed", vetoed, "findings",
			 json_integer((json_int_t)json_array_size(findings)),
			 "standard", "name", json_object_get(std, "name"),
			 "version", json_object_get(std, "version"), "source",
			 json_object_get(std, "source"));
	if (!*out)
		rv = error_set(err, CT_ENOMEM, "out of memory scoring case "
			       "'%s'", case_id);
out:
	json_decref(std);
	json_decref(shown);
	json_decref(findings);
	json_decref(staff);
	json_decref(seals);
	json_decref(vetoed);
	return rv;
}
