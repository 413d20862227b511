"""QEMU 7.2's Cortex-M0 has an MPU without regions (MPU_TYPE 0, pmsav7_dregion
0), yet MPU_CTRL.ENABLE still takes effect: with no region and no
PRIVDEFENA every access is a background fault, the next fetch already, and
the core escalates to HardFault (whose handler runs with the MPU off, HFNMIENA
being clear). emud does the same on -M lm3s6965evb -cpu cortex-m0."""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.support.firmware import build_cortexm
from tests.support.run import REPO

pytestmark = pytest.mark.skipif(not shutil.which("arm-none-eabi-gcc"), reason="needs arm-none-eabi-gcc")

SOURCE = r'''
#include "cortexm.h"
void hardfault_handler(void) {
    uart_puts("hardfault ctrl "); uart_puthex(REG(0xE000ED94)); uart_puts("\n");
    REG(0xE000ED94) = 0;
    semihosting_exit(3);
}
volatile uint32_t x;
int main(void) {
    uart_puts("type "); uart_puthex(REG(0xE000ED90)); uart_puts("\n");
    REG(0xE000ED98) = 0; REG(0xE000ED9C) = 0x20000010u; REG(0xE000EDA0) = 0x0300002bu;
    uart_puts("rbar "); uart_puthex(REG(0xE000ED9C)); uart_puts(" rasr "); uart_puthex(REG(0xE000EDA0));
    uart_puts("\n");
    REG(0xE000ED94) = 1;
    x = 5;
    uart_puts("not reached\n");
    return 0;
}
'''


def test_cortex_m0_mpu_ctrl_as_qemu(tmp_path):
    src = tmp_path / "m0mpu.c"
    src.write_text(SOURCE)
    elf = build_cortexm(src, tmp_path / "m0mpu.elf", "lm3s6965evb", "cortex-m0")
    args = ["-M", "lm3s6965evb", "-cpu", "cortex-m0", "-nographic", "-semihosting", "-kernel", str(elf)]
    emud = subprocess.run([sys.executable, "-m", "emud", *args], capture_output=True, timeout=120,
                          stdin=subprocess.DEVNULL, cwd=str(REPO))
    expected = b"type 0x00000000\nrbar 0x00000000 rasr 0x00000000\nhardfault ctrl 0x00000001\n"
    assert (emud.returncode, emud.stdout) == (3, expected)
    if shutil.which("qemu-system-arm"):
        qemu = subprocess.run(["qemu-system-arm", *args], capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        assert (qemu.returncode, qemu.stdout) == (3, expected)
