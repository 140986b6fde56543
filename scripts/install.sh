#!/usr/bin/env bash
# Install lightctl as a systemd service on Raspberry Pi OS (Bookworm), as root:
#
#   sudo scripts/install.sh [--dry-run] [--enable-buses] [--no-start]
#
# Idempotent: run it again after `git pull` to upgrade. It
#   1. installs the Pi OS packages (python3-venv, python3-lgpio, i2c-tools),
#   2. creates the system user `lightctl` in the gpio, spi and i2c groups,
#   3. builds /opt/lightctl/venv (--system-site-packages, to see apt's lgpio)
#      and pip-installs this checkout into it,
#   4. copies examples/config.toml to /etc/lightctl/config.toml if there is none,
#   5. installs and enables systemd/lightctl.service, and (re)starts it when
#      `lightctl check-config` accepts the config.
# --dry-run prints the steps without changing anything.
# --enable-buses also turns on I2C and SPI with raspi-config.
set -euo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX=/opt/lightctl
VENV="$PREFIX/venv"
CONF_DIR=/etc/lightctl
CONF="$CONF_DIR/config.toml"
UNIT_DST=/etc/systemd/system/lightctl.service
SERVICE_USER=lightctl
GROUPS_NEEDED=(gpio spi i2c)
APT_PACKAGES=(python3-venv python3-pip python3-lgpio i2c-tools)

DRY_RUN=0
ENABLE_BUSES=0
START=1

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) DRY_RUN=1 ;;
        --enable-buses) ENABLE_BUSES=1 ;;
        --no-start) START=0 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "install.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done

step() { printf '\n== %s\n' "$*"; }
run() {
    printf '+ %s\n' "$*"
    if [ "$DRY_RUN" -eq 0 ]; then "$@"; fi
}

if [ "$DRY_RUN" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
    echo "install.sh: run as root (sudo $0), or with --dry-run to see the steps" >&2
    exit 1
fi
for f in "$SRC/pyproject.toml" "$SRC/systemd/lightctl.service" "$SRC/examples/config.toml"; do
    if [ ! -f "$f" ]; then
        echo "install.sh: $f is missing; run this script from a lightctl checkout" >&2
        exit 1
    fi
done

step "Pi OS packages: ${APT_PACKAGES[*]}"
run apt-get update
run env DEBIAN_FRONTEND=noninteractive apt-get install -y "${APT_PACKAGES[@]}"

if [ "$ENABLE_BUSES" -eq 1 ]; then
    step "Enable I2C and SPI"
    if command -v raspi-config >/dev/null 2>&1 || [ "$DRY_RUN" -eq 1 ]; then
        run raspi-config nonint do_i2c 0
        run raspi-config nonint do_spi 0
    else
        echo "raspi-config not found: enable dtparam=i2c_arm=on and dtparam=spi=on in config.txt"
    fi
fi

step "User $SERVICE_USER in groups ${GROUPS_NEEDED[*]}"
for g in "${GROUPS_NEEDED[@]}"; do
    # Pi OS has them; elsewhere an empty group keeps the unit's SupplementaryGroups valid.
    if ! getent group "$g" >/dev/null; then run groupadd --system "$g"; fi
done
if ! id "$SERVICE_USER" >/dev/null 2>&1; then
    run useradd --system --user-group --home-dir /var/lib/lightctl --no-create-home \
        --shell /usr/sbin/nologin "$SERVICE_USER"
fi
run usermod --append --groups "$(IFS=,; echo "${GROUPS_NEEDED[*]}")" "$SERVICE_USER"

step "Virtualenv $VENV and lightctl from $SRC"
if [ ! -x "$VENV/bin/python" ]; then
    run install -d -m 0755 "$PREFIX"
    run python3 -m venv --system-site-packages "$VENV"
fi
run "$VENV/bin/pip" install --upgrade --disable-pip-version-check "$SRC"

step "Configuration $CONF"
run install -d -m 0750 -o root -g "$SERVICE_USER" "$CONF_DIR"
if [ -f "$CONF" ]; then
    echo "keeping the existing $CONF"
else
    run install -m 0640 -o root -g "$SERVICE_USER" "$SRC/examples/config.toml" "$CONF"
fi

step "systemd unit $UNIT_DST"
run install -m 0644 "$SRC/systemd/lightctl.service" "$UNIT_DST"
run systemctl daemon-reload
run systemctl enable lightctl.service

if [ "$START" -eq 1 ]; then
    step "Check the configuration, then (re)start"
    printf '+ %s\n' "$VENV/bin/lightctl check-config --config $CONF"
    if [ "$DRY_RUN" -eq 1 ]; then
        run systemctl restart lightctl.service
    elif runuser -u "$SERVICE_USER" -- "$VENV/bin/lightctl" check-config --config "$CONF" >/dev/null; then
        run systemctl restart lightctl.service
        echo "started: journalctl -u lightctl -f   to follow it"
    else
        "$VENV/bin/lightctl" check-config --config "$CONF" || true
        echo "Not started: fix $CONF, then: sudo systemctl restart lightctl"
    fi
fi
echo
if [ "$DRY_RUN" -eq 1 ]; then echo "done (dry run: nothing was changed)"; else echo "done"; fi
