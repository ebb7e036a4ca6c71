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
from workflow import at, seal_sig, staff_sig  # noqa: E402

REMEDIES = "六十日内向曹阳区人民政府申请行政复议"
TEMPLATES = os.path.join(workflow.ctest.SRC, "data", "documents")

# Words each document must print, from its record's fields or its law.
EXPECTED = {
    "material-receipt": ["申请材料接收凭证", "原件", "不表示申请已被受理", "五个工作日"],
    "supplement-notice": ["补正材料通知书", "曹审批补〔", "第三十二条第一款第（四）项",
                          "一次性告知", "提交全部补正材料", "1．营业执照或者其他主体资格证明文件复印件",
                          "2．与食品经营相适应的主要设备设施"],
    "acceptance-notice": ["受理通知书", "曹审批受〔", "二十个工作日", "十个工作日",
                          "第三十二条第一款第（五）项"],
    "time-limit-notice": ["时限告知书", "本局将在法定期限内作出决定", "第四十二条"],
    "address-confirmation": ["送达地址确认书", "南京市秦淮区中山南路1号", "不同意"],
    "rights-notice": ["权利告知书", "申请听证", "书面告知"],
    "interested-party-notice": ["利害关系人告知书", "某某物业管理有限公司", "第三十六条",
                                "陈述"],
    "hearing-rights-notice": ["听证告知书", "曹审批听告〔", "第四十七条", "五日内",
                              "相邻住户", "二十个工作日"],
    "hearing-notice": ["听证通知书", "第四十八条", "三楼听证室", "听证公开举行", "回避",
                       "由钱立担任听证主持人"],
    "suspension": ["特别程序", "第四十五条", "听证", "十日"],
    "extension": ["延期通知书", "第四十二条第一款", "延长十个工作日", "核查利害关系人"],
    "hearing-record": ["听证笔录", "听证主持人钱立", "王五（利害关系人）", "油烟净化设施",
                       "以上笔录我已看过"],
    "inquiry-transcript": ["询问笔录", "申请人的法定代表人", "李明32010001", "已出示",
                           "已告知询问过程同步录音录像"],
    "onsite-verification": ["现场核查笔录", "经营场所与申请材料一致", "第三十四条第三款",
                            "孙伟32010004"],
    "approval-form": ["内部程序审批表", "准予行政许可", "法制审核", "建议在决定书中写明有效期",
                      "审核", "批准", "同意承办人意见"],
    "legal-review": ["法制审核意见书", "行政许可主体是否合法", "程序是否合法", "审核结论：同意",
                     "审核人员：钱立。"],
    "decision-grant": ["准予行政许可决定书", "曹审批许〔", "第三十八条第一款",
                       "许可有效期自", "第四十四条"],
    "service-receipt": ["送达回证", "行政许可决定书", "文号曹审批许〔", "张三",
                        "直接送达（窗口领取）", "曹阳区人民路1号"],
    "refusal": ["不予受理决定书", "曹审批不受〔", "不属于本局职权范围",
                "向曹阳市行政审批局提出申请", REMEDIES],
    "decision-deny": ["不予行政许可决定书", "不符合法定条件、标准", "不予行政许可。",
                      REMEDIES],
}
# Login names and material codes that must reach no document.
LOGINS = ["qian.legal", "li.handler", "sun.officer", "zhang.head", "yyzz", "bjt"]
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

    display_names = True

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

    def denied_case(self, result="deny"):
        case = self.new_case(received=at(-4, 9))
        self.receipt(case, -4)
        self.accept(case, -4)
        self.assign(case)
        self.propose(case, result=result)
        self.step(case, "review", "zhao.rev")
        self.step(case, "approve", "zhang.head")
        self.decide(case, result=result)
        return case

    def test_every_template_printed(self):
        cases = {"refusal": self.refused_case(), "decision-deny": self.denied_case()}
        full = self.document_case()
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
                for login in LOGINS:
                    self.assertNotIn(login, text)
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

    def test_partial_decision_states_remedies(self):
        partial = self.denied_case(result="partial")
        text = self.render(partial, "decision-deny")
        self.assertIn("不予行政许可决定书", text)
        self.assertIn("部分符合法定条件、标准", text)
        self.assertIn("对其余部分不予行政许可", text)
        self.assertIn(REMEDIES, text)
        r = self.render(partial, "decision-grant", expect=2)
        self.assertIn("decision", r.err)


if __name__ == "__main__":
    unittest.main()
