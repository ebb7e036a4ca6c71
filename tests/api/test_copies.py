#!/usr/bin/env python3
"""Copy requests end to end against a real server on loopback.

A case of the applicant 张三 has records of every sort that the copy set
treats differently. There are the applicant's own application, a refusal
to cooperate that names third parties, and an inquiry transcript of a
witness whose mark the security administrator lowered. There are a note
with a third party's identity number, a note marked a commercial secret,
internal deliberations and a photo. The tests request copies as the party and as
staff on a party's behalf, decide as the supervisory department, and
read the tar that comes back: what is in it, what is withheld and why,
what is masked, and the mark at the head of every file. Each request,
decision and copy must be an entry of the log.

Python 3 standard library only (ffmpeg makes the photo and the clip,
ffprobe reads the clip back).
"""

import datetime
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import apitest  # noqa: E402
import mediafiles  # noqa: E402

CST = datetime.timezone(datetime.timedelta(hours=8))
BASIS = [{"law": "xzxkf", "version": "2019-04-23", "article": 38, "paragraph": 1}]


def resident_id(body17):
    """Completes 17 digits with the GB 11643 check character."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(body17, weights))
    return body17 + "10X98765432"[total % 11]


APPLICANT_ID = resident_id("32010219900101123")
WITNESS_ID = resident_id("11010119800101123")
OTHER_ID = resident_id("32010519850505432")


def today():
    return datetime.datetime.now(CST).date()


def at(days, hour=10):
    t = datetime.datetime.combine(today() + datetime.timedelta(days=days),
                                  datetime.time(hour, 0), CST)
    return min(t, datetime.datetime.now(CST).replace(microsecond=0)).isoformat()


def staff_sig(role, person):
    return {"role": role, "person": person, "method": "staff", "at": at(-1)}


class CopiesTest(apitest.ApiTest):
    """A case with records of every sort, its parties and the supervisor."""

    def setUp(self):
        super().setUp()
        self.scan = os.path.join(self.tmp, "scan.png")
        with open(self.scan, "wb") as f:
            f.write(apitest_png())
        for args in (["li.ju", "--role", "head,approver", "--unit", "局领导"],
                     ["sun.jian", "--role", "supervisor", "--unit", "监督科",
                      "--superior", "li.ju"],
                     ["qian.legal", "--role", "legal", "--unit", "政策法规科"],
                     ["sun.officer", "--role", "handler", "--unit", "licensing"],
                     ["sec.admin", "--role", "secadmin"],
                     ["zhang.san", "--role", "party", "--display-name", "张三"],
                     ["wang.wu", "--role", "party", "--display-name", "王五"],
                     ["li.si", "--role", "party", "--display-name", "李四"]):
            self.ok("user", "add", *args, "--data", apitest.DATA)
        self.nfile = 0
        self.case = self.build_case()
        self.other_case = self.new_case("李四", OTHER_ID)
        self.other_app = self.show(self.other_case)["records"][0]["seq"]
        self.ok("user", "grant", "zhang.san", "party", "--case", self.case)
        self.ok("user", "grant", "wang.wu", "party", "--case", self.case)
        self.ok("user", "grant", "li.si", "party", "--case", self.other_case)
        self.tokens = {u: self.create_token(u)
                       for u in ("sun.jian", "zhang.san", "wang.wu", "li.si")}

    # --- building the case -------------------------------------------------

    def fields_file(self, fields):
        self.nfile += 1
        path = os.path.join(self.tmp, "fields-%d.json" % self.nfile)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(fields, f, ensure_ascii=False)
        return path

    def add(self, kind, fields, actor, attach=0, when=None, case=None):
        args = ["record", "add", "--case", case or self.case, "--kind", kind,
                "--fields", self.fields_file(fields), "--as", actor]
        args += ["--attach", self.scan] * attach
        if when:
            args += ["--at", when]
        return self.ok(*args).json["seq"]

    def show(self, case):
        return self.ok("case", "show", case, "--json").json

    def new_case(self, applicant, applicant_id):
        return self.ok("case", "new", "--matter", "spjy-xk", "--applicant", applicant,
                       "--applicant-id", applicant_id, "--contact", "13812345678",
                       "--address", "南京市玄武区中山路1号", "--received", at(-3, 9),
                       "--materials", "sqs,yyzz", "--as", "wang.li").out.strip()

    def build_case(self):
        case = self.new_case("张三", APPLICANT_ID)
        self.case = case
        self.seq = {"application": self.show(case)["records"][0]["seq"]}
        self.seq["acceptance"] = self.add("acceptance-notice", {
            "accepted_on": today().isoformat(),
            "time_limit_clause": "本机关将自受理之日起二十个工作日内作出决定。",
            "signatures": [staff_sig("clerk", "wang.li"),
                           {"role": "seal", "person": "曹县行政审批局", "method": "seal",
                            "attachment": 0, "at": at(-1)}]},
            "wang.li", attach=1)
        self.add("assignment", {"handler": "zhao.min", "reviewer": "li.ju",
                                "approver": "li.ju",
                                "signatures": [staff_sig("approver", "li.ju")]}, "li.ju")
        self.seq["interested"] = self.add("interested-party-notice", {
            "party": "王五", "notified_on": today().isoformat(), "rights": ["陈述", "申辩"],
            "signatures": [staff_sig("handler", "zhao.min"),
                           {"role": "seal", "person": "曹县行政审批局", "method": "seal",
                            "attachment": 0, "at": at(-1)}]},
            "zhao.min", attach=1)
        self.seq["refusal"] = self.add("refusal-to-cooperate", {
            "person": "赵六", "occurred_at": at(-1), "place": "经营场所",
            "conduct": "赵六拒绝在笔录上签字，其电话13900001111，邮箱 zhaoliu@example.com，"
                       "证人钱七在场。申请人张三（电话13812345678）到场。",
            "witness": "钱七",
            "signatures": [staff_sig("officer", "zhao.min"),
                           {"role": "witness", "person": "钱七", "method": "paper",
                            "attachment": 0, "at": at(-1)}]},
            "zhao.min", attach=1)
        self.seq["transcript"] = self.add("inquiry-transcript", {
            "place": "审批局询问室", "start": at(-1, 9), "end": at(-1, 10),
            "officers": [{"user": "zhao.min", "credential_no": "32010001",
                          "credential_shown": True},
                         {"user": "sun.officer", "credential_no": "32010004",
                          "credential_shown": True}],
            "interviewee": "李四", "interviewee_id": WITNESS_ID, "relation": "证人",
            "content": "李四称其住北京市朝阳区建国路88号，与申请人张三系邻居。", "pages": 1,
            "confirmation": "以上笔录我已看过，与我所说相符",
            "signatures": [staff_sig("officer", "zhao.min"),
                           {"role": "party", "person": "李四", "method": "paper",
                            "attachment": 0, "pages": [1], "at": at(-1)}]},
            "zhao.min", attach=1)
        self.seq["id_note"] = self.add("note", {
            "text": "案外人孙八的身份证号码为 %s。" % OTHER_ID}, "zhao.min")
        self.seq["secret"] = self.add("note", {"text": "申请人的配方与工艺流程说明。"},
                                      "zhao.min")
        self.seq["proposal"] = self.add("proposed-decision", {
            "result": "grant", "opinion": "建议准予许可", "reasons": "材料齐全。",
            "basis": BASIS, "factors": ["材料"],
            "signatures": [staff_sig("handler", "zhao.min")]}, "zhao.min")
        self.seq["legal"] = self.add("legal-review", {
            "reviewers": ["qian.legal"], "items": [{"item": "basis", "opinion": "合法"}],
            "opinion": "agree", "suggestions": "无",
            "signatures": [staff_sig("legal", "qian.legal")]}, "qian.legal")
        self.ok("mark", "record", str(self.seq["secret"]), "commercial-secret",
                "--reason", "申请人的经营秘密", "--as", "sec.admin")
        self.ok("mark", "record", str(self.seq["transcript"]), "personal",
                "--reason", "遮盖后可以提供", "--as", "sec.admin")
        return case

    # --- helpers -----------------------------------------------------------

    def as_user(self, user, method, path, body=None):
        token = self.token if user == "wang.li" else self.tokens[user]
        return self.server.request(method, path, body, None, token)

    def request_copies(self, user, records, case=None, **extra):
        body = dict({"records": records, "purpose": "申请行政复议"}, **extra)
        return self.as_user(user, "POST", "/api/v1/cases/%s/copy-requests"
                            % (case or self.case), body)

    def decide(self, rid, decision="approve", user="sun.jian", **extra):
        return self.as_user(user, "POST", "/api/v1/copy-requests/%s/decision" % rid,
                            dict({"decision": decision}, **extra))

    def download(self, rid, user):
        r = self.as_user(user, "GET", "/api/v1/copy-requests/%s/copy" % rid)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers["Content-Type"], "application/x-tar")
        return r

    def members(self, body):
        """The files of a tar as {name inside the folder: bytes}."""
        out = {}
        with tarfile.open(fileobj=io.BytesIO(body)) as tar:
            for m in tar.getmembers():
                self.assertTrue(m.isfile(), m.name)
                out[m.name.split("/", 1)[1]] = tar.extractfile(m).read()
        return out

    def entry(self, seq):
        r = self.server.request("GET", "/api/v1/entries/%d" % seq)
        self.assertEqual(r.status, 200, r)
        return r.json

    # --- the flow ----------------------------------------------------------

    def test_party_request_approve_and_copy(self):
        s = self.seq
        asked = [s["application"], s["acceptance"], s["refusal"], s["transcript"],
                 s["id_note"], s["secret"], s["proposal"], s["legal"]]
        r = self.request_copies("zhang.san", asked)
        self.assertEqual(r.status, 201, r)
        req = r.json
        year = today().year
        self.assertEqual(req["number"], "复制〔%d〕1号" % year)
        self.assertEqual(req["id"], "%d-1" % year)
        self.assertEqual(req["requester"], "张三")
        self.assertEqual(req["status"], "pending")
        self.assertEqual(r.headers["Location"], "/api/v1/copy-requests/%d-1" % year)
        rid = req["id"]

        self.assert_problem(self.decide(rid, user="zhang.san"), 403)
        self.assert_problem(self.decide(rid, user="wang.li"), 403)
        self.assert_problem(self.as_user("zhang.san", "GET",
                                         "/api/v1/copy-requests/%s/copy" % rid), 409)
        r = self.decide(rid, reasons="符合规定", withhold=[
            {"record": s["acceptance"], "reason": "受理通知书已送达，不再复制"}])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "approved")
        self.assert_problem(self.decide(rid), 409)

        r = self.download(rid, "zhang.san")
        files = self.members(r.body)
        manifest = json.loads(files["manifest.json"])
        copy_id = r.headers["Casetrail-Copy"]
        mark = "复制件 — 申请编号 复制〔%d〕1号 申请人 张三 日期 %s 份号 %s" % (
            year, today().isoformat(), copy_id)
        self.assertEqual(manifest["mark"], mark)

        included = {i["seq"] for i in manifest["included"] if i["item"] == "record"}
        self.assertEqual(included, {s["application"], s["refusal"], s["transcript"],
                                    s["secret"]})
        withheld = {i["seq"]: i["reason"] for i in manifest["withheld"]
                    if i["item"] == "record"}
        self.assertEqual(withheld[s["acceptance"]], "受理通知书已送达，不再复制")
        self.assertIn("敏感个人信息", withheld[s["id_note"]])
        self.assertIn("过程性信息", withheld[s["proposal"]])
        self.assertIn("过程性信息", withheld[s["legal"]])
        scans = [i for i in manifest["withheld"] if i["item"] == "attachment"]
        self.assertEqual({i["seq"] for i in scans}, {s["refusal"], s["transcript"]})

        # Every file carries the mark: text at its head, JSON as a member.
        for name, data in files.items():
            text = data.decode("utf-8")
            if name.endswith(".txt"):
                self.assertTrue(text.startswith(mark + "\n"), name)
            else:
                self.assertEqual(json.loads(text)["mark"], mark, name)

        refusal = files["records/%06d-refusal-to-cooperate.txt" % s["refusal"]].decode()
        for gone in ("赵六", "钱七", "13900001111", "zhaoliu@"):
            self.assertNotIn(gone, refusal)
        for masked in ("赵**", "钱**", "139****1111", "z***@example.com"):
            self.assertIn(masked, refusal)
        transcript = json.loads(
            files["records/%06d-inquiry-transcript.json" % s["transcript"]])
        fields = transcript["fields"]
        self.assertEqual(fields["interviewee"], "李**")
        self.assertEqual(fields["interviewee_id"],
                         WITNESS_ID[:4] + "*" * 10 + WITNESS_ID[-4:])
        self.assertNotIn(WITNESS_ID, json.dumps(transcript, ensure_ascii=False))
        self.assertNotIn("李四", json.dumps(transcript, ensure_ascii=False))
        # The requester's own data stays as it is.
        self.assertIn("与申请人张三系邻居", fields["content"])
        application = json.loads(
            files["records/%06d-application.json" % s["application"]])["fields"]
        self.assertEqual(application["applicant_id"], APPLICANT_ID)
        self.assertEqual(application["contact"], "13812345678")

        # The copy is an entry with the tar's hashes; the request and the
        # decision are entries too. The tar itself is not kept.
        sha = "sha256:" + hashlib.sha256(r.body).hexdigest()
        sm3 = "sm3:" + apitest.ctest.store_hash("gm", r.body).hex()
        self.assertEqual(r.headers["Casetrail-Copy-SHA256"], sha)
        made = self.entry(int(r.headers["Casetrail-Copy-Entry"]))
        self.assertEqual(made["kind"], "copy-made")
        self.assertNotIn("attachments", made)
        row = self.as_user("zhang.san", "GET", "/api/v1/copy-requests/" + rid).json
        self.assertEqual(row["copies"][0]["seq"], made["seq"])
        self.assertEqual(row["copies"][0]["sha256"], sha)
        self.assertEqual(row["copies"][0]["hash"], sm3)
        self.assertEqual(row["copies"][0]["size"], len(r.body))
        self.assertEqual(row["copies"][0]["copy"], copy_id)
        self.assertEqual(row["copies"][0]["actor"], "zhang.san")
        self.assertEqual(self.entry(row["seq"])["kind"], "copy-request")
        self.assertEqual(self.entry(row["decision"]["seq"])["kind"], "copy-decision")

        # A second download is another copy with its own id and hashes.
        again = self.download(rid, "wang.li")
        self.assertNotEqual(again.headers["Casetrail-Copy"], copy_id)
        self.assertNotEqual(again.headers["Casetrail-Copy-SHA256"], sha)
        row = self.as_user("sun.jian", "GET", "/api/v1/copy-requests/" + rid).json
        self.assertEqual(len(row["copies"]), 2)

    def test_interested_party_gets_no_secrets(self):
        s = self.seq
        r = self.request_copies("wang.li", [s["application"], s["secret"],
                                            s["refusal"]], requester="王五")
        self.assertEqual(r.status, 201, r)
        rid = r.json["id"]
        self.assertEqual(self.decide(rid).status, 200)
        files = self.members(self.download(rid, "wang.wu").body)
        manifest = json.loads(files["manifest.json"])
        withheld = {i["seq"]: i["reason"] for i in manifest["withheld"]}
        # The applicant's secrets and identity number are not the interested
        # party's to have; the applicant's name and phone are masked.
        self.assertIn("商业秘密", withheld[s["secret"]])
        self.assertIn("敏感个人信息", withheld[s["application"]])
        refusal = files["records/%06d-refusal-to-cooperate.txt" % s["refusal"]].decode()
        for gone in ("张三", "13812345678", "赵六", "钱七"):
            self.assertNotIn(gone, refusal)
        for masked in ("申请人张**", "138****5678", "赵**", "钱**"):
            self.assertIn(masked, refusal)
        self.assertNotIn("张三", files["manifest.txt"].decode().split("\n", 1)[1])
        # The applicant sees no request of the interested party.
        self.assert_problem(self.as_user("zhang.san", "GET",
                                         "/api/v1/copy-requests/" + rid), 403)
        listed = self.as_user("zhang.san", "GET", "/api/v1/copy-requests").json
        self.assertEqual(listed["items"], [])

    def test_rejection_and_refusals(self):
        s = self.seq
        # A party of another case, and records of another case.
        self.assert_problem(self.request_copies("li.si", [s["application"]]), 403)
        self.assert_problem(self.request_copies("zhang.san", [self.other_app]), 422,
                            mention="record %d is not a record of case" % self.other_app)
        self.assert_problem(self.request_copies("zhang.san", [s["application"], 999999]),
                            422, mention="record 999999")
        self.assert_problem(self.request_copies("zhang.san", [s["application"]],
                                                media=[424242]), 422,
                            mention="file 424242 is not a file of case")
        # Staff name a party of the case; a party cannot date a request back.
        self.assert_problem(self.request_copies("wang.li", [s["application"]]), 422,
                            mention="requester")
        self.assert_problem(self.request_copies("wang.li", [s["application"]],
                                                requester="路人甲"), 422,
                            mention="not a party of case")
        self.assert_problem(self.request_copies("zhang.san", [s["application"]],
                                                requester="王五"), 422)
        self.assert_problem(self.request_copies("zhang.san", [s["application"]],
                                                received=at(-30)), 409)
        self.assert_problem(self.request_copies("zhang.san", [s["application"]],
                                                purpose=""), 422, mention="purpose")

        rid = self.request_copies("zhang.san", [s["application"]]).json["id"]
        self.assert_problem(self.decide(rid, decision="reject"), 422, mention="reasons")
        self.assert_problem(self.decide(rid, decision="maybe"), 422)
        r = self.decide(rid, decision="reject", reasons="与本案无关")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "rejected")
        self.assert_problem(self.as_user("zhang.san", "GET",
                                         "/api/v1/copy-requests/%s/copy" % rid), 409,
                            mention="rejected")
        self.assert_problem(self.as_user("li.si", "GET", "/api/v1/copy-requests/" + rid),
                            403)
        self.assert_problem(self.as_user("zhang.san", "GET",
                                         "/api/v1/copy-requests/2020-7"), 404)
        self.assert_problem(self.as_user("zhang.san", "GET",
                                         "/api/v1/copy-requests/x-1"), 422)
        listed = self.as_user("sun.jian", "GET",
                              "/api/v1/copy-requests?status=rejected").json
        self.assertEqual([i["id"] for i in listed["items"]], [rid])
        self.assert_problem(self.as_user("sun.jian", "GET",
                                         "/api/v1/copy-requests?status=lost"), 400)

    def findings(self):
        r = self.get("/api/v1/findings?code=copy-request-overdue")
        self.assertEqual(r.status, 200, r)
        return r.json["items"]

    def test_overdue_finding_and_its_cure(self):
        s = self.seq
        r = self.request_copies("wang.li", [s["application"]], requester="张三",
                                received=(today() - datetime.timedelta(days=40))
                                .isoformat())
        self.assertEqual(r.status, 201, r)
        rid = r.json["id"]
        self.assertTrue(r.json["overdue"])
        self.assertEqual(self.findings(), [])
        # The sweep (here the CLI's, beside the server) raises the finding.
        self.ok("copy", "list", "--as", "sun.jian", "--data", apitest.DATA)
        found = self.findings()
        self.assertEqual(len(found), 1, found)
        f = found[0]
        self.assertIsNone(f["cured"])
        self.assertEqual(f["case"], self.case)
        self.assertEqual(f["request"], rid)
        self.assertEqual(f["responsible"], "sun.jian")
        self.assertEqual(f["superior"], "li.ju")
        self.assertEqual(f["due"], r.json["due"])
        # Sweeping again raises nothing new.
        self.ok("copy", "list", "--as", "sun.jian", "--data", apitest.DATA)
        self.assertEqual(len(self.findings()), 1)
        self.assertEqual(self.decide(rid).status, 200)
        found = self.findings()
        self.assertEqual(len(found), 1)
        self.assertIsNotNone(found[0]["cured"])

        # Decided late before any sweep: raised and cured at once.
        r = self.request_copies("wang.li", [s["application"]], requester="张三",
                                received=(today() - datetime.timedelta(days=60))
                                .isoformat())
        late = r.json["id"]
        self.assertEqual(self.decide(late, decision="reject", reasons="逾期").status, 200)
        found = [f for f in self.findings() if f["request"] == late]
        self.assertEqual(len(found), 1)
        self.assertIsNotNone(found[0]["cured"])
        self.assertEqual(found[0]["responsible"], "sun.jian")

        # The log alone gives the same projections.
        rebuilt = self.ok("rebuild", "--json", "--data", apitest.DATA).json
        self.assertTrue(rebuilt["match"], rebuilt)

    def test_photo_marked_in_name_and_exif(self):
        when = datetime.datetime.now(CST).replace(microsecond=0)
        photo = os.path.join(self.tmp, "photo.jpg")
        original = mediafiles.exif_jpeg(mediafiles.base_jpeg(), when, "现场照片 原始说明")
        with open(photo, "wb") as f:
            f.write(original)
        seq = self.ok("media", "ingest", photo, "--device", "CAM-1", "--case",
                      self.case, "--device-copy-deleted", "--as", "wang.li",
                      "--json").json["items"][0]["seq"]
        rid = self.request_copies("zhang.san", [self.seq["application"]],
                                  media=[seq]).json["id"]
        self.assertEqual(self.decide(rid).status, 200)
        manifest = json.loads(self.members(self.download(rid, "zhang.san").body)
                              ["manifest.json"])
        self.assertEqual([i["seq"] for i in manifest["withheld"]
                          if i["item"] == "media"], [seq])

        # Lowered by the security administrator, the photo is given, marked.
        self.ok("mark", "media", str(seq), "personal", "--reason", "现场照片无人像",
                "--as", "sec.admin")
        r = self.download(rid, "zhang.san")
        copy_id = r.headers["Casetrail-Copy"]
        files = self.members(r.body)
        names = [n for n in files if n.startswith("media/")]
        self.assertEqual(len(names), 1, files.keys())
        self.assertIn("复制〔%d〕1号" % today().year, names[0])
        self.assertIn(copy_id, names[0])
        self.assertTrue(names[0].endswith(".jpg"))
        jpeg = files[names[0]]
        mark = json.loads(files["manifest.json"])["mark"].encode()
        self.assertEqual(jpeg[:2], b"\xff\xd8")
        app1 = jpeg.index(b"\xff\xe1")
        self.assertEqual(jpeg[app1 + 4:app1 + 10], b"Exif\0\0")
        self.assertIn(mark, jpeg)
        self.assertIn(b"UNICODE\0", jpeg)
        self.assertNotIn("原始说明".encode(), jpeg)
        # The image data from the start of scan on is the original's.
        sos = original.index(b"\xff\xda")
        self.assertTrue(jpeg.endswith(original[sos:]))
        item = [i for i in json.loads(files["manifest.json"])["included"]
                if i["item"] == "media"][0]
        self.assertEqual(item["marked"], "exif")
        self.assertEqual(item["sha256_of_original"],
                         "sha256:" + hashlib.sha256(original).hexdigest())

    def test_requester_name_cannot_leave_the_folder(self):
        """A requester's name is part of each media file's name; its '/'
        and leading dots must not make a path out of the copy set."""
        hostile = "../../../../tmp/逃逸/x"
        case = self.new_case(hostile, OTHER_ID)
        app = self.show(case)["records"][0]["seq"]
        photo = os.path.join(self.tmp, "photo2.jpg")
        with open(photo, "wb") as f:
            f.write(mediafiles.exif_jpeg(mediafiles.base_jpeg(),
                                         datetime.datetime.now(CST), "x"))
        seq = self.ok("media", "ingest", photo, "--device", "CAM-1", "--case",
                      case, "--device-copy-deleted", "--as", "wang.li",
                      "--json").json["items"][0]["seq"]
        self.ok("mark", "media", str(seq), "personal", "--reason", "无人像",
                "--as", "sec.admin")
        r = self.request_copies("wang.li", [app], case=case, media=[seq],
                                requester=hostile)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(self.decide(r.json["id"]).status, 200)
        body = self.download(r.json["id"], "wang.li").body
        with tarfile.open(fileobj=io.BytesIO(body)) as tar:
            names = tar.getnames()
        top = names[0].split("/", 1)[0]
        for name in names:
            parts = name.split("/")
            self.assertEqual(parts[0], top, names)
            self.assertNotIn("..", parts, names)
        media = [n for n in names if "/media/" in n]
        self.assertEqual(len(media), 1, names)
        self.assertEqual(media[0].count("/"), 2, media)

    def test_video_marked_in_its_metadata(self):
        start = datetime.datetime.now(CST).replace(microsecond=0)
        clip = os.path.join(self.tmp, "clip.mp4")
        mediafiles.mp4(clip, start)
        seq = self.ok("media", "ingest", clip, "--device", "BWC-1", "--case",
                      self.case, "--device-copy-deleted", "--as", "wang.li",
                      "--json").json["items"][0]["seq"]
        self.ok("mark", "media", str(seq), "personal", "--reason", "不含人像",
                "--as", "sec.admin")
        rid = self.request_copies("zhang.san", [self.seq["application"]],
                                  media=[seq]).json["id"]
        self.assertEqual(self.decide(rid).status, 200)
        r = self.download(rid, "zhang.san")
        files = self.members(r.body)
        mark = json.loads(files["manifest.json"])["mark"]
        names = [n for n in files if n.startswith("media/")]
        self.assertEqual(len(names), 1, files.keys())
        self.assertTrue(names[0].endswith(".mp4"))
        copied = os.path.join(self.tmp, "copied.mp4")
        with open(copied, "wb") as f:
            f.write(files[names[0]])
        probe = subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries",
             "format_tags=comment:format=duration:stream=codec_name", "-of", "json",
             copied], capture_output=True, text=True, check=True, timeout=60)
        info = json.loads(probe.stdout)
        self.assertEqual(info["format"]["tags"]["comment"], mark)
        self.assertAlmostEqual(float(info["format"]["duration"]), 2.0, delta=0.5)
        self.assertEqual([st["codec_name"] for st in info["streams"]], ["h264"])
        item = [i for i in json.loads(files["manifest.json"])["included"]
                if i["item"] == "media"][0]
        self.assertEqual(item["marked"], "metadata")


def apitest_png():
    """A 1x1 grey PNG, standing in for a scanned page."""
    import struct
    import zlib

    def chunk(kind, data):
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b""))


if __name__ == "__main__":
    apitest.ctest.main()
