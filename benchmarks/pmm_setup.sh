#!/usr/bin/env bash
# Create the separate virtualenv that benchmarks/bench_fit.py uses to fit PyMC-Marketing.
#
# PyMC-Marketing pins its own pymc/pytensor range, which need not match mmmkit's, so it never
# goes into the project's .venv. The PMM child process reads the simulated data from a CSV
# written by the parent, so mmmkit itself is not installed here.
#
# Usage: bash benchmarks/pmm_setup.sh           # venv at $MMMKIT_PMM_VENV or /tmp/mmmkit-pmm-venv
set -euo pipefail

VENV="${MMMKIT_PMM_VENV:-/tmp/mmmkit-pmm-venv}"
PYTHON="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "pymc-marketing==0.19.*" nutpie

# Record what the resolver pulled in: the comparison is only meaningful with these noted.
"$VENV/bin/python" - <<'PY'
from importlib.metadata import version

for name in ("pymc-marketing", "pymc", "pytensor", "nutpie", "numba", "numpy", "arviz"):
    try:
        print(f"{name}=={version(name)}")
    except Exception:  # noqa: BLE001 - a missing optional package is worth a line, not a crash
        print(f"{name}: not installed")
PY
echo "PyMC-Marketing venv ready: $VENV"
