/*
 * The registry of finding codes (rules.h). Every code a finding may carry
 * is listed here once, with the statement that findings quote as their
 * "rule". The checks themselves live in evaluate.c and rules_eval.c (the
 * rules of one case), media_proj.c (surveillance), access/ (refused
 * access, copy requests) and the integrity checks; each names its code
 * from this table.
 */
#include "common/common.h"

#include "rules.h"

#define XKF "行政许可法"

static const struct finding_rule rules[] = {
	{ "repeat-supplement-notice", "major", "case", XKF "第三十二条",
	  "一次性告知：补正通知须一次列明全部缺少的材料；后一次通知又要求首次通知时已缺的材料",
	  "One-time notice: a supplement notice must list every missing "
	  "material at once; a later notice asked for a material already "
	  "missing at the first (Licensing Law art. 32)",
	  "the clerk of the later notice", NULL, NULL },
	{ "deemed-accepted", "major", "case", XKF "第三十二条",
	  "收到申请材料后五个工作日内未受理也未一次性告知补正，自收到材料之日起即为受理（行政许可法第三十二条）",
	  "No acceptance, refusal or supplement notice within 5 working days "
	  "of receipt: the application counts as accepted on receipt "
	  "(Licensing Law art. 32)",
	  "the clerk who registered the application", NULL, NULL },
	{ "missing-time-limit-notice", "minor", "case", "全过程记录办法第六条",
	  "除依法应当当场做出行政许可决定外，应书面告知申请人做出行政许可决定的时限并予以记录（全过程记录办法第六条）",
	  "Unless the licence is decided on the spot, the applicant must be "
	  "told the time limit for the decision in writing, and this "
	  "recorded (recording measures art. 6)",
	  "the clerk", "a time-limit notice", NULL },
	{ "self-approval-attempt", "major", "case", "全过程记录办法第二十五条",
	  "内部审批须由承办人、审核人、批准人三人分别进行，任何人不得审批自己的拟办意见",
	  "Handler, reviewer and approver must be three people; nobody "
	  "reviews or approves their own proposal (recording measures "
	  "art. 25)",
	  "the user who tried", NULL, NULL },
	{ "too-few-officers", "major", "case", XKF "第三十四条",
	  "需要对申请材料的实质内容进行核实的，行政机关应当指派两名以上工作人员进行核查（行政许可法第三十四条第三款）；核查人员须持有效执法证件（本局规定），笔录记录证件编号及出示情况（全过程记录办法第八条）",
	  "An on-site verification of the substance of the materials needs "
	  "two or more officers (Licensing Law art. 34(3)); each must hold a "
	  "valid credential (bureau rule), whose number and showing the "
	  "transcript records (recording measures art. 8)",
	  "the recording officer", "a correction with valid officers", NULL },
	{ "missing-signature", "minor", "case", "全过程记录办法第十条",
	  "笔录每页须由当事人签名或者盖章",
	  "Every page of a transcript must be signed or sealed by the party "
	  "(recording measures art. 10)",
	  "the recording officer", "a correction", NULL },
	{ "missing-record", "minor", "case", "全过程记录办法第五条",
	  "本阶段应当制作的文书记录缺失",
	  "A stage ended without a record it requires (data/record-kinds.json "
	  "\"required\"; recording measures art. 5)",
	  "the author of the record that ended the stage",
	  "the missing record, added late", NULL },
	{ "missing-rights-notice", "major", "case", XKF "第四十七条",
	  "行政许可直接涉及申请人与他人之间重大利益关系的，行政机关在作出行政许可决定前，应当告知申请人、利害关系人享有要求听证的权利（行政许可法第四十七条）",
	  "A licence that directly affects major interests between the "
	  "applicant and another party must, before the decision, be "
	  "preceded by telling the applicant and the interested parties of "
	  "their right to a hearing (Licensing Law art. 47)",
	  "the handler who proposed the decision",
	  "a hearing-rights notice given before the decision (after the "
	  "decision nothing cures it)", NULL },
	{ "missing-legal-review", "major", "case", "全过程记录办法第十四条",
	  "重大执法决定作出前须经法制审核，并记录审核人员、审核意见和建议（全过程记录办法第十四条；国办发〔2018〕118号）",
	  "A major enforcement decision needs a legal review, recording the "
	  "reviewers, opinion and suggestions, before it is made (recording "
	  "measures art. 14; State Council Office 2018 No. 118)",
	  "the approver of the decision", "a legal review, added late",
	  NULL },
	{ "missing-remedies", "major", "case", XKF "第三十八条",
	  "行政机关依法作出不予行政许可的书面决定的，应当说明理由，并告知申请人享有依法申请行政复议或者提起行政诉讼的权利（行政许可法第三十八条第二款）；本局的不予受理决定和部分许可决定同样告知，并写明复议机关、管辖法院及其期限（本局规定）",
	  "A written denial must give reasons and tell the applicant of the "
	  "right to administrative reconsideration or a lawsuit (Licensing "
	  "Law art. 38(2)); by the bureau's rule a refusal to accept and a "
	  "partial grant do too, and all name the reconsideration body, the "
	  "court and their time limits",
	  "the author of the refusal or decision",
	  "a correction stating the remedies", NULL },
	{ "missing-hearing-notice", "major", "case", XKF "第四十八条",
	  "行政机关应当于举行听证的七日前将举行听证的时间、地点通知申请人、利害关系人（行政许可法第四十八条）",
	  "A hearing was held without notifying the applicant and interested "
	  "parties of its time and place at least 7 days before (Licensing "
	  "Law art. 48)",
	  "the handler", NULL, NULL },
	{ "late-hearing", "major", "case", XKF "第四十七条、第四十八条",
	  "申请人、利害关系人在被告知听证权利之日起五日内提出听证申请的，行政机关应当在二十日内组织听证（行政许可法第四十七条）；行政机关应当于举行听证的七日前将举行听证的时间、地点通知申请人、利害关系人（行政许可法第四十八条第一款第一项）",
	  "A hearing requested within 5 days of being told of the right must "
	  "be held within 20 working days of the request (Licensing Law "
	  "art. 47); every hearing is noticed to the parties 7 days before "
	  "it (Licensing Law art. 48(1)(1))",
	  "the handler", "the hearing, held late (the finding keeps its "
	  "cure time)", NULL },
	{ "overdue-decision", "major", "case", XKF "第四十二条",
	  "未在法定期限内作出行政许可决定（行政许可法第四十二条）",
	  "No decision within the statutory limit counted from acceptance "
	  "(Licensing Law arts. 42, 45)",
	  "the handler", "the decision (the finding keeps its cure time)",
	  NULL },
	{ "overdue-delivery", "major", "case", XKF "第四十四条",
	  "作出准予许可决定后十个工作日内未颁发、送达许可证件（行政许可法第四十四条）",
	  "A granted licence not issued and served within 10 working days of "
	  "the decision (Licensing Law art. 44)",
	  "the handler", "service", NULL },
	{ "late-extension", "major", "case", XKF "第四十二条",
	  "延长审批期限须在期限届满前经本机关负责人批准，并将理由告知申请人",
	  "An extension must be approved by the head before the limit runs "
	  "out and told to the applicant with reasons (Licensing Law "
	  "art. 42)",
	  "the recording user", NULL, NULL },
	{ "unlawful-suspension", "major", "case", XKF "第四十五条",
	  "期限中止仅限听证、招标、拍卖、检验、检测、检疫、鉴定和专家评审，并须书面告知申请人所需时间（行政许可法第四十五条）",
	  "A suspension is lawful only for a hearing, tender, auction, "
	  "testing, inspection, quarantine, appraisal or expert review, with "
	  "written notice of its length (Licensing Law art. 45)",
	  "the recording user", "a correction adding the notice", NULL },
	{ "deemed-renewal", "major", "case", XKF "第五十条",
	  "延续申请在有效期届满三十日前提出，行政机关未在有效期届满前作出是否准予延续的决定的，视为准予延续（行政许可法第五十条）",
	  "A renewal applied for at least 30 days before expiry and not "
	  "decided before the expiry counts as granted (Licensing Law "
	  "art. 50)",
	  "the handler", NULL, "deemed-renewed" },
	{ "late-av-upload", "major", "case", "全过程记录办法第二十条",
	  "音像记录应当自录制结束之时起二十四小时内存储至执法信息系统，执法人员不得自行保存；逾期上传经批准说明理由的，记录理由但不消除本项",
	  "An audio-visual file must reach the store within 24 hours of the "
	  "end of its recording (recording measures art. 20)",
	  "the officer who recorded it", NULL, NULL },
	{ "missing-av", "major", "case", "全过程记录办法第十一条",
	  "现场核查和听证应当同步进行音像记录；因涉及商业秘密、个人隐私、未成年人等不宜音像记录的，应当记录理由",
	  "An on-site verification or hearing must be recorded on audio and "
	  "video, or the reason for an exemption recorded (recording "
	  "measures art. 11)",
	  "the recording user", "a file linked to the record", NULL },
	{ "copy-request-overdue", "major", "store", "全过程记录办法第二十一条",
	  "当事人申请复制案卷材料的，监督部门负责人应当在规定期限内作出批准或者不予批准的决定",
	  "A request to copy records must be decided by the head of the "
	  "supervisory department within its time limit (recording "
	  "measures art. 21)",
	  "the head of the supervisory department", "the decision", NULL },
	{ "surveillance-gap", "major", "store", "全过程记录办法第七条",
	  "受理窗口应当实时音像记录并保存不少于六十日，录像不得中断或者缺失",
	  "The acceptance window must be filmed without gaps and kept for at "
	  "least 60 days (recording measures art. 7)",
	  "the officer of the later segment",
	  "a segment filling the gap, uploaded later", NULL },
	{ "unauthorized-access", "major", "store", "全过程记录办法第二十二条",
	  "涉及商业秘密和个人信息的记录仅限经授权的人员查阅；同一用户在十分钟内五次越权访问被拒绝",
	  "Records with trade secrets or personal information are open only "
	  "to authorised staff; one user was refused five times in ten "
	  "minutes (recording measures art. 22)",
	  "the refused user", NULL, NULL },
	{ "unsigned-record", "minor", "case", "电子签名法第十三条",
	  "工作人员签名须由本人以其签名密钥对记录作出可靠的电子签名（电子签名法第十三条、第十四条）",
	  "A staff signature must be a reliable electronic signature made by "
	  "that person with their own key (Electronic Signature Law "
	  "arts. 13, 14)",
	  "the person named in the signature", "that person's SM2 signature",
	  NULL },
	{ "late-publicity", "major", "case", "双公示数据标准",
	  "准予行政许可的决定应当自作出决定之日起七个工作日内按照“双公示”数据标准报送信用平台并向社会公示",
	  "A granted licence must be submitted to the credit platform and "
	  "published within 7 working days of the decision (双公示 data "
	  "standard)",
	  "the handler", NULL, NULL },
	{ "late-archive", "major", "case", "全过程记录办法第二十条",
	  "案件办结后三十日内（法律另有规定的从其规定）应当将文字和音像记录立卷归档，编制档号、卷内目录和备考表",
	  "The written and audio-visual records of an ended case must be "
	  "filed as a sealed case file within 30 days (recording measures "
	  "art. 20)",
	  "the handler", NULL, NULL },
	{ "integrity-failure", "major", "store", "全过程记录办法第二十四条",
	  "执法记录不得毁损、删除或者修改；存储完整性校验（casetrail verify）发现问题的，由存储管理员负责查明",
	  "Records must not be damaged, deleted or altered; a verify run "
	  "found a problem in the store (recording measures art. 24 "
	  "items 3, 4)",
	  "the store administrator (the active user with role sysadmin)",
	  "a later verify run that passes", NULL },
	{ "purge-without-rule", "major", "store", "全过程记录办法第二十四条",
	  "音像记录只能按照在用的保存期限规则到期后清除，案件证据只能经他人批准后删除；无规则依据的清除或者文件缺失属于随意删除记录",
	  "Evidence may be purged only under a retention rule in force after "
	  "its period ended, and case evidence expunged only with another "
	  "person's approval; a purge outside a rule, or a file gone "
	  "without any purge or expunge entry, is an arbitrary deletion "
	  "(recording measures art. 24 item 3)",
	  "the actor of the purge or expunge; for a file gone without an "
	  "entry, the store administrator", NULL, NULL },
	{ "witness-behind", "major", "store", "全过程记录办法第二十条",
	  "执法记录应当按要求报监管部门保存；监管部门见证节点最新联署的检查点落后存储一小时以上或者一万条以上",
	  "Records must be reported to the supervisory department: the "
	  "latest checkpoint cosigned by its witness is more than 1 hour or "
	  "10,000 entries behind the store (recording measures art. 20)",
	  "the store administrator", "the witness catching up", NULL },
};

const struct finding_rule *finding_rules(size_t *n)
{
	*n = ARRAY_SIZE(rules);
	return rules;
}

const struct finding_rule *finding_rule_find(const char *code)
{
	for (size_t i = 0; code && i < ARRAY_SIZE(rules); i++)
		if (!strcmp(rules[i].code, code) ||
		    (rules[i].old_code && !strcmp(rules[i].old_code, code)))
			return &rules[i];
	return NULL;
}

json_t *finding_rules_json(void)
{
	json_t *items = json_array();

	for (size_t i = 0; i < ARRAY_SIZE(rules); i++) {
		const struct finding_rule *r = &rules[i];
		json_t *o = json_pack(
			"{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:s, s:s?, s:b}",
			"code", r->code, "severity", r->severity, "scope",
			r->scope, "basis", r->basis, "statement", "zh",
			r->statement_zh, "en", r->statement_en, "responsible",
			r->responsible, "cure", r->cure, "curable",
			r->cure != NULL);

		if (r->old_code)
			json_object_set_new(o, "old_code",
					    json_string(r->old_code));
		json_array_append_new(items, o);
	}
	return json_pack("{s:o, s:I}", "items", items, "total",
			 (json_int_t)ARRAY_SIZE(rules));
}
