"""Shared test helpers: firmware builder, QEMU and emud runners, RSP client."""
