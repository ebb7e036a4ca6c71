#!/usr/bin/env python3
"""casetrail behind a reverse proxy: `serve --trusted-proxy ADDR`.

A request from a trusted proxy is logged as coming from the last address
of its X-Forwarded-For header, with proxy= naming the proxy. Without
--trusted-proxy, or from any other peer, the header is ignored, and an
entry that is no IP address cannot forge a log field. With --proxy-tls,
the proxy terminates TLS, so session cookies get the Secure attribute.
The tests send the header themselves from 127.0.0.1, which plays the
proxy.
"""

import http.client
import json
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import apitest  # noqa: E402
import ctest  # noqa: E402


class ForwardedTest(ctest.StoreTest):

    def setUp(self):
        super().setUp()
        self.ok("user", "add", "wang.li", "--role", "clerk", "--data",
                apitest.DATA)
        self.token = self.ok("token", "create", "--user", "wang.li",
                             "--data", apitest.DATA).out.strip().splitlines()[-1]
        self.server = None
        self.sent = 0

    def tearDown(self):
        try:
            if self.server:
                self.server.close()
        finally:
            super().tearDown()

    def start(self, *args):
        self.server = apitest.Server(self.dir, args=args)

    def access_line(self, *forwarded):
        """Sends a request with the X-Forwarded-For fields given; returns
        its access log line."""
        self.sent += 1
        target = "/api/v1/matters?offset=%d" % self.sent
        headers = [("X-Forwarded-For", value) for value in forwarded]
        r = self.request(target, headers)
        self.assertEqual(r, 200)
        # Query values are logged as "*", so the lines are told apart by
        # their order: this request's line is the self.sent-th one.
        pattern = re.compile(r"^.*msg=request .*target=\S*offset=\*.*$", re.M)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            lines = pattern.findall(self.server.log())
            if len(lines) >= self.sent:
                return lines[self.sent - 1]
            time.sleep(0.02)
        self.fail("no access line for %s:\n%s" % (target, self.server.log()))

    def request(self, target, headers):
        """Sends GET target with header fields, repeated ones included."""
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port,
                                          timeout=30)
        try:
            conn.putrequest("GET", target)
            conn.putheader("Authorization", "Bearer " + self.token)
            for name, value in headers:
                conn.putheader(name, value)
            conn.endheaders()
            resp = conn.getresponse()
            resp.read()
            return resp.status
        finally:
            conn.close()

    def test_header_ignored_without_option(self):
        self.start()
        line = self.access_line("203.0.113.7")
        self.assertIn("remote=127.0.0.1 ", line)
        self.assertNotIn("203.0.113.7", line)
        self.assertNotIn("proxy=", line)

    def test_trusted_proxy_forwards_client(self):
        self.start("--trusted-proxy", "127.0.0.1")
        line = self.access_line("203.0.113.7")
        self.assertIn("remote=203.0.113.7 ", line)
        self.assertIn("user=wang.li", line)
        self.assertIn("proxy=127.0.0.1", line)
        self.assertIn('msg="trusting X-Forwarded-For from a proxy" '
                      'proxy=127.0.0.1', self.server.log())

    def test_last_entry_counts(self):
        self.start("--trusted-proxy", "127.0.0.1")
        line = self.access_line("198.51.100.1, 203.0.113.7")
        self.assertIn("remote=203.0.113.7 ", line)
        line = self.access_line("198.51.100.1", "203.0.113.9 ")
        self.assertIn("remote=203.0.113.9 ", line)
        line = self.access_line("198.51.100.1,2001:db8::1")
        self.assertIn("remote=2001:db8::1 ", line)

    def test_invalid_entry_keeps_peer(self):
        self.start("--trusted-proxy", "127.0.0.1")
        for value in ('203.0.113.7 user=root', "unknown",
                      '1.2.3.4" forged="x', "203.0.113.7:443",
                      "[2001:db8::1]", "", "203.0.113.7,"):
            with self.subTest(value=value):
                line = self.access_line(value)
                self.assertIn("remote=127.0.0.1 ", line)
                self.assertNotIn("proxy=", line)
                self.assertNotIn("forged", line)
                self.assertNotIn("user=root", line)

    def test_other_peer_not_trusted(self):
        self.start("--trusted-proxy", "10.0.0.1", "--trusted-proxy", "::1")
        line = self.access_line("203.0.113.7")
        self.assertIn("remote=127.0.0.1 ", line)
        self.assertNotIn("proxy=", line)

    def sign_in_cookie(self):
        """Signs wang.li in with a new one-time password; returns the
        status and the Set-Cookie value."""
        password = self.ok("user", "passwd", "wang.li").out.strip()
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port,
                                          timeout=30)
        try:
            conn.request("POST", "/api/v1/session", body=json.dumps(
                {"user": "wang.li", "password": password.splitlines()[-1]}),
                headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            return resp.status, resp.getheader("Set-Cookie") or ""
        finally:
            conn.close()

    def test_proxy_tls_secure_cookie(self):
        self.start("--trusted-proxy", "127.0.0.1", "--proxy-tls")
        status, cookie = self.sign_in_cookie()
        self.assertIn(status, (200, 201), cookie)
        self.assertTrue(cookie.startswith("__Host-"), cookie)
        self.assertIn("; Secure", cookie)
        self.assertIn("HttpOnly", cookie)
        log = self.server.log()
        self.assertIn('msg="TLS terminated at the trusted proxy"', log)
        self.assertIn("scheme=http ", log)

    def test_plain_cookie_without_proxy_tls(self):
        self.start("--trusted-proxy", "127.0.0.1")
        status, cookie = self.sign_in_cookie()
        self.assertIn(status, (200, 201), cookie)
        self.assertTrue(cookie, "no Set-Cookie")
        self.assertFalse(cookie.startswith("__Host-"), cookie)
        self.assertNotIn("Secure", cookie)

    def test_proxy_tls_needs_trusted_proxy(self):
        r = self.ct("serve", "--data", apitest.DATA, "--listen",
                    "127.0.0.1:0", "--proxy-tls", timeout=30)
        self.assertEqual(r.code, 2, r)
        self.assertIn("--proxy-tls needs --trusted-proxy", r.err)

    def test_invalid_option_rejected(self):
        for value in ("localhost", "127.0.0.1:80", "10.0.0.0/8", "[::1]",
                      ""):
            with self.subTest(value=value):
                r = self.ct("serve", "--data", apitest.DATA, "--listen",
                            "127.0.0.1:0", "--trusted-proxy", value,
                            timeout=30)
                self.assertEqual(r.code, 2, r)
                self.assertIn("trusted proxy address '%s' is invalid"
                              % value, r.err)
        r = self.ct("serve", "--data", apitest.DATA, "--listen",
                    "127.0.0.1:0",
                    *["--trusted-proxy=10.0.0.%d" % i for i in range(9)],
                    timeout=30)
        self.assertEqual(r.code, 2, r)
        self.assertIn("at most 8 proxies", r.err)


if __name__ == "__main__":
    ctest.main()
