"""casetrail restore: a bureau store that lost its disk is rebuilt from its
last backup plus the entries and files the supervisory department's witness
holds (docs/witness.md, Restore).

Each test runs a real witness (`casetrail witness serve`) on loopback. The
bureau pushes to it with `casetrail witness push`; its server is started
and killed with SIGKILL before its folder is removed, as a lost disk.
"""

import base64
import glob
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))

import apitest  # noqa: E402
import ctest  # noqa: E402
import mediafiles  # noqa: E402
import workflow  # noqa: E402

WITNESS_NAME = "supervision.example/witness"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Witness:
    """A `casetrail witness serve` on 127.0.0.1 with its folder."""

    def __init__(self, folder):
        self.dir = folder
        r = ctest.run("witness", "init", "--dir", folder, "--name", WITNESS_NAME)
        assert r.code == 0, r
        self.proc = None
        self.log_path = folder + ".log"

    def keys(self):
        return sorted(glob.glob(os.path.join(self.dir, "keys", "*.pub")))

    def trust(self, store):
        with open(os.path.join(store, "checkpoint"), encoding="utf-8") as f:
            origin = f.readline().strip()
        keys = sorted(glob.glob(os.path.join(store, "keys", "*.pub")))
        keys = [k for k in keys if os.path.basename(k).startswith(("sm2", "ed25519"))]
        args = []
        for k in keys:
            args += ["--key", k]
        r = ctest.run("witness", "trust", "--dir", self.dir, "--origin", origin, *args)
        assert r.code == 0, r
        return origin

    def start(self):
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [ctest.BIN, "witness", "serve", "--dir", self.dir,
             "--listen", "127.0.0.1:%d" % self.port],
            stdout=subprocess.DEVNULL, stderr=log,
            env=dict(os.environ, CASETRAIL_LOG="info"))
        log.close()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/casetrail/v1/status", timeout=2):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise AssertionError("witness serve exited: " + self.log())
                time.sleep(0.05)
        raise AssertionError("witness did not start: " + self.log())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        self.proc = None

    def log(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def cosigned_size(self, origin):
        q = urllib.parse.quote(origin, safe="")
        with urllib.request.urlopen(
                self.url + "/casetrail/v1/checkpoint?origin=" + q, timeout=5) as r:
            note = r.read().decode()
        return int(note.split("\n")[1]), note

    def blob_files(self):
        found = glob.glob(os.path.join(self.dir, "logs", "*", "blobs", "*", "*", "*", "*"))
        return [p for p in found if os.path.isfile(p)]


import urllib.parse  # noqa: E402


class FaultyWitness:
    """A proxy in front of the real witness that alters one kind of answer,
    as a faulty or hostile witness would."""

    def __init__(self, upstream, fault):
        import http.server
        import threading
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                req = urllib.request.Request(upstream + self.path)
                sig = self.headers.get("Casetrail-Read-Signature")
                if sig:
                    req.add_header("Casetrail-Read-Signature", sig)
                with urllib.request.urlopen(req, timeout=10) as r:
                    body, ctype = r.read(), r.headers.get("Content-Type", "")
                body = outer.alter(self.path, body)
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.fault = fault
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def alter(self, path, body):
        if self.fault == "huge-checkpoint" and "/checkpoint" in path:
            return body + b"x" * (1 << 20)
        if self.fault == "no-cosignature" and "/checkpoint" in path:
            return b"".join(line for line in body.splitlines(keepends=True)
                            if WITNESS_NAME.encode() not in line)
        if self.fault == "bad-signature" and "/checkpoint" in path:
            lines = body.decode().split("\n")
            lines[1] = str(int(lines[1]) + 1)
            return "\n".join(lines).encode()
        if self.fault == "long-file" and "/blobs/" in path:
            return body + b"x" * 4096
        if "/entries" in path:
            doc = json.loads(body)
            if self.fault == "truncated":
                doc["entries"] = doc["entries"][:-1]
            elif self.fault == "malformed":
                return b'{"start": 0, "entries": [1, 2'
            elif self.fault == "swapped" and len(doc["entries"]) > 1:
                doc["entries"][0], doc["entries"][1] = doc["entries"][1], doc["entries"][0]
            elif self.fault == "not-canonical":
                raw = base64.b64decode(doc["entries"][0])
                doc["entries"][0] = base64.b64encode(b" " + raw).decode()
            return json.dumps(doc).encode()
        return body

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class RestoreTest(workflow.WorkflowTest):
    """A bureau with a case, a witness that follows it, and a backup."""

    def setUp(self):
        super().setUp()
        self.witness = Witness(os.path.join(self.tmp, "witness"))
        self.origin = self.witness.trust(self.dir)
        self.witness.start()
        self.addCleanup(self.witness.stop)
        keys = []
        for k in self.witness.keys():
            keys += ["--key", k]
        r = self.ct("witness", "add", "--url", self.witness.url, "--name", WITNESS_NAME,
                    *keys, "--as", "admin")
        self.assertEqual(r.code, 0, r)
        self.case = self.new_case()
        self.push()
        self.server = None

    def push(self):
        r = self.ct("witness", "push")
        self.assertEqual(r.code, 0, r)
        size, _ = self.witness.cosigned_size(self.origin)
        self.assertEqual(size, self.size())
        return size

    def size(self):
        return self.ok("checkpoint", "--now", "--json").json["size"]

    def backup(self, name="backup"):
        path = os.path.join(self.tmp, name)
        self.ok("backup", "--to", path)
        return path

    def case_video(self, n):
        """Body-camera video of the case, which the witness is sent."""
        path = os.path.join(self.tmp, "video-%d.mp4" % n)
        with open(path, "wb") as f:
            f.write(b"body camera video %d " % n + os.urandom(4096))
        r = self.ok("media", "ingest", path, "--type", "video", "--device", "BWC-7",
                    "--case", self.case, "--officer", "li.handler", "--as", "li.handler",
                    "--json")
        [item] = r.json["items"]
        return item

    def segment(self, n):
        """Window surveillance of no case, which the witness is not sent.
        It is shorter than the witness's 404 page, which must not be
        taken for it."""
        path = os.path.join(self.tmp, "seg-%d.bin" % n)
        with open(path, "wb") as f:
            f.write(b"s%d" % n + os.urandom(4))
        r = self.ok("media", "ingest", path, "--type", "surveillance", "--device", "CAM1",
                    "--window", "W1", "--as", "wang.clerk", "--json")
        [item] = r.json["items"]
        return item

    def lose_disk(self, serving=True):
        """Kills the bureau's server with SIGKILL and removes its folder;
        without serving, no server runs (and pushes) before."""
        if serving:
            self.server = apitest.Server(self.dir)
            self.server.proc.send_signal(signal.SIGKILL)
            self.server.proc.wait(timeout=20)
        shutil.rmtree(self.dir)
        self.assertFalse(os.path.exists(self.dir))

    def restore(self, backup, *extra, expect=0):
        r = ctest.run("restore", "--from", backup, "--witness", self.witness.url,
                      "--dir", self.dir, "--reason", "服务器硬盘损坏", "--json", *extra)
        self.assertEqual(r.code, expect, r)
        return r

    def assert_not_a_store(self, path):
        self.assertFalse(os.path.exists(os.path.join(path, "config.json")))
        left = [p for p in os.listdir(os.path.dirname(path))
                if p.startswith("." + os.path.basename(path) + ".restoring")]
        self.assertEqual(left, [])


class TestRestore(RestoreTest):

    def test_restore_recovers_entries_names_losses(self):
        backup = self.backup()
        backup_size = self.size()
        with open(os.path.join(backup, "casetrail.db"), "rb") as f:
            backup_db = f.read()
        # After the backup: records of the case with scans (case-linked, so
        # the witness gets them) and window footage of no case (not sent).
        accepted = self.accept(self.case)
        late_case = self.new_case()
        scanned = self.add(self.case, "note", {"text": "现场照片补充"}, "li.handler", attach=2)
        seg = self.segment(1)
        video = self.case_video(1)
        self.push()
        witness_size = self.size()
        self.lose_disk()

        r = self.restore(backup)
        rep = r.json
        self.assertEqual(rep["recovered"], {"from": backup_size, "to": witness_size})
        self.assertEqual(rep["cosigned_by"], [WITNESS_NAME])
        lost = {x["seq"]: x for x in rep["content_lost"]}
        self.assertEqual(sorted(lost), list(range(backup_size, witness_size)))
        self.assertEqual(lost[accepted["seq"]]["case"], self.case)
        self.assertEqual(lost[scanned["seq"]]["kind"], "note")
        got = {b["hash"] for b in rep["blobs_recovered"]}
        for a in scanned["attachments"]:
            self.assertIn(a["hash"], got)
        self.assertIn(video["hash"], got)
        gone = {b["hash"]: b for b in rep["lost_blobs"]}
        self.assertIn(seg["hash"], gone)
        self.assertEqual(gone[seg["hash"]]["seq"], seg["seq"])
        self.assertEqual(gone[seg["hash"]]["size"], seg["size"])
        self.assertNotIn(seg["hash"], got)
        restore_seq = rep["restore_seq"]
        self.assertEqual(restore_seq, witness_size)
        with open(os.path.join(backup, "casetrail.db"), "rb") as f:
            self.assertEqual(f.read(), backup_db, "the backup was changed")

        # verify accepts exactly the losses the restore entry names.
        v = self.ct("verify", "--json")
        self.assertEqual(v.code, 0, v)
        summary = json.loads(v.out.strip().splitlines()[-1])
        self.assertEqual(summary["lost_in_restore"]["content"], witness_size - backup_size)
        self.assertGreaterEqual(summary["lost_in_restore"]["blobs"], 1)
        v = self.ct("verify", "--against", self.witness.url)
        self.assertEqual(v.code, 0, v)
        entry = self.ok("record", "show", str(restore_seq)).json
        self.assertEqual(entry["entry"]["kind"], "restore")
        self.assertEqual(entry["fields"]["reason"], "服务器硬盘损坏")
        self.assertEqual(entry["fields"]["lost_content"],
                         {"from": backup_size, "to": witness_size})

        # The case and its records still show, the lost ones as lost.
        shown = self.show(self.case)
        recs = {x["seq"]: x for x in shown["records"]}
        self.assertTrue(recs[scanned["seq"]].get("lost"), recs[scanned["seq"]])
        self.assertIsNone(recs[scanned["seq"]]["fields"])
        listed = self.ok("case", "list", "--json").json
        self.assertIn(late_case, json.dumps(listed, ensure_ascii=False))
        late = self.show(late_case)
        self.assertTrue(late["records"][0].get("lost"), late["records"][0])

        # A recovered file is whole; the store serves and the witness
        # cosigns its next checkpoint, which extends what it holds.
        for a in scanned["attachments"]:
            self.assertTrue(os.path.exists(self.blob_path(a["hash"])))
        self.assertTrue(os.path.exists(self.blob_path(video["hash"])))
        self.assertFalse(os.path.exists(self.blob_path(seg["hash"])))
        self.add(self.case, "note", {"text": "恢复后的记录"}, "li.handler")
        pushed = self.push()
        self.assertGreaterEqual(pushed, restore_seq + 2)
        server = apitest.Server(self.dir)
        try:
            with urllib.request.urlopen(server.base + "/checkpoint", timeout=5) as resp:
                self.assertEqual(resp.status, 200)
        finally:
            server.close()

    def blob_path(self, h):
        alg, hexd = h.split(":")
        return os.path.join(self.dir, "blobs", alg, hexd[:2], hexd[2:4], hexd)

    def test_restore_applies_later_expunges(self):
        # A record with a scan, in the backup; both are expunged after it.
        secret = self.add(self.case, "note", {"text": "误录的身份证号"}, "li.handler",
                          attach=1)
        [h] = [a["hash"] for a in secret["attachments"]]
        backup = self.backup()
        seq = str(secret["seq"])
        self.ok("user", "add", "chief.wang", "--role", "secadmin")
        for args in ((), ("--blob", h)):
            self.ok("expunge", "approve", seq, *args, "--reason", "approved",
                    "--as", "chief.wang")
            self.ok("expunge", seq, "--reason", "wrong case", "--approved-by",
                    "chief.wang", "--as", "li.handler", *args)
        self.push()
        self.lose_disk()

        self.restore(backup)
        v = self.ct("verify", "--json")
        self.assertEqual(v.code, 0, v)
        record = self.ok("record", "show", seq).json
        self.assertIsNone(record.get("fields"), record)
        self.assertFalse(os.path.exists(self.blob_path(h)))
        with open(os.path.join(self.dir, "casetrail.db"), "rb") as f:
            self.assertNotIn("误录的身份证号".encode(), f.read())

    def test_restore_keeps_file_another_entry_holds(self):
        backup = self.backup()
        path = os.path.join(self.tmp, "shared-scan.png")
        with open(path, "wb") as f:
            f.write(workflow.png_bytes() + os.urandom(8))
        seqs = []
        for text in ("错放的扫描件", "正确的扫描件"):
            r = self.ok("record", "add", "--case", self.case, "--kind", "note",
                        "--fields", self.fields_file({"text": text}), "--attach", path,
                        "--as", "li.handler")
            seqs.append(str(r.json["seq"]))
        [h] = [a["hash"] for a in r.json["attachments"]]
        # The first record's copy is expunged; the second keeps the bytes.
        self.ok("user", "add", "chief.wang", "--role", "secadmin")
        self.ok("expunge", "approve", seqs[0], "--blob", h, "--reason", "approved",
                "--as", "chief.wang")
        self.ok("expunge", seqs[0], "--blob", h, "--reason", "wrong case",
                "--approved-by", "chief.wang", "--as", "li.handler")
        self.push()
        self.lose_disk()

        rep = self.restore(backup).json
        self.assertIn(h, [b["hash"] for b in rep["blobs_recovered"]])
        self.assertTrue(os.path.exists(self.blob_path(h)))
        v = self.ct("verify")
        self.assertEqual(v.code, 0, v)

    def test_restore_twice_from_one_backup(self):
        backup = self.backup()
        self.add(self.case, "note", {"text": "第一次丢失前"}, "li.handler", attach=1)
        self.push()
        self.lose_disk()
        first = self.restore(backup).json["restore_seq"]
        self.add(self.case, "note", {"text": "第二次丢失前"}, "li.handler")
        self.push()
        self.lose_disk()

        # The first restore entry is itself recovered without content.
        rep = self.restore(backup).json
        self.assertIn(first, [x["seq"] for x in rep["content_lost"]])
        v = self.ct("verify")
        self.assertEqual(v.code, 0, v)
        self.assertIn("lost in restore", v.out)

    def test_restore_without_witness_keys(self):
        backup = self.backup()
        os.remove(os.path.join(backup, "witness.json"))
        self.add(self.case, "note", {"text": "备份后"}, "li.handler")
        self.push()
        self.lose_disk()

        # Only the log's own signatures can be checked; the report says so.
        rep = self.restore(backup).json
        self.assertIsNone(rep["cosigned_by"])
        self.assertEqual(rep["recovered"]["to"], rep["restore_seq"])
        self.assertEqual(self.ct("verify").code, 0)

    def test_verify_fails_on_unnamed_loss(self):
        backup = self.backup()
        self.add(self.case, "note", {"text": "备份后"}, "li.handler")
        self.push()
        self.lose_disk()
        restore_seq = self.restore(backup).json["restore_seq"]
        self.assertEqual(self.ct("verify").code, 0)
        # Content of an entry from the backup, which no restore names.
        self.delete_content(1)
        v = self.ct("verify")
        self.assertEqual(v.code, 1, v)
        self.assertIn("content 1: missing", v.out)

        # Without its own content, the restore entry explains nothing.
        self.delete_content(restore_seq)
        v = self.ct("verify")
        self.assertEqual(v.code, 1, v)
        self.assertIn("restore %d: its content is missing" % restore_seq, v.out)
        self.assertIn("content %d: missing" % (restore_seq - 1), v.out)

    def delete_content(self, seq):
        db = sqlite3.connect(os.path.join(self.dir, "casetrail.db"))
        with db:
            db.execute("DELETE FROM content WHERE seq = ?", (seq,))
        db.close()

    def test_restore_refuses_corrupt_witness_file(self):
        backup = self.backup()
        scanned = self.add(self.case, "note", {"text": "扫描件"}, "li.handler", attach=1)
        self.push()
        [h] = [a["hash"] for a in scanned["attachments"]]
        hexd = h.split(":")[1]
        [path] = [p for p in self.witness.blob_files() if p.endswith(hexd)]
        with open(path, "r+b") as f:
            f.seek(10)
            f.write(b"XX")
        self.lose_disk()
        r = self.restore(backup, expect=1)
        self.assertIn(h, r.err)
        self.assertIn("corrupt", r.err)
        self.assert_not_a_store(self.dir)
        # Taken as lost, the restore goes through and verify names it.
        r = ctest.run("restore", "--from", backup, "--witness", self.witness.url,
                      "--dir", self.dir, "--reason", "x", "--skip-blob", h)
        self.assertEqual(r.code, 0, r)
        self.assertIn("file lost: %s" % h, r.out)
        self.assertIn("--skip-blob", r.out)
        self.assertIn("content lost: entry %d note case %s" % (scanned["seq"], self.case),
                      r.out)
        self.assertIn("cannot be known", r.out)
        v = self.ct("verify")
        self.assertEqual(v.code, 0, v)
        self.assertIn("lost in restore", v.out)


class TestRestoreStandard(RestoreTest):
    """The same restore on a store of the standard mode (SHA-256, Ed25519)."""

    crypto = "standard"
    blob_path = TestRestore.blob_path
    test_restore_standard_store = TestRestore.test_restore_recovers_entries_names_losses


class TestRefusals(RestoreTest):

    def test_restore_refuses_newer_backup(self):
        self.add(self.case, "note", {"text": "未推送"}, "li.handler")
        backup = self.backup()
        self.lose_disk(serving=False)
        r = self.restore(backup, expect=2)
        self.assertIn("newer", r.err)
        self.assert_not_a_store(self.dir)

    def test_restore_refuses_forked_witness(self):
        fork_at = self.size()
        other = os.path.join(self.tmp, "other")
        self.ok("backup", "--to", other)
        # The bureau goes on; the copy goes on differently and is what the
        # witness follows from here (the same origin and keys: a fork).
        self.add(self.case, "note", {"text": "真实的记录"}, "li.handler")
        backup = self.backup()
        r = ctest.run("record", "add", "--case", self.case, "--kind", "note", "--fields",
                      self.fields_file({"text": "伪造的记录"}), "--as", "li.handler",
                      "--dir", other)
        self.assertEqual(r.code, 0, r)
        ctest.run("record", "add", "--case", self.case, "--kind", "note", "--fields",
                  self.fields_file({"text": "伪造的记录二"}), "--as", "li.handler",
                  "--dir", other)
        r = ctest.run("witness", "push", "--dir", other)
        self.assertEqual(r.code, 0, r)
        self.lose_disk()
        r = self.restore(backup, expect=1)
        self.assertIn("fork", r.err)
        self.assertIn("entry %d differs" % fork_at, r.err)
        self.assertIn("size %d" % (fork_at + 1), r.err)
        self.assert_not_a_store(self.dir)

    def test_restore_refuses_faulty_answers(self):
        backup = self.backup()
        self.add(self.case, "note", {"text": "一"}, "li.handler")
        self.add(self.case, "note", {"text": "二"}, "li.handler", attach=1)
        self.push()
        self.lose_disk(serving=False)
        cases = [("huge-checkpoint", 2, "more than"),
                 ("bad-signature", 1, "not signed by this store's keys"),
                 ("no-cosignature", 1, "valid cosignature"),
                 ("truncated", 1, "truncated"),
                 ("malformed", 1, "not JSON"),
                 ("swapped", 1, "seq"),
                 ("not-canonical", 1, "canonical"),
                 ("long-file", 1, "longer than")]
        for fault, code, words in cases:
            with self.subTest(fault=fault):
                proxy = FaultyWitness(self.witness.url, fault)
                try:
                    r = ctest.run("restore", "--from", backup, "--witness", proxy.url,
                                  "--dir", self.dir, "--reason", "x")
                finally:
                    proxy.close()
                self.assertEqual(r.code, code, r)
                self.assertIn(words, r.err)
                self.assert_not_a_store(self.dir)
        # The real witness, after all that, restores.
        self.restore(backup)

    def test_restore_refuses_damaged_backup(self):
        self.add(self.case, "note", {"text": "带附件"}, "li.handler", attach=1)
        backup = self.backup()
        self.push()
        self.lose_disk(serving=False)
        [path] = ctest.blob_files(backup)
        os.remove(path)

        r = self.restore(backup, expect=1)
        self.assertIn("fails verification", r.err)
        self.assertIn("is missing", r.err)
        self.assert_not_a_store(self.dir)

    def test_restore_errors_leave_no_store(self):
        backup = self.backup()
        self.lose_disk()
        not_a_store = os.path.join(self.tmp, "empty")
        os.mkdir(not_a_store)
        r = ctest.run("restore", "--from", not_a_store, "--witness", self.witness.url,
                      "--dir", self.dir, "--reason", "x")
        self.assertEqual(r.code, 2, r)
        self.assertIn("not a casetrail store", r.err)

        r = ctest.run("restore", "--from", backup, "--witness", "http://127.0.0.1:%d"
                      % free_port(), "--dir", self.dir, "--reason", "x")
        self.assertEqual(r.code, 2, r)
        self.assertIn("cannot reach the witness", r.err)
        self.assert_not_a_store(self.dir)

        r = ctest.run("restore", "--from", backup, "--witness",
                      self.witness.url.replace("//", "//ops:s3cret@"),
                      "--dir", self.dir, "--reason", "x")
        self.assertEqual(r.code, 2, r)
        self.assertNotIn("s3cret", r.err)
        self.assertIn("user or password", r.err)

        r = ctest.run("restore", "--from", backup, "--witness", self.witness.url,
                      "--dir", self.dir)
        self.assertEqual(r.code, 2, r)
        self.assertIn("--reason", r.err)

        os.makedirs(self.dir)
        with open(os.path.join(self.dir, "x"), "w") as f:
            f.write("x")
        r = self.restore(backup, expect=2)
        self.assertIn("not empty", r.err)
        shutil.rmtree(self.dir)

        # A link, to a folder or to nothing, is refused before any work.
        real = os.path.join(self.tmp, "real")
        os.makedirs(real)
        for to in (real, os.path.join(self.tmp, "nowhere", "zz")):
            os.symlink(to, self.dir)
            r = self.restore(backup, expect=2)
            self.assertIn("symbolic link", r.err)
            os.unlink(self.dir)
            self.assert_not_a_store(self.dir)
        self.assertEqual(os.listdir(real), [])

        # A witness that follows another log replies 404.
        other = Witness(os.path.join(self.tmp, "witness2"))
        other.start()
        try:
            r = ctest.run("restore", "--from", backup, "--witness", other.url,
                          "--dir", self.dir, "--reason", "x")
        finally:
            other.stop()
        self.assertEqual(r.code, 2, r)
        self.assertIn("follows no log", r.err)
        self.assert_not_a_store(self.dir)


if __name__ == "__main__":
    unittest.main()
