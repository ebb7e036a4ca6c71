#!/usr/bin/env python3
"""check_data.py on broken document templates and bureau settings.

Each case copies the bureau data, breaks one thing in a template or in
bureau.json, and expects check_data.py to exit 1 with a line naming it.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("CASETRAIL_SRC", os.path.join(HERE, "..", ".."))
DATA = os.path.join(SRC, "data")
CHECK = os.path.join(HERE, "check_data.py")


class CheckDocumentsTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="casetrail-data-")
        self.data = os.path.join(self.tmp, "data")
        shutil.copytree(DATA, self.data)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def edit(self, name, change):
        path = os.path.join(self.data, name)
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        change(doc)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False)

    def check(self):
        return subprocess.run([sys.executable, CHECK, self.data], capture_output=True,
                              text=True)

    def assert_problem(self, *words):
        r = self.check()
        self.assertEqual(r.returncode, 1, r.stderr)
        for word in words:
            self.assertIn(word, r.stderr)

    def test_shipped_data_valid(self):
        r = self.check()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, "")

    def test_code_differs_from_file(self):
        self.edit("documents/refusal.json", lambda t: t.update(code="refusal-x"))
        self.assert_problem("refusal.json: code", "differs from the file name")

    def test_unknown_source_kind(self):
        self.edit("documents/extension.json", lambda t: t.update(source=["no-such-kind"]))
        self.assert_problem("extension.json: source[0]", "no-such-kind")

    def test_field_not_of_source(self):
        self.edit("documents/extension.json",
                  lambda t: t["body"].append({"p": "{{fields.accepted_on|date}}"}))
        self.assert_problem("fields.accepted_on", "is not a field of the source kind")

    def test_unknown_filter(self):
        self.edit("documents/extension.json",
                  lambda t: t["body"].append({"p": "{{fields.days|upper}}"}))
        self.assert_problem('unknown filter "upper"')

    def test_enum_without_every_value(self):
        self.edit("documents/rights-notice.json",
                  lambda t: t["body"].append({"p": "{{fields.method|enum:written=书面}}"}))
        self.assert_problem('no words for value "oral"')

    def test_unknown_block(self):
        self.edit("documents/extension.json", lambda t: t["body"].append({"img": "x.png"}))
        self.assert_problem("body[", "must have exactly one of")

    def test_item_outside_loop(self):
        self.edit("documents/extension.json", lambda t: t["body"].append({"p": "{{item}}"}))
        self.assert_problem('"item" is only known inside each')

    def test_loop_over_record_kind_field(self):
        self.edit("documents/approval-form.json", lambda t: t["body"].append(
            {"table_each": "records.approval-step", "row": ["{{item.fields.nope}}"]}))
        self.assert_problem('"item.fields.nope" is not a field of kind approval-step')

    def test_refusal_without_remedies(self):
        def drop(t):
            t["body"] = [b for b in t["body"] if "remedies" not in b]
        self.edit("documents/decision-deny.json", drop)
        self.assert_problem("decision-deny.json: body", "remedies")

    def test_transcript_without_confirmation(self):
        def drop(t):
            t["body"] = [b for b in t["body"] if "confirmation" not in b]
        self.edit("documents/hearing-record.json", drop)
        self.assert_problem("hearing-record.json: body", "confirmation")

    def test_partial_decision_without_remedies(self):
        def change(t):
            t["when"] = {"field": "result", "in": ["grant", "partial"]}
            t["body"] = [b for b in t["body"] if "remedies" not in b]
        self.edit("documents/decision-deny.json", change)
        self.assert_problem("decision-deny.json: body", "remedies")

    def test_when_in_unknown_value(self):
        self.edit("documents/decision-deny.json",
                  lambda t: t.update(when={"field": "result", "in": ["deny", "nope"]}))
        self.assert_problem("decision-deny.json: when.in", '"nope" is not a value')

    def test_user_field_without_person(self):
        self.edit("documents/legal-review.json", lambda t: t["body"].append(
            {"p": "{{fields.reviewers|join:、}}"}))
        self.assert_problem('"fields.reviewers" holds login names', "|person")

    def test_widths_not_one_per_column(self):
        def change(t):
            for b in t["body"]:
                if "table_each" in b:
                    b["widths"] = [1, 2]
        self.edit("documents/material-receipt.json", change)
        self.assert_problem("material-receipt.json: body", "lists 2 widths for 4 columns")

    def test_widths_not_positive(self):
        def change(t):
            for b in t["body"]:
                if "table_each" in b:
                    b["widths"] = [1, 0, 1, 1]
        self.edit("documents/material-receipt.json", change)
        self.assert_problem("material-receipt.json: body", "positive numbers")

    def test_served_without_document_seq(self):
        self.edit("documents/refusal.json", lambda t: t["body"].append(
            {"p": "{{served.number}}"}))
        self.assert_problem('"served.number" needs a source kind with the field document_seq')

    def test_bureau_member_missing(self):
        self.edit("bureau.json", lambda b: b["court"].pop("months"))
        self.assert_problem('bureau.json.court: member "months" is missing')

    def test_bureau_seal_image_missing(self):
        self.edit("bureau.json", lambda b: b.update(seal_image="seal.png"))
        self.assert_problem("bureau.json.seal_image", "file not found")


if __name__ == "__main__":
    unittest.main()
