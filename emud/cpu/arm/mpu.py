"""The PMSAv7 memory protection unit of the ARMv7-M cores (8 regions), as QEMU
7.2 models it (target/arm/ptw.c, get_phys_addr_pmsav7 and its helpers).

The registers live in the NVIC (MPU_TYPE/CTRL/RNR/RBAR/RASR and the aliases,
devices/armv7m_nvic.py); every write there compiles them into an
:class:`MpuConfig`, interned so that a configuration an RTOS returns to is
the same object. A config gives one :class:`MpuView` per kind of access
QEMU distinguishes by MMU index: unprivileged or privileged, and whether the
requested execution priority is negative (HardFault or NMI active, or
FAULTMASK set: ``negpri``). ``None`` instead of a view means the MPU does not
apply (disabled, or enabled without HFNMIENA at negative priority).

The rules of a view, QEMU's order:

* the PPB (0xE0000000-0xE00FFFFF) always uses the default map;
* regions are searched from the highest number down; a disabled region, a
  SIZE of 0, or a base not aligned to the size is skipped; an address in a
  disabled subregion (regions of 256 bytes or more) falls through to the
  lower regions;
* no region: privileged accesses with PRIVDEFENA use the default map, all
  others fault (the background fault);
* a hit: AP gives read/write (AP 0 none; 1 privileged RW; 2 privileged RW,
  user RO; 3 RW; 5 privileged RO; 6 and 7 RO; 4 none), read implies
  execute unless XN, and the system region (0xE0000000 up) never executes;
* the default map: everything readable and writable; 0x00000000-0x3FFFFFFF
  and 0x60000000-0x9FFFFFFF executable, the peripheral and device regions
  not (this applies with the MPU off too: a fetch there is IACCVIOL).

A view's id goes into the TB flags (cpu.tb_flags): TBs translated under one
configuration are kept and reused, the fetch check runs at translation
time (ThumbFrontend.fetch_allowed), data accesses take the slow path and
call ``guard`` (cpu.data_guard). The id is a hash of the configuration and
access kind, the same in every process, as the disk TB cache needs.
"""
from __future__ import annotations

import weakref
import zlib
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

R, W, X = 1, 2, 4
RW, RWX = R | W, R | W | X
#: what an access of each kind needs
NEEDS = {"load": R, "store": W, "amo": R | W}

CTRL_ENABLE, CTRL_HFNMIENA, CTRL_PRIVDEFENA = 1, 2, 4
REGIONS = 8
#: QEMU's TARGET_PAGE_BITS for M profile: an access crossing a 1 KiB boundary is
#: checked again at the start of the second page (that address is the MMFAR)
PAGE_BITS = 10

#: AP -> permissions without XN, (privileged, unprivileged)
_AP = {0: (0, 0), 1: (RWX, 0), 2: (RWX, R | X), 3: (RWX, RWX), 4: (0, 0),
       5: (R | X, 0), 6: (R | X, R | X), 7: (R | X, R | X)}


def default_prot(addr: int) -> int:
    """The M-profile default memory map (get_phys_addr_pmsav7_default)."""
    return RWX if (addr >> 29) in (0, 1, 3, 4) else RW


def in_ppb(addr: int) -> bool:
    return addr >> 20 == 0xE00


def default_fetch_allowed(addr: int, size: int) -> bool:
    """The MPU off: execute-never only where the default map says so."""
    return bool(default_prot(addr) & X) and (size <= 2 or bool(default_prot((addr + 2) & 0xFFFFFFFF) & X))


#: the System Control Space: QEMU's NVIC (and SysTick) answer an unprivileged
#: access with a bus error, except a write to STIR when CCR.USERSETMPEND allows it
SCS_BASE, SCS_END = 0xE000E000, 0xE000F000


def user_guard(cpu: Any, addr: int, size: int, kind: str, pc: int) -> None:
    """Unprivileged accesses with the MPU off: only the SCS refuses them. The
    guard marks the access; the NVIC raises the bus error, so that a board
    that ignores transaction failures reads 0 as QEMU's does."""
    if SCS_BASE <= addr < SCS_END:
        cpu.scs_user = True


Region = Tuple[int, int, int, int, int]     # base, size bits, SRD, AP, XN


def compile_regions(rbar: Sequence[int], rasr: Sequence[int]) -> List[Region]:
    """The regions that can match, highest number first."""
    out: List[Region] = []
    for n in range(len(rbar) - 1, -1, -1):
        v = rasr[n]
        if not v & 1:
            continue
        size_field = (v >> 1) & 0x1F
        if not size_field:
            continue                     # QEMU: "Rsize field cannot be 0"
        bits = size_field + 1
        base = rbar[n] & ~0x1F & 0xFFFFFFFF
        if base & ((1 << bits) - 1):
            continue                     # base misaligned to the size
        out.append((base, bits, (v >> 8) & 0xFF, (v >> 24) & 7, (v >> 28) & 1))
    return out


class MpuView:
    """The MPU as one kind of access sees it. ``prot(addr)`` is the whole rule."""

    __slots__ = ("id", "regions", "user", "background", "granule", "_cache", "guard", "fetch_allowed",
                 "__weakref__")

    def __init__(self, ident: int, regions: List[Region], user: bool, privdefena: bool) -> None:
        self.id = ident
        self.regions = regions
        self.user = user
        self.background = privdefena and not user
        # permissions are the same over aligned blocks of the smallest region or subregion
        smallest = min([bits - 3 if bits >= 8 else bits for _, bits, _, _, _ in regions] or [32])
        self.granule = min(smallest, 12)
        self._cache: Dict[int, int] = {}
        self.guard = self._make_guard()
        self.fetch_allowed = self._make_fetch_check()

    def _lookup(self, addr: int) -> int:
        if in_ppb(addr):
            return default_prot(addr)
        for base, bits, srd, ap, xn in self.regions:
            if addr - base >> bits:
                continue                        # also addr < base (negative)
            if bits >= 8 and srd >> ((addr - base) >> (bits - 3) & 7) & 1:
                continue                        # a disabled subregion: lower regions decide
            p = _AP[ap][self.user]
            if xn or addr >= 0xE0000000:
                p &= ~X
            return p
        return default_prot(addr) if self.background else 0

    def prot(self, addr: int) -> int:
        key = addr >> self.granule
        p = self._cache.get(key)
        if p is None:
            if len(self._cache) > 4096:
                self._cache.clear()
            p = self._cache[key] = self._lookup(key << self.granule)
        return p

    def allows(self, addr: int, need: int) -> bool:
        return self.prot(addr) & need == need

    def denied_at(self, addr: int, size: int, need: int) -> Optional[int]:
        """The address QEMU reports for a denied data access (None: allowed)."""
        if not self.allows(addr, need):
            return addr
        nxt = ((addr >> PAGE_BITS) + 1) << PAGE_BITS
        if addr + size > nxt and not self.allows(nxt & 0xFFFFFFFF, need):
            return nxt & 0xFFFFFFFF
        return None

    def _make_guard(self) -> Callable[..., None]:
        denied_at = self.denied_at
        user = self.user

        def guard(cpu: Any, addr: int, size: int, kind: str, pc: int) -> None:
            bad = denied_at(addr, size, NEEDS[kind])
            if bad is not None:
                raise cpu.mpu_fault(pc, bad)
            if user and SCS_BASE <= addr < SCS_END:
                cpu.scs_user = True
        return guard

    def _make_fetch_check(self) -> Callable[[int, int], bool]:
        allows = self.allows

        def fetch_allowed(addr: int, size: int) -> bool:
            return allows(addr, X) and (size <= 2 or allows((addr + 2) & 0xFFFFFFFF, X))
        return fetch_allowed

    def __repr__(self) -> str:
        return "<MpuView %08x %s%s: %s>" % (self.id, "user" if self.user else "priv",
                                          " +background" if self.background else "",
                                          ", ".join("0x%x/%d srd=%02x ap=%d%s" % (b, 1 << s, d, a, " xn" if x else "")
                                                    for b, s, d, a, x in self.regions) or "no regions")


class MpuConfig:
    """One MPU programming: its views by (user, negpri)."""

    def __init__(self, ctrl: int, rbar: Sequence[int], rasr: Sequence[int]) -> None:
        self.ctrl = ctrl
        regions = compile_regions(rbar, rasr)
        key = repr((ctrl, tuple(rbar), tuple(rasr))).encode()
        self.views: Dict[Tuple[bool, bool], Optional[MpuView]] = {}
        for user in (False, True):
            for negpri in (False, True):
                view = None
                if _applies(ctrl, negpri):
                    ident = zlib.crc32(key + (b"u" if user else b"p") + (b"n" if negpri else b"")) & 0xFFFFFFFF
                    view = MpuView(ident, regions, user, bool(ctrl & CTRL_PRIVDEFENA))
                    _by_id[ident] = view
                self.views[(user, negpri)] = view

    def view(self, user: bool, negpri: bool) -> Optional[MpuView]:
        return self.views[(user, negpri)]


def _applies(ctrl: int, negpri: bool) -> bool:
    """QEMU's regime_translation_disabled, negated."""
    enable = ctrl & (CTRL_ENABLE | CTRL_HFNMIENA)
    if enable == CTRL_ENABLE | CTRL_HFNMIENA:
        return True
    if enable == CTRL_ENABLE:
        return not negpri
    return False            # off (HFNMIENA without ENABLE is UNPREDICTABLE: off, as QEMU)


_recent: "OrderedDict[tuple, MpuConfig]" = OrderedDict()
_by_id: "weakref.WeakValueDictionary[int, MpuView]" = weakref.WeakValueDictionary()
RECENT_MAX = 256


def config_for(ctrl: int, rbar: Sequence[int], rasr: Sequence[int]) -> Optional[MpuConfig]:
    """The interned config of these register values, or None when the MPU is off."""
    if not ctrl & CTRL_ENABLE:
        return None
    key = (ctrl, tuple(rbar), tuple(rasr))
    cfg = _recent.get(key)
    if cfg is None:
        cfg = _recent[key] = MpuConfig(ctrl, rbar, rasr)
        if len(_recent) > RECENT_MAX:
            _recent.popitem(last=False)
    else:
        _recent.move_to_end(key)
    return cfg


def view_by_id(ident: int) -> MpuView:
    return _by_id[ident]
