#!/usr/bin/env python3
"""Time limits whose legal start or end is easy to get wrong, each from a
case of its own: the day a case ends for its archive period (recording
measures art. 20), a suspension after the decision limit ran out
(行政许可法 art. 45), a refusal after deemed acceptance (art. 32), a late
hearing request and a hearing held without one (arts. 46-48), and a
hearing-rights notice given after the decision (art. 47).

Fixed dates are counted by hand on the official 2026 calendar: 09-25..27
(中秋节) and 10-01..07 (国庆节) rest, Saturday 10-10 is a make-up working
day.
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import ctest  # noqa: E402
import workflow  # noqa: E402
from casecheck import RECEIVED, FixedDateCase, cst_ms, offset  # noqa: E402
from workflow import at, party_sig, seal_sig, staff_sig  # noqa: E402


class LimitCase(FixedDateCase):
    def dump(self, case):
        return json.dumps(self.findings(case), ensure_ascii=False)

    def served(self, case, document, served_on, when=None):
        return self.add(case, "service-direct", {
            "document": document, "served_on": served_on, "recipient": "张三",
            "method": "window",
            "signatures": [staff_sig("server", "wang.clerk"), party_sig("recipient", "张三")],
        }, "wang.clerk", attach=1, when=when)

    def to_licence(self, case):
        """Takes an approved case through decision, address and licence."""
        self.decide(case)
        self.address(case)
        self.licence(case)


class ArchiveStartTest(LimitCase):
    """The 30 days run from the served_on day of the service that ended the
    case: the decision or licence, not an acceptance notice."""

    def test_acceptance_service_does_not_end_case(self):
        # Accepted and the acceptance notice served on Tue 09-29; the
        # licence is served today, so the file is due 30 days from today.
        case = self.accepted_case("2026-09-29")
        self.served(case, "acceptance-notice", "2026-09-29T10:00:00+08:00",
                    when="2026-09-29T10:00:00+08:00")
        self.rights(case, offset("2026-09-29"))
        self.onsite(case)
        self.propose(case)
        self.step(case, "review", "zhao.rev")
        self.step(case, "approve", "zhang.head")
        self.to_licence(case)
        self.serve(case)
        self.assertEqual(self.show(case)["stage"], "archive")
        self.assertEqual(self.findings_of(case, "late-archive"), [], self.dump(case))

    def test_served_on_day_counts(self):
        # Served on Mon 10-26 but recorded today: 30 calendar days end on
        # Wed 11-25, so late-archive is detected at 00:00 CST on 11-26.
        case = self.approved_case("2026-09-29")
        self.to_licence(case)
        service = self.served(case, "licence", "2026-10-26T10:00:00+08:00")
        f = self.one_finding(case, "late-archive")
        self.assertEqual(f["record"], service["seq"])
        self.assertEqual(f["detected"], cst_ms("2026-11-26"))
        self.assertIsNone(f["cured"])


class SuspensionAfterLimitTest(LimitCase):
    """Accepted Tue 09-29: the 20 working days end Mon 11-02 (09-30, 10-08,
    09, the make-up Saturday 10-10, 10-12..16, 10-19..23, 10-26..30, 11-02)."""

    def test_open_suspension_after_limit(self):
        case = self.accepted_case("2026-09-29")
        self.suspend(case, "2026-11-10", reason="expert-review")
        d = self.show(case)["deadlines"]["decision"]
        self.assertEqual(d["date"], "2026-11-02", d)
        self.assertEqual(d["state"], "overdue", "an expired limit cannot be stopped")
        f = self.one_finding(case, "overdue-decision")
        self.assertEqual(f["detected"], cst_ms("2026-11-03"))
        self.assertIsNone(f["cured"], self.dump(case))

    def test_resumed_suspension_after_limit(self):
        case = self.accepted_case("2026-09-29")
        self.suspend(case, "2026-11-10", reason="testing")
        self.resume(case, "2026-11-20")
        d = self.show(case)["deadlines"]["decision"]
        self.assertEqual(d["date"], "2026-11-02", "the pause moves nothing: %r" % d)
        self.assertEqual(d["state"], "overdue", d)
        self.assertIsNone(self.one_finding(case, "overdue-decision")["cured"])

    def test_suspension_in_time_still_stops(self):
        # Suspended on the last day, 11-02: the limit was still running.
        case = self.accepted_case("2026-09-29")
        self.suspend(case, "2026-11-02", reason="testing")
        d = self.show(case)["deadlines"]["decision"]
        self.assertEqual(d["state"], "suspended", d)
        self.assertEqual(self.findings_of(case, "overdue-decision"), [], self.dump(case))


class RefusalAfterDeemedTest(LimitCase):
    def test_late_refusal_keeps_decision_clock(self):
        # Received Mon 09-21 with no response within 5 working days (09-29):
        # accepted on receipt, so the 20 working days end Mon 10-26 (09-22,
        # 23, 24, 28, 29, 30, 10-08, 09, 10, 10-12..16, 10-19..23, 10-26).
        # The refusal of Fri 10-09 has no legal effect.
        case = self.new_case(received=RECEIVED)
        self.receipt(case, offset("2026-09-21"))
        self.add(case, "refusal", self.refusal_fields(), "wang.clerk", attach=1,
                 when="2026-10-09T10:00:00+08:00")
        shown = self.show(case)
        self.assertEqual(shown["status"], "refused")
        d = shown["deadlines"]
        self.assertEqual(d["acceptance"]["deemed_accepted_on"], RECEIVED, d)
        self.assertEqual(d["decision"]["date"], "2026-10-26", d)
        self.assertEqual(d["decision"]["state"], "overdue", d)
        f = self.one_finding(case, "overdue-decision")
        self.assertEqual(f["detected"], cst_ms("2026-10-27"))
        self.assertIsNone(f["cured"])

    def test_overdue_without_handler_names_the_clerk(self):
        # Deemed accepted and never assigned: the clerk who registered
        # the case answers for it, with the clerk's superior.
        case = self.new_case(received=RECEIVED)
        self.receipt(case, offset("2026-09-21"))
        f = self.one_finding(case, "overdue-decision")
        self.assertEqual(f["responsible"], "wang.clerk", f)
        self.assertEqual(f["superior"], "zhao.rev", f)

    def test_refusal_in_time_ends_case(self):
        case = self.new_case(received=RECEIVED)
        self.add(case, "refusal", self.refusal_fields(), "wang.clerk", attach=1,
                 when="2026-09-22T10:00:00+08:00")
        d = self.show(case)["deadlines"]
        self.assertNotIn("decision", d)
        self.assertEqual(self.findings_of(case, "overdue-decision"), [])


class HearingDutyTest(LimitCase):
    """A catering licence (spjy-xk) accepted on Tue 09-22."""

    def catering_case(self):
        case = self.new_case_as("南京金陵小厨餐饮有限公司", "91320104MA1NXQ2K5B",
                                received=workflow.at(offset("2026-09-21"), 9))
        self.receipt(case, offset("2026-09-21"))
        self.accept(case, offset("2026-09-22"))
        self.assign(case)
        return case

    def hearing_rights(self, case, notified):
        return self.add(case, "hearing-rights-notice", {
            "notified_on": notified, "parties": ["南京金陵小厨餐饮有限公司"],
            "matter": "申请人拟在住宅楼底层开设餐馆，油烟和噪声可能影响相邻住户。",
            "deadline": notified,
            "signatures": [staff_sig("handler", "li.handler"), seal_sig(0)],
        }, "li.handler", attach=1)

    def rights_without_hearing(self, case, told):
        return self.add(case, "rights-notice", {
            "rights": ["陈述", "申辩"], "told_on": told, "method": "written",
            "signatures": [staff_sig("handler", "li.handler"), party_sig("party", "张三")],
        }, "li.handler", attach=1)

    def request(self, case, requested):
        return self.add(case, "hearing-request", {
            "requested_on": requested, "requester": "南京金陵小厨餐饮有限公司",
            "signatures": [party_sig("party", "张三")],
        }, "li.handler", attach=1)

    def notice(self, case, notified, hearing_at):
        return self.add(case, "hearing-notice", {
            "hearing_at": hearing_at, "place": "曹阳区行政审批局三楼听证室",
            "presiding": "qian.legal", "public": True,
            "notified": ["南京金陵小厨餐饮有限公司"], "notified_on": notified,
            "signatures": [staff_sig("handler", "li.handler"), seal_sig(0)],
        }, "li.handler", attach=1)

    def held(self, case, start, end):
        return self.add(case, "hearing-record", {
            "presiding": "qian.legal", "place": "曹阳区行政审批局三楼听证室",
            "start": start, "end": end, "participants": ["张三（申请人委托代理人）"],
            "content": "申请人：已安装油烟净化设施。", "pages": 1,
            "confirmation": "以上笔录我已看过，与我所说相符", "av": [{"attachment": 1}],
            "signatures": [staff_sig("presiding", "qian.legal"),
                           party_sig("participant", "张三", 0, 1)],
        }, "qian.legal", attach=2)

    def test_late_request_creates_no_duty(self):
        # Told on Tue 09-22, the applicant could ask until Mon 09-28; the
        # request of Fri 10-09 is recorded but owes no hearing.
        case = self.catering_case()
        self.hearing_rights(case, "2026-09-22")
        self.request(case, "2026-10-09")
        d = self.show(case)["deadlines"]
        self.assertEqual(d["hearing_request"]["date"], "2026-09-28", d)
        self.assertEqual(d["hearing_request"]["state"], "late", d)
        self.assertNotIn("hearing", d)
        self.assertEqual(self.findings_of(case, "late-hearing"), [], self.dump(case))

    def test_request_in_time_owes_hearing(self):
        case = self.catering_case()
        self.hearing_rights(case, "2026-09-22")
        self.request(case, "2026-09-28")
        f = self.one_finding(case, "late-hearing")
        self.assertEqual(f["key"], "held")

    def test_rights_notice_without_hearing_starts_nothing(self):
        # The rights notice of 09-22 lists no 听证, so the 5 days never
        # started and the request of 10-09 owes a hearing within 20
        # working days: by Thu 11-05 (10-10, 10-12..16, 10-19..23,
        # 10-26..30, 11-02..05).
        case = self.catering_case()
        self.rights_without_hearing(case, "2026-09-22")
        self.request(case, "2026-10-09")
        d = self.show(case)["deadlines"]
        self.assertNotIn("hearing_request", d)
        self.assertEqual(d["hearing"]["date"], "2026-11-05", d)
        f = self.one_finding(case, "late-hearing")
        self.assertEqual(f["key"], "held")
        self.assertEqual(f["detected"], cst_ms("2026-11-06"))

    def test_unrequested_hearing_notice_checked(self):
        # The bureau holds a hearing itself (art. 46) on Thu 10-15 and
        # notices it on Mon 10-12: the notice was due by Thu 10-08.
        case = self.catering_case()
        notice = self.notice(case, "2026-10-12", "2026-10-15T09:00:00+08:00")
        self.held(case, "2026-10-15T09:00:00+08:00", "2026-10-15T10:00:00+08:00")
        d = self.show(case)["deadlines"]
        self.assertEqual(d["hearing_notice"]["date"], "2026-10-08", d)
        self.assertEqual(d["hearing_notice"]["state"], "late", d)
        self.assertNotIn("hearing", d)
        [f] = self.findings_of(case, "late-hearing")
        self.assertEqual((f["key"], f["record"]), ("notice", notice["seq"]))


class RightsNoticeTimeTest(LimitCase):
    """道路货物运输经营许可 (dlhy-xk) with a neighbour notified as an
    interested party: art. 47 applies."""

    def road_case(self):
        case = self.new_case_as("南京顺达物流有限公司", "91320115MA1XK7LP2D",
                                received=workflow.at(offset("2026-09-21"), 9),
                                matter="dlhy-xk")
        self.accept(case, offset("2026-09-22"))
        self.assign(case)
        self.add(case, "interested-party-notice", {
            "party": "南京鑫源物业管理有限公司", "notified_on": "2026-09-30",
            "rights": ["陈述", "申辩"],
            "signatures": [staff_sig("handler", "li.handler"), seal_sig(0)],
        }, "li.handler", attach=1)
        return case

    def test_notice_after_decision_cures_nothing(self):
        case = self.road_case()
        proposal = self.propose(case)
        self.step(case, "review", "zhao.rev")
        self.step(case, "approve", "zhang.head")
        self.decide(case)
        self.rights(case, 0)
        f = self.one_finding(case, "missing-rights-notice")
        self.assertEqual(f["record"], proposal["seq"])
        self.assertIsNone(f["cured"], "a notice after the decision is too late")

    def test_notice_before_decision_cures(self):
        case = self.road_case()
        self.propose(case)
        rights = self.rights(case, 0)
        f = self.one_finding(case, "missing-rights-notice")
        self.assertEqual(f["cured"], rights["ts"])

    def test_public_interest_matter_not_art47(self):
        # 食品经营许可 is flagged `hearing` (art. 46, major public
        # interest); with no interested party art. 47 does not apply.
        case = self.new_case_as("南京金陵小厨餐饮有限公司", "91320104MA1NXQ2K5B",
                                received=workflow.at(offset("2026-09-21"), 9))
        self.accept(case, offset("2026-09-22"))
        self.assign(case)
        self.propose(case)
        self.assertEqual(self.findings_of(case, "missing-rights-notice"), [],
                         self.dump(case))


if __name__ == "__main__":
    ctest.main()
