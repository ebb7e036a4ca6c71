"""Signing in to the HTTP API the way a browser does, for the tests that
act as an administrator: the system administrator, the security
administrator and the security auditor need a password and a TOTP code,
and bearer tokens do not serve them.

Session(...) signs a user in with a one-time password from `casetrail user
passwd`, changes it, enrols TOTP and gives a first code; its request()
then sends the session cookie and the CSRF token like apitest.Server's.

Python 3 standard library only.
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import struct
import time

import apitest

COOKIE = "casetrail_session"

# A password that meets the policy; each session gets its own.
PASSWORD = "Kt7-vQ%d-mZ%d-pLw"

# Lets the tests sign several people in from one address quickly.
LOGIN_ENV = {"CASETRAIL_LOGIN_RATE": "1000"}


def totp(secret, step):
    """The 6-digit RFC 6238 code (HMAC-SHA1) of base32 secret at step."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return "%06d" % (value % 1000000)


class Session:
    """A signed-in person: cookie, CSRF token and second factor."""

    counter = 0

    def __init__(self, server, user, one_time_password, second_factor=True):
        self.server = server
        self.user = user
        self.cookie = None
        self.csrf = None
        Session.counter += 1
        password = PASSWORD % (Session.counter, os.getpid())
        self.check(self.request("POST", "/api/v1/session",
                                {"user": user, "password": one_time_password}))
        self.check(self.request("POST", "/api/v1/session/password",
                                {"old": one_time_password, "new": password}))
        if not second_factor:
            return
        r = self.check(self.request("POST", "/api/v1/session/totp/enrolment", {}),
                       201)
        secret = r.json["secret"]
        step = int(time.time()) // 30
        self.check(self.request("POST", "/api/v1/session/totp",
                                {"code": totp(secret, step)}))

    @staticmethod
    def check(r, status=200):
        if r.status != status:
            raise AssertionError("signing in: %r" % r)
        return r

    def request(self, method, path, body=None, headers=None, token=None):
        """Sends one request with the session; token is ignored, so that a
        Session can stand where a bearer token is passed."""
        headers = dict(headers or {})
        if self.cookie:
            headers["Cookie"] = "%s=%s" % (COOKIE, self.cookie)
        if self.csrf and method not in ("GET", "HEAD", "OPTIONS"):
            headers["X-CSRF-Token"] = self.csrf
        if body is not None and not isinstance(body, bytes):
            body = json.dumps(body, ensure_ascii=False).encode()
            headers.setdefault("Content-Type", "application/json")
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port,
                                          timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            r = apitest.Response(resp.status, resp.headers, resp.read())
        finally:
            conn.close()
        for line in r.headers.get_all("Set-Cookie") or []:
            name, _, rest = line.partition("=")
            if name == COOKIE:
                self.cookie = rest.split(";")[0] or None
        if r.status == 200 and r.body.startswith(b"{"):
            self.csrf = r.json.get("csrf_token") or self.csrf
        return r
