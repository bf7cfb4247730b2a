#!/usr/bin/env python3
"""Writes the hand-made seed inputs of each fuzz target into corpus/<target>/seed-*.

Each seed is a well-formed input in the harness's layout (see vmm_core::fuzzing), so the
fuzzer starts from inputs that reach deep (a whole virtio request, an AHCI command, a valid
config) instead of having to discover the framing. Run from anywhere; existing seed-* files
are rewritten, files the fuzzer added are left alone. qcow2 seeds need qemu-img.
"""
import json
import os
import shutil
import struct
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = {}


def seed(target, name, data):
    SEEDS.setdefault(target, []).append((name, bytes(data)))


def head(m):
    """Guest memory as the head-split targets take it: its length (u16 LE), then the bytes."""
    return struct.pack("<H", len(m)) + m


def mem(size=0x1000):
    return bytearray(size)


def put(m, at, b):
    if len(m) < at + len(b):
        m.extend(bytes(at + len(b) - len(m)))
    m[at:at + len(b)] = b


# --- virtio queues: queue i's descriptors at i*0x200, avail +0x100, used +0x140 -------------
F_NEXT, F_WRITE, F_INDIRECT = 1, 2, 4


def desc(addr, length, flags, nxt):
    return struct.pack("<QIHH", addr, length, flags, nxt)


def ring(m, q, chains):
    """chains: lists of (addr, len, write) descriptors; written as descriptor chains."""
    base = q * 0x200
    i = 0
    heads = []
    for chain in chains:
        heads.append(i)
        for k, (addr, length, flags) in enumerate(chain):
            last = k == len(chain) - 1
            put(m, base + 16 * i, desc(addr, length, flags | (0 if last else F_NEXT), 0 if last else i + 1))
            i += 1
    put(m, base + 0x100, struct.pack("<HH", 0, len(heads)) + b"".join(struct.pack("<H", h) for h in heads))


def flags_for(size_log2, event_idx=False):
    return size_log2 | (8 if event_idx else 0)


# virtio-blk: header at 0x400, data at 0x600, status at 0xc00 (an indirect table at 0x480).
BLK = {"in": 0, "out": 1, "flush": 4, "get_id": 8, "discard": 11, "write_zeroes": 13, "unknown": 99}
for name, t in BLK.items():
    for fl, tag in [(0, "raw"), (0x10, "qcow2"), (0x20 | 0x40, "ro-flush")]:
        m = mem(0xc10)
        put(m, 0x400, struct.pack("<IIQ", t, 0, 8))
        chain = [(0x400, 16, 0)]
        if t in (0, 8):
            chain.append((0x600, 1024 if t == 0 else 20, F_WRITE))
        elif t in (1,):
            chain.append((0x600, 1024, 0))
        elif t in (11, 13):
            put(m, 0x600, struct.pack("<QII", 2, 4, 1 if t == 13 else 0))
            chain.append((0x600, 16, 0))
        chain.append((0xc00, 1, F_WRITE))
        ring(m, 0, [chain])
        seed("virtio_blk_queue", f"{name}-{tag}", bytes([flags_for(2) | fl]) + m)
# Two requests, one through an indirect table.
m = mem(0xc10)
put(m, 0x400, struct.pack("<IIQ", 0, 0, 0))
put(m, 0x480, desc(0x400, 16, F_NEXT, 1) + desc(0x600, 512, F_WRITE | F_NEXT, 2) + desc(0xc00, 1, F_WRITE, 0))
ring(m, 0, [[(0x480, 48, F_INDIRECT)], [(0x400, 16, 0), (0x800, 512, F_WRITE), (0xc01, 1, F_WRITE)]])
seed("virtio_blk_queue", "indirect", bytes([flags_for(2, True)]) + m)

# virtio-net: flags (rx size low nibble, tx size bits 4-6, bit 7 MTU acked), backend length,
# backend stream, then memory: RX ring 0, TX ring 1 (0x200), buffers from 0x400.
frame = bytes(range(60))
backend = struct.pack(">I", len(frame)) + frame + struct.pack(">I", 8) + bytes(8) + struct.pack(">I", 2000) + bytes(2000)
m = mem(0x2000)
ring(m, 0, [[(0x400, 1526, F_WRITE)], [(0xa00, 12, F_WRITE), (0xa10, 100, F_WRITE)]])
put(m, 0x1000, bytes(12) + frame)
ring(m, 1, [[(0x1000, 12 + len(frame), 0)], [(0x1100, 12, 0), (0x1010, 30, 0), (0x102e, 30, 0)], [(0x1200, 5, 0)]])
for fl in (0x32, 0xb2):
    seed("virtio_net_queue", f"rx-tx-{fl:02x}", bytes([fl]) + struct.pack("<H", len(backend)) + backend + m)
seed("virtio_net_queue", "tx-only", bytes([0x32, 0, 0]) + m)

# virtio-rng: write-only buffers, and a bad read-only one.
m = mem(0x800)
ring(m, 0, [[(0x400, 64, F_WRITE)], [(0x500, 16, F_WRITE), (0x600, 16, F_WRITE)], [(0x700, 8, 0)]])
seed("virtio_rng_queue", "three", bytes([flags_for(2)]) + m)
seed("virtio_rng_queue", "event-idx", bytes([flags_for(3, True)]) + m)

# virtio-input through mmio: words 0-3 = queue size, desc, avail, used.
m = mem(0x800)
put(m, 0, struct.pack("<IIII", 8, 0x100, 0x200, 0x300))
for i in range(8):
    put(m, 0x100 + 16 * i, desc(0x400 + 8 * i, 8, F_WRITE, 0))
put(m, 0x200, struct.pack("<HH", 0, 8) + b"".join(struct.pack("<H", i) for i in range(8)))
seed("virtio_input_queue", "eight-buffers", m)

# virtio-gpu control commands: guest memory (a 16x8 picture at 0x100), then requests, each
# a u16 length and the request (24-byte header, then the body's u32s).
def gpu_req(kind, *words, flags=0, fence=0, q=()):
    r = struct.pack("<IIQII", kind, flags, fence, 0, 0) + struct.pack(f"<{len(words)}I", *words)
    r += b"".join(struct.pack("<Q", v) for v in q)
    return struct.pack("<H", len(r)) + r


m = bytearray(0x100) + bytes(range(256)) * 2
draw = b"".join([
    gpu_req(0x0100), gpu_req(0x010a, 0, 0),
    gpu_req(0x0101, 1, 2, 16, 8),
    gpu_req(0x0106, 1, 2, 0x100, 0, 256, 0, 0x200, 0, 256, 0),
    gpu_req(0x0103, 0, 0, 16, 8, 0, 1),
    gpu_req(0x0105, 2, 1, 8, 4, 0, 0, 1, 0, flags=1, fence=7),
    gpu_req(0x0104, 0, 0, 16, 8, 1, 0),
    gpu_req(0x0300, 0, 10, 20, 0, 1, 1, 1, 0), gpu_req(0x0301, 0, 30, 40, 0, 0, 0, 0, 0),
])
seed("virtio_gpu_control", "draw", head(bytes(m)) + draw)
bad = b"".join([
    gpu_req(0x0101, 0, 2, 16, 8), gpu_req(0x0101, 1, 99, 16, 8),
    gpu_req(0x0101, 1, 2, 0xffffffff, 0xffffffff), gpu_req(0x0101, 1, 2, 4, 4),
    gpu_req(0x0106, 1, 1, 0xfff0, 0, 0x100, 0), gpu_req(0x0106, 1, 2, 0, 0, 64, 0, 32, 0, 64, 0),
    gpu_req(0x0105, 0, 0, 5, 4, 0, 0, 1, 0), gpu_req(0x0103, 0, 0, 4, 4, 1, 1),
    gpu_req(0x0107, 1, 0), gpu_req(0x0102, 1, 0), gpu_req(0x0104, 0, 0, 1, 1, 1, 0), gpu_req(0x0999),
])
seed("virtio_gpu_control", "malformed", head(bytes(m)) + bad)

# virtio-mmio transport: which byte, 4 KiB memory, then accesses (offset | 0x8000 = read,
# width byte, value).
def mmio_op(off, val=0, read=False, width=0):
    return struct.pack("<HB", off | (0x8000 if read else 0), width) + struct.pack("<I", val)


m = mem(0x900)
ring(m, 0, [[(0x800, 64, F_WRITE)]])
ops = b"".join([
    mmio_op(0x000, read=True), mmio_op(0x008, read=True), mmio_op(0x070, 1), mmio_op(0x070, 3),
    mmio_op(0x014, 1), mmio_op(0x010, read=True), mmio_op(0x024, 1), mmio_op(0x020, 1),
    mmio_op(0x070, 11), mmio_op(0x070, read=True), mmio_op(0x030, 0), mmio_op(0x034, read=True),
    mmio_op(0x038, 4), mmio_op(0x080, 0), mmio_op(0x090, 0x100), mmio_op(0x0a0, 0x140),
    mmio_op(0x044, 1), mmio_op(0x070, 15), mmio_op(0x050, 0), mmio_op(0x060, read=True),
    mmio_op(0x064, 1), mmio_op(0x100, read=True, width=2), mmio_op(0x0fc, read=True),
])
seed("virtio_mmio_transport", "rng-driver", b"\x00" + head(m) + ops)
seed("virtio_mmio_transport", "input-driver", b"\x01" + head(m) + ops + mmio_op(0x070, 0))

# virtio-pci: 4 KiB memory, then accesses: kind (0 config, 1/2 BAR4, 3 MSI-X; bit 7 read),
# offset, size, 8 value bytes.
def pci_op(kind, off, size, val=0, read=False):
    return struct.pack("<BHB", kind | (0x80 if read else 0), off, size) + struct.pack("<Q", val)


m = mem(0x900)
ring(m, 0, [[(0x800, 64, F_WRITE)]])
ops = b"".join([
    pci_op(0, 0x00, 2, read=True), pci_op(0, 0x06, 1, read=True), pci_op(0, 0x34, 0, read=True),
    pci_op(0, 0x40, 2, read=True), pci_op(0, 0x04, 1, 6), pci_op(0, 0x10, 2, 0xffffffff),
    pci_op(0, 0x10, 2, read=True), pci_op(1, 0x14, 0, 1), pci_op(1, 0x14, 0, 3),
    pci_op(1, 0x00, 2, 1), pci_op(1, 0x04, 2, read=True), pci_op(1, 0x08, 2, 1),
    pci_op(1, 0x0c, 2, 1), pci_op(1, 0x14, 0, 11), pci_op(1, 0x16, 1, 0), pci_op(1, 0x18, 1, 4),
    pci_op(1, 0x20, 3, 0), pci_op(1, 0x28, 3, 0x100), pci_op(1, 0x30, 3, 0x140),
    pci_op(1, 0x1c, 1, 1), pci_op(1, 0x14, 0, 15), pci_op(1, 0x3000, 1, 0),
    pci_op(1, 0x1000, 0, read=True), pci_op(3, 0x0, 2, 0xfee00000), pci_op(3, 0x800, 2, read=True),
])
seed("virtio_pci_config", "driver", head(m) + ops)
seed("virtio_pci_devices", "keyboard", b"\x00" + head(m) + ops)
seed("virtio_pci_devices", "tablet", b"\x01" + head(m) + ops)

# --- port devices ---------------------------------------------------------------------------
# serial: (kind, value); kind = offset | width<<4 | op<<6 (0/1 write, 2 read, 3 input).
def ser(off, val=0, op=0):
    return bytes([off | (op << 6), val])


seed("serial_ports", "init-and-echo", b"".join([
    ser(3, 0x80), ser(0, 1), ser(1, 0), ser(3, 3), ser(2, 0xc7), ser(4, 0x0b), ser(1, 1),
    ser(0, ord("h")), ser(5, op=2), ser(2, op=2), ser(0, 2, op=3), ser(0, op=2), ser(5, op=2),
    ser(4, 0x10), ser(0, ord("x")), ser(0, op=2), ser(7, 0x55), ser(7, op=2), ser(6, op=2),
]))
seed("serial_ports", "flood", ser(1, 1) + ser(0, 255, op=3) * 4 + ser(0, op=2) * 8)

# acpi: (kind, offset, a, b); kind bit 0 = PIIX4 block, bits 2-3 width, bits 4-7 op.
def acpi(dev, off, val=0, op=0, width=1):
    return bytes([dev | (width << 2) | (op << 4), off, val & 0xff, val >> 8])


seed("acpi_registers", "power-button", b"".join([
    acpi(1, 2, 0x100), acpi(1, 0, 0, op=14), acpi(1, 0, op=15), acpi(1, 0, op=7),
    acpi(1, 0, 0x100), acpi(1, 8, op=7, width=2), acpi(1, 4, 1 << 13 | 5 << 10),
    acpi(0, 0, op=14), acpi(0, 3, op=7, width=0), acpi(0, 2, 0x06, width=0), acpi(0, 0, 0x34, width=0),
]))

# i8042: (kind, value, size); kind = offset | op<<4 (0-6 write, 7-13 read, 14 key, 15 mouse).
seed("i8042_ports", "init", bytes([
    4, 0x20, 1, 0x70, 0, 1, 4, 0x60, 1, 0, 0x47, 1, 4, 0xa8, 1, 4, 0xd4, 1, 0, 0xf4, 1,
    0x70, 0, 1, 0x74, 0, 1, 0, 0xff, 1, 0x70, 0, 1, 0x70, 0, 1, 0xe0, 0x1e, 0, 0x70, 0, 1,
    0xf0, 5, 1, 0x70, 0, 1, 4, 0xaa, 1, 0x70, 0, 1, 0, 0xed, 1, 0, 0x07, 1, 4, 0xfe, 1,
]))

# pci_config: (kind, a, b, c, d, size, port); kind 0 latch, 1 data, bit 2 read.
def cfg(bus, dev, fn, reg):
    return struct.pack("<I", 0x80000000 | bus << 16 | dev << 11 | fn << 8 | reg)


def latch(addr):
    return bytes([0]) + addr + bytes([2, 0])


def data(val=0, read=False, size=2, port=0):
    return bytes([1 | (4 if read else 0)]) + struct.pack("<I", val) + bytes([size, port])


s = b""
for dev, fn in [(0, 0), (1, 0), (1, 1), (1, 3), (2, 0)]:
    s += latch(cfg(0, dev, fn, 0)) + data(read=True) + latch(cfg(0, dev, fn, 8)) + data(read=True)
s += latch(cfg(0, 1, 3, 0x40)) + data(0xb001) + latch(cfg(0, 1, 3, 0x80)) + data(1, size=0)
s += bytes([3, 0x04, 0, 0, 0, 1, 0xb0]) + bytes([3 | 4, 0x00, 0, 0, 0, 2, 0xb0])
s += bytes([2, 0x06, 0, 0, 0, 0, 0])
seed("pci_config", "enumerate", s)

# fw_cfg: memory (length-prefixed), then (kind, size, value...); port 0 selector, 1 data, 4 DMA.
m = mem(0x300)
put(m, 0x100, struct.pack(">IIQ", 0x0019 << 16 | 0x08 | 0x02, 64, 0x200))
ops = bytes([0, 1, 0x00, 0x00] + [0] * 6) + bytes([0x81, 0, 0] + [0] * 7) * 4
ops += bytes([0, 1, 0x19, 0x00] + [0] * 6) + bytes([0x81, 0, 0] + [0] * 7) * 4
ops += bytes([4, 2, 0, 0, 0, 0] + [0] * 4) + bytes([8, 2, 0x00, 0x01, 0, 0] + [0] * 4)
seed("fw_cfg_ports", "signature-and-dma", head(m) + ops)

# pflash: (kind, off lo, off hi, value x8); kind bit 7 read, low bits width.
def fl(off, val=0, read=False, width=0):
    return bytes([width | (0x80 if read else 0)]) + struct.pack("<H", off) + struct.pack("<Q", val)


seed("pflash_ops", "cfi-program-erase", b"".join([
    fl(0x55, 0x98), fl(0x10, read=True), fl(0x20, read=True), fl(0x27, read=True), fl(0, 0xff),
    fl(0x100, 0x40), fl(0x100, 0x12), fl(0, 0x70), fl(0, read=True), fl(0x1000, 0x20),
    fl(0x1000, 0xd0), fl(0, read=True), fl(0, 0x50), fl(0, 0xe8), fl(0, 3), fl(0, 1), fl(1, 2),
    fl(2, 3), fl(3, 4), fl(0, 0xd0), fl(0, 0xff), fl(0x100, read=True, width=2),
]))

# vga: (kind, off lo, off hi, size, value x4); kind 0 ports, 1 DISPI, 2 legacy, 3 BAR2.
def vga(kind, off, val=0, size=0, read=False):
    return bytes([kind | (0x80 if read else 0)]) + struct.pack("<HB", off, size) + struct.pack("<I", val)


s = b""
for idx, val in [(1, 640), (2, 480), (3, 32), (4, 0x41)]:
    s += vga(3, 0x500 + 2 * idx, val, 1)
s += vga(0, 0x3c4 - 0x3c0, 0x0f02, 1) + vga(2, 0x100, 0xaa55) + vga(0, 0x3da - 0x3c0, read=True)
s += vga(0, 0x3c8 - 0x3c0, 1) + vga(0, 0x3c9 - 0x3c0, 63) + vga(3, 0x400, 0x20)
seed("vga_ports", "mode-set", s)

# --- storage --------------------------------------------------------------------------------
# ATAPI: mode byte, then 12-byte packets.
def pkt(*b):
    return bytes(b) + bytes(12 - len(b))


packets = [pkt(0x00), pkt(0x03, 0, 0, 0, 18), pkt(0x12, 0, 0, 0, 36), pkt(0x25),
           pkt(0x28, 0, 0, 0, 0, 2, 0, 0, 2), pkt(0xa8, 0, 0, 0, 0, 0, 0, 0, 0, 1),
           pkt(0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 64), pkt(0x46, 0, 0, 0, 0, 0, 0, 0, 64),
           pkt(0x43, 0, 0, 0, 0, 0, 0, 0, 64), pkt(0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8),
           pkt(0x1e, 0, 0, 0, 1), pkt(0x1b, 0, 0, 0, 2), pkt(0x51, 0, 0, 0, 0, 0, 0, 0, 32),
           pkt(0xbd, 0, 0, 0, 0, 0, 0, 0, 0, 8), pkt(0x2b, 0, 0, 0, 0, 5)]
seed("atapi_packets", "all-commands", b"\x00" + b"".join(packets))
seed("atapi_packets", "insert-eject", b"\x07" + b"".join(packets))

# AHCI: 8 KiB of memory, then (offset | 0x8000 read, value) accesses. Port p's registers at
# 0x100 + 0x80 p. Port 0: CD-ROM (INQUIRY packet); port 2: SATA disk (IDENTIFY, READ DMA EXT).
m = mem(0x2000)
def h2d(cmd, lba=0, count=0, features=0):
    return struct.pack("<BBBBBBBBBBBBHBB", 0x27, 0x80, cmd, features, lba & 0xff, lba >> 8 & 0xff,
                       lba >> 16 & 0xff, 0x40, 0, 0, 0, 0, count, 0, 0)
# Port 0: command list at 0x400, FIS area 0xc00, table at 0x1000 (packet), data at 0x1800.
put(m, 0x400, struct.pack("<HHIII", 5 | 0x20, 1, 0, 0x1000, 0))
put(m, 0x1000, h2d(0xa0, features=1))
put(m, 0x1040, pkt(0x12, 0, 0, 0, 36))
put(m, 0x1080, struct.pack("<IIII", 0x1800, 0, 0, 35))
# Port 2: command list at 0x800 (IDENTIFY, READ DMA EXT, WRITE DMA EXT, FLUSH), table 0x1400..
for slot, (cmd, count, write) in enumerate([(0xec, 1, 0), (0x25, 2, 0), (0x35, 1, 1), (0xe7, 0, 0)]):
    t = 0x1400 + 0x100 * slot
    put(m, 0x800 + 32 * slot, struct.pack("<HHIII", 5 | (0x40 if write else 0), 1, 0, t, 0))
    put(m, t, h2d(cmd, lba=1, count=count))
    put(m, t + 0x80, struct.pack("<IIII", 0x1800, 0, 0, 1023))


def reg(off, val=0, read=False):
    return struct.pack("<HI", off | (0x8000 if read else 0), val)


ops = reg(0x04, 1 << 31) + reg(0x00, read=True) + reg(0x0c, read=True)
for p, clb, fb in [(0, 0x400, 0xc00), (2, 0x800, 0xd00)]:
    b = 0x100 + 0x80 * p
    ops += reg(b + 0x00, clb) + reg(b + 0x08, fb) + reg(b + 0x18, 0x10) + reg(b + 0x18, 0x11)
    ops += reg(b + 0x28, read=True) + reg(b + 0x24, read=True)
ops += reg(0x100 + 0x38, 1) + reg(0x100 + 0x20, read=True) + reg(0x100 + 0x10, read=True)
ops += reg(0x200 + 0x38, 0xf) + reg(0x200 + 0x20, read=True) + reg(0x200 + 0x10, 0xffffffff)
ops += reg(0x08, read=True) + reg(0x08, 0xffffffff)
seed("ahci_commands", "inquiry-identify-rw", head(m) + ops)

# --- files ----------------------------------------------------------------------------------
seed("rfb_client_messages", "session", b"".join([
    bytes([0, 0, 0, 0, 32, 24, 0, 1]) + struct.pack(">HHH", 255, 255, 255) + bytes([16, 8, 0, 0, 0, 0]),
    bytes([0, 0, 0, 0, 16, 16, 0, 1]) + struct.pack(">HHH", 31, 63, 31) + bytes([11, 5, 0, 0, 0, 0]),
    bytes([2, 0]) + struct.pack(">H", 4) + struct.pack(">iiii", 16, 0, -223, -239),
    bytes([3, 0]) + struct.pack(">HHHH", 0, 0, 64, 48), bytes([3, 1]) + struct.pack(">HHHH", 5, 7, 9, 9),
    bytes([4, 1, 0, 0]) + struct.pack(">I", 0x61), bytes([4, 0, 0, 0]) + struct.pack(">I", 0xff0d),
    bytes([5, 1]) + struct.pack(">HH", 100, 200), bytes([6, 0, 0, 0]) + struct.pack(">I", 5) + b"hello",
]))
seed("rfb_client_messages", "set-desktop-size", b"".join([
    bytes([2, 0]) + struct.pack(">H", 4) + struct.pack(">iiii", 0, -308, -239, -223),
    bytes([3, 0]) + struct.pack(">HHHH", 0, 0, 640, 480),
    # one screen covering 1024x600 (valid), two screens, none, and one too small
    bytes([251, 0]) + struct.pack(">HHBB", 1024, 600, 1, 0) + struct.pack(">IHHHHI", 0, 0, 0, 1024, 600, 0),
    bytes([251, 0]) + struct.pack(">HHBB", 1024, 600, 2, 0)
    + struct.pack(">IHHHHI", 0, 0, 0, 512, 600, 0) + struct.pack(">IHHHHI", 1, 512, 0, 512, 600, 0),
    bytes([251, 0]) + struct.pack(">HHBB", 800, 600, 0, 0),
    bytes([251, 0]) + struct.pack(">HHBB", 8, 8, 1, 0) + struct.pack(">IHHHHI", 7, 0, 0, 8, 8, 1 << 31),
    bytes([3, 1]) + struct.pack(">HHHH", 0, 0, 1024, 600),
]))
seed("rfb_client_messages", "8-bit-colour-map", bytes([0, 0, 0, 0, 8, 8, 0, 0]) + bytes(12)
     + bytes([3, 0]) + struct.pack(">HHHH", 0, 0, 16, 16))

requests = [
    {"cmd": "status", "id": 1}, {"cmd": "counters"}, {"cmd": "pause", "id": 2}, {"cmd": "resume"},
    {"cmd": "power-off"}, {"cmd": "kill"}, {"cmd": "reset"}, {"cmd": "serial-input", "data": "aGVsbG8K"},
    {"cmd": "subscribe", "topics": ["serial", "events"]}, {"cmd": "screenshot", "path": "/tmp/s.png"},
    {"cmd": "thumbnail", "path": "/tmp/t.png", "max_width": 128, "max_height": 96},
    {"cmd": "snapshot-create", "name": "a", "description": "b"}, {"cmd": "snapshot-list"},
    {"cmd": "snapshot-revert", "snapshot": "s1"}, {"cmd": "snapshot-rename", "snapshot": "s1", "name": "x"},
    {"cmd": "snapshot-delete", "snapshot": "s1"}, {"cmd": "cdrom-eject", "drive": 0},
    {"cmd": "cdrom-insert", "drive": 0, "path": "/tmp/d.iso"}, {"cmd": "inspect"},
    {"cmd": "step", "vcpu": 0}, {"cmd": "exit-log", "after": 0},
    {"cmd": "set-display-size", "width": 1920, "height": 1080},
]
lines = [json.dumps(r) for r in requests]
seed("control_api_requests", "all-requests", "\n".join(lines).encode())
seed("control_api_requests", "request-and-replies", "\n".join([
    json.dumps({"protocol": "vmdesk-control", "version": 2, "vm_id": "demo", "pid": 7}),
    json.dumps({"cmd": "pause", "id": 3}),
    json.dumps({"id": 3, "ok": True, "result": {"state": "paused"}}),
    json.dumps({"cmd": "serial-input", "data": "!!"}),
    json.dumps({"id": None, "ok": False, "error": {"code": "bad-request", "message": "x"}}),
    json.dumps({"event": "serial", "data": "aGk="}), '{"cmd":5}', '{"id":"x","cmd":"status"}',
]).encode())

base_cfg = '''id = "demo"
name = "Demo"
vcpus = 2
memory_mib = 512
'''
configs = {
    "linux": base_cfg + '''
[boot]
kind = "linux"
kernel = "vmlinuz"
initrd = "initrd.img"
cmdline = "console=ttyS0"

[serial]
log = true
log_file = "serial.log"

[display]
width = 1024
height = 768
vnc_port = 5901
vnc_password = "secret"

[[disks]]
path = "disk.qcow2"
format = "qcow2"
serial = "d0"

[[disks]]
path = "raw.img"
read_only = true
allow_backing = ["/srv/images"]

[[nics]]
mac = "52:54:00:12:34:56"
forwards = [{ proto = "tcp", host_port = 2222, guest_port = 22 }]
''',
    "virtio-gpu": base_cfg + '''
[boot]
kind = "linux"
kernel = "vmlinuz"

[display]
width = 1280
height = 800
kind = "virtio-gpu"
''',
    "bios": base_cfg + '''virtio_rng = false

[boot]
kind = "bios"
order = ["cdrom", "disk"]

[[cdroms]]
path = "cd.iso"

[[cdroms]]

[[disks]]
path = "disk.qcow2"
bus = "sata"

[os]
id = "http://debian.org/debian/12"
name = "Debian 12"
''',
    "uefi": base_cfg + '''
[boot]
kind = "uefi"
firmware = "/usr/share/OVMF/OVMF_CODE.fd"
vars = "OVMF_VARS.fd"
''',
}
for name, text in configs.items():
    seed("vmconfig_toml", name, text.encode())

# snapshot_state: flags, meta.json, disks.json, state payload (bincode, under a valid header).
meta = {"id": "s1", "name": "first", "description": "", "created_unix_ms": 1, "parent": None,
        "memory_pages": 0, "has_screen": False, "config": {
            "id": "demo", "name": "Demo", "vcpus": 1, "memory_mib": 512,
            "boot": {"kind": "linux", "kernel": "/k", "cmdline": ""}}}
disks = {"disks": []}
mj, dj = json.dumps(meta).encode(), json.dumps(disks).encode()
for name, payload in [("zeros", bytes(2048)), ("ones", b"\x01" * 2048)]:
    seed("snapshot_state", name, b"\x00" + struct.pack("<H", len(mj)) + mj + struct.pack("<H", len(dj)) + dj + payload)
seed("snapshot_state", "raw-header", b"\x01" + struct.pack("<H", len(mj)) + mj + b"\x00\x00"
     + b"VMDKSNAP" + struct.pack("<IQI", 5, 4, 0) + bytes(4))


def qcow2_seeds():
    if not shutil.which("qemu-img"):
        print("seeds: qemu-img missing: no qcow2_open seeds (apt-get install qemu-utils)")
        return
    with tempfile.TemporaryDirectory() as d:
        def make(name, opts, size=None, *extra):
            p = os.path.join(d, name)
            cmd = ["qemu-img", "create", "-q", "-f", "qcow2", "-o", opts, *extra, p]
            subprocess.run(cmd + ([size] if size else []), check=True)
            return p
        for name, opts, size in [("v3-512", "cluster_size=512", "64K"),
                                 ("v2-512", "cluster_size=512,compat=0.10", "64K"),
                                 ("v3-512-refcount1", "cluster_size=512,refcount_bits=1", "64K")]:
            p = make(name + ".qcow2", opts, size)
            subprocess.run(["qemu-io", "-c", "write -P 0x5a 0 4k", p], check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            seed("qcow2_open", name, open(p, "rb").read())
        base = os.path.join(d, "base.img")
        open(base, "wb").write(bytes(0x10000))
        p = make("backed.qcow2", "cluster_size=512", None, "-b", "base.img", "-F", "raw")
        seed("qcow2_open", "backed-next-to-it", open(p, "rb").read())
        p = make("escape.qcow2", "cluster_size=512", "64K", "-b", "/etc/passwd", "-F", "raw", "-u")
        seed("qcow2_open", "backing-outside", open(p, "rb").read())


qcow2_seeds()

for target, items in SEEDS.items():
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for name, data in items:
        with open(os.path.join(d, "seed-" + name), "wb") as f:
            f.write(data)
    print(f"{target}: {len(items)} seeds")
