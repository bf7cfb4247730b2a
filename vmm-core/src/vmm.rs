//! `Vmm`: one VM, built from a [`VmConfig`] (`Vmm::try_from`), then run until the guest or the
//! API ends it.

use crate::api::{self, exit_code, Event, RunState};
use crate::arch::{acpi, boot, cpu, layout};
use crate::config::{BootSource, VmConfig};
use crate::devices::legacy::{AcpiPm, PostPort, I8042};
use crate::devices::serial::{SerialDevice, SerialOutput};
use crate::devices::virtio::input::{Input, InputKind, VirtioInputSink};
use crate::devices::virtio::mmio::{MmioTransport, MMIO_WINDOW};
use crate::devices::virtio::rng::Rng;
use crate::devices::virtio::{VirtioDevice, VirtioInterrupt};
use crate::devices::{lock, Bus};
use crate::display::framebuffer::{screenshot, spawn_damage_thread, Framebuffer};
use crate::display::{DamageBus, DisplayHandle};
use crate::host::KvmFlavor;
use crate::hub::Hub;
use crate::vcpu::{self, ExitCounters, RunControl, VcpuContext};
use kvm_bindings::{kvm_pit_config, kvm_userspace_memory_region, KVM_PIT_SPEAKER_DUMMY};
use kvm_ioctls::{Kvm, VcpuFd, VmFd};
use std::os::unix::thread::JoinHandleExt;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use vm_memory::{GuestAddress, GuestMemoryBackend, GuestMemoryMmap, GuestMemoryRegion};
use vmm_sys_util::eventfd::EventFd;
use vmm_sys_util::signal::Killable;

/// Why the VM ended.
#[derive(Debug, Clone, PartialEq)]
pub enum ExitReason {
    PowerOff,
    /// The guest asked for a reset (how).
    Reset(&'static str),
    /// The control API's `reset` (the reset button).
    ResetRequested,
    Crash(String),
    Killed,
    Error(String),
}

impl ExitReason {
    pub fn code(&self) -> i32 {
        match self {
            ExitReason::PowerOff => exit_code::POWER_OFF,
            ExitReason::Reset(_) | ExitReason::ResetRequested => exit_code::RESET,
            ExitReason::Crash(_) => exit_code::GUEST_CRASH,
            ExitReason::Killed => exit_code::KILLED,
            ExitReason::Error(_) => exit_code::VMM_ERROR,
        }
    }

    /// Short machine-readable name for the API.
    pub fn name(&self) -> &'static str {
        match self {
            ExitReason::PowerOff => "power-off",
            ExitReason::Reset(_) | ExitReason::ResetRequested => "reset",
            ExitReason::Crash(_) => "guest-crash",
            ExitReason::Killed => "killed",
            ExitReason::Error(_) => "vmm-error",
        }
    }
}

impl std::fmt::Display for ExitReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExitReason::PowerOff => write!(f, "the guest powered off"),
            ExitReason::Reset(how) => write!(f, "the guest asked for a reset ({how})"),
            ExitReason::Crash(what) => write!(f, "the guest crashed: {what}"),
            ExitReason::ResetRequested => write!(f, "reset through the control API"),
            ExitReason::Killed => write!(f, "killed through the control API"),
            ExitReason::Error(what) => write!(f, "VMM error: {what}"),
        }
    }
}

/// Where devices and the API report that the VM must end. Cheap to clone; never blocks.
#[derive(Clone)]
pub struct ExitSender(Sender<ExitReason>, Arc<std::sync::atomic::AtomicBool>);

impl ExitSender {
    pub fn new(tx: Sender<ExitReason>) -> Self {
        ExitSender(tx, Arc::new(std::sync::atomic::AtomicBool::new(false)))
    }

    /// Reports why the VM must end. From then on vCPUs stop running the guest (it asked to
    /// power off or reset: it must not run on while the process winds down).
    pub fn send(&self, r: ExitReason) {
        self.1.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = self.0.send(r);
    }

    pub fn is_ending(&self) -> bool {
        self.1.load(std::sync::atomic::Ordering::SeqCst)
    }
}

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
    pub machine: Machine,
    /// Problems that did not stop the VM (e.g. a NIC left out because passt is missing).
    pub warnings: Vec<String>,
    net_stats: Vec<Arc<crate::devices::virtio::net::NetStats>>,
    disk_stats: Vec<Arc<crate::devices::virtio::block::BlockStats>>,
    /// vCPU threads, in vCPU order (they run until the process ends).
    threads: Mutex<Vec<JoinHandle<()>>>,
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
        self.control.resume();
        self.set_state(RunState::Running);
        Ok(())
    }

    /// Presses the ACPI power button and waits up to `wait` for the guest to read the event.
    pub fn power_button(&self, wait: Duration) -> Result<bool, String> {
        if self.state() == RunState::Paused {
            return Err("the VM is paused; resume it first".into());
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
            nics: self
                .net_stats
                .iter()
                .map(|s| serde_json::to_value(s.snapshot()).unwrap_or_default())
                .collect(),
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

    /// Types bytes into COM1; returns how many were dropped because the guest is not reading.
    pub fn serial_input(&self, bytes: &[u8]) -> usize {
        lock(&self.serial).queue_input(bytes)
    }
}

/// How to run a VM: the config plus where its files go.
pub struct VmSpec {
    pub config: VmConfig,
    /// The VM's folder (serial log lives here).
    pub vm_dir: PathBuf,
    /// Echo the serial console on stdout.
    pub console: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("cannot open /dev/kvm: {0} (is the user in group 'kvm'?)")]
    OpenKvm(kvm_ioctls::Error),
    #[error("{0}: {1}")]
    Kvm(&'static str, kvm_ioctls::Error),
    #[error("guest memory: {0}")]
    Memory(String),
    #[error(transparent)]
    Boot(#[from] boot::BootError),
    #[error("vCPU set-up: {0}")]
    Cpu(#[from] cpu::CpuError),
    #[error("ACPI: {0}")]
    Acpi(String),
    #[error("serial log {0}: {1}")]
    SerialLog(PathBuf, std::io::Error),
    #[error("{0}")]
    Other(String),
}

pub struct Vmm {
    handle: Arc<VmHandle>,
    vcpus: Vec<Arc<Mutex<VcpuFd>>>,
    pio: Arc<Bus>,
    mmio: Arc<Bus>,
    exit_rx: Receiver<ExitReason>,
    // Kept alive for as long as the VM runs: KVM maps this memory into the guest.
    _mem: GuestMemoryMmap,
}

/// Anonymous guest RAM starting on a 2 MiB boundary, with transparent huge pages requested:
/// only then can KVM map the guest with 2 MiB pages. vm-memory's own allocation is merely
/// page-aligned, which cost a real Linux boot ~28,000 extra exits (measured in the nested lab).
fn huge_page_aligned_region(size: usize) -> Result<vm_memory::MmapRegion<()>, String> {
    const ALIGN: usize = 2 << 20;
    let prot = libc::PROT_READ | libc::PROT_WRITE;
    let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE;
    // SAFETY: a fresh anonymous mapping; we trim it to an aligned window and keep that part for
    // the life of the process (the region does not own it and never unmaps it).
    unsafe {
        let raw = libc::mmap(std::ptr::null_mut(), size + ALIGN, prot, flags, -1, 0);
        if raw == libc::MAP_FAILED {
            return Err(format!(
                "cannot reserve {} MiB of guest memory: {}",
                size >> 20,
                std::io::Error::last_os_error()
            ));
        }
        let base = raw as usize;
        let start = (base + ALIGN - 1) & !(ALIGN - 1);
        if start > base {
            libc::munmap(raw, start - base);
        }
        let tail = base + size + ALIGN - (start + size);
        if tail > 0 {
            libc::munmap((start + size) as *mut libc::c_void, tail);
        }
        // Best effort: without THP the guest still runs, with 4 KiB pages.
        libc::madvise(start as *mut libc::c_void, size, libc::MADV_HUGEPAGE);
        vm_memory::MmapRegion::build_raw(start as *mut u8, size, prot, flags)
            .map_err(|e| format!("guest memory: {e}"))
    }
}

/// What snapshots need beyond the API-visible parts of a VM.
pub struct Machine {
    pub mem: GuestMemoryMmap,
    pub vcpus: Vec<Arc<Mutex<VcpuFd>>>,
    /// MSRs this host's KVM can save and restore.
    pub msrs: Vec<u32>,
    pub transports: Vec<Arc<Mutex<MmioTransport>>>,
    pub vm_dir: PathBuf,
    /// Index of the memory file guest RAM was last restored from (its pages count as
    /// touched in the next snapshot).
    pub memory_base: Mutex<Option<crate::snapshot::memory::MemoryIndex>>,
}

impl TryFrom<VmSpec> for Vmm {
    type Error = BuildError;

    fn try_from(spec: VmSpec) -> Result<Vmm, BuildError> {
        let cfg = &spec.config;
        let kvm = Kvm::new().map_err(BuildError::OpenKvm)?;
        let vm = kvm
            .create_vm()
            .map_err(|e| BuildError::Kvm("KVM_CREATE_VM", e))?;
        vm.set_tss_address(layout::KVM_TSS as usize)
            .map_err(|e| BuildError::Kvm("KVM_SET_TSS_ADDR", e))?;
        vm.set_identity_map_address(layout::KVM_IDENTITY_MAP)
            .map_err(|e| BuildError::Kvm("KVM_SET_IDENTITY_MAP_ADDR", e))?;
        vm.create_irq_chip()
            .map_err(|e| BuildError::Kvm("KVM_CREATE_IRQCHIP", e))?;
        let pit = kvm_pit_config {
            flags: KVM_PIT_SPEAKER_DUMMY,
            ..Default::default()
        };
        vm.create_pit2(pit)
            .map_err(|e| BuildError::Kvm("KVM_CREATE_PIT2", e))?;

        // Guest RAM, one memslot per range around the MMIO hole.
        let mem_bytes = cfg.memory_mib << 20;
        let ranges: Vec<(GuestAddress, usize)> = layout::ram_ranges(mem_bytes)
            .into_iter()
            .map(|(a, s)| (GuestAddress(a), s as usize))
            .collect();
        let regions = ranges
            .iter()
            .map(|&(gpa, size)| {
                let m = huge_page_aligned_region(size).map_err(BuildError::Memory)?;
                vm_memory::GuestRegionMmap::new(m, gpa)
                    .ok_or_else(|| BuildError::Memory(format!("region at {:#x} overflows", gpa.0)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mem = GuestMemoryMmap::<()>::from_regions(regions)
            .map_err(|e| BuildError::Memory(e.to_string()))?;
        for (slot, region) in mem.iter().enumerate() {
            let r = kvm_userspace_memory_region {
                slot: slot as u32,
                flags: 0,
                guest_phys_addr: region.start_addr().0,
                memory_size: region.len(),
                userspace_addr: region.as_ptr() as u64,
            };
            // SAFETY: the region is a live mmap owned by `mem`, which outlives the VM (stored
            // in Vmm and never dropped before the process exits).
            unsafe { vm.set_user_memory_region(r) }
                .map_err(|e| BuildError::Kvm("KVM_SET_USER_MEMORY_REGION", e))?;
        }

        // virtio-mmio devices: windows and interrupt pins, in a fixed order.
        let mut virtio_devs: Vec<Box<dyn VirtioDevice>> = Vec::new();
        if cfg.virtio_rng {
            virtio_devs.push(Box::new(Rng::default()));
        }
        // Disks: opened, checked and locked now, before anything runs.
        virtio_devs.extend(
            crate::storage::open_disks(&cfg.disks, &spec.vm_dir)
                .map_err(|e| BuildError::Other(e.to_string()))?,
        );
        let disk_stats: Vec<_> = virtio_devs
            .iter()
            .filter_map(|d| d.as_block().map(|b| b.stats()))
            .collect();
        // The screen: framebuffer memslot after the RAM slots, plus a keyboard and a tablet.
        let vm = Arc::new(vm);
        let mut display = None;
        let mut framebuffer = None;
        if let Some(d) = &cfg.display {
            let slot = mem.num_regions() as u32;
            let fb = Arc::new(
                Framebuffer::new(&vm, slot, layout::FRAMEBUFFER_BASE, d.width, d.height)
                    .map_err(|e| BuildError::Other(e.to_string()))?,
            );
            let (kbd, kbd_h) = Input::new(InputKind::Keyboard);
            let (tablet, tablet_h) = Input::new(InputKind::Tablet);
            virtio_devs.push(Box::new(kbd));
            virtio_devs.push(Box::new(tablet));
            display = Some(DisplayHandle {
                frame: fb.clone(),
                input: Arc::new(VirtioInputSink::new(kbd_h, tablet_h, d.width, d.height)),
                damage: Arc::new(DamageBus::default()),
            });
            framebuffer = Some(fb);
        }
        // Network interfaces, each a virtio-net device with its own passt (crate::net).
        let nics = crate::net::open_nics(&cfg.id, &cfg.nics)
            .map_err(|e| BuildError::Other(e.to_string()))?;
        for w in &nics.warnings {
            eprintln!("vmdesk-vmm: warning: {w}");
        }
        virtio_devs.extend(nics.devices);
        let warnings = nics.warnings;
        let net_stats: Vec<_> = nics.stats.into_iter().map(|(_, s)| s).collect();
        if virtio_devs.len() > layout::VIRTIO_GSIS.len() {
            return Err(BuildError::Other(format!(
                "{} virtio devices is more than the {} supported",
                virtio_devs.len(),
                layout::VIRTIO_GSIS.len()
            )));
        }
        let virtio_info: Vec<acpi::MmioDeviceInfo> = (0..virtio_devs.len())
            .map(|i| acpi::MmioDeviceInfo {
                base: layout::VIRTIO_MMIO_BASE + i as u64 * MMIO_WINDOW,
                len: MMIO_WINDOW,
                gsi: layout::VIRTIO_GSIS[i],
            })
            .collect();

        // Boot structures.
        cpu::write_boot_tables(&mem)?;
        let vcpus_n =
            u8::try_from(cfg.vcpus).map_err(|_| BuildError::Other("vcpus: too many".into()))?;
        let rsdp = acpi::write_tables(&mem, vcpus_n, &virtio_info).map_err(BuildError::Acpi)?;
        let BootSource::Linux {
            kernel,
            initrd,
            cmdline,
        } = &cfg.boot;
        let info = boot::load_linux(
            &mem,
            &boot::BootSpec {
                screen: framebuffer.as_ref().map(|fb| boot::ScreenInfo {
                    base: fb.gpa,
                    size: fb.size() as u64,
                    width: fb.width,
                    height: fb.height,
                    stride: fb.stride,
                }),
                kernel,
                initrd: initrd.as_deref(),
                cmdline,
                mem_bytes,
                rsdp,
            },
        )?;

        // Devices.
        let (exit_tx, exit_rx) = channel();
        let exit = ExitSender::new(exit_tx);
        let serial_hub = Arc::new(Hub::new(4096));
        let event_hub = Arc::new(Hub::new(256));
        let log = if cfg.serial.log {
            let path = match &cfg.serial.log_file {
                Some(p) if p.is_absolute() => p.clone(),
                Some(p) => spec.vm_dir.join(p),
                None => spec.vm_dir.join("serial.log"),
            };
            Some(std::fs::File::create(&path).map_err(|e| BuildError::SerialLog(path.clone(), e))?)
        } else {
            None
        };
        let serial_irq = EventFd::new(libc::EFD_NONBLOCK)
            .map_err(|e| BuildError::Other(format!("eventfd: {e}")))?;
        vm.register_irqfd(&serial_irq, layout::ports::COM1_IRQ)
            .map_err(|e| BuildError::Kvm("KVM_IRQFD", e))?;
        let serial = Arc::new(Mutex::new(SerialDevice::new(
            serial_irq,
            SerialOutput {
                log,
                hub: serial_hub.clone(),
                console: spec.console,
            },
        )));
        let acpi_pm = Arc::new(Mutex::new(AcpiPm::new(exit.clone())));
        let mut bus = Bus::default();
        bus.insert(layout::ports::COM1.into(), 8, serial.clone());
        bus.insert(
            layout::ports::I8042_DATA.into(),
            5,
            Arc::new(Mutex::new(I8042::new(exit.clone()))),
        );
        bus.insert(
            layout::ports::DEBUG.into(),
            1,
            Arc::new(Mutex::new(PostPort)),
        );
        bus.insert(layout::ports::ACPI_SLEEP_CONTROL.into(), 4, acpi_pm.clone());
        let mut mmio = Bus::default();
        let mut transports = Vec::new();
        for (dev, info) in virtio_devs.into_iter().zip(&virtio_info) {
            let evt = EventFd::new(libc::EFD_NONBLOCK)
                .map_err(|e| BuildError::Other(format!("eventfd: {e}")))?;
            vm.register_irqfd(&evt, info.gsi)
                .map_err(|e| BuildError::Kvm("KVM_IRQFD", e))?;
            let irq = Arc::new(VirtioInterrupt::new(evt));
            let t = Arc::new(Mutex::new(MmioTransport::new(dev, mem.clone(), irq)));
            transports.push(t.clone());
            mmio.insert(info.base, info.len, t);
        }

        // vCPUs: all get CPUID/MSRs/LAPIC; only the boot vCPU gets registers. The others wait
        // in KVM for the guest's INIT/SIPI.
        let base_cpuid = cpu::supported_cpuid(&kvm)?;
        let mut vcpus = Vec::new();
        for i in 0..vcpus_n {
            let v = vm
                .create_vcpu(u64::from(i))
                .map_err(|e| BuildError::Kvm("KVM_CREATE_VCPU", e))?;
            cpu::setup_common(&v, &cpu::vcpu_cpuid(&base_cpuid, i, vcpus_n))?;
            if i == 0 {
                cpu::setup_boot_vcpu(&v, info.entry, info.mode)?;
            }
            vcpus.push(Arc::new(Mutex::new(v)));
        }

        let msrs = crate::snapshot::kvm_state::saveable_msrs(&kvm, &lock(&vcpus[0]))
            .map_err(BuildError::Other)?;
        let machine = Machine {
            mem: mem.clone(),
            vcpus: vcpus.clone(),
            msrs,
            transports,
            vm_dir: spec.vm_dir.clone(),
            memory_base: Mutex::new(None),
        };
        let handle = Arc::new(VmHandle {
            warnings,
            net_stats,
            disk_stats,
            machine,
            config: cfg.clone(),
            flavor: KvmFlavor::detect(),
            started: Instant::now(),
            started_unix_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0),
            control: Arc::new(RunControl::default()),
            state: Mutex::new(RunState::Running),
            counters: (0..vcpus_n)
                .map(|_| Arc::new(ExitCounters::default()))
                .collect(),
            serial_hub,
            event_hub,
            serial,
            acpi_pm,
            vm: vm.clone(),
            exit,
            display,
            framebuffer,
            threads: Mutex::new(Vec::new()),
        });
        Ok(Vmm {
            handle,
            vcpus,
            pio: Arc::new(bus),
            mmio: Arc::new(mmio),
            exit_rx,
            _mem: mem,
        })
    }
}

impl Vmm {
    pub fn handle(&self) -> Arc<VmHandle> {
        self.handle.clone()
    }

    /// Loads snapshot `id` into the VM before [`Vmm::run`]: the VM continues from it. Call it
    /// before the control API serves requests, so nothing (serial input, say) reaches devices
    /// whose state the restore then overwrites.
    pub fn restore(&self, id: &str) -> Result<(), String> {
        crate::snapshot::restore_at_start(&self.handle, id)
            .map(|_| ())
            .map_err(|e| format!("restoring snapshot {id}: {e}"))
    }

    /// Starts the vCPUs and blocks until the VM ends; returns why.
    pub fn run(self) -> ExitReason {
        if let Err(e) = vmm_sys_util::signal::register_signal_handler(
            vmm_sys_util::signal::SIGRTMIN(),
            vcpu::kick_handler,
        ) {
            return ExitReason::Error(format!("installing the vCPU kick signal handler: {e}"));
        }
        let h = &self.handle;
        if let (Some(fb), Some(d)) = (&h.framebuffer, &h.display) {
            spawn_damage_thread(h.vm.clone(), fb.clone(), d.damage.clone());
        }
        for (i, v) in self.vcpus.iter().cloned().enumerate() {
            let ctx = VcpuContext {
                index: i,
                pio: self.pio.clone(),
                mmio: self.mmio.clone(),
                control: h.control.clone(),
                counters: h.counters[i].clone(),
                exit: h.exit.clone(),
            };
            match std::thread::Builder::new()
                .name(format!("vcpu{i}"))
                .spawn(move || vcpu::run(v, ctx))
            {
                Ok(t) => lock(&h.threads).push(t),
                Err(e) => return ExitReason::Error(format!("spawning vCPU thread {i}: {e}")),
            }
        }
        let reason = self
            .exit_rx
            .recv()
            .unwrap_or_else(|_| ExitReason::Error("every exit channel closed".into()));
        *lock(&h.state) = RunState::Stopping;
        h.event_hub.publish(Event::Exited {
            reason: reason.name().into(),
            code: reason.code(),
        });
        reason
    }
}
