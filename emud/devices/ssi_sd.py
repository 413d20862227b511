"""The SD-card-over-SPI adapter of the lm3s6965evb (QEMU 7.2's
hw/sd/ssi-sd.c with its sd-card), with no card: an SSI peripheral
(emud/devices/ssi.py) selected while its chip select is low.

QEMU's board always creates the adapter and a card slot; without `-drive
if=sd` the slot is empty, and the adapter answers every frame with 0xFF
(QEMU: "if (!sdbus_get_inserted(...)) return SSI_DUMMY"), so a driver's
card detection finds nothing, and its state machine never leaves its
reset state. emud has no `-drive if=sd`: the slot is always empty.
"""
from __future__ import annotations

from emud.devices.ssi import SsiPeripheral

SSI_DUMMY = 0xFF


class SsiSd(SsiPeripheral):
    cs_polarity = False

    def transfer(self, value: int) -> int:
        return SSI_DUMMY            # no card inserted
