//! A revert's checks and device restores without a VM (the `snapshot_state` fuzz target):
//! what a snapshot folder holds is read and checked as `revert_inner` does before it touches
//! the VM, then the device states are put on fresh devices of a Linux machine.

use super::SnapshotError;
use super::{disks, file, firmware, load_meta, memory, read_framebuffer, MachineState};
use crate::devices::legacy::AcpiPm;
use crate::devices::serial::{SerialDevice, SerialOutput};
use crate::devices::virtio::input::{Input, InputKind};
use crate::devices::virtio::mmio::MmioTransport;
use crate::devices::virtio::rng::Rng;
use crate::devices::virtio::transport::VirtioTransport;
use crate::devices::virtio::{device_type, VirtioDevice, VirtioInterrupt};
use crate::devices::{BusDevice, Persist};
use std::path::Path;
use std::sync::{Arc, Mutex};
use vm_memory::GuestMemoryMmap;
use vmm_sys_util::eventfd::EventFd;

/// Checks the snapshot in `dir` against a Linux machine with no disks and guest memory `mem`,
/// then restores its serial, ACPI and virtio states onto fresh devices and serves the queues
/// they restored.
pub fn check_offline(dir: &Path, mem: &GuestMemoryMmap) -> Result<(), SnapshotError> {
    let id = "fuzz";
    let part = |p| SnapshotError::part(id, p);
    load_meta(dir)?;
    let st: MachineState = file::read(&dir.join("state.bin"))?;
    firmware::check(id, None, st.firmware.as_ref())?;
    firmware::check_flash(id, false, st.firmware.as_ref())?;
    if let Some(info) = &st.framebuffer {
        read_framebuffer(dir, info)?;
    }
    let vm_dir = dir.parent().unwrap_or(dir);
    disks::check(vm_dir, &[], id, disks::SnapshotDisks::load(dir)?.as_ref())?;
    memory::check(mem, &dir.join("memory.bin"), &st.memory)?;

    let evt = || EventFd::new(libc::EFD_NONBLOCK).map_err(|e| part("eventfd")(e.to_string()));
    let out = SerialOutput::new(None, Arc::new(crate::hub::Hub::new(4)), false);
    SerialDevice::new(evt()?, out)
        .restore(&st.serial, ())
        .map_err(part("serial"))?;
    AcpiPm::new(crate::fuzzing::no_exit())
        .restore(&st.acpi_pm, ())
        .map_err(part("ACPI"))?;
    for s in st.transports.iter().take(4) {
        let dev: Arc<Mutex<dyn VirtioDevice>> = match s.device_type {
            device_type::INPUT => Arc::new(Mutex::new(Input::new(InputKind::Keyboard).0)),
            _ => Arc::new(Mutex::new(Rng::default())),
        };
        let irq = Arc::new(VirtioInterrupt::new(evt()?));
        let mut t = MmioTransport::new(dev, mem.clone(), irq);
        if t.restore_state(s).is_ok() {
            // The guest notifies each queue it finds restored.
            for q in 0..2u32 {
                t.write(0x50, &q.to_le_bytes());
            }
        }
    }
    Ok(())
}
