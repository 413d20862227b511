"""Is a state read from a snapshot file one this machine can load?

The machines' ``restore_snapshot``/``load_state`` trust their input (it is
normally their own ``save_snapshot()``). A file may come from anyone, so
before anything is restored its state is held against the machine's own
current state, the *template*, in one generic walk (new state keys need no
code here):

- a dict has the template's keys, a list its length, a ``bytes`` value
  (RAM, ROM) its length; a ``bytearray`` (a FIFO) may be any length up to
  MAX_BUFFER; bools stay bools, ints ints, floats numbers;
- a string equals the template's (strings name things: the machine);
- an int fits in 64 bits (signed or unsigned), ``xlen`` equals the
  template's, and in a hart's state (a dict with ``xlen``) the pc and the
  integer registers ``x`` are XLEN-bit words;
- None may stand for an int where the template has None, or under a key of
  OPTIONAL_KEYS (state that is sometimes unset);

and the template's types come back (tuples, bytearrays), so what is restored
looks exactly like what the machine saves. Problems are one
:class:`~emud.snapshot_file.SnapshotFileError` line.
"""
from __future__ import annotations

from typing import Any, Dict, List

from emud.snapshot_file import SnapshotFileError

OPTIONAL_KEYS = frozenset({"exit_code", "counter_frozen", "timeout_deadline"})
WORD_KEYS = frozenset({"pc", "x"})
MAX_BUFFER = 64 << 10
INT_MIN, INT_END = -(1 << 63), 1 << 64
_KIND = {bool: "a bool", int: "an int", float: "a number"}


def describe(target: Any) -> Dict[str, Any]:
    """What a snapshot file records about the machine it came from."""
    return {"machine": getattr(target, "name", None) or type(target).__name__, "arch": target.arch_name,
            "harts": len(target.hart_ids()),
            "memory": [[r.start, r.size] for r in target.memory_map() if r.kind in ("ram", "rom")]}


def check_machine(meta: Dict[str, Any], target: Any) -> None:
    """Refuse, with a message that says how, a snapshot of another machine."""
    here = describe(target)
    if meta["machine"] != here["machine"]:
        raise SnapshotFileError("a snapshot of machine '%s', this is '%s'" % (meta["machine"], here["machine"]))
    if meta["arch"] != here["arch"]:
        raise SnapshotFileError("a snapshot of %s harts, this machine has %s ones" % (meta["arch"], here["arch"]))
    if meta["harts"] != here["harts"]:
        raise SnapshotFileError("a snapshot of %d harts, this machine has %d" % (meta["harts"], here["harts"]))
    if meta["memory"] != here["memory"]:
        raise SnapshotFileError("memory is %s in the snapshot, %s here"
                                % (_layout(meta["memory"]), _layout(here["memory"])))


def _layout(ranges: List[List[int]]) -> str:
    return ", ".join("%s at 0x%x" % (_size(size), start) for start, size in ranges) or "nothing"


def _size(n: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return "%d %s" % (n >> shift, unit)
    return "%d bytes" % n


def byte_budget(template: Any) -> int:
    """The most bytes a state shaped like TEMPLATE can hold (decode's bound)."""
    if isinstance(template, dict):
        return sum(byte_budget(v) for v in template.values())
    if isinstance(template, (list, tuple)):
        return sum(byte_budget(v) for v in template)
    if isinstance(template, bytearray):
        return MAX_BUFFER
    return len(template) if isinstance(template, bytes) else 0


def conform(state: Any, template: Any) -> Any:
    """STATE checked against TEMPLATE, rebuilt with the template's types."""
    return _conform(state, template, "state", None, False)


def _mismatch(where: str, what: str) -> SnapshotFileError:
    return SnapshotFileError("does not fit this machine (%s: %s)" % (where, what))


def _short(v: Any) -> str:
    text = repr(v)        # a name or value from the file, so bounded
    return text if len(text) <= 40 else text[:37] + "..."


def _conform(v: Any, t: Any, where: str, word_bits: Any, optional: bool) -> Any:
    if isinstance(t, dict):
        if not isinstance(v, dict):
            raise _mismatch(where, "not a dict")
        missing, extra = [k for k in t if k not in v], [k for k in v if k not in t]
        if missing or extra:
            raise _mismatch(where, "missing %s" % _short(missing[0]) if missing else "unknown %s" % _short(extra[0]))
        bits = t["xlen"] if type(t.get("xlen")) is int else None      # a hart's state
        if bits is not None and v["xlen"] != bits:
            raise _mismatch(where + ".xlen", "%s, this machine has %d" % (_short(v["xlen"]), bits))
        return {k: _conform(v[k], t[k], "%s.%s" % (where, k), bits if k in WORD_KEYS else None,
                            k in OPTIONAL_KEYS or (optional and not isinstance(t[k], (dict, list, tuple))))
                for k in t}
    if isinstance(t, (list, tuple)):
        if not isinstance(v, list) or len(v) != len(t):
            raise _mismatch(where, "%s entries, this machine has %d" % (len(v) if isinstance(v, list) else "no",
                                                                          len(t)))
        return type(t)(_conform(x, y, "%s[%d]" % (where, i), word_bits, optional)
                       for i, (x, y) in enumerate(zip(v, t)))
    if isinstance(t, (bytes, bytearray)):
        if not isinstance(v, bytes):
            raise _mismatch(where, "not bytes")
        if isinstance(t, bytearray):
            if len(v) > MAX_BUFFER:
                raise _mismatch(where, "%d bytes" % len(v))
            return bytearray(v)
        if len(v) != len(t):
            raise _mismatch(where, "%d bytes, this machine has %d" % (len(v), len(t)))
        return v
    if isinstance(t, str):
        if v != t:
            raise _mismatch(where, "%s, this machine has %r" % (_short(v), t))
        return v
    if v is None and (t is None or optional):
        return v
    if isinstance(t, bool) or isinstance(v, bool):
        if type(v) is not type(t) and t is not None:
            raise _mismatch(where, "not %s" % _KIND[type(t)])
        return v
    if isinstance(v, float) and (t is None or isinstance(t, float)):
        return v
    if type(v) is not int or not (t is None or type(t) in (int, float)):
        raise _mismatch(where, "not %s" % _KIND.get(type(t), "a number"))
    if not INT_MIN <= v < INT_END or (word_bits is not None and not 0 <= v < 1 << word_bits):
        raise _mismatch(where, "%d is out of range" % v)
    return float(v) if isinstance(t, float) else v

