#!/usr/bin/env bash
# Create .venv (Python >= 3.11) and install mmmkit with its dev tools. Idempotent: a stamp
# holding the hash of pyproject.toml skips the install when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=""
for cand in python3.12 python3.11 python3; do
  if "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
    PY="$cand"; break
  fi
done
if [ -z "$PY" ]; then echo "mmmkit needs Python >= 3.11 on PATH" >&2; exit 1; fi
if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
stamp=.venv/.mmmkit-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  # --no-compile: no bytecode for the ~200 installed packages up front; Python writes it for
  # the modules a run imports (a cold CI run's set-up went from about 90 s to 35 s)
  .venv/bin/python -m pip install -q --no-compile -e ".[dev]"
  echo "$want" > "$stamp"
fi
