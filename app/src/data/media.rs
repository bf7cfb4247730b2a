//! What a file a person picked to install from is: an ISO 9660 image (with the labels of its
//! primary volume descriptor, which osinfo-db matches) or a disk image (qcow2, or raw with a
//! partition table or boot sector). Anything else is refused with the reason.
//!
//! Reads at most a few KiB; never trusts a field of the file (every label is bounded and
//! cleaned of control characters).

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use vmm_core::storage::ImageFormat;

/// ISO 9660 puts its volume descriptors from sector 16 (2 KiB sectors) on.
const ISO_DESCRIPTORS: u64 = 16 * 2048;

/// The labels of an ISO's primary volume descriptor (ECMA-119 8.4), trailing spaces trimmed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IsoLabels {
    pub system_id: String,
    pub volume_id: String,
    pub publisher_id: String,
    pub application_id: String,
    /// Bytes the volume says it spans (volume space size × logical block size).
    pub volume_size: u64,
}

/// What [`sniff`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaKind {
    /// An installer or live medium: goes into a CD-ROM drive.
    Iso(IsoLabels),
    /// A disk image: becomes the VM's boot disk.
    DiskImage {
        format: ImageFormat,
        /// Bytes the guest sees.
        virtual_size: u64,
    },
}

/// Why a file cannot be installed from. Messages name the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    #[error("{}: {reason}", path.display())]
    CannotRead { path: PathBuf, reason: String },
    #[error("{} is neither an ISO image nor a disk image: {reason}", path.display())]
    NotMedia { path: PathBuf, reason: String },
}

/// Looks at `path` and says what it is.
pub fn sniff(path: &Path) -> Result<MediaKind, MediaError> {
    let cannot = |reason: String| MediaError::CannotRead {
        path: path.to_path_buf(),
        reason,
    };
    let not = |reason: &str| MediaError::NotMedia {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    let meta = std::fs::metadata(path).map_err(|e| cannot(e.to_string()))?;
    if meta.is_dir() {
        return Err(not("it is a folder"));
    }
    if !meta.is_file() {
        return Err(not("it is not a regular file"));
    }
    let f = File::open(path).map_err(|e| cannot(e.to_string()))?;
    let mut pvd = [0u8; 2048];
    if read_at(&f, &mut pvd, ISO_DESCRIPTORS).map_err(|e| cannot(e.to_string()))? == pvd.len()
        && &pvd[1..6] == b"CD001"
    {
        return Ok(MediaKind::Iso(iso_labels(&f, &pvd)));
    }
    let mut head = [0u8; 1024];
    let n = read_at(&f, &mut head, 0).map_err(|e| cannot(e.to_string()))?;
    if n == 0 {
        return Err(not("the file is empty"));
    }
    if head.starts_with(b"QFI\xfb") || has_boot_record(&head[..n]) {
        let info = vmm_core::storage::image_info(path).map_err(|e| cannot(e.to_string()))?;
        return Ok(MediaKind::DiskImage {
            format: info.format,
            virtual_size: info.virtual_size,
        });
    }
    Err(not(
        "no ISO 9660 volume descriptor, no qcow2 header and no partition table or boot sector",
    ))
}

/// A raw disk starts with an MBR/boot sector (0x55 0xAA at 510) or, behind a protective MBR,
/// a GPT header ("EFI PART" at 512).
fn has_boot_record(head: &[u8]) -> bool {
    head.get(510..512) == Some(&[0x55, 0xaa]) || head.get(512..520) == Some(b"EFI PART")
}

/// Reads as much of `buf` as the file holds from `offset`.
fn read_at(f: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match f.read_at(&mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// The primary volume descriptor's labels. The first descriptor is usually the primary one
/// (type 1); when it is not, the following descriptors are searched (bounded: at most 16).
fn iso_labels(f: &File, first: &[u8; 2048]) -> IsoLabels {
    let mut d = *first;
    for i in 0..16u64 {
        if i > 0 {
            let mut next = [0u8; 2048];
            match read_at(f, &mut next, ISO_DESCRIPTORS + i * 2048) {
                Ok(2048) if &next[1..6] == b"CD001" => d = next,
                _ => break,
            }
        }
        match d[0] {
            1 => return labels_of(&d),
            255 => break, // the set terminator
            _ => {}
        }
    }
    labels_of(first)
}

fn labels_of(d: &[u8; 2048]) -> IsoLabels {
    let blocks = u32::from_le_bytes([d[80], d[81], d[82], d[83]]) as u64;
    let block = u16::from_le_bytes([d[128], d[129]]) as u64;
    IsoLabels {
        system_id: text(&d[8..40]),
        volume_id: text(&d[40..72]),
        publisher_id: text(&d[318..446]),
        application_id: text(&d[574..702]),
        volume_size: blocks * block,
    }
}

/// A-/d-characters field → text: trailing spaces and NULs trimmed, control bytes dropped.
fn text(b: &[u8]) -> String {
    let s: String = String::from_utf8_lossy(b)
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    s.trim_end_matches([' ', '\0']).trim_start().to_string()
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A minimal ISO: 16 empty sectors, a primary volume descriptor and a terminator.
    pub fn tiny_iso(volume_id: &str, system_id: &str) -> Vec<u8> {
        let mut img = vec![0u8; 19 * 2048];
        let d = &mut img[16 * 2048..17 * 2048];
        d[0] = 1;
        d[1..6].copy_from_slice(b"CD001");
        d[6] = 1;
        let pad = |dst: &mut [u8], s: &str| {
            dst.fill(b' ');
            dst[..s.len()].copy_from_slice(s.as_bytes());
        };
        pad(&mut d[8..40], system_id);
        pad(&mut d[40..72], volume_id);
        d[80..84].copy_from_slice(&19u32.to_le_bytes());
        d[128..130].copy_from_slice(&2048u16.to_le_bytes());
        let t = &mut img[17 * 2048..18 * 2048];
        t[0] = 255;
        t[1..6].copy_from_slice(b"CD001");
        img
    }

    #[test]
    fn isos_disk_images_and_other_files_are_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let iso = dir.path().join("d.iso");
        std::fs::write(&iso, tiny_iso("Debian 12.5.0 amd64 n", "LINUX")).unwrap();
        let MediaKind::Iso(l) = sniff(&iso).unwrap() else {
            panic!("not an ISO")
        };
        assert_eq!(l.volume_id, "Debian 12.5.0 amd64 n");
        assert_eq!(l.system_id, "LINUX");
        assert_eq!(l.volume_size, 19 * 2048);

        let raw = dir.path().join("disk.img");
        let mut mbr = vec![0u8; 1 << 20];
        mbr[510] = 0x55;
        mbr[511] = 0xaa;
        std::fs::write(&raw, &mbr).unwrap();
        assert_eq!(
            sniff(&raw).unwrap(),
            MediaKind::DiskImage {
                format: ImageFormat::Raw,
                virtual_size: 1 << 20
            }
        );

        let txt = dir.path().join("notes.txt");
        std::fs::write(&txt, "hello").unwrap();
        let e = sniff(&txt).unwrap_err().to_string();
        assert!(e.contains("notes.txt") && e.contains("neither"), "{e}");
        let empty = dir.path().join("empty.iso");
        std::fs::write(&empty, "").unwrap();
        assert!(sniff(&empty).unwrap_err().to_string().contains("empty"));
        assert!(matches!(
            sniff(&dir.path().join("gone.iso")),
            Err(MediaError::CannotRead { .. })
        ));
        assert!(sniff(dir.path())
            .unwrap_err()
            .to_string()
            .contains("folder"));
    }
}
