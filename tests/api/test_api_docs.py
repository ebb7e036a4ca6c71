#!/usr/bin/env python3
"""Runs every ```sh example of docs/api.md against a fresh server.

Each example's first line is a comment with the status it returns
("# 201 Created"). The test opens a case and adds a record through the
API first, sets BASE, TOKEN, CASE and SEQ in the environment of bash,
and runs each example with curl wrapped to print the status of every
response. The status of the last response must be the one stated.

Needs bash and curl 7.84 or later (for %header{} in --write-out).
"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import apitest  # noqa: E402
import ctest  # noqa: E402

DOC = os.path.join(ctest.SRC, "docs", "api.md")

# Prints "status=NNN" after every response, unless an example sets its
# own --write-out, which comes later on the command line and wins.
CURL_WRAPPER = ("curl() { command curl --silent --show-error "
                "--write-out '\\nstatus=%{http_code}\\n' \"$@\"; }\n")


def examples(path):
    """Returns (line number, expected status, script) of each sh block."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    found = []
    for match in re.finditer(r"^```sh\n(.*?)^```$", text, re.M | re.S):
        line = text.count("\n", 0, match.start()) + 1
        script = match.group(1)
        status = re.match(r"# (\d{3}) ", script)
        found.append((line, int(status.group(1)) if status else None,
                      script))
    return found


class ApiDocsTest(apitest.ApiTest):
    """One store and server; the examples run in document order."""

    def setUp(self):
        super().setUp()
        matter = self.get_ok("/api/v1/matters?limit=1")["items"][0]["code"]
        r = self.post("/api/v1/cases", {"matter": matter,
                                        "applicant": "某某餐饮有限公司",
                                        "received": "2026-12-01"})
        self.assertEqual(r.status, 201, r)
        self.case_id = r.json["id"]
        r = self.post("/api/v1/cases/%s/records" % self.case_id,
                      {"kind": "note", "fields": {"text": "情况说明"}})
        self.assertEqual(r.status, 201, r)
        self.seq = r.json["seq"]

    def run_example(self, script):
        env = dict(os.environ, BASE=self.server.base, TOKEN=self.token,
                   CASE=self.case_id, SEQ=str(self.seq))
        return subprocess.run(["bash", "-c", CURL_WRAPPER + script],
                              capture_output=True, text=True, env=env,
                              timeout=60)

    def test_doc_has_examples(self):
        found = examples(DOC)
        self.assertGreaterEqual(len(found), 20)
        for line, status, _ in found:
            with self.subTest(line=line):
                self.assertIsNotNone(status, "example at docs/api.md:%d "
                                     "has no '# NNN' status line" % line)

    def test_examples_return_stated_status(self):
        for line, status, script in examples(DOC):
            with self.subTest(line=line):
                proc = self.run_example(script)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                statuses = re.findall(r"^status=(\d{3})$", proc.stdout,
                                      re.M)
                self.assertTrue(statuses, proc.stdout)
                self.assertEqual(int(statuses[-1]), status,
                                 "docs/api.md:%d\n%s" % (line, proc.stdout))


if __name__ == "__main__":
    ctest.main()
