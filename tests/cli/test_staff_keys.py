#!/usr/bin/env python3
"""Staff signing keys, signatures from the command line, and content
encrypted at rest.

casetrail staff-key issues, lists, revokes and signs with the SM2 keys of
staff; the password comes from standard input. The tests check a key's
id and signature with openssl and SM3 from outside, that a revoked or
expired key signs nothing, and that verify and rebuild check and keep
the signatures. Content under a confidentiality mark must not appear in
the database files, must still read back and verify, and must leave
nothing behind after an expunge: not the text, not its ciphertext, not
its wrapped key.
"""

import base64
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import ctest  # noqa: E402

SECRET_TEXT = "投诉人反映窗口人员泄露其身份证号码，内容仅限授权人员查阅"
SEAL_MAGIC = b"\x00cts\x01"


def store_files(root):
    """The bytes of the database and its WAL."""
    found = {}
    for name in ("casetrail.db", "casetrail.db-wal"):
        path = os.path.join(root, name)
        if os.path.exists(path):
            with open(path, "rb") as f:
                found[path] = f.read()
    return found


def content_row(store, seq):
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(store, "casetrail.db"),
                         uri=True)
    try:
        return db.execute("SELECT salt, fields FROM content WHERE seq = ?",
                          (seq,)).fetchone()
    finally:
        db.close()


def openssl(*args, input=None):
    return subprocess.run(["openssl", *args], input=input,
                          capture_output=True)


class StaffKeyTest(ctest.StoreTest):
    def setUp(self):
        super().setUp()
        self.password = self.add_user("li.clerk", "clerk")

    def add_user(self, name, role):
        r = self.ok("user", "add", name, "--role", role, "--unit", "window",
                    "--password", "--json")
        return r.json["one_time_password"]

    def sign(self, seq, role, user, password, *extra):
        return self.ct("staff-key", "sign", seq, "--role", role, "--as", user,
                       *extra, input=password + "\n")

    def note(self, text, user="li.clerk"):
        return self.add_note(text, actor=user)["seq"]

    def keys(self, user=None):
        args = ["staff-key", "list", "--json"] + ([user] if user else [])
        return self.ok(*args).json["items"]

    def test_key_id_is_sm3_of_the_public_point(self):
        key, = self.keys("li.clerk")
        self.assertEqual((key["user"], key["alg"], key["state"]),
                         ("li.clerk", "sm2", "current"))
        shown = self.ok("staff-key", "show", key["id"]).json
        self.assertEqual(shown["public"], key["public"])
        der = openssl("pkey", "-pubin", "-outform", "DER", input=key["public"].encode())
        self.assertEqual(der.returncode, 0, der)
        point = der.stdout[-65:]
        self.assertEqual(point[0], 4)
        self.assertEqual(ctest.store_hash("gm", point)[:8].hex(), key["id"])
        # Listing never shows the private key or its wrapping.
        listing = self.ok("staff-key", "list", "--json").out
        for word in ("wrapped", "PRIVATE", "salt"):
            self.assertNotIn(word, listing)

    def test_sign_with_password_from_stdin(self):
        seq = self.note("情况说明：申请人当场补正了材料。")
        r = self.sign(seq, "author", "li.clerk", self.password)
        self.assertEqual(r.code, 0, r)
        self.assertEqual(r.json["role"], "author")
        sigs = self.ok("staff-key", "signatures", seq).json
        sig, = sigs["items"]
        entry = self.ok("log", "show", seq).json["entry"]
        self.assertEqual(sig["commitment"], entry["content"])
        with tempfile.TemporaryDirectory() as d:
            pub, data, der = (os.path.join(d, n) for n in ("k.pem", "m", "s"))
            with open(pub, "w") as f:
                f.write(sig["public"])
            with open(data, "w") as f:
                f.write(sig["statement"])
            with open(der, "wb") as f:
                f.write(base64.b64decode(sig["signature"]))
            r = openssl("pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin",
                        "-in", data, "-sigfile", der, "-digest", "sm3",
                        "-pkeyopt", "distid:1234567812345678")
            self.assertEqual(r.returncode, 0, r)

        # No password on the command line, and none on stdin, is refused.
        r = self.ct("staff-key", "sign", seq, "--role", "author", "--as",
                    "li.clerk", "--password", self.password)
        self.assertEqual(r.code, 2, r)
        self.assertNotIn(self.password, r.err)
        r = self.sign(seq, "author", "li.clerk", "")
        self.assertEqual(r.code, 2, r)
        self.assertIn("standard input", r.err)
        # Wrong password, someone else's record, a role not given.
        other = self.add_user("zhao.clerk", "clerk")
        r = self.sign(seq, "author", "zhao.clerk", other)
        self.assertEqual(r.code, 2, r)
        self.assertIn("did not write", r.err)
        r = self.sign(self.note("第二份说明"), "author", "li.clerk", "Wrong-Pass-123")
        self.assertEqual(r.code, 2, r)
        self.assertIn("does not open", r.err)
        self.assertNotIn("Wrong-Pass-123", r.err)

        summary = self.ok("verify", "--json").json
        self.assertEqual(summary["problems"], 0)
        rebuilt = self.ok("rebuild").json
        self.assertTrue(rebuilt["match"], rebuilt)
        self.assertEqual(len(self.ok("staff-key", "signatures", seq).json["items"]), 1)

    def test_revoked_and_expired_keys_sign_nothing(self):
        key, = self.keys("li.clerk")
        first = self.note("吊销前签署的说明")
        self.assertEqual(self.sign(first, "author", "li.clerk", self.password).code, 0)
        self.add_user("zhou.sec", "secadmin")
        r = self.ct("staff-key", "revoke", key["id"], "--reason", "离职",
                    "--as", "li.clerk")
        self.assertEqual(r.code, 2, r)
        self.assertIn("secadmin", r.err)
        r = self.ct("staff-key", "revoke", key["id"], "--reason", "离职",
                    "--as", "zhou.sec")
        self.assertEqual(r.code, 0, r)
        self.assertEqual(r.json["state"], "revoked")
        r = self.sign(self.note("吊销后的说明"), "author", "li.clerk", self.password)
        self.assertEqual(r.code, 2, r)
        self.assertIn("revoked", r.err)
        self.assertIn("signs nothing", r.err)

        # A key valid for two seconds from now, then expired.
        until = time.strftime("%Y-%m-%dT%H:%M:%S+00:00",
                              time.gmtime(time.time() + 3))
        r = self.ct("staff-key", "issue", "li.clerk", "--valid-until", until,
                    input="not-the-login-password\n")
        self.assertEqual(r.code, 2, r)
        self.assertIn("signs in with", r.err)
        r = self.ct("staff-key", "issue", "li.clerk", "--valid-until", until,
                    input=self.password + "\n")
        self.assertEqual(r.code, 0, r)
        late = self.note("到期后的说明")
        time.sleep(3.5)
        r = self.sign(late, "author", "li.clerk", self.password)
        self.assertEqual(r.code, 2, r)
        self.assertIn("expired", r.err)
        states = sorted(k["state"] for k in self.keys("li.clerk"))
        self.assertEqual(states, ["expired", "revoked"])

        # verify still accepts the signature made before revocation.
        summary = self.ok("verify", "--json").json
        self.assertEqual(summary["problems"], 0)

    def test_verify_catches_a_changed_signature(self):
        seq = self.note("待验证的说明")
        self.assertEqual(self.sign(seq, "author", "li.clerk", self.password).code, 0)
        sig, = self.ok("staff-key", "signatures", seq).json["items"]
        # Rewriting the stored signature entry is tampering with the log
        # itself: verify reports the leaf or the content, and the
        # signature.
        path = self.path("casetrail.db")
        db = sqlite3.connect(path)
        salt, fields = db.execute("SELECT salt, fields FROM content WHERE seq = ?",
                                  (sig["seq"],)).fetchone()
        doc = json.loads(fields)
        raw = bytearray(base64.b64decode(doc["signature"]))
        raw[-2] ^= 1
        doc["signature"] = base64.b64encode(bytes(raw)).decode()
        db.execute("UPDATE content SET fields = ? WHERE seq = ?",
                   (json.dumps(doc, separators=(",", ":"), sort_keys=True,
                               ensure_ascii=False).encode(), sig["seq"]))
        db.commit()
        db.close()
        r = self.ct("verify")
        self.assertEqual(r.code, 1, r)
        self.assertIn("signature %d" % sig["seq"], r.out)
        self.assertIn("does not verify", r.out)

    def test_verify_after_key_entry_expunged(self):
        seq = self.note("签署后密钥条目被删除的说明")
        self.assertEqual(self.sign(seq, "author", "li.clerk", self.password).code, 0)
        key, = self.keys("li.clerk")
        self.add_user("zhou.sec", "secadmin")
        self.ok("expunge", "approve", key["seq"], "--reason", "错误签发",
                "--as", "zhou.sec")
        self.ok("expunge", key["seq"], "--reason", "错误签发",
                "--approved-by", "zhou.sec", "--as", "li.clerk")
        summary = self.ok("verify", "--json").json
        self.assertEqual((summary["problems"], summary["expunged"]), (0, 1))


class EncryptionAtRestTest(ctest.StoreTest):
    def setUp(self):
        super().setUp()
        self.ok("user", "add", "li.clerk", "--role", "clerk", "--unit", "window")
        self.ok("user", "add", "zhou.sec", "--role", "secadmin")
        self.ok("user", "clearance", "li.clerk", "personal,sensitive-personal",
                "--as", "zhou.sec")
        r = self.ok("case", "new", "--matter", "spjy-xk", "--applicant",
                    "某某餐饮有限公司", "--received", time.strftime("%Y-%m-%d"),
                    "--json", "--as", "li.clerk")
        self.case = r.json["id"]

    def add(self, kind, fields, *extra):
        path = os.path.join(self.tmp, "fields.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(fields, f, ensure_ascii=False)
        return self.ok("record", "add", "--case", self.case, "--kind", kind,
                       "--fields", path, "--as", "li.clerk", *extra).json["seq"]

    def complaint(self, text=SECRET_TEXT):
        return self.add("complaint", {"complainant": "张某", "content": text,
                                      "received_on": time.strftime("%Y-%m-%d")})

    def assert_absent(self, needle):
        for path, data in store_files(self.dir).items():
            self.assertEqual(data.find(needle), -1,
                             "%r found in %s" % (needle[:40], path))

    def test_marked_content_is_sealed_and_reads_back(self):
        seq = self.complaint()
        salt, fields = content_row(self.dir, seq)
        self.assertEqual(salt, b"")
        self.assertTrue(fields.startswith(SEAL_MAGIC))
        self.assert_absent(SECRET_TEXT.encode())
        self.assert_absent("张某".encode())
        # The staff keys' wrappings are sealed the same way.
        self.assert_absent(b"sm4-ctr+hmac-sm3")
        # An unmarked record stays in the clear.
        note = self.add("note", {"text": "plain note text"})
        self.assertEqual(len(content_row(self.dir, note)[0]), 32)

        shown = self.ok("record", "show", seq, "--as", "li.clerk").json
        self.assertEqual(shown["fields"]["content"], SECRET_TEXT)
        summary = self.ok("verify", "--json").json
        self.assertEqual(summary["problems"], 0)
        self.assertTrue(self.ok("rebuild").json["match"])

        mode = os.stat(self.path("keys", "content.key")).st_mode & 0o777
        self.assertEqual(mode, 0o600)

    def test_changed_ciphertext_fails(self):
        seq = self.complaint()
        salt, fields = content_row(self.dir, seq)
        changed = bytearray(fields)
        changed[-40] ^= 1
        db = sqlite3.connect(self.path("casetrail.db"))
        db.execute("UPDATE content SET fields = ? WHERE seq = ?",
                   (bytes(changed), seq))
        db.commit()
        db.close()
        r = self.ct("verify")
        self.assertEqual(r.code, 1, r)
        self.assertIn("content %d" % seq, r.out)
        self.assertIn("MAC", r.out)

    def test_backup_carries_the_content_key(self):
        seq = self.complaint()
        copy = os.path.join(self.tmp, "copy")
        self.ok("backup", "--to", copy)
        self.assertEqual(os.stat(os.path.join(copy, "keys", "content.key")).st_mode
                         & 0o777, 0o600)
        r = ctest.run("verify", "--dir", copy, "--json")
        self.assertEqual(r.code, 0, r)
        # Without the key the sealed content cannot be checked.
        os.unlink(os.path.join(copy, "keys", "content.key"))
        r = ctest.run("verify", "--dir", copy)
        self.assertEqual(r.code, 1, r)
        self.assertIn("content %d" % seq, r.out)

    def test_reseal_when_the_mark_changes(self):
        note = self.add("note", {"text": "unmarked at first, personal later"})
        self.ok("mark", "record", note, "personal", "--reason", "含个人信息",
                "--as", "zhou.sec")
        self.assertTrue(content_row(self.dir, note)[1].startswith(SEAL_MAGIC))
        self.assert_absent(b"unmarked at first, personal later")
        self.ok("mark", "record", note, "none", "--reason", "已脱敏",
                "--as", "zhou.sec")
        self.assertEqual(len(content_row(self.dir, note)[0]), 32)
        self.assertEqual(self.ok("verify", "--json").json["problems"], 0)

    def test_expunge_leaves_nothing_to_recover(self):
        seq = self.complaint()
        salt, sealed = content_row(self.dir, seq)
        wrapped_key = sealed[9:105]
        body = sealed[121:-32]
        self.ok("expunge", "approve", seq, "--reason", "个人信息删除请求",
                "--as", "zhou.sec")
        r = self.ct("expunge", seq, "--reason", "个人信息删除请求",
                    "--approved-by", "zhou.sec", "--as", "li.clerk")
        self.assertEqual(r.code, 0, r)
        self.assertIsNone(content_row(self.dir, seq))
        for needle in (wrapped_key, body[:48], SECRET_TEXT.encode()):
            self.assert_absent(needle)
        r = self.ct("record", "show", seq)
        self.assertIn("expunged", r.out + r.err)
        summary = self.ok("verify", "--json").json
        self.assertEqual((summary["problems"], summary["expunged"]), (0, 1))


if __name__ == "__main__":
    ctest.main()
