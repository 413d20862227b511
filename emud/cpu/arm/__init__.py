"""emud.cpu.arm: the M-profile guest (ARMv7-M Cortex-M3, ARMv6-M Cortex-M0), Thumb and Thumb-2."""
from __future__ import annotations

from .cpu import V6M, V7M, ArmCPU, ArmTrap
from .frontend import ThumbFrontend

__all__ = ["ArmCPU", "ArmTrap", "ThumbFrontend", "V6M", "V7M"]
