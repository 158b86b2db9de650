#!/usr/bin/env bash
# Headless Chromium for the browser test (tests/app/test_browser.py), from Debian's packages.
# Idempotent and instant when the browser is already there. Installs `chromium` with apt-get
# when running as root or with passwordless sudo; otherwise says how to install it and leaves
# the browser test to skip. In CI (CI=true) a browser that cannot be installed is an error.
set -euo pipefail
browser="${ANALYTICS_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$browser" ]; then
  exit 0
fi

how="install it with: sudo apt-get install chromium (Debian/Ubuntu), or set ANALYTICS_CHROMIUM=/path/to/chromium"
sudo=()
can_install=0
if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    can_install=1
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
    can_install=1
  fi
fi
if [ "$can_install" -eq 0 ]; then
  case "${CI:-}" in "" | 0 | false) in_ci=0 ;; *) in_ci=1 ;; esac
  if [ "$in_ci" -eq 1 ]; then
    echo "error: no Chromium at $browser and no way to install it here; $how" >&2
    exit 1
  fi
  echo "note: no Chromium at $browser, so the browser test will be skipped; $how" >&2
  exit 0
fi

echo "installing Debian's chromium for the browser test (once; about 100 MB)"
export DEBIAN_FRONTEND=noninteractive
apt=("${sudo[@]}" apt-get -q -y -o=Dpkg::Use-Pty=0)
packages=(chromium fonts-liberation)
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
install() { "${apt[@]}" install --no-install-recommends "${packages[@]}" >>"$log" 2>&1; }
# A clean machine may have no package lists yet, or stale ones: update only when needed.
if ! { apt-cache show chromium >/dev/null 2>&1 && install; }; then
  if ! { "${apt[@]}" update >>"$log" 2>&1 && install; }; then
    cat "$log" >&2
    echo "error: apt-get could not install chromium (output above); $how" >&2
    exit 1
  fi
fi
if [ ! -x "$browser" ]; then
  echo "error: chromium was installed but $browser is missing; set ANALYTICS_CHROMIUM" >&2
  exit 1
fi
echo "chromium ready: $("$browser" --version 2>/dev/null || echo "$browser")"
