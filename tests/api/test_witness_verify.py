#!/usr/bin/env python3
"""GET /api/v1/witness reports the result of the last verify of the store.

The integrity badge of the browser reads `verify`: the CST day of the
server's last nightly verify (null before the first) and whether an
integrity-failure finding is open. A verify run that finds a damaged
blob opens one; a run that passes after the blob is put back cures it.

Python 3 standard library only.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import apitest  # noqa: E402
import ctest  # noqa: E402


class WitnessVerifyTest(apitest.ApiTest):

    def verify_state(self):
        r = self.get("/api/v1/witness")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["witnesses"], [])
        return r.json["verify"]

    def test_verify_failure_and_cure(self):
        self.assertEqual(self.verify_state(),
                         {"last_day": None, "integrity_failure_open": False})

        data = b"scanned page kept for the verify test"
        scan = os.path.join(self.tmp, "scan.txt")
        with open(scan, "wb") as f:
            f.write(data)
        note = self.add_note("扫描件一页。", attach=[scan])
        digest = note["attachments"][0]["hash"].split(":", 1)[1]
        path = os.path.join(self.dir, "blobs", ctest.hash_name(self.crypto),
                            digest[:2], digest[2:4], digest)
        os.chmod(path, 0o600)
        with open(path, "wb") as f:
            f.write(b"damaged")
        r = self.ct("verify", "--blobs", "all")
        self.assertEqual(r.code, 1, r)
        state = self.verify_state()
        self.assertTrue(state["integrity_failure_open"], state)
        self.assertIsNone(state["last_day"])

        with open(path, "wb") as f:
            f.write(data)
        self.ok("verify", "--blobs", "all")
        self.assertFalse(self.verify_state()["integrity_failure_open"])


if __name__ == "__main__":
    unittest.main()
