"""Areas about a VM's own files: mutated snapshots restored, a full filesystem under a running
VM, kill -9 in the middle of a snapshot save, and many VMs at once.

"Data lost" is counted here: a snapshot whose creation was acknowledged that is gone, incomplete
or no longer restores.
"""

import contextlib
import json
import os
import shutil
import subprocess
import threading
import time

import areas_api
from lib import Api, Vm, answers, base_toml, crashed, qemu_img
import lib

RESTORE_BOUND = 60.0


def snapshot(vm, name, bound=120):
    a = Api(vm.sock, timeout=bound)
    r = a.call({"cmd": "snapshot-create", "name": name})
    a.close()
    return r


def restores(vmm, guest, work, vm_id, snap_id, bound=RESTORE_BOUND):
    """Restores `snap_id` in a new process; returns (ok, why, vm): ok when it runs on (ticks)
    and answers. The VM is left running for the caller."""
    vm = Vm(vmm, guest, work, vm_id, restore=snap_id)
    before = vm.serial()
    end = time.monotonic() + bound
    while time.monotonic() < end:
        if not vm.alive():
            return False, f"ended: rc {vm.proc.returncode}: {vm.stderr()[-300:]}", vm
        if vm.serial().count("TICK") > before.count("TICK") and answers(vm.sock, 5):
            return True, None, vm
        time.sleep(0.1)
    return False, "no tick and no answer within the bound", vm


def area_snapshots(area, vmm, guest, work, rng, size):
    """state.bin / meta.json / memory.bin / disks.json mutated, then restored in a new process."""
    vm = Vm(vmm, guest, work, "snap", mode="tick")
    if not vm.wait_socket() or not vm.wait_serial("TICK 2", 120):
        area.finding("crashes", f"the VM did not start: {vm.stderr()[-400:]}", [vm.config])
        return
    r = snapshot(vm, "pristine")
    if not r.get("ok"):
        area.finding("lost", f"snapshot-create failed: {r}", [vm.log])
        return
    sid = r["result"]["id"]
    why = vm.stop()
    if why:
        area.finding("crashes", why, [vm.log])
    sdir = os.path.join(vm.dir, "snapshots", sid)
    pristine = os.path.join(work, "pristine")
    shutil.copytree(sdir, pristine)
    files = sorted(f for f in os.listdir(pristine) if os.path.isfile(os.path.join(pristine, f)))
    n = 12 if size == "short" else 250
    ran = []
    for i in range(n):
        shutil.rmtree(sdir)
        shutil.copytree(pristine, sdir)
        name = rng.choice(files)
        path = os.path.join(sdir, name)
        before = open(path, "rb").read()
        data = bytearray(before)
        what = mutate_file(rng, name, data)
        # A mutation that changed nothing (zeroes over zeroes) is no input: draw again.
        while bytes(data) == before:
            what = mutate_file(rng, name, data)
        with open(path, "wb") as f:
            f.write(data)
        area.tried += 1
        v = Vm(vmm, guest, work, "snap", restore=sid)
        t0 = time.monotonic()
        hung = True
        while time.monotonic() - t0 < RESTORE_BOUND:
            if not v.alive():
                hung = False
                break
            # A mutation it cannot see (a name in meta.json) restores: then it must answer.
            if v.serial() and answers(v.sock, 5):
                hung = False
                break
            time.sleep(0.1)
        rc_why = v.stop()
        area.outcome("hang" if hung else ("ran" if v.killed else v.proc.returncode))
        if v.killed and not hung:
            ran.append(f"{name} {what}")
        if hung:
            area.finding("hangs", f"restore of {name} {what}: neither ended nor answered", [sdir, v.log])
        elif rc_why:
            area.finding("crashes", f"restore of {name} {what}: {rc_why}", [sdir, v.log])
    if ran:
        area.notes.append("restored and ran despite the change: " + "; ".join(sorted(ran)))
    # The pristine copy still restores: nothing above damaged what it did not mutate.
    shutil.rmtree(sdir)
    shutil.copytree(pristine, sdir)
    ok, why, v = restores(vmm, guest, work, "snap", sid)
    v.stop()
    if not ok:
        area.finding("lost", f"the untouched snapshot no longer restores: {why}", [sdir, v.log])


def mutate_file(rng, name, data):
    roll = rng.randrange(5)
    if name == "meta.json" and roll < 2:
        try:
            meta = json.loads(data)
            k = rng.choice(list(meta)) if meta else "x"
            meta[k] = rng.choice([None, -1, 1 << 70, "x" * 10000, [], {"a": 1}, "../.."])
            data[:] = json.dumps(meta).encode()
            return f"field {k} replaced"
        except ValueError:
            pass
    if roll == 0 and data:
        cut = rng.randrange(len(data))
        del data[cut:]
        return f"truncated to {cut}"
    if roll == 1:
        data += os.urandom(rng.randrange(1, 5000))
        return "extended"
    if roll == 2 and data:
        i = rng.randrange(len(data))
        data[i:i + 64] = bytes(min(64, len(data) - i))
        return f"zeroed at {i}"
    flips = rng.randrange(1, 8)
    for _ in range(flips):
        if data:
            data[rng.randrange(min(len(data), 4096 if rng.random() < 0.7 else len(data)))] ^= 1 << rng.randrange(8)
    return f"{flips} bit flips"


def area_kill9(area, vmm, guest, work, rng, size):
    """kill -9 at random moments of a snapshot save: every acknowledged snapshot must stay whole."""
    vm = Vm(vmm, guest, work, "k9", mode="tick")
    if not vm.wait_socket() or not vm.wait_serial("TICK 2", 120):
        area.finding("crashes", f"the VM did not start: {vm.stderr()[-400:]}", [vm.config])
        return
    r = snapshot(vm, "acked")
    if not r.get("ok"):
        area.finding("lost", f"snapshot-create failed: {r}", [vm.log])
        return
    acked = [r["result"]["id"]]
    for i in range(3 if size == "short" else 25):
        area.tried += 1
        reply = {}

        def save():
            try:
                reply.update(snapshot(vm, f"doomed {i}"))
            except (OSError, ValueError, ConnectionError):
                pass

        t = threading.Thread(target=save)
        t.start()
        time.sleep(rng.uniform(0, 0.4))
        vm.kill9()
        t.join()
        vm.stop()
        if reply.get("ok"):
            acked.append(reply["result"]["id"])
        for sid in acked:
            meta = os.path.join(vm.dir, "snapshots", sid, "meta.json")
            if not os.path.exists(meta):
                area.finding("lost", f"kill -9 {i}: acknowledged snapshot {sid} lost its meta.json",
                             [os.path.dirname(meta)])
        sid = rng.choice(acked)
        ok, why, vm = restores(vmm, guest, work, "k9", sid)
        if not ok:
            area.finding("lost", f"kill -9 {i}: acknowledged snapshot {sid} does not restore: {why}",
                         [os.path.join(vm.dir, "snapshots", sid), vm.log])
            vm.stop()
            return
    why = vm.stop()
    if why:
        area.finding("crashes", why, [vm.log])


def area_fullfs(area, vmm, guest, work, rng, size):
    """A VM whose folder is on a small tmpfs: a guest writing past the free space, a snapshot
    that does not fit. The VMM must go on, log the disk error once, and keep earlier snapshots."""
    unwritable_log(area, vmm, guest, work)
    mnt = os.path.join(work, "full")
    os.makedirs(mnt)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m,mode=0700", "tmpfs", mnt],
                       capture_output=True, text=True)
    if r.returncode != 0:
        area.skipped = f"cannot mount a tmpfs ({r.stderr.strip() or 'not root?'})"
        return
    try:
        fullfs(area, vmm, guest, mnt, work)
    finally:
        subprocess.run(["umount", "-l", mnt], capture_output=True)


def unwritable_log(area, vmm, guest, work):
    """stdout and stderr (vmm.log) on /dev/full: every line the VMM logs fails to be written.
    VNC clients coming and going (each logs lines) and API calls must not end the VM."""
    d = os.path.join(work, "devfull")
    os.makedirs(d)
    cfg = os.path.join(d, "vm.toml")
    with open(cfg, "w") as f:
        f.write(base_toml("devfull", guest, "tick", extra="\n[display]\nwidth = 320\nheight = 200\n"))
    with open("/dev/full", "wb") as full:
        p = subprocess.Popen([vmm, "--config", cfg, "--runtime-dir", os.path.join(d, "run")],
                             stdin=subprocess.DEVNULL, stdout=full, stderr=full,
                             preexec_fn=lib._die_with_parent)
    sock, vnc = os.path.join(d, "run", "control.sock"), os.path.join(d, "run", "vnc.sock")
    end = time.monotonic() + 60
    while not os.path.exists(vnc) and p.poll() is None and time.monotonic() < end:
        time.sleep(0.05)
    for i in range(5):
        area.tried += 1
        served = areas_api.rfb_handshake(vnc, 5)
        with contextlib.suppress(OSError):
            s = areas_api.connect_unix(vnc, 2)
            s.sendall(b"RFB 999.999\n\xff")
            s.close()
        if served is None or answers(sock, 5) is None:
            break
    time.sleep(0.3)
    if p.poll() is not None:
        area.finding("crashes", f"vmm.log unwritable (/dev/full): the VMM ended with {p.returncode} "
                     "when VNC clients came", [cfg])
    elif served is None or answers(sock, 5) is None:
        area.finding("hangs", "vmm.log unwritable (/dev/full): VNC or the API no longer served", [cfg])
    p.kill()
    p.wait()


def fill(mnt, leave):
    """Fills `mnt` until `leave` bytes are free."""
    st = os.statvfs(mnt)
    free = st.f_bavail * st.f_frsize
    with open(os.path.join(mnt, "filler"), "ab") as f:
        f.write(b"\xff" * max(0, free - leave))


def fullfs(area, vmm, guest, mnt, work):
    # 1. A guest writing more than fits: IOERR for the guest, one line in vmm.log.
    img = os.path.join(mnt, "disk.qcow2")
    cfg = os.path.join(mnt, "vm.toml")
    with open(cfg, "w") as f:
        f.write(f'id = "full"\nname = "Full"\nvcpus = 1\nmemory_mib = 32\n\n[boot]\nkind = "linux"\n'
                f'kernel = "{guest}"\ncmdline = "console=ttyS0 vmdesk.test=blkbench vmdesk.blk_count=200 '
                f'vmdesk.blk_kib=64"\n\n[serial]\nlog = false\n\n[[disks]]\npath = "{img}"\nformat = "qcow2"\n')
    # vmm.log on another filesystem (to read the line), then on the full one (as the app puts
    # it: in the VM's folder, where nothing more can be written).
    for log in (os.path.join(work, "full-vmm.log"), os.path.join(mnt, "vmm.log")):
        area.tried += 1
        if os.path.exists(img):
            os.remove(img)
        if os.path.exists(os.path.join(mnt, "filler")):
            os.remove(os.path.join(mnt, "filler"))
        qemu_img("create", "-q", "-f", "qcow2", img, "64M")
        fill(mnt, 256 << 10)
        with open(log, "wb") as errf:
            p = subprocess.Popen([vmm, "--config", cfg, "--runtime-dir", os.path.join(work, "run-full")],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errf,
                                 preexec_fn=lib._die_with_parent)
            try:
                rc, hung = p.wait(timeout=120), False
            except subprocess.TimeoutExpired:
                p.kill()
                rc, hung = p.wait(), True
        err = open(log, errors="replace").read()
        on_full = os.path.dirname(log) == mnt
        where = "vmm.log on the full filesystem" if on_full else "vmm.log elsewhere"
        why = crashed(rc, err)
        if hung:
            area.finding("hangs", f"a guest writing a full filesystem ({where}): the VMM did not end", [cfg])
        elif why:
            area.finding("crashes", f"a guest writing a full filesystem ({where}): {why}", [cfg, log])
        if on_full:
            continue
        lines = [l for l in err.splitlines() if img in l and "No space left" in l]
        if len(lines) != 1:
            area.finding("wrong", f"ENOSPC on the disk: {len(lines)} vmm.log lines naming it "
                         f"(want 1); log: {err[-500:]!r}", [cfg])
        else:
            area.notes.append(f"ENOSPC logged: {lines[0]}")
    os.remove(os.path.join(mnt, "filler"))
    os.remove(img)
    # 2. A snapshot that does not fit: refused, the VM runs on, the earlier one stays whole.
    area.tried += 1
    vm = Vm(vmm, guest, mnt, "fullsnap", mode="tick")
    if not vm.wait_socket() or not vm.wait_serial("TICK 2", 120):
        area.finding("crashes", f"the VM did not start: {vm.stderr()[-400:]}", [vm.config])
        return
    r = snapshot(vm, "fits")
    if not r.get("ok"):
        area.finding("wrong", f"a snapshot with room was refused: {r}", [])
        vm.stop()
        return
    first = r["result"]["id"]
    fill(mnt, 64 << 10)
    r = snapshot(vm, "does not fit")
    area.notes.append(f"snapshot on a full filesystem: {json.dumps(r)[:200]}")
    if r.get("ok"):
        area.finding("wrong", "a snapshot on a full filesystem was acknowledged", [])
    if answers(vm.sock, 5) is None:
        area.finding("hangs", "after a snapshot on a full filesystem: status not answered", [vm.log])
    why = vm.stop()
    if why:
        area.finding("crashes", f"a VM on a full filesystem: {why}", [vm.log])
    os.remove(os.path.join(mnt, "filler"))
    ok, why, v = restores(vmm, guest, mnt, "fullsnap", first)
    v.stop()
    if not ok:
        area.finding("lost", f"the snapshot taken before the filesystem filled does not restore: {why}",
                     [v.log])


def area_many(area, vmm, guest, work, rng, size):
    """N VMs at once: every one answers status within the bound; RSS each."""
    n = 6 if size == "short" else 100
    vms = []
    try:
        for i in range(n):
            vms.append(Vm(vmm, guest, work, f"m{i}", mode="tick", memory_mib=16))
        worst, rss = 0.0, []
        for v in vms:
            area.tried += 1
            if not v.wait_socket(120):
                area.finding("crashes", f"{os.path.basename(v.dir)} did not start: {v.stderr()[-300:]}",
                             [v.config])
                continue
        time.sleep(1)
        for v in vms:
            if not v.alive():
                continue
            t = answers(v.sock, 5)
            if t is None:
                area.finding("hangs", f"{os.path.basename(v.dir)}: status not answered within 5 s", [v.log])
            else:
                worst = max(worst, t)
            k = v.rss_kib()
            if k:
                rss.append(k)
        if rss:
            area.notes.append(f"{n} VMs: slowest status {worst * 1000:.0f} ms, RSS mean "
                              f"{sum(rss) / len(rss) / 1024:.1f} MiB (max {max(rss) / 1024:.1f})")
    finally:
        for v in vms:
            why = v.stop()
            if why:
                area.finding("crashes", f"{os.path.basename(v.dir)}: {why}", [v.log])
