#!/usr/bin/env bash
# Installs what building and testing vmdesk needs on Debian 12 / Ubuntu 22.04+.
# Needs root for apt-get (uses sudo when not root).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
PKGS=(gcc binutils make pkg-config ca-certificates curl passt libslirp0 qemu-utils gvncviewer python3-pip tigervnc-standalone-server
  libxkbcommon-x11-0 libx11-xcb1 libxcursor1 libxi6 fonts-dejavu-core
  desktop-file-utils appstream shared-mime-info dpkg-dev xvfb x11-utils xdotool imagemagick
  e2fsprogs iproute2 seabios ovmf grub-common grub-pc-bin grub-efi-amd64-bin xorriso mtools
  osinfo-db crun busybox-static libxml2-utils python3-jsonschema)
# QEMU for the real-Linux lab comes from Debian's backports (the stable one is too old next to
# qemu-utils from backports): add that source first, so one apt-get update serves all.
QEMU_SUITE=""
if [ -r /etc/debian_version ] && command -v apt-get >/dev/null; then
  QEMU_SUITE=$($SUDO tests/lab/install-qemu.sh --source-only || true)
fi
# The .deb builder, for tests/packaging.sh: compiled from crates.io (about 200 CPU-seconds), so it
# starts now, beside apt-get, which mostly waits on downloads and the disk. It needs a C compiler
# (lzma, zstd); without one yet this try fails quietly and the one after apt-get shows why.
deb_pid=""
if command -v cargo >/dev/null && command -v cc >/dev/null && ! cargo deb --version >/dev/null 2>&1; then
  cargo install cargo-deb --version 3.8.0 --locked >/dev/null 2>&1 &
  deb_pid=$!
  trap '[ -z "$deb_pid" ] || kill "$deb_pid" 2>/dev/null; true' EXIT
fi
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${PKGS[@]}"
# libvirt-clients: virsh (its test driver, no daemon) and virt-xml-validate check vmdesk's
# libvirt export; the export's passt backend needs libvirt >= 9.2 (bookworm has 9.0, its
# backports 11), so it comes from the same suite as QEMU.
if [ -n "$QEMU_SUITE" ]; then
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -t "$QEMU_SUITE" qemu-system-x86 libvirt-clients
else
  $SUDO apt-get install -y --no-install-recommends qemu-system-x86 libvirt-clients
fi
# A VNC client no one here wrote, for the display tests.
python3 -m pip install --quiet vncdotool 2>/dev/null \
  || python3 -m pip install --quiet --break-system-packages vncdotool
if ! command -v cargo >/dev/null; then
  echo "cargo not found: install Rust from https://rustup.rs (stable), then run this again" >&2
  exit 1
fi
if [ -n "$deb_pid" ]; then
  wait "$deb_pid" || true
  deb_pid=""
fi
if ! cargo deb --version >/dev/null 2>&1; then
  cargo install cargo-deb --version 3.8.0 --locked
fi
if [ ! -w /dev/kvm ] || [ ! -r /dev/kvm ]; then
  echo "note: /dev/kvm is not usable by $(id -un); add yourself to group 'kvm' (sudo adduser $(id -un) kvm) and log in again" >&2
fi
