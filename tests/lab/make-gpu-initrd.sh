#!/usr/bin/env bash
# Makes the gpu-resize lab test's L2 boot files: Debian's *generic* kernel (the one build-l1.sh
# downloads for L1) and an initramfs that is tests/linux's busybox initramfs with a second
# archive appended, holding the generic kernel's virtio_mmio, virtio_gpu and their dependencies
# (from modules.dep) and a /etc/vmdesk/modules naming them. Why not the cloud kernel the other
# lab tests boot: Debian's cloud kernel has no DRM at all (CONFIG_DRM, CONFIG_DRM_VIRTIO_GPU
# unset in config-6.1.0-57-cloud-amd64); the generic one has CONFIG_DRM_VIRTIO_GPU=m with
# CONFIG_DRM_FBDEV_EMULATION=y and CONFIG_FRAMEBUFFER_CONSOLE=y. The guest's /init loads the
# modules listed in /etc/vmdesk/modules from /lib/modules/$(uname -r); the appended archive
# replaces that list and brings the generic kernel's tree, so the same /init works (as in
# make-pc-iso.sh). The kernel unpacks concatenated gzip'd cpio archives one after the other.
#
# Usage: make-gpu-initrd.sh [OUTPUT_DIR]    (default ${XDG_CACHE_HOME:-$HOME/.cache}/vmdesk/lab-gpu)
# Writes OUTPUT_DIR/vmlinuz-generic and OUTPUT_DIR/initramfs-gpu.cpio.gz (prints the directory);
# does nothing when both are newer than their inputs and this script. Needs build-l1.sh's debs
# (the generic kernel, busybox-static, kmod) and build-guest.sh's initramfs. Runs on the host
# (run-lab-tests.sh calls it, ~5 s) or inside L1's chroot (lab-tests.sh does when it is missing).
set -euo pipefail

here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/vmdesk"
out="${1:-$cache/lab-gpu}"
lab="${LAB_DIR:-$cache/lab}"
guest="${VMDESK_LINUX_DIR:-$cache/linux}"
# virtio_gpu pulls in drm, drm_kms_helper, virtio_dma_buf, ... through modules.dep.
MODULES="virtio_ring virtio virtio_mmio virtio_gpu"

say() { echo "make-gpu-initrd: $*" >&2; }
warn() { say "warning: $*"; }
die() {
    say "$*"
    exit 1
}

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
for t in "$out/vmlinuz-generic" "$out/initramfs-gpu.cpio.gz"; do
    for f in "$kdeb" "$initrd" "$here/make-gpu-initrd.sh" "$here/../lib/initramfs.sh"; do
        [ "$t" -nt "$f" ] || uptodate=0
    done
done
if [ "$uptodate" = 1 ]; then
    echo "$out"
    exit 0
fi

work="$(mktemp -d "$out/work.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# Only the kernel image and the modules are needed from the 70 MB package.
dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$work" --wildcards './boot/vmlinuz-*' './lib/modules/*' 2>/dev/null ||
    { mkdir -p "$work/kernel" && dpkg-deb -x "$kdeb" "$work/kernel"; }
if [ -d "$work/boot" ]; then
    mkdir -p "$work/kernel" && mv "$work/boot" "$work/lib" "$work/kernel/"
fi
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
[ -z "$missing" ] || die "not in $kver: $missing"

root="$work/root"
initramfs_modules "$root" vmdesk
find "$root" -exec touch -h -r "$kimage" {} +
(cd "$root" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort |
    "$busybox" cpio -o -H newc -R 0:0 2>/dev/null) | gzip -9 -n >"$work/gpu-modules.cpio.gz"
cat "$initrd" "$work/gpu-modules.cpio.gz" >"$work/initramfs-gpu.cpio.gz"
cp "$kimage" "$work/vmlinuz-generic"
mv -f "$work/vmlinuz-generic" "$out/vmlinuz-generic"
mv -f "$work/initramfs-gpu.cpio.gz" "$out/initramfs-gpu.cpio.gz"
say "$out: kernel $kver, modules: $(printf '%s\n' "$load_files" | sed 's|.*/||; s|\.ko$||' | tr '\n' ' ')"
echo "$out"
