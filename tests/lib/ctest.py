"""Helpers for the black-box tests that run the built casetrail binary.

Each test gets a fresh temporary folder. The binary's path comes from
CASETRAIL_BIN, which Meson sets; the repository root from CASETRAIL_SRC.
"""

import base64
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import unittest

BIN = os.environ.get("CASETRAIL_BIN", "build/casetrail")
SRC = os.environ.get("CASETRAIL_SRC", ".")
SHARED = os.environ.get("CASETRAIL_SHARED", os.path.join(SRC, "../shared"))


class Result:
    """The outcome of one casetrail run."""

    def __init__(self, proc):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    @property
    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return "exit %d\nstdout: %r\nstderr: %r" % (self.code, self.out[:2000], self.err[:2000])


def run(*args, input=None, env=None, binary=False, timeout=120):
    """Runs casetrail with args and returns its Result."""
    full_env = dict(os.environ)
    full_env.setdefault("CASETRAIL_LOG", "warn")
    if env:
        full_env.update(env)
    proc = subprocess.run(
        [BIN] + [str(a) for a in args],
        input=input,
        capture_output=True,
        env=full_env,
        timeout=timeout,
        text=not binary,
    )
    return Result(proc)


class StoreTest(unittest.TestCase):
    """A test case with a temporary folder and a store in it."""

    crypto = "gm"

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="casetrail-test-")
        self.dir = os.path.join(self.tmp, "store")
        # No administrator account: the log starts empty, at seq 0.
        r = run("init", "--dir", self.dir, "--crypto", self.crypto, "--host", "test.example",
                "--no-admin")
        self.assertEqual(r.code, 0, r)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def ct(self, *args, **kw):
        """Runs casetrail on this test's store."""
        return run(*args, "--dir", self.dir, **kw)

    def ok(self, *args, **kw):
        """Runs casetrail on this store and asserts exit 0."""
        r = self.ct(*args, **kw)
        self.assertEqual(r.code, 0, r)
        return r

    def add_note(self, text, attach=(), actor=None):
        """Appends a note of no case and returns the printed receipt."""
        path = os.path.join(self.tmp, "fields.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"text": text}, f, ensure_ascii=False)
        args = ["record", "add", "--kind", "note", "--fields", path]
        for a in attach:
            args += ["--attach", a]
        if actor:
            args += ["--as", actor]
        return self.ok(*args).json

    def path(self, *parts):
        return os.path.join(self.dir, *parts)


def blob_files(store):
    """Lists the blob files of a store, leaving out blobs/tmp."""
    found = []
    for dirpath, _, files in os.walk(os.path.join(store, "blobs")):
        if os.path.basename(dirpath) == "tmp":
            continue
        found += [os.path.join(dirpath, name) for name in files]
    return sorted(found)


def hash_name(crypto):
    return "sm3" if crypto == "gm" else "sha256"


def store_hash(crypto, data):
    """Hashes bytes with the store's hash (SM3 through OpenSSL for gm)."""
    if crypto != "gm":
        return hashlib.sha256(data).digest()
    try:
        return hashlib.new("sm3", data).digest()
    except ValueError:
        proc = subprocess.run(["openssl", "dgst", "-sm3", "-binary"], input=data,
                              capture_output=True, check=True)
        return proc.stdout


def leaf_hash(crypto, entry):
    return store_hash(crypto, b"\x00" + entry)


def node_hash(crypto, left, right):
    return store_hash(crypto, b"\x01" + left + right)


def verify_inclusion(crypto, index, size, leaf, proof, root):
    """RFC 9162 section 2.1.3.2, written apart from casetrail's C code."""
    if index >= size:
        return False
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(crypto, p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(crypto, r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(crypto, first, second, first_root, second_root, proof):
    """RFC 9162 section 2.1.4.2."""
    if first == second:
        return not proof and first_root == second_root
    if first == 0 or first > second:
        return False
    proof = list(proof)
    if first & (first - 1) == 0:
        proof.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    if not proof:
        return False
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(crypto, c, fr)
            sr = node_hash(crypto, c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(crypto, sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


def b64(text):
    return base64.b64decode(text)


def main():
    unittest.main(verbosity=2)
