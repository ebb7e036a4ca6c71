#!/usr/bin/env python3
"""Checks a casetrail case file (案卷) with Python's standard library alone.

Usage: python3 verify.py [PACKAGE.tar|PACKAGE.zip|BAG-FOLDER] [--key PEM]
                         [--seal-key PEM]

Without a package it checks the bag it sits in. --key is the log key to
trust and --seal-key the bureau seal's public key, which must then have
signed eep.xml and the issued documents. It checks the BagIt
manifests and Payload-Oxum, every entry's commitment H(salt || content),
leaf hashes and RFC 9162 inclusion proofs against the signed checkpoint,
the checkpoint's SM2 and Ed25519 signatures, staff signatures and the
SM2 signature of eep.xml. Prints one line per problem, naming the file;
exits 0 when the package is sound, 1 otherwise, 2 on a usage error.
"""

import base64
import hashlib
import io
import json
import os
import re
import sys
import tarfile
import xml.etree.ElementTree as ET
import zipfile

KEEP_MAX = 64 << 20
CHUNK = 1 << 20
ALGS = ("sha256", "sha512", "sm3")

# --- SM3 (GB/T 32905), when OpenSSL does not offer it to hashlib ---------


def _rotl(x, n):
    n %= 32
    return ((x << n) | (x >> (32 - n))) & 0xFFFFFFFF


def sm3_pure(data):
    iv = [0x7380166F, 0x4914B2B9, 0x172442D7, 0xDA8A0600,
          0xA96F30BC, 0x163138AA, 0xE38DEE4D, 0xB0FB0E4E]
    bits = len(data) * 8
    data += b"\x80" + b"\x00" * ((55 - len(data)) % 64) + bits.to_bytes(8, "big")
    v = iv
    for off in range(0, len(data), 64):
        w = [int.from_bytes(data[off + 4 * i:off + 4 * i + 4], "big") for i in range(16)]
        for j in range(16, 68):
            x = w[j - 16] ^ w[j - 9] ^ _rotl(w[j - 3], 15)
            w.append(x ^ _rotl(x, 15) ^ _rotl(x, 23) ^ _rotl(w[j - 13], 7) ^ w[j - 6])
        a, b, c, d, e, f, g, h = v
        for j in range(64):
            t = 0x79CC4519 if j < 16 else 0x7A879D8A
            ss1 = _rotl((_rotl(a, 12) + e + _rotl(t, j)) & 0xFFFFFFFF, 7)
            ss2 = ss1 ^ _rotl(a, 12)
            ff = a ^ b ^ c if j < 16 else (a & b) | (a & c) | (b & c)
            gg = e ^ f ^ g if j < 16 else (e & f) | (~e & g)
            tt1 = (ff + d + ss2 + (w[j] ^ w[j + 4])) & 0xFFFFFFFF
            tt2 = (gg + h + ss1 + w[j]) & 0xFFFFFFFF
            a, b, c, d = tt1, a, _rotl(b, 9), c
            e, f, g, h = tt2 ^ _rotl(tt2, 9) ^ _rotl(tt2, 17), e, _rotl(f, 19), g
        v = [x ^ y for x, y in zip(v, [a, b, c, d, e, f, g, h])]
    return b"".join(x.to_bytes(4, "big") for x in v)


def new_hash(name):
    try:
        return hashlib.new(name)
    except ValueError:
        if name != "sm3":
            raise
        return PureSM3()


class PureSM3:
    def __init__(self):
        self.data = b""

    def update(self, b):
        self.data += b

    def digest(self):
        return sm3_pure(self.data)

    def hexdigest(self):
        return self.digest().hex()


def H(alg, data):
    h = new_hash(alg)
    h.update(data)
    return h.digest()


# --- SM2 verification (GB/T 32918.2) --------------------------------------

P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
A = P - 3
B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
G = (0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
     0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0)


def ec_add(p1, p2):
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    if p1[0] == p2[0] and (p1[1] + p2[1]) % P == 0:
        return None
    if p1 == p2:
        lam = (3 * p1[0] * p1[0] + A) * pow(2 * p1[1], -1, P) % P
    else:
        lam = (p2[1] - p1[1]) * pow(p2[0] - p1[0], -1, P) % P
    x = (lam * lam - p1[0] - p2[0]) % P
    return x, (lam * (p1[0] - x) - p1[1]) % P


def ec_mul(k, pt):
    out = None
    while k:
        if k & 1:
            out = ec_add(out, pt)
        pt = ec_add(pt, pt)
        k >>= 1
    return out


def sm2_verify(point, msg, r, s, uid=b"1234567812345678"):
    """point is the 65-byte 04||x||y; r and s integers."""
    if len(point) != 65 or point[0] != 4 or not (0 < r < N and 0 < s < N):
        return False
    pub = (int.from_bytes(point[1:33], "big"), int.from_bytes(point[33:], "big"))
    z = H("sm3", (len(uid) * 8).to_bytes(2, "big") + uid
          + b"".join(v.to_bytes(32, "big") for v in (A, B, G[0], G[1])) + point[1:])
    e = int.from_bytes(H("sm3", z + msg), "big")
    t = (r + s) % N
    pt = ec_add(ec_mul(s, G), ec_mul(t, pub)) if t else None
    return pt is not None and (e + pt[0]) % N == r


def der_rs(der):
    """Returns the r and s of a DER ECDSA-Sig-Value."""
    if len(der) < 8 or der[0] != 0x30:
        raise ValueError("not a DER signature")
    i = 2
    out = []
    for _ in range(2):
        if der[i] != 2:
            raise ValueError("not a DER signature")
        n = der[i + 1]
        out.append(int.from_bytes(der[i + 2:i + 2 + n], "big"))
        i += 2 + n
    return out


def pem_point(pem):
    """Returns the raw public key at the end of a SubjectPublicKeyInfo PEM."""
    body = "".join(l for l in pem.splitlines() if l and not l.startswith("-----"))
    der = base64.b64decode(body)
    return der[-65:] if len(der) >= 65 and der[-65] == 4 else der[-32:]


# --- Ed25519 verification (RFC 8032 section 5.1.7) ------------------------

Q = 2 ** 255 - 19
L = 2 ** 252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, -1, Q) % Q
I = pow(2, (Q - 1) // 4, Q)


def ed_add(p1, p2):
    x1, y1, z1, t1 = p1
    x2, y2, z2, t2 = p2
    a, b = (y1 - x1) * (y2 - x2) % Q, (y1 + x1) * (y2 + x2) % Q
    c, d = t1 * 2 * D * t2 % Q, z1 * 2 * z2 % Q
    e, f, g, h = b - a, d - c, d + c, b + a
    return e * f % Q, g * h % Q, f * g % Q, e * h % Q


def ed_mul(s, pt):
    out = (0, 1, 1, 0)
    while s:
        if s & 1:
            out = ed_add(out, pt)
        pt = ed_add(pt, pt)
        s >>= 1
    return out


def ed_decode(b):
    y = int.from_bytes(b, "little") & ((1 << 255) - 1)
    if y >= Q:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, -1, Q)
    x = pow(x2, (Q + 3) // 8, Q)
    if (x * x - x2) % Q:
        x = x * I % Q
    if (x * x - x2) % Q:
        return None
    if (x & 1) != b[31] >> 7:
        x = Q - x
    return x, y, 1, x * y % Q


def ed_equal(p1, p2):
    return (p1[0] * p2[2] - p2[0] * p1[2]) % Q == 0 and (p1[1] * p2[2] - p2[1] * p1[2]) % Q == 0


def ed25519_verify(pub, msg, sig):
    if len(pub) != 32 or len(sig) != 64:
        return False
    a, r = ed_decode(pub), ed_decode(sig[:32])
    s = int.from_bytes(sig[32:], "little")
    if a is None or r is None or s >= L:
        return False
    k = int.from_bytes(hashlib.sha512(sig[:32] + pub + msg).digest(), "little") % L
    base = ed_decode((4 * pow(5, -1, Q) % Q).to_bytes(32, "little"))
    return ed_equal(ed_mul(s, base), ed_add(r, ed_mul(k, a)))


# --- the package ----------------------------------------------------------


class Member:
    """A member hashed in chunks: its size, hex digests and, when it is
    at most KEEP_MAX bytes, its bytes (None otherwise)."""

    def __init__(self, stream):
        hs = {a: new_hash(a) for a in ALGS}
        keep, self.size = [], 0
        while True:
            chunk = stream.read(CHUNK)
            if not chunk:
                break
            for h in hs.values():
                h.update(chunk)
            self.size += len(chunk)
            if keep is not None:
                keep.append(chunk)
                if self.size > KEEP_MAX:
                    keep = None
        self.hex = {a: h.hexdigest() for a, h in hs.items()}
        self.data = b"".join(keep) if keep is not None else None


class Files(dict):
    """{path inside the bag: Member}; get and [] give the bytes."""

    def __getitem__(self, name):
        data = dict.__getitem__(self, name).data
        return data if data is not None else b""

    def get(self, name, default=None):
        return self[name] if name in self else default


def read_members(path, fileobj=None):
    """Returns the bag's Files and the problems of its layout; fileobj,
    when given, is read in place of the file at path."""
    files, roots, problems = Files(), set(), []
    if fileobj is None and os.path.isdir(path):
        for top, _, names in os.walk(path):
            for n in names:
                full = os.path.join(top, n)
                with open(full, "rb") as f:
                    dict.__setitem__(files, os.path.relpath(full, path).replace(os.sep, "/"),
                                     Member(f))
        return files, []

    def add(name, stream):
        root, _, rest = name.partition("/")
        roots.add(root)
        if rest in files:
            problems.append("%s: is in the package twice" % rest)
        dict.__setitem__(files, rest, Member(stream))

    if zipfile.is_zipfile(fileobj or path):
        with zipfile.ZipFile(fileobj or path) as z:
            for i in z.infolist():
                if not i.is_dir():
                    with z.open(i) as f:
                        add(i.filename, f)
    else:
        if fileobj:
            fileobj.seek(0)
        with tarfile.open(path, fileobj=fileobj) as t:
            for m in t:
                if m.isfile():
                    add(m.name, t.extractfile(m))
    if len(roots) != 1:
        problems.append("the package has %d top folders, not one" % len(roots))
    return files, problems


def loads(data):
    """Parses JSON, rejecting nesting deeper than 64 levels because json.loads recurses."""
    depth = 0
    for c in re.findall(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', data):
        if c in (b"[", b"{"):
            depth += 1
            if depth > 64:
                raise ValueError("JSON nested deeper than 64 levels")
        elif c in (b"]", b"}"):
            depth -= 1
    return json.loads(data)


class Checker:
    def __init__(self, files, key_pem=None, seal_pem=None):
        self.files, self.key_pem, self.problems, self.warnings = files, key_pem, [], []
        self.given_seal = seal_pem.encode() if seal_pem else None
        self.issued = {}

    def bad(self, file, what):
        self.problems.append("%s: %s" % (file or "package", what))

    def hex(self, name, alg):
        return dict.__getitem__(self.files, name).hex[alg]

    def json(self, name, default):
        return loads(self.files[name]) if name in self.files else default

    def text(self, name):
        if name not in self.files:
            self.bad(name, "missing")
            return None
        return self.files[name].decode("utf-8")

    def manifests(self):
        payload = {n for n in self.files if n.startswith("data/")}
        for alg in ALGS:
            for kind, expect in (("manifest", payload), ("tagmanifest", None)):
                name = "%s-%s.txt" % (kind, alg)
                body = self.text(name)
                if body is None:
                    continue
                listed = set()
                for line in body.splitlines():
                    digest, _, path = line.partition("  ")
                    listed.add(path)
                    if path not in self.files:
                        self.bad(path, "listed in %s but missing" % name)
                    elif self.hex(path, alg) != digest:
                        self.bad(path, "%s does not match %s" % (alg, name))
                if expect is None:
                    expect = {n for n in self.files if not n.startswith(("data/", "tagmanifest-"))}
                for path in sorted(expect - listed):
                    self.bad(path, "not listed in %s" % name)
        info = self.text("bag-info.txt") or ""
        m = re.search(r"^Payload-Oxum: (\d+)\.(\d+)$", info, re.M)
        size = sum(dict.__getitem__(self.files, n).size for n in payload)
        if not m or (int(m.group(1)), int(m.group(2))) != (size, len(payload)):
            self.bad("bag-info.txt", "Payload-Oxum is not %d.%d" % (size, len(payload)))
        if (self.text("bagit.txt") or "").splitlines()[:1] != ["BagIt-Version: 1.0"]:
            self.bad("bagit.txt", "not a BagIt 1.0 declaration")

    def checkpoint(self, pkg):
        note = self.files.get(pkg.get("checkpoint", ""), b"").decode()
        text, _, sigs = note.partition("\n\n")
        lines = text.split("\n")
        if len(lines) < 3:
            self.bad("data/log/checkpoint.txt", "not a checkpoint")
            return None
        keys = self.json("data/log/keys.json", [])
        if self.key_pem:
            raw = pem_point(self.key_pem)
            keys = [{"name": lines[0], "type": "sm2" if len(raw) == 65 else "ed25519",
                     "raw": base64.b64encode(raw).decode()}]
        if not isinstance(keys, list) or not keys:
            self.bad("data/log/keys.json", "no usable log key")
            return None
        for k in keys:
            raw = base64.b64decode(k["raw"])
            tag = b"\xffsm2-sm3" if k["type"] == "sm2" else b"\x01"
            kid = hashlib.sha256(k["name"].encode() + b"\n" + tag + raw).digest()[:4]
            ok = False
            for line in sigs.splitlines():
                parts = line.split(" ")
                if len(parts) != 3 or parts[1] != k["name"]:
                    continue
                blob = base64.b64decode(parts[2])
                if blob[:4] != kid:
                    continue
                msg, sig = (text + "\n").encode(), blob[4:]
                if k["type"] == "sm2":
                    ok = sm2_verify(raw, msg, int.from_bytes(sig[:32], "big"),
                                    int.from_bytes(sig[32:], "big"))
                else:
                    ok = ed25519_verify(raw, msg, sig)
            if not ok:
                self.bad("data/log/checkpoint.txt", "no valid signature by %s key %s"
                         % (k["type"], k["name"]))
        return lines[0], int(lines[1]), base64.b64decode(lines[2])

    def inclusion(self, alg, index, size, leaf, proof, root):
        """RFC 9162 section 2.1.3.2."""
        if index >= size:
            return False
        fn, sn, r = index, size - 1, leaf
        for p in proof:
            if sn == 0:
                return False
            if fn & 1 or fn == sn:
                r = H(alg, b"\x01" + p + r)
                while not fn & 1 and fn:
                    fn, sn = fn >> 1, sn >> 1
            else:
                r = H(alg, b"\x01" + r + p)
            fn, sn = fn >> 1, sn >> 1
        return sn == 0 and r == root

    def present_seqs(self):
        """Returns the seqs of the record folders in the package."""
        seqs = set()
        for n in self.files:
            m = re.match(r"data/records/(\d+)/", n)
            if m:
                seqs.add(int(m.group(1)))
        return seqs

    def records(self, pkg, cp):
        """Checks every record folder present, whatever the unsigned
        package.json lists, because the entry is proved in the tree."""
        alg = pkg["hash"]
        origin, size, root = cp
        listed = {r.get("seq"): r for r in pkg["records"]}
        expunged = set()
        for seq in self.present_seqs():
            e = loads(self.files.get("data/records/%d/entry.json" % seq, b"{}"))
            if e.get("kind") == "expunge" and not e.get("attachments"):
                expunged.add(e.get("supersedes"))
        for seq in sorted(self.present_seqs() | set(listed)):
            d = "data/records/%d/" % seq
            name = d + "entry.json"
            if seq not in listed:
                self.bad(d, "not listed in data/package.json")
            entry_bytes = self.files.get(name)
            if entry_bytes is None:
                self.bad(name, "missing")
                continue
            entry = loads(entry_bytes)
            if entry.get("seq") != seq:
                self.bad(name, "is not entry %d" % seq)
            fields = None
            if isinstance(entry.get("content"), str):
                if d + "content.json" in self.files:
                    salt = bytes.fromhex(self.files.get(d + "salt.txt", b"").decode().strip())
                    got = "%s:%s" % (alg, H(alg, salt + self.files[d + "content.json"]).hex())
                    if got != entry["content"]:
                        self.bad(d + "content.json", "does not match the commitment of " + name)
                    else:
                        fields = loads(self.files[d + "content.json"])
                elif d + "expunged.txt" not in self.files:
                    self.bad(d + "content.json", "missing (committed in %s)" % name)
                elif seq not in expunged:
                    self.bad(d + "expunged.txt", "no expunge entry in the package names entry %d"
                             % seq)
            elif d + "content.json" in self.files:
                self.bad(d + "content.json", "%s commits to no content" % name)
            proof = self.json(d + "proof.json", {})
            leaf = H(alg, b"\x00" + entry_bytes)
            hashes = [base64.b64decode(h) for h in proof.get("hashes", [])]
            if proof.get("tree_size") != size or not self.inclusion(
                    alg, seq, size, leaf, hashes, root):
                self.bad(d + "proof.json", "does not prove the entry in the checkpoint's tree")
            for att in entry.get("attachments", []):
                path = "data/files/" + att["hash"].split(":")[1]
                if path in self.files:
                    if self.hex(path, alg) != att["hash"].split(":")[1]:
                        self.bad(path, "is not the file the entry names")
                elif not set(pkg["files"].get(path, {})) & {"absent", "wrapped"}:
                    self.bad(path, "missing")
            orig = pkg.get("original") or {}
            if orig.get("seal") == str(entry.get("seq")):
                want = entry["attachments"][0]["hash"].split(":")[1]
                if orig.get("path") not in self.files:
                    self.bad(orig.get("path"), "missing (the package of %s)" % name)
                elif self.hex(orig["path"], alg) != want:
                    self.bad(orig["path"], "is not the package %s sealed" % name)
            if entry.get("kind") == "signature" and fields is not None:
                self.staff_signature(pkg, origin, fields, name)
            if entry.get("kind") == "document-issue" and fields is not None:
                self.document(pkg, fields, entry, name)
        for pdf, ok in sorted(self.issued.items()):
            if not ok:
                self.bad(pdf, "is not the PDF the seal signed for this record")

    def seal_pem(self, pkg):
        if self.given_seal:
            return self.given_seal
        seal = self.files.get(pkg.get("seal_key") or "data/keys/seal.pem")
        return seal or self.files.get("data/keys/seal.pem")

    def document(self, pkg, f, entry, name):
        """Checks an issued document: the seal's raw r||s signature of its
        statement, whose last line is the SM3 of the attached PDF."""
        seal = self.seal_pem(pkg)
        if not seal:
            self.bad(name, "the seal key is not in the package")
            return
        stmt, sig = f.get("statement", ""), base64.b64decode(f.get("signature", ""))
        if len(sig) != 64 or not sm2_verify(pem_point(seal.decode()), stmt.encode(),
                                            int.from_bytes(sig[:32], "big"),
                                            int.from_bytes(sig[32:], "big")):
            self.bad(name, "the seal's signature of the document does not verify")
        pdf_hash = f.get("pdf", {}).get("hash", "")
        if not stmt.endswith("\n%s\n" % pdf_hash):
            self.bad(name, "the document's statement names another PDF")
        path = "data/files/" + entry["attachments"][0]["hash"].split(":")[1]
        if path in self.files and "sm3:" + self.hex(path, "sm3") != pdf_hash:
            self.bad(path, "is not the PDF that %s seals" % name)
        pdf = "data/records/%s/record.pdf" % f.get("source")
        if pdf in self.files:
            ok = "sm3:" + self.hex(pdf, "sm3") == pdf_hash
            self.issued[pdf] = self.issued.get(pdf, False) or ok

    def staff_signature(self, pkg, origin, f, name):
        key = pkg.get("staff_keys", {}).get(f.get("key"))
        if not key or key not in self.files:
            self.bad(name, "the staff key %s is not in the package" % f.get("key"))
            return
        text = "casetrail-signature/v1\n%s\n%d\n%s\n%s\n%s\n" % (
            origin, f["record"], f["role"], f["user"], f["commitment"])
        r, s = der_rs(base64.b64decode(f["signature"]))
        if not sm2_verify(pem_point(self.files[key].decode()), text.encode(), r, s):
            self.bad(name, "the staff signature does not verify")

    def eep(self, pkg):
        raw = self.files.get("data/eep.xml", b"")
        start, end = raw.find("<被签名对象".encode()), raw.find("</被签名对象>".encode())
        if start < 0 or end < 0:
            self.bad("data/eep.xml", "has no 被签名对象")
            return
        signed = raw[start:end + len("</被签名对象>".encode())]
        m = re.search("<签名结果>([^<]*)</签名结果>".encode(), raw)
        seal = self.seal_pem(pkg)
        if m and seal:
            r, s = der_rs(base64.b64decode(m.group(1)))
            if not sm2_verify(pem_point(seal.decode()), signed, r, s):
                self.bad("data/eep.xml", "the seal's signature of 被签名对象 does not verify")
        elif seal or "<电子签名块".encode() in raw or not self.report_unsigned():
            self.bad("data/eep.xml", "the seal's signature of 被签名对象 is missing")
        elif self.key_pem:
            self.bad("data/eep.xml", "is not signed with the bureau seal")
        else:
            self.warnings.append("data/eep.xml: warning: not signed with the bureau seal "
                                 "(the check report says the bureau had no seal key)")
        try:
            doc = ET.fromstring(signed)
        except ET.ParseError as e:
            self.bad("data/eep.xml", "is not well-formed XML: %s" % e)
            return
        self.eep_records(doc)
        self.eep_original(doc, pkg)

    def report_unsigned(self):
        rep = self.json("data/check-report.json", {})
        probs = rep.get("checks", {}).get("authenticity", {}).get("problems", [])
        return any("no seal key" in str(p) for p in probs)

    def eep_records(self, doc):
        """Checks that the records the signed XML names and those present match."""
        named = set()
        for blk in doc.iter("文件实体块"):
            seq = blk.findtext("元数据/记录号")
            if seq and seq.isdigit():
                named.add(int(seq))
        present = {s for s in self.present_seqs()
                   if "data/records/%d/entry.json" % s in self.files}
        for seq in sorted(named - present):
            self.bad("data/records/%d/" % seq, "missing (named in data/eep.xml)")
        for seq in sorted(present - named):
            self.bad("data/records/%d/" % seq, "not named in data/eep.xml")

    def eep_original(self, doc, pkg):
        """Checks that an amended package contains the original the signed XML names."""
        if (doc.findtext("封装包类型") or "") != "修改型":
            return
        orig = doc.find("封装内容/修改封装内容/原封装包")
        path = orig.findtext("文件名") if orig is not None else None
        if not path or not path.startswith("data/original/"):
            self.bad("data/eep.xml", "an amended package that names no original")
            return
        if path not in self.files:
            self.bad(path, "missing (the original of this amended package)")
        elif self.hex(path, "sha256") != (orig.findtext("哈希值") or "").strip():
            self.bad(path, "is not the original data/eep.xml names")
        elif self.files[path]:
            self.original(path)
        else:
            self.warnings.append("%s: warning: larger than %d MiB, so only its hash was "
                                 "checked" % (path, KEEP_MAX >> 20))
        if (pkg.get("original") or {}).get("path") != path:
            self.bad("data/package.json", "its original is not %s" % path)

    def original(self, path):
        """Verifies the original package inside, as a package of its own."""
        try:
            files, problems = read_members(path, io.BytesIO(self.files[path]))
        except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile) as e:
            self.bad(path, "cannot be read: %s" % e)
            return
        inner = Checker(files, self.key_pem, None)
        inner.given_seal = self.given_seal
        for p in problems + inner.run():
            self.bad(path, p)

    def report(self, pkg):
        rep = self.json("data/check-report.json", {})
        checks = rep.get("checks", {})
        passed = all(c.get("result") == "pass" for c in checks.values())
        if len(checks) != 4 or rep.get("result") != ("pass" if passed else "fail"):
            self.bad("data/check-report.json", "its result disagrees with its checks")
        if rep.get("counts", {}).get("entries") != len(pkg["records"]):
            self.bad("data/check-report.json", "counts another number of entries")

    def run(self):
        self.manifests()
        try:
            pkg = self.json("data/package.json", None)
            if not isinstance(pkg, dict):
                self.bad("data/package.json", "missing or not a JSON object")
                return self.problems
            cp = self.checkpoint(pkg)
            if cp:
                self.records(pkg, cp)
            self.eep(pkg)
            self.report(pkg)
        except (KeyError, ValueError, TypeError, AttributeError, IndexError,
                RecursionError) as e:
            self.bad("data/package.json", "cannot be read: %s" % (e,))
        return self.problems


def usage():
    print("usage: verify.py [PACKAGE] [--key PEM] [--seal-key PEM]", file=sys.stderr)
    return 2


def main(argv):
    args, key, seal = [], None, None
    it = iter(argv)
    for a in it:
        if a in ("--key", "--seal-key"):
            value = next(it, None)
            if value is None:
                return usage()
            if a == "--key":
                key = value
            else:
                seal = value
        elif a.startswith("-"):
            return usage()
        else:
            args.append(a)
    if len(args) > 1:
        return usage()
    path = args[0] if args else os.path.dirname(os.path.abspath(__file__))
    pems = {}
    for name in (key, seal):
        if not name:
            continue
        try:
            with open(name) as f:
                pems[name] = f.read()
            if len(pem_point(pems[name])) not in (32, 65):
                raise ValueError("no public key")
        except (OSError, ValueError, UnicodeDecodeError) as e:
            print("%s: cannot be read as a public key PEM: %s" % (name, e), file=sys.stderr)
            return 2
    pem = pems.get(key)
    try:
        files, problems = read_members(path)
    except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile) as e:
        print("%s: cannot be read: %s" % (path, e), file=sys.stderr)
        return 2
    checker = Checker(files, pem, pems.get(seal))
    problems += checker.run()
    for p in problems:
        print(p)
    for w in checker.warnings:
        print(w)
    if not problems:
        print("%s: sound" % path)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
