#!/usr/bin/env bash
# Regenerates assets/screenshots/ : the real app under Xvfb (1280x800 in English, then 800x600,
# the smallest window, in German: *-de-800x600.png), with demo VMs that run the test guest in a
# throw-away VMDESK_HOME. Needs /dev/kvm, Xvfb, xdotool and ImageMagick
# (apt-get install xvfb xdotool imagemagick).
#
#   app/scripts/screenshots.sh            # all of them
#   OUT=/tmp/shots app/scripts/screenshots.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
OUT=${OUT:-$ROOT/assets/screenshots}
cargo build -q --bins
GUEST=$(cargo run -q -p vmm-core --example test_guest_path)
V="$TARGET/debug/vmdesk"
export VMDESK_VMM="$TARGET/debug/vmdesk-vmm"
export VMDESK_HOME=$(mktemp -d)
export LANG=C.UTF-8 LC_ALL=C.UTF-8 LANGUAGE=en
mkdir -p -m700 "$VMDESK_HOME/xdg"
export XDG_RUNTIME_DIR="$VMDESK_HOME/xdg"
mkdir -p "$OUT"
PIDS=()
cleanup() {
    for id in build-server desktop; do "$V" kill "$id" >/dev/null 2>&1 || true; done
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    sleep 1                      # the VMMs write their last words into the folder
    rm -rf "$VMDESK_HOME"
}
trap cleanup EXIT

# A short kernel path for the settings shown in the pictures.
cp "$GUEST" "$VMDESK_HOME/test-guest.bzImage"
GUEST="$VMDESK_HOME/test-guest.bzImage"
# The VMs: one with a screen (the test guest's animated pattern), one busy with its disk
# (reads and writes for the live graphs), one stopped.
cfg=$("$V" create "Build server" --kernel "$GUEST" --cmdline "console=ttyS0 vmdesk.test=blkloop" \
    --vcpus 2 --memory 256 --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["config"])')
truncate -s 64M "$(dirname "$cfg")/build.img"
sed -i 's/^disks = \[\]$/disks = [{ path = "build.img", format = "raw" }]/' "$cfg"
grep -q build.img "$cfg"
# Its screen holds still (input mode): an animated guest is often caught half-way through a
# frame, which looks like a glitch in a picture.
"$V" create "Desktop" --kernel "$GUEST" --cmdline "console=ttyS0 vmdesk.test=input" \
    --vcpus 1 --memory 128 --display 800x600 >/dev/null
"$V" create "Classroom demo" --kernel "$GUEST" --cmdline "console=ttyS0 vmdesk.test=echo" \
    --vcpus 1 --memory 64 >/dev/null
"$V" start build-server >/dev/null
"$V" start desktop >/dev/null
sleep 3
# A snapshot tree: two branches from "Fresh boot".
"$V" snapshot desktop --name "Fresh boot" --description "right after start" >/dev/null
sleep 3
"$V" snapshot desktop --name "Pattern drawn" --description "colour blocks complete" >/dev/null
sleep 2
"$V" revert desktop "Fresh boot" >/dev/null
sleep 2
"$V" snapshot desktop --name "Second try" --description "another branch" >/dev/null
"$V" snapshots desktop

. tests/lib/xvfb.sh
start_xvfb 1280x800x24 || exit 1
PIDS+=("$XVFB_PID")
export DISPLAY=$XVFB_DISPLAY
"$V" &
PIDS+=($!)
for _ in $(seq 50); do
    xdotool search --name '^vmdesk$' >/dev/null 2>&1 && break
    sleep 0.2
done
sleep 3
shot() { sleep "${2:-1.5}"; import -window root "$OUT/$1.png"; echo "$OUT/$1.png"; }
click() { xdotool mousemove "$1" "$2"; sleep 0.5; xdotool click 1; sleep 1; }

# This machine's KVM may be the software one: the first-run check says so once.
# (As vmm-core's KvmFlavor::detect: kvm_pvm loaded and neither kvm_intel nor kvm_amd.)
if [ -d /sys/module/kvm_pvm ] && [ ! -d /sys/module/kvm_intel ] && [ ! -d /sys/module/kvm_amd ]; then
    shot check 1
    click 445 328                # Continue anyway (remembered in settings.toml)
    sleep 2                      # the library settles before the next click
fi
shot library 2
click 62 27                      # New VM
shot wizard 2
sleep 1
click 50 27                      # Cancel
sleep 1
# The cards are sorted by name: Build server, Classroom demo, Desktop. "Build server"'s
# activity, once the graphs hold most of a minute.
click 712 165                    # its Details (cards are 136 px apart)
click 880 95                     # Activity tab
shot stats 64
click 62 27                      # back to the library
# "Desktop".
click 712 437                    # its Details
shot details 4
click 794 95                     # Snapshots tab
shot snapshots 3
if [ -S "$VMDESK_HOME/run/desktop/vnc.sock" ]; then
    click 1001 27                # Screen
    shot console 8               # the VNC connection and first frame
    click 1178 27                # Inspector (the real VMM answering)
    xdotool mousemove 400 400    # off the button: no tooltip over the panel
    shot inspector 4
else
    echo "no vnc.sock: console.png not made"
fi

# The smallest window (800x600) in German: the app again, on a screen of that size.
kill "${PIDS[-1]}" 2>/dev/null || true
kill "$XVFB_PID" 2>/dev/null || true
sleep 1
start_xvfb 800x600x24 || exit 1
PIDS+=("$XVFB_PID")
export DISPLAY=$XVFB_DISPLAY
LC_ALL=de_DE.UTF-8 LANG=de_DE.UTF-8 LANGUAGE=de "$V" &
PIDS+=($!)
for _ in $(seq 50); do
    xdotool search --name '^vmdesk$' >/dev/null 2>&1 && break
    sleep 0.2
done
xdotool search --name '^vmdesk$' windowsize 800 600
sleep 3
shot library-de-800x600 2
click ${DETAILS_800:-717 494}    # "Desktop"'s Details (the third card)
shot details-de-800x600 2
click ${SETTINGS_800:-70 92}     # the Settings tab (a tab of its own at this width)
shot settings-de-800x600 2
click ${SNAPSHOTS_800:-352 92}   # Snapshots tab
shot snapshots-de-800x600 3

# Projector mode (UI scale 1.5, high contrast, large console font) on a 1280x800 screen: the
# library with the panel open, and a running VM's serial console.
if [ -z "${SKIP_PROJECTOR:-}" ]; then
kill "${PIDS[-1]}" 2>/dev/null || true
kill "$XVFB_PID" 2>/dev/null || true
sleep 1
python3 - "$VMDESK_HOME/config/settings.toml" <<'PY'
import pathlib, re, sys
p = pathlib.Path(sys.argv[1])
s = p.read_text() if p.exists() else ""
s = re.sub(r"(?ms)^\[projector\].*?(?=^\[|\Z)", "", s)
p.write_text(s + "\n[projector]\nscale = 1.5\nhigh_contrast = true\nlarge_console_font = true\n")
PY
start_xvfb 1280x800x24 || exit 1
PIDS+=("$XVFB_PID")
export DISPLAY=$XVFB_DISPLAY
"$V" &
PIDS+=($!)
for _ in $(seq 50); do
    xdotool search --name '^vmdesk$' >/dev/null 2>&1 && break
    sleep 0.2
done
sleep 3
sleep 3                                # the scaled window settles (a click before is lost)
click 640 760                          # the window takes the focus (an empty spot)
# "Projector" in the header; the first press after start is sometimes lost: pressed again until
# the panel's black top border is there.
for _ in 1 2 3; do
    click ${PROJECTOR_BUTTON:-213 36}
    sleep 1
    dark=$(import -window root -crop 1x4+640+89 -format '%[fx:minima.intensity<0.25]' info:)
    [ "$dark" = 1 ] && break
done
shot projector-mode 2
click ${PROJECTOR_CLOSE:-968 128}      # the panel's Close
click ${PROJECTOR_DETAILS:-768 583}    # "Desktop"'s Details
shot projector-console 3
fi
