#!/usr/bin/env python3
"""Confidentiality marks, withheld content, the access log and hostile
input over the HTTP API (docs/access.md).

Each test gets a fresh store with the ApiTest staff (wang.li, a clerk of
unit window without clearance; zhao.min, a handler of another unit) and
these:

- li.cleared: clerk of unit window, cleared for every mark;
- qian.personal: clerk of unit window, cleared for personal only;
- sec.li: the security administrator; shen.audit: the security auditor;
- xiao.liu: clerk of unit window whose superior is boss.zhang;
- party.a and party.b: parties bound to cases A and B.

Python 3 standard library only.
"""

import base64
import json
import os
import shutil
import sqlite3
import sys
import time
import unittest
import urllib.parse
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import apitest  # noqa: E402
import ctest  # noqa: E402
import signin  # noqa: E402

DATA = apitest.DATA

# A resident identity card number with a valid check character, and the
# same with a wrong one.
RESIDENT_ID = "110101199003074514"
BAD_CHECK_ID = "110101199003074515"

# Text that a careless program would run as SQL or as a script.
HOSTILE = [
    "'; DROP TABLE entries; --",
    "\" OR \"1\"=\"1",
    "%' OR 1=1 --",
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "\\u003cscript\\u003e",
    "Robert'); DELETE FROM p_cases WHERE ('1'='1",
]


def multipart(fields, data, file_name):
    boundary = uuid.uuid4().hex
    parts = [('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n'
              % (boundary, k)).encode() + v.encode() + b"\r\n"
             for k, v in fields.items()]
    parts.append(('--%s\r\nContent-Disposition: form-data; name="file"; '
                  'filename="%s"\r\nContent-Type: application/octet-stream\r\n\r\n'
                  % (boundary, file_name)).encode() + data + b"\r\n")
    body = b"".join(parts) + ("--%s--\r\n" % boundary).encode()
    return body, "multipart/form-data; boundary=" + boundary


def tus_metadata(**fields):
    return ",".join("%s %s" % (k, base64.b64encode(v.encode()).decode())
                    for k, v in fields.items())


class ConfidentialityTest(apitest.ApiTest):

    def setUp(self):
        super().setUp()
        users = [
            ("li.cleared", "clerk", "window", "sensitive-personal,commercial-secret", None),
            ("qian.personal", "clerk", "window", "personal", None),
            ("sec.li", "secadmin", None, None, None),
            ("shen.audit", "auditor", None, None, None),
            ("boss.zhang", "head", "office", None, None),
            ("xiao.liu", "clerk", "window", None, "boss.zhang"),
        ]
        for name, role, unit, clearance, superior in users:
            args = ["user", "add", name, "--role", role, "--data", DATA]
            if unit:
                args += ["--unit", unit]
            if superior:
                args += ["--superior", superior]
            self.ok(*args)
            if clearance:
                self.ok("user", "clearance", name, clearance, "--data", DATA)
        self.tokens = {"wang.li": self.token, "zhao.min": self.other_token}
        for name, role, *_ in users:
            if role not in ("secadmin", "auditor"):
                self.tokens[name] = self.create_token(name)
        # The administrators sign in with a password and TOTP, when a
        # test first acts as one (a password costs an argon2id hash).
        self.server.close()
        self.server = apitest.Server(self.dir, env=signin.LOGIN_ENV)
        self.sessions = {}
        self.case_a = self.open_case("spjy-xk", applicant="张三")["id"]
        self.case_b = self.open_case("spjy-xk", applicant="李四")["id"]
        for party, case in (("party.a", self.case_a), ("party.b", self.case_b)):
            self.ok("user", "add", party, "--data", DATA)
            self.ok("user", "grant", party, "party", "--case", case, "--data", DATA)
            self.tokens[party] = self.create_token(party)

    def as_(self, user, method, path, body=None, headers=None):
        if user in ("sec.li", "shen.audit") and user not in self.sessions:
            otp = self.ok("user", "passwd", user,
                          "--data", DATA).out.strip().splitlines()[-1]
            self.sessions[user] = signin.Session(self.server, user, otp)
        if user in self.sessions:
            return self.sessions[user].request(method, path, body, headers)
        return self.server.request(method, path, body, headers, self.tokens[user])

    def add(self, case, fields, kind="note", user="wang.li", **extra):
        r = self.as_(user, "POST", "/api/v1/cases/%s/records" % case,
                     dict({"kind": kind, "fields": fields}, **extra))
        self.assertEqual(r.status, 201, r)
        return r.json["seq"]

    def record(self, seq, user):
        r = self.as_(user, "GET", "/api/v1/records/%d" % seq)
        self.assertEqual(r.status, 200, r)
        return r.json

    def access_log(self, query=""):
        r = self.as_("shen.audit", "GET", "/api/v1/access-log" + query)
        self.assertEqual(r.status, 200, r)
        return r.json["items"]

    # Marks of records

    def test_kind_defaults(self):
        kinds = {k["code"]: k for k in
                 self.get_ok("/api/v1/record-kinds?limit=500")["items"]}
        self.assertEqual(kinds["application"]["confidentiality"], "personal")
        self.assertEqual(kinds["inquiry-transcript"]["confidentiality"],
                         "sensitive-personal")
        self.assertEqual(kinds["note"]["confidentiality"], "none")
        self.assertEqual(kinds["secret-material-note"]["stage"], "any")
        case = self.get_ok("/api/v1/cases/" + self.case_a)
        self.assertEqual(case["records"][0]["mark"], "personal")

    def test_mark_raised_on_add(self):
        seq = self.add(self.case_a, {"text": "营业执照正本"}, mark="commercial-secret")
        self.assertEqual(self.record(seq, "li.cleared")["mark"], "commercial-secret")
        stub = self.record(seq, "qian.personal")
        self.assertEqual(stub["mark"], "commercial-secret")
        self.assertNotIn("fields", stub)
        self.assertIn("not cleared", stub["withheld"])

    def test_mark_below_default_rejected(self):
        r = self.as_("wang.li", "POST", "/api/v1/cases/%s/records" % self.case_a, {
            "kind": "complaint", "mark": "none",
            "fields": {"complainant": "王五", "content": "投诉", "received_on": "2026-12-01"}})
        self.assert_problem(r, 422, "validation-failed", "below the kind's default")

    def test_mark_given_twice_must_agree(self):
        r = self.as_("wang.li", "POST", "/api/v1/cases/%s/records" % self.case_a, {
            "kind": "note", "mark": "personal",
            "fields": {"text": "x", "mark": "commercial-secret"}})
        self.assert_problem(r, 422, "validation-failed", "differ")

    def test_state_secret_refused_everywhere(self):
        # Signing the security administrator in adds entries of its own.
        self.as_("sec.li", "GET", "/api/v1/session")
        before = self.entries()
        explanation = "secret-material-note"
        r = self.as_("wang.li", "POST", "/api/v1/cases/%s/records" % self.case_a,
                     {"kind": "note", "fields": {"text": "x"}, "mark": "state-secret"})
        self.assert_problem(r, 422, "validation-failed", explanation)
        r = self.as_("wang.li", "POST", "/api/v1/cases/%s/records" % self.case_a,
                     {"kind": "note", "fields": {"text": "x", "mark": "state-secret"}})
        self.assert_problem(r, 422, "validation-failed", explanation)
        r = self.as_("wang.li", "POST", "/api/v1/uploads?mark=state-secret", b"secret",
                     {"Content-Type": "application/octet-stream"})
        self.assert_problem(r, 422, "validation-failed", explanation)
        body, ctype = multipart({"device": "cam", "mark": "state-secret"}, b"x", "a.mp4")
        r = self.as_("wang.li", "POST", "/api/v1/media", body, {"Content-Type": ctype})
        self.assert_problem(r, 422, None, explanation)
        r = self.as_("wang.li", "POST", "/api/v1/media/tus", None, {
            "Tus-Resumable": "1.0.0", "Upload-Length": "10",
            "Upload-Metadata": tus_metadata(device="cam", mark="state-secret")})
        self.assertEqual(r.status, 400, r)
        self.assertIn(explanation, r.json["detail"])
        seq = self.get_ok("/api/v1/cases/" + self.case_a)["records"][0]["seq"]
        r = self.as_("sec.li", "POST", "/api/v1/records/%d/mark" % seq,
                     {"mark": "state-secret", "reason": "机密"})
        self.assert_problem(r, 422, "validation-failed", explanation)
        self.assertEqual(self.entries(), before)

    def test_secret_material_note(self):
        seq = self.add(self.case_a, {
            "material": "涉密检测报告", "classification": "秘密",
            "rules": "保守国家秘密法", "custodian": "局保密室",
            "location": "保密室3号柜", "recorded_on": "2026-12-01"},
            kind="secret-material-note")
        record = self.record(seq, "wang.li")
        self.assertEqual(record["mark"], "none")
        self.assertEqual(record["fields"]["location"], "保密室3号柜")

    def test_resident_id_makes_sensitive(self):
        seq = self.add(self.case_a, {"text": "申请人身份证号 %s 已核对" % RESIDENT_ID})
        self.assertEqual(self.record(seq, "li.cleared")["mark"], "sensitive-personal")
        stub = self.record(seq, "qian.personal")
        self.assertNotIn("fields", stub)
        self.assertNotIn(RESIDENT_ID, json.dumps(stub))
        plain = self.add(self.case_a, {"text": "号码 %s 校验位不对" % BAD_CHECK_ID})
        self.assertEqual(self.record(plain, "wang.li")["mark"], "none")

    # What a reader sees

    def test_uncleared_sees_stubs(self):
        note = self.add(self.case_a, {"text": "公开说明"})
        case = self.as_("wang.li", "GET", "/api/v1/cases/" + self.case_a).json
        records = {r["seq"]: r for r in case["records"]}
        app = case["records"][0]
        self.assertEqual(sorted(app), ["happened", "kind", "mark", "name", "recorded",
                                       "seq", "withheld"])
        self.assertEqual(records[note]["fields"], {"text": "公开说明"})
        timeline = self.as_("wang.li", "GET",
                            "/api/v1/cases/%s/records" % self.case_a).json
        self.assertIn("withheld", timeline["items"][0])
        self.assertNotIn("fields", timeline["items"][0])
        full = self.as_("li.cleared", "GET", "/api/v1/cases/" + self.case_a).json
        self.assertEqual(full["records"][0]["fields"]["applicant"], "张三")

    def test_summary_hides_personal_members(self):
        r = self.as_("li.cleared", "POST", "/api/v1/cases", {
            "matter": "spjy-xk", "applicant": "王五", "applicant_id": RESIDENT_ID,
            "received": time.strftime("%Y-%m-%d")})
        self.assertEqual(r.status, 201, r)
        case = r.json["id"]
        self.assertEqual(r.json["applicant_id"], RESIDENT_ID)
        for user, shown in (("wang.li", False), ("qian.personal", False),
                            ("li.cleared", True)):
            with self.subTest(user=user):
                one = self.as_(user, "GET", "/api/v1/cases/" + case).json
                self.assertEqual("applicant_id" in one, shown, one)
                items = self.as_(user, "GET", "/api/v1/cases?q=" +
                                 urllib.parse.quote("王五")).json["items"]
                self.assertEqual(len(items), 1, items)
                self.assertEqual("applicant_id" in items[0], shown, items)
                self.assertEqual(items[0]["applicant"], "王五")
                # Nor can a reader not cleared for it find a case by a part
                # of its ID number, which would spell the number out.
                for part in (RESIDENT_ID, RESIDENT_ID[:8], RESIDENT_ID[-6:]):
                    found = self.as_(user, "GET", "/api/v1/cases?q=" +
                                     part).json["total"]
                    self.assertEqual(found, 1 if shown else 0, (user, part))

    def test_personal_clearance_reads_personal(self):
        seq = self.add(self.case_a, {"text": "联系人电话"}, mark="personal")
        self.assertEqual(self.record(seq, "qian.personal")["fields"]["text"], "联系人电话")
        self.assertIn("withheld", self.record(seq, "wang.li"))

    # Cached reads

    def test_head_reads_nothing(self):
        before = self.entries()
        r = self.as_("li.cleared", "HEAD", "/api/v1/cases/" + self.case_a)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers["Cache-Control"], "no-store")
        self.assertEqual(self.entries(), before)
        self.as_("li.cleared", "GET", "/api/v1/cases/" + self.case_a)
        self.assertEqual(self.entries(), before + 1)

    def test_marked_reply_not_cached(self):
        path = "/api/v1/cases/" + self.case_a
        r = self.as_("li.cleared", "GET", path)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers["Cache-Control"], "no-store")
        self.assertIsNone(r.headers.get("ETag"))
        r = self.as_("li.cleared", "GET", path, headers={"If-None-Match": "*"})
        self.assertEqual(r.status, 200, r)
        self.assertIn("fields", r.json["records"][0])

    def test_withheld_reply_cached_by_clearance(self):
        path = "/api/v1/cases/" + self.case_a
        r = self.as_("wang.li", "GET", path)
        etag = r.headers["ETag"]
        self.assertEqual(r.headers["Cache-Control"], "private, no-cache")
        r = self.as_("wang.li", "GET", path, headers={"If-None-Match": etag})
        self.assertEqual(r.status, 304, r)
        # A cleared reader's copy differs, and is never revalidated.
        r = self.as_("li.cleared", "GET", path, headers={"If-None-Match": etag})
        self.assertEqual(r.status, 200, r)
        self.assertIn("fields", r.json["records"][0])

    def test_cache_serves_after_mark_change(self):
        seq = self.add(self.case_a, {"text": "先公开后加密"})
        path = "/api/v1/cases/" + self.case_a
        before = self.as_("wang.li", "GET", path)
        shown = {x["seq"]: x for x in before.json["records"]}
        self.assertIn("fields", shown[seq])
        r = self.as_("sec.li", "POST", "/api/v1/records/%d/mark" % seq,
                     {"mark": "commercial-secret", "reason": "含经营数据"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["previous"], "none")
        after = self.as_("wang.li", "GET", path, headers={"If-None-Match": before.headers["ETag"]})
        self.assertEqual(after.status, 200, after)
        shown = {x["seq"]: x for x in after.json["records"]}
        self.assertNotIn("fields", shown[seq])
        self.assertEqual(shown[seq]["mark"], "commercial-secret")
        self.assertNotIn("先公开后加密", after.body.decode())

    def test_mark_change_reseals_content(self):
        marker = "RESEAL-%s" % uuid.uuid4().hex
        seq = self.add(self.case_a, {"text": marker})
        self.assertFalse(self.sealed(seq))
        r = self.as_("sec.li", "POST", "/api/v1/records/%d/mark" % seq,
                     {"mark": "personal", "reason": "含个人信息"})
        self.assertEqual(r.status, 201, r)
        self.assertTrue(self.sealed(seq))
        r = self.as_("sec.li", "POST", "/api/v1/records/%d/mark" % seq,
                     {"mark": "none", "reason": "已脱敏"})
        self.assertEqual(r.status, 201, r)
        self.assertFalse(self.sealed(seq))
        self.assertEqual(self.record(seq, "wang.li")["fields"]["text"], marker)
        self.ok("verify")

    def sealed(self, seq):
        db = sqlite3.connect("file:%s?mode=ro" % self.path("casetrail.db"), uri=True)
        try:
            [(fields,)] = db.execute("SELECT fields FROM content WHERE seq = ?", (seq,))
        finally:
            db.close()
        return bytes(fields[:4]) == b"\0cts"

    def test_mark_needs_secadmin(self):
        seq = self.add(self.case_a, {"text": "x"})
        for user in ("wang.li", "li.cleared", "shen.audit"):
            r = self.as_(user, "POST", "/api/v1/records/%d/mark" % seq,
                         {"mark": "none", "reason": "r"})
            self.assert_problem(r, 403, "forbidden", "secadmin")
        r = self.as_("sec.li", "POST", "/api/v1/records/%d/mark" % seq, {"mark": "none"})
        self.assert_problem(r, 422, "validation-failed", "reason")
        r = self.as_("sec.li", "POST", "/api/v1/records/999999/mark",
                     {"mark": "none", "reason": "r"})
        self.assert_problem(r, 404)

    # Media

    def ingest(self, data, user="li.cleared", **fields):
        fields.setdefault("device", "DSJ-1")
        body, ctype = multipart(fields, data, fields.pop("name", "clip.bin"))
        r = self.as_(user, "POST", "/api/v1/media", body, {"Content-Type": ctype})
        self.assertEqual(r.status, 201, r)
        return r.json["seq"]

    def test_media_marks_by_type(self):
        video = self.ingest(b"v" * 64, type="video")
        audio = self.ingest(b"a" * 64, type="audio")
        other = self.ingest(b"plain text minutes")
        raised = self.ingest(b"b" * 64, type="audio", mark="sensitive-personal")
        marks = {seq: self.as_("wang.li", "GET", "/api/v1/media/%d" % seq).json["mark"]
                 for seq in (video, audio, other, raised)}
        self.assertEqual(marks, {video: "sensitive-personal", audio: "personal",
                                 other: "none", raised: "sensitive-personal"})
        r = self.as_("qian.personal", "GET", "/api/v1/media/%d/content" % audio)
        self.assertEqual(r.status, 200, r)
        for seq in (video, raised):
            r = self.as_("qian.personal", "GET", "/api/v1/media/%d/content" % seq)
            self.assert_problem(r, 403, "forbidden", "sensitive-personal")
        r = self.as_("wang.li", "GET", "/api/v1/media/%d/content" % other)
        self.assertEqual(r.status, 200, r)

    def test_media_session_logged_once(self):
        seq = self.ingest(b"x" * 1000, type="video")
        for first in (0, 100, 200):
            r = self.as_("li.cleared", "GET", "/api/v1/media/%d/content?session=s1" % seq,
                         headers={"Range": "bytes=%d-%d" % (first, first + 9)})
            self.assertEqual(r.status, 206, r)
        reads = [e for e in self.access_log("?user=li.cleared")
                 if e.get("target") == "media:%d" % seq]
        self.assertEqual(len(reads), 1, reads)
        self.assertEqual(reads[0]["mark"], "sensitive-personal")
        self.assertEqual(reads[0]["action"], "media-content")

    def test_media_mark_changed(self):
        seq = self.ingest(b"y" * 64, type="video")
        r = self.as_("sec.li", "POST", "/api/v1/media/%d/mark" % seq,
                     {"mark": "none", "reason": "画面无人像"})
        self.assertEqual(r.status, 201, r)
        r = self.as_("wang.li", "GET", "/api/v1/media/%d/content" % seq)
        self.assertEqual(r.status, 200, r)

    def test_media_of_other_unit_refused(self):
        seq = self.ingest(b"z" * 64, type="video", case=self.case_a)
        r = self.as_("zhao.min", "GET", "/api/v1/media/%d" % seq)
        self.assert_problem(r, 403, "forbidden", "takes no part")
        items = self.as_("zhao.min", "GET", "/api/v1/media").json["items"]
        self.assertNotIn(seq, [i["seq"] for i in items])
        items = self.as_("wang.li", "GET", "/api/v1/media").json["items"]
        self.assertIn(seq, [i["seq"] for i in items])

    # The access log

    def test_reads_and_refusals_logged(self):
        self.as_("li.cleared", "GET", "/api/v1/cases/" + self.case_a)
        self.as_("wang.li", "GET", "/api/v1/cases/" + self.case_a)
        r = self.as_("zhao.min", "GET", "/api/v1/cases/" + self.case_a)
        self.assertEqual(r.status, 403, r)
        items = self.access_log("?case=" + self.case_a)
        by_user = {(i["user"], i["outcome"]) for i in items}
        self.assertIn(("li.cleared", "read"), by_user)
        self.assertIn(("zhao.min", "refused"), by_user)
        # The uncleared reader saw nothing marked, so read nothing.
        self.assertNotIn(("wang.li", "read"), by_user)
        read = next(i for i in items if i["user"] == "li.cleared")
        self.assertEqual(read["target"], "case:" + self.case_a)
        self.assertEqual(read["mark"], "personal")
        self.assertEqual(read["from"], "127.0.0.1")
        refused = next(i for i in items if i["user"] == "zhao.min")
        self.assertIn("takes no part", refused["reason"])
        only = self.access_log("?user=zhao.min&outcome=refused")
        self.assertEqual([i["user"] for i in only], ["zhao.min"])
        r = self.as_("li.cleared", "GET", "/api/v1/access-log")
        self.assert_problem(r, 403, "forbidden", "auditor")

    def test_repeated_refusals_raise_finding(self):
        for _ in range(4):
            r = self.as_("xiao.liu", "GET", "/api/v1/access-log")
            self.assertEqual(r.status, 403, r)
        findings = self.get_ok("/api/v1/findings?code=unauthorized-access")
        self.assertEqual(findings["total"], 0)
        r = self.as_("xiao.liu", "GET", "/api/v1/audit")
        self.assertEqual(r.status, 403, r)
        findings = self.get_ok("/api/v1/findings?code=unauthorized-access")
        self.assertEqual(findings["total"], 1, findings)
        f = findings["items"][0]
        self.assertEqual(f["responsible"], "xiao.liu")
        self.assertEqual(f["superior"], "boss.zhang")
        self.assertIsNone(f["case"])
        self.assertEqual(len(f["refusals"]), 5)
        # The count starts again: four more raise nothing.
        for _ in range(4):
            self.as_("xiao.liu", "GET", "/api/v1/access-log")
        self.assertEqual(self.get_ok("/api/v1/findings?code=unauthorized-access")["total"], 1)
        # A rebuild from the log raises the same finding.
        self.server.close()
        self.ok("rebuild", "--data", DATA)
        self.server = apitest.Server(self.dir)
        findings = self.get_ok("/api/v1/findings?code=unauthorized-access")
        self.assertEqual(findings["total"], 1, findings)

    def test_audit_lists_admin_acts(self):
        seq = self.add(self.case_a, {"text": "x"})
        self.as_("sec.li", "POST", "/api/v1/records/%d/mark" % seq,
                 {"mark": "personal", "reason": "审计可见"})
        self.ok("user", "clearance", "wang.li", "personal", "--as", "sec.li", "--data", DATA)
        r = self.as_("shen.audit", "GET", "/api/v1/audit?user=sec.li")
        self.assertEqual(r.status, 200, r)
        kinds = [i["kind"] for i in r.json["items"]]
        self.assertIn("mark", kinds)
        self.assertIn("clearance-set", kinds)
        mark = next(i for i in r.json["items"] if i["kind"] == "mark")
        self.assertEqual(mark["fields"]["reason"], "审计可见")
        r = self.as_("shen.audit", "GET", "/api/v1/audit?kind=mark")
        self.assertEqual([i["kind"] for i in r.json["items"]], ["mark"])
        r = self.as_("sec.li", "GET", "/api/v1/audit")
        self.assert_problem(r, 403, "forbidden")

    # Parties

    def test_party_search_matches_own_cases(self):
        items = self.as_("party.a", "GET", "/api/v1/cases?q=" +
                         urllib.parse.quote("张三")).json
        self.assertEqual(items["total"], 1, items)
        for q in ("zzzz", "李四", self.case_b):
            with self.subTest(q=q):
                r = self.as_("party.a", "GET", "/api/v1/cases?q=" +
                             urllib.parse.quote(q))
                self.assertEqual(r.json["total"], 0, r)

    def test_party_lists_own_cases(self):
        items = self.as_("party.a", "GET", "/api/v1/cases").json
        self.assertEqual([i["id"] for i in items["items"]], [self.case_a])
        self.assertEqual(items["total"], 1)
        case = self.as_("party.a", "GET", "/api/v1/cases/" + self.case_a)
        self.assertEqual(case.status, 200, case)
        self.assertTrue(all("withheld" in r for r in case.json["records"]))

    def test_party_never_served_cache(self):
        # With bureau data whose applications carry no mark, nothing in
        # case A is marked, so a cleared reader gets the cached bytes; a
        # party, who reads no record's content, must not.
        data = os.path.join(self.tmp, "data")
        shutil.copytree(DATA, data)
        kinds_path = os.path.join(data, "record-kinds.json")
        with open(kinds_path, encoding="utf-8") as f:
            kinds = json.load(f)
        for kind in kinds["kinds"]:
            if kind["code"] == "application":
                kind["confidentiality"] = "none"
        with open(kinds_path, "w", encoding="utf-8") as f:
            json.dump(kinds, f, ensure_ascii=False)
        self.server.close()
        self.server = apitest.Server(self.dir, data)
        self.add(self.case_a, {"text": "只给工作人员看的说明"})
        path = "/api/v1/cases/" + self.case_a
        full = self.as_("li.cleared", "GET", path)
        self.assertIn("只给工作人员看的说明", full.body.decode())
        self.assertIsNotNone(full.headers.get("ETag"))
        r = self.as_("party.a", "GET", path)
        self.assertEqual(r.status, 200, r)
        self.assertNotIn("只给工作人员看的说明", r.body.decode())
        self.assertTrue(all("withheld" in x for x in r.json["records"]))
        self.assertNotEqual(r.headers["ETag"], full.headers["ETag"])

    def test_guessed_case_of_other_party(self):
        for case in (self.case_b, "2026-999999", self.case_b + "' OR '1'='1"):
            with self.subTest(case=case):
                for path in ("/api/v1/cases/%s", "/api/v1/cases/%s/records"):
                    r = self.as_("party.a", "GET", path % urllib.parse.quote(case))
                    self.assertIn(r.status, (403, 404), r)
                    self.assertNotIn("李四", r.body.decode())
        r = self.as_("party.a", "GET", "/api/v1/cases/" + self.case_b)
        self.assert_problem(r, 403, "forbidden", "not a party")
        seq = self.as_("li.cleared", "GET",
                       "/api/v1/cases/" + self.case_b).json["records"][0]["seq"]
        r = self.as_("party.a", "GET", "/api/v1/records/%d" % seq)
        self.assertEqual(r.status, 403, r)
        self.assertNotIn("李四", r.body.decode())

    # Hostile input

    def test_hostile_text_stored_as_text(self):
        fields = {"complainant": HOSTILE[0], "content": "\n".join(HOSTILE),
                  "received_on": "2026-12-01"}
        seq = self.add(self.case_a, fields, kind="complaint", user="li.cleared")
        notes = [self.add(self.case_a, {"text": text}, user="li.cleared") for text in HOSTILE]
        # JSON that no browser runs: its type, nosniff, and every quote
        # and backslash escaped, so the text comes back exactly.
        r = self.as_("li.cleared", "GET", "/api/v1/records/%d" % seq)
        self.assertEqual(r.headers["Content-Type"], "application/json")
        self.assertEqual(r.headers["X-Content-Type-Options"], "nosniff")
        self.assertIn(b'\\"1\\"=\\"1', r.body)
        self.assertEqual(r.json["fields"]["content"], "\n".join(HOSTILE))
        self.assertEqual(r.json["fields"]["complainant"], HOSTILE[0])
        for text, note in zip(HOSTILE, notes):
            self.assertEqual(self.record(note, "wang.li")["fields"]["text"], text)
        case = self.as_("li.cleared", "GET", "/api/v1/cases/" + self.case_a)
        self.assertEqual(case.headers["Content-Type"], "application/json")
        texts = [r["fields"]["text"] for r in case.json["records"] if r["kind"] == "note"]
        self.assertEqual(texts, HOSTILE)
        # The applicant and search text of a case, too.
        r = self.as_("li.cleared", "POST", "/api/v1/cases", {
            "matter": "spjy-xk", "applicant": HOSTILE[3], "applicant_id": HOSTILE[0],
            "address": HOSTILE[4], "received": time.strftime("%Y-%m-%d")})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["applicant"], HOSTILE[3])
        found = self.as_("li.cleared", "GET", "/api/v1/cases?q=%25%27%20OR%201%3D1%20--").json
        self.assertEqual(found["total"], 0, found)
        self.assertEqual(self.as_("li.cleared", "GET", "/api/v1/cases").json["total"], 3)
        verify = self.ok("verify", "--json").json
        self.assertTrue(verify["ok"], verify)

    def test_media_filename_traversal(self):
        body, ctype = multipart({"device": "cam", "filename": "../../etc/passwd"},
                                b"x", "clip.mp4")
        r = self.as_("li.cleared", "POST", "/api/v1/media", body, {"Content-Type": ctype})
        self.assert_problem(r, 422, None, "path")
        r = self.as_("li.cleared", "POST", "/api/v1/media/tus", None, {
            "Tus-Resumable": "1.0.0", "Upload-Length": "10",
            "Upload-Metadata": tus_metadata(device="cam", filename="..\\..\\boot.ini")})
        self.assertEqual(r.status, 400, r)
        self.assertIn("path", r.json["detail"])
        # The part's own name is data: kept, never used as a path.
        body, ctype = multipart({"device": "cam"}, b"named part", "../../outside.mp4")
        r = self.as_("li.cleared", "POST", "/api/v1/media", body, {"Content-Type": ctype})
        self.assertIn(r.status, (201, 422), r)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "outside.mp4")))
        self.assertFalse(os.path.exists(os.path.join(self.dir, "..", "outside.mp4")))
        r = self.as_("li.cleared", "POST", "/api/v1/uploads", b"upload body", {
            "Content-Type": "application/octet-stream",
            "Content-Disposition": 'attachment; filename="../../../tmp/evil"'})
        self.assertEqual(r.status, 201, r)
        self.assertFalse(os.path.exists("/tmp/evil"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
