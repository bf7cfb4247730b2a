//! Harnesses for the virtio devices and transports. The queue targets lay their rings out
//! compactly so that a short input is a whole driver: queue `i` has its descriptor table at
//! `i * 0x200`, its available ring at `+0x100` and its used ring at `+0x140` (room for 16
//! entries); the input, after a flags byte, is guest memory from address 0, so descriptors,
//! ring indexes and buffers all come from the fuzzer.

use super::{guest_memory, MEM};
use crate::devices::pci::msi::{MsiMessage, MsiVectors};
use crate::devices::pci::PciDevice;
use crate::devices::virtio::block::{Block, VIRTIO_BLK_F_FLUSH};
use crate::devices::virtio::input::{Input, InputKind, EV_KEY};
use crate::devices::virtio::mmio::MmioTransport;
use crate::devices::virtio::pci::PciTransport;
use crate::devices::virtio::rng::Rng;
use crate::devices::virtio::transport::VirtioTransport;
use crate::devices::virtio::{VirtioDevice, VirtioInterrupt, VIRTIO_F_VERSION_1};
use crate::devices::BusDevice;
use crate::net::frame::{FrameReader, ReadFrame, MAX_FRAME_LEN};
use crate::storage::{Disk, ImageFormat};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use virtio_queue::{Queue, QueueT};
use vm_memory::GuestMemoryMmap;
use vmm_sys_util::eventfd::EventFd;

/// Queue `index` of the compact layout, `1 << (flags % 5)` entries (1 to 16), with
/// VIRTIO_F_EVENT_IDX if `flags & 8`; None if the queue would not be valid.
fn queue(mem: &GuestMemoryMmap, index: u32, flags: u8) -> Option<Queue> {
    let base = index * 0x200;
    let mut q = Queue::new(16).ok()?;
    q.set_size(1 << (flags % 5));
    q.set_desc_table_address(Some(base), Some(0));
    q.set_avail_ring_address(Some(base + 0x100), Some(0));
    q.set_used_ring_address(Some(base + 0x140), Some(0));
    q.set_event_idx(flags & 8 != 0);
    q.set_ready(true);
    q.is_valid(mem).then_some(q)
}

fn interrupt() -> Option<Arc<VirtioInterrupt>> {
    let evt = EventFd::new(libc::EFD_NONBLOCK).ok()?;
    Some(Arc::new(VirtioInterrupt::new(evt)))
}

/// virtio-rng's queue: whatever chains the driver posts, the device serves or refuses each
/// (device-readable buffers are malformed) and its state round-trips through a snapshot.
pub fn virtio_rng_queue(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let mem = guest_memory(rest);
    let (Some(q), Some(irq)) = (queue(&mem, 0, flags), interrupt()) else {
        return;
    };
    let mut dev = Rng::default();
    dev.activate(mem.clone(), vec![q], VIRTIO_F_VERSION_1, irq.clone())
        .expect("one queue");
    dev.queue_notify(0);
    dev.queue_notify(0);
    // No request gets more than MAX_CHUNK bytes, however long its chain.
    let s = dev.save_state().expect("saving virtio-rng");
    if let crate::devices::virtio::DeviceState::Rng(r) = &s {
        let popped = r.queue.map_or(0, |q| u64::from(q.next_avail));
        let most = popped * crate::devices::virtio::rng::MAX_CHUNK as u64;
        assert!(
            dev.bytes_served <= most,
            "{} bytes for {popped} requests",
            dev.bytes_served
        );
    }
    let mut again = Rng::default();
    again
        .restore_state(&s, mem, irq)
        .expect("restoring what was saved");
    assert_eq!(again.save_state().expect("saving again"), s);
}

/// A 64 KiB raw and a 64 KiB qcow2 image for this process's virtio-blk and AHCI targets.
pub(crate) fn disk_images() -> &'static (PathBuf, PathBuf) {
    static PATHS: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    PATHS.get_or_init(|| {
        let raw = super::scratch().join("disk.img");
        std::fs::write(&raw, vec![0x5a; 0x1_0000]).expect("writing the raw fuzz image");
        let qcow2 = super::scratch().join("disk.qcow2");
        let _ = std::fs::remove_file(&qcow2);
        crate::storage::create_qcow2(&qcow2, 0x1_0000).expect("creating the qcow2 fuzz image");
        (raw, qcow2)
    })
}

/// virtio-blk's request queue on a raw or qcow2 image, writable or read-only: any request
/// (IN, OUT, FLUSH, GET_ID, DISCARD, WRITE_ZEROES, unknown), any chain, indirect tables. Every
/// chain popped must end up in the used ring (or be counted as malformed), and the image must
/// keep its size.
pub fn virtio_blk_queue(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let (raw, qcow2) = disk_images();
    let (path, format) = if flags & 0x10 == 0 {
        (raw, ImageFormat::Raw)
    } else {
        (qcow2, ImageFormat::Qcow2)
    };
    let Ok(disk) = Disk::open(path, Some(format), flags & 0x20 != 0) else {
        return;
    };
    let Ok(dev) = Block::new(disk, "fuzz-serial") else {
        return;
    };
    let mem = guest_memory(rest);
    let (Some(q), Some(irq)) = (queue(&mem, 0, flags), interrupt()) else {
        return;
    };
    let acked = if flags & 0x40 != 0 {
        VIRTIO_F_VERSION_1 | VIRTIO_BLK_F_FLUSH
    } else {
        VIRTIO_F_VERSION_1
    };
    let q = dev.serve_now(mem.clone(), q, acked, irq);
    // Every chain taken from the ring was given back, but for those the used ring cannot take
    // (a head index beyond the queue, which the driver wrote): those are counted as malformed.
    let (popped, used) = (q.next_avail(), q.next_used());
    let malformed = dev
        .stats()
        .malformed
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        used <= popped && u64::from(popped - used) <= malformed,
        "{popped} chains popped, {used} used, {malformed} malformed"
    );
    assert_eq!(dev.disk().size(), 0x1_0000);
}

/// virtio-net's data path: the guest's TX chains (header + frame, any split, any direction
/// flags) and the backend's RX byte stream (length-prefixed frames, any lengths) into the
/// guest's RX chains. Input: flags byte (RX queue in the low bits, TX queue in the high
/// bits, bit 7: MTU acked), two bytes of backend stream length, the stream, then guest memory.
/// What goes to the backend must be well framed, each frame an Ethernet frame in size.
pub fn virtio_net_queue(data: &[u8]) {
    let [flags, l0, l1, rest @ ..] = data else {
        return;
    };
    let len = usize::from(u16::from_le_bytes([*l0, *l1])).min(rest.len());
    let (backend, memory) = rest.split_at(len);
    let mem = guest_memory(memory);
    let (Some(rx), Some(tx), Some(irq)) = (
        queue(&mem, 0, flags & 0x0f),
        queue(&mem, 1, flags >> 4 & 0x07),
        interrupt(),
    ) else {
        return;
    };
    let (out, stats) =
        crate::devices::virtio::net::serve_now(mem, rx, tx, flags & 0x80 != 0, irq, backend);
    let mut reader = FrameReader::new(&out[..]);
    let mut buf = Vec::new();
    let mut frames = 0;
    loop {
        match reader.read_frame(&mut buf, 0) {
            Ok(ReadFrame::Frame(n)) => {
                assert!((14..=MAX_FRAME_LEN).contains(&n), "a {n}-byte frame sent");
                frames += 1;
            }
            Ok(ReadFrame::Eof) => break,
            other => panic!("the TX stream is out of step: {other:?}"),
        }
    }
    assert!(frames <= 1024 * 64);
    let _ = stats;
}

/// Writes a 32-bit register of an MMIO transport.
fn w(t: &mut MmioTransport, off: u64, v: u32) {
    t.write(off, &v.to_le_bytes());
}

/// virtio-input's queues through the virtio-mmio transport: the driver's set-up comes from
/// the input's first words, host events are sent and queues notified.
pub fn virtio_input_queue(data: &[u8]) {
    if data.len() < 16 {
        return;
    }
    let mem = guest_memory(data);
    let Some(irq) = interrupt() else { return };
    let (dev, handle) = Input::new(InputKind::Keyboard);
    let mut t = MmioTransport::new(Arc::new(Mutex::new(dev)), mem, irq);
    let word = |i: usize| u32::from_le_bytes(data[i * 4..i * 4 + 4].try_into().expect("4 bytes"));
    w(&mut t, 0x70, 1 | 2);
    w(&mut t, 0x24, 1);
    w(&mut t, 0x20, 1);
    w(&mut t, 0x70, 1 | 2 | 8);
    for q in 0..2u32 {
        w(&mut t, 0x30, q);
        w(&mut t, 0x38, word(0) & 0x7f);
        w(&mut t, 0x80, word(1) % MEM as u32);
        w(&mut t, 0x90, word(2) % MEM as u32);
        w(&mut t, 0xa0, word(3) % MEM as u32);
        w(&mut t, 0x44, 1);
    }
    w(&mut t, 0x70, 1 | 2 | 8 | 4);
    for (i, b) in data.iter().take(64).enumerate() {
        handle.send(&[(EV_KEY, u16::from(*b), (i % 2) as i32)]);
        w(&mut t, 0x50, u32::from(*b % 3));
    }
}

/// The virtio-mmio transport's registers in any order and width (status, features, queue
/// set-up, notify, interrupt ack, config space), with virtio-rng or a virtio-input keyboard
/// behind it; the input's head is guest memory (see [`super::split_head`]). Whatever state
/// that leaves must survive a snapshot into a fresh transport.
pub fn virtio_mmio_transport(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let (head, ops) = super::split_head(rest, 0x1000);
    let mem = guest_memory(head);
    let make = |mem: GuestMemoryMmap| -> Option<MmioTransport> {
        let dev: Arc<Mutex<dyn VirtioDevice>> = if which & 1 == 0 {
            Arc::new(Mutex::new(Rng::default()))
        } else {
            Arc::new(Mutex::new(Input::new(InputKind::Keyboard).0))
        };
        Some(MmioTransport::new(dev, mem, interrupt()?))
    };
    let Some(mut t) = make(mem.clone()) else {
        return;
    };
    // Each access: two offset bytes (bit 15: read), a width byte, four value bytes.
    for op in ops.chunks_exact(7) {
        let raw = u16::from_le_bytes([op[0], op[1]]);
        let offset = u64::from(raw & 0x7fff) % 0x140;
        let size = [4usize, 4, 1, 2][usize::from(op[2] & 3)];
        if raw & 0x8000 == 0 {
            t.write(offset, &op[3..3 + size]);
        } else {
            let mut buf = [0u8; 4];
            t.read(offset, &mut buf[..size]);
        }
    }
    if let Ok(s) = t.save_state() {
        let Some(mut fresh) = make(mem) else { return };
        fresh
            .restore_state(&s)
            .expect("a transport's own state restores");
        let again = fresh.save_state().expect("saving again");
        assert_eq!(bincode::serialize(&again).ok(), bincode::serialize(&s).ok());
    }
}

/// MSI-X vectors that go nowhere.
struct NoVectors(usize);

impl MsiVectors for NoVectors {
    fn count(&self) -> usize {
        self.0
    }
    fn trigger(&self, _: usize) {}
    fn set_route(&self, _: usize, _: Option<MsiMessage>) -> Result<(), String> {
        Ok(())
    }
}

/// Guest accesses to a virtio-pci function: config space (capabilities, the PCI_CFG window,
/// MSI-X control, BARs), BAR4 (common config, ISR, device config, notify), BAR1 (MSI-X table,
/// PBA). The input's head is guest memory (see [`super::split_head`]), where the queues the
/// driver sets up point.
fn pci_ops(dev: Arc<Mutex<dyn VirtioDevice>>, queues: usize, data: &[u8]) {
    let (head, ops) = super::split_head(data, 0x1000);
    let mem = guest_memory(head);
    let Ok(mut t) = PciTransport::new(dev, mem, Box::new(NoVectors(queues + 1)), None) else {
        return;
    };
    let irqs = t.interrupts().clone();
    // Each access: target/direction byte, offset (2 bytes), size byte, up to 8 value bytes.
    for op in ops.chunks(12) {
        let [kind, lo, hi, size, value @ ..] = op else {
            break;
        };
        let offset = u64::from(u16::from_le_bytes([*lo, *hi]));
        let size = [1usize, 2, 4, 8][usize::from(size % 4)].min(value.len());
        let write = kind & 0x80 == 0;
        let mut buf = [0u8; 8];
        match kind & 3 {
            0 => {
                let size = size.min(4);
                let off = (offset as usize % 256).min(256 - size);
                if write {
                    t.write_config(off, &value[..size]);
                } else {
                    t.read_config(off, &mut buf[..size]);
                }
            }
            1 | 2 if write => t.write_bar(offset % 0x4100, &value[..size]),
            1 | 2 => t.read_bar(offset % 0x4100, &mut buf[..size]),
            _ if write => irqs.write_table(offset % 0x1000, &value[..size]),
            _ if offset % 0x1000 < 0x800 => irqs.read_table(offset % 0x800, &mut buf[..size]),
            _ => irqs.read_pba(offset % 0x800, &mut buf[..size]),
        }
    }
}

/// A virtio-pci function with virtio-rng behind it.
pub fn virtio_pci_config(data: &[u8]) {
    pci_ops(Arc::new(Mutex::new(Rng::default())), 1, data);
}

/// virtio-pci functions with the other devices that run on the vCPU thread behind them: the
/// keyboard and the tablet (two queues each; their events are sent while the driver works).
/// virtio-blk and virtio-net serve their queues on I/O threads; their queue code is fuzzed
/// directly (`virtio_blk_queue`, `virtio_net_queue`) and the transport is the same.
pub fn virtio_pci_devices(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let kind = if which & 1 == 0 {
        InputKind::Keyboard
    } else {
        InputKind::Tablet
    };
    let (dev, handle) = Input::new(kind);
    for b in rest.iter().take(32) {
        handle.send(&[(EV_KEY, u16::from(*b), i32::from(*b & 1))]);
    }
    pci_ops(Arc::new(Mutex::new(dev)), 2, rest);
}

/// virtio-gpu's control and cursor commands: after a length-prefixed head of guest memory
/// (`split_head`), each request is a little-endian u16 length and that many bytes. Whatever
/// they say, every response is OK or one of the error codes, host memory stays under its cap
/// and matches the resources, the scanout names a live resource it fits in, the picture reads
/// back whole, and the state round-trips through a snapshot.
pub fn virtio_gpu_control(data: &[u8]) {
    use crate::devices::virtio::gpu::protocol::*;
    use crate::devices::virtio::gpu::state::MAX_HOST_BYTES;
    use crate::devices::virtio::gpu::Gpu;
    use crate::display::{FrameSource, Rect};
    let (head, mut rest) = super::split_head(data, MEM);
    let mem = guest_memory(head);
    // A small display keeps executions fast; resources and scanouts may still be large.
    let (mut gpu, display) = Gpu::new(64, 48);
    while let [a, b, tail @ ..] = rest {
        let n = usize::from(u16::from_le_bytes([*a, *b])).min(tail.len());
        let (req, next) = tail.split_at(n);
        rest = next;
        let resp = gpu.handle_request(req, &mem);
        let kind = u32::from_le_bytes(resp[0..4].try_into().expect("a whole header"));
        assert!(
            (RESP_OK_NODATA..=RESP_OK_EDID).contains(&kind)
                || (RESP_ERR_UNSPEC..=RESP_ERR_INVALID_PARAMETER).contains(&kind),
            "response {kind:#x}"
        );
        gpu.with_state(|s| {
            let sum: u64 = s.resources.values().map(|r| r.pixels.len() as u64).sum();
            assert_eq!(sum, s.host_bytes());
            assert!(sum <= MAX_HOST_BYTES);
            for r in s.resources.values() {
                assert_eq!(
                    r.pixels.len() as u64,
                    u64::from(r.width) * u64::from(r.height) * 4
                );
            }
            if let Some(sc) = s.scanout {
                let r = &s.resources[&sc.resource_id];
                assert!(sc.rect.inside(r.width, r.height) && !sc.rect.is_empty());
            }
        });
    }
    // At most a 256 x 256 corner: a scanout may be 8192 x 8192, whose copy would be most of
    // an execution's time.
    let (w, h) = (display.width().min(256), display.height().min(256));
    let mut px = Vec::new();
    display.read_rect(Rect { x: 0, y: 0, w, h }, &mut px);
    assert_eq!(px.len() as u64, u64::from(w) * u64::from(h) * 4);
    let saved = gpu.save_state().expect("saving virtio-gpu");
    let irq = interrupt().expect("an eventfd");
    let mut again = Gpu::new(640, 480).0;
    again
        .restore_state(&saved, mem, irq)
        .expect("restoring what was saved");
    assert_eq!(again.save_state().expect("saving again"), saved);
}
