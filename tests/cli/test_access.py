#!/usr/bin/env python3
"""The access policy on the command line (docs/access.md, The command
line): marks, the viewer of --as, the console's recorded reads, the access
log and the route and policy listings.
"""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import ctest  # noqa: E402

RESIDENT_ID = "110101199003074514"


class AccessCliTest(ctest.StoreTest):

    def setUp(self):
        super().setUp()
        for name, role, unit in (("wang.li", "clerk", "window"),
                                 ("li.cleared", "clerk", "window"),
                                 ("zhao.min", "handler", "licensing"),
                                 ("sec.li", "secadmin", None),
                                 ("shen.audit", "auditor", None)):
            args = ["user", "add", name, "--role", role]
            if unit:
                args += ["--unit", unit]
            self.ok(*args)
        self.ok("user", "clearance", "li.cleared", "sensitive-personal,commercial-secret")
        self.case = self.ok("case", "new", "--matter", "spjy-xk", "--applicant", "张三",
                            "--applicant-id", RESIDENT_ID, "--contact", "13800000000",
                            "--received", time.strftime("%Y-%m-%d"),
                            "--as", "wang.li").out.strip()
        self.app = self.ok("case", "show", self.case, "--json", "--as",
                           "li.cleared").json["records"][0]["seq"]

    def note(self, text, *args):
        path = os.path.join(self.tmp, "note.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"text": text}, f, ensure_ascii=False)
        return self.ok("record", "add", "--case", self.case, "--kind", "note",
                       "--fields", path, "--as", "wang.li", *args).json["seq"]

    def log(self, *args):
        return self.ok("access", "log", "--json", *args).json["items"]

    def test_case_show_withholds(self):
        shown = self.ok("case", "show", self.case, "--json", "--as", "wang.li").json
        self.assertNotIn("applicant_id", shown)
        self.assertIn("withheld", shown["records"][0])
        self.assertEqual(shown["records"][0]["mark"], "sensitive-personal")
        full = self.ok("case", "show", self.case, "--json", "--as", "li.cleared").json
        self.assertEqual(full["applicant_id"], RESIDENT_ID)
        self.assertEqual(full["records"][0]["fields"]["contact"], "13800000000")
        r = self.ct("case", "show", self.case, "--as", "zhao.min")
        self.assertEqual(r.code, 2, r)
        self.assertIn("takes no part", r.err)
        self.assertNotIn("张三", r.out)

    def test_console_sees_all_and_is_logged(self):
        shown = self.ok("case", "show", self.case, "--json").json
        self.assertEqual(shown["applicant_id"], RESIDENT_ID)
        me = self.ok("log", "show", 0).json["entry"]["os_user"]
        reads = self.log("--user", me)
        self.assertEqual(len(reads), 1, reads)
        self.assertEqual(reads[0]["outcome"], "read")
        self.assertEqual(reads[0]["from"], "cli")
        self.assertEqual(reads[0]["mark"], "sensitive-personal")
        entry = self.ok("log", "show", reads[0]["seq"]).json["entry"]
        self.assertEqual(entry["kind"], "access")
        self.assertEqual(entry["os_user"], me)
        self.assertNotIn("case", entry)

    def test_record_show_checks_as(self):
        r = self.ct("record", "show", self.app, "--as", "wang.li")
        self.assertEqual(r.code, 2, r)
        self.assertIn("not cleared", r.err)
        self.assertNotIn(RESIDENT_ID, r.out)
        shown = self.ok("record", "show", self.app, "--as", "li.cleared").json
        self.assertEqual(shown["mark"], "sensitive-personal")
        self.assertEqual(shown["fields"]["applicant_id"], RESIDENT_ID)
        outcomes = {(i["user"], i["outcome"]) for i in self.log("--case", self.case)}
        self.assertIn(("wang.li", "refused"), outcomes)
        self.assertIn(("li.cleared", "read"), outcomes)
        # An unmarked note reads without an entry.
        seq = self.note("公开说明")
        before = self.ok("checkpoint", "--now", "--json").json["size"]
        self.ok("record", "show", seq, "--as", "wang.li")
        self.assertEqual(self.ok("checkpoint", "--now", "--json").json["size"], before)

    def test_media_show_checks_as(self):
        clip = os.path.join(self.tmp, "clip.mp4")
        with open(clip, "wb") as f:
            f.write(b"not really a video" * 8)
        seq = self.ok("media", "ingest", clip, "--device", "cam", "--type", "audio",
                      "--case", self.case, "--as", "wang.li",
                      "--json").json["items"][0]["seq"]
        shown = self.ok("media", "show", seq, "--as", "wang.li").json
        self.assertEqual(shown["mark"], "personal")
        r = self.ct("media", "show", seq, "--as", "zhao.min")
        self.assertEqual(r.code, 2, r)
        self.assertIn("takes no part", r.err)
        r = self.ct("media", "ingest", clip, "--device", "cam", "--mark", "state-secret",
                    "--as", "wang.li")
        self.assertEqual(r.code, 2, r)
        self.assertIn("secret-material-note", r.err)

    def test_record_add_mark(self):
        seq = self.note("经营数据", "--mark", "commercial-secret")
        self.assertEqual(self.ok("record", "show", seq).json["mark"], "commercial-secret")
        r = self.ct("record", "add", "--case", self.case, "--kind", "note", "--fields", "-",
                    "--mark", "state-secret", "--as", "wang.li", input='{"text": "x"}')
        self.assertEqual(r.code, 2, r)
        self.assertIn("secret-material-note", r.err)
        r = self.ct("record", "add", "--case", self.case, "--kind", "note", "--fields", "-",
                    "--as", "wang.li", input='{"text": "x", "mark": "state-secret"}')
        self.assertEqual(r.code, 2, r)
        self.assertIn("state secrets are never stored", r.err)

    def test_mark_command(self):
        seq = self.note("先公开")
        r = self.ct("mark", "record", seq, "personal", "--reason", "含电话", "--as", "wang.li")
        self.assertEqual(r.code, 2, r)
        self.assertIn("secadmin", r.err)
        r = self.ct("mark", "record", seq, "personal", "--as", "sec.li")
        self.assertEqual(r.code, 2, r)
        self.assertIn("--reason", r.err)
        r = self.ct("mark", "record", seq, "personal", "--reason", "含电话")
        self.assertEqual(r.code, 2, r)
        self.assertIn("--as", r.err)
        r = self.ct("mark", "record", seq, "state-secret", "--reason", "x", "--as", "sec.li")
        self.assertEqual(r.code, 2, r)
        self.assertIn("secret-material-note", r.err)
        out = self.ok("mark", "record", seq, "personal", "--reason", "含电话",
                      "--as", "sec.li").json
        self.assertEqual((out["mark"], out["previous"], out["by"]),
                         ("personal", "none", "sec.li"))
        self.assertEqual(out["case"], self.case)
        self.assertEqual(self.ok("mark", "show", "record", seq).json["mark"], "personal")
        r = self.ct("record", "show", seq, "--as", "wang.li")
        self.assertEqual(r.code, 2, r)
        r = self.ct("mark", "record", 99999, "none", "--reason", "x", "--as", "sec.li")
        self.assertEqual(r.code, 2, r)
        self.assertIn("99999", r.err)
        refused = self.log("--user", "wang.li", "--outcome", "refused")
        self.assertIn("mark-set", [i["action"] for i in refused])

    def test_mark_targets_only_records(self):
        r = self.ct("mark", "record", 0, "personal", "--reason", "x", "--as", "sec.li")
        self.assertEqual(r.code, 2, r)
        self.assertIn("user", r.err)

    def test_access_log_needs_auditor(self):
        r = self.ct("access", "log", "--as", "li.cleared")
        self.assertEqual(r.code, 2, r)
        self.assertIn("auditor", r.err)
        self.ok("access", "log", "--as", "shen.audit")
        table = self.ok("access", "log").out
        self.assertIn("li.cleared", table)
        self.assertIn("refused", table)

    def test_audit_lists_marks(self):
        seq = self.note("x")
        self.ok("mark", "record", seq, "personal", "--reason", "r", "--as", "sec.li")
        items = self.ok("access", "audit", "--json", "--kind", "mark").json["items"]
        self.assertEqual([i["actor"] for i in items], ["sec.li"])

    def test_audit_lists_accounts(self):
        self.ok("user", "add", "sys.li", "--role", "sysadmin")
        self.ok("user", "add", "new.clerk", "--as", "sys.li")
        self.ok("token", "create", "--user", "new.clerk", "--as", "sys.li")
        items = self.ok("access", "audit", "--json", "--user", "sys.li").json["items"]
        self.assertEqual([i["kind"] for i in items], ["token", "user"])
        self.assertEqual(items[1]["fields"], {"name": "new.clerk"})
        self.assertNotIn("hash", items[0]["fields"])
        # Acts of staff who hold no administration role are not listed.
        self.assertEqual(self.ok("access", "audit", "--json", "--user",
                                 "wang.li").json["items"], [])

    def test_policy_and_routes_listed(self):
        policy = self.ok("access", "policy", "--json").json
        actions = {a["action"]: a for a in policy["actions"]}
        self.assertEqual(actions["mark-set"]["roles"], ["secadmin"])
        self.assertEqual(actions["record-read"]["scope"], "case")
        self.assertTrue(actions["record-read"]["clearance"])
        for role in ("sysadmin", "secadmin", "auditor"):
            for name, rule in actions.items():
                if rule["scope"] == "case":
                    self.assertNotIn(role, rule["roles"], name)
        routes = self.ok("routes", "--json").json
        self.assertIn({"method": "GET", "path": "/api/v1/records/*",
                       "action": "record-read", "anonymous": False}, routes)

    def test_rebuild_keeps_marks_and_log(self):
        seq = self.note("x")
        self.ok("mark", "record", seq, "commercial-secret", "--reason", "r", "--as", "sec.li")
        self.ct("record", "show", self.app, "--as", "wang.li")
        before = (self.log(), self.ok("mark", "show", "record", seq).json)
        r = self.ok("rebuild")
        self.assertTrue(r.json["match"], r.json)
        self.assertEqual((self.log(), self.ok("mark", "show", "record", seq).json), before)


if __name__ == "__main__":
    unittest.main(verbosity=2)
