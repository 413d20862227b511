"""The option table and QEMU's rules for reading a command line.

QEMU (``vl.c``, ``lookup_opt``) takes every option with one or two dashes
(``-kernel`` = ``--kernel``), looks its name up exactly (no abbreviations:
``-snapshot`` is never ``-s napshot``), and takes the next word as its
argument when it has one (never glued on: ``-m128M`` is no option). We do
the same, from one table: a name that QEMU knows and emud does not model is
refused in one line that says why, any other unknown name is "invalid
option", as QEMU says it.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple


class OptionError(ValueError):
    """A command line QEMU's rules cannot read: one line for the user."""


class Option(NamedTuple):
    names: Tuple[str, ...]      # without the dash; the first is the one help shows
    dest: str
    metavar: Optional[str]      # None: a flag (no argument)
    help: str
    repeat: bool = False        # every occurrence kept, in order (else the last one wins)
    optional_arg: bool = False  # the argument may be left out ("" then): taken when the next word is no option


_FLAG = None

OPTIONS: Tuple[Option, ...] = (
    Option(("h", "help"), "help", _FLAG, "show this help and exit"),
    Option(("version",), "version", _FLAG, "show the version and exit"),
    Option(("M", "machine"), "machine", "virt[,prop=value]",
           "the board: virt (QEMU's RISC-V virt memory map); props: dumpdtb=FILE, aclint=on|off, aia=none"),
    Option(("cpu",), "cpu", "rv32|rv64", "the hart type; default: follow the ELF's class"),
    Option(("accel",), "accel", "tcg[,tb-size=MiB][,tier-up=N][,tb-cache=DIR][,regions=on|off][,thread=single]",
           "our translator; tb-size bounds the code cache (MiB of generated Python), a block is "
           "interpreted tier-up times before it is compiled (0: at once), tb-cache keeps compiled code "
           "on disk, regions=on|off: several guest blocks per compiled TB from the start, or never"),
    Option(("bios",), "bios", "none", "only 'none': the reset ROM jumps to the start of RAM"),
    Option(("kernel",), "kernel", "FILE", "the program: an ELF, or a raw binary loaded at 0x80000000"),
    Option(("device",), "devices", "loader,file=F,addr=A[,cpu-num=N]",
           "a raw binary at an address (QEMU's generic loader); cpu-num starts that hart there", repeat=True),
    Option(("m",), "memory", "[size=]SIZE", "RAM size (128M, 1G; a plain number is MiB)"),
    Option(("smp",), "smp", "[cpus=]N[,cores=C][,threads=T][,sockets=1]",
           "harts: 1 to 512 on one socket, QEMU's virt limit"),
    Option(("nographic",), "nographic", _FLAG,
           "no display: serial and monitor on the terminal (mon:stdio): Ctrl-A c monitor, "
           "Ctrl-A x quit, Ctrl-A h keys"),
    Option(("display",), "display", "none", "only 'none'"),
    Option(("nodefaults",), "nodefaults", _FLAG, "no default serial port or monitor"),
    Option(("chardev",), "chardevs", "BACKEND,id=ID[,...]",
           "a character device for chardev:ID: stdio[,mux=on][,signal=off], file,path=P, "
           "socket,host=H,port=P|path=P[,server=on][,wait=off], pty, null; logfile=F copies "
           "its output to F", repeat=True),
    Option(("serial",), "serials", "DEV",
           "the UART: stdio, mon:stdio, none, null, file:PATH, pty, tcp:[HOST]:PORT[,server,nowait], "
           "unix:PATH[,server,nowait], chardev:ID", repeat=True),
    Option(("monitor",), "monitors", "DEV", "a monitor console on DEV (as -serial; chardev:ID too)", repeat=True),
    Option(("mon",), "mons", "chardev=ID[,mode=readline|control]",
           "a monitor on a -chardev: readline is the console, control is QMP", repeat=True),
    Option(("qmp",), "qmps", "DEV", "a QMP (JSON) server on DEV", repeat=True),
    Option(("monitor-script",), "monitor_script", "FILE", "run monitor commands from FILE at start"),
    Option(("s",), "gdb_default", _FLAG, "shorthand for -gdb tcp::1234"),
    Option(("gdb",), "gdb", "DEV", "wait for gdb on DEV: tcp::PORT, tcp:HOST:PORT, unix:PATH, stdio, chardev:ID"),
    Option(("S",), "freeze", _FLAG, "do not start the harts (gdb 'continue' or monitor 'cont' does)"),
    Option(("d",), "log_items", "ITEM,...", "log items (-d help lists them)"),
    Option(("D",), "log_file", "FILE", "write the -d log to FILE instead of stderr"),
    Option(("icount",), "icount", "[shift=]N|auto[,align=off][,sleep=on|off]",
           "count instructions for time: each is 2^N ns; auto adapts N to real time"),
    Option(("semihosting",), "semihosting", _FLAG, "semihosting calls: console, exit, clock"),
    Option(("semihosting-config",), "semihosting_config", "enable=on[,host-files=on][,arg=...]",
           "semihosting options; host-files=on lets the guest open host files"),
    Option(("no-reboot",), "no_reboot", _FLAG, "exit instead of resetting when the guest asks for a reset"),
    Option(("no-shutdown",), "no_shutdown", _FLAG,
           "when the guest powers off, stop the harts and keep serving (gdb, monitor) instead of exiting"),
    Option(("net",), "nets", "none", "only 'none': emud's virt has no network card", repeat=True),
    Option(("nic",), "nics", "none", "only 'none'", repeat=True),
    Option(("snapshot",), "snapshot", _FLAG, "accepted: emud writes to no image file"),
    Option(("name",), "name", "[guest=]NAME[,process=P][,debug-threads=on|off]",
           "the guest's name (QMP query-name); process= names the emud process (ps, top)"),
    Option(("rtc",), "rtc", "base=utc[,clock=host]", "the RTC's defaults only (UTC, host clock)"),
    Option(("global",), "globals", "DRIVER.PROP=VALUE",
           "device property defaults: only for devices emud's virt leaves out (virtio-mmio...)", repeat=True),
    Option(("pidfile",), "pidfile", "FILE", "write emud's process id to FILE (removed at exit)"),
    Option(("record",), "record", "[size=SIZE][,file=FILE]",
           "time travel: record from the first instruction (guest time is the instruction count), so that gdb's "
           "reverse-continue/reverse-stepi and the monitor's rewind work; size= bounds history's memory "
           "(default 512M, the oldest history goes first); file= writes the recording to FILE when emud ends "
           "(guest exit, quit, Ctrl-A x, SIGTERM/SIGINT)", optional_arg=True),
    Option(("replay",), "replay", "file=FILE",
           "replay a -record file=FILE recording from its start, exactly (same program and machine options "
           "required); with -s -S gdb can attach and run backwards within it"),
    Option(("L",), "data_dir", "DIR", "accepted: firmware directory (emud loads no firmware)"),
)

#: options QEMU has that emud does not model: refused with the reason
NOT_MODELLED: Dict[str, str] = {
    "drive": "emud has no block devices", "hda": "emud has no block devices",
    "hdb": "emud has no block devices", "cdrom": "emud has no block devices",
    "pflash": "emud's virt has no flash banks", "sd": "emud has no block devices",
    "netdev": "emud's virt has no network card (-net none / -nic none are accepted)",
    "append": "a kernel command line needs a boot loader reading /chosen (use -semihosting-config arg=...)",
    "initrd": "emud loads no initrd", "dtb": "emud builds the device tree itself (-M virt,dumpdtb=F writes it)",
    "enable-kvm": "emud is TCG only", "daemonize": "emud runs in the foreground",
    "object": "emud has no QOM objects", "numa": "emud's virt has one memory node",
    "vga": "emud has no display", "usb": "emud has no USB", "audiodev": "emud has no sound",
    "spice": "emud has no display", "vnc": "emud has no display", "incoming": "emud has no migration",
    "loadvm": "use the monitor's loadvm file=PATH", "parallel": "emud's virt has no parallel port",
    "bios-dir": "emud loads no firmware",
}


class OptionParser:
    """Reads argv as QEMU does; :meth:`parse_args` returns a namespace with
    one attribute per table ``dest`` (a list for repeatable options)."""

    def __init__(self, options: Sequence[Option] = OPTIONS) -> None:
        self.options = tuple(options)
        self._by_name = {name: opt for opt in self.options for name in opt.names}

    def defaults(self) -> SimpleNamespace:
        values = {opt.dest: [] if opt.repeat else (False if opt.metavar is None else None)
                  for opt in self.options}
        return SimpleNamespace(**values)

    def parse_args(self, argv: Sequence[str]) -> SimpleNamespace:
        args = self.defaults()
        words = list(argv)
        i = 0
        while i < len(words):
            word = words[i]
            i += 1
            if not word.startswith("-") or word == "-":
                raise OptionError("%s: invalid option (emud takes no disk image argument)" % word)
            name = word[2:] if word.startswith("--") else word[1:]
            opt = self._by_name.get(name)
            if opt is None:
                if name in NOT_MODELLED:
                    raise OptionError("%s: not supported: %s" % (word, NOT_MODELLED[name]))
                raise OptionError("%s: invalid option" % word)
            if opt.metavar is None:
                value = True
            elif opt.optional_arg and (i >= len(words) or words[i].startswith("-")):
                value = ""
            else:
                if i >= len(words):
                    raise OptionError("%s: requires an argument" % word)
                value = words[i]
                i += 1
            if opt.repeat:
                getattr(args, opt.dest).append(value)
            else:
                setattr(args, opt.dest, value)
        return args

    def parse_known_args(self, argv: Sequence[str]) -> Tuple[SimpleNamespace, List[str]]:
        """argparse's spelling, for callers written against it: nothing is
        left over (an unknown option is an error, as in QEMU)."""
        return self.parse_args(argv), []

    def help_text(self, prog: str, version: str, epilog: str) -> str:
        lines = ["usage: %s [options]  (QEMU's options, with one or two dashes)" % prog, "",
                 "emud %s: a GDB-debuggable RISC-V emulator with QEMU's command line." % version, "",
                 "options:"]
        for opt in self.options:
            spelled = ", ".join("-" + n for n in opt.names)
            if opt.metavar:
                spelled += " " + opt.metavar
            lines.append("  " + spelled)
            lines.append("        " + opt.help)
        lines += ["", "known to QEMU, not modelled by emud: " + ", ".join("-" + n for n in sorted(NOT_MODELLED)),
                  "", epilog.rstrip("\n")]
        return "\n".join(lines) + "\n"


def last(values: List[str]) -> Optional[str]:
    """The last occurrence of a repeatable option, or None."""
    return values[-1] if values else None
