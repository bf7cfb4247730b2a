#!/usr/bin/env bash
# vmdesk's real-Linux lab tests: boot the Debian cloud kernel + busybox initramfs
# (tests/linux/build-guest.sh) under vmdesk-vmm and check boot, the serial console
# in both directions, the ACPI power button, the kernel's efifb console on
# vmdesk-vmm's framebuffer, an ext4 qcow2 disk over virtio-blk, a snapshot and
# revert of the running shell, a deliberately broken boot, and (gpu-resize, with
# Debian's generic kernel: see lab-gpu.sh) Linux's virtio_gpu driver following a
# host resize.
# Runs INSIDE the lab's L1 (tests/lab/run-in-l1.sh tests/lab/lab-tests.sh; the
# CI entry point is tests/lab/run-lab-tests.sh), or directly on a host whose
# /dev/kvm has hardware virtualization. One line per test:
#   LAB-TEST <name> PASS
#   LAB-TEST <name> FAIL: <what went wrong>
# then "LAB-TESTS passed=N failed=M"; exit 0 if all passed, 1 if any failed,
# 2 bad usage. See tests/lab/README.md.
#
# Usage: lab-tests.sh [TEST...]     (default: all, in the order below)
# Tests: boot serial-both-ways acpi-power-button efifb-console disk-ext4 snapshot-revert
#        bios-virtio-disk broken-kernel not-a-kernel vm-vs-container gpu-resize; opt-in: net-passt net-forward-slirp uefi-vars
#        bios-cdrom-linux bios-reboot
# Environment:
#   VMDESK_VMM         the vmdesk-vmm binary (default: the newer of target/release
#                      and target/debug)
#   VMDESK_LINUX_DIR   the guest (default ${XDG_CACHE_HOME:-$HOME/.cache}/vmdesk/linux)
#   LAB_TESTS          tests to run (space-separated), like the arguments
#   LAB_BREAK=truncate run the `boot` test with a truncated kernel (first 1 MiB)
#                      so that it fails: shows what a broken boot reports
#   L2_TIMEOUT         seconds per L2 boot (default 240)
#   L2_CMDLINE_EXTRA   words added to every L2 kernel command line
#   LAB_SAVE_DIR       copy each test's vm.toml, serial.log, vmm.std{out,err} to
#                      LAB_SAVE_DIR/<test>/ (e.g. a run-in-l1.sh --rw directory)
#   LAB_VERBOSE=1      print each test's serial.log
#   LAB_PC_ISO         the PC tests' ISO (default: make-pc-iso.sh's, in ~/.cache/vmdesk/lab-pc)
#   L2_PC_TIMEOUT      seconds per PC (SeaBIOS) boot step (default 900)
#   LAB_GPU_DIR        gpu-resize's kernel + initramfs (default: make-gpu-initrd.sh's, in
#                      ~/.cache/vmdesk/lab-gpu)
set -uo pipefail

here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
all_tests="boot serial-both-ways acpi-power-button efifb-console disk-ext4 snapshot-revert broken-kernel not-a-kernel vm-vs-container gpu-resize"
# Run only when named (`run-lab-tests.sh net-passt`): in one of seven runs here the L2 guest
# stalled (an RCU stall on a vCPU) in the middle of the fetch, not yet understood; a default
# run must not fail by chance. See t_net.
# OVMF aborts the lab's QEMU (see tests/lab/README.md): uefi-vars by name only. The PC tests
# (SeaBIOS → GRUB → Linux) passed in every run but one, where L1 itself died silently during
# bios-virtio-disk (QEMU TCG's nested SVM running SeaBIOS's real mode, the same corner where
# OVMF aborts it): by name only until that is understood, so the default run cannot fail by
# chance. `run-lab-tests.sh bios-virtio-disk bios-cdrom-linux bios-reboot`.
opt_in_tests="net-passt net-forward-slirp uefi-vars bios-virtio-disk bios-cdrom-linux bios-reboot"

vmm="${VMDESK_VMM:-}"
if [ -z "$vmm" ]; then
    for b in "$repo/target/release/vmdesk-vmm" "$repo/target/debug/vmdesk-vmm"; do
        [ -x "$b" ] || continue
        if [ -z "$vmm" ] || [ "$b" -nt "$vmm" ]; then vmm="$b"; fi
    done
fi
guest="${VMDESK_LINUX_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vmdesk/linux}"
kernel="$guest/vmlinuz-cloud"
initrd="$guest/initramfs-cloud.cpio.gz"
limit="${L2_TIMEOUT:-240}"
extra="${L2_CMDLINE_EXTRA:-}"
brk="${LAB_BREAK:-}"
py="$(command -v python3 || true)"
ctl=("$py" "$here/labctl.py")

if [ $# -gt 0 ]; then tests="$*"; else tests="${LAB_TESTS:-$all_tests}"; fi
for t in $tests; do
    case " $all_tests $opt_in_tests " in *" $t "*) ;; *) echo "lab-tests: unknown test '$t' (tests: $all_tests $opt_in_tests)" >&2; exit 2 ;; esac
done
case "$brk" in '' | truncate) ;; *) echo "lab-tests: LAB_BREAK=$brk: only 'truncate' is known" >&2; exit 2 ;; esac
# For run-lab-tests.sh: if L1 itself dies midway, it runs again only the tests without a result.
echo "LAB-TESTS-PLANNED" $tests

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
up() { awk '{ print $1 }' /proc/uptime; }

passed=0
failed=0
pass() { echo "LAB-TEST $1 PASS"; passed=$((passed + 1)); }
fail() { echo "LAB-TEST $1 FAIL: $2"; failed=$((failed + 1)); }
info() { echo "LAB-INFO $*"; }

# ---------------------------------------------------------------- prerequisites
missing=""
[ -c /dev/kvm ] || missing+=" no /dev/kvm (run through tests/lab/run-in-l1.sh, or on a host with hardware virtualization);"
if [ -c /dev/kvm ] && [ -d /sys/module/kvm_pvm ] && ! grep -qwE 'svm|vmx' /proc/cpuinfo; then
    missing+=" /dev/kvm is kvm_pvm (software KVM), which cannot run a stock kernel: run through tests/lab/run-in-l1.sh;"
fi
[ -n "$vmm" ] && [ -x "$vmm" ] || missing+=" no vmdesk-vmm binary (cargo build -p vmm-core, or set VMDESK_VMM);"
[ -f "$kernel" ] && [ -f "$initrd" ] || missing+=" no guest in $guest (run tests/linux/build-guest.sh on the host);"
[ -n "$py" ] || missing+=" no python3 (needed for the control-API client tests/lab/labctl.py);"
if [ -n "$missing" ]; then
    for t in $tests; do fail "$t" "cannot run:$missing"; done
    echo "LAB-TESTS passed=0 failed=$failed"
    exit 1
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/lab-tests.XXXXXX")"
info "vmm=$vmm ($(stat -c %s "$vmm") bytes) guest=$guest kernel=$(uname -r) cpus=$(nproc) uptime=$(up)"

# A truncated copy of the kernel: the bzImage header is intact, the payload is cut.
truncated="$work/vmlinuz-cloud.truncated-1MiB"
head -c 1048576 "$kernel" >"$truncated"

# ---------------------------------------------------------------- running one VM
# start_vm TEST CMDLINE [KERNEL] [EXTRA_TOML]: writes TEST/vm.toml, starts vmdesk-vmm
# (with the arguments in the array vm_args) in the background. Sets vm_dir, vm_pid,
# vm_sock, vm_t0.
vm_args=()
start_vm() {
    local name="$1" cmdline="$2" k="${3:-$kernel}" more="${4:-}"
    [ -z "$extra" ] || cmdline+=" $extra"
    vm_dir="$work/$name"
    mkdir -p "$vm_dir"
    cat >"$vm_dir/vm.toml" <<EOF
id = "lab-$name"
name = "lab test $name"
vcpus = 2
memory_mib = 256

[boot]
kind = "linux"
kernel = "$k"
initrd = "$initrd"
cmdline = "$cmdline"

[serial]
log = true
$more
EOF
    vm_sock="$vm_dir/run/control.sock"
    vm_t0="$(now)"
    timeout -k 5 "$limit" "$vmm" --config "$vm_dir/vm.toml" --runtime-dir "$vm_dir/run" "${vm_args[@]}" \
        </dev/null >"$vm_dir/vmm.stdout" 2>"$vm_dir/vmm.stderr" &
    vm_pid=$!
}

# wait_vm SECONDS: waits for vmdesk-vmm to end (kills it after SECONDS). Sets vm_rc, vm_took.
wait_vm() {
    local n=0 max=$(($1 * 10))
    while kill -0 "$vm_pid" 2>/dev/null && [ "$n" -lt "$max" ]; do
        sleep 0.1
        n=$((n + 1))
        # A zombie is done: let wait collect it.
        [ "$(awk '{ print $3 }' "/proc/$vm_pid/stat" 2>/dev/null)" != Z ] || break
    done
    if kill -0 "$vm_pid" 2>/dev/null && [ "$(awk '{ print $3 }' "/proc/$vm_pid/stat" 2>/dev/null)" != Z ]; then
        kill "$vm_pid" 2>/dev/null
        sleep 1
        kill -9 "$vm_pid" 2>/dev/null
        wait "$vm_pid" 2>/dev/null
        vm_rc=124
    else
        vm_rc=0
        wait "$vm_pid" || vm_rc=$?
    fi
    vm_took="$(since "$vm_t0")"
}

# Stop a VM a failed test left running.
kill_vm() {
    if kill -0 "$vm_pid" 2>/dev/null; then
        kill "$vm_pid" 2>/dev/null
        wait "$vm_pid" 2>/dev/null
    fi
}

status_text() {
    case "$1" in
        0) echo "0 (guest powered off)" ;;
        1) echo "1 (VMM error)" ;;
        2) echo "2 (bad command line or config)" ;;
        3) echo "3 (the guest asked for a reset)" ;;
        4) echo "4 (the guest crashed)" ;;
        5) echo "5 (killed through the API)" ;;
        124 | 137) echo "$1 (still running after ${limit}s, killed)" ;;
        *) echo "$1" ;;
    esac
}

serial() { tr -d '\r' 2>/dev/null <"$vm_dir/serial.log"; }
# One line about where the guest got to: its last kernel message and vmdesk-vmm's last stderr line.
where() {
    local last err
    last="$(serial | grep -a '^\[' | tail -n 1)"
    err="$(grep -av 'serial console attached' "$vm_dir/vmm.stderr" 2>/dev/null | tail -n 1)"
    printf 'serial.log %s lines, last kernel line: %s; vmdesk-vmm stderr: %s' \
        "$(serial | wc -l)" "${last:-none}" "${err:-empty}"
}

finish_test() { # NAME: save and show the logs
    if [ -n "${LAB_SAVE_DIR:-}" ]; then
        mkdir -p "$LAB_SAVE_DIR/$1" &&
            cp "$vm_dir"/vm.toml "$vm_dir"/serial.log "$vm_dir"/vmm.stdout "$vm_dir"/vmm.stderr "$LAB_SAVE_DIR/$1/" 2>/dev/null
    fi
    if [ "${LAB_VERBOSE:-0}" = 1 ]; then
        echo "---- $1: serial.log"
        serial
        echo "---- $1: vmdesk-vmm stderr"
        cat "$vm_dir/vmm.stderr" 2>/dev/null
        echo "----"
    fi
}

# wait_prompt: waits for the busybox shell prompt (PS1 '\h:\w# ') on serial.log.
# Returns non-zero with $why set.
wait_prompt() {
    local rc=0
    "${ctl[@]}" wait-file "$vm_dir/serial.log" 'vmdesk-guest:[^ ]*# ' --timeout "$limit" --pid "$vm_pid" || rc=$?
    case "$rc" in
        0) info "$1: shell prompt after $(since "$vm_t0")s"; return 0 ;;
        2) wait_vm 5; why="vmdesk-vmm ended before the shell prompt appeared, status $(status_text "$vm_rc"); $(where)" ;;
        *) why="no shell prompt within ${limit}s; $(where)" ;;
    esac
    return 1
}

# power_off_by_shell NAME: types `poweroff -f` and expects exit status 0. Sets $why on failure.
power_off_by_shell() {
    local out
    if ! out="$("${ctl[@]}" type "$vm_sock" 'poweroff -f' --timeout 10 2>&1)"; then
        why="typing 'poweroff -f' failed: $(tail -n 1 <<<"$out")"
        return 1
    fi
    wait_vm 60
    if [ "$vm_rc" != 0 ]; then
        why="after 'poweroff -f' vmdesk-vmm exit status $(status_text "$vm_rc"), wanted 0; $(where)"
        return 1
    fi
    info "$1: powered off from the shell, exit 0, ${vm_took}s after launch"
}

# ---------------------------------------------------------------- the tests
t_boot() {
    local k="$kernel" f=""
    if [ "$brk" = truncate ]; then
        k="$truncated"
        info "boot: LAB_BREAK=truncate: booting $k ($(stat -c %s "$k") of $(stat -c %s "$kernel") bytes); this test is meant to FAIL"
    fi
    start_vm boot "console=ttyS0 reboot=k panic=-1 vmdesk.init=poweroff" "$k"
    wait_vm "$limit"
    local log nproc
    log="$(serial)"
    grep -qx 'VMDESK-LINUX-INIT-OK' <<<"$log" || f+=" no VMDESK-LINUX-INIT-OK on serial;"
    nproc="$(grep -m1 '^VMDESK-NPROC ' <<<"$log" || true)"
    [ "$nproc" = "VMDESK-NPROC 2" ] || f+=" wanted 'VMDESK-NPROC 2', saw '${nproc:-nothing}';"
    [ "$vm_rc" = 0 ] || f+=" vmdesk-vmm exit status $(status_text "$vm_rc"), wanted 0 (poweroff -f);"
    finish_test boot
    if [ -n "$f" ]; then
        fail boot "${f# } kernel $k; $(where)"
    else
        info "boot: markers seen, powered off (exit 0) ${vm_took}s after launch"
        pass boot
    fi
}

# serial-both-ways, efifb-console and acpi-power-button each check a running busybox shell:
# they share one VM (a boot to the prompt is ~18 s of the lab's run), in that order, the power
# button last; each reports its own result. The VM has the display and `console=tty0` only when
# efifb-console is asked for. `poweroff -f` at the end (exit 0 wanted) counts for the last one.
shared_done=0
t_shell_shared() {
    [ "$shared_done" = 0 ] || return 0
    shared_done=1
    local name=shell-shared want=() t boot_why="" more="" cmdline="console=ttyS0 reboot=k panic=-1 quiet vmdesk.init=shell"
    for t in serial-both-ways efifb-console acpi-power-button; do
        case " $tests " in *" $t "*) want+=("$t") ;; esac
    done
    if [ -z "${want[*]:-}" ]; then return 0; fi
    case " ${want[*]} " in
        *" efifb-console "*)
            cmdline="console=tty0 $cmdline"
            more="$(printf '[display]\nwidth = 1024\nheight = 768')"
            ;;
    esac
    why=""
    start_vm "$name" "$cmdline" "$kernel" "$more"
    info "$name: one VM for ${want[*]}"
    wait_prompt "$name" || boot_why="$why"
    local n=${#want[@]} i=0
    for t in "${want[@]}"; do
        i=$((i + 1))
        why="$boot_why"
        if [ -z "$why" ] && ! kill -0 "$vm_pid" 2>/dev/null; then
            wait_vm 5
            why="the shared VM ended before this test, status $(status_text "$vm_rc"); $(where)"
        fi
        if [ -z "$why" ]; then
            case "$t" in
                serial-both-ways) check_serial "$t" ;;
                efifb-console) check_efifb "$t" ;;
                acpi-power-button) check_acpi "$t" ;;
            esac
        fi
        # The last one powers the VM off from the shell (unless the power button ended it).
        if [ -z "$why" ] && [ "$i" = "$n" ] && kill -0 "$vm_pid" 2>/dev/null; then
            power_off_by_shell "$t" || :
        fi
        [ "$i" != "$n" ] || kill_vm
        finish_test "$t"
        if [ -n "$why" ]; then fail "$t" "$why"; else pass "$t"; fi
    done
}

check_serial() {
    local out
    # The command line contains no "lab-42": only the shell can produce that line.
    # shellcheck disable=SC2016
    if ! out="$("${ctl[@]}" type "$vm_sock" 'echo lab-$((6*7))' --expect 'lab-42' --timeout 60 2>&1)"; then
        why="typed 'echo lab-\$((6*7))' through serial-input, no 'lab-42' line came back in the serial events within 60s ($(tail -n 1 <<<"$out" | cut -c1-200)); $(where)"
    elif ! serial | grep -qx 'lab-42'; then
        why="'lab-42' came as a serial event but is not in serial.log; $(where)"
    else
        info "$1: 'lab-42' came back (serial event and serial.log)"
    fi
}

check_acpi() {
    local out rc=0
    out="$("${ctl[@]}" request "$vm_sock" '{"cmd":"power-off"}' --timeout 15 2>&1)" || rc=$?
    if [ "$rc" != 0 ]; then
        why="power-off request failed: $out"
    elif ! grep -q '"guest_acknowledged": true' <<<"$out"; then
        why="the guest did not acknowledge the ACPI power button (GED event not read by its ACPI interpreter): $out"
    else
        info "$1: reply $out"
        sleep 1
        if ! kill -0 "$vm_pid" 2>/dev/null; then
            wait_vm 5
            info "$1: the VM ended after the power button (status $(status_text "$vm_rc"))"
            [ "$vm_rc" = 0 ] || why="after the power button vmdesk-vmm exit status $(status_text "$vm_rc")"
        else
            info "$1: VM still running after the button (busybox has no power-button daemon), as expected"
        fi
    fi
}

# lit_pixels PNG: how many pixels are brighter than 25 % (console text on black).
lit_pixels() {
    convert "$1" -colorspace Gray -threshold 25% -format '%[fx:round(mean*w*h)]' info: 2>/dev/null
}

# The stock kernel binds efifb to vmdesk-vmm's framebuffer (screen_info, VIDEO_TYPE_EFI) and
# fbcon draws its console there: /proc/fb names it, and text written to tty0 shows up in
# the VMM's screenshot.
check_efifb() {
    local name="$1" out before after
    if ! command -v convert >/dev/null; then
        why="cannot run: no ImageMagick 'convert' to read the screenshots (apt-get install imagemagick)"
    elif ! out="$("${ctl[@]}" type "$vm_sock" 'cat /proc/fb' --expect '0 EFI VGA' --timeout 30 2>&1)"; then
        why="/proc/fb has no '0 EFI VGA' (efifb did not bind the framebuffer): $(tr '\n' ' ' <<<"$out" | cut -c1-200); $(where)"
    elif ! typed 'printf "\033[2J\033[H" >/dev/tty0 && echo cleared' 'cleared'; then
        :
    elif ! "${ctl[@]}" request "$vm_sock" "{\"cmd\":\"screenshot\",\"path\":\"$vm_dir/before.png\"}" --timeout 30 >/dev/null; then
        why="screenshot request failed"
    else
        before="$(lit_pixels "$vm_dir/before.png")"
        # Eight lines of 60 '#' each on the framebuffer console (not on the serial one).
        # shellcheck disable=SC2016
        "${ctl[@]}" type "$vm_sock" 'for i in 1 2 3 4 5 6 7 8; do printf "%060d\n" 0 | tr 0 "#" >/dev/tty0; done; echo fb-done' \
            --expect 'fb-done' --timeout 30 >/dev/null 2>&1 || why="typing to /dev/tty0 failed; $(where)"
        if [ -z "$why" ] && "${ctl[@]}" request "$vm_sock" "{\"cmd\":\"screenshot\",\"path\":\"$vm_dir/after.png\"}" --timeout 30 >/dev/null; then
            after="$(lit_pixels "$vm_dir/after.png")"
            info "$name: lit pixels on the cleared console $before, after 480 '#' on tty0 $after"
            # A cleared screen, then text: a '#' in the 8x16 VGA font lights about 40
            # pixels, so 480 of them add thousands.
            if [ "${before:-99999}" -gt 1000 ]; then
                why="the screen is not clear after ESC[2J on tty0 ($before lit pixels): is fbcon drawing on efifb?"
            elif [ "${after:-0}" -lt $((before + 3000)) ]; then
                why="text written to /dev/tty0 did not show in the screenshot (lit pixels $before → $after)"
            fi
        elif [ -z "$why" ]; then
            why="second screenshot request failed"
        fi
    fi
    if [ -n "${LAB_SAVE_DIR:-}" ]; then
        mkdir -p "$LAB_SAVE_DIR/$name" && cp "$vm_dir"/*.png "$LAB_SAVE_DIR/$name/" 2>/dev/null
    fi
}

# typed TEXT EXPECT: types TEXT + newline into the shell, waits for a serial line matching EXPECT.
typed() {
    local out
    out="$("${ctl[@]}" type "$vm_sock" "$1" --expect "$2" --timeout 60 2>&1)" && return 0
    why="typed '$1', no line '$2' came back within 60s ($(tail -n 1 <<<"$out" | cut -c1-160)); $(where)"
    return 1
}

# A qcow2 image holding an ext4 file system made on the host: the stock kernel's virtio_blk
# and ext4 read a file from it and write one, which the host reads back after power-off.
t_disk() {
    local name=disk-ext4 raw img got
    why=""
    for tool in mkfs.ext4 debugfs qemu-img; do
        command -v "$tool" >/dev/null || why+=" no $tool;"
    done
    if [ -n "$why" ]; then
        fail "$name" "cannot run:$why (apt-get install e2fsprogs qemu-utils)"
        return
    fi
    mkdir -p "$work/$name/files"
    echo vmdesk-disk-ok >"$work/$name/files/hello.txt"
    raw="$work/$name/disk.raw"
    img="$work/$name/disk.qcow2"
    if ! mkfs.ext4 -q -F -d "$work/$name/files" "$raw" 64M >/dev/null 2>&1 ||
        ! qemu-img convert -f raw -O qcow2 "$raw" "$img" >/dev/null 2>&1; then
        fail "$name" "could not make the test image (mkfs.ext4 -d / qemu-img convert)"
        return
    fi
    rm -f "$raw"
    start_vm "$name" "console=ttyS0 reboot=k panic=-1 quiet vmdesk.init=shell" "$kernel" \
        "$(printf '[[disks]]\npath = "%s"\n' "$img")"
    if wait_prompt "$name" &&
        typed 'mkdir -p /mnt && mount -t ext4 /dev/vda /mnt && cat /mnt/hello.txt' 'vmdesk-disk-ok' &&
        typed 'echo written-by-guest >/mnt/new.txt && umount /mnt && echo unmounted' 'unmounted'; then
        power_off_by_shell "$name" || :
        if [ -z "$why" ]; then
            qemu-img convert -f qcow2 -O raw "$img" "$work/$name/after.raw" 2>/dev/null
            got="$(debugfs -R 'cat /new.txt' "$work/$name/after.raw" 2>/dev/null)"
            if [ "$got" != written-by-guest ]; then
                why="the host reads '${got:-nothing}' from /new.txt in the qcow2 after power-off, wanted 'written-by-guest'"
            elif ! qemu-img check -q "$img" 2>/dev/null; then
                why="qemu-img check finds errors in the qcow2 after the guest wrote to it"
            else
                info "$name: the guest read hello.txt and wrote new.txt; the host reads it back; qemu-img check clean"
            fi
        fi
    fi
    kill_vm
    finish_test "$name"
    if [ -n "$why" ]; then fail "$name" "$why"; else pass "$name"; fi
}

# Networking on the stock kernel: virtio-net over virtio-mmio with passt behind it. The guest
# fetches a page from an HTTP server on L1's loopback through passt's gateway address, by hand
# over nc (Debian's busybox-static wget crashes in that initramfs), and the bytes it got must be
# the response exactly once. Nothing else is contacted (no DNS; L1's own NIC is QEMU's
# restricted user network, see run-in-l1.sh).
#
# The other direction (L1's 127.0.0.1 forwarded into a guest listener) is net-forward-slirp
# below, through libslirp: Debian 12's passt (0.0~git20230309) cannot do it. On L1's 6.1 kernel
# a frame trace at vmdesk-vmm's side of the socket (VMDESK_NET_PCAP) shows passt sending FIN
# right after the guest's SYN-ACK and RST after the guest's data, and the L1 client gets
# nothing; QEMU with the same passt fails the same way, QEMU's own libslirp forward works
# (shared/notes/passt.md). The same passt also resent 185 bytes of a response as new data (new
# sequence numbers) when the guest had half-closed first (FIN after its request), so the
# request below keeps its side open until the server closes.
t_net() {
    local name=net-passt port=18080 gw addr srv
    why=""
    if ! command -v passt >/dev/null; then
        fail "$name" "cannot run: no passt (apt-get install passt)"
        return
    fi
    # L1's loopback (the services live there) and its NIC, statically: QEMU's user network is
    # 10.0.2.0/24 with the gateway at .2.
    ip link set lo up 2>/dev/null
    if ! ip route show default 2>/dev/null | grep -q .; then
        if ! { ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 &&
            ip route add default via 10.0.2.2; } 2>"$work/l1-net.err"; then
            fail "$name" "cannot run: L1 has no network to give passt ($(tr '\n' ' ' <"$work/l1-net.err"))"
            return
        fi
    fi
    # passt gives the guest L1's address and gateway.
    addr="$(ip -4 -o addr show scope global | awk '{ print $4; exit }')"
    gw="$(ip route show default | awk '{ print $3; exit }')"
    mkdir -p "$work/$name/www"
    echo vmdesk-net-ok >"$work/$name/www/index.html"
    "$py" -m http.server --bind 127.0.0.1 --directory "$work/$name/www" "$port" \
        >"$work/$name/http.log" 2>&1 &
    srv=$!
    start_vm "$name" "console=ttyS0 reboot=k panic=-1 quiet vmdesk.init=shell" "$kernel" \
        "$(printf '[[nics]]\n')"
    if wait_prompt "$name" &&
        typed "ip addr add $addr dev eth0 && ip link set eth0 up && ip route add default via $gw && echo net-up" 'net-up' &&
        typed "(printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n'; sleep 5) | timeout 20 nc $gw $port >/tmp/page; echo nc-exit=\$?" 'nc-exit=0' &&
        typed "echo copies=\$(grep -c vmdesk-net-ok /tmp/page) last=\$(tail -n 1 /tmp/page)" 'copies=1 last=vmdesk-net-ok' &&
        typed "head -c 15 /tmp/page; echo" 'HTTP/1.0 200 OK'; then
        info "$name: the guest ($addr via $gw) fetched the page from L1's loopback through passt, once, whole"
        power_off_by_shell "$name" || :
    fi
    kill "$srv" 2>/dev/null
    wait "$srv" 2>/dev/null
    kill_vm
    finish_test "$name"
    if [ -n "$why" ]; then fail "$name" "$why"; else pass "$name"; fi
}

# Inbound TCP forwards on the stock kernel, through libslirp: a NIC with TCP forwards and
# backend "auto" gets libslirp (vmm.log says so). The guest listens with busybox nc on port
# 8000 (a script reads one line, prints it on the serial console, answers one line); a client
# on L1 connects to 127.0.0.1:<port>, sends a line, reads the answer, then ten lines the script
# echoes (their round trip is the LAB-INFO's median_rtt_ms). Then 2 MiB from L1 to a second
# guest listener (port 8001), counted by the guest, for a throughput figure. Only L1's loopback
# is used.
t_net_forward() {
    local name=net-forward-slirp port=18022 out
    why=""
    ip link set lo up 2>/dev/null
    start_vm "$name" "console=ttyS0 reboot=k panic=-1 quiet vmdesk.init=shell" "$kernel" \
        "$(printf '[[nics]]\nforwards = [{ proto = "tcp", host_port = %s, guest_port = 8000 }, { proto = "tcp", host_port = %s, guest_port = 8001 }]\n' "$port" "$((port + 1))")"
    if wait_prompt "$name"; then
        if ! grep -q 'network: nics\[0\]: slirp (auto: the NIC forwards TCP ports' "$vm_dir/vmm.stderr"; then
            why="vmm.stderr does not say that nics[0] got slirp for its TCP forwards: $(grep -a 'network\|nics' "$vm_dir/vmm.stderr" | tr '\n' ' ' | cut -c1-300)"
        fi
    fi
    if [ -z "$why" ] &&
        typed "ip addr add 192.0.2.2/24 dev eth0 && ip link set eth0 up && ip route add default via 192.0.2.1 && echo net-up" 'net-up' &&
        typed "printf '#!/bin/sh\\nread l\\necho \"GUEST-GOT \$l\" >/dev/console\\necho reply-from-guest\\nwhile read l; do echo \"echo \$l\"; done\\n' >/tmp/a.sh && chmod +x /tmp/a.sh && echo script-ok" 'script-ok' &&
        typed "(nc -l -p 8000 -e /tmp/a.sh &) ; (n=\$(nc -l -p 8001 | wc -c); echo BULK-GOT \$n >/dev/console) & sleep 2; echo listening" 'listening'; then
        out="$("$py" - "$port" <<'PY' 2>&1
import socket, sys, time
port = int(sys.argv[1])
t0 = time.time()
s = socket.create_connection(("127.0.0.1", port), timeout=60)
s.sendall(b"hello-from-l1\n")
buf = b""
while not buf.endswith(b"\n"):
    d = s.recv(100)
    if not d:
        break
    buf += d
first = (time.time() - t0) * 1000
# Then ten more lines on the same connection, each echoed by the guest's script: the round
# trip without the connect and the script's start.
f = s.makefile("rb")
rtts = []
for i in range(10):
    t = time.time()
    s.sendall(b"ping %d\n" % i)
    if f.readline() != b"echo ping %d\n" % i:
        break
    rtts.append((time.time() - t) * 1000)
rtts.sort()
print("CLIENT-GOT %s first_ms=%.0f echoes=%d median_rtt_ms=%.1f" % (
    buf.decode(errors="replace").strip(), first, len(rtts), rtts[len(rtts) // 2] if rtts else -1))
s.close()
n = 2 << 20
t1 = time.time()
b = socket.create_connection(("127.0.0.1", port + 1), timeout=120)
b.sendall(b"x" * n)
b.shutdown(socket.SHUT_WR)
while b.recv(4096):
    pass
secs = time.time() - t1
print("BULK-SENT %d in %.2f s = %.2f MiB/s" % (n, secs, n / secs / 1048576))
PY
)"
        info "$name: L1 client: $(tr '\n' ' ' <<<"$out")"
        if ! grep -q '^CLIENT-GOT reply-from-guest .* echoes=10 ' <<<"$out"; then
            why="the L1 client did not read the guest's answer through 127.0.0.1:$port: $(tr '\n' ' ' <<<"$out" | cut -c1-300); $(where)"
        elif ! "${ctl[@]}" wait-file "$vm_dir/serial.log" 'GUEST-GOT hello-from-l1' --timeout 30 >/dev/null 2>&1; then
            why="the guest's serial console never showed 'GUEST-GOT hello-from-l1'; $(where)"
        elif ! "${ctl[@]}" wait-file "$vm_dir/serial.log" 'BULK-GOT 2097152' --timeout 60 >/dev/null 2>&1; then
            why="the guest did not get the 2 MiB whole (serial: $(serial | grep -a BULK-GOT | tail -n 1)); $(where)"
        else
            info "$name: L1 127.0.0.1:$port reached the guest's nc on port 8000 both ways; 2 MiB arrived whole on 8001"
            power_off_by_shell "$name" || :
        fi
    fi
    kill_vm
    finish_test "$name"
    if [ -n "$why" ]; then fail "$name" "$why"; else pass "$name"; fi
}

# A live snapshot of the running shell, a change, a revert: the shell is back where it was
# (a file written after the snapshot is gone) and keeps running (timers still tick).
t_snapshot() {
    local name=snapshot-revert out snap
    why=""
    start_vm "$name" "console=ttyS0 reboot=k panic=-1 quiet vmdesk.init=shell"
    if wait_prompt "$name" && typed 'echo before >/tmp/state && echo saved' 'saved'; then
        if ! out="$("${ctl[@]}" request "$vm_sock" '{"cmd":"snapshot-create","name":"lab"}' --timeout 120 2>&1)"; then
            why="snapshot-create failed: $out"
        else
            snap="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["id"])' <<<"$out" 2>/dev/null)"
            info "$name: snapshot $snap: $(cut -c1-200 <<<"$out")"
            if typed 'echo after >/tmp/state && echo changed' 'changed'; then
                if ! out="$("${ctl[@]}" request "$vm_sock" "{\"cmd\":\"snapshot-revert\",\"snapshot\":\"$snap\"}" --timeout 120 2>&1)"; then
                    why="snapshot-revert failed: $out"
                elif typed 'cat /tmp/state' 'before' && typed 'sleep 1 && echo still-ticking' 'still-ticking'; then
                    info "$name: after the revert /tmp/state reads 'before' and sleep 1 returns"
                    power_off_by_shell "$name" || :
                fi
                # The same snapshot in a new vmdesk-vmm process (vmdesk-vmm --restore).
                if [ -z "$why" ]; then
                    vm_args=(--restore "$snap")
                    start_vm "$name" "console=ttyS0 reboot=k panic=-1 quiet vmdesk.init=shell"
                    vm_args=()
                    if typed 'cat /tmp/state' 'before' && typed 'sleep 1 && echo restored-ticking' 'restored-ticking'; then
                        info "$name: a new process restored from the snapshot: /tmp/state reads 'before', sleep 1 returns"
                        power_off_by_shell "$name" || :
                    fi
                fi
            fi
        fi
    fi
    kill_vm
    finish_test "$name"
    if [ -n "$why" ]; then fail "$name" "$why"; else pass "$name"; fi
}

# bad_kernel NAME FILE WHAT: vmdesk-vmm must refuse FILE at start: non-zero exit
# (1 or 2: before the guest runs), stderr naming boot.kernel and the file.
bad_kernel() {
    local name="$1" k="$2" what="$3" err f=""
    start_vm "$name" "console=ttyS0 reboot=k panic=-1 vmdesk.init=poweroff" "$k"
    wait_vm 60
    err="$(grep -av 'kvm_pvm\|serial console attached' "$vm_dir/vmm.stderr" 2>/dev/null | tr '\n' ' ' | cut -c1-300)"
    case "$vm_rc" in
        1 | 2) ;;
        0 | 3 | 4) f+=" vmdesk-vmm accepted $what and ran the guest: exit status $(status_text "$vm_rc") after ${vm_took}s, wanted a refusal at start (status 1 or 2);" ;;
        *) f+=" vmdesk-vmm exit status $(status_text "$vm_rc") after ${vm_took}s, wanted a refusal at start (status 1 or 2);" ;;
    esac
    grep -q 'boot\.kernel' "$vm_dir/vmm.stderr" || f+=" stderr does not name 'boot.kernel';"
    grep -qF "$k" "$vm_dir/vmm.stderr" || f+=" stderr does not name the file $k;"
    finish_test "$name"
    if [ -n "$f" ]; then
        fail "$name" "${f# } stderr: '${err:-empty}'; serial.log $(serial | wc -l) lines"
    else
        info "$name: refused in ${vm_took}s, status $vm_rc: $err"
        pass "$name"
    fi
}

t_broken() {
    bad_kernel broken-kernel "$truncated" \
        "a truncated kernel ($(stat -c %s "$truncated") of $(stat -c %s "$kernel") bytes)"
}

t_not_kernel() {
    local k="$work/not-a-kernel.bin"
    head -c 1048576 /dev/urandom >"$k"
    bad_kernel not-a-kernel "$k" "a file of random bytes"
}

# ---------------------------------------------------------------- UEFI (OVMF)
# uefi-vars: Debian's OVMF (kind = "uefi", the VMM's CFI flash) boots to the UEFI shell on COM1
# with no boot medium; a non-volatile variable set there is still there after the VMM process
# is stopped and started again on the same folder (its OVMF_VARS.fd). Opt-in: OVMF is slow
# under the lab's nested KVM.
uefi_guid=5f1d2c3b-8a7e-4c6d-9b0a-1e2f3a4b5c6d

# start_uefi_vm NAME: starts (again) the UEFI VM in $work/NAME, keeping its folder.
start_uefi_vm() {
    vm_dir="$work/$1"
    mkdir -p "$vm_dir"
    cat >"$vm_dir/vm.toml" <<EOF
id = "lab-$1"
name = "lab test $1"
vcpus = 1
memory_mib = 256
virtio_rng = false

[boot]
kind = "uefi"

[serial]
log = true
EOF
    rm -f "$vm_dir/serial.log"
    vm_sock="$vm_dir/run/control.sock"
    vm_t0="$(now)"
    timeout -k 5 "$limit" "$vmm" --config "$vm_dir/vm.toml" --runtime-dir "$vm_dir/run" \
        </dev/null >>"$vm_dir/vmm.stdout" 2>>"$vm_dir/vmm.stderr" &
    vm_pid=$!
}

# wait_uefi REGEX WHAT: waits for REGEX on serial.log; sets $why if it does not come.
wait_uefi() {
    local rc=0
    "${ctl[@]}" wait-file "$vm_dir/serial.log" "$1" --timeout "$limit" --pid "$vm_pid" || rc=$?
    case "$rc" in
        0) info "uefi-vars: $2 after $(since "$vm_t0")s"; return 0 ;;
        2) wait_vm 5; why="vmdesk-vmm ended before $2, status $(status_text "$vm_rc"); serial tail: $(serial | tail -c 300 | tr -c '[:print:]' ' '); stderr: $(tail -n 2 "$vm_dir/vmm.stderr" | tr '\n' ' ')" ;;
        *) why="no $2 within ${limit}s; serial tail: $(serial | tail -c 300 | tr -c '[:print:]' ' ')" ;;
    esac
    return 1
}

# shell_cmd TEXT: types TEXT and Enter (CR, what a serial terminal sends) into the UEFI shell.
shell_cmd() {
    "${ctl[@]}" type "$vm_sock" "$1"$'\r' --no-newline --timeout 20 >/dev/null 2>&1
}

t_uefi() {
    local name=uefi-vars
    why=""
    if [ ! -f /usr/share/OVMF/OVMF_CODE_4M.fd ]; then
        fail "$name" "no /usr/share/OVMF/OVMF_CODE_4M.fd (apt-get install ovmf on the host)"
        return
    fi
    start_uefi_vm "$name"
    if wait_uefi 'Shell> ' "the UEFI shell prompt"; then
        # 4 bytes "VMDK"; the shell's hex dump of them ("56 4D 44 4B") cannot be its echo.
        shell_cmd "setvar VmdeskLab -guid $uefi_guid -nv -bs =564D444B"
        sleep 2
        shell_cmd "setvar VmdeskLab -guid $uefi_guid"
        wait_uefi '56 4D 44 4B' "the variable read back" || :
    fi
    if [ -z "$why" ] && [ ! -s "$vm_dir/OVMF_VARS.fd" ]; then why="no OVMF_VARS.fd in the VM folder"; fi
    # Stop the VMM as a kill would: what the guest wrote must already be in the file.
    kill_vm
    if [ -z "$why" ]; then
        start_uefi_vm "$name"
        if wait_uefi 'Shell> ' "the UEFI shell prompt after the restart"; then
            shell_cmd "setvar VmdeskLab -guid $uefi_guid"
            if wait_uefi '56 4D 44 4B' "the variable after the restart"; then
                info "$name: the variable survived the VMM restart"
            fi
        fi
        kill_vm
    fi
    finish_test "$name"
    if [ -n "$why" ]; then fail "$name" "$why"; else pass "$name"; fi
}

# ---------------------------------------------------------------- the PC machine (SeaBIOS)
# bios-cdrom-linux, bios-reboot: kind = "bios" (SeaBIOS, i440FX/PIIX) with a [display] (std-vga),
# the ISO of make-pc-iso.sh (GRUB + the generic kernel + the guest initramfs + the PC modules)
# as an AHCI CD-ROM, a virtio-blk disk and virtio-rng (virtio-pci). SeaBIOS boots GRUB from the
# CD, GRUB boots Linux to the shell; Linux must bind virtio-pci, ahci and bochs-drm, use MSI-X
# for virtio and INTx for AHCI. bios-reboot: `reboot -f` runs SeaBIOS, GRUB and Linux again in
# the same vmdesk-vmm process, then `poweroff -f` ends it with status 0.
pc_iso="${LAB_PC_ISO:-${XDG_CACHE_HOME:-$HOME/.cache}/vmdesk/lab-pc/pc-linux.iso}"
# Real-mode firmware and GRUB are slow under nested KVM: a longer limit than the Linux boots.
pc_limit="${L2_PC_TIMEOUT:-900}"

# pc_count REGEX: how many serial.log lines match.
pc_count() { serial | grep -caE "$1" || true; }

# pc_wait_count REGEX N WHAT: waits until N lines match REGEX; sets $why if not.
pc_wait_count() {
    local end=$(($(date +%s) + pc_limit))
    while [ "$(pc_count "$1")" -lt "$2" ]; do
        if ! kill -0 "$vm_pid" 2>/dev/null || [ "$(awk '{ print $3 }' "/proc/$vm_pid/stat" 2>/dev/null)" = Z ]; then
            wait_vm 5
            why="vmdesk-vmm ended before $3, status $(status_text "$vm_rc"); $(where)"
            return 1
        fi
        if [ "$(date +%s)" -gt "$end" ]; then
            why="no $3 within ${pc_limit}s; $(where)"
            return 1
        fi
        sleep 0.5
    done
    info "pc: $3 after $(since "$vm_t0")s"
}

# pc_out CMD PREFIX MARK: runs CMD in the shell, ended by `echo MARK`; prints the serial lines
# that start with PREFIX (CMD prints its results so; the echo of the typed command starts with
# the prompt, so it never matches).
pc_out() {
    typed "$1; echo $3" "$3" || return 1
    serial | grep -a "^$2" || true
}

t_pc() {
    local want_cdrom="$1" want_reboot="$2" name=bios-cdrom-linux disk pci irq0 irq1 bad="" line d msix ahci0
    why=""
    for tool in qemu-img; do command -v "$tool" >/dev/null || why+=" no $tool;"; done
    [ -f "$pc_iso" ] || why+=" no $pc_iso (run tests/lab/make-pc-iso.sh on the host; run-lab-tests.sh does);"
    [ -f /usr/share/seabios/bios-256k.bin ] || why+=" no /usr/share/seabios/bios-256k.bin (apt-get install seabios);"
    if [ -n "$why" ]; then
        [ "$want_cdrom" = 0 ] || fail bios-cdrom-linux "cannot run:$why"
        [ "$want_reboot" = 0 ] || fail bios-reboot "cannot run:$why"
        return
    fi
    vm_dir="$work/$name"
    mkdir -p "$vm_dir"
    disk="$vm_dir/disk.raw"
    qemu-img create -q -f raw "$disk" 16M
    cat >"$vm_dir/vm.toml" <<TOML
id = "lab-$name"
name = "lab test $name"
vcpus = 2
memory_mib = 512

[boot]
kind = "bios"

[serial]
log = true

[display]
width = 1024
height = 768

[[disks]]
path = "$disk"
format = "raw"

[[cdroms]]
path = "$pc_iso"
TOML
    vm_sock="$vm_dir/run/control.sock"
    vm_t0="$(now)"
    timeout -k 5 $((pc_limit * 2)) "$vmm" --config "$vm_dir/vm.toml" --runtime-dir "$vm_dir/run" \
        </dev/null >"$vm_dir/vmm.stdout" 2>"$vm_dir/vmm.stderr" &
    vm_pid=$!
    if pc_wait_count 'SeaBIOS \(version' 1 "the SeaBIOS banner" &&
        pc_wait_count 'VMDESK-GRUB-LOADING' 1 "GRUB's menu entry" &&
        pc_wait_count '^VMDESK-LINUX-INIT-OK$' 1 "VMDESK-LINUX-INIT-OK" &&
        pc_wait_count 'vmdesk-guest:[^ ]*# ' 1 "the shell prompt"; then
        info "pc: $(serial | grep -a -m1 '^VMDESK-MODULES')"
        # Every PCI function: address, vendor, device, class, driver.
        # shellcheck disable=SC2016
        if pci="$(pc_out 'for d in /sys/bus/pci/devices/*; do l=$(readlink $d/driver); echo "PCI ${d##*/} $(cat $d/vendor):$(cat $d/device) $(cat $d/class) msi=$(ls $d/msi_irqs 2>/dev/null | wc -l) ${l##*/}"; done' 'PCI 0000:' pci-listed)"; then
            while read -r line; do info "pc: $line"; done <<<"$pci"
            grep -q ' 0x1234:0x1111 .* bochs-drm$' <<<"$pci" || bad+=" std-vga 1234:1111 not bound to bochs-drm;"
            grep -q ' 0x8086:0x2922 .* ahci$' <<<"$pci" || bad+=" AHCI 8086:2922 not bound to ahci;"
            [ "$(grep -c ' 0x1af4:' <<<"$pci")" -ge 2 ] || bad+=" fewer than 2 virtio-pci functions (disk, rng);"
            d="$(grep ' 0x1af4:' <<<"$pci" | grep -v ' virtio-pci$' || true)"
            [ -z "$d" ] || bad+=" virtio functions without the virtio-pci driver: $(tr '\n' ' ' <<<"$d");"
            # virtio-pci uses MSI-X vectors (config + queues) when the function offers them.
            d="$(grep ' 0x1af4:' <<<"$pci" | grep ' msi=0 ' || true)"
            [ -z "$d" ] || bad+=" virtio functions without MSI-X vectors: $(tr '\n' ' ' <<<"$d");"
        else
            bad+=" listing /sys/bus/pci failed ($why);"
            why=""
        fi
        # MSI-X for virtio; AHCI's INTx count must rise while the CD is read.
        # shellcheck disable=SC2016
        irq0="$(pc_out 'echo "IRQ-A $(grep -c PCI-MSI /proc/interrupts) $(awk "/ahci/ { for (i = 2; i <= NF && \$i ~ /^[0-9]+\$/; i++) n += \$i } END { print n + 0 }" /proc/interrupts)"; grep -E "ahci|PCI-MSI|virtio" /proc/interrupts | sed "s/^/IRQ-L /"' 'IRQ-' irq-a)" || irq0=""
        while read -r line; do info "pc: $line"; done <<<"$irq0"
        set -- $(grep -a '^IRQ-A ' <<<"$irq0" | tail -n 1)
        msix="${2:-0}" ahci0="${3:-}"
        [ "$msix" -gt 0 ] 2>/dev/null || bad+=" no PCI-MSI(X) lines in /proc/interrupts;"
        grep -a '^IRQ-L .*ahci' <<<"$irq0" | grep -q 'IO-APIC' || bad+=" AHCI's interrupt is not an IO-APIC (INTx) line;"
        why=""
        if typed 'mkdir -p /cd && mount -t iso9660 -o ro /dev/sr0 /cd && cat /cd/boot/vmlinuz /cd/boot/initrd.gz >/dev/null && umount /cd && echo cd-read' '^cd-read$'; then
            # shellcheck disable=SC2016
            irq1="$(pc_out 'echo "IRQ-B $(awk "/ahci/ { for (i = 2; i <= NF && \$i ~ /^[0-9]+\$/; i++) n += \$i } END { print n + 0 }" /proc/interrupts)"' 'IRQ-B ' irq-b)" || irq1=""
            irq1="$(tail -n 1 <<<"$irq1" | awk '{ print $2 }')"
            info "pc: AHCI interrupts $ahci0 before reading the CD, $irq1 after"
            [ "${irq1:-0}" -gt "${ahci0:-0}" ] 2>/dev/null || bad+=" AHCI interrupt count did not rise while reading the CD ($ahci0 -> ${irq1:-?});"
        else
            bad+=" reading the CD failed ($why);"
            why=""
        fi
        d="$(pc_out 'dmesg | grep -E "i8042|serio|input:|bochs|ahci 0000|ata[0-9]: SATA|sr0|virtio_blk|MSI" | cut -c1-150 | sed "s/^/DMESG /"' 'DMESG ' dm-done)" || d=""
        while read -r line; do [ -z "$line" ] || info "pc: dmesg: $line"; done <<<"$d"
        grep -q 'i8042' <<<"$d" || bad+=" no i8042 in dmesg;"
        grep -q 'AT Translated Set 2 keyboard' <<<"$d" || bad+=" no atkbd keyboard in dmesg;"
        grep -q 'sr0' <<<"$d" || bad+=" no sr0 (the CD) in dmesg;"
        if [ "$want_cdrom" = 1 ]; then
            if [ -n "$bad" ]; then fail bios-cdrom-linux "${bad# }; $(where)"; else pass bios-cdrom-linux; fi
        fi
        if [ "$want_reboot" = 1 ]; then
            name=bios-reboot
            # Each must appear once more than before the reboot (the serial log keeps the first boot).
            local nb ng ni np
            nb="$(pc_count 'SeaBIOS \(version')" ng="$(pc_count VMDESK-GRUB-LOADING)"
            ni="$(pc_count '^VMDESK-LINUX-INIT-OK$')" np="$(pc_count 'vmdesk-guest:[^ ]*# ')"
            if "${ctl[@]}" type "$vm_sock" 'reboot -f' --timeout 10 >/dev/null 2>&1 &&
                pc_wait_count 'SeaBIOS \(version' $((nb + 1)) "the SeaBIOS banner again after reboot -f" &&
                pc_wait_count 'VMDESK-GRUB-LOADING' $((ng + 1)) "GRUB again" &&
                pc_wait_count '^VMDESK-LINUX-INIT-OK$' $((ni + 1)) "VMDESK-LINUX-INIT-OK again" &&
                pc_wait_count 'vmdesk-guest:[^ ]*# ' $((np + 1)) "the shell prompt again" &&
                typed 'echo again-$((6*7))' '^again-42$'; then
                power_off_by_shell "$name" || :
            fi
            if [ -z "$why" ]; then pass bios-reboot; else fail bios-reboot "$why"; fi
        fi
    else
        [ "$want_cdrom" = 0 ] || fail bios-cdrom-linux "$why"
        [ "$want_reboot" = 0 ] || fail bios-reboot "did not get to the first boot's shell: $why"
    fi
    kill_vm
    finish_test bios-cdrom-linux
}

# bios-virtio-disk: the same ISO as a read-only virtio-blk disk (grub-mkrescue's image is hybrid:
# its MBR boots it from a disk) and no CD: SeaBIOS boots GRUB from the virtio-pci disk, GRUB boots
# Linux to the shell; `poweroff -f` ends vmdesk-vmm with status 0.
t_pc_disk() {
    local name=bios-virtio-disk
    why=""
    if [ ! -f "$pc_iso" ]; then
        fail "$name" "cannot run: no $pc_iso (run tests/lab/make-pc-iso.sh on the host; run-lab-tests.sh does)"
        return
    fi
    vm_dir="$work/$name"
    mkdir -p "$vm_dir"
    cat >"$vm_dir/vm.toml" <<TOML
id = "lab-$name"
name = "lab test $name"
vcpus = 2
memory_mib = 512
virtio_rng = false

[boot]
kind = "bios"

[serial]
log = true

[[disks]]
path = "$pc_iso"
format = "raw"
read_only = true
TOML
    vm_sock="$vm_dir/run/control.sock"
    vm_t0="$(now)"
    timeout -k 5 "$pc_limit" "$vmm" --config "$vm_dir/vm.toml" --runtime-dir "$vm_dir/run" \
        </dev/null >"$vm_dir/vmm.stdout" 2>"$vm_dir/vmm.stderr" &
    vm_pid=$!
    if pc_wait_count 'VMDESK-GRUB-LOADING' 1 "GRUB's menu entry (from the virtio disk)" &&
        pc_wait_count '^VMDESK-LINUX-INIT-OK$' 1 "VMDESK-LINUX-INIT-OK" &&
        pc_wait_count 'vmdesk-guest:[^ ]*# ' 1 "the shell prompt" &&
        typed 'echo "ROOTDEV $(cat /sys/block/vda/size)"' '^ROOTDEV [1-9][0-9]*$'; then
        power_off_by_shell "$name" || :
    fi
    kill_vm
    finish_test "$name"
    if [ -n "$why" ]; then fail "$name" "$why"; else pass "$name"; fi
}

# The classroom's "VM beside a container" (issue 16) with a real kernel on the VM side: `vmdesk
# compare` runs the guest's own busybox root as a crun container in L1 and boots the same root
# as a VM (the cloud kernel under vmdesk-vmm), then asks both `uname -r`. The container must see
# L1's kernel (shared), the VM its own (the cloud kernel) — read from inside each, not assumed.
t_compare() {
    local name=vm-vs-container d app out err rc
    why=""
    d="$work/$name"
    vm_dir="$d/vm"   # for finish_test/where: the VM's folder is found after `create`
    mkdir -p "$d/home" "$d/tmp" "$vm_dir"
    app="${VMDESK_APP:-$repo/target/debug/vmdesk}"
    if [ ! -x "$app" ]; then
        fail "$name" "cannot run: no vmdesk app binary at $app (cargo build -p vmdesk, or set VMDESK_APP)"
        return
    fi
    if ! command -v crun >/dev/null; then
        fail "$name" "cannot run: no crun in L1's view of the host (apt-get install crun on the host)"
        return
    fi
    # crun needs the cgroup file system, which L1's chroot does not mount; and the container's
    # overlay cannot have its upper layer on L1's overlay root: a tmpfs for the temporary files.
    if ! awk '$2 == "/sys/fs/cgroup"' /proc/mounts | grep -q .; then
        mount -t cgroup2 none /sys/fs/cgroup 2>"$d/cgroup.err" ||
            info "$name: cannot mount cgroup2 at /sys/fs/cgroup: $(cat "$d/cgroup.err")"
    fi
    mount -t tmpfs -o mode=1777 tmpfs "$d/tmp" 2>/dev/null || info "$name: no tmpfs for TMPDIR"
    mkdir -p "$d/home/run" && chmod 700 "$d/home/run"
    local envs=(env HOME="$d/home" XDG_DATA_HOME="$d/home/data" XDG_CONFIG_HOME="$d/home/config"
        XDG_CACHE_HOME="$d/home/cache" XDG_RUNTIME_DIR="$d/home/run" TMPDIR="$d/tmp"
        VMDESK_VMM="$vmm" LANG=C.UTF-8)
    if ! out="$("${envs[@]}" "$app" create lab-compare --kernel "$kernel" --initrd "$initrd" \
        --cmdline "console=ttyS0 reboot=k panic=-1 quiet vmdesk.init=shell $extra" \
        --vcpus 2 --memory 256 --no-display 2>&1)"; then
        fail "$name" "vmdesk create failed: $(tail -n 2 <<<"$out" | tr '\n' ' ')"
        return
    fi
    vm_t0="$(now)"
    rc=0
    timeout -k 5 "$limit" "${envs[@]}" "$app" compare lab-compare --initramfs "$initrd" --json \
        >"$d/compare.json" 2>"$d/compare.err" || rc=$?
    # The VM's serial log, for finish_test and where().
    cp "$(find "$d/home" -name serial.log -print -quit 2>/dev/null)" "$vm_dir/serial.log" 2>/dev/null
    err="$(tail -n 2 "$d/compare.err" | tr '\n' ' ')"
    if [ "$rc" != 0 ]; then
        why="vmdesk compare exit status $rc after $(since "$vm_t0")s: $(head -c 600 "$d/compare.json") $err"
    else
        # python3: the VM's and the container's `uname -r`, and the namespaces the container had.
        out="$("$py" - "$d/compare.json" "$(uname -r)" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
l1 = sys.argv[2]
ct, vm = c["container"], c.get("vm")
if vm is None:
    print("FAIL the VM was not measured: %s" % c.get("vm_error")); sys.exit()
k_vm, k_ct = vm.get("kernel_inside"), ct["kernel_inside"]
iso = ",".join(sorted(n["kind"] for n in ct["namespaces"] if n["inside"] != n["host"]))
if not k_vm:
    print("FAIL no uname -r from inside the VM; notes: %s" % vm.get("notes"))
elif k_ct != l1:
    print("FAIL the container saw kernel %r, L1 runs %r" % (k_ct, l1))
elif "pid" not in iso or "mnt" not in iso:
    print("FAIL the container's own namespaces were %r: wanted at least pid and mnt" % iso)
elif k_vm == k_ct or "cloud" not in k_vm:
    print("FAIL the VM saw kernel %r, the container %r: wanted the cloud kernel, different" % (k_vm, k_ct))
else:
    print("OK vm=%s container=%s vm_start_ms=%.0f container_start_ms=%.0f vm_rss_mib=%.1f container_mem_mib=%.1f pid1_inside=%s isolated=%s" % (
        k_vm, k_ct, vm.get("start_ms") or -1, ct["start_ms"], vm["rss_bytes"] / 2**20,
        ct["cgroup"]["memory_current"] / 2**20, ct["pid_inside"], iso))
PY
)"
        case "$out" in
            OK*) info "$name: ${out#OK }" ;;
            FAIL*) why="${out#FAIL }" ;;
            *) why="could not read compare.json: $out $(head -c 300 "$d/compare.json")" ;;
        esac
    fi
    umount "$d/tmp" 2>/dev/null
    finish_test "$name"
    if [ -n "$why" ]; then fail "$name" "$why"; else pass "$name"; fi
}

# gpu-resize (virtio-gpu with Linux's virtio_gpu): in its own file.
# shellcheck source=lab-gpu.sh
. "$here/lab-gpu.sh"

t_start="$(now)"
for t in $tests; do
    echo "LAB-TEST-START $t uptime=$(up)"
    ts="$(now)"
    case "$t" in
        boot) t_boot ;;
        serial-both-ways | acpi-power-button | efifb-console) t_shell_shared ;;
        disk-ext4) t_disk ;;
        snapshot-revert) t_snapshot ;;
        net-passt) t_net ;;
        net-forward-slirp) t_net_forward ;;
        uefi-vars) t_uefi ;;
        broken-kernel) t_broken ;;
        not-a-kernel) t_not_kernel ;;
        vm-vs-container) t_compare ;;
        gpu-resize) t_gpu ;;
        # Both PC tests share one VM (each boot takes minutes): the reboot follows the checks.
        bios-cdrom-linux) t_pc 1 "$(case " $tests " in *" bios-reboot "*) echo 1 ;; *) echo 0 ;; esac)" ;;
        bios-reboot) case " $tests " in *" bios-cdrom-linux "*) ;; *) t_pc 0 1 ;; esac ;;
        bios-virtio-disk) t_pc_disk ;;
    esac
    info "$t took $(since "$ts")s"
done
echo "LAB-TESTS passed=$passed failed=$failed in $(since "$t_start")s"
rm -rf "$work"
[ "$failed" -eq 0 ]
