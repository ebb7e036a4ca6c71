#!/usr/bin/env python3
"""casetrail init and key show: what a new store holds, and what init rejects."""

import json
import os
import stat
import subprocess
import sys
import tempfile
import shutil
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import ctest  # noqa: E402
from ctest import run  # noqa: E402


def tree_snapshot(root):
    """Maps every file under root to (size, mtime_ns, mode)."""
    snap = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            p = os.path.join(dirpath, name)
            st = os.stat(p)
            snap[p] = (st.st_size, st.st_mtime_ns, st.st_mode)
    return snap


class InitTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="casetrail-init-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def init(self, *args):
        return run("init", *args)

    def test_gm_store_layout(self):
        d = os.path.join(self.tmp, "s")
        r = self.init("--dir", d, "--host", "bureau.example")
        self.assertEqual(r.code, 0, r)
        for name in ("config.json", "casetrail.db", "blobs", "keys",
                     "keys/sm2.key", "keys/sm2.pub", "keys/ed25519.key",
                     "keys/ed25519.pub", "checkpoint"):
            self.assertTrue(os.path.exists(os.path.join(d, name)), name)
        for key in ("keys/sm2.key", "keys/ed25519.key"):
            mode = stat.S_IMODE(os.stat(os.path.join(d, key)).st_mode)
            self.assertEqual(mode, 0o600, key)
        with open(os.path.join(d, "config.json")) as f:
            cfg = json.load(f)
        self.assertEqual(cfg["crypto"], "gm")
        self.assertEqual(cfg["hash"], "sm3")
        self.assertEqual(cfg["origin"],
                         "bureau.example/casetrail/%s/sm3" % cfg["store_id"])

    def test_wal_mode(self):
        d = os.path.join(self.tmp, "s")
        self.assertEqual(self.init("--dir", d).code, 0)
        out = subprocess.run(["sqlite3", os.path.join(d, "casetrail.db"),
                              "PRAGMA journal_mode;"],
                             capture_output=True, text=True)
        if out.returncode == 0:
            self.assertEqual(out.stdout.strip(), "wal")

    def test_standard_store(self):
        d = os.path.join(self.tmp, "s")
        r = self.init("--dir", d, "--crypto", "standard")
        self.assertEqual(r.code, 0, r)
        self.assertFalse(os.path.exists(os.path.join(d, "keys/sm2.key")))
        with open(os.path.join(d, "checkpoint")) as f:
            lines = f.read().split("\n")
        self.assertTrue(lines[0].endswith("/sha256"), lines[0])
        self.assertEqual(lines[1], "0")

    def test_first_checkpoint_is_empty_tree(self):
        d = os.path.join(self.tmp, "s")
        self.init("--dir", d)
        r = run("checkpoint", "--dir", d, "--json")
        self.assertEqual(r.code, 0, r)
        self.assertEqual(r.json["size"], 0)
        empty = ctest.store_hash("gm", b"")
        self.assertEqual(ctest.b64(r.json["root_hash"]), empty)

    def test_existing_store_rejected(self):
        d = os.path.join(self.tmp, "s")
        self.assertEqual(self.init("--dir", d).code, 0)
        before = tree_snapshot(d)
        r = self.init("--dir", d)
        self.assertEqual(r.code, 2, r)
        self.assertIn("exists", r.err)
        self.assertEqual(tree_snapshot(d), before)

    def test_nonempty_folder_rejected(self):
        d = os.path.join(self.tmp, "s")
        os.mkdir(d)
        with open(os.path.join(d, "notes.txt"), "w") as f:
            f.write("keep me")
        r = self.init("--dir", d)
        self.assertEqual(r.code, 2, r)
        self.assertIn("not empty", r.err)
        self.assertEqual(os.listdir(d), ["notes.txt"])

    def test_bad_crypto_rejected(self):
        d = os.path.join(self.tmp, "s")
        r = self.init("--dir", d, "--crypto", "rot13")
        self.assertEqual(r.code, 2, r)
        self.assertIn("rot13", r.err)
        self.assertFalse(os.path.exists(d))

    def test_dir_from_environment(self):
        d = os.path.join(self.tmp, "env-store")
        r = run("init", env={"CASETRAIL_DIR": d})
        self.assertEqual(r.code, 0, r)
        self.assertTrue(os.path.exists(os.path.join(d, "config.json")))

    def test_key_show(self):
        d = os.path.join(self.tmp, "s")
        self.init("--dir", d, "--host", "bureau.example")
        r = run("key", "show", "--dir", d)
        self.assertEqual(r.code, 0, r)
        self.assertEqual(r.out.count("-----BEGIN PUBLIC KEY-----"), 2)
        self.assertIn("sm2 key bureau.example/casetrail/", r.out)
        r = run("key", "show", "--dir", d, "--json")
        keys = r.json["keys"]
        self.assertEqual([k["type"] for k in keys], ["sm2", "ed25519"])
        for k in keys:
            self.assertRegex(k["key_id"], "^[0-9a-f]{8}$")
        # The PEM is the key openssl reads, and the key file matches it.
        pub = os.path.join(self.tmp, "pub.pem")
        with open(pub, "w") as f:
            f.write(keys[1]["pem"])
        out = subprocess.run(["openssl", "pkey", "-pubin", "-in", pub, "-noout",
                              "-text"], capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("ED25519", out.stdout)

    def test_missing_store(self):
        r = run("key", "show", "--dir", os.path.join(self.tmp, "nothing"))
        self.assertEqual(r.code, 2, r)
        self.assertIn("casetrail init", r.err)


if __name__ == "__main__":
    ctest.main()
