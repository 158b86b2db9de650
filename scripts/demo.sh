#!/usr/bin/env bash
# Quick start, step 1: install, generate the demo fleet, run every pipeline stage into
# data/warehouse.duckdb, print a summary and the command that opens the app.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/bootstrap.sh"
cd "$root"
exec "$root/.venv/bin/analytics" run --demo "$@"
