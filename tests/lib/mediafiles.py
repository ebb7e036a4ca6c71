"""Small media files made for tests: a JPEG whose EXIF states a capture
time, and an MP4 whose creation_time does, both through ffmpeg."""

import datetime
import shutil
import struct
import subprocess
import tempfile

FFMPEG = shutil.which("ffmpeg")


def _ifd(entries, data_at):
    """Packs a big-endian TIFF IFD whose longer values follow it at data_at.

    entries are (tag, type, count, bytes) sorted by tag. A value of up to
    four bytes sits in its entry, a longer one in the data area.
    """
    head = struct.pack(">H", len(entries))
    data = b""
    for tag, kind, count, value in entries:
        if len(value) <= 4:
            head += struct.pack(">HHI", tag, kind, count) + value.ljust(4, b"\0")
        else:
            head += struct.pack(">HHII", tag, kind, count, data_at + len(data))
            data += value + (b"\0" if len(value) % 2 else b"")
    return head + struct.pack(">I", 0), data


def exif_jpeg(base, when, description):
    """Returns the JPEG base with an EXIF block stating capture time when
    (an aware datetime, written as local time with its offset) and an
    ImageDescription that makes the bytes distinct."""
    local = when.strftime("%Y:%m:%d %H:%M:%S").encode() + b"\0"
    off = when.strftime("%z")
    offset = (off[:3] + ":" + off[3:]).encode() + b"\0"
    desc = description.encode() + b"\0"
    # IFD0 at 8: ImageDescription and the Exif IFD pointer.
    ifd0_size = 2 + 2 * 12 + 4
    exif_at = 8 + ifd0_size + len(desc) + len(desc) % 2
    ifd0, data0 = _ifd([(0x010E, 2, len(desc), desc),
                        (0x8769, 4, 1, struct.pack(">I", exif_at))], 8 + ifd0_size)
    exif_size = 2 + 2 * 12 + 4
    exif, data1 = _ifd([(0x9003, 2, len(local), local),
                        (0x9011, 2, len(offset), offset)], exif_at + exif_size)
    tiff = b"MM\0*" + struct.pack(">I", 8) + ifd0 + data0 + exif + data1
    app1 = b"Exif\0\0" + tiff
    assert base[:2] == b"\xff\xd8"
    return base[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + base[2:]


def base_jpeg():
    """A 16x16 grey JPEG made by ffmpeg, without metadata."""
    with tempfile.NamedTemporaryFile(suffix=".jpg") as f:
        subprocess.run([FFMPEG, "-v", "error", "-y", "-f", "lavfi", "-i",
                        "color=c=gray:s=16x16", "-frames:v", "1", "-map_metadata", "-1",
                        "-fflags", "+bitexact", f.name], check=True, timeout=60)
        with open(f.name, "rb") as g:
            return g.read()


def mp4(path, start, seconds=2):
    """Makes a small MP4 at path whose creation_time is start (UTC)."""
    when = start.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    subprocess.run([FFMPEG, "-v", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc=duration=%d:size=96x64:rate=5" % seconds, "-pix_fmt", "yuv420p",
                    "-metadata", "creation_time=" + when, path], check=True, timeout=60)
