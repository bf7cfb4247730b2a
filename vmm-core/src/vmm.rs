//! `Vmm`: one VM, built from a [`VmConfig`] by [`crate::builder`] (`Vmm::try_from`), then run
//! until the guest or the API ends it; [`VmHandle`] is how the API observes and steers it.

use crate::api::{self, Event, RunState};
use crate::arch::acpi;
use crate::arch::firmware::RomIdentity;
use crate::config::VmConfig;
use crate::devices::cmos::Cmos;
use crate::devices::fw_cfg::FwCfg;
use crate::devices::legacy::AcpiPm;
use crate::devices::pci::{AcpiPmTimer, PciRoot};
use crate::devices::serial::SerialDevice;
use crate::devices::virtio::block::Block;
use crate::devices::virtio::transport::VirtioTransport;
use crate::devices::Bus;
use crate::display::framebuffer::{screenshot, spawn_damage_thread, Framebuffer};
use crate::display::DisplayHandle;
use crate::exit::{ExitReason, ExitSender};
use crate::host::KvmFlavor;
use crate::hub::Hub;
use crate::util::lock;
use crate::vcpu::{self, ExitCounters, RunControl, VcpuContext};
use kvm_ioctls::{VcpuFd, VmFd};
use std::os::unix::thread::JoinHandleExt;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use vm_memory::GuestMemoryMmap;
use vmm_sys_util::signal::Killable;

/// Everything the API needs to observe and steer a running VM.
pub struct VmHandle {
    pub config: VmConfig,
    pub flavor: KvmFlavor,
    pub started: Instant,
    pub started_unix_ms: u64,
    pub control: Arc<RunControl>,
    pub state: Mutex<RunState>,
    pub counters: Vec<Arc<ExitCounters>>,
    pub serial_hub: Arc<Hub<Vec<u8>>>,
    pub event_hub: Arc<Hub<Event>>,
    pub serial: Arc<Mutex<SerialDevice>>,
    pub acpi_pm: Arc<Mutex<AcpiPm>>,
    pub vm: Arc<VmFd>,
    pub exit: ExitSender,
    /// The screen, keyboard and tablet, when the VM has a display.
    pub display: Option<DisplayHandle>,
    pub(crate) framebuffer: Option<Arc<Framebuffer>>,
    /// The virtio-gpu's display side (`display.kind = "virtio-gpu"`): host resizes.
    pub(crate) gpu: Option<crate::devices::virtio::gpu::GpuDisplay>,
    pub machine: Machine,
    /// Problems that did not stop the VM (e.g. a NIC left out because passt is missing).
    pub warnings: Vec<String>,
    pub(crate) net_stats: Vec<Arc<crate::devices::virtio::net::NetStats>>,
    pub(crate) disk_stats: Vec<Arc<crate::devices::virtio::block::BlockStats>>,
    /// vCPU threads, in vCPU order (they run until the process ends).
    pub(crate) threads: Mutex<Vec<JoinHandle<()>>>,
    /// The inspector's way into each vCPU thread, in vCPU order.
    pub(crate) probes: Vec<Arc<vcpu::VcpuProbe>>,
    pub(crate) exit_log: Arc<crate::exit_log::ExitLog>,
    /// The buses, for the inspector's device list and exit counts.
    pub(crate) pio: Arc<Bus>,
    pub(crate) mmio: Arc<Bus>,
}

impl VmHandle {
    pub fn state(&self) -> RunState {
        *lock(&self.state)
    }

    pub(crate) fn set_state(&self, s: RunState) {
        *lock(&self.state) = s;
        self.event_hub.publish(Event::State { state: s });
    }

    fn kick_all(&self) {
        for t in lock(&self.threads).iter() {
            let _ = t.kill(vmm_sys_util::signal::SIGRTMIN());
        }
    }

    /// Brings vCPU `index` out of the guest (its next `KVM_RUN` returns at once).
    pub(crate) fn kick(&self, index: usize) {
        if let Some(t) = lock(&self.threads).get(index) {
            let _ = t.kill(vmm_sys_util::signal::SIGRTMIN());
        }
    }

    pub fn pause(&self) -> Result<(), String> {
        match self.state() {
            RunState::Paused => return Err("the VM is already paused".into()),
            RunState::Stopping => return Err("the VM is stopping".into()),
            RunState::Running => {}
        }
        let n = self.counters.len();
        if self
            .control
            .pause(n, || self.kick_all(), Duration::from_secs(2))
        {
            // Device threads (network, input) stop touching guest memory too, so a snapshot
            // sees one instant.
            for t in &self.machine.transports {
                lock(t).pause();
            }
            if let Some(fw) = &self.machine.firmware {
                lock(&fw.ps2).pause();
            }
            // Everything the guest wrote before the pause is out (log, terminal, subscribers):
            // its queued serial writes and the unfinished line would otherwise wait for the
            // pump, and a caller reading the log now would see an earlier instant than the
            // paused guest's.
            lock(&self.serial).sync();
            self.set_state(RunState::Paused);
            Ok(())
        } else {
            self.control.resume();
            Err("vCPUs did not stop within 2 s".into())
        }
    }

    pub fn resume(&self) -> Result<(), String> {
        if self.state() != RunState::Paused {
            return Err("the VM is not paused".into());
        }
        for t in &self.machine.transports {
            lock(t).resume();
        }
        if let Some(fw) = &self.machine.firmware {
            lock(&fw.ps2).resume();
        }
        self.control.resume();
        self.set_state(RunState::Running);
        Ok(())
    }

    /// Presses the ACPI power button and waits up to `wait` for the guest to read the event.
    pub fn power_button(&self, wait: Duration) -> Result<bool, String> {
        if self.state() == RunState::Paused {
            return Err("the VM is paused; resume it first".into());
        }
        // The PC: the PIIX4's fixed-feature power button, through the SCI.
        if let Some(fw) = &self.machine.firmware {
            let taken = lock(&fw.pm_timer).press_power_button();
            let deadline = Instant::now() + wait;
            while Instant::now() < deadline {
                if taken.load(Ordering::SeqCst) {
                    return Ok(true);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            return Ok(false);
        }
        let acked = {
            let mut pm = lock(&self.acpi_pm);
            pm.press_power_button();
            pm.ged_acked.clone()
        };
        self.vm
            .set_irq_line(acpi::GED_IRQ, true)
            .and_then(|_| self.vm.set_irq_line(acpi::GED_IRQ, false))
            .map_err(|e| format!("raising the GED interrupt: {e}"))?;
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            if acked.load(Ordering::SeqCst) {
                return Ok(true);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(false)
    }

    pub fn status(&self) -> api::Status {
        api::Status {
            vm_id: self.config.id.clone(),
            name: self.config.name.clone(),
            state: self.state(),
            vcpus: self.config.vcpus,
            memory_mib: self.config.memory_mib,
            uptime_ms: self.started.elapsed().as_millis() as u64,
            pid: std::process::id(),
            started_unix_ms: self.started_unix_ms,
            hardware_virtualization: self.flavor.is_hardware(),
            warnings: self.warnings.clone(),
            confinement: crate::sandbox::current().map(|c| api::Confinement {
                seccomp: match c.seccomp {
                    crate::sandbox::SeccompMode::On => api::SeccompMode::On,
                    crate::sandbox::SeccompMode::Log => api::SeccompMode::Log,
                    crate::sandbox::SeccompMode::Off => api::SeccompMode::Off,
                },
                filters: c.filters as u32,
                landlock: match c.landlock {
                    Ok(v) => format!("abi v{v}"),
                    Err(why) => why,
                },
            }),
        }
    }

    pub fn counters(&self) -> api::Counters {
        let named = |v: [u64; vcpu::EXIT_NAMES.len()]| {
            vcpu::EXIT_NAMES
                .iter()
                .zip(v)
                .map(|(n, c)| (n.to_string(), c))
                .collect::<Vec<_>>()
        };
        let per: Vec<_> = self.counters.iter().map(|c| c.snapshot()).collect();
        let mut total = [0u64; vcpu::EXIT_NAMES.len()];
        for p in &per {
            for (t, x) in total.iter_mut().zip(p) {
                *t += x;
            }
        }
        // vCPU threads first: the process total read after them is never below their sum.
        let vcpu_cpu_us = lock(&self.threads)
            .iter()
            .map(|t| crate::usage::thread_cpu_us(t.as_pthread_t()))
            .collect();
        let (user, system) = crate::usage::process_cpu_us();
        api::Counters {
            uptime_ms: self.started.elapsed().as_millis() as u64,
            started_unix_ms: self.started_unix_ms,
            exits: named(total),
            per_vcpu: per.into_iter().map(named).collect(),
            dropped_events: self.serial_hub.dropped() + self.event_hub.dropped(),
            malformed_virtio_chains: self
                .machine
                .transports
                .iter()
                .map(|t| lock(t).device().malformed_chains())
                .sum(),
            nics: self.net_stats.iter().map(|s| s.snapshot()).collect(),
            process_user_us: user,
            process_system_us: system,
            vcpu_cpu_us,
            rss_bytes: crate::usage::rss_bytes(),
            guest_memory_bytes: self.config.memory_mib << 20,
            disks: self.disk_stats.iter().map(|s| s.snapshot()).collect(),
        }
    }

    /// Writes the current screen to `path` as PNG.
    pub fn screenshot(&self, path: &std::path::Path) -> Result<(), String> {
        let d = self
            .display
            .as_ref()
            .ok_or("this VM has no display (add a [display] section to its config)")?;
        screenshot(&*d.frame, path).map_err(|e| e.to_string())
    }

    /// Writes the screen scaled down to fit `max_w` × `max_h` as PNG; returns its size.
    pub fn thumbnail(
        &self,
        path: &std::path::Path,
        max_w: u32,
        max_h: u32,
    ) -> Result<(u32, u32), String> {
        let d = self
            .display
            .as_ref()
            .ok_or("this VM has no display (add a [display] section to its config)")?;
        crate::display::framebuffer::thumbnail(&*d.frame, max_w, max_h, path)
            .map_err(|e| e.to_string())
    }

    /// Asks a virtio-gpu display for another size (the API's `set-display-size`), within the
    /// config's limits for `display.width` and `display.height`.
    pub fn set_display_size(&self, width: u32, height: u32) -> Result<(), crate::api::ApiError> {
        use crate::api::{ApiError, ErrorCode};
        match (&self.gpu, &self.display) {
            (Some(g), _) => {
                let errs = crate::config::validate::validate_display_size(width, height);
                if let Some(e) = errs.first() {
                    return Err(ApiError::new(ErrorCode::BadRequest, e.to_string()));
                }
                g.set_size(width, height)
                    .map_err(|e| ApiError::new(ErrorCode::BadRequest, e))
            }
            (None, Some(_)) => Err(ApiError::new(
                ErrorCode::Failed,
                "this display cannot change size (display.kind = \"virtio-gpu\" can)",
            )),
            (None, None) => Err(ApiError::new(ErrorCode::Failed, "this VM has no display")),
        }
    }

    /// Types bytes into COM1; returns how many were dropped because the guest is not reading.
    pub fn serial_input(&self, bytes: &[u8]) -> usize {
        lock(&self.serial).queue_input(bytes)
    }
}

/// A built VM (see [`crate::builder`] for `Vmm::try_from(VmSpec)`), ready to [`Vmm::run`].
pub struct Vmm {
    pub(crate) handle: Arc<VmHandle>,
    pub(crate) vcpus: Vec<Arc<Mutex<VcpuFd>>>,
    pub(crate) exit_rx: Receiver<ExitReason>,
    // Kept alive for as long as the VM runs: KVM maps this memory into the guest.
    pub(crate) _mem: GuestMemoryMmap,
    /// A firmware machine's ROM, mapped by KVM like `_mem`.
    pub(crate) _firmware: Option<crate::arch::firmware::FirmwareRom>,
}

/// What snapshots need beyond the API-visible parts of a VM.
pub struct Machine {
    pub mem: GuestMemoryMmap,
    pub vcpus: Vec<Arc<Mutex<VcpuFd>>>,
    /// MSRs this host's KVM can save and restore.
    pub msrs: Vec<u32>,
    pub transports: Vec<Arc<Mutex<dyn VirtioTransport>>>,
    /// The disks' devices (virtio ones also among `transports`, SATA ones on the AHCI
    /// controller), in config order: snapshots switch their images.
    pub disks: Vec<MachineDisk>,
    pub vm_dir: PathBuf,
    /// The memory file guest RAM was last restored from (its pages count as touched in the
    /// next snapshot).
    pub memory_base: Mutex<Option<crate::snapshot::memory::Base>>,
    /// The BIOS machine's own devices (`None` on the Linux machine).
    pub firmware: Option<FirmwareDevices>,
}

/// A disk's device.
pub enum MachineDisk {
    Virtio(Arc<Mutex<Block>>),
    Sata(crate::devices::ahci::ata::SataDisk),
}

/// What a BIOS machine has besides the Linux machine's devices, kept for snapshots: the ROM's
/// identity (the ROM itself comes from its file) and the devices whose state they save. The
/// debug console has none (it only appends to `firmware.log`).
pub struct FirmwareDevices {
    pub rom: RomIdentity,
    pub fw_cfg: Arc<Mutex<FwCfg>>,
    pub cmos: Arc<Mutex<Cmos>>,
    /// The i440FX/PIIX configuration space (the PIIX4's PM base is in it).
    pub pci: Arc<Mutex<PciRoot>>,
    pub pm_timer: Arc<Mutex<AcpiPmTimer>>,
    /// PCI interrupt lines (INTx) by the PIIX3's routing.
    pub intx: Arc<crate::devices::pci::IntxRouter>,
    /// The AHCI controller, when the VM has CD-ROM drives or SATA disks.
    pub ahci: Option<Arc<Mutex<crate::devices::ahci::Ahci>>>,
    /// The 8042 with its PS/2 keyboard and mouse.
    pub ps2: Arc<Mutex<crate::devices::i8042::I8042Controller>>,
    /// The VGA, when the machine has a display.
    pub vga: Option<Arc<crate::devices::vga::Vga>>,
    /// A UEFI machine's code and variables flash (`rom` is then the code's identity).
    pub flash: Option<crate::devices::pflash::UefiFlash>,
}

impl Vmm {
    pub fn handle(&self) -> Arc<VmHandle> {
        self.handle.clone()
    }

    /// Starts the vCPUs and blocks until the VM ends; returns why. A reset ends the VM unless
    /// its exit sender resets in place; see `run_resetting`.
    pub fn run(self) -> ExitReason {
        self.run_resetting(|_| Err("this machine cannot reset in place".into()))
    }

    /// Like `run`, but when the machine resets in place (`ExitSender::set_resets_in_place`)
    /// a reset calls `on_reset`, which puts the machine back to its power-on state and lets
    /// the vCPUs go on; its error ends the VM.
    pub fn run_resetting(
        self,
        mut on_reset: impl FnMut(&VmHandle) -> Result<(), String>,
    ) -> ExitReason {
        if let Err(e) = vmm_sys_util::signal::register_signal_handler(
            vmm_sys_util::signal::SIGRTMIN(),
            vcpu::kick_handler,
        ) {
            return ExitReason::Error(format!("installing the vCPU kick signal handler: {e}"));
        }
        let h = &self.handle;
        crate::devices::serial::spawn_pump(&h.serial);
        if let (Some(fb), Some(d)) = (&h.framebuffer, &h.display) {
            spawn_damage_thread(h.vm.clone(), fb.clone(), d.damage.clone());
        }
        let vga = h.machine.firmware.as_ref().and_then(|f| f.vga.as_ref());
        if let (Some(vga), Some(d)) = (vga, &h.display) {
            crate::devices::vga::spawn_display_thread(
                h.vm.clone(),
                vga.clone(),
                d.damage.clone(),
                h.gpu
                    .clone()
                    .map(|g| Box::new(move || g.scanning_out()) as Box<dyn Fn() -> bool + Send>),
            );
        }
        for (i, v) in self.vcpus.iter().cloned().enumerate() {
            let ctx = VcpuContext {
                index: i,
                pio: h.pio.clone(),
                mmio: h.mmio.clone(),
                control: h.control.clone(),
                counters: h.counters[i].clone(),
                exit: h.exit.clone(),
                mem: h.machine.mem.clone(),
                probe: h.probes[i].clone(),
                log: h.exit_log.clone(),
            };
            match std::thread::Builder::new()
                .name(format!("vcpu{i}"))
                .spawn(move || {
                    crate::sandbox::confine(crate::sandbox::ThreadKind::Vcpu);
                    vcpu::run(v, ctx)
                }) {
                Ok(t) => lock(&h.threads).push(t),
                Err(e) => return ExitReason::Error(format!("spawning vCPU thread {i}: {e}")),
            }
        }
        let reason = loop {
            let reason = self
                .exit_rx
                .recv()
                .unwrap_or_else(|_| ExitReason::Error("every exit channel closed".into()));
            if !(reason.is_reset() && h.exit.resets_in_place()) {
                break reason;
            }
            crate::log_line!("vmdesk-vmm: {reason}: the firmware starts again");
            if let Err(e) = on_reset(h) {
                break ExitReason::Error(format!("resetting the machine: {e}"));
            }
            // Resets asked for while this one was under way (another vCPU's triple fault,
            // a second press of the button) are this one.
            let mut other = None;
            while let Ok(r) = self.exit_rx.try_recv() {
                if !r.is_reset() {
                    other = Some(r);
                    break;
                }
            }
            if let Some(r) = other {
                break r;
            }
        };
        *lock(&h.state) = RunState::Stopping;
        // The guest's last output (a line without its newline, writes still queued in KVM).
        lock(&h.serial).sync();
        // A UEFI machine's variables are on disk before the process ends.
        if let Some(f) = h.machine.firmware.as_ref().and_then(|fw| fw.flash.as_ref()) {
            if let Err(e) = lock(&f.vars).flush() {
                crate::log_line!(
                    "vmdesk-vmm: syncing UEFI variables {}: {e}",
                    f.vars_path.display()
                );
            }
        }
        h.event_hub.publish(Event::Exited {
            reason: reason.name().into(),
            code: reason.code(),
        });
        reason
    }
}
