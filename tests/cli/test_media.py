"""Audio-visual evidence through the command line: ingest, capture time,
flags, the 24-hour rule, links to records, deduplication, custody and the
import of a camera's folder."""

import datetime
import hashlib
import json
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))

import ctest  # noqa: E402
import mediafiles  # noqa: E402
from workflow import CST, WorkflowTest, at, now_cst  # noqa: E402

MEDIA = os.path.join(ctest.SHARED, "data", "media")
MALFORMED = os.path.join(ctest.SHARED, "data", "malformed")
FFMPEG = shutil.which("ffmpeg")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def utc_text(t):
    return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class MediaTest(WorkflowTest):
    def video(self, name, start, seconds=2):
        """Makes a small MP4 whose creation_time is start (a datetime)."""
        path = os.path.join(self.tmp, name)
        mediafiles.mp4(path, start, seconds)
        return path

    def blob(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def ingest(self, *paths, expect=0, **opts):
        args = ["media", "ingest", *paths, "--json"]
        opts.setdefault("device", "BWC-001")
        opts.setdefault("as_", "li.handler")
        for k, v in opts.items():
            if v is True:
                args.append("--" + k.rstrip("_").replace("_", "-"))
            elif v is not None:
                args += ["--" + k.rstrip("_").replace("_", "-"), str(v)]
        r = self.ct(*args)
        self.assertEqual(r.code, expect, r)
        return r.json["items"] if expect == 0 else r

    def raw(self, *args):
        """Runs casetrail with byte arguments (not valid UTF-8)."""
        proc = subprocess.run([ctest.BIN.encode(), *args, b"--dir", self.dir.encode()],
                              capture_output=True, timeout=120)
        return ctest.Result(proc)

    def all_findings(self):
        return self.ok("findings", "--json").json["items"]


@unittest.skipUnless(FFMPEG, "ffmpeg is not installed")
class IngestTest(MediaTest):
    def test_video_hashes_capture_and_delay(self):
        start = now_cst() - datetime.timedelta(hours=2)
        path = self.video("clip.mp4", start, seconds=3)
        [f] = self.ingest(path, device_copy_deleted=True)
        self.assertEqual(f["sha256"], sha256(path), "SHA-256 as sha256sum prints it")
        self.assertTrue(f["hash"].startswith("sm3:"), f["hash"])
        self.assertEqual(f["type"], "video")
        self.assertEqual(f["media_type"], "video/mp4")
        cap = f["captured"]
        self.assertTrue(cap["trusted"], cap)
        got = datetime.datetime.fromisoformat(cap["start"])
        self.assertLess(abs((got - start).total_seconds()), 1.5, cap)
        self.assertAlmostEqual(cap["duration_ms"], 3000, delta=300)
        end = datetime.datetime.fromisoformat(cap["end"])
        self.assertAlmostEqual((end - got).total_seconds(), 3, delta=0.3)
        self.assertAlmostEqual(f["delay_ms"] / 3600000, 2, delta=0.1)
        self.assertEqual(f["flags"], [], "a good file within 24 hours has no flags")
        self.assertIn("thumbnail", f, "a poster frame is stored")
        stored = self.ok("media", "show", str(f["seq"])).json
        self.assertEqual(stored["hash"], f["hash"])
        self.assertEqual(stored["thumbnail"]["hash"], f["thumbnail"]["hash"])
        self.assertEqual(self.ok("verify").code, 0)

    def test_late_upload_is_flagged_and_found(self):
        start = now_cst() - datetime.timedelta(hours=30)
        [f] = self.ingest(self.video("late.mp4", start), device="BWC-7", officer="sun.officer",
                          device_copy_deleted=True)
        self.assertIn("late-upload", f["flags"])
        [finding] = [x for x in self.all_findings() if x["code"] == "late-av-upload"]
        self.assertEqual(finding["record"], f["seq"])
        self.assertEqual(finding["responsible"], "sun.officer")
        self.assertEqual(finding["superior"], "zhao.rev")
        self.assertEqual(finding["device"], "BWC-7")
        self.assertIn("BWC-7", finding["detail"])
        self.assertAlmostEqual(finding["delay_ms"] / 3600000, 30, delta=0.2)

    def test_late_upload_of_a_case_stays_after_justification(self):
        case = self.new_case()
        start = now_cst() - datetime.timedelta(days=3)
        [f] = self.ingest(self.video("late.mp4", start), case=case, device_copy_deleted=True)
        late = [x for x in self.findings(case) if x["code"] == "late-av-upload"]
        self.assertEqual(len(late), 1, late)
        r = self.ct("media", "justify", str(f["seq"]), "--reason", "执法记录仪在外地封存",
                    "--approved-by", "li.handler", "--as", "li.handler")
        self.assertEqual(r.code, 2, r)
        self.assertIn("cannot approve", r.err)
        self.ok("media", "justify", str(f["seq"]), "--reason", "执法记录仪在外地封存",
                "--approved-by", "zhao.rev", "--as", "li.handler")
        late = [x for x in self.findings(case, open_only=True) if x["code"] == "late-av-upload"]
        self.assertEqual(len(late), 1, "an approved reason does not erase the finding")
        r = self.ct("media", "justify", str(f["seq"]), "--reason", "again",
                    "--approved-by", "zhao.rev", "--as", "li.handler")
        self.assertEqual(r.code, 2, r)
        self.assertIn("justified already", r.err)
        self.assertEqual(late[0]["justified"]["approved_by"], "zhao.rev")
        self.assertEqual(late[0]["justified"]["reason"], "执法记录仪在外地封存")

    def test_stated_time_adds_lateness_only(self):
        [f] = self.ingest(self.video("fresh.mp4", now_cst()), device_copy_deleted=True)
        self.assertNotIn("late-upload", f["flags"])
        self.ok("media", "capture", str(f["seq"]), "--start", at(-3), "--reason", "时钟慢",
                "--as", "li.handler")
        row = self.ok("media", "show", str(f["seq"])).json
        self.assertIn("late-upload", row["flags"])
        self.assertEqual([x["record"] for x in self.all_findings()
                          if x["code"] == "late-av-upload"], [f["seq"]])
        # In a case, the case's evaluation finds it too, and a later
        # statement of a recent time does not remove it.
        case = self.new_case()
        start = now_cst() - datetime.timedelta(days=2)
        [g] = self.ingest(self.video("late.mp4", start), case=case, device_copy_deleted=True)
        [h] = self.ingest(self.video("ok.mp4", now_cst()), case=case, device_copy_deleted=True)
        self.ok("media", "capture", str(h["seq"]), "--start", at(-3), "--reason", "时钟慢",
                "--as", "li.handler")
        self.ok("media", "capture", str(g["seq"]), "--start", at(0, 0), "--reason", "改时间",
                "--as", "li.handler")
        late = sorted(x["record"] for x in self.findings(case, open_only=True)
                      if x["code"] == "late-av-upload")
        self.assertEqual(late, [g["seq"], h["seq"]])

    def test_same_content_twice_is_one_blob_two_entries(self):
        path = self.video("a.mp4", now_cst() - datetime.timedelta(hours=1))
        [a] = self.ingest(path)
        with open(path, "rb") as f:
            copy = self.blob("copy.mp4", f.read())
        [b] = self.ingest(copy, device="PHONE-2")
        self.assertEqual(a["hash"], b["hash"])
        self.assertNotEqual(a["seq"], b["seq"])
        self.assertEqual(b["duplicates"], [a["seq"]])
        custody = self.ok("media", "custody", a["hash"], "--json").json
        self.assertEqual([e["seq"] for e in custody["events"]
                          if e["kind"] == "media-ingest"], [a["seq"], b["seq"]])
        self.assertTrue(custody["stored"])
        self.assertEqual(custody["sha256"], sha256(path))

    def test_empty_and_garbage_files_are_stored_and_flagged(self):
        empty = self.blob("empty.mp4", b"")
        junk = self.blob("junk.mp4", b"\x00\x00\x00\x18ftypmp42" + os.urandom(3000))
        e, j = self.ingest(empty, junk)
        self.assertEqual(e["size"], 0)
        self.assertIn("empty", e["flags"])
        self.assertIn("untrusted-capture-time", e["flags"])
        self.assertIn("untrusted-capture-time", j["flags"])
        self.assertTrue(set(j["flags"]) & {"damaged", "unprobeable"}, j["flags"])
        [u] = self.ingest(self.blob("noise.bin", os.urandom(5000)))
        self.assertIn("unknown-format", u["flags"])
        self.assertEqual(u["type"], "other")
        self.assertEqual(j["sha256"], sha256(junk))
        self.assertEqual(self.ok("verify").code, 0)

    def test_stated_capture_time(self):
        empty = self.blob("nometa.bin", b"recorder output without a clock")
        [f] = self.ingest(empty, type="audio")
        self.assertIn("untrusted-capture-time", f["flags"])
        self.assertNotIn("start", f["captured"])
        r = self.ct("media", "capture", str(f["seq"]), "--start", at(0, 0), "--as", "li.handler")
        self.assertEqual(r.code, 2, r)
        self.ok("media", "capture", str(f["seq"]), "--start", at(0, 0),
                "--reason", "记录仪时钟未设置，按询问笔录记载时间", "--as", "li.handler")
        row = self.ok("media", "show", str(f["seq"])).json
        self.assertEqual(datetime.datetime.fromisoformat(row["captured"]["start"]),
                         datetime.datetime.fromisoformat(at(0, 0)))
        self.assertEqual(row["captured"]["stated"]["by"], "li.handler")
        self.assertEqual(row["captured"]["source"], "stated")
        r = self.ct("media", "capture", str(f["seq"]), "--start", "1970-01-02T00:00:00Z",
                    "--reason", "x", "--as", "li.handler")
        self.assertEqual(r.code, 2, r)
        self.assertIn("before 1990", r.err)
        # Stating it at ingest works the same way.
        [g] = self.ingest(self.blob("n2.bin", b"second"), captured=at(0, 0),
                          captured_reason="按笔录时间")
        self.assertEqual(g["captured"]["source"], "stated")
        self.assertEqual(g["captured"]["stated"]["by"], "li.handler")
        self.assertIn("delay_ms", g)

    def test_audio_is_not_damaged(self):
        path = os.path.join(self.tmp, "talk.m4a")
        subprocess.run([FFMPEG, "-v", "error", "-y", "-f", "lavfi", "-i",
                        "sine=duration=2", "-metadata",
                        "creation_time=" + utc_text(now_cst()), path], check=True, timeout=60)
        [f] = self.ingest(path, device_copy_deleted=True)
        self.assertEqual(f["type"], "audio")
        self.assertEqual(f["flags"], [])
        self.assertNotIn("thumbnail", f)

    def test_file_name_kept_as_data(self):
        raw = os.path.join(self.tmp.encode(), b"\xc9\xe3\xcf\xf1.bin")
        with open(raw, "wb") as f:
            f.write(b"gbk named")
        r = self.raw(b"media", b"ingest", raw, b"--device", b"X", b"--as", b"li.handler",
                     b"--json")
        self.assertEqual(r.code, 0, r)
        self.assertEqual(json.loads(r.out)["items"][0]["name"], "\\xc9\\xe3\\xcf\\xf1.bin")

    def test_future_capture_time_is_untrusted(self):
        path = self.video("future.mp4", now_cst() + datetime.timedelta(days=400))
        [f] = self.ingest(path)
        self.assertIn("untrusted-capture-time", f["flags"])
        self.assertIn("future", " ".join(f["captured"]["untrusted"]))

    def test_bad_input(self):
        path = self.video("ok.mp4", now_cst())
        cases = [
            (dict(device=None), "the device is missing"),
            (dict(type="movie"), "type 'movie' is unknown"),
            (dict(window="W1"), "--window applies only to --type surveillance"),
            (dict(type="surveillance"), "the window is missing"),
            (dict(captured="2099-01-01T00:00:00Z", captured_reason="x"), "in the future"),
            (dict(captured="1970-01-01T00:00:00Z", captured_reason="x"), "before 1990"),
            (dict(device="BWC\n1"), "--device contains the control character 0x0a"),
            (dict(captured=at(0, 0)), "needs its reason"),
            (dict(as_="nobody"), "user 'nobody' is not registered"),
            (dict(officer="ghost"), "officer 'ghost' is not a registered user"),
            (dict(case="XK-0000-9999"), "case 'XK-0000-9999' not found"),
        ]
        for opts, message in cases:
            r = self.ingest(path, expect=2, **opts)
            self.assertIn(message, r.err, opts)

        r = self.ingest(os.path.join(self.tmp, "missing.mp4"), expect=2)
        self.assertIn("missing.mp4", r.err)
        r = self.ct("media", "ingest", path, "--device", "X", "--captured", "yesterday")
        self.assertEqual(r.code, 2, r)
        self.assertIn("yesterday", r.err)
        r = self.raw(b"media", b"ingest", path.encode(), b"--device", b"X", b"--type",
                    b"surveillance", b"--window", b"W\xff", b"--as", b"li.handler")
        self.assertEqual(r.code, 2, r)
        self.assertIn(b"--window is not valid UTF-8", r.err)

        os.mkfifo(os.path.join(self.tmp, "fifo"))
        for special in (os.path.join(self.tmp, "fifo"), "/dev/zero", self.tmp):
            r = self.ingest(special, expect=2)
            self.assertIn("is not a regular file", r.err)
        r = self.ct("media", "list", "--device", "X")
        self.assertEqual(r.code, 2, r)
        self.assertEqual(self.ok("media", "list", "--json").json["total"], 0,
                         "nothing was recorded by a rejected ingest")


@unittest.skipUnless(FFMPEG, "ffmpeg is not installed")
class RecordLinkTest(MediaTest):
    def inspection(self, case, when, use_at=True):
        f = {"place": "经营场所", "start": when, "end": when,
             "officers": [{"user": "li.handler", "credential_no": "32010001",
                           "credential_shown": True},
                          {"user": "sun.officer", "credential_no": "32010004",
                           "credential_shown": True}],
             "findings": "一致。", "pages": 1, "confirmation": "以上笔录我已看过，与我所说相符",
             "signatures": [{"role": "officer", "person": "li.handler", "method": "staff",
                             "at": when},
                            {"role": "officer", "person": "sun.officer", "method": "staff",
                             "at": when},
                            {"role": "party", "person": "张三", "method": "paper",
                             "attachment": 0, "at": when, "pages": [1]}]}
        return self.add(case, "onsite-verification", f, "li.handler", attach=1,
                        when=when if use_at else None)["seq"]

    def accepted(self):
        case = self.new_case(received=at(-6))
        self.receipt(case, days=-6)
        self.accept(case, days=-5)
        self.assign(case)
        return case

    def test_missing_av_raised_then_cured_by_a_link(self):
        case = self.accepted()
        seq = self.inspection(case, at(-3))
        self.assertIn("missing-av", self.codes(case))
        clip = self.video("site.mp4", now_cst() - datetime.timedelta(hours=1))
        [f] = self.ingest(clip, record=seq, device_copy_deleted=True)
        self.assertEqual(f["case"], case, "the record names the case")
        self.assertNotIn("missing-av", self.codes(case))
        cured = [x for x in self.findings(case) if x["code"] == "missing-av"]
        self.assertTrue(cured and cured[0]["cured"], cured)

    def test_missing_av_counts_from_the_stated_end(self):
        case = self.accepted()
        seq = self.inspection(case, at(-3), use_at=False)
        self.assertIn(seq, [x["record"] for x in self.findings(case)
                            if x["code"] == "missing-av"])

    def test_link_after_ingest(self):
        case = self.accepted()
        seq = self.inspection(case, at(-3))
        [f] = self.ingest(self.video("site.mp4", now_cst() - datetime.timedelta(hours=1)),
                          device_copy_deleted=True)
        self.assertIsNone(f["case"])
        self.ok("media", "link", str(f["seq"]), "--record", str(seq), "--as", "li.handler")
        self.assertNotIn("missing-av", self.codes(case))
        row = self.ok("media", "show", str(f["seq"])).json
        self.assertEqual(row["case"], case)
        self.assertEqual([x["record"] for x in row["links"]], [seq])
        timeline = [r["kind"] for r in self.show(case)["records"]]
        self.assertIn("media-link", timeline)

    def test_link_rules(self):
        case = self.accepted()
        other = self.accepted()
        seq = self.inspection(case, at(-2))
        [f] = self.ingest(self.video("x.mp4", now_cst()), case=other)
        r = self.ct("media", "link", str(f["seq"]), "--record", str(seq), "--as", "li.handler")
        self.assertEqual(r.code, 2, r)
        self.assertIn("is evidence of case %s" % other, r.err)
        r = self.ct("media", "link", "99999", "--record", str(seq), "--as", "li.handler")
        self.assertEqual(r.code, 2, r)
        self.assertIn("99999", r.err)
        r = self.ct("media", "link", str(f["seq"]), "--record", str(f["seq"]),
                    "--as", "li.handler")
        self.assertEqual(r.code, 2, r)
        self.assertIn("is a media-ingest entry", r.err)
        [g] = self.ingest(self.video("z.mp4", now_cst()), case=case)
        self.ok("media", "link", str(g["seq"]), "--record", str(seq), "--as", "li.handler")
        r = self.ct("media", "link", str(g["seq"]), "--record", str(seq), "--as", "li.handler")
        self.assertEqual(r.code, 2, r)
        self.assertIn("linked to record %d already" % seq, r.err)
        r = self.ingest(self.video("y.mp4", now_cst()), case=case, record=99999, expect=2)
        self.assertIn("99999", r.err)

    def test_late_finding_moves_on_link(self):
        case = self.accepted()
        seq = self.inspection(case, at(-2))
        [f] = self.ingest(self.video("old.mp4", now_cst() - datetime.timedelta(days=2)))
        self.assertEqual([x["case"] for x in self.all_findings()
                          if x["code"] == "late-av-upload"], [None])
        self.ok("media", "link", str(f["seq"]), "--record", str(seq), "--as", "li.handler")
        late = [x for x in self.all_findings() if x["code"] == "late-av-upload"]
        self.assertEqual([(x["case"], x["record"]) for x in late], [(case, f["seq"])])
        # A rebuild from the log reaches the same state.
        before = self.ok("findings", "--json").json
        self.ok("rebuild")
        self.assertEqual(self.ok("findings", "--json").json, before)


@unittest.skipUnless(FFMPEG, "ffmpeg is not installed")
class SurveillanceTest(MediaTest):
    def segment(self, name, start, seconds=2, **opts):
        path = self.video(name, start, seconds)
        return self.ingest(path, type="surveillance", window="W1", device="CAM-W1",
                           device_copy_deleted=True, **opts)[0]

    def gaps(self):
        return sorted((x for x in self.all_findings() if x["code"] == "surveillance-gap"),
                      key=lambda x: x["id"])

    def test_surveillance_gap_found_and_narrowed(self):
        t0 = now_cst().replace(minute=0, second=0) - datetime.timedelta(hours=3)
        sec = datetime.timedelta(seconds=1)
        self.segment("s1.mp4", t0)
        self.segment("s2.mp4", t0 + 2 * sec)
        self.assertEqual(self.gaps(), [], "back-to-back segments leave no gap")
        s4 = self.segment("s4.mp4", t0 + 30 * sec)
        [gap] = self.gaps()
        self.assertEqual(gap["record"], s4["seq"])
        self.assertEqual(gap["window"], "W1")
        self.assertAlmostEqual(gap["gap_ms"], 26000, delta=500)
        self.assertIsNone(gap["cured"])
        # A segment uploaded later covers part of the gap: the finding is
        # cured and what remains is found anew.
        self.segment("s3.mp4", t0 + 4 * sec, seconds=10)
        old, new = self.gaps()
        self.assertIsNotNone(old["cured"])
        self.assertIsNone(new["cured"])
        self.assertAlmostEqual(new["gap_ms"], 16000, delta=500)
        # A segment that fills the rest leaves no open gap.
        self.segment("s3b.mp4", t0 + 14 * sec, seconds=16)
        self.assertEqual([g for g in self.gaps() if g["cured"] is None], [])


@unittest.skipUnless(FFMPEG, "ffmpeg is not installed")
class ImportDirTest(MediaTest):
    def test_rerun_adds_only_what_is_missing(self):
        dump = os.path.join(self.tmp, "DCIM")
        os.makedirs(os.path.join(dump, "100MEDIA"))
        t = now_cst() - datetime.timedelta(hours=1)
        a = self.video("DCIM/100MEDIA/A001.mp4", t)
        self.blob("DCIM/100MEDIA/.hidden", b"x")
        os.symlink("/etc/passwd", os.path.join(dump, "link.mp4"))
        out = self.ok("media", "import-dir", dump, "--device", "BWC-9", "--officer",
                      "li.handler", "--device-copy-deleted", "--as", "li.handler",
                      "--json").json
        self.assertEqual([x["sha256"] for x in out["ingested"]], [sha256(a)],
                         "dot files and links are not followed")
        b = self.video("DCIM/100MEDIA/A002.mp4", t + datetime.timedelta(minutes=5))
        out = self.ok("media", "import-dir", dump, "--device", "BWC-9", "--officer",
                      "li.handler", "--device-copy-deleted", "--as", "li.handler",
                      "--json").json
        self.assertEqual([x["sha256"] for x in out["ingested"]], [sha256(b)])
        self.assertEqual(out["skipped"], 1)
        r = self.ct("media", "import-dir", os.path.join(self.tmp, "none"), "--device", "X",
                    "--as", "li.handler")
        self.assertEqual(r.code, 2, r)
        self.assertIn("is not a folder", r.err)


@unittest.skipUnless(os.path.isdir(MEDIA) and os.path.isdir(MALFORMED),
                     "the shared media files are not present")
class RealFilesTest(MediaTest):
    def test_real_files_stored_byte_exact(self):
        expected = {}
        for root in (MEDIA, MALFORMED):
            for folder, _, names in os.walk(root):
                for n in names:
                    p = os.path.join(folder, n)
                    if os.path.isfile(p) and not os.path.islink(p):
                        expected.setdefault(sha256(p), p)
        got = {}
        for root in (MEDIA, MALFORMED):
            out = self.ok("media", "import-dir", root, "--device", "TEST", "--officer",
                          "li.handler", "--as", "li.handler", "--json", timeout=1200).json
            self.assertEqual(out["failed"], [])
            for f in out["ingested"]:
                got[f["sha256"]] = f
        self.assertEqual(set(got), set(expected), "every distinct file is stored")
        for digest, f in got.items():
            self.assertIsInstance(f["flags"], list)
        photos = [f for f in got.values() if f["type"] == "photo"
                  and f["captured"].get("trusted")]
        self.assertGreater(len(photos), 20, "most camera photos carry a capture time")
        damaged = [f for f in got.values()
                   if {"damaged", "unprobeable", "empty", "unknown-format"} & set(f["flags"])]
        self.assertGreater(len(damaged), 10, "the malformed files are flagged")
        self.assertEqual(self.ok("verify", "--blobs", "all").code, 0)


if __name__ == "__main__":
    unittest.main()
