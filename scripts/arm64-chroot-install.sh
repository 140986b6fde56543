#!/usr/bin/env bash
# Try scripts/install.sh end to end on an emulated arm64 Debian 12, as root (not in CI):
#
#   sudo scripts/arm64-chroot-install.sh [ROOT]      # ROOT defaults to /var/tmp/arm64root
#
# 1. builds ROOT with `debootstrap --arch=arm64 bookworm` under qemu-user-static (about
#    8 minutes the first time; an existing ROOT is reused),
# 2. copies this checkout's tracked files into ROOT/root/lightctl,
# 3. runs the installer there; no systemd runs in a chroot, so it must say so and skip
#    the service steps, and apt has no python3-lgpio, so lgpio comes from PyPI,
# 4. checks the result: `lightctl --version` and `check-config` as the service user, and
#    the installed daemon (`run --demo`) answering /api/status, with the time it took.
# Needs network access (Debian mirror, PyPI). Leaves ROOT in place; `rm -rf ROOT` when done.
set -euo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="${1:-/var/tmp/arm64root}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
PORT="${PORT:-18089}"

if [ "$(id -u)" -ne 0 ]; then
    echo "arm64-chroot-install.sh: run as root" >&2
    exit 1
fi
need=()
for pkg in qemu-user-static debootstrap binfmt-support; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    echo "arm64-chroot-install.sh: qemu-aarch64 is not registered with binfmt_misc" >&2
    exit 1
fi

t0=$(date +%s)
if [ -d "$ROOT/debootstrap" ] || [ ! -x "$ROOT/usr/bin/apt-get" ]; then
    echo "== debootstrap arm64 bookworm into $ROOT"
    if [ ! -x "$ROOT/debootstrap/debootstrap" ]; then
        debootstrap --arch=arm64 --foreign bookworm "$ROOT" "$MIRROR"
    fi
    cp /usr/bin/qemu-aarch64-static "$ROOT/usr/bin/"
    chroot "$ROOT" /debootstrap/debootstrap --second-stage
    echo "   built in $(($(date +%s) - t0)) s"
fi

mounted=()
cleanup() {
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" || true; done
}
trap cleanup EXIT
for m in proc sys dev dev/pts; do
    mkdir -p "$ROOT/$m"
    case "$m" in
        proc) mount -t proc proc "$ROOT/proc" ;;
        sys) mount -t sysfs sys "$ROOT/sys" ;;
        *) mount --bind "/$m" "$ROOT/$m" ;;
    esac
    mounted+=("$ROOT/$m")
done
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"

# pip in the chroot reaches the registry the host's pip reaches: the host's CA bundle
# (a network that inspects HTTPS signs with its own CA), its pip config files, its PIP_*
# settings (passed by in_root below), the files they name (a constraints file) and the
# local folders they name (file:// indexes, find-links), bound read-only
mkdir -p "$ROOT/etc/ssl/certs"
cp /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/certs/ca-certificates.crt"
confs=()
for conf in /etc/pip.conf /etc/xdg/pip/pip.conf "$HOME/.config/pip/pip.conf" \
    "$HOME/.pip/pip.conf" "${PIP_CONFIG_FILE:-}"; do
    if [ -n "$conf" ] && [ -f "$conf" ]; then
        mkdir -p "$ROOT$(dirname "$conf")"
        cp "$conf" "$ROOT$conf"
        confs+=("$conf")
    fi
done
pip_env=()
while IFS= read -r name; do
    pip_env+=("$name=${!name}")
done < <(compgen -e | grep -E '^(PIP_|SSL_CERT_|REQUESTS_CA_BUNDLE$)' || true)
{ cat "${confs[@]}" /dev/null; printf '%s\n' "${pip_env[@]}"; } \
    | grep -oE '(file://)?/[^ ,"=]+' | sed 's|^file://||; s|/simple/*$||' | sort -u \
    | while read -r path; do
        case "$path" in /proc/* | /sys/* | /dev/*) continue ;; esac
        if [ -f "$path" ]; then # a file a setting names (a constraints file, a cert)
            mkdir -p "$ROOT$(dirname "$path")"
            cp "$path" "$ROOT$path"
        elif [ -d "$path" ] && [[ "$path" != /etc/* && "$path" != /usr/* ]]; then
            mkdir -p "$ROOT$path"
            mountpoint -q "$ROOT$path" || mount --bind -o ro "$path" "$ROOT$path"
            echo "$ROOT$path" >>"$ROOT/tmp/.lightctl-binds"
        fi
    done
if [ -f "$ROOT/tmp/.lightctl-binds" ]; then
    while read -r dir; do mounted+=("$dir"); done <"$ROOT/tmp/.lightctl-binds"
    rm -f "$ROOT/tmp/.lightctl-binds"
fi

echo "== copying the checkout to $ROOT/root/lightctl"
rm -rf "$ROOT/root/lightctl"
mkdir -p "$ROOT/root/lightctl"
git -C "$SRC" ls-files -z | (cd "$SRC" && xargs -0 tar -cf - --) | tar -xf - -C "$ROOT/root/lightctl"

in_root() {
    chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
        "${pip_env[@]}" "$@"
}

echo "== uname -m in the chroot: $(in_root uname -m)"
echo "== scripts/install.sh --help (last line)"
in_root bash /root/lightctl/scripts/install.sh --help | tail -1

echo "== scripts/install.sh"
t1=$(date +%s)
set +e
in_root bash /root/lightctl/scripts/install.sh
rc=$?
set -e
echo "== install.sh exited $rc after $(($(date +%s) - t1)) s"

echo "== checks"
in_root runuser -u lightctl -- /opt/lightctl/venv/bin/lightctl --version
in_root runuser -u lightctl -- /opt/lightctl/venv/bin/lightctl check-config \
    --config /etc/lightctl/config.toml >/dev/null && echo "check-config as lightctl: OK"
in_root /opt/lightctl/venv/bin/python -c 'import lgpio; print("lgpio", lgpio.__file__)'

echo "== the installed daemon: run --demo on 127.0.0.1:$PORT"
t2=$(date +%s%N)
rm -f "$ROOT/tmp/demo.pid"
# the daemon writes its own pid: killing the chroot wrapper would leave it running
in_root runuser -u lightctl -- sh -c 'echo $$ >/tmp/demo.pid; exec "$@"' sh \
    /opt/lightctl/venv/bin/lightctl run --demo --state-dir /tmp/lightctl-demo \
    --listen "127.0.0.1:$PORT" >"$ROOT/tmp/demo.log" 2>&1 &
demo=$!
ok=0
for _ in $(seq 1 600); do
    if curl -fsS "http://127.0.0.1:$PORT/api/status" >/dev/null 2>&1; then ok=1; break; fi
    sleep 0.1
done
if [ "$ok" -eq 1 ]; then
    ms=$((($(date +%s%N) - t2) / 1000000))
    echo "/api/status answered after ${ms} ms (emulated arm64, curl polled every 0.1 s)"
    curl -fsS "http://127.0.0.1:$PORT/api/status" | head -c 300; echo
    echo "/healthz: $(curl -sS -w ' (HTTP %{http_code})' "http://127.0.0.1:$PORT/healthz")"
else
    echo "the daemon did not answer within 60 s; its log:"; cat "$ROOT/tmp/demo.log"
fi
if [ -s "$ROOT/tmp/demo.pid" ]; then
    kill "$(cat "$ROOT/tmp/demo.pid")" 2>/dev/null || true # SIGTERM: a clean stop
fi
wait "$demo" 2>/dev/null || true
exit "$rc"
