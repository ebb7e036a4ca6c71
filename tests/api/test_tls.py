#!/usr/bin/env python3
"""HTTPS with `casetrail serve --tls-cert FILE --tls-key FILE`.

Each test makes a throwaway self-signed certificate with the openssl
command line and serves on 127.0.0.1. A client that verifies the
certificate gets health and the API over TLS 1.2 and 1.3. TLS 1.0 and
1.1, CBC and static-RSA suites, and plain HTTP on the TLS port are
refused. A key file that group or others may access, a missing file and
a certificate that does not match its key stop the server with an error
that names the file and exit status 2. The key's text appears in no log
and no error, and is gone from the server's memory once it serves.
"""

import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import apitest  # noqa: E402
import ctest  # noqa: E402

LISTENING = re.compile(r'msg="?listening"? addr=127\.0\.0\.1:(\d+) '
                       r'scheme=(https?)')

# What a key file's PEM body lines must be at least as long as to count
# as key text when the logs and memory are searched.
KEY_LINE_MIN = 16


def openssl(*args):
    proc = subprocess.run(["openssl"] + list(args), capture_output=True,
                          text=True)
    if proc.returncode != 0:
        raise AssertionError("openssl %s failed:\n%s"
                             % (" ".join(args), proc.stderr))


def make_cert(folder, name, algorithm="ec"):
    """Makes a self-signed certificate for 127.0.0.1 and its key.

    Returns (cert path, key path); the key file has mode 0600.
    """
    cert = os.path.join(folder, name + ".crt")
    key = os.path.join(folder, name + ".key")
    keyopts = (["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
               if algorithm == "ec" else ["-newkey", "rsa:2048"])
    openssl("req", "-x509", *keyopts, "-nodes", "-keyout", key, "-out",
            cert, "-days", "2", "-subj", "/CN=casetrail-test-" + name,
            "-addext", "subjectAltName=IP:127.0.0.1")
    os.chmod(key, 0o600)
    os.chmod(cert, 0o644)
    return cert, key


def key_lines(key_path):
    """The base64 lines of a PEM key file, for searching logs and memory."""
    with open(key_path, encoding="ascii") as f:
        return [line.strip() for line in f
                if not line.startswith("-----")
                and len(line.strip()) >= KEY_LINE_MIN]


class TlsServer:
    """A `casetrail serve` with --tls-cert and --tls-key, its log in a file."""

    def __init__(self, store_dir, cert, key, log_level="info"):
        self.log_file = tempfile.NamedTemporaryFile(
            prefix="casetrail-tls-", suffix=".log", delete=False)
        env = dict(os.environ, CASETRAIL_LOG=log_level)
        self.proc = subprocess.Popen(
            [ctest.BIN, "serve", "--dir", store_dir, "--data", apitest.DATA,
             "--listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key",
             key],
            stdout=subprocess.DEVNULL, stderr=self.log_file, env=env)
        self.port, self.scheme = self._wait_listening()

    def _wait_listening(self):
        deadline = time.monotonic() + apitest.START_TIMEOUT
        while time.monotonic() < deadline:
            match = LISTENING.search(self.log())
            if match:
                return int(match.group(1)), match.group(2)
            if self.proc.poll() is not None:
                raise AssertionError("casetrail serve exited %d:\n%s"
                                     % (self.proc.returncode, self.log()))
            time.sleep(0.02)
        self.proc.kill()
        raise AssertionError("no listening line:\n" + self.log())

    def log(self):
        with open(self.log_file.name, encoding="utf-8",
                  errors="replace") as f:
            return f.read()

    def request(self, context, path, token=None):
        """Sends GET path over TLS; returns (status, body, TLS version)."""
        headers = {"Authorization": "Bearer " + token} if token else {}
        conn = http.client.HTTPSConnection("127.0.0.1", self.port,
                                           timeout=30, context=context)
        try:
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.read(), conn.sock.version()
        finally:
            conn.close()

    def handshake(self, context):
        """Opens one TLS connection; returns (version, cipher name)."""
        with socket.create_connection(("127.0.0.1", self.port),
                                      timeout=10) as sock:
            with context.wrap_socket(sock,
                                     server_hostname="127.0.0.1") as tls:
                return tls.version(), tls.cipher()[0]

    def close(self):
        """Stops the server; returns its log, raising if it failed."""
        if self.proc.poll() is None:
            self.proc.terminate()
        code = self.proc.wait(timeout=apitest.STOP_TIMEOUT)
        log = self.log()
        self.log_file.close()
        os.unlink(self.log_file.name)
        for marker in apitest.SANITIZER_MARKERS:
            if marker in log:
                raise AssertionError("sanitizer report:\n" + log)
        if code != 0:
            raise AssertionError("casetrail serve exited %d:\n%s"
                                 % (code, log))
        return log


def client_context(cafile, version=None, ciphers=None):
    """A client context that verifies the server against cafile.

    version pins one protocol version. ciphers sets the TLS 1.2 suites and
    should end in @SECLEVEL=0. OpenSSL then offers old protocols and weak
    suites itself, so that the server is the one to reject them.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile)
    if ciphers:
        ctx.set_ciphers(ciphers)
    if version is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = version
            ctx.maximum_version = version
    return ctx


class TlsTest(ctest.StoreTest):

    def setUp(self):
        super().setUp()
        self.cert, self.key = make_cert(self.tmp, "server")
        self.server = None
        self.logs = []  # every log and error text, for the key search

    def tearDown(self):
        try:
            if self.server:
                self.logs.append(self.server.close())
            for text in self.logs:
                for line in key_lines(self.key):
                    self.assertNotIn(line, text)
        finally:
            super().tearDown()

    def start(self, cert=None, key=None, log_level="info"):
        self.server = TlsServer(self.dir, cert or self.cert,
                                key or self.key, log_level)
        return self.server

    def serve_fails(self, *args):
        """Runs serve with args, which must fail; returns its Result."""
        r = ctest.run("serve", "--dir", self.dir, "--data", apitest.DATA,
                      "--listen", "127.0.0.1:0", *args,
                      env={"CASETRAIL_LOG": "debug"}, timeout=30)
        self.logs.append(r.out + r.err)
        self.assertEqual(r.code, 2, r)
        self.assertNotIn("listening", r.err)
        return r

    def wait_log(self, text, count):
        """Waits until text occurs count times in the server log."""
        deadline = time.monotonic() + 5
        while self.server.log().count(text) < count:
            if time.monotonic() > deadline:
                self.fail("%r not logged %d times:\n%s"
                          % (text, count, self.server.log()))
            time.sleep(0.02)

    # --- serving -----------------------------------------------------------

    def test_health_and_api_over_tls(self):
        self.ok("user", "add", "wang.li", "--role", "clerk", "--data",
                apitest.DATA)
        token = self.ok("token", "create", "--user", "wang.li", "--data",
                        apitest.DATA).out.strip().splitlines()[-1]
        server = self.start()
        self.assertEqual(server.scheme, "https")
        ctx = client_context(self.cert)

        status, body, version = server.request(ctx, "/healthz")
        self.assertEqual(status, 200, body)
        self.assertIn(b'"status":"ok"', body)
        self.assertIn(version, ("TLSv1.2", "TLSv1.3"))

        status, body, _ = server.request(ctx, "/api/v1/matters", token)
        self.assertEqual(status, 200, body)
        self.assertIn(b"spjy-xk", body)
        status, _, _ = server.request(ctx, "/api/v1/matters")
        self.assertEqual(status, 401)

        # The access line is written once the connection is done with.
        self.wait_log("user=wang.li", 1)
        log = server.log()
        self.assertIn('msg="TLS on"', log)
        self.assertIn('subject="CN=casetrail-test-server"', log)
        self.assertNotIn(token, log)

    def test_session_cookie_secure(self):
        self.ok("user", "add", "wang.li", "--role", "clerk", "--data",
                apitest.DATA)
        password = self.ok("user", "passwd", "wang.li").out.strip()
        server = self.start()
        conn = http.client.HTTPSConnection(
            "127.0.0.1", server.port, timeout=30,
            context=client_context(self.cert))
        try:
            conn.request("POST", "/api/v1/session", body=json.dumps(
                {"user": "wang.li", "password": password.splitlines()[-1]}),
                headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            body = resp.read()
        finally:
            conn.close()
        self.assertIn(resp.status, (200, 201), body)
        cookie = resp.getheader("Set-Cookie") or ""
        self.assertTrue(cookie.startswith("__Host-"), cookie)
        self.assertIn("; Secure", cookie)
        self.assertIn("HttpOnly", cookie)
        self.assertIn("SameSite=Strict", cookie)

    def test_tls12_and_tls13_accepted(self):
        server = self.start()
        version, cipher = server.handshake(
            client_context(self.cert, ssl.TLSVersion.TLSv1_3))
        self.assertEqual(version, "TLSv1.3")
        version, cipher = server.handshake(
            client_context(self.cert, ssl.TLSVersion.TLSv1_2))
        self.assertEqual(version, "TLSv1.2")
        self.assertTrue(cipher.startswith("ECDHE-"), cipher)
        self.assertRegex(cipher, "GCM|CHACHA20")

    def test_rsa_certificate_served(self):
        cert, key = make_cert(self.tmp, "rsa", algorithm="rsa")
        server = self.start(cert, key)
        version, cipher = server.handshake(
            client_context(cert, ssl.TLSVersion.TLSv1_2))
        self.assertEqual(version, "TLSv1.2")
        self.assertTrue(cipher.startswith("ECDHE-RSA-"), cipher)

    def refused(self, ctx):
        """Asserts that the server ends the handshake that ctx starts."""
        before = self.server.log().count("libmicrohttpd error")
        with self.assertRaises(OSError) as cm:
            self.server.handshake(ctx)
        # OpenSSL raises this when it cannot even offer the protocol,
        # which would prove nothing about the server.
        self.assertNotIn("NO_PROTOCOLS_AVAILABLE", str(cm.exception))
        self.assertNotIn("NO_CIPHERS_AVAILABLE", str(cm.exception))
        self.wait_log("libmicrohttpd error", before + 1)

    def test_old_protocols_refused(self):
        self.start()
        for version in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
            with self.subTest(version=version.name):
                self.refused(client_context(self.cert, version,
                                            "DEFAULT:@SECLEVEL=0"))

    def test_weak_suites_refused(self):
        self.start()
        for suites in ("ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384"):
            with self.subTest(suites=suites):
                self.refused(client_context(
                    self.cert, ssl.TLSVersion.TLSv1_2,
                    suites + ":@SECLEVEL=0"))

    def test_weak_rsa_suites_refused(self):
        cert, key = make_cert(self.tmp, "rsa", algorithm="rsa")
        self.start(cert, key)
        for suites in ("ECDHE-RSA-AES128-SHA", "AES128-GCM-SHA256"):
            with self.subTest(suites=suites):
                self.refused(client_context(
                    cert, ssl.TLSVersion.TLSv1_2, suites + ":@SECLEVEL=0"))

    def test_plain_http_on_tls_port(self):
        server = self.start()
        with socket.create_connection(("127.0.0.1", server.port),
                                      timeout=10) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Connection: close\r\n\r\n")
            reply = b""
            try:
                while chunk := sock.recv(65536):
                    reply += chunk
            except ConnectionResetError:
                pass
        self.assertFalse(reply.startswith(b"HTTP/"), reply[:200])
        self.assertNotIn(b'"status":"ok"', reply)
        status, _, _ = server.request(client_context(self.cert), "/healthz")
        self.assertEqual(status, 200)

    def test_plain_http_logs_tls_off(self):
        server = apitest.Server(self.dir)
        log = server.close()
        self.assertIn('msg="TLS off"', log)
        self.assertIn("scheme=http ", log)
        self.assertNotIn("plain HTTP on an address", log)

    def test_key_gone_from_memory(self):
        server = self.start()
        status, _, _ = server.request(client_context(self.cert), "/healthz")
        self.assertEqual(status, 200)
        lines = [line.encode() for line in key_lines(self.key)]
        # GnuTLS keeps the certificate as DER for the handshakes: finding
        # it shows that the search reaches the server's heap.
        der = os.path.join(self.tmp, "server.der")
        openssl("x509", "-in", self.cert, "-outform", "DER", "-out", der)
        with open(der, "rb") as f:
            cert_der = f.read()[20:52]
        try:
            found = search_memory(server.proc.pid, lines + [cert_der])
        except PermissionError:
            self.skipTest("cannot read /proc/%d/mem" % server.proc.pid)
        self.assertIn(cert_der, found)
        for line in lines:
            self.assertNotIn(line, found)

    # --- refusals at start -------------------------------------------------

    def test_key_open_to_others_refused(self):
        for mode in (0o640, 0o604, 0o660, 0o644, 0o610):
            with self.subTest(mode=oct(mode)):
                os.chmod(self.key, mode)
                r = self.serve_fails("--tls-cert", self.cert,
                                     "--tls-key", self.key)
                self.assertIn("permissions 0%o" % mode, r.err)
                self.assertIn("too open", r.err)
                self.assertIn("chmod 600 " + self.key, r.err)
        os.chmod(self.key, 0o400)
        server = self.start()
        self.assertEqual(server.scheme, "https")

    def test_key_of_other_owner_refused(self):
        if os.geteuid() != 0:
            self.skipTest("only root can give the key another owner")
        os.chown(self.key, 54321, -1)
        r = self.serve_fails("--tls-cert", self.cert, "--tls-key", self.key)
        self.assertIn("owned by uid 54321", r.err)
        self.assertIn(self.key, r.err)

    def test_missing_files_refused(self):
        missing = os.path.join(self.tmp, "missing.pem")
        r = self.serve_fails("--tls-cert", missing, "--tls-key", self.key)
        self.assertIn("TLS certificate file '%s'" % missing, r.err)
        self.assertIn("No such file", r.err)
        r = self.serve_fails("--tls-cert", self.cert, "--tls-key", missing)
        self.assertIn("TLS key file '%s'" % missing, r.err)
        r = self.serve_fails("--tls-cert", self.cert)
        self.assertIn("--tls-cert and --tls-key go together", r.err)
        r = self.serve_fails("--tls-key", self.key)
        self.assertIn("--tls-cert and --tls-key go together", r.err)
        r = self.serve_fails("--tls-cert", self.tmp, "--tls-key", self.key)
        self.assertIn("not a regular file", r.err)

    def test_mismatched_pair_refused(self):
        other_cert, other_key = make_cert(self.tmp, "other")
        r = self.serve_fails("--tls-cert", other_cert, "--tls-key", self.key)
        self.assertIn("TLS certificate in '%s' does not match the private "
                      "key in '%s'" % (other_cert, self.key), r.err)
        rsa_cert, _ = make_cert(self.tmp, "rsa", algorithm="rsa")
        r = self.serve_fails("--tls-cert", rsa_cert, "--tls-key", self.key)
        self.assertIn("does not match", r.err)

    def test_wrong_file_kinds_refused(self):
        # The key given as the certificate: its text must not be echoed.
        r = self.serve_fails("--tls-cert", self.key, "--tls-key", self.key)
        self.assertIn("TLS certificate file '%s' holds no readable PEM "
                      "certificate" % self.key, r.err)
        cert_copy = os.path.join(self.tmp, "cert-as-key.pem")
        with open(self.cert, "rb") as src, open(cert_copy, "wb") as dst:
            dst.write(src.read())
        os.chmod(cert_copy, 0o600)
        r = self.serve_fails("--tls-cert", self.cert, "--tls-key", cert_copy)
        self.assertIn("TLS key file '%s' holds no PEM private key"
                      % cert_copy, r.err)
        der = os.path.join(self.tmp, "key.der")
        openssl("pkey", "-in", self.key, "-outform", "DER", "-out", der)
        os.chmod(der, 0o600)
        r = self.serve_fails("--tls-cert", self.cert, "--tls-key", der)
        self.assertIn("TLS key file '%s'" % der, r.err)
        empty = os.path.join(self.tmp, "empty.pem")
        open(empty, "w").close()
        os.chmod(empty, 0o600)
        r = self.serve_fails("--tls-cert", self.cert, "--tls-key", empty)
        self.assertIn("has 0 bytes", r.err)

    def test_encrypted_key_refused(self):
        encrypted = os.path.join(self.tmp, "encrypted.key")
        openssl("pkey", "-in", self.key, "-aes256", "-passout",
                "pass:secret-passphrase", "-out", encrypted)
        os.chmod(encrypted, 0o600)
        r = self.serve_fails("--tls-cert", self.cert, "--tls-key", encrypted)
        self.assertIn("encrypted with a passphrase", r.err)
        self.assertNotIn("secret-passphrase", r.err)

    def test_key_not_in_debug_log(self):
        server = self.start(log_level="debug")
        status, _, _ = server.request(client_context(self.cert), "/healthz")
        self.assertEqual(status, 200)
        self.refused(client_context(self.cert, ssl.TLSVersion.TLSv1_1,
                                    "DEFAULT:@SECLEVEL=0"))
        log = server.log()
        self.assertIn("level=debug", log)
        for line in key_lines(self.key):
            self.assertNotIn(line, log)
        # tearDown searches the log once more after the server stopped.


def search_memory(pid, needles):
    """Returns the needles found in the writable private mappings of pid.

    Those are the heap, the stacks and the data of the program and its
    libraries, where a copy of the key text would be.
    """
    found = set()
    with open("/proc/%d/maps" % pid, encoding="ascii") as maps, \
            open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for line in maps:
            fields = line.split()
            start, end = (int(x, 16) for x in fields[0].split("-"))
            if fields[1][:2] != "rw" or fields[1][3] != "p":
                continue
            # AddressSanitizer reserves writable regions of terabytes for
            # its shadow memory; read in chunks, with an overlap so that
            # a needle across a chunk's edge is found, and skip those.
            if end - start > REGION_MAX:
                continue
            overlap = max(len(n) for n in needles)
            offset = start
            while offset < end:
                try:
                    mem.seek(offset)
                    data = mem.read(min(CHUNK + overlap, end - offset))
                except OSError:
                    break
                found.update(n for n in needles if n in data)
                offset += CHUNK
    return found


# The largest mapping searched, and the size read at a time.
REGION_MAX = 1 << 32
CHUNK = 64 << 20


if __name__ == "__main__":
    ctest.main()
