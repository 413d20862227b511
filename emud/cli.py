"""Command line: QEMU's flags, because firmware developers have them in their
fingers (`emud -M virt -bios none -kernel fw.elf -nographic -s -S`).

Every user mistake is one line on stderr and exit status 1; the guest's exit
code (sifive_test, semihosting) becomes emud's exit status.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import Any, Dict, List, NoReturn, Optional, Sequence

import trio

from . import __version__
from ._trio_compat import leaf_exceptions
from .signals import HostSignals

PROG = "emud"


#: what Ctrl-A x prints on the terminal (QEMU: "QEMU: Terminated\n\r")
TERMINATED = b"emud: Terminated\n\r"


class UsageError(Exception):
    """A bad command line: printed as `emud: <message>`, exit status 1."""


HELP_EPILOG = """\
examples:
  emud -M virt -bios none -kernel fw.elf -nographic
  emud -M virt -bios none -kernel fw.elf -nographic -s -S      # wait for gdb on :1234
  gdb-multiarch fw.elf -ex 'target remote :1234'
  emud -kernel fw.elf -nographic -monitor tcp::4444,server,nowait -qmp unix:qmp.sock,server,nowait
  emud -kernel fw.elf -d in_asm,op,op_opt,out_asm -D tb.log      # follow each TB through the pipeline

exit status: the guest's exit code (sifive_test 0x5555 -> 0, (code<<16)|0x3333 -> code,
semihosting SYS_EXIT), 1 for a usage or load error.
"""


def _parser() -> argparse.ArgumentParser:
    from .tcg.exec import TIER_UP_CALLS
    p = argparse.ArgumentParser(
        prog=PROG, add_help=False, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="emud %s: a GDB-debuggable RISC-V emulator with QEMU's command line." % __version__,
        epilog=HELP_EPILOG)
    a = p.add_argument
    a("-h", "-help", "--help", action="help", help="show this help and exit")
    a("-version", "--version", action="version", version="emud %s (QEMU-compatible command line)" % __version__)
    a("-M", "-machine", dest="machine", default="virt", metavar="virt[,key=value]",
      help="the board (only 'virt', QEMU's RISC-V virt memory map)")
    a("-cpu", dest="cpu", metavar="rv32|rv64",
      help="the hart type; default: follow the ELF's class (ELF32 -> rv32, ELF64 -> rv64)")
    a("-accel", dest="accel", default="tcg", metavar="tcg[,tb-size=MiB][,tier-up=N]",
      help="the accelerator: tcg (our translator); tb-size bounds the code cache in MiB of generated Python; "
           "a block is interpreted tier-up times (default %d) before it is compiled, 0 compiles at once"
           % TIER_UP_CALLS)
    a("-bios", dest="bios", default="none", metavar="none",
      help="firmware to run before the kernel; only 'none' (jump straight to -kernel) is supported")
    a("-kernel", dest="kernel", metavar="FILE",
      help="the program: an ELF, or a raw binary loaded at the start of RAM (0x80000000)")
    a("-device", dest="devices", action="append", default=[], metavar="loader,file=F,addr=A",
      help="load a raw binary at an address (QEMU's generic loader); repeatable")
    a("-m", dest="memory", default="128M", metavar="SIZE", help="RAM size (e.g. 128M, 1G; plain numbers are MiB)")
    a("-smp", dest="smp", default="1", metavar="N", help="number of harts (1-8)")
    a("-nographic", action="store_true",
      help="no display: the UART is on the terminal (Ctrl-A c switches to the monitor and back, Ctrl-A x quits, Ctrl-A h lists the keys, Ctrl-C goes to the guest)")
    a("-display", dest="display", metavar="none", help="accepted for compatibility (only 'none')")
    a("-serial", dest="serial", metavar="DEV",
      help="the UART's character device: stdio, none, file:PATH, tcp:[HOST]:PORT,server[,nowait], "
           "unix:PATH,server[,nowait] (default stdio)")
    a("-monitor", dest="monitor", metavar="DEV", help="the monitor console: stdio, tcp::PORT,server,nowait, unix:PATH,server,nowait, none")
    a("-qmp", dest="qmp", metavar="DEV", help="QMP (JSON) server: tcp::PORT,server,nowait or unix:PATH,server,nowait")
    a("-monitor-script", dest="monitor_script", metavar="FILE", help="run monitor commands from FILE at start")
    a("-s", dest="gdb_default", action="store_true", help="shorthand for -gdb tcp::1234")
    a("-gdb", dest="gdb", metavar="DEV", help="wait for gdb on DEV: tcp::PORT, tcp:HOST:PORT, unix:PATH, stdio")
    a("-S", dest="freeze", action="store_true", help="do not start the harts (wait for gdb 'continue' or monitor 'cont')")
    a("-d", dest="log_items", metavar="ITEM,...",
      help="log pipeline stages: in_asm, op, op_opt, out_asm, exec, int, nochain (no TB chaining)")
    a("-D", dest="log_file", metavar="FILE", help="write the -d log to FILE instead of stderr")
    a("-icount", dest="icount", metavar="[shift=]N", help="deterministic time: each instruction is 2^N ns of guest time")
    a("-semihosting", action="store_true", help="enable semihosting (slli/ebreak/srai calls): console, exit, clock")
    a("-semihosting-config", dest="semihosting_config", metavar="enable=on[,host-files=on][,arg=...]",
      help="semihosting options; host-files=on lets the guest open host files (off by default)")
    a("-no-reboot", action="store_true", help="exit instead of resetting when the guest asks for a reset")
    return p


def parse_size(text: str) -> int:
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    t = text.strip().lower().rstrip("b").rstrip("i")
    try:
        if t and t[-1] in units:
            return int(float(t[:-1]) * units[t[-1]])
        return int(t) << 20
    except ValueError:
        raise UsageError("-m %s: invalid RAM size" % text) from None


def parse_icount(text: str) -> int:
    for part in text.split(","):
        key, _, value = part.partition("=")
        if not value:
            key, value = "shift", key
        if key == "shift":
            if value == "auto":
                return 3
            try:
                shift = int(value)
            except ValueError:
                raise UsageError("-icount %s: shift must be a number" % text) from None
            if not 0 <= shift <= 10:
                raise UsageError("-icount %s: shift must be between 0 and 10" % text)
            return shift
        if key not in ("sleep", "align"):
            raise UsageError("-icount %s: unknown option %r" % (text, key))
    return 0


def parse_semihosting(args) -> Optional[Dict[str, Any]]:
    if not args.semihosting and not args.semihosting_config:
        return None
    config: Dict[str, Any] = {"enable": True, "allow_host_files": False, "cmdline": ""}
    argv: List[str] = []
    for part in (args.semihosting_config or "").split(","):
        if not part:
            continue
        key, _, value = part.partition("=")
        if key == "enable":
            config["enable"] = value in ("on", "yes", "true", "1")
        elif key in ("host-files", "allow-host-files"):
            config["allow_host_files"] = value in ("on", "yes", "true", "1")
        elif key == "arg":
            argv.append(value)
        elif key in ("target", "chardev", "userspace"):
            pass
        else:
            raise UsageError("-semihosting-config: unknown option %r" % key)
    config["cmdline"] = " ".join(argv)
    return config if config["enable"] else None


def parse_loader(spec: str) -> Dict[str, Any]:
    parts = spec.split(",")
    if parts[0] != "loader":
        raise UsageError("-device %s: only the generic loader (loader,file=F,addr=A) is available" % parts[0])
    opts = dict(p.partition("=")[::2] for p in parts[1:])
    if "file" not in opts or "addr" not in opts:
        raise UsageError("-device loader needs file= and addr= (raw binaries only)")
    try:
        addr = int(opts["addr"], 0)
    except ValueError:
        raise UsageError("-device loader: bad addr %r" % opts["addr"]) from None
    return {"file": opts["file"], "addr": addr}


def _die(message: str) -> "NoReturn":
    sys.stderr.write("%s: %s\n" % (PROG, message))
    raise SystemExit(1)


def build_machine(args):
    """Build the machine the command line describes (no I/O started yet)."""
    from .accel.base import parse_accel
    from .chardev import ChardevError, open_chardev, parse_chardev
    from .loader import is_elf, load_elf, load_raw
    from .log import Log, parse_items
    from .machines.virt import RAM_BASE, VirtMachine

    machine_name, *machine_opts = args.machine.split(",")
    dumpdtb = None
    for opt in machine_opts:
        key, _, value = opt.partition("=")
        if key == "dumpdtb" and value:
            dumpdtb = value
        else:
            raise UsageError("-M %s: property %r is not supported by emud's virt (supported: dumpdtb=FILE)"
                             % (args.machine, key))
    if machine_name not in ("virt", "help", "?"):
        raise UsageError("-M %s: unsupported machine type (available: virt)" % machine_name)
    if machine_name in ("help", "?"):
        print("Supported machines are:\nvirt                 RISC-V VirtIO board (QEMU-compatible memory map)")
        raise SystemExit(0)
    if args.bios not in ("none",):
        raise UsageError("-bios %s: only '-bios none' is supported (emud does not ship OpenSBI)" % args.bios)
    if not args.kernel and not args.devices and dumpdtb is None:
        raise UsageError("no program given: use -kernel FILE (an ELF or a raw binary)")
    try:
        smp = int(args.smp.split(",")[0].replace("cpus=", ""))
    except ValueError:
        raise UsageError("-smp %s: expected a number of harts" % args.smp) from None
    ram_size = parse_size(args.memory)
    if ram_size <= 0 or ram_size > (2 << 30):
        raise UsageError("-m %s: RAM size must be between 1 MiB and 2 GiB" % args.memory)
    accel = parse_accel(args.accel)
    items = parse_items(args.log_items or "none")
    icount = parse_icount(args.icount) if args.icount else None
    semihosting = parse_semihosting(args)
    loaders = [parse_loader(d) for d in args.devices]

    image = None
    xlen = None
    if args.kernel:
        if not os.path.exists(args.kernel):
            raise UsageError("-kernel %s: no such file" % args.kernel)
        if is_elf(args.kernel):
            image = load_elf(args.kernel)
            xlen = image.xlen
        else:
            image = load_raw(args.kernel, RAM_BASE)
    if args.cpu:
        cpu = args.cpu.split(",")[0].lower()
        if cpu.startswith("rv32"):
            cpu_xlen = 32
        elif cpu.startswith("rv64") or cpu in ("any", "max"):
            cpu_xlen = 64
        else:
            raise UsageError("-cpu %s: unknown CPU (use rv32 or rv64)" % args.cpu)
        if xlen is not None and xlen != cpu_xlen:
            raise UsageError("-cpu %s cannot run %s: it is an ELF%d file" % (args.cpu, args.kernel, xlen))
        xlen = cpu_xlen
    xlen = xlen or 32

    gdb_on_stdio = (args.gdb or "").split(",")[0] == "stdio"
    # as QEMU: -nographic puts the UART on the terminal with the Ctrl-A keys
    # (Ctrl-A c: the monitor; Ctrl-A x quits; Ctrl-C goes to the guest)
    serial_spec = args.serial or ("none" if gdb_on_stdio else "mon:stdio" if args.nographic else "stdio")
    try:
        serial_on_stdio = parse_chardev(serial_spec).kind == "stdio"
    except ChardevError as e:
        raise UsageError("-serial %s: %s" % (serial_spec, e)) from None
    if gdb_on_stdio and serial_on_stdio:
        raise UsageError("-gdb stdio and -serial stdio cannot share stdin/stdout")
    if args.monitor_script and not os.path.isfile(args.monitor_script):
        raise UsageError("-monitor-script %s: no such file" % args.monitor_script)
    if (args.qmp or "").split(",")[0] == "stdio" and serial_on_stdio:
        raise UsageError("-qmp stdio and the serial port cannot both use stdio "
                         "(put the UART elsewhere: -serial none or -serial file:uart.txt)")
    if (args.monitor or "").split(",")[0] == "stdio" and serial_on_stdio:
        raise UsageError("-monitor stdio and the serial port cannot both use stdio "
                         "(put the UART elsewhere: -serial tcp::5555,server,nowait or -serial none)")
    log = Log(items, args.log_file)
    machine = VirtMachine(xlen=xlen, ram_size=ram_size, smp=smp, serial=None, icount_shift=icount,
                          log=log, accel=accel.pop("name"), accel_options=accel,
                          semihosting=semihosting, no_reboot=args.no_reboot)
    if dumpdtb is not None:
        # as QEMU: write the machine's device tree and exit
        with open(dumpdtb, "wb") as f:
            f.write(machine.dtb)
        raise SystemExit(0)

    def quit_from_terminal() -> None:
        # Ctrl-A x: as QEMU's mux, a last line on the terminal after the guest's output
        serial.write(TERMINATED)
        machine.request_quit()

    serial = open_chardev(serial_spec, on_quit=quit_from_terminal)
    if serial.spec.mux and serial.kind == "stdio":
        _mux_monitor(machine, serial)
    machine.serial = serial
    serial.attach(machine.uart)
    machine.uart.chardev = serial
    if image is not None:
        machine.load_image(image)
        _check_entry(machine, image)
        machine.set_entry(image.entry)
    for ld in loaders:
        raw = load_raw(ld["file"], ld["addr"])
        machine.load_image(raw)
        if image is None:
            machine.set_entry(ld["addr"])
    return machine, serial


def _check_entry(machine, image) -> None:
    """The hart starts at the ELF's entry: outside RAM it could only fault
    forever. (QEMU 7.2 with -bios none starts at the start of RAM whatever
    the entry says; emud follows the entry.)"""
    from .loader import LoaderError
    ram = [r for r in machine.memory_map() if r.kind == "ram"]
    if not any(r.start <= image.entry < r.start + r.size for r in ram):
        raise LoaderError("%s: entry point 0x%x is outside RAM (%s)" % (image.path, image.entry, ", ".join(
            "0x%x-0x%x" % (r.start, r.start + r.size - 1) for r in ram)))


def _mux_monitor(machine, terminal) -> None:
    """mon:stdio: Ctrl-A c switches the terminal to a monitor session."""
    import functools

    from .monitor.console import serve_muxed
    from .monitor.mux import MuxedMonitor
    terminal.attach_monitor(MuxedMonitor(functools.partial(serve_muxed, machine), terminal.write))


async def _serve(args, machine, serial, signals) -> int:
    machine.services.append(serial.run)
    gdb_spec = args.gdb or ("tcp::1234" if args.gdb_default else None)
    if gdb_spec:
        machine.services.append(_gdb_service(machine, gdb_spec))
    if (args.monitor and args.monitor != "none") or args.monitor_script:
        machine.services.append(_monitor_service(machine, args.monitor or "none", args.monitor_script))
    if args.qmp:
        machine.services.append(_qmp_service(machine, args.qmp))
    has_clients = bool(gdb_spec or args.qmp or (args.monitor and args.monitor != "none"))
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_quit_on_signals, machine, signals, nursery.cancel_scope)
        nursery.start_soon(_exit_when_guest_exits, machine, has_clients)
        if not args.freeze:
            machine.resume()
        await machine.run()
        nursery.cancel_scope.cancel()
    return machine.exit_code or 0


async def _quit_on_signals(machine, signals, scope: trio.CancelScope) -> None:
    """SIGINT, SIGTERM, SIGHUP, as QEMU takes them: a line naming the sender,
    then a clean stop (the machine's services end as on `quit`: the UART's
    last output written, the terminal restored, unix sockets removed) and
    status 0. Cancelling ``scope`` also ends a machine still starting, e.g.
    a -serial server waiting for its first client."""
    async for received in signals.receive():
        sys.stderr.write("%s: %s\n" % (PROG, received.describe()))
        sys.stderr.flush()
        machine.request_quit()
        scope.cancel()


async def _exit_when_guest_exits(machine, has_clients: bool) -> None:
    while True:
        event = await machine.wait_for_stop()
        if event.reason == "exited":
            # give the gdb stub, the monitor and QMP a moment to tell their clients
            await trio.sleep(0.2 if has_clients else 0)
            machine.request_quit(event.exit_code or 0)
            return
        await machine._changed.wait()


def _gdb_service(machine, spec: str):
    async def service(task_status=trio.TASK_STATUS_IGNORED):
        from .gdbstub.server import serve_gdb
        await serve_gdb(machine, spec, run_command=_monitor_runner(machine), task_status=task_status)
    return service


def _monitor_runner(machine):
    try:
        from .monitor import command_runner  # type: ignore[attr-defined]
    except ImportError:
        return None
    return command_runner(machine)


def _monitor_service(machine, spec: str, script: Optional[str]):
    async def service(task_status=trio.TASK_STATUS_IGNORED):
        from .monitor.console import serve_monitor
        await serve_monitor(machine, spec, script=script, task_status=task_status)
    return service


def _qmp_service(machine, spec: str):
    async def service(task_status=trio.TASK_STATUS_IGNORED):
        from .monitor.qmp import serve_qmp
        await serve_qmp(machine, spec, task_status=task_status)
    return service


def _user_message(e: BaseException) -> str:
    """One line for the user; OS errors as 'PATH: reason' rather than Python's repr."""
    if isinstance(e, OSError) and e.strerror:
        return "%s: %s" % (e.filename, e.strerror) if e.filename else e.strerror
    return str(e)


def main(argv: Optional[Sequence[str]] = None) -> int:
    from .accel.base import AccelError
    from .chardev import ChardevError
    from .loader import LoaderError
    from .log import LogError

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    parser.error = lambda message: _die(message)  # type: ignore[assignment]
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        _die("%s: invalid option" % unknown[0])
    # caught from here on (a signal while the image loads ends the run as soon as it starts);
    # before build_machine and trio start any thread: they inherit the signal mask
    signals = HostSignals()
    try:
        try:
            machine, serial = build_machine(args)
        except (UsageError, LoaderError, AccelError, ChardevError, LogError, ValueError, OSError) as e:
            _die(_user_message(e))
        return _run(args, machine, serial, signals)
    finally:
        signals.close()


def _run(args, machine, serial, signals) -> int:
    from .chardev import ChardevError
    from .debug import DebugError
    try:
        return trio.run(_serve, args, machine, serial, signals)
    except BaseException as exc:  # trio may wrap errors in exception groups
        leaves = leaf_exceptions(exc)
        if all(isinstance(e, KeyboardInterrupt) for e in leaves):
            # only where signals cannot be caught as QEMU does (see emud.signals)
            sys.stderr.write("%s: terminated by signal %d\n" % (PROG, signal.SIGINT))
            return 0
        user_errors = [e for e in leaves if isinstance(e, (OSError, UsageError, ChardevError, DebugError))]
        if user_errors and len(user_errors) == len(leaves):
            _die(_user_message(user_errors[0]))
        raise
    finally:
        log = getattr(machine.accel, "log", None)
        if log is not None:
            log.close()


if __name__ == "__main__":
    raise SystemExit(main())
