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
"replay-start" (start_replay; with "end") | "begin" (a reverse run reached
the start of history) | "present" (a replay reached the present) |
"divergence" (with "pc", "detail") | "truncated" (an input in the past made
it the present; with "end") | "trimmed" (the size limit let the oldest
history go; with "begin"), "position": ...}; the event's icount is the
machine's instruction count.

While recording, gdb's single steps take pending interrupts as free runs do
(QEMU's stub offers only SSTEP_ENABLE in replay mode, for the same reason):
a step is done when its hart retired an instruction.
"""
from __future__ import annotations

from .history import DEFAULT_SIZE_LIMIT
from .inputlog import Divergence
from .recorder import DEFAULT_ICOUNT_SHIFT, DEFAULT_INTERVAL, TimeTravel

__all__ = ["DEFAULT_ICOUNT_SHIFT", "DEFAULT_INTERVAL", "DEFAULT_SIZE_LIMIT", "Divergence", "TimeTravel"]
