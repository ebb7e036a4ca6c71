#!/usr/bin/env python3
"""casetrail calendar import: an amended calendar moves open deadlines.

In 2020 the State Council extended the Spring Festival holiday by a
second notice (2020-01-31 became a holiday). A case accepted on
2020-01-21 under the first notice is due on 2020-02-25 (20 working days);
after the amendment it is due on 2020-02-26. The time-limit notice given
under the first calendar keeps its date, and the difference is shown.
"""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import ctest  # noqa: E402
import workflow  # noqa: E402

HOLIDAY_2020 = os.path.join(ctest.SHARED, "data", "holiday-cn", "2020.json")
EXTENSION = ("2020-01-31", "2020-02-01", "2020-02-02")
SIGNED = "2020-01-21T10:00:00+08:00"


@unittest.skipUnless(os.path.exists(HOLIDAY_2020), "holiday-cn data not present")
class CalendarImportTest(workflow.WorkflowTest):

    def setUp(self):
        super().setUp()
        with open(HOLIDAY_2020, encoding="utf-8") as f:
            amended = json.load(f)
        first = dict(amended)
        first["days"] = [d for d in amended["days"] if d["date"] not in EXTENSION]
        self.first = self.write_json("2020-first.json", first)

    def write_json(self, name, value):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(value, f, ensure_ascii=False)
        return path

    def accepted_case(self):
        case = self.new_case(received="2020-01-20T09:00:00+08:00")
        sigs = [workflow.staff_sig("clerk", "wang.clerk", SIGNED),
                workflow.seal_sig(0, SIGNED)]
        self.add(case, "acceptance-notice", {"accepted_on": "2020-01-21", "signatures": sigs},
                 "wang.clerk", attach=1, when=SIGNED)
        self.add(case, "time-limit-notice", {
            "decision_due": "2020-02-25", "clause": "自受理之日起二十个工作日内作出决定。",
            "signatures": sigs}, "wang.clerk", attach=1, when=SIGNED)
        return case

    def decision(self, case):
        return self.show(case)["deadlines"]["decision"]

    def test_amendment_moves_deadline(self):
        self.ok("calendar", "import", self.first)
        case = self.accepted_case()
        self.assertEqual(self.decision(case)["date"], "2020-02-25")
        r = self.ok("calendar", "import", HOLIDAY_2020).json
        moved = [c for c in r["changed"] if c["deadline"] == "decision"]
        self.assertEqual(moved, [{"case": case, "deadline": "decision",
                                  "from": "2020-02-25", "to": "2020-02-26"}])
        self.assertEqual(self.decision(case)["date"], "2020-02-26")

    def test_told_date_kept(self):
        self.ok("calendar", "import", self.first)
        case = self.accepted_case()
        self.ok("calendar", "import", HOLIDAY_2020)
        told = self.decision(case)["told"]
        self.assertEqual(told["date"], "2020-02-25")
        self.assertEqual(told["difference_days"], 1)

    def test_import_recorded_in_log(self):
        r = self.ok("calendar", "import", self.first).json
        entry = self.ok("log", "show", str(r["seq"])).json["entry"]
        self.assertEqual(entry["kind"], "calendar")
        note = self.ok("log", "show", str(r["seq"] + 1)).json["entry"]
        self.assertEqual(note["kind"], "deadline-recompute")

    def test_rebuild_matches_after_import(self):
        self.ok("calendar", "import", self.first)
        self.accepted_case()
        self.ok("calendar", "import", HOLIDAY_2020)
        r = self.ct("rebuild")
        self.assertEqual(r.code, 0, r)
        self.assertTrue(r.json["match"], r)

    def test_malformed_calendar_rejected(self):
        bad = self.write_json("bad.json", {"year": 2020, "papers": [],
                                           "days": [{"name": "x", "date": "2020-02-30",
                                                     "isOffDay": True}]})
        before = self.ok("checkpoint").out
        r = self.ct("calendar", "import", bad)
        self.assertEqual(r.code, 2, r)
        self.assertIn("2020-02-30", r.err)
        self.assertEqual(self.ok("checkpoint").out, before)


if __name__ == "__main__":
    unittest.main()
