#!/usr/bin/env bash
# Desktop integration and packaging: checks the desktop entry, its translations, the AppStream
# metainfo, the icons and the Flatpak manifest, then builds the .deb, installs it, runs the
# installed /usr/bin/vmdesk and removes the package again.
#
#   tests/packaging.sh               everything (installing needs root, as in CI)
#   tests/packaging.sh --no-install  stops after building and inspecting the .deb
#
# Needs (Debian packages): desktop-file-utils appstream shared-mime-info dpkg-dev
# (dpkg-shlibdeps for cargo-deb's $auto) xvfb x11-utils (the window checks) python3-yaml (the
# manifest's syntax; skipped without it), librsvg2-bin (only to re-render icons), and cargo-deb:
#   cargo install cargo-deb --version 3.8.0 --locked
# Prints one PASS/FAIL/SKIP line per check and ends with "N passed, N failed, N skipped";
# exits 1 when anything failed. Nothing here is faked: a missing tool, a binary that does not
# build or a command the app does not implement yet is a FAIL.
# shellcheck disable=SC2015 # `A && pass || fail`: pass always succeeds
set -uo pipefail
# cargo's target folder (CARGO_TARGET_DIR if set; relative paths are from the workspace).
TARGET="${CARGO_TARGET_DIR:-target}"
cd "$(dirname "$0")/.." || exit 1
ID="io.github.vmdesk.Vmdesk"
DESKTOP="packaging/$ID.desktop"
METAINFO="packaging/$ID.metainfo.xml"
FLATPAK="packaging/flatpak/$ID.yml"
SIZES=(16 24 32 48 64 128 256 512)
install=1
[ "${1:-}" = "--no-install" ] && install=0

passed=0
failed=0
skipped=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
skip() { echo "SKIP: $*"; skipped=$((skipped + 1)); }
# Indents a command's output under the line that reports it.
indent() { sed 's/^/    /'; }

tmp="$(mktemp -d)"
installed_here=0
xvfb_pid=""
cleanup() {
  [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null
  if [ "$installed_here" = 1 ]; then
    if dpkg -s vmdesk >/dev/null 2>&1; then
      echo "packaging: removing the vmdesk package installed by this test"
      apt-get remove -y vmdesk >/dev/null 2>&1 || dpkg -r vmdesk >/dev/null 2>&1
    fi
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

have() { command -v "$1" >/dev/null 2>&1; }

echo "== tools"
for t in desktop-file-validate appstreamcli dpkg-deb dpkg-shlibdeps; do
  if have "$t"; then pass "$t is installed"; else
    fail "$t is missing (apt-get install -y desktop-file-utils appstream dpkg-dev)"
  fi
done
if cargo deb --version >/dev/null 2>&1; then
  pass "cargo-deb is installed ($(cargo deb --version 2>/dev/null | head -1))"
else
  fail "cargo-deb is missing (cargo install cargo-deb --version 3.8.0 --locked)"
fi

echo "== one app id everywhere ($ID)"
ids_ok=1
check_id() { # what, actual
  if [ "$2" = "$ID" ]; then :; else
    fail "$1 is '$2', not $ID"
    ids_ok=0
  fi
}
[ -f "$DESKTOP" ] || fail "$DESKTOP is missing"
[ -f "$METAINFO" ] || fail "$METAINFO is missing"
[ -f "$FLATPAK" ] || fail "$FLATPAK is missing"
check_id "Icon= in the desktop file" "$(sed -n 's/^Icon=//p' "$DESKTOP")"
check_id "StartupWMClass= in the desktop file" "$(sed -n 's/^StartupWMClass=//p' "$DESKTOP")"
check_id "<id> in the metainfo" "$(sed -n 's:.*<id>\(.*\)</id>.*:\1:p' "$METAINFO")"
check_id "<launchable> in the metainfo" \
  "$(sed -n 's:.*<launchable type="desktop-id">\(.*\)\.desktop</launchable>.*:\1:p' "$METAINFO")"
check_id "id: in the Flatpak manifest" "$(sed -n 's/^id: *//p' "$FLATPAK")"
for n in "${SIZES[@]}"; do
  [ -f "assets/icons/hicolor/${n}x${n}/apps/$ID.png" ] || { fail "no ${n}x${n} icon named $ID.png"; ids_ok=0; }
done
[ "$ids_ok" = 1 ] && pass "desktop file name, Icon, StartupWMClass, metainfo id, launchable, Flatpak id and icon names all use $ID"

echo "== desktop entry strings (packaging/desktop-strings)"
# Every language the app ships (i18n/<lang>/) has desktop strings, and the reverse.
app_langs="$(find i18n -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort | tr '\n' ' ')"
desk_langs="$(find packaging/desktop-strings -name '*.ftl' -printf '%f\n' | sed 's/\.ftl$//' | sort | tr '\n' ' ')"
if [ "$app_langs" = "$desk_langs" ]; then
  pass "desktop strings exist for exactly the app's languages: $app_langs"
else
  fail "the app has languages [$app_langs] but desktop strings exist for [$desk_langs]"
fi
if out="$(packaging/gen-desktop.sh --check 2>&1)"; then
  pass "every language has every desktop key and $DESKTOP is generated from them"
else
  fail "desktop strings incomplete or desktop file stale:"
  echo "$out" | indent
fi
# Every translated key the template asks for is in the generated file, for every language.
missing=""
for key in Name GenericName Comment Keywords; do
  for lang in $desk_langs; do
    [ "$lang" = en ] && continue
    grep -q "^$key\[$lang\]=." "$DESKTOP" || missing="$missing ${key}[${lang}]"
  done
done
if [ -z "$missing" ]; then pass "the desktop file has Name, GenericName, Comment and Keywords in every language"; else
  fail "the desktop file lacks:$missing"
fi
# The generator itself refuses a language with a missing key (proves the check above can fail).
mkdir -p "$tmp/gen/desktop-strings"
cp packaging/gen-desktop.sh "packaging/$ID.desktop.in" "$DESKTOP" "$tmp/gen/"
cp packaging/desktop-strings/*.ftl "$tmp/gen/desktop-strings/"
sed -i '/^desktop-comment/d' "$tmp/gen/desktop-strings/de.ftl"
if out="$("$tmp/gen/gen-desktop.sh" --check 2>&1)"; then
  fail "gen-desktop.sh accepted de.ftl without desktop-comment"
elif echo "$out" | grep -q "de.ftl lacks: desktop-comment"; then
  pass "gen-desktop.sh refuses a language that lacks a key ($(echo "$out" | head -1))"
else
  fail "gen-desktop.sh failed for another reason:"
  echo "$out" | indent
fi

echo "== desktop entry"
if have desktop-file-validate; then
  if out="$(desktop-file-validate "$DESKTOP" 2>&1)" && [ -z "$out" ]; then
    pass "desktop-file-validate $DESKTOP (no errors, no warnings)"
  else
    fail "desktop-file-validate $DESKTOP:"
    echo "$out" | indent
  fi
else
  skip "desktop-file-validate (not installed; counted as a failure above)"
fi
for key in "Exec=vmdesk %f" "Terminal=false" "StartupNotify=true" "Categories=System;Emulator;"; do
  grep -qxF "$key" "$DESKTOP" && pass "desktop file: $key" || fail "desktop file lacks '$key'"
done
mimedb=/usr/share/mime/packages/freedesktop.org.xml
if [ -f "$mimedb" ]; then
  for m in $(sed -n 's/^MimeType=//p' "$DESKTOP" | tr ';' ' '); do
    if grep -q "<mime-type type=\"$m\"" "$mimedb"; then
      pass "MIME type $m exists in shared-mime-info"
    elif grep -q "<alias type=\"$m\"" "$mimedb"; then
      pass "MIME type $m exists in shared-mime-info (an alias)"
    else
      fail "MIME type $m is not in $mimedb"
    fi
  done
else
  fail "$mimedb is missing (apt-get install -y shared-mime-info)"
fi

echo "== AppStream metainfo"
if have appstreamcli; then
  if out="$(appstreamcli validate --no-net --explain "$METAINFO" 2>&1)"; then
    pass "appstreamcli validate --no-net $METAINFO ($(echo "$out" | tail -1 | sed 's/^[^A-Za-z]*//'))"
    echo "$out" | grep -E '^[EWI]:' | indent
  else
    fail "appstreamcli validate --no-net $METAINFO:"
    echo "$out" | indent
  fi
fi
for s in $(sed -n 's:.*<image>https\://raw.githubusercontent.com/vmdesk/vmdesk/main/\(.*\)</image>.*:\1:p' "$METAINFO"); do
  [ -f "$s" ] && pass "screenshot $s exists in the tree" || fail "the metainfo shows $s, which is not in the tree"
done

echo "== icons"
png_size() { # prints WIDTHxHEIGHT from the PNG header
  local w h
  w=$(od -An -tu1 -j16 -N4 "$1" | awk '{print $1*16777216+$2*65536+$3*256+$4}')
  h=$(od -An -tu1 -j20 -N4 "$1" | awk '{print $1*16777216+$2*65536+$3*256+$4}')
  echo "${w}x${h}"
}
svg="assets/icons/hicolor/scalable/apps/$ID.svg"
if [ -f "$svg" ] && grep -q '<svg' "$svg"; then pass "scalable icon $svg"; else fail "no scalable icon $svg"; fi
for n in "${SIZES[@]}"; do
  f="assets/icons/hicolor/${n}x${n}/apps/$ID.png"
  if [ -f "$f" ] && [ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] \
    && [ "$(png_size "$f")" = "${n}x${n}" ]; then
    pass "icon ${n}x${n} is a ${n}x${n} PNG"
  else
    fail "icon $f is missing or not a ${n}x${n} PNG"
  fi
done

echo "== Flatpak manifest (not built here: see packaging/flatpak/README.md)"
for line in "runtime: org.freedesktop.Platform" "runtime-version: '24.08'" "sdk: org.freedesktop.Sdk" \
  "  - org.freedesktop.Sdk.Extension.rust-stable" "  - --device=kvm" "command: vmdesk"; do
  grep -qxF -- "$line" "$FLATPAK" && pass "manifest: $line" || fail "manifest lacks '$line'"
done
if have python3 && python3 -c 'import yaml' 2>/dev/null; then
  if python3 -c 'import sys, yaml; yaml.safe_load(open(sys.argv[1]))' "$FLATPAK" 2>"$tmp/yaml.err"; then
    pass "the Flatpak manifest is valid YAML"
  else
    fail "the Flatpak manifest is not valid YAML:"
    indent <"$tmp/yaml.err"
  fi
else
  skip "YAML syntax of the Flatpak manifest (python3 with PyYAML not available)"
fi

echo "== postinst"
if sh -n packaging/deb/postinst; then pass "packaging/deb/postinst parses (sh -n)"; else fail "packaging/deb/postinst has syntax errors"; fi
if grep -q "^set -e" packaging/deb/postinst; then
  fail "postinst uses set -e: it must never fail the install"
else
  pass "postinst does not use set -e"
fi

echo "== release build"
built=0
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"
if cargo build --release -p vmm-core -p vmdesk >"$tmp/build.log" 2>&1; then
  pass "cargo build --release -p vmm-core -p vmdesk"
  built=1
else
  fail "cargo build --release -p vmm-core -p vmdesk failed (last lines):"
  grep -E '^(error|warning: unused)' "$tmp/build.log" | head -20 | indent
  tail -5 "$tmp/build.log" | indent
fi
for b in vmdesk vmdesk-vmm; do
  if [ "$built" = 1 ] && [ -x "$TARGET/release/$b" ]; then pass "$TARGET/release/$b exists"; else
    fail "$TARGET/release/$b was not built"
  fi
done

echo "== .deb"
deb=""
if [ "$built" = 1 ] && cargo deb --version >/dev/null 2>&1; then
  rm -f "$TARGET"/debian/vmdesk_*.deb
  if cargo deb -p vmdesk --no-build >"$tmp/deb.log" 2>&1; then
    deb="$(find "$TARGET/debian" -maxdepth 1 -name 'vmdesk_*.deb' | head -1)"
    pass "cargo deb -p vmdesk --no-build: $deb"
    grep -i warn "$tmp/deb.log" | indent
  else
    fail "cargo deb failed:"
    indent <"$tmp/deb.log"
  fi
else
  skip "cargo deb (no release build or no cargo-deb: counted as failures above)"
fi
if [ -n "$deb" ]; then
  dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's:^\./:/:' >"$tmp/contents"
  for f in /usr/bin/vmdesk /usr/bin/vmdesk-vmm "/usr/share/applications/$ID.desktop" \
    "/usr/share/metainfo/$ID.metainfo.xml" "/usr/share/icons/hicolor/scalable/apps/$ID.svg" \
    $(for n in "${SIZES[@]}"; do echo "/usr/share/icons/hicolor/${n}x${n}/apps/$ID.png"; done); do
    grep -qxF "$f" "$tmp/contents" && pass "the .deb has $f" || fail "the .deb lacks $f"
  done
  depends="$(dpkg-deb -f "$deb" Depends)"
  echo "    Depends: $depends"
  echo "    Recommends: $(dpkg-deb -f "$deb" Recommends)"
  if echo "$depends" | tr ',' '\n' | grep -qx ' *passt'; then pass "the .deb depends on passt"; else fail "the .deb does not depend on passt"; fi
  # vmdesk-vmm dlopen()s libslirp, so $auto cannot find it: it must be named.
  if echo "$depends" | tr ',' '\n' | grep -qx ' *libslirp0'; then pass "the .deb depends on libslirp0"; else fail "the .deb does not depend on libslirp0"; fi
  if echo "$depends" | grep -q 'libc6'; then pass "the .deb's Depends has the shared libraries (\$auto: libc6 …)"; else
    fail "\$auto gave no library dependencies (is dpkg-shlibdeps installed?)"
  fi
  if dpkg-deb --ctrl-tarfile "$deb" | tar -t | grep -qx './postinst'; then pass "the .deb has the postinst"; else fail "the .deb has no postinst"; fi
fi

echo "== install, run, remove"
if [ "$install" = 0 ]; then
  skip "install/run/remove (--no-install)"
elif [ -z "$deb" ]; then
  fail "install/run/remove: there is no .deb to install"
elif [ "$(id -u)" != 0 ]; then
  fail "install/run/remove needs root (run as root as CI does, or pass --no-install)"
else
  if dpkg -s vmdesk >/dev/null 2>&1; then
    echo "    note: vmdesk was installed before this test; it is replaced and then removed"
  fi
  # apt-get takes a local .deb only as a path with a slash in front ("./x.deb" or "/abs/x.deb").
  case "$deb" in /*) ;; *) deb="./$deb" ;; esac
  if DEBIAN_FRONTEND=noninteractive apt-get install -y "$deb" >"$tmp/install.log" 2>&1; then
    installed_here=1
    pass "apt-get install -y $deb"
    sed -n '/^vmdesk:/p' "$tmp/install.log" | indent # the postinst's note, if any
  else
    fail "apt-get install -y $deb:"
    tail -15 "$tmp/install.log" | indent
  fi
  if [ "$installed_here" = 1 ]; then
    for f in /usr/bin/vmdesk /usr/bin/vmdesk-vmm; do
      [ -x "$f" ] && pass "$f is installed" || fail "$f is not installed"
    done
    if desktop-file-validate "/usr/share/applications/$ID.desktop" >/dev/null 2>&1; then
      pass "the installed desktop file validates"
    else
      fail "the installed /usr/share/applications/$ID.desktop does not validate"
    fi
    if appstreamcli validate --no-net "/usr/share/metainfo/$ID.metainfo.xml" >/dev/null 2>&1; then
      pass "the installed metainfo validates"
    else
      fail "the installed /usr/share/metainfo/$ID.metainfo.xml does not validate"
    fi
    # A fresh user: temporary HOME and XDG folders, the installed binaries only.
    h="$tmp/home"
    mkdir -p "$h/config" "$h/data/vmdesk/vms/pkgtest" "$h/run"
    chmod 700 "$h/run"
    cat >"$h/data/vmdesk/vms/pkgtest/vm.toml" <<'EOF'
id = "pkgtest"
name = "Packaging test"
vcpus = 1
memory_mib = 256

[boot]
kind = "linux"
kernel = "vmlinuz"
cmdline = "console=ttyS0"
EOF
    user_env=(HOME="$h" XDG_CONFIG_HOME="$h/config" XDG_DATA_HOME="$h/data"
      XDG_RUNTIME_DIR="$h/run" PATH=/usr/bin:/bin LANG=C.UTF-8)
    run_user() { env -i "${user_env[@]}" "$@"; }
    # CI's KVM has no hardware virtualization: the first-run check's warning about it is taken
    # as read (as a user does once), so the window opens on the library or the wizard.
    mkdir -p "$h/config/vmdesk"
    printf 'accepted_warnings = ["software-kvm"]\n' >"$h/config/vmdesk/settings.toml"
    if out="$(run_user /usr/bin/vmdesk --version 2>&1)"; then
      if [ "$out" = "vmdesk $version" ]; then pass "/usr/bin/vmdesk --version: $out"; else
        fail "/usr/bin/vmdesk --version printed '$out', expected 'vmdesk $version'"
      fi
    else
      fail "/usr/bin/vmdesk --version failed (not implemented yet?): $out"
    fi
    if out="$(run_user /usr/bin/vmdesk-vmm --version 2>&1)" && [ "$out" = "vmdesk-vmm $version" ]; then
      pass "/usr/bin/vmdesk-vmm --version: $out"
    else
      fail "/usr/bin/vmdesk-vmm --version: $out"
    fi
    if out="$(run_user /usr/bin/vmdesk list --json 2>"$tmp/list.err")"; then
      json_ok=0
      if have python3; then
        echo "$out" | python3 -c '
import json, sys
v = json.load(sys.stdin)
assert isinstance(v, list), "not a list"
ids = [e.get("id") for e in v]
assert ids == ["pkgtest"], "ids %r" % ids
assert v[0].get("state") == "stopped", "state %r" % v[0].get("state")
' 2>"$tmp/json.err" && json_ok=1
      else
        echo "$out" | grep -q '^\[.*"id": *"pkgtest".*\]$' && json_ok=1
      fi
      if [ "$json_ok" = 1 ]; then
        pass "/usr/bin/vmdesk list --json finds the VM in the temporary XDG data folder: $out"
      else
        fail "/usr/bin/vmdesk list --json printed unexpected JSON: $out"
        indent <"$tmp/json.err" 2>/dev/null
      fi
    else
      fail "/usr/bin/vmdesk list --json failed (not implemented yet?): $out $(cat "$tmp/list.err")"
    fi
    # The installed app's window, on a virtual X server: its WM_CLASS must be the app id (what
    # StartupWMClass= and the desktop's window matching expect), and opening a file the way a
    # file manager does (Exec=vmdesk %f) must open the window too.
    . tests/lib/xvfb.sh
    if ! have Xvfb || ! have xprop || ! have xwininfo; then
      fail "window checks need Xvfb, xprop and xwininfo (apt-get install -y xvfb x11-utils)"
    elif ! start_xvfb 1400x900x24 "$tmp/xvfb.log" 2>/dev/null; then
      fail "Xvfb did not accept clients within 60 s:"
      indent <"$tmp/xvfb.log"
    else
      xvfb_pid=$XVFB_PID
      disp=$XVFB_DISPLAY
      # (env -i execs the app: $! is the app's own PID, which its window's _NET_WM_PID names.)
      # Prints the id of the top-level window of process $1, waiting up to 30 s; empty if none
      # came or the process ended.
      window_of() {
        local w
        for _ in $(seq 60); do
          kill -0 "$1" 2>/dev/null || return 0
          for w in $(xwininfo -display "$disp" -root -children 2>/dev/null | awk '/^ +0x/ {print $1}'); do
            if xprop -display "$disp" -id "$w" _NET_WM_PID 2>/dev/null | grep -q "= $1\$"; then
              echo "$w"
              return 0
            fi
          done
          sleep 0.5
        done
      }
      stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
      env -i "${user_env[@]}" DISPLAY="$disp" /usr/bin/vmdesk >"$tmp/app.log" 2>&1 &
      app=$!
      win="$(window_of "$app")"
      # CI twice saw this first launch fail to reach a server that xwininfo had just reached
      # (not reproduced here in dozens of tries). Say so loudly, with what the server and a
      # client saw, and launch once more: the check is about the installed app's window.
      if [ -z "$win" ] && ! kill -0 "$app" 2>/dev/null && grep -q "cannot open a window" "$tmp/app.log"; then
        echo "NOTE: the first launch could not connect to $disp: $(head -c 300 "$tmp/app.log")"
        echo "NOTE: xwininfo now: $(xwininfo -display "$disp" -root 2>&1 | grep -m1 -E 'Window id|unable' || echo '?')"
        echo "NOTE: Xvfb log: $(tr '\n' ' ' <"$tmp/xvfb.log" | head -c 500)"
        env -i "${user_env[@]}" DISPLAY="$disp" /usr/bin/vmdesk >"$tmp/app.log" 2>&1 &
        app=$!
        win="$(window_of "$app")"
      fi
      if [ -z "$win" ]; then
        if kill -0 "$app" 2>/dev/null; then
          fail "/usr/bin/vmdesk runs but showed no window with its PID on Xvfb within 30 s:"
        else
          wait "$app"
          fail "/usr/bin/vmdesk exited (status $?) without a window on Xvfb:"
        fi
        indent <"$tmp/app.log"
      else
        class="$(xprop -display "$disp" -id "$win" WM_CLASS | sed 's/^WM_CLASS(STRING) = //')"
        if [ "$class" = "\"$ID\", \"$ID\"" ]; then
          pass "/usr/bin/vmdesk opens a window whose WM_CLASS is $class"
        else
          fail "the window's WM_CLASS is $class, not \"$ID\", \"$ID\" (set the window's application_id)"
        fi
      fi
      stop "$app"
      # Opening a file as the file manager does (Exec=vmdesk %f): the wizard opens with the ISO
      # chosen and recognised (a Debian 11 netinst label osinfo-db knows); Create then writes a
      # VM with the ISO in its CD drive and the OS recorded — the proof the wizard was prefilled.
      if ! have xorriso || ! have xdotool; then
        fail "the open-with check needs xorriso and xdotool (tests/setup.sh installs them)"
      else
        mkdir -p "$h/iso-root" && echo test >"$h/iso-root/README"
        xorriso -as mkisofs -quiet -V "Debian 11.7.0 amd64 n" -o "$h/installer.iso" "$h/iso-root" 2>"$tmp/xorriso.log" \
          || fail "xorriso: $(tail -2 "$tmp/xorriso.log")"
      fi
      env -i "${user_env[@]}" DISPLAY="$disp" /usr/bin/vmdesk "$h/installer.iso" >"$tmp/app.log" 2>&1 &
      app=$!
      win="$(window_of "$app")"
      if [ -n "$win" ]; then
        title="$(xprop -display "$disp" -id "$win" _NET_WM_NAME WM_NAME | head -1 | sed 's/^[^=]*= //')"
        pass "/usr/bin/vmdesk FILE (Exec=vmdesk %f) opens a window: $title"
        sleep 4
        width="$(xwininfo -display "$disp" -id "$win" | awk '/Width:/ {print $2}')"
        # The wizard's Create button: the header's right end.
        DISPLAY="$disp" xdotool mousemove --window "$win" $((width - 58)) 27 click 1
        made=""
        for _ in $(seq 20); do
          made="$(find "$h/data/vmdesk/vms" -name vm.toml -newer "$h/installer.iso" 2>/dev/null | head -1)"
          [ -n "$made" ] && break
          sleep 0.5
        done
        if [ -z "$made" ]; then
          fail "/usr/bin/vmdesk FILE did not open the wizard with the file ready to create (no VM after clicking Create)"
          head -5 "$tmp/app.log" | indent
        elif grep -qF "path = \"$h/installer.iso\"" "$made" && grep -q '^name = "Debian 11"' "$made"; then
          pass "/usr/bin/vmdesk FILE opens the wizard prefilled: Create made $(basename "$(dirname "$made")") with the ISO in its CD drive and the OS Debian 11"
        else
          fail "the VM made from the opened ISO lacks the ISO or the recognised OS:"
          indent <"$made"
        fi
      else
        wait "$app"
        rc=$?
        fail "/usr/bin/vmdesk FILE (Exec=vmdesk %f, opening an ISO or disk image from a file manager) opened no window; exit status $rc:"
        head -3 "$tmp/app.log" | indent
      fi
      stop "$app"
      stop "$xvfb_pid"
      # The same display, now gone: the app must say so and exit 1, not crash (abort, 134).
      out="$(env -i "${user_env[@]}" DISPLAY="$disp" /usr/bin/vmdesk 2>&1)"
      rc=$?
      if [ "$rc" = 1 ] && echo "$out" | grep -q "cannot open a window.*DISPLAY=$disp"; then
        pass "/usr/bin/vmdesk with no X server at $disp exits 1 and says: $out"
      else
        fail "/usr/bin/vmdesk with no X server at $disp: exit status $rc, said:"
        echo "$out" | head -5 | indent
      fi
    fi
    if apt-get remove -y vmdesk >"$tmp/remove.log" 2>&1; then
      installed_here=0
      if [ ! -e /usr/bin/vmdesk ] && [ ! -e /usr/bin/vmdesk-vmm ] && [ ! -e "/usr/share/applications/$ID.desktop" ]; then
        pass "apt-get remove -y vmdesk removed the binaries and the desktop file"
      else
        fail "apt-get remove -y vmdesk left files behind"
      fi
    else
      fail "apt-get remove -y vmdesk:"
      tail -5 "$tmp/remove.log" | indent
    fi
  fi
fi

echo
echo "packaging: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
