#!/usr/bin/env bash
# Install (if needed) and run the main job: fit bundled data, print ROAS, run a scenario.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python examples/quickstart.py "$@"
