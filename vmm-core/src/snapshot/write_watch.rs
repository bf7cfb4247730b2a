//! Which guest RAM pages were written since a point in time, whoever wrote them: the guest
//! (through KVM), the VMM's device threads, or a vCPU thread emulating a device's DMA. A live
//! save copies memory while the guest runs, then re-copies only these pages in its pause.
//!
//! The kernel does the tracking: guest RAM is registered with a userfaultfd in asynchronous
//! write-protect mode (Linux 6.7+: `UFFD_FEATURE_WP_ASYNC`), where the first write to a
//! protected page lifts its protection in the kernel without waking anybody, and the
//! `PAGEMAP_SCAN` ioctl on `/proc/self/pagemap` lists the pages whose protection is gone. The
//! watch begins with one such scan that protects exactly the pages that are there (present or
//! swapped) and reports them, page table entry by entry: a page is either reported and
//! protected, or absent then, and anything that brings it in later (a write, or harmlessly a
//! read) leaves it unprotected, so counted as written. Absent pages are left alone:
//! `UFFDIO_WRITEPROTECT` would put markers in them that pagemap reports as swapped pages, and a
//! read of one would fault a zero page in. KVM's dirty log would see the guest's writes only,
//! not the VMM's own.
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
const UFFDIO_REGISTER_MODE_WP: u64 = 1 << 1;
const UFFD_FEATURE_WP_ASYNC: u64 = 1 << 15;
const PAGEMAP_SCAN: u64 = ioc(IOC_RW, b'f' as u64, 16, std::mem::size_of::<PmScanArg>());
/// Every ioctl the watch issues, for the API thread's seccomp filter.
pub const IOCTLS: [u64; 4] = [UFFDIO_API, UFFDIO_REGISTER, UFFDIO_UNREGISTER, PAGEMAP_SCAN];
const PAGE_IS_WRITTEN: u64 = 1 << 1;
const PAGE_IS_PRESENT: u64 = 1 << 3;
const PAGE_IS_SWAPPED: u64 = 1 << 4;
const PM_SCAN_WP_MATCHING: u64 = 1 << 0;
const PM_SCAN_CHECK_WPASYNC: u64 = 1 << 1;

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
    /// Per region, the pages that were there when the watch began.
    resident: Vec<Vec<u64>>,
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
            resident: Vec::new(),
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
            let present = w
                .scan(
                    w.ranges.len() - 1,
                    PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC,
                    0,
                    PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
                )
                .map_err(|e| format!("write-protecting guest RAM: {e}"))?;
            w.resident.push(present);
        }
        Ok(w)
    }

    /// Per region (in region order), the pages that were there when the watch began: the
    /// pages that can hold data; any other page that holds data now was written since.
    pub fn resident(&self) -> &[Vec<u64>] {
        &self.resident
    }

    /// Bitmap of region `index`'s pages that may differ from when the watch began: written
    /// since (the kernel counts a page never protected as written only once it is there), or
    /// there then and gone now (discarded: zero, or back to the restored file's bytes).
    pub fn written(&self, index: usize) -> Result<Vec<u64>, String> {
        let there = PAGE_IS_PRESENT | PAGE_IS_SWAPPED;
        let err = |e| format!("PAGEMAP_SCAN: {e}");
        let mut bits = self.scan(index, 0, PAGE_IS_WRITTEN, there).map_err(err)?;
        let now = self.scan(index, 0, 0, there).map_err(err)?;
        let was = self.resident.get(index).map_or(&[][..], |r| &r[..]);
        for ((b, n), r) in bits.iter_mut().zip(&now).zip(was) {
            *b |= r & !n;
        }
        Ok(bits)
    }

    /// Bitmap of region `index`'s pages in all the `all` categories and any of `anyof`
    /// (`flags`: also write-protect them, atomically with the report).
    fn scan(&self, index: usize, flags: u64, all: u64, anyof: u64) -> Result<Vec<u64>, String> {
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
                flags,
                start: at,
                end: start + len,
                vec: out.as_mut_ptr() as u64,
                vec_len: out.len() as u64,
                category_mask: all,
                category_anyof_mask: anyof,
                return_mask: all | anyof,
                ..Default::default()
            };
            let n =
                ioctl(&self.pagemap, PAGEMAP_SCAN, &mut arg).map_err(|e| e.to_string())? as usize;
            for r in &out[..n.min(out.len())] {
                for p in (r.start - start) / PAGE..(r.end - start) / PAGE {
                    let p = p as usize;
                    bits[p / 64] |= 1 << (p % 64);
                }
            }
            // The walk stops early when `out` is full; it says where.
            if arg.walk_end <= at {
                return Err("no progress".into());
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
        // The page that was there, and only it, is resident.
        let res = w.resident();
        assert_eq!(res[0][0], 1 << 3);
        assert!(res.iter().flatten().filter(|&&x| x != 0).count() == 1);
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
        // A page that was there and is discarded (reads zero now) counts as changed too.
        let host = mem.get_host_address(GuestAddress(0x3000)).unwrap();
        // SAFETY: one page of the test's own guest memory, which nothing else uses.
        let r = unsafe { libc::madvise(host.cast(), PAGE as usize, libc::MADV_DONTNEED) };
        assert_eq!(r, 0);
        assert!(bit(&w.written(0).unwrap(), 3));
        drop(w);
        // Unprotected again: writes go on as before.
        mem.write_obj(5u8, GuestAddress(0x10_0001)).unwrap();
        assert_eq!(mem.read_obj::<u8>(GuestAddress(0x10_0000)).unwrap(), 3);
    }
}
