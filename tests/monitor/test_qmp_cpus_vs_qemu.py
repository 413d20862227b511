"""query-cpus-fast answers as QEMU 7.2 does on each board (QOM path, props,
target; thread-id aside: emud runs every vCPU on one thread), compared with
qemu-system-riscv32/64 and qemu-system-arm over QMP on stdio."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "examples" / "build"
QMP_SESSION = b"".join(json.dumps(c).encode() + b"\n" for c in (
    {"execute": "qmp_capabilities"}, {"execute": "query-cpus-fast"}, {"execute": "quit"}))

BOARDS = [
    ("qemu-system-riscv32", ["-M", "virt", "-bios", "none", "-smp", "2"], "hello-rv32.elf"),
    ("qemu-system-riscv64", ["-M", "virt", "-bios", "none"], "hello-rv64.elf"),
    ("qemu-system-arm", ["-M", "mps2-an385"], "cortexm-hello-mps2-an385.elf"),
    ("qemu-system-arm", ["-M", "lm3s6965evb"], "cortexm-hello-lm3s6965evb.elf"),
]


def cpus(command):
    out = subprocess.run(command + ["-nographic", "-S", "-qmp", "stdio", "-serial", "none", "-monitor", "none"],
                         input=QMP_SESSION, capture_output=True, timeout=60).stdout
    for line in out.splitlines():
        reply = json.loads(line)
        if isinstance(reply.get("return"), list):
            return [{k: v for k, v in cpu.items() if k != "thread-id"} for cpu in reply["return"]]
    raise AssertionError(out)


@pytest.mark.parametrize("qemu, args, elf", BOARDS, ids=[b[1][1] + "-" + b[2] for b in BOARDS])
def test_query_cpus_fast_as_qemu(qemu, args, elf):
    if shutil.which(qemu) is None:
        pytest.skip("needs %s" % qemu)
    kernel = ["-kernel", str(BUILD / elf)]
    assert cpus([sys.executable, "-m", "emud"] + args + kernel) == cpus([qemu] + args + kernel)
