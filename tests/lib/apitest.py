"""A casetrail server on loopback for the black-box tests of the API.

ApiTest gives each test a fresh store with two staff members and their
bearer tokens, made with `casetrail user add` and `casetrail token
create`, and a `casetrail serve` on 127.0.0.1 with a free port. The
bureau data is $CASETRAIL_DATA, else data/ of the source tree.

Python 3 standard library only.
"""

import http.client
import json
import os
import re
import socket
import subprocess
import tempfile
import time

import ctest

DATA = os.environ.get("CASETRAIL_DATA") or os.path.join(ctest.SRC, "data")

# Seconds to wait for the "listening" line or for the server to exit.
START_TIMEOUT = 20
STOP_TIMEOUT = 20

# Lines that ASan, LSan and UBSan print when a build has them enabled.
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                     "runtime error:")

PROBLEM_BASE = "https://casetrail.invalid/problems/"


class Response:
    """Status, headers and body of one HTTP response."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "%d %r" % (self.status, self.body[:600])


class Server:
    """A `casetrail serve` process with its log in a file.

    env adds variables to the server's environment, such as
    CASETRAIL_UPLOAD_MAX, and args adds options to `casetrail serve`.
    """

    def __init__(self, store_dir, data_dir=DATA, env=None, args=()):
        self.log_file = tempfile.NamedTemporaryFile(
            prefix="casetrail-serve-", suffix=".log", delete=False)
        env = dict(os.environ, CASETRAIL_LOG="info", **(env or {}))
        self.proc = subprocess.Popen(
            [ctest.BIN, "serve", "--dir", store_dir, "--data", data_dir,
             "--listen", "127.0.0.1:0", *args],
            stdout=subprocess.DEVNULL, stderr=self.log_file, env=env)
        self.port = self._wait_listening()
        self.base = "http://127.0.0.1:%d" % self.port

    def _wait_listening(self):
        pattern = re.compile(r'msg="?listening"? addr=127\.0\.0\.1:(\d+)')
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            match = pattern.search(self.log())
            if match:
                return int(match.group(1))
            if self.proc.poll() is not None:
                raise AssertionError("casetrail serve exited %d:\n%s"
                                     % (self.proc.returncode, self.log()))
            time.sleep(0.02)
        self.proc.kill()
        raise AssertionError("no listening line within %d s:\n%s"
                             % (START_TIMEOUT, self.log()))

    def log(self):
        with open(self.log_file.name, encoding="utf-8",
                  errors="replace") as f:
            return f.read()

    def request(self, method, path, body=None, headers=None, token=None):
        """Sends one request on a new connection and returns a Response.

        body may be bytes, or any other value, which is sent as JSON with
        Content-Type application/json unless headers set one.
        """
        headers = dict(headers or {})
        if token is not None:
            headers["Authorization"] = "Bearer " + token
        if body is not None and not isinstance(body, bytes):
            body = json.dumps(body, ensure_ascii=False).encode()
            headers.setdefault("Content-Type", "application/json")
        conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            return Response(resp.status, resp.headers, resp.read())
        finally:
            conn.close()

    def raw(self, data, read_until_close=True):
        """Sends raw bytes and returns the raw reply (for odd requests)."""
        with socket.create_connection(("127.0.0.1", self.port),
                                      timeout=10) as sock:
            sock.sendall(data)
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
                if not read_until_close and b"\r\n\r\n" in reply:
                    break
        return reply

    def close(self):
        """Stops the server; raises if it failed or a sanitizer spoke."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            code = self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise
        log = self.log()
        self.log_file.close()
        os.unlink(self.log_file.name)
        for marker in SANITIZER_MARKERS:
            if marker in log:
                raise AssertionError("sanitizer report in the server "
                                     "log:\n" + log)
        if code != 0:
            raise AssertionError("casetrail serve exited %d:\n%s"
                                 % (code, log))
        return log


class ApiTest(ctest.StoreTest):
    """A store with users wang.li (clerk) and zhao.min (handler), their
    tokens, and a server on it."""

    def setUp(self):
        super().setUp()
        self.ok("user", "add", "wang.li", "--role", "clerk", "--unit",
                "window", "--data", DATA)
        self.ok("user", "add", "zhao.min", "--role", "handler", "--unit",
                "licensing", "--data", DATA)
        self.token = self.create_token("wang.li")
        self.other_token = self.create_token("zhao.min")
        self.server = Server(self.dir)

    def tearDown(self):
        try:
            self.server_log = self.server.close()
        finally:
            super().tearDown()

    def create_token(self, user):
        out = self.ok("token", "create", "--user", user, "--data", DATA).out
        return out.strip().splitlines()[-1]

    def call(self, method, path, body=None, headers=None, token=True):
        """Sends a request with wang.li's token unless token is given."""
        if token is True:
            token = self.token
        return self.server.request(method, path, body, headers,
                                   token or None)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body, **kw):
        return self.call("POST", path, body, **kw)

    def upload(self, data, headers=None, **kw):
        """Uploads data (bytes) as one file; returns the Response."""
        headers = dict({"Content-Type": "application/octet-stream"},
                       **(headers or {}))
        return self.call("POST", "/api/v1/uploads", data, headers, **kw)

    def get_ok(self, path):
        r = self.get(path)
        self.assertEqual(r.status, 200, r)
        return r.json

    def entries(self):
        """The number of entries in the log, from /healthz."""
        r = self.server.request("GET", "/healthz")
        self.assertEqual(r.status, 200, r)
        return r.json["entries"]

    def assert_problem(self, r, status, slug=None, mention=None):
        """Checks that r is an RFC 9457 problem of status (and type)."""
        self.assertEqual(r.status, status, r)
        self.assertEqual(r.headers["Content-Type"],
                         "application/problem+json")
        problem = r.json
        self.assertEqual(problem["status"], status)
        self.assertTrue(problem["title"])
        self.assertTrue(problem["detail"])
        if slug is not None:
            self.assertEqual(problem["type"], PROBLEM_BASE + slug)
        if mention is not None:
            self.assertIn(mention, problem["detail"])
        return problem

    def open_case(self, matter, applicant="某某餐饮有限公司"):
        """Opens a case through the API and returns it."""
        r = self.post("/api/v1/cases", {
            "matter": matter, "applicant": applicant,
            "received": time.strftime("%Y-%m-%d")})
        self.assertEqual(r.status, 201, r)
        return r.json
