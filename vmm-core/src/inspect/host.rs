//! The host's side of the inspector: threads from `/proc/self/task`, and how much of a
//! mapping is resident (`mincore`) or backed by transparent huge pages (`smaps`).

use crate::api::ThreadView;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PAGE: usize = 4096;

/// How long one read of `/proc/self/smaps` serves: the kernel walks every mapping's pages to
/// write it (~2 ms for a small VM), and huge pages come and go slowly, so a client polling at
/// 10 Hz should not pay that each time.
const SMAPS_FRESH: Duration = Duration::from_secs(2);

/// `/proc/self/smaps`, read at most every [`SMAPS_FRESH`].
pub fn smaps() -> Arc<String> {
    static LAST: Mutex<Option<(Instant, Arc<String>)>> = Mutex::new(None);
    let mut last = crate::util::lock(&LAST);
    match &*last {
        Some((at, text)) if at.elapsed() < SMAPS_FRESH => text.clone(),
        _ => {
            let text = Arc::new(std::fs::read_to_string("/proc/self/smaps").unwrap_or_default());
            *last = Some((Instant::now(), text.clone()));
            text
        }
    }
}

/// Bytes of `[addr, addr + len)` (a mapping of this process) that are resident.
pub fn resident_bytes(addr: usize, len: usize) -> Option<u64> {
    if len == 0 || !addr.is_multiple_of(PAGE) {
        return None;
    }
    let pages = len.div_ceil(PAGE);
    let mut vec = vec![0u8; pages];
    // SAFETY: the range is a live mapping of this process (guest RAM or the framebuffer, kept
    // until the process ends); `vec` has one byte per page as mincore requires.
    let r = unsafe { libc::mincore(addr as *mut libc::c_void, len, vec.as_mut_ptr()) };
    (r == 0).then(|| vec.iter().filter(|b| **b & 1 != 0).count() as u64 * PAGE as u64)
}

/// `AnonHugePages` of the mappings inside `[addr, addr + len)`, from smaps text.
pub fn huge_page_bytes(smaps: &str, addr: usize, len: usize) -> u64 {
    let (lo, hi) = (addr as u64, (addr + len) as u64);
    let mut inside = false;
    let mut total = 0;
    for line in smaps.lines() {
        let mut words = line.split_whitespace();
        let Some(first) = words.next() else { continue };
        if let Some((a, b)) = first.split_once('-') {
            if let (Ok(a), Ok(b)) = (u64::from_str_radix(a, 16), u64::from_str_radix(b, 16)) {
                inside = a < hi && b > lo;
                continue;
            }
        }
        if inside && first == "AnonHugePages:" {
            total += words
                .next()
                .and_then(|k| k.parse::<u64>().ok())
                .unwrap_or(0)
                * 1024;
        }
    }
    total
}

/// One thread's name, CPU time and last CPU from its `stat` line (`None` if malformed).
pub fn parse_stat(tid: u32, stat: &str, ticks_per_s: u64) -> Option<ThreadView> {
    // The name is between the first '(' and the last ')': it may hold both.
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let name = stat.get(open + 1..close)?.to_string();
    let rest: Vec<&str> = stat.get(close + 1..)?.split_whitespace().collect();
    // Fields 14 (utime), 15 (stime), 39 (processor), counted from 1 with the state as 3.
    let field = |n: usize| rest.get(n - 3)?.parse::<u64>().ok();
    let ticks = field(14)? + field(15)?;
    Some(ThreadView {
        tid,
        name,
        cpu_us: ticks * 1_000_000 / ticks_per_s.max(1),
        last_cpu: field(39)? as u32,
    })
}

fn ticks_per_s() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t as u64
    } else {
        100
    }
}

/// Thread `tid` of this process, now.
pub fn thread(tid: u32) -> Option<ThreadView> {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
    parse_stat(tid, &stat, ticks_per_s())
}

/// Every thread of this process, by thread id.
pub fn threads() -> Vec<ThreadView> {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    let mut out: Vec<ThreadView> = dir
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(thread)
        .collect();
    out.sort_by_key(|t| t.tid);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_with_odd_names() {
        let mut f = vec!["0"; 50];
        f[0] = "S";
        f[14 - 3] = "150";
        f[15 - 3] = "50";
        f[39 - 3] = "1";
        let line = format!("42 (vcpu0 (x) y) {}", f.join(" "));
        let t = parse_stat(42, &line, 100).unwrap();
        assert_eq!(t.name, "vcpu0 (x) y");
        assert_eq!((t.tid, t.cpu_us, t.last_cpu), (42, 2_000_000, 1));
        assert!(parse_stat(1, "1 (short) S 1 2", 100).is_none());
    }

    #[test]
    fn smaps_huge_pages_inside_the_range_only() {
        let smaps = "\
7f0000000000-7f0000400000 rw-p 00000000 00:00 0
Size:               4096 kB
AnonHugePages:      2048 kB
7f0000400000-7f0000800000 rw-p 00000000 00:00 0
AnonHugePages:      4096 kB
7f0000800000-7f0000a00000 rw-p 00000000 00:00 0
AnonHugePages:      2048 kB
";
        assert_eq!(huge_page_bytes(smaps, 0x7f00_0000_0000, 0x80_0000), 6 << 20);
        assert_eq!(huge_page_bytes(smaps, 0x7f00_0080_0000, 0x20_0000), 2 << 20);
        assert_eq!(huge_page_bytes(smaps, 0x1000, 0x1000), 0);
    }

    #[test]
    fn resident_bytes_counts_touched_pages() {
        let len = 64 * PAGE;
        // SAFETY: a fresh private anonymous mapping, unmapped below.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(p, libc::MAP_FAILED);
        assert_eq!(resident_bytes(p as usize, len), Some(0));
        for i in 0..5 {
            // SAFETY: inside the mapping.
            unsafe { *(p as *mut u8).add(i * 3 * PAGE) = 1 };
        }
        assert_eq!(resident_bytes(p as usize, len), Some(5 * PAGE as u64));
        // SAFETY: ours, unused from here on.
        unsafe { libc::munmap(p, len) };
    }

    #[test]
    fn this_process_has_threads_with_names() {
        let ts = threads();
        assert!(ts.iter().any(|t| t.tid == std::process::id()));
    }
}
