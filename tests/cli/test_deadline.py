#!/usr/bin/env python3
"""casetrail deadline: due dates on the real official calendar, the
--explain table, --json, and errors that name the invalid value.

The calendar is the holiday-cn year files under $CASETRAIL_SHARED; each
test points --data at a temporary folder whose calendar/ links to them.
Expected dates were counted by hand on those files."""

import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import ctest  # noqa: E402
from ctest import run  # noqa: E402

HOLIDAYS = os.path.join(ctest.SHARED, "data", "holiday-cn")


class DeadlineTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="casetrail-deadline-")
        self.data = os.path.join(self.tmp, "data")
        os.mkdir(self.data)
        os.symlink(os.path.abspath(HOLIDAYS), os.path.join(self.data, "calendar"))

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def due(self, *args, **kw):
        """Runs deadline on the real calendar; returns stdout after exit 0."""
        r = run("deadline", *args, "--data", self.data, **kw)
        self.assertEqual(r.code, 0, r)
        self.assertEqual(r.err, "", r)
        return r.out

    def rejected(self, *args, data=None):
        """Runs deadline and returns stderr after checking exit 2."""
        r = run("deadline", *args, "--data", data or self.data)
        self.assertEqual(r.code, 2, r)
        self.assertEqual(r.out, "", "nothing is printed on stdout: %r" % r)
        return r.err

    def test_working_days_across_spring_festival(self):
        # 02-14 and 02-28 (Sat) are make-up days, 02-15..23 are off.
        self.assertEqual(self.due("--from", "2026-02-10", "--working-days", "10"),
                         "2026-03-02\n", "10 working days from 2026-02-10")

    def test_provisional_year(self):
        # 2026-12-31 counts, 2027-01-01 is 元旦, then a weekend.
        self.assertEqual(self.due("--from", "2026-12-30", "--working-days", "2"),
                         "2027-01-04 provisional\n", "2 working days into 2027")
        self.assertEqual(self.due("--from", "2026-12-30", "--working-days", "1"),
                         "2026-12-31\n", "1 working day inside 2026")

    def test_calendar_days_move_off_rest_days(self):
        self.assertEqual(self.due("--from", "2026-03-02", "--calendar-days", "5"),
                         "2026-03-09\n", "Saturday 03-07 moves to Monday")
        self.assertEqual(self.due("--from", "2026-09-28", "--calendar-days", "5"),
                         "2026-10-08\n", "10-03 in National Day moves to 10-08")
        self.assertEqual(self.due("--from", "2026-02-23", "--calendar-days", "5"),
                         "2026-02-28\n", "make-up Saturday 02-28 stays")

    def test_hours_across_midnight(self):
        self.assertEqual(self.due("--from", "2026-03-10", "--hours", "10", "--at", "20:30"),
                         "2026-03-11 06:30\n", "10 hours from 20:30 CST")
        self.assertEqual(self.due("--from", "2026-03-10", "--hours", "1", "--at", "23:59:30"),
                         "2026-03-11 00:59:30\n", "seconds are kept when given")
        self.assertEqual(self.due("--from", "2026-03-10", "--hours", "24"),
                         "2026-03-11 00:00\n", "--at defaults to 00:00")

    def test_json(self):
        out = json.loads(self.due("--from", "2026-02-10", "--working-days", "10", "--json"))
        self.assertEqual(out["due"], "2026-03-02", "due")
        self.assertIs(out["provisional"], False, "provisional")
        self.assertEqual(out["unit"], "working_days", "unit")
        self.assertEqual(out["n"], 10, "n")
        self.assertEqual(out["from"], "2026-02-10", "from")
        dates = [d["date"] for d in out["days"]]
        self.assertEqual(dates[0], "2026-02-11", "the first day looked at")
        self.assertEqual(dates[-1], "2026-03-02", "the last day looked at")
        self.assertEqual(len(dates), 20, "days 02-11..03-02 are all listed")
        counted = [d for d in out["days"] if d["counted"]]
        self.assertEqual([d["n"] for d in counted], list(range(1, 11)), "running count")
        by_date = {d["date"]: d for d in out["days"]}
        self.assertEqual(by_date["2026-02-14"]["why"], "调休", "make-up Saturday")
        self.assertEqual(by_date["2026-02-17"]["why"], "春节", "holiday name")
        self.assertIs(by_date["2026-02-17"]["counted"], False, "holiday not counted")
        self.assertEqual(by_date["2026-03-01"]["why"], "周末", "weekend")

    def test_json_hours(self):
        out = json.loads(self.due("--from", "2026-03-10", "--hours", "10", "--at", "20:30",
                                  "--json"))
        self.assertEqual(out["start"], "2026-03-10T20:30:00+08:00", "start")
        self.assertEqual(out["end"], "2026-03-11T06:30:00+08:00", "end")
        self.assertEqual(out["due"], "2026-03-11", "due day")
        self.assertEqual([d["n"] for d in out["days"]], [3.5, 10], "hours per day")

    def test_json_provisional(self):
        out = json.loads(self.due("--from", "2027-02-03", "--working-days", "2", "--json"))
        self.assertEqual(out["due"], "2027-02-09", "due across 春节 2027")
        self.assertIs(out["provisional"], True, "provisional")
        by_date = {d["date"]: d for d in out["days"]}
        self.assertEqual(by_date["2027-02-05"]["why"], "春节", "除夕 2027 is off")
        self.assertIs(by_date["2027-02-05"]["provisional"], True, "day marked provisional")

    def test_explain_table(self):
        lines = self.due("--from", "2026-02-10", "--working-days", "10",
                         "--explain").splitlines()
        self.assertEqual(lines[0].split(), ["date", "weekday", "counted", "n", "note"],
                         "header")
        self.assertEqual(lines[1].split(), ["2026-02-11", "星期三", "yes", "1"],
                         "first counted day")
        self.assertEqual(lines[4].split(), ["2026-02-14", "星期六", "yes", "4", "调休"],
                         "make-up Saturday")
        self.assertEqual(lines[5].split(), ["2026-02-15", "星期日", "no", "春节"],
                         "holiday row")
        self.assertEqual(lines[-1], "2026-03-02", "due date last")
        self.assertEqual(len(lines), 22, "header, 20 days and the due date")

    def test_explain_moved_and_provisional(self):
        lines = self.due("--from", "2026-12-23", "--calendar-days", "9",
                         "--explain").splitlines()
        self.assertIn("元旦, provisional", lines[-5], "2027-01-01 row: %r" % lines)
        self.assertTrue(lines[-2].startswith("2027-01-04"), "moved-to row: %r" % lines)
        self.assertIn("顺延", lines[-2], "the moved-to day is marked")
        self.assertEqual(lines[-1], "2027-01-04 provisional", "due date")

    def test_data_from_environment(self):
        r = run("deadline", "--from", "2026-02-10", "--working-days", "10",
                env={"CASETRAIL_DATA": self.data})
        self.assertEqual(r.code, 0, r)
        self.assertEqual(r.out, "2026-03-02\n", "calendar found through $CASETRAIL_DATA")

    def test_impossible_date(self):
        err = self.rejected("--from", "2026-02-30", "--working-days", "5")
        self.assertIn("'2026-02-30'", err, "names the date")
        self.assertIn("YYYY-MM-DD", err, "says the format")

    def test_period_out_of_range(self):
        self.assertIn("3651", self.rejected("--from", "2026-02-10", "--working-days", "3651"),
                      "names the working days")
        self.assertIn("0..3650", self.rejected("--from", "2026-02-10", "--calendar-days",
                                               "9999"), "says the range")
        self.assertIn("87601", self.rejected("--from", "2026-02-10", "--hours", "87601"),
                      "names the hours")
        self.assertIn("'-1'", self.rejected("--from", "2026-02-10", "--working-days=-1"),
                      "rejects a negative number")
        self.assertIn("1999-12-31", self.rejected("--from", "1999-12-31", "--working-days",
                                                  "1"), "names a day outside the calendar")

    def test_usage_errors(self):
        self.assertIn("only one", self.rejected("--from", "2026-02-10", "--working-days", "1",
                                                "--hours", "1"), "two units")
        self.assertIn("--working-days", self.rejected("--from", "2026-02-10"), "no unit")
        self.assertIn("--from", self.rejected("--working-days", "1"), "no --from")
        self.assertIn("--at", self.rejected("--from", "2026-02-10", "--working-days", "1",
                                            "--at", "09:00"), "--at without --hours")
        self.assertIn("'25:00'", self.rejected("--from", "2026-02-10", "--hours", "1",
                                               "--at", "25:00"), "impossible time")
        self.assertIn("'extra'", self.rejected("--from", "2026-02-10", "--hours", "1",
                                               "extra"), "stray argument")

    def test_missing_calendar_folder(self):
        missing = os.path.join(self.tmp, "nowhere")
        err = self.rejected("--from", "2026-02-10", "--working-days", "1", data=missing)
        self.assertIn(os.path.join(missing, "calendar"), err, "names the folder")
        self.assertIn("--data", err, "says how to give another")

    def test_malformed_calendar_file(self):
        bad = os.path.join(self.tmp, "bad")
        os.makedirs(os.path.join(bad, "calendar"))
        path = os.path.join(bad, "calendar", "2026.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"year": 2026, "papers": [],
                       "days": [{"name": "春节", "date": "2026-02-30", "isOffDay": True}]},
                      f, ensure_ascii=False)
        err = self.rejected("--from", "2026-02-10", "--working-days", "1", data=bad)
        self.assertIn(path, err, "names the file")
        self.assertIn("days[0].date '2026-02-30'", err, "names the member and value")

        with open(path, "w", encoding="utf-8") as f:
            f.write('{"year": 2026, "papers": [], "days": [')
        err = self.rejected("--from", "2026-02-10", "--working-days", "1", data=bad)
        self.assertIn("not valid JSON", err, "truncated file")


if __name__ == "__main__":
    if not os.path.isdir(HOLIDAYS):
        print("skipped: no calendar files at %s" % HOLIDAYS)
        sys.exit(77)
    ctest.main()
