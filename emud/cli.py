"""Command line: QEMU's flags, because firmware developers have them in their
fingers (`emud -M virt -bios none -kernel fw.elf -nographic -s -S`).

Every user mistake is one line on stderr and exit status 1; the guest's exit
code (sifive_test, semihosting) becomes emud's exit status.
"""
from __future__ import annotations

import contextlib
import os
import signal
import sys
from typing import NoReturn, Optional, Sequence

import trio

from . import __version__
from ._trio_compat import leaf_exceptions
from .options import OptionError, OptionParser
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
  emud -kernel fw.elf -nographic -s -S -record                   # gdb's reverse-continue, reverse-stepi
  emud -kernel fw.elf -nographic -record file=run.rr             # record a run (CI) ...
  emud -kernel fw.elf -nographic -replay file=run.rr -s -S       # ... and replay it exactly, with gdb

exit status: the guest's exit code (sifive_test 0x5555 -> 0, (code<<16)|0x3333 -> code,
semihosting SYS_EXIT), 1 for a usage or load error.
"""


def _parser() -> OptionParser:
    return OptionParser()


def _die(message: str) -> "NoReturn":
    sys.stderr.write("%s: %s\n" % (PROG, message))
    raise SystemExit(1)


def build_machine(args):
    """Build the machine the command line describes (no I/O started yet)."""
    from . import option_values as ov
    from .accel.base import parse_accel
    from .chardev import open_chardev
    from .chardev_wiring import wire
    from .loader import load_raw
    from .log import Log, parse_items
    from .machines import registry

    machine_name, machine_props = ov.parse_machine(args.machine or "virt")
    if machine_name == "help":
        sys.stdout.write(registry.help_text())
        raise SystemExit(0)
    machine_class = registry.machine_class(machine_name)
    dumpdtb = machine_props.get("dumpdtb")
    if args.bios not in (None, "none"):
        raise UsageError("-bios %s: only '-bios none' is supported (emud does not ship OpenSBI)" % args.bios)
    if args.display not in (None, "none"):
        raise UsageError("-display %s: emud has no display (only -display none)" % args.display)
    if (args.log_items or "").strip() == "help":
        from .log import items_help
        sys.stdout.write(items_help())
        raise SystemExit(0)
    if not args.kernel and not args.devices and dumpdtb is None:
        raise UsageError("no program given: use -kernel FILE (an ELF or a raw binary)")
    smp = ov.parse_smp(args.smp or "1")
    ram_size = ov.parse_size(args.memory or "128M")
    if ram_size <= 0 or ram_size > (2 << 30):
        raise UsageError("-m %s: RAM size must be between 1 MiB and 2 GiB" % args.memory)
    if args.memory and hasattr(machine_class, "check_ram_size"):
        try:
            machine_class.check_ram_size(ram_size)      # a board with fixed RAM refuses others as QEMU
        except ValueError as e:
            raise UsageError(str(e)) from None
    accel = parse_accel(ov.split_accel(args.accel or "tcg"))
    items = parse_items(args.log_items or "none")
    icount = ov.parse_icount(args.icount) if args.icount else None
    semihosting = ov.parse_semihosting(args.semihosting, args.semihosting_config)
    loaders = [ov.parse_loader(d) for d in args.devices]
    lacks = getattr(machine_class, "network_lacks", "has no network card")
    ov.check_no_network(args.nets, "-net", machine_class.name, lacks)
    ov.check_no_network(args.nics, "-nic", machine_class.name, lacks)
    ov.check_globals(args.globals)
    rtc_clock = ov.parse_rtc(args.rtc) if args.rtc else "host"
    guest_name = ov.parse_name(args.name) if args.name is not None else ov.GuestName()
    wiring = wire(args, machine_class.name, getattr(machine_class, "uart_count", 1))
    if args.monitor_script and not os.path.isfile(args.monitor_script):
        raise UsageError("-monitor-script %s: no such file" % args.monitor_script)
    record, replay = _time_travel_options(args)

    image = None
    if args.kernel:
        if not os.path.exists(args.kernel):
            raise UsageError("-kernel %s: no such file" % args.kernel)
        image = machine_class.load_kernel(args.kernel)
    cpu_props = machine_class.cpu_properties(args.cpu, image, args.kernel)
    if hasattr(machine_class, "nic_properties"):
        # -net/-nic none and -nodefaults leave QEMU without its default NIC (lm3s6965evb's ssys shows its MAC)
        cpu_props.update(machine_class.nic_properties(not (args.nets or args.nics or args.nodefaults)))

    log = Log(items, args.log_file)
    machine = machine_class(**cpu_props, ram_size=ram_size, smp=smp, serial=None,
                          icount_shift=icount.shift if icount else None,
                          icount_adaptive=bool(icount and icount.adaptive),
                          icount_sleep=icount.sleep if icount else True,
                          log=log, accel=accel.pop("name"), accel_options=accel,
                          semihosting=semihosting, no_reboot=args.no_reboot, rtc_clock=rtc_clock,
                          aclint=machine_props.get("aclint", False))
    if dumpdtb is not None:
        # as QEMU: write the machine's device tree and exit
        with open(dumpdtb, "wb") as f:
            f.write(machine.dtb)
        raise SystemExit(0)

    def quit_from_terminal() -> None:
        # Ctrl-A x: as QEMU's mux, a last line on the terminal after the guest's output
        serial.write(TERMINATED)
        machine.request_quit()

    serial = open_chardev(wiring.serial, on_quit=quit_from_terminal)
    if (serial.spec.mux and serial.kind == "stdio" and wiring.serial.id is None) or wiring.muxed_monitor:
        _mux_monitor(machine, serial)
    machine.serial = serial
    machine.attach_serial(serial)
    machine.extra_serials = []
    for index, spec in enumerate(wiring.extra_serials, 1):
        if spec is not None:
            chardev = open_chardev(spec)
            machine.attach_serial(chardev, index)
            machine.extra_serials.append(chardev)
    images = []
    if image is not None:
        machine.load_image(image)
        machine.set_kernel(image.low_addr)
        images.append(image)
    for ld in loaders:
        raw = load_raw(ld["file"], ld["addr"])
        machine.load_image(raw)
        images.append(raw)
        if ld["cpu"] is not None:
            machine.start_hart_at(ld["cpu"], ld["addr"])
    machine.wiring = wiring
    _start_time_travel(machine, args, images, record, replay)
    machine.guest_name = guest_name.guest      # QMP query-name
    machine.process_name = guest_name.process
    return machine, serial


def _time_travel_options(args):
    """-record / -replay, read and checked before anything is built (a
    recording that could not be written at the end is refused now)."""
    from . import option_values as ov
    from .timetravel import record_file
    if args.record is not None and args.replay is not None:
        raise UsageError("-record and -replay cannot be used together (a replay keeps its own history: "
                         "reverse execution works within it)")
    record = ov.parse_record(args.record) if args.record is not None else None
    replay = ov.parse_replay(args.replay) if args.replay is not None else None
    if record is not None and record.file is not None:
        try:
            record_file.check_writable(record.file)
        except OSError as e:
            raise UsageError("-record file=%s: cannot write there: %s" % (record.file, e.strerror or e)) from None
    if replay is not None and not os.path.isfile(replay):
        raise UsageError("-replay file=%s: no such file" % replay)
    return record, replay


def _start_time_travel(machine, args, images, record, replay) -> None:
    """-record: recording from the first instruction; -replay: the
    recording read, checked against this run and put in place."""
    from .debug import DebugError
    from .timetravel import record_file
    machine.record_setting = record
    machine.replaying_file = replay
    machine.images = images              # what a recording's file names as its program
    if record is None and replay is None:
        return
    machine.run_options = record_file.run_options(args)
    if record is not None:
        try:
            machine.record_start(record.size)
        except DebugError as e:
            raise UsageError("-record: %s" % e) from None
        return
    try:
        recording = record_file.read(replay, machine, machine.run_options, images)
    except record_file.RecordFileError as e:
        raise UsageError("-replay file=%s: %s" % (replay, e)) from None
    except OSError as e:
        raise UsageError("-replay file=%s: %s" % (replay, e.strerror or e)) from None
    try:
        machine.start_replay(recording)
    except DebugError as e:
        raise UsageError("-replay file=%s: %s" % (replay, e)) from None
    machine.stop_at_history_end = True


def write_recording(machine) -> None:
    """-record file=F: the recording, written (atomically) as emud ends;
    problems are one line, the exit status stays the guest's."""
    from .internal import report_internal_error, stderr_line
    from .timetravel import record_file
    setting = getattr(machine, "record_setting", None)
    if setting is None or setting.file is None:
        return
    if machine.timetravel is None:
        stderr_line("-record file=%s: recording was stopped (record stop): nothing written" % setting.file)
        return
    try:
        recording = machine.export_recording()
        meta = record_file.describe(machine, machine.run_options, machine.images, recording)
        size = record_file.write(setting.file, meta, recording)
    except OSError as e:
        stderr_line("-record file=%s: cannot write: %s" % (setting.file, e.strerror or e))
        return
    except Exception as e:      # noqa: BLE001 -- a bug of ours must not hide the guest's exit status
        stderr_line("-record file=%s: not written: internal error: %s"
                    % (setting.file, report_internal_error("writing the recording", e)))
        return
    stderr_line("-record: instructions %d-%d written to %s (%d KiB)"
                % (recording["begin"], recording["end"], setting.file, (size + 1023) // 1024))


def _mux_monitor(machine, terminal) -> None:
    """mon:stdio: Ctrl-A c switches the terminal to a monitor session."""
    import functools

    from .monitor.console import serve_muxed
    from .monitor.mux import MuxedMonitor
    terminal.attach_monitor(MuxedMonitor(functools.partial(serve_muxed, machine), terminal.write))


async def _serve(args, machine, serial, signals) -> int:
    wiring = machine.wiring
    machine.services.append(serial.run)
    for chardev in getattr(machine, "extra_serials", ()):
        machine.services.append(chardev.run)
    if wiring.gdb:
        machine.services.append(_gdb_service(machine, wiring.gdb))
    monitors = wiring.monitors or (["none"] if args.monitor_script else [])
    for i, spec in enumerate(monitors):
        # the script runs once, on the first console
        machine.services.append(_monitor_service(machine, spec, args.monitor_script if i == 0 else None))
    for spec in wiring.qmps:
        machine.services.append(_qmp_service(machine, spec))
    has_clients = bool(wiring.gdb or wiring.qmps or wiring.monitors)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_quit_on_signals, machine, signals, nursery.cancel_scope)
        if not args.no_shutdown:
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
        if event.reason == "divergence" and not has_clients and getattr(machine, "replaying_file", None):
            # -replay with nobody to hand the machine to: the line saying where
            # it diverged is out; end there (status 1) instead of running on live
            machine.request_quit(1)
            return
        if event.reason == "history-end" and not has_clients and getattr(machine, "replaying_file", None):
            # -replay with nobody to hand the machine to: the recording ended here (a quit, a signal)
            sys.stderr.write("%s: -replay: the recording ends here (instruction %d)\n"
                             % (PROG, machine.history_position()))
            machine.request_quit(0)
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
    from .chardev_wiring import WiringError
    from .loader import LoaderError
    from .log import LogError
    from .option_values import OptionValueError

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except OptionError as e:
        _die(str(e))
    if args.help:
        sys.stdout.write(parser.help_text(PROG, __version__, HELP_EPILOG))
        return 0
    if args.version:
        print("emud %s (QEMU-compatible command line)" % __version__)
        return 0
    # caught from here on (a signal while the image loads ends the run as soon as it starts);
    # before build_machine and trio start any thread: they inherit the signal mask
    signals = HostSignals()
    try:
        try:
            machine, serial = build_machine(args)
        except (UsageError, LoaderError, AccelError, ChardevError, LogError, OptionValueError, WiringError,
                ValueError, OSError) as e:
            _die(_user_message(e))
        if machine.process_name is not None:
            _set_process_name(machine.process_name)
        with _pidfile(args.pidfile):
            return _run(args, machine, serial, signals)
    finally:
        signals.close()


def _set_process_name(name: str) -> None:
    """-name process=P: the process's name as ps and top show it (QEMU's
    os_set_proc_name: Linux's prctl(PR_SET_NAME), cut to 15 bytes)."""
    import ctypes
    pr_set_name = 15
    try:
        if not sys.platform.startswith("linux"):
            raise OSError
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        _die("-name process=%s: Change of process name not supported by your OS" % name)
    if prctl(pr_set_name, ctypes.c_char_p(name.encode()[:15]), 0, 0, 0) != 0:
        _die("-name process=%s: unable to change process name: %s" % (name, os.strerror(ctypes.get_errno())))


@contextlib.contextmanager
def _pidfile(path: Optional[str]):
    """-pidfile FILE: our pid in FILE while we run (QEMU removes it at exit too)."""
    if path is None:
        yield
        return
    try:
        with open(path, "w") as f:
            f.write("%d\n" % os.getpid())
    except OSError as e:
        _die("-pidfile %s: %s" % (path, e.strerror))
    try:
        yield
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass


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
        write_recording(machine)
        log = getattr(machine.accel, "log", None)
        if log is not None:
            log.close()


if __name__ == "__main__":
    raise SystemExit(main())
