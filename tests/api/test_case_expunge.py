#!/usr/bin/env python3
"""An expunged record leaves every rendering of its case.

The server caches a case's JSON by its last entry. An approved expunge
of a record's content, made from the command line while the server runs,
must reach that cache. The case then shows the record as expunged, with
the expunge entry in its timeline, and the destroyed text appears in no
reply.
"""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import apitest  # noqa: E402
import workflow  # noqa: E402

SECRET = "身份证号 320102199001011234 误录"


class CaseExpungeTest(workflow.WorkflowTest):

    def setUp(self):
        super().setUp()
        self.token = self.ok("token", "create", "--user", "wang.clerk").out.strip()
        self.server = apitest.Server(self.dir)

    def tearDown(self):
        try:
            self.server.close()
        finally:
            super().tearDown()

    def get_case(self, case):
        r = self.server.request("GET", "/api/v1/cases/" + case, token=self.token)
        self.assertEqual(r.status, 200, r)
        return r

    def test_expunge_reaches_cached_case(self):
        case = self.new_case()
        seq = self.add(case, "note", {"text": SECRET}, "wang.clerk")["seq"]
        before = self.get_case(case)
        self.assertIn(SECRET, before.body.decode(), "the note is shown first")
        self.ok("user", "add", "sec.admin", "--role", "secadmin")
        self.ok("expunge", "approve", str(seq), "--reason", "误录身份证号",
                "--as", "sec.admin")
        r = self.ct("expunge", str(seq), "--reason", "误录身份证号",
                    "--approved-by", "sec.admin", "--as", "zhao.rev")
        self.assertEqual(r.code, 0, r)
        deadline = time.monotonic() + 5
        while True:
            after = self.get_case(case)
            if SECRET not in after.body.decode() or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertNotIn(SECRET, after.body.decode(), "expunged text still served")
        self.assertNotEqual(after.headers["ETag"], before.headers["ETag"])
        records = {x["seq"]: x for x in after.json["records"]}
        self.assertTrue(records[seq].get("expunged"), records[seq])
        kinds = [x["kind"] for x in after.json["records"]]
        self.assertIn("expunge", kinds, "the expunge is in the timeline")
        case_json = self.show(case)
        self.assertTrue({x["seq"]: x for x in case_json["records"]}[seq].get("expunged"))
        r = self.ct("rebuild")
        self.assertEqual(r.code, 0, r)
        self.assertTrue(r.json["match"], r)


if __name__ == "__main__":
    unittest.main()
