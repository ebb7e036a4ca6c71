#!/usr/bin/env python3
"""Time limits of a case that depend on the calendar year and on renewal.

A licence renewal must be applied for 30 calendar days before the licence
expires, and a last day on a rest day moves to the next working day. A
renewal applied for in time and not decided before the expiry counts as
granted (行政许可法 art. 50). A deadline that runs into a year whose
holiday calendar is not yet published is provisional.
"""

import datetime
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import workflow  # noqa: E402


class RenewalTest(workflow.WorkflowTest):

    matter = "spjy-yx"

    def renewal_case(self, received, expiry):
        case = self.new_case(received=received + "T09:00:00+08:00")
        # The expiry is a field of the application; correct it in.
        app = self.show(case)["records"][0]
        fields = dict(app["fields"], licence_expiry=expiry)
        self.ok("record", "correct", str(app["seq"]), "--reason", "补录原许可有效期",
                "--fields", self.fields_file(fields), "--as", "wang.clerk")
        return case

    def test_applied_in_time(self):
        # Expiry 2026-11-30: 30 days before is 2026-10-31, a Saturday,
        # so the last day moves to Monday 2026-11-02.
        case = self.renewal_case("2026-10-30", "2026-11-30")
        d = self.show(case)["deadlines"]
        self.assertEqual(d["renewal_application"]["date"], "2026-11-02", d)
        self.assertEqual(d["renewal_application"]["state"], "met", d)
        self.assertEqual(d["renewal_decision"]["date"], "2026-11-30", d)

    def test_undecided_renewal_deemed_granted(self):
        case = self.renewal_case("2026-10-30", "2026-11-30")
        found = [f for f in self.findings(case) if f["code"] == "deemed-renewal"]
        self.assertEqual(len(found), 1, self.findings(case))
        # Valid through 2026-11-30: granted at 00:00 of the next day.
        self.assertEqual(found[0]["detected"], workflow_ms("2026-12-01"))

    def test_decided_on_the_expiry_day(self):
        # A renewal decided on the last day of the licence's validity is
        # decided before it expires: the deadline is met, nothing deemed.
        expiry = workflow.day(0)
        received = (datetime.date.fromisoformat(expiry)
                    - datetime.timedelta(days=40)).isoformat()
        case = self.renewal_case(received, expiry)
        self.accept(case, -39)
        self.assign(case)
        self.propose(case)
        self.step(case, "review", "zhao.rev")
        self.step(case, "approve", "zhang.head")
        self.decide(case)
        d = self.show(case)["deadlines"]
        self.assertEqual(d["renewal_decision"]["state"], "met", d)
        self.assertNotIn("deemed-renewal", self.codes(case, False))

    def test_late_application_not_deemed(self):
        # Applied on 2026-11-10, after the last day 2026-11-02: no
        # renewal decision deadline, and no deemed renewal.
        case = self.renewal_case("2026-11-10", "2026-11-30")
        d = self.show(case)["deadlines"]
        self.assertEqual(d["renewal_application"]["state"], "late", d)
        self.assertNotIn("renewal_decision", d)
        self.assertNotIn("deemed-renewal", self.codes(case, False))


class ProvisionalTest(workflow.WorkflowTest):

    def test_decision_provisional_in_unpublished_year(self):
        # Accepted today: 20 working days reach past 2026-12-31 from any
        # day after 2026-12-03, so the due date lies in the next year,
        # which is provisional until its calendar is published.
        case = self.new_case(received=workflow.at(0, 0))
        self.accept(case, 0)
        d = self.show(case)["deadlines"]["decision"]
        year = int(d["date"][:4])
        years = self.ok("calendar", "show").json["years"]
        published = any(y["year"] == year and y["published"] for y in years)
        self.assertEqual(d["provisional"], not published, d)
        if year == 2027:
            self.assertFalse(published, "2027 has no calendar in data/calendar")
            self.assertTrue(d["provisional"], d)


class HearingRequestTest(workflow.WorkflowTest):
    """The 5 days to ask for a hearing run from the notice of the right."""

    def hearing_case(self):
        case = self.new_case(received="2026-09-14T09:00:00+08:00")
        self.accept(case, 0)
        return case

    def told(self, case, kind, field, date):
        fields = {field: date,
                  "signatures": [workflow.staff_sig("handler", "li.handler"),
                                 workflow.seal_sig(0)]}
        if kind == "hearing-rights-notice":
            fields.update(parties=["某某餐饮管理有限公司"], deadline="2026-09-28",
                          matter="申请人拟在住宅楼底层开设餐馆。")
        else:
            fields.update(rights=["申请听证"], method="written",
                          signatures=[workflow.staff_sig("handler", "li.handler"),
                                      workflow.party_sig("party", "张三")])
        self.add(case, kind, fields, "li.handler", attach=1)

    def request(self, case, date):
        self.add(case, "hearing-request", {
            "requested_on": date, "requester": "某某餐饮管理有限公司",
            "signatures": [workflow.party_sig("party", "张三")],
        }, "li.handler", attach=1)

    def test_hearing_rights_notice_starts_request(self):
        # Told on Tue 2026-09-22: the fifth day falls in 中秋 (09-25..27),
        # so the last day is Mon 2026-09-28.
        case = self.hearing_case()
        self.told(case, "hearing-rights-notice", "notified_on", "2026-09-22")
        self.request(case, "2026-09-28")
        d = self.show(case)["deadlines"]
        self.assertIn("hearing_request", d)
        self.assertEqual(d["hearing_request"]["date"], "2026-09-28", d)
        self.assertEqual(d["hearing_request"]["state"], "met", d)

    def test_hearing_rights_notice_before_rights_notice(self):
        # The rights notice of 09-15 lists the hearing among all rights;
        # the 听证告知书 of 09-22 is the notice the 5 days run from.
        case = self.hearing_case()
        self.told(case, "rights-notice", "told_on", "2026-09-15")
        self.told(case, "hearing-rights-notice", "notified_on", "2026-09-22")
        self.request(case, "2026-09-28")
        d = self.show(case)["deadlines"]
        self.assertEqual(d["hearing_request"]["date"], "2026-09-28", d)
        self.assertEqual(d["hearing_request"]["state"], "met", d)

    def test_rights_notice_alone_starts_request(self):
        case = self.hearing_case()
        self.told(case, "rights-notice", "told_on", "2026-09-22")
        self.request(case, "2026-09-28")
        d = self.show(case)["deadlines"]
        self.assertEqual(d["hearing_request"]["date"], "2026-09-28", d)


def workflow_ms(date):
    import datetime
    t = datetime.datetime.fromisoformat(date + "T00:00:00+08:00")
    return int(t.timestamp() * 1000)


if __name__ == "__main__":
    unittest.main()
