"""Building licensing cases through the command line, step by step.

A WorkflowTest has a store with the bureau's staff registered and helpers
that add each kind of record with valid fields, so that a test changes
only the part it is about. Dates are days before today, so that deadlines
fall where the test wants them relative to the real calendar.
"""

import datetime
import json
import os
import struct
import zlib

import ctest

CST = datetime.timezone(datetime.timedelta(hours=8))

STAFF = [
    # name, roles, unit, credential, valid until, superior
    ("zhang.head", "head,approver", "局领导", "32010000", "2030-12-31", None),
    ("zhao.rev", "reviewer,approver", "审批一科", "32010002", "2030-12-31", "zhang.head"),
    ("li.handler", "handler", "审批一科", "32010001", "2030-12-31", "zhao.rev"),
    ("sun.officer", "handler", "审批一科", "32010004", "2030-12-31", "zhao.rev"),
    ("wang.clerk", "clerk", "政务服务窗口", None, None, "zhao.rev"),
    ("qian.legal", "legal", "政策法规科", "32010005", "2030-12-31", "zhang.head"),
    ("zhou.expired", "handler", "审批一科", "32010009", "2020-01-01", "zhao.rev"),
]
# Display names of STAFF, given when a test sets display_names.
DISPLAY_NAMES = {"zhang.head": "张建国", "zhao.rev": "赵敏", "li.handler": "李明",
                 "sun.officer": "孙伟", "wang.clerk": "王芳", "qian.legal": "钱立",
                 "zhou.expired": "周强"}


def png_bytes():
    """Builds a valid 1x1 grey PNG image (a scanned signature stand-in)."""

    def chunk(kind, data):
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b""))


def now_cst():
    return datetime.datetime.now(CST).replace(microsecond=0)


def day(offset=0):
    """The CST date offset days from today, as YYYY-MM-DD."""
    return (now_cst().date() + datetime.timedelta(days=offset)).isoformat()


def at(offset_days=0, hour=10):
    """An RFC 3339 time offset_days from today at hour (CST), not in the future."""
    t = datetime.datetime.combine(now_cst().date() + datetime.timedelta(days=offset_days),
                                  datetime.time(hour, 0), CST)
    return min(t, now_cst()).isoformat()


def staff_sig(role, person, when=None):
    return {"role": role, "person": person, "method": "staff", "at": when or at()}


def seal_sig(index=0, when=None):
    return {"role": "seal", "person": "曹县行政审批局", "method": "seal",
            "attachment": index, "at": when or at()}


def party_sig(role, person, index=0, pages=None, when=None):
    s = {"role": role, "person": person, "method": "paper", "attachment": index,
         "at": when or at()}
    if pages:
        s["pages"] = list(range(1, pages + 1))
    return s


OFFICERS = [
    {"user": "li.handler", "credential_no": "32010001", "credential_shown": True},
    {"user": "sun.officer", "credential_no": "32010004", "credential_shown": True},
]

BASIS = [{"law": "xzxkf", "version": "2019-04-23", "article": 38, "paragraph": 1}]


class WorkflowTest(ctest.StoreTest):
    """A store with staff, and helpers that add records to cases."""

    matter = "spjy-xk"
    display_names = False  # give STAFF the display names of DISPLAY_NAMES

    def setUp(self):
        super().setUp()
        self.scan = os.path.join(self.tmp, "scan.png")
        with open(self.scan, "wb") as f:
            f.write(png_bytes())
        for name, roles, unit, cred, until, sup in STAFF:
            args = ["user", "add", name, "--role", roles, "--unit", unit, "--as", "admin"]
            if cred:
                args += ["--credential", cred, "--credential-valid-until", until]
            if sup:
                args += ["--superior", sup]
            if self.display_names:
                args += ["--display-name", DISPLAY_NAMES[name]]
            self.ok(*args)
        self.nfields = 0

    def materials_of(self, matter):
        """The codes of a matter's first two materials, comma-joined."""
        listed = self.ok("matters", matter).json["materials"]
        return ",".join(m["code"] for m in listed[:2])

    def new_case(self, received=None, matter=None, materials=None, channel="window"):
        matter = matter or self.matter
        if materials is None:
            materials = "sqs,yyzz" if matter == "spjy-xk" else self.materials_of(matter)
        r = self.ok("case", "new", "--matter", matter,
                    "--applicant", "某某餐饮管理有限公司",
                    "--applicant-id", "91320102MA1W8XYZ3K",
                    "--received", received or at(-1), "--contact", "13912345678",
                    "--address", "南京市秦淮区中山南路1号", "--materials", materials,
                    "--channel", channel, "--as", "wang.clerk")
        return r.out.strip()

    def fields_file(self, fields):
        self.nfields += 1
        path = os.path.join(self.tmp, "fields-%d.json" % self.nfields)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(fields, f, ensure_ascii=False)
        return path

    def add(self, case, kind, fields, actor, attach=0, when=None, expect=0):
        """Adds a record; attach is the number of scans attached."""
        args = ["record", "add", "--case", case, "--kind", kind,
                "--fields", self.fields_file(fields), "--as", actor]
        for i in range(attach):
            path = os.path.join(self.tmp, "scan-%d-%d.png" % (self.nfields, i))
            with open(path, "wb") as f:
                f.write(png_bytes() + bytes([self.nfields % 256, i]))
            args += ["--attach", path]
        if when:
            args += ["--at", when]
        r = self.ct(*args)
        self.assertEqual(r.code, expect, r)
        return r.json if expect == 0 else r

    def show(self, case):
        return self.ok("case", "show", case, "--json").json

    def findings(self, case, open_only=False):
        args = ["findings", "--case", case, "--json"]
        if open_only:
            args.append("--open")
        return self.ok(*args).json["items"]

    def codes(self, case, open_only=True):
        return sorted(f["code"] for f in self.findings(case, open_only))

    # Steps of a licensing case, each with valid fields.

    def receipt(self, case, days=-1):
        return self.add(case, "material-receipt", {
            "received": [{"code": "sqs", "name": "食品经营许可申请书", "copies": 1,
                          "original": True}],
            "receipt_date": day(days),
            "signatures": [staff_sig("clerk", "wang.clerk"), seal_sig(0)],
        }, "wang.clerk", attach=1)

    def accept(self, case, days=-1, clause=True):
        f = {"accepted_on": day(days),
             "signatures": [staff_sig("clerk", "wang.clerk"), seal_sig(0)]}
        if clause:
            f["time_limit_clause"] = "本机关将自受理之日起二十个工作日内作出决定。"
        return self.add(case, "acceptance-notice", f, "wang.clerk", attach=1)

    def supplement(self, case, missing, days=-1, expect=0):
        return self.add(case, "supplement-notice", {
            "missing": missing, "notified_on": day(days),
            "signatures": [staff_sig("clerk", "wang.clerk"), seal_sig(0)],
        }, "wang.clerk", attach=1, expect=expect)

    def assign(self, case):
        return self.add(case, "assignment", {
            "handler": "li.handler", "reviewer": "zhao.rev", "approver": "zhang.head",
            "signatures": [staff_sig("approver", "zhang.head")],
        }, "zhang.head")

    def rights(self, case, days=-1):
        return self.add(case, "rights-notice", {
            "rights": ["陈述", "申辩", "申请回避", "申请听证"], "told_on": day(days),
            "method": "written",
            "signatures": [staff_sig("handler", "li.handler"), party_sig("party", "张三")],
        }, "li.handler", attach=1)

    def onsite(self, case, officers=None, pages=2, signed_pages=2, expect=0):
        return self.add(case, "onsite-verification", {
            "place": "南京市秦淮区中山南路1号经营场所", "start": at(-1, 9), "end": at(-1, 10),
            "officers": officers or OFFICERS, "findings": "经营场所与申请材料一致。",
            "pages": pages, "confirmation": "以上笔录我已看过，与我所说相符",
            "av": [{"attachment": 1}],
            "signatures": [staff_sig("officer", "li.handler"), staff_sig("officer", "sun.officer"),
                           party_sig("party", "张三", 0, signed_pages)],
        }, "li.handler", attach=2, expect=expect)

    def propose(self, case, actor="li.handler", result="grant"):
        return self.add(case, "proposed-decision", {
            "result": result, "opinion": "建议准予许可", "reasons": "申请材料齐全，现场核查符合要求。",
            "basis": BASIS, "factors": ["材料", "现场核查"],
            "signatures": [staff_sig("handler", actor)],
        }, actor)

    def step(self, case, step, actor, opinion="agree", expect=0, fallback=None):
        role = "reviewer" if step == "review" else "approver"
        f = {"step": step, "opinion": opinion, "reasons": "同意承办人意见。",
             "signatures": [staff_sig(role, actor)]}
        if fallback:
            f["fallback"] = fallback
        return self.add(case, "approval-step", f, actor, expect=expect)

    def decide(self, case, result="grant", expect=0):
        f = {"result": result, "reasons": "经审查，申请符合法定条件、标准。", "basis": BASIS,
             "remedies": "如不服本决定，可在收到本决定书之日起六十日内向曹阳区人民政府申请行政复议，或在六个月内向曹阳区人民法院提起行政诉讼。",
             "signatures": [staff_sig("approver", "zhang.head"), seal_sig(0)]}
        if result == "grant":
            f["valid_from"] = day(0)
            f["valid_until"] = day(365 * 5)
        return self.add(case, "decision", f, "zhang.head", attach=1, expect=expect)

    def address(self, case, consent=False):
        return self.add(case, "address-confirmation", {
            "address": "南京市秦淮区中山南路1号", "recipient": "张三", "phone": "13912345678",
            "electronic_consent": consent,
            "signatures": [party_sig("applicant", "张三")],
        }, "wang.clerk", attach=1)

    def licence(self, case):
        return self.add(case, "licence-issue", {
            "licence_no": "JY13201040012345", "issued_on": day(0),
            "signatures": [staff_sig("clerk", "wang.clerk")],
        }, "wang.clerk")

    def serve(self, case, document="licence", document_seq=None):
        f = {"document": document, "served_on": at(0, 0), "recipient": "张三",
             "method": "window",
             "signatures": [staff_sig("server", "wang.clerk"), party_sig("recipient", "张三")]}
        if document_seq is not None:
            f["document_seq"] = document_seq
        return self.add(case, "service-direct", f, "wang.clerk", attach=1)

    def full_case(self, received_days=-3):
        """Runs a licence case from receipt to service; returns its id."""
        case = self.new_case(received=at(received_days, 9))
        self.receipt(case, received_days)
        self.accept(case, received_days)
        self.assign(case)
        self.rights(case, received_days)
        self.onsite(case)
        self.propose(case)
        self.step(case, "review", "zhao.rev")
        self.step(case, "approve", "zhang.head")
        self.decide(case)
        self.address(case)
        self.licence(case)
        self.serve(case)
        return case

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

    def document_case(self):
        """Runs a licence case with a hearing, so that it has a record of
        every kind that data/documents/ prints but the refusal; returns its
        id. The decision is served with a receipt naming its record."""
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
        decision = self.decide(case)
        self.licence(case)
        self.serve(case, "decision", document_seq=decision["seq"])
        return case
