"""The translation cache on disk (``-accel tcg,tb-cache=DIR``): compiled TB
code kept across processes, so that running the same firmware again skips
the front end, the optimizer, the back end and ``compile()`` for every block
that got hot before (on a cold PyPy that work is about a quarter of a run of
firmware with ~1000 hot blocks).

Pack files of translations, each by its translation-cache key's ``repr``:
the code object (``marshal``), the TB's metadata, and the guest bytes and
breakpoints it was made from; all read when the store opens (a lookup is a
dict lookup), new ones written a pack at a time. Up to
``TranslationCache.VARIANTS`` translations of a key are tried, newest
first. A translation read back is used only where the in-memory cache would
use it: the engine checks that guest memory and breakpoints
still match (``TBEngine._still_matches``). Everything lives under a
directory named by a fingerprint of the runtime (implementation, version,
marshal format) and of emud's translator and guest front ends (their
sources), so code made by another version is never read. Keys that hold
anything but plain values (whose ``repr`` could differ between processes)
are not stored. A pack that cannot be read is skipped; writes go through a
temporary file and a rename."""
from __future__ import annotations

import atexit
import hashlib
import marshal
import os
import platform
import sys
import time
from typing import Any, Dict, List, Tuple

from .backend_py import TBCode
from .tb import CachedTranslation

#: the record layout below; bump it when it changes
FORMAT = 3
_PLAIN = (int, str, bytes, bool, type(None), float)


def fingerprint() -> str:
    """The runtime and the sources of what makes generated code (emud/tcg, emud/cpu)."""
    h = hashlib.sha1()
    h.update(("%s|%s|%d|%d" % (platform.python_implementation(), sys.version, marshal.version, FORMAT)).encode())
    emud_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for sub in ("tcg", "cpu"):
        for dirpath, dirnames, filenames in os.walk(os.path.join(emud_dir, sub)):
            dirnames.sort()
            for name in sorted(filenames):
                if name.endswith(".py"):
                    path = os.path.join(dirpath, name)
                    h.update(os.path.relpath(path, emud_dir).encode())
                    with open(path, "rb") as f:
                        h.update(f.read())
    return h.hexdigest()[:20]


def _plain(value: Any) -> bool:
    if isinstance(value, tuple):
        return all(_plain(v) for v in value)
    return isinstance(value, _PLAIN)


def _record(entry: CachedTranslation) -> tuple:
    code = entry.code
    return (code.code, code.source, code.name, sorted(code.helpers), list(code.exits), dict(code.info),
            list(entry.insns), entry.depth, entry.max_path, entry.blocks, entry.end, list(entry.spans),
            tuple(entry.bps), entry.bp_lo, entry.bp_hi, dict(code.windows))


def _entry(record: tuple) -> CachedTranslation:
    (code_obj, source, name, helpers, exits, info, insns, depth, max_path, blocks, end, spans,
     bps, bp_lo, bp_hi, windows) = record
    code = TBCode(code_obj, source, name, set(helpers), list(exits), dict(info), dict(windows))
    return CachedTranslation(code, [tuple(i) for i in insns], depth, max_path, blocks, end,
                             [tuple(s) for s in spans], tuple(bps), bp_lo, bp_hi)


class DiskStore:
    """Translations by key under ``directory/<fingerprint>/``, in pack files
    (``marshal`` of a list of (key repr, record)): all read when the store
    opens, new translations written in packs of ``PACK`` (and the rest by
    :meth:`flush`, at exit at the latest)."""

    PACK = 128

    def __init__(self, directory: str, variants: int = 4) -> None:
        self.dir = os.path.join(directory, fingerprint())
        os.makedirs(self.dir, exist_ok=True)
        self.variants = variants
        self.records: Dict[str, List[tuple]] = {}     # key repr -> records, newest first
        self.pending: List[Tuple[str, tuple]] = []
        self.loaded = 0         # translations read back
        self.saved = 0
        self._packs = 0
        for name in sorted(os.listdir(self.dir)):
            if name.endswith(".pack"):
                self._read(os.path.join(self.dir, name))
        atexit.register(self.flush)

    def _read(self, path: str) -> None:
        try:
            with open(path, "rb") as f:
                pack = marshal.loads(f.read())
        except (OSError, EOFError, ValueError, TypeError):
            return          # a pack that does not parse is skipped whole
        if not isinstance(pack, list):
            return
        for item in pack:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
                self.records.setdefault(item[0], []).insert(0, item[1])

    def load(self, key: Any) -> List[CachedTranslation]:
        """The translations stored for ``key``, newest first (unchecked)."""
        if not self.records or not _plain(key):
            return []
        out = []
        for record in self.records.get(repr(key), ())[:self.variants]:
            try:
                out.append(_entry(record))
            except (TypeError, ValueError):
                continue
        self.loaded += len(out)
        return out

    def save(self, key: Any, entry: CachedTranslation) -> None:
        if not _plain(key) or any(blob is None for _, blob in entry.spans):
            return
        self.pending.append((repr(key), _record(entry)))
        self.saved += 1
        if len(self.pending) >= self.PACK:
            self.flush()

    def flush(self) -> None:
        """Write what was saved since the last flush as one pack."""
        if not self.pending:
            return
        pack, self.pending = self.pending, []
        self._packs += 1
        path = os.path.join(self.dir, "%d-%d-%d.pack" % (time.time() * 1000, os.getpid(), self._packs))
        tmp = path + ".tmp"
        try:
            data = marshal.dumps(pack)
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except (OSError, ValueError):
            # a full disk or an unmarshallable value: the cache is only an optimisation
            if os.path.exists(tmp):
                os.unlink(tmp)
