#!/usr/bin/env bash
# Makes the lab's PC boot medium: a grub-mkrescue ISO (BIOS/El Torito) that boots the lab L1's
# Debian *generic* kernel with the tests/linux busybox initramfs plus a second initramfs holding
# the generic kernel's modules for the PC machine's devices (the cloud kernel has no AHCI, DRM or
# bochs: CONFIG_SATA_AHCI and CONFIG_DRM_BOCHS are unset there). The guest's /init loads the
# modules listed in /etc/vmdesk/modules from /lib/modules/$(uname -r); the second archive
# replaces that list and brings the generic kernel's tree, so the same /init works.
#
# Usage: make-pc-iso.sh [OUTPUT_DIR]    (default ${XDG_CACHE_HOME:-$HOME/.cache}/vmdesk/lab-pc)
# Writes OUTPUT_DIR/pc-linux.iso (and prints its path); does nothing when it is newer than its
# inputs and this script. Needs: build-l1.sh's debs (the generic kernel, busybox-static, kmod),
# build-guest.sh's initramfs, grub-mkrescue + xorriso + mtools + grub-pc-bin. Runs on the host
# (run-lab-tests.sh calls it) or inside L1's chroot (slower).
# GRUB command line: console=ttyS0 reboot=k panic=-1 vmdesk.init=shell; GRUB's menu is on the
# serial port too (terminal_output serial console), so a test sees GRUB start.
set -euo pipefail

here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/vmdesk"
out="${1:-$cache/lab-pc}"
lab="${LAB_DIR:-$cache/lab}"
guest="${VMDESK_LINUX_DIR:-$cache/linux}"
iso="$out/pc-linux.iso"
# Wanted from the generic kernel (dependencies follow from modules.dep). virtio_mmio is not
# needed on the PC (virtio-pci there), i8042/atkbd are built in.
MODULES="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk virtio_rng virtio_console virtio_input ahci sr_mod isofs bochs"

say() { echo "make-pc-iso: $*" >&2; }
warn() { say "warning: $*"; }
die() {
    say "$*"
    exit 1
}

for tool in grub-mkrescue xorriso mformat; do
    command -v "$tool" >/dev/null || die "no $tool (tests/setup.sh installs grub-common xorriso mtools grub-pc-bin)"
done
[ -d /usr/lib/grub/i386-pc ] || die "no /usr/lib/grub/i386-pc (apt-get install grub-pc-bin)"
initrd="$guest/initramfs-cloud.cpio.gz"
[ -f "$initrd" ] || die "no $initrd (run tests/linux/build-guest.sh)"
kdeb="$(ls "$lab"/debs/linux-image-[0-9]*-amd64_*.deb 2>/dev/null | sort -V | tail -n 1)"
bdeb="$(ls "$lab"/debs/busybox-static_*.deb 2>/dev/null | tail -n 1)"
mdeb="$(ls "$lab"/debs/kmod_*.deb 2>/dev/null | tail -n 1)"
[ -n "$kdeb" ] && [ -n "$bdeb" ] && [ -n "$mdeb" ] || die "no generic kernel/busybox/kmod .deb in $lab/debs (run tests/lab/build-l1.sh)"

mkdir -p "$out"
exec 9>"$out/.lock"
flock 9
uptodate=1
for f in "$kdeb" "$initrd" "$here/make-pc-iso.sh"; do [ "$iso" -nt "$f" ] || uptodate=0; done
if [ "$uptodate" = 1 ]; then
    echo "$iso"
    exit 0
fi

work="$(mktemp -d "$out/work.XXXXXX")"
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$kdeb" "$work/kernel"
dpkg-deb -x "$bdeb" "$work/busybox"
dpkg-deb -x "$mdeb" "$work/kmod"
kroot="$work/kernel"
kver="$(ls "$kroot/lib/modules" | head -n 1)"
kmoddir="$kroot/lib/modules/$kver"
kimage="$kroot/boot/vmlinuz-$kver"
busybox="$work/busybox/bin/busybox"
[ -f "$kimage" ] || die "$kdeb has no boot/vmlinuz-$kver"
# shellcheck source=../lib/initramfs.sh
. "$here/../lib/initramfs.sh"
initramfs_find_depmod
initramfs_plan_modules
[ -z "$missing" ] || warn "not in $kver: $missing"

# The second archive: the planned modules with depmod's indexes, and the wanted list.
root="$work/root"
initramfs_modules "$root" vmdesk

isoroot="$work/iso"
mkdir -p "$isoroot/boot/grub"
find "$root" -exec touch -h -r "$kimage" {} +
(cd "$root" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort |
    "$busybox" cpio -o -H newc -R 0:0 2>/dev/null) | gzip -9 -n >"$isoroot/boot/pc-modules.cpio.gz"
cp "$kimage" "$isoroot/boot/vmlinuz"
cp "$initrd" "$isoroot/boot/initrd.gz"
cat >"$isoroot/boot/grub/grub.cfg" <<'EOF'
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
set timeout=1
set default=0
menuentry "vmdesk lab PC Linux" {
  echo "VMDESK-GRUB-LOADING"
  linux /boot/vmlinuz console=ttyS0 reboot=k panic=-1 vmdesk.init=shell
  initrd /boot/initrd.gz /boot/pc-modules.cpio.gz
}
EOF
grub-mkrescue -o "$iso.tmp" "$isoroot" >"$work/mkrescue.log" 2>&1 || die "grub-mkrescue failed: $(tail -n 3 "$work/mkrescue.log")"
mv -f "$iso.tmp" "$iso"
say "$iso: kernel $kver, modules: $(printf '%s\n' "$load_files" | sed 's|.*/||; s|\.ko$||' | tr '\n' ' ')"
echo "$iso"
