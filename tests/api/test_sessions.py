#!/usr/bin/env python3
"""Browser sessions, passwords, TOTP and account administration over HTTP.

Each test gets a store made by `casetrail init` (with its first system
administrator and one-time password) and a `casetrail serve` on
127.0.0.1. Accounts are added with the command line as the operator,
who has no account. The tests sign in with POST /api/v1/session and use
the cookie and the CSRF token as a browser does, and compute TOTP codes
(RFC 6238) themselves.

Every password, one-time password, session cookie, CSRF token and TOTP
secret a test uses is collected, and tearDown fails when any of them is
in the server's log or on the standard error of a command.

Python 3 standard library only.
"""

import base64
import hashlib
import hmac
import http.client
import itertools
import json
import os
import shutil
import struct
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import apitest  # noqa: E402
import ctest  # noqa: E402

COOKIE = "casetrail_session"
ADMIN_ROLES = ("sysadmin", "secadmin", "auditor")


def totp(secret, step):
    """The 6-digit RFC 6238 code (HMAC-SHA1) of base32 secret at step."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return "%06d" % (value % 1000000)


class Authenticator:
    """An authenticator app: hands out each time step's code once."""

    def __init__(self, secret):
        self.secret = secret
        self.last = None

    def code(self):
        """A code the server has not seen: the previous, current or next
        step's, waiting for a new step when all three were used."""
        while True:
            now = int(time.time()) // 30
            step = now - 1 if self.last is None else max(now - 1,
                                                         self.last + 1)
            if step <= now + 1:
                self.last = step
                return totp(self.secret, step)
            time.sleep(1)


class Browser:
    """A client that keeps the session cookie and sends the CSRF token."""

    def __init__(self, test, source="127.0.0.1"):
        self.test = test
        self.source = source
        self.cookie = None
        self.csrf = None

    def request(self, method, path, body=None, csrf=True, headers=None,
                cookie=None):
        headers = dict(headers or {})
        cookie = cookie if cookie is not None else self.cookie
        if cookie:
            headers["Cookie"] = "%s=%s" % (COOKIE, cookie)
        if csrf and self.csrf and method not in ("GET", "HEAD"):
            headers["X-CSRF-Token"] = self.csrf
        if body is not None:
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        conn = http.client.HTTPConnection(
            "127.0.0.1", self.test.server.port, timeout=30,
            source_address=(self.source, 0))
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            r = apitest.Response(resp.status, resp.headers, resp.read())
        finally:
            conn.close()
        for line in r.headers.get_all("Set-Cookie") or []:
            name, _, rest = line.partition("=")
            if name == COOKIE:
                value = rest.split(";")[0]
                self.cookie = value or None
                if value:
                    self.test.secrets.append(value)
        if r.status == 200 and r.body.startswith(b"{"):
            token = r.json.get("csrf_token")
            if token:
                self.csrf = token
                self.test.secrets.append(token)
        return r

    def sign_in(self, user, password):
        return self.request("POST", "/api/v1/session",
                            {"user": user, "password": password})

    def change_password(self, old, new):
        return self.request("POST", "/api/v1/session/password",
                            {"old": old, "new": new})


class AccountTest(unittest.TestCase):
    """A store with its first system administrator, and a server."""

    env = {"CASETRAIL_LOGIN_RATE": "1000"}
    counter = itertools.count()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="casetrail-sessions-")
        self.dir = os.path.join(self.tmp, "store")
        self.secrets = []
        self.stderr = []
        r = self.ct("init", "--host", "test.example")
        self.assertEqual(r.code, 0, r)
        admin = r.json["admin"]
        self.assertEqual(admin["user"], "admin")
        self.admin_otp = admin["one_time_password"]
        self.secrets.append(self.admin_otp)
        self.server = apitest.Server(self.dir, env=self.env)
        self.logs = []

    def tearDown(self):
        try:
            self.logs.append(self.server.close())
            text = "\n".join(self.logs + self.stderr)
            for secret in self.secrets:
                self.assertNotIn(secret, text, "a secret is in the server "
                                 "log or a command's standard error")
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def restart(self):
        self.logs.append(self.server.close())
        self.server = apitest.Server(self.dir, env=self.env)

    def ct(self, *args):
        r = ctest.run(*args, "--dir", self.dir)
        self.stderr.append(r.err)
        return r

    def ok(self, *args):
        r = self.ct(*args)
        self.assertEqual(r.code, 0, r)
        return r

    def strong(self):
        """A new password that meets the policy."""
        p = "Kt7-vQ%d-mZ%d-pLw" % (next(self.counter), os.getpid())
        self.secrets.append(p)
        return p

    def add_user(self, name, roles=None, unit=None):
        """Adds an account with a one-time password; returns it."""
        args = ["user", "add", name, "--password", "--data", apitest.DATA]
        if roles:
            args += ["--role", roles]
        if unit:
            args += ["--unit", unit]
        otp = self.ok(*args).json["one_time_password"]
        self.secrets.append(otp)
        return otp

    def signed_in(self, name, otp):
        """Signs name in with its one-time password and changes it;
        returns the browser and the new password."""
        b = Browser(self)
        r = b.sign_in(name, otp)
        self.assertEqual(r.status, 200, r)
        password = self.strong()
        r = b.change_password(otp, password)
        self.assertEqual(r.status, 200, r)
        return b, password

    def enrol(self, b):
        """Enrols the signed-in user in TOTP and gives a first code."""
        r = b.request("POST", "/api/v1/session/totp/enrolment", {})
        self.assertEqual(r.status, 201, r)
        secret = r.json["secret"]
        self.secrets.append(secret)
        self.assertTrue(r.json["uri"].startswith("otpauth://totp/"))
        app = Authenticator(secret)
        r = b.request("POST", "/api/v1/session/totp", {"code": app.code()})
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json["second_factor"])
        return app

    def admin(self, name=None, role="sysadmin"):
        """A fully signed-in administrator: (browser, password, app)."""
        if name is None:
            b, password = self.signed_in("admin", self.admin_otp)
        else:
            b, password = self.signed_in(name, self.add_user(name, role))
        return b, password, self.enrol(b)

    def assert_problem(self, r, status, slug=None, mention=None):
        self.assertEqual(r.status, status, r)
        problem = r.json
        if slug:
            self.assertEqual(problem["type"], apitest.PROBLEM_BASE + slug)
        if mention:
            self.assertIn(mention, problem["detail"])
        return problem


class SignInTest(AccountTest):

    def test_cookie_flags_and_body(self):
        b = Browser(self)
        r = b.sign_in("admin", self.admin_otp)
        self.assertEqual(r.status, 200, r)
        cookie = r.headers["Set-Cookie"]
        self.assertTrue(cookie.startswith(COOKIE + "=cs_"), cookie)
        for attribute in ("HttpOnly", "SameSite=Strict", "Path=/",
                          "Max-Age=28800"):
            self.assertIn("; " + attribute, cookie)
        self.assertNotIn("Secure", cookie)
        self.assertEqual(r.headers["Cache-Control"], "no-store")
        body = r.json
        self.assertEqual(body["user"], "admin")
        self.assertEqual(body["roles"], ["sysadmin"])
        self.assertTrue(body["second_factor_required"])
        self.assertFalse(body["second_factor"])
        self.assertTrue(body["must_change_password"])
        self.assertRegex(body["csrf_token"], r"^[A-Za-z0-9_-]{43}$")
        self.assertIn("expires", body)
        r = b.request("GET", "/api/v1/session")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["csrf_token"], body["csrf_token"])

    def test_wrong_password_and_unknown_user_alike(self):
        b = Browser(self)
        wrong = b.sign_in("admin", "Not-The-Password-1")
        unknown = b.sign_in("nobody", "Not-The-Password-1")
        for r in (wrong, unknown):
            self.assert_problem(r, 401, "unauthorized")
            self.assertIsNone(r.headers["Set-Cookie"])
        self.assertEqual(wrong.json["detail"], unknown.json["detail"])
        self.assertNotIn("Not-The-Password-1", wrong.json["detail"])
        # Both are recorded; the account is not locked by two.
        status = self.ok("user", "status", "admin").json
        self.assertEqual(status["failed_sign_ins"], 1)
        self.assertIsNone(status["locked_until"])
        self.assertEqual(b.sign_in("admin", self.admin_otp).status, 200)
        self.assertEqual(self.ok("user", "status", "admin")
                         .json["failed_sign_ins"], 0)

    def test_malformed_sign_in(self):
        b = Browser(self)
        r = b.request("POST", "/api/v1/session", {"user": "admin"})
        self.assert_problem(r, 422, "validation-failed", "password")
        r = b.request("POST", "/api/v1/session",
                      {"user": "admin", "password": 12})
        self.assert_problem(r, 422, "validation-failed")
        secret = "Half-Typed-Secret-7"
        r = self.server.request(
            "POST", "/api/v1/session",
            body=('{"user": "admin", "password": "%s' % secret).encode(),
            headers={"Content-Type": "application/json"})
        self.assert_problem(r, 400, "invalid-json")
        self.assertNotIn(secret, r.body.decode())
        self.secrets.append(secret)
        r = b.request("POST", "/api/v1/session",
                      {"user": "admin", "password": "x", "extra": 1})
        self.assert_problem(r, 422, "validation-failed", "extra")

    def test_one_time_password_must_change_first(self):
        otp = self.add_user("wang.li", "clerk", "window")
        b = Browser(self)
        r = b.sign_in("wang.li", otp)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json["must_change_password"])
        self.assertFalse(r.json["second_factor_required"])
        r = b.request("GET", "/api/v1/cases")
        self.assert_problem(r, 403, "forbidden", "one-time password")
        self.assertEqual(b.request("GET", "/api/v1/session").status, 200)
        # The old password must be the right one.
        r = b.change_password("Wrong-Old-Pass-1", self.strong())
        self.assert_problem(r, 403, "forbidden", "current password")
        new = self.strong()
        r = b.change_password(otp, new)
        self.assertEqual(r.status, 200, r)
        self.assertFalse(r.json["must_change_password"])
        self.assertEqual(b.request("GET", "/api/v1/cases").status, 200)
        # The one-time password is spent; the new one signs in.
        other = Browser(self)
        self.assertEqual(other.sign_in("wang.li", otp).status, 401)
        r = other.sign_in("wang.li", new)
        self.assertEqual(r.status, 200, r)
        self.assertFalse(r.json["must_change_password"])

    def test_password_policy_messages(self):
        otp = self.add_user("wang.jianguo", "clerk")
        b = Browser(self)
        self.assertEqual(b.sign_in("wang.jianguo", otp).status, 200)
        cases = [
            ("Sh0rt-Pass", "too short: it has 10 characters and needs at "
             "least 12"),
            ("alllowercaseletters", "uses 1 of the four kinds"),
            ("lowercase-and-dash", "uses 2 of the four kinds"),
            ("Jianguo-2026-Pass", "contains the user name"),
            ("My-Wang.Jianguo-1", "contains the user name"),
            ("P@ssw0rd1234", "most commonly used"),
            ("Tab\tInside-Pass1", "control character"),
            (otp, "same as the current one"),
        ]
        for password, message in cases:
            with self.subTest(message=message):
                self.secrets.append(password)
                r = b.change_password(otp, password)
                problem = self.assert_problem(r, 422, "validation-failed",
                                              message)
                self.assertNotIn(password, problem["detail"])
        # Characters, not bytes, count: thirteen Chinese characters, a
        # letter and a digit meet the length and class rules.
        good = "行政审批全过程记录系统安全A1"
        self.secrets.append(good)
        self.assertEqual(b.change_password(otp, good).status, 200)

    def test_session_fixation(self):
        b = Browser(self)
        invented = "cs_" + "A" * 43
        self.secrets.append(invented)
        # A session id the client makes up is not a session.
        r = b.request("GET", "/api/v1/session", cookie=invented)
        self.assert_problem(r, 401, "unauthorized")
        self.assertIn("Max-Age=0", r.headers["Set-Cookie"])
        # Signing in with it sends a new id and never adopts the old one.
        r = b.request("POST", "/api/v1/session",
                      {"user": "admin", "password": self.admin_otp},
                      cookie=invented)
        self.assertEqual(r.status, 200, r)
        self.assertNotEqual(b.cookie, invented)
        self.assertNotIn(invented, r.headers["Set-Cookie"])
        issued = b.cookie
        r = b.request("GET", "/api/v1/session", cookie=invented)
        self.assertEqual(r.status, 401, r)
        # The browser drops the cookie the 401 cleared; the issued one works.
        b.cookie = issued
        self.assertEqual(b.request("GET", "/api/v1/session").status, 200)
        # Each sign-in draws a new id.
        first = b.cookie
        self.assertEqual(b.sign_in("admin", self.admin_otp).status, 200)
        self.assertNotEqual(b.cookie, first)

    def test_csrf_missing_or_wrong(self):
        b, _, _ = self.admin()
        r = b.request("POST", "/api/v1/users", {"name": "zhao.min"},
                      csrf=False)
        self.assert_problem(r, 403, "forbidden", "no X-CSRF-Token")
        r = b.request("POST", "/api/v1/users", {"name": "zhao.min"},
                      csrf=False, headers={"X-CSRF-Token": "x" * 43})
        self.assert_problem(r, 403, "forbidden", "wrong X-CSRF-Token")
        r = b.request("DELETE", "/api/v1/session", csrf=False)
        self.assert_problem(r, 403, "forbidden")
        # Nothing was done: no account, and the session still works.
        self.assertEqual(self.ct("user", "show", "zhao.min").code, 2)
        self.assertEqual(b.request("GET", "/api/v1/users").status, 200)
        # With the token the same request goes through.
        r = b.request("POST", "/api/v1/users", {"name": "zhao.min"})
        self.assertEqual(r.status, 201, r)
        self.secrets.append(r.json["one_time_password"])
        # Another session's token is not this session's.
        other = Browser(self)
        r = other.sign_in("zhao.min", r.json["one_time_password"])
        self.assertEqual(r.status, 200, r)
        r = b.request("DELETE", "/api/v1/session", csrf=False,
                      headers={"X-CSRF-Token": other.csrf})
        self.assert_problem(r, 403, "forbidden")

    def test_logout_ends_session(self):
        otp = self.add_user("wang.li", "clerk")
        b, _ = self.signed_in("wang.li", otp)
        cookie = b.cookie
        r = b.request("DELETE", "/api/v1/session")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json["signed_out"])
        self.assertIn("Max-Age=0", r.headers["Set-Cookie"])
        self.assertIsNone(b.cookie)
        # The old cookie, replayed, is refused everywhere.
        for method, path in (("GET", "/api/v1/session"),
                             ("GET", "/api/v1/cases"),
                             ("DELETE", "/api/v1/session")):
            r = b.request(method, path, cookie=cookie)
            self.assert_problem(r, 401, "unauthorized")
        self.restart()
        r = b.request("GET", "/api/v1/cases", cookie=cookie)
        self.assert_problem(r, 401, "unauthorized")

    def test_bearer_tokens_keep_working(self):
        self.ok("user", "add", "wang.li", "--role", "clerk", "--data",
                apitest.DATA)
        token = self.ok("token", "create", "--user", "wang.li", "--data",
                        apitest.DATA).out.strip()
        self.secrets.append(token)
        r = self.server.request("GET", "/api/v1/session", token=token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json, {"auth": "bearer", "user": "wang.li",
                                  "roles": ["clerk"]})
        r = self.server.request("GET", "/api/v1/cases", token=token)
        self.assertEqual(r.status, 200, r)
        # A bearer token needs no CSRF token and has no cookie to end.
        r = self.server.request("DELETE", "/api/v1/session", token=token)
        self.assertEqual(r.status, 400, r)

    def test_bearer_token_of_a_later_administrator_refused(self):
        """A token skips TOTP, so an account that becomes an administrator
        after its token was made cannot use the token any more."""
        self.ok("user", "add", "zhou.new", "--data", apitest.DATA)
        token = self.ok("token", "create", "--user", "zhou.new", "--data",
                        apitest.DATA).out.strip()
        self.secrets.append(token)
        self.assertEqual(self.server.request(
            "GET", "/api/v1/session", token=token).status, 200)
        self.ok("user", "grant", "zhou.new", "sysadmin", "--data",
                apitest.DATA)
        r = self.server.request("GET", "/api/v1/users", token=token)
        self.assert_problem(r, 403, "forbidden", "TOTP")

    def test_session_survives_restart(self):
        b, _ = self.signed_in("wang.li", self.add_user("wang.li", "clerk"))
        self.restart()
        self.assertEqual(b.request("GET", "/api/v1/cases").status, 200)

    def test_password_change_ends_other_sessions(self):
        otp = self.add_user("wang.li", "clerk")
        b, password = self.signed_in("wang.li", otp)
        other = Browser(self)
        self.assertEqual(other.sign_in("wang.li", password).status, 200)
        new = self.strong()
        self.assertEqual(b.change_password(password, new).status, 200)
        self.assertEqual(b.request("GET", "/api/v1/cases").status, 200)
        self.assert_problem(other.request("GET", "/api/v1/cases"), 401)

    def test_disable_ends_sessions(self):
        admin, _, _ = self.admin()
        otp = self.add_user("wang.li", "clerk")
        b, password = self.signed_in("wang.li", otp)
        r = admin.request("POST", "/api/v1/users/wang.li/disable",
                          {"reason": "left the bureau"})
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json["disabled"])
        self.assert_problem(b.request("GET", "/api/v1/cases"), 401)
        r = Browser(self).sign_in("wang.li", password)
        self.assert_problem(r, 403, "forbidden", "disabled")
        r = admin.request("POST", "/api/v1/users/wang.li/enable", {})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(Browser(self).sign_in("wang.li", password).status,
                         200)
        # Nobody disables themselves.
        r = admin.request("POST", "/api/v1/users/admin/disable", {})
        self.assert_problem(r, 403, "forbidden", "their own account")


class SecondFactorTest(AccountTest):

    def test_totp_required_for_admin_roles(self):
        for role in ADMIN_ROLES:
            with self.subTest(role=role):
                name = "adm." + role
                b, password = self.signed_in(name, self.add_user(name, role))
                r = b.request("GET", "/api/v1/session")
                self.assertTrue(r.json["second_factor_required"])
                self.assertFalse(r.json["totp_enrolled"])
                # Only one's own session until the code is given.
                for path in ("/api/v1/users", "/api/v1/cases",
                             "/api/v1/matters"):
                    r = b.request("GET", path)
                    self.assert_problem(r, 403, "forbidden", "TOTP code")
                app = self.enrol(b)
                self.assertEqual(b.request("GET", "/api/v1/matters").status,
                                 200)
                # A new sign-in needs a code again.
                other = Browser(self)
                r = other.sign_in(name, password)
                self.assertEqual(r.status, 200, r)
                self.assertTrue(r.json["totp_enrolled"])
                self.assertFalse(r.json["second_factor"])
                self.assert_problem(other.request("GET", "/api/v1/matters"),
                                    403)
                r = other.request("POST", "/api/v1/session/totp",
                                  {"code": app.code()})
                self.assertEqual(r.status, 200, r)
                self.assertEqual(
                    other.request("GET", "/api/v1/matters").status, 200)

    def test_staff_need_no_second_factor(self):
        b, _ = self.signed_in("wang.li", self.add_user("wang.li", "clerk"))
        r = b.request("GET", "/api/v1/session")
        self.assertFalse(r.json["second_factor_required"])
        self.assertEqual(b.request("GET", "/api/v1/cases").status, 200)

    def test_code_replay_refused(self):
        b, password, app = self.admin()
        used = totp(app.secret, app.last)
        other = Browser(self)
        self.assertEqual(other.sign_in("admin", password).status, 200)
        r = other.request("POST", "/api/v1/session/totp", {"code": used})
        # The code is refused either way; it is "used already" while its
        # step is still within the ±1 step window, which a slow machine
        # may have left by the time of the replay.
        in_window = int(time.time()) // 30 - app.last <= 1
        self.assert_problem(r, 401, "unauthorized",
                            "used already" if in_window else None)
        self.assert_problem(other.request("GET", "/api/v1/users"), 403)
        # An older step than the last used is refused as well.
        older = totp(app.secret, app.last - 1)
        r = other.request("POST", "/api/v1/session/totp", {"code": older})
        self.assertEqual(r.status, 401, r)
        r = other.request("POST", "/api/v1/session/totp",
                          {"code": app.code()})
        self.assertEqual(r.status, 200, r)
        # The replay survives a restart: the last step is in the log.
        self.restart()
        third = Browser(self)
        self.assertEqual(third.sign_in("admin", password).status, 200)
        r = third.request("POST", "/api/v1/session/totp",
                          {"code": totp(app.secret, app.last)})
        self.assert_problem(r, 401, "unauthorized", "used already")

    def test_wrong_and_malformed_codes(self):
        b, password, app = self.admin()
        other = Browser(self)
        self.assertEqual(other.sign_in("admin", password).status, 200)
        wrong = "%06d" % ((int(totp(app.secret, int(time.time()) // 30))
                           + 500000) % 1000000)
        r = other.request("POST", "/api/v1/session/totp", {"code": wrong})
        self.assert_problem(r, 401, "unauthorized", "wrong")
        for bad in ("12345", "1234567", "abcdef", ""):
            r = other.request("POST", "/api/v1/session/totp", {"code": bad})
            self.assert_problem(r, 422, "validation-failed", "6 digits")
        self.assertEqual(self.ok("user", "status", "admin")
                         .json["failed_sign_ins"], 1)

    def test_enrolment_once_confirmed_needs_the_factor(self):
        b, password, app = self.admin()
        other = Browser(self)
        self.assertEqual(other.sign_in("admin", password).status, 200)
        r = other.request("POST", "/api/v1/session/totp/enrolment", {})
        self.assert_problem(r, 403, "forbidden", "has TOTP already")
        # After a reset by the operators at the console, enrol again.
        self.ok("user", "totp", "admin", "--reset", "--data", apitest.DATA)
        self.enrol(other)

    def test_cli_enrolment(self):
        b, password = self.signed_in("admin", self.admin_otp)
        r = self.ok("user", "totp", "admin")
        secret = r.json["secret"]
        self.secrets.append(secret)
        self.assertEqual(r.json["uri"],
                         "otpauth://totp/casetrail:admin?secret=%s"
                         "&issuer=casetrail&algorithm=SHA1&digits=6"
                         "&period=30" % secret)
        app = Authenticator(secret)
        r = b.request("POST", "/api/v1/session/totp", {"code": app.code()})
        self.assertEqual(r.status, 200, r)


class AdministrationTest(AccountTest):

    def test_no_administrator_resets_another(self):
        """The system administrator takes over no other administrator's
        account: resetting their password or TOTP is the console's act."""
        b, _, _ = self.admin()
        self.admin("aud.wu", "auditor")
        for path, method in (("/api/v1/users/aud.wu/password", "POST"),
                             ("/api/v1/users/aud.wu/totp", "DELETE")):
            with self.subTest(path=path):
                r = b.request(method, path, {} if method == "POST" else None)
                self.assert_problem(r, 403, None, "administration role")
        r = self.ct("user", "passwd", "aud.wu", "--as", "admin", "--data",
                    apitest.DATA)
        self.assertEqual(r.code, 2, r)
        self.assertIn("at the console", r.err)
        # The operators, with no account named, may.
        r = self.ok("user", "passwd", "aud.wu", "--data", apitest.DATA)
        self.secrets.append(r.out.strip())

    def test_system_administrator_acts(self):
        b, _, _ = self.admin()
        r = b.request("POST", "/api/v1/users", {
            "name": "zhao.min", "display_name": "赵敏"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.headers["Location"], "/api/v1/users/zhao.min")
        self.assertEqual(r.headers["Cache-Control"], "no-store")
        otp = r.json["one_time_password"]
        self.secrets.append(otp)
        self.assertEqual(r.json["user"]["name"], "zhao.min")
        self.assertNotIn("hash", r.body.decode())
        r = b.request("GET", "/api/v1/users/zhao.min/account")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json["must_change_password"])
        self.assertTrue(r.json["password_set"])
        # Roles and units are not the system administrator's to give.
        for body in ({"name": "x.y", "roles": ["clerk"]},
                     {"name": "x.y", "unit": "window"}):
            r = b.request("POST", "/api/v1/users", body)
            self.assert_problem(r, 422, "validation-failed",
                                "security administrator")
        r = b.request("POST", "/api/v1/users/zhao.min/roles",
                      {"role": "clerk"})
        self.assert_problem(r, 403, "forbidden")
        r = b.request("POST", "/api/v1/users/zhao.min/password", {})
        self.assertEqual(r.status, 200, r)
        second = r.json["one_time_password"]
        self.secrets.append(second)
        self.assertNotEqual(second, otp)
        self.assertEqual(Browser(self).sign_in("zhao.min", otp).status, 401)
        r = Browser(self).sign_in("zhao.min", second)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json["must_change_password"])
        # The system administrator reads no case content.
        self.assert_problem(b.request("GET", "/api/v1/cases"), 403)

    def test_security_administrator_acts(self):
        self.ok("user", "add", "zhao.min", "--data", apitest.DATA)
        b, _, _ = self.admin("sec.admin", "secadmin")
        r = b.request("POST", "/api/v1/users/zhao.min/roles",
                      {"role": "handler", "unit": "licensing"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["roles"], ["handler"])
        self.assertEqual(r.json["grants"][0]["unit"], "licensing")
        r = b.request("POST", "/api/v1/users/zhao.min/unit",
                      {"unit": "审批一科"})
        self.assertEqual(r.json["unit"], "审批一科")
        r = b.request("POST", "/api/v1/users/zhao.min/clearance",
                      {"clearance": ["personal", "commercial-secret"]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["clearance"],
                         ["commercial-secret", "personal"])
        r = b.request("POST", "/api/v1/users/zhao.min/clearance",
                      {"clearance": ["state-secret"]})
        self.assert_problem(r, 403, "forbidden", "never stored")
        r = b.request("DELETE", "/api/v1/users/zhao.min/roles/handler"
                      "?unit=licensing")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["roles"], [])
        r = b.request("DELETE", "/api/v1/users/zhao.min/roles/handler")
        self.assert_problem(r, 404, "not-found", "does not hold")
        # Not one's own roles, and not the system administrator's acts.
        r = b.request("POST", "/api/v1/users/sec.admin/roles",
                      {"role": "head"})
        self.assert_problem(r, 403, "forbidden", "their own account")
        for method, path in (("POST", "/api/v1/users/zhao.min/password"),
                             ("POST", "/api/v1/users/zhao.min/disable"),
                             ("POST", "/api/v1/users")):
            r = b.request(method, path, {"name": "q"}
                          if path.endswith("users") else {})
            self.assert_problem(r, 403, "forbidden")

    def test_auditor_changes_nothing(self):
        self.ok("user", "add", "zhao.min", "--data", apitest.DATA)
        b, _, _ = self.admin("sec.audit", "auditor")
        for method, path, body in (
                ("POST", "/api/v1/users", {"name": "q"}),
                ("POST", "/api/v1/users/zhao.min/roles", {"role": "clerk"}),
                ("POST", "/api/v1/users/zhao.min/password", {}),
                ("POST", "/api/v1/users/zhao.min/clearance",
                 {"clearance": []}),
                ("GET", "/api/v1/users/zhao.min/account", None)):
            r = b.request(method, path, body)
            self.assert_problem(r, 403, "forbidden")

    def test_separation_every_order(self):
        """No order of grants over HTTP gives anyone two of the three."""
        b, _, _ = self.admin("sec.admin", "secadmin")
        for n, order in enumerate(itertools.permutations(ADMIN_ROLES)):
            name = "person.%d" % n
            self.ok("user", "add", name, "--data", apitest.DATA)
            results = []
            for role in order:
                r = b.request("POST", "/api/v1/users/%s/roles" % name,
                              {"role": role})
                results.append(r.status)
                if r.status != 200:
                    self.assert_problem(r, 403, "forbidden", "三员分立")
            self.assertEqual(results, [200, 403, 403], order)
            roles = self.ok("user", "show", name).json["roles"]
            self.assertEqual(roles, [order[0]])
            # Revoking the first lets another in, and only one.
            r = b.request("DELETE", "/api/v1/users/%s/roles/%s"
                          % (name, order[0]))
            self.assertEqual(r.status, 200, r)
            r = b.request("POST", "/api/v1/users/%s/roles" % name,
                          {"role": order[1]})
            self.assertEqual(r.status, 200, r)
            r = b.request("POST", "/api/v1/users/%s/roles" % name,
                          {"role": order[0]})
            self.assertEqual(r.status, 403, r)
            self.assertEqual(self.ok("user", "show", name).json["roles"],
                             [order[1]])


class LockoutTest(AccountTest):
    env = {"CASETRAIL_LOGIN_RATE": "1000", "CASETRAIL_LOCKOUT_DURATION": "3"}

    def fail(self, b, user, times):
        for _ in range(times):
            self.assert_problem(b.sign_in(user, "Wrong-Password-9"), 401)

    def test_lockout_and_its_end(self):
        b = Browser(self)
        self.fail(b, "admin", 5)
        r = b.sign_in("admin", self.admin_otp)
        self.assert_problem(r, 423, "account-locked", "locked")
        self.assertIn(r.headers["Retry-After"], ("1", "2", "3"))
        self.assertIsNone(r.headers["Set-Cookie"])
        status = self.ok("user", "status", "admin").json
        self.assertIsNotNone(status["locked_until"])
        time.sleep(3.2)
        r = b.sign_in("admin", self.admin_otp)
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(self.ok("user", "status", "admin")
                          .json["locked_until"])

    def test_lockout_survives_restart(self):
        b = Browser(self)
        self.fail(b, "admin", 5)
        self.restart()
        self.assert_problem(b.sign_in("admin", self.admin_otp), 423)

    def test_unknown_user_locks_alike(self):
        b = Browser(self)
        self.fail(b, "no.such.user", 5)
        self.assert_problem(b.sign_in("no.such.user", "Wrong-Password-9"),
                            423, "account-locked")

    def test_reset_ends_lockout(self):
        b = Browser(self)
        self.fail(b, "admin", 5)
        otp = self.ok("user", "passwd", "admin").out.strip()
        self.secrets.append(otp)
        self.assertEqual(b.sign_in("admin", otp).status, 200)


class RateLimitTest(AccountTest):
    env = {"CASETRAIL_LOGIN_RATE": "5"}

    def test_rate_limit_per_address(self):
        b = Browser(self)
        for n in range(5):
            self.assert_problem(b.sign_in("user.%d" % n, "Wrong-Pass-1"), 401)
        r = b.sign_in("admin", self.admin_otp)
        self.assert_problem(r, 429, "too-many-attempts", "too many")
        retry = int(r.headers["Retry-After"])
        self.assertTrue(1 <= retry <= 12, retry)
        # Another client address has its own allowance.
        other = Browser(self, source="127.0.0.2")
        self.assertEqual(other.sign_in("admin", self.admin_otp).status, 200)


class ExpiryTest(AccountTest):
    ttl = 6
    env = {"CASETRAIL_LOGIN_RATE": "1000", "CASETRAIL_SESSION_TTL": str(ttl),
           "CASETRAIL_SESSION_IDLE": "2"}

    def test_idle_session_ends(self):
        b, _ = self.signed_in("wang.li", self.add_user("wang.li", "clerk"))
        time.sleep(2.3)
        r = b.request("GET", "/api/v1/cases")
        self.assert_problem(r, 401, "unauthorized", "without a request")

    def test_session_expires_while_active(self):
        otp = self.add_user("wang.li", "clerk")
        b, _ = self.signed_in("wang.li", otp)
        # The session began before this moment, so it ends by start + ttl.
        start = time.monotonic()
        # Requests closer than the idle timeout keep it from ending early.
        while time.monotonic() < start + self.ttl - 1:
            self.assertEqual(b.request("GET", "/api/v1/cases").status, 200)
            time.sleep(0.5)
        time.sleep(start + self.ttl + 0.5 - time.monotonic())
        r = b.request("GET", "/api/v1/cases")
        self.assert_problem(r, 401, "unauthorized", "expired")
        # Ended for good: the same cookie stays refused.
        self.assert_problem(b.request("GET", "/api/v1/session"), 401)


if __name__ == "__main__":
    unittest.main()
