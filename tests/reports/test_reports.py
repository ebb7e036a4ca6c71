"""Evaluation reports, review score sheets and annual statistics through
the command line and the API: a period of real-looking cases rendered as
HTML, PDF and CSV, checked against the findings and case lists."""
import csv
import datetime
import html.parser
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import apitest  # noqa: E402
import mediafiles  # noqa: E402
from workflow import WorkflowTest, at, day, now_cst  # noqa: E402

FFMPEG = shutil.which("ffmpeg")
PDFTOTEXT = shutil.which("pdftotext")
PDFINFO = shutil.which("pdfinfo")
SCRIPT = "<script>alert(1)</script>某某有限公司"


class Page(html.parser.HTMLParser):
    """Collects the tags, the text and the SVG blocks of an HTML page."""

    def __init__(self, text):
        super().__init__()
        self.tags, self.data, self.svgs = [], [], []
        self.raw = text
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, _ in attrs:
            self.tags.append("@" + name)

    def handle_data(self, data):
        self.data.append(data)


class ReportTest(WorkflowTest):
    """A period with a case on time, one decided after an extension, one
    refused, one overdue, one with a late audio-visual file and one whose
    applicant name contains a script tag. The store is built once and copied
    for each test."""

    cache = None  # (store copy, case ids) once built

    @classmethod
    def tearDownClass(cls):
        if cls.cache:
            shutil.rmtree(os.path.dirname(cls.cache[0]), ignore_errors=True)
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        names = ("granted", "extended", "denied", "overdue", "scripted", "late_av")
        if ReportTest.cache:
            shutil.rmtree(self.dir)
            shutil.copytree(ReportTest.cache[0], self.dir)
            for name, value in zip(names, ReportTest.cache[1]):
                setattr(self, name, value)
        else:
            self.build()
            keep = tempfile.mkdtemp(prefix="casetrail-reports-")
            shutil.copytree(self.dir, os.path.join(keep, "store"))
            ReportTest.cache = (os.path.join(keep, "store"),
                                [getattr(self, name) for name in names])
        self.frm, self.to = day(-60), day(0)

    def build(self):
        self.ok("user", "add", "qin.sup", "--role", "supervisor", "--unit", "监督科",
                "--as", "admin")
        self.ok("user", "add", "lu.audit", "--role", "case-auditor", "--unit", "监督科",
                "--as", "admin")
        self.granted = self.full_case(-3)
        self.extended = self.extended_case()
        self.denied = self.denied_case()
        self.overdue = self.overdue_case()
        self.scripted = self.ok("case", "new", "--matter", "spjy-xk", "--applicant", SCRIPT,
                                "--applicant-id", "91320102MA1W8XYZ3K", "--received", at(-2, 9),
                                "--contact", "13912345678", "--address", "某地",
                                "--materials", "sqs,yyzz", "--as", "wang.clerk").out.strip()
        self.late_av = None
        if FFMPEG:
            self.late_av = self.new_case(received=at(-5, 9))
            path = os.path.join(self.tmp, "late.mp4")
            mediafiles.mp4(path, now_cst() - datetime.timedelta(hours=30), 2)
            self.ok("media", "ingest", path, "--case", self.late_av, "--device", "BWC-1",
                    "--as", "li.handler", "--device-copy-deleted", "--json")

    def extended_case(self):
        """Accepted 30 days ago, extended by 10 working days in time, decided today."""
        case = self.new_case(received=at(-30, 9))
        self.receipt(case, -30)
        self.accept(case, -30)
        self.assign(case)
        self.add(case, "extension", {
            "days": 10, "reason": "需要补充现场核查。", "approved_by": "zhang.head",
            "approved_on": day(-10), "notified_on": day(-10),
            "signatures": [{"role": "head", "person": "zhang.head", "method": "staff",
                            "at": at(-10)}]}, "zhang.head")
        self.rights(case, -30)
        self.onsite(case)
        self.propose(case)
        self.step(case, "review", "zhao.rev")
        self.step(case, "approve", "zhang.head")
        self.decide(case)
        return case

    def denied_case(self):
        """Refused after a hearing, which suspended the time limit."""
        case = self.new_case(received=at(-5, 9))
        self.receipt(case, -5)
        self.accept(case, -5)
        self.assign(case)
        self.rights(case, -5)
        self.hearing_records(case)
        self.onsite(case)
        self.propose(case, result="deny")
        self.step(case, "review", "zhao.rev")
        self.step(case, "approve", "zhang.head")
        self.decide(case, result="deny")
        return case

    def overdue_case(self):
        case = self.new_case(received=at(-50, 9))
        self.receipt(case, -50)
        self.accept(case, -50)
        self.assign(case)
        return case

    def report(self, fmt, *extra, expect=0, who="qin.sup"):
        out = os.path.join(self.tmp, "report." + fmt)
        r = self.ct("report", "--from", self.frm, "--to", self.to, "--format", fmt,
                    "--out", out, "--as", who, *extra)
        self.assertEqual(r.code, expect, r)
        return out if expect == 0 else r

    def csv_rows(self, path):
        with open(path, encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))

    def findings_of_period(self):
        cases = {c["id"] for c in self.ok("case", "list", "--json").json["items"]}
        items = self.ok("findings", "--json", "--limit", "500").json["items"]
        return [f for f in items if f.get("case") in cases]

    def test_csv_matches_findings_and_cases(self):
        rows = self.csv_rows(self.report("csv"))
        self.assertEqual(list(rows[0].keys()),
                         ["section", "section_title", "key", "label", "measure",
                          "measure_title", "value"])
        period = {r["key"]: r["value"] for r in rows if r["section"] == "period"}
        self.assertEqual((period["from"], period["to"]), (self.frm, self.to))
        self.assertIn("收件日期", period["basis"])
        by_code = {r["key"]: int(r["value"]) for r in rows
                   if r["section"] == "findings_by_code" and r["measure"] == "total"}
        expected = {}
        for f in self.findings_of_period():
            expected[f["code"]] = expected.get(f["code"], 0) + 1
        self.assertEqual(by_code, expected)
        self.assertIn("overdue-decision", by_code)
        if FFMPEG:
            self.assertIn("late-av-upload", by_code)
        handled = {r["key"]: int(r["value"]) for r in rows if r["section"] == "handled"}
        listed = self.ok("case", "list", "--json").json["items"]
        self.assertEqual(handled["received"], len(listed))
        self.assertEqual(handled["refused"], 1)
        self.assertEqual(handled["granted"], 2)
        cases = {r["key"] for r in rows if r["section"] == "cases"}
        self.assertEqual(cases, {c["id"] for c in listed})
        deadlines = {r["key"]: r["value"] for r in rows if r["section"] == "deadlines"}
        self.assertEqual(deadlines["overdue"], "1")
        self.assertEqual(deadlines["on_time"], "2")
        self.assertEqual(deadlines["on_time_extended"], "1")
        self.assertEqual(deadlines["with_suspension"], "1")
        state = {r["key"]: r["value"] for r in rows
                 if r["section"] == "cases" and r["measure"] == "decision_state"}
        self.assertEqual(state[self.extended], "按期")
        self.assertEqual(state[self.overdue], "超期未决")
        av = {r["key"]: r["value"] for r in rows if r["section"] == "av"}
        if FFMPEG:
            self.assertEqual(av["over_24h"], "1")
            self.assertEqual(av["late_av_upload"], "1")

    def test_corrected_decision_counts(self):
        [decision] = [r for r in self.show(self.granted)["records"] if r["kind"] == "decision"]
        fields = dict(decision["fields"], result="partial")
        fields.pop("number", None)
        r = self.ct("record", "correct", str(decision["seq"]), "--reason", "部分准予",
                    "--fields", self.fields_file(fields), "--as", "zhang.head")
        self.assertEqual(r.code, 0, r)
        rows = self.csv_rows(self.report("csv"))
        handled = {r["key"]: r["value"] for r in rows if r["section"] == "handled"}
        self.assertEqual(handled["partly_granted"], "1")
        self.assertEqual(handled["granted"], "1")
        result = {r["key"]: r["value"] for r in rows
                  if r["section"] == "cases" and r["measure"] == "result"}
        self.assertEqual(result[self.granted], "部分准予")

    def test_html_escapes_and_has_svg(self):
        with open(self.report("html"), encoding="utf-8") as f:
            text = f.read()
        page = Page(text)
        self.assertNotIn("script", page.tags)
        self.assertNotIn("<script>", text)
        self.assertIn(SCRIPT, "".join(page.data), "the name shows as text")
        self.assertIn('lang="zh-CN"', text)
        self.assertIn("default-src 'none'", text)
        self.assertNotIn("http://", text.replace('xmlns="http://www.w3.org/2000/svg"', ""))
        self.assertNotIn("https://", text)
        svgs = [text[i:text.index("</svg>", i) + 6]
                for i in range(len(text)) if text.startswith("<svg", i)]
        self.assertEqual(len(svgs), 3)
        for svg in svgs:
            root = ET.fromstring(svg)
            self.assertTrue(root.tag.endswith("svg"))
            self.assertFalse([e for e in root.iter() if e.tag.endswith("script")])
        self.assertTrue(any(e.tag.endswith("polyline") for e in ET.fromstring(svgs[2]).iter()))

    def test_svg_escapes_unit_labels(self):
        self.ok("user", "add", "xu.handler", "--role", "handler", "--unit", "<b>&科室",
                "--as", "admin")
        case = self.new_case(received=at(-1, 9))
        self.add(case, "assignment", {
            "handler": "xu.handler", "reviewer": "zhao.rev", "approver": "zhang.head",
            "signatures": [{"role": "approver", "person": "zhang.head", "method": "staff",
                            "at": at()}]}, "zhang.head")
        with open(self.report("html"), encoding="utf-8") as f:
            text = f.read()
        self.assertIn("&lt;b&gt;&amp;科室", text)
        self.assertNotIn("<b>&", text)
        start = text.index("<svg", text.index("收件数（按科室）"))
        svg = ET.fromstring(text[start:text.index("</svg>", start) + 6])
        labels = [e.text for e in svg.iter() if e.tag.endswith("text")]
        self.assertIn("<b>&科室", labels, "the unit's label, unescaped by the XML parser")

    @unittest.skipUnless(PDFTOTEXT and PDFINFO, "poppler-utils are not installed")
    def test_pdf_pages_and_text(self):
        path = self.report("pdf")
        info = subprocess.run([PDFINFO, path], capture_output=True, text=True, check=True).stdout
        pages = int([l for l in info.splitlines() if l.startswith("Pages:")][0].split()[1])
        self.assertGreaterEqual(pages, 2)
        self.assertIn("595.276 x 841.89", info, "A4")
        text = subprocess.run([PDFTOTEXT, path, "-"], capture_output=True, text=True,
                              check=True).stdout
        self.assertIn("考核报告", text)
        self.assertIn("第1页共%d页" % pages, text.replace(" ", ""))
        self.assertIn("overdue-decision", text)

    def test_bad_input_is_rejected(self):
        out = os.path.join(self.tmp, "x.csv")
        cases = [
            (["--from", "2026-13-01", "--to", self.to, "--format", "csv"], "not a date"),
            (["--from", self.to, "--to", self.frm, "--format", "csv"], "before"),
            (["--from", "2020-01-01", "--to", "2026-01-01", "--format", "csv"], "longer than"),
            (["--from", self.frm, "--to", self.to, "--format", "docx"], "unknown"),
            (["--from", self.frm, "--to", self.to, "--format", "csv", "--unit", "无此科"],
             "unit '无此科' is unknown"),
        ]
        for args, message in cases:
            r = self.ct("report", *args, "--out", out, "--as", "qin.sup")
            self.assertEqual(r.code, 2, r)
            self.assertIn(message, r.err)
        self.assertFalse(os.path.exists(out))

    def test_clerk_is_refused(self):
        r = self.report("csv", expect=2, who="wang.clerk")
        self.assertIn("report-read", r.err)
        r = self.ct("review", self.granted, "--as", "wang.clerk")
        self.assertEqual(r.code, 2, r)

    def test_csv_formulas_are_shown_as_text(self):
        names = ("=HYPERLINK(\"http://x\",\"y\")", "\t=1+1", "-2+3", "@SUM(A1)")
        for name in names:
            self.ok("case", "new", "--matter", "spjy-xk", "--applicant", name,
                    "--applicant-id", "91320102MA1W8XYZ3K", "--received", at(-1, 9),
                    "--contact", "13912345678", "--address", "某地",
                    "--materials", "sqs,yyzz", "--as", "wang.clerk")
        rows = self.csv_rows(self.report("csv"))
        shown = {r["value"] for r in rows
                 if r["section"] == "cases" and r["measure"] == "applicant"}
        for name in names:
            self.assertIn("'" + name, shown)

    def test_findings_of_no_case(self):
        # Five refused commands in ten minutes raise unauthorized-access,
        # a finding of the bureau rather than of a case.
        for _ in range(5):
            self.report("csv", expect=2, who="wang.clerk")
        listed = [f for f in self.ok("findings", "--json", "--limit", "500").json["items"]
                  if not f.get("case")]
        self.assertEqual([f["code"] for f in listed], ["unauthorized-access"])
        rows = self.csv_rows(self.report("csv"))
        no_case = {(r["key"], r["measure"]): r["value"] for r in rows
                   if r["section"] == "findings_no_case"}
        self.assertEqual(no_case[("unauthorized-access", "total")], "1")
        self.assertEqual(no_case[("unauthorized-access", "open")], "1")
        by_code = {r["key"] for r in rows if r["section"] == "findings_by_code"}
        self.assertNotIn("unauthorized-access", by_code)
        # The clerk's unit has it; another unit's report does not.
        rows = self.csv_rows(self.report("csv", "--unit", "审批一科"))
        self.assertFalse([r for r in rows if r["section"] == "findings_no_case"])
        page = open(self.report("html"), encoding="utf-8").read()
        self.assertIn("不属于单个案件的发现问题", page)
        self.assertIn("unauthorized-access", page)

    def test_unit_filter(self):
        rows = self.csv_rows(self.report("csv", "--unit", "审批一科"))
        units = {r["value"] for r in rows if r["section"] == "cases" and r["measure"] == "unit"}
        self.assertEqual(units, {"审批一科"})

    def complete_case(self):
        """Runs a licence case with every required material, and seals it."""
        case = self.new_case(received=at(-3, 9), materials="sqs,yyzz,bjt,glzd,aqry")
        self.receipt(case, -3)
        self.accept(case, -3)
        self.assign(case)
        self.rights(case, -3)
        self.onsite(case)
        self.propose(case)
        self.step(case, "review", "zhao.rev")
        self.step(case, "approve", "zhang.head")
        self.decide(case)
        self.address(case)
        self.licence(case)
        self.serve(case)
        return case

    def test_review_scores(self):
        case = self.complete_case()
        before = self.ok("review", case, "--json", "--as", "lu.audit").json
        missing = {i["code"]: i["points"] for i in before["items"] if i["state"] == "missing"}
        self.assertEqual(list(missing), ["contents"], "only the case file is not sealed")
        self.assertEqual(before["total"], before["max"] - missing["contents"])
        self.ok("user", "add", "chen.arch", "--role", "archivist", "--unit", "档案室",
                "--as", "admin")
        self.ok("user", "clearance", "chen.arch", "sensitive-personal,commercial-secret",
                "--as", "admin")
        self.ok("archive", case, "--out", os.path.join(self.tmp, "case.tar"),
                "--as", "chen.arch")
        full = self.ok("review", case, "--json", "--as", "lu.audit").json
        self.assertEqual(full["total"], full["max"])
        self.assertEqual(full["max"], 100)
        self.assertEqual(full["vetoed"], [])
        self.assertEqual(full["grade"], "优秀")
        self.assertIsNotNone(full["sealed"])
        # The granted case of setUp lacks three required materials.
        partial = self.ok("review", self.granted, "--json", "--as", "lu.audit").json
        lost = {i["code"] for i in partial["items"] if i["state"] == "missing"}
        self.assertEqual(lost, {"evidence", "contents"})
        self.assertEqual(partial["total"], 100 - 15 - 5)
        overdue = self.ok("review", self.overdue, "--json", "--as", "qin.sup").json
        self.assertIn("dates", overdue["vetoed"])
        self.assertEqual(overdue["grade"], "不合格")
        dates = [i for i in overdue["items"] if i["code"] == "dates"][0]
        self.assertEqual(dates["score"], 0)
        self.assertIn("超过法定期限", dates["reason"])
        lost = sum(i["points"] for i in overdue["items"] if i["state"] == "missing")
        self.assertEqual(overdue["total"], overdue["max"] - lost)

    def test_broken_standard_rejected(self):
        data = os.path.join(self.tmp, "data")
        shutil.copytree(os.path.join(os.environ.get("CASETRAIL_SRC", "."), "data"), data)
        path = os.path.join(data, "review-standard.json")
        with open(path, encoding="utf-8") as f:
            standard = json.load(f)
        standard["items"][2]["check"] = "no-such-check"
        with open(path, "w", encoding="utf-8") as f:
            json.dump(standard, f, ensure_ascii=False)
        r = self.ct("review", self.granted, "--data", data, "--as", "qin.sup")
        self.assertEqual(r.code, 2, r)
        self.assertIn("unknown check 'no-such-check'", r.err)

    def test_annual_totals(self):
        out = os.path.join(self.tmp, "annual.csv")
        year = now_cst().year
        self.ok("report", "annual", "--year", str(year), "--out", out, "--as", "zhang.head")
        rows = self.csv_rows(out)
        total = rows[-1]
        self.assertEqual(total["matter"], "合计")
        for column in ("received", "accepted", "granted", "not_granted", "decided_on_time",
                       "decided_overdue", "suspensions", "fees"):
            self.assertEqual(int(total[column]), sum(int(r[column]) for r in rows[:-1]),
                             column)
        self.assertEqual(total["fees"], "0")
        if day(-5).startswith(str(year)):  # the refused case's day of receipt
            self.assertEqual(int(total["hearings"]), 1)
            self.assertEqual(int(total["suspensions"]), 1)
        listed = self.ok("case", "list", "--json").json["items"]
        this_year = [c for c in listed if c["received"].startswith(str(year))]
        self.assertEqual(int(total["received"]), len(this_year))
        r = self.ct("report", "annual", "--year", "1999", "--out", out, "--as", "zhang.head")
        self.assertEqual(r.code, 2, r)
        self.assertIn("year '1999' is out of range", r.err)
        r = self.ct("report", "annual", "--year", str(year), "--format", "pdf", "--out", out,
                    "--as", "zhang.head")
        self.assertEqual(r.code, 2, r)
        self.assertIn("CSV only", r.err)


class ReviewRulesTest(WorkflowTest):
    """Score sheet vetoes and annual counts that depend on the legal ground:
    only a late decision and a decision signed without authority veto, and
    a refusal after deemed acceptance leaves the case accepted."""

    def setUp(self):
        super().setUp()
        self.ok("user", "add", "lu.audit", "--role", "case-auditor", "--unit", "监督科",
                "--as", "admin")

    def item(self, sheet, code):
        [found] = [i for i in sheet["items"] if i["code"] == code]
        return found

    def approved(self, received_days):
        case = self.new_case(received=at(received_days, 9))
        self.receipt(case, received_days)
        self.accept(case, received_days)
        self.assign(case)
        self.rights(case, received_days)
        self.onsite(case)
        self.propose(case)
        return case

    def test_late_delivery_loses_points_without_veto(self):
        # Decided 20 days ago, within its limit; the licence is served
        # today, after the 10 working days of delivery.
        case = self.approved(-30)
        self.step(case, "review", "zhao.rev")
        self.step(case, "approve", "zhang.head")
        fields = {"result": "grant", "reasons": "经审查，申请符合法定条件、标准。",
                  "basis": [{"law": "xzxkf", "version": "2019-04-23", "article": 38,
                             "paragraph": 1}],
                  "remedies": "如不服本决定，可在收到本决定书之日起六十日内向曹阳区人民政府申请行政复议，"
                              "或在六个月内向曹阳区人民法院提起行政诉讼。",
                  "valid_from": day(-20), "valid_until": day(365 * 5),
                  "signatures": [{"role": "approver", "person": "zhang.head", "method": "staff",
                                  "at": at(-20)},
                                 {"role": "seal", "person": "曹县行政审批局", "method": "seal",
                                  "attachment": 0, "at": at(-20)}]}
        self.add(case, "decision", fields, "zhang.head", attach=1, when=at(-20))
        self.address(case)
        self.licence(case)
        self.serve(case)
        d = self.show(case)["deadlines"]
        self.assertEqual(d["decision"]["state"], "met", d)
        self.assertEqual(d["delivery"]["state"], "late", d)
        sheet = self.ok("review", case, "--json", "--as", "lu.audit").json
        dates = self.item(sheet, "dates")
        self.assertEqual(dates["state"], "missing")
        self.assertEqual(dates["score"], 0)
        self.assertIn("送达", dates["reason"])
        self.assertNotIn("dates", sheet["vetoed"])
        lost = sum(i["points"] for i in sheet["items"] if i["state"] == "missing")
        self.assertEqual(sheet["total"], sheet["max"] - lost)

    def test_rejected_self_approval_no_veto(self):
        case = self.approved(-3)
        r = self.ct("record", "add", "--case", case, "--kind", "approval-step",
                    "--fields", self.fields_file({
                        "step": "review", "opinion": "agree", "reasons": "同意。",
                        "signatures": [{"role": "reviewer", "person": "li.handler",
                                        "method": "staff", "at": at()}]}),
                    "--as", "li.handler")
        self.assertEqual(r.code, 2, r)
        self.step(case, "review", "zhao.rev")
        self.step(case, "approve", "zhang.head")
        self.decide(case)
        sheet = self.ok("review", case, "--json", "--as", "lu.audit").json
        self.assertEqual(self.item(sheet, "competence")["state"], "present",
                         "an authorised approver signed the decision")
        self.assertNotIn("competence", sheet["vetoed"])
        procedure = self.item(sheet, "procedure")
        self.assertEqual(procedure["state"], "missing")
        self.assertIn("self-approval-attempt", procedure["reason"])
        with_code = [i["code"] for i in sheet["items"]
                     if "self-approval-attempt" in i["reason"]]
        self.assertEqual(with_code, ["procedure"], "the attempt is counted once")

    def test_late_refusal_counts_as_accepted(self):
        # No response within 5 working days: accepted on receipt. The refusal
        # recorded 20 days later has no legal effect.
        received = at(-40, 9)
        if received[:4] != day(-20)[:4]:
            self.skipTest("receipt and refusal fall in different years")
        case = self.new_case(received=received)
        self.receipt(case, -40)
        self.add(case, "refusal", {
            "reason_type": "not-competent", "reasons": "申请事项不属于本机关职权范围。",
            "competent_authority": "唐山市市场监督管理局",
            "basis": [{"law": "xzxkf", "version": "2019-04-23", "article": 32}],
            "remedies": "如不服本决定，可在收到本决定书之日起六十日内向曹阳区人民政府申请行政复议，"
                        "或在六个月内向曹阳区人民法院提起行政诉讼。",
            "signatures": [{"role": "clerk", "person": "wang.clerk", "method": "staff",
                            "at": at(-20)},
                           {"role": "seal", "person": "曹县行政审批局", "method": "seal",
                            "attachment": 0, "at": at(-20)}],
        }, "wang.clerk", attach=1, when=at(-20))
        self.assertIn("overdue-decision", self.codes(case))
        out = os.path.join(self.tmp, "annual.csv")
        self.ok("report", "annual", "--year", received[:4], "--out", out, "--as", "zhang.head")
        with open(out, encoding="utf-8", newline="") as f:
            total = list(csv.DictReader(f))[-1]
        self.assertEqual(total["matter"], "合计")
        self.assertEqual(int(total["received"]), 1)
        self.assertEqual(int(total["accepted"]), 1)
        self.assertEqual(int(total["not_accepted"]), 0)
        self.assertEqual(int(total["deemed_accepted"]), 1)


class ReportApiTest(WorkflowTest):
    """The report, annual and review routes on a server over two cases."""

    def setUp(self):
        super().setUp()
        self.ok("user", "add", "qin.sup", "--role", "supervisor", "--unit", "监督科",
                "--as", "admin")
        self.granted = self.full_case(-3)
        self.ok("case", "new", "--matter", "spjy-xk", "--applicant", SCRIPT,
                "--applicant-id", "91320102MA1W8XYZ3K", "--received", at(-2, 9),
                "--contact", "13912345678", "--address", "某地", "--materials", "sqs,yyzz",
                "--as", "wang.clerk")
        self.sup = self.token("qin.sup")
        self.clerk = self.token("wang.clerk")
        self.server = apitest.Server(self.dir)
        self.query = "from=%s&to=%s" % (day(-30), day(0))

    def tearDown(self):
        try:
            self.server.close()
        finally:
            super().tearDown()

    def token(self, user):
        return self.ok("token", "create", "--user", user).out.strip().splitlines()[-1]

    def get(self, path, token):
        return self.server.request("GET", path, token=token)

    def text(self, r):
        return r.body.decode() if isinstance(r.body, bytes) else r.body

    def test_formats_and_types(self):
        for fmt, kind in (("html", "text/html"), ("csv", "text/csv"),
                          ("pdf", "application/pdf")):
            r = self.get("/api/v1/reports?%s&format=%s" % (self.query, fmt), self.sup)
            self.assertEqual(r.status, 200, r)
            self.assertIn(kind, r.headers.get("Content-Type", ""))
        r = self.get("/api/v1/reports?%s&format=csv" % self.query, self.sup)
        rows = list(csv.DictReader(io.StringIO(self.text(r))))
        handled = {x["key"]: x["value"] for x in rows if x["section"] == "handled"}
        self.assertEqual(handled["received"], "2")
        page = self.text(self.get("/api/v1/reports?%s&format=html" % self.query, self.sup))
        self.assertNotIn("<script>", page)
        self.assertIn("&lt;script&gt;", page)

    def test_bad_parameters(self):
        for query, mention in (("from=2026-02-30&to=2026-03-01", "not a date"),
                               (self.query + "&format=xls", "format"),
                               (self.query + "&unit=%E6%97%A0", "unknown"),
                               (self.query + "&color=red", "color")):
            r = self.get("/api/v1/reports?" + query, self.sup)
            self.assertEqual(r.status, 400, r)
            self.assertIn(mention, self.text(r))

    def test_clerk_refused(self):
        r = self.get("/api/v1/reports?" + self.query, self.clerk)
        self.assertEqual(r.status, 403, r)
        r = self.get("/api/v1/cases/%s/review" % self.granted, self.clerk)
        self.assertEqual(r.status, 403, r)

    def test_review_and_annual(self):
        r = self.get("/api/v1/cases/%s/review" % self.granted, self.sup)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["max"], 100)
        r = self.get("/api/v1/cases/2026-999999/review", self.sup)
        self.assertEqual(r.status, 404, r)
        r = self.get("/api/v1/reports/annual?year=%d" % now_cst().year, self.sup)
        self.assertEqual(r.status, 200, r)
        rows = list(csv.DictReader(io.StringIO(self.text(r))))
        self.assertEqual(rows[-1]["matter"], "合计")
        self.assertEqual(rows[-1]["received"], "2")
        r = self.get("/api/v1/reports/annual", self.sup)
        self.assertEqual(r.status, 400, r)


if __name__ == "__main__":
    unittest.main(verbosity=2)
