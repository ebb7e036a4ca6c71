#!/usr/bin/env python3
"""Bad input to the workflow API over HTTP, and the calls that succeed.

Every rejected request must get the right status and an RFC 9457 problem
whose detail names the value. It must also leave the log as it was, so
the entry count from /healthz, `casetrail log show` of the next seq and
the case list are checked after each one.

Python 3 standard library only.
"""

import http.client
import json
import os
import re
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import apitest  # noqa: E402
import ctest  # noqa: E402

# Stages after acceptance: a record of such a kind is out of order on a
# case that was just opened.
LATE_STAGES = ("decision", "service", "archive")

# Field types sample_value can fill.
SIMPLE_TYPES = ("string", "text", "integer", "boolean", "date", "datetime",
                "enum", "strings", "user", "users", "object", "objects")


def sample_value(spec):
    """Returns a valid value for a field spec of record-kinds.json."""
    kind = spec["type"]
    low = spec.get("min", 1)
    if kind in ("string", "text"):
        return "x" * max(low, 1)
    if kind == "integer":
        return low
    if kind == "boolean":
        return True
    if kind == "date":
        return time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400))
    if kind == "datetime":
        return time.strftime("%Y-%m-%dT%H:%M:%SZ",
                             time.gmtime(time.time() - 3600))
    if kind == "enum":
        return spec["values"][0]
    if kind == "strings":
        return ["x"] * max(low, 1)
    if kind == "user":
        return "wang.li"
    if kind == "users":
        return ["wang.li", "zhao.min"][:max(low, 1)]
    if kind == "object":
        return sample_fields(spec["fields"])
    if kind == "objects":
        return [sample_fields(spec["fields"])] * max(low, 1)
    raise ValueError(kind)


def sample_fields(specs):
    return {s["name"]: sample_value(s) for s in specs if s.get("required")}


def sample_signatures(kind):
    """Returns a signature for each signer of kind, or None when one needs
    an attachment (pad, paper, seal) that a request without files lacks."""
    signatures = []
    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
    for signer in kind.get("signers", []):
        methods = signer.get("methods", [])
        signature = {"role": signer["role"], "person": "wang.li", "at": at}
        if "staff" in methods:
            signature["method"] = "staff"
        elif "refused" in methods:
            signature.update(method="refused", reason="拒绝签字",
                             witness="zhao.min")
        else:
            return None
        signatures.append(signature)
    return signatures


def sample_record(kind):
    """Returns fields that satisfy kind's schema, signers included."""
    fields = sample_fields(kind["fields"])
    fields["signatures"] = sample_signatures(kind)
    if kind.get("confirmation"):
        fields["confirmation"] = "以上笔录我已看过，与我所说相符"
    return fields


def fillable(specs):
    """Returns whether sample_fields can fill every required field."""
    for s in specs:
        if not s.get("required") or "when" in s:
            continue
        if s["type"] not in SIMPLE_TYPES:
            return False
        if s["type"] in ("object", "objects") and not fillable(s["fields"]):
            return False
    return True


class CasesApiTest(apitest.ApiTest):
    """A fresh store, server and case for each test."""

    def setUp(self):
        super().setUp()
        self.matters = self.get_ok("/api/v1/matters?limit=500")["items"]
        self.kinds = self.get_ok("/api/v1/record-kinds?limit=500")["items"]
        self.matter = self.matters[0]["code"]
        self.case = self.open_case(self.matter)
        self.case_id = self.case["id"]
        self.baseline = self.entries()

    def assert_nothing_stored(self):
        """Checks that no entry, case or record was added."""
        self.assertEqual(self.entries(), self.baseline)
        r = self.ct("log", "show", str(self.baseline))
        self.assertNotEqual(r.code, 0, r)
        cases = self.get_ok("/api/v1/cases")
        self.assertEqual(cases["total"], 1)
        timeline = self.get_ok("/api/v1/cases/%s/records" % self.case_id)
        self.assertEqual(timeline["total"], len(self.case["records"]))

    def note(self, text="申请人当场补正了营业执照复印件。", **extra):
        return dict({"kind": "note", "fields": {"text": text}}, **extra)

    def records_path(self, case=None):
        return "/api/v1/cases/%s/records" % (case or self.case_id)

    # Authorization

    def test_missing_token_is_401(self):
        for method, path, body in (
                ("GET", "/api/v1/cases", None),
                ("GET", "/api/v1/matters", None),
                ("POST", "/api/v1/cases", {"matter": self.matter}),
                ("POST", self.records_path(), self.note())):
            with self.subTest(method=method, path=path):
                r = self.call(method, path, body, token=None)
                self.assert_problem(r, 401, "unauthorized", "Authorization")
                self.assertTrue(
                    r.headers["WWW-Authenticate"].startswith("Bearer"))
        self.assert_nothing_stored()

    def test_wrong_token_is_401(self):
        wrong = "ct_" + "A" * 43
        r = self.post(self.records_path(), self.note(), token=wrong)
        problem = self.assert_problem(r, 401, "unauthorized")
        self.assertIn('error="invalid_token"', r.headers["WWW-Authenticate"])
        self.assertNotIn(wrong, problem["detail"])
        self.assertNotIn(wrong, self.server.log())
        self.assert_nothing_stored()

    def test_other_schemes_are_401(self):
        for value in ("Basic d2FuZzpsaQ==", "Bearer", "Bearer ",
                      "bearer-" + self.token, self.token):
            with self.subTest(value=value):
                r = self.call("GET", "/api/v1/cases",
                              headers={"Authorization": value}, token=None)
                self.assert_problem(r, 401, "unauthorized")
                self.assertIn("Bearer", r.headers["WWW-Authenticate"])

    def test_token_never_logged(self):
        self.get_ok("/api/v1/cases")
        self.post(self.records_path(), self.note())
        log = self.server.log()
        self.assertNotIn(self.token, log)
        self.assertNotIn(self.token.split("_", 1)[-1], log)
        self.assertRegex(log, r"target=/api/v1/cases status=200 .* "
                              r"user=wang\.li")

    def test_query_values_never_logged(self):
        """A search term may be an ID number: the log names the query's
        parameters, never their values."""
        self.get_ok("/api/v1/cases?q=110101199003077774&limit=5")
        # The access line is written when the request ends, which may be
        # just after the reply reached the client.
        line = 'target="/api/v1/cases?q=*&limit=*" '
        deadline = time.monotonic() + 5
        while line not in self.server.log() and time.monotonic() < deadline:
            time.sleep(0.02)
        log = self.server.log()
        self.assertIn(line, log)
        self.assertNotIn("110101199003077774", log)

    def test_token_user_is_actor(self):
        # zhao.min, of another unit, takes part once assigned.
        r = self.post(self.records_path(), self.note(),
                      token=self.other_token)
        self.assert_problem(r, 403, "forbidden", "zhao.min")
        kind = next(k for k in self.kinds if k["code"] == "assignment")
        fields = dict(sample_fields(kind["fields"]), handler="zhao.min",
                      signatures=sample_signatures(kind))
        r = self.post(self.records_path(), {"kind": "assignment",
                                            "fields": fields})
        self.assertEqual(r.status, 201, r)
        r = self.post(self.records_path(), self.note(),
                      token=self.other_token)
        self.assertEqual(r.status, 201, r)
        record = self.get_ok("/api/v1/records/%d" % r.json["seq"])
        self.assertEqual(record["actor"], "zhao.min")

    # Request bodies

    def test_unknown_matter_is_422(self):
        r = self.post("/api/v1/cases", {
            "matter": "no-such-matter", "applicant": "某某公司",
            "received": "2026-12-01"})
        self.assert_problem(r, 422, "validation-failed", "no-such-matter")
        self.assert_nothing_stored()

    def test_unknown_kind_is_422(self):
        r = self.post(self.records_path(),
                      {"kind": "no-such-kind", "fields": {"text": "x"}})
        self.assert_problem(r, 422, "validation-failed", "no-such-kind")
        self.assert_nothing_stored()

    def test_wrong_stage_is_409(self):
        late = [k for k in self.kinds
                if k["stage"] in LATE_STAGES and fillable(k["fields"])
                and sample_signatures(k) is not None
                and not k.get("av", {}).get("required")]
        if not late:
            self.skipTest("the bureau data has no later-stage kind whose "
                          "fields this test can fill")
        kind = late[0]
        r = self.post(self.records_path(), {
            "kind": kind["code"], "fields": sample_record(kind)})
        self.assert_problem(r, 409, "stage-conflict", kind["code"])
        self.assert_nothing_stored()

    def test_impossible_dates_are_rejected(self):
        for received in ("2026-02-30", "2026-13-01", "2025-02-29",
                         "2026-04-31T10:00:00+08:00", "yesterday"):
            with self.subTest(received=received):
                r = self.post("/api/v1/cases", {
                    "matter": self.matter, "applicant": "某某公司",
                    "received": received})
                self.assert_problem(r, 422, "validation-failed", received)
        for at in ("2026-02-30T10:00:00+08:00", "2026-12-01T24:00:00Z",
                   "2026-12-01T10:00:00", "2026-12-01 10:00:00+08:00",
                   "2099-01-01T00:00:00Z"):
            with self.subTest(at=at):
                r = self.post(self.records_path(), self.note(at=at))
                self.assert_problem(r, 422, "validation-failed", at)
        r = self.get("/api/v1/deadline?from=2026-02-30&working-days=5")
        self.assert_problem(r, 400, "invalid-parameter", "2026-02-30")
        self.assert_nothing_stored()

    def test_wrong_types_are_422(self):
        cases = [
            ({"kind": 5, "fields": {"text": "x"}}, "kind"),
            ({"kind": "note", "fields": "x"}, "fields"),
            ({"kind": "note", "fields": ["x"]}, "fields"),
            ({"kind": "note"}, "fields"),
            ({"fields": {"text": "x"}}, "kind"),
            ({"kind": "note", "fields": {"text": "x"}, "at": 123}, "at"),
            ({"kind": "note", "fields": {"text": "x"}, "when": "now"},
             "when"),
            ({"kind": "note", "fields": {"text": 5}}, "text"),
            ({"kind": "note", "fields": {}}, "text"),
        ]
        for body, mention in cases:
            with self.subTest(body=body):
                r = self.post(self.records_path(), body)
                self.assert_problem(r, 422, "validation-failed", mention)
        for body in ([], "note", 5, None):
            with self.subTest(body=body):
                r = self.post(self.records_path(),
                              json.dumps(body).encode(),
                              headers={"Content-Type": "application/json"})
                self.assert_problem(r, 422, "validation-failed", "object")
        r = self.post("/api/v1/cases", {"matter": self.matter,
                                        "applicant": "x",
                                        "received": "2026-12-01",
                                        "colour": "red"})
        self.assert_problem(r, 422, "validation-failed", "colour")
        self.assert_nothing_stored()

    def test_body_over_limit_is_413(self):
        body = json.dumps(self.note("x" * (2 << 20))).encode()
        r = self.post(self.records_path(), body,
                      headers={"Content-Type": "application/json"})
        self.assert_problem(r, 413, "body-too-large", "1048576")
        self.assert_nothing_stored()

    def test_body_over_limit_before_continue(self):
        request = ("POST %s HTTP/1.1\r\nHost: t\r\n"
                   "Authorization: Bearer %s\r\n"
                   "Content-Type: application/json\r\n"
                   "Content-Length: %d\r\nExpect: 100-continue\r\n\r\n"
                   % (self.records_path(), self.token, 2 << 20)).encode()
        reply = self.server.raw(request)
        self.assertTrue(reply.startswith(b"HTTP/1.1 413"), reply[:200])
        self.assertIn(b"1048576", reply)
        self.assert_nothing_stored()

    def test_chunked_body_over_limit_is_413(self):
        def chunks():
            for _ in range(40):
                yield b"x" * 65536

        conn = http.client.HTTPConnection(
            "127.0.0.1", self.server.port, timeout=30)
        try:
            conn.request("POST", self.records_path(), body=chunks(),
                         encode_chunked=True,
                         headers={"Authorization": "Bearer " + self.token,
                                  "Content-Type": "application/json"})
            resp = conn.getresponse()
            r = apitest.Response(resp.status, resp.headers, resp.read())
        finally:
            conn.close()
        self.assert_problem(r, 413, "body-too-large", "1048576")
        self.assert_nothing_stored()

    def test_rejected_large_body_gets_reply(self):
        body = b"x" * (3 << 20)
        r = self.post(self.records_path(), body,
                      headers={"Content-Type": "application/json"},
                      token=None)
        self.assert_problem(r, 401, "unauthorized")
        r = self.post(self.records_path(), body,
                      headers={"Content-Type": "text/plain"})
        self.assert_problem(r, 415, "unsupported-media-type", "text/plain")
        self.assert_nothing_stored()

    def test_malformed_json_is_400(self):
        cases = [
            (b'{"kind": "note", "fields": ', "line 1"),
            (b'{"kind": "note",\n "kind": "note", "fields": {}}', "kind"),
            (b'{"kind": "note", "fields": {"text": "x", "n": 1.5}}', "1.5"),
            (b'{"kind": "note", "fields": {"n": 9007199254740992}}', "n"),
            (b'{"kind": "note", "fields": {"text": "\xff"}}', "0xff"),
            (b'', "JSON"),
            (b'{"kind": "note"} trailing', "JSON"),
        ]
        for body, mention in cases:
            with self.subTest(body=body):
                r = self.post(self.records_path(), body,
                              headers={"Content-Type": "application/json"})
                self.assert_problem(r, 400, "invalid-json")
                self.assertIn(mention, r.json["detail"])
        self.assert_nothing_stored()

    def test_content_type_is_415(self):
        body = json.dumps(self.note()).encode()
        for value in (None, "text/plain", "application/jsonx",
                      "multipart/form-data; boundary=x"):
            with self.subTest(content_type=value):
                headers = {"Content-Type": value} if value else {}
                r = self.post(self.records_path(), body, headers=headers)
                self.assert_problem(r, 415, "unsupported-media-type")
        r = self.post(self.records_path(), body, headers={
            "Content-Type": "Application/JSON; charset=utf-8"})
        self.assertEqual(r.status, 201, r)

    # Query parameters and paths

    def test_unknown_query_parameter_is_400(self):
        cases = [
            ("/api/v1/cases?bogus=1", "bogus"),
            ("/api/v1/cases?stage=acceptance&stage=decision", "stage"),
            ("/api/v1/cases?limit=abc", "abc"),
            ("/api/v1/cases?limit=501", "501"),
            ("/api/v1/cases?limit=0", "from 1 to 500"),
            ("/api/v1/findings?limit=0", "limit='0'"),
            ("/api/v1/cases?limit=050", "050"),
            ("/api/v1/cases?offset=-1", "-1"),
            ("/api/v1/cases?due-within=soon", "soon"),
            ("/api/v1/cases?overdue=yes", "yes"),
            ("/api/v1/cases?open", "open"),
            ("/api/v1/cases?q=", "q"),
            ("/api/v1/cases?q=a%00b", "NUL"),
            ("/api/v1/findings?cases=x", "cases"),
            ("/api/v1/matters?type=licence&code=x", "code"),
            ("/api/v1/cases/%s?verbose=1" % "C", "verbose"),
            ("/api/v1/deadline?from=2026-12-01", "working-days"),
            ("/api/v1/deadline?from=2026-12-01&working-days=3&"
             "calendar-days=3", "calendar-days"),
            ("/api/v1/deadline?from=2026-12-01&working-days=99999",
             "99999"),
        ]
        for path, mention in cases:
            with self.subTest(path=path):
                r = self.get(path)
                self.assert_problem(r, 400, "invalid-parameter", mention)
        r = self.post(self.records_path() + "?dry-run=1", self.note())
        self.assert_problem(r, 400, "invalid-parameter", "dry-run")
        self.assert_nothing_stored()

    def test_dot_segments_are_400(self):
        for path, mention in (
                ("/api/v1/cases/../users", ".."),
                ("/api/v1/cases/./x", "."),
                ("/api/v1/cases/%2e%2e/records", "%2e%2e"),
                ("/api/v1/cases/%00", "%00"),
                ("/api/v1/cases/a%00b/records", "%00"),
                ("/api/v1/records/1%00", "%00"),
                ("/api/v1/users/a%2fb", "a%2fb"),
                ("/api/v1/cases/%zz", "%zz"),
                ("/api/v1/cases/%ff", "UTF-8")):
            with self.subTest(path=path):
                r = self.get(path)
                self.assert_problem(r, 400, "invalid-path", mention)
        r = self.post("/api/v1/cases/%00/records", self.note())
        self.assert_problem(r, 400, "invalid-path", "%00")
        r = self.post("/api/v1/cases/../cases", {"matter": self.matter})
        self.assert_problem(r, 400, "invalid-path", "..")
        self.assert_nothing_stored()

    def test_unknown_resources_are_404(self):
        r = self.get("/api/v1/cases/2026-999999")
        self.assert_problem(r, 404, "not-found", "2026-999999")
        r = self.post(self.records_path("2026-999999"), self.note())
        self.assert_problem(r, 404, "not-found", "2026-999999")
        r = self.get("/api/v1/records/999999")
        self.assert_problem(r, 404, "not-found", "999999")
        r = self.post("/api/v1/records/999999/corrections",
                      {"reason": "typo", "fields": {"text": "y"}})
        self.assert_problem(r, 404, "not-found", "999999")
        for path in ("/api/v1/matters/nope", "/api/v1/record-kinds/nope",
                     "/api/v1/laws/nope", "/api/v1/users/nope"):
            with self.subTest(path=path):
                self.assert_problem(self.get(path), 404, "not-found", "nope")
        r = self.get("/api/v1/records/01")
        self.assert_problem(r, 400, "invalid-path", "01")
        self.assert_problem(self.get("/api/v1/nothing"), 404)
        self.assert_nothing_stored()

    def test_wrong_method_is_405(self):
        for method, path, allow in (
                ("DELETE", "/api/v1/cases", "GET, HEAD, POST"),
                ("PUT", "/api/v1/cases/%s" % self.case_id, "GET, HEAD"),
                ("GET", "/api/v1/records/0/corrections", "POST"),
                ("POST", "/api/v1/matters", "GET, HEAD")):
            with self.subTest(method=method, path=path):
                r = self.call(method, path, b"{}",
                              headers={"Content-Type": "application/json"})
                self.assert_problem(r, 405, None, method)
                self.assertEqual(r.headers["Allow"], allow)
        self.assert_nothing_stored()

    # Calls that succeed

    def test_open_case_has_location(self):
        r = self.post("/api/v1/cases", {
            "matter": self.matter, "applicant": "另一家公司",
            "received": "2026-12-01"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.headers["Location"],
                         "/api/v1/cases/" + r.json["id"])
        self.assertEqual(self.entries(), self.baseline + 1)
        opened = self.get_ok(r.headers["Location"])
        self.assertEqual(opened["applicant"], "另一家公司")

    def test_record_add_get_correct(self):
        r = self.post(self.records_path(), self.note(
            at="2026-12-01T09:30:00+08:00"))
        self.assertEqual(r.status, 201, r)
        seq = r.json["seq"]
        self.assertEqual(r.headers["Location"], "/api/v1/records/%d" % seq)
        self.assertEqual(self.entries(), self.baseline + 1)
        record = self.get_ok("/api/v1/records/%d" % seq)
        self.assertEqual(record["fields"]["text"],
                         "申请人当场补正了营业执照复印件。")
        self.assertEqual(record["actor"], "wang.li")

        r = self.post("/api/v1/records/%d/corrections" % seq,
                      {"reason": "错字", "fields": {"text": "更正后的说明"}})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(self.entries(), self.baseline + 2)
        timeline = self.get_ok(self.records_path())
        seqs = [item["seq"] for item in timeline["items"]]
        self.assertIn(seq, seqs)
        self.assertIn(r.json["seq"], seqs)
        # The corrected record keeps its first version beside the new one.
        record = self.get_ok("/api/v1/records/%d" % seq)
        self.assertEqual(record["fields"]["text"], "更正后的说明")
        self.assertEqual(record["original_fields"]["text"],
                         "申请人当场补正了营业执照复印件。")
        shown = self.get_ok("/api/v1/cases/" + self.case_id)["records"]
        self.assertEqual([x.get("original_fields") for x in shown
                          if x["seq"] == seq],
                         [{"text": "申请人当场补正了营业执照复印件。"}])

        # A second correction chains onto the first.
        first = r.json["seq"]
        r = self.post("/api/v1/records/%d/corrections" % seq,
                      {"reason": "again", "fields": {"text": "z"}})
        self.assertEqual(r.status, 201, r)
        record = self.get_ok("/api/v1/records/%d" % first)
        self.assertEqual(record["superseded_by"], r.json["seq"])
        self.assertEqual(self.get_ok("/api/v1/records/%d" % seq)["fields"]["text"], "z")
        self.assertEqual(self.get_ok("/api/v1/records/%d" % seq)["original_fields"]["text"],
                         "申请人当场补正了营业执照复印件。")
        r = self.post("/api/v1/records/%d/corrections" % seq,
                      {"fields": {"text": "z"}})
        self.assert_problem(r, 422, "validation-failed", "reason")
        self.assertEqual(self.entries(), self.baseline + 3)

    def test_case_etag_and_304(self):
        # wang.li is not cleared for the application's personal data, so
        # the case comes without it, and with an ETag.
        path = "/api/v1/cases/" + self.case_id
        r = self.get(path)
        self.assertEqual(r.status, 200, r)
        etag = r.headers["ETag"]
        self.assertRegex(etag, r'^"\d+\.\d+\.[0-9a-f]+\.[0-9a-f]+\.\d+"$')
        self.assertEqual(r.headers["Cache-Control"], "private, no-cache")
        self.assertEqual(r.json["id"], self.case_id)
        self.assertIn("withheld", r.json["records"][0])

        for value in (etag, "W/" + etag, '"x", ' + etag, "*"):
            with self.subTest(if_none_match=value):
                r = self.get(path, headers={"If-None-Match": value})
                self.assertEqual(r.status, 304, r)
                self.assertEqual(r.body, b"")
                self.assertEqual(r.headers["ETag"], etag)
        r = self.get(path, headers={"If-None-Match": '"0"'})
        self.assertEqual(r.status, 200, r)

        self.assertEqual(self.post(self.records_path(), self.note()).status,
                         201)
        r = self.get(path, headers={"If-None-Match": etag})
        self.assertEqual(r.status, 200, r)
        self.assertNotEqual(r.headers["ETag"], etag)

    def test_lists_page(self):
        for n in range(3):
            self.open_case(self.matter, "公司%d" % n)
        page = self.get_ok("/api/v1/cases?offset=1&limit=2")
        self.assertEqual(page["total"], 4)
        self.assertEqual(page["offset"], 1)
        self.assertEqual(page["limit"], 2)
        self.assertEqual(len(page["items"]), 2)
        matters = self.get_ok("/api/v1/matters?limit=1")
        self.assertEqual(len(matters["items"]), 1)
        self.assertEqual(matters["total"], len(self.matters))
        licences = self.get_ok("/api/v1/matters?type=licence")
        self.assertTrue(all(m["type"] == "licence"
                            for m in licences["items"]))

    def test_catalogue_reads(self):
        matter = self.get_ok("/api/v1/matters/" + self.matter)
        self.assertEqual(matter["code"], self.matter)
        kind = self.get_ok("/api/v1/record-kinds/note")
        self.assertEqual(kind["code"], "note")
        laws = self.get_ok("/api/v1/laws")["items"]
        self.assertTrue(laws)
        self.assertNotIn("articles", laws[0]["versions"][0])
        law = self.get_ok("/api/v1/laws/" + laws[0]["id"])
        self.assertIn("articles", law["versions"][0])
        users = self.get_ok("/api/v1/users")
        self.assertEqual(sorted(u["name"] for u in users["items"]),
                         ["wang.li", "zhao.min"])
        self.assertEqual(self.get_ok("/api/v1/users/zhao.min")["name"],
                         "zhao.min")
        self.assertIn("years", self.get_ok("/api/v1/calendar"))

    def test_deadline_counts_working_days(self):
        # 2026-09-30 is a Wednesday before the National Day holidays.
        due = self.get_ok("/api/v1/deadline?from=2026-09-30&"
                          "working-days=1&explain=1")
        self.assertEqual(due["from"], "2026-09-30")
        self.assertEqual(due["unit"], "working_days")
        self.assertEqual(due["n"], 1)
        self.assertGreater(due["due"], "2026-10-01")
        self.assertEqual(due["explain"][0]["date"], "2026-10-01")
        self.assertFalse(due["explain"][0]["counted"])
        plain = self.get_ok("/api/v1/deadline?from=2026-09-30&"
                            "calendar-days=1")
        self.assertEqual(plain["unit"], "calendar_days")
        self.assertNotIn("explain", plain)

    def test_findings_and_filters(self):
        found = self.get_ok("/api/v1/findings?case=%s&open=1" % self.case_id)
        self.assertIn("items", found)
        self.assertIn("total", found)
        cases = self.get_ok("/api/v1/cases?open=1&matter=" + self.matter)
        self.assertEqual(cases["total"], 1)
        none = self.get_ok("/api/v1/cases?q=no-such-applicant")
        self.assertEqual(none["total"], 0)

    def test_metrics_count_route_groups(self):
        self.get_ok("/api/v1/cases")
        self.get_ok("/api/v1/matters")
        text = self.server.request("GET", "/metrics").body.decode()
        for group in ("cases", "catalogue"):
            with self.subTest(group=group):
                match = re.search(
                    r'^casetrail_http_request_duration_seconds_count'
                    r'\{group="%s"\} (\d+)$' % group, text, re.M)
                self.assertIsNotNone(match, text)
                self.assertGreaterEqual(int(match.group(1)), 1)
        self.assertRegex(text, r'(?m)^casetrail_http_request_duration_'
                               r'seconds_sum\{group="cases"\} [0-9.]+$')

    def test_keep_alive_after_rejection(self):
        with socket.create_connection(("127.0.0.1", self.server.port),
                                      timeout=10) as sock:
            body = b'{"kind":'
            sock.sendall(("POST %s HTTP/1.1\r\nHost: t\r\n"
                          "Authorization: Bearer %s\r\n"
                          "Content-Type: application/json\r\n"
                          "Content-Length: %d\r\n\r\n"
                          % (self.records_path(), self.token, len(body))
                          ).encode() + body)
            reply = sock.recv(65536)
            self.assertTrue(reply.startswith(b"HTTP/1.1 400"), reply[:100])
            self.assertNotIn(b"Connection: close", reply)


    def test_verify_passes_while_the_server_signs(self):
        """verify on a store that a server keeps appending to and signing
        must not take a checkpoint signed after its snapshot for a
        rolled-back database."""
        stop = threading.Event()
        opened = []

        def append():
            n = 0
            while not stop.is_set():
                r = self.post("/api/v1/cases", {
                    "matter": self.matter, "applicant": "并发公司%d" % n,
                    "received": time.strftime("%Y-%m-%d")})
                opened.append(r.status)
                n += 1

        writer = threading.Thread(target=append)
        writer.start()
        failures = []
        try:
            deadline = time.monotonic() + 8
            runs = 0
            while time.monotonic() < deadline or runs < 5:
                v = self.ct("verify")
                runs += 1
                if v.code != 0:
                    failures.append(v)
        finally:
            stop.set()
            writer.join()
        self.assertEqual(failures, [])
        self.assertTrue(opened and set(opened) == {201}, set(opened))


if __name__ == "__main__":
    ctest.main()
