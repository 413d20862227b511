"""savevm/loadvm file=: a data-only format, and every bad file refused in
one line with the machine untouched (the real virt machine, not running)."""
from __future__ import annotations

import gzip
import json
import pickle
import struct
import time
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emud import snapshot_file
from emud.machines.virt import VirtMachine
from emud.monitor.context import MonitorContext
from emud.snapshot_check import describe

RAM = 0x80000000
MIB = 1 << 20


def machine(**kw):
    kw.setdefault("ram_size", MIB)
    m = VirtMachine(icount_shift=0, **kw)
    m.write_memory(RAM, b"\x13\x05\x15\x00" * 64)
    m.write_memory(RAM + 0x8000, b"data" * 100)
    m.write_register(0, "a0", 0x1234)
    m.write_register(0, "pc", RAM + 8)
    return m


@pytest.fixture
def m():
    return machine()


@pytest.fixture
def session(m):
    return MonitorContext(m).session()


@pytest.fixture
def saved(session, m, tmp_path):
    """A snapshot file of the machine as the fixture made it, and the machine moved on since."""
    async def make():
        path = tmp_path / "snap.bin"
        await session.run_line("savevm s file=%s" % path)
        m.write_register(0, "a0", 0x5678)
        m.write_register(0, "pc", RAM + 0x40)
        m.write_memory(RAM, b"\xff" * 16)
        return path, path.read_bytes()
    return make


def pack(doc, pages=b"", version=snapshot_file.FORMAT_VERSION):
    """A file in the format, written by hand: what a hostile author can make."""
    text = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    payload = zlib.compress(struct.pack("<I", len(text)) + text + pages)
    return snapshot_file.HEADER.pack(b"EMUDSNAP", version, zlib.crc32(payload), len(payload)) + payload


async def refused(session, m, path, data, words):
    """Loading DATA gives one error line containing WORDS; the machine is as it was."""
    before = m.save_snapshot()
    path.write_bytes(data)
    text = await session.run_text("loadvm file=%s" % path)
    assert text.startswith("Error: ") and text.count("\n") <= 1, text
    assert words in text, text
    assert m.save_snapshot() == before
    return text


def _meta(m, **over):
    meta = {"name": "s", "icount": 0, "pc": RAM, "created": time.time(), "emud": "test"}
    meta.update(describe(m))
    meta.update(over)
    return meta


def the_file(m, mutate=None, **meta):
    """M's snapshot as a file, after MUTATE(state) and with META overriding the metadata."""
    state = m.save_snapshot()
    if mutate:
        mutate(state)
    return snapshot_file.encode(_meta(m, **meta), state)


# -- what works ---------------------------------------------------------------------------------------------------

async def test_round_trip_is_exact(session, m, saved):
    want = m.save_snapshot()
    path, data = await saved()
    assert data[:8] == b"EMUDSNAP"
    assert m.save_snapshot() != want
    d = (await session.run_line("loadvm file=%s" % path))[1]
    assert d["restored_pc"] == RAM + 8 and d["name"] == "s"
    assert m.save_snapshot() == want
    assert m.read_register(0, "a0") == 0x1234 and m.read_memory(RAM, 4) == b"\x13\x05\x15\x00"


async def test_a_128_mib_machine_is_a_small_file_written_fast(tmp_path):
    m = machine(ram_size=128 * MIB, xlen=64, smp=2)
    m.uart.recv_fifo.extend(b"abc")         # a bytearray comes back a bytearray
    want = m.save_snapshot()
    s = MonitorContext(m).session()
    path = tmp_path / "big.bin"
    t = time.monotonic()
    await s.run_line("savevm big file=%s" % path)
    assert time.monotonic() - t < 5 and path.stat().st_size < 64 << 10
    m.write_memory(RAM + 100 * MIB, b"x")
    await s.run_line("loadvm file=%s" % path)
    assert m.save_snapshot() == want and isinstance(m.uart.recv_fifo, bytearray)


# -- files that must not load ------------------------------------------------------------------------------------

class _CreatesAFile:
    """Unpickling this opens (creates) a file: the smallest proof that a pickle runs code."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


@pytest.mark.parametrize("compress", [False, True])
async def test_a_pickle_is_refused_and_never_unpickled(session, m, tmp_path, compress):
    proof = tmp_path / "pwned"
    blob = pickle.dumps({"format": "emud-snapshot", "version": 1, "name": "x", "icount": 0, "pc": 0,
                         "created": 0.0, "state": _CreatesAFile(proof)}, protocol=2)
    text = await refused(session, m, tmp_path / "old.snap", gzip.compress(blob) if compress else blob,
                         "old pickle-based snapshot file")
    assert "re-create it" in text
    assert not proof.exists()


async def test_truncated_anywhere(session, m, saved):
    path, data = await saved()
    cuts = sorted(set([0, 1, 7, 8, 12, 23, 24, 25, 30] + list(range(26, len(data), max(1, len(data) // 40)))
                      + [len(data) - 1]))
    for n in cuts:
        await refused(session, m, path, data[:n], "truncated" if 0 < n else "not an emud snapshot")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
async def test_any_bit_flip_is_refused(session, m, saved, data):
    path, good = await saved()
    bit = data.draw(st.integers(0, 1 << 20)) % (len(good) * 8)     # the length varies with the timestamp
    bad = bytearray(good)
    bad[bit // 8] ^= 1 << (bit % 8)
    text = await refused(session, m, path, bytes(bad), "loadvm: ")
    if bit >= 24 * 8:
        assert "checksum mismatch" in text


async def test_header_problems(session, m, saved):
    path, good = await saved()
    await refused(session, m, path, b"ELF\x7f" + good[4:], "not an emud snapshot")
    await refused(session, m, path, b"", "not an emud snapshot")
    await refused(session, m, path, good[:8] + struct.pack("<I", 3) + good[12:], "format version 3, this emud reads 2")
    await refused(session, m, path, good + b"\0", "corrupt")


@pytest.mark.parametrize("kw, words", [
    ({"smp": 2}, "a snapshot of 2 harts, this machine has 1"),
    ({"xlen": 64}, "a snapshot of riscv:rv64 harts, this machine has riscv:rv32 ones"),
    ({"ram_size": 2 * MIB}, "memory is 60 KiB at 0x1000, 2 MiB at 0x80000000 in the snapshot, "
                            "60 KiB at 0x1000, 1 MiB at 0x80000000 here"),
])
async def test_another_machines_snapshot(session, m, tmp_path, kw, words):
    await refused(session, m, tmp_path / "other.bin", the_file(machine(**kw)), words)


async def test_another_machine_kind(session, m, tmp_path):
    await refused(session, m, tmp_path / "x.bin", the_file(m, machine="sifive_u"),
                  "a snapshot of machine 'sifive_u', this is 'virt'")


def _set(*path_value):
    *path, value = path_value

    def mutate(state):
        node = state
        for k in path[:-1]:
            node = node[k]
        if value is _DELETE:
            del node[path[-1]]
        else:
            node[path[-1]] = value
    return mutate


_DELETE = object()


@pytest.mark.parametrize("mutate, words", [
    (_set("cpus", 0, "x", [1, 2]), "state.cpus[0].x: 2 entries, this machine has 32"),
    (_set("cpus", 0, "x", 5, 1 << 32), "state.cpus[0].x[5]: 4294967296 is out of range"),
    (_set("cpus", 0, "pc", -4), "state.cpus[0].pc: -4 is out of range"),
    (_set("cpus", 0, "pc", None), "state.cpus[0].pc: not an int"),
    (_set("cpus", 0, "mstatus", "0"), "state.cpus[0].mstatus: not an int"),
    (_set("cpus", 0, "mtvec", 1 << 70), "state.cpus[0].mtvec: 1180591620717411303424 is out of range"),
    (_set("cpus", 0, "halted", 1), "state.cpus[0].halted: not a bool"),
    (_set("cpus", 0, "xlen", 64), "state.cpus[0].xlen: 64, this machine has 32"),
    (_set("cpus", 0, "x", {"0": 1}), "state.cpus[0].x: no entries"),
    (_set("devices", "evil", {"read": 1}), "state.devices: unknown 'evil'"),
    (_set("devices", "plic", _DELETE), "state.devices: missing 'plic'"),
    (_set("devices", "serial", "lsr__class__", 1), "state.devices.serial: unknown 'lsr__class__'"),
    (_set("devices", "serial", "recv_fifo", 7), "state.devices.serial.recv_fifo: not bytes"),
    (_set("memory", 1, (RAM, bytes(MIB // 2))), "state.memory[1][1]: 524288 bytes, this machine has 1048576"),
    (_set("machine", "other"), "state.machine: 'other', this machine has 'virt'"),
])
async def test_a_state_that_does_not_fit_is_refused(session, m, tmp_path, mutate, words):
    await refused(session, m, tmp_path / "x.bin", the_file(m, mutate), "does not fit this machine (" + words)


async def test_optional_values_may_be_unset_or_set(session, m, tmp_path):
    path = tmp_path / "ok.bin"
    path.write_bytes(the_file(m, _set("exit_code", 3)))
    await session.run_line("loadvm file=%s" % path)
    assert m.exit_code == 3
    path.write_bytes(the_file(m, _set("exit_code", None)))
    await session.run_line("loadvm file=%s" % path)
    assert m.exit_code is None


async def test_hostile_encodings(session, m, tmp_path):
    path = tmp_path / "h.bin"
    meta = _meta(m)
    nested = b'{"meta": %s, "state": ' % json.dumps(meta).encode() + b"[" * 100000 + b"]" * 100000 + b"}"
    await refused(session, m, path, pack(nested), "nested deeper than")
    await refused(session, m, path, pack(b'{"meta": %s, "state": %s}' % (json.dumps(meta).encode(), b"9" * 100000)),
                  "a number of more than")
    # a few bytes claiming a terabyte of zeros
    await refused(session, m, path, pack({"meta": meta, "state": {"b": [1 << 40, 0, []]}}),
                  "more than this machine's state")
    # page data the file does not have, and pages out of order
    await refused(session, m, path, pack({"meta": meta, "state": {"b": [8192, 0, [0, 1]]}}, b"x" * 4096),
                  "page data missing")
    await refused(session, m, path, pack({"meta": meta, "state": {"b": [8192, 0, [1, 0]]}}, b"x" * 8192),
                  "bad page list")
    await refused(session, m, path, pack({"meta": meta, "state": {"x": 1}}), "state: not a value")
    await refused(session, m, path, pack({"meta": dict(meta, harts="1"), "state": None}), "metadata 'harts'")
    await refused(session, m, path, pack({"meta": meta}), "corrupt (no metadata)")
    await refused(session, m, path, pack(b"\xff\xfe not json"), "bad metadata")
    await refused(session, m, path, pack(b'{"meta": %s, "state": NaN}' % json.dumps(meta).encode()), "bad metadata")


async def test_a_compression_bomb_is_cut_off(session, m, tmp_path):
    payload = zlib.compress(bytes(64 * MIB), 9)        # ~64 KiB on disk, 64 MiB inflated
    data = snapshot_file.HEADER.pack(b"EMUDSNAP", 2, zlib.crc32(payload), len(payload)) + payload
    await refused(session, m, tmp_path / "bomb.bin", data, "larger than this machine's state can be")


def test_no_pickle_left_in_emud():
    import pathlib
    import emud
    root = pathlib.Path(emud.__file__).parent
    users = [str(p.relative_to(root)) for p in root.rglob("*.py") if "import pickle" in p.read_text()]
    assert users == []
