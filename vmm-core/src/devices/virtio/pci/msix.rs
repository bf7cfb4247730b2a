//! A virtio-pci function's interrupts: the MSI-X table and pending bits, the vectors the
//! driver assigned to the config change and each queue, and the INTx pin used while MSI-X is
//! off (level, high while the ISR has bits; reading the ISR clears it).

use super::super::{InterruptLine, VirtioInterrupt, INT_CONFIG, INT_USED_RING};
use crate::devices::pci::msi::{MsiMessage, MsiVectors};
use crate::devices::pci::IntxPin;
use crate::util::lock;
use std::sync::Mutex;

/// "No vector" for the config change or a queue (virtio 1.x, 4.1.5.1.2).
pub const NO_VECTOR: u16 = 0xffff;
/// MSI-X message control bits.
pub const MSIX_ENABLE: u16 = 1 << 15;
pub const MSIX_FUNCTION_MASK: u16 = 1 << 14;
/// Bytes per table entry; vector control bit 0 masks it.
pub const ENTRY_SIZE: usize = 16;
const ENTRY_MASKED: u32 = 1;

/// One table entry: address low/high, data, vector control.
pub type Entry = [u32; 4];

/// Saved by the transport.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MsixState {
    pub table: Vec<Entry>,
    pub pending: Vec<bool>,
    pub config_vector: u16,
    pub queue_vectors: Vec<u16>,
}

struct Inner {
    enabled: bool,
    function_masked: bool,
    table: Vec<Entry>,
    pending: Vec<bool>,
    config_vector: u16,
    queue_vectors: Vec<u16>,
    intx: Option<IntxPin>,
    intx_disabled: bool,
}

/// The interrupt side of a virtio-pci function, shared by its transport (vCPU threads) and
/// its device's threads (through [`VirtioInterrupt`]).
pub struct PciInterrupts {
    vectors: Box<dyn MsiVectors>,
    inner: Mutex<Inner>,
}

impl PciInterrupts {
    /// `vectors.count()` table entries (all masked, as after reset) for `queues` queues.
    pub fn new(vectors: Box<dyn MsiVectors>, queues: usize, intx: Option<IntxPin>) -> Self {
        let n = vectors.count();
        PciInterrupts {
            vectors,
            inner: Mutex::new(Inner {
                enabled: false,
                function_masked: false,
                table: vec![[0, 0, 0, ENTRY_MASKED]; n],
                pending: vec![false; n],
                config_vector: NO_VECTOR,
                queue_vectors: vec![NO_VECTOR; queues],
                intx,
                intx_disabled: false,
            }),
        }
    }

    pub fn count(&self) -> usize {
        self.vectors.count()
    }

    /// A vector the driver may assign: a table entry, or NO_VECTOR; anything else reads back
    /// as NO_VECTOR (the spec's "could not assign").
    fn checked(&self, v: u16) -> u16 {
        if usize::from(v) < self.count() {
            v
        } else {
            NO_VECTOR
        }
    }

    pub fn config_vector(&self) -> u16 {
        lock(&self.inner).config_vector
    }

    pub fn set_config_vector(&self, v: u16) {
        let v = self.checked(v);
        lock(&self.inner).config_vector = v;
    }

    pub fn queue_vector(&self, q: usize) -> u16 {
        lock(&self.inner)
            .queue_vectors
            .get(q)
            .copied()
            .unwrap_or(NO_VECTOR)
    }

    pub fn set_queue_vector(&self, q: usize, v: u16) {
        let v = self.checked(v);
        if let Some(slot) = lock(&self.inner).queue_vectors.get_mut(q) {
            *slot = v;
        }
    }

    /// The entries the driver assigned to the config change or a queue, for the inspector.
    /// Nothing while MSI-X is off (the function then uses its INTx pin).
    pub fn view(&self) -> Vec<crate::api::MsixVectorView> {
        let s = lock(&self.inner);
        if !s.enabled {
            return Vec::new();
        }
        let users = std::iter::once((s.config_vector, "config".to_string())).chain(
            s.queue_vectors
                .iter()
                .enumerate()
                .map(|(q, v)| (*v, format!("queue {q}"))),
        );
        let mut out: Vec<crate::api::MsixVectorView> = Vec::new();
        for (v, who) in users.filter(|(v, _)| *v != NO_VECTOR) {
            let Some(e) = s.table.get(usize::from(v)) else {
                continue;
            };
            match out.iter_mut().find(|m| m.entry == v) {
                Some(m) => m.used_by.push(who),
                None => out.push(crate::api::MsixVectorView {
                    entry: v,
                    used_by: vec![who],
                    vector: (e[2] & 0xff) as u8,
                    apic_id: ((e[0] >> 12) & 0xff) as u8,
                    masked: s.function_masked || e[3] & ENTRY_MASKED != 0,
                }),
            }
        }
        out.sort_by_key(|m| m.entry);
        out
    }

    /// Device reset: the vectors the driver assigned are forgotten (the table is not: it is
    /// the function's, not the device's).
    pub fn reset_vectors(&self) {
        let mut s = lock(&self.inner);
        s.config_vector = NO_VECTOR;
        s.queue_vectors.fill(NO_VECTOR);
    }

    /// Reads the table (offsets in the table's part of the BAR); dword accesses only.
    pub fn read_table(&self, offset: u64, data: &mut [u8]) {
        data.fill(0);
        let s = lock(&self.inner);
        let v = table_dword(offset, data.len()).and_then(|(i, f)| s.table.get(i).map(|e| e[f]));
        if let Some(v) = v {
            data.copy_from_slice(&v.to_le_bytes());
        }
    }

    /// Writes a table dword (a qword is taken as two). Moves the vector's route and delivers
    /// its pending message if this unmasked it.
    pub fn write_table(&self, offset: u64, data: &[u8]) {
        if data.len() == 8 {
            self.write_table(offset, &data[..4]);
            self.write_table(offset + 4, &data[4..]);
            return;
        }
        let Some((i, f)) = table_dword(offset, data.len()) else {
            return;
        };
        let Ok(bytes) = <[u8; 4]>::try_from(data) else {
            return;
        };
        let mut s = lock(&self.inner);
        let Some(e) = s.table.get_mut(i) else {
            return;
        };
        e[f] = u32::from_le_bytes(bytes);
        if f == 3 {
            e[f] &= ENTRY_MASKED;
        }
        self.sync(&mut s, Some(i));
    }

    /// Reads the pending bit array: bit n is vector n.
    pub fn read_pba(&self, offset: u64, data: &mut [u8]) {
        let s = lock(&self.inner);
        for (k, b) in data.iter_mut().enumerate() {
            let first = (offset as usize).saturating_add(k).saturating_mul(8);
            *b = (0..8)
                .filter(|bit| s.pending.get(first + bit).copied().unwrap_or(false))
                .fold(0u8, |acc, bit| acc | 1 << bit);
        }
    }

    /// The message control register (enable, function mask) was written; `force` re-installs
    /// every route even if nothing changed (after a restore).
    pub fn set_control(&self, control: u16, force: bool) {
        let mut s = lock(&self.inner);
        let enabled = control & MSIX_ENABLE != 0;
        let masked = control & MSIX_FUNCTION_MASK != 0;
        if (enabled, masked) == (s.enabled, s.function_masked) && !force {
            return;
        }
        s.enabled = enabled;
        s.function_masked = masked;
        if enabled {
            // INTx is not used while MSI-X is on.
            if let Some(pin) = &s.intx {
                pin.set(false);
            }
        }
        self.sync(&mut s, None);
    }

    /// The command register's interrupt-disable bit.
    pub fn set_intx_disabled(&self, irq: &VirtioInterrupt, disabled: bool) {
        let mut s = lock(&self.inner);
        s.intx_disabled = disabled;
        let level = !disabled && !s.enabled && irq.status() != 0;
        if let Some(pin) = &s.intx {
            pin.set(level);
        }
    }

    /// The driver read the ISR: it is cleared and the INTx line drops.
    pub fn read_isr(&self, irq: &VirtioInterrupt) -> u32 {
        let s = lock(&self.inner);
        let v = irq.take();
        if let Some(pin) = &s.intx {
            pin.set(false);
        }
        v
    }

    /// Moves routes to the table (all entries, or just `only`) and sends what became
    /// deliverable. Route failures leave the old route: the vector misfires, the VMM lives.
    fn sync(&self, s: &mut Inner, only: Option<usize>) {
        let range = match only {
            Some(i) => i..i + 1,
            None => 0..s.table.len(),
        };
        for i in range {
            let Some(e) = s.table.get(i) else { continue };
            let msg = s.enabled.then_some(MsiMessage {
                address: u64::from(e[0]) | u64::from(e[1]) << 32,
                data: e[2],
            });
            if let Err(err) = self.vectors.set_route(i, msg) {
                crate::log_line!("vmdesk-vmm: virtio-pci MSI-X vector {i}: {err}");
            }
            let masked = s.function_masked || e[3] & ENTRY_MASKED != 0;
            if s.enabled && !masked && s.pending[i] {
                s.pending[i] = false;
                self.vectors.trigger(i);
            }
        }
    }

    fn fire(&self, s: &mut Inner, vector: u16) {
        let i = usize::from(vector);
        let Some(e) = s.table.get(i) else { return };
        if s.function_masked || e[3] & ENTRY_MASKED != 0 {
            s.pending[i] = true;
        } else {
            self.vectors.trigger(i);
        }
    }

    pub fn save(&self) -> MsixState {
        let s = lock(&self.inner);
        MsixState {
            table: s.table.clone(),
            pending: s.pending.clone(),
            config_vector: s.config_vector,
            queue_vectors: s.queue_vectors.clone(),
        }
    }

    /// Puts back a saved table and vectors, with the message control bits the restored
    /// config space holds; routes are installed again.
    pub fn restore(&self, st: &MsixState, control: u16) -> Result<(), String> {
        let mut s = lock(&self.inner);
        if st.table.len() != s.table.len()
            || st.pending.len() != s.pending.len()
            || st.queue_vectors.len() != s.queue_vectors.len()
        {
            return Err(format!(
                "snapshot has {} MSI-X vectors for {} queues, this device {} for {}",
                st.table.len(),
                st.queue_vectors.len(),
                s.table.len(),
                s.queue_vectors.len()
            ));
        }
        s.table = st.table.clone();
        s.pending = st.pending.clone();
        s.config_vector = self.checked(st.config_vector);
        s.queue_vectors = st.queue_vectors.iter().map(|&v| self.checked(v)).collect();
        s.enabled = control & MSIX_ENABLE != 0;
        s.function_masked = control & MSIX_FUNCTION_MASK != 0;
        self.sync(&mut s, None);
        Ok(())
    }
}

/// Table entry and dword of a dword access at `offset`.
fn table_dword(offset: u64, len: usize) -> Option<(usize, usize)> {
    if len != 4 || !offset.is_multiple_of(4) {
        return None;
    }
    let i = usize::try_from(offset / ENTRY_SIZE as u64).ok()?;
    Some((i, (offset % ENTRY_SIZE as u64 / 4) as usize))
}

impl InterruptLine for PciInterrupts {
    fn raise_queue(&self, irq: &VirtioInterrupt, index: u16) {
        let mut s = lock(&self.inner);
        if s.enabled {
            let v = s.queue_vectors.get(usize::from(index)).copied();
            if let Some(v) = v.filter(|&v| v != NO_VECTOR) {
                self.fire(&mut s, v);
            }
        } else {
            drop(s);
            self.raise(irq, INT_USED_RING);
        }
    }

    fn raise(&self, irq: &VirtioInterrupt, why: u32) {
        let mut s = lock(&self.inner);
        if s.enabled {
            if why & INT_CONFIG != 0 {
                let v = s.config_vector;
                self.fire(&mut s, v);
            }
            if why & INT_USED_RING != 0 {
                // Devices say "a used ring changed", not which: every queue's vector is sent
                // once (drivers find nothing new on the others, as with a shared vector).
                let mut sent: Vec<u16> = Vec::new();
                for q in 0..s.queue_vectors.len() {
                    let v = s.queue_vectors[q];
                    if v != NO_VECTOR && !sent.contains(&v) {
                        sent.push(v);
                        self.fire(&mut s, v);
                    }
                }
            }
        } else if !s.intx_disabled && irq.status() != 0 {
            if let Some(pin) = &s.intx {
                pin.set(true);
            }
        }
    }
}
