//! Which guest RAM pages were written since a point in time, whoever wrote them: the guest
//! (through KVM), the VMM's device threads, or a vCPU thread emulating a device's DMA. A live
//! save copies memory while the guest runs, then re-copies only these pages in its pause.
//!
//! The kernel does the tracking: guest RAM is registered with a userfaultfd in asynchronous
//! write-protect mode (Linux 6.7+: `UFFD_FEATURE_WP_ASYNC`), which marks every page
//! write-protected and, on the first write to one, lifts the protection in the kernel without
//! waking anybody; the `PAGEMAP_SCAN` ioctl on `/proc/self/pagemap` then lists the pages whose
//! protection is gone. A page that was not there when the watch began counts as written once
//! anything faults it in, even a read: harmless (it is copied again, or found zero), and the
//! save reads pages of a restored snapshot not faulted in yet from its file, not through the
//! mapping. (`UFFD_FEATURE_WP_UNPOPULATED` would protect absent pages too, but its markers read
//! as swapped pages in pagemap, and its page tables over all of RAM keep later guest memory
//! off 2 MiB pages.) KVM's dirty log would see the guest's writes only, not the VMM's own.
//!
//! Hand-written ioctls: the `libc` crate has neither the userfaultfd structures nor
//! `PAGEMAP_SCAN`, and the userfaultfd crates stop short of the asynchronous mode.

use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use vm_memory::{GuestMemoryBackend, GuestMemoryMmap, GuestMemoryRegion};

const PAGE: u64 = 4096;

const fn ioc(dir: u64, ty: u64, nr: u64, size: usize) -> u64 {
    (dir << 30) | ((size as u64) << 16) | (ty << 8) | nr
}
const IOC_READ: u64 = 2;
const IOC_RW: u64 = 3;

#[repr(C)]
#[derive(Default)]
struct UffdioApi {
    api: u64,
    features: u64,
    ioctls: u64,
}

#[repr(C)]
#[derive(Default, Clone, Copy)]
struct UffdioRange {
    start: u64,
    len: u64,
}

#[repr(C)]
#[derive(Default)]
struct UffdioRegister {
    range: UffdioRange,
    mode: u64,
    ioctls: u64,
}

#[repr(C)]
#[derive(Default)]
struct UffdioWriteprotect {
    range: UffdioRange,
    mode: u64,
}

#[repr(C)]
#[derive(Default)]
struct PmScanArg {
    size: u64,
    flags: u64,
    start: u64,
    end: u64,
    walk_end: u64,
    vec: u64,
    vec_len: u64,
    max_pages: u64,
    category_inverted: u64,
    category_mask: u64,
    category_anyof_mask: u64,
    return_mask: u64,
}

#[repr(C)]
#[derive(Default, Clone, Copy)]
struct PageRegion {
    start: u64,
    end: u64,
    categories: u64,
}

const UFFD_API: u64 = 0xaa;
const UFFDIO_API: u64 = ioc(IOC_RW, 0xaa, 0x3f, std::mem::size_of::<UffdioApi>());
const UFFDIO_REGISTER: u64 = ioc(IOC_RW, 0xaa, 0x00, std::mem::size_of::<UffdioRegister>());
const UFFDIO_UNREGISTER: u64 = ioc(IOC_READ, 0xaa, 0x01, std::mem::size_of::<UffdioRange>());
const UFFDIO_WRITEPROTECT: u64 = ioc(
    IOC_RW,
    0xaa,
    0x06,
    std::mem::size_of::<UffdioWriteprotect>(),
);
const UFFDIO_REGISTER_MODE_WP: u64 = 1 << 1;
const UFFDIO_WRITEPROTECT_MODE_WP: u64 = 1 << 0;
const UFFD_FEATURE_WP_ASYNC: u64 = 1 << 15;
const PAGEMAP_SCAN: u64 = ioc(IOC_RW, b'f' as u64, 16, std::mem::size_of::<PmScanArg>());
const PAGE_IS_WRITTEN: u64 = 1 << 1;

fn ioctl<T>(fd: &impl AsRawFd, req: u64, arg: &mut T) -> std::io::Result<i64> {
    // SAFETY: `arg` is the #[repr(C)] structure `req` is defined with, alive for the call.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), req as _, arg as *mut T) };
    if r < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(r as i64)
    }
}

/// Guest RAM under write watch until dropped (dropping lifts the protection: a page that stayed
/// protected would cost the guest a fault on its next write, and a 2 MiB page split in two
/// levels stays split until khugepaged merges it again, so the watch lasts one save only).
pub struct WriteWatch {
    uffd: OwnedFd,
    pagemap: File,
    /// Host (address, length) of each guest RAM region, in region order.
    ranges: Vec<(u64, u64)>,
}

impl WriteWatch {
    /// Starts watching every region of `mem`. Fails (with the reason) on kernels without the
    /// asynchronous write-protect mode; the caller then copies all memory while paused.
    pub fn start(mem: &GuestMemoryMmap) -> Result<WriteWatch, String> {
        // SAFETY: a plain syscall creating a file descriptor we own from here on.
        let fd =
            unsafe { libc::syscall(libc::SYS_userfaultfd, libc::O_CLOEXEC | libc::O_NONBLOCK) };
        if fd < 0 {
            return Err(format!("userfaultfd: {}", std::io::Error::last_os_error()));
        }
        // SAFETY: `fd` is a fresh descriptor nobody else owns.
        let uffd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
        let want = UFFD_FEATURE_WP_ASYNC;
        let mut api = UffdioApi {
            api: UFFD_API,
            features: want,
            ioctls: 0,
        };
        ioctl(&uffd, UFFDIO_API, &mut api).map_err(|e| {
            format!("userfaultfd: asynchronous write-protect not supported (Linux 6.7+): {e}")
        })?;
        let pagemap =
            File::open("/proc/self/pagemap").map_err(|e| format!("/proc/self/pagemap: {e}"))?;
        let mut w = WriteWatch {
            uffd,
            pagemap,
            ranges: Vec::new(),
        };
        for region in mem.iter() {
            let range = UffdioRange {
                start: region.as_ptr() as u64,
                len: region.len(),
            };
            let mut reg = UffdioRegister {
                range,
                mode: UFFDIO_REGISTER_MODE_WP,
                ioctls: 0,
            };
            ioctl(&w.uffd, UFFDIO_REGISTER, &mut reg)
                .map_err(|e| format!("userfaultfd register: {e}"))?;
            // Registered ranges are unregistered by Drop, even if protecting this one fails.
            w.ranges.push((range.start, range.len));
            let mut wp = UffdioWriteprotect {
                range,
                mode: UFFDIO_WRITEPROTECT_MODE_WP,
            };
            ioctl(&w.uffd, UFFDIO_WRITEPROTECT, &mut wp)
                .map_err(|e| format!("userfaultfd write-protect: {e}"))?;
        }
        // The scan itself must work too, before anybody relies on it.
        w.written(0)?;
        Ok(w)
    }

    /// Bitmap (bit set = written since `start`) of region `index`'s pages.
    pub fn written(&self, index: usize) -> Result<Vec<u64>, String> {
        let Some(&(start, len)) = self.ranges.get(index) else {
            return Ok(Vec::new());
        };
        let pages = (len / PAGE) as usize;
        let mut bits = vec![0u64; pages.div_ceil(64)];
        let mut out = vec![PageRegion::default(); 512];
        let mut at = start;
        while at < start + len {
            let mut arg = PmScanArg {
                size: std::mem::size_of::<PmScanArg>() as u64,
                start: at,
                end: start + len,
                vec: out.as_mut_ptr() as u64,
                vec_len: out.len() as u64,
                category_mask: PAGE_IS_WRITTEN,
                return_mask: PAGE_IS_WRITTEN,
                ..Default::default()
            };
            let n = ioctl(&self.pagemap, PAGEMAP_SCAN, &mut arg)
                .map_err(|e| format!("PAGEMAP_SCAN: {e}"))? as usize;
            for r in &out[..n.min(out.len())] {
                for p in (r.start - start) / PAGE..(r.end - start) / PAGE {
                    let p = p as usize;
                    bits[p / 64] |= 1 << (p % 64);
                }
            }
            // The walk stops early when `out` is full; it says where.
            if arg.walk_end <= at {
                return Err("PAGEMAP_SCAN made no progress".into());
            }
            at = arg.walk_end;
        }
        Ok(bits)
    }

    /// Bitmaps of every region, in region order.
    pub fn written_all(&self) -> Result<Vec<Vec<u64>>, String> {
        (0..self.ranges.len()).map(|i| self.written(i)).collect()
    }
}

impl Drop for WriteWatch {
    fn drop(&mut self) {
        for &(start, len) in &self.ranges {
            let mut r = UffdioRange { start, len };
            // Unregistering lifts the protection of the range (closing the fd would too).
            let _ = ioctl(&self.uffd, UFFDIO_UNREGISTER, &mut r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vm_memory::{Bytes, GuestAddress};

    fn bit(b: &[u64], i: usize) -> bool {
        b[i / 64] & (1 << (i % 64)) != 0
    }

    #[test]
    fn reports_written_pages_not_read_ones() {
        let mem = GuestMemoryMmap::<()>::from_ranges(&[
            (GuestAddress(0), 4 << 20),
            (GuestAddress(1 << 32), 1 << 20),
        ])
        .unwrap();
        mem.write_obj(1u64, GuestAddress(0x3000)).unwrap();
        let w = match WriteWatch::start(&mem) {
            Ok(w) => w,
            Err(e) if std::env::var_os("VMDESK_REQUIRE_TOOLS").is_none() => {
                println!("SKIP reports_written_pages_not_read_ones: {e}");
                return;
            }
            Err(e) => panic!("{e}"),
        };
        // Reading a page that is there is no write.
        let _: u64 = mem.read_obj(GuestAddress(0x3000)).unwrap();
        assert!(w.written_all().unwrap().iter().flatten().all(|&x| x == 0));
        mem.write_obj(2u64, GuestAddress(0x3008)).unwrap();
        mem.write_obj(3u8, GuestAddress(0x10_0000)).unwrap();
        mem.write_obj(4u8, GuestAddress((1 << 32) + 0x5000))
            .unwrap();
        let all = w.written_all().unwrap();
        let set: Vec<(usize, usize)> = all
            .iter()
            .enumerate()
            .flat_map(|(r, b)| {
                (0..b.len() * 64)
                    .filter(|&p| bit(b, p))
                    .map(move |p| (r, p))
            })
            .collect();
        assert_eq!(set, vec![(0, 3), (0, 0x100), (1, 5)]);
        drop(w);
        // Unprotected again: writes go on as before.
        mem.write_obj(5u8, GuestAddress(0x10_0001)).unwrap();
        assert_eq!(mem.read_obj::<u8>(GuestAddress(0x10_0000)).unwrap(), 3);
    }
}
