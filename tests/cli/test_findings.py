#!/usr/bin/env python3
"""Compliance findings, each with the case that raises it and, where the
bureau can put it right, the record that cures it, read through
`casetrail findings --case ID --json`.

A finding names its code, the record that raised it (none for one raised
by time), the responsible person and their superior, and when it was
detected: when its record was written, or 00:00 CST of the day after a
missed deadline. A cured finding keeps that history and gains its cure
time. Events are placed in the past with --at and back-dated date fields
on the fixed days of casecheck.RECEIVED, counted by hand on the official
calendar.
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import ctest  # noqa: E402
from casecheck import FixedDateCase, RECEIVED, cst_ms, offset  # noqa: E402
from workflow import OFFICERS, at, day, party_sig, staff_sig  # noqa: E402


class FindingTest(FixedDateCase):
    def assert_finding(self, f, record=None, responsible=None, superior=None,
                       detected=None, cured="open"):
        """Checks a finding's members; cured is "open", or the cure time in
        UTC ms."""
        self.assertEqual(f["record"], record, "record of %r" % f)
        self.assertEqual(f.get("responsible"), responsible, "responsible of %r" % f)
        self.assertEqual(f.get("superior"), superior, "superior of %r" % f)
        if detected is not None:
            self.assertEqual(f["detected"], detected, "detected of %r" % f)
        if cured == "open":
            self.assertIsNone(f["cured"], "still open: %r" % f)
        else:
            self.assertEqual(f["cured"], cured, "cure time of %r" % f)
        self.assertTrue(f["rule"], "the rule is stated: %r" % f)

    def assert_open_codes(self, case, expected):
        self.assertEqual(self.codes(case), sorted(expected),
                         "open findings: %s" % json.dumps(self.findings(case), ensure_ascii=False))

    def supplement_on(self, case, missing, notified):
        return self.supplement(case, missing, offset(notified))


class SupplementFindingTest(FindingTest):
    """spjy-xk requires sqs, yyzz, bjt, glzd and aqry. The applicant handed
    in sqs and yyzz, so bjt, glzd and aqry are missing at the first
    notice."""

    def test_repeat_supplement_notice_raised(self):
        case = self.new_case(received=RECEIVED)
        self.supplement_on(case, ["bjt", "glzd", "aqry"], "2026-09-22")
        second = self.supplement(case, ["glzd"])
        f = self.one_finding(case, "repeat-supplement-notice")
        self.assert_finding(f, record=second["seq"], responsible="wang.clerk",
                            superior="zhao.rev", detected=second["ts"])
        self.assertEqual(f["key"], "glzd", "the item asked twice")
        self.assertEqual(f["severity"], "major", "severity")

    def test_repeat_supplement_notice_cured(self):
        case = self.new_case(received=RECEIVED)
        self.supplement_on(case, ["bjt", "glzd", "aqry"], "2026-09-22")
        second = self.supplement(case, ["glzd"])
        fields = self.record_fields(second["seq"])
        del fields["number"]
        fields["missing"] = ["yyzz"]
        fields["details"] = "营业执照复印件不清晰，请重新提供。"
        fix = self.correct(second["seq"], fields, "wang.clerk")
        f = self.one_finding(case, "repeat-supplement-notice")
        self.assert_finding(f, record=second["seq"], responsible="wang.clerk",
                            superior="zhao.rev", detected=second["ts"], cured=fix["ts"])
        self.assertEqual(self.findings_of(case, "repeat-supplement-notice", open_only=True), [],
                         "cured findings leave --open")

    def test_supplement_omitting_missing_item(self):
        # aqry was missing at the first notice, which left it out.
        case = self.new_case(received=RECEIVED)
        self.supplement_on(case, ["bjt", "glzd"], "2026-09-22")
        second = self.supplement(case, ["aqry"])
        f = self.one_finding(case, "repeat-supplement-notice")
        self.assertEqual(f["key"], "aqry", "the item left out of the first notice")
        self.assertEqual(f["record"], second["seq"], "raised by the second notice")

    def test_supplement_for_new_item_allowed(self):
        # yyzz was handed in; asking for a clear copy later is no repeat.
        case = self.new_case(received=RECEIVED)
        self.supplement_on(case, ["bjt", "glzd", "aqry"], "2026-09-22")
        self.supplement(case, ["yyzz"])
        self.assertEqual(self.findings_of(case, "repeat-supplement-notice"), [],
                         "no repeat finding")


class AcceptanceFindingTest(FindingTest):
    # Received Monday 09-21; the 5 working days end on 09-29 (09-25..27
    # rest), so deemed acceptance is detected at 09-30 00:00 CST.
    DEEMED = cst_ms("2026-09-30")

    def test_deemed_accepted_raised(self):
        case = self.new_case(received=RECEIVED)
        f = self.one_finding(case, "deemed-accepted")
        self.assert_finding(f, record=None, responsible="wang.clerk", superior="zhao.rev",
                            detected=self.DEEMED)
        acceptance = self.show(case)["deadlines"]["acceptance"]
        self.assertEqual(acceptance["deemed_accepted_on"], RECEIVED, "accepted on receipt")
        self.assertEqual(acceptance["state"], "overdue", "acceptance state")

    def test_late_supplement_moves_nothing(self):
        # Deemed accepted on 09-21, so 20 working days end on 10-26:
        # 09-22..24, 09-28..30, 10-08..10 (10-10 is 调休), 10-12..16,
        # 10-19..23 and 10-26.
        case = self.new_case(received=RECEIVED)
        self.assertEqual(self.show(case)["deadlines"]["decision"]["date"], "2026-10-26",
                         "decision due from receipt")
        self.supplement_on(case, ["bjt"], "2026-10-09")
        d = self.show(case)["deadlines"]
        self.assertEqual(d["decision"]["date"], "2026-10-26", "a late notice moves nothing")
        self.assertEqual(d["acceptance"]["deemed_accepted_on"], RECEIVED, "still deemed")
        f = self.one_finding(case, "deemed-accepted")
        self.assert_finding(f, record=None, responsible="wang.clerk", superior="zhao.rev",
                            detected=self.DEEMED)

    def test_timely_supplement_not_deemed(self):
        case = self.new_case(received=RECEIVED)
        self.supplement_on(case, ["bjt", "glzd", "aqry"], "2026-09-29")
        d = self.show(case)["deadlines"]
        self.assertEqual(d["acceptance"]["state"], "met", "notified on the last day")
        self.assertNotIn("decision", d, "no decision clock before acceptance")
        self.assert_open_codes(case, [])

    def test_acceptance_after_limit_deemed(self):
        case = self.new_case(received=RECEIVED)
        self.receipt(case, offset("2026-09-21"))
        self.accept(case, offset("2026-09-30"))
        self.assertEqual(self.codes(case), ["deemed-accepted", "overdue-decision"],
                         "accepted a day late, and undecided since 10-26")
        self.assertEqual(self.show(case)["deadlines"]["decision"]["date"], "2026-10-26",
                         "the decision still counts from receipt")

    def test_backdated_answer_leaves_no_finding(self):
        # Received 09-21, receipted the same day and accepted on 09-29,
        # in time, all typed in later with --at. No acceptance rule was
        # broken, so no acceptance finding may appear, not even a cured
        # one. Only the decision is really overdue (due 11-02).
        case = self.new_case(received=RECEIVED)
        for kind, fields, when in [
            ("material-receipt", {
                "received": [{"code": "sqs", "name": "食品经营许可申请书", "copies": 1,
                              "original": True}],
                "receipt_date": "2026-09-21"}, "2026-09-21T09:30:00+08:00"),
            ("acceptance-notice", {
                "accepted_on": "2026-09-29",
                "time_limit_clause": "本机关将自受理之日起二十个工作日内作出决定。"},
             "2026-09-29T10:00:00+08:00"),
        ]:
            fields["signatures"] = [
                staff_sig("clerk", "wang.clerk", when),
                {"role": "seal", "person": "曹县行政审批局", "method": "seal",
                 "attachment": 0, "at": when}]
            self.add(case, kind, fields, "wang.clerk", attach=1, when=when)
        found = self.findings(case)
        self.assertEqual(sorted(f["code"] for f in found), ["overdue-decision"],
                         "findings, cured ones included: %s"
                         % json.dumps(found, ensure_ascii=False))
        self.assertEqual(found[0]["detected"], cst_ms("2026-11-03"), "detected after 11-02")


class TimeLimitNoticeFindingTest(FindingTest):
    def test_missing_time_limit_notice_raised(self):
        case = self.new_case()
        self.receipt(case)
        notice = self.accept(case, clause=False)
        f = self.one_finding(case, "missing-time-limit-notice")
        self.assert_finding(f, record=notice["seq"], responsible="wang.clerk",
                            superior="zhao.rev", detected=notice["ts"])
        self.assertEqual(f["severity"], "minor", "severity")

    def test_missing_time_limit_notice_cured(self):
        case = self.new_case()
        self.receipt(case)
        notice = self.accept(case, clause=False)
        due = self.show(case)["deadlines"]["decision"]["date"]
        told = self.time_limit_notice(case, due)
        f = self.one_finding(case, "missing-time-limit-notice")
        self.assert_finding(f, record=notice["seq"], responsible="wang.clerk",
                            superior="zhao.rev", detected=notice["ts"], cured=told["ts"])

    def test_deemed_acceptance_needs_notice(self):
        # Deemed accepted when the limit ran out on 09-29: the notice is
        # missing from then on, and the clerk who registered the
        # application is named responsible.
        case = self.new_case(received=RECEIVED)
        f = self.one_finding(case, "missing-time-limit-notice")
        self.assert_finding(f, record=None, responsible="wang.clerk", superior="zhao.rev",
                            detected=cst_ms("2026-09-30"))
        told = self.time_limit_notice(case, "2026-10-26")
        f = self.one_finding(case, "missing-time-limit-notice")
        self.assertEqual(f["cured"], told["ts"], "cured by the notice: %r" % f)


class ApprovalFindingTest(FindingTest):
    def test_self_approval_attempt_listed(self):
        case = self.proposed_case()
        size = self.log_size()
        r = self.ct(*self.record_args(case, "approval-step", {
            "step": "review", "opinion": "agree", "reasons": "同意。",
            "signatures": [staff_sig("reviewer", "li.handler")]}, "li.handler"))
        self.assertEqual(r.code, 2, r)
        entry = self.ok("log", "show", size).json["entry"]
        self.assertEqual(entry["kind"], "finding", "the attempt's entry: %r" % entry)
        f = self.one_finding(case, "self-approval-attempt")
        self.assert_finding(f, record=size, responsible="li.handler", superior="zhao.rev",
                            detected=entry["ts"])
        self.assertIn("cannot review it", f["detail"], "the rejection is kept: %r" % f)
        self.step(case, "review", "zhao.rev")
        self.assertIsNone(self.one_finding(case, "self-approval-attempt")["cured"],
                          "a proper review does not undo the attempt")


class OfficerFindingTest(FindingTest):
    def onsite_with(self, case, officers):
        return self.onsite(case, officers=officers)

    def test_expired_credential_too_few_officers(self):
        case = self.accepted_case()
        officers = [OFFICERS[0], {"user": "zhou.expired", "credential_no": "32010009",
                                  "credential_shown": True}]
        record = self.onsite_with(case, officers)
        f = self.one_finding(case, "too-few-officers")
        self.assert_finding(f, record=record["seq"], responsible="li.handler",
                            superior="zhao.rev", detected=record["ts"])
        self.assertEqual(f["detail"], "one officer with a valid credential", "detail")

    def test_wrong_credential_too_few_officers(self):
        case = self.accepted_case()
        officers = [OFFICERS[0], dict(OFFICERS[1], credential_no="32019999")]
        record = self.onsite_with(case, officers)
        f = self.one_finding(case, "too-few-officers")
        self.assertEqual(f["record"], record["seq"], "raised by the transcript")
        officers = [dict(OFFICERS[0], credential_no="1"), dict(OFFICERS[1], credential_no="2")]
        other = self.accepted_case()
        self.onsite_with(other, officers)
        self.assertEqual(self.one_finding(other, "too-few-officers")["detail"],
                         "no officer with a valid credential", "both numbers wrong")

    def test_too_few_officers_cured(self):
        case = self.accepted_case()
        officers = [OFFICERS[0], {"user": "zhou.expired", "credential_no": "32010009",
                                  "credential_shown": True}]
        record = self.onsite_with(case, officers)
        fields = self.record_fields(record["seq"])
        fields["officers"] = OFFICERS
        fix = self.correct(record["seq"], fields, "li.handler", reason="核查人员记录错误")
        f = self.one_finding(case, "too-few-officers")
        self.assert_finding(f, record=record["seq"], responsible="li.handler",
                            superior="zhao.rev", detected=record["ts"], cured=fix["ts"])


class SignatureFindingTest(FindingTest):
    def test_unsigned_page_missing_signature(self):
        case = self.accepted_case()
        record = self.onsite(case, pages=3, signed_pages=2)
        f = self.one_finding(case, "missing-signature")
        self.assert_finding(f, record=record["seq"], responsible="li.handler",
                            superior="zhao.rev", detected=record["ts"])
        self.assertEqual(f["key"], "party", "the signer role")
        self.assertEqual(f["detail"], "role party: 1 of 3 pages unsigned", "detail")

    def test_missing_signature_cured(self):
        case = self.accepted_case()
        record = self.onsite(case, pages=3, signed_pages=2)
        fields = self.record_fields(record["seq"])
        fields["signatures"][2]["pages"] = [1, 2, 3]
        fix = self.correct(record["seq"], fields, "li.handler", reason="补录第3页签名")
        f = self.one_finding(case, "missing-signature")
        self.assertEqual(f["cured"], fix["ts"], "cured by the correction: %r" % f)

    def test_refusal_covers_every_page(self):
        case = self.accepted_case()
        record = self.onsite(case, pages=3, signed_pages=2)
        fields = self.record_fields(record["seq"])
        fields["signatures"][2] = {"role": "party", "person": "张三", "method": "refused",
                                   "at": at(), "reason": "拒绝签字", "witness": "李四"}
        self.correct(record["seq"], fields, "li.handler", reason="当事人拒签")
        self.assertEqual(self.findings_of(case, "missing-signature", open_only=True), [],
                         "a recorded refusal covers the pages")


class RecordFindingTest(FindingTest):
    def test_missing_onsite_record_raised(self):
        case = self.accepted_case()
        self.rights(case)
        proposal = self.propose(case)
        f = self.one_finding(case, "missing-record")
        self.assert_finding(f, record=proposal["seq"], responsible="li.handler",
                            superior="zhao.rev", detected=proposal["ts"])
        self.assertEqual(f["key"], "onsite-verification", "spjy-xk needs an inspection")

    def test_missing_onsite_record_cured(self):
        case = self.accepted_case()
        self.rights(case)
        proposal = self.propose(case)
        late = self.add(case, "onsite-verification", {
            "place": "南京市秦淮区中山南路1号经营场所", "start": "2026-10-12T09:00:00+08:00",
            "end": "2026-10-12T10:00:00+08:00", "officers": OFFICERS,
            "findings": "经营场所与申请材料一致。", "pages": 1,
            "confirmation": "以上笔录我已看过，与我所说相符", "av": [{"attachment": 1}],
            "signatures": [staff_sig("officer", "li.handler", "2026-10-12T10:00:00+08:00"),
                           party_sig("party", "张三", 0, 1, "2026-10-12T10:00:00+08:00")],
        }, "li.handler", attach=2, when="2026-10-12T10:00:00+08:00")
        f = self.one_finding(case, "missing-record")
        self.assert_finding(f, record=proposal["seq"], responsible="li.handler",
                            superior="zhao.rev", detected=proposal["ts"], cured=late["ts"])

    def test_missing_rights_notice_raised(self):
        case = self.accepted_case()
        self.onsite(case)
        proposal = self.propose(case)
        f = self.one_finding(case, "missing-record")
        self.assertEqual((f["key"], f["record"]), ("rights-notice", proposal["seq"]),
                         "spjy-xk has hearings, so the rights notice is required")

    def test_missing_receipt_raised(self):
        case = self.new_case()
        notice = self.accept(case)
        f = self.one_finding(case, "missing-record")
        self.assertEqual((f["key"], f["record"]), ("material-receipt", notice["seq"]),
                         "acceptance needs the material receipt")
        receipt = self.receipt(case)
        self.assertEqual(self.one_finding(case, "missing-record")["cured"], receipt["ts"],
                         "cured by the receipt")

    def test_serving_licence_needs_address(self):
        case = self.approved_case()
        self.decide(case)
        self.licence(case)
        self.serve(case, "licence")
        f = self.one_finding(case, "missing-record")
        self.assertEqual(f["key"], "address-confirmation", "service needs the address")

    def test_serving_grant_needs_licence_issue(self):
        case = self.approved_case()
        self.decide(case)
        self.address(case)
        self.serve(case, "decision")
        f = self.one_finding(case, "missing-record")
        self.assertEqual(f["key"], "licence-issue", "a grant is served with the licence")


class DecisionFindingTest(FindingTest):
    # Accepted 09-29: 20 working days end on 11-02 (see test_workflow),
    # so overdue-decision is detected at 11-03 00:00 CST.
    OVERDUE = cst_ms("2026-11-03")

    def test_overdue_decision_raised(self):
        case = self.approved_case()
        f = self.one_finding(case, "overdue-decision")
        self.assert_finding(f, record=None, responsible="li.handler", superior="zhao.rev",
                            detected=self.OVERDUE)
        self.assertEqual(self.show(case)["deadlines"]["decision"]["state"], "overdue", "state")
        listed = self.ok("case", "list", "--overdue", "--json").json["items"]
        self.assertEqual([c["id"] for c in listed], [case], "listed as overdue")

    def test_overdue_decision_cured_late(self):
        # Received and accepted on 09-21: 20 working days end on 10-26.
        case = self.approved_case(accepted="2026-09-21")
        decision = self.decide(case)
        f = self.one_finding(case, "overdue-decision")
        self.assertEqual(f["detected"], cst_ms("2026-10-27"), "detected: %r" % f)
        self.assertEqual(f["cured"], decision["ts"], "cured by the decision: %r" % f)
        d = self.show(case)["deadlines"]["decision"]
        self.assertEqual(d["state"], "late", "decided after 11-02")
        self.assertEqual(d["met_on"], day(0), "decided today")
        self.assertEqual(self.findings_of(case, "overdue-decision", open_only=True), [],
                         "not open")

    def test_overdue_delivery_raised(self):
        # Decided Thursday 10-15: 10 working days end on 10-29.
        case = self.approved_case()
        decision = self.decide_at(case, "2026-10-15T10:00:00+08:00")
        f = self.one_finding(case, "overdue-delivery")
        self.assert_finding(f, record=decision["seq"], responsible="li.handler",
                            superior="zhao.rev", detected=cst_ms("2026-10-30"))

    def test_overdue_delivery_cured(self):
        case = self.approved_case()
        self.decide_at(case, "2026-10-15T10:00:00+08:00")
        self.address(case)
        self.licence(case)
        served = self.serve(case, "licence")
        f = self.one_finding(case, "overdue-delivery")
        self.assertEqual(f["cured"], served["ts"], "cured by the service: %r" % f)
        self.assertEqual(self.show(case)["deadlines"]["delivery"]["state"], "late", "state")

    def test_denial_has_no_delivery_limit(self):
        case = self.approved_case()
        self.add(case, "decision", self.decision_fields("deny"), "zhang.head", attach=1,
                 when="2026-10-15T10:00:00+08:00")
        self.assertNotIn("delivery", self.show(case)["deadlines"], "no licence to deliver")
        self.assertEqual(self.findings_of(case, "overdue-delivery"), [], "no finding")


class ExtensionFindingTest(FindingTest):
    def test_late_extension_after_limit(self):
        case = self.accepted_case()
        ext = self.extend(case, "2026-11-03", "2026-11-03")
        f = self.one_finding(case, "late-extension")
        self.assert_finding(f, record=ext["seq"], responsible="zhang.head", superior=None,
                            detected=ext["ts"])
        self.assertEqual(f["detail"], "approved after the limit", "detail")
        d = self.show(case)["deadlines"]["decision"]
        self.assertEqual(d["date"], "2026-11-02", "a late extension extends nothing")
        self.assertNotIn("extended_by", d, "not extended")

    def test_extension_not_told(self):
        case = self.accepted_case()
        ext = self.extend(case, "2026-10-20")
        f = self.one_finding(case, "late-extension")
        self.assertEqual(f["detail"], "not told to the applicant", "detail")
        self.assertEqual(self.show(case)["deadlines"]["decision"]["date"], "2026-11-02",
                         "not extended until told")
        fields = self.record_fields(ext["seq"])
        fields["notified_on"] = "2026-10-21"
        fix = self.correct(ext["seq"], fields, "zhang.head", reason="补记告知日期")
        f = self.one_finding(case, "late-extension")
        self.assertEqual(f["cured"], fix["ts"], "cured: %r" % f)
        # 10 working days after 11-02: 11-03..06 and 11-09..13, then 11-16.
        d = self.show(case)["deadlines"]["decision"]
        self.assertEqual(d["date"], "2026-11-16", "extended decision due")
        self.assertEqual(d["extended_by"], 10, "extended by")

    def test_extension_counts_own_days(self):
        # The head extended by 5 working days: 11-03..06 and 11-09.
        case = self.accepted_case()
        self.extend(case, "2026-10-20", "2026-10-21", days=5)
        d = self.show(case)["deadlines"]["decision"]
        self.assertEqual(d["extended_by"], 5, "the record's days, within the limit of 10")
        self.assertEqual(d["date"], "2026-11-09", "extended decision due")


class SuspensionFindingTest(FindingTest):
    def test_unlawful_suspension_reason(self):
        case = self.accepted_case()
        record = self.suspend(case, "2026-10-12", reason="other")
        f = self.one_finding(case, "unlawful-suspension")
        self.assert_finding(f, record=record["seq"], responsible="li.handler",
                            superior="zhao.rev", detected=record["ts"])
        self.assertEqual(f["detail"], "other", "the reason given")
        self.resume(case, "2026-10-16")
        self.assertEqual(self.show(case)["deadlines"]["decision"]["date"], "2026-11-02",
                         "an unlawful suspension stops no clock")

    def test_unlawful_suspension_without_notice(self):
        case = self.accepted_case()
        record = self.suspend(case, "2026-10-12", notified=False)
        f = self.one_finding(case, "unlawful-suspension")
        self.assertEqual(f["detail"], "no written notice", "detail")
        fields = self.record_fields(record["seq"])
        fields["notified_on"] = "2026-10-12"
        fix = self.correct(record["seq"], fields, "li.handler", reason="补记书面告知日期")
        f = self.one_finding(case, "unlawful-suspension")
        self.assertEqual(f["cured"], fix["ts"], "cured: %r" % f)

    def test_lawful_suspension_stops_clock(self):
        # Suspended for testing on 10-12, resumed on 10-16: 10-13..16 do
        # not count, so day 20 moves from 11-02 to 11-06.
        case = self.accepted_case()
        self.suspend(case, "2026-10-12")
        d = self.show(case)["deadlines"]["decision"]
        self.assertEqual(d["state"], "suspended", "state while suspended: %r" % d)
        self.assertGreater(d["date"], "2026-11-06", "paused from 10-13 until today")
        self.resume(case, "2026-10-16")
        d = self.show(case)["deadlines"]["decision"]
        self.assertEqual(d["date"], "2026-11-06", "decision due after the pause")
        self.assertEqual(self.findings_of(case, "unlawful-suspension"), [], "lawful")


class FindingListTest(FindingTest):
    def test_open_filter_hides_cured(self):
        case = self.new_case()
        self.receipt(case)
        self.accept(case)
        self.assign(case)
        self.suspend(case, day(0), notified=False)
        record = self.onsite(case, pages=3, signed_pages=2)
        fields = self.record_fields(record["seq"])
        fields["signatures"][2]["pages"] = [1, 2, 3]
        self.correct(record["seq"], fields, "li.handler")
        everything = sorted(f["code"] for f in self.findings(case))
        self.assertEqual(everything, ["missing-signature", "unlawful-suspension"], "all")
        self.assertEqual(self.codes(case, open_only=True), ["unlawful-suspension"], "--open")
        other = self.ok("findings", "--json", "--code", "missing-signature").json
        self.assertEqual([f["code"] for f in other["items"]], ["missing-signature"], "--code")

    def test_withdrawal_stops_acceptance_clock(self):
        # Withdrawn on 09-22, inside the acceptance limit (09-29).
        case = self.new_case(received=RECEIVED)
        self.withdraw(case, "2026-09-22", when="2026-09-22T10:00:00+08:00")
        self.add(case, "note", {"text": "申请人已取回材料。"}, "wang.clerk")
        # No deemed acceptance; the case file was due 30 days after 09-22.
        self.assert_open_codes(case, ["late-archive"])


class EventTimeTest(FindingTest):
    def test_future_event_time_rejected(self):
        case = self.new_case()
        tomorrow = "%sT10:00:00+08:00" % day(1)
        self.add_rejected(case, "note", {"text": "明天的事。"}, "wang.clerk",
                          ["invalid --at '%s': it is in the future" % tomorrow], when=tomorrow)
        size = self.log_size()
        r = self.ct("case", "new", "--matter", "spjy-xk", "--applicant", "某公司",
                    "--received", tomorrow, "--as", "wang.clerk")
        self.assertEqual(r.code, 2, r)
        self.assertIn("received lies in the future", r.err, r)
        self.assertEqual(self.log_size(), size, "no case opened")

    def test_event_before_2000_rejected(self):
        r = self.ct("case", "new", "--matter", "spjy-xk", "--applicant", "某公司",
                    "--received", "1999-12-31", "--as", "wang.clerk")
        self.assertEqual(r.code, 2, r)
        self.assertIn("received is before 2000", r.err, r)


if __name__ == "__main__":
    ctest.main()
