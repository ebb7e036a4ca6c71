#!/usr/bin/env python3
"""Black-box tests of casetrail's read-only HTTP server on loopback.

Each test class creates a store with the built casetrail binary
($CASETRAIL_BIN), appends records through the command line, starts
`casetrail serve --listen 127.0.0.1:0` and reads the bound port from the
"listening" line of its log. Proofs from the standard-mode store are
checked with an RFC 9162 verifier written here on hashlib.sha256; gm-mode
(SM3) results are compared with what the command line prints.

Python 3 standard library only.
"""

import base64
import hashlib
import http.client
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest

BIN = os.environ.get("CASETRAIL_BIN", "")

# Seconds to wait for the server to print its "listening" line or to exit.
START_TIMEOUT = 20
STOP_TIMEOUT = 20

# Lines that ASan, LSan and UBSan print when a build has them enabled.
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                     "runtime error:")

TILE_WIDTH = 256
HASH_LEN = 32
IMMUTABLE = "public, max-age=31536000, immutable"

# The standard-mode store gets this many entries: one full level 0 tile
# and a partial one of width 44.
STANDARD_ENTRIES = 300


def run_cli(*args, check=True):
    """Run casetrail with args and return the completed process."""
    proc = subprocess.run([BIN, *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=60)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"casetrail {' '.join(args)} exited {proc.returncode}: "
            f"{proc.stderr.decode(errors='replace')}")
    return proc


class Store:
    """A temporary store filled through the command line."""

    def __init__(self, crypto):
        self.tmp = tempfile.TemporaryDirectory(prefix="casetrail-http-")
        self.dir = os.path.join(self.tmp.name, "store")
        self.fields = os.path.join(self.tmp.name, "fields.json")
        self.receipts = []
        run_cli("init", "--dir", self.dir, "--crypto", crypto,
                "--host", "test.example", "--no-admin")

    def append(self, count):
        for _ in range(count):
            n = len(self.receipts)
            with open(self.fields, "w", encoding="utf-8") as f:
                json.dump({"text": f"record {n}: 情况说明"}, f)
            out = run_cli("record", "add", "--dir", self.dir, "--kind", "note",
                          "--fields", self.fields)
            receipt = json.loads(out.stdout)
            if receipt["seq"] != n:
                raise AssertionError(f"record add returned seq "
                                     f"{receipt['seq']}, expected {n}")
            self.receipts.append(receipt)

    def leaf(self, seq):
        return base64.b64decode(self.receipts[seq]["leaf_hash"])

    def raw_entry(self, seq):
        return run_cli("log", "show", str(seq), "--raw", "--dir",
                       self.dir).stdout

    def close(self):
        self.tmp.cleanup()


class Server:
    """A `casetrail serve` process with its log in a file."""

    def __init__(self, store_dir, listen="127.0.0.1:0"):
        self.log_file = tempfile.NamedTemporaryFile(
            prefix="casetrail-serve-", suffix=".log", delete=False)
        env = dict(os.environ, CASETRAIL_LOG="info")
        self.proc = subprocess.Popen(
            [BIN, "serve", "--dir", store_dir, "--listen", listen],
            stdout=subprocess.DEVNULL, stderr=self.log_file, env=env)
        self.host, self.port = self._wait_listening()

    def _wait_listening(self):
        pattern = re.compile(
            r'msg="?listening"? addr=(\[[0-9a-f:]+\]|[0-9.]+):(\d+)')
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            match = pattern.search(self.log())
            if match:
                return match.group(1).strip("[]"), int(match.group(2))
            if self.proc.poll() is not None:
                raise AssertionError(f"casetrail serve exited "
                                     f"{self.proc.returncode}:\n{self.log()}")
            time.sleep(0.02)
        self.proc.kill()
        raise AssertionError(f"no listening line within {START_TIMEOUT} s:"
                             f"\n{self.log()}")

    def log(self):
        with open(self.log_file.name, encoding="utf-8",
                  errors="replace") as f:
            return f.read()

    def connect(self):
        return http.client.HTTPConnection(self.host, self.port, timeout=30)

    def request(self, path, method="GET", body=None):
        """Send one request on a new connection; return status, headers, body."""
        conn = self.connect()
        try:
            conn.request(method, path, body=body)
            resp = conn.getresponse()
            return resp.status, resp.headers, resp.read()
        finally:
            conn.close()

    def stop(self, sig=signal.SIGTERM):
        """Signal the server and return its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def close(self):
        """Stop the server; raise if a sanitizer reported anything."""
        if self.proc.poll() is None:
            self.stop()
        log = self.log()
        self.log_file.close()
        os.unlink(self.log_file.name)
        for marker in SANITIZER_MARKERS:
            if marker in log:
                raise AssertionError(f"sanitizer report in the server "
                                     f"log:\n{log}")


# RFC 9162 section 2.1 over SHA-256, for the standard-mode store.

def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def leaf_hash(entry):
    return hashlib.sha256(b"\x00" + entry).digest()


def merkle_root(leaves):
    """MTH of a list of leaf hashes (section 2.1.1)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(merkle_root(leaves[:k]), merkle_root(leaves[k:]))


def verify_inclusion(index, size, leaf, proof, root):
    """Verify an inclusion proof as section 2.1.3.2 describes."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_root, second_root, proof):
    """Verify a consistency proof as section 2.1.4.2 describes."""
    if first == second:
        return not proof and first_root == second_root
    if not proof:
        return False
    if first & (first - 1) == 0:
        proof = [first_root] + list(proof)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


def parse_checkpoint(note):
    """Return (origin, size, root) from a C2SP checkpoint note."""
    text, _, signatures = note.partition("\n\n")
    lines = text.split("\n")
    if len(lines) < 3 or not signatures.startswith("\u2014 "):
        raise AssertionError(f"malformed checkpoint:\n{note}")
    return lines[0], int(lines[1]), base64.b64decode(lines[2])


def parse_bundle(data):
    """Split an entry bundle into its entries (uint16 big-endian lengths)."""
    entries, pos = [], 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise AssertionError(f"bundle ends inside a length at {pos}")
        length = int.from_bytes(data[pos:pos + 2], "big")
        pos += 2
        if pos + length > len(data):
            raise AssertionError(f"bundle entry at {pos} overruns the body")
        entries.append(data[pos:pos + length])
        pos += length
    return entries


def b64_list(items):
    return [base64.b64decode(x) for x in items]


class ServerTestCase(unittest.TestCase):
    """Shared checks for responses."""

    server = None

    def get(self, path, method="GET"):
        return self.server.request(path, method)

    def get_ok(self, path):
        status, headers, body = self.get(path)
        self.assertEqual(status, 200, f"GET {path}: {body[:300]!r}")
        return headers, body

    def get_json(self, path):
        headers, body = self.get_ok(path)
        self.assertEqual(headers["Content-Type"], "application/json")
        return json.loads(body)

    def assert_problem(self, path, statuses, mention=None, method="GET"):
        """Check that path returns a problem document with one of statuses."""
        status, headers, body = self.get(path, method)
        self.assertIn(status, statuses, f"{method} {path}: {body[:300]!r}")
        self.assertEqual(headers["Content-Type"], "application/problem+json",
                         path)
        problem = json.loads(body)
        self.assertEqual(problem["status"], status, path)
        self.assertEqual(problem["type"], "about:blank", path)
        self.assertTrue(problem["title"], path)
        self.assertTrue(problem["detail"], path)
        if mention is not None:
            self.assertIn(mention, problem["detail"], path)
        return problem

    def wait_checkpoint(self, size, timeout):
        """Poll /checkpoint until it covers size; return it and the wait."""
        start = time.monotonic()
        while True:
            _, body = self.get_ok("/checkpoint")
            checkpoint = parse_checkpoint(body.decode())
            elapsed = time.monotonic() - start
            if checkpoint[1] >= size or elapsed > timeout:
                return checkpoint, elapsed
            time.sleep(0.02)


class StandardStoreTest(ServerTestCase):
    """A SHA-256 store of 300 entries, checked against hashlib."""

    @classmethod
    def setUpClass(cls):
        cls.store = Store("standard")
        cls.store.append(STANDARD_ENTRIES)
        cls.leaves = [cls.store.leaf(i) for i in range(STANDARD_ENTRIES)]
        cls.server = Server(cls.store.dir)

    @classmethod
    def tearDownClass(cls):
        cls.server.close()
        cls.store.close()

    def root(self, size):
        return merkle_root(self.leaves[:size])

    def test_healthz_counts_entries(self):
        body = self.get_json("/healthz")
        self.assertEqual(body, {"status": "ok", "entries": STANDARD_ENTRIES})

    def test_checkpoint_covers_log(self):
        (origin, size, root), _ = self.wait_checkpoint(STANDARD_ENTRIES, 2.0)
        self.assertEqual(size, STANDARD_ENTRIES)
        self.assertTrue(origin.endswith("/sha256"), origin)
        self.assertEqual(root, self.root(STANDARD_ENTRIES))
        headers, _ = self.get_ok("/checkpoint")
        self.assertEqual(headers["Content-Type"], "text/plain; charset=utf-8")
        self.assertEqual(headers["Cache-Control"], "no-store")

    def test_entry_matches_log_show_raw(self):
        for seq in (0, 1, 255, 256, STANDARD_ENTRIES - 1):
            headers, body = self.get_ok(f"/api/v1/entries/{seq}")
            self.assertEqual(headers["Content-Type"], "application/json")
            self.assertEqual(body, self.store.raw_entry(seq), seq)
            self.assertEqual(leaf_hash(body), self.leaves[seq], seq)
            self.assertEqual(json.loads(body)["seq"], seq)

    def test_entry_missing_is_404(self):
        self.assert_problem(f"/api/v1/entries/{STANDARD_ENTRIES}", [404],
                            str(STANDARD_ENTRIES))
        self.assert_problem("/api/v1/entries/9223372036854775807", [404])

    def test_entry_bad_seq_is_400(self):
        for seq in ("01", "-1", "+1", "1.0", "abc", "1x", "0x10",
                    "9223372036854775808", "99999999999999999999", "",
                    "1/2"):
            with self.subTest(seq=seq):
                self.assert_problem(f"/api/v1/entries/{seq}", [400], seq)

    def test_inclusion_proof_verifies(self):
        cases = [(0, 1), (0, 2), (1, 2), (5, 7), (0, 256), (255, 256),
                 (256, 257), (100, STANDARD_ENTRIES),
                 (STANDARD_ENTRIES - 1, STANDARD_ENTRIES)]
        for seq, size in cases:
            with self.subTest(seq=seq, size=size):
                proof = self.get_json(
                    f"/api/v1/proof/inclusion?seq={seq}&size={size}")
                self.assertEqual(proof["leaf_index"], seq)
                self.assertEqual(proof["tree_size"], size)
                leaf = base64.b64decode(proof["leaf_hash"])
                self.assertEqual(leaf, self.leaves[seq])
                self.assertTrue(verify_inclusion(
                    seq, size, leaf, b64_list(proof["hashes"]),
                    self.root(size)))

    def test_inclusion_defaults_to_checkpoint_size(self):
        (_, size, root), _ = self.wait_checkpoint(STANDARD_ENTRIES, 2.0)
        proof = self.get_json("/api/v1/proof/inclusion?seq=42")
        self.assertEqual(proof["tree_size"], size)
        self.assertTrue(verify_inclusion(
            42, size, base64.b64decode(proof["leaf_hash"]),
            b64_list(proof["hashes"]), root))

    def test_inclusion_bad_parameters(self):
        base = "/api/v1/proof/inclusion"
        self.assert_problem(base, [400], "seq")
        self.assert_problem(f"{base}?size=5", [400], "seq")
        self.assert_problem(f"{base}?seq=abc", [400], "abc")
        self.assert_problem(f"{base}?seq=007", [400], "007")
        self.assert_problem(f"{base}?seq=", [400], "seq")
        self.assert_problem(f"{base}?seq=1&seq=2", [400], "seq")
        self.assert_problem(f"{base}?seq=1&size=-3", [400], "-3")
        self.assert_problem(f"{base}?seq=0&size=0", [400], "0")
        self.assert_problem(f"{base}?seq=5&size=5", [400], "5")
        self.assert_problem(f"{base}?seq=1&size={STANDARD_ENTRIES + 1}",
                            [404], str(STANDARD_ENTRIES + 1))
        self.assert_problem(f"{base}?seq={STANDARD_ENTRIES}", [404],
                            str(STANDARD_ENTRIES))

    def test_consistency_proof_verifies(self):
        cases = [(1, 1), (1, 2), (2, 3), (3, 7), (4, 8), (5, 17),
                 (7, STANDARD_ENTRIES), (256, STANDARD_ENTRIES),
                 (255, 256), (STANDARD_ENTRIES, STANDARD_ENTRIES)]
        for old, new in cases:
            with self.subTest(old=old, new=new):
                proof = self.get_json(
                    f"/api/v1/proof/consistency?old={old}&new={new}")
                self.assertEqual(proof["old_size"], old)
                self.assertEqual(proof["new_size"], new)
                self.assertTrue(verify_consistency(
                    old, new, self.root(old), self.root(new),
                    b64_list(proof["hashes"])))

    def test_consistency_bad_parameters(self):
        base = "/api/v1/proof/consistency"
        self.assert_problem(base, [400], "old")
        self.assert_problem(f"{base}?old=1", [400], "new")
        self.assert_problem(f"{base}?new=3", [400], "old")
        self.assert_problem(f"{base}?old=x&new=3", [400], "x")
        self.assert_problem(f"{base}?old=0&new=3", [400], "old")
        self.assert_problem(f"{base}?old=5&new=3", [400], "old")
        self.assert_problem(f"{base}?old=1&new=1&new=2", [400], "new")
        self.assert_problem(f"{base}?old=1&new={STANDARD_ENTRIES + 1}",
                            [404], str(STANDARD_ENTRIES + 1))

    def test_full_tile_is_leaf_hashes(self):
        headers, body = self.get_ok("/tile/0/000")
        self.assertEqual(len(body), TILE_WIDTH * HASH_LEN)
        self.assertEqual(body, b"".join(self.leaves[:TILE_WIDTH]))
        self.assertEqual(headers["Content-Type"], "application/octet-stream")
        self.assertEqual(headers["Cache-Control"], IMMUTABLE)

    def test_partial_tile_is_leaf_hashes(self):
        _, body = self.get_ok("/tile/0/001.p/44")
        self.assertEqual(body, b"".join(self.leaves[256:300]))
        _, body = self.get_ok("/tile/0/000.p/10")
        self.assertEqual(body, b"".join(self.leaves[:10]))

    def test_level_one_tile_is_subtree_root(self):
        _, body = self.get_ok("/tile/1/000.p/1")
        self.assertEqual(body, merkle_root(self.leaves[:TILE_WIDTH]))

    def test_incomplete_tiles_are_404(self):
        self.assert_problem("/tile/0/001", [404], "/tile/0/001.p/44")
        self.assert_problem("/tile/0/001.p/45", [404])
        self.assert_problem("/tile/0/002.p/1", [404])
        self.assert_problem("/tile/1/000", [404])
        self.assert_problem("/tile/1/000.p/2", [404])
        self.assert_problem("/tile/2/000.p/1", [404])
        self.assert_problem("/tile/entries/001", [404])
        self.assert_problem("/tile/entries/001.p/45", [404])
        # 2^64 - 1: a valid index that no tree reaches.
        self.assert_problem("/tile/0/x018/x446/x744/x073/x709/x551/615",
                            [404])
        self.assert_problem("/tile/63/000.p/1", [404])

    def test_entry_bundle_matches_log(self):
        headers, body = self.get_ok("/tile/entries/000")
        self.assertEqual(headers["Content-Type"], "application/octet-stream")
        self.assertEqual(headers["Cache-Control"], IMMUTABLE)
        entries = parse_bundle(body)
        self.assertEqual(len(entries), TILE_WIDTH)
        _, partial = self.get_ok("/tile/entries/001.p/44")
        entries += parse_bundle(partial)
        self.assertEqual(len(entries), STANDARD_ENTRIES)
        self.assertEqual([leaf_hash(e) for e in entries], self.leaves)
        for seq in (0, 128, 255, 256, 299):
            self.assertEqual(entries[seq], self.store.raw_entry(seq), seq)

    def test_tile_path_rejections(self):
        cases = {
            "/tile/0/1": "001",              # no zero padding
            "/tile/0/01": "001",
            "/tile/0/0001": None,            # four digits
            "/tile/0/x001": None,            # 'x' on the last group
            "/tile/0/000/001": "001",        # no 'x' on a leading group
            "/tile/0/x000/001": "001",       # leading zero group
            "/tile/0/x001/x000": None,
            "/tile/0/x001/": None,
            "/tile/0//000": None,
            "/tile/00/000": None,            # level with a leading zero
            "/tile/64/000": "64",            # level above 63
            "/tile/-1/000": None,
            "/tile/a/000": None,
            "/tile/0/000.p/0": "0",          # width outside 1..255
            "/tile/0/000.p/256": "256",
            "/tile/0/000.p/044": "044",
            "/tile/0/000.p/": None,
            "/tile/0/000.p/4/": None,
            "/tile/0/000.p": None,
            "/tile/0/../000": None,
            "/tile/../tile/0/000": None,
            "/tile/0/%2e%2e/000": "%2e",
            "/tile/%30/000": "%30",
            "/tile/0/000%2ep/4": None,
            "/tile/0/x999/x999/x999/x999/x999/x999/999": None,  # > 2^64
            "/tile/0/x018/x446/x744/x073/x709/x551/616": None,  # 2^64
            "/tile/0/" + "x999/" * 40 + "999": None,
            "/tile/entries/x001": None,
            "/tile/entries/1": "001",
            "/tile/0": None,
            "/tile/": None,
            "/tile/entries": None,
        }
        for path, mention in cases.items():
            with self.subTest(path=path):
                self.assert_problem(path, [400, 404], mention)

    def test_unknown_path_is_404(self):
        for path in ("/nothing", "/healthz/", "/checkpoint/x",
                     "/api/v1/entries", "/api/v1/proof", "/TILE/0/000"):
            with self.subTest(path=path):
                self.assert_problem(path, [404])

    def test_head_matches_get(self):
        for path in ("/tile/0/000", "/healthz", "/api/v1/entries/3",
                     "/nothing"):
            with self.subTest(path=path):
                get_status, get_headers, get_body = self.get(path)
                status, headers, body = self.get(path, "HEAD")
                self.assertEqual(status, get_status)
                self.assertEqual(body, b"")
                self.assertEqual(int(headers["Content-Length"]),
                                 len(get_body))
                self.assertEqual(headers["Content-Type"],
                                 get_headers["Content-Type"])

    def test_other_methods_are_405(self):
        for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
            with self.subTest(method=method):
                status, headers, body = self.server.request(
                    "/healthz", method, body=b'{"x":1}')
                self.assertEqual(status, 405, body)
                self.assertEqual(headers["Allow"], "GET, HEAD")
                problem = json.loads(body)
                self.assertEqual(problem["status"], 405)
                self.assertIn(method, problem["detail"])
        self.assert_problem("/nothing", [405], method="POST")

    def test_keep_alive(self):
        conn = self.server.connect()
        try:
            for _ in range(3):
                conn.request("GET", "/healthz")
                resp = conn.getresponse()
                resp.read()
                self.assertEqual(resp.status, 200)
                self.assertNotEqual(resp.headers.get("Connection"), "close")
        finally:
            conn.close()

    def test_metrics(self):
        self.get("/nothing")
        self.get_ok("/healthz")
        headers, body = self.get_ok("/metrics")
        self.assertTrue(headers["Content-Type"].startswith("text/plain"))
        text = body.decode()
        ok = re.search(r'^casetrail_http_requests_total\{code="200"\} (\d+)$',
                       text, re.M)
        self.assertIsNotNone(ok, text)
        self.assertGreaterEqual(int(ok.group(1)), 1)
        self.assertRegex(text, r'(?m)^casetrail_http_requests_total'
                               r'\{code="404"\} [1-9]\d*$')
        self.assertRegex(text, rf"(?m)^casetrail_ledger_entries "
                               rf"{STANDARD_ENTRIES}$")
        self.assertRegex(text, r"(?m)^casetrail_checkpoint_size \d+$")

    def wait_log(self, pattern, timeout=5.0):
        """Return the server log once pattern matches it, or at timeout."""
        # Each pool thread logs a request when it completes, so lines from
        # different connections may appear late and out of order.
        deadline = time.monotonic() + timeout
        while (not re.search(pattern, self.server.log())
               and time.monotonic() < deadline):
            time.sleep(0.02)
        return self.server.log()

    def test_access_log_lines(self):
        self.get("/api/v1/entries/7")
        self.get("/tile/0/x001")
        ok = (r'msg="?request"? method=GET target=/api/v1/entries/7 '
              r'status=200 bytes=\d+ ms=[0-9.]+ remote=127\.0\.0\.1')
        bad = (r'msg="?request"? method=GET target=/tile/0/x001 '
               r'status=400 bytes=\d+ ms=[0-9.]+ remote=127\.0\.0\.1')
        self.assertRegex(self.wait_log(ok), ok)
        self.assertRegex(self.wait_log(bad), bad)

    def test_access_log_escapes_target(self):
        # http.client refuses such a target, so send the bytes directly.
        with socket.create_connection((self.server.host, self.server.port),
                                      timeout=10) as sock:
            sock.sendall(b'GET /x"y=1\\z HTTP/1.1\r\nHost: t\r\n'
                         b'Connection: close\r\n\r\n')
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
        self.assertTrue(reply.startswith(b"HTTP/1.1 404"), reply[:100])
        expected = 'target="/x\\"y=1\\\\z"'
        self.assertIn(expected, self.wait_log(re.escape(expected)))

    def raw_request(self, request):
        with socket.create_connection((self.server.host, self.server.port),
                                      timeout=10) as sock:
            sock.sendall(request)
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
        return reply

    def test_missing_host_is_400(self):
        reply = self.raw_request(b"GET /healthz HTTP/1.1\r\n"
                                 b"Connection: close\r\n\r\n")
        self.assertTrue(reply.startswith(b"HTTP/1.1 400"), reply[:100])
        self.assertIn(b"Host header", reply)

    def test_nul_in_query_is_400(self):
        self.assert_problem("/api/v1/proof/inclusion?seq=1%00junk", (400,),
                            "NUL")

    def test_concurrent_clients(self):
        tile = b"".join(self.leaves[:TILE_WIDTH])
        per_client = 32
        failures = []
        counts = [0] * 64

        def client(n):
            conn = self.server.connect()
            try:
                for i in range(per_client):
                    seq = (n * per_client + i) % STANDARD_ENTRIES
                    path = ("/tile/0/000", "/healthz",
                            f"/api/v1/entries/{seq}",
                            f"/api/v1/proof/inclusion?seq={seq}"
                            f"&size={STANDARD_ENTRIES}")[i % 4]
                    conn.request("GET", path)
                    resp = conn.getresponse()
                    body = resp.read()
                    if resp.status != 200:
                        failures.append((path, resp.status, body[:200]))
                    elif path == "/tile/0/000" and body != tile:
                        failures.append((path, "wrong tile bytes"))
                    counts[n] += 1
            except (OSError, http.client.HTTPException) as e:
                failures.append((n, repr(e)))
            finally:
                conn.close()

        threads = [threading.Thread(target=client, args=(n,))
                   for n in range(64)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        self.assertEqual(failures, [])
        self.assertEqual(sum(counts), 64 * per_client)


class GmStoreTest(ServerTestCase):
    """An SM3 store, compared with what the command line prints."""

    @classmethod
    def setUpClass(cls):
        cls.store = Store("gm")
        cls.store.append(5)
        cls.server = Server(cls.store.dir)

    @classmethod
    def tearDownClass(cls):
        cls.server.close()
        cls.store.close()

    def test_checkpoint_follows_append(self):
        self.wait_checkpoint(len(self.store.receipts), 2.0)
        self.store.append(1)
        size = len(self.store.receipts)
        (origin, covered, _), elapsed = self.wait_checkpoint(size, 1.0)
        self.assertGreaterEqual(covered, size)
        self.assertLess(elapsed, 1.0)
        self.assertTrue(origin.endswith("/sm3"), origin)
        self.assertEqual(self.get_json("/healthz")["entries"], size)

    def test_checkpoint_matches_cli(self):
        size = len(self.store.receipts)
        self.wait_checkpoint(size, 2.0)
        _, body = self.get_ok("/checkpoint")
        cli = run_cli("checkpoint", "--dir", self.store.dir).stdout
        self.assertEqual(body, cli)

    def test_entries_match_log_show_raw(self):
        for seq in range(3):
            _, body = self.get_ok(f"/api/v1/entries/{seq}")
            self.assertEqual(body, self.store.raw_entry(seq))

    def test_inclusion_matches_cli(self):
        size = 5
        for seq in range(size):
            with self.subTest(seq=seq):
                proof = self.get_json(
                    f"/api/v1/proof/inclusion?seq={seq}&size={size}")
                cli = json.loads(run_cli(
                    "proof", "inclusion", str(seq), "--size", str(size),
                    "--dir", self.store.dir).stdout)
                for key in ("leaf_index", "tree_size", "leaf_hash",
                            "hashes"):
                    self.assertEqual(proof[key], cli[key], key)
                self.assertEqual(proof["leaf_hash"],
                                 self.store.receipts[seq]["leaf_hash"])

    def test_consistency_matches_cli(self):
        for old, new in ((1, 5), (2, 5), (3, 4), (5, 5)):
            with self.subTest(old=old, new=new):
                proof = self.get_json(
                    f"/api/v1/proof/consistency?old={old}&new={new}")
                cli = json.loads(run_cli(
                    "proof", "consistency", str(old), str(new), "--dir",
                    self.store.dir).stdout)
                for key in ("old_size", "new_size", "hashes"):
                    self.assertEqual(proof[key], cli[key], key)

    def test_tile_and_bundle_match_receipts(self):
        _, tile = self.get_ok("/tile/0/000.p/5")
        self.assertEqual(tile, b"".join(self.store.leaf(i) for i in range(5)))
        _, bundle = self.get_ok("/tile/entries/000.p/5")
        entries = parse_bundle(bundle)
        self.assertEqual(len(entries), 5)
        self.assertEqual(entries[4], self.store.raw_entry(4))


class LifecycleTest(unittest.TestCase):
    """Starting, stopping and listen addresses."""

    @classmethod
    def setUpClass(cls):
        cls.store = Store("standard")
        cls.store.append(2)

    @classmethod
    def tearDownClass(cls):
        cls.store.close()

    def stop_and_check(self, server, sig):
        status, _, _ = server.request("/healthz")
        self.assertEqual(status, 200)
        code = server.stop(sig)
        log = server.log()
        server.close()
        self.assertEqual(code, 0, log)
        self.assertRegex(log, r'msg="?stopped"?')
        return log

    def test_sigterm_stops_cleanly(self):
        self.stop_and_check(Server(self.store.dir), signal.SIGTERM)

    def test_sigint_stops_cleanly(self):
        self.stop_and_check(Server(self.store.dir), signal.SIGINT)

    def test_ipv6_loopback(self):
        try:
            with socket.socket(socket.AF_INET6) as probe:
                probe.bind(("::1", 0))
        except OSError:
            self.skipTest("no IPv6 loopback on this host")
        server = Server(self.store.dir, "[::1]:0")
        self.assertEqual(server.host, "::1")
        self.assertRegex(server.log(), r"addr=\[::1\]:\d+")
        status, _, body = server.request("/healthz")
        self.assertEqual(status, 200, body)
        self.stop_and_check(server, signal.SIGTERM)

    def test_missing_node_is_500(self):
        store = Store("standard")
        try:
            store.append(3)
            # Tamper with the store behind the ledger's back: drop the
            # append-only triggers on the Merkle nodes and one leaf hash.
            db = sqlite3.connect(os.path.join(store.dir, "casetrail.db"))
            with db:
                triggers = db.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                    "AND tbl_name = 'nodes'").fetchall()
                for (name,) in triggers:
                    db.execute(f'DROP TRIGGER "{name}"')
                db.execute("DELETE FROM nodes WHERE level = 0 AND idx = 1")
            db.close()
            server = Server(store.dir)
            try:
                status, headers, body = server.request("/tile/0/000.p/3")
                self.assertEqual(status, 500, body)
                self.assertEqual(headers["Content-Type"],
                                 "application/problem+json")
                self.assertEqual(json.loads(body)["status"], 500)
                status, _, _ = server.request("/healthz")
                self.assertEqual(status, 200)
                self.assertRegex(server.log(), r'msg="request failed" '
                                               r'target=/tile/0/000.p/3 ')
            finally:
                server.close()
        finally:
            store.close()

    def test_signing_failure_degrades_health(self):
        store = Store("standard")
        try:
            store.append(2)
            # A private key that only its owner may not read any more
            # because of its mode makes every signing attempt fail.
            os.chmod(os.path.join(store.dir, "keys", "ed25519.key"), 0o644)
            server = Server(store.dir)
            try:
                deadline = time.monotonic() + 5
                while True:
                    status, _, body = server.request("/healthz")
                    health = json.loads(body)
                    if health["status"] == "degraded" or \
                            time.monotonic() > deadline:
                        break
                    time.sleep(0.05)
                self.assertEqual(status, 200)
                self.assertEqual(health["status"], "degraded")
                self.assertIn("chmod 600", health["checkpoint_error"])
            finally:
                server.close()
        finally:
            store.close()

    def test_invalid_listen_address(self):
        for addr in ("nonsense", "127.0.0.1", "127.0.0.1:", "127.0.0.1:x",
                     "127.0.0.1:65536", "::1:80", "[::1]", "[::1]80",
                     "localhost:80", "[127.0.0.1]:80"):
            with self.subTest(addr=addr):
                proc = run_cli("serve", "--dir", self.store.dir,
                               "--listen", addr, check=False)
                self.assertEqual(proc.returncode, 2)
                self.assertIn(b"listen address", proc.stderr)

    def test_port_in_use(self):
        first = Server(self.store.dir)
        try:
            proc = run_cli("serve", "--dir", self.store.dir, "--listen",
                           f"127.0.0.1:{first.port}", check=False)
            self.assertEqual(proc.returncode, 2)
            self.assertIn(b"cannot listen", proc.stderr)
        finally:
            first.close()

    def test_missing_store(self):
        proc = run_cli("serve", "--dir",
                       os.path.join(self.store.tmp.name, "none"),
                       "--listen", "127.0.0.1:0", check=False)
        self.assertEqual(proc.returncode, 2)
        self.assertNotIn(b"listening", proc.stderr)


if __name__ == "__main__":
    if not BIN or not os.access(BIN, os.X_OK):
        sys.exit("CASETRAIL_BIN must name the built casetrail binary")
    unittest.main(verbosity=2)
