"""A gdb stub's target description (qXfer:features:read), for tests.

The registers a stub serves, their sizes and numbers, come from its
target.xml (``<xi:include>``d annexes followed), as gdb reads them; the
``g`` packet is then decoded from that list instead of a per-arch guess.
Reading target.xml also matters on QEMU: its ARM stub drops the FPA
placeholders (16-24) from ``g`` only once the client has read it.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Dict, List, Optional

from tests.support.rsp import RSPClient, RSPError


@dataclass(frozen=True)
class Register:
    name: str
    bits: int
    regnum: int
    feature: str


@dataclass(frozen=True)
class TargetDescription:
    architecture: str
    registers: List[Register]

    def by_name(self) -> Dict[str, Register]:
        return {r.name: r for r in self.registers}

    def ordered(self) -> List[Register]:
        return sorted(self.registers, key=lambda r: r.regnum)


def read_annex(client: RSPClient, annex: str) -> str:
    out, offset = [], 0
    while True:
        reply = client.command(f"qXfer:features:read:{annex}:{offset:x},800")
        if not reply or reply[0] not in "ml":
            raise RSPError(f"qXfer:features:read:{annex} failed: {reply!r}")
        out.append(reply[1:])
        offset += len(reply) - 1
        if reply[0] == "l":
            return "".join(out)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse(client: RSPClient, annex: str = "target.xml", state: Optional[dict] = None) -> TargetDescription:
    """Walk the document and its includes in order; a reg without regnum
    follows the previous one (gdb's rule)."""
    state = state if state is not None else {"next": 0, "regs": [], "arch": ""}
    # QEMU writes <xi:include> without declaring the xi prefix
    root = ET.fromstring(read_annex(client, annex).replace("<xi:include", "<include"))
    feature = root.get("name", "") if _local(root.tag) == "feature" else ""
    for el in root.iter():
        tag = _local(el.tag)
        if tag == "architecture" and el.text:
            state["arch"] = el.text.strip()
        elif tag == "include":
            parse(client, el.get("href"), state)
        elif tag == "feature":
            feature = el.get("name", feature)
        elif tag == "reg":
            regnum = int(el.get("regnum", state["next"]))
            state["regs"].append(Register(el.get("name"), int(el.get("bitsize")), regnum, feature))
            state["next"] = regnum + 1
    return TargetDescription(state["arch"], state["regs"])


def decode_g(reply: str, tdesc: TargetDescription) -> Dict[str, int]:
    """The registers the ``g`` reply holds: the description's in regnum
    order, as far as the reply goes (stubs put only the core ones there)."""
    values, pos = {}, 0
    for reg in tdesc.ordered():
        width = reg.bits // 4
        if pos + width > len(reply):
            break
        chunk = reply[pos:pos + width]
        values[reg.name] = None if "x" in chunk else int.from_bytes(bytes.fromhex(chunk), "little")
        pos += width
    return values


def read_g(client: RSPClient, tdesc: TargetDescription) -> Dict[str, int]:
    reply = client.command("g")
    if reply.startswith("E"):
        raise RSPError(f"g failed: {reply}")
    return decode_g(reply, tdesc)


def read_p(client: RSPClient, reg: Register) -> int:
    reply = client.command(f"p{reg.regnum:x}")
    if not reply or reply.startswith("E"):
        raise RSPError(f"p{reg.regnum:x} ({reg.name}) failed: {reply!r}")
    return int.from_bytes(bytes.fromhex(reply), "little")
