#!/usr/bin/env python3
"""What the inspector costs the VM (issue 16): the VMM's CPU time outside its vCPU threads, and
the vCPU's exits per CPU-second, for a guest doing about 30-40k exits/s (the test guest's
`inspect` mode), first with nobody watching, then while a client polls `inspect` and
`exit-log` at 10 Hz as the app's panel does (it polls at 5 Hz).

    app/scripts/inspector-cost.py [--seconds S] [--profile release|debug]

Uses target/<profile>/vmdesk and vmdesk-vmm in a throw-away VMDESK_HOME. Prints one line per
phase and the difference in percent of one core.
"""
import argparse, json, os, shutil, socket, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TICK = os.sysconf("SC_CLK_TCK")


def threads(pid):
    """(name, utime+stime ticks) of every thread of `pid`."""
    out = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            stat = open(f"/proc/{pid}/task/{tid}/stat").read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        f = stat[stat.rindex(")") + 2 :].split()
        out.append((name, int(f[11]) + int(f[12])))
    return out


def split_cpu(pid):
    t = threads(pid)
    vcpu = sum(c for n, c in t if n.startswith("vcpu"))
    other = sum(c for n, c in t if not n.startswith("vcpu"))
    return vcpu / TICK, other / TICK


class Api:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(path)
        self.f = self.s.makefile("rwb")
        self.f.readline()  # hello

    def call(self, req):
        self.f.write((json.dumps(req) + "\n").encode())
        self.f.flush()
        return json.loads(self.f.readline())


def exits(api):
    r = api.call({"cmd": "counters"})["result"]
    return sum(n for _, n in r["exits"])


def phase(api, pid, seconds, poll):
    v0, o0 = split_cpu(pid)
    e0 = exits(api)
    after = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if poll:
            api.call({"cmd": "inspect"})
            log = api.call({"cmd": "exit-log", "after": after})["result"]
            after = max(after, log["next"] - 1)
        time.sleep(0.1)
    v1, o1 = split_cpu(pid)
    e1 = exits(api)
    return (o1 - o0) / seconds * 100, (e1 - e0) / max(v1 - v0, 1e-9)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--profile", default="release")
    a = ap.parse_args()
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    v = os.path.join(target, a.profile, "vmdesk")
    vmm = os.path.join(target, a.profile, "vmdesk-vmm")
    for b in (v, vmm):
        if not os.access(b, os.X_OK):
            sys.exit(f"{b} missing: cargo build --{a.profile} first")
    guest = subprocess.check_output(
        ["cargo", "run", "-q", "-p", "vmm-core", "--example", "test_guest_path"], cwd=ROOT, text=True
    ).strip()
    home = tempfile.mkdtemp()
    env = dict(os.environ, VMDESK_HOME=home, VMDESK_VMM=vmm, XDG_RUNTIME_DIR=os.path.join(home, "xdg"))
    os.makedirs(env["XDG_RUNTIME_DIR"], mode=0o700)
    run = lambda *args: subprocess.check_output([v, *args], env=env, text=True)
    run("create", "Cost", "--kernel", guest, "--cmdline", "console=ttyS0 vmdesk.test=inspect",
        "--memory", "128", "--vcpus", "1")
    run("start", "cost")
    try:
        st = json.loads(run("status", "cost", "--json"))
        pid = st.get("pid") or st["status"]["pid"]
        api = Api(os.path.join(home, "run", "cost", "control.sock"))
        api.call({"cmd": "serial-input", "data": "Z28K"})  # "go\n": the guest starts its loop
        time.sleep(2)
        idle_cpu, idle_rate = phase(api, pid, a.seconds, False)
        poll_cpu, poll_rate = phase(api, pid, a.seconds, True)
        print(f"profile {a.profile}, {a.seconds:.0f} s per phase")
        print(f"nobody watching: VMM outside vCPUs {idle_cpu:.2f} % of a core, {idle_rate:,.0f} exits per vCPU-CPU-second")
        print(f"polling 10 Hz:   VMM outside vCPUs {poll_cpu:.2f} % of a core, {poll_rate:,.0f} exits per vCPU-CPU-second")
        print(f"inspector cost:  +{poll_cpu - idle_cpu:.2f} % of a core; exit rate {100 * (poll_rate / idle_rate - 1):+.1f} %")
    finally:
        subprocess.call([v, "kill", "cost"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
