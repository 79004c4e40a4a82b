#!/usr/bin/env bash
# Install (if needed) and run the whole test suite, notebooks and examples included.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export MMMKIT_FAST=1  # examples and notebooks run on reduced draws inside the suite
# Two workers, whole files per worker: fits are compile-bound and single-threaded, and a
# file's fits share one compiled sampler per specification.
.venv/bin/python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile "$@"
