#!/usr/bin/env python3
"""Whole cases through the command line: a licence from receipt to
service, case list and case show, confirmations, corrections, early
ends, refusals, document numbers, import and rebuild.

Dates of the fixed-date cases were counted by hand on data/calendar; see
casecheck.RECEIVED for the holidays they cross.
"""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import ctest  # noqa: E402
from casecheck import FixedDateCase, RECEIVED, offset  # noqa: E402
from workflow import at, day, now_cst, seal_sig, staff_sig  # noqa: E402


class FullCaseTest(FixedDateCase):
    def test_full_case_verifies_and_rebuilds(self):
        case = self.full_case()
        shown = self.show(case)
        self.assertEqual(shown["stage"], "archive", "stage after service")
        self.assertEqual(shown["status"], "granted", "status after service")
        self.assertEqual(self.codes(case, open_only=False), [], "no findings at all")
        verify = self.ct("verify")
        self.assertEqual(verify.code, 0, verify)
        rebuild = self.ct("rebuild")
        self.assertEqual(rebuild.code, 0, rebuild)
        self.assertIs(rebuild.json["match"], True, rebuild)
        self.assertEqual(rebuild.json["differences"], [], rebuild)


class CaseListTest(FixedDateCase):
    """Four cases: one each in acceptance, investigation and archive, and
    one with no acceptance, refusal or supplement notice since 2026-09-21
    (overdue)."""

    def setUp(self):
        super().setUp()
        self.waiting = self.new_case_as("甲餐饮有限公司", "91320100AAAAAAAA1X")
        self.accepted = self.new_case_as("乙食品商行", "91320100BBBBBBBB2Y")
        self.number = self.accept(self.accepted)["number"]
        self.closed = self.full_case()
        self.overdue = self.new_case_as("丙超市", "92320100CCCCCCCC3Z", received=RECEIVED)

    def ids(self, *args):
        r = self.ok("case", "list", "--json", *args)
        return [c["id"] for c in r.json["items"]]

    def test_list_filters_by_stage(self):
        self.assertEqual(self.ids("--stage", "acceptance"), [self.overdue, self.waiting],
                         "stage acceptance, newest first")
        self.assertEqual(self.ids("--stage", "investigation"), [self.accepted],
                         "stage investigation")
        self.assertEqual(self.ids("--stage", "archive"), [self.closed], "stage archive")
        r = self.ct("case", "list", "--stage", "approval")
        self.assertEqual(r.code, 2, r)
        self.assertIn("stage 'approval' is unknown", r.err, r)

    def test_list_query_matches_applicant(self):
        self.assertEqual(self.ids("--q", "乙食品"), [self.accepted], "part of a name")
        self.assertEqual(self.ids("--q", "丁公司"), [], "no such applicant")

    def test_list_query_matches_credit_code(self):
        self.assertEqual(self.ids("--q", "91320100AAAAAAAA1X"), [self.waiting],
                         "unified social credit code")

    def test_list_query_matches_case_id(self):
        self.assertEqual(self.ids("--q", self.closed), [self.closed], "case id")

    def test_list_query_matches_document_number(self):
        self.assertRegex(self.number, r"^曹审批受〔\d{4}〕1号$", "first acceptance number")
        self.assertEqual(self.ids("--q", self.number), [self.accepted],
                         "acceptance notice number %s" % self.number)

    def test_list_overdue_filter(self):
        self.assertEqual(self.ids("--overdue"), [self.overdue],
                         "only the case unanswered since 2026-09-21")

    def test_list_due_within_filter(self):
        # The waiting case is due 5 working days after its receipt
        # yesterday. --due-within N keeps cases due by the Nth working day
        # from today, so the first N that reaches that date keeps it and
        # N - 1 does not. The overdue case is due within any N.
        due = self.show(self.waiting)["deadlines"]["acceptance"]["date"]
        n = 0
        while ctest.run("deadline", "--from", day(0), "--working-days", n).out.split()[0] < due:
            n += 1
        self.assertEqual(self.ids("--due-within", n), [self.overdue, self.waiting],
                         "due within %d working days (%s)" % (n, due))
        self.assertEqual(self.ids("--due-within", n - 1), [self.overdue],
                         "due within %d working days" % (n - 1))

    def test_list_open_filter(self):
        self.assertNotIn(self.closed, self.ids("--open"), "a served case is closed")
        self.assertEqual(len(self.ids("--open")), 3, "three open cases")
        self.assertIn(self.closed, self.ids(), "closed cases are listed without --open")

    def test_list_offset_and_limit(self):
        everything = self.ids()
        self.assertEqual(everything, [self.overdue, self.closed, self.accepted, self.waiting],
                         "newest first")
        page = self.ok("case", "list", "--json", "--offset", "1", "--limit", "2").json
        self.assertEqual([c["id"] for c in page["items"]], everything[1:3], "second page")
        self.assertEqual(page["total"], 4, "total counts every match")
        self.assertEqual(page["offset"], 1, "offset echoed")
        self.assertEqual(page["limit"], 2, "limit echoed")
        self.assertEqual(self.ids("--offset", "4"), [], "past the end")
        r = self.ct("case", "list", "--limit", "0")
        self.assertEqual(r.code, 2, r)
        self.assertIn("--limit takes 1 to 500", r.err, r)

    def test_list_table_output(self):
        lines = self.ok("case", "list", "--stage", "investigation").out.splitlines()
        self.assertEqual(lines[0].split(), ["ID", "STAGE", "STATUS", "DUE", "MATTER", "APPLICANT"],
                         "header: %r" % lines)
        self.assertEqual(len(lines), 3, "header, one row, count: %r" % lines)
        decision_due = self.show(self.accepted)["deadlines"]["decision"]["date"]
        self.assertEqual(lines[1].split(),
                         [self.accepted, "审查", "open", decision_due, "spjy-xk", "乙食品商行"],
                         "row: %r" % lines)
        self.assertEqual(lines[2], "1 of 1 shown", "count line: %r" % lines)


class CaseShowTest(FixedDateCase):
    def decided_case(self):
        case = self.approved_case()
        self.decide_at(case, "2026-10-15T10:00:00+08:00")
        return case

    def test_show_deadlines_json(self):
        case = self.decided_case()
        d = self.show(case)["deadlines"]
        # Received Monday 09-21: 5 working days are 09-22, 09-23, 09-24,
        # 09-28 and 09-29 (09-25..27 are 中秋节).
        self.assertEqual(d["acceptance"]["date"], "2026-09-29", "acceptance due")
        self.assertEqual(d["acceptance"]["state"], "met", "accepted 09-29")
        # Accepted 09-29: 09-30 is day 1, 10-01..07 rest (国庆节), 10-08 is
        # day 2, Saturday 10-10 (调休) day 4, and 5 weeks later 11-02 is
        # day 20. The promised 10 days end on 10-19.
        self.assertEqual(d["decision"]["date"], "2026-11-02", "statutory decision due")
        self.assertEqual(d["decision"]["state"], "met", "decided 10-15")
        self.assertEqual(d["decision"]["met_on"], "2026-10-15", "decision day")
        promised = d["decision"]["promised"]
        self.assertEqual(promised["date"], "2026-10-19", "promised decision due")
        self.assertEqual(promised["basis"], "promised", "promised basis")
        self.assertEqual(promised["value"], 10, "promised working days")
        self.assertIs(promised["warning"], False, "decided before the promise ran out")
        # Decided Thursday 10-15: 10-16 is day 1, 10-29 is day 10.
        self.assertEqual(d["delivery"]["date"], "2026-10-29", "delivery due")
        self.assertEqual(d["delivery"]["state"], "overdue", "never served")
        for name in ("acceptance", "decision", "delivery"):
            self.assertIs(d[name]["provisional"], False, "%s on a published year" % name)
            self.assertEqual(d[name]["basis"], "statutory", "%s basis" % name)
            self.assertEqual(d[name]["unit"], "working_days", "%s unit" % name)
        self.assertNotIn("promised", d["acceptance"], "no promise beside acceptance")

    def test_show_text_output(self):
        case = self.decided_case()
        out = self.ok("case", "show", case).out
        lines = out.splitlines()
        self.assertEqual(lines[0].split(), ["案件", case, "食品经营许可", "某某餐饮管理有限公司"],
                         "title line: %r" % out)
        self.assertEqual(lines[1].split()[:5], ["阶段", "送达", "(service)", "状态", "granted"],
                         "stage line: %r" % out)
        self.assertIn("期限 acceptance 2026-09-29  met", out, out)
        self.assertIn("期限 decision   2026-11-02  met", out, out)
        self.assertIn("期限 delivery   2026-10-29  overdue", out, out)
        self.assertRegex(out, r"\n +\d+  2026-10-15T10:00:00\+08:00  decision +zhang\.head\n",
                         "the decision at its event time")
        self.assertIn("问题 overdue-delivery", out, out)

    def test_show_unknown_case(self):
        r = self.ct("case", "show", "2026-999999")
        self.assertEqual(r.code, 2, r)
        self.assertIn("case '2026-999999' not found", r.err, r)


class ConfirmationTest(FixedDateCase):
    """gs-rd (工伤认定) is a confirmation: 60 calendar days to decide,
    no acceptance or delivery limit, no deemed acceptance."""

    matter = "gs-rd"

    def test_confirmation_never_deemed_accepted(self):
        case = self.new_case(received=RECEIVED, materials="sqb,ldgx")
        self.assertNotIn("deemed-accepted", self.codes(case, open_only=False),
                         "unanswered since 2026-09-21")
        self.accept(case, offset("2026-10-09"))
        codes = self.codes(case, open_only=False)
        self.assertNotIn("deemed-accepted", codes, "accepted after 5 working days")
        self.assertNotIn("missing-time-limit-notice", codes, "a licence rule")

    def test_confirmation_uses_own_limits(self):
        case = self.new_case(received=RECEIVED, materials="sqb,ldgx")
        self.accept(case, offset("2026-10-09"))
        d = self.show(case)["deadlines"]
        # 60 calendar days from 10-09: 22 left in October, 30 in
        # November, so Tuesday 12-08, a working day.
        self.assertEqual(d["decision"]["date"], "2026-12-08", "decision due")
        self.assertEqual(d["decision"]["unit"], "calendar_days", "decision unit")
        self.assertEqual(d["decision"]["value"], 60, "decision limit")
        self.assertNotIn("promised", d["decision"], "gs-rd promises nothing")
        self.assertNotIn("acceptance", d, "gs-rd has no acceptance limit: %r" % d)


class CorrectionTest(FixedDateCase):
    def test_correction_supersedes_record(self):
        case = self.new_case()
        seq = self.receipt(case)["seq"]
        original = self.record_fields(seq)
        fixed = dict(original)
        fixed["received"] = [dict(original["received"][0], copies=2)]
        fix = self.correct(seq, fixed, "wang.clerk", reason="份数记错")["seq"]
        records = {r["seq"]: r for r in self.show(case)["records"]}
        self.assertEqual(records[seq]["superseded_by"], fix, "the original names its correction")
        self.assertEqual(records[fix]["kind"], "correction", "the correction is in the timeline")
        self.assertEqual(records[fix]["supersedes"], seq, "the correction names the original")
        self.assertEqual(records[fix]["fields"]["reason"], "份数记错", "the reason is kept")
        self.assertEqual(records[fix]["fields"]["fields"]["received"][0]["copies"], 2,
                         "the new fields")
        self.assertEqual(self.record_fields(seq), original, "the original stays readable")
        text = self.ok("case", "show", case).out
        self.assertRegex(text, r"\n +%d  .* material-receipt +wang\.clerk \(superseded\)\n" % seq,
                         "text marks the original")

    def test_correction_keeps_document_number(self):
        case = self.new_case()
        receipt = self.accept(case)
        fields = self.record_fields(receipt["seq"])
        del fields["number"]
        fields["time_limit_clause"] = "本机关将自受理之日起十个工作日内作出决定。"
        self.correct(receipt["seq"], fields, "wang.clerk")
        records = {r["seq"]: r for r in self.show(case)["records"]}
        self.assertEqual(records[receipt["seq"]]["fields"]["number"], receipt["number"],
                         "the corrected notice keeps %s" % receipt["number"])
        self.assertEqual(self.ok("case", "list", "--json", "--q", receipt["number"])
                         .json["total"], 1, "still found by its number")

    def test_correction_cannot_change_number(self):
        case = self.new_case()
        receipt = self.accept(case)
        fields = self.record_fields(receipt["seq"])
        fields["number"] = "曹审批受〔2026〕99号"
        self.assert_rejected(
            ["record", "correct", receipt["seq"], "--reason", "改号",
             "--fields", self.fields_file(fields), "--as", "wang.clerk"],
            ["field 'number' is assigned by casetrail"], case)
        fields["number"] = receipt["number"]
        self.correct(receipt["seq"], fields, "wang.clerk", reason="重复原文号")
        self.assertEqual(self.show(case)["records"][1]["fields"]["number"], receipt["number"],
                         "repeating the number keeps it")

    def test_second_correction_supersedes_first(self):
        # Correcting a corrected record again chains: the new correction
        # supersedes the first, and the latest fields are in force.
        case = self.new_case()
        seq = self.receipt(case)["seq"]
        fields = self.record_fields(seq)
        first = self.correct(seq, dict(fields, receipt_date=day(-2)), "wang.clerk")["seq"]
        second = self.correct(seq, dict(fields, receipt_date=day(-3)), "wang.clerk")["seq"]
        records = {x["seq"]: x for x in self.show(case)["records"]}
        self.assertEqual(records[first]["superseded_by"], second, "first superseded")
        self.assertEqual(records[second]["supersedes"], first, "chain")
        self.assertEqual(records[seq]["fields"]["receipt_date"], day(-3),
                         "the latest correction is in force")

    def test_correction_corrected_again(self):
        # Naming the correction itself corrects the original record too.
        case = self.new_case()
        seq = self.receipt(case)["seq"]
        fields = self.record_fields(seq)
        first = self.correct(seq, dict(fields, receipt_date=day(-2)), "wang.clerk")["seq"]
        self.correct(first, dict(fields, receipt_date=day(-3)), "wang.clerk")
        records = {x["seq"]: x for x in self.show(case)["records"]}
        self.assertEqual(records[seq]["fields"]["receipt_date"], day(-3),
                         "the latest correction is in force")
        r = self.ct("rebuild")
        self.assertEqual(r.code, 0, r)

    def test_correction_checks_schema(self):
        case = self.new_case()
        seq = self.receipt(case)["seq"]
        fields = self.record_fields(seq)
        del fields["receipt_date"]
        self.assert_rejected(
            ["record", "correct", seq, "--reason", "删日期",
             "--fields", self.fields_file(fields), "--as", "wang.clerk"],
            ["field 'receipt_date' (接收日期) is missing"], case)


class EarlyEndTest(FixedDateCase):
    def assert_closed(self, case, status):
        shown = self.show(case)
        self.assertEqual(shown["stage"], "archive", "stage of a %s case" % status)
        self.assertEqual(shown["status"], status, "status")
        self.add(case, "note", {"text": "申请人来电询问。"}, "wang.clerk")
        self.add(case, "complaint", {"complainant": "张三", "content": "办理太慢。",
                                     "received_on": day(0)}, "wang.clerk")
        self.add_rejected(case, "supplement-notice", {
            "missing": ["bjt"], "notified_on": day(0),
            "signatures": [staff_sig("clerk", "wang.clerk"), seal_sig(0)],
        }, "wang.clerk", ["case %s is closed (%s)" % (case, status),
                          "only notes, complaints and corrections"], attach=1)

    def test_withdrawal_closes_case(self):
        case = self.new_case()
        seq = self.withdraw(case, day(0))["seq"]
        self.assert_closed(case, "withdrawn")
        fields = self.record_fields(seq)
        fields["reasons"] = "申请人决定迁址后重新申请。"
        self.correct(seq, fields, "wang.clerk")
        self.assertEqual(self.show(case)["status"], "withdrawn", "a correction keeps it closed")

    def test_termination_closes_case(self):
        case = self.new_case()
        self.accept(case)
        self.terminate(case)
        self.assert_closed(case, "terminated")

    def test_termination_before_acceptance(self):
        case = self.new_case()
        self.terminate(case)
        self.assertEqual(self.show(case)["status"], "terminated",
                         "termination belongs to stage acceptance, reached on receipt")

    def test_withdrawn_case_not_overdue(self):
        # Withdrawn on 09-22, before the acceptance limit ran out on 09-29.
        case = self.new_case(received=RECEIVED)
        self.withdraw(case, "2026-09-22", when="2026-09-22T10:00:00+08:00")
        listed = self.ok("case", "list", "--json", "--overdue").json["items"]
        self.assertEqual([c["id"] for c in listed], [], "a withdrawn case is not overdue")
        # Only the case file, due 30 days after 09-22 and never sealed.
        self.assertEqual(self.codes(case), ["late-archive"],
                         "no other open finding after the withdrawal")
        acceptance = self.show(case)["deadlines"].get("acceptance", {})
        self.assertNotEqual(acceptance.get("state"), "overdue",
                            "acceptance of a withdrawn case: %r" % acceptance)


class RefusalTest(FixedDateCase):
    def test_refusal_needs_competent_authority(self):
        case = self.new_case()
        fields = self.refusal_fields("not-competent")
        del fields["competent_authority"]
        self.add_rejected(case, "refusal", fields, "wang.clerk",
                          ["field 'competent_authority' (有权受理的行政机关) is missing"],
                          attach=1)
        fields = self.refusal_fields("no-licence-needed")
        fields["reasons"] = "申请事项依法不需要取得行政许可。"
        self.add(case, "refusal", fields, "wang.clerk", attach=1)
        self.assertEqual(self.show(case)["status"], "refused", "refused without the authority")

    def test_refusal_service_closes_case(self):
        case = self.new_case()
        self.add(case, "refusal", self.refusal_fields(), "wang.clerk", attach=1)
        shown = self.show(case)
        self.assertEqual((shown["stage"], shown["status"]), ("service", "refused"),
                         "after the refusal")
        self.assertNotIn("decision", shown["deadlines"], "no decision clock after a refusal")
        self.serve(case, "refusal")
        shown = self.show(case)
        self.assertEqual((shown["stage"], shown["status"]), ("archive", "refused"),
                         "after serving the refusal")
        self.assertEqual(self.codes(case), ["missing-record"], "only the address confirmation")
        self.assertEqual(self.one_finding(case, "missing-record")["key"],
                         "address-confirmation", "missing record")


class NumberTest(FixedDateCase):
    """Numbers are drawn in the year of the record's event, which is this
    year unless --at gives an earlier time."""

    def number(self, prefix, n, year=None):
        return "%s〔%d〕%d号" % (prefix, year or now_cst().year, n)

    def test_numbers_sequential_per_prefix(self):
        first, second = self.new_case(received=at(0, 0)), self.new_case(received=at(0, 0))
        self.assertEqual(self.supplement(first, ["bjt"], 0)["number"], self.number("曹审批补", 1),
                         "first supplement notice")
        self.assertEqual(self.accept(second, 0)["number"], self.number("曹审批受", 1),
                         "acceptance notices count apart from supplement notices")
        self.assertEqual(self.accept(first, 0)["number"], self.number("曹审批受", 2),
                         "second acceptance notice")
        self.assertIsNone(self.receipt(first, 0)["number"], "material receipts have no number")

    def test_numbers_follow_event_year(self):
        case = self.new_case(received="2025-12-29T09:00:00+08:00")
        receipt = self.add(case, "acceptance-notice", {
            "accepted_on": "2025-12-30", "time_limit_clause": "二十个工作日内作出决定。",
            "signatures": [staff_sig("clerk", "wang.clerk"), seal_sig(0)],
        }, "wang.clerk", attach=1, when="2025-12-30T10:00:00+08:00")
        self.assertEqual(receipt["number"], "曹审批受〔2025〕1号", "numbered in the event's year")
        self.assertEqual(self.accept(self.new_case(received=at(0, 0)), 0)["number"],
                         self.number("曹审批受", 1), "this year counts on its own")

    def test_numbers_never_reused(self):
        case = self.new_case(received=at(0, 0))
        self.assertEqual(self.accept(case, 0)["number"], self.number("曹审批受", 1),
                         "first number")
        other = self.new_case(received=at(0, 0))
        self.add_rejected(other, "acceptance-notice", {
            "signatures": [staff_sig("clerk", "wang.clerk"), seal_sig(0)],
        }, "wang.clerk", ["field 'accepted_on' (受理日期) is missing"], attach=1)
        rebuild = self.ct("rebuild")
        self.assertEqual(rebuild.code, 0, rebuild)
        self.assertEqual(self.accept(other, 0)["number"], self.number("曹审批受", 2),
                         "after a rejection and a rebuild")


class ImportTest(FixedDateCase):
    def write_lines(self, lines):
        path = os.path.join(self.tmp, "history.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for line in lines:
                f.write(line if isinstance(line, str) else json.dumps(line, ensure_ascii=False))
                f.write("\n")
        return path

    def case_line(self, applicant):
        return {"op": "case", "matter": "spjy-xk", "applicant": applicant,
                "applicant_id": "91320100DDDDDDDD4A", "received": "2026-03-02T09:30:00+08:00",
                "contact": "13900000001", "address": "南京市鼓楼区中央路1号",
                "materials": ["sqs", "yyzz"], "as": "wang.clerk"}

    def note_line(self, case, text):
        return {"op": "record", "case": case, "kind": "note", "at": "2026-03-03T10:00:00+08:00",
                "as": "wang.clerk", "fields": {"text": text}}

    def test_import_with_case_references(self):
        path = self.write_lines([
            self.case_line("丁餐饮店"),
            "",
            self.case_line("戊茶社"),
            self.note_line("$1", "丁餐饮店补交了营业执照。"),
            self.note_line("$3", "戊茶社来电。"),
        ])
        r = self.ct("import", path)
        self.assertEqual(r.code, 0, r)
        report = r.json
        self.assertEqual((report["lines"], report["imported"], report["failed"]), (5, 4, 0),
                         "report: %r" % r)
        first, second = report["cases"]["1"], report["cases"]["3"]
        records = self.show(first)["records"]
        self.assertEqual([x["kind"] for x in records], ["application", "note"], "case of line 1")
        self.assertEqual(records[1]["happened"], "2026-03-03T10:00:00+08:00", "the line's at")
        self.assertEqual(records[1]["actor"], "wang.clerk", "the line's as")
        self.assertEqual(self.show(second)["records"][1]["fields"]["text"], "戊茶社来电。",
                         "case of line 3")
        self.assertEqual(self.show(first)["received"], "2026-03-02T09:30:00+08:00", "received")

    def test_import_failed_line_stores_nothing(self):
        bad_record = self.note_line("$1", "x")
        bad_record["fields"]["extra"] = "y"
        bad_case = self.case_line("己公司")
        bad_case["matter"] = "no-such-matter"
        path = self.write_lines([
            self.case_line("丁餐饮店"),
            bad_record,
            "{not json",
            bad_case,
            self.note_line("$4", "references the failed case line"),
            self.note_line("$1", "丁餐饮店补交了营业执照。"),
        ])
        size = self.log_size()
        r = self.ct("import", path)
        self.assertEqual(r.code, 2, r)
        self.assertEqual((r.json["lines"], r.json["imported"], r.json["failed"]), (6, 2, 4),
                         "report: %r" % r)
        self.assertEqual(list(r.json["cases"]), ["1"], "only line 1 opened a case: %r" % r)
        for needle in ("line 2: field 'extra' is not a field of kind 'note'",
                       "line 3: invalid JSON",
                       "line 4: matter 'no-such-matter' is not in the catalogue",
                       "line 5: case '$4' names line 4, which opened no case"):
            self.assertIn(needle, r.err, r)
        self.assertEqual(self.log_size(), size + 2, "one case and one note stored")
        records = self.show(r.json["cases"]["1"])["records"]
        self.assertEqual([x["kind"] for x in records], ["application", "note"],
                         "the failed note left nothing")
        self.assertEqual(self.ok("case", "list", "--json").json["total"], 1, "one case")


class RebuildTest(FixedDateCase):
    def test_rebuild_matches_untouched_store(self):
        self.full_case()
        self.approved_case()
        self.new_case(received=RECEIVED)
        r = self.ct("rebuild")
        self.assertEqual(r.code, 0, r)
        self.assertIs(r.json["match"], True, r)
        self.assertEqual(r.json["entries"], self.log_size(), "every entry replayed")

    def test_rebuild_detects_deleted_projection(self):
        case = self.full_case()
        db = self.path("casetrail.db")
        subprocess.run(["sqlite3", db, "DELETE FROM p_cases"], check=True)
        r = self.ct("rebuild")
        self.assertEqual(r.code, 1, r)
        self.assertIs(r.json["match"], False, r)
        rows = [d for d in r.json["differences"] if d["only_in"] == "rebuilt"]
        self.assertEqual(len(rows), 1, "the one case row is back: %r" % r)
        self.assertTrue(rows[0]["row"].startswith("case\t%s\t" % case), rows)
        again = self.ct("rebuild")
        self.assertEqual(again.code, 0, again)
        self.assertIs(again.json["match"], True, again)
        self.assertEqual(self.show(case)["status"], "granted", "the case is back")


if __name__ == "__main__":
    ctest.main()
