"""Checks shared by the workflow, rule and finding tests.

CaseTest adds to WorkflowTest what those tests assert again and again:
the log size, a rejection that must leave the store as it was, the
findings of one code, and corrections. FixedDateCase places events on
fixed days of the official calendar (data/calendar), so that the tests'
comments can count expected due dates by hand.
"""

import datetime
import json
import os

import workflow
from workflow import now_cst


def offset(date):
    """Returns the day offset of YYYY-MM-DD from today (CST), as the
    workflow helpers take it."""
    return (datetime.date.fromisoformat(date) - now_cst().date()).days


def cst_ms(text):
    """Returns UTC milliseconds of an RFC 3339 time, or of 00:00 CST of a
    YYYY-MM-DD date."""
    if len(text) == 10:
        text += "T00:00:00+08:00"
    return int(datetime.datetime.fromisoformat(text).timestamp() * 1000)


class CaseTest(workflow.WorkflowTest):
    """A WorkflowTest with checks that a rejected request stores nothing."""

    def log_size(self):
        """Returns the number of entries in the log."""
        return self.ok("checkpoint", "--now", "--json").json["size"]

    def assert_rejected(self, args, needles, case=None, finding_entries=0):
        """Runs casetrail with args and checks that it exits 2 with every
        needle in its error, and that the log and the case are unchanged
        (but for finding_entries entries of kind finding). Returns the
        Result."""
        # Showing a case records the read of its marked content, so the
        # size is taken after it.
        before = self.show(case) if case else None
        size = self.log_size()
        r = self.ct(*args)
        self.assertEqual(r.code, 2, r)
        for needle in needles:
            self.assertIn(needle, r.err, r)
        after_size = self.log_size()
        self.assertEqual(after_size, size + finding_entries,
                         "log size after the rejection: %r" % r)
        for seq in range(size, after_size):
            entry = self.ok("log", "show", seq).json["entry"]
            self.assertEqual(entry["kind"], "finding",
                             "entry %d after the rejection: %r" % (seq, entry))
        self.assertNotEqual(self.ct("log", "show", after_size).code, 0,
                            "no entry %d after the rejection" % after_size)
        if case and not finding_entries:
            self.assertEqual(self.show(case), before,
                             "case %s after the rejection" % case)
        return r

    def record_args(self, case, kind, fields, actor, attach=0, when=None):
        """Returns the arguments of record add, writing the fields and
        attach scanned pages to files."""
        args = ["record", "add", "--case", case, "--kind", kind,
                "--fields", self.fields_file(fields), "--as", actor]
        for i in range(attach):
            path = os.path.join(self.tmp, "page-%d-%d.png" % (self.nfields, i))
            with open(path, "wb") as f:
                f.write(workflow.png_bytes() + bytes([self.nfields % 256, i]))
            args += ["--attach", path]
        if when:
            args += ["--at", when]
        return args

    def add_rejected(self, case, kind, fields, actor, needles, attach=0,
                     when=None, finding_entries=0):
        """Adds a record that must be rejected with every needle in the
        error and nothing stored."""
        return self.assert_rejected(
            self.record_args(case, kind, fields, actor, attach, when), needles,
            case, finding_entries)

    def correct(self, seq, fields, actor, reason="更正笔误", expect=0):
        """Corrects record seq with new fields; returns the receipt, or the
        Result when expect is not 0."""
        r = self.ct("record", "correct", seq, "--reason", reason,
                    "--fields", self.fields_file(fields), "--as", actor)
        self.assertEqual(r.code, expect, r)
        return r.json if expect == 0 else r

    def record_fields(self, seq):
        """Returns the fields of record seq as stored."""
        return self.ok("record", "show", seq).json["fields"]

    def findings_of(self, case, code, open_only=False):
        """Returns the findings of one code of a case."""
        return [f for f in self.findings(case, open_only) if f["code"] == code]

    def one_finding(self, case, code):
        """Returns the only finding of code in case, failing otherwise."""
        found = self.findings_of(case, code)
        self.assertEqual(len(found), 1, "findings %s of case %s: %s"
                         % (code, case, json.dumps(self.findings(case),
                                                   ensure_ascii=False)))
        return found[0]

    def new_case_as(self, applicant, applicant_id, received=None, matter=None,
                    materials="sqs,yyzz"):
        """Opens a case for another applicant; returns its id."""
        r = self.ok("case", "new", "--matter", matter or self.matter,
                    "--applicant", applicant, "--applicant-id", applicant_id,
                    "--received", received or workflow.at(-1),
                    "--contact", "13900000000", "--address", "南京市玄武区北京东路41号",
                    "--materials", materials, "--as", "wang.clerk")
        return r.out.strip()


# The application of the fixed-date cases: Monday 2026-09-21, 09:00 CST.
# On the official 2026 calendar, 09-25..27 (中秋节) and 10-01..07 (国庆节)
# rest and Saturday 10-10 is a make-up working day.
RECEIVED = "2026-09-21T09:00:00+08:00"

BASIS_ART32 = [{"law": "xzxkf", "version": "2019-04-23", "article": 32}]


class FixedDateCase(CaseTest):
    """Builds cases received on RECEIVED, step by step."""

    def accepted_case(self, accepted="2026-09-29", matter=None, materials=None):
        """Opens, receipts, accepts on accepted and assigns a case."""
        case = self.new_case(received=RECEIVED, matter=matter, materials=materials)
        self.receipt(case, offset("2026-09-21"))
        self.accept(case, offset(accepted))
        self.assign(case)
        return case

    def proposed_case(self, accepted="2026-09-29", matter=None):
        """An accepted case with rights notice, on-site check and proposal."""
        case = self.accepted_case(accepted, matter)
        self.rights(case, offset(accepted))
        self.onsite(case)
        self.propose(case)
        return case

    def approved_case(self, accepted="2026-09-29", matter=None):
        """A proposed case that the reviewer and the head agreed to."""
        case = self.proposed_case(accepted, matter)
        self.step(case, "review", "zhao.rev")
        self.step(case, "approve", "zhang.head")
        return case

    def decision_fields(self, result="grant", decided=None):
        f = {"result": result, "reasons": "经审查，申请符合法定条件、标准。",
             "basis": workflow.BASIS,
             "remedies": "如不服本决定，可在收到本决定书之日起六十日内向曹阳区人民政府申请行政复议，或在六个月内向曹阳区人民法院提起行政诉讼。",
             "signatures": [workflow.staff_sig("approver", "zhang.head"), workflow.seal_sig(0)]}
        if result == "grant":
            f["valid_from"] = decided or workflow.day(0)
            f["valid_until"] = "2031-10-14"
        return f

    def decide_at(self, case, when, result="grant"):
        """Records the decision as made at when (RFC 3339)."""
        return self.add(case, "decision", self.decision_fields(result, when[:10]),
                        "zhang.head", attach=1, when=when)

    def refusal_fields(self, reason_type="not-competent"):
        f = {"reason_type": reason_type, "reasons": "申请事项不属于本机关职权范围。",
             "basis": BASIS_ART32,
             "remedies": "如不服本决定，可在收到本决定书之日起六十日内向曹阳区人民政府申请行政复议，或在六个月内向曹阳区人民法院提起行政诉讼。",
             "signatures": [workflow.staff_sig("clerk", "wang.clerk"), workflow.seal_sig(0)]}
        if reason_type == "not-competent":
            f["competent_authority"] = "唐山市市场监督管理局"
        return f

    def withdraw(self, case, requested, when=None):
        return self.add(case, "withdrawal", {
            "requested_on": requested, "reasons": "申请人决定不再经营。",
            "signatures": [workflow.party_sig("applicant", "张三")],
        }, "wang.clerk", attach=1, when=when)

    def terminate(self, case):
        return self.add(case, "termination", {
            "reason": "申请人主体资格已经消灭。", "basis": BASIS_ART32,
            "signatures": [workflow.staff_sig("approver", "zhang.head")],
        }, "zhang.head")

    def suspension_fields(self, started, reason="testing", notified=True):
        f = {"reason": reason, "days": 10, "started_on": started,
             "signatures": [workflow.staff_sig("handler", "li.handler")]}
        if notified:
            f["notified_on"] = started
        return f

    def suspend(self, case, started, reason="testing", notified=True):
        return self.add(case, "suspension", self.suspension_fields(started, reason, notified),
                        "li.handler")

    def resume(self, case, resumed):
        return self.add(case, "resumption", {
            "resumed_on": resumed,
            "signatures": [workflow.staff_sig("handler", "li.handler")],
        }, "li.handler")

    def extension_fields(self, approved, notified=None, days=10, approved_by="zhang.head"):
        f = {"days": days, "reason": "需要补充现场核查。", "approved_by": approved_by,
             "approved_on": approved,
             "signatures": [workflow.staff_sig("head", "zhang.head")]}
        if notified:
            f["notified_on"] = notified
        return f

    def extend(self, case, approved, notified=None, days=10):
        return self.add(case, "extension", self.extension_fields(approved, notified, days),
                        "zhang.head")

    def time_limit_notice(self, case, due):
        return self.add(case, "time-limit-notice", {
            "decision_due": due, "clause": "本机关将于%s前作出决定。" % due,
            "signatures": [workflow.staff_sig("clerk", "wang.clerk"), workflow.seal_sig(0)],
        }, "wang.clerk", attach=1)

    def legal_review(self, case, opinion="agree"):
        return self.add(case, "legal-review", {
            "reviewers": ["qian.legal"],
            "items": [{"item": "procedure", "opinion": "程序合法。"},
                      {"item": "basis", "opinion": "依据正确。"}],
            "opinion": opinion,
            "signatures": [workflow.staff_sig("legal", "qian.legal")],
        }, "qian.legal")

    def hearing_notice_fields(self, presiding):
        return {"hearing_at": "2026-12-20T09:00:00+08:00", "place": "本局第一听证室",
                "presiding": presiding, "public": True, "notified_on": workflow.day(0),
                "signatures": [workflow.staff_sig("handler", "li.handler"),
                               workflow.seal_sig(0)]}
