#!/usr/bin/env python3
"""Source layout rules: which module may include which library header.

OpenSSL is included only under src/crypto/, SQLite and libpq only under
src/store/, libmicrohttpd only under src/http/, libxml2 only under
src/archive/, fontconfig and libqrencode only under src/documents/,
Cairo and Pango only there and in the report's PDF (src/reports/pdf.c,
which takes its fonts from the documents module), libcurl only under
src/witness/ (the bureau's client of the witness), and every C file under
src/
includes common/common.h (which bans unsafe calls) before anything else.
"""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import ctest  # noqa: E402

RULES = [
    (re.compile(r'#\s*include\s*<openssl/'), "src/crypto/"),
    (re.compile(r'#\s*include\s*<sqlite3\.h>'), "src/store/"),
    (re.compile(r'#\s*include\s*<libpq-fe\.h>'), "src/store/"),
    (re.compile(r'#\s*include\s*<microhttpd\.h>'), "src/http/"),
    (re.compile(r'#\s*include\s*<libxml/'), "src/archive/"),
    (re.compile(r'#\s*include\s*<fontconfig/'), "src/documents/"),
    (re.compile(r'#\s*include\s*<(cairo|pango)/'), ("src/documents/", "src/reports/pdf.c")),
    (re.compile(r'#\s*include\s*<cairo[-a-z]*\.h>'), ("src/documents/", "src/reports/pdf.c")),
    (re.compile(r'#\s*include\s*<qrencode\.h>'), "src/documents/"),
    (re.compile(r'#\s*include\s*<curl/'), "src/witness/"),
]


def sources():
    root = os.path.join(ctest.SRC, "src")
    for dirpath, _, files in os.walk(root):
        for name in sorted(files):
            if name.endswith((".c", ".h")):
                path = os.path.join(dirpath, name)
                yield os.path.relpath(path, ctest.SRC), path


class LayoutTest(unittest.TestCase):
    def test_library_headers_stay_in_their_module(self):
        for rel, path in sources():
            with open(path, encoding="utf-8") as f:
                text = f.read()
            for pattern, allowed in RULES:
                if pattern.search(text):
                    self.assertTrue(rel.startswith(allowed),
                                    "%s includes %s" % (rel, pattern.pattern))

    def test_common_header_first(self):
        for rel, path in sources():
            if not rel.endswith(".c"):
                continue
            with open(path, encoding="utf-8") as f:
                first = next((line for line in f if line.startswith("#include")), "")
            self.assertRegex(first, r'#include "(common/)?common\.h"', rel)
            if not rel.startswith("src/common/"):
                self.assertIn('"common/common.h"', first, rel)

    def test_banned_calls_are_errors(self):
        path = os.path.join(ctest.SRC, "src/common/banned.h")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for name in ("strcpy", "sprintf", "strtok", "gmtime", "localtime", "atoi"):
            self.assertIn("#define %s(" % name, text)


if __name__ == "__main__":
    ctest.main()
