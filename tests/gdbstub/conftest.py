"""Fixtures for the gdb end-to-end tests: the firmware under
tests/gdbstub/firmware (built -O0 -g through the shared build_firmware
fixture), and skips with a reason when gdb-multiarch or the machine is missing."""
from __future__ import annotations

import importlib
import shutil

import pytest

from tests.gdbstub.gdb_driver import FIRMWARE_DIR


@pytest.fixture(scope="session")
def require_gdb_e2e():
    if shutil.which("gdb-multiarch") is None:
        pytest.skip("gdb-multiarch not installed (apt-get install gdb-multiarch)")
    try:
        importlib.import_module("pygdbmi")
    except ImportError:
        pytest.skip("pygdbmi not installed (pip install pygdbmi)")
    try:
        importlib.import_module("emud.machines.virt")
    except ImportError as e:
        pytest.skip("the virt machine is not there yet (emud.machines.virt: %s)" % e)


@pytest.fixture(scope="session")
def gdbtest_elf(build_firmware, require_gdb_e2e):
    return build_firmware([FIRMWARE_DIR / "start.S", FIRMWARE_DIR / "gdbtest.c"],
                          runtime=False, opt="-O0", name="gdbtest")


@pytest.fixture(scope="session")
def second_elf(build_firmware, require_gdb_e2e):
    return build_firmware([FIRMWARE_DIR / "second.c"], runtime=False, opt="-O0",
                          linker_script=FIRMWARE_DIR / "second.ld", name="gdb-second")
