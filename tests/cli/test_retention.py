#!/usr/bin/env python3
"""casetrail retention: the purge of window surveillance after its 60th day,
holds, deduplicated blobs, and what verify and rebuild make of a purge.

Segments are small JPEGs whose EXIF states their capture time, so that
their capture end is known exactly and comes from the file itself. The
retention clock is set with --now. A segment whose capture ended on day D
(CST) may be purged from 00:00 CST of day D + 61.
"""

import datetime
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))

import ctest  # noqa: E402
import mediafiles  # noqa: E402
from workflow import CST, WorkflowTest  # noqa: E402


# Capture times far enough in the past for any test run.
MARCH_1 = "2025-03-01T10:00:00+08:00"
MARCH_1_LATE = "2025-03-01T23:59:59+08:00"
MARCH_2_EARLY = "2025-03-02T00:00:00+08:00"
# Day 60 after 1 March ends at 24:00 on 30 April; the purge starts on 1 May.
LAST_KEPT = "2025-04-30T23:59:59.999+08:00"
FIRST_PURGE = "2025-05-01T00:00:00+08:00"


@unittest.skipUnless(mediafiles.FFMPEG, "ffmpeg is not installed")
class RetentionTest(WorkflowTest):
    @classmethod
    def setUpClass(cls):
        cls.base = mediafiles.base_jpeg()

    def setUp(self):
        super().setUp()
        self.files = 0

    def jpeg(self, captured):
        """A distinct JPEG whose EXIF states capture time captured."""
        return mediafiles.exif_jpeg(self.base, datetime.datetime.fromisoformat(captured),
                                    "segment %d" % self.files)

    def segment(self, captured=MARCH_1, window="W1", data=None, stated=None, **opts):
        """Ingests a window camera's segment: data, else a JPEG captured at
        captured, else (captured None) bytes that state no time."""
        self.files += 1
        if data is None:
            data = self.jpeg(captured) if captured else b"segment %d" % self.files
        path = os.path.join(self.tmp, "seg-%d.bin" % self.files)
        with open(path, "wb") as f:
            f.write(data)
        args = ["media", "ingest", path, "--type", "surveillance", "--device", "CAM1",
                "--as", "wang.clerk", "--json"]
        if window:
            args += ["--window", window]
        if stated:
            args += ["--captured", stated, "--captured-reason", "camera clock not set"]
        for k, v in opts.items():
            args += ["--" + k.replace("_", "-"), str(v)]
        [item] = self.ok(*args).json["items"]
        return item

    def run_retention(self, now, *args, expect=0):
        r = self.ct("retention", "run", "--now", now, "--json", *args)
        self.assertEqual(r.code, expect, r)
        return r.json

    def purged_seqs(self, result):
        return sorted(x["seq"] for x in result["purged"])

    def blob_path(self, hash_text):
        """The blob file of hash_text, or None when it is not stored."""
        alg, digest = hash_text.split(":", 1)
        path = self.path("blobs", alg, digest[:2], digest[2:4], digest)
        return path if os.path.exists(path) else None

    def entry_count(self):
        return self.ok("checkpoint", "--now", "--json").json["size"]

    def verify(self):
        return self.ct("verify")

    def hold(self, *args, expect=0):
        r = self.ct("retention", "hold", *args, "--as", "zhao.rev")
        self.assertEqual(r.code, expect, r)
        return r.json if expect == 0 else r

    # The day-60 boundary.

    def test_purge_waits_past_day_60(self):
        seg = self.segment()
        result = self.run_retention(LAST_KEPT)
        self.assertEqual(result["purged"], [])
        self.assertIsNotNone(self.blob_path(seg["hash"]))
        self.assertNotIn("purged", self.ok("media", "show", str(seg["seq"])).json)

    def test_purge_at_day_61_start(self):
        seg = self.segment()
        result = self.run_retention(FIRST_PURGE)
        self.assertEqual(self.purged_seqs(result), [seg["seq"]])
        [item] = result["purged"]
        self.assertEqual(item["purge_from"], "2025-05-01T00:00:00.000+08:00")
        self.assertEqual(item["counted_from"], "capture-end")
        self.assertEqual(result["rule"], "surveillance-60d")
        self.assertIsNone(self.blob_path(seg["hash"]))
        row = self.ok("media", "show", str(seg["seq"])).json
        self.assertEqual(row["purged"]["seq"], item["purge_seq"])
        self.assertEqual(row["purged"]["rule"], "surveillance-60d")

    def test_days_counted_in_cst(self):
        late = self.segment(MARCH_1_LATE)
        next_day = self.segment(MARCH_2_EARLY)
        result = self.run_retention(FIRST_PURGE)
        self.assertEqual(self.purged_seqs(result), [late["seq"]])
        result = self.run_retention("2025-05-01T23:59:59+08:00")
        self.assertEqual(result["purged"], [])
        result = self.run_retention("2025-05-02T00:00:00+08:00")
        self.assertEqual(self.purged_seqs(result), [next_day["seq"]])

    def test_second_run_purges_nothing(self):
        self.segment()
        self.run_retention(FIRST_PURGE)
        result = self.run_retention("2025-06-01T00:00:00+08:00")
        self.assertEqual(result["purged"], [])
        self.assertEqual(result["failed"], [])

    def test_unknown_capture_counts_from_ingest(self):
        seg = self.segment(captured=None)
        ingested = datetime.datetime.fromtimestamp(
            self.ok("media", "show", str(seg["seq"])).json["ingested"] / 1000, CST)
        # The clock of a run that purges cannot be ahead, so dry runs look.
        before = (ingested + datetime.timedelta(days=59)).isoformat()
        result = self.run_retention(before, "--dry-run")
        self.assertEqual(result["purged"], [])
        after = (ingested + datetime.timedelta(days=62)).isoformat()
        result = self.run_retention(after, "--dry-run")
        self.assertEqual(self.purged_seqs(result), [seg["seq"]])
        self.assertEqual(result["purged"][0]["counted_from"], "ingest")

    def test_stated_time_cannot_shorten_retention(self):
        # A capture time stated a year back does not make a segment that
        # arrived today purgeable: the count starts at the later of the
        # capture end and the ingest.
        seg = self.segment(captured=None, stated=MARCH_1)
        own = self.segment(captured=None)
        self.ok("media", "capture", str(own["seq"]), "--start", MARCH_1, "--reason",
                "时钟错误", "--as", "wang.clerk")
        now = datetime.datetime.now(CST).isoformat()
        self.assertEqual(self.run_retention(now)["purged"], [])
        ingested = datetime.datetime.fromtimestamp(
            self.ok("media", "show", str(seg["seq"])).json["ingested"] / 1000, CST)
        after = (ingested + datetime.timedelta(days=62)).isoformat()
        result = self.run_retention(after, "--dry-run")
        self.assertEqual(self.purged_seqs(result), [seg["seq"], own["seq"]])
        self.assertEqual({x["counted_from"] for x in result["purged"]}, {"ingest"})

    def test_run_clock_cannot_be_ahead(self):
        seg = self.segment(captured=None)
        ahead = (datetime.datetime.now(CST) + datetime.timedelta(days=400)).isoformat()
        r = self.ct("retention", "run", "--now", ahead)
        self.assertEqual(r.code, 2, r)
        self.assertIn("future", r.err)
        self.assertIsNotNone(self.blob_path(seg["hash"]))
        result = self.run_retention(ahead, "--dry-run")
        self.assertEqual(self.purged_seqs(result), [seg["seq"]])

    # Longer periods and the legal minimum.

    def test_longer_period_keeps_longer(self):
        seg = self.segment()
        result = self.run_retention(FIRST_PURGE, "--surveillance-days", "90")
        self.assertEqual(result["purged"], [])
        self.assertEqual(result["rule"], "surveillance-90d")
        result = self.run_retention("2025-05-31T00:00:00+08:00", "--surveillance-days", "90")
        self.assertEqual(self.purged_seqs(result), [seg["seq"]])

    def test_period_below_minimum_rejected(self):
        self.segment()
        for command in (["run", "--now", FIRST_PURGE], ["upcoming", "--days", "10"]):
            r = self.ct("retention", *command, "--surveillance-days", "59")
            self.assertEqual(r.code, 2, r)
            self.assertIn("legal minimum", r.err)
            self.assertIn("60 days", r.err)
        self.assertEqual(self.run_retention(LAST_KEPT)["purged"], [])

    # What is never purged.

    def test_case_evidence_never_purged(self):
        case = self.new_case()
        in_case = self.segment(case=case)
        linked = self.segment()
        record = self.receipt(case)
        self.ok("media", "link", str(linked["seq"]), "--record", str(record["seq"]),
                "--as", "wang.clerk")
        result = self.run_retention("2026-01-01T00:00:00+08:00")
        self.assertEqual(result["purged"], [])
        self.assertGreaterEqual(result["kept"], 2)
        self.assertIsNotNone(self.blob_path(in_case["hash"]))
        self.assertIsNotNone(self.blob_path(linked["hash"]))

    # Dry run and upcoming.

    def test_dry_run_changes_nothing(self):
        seg = self.segment()
        size = self.entry_count()
        result = self.run_retention(FIRST_PURGE, "--dry-run")
        self.assertTrue(result["dry_run"])
        self.assertEqual(self.purged_seqs(result), [seg["seq"]])
        self.assertNotIn("purge_seq", result["purged"][0])
        self.assertEqual(self.entry_count(), size)
        self.assertIsNotNone(self.blob_path(seg["hash"]))
        self.assertNotIn("purged", self.ok("media", "show", str(seg["seq"])).json)

    def test_upcoming_lists_what_will_go(self):
        first = self.segment()
        later = self.segment("2025-03-10T10:00:00+08:00")
        now = "2025-04-25T12:00:00+08:00"

        def upcoming(days):
            r = self.ok("retention", "upcoming", "--days", days, "--now", now, "--json")
            return sorted(x["seq"] for x in r.json["items"])

        self.assertEqual(upcoming("5"), [])
        self.assertEqual(upcoming("6"), [first["seq"]])
        self.assertEqual(upcoming("15"), [first["seq"], later["seq"]])
        text = self.ok("retention", "upcoming", "--days", "6", "--now", now).out
        self.assertIn("2025-05-01T00:00:00.000+08:00", text)

    def test_upcoming_needs_days(self):
        r = self.ct("retention", "upcoming")
        self.assertEqual(r.code, 2, r)
        self.assertIn("--days", r.err)

    # Holds.

    def test_window_hold_protects_then_release(self):
        seg = self.segment()
        other = self.segment(window="W2")
        hold = self.hold("--basis", "complaint", "--ref", "TS-2025-017", "--window", "W1",
                         "--from", "2025-03-01T09:00:00+08:00",
                         "--to", "2025-03-01T11:00:00+08:00", "--reason", "投诉调查")
        self.assertTrue(hold["id"].startswith("H-"))
        result = self.run_retention(FIRST_PURGE)
        self.assertEqual(self.purged_seqs(result), [other["seq"]])
        self.assertEqual([x["seq"] for x in result["held"]], [seg["seq"]])
        self.assertIsNotNone(self.blob_path(seg["hash"]))

        active = self.ok("retention", "holds", "--json").json["items"]
        self.assertEqual([h["id"] for h in active], [hold["id"]])
        self.ok("retention", "release", hold["id"], "--reason", "投诉已办结",
                "--as", "zhao.rev")
        self.assertEqual(self.ok("retention", "holds", "--json").json["items"], [])
        every = self.ok("retention", "holds", "--all", "--json").json["items"]
        self.assertIn("released", every[0])

        result = self.run_retention(FIRST_PURGE)
        self.assertEqual(self.purged_seqs(result), [seg["seq"]])
        self.assertEqual(result["held"], [])

    def test_stated_time_does_not_leave_a_hold(self):
        seg = self.segment()
        self.hold("--basis", "complaint", "--ref", "TS-1", "--window", "W1",
                  "--from", "2025-03-01T09:00:00+08:00", "--to", "2025-03-01T11:00:00+08:00",
                  "--reason", "投诉调查")
        self.ok("media", "capture", str(seg["seq"]), "--start", "2025-06-01T09:00:00+08:00",
                "--reason", "时钟错误", "--as", "wang.clerk")
        result = self.run_retention(FIRST_PURGE)
        self.assertEqual(result["purged"], [])
        self.assertEqual([x["seq"] for x in result["held"]], [seg["seq"]])

    def test_hold_text_checked(self):
        proc = subprocess.run(
            [ctest.BIN.encode(), b"retention", b"hold", b"--basis", b"complaint", b"--ref",
             b"R", b"--window", b"W\xff", b"--from", b"2025-03-01T09:00:00+08:00",
             b"--to", b"2025-03-01T11:00:00+08:00", b"--reason", b"r", b"--as",
             b"zhao.rev", b"--dir", self.dir.encode()], capture_output=True, timeout=60)
        self.assertEqual(proc.returncode, 2, proc)
        self.assertIn(b"--window", proc.stderr)
        r = self.ct("retention", "hold", "--basis", "complaint", "--ref", "a\x1bb",
                    "--window", "W1", "--from", "2025-03-01T09:00:00+08:00",
                    "--to", "2025-03-01T11:00:00+08:00", "--reason", "r", "--as", "zhao.rev")
        self.assertEqual(r.code, 2, r)
        self.assertIn("control character", r.err)

    def test_window_hold_outside_span_does_not_protect(self):
        seg = self.segment()
        self.hold("--basis", "copy-request", "--ref", "GK-2025-3", "--window", "W1",
                  "--from", "2025-03-01T11:00:00+08:00", "--to", "2025-03-01T12:00:00+08:00",
                  "--reason", "信息公开申请")
        result = self.run_retention(FIRST_PURGE)
        self.assertEqual(self.purged_seqs(result), [seg["seq"]])

    def test_file_hold_protects_one_file(self):
        held = self.segment()
        free = self.segment()
        case = self.new_case()
        hold = self.hold("--basis", "case", "--ref", case, "--media", str(held["seq"]),
                         "--reason", "复议证据")
        self.assertEqual(hold["media"], held["seq"])
        result = self.run_retention(FIRST_PURGE)
        self.assertEqual(self.purged_seqs(result), [free["seq"]])
        self.assertEqual([x["seq"] for x in result["held"]], [held["seq"]])
        self.assertIsNotNone(self.blob_path(held["hash"]))

    def test_hold_rejections(self):
        seg = self.segment()
        r = self.hold("--basis", "case", "--ref", "2025-999999", "--media", str(seg["seq"]),
                      "--reason", "x", expect=2)
        self.assertIn("2025-999999", r.err)
        self.assertIn("not found", r.err)
        r = self.hold("--basis", "rumour", "--ref", "x", "--media", str(seg["seq"]),
                      "--reason", "x", expect=2)
        self.assertIn("rumour", r.err)
        r = self.hold("--basis", "complaint", "--ref", "x", "--window", "W1",
                      "--reason", "x", expect=2)
        self.assertIn("--from", r.err)
        r = self.hold("--basis", "complaint", "--ref", "x", "--window", "W1",
                      "--from", "2025-03-02T00:00:00+08:00", "--to", "2025-03-01T00:00:00+08:00",
                      "--reason", "x", expect=2)
        self.assertIn("empty", r.err)
        r = self.hold("--basis", "complaint", "--ref", "x", "--media", "99999",
                      "--reason", "x", expect=2)
        self.assertIn("99999", r.err)
        self.assertEqual(self.ok("retention", "holds", "--all", "--json").json["items"], [])

    def test_release_twice_rejected(self):
        seg = self.segment()
        hold = self.hold("--basis", "complaint", "--ref", "TS-1", "--media", str(seg["seq"]),
                         "--reason", "投诉")
        self.ok("retention", "release", hold["id"], "--reason", "办结", "--as", "zhao.rev")
        r = self.ct("retention", "release", hold["id"], "--reason", "again", "--as", "zhao.rev")
        self.assertEqual(r.code, 2, r)
        self.assertIn("released already", r.err)
        r = self.ct("retention", "release", "H-424242", "--reason", "x", "--as", "zhao.rev")
        self.assertEqual(r.code, 2, r)
        self.assertIn("not found", r.err)

    def test_hold_needs_registered_staff(self):
        seg = self.segment()
        r = self.ct("retention", "hold", "--basis", "complaint", "--ref", "TS-1",
                    "--media", str(seg["seq"]), "--reason", "x", "--as", "nobody.here")
        self.assertEqual(r.code, 2, r)
        self.assertIn("not registered", r.err)

    # Deduplicated blobs.

    def test_shared_blob_kept_for_case(self):
        data = self.jpeg(MARCH_1)
        seg = self.segment(data=data)
        case = self.new_case()
        evidence = self.segment(data=data, case=case)
        self.assertEqual(seg["hash"], evidence["hash"])
        result = self.run_retention(FIRST_PURGE)
        self.assertEqual(self.purged_seqs(result), [seg["seq"]])
        path = self.blob_path(evidence["hash"])
        self.assertIsNotNone(path)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), data)
        row = self.ok("media", "show", str(evidence["seq"])).json
        self.assertNotIn("purged", row)
        custody = self.ok("media", "custody", evidence["hash"], "--json").json
        self.assertTrue(custody["stored"])
        r = self.verify()
        self.assertEqual(r.code, 0, r)

    # The purge entry, verify and rebuild.

    def test_purge_entry_names_hash_and_rule(self):
        seg = self.segment()
        [item] = self.run_retention(FIRST_PURGE)["purged"]
        entry = self.ok("log", "show", str(item["purge_seq"])).json["entry"]
        self.assertEqual(entry["kind"], "purge")
        self.assertEqual(entry["supersedes"], seg["seq"])
        self.assertEqual([a["hash"] for a in entry["attachments"]],
                         [seg["hash"], seg["thumbnail"]["hash"]])
        self.assertEqual(entry["actor"], "retention")
        record = self.ok("record", "show", str(item["purge_seq"])).json
        self.assertEqual(record["fields"]["rule"], "surveillance-60d")
        self.assertEqual(record["fields"]["hash"], seg["hash"])
        self.assertTrue(record["fields"]["reason"])

    def test_thumbnail_purged_with_file(self):
        seg = self.segment()
        thumbnail = seg["thumbnail"]["hash"]
        self.assertIsNotNone(self.blob_path(thumbnail))
        [item] = self.run_retention(FIRST_PURGE)["purged"]
        entry = self.ok("log", "show", str(item["purge_seq"])).json["entry"]
        self.assertEqual([a["hash"] for a in entry["attachments"]], [seg["hash"], thumbnail])
        self.assertIsNone(self.blob_path(seg["hash"]))
        self.assertIsNone(self.blob_path(thumbnail))
        r = self.verify()
        self.assertEqual(r.code, 0, r)

    def test_verify_passes_after_purge(self):
        self.segment()
        self.segment("2025-03-20T10:00:00+08:00")
        self.run_retention(FIRST_PURGE)
        r = self.verify()
        self.assertEqual(r.code, 0, r)

    def test_blob_deleted_by_hand_fails_verify(self):
        seg = self.segment()
        os.unlink(self.blob_path(seg["hash"]))
        r = self.verify()
        self.assertEqual(r.code, 1, r)
        self.assertIn(seg["hash"], r.out)

    def test_purge_kind_cannot_be_appended(self):
        path = os.path.join(self.tmp, "purge.json")
        with open(path, "w") as f:
            f.write('{"rule": "x", "hash": "y", "reason": "z"}')
        r = self.ct("record", "add", "--kind", "purge", "--fields", path, "--as", "zhao.rev")
        self.assertEqual(r.code, 2, r)
        self.assertEqual(self.ok("retention", "run", "--now", FIRST_PURGE, "--json")
                         .json["purged"], [])

    def test_rebuild_reproduces_purged_state(self):
        seg = self.segment()
        kept = self.segment("2025-04-15T10:00:00+08:00")
        hold = self.hold("--basis", "complaint", "--ref", "TS-9", "--media", str(kept["seq"]),
                         "--reason", "投诉")
        self.run_retention(FIRST_PURGE)
        before = self.ok("media", "show", str(seg["seq"])).json
        r = self.ok("rebuild")
        self.assertIn('"match": true', r.out)
        after = self.ok("media", "show", str(seg["seq"])).json
        self.assertEqual(after["purged"], before["purged"])
        holds = self.ok("retention", "holds", "--json").json["items"]
        self.assertEqual([h["id"] for h in holds], [hold["id"]])
        self.assertNotIn("purged", self.ok("media", "show", str(kept["seq"])).json)

    def test_text_output(self):
        self.segment()
        out = self.ok("retention", "run", "--now", FIRST_PURGE, "--dry-run").out
        self.assertIn("would purge 1", out)
        out = self.ok("retention", "run", "--now", FIRST_PURGE).out
        self.assertIn("purged 1", out)


if __name__ == "__main__":
    unittest.main()
