"""The input log: everything from outside the guest, stamped with the
history position at which the guest saw it.

Two kinds of entries, in two lists with a cursor each:

* **pushed** inputs arrive from outside at a position of their own choosing
  (bytes on a UART, a debugger's write to a register or memory, a user's
  reset, a snapshot load). The scheduler applies them between quanta, before
  anything else runs at that position, so a replay ends each quantum exactly
  at the next pushed entry's position (:meth:`InputLog.next_push_position`).
  An input given at a stop right after an interrupt entry (a breakpoint on a
  handler's first instruction: nothing retired since the position began) is
  preceded by an "entry" entry naming the hart, so that the replay takes the
  interrupt before applying it, as the user saw it.
* **pulled** inputs are asked for by the guest itself while an instruction
  runs (the host's wall clock read by the goldfish RTC, a semihosting call
  that touches the host). They are consumed in order; in replay the guest's
  next request must be of the kind logged, else the replay diverged. Their
  position is recorded for the reader (a position inside a translation block
  is only exact at its boundaries).

Entries are plain data (lists of ints, strs, bytes, dicts with str keys), so
a recording can be written by the snapshot file format (snapshot_file.py).
"""
from __future__ import annotations

from typing import Any, List, Optional, Tuple


class Divergence(Exception):
    """A replay does not match its log; the message is one line for the user."""


class InputLog:
    def __init__(self) -> None:
        self.pushed: List[Tuple[int, str, Any]] = []   # (position, kind, data)
        self.pulled: List[Tuple[int, str, Any]] = []
        self.push_cursor = 0     # replay: the next pushed entry to apply
        self.pull_cursor = 0     # replay: the next pulled entry to hand out

    # -- recording ---------------------------------------------------------------
    def push(self, position: int, kind: str, data: Any) -> None:
        self.pushed.append((position, kind, data))
        self.push_cursor = len(self.pushed)

    def pull_record(self, position: int, kind: str, data: Any) -> None:
        self.pulled.append((position, kind, data))
        self.pull_cursor = len(self.pulled)

    # -- replaying -------------------------------------------------------------------
    def next_push_position(self) -> Optional[int]:
        if self.push_cursor < len(self.pushed):
            return self.pushed[self.push_cursor][0]
        return None

    def due_pushes(self, position: int) -> List[Tuple[int, str, Any]]:
        """The pushed entries to apply now (at ``position``), cursor moved past
        them. An entry left behind (its position already passed) is a divergence."""
        out = []
        while self.push_cursor < len(self.pushed):
            entry = self.pushed[self.push_cursor]
            if entry[0] > position:
                break
            if entry[0] < position:
                raise Divergence("input %s logged at instruction %d was passed (now at %d)"
                                 % (entry[1], entry[0], position))
            out.append(entry)
            self.push_cursor += 1
        return out

    def pull_replay(self, kind: str, position: int) -> Any:
        """The logged answer to the guest's next request of ``kind``."""
        if self.pull_cursor >= len(self.pulled):
            raise Divergence("the guest asks for %s at instruction %d, which the recording does not have"
                             % (kind, position))
        entry = self.pulled[self.pull_cursor]
        if entry[1] != kind:
            raise Divergence("the guest asks for %s at instruction %d, the recording has %s (at %d)"
                             % (kind, position, entry[1], entry[0]))
        self.pull_cursor += 1
        return entry[2]

    def replaying(self) -> bool:
        """Entries remain ahead of the cursors."""
        return self.push_cursor < len(self.pushed) or self.pull_cursor < len(self.pulled)

    # -- history ------------------------------------------------------------------------
    def cursors(self) -> Tuple[int, int]:
        return self.push_cursor, self.pull_cursor

    def seek(self, cursors: Tuple[int, int]) -> None:
        self.push_cursor, self.pull_cursor = cursors

    def truncate(self) -> None:
        """Forget everything ahead of the cursors (a new present begins here)."""
        del self.pushed[self.push_cursor:]
        del self.pulled[self.pull_cursor:]

    def drop_before(self, cursors: Tuple[int, int]) -> Tuple[int, int]:
        """Forget entries before ``cursors`` (history that was let go);
        returns how many of each went, for re-basing saved cursors."""
        push, pull = cursors
        del self.pushed[:push]
        del self.pulled[:pull]
        self.push_cursor -= push
        self.pull_cursor -= pull
        return push, pull

    def nbytes(self) -> int:
        """About what the log holds in memory (for the history's size limit)."""
        total = 0
        for entries in (self.pushed, self.pulled):
            for _, _, data in entries:
                total += 64 + _size(data)
        return total

    def export(self) -> dict:
        return {"pushed": [list(e) for e in self.pushed], "pulled": [list(e) for e in self.pulled]}

    @classmethod
    def from_export(cls, data: dict) -> "InputLog":
        log = cls()
        log.pushed = [(int(p), str(k), d) for p, k, d in data.get("pushed", [])]
        log.pulled = [(int(p), str(k), d) for p, k, d in data.get("pulled", [])]
        return log


def _size(data: Any) -> int:
    if isinstance(data, (bytes, bytearray)):
        return len(data)
    if isinstance(data, dict):
        return sum(_size(v) for v in data.values())
    if isinstance(data, (list, tuple)):
        return sum(_size(v) for v in data)
    return 8
