# Sourced by the scripts that drive the real app (app-e2e.sh, app-bench.sh).
#
# app_session VM_ID: a throw-away VMDESK_HOME and XDG_RUNTIME_DIR under a new $work, an Xvfb
# (1280x800) as DISPLAY ($xvfb is its PID), and an EXIT trap that kills the app ($app, once
# the caller sets it), the VM VM_ID and Xvfb, and removes $work. Needs $BIN and fail().
. "$(dirname "${BASH_SOURCE[0]}")/xvfb.sh"
app_session() {
  session_vm=$1
  work=$(mktemp -d)
  export VMDESK_HOME="$work/home"
  export XDG_RUNTIME_DIR="$work/xdg"
  mkdir -m 700 "$XDG_RUNTIME_DIR"
  # A KVM without hardware virtualization (CI's kvm_pvm) makes the first-run check warn; the
  # tests are past it, as a user who read it once is.
  mkdir -p "$VMDESK_HOME/config"
  printf 'accepted_warnings = ["software-kvm"]\n' >"$VMDESK_HOME/config/settings.toml"
  start_xvfb 1280x800x24 "$work/xvfb.log" || fail "Xvfb did not start"
  xvfb=$XVFB_PID
  export DISPLAY=$XVFB_DISPLAY
  app=""
  trap app_session_end EXIT
}
app_session_end() {
  [ -n "$app" ] && kill "$app" 2>/dev/null
  "$BIN/vmdesk" kill "$session_vm" >/dev/null 2>&1 || true
  kill "$xvfb" 2>/dev/null
  rm -rf "$work"
}
