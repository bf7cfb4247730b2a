//! Booting stock firmware (SeaBIOS) instead of a kernel: the ROM image below 4 GiB, its copy
//! in the legacy BIOS area, and the boot vCPU in the x86 reset state.

use super::layout::{BIOS_AREA_END, FIRMWARE_MAX_SIZE};
use kvm_bindings::{kvm_regs, kvm_userspace_memory_region, KVM_MEM_READONLY};
use kvm_ioctls::{Cap, Kvm, VcpuFd, VmFd};
use std::path::{Path, PathBuf};
use vm_memory::{Bytes, GuestAddress, GuestMemoryMmap, MmapRegion};

/// Firmware images come in whole 64 KiB blocks (flash sectors).
pub const FIRMWARE_GRANULE: u64 = 64 << 10;
/// How much of the ROM's top the CPU also sees below 1 MiB (0xe0000-0xfffff), as on a PC
/// where the chipset aliases it there.
pub const BIOS_SHADOW_SIZE: u64 = 128 << 10;

/// Whether `size` bytes is a firmware image we can map: whole 64 KiB blocks, at most
/// [`FIRMWARE_MAX_SIZE`].
pub fn size_ok(size: u64) -> bool {
    size > 0 && size <= FIRMWARE_MAX_SIZE && size.is_multiple_of(FIRMWARE_GRANULE)
}

/// A UEFI machine's flash devices (`devices::pflash`) erase in blocks of this size, and its
/// code and variables files are whole blocks (QEMU's PC flash uses the same).
pub const FLASH_BLOCK: u64 = 4 << 10;

/// Whether `size` bytes can be one flash device: whole [`FLASH_BLOCK`]s, at most
/// [`FIRMWARE_MAX_SIZE`].
pub fn flash_size_ok(size: u64) -> bool {
    size > 0 && size <= FIRMWARE_MAX_SIZE && size.is_multiple_of(FLASH_BLOCK)
}

/// Whether a variable store of `vars` bytes goes with code of `code` bytes: OVMF is built for
/// one flash size (1, 2 or 4 MiB) and finds its variables at `4 GiB - that size`, so the two
/// files together must fill a power-of-two window, at most [`FIRMWARE_MAX_SIZE`] (Debian's
/// 4M pair: 3653632 + 540672 bytes).
pub fn flash_pair_ok(code: u64, vars: u64) -> bool {
    let total = code.saturating_add(vars);
    flash_size_ok(code)
        && flash_size_ok(vars)
        && total <= FIRMWARE_MAX_SIZE
        && total.is_power_of_two()
}

#[derive(Debug, thiserror::Error)]
pub enum FirmwareError {
    #[error("firmware {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "firmware {}: {size} bytes is not a ROM size (whole 64 KiB blocks, at most 16 MiB)",
        path.display()
    )]
    Size { path: PathBuf, size: u64 },
    #[error(
        "{} is {size} bytes; a UEFI flash file is whole 4 KiB blocks, at most 16 MiB",
        path.display()
    )]
    FlashSize { path: PathBuf, size: u64 },
    #[error(
        "UEFI variables {} ({vars_size} bytes) do not go with the firmware {} ({code_size} \
         bytes): together they must fill 1, 2, 4, 8 or 16 MiB",
        vars.display(),
        code.display()
    )]
    VarsMismatch {
        vars: PathBuf,
        vars_size: u64,
        code: PathBuf,
        code_size: u64,
    },
    #[error("creating UEFI variables {} from {}: {source} (the template comes with \"apt-get install ovmf\")", path.display(), template.display())]
    VarsCreate {
        path: PathBuf,
        template: PathBuf,
        source: std::io::Error,
    },
    #[error("UEFI flash: {0}")]
    Flash(String),
    #[error("firmware ROM memory: {0}")]
    Memory(String),
    #[error("firmware ROM memslot: {0}")]
    Memslot(kvm_ioctls::Error),
    #[error("{0}: {1}")]
    Vcpu(&'static str, kvm_ioctls::Error),
}

/// The firmware image, mapped read-only into the guest at `4 GiB - size`. Keep it as long as
/// the VM exists: KVM maps its pages.
pub struct FirmwareRom {
    region: MmapRegion<()>,
    /// Guest-physical address of its first byte.
    pub gpa: u64,
    /// Whether KVM enforces read-only (without `KVM_CAP_READONLY_MEM` the guest could write to
    /// its ROM; SeaBIOS does not try).
    pub read_only: bool,
}

impl FirmwareRom {
    pub fn size(&self) -> u64 {
        self.region.size() as u64
    }
}

/// Which firmware image a machine runs. A snapshot records this instead of the ROM (which comes
/// from the file), and a restore insists on the same file with the same contents.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RomIdentity {
    /// As the VM's config names it.
    pub path: PathBuf,
    pub size: u64,
    /// CRC32 of the whole image.
    pub crc: u32,
}

impl RomIdentity {
    pub fn of(path: &Path, image: &[u8]) -> Self {
        RomIdentity {
            path: path.to_path_buf(),
            size: image.len() as u64,
            crc: crc32fast::hash(image),
        }
    }
}

/// Reads a firmware image, checking its size before reading it whole.
pub fn read_image(path: &Path) -> Result<Vec<u8>, FirmwareError> {
    let err = |source| FirmwareError::Read {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(err)?.len();
    if !size_ok(size) {
        return Err(FirmwareError::Size {
            path: path.to_path_buf(),
            size,
        });
    }
    let image = crate::util::read_regular(path, size).map_err(err)?;
    // The file may have changed between stat and read.
    if image.len() as u64 != size {
        return Err(FirmwareError::Size {
            path: path.to_path_buf(),
            size: image.len() as u64,
        });
    }
    Ok(image)
}

/// Reads a UEFI flash file (code or variables), checking its size ([`flash_size_ok`]) before
/// reading it whole.
pub fn read_flash_image(path: &Path) -> Result<Vec<u8>, FirmwareError> {
    let err = |source| FirmwareError::Read {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(err)?.len();
    let bad = |size| FirmwareError::FlashSize {
        path: path.to_path_buf(),
        size,
    };
    if !flash_size_ok(size) {
        return Err(bad(size));
    }
    let image = crate::util::read_regular(path, size).map_err(err)?;
    if image.len() as u64 != size {
        return Err(bad(image.len() as u64));
    }
    Ok(image)
}

/// Creates a VM's variable store at `path` as a copy of `template`, unless a file is already
/// there (the guest's variables: never overwritten). Atomic: a temporary file, synced, then
/// linked to its name (which fails if another start made it first) and the folder synced, so a
/// crash leaves either no store or a whole one. Returns whether it created the file.
pub fn create_vars(path: &Path, template: &Path) -> Result<bool, FirmwareError> {
    use std::io::Write;
    if path.exists() {
        return Ok(false);
    }
    let err = |source| FirmwareError::VarsCreate {
        path: path.to_path_buf(),
        template: template.to_path_buf(),
        source,
    };
    let image = read_flash_image(template)?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let res = (|| {
        use std::os::unix::fs::OpenOptionsExt;
        // UEFI variables may hold secrets: private, and a new file (never a planted link;
        // a stale temp file from a crash goes first).
        let _ = std::fs::remove_file(&tmp);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(&image)?;
        f.sync_all()?;
        match std::fs::hard_link(&tmp, path) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            r => r?,
        }
        std::fs::File::open(dir)?.sync_all()
    })();
    let _ = std::fs::remove_file(&tmp);
    res.map_err(err)?;
    Ok(true)
}

/// Maps `image` (a size [`size_ok`] accepts) read-only at the top of 4 GiB as memslot `slot`.
pub fn map_rom(
    kvm: &Kvm,
    vm: &VmFd,
    slot: u32,
    image: &[u8],
) -> Result<FirmwareRom, FirmwareError> {
    let region =
        MmapRegion::<()>::new(image.len()).map_err(|e| FirmwareError::Memory(e.to_string()))?;
    // SAFETY: the region is a fresh anonymous mapping of exactly `image.len()` bytes that
    // nothing else references yet.
    unsafe { std::ptr::copy_nonoverlapping(image.as_ptr(), region.as_ptr(), image.len()) };
    let gpa = (1u64 << 32) - image.len() as u64;
    let read_only = kvm.check_extension(Cap::ReadonlyMem);
    let r = kvm_userspace_memory_region {
        slot,
        flags: if read_only { KVM_MEM_READONLY } else { 0 },
        guest_phys_addr: gpa,
        memory_size: image.len() as u64,
        userspace_addr: region.as_ptr() as u64,
    };
    // SAFETY: the region is a live mapping owned by the returned FirmwareRom, which the VMM
    // keeps for the life of the VM.
    unsafe { vm.set_user_memory_region(r) }.map_err(FirmwareError::Memslot)?;
    Ok(FirmwareRom {
        region,
        gpa,
        read_only,
    })
}

/// Copies the ROM's top [`BIOS_SHADOW_SIZE`] bytes (all of it when smaller) to just below
/// 1 MiB. We emulate no PAM registers, so that area is plain RAM and the firmware's shadowing
/// (it copies itself there and writes its data) works as on a PC with shadow RAM enabled.
pub fn copy_shadow(mem: &GuestMemoryMmap, image: &[u8]) -> Result<(), FirmwareError> {
    let n = image.len().min(BIOS_SHADOW_SIZE as usize);
    let top = &image[image.len() - n..];
    mem.write_slice(top, GuestAddress(BIOS_AREA_END - n as u64))
        .map_err(|e| FirmwareError::Memory(e.to_string()))
}

/// Puts a vCPU in the state an x86 CPU has after RESET: real mode, executing at
/// `0xffff_fff0` (CS selector 0xf000 with base 0xffff_0000, IP 0xfff0).
pub fn setup_reset_vcpu(vcpu: &VcpuFd) -> Result<(), FirmwareError> {
    let mut s = vcpu
        .get_sregs()
        .map_err(|e| FirmwareError::Vcpu("KVM_GET_SREGS", e))?;
    let real = |selector: u16, base: u64, type_: u8| kvm_bindings::kvm_segment {
        base,
        limit: 0xffff,
        selector,
        type_,
        present: 1,
        dpl: 0,
        db: 0,
        s: 1,
        l: 0,
        g: 0,
        avl: 0,
        unusable: 0,
        padding: 0,
    };
    s.cs = real(0xf000, 0xffff_0000, 0xb); // code, execute/read, accessed
    let data = real(0, 0, 0x3); // data, read/write, accessed
    s.ds = data;
    s.es = data;
    s.fs = data;
    s.gs = data;
    s.ss = data;
    s.tr = kvm_bindings::kvm_segment {
        s: 0,
        type_: 0xb, // busy 32-bit TSS
        ..real(0, 0, 0)
    };
    s.ldt = kvm_bindings::kvm_segment {
        s: 0,
        type_: 0x2, // LDT
        ..real(0, 0, 0)
    };
    s.gdt.base = 0;
    s.gdt.limit = 0xffff;
    s.idt.base = 0;
    s.idt.limit = 0xffff;
    s.cr0 = 0x6000_0010; // CD | NW | ET
    s.cr2 = 0;
    s.cr3 = 0;
    s.cr4 = 0;
    s.efer = 0;
    vcpu.set_sregs(&s)
        .map_err(|e| FirmwareError::Vcpu("KVM_SET_SREGS", e))?;
    let regs = kvm_regs {
        rflags: 0x2,
        rip: 0xfff0,
        ..Default::default()
    };
    vcpu.set_regs(&regs)
        .map_err(|e| FirmwareError::Vcpu("KVM_SET_REGS", e))
}

/// Leaves an application processor waiting for the boot CPU's INIT/SIPI (KVM's in-kernel
/// LAPIC runs that protocol).
pub fn park_ap(vcpu: &VcpuFd) -> Result<(), FirmwareError> {
    let mp = kvm_bindings::kvm_mp_state {
        mp_state: kvm_bindings::KVM_MP_STATE_UNINITIALIZED,
    };
    vcpu.set_mp_state(mp)
        .map_err(|e| FirmwareError::Vcpu("KVM_SET_MP_STATE", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rom_sizes_are_whole_64k_blocks_up_to_16m() {
        assert!(size_ok(128 << 10) && size_ok(256 << 10) && size_ok(16 << 20));
        assert!(!size_ok(0) && !size_ok(1000) && !size_ok((16 << 20) + (64 << 10)));
    }

    #[test]
    fn flash_files_are_whole_4k_blocks_and_a_pair_fills_a_power_of_two() {
        assert!(flash_size_ok(3_653_632) && flash_size_ok(540_672) && flash_size_ok(4096));
        assert!(!flash_size_ok(0) && !flash_size_ok(4097) && !flash_size_ok(32 << 20));
        // Debian's 4M and 2M pairs.
        assert!(flash_pair_ok(3_653_632, 540_672) && flash_pair_ok(1_966_080, 131_072));
        assert!(!flash_pair_ok(3_653_632, 131_072) && !flash_pair_ok(1_966_080, 540_672));
        assert!(!flash_pair_ok(16 << 20, 16 << 20) && !flash_pair_ok(u64::MAX, 4096));
    }

    #[test]
    fn the_vars_store_is_an_atomic_copy_made_once() {
        let dir = tempfile::tempdir().unwrap();
        let template = dir.path().join("OVMF_VARS_4M.fd");
        let vars = dir.path().join("vm").join("OVMF_VARS.fd");
        std::fs::create_dir(dir.path().join("vm")).unwrap();
        // No template: the error names both files and the package.
        let e = create_vars(&vars, &template).unwrap_err().to_string();
        assert!(e.contains("OVMF_VARS_4M.fd"), "{e}");
        assert!(!vars.exists());
        std::fs::write(&template, vec![1u8; 8192]).unwrap();
        assert!(create_vars(&vars, &template).unwrap());
        assert_eq!(std::fs::read(&vars).unwrap(), vec![1u8; 8192]);
        // The guest's variables are never replaced by the template.
        std::fs::write(&vars, vec![2u8; 8192]).unwrap();
        assert!(!create_vars(&vars, &template).unwrap());
        assert_eq!(std::fs::read(&vars).unwrap(), vec![2u8; 8192]);
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path().join("vm")).unwrap().collect();
        assert_eq!(names.len(), 1);
        // A template of a size no flash has is refused before anything is written.
        std::fs::remove_file(&vars).unwrap();
        std::fs::write(&template, vec![1u8; 1000]).unwrap();
        assert!(matches!(
            create_vars(&vars, &template),
            Err(FirmwareError::FlashSize { size: 1000, .. })
        ));
        assert!(!vars.exists());
    }

    #[test]
    fn a_bad_image_is_refused_before_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bios.bin");
        std::fs::write(&p, [0u8; 4096]).unwrap();
        assert!(matches!(
            read_image(&p),
            Err(FirmwareError::Size { size: 4096, .. })
        ));
        assert!(matches!(
            read_image(&dir.path().join("none")),
            Err(FirmwareError::Read { .. })
        ));
        std::fs::write(&p, vec![7u8; 128 << 10]).unwrap();
        assert_eq!(read_image(&p).unwrap().len(), 128 << 10);
    }

    #[test]
    fn the_shadow_is_the_rom_top_below_1m() {
        let mem = GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0), 2 << 20)]).unwrap();
        let mut image = vec![0u8; 256 << 10];
        image[(128 << 10) - 1] = 1; // last byte below the shadowed part
        image[128 << 10] = 2; // first shadowed byte
        *image.last_mut().unwrap() = 3; // the reset vector's page
        copy_shadow(&mem, &image).unwrap();
        let at = |a: u64| mem.read_obj::<u8>(GuestAddress(a)).unwrap();
        assert_eq!((at(0xdffff), at(0xe0000), at(0xfffff)), (0, 2, 3));
        let small = vec![5u8; 64 << 10];
        copy_shadow(&mem, &small).unwrap();
        assert_eq!((at(0xeffff), at(0xf0000)), (0, 5));
    }
}
