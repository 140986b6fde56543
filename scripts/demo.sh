#!/usr/bin/env bash
# Sets up lightctl in a venv and runs the daemon in demo mode: simulated sensor with an
# accelerated day, mock relay, tuning page on http://127.0.0.1:8080/. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq python3-venv >/dev/null
fi
VENV="${LIGHTCTL_VENV:-.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q .
exec "$VENV/bin/lightctl" run --demo "$@"
