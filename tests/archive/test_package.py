"""Case files: sealing an ended case, and both verifiers against tampering."""

import concurrent.futures
import datetime
import io
import json
import os
import subprocess
import sys
import tarfile
import unittest
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))

import apitest  # noqa: E402
import ctest  # noqa: E402
import mediafiles  # noqa: E402
import workflow  # noqa: E402
from workflow import at, party_sig, staff_sig  # noqa: E402

VERIFY_PY = os.path.join(os.environ.get("CASETRAIL_SRC", os.path.join(
    os.path.dirname(__file__), "..", "..")), "src", "archive", "verify.py")


def members(path):
    """The package's files as [(name, bytes)], in order."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            return [(i.filename, z.read(i)) for i in z.infolist()]
    with tarfile.open(path) as t:
        return [(m.name, t.extractfile(m).read()) for m in t.getmembers() if m.isfile()]


def write(path, items, fmt):
    if fmt == "zip":
        with zipfile.ZipFile(path, "w") as z:
            for name, data in items:
                z.writestr(name, data)
        return
    with tarfile.open(path, "w") as t:
        for name, data in items:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))


class PackageTest(workflow.WorkflowTest):
    def setUp(self):
        super().setUp()
        self.case = self.full_case()
        self.n = 0
        # Two audio-visual files of the case, recorded an hour ago.
        if not mediafiles.FFMPEG:
            self.skipTest("ffmpeg is not installed")
        start = workflow.now_cst() - datetime.timedelta(hours=1)
        for i in range(2):
            clip = os.path.join(self.tmp, "clip-%d.mp4" % i)
            mediafiles.mp4(clip, start + datetime.timedelta(minutes=i), seconds=1 + i)
            self.ok("media", "ingest", clip, "--device", "BWC-001", "--case", self.case,
                    "--as", "li.handler")
        # A note signed with a staff member's SM2 key.
        password = self.ok("user", "add", "qin.author", "--role", "handler", "--unit", "审批一科",
                           "--password", "--json", "--as", "admin").json["one_time_password"]
        note = self.add(self.case, "note", {"text": "案卷材料已核对。"}, "qin.author")
        r = self.ct("staff-key", "sign", str(note["seq"]), "--role", "author", "--as",
                    "qin.author", input=password + "\n")
        self.assertEqual(r.code, 0, r)
        # Issued documents go in as their sealed PDFs.
        for kind, actor in (("acceptance-notice", "wang.clerk"), ("decision-grant", "li.handler")):
            self.ok("document", "render", self.case, kind, "--as", actor,
                    "--out", os.path.join(self.tmp, kind + ".pdf"))

    def archive(self, case=None, fmt="tar", expect=0):
        self.n += 1
        out = os.path.join(self.tmp, "case-file-%d.%s" % (self.n, fmt))
        r = self.ct("archive", case or self.case, "--out", out, "--format", fmt, "--json")
        self.assertEqual(r.code, expect, r)
        return out, (r.json if expect == 0 else r)

    def verifiers(self, path):
        """Both verifiers' exit codes and outputs."""
        c = ctest.run("verify-package", path)
        p = subprocess.run([sys.executable, VERIFY_PY, path], capture_output=True, text=True)
        return (c.code, c.out), (p.returncode, p.stdout)

    def assert_sound(self, path):
        (cc, cout), (pc, pout) = self.verifiers(path)
        self.assertEqual(cc, 0, cout)
        self.assertEqual(pc, 0, pout)

    def assert_caught(self, path, name):
        self.assert_caught_by(self.verifiers(path), name)

    def assert_caught_by(self, result, name):
        (cc, cout), (pc, pout) = result
        self.assertEqual(cc, 1, (name, cout))
        self.assertEqual(pc, 1, (name, pout))
        short = name.split("/", 1)[1]
        self.assertIn(short, cout, cout)
        self.assertIn(short, pout, pout)

    def test_every_tampered_file_named(self):
        for fmt in ("tar", "zip"):
            path, info = self.archive(fmt=fmt)
            self.assertEqual(info["format"], "tar")  # the first seal is kept
            self.assert_sound(path)
        path, info = self.archive()
        self.assertFalse(info["new"])
        # verify.py checks the bag it sits in once unpacked.
        unpacked = os.path.join(self.tmp, "unpacked")
        with tarfile.open(path) as t:
            t.extractall(unpacked)
        bag = os.path.join(unpacked, os.listdir(unpacked)[0])
        p = subprocess.run([sys.executable, os.path.join(bag, "verify.py")],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        # A log key given as trust anchor replaces the package's own.
        keys = self.ok("key", "show", "--json").json["keys"]
        anchor = os.path.join(self.tmp, "log.pem")
        for k in keys:
            with open(anchor, "w") as f:
                f.write(k["pem"])
            self.assertEqual(ctest.run("verify-package", path, "--key", anchor).code, 0)
        with open(anchor, "wb") as f:
            f.write(dict(members(path))[bag.split("/")[-1] + "/data/keys/seal.pem"])
        r = ctest.run("verify-package", path, "--key", anchor)
        self.assertEqual(r.code, 1, r)
        self.assertIn("data/log/checkpoint.txt", r.out)
        p = subprocess.run([sys.executable, VERIFY_PY, path, "--key", anchor],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn("data/log/checkpoint.txt", p.stdout)
        self.assertEqual(info["type"], "原始型")
        items = members(path)
        names = [n for n, _ in items]
        root = names[0].split("/")[0]
        for need in ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt",
                     "manifest-sm3.txt", "tagmanifest-sm3.txt", "verify.py", "data/eep.xml",
                     "data/catalogue.csv", "data/closing-note.txt", "data/check-report.json",
                     "data/log/checkpoint.txt"):
            self.assertIn(root + "/" + need, names)
        flips = []
        for i, (name, data) in enumerate(items):
            if not data:
                continue
            changed = list(items)
            flipped = bytearray(data)
            flipped[len(data) // 2] ^= 0x01
            changed[i] = (name, bytes(flipped))
            flips.append((os.path.join(self.tmp, "flip-%d.tar" % i), name))
            write(flips[-1][0], changed, "tar")
        # The verifiers run in parallel; each result is checked in order.
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda f: self.verifiers(f[0]), flips))
        for (_, name), result in zip(flips, results):
            self.assert_caught_by(result, name)
        bad = os.path.join(self.tmp, "bad.tar")
        # A file removed.
        victim = next(n for n in names if n.endswith("/content.json"))
        write(bad, [(n, d) for n, d in items if n != victim], "tar")
        self.assert_caught(bad, victim)
        # One AV file swapped for the other under its name.
        pkg = json.loads(dict(items)[root + "/data/package.json"])
        self.assertEqual(pkg["closing"]["av_files"], 2)
        self.assertEqual(len(pkg["staff_keys"]), 1)
        self.assertEqual(pkg["closing"]["items"], len(pkg["catalogue"]))
        self.assertEqual(pkg["type"], "原始型")
        self.assertRegex(pkg["reference"], r"^\w+-WS·\d{4}-D30-\d{6}$")
        av = [root + "/" + p for p, f in pkg["files"].items() if f["type"].startswith("video/")]
        files = [(n, d) for n, d in items if n in av]
        self.assertEqual(len(files), 2, pkg["files"])
        swapped = [(n, files[1][1] if n == files[0][0] else d) for n, d in items]
        write(bad, swapped, "tar")
        self.assert_caught(bad, files[0][0])
        # The package XML edited.
        eep = root + "/data/eep.xml"
        edited = [(n, d.replace("原始型".encode(), "修改型".encode()) if n == eep else d)
                  for n, d in items]
        write(bad, edited, "tar")
        self.assert_caught(bad, eep)

    def test_http_seals_for_archivists(self):
        self.ok("user", "add", "chen.arch", "--role", "archivist", "--unit", "档案室",
                "--as", "admin")
        # A case file holds every record, so sealing it needs clearance
        # for every mark of the case.
        self.ok("user", "clearance", "chen.arch",
                "sensitive-personal,commercial-secret", "--as", "admin")
        archivist = self.ok("token", "create", "--user", "chen.arch").out.strip().splitlines()[-1]
        clerk = self.ok("token", "create", "--user", "wang.clerk").out.strip().splitlines()[-1]
        server = apitest.Server(self.dir)
        try:
            path = "/api/v1/cases/%s/case-file" % self.case
            self.assertEqual(server.request("POST", path, {}, token=clerk).status, 403)
            bad = server.request("POST", path, {"format": "rar"}, token=archivist)
            self.assertEqual(bad.status, 422, bad)
            r = server.request("POST", path, {"format": "zip"}, token=archivist)
            self.assertEqual(r.status, 201, r)
            self.assertEqual(r.headers["Content-Type"], "application/zip")
            again = server.request("POST", path, {}, token=archivist)
            self.assertEqual(again.status, 200, again)
            self.assertEqual(again.body, r.body)
            listed = server.request("GET", "/api/v1/cases/%s/case-files" % self.case,
                                    token=archivist)
            self.assertEqual(listed.status, 200, listed)
            self.assertEqual([i["seq"] for i in listed.json["items"]],
                             [int(r.headers["Casetrail-Seal"])])
        finally:
            server.close()
        package = os.path.join(self.tmp, "http.zip")
        with open(package, "wb") as f:
            f.write(r.body)
        self.assert_sound(package)

    def test_amended_package_wraps_the_original(self):
        first, info = self.archive(fmt="zip")
        self.assertTrue(info["new"])
        self.add(self.case, "note", {"text": "补充说明"}, "li.handler")
        second, amended = self.archive()
        self.assertTrue(amended["new"])
        self.assertEqual(amended["type"], "修改型")
        self.assert_sound(second)
        names = [n for n, _ in members(second)]
        originals = [n for n in names if "/data/original/" in n]
        self.assertEqual(len(originals), 1, names)
        with open(first, "rb") as f:
            original = f.read()
        inside = dict(members(second))
        self.assertEqual(inside[originals[0]], original)
        # The original is there once, not also as the seal's attachment.
        self.assertEqual([n for n, d in inside.items() if d == original], originals)


class VerifyPyTest(unittest.TestCase):
    def test_pure_sm3_matches_vectors(self):
        sys.path.insert(0, os.path.dirname(VERIFY_PY))
        import verify
        # GB/T 32905-2016, examples 1 and 2.
        self.assertEqual(verify.sm3_pure(b"abc").hex(),
                         "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
        self.assertEqual(verify.sm3_pure(b"abcd" * 16).hex(),
                         "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732")
        for data in (b"", b"a" * 55, b"a" * 56, bytes(range(256)) * 3):
            self.assertEqual(verify.sm3_pure(data), verify.H("sm3", data), len(data))


class LateArchiveTest(workflow.WorkflowTest):
    """R-STO-2: 30 calendar days after the case ended, the case file must
    be sealed. Cases are served in the past with --at."""

    def ended(self, days_ago):
        case = self.new_case(received=at(-days_ago - 5, 9))
        self.receipt(case, -days_ago - 5)
        self.accept(case, -days_ago - 5)
        self.assign(case)
        self.rights(case, -days_ago - 5)
        self.onsite(case)
        self.propose(case)
        self.step(case, "review", "zhao.rev")
        self.step(case, "approve", "zhang.head")
        self.decide(case)
        self.address(case)
        self.licence(case)
        served = self.add(case, "service-direct", {
            "document": "licence", "served_on": at(-days_ago, 10), "recipient": "张三",
            "method": "window",
            "signatures": [staff_sig("server", "wang.clerk"), party_sig("recipient", "张三")],
        }, "wang.clerk", attach=1, when=at(-days_ago, 10))
        return case, served["seq"]

    def late(self, case):
        return [f for f in self.findings(case) if f["code"] == "late-archive"]

    def test_raised_after_thirty_days(self):
        recent, _ = self.ended(10)
        self.assertEqual(self.late(recent), [])
        old, served = self.ended(40)
        found = self.late(old)
        self.assertEqual(len(found), 1, found)
        self.assertEqual(found[0]["record"], served)
        self.assertEqual(found[0]["responsible"], "li.handler")
        self.assertEqual(found[0]["superior"], "zhao.rev")
        # Sealing late leaves the finding standing; sealing in time raises none.
        self.ok("archive", old, "--out", os.path.join(self.tmp, "old.tar"))
        self.ok("archive", recent, "--out", os.path.join(self.tmp, "recent.tar"))
        self.assertIsNone(self.late(old)[0]["cured"])
        self.assertEqual(self.late(recent), [])
        listed = self.ok("findings", "--code", "late-archive", "--json").json["items"]
        self.assertEqual([f["case"] for f in listed], [old])

    def test_open_case_is_refused(self):
        case = self.new_case()
        out = os.path.join(self.tmp, "open.tar")
        r = self.ct("archive", case, "--out", out)
        self.assertEqual(r.code, 2, r)
        self.assertIn("has not ended", r.err)
        self.assertFalse(os.path.exists(out))


if __name__ == "__main__":
    ctest.main()
