#!/usr/bin/env python3
"""casetrail import: historical cases with their scanned attachments.

Attachments are named by paths relative to the folder of the import
file, and may not leave it: not by '..', an absolute path or a symbolic
link. Each line is applied whole or not at all.
"""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import ctest  # noqa: E402
import workflow  # noqa: E402

SIGNED = "2026-11-02T10:00:00+08:00"


class ImportTest(workflow.WorkflowTest):

    def setUp(self):
        super().setUp()
        self.folder = os.path.join(self.tmp, "migration")
        os.makedirs(os.path.join(self.folder, "scans"))
        with open(os.path.join(self.folder, "scans", "seal.png"), "wb") as f:
            f.write(workflow.png_bytes())
        self.secret = os.path.join(self.tmp, "outside.txt")
        with open(self.secret, "w") as f:
            f.write("not for import")
        os.symlink(self.secret, os.path.join(self.folder, "scans", "link.png"))

    def receipt_line(self, attach):
        return {"op": "record", "case": "$1", "kind": "material-receipt", "at": SIGNED,
                "as": "wang.clerk", "attach": attach,
                "fields": {"received": [{"code": "sqs", "name": "申请书", "copies": 1,
                                         "original": True}],
                           "receipt_date": "2026-11-02",
                           "signatures": [workflow.staff_sig("clerk", "wang.clerk", SIGNED),
                                          workflow.seal_sig(0, SIGNED)]}}

    def run_import(self, lines):
        path = os.path.join(self.folder, "cases.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for line in lines:
                f.write(json.dumps(line, ensure_ascii=False) + "\n")
        return self.ct("import", path)

    def case_line(self):
        return {"op": "case", "matter": "spjy-xk", "applicant": "某某超市",
                "received": "2026-11-02T09:00:00+08:00", "as": "wang.clerk"}

    def test_attachment_imported(self):
        r = self.run_import([self.case_line(), self.receipt_line(["scans/seal.png"])])
        self.assertEqual(r.code, 0, r)
        case = r.json["cases"]["1"]
        records = self.show(case)["records"]
        self.assertEqual(records[-1]["kind"], "material-receipt")
        self.assertEqual(len(records[-1]["attachments"]), 1, records[-1])
        self.assertEqual(records[-1]["attachments"][0]["type"], "image/png")
        self.assertEqual(self.ct("verify").code, 0)

    def test_paths_out_of_folder_rejected(self):
        bad = ["../outside.txt", self.secret, "scans/link.png", "scans/missing.png"]
        lines = [self.case_line()] + [self.receipt_line([p]) for p in bad]
        r = self.run_import(lines)
        self.assertEqual(r.code, 2, r)
        self.assertEqual(r.json["imported"], 1, r)
        self.assertEqual(r.json["failed"], 4, r)
        self.assertIn("line 2: attach path '../outside.txt' leaves the folder", r.err)
        self.assertIn("line 3: attach path '%s' must be relative" % self.secret, r.err)
        self.assertIn("line 4: attach 'scans/link.png' is a symbolic link", r.err)
        self.assertIn("line 5: cannot open attach 'scans/missing.png'", r.err)
        case = r.json["cases"]["1"]
        self.assertEqual([x["kind"] for x in self.show(case)["records"]], ["application"])

    def test_fifo_and_folder_rejected(self):
        os.mkfifo(os.path.join(self.folder, "scans", "pipe.png"))
        lines = [self.case_line(), self.receipt_line(["scans/pipe.png"]),
                 self.receipt_line(["scans"])]
        r = self.run_import(lines)  # a FIFO opened for reading would block
        self.assertEqual(r.code, 2, r)
        self.assertEqual(r.json["failed"], 2, r)
        self.assertIn("line 2: attach 'scans/pipe.png' is not a regular file", r.err)
        self.assertIn("line 3: attach 'scans' is not a regular file", r.err)
        self.assertEqual(ctest.blob_files(self.dir), [], "no attachment stored")

    def test_failed_line_stores_nothing(self):
        line = self.receipt_line(["scans/seal.png"])
        del line["fields"]["receipt_date"]
        r = self.run_import([self.case_line(), line])
        self.assertEqual(r.code, 2, r)
        self.assertIn("line 2: field 'receipt_date'", r.err)
        case = r.json["cases"]["1"]
        self.assertEqual(len(self.show(case)["records"]), 1)
        self.assertEqual(ctest.blob_files(self.dir), [], "no attachment stored")

    def test_invalid_json_line_reported(self):
        path = os.path.join(self.folder, "cases.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            f.write(json.dumps(self.case_line(), ensure_ascii=False) + "\n{not json\n")
        r = self.ct("import", path)
        self.assertEqual(r.code, 2, r)
        self.assertIn("line 2: invalid JSON", r.err)
        self.assertEqual(r.json["imported"], 1, r)


if __name__ == "__main__":
    unittest.main()
