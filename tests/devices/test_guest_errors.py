"""-d guest_errors: the bad accesses a guest makes, logged as QEMU 7.2 logs them.

tests/firmware/guest_errors.c makes them (no device at the address, a width
the device refuses, an offset with no register) on the virt machine; run on
qemu-system-riscv32/64 and on emud with ``-d guest_errors -D FILE``, the two
logs must be the same, line for line, and so must the UART output (the
values read, the traps taken). The monitor's ``log guest_errors``, given at
a breakpoint halfway through (through the gdb stub's ``monitor``, on both),
logs the second half only, again as QEMU does.

The unit tests pin what the firmware cannot reach: messages QEMU's CPU never
provokes (its misaligned stores are split into bytes first), the bus's
page rule with other page sizes, and that nothing is formatted while the
item is off.
"""
from __future__ import annotations

import difflib

import pytest

from emud.devices.aclint import AclintMtimer
from emud.devices.base import Device
from emud.devices.plic import Plic
from emud.devices.sifive_test import SifiveTest
from emud.log import Log, items_help
from emud.memory import AddressSpace, BusError, MmioRegion, RamRegion
from tests.support.firmware import symbol_address
from tests.support.qemu import start_emud_gdb, start_qemu_gdb
from tests.support.rsp import RSPClient, RSPError
from tests.support.run import run_emud, run_qemu

# the first half's one probe (lw 0x0) and a line of each kind from the second half
FIRST_HALF = "Invalid read at addr 0x0, size 4, region '(null)', reason: rejected\n"
SOME_LINES = [
    "Invalid write at addr 0x0, size 4, region '(null)', reason: rejected\n",
    "Invalid read at addr 0x100, size 4, region '(null)', reason: rejected\n",
    "Invalid read at addr 0x4, size 1, region 'riscv.sifive.plic', reason: invalid size (min:4 max:4)\n",
    "Invalid write at addr 0x7FF8, size 1, region 'riscv.aclint.mtimer', reason: invalid size (min:4 max:8)\n",
    "sifive_plic_write: invalid pending write: 0x1000sifive_plic_write: Invalid register write 0x100c\n",
    "sifive_plic_read: Invalid register read 0x200c\n",
    "sifive_test_write: write: addr=0x8 val=0x000000000000beef\n",
]


def _diff(qemu: str, emud: str) -> str:
    return "".join(difflib.unified_diff(qemu.splitlines(True), emud.splitlines(True), "qemu", "emud"))


@pytest.fixture(scope="module")
def firmware(build_firmware):
    return {xlen: build_firmware("guest_errors", xlen) for xlen in (32, 64)}


@pytest.mark.parametrize("xlen", [32, 64])
def test_guest_errors_log_is_qemus(firmware, require_qemu, tmp_path, xlen):
    require_qemu(xlen)
    logs, outs = {}, {}
    for name, runner in (("qemu", run_qemu), ("emud", run_emud)):
        log = tmp_path / ("%s.log" % name)
        r = runner(firmware[xlen], xlen, extra=["-d", "guest_errors", "-D", str(log)])
        assert r.exit_code == 0 and r.text.endswith("done\n"), r.describe()
        logs[name], outs[name] = log.read_text(), r.text
    assert outs["emud"] == outs["qemu"], _diff(outs["qemu"], outs["emud"])
    assert logs["qemu"].startswith(FIRST_HALF) and all(line in logs["qemu"] for line in SOME_LINES)
    assert logs["emud"] == logs["qemu"], _diff(logs["qemu"], logs["emud"])


def _monitor(client: RSPClient, command: str) -> None:
    """gdb's ``monitor COMMAND``: qRcmd, then any console output, then OK."""
    client.send_packet("qRcmd," + command.encode().hex())
    reply = client.read_packet()
    while reply.startswith("O") and reply != "OK":
        reply = client.read_packet()
    assert reply == "OK", reply


def test_monitor_log_turns_guest_errors_on_at_run_time(firmware, require_qemu, tmp_path):
    require_qemu(32)
    elf = firmware[32]
    second_half = symbol_address(elf, "second_half")
    logs = {}
    for name, start in (("qemu", start_qemu_gdb), ("emud", start_emud_gdb)):
        log = tmp_path / ("%s.log" % name)
        with start(elf, 32, extra=["-D", str(log)]) as server:
            c = server.client
            c.insert_breakpoint(second_half)
            stop = c.cont()
            assert stop.kind == "signal" and c.read_registers()[32] == second_half, (name, stop, server.describe())
            c.remove_breakpoint(second_half)
            _monitor(c, "log guest_errors")
            try:
                c.cont()            # the guest passes: W00, or (QEMU's exit()) no answer at all
            except RSPError:
                pass
            assert server.proc.wait(60) == 0, (name, server.describe())
        logs[name] = log.read_text() if log.exists() else ""
    # the second half's first probe comes first: the first half's was not logged
    assert logs["qemu"].startswith(SOME_LINES[0]) and all(line in logs["qemu"] for line in SOME_LINES)
    assert logs["emud"] == logs["qemu"], _diff(logs["qemu"], logs["emud"])


# -- the mechanism ----------------------------------------------------------------------------------------------


class _Unformattable:
    def __mod__(self, other):
        raise AssertionError("formatted while guest_errors is off")


def test_guest_error_writes_only_while_the_item_is_on(tmp_path):
    path = tmp_path / "log"
    dev = Device()
    dev.guest_error("no log wired: %d\n", 1)         # nothing to write to, nothing happens
    log = Log(["in_asm"], str(path))
    dev.guest_log = log
    dev.guest_error(_Unformattable(), 1)              # off: not even formatted
    assert not path.exists()
    log.set_items(["guest_errors"])                   # as the monitor's `log guest_errors`
    dev.guest_error("dev: bad 0x%x", 0x10)
    dev.guest_error("dev: bad %s\n", "again")
    log.set_items([])
    dev.guest_error("dev: off again\n")
    log.close()
    assert path.read_text() == "dev: bad 0x10dev: bad again\n"


class LogFile:
    """A real -D log with guest_errors on; :meth:`taken` is what was
    written to it since the last call."""

    def __init__(self, path) -> None:
        self.path = path
        self.log = Log(["guest_errors"], str(path))
        self._seen = 0

    def taken(self) -> str:
        text = self.path.read_text() if self.path.exists() else ""
        new, self._seen = text[self._seen:], len(text)
        return new


@pytest.fixture
def log_file(tmp_path):
    lf = LogFile(tmp_path / "guest_errors.log")
    yield lf
    lf.log.close()


def test_mtimer_high_word_messages_have_qemus_text(log_file):
    from emud.clock import VirtualClock
    t = AclintMtimer(VirtualClock())
    t.guest_log = log_file.log
    t.write(0x4, 8, 1)
    assert log_file.taken() == "aclint-mtimer: invalid timecmp_hi write: 00000004"
    assert t.timecmp[0] == 0
    t.write(0x7FFC, 8, 1)
    assert log_file.taken() == "aclint-mtimer: invalid time_hi write: 00007ffc"
    t.write(0x4, 4, 1)
    t.write(0x7FFC, 4, 0)
    t.read(0x10, 4)                 # LOG_UNIMP in QEMU: not a guest error
    assert log_file.taken() == ""
    assert t.timecmp[0] == 1 << 32


def test_plic_and_sifive_test_messages_with_two_harts(log_file):
    p = Plic(2)             # contexts 0-3: hart 1's are registers now
    p.guest_log = log_file.log
    p.read(0x2100, 4)
    p.write(0x201008, 4, 0)
    assert log_file.taken() == "sifive_plic_write: Invalid context write 0x201008\n"
    p.read(0x204000, 4)
    assert log_file.taken() == "sifive_plic_read: Invalid register read 0x204000\n"
    exits = []
    s = SifiveTest(on_exit=exits.append)
    s.guest_log = log_file.log
    s.write(0, 2, 0x3333)
    s.write(0, 4, 0x5555)
    assert log_file.taken() == "" and exits == [0, 0]
    s.write(0, 4, 0xFFFF5556)
    assert log_file.taken() == "sifive_test_write: write: addr=0x0 val=0x00000000ffff5556\n"


def _bus(page_bits: int, log: Log) -> AddressSpace:
    bus = AddressSpace()
    bus.page_bits = page_bits
    dev = Device()
    dev.region_name = "dev.regs"
    dev.access_sizes = (4,)
    bus.map(0x1000, MmioRegion("dev", 0x1000, dev))       # one whole 4 KiB page
    bus.map(0x3000, MmioRegion("small", 0x100, Device()))  # part of a page
    bus.map(0x8000, RamRegion("ram", 0x800))
    bus.guest_log = log
    return bus


def _fails(access) -> None:
    with pytest.raises(BusError):
        access()


def test_bus_messages_and_qemus_subpage_line(log_file):
    bus = _bus(12, log_file.log)
    _fails(lambda: bus.read(0x1004, 1))
    _fails(lambda: bus.write(0x1008, 8, 0))
    _fails(lambda: bus.read(0x5000, 4))              # a page with nothing in it
    _fails(lambda: bus.write(0x3100, 2, 0))          # in the small region's page
    _fails(lambda: bus.read(0x8800, 4))              # past RAM, in RAM's page
    assert log_file.taken() == (
        "Invalid read at addr 0x4, size 1, region 'dev.regs', reason: invalid size (min:4 max:4)\n"
        "Invalid write at addr 0x8, size 8, region 'dev.regs', reason: invalid size (min:4 max:4)\n"
        "Invalid read at addr 0x5000, size 4, region '(null)', reason: rejected\n"
        "Invalid write at addr 0x3100, size 2, region '(null)', reason: rejected\n"
        "Invalid write at addr 0x100, size 2, region '(null)', reason: rejected\n"
        "Invalid read at addr 0x8800, size 4, region '(null)', reason: rejected\n"
        "Invalid read at addr 0x800, size 4, region '(null)', reason: rejected\n")
    log_file.log.set_items([])
    _fails(lambda: bus.read(0x5000, 4))
    assert log_file.taken() == ""


def test_bus_subpage_rule_follows_the_page_size(log_file):
    bus = _bus(10, log_file.log)          # M-profile Arm's 1 KiB pages: 0x1000-0x13ff is whole
    _fails(lambda: bus.read(0x1004, 1))
    _fails(lambda: bus.read(0x8C00, 4))    # RAM ends on a 1 KiB page: no second line
    assert log_file.taken() == (
        "Invalid read at addr 0x4, size 1, region 'dev.regs', reason: invalid size (min:4 max:4)\n"
        "Invalid read at addr 0x8C00, size 4, region '(null)', reason: rejected\n")


def test_d_help_describes_guest_errors():
    assert "guest_errors    log when the guest OS does something invalid (eg accessing a non-existent register)\n" \
        in items_help()


def test_guest_errors_on_stderr_without_D(firmware):
    r = run_emud(firmware[32], 32, extra=["-d", "guest_errors"])
    assert r.exit_code == 0, r.describe()
    assert r.stderr.decode().startswith(FIRST_HALF), r.describe()
