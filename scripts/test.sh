#!/usr/bin/env bash
# Quick start, step 2: install if needed, then run the test suite on both cores.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/bootstrap.sh"
# Browser test (tests/app/test_browser.py): Debian's chromium, installed once when missing.
bash "$root/scripts/browser.sh"
cd "$root"
set +e
"$root/.venv/bin/python" -m pytest -n 2 -q "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "error: pytest collected no tests" >&2
  exit 1
fi
exit "$rc"
