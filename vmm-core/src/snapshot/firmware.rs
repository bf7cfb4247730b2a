//! The BIOS and UEFI machines' part of a snapshot: the states of the chipset, PM timer, CMOS and
//! fw_cfg, and which firmware image it ran. The ROM (UEFI: the code flash) is not saved (it
//! comes from its file); a restore insists on the same file with the same contents, and on the
//! same kind of machine. A UEFI machine's variables are saved whole and written back to its
//! variables file on restore, so they match the guest's memory.

use super::SnapshotError;
use crate::arch::firmware::RomIdentity;
use crate::devices::ahci::AhciState;
use crate::devices::cmos::CmosState;
use crate::devices::fw_cfg::FwCfgState;
use crate::devices::i8042::I8042State;
use crate::devices::pci::pm_timer::AcpiPmTimerState;
use crate::devices::pci::PciRootState;
use crate::devices::pflash::FlashState;
use crate::devices::vga::{restore_into as restore_vga, VgaState};
use crate::devices::Persist;
use crate::util::lock;
use crate::vmm::FirmwareDevices;
use serde::{Deserialize, Serialize};

/// A BIOS machine's devices in `state.bin` (absent for the Linux machine).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FirmwareState {
    pub rom: RomIdentity,
    pub pci: PciRootState,
    pub pm_timer: AcpiPmTimerState,
    pub cmos: CmosState,
    pub fw_cfg: FwCfgState,
    /// The AHCI controller and its CD-ROM drives, if the VM has them.
    pub ahci: Option<AhciState>,
    /// The 8042, its PS/2 keyboard and mouse, and their queues.
    pub ps2: I8042State,
    /// The VGA's registers and memory, when the machine has a display.
    #[serde(default)]
    pub vga: Option<VgaState>,
    /// A UEFI machine's flash devices; `None` for BIOS.
    pub flash: Option<UefiFlashState>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UefiFlashState {
    pub code: FlashState,
    pub vars: FlashState,
}

/// Taken while the VM is paused.
pub fn save(d: &FirmwareDevices, id: &str) -> Result<FirmwareState, SnapshotError> {
    let part = |p| SnapshotError::part(id, p);
    Ok(FirmwareState {
        rom: d.rom.clone(),
        pci: lock(&d.pci).save().map_err(part("PCI configuration"))?,
        pm_timer: lock(&d.pm_timer).save().map_err(part("PM timer"))?,
        cmos: lock(&d.cmos).save().map_err(part("CMOS"))?,
        fw_cfg: lock(&d.fw_cfg).save().map_err(part("fw_cfg"))?,
        ahci: match &d.ahci {
            Some(a) => Some(lock(a).save().map_err(part("AHCI"))?),
            None => None,
        },
        ps2: lock(&d.ps2).save().map_err(part("i8042"))?,
        vga: d
            .vga
            .as_ref()
            .map(|v| v.save())
            .transpose()
            .map_err(part("VGA"))?,
        flash: match &d.flash {
            Some(f) => Some(UefiFlashState {
                code: lock(&f.code).save().map_err(part("UEFI code flash"))?,
                vars: lock(&f.vars).save().map_err(part("UEFI variables flash"))?,
            }),
            None => None,
        },
    })
}

/// Only while the vCPUs are paused or not started. The chipset goes first: it moves the PM
/// timer's window back to where the guest had put it.
pub fn restore(d: &FirmwareDevices, s: &FirmwareState, id: &str) -> Result<(), SnapshotError> {
    let part = |p| SnapshotError::part(id, p);
    // The VGA first: the chipset's restore maps VRAM where its BAR says.
    match (&d.vga, &s.vga) {
        (Some(vga), Some(state)) => restore_vga(vga, state).map_err(part("VGA"))?,
        (None, None) => {}
        (now, _) => {
            return Err(part("VGA")(format!(
                "the snapshot was taken {} a display, this VM has {}",
                if s.vga.is_some() { "with" } else { "without" },
                if now.is_some() { "one" } else { "none" }
            )))
        }
    }
    lock(&d.pci)
        .restore(&s.pci, ())
        .map_err(part("PCI configuration"))?;
    lock(&d.pm_timer)
        .restore(&s.pm_timer, ())
        .map_err(part("PM timer"))?;
    lock(&d.cmos).restore(&s.cmos, ()).map_err(part("CMOS"))?;
    lock(&d.fw_cfg)
        .restore(&s.fw_cfg, ())
        .map_err(part("fw_cfg"))?;
    lock(&d.ps2).restore(&s.ps2, ()).map_err(part("i8042"))?;
    if let (Some(f), Some(fs)) = (&d.flash, &s.flash) {
        lock(&f.code)
            .restore(&fs.code, ())
            .map_err(part("UEFI code flash"))?;
        lock(&f.vars)
            .restore(&fs.vars, ())
            .map_err(part("UEFI variables flash"))?;
    }
    match (&d.ahci, &s.ahci) {
        (None, None) => Ok(()),
        (Some(a), Some(st)) => lock(a).restore(st, ()).map_err(part("AHCI")),
        (now, _) => Err(part("AHCI")(format!(
            "the snapshot has {} AHCI controller, this VM {}",
            if s.ahci.is_some() { "an" } else { "no" },
            if now.is_some() { "has one" } else { "none" }
        ))),
    }
}

/// Whether a firmware snapshot and a firmware VM are both BIOS or both UEFI (after [`check`],
/// which compares the image).
pub fn check_flash(
    id: &str,
    vm_uefi: bool,
    snap: Option<&FirmwareState>,
) -> Result<(), SnapshotError> {
    let Some(s) = snap else { return Ok(()) };
    let name = |uefi| if uefi { "UEFI" } else { "BIOS" };
    if s.flash.is_some() == vm_uefi {
        return Ok(());
    }
    Err(SnapshotError::MachineKind {
        id: id.to_string(),
        snapshot: name(s.flash.is_some()),
        vm: name(vm_uefi),
    })
}

fn kind(firmware: bool) -> &'static str {
    if firmware {
        "BIOS"
    } else {
        "Linux"
    }
}

/// Whether snapshot `id` (its firmware section `snap`) fits a VM running firmware `vm` (`None`:
/// the Linux machine): the same kind of machine, and for BIOS the same firmware image.
pub fn check(
    id: &str,
    vm: Option<&RomIdentity>,
    snap: Option<&FirmwareState>,
) -> Result<(), SnapshotError> {
    match (vm, snap) {
        (None, None) => Ok(()),
        (Some(now), Some(s)) if *now == s.rom => Ok(()),
        (Some(now), Some(s)) => Err(SnapshotError::FirmwareChanged {
            id: id.to_string(),
            was: s.rom.clone(),
            now: now.clone(),
        }),
        (vm, snap) => Err(SnapshotError::MachineKind {
            id: id.to_string(),
            snapshot: kind(snap.is_some()),
            vm: kind(vm.is_some()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn rom(path: &str, crc: u32) -> RomIdentity {
        RomIdentity {
            path: PathBuf::from(path),
            size: 256 << 10,
            crc,
        }
    }

    fn state(rom: RomIdentity) -> FirmwareState {
        FirmwareState {
            rom,
            pci: PciRootState {
                address: 0,
                reset_control: 0,
                functions: Vec::new(),
            },
            pm_timer: AcpiPmTimerState::default(),
            cmos: CmosState {
                index: 0,
                nmi_masked: false,
                nvram: vec![0; 128],
                clock_offset_secs: 0,
            },
            fw_cfg: FwCfgState {
                selector: 0,
                offset: 0,
                dma_high: 0,
                dma_low: 0,
            },
            ahci: None,
            ps2: ps2_at_power_on(),
            vga: None,
            flash: None,
        }
    }

    fn ps2_at_power_on() -> I8042State {
        struct NoIrq;
        impl crate::devices::pci::intx::IrqLevels for NoIrq {
            fn set_level(&self, _: u32, _: bool) {}
        }
        let (tx, _) = std::sync::mpsc::channel();
        crate::devices::i8042::I8042Controller::new(
            std::sync::Arc::new(NoIrq),
            crate::exit::ExitSender::new(tx),
        )
        .save()
        .unwrap()
    }

    #[test]
    fn a_uefi_snapshot_fits_only_a_uefi_machine() {
        let mut uefi = state(rom("/usr/share/OVMF/OVMF_CODE_4M.fd", 1));
        let flash = FlashState {
            cmd: 0,
            wcycle: 0,
            status: 0x80,
            contents: vec![],
        };
        uefi.flash = Some(UefiFlashState {
            code: flash.clone(),
            vars: flash,
        });
        assert!(check_flash("s1", true, Some(&uefi)).is_ok());
        assert!(check_flash("s1", false, None).is_ok());
        let e = check_flash("s1", false, Some(&uefi))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("of a UEFI machine") && e.contains("a BIOS machine"),
            "{e}"
        );
        let bios = state(rom("/fw/bios.bin", 1));
        let e = check_flash("s1", true, Some(&bios))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("of a BIOS machine") && e.contains("a UEFI machine"),
            "{e}"
        );
    }

    #[test]
    fn a_snapshot_fits_only_the_same_kind_of_machine_and_names_both() {
        let bios = state(rom("/fw/bios.bin", 1));
        assert!(check("s1", None, None).is_ok());
        assert!(check("s1", Some(&rom("/fw/bios.bin", 1)), Some(&bios)).is_ok());
        let e = check("s1", None, Some(&bios)).unwrap_err().to_string();
        assert!(
            e.contains("s1") && e.contains("of a BIOS machine") && e.contains("a Linux machine"),
            "{e}"
        );
        let e = check("s1", Some(&rom("/fw/bios.bin", 1)), None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("of a Linux machine") && e.contains("a BIOS machine"),
            "{e}"
        );
    }

    #[test]
    fn a_different_firmware_file_or_contents_is_refused_naming_the_file() {
        let bios = state(rom("/fw/bios.bin", 1));
        // Same file, other contents (the package was upgraded since).
        let e = check("s1", Some(&rom("/fw/bios.bin", 2)), Some(&bios))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("/fw/bios.bin") && e.contains("00000001") && e.contains("00000002"),
            "{e}"
        );
        // Another file.
        let e = check("s1", Some(&rom("/fw/other.bin", 1)), Some(&bios))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("/fw/bios.bin") && e.contains("/fw/other.bin"),
            "{e}"
        );
    }
}
