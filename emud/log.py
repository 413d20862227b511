"""The `-d ITEMS` / `-D FILE` debug log, as QEMU's qemu_log.

Items: in_asm (guest code of each new TB), op (IR), op_opt (IR after the
optimizer), out_asm (generated Python), exec (each TB executed), int (every
trap and interrupt taken), nochain (turn TB chaining off; not a log stream),
guest_errors (the guest's invalid accesses, as QEMU's LOG_GUEST_ERROR: a
device reports a bad register access through ``Device.guest_error``, the bus
an access it refuses, both with QEMU 7.2's message texts), unimp (accesses to
an unimplemented-device placeholder, as QEMU's LOG_UNIMP).
"""
from __future__ import annotations

import sys
from typing import IO, Iterable, List, Optional

LOG_ITEMS = {
    "in_asm": "show guest code of each translated block (capstone)",
    "op": "show the IR ops of each translated block",
    "op_opt": "show the IR after optimization",
    "out_asm": "show the generated Python source of each block",
    "exec": "show each translated block as it executes",
    "int": "show traps and interrupts",
    "nochain": "do not chain translated blocks",
    "guest_errors": "log when the guest OS does something invalid (eg accessing a non-existent register)",
    "unimp": "log unimplemented functionality",
}


def items_help() -> str:
    """`-d help`: the items in QEMU's listing format."""
    lines = ["Log items (comma separated):"]
    lines += ["%-15s %s" % (name, text) for name, text in LOG_ITEMS.items()]
    return "\n".join(lines) + "\n"


class LogError(ValueError):
    pass


def parse_items(spec: str) -> List[str]:
    """'in_asm,op' -> ['in_asm', 'op']; 'none' -> []. Unknown items are errors."""
    if spec.strip() in ("", "none"):
        return []
    items = [s.strip() for s in spec.split(",") if s.strip()]
    bad = [i for i in items if i not in LOG_ITEMS]
    if bad:
        raise LogError("unknown log item %r (valid: %s; -d help lists them)" % (bad[0], ", ".join(sorted(LOG_ITEMS))))
    return items


class Log:
    def __init__(self, items: Iterable[str] = (), path: Optional[str] = None) -> None:
        self.items = set(items)
        self._path = path
        self._file: Optional[IO[str]] = None
        self._mode = "w"     # as QEMU: a new run starts the file afresh; a reopen appends

    def enabled(self, item: str) -> bool:
        return item in self.items

    def set_items(self, items: Iterable[str]) -> None:
        self.items = set(items)

    def write(self, text: str) -> None:
        if self._file is None:
            self._file = open(self._path, self._mode, encoding="utf-8") if self._path else sys.stderr
            self._mode = "a"
        self._file.write(text)
        if self._file is not sys.stderr:
            self._file.flush()

    def close(self) -> None:
        if self._file is not None and self._file is not sys.stderr:
            self._file.close()
        self._file = None
