#!/usr/bin/env python3
"""The browser UI's files as `casetrail serve` sends them.

A server started with --web on a folder made here serves its files at /,
with their media types, a content security policy and revalidation, and
refuses every path that could leave the folder or reach a hidden file, a
symbolic link or a file of a type it does not serve. A server whose web
folder is missing serves the API alone. The project's own web/ passes the
checks that keep user text from running as code: no module assigns
innerHTML, and no page has an inline script or style.

Python 3 standard library only.
"""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))

import apitest  # noqa: E402
import ctest  # noqa: E402

SRC = os.environ.get("CASETRAIL_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
WEB = os.path.join(SRC, "web")


class WebFolder(ctest.StoreTest):
    def setUp(self):
        super().setUp()
        self.web = os.path.join(self.tmp, "web")
        os.makedirs(os.path.join(self.web, "js"))
        self.write("index.html", "<!doctype html><title>首页</title>")
        self.write("js/app.js", "export const x = 1;\n")
        self.write("js/.hidden.js", "HIDDEN-CONTENT\n")
        self.write("notes.md", "not served\n")
        self.write("empty.txt", "")
        with open(os.path.join(self.tmp, "outside.js"), "w") as f:
            f.write("OUTSIDE-CONTENT\n")
        os.symlink(os.path.join(self.tmp, "outside.js"), os.path.join(self.web, "js", "link.js"))
        self.server = apitest.Server(self.dir, args=("--web", self.web))

    def tearDown(self):
        try:
            self.server.close()
        finally:
            super().tearDown()

    def write(self, name, text):
        with open(os.path.join(self.web, name), "w", encoding="utf-8") as f:
            f.write(text)

    def get(self, path, headers=None, method="GET"):
        return self.server.request(method, path, headers=headers)

    def test_index_and_types(self):
        r = self.get("/")
        self.assertEqual(r.status, 200, r)
        self.assertIn("首页", r.body.decode())
        self.assertEqual(r.headers["Content-Type"], "text/html; charset=utf-8")
        csp = r.headers["Content-Security-Policy"]
        self.assertIn("script-src 'self'", csp)
        self.assertIn("object-src 'none'", csp)
        self.assertNotIn("unsafe-inline", csp)
        self.assertEqual(r.headers["X-Content-Type-Options"], "nosniff")
        self.assertEqual(r.headers["Cache-Control"], "no-cache")
        r = self.get("/js/app.js")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers["Content-Type"], "text/javascript; charset=utf-8")
        self.assertEqual(r.body, b"export const x = 1;\n")
        r = self.get("/empty.txt")
        self.assertEqual((r.status, r.body), (200, b""))

    def test_revalidation(self):
        etag = self.get("/js/app.js").headers["ETag"]
        r = self.get("/js/app.js", headers={"If-None-Match": etag})
        self.assertEqual((r.status, r.body), (304, b""))
        self.write("js/app.js", "export const x = 22;\n")
        r = self.get("/js/app.js", headers={"If-None-Match": etag})
        self.assertEqual(r.status, 200)
        self.assertNotEqual(r.headers["ETag"], etag)

    def test_head_and_methods(self):
        r = self.get("/index.html", method="HEAD")
        self.assertEqual((r.status, r.body), (200, b""))
        r = self.get("/index.html", method="POST")
        self.assertEqual(r.status, 405)
        self.assertEqual(r.headers["Allow"], "GET, HEAD")

    def test_refused_paths(self):
        for path in ["/../outside.js", "/js/../../outside.js", "/js/.hidden.js", "/.git/config",
                     "/js//app.js", "/js/app.js/", "/notes.md", "/js/link.js", "/js",
                     "/%2e%2e/outside.js", "/js/app.js%00", "/js/app%20x.js", "/nothing.html",
                     "/" + "a" * 300 + ".js"]:
            r = self.server.raw(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                                 % path).encode())
            status = int(r.split(b" ", 2)[1])
            self.assertIn(status, (400, 404), (path, r[:200]))
            self.assertNotIn(b"OUTSIDE-CONTENT", r.split(b"\r\n\r\n", 1)[1], path)
            self.assertNotIn(b"HIDDEN-CONTENT", r.split(b"\r\n\r\n", 1)[1], path)

    def test_api_still_answers(self):
        self.assertEqual(self.get("/healthz").status, 200)
        self.assertEqual(self.get("/api/v1/cases").status, 401)


class NoWebFolder(ctest.StoreTest):
    def test_missing_folder_leaves_the_api(self):
        server = apitest.Server(self.dir, args=("--web", os.path.join(self.tmp, "none")))
        try:
            self.assertEqual(server.request("GET", "/healthz").status, 200)
            self.assertEqual(server.request("GET", "/").status, 404)
        finally:
            log = server.close()
        self.assertRegex(log, r'level=warn .*the browser UI is off')


class ProjectWebFolder(unittest.TestCase):
    """Checks of the project's own web/ that keep typed text inert."""

    def files(self, ext):
        for root, dirs, names in os.walk(WEB):
            for n in names:
                if n.endswith(ext):
                    yield os.path.join(root, n)

    def test_no_html_parsing_of_data(self):
        bad = re.compile(r"\.(innerHTML|outerHTML)\s*[+]?=|insertAdjacentHTML|document\.write"
                         r"|\beval\s*\(|new Function\s*\(")
        for path in self.files(".js"):
            with open(path, encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    self.assertIsNone(bad.search(line), "%s:%d: %s" % (path, n, line.strip()))

    def test_no_inline_script_or_style(self):
        for path in self.files(".html"):
            with open(path, encoding="utf-8") as f:
                text = f.read()
            for m in re.finditer(r"<script\b[^>]*>", text):
                self.assertIn("src=", m.group(0), path)
            self.assertNotRegex(text, r"\sstyle\s*=|<style\b|\son[a-z]+\s*=", path)

    def test_no_outside_network(self):
        for ext in (".js", ".html", ".css"):
            for path in self.files(ext):
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                self.assertNotRegex(text, r"(?:src|href)\s*=\s*[\"']?(?:https?:)?//", path)
                self.assertNotRegex(text, r"@import\s+url\(\s*[\"']?https?:", path)
                self.assertNotRegex(text, r"\bimport\s[^;]*from\s+[\"']https?:", path)


if __name__ == "__main__":
    unittest.main()
