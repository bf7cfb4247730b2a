//! Snapshots: the whole VM at one instant — vCPUs, irqchip/PIT/clock, devices, screen and the
//! guest memory it touched — kept as a tree under `<vm dir>/snapshots/<id>/`.
//!
//! A snapshot folder holds `state.bin` (magic, version, CRC; see [`file`]), `memory.bin`
//! (sparse), `disks.json` (the image each writable disk was writing, frozen since: see
//! [`disks`]), `screen.png` when the VM has a display, and `meta.json`, written last: a folder
//! without `meta.json` is an interrupted save and is listed as incomplete, never used.
//! Folders are first written as `<id>.partial` and renamed when whole.
//!
//! `state.bin` holds the KVM state ([`kvm_state`]) and each device's state, a named struct
//! next to the device that its [`Persist`] impl saves and restores. Every operation returns
//! [`SnapshotError`], whose variants name the file or snapshot concerned.
//!
//! A live save copies guest memory while the guest runs on, under a write watch
//! ([`write_watch`]); the pause then copies again only the pages written meanwhile, and
//! everything else as before, so the snapshot is still one instant and the pause does not grow
//! with the memory the guest touched. A paused VM's save copies everything at once.
//!
//! Snapshot operations of one VM run one at a time (a process-wide lock).

pub mod disks;
mod error;
pub mod file;
pub mod firmware;
pub mod kvm_state;
pub mod memory;
#[cfg(any(test, feature = "fuzzing"))]
mod offline;
pub mod power_on;
pub mod write_watch;

use crate::api::{
    RunState, SnapshotCreated, SnapshotEntry, SnapshotMeta, SnapshotReverted, Timing,
};
use crate::devices::legacy::AcpiPmState;
use crate::devices::serial::SerialState;
use crate::devices::virtio::block::Block;
use crate::devices::virtio::mmio::TransportState;
use crate::devices::Persist;
use crate::util::lock;
use crate::vmm::{Machine, MachineDisk, VmHandle};
pub use error::SnapshotError;
#[cfg(any(test, feature = "fuzzing"))]
pub use offline::check_offline;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Snapshot operations (create, revert, delete) one at a time: they switch disks and rewrite
/// `disks/current.json` and the tree.
static OPS: Mutex<()> = Mutex::new(());

/// Calls `f` with the VM's disk devices in config order (virtio ones locked meanwhile; only
/// while the vCPUs are paused or not started, so no SATA command runs either).
fn with_blocks<R>(m: &Machine, f: impl FnOnce(&mut [&mut dyn disks::DiskDevice]) -> R) -> R {
    enum Held<'a> {
        Virtio(std::sync::MutexGuard<'a, Block>),
        Sata(crate::devices::ahci::ata::SataDisk),
    }
    let mut held: Vec<Held> = m
        .disks
        .iter()
        .map(|d| match d {
            MachineDisk::Virtio(b) => Held::Virtio(lock(b)),
            MachineDisk::Sata(s) => Held::Sata(s.clone()),
        })
        .collect();
    let mut devs: Vec<&mut dyn disks::DiskDevice> = held
        .iter_mut()
        .map(|h| match h {
            Held::Virtio(g) => &mut **g as &mut dyn disks::DiskDevice,
            Held::Sata(s) => s as &mut dyn disks::DiskDevice,
        })
        .collect();
    f(&mut devs)
}

/// Deletes the overlays no chain needs any more; failures only warn (nothing is lost by
/// keeping a file).
fn collect_garbage(vm_dir: &Path) {
    if let Err(e) = disks::collect_garbage(vm_dir) {
        crate::log_line!("vmdesk-vmm: warning: keeping unused disk overlays: {e}");
    }
}

#[derive(Serialize, Deserialize)]
struct MachineState {
    vm: kvm_state::VmState,
    vcpus: Vec<kvm_state::VcpuState>,
    serial: SerialState,
    acpi_pm: AcpiPmState,
    transports: Vec<TransportState>,
    /// The framebuffer's bytes are in `framebuffer.bin` (raw: fast to write and read back).
    framebuffer: Option<FramebufferInfo>,
    memory: memory::MemoryIndex,
    /// A BIOS machine's chipset, CMOS and fw_cfg, and its firmware image (`None`: Linux).
    firmware: Option<firmware::FirmwareState>,
}

#[derive(Serialize, Deserialize)]
struct FramebufferInfo {
    len: u64,
    crc: u32,
}

pub fn snapshots_dir(vm_dir: &Path) -> PathBuf {
    vm_dir.join("snapshots")
}

fn current_file(vm_dir: &Path) -> PathBuf {
    snapshots_dir(vm_dir).join("current")
}

/// The snapshot the VM's present state descends from.
pub fn current(vm_dir: &Path) -> Option<String> {
    std::fs::read_to_string(current_file(vm_dir))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn new_id() -> String {
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format!("{}-{:03}", t.as_secs(), t.subsec_millis())
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// Pauses if running; returns whether it was running (so the caller resumes).
fn pause_for(vm: &VmHandle) -> Result<bool, SnapshotError> {
    match vm.state() {
        RunState::Running => vm.pause().map(|_| true).map_err(SnapshotError::Pause),
        RunState::Paused => Ok(false),
        RunState::Stopping => Err(SnapshotError::Stopping),
    }
}

fn check_id(id: &str) -> Result<(), SnapshotError> {
    if valid_id(id) {
        Ok(())
    } else {
        Err(SnapshotError::InvalidId { id: id.to_string() })
    }
}

fn write_meta(path: &Path, meta: &SnapshotMeta) -> Result<(), SnapshotError> {
    let json = serde_json::to_vec_pretty(meta).map_err(SnapshotError::json(path))?;
    crate::util::write_atomic(path, &json).map_err(SnapshotError::io(path))
}

/// Takes a live snapshot of a running or paused VM. Writable disks are frozen at the same
/// instant and the VM goes on in new overlays (see [`disks`]).
pub fn create(
    vm: &VmHandle,
    name: &str,
    description: &str,
) -> Result<SnapshotCreated, SnapshotError> {
    let _ops = lock(&OPS);
    let t0 = Instant::now();
    let m = &vm.machine;
    let dir = snapshots_dir(&m.vm_dir);
    crate::util::create_private_dir_all(&dir).map_err(SnapshotError::io(&dir))?;
    let id = new_id();
    let partial = dir.join(format!("{id}.partial"));
    crate::util::create_private_dir(&partial).map_err(SnapshotError::io(&partial))?;
    // A running guest's memory is copied while it runs on; the pause then copies again only
    // the pages written meanwhile, so it does not grow with the memory the guest touched.
    let t_pre = Instant::now();
    let pre = if vm.state() == RunState::Running {
        precopy(vm)
    } else {
        None
    };
    let precopy_ms = if pre.is_some() { ms(t_pre) } else { 0.0 };
    let (watch, pre) = pre.unzip();
    let was_running = match pause_for(vm) {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&partial);
            return Err(e);
        }
    };
    let t_paused = Instant::now();
    // The disks switch last, once everything else is saved: if that fails, the snapshot is
    // dropped and the VM goes on writing its images.
    let res = save_into(vm, &id, &partial, watch.as_ref().zip(pre)).and_then(|x| {
        with_blocks(m, |b| disks::detach(&m.vm_dir, &vm.config.disks, b, &id)).map(|()| x)
    });
    let paused_ms = ms(t_paused);
    if was_running {
        let _ = vm.resume();
    }
    // The watch ends (pages unprotected) once the guest runs: unregistering costs tens of ms.
    drop(watch);
    // File writes happen while the guest runs again: the pause covered only the copies.
    let recopied_pages = res.as_ref().map_or(0, |(_, n)| *n);
    let res = res.and_then(|(pending, _)| pending.write(&partial));
    let (state_pages, screen) = match res {
        Ok(x) => x,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&partial);
            return Err(e);
        }
    };
    // The thumbnail is made from the saved frame after the guest runs again: PNG encoding
    // must not lengthen the pause.
    let has_screen = match (&vm.framebuffer, screen) {
        (Some(fb), Some(px)) => {
            crate::display::framebuffer::write_thumbnail(
                &px,
                fb.width,
                fb.height,
                fb.stride,
                &partial.join("screen.png"),
            )
            .map_err(|e| SnapshotError::part(&id, "screen.png")(e.to_string()))?;
            true
        }
        // The BIOS machine's VGA: its current picture (the VGA's state itself is in state.bin).
        (None, _)
            if vm
                .machine
                .firmware
                .as_ref()
                .is_some_and(|f| f.vga.is_some()) =>
        {
            match &vm.display {
                Some(d) => {
                    crate::display::framebuffer::thumbnail(
                        &*d.frame,
                        320,
                        240,
                        &partial.join("screen.png"),
                    )
                    .map_err(|e| SnapshotError::part(&id, "screen.png")(e.to_string()))?;
                    true
                }
                None => false,
            }
        }
        _ => false,
    };
    // Everything on stable storage before the snapshot becomes visible (meta.json, rename).
    for f in ["memory.bin", "state.bin", "framebuffer.bin", disks::FILE] {
        let p = partial.join(f);
        if p.exists() {
            std::fs::File::open(&p)
                .and_then(|f| f.sync_all())
                .map_err(SnapshotError::io(&p))?;
        }
    }
    let meta = SnapshotMeta {
        id: id.clone(),
        name: if name.trim().is_empty() {
            format!("Snapshot {id}")
        } else {
            name.trim().to_string()
        },
        description: description.to_string(),
        created_unix_ms: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis() as u64,
        parent: current(&m.vm_dir),
        config: vm.config.clone(),
        memory_pages: state_pages,
        has_screen,
    };
    write_meta(&partial.join("meta.json"), &meta)?;
    let done = dir.join(&id);
    std::fs::rename(&partial, &done).map_err(SnapshotError::io(&done))?;
    std::fs::File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(SnapshotError::io(&dir))?;
    let cur = current_file(&m.vm_dir);
    crate::util::write_atomic(&cur, id.as_bytes()).map_err(SnapshotError::io(&cur))?;
    Ok(SnapshotCreated {
        id,
        timing: Timing {
            total_ms: ms(t0),
            paused_ms,
            memory_pages: state_pages,
            precopy_ms,
            recopied_pages,
        },
    })
}

/// A live save's first copy of guest memory, made while the guest runs, and the watch that
/// says which pages changed since. `None` (the save then copies everything in its pause) if
/// the kernel cannot watch writes or the copy fails.
fn precopy(vm: &VmHandle) -> Option<(write_watch::WriteWatch, memory::Captured)> {
    let m = &vm.machine;
    let watch = match write_watch::WriteWatch::start(&m.mem) {
        Ok(w) => w,
        Err(e) => {
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| {
                crate::log_line!("vmdesk-vmm: snapshots copy all memory while paused: {e}");
            });
            return None;
        }
    };
    let base = lock(&m.memory_base).clone();
    let captured = memory::capture(&m.mem, base.as_ref(), Some(watch.resident())).ok()?;
    // For tests: a longer window in which the guest writes memory after the first copy.
    if let Some(hold) = std::env::var("VMDESK_TEST_PRECOPY_HOLD_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(hold));
    }
    Some((watch, captured))
}

/// What a save copied while the VM was paused, to be written after it runs again.
struct PendingSave {
    vm: kvm_state::VmState,
    vcpus: Vec<kvm_state::VcpuState>,
    serial: SerialState,
    acpi_pm: AcpiPmState,
    transports: Vec<TransportState>,
    framebuffer: Option<Vec<u8>>,
    memory: memory::Captured,
    firmware: Option<firmware::FirmwareState>,
}

impl PendingSave {
    /// Writes memory.bin, framebuffer.bin and state.bin into `dir` (unsynced); returns the
    /// stored page count and the frame (for the thumbnail).
    fn write(self, dir: &Path) -> Result<(u64, Option<Vec<u8>>), SnapshotError> {
        let memory = self.memory.write(&dir.join("memory.bin"))?;
        let pages = memory.stored_pages;
        let fb_info = match &self.framebuffer {
            Some(px) => {
                let p = dir.join("framebuffer.bin");
                crate::util::write_private(&p, px).map_err(SnapshotError::io(&p))?;
                Some(FramebufferInfo {
                    len: px.len() as u64,
                    crc: crc32fast::hash(px),
                })
            }
            None => None,
        };
        let st = MachineState {
            vm: self.vm,
            vcpus: self.vcpus,
            serial: self.serial,
            acpi_pm: self.acpi_pm,
            transports: self.transports,
            framebuffer: fb_info,
            memory,
            firmware: self.firmware,
        };
        file::write_unsynced(&dir.join("state.bin"), &st)?;
        Ok((pages, self.framebuffer))
    }
}

/// Copies everything a snapshot needs while the VM is paused (disk records go into `dir`);
/// with a pre-copy, only the pages written since it. Returns the pages copied again.
fn save_into(
    vm: &VmHandle,
    id: &str,
    dir: &Path,
    pre: Option<(&write_watch::WriteWatch, memory::Captured)>,
) -> Result<(PendingSave, u64), SnapshotError> {
    let m = &vm.machine;
    let part = |p| SnapshotError::part(id, p);
    let vm_state = kvm_state::save_vm(&vm.vm).map_err(part("VM state"))?;
    let mut vcpus = Vec::new();
    for v in &m.vcpus {
        vcpus.push(kvm_state::save_vcpu(&lock(v), &m.msrs).map_err(part("vCPU state"))?);
    }
    let serial = {
        let mut s = lock(&vm.serial);
        // The guest's writes still queued in KVM belong to the instant saved.
        s.sync();
        s.save().map_err(part("serial"))?
    };
    let acpi_pm = lock(&vm.acpi_pm).save().map_err(part("ACPI"))?;
    let mut transports = Vec::new();
    for t in &m.transports {
        transports.push(lock(t).save_state().map_err(part("virtio device"))?);
    }
    let firmware = match &m.firmware {
        Some(d) => Some(firmware::save(d, id)?),
        None => None,
    };
    let framebuffer = vm.framebuffer.as_ref().map(|fb| fb.contents());
    with_blocks(m, |b| disks::record(&m.vm_dir, &vm.config.disks, b))?.write_unsynced(dir)?;
    let capture_err = |msg| SnapshotError::Capture { msg };
    let (memory, recopied) = match pre {
        Some((watch, mut c)) => {
            let written = watch.written_all().map_err(capture_err)?;
            let n = c.recopy(&m.mem, &written);
            (c, n)
        }
        None => {
            let base = lock(&m.memory_base).clone();
            (
                memory::capture(&m.mem, base.as_ref(), None).map_err(capture_err)?,
                0,
            )
        }
    };
    Ok((
        PendingSave {
            vm: vm_state,
            vcpus,
            serial,
            acpi_pm,
            transports,
            framebuffer,
            memory,
            firmware,
        },
        recopied,
    ))
}

/// The firmware section of snapshot folder `dir`'s state file (`None` for a Linux machine's):
/// for tools and tests that check what a BIOS machine's snapshot holds.
pub fn read_firmware_state(dir: &Path) -> Result<Option<firmware::FirmwareState>, SnapshotError> {
    let st: MachineState = file::read(&dir.join("state.bin"))?;
    Ok(st.firmware)
}

fn load_meta(dir: &Path) -> Result<SnapshotMeta, SnapshotError> {
    let p = dir.join("meta.json");
    let text = std::fs::read(&p).map_err(SnapshotError::io(&p))?;
    serde_json::from_slice(&text).map_err(SnapshotError::json(&p))
}

/// Puts a running or paused VM back to snapshot `id`; it keeps its run state (a paused VM
/// stays paused at the snapshot's instant, e.g. to show a class the restored screen).
pub fn revert(vm: &VmHandle, id: &str) -> Result<SnapshotReverted, SnapshotError> {
    revert_inner(vm, id, false)
}

/// Loads snapshot `id` into a VM whose vCPUs have not started yet (a fresh process, before
/// `Vmm::run`), after checking the memory file's checksum too. Call it before the control API
/// serves requests, so nothing (serial input, say) reaches devices whose state the restore then
/// overwrites.
pub fn restore_at_start(vm: &VmHandle, id: &str) -> Result<SnapshotReverted, SnapshotError> {
    revert_inner(vm, id, true)
}

/// Reads and checks a snapshot's framebuffer.bin against its recorded length and CRC.
fn read_framebuffer(dir: &Path, info: &FramebufferInfo) -> Result<Vec<u8>, SnapshotError> {
    let path = dir.join("framebuffer.bin");
    let px = std::fs::read(&path).map_err(SnapshotError::io(&path))?;
    if px.len() as u64 != info.len || crc32fast::hash(&px) != info.crc {
        return Err(SnapshotError::Corrupted { path });
    }
    Ok(px)
}

fn revert_inner(vm: &VmHandle, id: &str, fresh: bool) -> Result<SnapshotReverted, SnapshotError> {
    let _ops = lock(&OPS);
    let t0 = Instant::now();
    check_id(id)?;
    let part = |p| SnapshotError::part(id, p);
    let m = &vm.machine;
    let dir = snapshots_dir(&m.vm_dir).join(id);
    let meta = load_meta(&dir)?;
    if meta.config.vcpus != vm.config.vcpus || meta.config.memory_mib != vm.config.memory_mib {
        return Err(SnapshotError::MachineSize {
            id: id.to_string(),
            snap_vcpus: meta.config.vcpus,
            snap_mib: meta.config.memory_mib,
            vm_vcpus: vm.config.vcpus,
            vm_mib: vm.config.memory_mib,
        });
    }
    let st: MachineState = file::read(&dir.join("state.bin"))?;
    firmware::check(
        id,
        m.firmware.as_ref().map(|d| &d.rom),
        st.firmware.as_ref(),
    )?;
    firmware::check_flash(
        id,
        m.firmware.as_ref().is_some_and(|d| d.flash.is_some()),
        st.firmware.as_ref(),
    )?;
    if st.vcpus.len() != m.vcpus.len() || st.transports.len() != m.transports.len() {
        return Err(SnapshotError::DifferentMachine { dir });
    }
    let framebuffer = match &st.framebuffer {
        Some(info) => Some(read_framebuffer(&dir, info)?),
        None => None,
    };
    let frozen = disks::check(
        &m.vm_dir,
        &vm.config.disks,
        id,
        disks::SnapshotDisks::load(&dir)?.as_ref(),
    )?;
    // Checked before the VM is touched (a live revert too): a damaged memory file or one of
    // another size is refused while the VM runs on as it was.
    memory::check(&m.mem, &dir.join("memory.bin"), &st.memory)?;
    let was_running = if fresh { false } else { pause_for(vm)? };
    let t_paused = Instant::now();
    // New overlays on the snapshot's disk images, made before anything changes: if that fails
    // the VM goes on as it was.
    let tag = format!("{id}.r{}", new_id());
    let prepared = match with_blocks(m, |b| {
        disks::prepare(&m.vm_dir, &vm.config.disks, b, &frozen, &tag)
    }) {
        Ok(p) => p,
        Err(e) => {
            if was_running {
                let _ = vm.resume();
            }
            return Err(e);
        }
    };
    let res = (|| {
        with_blocks(m, |b| {
            disks::switch(&m.vm_dir, &vm.config.disks, b, prepared)
        })?;
        let base = memory::restore(&m.mem, &dir.join("memory.bin"), &st.memory)?;
        *lock(&m.memory_base) = Some(base);
        kvm_state::restore_vm(&vm.vm, &st.vm).map_err(part("VM state"))?;
        for (v, s) in m.vcpus.iter().zip(&st.vcpus) {
            kvm_state::restore_vcpu(&lock(v), s, fresh).map_err(part("vCPU state"))?;
        }
        lock(&vm.serial)
            .restore(&st.serial, ())
            .map_err(part("serial"))?;
        lock(&vm.acpi_pm)
            .restore(&st.acpi_pm, ())
            .map_err(part("ACPI"))?;
        for (t, s) in m.transports.iter().zip(&st.transports) {
            lock(t).restore_state(s).map_err(part("virtio device"))?;
        }
        if let (Some(d), Some(s)) = (&m.firmware, &st.firmware) {
            firmware::restore(d, s, id)?;
        }
        if let (Some(fb), Some(px)) = (&vm.framebuffer, &framebuffer) {
            fb.set_contents(px);
            // The dirty log only sees the guest's writes: tell watching clients (the app's
            // console) the whole screen changed, else they keep showing the abandoned present
            // until the guest happens to redraw.
            if let Some(d) = &vm.display {
                d.damage.publish(&[crate::display::Rect {
                    x: 0,
                    y: 0,
                    w: fb.width,
                    h: fb.height,
                }]);
            }
        }
        Ok::<(), SnapshotError>(())
    })();
    let paused_ms = ms(t_paused);
    if let Err(e) = res {
        // Half-restored state is not safe to run: the guest would see a mix of two instants.
        vm.exit.send(crate::exit::ExitReason::Error(format!(
            "revert to {id} failed midway: {e}"
        )));
        return Err(SnapshotError::Midway {
            id: id.to_string(),
            source: Box::new(e),
        });
    }
    let cur = current_file(&m.vm_dir);
    crate::util::write_atomic(&cur, id.as_bytes()).map_err(SnapshotError::io(&cur))?;
    if was_running {
        let _ = vm.resume();
    }
    // The overlays the disks used before are deleted unless a snapshot needs them.
    collect_garbage(&m.vm_dir);
    Ok(SnapshotReverted {
        id: id.to_string(),
        timing: Timing {
            total_ms: ms(t0),
            paused_ms,
            memory_pages: st.memory.stored_pages,
            ..Timing::default()
        },
    })
}

/// Every snapshot of the VM in `vm_dir`, oldest first; incomplete ones are included and marked.
pub fn list(vm_dir: &Path) -> Vec<SnapshotEntry> {
    let dir = snapshots_dir(vm_dir);
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out: Vec<SnapshotEntry> = rd
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            let id = name.trim_end_matches(".partial").to_string();
            match load_meta(&e.path()) {
                Ok(meta) if !name.ends_with(".partial") => SnapshotEntry {
                    id,
                    complete: true,
                    meta: Some(meta),
                    problem: None,
                },
                Ok(_) => SnapshotEntry {
                    id,
                    complete: false,
                    meta: None,
                    problem: Some("interrupted while being saved".into()),
                },
                Err(err) => SnapshotEntry {
                    id,
                    complete: false,
                    meta: None,
                    problem: Some(err.to_string()),
                },
            }
        })
        .collect();
    out.sort_by_key(|e| {
        (
            e.meta.as_ref().map_or(u64::MAX, |m| m.created_unix_ms),
            e.id.clone(),
        )
    });
    out
}

/// Renames a snapshot (its display name; the id stays).
pub fn rename(vm_dir: &Path, id: &str, name: &str) -> Result<(), SnapshotError> {
    check_id(id)?;
    let dir = snapshots_dir(vm_dir).join(id);
    let mut meta = load_meta(&dir)?;
    meta.name = name.trim().to_string();
    write_meta(&dir.join("meta.json"), &meta)
}

/// Deletes a snapshot; its children are re-parented to its parent. Memory files are
/// self-contained, and a frozen disk image stays as long as any chain (the running disks',
/// another snapshot's) is built on it, so children stay revertable; disk overlays nothing
/// needs any more are deleted (see [`disks`]).
pub fn delete(vm_dir: &Path, id: &str) -> Result<(), SnapshotError> {
    let _ops = lock(&OPS);
    check_id(id)?;
    let root = snapshots_dir(vm_dir);
    let dir = root.join(id);
    let partial = root.join(format!("{id}.partial"));
    if !dir.exists() && partial.exists() {
        return std::fs::remove_dir_all(&partial).map_err(SnapshotError::io(&partial));
    }
    let meta = load_meta(&dir)?;
    for e in list(vm_dir) {
        if let Some(mut child) = e.meta.filter(|c| c.parent.as_deref() == Some(id)) {
            child.parent = meta.parent.clone();
            write_meta(&root.join(&child.id).join("meta.json"), &child)?;
        }
    }
    if current(vm_dir).as_deref() == Some(id) {
        let parent = meta.parent.clone().unwrap_or_default();
        let cur = current_file(vm_dir);
        crate::util::write_atomic(&cur, parent.as_bytes()).map_err(SnapshotError::io(&cur))?;
    }
    // A running VM may still map this memory file copy-on-write: unlinking is safe, the
    // mapping keeps the data alive.
    std::fs::remove_dir_all(&dir).map_err(SnapshotError::io(&dir))?;
    collect_garbage(vm_dir);
    Ok(())
}
