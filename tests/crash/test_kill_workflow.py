#!/usr/bin/env python3
"""Workflow records survive kill -9 of the server, projections included.

Client threads post notes and transcripts to several cases while the
server is killed with SIGKILL at a random moment. After each kill, a new
server must show every acknowledged record in its case's timeline, the
projections must equal a rebuild from the log, and verify must pass. A
record the server acknowledged and then lost, or a projection that
disagrees with its log, fails the test.
"""

import os
import random
import signal
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import apitest  # noqa: E402
import ctest  # noqa: E402

ROUNDS = int(os.environ.get("CASETRAIL_WORKFLOW_CRASH_ROUNDS", "12"))
CASES = 4
CLIENTS = 8


class WorkflowKillTest(ctest.StoreTest):

    def setUp(self):
        super().setUp()
        self.ok("user", "add", "wang.li", "--role", "clerk", "--unit",
                "window", "--data", apitest.DATA)
        self.token = self.ok("token", "create", "--user", "wang.li",
                             "--data", apitest.DATA).out.strip()
        self.cases = []
        for i in range(CASES):
            r = self.ok("case", "new", "--matter", "spjy-xk", "--applicant",
                        "申请人%d" % i, "--received", "2026-12-01",
                        "--contact", "13900000000", "--address", "南京",
                        "--as", "wang.li", "--data", apitest.DATA)
            self.cases.append(r.out.strip())
        self.acked = {}  # seq -> (case, text)
        self.lock = threading.Lock()

    def client(self, server, stop, index):
        n = 0
        while not stop.is_set():
            case = self.cases[(index + n) % CASES]
            text = "client %d note %d %s" % (index, n, os.urandom(4).hex())
            n += 1
            try:
                r = server.request("POST", "/api/v1/cases/%s/records" % case,
                                   {"kind": "note", "fields": {"text": text}},
                                   token=self.token)
            except OSError:
                return
            if r.status == 201:
                with self.lock:
                    self.acked[r.json["seq"]] = (case, text)

    def run_round(self, rnd):
        server = apitest.Server(self.dir)
        stop = threading.Event()
        threads = [threading.Thread(target=self.client, args=(server, stop, i))
                   for i in range(CLIENTS)]
        for t in threads:
            t.start()
        time.sleep(random.uniform(0.05, 0.6))
        os.kill(server.proc.pid, signal.SIGKILL)
        server.proc.wait()
        stop.set()
        for t in threads:
            t.join()
        server.log_file.close()
        os.unlink(server.log_file.name)

    def check_cases(self, server):
        seen = {}
        for case in self.cases:
            r = server.request("GET", "/api/v1/cases/%s" % case, token=self.token)
            self.assertEqual(r.status, 200, r)
            for rec in r.json["records"]:
                if rec["kind"] == "note":
                    seen[rec["seq"]] = (case, rec["fields"]["text"])
        for seq, want in self.acked.items():
            self.assertEqual(seen.get(seq), want,
                             "acknowledged record %d lost or changed" % seq)

    def test_kill_rounds(self):
        random.seed(int(os.environ.get("CASETRAIL_SEED", "1")))
        for rnd in range(ROUNDS):
            self.run_round(rnd)
        self.assertGreater(len(self.acked), ROUNDS, "too few records acknowledged")
        server = apitest.Server(self.dir)
        try:
            self.check_cases(server)
        finally:
            server.close()
        r = self.ct("rebuild", "--data", apitest.DATA)
        self.assertEqual(r.code, 0, r)
        self.assertTrue(r.json["match"], r)
        r = self.ct("verify")
        self.assertEqual(r.code, 0, r)


if __name__ == "__main__":
    unittest.main()
