#!/usr/bin/env bash
# Install (if needed) and run the whole test suite, notebooks and examples included.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if ! command -v chromium >/dev/null 2>&1; then
  echo "WARNING: chromium is not installed: the report's headless-browser test will be" \
       "SKIPPED (apt-get install chromium to run it; .ci/run installs it)." >&2
fi
if ! command -v chromedriver >/dev/null 2>&1; then
  echo "WARNING: chromium-driver is not installed: the planner's browser test will be" \
       "SKIPPED (apt-get install chromium-driver to run it; .ci/run installs it)." >&2
fi
export MMMKIT_FAST=1  # examples and notebooks run on reduced draws inside the suite
# Two workers, whole files per worker: fits are compile-bound and single-threaded, and a
# file's fits share one compiled sampler per specification.
.venv/bin/python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile --durations=30 "$@"
