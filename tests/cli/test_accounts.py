#!/usr/bin/env python3
"""Accounts on the command line: the first system administrator of
`casetrail init`, one-time passwords, roles, units, clearances, TOTP, who
may do each of these, 三员分立 under every order of grants (and under
concurrent grants), and a rebuild that reproduces every account.

Every one-time password and TOTP secret printed is collected, and no
command's standard error may contain any of them.
"""

import datetime
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import ctest  # noqa: E402
from ctest import run  # noqa: E402

DATA = os.environ.get("CASETRAIL_DATA") or os.path.join(ctest.SRC, "data")
ADMIN_ROLES = ("sysadmin", "secadmin", "auditor")
OTP = r"^[A-HJ-NP-Za-km-z2-9]{16}$"


class AccountsTest(unittest.TestCase):
    """A store made by init, with its system administrator 'admin'."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="casetrail-accounts-")
        self.dir = os.path.join(self.tmp, "store")
        self.secrets = []
        self.stderr = []
        r = self.ct("init", "--host", "test.example")
        self.assertEqual(r.code, 0, r)
        self.init = r.json
        self.secrets.append(r.json["admin"]["one_time_password"])

    def tearDown(self):
        try:
            text = "\n".join(self.stderr)
            for secret in self.secrets:
                self.assertNotIn(secret, text)
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def ct(self, *args):
        r = run(*args, "--dir", self.dir, "--data", DATA)
        self.stderr.append(r.err)
        return r

    def ok(self, *args):
        r = self.ct(*args)
        self.assertEqual(r.code, 0, r)
        return r

    def refused(self, needle, *args):
        r = self.ct(*args)
        self.assertEqual(r.code, 2, r)
        self.assertIn(needle, r.err)
        return r

    def user(self, name):
        return self.ok("user", "show", name).json

    def status(self, name):
        return self.ok("user", "status", name).json

    def staff(self):
        """Registered administrators sys, sec, aud and a clerk, as the
        operator (who has no account) sets a store up."""
        self.ok("user", "add", "sec", "--role", "secadmin")
        self.ok("user", "add", "aud", "--role", "auditor")
        self.ok("user", "add", "clerk.wang", "--role", "clerk", "--unit",
                "window")
        self.ok("user", "add", "sys", "--role", "sysadmin")

    def entries(self):
        return self.ok("verify", "--json").json["entries"]


class InitTest(AccountsTest):

    def test_init_creates_admin(self):
        admin = self.init["admin"]
        self.assertEqual(admin["user"], "admin")
        self.assertRegex(admin["one_time_password"], OTP)
        self.assertTrue(admin["must_change_password"])
        self.assertEqual(self.user("admin")["roles"], ["sysadmin"])
        status = self.status("admin")
        self.assertTrue(status["password_set"])
        self.assertTrue(status["must_change_password"])
        self.assertFalse(status["totp_enrolled"])
        self.assertNotIn(admin["one_time_password"],
                         json.dumps(status) + json.dumps(self.user("admin")))

    def test_admin_name_option(self):
        d = os.path.join(self.tmp, "other")
        r = run("init", "--dir", d, "--admin", "ops.root", "--data", DATA)
        self.assertEqual(r.code, 0, r)
        self.secrets.append(r.json["admin"]["one_time_password"])
        self.assertEqual(r.json["admin"]["user"], "ops.root")
        r = run("user", "show", "ops.root", "--dir", d, "--data", DATA)
        self.assertEqual(r.json["roles"], ["sysadmin"])

    def test_no_admin(self):
        d = os.path.join(self.tmp, "bare")
        r = run("init", "--dir", d, "--no-admin")
        self.assertEqual(r.code, 0, r)
        self.assertNotIn("admin", r.json)
        r = run("verify", "--dir", d, "--json")
        self.assertEqual(r.json["entries"], 0)

    def test_bad_admin_options(self):
        for args, needle in ((["--admin", "Bad Name"], "'Bad Name'"),
                             (["--admin", "x", "--no-admin"], "exclude")):
            d = os.path.join(self.tmp, "never")
            r = run("init", "--dir", d, *args)
            self.assertEqual(r.code, 2, r)
            self.assertIn(needle, r.err)
            self.assertFalse(os.path.exists(d))


class PasswordTest(AccountsTest):

    def test_passwd_prints_one_time_password(self):
        self.ok("user", "add", "wang.li", "--role", "clerk")
        self.assertFalse(self.status("wang.li")["password_set"])
        r = self.ok("user", "passwd", "wang.li")
        otp = r.out.strip()
        self.secrets.append(otp)
        self.assertRegex(otp, OTP)
        self.assertEqual(r.out.count("\n"), 1)
        self.assertIn("one-time password", r.err)
        status = self.status("wang.li")
        self.assertTrue(status["password_set"])
        self.assertTrue(status["must_change_password"])
        again = self.ok("user", "passwd", "wang.li").out.strip()
        self.secrets.append(again)
        self.assertNotEqual(again, otp)
        self.refused("not found", "user", "passwd", "no.one")

    def test_add_with_password(self):
        r = self.ok("user", "add", "wang.li", "--password")
        self.secrets.append(r.json["one_time_password"])
        self.assertRegex(r.json["one_time_password"], OTP)
        self.assertEqual(r.json["user"]["name"], "wang.li")
        self.assertNotIn("roles", r.json["user"])
        self.assertTrue(self.status("wang.li")["must_change_password"])


class PermissionTest(AccountsTest):
    """Who may do what on the command line, when --as names an account."""

    def test_system_administrator(self):
        self.staff()
        otp = self.ok("user", "passwd", "clerk.wang", "--as", "sys").out
        self.secrets.append(otp.strip())
        self.ok("user", "add", "new.one", "--as", "sys")
        self.ok("user", "disable", "clerk.wang", "--as", "sys")
        self.ok("user", "enable", "clerk.wang", "--as", "sys")
        self.ok("user", "status", "clerk.wang", "--as", "sys")
        for args in (["user", "grant", "clerk.wang", "reviewer"],
                     ["user", "unit", "clerk.wang", "licensing"],
                     ["user", "clearance", "clerk.wang", "personal"],
                     ["user", "add", "new.two", "--role", "clerk"],
                     ["user", "add", "new.three", "--unit", "window"]):
            with self.subTest(args=args):
                self.refused("needs the role secadmin", *args, "--as",
                             "sys")
        self.refused("their own account", "user", "disable", "sys", "--as",
                     "sys")

    def test_security_administrator(self):
        self.staff()
        self.ok("user", "grant", "clerk.wang", "reviewer", "--as", "sec")
        self.ok("user", "revoke", "clerk.wang", "reviewer", "--as", "sec")
        self.ok("user", "unit", "clerk.wang", "licensing", "--as", "sec")
        self.ok("user", "clearance", "clerk.wang", "personal", "--as", "sec")
        for args in (["user", "passwd", "clerk.wang"],
                     ["user", "disable", "clerk.wang"],
                     ["user", "add", "new.one"],
                     ["user", "totp", "clerk.wang"]):
            with self.subTest(args=args):
                self.refused("needs the role sysadmin", *args, "--as", "sec")
        for args in (["user", "grant", "sec", "head"],
                     ["user", "unit", "sec", "window"],
                     ["user", "clearance", "sec", "sensitive-personal"]):
            with self.subTest(args=args):
                self.refused("their own account", *args, "--as", "sec")

    def test_auditor_and_staff_change_nothing(self):
        self.staff()
        for actor in ("aud", "clerk.wang"):
            for args in (["user", "passwd", "sys"],
                         ["user", "grant", "sys", "clerk"],
                         ["user", "add", "q"],
                         ["user", "disable", "sec"]):
                with self.subTest(actor=actor, args=args):
                    self.refused("may not", *args, "--as", actor)

    def test_disabled_account_acts_no_more(self):
        self.staff()
        self.ok("user", "disable", "sec", "--reason", "on leave",
                "--as", "sys")
        self.refused("disabled", "user", "grant", "clerk.wang", "reviewer",
                     "--as", "sec")
        self.refused("disabled already", "user", "disable", "sec")
        self.ok("user", "enable", "sec")
        self.refused("enabled already", "user", "enable", "sec")
        self.ok("user", "grant", "clerk.wang", "reviewer", "--as", "sec")

    def test_operator_without_account(self):
        # Neither --as nor the OS user names an account: the operator.
        self.ok("user", "add", "boot.sec", "--role", "secadmin")
        self.ok("user", "add", "boot.clerk")
        self.ok("user", "grant", "boot.clerk", "clerk")
        self.ok("user", "passwd", "boot.sec").out  # noqa: B018
        self.assertEqual(self.user("boot.sec")["roles"], ["secadmin"])
        self.assertEqual(self.user("boot.clerk")["roles"], ["clerk"])


class SeparationTest(AccountsTest):
    """No person ever holds two of sysadmin, secadmin and auditor."""

    def test_every_order_of_grants(self):
        self.staff()
        n = 0
        for length in (2, 3):
            for order in itertools.permutations(ADMIN_ROLES, length):
                n += 1
                name = "p%d" % n
                self.ok("user", "add", name)
                with self.subTest(order=order):
                    self.ok("user", "grant", name, order[0], "--as", "sec")
                    for role in order[1:]:
                        self.refused("三员分立", "user", "grant", name, role,
                                     "--as", "sec")
                    self.assertEqual(self.user(name)["roles"], [order[0]])

    def test_every_order_through_add_and_grant(self):
        for n, (first, second) in enumerate(
                itertools.permutations(ADMIN_ROLES, 2)):
            with self.subTest(first=first, second=second):
                name = "q%d" % n
                self.refused("different people", "user", "add", name,
                             "--role", "%s,%s" % (first, second))
                self.refused("not found", "user", "show", name)
                self.refused("never held with another role", "user",
                             "add", name, "--role", first + ",clerk")
                self.ok("user", "add", name, "--role", first)
                self.refused("三员分立", "user", "grant", name, second)
                # No case role beside an administration role either.
                self.refused("never held with another role", "user",
                             "grant", name, "case-auditor")
                self.ok("user", "revoke", name, first)
                self.ok("user", "grant", name, second)
                self.refused("三员分立", "user", "grant", name, first)
                roles = self.user(name)["roles"]
                self.assertEqual(sorted(r for r in roles
                                        if r in ADMIN_ROLES), [second])

    def test_no_case_role_beside_an_administration_role(self):
        self.ok("user", "add", "mixed", "--role", "handler")
        for role in ADMIN_ROLES:
            with self.subTest(role=role):
                self.refused("never held with another role", "user",
                             "grant", "mixed", role)
        self.assertEqual(self.user("mixed")["roles"], ["handler"])

    def test_no_bearer_token_for_administrators(self):
        self.staff()
        for name in ("sys", "sec", "aud"):
            with self.subTest(name=name):
                self.refused("TOTP", "token", "create", "--user", name)
        self.ok("token", "create", "--user", "clerk.wang")

    def test_concurrent_grants(self):
        """Two grants racing from two processes: one of them wins."""
        for n in range(6):
            name = "race%d" % n
            self.ok("user", "add", name)
            first, second = ADMIN_ROLES[n % 3], ADMIN_ROLES[(n + 1) % 3]
            procs = [subprocess.Popen(
                [ctest.BIN, "user", "grant", name, role, "--dir", self.dir,
                 "--data", DATA], stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True)
                for role in (first, second)]
            codes = []
            for p in procs:
                out, err = p.communicate(timeout=60)
                self.stderr.append(err)
                codes.append(p.returncode)
            self.assertEqual(sorted(codes), [0, 2], name)
            roles = self.user(name)["roles"]
            self.assertEqual(len(roles), 1, roles)
            self.assertIn(roles[0], (first, second))


class GrantTest(AccountsTest):

    def new_case(self):
        self.ok("user", "add", "wang.clerk", "--role", "clerk")
        day = datetime.date.today() - datetime.timedelta(days=1)
        r = self.ok("case", "new", "--matter", "spjy-xk", "--applicant",
                    "某某超市", "--received", day.isoformat(),
                    "--materials", "sqs", "--as", "wang.clerk")
        return r.out.strip()

    def test_party_roles_bind_cases(self):
        case = self.new_case()
        self.ok("user", "add", "zhang.san")
        self.refused("name the case", "user", "grant", "zhang.san",
                     "applicant")
        self.refused("not found", "user", "grant", "zhang.san", "applicant",
                     "--case", "2099-999999")
        self.refused("not bound to a case", "user", "grant", "zhang.san",
                     "clerk", "--case", case)
        u = self.ok("user", "grant", "zhang.san", "applicant", "--case",
                    case).json
        self.assertEqual(u["roles"], ["applicant"])
        self.assertEqual(u["cases"], [case])
        self.refused("already", "user", "grant", "zhang.san", "applicant",
                     "--case", case)
        u = self.ok("user", "revoke", "zhang.san", "applicant", "--case",
                    case).json
        self.assertEqual(u["roles"], [])
        self.assertNotIn("cases", u)

    def test_role_codes_and_units(self):
        self.ok("user", "add", "li.si", "--role", "handler", "--unit",
                "licensing")
        self.refused("unknown or carries no permission", "user", "grant",
                     "li.si", "witness")
        self.refused("not found", "user", "grant", "no.one", "clerk")
        u = self.ok("user", "grant", "li.si", "reviewer", "--unit",
                    "审批一科").json
        self.assertEqual(u["roles"], ["handler", "reviewer"])
        self.assertEqual(u["grants"][1]["unit"], "审批一科")
        self.refused("with these bindings", "user", "revoke", "li.si",
                     "reviewer", "--unit", "other")
        self.ok("user", "revoke", "li.si", "reviewer", "--unit", "审批一科")
        u = self.ok("user", "unit", "li.si", "审批二科").json
        self.assertEqual(u["unit"], "审批二科")
        u = self.ok("user", "unit", "li.si", "").json
        self.assertNotIn("unit", u)
        self.refused("control character", "user", "unit", "li.si", "a\tb")

    def test_clearance(self):
        self.ok("user", "add", "li.si", "--role", "handler")
        u = self.ok("user", "clearance", "li.si",
                    "sensitive-personal,personal,none").json
        self.assertEqual(u["clearance"], ["personal", "sensitive-personal"])
        u = self.ok("user", "clearance", "li.si", "none").json
        self.assertEqual(u["clearance"], [])
        self.refused("never stored", "user", "clearance", "li.si",
                     "state-secret")
        self.refused("unknown confidentiality mark", "user", "clearance",
                     "li.si", "top-secret")

    def test_totp(self):
        self.ok("user", "add", "sys2", "--role", "sysadmin")
        r = self.ok("user", "totp", "sys2").json
        self.secrets.append(r["secret"])
        self.assertRegex(r["secret"], r"^[A-Z2-7]{32}$")
        self.assertIn("secret=" + r["secret"], r["uri"])
        status = self.status("sys2")
        self.assertTrue(status["totp_enrolled"])
        self.assertFalse(status["totp_confirmed"])
        self.assertNotIn(r["secret"], json.dumps(status))
        status = self.ok("user", "totp", "sys2", "--reset").json
        self.assertFalse(status["totp_enrolled"])
        self.refused("no TOTP enrolled", "user", "totp", "sys2", "--reset")

    def test_secrets_sealed_in_database(self):
        """Password hashes and TOTP secrets are not in the store's files."""
        self.ok("user", "add", "sys2", "--role", "sysadmin")
        self.secrets.append(self.ok("user", "passwd", "sys2").out.strip())
        secret = self.ok("user", "totp", "sys2").json["secret"]
        self.secrets.append(secret)
        found = b""
        for name in os.listdir(self.dir):
            path = os.path.join(self.dir, name)
            if name.startswith("casetrail.db") and os.path.isfile(path):
                with open(path, "rb") as f:
                    found += f.read()
        self.assertIn(b"totp-enrol", found)
        self.assertNotIn(secret.encode(), found)
        self.assertNotIn(b"$argon2id$", found)

    def test_usage_errors(self):
        for args, needle in ((["user", "grant", "admin"], "NAME and ROLE"),
                             (["user", "passwd"], "one NAME"),
                             (["user", "grant", "a", "b", "--reason", "x"],
                              "does not take"),
                             (["user", "frobnicate", "x"], "unknown")):
            with self.subTest(args=args):
                self.refused(needle, *args)


class RebuildTest(AccountsTest):

    def test_rebuild_reproduces_accounts(self):
        self.staff()
        self.ok("user", "grant", "clerk.wang", "reviewer", "--unit", "审批一科",
                "--as", "sec")
        self.ok("user", "grant", "clerk.wang", "case-auditor", "--as", "sec")
        self.ok("user", "revoke", "clerk.wang", "case-auditor",
                "--as", "sec")
        self.ok("user", "unit", "clerk.wang", "licensing", "--as", "sec")
        self.ok("user", "clearance", "clerk.wang", "personal,commercial-secret",
                "--as", "sec")
        self.ok("user", "disable", "aud", "--as", "sys")
        self.secrets.append(self.ok("user", "passwd", "clerk.wang", "--as",
                                    "sys").out.strip())
        # Another administrator's password is reset at the console.
        self.secrets.append(self.ok("user", "passwd", "sec").out.strip())
        self.secrets.append(self.ok("user", "totp", "sec", "--as", "sys")
                            .json["secret"])
        self.refused("三员分立", "user", "grant", "aud", "sysadmin")
        before = {n: (self.user(n), self.status(n))
                  for n in ("admin", "sys", "sec", "aud", "clerk.wang")}
        r = self.ok("rebuild")
        self.assertTrue(r.json["match"], r.json["differences"])
        after = {n: (self.user(n), self.status(n)) for n in before}
        self.assertEqual(after, before)
        self.assertEqual(after["clerk.wang"][0]["roles"], ["clerk",
                                                          "reviewer"])
        self.assertTrue(after["aud"][0]["disabled"])


if __name__ == "__main__":
    unittest.main()
