#!/usr/bin/env bash
# Create .venv and install the locked dependencies plus the package (editable).
# Idempotent: does nothing when the lock file and pyproject.toml are unchanged since the last run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
py="${PYTHON:-python3}"

if ! "$py" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  echo "error: Python 3.11 or newer is needed (found: $("$py" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
  exit 2
fi
if ! "$py" -c 'import venv, ensurepip' 2>/dev/null; then
  echo "error: $py lacks the venv/ensurepip modules; on Debian install python3-venv" >&2
  exit 2
fi

want="$(cat "$root/requirements.lock" "$root/pyproject.toml" | sha256sum | cut -d' ' -f1)"
stamp="$venv/.installed-lock"
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
if [ ! -x "$venv/bin/python" ]; then
  echo "creating $venv"
  "$py" -m venv "$venv"
fi
echo "installing locked dependencies (first run takes a few minutes)"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  --require-hashes -r "$root/requirements.lock"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  --no-deps --no-build-isolation -e "$root"
echo "$want" > "$stamp"
