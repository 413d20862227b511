"""Shared fixtures. Firmware is built by the cross compiler on demand and
cached by content hash (tests/support/firmware.py); tests that need a tool
that is missing skip with the reason (scripts/test.sh installs them all, so
in CI nothing skips)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.support import firmware as _firmware  # noqa: E402
from tests.support import run as _run  # noqa: E402


@pytest.fixture(scope="session")
def build_firmware():
    """``build_firmware(name_or_sources, xlen=32, **opts) -> Path`` (see
    tests/support/firmware.py); skips the test when the cross compiler is
    missing."""
    def build(sources, xlen=32, **opts):
        try:
            return _firmware.build_firmware(sources, xlen, **opts)
        except _firmware.ToolchainMissing as e:
            pytest.skip(str(e))
    return build


@pytest.fixture(scope="session")
def require_qemu():
    """``require_qemu(xlen)``: skip unless qemu-system-riscvNN is installed."""
    def check(xlen=32):
        if not _run.have_qemu(xlen):
            pytest.skip(f"{_run.qemu_binary(xlen)} not installed (apt-get install qemu-system-misc)")
    return check
