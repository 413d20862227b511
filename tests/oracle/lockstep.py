"""Single-step two gdb stubs side by side and compare every register both
describe after each step. Architecture-neutral: the registers come from each
stub's target description (tests/support/tdesc.py), the few per-arch facts
from tests/oracle/arch.py."""
from __future__ import annotations

from typing import Callable, Dict, List, Optional, Tuple

from tests.oracle.arch import Arch, arch_of
from tests.support import tdesc
from tests.support.qemu import GdbServer
from tests.support.rsp import RSPError


class Stub:
    """A GdbServer plus what its target description says."""

    def __init__(self, server: GdbServer) -> None:
        self.server = server
        self.client = server.client
        self.tdesc = tdesc.parse(server.client)
        self.arch: Arch = arch_of(self.tdesc.architecture)

    def registers(self) -> Dict[str, int]:
        return tdesc.read_g(self.client, self.tdesc)

    def insn_at(self, pc: int) -> bytes:
        head = self.client.read_memory(pc, 2)
        n = self.arch.insn_length(head)
        return head if n == 2 else head + self.client.read_memory(pc + 2, n - 2)

    def step(self) -> Tuple[str, Optional[int]]:
        """("stopped", None) or ("exited", code). QEMU 7.2 may close the
        connection without a W packet when the guest ends the machine."""
        try:
            reply = self.client.step()
        except RSPError:
            try:
                return "exited", self.server.proc.wait(10)
            except Exception:
                raise RSPError(f"step failed and the process did not exit: {self.server.describe()}") from None
        if reply.kind in ("exited", "killed"):
            return "exited", reply.exit_code
        return "stopped", None


def common(a: Dict[str, int], b: Dict[str, int]) -> Tuple[Dict[str, int], Dict[str, int]]:
    """The registers both stubs put in 'g' (emud may describe more)."""
    names = [n for n in a if n in b]
    return {n: a[n] for n in names}, {n: b[n] for n in names}


def describe_diff(step: int, q: Dict[str, int], e: Dict[str, int], history: List[int]) -> str:
    diffs = [f"  {n:>5}: qemu={q[n]:#x} emud={e[n]:#x}" for n in q if q[n] != e[n]]
    trail = " -> ".join(f"{pc:#x}" for pc in history[-8:])
    return f"after step {step} (pcs so far: ... {trail}):\n" + "\n".join(diffs)


Check = Callable[[int, Stub, Stub], None]


def lockstep(ref: Stub, dut: Stub, steps: int, check: Optional[Check] = None) -> int:
    """Step both until ``steps``, an exit, or an instruction that waits for
    an interrupt; compare registers (and whatever ``check`` compares) after
    each step. Returns the number of steps taken."""
    q, e = common(ref.registers(), dut.registers())
    assert q == e, describe_diff(0, q, e, [])
    history = [q["pc"]]
    for n in range(1, steps + 1):
        if ref.arch.waits(ref.insn_at(history[-1])):
            return n - 1
        qs, es = ref.step(), dut.step()
        assert qs == es, f"step {n} at {history[-1]:#x}: qemu {qs}, emud {es}"
        if qs[0] == "exited":
            return n
        q, e = common(ref.registers(), dut.registers())
        history.append(q["pc"])
        assert q == e, describe_diff(n, q, e, history)
        if check is not None:
            check(n, ref, dut)
    return steps
