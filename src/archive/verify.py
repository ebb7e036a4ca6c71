#!/usr/bin/env python3
"""Checks a casetrail case file (案卷) with Python's standard library alone.

Usage: python3 verify.py [PACKAGE.tar|PACKAGE.zip|BAG-FOLDER] [--key PEM]

Without a package it checks the bag it sits in. It checks the BagIt
manifests and Payload-Oxum, every entry's commitment H(salt || content),
leaf hashes and RFC 9162 inclusion proofs against the signed checkpoint,
the checkpoint's SM2 and Ed25519 signatures, staff signatures and the
SM2 signature of eep.xml. Prints one line per problem, naming the file;
exits 0 when the package is sound, 1 otherwise, 2 on a usage error.
"""

import base64
import hashlib
import json
import os
import re
import sys
import tarfile
import zipfile

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
    """The r and s of a DER ECDSA-Sig-Value."""
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
    """The raw public key at the end of a SubjectPublicKeyInfo PEM."""
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


def read_members(path):
    """Returns {path inside the bag: bytes} and the problems of its layout."""
    files, roots = {}, set()
    if os.path.isdir(path):
        for top, _, names in os.walk(path):
            for n in names:
                full = os.path.join(top, n)
                with open(full, "rb") as f:
                    files[os.path.relpath(full, path).replace(os.sep, "/")] = f.read()
        return files, []
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            items = [(i.filename, z.read(i)) for i in z.infolist() if not i.is_dir()]
    else:
        with tarfile.open(path) as t:
            items = [(m.name, t.extractfile(m).read()) for m in t.getmembers() if m.isfile()]
    for name, data in items:
        root, _, rest = name.partition("/")
        roots.add(root)
        files[rest] = data
    return files, [] if len(roots) == 1 else ["the package has %d top folders, not one" % len(roots)]


class Checker:
    def __init__(self, files, key_pem=None):
        self.files, self.key_pem, self.problems = files, key_pem, []

    def bad(self, file, what):
        self.problems.append("%s: %s" % (file or "package", what))

    def text(self, name):
        if name not in self.files:
            self.bad(name, "missing")
            return None
        return self.files[name].decode("utf-8")

    def manifests(self):
        payload = {n for n in self.files if n.startswith("data/")}
        for alg in ("sha256", "sha512", "sm3"):
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
                    elif H(alg, self.files[path]).hex() != digest:
                        self.bad(path, "%s does not match %s" % (alg, name))
                if expect is None:
                    expect = {n for n in self.files if not n.startswith(("data/", "tagmanifest-"))}
                for path in sorted(expect - listed):
                    self.bad(path, "not listed in %s" % name)
        info = self.text("bag-info.txt") or ""
        m = re.search(r"^Payload-Oxum: (\d+)\.(\d+)$", info, re.M)
        size = sum(len(self.files[n]) for n in payload)
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
        keys = json.loads(self.files.get("data/log/keys.json", b"[]"))
        if self.key_pem:
            raw = pem_point(self.key_pem)
            keys = [{"name": lines[0], "type": "sm2" if len(raw) == 65 else "ed25519",
                     "raw": base64.b64encode(raw).decode()}]
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

    def records(self, pkg, cp):
        alg = pkg["hash"]
        origin, size, root = cp
        for rec in pkg["records"]:
            name = rec["entry"]
            entry_bytes = self.files.get(name)
            if entry_bytes is None:
                self.bad(name, "missing")
                continue
            entry = json.loads(entry_bytes)
            if entry.get("seq") != rec["seq"]:
                self.bad(name, "is not entry %d" % rec["seq"])
            if rec.get("content"):
                salt = bytes.fromhex(self.files.get(rec["salt"], b"").decode().strip())
                got = "%s:%s" % (alg, H(alg, salt + self.files.get(rec["content"], b"")).hex())
                if got != entry.get("content"):
                    self.bad(rec["content"], "does not match the entry's commitment")
            proof = json.loads(self.files.get(rec["proof"], b"{}"))
            leaf = H(alg, b"\x00" + entry_bytes)
            hashes = [base64.b64decode(h) for h in proof.get("hashes", [])]
            if proof.get("tree_size") != size or not self.inclusion(
                    alg, rec["seq"], size, leaf, hashes, root):
                self.bad(rec["proof"], "does not prove the entry in the checkpoint's tree")
            for att in entry.get("attachments", []):
                path = "data/files/" + att["hash"].split(":")[1]
                if path in self.files:
                    if H(alg, self.files[path]).hex() != att["hash"].split(":")[1]:
                        self.bad(path, "is not the file the entry names")
                elif not set(pkg["files"].get(path, {})) & {"absent", "wrapped"}:
                    self.bad(path, "missing")
            orig = pkg.get("original") or {}
            if orig.get("seal") == str(entry.get("seq")):
                want = entry["attachments"][0]["hash"].split(":")[1]
                if orig.get("path") not in self.files:
                    self.bad(orig.get("path"), "missing (the package of %s)" % name)
                elif H(alg, self.files[orig["path"]]).hex() != want:
                    self.bad(orig["path"], "is not the package %s sealed" % name)
            if entry.get("kind") == "signature" and rec.get("content"):
                self.staff_signature(pkg, origin, json.loads(self.files[rec["content"]]), name)
            if entry.get("kind") == "document-issue" and rec.get("content"):
                self.document(pkg, json.loads(self.files[rec["content"]]), entry, name)

    def document(self, pkg, f, entry, name):
        """An issued document: the seal's raw r||s signature of its
        statement, whose last line is the SM3 of the attached PDF."""
        seal = self.files.get(pkg.get("seal_key") or "")
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
        if path in self.files and "sm3:" + H("sm3", self.files[path]).hex() != pdf_hash:
            self.bad(path, "is not the PDF that %s seals" % name)

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
        seal = self.files.get(pkg.get("seal_key") or "")
        if not m or not seal:
            return
        r, s = der_rs(base64.b64decode(m.group(1)))
        if not sm2_verify(pem_point(seal.decode()), signed, r, s):
            self.bad("data/eep.xml", "the seal's signature of 被签名对象 does not verify")

    def report(self, pkg):
        rep = json.loads(self.files.get("data/check-report.json", b"{}"))
        checks = rep.get("checks", {})
        passed = all(c.get("result") == "pass" for c in checks.values())
        if len(checks) != 4 or rep.get("result") != ("pass" if passed else "fail"):
            self.bad("data/check-report.json", "its result disagrees with its checks")
        if rep.get("counts", {}).get("entries") != len(pkg["records"]):
            self.bad("data/check-report.json", "counts another number of entries")

    def run(self):
        self.manifests()
        try:
            pkg = json.loads(self.files["data/package.json"])
            cp = self.checkpoint(pkg)
            if cp:
                self.records(pkg, cp)
            self.eep(pkg)
            self.report(pkg)
        except (KeyError, ValueError, TypeError, AttributeError) as e:
            self.bad("data/package.json", "cannot be read: %r" % (e,))
        return self.problems


def main(argv):
    args, key = [], None
    it = iter(argv)
    for a in it:
        if a == "--key":
            key = next(it, None)
        elif a.startswith("-"):
            print("usage: verify.py [PACKAGE] [--key PEM]", file=sys.stderr)
            return 2
        else:
            args.append(a)
    if len(args) > 1 or (argv and key is None and "--key" in argv):
        print("usage: verify.py [PACKAGE] [--key PEM]", file=sys.stderr)
        return 2
    path = args[0] if args else os.path.dirname(os.path.abspath(__file__))
    try:
        files, problems = read_members(path)
    except (OSError, tarfile.TarError, zipfile.BadZipFile) as e:
        print("%s: cannot be read: %s" % (path, e))
        return 1
    pem = open(key).read() if key else None
    problems += Checker(files, pem).run()
    for p in problems:
        print(p)
    if not problems:
        print("%s: sound" % path)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
