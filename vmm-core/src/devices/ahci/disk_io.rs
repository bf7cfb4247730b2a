//! The HBA's side of an ATA disk's commands: the task file out of the command FIS, the data
//! between the image and the PRDT in bounded chunks, the result in the task file. A transfer
//! needs a PRDT that holds all of it (else ABRT, nothing moved); a guest memory fault midway is
//! a host bus data error, an image error the ATA error the drive chose.

use super::ata::{self, Outcome as AtaOutcome, TaskFile, SECTOR};
use super::{Ahci, Done, Drive, Prdt, ATA_CHUNK_SECTORS, ST_DRDY, ST_DSC, ST_ERR};

/// Why a transfer stopped.
enum Fail {
    /// The drive's error register value.
    Ata(u8),
    /// The PRDT reached outside guest memory.
    Bus,
}

fn error(e: u8) -> Done {
    Done {
        status: ST_DRDY | ST_DSC | ST_ERR,
        error: e,
        ..Done::ok(0)
    }
}

impl Ahci {
    /// Runs an ATA command on the disk on port `p`.
    pub(super) fn ata_command(&mut self, p: usize, cfis: &[u8], prdt: &Prdt) -> Done {
        let tf = TaskFile::from_fis(cfis);
        let device = cfis.get(7).copied().unwrap_or(0);
        let Some(Drive::Disk(d)) = self.ports[p].drive.as_mut() else {
            return Done::abort();
        };
        let (res, pio) = match d.command(&tf, device) {
            AtaOutcome::Done => return Done::ok(0),
            AtaOutcome::Count(c) => {
                return Done {
                    count: c,
                    ..Done::ok(0)
                }
            }
            AtaOutcome::Error(e) => return error(e),
            AtaOutcome::Identify => {
                let id = d.identify();
                if !self.to_prdt(prdt, 0, &id) {
                    return Done::bus_error();
                }
                let n = prdt.capacity().min(512) as u32;
                return Done {
                    pio: true,
                    ..Done::ok(n)
                };
            }
            AtaOutcome::Read { lba, sectors, pio } => {
                (self.transfer(p, lba, sectors, prdt, true), pio)
            }
            AtaOutcome::Write { lba, sectors, pio } => {
                (self.transfer(p, lba, sectors, prdt, false), pio)
            }
        };
        match res {
            Ok(bytes) => Done {
                pio,
                ..Done::ok(bytes)
            },
            Err(Fail::Ata(e)) => error(e),
            Err(Fail::Bus) => Done::bus_error(),
        }
    }

    /// Moves `sectors` at `lba` between the disk and the PRDT; returns the bytes moved.
    fn transfer(
        &mut self,
        p: usize,
        lba: u64,
        sectors: u64,
        prdt: &Prdt,
        read: bool,
    ) -> Result<u32, Fail> {
        let total = sectors * SECTOR;
        if prdt.capacity() < total {
            return Err(Fail::Ata(ata::ERR_ABRT));
        }
        let mut buf = vec![0u8; (ATA_CHUNK_SECTORS * SECTOR) as usize];
        let mut done = 0u64;
        while done < sectors {
            let n = (sectors - done).min(ATA_CHUNK_SECTORS);
            let chunk = &mut buf[..(n * SECTOR) as usize];
            let at = done * SECTOR;
            let Some(Drive::Disk(d)) = self.ports[p].drive.as_ref() else {
                return Err(Fail::Bus);
            };
            if read {
                d.read(lba + done, chunk).map_err(Fail::Ata)?;
                if !self.to_prdt(prdt, at, chunk) {
                    return Err(Fail::Bus);
                }
            } else {
                if !self.gather_prdt(prdt, at, chunk) {
                    return Err(Fail::Bus);
                }
                d.write(lba + done, chunk).map_err(Fail::Ata)?;
            }
            done += n;
        }
        // At most 65536 sectors: 32 MiB fits.
        Ok(total as u32)
    }

    /// Fills `data` from the PRDT from byte `at` on; false on a memory error or if the PRDT
    /// ends first.
    fn gather_prdt(&self, prdt: &Prdt, at: u64, data: &mut [u8]) -> bool {
        let mut filled = 0;
        for piece in prdt.segments(at, data.len()) {
            let Some((gpa, r)) = piece else {
                return false;
            };
            filled = r.end;
            if !self.read_mem(gpa, &mut data[r]) {
                return false;
            }
        }
        filled == data.len()
    }
}
