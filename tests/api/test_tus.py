#!/usr/bin/env python3
"""Resumable media uploads with tus 1.0.0 against a real server.

Uploads are created with POST /api/v1/media/tus, sent in chunks with
PATCH, resumed with HEAD after a client disconnect and after the server
is killed with SIGKILL and restarted, and terminated with DELETE. Each
completed upload must be ingested whole: its SHA-256 in the reply must
match the bytes sent, computed here and by sha256sum. Bad headers get a
problem document that names the value.

Real recordings come from ../shared/data/media when that folder exists;
those tests are skipped without it.

Python 3 standard library only.
"""

import base64
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import apitest  # noqa: E402
import ctest  # noqa: E402

TUS = "/api/v1/media/tus"
OFFSET_STREAM = "application/offset+octet-stream"

# Seconds to wait for the server to see that a client closed its PATCH;
# libmicrohttpd 0.9.75 in epoll mode may notice only at its 30 s timeout.
DISCONNECT_TIMEOUT = 45

MEDIA = os.path.join(ctest.SHARED, "data", "media")
REAL_VIDEO = os.path.join(MEDIA, "metadata-extractor-images", "mp4",
                          "sample_mpeg4.mp4")


def b64(text):
    return base64.b64encode(text.encode()).decode()


def metadata(**fields):
    """Encodes fields as an Upload-Metadata value."""
    return ",".join("%s %s" % (key, b64(value))
                    for key, value in fields.items())


def sha256sum(data):
    """The SHA-256 of data by the sha256sum tool, else by hashlib."""
    if not shutil.which("sha256sum"):
        return hashlib.sha256(data).hexdigest()
    proc = subprocess.run(["sha256sum"], input=data, capture_output=True,
                          check=True)
    return proc.stdout.split()[0].decode()


class TusTest(apitest.ApiTest):
    """A server and helpers that speak tus with wang.li's token."""

    def tus(self, method, path, body=None, headers=None, token=True):
        headers = dict({"Tus-Resumable": "1.0.0"}, **(headers or {}))
        return self.call(method, path, body, headers, token=token)

    def create(self, length, token=True, **fields):
        fields.setdefault("device", "DSJ-A7-0042")
        fields.setdefault("filename", "clip.mp4")
        return self.tus("POST", TUS, None, {
            "Upload-Length": str(length),
            "Upload-Metadata": metadata(**fields)}, token=token)

    def create_ok(self, length, **fields):
        r = self.create(length, **fields)
        self.assertEqual(r.status, 201, r)
        return r.headers["Location"]

    def patch(self, location, offset, data, token=True, headers=None):
        headers = dict({"Upload-Offset": str(offset),
                        "Content-Type": OFFSET_STREAM}, **(headers or {}))
        return self.tus("PATCH", location, data, headers, token=token)

    def head(self, location, token=True):
        return self.tus("HEAD", location, token=token)

    def offset(self, location):
        r = self.head(location)
        self.assertEqual(r.status, 200, r)
        return int(r.headers["Upload-Offset"])

    def upload_in_chunks(self, location, data, chunk, start=0):
        """PATCHes data from start in chunks; returns the last reply."""
        r = None
        for offset in range(start, len(data), chunk):
            r = self.patch(location, offset, data[offset:offset + chunk])
            if offset + chunk < len(data):
                self.assertEqual(r.status, 204, r)
                self.assertEqual(r.headers["Upload-Offset"],
                                 str(offset + len(data[offset:offset + chunk])))
        return r

    def assert_head_not_found(self, r):
        """Checks a HEAD reply for an upload that does not exist."""
        self.assertEqual(r.status, 404, r)
        self.assertEqual(r.headers["Content-Type"],
                         "application/problem+json")
        self.assertIsNone(r.headers.get("Upload-Offset"))

    def assert_ingested(self, r, data):
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers["Tus-Resumable"], "1.0.0")
        self.assertEqual(r.headers["Upload-Offset"], str(len(data)))
        self.assertEqual(r.headers["Casetrail-Media-Seq"], str(r.json["seq"]))
        self.assertEqual(r.json["sha256"], "sha256:" + sha256sum(data))
        self.assertEqual(r.json["size"], len(data))
        return r.json


class TusProtocolTest(TusTest):

    def test_options_without_token(self):
        r = self.server.request("OPTIONS", TUS)
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.headers["Tus-Version"], "1.0.0")
        self.assertEqual(r.headers["Tus-Resumable"], "1.0.0")
        self.assertEqual(r.headers["Tus-Extension"], "creation,termination")
        self.assertEqual(r.headers["Tus-Max-Size"], str(64 << 30))

    def test_upload_in_chunks(self):
        data = os.urandom(300_000)
        location = self.create_ok(len(data), type="video")
        self.assertTrue(location.startswith(TUS + "/"), location)
        self.assertEqual(self.offset(location), 0)
        r = self.upload_in_chunks(location, data, 65_536)
        media = self.assert_ingested(r, data)
        self.assertEqual(media["type"], "video")
        self.assertEqual(media["name"], "clip.mp4")

        # A client that lost the last reply finds the seq with HEAD.
        r = self.head(location)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers["Upload-Offset"], str(len(data)))
        self.assertEqual(r.headers["Casetrail-Media-Seq"], str(media["seq"]))
        r = self.patch(location, len(data), b"")
        self.assert_problem(r, 409, "already-exists", str(media["seq"]))

    def test_head_returns_metadata(self):
        location = self.create_ok(10, window="window-3", type="surveillance")
        r = self.head(location)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers["Upload-Length"], "10")
        self.assertEqual(r.headers["Cache-Control"], "no-store")
        self.assertIn("window " + b64("window-3"),
                      r.headers["Upload-Metadata"])

    def test_offset_mismatch_conflict(self):
        location = self.create_ok(100)
        r = self.patch(location, 0, b"a" * 40)
        self.assertEqual(r.status, 204, r)
        r = self.patch(location, 10, b"b" * 10)
        self.assert_problem(r, 409, "offset-mismatch", "40")
        self.assertEqual(self.offset(location), 40)

    def test_patch_past_length(self):
        location = self.create_ok(10)
        r = self.patch(location, 0, b"x" * 11)
        self.assert_problem(r, 413, "body-too-large")
        self.assertEqual(self.offset(location), 0)

    def test_patch_wrong_content_type(self):
        location = self.create_ok(10)
        r = self.patch(location, 0, b"x" * 5,
                       headers={"Content-Type": "application/octet-stream"})
        self.assert_problem(r, 415, "unsupported-media-type")

    def test_missing_tus_resumable(self):
        r = self.call("POST", TUS, None, {"Upload-Length": "5"})
        self.assert_problem(r, 412, "tus-version")
        self.assertEqual(r.headers["Tus-Version"], "1.0.0")
        r = self.call("POST", TUS, None, {"Upload-Length": "5",
                                          "Tus-Resumable": "0.2.2"})
        self.assert_problem(r, 412, "tus-version", "0.2.2")

    def test_missing_upload_length(self):
        r = self.tus("POST", TUS, None, {
            "Upload-Metadata": metadata(device="cam")})
        self.assert_problem(r, 400, "invalid-header", "Upload-Length")
        r = self.tus("POST", TUS, None, {"Upload-Length": "-1",
                                         "Upload-Metadata": metadata(device="cam")})
        self.assert_problem(r, 400, "invalid-header", "'-1'")

    def test_upload_length_too_large(self):
        r = self.create((64 << 30) + 1)
        self.assert_problem(r, 413, "body-too-large", str((64 << 30) + 1))

    def test_bad_metadata_rejected(self):
        cases = [
            ("device " + b64("cam") + ",filename !!!", "filename"),
            ("device " + b64("cam") + ",colour " + b64("red"), "colour"),
            ("device " + b64("cam") + ",device " + b64("cam2"), "device"),
            ("filename " + b64("a.mp4"), "device"),
            ("device " + b64("cam") + ",type " + b64("movie"), "movie"),
            ("device " + b64("cam") + ",captured " + b64("yesterday"),
             "yesterday"),
            ("device " + b64("cam") + ",captured "
             + b64("2026-12-04T09:30:00+08:00"), "captured_reason"),
            ("device " + b64("cam") + ",record " + b64("007"), "007"),
            ("device " + b64("cam\nX-Injected: 1"), "control character"),
        ]
        for header, mention in cases:
            with self.subTest(header=header):
                r = self.tus("POST", TUS, None, {"Upload-Length": "5",
                                                 "Upload-Metadata": header})
                self.assert_problem(r, 400, "invalid-header", mention)

    def test_path_filename_rejected(self):
        for name in ("../../etc/passwd", "..", "a/b.mp4", "dir\\clip.mp4"):
            with self.subTest(name=name):
                r = self.create(5, filename=name)
                self.assert_problem(r, 400, "invalid-header", "filename")

    def test_unicode_filename_kept(self):
        data = b"recording"
        location = self.create_ok(len(data), filename="询问笔录 录像.mp4")
        r = self.patch(location, 0, data)
        media = self.assert_ingested(r, data)
        self.assertEqual(media["name"], "询问笔录 录像.mp4")

    def test_empty_file_upload(self):
        location = self.create_ok(0)
        r = self.patch(location, 0, b"")
        self.assert_ingested(r, b"")

    def test_terminate_upload(self):
        location = self.create_ok(100)
        self.assertEqual(self.patch(location, 0, b"x" * 50).status, 204)
        r = self.tus("DELETE", location)
        self.assertEqual(r.status, 204, r)
        self.assert_head_not_found(self.head(location))
        self.assert_problem(self.patch(location, 50, b"y"), 404, "not-found")
        tmp = os.listdir(self.path("blobs", "tmp"))
        self.assertFalse([n for n in tmp if n.startswith("blob-tus-")], tmp)

    def test_other_user_sees_nothing(self):
        location = self.create_ok(100)
        self.assertEqual(self.patch(location, 0, b"x" * 50).status, 204)
        other = self.other_token
        self.assert_head_not_found(self.head(location, token=other))
        self.assert_problem(self.patch(location, 50, b"y" * 50, token=other),
                            404, "not-found")
        self.assert_problem(self.tus("DELETE", location, token=other), 404,
                            "not-found")
        self.assertEqual(self.offset(location), 50)

    def test_unknown_upload_id(self):
        for upload in ("0" * 32, "..%2F..%2Fcasetrail.db", "ABC"):
            with self.subTest(upload=upload):
                r = self.head(TUS + "/" + upload)
                self.assertIn(r.status, (400, 404), r)

    def test_upload_needs_token(self):
        r = self.create(10, token=False)
        self.assert_problem(r, 401, "unauthorized")

    def test_unfinished_uploads_bounded(self):
        for _ in range(16):
            self.create_ok(10)
        r = self.create(10)
        self.assert_problem(r, 429, "too-many-uploads", "16")
        # Another user has a limit of its own.
        r = self.create(10, token=self.other_token)
        self.assertEqual(r.status, 201, r)

    def test_metadata_checked_at_creation(self):
        # What the ingest would reject fails before any byte is sent.
        r = self.create(1 << 30, case="2026-999999")
        self.assertEqual(r.status, 404, r)
        self.assertIn("2026-999999", r.json["detail"])
        r = self.create(1 << 30, officer="nobody")
        self.assertEqual(r.status, 422, r)
        self.assertIn("officer 'nobody' is not a registered user", r.json["detail"])
        r = self.create(10, captured="2099-01-01T00:00:00Z", captured_reason="x")
        self.assertEqual(r.status, 422, r)
        self.assertIn("in the future", r.json["detail"])

    def test_resume_after_client_disconnect(self):
        data = os.urandom(200_000)
        location = self.create_ok(len(data))
        half = len(data) // 2
        head = ("PATCH %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Authorization: Bearer %s\r\nTus-Resumable: 1.0.0\r\n"
                "Upload-Offset: 0\r\nContent-Type: %s\r\n"
                "Content-Length: %d\r\n\r\n"
                % (location, self.token, OFFSET_STREAM, len(data)))
        with socket.create_connection(("127.0.0.1", self.server.port)) as s:
            s.sendall(head.encode() + data[:half])
            time.sleep(0.2)

        # Until the server sees the close, the upload is in use (423),
        # and an offset read just before it kept the bytes is stale (409).
        deadline = time.monotonic() + DISCONNECT_TIMEOUT
        while True:
            offset = self.offset(location)
            r = self.patch(location, offset, b"")
            if r.status not in (409, 423) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(r.status, 204, r)
        self.assertEqual(self.offset(location), half)
        r = self.upload_in_chunks(location, data, 64_000, start=half)
        self.assert_ingested(r, data)

    def test_resume_after_server_kill(self):
        data = os.urandom(500_000)
        location = self.create_ok(len(data))
        self.assertEqual(self.patch(location, 0, data[:120_000]).status, 204)
        self.assertEqual(self.patch(location, 120_000,
                                    data[120_000:250_000]).status, 204)

        self.server.proc.kill()
        self.server.proc.wait()
        self.server = apitest.Server(self.dir)

        self.assertEqual(self.offset(location), 250_000)
        r = self.upload_in_chunks(location, data, 100_000, start=250_000)
        media = self.assert_ingested(r, data)
        r = self.get("/api/v1/media/%d" % media["seq"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["sha256"], "sha256:" + sha256sum(data))

    def test_real_video_upload(self):
        if not os.path.exists(REAL_VIDEO):
            self.skipTest("no shared media data")
        with open(REAL_VIDEO, "rb") as f:
            data = f.read()
        location = self.create_ok(len(data), filename="sample_mpeg4.mp4")
        r = self.upload_in_chunks(location, data, 100_000)
        media = self.assert_ingested(r, data)
        self.assertEqual(media["media_type"], "video/mp4")


if __name__ == "__main__":
    ctest.main()
