#!/usr/bin/env python3
"""The rule registry and the findings of 行政许可法 arts. 38, 47 and 48,
legal review, integrity and purges, each from a case of its own.

Every scenario expects exactly its finding among the codes added with the
registry (NEW_CODES) and then, where the rule allows, its cure. Fixed dates
are counted by hand on the official 2026 calendar: 09-25..27 (中秋节) and
10-01..07 (国庆节) rest, Sunday 09-20 and Saturday 10-10 are make-up
working days.
"""

import json
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import ctest  # noqa: E402
import workflow  # noqa: E402
from casecheck import FixedDateCase, cst_ms, offset  # noqa: E402
from workflow import at, day, party_sig, seal_sig, staff_sig  # noqa: E402

NEW_CODES = {"missing-rights-notice", "missing-legal-review", "missing-remedies",
             "missing-hearing-notice", "late-hearing", "deemed-renewal",
             "integrity-failure", "purge-without-rule", "witness-behind"}

FULL_REMEDIES = ("如不服本决定，可在收到本决定书之日起六十日内向曹阳区人民政府申请行政复议，"
                 "或在六个月内向曹阳区人民法院提起行政诉讼。")


class RegistryTest(ctest.StoreTest):
    """The registry as listed, and docs/findings.md's table beside it."""

    def rules(self):
        return self.ok("findings", "--rules", "--json").json

    def test_rules_listed_with_statements(self):
        rules = self.rules()
        self.assertEqual(rules["total"], len(rules["items"]))
        for r in rules["items"]:
            self.assertIn(r["severity"], ("major", "minor"), r)
            self.assertIn(r["scope"], ("case", "store"), r)
            self.assertTrue(r["statement"]["zh"], r)
            self.assertTrue(r["statement"]["en"], r)
            self.assertTrue(r["responsible"], r)
            self.assertTrue(r["basis"], r)
            self.assertEqual(r["curable"], r["cure"] is not None, r)
            # Each statement cites the article it enforces.
            self.assertRegex(r["statement"]["en"], r"art\.|arts\.|standard", r)

    def test_new_codes_registered(self):
        codes = {r["code"] for r in self.rules()["items"]}
        self.assertLessEqual(NEW_CODES, codes)
        self.assertNotIn("deemed-renewed", codes)

    def test_deemed_renewal_keeps_old_name(self):
        [r] = [r for r in self.rules()["items"] if r["code"] == "deemed-renewal"]
        self.assertEqual(r["old_code"], "deemed-renewed")

    def test_docs_table_matches_registry(self):
        path = os.path.join(ctest.SRC, "docs", "findings.md")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        rows = re.findall(r"^\| `([a-z-]+)` \| (major|minor) \|", text, re.M)
        registry = [(r["code"], r["severity"]) for r in self.rules()["items"]]
        self.assertEqual(rows, registry, "docs/findings.md lists the codes of "
                         "'casetrail findings --rules' in its order")

    def test_registry_cites_checked_articles(self):
        rules = {r["code"]: r for r in self.rules()["items"]}
        notice = rules["missing-time-limit-notice"]
        self.assertEqual(notice["basis"], "全过程记录办法第六条")
        self.assertIn("除依法应当当场做出行政许可决定外，应书面告知申请人做出行政许可决定的时限",
                      notice["statement"]["zh"])
        officers = rules["too-few-officers"]["statement"]
        self.assertIn("应当指派两名以上工作人员进行核查（行政许可法第三十四条第三款）", officers["zh"])
        self.assertIn("有效执法证件（本局规定）", officers["zh"])
        remedies = rules["missing-remedies"]["statement"]["zh"]
        self.assertIn("（行政许可法第三十八条第二款）", remedies)
        self.assertIn("（本局规定）", remedies)
        self.assertIn("role sysadmin", rules["integrity-failure"]["responsible"])
        hearing = rules["late-hearing"]["statement"]["zh"]
        self.assertIn("在被告知听证权利之日起五日内提出听证申请的", hearing)

    def test_rules_text_output(self):
        out = self.ok("findings", "--rules").out
        self.assertIn("missing-remedies (major, 行政许可法第三十八条)", out)
        self.assertIn("cured by: not curable", out)


class NewFindingTest(FixedDateCase):
    def new_codes(self, case):
        return sorted(set(self.codes(case)) & NEW_CODES)

    def assert_only(self, case, code):
        self.assertEqual(self.new_codes(case), [code] if code else [],
                         json.dumps(self.findings(case), ensure_ascii=False))

    def assert_people(self, f, responsible, superior):
        self.assertEqual(f.get("responsible"), responsible, f)
        self.assertEqual(f.get("superior"), superior, f)
        self.assertTrue(f["rule"], f)

    def interested_party(self, case):
        return self.add(case, "interested-party-notice", {
            "party": "南京鑫源物业管理有限公司", "notified_on": "2026-09-30",
            "rights": ["陈述", "申辩"],
            "signatures": [staff_sig("handler", "li.handler"), seal_sig(0)],
        }, "li.handler", attach=1)

    def hearing_request(self, case, requested):
        return self.add(case, "hearing-request", {
            "requested_on": requested, "requester": "南京鑫源物业管理有限公司",
            "signatures": [party_sig("party", "王五")],
        }, "li.handler", attach=1)

    def hearing_notice(self, case, notified, hearing_at):
        return self.add(case, "hearing-notice", {
            "hearing_at": hearing_at, "place": "曹阳区行政审批局三楼听证室",
            "presiding": "qian.legal", "public": True,
            "notified": ["南京金陵小厨餐饮有限公司", "南京鑫源物业管理有限公司"],
            "notified_on": notified,
            "signatures": [staff_sig("handler", "li.handler"), seal_sig(0)],
        }, "li.handler", attach=1)

    def hearing_record(self, case, start, end):
        return self.add(case, "hearing-record", {
            "presiding": "qian.legal", "place": "曹阳区行政审批局三楼听证室",
            "start": start, "end": end,
            "participants": ["张三（申请人委托代理人）", "王五（利害关系人）"],
            "content": "利害关系人：担心油烟扰民。\n申请人：已安装油烟净化设施。",
            "pages": 2, "confirmation": "以上笔录我已看过，与我所说相符",
            "av": [{"attachment": 1}],
            "signatures": [staff_sig("presiding", "qian.legal"),
                           party_sig("participant", "张三", 0, 2)],
        }, "qian.legal", attach=2)

    def catering_case(self):
        """A catering licence (spjy-xk, marked for hearings), accepted on
        Tue 2026-09-22 and assigned to li.handler."""
        case = self.new_case_as("南京金陵小厨餐饮有限公司", "91320104MA1NXQ2K5B",
                                received=workflow.at(offset("2026-09-21"), 9))
        self.receipt(case, offset("2026-09-21"))
        self.accept(case, offset("2026-09-22"))
        self.assign(case)
        return case


class RightsNoticeTest(NewFindingTest):
    def test_missing_rights_notice_raised_and_cured(self):
        case = self.catering_case()
        self.interested_party(case)
        self.onsite(case)
        proposal = self.propose(case)
        f = self.one_finding(case, "missing-rights-notice")
        self.assertEqual(f["record"], proposal["seq"])
        self.assertEqual(f["detected"], proposal["ts"])
        self.assertEqual(f["detail"], "interested party notified")
        self.assert_people(f, "li.handler", "zhao.rev")
        self.assert_only(case, "missing-rights-notice")
        # A notice that waives or denies the hearing tells of no right.
        self.add(case, "rights-notice", {
            "rights": ["陈述", "申辩", "不听证"], "told_on": workflow.day(0),
            "method": "written",
            "signatures": [workflow.staff_sig("handler", "li.handler"),
                           workflow.party_sig("party", "张三")],
        }, "li.handler", attach=1)
        f = self.one_finding(case, "missing-rights-notice")
        self.assertIsNone(f["cured"], "不听证 tells of no hearing")
        rights = self.rights(case, 0)
        f = self.one_finding(case, "missing-rights-notice")
        self.assertEqual(f["cured"], rights["ts"], "a notice before the decision cures it")
        self.assert_only(case, None)

    def test_statement_quotes_art47(self):
        [r] = [r for r in self.ok("findings", "--rules", "--json").json["items"]
               if r["code"] == "missing-rights-notice"]
        self.assertIn("行政许可直接涉及申请人与他人之间重大利益关系的，行政机关在作出行政许可决定前，"
                      "应当告知申请人、利害关系人享有要求听证的权利", r["statement"]["zh"])
        self.assertNotIn("重大公共利益", r["statement"]["zh"])

    def test_interested_party_needs_rights_notice(self):
        # 道路货物运输经营许可 is not marked for hearings, but a neighbour
        # was notified as an interested party.
        case = self.new_case_as("南京顺达物流有限公司", "91320115MA1XK7LP2D",
                                received=workflow.at(offset("2026-09-21"), 9),
                                matter="dlhy-xk")
        self.accept(case, offset("2026-09-22"))
        self.assign(case)
        self.interested_party(case)
        self.propose(case)
        f = self.one_finding(case, "missing-rights-notice")
        self.assertEqual(f["detail"], "interested party notified")
        self.assert_only(case, "missing-rights-notice")

    def test_no_interested_party_no_finding(self):
        case = self.new_case_as("南京通达货运有限公司", "91320115MA1XK7LP3E",
                                received=workflow.at(offset("2026-09-21"), 9),
                                matter="dlhy-xk")
        self.accept(case, offset("2026-09-22"))
        self.assign(case)
        self.propose(case)
        self.assert_only(case, None)

    def test_rights_notice_with_hearing_right_suffices(self):
        case = self.catering_case()
        self.rights(case, offset("2026-09-22"))
        self.onsite(case)
        self.propose(case)
        self.assert_only(case, None)


class LegalReviewTest(NewFindingTest):
    """娱乐场所经营许可 (ylcs-xk) is on the legal review list."""

    def reviewed_and_decided(self):
        case = self.approved_case(matter="ylcs-xk")
        review = self.legal_review(case, "agree")
        decision = self.decide(case)
        return case, review, decision

    def test_agreeing_review_no_finding(self):
        case, _, _ = self.reviewed_and_decided()
        self.assert_only(case, None)

    def test_review_corrected_to_disagree(self):
        case, review, decision = self.reviewed_and_decided()
        fields = self.record_fields(review["seq"])
        fields["opinion"] = "disagree"
        fix = self.correct(review["seq"], fields, "qian.legal")
        f = self.one_finding(case, "missing-legal-review")
        self.assertEqual(f["record"], decision["seq"])
        self.assertEqual(f["detected"], fix["ts"])
        self.assertEqual(f["detail"], "the legal review disagrees")
        self.assert_people(f, "zhang.head", None)
        self.assert_only(case, "missing-legal-review")
        fields["opinion"] = "agree"
        again = self.correct(review["seq"], fields, "qian.legal")
        f = self.one_finding(case, "missing-legal-review")
        self.assertEqual(f["cured"], again["ts"])
        self.assert_only(case, None)


class RemediesTest(NewFindingTest):
    def refusal(self, case, remedies):
        f = self.refusal_fields()
        f["remedies"] = remedies
        return self.add(case, "refusal", f, "wang.clerk", attach=1)

    def test_refusal_without_lawsuit(self):
        case = self.new_case_as("南京福满楼餐饮管理有限公司", "91320106MA1P3RT68H")
        refusal = self.refusal(case, "如不服本决定，可以依法申请行政复议。")
        f = self.one_finding(case, "missing-remedies")
        self.assertEqual(f["record"], refusal["seq"])
        self.assertEqual(f["detail"], "no lawsuit")
        self.assert_people(f, "wang.clerk", "zhao.rev")
        self.assert_only(case, "missing-remedies")
        fields = self.record_fields(refusal["seq"])
        del fields["number"]
        fields["remedies"] = FULL_REMEDIES
        fix = self.correct(refusal["seq"], fields, "wang.clerk")
        self.assertEqual(self.one_finding(case, "missing-remedies")["cured"], fix["ts"])
        self.assert_only(case, None)

    def test_refusal_without_bodies(self):
        case = self.new_case_as("南京鼎香餐饮有限公司", "91320106MA1P3RT79J")
        self.refusal(case, "如不服本决定，可在六十日内申请行政复议，或在六个月内提起行政诉讼。")
        f = self.one_finding(case, "missing-remedies")
        self.assertEqual(f["detail"], "no reconsideration body")

    def test_refusal_with_full_remedies(self):
        case = self.new_case_as("南京和记餐饮有限公司", "91320106MA1P3RT80K")
        self.refusal(case, FULL_REMEDIES)
        self.assert_only(case, None)


class HearingTest(NewFindingTest):
    def test_hearing_without_notice(self):
        case = self.catering_case()
        self.rights(case, -6)
        self.hearing_request(case, day(-5))
        record = self.hearing_record(case, at(-1, 9), at(-1, 10))
        f = self.one_finding(case, "missing-hearing-notice")
        self.assertEqual(f["record"], record["seq"])
        self.assert_people(f, "li.handler", "zhao.rev")
        self.assert_only(case, "missing-hearing-notice")

    def test_hearing_in_time_no_finding(self):
        case = self.catering_case()
        self.rights(case, -12)
        self.hearing_request(case, day(-11))
        self.hearing_notice(case, day(-10), at(-1, 9))
        self.hearing_record(case, at(-1, 9), at(-1, 10))
        self.assert_only(case, None)

    def test_notice_less_than_seven_days(self):
        case = self.catering_case()
        self.rights(case, -6)
        self.hearing_request(case, day(-5))
        notice = self.hearing_notice(case, day(-3), at(-1, 9))
        f = self.one_finding(case, "late-hearing")
        self.assertEqual((f["key"], f["record"]), ("notice", notice["seq"]))
        self.assert_people(f, "li.handler", "zhao.rev")
        self.hearing_record(case, at(-1, 9), at(-1, 10))
        self.assert_only(case, "late-hearing")

    def test_hearing_held_late(self):
        # Requested Tue 2026-09-22: 20 working days end Tue 2026-10-27,
        # so the finding is detected at 00:00 CST on 10-28.
        case = self.catering_case()
        self.rights(case, offset("2026-09-22"))
        self.hearing_request(case, "2026-09-22")
        self.assertEqual(self.show(case)["deadlines"]["hearing"]["date"], "2026-10-27")
        f = self.one_finding(case, "late-hearing")
        self.assertEqual((f["key"], f["record"]), ("held", None))
        self.assertEqual(f["detected"], cst_ms("2026-10-28"))
        self.assert_people(f, "li.handler", "zhao.rev")
        self.assert_only(case, "late-hearing")
        self.hearing_notice(case, day(-10), at(-1, 9))
        record = self.hearing_record(case, at(-1, 9), at(-1, 10))
        f = self.one_finding(case, "late-hearing")
        self.assertEqual(f["cured"], record["ts"], "holding the hearing cures it")
        self.assert_only(case, None)


class IntegrityTest(NewFindingTest):
    def setUp(self):
        super().setUp()
        self.ok("user", "add", "ma.admin", "--role", "sysadmin", "--unit", "信息中心",
                "--superior", "zhang.head", "--as", "admin")

    def blob_file(self, hash_text):
        alg, digest = hash_text.split(":", 1)
        return self.path("blobs", alg, digest[:2], digest[2:4], digest)

    def store_findings(self, code):
        return self.ok("findings", "--code", code, "--json").json["items"]

    def test_missing_blob_raises_and_pass_cures(self):
        case = self.catering_case()
        receipt = self.receipt(case, offset("2026-09-21"))
        entry = self.ok("log", "show", receipt["seq"]).json["entry"]
        blob = entry["attachments"][0]["hash"]
        path = self.blob_file(blob)
        os.rename(path, path + ".away")
        r = self.ct("verify")
        self.assertEqual(r.code, 1, r)
        [f] = self.store_findings("integrity-failure")
        self.assertIsNone(f["case"])
        self.assertIn(blob, f["detail"])
        self.assert_people(f, "ma.admin", "zhang.head")
        self.assertIsNone(f["cured"])
        [gone] = self.store_findings("purge-without-rule")
        self.assertEqual(gone["key"], blob)
        self.assert_people(gone, "ma.admin", "zhang.head")
        # A second failed run adds no second finding.
        self.assertEqual(self.ct("verify").code, 1)
        self.assertEqual(len(self.store_findings("integrity-failure")), 1)
        self.assertEqual(len(self.store_findings("purge-without-rule")), 1)

        os.rename(path + ".away", path)
        self.assertEqual(self.ct("verify").code, 0)
        [f] = self.store_findings("integrity-failure")
        self.assertIsNotNone(f["cured"], "a passing run cures it")
        [gone] = self.store_findings("purge-without-rule")
        self.assertIsNone(gone["cured"], "not curable")
        size = self.ok("checkpoint", "--now", "--json").json["size"]
        self.assertEqual(self.ct("verify").code, 0)
        self.assertEqual(self.ok("checkpoint", "--now", "--json").json["size"], size,
                         "a pass with nothing to cure appends nothing")

    def test_rebuild_reproduces_integrity_findings(self):
        case = self.catering_case()
        receipt = self.receipt(case, offset("2026-09-21"))
        blob = self.ok("log", "show", receipt["seq"]).json["entry"]["attachments"][0]["hash"]
        path = self.blob_file(blob)
        os.rename(path, path + ".away")
        self.assertEqual(self.ct("verify").code, 1)
        os.rename(path + ".away", path)
        self.assertEqual(self.ct("verify").code, 0)
        r = self.ok("rebuild", "--json").json
        self.assertTrue(r["match"], r)


class PurgeTest(NewFindingTest):
    def segment(self, n, *extra):
        path = os.path.join(self.tmp, "seg-%d.bin" % n)
        with open(path, "wb") as f:
            f.write(b"window W1 segment %d" % n)
        [item] = self.ok("media", "ingest", path, "--type", "surveillance", "--device", "CAM1",
                         "--window", "W1", "--as", "wang.clerk", "--json",
                         *extra).json["items"]
        return item

    def purge(self, item, rule):
        """Purges through the ledger alone; returns the purge's seq."""
        r = subprocess.run([os.environ["CASETRAIL_PURGER"], self.dir, str(item["seq"]),
                            item["hash"], rule, "wang.clerk"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return int(r.stdout)

    def purges(self):
        return self.ok("findings", "--code", "purge-without-rule", "--json").json["items"]

    @unittest.skipUnless(os.environ.get("CASETRAIL_PURGER"), "the purger is not built")
    def test_purge_under_no_rule(self):
        seq = self.purge(self.segment(1), "manual-cleanup")
        [f] = self.purges()
        self.assertEqual(f["record"], seq)
        self.assertIn("no retention rule in force", f["detail"])
        self.assert_people(f, "wang.clerk", "zhao.rev")

    @unittest.skipUnless(os.environ.get("CASETRAIL_PURGER"), "the purger is not built")
    def test_purge_of_held_footage(self):
        item = self.segment(3)
        self.ok("retention", "hold", "--basis", "complaint", "--ref", "TS-2026-031",
                "--media", str(item["seq"]), "--reason", "投诉人称窗口人员态度恶劣，保全录像。",
                "--as", "zhao.rev")
        self.purge(item, "surveillance-60d")
        [f] = self.purges()
        self.assertIn("the file is under a hold", f["detail"])

    @unittest.skipUnless(os.environ.get("CASETRAIL_PURGER"), "the purger is not built")
    def test_purge_of_case_evidence(self):
        case = self.catering_case()
        item = self.segment(4, "--case", case)
        self.purge(item, "surveillance-60d")
        [f] = self.purges()
        self.assertIn("the file is evidence of a case", f["detail"])

    @unittest.skipUnless(os.environ.get("CASETRAIL_PURGER"), "the purger is not built")
    def test_purge_before_period_ended(self):
        self.purge(self.segment(2), "surveillance-60d")
        [f] = self.purges()
        self.assertIn("retention period had not ended", f["detail"])


if __name__ == "__main__":
    ctest.main()
