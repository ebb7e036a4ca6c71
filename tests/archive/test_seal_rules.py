"""Case files: what a seal counts, lists and names, who may seal, and once."""

import concurrent.futures
import hashlib
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))

import apitest  # noqa: E402
import ctest  # noqa: E402
import workflow  # noqa: E402

FULL_CLEARANCE = "sensitive-personal,commercial-secret"


def package(path):
    """The package's files as {name under the bag root: bytes}."""
    with tarfile.open(path) as t:
        return {m.name.split("/", 1)[1]: t.extractfile(m).read()
                for m in t.getmembers() if m.isfile()}


def read(path):
    with open(path, "rb") as f:
        return f.read()


def pdf_text(data, tmp):
    path = os.path.join(tmp, "record.pdf")
    with open(path, "wb") as f:
        f.write(data)
    return subprocess.run(["pdftotext", "-layout", path, "-"], capture_output=True,
                          text=True, check=True).stdout


class SealRulesTest(workflow.WorkflowTest):
    display_names = True

    def setUp(self):
        super().setUp()
        self.case = self.full_case()
        for kind, actor in (("acceptance-notice", "wang.clerk"), ("decision-grant", "li.handler")):
            self.ok("document", "render", self.case, kind, "--as", actor,
                    "--out", os.path.join(self.tmp, kind + ".pdf"))
        self.ok("user", "add", "chen.arch", "--role", "archivist", "--unit", "档案室",
                "--display-name", "陈档", "--as", "admin")
        self.ok("user", "clearance", "chen.arch", FULL_CLEARANCE, "--as", "admin")

        # An archivist without clearance.
        self.ok("user", "add", "ma.arch", "--role", "archivist", "--unit", "档案室",
                "--as", "admin")
        self.n = 0

    def command(self, *args):
        return [ctest.BIN] + list(args) + ["--dir", self.dir]

    def out(self):
        self.n += 1
        return os.path.join(self.tmp, "case-file-%d.tar" % self.n)

    def archive(self, *args):
        out = self.out()
        r = self.ct("archive", self.case, "--out", out, *args)
        return out, r

    def test_issued_numbers_are_counted_once(self):
        out, r = self.archive("--as", "chen.arch", "--json")
        self.assertEqual(r.code, 0, r)
        info = json.loads(r.out)
        files = package(out)
        report = json.loads(files["data/check-report.json"])
        self.assertEqual(report["checks"]["integrity"]["problems"], [], report)
        self.assertEqual(info["report"], report["result"])

        # The text output names the check's result.
        _, r = self.archive("--as", "chen.arch")
        self.assertEqual(r.code, 0, r)
        self.assertIn("DA/T 70 check " + report["result"], r.out)
        if report["result"] != "pass":
            self.assertIn("DA/T 70", r.err)
        pkg = json.loads(files["data/package.json"])

        # An issued document is listed once, under its source record.
        issues = [x for x in pkg["records"] if x["kind"] == "document-issue"]
        self.assertEqual(len(issues), 2, pkg["records"])
        for x in issues:
            self.assertNotIn("no", x)
            self.assertNotIn("pdf", x)
            self.assertIn("data/records/%d/proof.json" % x["seq"], files)
        numbers = [row["number"] for row in pkg["catalogue"] if row["number"]]
        self.assertEqual(len(numbers), len(set(numbers)), numbers)
        self.assertEqual(len(numbers), 2, pkg["catalogue"])
        titled = [x for x in pkg["records"] if "no" in x]
        self.assertEqual(len(titled), len(pkg["catalogue"]))

        # People by their display names, logins beside them.
        actors = {row["actor"] for row in pkg["catalogue"]}
        self.assertIn("王芳", actors)
        self.assertNotIn("wang.clerk", actors)
        self.assertEqual(pkg["closing"]["preparer"], "陈档")
        self.assertIn("王芳", files["data/catalogue.txt"].decode())
        self.assertNotIn("wang.clerk", files["data/catalogue.txt"].decode())
        self.assertIn("陈档", files["data/closing-note.txt"].decode())
        eep = files["data/eep.xml"].decode()
        self.assertIn("<立卷人>陈档</立卷人>", eep)
        self.assertIn("<责任者>王芳</责任者>", eep)
        self.assertIn("<责任者账号>wang.clerk</责任者账号>", eep)

        # Every protected record exported was read by chen.arch.
        log = self.ok("access", "log", "--case", self.case, "--user", "chen.arch",
                      "--json").json
        reads = [e for e in log["items"] if e["outcome"] == "read"]
        self.assertTrue(reads, log)

    def test_out_and_plain_renderings(self):
        """--out appears once sealed; plain renderings name codes."""
        out = self.out()
        p = subprocess.Popen(self.command("archive", self.case, "--out", out, "--json"),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=dict(os.environ, CASETRAIL_LOG="warn"), text=True)
        first = None
        while p.poll() is None and first is None:
            if os.path.exists(out):
                # Held still while the file is read as it first appears.
                p.send_signal(signal.SIGSTOP)
                try:
                    first = read(out)
                finally:
                    p.send_signal(signal.SIGCONT)
            time.sleep(0.001)
        stdout, stderr = p.communicate()
        self.assertEqual(p.returncode, 0, stderr)
        info = json.loads(stdout)

        # --out appears whole, as the package that the seal entry names.
        if first is not None:
            self.assertEqual(first, read(out))
        files = package(out)
        self.assertEqual(hashlib.sha256(files["tagmanifest-sha256.txt"]).hexdigest(),
                         info["tagmanifest"]["sha256"])
        self.assertEqual(os.listdir(self.tmp).count(os.path.basename(out)), 1)
        self.assertFalse([n for n in os.listdir(self.tmp)
                          if n.startswith(os.path.basename(out) + ".")])
        pkg = json.loads(files["data/package.json"])
        by_kind = {}
        for x in pkg["records"]:
            by_kind.setdefault(x["kind"], x)
        step = pdf_text(files[by_kind["approval-step"]["pdf"]], self.tmp)
        for raw in ("agree", "method：staff", "person：zhao.rev", "role：reviewer"):
            self.assertNotIn(raw, step)
        self.assertIn("同意", step)
        self.assertIn("赵敏", step)
        self.assertIn("审核人", step)
        app = pdf_text(files[by_kind["application"]["pdf"]], self.tmp)
        self.assertIn("窗口", app)
        self.assertNotIn("window", app)
        self.assertIn("食品经营许可申请书", app)

    def test_parallel_runs_seal_once(self):
        outs = [self.out() for _ in range(4)]
        procs = [subprocess.Popen(self.command("archive", self.case, "--out", o, "--json"),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env=dict(os.environ, CASETRAIL_LOG="warn"), text=True) for o in outs]
        results = [p.communicate() + (p.returncode,) for p in procs]
        for out, err, code in results:
            self.assertEqual(code, 0, err)
        infos = [json.loads(out) for out, _, _ in results]
        self.assertEqual(len({i["seq"] for i in infos}), 1, infos)
        self.assertEqual(sum(1 for i in infos if i["new"]), 1, infos)
        first = read(outs[0])
        for o in outs[1:]:
            self.assertEqual(read(o), first)
        shown = self.ok("case", "show", self.case, "--json").json
        seals = [x for x in shown["records"] if x["kind"] == "case-file-seal"]
        self.assertLessEqual(len(seals), 1)

        # Over HTTP the same: concurrent POSTs give one seal.
        self.add(self.case, "note", {"text": "补充归档说明。"}, "li.handler")
        token = self.ok("token", "create", "--user", "chen.arch").out.strip().splitlines()[-1]
        server = apitest.Server(self.dir)
        try:
            path = "/api/v1/cases/%s/case-file" % self.case
            with concurrent.futures.ThreadPoolExecutor(3) as pool:
                rs = list(pool.map(lambda _: server.request("POST", path, {}, token=token),
                                   range(3)))
            self.assertEqual(sorted(r.status for r in rs), [200, 200, 201], rs)
            self.assertEqual(len({r.headers["Casetrail-Seal"] for r in rs}), 1)
            self.assertEqual(len({r.body for r in rs}), 1)
        finally:
            server.close()

    def test_sealing_needs_every_clearance(self):
        out, r = self.archive("--as", "ma.arch", "--json")
        self.assertNotEqual(r.code, 0, r)
        self.assertIn("clear", r.err)
        self.assertFalse([n for n in os.listdir(self.tmp)
                          if n.startswith(os.path.basename(out))])
        shown = self.ok("case", "show", self.case, "--json").json
        self.assertFalse([x for x in shown["records"] if x["kind"] == "case-file-seal"])
        token = self.ok("token", "create", "--user", "ma.arch").out.strip().splitlines()[-1]
        server = apitest.Server(self.dir)
        try:
            path = "/api/v1/cases/%s/case-file" % self.case
            r = server.request("POST", path, {}, token=token)
            self.assertEqual(r.status, 403, r)
            self.assertIn("clear", r.json["detail"])
            self.ok("user", "clearance", "ma.arch", FULL_CLEARANCE, "--as", "admin")
            r = server.request("POST", path, {}, token=token)
            self.assertEqual(r.status, 201, r)
        finally:
            server.close()
        log = self.ok("access", "log", "--case", self.case, "--user", "ma.arch",
                      "--json").json
        self.assertTrue([e for e in log["items"] if e["outcome"] == "read"], log)
        self.assertTrue([e for e in log["items"] if e["outcome"] == "refused"], log)


if __name__ == "__main__":
    unittest.main()
