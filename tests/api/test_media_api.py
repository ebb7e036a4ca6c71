#!/usr/bin/env python3
"""The media API against a real server: multipart ingest, reading and
listing files, custody, the acts on a file, and content with Range.

Content is checked byte for byte against the file sent. Each playback
or download session must leave exactly one media-access entry, however
many Range requests it takes; the custody of the file lists them.

Real recordings come from ../shared/data/media when that folder exists;
those tests are skipped without it.

Python 3 standard library only.
"""

import hashlib
import os
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import apitest  # noqa: E402
import ctest  # noqa: E402
import workflow  # noqa: E402

MEDIA = os.path.join(ctest.SHARED, "data", "media")
REAL_PHOTO_DIR = os.path.join(MEDIA, "exif-py", "jpg")


def multipart(fields, file_data=None, file_name="clip.mp4"):
    """Encodes fields and one file part as multipart/form-data."""
    boundary = uuid.uuid4().hex
    parts = []
    for key, value in fields.items():
        parts.append(('--%s\r\nContent-Disposition: form-data; name="%s"'
                      '\r\n\r\n' % (boundary, key)).encode()
                     + value.encode() + b"\r\n")
    if file_data is not None:
        parts.append(('--%s\r\nContent-Disposition: form-data; name="file";'
                      ' filename="%s"\r\nContent-Type: '
                      'application/octet-stream\r\n\r\n'
                      % (boundary, file_name)).encode()
                     + file_data + b"\r\n")
    body = b"".join(parts) + ("--%s--\r\n" % boundary).encode()
    return body, "multipart/form-data; boundary=" + boundary


def first_real_photo():
    """A JPEG from the shared data, or None."""
    if not os.path.isdir(REAL_PHOTO_DIR):
        return None
    for name in sorted(os.listdir(REAL_PHOTO_DIR)):
        if name.lower().endswith(".jpg"):
            return os.path.join(REAL_PHOTO_DIR, name)
    return None


class MediaTest(apitest.ApiTest):
    """A server with helpers to ingest and read media. Both staff members
    are cleared for the faces and voices that files show (docs/access.md);
    test_confidentiality.py covers readers who are not."""

    def setUp(self):
        super().setUp()
        for user in ("wang.li", "zhao.min"):
            self.ok("user", "clearance", user, "sensitive-personal,commercial-secret")

    def ingest(self, data, token=True, file_name="clip.mp4", **fields):
        fields.setdefault("device", "DSJ-A7-0042")
        body, content_type = multipart(fields, data, file_name)
        return self.call("POST", "/api/v1/media", body,
                         {"Content-Type": content_type}, token=token)

    def ingest_ok(self, data, **fields):
        r = self.ingest(data, **fields)
        self.assertEqual(r.status, 201, r)
        return r.json

    def content(self, seq, range_=None, query="", token=True, method="GET",
                headers=None):
        headers = dict(headers or {})
        if range_ is not None:
            headers["Range"] = range_
        return self.call(method, "/api/v1/media/%d/content%s" % (seq, query),
                         None, headers, token=token)

    def accesses(self, seq):
        """The media-access events in the custody of media seq."""
        r = self.get("/api/v1/media/%d/custody" % seq)
        self.assertEqual(r.status, 200, r)
        return [e for e in r.json["events"] if e["kind"] == "media-access"]


class MultipartTest(MediaTest):

    def test_small_file_ingested(self):
        data = os.urandom(5000)
        r = self.ingest(data, type="video", officer="wang.li")
        self.assertEqual(r.status, 201, r)
        media = r.json
        self.assertEqual(media["sha256"],
                         "sha256:" + hashlib.sha256(data).hexdigest())
        self.assertEqual(media["size"], len(data))
        self.assertEqual(media["name"], "clip.mp4")
        self.assertEqual(r.headers["Location"],
                         "/api/v1/media/%d" % media["seq"])
        got = self.get_ok("/api/v1/media/%d" % media["seq"])
        self.assertEqual(got["hash"], media["hash"])

    def test_filename_field_wins(self):
        media = self.ingest_ok(b"abc", filename="现场照片.jpg")
        self.assertEqual(media["name"], "现场照片.jpg")

    def test_missing_file_part(self):
        body, content_type = multipart({"device": "cam"})
        r = self.call("POST", "/api/v1/media", body,
                      {"Content-Type": content_type})
        self.assert_problem(r, 422, "validation-failed", "file")

    def test_missing_device(self):
        body, content_type = multipart({}, b"abc")
        r = self.call("POST", "/api/v1/media", body,
                      {"Content-Type": content_type})
        self.assert_problem(r, 422, "validation-failed", "device")

    def test_unknown_field(self):
        r = self.ingest(b"abc", colour="red")
        self.assert_problem(r, 422, "validation-failed", "colour")

    def test_path_file_name_rejected(self):
        r = self.ingest(b"abc", file_name="../../x.mp4")
        self.assert_problem(r, 422, "validation-failed", "filename")

    def test_wrong_content_type(self):
        r = self.call("POST", "/api/v1/media", b"abc",
                      {"Content-Type": "application/octet-stream"})
        self.assert_problem(r, 415, "unsupported-media-type")

    def test_needs_token(self):
        r = self.ingest(b"abc", token=False)
        self.assert_problem(r, 401, "unauthorized")

    def test_real_photo(self):
        path = first_real_photo()
        if not path:
            self.skipTest("no shared media data")
        with open(path, "rb") as f:
            data = f.read()
        media = self.ingest_ok(data, type="photo",
                               file_name=os.path.basename(path))
        self.assertEqual(media["media_type"], "image/jpeg")
        r = self.get("/api/v1/media/%d/thumbnail" % media["seq"])
        self.assertIn(r.status, (200, 404), r)
        if r.status == 200:
            self.assertEqual(r.headers["Accept-Ranges"], "bytes")
            self.assertTrue(r.headers["Content-Type"].startswith("image/"))
        # A thumbnail is not a playback: no access is recorded.
        self.assertEqual(self.accesses(media["seq"]), [])


class ReadTest(MediaTest):

    def test_get_unknown_and_malformed(self):
        self.assert_problem(self.get("/api/v1/media/999"), 404, "not-found")
        self.assert_problem(self.get("/api/v1/media/01"), 400,
                            "invalid-path", "01")

    def test_list_filters(self):
        a = self.ingest_ok(b"one", type="photo")
        self.ingest_ok(b"two", type="audio")
        page = self.get_ok("/api/v1/media?type=photo")
        self.assertEqual([m["seq"] for m in page["items"]], [a["seq"]])
        page = self.get_ok("/api/v1/media?hash=" + a["hash"])
        self.assertEqual(page["total"], 1)
        page = self.get_ok("/api/v1/media?limit=1")
        self.assertEqual(len(page["items"]), 1)
        self.assertEqual(page["total"], 2)

    def test_list_unknown_filter(self):
        r = self.get("/api/v1/media?colour=red")
        self.assert_problem(r, 400, "invalid-parameter", "colour")

    def test_custody_lists_ingest(self):
        media = self.ingest_ok(b"custody")
        r = self.get("/api/v1/media/%d/custody" % media["seq"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["hash"], media["hash"])
        kinds = [e["kind"] for e in r.json["events"]]
        self.assertEqual(kinds, ["media-ingest"])

    def test_state_capture(self):
        media = self.ingest_ok(b"no clock")
        r = self.post("/api/v1/media/%d/capture" % media["seq"],
                      {"start": "2026-12-04T09:30:00+08:00",
                       "reason": "the camera clock was not set"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["kind"], "media-capture")
        r = self.post("/api/v1/media/%d/capture" % media["seq"],
                      {"start": "yesterday", "reason": "x"})
        self.assert_problem(r, 422, "validation-failed", "yesterday")
        r = self.post("/api/v1/media/%d/capture" % media["seq"],
                      {"start": "2026-12-04T09:30:00+08:00"})
        self.assert_problem(r, 422, "validation-failed", "reason")

    def test_link_to_record(self):
        matter = self.get_ok("/api/v1/matters?limit=1")["items"][0]["code"]
        case = self.open_case(matter)
        r = self.post("/api/v1/cases/%s/records" % case["id"],
                      {"kind": "note", "fields": {"text": "询问"}})
        self.assertEqual(r.status, 201, r)
        media = self.ingest_ok(b"interview", case=case["id"])
        r = self.post("/api/v1/media/%d/links" % media["seq"],
                      {"record": r.json["seq"]})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["kind"], "media-link")
        r = self.post("/api/v1/media/%d/links" % media["seq"],
                      {"record": "x"})
        self.assert_problem(r, 422, "validation-failed", "record")

    def test_justification_members(self):
        media = self.ingest_ok(b"late")
        r = self.post("/api/v1/media/%d/justification" % media["seq"],
                      {"reason": "network down"})
        self.assert_problem(r, 422, "validation-failed", "approved_by")
        r = self.post("/api/v1/media/%d/justification" % media["seq"],
                      {"reason": "x", "approved_by": "zhao.min", "at": 1})
        self.assert_problem(r, 422, "validation-failed", "at")


class ScriptFileTest(MediaTest):
    """Stored files that a browser could run (HTML, SVG) are evidence like
    any other, but their content goes out as a download in a sandbox, so
    that opening the link cannot run them in the UI's origin."""

    def test_html_and_svg_are_downloads(self):
        for name, data in (("page.html", b"<html><script>alert(1)</script></html>"),
                           ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" '
                                        b'onload="alert(1)"><script>alert(2)</script></svg>')):
            with self.subTest(name=name):
                seq = self.ingest_ok(data, file_name=name)["seq"]
                r = self.content(seq)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.body, data)
                self.assertEqual(r.headers["Content-Type"], "application/octet-stream")
                self.assertTrue(r.headers["Content-Disposition"].startswith("attachment;"))
                self.assertIn("sandbox", r.headers["Content-Security-Policy"])

    def test_photo_shows_in_place_sandboxed(self):
        seq = self.ingest_ok(workflow.png_bytes(), file_name="scan.png")["seq"]
        r = self.content(seq)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers["Content-Type"], "image/png")
        self.assertIsNone(r.headers.get("Content-Disposition"))
        self.assertIn("sandbox", r.headers["Content-Security-Policy"])

    def test_json_replies_load_nothing(self):
        r = self.get("/api/v1/media?limit=1")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers["Content-Security-Policy"],
                         "default-src 'none'; frame-ancestors 'none'")


class RangeTest(MediaTest):

    def setUp(self):
        super().setUp()
        self.data = os.urandom(10_000)
        self.seq = self.ingest_ok(self.data)["seq"]

    def assert_part(self, r, start, end):
        self.assertEqual(r.status, 206, r)
        self.assertEqual(r.body, self.data[start:end + 1])
        self.assertEqual(r.headers["Content-Range"],
                         "bytes %d-%d/%d" % (start, end, len(self.data)))
        self.assertEqual(r.headers["Accept-Ranges"], "bytes")

    def assert_whole(self, r):
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, self.data)
        self.assertIsNone(r.headers.get("Content-Range"))

    def test_whole_file(self):
        r = self.content(self.seq)
        self.assert_whole(r)
        self.assertEqual(r.headers["Accept-Ranges"], "bytes")
        self.assertTrue(r.headers["ETag"].startswith('"sm3:'))
        self.assertEqual(r.headers["Cache-Control"], "no-store")

    def test_first_bytes(self):
        self.assert_part(self.content(self.seq, "bytes=0-99"), 0, 99)

    def test_suffix(self):
        self.assert_part(self.content(self.seq, "bytes=-100"), 9900, 9999)
        self.assert_part(self.content(self.seq, "bytes=-20000"), 0, 9999)

    def test_open_ended(self):
        self.assert_part(self.content(self.seq, "bytes=9000-"), 9000, 9999)

    def test_last_past_end_cut(self):
        self.assert_part(self.content(self.seq, "bytes=9990-20000"),
                         9990, 9999)
        self.assert_part(self.content(
            self.seq, "bytes=5-99999999999999999999999999"), 5, 9999)

    def test_whitespace_allowed(self):
        self.assert_part(self.content(self.seq, "bytes=10-19 "), 10, 19)

    def test_unsatisfiable(self):
        for value in ("bytes=10000-", "bytes=20000-30000", "bytes=-0",
                      "bytes=99999999999999999999999-"):
            with self.subTest(value=value):
                r = self.content(self.seq, value)
                self.assert_problem(r, 416, "range-not-satisfiable")
                self.assertEqual(r.headers["Content-Range"], "bytes */10000")

    def test_malformed_ignored(self):
        for value in ("bytes=abc", "bytes=5-1", "items=0-1", "bytes=",
                      "bytes=1-2-3", "bytes=--5", "0-99"):
            with self.subTest(value=value):
                self.assert_whole(self.content(self.seq, value))

    def test_several_ranges_whole(self):
        self.assert_whole(self.content(self.seq, "bytes=0-1, 5-6"))

    def test_if_range(self):
        etag = self.content(self.seq).headers["ETag"]
        self.assert_part(self.content(self.seq, "bytes=0-9",
                                      headers={"If-Range": etag}), 0, 9)
        self.assert_whole(self.content(self.seq, "bytes=0-9",
                                       headers={"If-Range": '"other"'}))

    def test_head_no_access(self):
        r = self.content(self.seq, method="HEAD")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers["Content-Length"], str(len(self.data)))
        self.assertEqual(self.accesses(self.seq), [])

    def test_one_access_per_session(self):
        for start in range(0, 10_000, 1000):
            r = self.content(self.seq, "bytes=%d-%d" % (start, start + 999))
            self.assert_part(r, start, start + 999)
        accesses = self.accesses(self.seq)
        self.assertEqual(len(accesses), 1, accesses)
        self.assertEqual(accesses[0]["fields"]["mode"], "playback")
        self.assertEqual(accesses[0]["actor"], "wang.li")
        session = r.headers["Casetrail-Media-Session"]
        self.assertEqual(accesses[0]["fields"]["session"], session)

    def test_named_sessions(self):
        for _ in range(3):
            self.content(self.seq, "bytes=0-9", "?session=player-1")
        self.content(self.seq, "bytes=0-9", "?session=player-2")
        sessions = [a["fields"]["session"] for a in self.accesses(self.seq)]
        self.assertEqual(sorted(sessions), ["player-1", "player-2"])

    def test_download_session(self):
        self.content(self.seq, "bytes=0-9")
        r = self.content(self.seq, None, "?download=1")
        self.assert_whole(r)
        self.assertTrue(r.headers["Content-Disposition"].startswith(
            "attachment;"), r.headers["Content-Disposition"])
        self.assertIn("clip.mp4", r.headers["Content-Disposition"])
        modes = sorted(a["fields"]["mode"] for a in self.accesses(self.seq))
        self.assertEqual(modes, ["download", "playback"])

    def test_other_user_new_session(self):
        self.content(self.seq, "bytes=0-9")
        self.content(self.seq, "bytes=0-9", token=self.other_token)
        actors = sorted(a["actor"] for a in self.accesses(self.seq))
        self.assertEqual(actors, ["wang.li", "zhao.min"])

    def test_invalid_session(self):
        for query in ("?session=a%20b", "?session=" + "x" * 65,
                      "?download=2", "?colour=1"):
            with self.subTest(query=query):
                r = self.content(self.seq, None, query)
                self.assert_problem(r, 400, "invalid-parameter")
        self.assertEqual(self.accesses(self.seq), [])

    def test_empty_file_ranges(self):
        seq = self.ingest_ok(b"")["seq"]
        r = self.content(seq)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, b"")
        r = self.content(seq, "bytes=0-")
        self.assert_problem(r, 416, "range-not-satisfiable")
        self.assertEqual(r.headers["Content-Range"], "bytes */0")


if __name__ == "__main__":
    ctest.main()
