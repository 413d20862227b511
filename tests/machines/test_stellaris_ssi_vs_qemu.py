"""lm3s6965evb's SSI (PL022) and what QEMU puts on its bus (the SSD0323 OLED
and the SD card adapter with no card), its I2C master and its ADC, against
qemu-system-arm access for access (tests/support/qtest.py); the OLED's
picture against QEMU's `screendump` after the FreeRTOS demo's driver
sequence."""
import os
import socket
import time

import pytest

from emud.machines.cortexm_board import BareHost
from emud.machines.stellaris_board import Lm3s6965Board
from tests.support.qtest import R, W, emud_transcript, have_qemu_arm, qemu_transcript

pytestmark = pytest.mark.skipif(not have_qemu_arm(), reason="qemu-system-arm not installed")

SSI, I2C, ADC = 0x40008000, 0x40020000, 0x40038000
GPIOA, GPIOC, GPIOD, GPTM0 = 0x40004000, 0x40006000, 0x40007000, 0x40030000
CPU_PATH = "/machine/unattached/device[1]"
PPM_SIZE = len(b"P6\n512 256\n255\n") + 512 * 256 * 3


def build(host, irq, nmi):
    return Lm3s6965Board(host, irq, nmi, request_reset=lambda: None)


def check(script):
    assert emud_transcript(build, script) == qemu_transcript("lm3s6965evb", script, cpu_path=CPU_PATH)


def frame(value):
    """A frame out and its reply drained, as a polled driver does it."""
    return [W(SSI + 8, value), R(SSI + 0xC), R(SSI + 8)]


def test_pl022_reset_values_and_ids():
    regs = (0, 4, 8, 0xC, 0x10, 0x14, 0x18, 0x1C, 0x20, 0x24, 0x28, 0x40)
    check([R(SSI + o) for o in regs] + [R(SSI + o) for o in range(0xFD0, 0x1000, 4)]
          + [R(SSI + 0xFE0, 1), R(SSI + 0xFE4, 2)])


def test_pl022_fifos_status_and_interrupts():
    script = [W(SSI + 0x14, 0xF), R(SSI + 0x18), R(SSI + 0x1C)]     # TX interrupt at once: NVIC 7
    # disabled: frames queue (8 at most), BSY and TFE/TNF follow the TX FIFO
    script += [W(SSI + 0, 7)] + sum(([W(SSI + 8, i), R(SSI + 0xC), R(SSI + 0x18)] for i in range(10)), [])
    # loopback enable: TX drains into RX, RX/RFF, the RX interrupt
    script += [W(SSI + 4, 3), R(SSI + 0xC), R(SSI + 0x18), R(SSI + 0x1C)]
    script += sum(([R(SSI + 8), R(SSI + 0xC), R(SSI + 0x18)] for _ in range(9)), [])
    # frame width: 4 bits, then 16
    script += [W(SSI + 0, 3), W(SSI + 8, 0xFFF), R(SSI + 8), W(SSI + 0, 0xF), W(SSI + 8, 0x1FFFF), R(SSI + 8)]
    # ICR clears only ROR/RT; CPSR 8 bits; DMACR reads 0; masking off lowers the line
    script += [W(SSI + 0x20, 0xF), R(SSI + 0x18), W(SSI + 0x10, 0x1FF), R(SSI + 0x10),
               W(SSI + 0x24, 3), R(SSI + 0x24), W(SSI + 0x14, 0), R(SSI + 0x1C),
               W(SSI + 4, 0), R(SSI + 4), R(SSI + 0), R(SSI + 8, 1), W(SSI + 0x30, 1)]
    check(script)


def test_chip_selects_on_gpio_d0_and_the_empty_sd_slot():
    script = [W(SSI + 0, 7), W(SSI + 4, 2)] + frame(0xFF)          # D0 high at start: OLED selected (0)
    script += [W(GPIOD + 0x400, 1), W(GPIOD + 0x3FC, 1)] + frame(0x40)
    script += [W(GPIOD + 0x3FC, 0)]                                # D0 low: the SD adapter answers 0xFF
    for b in (0x40, 0, 0, 0, 0, 0x95, 0xFF, 0xFF, 0xFF, 0x48, 0, 0, 1, 0xAA, 0x87, 0xFF, 0xFF):
        script += frame(b)
    # D0 an input again: PUR pulls it up, with DEN clear too (QEMU 7.2 ignores DEN)
    script += [W(GPIOD + 0x510, 1), W(GPIOD + 0x400, 0)] + frame(0x12)
    script += [W(GPIOD + 0x514, 1), W(GPIOD + 0x510, 0)] + frame(0x34)   # PDR: low
    script += [W(GPIOD + 0x514, 0), W(GPIOD + 0x51C, 1)] + frame(0x56)   # floating: keeps low
    check(script)


# -- the FreeRTOS demo's OLED driver (osram128x64x4.c), register by register --------------------

INIT = ([0x15, 0, 63, 0xE3], [0x75, 0, 63, 0xE3], [0x81, 50, 0xE3], [0x85, 0xE3], [0xA0, 0x52, 0xE3],
        [0xA1, 0, 0xE3], [0xA2, 0x4C, 0xE3], [0xA4, 0xE3], [0xA8, 63, 0xE3], [0xB1, 0x22, 0xE3],
        [0xB2, 70, 0xE3], [0xB3, 0xF1, 0xE3], [0xBF, 0x0D, 0xE3], [0xBE, 0x02, 0xE3], [0xBC, 0x10, 0xE3],
        [0xB8, 0x01, 0x11, 0x22, 0x32, 0x43, 0x54, 0x65, 0x76, 0xE3], [0xAD, 0x03, 0xE3], [0xAF, 0xE3])


def dc(level):
    return [W(GPIOC + (0x80 << 2), 0x80 if level else 0)]


def command(seq):
    return dc(0) + sum((frame(b) for b in seq), [])


def data(seq):
    return dc(1) + sum((frame(b) for b in seq), [])


def oled_driver_script():
    s = [W(0x400FE000 + 0x104, 0x10), W(0x400FE000 + 0x108, 0x5)]     # RCGC1 SSI0, RCGC2 A and C
    s += [W(GPIOA + 0x420, 0x2C), W(GPIOA + 0x500, 0), W(GPIOA + 0x508, 0x2C), W(GPIOA + 0x510, 0x2C),
          W(GPIOA + 0x51C, 0x2C)]
    s += [W(GPIOC + 0x400, 0x80), W(GPIOC + 0x508, 0x80), W(GPIOC + 0x51C, 0x80)] + dc(1)
    # SSIConfig: mode 2, master, 8 bits; enable; drain
    s += [W(SSI + 4, 0), W(SSI + 0x10, 2), W(SSI + 0, 0x0847), W(SSI + 4, 2), R(SSI + 0xC)]
    # Clear: the whole 64x80 framebuffer, vertical increment
    s += command([0x15, 0, 63]) + command([0x75, 0, 79]) + command([0xA0, 0x56])
    s += data([0] * 64)                  # (a column's worth: the rest is zero already)
    for seq in INIT:
        s += command(seq)
    # StringDraw-like: a glyph column pair, vertical increment inside an 8-row window
    s += command([0x15, 0, 63]) + command([0x75, 0, 7]) + command([0xA0, 0x56])
    s += data([0xF0, 0x0F, 0xFF, 0x00, 0x88, 0x77, 0x12, 0x34] * 3)
    # ImageDraw: a 16x12 gradient at (20, 9), horizontal increment, wrapping its window
    s += command([0x15, 10, 17]) + command([0x75, 9, 20]) + command([0xA0, 0x52])
    s += data([(i * 7) & 0xFF for i in range(8 * 12 + 5)])
    s += command([0xAE, 0xAD, 0x02, 0x42, 0xFF])     # off, DC-DC off, an unknown one, the 0xFF hack
    return s


def test_oled_driver_sequence_register_by_register():
    check(oled_driver_script())


def qemu_screendump(script, tmp_path):
    """Run ``script`` through qtest with an HMP monitor on a socket, then `screendump`."""
    sock_path, ppm = str(tmp_path / "mon.sock"), str(tmp_path / "qemu.ppm")

    def screendump():
        mon = socket.socket(socket.AF_UNIX)
        mon.connect(sock_path)
        mon.sendall(("screendump %s\n" % ppm).encode())
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (os.path.exists(ppm) and os.path.getsize(ppm) >= PPM_SIZE):
            time.sleep(0.05)
        mon.close()

    qemu_transcript("lm3s6965evb", script, cpu_path=CPU_PATH, before_exit=screendump,
                    extra_args=["-monitor", "unix:%s,server=on,wait=off" % sock_path])
    with open(ppm, "rb") as f:
        return f.read()


def test_oled_picture_matches_qemu_screendump(tmp_path):
    script = oled_driver_script()
    host = BareHost()
    board = build(host, lambda n: (lambda level: None), lambda level: None)
    for op in script:
        if op[0] == "w":
            host.bus.write(op[1], op[2], op[3])
        else:
            host.bus.read(op[1], op[2])
    ours = board.oled.screendump_ppm()
    assert ours.count(b"\xff\xff\xff") > 0          # the picture is not blank
    assert ours == qemu_screendump(script, tmp_path)


def test_i2c_master_with_no_slave():
    regs = (0, 4, 8, 0xC, 0x10, 0x14, 0x18, 0x1C, 0x20, 0x24)
    script = [R(I2C + o) for o in regs]
    # master disabled: MCS does nothing; enabled: START finds nobody (ARBLST, ERROR)
    script += [W(I2C + 0, 0x7A), W(I2C + 8, 0x55), W(I2C + 4, 7), R(I2C + 4), W(I2C + 0x20, 0xFF),
               R(I2C + 0x20), W(I2C + 4, 3), R(I2C + 4), R(I2C + 0x14), W(I2C + 4, 4), R(I2C + 4),
               W(I2C + 0, 0x7B), W(I2C + 4, 0xB), R(I2C + 4), R(I2C + 8),
               W(I2C + 0x10, 0), R(I2C + 0x10), W(I2C + 0xC, 0x1FF), R(I2C + 0xC), W(I2C + 0x1C, 1),
               R(I2C + 0x18), W(I2C + 0x24, 1), R(I2C + 0, 1)]
    check(script)


def test_adc_registers_and_timer_trigger():
    script = [R(ADC + o) for o in (0, 4, 8, 0xC, 0x10, 0x14, 0x18, 0x1C, 0x20, 0x28, 0x30, 0x34)]
    script += [R(ADC + 0x40 + 0x20 * n + r) for n in range(4) for r in (0, 4, 0xC, 0x10)]
    script += [W(ADC + 0x40, 0xFFFFFFFF), W(ADC + 0x44, 6), W(ADC + 0x60, 0x12), R(ADC + 0x40),
               R(ADC + 0x44), R(ADC + 0x60), R(ADC + 0x48), R(ADC + 0x18), W(ADC + 0x18, 1), R(ADC + 0x18),
               W(ADC + 0, 0x1F), R(ADC + 0), W(ADC + 0x14, 0x5555), R(ADC + 0x14), W(ADC + 8, 0xF),
               W(ADC + 0x20, 0x3210), R(ADC + 0x20), W(ADC + 0x30, 6), R(ADC + 0x30), W(ADC + 0x28, 1),
               W(ADC + 0xC, 0xF), R(ADC + 4), R(ADC + 0x4C), W(ADC + 0x10, 1), R(ADC + 0x10)]
    check(script)


ENET = 0x40048000


def test_ethernet_with_no_network():
    script = [R(ENET + o) for o in range(0, 0x44, 4) if o != 0x10]
    # a 20-byte frame: sent at once on TR; with THR reached, when complete (TXEMP, NVIC 42)
    script += [W(ENET + 0x0C, 0x07), W(ENET + 0x10, 20), W(ENET + 0x10, 0x11223344), R(ENET + 0),
               W(ENET + 0x38, 1), R(ENET + 0), R(ENET + 0x38), W(ENET + 0, 4), R(ENET + 0),
               W(ENET + 0x1C, 0), W(ENET + 0x0C, 0x03), W(ENET + 0x10, 10)]
    script += [W(ENET + 0x10, 0x01010101 * i) for i in range(1, 7)] + [R(ENET + 0)]
    # too long: TXER; IACK of TXER empties the FIFO; masking the line off
    script += [W(ENET + 0, 0xFF), W(ENET + 0x10, 2033), R(ENET + 0), W(ENET + 0, 2), R(ENET + 0),
               W(ENET + 4, 0), R(ENET + 4)]
    # the MAC address, MII (START clears at once), RX FIFO reset, NP and the ignored ones
    script += [R(ENET + 0x14), R(ENET + 0x18), W(ENET + 0x14, 0xA1B2C3D4), W(ENET + 0x18, 0xFFFFE5F6),
               R(ENET + 0x14), R(ENET + 0x18), W(ENET + 0x20, 0x0B), R(ENET + 0x20), W(ENET + 0x24, 0x1FF),
               R(ENET + 0x24), W(ENET + 0x28, 5), R(ENET + 0x28), W(ENET + 0x2C, 0x1234), R(ENET + 0x2C),
               W(ENET + 0x30, 9), R(ENET + 0x30), W(ENET + 0x34, 3), R(ENET + 0x34), W(ENET + 0x08, 0x1F),
               R(ENET + 0x08), R(ENET + 0x34), W(ENET + 0x3C, 1), R(ENET + 0x3C), W(ENET + 0x40, 1),
               R(ENET + 0x1C), R(ENET + 0x0C)]
    check(script)


def test_bad_offsets_log_qemus_guest_error_lines(tmp_path):
    script = [R(SSI + 0x28), W(SSI + 0x30, 1), R(SSI + 0xFD0), R(I2C + 0x24), W(I2C + 0x28, 5),
              R(ADC + 0x1C), W(ADC + 0x24, 3), R(ADC + 0x50), R(ENET + 0x40), W(ENET + 0x44, 7),
              R(ENET + 0x40, 2), W(ENET + 0x44, 7, 1), R(SSI)]
    log_path = tmp_path / "qemu.log"
    qemu_transcript("lm3s6965evb", script, cpu_path=CPU_PATH,
                    extra_args=["-monitor", "none", "-d", "guest_errors", "-D", str(log_path),
                                "-qtest-log", "/dev/null"])
    qemu_lines = log_path.read_text().splitlines(keepends=True)

    class GuestLog:                      # what emud.log.Log offers a device
        def __init__(self):
            self.lines = []

        def enabled(self, item):
            return item == "guest_errors"

        def write(self, text):
            self.lines.append(text)

    host = BareHost()
    build(host, lambda n: (lambda level: None), lambda level: None)
    log = GuestLog()
    for dev, _, _ in host.devices_by_name.values():
        dev.guest_log = log
    for op in script:
        host.bus.write(op[1], op[2], op[3]) if op[0] == "w" else host.bus.read(op[1], op[2])
    assert len(qemu_lines) == 12 and "stellaris_enet_wr8: Illegal register 0x0244 = 0x7\n" in qemu_lines
    assert log.lines == qemu_lines
