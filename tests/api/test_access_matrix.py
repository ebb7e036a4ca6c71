#!/usr/bin/env python3
"""Every route of the API with every role, against docs/access.md.

docs/access.md contains three tables: the roles and the cases they reach,
the actions with their roles, scope, clearance and party rule, and the
routes with the action each asks for. The test parses them, checks them
against what the program applies (`casetrail access policy` and
`casetrail routes`, so a route added to the program is covered the day it
is added and must be documented), then sends each route with a user of
every role and checks allowed against refused:

- refused by role: 403, before anything else happens;
- refused by the case (a case of another unit, another party's case):
  403, or 404 where the thing named is not found first;
- refused by clearance: 403, except GET /api/v1/records/{seq}, which
  shows the record's stub (200 with "withheld");
- allowed: anything but 401, 403 and 5xx.

Two cases are used: case A, opened in unit "window", which the
unit-scoped roles and party-a reach, and case B, opened in unit
"counter", which they do not.

Python 3 standard library only.
"""

import json
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import apitest  # noqa: E402
import ctest  # noqa: E402
import signin  # noqa: E402

DOC = os.path.join(ctest.SRC, "docs", "access.md")
DATA = apitest.DATA

STAFF_ROLES = ["clerk", "handler", "reviewer", "legal", "approver", "head",
               "archivist", "supervisor", "case-auditor", "officer", "server",
               "presiding"]
ADMIN_ROLES = ["sysadmin", "secadmin", "auditor"]
FULL_CLEARANCE = "sensitive-personal,commercial-secret"

# How the policy (src/access/policy.c) words each kind of refusal.
POLICY_PHRASES = {
    "role": "it needs the role",
    "unit": "takes no part in case",
    "party": "is not a party of case",
    "clearance": "is not cleared for content marked",
}


def table_after(text, heading, first_column):
    """Rows of the first table under heading whose header starts with
    first_column, as lists of cell texts."""
    start = text.index("\n" + heading + "\n")
    lines = text[start:].split("\n")
    rows, inside = [], False
    for line in lines[2:]:
        if line.startswith("#"):
            break
        if line.startswith("| " + first_column + " |"):
            inside = True
            continue
        if inside and line.startswith("|---"):
            continue
        if inside and line.startswith("|"):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
        elif inside:
            break
    return rows


def codes(cell):
    """The `code` spans of a cell."""
    return re.findall(r"`([^`]+)`", cell)


def normal_path(path):
    """/api/v1/cases/{id} and /api/v1/cases/* alike."""
    return re.sub(r"\{[^}]*\}", "*", path)


def parse_doc():
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    reach = {}
    for role, _, reaches in table_after(text, "## People and roles", "role"):
        reach[codes(role)[0]] = reaches
    actions = {}
    for row in table_after(text, "## The actions", "action"):
        name, roles, scope, clearance, party = row[:5]
        actions[codes(name)[0]] = {
            "roles": sorted(codes(roles)), "scope": scope,
            "clearance": clearance == "yes", "party": party == "yes"}
    routes = {}
    for method, path, action in table_after(text, "## Routes", "method"):
        routes[(method, normal_path(codes(path)[0]))] = codes(action)[0]
    return reach, actions, routes


class Person:
    def __init__(self, name, roles, unit=None, bound=(), cleared=True):
        self.name = name
        self.roles = set(roles)
        self.unit = unit
        self.bound = set(bound)
        self.cleared = cleared
        self.token = None
        self.session = None  # the administrators sign in

    def __repr__(self):
        return self.name


class AccessMatrixTest(ctest.StoreTest):
    """One store and server for the whole walk; routes that change state
    act on things made for the walk alone."""

    @classmethod
    def setUpClass(cls):
        cls.reach, cls.actions, cls.doc_routes = parse_doc()

    def setUp(self):
        super().setUp()
        self.server = None

    def tearDown(self):
        try:
            if self.server:
                self.server.close()
        finally:
            super().tearDown()

    # The documentation against the program.

    def test_policy_matches_program(self):
        policy = self.ok("access", "policy", "--json").json
        program = {a["action"]: {"roles": sorted(a["roles"]), "scope": a["scope"],
                                 "clearance": a["clearance"], "party": a["party"]}
                   for a in policy["actions"]}
        self.assertEqual(sorted(self.actions), sorted(program),
                         "actions of docs/access.md")
        for name, rule in program.items():
            with self.subTest(action=name):
                self.assertEqual(self.actions[name], rule)

    def test_reach_matches_program(self):
        policy = self.ok("access", "policy", "--json").json
        every = sorted(r for r, text in self.reach.items() if text == "every case")
        self.assertEqual(every, sorted(policy["bureau_wide"]))
        for role in ADMIN_ROLES:
            self.assertEqual(self.reach[role], "no case", role)
            for name, rule in self.actions.items():
                if rule["scope"] == "case":
                    self.assertNotIn(role, rule["roles"], name)

    def test_every_route_documented(self):
        routes = self.ok("routes", "--json").json
        program = {(r["method"], r["path"]): r["action"] for r in routes}
        missing = sorted(set(program) - set(self.doc_routes))
        self.assertEqual(missing, [], "routes missing from docs/access.md")
        stale = sorted(set(self.doc_routes) - set(program))
        self.assertEqual(stale, [], "routes in docs/access.md the program lacks")
        for route, action in program.items():
            with self.subTest(route=route):
                self.assertEqual(self.doc_routes[route], action)
                self.assertIn(action, self.actions)

    # The walk.

    def people(self):
        people = []
        for role in STAFF_ROLES:
            unit = "office" if self.reach[role] == "every case" else "window"
            people.append(Person("m-" + role, [role], unit))
        for role in ADMIN_ROLES:
            people.append(Person("m-" + role, [role]))
        people.append(Person("m-uncleared", ["clerk"], "window", cleared=False))
        people.append(Person("party-a", ["party"], bound=["A"], cleared=False))
        people.append(Person("party-b", ["party"], bound=["B"], cleared=False))
        return people

    def make_world(self):
        """Users, two cases, records, files and tokens; then the server."""
        self.persons = self.people()
        self.ok("user", "add", "opener-a", "--role", "clerk", "--unit", "window",
                "--data", DATA)
        self.ok("user", "add", "opener-b", "--role", "clerk", "--unit", "counter",
                "--data", DATA)
        self.ok("user", "add", "victim", "--role", "clerk", "--unit", "elsewhere",
                "--data", DATA)
        for p in self.persons:
            if "party" in p.roles:
                continue
            args = ["user", "add", p.name, "--role", ",".join(sorted(p.roles)),
                    "--data", DATA]
            if p.unit:
                args += ["--unit", p.unit]
            self.ok(*args)
            if p.cleared and not (p.roles & set(ADMIN_ROLES)):
                self.ok("user", "clearance", p.name, FULL_CLEARANCE)
        self.cases = {}
        for key, opener in (("A", "opener-a"), ("B", "opener-b")):
            self.cases[key] = self.ok(
                "case", "new", "--matter", "spjy-xk", "--applicant", "某某餐饮有限公司",
                "--applicant-id", "91320102MA1W8XYZ3K", "--received",
                time.strftime("%Y-%m-%d"), "--contact", "13800000000",
                "--as", opener, "--data", DATA).out.strip()
        self.unit_of = {"A": "window", "B": "counter"}
        for p in self.persons:
            if "party" in p.roles:
                self.ok("user", "add", p.name, "--data", DATA)
                for key in p.bound:
                    self.ok("user", "grant", p.name, "party", "--case",
                            self.cases[key], "--data", DATA)
        self.records, self.notes, self.media = {}, {}, {}
        clip = os.path.join(self.tmp, "clip.mp4")
        for key, opener in (("A", "opener-a"), ("B", "opener-b")):
            shown = self.ok("case", "show", self.cases[key], "--json", "--data",
                            DATA).json
            self.records[key] = shown["records"][0]["seq"]
            fields = os.path.join(self.tmp, "note.json")
            with open(fields, "w", encoding="utf-8") as f:
                json.dump({"text": "矩阵测试"}, f, ensure_ascii=False)
            self.notes[key] = self.ok("record", "add", "--case", self.cases[key],
                                      "--kind", "note", "--fields", fields,
                                      "--as", opener, "--data", DATA).json["seq"]
            with open(clip, "wb") as f:
                f.write(b"not really a video of case " + key.encode() * 64)
            self.media[key] = self.ok("media", "ingest", clip, "--device", "cam-1",
                                      "--type", "video", "--case", self.cases[key],
                                      "--as", opener, "--json",
                                      "--data", DATA).json["items"][0]["seq"]
        with open(clip, "wb") as f:
            f.write(b"a window camera segment of no case")
        self.media[None] = self.ok("media", "ingest", clip, "--device", "cam-2",
                                   "--type", "video", "--as", "opener-a", "--json",
                                   "--data", DATA).json["items"][0]["seq"]
        for p in self.persons:
            if not p.roles & set(ADMIN_ROLES):
                p.token = self.ok("token", "create", "--user", p.name,
                                  "--data", DATA).out.strip().splitlines()[-1]
        self.server = apitest.Server(self.dir, env=signin.LOGIN_ENV)
        # Administrators use a password and TOTP, not a bearer token.
        for p in self.persons:
            if p.roles & set(ADMIN_ROLES):
                otp = self.ok("user", "passwd", p.name,
                              "--data", DATA).out.strip().splitlines()[-1]
                p.session = signin.Session(self.server, p.name, otp)
        owner = next(p for p in self.persons if p.name == "m-clerk")
        r = self.server.request("POST", "/api/v1/media/tus", None, {
            "Tus-Resumable": "1.0.0", "Upload-Length": "10",
            "Upload-Metadata": "device Y2FtLTE="}, owner.token)
        self.assertEqual(r.status, 201, r)
        self.tus_upload = r.headers["Location"].rsplit("/", 1)[-1]

    def instances(self, method, path):
        """The concrete requests of a route: (path, case key or None, body,
        headers), one per case for a route of a case."""
        parts = path.split("/")[3:]
        out = []
        keys = ["A", "B"]
        first = parts[0]
        if first == "cases" and len(parts) > 1:
            for key in keys:
                out.append((self.fill(parts, [self.cases[key], "1"]), key))
        elif first == "records" and len(parts) > 1:
            for key in keys:
                out.append((self.fill(parts, [str(self.records[key])]), key))
        elif first == "media" and len(parts) > 1 and parts[1] != "tus":
            for key in keys + [None]:
                out.append((self.fill(parts, [str(self.media[key])]), key))
        elif first == "media" and len(parts) > 2:
            out.append((self.fill(parts, [self.tus_upload]), None))
        elif first == "users" and len(parts) > 1:
            out.append((self.fill(parts, ["victim", "clerk"]), None))
        else:
            out.append((self.fill(parts, ["1", "1"]), None))
        return [(p, key, self.body(method, path, key), self.headers(method, path))
                for p, key in out]

    @staticmethod
    def fill(parts, values):
        values = list(values)
        filled = [values.pop(0) if part == "*" else part for part in parts]
        return "/api/v1/" + "/".join(filled)

    def body(self, method, path, key):
        """A body that the route would take, so that a refusal by the case
        is not hidden behind a 422."""
        if method not in ("POST", "PATCH"):
            return None
        today = time.strftime("%Y-%m-%d")
        bodies = {
            "/api/v1/cases": {"matter": "spjy-xk", "applicant": "矩阵公司",
                              "received": today},
            "/api/v1/cases/*/records": {"kind": "note", "fields": {"text": "矩阵"}},
            "/api/v1/records/*/corrections": {"reason": "矩阵", "fields": {
                "text": "矩阵"}},
            "/api/v1/records/*/mark": {"mark": "personal", "reason": "矩阵"},
            "/api/v1/media/*/mark": {"mark": "sensitive-personal", "reason": "矩阵"},
            "/api/v1/media/*/links": {"record": self.notes.get(key, 0)},
            "/api/v1/media/*/capture": {"start": today + "T09:00:00+08:00",
                                        "reason": "矩阵"},
            "/api/v1/media/*/justification": {"reason": "矩阵",
                                              "approved_by": "m-head"},
            "/api/v1/cases/*/documents": {"document": "acceptance-notice"},
            "/api/v1/cases/*/copy-requests": {"records": [self.notes.get(key, 0)],
                                              "reason": "矩阵"},
            "/api/v1/records/*/signatures": {"password": "not-the-password",
                                             "role": "clerk"},
        }
        if path == "/api/v1/uploads":
            return b"matrix upload"
        return bodies.get(path, {})

    @staticmethod
    def headers(method, path):
        if path == "/api/v1/uploads":
            return {"Content-Type": "application/octet-stream"}
        if path.startswith("/api/v1/media/tus"):
            return {"Tus-Resumable": "1.0.0", "Upload-Length": "10",
                    "Upload-Metadata": "device Y2FtLTE="}
        return None

    def expect(self, rule, person, key):
        """allow, role, scope or clearance."""
        if rule["scope"] in ("none", "anyone"):
            return "allow"
        staff = person.roles & set(rule["roles"])
        is_party = "party" in person.roles
        party_ok = rule["party"] and is_party and (
            rule["scope"] == "bureau" or key is None
            or (key in person.bound))
        if not staff and not party_ok:
            if rule["party"] and is_party:
                return "scope"
            return "role"
        if rule["scope"] == "case" and key is not None and not party_ok:
            wide = any(self.reach[r] == "every case" for r in staff)
            if not wide and person.unit != self.unit_of[key]:
                return "scope"
        if rule["clearance"] and not person.cleared:
            return "clearance"
        return "allow"

    def refusal(self, r, context):
        """The policy's reason of a 403, or "" for a HEAD (no body)."""
        if not r.body:
            return ""
        problem = r.json
        self.assertEqual(problem["type"], apitest.PROBLEM_BASE + "forbidden", context)
        return problem["detail"]

    def check(self, r, outcome, method, path, context):
        if outcome == "allow":
            self.assertNotEqual(r.status, 401, context)
            self.assertLess(r.status, 500, context)
            # A 403 that is no refusal of the policy (a wrong password
            # when signing) may follow the policy's yes.
            if r.status == 403:
                detail = self.refusal(r, context)
                for phrase in POLICY_PHRASES.values():
                    self.assertNotIn(phrase, detail, context)
        elif outcome == "role":
            self.assertEqual(r.status, 403, context)
            if method != "HEAD":
                self.assertIn(POLICY_PHRASES["role"], self.refusal(r, context),
                              context)
        elif outcome == "scope":
            self.assertIn(r.status, (403, 404), context)
            if r.status == 403 and method != "HEAD":
                detail = self.refusal(r, context)
                self.assertTrue(POLICY_PHRASES["unit"] in detail
                                or POLICY_PHRASES["party"] in detail, context)
        elif method == "GET" and path == "/api/v1/records/*":
            self.assertEqual(r.status, 200, context)
            self.assertIn("withheld", r.json, context)
            self.assertNotIn("fields", r.json, context)
        else:
            self.assertEqual(r.status, 403, context)
            if method != "HEAD":
                self.assertIn(POLICY_PHRASES["clearance"], self.refusal(r, context),
                              context)

    def send(self, person, method, path, body=None, headers=None, anonymous=False):
        if anonymous:
            return self.server.request(method, path, body, headers)
        if person.session:
            return person.session.request(method, path, body, headers)
        return self.server.request(method, path, body, headers, person.token)

    def test_every_route_with_every_role(self):
        self.make_world()
        routes = self.ok("routes", "--json").json
        # One's own session comes last for each person, ending it last of all.
        routes.sort(key=lambda r: (r["path"].startswith("/api/v1/session"),
                                   (r["method"], r["path"]) == ("DELETE", "/api/v1/session")))
        counts = {}
        for person in self.persons:
            for route in routes:
                rule = self.actions[route["action"]]
                for path, key, body, headers in self.instances(route["method"],
                                                               route["path"]):
                    r = self.send(person, route["method"], path, body, headers,
                                  route["anonymous"])
                    outcome = self.expect(rule, person, key)
                    if route["anonymous"]:
                        outcome = "allow"
                    counts[outcome] = counts.get(outcome, 0) + 1
                    context = "%s %s %s (%s, case %s): expected %s, got %r" % (
                        person, route["method"], path, route["action"], key,
                        outcome, r)
                    with self.subTest(person=person.name, method=route["method"],
                                      path=path):
                        self.check(r, outcome, route["method"], route["path"], context)
        # The walk met every kind of outcome.
        for outcome in ("allow", "role", "scope", "clearance"):
            self.assertGreater(counts.get(outcome, 0), 0, outcome)

    def test_refusals_are_logged(self):
        self.make_world()
        sysadmin = next(p for p in self.persons if p.name == "m-sysadmin")
        auditor = next(p for p in self.persons if p.name == "m-auditor")
        path = "/api/v1/cases/" + self.cases["A"]
        r = self.send(sysadmin, "GET", path)
        self.assertEqual(r.status, 403, r)
        r = self.send(auditor, "GET", "/api/v1/access-log?user=m-sysadmin")
        self.assertEqual(r.status, 200, r)
        items = r.json["items"]
        self.assertEqual(len(items), 1, items)
        self.assertEqual(items[0]["outcome"], "refused")
        self.assertEqual(items[0]["action"], "case-read")
        self.assertIn(self.cases["A"], items[0]["target"])
        self.assertEqual(items[0]["from"], "127.0.0.1")


if __name__ == "__main__":
    unittest.main(verbosity=2)
