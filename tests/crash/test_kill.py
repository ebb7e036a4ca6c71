"""Kill -9 tests of the ledger's durability on one store.

Each round runs tests/crash/appender with 8 threads appending notes and the
checkpoint signer running, kills it with SIGKILL after a random 5-300 ms
and checks that every append it acknowledged is in the store with its
text. Rounds 3, 11, 19, ... also kill `casetrail checkpoint --now`, and
rounds 7, 15, 23, ... kill `casetrail expunge`, each at a random moment.
After those kills the store must still verify. The content of the killed
expunge must be either intact or gone together with a committed expunge
entry. `casetrail verify` also runs every CASETRAIL_CRASH_VERIFY_EVERY
rounds and at the end.

Environment:
  CASETRAIL_CRASH_ROUNDS        rounds (default 200)
  CASETRAIL_CRASH_SEED          seed of the kill delays (default 20261204)
  CASETRAIL_CRASH_VERIFY_EVERY  rounds between verify runs (default 25)
  CASETRAIL_CRASH_STORE_ROUNDS  start a fresh store every this many rounds,
                                which keeps verify time bounded in long
                                runs (default 0: one store throughout)
  CASETRAIL_APPENDER            the appender program (Meson sets it)

The seed fixes the append kill delays and the fractions behind the other
kills, not the timing of threads and processes, so a rerun with the same
seed repeats the delays but not every interleaving.
"""

import os
import random
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ctest  # noqa: E402

APPENDER = os.environ.get("CASETRAIL_APPENDER", "build/tests/appender")
ROUNDS = int(os.environ.get("CASETRAIL_CRASH_ROUNDS", "200"))
SEED = int(os.environ.get("CASETRAIL_CRASH_SEED", "20261204"))
VERIFY_EVERY = int(os.environ.get("CASETRAIL_CRASH_VERIFY_EVERY", "25"))
STORE_ROUNDS = int(os.environ.get("CASETRAIL_CRASH_STORE_ROUNDS", "0"))

THREADS = 8
APPEND_KILL_MS = (5, 300)
# `checkpoint --now` and `expunge` are killed after a random fraction of
# the time a whole run took at the last calibration, so that kills land
# before, inside and after their commits on fast and slow machines. The
# test calibrates at the start and after each periodic verify, because runs
# slow down as the store grows. On a 2-core VM a whole run took 10-40 ms,
# 5-8 ms of it process start.
KILL_FRACTION = (0.4, 1.6)
CALIBRATION_RUNS = 3

ACK_RE = re.compile(rb"^ack (\d+) (\S+)$")


def child_env():
    env = dict(os.environ)
    env.setdefault("CASETRAIL_LOG", "warn")
    return env


def sleep_ms(ms):
    time.sleep(ms / 1000.0)


class KillTest(ctest.StoreTest):
    """Kill -9 rounds against one store."""

    def setUp(self):
        super().setUp()
        self.rng = random.Random(SEED)
        self.acked = {}  # seq -> text, over all rounds
        self.counts = {}
        self.calibrations = {"checkpoint": [], "expunge": []}  # ms, in order

    def count(self, key):
        self.counts[key] = self.counts.get(key, 0) + 1

    def kill_after(self, args, delay_ms, out, err):
        """Start args, kill it with SIGKILL after delay_ms and return its exit code."""
        proc = subprocess.Popen(args, stdout=out, stderr=err, env=child_env())
        sleep_ms(delay_ms)
        proc.send_signal(signal.SIGKILL)
        return proc.wait()

    def read_acks(self, path, rnd):
        """Parse the complete ack lines of one round, dropping a cut last line."""
        with open(path, "rb") as f:
            data = f.read()
        lines = data.split(b"\n")[:-1]
        acks = []
        for line in lines:
            m = ACK_RE.match(line)
            self.assertIsNotNone(m, "round %d: malformed ack line %r" % (rnd, line))
            acks.append((int(m.group(1)), m.group(2).decode()))
        return acks

    def check_acks(self, acks, context):
        """Run `appender check` on acks and fail with its output on a mismatch."""
        text = "".join("ack %d %s\n" % a for a in acks)
        proc = subprocess.run([APPENDER, "check", self.dir], input=text, capture_output=True,
                              text=True, env=child_env(), timeout=600)
        self.assertEqual(proc.returncode, 0, "%s: acknowledged appends are missing or wrong:\n%s%s"
                         % (context, proc.stdout[-4000:], proc.stderr[-2000:]))

    def append_round(self, rnd):
        prefix = "r%d" % rnd
        delay = self.rng.uniform(*APPEND_KILL_MS)
        ack_path = os.path.join(self.tmp, "acks-%d" % rnd)
        err_path = os.path.join(self.tmp, "appender-stderr")
        with open(ack_path, "ab") as out, open(err_path, "wb") as err:
            code = self.kill_after([APPENDER, "append", self.dir, str(THREADS), prefix],
                                   delay, out, err)
        with open(err_path, "rb") as f:
            stderr = f.read().decode(errors="replace")
        self.assertEqual(code, -signal.SIGKILL, "round %d: the appender exited with %d before "
                         "the kill:\n%s" % (rnd, code, stderr[-2000:]))
        acks = self.read_acks(ack_path, rnd)
        os.unlink(ack_path)
        for seq, text in acks:
            self.assertNotIn(seq, self.acked, "round %d: seq %d acknowledged for %s was acknowledged "
                             "before for %s, so that append was lost"
                             % (rnd, seq, text, self.acked.get(seq)))
            self.acked[seq] = text
        self.check_acks(acks, "round %d (killed after %.1f ms)" % (rnd, delay))
        return len(acks)

    def timed_ms(self, *args):
        """Run casetrail on this store to the end and return the wall time in ms."""
        start = time.monotonic()
        self.ok(*args)
        return (time.monotonic() - start) * 1000.0

    def calibrate(self):
        """Measure whole runs of checkpoint --now and expunge, keeping the fastest of a few."""
        checkpoint, expunge = [], []
        for i in range(CALIBRATION_RUNS):
            seq = self.add_note("calibration-%d" % i, actor="crash-test")["seq"]
            self.approve(seq)
            checkpoint.append(self.timed_ms("checkpoint", "--now"))
            expunge.append(self.timed_ms("expunge", seq, "--reason", "calibration",
                                         "--approved-by", "reviewer", "--as", "crash-test"))
        self.run_ms = {"checkpoint": min(checkpoint), "expunge": min(expunge)}
        for command, ms in self.run_ms.items():
            self.calibrations[command].append(ms)

    def kill_delay(self, command):
        return self.rng.uniform(*KILL_FRACTION) * self.run_ms[command]

    def checkpoint_round(self, rnd):
        delay = self.kill_delay("checkpoint")
        code = self.kill_after([ctest.BIN, "checkpoint", "--now", "--dir", self.dir], delay,
                               subprocess.DEVNULL, subprocess.DEVNULL)
        self.assertIn(code, (0, -signal.SIGKILL), "round %d: checkpoint --now exited with %d"
                      % (rnd, code))
        self.count("checkpoint completed" if code == 0 else "checkpoint killed")
        r = self.ct("checkpoint")
        self.assertEqual(r.code, 0, "round %d: no readable checkpoint after killing "
                         "checkpoint --now at %.1f ms: %r" % (rnd, delay, r))
        self.verify("round %d, checkpoint --now killed at %.1f ms" % (rnd, delay))

    def db_contains(self, secret):
        """Return the database files whose bytes contain secret."""
        found = []
        for name in ("casetrail.db", "casetrail.db-wal"):
            try:
                with open(self.path(name), "rb") as f:
                    if secret.encode() in f.read():
                        found.append(name)
            except FileNotFoundError:
                pass
        return found

    def approve(self, seq):
        """The security administrator's approval of expunging seq."""
        if self.ct("user", "show", "reviewer").code != 0:
            self.ok("user", "add", "reviewer", "--role", "secadmin")
        self.ok("expunge", "approve", seq, "--reason", "crash test", "--as", "reviewer")

    def expunge_round(self, rnd):
        secret = "EXPUNGE-%d-%016x" % (rnd, self.rng.getrandbits(64))
        seq = self.add_note(secret, actor="crash-test")["seq"]
        self.approve(seq)
        delay = self.kill_delay("expunge")
        code = self.kill_after([ctest.BIN, "expunge", str(seq), "--dir", self.dir,
                                "--reason", "crash test", "--approved-by", "reviewer",
                                "--as", "crash-test"], delay,
                               subprocess.DEVNULL, subprocess.DEVNULL)
        context = "round %d, expunge of %d killed at %.1f ms" % (rnd, seq, delay)
        self.assertIn(code, (0, -signal.SIGKILL), "%s: expunge exited with %d" % (context, code))

        record = self.ok("record", "show", seq).json
        fields = record.get("fields")
        if fields is None:
            state = "expunged"
        else:
            self.assertEqual(fields.get("text"), secret, "%s: content changed" % context)
            state = "kept"
        if code == 0:
            self.assertEqual(state, "expunged", "%s: expunge exited 0 but the content is "
                             "still readable" % context)
        residue = self.db_contains(secret) if state == "expunged" else []
        if code == 0:
            self.assertEqual(residue, [], "%s: expunge exited 0 but the text is still in %s"
                             % (context, residue))
        # A killed expunge may leave old pages on disk, which verify
        # reports. 'expunge --finish', or any writer's next open, must
        # remove them.
        if code != 0:
            self.ok("expunge", "--finish")
        later = self.db_contains(secret) if state == "expunged" else []
        self.assertEqual(later, [], "%s: the expunged text is still in %s after "
                         "expunge --finish" % (context, later))
        self.verify(context)
        outcome = "expunge %s, content %s" % ("completed" if code == 0 else "killed", state)
        if residue:
            outcome += ", text left until --finish"
        self.count(outcome)

    def verify(self, context):
        r = self.ct("verify", timeout=1200)
        self.assertEqual(r.code, 0, "%s: verify failed:\n%r" % (context, r))
        self.count("verify runs")

    def finish_store(self, context):
        """Check every ack of the current store again, so that none was lost later."""
        self.check_acks(sorted(self.acked.items()), "all acks of the store, %s" % context)

    def new_store(self, rnd):
        self.dir = os.path.join(self.tmp, "store-%d" % rnd)
        r = ctest.run("init", "--dir", self.dir, "--crypto", self.crypto, "--host", "test.example",
                      "--no-admin")
        self.assertEqual(r.code, 0, r)
        self.acked = {}

    def test_kill_rounds(self):
        print("\nseed %d, %d rounds, %d threads, kill after %d-%d ms"
              % (SEED, ROUNDS, THREADS, APPEND_KILL_MS[0], APPEND_KILL_MS[1]), flush=True)
        self.calibrate()
        start = time.monotonic()
        acks = 0
        stores = 1
        for rnd in range(1, ROUNDS + 1):
            if STORE_ROUNDS and rnd > 1 and (rnd - 1) % STORE_ROUNDS == 0:
                self.finish_store("before round %d" % rnd)
                self.new_store(rnd)
                stores += 1
            n = self.append_round(rnd)
            acks += n
            if n == 0:
                self.count("rounds without an ack")
            if rnd % 8 == 3:
                self.checkpoint_round(rnd)
            if rnd % 8 == 7:
                self.expunge_round(rnd)
            if rnd % VERIFY_EVERY == 0 or rnd == ROUNDS:
                self.verify("after round %d" % rnd)
                self.calibrate()
                print("round %d: %d acks so far, %.0f s" % (rnd, acks, time.monotonic() - start),
                      flush=True)
        self.finish_store("at the end")
        print("summary: seed %d, %d rounds, %d stores, %d acks, %.0f s"
              % (SEED, ROUNDS, stores, acks, time.monotonic() - start))
        for key in sorted(self.counts):
            print("  %s: %d" % (key, self.counts[key]))
        for command, runs in sorted(self.calibrations.items()):
            runs = sorted(runs)
            print("  whole %s runs at calibration: %.0f-%.0f ms, median %.0f ms"
                  % (command, runs[0], runs[-1], runs[len(runs) // 2]))


if __name__ == "__main__":
    ctest.main()
