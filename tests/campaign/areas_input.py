"""Areas fed by files: configs (vm.toml) and disk images (qcow2 headers, tables, backing chains).

Each input is handed to `vmdesk-vmm --check` (which reads and checks everything a start would)
under a time bound; a sample also starts for real on the test guest. A refusal is the expected
answer to a bad input; a panic, a signal, a hang, or a forbidden file accepted is a finding.
"""

import os
import struct

from lib import base_toml, crashed, make_fifo, qemu_img, run_bounded

CHECK_BOUND = 10.0
RUN_BOUND = 60.0

HOSTILE_VALUES = [
    "1", "-1", "0", "9223372036854775807", "18446744073709551616", "1e308", "nan", "inf",
    "true", "[]", "{}", "[1, 'a']", "''", "'\\u0000'", "'\\u001b[2J'", "'" + "x" * 100_000 + "'",
    "'../../../../etc/shadow'", "'/dev/zero'", "'/dev/urandom'", "'/proc/self/mem'", "'/'",
    "'/etc/shadow'", "'\\n'", "1979-05-27T07:32:00Z", "{ a = 1 }", "'$(reboot)'",
]

# Keys and where they live; each gets every hostile value in turn.
KEYS = [
    ("", "id"), ("", "name"), ("", "vcpus"), ("", "memory_mib"), ("", "virtio_rng"),
    ("boot", "kind"), ("boot", "kernel"), ("boot", "initrd"), ("boot", "cmdline"),
    ("serial", "log"), ("serial", "log_file"),
    ("disks", "path"), ("disks", "format"), ("disks", "read_only"), ("disks", "allow_backing"),
    ("display", "width"), ("display", "height"), ("display", "vnc_port"),
    ("display", "vnc_password"), ("cdroms", "path"),
]


def config_text(guest, disk, values):
    """A full config with `values[(section, key)]` replacing (or adding) keys."""
    sections = {
        "": {"id": "'camp'", "name": "'Campaign'", "vcpus": "1", "memory_mib": "32"},
        "boot": {"kind": "'linux'", "kernel": f"'{guest}'", "cmdline": "'console=ttyS0 vmdesk.test=poweroff'"},
        "serial": {"log": "true"},
        "disks": {"path": f"'{disk}'", "format": "'raw'"},
        "display": {"width": "640", "height": "480"},
    }
    for (sec, key), v in values.items():
        sections.setdefault(sec, {})[key] = v
    out = []
    for sec, kv in sections.items():
        if sec in ("disks", "cdroms"):
            out.append(f"[[{sec}]]")
        elif sec:
            out.append(f"[{sec}]")
        out += [f"{k} = {v}" for k, v in kv.items()]
        out.append("")
    return "\n".join(out)


def judge(area, rc, err, hung, what, files, allowed_ok=True):
    area.tried += 1
    area.outcome("hang" if hung else rc)
    if hung:
        area.finding("hangs", f"{what}: no answer within the bound", files)
        return
    why = crashed(rc, err)
    if why:
        area.finding("crashes", f"{what}: {why}", files)
    elif not allowed_ok and rc == 0:
        area.finding("wrong", f"{what}: accepted (should have been refused)", files)


def check(vmm, cfg, bound=CHECK_BOUND):
    return run_bounded([vmm, "--check", "--config", cfg], bound)


def mutate_bytes(rng, data, n):
    b = bytearray(data)
    for _ in range(n):
        op = rng.randrange(4)
        if not b:
            break
        i = rng.randrange(len(b))
        if op == 0:
            b[i] = rng.randrange(256)
        elif op == 1:
            del b[i:i + rng.randrange(1, 16)]
        elif op == 2:
            b[i:i] = bytes(rng.choice(b"=[]'\"\n{},.#\\0123456789") for _ in range(rng.randrange(1, 8)))
        else:
            j = rng.randrange(len(b))
            b[i:i] = b[j:j + rng.randrange(1, 40)]
    return bytes(b)


def area_configs(area, vmm, guest, work, rng, size):
    """Typed substitutions for every key, random byte mutations, and hostile config files."""
    disk = os.path.join(work, "disk.raw")
    with open(disk, "wb") as f:
        f.truncate(1 << 20)
    fifo = make_fifo(os.path.join(work, "fifo"))
    os.symlink("/etc/shadow", os.path.join(work, "shadow-link"))
    os.makedirs(os.path.join(work, "adir"), exist_ok=True)
    specials = [f"'{fifo}'", f"'{work}/shadow-link'", f"'{work}/adir'", "'/dev/zero'", "'/dev/null'"]
    cfg = os.path.join(work, "vm.toml")

    def one(text, what, real=False):
        with open(cfg, "w") as f:
            f.write(text)
        rc, err, hung = check(vmm, cfg)
        judge(area, rc, err, hung, what, [cfg])
        if real and not hung:
            # Started for real: file types the check must not be the only guard of.
            log = os.path.join(work, "run-vm")
            rc, err, hung = run_bounded([vmm, "--config", cfg, "--runtime-dir", log], RUN_BOUND)
            judge(area, rc, err, hung, what + " (started)", [cfg])

    typed = [(k, v) for k in KEYS for v in HOSTILE_VALUES + specials]
    if size == "short":
        rng.shuffle(typed)
        typed = typed[:60]
    for (sec, key), v in typed:
        real = v in specials and key in ("kernel", "initrd", "log_file", "path")
        one(config_text(guest, disk, {(sec, key): v}), f"[{sec}] {key} = {v[:40]}", real and size == "full")
    # Byte-level mutations of a good config.
    good = config_text(guest, disk, {}).encode()
    for i in range(40 if size == "short" else 400):
        text = mutate_bytes(rng, good, rng.randrange(1, 12)).decode(errors="replace")
        one(text, f"byte mutant {i}")
    # The config file itself hostile: a FIFO, /dev/zero, a symlink to it, 2 MiB, not UTF-8.
    for name, make in [
        ("fifo", lambda p: os.mkfifo(p)),
        ("zero", lambda p: os.symlink("/dev/zero", p)),
        ("dir", lambda p: os.mkdir(p)),
        ("huge", lambda p: open(p, "w").write("# " + "x" * (2 << 20) + "\n")),
        ("latin1", lambda p: open(p, "wb").write(good.replace(b"Campaign", b"Camp\xe4ign"))),
        ("nul", lambda p: open(p, "wb").write(good.replace(b"Campaign", b"Cam\x00paign"))),
    ]:
        p = os.path.join(work, f"cfg-{name}.toml")
        make(p)
        rc, err, hung = check(vmm, p)
        judge(area, rc, err, hung, f"config file is {name}", [] if name in ("fifo", "zero") else [p])


# --- disk images -----------------------------------------------------------------------------

HEADER = struct.Struct(">4sIQIIQIIQQIIQ")  # qcow2 v2 header fields, then v3 extras follow
FIELDS = ["magic", "version", "backing_file_offset", "backing_file_size", "cluster_bits",
          "size", "crypt_method", "l1_size", "l1_table_offset", "refcount_table_offset",
          "refcount_table_clusters", "nb_snapshots", "snapshots_offset"]
FIELD_VALUES = [0, 1, 7, 8, 9, 21, 31, 63, 64, 0x1FF, 0x200, 0x10000, 0xFFFFFFFF, 1 << 32,
                1 << 40, (1 << 62), (1 << 63), (1 << 64) - 1]


def pack_field(data, name, value):
    b = bytearray(data)
    off = 0
    for fname, fmt in zip(FIELDS, ["4s", "I", "Q", "I", "I", "Q", "I", "I", "Q", "Q", "I", "I", "Q"]):
        size = struct.calcsize(">" + fmt)
        if fname == name:
            mask = (1 << (8 * size)) - 1
            if fmt != "4s":
                b[off:off + size] = struct.pack(">" + fmt, value & mask)
            else:
                b[off:off + size] = struct.pack(">I", value & 0xFFFFFFFF)
            return bytes(b)
        off += size
    return bytes(b)


def disk_config(guest, img, fmt="qcow2", mode="blk-read"):
    return base_toml("camp", guest, mode, extra=f"\n[[disks]]\npath = '{img}'\nformat = '{fmt}'\n")


def area_disks(area, vmm, guest, work, rng, size):
    """Corrupted qcow2 headers and tables, truncations, and backing chains to forbidden files."""
    base = os.path.join(work, "base.qcow2")
    qemu_img("create", "-q", "-f", "qcow2", base, "4M")
    os.system(f"qemu-io -c 'write -P 0x55 0 256k' -c 'write -P 0xaa 2M 64k' {base} >/dev/null 2>&1")
    good = open(base, "rb").read()
    hdr = dict(zip(FIELDS, HEADER.unpack_from(good)))
    l1 = hdr["l1_table_offset"]
    rt = hdr["refcount_table_offset"]
    l2 = struct.unpack_from(">Q", good, l1)[0] & 0x00FFFFFFFFFFFE00
    rb = struct.unpack_from(">Q", good, rt)[0]
    img = os.path.join(work, "img.qcow2")
    cfg = os.path.join(work, "vm.toml")
    with open(cfg, "w") as f:
        f.write(disk_config(guest, img))
    runs = {"n": 0}
    run_every = 4 if size == "short" else 1
    run_cap = 3 if size == "short" else 300

    def one(data, what, must_refuse=False):
        with open(img, "wb") as f:
            f.write(data)
        rc, err, hung = check(vmm, cfg)
        judge(area, rc, err, hung, what, [img, cfg], allowed_ok=not must_refuse)
        if rc == 0 and not hung and runs["n"] < run_cap and area.tried % run_every == 0:
            runs["n"] += 1
            rc, err, hung = run_bounded([vmm, "--config", cfg, "--runtime-dir",
                                         os.path.join(work, "run")], RUN_BOUND)
            judge(area, rc, err, hung, what + " (guest read it)", [img, cfg])

    cases = []
    for name in FIELDS:
        for v in FIELD_VALUES + [len(good), len(good) - 1, l1, rt, l2, rb, 0x200, 0x1000]:
            cases.append((f"header {name} = {v:#x}", pack_field(good, name, v)))
    for table, off, entries in [("L1", l1, 8), ("L2", l2, 64), ("refcount table", rt, 8),
                                ("refcount block", rb, 64)]:
        for _ in range(30):
            b = bytearray(good)
            i = off + 8 * rng.randrange(entries)
            v = rng.choice([0, 1, 0x200, l1, rt, l2, rb, len(good) * 4, 1 << 56, (1 << 64) - 1,
                            rng.getrandbits(64)])
            b[i:i + 8] = struct.pack(">Q", v)
            cases.append((f"{table} entry @{i:#x} = {v:#x}", bytes(b)))
    for _ in range(40):
        cut = rng.randrange(len(good))
        cases.append((f"truncated to {cut}", good[:cut]))
    for _ in range(40):
        b = bytearray(good)
        for _ in range(rng.randrange(1, 20)):
            b[rng.randrange(0x200)] = rng.randrange(256)
        cases.append(("random header bytes", bytes(b)))
    if size == "short":
        rng.shuffle(cases)
        cases = cases[:45]
    for what, data in cases:
        one(data, what)
    backing_cases(area, vmm, guest, work, one)


def backing_cases(area, vmm, guest, work, one):
    """Backing files that must be refused: host files, devices, FIFOs, symlinks, loops."""
    raw = os.path.join(work, "ok.raw")
    with open(raw, "wb") as f:
        f.truncate(4 << 20)
    fifo = make_fifo(os.path.join(work, "bfifo"))
    link = os.path.join(work, "shadow.raw")
    if not os.path.lexists(link):
        os.symlink("/etc/shadow", link)
    outside = os.path.join(os.path.dirname(work), "outside.raw")
    with open(outside, "wb") as f:
        f.truncate(4 << 20)
    forbidden = ["/etc/shadow", "/proc/self/mem", "/proc/self/root/etc/shadow", "/dev/zero",
                 "/dev/sda", fifo, link, "../outside.raw", outside, "/sys/kernel/notes",
                 "../../../../../../etc/passwd", work]
    tmp = os.path.join(work, "make.qcow2")
    for b in forbidden:
        if os.path.exists(tmp):
            os.remove(tmp)
        qemu_img("create", "-q", "-f", "qcow2", "-u", "-b", b, "-F", "raw", tmp, "4M")
        one(open(tmp, "rb").read(), f"backing file {b}", must_refuse=True)
    # A loop: the image is its own backing file.
    if os.path.exists(tmp):
        os.remove(tmp)
    qemu_img("create", "-q", "-f", "qcow2", "-u", "-b", "img.qcow2", "-F", "qcow2", tmp, "4M")
    one(open(tmp, "rb").read(), "backing file is itself", must_refuse=True)
