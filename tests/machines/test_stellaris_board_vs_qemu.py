"""lm3s6965evb registers and interrupt wiring against qemu-system-arm, access
for access (tests/support/qtest.py)."""
import pytest

from emud.machines.stellaris_board import Lm3s6965Board
from tests.support.qtest import R, W, emud_transcript, have_qemu_arm, qemu_transcript

pytestmark = pytest.mark.skipif(not have_qemu_arm(), reason="qemu-system-arm not installed")

SSYS, WDOG, UART0, UART2 = 0x400FE000, 0x40000000, 0x4000C000, 0x4000E000
GPIOA, GPIOF, GPTM0, GPTM3 = 0x40004000, 0x40025000, 0x40030000, 0x40033000


def build(host, irq, nmi):
    Lm3s6965Board(host, irq, nmi, request_reset=lambda: None)


def check(script):
    assert emud_transcript(build, script) == qemu_transcript("lm3s6965evb", script, cpu_path="/machine/unattached/device[1]")


def test_system_control():
    regs = (0, 4, 8, 0x10, 0x14, 0x18, 0x1C, 0x30, 0x34, 0x40, 0x50, 0x54, 0x58, 0x5C, 0x60, 0x64,
            0x70, 0x100, 0x104, 0x108, 0x110, 0x120, 0x150, 0x160, 0x1E0, 0x1E4, 0x200)
    script = [R(SSYS + o) for o in regs] + [
        W(SSYS + 0x60, 0x078E3AC0 | (0x8 << 6)), R(SSYS + 0x64),
        # clearing PWRDN: PLL lock interrupt, masked, then enabled (NVIC 28), then W1C
        W(SSYS + 0x60, 0x01C00380 & ~(1 << 13)), R(SSYS + 0x50), W(SSYS + 0x54, 0xFF), R(SSYS + 0x54),
        R(SSYS + 0x58), W(SSYS + 0x58, 0x40), R(SSYS + 0x50),
        W(SSYS + 0x70, 0x80000000 | (3 << 23) | (1 << 13)), R(SSYS + 0x70), W(SSYS + 0x70, 0), R(SSYS + 0x50),
        W(SSYS + 0x104, 0x10003), R(SSYS + 0x104), W(SSYS + 0x108, 0x7F), R(SSYS + 0x108),
        W(SSYS + 0x30, 0x12345678), R(SSYS + 0x30), W(SSYS + 0x34, 0xFF), R(SSYS + 0x34),
        W(SSYS + 0x5C, 0xFF), R(SSYS + 0x5C),
    ]
    check(script)


def test_pl011_uarts():
    regs = (0, 4, 0x18, 0x20, 0x24, 0x28, 0x2C, 0x30, 0x34, 0x38, 0x3C, 0x40, 0x48)
    script = [R(UART0 + o) for o in regs] + [R(UART0 + o) for o in range(0xFE0, 0x1000, 4)] + [
        W(UART0 + 0x24, 6), W(UART0 + 0x28, 33), W(UART0 + 0x2C, 0x70), W(UART0 + 0x30, 0x301),
        R(UART0 + 0x24), R(UART0 + 0x28), R(UART0 + 0x2C), R(UART0 + 0x30),
        # TX interrupt on NVIC 5 once unmasked; ICR clears it
        W(UART0, 0x41), R(UART0 + 0x3C), W(UART0 + 0x38, 0x20), R(UART0 + 0x40), W(UART0 + 0x44, 0x20),
        R(UART0 + 0x3C), W(UART2 + 0x38, 0x20), W(UART2, 0x42), W(UART2 + 0x44, 0x7FF),
        R(UART0 + 0x18), W(UART0 + 4, 0), R(UART0 + 4), R(UART0, 1), R(UART0 + 0x18),
    ]
    check(script)


def test_pl061_gpio():
    regs = (0x3FC, 0x400, 0x404, 0x408, 0x40C, 0x410, 0x414, 0x418, 0x420, 0x500, 0x504, 0x508, 0x50C,
            0x510, 0x514, 0x518, 0x51C, 0x520, 0x524, 0x528, 0x52C)
    script = [R(GPIOA + o) for o in regs] + [R(GPIOA + o) for o in range(0xFD0, 0x1000, 4)] + [
        W(GPIOA + 0x400, 0x0F), W(GPIOA + 0x3FC, 0xFF), R(GPIOA + 0x3FC), W(GPIOA + 0x40, 0x00),
        R(GPIOA + 0x3FC), R(GPIOA + 0x20),
        # pull-ups on inputs with DEN; level interrupts (IS) on high inputs -> NVIC 0
        W(GPIOA + 0x51C, 0xFF), W(GPIOA + 0x510, 0xF0), R(GPIOA + 0x3FC), W(GPIOA + 0x404, 0xF0),
        W(GPIOA + 0x40C, 0x00), R(GPIOA + 0x414), W(GPIOA + 0x40C, 0xFF), R(GPIOA + 0x414),
        W(GPIOA + 0x410, 0x30), R(GPIOA + 0x418), W(GPIOA + 0x41C, 0xFF), R(GPIOA + 0x414),
        # CR is locked until LOCK gets the key; AFSEL only where CR allows
        W(GPIOA + 0x524, 0x0F), R(GPIOA + 0x524), W(GPIOA + 0x520, 0x0ACCE551), R(GPIOA + 0x520),
        W(GPIOA + 0x524, 0x0F), R(GPIOA + 0x524), W(GPIOA + 0x420, 0xFF), R(GPIOA + 0x420),
        W(GPIOA + 0x520, 1), R(GPIOA + 0x520), W(GPIOF + 0x404, 0x01), W(GPIOF + 0x410, 0x01),
    ]
    check(script)


def test_gptm_and_watchdog():
    regs = range(0, 0x50, 4)
    script = [R(GPTM0 + o) for o in regs if o not in (0x48, 0x4C)] + [
        W(GPTM0 + 0x28, 0x12345678), R(GPTM0 + 0x28), R(GPTM0 + 0x2C), W(GPTM0 + 0x30, 0xABCD1234),
        R(GPTM0 + 0x30), R(GPTM0 + 0x34), W(GPTM0 + 0, 4), W(GPTM0 + 0x28, 0x87654321), R(GPTM0 + 0x28),
        R(GPTM0 + 0x2C), W(GPTM0 + 0x34, 0x55556666), R(GPTM0 + 0x34), W(GPTM0 + 0x44, 9), R(GPTM0 + 0x40),
        R(GPTM0 + 0x44), W(GPTM0 + 0x18, 0xFF), R(GPTM0 + 0x18), W(GPTM0 + 0, 1), R(GPTM0 + 0x48),
        W(GPTM3 + 0x18, 1), R(GPTM3 + 0x20),
    ]
    script += [R(WDOG + o) for o in (0, 4, 8, 0x10, 0x14, 0xC00, 0xF00, 0x418)]
    script += [R(WDOG + o) for o in range(0xFD0, 0x1000, 4)] + [
        W(WDOG + 0, 1000), R(WDOG + 0), W(WDOG + 8, 1), R(WDOG + 8), W(WDOG + 8, 2), R(WDOG + 8),
        W(WDOG + 0xF00, 1), R(WDOG + 0xF00),
    ]
    check(script)


def test_memory_map():
    script = [W(0x20000000, 0x12345678), R(0x20000000), W(0x2000FFFC, 0x9), R(0x2000FFFC),
              W(0x100, 0x55), R(0x100),            # flash is ROM: the write is dropped
              R(0x40002000), R(0x40021000), R(0x40028000), R(0x4002C000), R(0x4002D000),
              R(0x4003C000), R(0x400FC000), R(0x400FD000),
              W(0x22000000 + 0x10 * 32 + 7 * 4, 1), R(0x20000010), R(0x22000000 + 0x10 * 32 + 7 * 4),
              W(0x42000000 + 0xFE054 * 32 + 6 * 4, 1), R(SSYS + 0x54)]
    check(script)
