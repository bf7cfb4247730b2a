"""What every area of the campaign shares: finding the VMM and the test guest, running the VMM
with a bound, talking to its control socket, and counting what went wrong.

Only local files, Unix sockets and loopback: nothing here opens a network connection.
"""

import ctypes
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_LIBC = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """In the child before exec: a VMM the campaign started dies with the campaign, even when
    the campaign itself is killed (each VMM has a session of its own, so no signal to the
    campaign's process group reaches it; VMs left running would load the machine for good)."""
    _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


# api::exit_code: how a VMM may end without anything being wrong.
EXIT_OK = {0, 1, 2, 3, 4, 5}


def find_vmm(arg):
    """The vmdesk-vmm to test: --vmm, $VMDESK_VMM, else the newest of target/{release,debug}."""
    for p in (arg, os.environ.get("VMDESK_VMM")):
        if p:
            return os.path.abspath(p)
    found = [os.path.join(ROOT, "target", k, "vmdesk-vmm") for k in ("release", "debug")]
    found = [p for p in found if os.path.exists(p)]
    if not found:
        raise SystemExit("campaign: no vmdesk-vmm; build it (cargo build -p vmm-core) or pass --vmm")
    return max(found, key=os.path.getmtime)


def find_guest(vmm):
    """The test guest bzImage vmm-core/build.rs made next to that VMM (or $VMDESK_TEST_GUEST)."""
    if os.environ.get("VMDESK_TEST_GUEST"):
        return os.environ["VMDESK_TEST_GUEST"]
    target = os.path.dirname(vmm)
    found = glob.glob(os.path.join(target, "build", "vmm-core-*", "out", "test-guest.bzImage"))
    if not found:
        raise SystemExit(f"campaign: no test guest under {target}/build; set VMDESK_TEST_GUEST")
    return max(found, key=os.path.getmtime)


class Area:
    """One area's figures: inputs tried, crashes, hangs, data lost, leaks (and their reproducers)."""

    def __init__(self, name, keep_dir):
        self.name = name
        self.tried = 0
        self.crashes = 0
        self.hangs = 0
        self.lost = 0
        self.wrong = 0
        self.leaks = 0
        self.skipped = None
        self.notes = []
        self.findings = []
        # How the VMM ended, by exit status: shows the inputs reached past the first check.
        self.outcomes = {}
        self.keep = os.path.join(keep_dir, name)

    def finding(self, kind, what, files=()):
        """Counts a defect and keeps its input files for the reproducer."""
        setattr(self, kind, getattr(self, kind) + 1)
        os.makedirs(self.keep, exist_ok=True)
        n = len(self.findings)
        kept = []
        for f in files:
            if os.path.lexists(f) and (os.path.isfile(f) or os.path.isdir(f)):
                dst = os.path.join(self.keep, f"{n:03}-{os.path.basename(f)}")
                if os.path.isdir(f):
                    shutil.copytree(f, dst, symlinks=True, dirs_exist_ok=True)
                else:
                    shutil.copyfile(f, dst)
                kept.append(dst)
        self.findings.append((kind, what, kept))
        print(f"  FOUND {kind} in {self.name}: {what}" + (f" (kept: {', '.join(kept)})" if kept else ""),
              flush=True)

    def outcome(self, rc):
        self.outcomes[rc] = self.outcomes.get(rc, 0) + 1

    def bad(self):
        return self.crashes + self.hangs + self.lost + self.wrong + self.leaks


def crashed(rc, err, killed_by_us=False):
    """Why a finished VMM counts as crashed, or None: a panic, a signal we did not send, an exit
    status the VMM never uses."""
    if "panicked at" in err:
        line = next(l for l in err.splitlines() if "panicked at" in l)
        return f"panic: {line.strip()} {err.split(line, 1)[1].strip()[:300]!r}"
    if rc < 0:
        if killed_by_us and -rc in (signal.SIGKILL, signal.SIGTERM):
            return None
        return f"killed by signal {-rc} ({signal.Signals(-rc).name})"
    if rc not in EXIT_OK:
        return f"exit status {rc} (not one of api::exit_code)"
    return None


def run_bounded(argv, timeout, cwd=None):
    """Runs to the end or kills after `timeout` s. Returns (rc, stderr, hung)."""
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, cwd=cwd, start_new_session=True,
                         preexec_fn=_die_with_parent)
    try:
        _, err = p.communicate(timeout=timeout)
        return p.returncode, err.decode(errors="replace"), False
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        _, err = p.communicate()
        return p.returncode, err.decode(errors="replace"), True


def base_toml(vm_id, guest, mode, memory_mib=32, extra=""):
    return (f'id = "{vm_id}"\nname = "Campaign {vm_id}"\nvcpus = 1\nmemory_mib = {memory_mib}\n\n'
            f'[boot]\nkind = "linux"\nkernel = "{guest}"\ncmdline = "console=ttyS0 vmdesk.test={mode}"\n'
            + extra)


class Vm:
    """A running vmdesk-vmm in its own folder (stderr = its vmm.log)."""

    def __init__(self, vmm, guest, workdir, vm_id, mode="tick", extra="", memory_mib=32,
                 restore=None, toml=None):
        self.dir = os.path.join(workdir, vm_id)
        os.makedirs(self.dir, exist_ok=True)
        self.config = os.path.join(self.dir, "vm.toml")
        if toml is not None or not os.path.exists(self.config) or restore is None:
            with open(self.config, "w") as f:
                f.write(toml if toml is not None else base_toml(vm_id, guest, mode, memory_mib, extra))
        self.run = os.path.join(self.dir, "run")
        self.log = os.path.join(self.dir, "vmm.log")
        argv = [vmm, "--config", self.config, "--runtime-dir", self.run]
        if restore:
            argv += ["--restore", restore]
        self.logf = open(self.log, "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self.logf, start_new_session=True,
                                     preexec_fn=_die_with_parent)
        self.killed = False

    @property
    def sock(self):
        return os.path.join(self.run, "control.sock")

    @property
    def vnc(self):
        return os.path.join(self.run, "vnc.sock")

    def serial(self):
        try:
            with open(os.path.join(self.dir, "serial.log"), "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def wait_socket(self, timeout=60.0, path=None):
        path = path or self.sock
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                return False
            if os.path.exists(path):
                try:
                    if path == self.sock:
                        Api(path, timeout=2).close()
                    else:
                        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                        s.connect(path)
                        s.close()
                    return True
                except (OSError, ValueError):
                    pass
            time.sleep(0.05)
        return False

    def wait_serial(self, needle, timeout=60.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if needle in self.serial():
                return True
            if self.proc.poll() is not None:
                return needle in self.serial()
            time.sleep(0.05)
        return False

    def alive(self):
        return self.proc.poll() is None

    def stderr(self):
        if not self.logf.closed:
            self.logf.flush()
        with open(self.log, "rb") as f:
            return f.read().decode(errors="replace")

    def kill9(self):
        self.killed = True
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()

    def stop(self):
        """Ends the VM; returns why it counts as crashed, or None."""
        if self.proc.poll() is None:
            self.kill9()
        if self.logf.closed:
            return None  # judged when it was first stopped
        self.logf.close()
        return crashed(self.proc.returncode, self.stderr(), self.killed)

    def fds_threads(self):
        pid = self.proc.pid
        try:
            return len(os.listdir(f"/proc/{pid}/fd")), len(os.listdir(f"/proc/{pid}/task"))
        except OSError:
            return None

    def rss_kib(self):
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return None


class Api:
    """A control-API connection: reads the Hello, then one JSON line per request."""

    def __init__(self, path, timeout=5.0):
        self.s = connect_unix(path, timeout)
        self.buf = b""
        self.hello = json.loads(self.line())

    def line(self):
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError("closed by the VMM")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def send_raw(self, data):
        self.s.sendall(data)

    def call(self, obj):
        """Sends a request, returns its reply (events before it are skipped)."""
        self.s.sendall(json.dumps(obj).encode() + b"\n")
        while True:
            r = json.loads(self.line())
            if "event" not in r:
                return r

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def answers(sock, bound):
    """Seconds a fresh connection took to answer `status`, or None (no answer within `bound`)."""
    t0 = time.monotonic()
    try:
        a = Api(sock, timeout=bound)
        r = a.call({"cmd": "status"})
        a.close()
        if r.get("ok"):
            return time.monotonic() - t0
    except (OSError, ValueError, ConnectionError):
        pass
    return None


def connect_unix(path, timeout):
    """A Unix stream connection; a listener whose backlog is full (a burst of connections not
    yet accepted) makes a non-blocking connect fail with EAGAIN, so that is retried until the
    bound: only not being served in time counts."""
    end = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(path)
            return s
        except BlockingIOError:
            s.close()
            if time.monotonic() > end:
                raise
            time.sleep(0.01)
        except OSError:
            s.close()
            raise


def make_fifo(path):
    if not os.path.exists(path):
        os.mkfifo(path)
    return path


def have(cmd):
    return shutil.which(cmd) is not None


def qemu_img(*args):
    subprocess.run(["qemu-img", *args], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def tmpdir(prefix):
    return tempfile.mkdtemp(prefix=f"vmdesk-campaign-{prefix}-")
