# Sourced by the scripts that run the real app on a virtual X server.
#
# start_xvfb GEOMETRY [LOGFILE]: starts Xvfb on a display it picks itself and returns once that
# display accepts clients; sets XVFB_PID and XVFB_DISPLAY (":N"). Returns 1 (with the log on
# stderr) if Xvfb did not come up within 60 s.
#
# Why -displayfd: Xvfb writes the display number to that fd only when it is ready, so there is no
# race between "the socket file exists" and "the server accepts connections", and no collision
# with another server's number.
#
# Why -noreset: by default an X server resets when its last client disconnects, and a client
# connecting during the reset fails. The tests poll with xwininfo/xprop while the app starts,
# so a poll that came and went before the app connected made the app fail with
# XOpenDisplayFailed (seen twice in CI's packaging run and once here).
start_xvfb() {
  local geometry=$1 log=${2:-/dev/null} dir n=""
  dir=$(mktemp -d)
  mkfifo "$dir/ready"
  Xvfb -displayfd 3 -noreset -screen 0 "$geometry" -nolisten tcp 3>"$dir/ready" >"$log" 2>&1 &
  XVFB_PID=$!
  # The fifo's open returns once Xvfb's side has it open; read then waits for the number (or
  # EOF, if Xvfb died).
  read -r -t 60 n <"$dir/ready" || true
  rm -rf "$dir"
  if [ -z "$n" ]; then
    echo "Xvfb did not come up within 60 s" >&2
    [ "$log" != /dev/null ] && cat "$log" >&2
    kill "$XVFB_PID" 2>/dev/null
    return 1
  fi
  XVFB_DISPLAY=":$n"
  # And a real client must get through before the caller's do (belt and braces: with
  # -noreset this probe's disconnect cannot reset the server under them).
  if command -v xwininfo >/dev/null; then
    local i
    for i in $(seq 300); do
      xwininfo -display "$XVFB_DISPLAY" -root >/dev/null 2>&1 && return 0
      sleep 0.1
    done
    echo "Xvfb on $XVFB_DISPLAY accepted no client within 30 s" >&2
    [ "$log" != /dev/null ] && cat "$log" >&2
    kill "$XVFB_PID" 2>/dev/null
    return 1
  fi
}
