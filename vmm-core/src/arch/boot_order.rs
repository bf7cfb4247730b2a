//! The fw_cfg `bootorder` file: OpenFirmware device paths, one a line, most wanted first, as
//! QEMU's `get_boot_devices_list` writes them. SeaBIOS (`src/boot.c`) matches its own globs
//! against them (`/pci@i0cf8/*@3/drive@N/disk@0` for AHCI port N, `/pci@i0cf8/*@S` for the
//! virtio-pci disk in slot S); OVMF (`QemuBootOrderLib`) translates them to UEFI device paths
//! (`pci8086,2922` + `drive` + `disk` → `Sata(N,0,0)`, `scsi@S/disk@0,0` → `Pci(S,0)/HD(`, as
//! QEMU names a virtio-blk-pci disk). Devices not listed come after the listed ones.

use crate::config::BootDevice;

/// CD-ROM drive `port` on the AHCI controller in PCI slot `slot`.
pub fn ahci_drive(slot: u8, port: usize) -> String {
    format!("/pci@i0cf8/pci8086,2922@{slot:x}/drive@{port:x}/disk@0")
}

/// A virtio-blk disk: the virtio-pci function in bus-0 `slot`.
pub fn virtio_pci_disk(slot: u8) -> String {
    format!("/pci@i0cf8/scsi@{slot:x}/disk@0,0")
}

/// The file: the CD-ROM drives' paths and the disks' paths, kinds in `order`; kinds `order`
/// does not name are left out (the firmware tries them last).
pub fn bootorder(order: &[BootDevice], cdroms: &[String], disks: &[String]) -> Vec<u8> {
    let mut lines: Vec<&str> = Vec::new();
    for kind in order {
        let paths = match kind {
            BootDevice::Cdrom => cdroms,
            BootDevice::Disk => disks,
        };
        lines.extend(paths.iter().map(String::as_str));
    }
    let mut text = lines.join("\n");
    // SeaBIOS reads a C string.
    text.push('\0');
    text.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_what_seabios_globs_and_ovmf_translates() {
        assert_eq!(ahci_drive(3, 1), "/pci@i0cf8/pci8086,2922@3/drive@1/disk@0");
        assert_eq!(virtio_pci_disk(0xa), "/pci@i0cf8/scsi@a/disk@0,0");
        let f = bootorder(
            &[BootDevice::Disk, BootDevice::Cdrom],
            &["cd".into()],
            &["d0".into(), "d1".into()],
        );
        assert_eq!(f, b"d0\nd1\ncd\0");
        assert_eq!(
            bootorder(&[BootDevice::Cdrom], &["cd".into()], &["d".into()]),
            b"cd\0"
        );
    }
}
