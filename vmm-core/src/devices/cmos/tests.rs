//! Unit tests of the CMOS: clock, NVRAM layout, register semantics, hostile guests.

use super::*;
use std::cell::Cell;

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

thread_local! {
    static FAKE_NOW: Cell<i64> = const { Cell::new(0) };
}

fn fake_now() -> i64 {
    FAKE_NOW.with(|c| c.get())
}

fn set_fake_now(t: i64) {
    FAKE_NOW.with(|c| c.set(t));
}

/// A CMOS on a clock the test moves.
fn fake_cmos(t: i64) -> Cmos {
    set_fake_now(t);
    let mut c = Cmos::new(128 * MIB, 0, 1);
    c.clock = fake_now;
    c.flags_since = t;
    c
}

fn rd(c: &mut Cmos, r: u8) -> u8 {
    c.write(0, &[r | NMI_MASK]);
    let mut b = [0u8];
    c.read(1, &mut b);
    b[0]
}

fn wr(c: &mut Cmos, r: u8, v: u8) {
    c.write(0, &[r | NMI_MASK]);
    c.write(1, &[v]);
}

fn bcd(v: u8) -> u8 {
    (v >> 4) * 10 + (v & 0xf)
}

/// The time the registers show, as Unix seconds (24-hour mode).
fn read_time(c: &mut Cmos) -> i64 {
    let conv = |c: &mut Cmos, r: u8| {
        let v = rd(c, r);
        i64::from(if rd(c, REG_B) & REG_B_BINARY != 0 {
            v
        } else {
            bcd(v)
        })
    };
    let year = conv(c, CENTURY) * 100 + conv(c, YEAR);
    let (mo, d) = (conv(c, MONTH), conv(c, DAY));
    let (h, mi, s) = (conv(c, HOURS), conv(c, MINUTES), conv(c, SECONDS));
    DateTime::to_unix(year, mo, d, h, mi, s)
}

#[test]
fn calendar_round_trips_known_dates() {
    // 2000-02-29 12:34:56 UTC, a Tuesday.
    let t = 951_827_696;
    let dt = DateTime::from_unix(t);
    assert_eq!(
        (dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second),
        (2000, 2, 29, 12, 34, 56)
    );
    assert_eq!(dt.weekday, 3);
    assert_eq!(DateTime::to_unix(2000, 2, 29, 12, 34, 56), t);
    assert_eq!(DateTime::from_unix(0).weekday, 5); // Thursday
                                                   // Day 32 of December rolls into the next year.
    assert_eq!(
        DateTime::to_unix(2025, 12, 32, 0, 0, 0),
        DateTime::to_unix(2026, 1, 1, 0, 0, 0)
    );
}

#[test]
fn time_reads_match_host_clock_in_bcd_and_binary() {
    let mut c = Cmos::new(128 * MIB, 0, 1);
    let before = host_now();
    let bcd_time = read_time(&mut c);
    let after = host_now();
    assert!(
        (before..=after).contains(&bcd_time),
        "{before} {bcd_time} {after}"
    );
    assert_eq!(rd(&mut c, REG_B) & REG_B_BINARY, 0, "BCD by default");

    wr(&mut c, REG_B, REG_B_24H | REG_B_BINARY);
    let before = host_now();
    let bin_time = read_time(&mut c);
    let after = host_now();
    assert!((before..=after).contains(&bin_time));

    let dt = DateTime::from_unix(host_now());
    let wd = rd(&mut c, WEEKDAY);
    // Around midnight the weekday may just have moved on.
    assert!(i64::from(wd) == dt.weekday || i64::from(wd) % 7 + 1 == dt.weekday);
}

#[test]
fn twelve_hour_mode_sets_pm_bit() {
    // 1999-12-31 23:59:58 UTC.
    let t = DateTime::to_unix(1999, 12, 31, 23, 59, 58);
    let mut c = fake_cmos(t);
    assert_eq!(rd(&mut c, HOURS), 0x23);
    wr(&mut c, REG_B, 0); // BCD, 12-hour
    assert_eq!(rd(&mut c, HOURS), 0x80 | 0x11);
    assert_eq!(rd(&mut c, CENTURY), 0x19);
    set_fake_now(t + 2); // midnight: 12 AM
    assert_eq!(rd(&mut c, HOURS), 0x12);
    assert_eq!(rd(&mut c, CENTURY), 0x20);
    assert_eq!(rd(&mut c, YEAR), 0x00);
}

#[test]
fn setting_time_moves_only_the_guest_clock() {
    let t = DateTime::to_unix(2026, 12, 6, 10, 0, 0);
    let mut c = fake_cmos(t);
    // The way Linux sets it: SET, write the fields, clear SET.
    wr(&mut c, REG_B, REG_B_SET | REG_B_24H | REG_B_UIE);
    assert_eq!(rd(&mut c, REG_B) & REG_B_UIE, 0, "SET clears UIE");
    for (r, v) in [
        (CENTURY, 0x20),
        (YEAR, 0x30),
        (MONTH, 0x01),
        (DAY, 0x02),
        (HOURS, 0x03),
        (MINUTES, 0x04),
        (SECONDS, 0x05),
    ] {
        wr(&mut c, r, v);
    }
    set_fake_now(t + 100);
    // Frozen while SET is on.
    assert_eq!(rd(&mut c, SECONDS), 0x05);
    wr(&mut c, REG_B, REG_B_24H);
    let set = DateTime::to_unix(2030, 1, 2, 3, 4, 5);
    assert_eq!(c.offset_secs, set - (t + 100));
    assert_eq!(read_time(&mut c), set);
    // The clock runs on from the set time; the host clock is unchanged.
    set_fake_now(t + 160);
    assert_eq!(read_time(&mut c), set + 60);
    assert_eq!(fake_now(), t + 160);
    // A fresh CMOS on the same host clock still shows host time.
    let mut other = fake_cmos(t + 160);
    assert_eq!(read_time(&mut other), t + 160);

    // Without SET, one field changes and the rest keep running.
    wr(&mut c, MINUTES, 0x30);
    assert_eq!(read_time(&mut c), set + 26 * 60); // 03:05:05 → 03:30:05
}

#[test]
fn memory_bytes_for_128_mib() {
    let mut c = Cmos::new(128 * MIB, 0, 2);
    let w = |c: &mut Cmos, r: u8| u32::from(rd(c, r)) | u32::from(rd(c, r + 1)) << 8;
    assert_eq!(w(&mut c, BASE_MEM_KIB), 640);
    assert_eq!(w(&mut c, EXT_MEM_KIB), 0xffff);
    assert_eq!(w(&mut c, EXT_MEM_KIB_COPY), 0xffff);
    assert_eq!(w(&mut c, MEM_ABOVE_16M_64K), (112 * MIB / 65536) as u32);
    for r in 0x5b..=0x5d {
        assert_eq!(rd(&mut c, r), 0);
    }
    assert_eq!(rd(&mut c, CPUS_MINUS_ONE), 1);
    assert_eq!(rd(&mut c, EQUIPMENT), 0x06);
    assert_eq!(rd(&mut c, FLOPPY_TYPES), 0);
    assert_eq!(rd(&mut c, BOOT_FLAG2), 0x32);
    assert_eq!(rd(&mut c, BOOT_FLAG1), 0x00);
    // SeaBIOS's boot_init: priorities from the low nibble up, 2 = hard disk, 3 = CD-ROM.
    let order = u32::from(rd(&mut c, BOOT_FLAG2)) | (u32::from(rd(&mut c, BOOT_FLAG1)) & 0xf0) << 4;
    assert_eq!([order & 0xf, order >> 4 & 0xf, order >> 8], [2, 3, 0]);

    // Small guests: extended memory below the cap.
    let mut small = Cmos::new(8 * MIB, 0, 1);
    assert_eq!(w(&mut small, EXT_MEM_KIB), 7 * 1024);
    assert_eq!(w(&mut small, MEM_ABOVE_16M_64K), 0);
    assert_eq!(rd(&mut small, CPUS_MINUS_ONE), 0);
}

#[test]
fn memory_bytes_for_3_gib_low_1_gib_high() {
    let mut c = Cmos::new(3 * GIB, GIB, 4);
    let w = |c: &mut Cmos, r: u8| u32::from(rd(c, r)) | u32::from(rd(c, r + 1)) << 8;
    assert_eq!(w(&mut c, BASE_MEM_KIB), 640);
    assert_eq!(w(&mut c, EXT_MEM_KIB), 0xffff);
    assert_eq!(w(&mut c, MEM_ABOVE_16M_64K), 0xbf00); // (3 GiB − 16 MiB) / 64 KiB
    assert_eq!(
        [rd(&mut c, 0x5b), rd(&mut c, 0x5c), rd(&mut c, 0x5d)],
        [0x00, 0x40, 0x00] // 1 GiB / 64 KiB = 0x4000
    );
    assert_eq!(rd(&mut c, CPUS_MINUS_ONE), 3);
    // SeaBIOS's sum (paravirt.c): (0x34/0x35 << 16) + 16 MiB is the top of low RAM.
    assert_eq!(
        (u64::from(w(&mut c, MEM_ABOVE_16M_64K)) << 16) + 16 * MIB,
        3 * GIB
    );
}

#[test]
fn register_c_clears_on_read() {
    let t = 1_000_000;
    let mut c = fake_cmos(t);
    assert_eq!(rd(&mut c, REG_C), 0, "nothing latched yet");
    set_fake_now(t + 1);
    assert_eq!(rd(&mut c, REG_C), REG_C_UF | REG_C_PF);
    assert_eq!(rd(&mut c, REG_C), 0, "cleared by the read");

    // Alarm at the next second, interrupts enabled: AF, and IRQF as the chip would set it.
    let next_second = c.encode(DateTime::from_unix(t + 2).second);
    wr(&mut c, SECONDS_ALARM, next_second);
    wr(&mut c, MINUTES_ALARM, ALARM_DONT_CARE);
    wr(&mut c, HOURS_ALARM, ALARM_DONT_CARE);
    wr(&mut c, REG_B, REG_B_24H | REG_B_AIE);
    set_fake_now(t + 2);
    assert_eq!(
        rd(&mut c, REG_C),
        REG_C_IRQF | REG_C_AF | REG_C_UF | REG_C_PF
    );
    assert_eq!(rd(&mut c, REG_C), 0);
    // Alarm bytes read back as written.
    assert_eq!(rd(&mut c, MINUTES_ALARM), ALARM_DONT_CARE);

    // No periodic flag when the rate is off; register D always says "valid".
    wr(&mut c, REG_A, 0x20);
    set_fake_now(t + 3);
    assert_eq!(rd(&mut c, REG_C) & REG_C_PF, 0);
    // SET stops update cycles: only the periodic flag latches.
    wr(&mut c, REG_A, REG_A_DEFAULT);
    wr(&mut c, REG_B, REG_B_SET | REG_B_24H);
    set_fake_now(t + 4);
    assert_eq!(rd(&mut c, REG_C), REG_C_PF);
    wr(&mut c, REG_D, 0);
    assert_eq!(rd(&mut c, REG_D), REG_D_VRT);
}

#[test]
fn register_a_keeps_divider_and_hides_uip() {
    let mut c = fake_cmos(0);
    assert_eq!(rd(&mut c, REG_A), REG_A_DEFAULT);
    wr(&mut c, REG_A, 0xff);
    assert_eq!(rd(&mut c, REG_A), 0x7f);
}

#[test]
fn index_masks_to_seven_bits_and_keeps_nmi_apart() {
    let mut c = fake_cmos(0);
    c.write(0, &[0x80 | 0x40]);
    assert!(c.nmi_masked());
    c.write(1, &[0xab]);
    c.write(0, &[0x40]);
    assert!(!c.nmi_masked());
    let mut b = [0u8];
    c.read(1, &mut b);
    assert_eq!(b[0], 0xab, "0xc0 and 0x40 are the same byte");
    // The index port reads as an empty port.
    c.read(0, &mut b);
    assert_eq!(b[0], 0xff);
    // A word write at 0x70 sets the index and writes the data byte.
    c.write(0, &[0x41, 0x5a]);
    assert_eq!(rd(&mut c, 0x41), 0x5a);
    let mut w = [0u8; 2];
    c.write(0, &[0x41]);
    c.read(0, &mut w);
    assert_eq!(w, [0xff, 0x5a]);
}

#[test]
fn snapshot_round_trip_and_bad_state() {
    let mut c = fake_cmos(5_000);
    wr(&mut c, 0x0f, 0x0a); // shutdown status
    wr(&mut c, YEAR, 0x99);
    c.write(0, &[0x80 | 0x33]);
    let s = c.save().unwrap();
    let mut d = fake_cmos(5_000);
    d.restore(&s, ()).unwrap();
    assert_eq!(d.save().unwrap(), s);
    assert!(d.nmi_masked());
    assert_eq!(rd(&mut d, 0x0f), 0x0a);
    assert_eq!(read_time(&mut d), read_time(&mut c));

    let mut bad = s.clone();
    bad.nvram.pop();
    assert!(d.restore(&bad, ()).is_err());
    let mut bad = s.clone();
    bad.index = 0x80;
    assert!(d.restore(&bad, ()).is_err());
    let mut bad = s;
    bad.clock_offset_secs = i64::MIN;
    assert!(d.restore(&bad, ()).is_err());
}

#[test]
fn garbage_on_both_ports_never_panics() {
    for start in [0, i64::MAX / 2, -(1 << 40)] {
        let mut c = fake_cmos(start);
        let mut x: u32 = 0x1234_5678;
        let mut next = || {
            // xorshift: reproducible noise.
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        };
        for step in 0..200_000u32 {
            let r = next();
            let off = u64::from(r % 4);
            let len = (r >> 8) as usize % 4 + 1;
            let bytes = next().to_le_bytes();
            if r & 0x8000_0000 != 0 {
                c.write(off, &bytes[..len]);
            } else {
                let mut buf = [0u8; 4];
                c.read(off, &mut buf[..len]);
            }
            if step % 1000 == 0 {
                set_fake_now(start.wrapping_add(i64::from(next())));
            }
        }
        // Still a working clock afterwards.
        wr(&mut c, REG_B, REG_B_24H);
        let _ = read_time(&mut c);
    }
}
