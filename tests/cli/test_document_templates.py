#!/usr/bin/env python3
"""The document templates of data/documents/ printed from full cases.

Builds a licensing case with a record of every kind the templates print,
a refused application and a denied one. Each template is rendered with
`casetrail document render` and its PDF read with pdftotext. The facts of
the records, the statutory formulas and the remedies must be there, and
no enum code, unfilled placeholder or blank may be.
"""

import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))

import workflow  # noqa: E402
from workflow import OFFICERS, at, day, party_sig, seal_sig, staff_sig  # noqa: E402

REMEDIES = "六十日内向曹阳区人民政府申请行政复议"
TEMPLATES = os.path.join(workflow.ctest.SRC, "data", "documents")

# Words each document must print, from its record's fields or its law.
EXPECTED = {
    "material-receipt": ["申请材料接收凭证", "原件", "不表示申请已被受理", "五个工作日"],
    "supplement-notice": ["补正材料通知书", "曹审批补〔", "第三十二条第一款第（四）项",
                          "一次性告知", "提交全部补正材料"],
    "acceptance-notice": ["受理通知书", "曹审批受〔", "二十个工作日", "十个工作日",
                          "第三十二条第一款第（五）项"],
    "time-limit-notice": ["时限告知书", "本局将在法定期限内作出决定", "第四十二条"],
    "address-confirmation": ["送达地址确认书", "南京市秦淮区中山南路1号", "不同意"],
    "rights-notice": ["权利告知书", "申请听证", "书面告知"],
    "interested-party-notice": ["利害关系人告知书", "某某物业管理有限公司", "第三十六条",
                                "陈述"],
    "hearing-rights-notice": ["听证告知书", "曹审批听告〔", "第四十七条", "五日内",
                              "相邻住户", "二十个工作日"],
    "hearing-notice": ["听证通知书", "第四十八条", "三楼听证室", "听证公开举行", "回避"],
    "suspension": ["特别程序", "第四十五条", "听证", "十日"],
    "extension": ["延期通知书", "第四十二条第一款", "延长十个工作日", "核查利害关系人"],
    "hearing-record": ["听证笔录", "王五（利害关系人）", "油烟净化设施",
                       "以上笔录我已看过"],
    "inquiry-transcript": ["询问笔录", "申请人的法定代表人", "32010001", "已出示",
                           "已告知询问过程同步录音录像"],
    "onsite-verification": ["现场核查笔录", "经营场所与申请材料一致", "第三十四条第三款",
                            "32010004"],
    "approval-form": ["内部程序审批表", "准予行政许可", "法制审核", "建议在决定书中写明有效期",
                      "审核", "批准", "同意承办人意见"],
    "legal-review": ["法制审核意见书", "行政许可主体是否合法", "程序是否合法", "审核结论：同意"],
    "decision-grant": ["准予行政许可决定书", "曹审批许〔", "第三十八条第一款",
                       "许可有效期自", "第四十四条"],
    "service-receipt": ["送达回证", "行政许可决定书", "张三", "直接送达（窗口领取）",
                        "曹阳区人民路1号"],
    "refusal": ["不予受理决定书", "曹审批不受〔", "不属于本局职权范围",
                "向曹阳市行政审批局提出申请", REMEDIES],
    "decision-deny": ["不予行政许可决定书", "不符合法定条件、标准", "不予行政许可。",
                      REMEDIES],
}
# Enum codes that must reach no document as they are.
CODES = ["not-competent", "written", "window", "agree", "grant", "deny", "hearing",
         "subject", "review", "approve"]


def pdf_text(path):
    """Returns the text of a PDF without whitespace, so that words the
    layout wrapped across lines still match."""
    proc = subprocess.run(["pdftotext", path, "-"], capture_output=True, text=True,
                          check=True)
    return "".join(proc.stdout.split())


@unittest.skipUnless(shutil.which("pdftotext"), "pdftotext (poppler-utils) is not installed")
class DocumentTemplatesTest(workflow.WorkflowTest):
    """Every template rendered from records that fill all its fields."""

    def setUp(self):
        super().setUp()
        # The notices and transcripts carry personal data and trade secrets.
        self.ok("user", "clearance", "wang.clerk",
                "personal,sensitive-personal,commercial-secret", "--as", "admin")

    def render(self, case, kind, expect=0):
        out = os.path.join(self.tmp, "%s-%s.pdf" % (case, kind))
        r = self.ct("document", "render", case, kind, "--out", out, "--as", "wang.clerk")
        self.assertEqual(r.code, expect, r)
        return pdf_text(out) if expect == 0 else r

    def hearing_records(self, case):
        """Adds the interested party's notice, the hearing and a suspension."""
        self.add(case, "interested-party-notice", {
            "party": "某某物业管理有限公司", "notified_on": day(-4), "rights": ["陈述", "申辩"],
            "signatures": [staff_sig("handler", "li.handler"), seal_sig(0)],
        }, "li.handler", attach=1)
        self.add(case, "hearing-rights-notice", {
            "notified_on": day(-4), "parties": ["某某餐饮管理有限公司", "某某物业管理有限公司"],
            "matter": "申请人拟在住宅楼底层开设餐馆，油烟和噪声可能影响相邻住户。",
            "deadline": day(1),
            "signatures": [staff_sig("handler", "li.handler"), seal_sig(0)],
        }, "li.handler", attach=1)
        self.add(case, "hearing-request", {
            "requested_on": day(-3), "requester": "某某物业管理有限公司",
            "signatures": [party_sig("party", "王五")],
        }, "li.handler", attach=1)
        self.add(case, "hearing-notice", {
            "hearing_at": at(-1, 9), "place": "曹阳区行政审批局三楼听证室",
            "presiding": "qian.legal", "public": True,
            "notified": ["某某餐饮管理有限公司", "某某物业管理有限公司"], "notified_on": day(-3),
            "signatures": [staff_sig("handler", "li.handler"), seal_sig(0)],
        }, "li.handler", attach=1)
        self.add(case, "suspension", {
            "reason": "hearing", "days": 10, "started_on": day(-3), "notified_on": day(-3),
            "signatures": [staff_sig("handler", "li.handler")],
        }, "li.handler")
        self.add(case, "hearing-record", {
            "presiding": "qian.legal", "place": "曹阳区行政审批局三楼听证室",
            "start": at(-1, 9), "end": at(-1, 10),
            "participants": ["张三（申请人委托代理人）", "王五（利害关系人）"],
            "content": "利害关系人：担心油烟扰民。\n申请人：已安装油烟净化设施。",
            "pages": 2, "confirmation": "以上笔录我已看过，与我所说相符",
            "av": [{"attachment": 1}],
            "signatures": [staff_sig("presiding", "qian.legal"),
                           party_sig("participant", "张三", 0, 2)],
        }, "qian.legal", attach=2)

    def full_case(self):
        case = self.new_case(received=at(-6, 9))
        self.receipt(case, -6)
        self.supplement(case, ["yyzz", "bjt"], -6)
        self.accept(case, -5)

        self.add(case, "time-limit-notice", {
            "decision_due": day(20), "clause": "本局将在法定期限内作出决定。",
            "signatures": [staff_sig("clerk", "wang.clerk"), seal_sig(0)],
        }, "wang.clerk", attach=1)

        self.assign(case)
        self.address(case)
        self.rights(case, -5)
        self.hearing_records(case)

        self.add(case, "inquiry-transcript", {
            "place": "曹阳区行政审批局询问室", "start": at(-2, 14), "end": at(-2, 15),
            "officers": OFFICERS, "interviewee": "张三", "relation": "申请人的法定代表人",
            "content": "问：经营场所在哪里？\n答：南京市秦淮区中山南路1号。", "av_told": True,
            "pages": 1, "confirmation": "以上笔录我已看过，与我所说相符",
            "signatures": [staff_sig("officer", "li.handler"), party_sig("party", "张三", 0, 1)],
        }, "li.handler", attach=1)
        self.onsite(case)
        self.add(case, "extension", {
            "days": 10, "reason": "需要组织听证并核查利害关系人提出的意见",
            "approved_by": "zhang.head", "approved_on": day(-1), "notified_on": day(-1),
            "signatures": [staff_sig("head", "zhang.head")],
        }, "zhang.head")

        self.propose(case)
        self.add(case, "legal-review", {
            "reviewers": ["qian.legal"],
            "items": [{"item": "subject", "opinion": "主体合法"},
                      {"item": "procedure", "opinion": "程序合法"}],
            "opinion": "agree", "suggestions": "建议在决定书中写明有效期。",
            "signatures": [staff_sig("legal", "qian.legal")],
        }, "qian.legal")
        self.step(case, "review", "zhao.rev")
        self.step(case, "approve", "zhang.head")
        self.decide(case)
        self.licence(case)
        self.serve(case, "decision")
        return case

    def refused_case(self):
        case = self.new_case(received=at(-2, 9))
        self.add(case, "refusal", {
            "reason_type": "not-competent", "reasons": "申请事项属于市级审批权限。",
            "basis": [{"law": "xzxkf", "version": "2019-04-23", "article": 32, "paragraph": 1,
                       "item": 2}],
            "competent_authority": "曹阳市行政审批局",
            "remedies": "如不服本决定，可以依法申请行政复议或者提起行政诉讼。",
            "signatures": [staff_sig("clerk", "wang.clerk"), seal_sig(0)],
        }, "wang.clerk", attach=1)
        return case

    def denied_case(self):
        case = self.new_case(received=at(-4, 9))
        self.receipt(case, -4)
        self.accept(case, -4)
        self.assign(case)
        self.propose(case, result="deny")
        self.step(case, "review", "zhao.rev")
        self.step(case, "approve", "zhang.head")
        self.decide(case, result="deny")
        return case

    def test_every_template_printed(self):
        cases = {"refusal": self.refused_case(), "decision-deny": self.denied_case()}
        full = self.full_case()
        shipped = sorted(n[:-len(".json")] for n in os.listdir(TEMPLATES))
        self.assertEqual(shipped, sorted(EXPECTED))
        for kind, words in EXPECTED.items():
            with self.subTest(kind=kind):
                text = self.render(cases.get(kind, full), kind)
                for word in words:
                    self.assertIn(word, text)
                if kind not in ("address-confirmation", "service-receipt"):
                    self.assertIn("某某餐饮管理有限公司", text)
                self.assertNotIn("{{", text)
                self.assertNotIn("null", text)
                for code in CODES:
                    self.assertNotIn(code, text)
                if kind not in ("hearing-record", "inquiry-transcript", "onsite-verification"):
                    # Transcripts print a blank for the party's handwritten date.
                    self.assertNotIn("____", text)
                if kind not in ("refusal", "decision-deny"):
                    self.assertNotIn(REMEDIES, text)

    def test_decision_template_by_result(self):
        denied = self.denied_case()
        r = self.render(denied, "decision-grant", expect=2)
        self.assertIn("decision", r.err)
        self.assertIn("不予行政许可决定书", self.render(denied, "decision-deny"))


if __name__ == "__main__":
    unittest.main()
