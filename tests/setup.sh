#!/usr/bin/env bash
# Installs what building and testing vmdesk needs on Debian 12 / Ubuntu 22.04+.
# Needs root for apt-get (uses sudo when not root).
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
PKGS=(gcc binutils make pkg-config ca-certificates curl passt qemu-utils gvncviewer python3-pip tigervnc-standalone-server
  libxkbcommon-x11-0 libx11-xcb1 libxcursor1 libxi6 fonts-dejavu-core
  desktop-file-utils appstream shared-mime-info dpkg-dev xvfb x11-utils)
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${PKGS[@]}"
# A VNC client no one here wrote, for the display tests.
python3 -m pip install --quiet vncdotool 2>/dev/null \
  || python3 -m pip install --quiet --break-system-packages vncdotool
if ! command -v cargo >/dev/null; then
  echo "cargo not found: install Rust from https://rustup.rs (stable), then run this again" >&2
  exit 1
fi
# The .deb builder, for tests/packaging.sh.
if ! cargo deb --version >/dev/null 2>&1; then
  cargo install cargo-deb --version 3.8.0 --locked
fi
if [ ! -w /dev/kvm ] || [ ! -r /dev/kvm ]; then
  echo "note: /dev/kvm is not usable by $(id -un); add yourself to group 'kvm' (sudo adduser $(id -un) kvm) and log in again" >&2
fi
