#!/usr/bin/env bash
# Installs everything Earmark needs on a fresh Debian machine, skipping what is already there:
# Debian's influxdb (the time-series store), chromium (dashboard browser test), wabt (test
# modules for the proxy-wasm host), promtool and prometheus (the alert rules' checks; taken from
# Debian's prometheus package without installing it), then the npm packages from package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
command -v influxd >/dev/null 2>&1 || missing+=(influxdb)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v wat2wasm >/dev/null 2>&1 || missing+=(wabt)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
# Debian's package may start influxd as a system service on :8086 (all interfaces); Earmark runs its
# own loopback-only instance instead, so leave the system one off if the init system started it.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet influxdb 2>/dev/null; then
  $SUDO systemctl disable --now influxdb || true
fi

# promtool (checks the alert rules) and prometheus (evaluates them in a test against live metrics),
# extracted into var/tools/: `apt-get install prometheus` would also install (and on a systemd
# machine start) a Prometheus server listening on all interfaces.
if [ ! -x var/tools/promtool ] || [ ! -x var/tools/prometheus ]; then
  echo "extracting promtool and prometheus from Debian's prometheus package into var/tools/"
  deb_dir="$(mktemp -d)"
  chmod 777 "$deb_dir" # apt's download user (_apt) writes there
  if ! (cd "$deb_dir" && apt-get download prometheus >/dev/null 2>&1); then
    $SUDO apt-get update >/dev/null
    (cd "$deb_dir" && apt-get download prometheus >/dev/null)
  fi
  mkdir -p var/tools
  for tool in promtool prometheus; do
    dpkg-deb --fsys-tarfile "$deb_dir"/prometheus_*.deb | tar -x -O "./usr/bin/$tool" > "var/tools/$tool"
    chmod 755 "var/tools/$tool"
    "var/tools/$tool" --version >/dev/null # fails here, not in the tests, if it cannot run
  done
  rm -rf "$deb_dir"
fi

# onnxruntime-node's postinstall would download CUDA files; the CPU build ships in the package.
export ONNXRUNTIME_NODE_INSTALL=skip
npm ci
