# shellcheck shell=bash
# The busybox initramfs steps shared by tests/linux/build-guest.sh and
# tests/lab/build-l1.sh (sourced by both; it defines functions only).
#
# The caller defines say, warn and die, and sets these variables first:
#   work     the work directory
#   kroot    the unpacked kernel package; kver its version, kmoddir its
#            lib/modules/KVER, kimage its vmlinuz
#   busybox  the busybox-static binary
#   MODULES  the modules wanted, by name ('-' and '_' are equivalent)
# shellcheck disable=SC2154 # those variables, set by the caller

# The awk program that turns modules.dep + modules.builtin + a wanted list into a
# load plan. Used on the host (to pick the files) and in the guest (by /init).
# Output lines: "load <path relative to /lib/modules/KVER>", "builtin <name>",
# "missing <name>". modules.dep lists each module's full dependency closure so
# that loading it from right to left works, as modprobe does.
modplan_awk() {
    cat <<'AWK'
function norm(s) { gsub(/-/, "_", s); return s }
function modname(p,  b) {
    b = p; sub(/^.*\//, "", b); sub(/\.ko(\.(gz|xz|zst))?$/, "", b); return norm(b)
}
function emit(p) { if (!(p in done)) { done[p] = 1; print "load " p } }
FILENAME ~ /modules\.builtin$/ { if (NF) builtin[modname($1)] = 1; next }
NF {
    k = $1; sub(/:$/, "", k); m = modname(k)
    path[m] = k; deps[m] = ""
    for (i = 2; i <= NF; i++) deps[m] = deps[m] " " $i
}
END {
    n = split(want, w, " ")
    for (i = 1; i <= n; i++) {
        m = norm(w[i])
        if (m in path) {
            k = split(deps[m], d, " ")
            for (j = k; j >= 1; j--) emit(d[j])
            emit(path[m])
        } else if (m in builtin) print "builtin " w[i]
        else print "missing " w[i]
    }
}
AWK
}

# Writes a minimal newc cpio archive holding /dev and /dev/console (char 5:1),
# so the kernel can open the console for /init. Built by hand because making
# the device node in a directory would need root.
console_cpio() {
    local name mode maj min ino namesize pad
    while read -r name mode maj min ino; do
        namesize=$((${#name} + 1))
        printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
            "$ino" "$((8#$mode))" 0 0 1 0 0 0 0 "$maj" "$min" "$namesize" 0
        printf '%s\0' "$name"
        pad=$(((4 - (110 + namesize) % 4) % 4))
        [ "$pad" -eq 0 ] || head -c "$pad" /dev/zero
    done <<'EOF'
dev 040755 0 0 1879048193
dev/console 020600 5 1 1879048194
TRAILER!!! 0 0 0 0
EOF
}

# Sets depmod: the one from Debian's kmod .deb (unpacked in $work/kmod; it
# statically contains libkmod and needs libzstd, liblzma, libcrypto from the
# host), else the host's own.
initramfs_find_depmod() {
    mkdir -p "$work/bin"
    ln -s "$work/kmod/bin/kmod" "$work/bin/depmod"
    depmod="$work/bin/depmod"
    if ! "$depmod" --version >/dev/null 2>&1; then
        if command -v depmod >/dev/null 2>&1; then
            depmod="$(command -v depmod)"
        elif [ -x /sbin/depmod ]; then
            depmod=/sbin/depmod
        else
            die "depmod from the kmod package cannot run here ($("$work/bin/depmod" --version 2>&1 | sed -n 1p)); install 'kmod' (provides depmod)"
        fi
        warn "using the host's $depmod"
    fi
}

# Runs depmod on the kernel and plans the modules to load ($work/modplan.awk);
# sets plan (the plan's lines), load_files (one path a line, in load order) and
# missing and builtins (space-separated names).
# shellcheck disable=SC2034 # the caller reads what this sets
initramfs_plan_modules() {
    "$depmod" -b "$kroot" "$kver"
    modplan_awk >"$work/modplan.awk"
    [ -e "$kmoddir/modules.builtin" ] || : >"$kmoddir/modules.builtin"
    plan="$(awk -v want="$MODULES" -f "$work/modplan.awk" "$kmoddir/modules.builtin" "$kmoddir/modules.dep")"
    load_files="$(printf '%s\n' "$plan" | sed -n 's/^load //p')"
    missing="$(printf '%s\n' "$plan" | sed -n 's/^missing //p' | tr '\n' ' ' | sed 's/ $//')"
    builtins="$(printf '%s\n' "$plan" | sed -n 's/^builtin //p' | tr '\n' ' ' | sed 's/ $//')"
}

# initramfs_tree ETC: sets root to $work/root and fills it: busybox and its
# applet links, the planned modules with depmod's indexes, and in /etc/ETC the
# load plan's awk program (modplan.awk) and the wanted list (modules). The
# caller adds /init.
initramfs_tree() {
    local etc="$1"
    root="$work/root"
    mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,run,tmp,root,etc/"$etc",lib/modules/"$kver"}
    chmod 1777 "$root/tmp"
    chmod 700 "$root/root"
    cp "$busybox" "$root/bin/busybox"
    "$busybox" --list-full | while read -r applet; do
        [ "$applet" = bin/busybox ] && continue
        [ -e "$root/$applet" ] || [ -L "$root/$applet" ] && continue
        mkdir -p "$root/$(dirname "$applet")"
        ln -s /bin/busybox "$root/$applet"
    done
    [ -L "$root/bin/sh" ] || die "busybox did not provide /bin/sh"
    initramfs_modules "$root" "$etc"
    cp "$work/modplan.awk" "$root/etc/$etc/modplan.awk"
}

# initramfs_modules ROOT ETC: the planned modules ($load_files) under
# ROOT/lib/modules/$kver with depmod's indexes, and the wanted list in
# ROOT/etc/ETC/modules. Also the whole of a second archive that brings another
# kernel's modules to an initramfs (make-pc-iso.sh, make-gpu-initrd.sh).
initramfs_modules() {
    local r="$1" etc="$2"
    local rmoddir="$r/lib/modules/$kver" f
    mkdir -p "$rmoddir" "$r/etc/$etc"
    while read -r f; do
        [ -n "$f" ] || continue
        mkdir -p "$rmoddir/$(dirname "$f")"
        cp "$kmoddir/$f" "$rmoddir/$f"
        grep -qxF "$f" "$kmoddir/modules.order" && printf '%s\n' "$f" >>"$rmoddir/modules.order"
    done <<<"$load_files"
    touch "$rmoddir/modules.order"
    cp "$kmoddir/modules.builtin" "$rmoddir/"
    [ ! -e "$kmoddir/modules.builtin.modinfo" ] || cp "$kmoddir/modules.builtin.modinfo" "$rmoddir/"
    "$depmod" -b "$r" "$kver"
    printf '%s\n' "$MODULES" >"$r/etc/$etc/modules"
}

# initramfs_pack OUT: packs $root into the gzipped cpio OUT: the hand-made
# /dev/console archive, then busybox cpio of the tree, one gzip. (The kernel
# unpacks concatenated cpio archives one after the other.)
initramfs_pack() {
    console_cpio >"$work/console.cpio"
    # Same mtime everywhere (the kernel image's), so rebuilds are byte-identical.
    find "$root" -exec touch -h -r "$kimage" {} +
    (
        cd "$root" || exit
        find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort |
            "$busybox" cpio -o -H newc -R 0:0 --renumber-inodes --ignore-devno 2>/dev/null
    ) >"$work/tree.cpio"
    # (grep without -q: it must read everything, or pipefail sees cpio's SIGPIPE)
    "$busybox" cpio -t <"$work/console.cpio" 2>/dev/null | grep -x dev/console >/dev/null ||
        die "the hand-made console archive is broken"
    "$busybox" cpio -t <"$work/tree.cpio" 2>/dev/null | grep -x init >/dev/null ||
        die "the initramfs archive has no /init"
    cat "$work/console.cpio" "$work/tree.cpio" | gzip -9 -n >"$1"
}
