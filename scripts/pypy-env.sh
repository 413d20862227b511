#!/bin/sh
# Create (or update) .venv-pypy: a PyPy 3.9 virtualenv with emud's runtime and
# test dependencies, for `pypy3 -m emud ...` and `pypy3 -m emud.bench`.
# Idempotent: re-running only installs what is missing. Needs Debian's pypy3
# and pypy3-venv (or any pypy3 with the venv module) and access to PyPI.
#   scripts/pypy-env.sh && .venv-pypy/bin/pypy3 -m emud.bench --quick
set -eu
cd "$(dirname "$0")/.."
VENV=${PYPY_VENV:-.venv-pypy}
PYPY=${PYPY:-pypy3}
if [ ! -x "$VENV/bin/python" ]; then
    "$PYPY" -m venv "$VENV"
fi
PY="$VENV/bin/python"
# trio 0.31 is the last line that supports Python 3.9 with PyPy 7.3
"$PY" -m pip install --quiet --disable-pip-version-check \
    "trio>=0.22,<0.32" "capstone>=5.0" "rich>=13" "pyelftools>=0.29" \
    "pytest>=7" "pytest-trio>=0.8" "pytest-xdist>=3" "hypothesis>=6" "pygdbmi>=0.11" "qemu.qmp>=0.0.3"
# emud itself from the working tree: a .pth file, so the venv always runs
# the current sources (no build step, no copy to keep in sync)
SITE=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
pwd > "$SITE/emud-worktree.pth"
"$PY" -c "import trio, capstone, rich, elftools, emud; print('pypy-env ready:', emud.__file__)"
