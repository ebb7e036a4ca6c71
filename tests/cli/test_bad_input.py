#!/usr/bin/env python3
"""Invalid input to the casetrail commands: exit 2, a message that names
the invalid value, and a store left exactly as it was."""

import json
import os
import sqlite3
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import ctest  # noqa: E402
from ctest import run  # noqa: E402

HELP_POINTER = "--help"


def snapshot(store):
    """Maps every file under store to its bytes, after moving the WAL into
    casetrail.db, so that two snapshots are equal only when nothing was
    written."""
    db = sqlite3.connect(os.path.join(store, "casetrail.db"))
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        db.close()
    files = {}
    for dirpath, _, names in os.walk(store):
        for name in names:
            if name.endswith(("-wal", "-shm")):
                continue
            path = os.path.join(dirpath, name)
            with open(path, "rb") as f:
                files[os.path.relpath(path, store)] = f.read()
    return files


class BadInputTest(ctest.StoreTest):
    def setUp(self):
        super().setUp()
        self.attachment = self.write("kept.txt", b"an attachment that is stored")
        for i in range(3):
            attach = [self.attachment] if i == 1 else []
            self.add_note("existing note %d" % i, attach=attach)
        self.good_fields = self.write("good.json", b'{"text": "a valid note"}')
        self.before = snapshot(self.dir)
        self.records_before = [self.ok("record", "show", seq).out for seq in range(3)]

    def write(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def assert_unchanged(self):
        after = snapshot(self.dir)
        self.assertEqual(sorted(after), sorted(self.before))
        for name, data in self.before.items():
            self.assertEqual(after[name], data, name)
        summary = self.ok("verify", "--json").json
        self.assertEqual(summary["entries"], 3)
        self.assertEqual(summary["problems"], 0)
        for seq, record in enumerate(self.records_before):
            self.assertEqual(self.ok("record", "show", seq).out, record)

    def assert_rejected(self, r, *needles):
        """Asserts exit 2, each needle in stderr, and an unchanged store."""
        self.assertEqual(r.code, 2, r)
        self.assertIn("casetrail: ", r.err)
        for needle in needles:
            self.assertIn(needle, r.err)
        self.assertEqual(r.out, "")
        self.assert_unchanged()

    def add(self, *extra, fields=None, case=None, kind="note", **kw):
        where = ["--case", case] if case is not None else []
        return self.ct("record", "add", *where, "--kind", kind,
                       "--fields", fields or self.good_fields, *extra, **kw)

    def add_json(self, text, **kw):
        return self.add(fields=self.write("fields.json", text.encode("utf-8")), **kw)

    def test_init_existing_store(self):
        r = run("init", "--dir", self.dir)
        self.assert_rejected(r, "exists", self.dir)

    def test_init_invalid_host(self):
        target = os.path.join(self.tmp, "new")
        r = run("init", "--dir", target, "--host", "bad host")
        self.assertEqual(r.code, 2, r)
        self.assertIn("'bad host'", r.err)
        self.assertFalse(os.path.exists(target))

    def test_missing_store_each_command(self):
        missing = os.path.join(self.tmp, "no-store")
        commands = [
            ["record", "add", "--kind", "note", "--fields", self.good_fields],
            ["record", "show", "0"],
            ["log", "show", "0"],
            ["proof", "inclusion", "0"],
            ["proof", "consistency", "1", "1"],
            ["checkpoint"],
            ["checkpoint", "--now"],
            ["expunge", "0", "--reason", "r", "--approved-by", "chief.wang"],
            ["verify"],
            ["backup", "--to", os.path.join(self.tmp, "copy")],
            ["key", "show"],
        ]
        for args in commands:
            r = run(*args, "--dir", missing)
            self.assertEqual(r.code, 2, (args, r))
            self.assertIn("casetrail init", r.err, args)
            self.assertIn(missing, r.err, args)
            self.assertFalse(os.path.exists(missing), args)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "copy")))

    def test_invalid_json_line_column(self):
        r = self.add_json('{\n  "text": "a",\n  oops}')
        self.assert_rejected(r, "line 3, column", "fields.json")

    def test_truncated_json(self):
        r = self.add_json('{"text": "a"')
        self.assert_rejected(r, "line 1", "fields.json")

    def test_empty_fields_file(self):
        r = self.add_json("")
        self.assert_rejected(r, "fields.json")

    def test_duplicate_keys(self):
        r = self.add_json('{"text": "a", "text": "b"}')
        self.assert_rejected(r, "duplicate", "text")

    def test_real_number_named(self):
        r = self.add_json('{"text": "a", "amount": 1.5}')
        self.assert_rejected(r, "'amount'", "1.5")

    def test_nested_real_number_path(self):
        r = self.add_json('{"text": "a", "meta": {"scores": [1, 2.5]}}')
        self.assert_rejected(r, "meta.scores[1]", "2.5")

    def test_unsafe_integer_named(self):
        r = self.add_json('{"text": "a", "count": 9007199254740992}')
        self.assert_rejected(r, "'count'", "9007199254740992")

    def test_largest_safe_integer_reaches_kind_check(self):
        # casetrail accepts 2^53 - 1 in JSON, so only the note schema rejects
        # the extra field.
        r = self.add_json('{"text": "a", "count": 9007199254740991}')
        self.assert_rejected(r, "'count'", "note")

    def test_fields_over_limit(self):
        text = "x" * (1024 * 1024 + 16)
        path = self.write("huge.json", json.dumps({"text": text}).encode())
        r = self.add(fields=path)
        self.assert_rejected(r, "huge.json", "limit")

    def test_note_text_over_limit(self):
        path = self.write("long.json", json.dumps({"text": "y" * (256 * 1024 + 1)}).encode())
        r = self.add(fields=path)
        self.assert_rejected(r, "'text'", str(256 * 1024 + 1))

    def test_note_text_at_limit_accepted(self):
        path = self.write("limit.json", json.dumps({"text": "z" * (256 * 1024)}).encode())
        r = self.add(fields=path)
        self.assertEqual(r.code, 0, r)
        self.assertEqual(r.json["seq"], 3)

    def test_unknown_kind(self):
        r = self.add(kind="memo")
        self.assert_rejected(r, "'memo'", "casetrail kinds")

    def test_note_missing_text(self):
        r = self.add_json('{"title": "no text"}')
        self.assert_rejected(r, "'title'")
        r = self.add_json("{}")
        self.assert_rejected(r, "'text'", "missing")

    def test_note_extra_field(self):
        r = self.add_json('{"text": "a", "applicant": "Li"}')
        self.assert_rejected(r, "'applicant'")

    def test_note_text_not_string(self):
        for body in ('{"text": 5}', '{"text": null}', '{"text": ["a"]}', '{"text": ""}'):
            r = self.add_json(body)
            self.assert_rejected(r, "'text'")

    def test_fields_not_object(self):
        for body in ('["text"]', '"text"', "7"):
            r = self.add_json(body)
            self.assert_rejected(r, "object")

    def test_invalid_case_ids(self):
        for case in ("a..b", "..", "a/b", "/", "../etc", "a b", " ", "a\tb", "a\nb",
                     "a\x01b", "a\x1bb", "a\x7fb", ".hidden", "x" * 129):
            r = self.add(case=case)
            self.assert_rejected(r, "case id")
            if case.isprintable() and len(case) < 100:
                self.assertIn("'%s'" % case, r.err)

    def test_invalid_actors(self):
        for actor in ("a..b", "a/b", "chief wang", "a\tb", "a\x01b", ".x"):
            r = self.add("--as", actor)
            self.assert_rejected(r, "actor")
            if actor.isprintable():
                self.assertIn("'%s'" % actor, r.err)

    def test_invalid_utf8_case_id(self):
        # "C-\udcff" reaches casetrail as the bytes "C-" and 0xff, which are
        # not UTF-8.
        r = self.add(case="C-\udcff", binary=True)
        self.assertEqual(r.code, 2, r)
        self.assertIn(b"case id", r.err)
        self.assert_unchanged()

    def test_invalid_utf8_actor(self):
        r = self.add("--as", "clerk\udcfe", binary=True)
        self.assertEqual(r.code, 2, r)
        self.assertIn(b"actor", r.err)
        self.assert_unchanged()

    def test_missing_attachment(self):
        missing = os.path.join(self.tmp, "nothing-here.pdf")
        r = self.add("--attach", missing)
        self.assert_rejected(r, missing)

    def test_missing_second_attachment(self):
        first = self.write("first.txt", b"a new file that would be stored")
        missing = os.path.join(self.tmp, "nothing-here.pdf")
        r = self.add("--attach", first, "--attach", missing)
        self.assert_rejected(r, missing)

    def test_invalid_case_with_attachment(self):
        new_file = self.write("new.txt", b"a file that must not be stored")
        r = self.add("--attach", new_file, case="bad/case")
        self.assert_rejected(r, "'bad/case'")

    def test_same_attachment_twice(self):
        new_file = self.write("twice.txt", b"attached twice in one record")
        r = self.add("--attach", new_file, "--attach", new_file)
        self.assert_rejected(r, "twice.txt")

    def test_seq_arguments(self):
        commands = [
            ["record", "show"],
            ["log", "show"],
            ["proof", "inclusion"],
            ["expunge", "--reason", "r", "--approved-by", "chief.wang"],
        ]
        for args in commands:
            for seq in ("01", "abc", "1x", "99999999999999999999", "+1", " 1"):
                r = self.ct(*args, seq)
                self.assert_rejected(r, "'%s'" % seq)
            r = self.ct(*args, "")
            self.assert_rejected(r, "seq")
            r = run(*args, "--dir", self.dir, "--", "-1")
            self.assert_rejected(r, "'-1'")

    def test_seq_negative_without_separator(self):
        # getopt reads a bare -1 as the option -1.
        for args in (["record", "show"], ["log", "show"], ["proof", "inclusion"]):
            r = self.ct(*args, "-1")
            self.assert_rejected(r, "1", HELP_POINTER)

    def test_seq_beyond_log(self):
        for args in (["record", "show", "3"], ["log", "show", "3"],
                     ["expunge", "3", "--reason", "r", "--approved-by", "chief.wang"]):
            r = self.ct(*args)
            self.assert_rejected(r, "entry 3")
        r = self.ct("proof", "inclusion", "3")
        self.assert_rejected(r, "3")

    def test_proof_sizes(self):
        cases = [
            (["inclusion", "0", "--size", "0"], "--size 0"),
            (["inclusion", "2", "--size", "2"], "2"),
            (["inclusion", "0", "--size", "4"], "4"),
            (["consistency", "0", "2"], "old 0"),
            (["consistency", "3", "2"], "old 3"),
            (["consistency", "1", "0"], "0"),
            (["consistency", "2", "9"], "9"),
        ]
        for args, needle in cases:
            r = self.ct("proof", *args)
            self.assert_rejected(r, needle)

    def test_invalid_at_times(self):
        for at in ("2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-02-29T00:00:00Z",
                   "2026-12-04T24:00:00Z", "2026-12-04T09:60:00Z", "2026-12-04T09:30:00",
                   "2026-12-04T09:30:00+8:00", "2026-12-04", "yesterday", "",
                   "1969-12-31T23:59:59Z", "2026-12-04T09:30:00.Z"):
            r = self.add("--at", at)
            self.assert_rejected(r, "--at", "'%s'" % at)

    def test_unknown_command(self):
        r = run("frobnicate", "--dir", self.dir)
        self.assert_rejected(r, "'frobnicate'", HELP_POINTER)

    def test_unknown_option(self):
        commands = [["record", "add"], ["record", "show", "0"], ["log", "show", "0"],
                    ["proof", "inclusion", "0"], ["checkpoint"], ["verify"], ["key", "show"],
                    ["expunge", "0"], ["backup"], ["init"]]
        for args in commands:
            r = self.ct(*args, "--frobnicate")
            self.assertEqual(r.code, 2, (args, r))
            self.assertIn("--frobnicate", r.err, args)
            self.assertIn("casetrail %s --help" % args[0], r.err, args)
        self.assert_unchanged()

    def test_invalid_blobs_mode(self):
        r = self.ct("verify", "--blobs", "some")
        self.assert_rejected(r, "'some'")

    def test_fields_from_stdin(self):
        r = self.ct("record", "add", "--kind", "note", "--fields", "-",
                    input='{"text": "from standard input 标准输入"}')
        self.assertEqual(r.code, 0, r)
        self.assertEqual(r.json["seq"], 3)
        shown = self.ok("record", "show", 3).json
        self.assertEqual(shown["fields"], {"text": "from standard input 标准输入"})

    def test_invalid_fields_from_stdin(self):
        r = self.ct("record", "add", "--kind", "note", "--fields", "-",
                    input='{"text": "a",}')
        self.assert_rejected(r, "line 1")


if __name__ == "__main__":
    ctest.main()
