#!/usr/bin/env bash
# Sets up lightctl in a venv and runs the daemon in demo mode: simulated sensor with an
# accelerated day, mock relay, tuning page on http://127.0.0.1:8080/. Ctrl-C stops it.
# The project is installed editable, once; it is installed again only when
# pyproject.toml changed (code changes need no reinstall). Each run starts afresh.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  echo "demo: installing python3-venv with apt"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq python3-venv >/dev/null
fi
VENV="${LIGHTCTL_VENV:-.venv}"
STAMP="$VENV/.lightctl-installed"
if [ ! -x "$VENV/bin/lightctl" ] || [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
  echo "demo: setting up $VENV (the first time takes about a minute)"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q -e .
  touch "$STAMP"
fi
exec "$VENV/bin/lightctl" run --demo "$@"
