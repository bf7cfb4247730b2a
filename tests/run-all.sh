#!/usr/bin/env bash
# Runs every test: formatting, lints, unit and end-to-end tests on the test guest, the packaging
# checks, the real app under Xvfb, and the real-Linux lab (a stock Debian kernel under vmdesk-vmm, nested in QEMU TCG
# where this machine's KVM cannot run it).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
cargo fmt --all -- --check
# No import cycles, no iced in the app's data layer, no long file without a reason.
python3 tests/check-structure.py
# Clippy's lints come with the test build: clippy-driver (what `cargo clippy` runs) compiles the
# workspace's own crates, so the dependencies are not compiled a second time in check mode
# (about 3.5 min of a cold CI run). Same lints, same targets as
# `cargo clippy --workspace --all-targets -- -D warnings`; a lint fails the build.
export RUSTC_WORKSPACE_WRAPPER="$(rustc --print sysroot)/bin/clippy-driver"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
[ -x "$RUSTC_WORKSPACE_WRAPPER" ] || { echo "run-all: no clippy-driver (rustup component add clippy)" >&2; exit 1; }
cargo test --workspace --all-targets --no-run
# The release build that packaging.sh and the app scripts need starts now, beside the tests, at
# the lowest priority: the tests leave a core idle at times (a test binary's last test running
# alone, guests waiting on timers, the campaign's pauses), and on 2 cores the release build is
# about 10 min of a cold run. Plain rustc for it (no clippy wrapper). packaging.sh builds again;
# that is a no-op after this, or shows the errors if this failed.
# Its own process group (job control), so that a run that stops early takes the build's
# compilers with it; not its own session (setsid): with the kernel's autogroup scheduling a new
# session is a new group that gets an equal share of the CPU, whatever its nice value, and the
# build then slowed the tests instead of using what they leave.
release_log="$(mktemp)"
set -m
env -u RUSTC_WORKSPACE_WRAPPER -u CLIPPY_ARGS nice -n 19 \
  cargo build --release -p vmm-core -p vmdesk >"$release_log" 2>&1 &
release_pid=$!
set +m
release_start=$SECONDS
trap '[ -z "$release_pid" ] || kill -TERM -- "-$release_pid" 2>/dev/null; rm -f "$release_log"; true' EXIT
cargo test --workspace
# The app scripts below use the test guest this build just made and the release binaries
# packaging.sh makes: their own `cargo build -p …` / `cargo run --example` would resolve features
# differently and compile vmm-core twice more (~50 s each on CI).
VMDESK_TEST_GUEST="$(cargo test --workspace --no-run --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "build-script-executed" and m.get("package_id", "").split("#")[0].endswith("/vmm-core"):
        print(m["out_dir"] + "/test-guest.bzImage")
')"
[ -f "$VMDESK_TEST_GUEST" ] || { echo "run-all: cannot find the test guest the build made" >&2; exit 1; }
export VMDESK_TEST_GUEST VMDESK_BIN_DIR="${CARGO_TARGET_DIR:-target}/release"
# Plain rustc from here on (the release build, the vendored crates' tests).
unset RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS
# The vendored renderer's patch (vendor/README.md): its fast paths draw what tiny-skia draws.
# With vmdesk in the same run, so that the renderer is built with the `image` feature the app
# turns on (its drawing tests need it; a package outside the workspace takes no --features).
cargo test -p iced_tiny_skia -p vmdesk --lib
# The vendored VNC client's own tests, with the patch's (Raw rectangles in given-back storage).
cargo test -p vnc-rs
echo "run-all: unit and e2e tests done after $((SECONDS - start)) s"
# The bad-input campaign, short form (hostile configs, API, VNC, images, snapshots, kill -9, a
# full filesystem, many VMs) against the debug VMM the tests just built; see RELIABILITY.md.
python3 tests/campaign/campaign.py --short --seed 17 --vmm "${CARGO_TARGET_DIR:-target}/debug/vmdesk-vmm"
echo "run-all: campaign done after $((SECONDS - start)) s"
# The real-Linux lab, while the release build goes on beside it: the lab's L1 keeps a core busy
# per running vCPU, and the build, at nice 19 in the same scheduling group, gets the rest.
# It runs the debug VMM and app the test build made (the app's CLI test makes the debug
# `vmdesk`; a `cargo build` of its own would resolve features differently and compile vmm-core
# again: ~50 s on CI).
if [ -x tests/lab/run-lab-tests.sh ]; then
  VMDESK_APP="${CARGO_TARGET_DIR:-target}/debug/vmdesk" \
    ./tests/lab/run-lab-tests.sh --vmm "${CARGO_TARGET_DIR:-target}/debug/vmdesk-vmm"
  echo "run-all: lab done after $((SECONDS - start)) s"
fi
release_status=0; wait "$release_pid" || release_status=$?
release_pid=""
if [ "$release_status" = 0 ]; then
  echo "run-all: the release build (begun after $release_start s, beside the tests) done after $((SECONDS - start)) s"
else
  echo "run-all: the release build beside the tests failed (last lines below); packaging.sh builds again" >&2
  tail -20 "$release_log" >&2
fi
# Installing the .deb needs root; elsewhere it is built and checked but not installed.
if [ "$(id -u)" = 0 ]; then
  ./tests/packaging.sh
else
  echo "run-all: not root, so the .deb is built and checked but not installed"
  ./tests/packaging.sh --no-install
fi
echo "run-all: packaging done after $((SECONDS - start)) s"
# The real app under Xvfb with a VM (uses the release build packaging just made).
./tests/app-e2e.sh
# Install from an ISO in the real app: open it, create, boot to GRUB's menu, eject while running.
./tests/app-e2e-iso.sh
# Import libvirt domains pointing at the test guest and start them (kernel + disk, BIOS + CD).
./tests/app-e2e-import.sh
# The console follows the window: a virtio-gpu guest takes the console area's size (xdotool resizes).
./tests/app-e2e-resize.sh
echo "run-all: app end-to-end done after $((SECONDS - start)) s"
