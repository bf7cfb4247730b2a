"""Areas that talk to a running VMM: the control API (JSON lines on control.sock) and VNC (RFB
on vnc.sock). After every batch a fresh connection must still be answered within a bound, the
process must still run, and at the end its fds and threads must be back near where they were.
"""

import base64
import json
import os
import socket
import struct
import time

from lib import Api, Vm, answers, connect_unix

ANSWER_BOUND = 5.0
# Commands that end or restart the VM on purpose: never sent by the generator.
ENDING = {"kill", "power-off", "reset"}
COMMANDS = ["status", "counters", "pause", "resume", "serial-input", "subscribe", "screenshot",
            "thumbnail", "snapshot-list", "snapshot-rename", "snapshot-delete", "snapshot-revert",
            "cdrom-eject", "cdrom-insert", "inspect", "step", "exit-log", "snapshot-create"]
ODD = [None, True, -1, 0, 1 << 64, 1.5e308, "", "x" * 70_000, [], {}, [[[[[]]]]], "\u0000",
       "../../../../etc/shadow", {"a": [1, {"b": None}]}, "\udc80", 255]


def safe(obj, tmp):
    """Whether a request may be sent: no ending command, and any path stays in our folder (as
    root the VMM may write root's files: a screenshot onto /etc/passwd would be ours to blame)."""
    if not isinstance(obj, dict):
        return True
    if isinstance(obj.get("cmd"), str) and obj["cmd"] in ENDING:
        return False
    p = obj.get("path")
    return not isinstance(p, str) or (os.path.abspath(p).startswith(tmp + "/") and ".." not in p)


def gen_request(rng, tmp, victims):
    cmd = rng.choice(COMMANDS)
    r = {"cmd": cmd}
    if rng.random() < 0.7:
        r["id"] = rng.choice([rng.randrange(1 << 31), "s", None, -5, 1.5])
    fields = {
        "serial-input": {"data": base64.b64encode(os.urandom(rng.randrange(0, 5000))).decode()},
        "subscribe": {"topics": rng.sample(["serial", "events", "bogus", 0], rng.randrange(0, 4))},
        "screenshot": {"path": rng.choice(victims + [os.path.join(tmp, f"s{rng.randrange(5)}.png")])},
        "thumbnail": {"path": rng.choice(victims + [os.path.join(tmp, "t.png")]),
                      "max_width": rng.choice([0, 1, 128, 1 << 31]),
                      "max_height": rng.choice([0, 1, 96, 1 << 31])},
        "snapshot-rename": {"snapshot": rng.choice(["1-000", "../x", "", "nope"]), "name": "n"},
        "snapshot-delete": {"snapshot": rng.choice(["../..", "/", "x" * 300, "2-000"])},
        "snapshot-revert": {"snapshot": rng.choice(["../..", "nope", ""])},
        "cdrom-eject": {"drive": rng.choice([0, 1, -1, 1 << 40])},
        "cdrom-insert": {"drive": 0, "path": rng.choice(victims)},
        "step": {"vcpu": rng.choice([0, 1, 99, -1])},
        "exit-log": {"after": rng.choice([0, 1 << 63, -1])},
        "snapshot-create": {"name": rng.choice(["s", "x" * 5000, "\n"])},
    }.get(cmd, {})
    r.update(fields)
    # Mutations: a field of the wrong type, an extra field, the variant number as cmd.
    roll = rng.random()
    if roll < 0.25 and len(r) > 1:
        k = rng.choice([k for k in r if k != "cmd"])
        r[k] = rng.choice(ODD)
    elif roll < 0.35:
        r["cmd"] = rng.randrange(-2, 40)
    elif roll < 0.45:
        r[rng.choice(["extra", "Cmd", ""])] = rng.choice(ODD)
    return r


def raw_line(rng, req):
    """The request's bytes, sometimes damaged."""
    b = json.dumps(req).encode()
    roll = rng.random()
    if roll < 0.15:
        b = bytearray(b)
        for _ in range(rng.randrange(1, 6)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        b = bytes(b)
    elif roll < 0.2:
        b = b"[" * 5000 + b"]" * 5000
    elif roll < 0.25:
        b = os.urandom(rng.randrange(1, 300)).replace(b"\n", b" ")
    return b + b"\n"


def area_api(area, vmm, guest, work, rng, size):
    tmp = os.path.join(work, "files")
    os.makedirs(tmp)
    victim = os.path.join(tmp, "victim.txt")
    with open(victim, "w") as f:
        f.write("must stay")
    os.symlink(victim, os.path.join(tmp, "link.png"))
    os.mkfifo(os.path.join(tmp, "fifo.png"))
    os.mkdir(os.path.join(tmp, "dir.png"))
    victims = [os.path.join(tmp, n) for n in ("link.png", "fifo.png", "dir.png", "nodir/x.png")]
    vm = Vm(vmm, guest, work, "api", mode="tick", extra="\n[display]\nwidth = 320\nheight = 200\n")
    if not vm.wait_socket():
        area.finding("crashes", f"the VM did not start: {vm.stderr()[-400:]}", [vm.config])
        return
    vm.wait_serial("TICK 1", 60)
    time.sleep(0.5)
    base = vm.fds_threads()
    n = 300 if size == "short" else 12_800
    conn = Api(vm.sock)
    for i in range(n):
        req = gen_request(rng, tmp, victims)
        if not safe(req, tmp):
            continue
        area.tried += 1
        try:
            conn.send_raw(raw_line(rng, req))
            conn.s.settimeout(ANSWER_BOUND if req.get("cmd") != "snapshot-create" else 60)
            reply = json.loads(conn.line())
            area.outcome("ok" if reply.get("ok") else (reply.get("error") or {}).get("code", "event"))
        except ValueError:
            area.outcome("not JSON")
        except (OSError, ConnectionError):
            conn.close()
            conn = reconnect(area, vm, f"request {i}: {req!r:.200}")
            if conn is None:
                return
        if i % 50 == 49:
            batch_check(area, vm, f"after request {i}")
    conn.close()
    # Partial lines, huge lines, bytes after close.
    for what, data in [("partial line", b'{"cmd":"sta'), ("4 MiB line", b"x" * (4 << 20)),
                       ("4 MiB line + newline", b"x" * (4 << 20) + b"\n"),
                       ("invalid UTF-8", b'{"cmd":"\xff\xfe"}\n'), ("NUL line", b"\x00" * 1000 + b"\n")]:
        area.tried += 1
        try:
            a = Api(vm.sock)
            a.send_raw(data)
            a.close()
        except OSError:
            pass
        batch_check(area, vm, what)
    # Many idle connections, then subscribe-and-close churn.
    idle = []
    for _ in range(80 if size == "short" else 200):
        area.tried += 1
        try:
            idle.append(Api(vm.sock, timeout=2))
        except (OSError, ValueError, ConnectionError):
            pass
    batch_check(area, vm, f"{len(idle)} idle connections open")
    for a in idle:
        a.close()
    for _ in range(100 if size == "short" else 1000):
        area.tried += 1
        try:
            a = Api(vm.sock, timeout=2)
            a.call({"cmd": "subscribe", "topics": ["serial", "events"]})
            a.close()
        except (OSError, ValueError, ConnectionError):
            pass
    batch_check(area, vm, "subscribe + close churn")
    if open(victim).read() != "must stay":
        area.finding("lost", "a screenshot/thumbnail went through a symlink and overwrote its target", [])
    leaks(area, vm, base)
    a = Api(vm.sock)
    a.call({"cmd": "resume"})
    a.close()
    why = vm.stop()
    if why:
        area.finding("crashes", why, [vm.log])


def reconnect(area, vm, what):
    if not vm.alive():
        area.finding("crashes", f"{what}: the VMM died ({vm.stop()})", [vm.log, vm.config])
        return None
    try:
        return Api(vm.sock)
    except (OSError, ValueError, ConnectionError):
        area.finding("hangs", f"{what}: no new connection answered", [vm.log])
        return None


def batch_check(area, vm, what):
    if not vm.alive():
        area.finding("crashes", f"{what}: the VMM ended ({vm.stop()})", [vm.log])
        raise StopArea()
    if answers(vm.sock, ANSWER_BOUND) is None:
        area.finding("hangs", f"{what}: status not answered within {ANSWER_BOUND} s", [vm.log])
        raise StopArea()


class StopArea(Exception):
    """The VMM under test is gone or stuck: the rest of the area cannot run."""


def leaks(area, vm, base):
    """fds/threads back near the start once connections closed (their threads take a moment)."""
    if base is None:
        return
    for _ in range(40):
        now = vm.fds_threads()
        if now and now[0] <= base[0] + 4 and now[1] <= base[1] + 2:
            area.notes.append(f"fds {base[0]}→{now[0]}, threads {base[1]}→{now[1]}")
            return
        time.sleep(0.25)
    area.finding("leaks", f"fds {base[0]}→{now[0]}, threads {base[1]}→{now[1]} after every connection closed",
                 [vm.log])


# --- VNC ---------------------------------------------------------------------------------------

def rfb_handshake(path, bound):
    """A normal RFB 3.8 client up to ServerInit; seconds taken or None."""
    t0 = time.monotonic()
    try:
        s = connect_unix(path, bound)
    except OSError:
        return None
    try:
        if recv_n(s, 12)[:4] != b"RFB ":
            return None
        s.sendall(b"RFB 003.008\n")
        n = recv_n(s, 1)[0]
        types = recv_n(s, n)
        if 1 not in types:
            return None
        s.sendall(b"\x01")
        if struct.unpack(">I", recv_n(s, 4))[0] != 0:
            return None
        s.sendall(b"\x01")
        init = recv_n(s, 24)
        recv_n(s, struct.unpack(">I", init[20:24])[0])
        return time.monotonic() - t0
    except (OSError, IndexError, struct.error):
        return None
    finally:
        s.close()


def recv_n(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise OSError("closed")
        b += c
    return b


def rfb_messages(rng):
    out = b""
    for _ in range(rng.randrange(1, 30)):
        t = rng.choice([0, 2, 3, 4, 5, 6, 7, 255, 150])
        if t == 0:
            out += b"\x00\x00\x00\x00" + bytes(rng.randrange(256) for _ in range(16))
        elif t == 2:
            n = rng.choice([0, 1, 5, 0xFFFF])
            out += struct.pack(">BxH", 2, n) + b"".join(
                struct.pack(">i", rng.choice([0, 1, 5, 16, -239, -223, -1, 1 << 30]))
                for _ in range(min(n, 50)))
        elif t == 3:
            out += struct.pack(">BBHHHH", 3, rng.randrange(3), *(rng.choice([0, 1, 319, 320, 0xFFFF])
                                                                for _ in range(4)))
        elif t == 4:
            out += struct.pack(">BBxxI", 4, rng.randrange(2), rng.getrandbits(32))
        elif t == 5:
            out += struct.pack(">BBHH", 5, rng.randrange(256), rng.randrange(65536), rng.randrange(65536))
        elif t == 6:
            n = rng.choice([0, 10, 1 << 20, 0xFFFFFFFF])
            out += struct.pack(">BxxxI", 6, n) + os.urandom(min(n, 4096))
        else:
            out += bytes([t]) + os.urandom(rng.randrange(0, 40))
    return out


def area_vnc(area, vmm, guest, work, rng, size):
    vm = Vm(vmm, guest, work, "vnc", mode="tick", extra="\n[display]\nwidth = 320\nheight = 200\n")
    if not vm.wait_socket() or not vm.wait_socket(path=vm.vnc, timeout=10):
        area.finding("crashes", f"the VM did not start: {vm.stderr()[-400:]}", [vm.config])
        return
    base = vm.fds_threads()
    n = 60 if size == "short" else 1060
    for i in range(n):
        area.tried += 1
        kind = rng.randrange(4)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(2)
        try:
            s.connect(vm.vnc)
            if kind == 0:
                s.sendall(os.urandom(rng.randrange(1, 2000)))
            else:
                recv_n(s, 12)
                ver = rng.choice([b"RFB 003.008\n", b"RFB 003.003\n", b"RFB 999.999\n", b"RFB 003.00"])
                s.sendall(ver)
                if kind >= 2:
                    n_types = recv_n(s, 1)[0]
                    recv_n(s, n_types)
                    s.sendall(bytes([rng.choice([1, 1, 2, 0, 255])]))
                    recv_n(s, 4)
                    s.sendall(b"\x01")
                    init = recv_n(s, 24)
                    recv_n(s, struct.unpack(">I", init[20:24])[0])
                    s.sendall(rfb_messages(rng))
                    if kind == 3:
                        s.settimeout(0.2)
                        s.recv(65536)
        except OSError:
            pass
        finally:
            s.close()
        if i % 20 == 19:
            vnc_check(area, vm, f"after stream {i}")
    # Slow handshakes: many connections holding their slots, one byte sent.
    slow = []
    for _ in range(40):
        area.tried += 1
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(2)
        try:
            s.connect(vm.vnc)
            s.sendall(b"R")
            slow.append(s)
        except OSError:
            s.close()
    vnc_check(area, vm, f"{len(slow)} slow handshakes pending")
    for s in slow:
        s.close()
    leaks(area, vm, base)
    why = vm.stop()
    if why:
        area.finding("crashes", why, [vm.log])
    log = os.path.getsize(vm.log)
    area.notes.append(f"vmm.log after the VNC streams: {log} bytes")
    if log > 256 << 10:
        area.finding("leaks", f"vmm.log grew to {log} bytes (log flood)", [])


def vnc_check(area, vm, what):
    if not vm.alive():
        area.finding("crashes", f"{what}: the VMM ended ({vm.stop()})", [vm.log])
        raise StopArea()
    if rfb_handshake(vm.vnc, ANSWER_BOUND) is None:
        area.finding("hangs", f"{what}: a normal client's handshake did not finish in {ANSWER_BOUND} s",
                     [vm.log])
        raise StopArea()
