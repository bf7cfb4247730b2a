//! Direct Linux boot: load the kernel (bzImage or ELF vmlinux) with linux-loader, place the
//! initrd and command line, and fill the zero page (`struct boot_params`).

use super::layout::*;
use linux_loader::loader::bootparam::{boot_e820_entry, boot_params};
use linux_loader::loader::elf::PvhBootCapability;
use linux_loader::loader::{BzImage, Elf, KernelLoader};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use vm_memory::{ByteValued, Bytes, GuestAddress, GuestMemoryMmap};

/// `boot_params` is plain old data; linux-loader does not mark it so.
#[derive(Clone, Copy, Default)]
#[repr(transparent)]
struct ZeroPage(boot_params);
// SAFETY: boot_params is a packed C struct of integers and arrays; any bit pattern is valid.
unsafe impl ByteValued for ZeroPage {}

const XLF_KERNEL_64: u16 = 1;
const KERNEL_LOADER_OTHER: u8 = 0xff;
const KERNEL_HDR_MAGIC: u32 = 0x5372_6448;

#[derive(Debug, thiserror::Error)]
pub enum BootError {
    #[error("boot.kernel: {0}")]
    Kernel(String),
    #[error("boot.initrd: {0}")]
    Initrd(String),
    #[error("boot.cmdline: {0}")]
    Cmdline(String),
    #[error("writing boot structures: {0}")]
    Memory(String),
}

/// What kind of kernel image a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelFormat {
    BzImage,
    Elf,
}

/// Why a file is no kernel we can boot; each names the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KernelError {
    /// Same text as `CannotOpen`: the message has always said "cannot open".
    #[error("cannot open {}: {reason}", path.display())]
    NotFound { path: PathBuf, reason: String },
    #[error("cannot open {}: {reason}", path.display())]
    CannotOpen { path: PathBuf, reason: String },
    #[error("cannot stat {}: {reason}", path.display())]
    CannotStat { path: PathBuf, reason: String },
    #[error("{} is not a regular file", path.display())]
    NotRegularFile { path: PathBuf },
    #[error("cannot read {}: {reason}", path.display())]
    CannotRead { path: PathBuf, reason: String },
    /// A bzImage shorter than its header says (a cut-off download).
    #[error("{} is truncated: {len} bytes, its header says {want}", path.display())]
    Truncated { path: PathBuf, len: u64, want: u64 },
    #[error("{} is not a Linux kernel (no bzImage setup header and no ELF magic)", path.display())]
    NotAKernel { path: PathBuf },
    #[error("{} is {size} bytes, more than the {max} a kernel may have", path.display())]
    TooBig { path: PathBuf, size: u64, max: u64 },
}

/// Largest kernel loaded: real ones are tens of MiB; anything far bigger is not one.
pub const MAX_KERNEL_BYTES: u64 = 256 << 20;

/// Looks at a file's first bytes to tell a bzImage ("HdrS" at 0x202) or an ELF from anything else.
pub fn sniff_kernel(path: &Path) -> Result<KernelFormat, KernelError> {
    let p = || path.to_path_buf();
    let mut f = crate::util::open_no_wait(path).map_err(|e| {
        let reason = e.to_string();
        if e.kind() == std::io::ErrorKind::NotFound {
            KernelError::NotFound { path: p(), reason }
        } else {
            KernelError::CannotOpen { path: p(), reason }
        }
    })?;
    let meta = f.metadata().map_err(|e| KernelError::CannotStat {
        path: p(),
        reason: e.to_string(),
    })?;
    if !meta.is_file() {
        return Err(KernelError::NotRegularFile { path: p() });
    }
    if meta.len() > MAX_KERNEL_BYTES {
        return Err(KernelError::TooBig {
            path: p(),
            size: meta.len(),
            max: MAX_KERNEL_BYTES,
        });
    }
    let mut head = [0u8; 0x206];
    let n = read_up_to(&mut f, &mut head).map_err(|e| KernelError::CannotRead {
        path: p(),
        reason: e.to_string(),
    })?;
    if n >= 4 && head[..4] == *b"\x7fELF" {
        return Ok(KernelFormat::Elf);
    }
    if n >= 0x206 && head[0x202..0x206] == *b"HdrS" && head[0x1fe..0x200] == [0x55, 0xaa] {
        // A cut-off download still has a valid header: check the file holds what the header
        // says (setup sectors + syssize paragraphs), or the guest would crash mid-boot.
        let setup_sects = match head[0x1f1] {
            0 => 4,
            s => u64::from(s),
        };
        let syssize = u64::from(u32::from_le_bytes([
            head[0x1f4],
            head[0x1f5],
            head[0x1f6],
            head[0x1f7],
        ]));
        let want = (setup_sects + 1) * 512 + syssize * 16;
        // syssize is rounded up to whole 16-byte paragraphs: up to 15 bytes may be missing.
        if meta.len() + 15 < want {
            return Err(KernelError::Truncated {
                path: p(),
                len: meta.len(),
                want,
            });
        }
        return Ok(KernelFormat::BzImage);
    }
    Err(KernelError::NotAKernel { path: p() })
}

fn read_up_to(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// How the boot vCPU enters the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryMode {
    /// Linux 64-bit boot protocol: long mode, `rsi` = zero page.
    Linux64,
    /// PVH: 32-bit protected mode, paging off, `rbx` = `hvm_start_info`.
    Pvh,
}

/// What the boot vCPU needs to start.
pub struct BootInfo {
    pub entry: u64,
    pub mode: EntryMode,
}

/// PVH `struct hvm_start_info` (Xen's arch-x86/hvm/start_info.h, version 1).
#[derive(Clone, Copy, Default)]
#[repr(C)]
struct HvmStartInfo {
    magic: u32,
    version: u32,
    flags: u32,
    nr_modules: u32,
    modlist_paddr: u64,
    cmdline_paddr: u64,
    rsdp_paddr: u64,
    memmap_paddr: u64,
    memmap_entries: u32,
    reserved: u32,
}
// SAFETY: plain integers, no padding (56 bytes).
unsafe impl ByteValued for HvmStartInfo {}

#[derive(Clone, Copy, Default)]
#[repr(C)]
struct HvmModlistEntry {
    paddr: u64,
    size: u64,
    cmdline_paddr: u64,
    reserved: u64,
}
// SAFETY: plain integers.
unsafe impl ByteValued for HvmModlistEntry {}

#[derive(Clone, Copy, Default)]
#[repr(C)]
struct HvmMemmapEntry {
    addr: u64,
    size: u64,
    type_: u32,
    reserved: u32,
}
// SAFETY: plain integers.
unsafe impl ByteValued for HvmMemmapEntry {}

const HVM_START_MAGIC: u32 = 0x336e_c578;

/// A linear framebuffer to describe in `screen_info`.
#[derive(Debug, Clone, Copy)]
pub struct ScreenInfo {
    pub base: u64,
    pub size: u64,
    pub width: u32,
    pub height: u32,
    pub stride: u32,
}

pub struct BootSpec<'a> {
    pub screen: Option<ScreenInfo>,
    pub kernel: &'a Path,
    pub initrd: Option<&'a Path>,
    pub cmdline: &'a str,
    pub mem_bytes: u64,
    pub rsdp: u64,
}

pub fn load_linux(mem: &GuestMemoryMmap, spec: &BootSpec) -> Result<BootInfo, BootError> {
    let kerr = |what: &str, e: &dyn std::fmt::Display| {
        BootError::Kernel(format!("{}: {what}: {e}", spec.kernel.display()))
    };
    let format = sniff_kernel(spec.kernel).map_err(|e| BootError::Kernel(e.to_string()))?;
    let mut file = crate::util::open_regular(spec.kernel).map_err(|e| kerr("cannot open", &e))?;
    let mut params = ZeroPage::default();
    // End of what the kernel occupies, including where it decompresses itself: the initrd
    // must stay above it or the decompressor overwrites it.
    let (entry, mode, reserved_end) = match format {
        KernelFormat::BzImage => {
            let res = BzImage::load(mem, None, &mut file, Some(GuestAddress(HIMEM_START)))
                .map_err(|e| kerr("cannot load bzImage (truncated or corrupt?)", &e))?;
            let hdr = res
                .setup_header
                .ok_or_else(|| kerr("bzImage", &"no setup header"))?;
            if hdr.version < 0x0206 {
                return Err(kerr(
                    "bzImage",
                    &format!("boot protocol {:#x} is too old (need 2.06+)", {
                        hdr.version
                    }),
                ));
            }
            if hdr.xloadflags & XLF_KERNEL_64 == 0 {
                return Err(kerr(
                    "bzImage",
                    &"has no 64-bit entry point (XLF_KERNEL_64)",
                ));
            }
            if res.kernel_end > MMIO_HOLE_START.min(spec.mem_bytes) {
                return Err(kerr("bzImage", &"does not fit in guest memory"));
            }
            params.0.hdr = hdr;
            let (pref, init_size) = (hdr.pref_address, hdr.init_size);
            let decompressed_end = pref + u64::from(init_size);
            (
                res.kernel_load.0 + 0x200,
                EntryMode::Linux64,
                res.kernel_end.max(decompressed_end),
            )
        }
        KernelFormat::Elf => {
            let res = Elf::load(mem, None, &mut file, Some(GuestAddress(HIMEM_START)))
                .map_err(|e| kerr("cannot load ELF kernel", &e))?;
            params.0.hdr.boot_flag = 0xaa55;
            params.0.hdr.header = KERNEL_HDR_MAGIC;
            params.0.hdr.kernel_alignment = 0x0100_0000;
            // Prefer PVH when the kernel announces it (as stock vmlinux does): it needs no
            // page tables from us. Otherwise enter at e_entry in long mode.
            match res.pvh_boot_cap {
                PvhBootCapability::PvhEntryPresent(addr) => {
                    (addr.0, EntryMode::Pvh, res.kernel_end)
                }
                _ => (res.kernel_load.0, EntryMode::Linux64, res.kernel_end),
            }
        }
    };

    // Command line.
    let cmdline = machine_cmdline(spec.cmdline);
    let cmdline = cmdline.as_str();
    if cmdline.len() + 1 > CMDLINE_MAX {
        return Err(BootError::Cmdline(format!(
            "{} bytes is too long",
            cmdline.len()
        )));
    }
    let mut bytes = cmdline.as_bytes().to_vec();
    bytes.push(0);
    mem.write_slice(&bytes, GuestAddress(CMDLINE))
        .map_err(|e| BootError::Memory(e.to_string()))?;
    params.0.hdr.cmd_line_ptr = CMDLINE as u32;
    params.0.hdr.cmdline_size = cmdline.len() as u32;
    params.0.hdr.type_of_loader = KERNEL_LOADER_OTHER;

    // Initrd: as high in low memory as the kernel allows, page aligned.
    let mut initrd_at = None;
    if let Some(path) = spec.initrd {
        // At most half the guest's memory, as validated (the file may have changed since).
        let data = crate::util::read_regular(path, spec.mem_bytes / 2)
            .map_err(|e| BootError::Initrd(format!("{}: cannot read: {e}", path.display())))?;
        let initrd_addr_max = params.0.hdr.initrd_addr_max;
        let max = match initrd_addr_max {
            0 => 0x37ff_ffff, // protocol < 2.03 default
            m => u64::from(m),
        };
        let top = (spec.mem_bytes.min(MMIO_HOLE_START)).min(max + 1);
        let size = data.len() as u64;
        let addr = top
            .checked_sub(size)
            .map(|a| a & !0xfff)
            .filter(|a| *a >= reserved_end)
            .ok_or_else(|| {
                BootError::Initrd(format!(
                    "{} ({} bytes) does not fit in guest memory above the kernel (which needs up to {:#x})",
                    path.display(),
                    size,
                    reserved_end
                ))
            })?;
        mem.write_slice(&data, GuestAddress(addr))
            .map_err(|e| BootError::Memory(e.to_string()))?;
        initrd_at = Some((addr, size));
        params.0.hdr.ramdisk_image = addr as u32;
        params.0.hdr.ramdisk_size = size as u32;
        params.0.ext_ramdisk_size = (size >> 32) as u32;
    }

    // Screen: an EFI-style linear framebuffer, which both Debian kernels' efifb drive.
    if let Some(fb) = spec.screen {
        let si = &mut params.0.screen_info;
        si.orig_video_isVGA = 0x70; // VIDEO_TYPE_EFI
        si.lfb_width = fb.width as u16;
        si.lfb_height = fb.height as u16;
        si.lfb_depth = 32;
        si.lfb_linelength = fb.stride as u16;
        si.lfb_base = fb.base as u32;
        si.ext_lfb_base = (fb.base >> 32) as u32;
        si.lfb_size = fb.size as u32; // bytes, as efifb reads it
        si.red_size = 8;
        si.red_pos = 16;
        si.green_size = 8;
        si.green_pos = 8;
        si.blue_size = 8;
        si.blue_pos = 0;
        si.rsvd_size = 8;
        si.rsvd_pos = 24;
        si.pages = 1;
        // SKIP_QUIRKS (bit 0): take the values as given; 64BIT_BASE (bit 1) if above 4 GiB.
        si.capabilities = 1 | if fb.base >> 32 != 0 { 2 } else { 0 };
    }

    // e820 memory map.
    let map = e820_map(spec.mem_bytes, spec.screen.map(|s| (s.base, s.size)));
    for (i, (addr, size, type_)) in map.iter().enumerate() {
        params.0.e820_table[i] = boot_e820_entry {
            addr: *addr,
            size: *size,
            r#type: *type_,
        };
    }
    params.0.e820_entries = map.len() as u8;
    params.0.acpi_rsdp_addr = spec.rsdp;

    let wmem = |e: vm_memory::GuestMemoryError| BootError::Memory(e.to_string());
    if mode == EntryMode::Pvh {
        let mut info = HvmStartInfo {
            magic: HVM_START_MAGIC,
            version: 1,
            cmdline_paddr: CMDLINE,
            rsdp_paddr: spec.rsdp,
            memmap_paddr: PVH_MEMMAP,
            memmap_entries: map.len() as u32,
            ..Default::default()
        };
        for (i, (addr, size, type_)) in map.iter().enumerate() {
            let e = HvmMemmapEntry {
                addr: *addr,
                size: *size,
                type_: *type_,
                reserved: 0,
            };
            mem.write_obj(e, GuestAddress(PVH_MEMMAP + 24 * i as u64))
                .map_err(wmem)?;
        }
        if let Some((paddr, size)) = initrd_at {
            let m = HvmModlistEntry {
                paddr,
                size,
                ..Default::default()
            };
            mem.write_obj(m, GuestAddress(PVH_MODLIST)).map_err(wmem)?;
            info.nr_modules = 1;
            info.modlist_paddr = PVH_MODLIST;
        }
        mem.write_obj(info, GuestAddress(PVH_START_INFO))
            .map_err(wmem)?;
    } else {
        mem.write_obj(params, GuestAddress(ZERO_PAGE))
            .map_err(wmem)?;
    }
    Ok(BootInfo { entry, mode })
}

/// The guest's command line as given, plus what this machine needs said: `pci=off` (there is
/// no PCI bus — every device is virtio-mmio — so Linux need not probe for one and print
/// "PCI: Fatal: No config space access function found" on the user's screen). A `pci=` the
/// user wrote wins.
pub fn machine_cmdline(given: &str) -> String {
    let given = given.trim();
    if given.split_whitespace().any(|w| w.starts_with("pci=")) {
        given.to_string()
    } else if given.is_empty() {
        "pci=off".to_string()
    } else {
        format!("{given} pci=off")
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The smallest file that reads as a bzImage (its setup header), for tests that need a
    /// kernel file.
    pub(crate) fn fake_bzimage(dir: &Path) -> PathBuf {
        let mut img = vec![0u8; 0x400];
        img[0x1f1] = 1; // one setup sector, syssize 0: the whole image is 1 KiB
        img[0x1fe] = 0x55;
        img[0x1ff] = 0xaa;
        img[0x202..0x206].copy_from_slice(b"HdrS");
        let p = dir.join("vmlinuz");
        std::fs::write(&p, img).unwrap();
        p
    }

    #[test]
    fn kernel_must_be_a_kernel() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "just text").unwrap();
        assert!(sniff_kernel(&text)
            .unwrap_err()
            .to_string()
            .contains("not a Linux kernel"));
        assert!(sniff_kernel(dir.path())
            .unwrap_err()
            .to_string()
            .contains("not a regular file"));
        let mut elf = b"\x7fELF".to_vec();
        elf.resize(64, 0);
        let e = dir.path().join("vmlinux");
        std::fs::write(&e, elf).unwrap();
        assert_eq!(sniff_kernel(&e), Ok(KernelFormat::Elf));
    }

    #[test]
    fn a_cut_off_bzimage_is_refused_as_truncated() {
        let dir = tempfile::tempdir().unwrap();
        let k = fake_bzimage(dir.path());
        let mut img = std::fs::read(&k).unwrap();
        img[0x1f4] = 0x40; // syssize: 64 paragraphs = 1 KiB more than the file has
        std::fs::write(&k, &img).unwrap();
        let e = sniff_kernel(&k).unwrap_err().to_string();
        assert!(e.contains("truncated") && e.contains("vmlinuz"), "{e}");
    }

    #[test]
    fn pci_off_is_added_unless_the_user_chose() {
        assert_eq!(machine_cmdline(" console=ttyS0 "), "console=ttyS0 pci=off");
        assert_eq!(machine_cmdline(""), "pci=off");
        assert_eq!(machine_cmdline("pci=noacpi quiet"), "pci=noacpi quiet");
    }
}
