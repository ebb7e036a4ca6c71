#!/usr/bin/env python3
"""An ingest killed with SIGKILL leaves no entry and no half file.

`casetrail media ingest` streams a large file into the store while it is
killed at a random moment: while streaming, probing or appending. After
each kill the store must verify, hold either a whole entry for the file
or none at all, keep no blob under a hash name whose content differs
from it, and ingest the same file again when asked.
"""

import glob
import hashlib
import os
import random
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import ctest  # noqa: E402

ROUNDS = int(os.environ.get("CASETRAIL_MEDIA_CRASH_ROUNDS", "8"))
SIZE = 96 << 20


class MediaKillTest(ctest.StoreTest):

    def setUp(self):
        super().setUp()
        self.ok("user", "add", "li.handler", "--role", "handler")
        self.path = os.path.join(self.tmp, "footage.bin")
        with open(self.path, "wb") as f:
            block = os.urandom(1 << 20)
            for i in range(SIZE >> 20):
                f.write(block[:-4] + i.to_bytes(4, "little"))
        h = hashlib.sha256()
        with open(self.path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        self.sha256 = "sha256:" + h.hexdigest()

    def ingest_killed(self, delay):
        proc = subprocess.Popen(
            [ctest.BIN, "media", "ingest", self.path, "--device", "BWC-1",
             "--as", "li.handler", "--dir", self.dir, "--json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.communicate()

    def blob_files(self):
        return glob.glob(os.path.join(self.dir, "blobs", "sm3", "*", "*", "*"))

    def test_kill_during_ingest(self):
        rng = random.Random(int(os.environ.get("CASETRAIL_SEED", "7")))
        entries = 0
        for _ in range(ROUNDS):
            self.ingest_killed(rng.uniform(0.02, 1.0))
            listed = self.ok("media", "list", "--json").json
            self.assertIn(listed["total"], (entries, entries + 1),
                          "an ingest adds one whole entry or none")
            entries = listed["total"]
            for row in listed["items"]:
                self.assertEqual(row["sha256"], self.sha256)
            # A file under a hash name is whole: its name is its hash.
            for p in self.blob_files():
                h = hashlib.new("sm3")
                with open(p, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        h.update(chunk)
                self.assertEqual(h.hexdigest(), os.path.basename(p), p)
            r = self.ct("verify")
            self.assertEqual(r.code, 0, r)
        r = self.ok("media", "ingest", self.path, "--device", "BWC-1", "--as",
                    "li.handler", "--json", timeout=300)
        self.assertEqual(r.json["items"][0]["sha256"], self.sha256)
        self.assertEqual(self.ok("verify", "--blobs", "all").code, 0)


if __name__ == "__main__":
    unittest.main()
