# Sourced by the scripts that run the real app on a virtual X server.
#
# start_xvfb GEOMETRY [LOGFILE]: starts Xvfb on a display it picks itself and returns once that
# display accepts clients; sets XVFB_PID and XVFB_DISPLAY (":N"). Returns 1 (with the log on
# stderr) if Xvfb did not come up within 60 s.
#
# Why -displayfd: Xvfb writes the display number to that fd only when it is ready, so there is no
# race between "the socket file exists" and "the server accepts connections" (CI once saw the app
# fail with XOpenDisplayFailed in that gap), and no collision with another server's number.
start_xvfb() {
  local geometry=$1 log=${2:-/dev/null} dir n=""
  dir=$(mktemp -d)
  mkfifo "$dir/ready"
  Xvfb -displayfd 3 -screen 0 "$geometry" -nolisten tcp 3>"$dir/ready" >"$log" 2>&1 &
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
}
