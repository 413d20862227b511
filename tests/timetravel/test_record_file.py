"""Record files (emud/timetravel/record_file.py): a real recording of an
example firmware, written and read back; every damaged, hostile, foreign or
other-version file refused in one line before the machine is touched."""
from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import pytest
import trio

from emud import cli, snapshot_file
from emud.timetravel import record_file
from emud.timetravel.record_file import HEADER, MAGIC, RecordFileError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "build"
HELLO = ["-M", "virt", "-bios", "none", "-kernel", str(EXAMPLES / "hello-rv32.elf"), "-serial", "none"]


def build(argv):
    args = cli._parser().parse_args(argv)
    machine, _ = cli.build_machine(args)
    return machine, args


async def run_to_exit(machine):
    out = bytearray()
    machine.uart_listeners().append(out.extend)
    async with trio.open_nursery() as nursery:
        await nursery.start(machine.run)
        machine.resume()
        event = await machine.wait_for_stop()
        machine.request_quit()
    return event, bytes(out)


@pytest.fixture(scope="module")
def recorded():
    """(file bytes, the UART output) of hello-rv32 recorded from its first instruction."""
    machine, args = build(HELLO + ["-record"])
    event, out = trio.run(run_to_exit, machine)
    assert event.reason == "exited" and out == b"Hello, world! (rv32)\n"
    rec = machine.export_recording()
    meta = record_file.describe(machine, record_file.run_options(args), machine.images, rec)
    return record_file.encode(meta, rec), out


def read_bytes(data, tmp_path, argv=HELLO):
    path = tmp_path / "run.rr"
    path.write_bytes(data)
    machine, args = build(argv)
    return record_file.read(str(path), machine, record_file.run_options(args), machine.images), machine


def refused(data, tmp_path, argv=HELLO):
    with pytest.raises(RecordFileError) as info:
        read_bytes(data, tmp_path, argv)
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_a_recording_read_back_replays_the_run(recorded, tmp_path):
    data, out = recorded
    rec, machine = read_bytes(data, tmp_path)
    assert rec["machine"] == "virt" and rec["end"] == 598
    machine.start_replay(rec)
    event, replayed = trio.run(run_to_exit, machine)
    assert event.reason == "exited" and replayed == out
    assert machine.history_position() == 598


def test_the_header_names_the_program_and_the_options(recorded):
    meta, _ = record_file.decode(recorded[0], 1 << 30)
    assert meta["program"][0]["name"] == "hello-rv32.elf"
    assert len(meta["program"][0]["sha256"]) == 64
    assert meta["options"]["machine"] == "virt" and meta["options"]["smp"] == 1 and meta["options"]["m"] == 128 << 20


def test_write_is_atomic_and_leaves_no_temporary(recorded, tmp_path):
    path = tmp_path / "out.rr"
    path.write_bytes(b"old")
    meta, rec = record_file.decode(recorded[0], 1 << 30)
    record_file.write(str(path), meta, rec)
    assert path.read_bytes()[:8] == MAGIC
    assert [p.name for p in tmp_path.iterdir()] == ["out.rr"]


@pytest.mark.parametrize("argv, says", [
    (["-smp", "2"], "recorded with -smp 1, this run has -smp 2"),
    (["-m", "256M"], "recorded with -m 128M, this run has -m 256M"),
    (["-icount", "shift=3"], "recorded with no -icount, this run has -icount shift=3,sleep=on"),
    (["-M", "virt,aclint=on"], "recorded with -M properties (none), this run has -M properties aclint=on"),
    (["-semihosting"], "recorded with no -semihosting"),
    (["-no-reboot"], "recorded with no -no-reboot, this run has -no-reboot"),
])
def test_other_machine_options_are_refused(recorded, tmp_path, argv, says):
    assert says in refused(recorded[0], tmp_path, HELLO + argv)


def test_another_program_is_refused(recorded, tmp_path):
    other = HELLO[:-3] + [str(EXAMPLES / "hello-rv64.elf"), "-serial", "none"]
    message = refused(recorded[0], tmp_path, other)
    assert message.startswith("recorded with another program: hello-rv32.elf") and "hello-rv64.elf" in message


def test_same_name_other_contents_is_refused(recorded, tmp_path):
    """A rebuilt firmware under the same name: its loaded bytes differ."""
    copy = tmp_path / "hello-rv32.elf"
    copy.write_bytes((EXAMPLES / "timer-rv32.elf").read_bytes())
    message = refused(recorded[0], tmp_path, HELLO[:-3] + [str(copy), "-serial", "none"])
    assert "recorded with another program: hello-rv32.elf (loaded segments sha256" in message


def test_build_id_is_read_when_the_elf_has_one(tmp_path):
    """The examples are built without one (Debian's bare-metal gcc): an ELF
    with a .note.gnu.build-id section gives its id."""
    from elftools.elf.elffile import ELFFile
    src = (EXAMPLES / "hello-rv32.elf").read_bytes()
    assert record_file.build_id(str(EXAMPLES / "hello-rv32.elf")) is None
    elf = ELFFile(__import__("io").BytesIO(src))
    assert not any(s.name == ".note.gnu.build-id" for s in elf.iter_sections())
    import shutil
    import subprocess
    objcopy = shutil.which("riscv64-unknown-elf-objcopy")
    if objcopy is None:
        pytest.skip("riscv64-unknown-elf-objcopy is not installed")
    note = tmp_path / "note.bin"
    desc = bytes(range(20))
    note.write_bytes(struct.pack("<III", 4, len(desc), 3) + b"GNU\0" + desc)
    out = tmp_path / "with-id.elf"
    subprocess.run([objcopy, "--add-section", ".note.gnu.build-id=%s" % note,
                    "--set-section-flags", ".note.gnu.build-id=alloc,readonly",
                    str(EXAMPLES / "hello-rv32.elf"), str(out)], check=True)
    assert record_file.build_id(str(out)) == desc.hex()


def _rewrap(data, mutate_doc=None, payload_bytes=None, version=record_file.FORMAT_VERSION):
    """The file with its JSON changed by mutate_doc(doc) (checksum made right)."""
    payload = data[HEADER.size:]
    body = zlib.decompress(payload)
    if payload_bytes is None:
        (n,) = struct.unpack_from("<I", body)
        doc = json.loads(body[4:4 + n])
        if mutate_doc is not None:
            mutate_doc(doc)
        text = json.dumps(doc).encode()
        body = struct.pack("<I", len(text)) + text + body[4 + n:]
    else:
        body = payload_bytes
    payload = zlib.compress(body)
    return HEADER.pack(MAGIC, version, zlib.crc32(payload), len(payload)) + payload


def _set(path, value):
    def mutate(doc):
        node = doc["state"]
        for key in path[:-1]:
            node = node["d"][key] if isinstance(key, str) else node[key]
        if isinstance(path[-1], str):
            node["d"][path[-1]] = value
        else:
            node[path[-1]] = value
    return mutate


def test_damaged_files_are_refused(recorded, tmp_path):
    data = recorded[0]
    assert refused(data[:10], tmp_path) == "truncated"
    assert refused(data[:-5], tmp_path) == "truncated"
    assert refused(data + b"xx", tmp_path).startswith("corrupt (2 bytes after")
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x40
    assert refused(bytes(flipped), tmp_path) == "checksum mismatch"
    assert refused(b"hello there, not a recording at all", tmp_path) == "not an emud record file"
    assert refused(b"", tmp_path) == "not an emud record file"
    other = bytearray(data)
    other[8:12] = struct.pack("<I", 7)
    assert refused(bytes(other), tmp_path) == "record format version 7, this emud reads 1"


def test_a_snapshot_file_is_named(tmp_path):
    snap = snapshot_file.encode({"name": "x"}, {"a": 1})
    assert "a snapshot file, not a record file" in refused(snap, tmp_path)


def test_a_pickle_is_not_a_record_file(tmp_path):
    import pickle
    assert refused(pickle.dumps({"format": 1}), tmp_path) == "not an emud record file"


def test_hostile_files_are_refused(recorded, tmp_path):
    data = recorded[0]
    # a zip bomb: a tiny file inflating past what a recording of this machine can hold
    bomb = zlib.compress(b"\0" * (600 << 20), 9)
    bomb_file = HEADER.pack(MAGIC, 1, zlib.crc32(bomb), len(bomb)) + bomb
    assert len(bomb_file) < 1 << 20
    assert "larger than" in refused(bomb_file, tmp_path)
    # nesting, huge numbers, bytes claiming a terabyte
    deep = _rewrap(data, _set(["end"], json.loads("[" * 100 + "]" * 100)))
    assert "nested deeper" in refused(deep, tmp_path)
    huge = _rewrap(data, _set(["end"], 10 ** 60))
    assert "a number of more than" in refused(huge, tmp_path)
    tera = _rewrap(data, _set(["initial", "memory", 0, 1], {"b": [1 << 40, 0, []]}))
    assert "more than this machine's state" in refused(tera, tmp_path)
    nan = _rewrap(data, lambda doc: doc["meta"].__setitem__("created", "x"))
    assert refused(nan, tmp_path) == "corrupt (metadata 'created': wrong type)"


@pytest.mark.parametrize("path, value, says", [
    (["format"], 2, "recording format 2"),
    (["turn"], 5, "turns of 5 instructions"),
    (["machine"], "mps2-an385", "a recording of mps2-an385"),
    (["interval"], 3, "interval: not a number in range"),
    (["icount_shift"], 99, "icount_shift: not a number in range"),
    (["begin"], 10 ** 6, "end: before begin"),
    (["checks"], [[1, 2]], "checks[0]: 2 entries, expected 3"),
    (["log", "pushed"], [[5, "rm -rf", []]], "unknown input 'rm -rf'"),
    (["log", "pushed"], [[5, "serial", [9, {"b": [1, 0, []]}]]], "log.pushed[0] (uart): not a number in range"),
    (["log", "pushed"], [[5, "reg", [0, "nosuch", 1]]], "no such hart or register"),
    (["log", "pushed"], [[9999, "reset", []]], "log.pushed[0]: not a number in range"),
    (["log", "pushed"], [[5, "mem", [0x20000000, {"b": [4, 0, []]}]]], "a write outside this machine's memory"),
    (["log", "pulled"], [[5, "host-clock", "now"]], "log.pulled[0]: not a number"),
    (["log", "pulled"], [[5, "semihosting", {"d": {"op": 1}}]], "missing 'result'"),
    (["initial", "cpus"], [], "initial state does not fit this machine"),
    (["initial", "memory"], [], "initial.memory: 0 entries"),
    (["initial", "clock"], {"d": {"offset_ns": "soon", "accumulated_ns": 0}}, "not an int"),
    (["initial", "timetravel", "turns"], [7, 0], "initial.timetravel.turns: not a number in range"),
    (["initial", "surprise"], 1, "initial: unknown 'surprise'"),
])
def test_bad_structure_is_refused_field_by_field(recorded, tmp_path, path, value, says):
    message = refused(_rewrap(recorded[0], _set(path, value)), tmp_path)
    assert says in message, message


def test_snapshot_and_record_files_share_one_framing(recorded):
    # snapshot_file.unframe checks both kinds (magic, version, CRC-32, zlib,
    # the JSON document): the same file bytes, the same answers
    data = recorded[0]
    doc, body, start = snapshot_file.unframe(data, MAGIC, record_file.FORMAT_VERSION, record_file.MAX_JSON,
                                             1 << 30, "an emud record file", "recording")
    assert set(doc) == {"meta", "state"} and doc["meta"]["machine"] == "virt" and 4 < start <= len(body)
    snap = snapshot_file.encode({"name": "x"}, {"a": b"\1" * 10})
    doc, body, start = snapshot_file.unframe(snap, snapshot_file.MAGIC, snapshot_file.FORMAT_VERSION,
                                             snapshot_file.MAX_JSON, 1 << 20, "an emud snapshot", "snapshot")
    assert doc["meta"] == {"name": "x"} and body[start:] == b"\1" * 10
    with pytest.raises(snapshot_file.SnapshotFileError, match="^corrupt \\(3 bytes after the end of the snapshot\\)$"):
        snapshot_file.unframe(snap + b"xyz", snapshot_file.MAGIC, snapshot_file.FORMAT_VERSION,
                              snapshot_file.MAX_JSON, 1 << 20, "an emud snapshot", "snapshot")
