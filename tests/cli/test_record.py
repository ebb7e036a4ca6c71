#!/usr/bin/env python3
"""casetrail record add, log show, proof and checkpoint, checked from outside.

Every hash, proof and signature that casetrail prints is recomputed here
with Python's hashlib, the RFC 9162 verifiers in ctest and the openssl
command, never with casetrail's own code.
"""

import base64
import hashlib
import json
import os
import pwd
import re
import struct
import subprocess
import sys
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import ctest  # noqa: E402

HEX64 = re.compile(r"^[0-9a-f]{64}$")


def png_bytes():
    """Builds a valid 1x1 grey PNG image."""

    def chunk(kind, data):
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x80")
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b""))


def canonical(obj):
    """Encodes obj as RFC 8785 JSON, for objects of ASCII keys and integers."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def merkle_root(crypto, leaves):
    """Computes the RFC 9162 tree hash MTH of a list of leaf hashes."""
    if not leaves:
        return ctest.store_hash(crypto, b"")
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return ctest.node_hash(crypto, merkle_root(crypto, leaves[:k]),
                           merkle_root(crypto, leaves[k:]))


def ed25519_raw(pem_text):
    """Returns the 32-byte Ed25519 key at the end of a SubjectPublicKeyInfo PEM."""
    body = "".join(line for line in pem_text.splitlines() if "-----" not in line)
    der = base64.b64decode(body)
    return der[-32:]


class RecordTest(ctest.StoreTest):
    """Runs against a gm store: SM3 tree, SM2 and Ed25519 signatures."""

    def write(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def raw_entry(self, seq):
        r = ctest.run("log", "show", seq, "--raw", "--dir", self.dir, binary=True)
        self.assertEqual(r.code, 0, r)
        return r.out

    def config(self):
        with open(self.path("config.json")) as f:
            return json.load(f)

    def leaves(self, count):
        return [ctest.leaf_hash(self.crypto, self.raw_entry(seq)) for seq in range(count)]

    def test_add_receipt_fields(self):
        for seq in range(4):
            receipt = self.add_note("receipt %d" % seq)
            self.assertEqual(receipt["seq"], seq)
            self.assertEqual(receipt["tree_size"], seq + 1)
            leaf = ctest.b64(receipt["leaf_hash"])
            self.assertEqual(len(leaf), 32)
            alg, _, digest = receipt["content"].partition(":")
            self.assertEqual(alg, ctest.hash_name(self.crypto))
            self.assertRegex(digest, HEX64)
            self.assertEqual(receipt["attachments"], [])

    def test_attachment_hashes_and_size(self):
        data = b"Application form page 1\n" * 40
        path = self.write("form.txt", data)
        receipt = self.add_note("with a form", attach=[path])
        [att] = receipt["attachments"]
        self.assertEqual(att["sha256"], "sha256:" + hashlib.sha256(data).hexdigest())
        self.assertEqual(att["hash"], "%s:%s" % (ctest.hash_name(self.crypto),
                                                 ctest.store_hash(self.crypto, data).hex()))
        self.assertEqual(att["size"], len(data))
        self.assertEqual(att["type"], "text/plain")

    def test_attachment_type_sniffed(self):
        image = png_bytes()
        path = self.write("scan.txt", image)
        receipt = self.add_note("a PNG named .txt", attach=[path])
        [att] = receipt["attachments"]
        self.assertEqual(att["type"], "image/png")
        self.assertEqual(att["sha256"], "sha256:" + hashlib.sha256(image).hexdigest())
        entry = json.loads(self.raw_entry(receipt["seq"]))
        self.assertEqual(entry["attachments"],
                         [{"hash": att["hash"], "size": len(image), "type": "image/png"}])

    def test_raw_entry_canonical(self):
        marker = "RAW-ENTRY-MARKER-4711 申请材料"
        path = self.write("a.bin", b"attachment body")
        for seq in range(3):
            receipt = self.add_note("%s %d" % (marker, seq), attach=[path])
            raw = self.raw_entry(seq)
            entry = json.loads(raw)
            self.assertEqual(canonical(entry), raw)
            self.assertIn(b'"v":1', raw)
            self.assertIn(b'"seq":%d' % seq, raw)
            self.assertEqual(entry["seq"], seq)
            self.assertEqual(entry["kind"], "note")
            self.assertNotIn("case", entry)
            self.assertEqual(entry["content"], receipt["content"])
            self.assertEqual(entry["ts"], receipt["ts"])
            self.assertNotIn(b"RAW-ENTRY-MARKER", raw)
            self.assertNotIn(marker.encode("utf-8"), raw)
            self.assertNotIn("申请材料".encode("utf-8"), raw)

    def test_raw_entry_hashes_to_leaf(self):
        for seq in range(5):
            receipt = self.add_note("leaf %d" % seq)
            raw = self.raw_entry(seq)
            self.assertEqual(ctest.leaf_hash(self.crypto, raw), ctest.b64(receipt["leaf_hash"]))
            record = self.ok("log", "show", seq).json
            self.assertEqual(record["leaf_hash"], receipt["leaf_hash"])
            self.assertEqual(record["entry"], json.loads(raw))

    def test_identical_notes_commitments_differ(self):
        first = self.add_note("the same text")
        second = self.add_note("the same text")
        self.assertNotEqual(first["content"], second["content"])
        for receipt in (first, second):
            record = self.ok("record", "show", receipt["seq"]).json
            self.assertEqual(record["fields"], {"text": "the same text"})
            self.assertIs(record["content_verified"], True)

    def test_at_time_in_entry(self):
        path = self.write("f.json", b'{"text": "site visit"}')
        r = self.ok("record", "add", "--kind", "note", "--fields", path,
                    "--at", "2026-12-04T09:30:00+08:00")
        entry = json.loads(self.raw_entry(r.json["seq"]))
        self.assertEqual(entry["at"], 1796347800000)

    def test_at_time_absent_by_default(self):
        receipt = self.add_note("no event time")
        entry = json.loads(self.raw_entry(receipt["seq"]))
        self.assertNotIn("at", entry)

    def test_actor_and_os_user(self):
        receipt = self.add_note("by a clerk", actor="clerk.li")
        entry = json.loads(self.raw_entry(receipt["seq"]))
        self.assertEqual(entry["actor"], "clerk.li")
        self.assertEqual(entry["os_user"], pwd.getpwuid(os.getuid()).pw_name)
        default = self.add_note("by the OS user")
        entry = json.loads(self.raw_entry(default["seq"]))
        self.assertEqual(entry["actor"], pwd.getpwuid(os.getuid()).pw_name)

    def test_inclusion_proofs_verify(self):
        count = 11
        for seq in range(count):
            self.add_note("inclusion %d" % seq)
        leaves = self.leaves(count)
        checkpoint = self.ok("checkpoint", "--now", "--json").json
        self.assertEqual(checkpoint["size"], count)
        cp_root = ctest.b64(checkpoint["root_hash"])
        self.assertEqual(cp_root, merkle_root(self.crypto, leaves))
        for seq in range(count):
            proof = self.ok("proof", "inclusion", seq).json
            hashes = [ctest.b64(h) for h in proof["hashes"]]
            self.assertEqual(proof["leaf_index"], seq)
            self.assertEqual(proof["tree_size"], count)
            self.assertEqual(ctest.b64(proof["leaf_hash"]), leaves[seq])
            self.assertEqual(ctest.b64(proof["root_hash"]), cp_root)
            self.assertTrue(ctest.verify_inclusion(self.crypto, seq, count, leaves[seq],
                                                   hashes, cp_root), seq)

    def test_inclusion_proofs_past_sizes(self):
        count = 9
        for seq in range(count):
            self.add_note("past size %d" % seq)
        leaves = self.leaves(count)
        for size in range(1, count + 1):
            root = merkle_root(self.crypto, leaves[:size])
            for seq in range(size):
                proof = self.ok("proof", "inclusion", seq, "--size", size).json
                hashes = [ctest.b64(h) for h in proof["hashes"]]
                self.assertEqual(ctest.b64(proof["root_hash"]), root, (seq, size))
                self.assertTrue(ctest.verify_inclusion(self.crypto, seq, size, leaves[seq],
                                                       hashes, root), (seq, size))

    def test_inclusion_proof_fails_for_other_leaf(self):
        for seq in range(6):
            self.add_note("wrong leaf %d" % seq)
        proof = self.ok("proof", "inclusion", 2).json
        hashes = [ctest.b64(h) for h in proof["hashes"]]
        other = ctest.b64(self.ok("log", "show", 3).json["leaf_hash"])
        self.assertFalse(ctest.verify_inclusion(self.crypto, 2, 6, other, hashes,
                                                ctest.b64(proof["root_hash"])))

    def test_consistency_proofs_all_pairs(self):
        count = 13
        for seq in range(count):
            self.add_note("consistency %d" % seq)
        leaves = self.leaves(count)
        roots = {size: merkle_root(self.crypto, leaves[:size]) for size in range(1, count + 1)}
        for old in range(1, count + 1):
            for new in range(old, count + 1):
                proof = self.ok("proof", "consistency", old, new).json
                hashes = [ctest.b64(h) for h in proof["hashes"]]
                self.assertEqual(ctest.b64(proof["old_root"]), roots[old], (old, new))
                self.assertEqual(ctest.b64(proof["new_root"]), roots[new], (old, new))
                self.assertTrue(ctest.verify_consistency(self.crypto, old, new, roots[old],
                                                         roots[new], hashes), (old, new))

    def test_checkpoint_note_format(self):
        for seq in range(3):
            self.add_note("checkpoint %d" % seq)
        cp = self.ok("checkpoint", "--now", "--json").json
        origin = self.config()["origin"]
        lines = cp["note"].split("\n")
        self.assertTrue(lines[0].endswith("/" + ctest.hash_name(self.crypto)), lines[0])
        self.assertEqual(lines[0], origin)
        self.assertEqual(lines[1], "3")
        self.assertEqual(base64.b64decode(lines[2], validate=True),
                         merkle_root(self.crypto, self.leaves(3)))
        self.assertEqual(lines[2], cp["root_hash"])
        self.assertEqual(lines[3], "")
        signatures = lines[4:-1]
        self.assertEqual(lines[-1], "")
        self.assertEqual(len(signatures), 2 if self.crypto == "gm" else 1)
        for line in signatures:
            self.assertTrue(line.startswith("\u2014 " + origin + " "), line)
            base64.b64decode(line.rsplit(" ", 1)[1], validate=True)
        plain = self.ok("checkpoint").out
        self.assertEqual(plain, cp["note"])
        with open(self.path("checkpoint")) as f:
            self.assertEqual(f.read(), cp["note"])

    def ed25519_signature(self, note):
        """Returns (signed text, key id, signature) of the Ed25519 line of note."""
        text, _, sig_block = note.partition("\n\n")
        origin = text.split("\n")[0]
        with open(self.path("keys", "ed25519.pub")) as f:
            raw_key = ed25519_raw(f.read())
        key_id = hashlib.sha256(origin.encode() + b"\n\x01" + raw_key).digest()[:4]
        for line in sig_block.strip("\n").split("\n"):
            value = base64.b64decode(line.rsplit(" ", 1)[1])
            if value[:4] == key_id:
                return (text + "\n").encode(), key_id, value[4:]
        self.fail("no signature line with the Ed25519 key id %s" % key_id.hex())

    def openssl_verify(self, body, sig):
        body_path = self.write("body", body)
        sig_path = self.write("sig", sig)
        return subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey",
                               self.path("keys", "ed25519.pub"), "-rawin", "-in", body_path,
                               "-sigfile", sig_path], capture_output=True, text=True)

    def test_ed25519_signature_openssl(self):
        for seq in range(4):
            self.add_note("signed %d" % seq)
        note = self.ok("checkpoint", "--now", "--json").json["note"]
        body, _, sig = self.ed25519_signature(note)
        self.assertEqual(len(sig), 64)
        good = self.openssl_verify(body, sig)
        self.assertEqual(good.returncode, 0, good.stdout + good.stderr)
        altered = body.replace(b"\n4\n", b"\n5\n")
        self.assertNotEqual(altered, body)
        bad = self.openssl_verify(altered, sig)
        self.assertNotEqual(bad.returncode, 0, bad.stdout + bad.stderr)

    def test_ed25519_key_id(self):
        note = self.ok("checkpoint", "--json").json["note"]
        _, key_id, _ = self.ed25519_signature(note)
        keys = self.ok("key", "show", "--json").json["keys"]
        [ed] = [k for k in keys if k["type"] == "ed25519"]
        self.assertEqual(ed["key_id"], key_id.hex())
        self.assertEqual(ed["name"], self.config()["origin"])


class StandardRecordTest(RecordTest):
    """The same checks on a standard store: SHA-256 tree, one Ed25519 key."""

    crypto = "standard"


if __name__ == "__main__":
    ctest.main()
