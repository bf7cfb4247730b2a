#!/usr/bin/env bash
# Run a script inside vmdesk's real-Linux lab: boot the L1 guest (Debian generic
# kernel, see build-l1.sh) under QEMU TCG, whose emulated AMD SVM gives L1 a real
# /dev/kvm, with the host's root filesystem shared read-only over 9p. The script
# runs in L1 chrooted into a copy-on-write view of the host's files, so it can
# start the freshly built vmdesk-vmm (/work/main/target/...) on a real Linux L2
# guest. L1's console is streamed to stdout; the exit status is the script's.
# See tests/lab/README.md.
set -euo pipefail

HERE="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
readonly HERE
# x86 Linux keeps at most 2047 bytes of kernel command line (COMMAND_LINE_SIZE).
readonly CMDLINE_MAX=2047

usage() {
    cat <<EOF
Usage: ${0##*/} [OPTIONS] SCRIPT [ARG...]
       ${0##*/} [OPTIONS] -c 'SHELL COMMAND'
       ${0##*/} --host-kvm

Boots the lab's L1 guest under QEMU TCG and runs SCRIPT (a file on this host)
in it as root, with L1's /dev/kvm, chrooted into a copy-on-write view of this
host's root filesystem: host files are readable at their usual paths, writes
land in L1's memory and vanish at the end (except under --rw directories).
The working directory is this one. L1's console is streamed to stdout; the
status is SCRIPT's exit status.

Options:
  -c CMD          run the shell command CMD (/bin/sh -c) instead of a script
  --rw DIR        share DIR read-write: the script's writes under DIR reach the
                  host (repeatable)
  --env NAME=VAL  set an environment variable for the script (repeatable;
                  HOME and XDG_CACHE_HOME are passed on by default)
  --l1-root       run in L1's own busybox userland instead of the host's files
                  (host's / is at /host; the script path is given as /host/...)
  -i, --interactive  connect this terminal to L1's console and give the script
                  the console as stdin (default: stdin is /dev/null).
                  Ctrl-A x quits QEMU.
  --timeout S     give up after S seconds (default \$LAB_TIMEOUT or 300)
  --stall S       stop L1 when its console has been silent for S seconds
                  (default \$LAB_STALL or 0: never); the status is then 125
  --smp N         L1 vCPUs (default \$LAB_SMP or 2)
  --mem MIB       L1 memory (default \$LAB_MEM or 2048)
  --log FILE      also write L1's console to FILE
  --verbose       show L1's kernel messages and the lab's module/mount log
  --no-build      do not run build-l1.sh first (the L1 files must exist)
  --host-kvm      say whether this host has hardware virtualization (then the
                  lab is not needed: run vmdesk-vmm directly); exit 0 if so
  -h, --help      this text

Environment: LAB_TIMEOUT, LAB_STALL, LAB_SMP, LAB_MEM, LAB_DIR (the L1 files; default
\${XDG_CACHE_HOME:-\$HOME/.cache}/vmdesk/lab), LAB_QEMU (qemu-system-x86_64),
LAB_ACCEL (tcg,thread=multi), LAB_CPU (max; it must offer SVM), LAB_VERBOSE=1.

Exit status: the script's status; 124 timeout; 125 the lab itself failed
(QEMU error, /dev/kvm missing in L1, L1 stopped without LAB-EXIT or froze);
2 bad usage.
EOF
}

say() { printf '%s\n' "run-in-l1: $*" >&2; }
die() { printf '%s\n' "run-in-l1: error: $*" >&2; exit "${2:-125}"; }
usage_error() { usage >&2; printf '%s\n' "run-in-l1: error: $*" >&2; exit 2; }

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }
# Quote for POSIX sh: 'it'\''s'.
shq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

hw_kvm() { # prints the hardware KVM module name, fails if there is none
    local m
    for m in kvm_intel kvm_amd; do
        if [ -d "/sys/module/$m" ]; then
            printf '%s\n' "$m"
            return 0
        fi
    done
    return 1
}

# ---------------------------------------------------------------- arguments
timeout_s="${LAB_TIMEOUT:-300}"
stall_s="${LAB_STALL:-0}"
smp="${LAB_SMP:-2}"
mem="${LAB_MEM:-2048}"
verbose="${LAB_VERBOSE:-0}"
qemu="${LAB_QEMU:-qemu-system-x86_64}"
accel="${LAB_ACCEL:-tcg,thread=multi}"
cpu="${LAB_CPU:-max}"
lab_dir="${LAB_DIR:-}"
command=""
have_command=0
root_mode=host
interactive=0
build=1
log_file=""
rw_dirs=()
envs=()
while [ $# -gt 0 ]; do
    case "$1" in
        -c) [ $# -ge 2 ] || usage_error "-c needs a command"; command="$2"; have_command=1; shift ;;
        --rw) [ $# -ge 2 ] || usage_error "--rw needs a directory"; rw_dirs+=("$2"); shift ;;
        --env) [ $# -ge 2 ] || usage_error "--env needs NAME=VALUE"; envs+=("$2"); shift ;;
        --l1-root) root_mode=l1 ;;
        -i | --interactive) interactive=1 ;;
        --timeout) [ $# -ge 2 ] || usage_error "--timeout needs seconds"; timeout_s="$2"; shift ;;
        --stall) [ $# -ge 2 ] || usage_error "--stall needs seconds"; stall_s="$2"; shift ;;
        --smp) [ $# -ge 2 ] || usage_error "--smp needs a number"; smp="$2"; shift ;;
        --mem) [ $# -ge 2 ] || usage_error "--mem needs MiB"; mem="$2"; shift ;;
        --log) [ $# -ge 2 ] || usage_error "--log needs a file"; log_file="$2"; shift ;;
        --verbose) verbose=1 ;;
        --no-build) build=0 ;;
        --host-kvm)
            if m="$(hw_kvm)"; then
                say "this host has hardware virtualization ($m): run vmdesk-vmm directly, the lab is not needed"
                exit 0
            fi
            say "no hardware virtualization here (no kvm_intel / kvm_amd module): real Linux guests need the lab"
            exit 1 ;;
        -h | --help) usage; exit 0 ;;
        --) shift; break ;;
        -*) usage_error "unknown option: $1" ;;
        *) break ;;
    esac
    shift
done
case "$timeout_s" in '' | *[!0-9]*) usage_error "timeout must be whole seconds: $timeout_s" ;; esac
case "$stall_s" in '' | *[!0-9]*) usage_error "--stall must be whole seconds: $stall_s" ;; esac
case "$smp" in '' | *[!0-9]* | 0) usage_error "--smp must be a positive number: $smp" ;; esac
case "$mem" in '' | *[!0-9]*) usage_error "--mem must be MiB: $mem" ;; esac

if [ "$have_command" -eq 1 ]; then
    [ $# -eq 0 ] || usage_error "give either -c CMD or SCRIPT, not both"
else
    [ $# -ge 1 ] || usage_error "no SCRIPT given"
fi

command -v "$qemu" >/dev/null 2>&1 ||
    die "$qemu is not installed (Debian: qemu-system-x86; on bookworm with qemu-utils from backports, take it from bookworm-backports too)"
command -v timeout >/dev/null 2>&1 || die "'timeout' (coreutils) is not installed"
command -v base64 >/dev/null 2>&1 || die "'base64' (coreutils) is not installed"

if m="$(hw_kvm)"; then
    say "note: this host has hardware virtualization ($m): tests can run vmdesk-vmm directly and do not need the lab; running in the lab anyway"
fi

# ---------------------------------------------------------------- the L1 files
if [ -z "$lab_dir" ]; then
    lab_dir="$("$HERE/build-l1.sh" --print-dir)"
fi
if [ "$build" -eq 1 ]; then
    "$HERE/build-l1.sh" "$lab_dir" >&2 || die "building L1 failed (tests/lab/build-l1.sh)"
fi
vmlinuz="$lab_dir/vmlinuz-l1"
initramfs="$lab_dir/initramfs-l1.cpio.gz"
if [ ! -f "$vmlinuz" ] || [ ! -f "$initramfs" ]; then
    die "no L1 in $lab_dir (run tests/lab/build-l1.sh)"
fi

# ---------------------------------------------------------------- the command for L1
# Paths the script sees: the host's (chroot into the shared root) or, with
# --l1-root, /host + the host's path.
prefix=""
[ "$root_mode" = host ] || prefix=/host
visible_in_l1() { # PATH: fail for host paths L1 mounts over or cannot see
    case "$1" in
        /proc/* | /sys/* | /dev/* | /run/*)
            return 1 ;;
    esac
}
pre=""
pre+="export HOME=$(shq "$prefix${HOME:-/root}"); "
[ -z "${XDG_CACHE_HOME:-}" ] || pre+="export XDG_CACHE_HOME=$(shq "$prefix$XDG_CACHE_HOME"); "
for e in ${envs[@]+"${envs[@]}"}; do
    case "$e" in
        [A-Za-z_]*=*) name="${e%%=*}"
            case "$name" in *[!A-Za-z0-9_]*) usage_error "bad --env name: $name" ;; esac
            pre+="export $name=$(shq "${e#*=}"); " ;;
        *) usage_error "--env wants NAME=VALUE, got: $e" ;;
    esac
done
cwd="$(pwd)"
if visible_in_l1 "$cwd"; then
    pre+="cd $(shq "$prefix$cwd") 2>/dev/null || cd /; "
fi
if [ "$have_command" -eq 1 ]; then
    cmd="$pre$command"
    what="-c $(shq "$command")"
else
    script="$(readlink -f "$1")" || die "cannot resolve $1" 2
    shift
    [ -f "$script" ] || die "no such script: $script" 2
    visible_in_l1 "$script" ||
        die "$script is under /proc, /sys, /dev or /run, which L1 does not see from the host; put it in a regular directory" 2
    cmd="${pre}exec"
    [ -x "$script" ] || cmd+=" /bin/sh"
    cmd+=" $(shq "$prefix$script")"
    for a in "$@"; do cmd+=" $(shq "$a")"; done
    what="$script${*:+ $*}"
fi

append="console=ttyS0 panic=-1 lab.cmd=$(printf '%s' "$cmd" | base64 -w0)"
if [ "$verbose" = 1 ]; then append+=" lab.debug=1"; else append+=" quiet"; fi
[ "$root_mode" = host ] || append+=" lab.root=l1"
[ "$interactive" -eq 0 ] || append+=" lab.stdin=console"

qemu_args=(
    -accel "$accel" -cpu "$cpu" -m "$mem" -smp "$smp"
    # -nographic without its side effects: -nographic makes SeaBIOS mirror the
    # screen on the serial line (escape sequences that clear the terminal).
    -display none -nodefaults -serial mon:stdio -no-reboot
    # Thread names ("CPU 0/TCG") for what the stall watch reports.
    -name vmdesk-lab,debug-threads=on
    -kernel "$vmlinuz" -initrd "$initramfs"
    -virtfs "local,path=/,mount_tag=hostshare,security_model=none,readonly=on,multidevs=remap"
    # A NIC for passt in L1 to take as its template (it wants an interface with a default
    # route). restrict=on: nothing from L1 leaves this host; the lab's network test only
    # talks to services on L1's own loopback.
    -netdev user,id=lan,restrict=on -device virtio-net-pci,netdev=lan,romfile=
)
if [ "${#rw_dirs[@]}" -gt 0 ]; then
    rw_lines=""
    i=0
    for d in "${rw_dirs[@]}"; do
        [ -d "$d" ] || die "--rw $d: not a directory" 2
        d="$(cd "$d" && pwd -P)"
        case "$d" in *,*) die "--rw $d: QEMU cannot share a path with a comma" 2 ;; esac
        visible_in_l1 "$d" || die "--rw $d: under /proc, /sys, /dev or /run" 2
        qemu_args+=(-virtfs "local,path=$d,mount_tag=labrw$i,security_model=none,multidevs=remap")
        rw_lines+="labrw$i $prefix$d"$'\n'
        i=$((i + 1))
    done
    append+=" lab.rw=$(printf '%s' "$rw_lines" | base64 -w0)"
fi
qemu_args+=(-append "$append")
# QEMU's record of L1's CPU resets: a triple fault in L1 (with -no-reboot, QEMU then just exits
# 0) leaves no trace on the console, only here. (A reset L1 asks for prints "reboot:" there.)
qemu_dbg="$(mktemp "${TMPDIR:-/tmp}/vmdesk-lab-qemu.XXXXXX")"
qemu_args+=(-d cpu_reset -D "$qemu_dbg")
# QEMU's pid, for the stall watch below.
qemu_pidfile="$(mktemp -u "${TMPDIR:-/tmp}/vmdesk-lab-pid.XXXXXX")"
qemu_args+=(-pidfile "$qemu_pidfile")
[ "${#append}" -le "$CMDLINE_MAX" ] ||
    die "the command is too long for the kernel command line (${#append} > $CMDLINE_MAX bytes); put it in a script file" 2

# ---------------------------------------------------------------- boot L1
tmp_log=""
stall_note="$(mktemp "${TMPDIR:-/tmp}/vmdesk-lab-stall.XXXXXX")"
watch_pid=""
trap 'rm -f "$tmp_log" "$qemu_dbg" "$qemu_pidfile" "$stall_note"; [ -z "$watch_pid" ] || kill "$watch_pid" 2>/dev/null; true' EXIT
if [ -z "$log_file" ]; then
    tmp_log="$(mktemp "${TMPDIR:-/tmp}/vmdesk-lab.XXXXXX")"
    log_file="$tmp_log"
fi
: >"$log_file" || die "cannot write $log_file" 2

# QEMU's TCG has, rarely, left one of L1's vCPUs halted for good (its thread used no CPU time
# for minutes while the other ran on): L1 then neither finishes nor times out its test, and only
# the overall timeout ends it. A console silent for longer than any test's own limit is that:
# QEMU is stopped, what its threads were doing is kept, and the status is 125 (the lab failed,
# not a test), which run-lab-tests.sh answers by running the tests without a result once more.
qemu_threads() { # PID -> "name: CPU ticks" of each of its threads
    local t
    for t in /proc/"$1"/task/*; do
        printf '%s: %s\n' "$(cat "$t/comm" 2>/dev/null)" "$(awk '{ print $14 + $15 }' "$t/stat" 2>/dev/null)"
    done
}
watch_console() {
    local size last=-1 quiet=0 qpid
    while sleep 5; do
        size="$(stat -c %s "$log_file" 2>/dev/null || echo 0)"
        if [ "$size" != "$last" ]; then last="$size"; quiet=0; continue; fi
        quiet=$((quiet + 5))
        [ "$quiet" -ge "$stall_s" ] || continue
        qpid="$(cat "$qemu_pidfile" 2>/dev/null)" || continue
        [ -n "$qpid" ] && [ -d "/proc/$qpid" ] || continue
        {
            echo "L1's console was silent for ${quiet}s; QEMU's threads (CPU ticks, then 5 s later):"
            qemu_threads "$qpid"
            sleep 5
            echo "--"
            qemu_threads "$qpid"
        } >"$stall_note"
        kill -TERM "$qpid"
        return
    done
}
say "booting L1 ($accel, $smp vCPU, $mem MiB, timeout ${timeout_s}s): $what"
t0="$(now)"
if [ "$stall_s" -gt 0 ] && [ "$interactive" -eq 0 ]; then
    watch_console &
    watch_pid=$!
fi
set +e
if [ "$interactive" -eq 1 ]; then
    timeout --foreground -k 5 "$timeout_s" "$qemu" "${qemu_args[@]}" | tee "$log_file"
else
    timeout --foreground -k 5 "$timeout_s" "$qemu" "${qemu_args[@]}" </dev/null | tee "$log_file"
fi
rcs=("${PIPESTATUS[@]}")
set -e
qrc="${rcs[0]}"
took="$(elapsed "$t0")"
if [ -n "$watch_pid" ]; then
    kill "$watch_pid" 2>/dev/null || true
    wait "$watch_pid" 2>/dev/null || true
    watch_pid=""
fi
if [ -s "$stall_note" ]; then
    say "L1 froze after $took: stopped it. $(cat "$stall_note")"
    exit 125
fi

console="$(tr -d '\r' <"$log_file")"
last_marker() { # PREFIX -> the rest of the last line starting with PREFIX
    printf '%s\n' "$console" | awk -v p="$1" 'index($0, p) == 1 { r = substr($0, length(p) + 1) } END { print r }'
}
lab_exit="$(last_marker 'LAB-EXIT ' | awk '$1 ~ /^[0-9]+$/ { print $1 }')"
kvm_missing="$(last_marker 'LAB-KVM-MISSING ')"

if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
    stage="L1 did not start"
    grep -q '^LAB-L1-INIT' <<<"$console" && stage="L1 booted"
    grep -q '^LAB-KVM-OK' <<<"$console" && stage="/dev/kvm was ready"
    grep -q '^LAB-RUN' <<<"$console" && stage="the script was running"
    say "TIMEOUT: L1 did not finish within ${timeout_s}s ($stage; raise --timeout or LAB_TIMEOUT)"
    exit 124
fi
if [ -n "$kvm_missing" ]; then
    say "/dev/kvm is missing in L1: $kvm_missing"
    exit 125
fi
if [ -n "$lab_exit" ]; then
    say "LAB-EXIT $lab_exit after $took"
    exit "$lab_exit"
fi
if grep -q '^LAB-HOST-MISSING' <<<"$console"; then
    say "L1 could not mount the host's files (9p): see the console above"
elif [ "$qrc" -ne 0 ]; then
    say "QEMU failed (status $qrc) after $took"
else
    if grep -q 'Triple fault' "$qemu_dbg" 2>/dev/null; then
        say "L1 stopped without LAB-EXIT after $took: QEMU saw a triple fault in L1 (L1's CPU state follows)"
        grep -B2 -A40 'Triple fault' "$qemu_dbg" | head -60 >&2
    else
        say "L1 stopped without LAB-EXIT after $took (no panic on the console above, no triple fault in QEMU's log)"
    fi
fi
exit 125
