#!/usr/bin/env python3
"""File uploads over HTTP, and records that attach the uploaded files.

POST /api/v1/uploads streams one file into the blob store, and a record
names the returned hashes in "attachments". The tests check each reply
against hashes computed here, and that the server's peak memory does not
grow with the file. They also check the size limit, that an aborted
upload leaves no file behind, and a licensing case run from receipt to
service with every seal, signature and audio-visual record uploaded.

Python 3 standard library only. The memory and open-file checks read
/proc/<pid> of the server, so they need Linux.
"""

import hashlib
import http.client
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import apitest  # noqa: E402
import ctest  # noqa: E402
import workflow  # noqa: E402

MIB = 1 << 20

# The streamed upload, and how much it may raise the server's peak
# resident memory (VmHWM). The server uses a few 1 MiB buffers, so a
# growth near the file size means that the file was held in memory.
STREAM_SIZE = 200 * MIB
RSS_GROWTH_MAX = 32 * MIB

# The upload limit of the server in UploadLimitTest, in bytes.
SMALL_LIMIT = 65536

# Seconds to wait for the server to open or close a temporary file. A
# client that closes mid-upload may be noticed only at the server's
# connection timeout of 30 s, a limit of libmicrohttpd 0.9.75 in epoll
# mode.
WAIT_TIMEOUT = 45

# The start of an MP4 file, enough for libmagic to call it video/mp4.
MP4_HEAD = (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41"
            b"\x00\x00\x00\x08free\x00\x00\x00\x10mdat")


def status_kib(pid, field):
    """Reads a field of /proc/<pid>/status such as VmHWM, in KiB."""
    with open("/proc/%d/status" % pid, encoding="ascii") as f:
        for line in f:
            name, _, value = line.partition(":")
            if name == field:
                return int(value.split()[0])
    raise AssertionError("no %s in /proc/%d/status" % (field, pid))


def open_files_under(pid, folder):
    """Lists the targets of the process's descriptors inside folder."""
    prefix = os.path.realpath(folder) + "/"
    found = []
    fd_dir = "/proc/%d/fd" % pid
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except FileNotFoundError:
            continue
        if target.startswith(prefix):
            found.append(target)
    return found


def wait_for(condition, timeout=WAIT_TIMEOUT):
    """Polls condition until it is true; returns whether it became true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def scan(n):
    """Returns a distinct small PNG, a stand-in for a scanned page."""
    return workflow.png_bytes() + n.to_bytes(4, "big")


def video(n, size=3 * MIB):
    """Returns a distinct multi-megabyte stand-in for a video file."""
    body = n.to_bytes(4, "big") * ((size - len(MP4_HEAD)) // 4)
    return MP4_HEAD + body


class UploadCase(apitest.ApiTest):
    """Helpers shared by the upload tests."""

    def expected_hash(self, data):
        return "%s:%s" % (ctest.hash_name(self.crypto),
                          ctest.store_hash(self.crypto, data).hex())

    def assert_stored(self, r, data):
        """Checks a 201 reply to an upload of data and the stored file."""
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.headers["Content-Type"], "application/json")
        info = r.json
        self.assertEqual(sorted(info), ["hash", "sha256", "size", "type"])
        self.assertEqual(info["hash"], self.expected_hash(data))
        self.assertEqual(info["sha256"],
                         "sha256:" + hashlib.sha256(data).hexdigest())
        self.assertEqual(info["size"], len(data))
        self.assertIn("/", info["type"])
        hex_digest = info["hash"].split(":", 1)[1]
        path = self.path("blobs", ctest.hash_name(self.crypto),
                         hex_digest[:2], hex_digest[2:4], hex_digest)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), data, "stored file differs")
        return info

    def upload_ok(self, data, **kw):
        r = self.upload(data, **kw)
        return self.assert_stored(r, data)

    def tmp_folder(self):
        return self.path("blobs", "tmp")

    def assert_no_leftovers(self):
        """Checks that no blob and no temporary file, named or not, is
        left, once the server has closed what it had open."""
        pid = self.server.proc.pid
        self.assertTrue(
            wait_for(lambda: not open_files_under(pid, self.tmp_folder())),
            open_files_under(pid, self.tmp_folder()))
        self.assertEqual(os.listdir(self.tmp_folder()), [])
        self.assertEqual(ctest.blob_files(self.dir), [])


class UploadTest(UploadCase):
    """Uploads to a server with the default limit."""

    def test_small_file(self):
        info = self.upload_ok(b"hello, evidence")
        self.assertEqual(info["type"], "text/plain")

    def test_upload_appends_no_entry(self):
        before = self.entries()
        self.upload_ok(scan(1))
        self.assertEqual(self.entries(), before)

    def test_png_type_is_sniffed(self):
        info = self.upload_ok(scan(1), headers={"Content-Type": "text/plain"})
        self.assertEqual(info["type"], "image/png")

    def test_any_bytes_and_type_accepted(self):
        for content_type, data in (
                ("application/json", b"{not json"),
                ("text/plain; charset=utf-8", b"\xff\xfe\x00\x01"),
                ("multipart/form-data; boundary=x", b"--x\r\n"),
                (None, bytes(range(256)))):
            with self.subTest(content_type=content_type):
                headers = {"Content-Type": content_type}
                if content_type is None:
                    headers = {}
                r = self.call("POST", "/api/v1/uploads", data, headers)
                self.assert_stored(r, data)

    def test_zero_byte_file(self):
        info = self.upload_ok(b"")
        self.assertEqual(info["size"], 0)
        self.assertEqual(info["sha256"], "sha256:" + hashlib.sha256(
            b"").hexdigest())

    def test_multi_megabyte_file(self):
        data = os.urandom(7 * MIB + 12345)
        self.upload_ok(data)
        self.assertEqual(os.listdir(self.tmp_folder()), [])

    def test_same_bytes_stored_once(self):
        data = os.urandom(3 * MIB)
        first = self.upload_ok(data)
        second = self.upload_ok(data)
        self.assertEqual(first, second)
        self.assertEqual(len(ctest.blob_files(self.dir)), 1)

    def test_upload_is_logged(self):
        data = scan(2)
        # http.client sends header values as Latin-1, so this sends the
        # name's UTF-8 bytes as they are.
        name = "签名 1.png".encode().decode("latin-1")
        info = self.upload_ok(data, headers={
            "Content-Disposition": 'attachment; filename="%s"' % name})
        log = self.server.log()
        self.assertIn('msg="upload stored" user=wang.li size=%d hash=%s '
                      'type=image/png filename="签名 1.png"'
                      % (len(data), info["hash"]), log)

    def test_upload_needs_token(self):
        r = self.upload(b"x" * 1000, token=None)
        self.assert_problem(r, 401, "unauthorized", "Authorization")
        r = self.upload(b"x" * 1000, token="ct_" + "A" * 43)
        self.assert_problem(r, 401, "unauthorized")
        self.assertEqual(ctest.blob_files(self.dir), [])

    def test_query_parameter_is_400(self):
        r = self.call("POST", "/api/v1/uploads?name=a.png", b"x",
                      {"Content-Type": "image/png"})
        self.assert_problem(r, 400, "invalid-parameter", "name")
        self.assert_no_leftovers()

    def test_wrong_method_is_405(self):
        r = self.get("/api/v1/uploads")
        self.assert_problem(r, 405, None, "GET")
        self.assertEqual(r.headers["Allow"], "POST")

    def test_stream_keeps_memory_flat(self):
        pid = self.server.proc.pid
        # Load libmagic and the buffers of a first upload before measuring.
        self.upload_ok(os.urandom(4 * MIB))
        before = status_kib(pid, "VmHWM")

        digest = hashlib.sha256()

        def chunks():
            block = bytes(range(256)) * (MIB // 256)
            for i in range(STREAM_SIZE // MIB):
                piece = i.to_bytes(8, "big") + block[8:]
                digest.update(piece)
                yield piece

        conn = http.client.HTTPConnection("127.0.0.1", self.server.port,
                                          timeout=300)
        try:
            conn.request("POST", "/api/v1/uploads", body=chunks(), headers={
                "Authorization": "Bearer " + self.token,
                "Content-Type": "application/octet-stream",
                "Content-Length": str(STREAM_SIZE)})
            resp = conn.getresponse()
            r = apitest.Response(resp.status, resp.headers, resp.read())
        finally:
            conn.close()
        after = status_kib(pid, "VmHWM")

        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["size"], STREAM_SIZE)
        self.assertEqual(r.json["sha256"], "sha256:" + digest.hexdigest())
        growth = (after - before) * 1024
        self.assertLess(growth, RSS_GROWTH_MAX,
                        "peak RSS grew by %d MiB for a %d MiB upload"
                        % (growth // MIB, STREAM_SIZE // MIB))
        self.assertEqual(os.listdir(self.tmp_folder()), [])

    def test_disconnect_leaves_nothing(self):
        pid = self.server.proc.pid
        head = ("POST /api/v1/uploads HTTP/1.1\r\nHost: t\r\n"
                "Authorization: Bearer %s\r\n"
                "Content-Type: video/mp4\r\nContent-Length: %d\r\n\r\n"
                % (self.token, 64 * MIB)).encode()
        sock = socket.create_connection(("127.0.0.1", self.server.port),
                                        timeout=10)
        try:
            sock.sendall(head + MP4_HEAD + b"\x00" * (4 * MIB))
            self.assertTrue(
                wait_for(lambda: open_files_under(pid, self.tmp_folder())),
                "the server opened no temporary file for the upload")
            self.assertEqual(os.listdir(self.tmp_folder()), [],
                             "the temporary file of an upload has a name")
        finally:
            sock.close()
        self.assert_no_leftovers()
        self.assertTrue(wait_for(
            lambda: "partial upload discarded" in self.server.log()))
        self.assertRegex(self.server.log(), r'msg="partial upload '
                         r'discarded" user=wang\.li bytes=\d+')
        self.upload_ok(b"the server still works")


class UploadLimitTest(UploadCase):
    """Uploads to a server started with CASETRAIL_UPLOAD_MAX=65536."""

    def setUp(self):
        super().setUp()
        self.server.close()
        self.server = apitest.Server(
            self.dir, env={"CASETRAIL_UPLOAD_MAX": str(SMALL_LIMIT)})

    def test_limit_is_logged(self):
        self.assertIn("upload_max=%d" % SMALL_LIMIT, self.server.log())

    def test_file_at_limit_is_stored(self):
        self.upload_ok(os.urandom(SMALL_LIMIT))

    def test_declared_length_over_limit_is_413(self):
        r = self.upload(os.urandom(SMALL_LIMIT + 1))
        self.assert_problem(r, 413, "body-too-large", str(SMALL_LIMIT))
        self.assert_no_leftovers()

    def test_over_limit_before_continue(self):
        request = ("POST /api/v1/uploads HTTP/1.1\r\nHost: t\r\n"
                   "Authorization: Bearer %s\r\n"
                   "Content-Length: %d\r\nExpect: 100-continue\r\n\r\n"
                   % (self.token, 1 << 30)).encode()
        reply = self.server.raw(request)
        self.assertTrue(reply.startswith(b"HTTP/1.1 413"), reply[:200])
        self.assertIn(str(SMALL_LIMIT).encode(), reply)
        self.assert_no_leftovers()

    def test_chunked_over_limit_is_413(self):
        def chunks():
            for _ in range(32):
                yield b"x" * 8192

        conn = http.client.HTTPConnection("127.0.0.1", self.server.port,
                                          timeout=30)
        try:
            conn.request("POST", "/api/v1/uploads", body=chunks(),
                         encode_chunked=True,
                         headers={"Authorization": "Bearer " + self.token})
            resp = conn.getresponse()
            r = apitest.Response(resp.status, resp.headers, resp.read())
        finally:
            conn.close()
        self.assert_problem(r, 413, "body-too-large", str(SMALL_LIMIT))
        self.assert_no_leftovers()

    def test_far_over_limit_closes(self):
        head = ("POST /api/v1/uploads HTTP/1.1\r\nHost: t\r\n"
                "Authorization: Bearer %s\r\n"
                "Transfer-Encoding: chunked\r\n\r\n" % self.token).encode()
        chunk = b"%x\r\n%s\r\n" % (MIB, b"x" * MIB)
        closed = False
        with socket.create_connection(("127.0.0.1", self.server.port),
                                      timeout=10) as sock:
            try:
                sock.sendall(head)
                for _ in range(32):
                    sock.sendall(chunk)
                closed = sock.recv(65536) == b""
            except (BrokenPipeError, ConnectionResetError):
                closed = True
        self.assertTrue(closed, "the server kept reading a 32 MiB upload")
        self.assertTrue(wait_for(lambda: "upload is over the limit"
                                 in self.server.log()))
        self.assert_no_leftovers()

    def test_invalid_limit_stops_server(self):
        for value in ("abc", "0", "-1", "01", "1e9", "99999999999999999999"):
            with self.subTest(value=value):
                r = self.ct("serve", "--data", apitest.DATA, "--listen",
                            "127.0.0.1:0",
                            env={"CASETRAIL_UPLOAD_MAX": value}, timeout=30)
                self.assertEqual(r.code, 2, r)
                self.assertIn("CASETRAIL_UPLOAD_MAX '%s'" % value, r.err)


class AttachmentTest(UploadCase):
    """Notes that attach uploaded files, and bad attachment lists."""

    def setUp(self):
        super().setUp()
        matter = self.get_ok("/api/v1/matters?limit=1")["items"][0]["code"]
        self.case_id = self.open_case(matter)["id"]
        self.records = "/api/v1/cases/%s/records" % self.case_id
        self.baseline = self.entries()

    def note(self, attachments):
        return {"kind": "note", "fields": {"text": "现场照片两张。"},
                "attachments": attachments}

    def assert_nothing_stored(self, blobs):
        self.assertEqual(self.entries(), self.baseline)
        self.assertEqual(ctest.blob_files(self.dir), blobs)

    def test_note_attaches_uploads(self):
        files = [scan(1), video(1)]
        infos = [self.upload_ok(data) for data in files]
        r = self.post(self.records, self.note([i["hash"] for i in infos]))
        self.assertEqual(r.status, 201, r)
        seq = r.json["seq"]

        expected = [{"hash": i["hash"], "size": i["size"], "type": i["type"]}
                    for i in infos]
        self.assertEqual(expected[1]["type"], "video/mp4")
        record = self.get_ok("/api/v1/records/%d" % seq)
        self.assertEqual(record["attachments"], expected)
        entry = json.loads(self.server.request(
            "GET", "/api/v1/entries/%d" % seq).body)
        self.assertEqual(entry["attachments"], expected)
        verify = self.ct("verify")
        self.assertEqual(verify.code, 0, verify)

    def test_unknown_hash_is_422(self):
        known = self.upload_ok(scan(1))["hash"]
        blobs = ctest.blob_files(self.dir)
        unknown = self.expected_hash(b"never uploaded")
        r = self.post(self.records, self.note([known, unknown]))
        self.assert_problem(r, 422, "validation-failed", unknown)
        self.assertIn("attachments[1]", r.json["detail"])
        self.assertIn("upload the file first", r.json["detail"])
        self.assert_nothing_stored(blobs)

    def test_malformed_lists_are_422(self):
        known = self.upload_ok(scan(1))["hash"]
        blobs = ctest.blob_files(self.dir)
        other = "sha256" if self.crypto == "gm" else "sm3"
        digest = known.split(":", 1)[1]
        cases = [
            ("attachments-not-array", {"hash": known}, "array"),
            ("not-string", [known, 5], "attachments[1]"),
            ("duplicate", [known, known], "repeats"),
            ("relative-path", ["../../config.json"], "../../config.json"),
            ("other-hash", ["%s:%s" % (other, digest)], other + ":"),
            ("uppercase-hex", [known.upper()], known.upper()),
            ("short", [known[:-2]], known[:-2]),
            ("too-many", ["h%d" % i for i in range(65)], "64"),
        ]
        for name, attachments, mention in cases:
            with self.subTest(name):
                r = self.post(self.records, self.note(attachments))
                self.assert_problem(r, 422, "validation-failed", mention)
        self.assert_nothing_stored(blobs)

    def test_correction_takes_no_attachments(self):
        r = self.post(self.records, self.note([]))
        self.assertEqual(r.status, 201, r)
        known = self.upload_ok(scan(1))["hash"]
        r = self.post("/api/v1/records/%d/corrections" % r.json["seq"], {
            "reason": "补充照片", "fields": {"text": "现场照片一张。"},
            "attachments": [known]})
        self.assert_problem(r, 422, "validation-failed", "attachments")
        self.assertEqual(self.entries(), self.baseline + 1)


class StandardAttachmentTest(AttachmentTest):
    """The same in a standard-mode store, whose own hash is SHA-256."""

    crypto = "standard"


class LicensingCaseTest(UploadCase):
    """A licence case run through the API with the bureau's staff."""

    def setUp(self):
        super().setUp()
        for name, roles, unit, cred, until, sup in workflow.STAFF:
            args = ["user", "add", name, "--role", roles, "--unit", unit,
                    "--as", "admin", "--data", apitest.DATA]
            if cred:
                args += ["--credential", cred,
                         "--credential-valid-until", until]
            if sup:
                args += ["--superior", sup]
            self.ok(*args)
            # The bureau's staff read the personal data of their cases.
            self.ok("user", "clearance", name,
                    "sensitive-personal,commercial-secret")
        self.tokens = {name: self.create_token(name)
                       for name in ("wang.clerk", "zhang.head", "zhao.rev",
                                    "li.handler")}
        self.nfiles = 0

    def new_case(self):
        r = self.post("/api/v1/cases", {
            "matter": "spjy-xk", "applicant": "某某餐饮管理有限公司",
            "applicant_id": "91320102MA1W8XYZ3K",
            "received": workflow.at(-3, 9), "contact": "13912345678",
            "address": "南京市秦淮区中山南路1号", "materials": ["sqs", "yyzz"],
            "channel": "window"}, token=self.tokens["wang.clerk"])
        self.assertEqual(r.status, 201, r)
        return r.json["id"]

    def add(self, case, kind, fields, actor, files=()):
        """Uploads files, adds a record that attaches them, and checks
        that the record lists them in order."""
        hashes = [self.upload_ok(data, token=self.tokens[actor])["hash"]
                  for data in files]
        body = {"kind": kind, "fields": fields}
        if hashes:
            body["attachments"] = hashes
        r = self.post("/api/v1/cases/%s/records" % case, body,
                      token=self.tokens[actor])
        self.assertEqual(r.status, 201, "%s: %r" % (kind, r))
        r = self.get("/api/v1/records/%d" % r.json["seq"],
                     token=self.tokens[actor])
        self.assertEqual(r.status, 200, r)
        record = r.json
        self.assertEqual([a["hash"] for a in record.get("attachments", [])],
                         hashes, kind)
        return record

    def scans(self, n=1):
        self.nfiles += 1
        return [scan(self.nfiles * 100 + i) for i in range(n)]

    def test_case_from_receipt_to_service(self):
        sig, seal, party = (workflow.staff_sig, workflow.seal_sig,
                            workflow.party_sig)
        day, at = workflow.day, workflow.at
        case = self.new_case()
        self.add(case, "material-receipt", {
            "received": [{"code": "sqs", "name": "食品经营许可申请书",
                          "copies": 1, "original": True}],
            "receipt_date": day(-3),
            "signatures": [sig("clerk", "wang.clerk"), seal(0)],
        }, "wang.clerk", self.scans())
        self.add(case, "acceptance-notice", {
            "accepted_on": day(-3),
            "time_limit_clause": "本机关将自受理之日起二十个工作日内作出决定。",
            "signatures": [sig("clerk", "wang.clerk"), seal(0)],
        }, "wang.clerk", self.scans())
        self.add(case, "assignment", {
            "handler": "li.handler", "reviewer": "zhao.rev",
            "approver": "zhang.head",
            "signatures": [sig("approver", "zhang.head")],
        }, "zhang.head")
        self.add(case, "rights-notice", {
            "rights": ["陈述", "申辩", "申请回避", "申请听证"],
            "told_on": day(-3), "method": "written",
            "signatures": [sig("handler", "li.handler"),
                           party("party", "张三")],
        }, "li.handler", self.scans())
        onsite = self.add(case, "onsite-verification", {
            "place": "南京市秦淮区中山南路1号经营场所",
            "start": at(-1, 9), "end": at(-1, 10),
            "officers": workflow.OFFICERS,
            "findings": "经营场所与申请材料一致。", "pages": 2,
            "confirmation": "以上笔录我已看过，与我所说相符",
            "av": [{"attachment": 1}],
            "signatures": [sig("officer", "li.handler"),
                           sig("officer", "sun.officer"),
                           party("party", "张三", 0, 2)],
        }, "li.handler", self.scans() + [video(1)])
        self.assertEqual(onsite["attachments"][1]["type"], "video/mp4")
        self.add(case, "proposed-decision", {
            "result": "grant", "opinion": "建议准予许可",
            "reasons": "申请材料齐全，现场核查符合要求。",
            "basis": workflow.BASIS, "factors": ["材料", "现场核查"],
            "signatures": [sig("handler", "li.handler")],
        }, "li.handler")
        for step, actor, role in (("review", "zhao.rev", "reviewer"),
                                  ("approve", "zhang.head", "approver")):
            self.add(case, "approval-step", {
                "step": step, "opinion": "agree",
                "reasons": "同意承办人意见。",
                "signatures": [sig(role, actor)],
            }, actor)
        self.add(case, "decision", {
            "result": "grant", "reasons": "经审查，申请符合法定条件、标准。",
            "basis": workflow.BASIS,
            "remedies": "如不服本决定，可在六十日内申请行政复议，"
                        "或在六个月内提起行政诉讼。",
            "valid_from": day(0), "valid_until": day(365 * 5),
            "signatures": [sig("approver", "zhang.head"), seal(0)],
        }, "zhang.head", self.scans())
        self.add(case, "address-confirmation", {
            "address": "南京市秦淮区中山南路1号", "recipient": "张三",
            "phone": "13912345678", "electronic_consent": False,
            "signatures": [party("applicant", "张三")],
        }, "wang.clerk", self.scans())
        self.add(case, "licence-issue", {
            "licence_no": "JY13201040012345", "issued_on": day(0),
            "signatures": [sig("clerk", "wang.clerk")],
        }, "wang.clerk")
        self.add(case, "service-direct", {
            "document": "licence", "served_on": at(0, 0),
            "recipient": "张三", "method": "window",
            "signatures": [sig("server", "wang.clerk"),
                           party("recipient", "张三")],
        }, "wang.clerk", self.scans())

        r = self.get("/api/v1/cases/" + case, token=self.tokens["zhang.head"])
        self.assertEqual(r.status, 200, r)
        shown = r.json
        self.assertEqual(shown["stage"], "archive", "stage after service")
        self.assertEqual(shown["status"], "granted", "status after service")
        self.assertEqual(len(ctest.blob_files(self.dir)), 8)
        verify = self.ct("verify")
        self.assertEqual(verify.code, 0, verify)

    def test_unknown_seal_file_is_422(self):
        case = self.new_case()
        baseline = self.entries()
        unknown = self.expected_hash(b"a seal never uploaded")
        r = self.post("/api/v1/cases/%s/records" % case, {
            "kind": "material-receipt",
            "fields": {
                "received": [{"code": "sqs", "name": "食品经营许可申请书",
                              "copies": 1, "original": True}],
                "receipt_date": workflow.day(-1),
                "signatures": [workflow.staff_sig("clerk", "wang.clerk"),
                               workflow.seal_sig(0)]},
            "attachments": [unknown]}, token=self.tokens["wang.clerk"])
        self.assert_problem(r, 422, "validation-failed", unknown)
        self.assertIn("upload the file first", r.json["detail"])
        self.assertEqual(self.entries(), baseline)
        self.assertEqual(ctest.blob_files(self.dir), [])

    def test_seal_index_beyond_list_is_422(self):
        case = self.new_case()
        baseline = self.entries()
        known = self.upload_ok(scan(1))["hash"]
        r = self.post("/api/v1/cases/%s/records" % case, {
            "kind": "material-receipt",
            "fields": {
                "received": [{"code": "sqs", "name": "食品经营许可申请书",
                              "copies": 1, "original": True}],
                "receipt_date": workflow.day(-1),
                "signatures": [workflow.staff_sig("clerk", "wang.clerk"),
                               workflow.seal_sig(1)]},
            "attachments": [known]}, token=self.tokens["wang.clerk"])
        self.assert_problem(r, 422, "validation-failed", "attachment")
        self.assertEqual(self.entries(), baseline)


if __name__ == "__main__":
    ctest.main()
