//! Format probing and the qcow2 sanity checks run before an image is used.
//!
//! Why these are not imago's: imago parses the qcow2 header and tables, but (by design, since
//! image files may legitimately be sparse) reads past the end of the file as zeroes, and it has
//! no `check`. A truncated qcow2 (an interrupted copy, a full disk) would therefore open fine and
//! the guest would see silently zeroed data or metadata, or imago would allocate clusters over
//! lost tables. So before handing an image to imago we verify that every table the header and
//! the L1/refcount tables point to lies inside the file, and refuse images QEMU marked dirty or
//! corrupt, with a message that says what to run. imago also does not expose the table offsets,
//! hence this small parser of the (stable, documented) on-disk header.
//!
//! imago also trusts the tables: an L2 entry pointing at a refcount table, at an L2 table or at
//! a cluster another entry uses, or a used cluster whose refcount is 0 (so the allocator hands
//! it out again), makes guest writes land on metadata or on another part of the disk after the
//! write was acknowledged. So, like QEMU's overlap checks, we mark every metadata cluster and
//! every data cluster once at open (a bitmap per kind, bounded by the file's size) and refuse
//! the image, naming the offset, if any two meet or one is not refcounted; and entries with
//! reserved bits set, which imago would only refuse when it first reads them, mid-run.

use super::ImageFormat;
use std::fs::File;
use std::os::unix::fs::FileExt;

pub const QCOW2_MAGIC: [u8; 4] = *b"QFI\xfb";

/// Bit 0 of incompatible_features: QEMU left the image with refcounts to rebuild.
const INCOMPAT_DIRTY: u64 = 1;
/// Bit 1: QEMU found a corruption and stopped writing.
const INCOMPAT_CORRUPT: u64 = 2;
/// Bit 2: guest data lives in a separate "external data file".
const INCOMPAT_DATA_FILE: u64 = 4;

/// Host offset bits of L1 and (uncompressed) L2 entries.
const OFFSET_MASK: u64 = 0x00ff_ffff_ffff_fe00;
const REFTABLE_OFFSET_MASK: u64 = 0xffff_ffff_ffff_fe00;
const L2_COMPRESSED: u64 = 1 << 62;

/// Clusters the overlap check tracks at most (a bitmap of 32 MiB): 16 TiB files with 64 KiB
/// clusters, 128 GiB with 512-byte ones. Larger files with small clusters are refused rather
/// than opened unchecked.
const MAX_CHECKED_CLUSTERS: u64 = 1 << 28;
/// QEMU's own limits on the L1 and refcount tables.
const MAX_L1_BYTES: u64 = 32 << 20;
const MAX_REFTABLE_BYTES: u64 = 8 << 20;

/// What the first bytes of a file say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probed {
    Image(ImageFormat),
    /// A format we cannot use; the name is for the error message.
    Unsupported(&'static str),
}

/// Probes the format from the file's head. Anything unrecognised is raw, except the image
/// formats we know by magic and cannot read: using those as raw would give the guest a disk of
/// garbage (convert them with `qemu-img convert -O qcow2`).
pub fn probe(f: &File) -> std::io::Result<Probed> {
    let mut head = [0u8; 512];
    let n = read_up_to(f, &mut head, 0)?;
    let head = &head[..n];
    let at = |off: usize, magic: &[u8]| {
        head.len() >= off + magic.len() && &head[off..off + magic.len()] == magic
    };
    Ok(if at(0, &QCOW2_MAGIC) {
        if at(4, &[0, 0, 0, 1]) {
            Probed::Unsupported("qcow (version 1)")
        } else {
            Probed::Image(ImageFormat::Qcow2)
        }
    } else if at(0, b"KDMV") || at(0, b"# Disk DescriptorFile") {
        Probed::Unsupported("VMDK")
    } else if at(0x40, &[0x7f, 0x10, 0xda, 0xbe]) {
        Probed::Unsupported("VDI")
    } else if at(0, b"vhdxfile") {
        Probed::Unsupported("VHDX")
    } else if at(0, b"conectix") {
        Probed::Unsupported("VHD")
    } else if at(0, b"QED\0") {
        Probed::Unsupported("QED")
    } else if at(0, b"LUKS\xba\xbe") {
        Probed::Unsupported("LUKS-encrypted")
    } else {
        Probed::Image(ImageFormat::Raw)
    })
}

fn read_up_to(f: &File, buf: &mut [u8], off: u64) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read_at(&mut buf[n..], off + n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The header fields the checks need.
#[derive(Debug, Clone)]
pub struct Qcow2Header {
    pub version: u32,
    pub cluster_bits: u32,
    pub crypt_method: u32,
    pub l1_size: u32,
    pub l1_table_offset: u64,
    pub refcount_table_offset: u64,
    pub refcount_table_clusters: u32,
    pub incompatible_features: u64,
    /// Refcounts are `1 << refcount_order` bits wide (v2: 16).
    pub refcount_order: u32,
    /// Internal snapshots (`qemu-img snapshot`): their table and L1 tables are metadata too.
    pub nb_snapshots: u32,
    pub snapshots_offset: u64,
}

impl Qcow2Header {
    pub fn cluster_size(&self) -> u64 {
        1 << self.cluster_bits
    }
}

fn be32(b: &[u8], off: usize) -> u32 {
    u32::from_be_bytes(b[off..off + 4].try_into().expect("4 bytes"))
}
fn be64(b: &[u8], off: usize) -> u64 {
    u64::from_be_bytes(b[off..off + 8].try_into().expect("8 bytes"))
}

/// What is wrong with a qcow2 image; each text is a complete sentence about the image.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("cannot read the qcow2 header: {0}")]
    ReadHeader(std::io::Error),
    #[error("truncated: the qcow2 header is incomplete")]
    HeaderIncomplete,
    #[error("qcow2 version {0} is not supported (only 2 and 3)")]
    Version(u32),
    #[error("truncated: the qcow2 v3 header is incomplete")]
    V3HeaderIncomplete,
    #[error("corrupt: cluster size 2^{0} is outside 512 B..2 MiB")]
    ClusterBits(u32),
    #[error("encrypted qcow2 images are not supported")]
    Encrypted,
    #[error("QEMU marked this image corrupt; repair it with `qemu-img check -r all` first")]
    MarkedCorrupt,
    #[error(
        "the image was not closed cleanly (its dirty flag is set); repair it with \
         `qemu-img check -r all` first"
    )]
    Dirty,
    #[error("qcow2 images with an external data file are not supported")]
    DataFile,
    /// Compression types other than zlib, extended L2 entries, future features: imago refuses
    /// them too.
    #[error(
        "the image uses qcow2 features this version cannot read (incompatible feature bits \
         {0:#x})"
    )]
    UnknownFeatures(u64),
    #[error(
        "truncated or corrupt: the {what} at {off:#x} (+{len:#x}) lies beyond the end of the \
         file ({file_len:#x} bytes); `qemu-img check` tells more"
    )]
    TableBeyondEnd {
        what: &'static str,
        off: u64,
        len: u64,
        file_len: u64,
    },
    #[error("corrupt: L1 table of {0} entries is too large")]
    L1TooLarge(u32),
    #[error("corrupt: the L1 or refcount table is not cluster-aligned")]
    TablesUnaligned,
    #[error("corrupt: refcount table of {0} clusters")]
    RefcountTableSize(u32),
    #[error("cannot read the {what}: {source}")]
    ReadTable {
        what: &'static str,
        source: std::io::Error,
    },
    #[error("truncated: the {what} at {off:#x} is cut short")]
    TableCutShort { what: &'static str, off: u64 },
    #[error(
        "truncated or corrupt: a {what} at {off:#x} lies beyond the end of the file \
         ({file_len:#x} bytes); `qemu-img check` tells more"
    )]
    BeyondEnd {
        what: &'static str,
        off: u64,
        file_len: u64,
    },
    #[error("corrupt: the {what} at {off:#x} is not cluster-aligned")]
    Unaligned { what: &'static str, off: u64 },
    #[error(
        "corrupt: entry {index} of the {what} ({entry:#x}) has reserved bits set; \
         `qemu-img check` tells more"
    )]
    ReservedBits {
        what: &'static str,
        index: usize,
        entry: u64,
    },
    #[error(
        "corrupt: the {what} at {off:#x} overlaps the {other} at {other_off:#x}; \
         `qemu-img check` tells more"
    )]
    Overlap {
        what: &'static str,
        off: u64,
        other: &'static str,
        other_off: u64,
    },
    #[error(
        "corrupt: the data cluster at {off:#x} (disk offset {guest:#x}) lies on the {what} \
         at {at:#x}: a write there would overwrite the image's metadata; `qemu-img check` \
         tells more"
    )]
    DataOnMetadata {
        off: u64,
        guest: u64,
        what: &'static str,
        at: u64,
    },
    #[error(
        "corrupt: the data cluster at {off:#x} is used for two parts of the disk (again at \
         disk offset {guest:#x}): a write to one would change the other; `qemu-img check` \
         tells more"
    )]
    DataTwice { off: u64, guest: u64 },
    #[error(
        "a {file_len}-byte image with {cluster_size}-byte clusters is too large to check; \
         convert it to larger clusters (qemu-img convert -O qcow2 -o cluster_size=65536 ...)"
    )]
    TooManyClusters { file_len: u64, cluster_size: u64 },
    #[error("corrupt: refcount order {0} (refcounts wider than 64 bits)")]
    RefcountOrder(u32),
    #[error(
        "corrupt: the cluster at {off:#x} is in use but its refcount is 0: new data would be \
         written over it; `qemu-img check` tells more"
    )]
    Unreferenced { off: u64 },
    #[error("corrupt: its internal snapshots' table is wrong ({0}); `qemu-img check` tells more")]
    Snapshots(&'static str),
}

/// Reads and checks the qcow2 header.
pub fn read_header(f: &File, file_len: u64) -> Result<Qcow2Header, ProbeError> {
    let mut b = [0u8; 104];
    let n = read_up_to(f, &mut b, 0).map_err(ProbeError::ReadHeader)?;
    if n < 72 || be32(&b, 0).to_be_bytes() != QCOW2_MAGIC {
        return Err(ProbeError::HeaderIncomplete);
    }
    let version = be32(&b, 4);
    if version != 2 && version != 3 {
        return Err(ProbeError::Version(version));
    }
    if version == 3 && n < 104 {
        return Err(ProbeError::V3HeaderIncomplete);
    }
    let h = Qcow2Header {
        version,
        cluster_bits: be32(&b, 20),
        crypt_method: be32(&b, 32),
        l1_size: be32(&b, 36),
        l1_table_offset: be64(&b, 40),
        refcount_table_offset: be64(&b, 48),
        refcount_table_clusters: be32(&b, 56),
        incompatible_features: if version == 3 { be64(&b, 72) } else { 0 },
        nb_snapshots: be32(&b, 60),
        snapshots_offset: be64(&b, 64),
        refcount_order: if version == 3 { be32(&b, 96) } else { 4 },
    };
    if h.refcount_order > 6 {
        return Err(ProbeError::RefcountOrder(h.refcount_order));
    }
    if !(9..=21).contains(&h.cluster_bits) {
        return Err(ProbeError::ClusterBits(h.cluster_bits));
    }
    if h.crypt_method != 0 {
        return Err(ProbeError::Encrypted);
    }
    if h.incompatible_features & INCOMPAT_CORRUPT != 0 {
        return Err(ProbeError::MarkedCorrupt);
    }
    if h.incompatible_features & INCOMPAT_DIRTY != 0 {
        return Err(ProbeError::Dirty);
    }
    if h.incompatible_features & INCOMPAT_DATA_FILE != 0 {
        return Err(ProbeError::DataFile);
    }
    let unknown =
        h.incompatible_features & !(INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_DATA_FILE);
    if unknown != 0 {
        return Err(ProbeError::UnknownFeatures(unknown));
    }
    let cs = h.cluster_size();
    let beyond = |what: &'static str, off: u64, len: u64| -> Result<(), ProbeError> {
        match off.checked_add(len) {
            Some(end) if end <= file_len => Ok(()),
            _ => Err(ProbeError::TableBeyondEnd {
                what,
                off,
                len,
                file_len,
            }),
        }
    };
    let l1_bytes = u64::from(h.l1_size) * 8;
    if l1_bytes > MAX_L1_BYTES {
        return Err(ProbeError::L1TooLarge(h.l1_size));
    }
    if !h.l1_table_offset.is_multiple_of(cs) || !h.refcount_table_offset.is_multiple_of(cs) {
        return Err(ProbeError::TablesUnaligned);
    }
    if l1_bytes > 0 {
        beyond("L1 table", h.l1_table_offset, l1_bytes)?;
    }
    let rt_bytes = u64::from(h.refcount_table_clusters) * cs;
    if rt_bytes == 0 || rt_bytes > MAX_REFTABLE_BYTES {
        return Err(ProbeError::RefcountTableSize(h.refcount_table_clusters));
    }
    beyond("refcount table", h.refcount_table_offset, rt_bytes)?;
    Ok(h)
}

/// Reserved bits of refcount-table, L1 and L2 entries (as imago checks them, when it first
/// reads the table: an image with them set would open and then fail mid-run).
const REFTABLE_RESERVED: u64 = 0x1ff;
const L1_RESERVED: u64 = 0x7f00_0000_0000_01fe;
const L2_RESERVED: u64 = 0x3f00_0000_0000_01fe;
const L2_COMPRESSED_RESERVED: u64 = 1 << 63;

/// One bit per cluster of the file.
struct Clusters(Vec<u64>);

impl Clusters {
    fn new(n: u64) -> Self {
        Clusters(vec![0; n.div_ceil(64) as usize])
    }
    fn get(&self, c: u64) -> bool {
        self.0
            .get((c / 64) as usize)
            .is_some_and(|w| w & (1 << (c % 64)) != 0)
    }
    /// Marks cluster `c`; whether it was marked already. Clusters past the end of the file
    /// (the tail of a compressed cluster) are not tracked.
    fn set(&mut self, c: u64) -> bool {
        match self.0.get_mut((c / 64) as usize) {
            Some(w) => {
                let was = *w & (1 << (c % 64)) != 0;
                *w |= 1 << (c % 64);
                was
            }
            None => false,
        }
    }
}

/// Which clusters hold metadata: the model is QEMU's overlap checks, which keep a guest write
/// from landing on the image's own tables.
struct Metadata {
    cs: u64,
    clusters: Clusters,
    /// What was marked, for naming the first of two overlapping tables: header, refcount table
    /// and L1 table by name; refcount blocks and L2 tables are found from their tables.
    named: Vec<(&'static str, u64, u64)>,
}

impl Metadata {
    /// Records `len` bytes of `what` at `off` (0: one cluster, not kept for messages: there
    /// may be millions); refuses it if they share a cluster with other metadata (a table
    /// pointing at another table, or at itself).
    fn add(&mut self, what: &'static str, off: u64, len: u64) -> Result<(), ProbeError> {
        let first = off / self.cs;
        let last = (off + len.max(1) - 1) / self.cs;
        for c in first..=last {
            if self.clusters.set(c) {
                let (other, other_off) = self.owner(c).unwrap_or(("metadata", c * self.cs));
                return Err(ProbeError::Overlap {
                    what,
                    off,
                    other,
                    other_off,
                });
            }
        }
        if len > 0 {
            self.named.push((what, off, len));
        }
        Ok(())
    }
    /// Which marked table holds cluster `c` (for messages only).
    fn owner(&self, c: u64) -> Option<(&'static str, u64)> {
        self.named
            .iter()
            .find(|&&(_, off, len)| off / self.cs <= c && c <= (off + len - 1) / self.cs)
            .map(|&(what, off, _)| (what, off))
    }
}

/// QEMU's limit on internal snapshots.
const MAX_SNAPSHOTS: u32 = 65536;

/// Marks the internal snapshots' table and L1 tables as metadata (their L2 tables and data
/// may be shared with the disk's, which writes copy first).
fn snapshot_tables(
    f: &File,
    h: &Qcow2Header,
    file_len: u64,
    meta: &mut Metadata,
) -> Result<(), ProbeError> {
    if h.nb_snapshots == 0 {
        return Ok(());
    }
    if h.nb_snapshots > MAX_SNAPSHOTS {
        return Err(ProbeError::Snapshots("too many of them"));
    }
    let mut off = h.snapshots_offset;
    let mut l1s = Vec::new();
    for _ in 0..h.nb_snapshots {
        let mut e = [0u8; 40];
        let n = read_up_to(f, &mut e, off).map_err(|source| ProbeError::ReadTable {
            what: "snapshot table",
            source,
        })?;
        if n < e.len() {
            return Err(ProbeError::TableCutShort {
                what: "snapshot table",
                off,
            });
        }
        let l1_off = be64(&e, 0);
        let l1_bytes = u64::from(be32(&e, 8)) * 8;
        let id = u64::from(u16::from_be_bytes([e[12], e[13]]));
        let name = u64::from(u16::from_be_bytes([e[14], e[15]]));
        let extra = u64::from(be32(&e, 36));
        if extra > 1024 || l1_bytes > MAX_L1_BYTES {
            return Err(ProbeError::Snapshots("an entry is too large"));
        }
        if !l1_off.is_multiple_of(h.cluster_size())
            || l1_off
                .checked_add(l1_bytes)
                .is_none_or(|end| end > file_len)
        {
            return Err(ProbeError::Snapshots("an L1 table lies outside the file"));
        }
        if l1_bytes > 0 {
            l1s.push((l1_off, l1_bytes));
        }
        // The last entry's padding need not be in the file.
        if off + 40 + extra + id + name > file_len {
            return Err(ProbeError::Snapshots("the table lies outside the file"));
        }
        off += (40 + extra + id + name).next_multiple_of(8);
    }
    meta.add(
        "snapshot table",
        h.snapshots_offset,
        off - h.snapshots_offset,
    )?;
    for (l1_off, l1_bytes) in l1s {
        meta.add("snapshot L1 table", l1_off, l1_bytes)?;
    }
    Ok(())
}

/// Checks that the tables and data clusters the image points to exist in the file, that no
/// table entry has reserved bits set, and that no data cluster lies on metadata or is used
/// twice (a guest write there would change the image's tables or another part of the disk).
pub fn check_tables(f: &File, h: &Qcow2Header, file_len: u64) -> Result<(), ProbeError> {
    let cs = h.cluster_size();
    let read_table = |what: &'static str, off: u64, bytes: u64| -> Result<Vec<u64>, ProbeError> {
        let mut buf = vec![0u8; bytes as usize];
        let n = read_up_to(f, &mut buf, off)
            .map_err(|source| ProbeError::ReadTable { what, source })?;
        if n < buf.len() {
            return Err(ProbeError::TableCutShort { what, off });
        }
        Ok(buf
            .chunks_exact(8)
            .map(|c| u64::from_be_bytes(c.try_into().expect("8 bytes")))
            .collect())
    };
    let past_end = |what: &'static str, off: u64| ProbeError::BeyondEnd {
        what,
        off,
        file_len,
    };
    // Tables are always written whole: all of their cluster must be in the file.
    let table_within = |what: &'static str, off: u64| -> Result<(), ProbeError> {
        if !off.is_multiple_of(cs) {
            return Err(ProbeError::Unaligned { what, off });
        }
        match off.checked_add(cs) {
            Some(end) if end <= file_len => Ok(()),
            _ => Err(past_end(what, off)),
        }
    };
    // A data cluster may be written partly (the file then ends inside it): its start must be in
    // the file.
    let data_within = |what: &'static str, off: u64| -> Result<(), ProbeError> {
        if off < file_len {
            Ok(())
        } else {
            Err(past_end(what, off))
        }
    };
    let reserved = |what: &'static str, index: usize, entry: u64, mask: u64| {
        if entry & mask != 0 {
            Err(ProbeError::ReservedBits { what, index, entry })
        } else {
            Ok(())
        }
    };

    let n_clusters = file_len.div_ceil(cs);
    if n_clusters > MAX_CHECKED_CLUSTERS {
        return Err(ProbeError::TooManyClusters {
            file_len,
            cluster_size: cs,
        });
    }
    let mut meta = Metadata {
        cs,
        clusters: Clusters::new(n_clusters),
        named: Vec::new(),
    };
    meta.add("header", 0, cs)?;
    let rt_bytes = u64::from(h.refcount_table_clusters) * cs;
    meta.add("refcount table", h.refcount_table_offset, rt_bytes)?;
    let l1_bytes = u64::from(h.l1_size) * 8;
    if l1_bytes > 0 {
        meta.add("L1 table", h.l1_table_offset, l1_bytes)?;
    }

    let reftable = read_table("refcount table", h.refcount_table_offset, rt_bytes)?;
    for (i, &e) in reftable.iter().enumerate() {
        reserved("refcount table", i, e, REFTABLE_RESERVED)?;
        let off = e & REFTABLE_OFFSET_MASK;
        if off != 0 {
            table_within("refcount block", off)?;
            meta.add("refcount block", off, 0)?;
        }
    }

    snapshot_tables(f, h, file_len, &mut meta)?;

    let l1 = read_table("L1 table", h.l1_table_offset, l1_bytes)?;
    let mut l2_tables = Vec::new();
    for (i, &e) in l1.iter().enumerate() {
        reserved("L1 table", i, e, L1_RESERVED)?;
        let off = e & OFFSET_MASK;
        if off != 0 {
            table_within("L2 table", off)?;
            meta.add("L2 table", off, 0)?;
            l2_tables.push((i as u64, off));
        }
    }
    // Reading every L2 table is bounded by the file's size: each is a cluster of its own.
    // Bits of a compressed entry that hold the host offset (qcow2 spec: 62 - (cluster_bits - 8)).
    let comp_offset_bits = 62 - (h.cluster_bits - 8);
    let entries_per_l2 = cs / 8;
    let mut data = Clusters::new(n_clusters);
    // Compressed clusters may share host clusters with each other, not with anything else.
    let mut compressed = Clusters::new(n_clusters);
    // refcount blocks and L2 tables are marked, not named: find which one it is.
    let owner_of = |c: u64| -> Option<(&'static str, u64)> {
        meta.owner(c)
            .or_else(|| {
                reftable
                    .iter()
                    .map(|e| e & REFTABLE_OFFSET_MASK)
                    .find(|&o| o != 0 && o / cs == c)
                    .map(|o| ("refcount block", o))
            })
            .or_else(|| {
                l2_tables
                    .iter()
                    .find(|&&(_, o)| o / cs == c)
                    .map(|&(_, o)| ("L2 table", o))
            })
    };
    let on_metadata = |c: u64, guest: u64| {
        let (what, at) = owner_of(c).unwrap_or(("metadata", c * cs));
        ProbeError::DataOnMetadata {
            off: c * cs,
            guest,
            what,
            at,
        }
    };
    for &(l1_index, off) in &l2_tables {
        for (j, e) in read_table("L2 table", off, cs)?.into_iter().enumerate() {
            let guest = (l1_index * entries_per_l2 + j as u64) * cs;
            if e & L2_COMPRESSED != 0 {
                reserved("L2 table", j, e, L2_COMPRESSED_RESERVED)?;
                let host = e & ((1u64 << comp_offset_bits) - 1);
                data_within("compressed cluster", host)?;
                let sectors = (e & !L2_COMPRESSED_RESERVED & !L2_COMPRESSED) >> comp_offset_bits;
                let end = host + (sectors + 1) * 512 - (host & 511);
                for c in host / cs..=(end - 1) / cs {
                    if meta.clusters.get(c) {
                        return Err(on_metadata(c, guest));
                    }
                    if data.get(c) {
                        return Err(ProbeError::DataTwice { off: c * cs, guest });
                    }
                    compressed.set(c);
                }
            } else {
                reserved("L2 table", j, e, L2_RESERVED)?;
                let host = e & OFFSET_MASK;
                if host != 0 {
                    if !host.is_multiple_of(cs) {
                        return Err(ProbeError::Unaligned {
                            what: "data cluster",
                            off: host,
                        });
                    }
                    data_within("data cluster", host)?;
                    let c = host / cs;
                    if meta.clusters.get(c) {
                        return Err(on_metadata(c, guest));
                    }
                    if data.set(c) || compressed.get(c) {
                        return Err(ProbeError::DataTwice { off: host, guest });
                    }
                }
            }
        }
    }
    // A cluster in use whose refcount is 0 is free to imago's allocator: the next new cluster
    // would be put there, over the data or table already in it.
    let counted = refcounted(h, &reftable, n_clusters, &read_table)?;
    for (i, &have) in counted.0.iter().enumerate() {
        let used = meta.clusters.0[i] | data.0[i] | compressed.0[i];
        let lost = used & !have;
        if lost != 0 {
            let c = i as u64 * 64 + u64::from(lost.trailing_zeros());
            return Err(ProbeError::Unreferenced { off: c * cs });
        }
    }
    Ok(())
}

/// The clusters whose refcount is not 0.
fn refcounted(
    h: &Qcow2Header,
    reftable: &[u64],
    n_clusters: u64,
    read_table: &dyn Fn(&'static str, u64, u64) -> Result<Vec<u64>, ProbeError>,
) -> Result<Clusters, ProbeError> {
    let cs = h.cluster_size();
    let bits = 1u64 << h.refcount_order;
    let per_block = cs * 8 / bits;
    let mut out = Clusters::new(n_clusters);
    for (i, &e) in reftable.iter().enumerate() {
        let off = e & REFTABLE_OFFSET_MASK;
        let first = i as u64 * per_block;
        if off == 0 || first >= n_clusters {
            continue;
        }
        let words = read_table("refcount block", off, cs)?;
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
        for j in 0..per_block.min(n_clusters - first) {
            let nonzero = if bits >= 8 {
                let w = (bits / 8) as usize;
                let at = j as usize * w;
                bytes[at..at + w].iter().any(|&b| b != 0)
            } else {
                // Sub-byte refcounts: entry j is in byte j / (8 / bits), from the low bits up.
                let per_byte = 8 / bits;
                let b = bytes[(j / per_byte) as usize];
                (b >> ((j % per_byte) * bits)) & ((1 << bits) - 1) != 0
            };
            if nonzero {
                out.set(first + j);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(head: &[u8]) -> (tempfile::TempDir, File) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("img");
        let mut b = head.to_vec();
        b.resize(4096, 0);
        std::fs::write(&p, b).unwrap();
        let f = File::open(&p).unwrap();
        (dir, f)
    }

    #[test]
    fn probes_by_magic() {
        let cases: &[(&[u8], Probed)] = &[
            (b"QFI\xfb\0\0\0\x03", Probed::Image(ImageFormat::Qcow2)),
            (
                b"QFI\xfb\0\0\0\x01",
                Probed::Unsupported("qcow (version 1)"),
            ),
            (b"KDMV", Probed::Unsupported("VMDK")),
            (b"vhdxfile", Probed::Unsupported("VHDX")),
            (b"conectix", Probed::Unsupported("VHD")),
            (b"QED\0", Probed::Unsupported("QED")),
            (b"LUKS\xba\xbe", Probed::Unsupported("LUKS-encrypted")),
            (b"\xeb\x63\x90hello", Probed::Image(ImageFormat::Raw)),
            (b"", Probed::Image(ImageFormat::Raw)),
        ];
        for (head, want) in cases {
            let (_d, f) = file_with(head);
            assert_eq!(probe(&f).unwrap(), *want, "{head:?}");
        }
        let mut vdi = vec![0u8; 0x44];
        vdi[0x40..0x44].copy_from_slice(&[0x7f, 0x10, 0xda, 0xbe]);
        let (_d, f) = file_with(&vdi);
        assert_eq!(probe(&f).unwrap(), Probed::Unsupported("VDI"));
    }

    #[test]
    fn bad_headers_are_refused_with_reasons() {
        let mut h = vec![0u8; 104];
        h[0..4].copy_from_slice(&QCOW2_MAGIC);
        h[4..8].copy_from_slice(&3u32.to_be_bytes());
        h[20..24].copy_from_slice(&16u32.to_be_bytes());
        h[48..56].copy_from_slice(&65536u64.to_be_bytes());
        h[56..60].copy_from_slice(&1u32.to_be_bytes());
        let check = |h: &[u8], len: u64| {
            let (_d, f) = file_with(h);
            read_header(&f, len).map_err(|e| e.to_string())
        };
        assert!(check(&h, 1 << 20).is_ok());
        assert!(check(&h, 4096).unwrap_err().contains("refcount table"));
        let mut v = h.clone();
        v[4..8].copy_from_slice(&4u32.to_be_bytes());
        assert!(check(&v, 1 << 20).unwrap_err().contains("version 4"));
        let mut e = h.clone();
        e[32..36].copy_from_slice(&1u32.to_be_bytes());
        assert!(check(&e, 1 << 20).unwrap_err().contains("encrypted"));
        let mut c = h.clone();
        c[72..80].copy_from_slice(&2u64.to_be_bytes());
        assert!(check(&c, 1 << 20).unwrap_err().contains("corrupt"));
        let mut x = h.clone();
        x[72..80].copy_from_slice(&16u64.to_be_bytes());
        assert!(check(&x, 1 << 20).unwrap_err().contains("0x10"));
        let mut l1 = h.clone();
        l1[36..40].copy_from_slice(&8u32.to_be_bytes());
        l1[40..48].copy_from_slice(&(2u64 << 20).to_be_bytes());
        assert!(check(&l1, 1 << 20).unwrap_err().contains("L1 table"));
    }
}
