#!/usr/bin/env bash
# Installs everything Earmark needs on a fresh Debian machine, skipping what is already there:
# Debian's influxdb (the time-series store), chromium (dashboard browser test), wabt (test
# modules for the proxy-wasm host), then the npm packages from package-lock.json.
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

# onnxruntime-node's postinstall would download CUDA files; the CPU build ships in the package.
export ONNXRUNTIME_NODE_INSTALL=skip
npm ci
