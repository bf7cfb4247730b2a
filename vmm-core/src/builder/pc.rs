//! The PC machine's build steps (`kind = "bios"` and `"uefi"`): its firmware in ROM or flash
//! below 4 GiB, the chipset with what hangs off it (CMOS, fw_cfg with the ACPI tables, boot
//! order and VGA BIOS, the i8042, the debug console, AHCI, the VGA), and the virtio devices
//! as PCI functions. Split from `builder` by machine; it shares the parent's imports.

use super::*;

/// Step 4 of a firmware machine: the ROM read-only at the top of 4 GiB (its memslot after the
/// RAM's and the framebuffer's) and its top 128 KiB in RAM below 1 MiB. Its tables come
/// through fw_cfg (`pc_devices`): e820, and ACPI that the firmware installs itself. Also returns
/// the image's identity, which snapshots keep.
pub(super) fn load_firmware(
    kvm: &Kvm,
    vm: &VmFd,
    mem: &GuestMemoryMmap,
    path: &Path,
) -> Result<(firmware::FirmwareRom, firmware::RomIdentity), BuildError> {
    let image = firmware::read_image(path)?;
    let id = firmware::RomIdentity::of(path, &image);
    let slot = mem.num_regions() as u32 + 1;
    let rom = firmware::map_rom(kvm, vm, slot, &image)?;
    if !rom.read_only {
        crate::log_line!(
            "vmdesk-vmm: warning: KVM cannot map read-only memory; the firmware ROM is writable"
        );
    }
    firmware::copy_shadow(mem, &image)?;
    Ok((rom, id))
}

/// Step 4 of a UEFI machine: the code and variables flash devices at the top of 4 GiB (their
/// memslots after the RAM's and the framebuffer's; see [`UefiFlash::open`]), the variables
/// file made from Debian's template on first start.
pub(super) fn load_uefi(
    kvm: &Kvm,
    vm: &Arc<VmFd>,
    mem: &GuestMemoryMmap,
    code: &Path,
    vars: &Path,
) -> Result<(UefiFlash, firmware::RomIdentity), BuildError> {
    let slot = mem.num_regions() as u32 + 1;
    let read_only = kvm.check_extension(Cap::ReadonlyMem);
    let template = Path::new(crate::config::UEFI_VARS_TEMPLATE);
    Ok(UefiFlash::open(vm, slot, read_only, code, vars, template)?)
}

/// What a PC firmware looks for on the port-I/O bus: the firmware debug console
/// (`firmware.log`), the i440FX/PIIX configuration space (and reset control at 0xcf9) with
/// the PM timer wherever the guest puts the PIIX4's PM block, the CMOS with the memory sizes and CPU count, and fw_cfg (the
/// e820 map, CPU count, COM1 as SeaBIOS's text console, and the ACPI tables with their loader),
/// and the i8042 with its PS/2 keyboard and mouse.
#[allow(clippy::too_many_arguments)]
pub(super) fn pc_devices(
    spec: &VmSpec,
    vm: &Arc<VmFd>,
    mem: &GuestMemoryMmap,
    framebuffer: Option<(u64, u64)>,
    exit: &ExitSender,
    buses: PcBuses,
    rom: firmware::RomIdentity,
    (vga, virtio_vga): (Option<Arc<Vga>>, bool),
    sata: Vec<AtaDisk>,
) -> Result<FirmwareDevices, BuildError> {
    let PcBuses { pio: bus, mmio } = buses;
    let cfg = &spec.config;
    let ram = cfg.memory_mib << 20;
    let vcpus =
        u16::try_from(cfg.vcpus).map_err(|_| BuildError::Other("vcpus: too many".into()))?;
    let mut fw = FwCfg::for_pc(
        mem.clone(),
        vcpus,
        ram,
        &layout::firmware_e820(ram, framebuffer),
    )
    .map_err(|e| BuildError::Other(e.to_string()))?;
    // ACPI through the table loader: the firmware installs the tables (virtio devices are
    // PCI functions, found by scanning the bus, not listed there).
    let vcpus_u8 =
        u8::try_from(cfg.vcpus).map_err(|_| BuildError::Other("vcpus: too many".into()))?;
    let acpi_files = pc_acpi::pc_tables(vcpus_u8).map_err(BuildError::Acpi)?;
    for (name, bytes) in [
        (pc_acpi::TABLES_FILE, acpi_files.tables),
        (pc_acpi::RSDP_FILE, acpi_files.rsdp),
        (pc_acpi::LOADER_FILE, acpi_files.loader),
    ] {
        fw.add_file(name, bytes)
            .map_err(|e| BuildError::Other(e.to_string()))?;
    }
    fw.add_file("bootorder", boot_order_file(cfg))
        .map_err(|e| BuildError::Other(e.to_string()))?;
    // SeaBIOS runs a PCI VGA's option ROM from fw_cfg file `pci<vendor>,<device>.rom`; OVMF
    // has its own driver. virtio-vga's VGA half is a std-vga: the same ROM under its ID.
    if let (Some(_), Some(path)) = (&vga, cfg.boot.vga_rom()) {
        let image = crate::util::read_regular(&path, 16 << 20).map_err(|e| {
            BuildError::Other(format!(
                "boot.vga_rom: {}: {e} (the default VGA BIOS comes with the Debian package \
                 seabios)",
                path.display()
            ))
        })?;
        let file = if virtio_vga {
            vga::VIRTIO_VGA_ROM_FILE
        } else {
            vga::ROM_FILE
        };
        fw.add_file(file, image)
            .map_err(|e| BuildError::Other(e.to_string()))?;
    }
    let fw_cfg = Arc::new(Mutex::new(fw));
    bus.insert(
        "fw_cfg",
        fw_cfg::PORT_BASE,
        fw_cfg::PORT_LEN,
        fw_cfg.clone(),
    );
    let path = spec.vm_dir.join("firmware.log");
    let con = DebugConsole::create(&path).map_err(|e| BuildError::FirmwareLog(path, e))?;
    bus.insert(
        "debug console",
        layout::ports::FIRMWARE_DEBUG.into(),
        1,
        Arc::new(Mutex::new(con)),
    );
    // PCI interrupts: PIIX3 PIRQ routing for firmware, IOAPIC 16–19 for ACPI guests (the
    // DSDT's `_PRT` says so).
    let intx = IntxRouter::new(vm.clone() as Arc<dyn IrqLevels>);
    let chipset = PciRoot::i440fx_with_intx(exit.clone(), Some(intx.clone())).register(bus);
    // The PM block's SCI (the power button) on IRQ 9.
    lock(&chipset.pm_timer).set_sci(vm.clone() as Arc<dyn IrqLevels>);
    let ahci = ahci_controller(spec, mem, sata, &intx, &chipset.root, bus, mmio)?;
    let (mut low, mut high) = (0, 0);
    for (start, size) in layout::ram_ranges(ram) {
        if start < layout::MMIO_HOLE_END {
            low += size;
        } else {
            high += size;
        }
    }
    if let Some(vga) = &vga {
        add_vga(vga, !virtio_vga, &chipset.root, bus, mmio).map_err(BuildError::Other)?;
    }
    let cmos = Arc::new(Mutex::new(Cmos::new(low, high, cfg.vcpus)));
    bus.insert(
        "CMOS/RTC",
        cmos::PORT_BASE.into(),
        cmos::PORT_LEN,
        cmos.clone(),
    );
    // The 8042 with a PS/2 keyboard and mouse on ISA IRQs 1 and 12.
    let ps2 = Arc::new(Mutex::new(I8042Controller::new(
        vm.clone() as Arc<dyn IrqLevels>,
        exit.clone(),
    )));
    bus.insert(
        "i8042 (PS/2)",
        i8042::PORT_BASE.into(),
        i8042::PORT_LEN,
        ps2.clone(),
    );
    Ok(FirmwareDevices {
        rom,
        fw_cfg,
        cmos,
        pci: chipset.root,
        pm_timer: chipset.pm_timer,
        intx,
        ahci,
        ps2,
        vga,
        flash: None,
    })
}

/// The AHCI controller with the `[[cdroms]]` drives on its first ports and the SATA disks on
/// the next (none without either). Errors name the image that cannot be opened.
fn ahci_controller(
    spec: &VmSpec,
    mem: &GuestMemoryMmap,
    sata: Vec<AtaDisk>,
    intx: &Arc<IntxRouter>,
    root: &Arc<Mutex<PciRoot>>,
    pio: &mut Bus,
    mmio: &mut Bus,
) -> Result<Option<Arc<Mutex<Ahci>>>, BuildError> {
    let cdroms = &spec.config.cdroms;
    if cdroms.is_empty() && sata.is_empty() {
        return Ok(None);
    }
    let mut media = Vec::new();
    for (i, c) in cdroms.iter().enumerate() {
        let medium = match &c.path {
            Some(p) => Some(
                Medium::open(&spec.vm_dir.join(p))
                    .map_err(|e| BuildError::Other(format!("cdroms[{i}].path: {e}")))?,
            ),
            None => None,
        };
        media.push(medium);
    }
    let mut dev = Ahci::with_disks(mem.clone(), media, sata).map_err(BuildError::Other)?;
    dev.set_irq(intx.pin(slots::AHCI, 1).map_err(BuildError::Other)?);
    let dev = Arc::new(Mutex::new(dev));
    lock(&dev)
        .bars()
        .register_one(ABAR_INDEX, "AHCI (ICH9)", pio, mmio, dev.clone())
        .map_err(BuildError::Other)?;
    lock(root)
        .add(slots::AHCI, 0, dev.clone())
        .map_err(BuildError::Other)?;
    Ok(Some(dev))
}

/// fw_cfg's `bootorder`: the CD-ROM drives and the disks (virtio-pci or SATA) in the
/// configured order, disks in config order.
pub(super) fn boot_order_file(cfg: &crate::config::VmConfig) -> Vec<u8> {
    let cdroms: Vec<String> = (0..cfg.cdroms.len())
        .map(|i| boot_order::ahci_drive(slots::AHCI, i))
        .collect();
    // Virtio disks follow the rng in the virtio device order (see `virtio_devices`), one PCI
    // slot each from `slots::VIRTIO_FIRST` (see `attach_virtio_pci`); SATA disks take the AHCI
    // ports after the CD-ROM drives.
    let mut next_virtio = usize::from(cfg.virtio_rng);
    let mut next_port = cfg.cdroms.len();
    let mut disks = Vec::new();
    for d in &cfg.disks {
        if d.is_sata() {
            disks.push(boot_order::ahci_drive(slots::AHCI, next_port));
            next_port += 1;
        } else {
            if let Some(slot) = u8::try_from(next_virtio)
                .ok()
                .and_then(|i| slots::VIRTIO_FIRST.checked_add(i))
            {
                disks.push(boot_order::virtio_pci_disk(slot));
            }
            next_virtio += 1;
        }
    }
    boot_order::bootorder(&cfg.boot_order(), &cdroms, &disks)
}

/// The VGA at `pci::slots::VGA`: its fixed ports and legacy window, and with `function`
/// the std-vga's PCI function with BAR2 on the MMIO bus (virtio-vga's function comes with the
/// virtio devices: `attach_virtio_pci`).
fn add_vga(
    vga: &Arc<Vga>,
    function: bool,
    root: &Arc<Mutex<PciRoot>>,
    pio: &mut Bus,
    mmio: &mut Bus,
) -> Result<(), String> {
    pio.insert(
        "VGA",
        vga::PORTS_BASE.into(),
        vga::PORTS_LEN,
        Arc::new(Mutex::new(vga::VgaPorts(vga.clone()))),
    );
    pio.insert(
        "VGA",
        vga::DISPI_PORT.into(),
        vga::DISPI_LEN,
        Arc::new(Mutex::new(vga::DispiPorts(vga.clone()))),
    );
    mmio.insert(
        "VGA",
        vga::LEGACY_BASE,
        vga::LEGACY_LEN,
        Arc::new(Mutex::new(vga::LegacyWindow(vga.clone()))),
    );
    if !function {
        return Ok(());
    }
    let function = VgaPci::new(vga.clone())?;
    function.register(pio, mmio)?;
    lock(root).add(slots::VGA, 0, Arc::new(Mutex::new(function)))
}

/// What `legacy_devices` needs for a PC: its ROM, its VGA and its SATA disks' drives.
/// The flag: the VGA is virtio-vga's legacy half.
pub(super) type PcParts = (firmware::RomIdentity, Option<Arc<Vga>>, Vec<AtaDisk>, bool);

/// The two buses a PC's devices go on: fixed ports, and PCI BARs the guest places.
pub(super) struct PcBuses<'a> {
    pub(super) pio: &'a mut Bus,
    pub(super) mmio: &'a mut Bus,
}

type SharedDevice = Arc<Mutex<dyn VirtioDevice>>;

/// Step 6 on the PC machine: each virtio device a virtio-pci function in its own slot from
/// `pci::slots::VIRTIO_FIRST`, in the machine's device order, with INTA on the PIIX3's PIRQs
/// and MSI-X vectors routed through KVM. A virtio-gpu display (`vga_gpu`) is virtio-vga at
/// `pci::slots::VGA` with the machine's VGA, its transport last in the list.
pub(super) fn attach_virtio_pci(
    vm: &Arc<VmFd>,
    mem: &GuestMemoryMmap,
    (devices, vga_gpu): (Vec<SharedDevice>, Option<SharedDevice>),
    pc: &FirmwareDevices,
    pio: &mut Bus,
    mmio: &mut Bus,
) -> Result<Vec<Arc<Mutex<dyn VirtioTransport>>>, BuildError> {
    let slots = usize::from(pci::slots::LAST - pci::slots::VIRTIO_FIRST) + 1;
    if devices.len() > slots {
        return Err(BuildError::Other(format!(
            "{} virtio devices is more than the {slots} PCI slots for them",
            devices.len()
        )));
    }
    let routing = GsiRouting::new(vm.clone());
    let mut transports: Vec<Arc<Mutex<dyn VirtioTransport>>> = Vec::new();
    let names = crate::devices::virtio::numbered_names(&devices);
    for (i, (dev, name)) in devices.into_iter().zip(names).enumerate() {
        let slot = pci::slots::VIRTIO_FIRST + i as u8;
        let queues = lock(&dev).queue_max_sizes().len();
        let vectors = routing.vectors(queues + 1).map_err(BuildError::Other)?;
        let pin = pc.intx.pin(slot, 1).map_err(BuildError::Other)?;
        let t = PciTransport::new(dev, mem.clone(), Box::new(vectors), Some(pin))
            .map_err(BuildError::Other)?;
        let t = Arc::new(Mutex::new(t));
        PciTransport::register(&t, &name, pio, mmio).map_err(BuildError::Other)?;
        lock(&pc.pci)
            .add(slot, 0, t.clone())
            .map_err(BuildError::Other)?;
        transports.push(t);
    }
    if let Some(dev) = vga_gpu {
        let vga = pc.vga.clone().ok_or_else(|| {
            BuildError::Other("virtio-vga without the machine's VGA (a builder bug)".into())
        })?;
        let queues = lock(&dev).queue_max_sizes().len();
        let vectors = routing.vectors(queues + 1).map_err(BuildError::Other)?;
        let pin = pc.intx.pin(slots::VGA, 1).map_err(BuildError::Other)?;
        let t = PciTransport::new_vga(dev, mem.clone(), Box::new(vectors), Some(pin), vga)
            .map_err(BuildError::Other)?;
        let t = Arc::new(Mutex::new(t));
        PciTransport::register(&t, "virtio-vga", pio, mmio).map_err(BuildError::Other)?;
        lock(&pc.pci)
            .add(slots::VGA, 0, t.clone())
            .map_err(BuildError::Other)?;
        transports.push(t);
    }
    Ok(transports)
}

#[cfg(test)]
mod tests {
    use crate::config::{BootDevice, BootSource, CdromConfig, DiskBus, DiskConfig, VmConfig};

    #[test]
    fn sata_disks_boot_from_the_ahci_ports_after_the_cdroms() {
        let mut c = VmConfig::new_linux("t", "t", "k".into());
        c.boot = BootSource::Bios {
            firmware: None,
            order: vec![BootDevice::Disk, BootDevice::Cdrom],
            vga_rom: None,
        };
        c.virtio_rng = true;
        c.cdroms = vec![CdromConfig::default(); 2];
        let disk = |bus| DiskConfig {
            path: "d.img".into(),
            bus,
            ..DiskConfig::default()
        };
        c.disks = vec![
            disk(Some(DiskBus::Sata)),
            disk(None),
            disk(Some(DiskBus::Sata)),
            disk(Some(DiskBus::Virtio)),
        ];
        let f = String::from_utf8(super::boot_order_file(&c)).unwrap();
        let lines: Vec<&str> = f.trim_end_matches('\0').lines().collect();
        assert_eq!(
            lines,
            [
                "/pci@i0cf8/pci8086,2922@3/drive@2/disk@0",
                "/pci@i0cf8/scsi@5/disk@0,0",
                "/pci@i0cf8/pci8086,2922@3/drive@3/disk@0",
                "/pci@i0cf8/scsi@6/disk@0,0",
                "/pci@i0cf8/pci8086,2922@3/drive@0/disk@0",
                "/pci@i0cf8/pci8086,2922@3/drive@1/disk@0",
            ]
        );
    }
}
