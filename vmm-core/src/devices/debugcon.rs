//! The firmware debug console (port 0x402, QEMU's "debugcon"): SeaBIOS and OVMF write their
//! debug messages there a byte at a time. We append them to `firmware.log` in the VM's folder,
//! up to a limit so a chatty or hostile guest cannot fill the disk.

use super::BusDevice;
use std::io::Write;

/// What `firmware.log` may grow to; the rest of the guest's output is dropped.
pub const FIRMWARE_LOG_LIMIT: u64 = 4 << 20;

/// What a read of the port gives: QEMU's debugcon answers 0xe9, and firmware that probes for
/// the console (OVMF does) expects that value.
pub const READBACK: u8 = 0xe9;

pub struct DebugConsole {
    /// `None` once writing failed or the limit was reached.
    out: Option<std::io::BufWriter<Box<dyn Write + Send>>>,
    written: u64,
    limit: u64,
}

impl DebugConsole {
    /// Appends to `out`, at most `limit` bytes of guest output (then one line saying so).
    pub fn new(out: Box<dyn Write + Send>, limit: u64) -> Self {
        DebugConsole {
            out: Some(std::io::BufWriter::new(out)),
            written: 0,
            limit,
        }
    }

    /// Creates (truncates) `path` as the log.
    pub fn create(path: &std::path::Path) -> std::io::Result<Self> {
        let f = crate::util::create_private_file(path)?;
        Ok(Self::new(Box::new(f), FIRMWARE_LOG_LIMIT))
    }

    fn push(&mut self, bytes: &[u8]) {
        let Some(out) = &mut self.out else { return };
        let room = self.limit.saturating_sub(self.written);
        let take = bytes.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let mut ok = out.write_all(&bytes[..take]).is_ok();
        self.written += take as u64;
        // Flushed per line so the log can be read (by people and tests) while the VM runs.
        if ok && bytes[..take].contains(&b'\n') {
            ok = out.flush().is_ok();
        }
        if take < bytes.len() {
            let _ = writeln!(
                out,
                "\n[firmware.log: limit of {} bytes reached]",
                self.limit
            );
            let _ = out.flush();
            self.out = None;
        } else if !ok {
            // A failing log (disk full) must not stop the guest.
            self.out = None;
        }
    }
}

impl BusDevice for DebugConsole {
    fn read(&mut self, _offset: u64, data: &mut [u8]) {
        data.fill(0);
        if let Some(b) = data.first_mut() {
            *b = READBACK;
        }
    }

    fn write(&mut self, offset: u64, data: &[u8]) {
        // One port; a wider access writes its low byte only, as on QEMU.
        if offset == 0 {
            if let Some(&b) = data.first() {
                self.push(&[b]);
            }
        }
    }
}

impl Drop for DebugConsole {
    fn drop(&mut self) {
        if let Some(out) = &mut self.out {
            let _ = out.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn text(s: &Sink) -> String {
        String::from_utf8_lossy(&s.0.lock().unwrap()).into_owned()
    }

    #[test]
    fn lines_reach_the_log_and_reads_give_e9() {
        let sink = Sink::default();
        let mut d = DebugConsole::new(Box::new(sink.clone()), 1024);
        for b in b"SeaBIOS (version x)\n" {
            d.write(0, &[*b]);
        }
        d.write(0, b"AB"); // a word access: low byte only
        d.write(5, b"ignored");
        assert_eq!(text(&sink), "SeaBIOS (version x)\n");
        drop(d);
        assert_eq!(text(&sink), "SeaBIOS (version x)\nA");
        let mut d = DebugConsole::new(Box::new(Sink::default()), 1);
        let mut r = [0u8; 4];
        d.read(0, &mut r);
        assert_eq!(r, [0xe9, 0, 0, 0]);
    }

    #[test]
    fn the_log_stops_at_its_limit() {
        let sink = Sink::default();
        let mut d = DebugConsole::new(Box::new(sink.clone()), 8);
        for _ in 0..10_000 {
            d.write(0, b"x");
        }
        drop(d);
        let t = text(&sink);
        assert!(
            t.starts_with("xxxxxxxx\n[firmware.log: limit of 8 bytes"),
            "{t}"
        );
        assert!(t.len() < 80);
    }
}
