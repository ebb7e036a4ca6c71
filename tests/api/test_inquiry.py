#!/usr/bin/env python3
"""The applicants' status inquiry on its own listener, on loopback.

`casetrail inquiry serve` returns the stage, deadlines and served
documents of a case for its number and the code printed on the receipt. The
tests check right and wrong codes, that no personal data of the case
reaches the answer, the per-address rate limit, the lockout after wrong
codes, that no staff resource is reachable there, and that the code is
the same on every re-print and never in the log.

Python 3 standard library only.
"""

import datetime
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import apitest  # noqa: E402
import ctest  # noqa: E402

CST = datetime.timezone(datetime.timedelta(hours=8))
APPLICANT_ID = "320102199001011237"
PERSONAL = ("王小明", APPLICANT_ID, "13812345678", "中山路1号", "玄武区", "wang.li",
            "recipient", "applicant")


class InquiryServer:
    """A `casetrail inquiry serve` process with its log in a file."""

    def __init__(self, store, data, extra=()):
        self.log_file = tempfile.NamedTemporaryFile(
            prefix="casetrail-inquiry-", suffix=".log", delete=False)
        env = dict(os.environ, CASETRAIL_LOG="info")
        self.proc = subprocess.Popen(
            [ctest.BIN, "inquiry", "serve", "--dir", store, "--data", data,
             "--listen", "127.0.0.1:0", *extra],
            stdout=subprocess.DEVNULL, stderr=self.log_file, env=env)
        pattern = re.compile(r"mod=inquiry msg=listening addr=127\.0\.0\.1:(\d+)")
        deadline = time.monotonic() + apitest.START_TIMEOUT
        while time.monotonic() < deadline:
            match = pattern.search(self.log())
            if match:
                self.port = int(match.group(1))
                return
            if self.proc.poll() is not None:
                raise AssertionError("inquiry serve exited %d:\n%s"
                                     % (self.proc.returncode, self.log()))
            time.sleep(0.02)
        self.proc.kill()
        raise AssertionError("no listening line:\n" + self.log())

    def log(self):
        with open(self.log_file.name, encoding="utf-8", errors="replace") as f:
            return f.read()

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return apitest.Response(resp.status, resp.headers, resp.read())
        finally:
            conn.close()

    def lookup(self, case, code, headers=None):
        body = json.dumps({"case": case, "code": code}).encode()
        return self.request("POST", "/api/status", body,
                            dict({"Content-Type": "application/json"}, **(headers or {})))

    def form(self, case, code):
        body = urllib.parse.urlencode({"case": case, "code": code}).encode()
        return self.request("POST", "/status", body,
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        code = self.proc.wait(timeout=apitest.STOP_TIMEOUT)
        log = self.log()
        self.log_file.close()
        os.unlink(self.log_file.name)
        for marker in apitest.SANITIZER_MARKERS:
            if marker in log:
                raise AssertionError("sanitizer report:\n" + log)
        if code != 0:
            raise AssertionError("inquiry serve exited %d:\n%s" % (code, log))
        return log


def at(days, hour=10):
    t = datetime.datetime.combine(datetime.datetime.now(CST).date()
                                  + datetime.timedelta(days=days),
                                  datetime.time(hour, 0), CST)
    return min(t, datetime.datetime.now(CST).replace(microsecond=0)).isoformat()


class InquiryTest(ctest.StoreTest):
    """A refused and served case, and an open one, of the applicant 王小明."""

    def setUp(self):
        super().setUp()
        self.data = os.path.join(self.tmp, "data")
        shutil.copytree(apitest.DATA, self.data)
        self.ok("user", "add", "wang.li", "--role", "clerk", "--unit", "window",
                "--data", self.data)
        self.scan = os.path.join(self.tmp, "scan.png")
        with open(self.scan, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
        self.open_case = self.new_case()
        self.refused_case = self.new_case()
        self.refusal = self.add(self.refused_case, "refusal", {
            "reason_type": "not-competent", "reasons": "不属于本机关职权范围。",
            "basis": [{"law": "xzxkf", "version": "2019-04-23", "article": 32,
                       "paragraph": 1}],
            "competent_authority": "市市场监督管理局",
            "remedies": "如不服，可在六十日内申请行政复议。",
            "signatures": [self.staff_sig(), self.seal_sig()]})
        self.add(self.refused_case, "service-direct", {
            "document": "refusal", "document_seq": self.refusal, "served_on": at(0, 0),
            "recipient": "王小明", "method": "window",
            "signatures": [{"role": "server", "person": "wang.li", "method": "staff",
                            "at": at(0, 0)},
                           {"role": "recipient", "person": "王小明", "method": "paper",
                            "attachment": 0, "at": at(0, 0)}]})
        self.servers = []

    def tearDown(self):
        try:
            for s in self.servers:
                s.close()
        finally:
            super().tearDown()

    def staff_sig(self):
        return {"role": "clerk", "person": "wang.li", "method": "staff", "at": at(-1)}

    def seal_sig(self):
        return {"role": "seal", "person": "曹县行政审批局", "method": "seal",
                "attachment": 0, "at": at(-1)}

    def new_case(self):
        return self.ok("case", "new", "--matter", "spjy-xk", "--applicant", "王小明",
                       "--applicant-id", APPLICANT_ID, "--contact", "13812345678",
                       "--address", "南京市玄武区中山路1号", "--received", at(-2, 9),
                       "--materials", "sqs", "--as", "wang.li",
                       "--data", self.data).out.strip()

    def add(self, case, kind, fields):
        path = os.path.join(self.tmp, "fields-%s.json" % kind)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(fields, f, ensure_ascii=False)
        return self.ok("record", "add", "--case", case, "--kind", kind, "--fields",
                       path, "--attach", self.scan, "--as", "wang.li", "--at", at(-1),
                       "--data", self.data).json["seq"]

    def code(self, case):
        return self.ok("case", "inquiry-code", case, "--data", self.data).out.strip()

    def settings(self, **inquiry):
        """Changes the inquiry settings of the test's data folder."""
        path = os.path.join(self.data, "access.json")
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        doc["inquiry"].update(inquiry)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False)

    def serve(self, *extra):
        s = InquiryServer(self.dir, self.data, extra)
        self.servers.append(s)
        return s

    # --- tests ---------------------------------------------------------------

    def test_code_is_stable_and_well_formed(self):
        code = self.code(self.open_case)
        self.assertRegex(code, r"^[0-9A-HJKMNP-TV-Z]{8}$")
        self.assertEqual(self.code(self.open_case), code)
        self.assertEqual(self.ok("inquiry", "code", self.open_case, "--data",
                                 self.data).out.strip(), code)
        self.assertNotEqual(self.code(self.refused_case), code)
        r = self.ct("case", "inquiry-code", "2026-999999", "--data", self.data)
        self.assertEqual(r.code, 2, r)
        self.assertIn("not found", r.err)
        # The staff API gives the clerk the same code for the receipt.
        token = self.ok("token", "create", "--user", "wang.li", "--data",
                        self.data).out.strip().splitlines()[-1]
        server = apitest.Server(self.dir, self.data)
        try:
            r = server.request("GET", "/api/v1/cases/%s/inquiry-code"
                               % self.open_case, token=token)
        finally:
            server.close()
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json, {"case": self.open_case, "code": code})
        # The key survives a backup, so a restored store prints the same.
        backup = os.path.join(self.tmp, "backup")
        self.ok("backup", "--to", backup)
        r = ctest.run("case", "inquiry-code", self.open_case, "--dir", backup,
                      "--data", self.data)
        self.assertEqual(r.code, 0, r)
        self.assertEqual(r.out.strip(), code)

    def test_right_code_shows_status_without_personal_data(self):
        s = self.serve()
        code = self.code(self.refused_case)
        r = s.lookup(self.refused_case, code)
        self.assertEqual(r.status, 200, r)
        status = r.json
        self.assertEqual(status["case"], self.refused_case)
        self.assertEqual(status["matter"], "食品经营许可")
        self.assertEqual(status["stage"], "archive")
        self.assertEqual(status["deadlines"]["acceptance"]["state"], "met")
        self.assertEqual(len(status["served"]), 1)
        served = status["served"][0]
        self.assertEqual(served["title"], "不予受理决定书")
        self.assertRegex(served["number"], r"^曹审批不受〔\d{4}〕1号$")
        text = r.body.decode("utf-8")
        for personal in PERSONAL:
            self.assertNotIn(personal, text)
        # Lower case, spaces and a dash are read as the same code.
        loose = code[:4].lower() + "-" + code[4:]
        self.assertEqual(s.lookup(self.refused_case, loose).status, 200)

        page = s.form(self.open_case, self.code(self.open_case))
        self.assertEqual(page.status, 200, page)
        self.assertTrue(page.headers["Content-Type"].startswith("text/html"))
        html = page.body.decode("utf-8")
        self.assertIn("受理期限", html)
        self.assertIn(self.open_case, html)
        for personal in PERSONAL:
            self.assertNotIn(personal, html)
        self.assertEqual(page.headers["Cache-Control"], "no-store")
        self.assertIn("default-src 'none'", page.headers["Content-Security-Policy"])

        form = s.request("GET", "/")
        self.assertEqual(form.status, 200)
        self.assertIn("查询码", form.body.decode("utf-8"))
        # The code never reaches the log.
        log = s.close()
        self.servers.remove(s)
        self.assertNotIn(code, log)
        self.assertNotIn(loose, log)

    def test_wrong_codes_lock_the_case(self):
        self.settings(lockout_after=3, requests_per_minute=100)
        s = self.serve()
        code = self.code(self.open_case)
        wrong = "00000000" if code != "00000000" else "11111111"
        for _ in range(2):
            r = s.lookup(self.open_case, wrong)
            self.assertEqual(r.status, 403, r)
            self.assertNotIn("Retry-After", r.headers)
        r = s.lookup(self.open_case, wrong)
        self.assertEqual(r.status, 429, r)
        self.assertGreater(int(r.headers["Retry-After"]), 60)
        # Locked, the right code gets nothing either; another case still does.
        r = s.lookup(self.open_case, code)
        self.assertEqual(r.status, 429, r)
        self.assertNotIn(b"deadlines", r.body)
        self.assertEqual(s.lookup(self.refused_case, self.code(self.refused_case)).status,
                         200)
        # Malformed codes count as wrong; unknown cases never lock.
        self.assertEqual(s.lookup(self.refused_case, "short").status, 403)
        for _ in range(5):
            self.assertEqual(s.lookup("2026-999999", wrong).status, 403)
        self.assertEqual(s.lookup(self.refused_case, "x").status, 403)
        self.assertEqual(s.lookup(self.refused_case, "y").status, 429)
        self.assertIn("inquiry locked after wrong codes", s.log())

    def test_rate_limit_per_client_address(self):
        self.settings(requests_per_minute=3, lockout_after=100)
        s = self.serve("--trusted-proxy", "127.0.0.1")
        code = self.code(self.open_case)
        for _ in range(3):
            self.assertEqual(s.lookup(self.open_case, code).status, 200)
        r = s.lookup(self.open_case, code)
        self.assertEqual(r.status, 429, r)
        self.assertTrue(1 <= int(r.headers["Retry-After"]) <= 21, r.headers)
        page = s.form(self.open_case, code)
        self.assertEqual(page.status, 429)
        # Another client behind the trusted proxy has its own allowance.
        other = {"X-Forwarded-For": "203.0.113.9"}
        self.assertEqual(s.lookup(self.open_case, code, other).status, 200)
        # The form itself is not counted.
        self.assertEqual(s.request("GET", "/").status, 200)

    def test_staff_resources_are_not_served(self):
        s = self.serve()
        token = self.ok("token", "create", "--user", "wang.li", "--data",
                        self.data).out.strip().splitlines()[-1]
        auth = {"Authorization": "Bearer " + token}
        for method, path in (("GET", "/api/v1/cases"), ("GET", "/api/v1/cases/"
                             + self.open_case), ("POST", "/api/v1/cases"),
                             ("GET", "/api/v1/copy-requests"), ("GET", "/healthz"),
                             ("GET", "/metrics"), ("GET", "/checkpoint"),
                             ("GET", "/tile/0/000"), ("GET", "/api/v1/entries/0"),
                             ("GET", "/status/../api/v1/cases"), ("GET", "/favicon.ico")):
            r = s.request(method, path, b"{}" if method == "POST" else None, auth)
            self.assertEqual(r.status, 404, (method, path, r))
            self.assertNotIn(b"wang.li", r.body)
        self.assertEqual(s.request("GET", "/status").status, 405)
        self.assertEqual(s.request("GET", "/api/status").status, 405)
        self.assertEqual(s.request("POST", "/").status, 405)
        bad = s.request("POST", "/api/status", b"not json",
                        {"Content-Type": "application/json"})
        self.assertEqual(bad.status, 400)


if __name__ == "__main__":
    ctest.main()
