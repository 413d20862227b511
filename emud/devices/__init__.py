"""Devices: one class a file, addressed by offset, wired by a machine."""
