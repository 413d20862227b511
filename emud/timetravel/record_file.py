"""Record files (``-record file=F``, ``-replay file=F``): a recording as data
only, checked field by field before a machine replays it.

A recording (``DebugTarget.export_recording``) travels as the snapshot files
do (emud/snapshot_file.py): no pickle, nothing that can carry code, every
length bounded before it is trusted. Layout (integers little-endian)::

    0   8  magic  b"EMUDRREC"
    8   4  format version (u32): FORMAT_VERSION
    12  4  CRC-32 of the payload
    16  8  payload length (u64): the rest of the file
    24  .. payload: one zlib stream of
           u32 JSON length, JSON {"meta": META, "state": TREE}, page data

TREE is the recording in snapshot_file's encoding (dicts and bytes wrapped,
only the non-zero 4 KiB pages of a bytes value stored). META says what the
recording is of, so that a replay against another program or machine is
refused before anything is built from the file:

* ``program``: the loaded images, each ``{"name", "build_id", "sha256"}``
  (the ELF's GNU build id when it has one; always a SHA-256 of the loaded
  segments, addresses included, which is what the guest runs);
* ``options``: the command line's options that change the guest (machine and
  its properties, -cpu, -smp, -m, -icount, -semihosting, -rtc, -no-reboot),
  as parsed values;
* ``machine``, ``arch``, ``harts``, ``begin``, ``end``, ``emud``, ``created``.

:func:`read` checks the header, META against this run (:func:`check_meta`:
one line naming what differs), then the recording's structure against the
machine (:func:`check_recording`): a file that is truncated, corrupt,
hostile or of another version is one :class:`RecordFileError` line.
"""
from __future__ import annotations

import hashlib
import io
import os
import struct
import tempfile
import time
import zlib
from typing import Any, Dict, List, Optional, Sequence

from .. import snapshot_check, snapshot_file
from ..snapshot_file import SnapshotFileError

MAGIC = b"EMUDRREC"
FORMAT_VERSION = 1
HEADER = struct.Struct("<8sIIQ")
#: JSON of a recording: the machine's small state and the input log (a long
#: run's log of UART input and host-clock reads)
MAX_JSON = 64 << 20
#: bytes a recording's inputs may hold beyond its initial RAM (memory
#: writes, snapshot loads replayed as inputs)
MAX_INPUT_BYTES = 256 << 20
MAX_NAME = 256
#: the largest value of a position, a deadline or a register, as stored
MAX_INT = (1 << 64) - 1

META_FIELDS = {"emud": str, "created": (int, float), "machine": str, "arch": str, "harts": int,
               "begin": int, "end": int, "program": list, "options": dict}


class RecordFileError(ValueError):
    """The file cannot be replayed here; the message is one line."""


# -- what a run is --------------------------------------------------------------------------------------

def image_identity(image: Any) -> Dict[str, Any]:
    """A loaded image's identity: its name, GNU build id (None without one)
    and the SHA-256 of its loaded segments (address, size, bytes)."""
    h = hashlib.sha256()
    for seg in sorted(image.segments, key=lambda s: s.addr):
        h.update(struct.pack("<QQQ", seg.addr, len(seg.data), seg.memsz))
        h.update(seg.data)
    return {"name": os.path.basename(image.path), "build_id": build_id(image.path), "sha256": h.hexdigest()}


def build_id(path: str) -> Optional[str]:
    """The ELF's GNU build id (hex), or None (no note, not an ELF)."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile
    try:
        with open(path, "rb") as f:
            data = f.read()
        if data[:4] != b"\x7fELF":
            return None
        for section in ELFFile(io.BytesIO(data)).iter_sections():
            if section["sh_type"] != "SHT_NOTE":
                continue
            for note in section.iter_notes():
                if note["n_type"] == "NT_GNU_BUILD_ID":
                    return str(note["n_desc"])
    except (OSError, ELFError, struct.error, ValueError, LookupError, UnicodeDecodeError):
        return None
    return None


def run_options(args: Any) -> Dict[str, Any]:
    """The options of a parsed command line that change what the guest does,
    as parsed values (spelling differences do not count: -m 128M = -m 128)."""
    from .. import option_values as ov
    name, props = ov.parse_machine(args.machine or "virt")
    props.pop("dumpdtb", None)
    icount = ov.parse_icount(args.icount) if args.icount else None
    semihosting = ov.parse_semihosting(args.semihosting, args.semihosting_config)
    options = {
        "machine": name, "machine properties": {k: props[k] for k in sorted(props)},
        "cpu": args.cpu, "smp": ov.parse_smp(args.smp or "1"), "m": ov.parse_size(args.memory or "128M"),
        "icount": None if icount is None else {"shift": "auto" if icount.adaptive else icount.shift,
                                               "sleep": icount.sleep},
        "semihosting": semihosting, "rtc": ov.parse_rtc(args.rtc) if args.rtc else "host",
        "no-reboot": bool(args.no_reboot),
    }
    if _has_default_nic(name):
        # a board whose default NIC the guest can see (lm3s6965evb's ssys shows its MAC)
        options["default NIC"] = not (args.nets or args.nics or args.nodefaults)
    return options


def _has_default_nic(machine_name: str) -> bool:
    from ..machines import registry
    try:
        return hasattr(registry.machine_class(machine_name), "nic_properties")
    except registry.UnknownMachine:
        return False


def describe(machine: Any, options: Dict[str, Any], images: Sequence[Any], recording: Dict[str, Any]) -> Dict[str, Any]:
    return {"emud": _version(), "created": time.time(), "machine": recording["machine"], "arch": machine.arch_name,
            "harts": recording["harts"], "begin": recording["begin"], "end": recording["end"],
            "program": [image_identity(i) for i in images], "options": options}


def _version() -> str:
    from .. import __version__
    return __version__


# -- writing -------------------------------------------------------------------------------------------------

def encode(meta: Dict[str, Any], recording: Dict[str, Any]) -> bytes:
    snap = snapshot_file.encode(meta, recording)     # the same payload, under our own header
    payload = snap[snapshot_file.HEADER.size:]
    return HEADER.pack(MAGIC, FORMAT_VERSION, zlib.crc32(payload), len(payload)) + payload


def check_writable(path: str) -> None:
    """Refuse, before a run starts, a path the recording could not be
    written to at its end (OSError with the reason)."""
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise IsADirectoryError(21, "Is a directory", path)
    fd, tmp = tempfile.mkstemp(prefix=".emud-record-", dir=directory)
    os.close(fd)
    os.unlink(tmp)


def write(path: str, meta: Dict[str, Any], recording: Dict[str, Any]) -> int:
    """Write atomically (a temporary file renamed over ``path``): a reader
    never sees half a file. Returns the file's size."""
    data = encode(meta, recording)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".emud-record-", dir=directory)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)      # as open() would have made it, not mkstemp's 0600
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return len(data)


# -- reading -------------------------------------------------------------------------------------------------

def budget(machine: Any) -> int:
    """The most bytes a recording for ``machine`` may hold: its RAM (the
    initial state) and the inputs' bound."""
    return sum(size for _, size in _canonical_ram(machine)) + MAX_INPUT_BYTES


def read(path: str, machine: Any, options: Dict[str, Any], images: Sequence[Any]) -> Dict[str, Any]:
    """The recording in ``path``, checked against this run; RecordFileError
    (or OSError) otherwise. The machine is not touched."""
    limit = budget(machine)
    with open(path, "rb") as f:
        data = f.read(HEADER.size + 4 + MAX_JSON + limit + 1024)
    _, recording = decode(data, limit, lambda meta: check_meta(meta, machine, options, images))
    return check_recording(recording, machine)


def decode(data: bytes, max_bytes: int, check: Any = None) -> Any:
    """(meta, recording) from a record file's bytes; ``check(meta)`` may
    refuse before the recording is built."""
    try:
        doc, body, start = snapshot_file.unframe(
            data, MAGIC, FORMAT_VERSION, MAX_JSON, 4 + MAX_JSON + max_bytes, "an emud record file", "recording",
            other_magic=_other_magic, version_label="record format version")
        meta = _check_meta_fields(doc["meta"])
        if check is not None:
            check(meta)
        recording = snapshot_file._Untree(body, start, max_bytes).tree(doc["state"], "recording")
    except SnapshotFileError as e:
        raise RecordFileError(str(e)) from None
    return meta, recording


def _other_magic(magic: bytes) -> Optional[str]:
    if magic == snapshot_file.MAGIC:
        return "a snapshot file, not a record file (load it with loadvm file=)"
    return None


def _check_meta_fields(meta: Any) -> Dict[str, Any]:
    if not isinstance(meta, dict):
        raise RecordFileError("corrupt (bad metadata)")
    for key, kind in META_FIELDS.items():
        v = meta.get(key)
        if not isinstance(v, kind) or isinstance(v, bool):
            raise RecordFileError("corrupt (metadata %r: %s)" % (key, "missing" if v is None else "wrong type"))
    for key in ("harts", "begin", "end"):
        if not 0 <= meta[key] <= MAX_INT:
            raise RecordFileError("corrupt (metadata %r)" % key)
    for image in meta["program"]:
        if not (isinstance(image, dict) and set(image) == {"name", "build_id", "sha256"}
                and isinstance(image["name"], str) and isinstance(image["sha256"], str)
                and (image["build_id"] is None or isinstance(image["build_id"], str))):
            raise RecordFileError("corrupt (metadata 'program')")
    return meta


def check_meta(meta: Dict[str, Any], machine: Any, options: Dict[str, Any], images: Sequence[Any]) -> None:
    """Refuse a recording of another program or machine, in one line naming
    what differs."""
    recorded = meta["options"]
    for key in options:
        if recorded.get(key, "(absent)") != options[key]:
            raise RecordFileError("recorded with %s, this run has %s"
                                  % (_option_text(key, recorded.get(key)), _option_text(key, options[key])))
    for key in recorded:
        if key not in options:
            raise RecordFileError("recorded with option %s, which this emud does not know" % _short(key))
    here = [image_identity(i) for i in images]
    theirs = meta["program"]
    if len(theirs) != len(here):
        raise RecordFileError("recorded with %d program image(s), this run loads %d" % (len(theirs), len(here)))
    for mine, rec in zip(here, theirs):
        if rec["build_id"] and mine["build_id"] and rec["build_id"] != mine["build_id"]:
            raise RecordFileError("recorded with another program: %s has build id %s, %s has %s"
                                  % (_short(rec["name"]), _short(rec["build_id"]), mine["name"], mine["build_id"]))
        if rec["sha256"] != mine["sha256"]:
            raise RecordFileError("recorded with another program: %s (loaded segments sha256 %s...) is not %s "
                                  "(%s...)" % (_short(rec["name"]), _short(rec["sha256"])[:16], mine["name"],
                                              mine["sha256"][:16]))
    if meta["machine"] != machine.name or meta["harts"] != len(machine.hart_ids()):
        raise RecordFileError("recorded on %s with %d hart(s), this is %s with %d"
                              % (_short(meta["machine"]), meta["harts"], machine.name, len(machine.hart_ids())))
    if meta["arch"] != machine.arch_name:
        raise RecordFileError("recorded on %s harts, this machine has %s ones" % (_short(meta["arch"]), machine.arch_name))


_OPTION_NAMES = {"machine": "-M", "machine properties": "-M properties", "cpu": "-cpu", "smp": "-smp", "m": "-m",
                 "icount": "-icount", "semihosting": "-semihosting", "rtc": "-rtc clock", "no-reboot": "-no-reboot",
                 "default NIC": "default NIC"}


def _option_text(key: str, value: Any) -> str:
    name = _OPTION_NAMES.get(key, key)
    if value is None or value is False:
        return "no %s" % name
    if value is True:
        return name
    if key == "m" and isinstance(value, int) and value % (1 << 20) == 0:
        return "-m %dM" % (value >> 20)
    if isinstance(value, dict):
        value = ",".join("%s=%s" % (k, _on_off(v)) for k, v in sorted(value.items()) if v != "") or "(none)"
    return "%s %s" % (name, _short(value))


def _on_off(v: Any) -> Any:
    return ("on" if v else "off") if isinstance(v, bool) else v


def _short(v: Any) -> str:
    text = v if isinstance(v, str) else repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


# -- the recording's structure --------------------------------------------------------------------------------

def _canonical_ram(machine: Any) -> List[Any]:
    """(base, size) of each RAM region at its first mapping (mirrors folded), as a recording holds RAM."""
    seen, out = set(), []
    for base, region in machine.bus.ram_regions():
        if id(region) not in seen:
            seen.add(id(region))
            out.append((base, region.size))
    return out


def _bad(where: str, what: str) -> RecordFileError:
    return RecordFileError("corrupt (%s: %s)" % (where, what))


def _int(v: Any, where: str, lo: int = 0, hi: int = MAX_INT) -> int:
    if type(v) is not int or not lo <= v <= hi:
        raise _bad(where, "not a number in range" if type(v) is int else "not a number")
    return v


def _list(v: Any, where: str, length: Optional[int] = None) -> list:
    if not isinstance(v, list) or (length is not None and len(v) != length):
        raise _bad(where, "not a list" if not isinstance(v, list) else "%d entries, expected %d" % (len(v), length))
    return v


def _dict(v: Any, where: str, keys: Sequence[str]) -> dict:
    if not isinstance(v, dict):
        raise _bad(where, "not a dict")
    missing = [k for k in keys if k not in v]
    if missing:
        raise _bad(where, "missing %r" % missing[0])
    extra = [k for k in v if k not in keys]
    if extra:
        raise _bad(where, "unknown %s" % _short(repr(extra[0])))
    return v


def check_recording(rec: Any, machine: Any) -> Dict[str, Any]:
    """``rec`` checked field by field against what ``machine`` can replay,
    rebuilt with the machine's own types (tuples, bytearrays) where its
    state has them. RecordFileError otherwise."""
    from ..clock import MAX_ICOUNT_SHIFT
    from .recording import FORMAT
    from .scheduler import TURN
    rec = _dict(rec, "recording", ("format", "machine", "harts", "icount_shift", "interval", "turn", "begin",
                                   "end", "initial", "log", "checks"))
    if rec["format"] != FORMAT:
        raise RecordFileError("recording format %s, this emud replays format %d" % (_short(rec["format"]), FORMAT))
    if rec["machine"] != machine.name or rec["harts"] != len(machine.hart_ids()):
        raise RecordFileError("a recording of %s with %s hart(s), this is %s with %d"
                              % (_short(rec["machine"]), _short(rec["harts"]), machine.name, len(machine.hart_ids())))
    _int(rec["icount_shift"], "icount_shift", 0, MAX_ICOUNT_SHIFT)
    _int(rec["interval"], "interval", 1000, 1 << 40)
    if rec["turn"] != TURN:
        raise RecordFileError("the recording's harts took turns of %s instructions, this emud's %d"
                              % (_short(rec["turn"]), TURN))
    begin, end = _int(rec["begin"], "begin"), _int(rec["end"], "end")
    if end < begin:
        raise _bad("end", "before begin")
    out = dict(rec)
    out["initial"] = _check_initial(rec["initial"], machine)
    out["log"] = _check_log(rec["log"], machine, out["initial"], begin, end)
    checks = _list(rec["checks"], "checks")
    last = -1
    for i, c in enumerate(checks):
        where = "checks[%d]" % i
        _list(c, where, 3)
        pos = _int(c[0], where, begin, end)
        if pos <= last:
            raise _bad(where, "out of order")
        _int(c[1], where + ".pc")
        _int(c[2], where + ".digest")
        last = pos
    return out


def _check_initial(initial: Any, machine: Any) -> Dict[str, Any]:
    keys = ("machine", "cpus", "memory", "devices", "clock", "exit_code", "timetravel")
    initial = _dict(initial, "initial", keys)
    template = machine.save_snapshot()
    ram = _canonical_ram(machine)
    memory = _list(initial["memory"], "initial.memory", len(ram))
    checked_memory = []
    for i, ((base, size), entry) in enumerate(zip(ram, memory)):
        where = "initial.memory[%d]" % i
        _list(entry, where, 2)
        if entry[0] != base or not isinstance(entry[1], bytes) or len(entry[1]) != size:
            raise RecordFileError("memory in the recording does not match this machine's (%s)" % where)
        checked_memory.append((base, entry[1]))
    small = {k: initial[k] for k in ("machine", "cpus", "devices", "clock", "exit_code")}
    mine = {k: template[k] for k in ("machine", "cpus", "devices", "clock", "exit_code")}
    try:
        state = snapshot_check.conform(small, mine)
    except SnapshotFileError as e:
        raise RecordFileError("initial state %s" % e) from None
    state["memory"] = checked_memory
    state["timetravel"] = _check_tt_state(initial["timetravel"], machine)
    return state


def _semihosting_template(machine: Any) -> List[Any]:
    services: List[Any] = []
    for cpu in getattr(machine, "cpus", ()):
        service = getattr(cpu, "semihosting", None)
        if service is not None and service not in services:
            services.append(service)
    return [s.save_state() for s in services]


def _check_tt_state(tt: Any, machine: Any) -> Dict[str, Any]:
    tt = _dict(tt, "initial.timetravel", ("turns", "pos_offset", "semihosting", "timers"))
    from .scheduler import TURN
    turns = _list(tt["turns"], "initial.timetravel.turns", 2)
    _int(turns[0], "initial.timetravel.turns", 0, len(machine.hart_ids()) - 1)
    _int(turns[1], "initial.timetravel.turns", -(1 << 62), TURN)
    _int(tt["pos_offset"], "initial.timetravel.pos_offset", -(1 << 63), 1 << 63)
    try:
        semihosting = snapshot_check.conform(tt["semihosting"], _semihosting_template(machine))
    except SnapshotFileError as e:
        raise RecordFileError("semihosting state %s" % e) from None
    timers = _list(tt["timers"], "initial.timetravel.timers")
    for i, t in enumerate(timers):
        where = "initial.timetravel.timers[%d]" % i
        _list(t, where, 2)
        _int(t[0], where, -(1 << 63), 1 << 63)
        if not isinstance(t[1], str) or len(t[1]) > 4096:
            raise _bad(where, "not a timer's name")
    return {"turns": turns, "pos_offset": tt["pos_offset"], "semihosting": semihosting, "timers": timers}


def _check_log(log: Any, machine: Any, initial: Dict[str, Any], begin: int, end: int) -> Dict[str, Any]:
    log = _dict(log, "log", ("pushed", "pulled"))
    harts = machine.hart_ids()
    registers = {r.name for r in machine.registers()}
    for r in machine.registers():
        registers.update(r.aliases)
    uarts = sum(1 for d in machine.devices_by_name.values() if hasattr(d[0], "can_receive") and hasattr(d[0], "receive"))
    snapshot_template = None
    out: Dict[str, Any] = {"pushed": [], "pulled": []}
    for key in ("pushed", "pulled"):
        last = begin
        for i, entry in enumerate(_list(log[key], "log.%s" % key)):
            where = "log.%s[%d]" % (key, i)
            _list(entry, where, 3)
            pos = _int(entry[0], where, begin, end)
            if pos < last:
                raise _bad(where, "out of order")
            last = pos
            kind, data = entry[1], entry[2]
            if key == "pushed":
                if kind == "serial":
                    _list(data, where, 2)
                    _int(data[0], where + " (uart)", 0, max(0, uarts - 1))
                    if not isinstance(data[1], bytes) or len(data[1]) > 1 << 20:
                        raise _bad(where, "not input bytes")
                elif kind == "reg":
                    _list(data, where, 3)
                    if data[0] not in harts or data[1] not in registers:
                        raise _bad(where, "no such hart or register")
                    _int(data[2], where, -(1 << 63), MAX_INT)
                elif kind == "mem":
                    _list(data, where, 2)
                    addr = _int(data[0], where)
                    if not isinstance(data[1], bytes):
                        raise _bad(where, "not bytes")
                    if not any(r.start <= addr and addr + len(data[1]) <= r.start + r.size
                               for r in machine.memory_map()):
                        raise _bad(where, "a write outside this machine's memory")
                elif kind == "reset":
                    _list(data, where, 0)
                elif kind == "entry":
                    _list(data, where, 1)
                    if data[0] not in harts:
                        raise _bad(where, "no such hart")
                elif kind == "snapshot":
                    if snapshot_template is None:
                        snapshot_template = machine.save_snapshot()
                    try:
                        data = snapshot_check.conform(data, snapshot_template)
                    except SnapshotFileError as e:
                        raise RecordFileError("%s: snapshot %s" % (where, e)) from None
                else:
                    raise _bad(where, "unknown input %s" % _short(repr(kind)))
            else:
                if kind == "host-clock":
                    _int(data, where, -(1 << 63), MAX_INT)
                elif kind == "semihosting":
                    _check_semihosting_entry(data, where)
                else:
                    raise _bad(where, "unknown input %s" % _short(repr(kind)))
            out[key].append([pos, kind, data])
    return out


def _check_semihosting_entry(data: Any, where: str) -> None:
    _dict(data, where, ("op", "result", "errno", "writes", "opened", "closed"))
    _int(data["op"], where + ".op")
    _int(data["result"], where + ".result", -(1 << 63), MAX_INT)
    _int(data["errno"], where + ".errno", -(1 << 31), 1 << 31)
    for w in _list(data["writes"], where + ".writes"):
        _list(w, where + ".writes", 2)
        _int(w[0], where + ".writes")
        if not isinstance(w[1], bytes):
            raise _bad(where + ".writes", "not bytes")
    for o in _list(data["opened"], where + ".opened"):
        _list(o, where + ".opened", 2)
        _int(o[0], where + ".opened")
        _int(o[1], where + ".opened", -1, 1 << 31)
    for c in _list(data["closed"], where + ".closed"):
        _int(c, where + ".closed")
