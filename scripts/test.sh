#!/usr/bin/env bash
# Sets up and runs the whole lightctl test suite on a fresh Debian 12 / Raspberry Pi OS machine:
# Debian packages (Mosquitto, Chromium) when missing, a venv with the project and its test
# dependencies, then pytest. The test fixtures start their own Mosquitto on a free 127.0.0.1 port.
# Extra arguments go to pytest, e.g. `scripts/test.sh tests/core -x`.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing Debian packages: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

VENV="${LIGHTCTL_VENV:-.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -e ".[test]"

export GPIOZERO_PIN_FACTORY=mock
"$VENV/bin/python" -m ruff check lightctl tests benchmarks scripts
exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"
