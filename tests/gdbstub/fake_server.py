"""``python -m tests.gdbstub.fake_server SPEC [HARTS]``: the real stub serving
the in-memory fake target, so tests can check what real gdb makes of the
protocol (target description, threads, stop replies) without the machine."""
from __future__ import annotations

import sys

import trio

from emud.gdbstub import serve_gdb
from tests.gdbstub.fake_target import FakeTarget


async def main(spec: str, harts: int) -> None:
    target = FakeTarget(harts=harts)
    target.write_memory(0x80000000, bytes.fromhex("13000000") * 64)   # nops, for x/i
    async with trio.open_nursery() as nursery:
        await nursery.start(target.run)
        server = await nursery.start(lambda task_status: serve_gdb(target, spec, task_status=task_status))
        print("listening %s" % (server.address,), flush=True)


if __name__ == "__main__":
    trio.run(main, sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1)
