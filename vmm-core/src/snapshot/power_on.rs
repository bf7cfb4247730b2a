//! Reset in place for firmware machines: the machine's power-on state, taken before its vCPUs
//! first run, and put back when the guest resets (or the API's reset button is pressed), so
//! the firmware starts again in the same process — installers reboot into the installed
//! system while VNC clients and the app stay connected. The same save/restore as snapshots,
//! without memory: RAM keeps its contents across a reset, as on a PC, except the BIOS area,
//! which gets the firmware's pristine top again (a real chipset maps the ROM there at reset).
//! Disks are not touched: what the guest wrote stays written; CD-ROM drives keep their discs,
//! and UEFI variables stay as the guest wrote them.

use super::firmware::{self, FirmwareState};
use super::kvm_state::{self, VcpuState, VmState};
use super::{pause_for, SnapshotError, OPS};
use crate::arch::layout;
use crate::devices::virtio::transport::TransportState;
use crate::util::lock;
use crate::vmm::VmHandle;
use vm_memory::{Bytes, GuestAddress};

/// How errors name this state (where a snapshot's id would be).
const WHAT: &str = "power-on state";

/// A firmware machine as it was built.
pub struct PowerOn {
    vm: VmState,
    vcpus: Vec<VcpuState>,
    transports: Vec<TransportState>,
    firmware: FirmwareState,
    /// 0xe0000–0xfffff as the builder left it: the firmware's top.
    bios_area: Vec<u8>,
}

/// Takes the power-on state of a firmware machine whose vCPUs have not run yet; `None` for
/// the Linux machine (its kernel is gone from memory once it ran: a reset ends its process).
pub fn capture(vm: &VmHandle) -> Result<Option<PowerOn>, SnapshotError> {
    let m = &vm.machine;
    let Some(devices) = &m.firmware else {
        return Ok(None);
    };
    let part = |p| SnapshotError::part(WHAT, p);
    let mut vcpus = Vec::new();
    for v in &m.vcpus {
        vcpus.push(kvm_state::save_vcpu(&lock(v), &m.msrs).map_err(part("vCPU state"))?);
    }
    let mut transports = Vec::new();
    for t in &m.transports {
        transports.push(lock(t).save_state().map_err(part("virtio device"))?);
    }
    let mut bios_area = vec![0u8; (layout::BIOS_AREA_END - layout::ACPI_START) as usize];
    m.mem
        .read_slice(&mut bios_area, GuestAddress(layout::ACPI_START))
        .map_err(|e| part("BIOS area")(e.to_string()))?;
    Ok(Some(PowerOn {
        vm: kvm_state::save_vm(&vm.vm).map_err(part("VM state"))?,
        vcpus,
        transports,
        firmware: firmware::save(devices, WHAT)?,
        bios_area,
    }))
}

/// A reset does not take discs out: each CD-ROM drive keeps the medium it holds now (an
/// installer inserted at run time is still there when the guest reboots), with the rest of
/// the drive (sense, lock, tray) as at power-on.
fn keep_media(d: &crate::vmm::FirmwareDevices, state: &mut FirmwareState) {
    let (Some(ahci), Some(saved)) = (&d.ahci, state.ahci.as_mut()) else {
        return;
    };
    let mut ahci = lock(ahci);
    for (i, port) in saved.ports.iter_mut().enumerate() {
        if let (Some(drive), Some(cd)) = (ahci.cdrom(i), port.cdrom.as_mut()) {
            cd.medium = drive.medium().map(|m| m.path().to_path_buf());
        }
    }
}

/// Nor does it forget UEFI variables: the variable store keeps what the guest wrote (a boot
/// entry an installer made is there when it reboots), only the flash's mode is reset.
fn keep_variables(
    d: &crate::vmm::FirmwareDevices,
    state: &mut FirmwareState,
) -> Result<(), String> {
    use crate::devices::Persist;
    if let (Some(flash), Some(saved)) = (&d.flash, state.flash.as_mut()) {
        saved.vars.contents = lock(&flash.vars).save()?.contents;
    }
    Ok(())
}

/// Puts the machine back to `p` and lets its vCPUs run from the reset vector again. A VM the
/// user had paused stays paused (at the reset vector). An error leaves the machine half
/// reset: the caller ends the VM.
pub fn reset(vm: &VmHandle, p: &PowerOn) -> Result<(), SnapshotError> {
    let _ops = lock(&OPS);
    let was_running = pause_for(vm)?;
    let m = &vm.machine;
    let part = |p| SnapshotError::part(WHAT, p);
    kvm_state::restore_vm(&vm.vm, &p.vm).map_err(part("VM state"))?;
    for (v, s) in m.vcpus.iter().zip(&p.vcpus) {
        kvm_state::restore_vcpu(&lock(v), s, false).map_err(part("vCPU state"))?;
    }
    for (t, s) in m.transports.iter().zip(&p.transports) {
        lock(t).restore_state(s).map_err(part("virtio device"))?;
    }
    if let Some(d) = &m.firmware {
        let mut state = p.firmware.clone();
        keep_media(d, &mut state);
        keep_variables(d, &mut state).map_err(part("UEFI variables flash"))?;
        firmware::restore(d, &state, WHAT)?;
    }
    m.mem
        .write_slice(&p.bios_area, GuestAddress(layout::ACPI_START))
        .map_err(|e| part("BIOS area")(e.to_string()))?;
    vm.exit.reset_done();
    if was_running {
        vm.resume().map_err(part("resume"))?;
    }
    Ok(())
}
