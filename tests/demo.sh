#!/usr/bin/env bash
# Builds vmdesk and vmdesk-vmm, puts a ready demo VM in the library and opens the app. Without a
# graphical session (no DISPLAY / WAYLAND_DISPLAY) it boots the demo VM with its serial console
# in this terminal instead.
# With hardware virtualization (kvm_intel / kvm_amd): a real Debian cloud kernel with a busybox
# shell. Without it (e.g. a software KVM such as kvm_pvm): the small test guest, which echoes
# what you type. Ctrl-A x stops the VM.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p vmm-core -p vmdesk --bins --examples
GUEST=$(cargo run -q --release -p vmm-core --example test_guest_path)
VMDIR="${XDG_DATA_HOME:-$HOME/.local/share}/vmdesk/vms/demo"
mkdir -p "$VMDIR"
if [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; then
  LINUX="${XDG_CACHE_HOME:-$HOME/.cache}/vmdesk/linux"
  tests/linux/build-guest.sh "$LINUX"
  cat >"$VMDIR/vm.toml.tmp" <<TOML
id = "demo"
name = "Demo: Debian cloud kernel + busybox"
vcpus = 2
memory_mib = 512

[boot]
kind = "linux"
kernel = "$LINUX/vmlinuz-cloud"
initrd = "$LINUX/initramfs-cloud.cpio.gz"
cmdline = "console=ttyS0 reboot=k panic=-1 vmdesk.init=shell"
TOML
  echo "demo: booting Debian's cloud kernel; type 'poweroff -f' or Ctrl-A x to stop" >&2
else
  cat >"$VMDIR/vm.toml.tmp" <<TOML
id = "demo"
name = "Demo: vmdesk test guest"
vcpus = 1
memory_mib = 64

[boot]
kind = "linux"
kernel = "$GUEST"
cmdline = "console=ttyS0 vmdesk.test=echo"
TOML
  echo "demo: no hardware virtualization here, so the small test guest runs instead of Linux." >&2
  # Give it a screen too, so the app's console shows something.
  printf '\n[display]\nwidth = 800\nheight = 600\n' >>"$VMDIR/vm.toml.tmp"
  echo "demo: it echoes each line you type; type 'poweroff' or Ctrl-A x to stop" >&2
fi
mv "$VMDIR/vm.toml.tmp" "$VMDIR/vm.toml"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "demo: opening vmdesk; the demo VM is in the library (Start, then Details)" >&2
  exec target/release/vmdesk
fi
exec target/release/vmdesk-vmm --config "$VMDIR/vm.toml" --console
