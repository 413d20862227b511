#!/usr/bin/env bash
# THE test command: on a fresh Debian machine (as root) it installs what is
# missing, installs emud with its test extra, and runs pytest. Arguments are
# passed to pytest:  bash scripts/test.sh tests/isa -x
# Tests run on 2 workers (pytest-xdist; TEST_WORKERS=N to change, 0 for none).
# Exit status is pytest's, except that "no tests collected" (5) is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-system-misc
              gcc-arm-none-eabi picolibc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
              gdb-multiarch device-tree-compiler pypy3 pypy3-venv clang)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    echo "test.sh: installing ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# emud and its test dependencies live in .venv (Debian's python3 refuses
# system-wide pip installs); PYTHON=... runs the suite with another interpreter.
if [ -z "${PYTHON:-}" ]; then
    if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
        SUDO=""
        [ "$(id -u)" -eq 0 ] || SUDO="sudo"
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv python3-pip >/dev/null
    fi
    [ -x .venv/bin/python ] || python3 -m venv .venv
    PYTHON=.venv/bin/python
fi
# install emud + test deps only when something is missing (fast re-runs)
if ! "$PYTHON" -c "import emud, pytest, trio, pytest_trio, xdist, hypothesis, pygdbmi, elftools, capstone, rich, qemu.qmp" 2>/dev/null \
   || ! "$PYTHON" -m pip show emud >/dev/null 2>&1; then
    "$PYTHON" -m pip install -q --disable-pip-version-check -e '.[test]'
fi

set +e
"$PYTHON" -m pytest -q -n "${TEST_WORKERS:-2}" "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "test.sh: pytest collected no tests: failing" >&2
    exit 1
fi
exit "$status"
