#!/usr/bin/env python3
"""Official documents end to end: templates filled from real cases,
PDF layout, fonts, the seal's signature, re-prints, the QR code, bad
input, the HTTP routes, and page images against goldens.

Four cases are built once (a granted licence from receipt to service, a
licence case with a record of every kind the templates print, a denied
one and a refused one) and copied for each test. Needs
pdftotext, pdffonts and pdftoppm (poppler-utils) and openssl; zbarimg
is optional.
"""

import base64
import glob
import hashlib
import json
import os
import re
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile
import unittest
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import apitest  # noqa: E402
import ctest  # noqa: E402
import workflow  # noqa: E402

DATA = os.path.join(ctest.SRC, "data")
TEMPLATES = os.path.join(DATA, "documents")
GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")
# Mean absolute difference of grey levels (0-255) allowed between a page
# and its golden image, both thresholded to black and white: 4.0 lets
# about 1.6% of the pixels differ, as the dates of the test day do.
GOLDEN_TOLERANCE = 4.0
APPLICANT = "某某餐饮管理有限公司"


def templates():
    out = {}
    for path in sorted(glob.glob(os.path.join(TEMPLATES, "*.json"))):
        with open(path, encoding="utf-8") as f:
            t = json.load(f)
        out[t["code"]] = t
    return out


def run_tool(*args, binary=False):
    return subprocess.run(list(args), capture_output=True, check=True,
                          text=not binary).stdout


def pdf_text(path):
    return run_tool("pdftotext", "-layout", path, "-")


def squeeze(text):
    return "".join(text.split())


def der_signature(raw):
    """An SM2 r||s signature as the DER ECDSA-Sig-Value openssl reads."""
    def integer(b):
        b = b.lstrip(b"\0") or b"\0"
        if b[0] & 0x80:
            b = b"\0" + b
        return b"\x02" + bytes([len(b)]) + b
    body = integer(raw[:32]) + integer(raw[32:])
    return b"\x30" + bytes([len(body)]) + body


BLACK_WHITE = bytes(0 if i < 128 else 255 for i in range(256))


def threshold(pixels):
    """Black (0) or white (255) per grey pixel, as the goldens store them."""
    return pixels.translate(BLACK_WHITE)


def mean_difference(a, b):
    """Mean absolute difference of two equally long black-and-white images."""
    differing = bin(int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).count("1")
    return differing / 8 * 255 / len(a)


def write_png_1bit(width, height, pixels):
    """Encodes thresholded grey pixels as a 1-bit greyscale PNG."""
    def chunk(kind, data):
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)
    rows = bytearray()
    for y in range(height):
        row = pixels[y * width:(y + 1) * width]
        rows.append(0)
        for x in range(0, width, 8):
            byte = 0
            for i in range(8):
                white = x + i < width and row[x + i] >= 128
                byte = byte << 1 | white
            rows.append(byte)
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b""))


def read_png_1bit(data):
    """Decodes a 1-bit greyscale PNG of write_png_1bit (filter 0 only)."""
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            assert (depth, colour) == (1, 0), "not a 1-bit grey PNG"
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw, stride, out = zlib.decompress(idat), (width + 7) // 8 + 1, bytearray()
    for y in range(height):
        line = raw[y * stride:(y + 1) * stride]
        assert line[0] == 0, "unsupported PNG filter"
        for x in range(width):
            out.append(255 if line[1 + x // 8] >> (7 - x % 8) & 1 else 0)
    return width, height, bytes(out)


def read_pgm(data):
    """Reads a binary PGM (P5) into (width, height, bytes)."""
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    assert fields[0] == b"P5" and fields[3] == b"255", "not an 8-bit PGM"
    width, height = int(fields[1]), int(fields[2])
    return width, height, data[pos + 1:pos + 1 + width * height]


def page_image(pdf):
    """Page 1 of pdf at 50 dpi in grey: (width, height, pixels)."""
    return read_pgm(run_tool("pdftoppm", "-r", "50", "-gray", "-f", "1",
                             "-l", "1", pdf, binary=True))


class DocumentsTest(workflow.WorkflowTest):
    """A copy of a store with four cases for each test."""

    prepared = None  # (folder, {name: case id})
    display_names = True

    @classmethod
    def tearDownClass(cls):
        if DocumentsTest.prepared:
            shutil.rmtree(DocumentsTest.prepared[0], ignore_errors=True)
            DocumentsTest.prepared = None

    def setUp(self):
        if DocumentsTest.prepared is None:
            super().setUp()
            cases = self.build_cases()
            keep = tempfile.mkdtemp(prefix="casetrail-docs-")
            shutil.copytree(self.dir, os.path.join(keep, "store"))
            DocumentsTest.prepared = (keep, cases)
        else:
            self.tmp = tempfile.mkdtemp(prefix="casetrail-test-")
            self.dir = os.path.join(self.tmp, "store")
            shutil.copytree(os.path.join(DocumentsTest.prepared[0], "store"),
                            self.dir)
            self.scan = os.path.join(self.tmp, "scan.png")
            with open(self.scan, "wb") as f:
                f.write(workflow.png_bytes())
            self.nfields = 0
        self.cases = DocumentsTest.prepared[1]
        self.templates = templates()

    def build_cases(self):
        granted = self.full_case()
        denied = self.new_case(received=workflow.at(-3, 9))
        self.receipt(denied, -3)
        self.accept(denied, -3)
        self.assign(denied)
        self.rights(denied, -3)
        self.onsite(denied)
        self.propose(denied, result="deny")
        self.step(denied, "review", "zhao.rev")
        self.step(denied, "approve", "zhang.head")
        self.decide(denied, result="deny")
        refused = self.new_case()
        self.add(refused, "refusal", {
            "reason_type": "not-competent", "reasons": "申请事项不属于本机关职权范围。",
            "basis": [{"law": "xzxkf", "version": "2019-04-23", "article": 32}],
            "competent_authority": "曹阳区市场监督管理局",
            "remedies": "如不服本决定，可在六十日内申请行政复议，或在六个月内提起行政诉讼。",
            "signatures": [workflow.staff_sig("clerk", "wang.clerk"), workflow.seal_sig(0)],
        }, "wang.clerk", attach=1)
        complete = self.document_case()
        # source_of takes the first case that has a record, so the
        # complete case prints every document it can.
        return {"complete": complete, "granted": granted, "denied": denied,
                "refused": refused}

    # Helpers.

    def render(self, case, kind, record=None, expect=0, out=None, actor=None):
        out = out or os.path.join(self.tmp, "%s-%s.pdf" % (case, kind))
        args = ["document", "render", case, kind, "--out", out, "--json",
                "--data", DATA]
        if record is not None:
            args += ["--record", record]
        if actor:
            args += ["--as", actor]
        r = self.ct(*args)
        self.assertEqual(r.code, expect, r)
        return (r.json, out) if expect == 0 else r

    def records(self, case):
        return self.show(case)["records"]

    def source_of(self, kind):
        """(case, record) that template kind prints from, or None."""
        t = self.templates[kind]
        for case in self.cases.values():
            for rec in reversed(self.records(case)):
                when = t.get("when")
                if rec["kind"] not in t["source"] or "fields" not in rec:
                    continue
                if when:
                    value = rec["fields"].get(when["field"].replace("fields.", ""))
                    if value not in when.get("in", [when.get("equals")]):
                        continue
                return case, rec
        return None

    def printable(self):
        """Every template that one of the cases has a record for."""
        out = {}
        for kind in self.templates:
            found = self.source_of(kind)
            if found:
                out[kind] = found
        return out

    def tree_size(self):
        return self.ok("checkpoint", "--now", "--json").json["size"]

    # Tests.

    def test_every_printable_kind_renders(self):
        printable = self.printable()
        self.assertEqual(sorted(printable), sorted(self.templates))
        for kind, (case, rec) in sorted(printable.items()):
            with self.subTest(kind=kind):
                info, out = self.render(case, kind)
                layout = pdf_text(out)
                text = squeeze(layout)
                # A signature line wraps before its date, never inside it.
                for line in layout.splitlines():
                    if "日期：" in line:
                        self.assertRegex(line, r"日期：\s*(\d{4}年\d{1,2}月\d{1,2}日|_+)",
                                         "a date is split in %s" % kind)
                template = json.dumps(self.templates[kind], ensure_ascii=False)
                self.assertIn(squeeze(self.templates[kind]["title"]), text)
                self.assertEqual(info["source"], rec["seq"])
                self.assertNotIn("null", text)
                if "{{case.applicant}}" in template:
                    self.assertIn(APPLICANT, text)
                if self.templates[kind].get("number"):
                    number = rec["fields"]["number"]
                    self.assertEqual(info["number"], number)
                    self.assertIn(number, text)
                if '"remedies": true' in template:
                    self.assertIn("申请行政复议", text)
                    self.assertIn("提起行政诉讼", text)
                    self.assertIn("曹阳区人民政府", text)
                fonts = run_tool("pdffonts", out)
                self.assertIn("FandolFang", fonts)
                if "FandolSong" not in fonts:
                    self.fail("FandolSong is not embedded in %s:\n%s" % (kind, fonts))
                for line in fonts.splitlines()[2:]:
                    self.assertIn(" yes ", line, "font not embedded: " + line)
                self.check_golden(kind, out)

    def test_rerender_returns_same_bytes(self):
        case = self.cases["granted"]
        first, out1 = self.render(case, "acceptance-notice")
        size = self.tree_size()
        second, out2 = self.render(case, "acceptance-notice",
                                   out=os.path.join(self.tmp, "again.pdf"))
        with open(out1, "rb") as a, open(out2, "rb") as b:
            self.assertEqual(a.read(), b.read(), "a re-print differs")
        self.assertEqual(first["number"], second["number"])
        self.assertEqual(first["seq"], second["seq"])
        self.assertEqual(self.tree_size(), size, "a re-print appended an entry")
        listed = self.ok("document", "list", case, "--json").json
        self.assertEqual([d["seq"] for d in listed], [first["seq"]])
        got = os.path.join(self.tmp, "got.pdf")
        self.ok("document", "get", case, str(first["seq"]), "--out", got)
        with open(out1, "rb") as a, open(got, "rb") as b:
            self.assertEqual(a.read(), b.read(), "document get differs")

    def test_concurrent_issues_record_one(self):
        case = self.cases["granted"]
        outs = [os.path.join(self.tmp, "race-%d.pdf" % i) for i in range(4)]
        env = dict(os.environ, CASETRAIL_LOG="warn")
        procs = [subprocess.Popen([ctest.BIN, "document", "render", case,
                                   "decision-grant", "--out", out, "--dir", self.dir,
                                   "--data", DATA], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE) for out in outs]
        for p in procs:
            _, err = p.communicate(timeout=120)
            self.assertEqual(p.returncode, 0, err)
        contents = set()
        for out in outs:
            with open(out, "rb") as f:
                contents.add(f.read())
        self.assertEqual(len(contents), 1, "the renders differ")
        listed = self.ok("document", "list", case, "--json").json
        self.assertEqual(len(listed), 1, listed)

    def test_issue_is_in_case_records(self):
        case = self.cases["granted"]
        info, _ = self.render(case, "decision-grant")
        issued = [r for r in self.records(case) if r["kind"] == "document-issue"]
        self.assertEqual([r["seq"] for r in issued], [info["seq"]])
        self.assertEqual(issued[0]["fields"]["document"], "decision-grant")
        self.assertEqual(issued[0]["name"], "准予行政许可决定书")
        self.assertEqual(len(issued[0]["attachments"]), 1)
        self.assertEqual(issued[0]["attachments"][0]["type"], "application/pdf")
        self.ok("verify")
        self.assertIs(self.ok("rebuild").json["match"], True, "rebuild differs")

    def test_seal_signature_verifies(self):
        case = self.cases["granted"]
        info, out = self.render(case, "acceptance-notice")
        with open(out, "rb") as f:
            pdf = f.read()
        entry = self.ok("log", "show", str(info["seq"])).json
        self.assertEqual(entry["entry"]["kind"], "document-issue")
        issued = [r for r in self.records(case) if r["seq"] == info["seq"]][0]
        fields = issued["fields"]
        self.assertEqual(fields["pdf"]["hash"],
                         "sm3:" + hashlib.new("sm3", pdf).hexdigest())
        self.assertEqual(fields["pdf"]["sha256"],
                         "sha256:" + hashlib.sha256(pdf).hexdigest())
        self.assertEqual(fields["pdf"]["size"], len(pdf))
        statement = fields["statement"]
        lines = statement.split("\n")
        self.assertEqual(lines[0], "casetrail-document/v1")
        self.assertEqual(lines[2], str(info["source"]))
        self.assertEqual(lines[4], "acceptance-notice")
        self.assertEqual(lines[6], fields["pdf"]["hash"])
        seal = self.ok("seal-key", "show", "--json").json
        self.assertEqual(seal["key"], fields["key"])
        recorded = self.ok("log", "show", str(seal["seq"])).json
        self.assertEqual(recorded["entry"]["kind"], "seal-key")
        paths = {}
        for name, data in (("pub.pem", seal["public_key"].encode()),
                           ("statement", statement.encode()),
                           ("sig.der", der_signature(base64.b64decode(
                               fields["signature"])))):
            paths[name] = os.path.join(self.tmp, name)
            with open(paths[name], "wb") as f:
                f.write(data)
        verify = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey",
                  paths["pub.pem"], "-rawin", "-digest", "sm3", "-pkeyopt",
                  "distid:1234567812345678", "-in", paths["statement"],
                  "-sigfile", paths["sig.der"]]
        r = subprocess.run(verify, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(paths["statement"], "ab") as f:
            f.write(b"tampered\n")
        r = subprocess.run(verify, capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0, "a changed statement verified")

    def transcript(self, case, content):
        """Adds an inquiry transcript of content; returns its seq as text."""
        rec = self.add(case, "inquiry-transcript", {
            "place": "曹阳区行政审批局询问室", "start": workflow.at(-2, 14),
            "end": workflow.at(-2, 15), "officers": workflow.OFFICERS,
            "interviewee": "张三", "relation": "申请人的法定代表人", "content": content,
            "av_told": True, "pages": 1, "confirmation": "以上笔录我已看过，与我所说相符",
            "signatures": [workflow.staff_sig("officer", "li.handler"),
                           workflow.party_sig("party", "张三", 0, 1)],
        }, "li.handler", attach=1)
        return str(rec["seq"])

    def test_qr_never_alone_on_last_page(self):
        # Transcripts of 24 to 34 questions end near the foot of page 2;
        # the code goes beside their signature lines, not onto page 3.
        case = self.new_case()
        self.accept(case, 0)
        for questions in range(24, 36, 2):
            with self.subTest(questions=questions):
                content = "\n".join("问：第%d个问题？" % i for i in range(questions))
                _, out = self.render(case, "inquiry-transcript",
                                     record=self.transcript(case, content),
                                     out=os.path.join(self.tmp, "t%d.pdf" % questions))
                info = run_tool("pdfinfo", out)
                pages = int(info.split("Pages:")[1].split()[0])
                last = run_tool("pdftotext", "-f", str(pages), "-l", str(pages), out, "-")
                self.assertIn("执法人员：", last, "page %d holds only the code" % pages)

    def test_confirmation_line_leaves_qr_room(self):
        # The party's signature line, date blanks included, is one line
        # that ends at least 26 mm (the code and its gap) before the
        # right margin: at most 28 + 156 - 26 = 158 mm from the left.
        _, out = self.render(self.cases["complete"], "inquiry-transcript")
        boxes = run_tool("pdftotext", "-bbox-layout", out, "-")
        words = re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="([\d.]+)"[^>]*>'
                           r'([^<]*)</word>', boxes)
        top = [y for y, _, w in words if w.startswith("被记录人（签名）")]
        self.assertEqual(len(top), 1, boxes)
        line = [(float(x), w) for y, x, w in words if y == top[0]]
        text = "".join(w for _, w in line)
        self.assertIn("年", text)
        self.assertTrue(text.endswith("日"), text)
        self.assertLess(max(x for x, _ in line), 158 * 72 / 25.4, line)

    def test_table_widths_keep_times_whole(self):
        _, out = self.render(self.cases["complete"], "approval-form")
        text = pdf_text(out)
        self.assertRegex(text, r"\d{4}年\d+月\d+日 \d\d时\d\d分")
        self.assertIn("张建国", text)

    # Forged document-issue entries: verify names each one.

    def issued(self):
        """Issues the complete case's acceptance notice; returns its entry."""
        info, _ = self.render(self.cases["complete"], "acceptance-notice")
        return info

    def change_fields(self, seq, change):
        """Rewrites the stored content of entry seq through change(fields)."""
        db = sqlite3.connect(os.path.join(self.dir, "casetrail.db"))
        try:
            [(raw,)] = db.execute("SELECT fields FROM content WHERE seq = ?", (seq,))
            fields = json.loads(raw)
            change(fields)
            raw = json.dumps(fields, ensure_ascii=False, separators=(",", ":"),
                             sort_keys=True).encode()
            db.execute("UPDATE content SET fields = ? WHERE seq = ?", (raw, seq))
            db.commit()
        finally:
            db.close()

    def drop_append_only(self, db):
        for trigger in ("entries_no_update", "entries_no_delete"):
            db.execute("DROP TRIGGER " + trigger)

    def assert_verify_names(self, *patterns):
        r = self.ct("verify")
        self.assertEqual(r.code, 1, r)
        for pattern in patterns:
            self.assertRegex(r.out, re.compile("^" + pattern, re.M))

    def test_verify_forged_signature(self):
        info = self.issued()
        self.assertEqual(self.ct("verify").code, 0)
        other = base64.b64encode(bytes(64)).decode()
        self.change_fields(info["seq"], lambda f: f.update(signature=other))
        self.assert_verify_names(r"document %d: the seal's SM2 signature does not verify"
                                 % info["seq"])

    def test_verify_forged_leaf(self):
        info = self.issued()
        forged = "sm3:" + "0" * 64
        self.change_fields(info["seq"], lambda f: f.update(leaf=forged))
        self.assert_verify_names(r"document %d: the leaf hash it states is not that of "
                                 r"record %d" % (info["seq"], info["source"]))

    def test_verify_pdf_blob_replaced(self):
        info = self.issued()
        digest = info["pdf"]["hash"].split(":", 1)[1]
        path = os.path.join(self.dir, "blobs", "sm3", digest[:2], digest[2:4], digest)
        os.chmod(path, 0o600)
        with open(path, "r+b") as f:
            data = bytearray(f.read())
            data[len(data) // 2] ^= 0xFF
            f.seek(0)
            f.write(data)
        self.assert_verify_names(r"blob %s: " % re.escape(info["pdf"]["hash"]))

    def test_verify_pdf_attachment_swapped(self):
        # The entry names another blob as its PDF: the entry's own leaf
        # and the document's hashes both disagree with it.
        info = self.issued()
        scan = self.records(self.cases["complete"])[1]["attachments"][0]["hash"]
        db = sqlite3.connect(os.path.join(self.dir, "casetrail.db"))
        try:
            self.drop_append_only(db)
            [(body,)] = db.execute("SELECT body FROM entries WHERE seq = ?", (info["seq"],))
            body = body.replace(info["pdf"]["hash"].encode(), scan.encode())
            db.execute("UPDATE entries SET body = ? WHERE seq = ?", (body, info["seq"]))
            db.commit()
        finally:
            db.close()
        self.assert_verify_names(r"document %d: its attachment is not the PDF file" % info["seq"])

    def test_seal_key_never_replaced(self):
        r = self.ct("seal-key", "init", "--data", DATA)
        self.assertEqual(r.code, 2, r)
        self.assertIn("never replaced", r.err)
        mode = os.stat(os.path.join(self.dir, "keys", "seal.key")).st_mode
        self.assertEqual(mode & 0o777, 0o600)

    def test_qr_names_source_leaf(self):
        if not shutil.which("zbarimg"):
            self.skipTest("zbarimg is not installed")
        case = self.cases["granted"]
        info, out = self.render(case, "acceptance-notice")
        png = os.path.join(self.tmp, "page")
        run_tool("pdftoppm", "-r", "200", "-png", "-f", "1", "-l", "1",
                 out, png)
        text = run_tool("zbarimg", "--raw", "-q", png + "-1.png").strip()
        leaf = self.ok("log", "show", str(info["source"])).json["leaf_hash"]
        self.assertTrue(text.startswith("casetrail:test.example/casetrail/"), text)
        self.assertIn("seq=%d" % info["source"], text)
        self.assertIn("leaf=sm3:" + base64.b64decode(leaf).hex(), text)

    def test_bad_input_changes_nothing(self):
        granted, refused = self.cases["granted"], self.cases["refused"]
        acceptance = [r["seq"] for r in self.records(granted)
                      if r["kind"] == "acceptance-notice"][0]
        refusal = [r["seq"] for r in self.records(refused)
                   if r["kind"] == "refusal"][0]
        size = self.tree_size()
        cases = [
            ((granted, "no-such-document"), None,
             "no document template has the code 'no-such-document'"),
            ((granted, "decision-grant"), str(acceptance), "is a acceptance-notice record"),
            (("2026-999999", "acceptance-notice"), None, "2026-999999"),
            ((granted, "refusal"), str(refusal), "is not a record of case " + granted),
            ((granted, "refusal"), None, "has no record of kind refusal"),
            ((refused, "decision-grant"), None, "has no record of kind decision"),
        ]
        for (case, kind), record, message in cases:
            with self.subTest(kind=kind, record=record):
                r = self.render(case, kind, record=record, expect=2)
                self.assertIn(message, r.err)
        missing = os.path.join(self.tmp, "no-such-folder", "a.pdf")
        r = self.render(granted, "acceptance-notice", out=missing, expect=2)
        self.assertIn("does not exist", r.err)
        self.assertFalse(os.path.exists(os.path.dirname(missing)))
        self.assertEqual(self.tree_size(), size, "bad input appended entries")
        self.assertEqual(self.ok("document", "list", granted, "--json").json, [])

    def test_damaged_pdf_is_not_reprinted(self):
        case = self.cases["granted"]
        info, _ = self.render(case, "acceptance-notice")
        digest = info["pdf"]["hash"].split(":", 1)[1]
        blob = os.path.join(self.dir, "blobs", "sm3", digest[:2], digest[2:4], digest)
        os.chmod(blob, 0o644)
        with open(blob, "r+b") as f:
            f.seek(100)
            f.write(b"XXXX")
        r = self.render(case, "acceptance-notice", expect=2)
        self.assertIn("does not match its hash", r.err)
        r = self.ct("verify")
        self.assertEqual(r.code, 1, r)

    def test_long_transcript_pages(self):
        data = os.path.join(self.tmp, "data")
        shutil.copytree(DATA, data)
        paragraph = {"p": "经营场所与申请材料一致，" * 40}
        template = {"code": "long-note", "title": "长篇笔录", "source": ["onsite-verification"],
                    "transcript": True, "body": [paragraph] * 12 + [{"confirmation": True}]}
        with open(os.path.join(data, "documents", "long-note.json"), "w",
                  encoding="utf-8") as f:
            json.dump(template, f, ensure_ascii=False)
        out = os.path.join(self.tmp, "long.pdf")
        r = self.ct("document", "render", self.cases["granted"], "long-note",
                    "--out", out, "--data", data)
        self.assertEqual(r.code, 0, r)
        pages = run_tool("pdftotext", out, "-").split("\f")[:-1]
        self.assertGreater(len(pages), 2)
        for n, page in enumerate(pages, 1):
            text = squeeze(page)
            self.assertIn("第%d页共%d页" % (n, len(pages)), text)
            self.assertIn("被记录人签名", text)
        self.assertIn("以上笔录我已看过", squeeze(pages[-1]))

    def test_marked_document_needs_clearance(self):
        case = self.cases["granted"]
        size = self.tree_size()
        # The service receipt prints the applicant's address.
        r = self.render(case, "service-receipt", actor="wang.clerk", expect=2)
        self.assertIn("is not cleared for content marked personal", r.err)
        # The refusal is logged, nothing is issued.
        self.assertEqual(self.tree_size(), size + 1)
        self.assertEqual(self.ok("document", "list", case, "--json").json, [])
        info, _ = self.render(case, "service-receipt")
        issued = [r for r in self.records(case) if r["seq"] == info["seq"]][0]
        self.assertEqual(issued["mark"], "personal", "the entry's mark")
        info, _ = self.render(case, "acceptance-notice", actor="wang.clerk")
        self.assertEqual(self.ok("log", "show", str(info["seq"])).json["entry"]["actor"],
                         "wang.clerk")

    def test_plain_record_rendering(self):
        case = self.cases["granted"]
        onsite = [r for r in self.records(case)
                  if r["kind"] == "onsite-verification"][0]
        size = self.tree_size()
        outs = []
        for name in ("one.pdf", "two.pdf"):
            out = os.path.join(self.tmp, name)
            self.ok("document", "render", case, "record", "--record",
                    str(onsite["seq"]), "--out", out)
            outs.append(out)
        with open(outs[0], "rb") as a, open(outs[1], "rb") as b:
            self.assertEqual(a.read(), b.read(), "the rendering is not reproducible")
        text = squeeze(pdf_text(outs[0]))
        self.assertIn(squeeze(onsite["name"]), text)
        self.assertIn("经营场所与申请材料一致", text)
        self.assertIn("FandolFang", run_tool("pdffonts", outs[0]))
        images = run_tool("pdfimages", "-list", outs[0])
        self.assertEqual(len(images.splitlines()), 2, "a plain rendering has a seal")
        # Reading the personal record was logged; nothing else was added.
        self.assertLessEqual(self.tree_size(), size + 2)
        r = self.ct("document", "render", self.cases["refused"], "record",
                    "--record", str(onsite["seq"]), "--out", outs[0])
        self.assertEqual(r.code, 2, r)
        self.assertIn("is not a record of case", r.err)

    def test_seal_image_on_issued_document(self):
        data = os.path.join(self.tmp, "data")
        shutil.copytree(DATA, data)
        with open(os.path.join(data, "bureau.json"), encoding="utf-8") as f:
            bureau = json.load(f)
        bureau["seal_image"] = "seal.png"
        with open(os.path.join(data, "bureau.json"), "w", encoding="utf-8") as f:
            json.dump(bureau, f, ensure_ascii=False)
        with open(os.path.join(data, "seal.png"), "wb") as f:
            f.write(workflow.png_bytes())
        out = os.path.join(self.tmp, "sealed.pdf")
        r = self.ct("document", "render", self.cases["granted"], "decision-grant",
                    "--out", out, "--data", data)
        self.assertEqual(r.code, 0, r)
        images = run_tool("pdfimages", "-list", out).splitlines()[2:]
        self.assertEqual(len(images), 1, images)

    def test_unknown_template_member_rejected(self):
        data = os.path.join(self.tmp, "data")
        shutil.copytree(DATA, data)
        path = os.path.join(data, "documents", "acceptance-notice.json")
        with open(path, encoding="utf-8") as f:
            t = json.load(f)
        for bad, message in ((dict(t, colour="red"), "unknown member 'colour'"),
                             (dict(t, addressee="{{nobody.name}}"), "unknown root 'nobody'"),
                             (dict(t, addressee="{{case.id|shout}}"), "unknown filter 'shout'")):
            with open(path, "w", encoding="utf-8") as f:
                json.dump(bad, f, ensure_ascii=False)
            r = self.ct("document", "list", self.cases["granted"], "--data", data)
            self.assertEqual(r.code, 2, r)
            self.assertIn("acceptance-notice.json", r.err)
            self.assertIn(message, r.err)

    def check_golden(self, kind, pdf):
        """Compares page 1 of pdf with the golden image of kind, or writes
        it with CASETRAIL_GOLDEN_WRITE=1 (tests/documents/make-golden)."""
        golden = os.path.join(GOLDEN, kind + ".png")
        width, height, pixels = page_image(pdf)
        got = threshold(pixels)
        if os.environ.get("CASETRAIL_GOLDEN_WRITE") == "1":
            os.makedirs(GOLDEN, exist_ok=True)
            with open(golden, "wb") as f:
                f.write(write_png_1bit(width, height, got))
            return
        if not os.path.exists(golden):
            self.fail("no golden image %s; run tests/documents/make-golden" % golden)
        with open(golden, "rb") as f:
            want = read_png_1bit(f.read())
        self.assertEqual((width, height), want[:2], "page size differs")
        self.assertLess(mean_difference(got, want[2]), GOLDEN_TOLERANCE,
                        "page 1 of %s differs from its golden image" % kind)


class DocumentsApiTest(apitest.ApiTest):
    """The routes of documents against a real server."""

    def test_issue_list_and_download(self):
        self.ok("user", "add", "zhou.sup", "--role", "supervisor", "--data", DATA)
        case = self.ok("case", "new", "--matter", "spjy-xk", "--applicant", APPLICANT,
                       "--received", workflow.at(-1), "--materials", "sqs,yyzz",
                       "--channel", "window", "--as", "wang.li").out.strip()
        fields = os.path.join(self.tmp, "fields.json")
        with open(fields, "w", encoding="utf-8") as f:
            json.dump({"accepted_on": workflow.day(-1),
                       "signatures": [workflow.staff_sig("clerk", "wang.li"),
                                      workflow.seal_sig(0)]}, f)
        scan = os.path.join(self.tmp, "scan.png")
        with open(scan, "wb") as f:
            f.write(workflow.png_bytes())
        self.ok("record", "add", "--case", case, "--kind", "acceptance-notice",
                "--fields", fields, "--attach", scan, "--as", "wang.li")
        clerk = self.token
        supervisor = self.create_token("zhou.sup")
        path = "/api/v1/cases/%s/documents" % case
        r = self.call("POST", path, {"document": "acceptance-notice"}, token=clerk)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers["Content-Type"], "application/pdf")
        self.assertTrue(r.body.startswith(b"%PDF-"), r.body[:20])
        seq = int(r.headers["X-Document-Seq"])
        again = self.call("POST", path, {"document": "acceptance-notice"}, token=clerk)
        self.assertEqual(again.body, r.body, "a re-print differs")
        listed = self.call("GET", path, token=supervisor)
        self.assertEqual(listed.status, 200, listed)
        self.assertEqual([d["seq"] for d in listed.json["items"]], [seq])
        got = self.call("GET", "%s/%d" % (path, seq), token=supervisor)
        self.assertEqual(got.status, 200, got)
        self.assertEqual(got.body, r.body)
        shown = self.call("GET", "/api/v1/cases/%s" % case, token=supervisor)
        self.assertEqual(shown.status, 200, shown)
        names = {x["seq"]: x["name"] for x in shown.json["records"]}
        self.assertEqual(names[seq], "受理通知书")
        self.assertNotIn(None, names.values())
        r = self.ct("record", "add", "--case", case, "--kind", "document-issue",
                    "--fields", fields, "--as", "wang.li")
        self.assertNotEqual(r.code, 0, "a user appended a document-issue entry")
        r = self.call("POST", path, {"document": "acceptance-notice"},
                      token=supervisor)
        self.assertEqual(r.status, 403, r)
        r = self.call("POST", path, {"document": "nothing"}, token=clerk)
        self.assertEqual(r.status, 404, r)
        message = r.body.decode("utf-8")
        self.assertIn("'nothing'", message)
        self.assertNotIn("/documents", message)
        self.assertNotIn(DATA, message)
        r = self.call("POST", path, {"document": "acceptance-notice", "x": 1},
                      token=clerk)
        self.assertEqual(r.status, 422, r)
        r = self.call("GET", "%s/%d" % (path, seq - 1), token=supervisor)
        self.assertEqual(r.status, 404, r)


if __name__ == "__main__":
    unittest.main()
