#!/usr/bin/env python3
"""Staff SM2 signatures over HTTP, checked as an outsider checks them.

A staff member signs a record with POST /api/v1/records/{seq}/signatures
(or with "sign" when adding it) after confirming their password. The
tests take the public key and the signature from the API, rebuild the
signed statement from the public log alone (the checkpoint's origin and
the entry's commitment) and verify it with the openssl command line. A
changed signature or statement fails; a wrong password, a revoked key
and a role the record does not give are refused, before anything is
appended where the record is new.
"""

import base64
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import apitest  # noqa: E402
import ctest  # noqa: E402
import signin  # noqa: E402

DATA = apitest.DATA
NEW_PASSWORD = "Gm-签名-Passw0rd-2026"


def openssl_verify(pem, statement, der):
    """Verifies an SM2 signature with SM3 and the GB/T 32918 default ID,
    the way a court or the supervisory department would."""
    with tempfile.TemporaryDirectory() as d:
        paths = {name: os.path.join(d, name)
                 for name in ("pub.pem", "data", "sig.der")}
        with open(paths["pub.pem"], "w") as f:
            f.write(pem)
        with open(paths["data"], "wb") as f:
            f.write(statement)
        with open(paths["sig.der"], "wb") as f:
            f.write(der)
        proc = subprocess.run(
            ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey",
             paths["pub.pem"], "-rawin", "-in", paths["data"], "-sigfile",
             paths["sig.der"], "-digest", "sm3", "-pkeyopt",
             "distid:1234567812345678"],
            capture_output=True, text=True)
        return proc.returncode == 0 and "Verified Successfully" in proc.stdout


class SignatureApiTest(apitest.ApiTest):
    def setUp(self):
        super().setUp()
        # A password reset gives wang.li a signing key wrapped under it.
        self.password = self.reset_password("wang.li")
        self.case_id = self.open_case("spjy-xk")["id"]

    def reset_password(self, user):
        out = self.ok("user", "passwd", user, "--data", DATA).out
        return out.strip().splitlines()[-1]

    def receipt(self, clerk="wang.li", sign=None):
        """A material receipt that names clerk as its staff signer."""
        seal = self.upload(b"scanned seal of the window")
        self.assertEqual(seal.status, 201, seal)
        body = {
            "kind": "material-receipt",
            "fields": {
                "received": [{"code": "sqs", "name": "食品经营许可申请书",
                              "copies": 1, "original": True}],
                "receipt_date": time.strftime("%Y-%m-%d"),
                "signatures": [
                    {"role": "clerk", "person": clerk, "method": "staff",
                     "at": time.strftime("%Y-%m-%dT%H:%M:%S+08:00")},
                    {"role": "seal", "person": "曹县行政审批服务局",
                     "method": "seal", "attachment": 0,
                     "at": time.strftime("%Y-%m-%dT%H:%M:%S+08:00")}]},
            "attachments": [seal.json["hash"]]}
        if sign is not None:
            body["sign"] = sign
        return self.post("/api/v1/cases/%s/records" % self.case_id, body)

    def add_receipt(self, **kw):
        r = self.receipt(**kw)
        self.assertEqual(r.status, 201, r)
        return r.json["seq"]

    def sign(self, seq, password=None, role="clerk", token=True):
        return self.post("/api/v1/records/%d/signatures" % seq,
                         {"password": password or self.password,
                          "role": role}, token=token)

    def signatures(self, seq):
        return self.get_ok("/api/v1/records/%d/signatures" % seq)

    def statement_from_log(self, seq, role, user):
        """The signed bytes, rebuilt from the public log alone."""
        r = self.server.request("GET", "/checkpoint")
        self.assertEqual(r.status, 200, r)
        origin = r.body.decode().splitlines()[0]
        r = self.server.request("GET", "/api/v1/entries/%d" % seq)
        self.assertEqual(r.status, 200, r)
        entry = r.json.get("entry", r.json)
        return ("casetrail-signature/v1\n%s\n%d\n%s\n%s\n%s\n" % (
            origin, seq, role, user, entry["content"])).encode()

    def test_signature_verifies_with_openssl(self):
        seq = self.add_receipt()
        r = self.sign(seq)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.headers["Location"],
                         "/api/v1/records/%d/signatures" % seq)
        made = r.json
        self.assertEqual((made["record"], made["user"], made["role"],
                          made["alg"]), (seq, "wang.li", "clerk", "sm2-sm3"))

        listed = self.signatures(seq)
        self.assertEqual(len(listed["items"]), 1)
        sig = listed["items"][0]
        statement = self.statement_from_log(seq, "clerk", "wang.li")
        self.assertEqual(sig["statement"].encode(), statement)
        self.assertEqual(sig["commitment"], listed["commitment"])
        self.assertIn("BEGIN PUBLIC KEY", sig["public"])
        der = base64.b64decode(sig["signature"])
        self.assertTrue(openssl_verify(sig["public"], statement, der))

        # The key of the signature is the one the key listing shows.
        keys = self.get_ok("/api/v1/staff-keys?user=wang.li")["items"]
        self.assertEqual([k["id"] for k in keys], [sig["key"]])
        self.assertEqual(keys[0]["public"], sig["public"])
        self.assertNotIn("wrapped", json.dumps(keys))

        # A changed signature, statement or role fails.
        forged = bytearray(der)
        forged[-3] ^= 0x01
        self.assertFalse(openssl_verify(sig["public"], statement,
                                        bytes(forged)))
        self.assertFalse(openssl_verify(
            sig["public"], statement.replace(b"\nclerk\n", b"\nhead\n"),
            der))
        self.assertFalse(openssl_verify(
            sig["public"], statement.replace(b"sm3:", b"sm3:0"), der))

        # verify checks the signature entry against the key too.
        r = self.ct("verify", "--json")
        self.assertEqual(r.code, 0, r)

    def test_sign_while_adding_the_record(self):
        before = self.entries()
        r = self.receipt(sign={"password": self.password, "role": "clerk"})
        self.assertEqual(r.status, 201, r)
        seq = r.json["seq"]
        self.assertEqual(r.json["signature"]["record"], seq)
        self.assertEqual(self.entries(), before + 2)
        sig = self.signatures(seq)["items"][0]
        self.assertTrue(openssl_verify(
            sig["public"], self.statement_from_log(seq, "clerk", "wang.li"),
            base64.b64decode(sig["signature"])))

    def test_wrong_password_appends_no_record(self):
        timeline = self.get_ok("/api/v1/cases/%s/records" % self.case_id)
        r = self.receipt(sign={"password": "not-the-password",
                               "role": "clerk"})
        self.assert_problem(r, 403, "forbidden", "password")
        self.assertNotIn("not-the-password", r.body.decode())
        after = self.get_ok("/api/v1/cases/%s/records" % self.case_id)
        self.assertEqual(after["total"], timeline["total"])

        # A role the record does not give is refused before the key opens.
        r = self.receipt(sign={"password": self.password, "role": "head"})
        self.assert_problem(r, 422, "validation-failed", "role 'head'")
        after = self.get_ok("/api/v1/cases/%s/records" % self.case_id)
        self.assertEqual(after["total"], timeline["total"])

    def test_refusals_of_a_stored_record(self):
        seq = self.add_receipt()
        r = self.sign(seq, password="Wrong-password-1")
        self.assert_problem(r, 403, "forbidden", "does not open")
        self.assertNotIn("Wrong-password-1", r.body.decode())
        # The record names wang.li as clerk, not as anything else.
        r = self.sign(seq, role="approver")
        self.assert_problem(r, 409, None, "role 'approver'")
        # zhao.min is not named, and has no key of their own.
        r = self.sign(seq, token=self.other_token)
        self.assertIn(r.status, (403, 409), r)
        self.assertEqual(self.signatures(seq)["items"], [])
        r = self.sign(seq)
        self.assertEqual(r.status, 201, r)
        r = self.sign(seq)
        self.assert_problem(r, 409, "already-exists", "already")
        r = self.post("/api/v1/records/%d/signatures" % seq,
                      {"password": self.password, "role": "clerk",
                       "user": "zhao.min"})
        self.assert_problem(r, 422, "validation-failed", "'user'")
        self.assertNotIn(self.password, r.body.decode())
        for body in ({"role": "clerk"}, {"password": self.password}):
            r = self.post("/api/v1/records/%d/signatures" % seq, body)
            self.assert_problem(r, 422, "validation-failed")

    def test_revoked_key_signs_nothing(self):
        first = self.add_receipt()
        self.assertEqual(self.sign(first).status, 201)
        old = self.signatures(first)["items"][0]

        self.ok("user", "add", "zhou.sec", "--role", "secadmin", "--data",
                DATA)
        # The security administrator signs in with a password and TOTP.
        otp = self.ok("user", "passwd", "zhou.sec", "--data",
                      DATA).out.strip().splitlines()[-1]
        sec = signin.Session(self.server, "zhou.sec", otp)
        r = self.post("/api/v1/staff-keys/%s/revocation" % old["key"],
                      {"reason": "证书介质遗失"}, token=self.other_token)
        self.assert_problem(r, 403, "forbidden", "secadmin")
        r = sec.request("POST", "/api/v1/staff-keys/%s/revocation"
                        % old["key"], {"reason": "证书介质遗失"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["state"], "revoked")
        self.assertEqual(r.json["revoked"]["by"], "zhou.sec")

        second = self.add_receipt()
        r = self.sign(second)
        self.assert_problem(r, 403, "forbidden", "revoked")
        self.assertEqual(self.signatures(second)["items"], [])

        # What it signed before stays verifiable.
        sig = self.signatures(first)["items"][0]
        self.assertEqual(sig["key_state"], "revoked")
        self.assertTrue(openssl_verify(
            sig["public"], self.statement_from_log(first, "clerk", "wang.li"),
            base64.b64decode(sig["signature"])))

        # A password reset issues a new key, which signs again.
        self.password = self.reset_password("wang.li")
        self.assertEqual(self.sign(second).status, 201)
        keys = self.get_ok("/api/v1/staff-keys?user=wang.li")["items"]
        self.assertEqual([k["state"] for k in keys], ["current", "revoked"])
        self.assertEqual(self.ct("verify").code, 0)

    def test_password_change_rewraps_the_key(self):
        key = self.get_ok("/api/v1/staff-keys?user=wang.li")["items"][0]
        r = self.post("/api/v1/session/password",
                      {"old": self.password, "new": NEW_PASSWORD})
        self.assertEqual(r.status, 200, r)
        keys = self.get_ok("/api/v1/staff-keys?user=wang.li")["items"]
        self.assertEqual([k["id"] for k in keys], [key["id"]])
        seq = self.add_receipt()
        r = self.sign(seq)
        self.assert_problem(r, 403, "forbidden", "does not open")
        r = self.sign(seq, password=NEW_PASSWORD)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["key"], key["id"])

    def test_passwords_never_logged(self):
        seq = self.add_receipt()
        self.sign(seq, password="Wrong-password-2")
        self.sign(seq)
        log = self.server.log()
        for secret in (self.password, "Wrong-password-2"):
            self.assertNotIn(secret, log)
        self.assertIn("record signed", log)


if __name__ == "__main__":
    ctest.main()
