"""The command line: QEMU's flags, one-line errors, the guest's exit status."""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HELLO32 = ROOT / "examples" / "build" / "hello-rv32.elf"
HELLO64 = ROOT / "examples" / "build" / "hello-rv64.elf"


def emud(*args, input=None, timeout=60):
    return subprocess.run([sys.executable, "-m", "emud", *map(str, args)], input=input,
                          capture_output=True, timeout=timeout, cwd=ROOT)


def test_help_explains_the_flags():
    r = emud("--help")
    assert r.returncode == 0
    text = r.stdout.decode()
    for flag in ("-machine", "-cpu", "-accel", "-bios", "-kernel", "-m [size=]SIZE", "-smp", "-nographic",
                 "-serial", "-d ITEM", "-D FILE", "-icount", "-semihosting", "-gdb", "-S", "-monitor", "-qmp",
                 "-chardev", "-mon ", "-net", "-snapshot"):
        assert flag in text, flag


@pytest.mark.parametrize("elf, banner", [(HELLO32, "(rv32)"), (HELLO64, "(rv64)")])
def test_xlen_follows_the_elf_class(elf, banner):
    r = emud("-M", "virt", "-bios", "none", "-kernel", elf, "-nographic")
    assert r.returncode == 0, r.stderr
    assert ("Hello, world! %s" % banner).encode() in r.stdout


@pytest.mark.parametrize("args, message", [
    (["-foo"], "-foo: invalid option"),
    (["-kernel", "/nonexistent.elf"], "no such file"),
    (["-kernel", "/bin/sh"], "not a RISC-V ELF"),
    (["-M", "pc", "-kernel", HELLO32], "unsupported machine"),
    (["-bios", "opensbi.bin", "-kernel", HELLO32], "only '-bios none'"),
    (["-m", "lots", "-kernel", HELLO32], "invalid RAM size"),
    (["-m", "1M", "-kernel", HELLO32], "overlaps the device tree"),
    (["-smp", "two", "-kernel", HELLO32], "number of harts"),
    (["-smp", "513", "-kernel", HELLO32], "-smp 513: the max CPUs supported by machine 'virt' is 512"),
    (["-d", "everything", "-kernel", HELLO32], "unknown log item"),
    (["-serial", "carrier-pigeon:1", "-kernel", HELLO32], "unknown backend"),
    (["-serial", "tcp::notaport,server", "-kernel", HELLO32], "-serial"),
    (["-accel", "kvm", "-kernel", HELLO32], "not available"),
    (["-accel", "tcg,tb-size=big", "-kernel", HELLO32], "tb-size"),
    (["-accel", "tcg,tier-up=soon", "-kernel", HELLO32], "tier-up must be a number"),
    (["-accel", "tcg,tier-up=-1", "-kernel", HELLO32], "tier-up must be 0 or more"),
    (["-accel", "tcg,turbo=on", "-kernel", HELLO32], "unknown tcg option"),
    (["-cpu", "rv64", "-kernel", HELLO32], "ELF32"),
    (["-cpu", "cortex-m3", "-kernel", HELLO32], "unknown CPU"),
    (["-icount", "shift=x", "-kernel", HELLO32], "-icount"),
    (["-device", "e1000"], "generic loader"),
    (["-M", "virt,aia=aplic-imsic", "-kernel", HELLO32], "aia=aplic-imsic is not supported by emud's virt"),
    (["-M", "virt,its=on", "-kernel", HELLO32], "property 'its' is not supported"),
    (["-monitor-script", "/nonexistent.cmds", "-kernel", HELLO32], "-monitor-script"),
    (["-gdb", "bogus", "-kernel", HELLO32], "unsupported -gdb device"),
    (["-d", "in_asm", "-D", "/nonexistent/dir/tb.log", "-kernel", HELLO32], "/nonexistent/dir/tb.log: No such file"),
    ([], "no program given"),
])
def test_bad_command_lines_get_one_clear_line(args, message):
    r = emud(*args, "-nographic")
    assert r.returncode == 1
    err = r.stderr.decode()
    assert message in err, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err


def test_options_take_one_or_two_dashes():
    r = emud("--machine", "virt", "--bios", "none", "--kernel", HELLO32, "--nographic", "--no-reboot")
    assert r.returncode == 0, r.stderr
    assert b"Hello, world! (rv32)" in r.stdout


@pytest.mark.parametrize("args, message", [
    (["-sn"], "-sn: invalid option"),                   # no abbreviation of -snapshot
    (["-m128M"], "-m128M: invalid option"),             # no argument glued to its option
    (["-kern", HELLO32], "-kern: invalid option"),
    (["-mon"], "-mon: requires an argument"),           # not "ambiguous option"
    (["--kernel"], "--kernel: requires an argument"),
    (["fw.img"], "fw.img: invalid option"),
    (["-drive", "file=fs.img"], "-drive: not supported: emud has no block devices"),
])
def test_option_names_are_exact_as_in_qemu(args, message):
    r = emud(*args)
    err = r.stderr.decode()
    assert r.returncode == 1 and message in err, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err


def test_snapshot_is_not_s_with_an_argument():
    # -snapshot was read as -s (gdb on :1234) with the argument "napshot"
    r = emud("-kernel", HELLO32, "-nographic", "-snapshot")
    assert r.returncode == 0, r.stderr
    assert b"Hello, world! (rv32)" in r.stdout and r.stderr == b""


def test_harmless_options_of_project_scripts_are_taken(tmp_path):
    pidfile = tmp_path / "qemu.pid"
    r = emud("-kernel", HELLO32, "-nographic", "-name", "demo", "-net", "none", "-nic", "none", "-rtc",
             "base=utc,clock=vm", "-global", "virtio-mmio.force-legacy=false", "-d", "guest_errors",
             "-accel", "tcg,thread=single", "-machine", "virt,aclint=off,aia=none", "-smp", "sockets=1,cores=2",
             "-icount", "shift=auto", "-pidfile", pidfile, "-L", "/usr/share/qemu")
    assert r.returncode == 0, r.stderr
    assert b"Hello, world! (rv32)" in r.stdout and r.stderr == b""
    assert not pidfile.exists()             # removed at exit, as QEMU does


@pytest.mark.parametrize("args, message", [
    (["-net", "user"], "-net user: emud's virt has no network card"),
    (["-nic", "user,model=virtio"], "-nic user,model=virtio: emud's virt has no network card"),
    (["-M", "mps2-an385", "-nic", "user"], "-nic user: emud's mps2-an385 has no network card"),
    (["-M", "lm3s6965evb", "-net", "nic"], "-net nic: emud's lm3s6965evb has no network backend for its ethernet"),
    (["-smp", "sockets=2,cores=2"], "emud's virt has one socket"),
    (["-smp", "4,maxcpus=8"], "CPU hotplug"),
    (["-smp", "cores=2,dies=2"], "dies not supported"),
    (["-smp", "cpus=3,cores=2"], "does not match cores x threads"),
    (["-rtc", "base=localtime"], "only base=utc"),
    (["-global", "ns16550a.baud=9600"], "no settable properties"),
    (["-accel", "tcg,thread=many"], "thread must be single or multi"),
    (["-icount", "shift=auto,align=on"], "incompatible"),
    (["-icount", "shift=4,align=on"], "align=on (sleeping the host when the guest runs ahead) is not supported"),
    (["-icount", "shift=4,align=on,sleep=off"], "align=on and sleep=off are incompatible"),
    (["-icount", "align=on"], "Please specify shift option when using align"),
    (["-icount", "shift=11"], "between 0 and 10"),
    (["-m", "128M,maxmem=1G"], "memory hotplug"),
    (["-display", "gtk"], "emud has no display"),
])
def test_values_emud_cannot_honour_are_one_line(args, message):
    r = emud("-kernel", HELLO32, "-nographic", *args)
    err = r.stderr.decode()
    assert r.returncode == 1 and message in err, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err


@pytest.mark.parametrize("smp, harts", [("4", 4), ("cpus=4", 4), ("cores=2,threads=2", 4),
                                        ("cpus=4,sockets=1,cores=2,threads=2", 4), ("9", 9), ("512", 512)])
def test_smp_takes_qemus_syntax_and_limit(smp, harts):
    from emud.option_values import parse_smp
    assert parse_smp(smp) == harts


def test_smp_beyond_eight_harts_runs():
    r = emud("-kernel", HELLO32, "-nographic", "-smp", "16")
    assert r.returncode == 0, r.stderr
    assert b"Hello, world! (rv32)" in r.stdout


def test_icount_auto_hands_an_adaptive_setting_to_the_machine():
    from emud.cli import build_machine
    from emud.options import OptionParser
    machine, _ = build_machine(OptionParser().parse_args(["-kernel", str(HELLO32), "-serial", "none",
                                                          "-icount", "shift=auto,sleep=off"]))
    assert machine.icount_adaptive and not machine.icount_sleep
    assert machine.clock.icount_adaptive and not machine.clock.icount_sleep   # the clock honours them
    assert machine.clock.icount_shift == 3          # QEMU's starting shift
    machine, _ = build_machine(OptionParser().parse_args(["-kernel", str(HELLO32), "-serial", "none",
                                                          "-icount", "4"]))
    assert not machine.icount_adaptive and machine.icount_sleep and machine.clock.icount_shift == 4
    assert not machine.clock.icount_adaptive and machine.clock.icount_sleep


def test_icount_without_a_shift_counts_nothing_as_qemu():
    from emud.option_values import parse_icount
    assert parse_icount("sleep=off") is None        # QEMU 7.2 runs without icount then
    assert parse_icount("shift=7,align=off,sleep=off").shift == 7


def test_d_help_lists_the_items_as_qemu_does():
    r = emud("-d", "help")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    assert lines[0] == "Log items (comma separated):"
    from emud.log import LOG_ITEMS
    assert [ln.split()[0] for ln in lines[1:]] == list(LOG_ITEMS)
    assert all(ln[15] == " " and ln[:15].rstrip() == ln.split()[0] for ln in lines[1:])


def test_no_shutdown_keeps_emud_up_after_the_guest_exits(tmp_path):
    # li a0, (7<<16)|0x3333 ; lui a1, 0x100 ; sw a0, 0(a1): exit code 7
    words = [0x00073537, 0x33350513, 0x001005B7, 0x00A5A023, 0x0000006F]
    blob = tmp_path / "fail7.bin"
    blob.write_bytes(b"".join(w.to_bytes(4, "little") for w in words))
    proc = subprocess.Popen([sys.executable, "-m", "emud", "-kernel", str(blob), "-no-shutdown", "-serial", "none",
                             "-monitor", "stdio"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=ROOT)
    try:
        import time
        time.sleep(3)
        assert proc.poll() is None, proc.stderr.read()      # the guest has exited; emud serves on
        out, err = proc.communicate(b"info status\nquit\n", timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 7, err                    # quit: the guest's exit code, as QEMU
    assert b"exited" in out or b"shutdown" in out, out


def test_an_elf_that_does_not_fit_in_ram(tmp_path):
    # an ELF whose segment lies beyond the end of RAM: relink hello at 0x90000000
    from elftools.elf.elffile import ELFFile
    data = bytearray(HELLO32.read_bytes())
    with open(HELLO32, "rb") as f:
        elf = ELFFile(f)
        phoff, phentsize = elf.header.e_phoff, elf.header.e_phentsize
        for i, seg in enumerate(elf.iter_segments()):
            if seg["p_type"] == "PT_LOAD":
                off = phoff + i * phentsize
                data[off + 12:off + 16] = (0x90000000 + 0x1000 * i).to_bytes(4, "little")  # p_paddr
    bad = tmp_path / "far.elf"
    bad.write_bytes(bytes(data))
    r = emud("-kernel", bad, "-nographic")
    assert r.returncode == 1
    assert b"does not fit in the machine's memory" in r.stderr


def test_raw_binary_is_loaded_at_the_start_of_ram(tmp_path):
    # li a0, 0x5555; lui a1, 0x100; sw a0, 0(a1)  -> sifive_test pass
    words = [0x00005537, 0x55550513, 0x001005B7, 0x00A5A023, 0x0000006F]
    blob = tmp_path / "pass.bin"
    blob.write_bytes(b"".join(w.to_bytes(4, "little") for w in words))
    r = emud("-kernel", blob, "-nographic", timeout=20)
    assert r.returncode == 0, r.stderr
    # QEMU's generic loader: cpu-num=0 starts hart 0 at the blob (without it
    # the hart starts at the start of RAM, as with any -bios none boot)
    r = emud("-device", "loader,file=%s,addr=0x80001000,cpu-num=0" % blob, "-nographic", timeout=20)
    assert r.returncode == 0, r.stderr


def test_guest_exit_code_becomes_emud_exit_status(tmp_path):
    # li a0, (7<<16)|0x3333 ; lui a1, 0x100 ; sw a0, 0(a1)
    words = [0x00073537, 0x33350513, 0x001005B7, 0x00A5A023, 0x0000006F]
    blob = tmp_path / "fail7.bin"
    blob.write_bytes(b"".join(w.to_bytes(4, "little") for w in words))
    r = emud("-kernel", blob, "-nographic", timeout=20)
    assert r.returncode == 7


def test_debug_log_shows_every_pipeline_stage(tmp_path):
    log = tmp_path / "tb.log"
    r = emud("-kernel", HELLO32, "-nographic", "-d", "in_asm,op,op_opt,out_asm,exec,int", "-D", log)
    assert r.returncode == 0
    text = log.read_text()
    for marker in ("IN: ", "auipc", "OP:", "OP after optimization:", "OUT: [size=", "def tb_", "Trace 0: ["):
        assert marker in text, marker


def test_nochain_gives_the_same_output():
    a = emud("-kernel", HELLO32, "-nographic")
    b = emud("-kernel", HELLO32, "-nographic", "-d", "nochain")
    assert a.returncode == b.returncode == 0
    assert a.stdout == b.stdout


def test_serial_to_a_file(tmp_path):
    out = tmp_path / "uart.txt"
    r = emud("-kernel", HELLO64, "-display", "none", "-serial", "file:%s" % out)
    assert r.returncode == 0
    assert b"Hello, world! (rv64)" in out.read_bytes()
    assert b"Hello" not in r.stdout


def test_small_code_cache_flushes_and_still_runs():
    r = emud("-kernel", HELLO32, "-nographic", "-accel", "tcg,tb-size=0.001")
    assert r.returncode == 0
    assert b"Hello, world!" in r.stdout


@pytest.mark.parametrize("tier_up", ["0", "1", "1000"])
def test_tier_up_setting_runs_the_same(tier_up):
    r = emud("-kernel", HELLO32, "-nographic", "-accel", "tcg,tier-up=" + tier_up)
    assert r.returncode == 0
    assert b"Hello, world!" in r.stdout


def test_dumpdtb_writes_the_device_tree_and_exits(tmp_path):
    out = tmp_path / "virt.dtb"
    r = emud("-M", "virt,dumpdtb=%s" % out)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes()[:4] == b"\xd0\x0d\xfe\xed"


def test_gdb_port_in_use_is_one_line():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        r = emud("-kernel", HELLO32, "-nographic", "-S", "-gdb", "tcp::%d" % port)
    assert r.returncode == 1
    err = r.stderr.decode()
    assert "Address already in use" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


ECHO32 = ROOT / "examples" / "build" / "uart-echo-rv32.elf"


def _read_until(fd, marker: bytes, timeout: float = 30.0) -> bytes:
    import select
    import time
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("no %r on the terminal; saw %r" % (marker, seen))
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen


@contextlib.contextmanager
def _emud_on_a_terminal(*console_args: str):
    """emud -nographic (or ``console_args``) in its own session with a pty as
    its controlling terminal (so that a Ctrl-C left to the terminal driver
    would really interrupt it): the process and the pty's master end."""
    import fcntl
    import termios
    master, slave = os.openpty()

    def controlling_terminal():
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen([sys.executable, "-m", "emud", "-kernel", str(ECHO32), *(console_args or ("-nographic",))],
                            stdin=slave, stdout=slave, stderr=subprocess.PIPE, cwd=str(ROOT),
                            start_new_session=True, preexec_fn=controlling_terminal)
    os.close(slave)
    try:
        yield proc, master
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_nographic_terminal_ctrl_c_goes_to_the_guest_and_ctrl_a_x_quits():
    """As QEMU's -nographic: raw terminal, Ctrl-C is a byte for the guest's
    UART, Ctrl-A h lists the keys, Ctrl-A x ends emud (status 0) with a last
    line on the terminal."""
    with _emud_on_a_terminal() as (proc, master):
        _read_until(master, b"uart-echo")            # the guest is up and waiting for input
        os.write(master, b"ab\x03cd")                 # Ctrl-C in the middle: echoed like any byte
        assert b"ab\x03cd" in _read_until(master, b"cd")
        os.write(master, b"\x01h")
        assert b"C-a x" in _read_until(master, b"C-a x")
        os.write(master, b"\x01x")
        # QEMU's mux writes "QEMU: Terminated\n\r" on the terminal (stdout), nothing on stderr
        assert b"emud: Terminated\r\n" in _read_until(master, b"Terminated\r\n")
        assert proc.wait(timeout=30) == 0
        assert proc.stderr.read() == b""


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_nographic_ctrl_a_c_switches_between_the_guest_and_the_monitor():
    """QEMU's mon:stdio: Ctrl-A c gives the keyboard to the monitor (echo and
    backspace work on the raw terminal), Ctrl-A c gives it back to the guest."""
    with _emud_on_a_terminal() as (proc, master):
        _read_until(master, b"uart-echo")
        os.write(master, b"\x01h")
        assert b"C-a c    switch between console and monitor" in _read_until(master, b"C-a C-a")
        os.write(master, b"\x01c")
        assert b"monitor - type 'help'" in _read_until(master, b"(emud) ")
        os.write(master, b"info stax\x7ftus\r")             # a typo, erased
        shown = _read_until(master, b"(emud) ")
        assert b"info stax\b \btus" in shown and b"running" in shown
        os.write(master, b"bogus-command\r")
        assert b"unknown command" in _read_until(master, b"(emud) ").lower()
        os.write(master, b"\x01c" + b"zy")                   # back to the guest: its echo
        assert b"zy" in _read_until(master, b"zy")
        os.write(master, b"\x01c")                           # the monitor again: a fresh prompt
        _read_until(master, b"(emud) ")
        os.write(master, b"stop\r")
        _read_until(master, b"(emud) ")
        os.write(master, b"info status\r")
        assert b"paused" in _read_until(master, b"(emud) ")
        os.write(master, b"quit\r")
        assert proc.wait(timeout=30) == 0


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_ctrl_c_on_an_explicit_stdio_chardev_ends_emud_as_qemu():
    """The FreeRTOS demo's line muxes the monitor onto an explicit
    ``-chardev stdio,mux=on``, whose signal=on default leaves Ctrl-C to the
    terminal: QEMU ends on it (only ``mon:stdio`` and -nographic turn signal
    off). emud too: the line QEMU prints and status 0, nothing echoed first."""
    with _emud_on_a_terminal("-nographic", "-chardev", "stdio,id=con,mux=on", "-serial", "chardev:con",
                             "-mon", "chardev=con,mode=readline") as (proc, master):
        _read_until(master, b"uart-echo")
        os.write(master, b"\x03")
        assert proc.wait(timeout=30) == 0
        assert b"terminated by signal 2" in proc.stderr.read()
