#!/usr/bin/env bash
# End-to-end test of installing from an ISO with the real app under Xvfb (issue 14):
#   1. `vmdesk FILE.iso` (what the file manager's "Open with vmdesk" runs) opens the wizard with
#      the ISO chosen and detected;
#   2. clicking BIOS and Create writes a VM with the ISO in a CD drive, a new disk, order
#      disk → cdrom (the blank disk falls through to the CD);
#   3. Start, then the console shows GRUB's menu (SeaBIOS → GRUB from the CD, text mode drawn
#      by the std-vga into the app's console);
#   4. Eject in the details view while the VM runs: the VMM takes the disc out and vm.toml says so.
# The ISO is grub-mkrescue around the test guest, with a menu that waits. Uses the release build.
# Needs: Xvfb, xdotool, imagemagick, grub-common grub-pc-bin xorriso mtools, seabios (setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET="${CARGO_TARGET_DIR:-target}"
BIN="$TARGET/release"
fail() { echo "app-e2e-iso: FAIL: $*" >&2; exit 1; }
for t in Xvfb xdotool import convert grub-mkrescue xorriso; do
  command -v "$t" >/dev/null || fail "$t is not installed (tests/setup.sh installs it)"
done
[ -f /usr/lib/grub/i386-pc/boot.img ] || fail "grub-pc-bin is not installed"
[ -f /usr/share/seabios/bios-256k.bin ] || fail "seabios is not installed"
cargo build --release -p vmdesk -p vmm-core
# run-all.sh names the guest its test build made (VMDESK_TEST_GUEST); alone, build it.
GUEST=${VMDESK_TEST_GUEST:-$(cargo run -q -p vmm-core --example test_guest_path)}

. tests/lib/app-session.sh
app_session grub-test

root="$work/iso-root"
mkdir -p "$root/boot/grub"
cp "$GUEST" "$root/boot/vmdesk-guest"
# timeout=-1: the menu stays on screen until someone picks an entry.
printf 'set timeout=-1\nmenuentry "vmdesk test guest" {\n  linux /boot/vmdesk-guest console=ttyS0\n}\n' \
  >"$root/boot/grub/grub.cfg"
iso="$work/grub-test.iso"
grub-mkrescue -o "$iso" "$root" >"$work/mkrescue.log" 2>&1 || fail "grub-mkrescue: $(tail -3 "$work/mkrescue.log")"

shot() { import -window root "$work/$1.png"; }
click() { xdotool mousemove "$1" "$2" click 1; sleep "${3:-1}"; }
toml="$VMDESK_HOME/data/vms/grub-test/vm.toml"

"$BIN/vmdesk" "$iso" >"$work/app.log" 2>&1 &
app=$!
xdotool search --sync --name '^vmdesk$' >/dev/null
sleep 4
# The wizard's install page with the file detected: an unknown ISO (grub-mkrescue's volume id
# "ISOIMAGE" is no OS osinfo-db knows) gets generic settings and the name of the file.
click 558 337          # Firmware: "BIOS (legacy)" (OVMF cannot run on this machine's software KVM)
click 1222 27 4        # Create
[ -f "$toml" ] || { shot wizard; fail "no VM was created from $iso (app log: $(tail -3 "$work/app.log"))"; }
grep -q "^kind = \"bios\"" "$toml" || fail "the VM does not boot BIOS: $(cat "$toml")"
grep -qF "path = \"$iso\"" "$toml" || fail "the ISO is not in the VM's CD drive: $(cat "$toml")"
tr -d ' \n' <"$toml" | grep -qF 'order=["disk","cdrom",]' || fail "boot order is not disk, cdrom: $(cat "$toml")"
grep -q '^\[\[disks\]\]' "$toml" || fail "the VM has no disk to install onto"
echo "app-e2e-iso: PASS: vmdesk FILE.iso opened the wizard with the ISO; Create wrote the VM (CD, disk, disk→cdrom, BIOS)"

# (The "was created" toast sits at the bottom and moves nothing.)
click 349 165 3        # the card's Start (its buttons are under the name)
click 712 165 3        # Details (a running card: Pause, Power off, Restart, Force off, Details)
click 1002 27 2        # Screen
# SeaBIOS tries the blank disk, boots the CD, GRUB draws its menu: ~40 s on this software KVM.
gray=0
for _ in $(seq 1 36); do
  sleep 5
  shot console
  # VGA text mode's light grey (palette 7) over a black screen: GRUB's frame and text.
  gray=$(convert "$work/console.png" -format %c histogram:info:- | awk '/#AAAAAA /{print $1+0}')
  [ "${gray:-0}" -gt 10000 ] && break
done
[ "${gray:-0}" -gt 10000 ] || fail "the console does not show GRUB's menu after 180 s (grey pixels: ${gray:-0}); serial: $(tail -c 300 "$VMDESK_HOME/data/vms/grub-test/serial.log" | tr -cd '[:print:]\n')"
grep -q "Booting from DVD/CD" "$VMDESK_HOME/data/vms/grub-test/serial.log" \
  || fail "SeaBIOS did not boot from the CD (serial log)"
echo "app-e2e-iso: PASS: the console shows GRUB's menu, booted from the CD after the blank disk"

click 60 27 2          # back to Details
click 405 727 3        # Eject (the CD/DVD drive, at the bottom of the settings)
shot ejected
if grep -qF "path = \"$iso\"" "$toml"; then
  fail "Eject left the ISO in vm.toml; screenshot: $work/ejected.png"
fi
grep -q '^\[\[cdroms\]\]' "$toml" || fail "Eject removed the drive itself: $(cat "$toml")"
"$BIN/vmdesk" status grub-test | grep -qi running || fail "the VM stopped after the eject"
echo "app-e2e-iso: PASS: Eject while running emptied the drive (the VMM accepted it; vm.toml follows)"

# The serial console is a terminal (issue 15): SeaBIOS mirrors GRUB's screen to COM1 as
# cursor-addressed escape sequences, and keys typed into the focused terminal reach GRUB: 'c'
# opens its command line. (X needs the window focused: Xvfb has no window manager.)
serial="$VMDESK_HOME/data/vms/grub-test/serial.log"
xdotool search --name '^vmdesk$' windowfocus --sync
click 925 450 1        # the serial terminal (Details' first tab) takes the keyboard
xdotool type c
for _ in $(seq 1 24); do
  sleep 5
  grep -q "grub>" "$serial" && break
done
shot terminal
grep -q "grub>" "$serial" || fail "'c' typed into the serial terminal did not reach GRUB; screenshot: $work/terminal.png"
echo "app-e2e-iso: PASS: keys typed into the serial terminal reach GRUB (its command line opened)"
