//! The app's data layer: VMs on disk, the VMMs they run in, and what the app derives from them.
//! No iced here (tests/check-structure.py enforces it): the CLI uses this layer alone, and the
//! GUI (`crate::ui`) draws what it holds.

pub mod backing;
pub mod cdrom;
pub mod check;
pub mod client;
pub mod compare;
pub mod disks;
pub mod error;
pub mod exits;
pub mod export;
pub mod host;
pub mod inspector;
pub mod install;
pub mod lab;
pub mod media;
pub mod osinfo;
pub mod paths;
pub mod problems;
pub mod settings;
pub mod snapshots;
pub mod stats;
pub mod store;
pub mod thumbs;
pub mod vms;
pub mod vt;
