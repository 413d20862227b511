"""The pytest plugin's emud_machine fixture: serial_output() has what the
guest wrote up to the stop, although the UART comes through emud's stdout
pipe and the stop through QMP."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HELLO32 = ROOT / "examples" / "build" / "hello-rv32.elf"


LINES = """#include "runtime.h"
int main(void)
{
    uart_init();
    for (int i = 0; i < 60; i++)
        uart_printf("line %d\\n", i);
    return 0;
}
"""


def test_serial_output_has_the_text_run_until_uart_stopped_on(emud_machine, build_firmware):
    # the pattern the plugin documents, 60 times; before serial_output()
    # synchronized with emud it missed the line about one time in two
    m = emud_machine(build_firmware({"lines.c": LINES}))
    for i in range(60):
        line = b"line %d\n" % i
        assert m.run_until(uart=line.decode())["condition"] == "uart"
        assert line in m.serial_output(), i


def test_serial_output_after_the_guest_exited_has_everything(emud_machine):
    m = emud_machine(HELLO32)
    assert m.run_until(exit=True)["condition"] == "exit"
    assert m.serial_output() == b"Hello, world! (rv32)\n"
    assert m.process.proc.wait(30) == 0
    assert m.serial_output() == b"Hello, world! (rv32)\n"     # QMP gone: what stdout held


def test_info_chardev_counts_what_the_uart_wrote(emud_machine):
    m = emud_machine(HELLO32)
    m.run_until(uart=r"world")
    (serial,) = m.chardevs()
    assert serial["label"] == "serial0" and serial["kind"] == "stdio"
    assert serial["written"] == len(b"Hello, world") and serial["dropped"] == 0
    assert "written=12" in m.hmp("info chardev")
