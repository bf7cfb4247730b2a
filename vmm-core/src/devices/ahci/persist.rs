//! The controller's snapshot state: its registers and each drive's state (the PCI config
//! bytes are the chipset's part).

use super::atapi::{Atapi, AtapiState};
use super::{Ahci, PortRegs, GHC_AE, GHC_IE, IE_MASK, NUM_PORTS};
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
                    cdrom: p.drive.as_ref().map(Atapi::save),
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
            if now.drive.is_some() != saved.cdrom.is_some() {
                return Err(format!(
                    "AHCI port {i}: the snapshot has {} CD-ROM drive there, this VM {}",
                    if saved.cdrom.is_some() { "a" } else { "no" },
                    if now.drive.is_some() {
                        "has one"
                    } else {
                        "none"
                    },
                ));
            }
        }
        for (now, saved) in self.ports.iter_mut().zip(&s.ports) {
            if let (Some(d), Some(st)) = (now.drive.as_mut(), &saved.cdrom) {
                d.restore(st)?;
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
