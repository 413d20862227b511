"""A register-level oracle: the same script of MMIO accesses run against
qemu-system-arm's board (through its qtest protocol, the CPU held with -S)
and against emud's board built with no CPU (emud/machines/cortexm_board.py).

A script is a list of ``("w", addr, size, value)`` and ``("r", addr, size)``.
The transcript of a run is one line per access ("OK" for a write, the value
for a read), preceded by the NVIC inputs that changed level during it
("IRQ raise N" / "IRQ lower N"), which is what QEMU's irq_intercept_in
reports. Debian's QEMU has no qtest accelerator, so guest time stands still:
timers are compared at their programmed state, and their counting is tested
against emud's clock separately.
"""
from __future__ import annotations

import shutil
import subprocess
from typing import Callable, List, Optional, Sequence, Tuple

QEMU_ARM = "qemu-system-arm"
_SUFFIX = {1: "b", 2: "w", 4: "l"}
Access = Tuple


def have_qemu_arm() -> bool:
    return shutil.which(QEMU_ARM) is not None


def W(addr: int, value: int, size: int = 4) -> Access:
    return ("w", addr, size, value)


def R(addr: int, size: int = 4) -> Access:
    return ("r", addr, size)


def qemu_transcript(machine: str, script: Sequence[Access], ignore_irqs: Sequence[int] = (),
                    cpu_path: str = "/machine/armv7m", extra_args: Sequence[str] = (),
                    before_exit: Optional[Callable[[], None]] = None) -> List[str]:
    """``cpu_path``: the armv7m container in QEMU's QOM tree (its inputs are the NVIC's).
    ``before_exit`` runs once QEMU has answered the whole script, before it is killed
    (to ask its monitor something, given ``extra_args`` that open one)."""
    lines = ["irq_intercept_in " + cpu_path]
    for op in script:
        if op[0] == "w":
            lines.append("write%s 0x%x 0x%x" % (_SUFFIX[op[2]], op[1], op[3]))
        else:
            lines.append("read%s 0x%x" % (_SUFFIX[op[2]], op[1]))
    # QEMU does not end at the end of its input: read the replies, then kill it
    proc = subprocess.Popen([QEMU_ARM, "-M", machine, "-display", "none", "-S", "-qtest", "stdio",
                             "-serial", "null", "-nodefaults"]
                            + (list(extra_args) or ["-monitor", "none"]),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    replies: List[str] = []
    try:
        proc.stdin.write(("\n".join(lines) + "\n").encode())
        proc.stdin.flush()
        answered = 0
        while answered < len(lines):
            line = proc.stdout.readline().decode()
            if not line:
                break
            replies.append(line.strip())
            answered += not line.startswith("IRQ")
        if before_exit is not None:
            before_exit()
    finally:
        proc.kill()
        proc.wait()
    assert replies and replies[0] == "OK", replies[:3]
    result = []
    for reply in replies[1:]:
        if reply.startswith("IRQ "):
            if int(reply.split()[2]) not in ignore_irqs:
                result.append(reply)
        elif reply.startswith("OK 0x"):
            result.append("0x%x" % int(reply[3:], 16))
        else:
            result.append(reply)
    return result


def emud_transcript(build_board: Callable, script: Sequence[Access]) -> List[str]:
    """``build_board(host, irq, nmi)`` builds the board on a fresh host."""
    from emud.machines.cortexm_board import BareHost
    from emud.memory import BusError

    out: List[str] = []

    def irq(n: int):
        def sink(level: int) -> None:
            out.append("IRQ %s %d" % ("raise" if level else "lower", n))
        return sink

    host = BareHost()
    build_board(host, irq, lambda level: None)
    for op in script:
        try:
            if op[0] == "w":
                host.bus.write(op[1], op[2], op[3])
                out.append("OK")
            else:
                out.append("0x%x" % host.bus.read(op[1], op[2]))
        except BusError:
            # qtest's accesses to nothing read 0 and write nowhere
            out.append("OK" if op[0] == "w" else "0x0")
    return out
