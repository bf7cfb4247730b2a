#!/usr/bin/env bash
# `vmdesk import` end to end (issue 19): libvirt domains shaped like real ones
# (app/tests/data/libvirt/), pointed at the test guest, import and start under vmdesk-vmm here.
#   1. direct-kernel.xml with a virtio raw disk and `vmdesk.test=blk`: imported, started with
#      `vmdesk start`, the guest writes, flushes and reads back its disk and powers off.
#   2. pc-seabios-ide-cdrom.xml with a GRUB rescue ISO around the test guest in its IDE CD-ROM:
#      imported (the IDE CD-ROM on SATA), SeaBIOS boots GRUB from the CD, GRUB the test guest.
#   3. The imported VM exported again: libvirt's test driver defines it (when virsh is there).
# CLI only (no window). Uses the debug build (run-all: the release one). Needs: seabios, grub-common grub-pc-bin xorriso
# mtools for part 2 (tests/setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET="${CARGO_TARGET_DIR:-target}"
# run-all.sh passes the release build packaging.sh made (VMDESK_BIN_DIR); alone, the debug one.
BIN="${VMDESK_BIN_DIR:-$TARGET/debug}"
fail() { echo "app-e2e-import: FAIL: $*" >&2; exit 1; }
[ -n "${VMDESK_BIN_DIR:-}" ] || cargo build -q -p vmdesk -p vmm-core
# run-all.sh names the guest its test build made (VMDESK_TEST_GUEST); alone, build it.
GUEST=${VMDESK_TEST_GUEST:-$(cargo run -q -p vmm-core --example test_guest_path)}

work=$(mktemp -d)
export VMDESK_HOME="$work/home"
export XDG_RUNTIME_DIR="$work/xdg"
mkdir -m 700 "$XDG_RUNTIME_DIR"
vms=()
cleanup() {
  for vm in "${vms[@]}"; do "$BIN/vmdesk" kill "$vm" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT
wait_for() { # file, text, seconds
  for _ in $(seq 1 $(($3 * 10))); do
    grep -qF -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "no \"$2\" in $1 after $3 s: $(tail -c 400 "$1" 2>/dev/null | tr -cd '[:print:]\n')"
}

# 1. Direct kernel boot with a disk.
truncate -s 16M "$work/disk.img"
disk="    <disk type='file' device='disk'>\n      <driver name='qemu' type='raw'/>\n      <source file='$work/disk.img'/>\n      <target dev='vda' bus='virtio'/>\n    </disk>"
sed -e "s#@KERNEL@#$GUEST#" -e "s#<cmdline>console=ttyS0#<cmdline>console=ttyS0 vmdesk.test=blk#" \
  -e "s#^    <serial type='pty'>#$disk\n    <serial type='pty'>#" \
  app/tests/data/libvirt/direct-kernel.xml >"$work/kernel.xml"
"$BIN/vmdesk" import "$work/kernel.xml" || fail "vmdesk import $work/kernel.xml"
vms+=(kernel-guest)
toml="$VMDESK_HOME/data/vms/kernel-guest/vm.toml"
grep -qF "kernel = \"$GUEST\"" "$toml" || fail "the VM does not boot the test guest: $(cat "$toml")"
grep -qF "path = \"$work/disk.img\"" "$toml" || fail "the disk was not imported: $(cat "$toml")"
"$BIN/vmdesk" start kernel-guest >/dev/null || fail "vmdesk start kernel-guest"
serial="$VMDESK_HOME/data/vms/kernel-guest/serial.log"
wait_for "$serial" "ACTION poweroff" 60
! grep -q '^FAIL' "$serial" || fail "the guest failed: $(grep '^FAIL' "$serial")"
wcrc=$(sed -n 's/^BLK write ok .*crc=\(0x[0-9a-f]*\).*/\1/p' "$serial")
rcrc=$(sed -n 's/^BLK read ok crc=\(0x[0-9a-f]*\).*/\1/p' "$serial")
[ -n "$wcrc" ] && [ "$wcrc" = "$rcrc" ] || fail "disk write/read: write crc '$wcrc', read crc '$rcrc'"
echo "app-e2e-import: PASS: an imported direct-kernel domain started, wrote and read its disk ($wcrc), powered off"

# 3. Exported again, libvirt takes it.
"$BIN/vmdesk" export kernel-guest --libvirt "$work/again.xml" 2>"$work/notes.txt" >/dev/null \
  || fail "vmdesk export"
grep -q "virtio-pci" "$work/notes.txt" || fail "the export does not say the kernel machine changes: $(cat "$work/notes.txt")"
virsh_ok() { # libvirt >= 9.2 (the passt backend)
  command -v virsh >/dev/null && virsh --version | awk -F. '{ exit !($1 > 9 || ($1 == 9 && $2 >= 2)) }'
}
if virsh_ok; then
  virsh -q -c test:///default "define $work/again.xml" >/dev/null || fail "virsh define of the export"
  echo "app-e2e-import: PASS: the export of the imported VM is accepted by libvirt's test driver"
elif [ -n "${VMDESK_REQUIRE_TOOLS:-}" ]; then
  fail "virsh >= 9.2 is not installed (Debian: libvirt-clients from bookworm-backports)"
else
  echo "app-e2e-import: SKIP: virsh >= 9.2 is not installed (Debian: libvirt-clients from bookworm-backports)"
fi

# 2. pc + SeaBIOS, the test guest on a GRUB CD in an IDE CD-ROM drive.
if ! command -v grub-mkrescue >/dev/null || [ ! -f /usr/lib/grub/i386-pc/boot.img ] \
  || [ ! -f /usr/share/seabios/bios-256k.bin ]; then
  [ -z "${VMDESK_REQUIRE_TOOLS:-}" ] || fail "grub-mkrescue (grub-common grub-pc-bin xorriso mtools) or seabios is missing"
  echo "app-e2e-import: SKIP: the BIOS domain needs grub-mkrescue and seabios"
  exit 0
fi
root="$work/iso-root"
mkdir -p "$root/boot/grub"
cp "$GUEST" "$root/boot/vmdesk-guest"
printf 'set timeout=0\nmenuentry "vmdesk test guest" {\n  linux /boot/vmdesk-guest console=ttyS0 vmdesk.test=poweroff\n}\n' \
  >"$root/boot/grub/grub.cfg"
grub-mkrescue -o "$work/guest.iso" "$root" >"$work/mkrescue.log" 2>&1 \
  || fail "grub-mkrescue: $(tail -3 "$work/mkrescue.log")"
truncate -s 64M "$work/hda.img"
sed -e "s#@DISK@#$work/hda.img#" -e "s#@ISO@#$work/guest.iso#" \
  app/tests/data/libvirt/pc-seabios-ide-cdrom.xml >"$work/pc.xml"
"$BIN/vmdesk" import "$work/pc.xml" 2>"$work/pc-notes.txt" || fail "vmdesk import $work/pc.xml"
grep -q "ide bus becomes sata" "$work/pc-notes.txt" || fail "no note on the IDE bus: $(cat "$work/pc-notes.txt")"
vms+=(winxp)
"$BIN/vmdesk" start winxp >/dev/null || fail "vmdesk start winxp"
serial="$VMDESK_HOME/data/vms/winxp/serial.log"
wait_for "$serial" "ACTION poweroff" 240
grep -q "Booting from DVD/CD" "$serial" || fail "SeaBIOS did not boot from the CD"
echo "app-e2e-import: PASS: an imported pc + SeaBIOS domain booted the test guest from its (IDE → SATA) CD-ROM"
