"""A replay agrees with its recording when every block is compiled at once
(-accel tcg,tier-up=0): loops the back end runs in place (a TB branching
back to its own start), with exits taken part way, stopped at a checkpoint
in the middle of such a loop.

Pinned because the Thumb front end's side exits (forward conditional
branches that leave the TB when taken, the TB going on past them) first broke
it: the replay of bench-sieve on mps2-an385 diverged inside sieve's
trial-division loop while the interpreted tier agreed. The cause was the
region splicer, which placed a block inlined at a side exit after the whole
exiting block, so a loop region's path through it counted instructions it
skipped (tests/tcg/test_region.py pins that with the toy guest's side exit)."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.timetravel.test_record_cli import EXAMPLES, ROOT, emud

pytestmark = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("make") is None,
                                reason="needs arm-none-eabi-gcc and make")


@pytest.fixture(scope="module")
def short_sieve(tmp_path_factory):
    out = tmp_path_factory.mktemp("sieve")
    elf = out / "bench-sieve-mps2-an385.elf"
    subprocess.run(["make", "-s", "-C", str(ROOT / "examples"), "BUILD=%s" % out, "BENCH_DEFS=-DBENCH_ITERS=2",
                    str(elf)], check=True, capture_output=True)
    return elf


@pytest.mark.parametrize("kernel, machine", [
    ("short_sieve", ["-M", "mps2-an385", "-semihosting"]),
    ("rtos-mix-rv32.elf", []),
])
def test_compiled_replay_agrees(request, tmp_path, kernel, machine):
    elf = request.getfixturevalue(kernel) if kernel == "short_sieve" else EXAMPLES / kernel
    rr = tmp_path / "run.rr"
    args = ["-nographic", *machine, "-kernel", str(elf), "-accel", "tcg,tier-up=0"]
    first = emud([*args, "-record", "file=%s" % rr], timeout=300)
    again = emud([*args, "-replay", "file=%s" % rr], timeout=300)
    assert b"diverged" not in again.stderr, again.stderr
    assert (again.returncode, again.stdout) == (first.returncode, first.stdout), again.stderr


def test_a_diverged_replay_with_nobody_attached_ends_with_status_1(tmp_path):
    """-replay run alone (no gdb, monitor or QMP): after the divergence line
    emud ends instead of running on with the machine live."""
    from emud.timetravel import record_file

    rr = tmp_path / "run.rr"
    args = ["-nographic", "-kernel", str(EXAMPLES / "timer-rv32.elf")]
    first = emud([*args, "-record", "file=%s" % rr])
    assert first.returncode == 0, first.stderr
    meta, recording = record_file.decode(rr.read_bytes(), 1 << 30)
    assert recording["checks"], recording.keys()
    where, pc, digest = recording["checks"][-1]
    recording["checks"][-1] = [where, pc, digest ^ 1]
    record_file.write(str(rr), meta, recording)
    again = emud([*args, "-replay", "file=%s" % rr], timeout=60)
    assert again.returncode == 1 and b"replay diverged at instruction %d" % where in again.stderr, again.stderr
