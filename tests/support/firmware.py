"""Build RISC-V firmware for tests with the cross compiler, cached by content.

``build_firmware(sources, xlen=32, **opts) -> Path`` compiles C and assembly
sources for QEMU's ``virt`` machine (RAM at 0x80000000) and returns the ELF
(or a raw binary with ``raw=True``). The output lives in
``tests/firmware/.build/`` under a name that carries a hash of every input
(source text, the runtime and header files, the flags, the compiler
version), so a second run, or a second test asking for the same thing, reuses
the file and an edit to any input rebuilds it.

``sources`` may be:
* a name: ``"hello"`` (``examples/hello.c``), ``"isa/rv_alu"``
  (``tests/isa/src/rv_alu.S``) or a path relative to the repository;
* a path or a list of paths;
* a dict ``{"file.S": "text", ...}`` of generated sources.

By default the runtime (``tests/firmware/common``: crt0, UART, printf,
sifive_test exit) is linked in and ``virt.ld`` is the linker script; pass
``runtime=False`` for sources that bring their own ``_start``.
When the cross compiler is missing, :class:`ToolchainMissing` is raised; the
pytest fixture turns it into a skip with the reason.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Union

REPO = Path(__file__).resolve().parents[2]
COMMON = REPO / "tests" / "firmware" / "common"
EXAMPLES = REPO / "examples"
ISA_SRC = REPO / "tests" / "isa" / "src"
BUILD_DIR = Path(os.environ.get("EMUD_FIRMWARE_CACHE", str(REPO / "tests" / "firmware" / ".build")))

CROSS = os.environ.get("RISCV_CROSS_PREFIX", "riscv64-unknown-elf-")

# (compile -march, -mabi, link -march): the link-time -march has no _zicsr
# suffix so that gcc 12 picks the rv32imac / rv64imac multilib of libgcc and
# picolibc instead of the rv64gc default.
ARCH = {
    32: ("rv32imac_zicsr_zifencei", "ilp32", "rv32imac"),
    64: ("rv64imac_zicsr_zifencei", "lp64", "rv64imac"),
}
RUNTIME_SOURCES = ("crt0.S", "runtime.c", "semihost.c")
BASE_CFLAGS = ("--specs=picolibc.specs", "-mcmodel=medany", "-g", "-ffreestanding", "-fno-common",
               "-ffunction-sections", "-fdata-sections", "-Wall")

Sources = Union[str, os.PathLike, Sequence[Union[str, os.PathLike]], Mapping[str, str]]


class ToolchainMissing(RuntimeError):
    """The cross compiler is not installed (scripts/test.sh installs it)."""


class BuildError(RuntimeError):
    """The compiler rejected a source; the message carries its output."""


def cross_tool(tool: str) -> str:
    path = shutil.which(CROSS + tool)
    if path is None:
        raise ToolchainMissing(f"{CROSS}{tool} not found (apt-get install gcc-riscv64-unknown-elf "
                               "picolibc-riscv64-unknown-elf, or run scripts/test.sh)")
    return path


def have_toolchain() -> bool:
    try:
        cross_tool("gcc")
        return True
    except ToolchainMissing:
        return False


_version_cache: Dict[str, str] = {}


def _compiler_version(gcc: str) -> str:
    if gcc not in _version_cache:
        out = subprocess.run([gcc, "--version"], capture_output=True, text=True).stdout
        _version_cache[gcc] = out.splitlines()[0] if out else gcc
    return _version_cache[gcc]


def resolve(name: Union[str, os.PathLike]) -> Path:
    """Find a named firmware source (see the module docstring)."""
    p = Path(name)
    candidates = []
    if p.is_absolute():
        candidates.append(p)
    else:
        s = str(name)
        if s.startswith("isa/"):
            candidates += [ISA_SRC / (s[4:] + ".S"), ISA_SRC / s[4:]]
        candidates += [EXAMPLES / (s + ".c"), EXAMPLES / s, REPO / "tests" / "firmware" / (s + ".c"),
                       REPO / "tests" / "firmware" / (s + ".S"), REPO / "tests" / "firmware" / s, REPO / s]
    for c in candidates:
        if c.is_file():
            return c
    raise FileNotFoundError(f"no firmware source for {name!r} (tried {', '.join(map(str, candidates))})")


def _source_list(sources: Sources) -> List[Path]:
    if isinstance(sources, (str, os.PathLike)):
        return [resolve(sources)]
    return [resolve(s) for s in sources]  # type: ignore[union-attr]


def _dir_digest(h, directory: Path) -> None:
    if not directory.is_dir():
        return
    for f in sorted(directory.iterdir()):
        if f.is_file() and f.suffix in (".h", ".S", ".c", ".ld", ".inc"):
            h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")


def build_firmware(sources: Sources, xlen: int = 32, *, name: Optional[str] = None,
                   defines: Optional[Mapping[str, object]] = None, cflags: Iterable[str] = (),
                   opt: str = "-O2", runtime: bool = True, linker_script: Optional[Path] = None,
                   include_dirs: Iterable[Path] = (), raw: bool = False) -> Path:
    """Compile and link; return the cached ELF (or ``.bin`` when ``raw``)."""
    if xlen not in ARCH:
        raise ValueError(f"xlen must be 32 or 64, not {xlen!r}")
    gcc = cross_tool("gcc")
    march, mabi, link_march = ARCH[xlen]

    with tempfile.TemporaryDirectory(prefix="emud-fw-") as tmp:
        if isinstance(sources, Mapping):
            paths = []
            for fname, text in sources.items():
                p = Path(tmp) / fname
                p.write_text(text)
                paths.append(p)
            stem = name or Path(next(iter(sources))).stem
        else:
            paths = _source_list(sources)
            stem = name or paths[0].stem
        incs = [COMMON] + [Path(d) for d in include_dirs] + sorted({p.parent for p in paths})
        defs = [f"-D{k}" if v is None else f"-D{k}={v}" for k, v in sorted((defines or {}).items())]
        ld = Path(linker_script) if linker_script else COMMON / "virt.ld"
        all_sources = paths + ([COMMON / s for s in RUNTIME_SOURCES] if runtime else [])
        compile_flags = [f"-march={march}", f"-mabi={mabi}", *BASE_CFLAGS, opt, *defs,
                         *[f"-I{d}" for d in incs], *cflags]
        link_flags = [f"-march={link_march}", f"-mabi={mabi}", "-nostartfiles", "-static",
                      "--specs=picolibc.specs", f"-T{ld}", "-Wl,--gc-sections", "-Wl,--no-warn-rwx-segments"]

        h = hashlib.sha256()
        h.update(_compiler_version(gcc).encode())
        h.update(repr((march, mabi, link_march, BASE_CFLAGS, opt, defs, list(cflags), runtime, raw,
                       [str(d) for d in include_dirs])).encode())
        for p in all_sources + [ld]:
            h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
        for d in incs:
            if d != Path(tmp):
                _dir_digest(h, d)
        key = h.hexdigest()[:16]
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", stem)
        elf = BUILD_DIR / f"{safe}-rv{xlen}-{key}.elf"
        out = elf.with_suffix(".bin") if raw else elf
        if out.exists():
            return out

        BUILD_DIR.mkdir(parents=True, exist_ok=True)
        tmp_elf = Path(tmp) / "out.elf"
        objs = []
        for i, src in enumerate(all_sources):
            obj = Path(tmp) / f"{i}-{src.stem}.o"
            _run([gcc, *compile_flags, "-c", "-o", str(obj), str(src)], stem, xlen)
            objs.append(str(obj))
        _run([gcc, *link_flags, "-o", str(tmp_elf), *objs], stem, xlen)
        # keep generated sources beside the ELF, for whoever debugs a failure
        if isinstance(sources, Mapping):
            for p in paths:
                shutil.copyfile(p, BUILD_DIR / f"{safe}-rv{xlen}-{key}-{p.name}")
        tmp_out = tmp_elf
        if raw:
            tmp_out = Path(tmp) / "out.bin"
            subprocess.run([cross_tool("objcopy"), "-O", "binary", str(tmp_elf), str(tmp_out)], check=True)
            os.replace(str(tmp_elf), str(elf.with_suffix(".elf.tmp")))
            os.replace(str(elf.with_suffix(".elf.tmp")), str(elf))
        os.replace(str(tmp_out), str(out) + ".tmp")
        os.replace(str(out) + ".tmp", str(out))
        return out


def _run(cmd: List[str], stem: str, xlen: int) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BuildError(f"building {stem} (rv{xlen}) failed:\n$ {' '.join(cmd)}\n{proc.stderr}")


def symbol_address(elf: Path, symbol: str) -> int:
    """Address of a symbol in an ELF (via pyelftools)."""
    from elftools.elf.elffile import ELFFile
    with open(elf, "rb") as f:
        tab = ELFFile(f).get_section_by_name(".symtab")
        syms = tab.get_symbol_by_name(symbol) if tab else None
        if not syms:
            raise KeyError(f"{symbol} not in {elf}")
        return syms[0]["st_value"]


# -- Cortex-M firmware of ours, on examples/cortexm's start-up ---------------------------------------------
CORTEXM = EXAMPLES / "cortexm"
#: the define that picks a board's UART in examples/cortexm/cortexm.h
CORTEXM_BOARDS = {"mps2-an385": "BOARD_MPS2", "lm3s6965evb": "BOARD_LM3S"}


def build_bare_riscv(source: Union[str, os.PathLike], out: Path, march: str = "rv32ima_zicsr",
                     mabi: str = "ilp32") -> Path:
    """An assembly ``source`` with no runtime, linked at virt's RAM
    (0x80000000), into the ELF ``out``. Raises :class:`ToolchainMissing`
    without the cross compiler."""
    cmd = [cross_tool("gcc"), "-march=" + march, "-mabi=" + mabi, "-nostdlib", "-Ttext=0x80000000",
           str(resolve(source)), "-o", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BuildError("building %s failed:\n$ %s\n%s" % (out.name, " ".join(cmd), proc.stderr))
    return out


def build_cortexm(source: Union[str, os.PathLike], out: Path, board: str = "mps2-an385",
                  cpu: str = "cortex-m3") -> Path:
    """``source`` (a C file) with examples/cortexm's vector table, crt.c and
    linker script, for ``board`` and ``cpu``, into the ELF ``out``. Raises
    :class:`ToolchainMissing` without arm-none-eabi-gcc."""
    if shutil.which("arm-none-eabi-gcc") is None:
        raise ToolchainMissing("arm-none-eabi-gcc not installed (scripts/test.sh installs it)")
    cmd = ["arm-none-eabi-gcc", "-mcpu=" + cpu, "-mthumb", "-O2", "-ffreestanding", "-nostdlib",
           "-I", str(CORTEXM), "-T", str(CORTEXM / "cortexm.ld"), "-D" + CORTEXM_BOARDS[board],
           "-o", str(out), str(resolve(source)), str(CORTEXM / "crt.c"), "-lgcc"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BuildError("building %s failed:\n$ %s\n%s" % (out.name, " ".join(cmd), proc.stderr))
    return out
