#!/usr/bin/env python3
"""The records each stage requires come from data/record-kinds.json: a
`required` member added to a copy of the data raises missing-record with
no change to the code, and tests/data/check_data.py rejects a broken one.
"""

import json
import os
import shutil
import subprocess
import tempfile
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import ctest  # noqa: E402
from casecheck import FixedDateCase, offset  # noqa: E402

CHECK_DATA = os.path.join(ctest.SRC, "tests", "data", "check_data.py")


def kind_of(data, code):
    [kind] = [k for k in data["kinds"] if k["code"] == code]
    return kind


class RequiredDataTest(FixedDateCase):
    def setUp(self):
        # The copy must be in place before the staff are registered,
        # since every command of the test reads it.
        self.data = os.path.join(tempfile.mkdtemp(prefix="casetrail-data-"), "data")
        shutil.copytree(os.path.join(ctest.SRC, "data"), self.data)
        self.addCleanup(shutil.rmtree, os.path.dirname(self.data), True)
        self.old_env = os.environ.get("CASETRAIL_DATA")
        os.environ["CASETRAIL_DATA"] = self.data
        self.addCleanup(self.restore_env)
        super().setUp()

    def restore_env(self):
        if self.old_env is None:
            os.environ.pop("CASETRAIL_DATA", None)
        else:
            os.environ["CASETRAIL_DATA"] = self.old_env

    def edit_kinds(self, change):
        path = os.path.join(self.data, "record-kinds.json")
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        change(data)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=2)

    def check_data(self):
        return subprocess.run([sys.executable, CHECK_DATA, self.data],
                              capture_output=True, text=True, timeout=60)

    def test_shipped_data_passes(self):
        r = self.check_data()
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_added_requirement_raises_missing_record(self):
        # A bureau that requires the time-limit notice by the acceptance
        # of every licence declares it in the data alone.
        self.edit_kinds(lambda d: kind_of(d, "time-limit-notice").__setitem__(
            "required", [{"by": "acceptance-notice", "when": {"type": "licence"}}]))
        self.assertEqual(self.check_data().returncode, 0)
        case = self.new_case_as("南京金陵小厨餐饮有限公司", "91320104MA1NXQ2K5B")
        self.receipt(case, offset("2026-09-21"))
        accept = self.accept(case, offset("2026-09-22"))
        found = [f for f in self.findings_of(case, "missing-record")
                 if f["key"] == "time-limit-notice"]
        self.assertEqual(len(found), 1, found)
        self.assertEqual(found[0]["record"], accept["seq"])
        self.assertEqual(found[0]["responsible"], "wang.clerk")
        notice = self.time_limit_notice(case, "2026-10-27")
        found = [f for f in self.findings_of(case, "missing-record")
                 if f["key"] == "time-limit-notice"]
        self.assertEqual(found[0]["cured"], notice["ts"])

    def test_removed_requirement_raises_nothing(self):
        self.edit_kinds(lambda d: kind_of(d, "material-receipt").pop("required"))
        case = self.new_case_as("南京福满楼餐饮管理有限公司", "91320106MA1P3RT68H")
        self.accept(case, offset("2026-09-22"))
        self.assertEqual(self.findings_of(case, "missing-record"), [])

    def test_check_data_rejects_bad_requirement(self):
        def change(d):
            kind_of(d, "licence-issue")["required"] = [
                {"by": "no-such-kind", "when": {"matter": "no_such_flag",
                                                "type": "permit",
                                                "record": "nothing",
                                                "status": "done"},
                 "extra": 1}]
        self.edit_kinds(change)
        r = self.check_data()
        self.assertEqual(r.returncode, 1, r)
        where = "record-kinds.json: kinds (licence-issue).required[0]"
        self.assertIn(where + ': unknown member "extra"', r.stderr)
        self.assertIn(where + '.by: "no-such-kind" is neither a kind nor "service"',
                      r.stderr)

    def test_check_data_rejects_bad_when(self):
        def change(d):
            kind_of(d, "licence-issue")["required"] = [
                {"by": "service", "when": {"matter": "no_such_flag", "type": "permit",
                                           "record": "nothing", "status": "done"}}]
        self.edit_kinds(change)
        r = self.check_data()
        self.assertEqual(r.returncode, 1, r)
        where = "record-kinds.json: kinds (licence-issue).required[0].when"
        self.assertIn(where + '.matter: "no_such_flag"; use one of', r.stderr)
        self.assertIn(where + '.type: "permit"; use licence or confirmation', r.stderr)
        self.assertIn(where + '.record: "nothing" is not a kind', r.stderr)
        self.assertIn(where + '.status: "done"; use one of', r.stderr)


if __name__ == "__main__":
    ctest.main()
