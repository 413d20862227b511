"""mps2-an385 registers and interrupt wiring against qemu-system-arm, access for
access (tests/support/qtest.py): reset values, ID registers, read/write
behaviour, W1C bits, and which NVIC input each device raises."""
import pytest

from emud.machines.mps2_board import Mps2An385Board
from tests.support.qtest import R, W, emud_transcript, have_qemu_arm, qemu_transcript

pytestmark = pytest.mark.skipif(not have_qemu_arm(), reason="qemu-system-arm not installed")

UART0, UART3, UART4 = 0x40004000, 0x40007000, 0x40009000
TIMER0, TIMER1, DUAL, WDOG, FPGAIO, SCC = 0x40000000, 0x40001000, 0x40002000, 0x40008000, 0x40028000, 0x4002F000
LAN9118_IRQ = 13     # QEMU's ethernet, not modelled


def ids(base):
    return [R(base + off) for off in range(0xFD0, 0x1000, 4)]


def build(host, irq, nmi):
    Mps2An385Board(host, irq, nmi, request_reset=lambda: None)


def check(script):
    want = qemu_transcript("mps2-an385", script, ignore_irqs=(LAN9118_IRQ,))
    got = emud_transcript(build, script)
    assert got == want


def test_uart_registers_and_irqs():
    script = [R(UART0 + o) for o in (0, 4, 8, 0xC, 0x10, 0x14)] + ids(UART0) + [
        W(UART0 + 0x10, 16), R(UART0 + 0x10),
        # TX interrupt on NVIC 1 (RX is 0), latched until W1C
        W(UART0 + 8, 0x5), W(UART0, 0x41), R(UART0 + 4), R(UART0 + 0xC),
        W(UART0 + 0xC, 1), R(UART0 + 0xC),
        # TX disabled: the byte waits, a second write is an overrun -> ORed IRQ 12
        W(UART0 + 8, 0x10), W(UART0, 0x42), R(UART0 + 4), W(UART0, 0x43), R(UART0 + 4), R(UART0 + 0xC),
        W(UART0 + 4, 0x4), R(UART0 + 4), R(UART0 + 0xC),
        W(UART0 + 8, 0x7F), R(UART0 + 8), W(UART0 + 8, 0xFF), R(UART0 + 8),
        # UART3 and 4: TX on 19 and 21; their overruns are not wired
        W(UART3 + 8, 0x5), W(UART3, 0x30), W(UART4 + 8, 0x15), W(UART4, 0x31),
        W(UART4 + 8, 0x10), W(UART4, 0x32), W(UART4, 0x33), R(UART4 + 0xC),
        # byte and halfword accesses, a bad offset
        R(UART0 + 8, 1), R(UART0 + 9, 1), R(UART0 + 0xFE0, 2), W(UART0 + 0x20, 5), R(UART0 + 0x20),
    ]
    check(script)


def test_timers_and_dualtimer():
    script = []
    for base in (TIMER0, TIMER1):
        script += [R(base + o) for o in (0, 4, 8, 0xC)] + ids(base)
        script += [W(base + 8, 1000), R(base + 4), R(base + 8), W(base + 4, 77), R(base + 4),
                   W(base, 0xF), R(base), W(base, 0x1F), R(base), W(base + 0xC, 1), R(base + 0xC)]
    script += [R(DUAL + o) for o in range(0, 0x40, 4)] + [R(DUAL + 0xF00)] + ids(DUAL)
    script += [
        W(DUAL + 0, 0x12345678), R(DUAL + 0), R(DUAL + 4), R(DUAL + 0x18),
        W(DUAL + 8, 0x62), R(DUAL + 8), R(DUAL + 0), R(DUAL + 4), R(DUAL + 0x18),
        W(DUAL + 0x18, 0xABCDEF01), R(DUAL + 0), R(DUAL + 0x18), W(DUAL + 8, 0x20), R(DUAL + 0), R(DUAL + 4),
        W(DUAL + 0x28, 0xFFFF), W(DUAL + 0x20, 0x10), R(DUAL + 0x24), R(DUAL + 0x20),
        W(DUAL + 0x28, 0x1FF), R(DUAL + 0x28), R(DUAL + 0x30), R(DUAL + 0x34),
        # integration test mode drives TIMINTC (NVIC 10) directly
        W(DUAL + 0xF00, 1), W(DUAL + 0xF04, 2), R(DUAL + 0xF00), W(DUAL + 0xF04, 0), W(DUAL + 0xF00, 0),
        W(DUAL + 0x2C, 1),
    ]
    check(script)


def test_watchdog():
    script = [R(WDOG + o) for o in (0, 4, 8, 0xC, 0x10, 0x14, 0xC00, 0xF00, 0xF04)] + ids(WDOG) + [
        W(WDOG + 0, 5000), R(WDOG + 0), R(WDOG + 4), W(WDOG + 8, 0xFF), R(WDOG + 8),
        W(WDOG + 0xC00, 1), R(WDOG + 0xC00), W(WDOG + 0, 7), R(WDOG + 0), W(WDOG + 0xC00, 0x1ACCE551),
        R(WDOG + 0xC00), W(WDOG + 0, 7), R(WDOG + 0), W(WDOG + 0xF00, 3), R(WDOG + 0xF00),
    ]
    check(script)


def test_fpgaio_and_scc():
    script = [R(FPGAIO + o) for o in range(0, 0x50, 4)] + [
        W(FPGAIO, 0xFF), R(FPGAIO), W(FPGAIO + 0x1C, 99), R(FPGAIO + 0x1C), W(FPGAIO + 0x18, 1234),
        R(FPGAIO + 0x18), W(FPGAIO + 0x20, 55), R(FPGAIO + 0x20), W(FPGAIO + 0x4C, 0xDEADBEEF),
        R(FPGAIO + 0x4C), W(FPGAIO + 0x10, 42), R(FPGAIO + 0x10), W(FPGAIO + 0x14, 4242), R(FPGAIO + 0x14),
    ]
    script += [R(SCC + o) for o in (0, 4, 8, 0xC, 0x10, 0x14, 0x18, 0x1C, 0xA0, 0xA4, 0xA8, 0xAC,
                                    0x100, 0xFF8, 0xFFC)]
    for dev in range(4):
        script += [W(SCC + 0xA8, 0x80100000 | dev), R(SCC + 0xAC), R(SCC + 0xA0), R(SCC + 0xA8)]
    script += [W(SCC + 0xA4, 12345678), W(SCC + 0xA8, 0xC0100001), R(SCC + 0xAC),
               W(SCC + 0xA8, 0x80100001), R(SCC + 0xA0), W(SCC + 0xA8, 0x80200000), R(SCC + 0xAC),
               W(SCC + 0x100, 0x12345678), R(SCC + 0x100), W(SCC, 3), R(SCC), W(SCC + 4, 0xAA), R(SCC + 4),
               W(SCC + 0x10, 9), R(SCC + 0x10)]
    check(script)


def test_memory_map_ram_mirrors_and_placeholders():
    script = [W(0x0, 0x11223344), R(0x400000), W(0x7FFFFC, 0x55), R(0x3FFFFC),
              W(0x01000010, 0xCAFE), R(0x01004010), R(0x01008010), R(0x0100C010),
              W(0x20000020, 0xBEEF), R(0x20400020), W(0x21FFFFFC, 0x77), R(0x21FFFFFC),
              # placeholders read 0 and ignore writes
              W(0x00800000, 5), R(0x00800000), R(0x10000000), R(0x20800000), R(0x40003000),
              R(0x40010000), R(0x40024000), R(0x4002B000), R(0x40030000), R(0x41000000), R(0x4000A000)]
    check(script)


def test_bitband_aliases():
    script = [W(0x20000100, 0), W(0x22000000 + 0x100 * 32 + 5 * 4, 1), R(0x20000100),
              R(0x22000000 + 0x100 * 32 + 5 * 4), R(0x22000000 + 0x100 * 32 + 4 * 4),
              W(0x22000000 + 0x101 * 32 + 3 * 4, 1, 1), R(0x20000100), W(0x22000000 + 0x100 * 32 + 5 * 4, 0),
              R(0x20000100),
              # peripheral bit-band: set FPGAIO LED1 through the alias
              W(0x42000000 + 0x28000 * 32 + 1 * 4, 1), R(FPGAIO), R(0x42000000 + 0x28000 * 32)]
    check(script)
