//! What this process costs the host: CPU time (whole process, one thread) and resident memory,
//! for the control API's `counters`. Read on demand by the API thread; nothing on the I/O path.

/// User and system CPU time of the whole process, in microseconds.
pub fn process_cpu_us() -> (u64, u64) {
    // SAFETY: rusage is plain old data; all zeroes is a valid value.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage fills the struct we own.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return (0, 0);
    }
    let us = |t: libc::timeval| (t.tv_sec.max(0) as u64) * 1_000_000 + t.tv_usec.max(0) as u64;
    (us(ru.ru_utime), us(ru.ru_stime))
}

/// CPU time (user + system) of one live thread of this process, in microseconds; 0 if it
/// cannot be read.
pub fn thread_cpu_us(thread: libc::pthread_t) -> u64 {
    let mut clock: libc::clockid_t = 0;
    // SAFETY: `thread` is a thread of this process that has not been joined (vCPU threads run
    // until the process ends); both out-pointers are ours.
    if unsafe { libc::pthread_getcpuclockid(thread, &mut clock) } != 0 {
        return 0;
    }
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid clock id and a timespec we own.
    if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 {
        return 0;
    }
    (ts.tv_sec.max(0) as u64) * 1_000_000 + (ts.tv_nsec.max(0) as u64) / 1000
}

/// Resident memory of this process in bytes (`/proc/self/statm`: resident pages × page size).
pub fn rss_bytes() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * u64::try_from(page).unwrap_or(4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_grows_with_work_and_memory_is_resident() {
        let spin = |ms: u64| {
            let end = std::time::Instant::now() + std::time::Duration::from_millis(ms);
            let mut x = 0u64;
            while std::time::Instant::now() < end {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
            }
        };
        // SAFETY: pthread_self has no preconditions.
        let me = unsafe { libc::pthread_self() };
        let (u0, s0) = process_cpu_us();
        let t0 = thread_cpu_us(me);
        spin(150);
        let (u1, s1) = process_cpu_us();
        let t1 = thread_cpu_us(me);
        // Busy for 150 ms of wall time: at least 5 ms of it on the CPU, even on a loaded host.
        assert!(t1 >= t0 + 5_000, "thread {t0} → {t1} µs");
        assert!(
            u1 + s1 >= u0 + s0 + 5_000,
            "process {} → {} µs",
            u0 + s0,
            u1 + s1
        );
        // The whole process has used at least what this thread did.
        assert!(u1 + s1 + 10_000 >= t1);
        // Other tests in this process map and unmap memory meanwhile: compare with what this
        // one holds, not with an earlier reading.
        let v = vec![1u8; 32 << 20];
        std::hint::black_box(&v);
        assert!(
            rss_bytes() >= 32 << 20,
            "32 MiB touched, RSS {}",
            rss_bytes()
        );
    }
}
