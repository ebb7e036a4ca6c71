"""The supervisory department's witness and the bureau's pusher, as real
processes on loopback. The witness follows 10,000 entries and an outage,
detects a restored older copy and a forked copy, and refuses a tampered
file. Its cosignatures verify with openssl (Ed25519) and casetrail (SM2),
and the witness-behind finding is raised and cured."""

import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import apitest  # noqa: E402
import ctest  # noqa: E402

NAME = "supervision.test/witness"
APPENDER = os.environ.get("CASETRAIL_APPENDER", os.path.join(
    os.path.dirname(ctest.BIN), "tests", "appender"))
WAIT = 60


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Witness:
    """A `casetrail witness serve` process with its log in a file."""

    def __init__(self, wdir, port):
        self.log_path = os.path.join(os.path.dirname(wdir), "witness-%d.log" % time.time_ns())
        self.log_file = open(self.log_path, "wb")
        env = dict(os.environ, CASETRAIL_LOG="info")
        self.proc = subprocess.Popen(
            [ctest.BIN, "witness", "serve", "--dir", wdir, "--listen", "127.0.0.1:%d" % port],
            stdout=subprocess.DEVNULL, stderr=self.log_file, env=env)
        self.base = "http://127.0.0.1:%d" % port
        deadline = time.monotonic() + 20
        while "msg=listening" not in self.log():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("witness did not start:\n" + self.log())
            time.sleep(0.02)

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.log_file.close()

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        self.log_file.close()
        for marker in apitest.SANITIZER_MARKERS:
            if marker in self.log():
                raise AssertionError("sanitizer report in the witness log:\n" + self.log())


def http(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_for(pred, what, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


class WitnessTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="casetrail-witness-")
        self.store = os.path.join(self.tmp, "store")
        self.wdir = os.path.join(self.tmp, "witness")
        self.procs = []
        self.ok("init", "--dir", self.store, "--crypto", "gm", "--host", "bureau.test",
                "--no-admin")
        self.origin = self.ok("checkpoint", "--dir", self.store).out.splitlines()[0]
        self.ok("witness", "init", "--dir", self.wdir, "--name", NAME)
        self.ok("witness", "trust", "--dir", self.wdir, "--origin", self.origin,
                "--key", os.path.join(self.store, "keys", "sm2.pub"),
                "--key", os.path.join(self.store, "keys", "ed25519.pub"))
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.add_witness(self.store)

    def tearDown(self):
        problems = []
        for p in self.procs:
            try:
                p.close()
            except AssertionError as e:
                problems.append(e)
        shutil.rmtree(self.tmp, ignore_errors=True)
        if problems:
            raise problems[0]

    def ok(self, *args):
        r = ctest.run(*args)
        self.assertEqual(r.code, 0, r)
        return r

    def add_witness(self, store):
        self.ok("witness", "add", "--dir", store, "--url", self.url, "--name", NAME,
                "--key", os.path.join(self.wdir, "keys", "witness-sm2.pub"),
                "--key", os.path.join(self.wdir, "keys", "witness-ed25519.pub"))

    def start_witness(self):
        w = Witness(self.wdir, self.port)
        self.procs.append(w)
        return w

    def start_bureau(self, store):
        s = apitest.Server(store)
        self.procs.append(s)
        return s

    def append_fast(self, store, n):
        """Appends at least n notes with the kill -9 test's appender, whose
        threads share group commits, so that 10,000 entries take seconds."""
        p = subprocess.Popen([APPENDER, "append", store, "8", "w"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
        count = 0
        for _ in p.stdout:
            count += 1
            if count >= n:
                break
        p.kill()
        p.wait()
        p.stdout.close()
        self.assertGreaterEqual(count, n)

    def note(self, store, text, attach=None):
        path = os.path.join(self.tmp, "note.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"text": text}, f, ensure_ascii=False)
        args = ["record", "add", "--dir", store, "--kind", "note", "--fields", path]
        if attach:
            args += ["--attach", attach]
        return self.ok(*args).json

    def size(self, store):
        return int(self.ok("checkpoint", "--dir", store).out.splitlines()[1])

    def witness_file(self, h):
        """The path of a file in the witness's blob store."""
        alg, hexd = h.split(":")
        found = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(self.wdir, "logs"))
                 for f in fs if f == hexd]
        self.assertEqual(len(found), 1, h)
        return found[0]

    def witness_status(self):
        st = self.ok("witness", "status", "--dir", self.wdir).json
        return st["logs"][0]

    def witness_checkpoint(self):
        q = urllib.parse.quote(self.origin, safe="")
        return http("GET", self.url + "/casetrail/v1/checkpoint?origin=" + q)

    def bureau_status(self, store):
        return self.ok("witness", "status", "--dir", store).json["witnesses"][0]

    # ---- the tests ----

    def test_follows_entries_and_outage(self):
        self.append_fast(self.store, 10001)
        bureau = self.start_bureau(self.store)
        # The witness is not there yet: the pusher retries and the store
        # is more than 10,000 entries ahead of any cosignature.
        wait_for(lambda: "push failing" in bureau.log(), "the first failure")
        wait_for(lambda: "witness behind" in bureau.log(), "witness-behind")
        witness = self.start_witness()
        wait_for(lambda: self.bureau_status(self.store)["entries_behind"] <= 1,
                 "the witness to catch up")
        wait_for(lambda: "witness caught up" in bureau.log(), "the cure")
        findings = self.findings_of(self.store)
        self.assertEqual(len(findings), 1, findings)
        self.assertIsNotNone(findings[0].get("cured"), findings)
        self.assertGreaterEqual(self.witness_status()["cosigned_size"], 10001)
        self.assertEqual(bureau.log().count("push failing"), 1, bureau.log())
        self.ok("user", "add", "li.clerk", "--role", "clerk", "--unit", "政务服务科",
                "--as", "admin", "--dir", self.store)
        token = self.ok("token", "create", "--user", "li.clerk", "--dir", self.store).out.strip()
        r = bureau.request("GET", "/api/v1/witness", token=token)
        self.assertEqual(r.status, 200, r)
        shown = r.json["witnesses"][0]
        self.assertEqual(shown["url"], self.url)
        self.assertEqual(shown["name"], NAME)
        self.assertGreaterEqual(shown["cosigned_size"], 10001)
        self.assertFalse(shown["behind"])
        self.assertIsNone(shown["last_error"])
        note = shown["checkpoint"].split("\n")
        self.assertEqual(note[0], self.origin)
        self.assertEqual(int(note[1]), shown["cosigned_size"])
        self.assertTrue([ln for ln in note if ln.startswith("\u2014 " + NAME + " ")],
                        "the witness's cosignature lines are shown")

        # An outage: killed, the store grows, the witness comes back.
        witness.kill()
        self.append_fast(self.store, 300)
        wait_for(lambda: bureau.log().count("push failing") == 2, "the failure after kill")
        time.sleep(3)
        self.assertEqual(bureau.log().count("push failing"), 2,
                         "one line per state change, not per retry")
        self.start_witness()
        target = int(self.ok("checkpoint", "--dir", self.store, "--now").out.splitlines()[1])
        wait_for(lambda: self.witness_status()["cosigned_size"] >= target,
                 "the witness to catch up after the outage")
        self.assertIn("push resumed", bureau.log())
        self.assertEqual(self.witness_status()["alarms"], [])
        r = ctest.run("verify", "--dir", self.store, "--against", self.url, "--no-record",
                      "--blobs", "none", timeout=300)
        self.assertEqual(r.code, 0, r)
        self.assertIn("witness %s:" % self.url, r.out)
        r = ctest.run("verify", "--dir", self.store, "--no-record", "--blobs", "none", "--json",
                      timeout=300)
        self.assertEqual(r.code, 0, r)
        [lag] = r.json["witnesses"]
        self.assertEqual(lag["url"], self.url)
        self.assertLessEqual(lag["entries_behind"], 1)

    def findings_of(self, store):
        r = self.ok("findings", "--dir", store, "--code", "witness-behind", "--json")
        data = r.json
        return data["items"] if isinstance(data, dict) else data

    def test_behind_by_time(self):
        self.note(self.store, "one")
        bureau = apitest.Server(self.store, env={"CASETRAIL_WITNESS_BEHIND_SECONDS": "2"})
        self.procs.append(bureau)
        wait_for(lambda: "witness behind" in bureau.log(), "witness-behind by time")
        [finding] = self.findings_of(self.store)
        self.assertIsNone(finding.get("cured"), finding)
        self.start_witness()
        wait_for(lambda: "witness caught up" in bureau.log(), "the cure")
        [finding] = self.findings_of(self.store)
        self.assertIsNotNone(finding.get("cured"), finding)
        # The finding comes back the same from the log alone.
        self.procs.remove(bureau)
        bureau.close()
        self.ok("rebuild", "--dir", self.store)
        self.assertEqual(self.findings_of(self.store), [finding])

    def test_restored_older_copy_detected(self):
        self.start_witness()
        self.note(self.store, "one")
        self.ok("witness", "push", "--dir", self.store)
        backup = os.path.join(self.tmp, "backup")
        self.ok("backup", "--dir", self.store, "--to", backup)
        for i in range(3):
            self.note(self.store, "later %d" % i)
        self.ok("witness", "push", "--dir", self.store)
        cosigned = self.witness_status()["cosigned_size"]
        self.assertEqual(cosigned, self.size(self.store))
        # The older copy is put back and served.
        shutil.rmtree(self.store)
        shutil.copytree(backup, self.store)
        bureau = self.start_bureau(self.store)
        wait_for(lambda: self.witness_status()["alarms"], "the alarm")
        alarm = self.witness_status()["alarms"][0]
        self.assertEqual(alarm["kind"], "rollback", alarm)
        self.assertIn(self.origin, alarm["evidence"])
        self.assertEqual(self.witness_status()["cosigned_size"], cosigned)
        wait_for(lambda: "rolled back" in bureau.log(), "the bureau's error")
        r = ctest.run("verify", "--dir", self.store, "--against", self.url, "--no-record")
        self.assertEqual(r.code, 1, r)
        self.assertIn("--against checkpoint", r.out)
        r = ctest.run("witness", "status", "--dir", self.wdir)
        self.assertIn("rollback", r.out)

    def test_forked_copy_detected(self):
        self.start_witness()
        self.note(self.store, "one")
        self.ok("witness", "push", "--dir", self.store)
        other = os.path.join(self.tmp, "other")
        self.ok("backup", "--dir", self.store, "--to", other)
        for i in range(2):
            self.note(self.store, "this copy %d" % i)
        self.ok("witness", "push", "--dir", self.store)
        for i in range(5):
            self.note(other, "the other copy %d" % i)
        r = ctest.run("witness", "push", "--dir", other)
        self.assertEqual(r.code, 2, r)
        alarms = self.witness_status()["alarms"]
        self.assertEqual([a["kind"] for a in alarms], ["fork"], alarms)
        self.assertEqual(self.witness_status()["cosigned_size"], self.size(self.store))
        r = ctest.run("verify", "--dir", other, "--against", self.url, "--no-record")
        self.assertEqual(r.code, 1, r)
        r = ctest.run("verify", "--dir", self.store, "--against", self.url, "--no-record")
        self.assertEqual(r.code, 0, r)
        # The other copy's entries wait unconfirmed at the witness and do
        # not keep this store from going on.
        self.note(self.store, "after the fork")
        self.ok("witness", "push", "--dir", self.store)
        self.assertEqual(self.witness_status()["cosigned_size"], self.size(self.store))
        self.assertEqual(len(self.witness_status()["alarms"]), 1)

    def test_fork_at_the_same_size(self):
        self.start_witness()
        self.note(self.store, "one")
        self.ok("witness", "push", "--dir", self.store)
        other = os.path.join(self.tmp, "other")
        self.ok("backup", "--dir", self.store, "--to", other)
        self.note(self.store, "this copy")
        self.ok("witness", "push", "--dir", self.store)
        def entries(store):
            out = self.ok("checkpoint", "--dir", store, "--now").out
            return int(out.splitlines()[1])
        want = entries(self.store)
        for _ in range(5):
            if entries(other) >= want:
                break
            self.note(other, "the other copy")
        self.assertEqual(entries(other), want)
        r = ctest.run("witness", "push", "--dir", other)
        self.assertEqual(r.code, 2, r)
        self.assertIn("forked", r.err)
        alarms = self.witness_status()["alarms"]
        self.assertEqual([a["kind"] for a in alarms], ["fork"], alarms)
        self.ok("witness", "push", "--dir", self.store)

    def test_shorter_fork_is_a_fork(self):
        self.start_witness()
        self.note(self.store, "one")
        self.ok("witness", "push", "--dir", self.store)
        early = self.ok("checkpoint", "--dir", self.store).out
        other = os.path.join(self.tmp, "other")
        self.ok("backup", "--dir", self.store, "--to", other)
        for i in range(4):
            self.note(self.store, "this copy %d" % i)
        self.ok("witness", "push", "--dir", self.store)
        # The other copy has fewer entries, and one of its own.
        self.note(other, "the other copy")
        r = ctest.run("witness", "push", "--dir", other)
        self.assertEqual(r.code, 2, r)
        alarms = self.witness_status()["alarms"]
        self.assertEqual([a["kind"] for a in alarms], ["fork"], alarms)
        # An older checkpoint of the log itself, sent again, matches the
        # entries kept: the alarm names a rollback or a replay.
        status, answer = http("POST", self.url + "/add-checkpoint",
                              ("old 0\n\n" + early).encode())
        self.assertEqual(status, 409, answer)
        alarms = self.witness_status()["alarms"]
        self.assertEqual(sorted(a["kind"] for a in alarms), ["fork", "rollback"], alarms)
        rollback = [a for a in alarms if a["kind"] == "rollback"][0]
        self.assertIn("sent again", rollback["detail"])

    def test_push_reaches_every_witness(self):
        self.start_witness()
        # An unreachable witness listed first does not keep the round
        # from the one that answers.
        cfg_path = os.path.join(self.store, "witness.json")
        with open(cfg_path, encoding="utf-8") as f:
            cfg = json.load(f)
        dead = dict(cfg["witnesses"][0], url="http://127.0.0.1:1", name="dead.example/w")
        cfg["witnesses"].insert(0, dead)
        with open(cfg_path, "w", encoding="utf-8") as f:
            json.dump(cfg, f)
        self.note(self.store, "one")
        r = ctest.run("witness", "push", "--dir", self.store)
        self.assertEqual(r.code, 2, r)
        self.assertIn("127.0.0.1:1", r.err)
        self.assertEqual(self.witness_status()["cosigned_size"], self.size(self.store))

    def test_foreign_entries_refused(self):
        self.start_witness()
        self.ok("witness", "push", "--dir", self.store)
        cosigned = self.witness_status()["cosigned_size"]
        held = self.witness_status()["entries"]
        # Well-formed entries that the log did not sign are refused, so
        # no one else can fill the witness or name files for it to take.
        foreign = [base64.b64encode(json.dumps({"seq": cosigned + i, "v": 1},
                                               separators=(",", ":"), sort_keys=True)
                                    .encode()).decode() for i in range(2)]
        body = json.dumps({"origin": self.origin, "start": cosigned,
                           "entries": foreign}).encode()
        status, answer = http("POST", self.url + "/casetrail/v1/entries", body)
        self.assertEqual(status, 403, answer)
        self.assertIn(b"signature", answer)
        # A note the log did sign, but over something else, is no better.
        note = self.ok("checkpoint", "--dir", self.store).out
        body = json.dumps({"origin": self.origin, "start": cosigned,
                           "entries": foreign, "signature": note}).encode()
        status, answer = http("POST", self.url + "/casetrail/v1/entries", body)
        self.assertEqual(status, 403, answer)
        self.assertIn(b"does not name this batch", answer)
        body = json.dumps({"origin": self.origin, "start": cosigned,
                           "entries": foreign, "signature": "junk"}).encode()
        status, _ = http("POST", self.url + "/casetrail/v1/entries", body)
        self.assertEqual(status, 400)
        self.assertEqual(self.witness_status()["entries"], held)
        for i in range(4):
            self.note(self.store, "own %d" % i)
        r = self.ok("witness", "push", "--dir", self.store)
        self.assertEqual(self.witness_status()["cosigned_size"], self.size(self.store), r)
        self.assertEqual(self.witness_status()["alarms"], [])

    def test_files_and_tampered_put(self):
        witness = self.start_witness()
        path = os.path.join(self.tmp, "scan.bin")
        with open(path, "wb") as f:
            f.write(os.urandom(200000))
        rec = self.note(self.store, "with a file", attach=path)
        self.ok("witness", "push", "--dir", self.store)
        shown = self.ok("log", "show", str(rec["seq"]), "--dir", self.store).json
        h = shown["attachments"][0]["hash"] if "attachments" in shown else \
            shown["entry"]["attachments"][0]["hash"]
        q = "?origin=" + urllib.parse.quote(self.origin, safe="")
        # The file is evidence with content: no one but the log reads it
        # back (a restore signs its requests; test_restore covers that).
        status, body = http("GET", self.url + "/casetrail/v1/blobs/" + h + q)
        self.assertEqual(status, 403, body)
        self.assertNotIn(b"\0", body[:64])
        for junk in ("x", base64.b64encode(b"no note").decode(), "A" * 9000):
            status, _ = http("GET", self.url + "/casetrail/v1/blobs/" + h + q,
                             headers={"Casetrail-Read-Signature": junk})
            self.assertIn(status, (400, 403), junk[:20])
        note = self.ok("checkpoint", "--dir", self.store).out
        status, body = http("GET", self.url + "/casetrail/v1/blobs/" + h + q,
                            headers={"Casetrail-Read-Signature":
                                     base64.b64encode(note.encode()).decode()})
        self.assertEqual(status, 403, "a note the log signed over something else")
        self.assertEqual(http("HEAD", self.url + "/casetrail/v1/blobs/" + h + q)[0], 200)
        stored = self.witness_file(h)
        with open(path, "rb") as f:
            original = f.read()
        with open(stored, "rb") as f:
            self.assertEqual(f.read(), original)
        other = "sm3:" + "ab" * 32
        status, _ = http("PUT", self.url + "/casetrail/v1/blobs/" + other + q, b"not it")
        self.assertEqual(status, 403, "no entry names that file")
        status, _ = http("HEAD", self.url + "/casetrail/v1/blobs/" + other + q)
        self.assertEqual(status, 404)
        status, _ = http("PUT", self.url + "/casetrail/v1/blobs/" + h + q, b"tampered")
        self.assertEqual(status, 422)
        with open(stored, "rb") as f:
            self.assertEqual(f.read(), original, "a refused PUT leaves the file alone")
        tmp = os.path.join(self.wdir, "logs")
        leftovers = [f for d, _, fs in os.walk(tmp) for f in fs if f.startswith("put-")]
        self.assertEqual(leftovers, [])
        # A body longer than the size the entry states is cut off.
        status, body = http("PUT", self.url + "/casetrail/v1/blobs/" + h + q,
                            original + b"x" * 70000)
        self.assertEqual(status, 413, body)
        with open(stored, "rb") as f:
            self.assertEqual(f.read(), original)
        # What a killed witness left of an upload goes at the next start.
        partial = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.dirname(stored)))), "tmp", "put-left")
        with open(partial, "wb") as f:
            f.write(b"half")
        witness.kill()
        self.start_witness()
        self.assertFalse(os.path.exists(partial))

    def test_footage_sent_once_linked(self):
        self.start_witness()
        self.ok("user", "add", "wang.clerk", "--role", "clerk", "--unit", "政务服务科",
                "--as", "admin", "--dir", self.store)
        lines = os.path.join(self.tmp, "case.jsonl")
        with open(lines, "w", encoding="utf-8") as f:
            f.write(json.dumps({"op": "case", "matter": "spjy-xk", "applicant": "某某超市",
                                "received": "2026-11-02T09:00:00+08:00",
                                "as": "wang.clerk"}, ensure_ascii=False) + "\n")
        case = self.ok("import", "--dir", self.store, lines).json["cases"]["1"]
        record = self.ok("case", "show", case, "--json", "--dir", self.store).json
        record_seq = record["records"][0]["seq"]
        footage = os.path.join(self.tmp, "seg.bin")
        with open(footage, "wb") as f:
            f.write(os.urandom(5000))
        item = self.ok("media", "ingest", footage, "--type", "surveillance", "--device", "CAM1",
                       "--window", "W1", "--as", "wang.clerk", "--json", "--dir",
                       self.store).json["items"][0]
        q = "?origin=" + urllib.parse.quote(self.origin, safe="")
        url = self.url + "/casetrail/v1/blobs/" + item["hash"] + q
        self.ok("witness", "push", "--dir", self.store)
        self.assertEqual(http("HEAD", url)[0], 404, "footage of no case stays at the bureau")
        self.ok("media", "link", str(item["seq"]), "--record", str(record_seq),
                "--as", "wang.clerk", "--dir", self.store)
        self.ok("witness", "push", "--dir", self.store)
        self.assertEqual(http("HEAD", url)[0], 200, "linked footage is evidence of the case")

    def test_cosignatures_verify(self):
        self.start_witness()
        self.note(self.store, "one")
        self.ok("witness", "push", "--dir", self.store)
        status, note = self.witness_checkpoint()
        self.assertEqual(status, 200)
        note = note.decode()
        q = urllib.parse.quote(self.origin, safe="")
        status, body = http("GET", self.url + "/casetrail/v1/entries?origin=%s&start=1&count=5"
                            % q)
        self.assertEqual(status, 200)
        listed = json.loads(body)
        self.assertEqual(listed["start"], 1)
        self.assertEqual(len(listed["entries"]), int(note.split("\n")[1]) - 1)
        raw = ctest.run("log", "show", "1", "--raw", "--dir", self.store, binary=True).out
        self.assertEqual(base64.b64decode(listed["entries"][0]), raw)
        text, sigs = note.split("\n\n", 1)
        text += "\n"
        lines = [l for l in sigs.splitlines() if l.startswith("\u2014 " + NAME + " ")]
        self.assertEqual(len(lines), 2, note)
        with open(os.path.join(self.wdir, "keys", "witness-ed25519.pub"), "rb") as f:
            pem = f.read()
        der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pem,
                             capture_output=True, check=True).stdout
        raw = der[-32:]
        import hashlib
        key_id = hashlib.sha256(NAME.encode() + b"\n\x04" + raw).digest()[:4]
        ed = [base64.b64decode(l.split(" ")[2]) for l in lines]
        ed = [s for s in ed if s[:4] == key_id]
        self.assertEqual(len(ed), 1, "one Ed25519 cosignature with the spec's key id")
        sig = ed[0]
        ts = int.from_bytes(sig[4:12], "big")
        self.assertLess(abs(ts - time.time()), 120)

        msg = ("cosignature/v1\ntime %d\n" % ts).encode() + text.encode()
        paths = {n: os.path.join(self.tmp, n) for n in ("msg", "sig", "pub")}
        with open(paths["msg"], "wb") as f:
            f.write(msg)
        with open(paths["sig"], "wb") as f:
            f.write(sig[12:])
        with open(paths["pub"], "wb") as f:
            f.write(pem)
        r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", paths["pub"],
                            "-rawin", "-in", paths["msg"], "-sigfile", paths["sig"]],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(paths["msg"], "wb") as f:
            f.write(msg.replace(b"time %d" % ts, b"time %d" % (ts + 1)))
        r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", paths["pub"],
                            "-rawin", "-in", paths["msg"], "-sigfile", paths["sig"]],
                           capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0, "the timestamp is signed")
        # Both lines, the SM2 one too, verify with casetrail's own code.
        r = ctest.run("verify", "--dir", self.store, "--against", self.url, "--no-record")
        self.assertEqual(r.code, 0, r)
        self.assertNotIn("not checked", r.out)
        # Under another URL the store has no keys for it: a remark, which
        # is no problem and records no integrity finding.
        other_url = "http://localhost:%d" % self.port
        r = ctest.run("verify", "--dir", self.store, "--against", other_url)
        self.assertEqual(r.code, 0, r)
        self.assertIn("not checked", r.out)
        r = self.ok("findings", "--dir", self.store, "--code", "integrity-failure", "--json")
        data = r.json
        self.assertEqual(data["items"] if isinstance(data, dict) else data, [])
        # A witness entry with another key fails the check.
        self.ok("witness", "init", "--dir", os.path.join(self.tmp, "w2"), "--name", NAME)
        self.ok("witness", "add", "--dir", self.store, "--url", self.url, "--name", NAME,
                "--key", os.path.join(self.tmp, "w2", "keys", "witness-sm2.pub"))
        r = ctest.run("verify", "--dir", self.store, "--against", self.url, "--no-record")
        self.assertEqual(r.code, 1, r)
        self.assertIn("no valid SM2 cosignature", r.out)

    def test_bad_requests_refused(self):
        self.start_witness()
        q = urllib.parse.quote(self.origin, safe="")
        status, _ = http("POST", self.url + "/add-checkpoint", b"old x\n\nfoo\n")
        self.assertEqual(status, 400)
        note = self.ok("checkpoint", "--dir", self.store).out
        status, _ = http("POST", self.url + "/add-checkpoint",
                         ("old 0\n\n" + note.replace("bureau.test", "other.test")).encode())
        self.assertIn(status, (400, 404))
        lines = note.split("\n")
        lines[1] = "1"
        status, _ = http("POST", self.url + "/add-checkpoint",
                         ("old 0\n\n" + "\n".join(lines)).encode())
        self.assertEqual(status, 403, "a checkpoint the log did not sign")
        body = json.dumps({"origin": self.origin, "start": 5, "entries": []}).encode()
        status, answer = http("POST", self.url + "/casetrail/v1/entries", body)
        self.assertEqual(status, 409)
        self.assertEqual(json.loads(answer), {"size": 0})
        bad = base64.b64encode(b'{"seq":1}').decode()
        body = json.dumps({"origin": self.origin, "start": 0, "entries": [bad]}).encode()
        status, _ = http("POST", self.url + "/casetrail/v1/entries", body)
        self.assertEqual(status, 403, "entries the log did not sign")
        body = json.dumps({"origin": self.origin, "start": 0, "entries": [7],
                           "signature": "x"}).encode()
        status, _ = http("POST", self.url + "/casetrail/v1/entries", body)
        self.assertEqual(status, 400)
        status, _ = http("GET", self.url + "/casetrail/v1/checkpoint?origin=" + q)
        self.assertEqual(status, 404)
        for query in ("start=-1", "start=abc", "start=1x", "count=-1", "count=",
                      "start=18446744073709551615"):
            status, answer = http("GET", self.url + "/casetrail/v1/entries?origin=%s&%s"
                                  % (q, query))
            self.assertEqual(status, 400, query)
            self.assertIn(query.split("=")[0].encode(), answer)

    def test_trust_from_key_show(self):
        shown = self.ok("key", "show", "--dir", self.store).out
        r = ctest.run("witness", "trust", "--dir", self.wdir, "--from", "-", input=shown)
        self.assertEqual(r.code, 0, r)
        self.assertEqual(r.json, {"origin": self.origin, "keys": 2})
        forged = re.sub(r" id [0-9a-f]{8}", " id 00000000", shown, count=1)
        r = ctest.run("witness", "trust", "--dir", self.wdir, "--from", "-", input=forged)
        self.assertEqual(r.code, 2, r)
        self.assertIn("not the 00000000 stated", r.err)
        self.start_witness()
        self.note(self.store, "one")
        self.ok("witness", "push", "--dir", self.store)
        self.assertEqual(self.witness_status()["cosigned_size"], self.size(self.store))
        # A log trusted while the witness runs is followed without a restart.
        second = os.path.join(self.tmp, "second")
        self.ok("init", "--dir", second, "--crypto", "standard", "--host", "other.test",
                "--no-admin")
        shown = self.ok("key", "show", "--dir", second).out
        r = ctest.run("witness", "trust", "--dir", self.wdir, "--from", "-", input=shown)
        self.assertEqual(r.code, 0, r)
        self.add_witness(second)
        self.ok("witness", "push", "--dir", second)
        logs = self.ok("witness", "status", "--dir", self.wdir).json["logs"]
        self.assertEqual(sorted(l["cosigned_size"] for l in logs),
                         sorted([self.size(self.store), self.size(second)]))


if __name__ == "__main__":
    unittest.main()
