#!/usr/bin/env python3
"""casetrail probe: real photos, videos and damaged files.

Every file of the shared media and malformed folders is probed under CPU
and memory limits and must yield one JSON object. Capture times and GPS
positions are compared with the metadata-extractor dumps that sit next to
the files (metadata/<file>.java.txt), and thumbnails are checked for size
and orientation.
"""

import datetime
import glob
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import ctest  # noqa: E402

DATA = os.path.join(ctest.SHARED, "data")
MEDIA = os.path.join(DATA, "media")
MALFORMED = os.path.join(DATA, "malformed")
EXTRACTOR = os.path.join(MEDIA, "metadata-extractor-images")
ORIENTATION = os.path.join(MEDIA, "exif-py", "jpg", "orientation")
LIMITS = ("--cpu-seconds", "30", "--memory-mb", "2048")


def probe(path, *args):
    """Runs casetrail probe with limits and returns its Result."""
    return ctest.run("probe", *LIMITS, *args, "--", path, timeout=60)


def jpeg_size(path):
    """Returns (width, height) from the SOF marker of a JPEG file."""
    with open(path, "rb") as f:
        data = f.read()
    i = 2
    while i + 9 < len(data):
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        i += 2 + length
    raise AssertionError("no SOF marker in %s" % path)


def dump_lines(media_path):
    """Returns the lines of the metadata-extractor dump of a file."""
    folder, name = os.path.split(media_path)
    path = os.path.join(folder, "metadata", name + ".java.txt")
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read().splitlines()


def dump_value(lines, directory, tag):
    """Returns the value of "[directory - 0x...] tag = value" or None."""
    pattern = re.compile(r"^\[%s[^\]]*\] %s (?:=|-) (.*)$"
                         % (re.escape(directory), re.escape(tag)))
    for line in lines:
        m = pattern.match(line)
        if m:
            return m.group(1).strip()
    return None


def all_files():
    for root in (MEDIA, MALFORMED):
        for path in sorted(glob.glob(os.path.join(root, "**", "*"), recursive=True)):
            if os.path.isfile(path) and not path.endswith((".txt", ".rst")):
                yield path


@unittest.skipUnless(os.path.isdir(MEDIA) and os.path.isdir(MALFORMED),
                     "shared media data not present")
class ProbeTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="casetrail-probe-")

    def tearDown(self):
        for name in os.listdir(self.tmp):
            os.unlink(os.path.join(self.tmp, name))
        os.rmdir(self.tmp)

    def test_every_file_probes(self):
        thumb = os.path.join(self.tmp, "t.jpg")
        for path in all_files():
            with self.subTest(path=os.path.relpath(path, DATA)):
                r = probe(path, "--thumb", thumb)
                self.assertEqual(r.code, 0, r)
                report = r.json
                self.assertIsInstance(report, dict)
                self.assertIn(report["kind"], ("photo", "video", "audio", "other"))
                self.assertIsInstance(report["problems"], list)
                self.assertIsInstance(report["capture"]["clues"], list)
                if os.path.exists(thumb):
                    os.unlink(thumb)

    def test_damaged_files_have_problems(self):
        damaged = glob.glob(os.path.join(MALFORMED, "metadata-extractor-images-fuzzing",
                                         "*.fuzzed"))
        damaged += [p for p in glob.glob(os.path.join(MALFORMED, "exiftool-t-images", "*"))
                    if not p.endswith(".jpg")]
        self.assertGreater(len(damaged), 10)
        for path in sorted(damaged):
            with self.subTest(path=os.path.basename(path)):
                r = probe(path)
                self.assertEqual(r.code, 0, r)
                self.assertTrue(r.json["problems"], r)

    def test_zero_length_file(self):
        path = os.path.join(self.tmp, "empty.mp4")
        open(path, "wb").close()
        r = probe(path)
        self.assertEqual(r.code, 0, r)
        self.assertEqual(r.json["kind"], "other")
        self.assertIn("zero-length file", r.json["problems"])

    def test_missing_file_is_usage_error(self):
        r = probe(os.path.join(self.tmp, "absent.jpg"))
        self.assertEqual(r.code, 2, r)
        self.assertIn("absent.jpg", r.err)

    def test_photo_capture_times_match_dumps(self):
        photos = glob.glob(os.path.join(EXTRACTOR, "jpg", "*.jpg"))
        photos += glob.glob(os.path.join(EXTRACTOR, "heic", "*.HEIC"))
        checked = 0
        for path in sorted(photos):
            lines = dump_lines(path)
            original = dump_value(lines, "Exif SubIFD", "Date/Time Original")
            if not original:
                continue
            expected = original.replace(":", "-", 2).replace(" ", "T", 1)
            with self.subTest(photo=os.path.basename(path)):
                capture = probe(path).json["capture"]
                self.assertEqual(capture.get("source"), "exif-original", capture)
                self.assertEqual(capture["local"][:19], expected)
                subsec = dump_value(lines, "Exif SubIFD", "Sub-Sec Time Original")
                if subsec:
                    self.assertEqual(capture["local"][20:], (subsec + "00")[:3])
                checked += 1
        self.assertGreaterEqual(checked, 10)

    def test_heic_offset_gives_utc(self):
        capture = probe(os.path.join(EXTRACTOR, "heic", "IMG_2927.HEIC")).json["capture"]
        self.assertEqual(capture["local"], "2020-05-04T18:39:11.644")
        self.assertEqual(capture["offset"], "-04:00")
        self.assertEqual(capture["utc"], "2020-05-04T22:39:11.644Z")
        self.assertFalse(capture["disagree"])

    def test_video_creation_times_match_dumps(self):
        videos = [("mov", "xmp480qt.mov", "QuickTime"),
                  ("mp4", "FLIR Thermal.mp4", "MP4 Video"),
                  ("mp4", "ftyp3gp5.mp4", "MP4 Video"),
                  ("mp4", "with-gps.mp4", "MP4 Video"),
                  ("3gp", "sample.3gp", "MP4 Video")]
        for folder, name, directory in videos:
            path = os.path.join(EXTRACTOR, folder, name)
            with self.subTest(video=name):
                text = dump_value(dump_lines(path), directory, "Creation Time")
                self.assertIsNotNone(text)
                # "Sat Oct 24 07:27:29 +11:00 2020", written in the
                # dumping machine's zone.
                stated = datetime.datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y")
                expected = stated.astimezone(datetime.timezone.utc).strftime(
                    "%Y-%m-%dT%H:%M:%S")
                report = probe(path).json
                self.assertEqual(report["kind"], "video")
                clues = {c["source"]: c["value"] for c in report["capture"]["clues"]}
                self.assertEqual(clues["quicktime-creation"][:19], expected)
                self.assertEqual(report["capture"]["utc"], expected + "Z")

    @unittest.skipUnless(shutil.which("ffmpeg"), "ffmpeg not installed")
    def test_creation_time_judged_against_creationdate(self):
        # creationdate states 16:30 at +08:00, which is 08:30 UTC.
        cases = [("2024-03-01T16:30:00Z", False, "equals the local time"),
                 ("2024-03-01T08:30:00Z", False, None),
                 ("2024-03-01T15:30:00Z", False, "+7 h from the UTC time"),
                 ("2024-03-01T11:11:00Z", True, None)]
        path = os.path.join(self.tmp, "judged.mov")
        for creation_time, disagree, note in cases:
            with self.subTest(creation_time=creation_time):
                subprocess.run(
                    ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                     "testsrc=size=16x16:duration=0.2:rate=5", "-c:v", "mpeg4",
                     "-metadata", "creation_time=" + creation_time,
                     "-metadata", "com.apple.quicktime.creationdate=2024-03-01T16:30:00+0800",
                     "-movflags", "use_metadata_tags", path], check=True)
                capture = probe(path).json["capture"]
                self.assertEqual(capture["source"], "quicktime-creationdate")
                self.assertEqual(capture["utc"], "2024-03-01T08:30:00Z")
                self.assertEqual(capture["disagree"], disagree)
                notes = " ".join(capture.get("notes", []))
                if note:
                    self.assertIn(note, notes)
                else:
                    self.assertNotIn("local time", notes)

    def test_mts_recording_time(self):
        path = os.path.join(EXTRACTOR, "mts", "Sony ILCE-7M3 (A7M3).mts")
        capture = probe(path).json["capture"]
        self.assertEqual(capture["source"], "mts")
        self.assertEqual(capture["local"], "2019-04-24T22:24:00")
        self.assertEqual(capture["offset"], "+02:00")

    def test_avi_idit_time(self):
        capture = probe(os.path.join(MALFORMED, "exiftool-t-images", "RIFF.avi")).json["capture"]
        self.assertEqual(capture["source"], "avi-idit")
        self.assertEqual(capture["local"], "2003-03-10T15:04:43")
        self.assertNotIn("utc", capture)

    def test_gps_photo_position(self):
        path = os.path.join(EXTRACTOR, "jpg", "Apple iPhone 4.jpg")
        lines = dump_lines(path)

        def degrees(text, ref):
            d, m, s = (float(x) for x in re.findall(r"[\d.]+", text))
            value = d + m / 60 + s / 3600
            return -value if ref in ("S", "W") else value

        lat = degrees(dump_value(lines, "GPS", "GPS Latitude"),
                      dump_value(lines, "GPS", "GPS Latitude Ref"))
        lon = degrees(dump_value(lines, "GPS", "GPS Longitude"),
                      dump_value(lines, "GPS", "GPS Longitude Ref"))
        gps = probe(path).json["gps"]
        self.assertAlmostEqual(gps["lat"], lat, places=4)
        self.assertAlmostEqual(gps["lon"], lon, places=4)

    def test_orientation_thumbnails(self):
        for o in range(1, 9):
            path = os.path.join(ORIENTATION, "landscape_%d.jpg" % o)
            thumb = os.path.join(self.tmp, "o%d.jpg" % o)
            with self.subTest(orientation=o):
                report = probe(path, "--thumb", thumb).json
                self.assertEqual(report.get("orientation", 1), o)
                width, height = jpeg_size(thumb)
                self.assertEqual(max(width, height), 320)
                stored_landscape = report["width"] > report["height"]
                thumb_landscape = width > height
                if o >= 5:
                    self.assertNotEqual(stored_landscape, thumb_landscape)
                else:
                    self.assertEqual(stored_landscape, thumb_landscape)
                # Every file shows the same landscape scene once upright.
                self.assertTrue(thumb_landscape)

    def test_thumbnail_max_side(self):
        thumb = os.path.join(self.tmp, "small.jpg")
        path = os.path.join(ORIENTATION, "landscape_1.jpg")
        r = probe(path, "--thumb", thumb, "--max-side", "100")
        self.assertEqual(r.code, 0, r)
        self.assertEqual(jpeg_size(thumb), (100, 75))

    def test_video_poster(self):
        thumb = os.path.join(self.tmp, "poster.jpg")
        path = os.path.join(EXTRACTOR, "mp4", "Issue 515 (java).mp4")
        r = probe(path, "--thumb", thumb)
        self.assertEqual(r.code, 0, r)
        self.assertEqual(r.json["problems"], [])
        self.assertEqual(jpeg_size(thumb), (320, 180))

    def test_heic_thumbnail(self):
        thumb = os.path.join(self.tmp, "heic.jpg")
        r = probe(os.path.join(EXTRACTOR, "heic", "IMG_2927.HEIC"), "--thumb", thumb)
        self.assertEqual(r.code, 0, r)
        self.assertEqual(r.json["problems"], [])
        self.assertEqual(max(jpeg_size(thumb)), 320)

    def test_no_thumbnail_for_damaged_video(self):
        thumb = os.path.join(self.tmp, "none.jpg")
        r = probe(os.path.join(MALFORMED, "exiftool-t-images", "RIFF.avi"), "--thumb", thumb)
        self.assertEqual(r.code, 0, r)
        self.assertFalse(os.path.exists(thumb))
        self.assertTrue(any(p.startswith("no thumbnail") for p in r.json["problems"]))


if __name__ == "__main__":
    ctest.main()
