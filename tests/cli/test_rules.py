#!/usr/bin/env python3
"""The rules a record must pass before it is stored: the stage a case has
reached, the schema of its kind (fields, signatures, the party's
confirmation, the audio-visual record) and internal approval.

Every rejection exits 2 with an error that names the rule, and leaves the
log and the case as they were. The log size from the checkpoint stays
the same, the next seq does not exist and case show prints the same
JSON. A self-approval attempt is the one rejection that stores
something: an entry of kind finding.
"""

import copy
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import ctest  # noqa: E402
from casecheck import FixedDateCase  # noqa: E402
from workflow import BASIS, OFFICERS, at, day, party_sig, seal_sig, staff_sig  # noqa: E402

CONFIRMATION = "以上笔录我已看过，与我所说相符"


def receipt_fields():
    return {"received": [{"code": "sqs", "name": "食品经营许可申请书", "copies": 1,
                          "original": True}],
            "receipt_date": day(-1),
            "signatures": [staff_sig("clerk", "wang.clerk"), seal_sig(0)]}


def onsite_fields():
    return {"place": "南京市秦淮区中山南路1号经营场所", "start": at(-1, 9), "end": at(-1, 10),
            "officers": copy.deepcopy(OFFICERS), "findings": "经营场所与申请材料一致。",
            "pages": 2, "confirmation": CONFIRMATION, "av": [{"attachment": 1}],
            "signatures": [staff_sig("officer", "li.handler"), staff_sig("officer", "sun.officer"),
                           party_sig("party", "张三", 0, 2)]}


def rights_fields(party):
    return {"rights": ["陈述", "申辩", "申请回避", "申请听证"], "told_on": day(-1),
            "method": "written", "signatures": [staff_sig("handler", "li.handler"), party]}


def proposal_fields(basis):
    return {"result": "grant", "opinion": "建议准予许可", "reasons": "申请材料齐全。",
            "basis": basis, "factors": ["材料"],
            "signatures": [staff_sig("handler", "li.handler")]}


def electronic_fields():
    return {"document": "acceptance-notice", "address": "zhangsan@example.com",
            "sent_on": at(0, 0), "received_on": at(0, 0),
            "signatures": [staff_sig("server", "wang.clerk")]}


class StageRuleTest(FixedDateCase):
    def test_decision_in_acceptance_names_stage(self):
        case = self.new_case()
        self.add_rejected(case, "decision", self.decision_fields(), "zhang.head",
                          ["record of kind 'decision' belongs to stage decision",
                           "case %s is in stage acceptance" % case,
                           "the stage ends with acceptance-notice"], attach=1)

    def test_proposal_before_acceptance_rejected(self):
        case = self.new_case()
        self.receipt(case)
        self.add_rejected(case, "proposed-decision", proposal_fields(BASIS), "li.handler",
                          ["'proposed-decision' belongs to stage investigation",
                           "is in stage acceptance"])

    def test_acceptance_twice_rejected(self):
        case = self.new_case()
        self.accept(case)
        self.add_rejected(case, "acceptance-notice", {
            "accepted_on": day(0), "signatures": [staff_sig("clerk", "wang.clerk"), seal_sig(0)],
        }, "wang.clerk", ["case %s is past acceptance (stage investigation)" % case], attach=1)

    def test_refusal_after_acceptance_rejected(self):
        case = self.new_case()
        self.accept(case)
        self.add_rejected(case, "refusal", self.refusal_fields(), "wang.clerk",
                          ["is past acceptance"], attach=1)

    def test_licence_issue_without_grant_rejected(self):
        fields = {"licence_no": "JY13201040012345", "issued_on": day(0),
                  "signatures": [staff_sig("clerk", "wang.clerk")]}
        case = self.approved_case()
        self.add_rejected(case, "licence-issue", fields, "wang.clerk",
                          ["'licence-issue' belongs to stage service", "in stage decision"])
        self.add(case, "decision", self.decision_fields("deny"), "zhang.head", attach=1)
        self.add_rejected(case, "licence-issue", fields, "wang.clerk",
                          ["case %s has no decision granting the licence" % case])

    def test_electronic_service_needs_consent(self):
        case = self.new_case()
        self.accept(case)
        needle = ["electronic service needs the recipient's consent"]
        self.add_rejected(case, "service-electronic", electronic_fields(), "wang.clerk", needle)
        self.address(case, consent=False)
        self.add_rejected(case, "service-electronic", electronic_fields(), "wang.clerk", needle)
        self.address(case, consent=True)
        self.add(case, "service-electronic", electronic_fields(), "wang.clerk")

    def test_decision_service_before_decision_rejected(self):
        case = self.accepted_case()
        fields = {"document": "decision", "served_on": at(0, 0), "recipient": "张三",
                  "method": "window",
                  "signatures": [staff_sig("server", "wang.clerk"),
                                 party_sig("recipient", "张三")]}
        self.add_rejected(case, "service-direct", fields, "wang.clerk",
                          ["case %s has no decision to serve yet" % case], attach=1)

    def test_resumption_without_suspension_rejected(self):
        case = self.accepted_case()
        self.add_rejected(case, "resumption", {
            "resumed_on": day(0), "signatures": [staff_sig("handler", "li.handler")],
        }, "li.handler", ["case %s has no suspension to end" % case])

    def test_second_suspension_rejected(self):
        case = self.accepted_case()
        self.suspend(case, day(-2))
        self.add_rejected(case, "suspension", self.suspension_fields(day(-1)), "li.handler",
                          ["case %s is suspended already" % case])
        self.resume(case, day(-1))
        self.suspend(case, day(0))

    def test_later_stage_kind_rejected(self):
        case = self.new_case()
        self.add_rejected(case, "hearing-notice", self.hearing_notice_fields("sun.officer"),
                          "li.handler", ["'hearing-notice' belongs to stage investigation",
                                         "in stage acceptance"], attach=1)
        case = self.accepted_case()
        self.add_rejected(case, "legal-review", {
            "reviewers": ["qian.legal"], "items": [{"item": "basis", "opinion": "依据正确。"}],
            "opinion": "agree", "signatures": [staff_sig("legal", "qian.legal")],
        }, "qian.legal", ["'legal-review' belongs to stage decision", "in stage investigation"])

    def test_reserved_kinds_rejected(self):
        case = self.new_case()
        self.add_rejected(case, "application", {
            "matter": "spjy-xk", "applicant": "某某餐饮管理有限公司", "channel": "window",
            "received": at(-1),
        }, "wang.clerk", ["case %s has its application already" % case])
        self.add_rejected(case, "finding", {"code": "x"}, "wang.clerk", ["record kind 'finding'"])
        self.add_rejected(case, "minutes", {"text": "x"}, "wang.clerk",
                          ["record kind 'minutes' is unknown"])


class SchemaRuleTest(FixedDateCase):
    def setUp(self):
        super().setUp()
        self.case = self.new_case()

    def rejected(self, kind, fields, needles, actor="wang.clerk", attach=1, case=None):
        self.add_rejected(case or self.case, kind, fields, actor, needles, attach=attach)

    def test_missing_field_names_label(self):
        f = receipt_fields()
        del f["receipt_date"]
        self.rejected("material-receipt", f, ["field 'receipt_date' (接收日期) is missing",
                                              "kind 'material-receipt' requires it"])
        f = receipt_fields()
        del f["received"][0]["copies"]
        self.rejected("material-receipt", f, ["field 'received[0].copies' (份数) is missing"])

    def test_wrong_type_rejected(self):
        f = receipt_fields()
        f["received"][0]["copies"] = "1"
        self.rejected("material-receipt", f, ["field 'received[0].copies' must be an integer"])
        f = receipt_fields()
        f["received"][0]["original"] = "yes"
        self.rejected("material-receipt", f, ["field 'received[0].original' must be true or false"])
        f = receipt_fields()
        f["received"] = f["received"][0]
        self.rejected("material-receipt", f, ["field 'received' must be a list"])
        f = receipt_fields()
        f["received"][0]["copies"] = 0
        self.rejected("material-receipt", f, ["field 'received[0].copies' is 0; the least allowed is 1"])

    def test_unknown_field_rejected(self):
        f = receipt_fields()
        f["remark"] = "x"
        self.rejected("material-receipt", f, ["field 'remark' is not a field of kind 'material-receipt'"])
        f = receipt_fields()
        f["received"][0]["colour"] = "red"
        self.rejected("material-receipt", f, ["field 'received[0].colour' is not a field"])

    def test_enum_value_rejected(self):
        f = rights_fields(party_sig("party", "张三"))
        f["method"] = "email"
        self.rejected("rights-notice", f, ["field 'method' is 'email'; use one of written, oral"])
        f["method"] = 1
        self.rejected("rights-notice", f, ["field 'method' is not a string"])

    def test_impossible_date_rejected(self):
        for bad in ("2026-02-30", "2026-9-1", "2026-09-01T00:00:00+08:00"):
            f = receipt_fields()
            f["receipt_date"] = bad
            self.rejected("material-receipt", f,
                          ["field 'receipt_date' must be a real date as YYYY-MM-DD"])

    def test_datetime_without_zone_rejected(self):
        case = self.accepted_case()
        for bad in ("2026-12-01T09:00:00", "2026-12-01", "2026-12-01T25:00:00+08:00"):
            f = onsite_fields()
            f["start"] = bad
            self.rejected("onsite-verification", f, ["field 'start' must be a time as RFC 3339"],
                          actor="li.handler", attach=2, case=case)
        f = onsite_fields()
        f["signatures"][0]["at"] = "2026-12-01"
        self.rejected("onsite-verification", f, ["signatures[0].at must be the time of signing"],
                      actor="li.handler", attach=2, case=case)

    def test_unregistered_user_rejected(self):
        self.rejected("assignment", {
            "handler": "nobody", "reviewer": "zhao.rev",
            "signatures": [staff_sig("approver", "zhang.head")],
        }, ["field 'handler' names user 'nobody', who is not registered"],
            actor="zhang.head", attach=0)
        self.rejected("assignment", {
            "handler": "li.handler", "reviewer": "zhao.rev",
            "signatures": [staff_sig("approver", "ghost")],
        }, ["field 'signatures[0].person' names user 'ghost'"], actor="zhang.head", attach=0)

    def test_law_wrong_article_rejected(self):
        case = self.accepted_case()
        for cite, needle in [
            ({"law": "xzxkf", "version": "2019-04-23", "article": 99},
             "basis[0] cites article 99 of 'xzxkf' 2019-04-23, which does not exist"),
            ({"law": "xzxkf", "version": "2019-04-23", "article": 38, "paragraph": 3},
             "basis[0] cites a paragraph that article 38 of 'xzxkf' does not have"),
            ({"law": "xzxkf", "version": "2019-04-23", "article": 32, "paragraph": 1, "item": 6},
             "basis[0] cites an item that article 32 of 'xzxkf' does not have"),
        ]:
            self.rejected("proposed-decision", proposal_fields([cite]), [needle],
                          actor="li.handler", attach=0, case=case)

    def test_law_wrong_version_rejected(self):
        case = self.accepted_case()
        for cite, needle in [
            ({"law": "xzxkf", "version": "2003-08-27", "article": 38},
             "basis[0] cites version '2003-08-27' of law 'xzxkf'"),
            ({"law": "xzxk", "version": "2019-04-23", "article": 38},
             "basis[0] cites law 'xzxk', which is not in the law library"),
            ({"law": "xzxkf", "article": 38}, "basis[0] must be a citation"),
        ]:
            self.rejected("proposed-decision", proposal_fields([cite]), [needle],
                          actor="li.handler", attach=0, case=case)
        self.rejected("proposed-decision", proposal_fields([]),
                      ["field 'basis' lists 0; at least 1 are required"],
                      actor="li.handler", attach=0, case=case)

    def test_too_few_officers_rejected(self):
        case = self.accepted_case()
        f = onsite_fields()
        f["officers"] = f["officers"][:1]
        self.rejected("onsite-verification", f, ["field 'officers' lists 1; at least 2 are required"],
                      actor="li.handler", attach=2, case=case)

    def test_missing_signature_rejected(self):
        f = receipt_fields()
        f["signatures"] = f["signatures"][:1]
        self.rejected("material-receipt", f, ["the signature of role 'seal' is missing",
                                              "kind 'material-receipt' requires it"])
        f = receipt_fields()
        f["signatures"][1]["method"] = "staff"
        f["signatures"][1]["person"] = "wang.clerk"
        self.rejected("material-receipt", f, ["signatures[1] of role 'seal' uses method 'staff'"])

    def test_refused_signature_needs_reason_witness(self):
        refusal = {"role": "party", "person": "张三", "method": "refused", "at": at()}
        self.rejected("rights-notice", rights_fields(dict(refusal, witness="李四")),
                      ["signatures[1] refuses to sign without a reason"], attach=0)
        self.rejected("rights-notice", rights_fields(dict(refusal, reason="拒绝签字")),
                      ["signatures[1] refuses to sign without a witness"], attach=0)
        self.add(self.case, "rights-notice",
                 rights_fields(dict(refusal, reason="拒绝签字", witness="李四")), "li.handler")

    def test_scan_signature_needs_attachment(self):
        for method in ("pad", "paper"):
            sig = party_sig("party", "张三", 0)
            sig["method"] = method
            self.rejected("rights-notice", rights_fields(sig),
                          ["signatures[1].attachment must be the index of one of the "
                           "record's 0 attachments"], attach=0)
            sig["attachment"] = 1
            self.rejected("rights-notice", rights_fields(sig),
                          ["record's 1 attachments (from 0)"], attach=1)
        f = receipt_fields()
        del f["signatures"][1]["attachment"]
        self.rejected("material-receipt", f, ["signatures[1].attachment must be the index"])

    def test_transcript_needs_confirmation(self):
        case = self.accepted_case()
        f = onsite_fields()
        del f["confirmation"]
        self.rejected("onsite-verification", f, ["field 'confirmation' is missing"],
                      actor="li.handler", attach=2, case=case)
        f["signatures"][2] = {"role": "party", "person": "张三", "method": "refused",
                              "at": at(), "reason": "拒绝签字", "witness": "李四"}
        self.add(case, "onsite-verification", f, "li.handler", attach=2)

    def test_av_missing_is_a_finding_after_a_day(self):
        case = self.accepted_case()
        f = onsite_fields()
        del f["av"]
        # The file may follow the record within 24 hours of the
        # inspection's end, which is today, so none have run out yet.
        f["start"], f["end"] = at(0, 0), at(0, 0)
        seq = self.add(case, "onsite-verification", f, "li.handler", attach=2,
                       when=at(0, 0))["seq"]
        f["start"], f["end"] = at(-1, 9), at(-1, 10)
        self.assertNotIn("missing-av", self.codes(case),
                         "no finding while the 24 hours for the upload run")
        late = self.add(case, "onsite-verification", f, "li.handler", attach=2,
                        when=at(-3))["seq"]
        found = [x for x in self.findings(case, open_only=True) if x["code"] == "missing-av"]
        self.assertEqual([x["record"] for x in found], [late], found)
        self.assertNotEqual(late, seq)
        f["av"] = [{"attachment": 2}]
        self.rejected("onsite-verification", f, ["av[0].attachment must be the index"],
                      actor="li.handler", attach=2, case=case)
        f = onsite_fields()
        del f["av"]
        f["av_exemption"] = {}
        self.rejected("onsite-verification", f,
                      ["av_exemption needs a 'reason'"], actor="li.handler", attach=2,
                      case=case)

    def test_av_exemption_reason_checked(self):
        case = self.accepted_case()
        f = onsite_fields()
        del f["av"]
        f["av_exemption"] = {"reason": "convenience"}
        self.rejected("onsite-verification", f,
                      ["av_exemption.reason 'convenience' is not an approved reason "
                       "for kind 'onsite-verification'"], actor="li.handler", attach=2, case=case)

    def test_av_exemption_approved_accepted(self):
        case = self.accepted_case()
        f = onsite_fields()
        del f["av"]
        f["av_exemption"] = {"reason": "commercial-secret"}
        seq = self.add(case, "onsite-verification", f, "li.handler", attach=1)["seq"]
        self.assertEqual(self.record_fields(seq)["av_exemption"], {"reason": "commercial-secret"},
                         "the exemption is stored with the record")

    def test_number_field_rejected(self):
        self.rejected("acceptance-notice", {
            "accepted_on": day(-1), "number": "曹审批受〔2026〕7号",
            "signatures": [staff_sig("clerk", "wang.clerk"), seal_sig(0)],
        }, ["field 'number' is assigned by casetrail; leave it out"])


class ApprovalRuleTest(FixedDateCase):
    """li.handler proposes, zhao.rev reviews, zhang.head (the head)
    approves."""

    def step_rejected(self, case, step, actor, needles, finding=True, fallback=None):
        role = "reviewer" if step == "review" else "approver"
        f = {"step": step, "opinion": "agree", "reasons": "同意。",
             "signatures": [staff_sig(role, actor)]}
        if fallback:
            f["fallback"] = fallback
        self.add_rejected(case, "approval-step", f, actor, needles,
                          finding_entries=1 if finding else 0)
        return [r["kind"] for r in self.show(case)["records"]]

    def decision_rejected(self, case, needles):
        self.add_rejected(case, "decision", self.decision_fields(), "zhang.head", needles, attach=1)

    def assert_self_approval(self, case, user, count=1):
        found = self.findings_of(case, "self-approval-attempt")
        self.assertEqual(len(found), count, "self-approval findings: %r" % found)
        self.assertEqual(found[0]["responsible"], user, "who tried")
        self.assertIsNone(found[0]["cured"], "an attempt stays on record")

    def test_author_reviewing_raises_finding(self):
        case = self.proposed_case()
        proposal = [r for r in self.show(case)["records"] if r["kind"] == "proposed-decision"][0]
        kinds = self.step_rejected(case, "review", "li.handler", [
            "user 'li.handler' wrote the proposed decision (record %d) and cannot review it"
            % proposal["seq"]])
        self.assertNotIn("approval-step", kinds, "no step stored")
        self.assertIn("finding", kinds, "the attempt is in the timeline")
        self.assert_self_approval(case, "li.handler")

    def test_author_approving_raises_finding(self):
        case = self.proposed_case()
        self.step(case, "review", "zhao.rev")
        self.step_rejected(case, "approve", "li.handler",
                           ["user 'li.handler' wrote the proposed decision"])
        self.assert_self_approval(case, "li.handler")

    def test_reviewer_approving_rejected(self):
        case = self.proposed_case()
        self.step(case, "review", "zhao.rev")
        needle = ["user 'zhao.rev' reviewed this proposal and cannot approve it too"]
        self.step_rejected(case, "approve", "zhao.rev", needle)
        self.step_rejected(case, "approve", "zhao.rev", needle, fallback="本科室仅两人。")
        self.assert_self_approval(case, "zhao.rev", count=2)

    def test_head_fallback_allows_both_steps(self):
        case = self.proposed_case()
        self.step(case, "review", "zhang.head")
        self.step_rejected(case, "approve", "zhang.head",
                           ["with 'fallback' saying why the unit lacks a third person"])
        self.step(case, "approve", "zhang.head", fallback="审批一科仅有承办人一人，由局负责人审核并批准。")
        self.decide(case)
        self.assertEqual(self.show(case)["status"], "granted", "decided after the fallback")

    def test_decision_before_review_rejected(self):
        case = self.proposed_case()
        self.decision_rejected(case, ["case %s cannot be decided before internal approval: "
                                      "the review step is missing" % case])

    def test_decision_before_approval_rejected(self):
        case = self.proposed_case()
        self.step(case, "review", "zhao.rev")
        self.decision_rejected(case, ["the approval step is missing"])

    def test_approval_before_review_rejected(self):
        case = self.proposed_case()
        self.step_rejected(case, "approve", "zhang.head",
                           ["the proposal of case %s has no agreeing review yet" % case],
                           finding=False)

    def test_disagree_review_resets_chain(self):
        case = self.proposed_case()
        self.step(case, "review", "zhao.rev")
        self.step(case, "review", "zhao.rev", opinion="disagree")
        self.step_rejected(case, "approve", "zhang.head", ["has no agreeing review yet"],
                           finding=False)
        self.step(case, "review", "zhao.rev")
        self.step(case, "approve", "zhang.head", opinion="disagree")
        self.decision_rejected(case, ["the approval step is missing"])

    def test_later_review_voids_approval(self):
        # The head approved, then the reviewer withdrew agreement and
        # agreed again: the approval was given on a chain since disputed.
        case = self.proposed_case()
        self.step(case, "review", "zhao.rev")
        self.step(case, "approve", "zhang.head")
        self.step(case, "review", "zhao.rev", opinion="disagree")
        self.step(case, "review", "zhao.rev")
        self.decision_rejected(case, ["the approval step is missing"])

    def test_new_proposal_resets_chain(self):
        case = self.approved_case()
        self.propose(case)
        self.decision_rejected(case, ["the review step is missing"])

    def test_second_decision_rejected(self):
        case = self.approved_case()
        first = self.decide(case)
        self.decision_rejected(case, ["case %s was decided already by record %d"
                                      % (case, first["seq"]),
                                      "correct that record"])

    def test_correction_by_other_user_rejected(self):
        case = self.proposed_case()
        review = self.step(case, "review", "zhao.rev", opinion="disagree")
        fields = {"step": "review", "opinion": "agree", "reasons": "同意。",
                  "signatures": [staff_sig("reviewer", "zhao.rev")]}
        args = ["record", "correct", review["seq"], "--reason", "笔误",
                "--fields", self.fields_file(fields), "--as", "li.handler"]
        self.assert_rejected(args, ["record %d was written by 'zhao.rev'" % review["seq"],
                                    "only 'zhao.rev' may correct it"], case)
        self.step_rejected(case, "approve", "zhang.head", ["has no agreeing review yet"],
                           finding=False)

    def test_correction_attachment_index_checked(self):
        case = self.approved_case()
        decision = self.decide(case)
        fields = self.record_fields(decision["seq"])
        del fields["number"]
        fields["signatures"][1]["attachment"] = 1
        args = ["record", "correct", decision["seq"], "--reason", "改印章",
                "--fields", self.fields_file(fields), "--as", "zhang.head"]
        self.assert_rejected(args, ["attachment"], case)
        fields["signatures"][1]["attachment"] = 0
        self.correct(decision["seq"], fields, "zhang.head")

    def test_legal_review_needed(self):
        # ylcs-xk (娱乐场所经营许可) is on the legal review list.
        case = self.approved_case(matter="ylcs-xk")
        needle = ["matter 'ylcs-xk' is on the legal review list"]
        self.decision_rejected(case, needle)
        self.legal_review(case, "disagree")
        self.decision_rejected(case, needle)
        self.legal_review(case, "agree")
        self.propose(case)
        self.step(case, "review", "zhao.rev")
        self.step(case, "approve", "zhang.head")
        self.decision_rejected(case, needle)
        self.legal_review(case, "agree")
        self.decide(case)

    def test_presiding_reviewer_rejected(self):
        case = self.accepted_case()
        self.add_rejected(case, "hearing-notice", self.hearing_notice_fields("zhao.rev"),
                          "li.handler", ["user 'zhao.rev' reviews case %s and cannot preside "
                                         "over its hearing" % case], attach=1)

    def test_presiding_handler_rejected(self):
        case = self.accepted_case()
        self.add_rejected(case, "hearing-notice", self.hearing_notice_fields("li.handler"),
                          "li.handler", ["user 'li.handler' handles case %s" % case], attach=1)
        self.add(case, "hearing-notice", self.hearing_notice_fields("sun.officer"),
                 "li.handler", attach=1)

    def test_presiding_actual_reviewer_rejected(self):
        case = self.proposed_case()
        self.step(case, "review", "zhang.head")
        self.add_rejected(case, "hearing-notice", self.hearing_notice_fields("zhang.head"),
                          "li.handler", ["user 'zhang.head' reviews case %s" % case], attach=1)

    def test_extension_needs_head(self):
        case = self.accepted_case()
        f = self.extension_fields(day(0), day(0))
        f["approved_by"] = "zhao.rev"
        self.add_rejected(case, "extension", f, "zhang.head",
                          ["extension.approved_by 'zhao.rev' is not the head of the bureau"])
        self.extend(case, day(0), day(0))

    def test_self_approval_survives_rebuild(self):
        case = self.proposed_case()
        self.step_rejected(case, "review", "li.handler", ["cannot review it"])
        before = self.findings_of(case, "self-approval-attempt")
        r = self.ct("rebuild")
        self.assertEqual(r.code, 0, r)
        self.assertIs(r.json["match"], True, r)
        after = self.findings_of(case, "self-approval-attempt")
        strip = [{k: v for k, v in f.items() if k != "id"} for f in before]
        self.assertEqual([{k: v for k, v in f.items() if k != "id"} for f in after], strip,
                         "the finding after rebuild")
        self.assertEqual(after[0]["superior"], "zhao.rev", "li.handler's superior")


if __name__ == "__main__":
    ctest.main()
