//! The exit log: the last exits of every vCPU, recorded only while someone reads them.
//!
//! The vCPU loop checks one relaxed atomic per exit; only when a client has asked for the
//! log within [`IDLE_OFF`] does it take the ring's lock and record. The ring is bounded, so a
//! client that stops reading costs at most [`CAPACITY`] records until recording stops.

use crate::api::{ExitLog as ExitLogReply, ExitRecord};
use crate::util::lock;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Records the ring holds.
pub const CAPACITY: usize = 4096;
/// Most records one reply carries (the newest): at tens of thousands of exits a second, a
/// client polling ten times a second would otherwise get megabytes of JSON a second.
pub const REPLY_MAX: usize = 512;
/// Recording stops this long after the last `exit-log` request.
pub const IDLE_OFF: Duration = Duration::from_secs(5);

pub struct ExitLog {
    enabled: AtomicBool,
    started: Instant,
    inner: Mutex<Ring>,
}

#[derive(Default)]
struct Ring {
    records: VecDeque<Record>,
    next: u64,
    dropped: u64,
    last_read: Option<Instant>,
}

/// One exit as the vCPU loop saw it (the log adds the sequence number and time).
pub struct Seen<'a> {
    pub vcpu: u32,
    pub reason: &'static str,
    pub addr: u64,
    pub data: &'a [u8],
    /// Whether `data` is a value the exit moved (I/O and MMIO).
    pub has_value: bool,
    pub device: Option<&'a Arc<str>>,
}

/// A record as the ring keeps it: nothing allocated per exit (the reply's text is made when
/// a client reads).
struct Record {
    seq: u64,
    vcpu: u32,
    at_us: u64,
    reason: &'static str,
    addr: u64,
    size: u8,
    value: Option<u64>,
    device: Option<Arc<str>>,
}

impl Record {
    fn to_api(&self) -> ExitRecord {
        ExitRecord {
            seq: self.seq,
            vcpu: self.vcpu,
            at_us: self.at_us,
            reason: self.reason.to_string(),
            addr: self.addr,
            size: self.size,
            value: self.value,
            device: self.device.as_deref().map(str::to_string),
        }
    }
}

impl ExitLog {
    pub fn new(started: Instant) -> Self {
        ExitLog {
            enabled: AtomicBool::new(false),
            started,
            inner: Mutex::new(Ring::default()),
        }
    }

    /// Whether the vCPU loop should record (the one check it pays per exit).
    #[inline]
    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// Records one exit; stops recording once nobody has read for [`IDLE_OFF`].
    pub fn record(&self, e: Seen<'_>) {
        let mut r = lock(&self.inner);
        if r.last_read.is_none_or(|t| t.elapsed() > IDLE_OFF) {
            self.enabled.store(false, Ordering::Relaxed);
            return;
        }
        let value = e.has_value.then(|| {
            let mut b = [0u8; 8];
            let n = e.data.len().min(8);
            b[..n].copy_from_slice(&e.data[..n]);
            u64::from_le_bytes(b)
        });
        r.next += 1;
        let seq = r.next;
        if r.records.len() == CAPACITY {
            r.records.pop_front();
            r.dropped += 1;
        }
        r.records.push_back(Record {
            seq,
            vcpu: e.vcpu,
            at_us: self.started.elapsed().as_micros() as u64,
            reason: e.reason,
            addr: e.addr,
            size: if e.has_value { e.data.len() as u8 } else { 0 },
            value,
            device: e.device.cloned(),
        });
    }

    /// The records after `after` (the newest [`REPLY_MAX`] of them), and turns recording on
    /// (again) for [`IDLE_OFF`].
    pub fn read(&self, after: u64) -> ExitLogReply {
        let mut r = lock(&self.inner);
        r.last_read = Some(Instant::now());
        self.enabled.store(true, Ordering::Relaxed);
        // Sequence numbers are consecutive in the ring: the first wanted one is at a known place.
        let first = r.records.front().map_or(0, |f| f.seq);
        let from = after.saturating_add(1).saturating_sub(first) as usize;
        let from = from.max(r.records.len().saturating_sub(REPLY_MAX));
        ExitLogReply {
            next: r.next + 1,
            dropped: r.dropped,
            entries: r.records.iter().skip(from).map(Record::to_api).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(port: u64, v: u8) -> Seen<'static> {
        let data: &'static [u8] = Box::leak(Box::new([v]));
        let name: &'static Arc<str> = Box::leak(Box::new(Arc::from("POST port")));
        Seen {
            vcpu: 0,
            reason: "io-out",
            addr: port,
            data,
            has_value: true,
            device: Some(name),
        }
    }

    #[test]
    fn records_only_after_a_read_and_keeps_the_last_capacity() {
        let log = ExitLog::new(Instant::now());
        assert!(!log.enabled());
        log.record(out(0x80, 1));
        assert!(
            log.read(0).entries.is_empty(),
            "nothing before the first read"
        );
        assert!(log.enabled());
        for i in 0..(CAPACITY + 10) {
            log.record(out(0x80, i as u8));
        }
        let r = log.read(0);
        // The ring keeps CAPACITY; a reply carries the newest REPLY_MAX.
        assert_eq!(r.entries.len(), REPLY_MAX);
        assert_eq!(r.dropped, 10);
        assert_eq!(r.next, CAPACITY as u64 + 11);
        let first = &r.entries[0];
        let seq = r.next - REPLY_MAX as u64;
        assert_eq!(
            (first.seq, first.value, first.size),
            (seq, Some((seq - 1) as u8 as u64), 1)
        );
        assert_eq!(first.device.as_deref(), Some("POST port"));
        assert_eq!(lock(&log.inner).records.front().unwrap().seq, 11);
        // Only what came after `after`.
        let tail = log.read(r.next - 3);
        assert_eq!(
            tail.entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [r.next - 2, r.next - 1]
        );
    }

    #[test]
    fn stops_recording_when_nobody_reads() {
        let log = ExitLog::new(Instant::now());
        log.read(0);
        lock(&log.inner).last_read = Some(Instant::now() - IDLE_OFF - Duration::from_millis(1));
        log.record(out(0x80, 1));
        assert!(!log.enabled());
        assert!(lock(&log.inner).records.is_empty());
    }
}
