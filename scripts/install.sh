#!/usr/bin/env bash
# Install lightctl as a systemd service on Raspberry Pi OS (Bookworm), as root:
#
#   sudo scripts/install.sh [--dry-run] [--enable-buses] [--no-start]
#
# Idempotent: run it again after `git pull` to upgrade. It
#   1. installs the Pi OS packages (python3-venv, python3-lgpio, i2c-tools); where
#      apt has no python3-lgpio (Debian or Ubuntu without Raspberry Pi's archive),
#      lgpio comes from PyPI into the venv instead,
#   2. creates the system user `lightctl` in the gpio, spi and i2c groups,
#   3. builds /opt/lightctl/venv (--system-site-packages, to see apt's lgpio)
#      and pip-installs this checkout into it,
#   4. copies examples/config.toml to /etc/lightctl/config.toml if there is none,
#   5. installs and enables systemd/lightctl.service, and (re)starts it when
#      `lightctl check-config`, run as the service user, accepts the config; a bad
#      or unreadable config prints its error once and exits 1. Where systemd is not
#      running (a chroot, an image builder) the unit is enabled for the next boot
#      and daemon-reload and restart are skipped.
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
LGPIO_FROM_PYPI=0

DRY_RUN=0
ENABLE_BUSES=0
START=1

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

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

run apt-get update
if ! apt-cache show python3-lgpio >/dev/null 2>&1; then
    # Debian/Ubuntu arm64 without Raspberry Pi's archive: the PyPI wheel, in the venv.
    APT_PACKAGES=(python3-venv python3-pip i2c-tools)
    LGPIO_FROM_PYPI=1
fi
step "Pi OS packages: ${APT_PACKAGES[*]}"
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
if [ "$LGPIO_FROM_PYPI" -eq 1 ]; then
    echo "apt has no python3-lgpio here: installing lgpio from PyPI into the venv"
    run "$VENV/bin/pip" install --upgrade --disable-pip-version-check lgpio
fi

step "Configuration $CONF"
run install -d -m 0750 -o root -g "$SERVICE_USER" "$CONF_DIR"
if [ -f "$CONF" ]; then
    echo "keeping the existing $CONF"
else
    run install -m 0640 -o root -g "$SERVICE_USER" "$SRC/examples/config.toml" "$CONF"
fi

SYSTEMD_RUNNING=0
if [ -d /run/systemd/system ]; then SYSTEMD_RUNNING=1; fi
step "systemd unit $UNIT_DST"
run install -m 0644 "$SRC/systemd/lightctl.service" "$UNIT_DST"
if [ "$SYSTEMD_RUNNING" -eq 1 ]; then run systemctl daemon-reload; fi
run systemctl enable lightctl.service

if [ "$START" -eq 1 ]; then
    step "Check the configuration as $SERVICE_USER, then (re)start"
    printf '+ %s\n' "runuser -u $SERVICE_USER -- $VENV/bin/lightctl check-config --config $CONF"
    if [ "$DRY_RUN" -eq 0 ] &&
        ! problems="$(runuser -u "$SERVICE_USER" -- "$VENV/bin/lightctl" check-config \
            --config "$CONF" 2>&1 >/dev/null)"; then
        printf '%s\n' "$problems" >&2
        echo "install.sh: not started: fix $CONF (readable by $SERVICE_USER), then run this again" >&2
        exit 1
    fi
    if [ "$SYSTEMD_RUNNING" -eq 1 ]; then
        run systemctl restart lightctl.service
        if [ "$DRY_RUN" -eq 0 ]; then echo "started: journalctl -u lightctl -f   to follow it"; fi
    else
        echo "systemd is not running here (a chroot or image build): skipped daemon-reload" \
            "and restart; lightctl.service starts at the next boot"
    fi
fi
echo
if [ "$DRY_RUN" -eq 1 ]; then echo "done (dry run: nothing was changed)"; else echo "done"; fi
