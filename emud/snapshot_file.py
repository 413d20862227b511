"""The snapshot file format: data only, checked before anything is built from it.

Snapshot files travel (people attach them to bug reports), so reading one
must never run code: no pickle, only JSON and raw bytes, with every length
bounded before it is trusted. Layout (integers little-endian)::

    0   8  magic  b"EMUDSNAP"
    8   4  format version (u32): FORMAT_VERSION; version 1 was a (gzip'd) pickle
    12  4  CRC-32 of the payload
    16  8  payload length (u64): the rest of the file
    24  .. payload: one zlib stream of
           u32 JSON length, JSON (UTF-8) {"meta": {...}, "state": TREE}, page data

TREE is the machine's state (nested dicts and lists of int, str, bool, None,
float, bytes) with the two kinds JSON lacks wrapped: a dict is
``{"d": {key: TREE}}``, a bytes value ``{"b": [length, start, [page, ...]]}``:
only its non-zero 4 KiB pages are stored, back to back in the page data from
``start`` (RAM is mostly zeros: 128 MiB of it is a few hundred KiB here).
Tuples become lists and bytearrays bytes; the reader puts the machine's own
types back (:mod:`emud.snapshot_check`).

:func:`encode`/:func:`decode` are pure; every problem with a file is one
:class:`SnapshotFileError` whose message is a line for the user.
"""
from __future__ import annotations

import json
import re
import struct
import zlib
from typing import Any, Callable, Dict, List, Optional, Tuple

MAGIC = b"EMUDSNAP"
FORMAT_VERSION = 2
HEADER = struct.Struct("<8sIIQ")
PAGE = 4096
MAX_DEPTH = 32                    # the state nests ~6 deep (x2 with the wrappers)
MAX_JSON = 4 << 20                # 8 harts and every device are ~50 KiB of JSON

# what the metadata holds, and its types (checked on load, field by field)
META_FIELDS = {"name": str, "icount": int, "pc": int, "created": (int, float), "machine": str, "arch": str,
               "harts": int, "memory": list, "emud": str}


class SnapshotFileError(ValueError):
    """The file cannot be loaded; the message says why in a few words."""


# -- writing --------------------------------------------------------------------------------------

def encode(meta: Dict[str, Any], state: Any) -> bytes:
    pages: List[bytes] = []
    used = [0]

    def tree(v: Any) -> Any:
        if isinstance(v, dict):
            return {"d": {str(k): tree(x) for k, x in v.items()}}
        if isinstance(v, (list, tuple)):
            return [tree(x) for x in v]
        if isinstance(v, (bytes, bytearray, memoryview)):
            v = bytes(v)
            start, kept = used[0], []
            for p in range(0, len(v), PAGE):
                chunk = v[p:p + PAGE]
                if chunk.count(0) != len(chunk):
                    kept.append(p // PAGE)
                    pages.append(chunk)
                    used[0] += len(chunk)
            return {"b": [len(v), start, kept]}
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        raise TypeError("snapshot state holds a %s" % type(v).__name__)   # a bug in a save_state()

    doc = json.dumps({"meta": meta, "state": tree(state)}, separators=(",", ":"), allow_nan=False).encode()
    # level 1: fast, and the zero pages are already gone
    payload = zlib.compress(b"".join([struct.pack("<I", len(doc)), doc] + pages), 1)
    return HEADER.pack(MAGIC, FORMAT_VERSION, zlib.crc32(payload), len(payload)) + payload


def write(path: str, meta: Dict[str, Any], state: Any) -> None:
    data = encode(meta, state)
    with open(path, "wb") as f:
        f.write(data)


# -- reading --------------------------------------------------------------------------------------

MetaCheck = Optional[Callable[[Dict[str, Any]], None]]


def read(path: str, max_state_bytes: int, check_meta: MetaCheck = None) -> Tuple[Dict[str, Any], Any]:
    """:func:`decode` the file at PATH; OSError if it cannot be read. A file
    longer than such a snapshot can be is not read past that length."""
    with open(path, "rb") as f:
        data = f.read(HEADER.size + _body_limit(max_state_bytes) + 1024)
    return decode(data, max_state_bytes, check_meta)


def decode(data: bytes, max_state_bytes: int, check_meta: MetaCheck = None) -> Tuple[Dict[str, Any], Any]:
    """Check and decode a snapshot file's bytes into (meta, state).
    MAX_STATE_BYTES bounds the bytes values (RAM) it may hold: what this
    machine's own state holds. CHECK_META(meta) may raise SnapshotFileError
    before the state is built (a snapshot of another machine says so)."""
    _check_not_pickle(data)
    doc, body, start = unframe(data, MAGIC, FORMAT_VERSION, MAX_JSON, _body_limit(max_state_bytes),
                               "an emud snapshot", "snapshot")
    meta = _check_meta(doc["meta"])
    if check_meta is not None:
        check_meta(meta)
    state = _Untree(body, start, max_state_bytes).tree(doc["state"], "state")
    return meta, state


def unframe(data: bytes, magic: bytes, version: int, max_json: int, limit: int, what: str, noun: str,
            other_magic: Callable[[bytes], Optional[str]] = lambda magic: None,
            version_label: str = "format version") -> Tuple[Dict[str, Any], bytes, int]:
    """The framing snapshot and record files share (magic, version, CRC-32,
    one zlib stream of a JSON document {"meta", "state"} and the bytes it
    points into), checked: (document, body, where its bytes start).
    ``what`` names the file in "not ..." ("an emud snapshot"), ``noun`` its
    content ("snapshot"); ``other_magic(magic)`` may name another kind of
    file. SnapshotFileError otherwise."""
    if len(data) < HEADER.size:
        raise SnapshotFileError("truncated" if data and magic.startswith(data[:len(magic)]) else "not " + what)
    got, got_version, crc, length = HEADER.unpack_from(data)
    if got != magic:
        raise SnapshotFileError(other_magic(got) or "not " + what)
    if got_version != version:
        raise SnapshotFileError("%s %d, this emud reads %d" % (version_label, got_version, version))
    payload = data[HEADER.size:]
    if len(payload) < length:
        raise SnapshotFileError("truncated")
    if len(payload) > length:
        raise SnapshotFileError("corrupt (%d bytes after the end of the %s)" % (len(payload) - length, noun))
    if zlib.crc32(payload) != crc:
        raise SnapshotFileError("checksum mismatch")
    body = _inflate(payload, limit)
    if len(body) < 4:
        raise SnapshotFileError("corrupt (no metadata)")
    (doc_len,) = struct.unpack_from("<I", body)
    if doc_len > min(max_json, len(body) - 4):
        raise SnapshotFileError("corrupt (metadata length %d)" % doc_len)
    doc = _parse_json(body[4:4 + doc_len])
    if not isinstance(doc, dict) or set(doc) != {"meta", "state"}:
        raise SnapshotFileError("corrupt (no metadata)")
    return doc, body, 4 + doc_len


def _body_limit(max_state_bytes: int) -> int:
    return 4 + MAX_JSON + max_state_bytes


def _check_not_pickle(data: bytes) -> None:
    """Refuse the files emud wrote before (gzip'd or plain pickles) by name:
    unpickling runs whatever code the file carries."""
    head = data[:2]
    if head == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data[:4096], 2)
        except zlib.error:
            raise SnapshotFileError("not an emud snapshot")
    if head[:1] == b"\x80":       # the PROTO opcode every pickle of protocol 2+ starts with
        raise SnapshotFileError("an old pickle-based snapshot file: not loaded, pickles can run code; "
                                "re-create it with this emud")
    if data[:2] == b"\x1f\x8b":
        raise SnapshotFileError("not an emud snapshot")


def _inflate(payload: bytes, limit: int) -> bytes:
    d = zlib.decompressobj()
    try:
        out = d.decompress(payload, limit + 1)
        if len(out) > limit or d.unconsumed_tail:
            raise SnapshotFileError("corrupt (larger than this machine's state can be)")
        if not d.eof:
            raise SnapshotFileError("truncated")
    except zlib.error:
        raise SnapshotFileError("corrupt (bad compressed data)")
    if d.unused_data:
        raise SnapshotFileError("corrupt (data after the compressed state)")
    return out


_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(rb"[\[\]{}]")
MAX_DIGITS = 40                   # 2**128 has 39
_LONG_NUMBER = re.compile(rb"[0-9]{%d}" % (MAX_DIGITS + 1))


def _parse_json(text: bytes) -> Any:
    bare = _STRING.sub(b"", text)
    if _LONG_NUMBER.search(bare):       # Python < 3.11 converts a huge integer in quadratic time
        raise SnapshotFileError("corrupt (a number of more than %d digits)" % MAX_DIGITS)
    depth = 0
    for b in _BRACKET.findall(bare):    # bounded before json's recursion sees it
        depth += 1 if b in b"[{" else -1
        if depth > MAX_DEPTH:
            raise SnapshotFileError("corrupt (nested deeper than %d)" % MAX_DEPTH)

    def no_constant(name: str) -> Any:
        raise ValueError(name)
    try:
        return json.loads(text.decode("utf-8"), parse_constant=no_constant)
    except (ValueError, RecursionError):   # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise SnapshotFileError("corrupt (bad metadata)")


def _check_meta(meta: Any) -> Dict[str, Any]:
    if not isinstance(meta, dict):
        raise SnapshotFileError("corrupt (bad metadata)")
    for key, kind in META_FIELDS.items():
        v = meta.get(key)
        if not isinstance(v, kind) or isinstance(v, bool):
            raise SnapshotFileError("corrupt (metadata %r: %s)" % (key, "missing" if v is None else "wrong type"))
    if meta["created"] != meta["created"] or abs(meta["created"]) > 1e12:   # NaN, inf, not a date
        raise SnapshotFileError("corrupt (metadata 'created')")
    for r in meta["memory"]:
        if not (isinstance(r, list) and len(r) == 2 and all(type(x) is int for x in r)):
            raise SnapshotFileError("corrupt (metadata 'memory')")
    return meta


class _Untree:
    """TREE (parsed JSON) -> plain state, checking each wrapper and bounding
    the bytes it makes (a small file must not claim a terabyte of zeros)."""

    def __init__(self, body: bytes, data_start: int, budget: int) -> None:
        self.data = memoryview(body)[data_start:]
        self.budget = budget

    def tree(self, v: Any, where: str) -> Any:
        if isinstance(v, list):
            return [self.tree(x, "%s[%d]" % (where, i)) for i, x in enumerate(v)]
        if not isinstance(v, dict):
            return v
        if len(v) == 1 and isinstance(v.get("d"), dict):
            return {k: self.tree(x, "%s.%s" % (where, k)) for k, x in v["d"].items()}
        if len(v) == 1 and "b" in v:
            return self.blob(v["b"], where)
        raise SnapshotFileError("corrupt (%s: not a value)" % where)

    def blob(self, spec: Any, where: str) -> bytes:
        ok = (isinstance(spec, list) and len(spec) == 3 and all(type(x) is int and x >= 0 for x in spec[:2])
              and isinstance(spec[2], list) and all(type(p) is int for p in spec[2]))
        if not ok:
            raise SnapshotFileError("corrupt (%s: bad bytes)" % where)
        length, start, pages = spec
        if length > self.budget:
            raise SnapshotFileError("corrupt (%s: %d bytes, more than this machine's state)" % (where, length))
        self.budget -= length
        out = bytearray(length)
        pos, last = start, -1
        for p in pages:
            if not last < p < (length + PAGE - 1) // PAGE:
                raise SnapshotFileError("corrupt (%s: bad page list)" % where)
            size = min(PAGE, length - p * PAGE)
            if pos + size > len(self.data):
                raise SnapshotFileError("corrupt (%s: page data missing)" % where)
            out[p * PAGE:p * PAGE + size] = self.data[pos:pos + size]
            pos, last = pos + size, p
        return bytes(out)
