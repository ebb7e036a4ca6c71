#!/usr/bin/env python3
"""Kill -9 of the server in the middle of a tus upload.

Each round creates an upload, acknowledges a first chunk, then kills
`casetrail serve` with SIGKILL while a second PATCH is still sending its
body, after a random delay. After a restart:

  - no media-ingest entry exists and no blob was stored, so a half file
    is never visible as media;
  - HEAD returns the last acknowledged offset, because a PATCH makes its
    offset durable only when it ends;
  - the upload finishes from that offset and the stored file's SHA-256
    matches the bytes sent.

Every other round kills the server during the final PATCH instead, while
the file is being ingested. Then the file is either stored whole or not
at all, and a retry of the final PATCH stores it. The store verifies at
the end.

Environment:
  CASETRAIL_UPLOAD_CRASH_ROUNDS  rounds (default 4)
  CASETRAIL_CRASH_SEED           seed of the kill delays (default 20261204)
"""

import base64
import hashlib
import os
import random
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import apitest  # noqa: E402
import ctest  # noqa: E402

ROUNDS = int(os.environ.get("CASETRAIL_UPLOAD_CRASH_ROUNDS", "4"))
SEED = int(os.environ.get("CASETRAIL_CRASH_SEED", "20261204"))

SIZE = 3_000_000
FIRST_CHUNK = 1_000_000
# The second PATCH sends its body in pieces with pauses, so that the kill
# lands while the body is still arriving.
PIECE = 50_000
PIECE_PAUSE_S = 0.01
KILL_DELAY_S = (0.02, 0.3)


def tus_headers(token, **extra):
    headers = {"Authorization": "Bearer " + token, "Tus-Resumable": "1.0.0"}
    headers.update(extra)
    return headers


def slow_patch(port, token, location, offset, data, stop):
    """Sends a PATCH of data from offset in pieces until stop is set or
    the server goes away."""
    head = ("PATCH %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Authorization: Bearer %s\r\nTus-Resumable: 1.0.0\r\n"
            "Upload-Offset: %d\r\n"
            "Content-Type: application/offset+octet-stream\r\n"
            "Content-Length: %d\r\n\r\n"
            % (location, token, offset, len(data)))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(head.encode())
            for i in range(0, len(data), PIECE):
                if stop.is_set():
                    return
                s.sendall(data[i:i + PIECE])
                time.sleep(PIECE_PAUSE_S)
    except OSError:
        pass


class KillUploadTest(apitest.ApiTest):

    def restart(self):
        """Kills the server with SIGKILL and starts a new one."""
        self.server.proc.kill()
        self.server.proc.wait()
        os.unlink(self.server.log_file.name)
        self.server = apitest.Server(self.dir)

    def create(self, length):
        meta = "device " + base64.b64encode(b"DSJ-A7-0042").decode()
        r = self.server.request("POST", "/api/v1/media/tus", headers=tus_headers(
            self.token, **{"Upload-Length": str(length),
                           "Upload-Metadata": meta}))
        self.assertEqual(r.status, 201, r)
        return r.headers["Location"]

    def patch(self, location, offset, data):
        return self.server.request("PATCH", location, data, tus_headers(
            self.token, **{"Upload-Offset": str(offset),
                           "Content-Type":
                           "application/offset+octet-stream"}))

    def head_offset(self, location):
        r = self.server.request("HEAD", location,
                                headers=tus_headers(self.token))
        self.assertEqual(r.status, 200, r)
        return int(r.headers["Upload-Offset"])

    def media_total(self):
        return self.get_ok("/api/v1/media")["total"]

    def kill_mid_patch(self, rng, data):
        location = self.create(len(data))
        self.assertEqual(self.patch(location, 0, data[:FIRST_CHUNK]).status,
                         204)
        entries = self.entries()
        media = self.media_total()
        blobs = ctest.blob_files(self.dir)

        stop = threading.Event()
        sender = threading.Thread(target=slow_patch, args=(
            self.server.port, self.token, location, FIRST_CHUNK,
            data[FIRST_CHUNK:], stop))
        sender.start()
        time.sleep(rng.uniform(*KILL_DELAY_S))
        self.restart()
        stop.set()
        sender.join()

        self.assertEqual(self.entries(), entries)
        self.assertEqual(self.media_total(), media)
        self.assertEqual(ctest.blob_files(self.dir), blobs)
        self.assertEqual(self.head_offset(location), FIRST_CHUNK)
        r = self.patch(location, FIRST_CHUNK, data[FIRST_CHUNK:])
        self.assertEqual(r.status, 200, r)
        return r.json

    def kill_mid_ingest(self, rng, data):
        location = self.create(len(data))
        self.assertEqual(self.patch(location, 0, data[:-1]).status, 204)
        before = self.media_total()

        def last_byte():
            try:
                self.patch(location, len(data) - 1, data[-1:])
            except OSError:
                pass

        sender = threading.Thread(target=last_byte)
        sender.start()
        time.sleep(rng.uniform(0, 0.05))
        self.restart()
        sender.join()

        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        if self.media_total() == before + 1:
            items = self.get_ok("/api/v1/media?limit=500")["items"]
            return [m for m in items if m["sha256"] == digest][0]
        self.assertEqual(self.media_total(), before)
        offset = self.head_offset(location)
        self.assertIn(offset, (len(data) - 1, len(data)))
        r = self.patch(location, offset, data[offset:])
        self.assertEqual(r.status, 200, r)
        return r.json

    def test_kill_during_upload(self):
        rng = random.Random(SEED)
        for round_ in range(ROUNDS):
            with self.subTest(round=round_):
                data = os.urandom(SIZE)
                if round_ % 2:
                    media = self.kill_mid_ingest(rng, data)
                else:
                    media = self.kill_mid_patch(rng, data)
                self.assertEqual(media["sha256"], "sha256:" +
                                 hashlib.sha256(data).hexdigest())
                r = self.get("/api/v1/media?hash=" + media["hash"])
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json["total"], 1)
        r = self.ct("verify")
        self.assertEqual(r.code, 0, r)


if __name__ == "__main__":
    ctest.main()
