#!/usr/bin/env python3
"""casetrail verify against stores changed behind casetrail's back.

One store of 20 notes, some with attachments, with stored checkpoints at
sizes 0, 5, 10, 15 and 20, is built once. Each test changes its own copy
of that store (file bytes, SQL with the append-only triggers dropped,
blob files, checkpoint notes) and expects verify to exit 1 with a line
that names the changed entry, content item, blob or checkpoint.
"""

import json
import os
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import ctest  # noqa: E402
from ctest import run  # noqa: E402

NOTES = 20
CHECKPOINT_SIZES = (5, 10, 15, 20)
ATTACHED = (3, 8, 13, 17)


def note_text(seq):
    return "note %d TAMPER-MARK-%02d about the applicant's site visit" % (seq, seq)


def sql(store, *statements, params=()):
    """Runs SQL statements on a store's database and commits."""
    db = sqlite3.connect(os.path.join(store, "casetrail.db"))
    try:
        for statement in statements:
            db.execute(statement, params if "?" in statement else ())
        db.commit()
    finally:
        db.close()


def query(store, statement, params=()):
    db = sqlite3.connect(os.path.join(store, "casetrail.db"))
    try:
        return db.execute(statement, params).fetchall()
    finally:
        db.close()


def flip_db_bytes(store, old, new):
    """Replaces the one occurrence of old in casetrail.db with new, after
    the WAL has been checkpointed into the file. Returns the count found."""
    assert len(old) == len(new)
    db = sqlite3.connect(os.path.join(store, "casetrail.db"))
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        db.close()
    path = os.path.join(store, "casetrail.db")
    with open(path, "rb") as f:
        data = f.read()
    count = data.count(old)
    if count == 1:
        with open(path, "wb") as f:
            f.write(data.replace(old, new))
    return count


def restore_database(source, store):
    """Replaces the database of store with the one of source, as an
    operator restoring casetrail.db would: together with its WAL."""
    for suffix in ("-wal", "-shm"):
        path = os.path.join(store, "casetrail.db" + suffix)
        if os.path.exists(path):
            os.remove(path)
    for suffix in ("", "-wal"):
        path = os.path.join(source, "casetrail.db" + suffix)
        if os.path.exists(path):
            shutil.copyfile(path, os.path.join(store, "casetrail.db" + suffix))


def other_hex(c):
    return "0" if c != "0" else "1"


def other_base64(c):
    return "A" if c != "A" else "B"


class Fixture:
    """The store every test copies, with what its receipts printed."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="casetrail-tamper-")
        self.dir = os.path.join(self.tmp, "store")
        r = run("init", "--dir", self.dir, "--host", "test.example", "--no-admin")
        assert r.code == 0, r
        self.receipts = []
        for seq in range(NOTES):
            args = ["record", "add", "--dir", self.dir, "--kind", "note", "--fields", self.fields(seq)]
            if seq in ATTACHED:
                args += ["--attach", self.attachment(seq)]
            r = run(*args)
            assert r.code == 0, r
            self.receipts.append(r.json)
            if seq + 1 in CHECKPOINT_SIZES:
                self.sign_checkpoint()

    def fields(self, seq):
        path = os.path.join(self.tmp, "fields.json")
        with open(path, "w") as f:
            json.dump({"text": note_text(seq)}, f)
        return path

    def attachment(self, seq):
        path = os.path.join(self.tmp, "attachment-%d.txt" % seq)
        with open(path, "wb") as f:
            f.write(b"attachment of note %d\n" % seq * (seq + 1))
        return path

    def sign_checkpoint(self):
        # Checkpoints signed within one UTC minute are thinned to the
        # latest. Moving the stored ones a minute back before each signing
        # keeps them all, because ts is not part of the signed note.
        sql(self.dir, "UPDATE checkpoints SET ts = ts - 60000")
        r = run("checkpoint", "--now", "--dir", self.dir)
        assert r.code == 0, r

    def blob(self, seq):
        return self.receipts[seq]["attachments"][0]["hash"]

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


fixture = None


def setUpModule():
    global fixture
    fixture = Fixture()


def tearDownModule():
    fixture.close()


class TamperTest(unittest.TestCase):
    crypto = "gm"

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="casetrail-tamper-copy-")
        self.dir = os.path.join(self.tmp, "store")
        shutil.copytree(fixture.dir, self.dir)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def verify(self, *args, store=None):
        r = run("verify", "--dir", store or self.dir, *args)
        self.assertGreaterEqual(r.code, 0, r)
        self.assertIn(r.code, (0, 1, 2), r)
        return r

    def assert_problem(self, r, *patterns):
        """Asserts exit 1 and, for each pattern, a line that matches it."""
        self.assertEqual(r.code, 1, r)
        for pattern in patterns:
            self.assertRegex(r.out, re.compile("^" + pattern, re.M))
        self.assertRegex(r.out, re.compile(r"^FAILED: ", re.M))

    def assert_clean(self, r):
        self.assertEqual(r.code, 0, r)
        self.assertTrue(r.out.startswith("ok: "), r)

    def blob_file(self, seq, store=None):
        digest = fixture.blob(seq).split(":", 1)[1]
        return os.path.join(store or self.dir, "blobs", "sm3", digest[:2], digest[2:4], digest)

    def drop_triggers(self, store=None):
        sql(store or self.dir,
            "DROP TRIGGER entries_no_update", "DROP TRIGGER entries_no_delete",
            "DROP TRIGGER nodes_no_update", "DROP TRIGGER nodes_no_delete")

    def add_note(self, store, text):
        path = os.path.join(self.tmp, "fields.json")
        with open(path, "w") as f:
            json.dump({"text": text}, f)
        r = run("record", "add", "--dir", store, "--kind", "note",
                "--fields", path)
        self.assertEqual(r.code, 0, r)
        return r.json

    def expunge(self, seq, *args):
        """Expunges seq, once the security administrator approved it."""
        r = run("user", "add", "chief.wang", "--role", "secadmin", "--dir", self.dir)
        self.assertEqual(r.code, 0, r)
        r = run("expunge", "approve", seq, "--dir", self.dir, "--reason", "wrong applicant",
                "--as", "chief.wang", *args)
        self.assertEqual(r.code, 0, r)
        r = run("expunge", seq, "--dir", self.dir, "--reason", "wrong applicant",
                "--approved-by", "chief.wang", "--as", "clerk.li", *args)
        self.assertEqual(r.code, 0, r)
        return r.json

    # The untouched store and its checkpoints.

    def test_untouched_store_passes(self):
        r = self.verify()
        self.assert_clean(r)
        summary = self.verify("--json").json
        self.assertEqual(summary["entries"], NOTES)
        self.assertEqual(summary["content"], NOTES)
        self.assertEqual(summary["blobs"], len(ATTACHED))
        self.assertEqual(summary["problems"], 0)

    def test_fixture_checkpoints_stored(self):
        sizes = [row[0] for row in query(self.dir, "SELECT size FROM checkpoints ORDER BY size")]
        self.assertEqual(sizes, [0] + list(CHECKPOINT_SIZES))
        self.assertEqual(self.verify("--json").json["checkpoints"], len(CHECKPOINT_SIZES) + 1)

    def test_checkpoints_thinned_per_minute(self):
        store = os.path.join(self.tmp, "fresh")
        self.assertEqual(run("init", "--dir", store, "--no-admin").code, 0)
        signed = []
        for size in range(1, 6):
            self.add_note(store, "thinning %d" % size)
            r = run("checkpoint", "--now", "--json", "--dir", store)
            self.assertEqual(r.code, 0, r)
            self.assertEqual(r.json["size"], size)
            signed.append(size)
        rows = query(store, "SELECT size, ts FROM checkpoints ORDER BY size")
        sizes = [size for size, _ in rows]
        # The empty tree's checkpoint is never thinned, and the latest stays.
        self.assertEqual(sizes[0], 0)
        self.assertEqual(sizes[-1], signed[-1])
        self.assertTrue(set(sizes) <= {0, *signed}, sizes)
        minutes = [ts // 60000 for size, ts in rows if size > 0]
        self.assertEqual(len(minutes), len(set(minutes)), rows)
        self.assert_clean(self.verify(store=store))

    # One byte of an entry body changed in the database file.

    def test_entry_hex_flip_named(self):
        digest = fixture.receipts[7]["content"].split(":", 1)[1]
        old = digest.encode()
        new = (digest[:10] + other_hex(digest[10]) + digest[11:]).encode()
        self.assertEqual(flip_db_bytes(self.dir, old, new), 1)
        r = self.verify()
        self.assert_problem(r, r"entry 7: stored leaf hash does not match",
                            r"content 7: does not match")

    def test_entry_json_broken_named(self):
        digest = fixture.receipts[12]["content"].split(":", 1)[1]
        old = (digest + '"').encode()
        new = (digest + "x").encode()
        self.assertEqual(flip_db_bytes(self.dir, old, new), 1)
        r = self.verify()
        self.assert_problem(r, r"entry 12: not valid entry JSON")

    # One byte of a content item changed in the database file.

    def test_content_flip_named(self):
        self.assertEqual(flip_db_bytes(self.dir, b"TAMPER-MARK-05", b"TAMPER-MARQ-05"), 1)
        r = self.verify()
        self.assert_problem(r, r"content 5: does not match the entry's commitment")
        self.assertNotRegex(r.out, re.compile(r"^entry ", re.M))

    # Rows deleted.

    def test_entry_deleted_named(self):
        self.drop_triggers()
        sql(self.dir, "DELETE FROM entries WHERE seq = 9")
        r = self.verify()
        self.assert_problem(r, r"entry 9: missing from the log")

    def test_first_entry_deleted_named(self):
        self.drop_triggers()
        sql(self.dir, "DELETE FROM entries WHERE seq = 0")
        r = self.verify()
        self.assert_problem(r, r"entry 0: missing from the log")

    def test_entries_range_deleted_named(self):
        self.drop_triggers()
        sql(self.dir, "DELETE FROM entries WHERE seq BETWEEN 4 AND 6")
        r = self.verify()
        self.assert_problem(r, r"entries 4 to 6: missing from the log")

    def test_content_deleted_named(self):
        sql(self.dir, "DELETE FROM content WHERE seq = 11")
        r = self.verify()
        self.assert_problem(r, r"content 11: missing, and no expunge entry removed it")

    def test_content_salt_changed_named(self):
        sql(self.dir, "UPDATE content SET salt = zeroblob(32) WHERE seq = 2")
        r = self.verify()
        self.assert_problem(r, r"content 2: does not match")

    # Blob files deleted or changed.

    def test_blob_deleted_named(self):
        os.remove(self.blob_file(8))
        r = self.verify()
        self.assert_problem(r, re.escape("blob %s: file" % fixture.blob(8)))

    def test_blob_modified_named(self):
        with open(self.blob_file(13), "r+b") as f:
            data = f.read()
            f.seek(5)
            f.write(bytes([data[5] ^ 0x01]))
        r = self.verify()
        self.assert_problem(r, re.escape("blob %s: content hashes to" % fixture.blob(13)))

    def test_blob_appended_named(self):
        with open(self.blob_file(3), "ab") as f:
            f.write(b"!")
        r = self.verify()
        self.assert_problem(r, re.escape("blob %s:" % fixture.blob(3)))

    # Two entries swapped.

    def test_entries_swapped_both_named(self):
        [(fourth,)] = query(fixture.dir, "SELECT body FROM entries WHERE seq = 4")
        [(ninth,)] = query(fixture.dir, "SELECT body FROM entries WHERE seq = 9")
        self.drop_triggers()
        sql(self.dir, "UPDATE entries SET body = ? WHERE seq = 4", params=(ninth,))
        sql(self.dir, "UPDATE entries SET body = ? WHERE seq = 9", params=(fourth,))
        r = self.verify()
        self.assert_problem(r, r"entry 4: records seq 9", r"entry 9: records seq 4")

    # The log truncated.

    def test_log_truncated_named(self):
        self.drop_triggers()
        sql(self.dir, "DELETE FROM entries WHERE seq >= 17")
        r = self.verify()
        self.assert_problem(r, r"checkpoint 20: covers 20 entries but the log has only 17",
                            r"checkpoint file: covers 20 entries",
                            r"tree: .*beyond the log's 17 entries")

    def test_log_and_nodes_truncated_named(self):
        self.drop_triggers()
        sql(self.dir, "DELETE FROM entries WHERE seq >= 17",
            "DELETE FROM nodes WHERE ((idx + 1) << level) > 17")
        r = self.verify()
        self.assert_problem(r, r"checkpoint 20: covers 20 entries but the log has only 17")
        self.assertNotRegex(r.out, re.compile(r"^tree: ", re.M))

    def test_truncated_with_rows_cleaned(self):
        """Only the checkpoint file outside the database remains to tell."""
        self.drop_triggers()
        sql(self.dir, "DELETE FROM entries WHERE seq >= 16",
            "DELETE FROM nodes WHERE ((idx + 1) << level) > 16",
            "DELETE FROM content WHERE seq >= 16",
            "DELETE FROM refs WHERE seq >= 16",
            "DELETE FROM blobs WHERE hash NOT IN (SELECT hash FROM refs)",
            "DELETE FROM checkpoints WHERE size > 16")
        os.remove(self.blob_file(17))
        r = self.verify()
        self.assert_problem(r, r"checkpoint file: covers 20 entries but the log has only 16")

    def test_stored_node_changed_named(self):
        self.drop_triggers()
        sql(self.dir, "UPDATE nodes SET hash = zeroblob(32) WHERE level = 1 AND idx = 2")
        r = self.verify()
        self.assert_problem(r, r"tree: stored node \(level 1, index 2\) does not match")

    def test_stored_leaf_changed_named(self):
        self.drop_triggers()
        sql(self.dir, "UPDATE nodes SET hash = zeroblob(32) WHERE level = 0 AND idx = 14")
        r = self.verify()
        self.assert_problem(r, r"entry 14: stored leaf hash does not match")

    def test_stored_node_short_named(self):
        self.drop_triggers()
        sql(self.dir, "UPDATE nodes SET hash = zeroblob(31) WHERE level = 0 AND idx = 5")
        r = self.verify()
        self.assert_problem(r, r"(entry 5|tree: .*level 0, index 5)")
        # Only node (0, 5) is damaged, so no node after it may be reported.
        self.assertNotRegex(r.out, re.compile(r"^tree: node \(level 0, index (?!5\))", re.M))

    def test_stored_node_extra_named(self):
        self.drop_triggers()
        sql(self.dir, "INSERT INTO nodes VALUES (0, -1, zeroblob(32))")
        r = self.verify()
        self.assertEqual(r.code, 1, r)
        # Every node of the tree is stored and sound, so none is missing.
        self.assertNotRegex(r.out, re.compile(r"^tree: node .* is missing", re.M))
        self.assertNotRegex(r.out, re.compile(r"^entry ", re.M))

    def test_store_id_changed_named(self):
        sql(self.dir, "UPDATE meta SET value = '00000000' WHERE key = 'store_id'")
        r = self.verify()
        self.assert_problem(r, r"database: casetrail.db in .* records store_id '00000000'")

    # Checkpoint notes changed, removed or replaced.

    def altered_note(self, note):
        lines = note.split("\n")
        name, value = lines[-2].rsplit(" ", 1)
        value = value[:20] + other_base64(value[20]) + value[21:]
        lines[-2] = name + " " + value
        return "\n".join(lines)

    def test_checkpoint_row_signature_named(self):
        [(note,)] = query(self.dir, "SELECT note FROM checkpoints WHERE size = 10")
        sql(self.dir, "UPDATE checkpoints SET note = ? WHERE size = 10",
            params=(self.altered_note(note),))
        r = self.verify()
        self.assert_problem(r, r"checkpoint 10: signature invalid")
        self.assertNotRegex(r.out, re.compile(r"^checkpoint (5|15|20):", re.M))

    def test_checkpoint_file_signature_named(self):
        path = os.path.join(self.dir, "checkpoint")
        with open(path) as f:
            note = f.read()
        with open(path, "w") as f:
            f.write(self.altered_note(note))
        r = self.verify()
        self.assert_problem(r, r"checkpoint file: signature invalid")

    def test_checkpoint_root_changed_named(self):
        [(note,)] = query(self.dir, "SELECT note FROM checkpoints WHERE size = 15")
        lines = note.split("\n")
        lines[2] = other_base64(lines[2][0]) + lines[2][1:]
        sql(self.dir, "UPDATE checkpoints SET note = ? WHERE size = 15",
            params=("\n".join(lines),))
        r = self.verify()
        self.assert_problem(r, r"checkpoint 15: signature invalid")

    def test_checkpoint_file_missing_named(self):
        """verify.h: whatever is missing is a problem unless an expunge removed it."""
        os.remove(os.path.join(self.dir, "checkpoint"))
        r = self.verify()
        self.assert_problem(r, r"checkpoint file")

    def test_checkpoint_file_oversized_named(self):
        with open(os.path.join(self.dir, "checkpoint"), "a") as f:
            f.write("x" * (1 << 17) + "\n")
        r = self.verify()
        self.assert_problem(r, r"checkpoint file")

    def test_checkpoint_rows_deleted_named(self):
        sql(self.dir, "DELETE FROM checkpoints")
        r = self.verify()
        self.assert_problem(r, r"checkpoint file: size 20 is newer than every checkpoint")

    def test_checkpoint_row_size_changed_named(self):
        sql(self.dir, "UPDATE checkpoints SET size = 11 WHERE size = 10")
        r = self.verify()
        self.assert_problem(r, r"checkpoint 11: note says size 10")

    def test_garbage_checkpoint_notes_named(self):
        [(note,)] = query(fixture.dir, "SELECT note FROM checkpoints WHERE size = 10")
        text, _, signatures = note.partition("\n\n")
        notes = ["", "\n", "\n\n", "garbage", text + "\n\n", text + "\n",
                 note.replace("\u2014", "-"), note + "\n", "\x00" + note,
                 text + "\n\n\u2014 x AAAA\n", note.replace("\n10\n", "\n010\n"),
                 text.replace("\n10\n", "\n-10\n") + "\n\n" + signatures]
        for bad in notes:
            with self.subTest(note=bad[:60]):
                sql(self.dir, "DELETE FROM checkpoints WHERE size = 10")
                sql(self.dir, "INSERT INTO checkpoints (size, ts, note) VALUES (10, 0, ?)",
                    params=(bad,))
                r = self.verify()
                self.assert_problem(r, r"checkpoint 10: (malformed|signature invalid)")

    # Rollback, fork and a database restored on its own.

    def newer_store_and_witness(self):
        """Backs up the store as B1, appends 5 notes and saves the new
        checkpoint as a witness would. Returns (B1, witness file)."""
        backup = os.path.join(self.tmp, "B1")
        r = run("backup", "--dir", self.dir, "--to", backup)
        self.assertEqual(r.code, 0, r)
        for i in range(5):
            self.add_note(self.dir, "after the backup %d" % i)
        r = run("checkpoint", "--now", "--dir", self.dir)
        self.assertEqual(r.code, 0, r)
        witness = os.path.join(self.tmp, "witness.checkpoint")
        with open(witness, "w") as f:
            f.write(r.out)
        self.assertEqual(r.out.split("\n")[1], str(NOTES + 5))
        return backup, witness

    def test_rollback_named_against_witness(self):
        backup, witness = self.newer_store_and_witness()
        shutil.rmtree(self.dir)
        shutil.copytree(backup, self.dir)
        r = self.verify("--against", witness)
        self.assert_problem(r, r"--against checkpoint: covers %d entries but the log has only %d"
                            % (NOTES + 5, NOTES))

    def test_restored_backup_alone_passes(self):
        # A whole store rolled back to a backup is consistent in itself.
        # Only a checkpoint kept elsewhere, by a witness, shows the rollback.
        backup, _ = self.newer_store_and_witness()
        shutil.rmtree(self.dir)
        shutil.copytree(backup, self.dir)
        self.assert_clean(self.verify())

    def test_fork_named_against_witness(self):
        backup, witness = self.newer_store_and_witness()
        for i in range(5):
            self.add_note(backup, "a different history %d" % i)
        self.assert_clean(self.verify(store=backup))
        r = self.verify("--against", witness, store=backup)
        self.assert_problem(r, r"--against checkpoint: root hash does not match the entries")

    def test_witness_of_current_store_passes(self):
        _, witness = self.newer_store_and_witness()
        self.assert_clean(self.verify("--against", witness))

    def test_database_restored_under_newer_file(self):
        backup, _ = self.newer_store_and_witness()
        restore_database(backup, self.dir)
        r = self.verify()
        self.assert_problem(r, r"checkpoint file: covers %d entries but the log has only %d"
                            % (NOTES + 5, NOTES))

    def test_database_restored_file_removed(self):
        backup, _ = self.newer_store_and_witness()
        restore_database(backup, self.dir)
        os.remove(os.path.join(self.dir, "checkpoint"))
        r = self.verify()
        self.assert_problem(r, r"checkpoint file")

    def test_against_other_store_named(self):
        other = os.path.join(self.tmp, "other")
        self.assertEqual(run("init", "--dir", other, "--no-admin").code, 0)
        witness = os.path.join(self.tmp, "other.checkpoint")
        with open(witness, "w") as f:
            f.write(run("checkpoint", "--dir", other).out)
        r = self.verify("--against", witness)
        self.assert_problem(r, r"--against checkpoint: ")

    def test_against_garbage_named(self):
        witness = os.path.join(self.tmp, "garbage.checkpoint")
        with open(witness, "w") as f:
            f.write("not a checkpoint\n")
        r = self.verify("--against", witness)
        self.assert_problem(r, r"--against checkpoint: malformed")

    # Expunged items and --blobs none.

    def test_expunged_content_passes(self):
        self.expunge(6)
        summary = self.verify("--json").json
        self.assertTrue(summary["ok"], summary)
        self.assertEqual(summary["expunged"], 1)

    def test_expunged_blob_passes(self):
        self.expunge(13, "--blob", fixture.blob(13))
        self.assertFalse(os.path.exists(self.blob_file(13)))
        self.assert_clean(self.verify())

    def test_expunged_blob_restored_named(self):
        self.expunge(13, "--blob", fixture.blob(13))
        os.makedirs(os.path.dirname(self.blob_file(13)), exist_ok=True)
        shutil.copyfile(self.blob_file(13, store=fixture.dir), self.blob_file(13))
        r = self.verify()
        self.assert_problem(r, re.escape("blob %s: expunged by the log but still stored"
                                         % fixture.blob(13)))

    def test_expunged_content_restored_named(self):
        [(salt, fields)] = query(self.dir, "SELECT salt, fields FROM content WHERE seq = 6")
        self.expunge(6)
        sql(self.dir, "INSERT INTO content VALUES (6, ?, ?)", params=(salt, fields))
        r = self.verify()
        self.assert_problem(r, r"content 6: expunged by the log but still stored")

    def test_blobs_none_skips_rehash(self):
        with open(self.blob_file(17), "r+b") as f:
            f.write(b"X")
        self.assert_clean(self.verify("--blobs", "none"))
        r = self.verify("--blobs", "all")
        self.assert_problem(r, re.escape("blob %s:" % fixture.blob(17)))

    def test_deleted_blob_fails_both_modes(self):
        os.remove(self.blob_file(3))
        for mode in ("none", "all"):
            r = self.verify("--blobs", mode)
            self.assert_problem(r, re.escape("blob %s: file" % fixture.blob(3)))

    # Bodies that are not entries at all must be named, never crash verify.

    def test_garbage_bodies_named(self):
        bodies = [b"", b"[]", b"null", b"1", b"\xff\xfe\xfd", b'{"v":1}', b"{" * 5000,
                  b'{"v":1,"seq":4,"kind":"expunge","supersedes":"x","content":"sm3:00"}',
                  b'{"v":1,"seq":4,"kind":"note","attachments":[1,{"hash":7}],'
                  b'"content":"sm3:00"}',
                  b'{"v":1,"seq":4,"kind":"note","attachments":[{"hash":"sm3:../../etc"}]}',
                  b"x" * 70000]
        for body in bodies:
            with self.subTest(body=body[:40]):
                shutil.rmtree(self.dir)
                shutil.copytree(fixture.dir, self.dir)
                self.drop_triggers()
                sql(self.dir, "UPDATE entries SET body = ? WHERE seq = 4", params=(body,))
                r = self.verify()
                self.assert_problem(r, r"entry 4: ")

    def test_far_seq_gap_named(self):
        """One row moved to seq 2^40 must be reported, not exhaust memory."""
        self.drop_triggers()
        sql(self.dir, "UPDATE entries SET seq = ? WHERE seq = 19", params=(1 << 40,))

        def limit_memory():
            # AddressSanitizer reserves terabytes of address space, so
            # the limit only applies to plain builds.
            if "ASAN_OPTIONS" not in os.environ:
                resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

        r = ctest.Result(subprocess.run(
            [ctest.BIN, "verify", "--dir", self.dir], capture_output=True, text=True,
            preexec_fn=limit_memory, timeout=120))
        self.assert_problem(r, r"entries 19 to %d: missing from the log" % ((1 << 40) - 1))


if __name__ == "__main__":
    ctest.main()
