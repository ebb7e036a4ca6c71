#!/usr/bin/env python3
"""Defences against a damaged store, interrupted expunges and odd input.

Each case damages or misuses a store the way an operator, a crash or an
attacker could, and checks that casetrail rejects it with a clear message
(exit 2) or repairs it, and that verify reports it correctly.
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import ctest  # noqa: E402
from ctest import run  # noqa: E402


blob_files = ctest.blob_files


class HardeningTest(ctest.StoreTest):
    def write(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def fields(self, text="note"):
        return self.write("fields.json", json.dumps({"text": text}).encode())

    def config(self):
        with open(self.path("config.json")) as f:
            return json.load(f)

    def write_config(self, cfg):
        with open(self.path("config.json"), "w") as f:
            json.dump(cfg, f)

    def test_interrupted_blob_expunge_finished(self):
        path = self.write("scan.jpg", b"scanned ID card " * 1000)
        receipt = self.add_note("with scan", attach=[path])
        blob = receipt["attachments"][0]["hash"]
        stored = blob_files(self.dir)
        self.assertEqual(len(stored), 1)
        kept = os.path.join(self.tmp, "kept")
        shutil.copyfile(stored[0], kept)
        self.ok("user", "add", "chief", "--role", "secadmin")
        self.ok("expunge", "approve", receipt["seq"], "--blob", blob, "--reason",
                "misfiled", "--as", "chief")
        r = self.ct("expunge", receipt["seq"], "--blob", blob, "--reason",
                    "misfiled", "--approved-by", "chief", "--as", "clerk")
        self.assertEqual(r.code, 0, r)
        # A process killed between its commit and the wipe leaves this.
        shutil.copyfile(kept, stored[0])
        r = self.ct("verify")
        self.assertEqual(r.code, 1, r)
        self.assertIn("expunge --finish", r.out)
        self.ok("expunge", "--finish")
        self.assertEqual(blob_files(self.dir), [])
        self.ok("verify")

    def test_retired_files_wiped(self):
        retired = self.path("blobs", "tmp", "expunged-" + "ab" * 32)
        with open(retired, "wb") as f:
            f.write(b"personal data that must go")
        self.ok("expunge", "--finish")
        self.assertFalse(os.path.exists(retired))

    def test_pending_wipe_reported_and_finished(self):
        self.add_note("one")
        db = sqlite3.connect(self.path("casetrail.db"))
        db.execute("INSERT OR REPLACE INTO meta VALUES ('wipe_pending', '1')")
        db.commit()
        db.close()
        r = self.ct("verify")
        self.assertEqual(r.code, 1, r)
        self.assertIn("has not finished removing old copies", r.out)
        # The next writer finishes the wipe on open.
        self.add_note("two")
        self.ok("verify")

    def test_config_crypto_edit_rejected(self):
        cfg = self.config()
        cfg["crypto"] = "rsa"
        self.write_config(cfg)
        r = self.ct("record", "add", "--kind", "note",
                    "--fields", self.fields())
        self.assertEqual(r.code, 2, r)
        self.assertIn("crypto", r.err)

    def test_config_hash_mode_swap_rejected(self):
        cfg = self.config()
        cfg["crypto"] = "standard"
        cfg["hash"] = "sha256"
        cfg["origin"] = cfg["origin"].replace("/sm3", "/sha256")
        cfg["keys"] = [k for k in cfg["keys"] if k["type"] == "ed25519"]
        for k in cfg["keys"]:
            k["name"] = cfg["origin"]
        self.write_config(cfg)
        r = self.ct("record", "add", "--kind", "note",
                    "--fields", self.fields())
        self.assertEqual(r.code, 2, r)
        self.assertIn("casetrail.db", r.err)
        r = self.ct("verify")
        self.assertEqual(r.code, 1, r)

    def test_config_origin_edit_rejected(self):
        cfg = self.config()
        cfg["origin"] = "evil.example/casetrail/%s/sm3" % cfg["store_id"]
        for k in cfg["keys"]:
            k["name"] = cfg["origin"]
        self.write_config(cfg)
        r = self.ct("checkpoint", "--now")
        self.assertEqual(r.code, 2, r)
        self.assertIn("origin", r.err)

    def test_config_format_rejected(self):
        cfg = self.config()
        cfg["format"] = 2
        self.write_config(cfg)
        r = self.ct("key", "show")
        self.assertEqual(r.code, 2, r)
        self.assertIn("format", r.err)

    def test_config_missing_key_rejected(self):
        cfg = self.config()
        cfg["keys"] = [k for k in cfg["keys"] if k["type"] == "ed25519"]
        self.write_config(cfg)
        r = self.ct("verify")
        self.assertEqual(r.code, 2, r)
        self.assertIn("sm2", r.err)

    def test_readable_private_key_rejected(self):
        self.add_note("one")
        os.chmod(self.path("keys", "sm2.key"), 0o644)
        r = self.ct("checkpoint", "--now")
        self.assertEqual(r.code, 2, r)
        self.assertIn("chmod 600", r.err)

    def test_foreign_private_key_rejected(self):
        other = os.path.join(self.tmp, "other")
        self.assertEqual(run("init", "--dir", other).code, 0)
        self.add_note("one")
        shutil.copyfile(os.path.join(other, "keys", "ed25519.key"),
                        self.path("keys", "ed25519.key"))
        os.chmod(self.path("keys", "ed25519.key"), 0o600)
        r = self.ct("checkpoint", "--now")
        self.assertEqual(r.code, 2, r)
        self.assertIn("does not belong", r.err)
        self.ok("verify")

    def test_fifo_attachment_rejected(self):
        fifo = os.path.join(self.tmp, "pipe")
        os.mkfifo(fifo)
        started = time.monotonic()
        r = self.ct("record", "add", "--kind", "note",
                    "--fields", self.fields(), "--attach", fifo, timeout=20)
        self.assertEqual(r.code, 2, r)
        self.assertIn("not a regular file", r.err)
        self.assertLess(time.monotonic() - started, 10)

    def test_fifo_fields_rejected(self):
        fifo = os.path.join(self.tmp, "pipe")
        os.mkfifo(fifo)
        r = self.ct("record", "add", "--kind", "note",
                    "--fields", fifo, timeout=20)
        self.assertEqual(r.code, 2, r)
        self.assertIn("not a regular file", r.err)

    def test_fifo_config_rejected(self):
        os.replace(self.path("config.json"), os.path.join(self.tmp, "c"))
        os.mkfifo(self.path("config.json"))
        r = self.ct("verify", timeout=20)
        self.assertEqual(r.code, 2, r)

    def test_invisible_characters_rejected(self):
        for case in ("C-\u202e1", "\ufeff", "C\u200b1"):
            r = self.ct("record", "add", "--case", case, "--kind", "note",
                        "--fields", self.fields())
            self.assertEqual(r.code, 2, (case, r))
            self.assertIn("invisible", r.err)

    def test_empty_actor_rejected(self):
        r = self.ct("record", "add", "--kind", "note",
                    "--fields", self.fields(), "--as", "")
        self.assertEqual(r.code, 2, r)
        self.assertIn("--as", r.err)

    def test_empty_dir_rejected(self):
        r = run("verify", "--dir", "")
        self.assertEqual(r.code, 2, r)
        self.assertIn("--dir", r.err)

    def test_future_event_time_rejected(self):
        r = self.ct("record", "add", "--kind", "note",
                    "--fields", self.fields(), "--at", "2126-01-01T00:00:00Z")
        self.assertEqual(r.code, 2, r)
        self.assertIn("future", r.err)

    def test_lowercase_time_accepted(self):
        r = self.ok("record", "add", "--kind", "note",
                    "--fields", self.fields(), "--at", "2026-12-04t01:30:00z")
        entry = self.ok("log", "show", r.json["seq"]).json["entry"]
        self.assertEqual(entry["at"], 1796347800000)

    def test_epoch_event_time_kept(self):
        r = self.ok("record", "add", "--kind", "note",
                    "--fields", self.fields(), "--at", "1970-01-01T00:00:00Z")
        entry = self.ok("log", "show", r.json["seq"]).json["entry"]
        self.assertEqual(entry["at"], 0)

    def test_backup_checkpoint_file_from_snapshot(self):
        for i in range(3):
            self.add_note("n%d" % i)
        self.ok("checkpoint", "--now")
        backup = os.path.join(self.tmp, "bk")
        self.ok("backup", "--to", backup)
        db = sqlite3.connect(os.path.join(backup, "casetrail.db"))
        latest = db.execute("SELECT note FROM checkpoints ORDER BY size DESC"
                            " LIMIT 1").fetchone()[0]
        db.close()
        with open(os.path.join(backup, "checkpoint")) as f:
            self.assertEqual(f.read(), latest)
        self.assertEqual(run("verify", "--dir", backup).code, 0)

    def test_failed_backup_leaves_nothing(self):
        path = self.write("photo.jpg", b"site photo " * 100)
        self.add_note("with photo", attach=[path])
        os.unlink(blob_files(self.dir)[0])
        backup = os.path.join(self.tmp, "bk")
        r = self.ct("backup", "--to", backup)
        self.assertEqual(r.code, 2, r)
        self.assertIn("blob", r.err)
        self.assertFalse(os.path.exists(backup))

if __name__ == "__main__":
    ctest.main()
