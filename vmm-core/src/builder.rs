//! Turns a [`VmSpec`] into a [`Vmm`] ready to run, in named steps (the order matters where
//! noted):
//!
//! 1. `create_vm`: the KVM VM with its in-kernel irqchip and PIT.
//! 2. `guest_memory`: guest RAM, registered with KVM one memslot per range.
//! 3. `virtio_devices`: rng, disks, the screen's keyboard and tablet, NICs, in that fixed
//!    order (it decides their MMIO windows and interrupt pins, or their PCI slots).
//! 4. `load_guest`: boot tables, ACPI, the kernel and initrd; or, for a firmware machine
//!    (`kind = "bios"`), `load_firmware`: the ROM below 4 GiB and its top in the BIOS area.
//! 5. `legacy_devices`: serial, i8042, POST port and ACPI registers on the port-I/O bus (a
//!    firmware machine: the firmware debug console instead of the ACPI registers).
//! 6. `attach_virtio`: each virtio device behind its MMIO transport and irqfd; on a firmware
//!    machine `attach_virtio_pci`: each a virtio-pci function (INTx and MSI-X) on bus 0.
//! 7. `create_vcpus`: vCPUs with CPUID/MSRs; the boot vCPU gets the entry registers (or the
//!    reset state, for firmware).
//!
//! Devices are made here from the backends `storage` and `net` open, so those modules know
//! nothing of devices. The builder keeps typed handles to the disks it made ([`Machine::disks`]):
//! snapshots switch their images.

use crate::arch::boot_order;
use crate::arch::{acpi, boot, cpu, firmware, layout, pc_acpi};
use crate::config::{BootSource, DisplayKind, NicConfig, VmConfig};
use crate::devices::ahci::ata::{AtaDisk, SataDisk};
use crate::devices::ahci::{atapi::Medium, Ahci, ABAR_INDEX};
use crate::devices::cmos::{self, Cmos};
use crate::devices::debugcon::DebugConsole;
use crate::devices::fw_cfg::{self, FwCfg};
use crate::devices::i8042::sink::PcInputSink;
use crate::devices::i8042::{self, I8042Controller};
use crate::devices::legacy::{AcpiPm, PostPort, I8042};
use crate::devices::pci::intx::IrqLevels;
use crate::devices::pci::msi::GsiRouting;
use crate::devices::pci::{self, slots, IntxRouter, PciRoot};
use crate::devices::pflash::UefiFlash;
use crate::devices::serial::ring::CoalescedPort;
use crate::devices::serial::{SerialDevice, SerialOutput};
use crate::devices::vga::{self, Vga, VgaPci};
use crate::devices::virtio::block::{Block, BlockStats};
use crate::devices::virtio::gpu::{Gpu, GpuDisplay};
use crate::devices::virtio::input::{Input, InputKind, VirtioInputSink};
use crate::devices::virtio::mmio::{MmioTransport, MMIO_WINDOW};
use crate::devices::virtio::net::{Net, NetStats};
use crate::devices::virtio::pci::PciTransport;
use crate::devices::virtio::rng::Rng;
use crate::devices::virtio::transport::VirtioTransport;
use crate::devices::virtio::{VirtioDevice, VirtioInterrupt};
use crate::devices::Bus;
use crate::display::framebuffer::Framebuffer;
use crate::display::{DamageBus, DisplayHandle, FrameSource};
use crate::exit::ExitSender;
use crate::host::KvmFlavor;
use crate::hub::Hub;
use crate::net::DEFAULT_MTU;
use crate::util::lock;
use crate::vcpu::{ExitCounters, RunControl};
use crate::vmm::{FirmwareDevices, Machine, MachineDisk, VmHandle, Vmm};
use kvm_bindings::{kvm_pit_config, kvm_userspace_memory_region, KVM_PIT_SPEAKER_DUMMY};
use kvm_ioctls::{Cap, Kvm, VcpuFd, VmFd};
use std::path::{Path, PathBuf};
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use vm_memory::{GuestAddress, GuestMemoryBackend, GuestMemoryMmap, GuestMemoryRegion};
use vmm_sys_util::eventfd::EventFd;

mod pc;
use pc::{attach_virtio_pci, load_firmware, load_uefi, pc_devices, PcBuses, PcParts};

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
    #[error(transparent)]
    Firmware(#[from] firmware::FirmwareError),
    #[error("firmware log {0}: {1}")]
    FirmwareLog(PathBuf, std::io::Error),
    #[error("{0}")]
    Other(String),
}

impl TryFrom<VmSpec> for Vmm {
    type Error = BuildError;

    fn try_from(spec: VmSpec) -> Result<Vmm, BuildError> {
        let cfg = &spec.config;
        let vcpus_n =
            u8::try_from(cfg.vcpus).map_err(|_| BuildError::Other("vcpus: too many".into()))?;
        let kvm = Kvm::new().map_err(BuildError::OpenKvm)?;
        let firmware_path = cfg.boot.firmware();
        let vm = Arc::new(create_vm(&kvm, firmware_path.is_some())?);
        // The BIOS machine's screen is the VGA, which owns 0xa0000–0xbffff.
        let vga_machine = firmware_path.is_some() && cfg.display.is_some();
        let mem = guest_memory(&vm, cfg.memory_mib << 20, vga_machine)?;
        let mut virtio = virtio_devices(&spec, &vm, &mem)?;
        // The PC machine's virtio devices are PCI functions; only the Linux machine's are
        // virtio-mmio (and listed in its ACPI tables).
        let windows = match firmware_path {
            None => mmio_windows(virtio.devices.len())?,
            Some(_) => Vec::new(),
        };
        let mut flash = None;
        let (start, rom, rom_id) = match (&firmware_path, cfg.boot.uefi_vars(&spec.vm_dir)) {
            (None, _) => {
                let fb = virtio.framebuffer.as_deref();
                let entry = load_guest(cfg, &mem, vcpus_n, &windows, fb)?;
                (Start::Kernel(entry), None, None)
            }
            (Some(code), Some(vars)) => {
                let (f, id) = load_uefi(&kvm, &vm, &mem, code, &vars)?;
                flash = Some(f);
                (Start::Reset, None, Some(id))
            }
            (Some(path), None) => {
                let (rom, id) = load_firmware(&kvm, &vm, &mem, path)?;
                (Start::Reset, Some(rom), Some(id))
            }
        };

        let (exit_tx, exit_rx) = channel();
        let exit = ExitSender::new(exit_tx);
        let serial_hub = Arc::new(Hub::new(4096));
        let fb = virtio
            .framebuffer
            .as_ref()
            .map(|f| (f.gpa, f.size() as u64));
        let sata = std::mem::take(&mut virtio.sata);
        let firmware = rom_id.map(|rom| (rom, virtio.vga.clone(), sata, virtio.vga_gpu.is_some()));
        let mut mmio = Bus::default();
        if let Some(f) = &flash {
            let (code, vars) = (lock(&f.code).size(), lock(&f.vars).size());
            let (code_gpa, vars_gpa) = UefiFlash::layout(code, vars);
            mmio.insert("flash (UEFI code)", code_gpa, code, f.code.clone());
            mmio.insert("flash (UEFI variables)", vars_gpa, vars, f.vars.clone());
        }
        let mut legacy = legacy_devices(
            &spec,
            &vm,
            &mem,
            fb,
            &exit,
            &serial_hub,
            &mut mmio,
            firmware,
        )?;
        if let Some(fw) = legacy.firmware.as_mut() {
            fw.flash = flash;
        }
        let transports = match &legacy.firmware {
            None => attach_virtio(&vm, &mem, virtio.devices, &windows, &mut mmio)?,
            Some(pc) => attach_virtio_pci(
                &vm,
                &mem,
                (virtio.devices, virtio.vga_gpu.take()),
                pc,
                &mut legacy.bus,
                &mut mmio,
            )?,
        };
        let mut display = virtio.display;
        // The PC machine: keys go to PS/2 only, the pointer to PS/2 until the tablet's driver
        // is up (see `devices::i8042::sink`).
        if let (Some(d), Some(fw), Some(v)) = (&mut display, &legacy.firmware, virtio.virtio_input)
        {
            d.input = Arc::new(PcInputSink::new(fw.ps2.clone(), v));
        }
        let vcpus = create_vcpus(&kvm, &vm, vcpus_n, &start)?;

        // Config validation refuses 0 vCPUs; this keeps a bad config from panicking anyway.
        let boot_vcpu = vcpus
            .first()
            .ok_or_else(|| BuildError::Other("vcpus: at least one is needed".into()))?;
        let msrs = crate::snapshot::kvm_state::saveable_msrs(&kvm, &lock(boot_vcpu))
            .map_err(BuildError::Other)?;
        coalesce_serial(&kvm, &vm, &lock(boot_vcpu), &legacy.serial);
        let machine = Machine {
            mem: mem.clone(),
            vcpus: vcpus.clone(),
            msrs,
            transports,
            disks: virtio.disks,
            vm_dir: spec.vm_dir.clone(),
            memory_base: Mutex::new(None),
            firmware: legacy.firmware,
        };
        let started = Instant::now();
        let handle = Arc::new(VmHandle {
            warnings: virtio.warnings,
            net_stats: virtio.net_stats,
            disk_stats: virtio.disk_stats,
            machine,
            config: cfg.clone(),
            flavor: KvmFlavor::detect(),
            started,
            started_unix_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0),
            control: Arc::new(RunControl::default()),
            state: Mutex::new(crate::api::RunState::Running),
            counters: (0..vcpus_n)
                .map(|_| Arc::new(ExitCounters::default()))
                .collect(),
            serial_hub,
            event_hub: Arc::new(Hub::new(256)),
            serial: legacy.serial,
            acpi_pm: legacy.acpi_pm,
            vm,
            exit,
            display,
            framebuffer: virtio.framebuffer,
            gpu: virtio.gpu,
            threads: Mutex::new(Vec::new()),
            probes: (0..vcpus_n).map(|_| Arc::default()).collect(),
            exit_log: Arc::new(crate::exit_log::ExitLog::new(started)),
            pio: Arc::new(legacy.bus),
            mmio: Arc::new(mmio),
        });
        Ok(Vmm {
            handle,
            vcpus,
            exit_rx,
            _mem: mem,
            _firmware: rom,
        })
    }
}

/// The VGA's legacy window, which RAM leaves free on a machine with a VGA.
const VGA_WINDOW: (u64, u64) = (0xa0000, 0x20000);

/// Step 1: the VM, its TSS and identity map, the in-kernel irqchip and PIT. A firmware
/// machine puts KVM's pages below where its ROM may go.
fn create_vm(kvm: &Kvm, firmware: bool) -> Result<VmFd, BuildError> {
    let vm = kvm
        .create_vm()
        .map_err(|e| BuildError::Kvm("KVM_CREATE_VM", e))?;
    let (tss, identity) = if firmware {
        (layout::FIRMWARE_KVM_TSS, layout::FIRMWARE_KVM_IDENTITY_MAP)
    } else {
        (layout::KVM_TSS, layout::KVM_IDENTITY_MAP)
    };
    vm.set_tss_address(tss as usize)
        .map_err(|e| BuildError::Kvm("KVM_SET_TSS_ADDR", e))?;
    vm.set_identity_map_address(identity)
        .map_err(|e| BuildError::Kvm("KVM_SET_IDENTITY_MAP_ADDR", e))?;
    vm.create_irq_chip()
        .map_err(|e| BuildError::Kvm("KVM_CREATE_IRQCHIP", e))?;
    let pit = kvm_pit_config {
        flags: KVM_PIT_SPEAKER_DUMMY,
        ..Default::default()
    };
    vm.create_pit2(pit)
        .map_err(|e| BuildError::Kvm("KVM_CREATE_PIT2", e))?;
    Ok(vm)
}

/// Step 2: guest RAM, one memslot per range around the MMIO hole (slots 0..n; the
/// framebuffer's slot comes after them). With a VGA, RAM leaves its legacy window free.
fn guest_memory(vm: &VmFd, mem_bytes: u64, vga: bool) -> Result<GuestMemoryMmap, BuildError> {
    let mut ranges = layout::ram_ranges(mem_bytes);
    if vga {
        ranges = ranges
            .into_iter()
            .flat_map(|(a, s)| layout::split_around(a, s, VGA_WINDOW))
            .collect();
    }
    let regions = ranges
        .into_iter()
        .map(|(a, s)| {
            let m = huge_page_aligned_region(s as usize).map_err(BuildError::Memory)?;
            vm_memory::GuestRegionMmap::new(m, GuestAddress(a))
                .ok_or_else(|| BuildError::Memory(format!("region at {a:#x} overflows")))
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
    Ok(mem)
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

/// The virtio devices of a VM in bus order, plus what the VM handle keeps of them.
struct VirtioDevices {
    devices: Vec<Arc<Mutex<dyn VirtioDevice>>>,
    /// Every disk's device, in config order (the virtio ones are among `devices`).
    disks: Vec<MachineDisk>,
    /// The SATA disks' drives, for the AHCI controller (in config order).
    sata: Vec<AtaDisk>,
    disk_stats: Vec<Arc<BlockStats>>,
    net_stats: Vec<Arc<NetStats>>,
    display: Option<DisplayHandle>,
    /// The display's virtio keyboard and tablet; the PC machine puts PS/2 in front of them.
    virtio_input: Option<Arc<VirtioInputSink>>,
    framebuffer: Option<Arc<Framebuffer>>,
    /// The BIOS machine's screen, instead of `framebuffer`.
    vga: Option<Arc<Vga>>,
    /// The virtio-gpu's display side (`display.kind`): instead of `framebuffer` on the kernel
    /// machine, together with `vga` as virtio-vga on the PC.
    gpu: Option<GpuDisplay>,
    /// The PC's virtio-gpu, which goes on the bus as virtio-vga (with `vga`), not among
    /// `devices`.
    vga_gpu: Option<Arc<Mutex<dyn VirtioDevice>>>,
    warnings: Vec<String>,
}

/// Step 3: every virtio device, in the fixed order rng, disks, keyboard + tablet, NICs. Disks
/// are opened, checked and locked now, before anything runs.
fn virtio_devices(
    spec: &VmSpec,
    vm: &Arc<VmFd>,
    mem: &GuestMemoryMmap,
) -> Result<VirtioDevices, BuildError> {
    let cfg = &spec.config;
    let mut devices: Vec<Arc<Mutex<dyn VirtioDevice>>> = Vec::new();
    if cfg.virtio_rng {
        devices.push(Arc::new(Mutex::new(Rng::default())));
    }
    let opened = crate::storage::open_disks(&cfg.disks, &spec.vm_dir)
        .map_err(|e| BuildError::Other(e.to_string()))?;
    let (mut disks, mut sata, mut disk_stats) = (Vec::new(), Vec::new(), Vec::new());
    for (i, (d, c)) in opened.into_iter().zip(&cfg.disks).enumerate() {
        if c.is_sata() {
            if cfg.boot.firmware().is_none() {
                return Err(BuildError::Other(format!(
                    "disks[{i}].bus: SATA disks need a firmware machine ([boot] kind = \"bios\" \
                     or \"uefi\")"
                )));
            }
            let h = SataDisk::new(d.disk);
            disk_stats.push(h.stats());
            sata.push(AtaDisk::new(h.clone(), &d.serial));
            disks.push(MachineDisk::Sata(h));
        } else {
            let b = Block::new(d.disk, &d.serial)
                .map(|b| Arc::new(Mutex::new(b)))
                .map_err(|e| BuildError::Other(format!("disks[{i}]: {}: {e}", d.path.display())))?;
            disk_stats.push(lock(&b).stats());
            devices.push(b.clone() as Arc<Mutex<dyn VirtioDevice>>);
            disks.push(MachineDisk::Virtio(b));
        }
    }
    let mut virtio_input = None;
    let (mut gpu, mut gpu_dev, mut vga_gpu) = (None, None, None);
    let (display, framebuffer, vga) = match &cfg.display {
        Some(d) => {
            let virtio_gpu = d.kind == DisplayKind::VirtioGpu;
            crate::config::validate::validate_display_kind(cfg.boot.firmware().is_some(), d.kind)
                .map_err(|e| BuildError::Other(e.to_string()))?;
            let (frame, fb, vga): (Arc<dyn FrameSource>, _, _) = if cfg.boot.firmware().is_some() {
                // The PC's screen is its VGA (slots after the RAM's, the framebuffer's and
                // the ROM's); `pc_devices` puts it on the buses. With virtio-gpu the VGA is
                // virtio-vga's legacy half (`attach_virtio_pci`).
                let slot = mem.num_regions() as u32 + 2;
                let vga = Vga::new(Some(vm.clone()), slot, slot + 1).map_err(BuildError::Other)?;
                if virtio_gpu {
                    let (dev, display) = Gpu::new(d.width, d.height);
                    vga_gpu = Some(Arc::new(Mutex::new(dev)) as Arc<Mutex<dyn VirtioDevice>>);
                    gpu = Some(display.clone());
                    let screen = crate::devices::virtio::gpu::vga_screen::VgaGpuScreen {
                        vga: vga.clone(),
                        gpu: display,
                    };
                    (Arc::new(screen) as Arc<dyn FrameSource>, None, Some(vga))
                } else {
                    (vga.clone(), None, Some(vga))
                }
            } else if virtio_gpu {
                let (dev, display) = Gpu::new(d.width, d.height);
                gpu_dev = Some(Arc::new(Mutex::new(dev)));
                gpu = Some(display.clone());
                (Arc::new(display) as Arc<dyn FrameSource>, None, None)
            } else {
                // The framebuffer's memslot comes after the RAM slots.
                let slot = mem.num_regions() as u32;
                let fb = Arc::new(
                    Framebuffer::new(vm, slot, layout::FRAMEBUFFER_BASE, d.width, d.height)
                        .map_err(|e| BuildError::Other(e.to_string()))?,
                );
                (fb.clone(), Some(fb), None)
            };
            let (kbd, kbd_h) = Input::new(InputKind::Keyboard);
            let (tablet, tablet_h) = Input::new(InputKind::Tablet);
            devices.push(Arc::new(Mutex::new(kbd)));
            devices.push(Arc::new(Mutex::new(tablet)));
            // After the keyboard and tablet, so that adding it moves no other device.
            if let Some(g) = gpu_dev.take() {
                devices.push(g);
            }
            let mut input = VirtioInputSink::new(kbd_h, tablet_h, d.width, d.height);
            // Screens whose size the guest (VGA modes, virtio-gpu) or host changes.
            if vga.is_some() || virtio_gpu {
                input = input.following(frame.clone());
            }
            let sink = Arc::new(input);
            virtio_input = Some(sink.clone());
            let mut handle = DisplayHandle {
                frame,
                input: sink,
                damage: Arc::new(DamageBus::default()),
                resize: None,
                cursor: None,
            };
            // virtio-gpu's damage is its flushes: no polling thread, nothing while idle.
            if let Some(g) = &gpu {
                g.publish_damage_to(handle.damage.clone());
                // Clients may ask for sizes and draw the guest's pointer themselves.
                handle.resize = Some(Arc::new(crate::devices::virtio::gpu::GpuResize {
                    display: g.clone(),
                    width: crate::config::validate::DISPLAY_WIDTH,
                    height: crate::config::validate::DISPLAY_HEIGHT,
                }));
                handle.cursor = Some(Arc::new(g.clone()));
            }
            (Some(handle), fb, vga)
        }
        None => (None, None, None),
    };
    let mut nics = open_nics(&cfg.id, &cfg.nics).map_err(BuildError::Other)?;
    if cfg.boot.firmware().is_some() && !cfg.nics.is_empty() {
        // NICs are virtio-pci functions every guest finds, but the machine has no network
        // boot ROM (iPXE) for the firmware to boot from them.
        nics.warnings.push(
            "a BIOS machine's network interfaces work in the guest, but the firmware cannot \
             boot from the network (no network boot ROM)"
                .into(),
        );
    }
    for w in &nics.warnings {
        crate::log_line!("vmdesk-vmm: warning: {w}");
    }
    devices.extend(
        nics.devices
            .into_iter()
            .map(|n| Arc::new(Mutex::new(n)) as Arc<Mutex<dyn VirtioDevice>>),
    );
    Ok(VirtioDevices {
        devices,
        disks,
        sata,
        disk_stats,
        net_stats: nics.stats.into_iter().map(|(_, s)| s).collect(),
        display,
        virtio_input,
        framebuffer,
        vga,
        gpu,
        vga_gpu,
        warnings: nics.warnings,
    })
}

/// The NICs of one VM, ready to go on the virtio-mmio bus.
#[derive(Default)]
pub struct OpenedNics {
    /// One virtio-net device per NIC that could be started, in config order. Each owns its
    /// backend (passt process or slirp thread): dropping the device stops it.
    pub devices: Vec<Net>,
    /// The counters of each device in `devices`, same order, with the config index.
    pub stats: Vec<(usize, Arc<NetStats>)>,
    /// Problems that did not stop the VM (NICs left out), for the log and the API status.
    pub warnings: Vec<String>,
}

/// Starts one backend (passt or libslirp) per NIC ([`crate::net::start_nics`]) and builds a
/// virtio-net device on each. Call it from the thread that lives as long as the VM (passt dies
/// with that thread). Says on stderr (vmm.log) which backend each NIC got and why.
pub fn open_nics(vm_id: &str, nics: &[NicConfig]) -> Result<OpenedNics, String> {
    let started = crate::net::start_nics(vm_id, nics).map_err(|e| e.to_string())?;
    let mut out = OpenedNics {
        warnings: started.warnings,
        ..Default::default()
    };
    for note in &started.notes {
        crate::log_line!("vmdesk-vmm: network: {note}");
    }
    for n in started.nics {
        let label = n.label;
        let net = Net::new(n.mac, DEFAULT_MTU, n.stream, Some(n.guard), &label)
            .map_err(|e| format!("{label}: starting the device threads: {e}"))?;
        out.stats.push((n.index, net.stats()));
        out.devices.push(net);
    }
    Ok(out)
}

/// Each virtio device's MMIO window and interrupt pin, in bus order.
fn mmio_windows(count: usize) -> Result<Vec<acpi::MmioDeviceInfo>, BuildError> {
    if count > layout::VIRTIO_GSIS.len() {
        return Err(BuildError::Other(format!(
            "{count} virtio devices is more than the {} supported",
            layout::VIRTIO_GSIS.len()
        )));
    }
    Ok((0..count)
        .map(|i| acpi::MmioDeviceInfo {
            base: layout::VIRTIO_MMIO_BASE + i as u64 * MMIO_WINDOW,
            len: MMIO_WINDOW,
            gsi: layout::VIRTIO_GSIS[i],
        })
        .collect())
}

/// Step 4: MP/boot tables, ACPI tables (they list the virtio windows) and the Linux kernel;
/// returns where the boot vCPU starts.
fn load_guest(
    cfg: &VmConfig,
    mem: &GuestMemoryMmap,
    vcpus: u8,
    windows: &[acpi::MmioDeviceInfo],
    framebuffer: Option<&Framebuffer>,
) -> Result<boot::BootInfo, BuildError> {
    cpu::write_boot_tables(mem)?;
    let rsdp = acpi::write_tables(mem, vcpus, windows).map_err(BuildError::Acpi)?;
    let BootSource::Linux {
        kernel,
        initrd,
        cmdline,
    } = &cfg.boot
    else {
        return Err(BuildError::Other("not a direct kernel boot".into()));
    };
    Ok(boot::load_linux(
        mem,
        &boot::BootSpec {
            screen: framebuffer.map(|fb| boot::ScreenInfo {
                base: fb.gpa,
                size: fb.size() as u64,
                width: fb.width,
                height: fb.height,
                stride: fb.stride,
            }),
            kernel,
            initrd: initrd.as_deref(),
            cmdline,
            mem_bytes: cfg.memory_mib << 20,
            rsdp,
        },
    )?)
}

/// How the boot vCPU starts.
enum Start {
    /// At a kernel's entry point (Linux boot protocol or PVH).
    Kernel(boot::BootInfo),
    /// In the x86 reset state, running the firmware from `0xffff_fff0`.
    Reset,
}

/// The port-I/O bus and the devices on it the VM handle keeps.
struct LegacyDevices {
    bus: Bus,
    serial: Arc<Mutex<SerialDevice>>,
    acpi_pm: Arc<Mutex<AcpiPm>>,
    /// A firmware machine's chipset, CMOS and fw_cfg.
    firmware: Option<FirmwareDevices>,
}

/// Step 5: COM1 (with its log file and irqfd), the i8042 reset line, the POST port and the
/// ACPI registers. A firmware machine gets the firmware debug console (`firmware.log`) and not
/// our hardware-reduced ACPI registers: their ports belong to the chipset's power management
/// there, and the firmware knows nothing of them. `rom` is a firmware machine's ROM.
#[allow(clippy::too_many_arguments)]
fn legacy_devices(
    spec: &VmSpec,
    vm: &Arc<VmFd>,
    mem: &GuestMemoryMmap,
    framebuffer: Option<(u64, u64)>,
    exit: &ExitSender,
    serial_hub: &Arc<Hub<Vec<u8>>>,
    mmio: &mut Bus,
    // A firmware machine: its ROM and its VGA.
    firmware: Option<PcParts>,
) -> Result<LegacyDevices, BuildError> {
    let cfg = &spec.config;
    let log = match cfg.serial.log_path(&spec.vm_dir) {
        Some(path) => Some(
            crate::util::create_private_file(&path)
                .map_err(|e| BuildError::SerialLog(path.clone(), e))?,
        ),
        None => None,
    };
    let serial_irq = irqfd(vm, layout::ports::COM1_IRQ)?;
    let serial = Arc::new(Mutex::new(SerialDevice::new(
        serial_irq,
        SerialOutput::new(log, serial_hub.clone(), spec.console),
    )));
    let acpi_pm = Arc::new(Mutex::new(AcpiPm::new(exit.clone())));
    let mut bus = Bus::default();
    bus.insert(
        "serial (16550A) COM1",
        layout::ports::COM1.into(),
        8,
        serial.clone(),
    );
    bus.insert(
        "POST port",
        layout::ports::DEBUG.into(),
        1,
        Arc::new(Mutex::new(PostPort)),
    );
    let firmware = match firmware {
        Some((rom, vga, sata, virtio_vga)) => Some(pc_devices(
            spec,
            vm,
            mem,
            framebuffer,
            exit,
            PcBuses {
                pio: &mut bus,
                mmio,
            },
            rom,
            (vga, virtio_vga),
            sata,
        )?),
        None => {
            // The Linux machine's i8042 is only a reset line; the PC's is a full controller.
            bus.insert(
                "i8042 (reset line)",
                layout::ports::I8042_DATA.into(),
                5,
                Arc::new(Mutex::new(I8042::new(exit.clone()))),
            );
            bus.insert(
                "ACPI (sleep, reset)",
                layout::ports::ACPI_SLEEP_CONTROL.into(),
                4,
                acpi_pm.clone(),
            );
            None
        }
    };
    Ok(LegacyDevices {
        bus,
        serial,
        acpi_pm,
        firmware,
    })
}

/// Lets KVM queue COM1's transmit writes where it can (`devices::serial::ring`); without it
/// every write exits, as before.
fn coalesce_serial(kvm: &Kvm, vm: &Arc<VmFd>, vcpu: &VcpuFd, serial: &Arc<Mutex<SerialDevice>>) {
    if !kvm.check_extension(kvm_ioctls::Cap::CoalescedPio) {
        return;
    }
    match CoalescedPort::new(vm.clone(), vcpu, layout::ports::COM1) {
        Ok(p) => lock(serial).set_coalescer(Box::new(p)),
        Err(e) => crate::log_line!("vmdesk-vmm: serial: no coalesced I/O ring ({e})"),
    }
}

/// An eventfd that raises interrupt pin `gsi` in KVM when written.
fn irqfd(vm: &VmFd, gsi: u32) -> Result<EventFd, BuildError> {
    let evt =
        EventFd::new(libc::EFD_NONBLOCK).map_err(|e| BuildError::Other(format!("eventfd: {e}")))?;
    vm.register_irqfd(&evt, gsi)
        .map_err(|e| BuildError::Kvm("KVM_IRQFD", e))?;
    Ok(evt)
}

/// Step 6: each virtio device behind an MMIO transport at its window, with its irqfd.
fn attach_virtio(
    vm: &VmFd,
    mem: &GuestMemoryMmap,
    devices: Vec<Arc<Mutex<dyn VirtioDevice>>>,
    windows: &[acpi::MmioDeviceInfo],
    mmio: &mut Bus,
) -> Result<Vec<Arc<Mutex<dyn VirtioTransport>>>, BuildError> {
    let mut transports: Vec<Arc<Mutex<dyn VirtioTransport>>> = Vec::new();
    let names = crate::devices::virtio::numbered_names(&devices);
    for ((dev, w), name) in devices.into_iter().zip(windows).zip(names) {
        let irq = Arc::new(VirtioInterrupt::new(irqfd(vm, w.gsi)?));
        let t = Arc::new(Mutex::new(MmioTransport::new(dev, mem.clone(), irq)));
        transports.push(t.clone());
        mmio.insert(name, w.base, w.len, t);
    }
    Ok(transports)
}

/// Step 7: all vCPUs get CPUID/MSRs/LAPIC; only the boot vCPU gets registers. The others wait
/// in KVM for the guest's INIT/SIPI.
fn create_vcpus(
    kvm: &Kvm,
    vm: &VmFd,
    n: u8,
    start: &Start,
) -> Result<Vec<Arc<Mutex<VcpuFd>>>, BuildError> {
    let base_cpuid = cpu::supported_cpuid(kvm)?;
    let mut vcpus = Vec::new();
    for i in 0..n {
        let v = vm
            .create_vcpu(u64::from(i))
            .map_err(|e| BuildError::Kvm("KVM_CREATE_VCPU", e))?;
        cpu::setup_common(&v, &cpu::vcpu_cpuid(&base_cpuid, i, n))?;
        match (start, i) {
            (Start::Kernel(entry), 0) => cpu::setup_boot_vcpu(&v, entry.entry, entry.mode)?,
            (Start::Reset, 0) => firmware::setup_reset_vcpu(&v)?,
            (Start::Reset, _) => firmware::park_ap(&v)?,
            (Start::Kernel(_), _) => {}
        }
        vcpus.push(Arc::new(Mutex::new(v)));
    }
    Ok(vcpus)
}
