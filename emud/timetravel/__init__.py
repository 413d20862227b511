"""Time travel: record a run, replay it exactly, run it backwards.

The machine (emud/machines/base.py) implements the DebugTarget methods
(``record_start``, ``record_stop``, ``record_info``, ``history_position``,
``reverse_resume``, ``seek``, ``export_recording``, ``start_replay``: see
emud/debug.py for what each does) with the parts here, one job each:

* recorder.py: the engine of one machine: positions, modes (record at the
  present, replay behind it), the deterministic vCPU loop, checkpoints taken
  and restored, silent replays, divergence reports;
* scheduler.py: the fixed turns in which several harts run;
* inputlog.py: everything from outside, stamped with its position;
* history.py: checkpoints holding only the RAM written since the one before,
  within a size limit;
* reverse.py: reverse-step and reverse-continue;
* recording.py: a whole recording as plain data, and replaying one;
* measure.py: what recording costs, and how fast reverse execution answers.

Events: ``HISTORY`` with data {"what": "record-start" | "record-stop" |
"begin" (a reverse run reached the start of history) | "present" (a replay
reached the present) | "divergence" (with "pc", "detail") | "truncated" (a
write in the past made it the present) | "trimmed" (the size limit let the
oldest history go), "position": ...}; the event's icount is the machine's.
"""
from __future__ import annotations

from .history import DEFAULT_SIZE_LIMIT
from .inputlog import Divergence
from .recorder import DEFAULT_ICOUNT_SHIFT, DEFAULT_INTERVAL, TimeTravel

__all__ = ["DEFAULT_ICOUNT_SHIFT", "DEFAULT_INTERVAL", "DEFAULT_SIZE_LIMIT", "Divergence", "TimeTravel"]
