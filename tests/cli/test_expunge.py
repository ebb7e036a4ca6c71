#!/usr/bin/env python3
"""casetrail expunge: what it destroys, what it records and what it rejects.

An expunge appends an entry of kind "expunge" that supersedes the target
and deletes the target's content row or blob file. The deleted bytes must
be gone from casetrail.db and its WAL and shared-memory files, and the
store must still verify.
"""

import os
import sqlite3
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import ctest  # noqa: E402


def read_all_files(root):
    """Maps each file under root to its bytes."""
    contents = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as f:
                contents[path] = f.read()
    return contents


blob_files = ctest.blob_files


class ExpungeTest(ctest.StoreTest):
    def setUp(self):
        super().setUp()
        self.secadmins = set()

    def write(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def approve(self, seq, *args, approver="chief.wang"):
        """The security administrator's approval: a user entry the first
        time, then an approval entry (none when it is rejected)."""
        if approver not in self.secadmins:
            self.ok("user", "add", approver, "--role", "secadmin")
            self.secadmins.add(approver)
        return self.ct("expunge", "approve", seq, *args, "--reason", "approved",
                       "--as", approver)

    def expunge(self, seq, *args, approver="chief.wang", actor="clerk.li", reason="wrong case"):
        self.approve(seq, *args, approver=approver)
        return self.ct("expunge", seq, "--reason", reason, "--approved-by", approver,
                       "--as", actor, *args)

    def entry(self, seq):
        return self.ok("log", "show", seq).json["entry"]

    def verify_json(self):
        r = self.ct("verify", "--json")
        self.assertEqual(r.code, 0, r)
        return r.json

    def assert_absent(self, needle):
        for path, data in read_all_files(self.dir).items():
            offset = data.find(needle)
            self.assertEqual(offset, -1, "%r found at byte %d of %s" % (needle, offset, path))

    def add_filler(self, count, start=0):
        return [self.add_note("filler note %d %s" % (start + i, "x" * (50 * i)))
                for i in range(count)]

    def test_content_show_after_expunge(self):
        self.add_filler(2)
        target = self.add_note("SHOW-MARKER-1 to be removed")["seq"]
        r = self.expunge(target)
        self.assertEqual(r.code, 0, r)
        self.assertEqual(r.json["expunged"], target)
        self.assertEqual(r.json["removed"], "content")
        record = self.ok("record", "show", target).json
        self.assertIsNone(record["fields"])
        self.assertNotIn("content_verified", record)
        self.assertIn("expunged", record["note"])
        self.assertIn("entry %d" % r.json["seq"], record["note"])
        self.assertEqual(record["entry"]["seq"], target)

    def test_content_gone_from_files(self):
        ascii_marker = "EXPUNGE-MARKER-QX7"
        chinese_marker = "身份证号码机密"
        self.add_filler(8)
        short = self.add_note("%s short %s" % (ascii_marker, chinese_marker))["seq"]
        self.add_filler(4, start=8)
        # A text of about 20 KiB spills into SQLite overflow pages.
        long_text = ("%s %s " % (ascii_marker, chinese_marker)) * 700
        long = self.add_note(long_text)["seq"]
        self.add_filler(4, start=12)
        self.ok("record", "show", short)
        self.ok("record", "show", long)
        self.assertIn(ascii_marker.encode(), b"".join(read_all_files(self.dir).values()))
        for seq in (short, long):
            r = self.expunge(seq)
            self.assertEqual(r.code, 0, r)
        self.assert_absent(ascii_marker.encode("utf-8"))
        self.assert_absent(chinese_marker.encode("utf-8"))
        self.assert_absent(b"QX7")
        self.assertEqual(self.verify_json()["expunged"], 2)

    def test_expunged_application_leaves_no_trace(self):
        """An application's content destroyed: the case row forgets the
        applicant and ID number at once, and a rebuild still matches."""
        data = os.path.join(ctest.SRC, "data")
        self.ok("user", "add", "wang.clerk", "--role", "clerk", "--unit", "A",
                "--data", data)
        case = self.ok("case", "new", "--matter", "spjy-xk", "--applicant",
                       "王五", "--applicant-id", "110101199003077774",
                       "--received", "2026-12-01", "--as", "wang.clerk",
                       "--data", data, "--json").json
        seq = str(case["records"][0]["seq"])
        r = self.expunge(seq, actor="wang.clerk")
        self.assertEqual(r.code, 0, r)
        self.ok("checkpoint", "--now")
        self.assert_absent("110101199003077774".encode())
        self.assert_absent("王五".encode())
        r = self.ok("rebuild", "--data", data, "--json")
        self.assertTrue(r.json["match"], r.json)
        shown = self.ok("case", "show", case["id"], "--data", data, "--json")
        self.assertNotIn("110101199003077774", shown.out)

    def test_verify_passes_after_expunge(self):
        self.add_filler(5)
        r = self.expunge(3)
        self.assertEqual(r.code, 0, r)
        summary = self.verify_json()
        self.assertTrue(summary["ok"])
        # Five notes, the approver, the approval and the expunge.
        self.assertEqual(summary["entries"], 8)
        self.assertEqual(summary["expunged"], 1)
        self.assertEqual(summary["content"], 7)

    def test_other_content_unchanged(self):
        receipts = self.add_filler(6)
        before = {r["seq"]: self.ok("record", "show", r["seq"]).json for r in receipts}
        self.assertEqual(self.expunge(2).code, 0)
        for seq, record in before.items():
            if seq == 2:
                continue
            after = self.ok("record", "show", seq).json
            self.assertEqual(after, record, seq)
            self.assertIs(after["content_verified"], True)

    def test_expunge_envelope(self):
        self.add_filler(3)
        r = self.expunge(1, reason="scanned the wrong applicant")
        self.assertEqual(r.code, 0, r)
        seq = r.json["seq"]
        # After three notes, the approver's account and the approval.
        self.assertEqual(seq, 5)
        entry = self.entry(seq)
        self.assertEqual(entry["kind"], "expunge")
        self.assertEqual(entry["supersedes"], 1)
        self.assertEqual(entry["actor"], "clerk.li")
        self.assertNotIn("attachments", entry)
        fields = self.ok("record", "show", seq).json["fields"]
        self.assertEqual(fields, {"reason": "scanned the wrong applicant",
                                  "approved_by": "chief.wang", "removed": "content"})

    def test_expunge_twice_rejected(self):
        self.add_filler(2)
        first = self.expunge(0)
        self.assertEqual(first.code, 0, first)
        again = self.expunge(0)
        self.assertEqual(again.code, 2, again)
        self.assertIn("already", again.err)
        self.assertIn("entry %d" % first.json["seq"], again.err)
        # Two notes, the approver, two approvals and one expunge.
        self.assertEqual(self.ok("verify", "--json").json["entries"], 6)

    def test_expunge_of_expunge_rejected(self):
        self.add_filler(2)
        first = self.expunge(0)
        self.assertEqual(first.code, 0, first)
        r = self.expunge(first.json["seq"])
        self.assertEqual(r.code, 2, r)
        self.assertIn("entry %d" % first.json["seq"], r.err)
        self.assertIn("expunge", r.err)
        record = self.ok("record", "show", first.json["seq"]).json
        self.assertEqual(record["fields"]["approved_by"], "chief.wang")

    def test_self_approval_rejected(self):
        self.add_filler(2)
        r = self.expunge(1, approver="clerk.li", actor="clerk.li")
        self.assertEqual(r.code, 2, r)
        self.assertIn("clerk.li", r.err)
        self.assertIn("approve", r.err)
        self.assertIs(self.ok("record", "show", 1).json["content_verified"], True)
        # Two notes, the approver's account and the approval, no expunge.
        self.assertEqual(self.ok("verify", "--json").json["entries"], 4)

    def test_self_approval_os_user_rejected(self):
        self.add_filler(1)
        me = self.ok("log", "show", 0).json["entry"]["os_user"]
        self.approve(0, approver=me)
        r = self.ct("expunge", 0, "--reason", "r", "--approved-by", me)
        self.assertEqual(r.code, 2, r)
        self.assertIn(me, r.err)

    def test_missing_reason_rejected(self):
        self.add_filler(2)
        r = self.ct("expunge", 1, "--approved-by", "chief.wang")
        self.assertEqual(r.code, 2, r)
        self.assertIn("--reason", r.err)
        empty = self.ct("expunge", 1, "--reason", "", "--approved-by", "chief.wang")
        self.assertEqual(empty.code, 2, empty)
        self.assertIn("reason", empty.err)
        self.assertIs(self.ok("record", "show", 1).json["content_verified"], True)

    def test_missing_approval_rejected(self):
        self.add_filler(2)
        r = self.ct("expunge", 1, "--reason", "r")
        self.assertEqual(r.code, 2, r)
        self.assertIn("security administrator's approval", r.err)
        self.assertIn("expunge approve 1", r.err)
        self.assertIs(self.ok("record", "show", 1).json["content_verified"], True)

    def test_approval_by_other_user_rejected(self):
        self.add_filler(2)
        self.approve(1, approver="chief.wang")
        r = self.ct("expunge", 1, "--reason", "r", "--approved-by", "deputy.zhao",
                    "--as", "clerk.li")
        self.assertEqual(r.code, 2, r)
        self.assertIn("chief.wang", r.err)
        self.assertIn("deputy.zhao", r.err)
        self.assertIs(self.ok("record", "show", 1).json["content_verified"], True)

    def test_approval_needs_secadmin(self):
        self.add_filler(2)
        self.ok("user", "add", "clerk.li", "--role", "clerk")
        r = self.ct("expunge", "approve", 1, "--reason", "r", "--as", "clerk.li")
        self.assertEqual(r.code, 2, r)
        self.assertIn("secadmin", r.err)
        r = self.ct("expunge", 1, "--reason", "r", "--as", "clerk.li")
        self.assertEqual(r.code, 2, r)
        self.assertIn("approval", r.err)

    def test_approval_names_blob(self):
        path = self.write("a.txt", b"an attachment approved as content only")
        receipt = self.add_note("attached", attach=[path])
        blob = receipt["attachments"][0]["hash"]
        self.approve(receipt["seq"])
        r = self.ct("expunge", receipt["seq"], "--blob", blob, "--reason", "r",
                    "--as", "clerk.li")
        self.assertEqual(r.code, 2, r)
        self.assertIn("attachment", r.err)
        self.assertEqual(len(blob_files(self.dir)), 1)
        approval = self.approve(receipt["seq"], "--blob", blob)
        self.assertEqual(approval.code, 0, approval)
        self.assertEqual(approval.json["blob"], blob)
        r = self.ct("expunge", receipt["seq"], "--blob", blob, "--reason", "r",
                    "--as", "clerk.li")
        self.assertEqual(r.code, 0, r)
        self.assertEqual(blob_files(self.dir), [])

    def test_approver_who_lost_role_rejected(self):
        self.add_filler(2)
        self.approve(1, approver="chief.wang")
        self.ok("user", "revoke", "chief.wang", "secadmin")
        r = self.ct("expunge", 1, "--reason", "r", "--as", "clerk.li")
        self.assertEqual(r.code, 2, r)
        self.assertIn("no longer", r.err)

    def test_blob_expunge_deletes_file(self):
        data = b"BLOB-MARKER-scan of an ID card\n"
        path = self.write("id.txt", data)
        receipt = self.add_note("with an ID card", attach=[path])
        att = receipt["attachments"][0]["hash"]
        self.assertEqual(len(blob_files(self.dir)), 1)
        r = self.expunge(receipt["seq"], "--blob", att)
        self.assertEqual(r.code, 0, r)
        self.assertEqual(r.json["removed"], att)
        self.assertEqual(blob_files(self.dir), [])
        self.assert_absent(b"BLOB-MARKER")
        summary = self.verify_json()
        self.assertTrue(summary["ok"])
        record = self.ok("record", "show", receipt["seq"]).json
        self.assertEqual(record["fields"], {"text": "with an ID card"})

    def test_blob_expunge_envelope(self):
        path = self.write("a.txt", b"attachment for the envelope")
        receipt = self.add_note("attached", attach=[path])
        att = receipt["attachments"][0]
        r = self.expunge(receipt["seq"], "--blob", att["hash"])
        self.assertEqual(r.code, 0, r)
        entry = self.entry(r.json["seq"])
        self.assertEqual(entry["kind"], "expunge")
        self.assertEqual(entry["supersedes"], receipt["seq"])
        self.assertEqual(entry["attachments"],
                         [{"hash": att["hash"], "size": att["size"], "type": att["type"]}])
        fields = self.ok("record", "show", r.json["seq"]).json["fields"]
        self.assertEqual(fields["removed"], "blob")

    def test_blob_not_attached_rejected(self):
        path = self.write("a.txt", b"first file")
        other = self.write("b.txt", b"second file")
        first = self.add_note("one", attach=[path])
        second = self.add_note("two", attach=[other])
        r = self.expunge(first["seq"], "--blob", second["attachments"][0]["hash"])
        self.assertEqual(r.code, 2, r)
        self.assertIn(second["attachments"][0]["hash"], r.err)
        self.assertEqual(len(blob_files(self.dir)), 2)

    def test_blob_stored_once(self):
        path = self.write("shared.txt", b"one file attached twice")
        first = self.add_note("first", attach=[path])
        second = self.add_note("second", attach=[path])
        self.assertEqual(first["attachments"][0]["hash"], second["attachments"][0]["hash"])
        self.assertEqual(len(blob_files(self.dir)), 1)
        summary = self.verify_json()
        self.assertEqual(summary["blobs"], 1)
        db = sqlite3.connect("file:%s?mode=ro" % self.path("casetrail.db"), uri=True)
        try:
            refs = db.execute("SELECT refs FROM blobs").fetchall()
        finally:
            db.close()
        self.assertEqual(refs, [(2,)])

    def test_blob_shared_expunged_twice(self):
        data = b"SHARED-BLOB record in two records"
        path = self.write("shared.txt", data)
        first = self.add_note("first", attach=[path])
        second = self.add_note("second", attach=[path])
        blob = first["attachments"][0]["hash"]

        r = self.expunge(first["seq"], "--blob", blob)
        self.assertEqual(r.code, 0, r)
        self.assertEqual(len(blob_files(self.dir)), 1)
        summary = self.verify_json()
        self.assertTrue(summary["ok"])
        self.assertEqual(summary["blobs"], 1)
        # The kept file must still match the second record's hash.
        with open(blob_files(self.dir)[0], "rb") as f:
            self.assertEqual(f.read(), data)

        r = self.expunge(second["seq"], "--blob", blob)
        self.assertEqual(r.code, 0, r)
        self.assertEqual(blob_files(self.dir), [])
        self.assertTrue(self.verify_json()["ok"])
        self.assert_absent(b"SHARED-BLOB")

    def test_blob_expunge_twice_rejected(self):
        path = self.write("a.txt", b"expunged twice")
        receipt = self.add_note("note", attach=[path])
        blob = receipt["attachments"][0]["hash"]
        first = self.expunge(receipt["seq"], "--blob", blob)
        self.assertEqual(first.code, 0, first)
        again = self.expunge(receipt["seq"], "--blob", blob)
        self.assertEqual(again.code, 2, again)
        self.assertIn("entry %d" % first.json["seq"], again.err)

    def test_expunged_blob_stays_gone(self):
        """A rejected record add must not store the expunged file again."""
        path = self.write("id.txt", b"RESURRECTED-BLOB contents")
        receipt = self.add_note("note", attach=[path])
        blob = receipt["attachments"][0]["hash"]
        self.assertEqual(self.expunge(receipt["seq"], "--blob", blob).code, 0)
        fields = self.write("f.json", b'{"text": "again"}')
        r = self.ct("record", "add", "--case", "bad/case", "--kind", "note",
                    "--fields", fields, "--attach", path)
        self.assertEqual(r.code, 2, r)
        self.assertEqual(blob_files(self.dir), [])
        check = self.ct("verify")
        self.assertEqual(check.code, 0, check)

    def test_content_and_blob_expunged(self):
        path = self.write("a.txt", b"BOTH-GONE attachment")
        receipt = self.add_note("BOTH-GONE text", attach=[path])
        blob = receipt["attachments"][0]["hash"]
        self.assertEqual(self.expunge(receipt["seq"]).code, 0)
        self.assertEqual(self.expunge(receipt["seq"], "--blob", blob).code, 0)
        self.assert_absent(b"BOTH-GONE")
        summary = self.verify_json()
        self.assertTrue(summary["ok"])
        # One content item and one blob.
        self.assertEqual(summary["expunged"], 2)
        self.assertEqual(summary["blobs"], 0)

    def test_expunge_beyond_log_rejected(self):
        self.add_filler(2)
        r = self.expunge(7)
        self.assertEqual(r.code, 2, r)
        self.assertIn("7", r.err)
        # The approver's account; the approval of entry 7 was rejected.
        self.assertEqual(self.verify_json()["entries"], 3)

    def test_busy_reader_bounded_wait(self):
        """store.h bounds the WAL truncation retries at about 5 seconds."""
        self.add_filler(3)
        elapsed, r = self.expunge_beside_reader(1, hold=9.0)
        self.assertLess(elapsed, 8.0, r)

    def test_busy_reader_content_gone(self):
        """An expunge that exits 0 has destroyed the content on disk, even
        when a read-only reader kept an old snapshot open meanwhile. One
        that cannot destroy it in time must exit 2 and say so."""
        self.add_filler(2)
        target = self.add_note("BUSY-READER-MARKER %s" % ("z" * 200))["seq"]
        self.add_filler(2, start=2)
        _, r = self.expunge_beside_reader(target, hold=7.0)
        self.assertIn(r.code, (0, 2), r)
        if r.code == 0:
            self.assert_absent(b"BUSY-READER-MARKER")
        else:
            self.assertIn("expunge", r.err)

    def expunge_beside_reader(self, seq, hold):
        """Runs expunge of seq while a read-only connection keeps a read
        snapshot open for hold seconds. Returns (seconds taken, result)."""
        uri = "file:%s?mode=ro" % self.path("casetrail.db")
        db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        db.execute("BEGIN")
        db.execute("SELECT count(*) FROM content").fetchall()
        release = threading.Timer(hold, lambda: db.execute("COMMIT"))
        release.start()
        try:
            started = time.monotonic()
            try:
                r = self.expunge(seq)
            except subprocess.TimeoutExpired:
                self.fail("expunge did not return while a reader held a snapshot")
            elapsed = time.monotonic() - started
        finally:
            release.join()
            db.close()
        return elapsed, r

if __name__ == "__main__":
    ctest.main()
