# shellcheck shell=bash
# gpu-resize: the lab test of vmdesk-vmm's virtio-gpu with Linux's own virtio_gpu DRM driver.
# Sourced by tests/lab/lab-tests.sh (it uses its helpers: start_vm, wait_prompt, typed, ...).
#
# L2 is Debian's *generic* kernel, not the cloud kernel of the other tests: the cloud kernel has
# no DRM (CONFIG_DRM and CONFIG_DRM_VIRTIO_GPU unset), the generic one has virtio_gpu as a
# module. tests/lab/make-gpu-initrd.sh makes the kernel and an initramfs (tests/linux's busybox
# one + the generic kernel's virtio_mmio, virtio_gpu and their dependencies, from modules.dep);
# run-lab-tests.sh runs it on the host, and this test runs it in L1 when its output is missing.
#
# The VM: the kernel machine with `[display] kind = "virtio-gpu"` (virtio-mmio) at 1280x800.
# Checked, each a failure when it does not hold:
#   1. the driver binds: dmesg "[drm] Initialized virtio_gpu", /sys/class/drm/card0 exists, the
#      fbdev emulation's fb0 is "virtio_gpudrmfb" at 1280x800 (fbcon on it), its connector
#      card0-Virtual-1 lists 1280x800 first;
#   2. the screen shows the console: the API screenshot is 1280x800, and text written to tty0
#      lights thousands of pixels more than the cleared screen;
#   3. set-display-size 1280x720 (API): inside L2 the connector's modes list 1280x720 first
#      (without any probe from user space), and the screenshot becomes 1280x720 with the
#      console's text still on it: the kernel's fbdev emulation set the new mode by itself;
#   4. set-display-size 1920x1080: a full probe (as a DRM client's) lists 1920x1080 first.
# Why 1280x800 at boot: Linux 6.1's fbdev emulation allocates its buffer once, at the boot-time
# mode, and on a hotplug event (virtio_gpu sends one after a display-change event) re-probes the
# connector only up to that buffer's size (drm_fb_helper_hotplug_event): fbcon follows a host
# resize to any size that fits in the boot-time buffer, never to a larger one (step 4). A
# desktop (a DRM master such as mutter) follows any size.
gpu_dir="${LAB_GPU_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vmdesk/lab-gpu}"

# gpu_out CMD PREFIX MARK: runs CMD in the shell (it prints lines starting with PREFIX), ended by
# `echo MARK`; sets out to the serial lines that start with PREFIX (the typed command's echo
# starts with the prompt, so it never matches), or $why on failure. PREFIX must be new to this
# boot's serial log. (Not called in $(...): $why must reach the test.)
gpu_out() {
    out=""
    typed "$1; echo $3" "$3" || return 1
    # (a wrapped line of the typed command's echo can start with PREFIX too: it has "$(")
    out="$(serial | grep -a "^$2" | grep -av '\$(' || true)"
}

# png_size PNG: "WxH" of a PNG, from its IHDR (no ImageMagick needed for that).
png_size() {
    "$py" -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); print("%dx%d" % struct.unpack(">II", d[16:24]) if d[:8]==b"\x89PNG\r\n\x1a\n" else "not-a-png")' "$1" 2>/dev/null
}

# gpu_shot NAME [nolit]: takes a screenshot into $vm_dir/NAME.png; sets shot to "WxH LIT" (lit
# pixels as in lit_pixels; "WxH -" with nolit: ImageMagick takes seconds under TCG), or $why on
# failure. The request may take long: a debug vmdesk-vmm encodes the PNG unoptimized, nested
# under TCG (over 30 s once with the host's 2 cores at load 15).
gpu_shot() {
    local f="$vm_dir/$1.png" out
    shot=""
    if ! out="$("${ctl[@]}" request "$vm_sock" "{\"cmd\":\"screenshot\",\"path\":\"$f\"}" --timeout 120 2>&1)"; then
        why="screenshot request failed: $(cut -c1-200 <<<"$out"); $(where)"
        return 1
    fi
    shot="$(png_size "$f") -"
    [ "${2:-}" = nolit ] || shot="${shot% -} $(lit_pixels "$f")"
}

# at: the seconds since this VM's launch, for the LAB-INFO lines.
at() { echo "t=$(since "$vm_t0")s"; }

# gpu_modes TAG [detect]: prints "TAG <modes of the connector, first line first>" from inside L2;
# with "detect" after a full probe (writing "detect" to the connector's status makes the kernel
# run fill_modes at the device's largest size, as a DRM client's GETCONNECTOR does).
gpu_modes_cmd() {
    local pre=""
    [ "${2:-}" != detect ] || pre='echo detect >/sys/class/drm/card0-Virtual-1/status; '
    # shellcheck disable=SC2016
    echo "${pre}echo \"$1 \$(tr '\\n' ' ' </sys/class/drm/card0-Virtual-1/modes)\""
}

# gpu_wait_shot NAME WxH: screenshots (up to 15 tries, 1 s apart) until one is WxH; shot is the
# last one's "WxH LIT". Sets $why when a screenshot fails. (Each screenshot costs seconds in the
# lab: a debug vmdesk-vmm encodes the PNG, nested under TCG.)
gpu_wait_shot() {
    local n=0
    while gpu_shot "$1" nolit; do
        if [ "${shot%% *}" = "$2" ] || [ "$n" -ge 15 ]; then
            shot="${shot% -} $(lit_pixels "$vm_dir/$1.png")"
            return 0
        fi
        n=$((n + 1))
        sleep 1
    done
    return 1
}

# gpu_resize W H: the host asks for WxH through the API; sets $why on failure.
gpu_resize() {
    local out
    if ! out="$("${ctl[@]}" request "$vm_sock" "{\"cmd\":\"set-display-size\",\"width\":$1,\"height\":$2}" --timeout 15 2>&1)"; then
        why="set-display-size $1x$2 failed: $(cut -c1-200 <<<"$out")"
        return 1
    fi
    gpu_t0="$(now)"
}

t_gpu() {
    local name=gpu-resize k i out shot lines before bad lit0 t
    why=""
    if ! command -v convert >/dev/null; then
        fail "$name" "cannot run: no ImageMagick 'convert' to read the screenshots (apt-get install imagemagick)"
        return
    fi
    k="$gpu_dir/vmlinuz-generic"
    i="$gpu_dir/initramfs-gpu.cpio.gz"
    if [ ! -f "$k" ] || [ ! -f "$i" ]; then
        info "$name: no $k / $i: making them here (tests/lab/make-gpu-initrd.sh; on the host it is faster)"
        if ! out="$("$here/make-gpu-initrd.sh" "$gpu_dir" 2>&1)"; then
            fail "$name" "cannot run: make-gpu-initrd.sh failed: $(tail -n 2 <<<"$out" | tr '\n' ' ')"
            return
        fi
    fi
    # start_vm reads $initrd and $limit: this test's initramfs, and more time (the generic kernel
    # probes far more than the cloud one, and the test does more).
    local initrd="$i" limit=$((limit + 180))
    start_vm "$name" "console=tty0 console=ttyS0 reboot=k panic=-1 quiet vmdesk.init=shell" "$k" \
        "$(printf '[display]\nkind = "virtio-gpu"\nwidth = 1280\nheight = 800')"
    # 1. The driver binds, fbcon is on its fbdev, the connector prefers the configured size.
    # shellcheck disable=SC2016
    if wait_prompt "$name" &&
        gpu_out 'dmesg | grep -aE "drm|virtio_gpu|fbcon|Console: switching" | cut -c1-160 | sed "s/^/GPUA-DMESG /"; echo "GPUA-FB0 $(cat /sys/class/graphics/fb0/name 2>&1) $(cat /sys/class/graphics/fb0/virtual_size 2>&1)"; echo "GPUA-DRM $(ls /sys/class/drm | tr "\n" " ")"; for c in /sys/class/drm/card0-*; do echo "GPUA-CONN ${c##*/} $(cat $c/status) $(tr "\n" " " <$c/modes)"; done' 'GPUA-' gpua-done; then
        info "$name: $(at) driver checks:"
        while read -r lines; do info "$name: $lines"; done <<<"$out"
        bad=""
        grep -q '^GPUA-DMESG .*\[drm\] Initialized virtio_gpu' <<<"$out" || bad+=" no '[drm] Initialized virtio_gpu' in dmesg;"
        grep -q '^GPUA-DRM .*card0 ' <<<"$out" || bad+=" no /sys/class/drm/card0;"
        grep -q '^GPUA-FB0 virtio_gpudrmfb 1280,800$' <<<"$out" || bad+=" fb0 is not virtio_gpu's 1280x800 fbdev ($(grep -m1 '^GPUA-FB0' <<<"$out"));"
        grep -q '^GPUA-CONN card0-Virtual-1 connected 1280x800 ' <<<"$out" || bad+=" the connector card0-Virtual-1 does not list 1280x800 first ($(grep -m1 '^GPUA-CONN' <<<"$out"));"
        [ -z "$bad" ] || why="${bad# }"
    fi
    # 2. The console on the screen: cleared, then text on tty0 (fbcon draws into the fbdev's
    #    buffer, its damage worker sends TRANSFER_TO_HOST_2D + RESOURCE_FLUSH).
    if [ -z "$why" ] && typed 'printf "\033[2J\033[H" >/dev/tty0 && echo cleared' 'cleared' &&
        gpu_shot cleared && before="$shot" &&
        typed 'for i in 1 2 3 4 5 6 7 8; do printf "%060d\n" 0 | tr 0 "#" >/dev/tty0; done; echo fb-done' 'fb-done' &&
        gpu_wait_shot console 1280x800; then
        info "$name: $(at) screenshot of the cleared console: $before; after 480 '#' on tty0: $shot"
        lit0="${before#* }"
        if [ "${shot%% *}" != 1280x800 ]; then
            why="the screenshot is ${shot%% *}, wanted the configured 1280x800"
        elif [ "${lit0:-99999}" -gt 1000 ]; then
            why="the screen is not clear after ESC[2J on tty0 ($lit0 lit pixels): is fbcon drawing on virtio_gpu?"
        elif [ "${shot#* }" -lt $((lit0 + 3000)) ]; then
            why="text written to /dev/tty0 did not show in the screenshot (lit pixels $lit0 → ${shot#* })"
        fi
    fi
    # 3. The host asks for 1280x720: the driver gets the config-change event, re-reads display
    #    info and EDID and sends a hotplug event; the fbdev emulation re-probes (within its
    #    1280x800 buffer) and sets the new preferred mode itself: no user space involved.
    # shellcheck disable=SC2016
    if [ -z "$why" ] && gpu_resize 1280 720 &&
        gpu_out 'for n in $(seq 50); do m=$(head -n 1 /sys/class/drm/card0-Virtual-1/modes); [ "$m" = 1280x720 ] && break; sleep 0.2; done; '"$(gpu_modes_cmd GPUB-MODES)" 'GPUB-' gpub-done; then
        t="$(since "$gpu_t0")"
        info "$name: $(at) set-display-size 1280x720 → the modes in L2 after ${t}s: $out"
        if ! grep -q '^GPUB-MODES 1280x720 ' <<<"$out"; then
            why="after set-display-size 1280x720 the connector's modes do not start with 1280x720: $out"
        elif gpu_wait_shot resized 1280x720; then
            info "$name: $(at) screenshot $(since "$gpu_t0")s after the request: $shot"
            if [ "${shot%% *}" != 1280x720 ]; then
                why="after set-display-size 1280x720 the screenshot is ${shot%% *} (fbcon did not take the new mode)"
            elif [ "${shot#* }" -lt 3000 ]; then
                why="after the resize to 1280x720 the screen lost the console's text (${shot#* } lit pixels)"
            fi
        fi
    fi
    # 4. Larger than the fbdev's buffer (1920x1080): the kernel reports the new preferred mode
    #    to a full probe, but fbcon cannot follow (its buffer is allocated once, at boot, and
    #    drm_fb_helper_hotplug_event probes only up to that size: the scanout stays 1280x800,
    #    seen in an earlier run; no screenshot here, each costs seconds).
    # shellcheck disable=SC2016
    if [ -z "$why" ] && gpu_resize 1920 1080 &&
        gpu_out 'sleep 2; '"$(gpu_modes_cmd GPUC-RAW)"'; '"$(gpu_modes_cmd GPUC-PROBED detect)" 'GPUC-' gpuc-done; then
        info "$name: $(at) set-display-size 1920x1080: $(tr '\n' ';' <<<"$out")"
        if ! grep -q '^GPUC-PROBED 1920x1080 ' <<<"$out"; then
            why="after set-display-size 1920x1080 a full probe does not list 1920x1080 first: $out"
        fi
    fi
    [ -n "$why" ] || power_off_by_shell "$name" || :
    kill_vm
    if [ -n "${LAB_SAVE_DIR:-}" ]; then
        mkdir -p "$LAB_SAVE_DIR/$name" && cp "$vm_dir"/*.png "$LAB_SAVE_DIR/$name/" 2>/dev/null
    fi
    finish_test "$name"
    if [ -n "$why" ]; then fail "$name" "$why"; else pass "$name"; fi
}
