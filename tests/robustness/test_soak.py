"""The soak test of issue 8: a guest with long, deterministic UART output
(tests/firmware/soak.c) runs while seeded random clients hit the monitor,
QMP and gdb servers at once -- polite sessions reading slowly, floods left
unread, lines and packets cut in the middle, TCP resets, reconnections at
once. Afterwards the guest must have printed exactly what an undisturbed
run prints (the UART goes to a file, out of the attackers' reach) and
exited with its own status, and emud must not have printed a traceback.

The monitor and QMP clients only send read-only commands. A gdb
connection stops the machine (as QEMU's does) and a dropped one leaves it
stopped, so every gdb action ends by detaching (``D``) -- from a fresh
connection when the action dropped its own.

``EMUD_SOAK_SEED=N`` repeats a run's choices (the seed is printed and named
in every failure); ``EMUD_SOAK_SECONDS`` changes the attack's length.
"""
from __future__ import annotations

import collections
import os
import random
import subprocess
import threading
import time
from pathlib import Path
from typing import Callable, Deque, Dict, List

import pytest

from .clients import (GDB_REFUSAL, QMP_CAPABILITIES, console_session, flood, gdb_packet, gdb_try, qmp_request,
                      qmp_session, vanish)
from .conftest import dial

SOAK = Path(__file__).resolve().parents[1] / "firmware" / "soak.c"
LINES, WORK = 500, 150000          # about 8 s of guest on CPython, undisturbed
EXIT_CODE = 7                      # soak.c's
ATTACK_SECONDS = float(os.environ.get("EMUD_SOAK_SECONDS", "25"))
MAX_ACTIONS = 400                  # per attacker
FINISH_SECONDS = 120               # for the guest to finish after the attack

CONSOLE_COMMANDS = ["info registers", "x/100i 0x80000000", "info mtree", "info status"]
QMP_COMMANDS = [qmp_request("query-status"), qmp_request("human-monitor-command", **{"command-line": "info registers"}),
                qmp_request("query-version"), qmp_request("human-monitor-command", **{"command-line": "info mtree"})]


class Soak:
    """The shared state of one attack: the emud under it, the seed, the
    deadline, the problems found and a journal of the last actions."""

    def __init__(self, e, seed: int, seconds: float) -> None:
        self.e = e
        self.seed = seed
        self.deadline = time.monotonic() + seconds
        self.problems: List[str] = []
        self.journal: Deque[str] = collections.deque(maxlen=40)
        self.counts: Dict[str, int] = collections.Counter()
        self.lock = threading.Lock()

    def going(self) -> bool:
        return time.monotonic() < self.deadline and self.e.alive()

    def note(self, who: str, action: str) -> None:
        with self.lock:
            self.counts[action] += 1
            self.journal.append("%.2f %s %s" % (time.monotonic(), who, action))

    def problem(self, who: str, text: str) -> None:
        with self.lock:
            self.problems.append("%s: %s" % (who, text))

    def still_up(self) -> bool:
        """Whether emud is still running two seconds from now (a client
        error while the guest is finishing and emud exiting is no fault)."""
        try:
            self.e.proc.wait(2)
            return False
        except subprocess.TimeoutExpired:
            return True


# -- the monitor and QMP attackers ---------------------------------------------------------------------------


def _slow(rng: random.Random) -> Dict[str, float]:
    return {"chunk": rng.choice([65536, 4096, 512]), "pause": rng.choice([0.0, 0.002, 0.02])}


def console_polite(soak: Soak, rng: random.Random) -> None:
    lines = [rng.choice(CONSOLE_COMMANDS) for _ in range(rng.randint(1, 4))]
    answers = console_session(soak.e.ports["monitor"], lines, timeout=30, **_slow(rng))
    for line, answer in zip(lines, answers):
        assert not answer.startswith("Error"), "%r answered %r" % (line, answer)


def console_flood(soak: Soak, rng: random.Random) -> None:
    sock = dial(soak.e, "monitor")
    lines = "".join(rng.choice(CONSOLE_COMMANDS) + "\n" for _ in range(rng.randint(5, 40)))
    flood(sock, lines.encode(), seconds=2)
    vanish(sock, rng.choice(["close", "reset"]))


def console_mid_line(soak: Soak, rng: random.Random) -> None:
    sock = dial(soak.e, "monitor")
    line = rng.choice(CONSOLE_COMMANDS)
    text = (rng.choice(CONSOLE_COMMANDS) + "\n") * rng.randint(0, 2) + line[:rng.randint(1, len(line) - 1)]
    sock.sendall(text.encode())
    time.sleep(rng.uniform(0, 0.1))
    vanish(sock, rng.choice(["close", "reset"]))


def qmp_polite(soak: Soak, rng: random.Random) -> None:
    requests = [rng.choice(QMP_COMMANDS) for _ in range(rng.randint(1, 4))]
    for answer in qmp_session(soak.e.ports["qmp"], requests, timeout=30, **_slow(rng)):
        assert "return" in answer, "QMP answered %r" % answer


def qmp_flood(soak: Soak, rng: random.Random) -> None:
    sock = dial(soak.e, "qmp")
    requests = b"".join(rng.choice(QMP_COMMANDS) for _ in range(rng.randint(10, 200)))
    flood(sock, QMP_CAPABILITIES + requests, seconds=2)
    vanish(sock, rng.choice(["close", "reset"]))


def qmp_mid_line(soak: Soak, rng: random.Random) -> None:
    sock = dial(soak.e, "qmp")
    request = rng.choice(QMP_COMMANDS)
    sock.sendall(QMP_CAPABILITIES * rng.randint(0, 1) + request[:rng.randint(1, len(request) - 1)])
    time.sleep(rng.uniform(0, 0.1))
    vanish(sock, rng.choice(["close", "reset"]))


def qmp_big_line(soak: Soak, rng: random.Random) -> None:
    sock = dial(soak.e, "qmp")
    size = rng.choice([64 << 10, 256 << 10, 1 << 20])
    flood(sock, QMP_CAPABILITIES + b'{"execute": "query-status", "id": "' + b"x" * size + b'"}\n', seconds=5)
    vanish(sock, rng.choice(["close", "reset"]))


def make_hit_and_run(server: str) -> Callable[[Soak, random.Random], None]:
    def hit_and_run(soak: Soak, rng: random.Random) -> None:
        for _ in range(rng.randint(1, 20)):
            vanish(dial(soak.e, server), rng.choice(["close", "reset"]))
    hit_and_run.__name__ = "%s_hit_and_run" % server
    return hit_and_run


# -- the gdb attacker ------------------------------------------------------------------------------------------------


def gdb_detach_fresh(soak: Soak, who: str) -> None:
    """Attach anew and detach: the machine runs again. Refused while the
    session we dropped is still closing is a fault (finding 3): the
    newcomer must be served once that session is gone; retried meanwhile."""
    deadline = time.monotonic() + 15
    while True:
        client, reply = gdb_try(soak.e.ports["gdb"], timeout=20)
        if client is not None:
            break
        soak.problem(who, "refused right after its own session ended: %r" % reply)
        assert time.monotonic() < deadline, "refused for 15 s"
        time.sleep(0.1)
    try:
        assert client.command("D") == "OK"
    finally:
        client.close()


def gdb_session(soak: Soak, who: str):
    client, reply = gdb_try(soak.e.ports["gdb"], timeout=20)
    if client is None:
        soak.problem(who, "refused with no other gdb attached: %r" % reply)
        return None
    assert reply[:1] == "T", "'?' answered %r" % reply
    return client


def gdb_inspect(soak: Soak, rng: random.Random, who: str) -> None:
    client = gdb_session(soak, who)
    if client is None:
        return
    try:
        if rng.random() < 0.5:
            client.start()                 # no-ack mode, as gdb asks for it
        assert "PacketSize" in client.command("qSupported:multiprocess+;swbreak+;hwbreak+")
        for _ in range(rng.randint(1, 6)):
            packet = rng.choice(["g", "m80000000,100", "?"])
            reply = client.command(packet)
            assert reply and not reply.startswith("E"), "%s answered %r" % (packet, reply)
        if rng.random() < 0.3:
            intruder, refusal = gdb_try(soak.e.ports["gdb"])
            if intruder is not None:
                intruder.close()
                raise AssertionError("a second gdb was served while one is attached")
            assert refusal.startswith(GDB_REFUSAL), refusal
        end = rng.choice(["detach", "continue-and-leave", "interrupt"])
        if end == "detach":
            assert client.command("D") == "OK"
        elif end == "continue-and-leave":
            client.send_packet("c")        # the machine runs; leaving keeps it running
            time.sleep(rng.uniform(0, 0.3))
        else:
            client.send_packet("c")
            time.sleep(rng.uniform(0, 0.3))
            client.sock.sendall(b"\x03")
            stop = client.read_packet()
            assert stop[:1] in ("T", "S", "W"), "Ctrl-C answered %r" % stop
            if stop[:1] != "W":
                assert client.command("D") == "OK"
    finally:
        vanish(client.sock, rng.choice(["close", "reset"]))


def gdb_flood(soak: Soak, rng: random.Random, who: str) -> None:
    sock = dial(soak.e, "gdb")
    packets = gdb_packet(rng.choice(["g", "m80000000,400", "m80000000,100", "qSupported"])) * rng.randint(50, 3000)
    flood(sock, b"+" + packets, seconds=2)
    vanish(sock, rng.choice(["close", "reset"]))
    gdb_detach_fresh(soak, who)


def gdb_cut(soak: Soak, rng: random.Random, who: str) -> None:
    sock = dial(soak.e, "gdb")
    packet = gdb_packet(rng.choice(["g", "m80000000,100", "qSupported:swbreak+;hwbreak+", "qXfer:features:read:target.xml:0,ffb"]))
    sock.sendall(b"+" + gdb_packet("?") * rng.randint(0, 1) + packet[:rng.randint(1, len(packet) - 1)])
    time.sleep(rng.uniform(0, 0.1))
    vanish(sock, rng.choice(["close", "reset"]))
    gdb_detach_fresh(soak, who)


def gdb_hit_and_run(soak: Soak, rng: random.Random, who: str) -> None:
    for _ in range(rng.randint(1, 10)):
        vanish(dial(soak.e, "gdb"), rng.choice(["close", "reset"]))
    gdb_detach_fresh(soak, who)


ATTACKERS = {
    "console-1": [console_polite, console_flood, console_mid_line, make_hit_and_run("monitor")],
    "console-2": [console_polite, console_polite, console_flood, console_mid_line],
    "qmp-1": [qmp_polite, qmp_flood, qmp_mid_line, qmp_big_line, make_hit_and_run("qmp")],
    "qmp-2": [qmp_polite, qmp_polite, qmp_flood, qmp_mid_line],
    "gdb": [gdb_inspect, gdb_inspect, gdb_flood, gdb_cut, gdb_hit_and_run],
}


def attacker(soak: Soak, who: str, actions) -> None:
    rng = random.Random("%d-%s" % (soak.seed, who))
    try:
        for _ in range(MAX_ACTIONS):
            if not soak.going():
                return
            action = rng.choice(actions)
            soak.note(who, action.__name__)
            try:
                if who == "gdb":
                    action(soak, rng, who)
                else:
                    action(soak, rng)
            except Exception as exc:
                if soak.still_up():
                    soak.problem(who, "%s: %r" % (action.__name__, exc))
                    if who == "gdb":
                        gdb_detach_fresh(soak, who)       # do not leave the machine stopped
            time.sleep(rng.uniform(0, 0.15))
    except BaseException as exc:
        soak.problem(who, "attacker died: %r" % exc)


# -- the test ---------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_soak_output_and_exit_survive_random_rude_clients(build_firmware, emud_cli, serving, tmp_path):
    seed = int(os.environ.get("EMUD_SOAK_SEED") or random.SystemRandom().randrange(1 << 32))
    again = "seed %d (EMUD_SOAK_SEED=%d repeats the choices)" % (seed, seed)
    print("soak:", again)
    elf = build_firmware(SOAK, 32, defines={"LINES": LINES, "WORK": WORK})
    reference_out, soak_out = tmp_path / "A.txt", tmp_path / "B.txt"
    started = time.monotonic()
    # the undisturbed reference runs alongside (the same elf, the UART to a file)
    reference = emud_cli(elf, "-serial", "file:%s" % reference_out)
    e = serving(elf, "monitor", "qmp", "gdb", held=False, args=["-serial", "file:%s" % soak_out])
    soak = Soak(e, seed, ATTACK_SECONDS)
    threads = [threading.Thread(target=attacker, args=(soak, who, actions), daemon=True)
               for who, actions in ATTACKERS.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, soak.deadline - time.monotonic()) + 60)
    attack_seconds = time.monotonic() - started
    stuck = [t.name for t in threads if t.is_alive()]
    journal = "\n".join(soak.journal)
    counts = dict(sorted(soak.counts.items()))
    print("soak: %.1f s of attack, %d actions: %s" % (attack_seconds, sum(counts.values()), counts))

    try:
        code = e.proc.wait(FINISH_SECONDS)
    except subprocess.TimeoutExpired:
        status = "?"
        try:
            status = repr(qmp_session(e.ports["qmp"], [qmp_request("query-status")]))
        except Exception as exc:
            status = "QMP failed too: %r" % exc
        raise AssertionError("%s: the guest did not finish within %d s after the attack; status %s;\n"
                             "problems: %s\nlast actions:\n%s\nstderr:\n%s"
                             % (again, FINISH_SECONDS, status, soak.problems, journal, e.stderr())) from None
    assert reference.proc.wait(FINISH_SECONDS) == EXIT_CODE, reference.stderr()
    print("soak: the guest finished %.1f s after the start" % (time.monotonic() - started))
    expected = reference_out.read_bytes()
    assert expected.startswith(b"soak start\n") and expected.endswith(b"soak done\n")
    assert expected.count(b"\n") == LINES + 2

    assert "Traceback" not in e.stderr(), "%s: emud printed a traceback:\n%s\nlast actions:\n%s" % (
        again, e.stderr(), journal)
    assert code == EXIT_CODE, "%s: exit status %s\nstderr:\n%s" % (again, code, e.stderr())
    got = soak_out.read_bytes()
    assert got == expected, "%s: the UART output differs from the undisturbed run's (%d vs %d bytes)" % (
        again, len(got), len(expected))
    assert not stuck, "%s: attackers stuck: %s" % (again, stuck)
    assert not soak.problems, "%s: %d problems:\n%s\nlast actions:\n%s" % (
        again, len(soak.problems), "\n".join(soak.problems[:30]), journal)
    assert sum(counts.values()) >= 10, "%s: only %s" % (again, counts)
