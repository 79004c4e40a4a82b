#!/usr/bin/env bash
# Install (if needed) and run the whole test suite, notebooks and examples included.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export MMMKIT_FAST=1  # examples and notebooks run on reduced draws inside the suite
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
