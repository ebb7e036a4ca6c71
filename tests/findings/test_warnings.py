#!/usr/bin/env python3
"""Yellow and red warnings (黄牌/红牌) of time limits and the daily digest,
through `casetrail warnings`, `casetrail digest` and their API routes.

Warnings are evaluated with --at on fixed days of the official 2026
calendar: 09-25..27 (中秋节) and 10-01..07 (国庆节) rest, Sunday 09-20 and
Saturday 10-10 are make-up working days. 食品经营许可 (spjy-xk) promises a
decision in 10 working days (statutory 20).
"""

import datetime
import json
import os
import sqlite3
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import apitest  # noqa: E402
import ctest  # noqa: E402
import workflow  # noqa: E402
from casecheck import FixedDateCase, offset  # noqa: E402
from workflow import at, day, party_sig, seal_sig, staff_sig  # noqa: E402


class SupervisionCase(FixedDateCase):
    def licence_case(self, received, accepted, applicant="南京金陵小厨餐饮有限公司",
                     credit_code="91320104MA1NXQ2K5B", matter=None):
        materials = self.materials_of(matter) if matter else "sqs,yyzz"
        case = self.new_case_as(applicant, credit_code, matter=matter,
                                received=workflow.at(offset(received), 9),
                                materials=materials)
        self.accept(case, offset(accepted))
        self.assign(case)
        return case

    def warnings(self, *args, when=None):
        if when:
            args += ("--at", when)
        return self.ok("warnings", "--json", *args).json["items"]

    def warning_of(self, case, when, limit="decision"):
        """The warning of one limit of case at when, or None."""
        found = [w for w in self.warnings(when=when)
                 if w["case"] == case and w["limit"] == limit]
        self.assertLessEqual(len(found), 1, found)
        return found[0] if found else None


class WarningTest(SupervisionCase):
    """Accepted Tue 2026-09-22: the promised 10 working days end Tue
    2026-10-13 (09-23, 24, 28, 29, 30, 10-08, 09, 10, 12, 13)."""

    def setUp(self):
        super().setUp()
        self.case = self.licence_case("2026-09-21", "2026-09-22")

    def test_promised_due_day(self):
        d = self.show(self.case)["deadlines"]["decision"]
        self.assertEqual(d["promised"]["date"], "2026-10-13")
        self.assertEqual(d["date"], "2026-10-27")

    def test_three_days_left_yellow(self):
        w = self.warning_of(self.case, "2026-10-09T10:00:00+08:00")
        self.assertEqual(w["color"], "yellow")
        self.assertEqual(w["working_days_left"], 3)
        self.assertEqual(w["due"], "2026-10-13")
        self.assertEqual(w["basis"], "promised")
        self.assertFalse(w["provisional"])
        self.assertEqual(w["responsible"], "li.handler")
        self.assertEqual(w["superior"], "zhao.rev")
        self.assertEqual(w["matter"], "spjy-xk")

    def test_boundary_days(self):
        table = [
            # Thu 10-08: 10-09, 10-10 (make-up), 10-12 and 10-13 are left.
            ("2026-10-08T10:00:00+08:00", None),
            ("2026-10-09T10:00:00+08:00", ("yellow", 3)),
            ("2026-10-11T10:00:00+08:00", ("yellow", 2)),
            ("2026-10-13T17:00:00+08:00", ("yellow", 0)),
            ("2026-10-14T00:00:00+08:00", ("red", -1)),
            # Sat 10-17: 10-14, 15 and 16 have passed since the due day.
            ("2026-10-17T10:00:00+08:00", ("red", -3)),
        ]
        for when, expected in table:
            with self.subTest(when=when):
                w = self.warning_of(self.case, when)
                got = (w["color"], w["working_days_left"]) if w else None
                self.assertEqual(got, expected)

    def test_filters(self):
        when = "2026-10-14T10:00:00+08:00"
        self.assertEqual(len(self.warnings("--color", "red", when=when)), 1)
        self.assertEqual(self.warnings("--color", "yellow", when=when), [])
        self.assertEqual(len(self.warnings("--user", "li.handler", when=when)), 1)
        self.assertEqual(len(self.warnings("--user", "zhao.rev", when=when)), 1,
                         "the superior sees it too")
        self.assertEqual(self.warnings("--user", "wang.clerk", when=when), [])
        self.assertEqual(len(self.warnings("--unit", "审批一科", when=when)), 1)
        self.assertEqual(self.warnings("--unit", "政务服务窗口", when=when), [])

    def test_bad_color_rejected(self):
        r = self.ct("warnings", "--color", "blue")
        self.assertEqual(r.code, 2, r)
        self.assertIn("colour 'blue' is invalid; use yellow or red", r.err)

    def test_decided_case_no_warning(self):
        self.rights(self.case, offset("2026-09-22"))
        self.onsite(self.case)
        self.propose(self.case)
        self.step(self.case, "review", "zhao.rev")
        self.step(self.case, "approve", "zhang.head")
        self.decide(self.case)
        self.assertIsNone(self.warning_of(self.case, "2026-10-13T10:00:00+08:00"))

    def test_text_output(self):
        out = self.ok("warnings", "--at", "2026-10-14T10:00:00+08:00").out
        self.assertIn("red", out)
        self.assertIn(self.case, out)


class FridayDueWarningTest(SupervisionCase):
    """Accepted Fri 2026-10-16: the promised 10 working days end Fri
    2026-10-30 (10-19..23, 10-26..30)."""

    def test_weekend_after_friday_due_day(self):
        case = self.licence_case("2026-10-15", "2026-10-16")
        self.assertEqual(self.show(case)["deadlines"]["decision"]["promised"]["date"],
                         "2026-10-30")
        table = [
            ("2026-10-30T17:00:00+08:00", ("yellow", 0)),
            # Sat 10-31 and Sun 11-01: overdue, though no working day
            # has passed since the due day.
            ("2026-10-31T10:00:00+08:00", ("red", -1)),
            ("2026-11-01T10:00:00+08:00", ("red", -1)),
            ("2026-11-02T10:00:00+08:00", ("red", -1)),
            ("2026-11-03T10:00:00+08:00", ("red", -2)),
        ]
        for when, expected in table:
            with self.subTest(when=when):
                w = self.warning_of(case, when)
                got = (w["color"], w["working_days_left"]) if w else None
                self.assertEqual(got, expected)


class HolidayWarningTest(SupervisionCase):
    """Accepted Thu 2026-09-17: the promised 10 working days end Thu
    2026-10-08, right after 国庆节 (09-18, 20, 21, 22, 23, 24, 28, 29, 30,
    10-08)."""

    def setUp(self):
        super().setUp()
        self.case = self.licence_case("2026-09-14", "2026-09-17")

    def test_due_after_holiday(self):
        d = self.show(self.case)["deadlines"]["decision"]
        self.assertEqual(d["promised"]["date"], "2026-10-08")

    def test_boundary_days_across_holidays(self):
        table = [
            # Thu 09-24: 09-28, 29, 30 and 10-08 are left; 09-25..27 rest.
            ("2026-09-24T10:00:00+08:00", None),
            # Mon 09-28: 09-29, 09-30 and 10-08 are left.
            ("2026-09-28T10:00:00+08:00", ("yellow", 3)),
            # Wed 09-30: eight calendar days but one working day before 10-08.
            ("2026-09-30T10:00:00+08:00", ("yellow", 1)),
            ("2026-10-05T10:00:00+08:00", ("yellow", 1)),
            ("2026-10-09T10:00:00+08:00", ("red", -1)),
        ]
        for when, expected in table:
            with self.subTest(when=when):
                w = self.warning_of(self.case, when)
                got = (w["color"], w["working_days_left"]) if w else None
                self.assertEqual(got, expected)


class StatutoryWarningTest(SupervisionCase):
    def test_statutory_without_promised(self):
        # 民办学校办学许可 (mbxx-xk) promises no shorter limit.
        case = self.licence_case("2026-09-21", "2026-09-22", "南京明德培训学校",
                                 "52320100MJ5512345X", matter="mbxx-xk")
        d = self.show(case)["deadlines"]["decision"]
        self.assertNotIn("promised", d)
        w = self.warning_of(case, d["date"] + "T10:00:00+08:00")
        self.assertEqual((w["color"], w["basis"], w["due"]), ("yellow", "statutory", d["date"]))


class DigestTest(SupervisionCase):
    """A hearing requested Tue 2026-09-22 and never held: late-hearing and
    overdue-decision are detected at 00:00 CST on Wed 10-28, after the
    20 working days to 10-27."""

    def setUp(self):
        super().setUp()
        self.case = self.licence_case("2026-09-21", "2026-09-22")
        self.rights(self.case, offset("2026-09-22"))
        self.add(self.case, "hearing-request", {
            "requested_on": "2026-09-22", "requester": "南京鑫源物业管理有限公司",
            "signatures": [party_sig("party", "王五")],
        }, "li.handler", attach=1)

    def digest(self, user, date=None):
        args = ["digest", "--json", "--user", user]
        if date:
            args += ["--date", date]
        out = self.ok(*args).json
        [item] = out["items"]
        self.assertEqual(item["user"], user)
        return out, item

    def codes(self, findings):
        return sorted(f["code"] for f in findings if f.get("case") == self.case)

    def test_digest_of_the_morning_after(self):
        out, d = self.digest("li.handler", "2026-10-28")
        self.assertEqual(out["at"], "2026-10-28T08:00:00+08:00")
        self.assertEqual(out["since"], "2026-10-27T08:00:00+08:00")
        self.assertEqual(self.codes(d["raised"]), ["late-hearing", "overdue-decision"])
        self.assertEqual(self.codes(d["open_findings"]),
                         ["late-hearing", "overdue-decision"])
        self.assertEqual(d["cured"], [])
        reds = sorted(w["limit"] for w in d["warnings"] if w["color"] == "red")
        self.assertEqual(reds, ["decision", "hearing"])
        self.assertEqual(d["counts"], {"yellow": 0, "red": 2, "open": 2, "raised": 2,
                                       "cured": 0})
        self.assertFalse(d["stored"])

    def test_superior_gets_the_same(self):
        _, d = self.digest("zhao.rev", "2026-10-28")
        self.assertEqual(self.codes(d["raised"]), ["late-hearing", "overdue-decision"])
        self.assertEqual(d["counts"]["red"], 2)

    def test_day_before_has_not_raised(self):
        _, d = self.digest("li.handler", "2026-10-27")
        self.assertEqual(self.codes(d["raised"]), [])
        self.assertEqual(self.codes(d["open_findings"]), [])

    def test_others_get_nothing_of_it(self):
        _, d = self.digest("wang.clerk", "2026-10-28")
        self.assertEqual(self.codes(d["raised"]), [])
        self.assertEqual(d["warnings"], [])

    def test_cure_listed_in_next_digest(self):
        self.add(self.case, "hearing-notice", {
            "hearing_at": at(-1, 9), "place": "曹阳区行政审批局三楼听证室",
            "presiding": "qian.legal", "public": True, "notified_on": day(-10),
            "signatures": [staff_sig("handler", "li.handler"), seal_sig(0)],
        }, "li.handler", attach=1)
        self.add(self.case, "hearing-record", {
            "presiding": "qian.legal", "start": at(-1, 9), "end": at(-1, 10),
            "participants": ["王五（利害关系人）"], "content": "听证内容。", "pages": 1,
            "confirmation": "以上笔录我已看过，与我所说相符", "av": [{"attachment": 1}],
            "signatures": [staff_sig("presiding", "qian.legal"),
                           party_sig("participant", "王五", 0, 1)],
        }, "qian.legal", attach=2)
        # A digest of tomorrow is composed now, after the cure.
        _, d = self.digest("li.handler", day(1))
        self.assertIn("late-hearing", self.codes(d["cured"]))
        self.assertNotIn("late-hearing", self.codes(d["open_findings"]))

    def test_unknown_user_rejected(self):
        r = self.ct("digest", "--user", "nobody")
        self.assertEqual(r.code, 2, r)
        self.assertIn("user 'nobody' is not an active user", r.err)

    def test_bad_date_rejected(self):
        r = self.ct("digest", "--date", "2026-13-01")
        self.assertEqual(r.code, 2, r)
        self.assertIn("date '2026-13-01' is invalid; use YYYY-MM-DD", r.err)

    def test_everyone_listed(self):
        out = self.ok("digest", "--json", "--date", "2026-10-28").json
        users = {d["user"] for d in out["items"]}
        self.assertLessEqual({"li.handler", "zhao.rev", "wang.clerk", "zhang.head"}, users)


class SupervisionApiTest(SupervisionCase):
    """The routes, on a server over a store with one overdue case."""

    def setUp(self):
        super().setUp()
        self.case = self.licence_case("2026-09-21", "2026-09-22")
        self.tokens = {u: self.ok("token", "create", "--user", u).out.strip().splitlines()[-1]
                       for u in ("li.handler", "wang.clerk", "zhao.rev")}
        self.server = apitest.Server(self.dir)

    def tearDown(self):
        try:
            self.server_log = self.server.close()
        finally:
            super().tearDown()

    def get(self, user, path):
        return self.server.request("GET", path, None, None, self.tokens[user])

    def test_routes(self):
        r = self.get("wang.clerk", "/api/v1/findings/rules")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json, self.ok("findings", "--rules", "--json").json)

        mine = self.get("li.handler", "/api/v1/warnings").json["items"]
        self.assertEqual({w["case"] for w in mine}, {self.case})
        self.assertEqual(self.get("wang.clerk", "/api/v1/warnings").json["items"], [],
                         "another unit's warnings stay hidden")
        self.assertEqual(len(self.get("zhao.rev", "/api/v1/warnings").json["items"]),
                         len(mine), "a reviewer sees the whole bureau")
        for query in ("user=nobody", "unit=" + urllib.parse.quote("无此科室")):
            r = self.get("li.handler", "/api/v1/warnings?" + query)
            self.assertEqual(r.status, 400, query)
        r = self.get("zhao.rev", "/api/v1/warnings?user=li.handler")
        self.assertEqual(r.status, 200, r)
        self.assertEqual({w["case"] for w in r.json["items"]}, {self.case})
        r = self.get("li.handler", "/api/v1/warnings?color=blue")
        self.assertEqual(r.status, 400, r)

        r = self.get("li.handler", "/api/v1/digest")
        self.assertEqual(r.status, 200, r)
        self.assertEqual([d["user"] for d in r.json["items"]], ["li.handler"])
        self.assertIn("decision", {w["limit"] for w in r.json["items"][0]["warnings"]})

    def test_sweeper_stores_digests_after_eight(self):
        now = workflow.now_cst()
        if now.hour < 8:
            self.skipTest("the digests of today are composed at 08:00 CST")
        for _ in range(100):
            d = self.get("li.handler", "/api/v1/digest").json["items"][0]
            if d["stored"]:
                break
            time.sleep(0.1)
        self.assertTrue(d["stored"], d)
        log = self.server.log()
        self.assertIn('msg="digest composed" user=li.handler', log)
        self.assertIn("daily evaluation finished", log)
        # The next digest counts raised and cured findings from this one.
        at_ms = d["at_ms"]
        [nxt] = self.ok("digest", "--json", "--user", "li.handler",
                        "--date", day(1)).json["items"]
        self.assertEqual(nxt["since"], datetime.datetime.fromtimestamp(
            at_ms // 1000, workflow.CST).isoformat())
        # A server started again the same day neither evaluates every
        # case again nor composes the digests again: the store knows the
        # day they ran.
        self.server.close()
        self.server = apitest.Server(self.dir)
        for _ in range(100):
            if "retention run finished" in self.server.log():
                break
            time.sleep(0.1)
        log = self.server.log()
        self.assertIn("retention run finished", log)
        self.assertNotIn("daily evaluation started", log)
        self.assertNotIn("daily digests stored", log)
        again = self.get("li.handler", "/api/v1/digest").json["items"][0]
        self.assertEqual(again["at_ms"], at_ms)
        self.server.close()
        self.server = apitest.Server(self.dir)
        r = self.ok("rebuild", "--json").json
        self.assertTrue(r["match"], r)
        d = self.ok("digest", "--json", "--user", "li.handler").json["items"][0]
        self.assertTrue(d["stored"], "a rebuild keeps the stored digests")

    def test_missed_verify_caught_up(self):
        # The store was last verified three days ago: two nights were
        # missed, so the server verifies at once after 02:00.
        if workflow.now_cst().hour < 2:
            self.skipTest("the nightly verify starts at 02:00 CST")
        self.server.close()
        with sqlite3.connect(os.path.join(self.dir, "casetrail.db")) as db:
            db.execute("INSERT OR REPLACE INTO p_kv (ns, key, seq, body) "
                       "VALUES ('daily', 'verify', 0, ?)",
                       (json.dumps({"day": day(-3)}),))
        self.server = apitest.Server(self.dir)
        for _ in range(200):
            if "daily verify finished" in self.server.log():
                break
            time.sleep(0.1)
        self.assertIn("daily verify finished", self.server.log())


if __name__ == "__main__":
    ctest.main()
