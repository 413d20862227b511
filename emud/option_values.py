"""The values of QEMU's options, read as QEMU 7.2 reads them for the RISC-V
``virt`` board: ``-m``, ``-smp``, ``-icount``, ``-M virt,...``, ``-accel``,
``-device loader``, ``-semihosting-config``, ``-net``/``-nic``, ``-rtc``,
``-global``. Each raises :class:`OptionValueError` (one line) for a value
emud cannot honour, naming the option and the reason."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from .clock import ICOUNT_AUTO_START, MAX_ICOUNT_SHIFT as ICOUNT_MAX_SHIFT


class OptionValueError(ValueError):
    """A value emud cannot honour: one line for the user."""


#: QEMU 7.2 hw/riscv/virt.h VIRT_CPUS_MAX; emud's PLIC, ACLINT and device
#: tree are sized for it as QEMU's are (one socket)
VIRT_CPUS_MAX = 512
ON = ("on", "yes", "true", "y")
OFF = ("off", "no", "false", "n")


def _pairs(text: str, option: str, implied: Optional[str] = None) -> List[Tuple[str, str]]:
    """'a=1,b=2' -> [(a, 1), (b, 2)]; a first bare value is ``implied=value``."""
    out = []
    for i, part in enumerate(text.split(",")):
        if not part:
            continue
        key, eq, value = part.partition("=")
        if not eq:
            if i == 0 and implied:
                key, value = implied, part
            else:
                raise OptionValueError("%s %s: expected key=value, got '%s'" % (option, text, part))
        out.append((key, value))
    return out


def _switch(option: str, key: str, value: str) -> bool:
    if value in ON:
        return True
    if value in OFF:
        return False
    raise OptionValueError("%s: %s=%s is not on/off" % (option, key, value))


def parse_size(text: str) -> int:
    """-m SIZE / -m size=SIZE[,slots=..,maxmem=..]: bytes (a plain number is MiB)."""
    size_text = text
    for key, value in _pairs(text, "-m", implied="size"):
        if key == "size":
            size_text = value
        elif key in ("slots", "maxmem"):
            raise OptionValueError("-m %s: memory hotplug (%s=) is not supported by virt" % (text, key))
        else:
            raise OptionValueError("-m %s: unknown option '%s'" % (text, key))
    return _mib_size(size_text, "-m %s: invalid RAM size" % text)


def _mib_size(text: str, error: str) -> int:
    """'512M', '1G', '64k' -> bytes; a plain number is MiB."""
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
    t = text.strip().lower().rstrip("b").rstrip("i")
    try:
        if t and t[-1] in units:
            return int(float(t[:-1]) * units[t[-1]])
        return int(t) << 20
    except (ValueError, OverflowError):
        raise OptionValueError(error) from None


def parse_smp(text: str) -> int:
    """QEMU's -smp: [cpus=]N[,maxcpus=M][,sockets=S][,dies=1][,clusters=1][,cores=C][,threads=T].
    Harts = cpus, or the product of the topology. emud's virt is one socket
    (QEMU gives each further socket its own CLINT and PLIC)."""
    where = "-smp %s" % text
    values: Dict[str, int] = {}
    for key, value in _pairs(text, "-smp", implied="cpus"):
        if key not in ("cpus", "maxcpus", "sockets", "dies", "clusters", "cores", "threads"):
            raise OptionValueError("%s: unknown option '%s'" % (where, key))
        try:
            values[key] = int(value)
        except ValueError:
            raise OptionValueError("%s: expected a number of harts, got %s=%s" % (where, key, value)) from None
        if values[key] < 1:
            raise OptionValueError("%s: %s must be at least 1" % (where, key))
    for key in ("dies", "clusters"):
        if values.get(key, 1) != 1:
            raise OptionValueError("%s: %s not supported by this machine's CPU topology" % (where, key))
    if values.get("sockets", 1) != 1:
        raise OptionValueError("%s: emud's virt has one socket (QEMU gives each socket its own CLINT and "
                               "PLIC); use cores=N" % where)
    topology = values.get("cores", 1) * values.get("threads", 1)
    cpus = values.get("cpus", topology if ("cores" in values or "threads" in values) else 1)
    if ("cores" in values or "threads" in values) and cpus != topology:
        raise OptionValueError("%s: cpus=%d does not match cores x threads = %d" % (where, cpus, topology))
    maxcpus = values.get("maxcpus", cpus)
    if maxcpus < cpus:
        raise OptionValueError("%s: maxcpus must be equal to or greater than cpus" % where)
    if maxcpus != cpus:
        raise OptionValueError("%s: CPU hotplug (maxcpus above cpus) is not supported by virt" % where)
    if cpus > VIRT_CPUS_MAX:
        raise OptionValueError("%s: the max CPUs supported by machine 'virt' is %d" % (where, VIRT_CPUS_MAX))
    return cpus


@dataclass
class Icount:
    """-icount: each instruction is 2**shift ns of guest time. ``adaptive``
    (``shift=auto``): QEMU starts at shift 3 and moves it (0..10) so that
    guest time keeps pace with real time; ``sleep``: idle time passes in
    real time (QEMU's default) rather than being skipped."""
    shift: int
    adaptive: bool = False
    sleep: bool = True


def parse_icount(text: str) -> Optional[Icount]:
    """None when no shift is given: QEMU then counts no instructions."""
    where = "-icount %s" % text
    setting = Icount(shift=0)
    shift_given = align = False
    for key, value in _pairs(text, "-icount", implied="shift"):
        if key == "shift":
            shift_given = True
            if value == "auto":
                setting.shift, setting.adaptive = ICOUNT_AUTO_START, True
                continue
            try:
                setting.shift = int(value)
            except ValueError:
                raise OptionValueError("%s: shift must be a number or auto" % where) from None
            if not 0 <= setting.shift <= ICOUNT_MAX_SHIFT:
                raise OptionValueError("%s: shift must be between 0 and %d" % (where, ICOUNT_MAX_SHIFT))
        elif key == "sleep":
            setting.sleep = _switch(where, key, value)
        elif key == "align":
            align = _switch(where, key, value)
        elif key == "rr":
            raise OptionValueError("%s: emud records and replays with -record file=F and -replay file=F "
                                   "(no rr=, rrfile=)" % where)
        else:
            raise OptionValueError("%s: unknown option '%s'" % (where, key))
    if align and not shift_given:
        raise OptionValueError("%s: Please specify shift option when using align" % where)
    if align and not setting.sleep:
        raise OptionValueError("%s: align=on and sleep=off are incompatible" % where)
    if align and setting.adaptive:
        raise OptionValueError("%s: shift=auto and align=on are incompatible" % where)
    if align:
        raise OptionValueError("%s: align=on (sleeping the host when the guest runs ahead) "
                               "is not supported by emud" % where)
    return setting if shift_given else None


#: -M virt properties QEMU 7.2 has, whose default emud models (value accepted)
VIRT_DEFAULTS = {"aia": ("none",), "aia-guests": ("0",)}
#: -M virt on/off properties emud models either way (QEMU's default off)
VIRT_SWITCHES = ("aclint",)
#: host-side settings with no effect on the guest
VIRT_HOST_ONLY = ("dump-guest-core", "mem-merge", "suppress-vmdesc", "usb", "graphics")


def parse_machine(text: str) -> Tuple[str, Dict[str, Any]]:
    """-M virt[,prop=value]: ('virt', {'dumpdtb': F, 'aclint': True}) or ('help', {})."""
    name, *props = text.split(",")
    if name in ("help", "?"):
        return "help", {}
    from .machines.registry import machine_class
    out: Dict[str, Any] = {}
    board = machine_class(name)
    if name != "virt" and hasattr(board, "check_machine_property"):
        # the other boards decide their properties as QEMU does (QEMU's line)
        for part in props:
            key, _, value = part.partition("=")
            try:
                board.check_machine_property(key, value)
            except ValueError as e:
                raise OptionValueError(str(e)) from None
        return name, out
    for part in props:
        key, _, value = part.partition("=")
        if key == "type":
            name = value
        elif key == "dumpdtb" and value:
            out["dumpdtb"] = value
        elif key in VIRT_SWITCHES:
            if value not in ON + OFF:
                raise OptionValueError("-M %s: Parameter '%s' expects 'on' or 'off'" % (text, key))
            out[key] = value in ON
        elif key in VIRT_DEFAULTS:
            if value not in VIRT_DEFAULTS[key]:
                raise OptionValueError("-M %s: %s=%s is not supported by emud's virt (it has QEMU's default, %s=%s)"
                                       % (text, key, value, key, VIRT_DEFAULTS[key][0]))
        elif key in VIRT_HOST_ONLY:
            pass
        else:
            raise OptionValueError("-M %s: property %r is not supported by emud's virt (supported: dumpdtb=FILE, "
                                   "aclint=on|off, aia=none)" % (text, key))
    if name != "virt" and props:
        # the properties above are virt's; the Cortex-M boards take none
        raise OptionValueError("-M %s: %s takes no properties" % (text, name))
    return name, out


@dataclass
class GuestName:
    """-name [guest=]NAME[,process=P][,debug-threads=on|off], as QEMU 7.2's
    parse_name(): ``guest`` is what QMP query-name (and HMP info name)
    report, ``process`` the host process's name (Linux: its comm, at most
    15 bytes), ``debug_threads`` names QEMU's threads (emud has none to name)."""
    guest: Optional[str] = None
    process: Optional[str] = None
    debug_threads: bool = False


def _qemu_opts(text: str) -> List[str]:
    """QemuOpts' split: ',' separates, ',,' is a literal comma."""
    parts, current, i = [], "", 0
    while i < len(text):
        if text[i] == ",":
            if text[i + 1:i + 2] == ",":
                current += ","
                i += 2
                continue
            parts.append(current)
            current = ""
        else:
            current += text[i]
        i += 1
    return parts + [current]


def parse_name(text: str) -> GuestName:
    where = "-name %s" % text
    name = GuestName()
    for i, part in enumerate(_qemu_opts(text)):
        if not part:
            continue
        key, eq, value = part.partition("=")
        if not eq:
            if i == 0:
                key, value = "guest", part          # QEMU's implied first key
            else:
                raise OptionValueError("%s: Invalid parameter '%s'" % (where, key))
        if key == "guest":
            name.guest = value
        elif key == "process":
            name.process = value
        elif key == "debug-threads":
            if value not in ON + OFF:
                raise OptionValueError("%s: Parameter 'debug-threads' expects 'on' or 'off'" % where)
            name.debug_threads = value in ON
        else:
            raise OptionValueError("%s: Invalid parameter '%s'" % (where, key))
    return name


@dataclass
class Record:
    """-record [size=SIZE][,file=FILE]: history's memory bound (None: the
    default) and the file the recording is written to at the end (None: none)."""
    size: Optional[int] = None
    file: Optional[str] = None


#: the least memory -record size= may give history
MIN_RECORD_SIZE = 1 << 20


def parse_record(text: str) -> Record:
    where = "-record %s" % text if text else "-record"
    setting = Record()
    for key, value in _pairs(text, "-record"):
        if key == "size":
            setting.size = _mib_size(value, "%s: invalid size %r (e.g. size=512M)" % (where, value))
            if setting.size < MIN_RECORD_SIZE:
                raise OptionValueError("%s: size must be at least 1M" % where)
        elif key == "file":
            if not value:
                raise OptionValueError("%s: file= needs a path" % where)
            setting.file = value
        else:
            raise OptionValueError("%s: unknown option '%s' (size=SIZE, file=FILE)" % (where, key))
    return setting


def parse_replay(text: str) -> str:
    """-replay file=FILE: the file."""
    path = None
    for key, value in _pairs(text, "-replay", implied="file"):
        if key == "file" and value:
            path = value
        else:
            raise OptionValueError("-replay %s: expected file=FILE" % text)
    if path is None:
        raise OptionValueError("-replay needs file=FILE")
    return path


def split_accel(text: str) -> str:
    """-accel tcg[,...,thread=single|multi]: the spec without thread=, which
    only says how QEMU maps vCPUs onto host threads (emud runs the harts in
    turns on one thread: what the guest sees is the same)."""
    kept = []
    for part in text.split(","):
        key, _, value = part.partition("=")
        if key == "thread":
            if value not in ("single", "multi"):
                raise OptionValueError("-accel %s: thread must be single or multi" % text)
        else:
            kept.append(part)
    return ",".join(kept)


def parse_loader(spec: str) -> Dict[str, Any]:
    parts = spec.split(",")
    if parts[0] != "loader":
        raise OptionValueError("-device %s: only the generic loader (loader,file=F,addr=A) is available" % parts[0])
    opts = dict(p.partition("=")[::2] for p in parts[1:])
    unknown = set(opts) - {"file", "addr", "cpu-num", "force-raw"}
    if unknown:
        raise OptionValueError("-device %s: unknown loader option '%s'" % (spec, sorted(unknown)[0]))
    if "file" not in opts or "addr" not in opts:
        raise OptionValueError("-device loader needs file= and addr= (raw binaries only)")
    try:
        addr = int(opts["addr"], 0)
        cpu = int(opts["cpu-num"], 0) if "cpu-num" in opts else None
    except ValueError:
        raise OptionValueError("-device %s: addr and cpu-num must be numbers" % spec) from None
    return {"file": opts["file"], "addr": addr, "cpu": cpu}


def parse_semihosting(enabled: bool, config_text: Optional[str]) -> Optional[Dict[str, Any]]:
    if not enabled and not config_text:
        return None
    config: Dict[str, Any] = {"enable": True, "allow_host_files": False, "cmdline": ""}
    argv: List[str] = []
    for part in (config_text or "").split(","):
        if not part:
            continue
        key, _, value = part.partition("=")
        if key == "enable":
            config["enable"] = value in ON + ("1",)
        elif key in ("host-files", "allow-host-files"):
            config["allow_host_files"] = value in ON + ("1",)
        elif key == "arg":
            argv.append(value)
        elif key in ("target", "chardev", "userspace"):
            pass
        else:
            raise OptionValueError("-semihosting-config: unknown option %r" % key)
    config["cmdline"] = " ".join(argv)
    return config if config["enable"] else None


def check_no_network(values: List[str], option: str, machine: str = "virt",
                     lacks: str = "has no network card") -> None:
    """-net none / -nic none: QEMU's way of saying "no network card"; emud
    has no network to give (``lacks``: what the machine lacks, in its words)."""
    for value in values:
        if value.split(",")[0] != "none":
            raise OptionValueError("%s %s: emud's %s %s (only %s none)" % (option, value, machine, lacks, option))


def parse_rtc(text: str) -> str:
    """-rtc base=utc[,clock=host|vm][,driftfix=none|slew]: the RTC's clock
    source ('host' or 'vm'). Other bases (localtime, a date) are refused."""
    clock = "host"
    for key, value in _pairs(text, "-rtc"):
        if key == "base":
            if value != "utc":
                raise OptionValueError("-rtc %s: only base=utc is supported (the RTC starts at the host's UTC time)"
                                       % text)
        elif key == "clock":
            if value not in ("host", "vm", "rt"):
                raise OptionValueError("-rtc %s: clock must be host, rt or vm" % text)
            clock = "vm" if value == "vm" else "host"
        elif key == "driftfix":
            if value not in ("none", "slew"):
                raise OptionValueError("-rtc %s: driftfix must be none or slew" % text)
        else:
            raise OptionValueError("-rtc %s: unknown option '%s'" % (text, key))
    return clock


#: drivers QEMU's virt has and emud leaves out: a -global for them changes nothing emud runs
ABSENT_DRIVERS = ("virtio-mmio", "virtio-blk-device", "virtio-net-device", "virtio-rng-device",
                  "cfi.pflash01", "fw_cfg", "fw_cfg_mem", "gpex-pcihost")


def check_globals(values: List[str]) -> None:
    for text in values:
        driver, dot, rest = text.partition(".")
        if not dot or "=" not in rest:
            raise OptionValueError("-global %s: expected DRIVER.PROPERTY=VALUE" % text)
        if driver not in ABSENT_DRIVERS:
            raise OptionValueError("-global %s: emud's '%s' has no settable properties" % (text, driver))
