"""The stdio chardev (issue 9, finding 2): the guest's output leaves emud when
the guest writes it, not when a helper thread next gets the GIL (a vCPU that
never sleeps held it off for hundreds of milliseconds: output in bursts), and
a reader that stops reading stalls neither the guest nor anyone else sharing
the pipe or terminal."""
from __future__ import annotations

import os

import trio

from emud.chardev import StdioChardev, parse_chardev
from emud.nonblocking_out import NonBlockingWriter


def read_now(fd: int) -> bytes:
    os.set_blocking(fd, False)
    try:
        return os.read(fd, 1 << 20)
    except BlockingIOError:
        return b""


async def test_output_is_in_the_pipe_as_soon_as_the_guest_writes_it():
    r, w = os.pipe()
    null = os.open(os.devnull, os.O_RDONLY)
    chr_ = StdioChardev(parse_chardev("stdio"), stdin_fd=null, stdout_fd=w)
    try:
        async with trio.open_nursery() as nursery:
            await nursery.start(chr_.run)
            for i in range(3):
                # no checkpoint in between: a vCPU in the middle of its quantum
                chr_.write(b"line %d\n" % i)
                assert read_now(r) == b"line %d\n" % i
            nursery.cancel_scope.cancel()
    finally:
        for fd in (r, w, null):
            os.close(fd)


async def test_a_reader_that_stops_reading_stalls_nobody_and_loses_nothing_within_the_bound():
    r, w = os.pipe()
    null = os.open(os.devnull, os.O_RDONLY)
    chr_ = StdioChardev(parse_chardev("stdio"), stdin_fd=null, stdout_fd=w)
    data = bytes(range(256)) * 1024           # 256 KiB: more than the pipe holds
    got = bytearray()
    try:
        async with trio.open_nursery() as nursery:
            await nursery.start(chr_.run)
            for i in range(0, len(data), 1000):
                chr_.write(data[i:i + 1000])  # returns at once with the pipe full
            # the pipe stays blocking for the others writing to it (the shell)
            assert os.get_blocking(w)
            assert chr_.statistics()["dropped"] == 0
            with trio.fail_after(30):
                while len(got) < len(data):
                    got += read_now(r)
                    await trio.sleep(0.001)
            nursery.cancel_scope.cancel()
    finally:
        for fd in (r, w, null):
            os.close(fd)
    assert bytes(got) == data


def test_writer_on_a_regular_file_and_a_vanished_reader(tmp_path):
    with open(tmp_path / "out", "wb") as f:
        wr = NonBlockingWriter(f.fileno())
        assert not wr.can_block and wr.write_some(b"abc") == 3
        wr.close()
    assert (tmp_path / "out").read_bytes() == b"abc"
    r, w = os.pipe()
    wr = NonBlockingWriter(w)
    os.close(r)
    assert wr.write_some(b"lost") == 4 and wr.gone      # EPIPE: dropped, not raised
    wr.close()
    os.close(w)
