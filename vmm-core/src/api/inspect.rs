//! The inspector's requests and replies (`inspect`, `step`, `exit-log`): the machine as the
//! hypervisor sees it, for the classroom inspector panel and `vmdesk inspect`.
//!
//! Everything here is read-only except `step`, which runs one guest instruction on a paused
//! vCPU. Nothing here costs the VM anything while nobody asks: registers are read when asked,
//! the exit log records only while a client has polled it recently.

use serde::{Deserialize, Serialize};

/// `{"cmd":"inspect"}`: vCPUs, memory map, devices and the host's side, read now.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Inspect {}

/// `{"cmd":"step","vcpu":0}`: runs one instruction on vCPU `vcpu` of a paused VM (KVM guest
/// debug, single-step) and replies with its registers before and after. `invalid-state`
/// unless the VM is paused; `bad-request` for a vCPU that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Step {
    pub vcpu: u32,
}

/// `{"cmd":"exit-log","after":0}`: the exits recorded after sequence number `after` (0: all
/// the ring still holds; at most the newest 512 of them per reply). The first request turns
/// recording on; it turns itself off again when nobody has asked for 5 seconds.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GetExitLog {
    #[serde(default)]
    pub after: u64,
}

/// What `inspect` replies.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Inspection {
    /// The VM's run state (`running`, `paused`, ...), as in `status`.
    pub state: String,
    pub vcpus: Vec<VcpuView>,
    /// Guest-physical regions in address order.
    pub memory: Vec<MemoryRegionView>,
    pub devices: Vec<DeviceView>,
    pub host: HostView,
}

/// The processor mode a vCPU is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CpuMode {
    /// CR0.PE clear: 16-bit real mode, as every x86 CPU starts.
    #[default]
    Real,
    /// RFLAGS.VM set in protected mode.
    Virtual8086,
    /// CR0.PE set, EFER.LMA clear.
    Protected,
    /// EFER.LMA set, CS.L clear: 32-bit code under a 64-bit kernel.
    Compatibility,
    /// EFER.LMA and CS.L set.
    Long,
}

/// One vCPU's state, read from KVM.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct VcpuView {
    pub index: u32,
    pub mode: CpuMode,
    /// CR0.PG.
    pub paging: bool,
    /// Current privilege level (CS.DPL / SS.DPL): 0 kernel, 3 user.
    pub cpl: u8,
    /// Whether the vCPU waits in HLT (KVM's `mp_state` halted).
    pub halted: bool,
    /// Whether the registers were read now (paused, or the vCPU answered within the
    /// deadline); `false`: the last values read, the vCPU did not come out of the guest.
    pub fresh: bool,
    pub regs: Registers,
    /// The bytes at CS:RIP (up to 16; fewer where they cross into what is not RAM), hex.
    pub code: String,
    /// The vCPU thread's Linux thread id, CPU time used (µs) and the host CPU it last ran on.
    pub thread: ThreadView,
    /// Exits this vCPU has taken, by reason (as in `counters`).
    pub exits: Vec<(String, u64)>,
}

/// General, control and segment-base registers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Registers {
    pub rax: u64,
    pub rbx: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rsi: u64,
    pub rdi: u64,
    pub rbp: u64,
    pub rsp: u64,
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rip: u64,
    pub rflags: u64,
    pub cr0: u64,
    pub cr2: u64,
    pub cr3: u64,
    pub cr4: u64,
    pub efer: u64,
    pub cs: SegmentView,
    pub ss: SegmentView,
}

/// A segment register: selector and the hidden part the CPU uses.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SegmentView {
    pub selector: u16,
    pub base: u64,
    pub limit: u32,
    /// Default operand size 32 (D/B) and 64-bit code (L).
    pub db: bool,
    pub l: bool,
    pub dpl: u8,
}

/// A guest-physical region.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MemoryRegionView {
    pub start: u64,
    pub size: u64,
    pub kind: RegionKind,
    /// What it is, in English for logs (`"RAM below 4 GiB"`, `"virtio-blk 0 (MMIO)"`); the
    /// app explains `kind` in the user's language.
    pub name: String,
    /// Bytes of it the guest has touched (host pages resident), for memory KVM maps; `None`
    /// for MMIO windows (every access exits to the VMM).
    pub touched_bytes: Option<u64>,
    /// Bytes of it backed by transparent huge pages.
    pub huge_page_bytes: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RegionKind {
    /// Guest RAM: KVM maps it, the guest uses it without exits.
    #[default]
    Ram,
    /// Read-only memory the guest runs from (firmware, option ROMs).
    Rom,
    /// Flash (UEFI code and variables): reads mapped, writes exit.
    Flash,
    /// The framebuffer: mapped memory the display thread reads.
    Framebuffer,
    /// A device's registers: every access is an exit the VMM emulates.
    Mmio,
    /// A hole: nothing answers there (PCI space not in use, the gap below 4 GiB).
    Reserved,
}

/// A device as the inspector shows it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DeviceView {
    /// e.g. `"serial (16550A) COM1"`, `"virtio-blk 0"`.
    pub name: String,
    pub kind: DeviceKind,
    /// How the guest reaches it: `"isa-pio"`, `"pci"`, `"virtio-mmio"`, `"virtio-pci"`,
    /// `"platform"`.
    pub transport: String,
    /// I/O port ranges `[first, last]`.
    pub ports: Vec<(u16, u16)>,
    /// MMIO ranges `[start, size]`.
    pub mmio: Vec<(u64, u64)>,
    /// Interrupt lines (GSIs) or MSI vectors it uses.
    pub irqs: Vec<u32>,
    /// Virtio queues: index, size, and requests it has served.
    pub queues: Vec<QueueView>,
    /// Exits the guest's accesses to this device caused.
    pub exits: u64,
    /// A PCI function's MSI-X vectors as the guest's driver programmed them (empty for
    /// devices without MSI-X, and until the driver turns it on).
    #[serde(default)]
    pub msix: Vec<MsixVectorView>,
}

/// One MSI-X table entry in use: which interrupt of the device it carries and where the
/// guest sent it (an x86 MSI: the IDT vector in the data, the local APIC in the address).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MsixVectorView {
    /// The table entry.
    pub entry: u16,
    /// `"config"` or `"queue N"` (several may share an entry).
    pub used_by: Vec<String>,
    /// The guest's IDT vector (the message data's low byte).
    pub vector: u8,
    /// The destination APIC ID (address bits 12–19).
    pub apic_id: u8,
    /// Masked by the entry's or the function's mask bit.
    pub masked: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeviceKind {
    /// Imitates real hardware register by register (serial port, PIT, AHCI, VGA).
    #[default]
    Emulated,
    /// Made for virtual machines (virtio): the guest driver knows it is virtual.
    Paravirtual,
    /// Inside KVM (the in-kernel interrupt controllers and timer).
    InKernel,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct QueueView {
    pub index: u16,
    pub size: u16,
    /// Descriptor chains the device has completed on it.
    pub served: u64,
}

/// The host's side: one process, its threads.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct HostView {
    pub pid: u32,
    pub rss_bytes: u64,
    pub threads: Vec<ThreadView>,
}

/// A thread of the VMM process.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ThreadView {
    pub tid: u32,
    /// Its name (`vcpu0`, `display`, `api`, ...).
    pub name: String,
    /// User + system CPU time in microseconds.
    pub cpu_us: u64,
    /// The host CPU it last ran on.
    pub last_cpu: u32,
}

/// What `step` replies.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Stepped {
    // Boxed: two register sets would make every reply as large.
    pub before: Box<VcpuView>,
    pub after: Box<VcpuView>,
    /// Why the step ended: `"debug"` (one instruction done) or the exit it hit instead
    /// (`"io-out"`, `"hlt"`, ...), which the VMM handled as always.
    pub stopped_by: String,
}

/// What `exit-log` replies.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ExitLog {
    /// The sequence number the next exit will get: ask `after` this next time.
    pub next: u64,
    /// Exits that fell out of the ring before anyone read them.
    pub dropped: u64,
    pub entries: Vec<ExitRecord>,
}

/// One vCPU exit.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ExitRecord {
    pub seq: u64,
    pub vcpu: u32,
    /// Microseconds since the VM started.
    pub at_us: u64,
    /// As in `counters` (`"io-out"`, `"io-in"`, `"mmio-read"`, `"mmio-write"`, `"hlt"`, ...).
    pub reason: String,
    /// Port or guest-physical address; 0 where the exit has none.
    pub addr: u64,
    /// Access size in bytes; 0 where the exit has none.
    pub size: u8,
    /// The value written, or read back, where the exit moved one.
    pub value: Option<u64>,
    /// The device that handled it; `None`: nothing answers there.
    pub device: Option<String>,
}
