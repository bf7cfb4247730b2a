#!/usr/bin/env python3
"""Small helpers for vmdesk's real-Linux lab scripts (tests/lab/lab-tests.sh, bench-l2.sh).

Standard library only (the lab runs it with the host's /usr/bin/python3 through L1's chroot).

  labctl.py request SOCK JSON
      Send one control-API request (vmm-core/src/api.rs: newline JSON on control.sock), print the
      reply line. Exit 0 if the reply says ok, 1 otherwise, 3 if the socket cannot be reached.

  labctl.py type SOCK TEXT [--expect REGEX] [--timeout S] [--no-newline]
      Subscribe to the serial stream, type TEXT (+ "\\n") through `serial-input` and, with
      --expect, wait until a serial output line (\\r removed) matches REGEX (re.fullmatch).
      Prints the serial output seen; exit 0 on a match, 1 on timeout, 3 no socket.

  labctl.py wait-file FILE REGEX [--timeout S] [--pid PID]
      Wait until FILE (e.g. serial.log) has a line matching REGEX (re.search, \\r removed).
      With --pid, give up early when that process ends. Exit 0 found, 1 timeout, 2 process gone.

  labctl.py time-boot --marker TEXT [--timeout S] [--log FILE] -- CMD ARG...
      Run CMD (stdin /dev/null, stderr to FILE.stderr or inherited), timestamp every stdout line
      relative to the launch (written to FILE as "SECONDS<TAB>line"), and print one line:
      "TIME-BOOT marker=S exit=S status=N" (marker=- if never seen; status 124 on timeout).
      With --stall S, output that stops for S seconds while CMD runs is recorded in FILE.stall:
      each thread's state, wait channel, CPU ticks and kernel stack, twice 2 s apart, and, with
      --api SOCK, the VMM's `inspect` reply (vCPU registers and exit counts) each time.
  labctl.py exit-breakdown TRACE [--top N]
      Summarize a text ftrace of KVM's tracepoints (kvm_exit, kvm_pio, kvm_msr, kvm_mmio,
      kvm_userspace_exit) taken over one boot: the guest's exits by reason, the port I/O by port
      and direction, MSR accesses, MMIO by page and the exits that reached the VMM's process.
      Prints "EXITS ..." lines.
"""

import argparse
import base64
import json
import os
import re
import select
import socket
import subprocess
import sys
import time


def connect(path, timeout):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


class Lines:
    """Newline-delimited JSON reader over a socket."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def next(self, deadline):
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)


def open_api(path, timeout):
    try:
        s = connect(path, timeout)
    except OSError as e:
        print(f"labctl: cannot connect to {path}: {e}", file=sys.stderr)
        sys.exit(3)
    lines = Lines(s)
    hello = lines.next(time.monotonic() + timeout)
    if not hello or hello.get("protocol") != "vmdesk-control":
        print(f"labctl: no vmdesk-control hello on {path}: {hello!r}", file=sys.stderr)
        sys.exit(3)
    return s, lines


def send(sock, obj):
    sock.sendall(json.dumps(obj).encode() + b"\n")


def reply_to(lines, want_id, deadline, on_event=None):
    while True:
        msg = lines.next(deadline)
        if msg is None:
            return None
        if "event" in msg:
            if on_event:
                on_event(msg)
            continue
        if msg.get("id") == want_id:
            return msg


def cmd_request(a):
    s, lines = open_api(a.sock, a.timeout)
    req = json.loads(a.json)
    req.setdefault("id", 1)
    send(s, req)
    rep = reply_to(lines, req["id"], time.monotonic() + a.timeout)
    if rep is None:
        print(f"labctl: no reply within {a.timeout}s", file=sys.stderr)
        return 1
    print(json.dumps(rep))
    return 0 if rep.get("ok") else 1


def cmd_type(a):
    s, lines = open_api(a.sock, a.timeout)
    out = bytearray()
    send(s, {"id": 1, "cmd": "subscribe", "topics": ["serial"]})
    deadline = time.monotonic() + a.timeout

    def on_event(ev):
        if ev.get("event") == "serial":
            out.extend(base64.b64decode(ev.get("data", "")))

    rep = reply_to(lines, 1, deadline, on_event)
    if not rep or not rep.get("ok"):
        print(f"labctl: subscribe failed: {rep!r}", file=sys.stderr)
        return 1
    text = a.text + ("" if a.no_newline else "\n")
    send(s, {"id": 2, "cmd": "serial-input", "data": base64.b64encode(text.encode()).decode()})
    rep = reply_to(lines, 2, deadline, on_event)
    if not rep or not rep.get("ok"):
        print(f"labctl: serial-input failed: {rep!r}", file=sys.stderr)
        return 1
    pat = re.compile(a.expect) if a.expect else None

    def matched():
        text = out.decode("utf-8", "replace").replace("\r", "")
        return any(pat.fullmatch(l) for l in text.split("\n"))

    found = pat is None
    while not found:
        msg = lines.next(deadline)
        if msg is None:
            break
        on_event(msg)
        found = matched()
    sys.stdout.write(out.decode("utf-8", "replace").replace("\r", ""))
    sys.stdout.write("\n")
    if not found:
        print(f"labctl: no serial line matching {a.expect!r} within {a.timeout}s", file=sys.stderr)
        return 1
    return 0


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by the shell) counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def cmd_wait_file(a):
    pat = re.compile(a.regex)
    deadline = time.monotonic() + a.timeout
    while True:
        try:
            with open(a.file, "rb") as f:
                text = f.read().decode("utf-8", "replace").replace("\r", "")
            if any(pat.search(l) for l in text.split("\n")):
                return 0
        except FileNotFoundError:
            pass
        if a.pid and not alive(a.pid):
            return 2
        if time.monotonic() > deadline:
            return 1
        time.sleep(0.1)


def dump_stall(pid, api, out, quiet_for):
    """Everything that tells a stuck VMM from a slow one, appended to `out`."""
    out.write(f"=== no output for {quiet_for:.1f}s (pid {pid}), {time.strftime('%H:%M:%S')}\n")
    out.write(f"loadavg {open('/proc/loadavg').read().strip()}\n")
    for attempt in range(2):
        if attempt:
            time.sleep(2)
        try:
            tasks = sorted(os.listdir(f"/proc/{pid}/task"), key=int)
        except OSError as e:
            out.write(f"process gone: {e}\n")
            return
        for tid in tasks:
            d = f"/proc/{pid}/task/{tid}"
            try:
                comm = open(f"{d}/comm").read().strip()
                # comm may hold spaces: the fields after its closing parenthesis.
                stat = open(f"{d}/stat").read().rsplit(")", 1)[1].split()
                wchan = open(f"{d}/wchan").read().strip()
            except OSError:
                continue
            out.write(f"task {tid} {comm} state={stat[0]} wchan={wchan} utime={stat[11]} stime={stat[12]}\n")
            if attempt == 0:
                try:
                    for fr in open(f"{d}/stack").read().splitlines()[:10]:
                        out.write(f"    {fr}\n")
                except OSError as e:
                    out.write(f"    (no kernel stack: {e.strerror})\n")
        if api:
            try:
                s = connect(api, 5)
                lines = Lines(s)
                lines.next(time.monotonic() + 5)  # the hello
                send(s, {"cmd": "inspect", "id": 1})
                rep = reply_to(lines, 1, time.monotonic() + 5)
                s.close()
                out.write(f"inspect {json.dumps(rep)[:6000]}\n")
            except (OSError, ValueError) as e:
                out.write(f"inspect failed: {e}\n")
    out.flush()


def cmd_time_boot(a):
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        print("labctl: time-boot needs a command", file=sys.stderr)
        return 2
    log = open(a.log, "w") if a.log else None
    err = open(a.log + ".stderr", "wb") if a.log else None
    marker = a.marker.encode()
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err)
    fd = p.stdout.fileno()
    t_marker = None
    pending = b""
    deadline = t0 + a.timeout
    timed_out = False
    last_output = t0
    stall_dumped = False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            p.kill()
            break
        r, _, _ = select.select([fd], [], [], min(left, 1.0))
        if not r:
            quiet_for = time.monotonic() - last_output
            if a.stall and not stall_dumped and quiet_for >= a.stall and a.log:
                stall_dumped = True
                with open(a.log + ".stall", "w") as out:
                    dump_stall(p.pid, a.api, out, quiet_for)
            continue
        chunk = os.read(fd, 65536)
        last_output = time.monotonic()
        now = last_output - t0
        if not chunk:
            break
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            line = line.replace(b"\r", b"")
            if t_marker is None and line == marker:
                t_marker = now
            if log:
                log.write(f"{now:.3f}\t{line.decode('utf-8', 'replace')}\n")
    if pending and log:
        log.write(f"{time.monotonic() - t0:.3f}\t{pending.decode('utf-8', 'replace')}\n")
    status = p.wait()
    t_exit = time.monotonic() - t0
    if timed_out:
        status = 124
    if log:
        log.close()
        err.close()
    m = f"{t_marker:.3f}" if t_marker is not None else "-"
    print(f"TIME-BOOT marker={m} exit={t_exit:.3f} status={status}")
    return 0


def cmd_exit_breakdown(a):
    # Trace lines: "<comm>-<pid> [cpu] flags ts: event: text" (tracefs "trace" format).
    ev = re.compile(r":\s(kvm_\w+):\s(.*)$")
    exits, pio, msr, mmio, user = {}, {}, {}, {}, {}

    def bump(d, k):
        d[k] = d.get(k, 0) + 1

    with open(a.trace, errors="replace") as f:
        for line in f:
            m = ev.search(line)
            if not m:
                continue
            name, text = m.groups()
            w = text.split()
            if name == "kvm_exit" and "reason" in w:
                bump(exits, w[w.index("reason") + 1])
            elif name == "kvm_pio" and len(w) >= 3:
                # "pio_write at 0x3f8 size 1 count 1 val 0x41"
                bump(pio, (w[2], w[0].replace("pio_", "")))
            elif name == "kvm_msr" and len(w) >= 2:
                # "msr_write 6e0 = 0x..."
                bump(msr, ("0x" + w[1], w[0].replace("msr_", "")))
            elif name == "kvm_mmio" and "gpa" in w:
                # "mmio write len 4 gpa 0xfee000b0 val 0x0": grouped by 4 KiB page
                gpa = int(w[w.index("gpa") + 1], 16)
                bump(mmio, (f"{gpa & ~0xfff:#x}", w[0] if w[0] != "mmio" else w[1]))
            elif name == "kvm_userspace_exit" and len(w) >= 2:
                bump(user, w[1])

    def show(title, d, fmt):
        total = sum(d.values())
        items = sorted(d.items(), key=lambda kv: -kv[1])
        shown = " ".join(f"{fmt(k)}={v}" for k, v in items[: a.top])
        more = f" (+{len(items) - a.top} more)" if len(items) > a.top else ""
        print(f"EXITS {a.label}{title} total={total} {shown}{more}")

    show("by-reason", exits, str)
    show("pio", pio, lambda k: f"{k[0]}/{k[1]}")
    show("msr", msr, lambda k: f"{k[0]}/{k[1]}")
    show("mmio", mmio, lambda k: f"{k[0]}/{k[1]}")
    show("to-userspace", user, str)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="what", required=True)
    p = sub.add_parser("request")
    p.add_argument("sock")
    p.add_argument("json")
    p.add_argument("--timeout", type=float, default=10)
    p.set_defaults(fn=cmd_request)
    p = sub.add_parser("type")
    p.add_argument("sock")
    p.add_argument("text")
    p.add_argument("--expect")
    p.add_argument("--timeout", type=float, default=30)
    p.add_argument("--no-newline", action="store_true")
    p.set_defaults(fn=cmd_type)
    p = sub.add_parser("wait-file")
    p.add_argument("file")
    p.add_argument("regex")
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--pid", type=int)
    p.set_defaults(fn=cmd_wait_file)
    p = sub.add_parser("time-boot")
    p.add_argument("--marker", required=True)
    p.add_argument("--timeout", type=float, default=300)
    p.add_argument("--log")
    p.add_argument("--stall", type=float, help="seconds of silence before FILE.stall is written")
    p.add_argument("--api", help="the VMM's control socket, for `inspect` in FILE.stall")
    p.add_argument("cmd", nargs=argparse.REMAINDER)
    p.set_defaults(fn=cmd_time_boot)
    p = sub.add_parser("exit-breakdown")
    p.add_argument("trace")
    p.add_argument("--top", type=int, default=12)
    p.add_argument("--label", default="", help="prefix for the EXITS lines (e.g. 'vmm=qemu ')")
    p.set_defaults(fn=cmd_exit_breakdown)
    a = ap.parse_args()
    sys.exit(a.fn(a))


if __name__ == "__main__":
    main()
