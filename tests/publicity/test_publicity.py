#!/usr/bin/env python3
"""双公示: the export of granted licences, the late-publicity finding and
the import of historical publicity files, through the command line and
GET /api/v1/publicity.

Cases are run from receipt to service with tests/lib/workflow.py. Their
applicants carry valid unified social credit codes or resident identity
card numbers, built here with the check characters of GB 32100 and
GB 11643. A real 行政许可 export of a provincial platform (1,000 rows of
credit codes) is imported when the shared data folder is present.
"""

import csv
import datetime
import hashlib
import io
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import apitest  # noqa: E402
import ctest  # noqa: E402
from workflow import (BASIS, WorkflowTest, at, day, seal_sig,  # noqa: E402
                      staff_sig)

REAL_FILE = os.path.join(ctest.SHARED, "data", "shuanggongshi",
                         "hq3009-cultural_companies", "dw_shl_sgsxzxk.csv")

CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def credit_code(first16):
    """Completes 16 characters with the GB 11714 and GB 32100 checks."""
    def org_value(c):
        return int(c) if c.isdigit() else ord(c) - 55
    body = first16[8:16]
    c9 = 11 - sum(org_value(c) * w for c, w in zip(body, [3, 7, 9, 10, 5, 8, 4, 2])) % 11
    if c9 == 10:
        code = first16 + "X"
    elif c9 == 11:
        code = first16 + "0"
    else:
        code = first16 + str(c9)
    total = sum(CODE_CHARS.index(c) * pow(3, i, 31) for i, c in enumerate(code))
    return code + CODE_CHARS[(31 - total % 31) % 31]


def resident_id(body17):
    """Completes 17 digits with the GB 11643 check character."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(body17, weights))
    return body17 + "10X98765432"[total % 11]


COMPANY_CODE = credit_code("9113020967123456")
AUTHORITY_CODE = credit_code("1113020900000001")
PERSON_ID = resident_id("13020919800101123")
HEADER = ("XK_XDR_MC,XK_XDR_LB,XK_XDR_SHXYM,XK_XDR_GSZC,XK_XDR_ZZJG,XK_XDR_SWDJ,"
          "XK_XDR_SYDW,XK_XDR_SHZZ,XK_FRDB,XK_FR_ZJLX,XK_FR_ZJHM,XK_XDR_ZJLX,"
          "XK_XDR_ZJHM,XK_XKWS,XK_WSH,XK_XKLB,XK_XKZS,XK_XKBH,XK_NR,XK_JDRQ,"
          "XK_YXQZ,XK_YXQZI,XK_XKJG,XK_XKJGDM,XK_ZT,XK_LYDW,XK_LYDWDM,BZ").split(",")


class PublicityTest(WorkflowTest):
    def new_case_of(self, applicant, applicant_id, received):
        r = self.ok("case", "new", "--matter", "spjy-xk", "--applicant", applicant,
                    "--applicant-id", applicant_id, "--received", received,
                    "--materials", "sqs,yyzz", "--channel", "window",
                    "--as", "wang.clerk")
        return r.out.strip()

    def decide_on(self, case, decided_on, result="grant"):
        f = {"result": result, "reasons": "经审查，申请符合法定条件、标准。", "basis": BASIS,
             "remedies": "如不服本决定，可在六十日内申请行政复议，或在六个月内提起行政诉讼。",
             "decided_on": decided_on,
             "signatures": [staff_sig("approver", "zhang.head"), seal_sig(0)]}
        if result != "deny":
            f["valid_from"] = decided_on
            f["valid_until"] = day(365 * 5)
        return self.add(case, "decision", f, "zhang.head", attach=1)

    def granted_case(self, applicant="某某餐饮管理有限公司", applicant_id=COMPANY_CODE,
                     received_days=-3, decided_days=0, result="grant", served=True):
        """Runs a case to its decision (decided decided_days from today)."""
        case = self.new_case_of(applicant, applicant_id, at(received_days, 9))
        self.receipt(case, received_days)
        self.accept(case, received_days)
        self.assign(case)
        self.rights(case, received_days)
        self.onsite(case)
        self.propose(case, result=result)
        self.step(case, "review", "zhao.rev")
        self.step(case, "approve", "zhang.head")
        dec = self.decide_on(case, day(decided_days), result)
        if served and result != "deny":
            self.address(case)
            self.licence(case)
            self.serve(case)
        return case, dec

    def export(self, *extra, frm=None, to=None, expect=0):
        out = os.path.join(self.tmp, "export-%d.csv" % self.nfields)
        self.nfields += 1
        r = self.ct("publicity", "export", "--from", frm or day(-60), "--to", to or day(0),
                    "--out", out, "--authority-code", AUTHORITY_CODE,
                    "--as", "wang.clerk", "--json", *extra)
        self.assertEqual(r.code, expect, r)
        if expect:
            return r, None
        with open(out, "rb") as f:
            data = f.read()
        return r.json, data

    def rows(self, data):
        text = data.decode("utf-8")
        return list(csv.DictReader(io.StringIO(text, newline="")))


class ExportTest(PublicityTest):
    def test_grant_row_values(self):
        case, dec = self.granted_case()
        meta, data = self.export()
        self.assertTrue(data.startswith(",".join(HEADER).encode() + b"\r\n"), data[:200])
        rows = self.rows(data)
        self.assertEqual(len(rows), 1, rows)
        row = rows[0]
        self.assertEqual(row["XK_XDR_MC"], "某某餐饮管理有限公司")
        self.assertEqual(row["XK_XDR_LB"], "法人及非法人组织")
        self.assertEqual(row["XK_XDR_SHXYM"], COMPANY_CODE)
        self.assertEqual(row["XK_XDR_ZJHM"], "")
        self.assertEqual(row["XK_WSH"], dec["number"])
        self.assertEqual(row["XK_XKWS"], "行政许可决定书")
        self.assertEqual(row["XK_XKBH"], "JY13201040012345")
        self.assertEqual(row["XK_XKZS"], "食品经营许可证")
        self.assertEqual(row["XK_NR"], "食品经营许可")
        self.assertEqual(row["XK_JDRQ"], day(0))
        self.assertEqual(row["XK_YXQZ"], day(0))
        self.assertEqual(row["XK_YXQZI"], day(365 * 5))
        with open(os.path.join(ctest.SRC, "data", "bureau.json"), encoding="utf-8") as f:
            bureau = json.load(f)
        self.assertEqual(row["XK_XKJG"], bureau["name"])
        self.assertEqual(row["XK_LYDW"], bureau["name"])
        self.assertEqual(row["XK_XKJGDM"], AUTHORITY_CODE)
        self.assertEqual(row["XK_ZT"], "1")
        self.assertEqual(meta["rows"], 1)
        self.assertEqual(meta["output"], "submission")
        self.assertEqual(meta["decisions"][0]["seq"], dec["seq"])
        self.assertEqual(meta["sha256"], "sha256:" + hashlib.sha256(data).hexdigest())

    def test_export_is_an_entry(self):
        self.granted_case()
        meta, _ = self.export()
        entry = self.ok("log", "show", str(meta["seq"])).json["entry"]
        self.assertEqual(entry["kind"], "publicity-export", entry)
        self.assertNotIn("case", entry)

    def test_corrected_validity_exported(self):
        case, dec = self.granted_case(served=False)
        fields = self.ok("record", "show", str(dec["seq"]),
                         "--as", "zhang.head").json["fields"]
        fields.pop("number", None)
        fields["valid_until"] = day(365 * 3)
        self.ok("record", "correct", str(dec["seq"]), "--reason", "有效期笔误",
                "--fields", self.fields_file(fields), "--as", "zhang.head")
        _, data = self.export()
        self.assertEqual(self.rows(data)[0]["XK_YXQZI"], day(365 * 3))

    def test_public_blanks_person_id(self):
        self.granted_case(applicant="张三", applicant_id=PERSON_ID)
        _, submission = self.export()
        row = self.rows(submission)[0]
        self.assertEqual(row["XK_XDR_LB"], "自然人")
        self.assertEqual(row["XK_XDR_ZJHM"], PERSON_ID)
        self.assertEqual(row["XK_XDR_ZJLX"], "身份证")
        meta, public = self.export("--public")
        self.assertEqual(meta["output"], "public")
        row = self.rows(public)[0]
        self.assertEqual(row["XK_XDR_MC"], "张三")
        self.assertEqual(row["XK_XDR_ZJHM"], "")
        self.assertEqual(row["XK_FR_ZJHM"], "")
        self.assertNotIn(PERSON_ID.encode(), public)

    def test_public_masks_ids_inside_values(self):
        wide = PERSON_ID.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789X"})
        old_id = "130209800101123"
        named, _ = self.granted_case(applicant="张三（身份证号%s）" % PERSON_ID,
                                     applicant_id=PERSON_ID, served=False)
        self.add(named, "licence-issue", {
            "licence_no": "JY" + PERSON_ID, "issued_on": day(0),
            "signatures": [staff_sig("clerk", "wang.clerk")]}, "wang.clerk")
        wide_named, _ = self.granted_case(applicant="李四（身份证号%s）" % wide,
                                          applicant_id=COMPANY_CODE, served=False)
        self.add(wide_named, "licence-issue", {
            "licence_no": "JY" + old_id, "issued_on": day(0),
            "signatures": [staff_sig("clerk", "wang.clerk")]}, "wang.clerk")
        _, submission = self.export()
        self.assertIn(("JY" + PERSON_ID).encode(), submission)
        _, public = self.export("--public")
        self.assertNotIn(PERSON_ID.encode(), public)
        self.assertNotIn(wide.encode(), public)
        self.assertNotIn(old_id.encode(), public)
        rows = {r["XK_XDR_MC"][:2]: r for r in self.rows(public)}
        self.assertEqual(rows["张三"]["XK_XDR_MC"], "张三（身份证号%s）" % ("*" * 18))
        self.assertEqual(rows["张三"]["XK_XKBH"], "JY" + "*" * 18)
        self.assertEqual(rows["李四"]["XK_XDR_MC"], "李四（身份证号%s）" % ("*" * 18))
        self.assertEqual(rows["李四"]["XK_XKBH"], "JY" + "*" * 15)
        self.assertEqual(rows["李四"]["XK_XDR_SHXYM"], COMPANY_CODE)

    def test_refusal_not_exported(self):
        self.granted_case(result="deny")
        meta, data = self.export()
        self.assertEqual(meta["rows"], 0)
        self.assertEqual(self.rows(data), [])

    def test_range_excludes_other_days(self):
        self.granted_case(received_days=-20, decided_days=-10)
        meta, _ = self.export(frm=day(-5), to=day(0))
        self.assertEqual(meta["rows"], 0)
        meta, _ = self.export(frm=day(-10), to=day(-10))
        self.assertEqual(meta["rows"], 1)

    def test_marked_decision_withheld_from_public(self):
        case, dec = self.granted_case()
        self.ok("user", "add", "sec.admin", "--role", "secadmin", "--unit", "信息科",
                "--as", "admin")
        self.ok("mark", "record", str(dec["seq"]), "commercial-secret",
                "--reason", "决定书载有申请人的工艺参数", "--as", "sec.admin")
        meta, public = self.export("--public")
        self.assertEqual(self.rows(public), [])
        self.assertEqual(meta["withheld"][0]["seq"], dec["seq"])
        meta, submission = self.export()
        self.assertEqual(len(self.rows(submission)), 1)

    def test_objection_blanks_content(self):
        case, _ = self.granted_case(served=False)
        self.add(case, "disclosure-objection", {
            "objector": "某某餐饮管理有限公司", "reason": "许可内容载有配方",
            "columns": ["XK_NR"], "received_on": day(0)}, "wang.clerk")
        _, public = self.export("--public")
        self.assertEqual(self.rows(public)[0]["XK_NR"], "")
        _, submission = self.export()
        self.assertEqual(self.rows(submission)[0]["XK_NR"], "食品经营许可")

    def test_role_without_action_rejected(self):
        self.granted_case()
        out = os.path.join(self.tmp, "x.csv")
        r = self.ct("publicity", "export", "--from", day(-5), "--to", day(0), "--out", out,
                    "--as", "li.handler")
        self.assertEqual(r.code, 2, r)
        self.assertIn("publicity-export", r.err)

    def test_bad_authority_code_rejected(self):
        self.granted_case()
        altered = AUTHORITY_CODE[:17] + ("1" if AUTHORITY_CODE[17] == "0" else "0")
        r = self.ct("publicity", "export", "--from", day(-5), "--to", day(0),
                    "--out", os.path.join(self.tmp, "x.csv"),
                    "--authority-code", altered, "--as", "wang.clerk")
        self.assertEqual(r.code, 2, r)
        self.assertIn("check character", r.err)


class LatePublicityTest(PublicityTest):
    def late_findings(self, case):
        return [f for f in self.findings(case) if f["code"] == "late-publicity"]

    def test_raised_without_export(self):
        case, dec = self.granted_case(received_days=-45, decided_days=-25)
        found = self.late_findings(case)
        self.assertEqual(len(found), 1, self.findings(case))
        self.assertEqual(found[0]["record"], dec["seq"])
        self.assertEqual(found[0]["responsible"], "li.handler")
        self.assertEqual(found[0]["superior"], "zhao.rev")
        self.assertIsNone(found[0]["cured"])

    def test_late_export_keeps_finding(self):
        case, _ = self.granted_case(received_days=-45, decided_days=-25)
        self.export()
        found = self.late_findings(case)
        self.assertEqual(len(found), 1, self.findings(case))
        self.assertIsNone(found[0]["cured"])

    def test_not_raised_when_exported_in_time(self):
        case, _ = self.granted_case(received_days=-6, decided_days=-2)
        self.export()
        self.assertEqual(self.late_findings(case), [])
        deadline = self.show(case)["deadlines"]["publicity"]
        self.assertEqual(deadline["state"], "met", deadline)

    def test_public_export_does_not_count(self):
        case, _ = self.granted_case(received_days=-6, decided_days=-2)
        self.export("--public")
        deadline = self.show(case)["deadlines"]["publicity"]
        self.assertEqual(deadline["state"], "open", deadline)

    def test_refusal_has_no_publicity_deadline(self):
        case, _ = self.granted_case(received_days=-45, decided_days=-25, result="deny")
        self.assertEqual(self.late_findings(case), [])
        self.assertNotIn("publicity", self.show(case)["deadlines"])

    def test_rebuild_keeps_findings(self):
        self.granted_case(received_days=-45, decided_days=-25)
        in_time, _ = self.granted_case(received_days=-6, decided_days=-2)
        self.export()
        r = self.ct("rebuild")
        self.assertEqual(r.code, 0, r)


class ImportTest(ctest.StoreTest):
    def setUp(self):
        super().setUp()
        self.ok("user", "add", "wang.clerk", "--role", "clerk", "--unit", "窗口",
                "--as", "admin")

    def write(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def imp(self, path, *extra):
        return self.ct("publicity", "import", path, "--json", "--as", "wang.clerk", *extra)

    def listed(self):
        return self.ok("publicity", "list", "--json", "--as", "wang.clerk").json

    def test_real_file(self):
        if not os.path.exists(REAL_FILE):
            self.skipTest("the shared data folder is absent")
        r = self.imp(REAL_FILE, "--check")
        self.assertEqual(r.code, 0, r)
        report = r.json
        self.assertEqual(report["rows"], 1000)
        self.assertEqual(report["errors_total"], 0, report["errors"][:3])
        self.assertEqual(len(report["duplicates"]), 1, report["duplicates"])
        self.assertEqual(report["stored"], 0)
        blank = {(w["row"], w["column"]) for w in report["warnings"]}
        self.assertIn((2, "XK_XDR_MC"), blank)
        self.assertIn((1001, "XK_JDRQ"), blank)
        self.assertEqual(self.listed()["total"], 0)

    def test_real_file_stored_once(self):
        if not os.path.exists(REAL_FILE):
            self.skipTest("the shared data folder is absent")
        r = self.imp(REAL_FILE)
        self.assertEqual(r.code, 0, r)
        self.assertEqual(r.json["stored"], 999)
        listed = self.listed()
        self.assertEqual(listed["total"], 999)
        codes = {i["fields"]["XK_XDR_SHXYM"] for i in listed["items"]}
        self.assertEqual(len(codes), 999)
        again = self.imp(REAL_FILE)
        self.assertEqual(again.code, 0, again)
        self.assertEqual(again.json["stored"], 0)
        self.assertEqual(again.json["already"], 999)
        self.assertEqual(self.listed()["total"], 999)

    def test_altered_check_character_rejected(self):
        bad = COMPANY_CODE[:17] + ("0" if COMPANY_CODE[17] != "0" else "1")
        path = self.write("bad.csv", ("xk_xdr_mc,uni_social_crd_cd\n甲公司,%s\n乙公司,%s\n"
                                      % (COMPANY_CODE, bad)).encode())
        r = self.imp(path)
        self.assertEqual(r.code, 2, r)
        self.assertIn("row 3", r.err)
        self.assertIn(bad, r.err)
        self.assertEqual(r.json["errors"][0]["row"], 3)
        self.assertEqual(self.listed()["total"], 0)

    def test_check_needs_no_account(self):
        path = self.write("check.csv", ("统一社会信用代码\n%s\n" % COMPANY_CODE).encode())
        r = self.ct("publicity", "import", path, "--check", "--json")
        self.assertEqual(r.code, 0, r)
        self.assertEqual(r.json["rows"], 1)
        self.assertTrue(r.json["checked_only"])
        r = self.ct("publicity", "import", path, "--check", "--json", "--as", "no.such")
        self.assertEqual(r.code, 0, r)
        r = self.ct("publicity", "import", path, "--json", "--as", "no.such")
        self.assertEqual(r.code, 2, r)
        self.assertEqual(self.listed()["total"], 0)

    def test_code_length_counts_characters(self):
        path = self.write("long.csv", "统一社会信用代码\n统一社会信用代码\n".encode())
        r = self.imp(path, "--check")
        self.assertEqual(r.code, 2, r)
        self.assertIn("has 8 characters, not 18", r.json["errors"][0]["message"])

    def test_altered_organization_code_rejected(self):
        code = list(COMPANY_CODE)
        code[16] = "0" if code[16] != "0" else "1"
        path = self.write("org.csv", ("统一社会信用代码\n%s\n" % "".join(code)).encode())
        r = self.imp(path)
        self.assertEqual(r.code, 2, r)
        self.assertIn("organization code", r.json["errors"][0]["message"])

    def test_chinese_header_bom_crlf_quotes(self):
        text = ("\ufeff行政相对人名称,统一社会信用代码,许可内容\r\n"
                "\"某某公司, 分公司\",%s,\"第一行\r\n第二行，含\"\"引号\"\"\"\r\n" % COMPANY_CODE)
        r = self.imp(self.write("cn.csv", text.encode("utf-8")))
        self.assertEqual(r.code, 0, r)
        self.assertEqual(r.json["stored"], 1)
        item = self.listed()["items"][0]
        self.assertEqual(item["fields"]["XK_XDR_MC"], "某某公司, 分公司")
        self.assertEqual(item["fields"]["XK_NR"], "第一行\r\n第二行，含\"引号\"")

    def test_unterminated_quote_rejected(self):
        path = self.write("q.csv", ("XK_XDR_MC,XK_XDR_SHXYM\n\"甲公司,%s\n" % COMPANY_CODE).encode())
        r = self.imp(path)
        self.assertEqual(r.code, 2, r)
        self.assertIn("row 2", r.err)
        self.assertIn("not closed", r.err)
        self.assertEqual(self.listed()["total"], 0)

    def test_wrong_column_count_rejected(self):
        path = self.write("n.csv", ("XK_XDR_MC,XK_XDR_SHXYM\n甲公司,%s\n乙公司\n" % COMPANY_CODE).encode())
        r = self.imp(path)
        self.assertEqual(r.code, 2, r)
        self.assertIn("row 3 has 1 fields", r.err)
        self.assertEqual(self.listed()["total"], 0)

    def test_invalid_utf8_rejected(self):
        data = "XK_XDR_MC,XK_XDR_SHXYM\n".encode() + "甲公司".encode("gbk") + (",%s\n" % COMPANY_CODE).encode()
        r = self.imp(self.write("gbk.csv", data))
        self.assertEqual(r.code, 2, r)
        self.assertIn("row 2, column 1", r.err)
        self.assertIn("UTF-8", r.err)
        self.assertEqual(self.listed()["total"], 0)

    def test_huge_field_rejected(self):
        data = ("XK_XDR_MC,XK_NR\n甲公司,%s\n" % ("x" * 70000)).encode()
        r = self.imp(self.write("big.csv", data))
        self.assertEqual(r.code, 2, r)
        self.assertIn("row 2, column 2", r.err)
        self.assertEqual(self.listed()["total"], 0)

    def test_text_after_quote_rejected(self):
        data = "XK_XDR_MC,XK_NR\n\"甲公司\"x,内容\n".encode()
        r = self.imp(self.write("after.csv", data))
        self.assertEqual(r.code, 2, r)
        self.assertIn("row 2, column 1", r.err)

    def test_header_without_identity_rejected(self):
        r = self.imp(self.write("h.csv", b"a,b\n1,2\n"))
        self.assertEqual(r.code, 2, r)
        self.assertIn("XK_XDR_MC", r.err)

    def test_thousand_rows_fast(self):
        lines = ["XK_XDR_MC,XK_XDR_SHXYM,XK_WSH"]
        for i in range(1000):
            code = credit_code("91130209%08d" % (10000000 + i))
            lines.append("公司%d,%s,曹审批许〔2020〕%d号" % (i, code, i))
        path = self.write("many.csv", ("\n".join(lines) + "\n").encode())
        start = datetime.datetime.now()
        r = self.imp(path)
        elapsed = (datetime.datetime.now() - start).total_seconds()
        self.assertEqual(r.code, 0, r)
        self.assertEqual(r.json["stored"], 1000)
        self.assertLess(elapsed, 30, "1,000 rows took %.1f s" % elapsed)
        self.assertEqual(self.listed()["total"], 1000)


class PublicityApiTest(PublicityTest):
    def test_get_csv(self):
        case, dec = self.granted_case(applicant="张三", applicant_id=PERSON_ID)
        token = self.ok("token", "create", "--user", "wang.clerk").out.strip().splitlines()[-1]
        handler = self.ok("token", "create", "--user", "li.handler").out.strip().splitlines()[-1]
        server = apitest.Server(self.dir)
        try:
            path = "/api/v1/publicity?from=%s&to=%s" % (day(-5), day(0))
            r = server.request("GET", path + "&public=1", token=token)
            self.assertEqual(r.status, 200, r)
            self.assertTrue(r.headers["Content-Type"].startswith("text/csv"), r.headers)
            rows = self.rows(r.body)
            self.assertEqual(len(rows), 1)
            self.assertEqual(rows[0]["XK_XDR_ZJHM"], "")
            self.assertEqual(rows[0]["XK_WSH"], dec["number"])
            r = server.request("GET", path, token=token)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(self.rows(r.body)[0]["XK_XDR_ZJHM"], PERSON_ID)
            before = server.request("GET", "/healthz").json["entries"]
            r = server.request("HEAD", path, token=token)
            self.assertEqual(r.status, 200, r)
            after = server.request("GET", "/healthz").json["entries"]
            self.assertEqual(after, before, "a HEAD records no export")
            r = server.request("GET", path, token=handler)
            self.assertEqual(r.status, 403, r)
            r = server.request("GET", "/api/v1/publicity?from=x&to=%s" % day(0), token=token)
            self.assertEqual(r.status, 400, r)
        finally:
            server.close()


if __name__ == "__main__":
    ctest.main()
