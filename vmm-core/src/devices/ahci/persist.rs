//! The controller's snapshot state: its registers and each drive's state (the PCI config
//! bytes are the chipset's part).

use super::ata::AtaState;
use super::atapi::AtapiState;
use super::{Ahci, Drive, PortRegs, GHC_AE, GHC_IE, IE_MASK, NUM_PORTS};
use crate::devices::Persist;
use serde::{Deserialize, Serialize};

/// The controller in a snapshot (its PCI config is the chipset's part).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AhciState {
    pub ghc: u32,
    pub is: u32,
    pub ports: Vec<AhciPortState>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AhciPortState {
    pub regs: PortRegs,
    pub cdrom: Option<AtapiState>,
    /// A SATA disk's state (snapshot format 5 on).
    pub disk: Option<AtaState>,
}

impl Persist for Ahci {
    type State = AhciState;
    type Args = ();

    fn save(&self) -> Result<AhciState, String> {
        Ok(AhciState {
            ghc: self.ghc,
            is: self.is,
            ports: self
                .ports
                .iter()
                .map(|p| AhciPortState {
                    regs: p.regs.clone(),
                    cdrom: match &p.drive {
                        Some(Drive::Cdrom(c)) => Some(c.save()),
                        _ => None,
                    },
                    disk: match &p.drive {
                        Some(Drive::Disk(d)) => Some(d.save()),
                        _ => None,
                    },
                })
                .collect(),
        })
    }

    /// The drives must be where this VM has them.
    fn restore(&mut self, s: &AhciState, _: ()) -> Result<(), String> {
        if s.ports.len() != NUM_PORTS {
            return Err(format!(
                "AHCI with {} ports, expected {NUM_PORTS}",
                s.ports.len()
            ));
        }
        for (i, (now, saved)) in self.ports.iter().zip(&s.ports).enumerate() {
            let kind = |cd: bool, disk: bool| match (cd, disk) {
                (true, _) => "a CD-ROM drive",
                (_, true) => "a SATA disk",
                _ => "nothing",
            };
            let now_kind = kind(
                matches!(now.drive, Some(Drive::Cdrom(_))),
                matches!(now.drive, Some(Drive::Disk(_))),
            );
            let saved_kind = kind(saved.cdrom.is_some(), saved.disk.is_some());
            if now_kind != saved_kind {
                return Err(format!(
                    "AHCI port {i}: the snapshot has {saved_kind} there, this VM {now_kind}"
                ));
            }
            if let (Some(Drive::Disk(d)), Some(st)) = (&now.drive, &saved.disk) {
                if d.sectors() != st.sectors {
                    return Err(format!(
                        "AHCI port {i}: the SATA disk has {} sectors; the snapshot's had {}",
                        d.sectors(),
                        st.sectors
                    ));
                }
            }
        }
        for (now, saved) in self.ports.iter_mut().zip(&s.ports) {
            match (now.drive.as_mut(), &saved.cdrom, &saved.disk) {
                (Some(Drive::Cdrom(d)), Some(st), _) => d.restore(st)?,
                (Some(Drive::Disk(d)), _, Some(st)) => d.restore(st)?,
                _ => {}
            }
            now.regs = saved.regs.clone();
            now.regs.ie &= IE_MASK;
        }
        self.ghc = GHC_AE | (s.ghc & GHC_IE);
        self.is = s.is & ((1 << NUM_PORTS) - 1);
        self.update_irq();
        Ok(())
    }
}
