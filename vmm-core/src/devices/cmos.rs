//! The PC's CMOS: an MC146818 real-time clock and its 128 bytes of battery-backed RAM, at
//! ports 0x70 (index; bit 7 masks NMIs) and 0x71 (data). Firmware reads the time and the bytes
//! a PC BIOS setup would have stored: memory sizes, CPU count, boot order (as QEMU's PC
//! machine fills them, which is what SeaBIOS and OVMF expect).
//!
//! The clock is the host's UTC clock plus an offset the guest changes by setting the time, so
//! the VMM keeps no ticking state. Interrupts (IRQ 8: periodic, alarm, update-ended) are never
//! raised in this step; register C still reports the flags a real chip would have latched, so
//! a guest polling it sees consistent bits. The divider and daylight-saving bits are stored
//! only: the clock always runs.
//!
//! Use: `bus.insert(PORT_BASE.into(), PORT_LEN, Arc::new(Mutex::new(Cmos::new(low, high,
//! vcpus))))` on the port-I/O bus; its snapshot state is [`CmosState`].

use super::{BusDevice, Persist};
use std::time::{SystemTime, UNIX_EPOCH};

/// First port (index); the data port follows it.
pub const PORT_BASE: u16 = 0x70;
/// Ports the device spans on the port-I/O bus.
pub const PORT_LEN: u64 = 2;

const NVRAM_LEN: usize = 128;

// Clock registers.
const SECONDS: u8 = 0x00;
const SECONDS_ALARM: u8 = 0x01;
const MINUTES: u8 = 0x02;
const MINUTES_ALARM: u8 = 0x03;
const HOURS: u8 = 0x04;
const HOURS_ALARM: u8 = 0x05;
const WEEKDAY: u8 = 0x06;
const DAY: u8 = 0x07;
const MONTH: u8 = 0x08;
const YEAR: u8 = 0x09;
const REG_A: u8 = 0x0a;
const REG_B: u8 = 0x0b;
const REG_C: u8 = 0x0c;
const REG_D: u8 = 0x0d;
/// The year's century, part of the time (IBM PC convention, ACPI FADT `CENTURY`).
const CENTURY: u8 = 0x32;

// NVRAM bytes of the PC platform.
const FLOPPY_TYPES: u8 = 0x10;
const EQUIPMENT: u8 = 0x14;
const BASE_MEM_KIB: u8 = 0x15;
const EXT_MEM_KIB: u8 = 0x17;
const EXT_MEM_KIB_COPY: u8 = 0x30;
const MEM_ABOVE_16M_64K: u8 = 0x34;
/// Boot flag 1: third boot device (high nibble), bit 0 = skip the floppy signature check.
const BOOT_FLAG1: u8 = 0x38;
/// Boot flag 2: second boot device (high nibble), first boot device (low nibble).
const BOOT_FLAG2: u8 = 0x3d;
const MEM_ABOVE_4G_64K: u8 = 0x5b;
const CPUS_MINUS_ONE: u8 = 0x5f;

/// Boot device nibbles as QEMU's `boot_device2nibble` encodes them and SeaBIOS decodes them
/// (`boot.c`: 1 floppy, 2 hard disk, 3 CD-ROM, 4 network; 0 ends the list).
const BOOT_HARD_DISK: u8 = 2;
const BOOT_CDROM: u8 = 3;

const REG_A_UIP: u8 = 0x80;
/// Rate selection (periodic interrupt rate); 0 = no periodic flag.
const REG_A_RATE: u8 = 0x0f;
/// Divider 010 (32.768 kHz time base) and rate 0110 (1024 Hz): what a BIOS programs.
const REG_A_DEFAULT: u8 = 0x26;

const REG_B_SET: u8 = 0x80;
const REG_B_PIE: u8 = 0x40;
const REG_B_AIE: u8 = 0x20;
const REG_B_UIE: u8 = 0x10;
const REG_B_BINARY: u8 = 0x04;
const REG_B_24H: u8 = 0x02;

const REG_C_IRQF: u8 = 0x80;
const REG_C_PF: u8 = 0x40;
const REG_C_AF: u8 = 0x20;
const REG_C_UF: u8 = 0x10;

/// Valid RAM and time (the battery is good).
const REG_D_VRT: u8 = 0x80;

/// An alarm byte with both top bits set matches any value.
const ALARM_DONT_CARE: u8 = 0xc0;

const NMI_MASK: u8 = 0x80;

/// Largest clock offset a snapshot may carry: ±2^40 s (about 35 000 years), far beyond what a
/// guest can set (year 25599 at most), so arithmetic on it never overflows.
const MAX_OFFSET_SECS: i64 = 1 << 40;

const SECS_PER_DAY: i64 = 86_400;

/// The registers that make up the date and time (read from the clock, or frozen while SET).
const TIME_REGS: [u8; 8] = [SECONDS, MINUTES, HOURS, WEEKDAY, DAY, MONTH, YEAR, CENTURY];

/// The host's UTC clock in whole seconds since the Unix epoch.
fn host_now() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// The RTC and NVRAM behind ports 0x70/0x71 (base [`PORT_BASE`], [`PORT_LEN`] ports).
pub struct Cmos {
    index: u8,
    /// Port 0x70 bit 7. Kept (and saved) only: nothing here raises NMIs.
    nmi_masked: bool,
    /// All 128 bytes. The clock bytes hold the frozen time while register B's SET bit is on;
    /// otherwise reads compute them from the clock.
    nvram: [u8; NVRAM_LEN],
    /// Guest time = host time + this, in seconds.
    offset_secs: i64,
    /// Host time when register C was last read: flags latch for the seconds after it.
    flags_since: i64,
    /// The host clock; tests substitute one they control.
    clock: fn() -> i64,
}

/// The CMOS in a snapshot: the index latch, the NMI mask, the RAM and how far the guest's
/// clock is from the host's.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CmosState {
    pub index: u8,
    pub nmi_masked: bool,
    /// Exactly 128 bytes.
    pub nvram: Vec<u8>,
    pub clock_offset_secs: i64,
}

impl Cmos {
    /// `low_ram_bytes`: RAM below 4 GiB (from address 0); `high_ram_bytes`: RAM from 4 GiB up.
    pub fn new(low_ram_bytes: u64, high_ram_bytes: u64, vcpus: u32) -> Self {
        const KIB: u64 = 1024;
        const MIB: u64 = 1024 * KIB;
        const UNIT_64K: u64 = 64 * KIB;
        let mut nvram = [0u8; NVRAM_LEN];
        let mut put16 = |at: u8, v: u64| {
            let v = u16::try_from(v).unwrap_or(u16::MAX).to_le_bytes();
            nvram[usize::from(at)] = v[0];
            nvram[usize::from(at) + 1] = v[1];
        };
        put16(BASE_MEM_KIB, (low_ram_bytes / KIB).min(640));
        // Extended memory counts KiB from 1 MiB; the 16-bit fields saturate (at 64 MiB).
        let ext_kib = (low_ram_bytes / KIB).saturating_sub(1024);
        put16(EXT_MEM_KIB, ext_kib);
        put16(EXT_MEM_KIB_COPY, ext_kib);
        put16(
            MEM_ABOVE_16M_64K,
            low_ram_bytes.saturating_sub(16 * MIB) / UNIT_64K,
        );
        // 24 bits of 64 KiB units (up to 1 TiB): firmware reads three bytes.
        let high = (high_ram_bytes / UNIT_64K).min(0xff_ffff).to_le_bytes();
        let at = usize::from(MEM_ABOVE_4G_64K);
        nvram[at..at + 3].copy_from_slice(&high[..3]);
        nvram[usize::from(CPUS_MINUS_ONE)] =
            u8::try_from(vcpus.saturating_sub(1)).unwrap_or(u8::MAX);
        // No floppy drives; FPU present, PS/2 mouse present.
        nvram[usize::from(FLOPPY_TYPES)] = 0;
        nvram[usize::from(EQUIPMENT)] = 0x02 | 0x04;
        // Hard disk, then CD-ROM, no third device (0x3d = 0x32); bit 0 of 0x38 clear = check
        // floppy boot signatures (QEMU's default, moot without floppies).
        nvram[usize::from(BOOT_FLAG2)] = (BOOT_CDROM << 4) | BOOT_HARD_DISK;
        nvram[usize::from(BOOT_FLAG1)] = 0;
        nvram[usize::from(REG_A)] = REG_A_DEFAULT;
        nvram[usize::from(REG_B)] = REG_B_24H; // BCD, 24-hour, as after a BIOS's setup
        nvram[usize::from(REG_D)] = REG_D_VRT;
        Cmos {
            index: 0,
            nmi_masked: false,
            nvram,
            offset_secs: 0,
            flags_since: host_now(),
            clock: host_now,
        }
    }

    /// Whether the guest has masked NMIs through port 0x70.
    pub fn nmi_masked(&self) -> bool {
        self.nmi_masked
    }

    fn reg(&self, r: u8) -> u8 {
        self.nvram[usize::from(r & 0x7f)]
    }

    fn set_reg(&mut self, r: u8, v: u8) {
        self.nvram[usize::from(r & 0x7f)] = v;
    }

    fn guest_now(&self) -> i64 {
        (self.clock)().saturating_add(self.offset_secs)
    }

    fn binary(&self) -> bool {
        self.reg(REG_B) & REG_B_BINARY != 0
    }

    /// A value in the register format of B's DM bit (BCD keeps the last two digits).
    fn encode(&self, v: i64) -> u8 {
        if self.binary() {
            u8::try_from(v.clamp(0, 255)).unwrap_or(0)
        } else {
            let v = u8::try_from(v.rem_euclid(100)).unwrap_or(0);
            ((v / 10) << 4) | (v % 10)
        }
    }

    /// The inverse of `encode`; invalid BCD digits count for their binary value, as in QEMU.
    fn decode(&self, v: u8) -> i64 {
        if self.binary() {
            i64::from(v)
        } else {
            i64::from(v >> 4) * 10 + i64::from(v & 0x0f)
        }
    }

    fn encode_hour(&self, hour: i64) -> u8 {
        if self.reg(REG_B) & REG_B_24H != 0 {
            return self.encode(hour);
        }
        let h12 = match hour % 12 {
            0 => 12,
            h => h,
        };
        self.encode(h12) | if hour >= 12 { 0x80 } else { 0 }
    }

    fn decode_hour(&self, v: u8) -> i64 {
        if self.reg(REG_B) & REG_B_24H != 0 {
            return self.decode(v);
        }
        self.decode(v & 0x7f) % 12 + if v & 0x80 != 0 { 12 } else { 0 }
    }

    /// One clock register for the Unix time `t`.
    fn time_reg(&self, r: u8, t: i64) -> u8 {
        let dt = DateTime::from_unix(t);
        match r {
            SECONDS => self.encode(dt.second),
            MINUTES => self.encode(dt.minute),
            HOURS => self.encode_hour(dt.hour),
            WEEKDAY => self.encode(dt.weekday),
            DAY => self.encode(dt.day),
            MONTH => self.encode(dt.month),
            YEAR => self.encode(dt.year.rem_euclid(100)),
            CENTURY => self.encode(dt.year.div_euclid(100)),
            _ => self.reg(r),
        }
    }

    /// Copies the current time into the clock bytes (they then read frozen until SET clears).
    fn freeze_time(&mut self) {
        let now = self.guest_now();
        for r in TIME_REGS {
            let v = self.time_reg(r, now);
            self.set_reg(r, v);
        }
    }

    /// Makes the clock bytes the guest's time. Out-of-range fields roll over (day 32 is the
    /// next month's first), like QEMU's `mktimegm`; the weekday is derived, not taken.
    fn set_time_from_regs(&mut self) {
        let year = self.decode(self.reg(CENTURY)) * 100 + self.decode(self.reg(YEAR));
        let t = DateTime::to_unix(
            year,
            self.decode(self.reg(MONTH)),
            self.decode(self.reg(DAY)),
            self.decode_hour(self.reg(HOURS)),
            self.decode(self.reg(MINUTES)),
            self.decode(self.reg(SECONDS)),
        );
        self.offset_secs = t.saturating_sub((self.clock)());
    }

    fn alarm_matches(&self, t: i64) -> bool {
        let secs = t.rem_euclid(SECS_PER_DAY);
        let field = |r: u8, value: i64, hour: bool| {
            let a = self.reg(r);
            a & ALARM_DONT_CARE == ALARM_DONT_CARE
                || value
                    == if hour {
                        self.decode_hour(a)
                    } else {
                        self.decode(a)
                    }
        };
        field(SECONDS_ALARM, secs % 60, false)
            && field(MINUTES_ALARM, secs / 60 % 60, false)
            && field(HOURS_ALARM, secs / 3600, true)
    }

    /// Register C: the flags latched since it was last read, which this read clears. At
    /// whole-second resolution: once a second has passed, a periodic rate was running if one is
    /// selected (PF: every rate is above 1 Hz) and, unless SET stops updates, an update cycle
    /// has ended (UF) and AF if the alarm time was among the seconds passed. IRQF is set as the chip sets it (a flag
    /// whose enable bit is on), but the IRQ 8 line itself is not raised in this step.
    fn take_flags(&mut self) -> u8 {
        let host = (self.clock)();
        let mut c = 0;
        if host > self.flags_since && self.reg(REG_A) & REG_A_RATE != 0 {
            c |= REG_C_PF;
        }
        // While SET is on the chip runs no update cycles, so neither UF nor AF latch.
        if host > self.flags_since && self.reg(REG_B) & REG_B_SET == 0 {
            c |= REG_C_UF;
            let first = self.flags_since.saturating_add(1);
            // A day holds every alarm time; no need to look further back.
            let n = host
                .saturating_sub(first)
                .saturating_add(1)
                .min(SECS_PER_DAY);
            let start = first.saturating_add(self.offset_secs);
            if (0..n).any(|i| self.alarm_matches(start.saturating_add(i))) {
                c |= REG_C_AF;
            }
        }
        let enables = REG_B_PIE | REG_B_AIE | REG_B_UIE;
        // PF/AF/UF sit at the same bit positions as PIE/AIE/UIE.
        if c & self.reg(REG_B) & enables != 0 {
            c |= REG_C_IRQF;
        }
        self.flags_since = self.flags_since.max(host);
        c
    }

    fn read_data(&mut self) -> u8 {
        let r = self.index;
        match r {
            _ if TIME_REGS.contains(&r) => {
                if self.reg(REG_B) & REG_B_SET != 0 {
                    self.reg(r)
                } else {
                    self.time_reg(r, self.guest_now())
                }
            }
            // No update cycle is ever "in progress": the time changes atomically per read.
            REG_A => self.reg(REG_A) & !REG_A_UIP,
            REG_C => self.take_flags(),
            REG_D => REG_D_VRT,
            _ => self.reg(r),
        }
    }

    fn write_data(&mut self, v: u8) {
        let r = self.index;
        match r {
            _ if TIME_REGS.contains(&r) => {
                if self.reg(REG_B) & REG_B_SET != 0 {
                    // Taken when SET clears.
                    self.set_reg(r, v);
                } else {
                    // One field changes at once, as QEMU does: the others keep running.
                    self.freeze_time();
                    self.set_reg(r, v);
                    self.set_time_from_regs();
                }
            }
            REG_A => self.set_reg(REG_A, v & !REG_A_UIP),
            REG_B => {
                let old = self.reg(REG_B);
                let mut new = v;
                if new & REG_B_SET != 0 {
                    // The chip clears UIE while the clock is being set.
                    new &= !REG_B_UIE;
                    if old & REG_B_SET == 0 {
                        self.freeze_time();
                    }
                } else if old & REG_B_SET != 0 {
                    // The frozen bytes were written in the format in force while SET was on.
                    self.set_time_from_regs();
                }
                self.set_reg(REG_B, new);
            }
            REG_C | REG_D => {} // read-only
            _ => self.set_reg(r, v),
        }
    }
}

impl BusDevice for Cmos {
    fn read(&mut self, offset: u64, data: &mut [u8]) {
        // A word access at 0x70 covers both ports; bytes past 0x71 are not ours.
        for (i, b) in data.iter_mut().enumerate() {
            *b = match offset.checked_add(i as u64) {
                // The index port is write-only on a PC; QEMU reads it as 0xff.
                Some(1) => self.read_data(),
                _ => 0xff,
            };
        }
    }

    fn write(&mut self, offset: u64, data: &[u8]) {
        for (i, &v) in data.iter().enumerate() {
            match offset.checked_add(i as u64) {
                Some(0) => {
                    self.index = v & 0x7f;
                    self.nmi_masked = v & NMI_MASK != 0;
                }
                Some(1) => self.write_data(v),
                _ => {}
            }
        }
    }
}

impl Persist for Cmos {
    type State = CmosState;
    type Args = ();

    fn save(&self) -> Result<CmosState, String> {
        Ok(CmosState {
            index: self.index,
            nmi_masked: self.nmi_masked,
            nvram: self.nvram.to_vec(),
            clock_offset_secs: self.offset_secs,
        })
    }

    fn restore(&mut self, s: &CmosState, _: ()) -> Result<(), String> {
        let nvram: [u8; NVRAM_LEN] = s.nvram.as_slice().try_into().map_err(|_| {
            format!(
                "CMOS state has {} bytes of RAM, not {NVRAM_LEN}",
                s.nvram.len()
            )
        })?;
        if usize::from(s.index) >= NVRAM_LEN {
            return Err(format!("CMOS index {:#x} out of range", s.index));
        }
        if s.clock_offset_secs.unsigned_abs() > MAX_OFFSET_SECS.unsigned_abs() {
            return Err(format!(
                "CMOS clock offset {} s out of range",
                s.clock_offset_secs
            ));
        }
        self.index = s.index;
        self.nmi_masked = s.nmi_masked;
        self.nvram = nvram;
        self.offset_secs = s.clock_offset_secs;
        // Flags do not carry across a snapshot: none pending after a restore.
        self.flags_since = (self.clock)();
        Ok(())
    }
}

/// A UTC calendar time (proleptic Gregorian), fields in register ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DateTime {
    year: i64,
    /// 1–12.
    month: i64,
    /// 1–31.
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    /// 1 = Sunday … 7 = Saturday, as the RTC counts.
    weekday: i64,
}

impl DateTime {
    /// Days since 1970-01-01 of a civil date (Howard Hinnant's `days_from_civil`); `month`
    /// must be 1–12, `day` may run past the month's end.
    fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (month + 9) % 12; // March = 0
        let doy = (153 * mp + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    fn from_unix(t: i64) -> DateTime {
        let days = t.div_euclid(SECS_PER_DAY);
        let secs = t.rem_euclid(SECS_PER_DAY);
        // Hinnant's `civil_from_days`.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        DateTime {
            year,
            month,
            day,
            hour: secs / 3600,
            minute: secs / 60 % 60,
            second: secs % 60,
            // 1970-01-01 was a Thursday.
            weekday: (days + 4).rem_euclid(7) + 1,
        }
    }

    /// Unix time of the fields, rolling any out-of-range field into the next larger one.
    /// Fields come from register bytes (0–255 each), so nothing overflows.
    fn to_unix(year: i64, month: i64, day: i64, hour: i64, minute: i64, second: i64) -> i64 {
        let m0 = month - 1;
        let year = year + m0.div_euclid(12);
        let month = m0.rem_euclid(12) + 1;
        let days = Self::days_from_civil(year, month, 1) + day - 1;
        days * SECS_PER_DAY + hour * 3600 + minute * 60 + second
    }
}

#[cfg(test)]
mod tests;
