"""Fixtures for the time-travel tests: the firmware under tests/firmware
(built -O0 -g), and gdb sessions against emud recording from the start."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.gdbstub.conftest import require_gdb_e2e  # noqa: F401  (the shared skip)

FIRMWARE = Path(__file__).resolve().parents[1] / "firmware"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "build"


@pytest.fixture(scope="session")
def stray_elf(build_firmware):
    return build_firmware([FIRMWARE / "stray.c"], opt="-O0", cflags=["-g"], name="stray")


@pytest.fixture(scope="session")
def two_harts_elf(build_firmware):
    start = Path(__file__).resolve().parents[1] / "gdbstub" / "firmware" / "start.S"
    return build_firmware([start, FIRMWARE / "two_harts.c"], runtime=False, opt="-O1", name="two_harts")


def recording_command(elf, port, extra=()):
    """emud recording from the start, waiting for gdb on ``port``."""
    return [sys.executable, "-m", "tests.timetravel.recording_emud", "-M", "virt", "-bios", "none",
            "-kernel", str(elf), "-nographic", "-gdb", "tcp::%d" % port, "-S", *extra]
