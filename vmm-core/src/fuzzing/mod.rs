//! The fuzz harnesses: one function per target of `vmm-core/fuzz` (cargo-fuzz), each taking
//! the fuzzer's bytes as a guest, a peer or a file would hand them to us. They live here, not
//! in the fuzz crate, so that `cargo test` (stable Rust) replays every corpus and every crash
//! found through the very same code (`replay` below), and so that they can reach the
//! crate-internal ways in (a device's queue served on the calling thread instead of its I/O
//! thread) without widening the public API. Built only for tests and with the `fuzzing`
//! feature; not part of vmdesk's API.

mod devices;
mod files;
mod storage;
mod virtio;

#[cfg(test)]
mod replay;

pub use devices::{
    acpi_registers, fw_cfg_ports, i8042_ports, pci_config, pflash_ops, serial_ports, vga_ports,
};
pub use files::{control_api_requests, rfb_client_messages, snapshot_state, vmconfig_toml};
pub use storage::{ahci_commands, atapi_packets, qcow2_open};
pub use virtio::{
    virtio_blk_queue, virtio_gpu_control, virtio_input_queue, virtio_mmio_transport,
    virtio_net_queue, virtio_pci_config, virtio_pci_devices, virtio_rng_queue,
};

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use vm_memory::{Bytes, GuestAddress, GuestMemoryMmap};

/// A harness: the fuzzer's bytes in, a panic if something that must hold does not.
pub type Harness = fn(&[u8]);

/// Every target by name, as `fuzz/fuzz_targets/<name>.rs` and `fuzz/corpus/<name>/` call it.
pub const TARGETS: &[(&str, Harness)] = &[
    ("acpi_registers", acpi_registers),
    ("ahci_commands", ahci_commands),
    ("atapi_packets", atapi_packets),
    ("control_api_requests", control_api_requests),
    ("fw_cfg_ports", fw_cfg_ports),
    ("i8042_ports", i8042_ports),
    ("pci_config", pci_config),
    ("pflash_ops", pflash_ops),
    ("qcow2_open", qcow2_open),
    ("rfb_client_messages", rfb_client_messages),
    ("serial_ports", serial_ports),
    ("snapshot_state", snapshot_state),
    ("vga_ports", vga_ports),
    ("virtio_blk_queue", virtio_blk_queue),
    ("virtio_gpu_control", virtio_gpu_control),
    ("virtio_input_queue", virtio_input_queue),
    ("virtio_mmio_transport", virtio_mmio_transport),
    ("virtio_net_queue", virtio_net_queue),
    ("virtio_pci_config", virtio_pci_config),
    ("virtio_pci_devices", virtio_pci_devices),
    ("virtio_rng_queue", virtio_rng_queue),
    ("vmconfig_toml", vmconfig_toml),
];

/// Guest RAM of every device target: 64 KiB from address 0.
pub(crate) const MEM: usize = 0x1_0000;

/// Guest memory whose start holds `bytes` (cut to its size); the rest is zero.
pub(crate) fn guest_memory(bytes: &[u8]) -> GuestMemoryMmap {
    let mem = GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0), MEM)])
        .expect("64 KiB of anonymous memory");
    let n = bytes.len().min(MEM);
    mem.write_slice(&bytes[..n], GuestAddress(0))
        .expect("inside guest memory");
    mem
}

/// Splits an input into guest memory and register accesses: a little-endian u16 (taken
/// modulo `max + 1`) gives the memory's length, then come its bytes and then the accesses. The
/// fuzzer chooses how much memory it writes, so short inputs still reach the registers.
pub(crate) fn split_head(data: &[u8], max: usize) -> (&[u8], &[u8]) {
    let [a, b, rest @ ..] = data else {
        return (&[], data);
    };
    let n = (usize::from(u16::from_le_bytes([*a, *b])) % (max + 1)).min(rest.len());
    rest.split_at(n)
}

/// This process's scratch folder (images, config files): one per process, so parallel fuzzer
/// jobs and test binaries never share files. Removed by [`cleanup`] (the runner and the
/// replay test call it); the fuzzer itself never ends normally.
pub(crate) fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("vmdesk-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("creating the fuzz scratch folder");
        d
    })
}

/// A path in the scratch folder unique to this call (parallel test threads each get theirs).
pub(crate) fn fresh_path(stem: &str) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    scratch().join(format!("{stem}-{}", N.fetch_add(1, Ordering::Relaxed)))
}

/// Removes this process's scratch folder.
pub fn cleanup() {
    let _ = std::fs::remove_dir_all(
        std::env::temp_dir().join(format!("vmdesk-fuzz-{}", std::process::id())),
    );
}

/// An interrupt line nobody listens to.
pub(crate) struct NoIrq;

impl crate::devices::pci::intx::IrqLevels for NoIrq {
    fn set_level(&self, _: u32, _: bool) {}
}

/// An exit channel whose receiver is dropped (a device's exits go nowhere).
pub(crate) fn no_exit() -> crate::exit::ExitSender {
    let (tx, _rx) = std::sync::mpsc::channel();
    crate::exit::ExitSender::new(tx)
}
