"""Case files forged and re-manifested: only the checks beneath the bag
can catch them, and both verifiers must."""

import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))

import ctest  # noqa: E402
import workflow  # noqa: E402
from test_package import VERIFY_PY, members  # noqa: E402


def digest(alg, data):
    return hashlib.new(alg, data).hexdigest()


def rebag(files, top):
    """Recomputes the manifests, tag manifests and Payload-Oxum of
    {name: bytes}, as a forger would."""
    pre = top + "/"
    rel = {k[len(pre):]: v for k, v in files.items()}
    payload = sorted(n for n in rel if n.startswith("data/"))
    for alg in ("sha256", "sha512", "sm3"):
        rel["manifest-%s.txt" % alg] = "".join(
            "%s  %s\n" % (digest(alg, rel[n]), n) for n in payload).encode()
    size = sum(len(rel[n]) for n in payload)
    rel["bag-info.txt"] = re.sub(rb"Payload-Oxum: .*", b"Payload-Oxum: %d.%d"
                                 % (size, len(payload)), rel["bag-info.txt"])
    tags = sorted(n for n in rel if not n.startswith(("data/", "tagmanifest-")))
    for alg in ("sha256", "sha512", "sm3"):
        rel["tagmanifest-%s.txt" % alg] = "".join(
            "%s  %s\n" % (digest(alg, rel[n]), n) for n in tags).encode()
    return {pre + k: v for k, v in rel.items()}


def write(path, items, fmt="tar"):
    """Writes [(name, bytes)], a name possibly twice."""
    if fmt == "zip":
        with zipfile.ZipFile(path, "w") as z:
            for name, data in items:
                z.writestr(name, data)
        return
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as t:
        for name, data in items:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))


def run_py(*args, **kw):
    return subprocess.run([sys.executable, VERIFY_PY] + list(args), capture_output=True,
                          text=True, **kw)


class ForgeryTest(workflow.WorkflowTest):
    def setUp(self):
        super().setUp()
        self.case = self.full_case()
        self.ok("document", "render", self.case, "decision-grant", "--as", "li.handler",
                "--out", os.path.join(self.tmp, "decision.pdf"))
        self.n = 0

    def archive(self):
        self.n += 1
        out = os.path.join(self.tmp, "case-file-%d.tar" % self.n)
        self.ok("archive", self.case, "--out", out, "--format", "tar", "--json")
        files = dict(members(out))
        return out, files, next(iter(files)).split("/")[0]

    def forged(self, files, top, name="forged"):
        self.n += 1
        path = os.path.join(self.tmp, "%s-%d.tar" % (name, self.n))
        write(path, rebag(files, top).items())
        return path

    def both(self, path, *args):
        c = ctest.run("verify-package", path, *args)
        p = run_py(path, *args)
        return (c.code, c.out + c.err), (p.returncode, p.stdout + p.stderr)

    def assert_caught(self, path, name, *args):
        (cc, cout), (pc, pout) = self.both(path, *args)
        self.assertEqual(cc, 1, (name, cout))
        self.assertEqual(pc, 1, (name, pout))
        self.assertIn(name, cout)
        self.assertIn(name, pout)
        self.assertNotIn("Traceback", pout)
        return cout, pout

    def edit_json(self, files, path, fn):
        v = json.loads(files[path])
        fn(v)
        files[path] = json.dumps(v, ensure_ascii=False).encode()

    def kind_of(self, files, top, kind):
        for name, data in files.items():
            if name.endswith("/entry.json") and json.loads(data).get("kind") == kind:
                return int(name.split("/")[-2])
        self.fail("no %s entry in the package" % kind)

    def test_forgeries_caught(self):
        path, base, top = self.archive()
        (cc, cout), (pc, pout) = self.both(path)
        self.assertEqual((cc, pc), (0, 0), cout + pout)
        (cc, cout), (pc, pout) = self.both(self.forged(dict(base), top))
        self.assertEqual((cc, pc), (0, 0), cout + pout)
        pkg_json, rec = top + "/data/package.json", top + "/data/records/%d/"

        # Content changed, and the unsigned package.json lists none.
        seq = self.kind_of(base, top, "decision")
        f = dict(base)
        f[rec % seq + "content.json"] = f[rec % seq + "content.json"].replace(
            b"}", b',"forged":1}', 1)
        self.edit_json(f, pkg_json, lambda p: [r.update(content=None) for r in p["records"]
                                               if r["seq"] == seq])
        self.assert_caught(self.forged(f, top), "records/%d/content.json" % seq)
        f = dict(base)
        del f[rec % seq + "content.json"]
        self.assert_caught(self.forged(f, top), "records/%d/content.json" % seq)

        # A record dropped, package.json and the report's counts fixed.
        seq = self.kind_of(base, top, "approval-step")
        f = {k: v for k, v in base.items() if not k.startswith(rec % seq)}
        self.edit_json(f, pkg_json, lambda p: p.update(
            records=[r for r in p["records"] if r["seq"] != seq]))
        self.edit_json(f, top + "/data/check-report.json",
                       lambda r: r["counts"].update(entries=r["counts"]["entries"] - 1))
        self.assert_caught(self.forged(f, top), "records/%d/" % seq)

        # The seal switched off.
        eep = top + "/data/eep.xml"
        f = dict(base)
        f[eep] = re.sub("<签名结果>[^<]*</签名结果>".encode(), b"", f[eep])
        self.assert_caught(self.forged(f, top), "data/eep.xml")
        f = dict(base)
        f[eep] = f[eep].replace("<题名>".encode(), "<题名>伪".encode(), 1)
        self.edit_json(f, pkg_json, lambda p: p.update(seal_key=None))
        self.assert_caught(self.forged(f, top), "data/eep.xml")
        f = dict(base)
        f[eep] = re.sub("<电子签名块>.*</电子签名块>".encode(), b"", f[eep], flags=re.S)
        del f[top + "/data/keys/seal.pem"]
        self.edit_json(f, pkg_json, lambda p: p.update(seal_key=None))
        stripped = self.forged(f, top)
        self.assert_caught(stripped, "data/eep.xml")

        # verify.py given the seal's key needs its signature.
        seal = os.path.join(self.tmp, "seal.pem")
        with open(seal, "wb") as out:
            out.write(base[top + "/data/keys/seal.pem"])
        r = run_py(path, "--seal-key", seal)
        self.assertEqual(r.returncode, 0, r.stdout)
        r = run_py(stripped, "--seal-key", seal)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("data/eep.xml", r.stdout)
        sm2 = [k for k in self.ok("key", "show", "--json").json["keys"] if k["type"] == "sm2"]
        if sm2:
            with open(seal, "w") as out:
                out.write(sm2[0]["pem"])
            r = run_py(path, "--seal-key", seal)
            self.assertEqual(r.returncode, 1, r.stdout)
            self.assertIn("data/eep.xml", r.stdout)

        # An issued document's PDF swapped for another PDF.
        issue = self.kind_of(base, top, "document-issue")
        seq = json.loads(base[rec % issue + "content.json"])["source"]
        other = self.kind_of(base, top, "application")
        f = dict(base)
        self.assertIn(rec % seq + "record.pdf", f)
        f[rec % seq + "record.pdf"] = f[rec % other + "record.pdf"]
        self.assert_caught(self.forged(f, top), "records/%d/record.pdf" % seq)

        # The log's keys emptied.
        f = dict(base)
        f[top + "/data/log/keys.json"] = b"[]"
        cout, pout = self.assert_caught(self.forged(f, top), "data/log/keys.json")
        self.assertIn("no usable log key", cout)
        self.assertIn("no usable log key", pout)

        # A member twice, in a tar and in a zip.
        name = rec % self.kind_of(base, top, "application") + "content.json"
        items = list(rebag(dict(base), top).items())
        for fmt in ("tar", "zip"):
            twice = os.path.join(self.tmp, "twice." + fmt)
            write(twice, items + [(name, base[name])], fmt)
            self.assert_caught(twice, name.split("/", 1)[1])

        # JSON nested 1,000 deep: a clear error, not a traceback.
        f = dict(base)
        f[pkg_json] = b"[" * 1000 + b"]" * 1000
        cout, pout = self.assert_caught(self.forged(f, top), "data/package.json")
        self.assertNotIn("RecursionError", pout)

        # Keys and packages that cannot be read: usage errors.
        r = run_py(path, "--key", os.path.join(self.tmp, "nonexistent.pem"))
        self.assertEqual(r.returncode, 2, r)
        self.assertIn("nonexistent.pem", r.stderr)
        garbage = os.path.join(self.tmp, "garbage.pem")
        with open(garbage, "w") as g:
            g.write("-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC KEY-----\n")
        r = run_py(path, "--key", garbage)
        self.assertNotEqual(r.returncode, 0, r)
        self.assertIn("garbage.pem", r.stdout + r.stderr)
        self.assertNotIn("package.json", r.stdout + r.stderr)
        self.assertNotIn("Traceback", r.stderr)
        with open(garbage, "wb") as g:
            g.write(b"\x00not a package\x00" * 64)
        (cc, _), (pc, pout) = self.both(garbage)
        self.assertEqual((cc, pc), (2, 2), pout)
        self.assertNotIn("Traceback", pout)

    def test_amended_without_original(self):
        self.archive()
        self.add(self.case, "note", {"text": "补充说明"}, "li.handler")
        path, base, top = self.archive()
        (cc, cout), (pc, pout) = self.both(path)
        self.assertEqual((cc, pc), (0, 0), cout + pout)
        # The original is verified as a package of its own, with the same key.
        wrong = os.path.join(self.tmp, "wrong.pem")
        with open(wrong, "wb") as out:
            out.write(base[top + "/data/keys/seal.pem"])
        original = next(k for k in base if "/data/original/" in k).split("/", 1)[1]
        self.assert_caught(path, original + ": data/log/checkpoint.txt", "--key", wrong)
        f = {k: v for k, v in base.items() if "/data/original/" not in k}
        self.assertLess(len(f), len(base))
        self.edit_json(f, top + "/data/package.json", lambda p: p.update(original=None))
        self.assert_caught(self.forged(f, top), "data/original/")

    def test_expunged_content_needs_expunge(self):
        note = self.add(self.case, "note", {"text": "错误材料"}, "li.handler")
        self.ok("user", "add", "chief.wang", "--role", "secadmin")
        self.ok("expunge", "approve", str(note["seq"]), "--reason", "approved",
                "--as", "chief.wang")
        self.ok("expunge", str(note["seq"]), "--reason", "wrong case",
                "--approved-by", "chief.wang", "--as", "li.handler")
        path, base, top = self.archive()
        rec = top + "/data/records/%d/"
        self.assertIn(rec % note["seq"] + "expunged.txt", base)
        (cc, cout), (pc, pout) = self.both(path)
        self.assertEqual((cc, pc), (0, 0), cout + pout)
        # Content removed and called expunged, with no expunge entry.
        seq = self.kind_of(base, top, "decision")
        f = {k: v for k, v in base.items()
             if k not in (rec % seq + "content.json", rec % seq + "salt.txt")}
        f[rec % seq + "expunged.txt"] = base[rec % note["seq"] + "expunged.txt"]
        self.assert_caught(self.forged(f, top), "records/%d/expunged.txt" % seq)

    def test_unsigned_package_warns(self):
        os.remove(os.path.join(self.dir, "keys", "seal.key"))
        self.case = self.full_case()  # one without an issued document
        path, base, top = self.archive()
        self.assertNotIn(top + "/data/keys/seal.pem", base)
        (cc, cout), (pc, pout) = self.both(path)
        self.assertEqual((cc, pc), (0, 0), cout + pout)
        self.assertIn("data/eep.xml: warning", cout)
        self.assertIn("data/eep.xml: warning", pout)
        # With a trust anchor, a package without the seal's signature fails.
        keys = self.ok("key", "show", "--json").json["keys"]
        anchor = os.path.join(self.tmp, "log.pem")
        with open(anchor, "w") as out:
            out.write(keys[0]["pem"])
        self.assert_caught(path, "data/eep.xml", "--key", anchor)
        # A report edited to claim no seal key does not excuse a signed XML.
        f = dict(base)
        f[top + "/data/eep.xml"] = f[top + "/data/eep.xml"].replace(
            "</被签名对象>".encode(), "</被签名对象><电子签名块></电子签名块>".encode())
        self.assert_caught(self.forged(f, top), "data/eep.xml")


BOMB = r"""
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (%d, %d))
sys.path.insert(0, %r)
import verify
sys.exit(verify.main([%r]))
"""


class LargeMemberTest(unittest.TestCase):
    """verify.py hashes members in chunks: a member larger than the memory
    it may use is checked, not held whole."""

    def test_member_larger_than_memory(self):
        tmp = os.environ.get("TMPDIR", "/tmp")
        path = os.path.join(tmp, "ct-large-member-%d.zip" % os.getpid())
        self.addCleanup(lambda: os.path.exists(path) and os.remove(path))
        zeros = bytes(16 << 20)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            z.writestr("bag/bagit.txt", "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
            with z.open("bag/data/files/zeros", "w", force_zip64=True) as f:
                for _ in range(40):  # 640 MiB
                    f.write(zeros)
        limit = 448 << 20
        p = subprocess.run([sys.executable, "-c", BOMB % (limit, limit,
                            os.path.dirname(VERIFY_PY), path)],
                           capture_output=True, text=True, timeout=300)
        self.assertNotIn("MemoryError", p.stderr)
        self.assertNotIn("Traceback", p.stderr)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("Payload-Oxum is not 671088640.1", p.stdout)


if __name__ == "__main__":
    ctest.main()
