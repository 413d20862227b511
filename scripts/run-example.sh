#!/usr/bin/env bash
# Install emud into .venv and run the bundled example firmware (prebuilt from
# examples/hello.c, so no cross toolchain is needed). Works on a fresh Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3 python3-venv python3-pip >/dev/null
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
exec .venv/bin/emud -M virt -bios none -kernel examples/build/hello-rv32.elf -nographic "$@"
