#!/usr/bin/env python3
"""Case input that must be rejected with the store unchanged.

Names that read differently from what is stored (direction overrides,
invisible characters), material codes the matter does not have, actors
who are not registered staff, and corrections that would change what a
case is.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import workflow  # noqa: E402


class CaseInputTest(workflow.WorkflowTest):

    def size(self):
        return self.ok("checkpoint").out

    def rejected(self, args, needle):
        before = self.size()
        r = self.ct(*args)
        self.assertEqual(r.code, 2, r)
        self.assertIn(needle, r.err)
        self.assertEqual(self.size(), before, "nothing stored")

    def new_args(self, **kw):
        args = {"matter": "spjy-xk", "applicant": "某某超市", "received": workflow.at(-1),
                "materials": "sqs", "as": "wang.clerk"}
        args.update(kw)
        out = ["case", "new"]
        for key, value in args.items():
            out += ["--" + key, value]
        return out

    def test_bidi_override_in_applicant(self):
        self.rejected(self.new_args(applicant="某某\u202e司公限有"), "U+202E")

    def test_invisible_space_in_applicant(self):
        self.rejected(self.new_args(applicant="某某\u200b超市"), "U+200B")

    def test_unknown_material_code(self):
        self.rejected(self.new_args(materials="sqs,zzz"),
                      "materials[1] 'zzz' is not a material of matter 'spjy-xk'")

    def test_material_listed_twice(self):
        self.rejected(self.new_args(materials="sqs,sqs"), "lists material 'sqs' twice")

    def test_unregistered_actor(self):
        self.rejected(self.new_args(**{"as": "nobody.here"}),
                      "user 'nobody.here' is not registered")

    def test_unknown_supplement_material(self):
        case = self.new_case()
        r = self.supplement(case, ["zzz"], expect=2)
        self.assertIn("missing[0] 'zzz' is not a material", r.err)

    def test_application_matter_not_correctable(self):
        case = self.new_case()
        app = self.show(case)["records"][0]
        fields = dict(app["fields"], matter="ggcs-wsxk")
        self.rejected(["record", "correct", str(app["seq"]), "--reason", "改事项",
                       "--fields", self.fields_file(fields), "--as", "wang.clerk"],
                      "the matter of a case cannot be corrected")

    def test_received_correction_moves_clock(self):
        case = self.new_case(received="2026-11-02T09:00:00+08:00")
        self.assertEqual(self.show(case)["deadlines"]["acceptance"]["date"], "2026-11-09")
        app = self.show(case)["records"][0]
        fields = dict(app["fields"], received="2026-11-03T09:00:00+08:00")
        self.ok("record", "correct", str(app["seq"]), "--reason", "收件时间录错",
                "--fields", self.fields_file(fields), "--as", "wang.clerk")
        case_json = self.show(case)
        self.assertEqual(case_json["deadlines"]["acceptance"]["date"], "2026-11-10")
        self.assertEqual(case_json["received"], "2026-11-03T09:00:00+08:00")

    def test_findings_unknown_code(self):
        r = self.ct("findings", "--code", "nope")
        self.assertEqual(r.code, 2, r)
        self.assertIn("finding code 'nope' is unknown", r.err)

    def test_findings_unknown_case(self):
        r = self.ct("findings", "--case", "2026-999999")
        self.assertEqual(r.code, 2, r)
        self.assertIn("case '2026-999999' not found", r.err)

    def test_import_reference_to_no_case(self):
        path = self.fields_file({})
        with open(path, "w", encoding="utf-8") as f:
            f.write('{"op":"record","case":"$7","kind":"note","fields":{"text":"x"},'
                    '"as":"wang.clerk"}\n')
        r = self.ct("import", path)
        self.assertEqual(r.code, 2, r)
        self.assertIn("line 1: case '$7' names line 7, which opened no case", r.err)

    def test_limit_error_printed_once(self):
        r = self.ct("case", "list", "--limit", "-5")
        self.assertEqual(r.code, 2, r)
        self.assertEqual(r.err.count("casetrail:"), 1, r)


if __name__ == "__main__":
    unittest.main()
