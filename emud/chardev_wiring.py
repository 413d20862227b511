"""Which character device each frontend uses: QEMU's -chardev / chardev:ID
wiring and its defaults (vl.c), read off the command line.

Frontends: the UART (``-serial``), monitor consoles (``-monitor``,
``-mon mode=readline``), QMP servers (``-qmp``, ``-mon mode=control``) and
the gdb stub (``-gdb``, ``-s``). Each names its backend inline
(``tcp::4444,server,nowait``) or as ``chardev:ID`` of a ``-chardev ...,id=ID``
(``-mon`` always does). As in QEMU, one chardev serves one frontend unless
it has ``mux=on``; emud shares a muxed terminal (stdio) between the UART and
one readline monitor, switched with Ctrl-A c: what ``-nographic`` sets up
as ``mon:stdio``.

Defaults as QEMU 7.2's (vl.c, qemu_create_default_devices): a default
serial port unless -serial is given, a default monitor unless -monitor,
-mon, -qmp or a ``mon:`` -serial is, neither with -nodefaults. With
-nographic both defaults together are ``mon:stdio`` (the UART and the
monitor behind Ctrl-A c); otherwise the default serial port is plain
``stdio`` and the default monitor a console of its own on stdio (so
``-nographic -serial file:F`` has the monitor on the terminal, and
``-nographic -serial stdio`` is refused: two frontends on stdio). Without
-nographic QEMU puts them on its display's virtual consoles; emud, with no
display, gives the UART stdio and the monitor nothing. ``-gdb stdio`` (an
emud extension: QEMU refuses the clash) takes the terminal from both.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from .chardev import ChardevError, ChardevSpec, parse_chardev

CHARDEV_PREFIX = "chardev:"
#: backends the consoles and QMP can serve on
SESSION_KINDS = ("stdio", "tcp", "unix", "null", "none")


class WiringError(ValueError):
    """A frontend/backend combination that cannot work: one line for the user."""


@dataclass
class Wiring:
    serial: ChardevSpec
    muxed_monitor: bool = False             # a readline monitor behind the serial terminal's Ctrl-A c
    monitors: List[str] = field(default_factory=list)   # console specs, as serve_monitor takes them
    default_monitor: bool = False           # monitors[0] is -nographic's monitor on stdio
    qmps: List[str] = field(default_factory=list)
    gdb: Optional[str] = None               # as serve_gdb takes it
    # the second and later -serial (UART 1, 2, ... of a board with several); None: none
    extra_serials: List[Optional[ChardevSpec]] = field(default_factory=list)

    def on_stdio(self) -> List[str]:
        """The frontends (other than the mux) that read the terminal."""
        users = ["-serial"] if self.serial.kind == "stdio" else []
        users += ["-serial"] * sum(1 for s in self.extra_serials if s is not None and s.kind == "stdio")
        users += ["-monitor"] * sum(1 for m in self.monitors if _kind(m) == "stdio")
        users += ["-qmp"] * sum(1 for q in self.qmps if _kind(q) == "stdio")
        if self.gdb == "stdio":
            users.append("-gdb")
        return users


def _kind(spec: str) -> str:
    return parse_chardev(spec).kind


class _Registry:
    """The -chardev definitions and who uses each."""

    def __init__(self, definitions: List[str]) -> None:
        self.specs: Dict[str, ChardevSpec] = {}
        self.users: Dict[str, List[str]] = {}
        for text in definitions:
            try:
                spec = parse_chardev(text)
            except ChardevError as e:
                raise WiringError("-chardev %s: %s" % (text, e)) from None
            if "," not in text or spec.id is None:
                raise WiringError("-chardev %s: needs id=ID (BACKEND,id=ID,...)" % text)
            if spec.id in self.specs:
                raise WiringError("-chardev %s: duplicate chardev id '%s'" % (text, spec.id))
            self.specs[spec.id] = spec
            self.users[spec.id] = []

    def use(self, ident: str, user: str, option: str) -> ChardevSpec:
        spec = self.specs.get(ident)
        if spec is None:
            raise WiringError("%s: no chardev '%s' (define it with -chardev BACKEND,id=%s)" % (option, ident, ident))
        taken = self.users[ident]
        if taken and not spec.mux:
            raise WiringError("%s: chardev '%s' is in use by %s (give its -chardev mux=on to share it)"
                              % (option, ident, taken[0]))
        taken.append(user)
        return spec


def _spec(text: str, option: str) -> ChardevSpec:
    try:
        return parse_chardev(text)
    except ChardevError as e:
        raise WiringError("%s %s: %s" % (option, text, e)) from None


def _parse_mon(text: str) -> Dict[str, str]:
    opts: Dict[str, str] = {}
    for part in text.split(","):
        key, eq, value = part.partition("=")
        if not eq and part == text.split(",")[0]:
            key, value = "chardev", part        # QEMU's implied first key
        if key not in ("chardev", "mode", "pretty"):
            raise WiringError("-mon %s: unknown option '%s' (chardev=ID[,mode=readline|control])" % (text, key))
        opts[key] = value
    if not opts.get("chardev"):
        raise WiringError("-mon %s: needs chardev=ID" % text)
    if opts.get("mode", "readline") not in ("readline", "control"):
        raise WiringError("-mon %s: mode must be readline or control" % text)
    return opts


def _defaults(args) -> Tuple[bool, bool]:
    """QEMU's default_serial and default_monitor for this command line."""
    if args.nodefaults or (args.gdb or "").split(",")[0] == "stdio":
        return False, False
    default_monitor = not (args.monitors or args.mons or args.qmps
                           or any(s.startswith("mon:") for s in args.serials))
    return not args.serials, default_monitor


def wire(args, machine: str = "virt", uarts: int = 1) -> Wiring:
    """The frontends' backends for a parsed command line (emud.options), on
    a machine with ``uarts`` UARTs (each -serial in turn is the next one's, as
    QEMU's serial_hd(i))."""
    registry = _Registry(args.chardevs)
    default_serial, default_monitor = _defaults(args)
    serial = _serial(args, registry, default_serial, default_monitor, machine, uarts)
    wiring = Wiring(serial)
    wiring.extra_serials = [_extra_serial(text, registry, i) for i, text in enumerate(args.serials[1:uarts], 1)]
    if args.nographic and default_monitor and not default_serial:
        wiring.monitors.append("stdio")
        wiring.default_monitor = True

    def session(text: str, user: str, option: str, shown: Optional[str] = None) -> Optional[str]:
        """A console/QMP spec: a chardev's own text, or the inline spec."""
        if text.startswith(CHARDEV_PREFIX):
            ident = text[len(CHARDEV_PREFIX):]
            where = "%s %s" % (option, shown or text)
            spec = registry.use(ident, user, where)
            if spec is serial and user == "a monitor":
                return _mux_onto_serial(wiring, spec, where)
            if len(registry.users[ident]) > 1:
                raise WiringError("%s: emud shares a muxed chardev only between the serial port and "
                                  "one readline monitor" % where)
            return _session_spec(spec, where)
        if text == "none":
            return None
        return _session_spec(_spec(text, option), "%s %s" % (option, text))

    for text in args.monitors:
        spec = session(text, "a monitor", "-monitor")
        if spec:
            wiring.monitors.append(spec)
    for text in args.mons:
        opts = _parse_mon(text)
        control = opts.get("mode") == "control"
        spec = session(CHARDEV_PREFIX + opts["chardev"], "QMP" if control else "a monitor", "-mon", text)
        if spec and control:
            wiring.qmps.append(spec)
        elif spec:
            wiring.monitors.append(spec)
    for text in args.qmps:
        spec = session(text, "QMP", "-qmp")
        if spec:
            wiring.qmps.append(spec)
    wiring.gdb = _gdb(args, registry)
    users = wiring.on_stdio()
    if len(users) > 1 and wiring.default_monitor:
        raise WiringError("-serial %s: cannot use stdio by multiple character devices (with -nographic the "
                          "monitor is on stdio unless -monitor, -mon or -qmp puts it elsewhere: add -monitor "
                          "none, or use -serial mon:stdio)" % args.serials[0])
    if len(users) > 1:
        raise WiringError("%s and %s cannot both use stdio (put one elsewhere, e.g. -serial none, "
                          "or share the terminal: -chardev stdio,id=con,mux=on -serial chardev:con "
                          "-mon chardev=con)" % (users[0], users[1]))
    return wiring


#: QEMU's MAX_SERIAL_PORTS: a fifth -serial is refused whatever the board
MAX_SERIAL_PORTS = 4


def _serial(args, registry: _Registry, default_serial: bool, default_monitor: bool,
            machine: str = "virt", uarts: int = 1) -> ChardevSpec:
    serials = [s for s in args.serials]
    if len(serials) > MAX_SERIAL_PORTS:
        raise WiringError("-serial %s: too many serial ports (QEMU's limit: %d)" % (serials[MAX_SERIAL_PORTS],
                                                                                   MAX_SERIAL_PORTS))
    unwired = [s for s in serials[uarts:] if s not in ("none", "null")]
    if unwired:
        has = ("one UART (the first -serial is it)" if uarts == 1
               else "%d UARTs (the first %d -serial are theirs)" % (uarts, uarts))
        raise WiringError("-serial %s: emud's %s has %s" % (unwired[0], machine, has))
    if serials:
        text = serials[0]
    elif not default_serial:
        text = "none"
    elif args.nographic and default_monitor:
        text = "mon:stdio"          # the terminal, with the Ctrl-A keys and the monitor on Ctrl-A c
    else:
        text = "stdio"
    if text.startswith(CHARDEV_PREFIX):
        return registry.use(text[len(CHARDEV_PREFIX):], "the serial port", "-serial " + text)
    return _spec(text, "-serial")


def _extra_serial(text: str, registry: _Registry, index: int) -> Optional[ChardevSpec]:
    """UART ``index``'s -serial: a plain backend or chardev:ID (QEMU's mon:
    and the monitor's Ctrl-A keys belong to the first serial port only)."""
    if text == "none":
        return None
    if text.startswith(CHARDEV_PREFIX):
        return registry.use(text[len(CHARDEV_PREFIX):], "serial port %d" % index, "-serial " + text)
    if text.startswith("mon:"):
        raise WiringError("-serial %s: emud puts the monitor only on the first serial port" % text)
    return _spec(text, "-serial")


def _mux_onto_serial(wiring: Wiring, spec: ChardevSpec, where: str) -> Optional[str]:
    if spec.kind != "stdio":
        raise WiringError("%s: emud shares only a stdio chardev between the serial port and a "
                          "monitor (chardev '%s' is %s)" % (where, spec.id, spec.kind))
    if wiring.muxed_monitor:
        raise WiringError("%s: chardev '%s' already has a monitor" % (where, spec.id))
    wiring.muxed_monitor = True
    return None


def _session_spec(spec: ChardevSpec, where: str) -> str:
    if spec.kind not in SESSION_KINDS:
        raise WiringError("%s: a monitor or QMP on a %s chardev is not supported (stdio, socket, null)"
                          % (where, spec.kind))
    if spec.logfile:
        raise WiringError("%s: logfile= is supported on the serial port's chardev only" % where)
    return spec.text


def _gdb(args, registry: _Registry) -> Optional[str]:
    text = args.gdb or ("tcp::1234" if args.gdb_default else None)
    if text is None or text == "none":
        return None
    if not text.startswith(CHARDEV_PREFIX):
        return text
    where = "-gdb " + text
    spec = registry.use(text[len(CHARDEV_PREFIX):], "the gdb stub", where)
    if spec.kind == "stdio":
        return "stdio"
    if spec.kind in ("tcp", "unix") and spec.server:
        return "tcp:%s:%d" % (spec.host or "", spec.port) if spec.kind == "tcp" else "unix:" + spec.path
    raise WiringError("%s: the gdb stub serves on stdio or a listening socket (server=on), not on chardev '%s'"
                      % (where, spec.id))
