//! Numbers for people, and the maths behind the Activity tab: rates between two `counters`
//! samples of a VMM, the last minute of them, the busiest exit reasons, and round scale tops for
//! the graphs. No iced: the graphs (`ui::widget::graph`) draw what this holds.

use std::collections::{HashMap, VecDeque};
use vmm_core::api::{Counters, DiskCounters, NicCounters};

/// Bytes for people: 1.5 MiB.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Seconds of history the graphs show.
pub const WINDOW_S: f64 = 60.0;
/// Exit reasons the exits graph stacks one by one (the rest is "other").
pub const STACKED_REASONS: usize = 4;

/// One point of the graphs: rates between two samples, gauges at the later one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sample {
    /// The VMM's uptime at the sample, in seconds.
    pub t: f64,
    /// CPU time per second of wall time, in % of one core: the vCPU threads (running the
    /// guest and handling its exits), and the rest of the VMM process (devices, display, API).
    pub cpu_vcpu: f64,
    pub cpu_vmm: f64,
    /// Each vCPU thread's share of `cpu_vcpu` (empty when the VMM does not report them).
    pub per_vcpu: Vec<f64>,
    /// Resident memory of the VMM process and the guest RAM configured, in bytes.
    pub rss: f64,
    pub guest_ram: f64,
    /// Exits per second by reason, in the VMM's order.
    pub exits: Vec<(String, f64)>,
    /// Bytes per second, all disks / all NICs together.
    pub disk_read: f64,
    pub disk_write: f64,
    pub net_rx: f64,
    pub net_tx: f64,
}

/// How much a counter grew from `before` to `now`. Counters are u64 and may wrap; a counter
/// that went back by more than half the range did not wrap but started again from zero (a
/// new VMM process): `None`.
fn grew(before: u64, now: u64) -> Option<u64> {
    let d = now.wrapping_sub(before);
    (d <= u64::MAX / 2).then_some(d)
}

fn nic_bytes(c: &Counters) -> (u64, u64) {
    c.nics.iter().fold((0, 0), |(rx, tx), n| {
        (rx.wrapping_add(n.rx_bytes), tx.wrapping_add(n.tx_bytes))
    })
}

/// The rates between sample `a` and the later sample `b` of the same VMM, per second of the
/// time between them (so a missed poll gives the average over the gap). `None` when `b` is
/// not later than `a` or a counter went back: the VMM was restarted in between.
pub fn rates(a: &Counters, b: &Counters) -> Option<Sample> {
    if b.uptime_ms <= a.uptime_ms || a.disks.len() != b.disks.len() {
        return None;
    }
    let dt = (b.uptime_ms - a.uptime_ms) as f64 / 1000.0;
    let per_s = |x: u64, y: u64| grew(x, y).map(|d| d as f64 / dt);
    let cpu = |c: &Counters| c.process_user_us.wrapping_add(c.process_system_us);
    let vcpus = |c: &Counters| c.vcpu_cpu_us.iter().fold(0u64, |s, x| s.wrapping_add(*x));
    // µs of CPU per s of wall time → % of one core.
    let total = per_s(cpu(a), cpu(b))? / 1e4;
    let same_vcpus = a.vcpu_cpu_us.len() == b.vcpu_cpu_us.len();
    let vcpu = if same_vcpus {
        per_s(vcpus(a), vcpus(b))? / 1e4
    } else {
        0.0
    };
    let per_vcpu = if same_vcpus {
        a.vcpu_cpu_us
            .iter()
            .zip(&b.vcpu_cpu_us)
            .map(|(x, y)| Some(per_s(*x, *y)? / 1e4))
            .collect::<Option<Vec<_>>>()?
    } else {
        Vec::new()
    };
    let before: HashMap<&str, u64> = a.exits.iter().map(|(r, n)| (r.as_str(), *n)).collect();
    let exits = b
        .exits
        .iter()
        .map(|(r, n)| Some((r.clone(), per_s(*before.get(r.as_str()).unwrap_or(&0), *n)?)))
        .collect::<Option<Vec<_>>>()?;
    let disk = |c: &Counters, f: fn(&vmm_core::api::DiskCounters) -> u64| {
        c.disks.iter().fold(0u64, |s, d| s.wrapping_add(f(d)))
    };
    let (rx_a, tx_a) = nic_bytes(a);
    let (rx_b, tx_b) = nic_bytes(b);
    // The process's CPU includes its vCPU threads; the two clocks are read one after the
    // other, so the difference can be a hair below zero.
    let vcpu = vcpu.min(total);
    Some(Sample {
        t: b.uptime_ms as f64 / 1000.0,
        cpu_vcpu: vcpu,
        cpu_vmm: total - vcpu,
        per_vcpu,
        rss: b.rss_bytes as f64,
        guest_ram: b.guest_memory_bytes as f64,
        exits,
        disk_read: per_s(disk(a, |d| d.read_bytes), disk(b, |d| d.read_bytes))?,
        disk_write: per_s(disk(a, |d| d.write_bytes), disk(b, |d| d.write_bytes))?,
        net_rx: per_s(rx_a, rx_b)?,
        net_tx: per_s(tx_a, tx_b)?,
    })
}

/// The last minute of samples of one VMM.
#[derive(Debug, Clone, Default)]
pub struct History {
    last: Option<Counters>,
    pub samples: VecDeque<Sample>,
    /// Changes with every sample: a graph redraws only when it differs from what it drew.
    pub generation: u64,
}

/// Samples closer together than this are skipped: after a busy moment the app's 1 s timer
/// fires its missed ticks at once, and rates over a few milliseconds only add noise.
const MIN_GAP_MS: u64 = 500;

impl History {
    /// Adds a sample; false when it was skipped (an older or too close one of the same VMM).
    pub fn push(&mut self, c: &Counters) -> bool {
        if let Some(a) = &self.last {
            // Replies to polls can arrive out of order: only a new process start (or, from a
            // VMM that does not say when it started, an uptime that went back) is a restart.
            let restarted = if a.started_unix_ms != 0 || c.started_unix_ms != 0 {
                a.started_unix_ms != c.started_unix_ms
            } else {
                c.uptime_ms < a.uptime_ms
            };
            if !restarted && c.uptime_ms < a.uptime_ms.saturating_add(MIN_GAP_MS) {
                return false;
            }
            match rates(a, c).filter(|_| !restarted) {
                Some(s) => self.samples.push_back(s),
                // A new VMM process: its history starts now.
                None => self.samples.clear(),
            }
        }
        if let Some(t) = self.samples.back().map(|s| s.t) {
            while self.samples.front().is_some_and(|s| s.t < t - WINDOW_S) {
                self.samples.pop_front();
            }
        }
        self.last = Some(c.clone());
        self.generation = self.generation.wrapping_add(1);
        true
    }

    pub fn latest(&self) -> Option<&Sample> {
        self.samples.back()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rate {
    pub reason: String,
    pub rate: f64,
    pub total: u64,
}

/// What the activity tab shows: exit rates from the last two `counters` samples, totals, and
/// the graphs' history.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// The last minute, for the graphs.
    pub history: History,
    /// The reasons the exits graph stacks one by one (the busiest first).
    pub stacked: Vec<String>,
    /// Per disk: totals since the VMM started.
    pub disks: Vec<DiskCounters>,
    prev_vcpu: Vec<u64>,
    /// The busiest reasons, most exits per second first.
    pub top: Vec<Rate>,
    pub total_rate: f64,
    pub total: u64,
    /// Per vCPU: exits per second and in total.
    pub vcpus: Vec<(f64, u64)>,
    /// Per NIC: frames and bytes received and sent, frames dropped.
    pub nics: Vec<NicCounters>,
    pub malformed: u64,
    pub dropped_events: u64,
    pub uptime_ms: u64,
}

impl Stats {
    pub const TOP: usize = 5;

    pub fn push(&mut self, c: &Counters) {
        if !self.history.push(c) {
            // A stale or too early reply: what is shown stays.
            return;
        }
        // This sample's rates ([`rates`]); none for the first sample of a VMM.
        let latest = self.history.latest();
        let rate_of = |reason: &str| {
            latest
                .and_then(|s| s.exits.iter().find(|(r, _)| r == reason))
                .map(|(_, v)| *v)
                .unwrap_or(0.0)
        };
        let mut rates: Vec<Rate> = c
            .exits
            .iter()
            .map(|(reason, total)| Rate {
                reason: reason.clone(),
                rate: rate_of(reason),
                total: *total,
            })
            .filter(|r| r.total > 0)
            .collect();
        rates.sort_by(|a, b| {
            b.rate
                .partial_cmp(&a.rate)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(b.total.cmp(&a.total))
        });
        self.total_rate = rates.iter().map(|r| r.rate).sum();
        self.total = rates.iter().map(|r| r.total).sum();
        rates.truncate(Self::TOP);
        self.top = rates;
        self.stacked = self
            .top
            .iter()
            .filter(|r| r.rate > 0.0)
            .take(STACKED_REASONS)
            .map(|r| r.reason.clone())
            .collect();
        self.disks = c.disks.clone();
        let vcpu_totals: Vec<u64> = c
            .per_vcpu
            .iter()
            .map(|v| v.iter().map(|(_, n)| n).sum())
            .collect();
        let dt = c.uptime_ms.saturating_sub(self.uptime_ms);
        self.vcpus = vcpu_totals
            .iter()
            .enumerate()
            .map(|(i, total)| {
                let rate = match self.prev_vcpu.get(i) {
                    Some(before) if dt > 0 => {
                        total.saturating_sub(*before) as f64 * 1000.0 / dt as f64
                    }
                    _ => 0.0,
                };
                (rate, *total)
            })
            .collect();
        self.prev_vcpu = vcpu_totals;
        self.nics = c.nics.clone();
        self.malformed = c.malformed_virtio_chains;
        self.dropped_events = c.dropped_events;
        self.uptime_ms = c.uptime_ms;
    }
}

/// The smallest 1, 2 or 5 × 10ⁿ at or above `v`: a round top for a scale.
pub fn nice_max(v: f64) -> f64 {
    if !(v.is_finite() && v > 0.0) {
        return 1.0;
    }
    let unit = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * unit)
        .find(|m| *m >= v * 0.999_999)
        .unwrap_or(10.0 * unit)
}

/// A round top for a scale of bytes, in binary units (so the label reads "300 MiB", not
/// "286.1 MiB"): 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × 1024ⁿ, else the next 1024ⁿ.
pub fn nice_bytes(v: f64) -> f64 {
    if !(v.is_finite() && v > 0.0) {
        return 1024.0;
    }
    let mut unit = 1.0;
    while v / unit >= 1024.0 {
        unit *= 1024.0;
    }
    let x = v / unit;
    let step = if x <= 10.0 {
        [1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
            .into_iter()
            .find(|m| *m >= x * 0.999_999)
            .unwrap_or(10.0)
    } else {
        // 10 and up: two significant digits at most, on the same steps.
        let tens = 10f64.powf(x.log10().floor());
        [1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
            .into_iter()
            .map(|m| m * tens)
            .find(|m| *m >= x * 0.999_999)
            .unwrap_or(10.0 * tens)
    };
    step * unit
}

/// The top of the CPU scale: whole cores (100 % each), a hair of noise above one not
/// counting as the next.
pub fn cpu_top(peak: f64) -> f64 {
    (((peak / 1.05) / 100.0).ceil() * 100.0).max(100.0)
}

/// A rate per second for people: 1.2k/s.
pub fn compact(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.0}k", v / 1000.0)
    } else if v >= 1000.0 {
        format!("{:.1}k", v / 1000.0)
    } else {
        format!("{v:.0}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counters(uptime_ms: u64, exits: &[(&str, u64)]) -> Counters {
        Counters {
            uptime_ms,
            exits: exits.iter().map(|(r, n)| (r.to_string(), *n)).collect(),
            ..Default::default()
        }
    }

    fn near(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    #[test]
    fn rates_come_from_the_difference_of_two_samples() {
        let mut s = Stats::default();
        s.push(&counters(
            1000,
            &[("io-out", 100), ("hlt", 10), ("mmio-read", 0)],
        ));
        assert!(s.top.iter().all(|r| r.rate == 0.0));
        s.push(&counters(
            3000,
            &[("io-out", 300), ("hlt", 50), ("mmio-read", 0)],
        ));
        assert_eq!(s.top.len(), 2);
        assert_eq!(s.top[0].reason, "io-out");
        assert!((s.top[0].rate - 100.0).abs() < 1e-9);
        assert!((s.top[1].rate - 20.0).abs() < 1e-9);
        assert_eq!(s.total, 350);
        assert_eq!(s.stacked, ["io-out", "hlt"]);
    }

    /// Two samples one second apart of a VMM with one vCPU, one disk and one NIC.
    fn pair() -> (Counters, Counters) {
        let nic = |rx: u64, tx: u64| NicCounters {
            rx_bytes: rx,
            tx_bytes: tx,
            ..Default::default()
        };
        let disk = |r: u64, w: u64| DiskCounters {
            read_bytes: r,
            write_bytes: w,
            ..Default::default()
        };
        let a = Counters {
            process_user_us: 100_000,
            process_system_us: 400_000,
            vcpu_cpu_us: vec![300_000],
            rss_bytes: 10 << 20,
            guest_memory_bytes: 64 << 20,
            disks: vec![disk(4096, 0)],
            nics: vec![nic(1000, 500)],
            ..counters(10_000, &[("io-out", 1000)])
        };
        let b = Counters {
            // +600 ms of CPU in 1 s: 450 ms in the vCPU thread.
            process_user_us: 200_000,
            process_system_us: 900_000,
            vcpu_cpu_us: vec![750_000],
            rss_bytes: 12 << 20,
            guest_memory_bytes: 64 << 20,
            disks: vec![disk(4096 + 65536, 32768)],
            nics: vec![nic(3000, 1500)],
            ..counters(11_000, &[("io-out", 1500), ("mmio-read", 7)])
        };
        (a, b)
    }

    #[test]
    fn cpu_memory_disk_and_network_rates() {
        let (a, b) = pair();
        let s = rates(&a, &b).unwrap();
        assert!(near(s.t, 11.0));
        assert!(near(s.cpu_vcpu, 45.0) && near(s.cpu_vmm, 15.0), "{s:?}");
        assert_eq!(s.per_vcpu.len(), 1);
        assert!(near(s.per_vcpu[0], 45.0));
        assert!(near(s.rss, (12 << 20) as f64) && near(s.guest_ram, (64 << 20) as f64));
        assert!(near(s.disk_read, 65536.0) && near(s.disk_write, 32768.0));
        assert!(near(s.net_rx, 2000.0) && near(s.net_tx, 1000.0));
        // A reason the first sample did not list counts from zero.
        assert_eq!(
            s.exits,
            vec![
                ("io-out".to_string(), 500.0),
                ("mmio-read".to_string(), 7.0)
            ]
        );
    }

    #[test]
    fn a_missed_poll_averages_over_the_gap() {
        let (a, mut b) = pair();
        b.uptime_ms = a.uptime_ms + 4000;
        let s = rates(&a, &b).unwrap();
        assert!(near(s.disk_read, 16384.0) && near(s.cpu_vcpu, 45.0 / 4.0));
    }

    #[test]
    fn counters_that_wrap_at_u64_still_give_the_rate() {
        let (mut a, mut b) = pair();
        a.disks[0].write_bytes = u64::MAX - 999;
        b.disks[0].write_bytes = 1000; // 2000 bytes later, past the wrap
        a.exits[0].1 = u64::MAX;
        b.exits[0].1 = 9;
        let s = rates(&a, &b).unwrap();
        assert!(near(s.disk_write, 2000.0));
        assert!(near(s.exits[0].1, 10.0));
    }

    #[test]
    fn a_restarted_vmm_starts_a_new_history() {
        let (a, b) = pair();
        // Uptime went back: another process.
        assert_eq!(rates(&b, &a), None);
        // Uptime went on but the counters restarted from zero (the restart was missed
        // between two polls): no rate, not a huge one.
        let mut late = a.clone();
        late.uptime_ms = b.uptime_ms + 5000;
        assert_eq!(rates(&b, &late), None);
        // The same instant twice gives nothing.
        assert_eq!(rates(&a, &a), None);

        let mut h = History::default();
        h.push(&a);
        h.push(&b);
        assert_eq!(h.samples.len(), 1);
        let g = h.generation;
        assert!(!h.push(&b), "a duplicate poll");
        assert_eq!((h.samples.len(), h.generation), (1, g));
        h.push(&late);
        assert!(h.samples.is_empty(), "the old VMM's history is dropped");
        let mut next = late.clone();
        next.uptime_ms += 1000;
        next.exits[0].1 += 100;
        h.push(&next);
        assert_eq!(h.samples.len(), 1);
        assert!(near(h.latest().unwrap().exits[0].1, 100.0));
    }

    #[test]
    fn late_replies_and_bursts_of_polls_are_skipped_and_restarts_are_told_by_start_time() {
        let at = |started: u64, ms: u64, n: u64| Counters {
            started_unix_ms: started,
            ..counters(ms, &[("io-out", n)])
        };
        let mut s = Stats::default();
        s.push(&at(7, 1000, 0));
        s.push(&at(7, 2000, 1000));
        s.push(&at(7, 3000, 2000));
        // The reply to an earlier poll arrives last: skipped, the history stays.
        s.push(&at(7, 2500, 1500));
        // A burst of missed timer ticks: 20 ms later.
        s.push(&at(7, 3020, 2600));
        assert_eq!(s.history.samples.len(), 2);
        assert!(near(s.top[0].rate, 1000.0), "{:?}", s.top);
        // Another process of the same VM, even with a longer uptime already.
        s.push(&at(8, 4000, 10));
        assert!(s.history.samples.is_empty());
        assert!(near(s.top[0].rate, 0.0));
        s.push(&at(8, 5000, 510));
        assert!(near(s.top[0].rate, 500.0));
    }

    #[test]
    fn history_keeps_one_minute() {
        let mut h = History::default();
        for i in 0..200u64 {
            h.push(&counters(i * 1000, &[("io-out", i * 10)]));
        }
        assert_eq!(h.samples.len(), 61);
        assert!(near(h.samples.front().unwrap().t, 139.0));
        assert!(h.samples.iter().all(|s| near(s.exits[0].1, 10.0)));
    }

    #[test]
    fn byte_and_cpu_scales_end_on_round_numbers() {
        const MIB: f64 = 1024.0 * 1024.0;
        assert_eq!(nice_bytes(0.0), 1024.0);
        assert_eq!(nice_bytes(256.0 * MIB), 300.0 * MIB);
        assert_eq!(nice_bytes(46.0 * MIB), 50.0 * MIB);
        assert_eq!(nice_bytes(700.0), 800.0);
        assert_eq!(nice_bytes(1.2 * MIB), 1.5 * MIB);
        assert_eq!(human_bytes(nice_bytes(256.0 * MIB) as u64), "300.0 MiB");
        assert_eq!(cpu_top(0.0), 100.0);
        assert_eq!(cpu_top(102.0), 100.0, "noise above one core");
        assert_eq!(cpu_top(150.0), 200.0);
    }

    #[test]
    fn scales_end_on_round_numbers() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(100.0), 100.0);
        assert_eq!(nice_max(101.0), 200.0);
        assert_eq!(nice_max(1500.0), 2000.0);
        assert_eq!(nice_max(0.3), 0.5);
    }
}
