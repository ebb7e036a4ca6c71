#!/usr/bin/env python3
"""Bearer tokens expire and can be revoked, also under a running server.

A token is shown once; the log keeps its hash, user and expiry. `token
revoke SEQ` ends it, and the server stops taking it within its poll of
the store. `token list` never shows a token or its hash.
"""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import apitest  # noqa: E402
import ctest  # noqa: E402


class TokenTest(ctest.StoreTest):

    def setUp(self):
        super().setUp()
        self.ok("user", "add", "wang.li", "--role", "clerk", "--data", apitest.DATA)
        self.server = apitest.Server(self.dir)

    def tearDown(self):
        try:
            self.server.close()
        finally:
            super().tearDown()

    def create(self, *extra):
        r = self.ok("token", "create", "--user", "wang.li", *extra)
        seq = int(r.err.split("token seq ")[1].split(",")[0])
        return r.out.strip(), seq

    def status(self, token):
        return self.server.request("GET", "/api/v1/matters", token=token).status

    def test_revoked_token_rejected(self):
        token, seq = self.create()
        self.assertEqual(self.status(token), 200)
        r = self.ok("token", "revoke", str(seq))
        self.assertEqual(r.json, {"revoked": seq})
        deadline = time.monotonic() + 5
        while self.status(token) == 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.status(token), 401)
        reply = self.server.request("GET", "/api/v1/matters", token=token)
        self.assertIn("revoked", reply.json["detail"])

    def test_other_tokens_stay_valid(self):
        first, seq = self.create()
        second, _ = self.create()
        self.ok("token", "revoke", str(seq))
        time.sleep(0.3)
        self.assertEqual(self.status(first), 401)
        self.assertEqual(self.status(second), 200)

    def test_revoke_twice_rejected(self):
        _, seq = self.create()
        self.ok("token", "revoke", str(seq))
        r = self.ct("token", "revoke", str(seq))
        self.assertEqual(r.code, 2, r)
        self.assertIn("not found or revoked already", r.err)

    def test_list_shows_no_secret(self):
        token, seq = self.create("--expires-in", "7")
        r = self.ok("token", "list", "--json")
        item = [t for t in r.json["items"] if t["seq"] == seq][0]
        self.assertEqual(item["user"], "wang.li")
        self.assertIsNone(item["revoked_by"])
        self.assertNotIn(token, r.out)
        self.assertNotIn("sm3:", r.out)

    def test_expiry_bounds(self):
        for bad in ("0", "3651", "-1", "x"):
            r = self.ct("token", "create", "--user", "wang.li", "--expires-in", bad)
            self.assertEqual(r.code, 2, (bad, r))

    def test_token_not_logged(self):
        token, _ = self.create()
        self.status(token)
        self.status(token + "x")
        self.assertNotIn(token, self.server.log())
        self.assertNotIn(token[3:], self.server.log())


if __name__ == "__main__":
    unittest.main()
