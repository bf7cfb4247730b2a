//! A VM's snapshots as the app shows them: the list from the API's `snapshot-list` (running VM)
//! or from the VM's folder (stopped VM), arranged as a tree by parent links.

use std::path::{Path, PathBuf};
use vmm_core::api;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Snapshot {
    pub id: String,
    pub name: String,
    pub description: String,
    pub created_unix_ms: u64,
    pub parent: Option<String>,
    /// False for an interrupted save (never used for a revert).
    pub complete: bool,
    /// Why it cannot be used, if it cannot.
    pub problem: Option<String>,
    pub has_screen: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SnapshotList {
    /// The snapshot the VM's present state descends from.
    pub current: Option<String>,
    /// Oldest first.
    pub items: Vec<Snapshot>,
}

impl SnapshotList {
    /// Arranges the result of `snapshot-list`.
    pub fn from_api(list: api::SnapshotList) -> SnapshotList {
        let mut items: Vec<Snapshot> = list
            .snapshots
            .into_iter()
            .map(|e| {
                let complete = e.complete && e.meta.is_some();
                let m = e.meta;
                Snapshot {
                    name: m.as_ref().map(display_name).unwrap_or_default(),
                    description: m
                        .as_ref()
                        .map(|m| m.description.clone())
                        .unwrap_or_default(),
                    created_unix_ms: m.as_ref().map_or(0, |m| m.created_unix_ms),
                    parent: m.as_ref().and_then(|m| m.parent.clone()),
                    has_screen: m.as_ref().is_some_and(|m| m.has_screen),
                    complete,
                    problem: e.problem,
                    id: e.id,
                }
            })
            .collect();
        items.sort_by(|a, b| {
            (a.created_unix_ms == 0, a.created_unix_ms, &a.id).cmp(&(
                b.created_unix_ms == 0,
                b.created_unix_ms,
                &b.id,
            ))
        });
        SnapshotList {
            current: list.current.filter(|c| !c.is_empty()),
            items,
        }
    }

    /// Reads a stopped VM's snapshots from its folder (what `snapshot-list` would answer).
    pub fn from_disk(vm_dir: &Path) -> SnapshotList {
        SnapshotList::from_api(api::SnapshotList {
            current: vmm_core::snapshot::current(vm_dir),
            snapshots: vmm_core::snapshot::list(vm_dir),
        })
    }

    pub fn get(&self, id: &str) -> Option<&Snapshot> {
        self.items.iter().find(|s| s.id == id)
    }

    /// Complete snapshots whose parent is `id`.
    pub fn children(&self, id: &str) -> usize {
        self.items
            .iter()
            .filter(|s| s.parent.as_deref() == Some(id))
            .count()
    }

    /// The tree in display order: each snapshot after its parent, children oldest first, with
    /// its depth. Snapshots whose parent is gone are roots; incomplete ones come last.
    pub fn tree(&self) -> Vec<(usize, &Snapshot)> {
        let known = |p: &Option<String>| {
            p.as_ref()
                .is_some_and(|p| self.items.iter().any(|s| s.complete && &s.id == p))
        };
        let mut out = Vec::with_capacity(self.items.len());
        let mut stack: Vec<(usize, &Snapshot)> = self
            .items
            .iter()
            .filter(|s| s.complete && !known(&s.parent))
            .rev()
            .map(|s| (0, s))
            .collect();
        while let Some((depth, s)) = stack.pop() {
            if out.iter().any(|(_, o): &(usize, &Snapshot)| o.id == s.id) {
                continue; // a cycle in damaged metadata
            }
            out.push((depth, s));
            stack.extend(
                self.items
                    .iter()
                    .filter(|c| c.complete && c.parent.as_deref() == Some(&s.id))
                    .rev()
                    .map(|c| (depth + 1, c)),
            );
        }
        // Whatever a cycle left out, then the incomplete ones.
        for s in &self.items {
            if s.complete && !out.iter().any(|(_, o)| o.id == s.id) {
                out.push((0, s));
            }
        }
        out.extend(self.items.iter().filter(|s| !s.complete).map(|s| (0, s)));
        out
    }
}

/// The snapshots in `vm_dir` that VM config `new` could no longer start from: a snapshot's
/// machine (vCPUs, memory, disk count) must be the VM's, and the VMM refuses one that is not.
/// Their names (or, unnamed, when they were taken), for a warning before such a save.
pub fn unusable_with(vm_dir: &Path, new: &vmm_core::config::VmConfig) -> Vec<String> {
    vmm_core::snapshot::list(vm_dir)
        .into_iter()
        .filter_map(|e| e.meta)
        .filter(|m| {
            m.config.vcpus != new.vcpus
                || m.config.memory_mib != new.memory_mib
                || m.config.disks.len() != new.disks.len()
        })
        .map(|m| display_name(&m))
        .collect()
}

/// A snapshot's name for people: an unnamed one (the VMM calls it "Snapshot <id>", and the id
/// means nothing to anyone) is called by when it was taken.
pub fn display_name(m: &api::SnapshotMeta) -> String {
    let name = m.name.trim();
    if name.is_empty() || name == format!("Snapshot {}", m.id) {
        local_time(m.created_unix_ms)
    } else {
        name.to_string()
    }
}

/// The thumbnail `<vm dir>/snapshots/<id>/screen.png`, if there is one.
pub fn thumbnail(vm_dir: &Path, id: &str) -> Option<PathBuf> {
    let p = vmm_core::snapshot::snapshots_dir(vm_dir)
        .join(id)
        .join("screen.png");
    p.is_file().then_some(p)
}

/// Local date and time of a Unix time in ms, `YYYY-MM-DD HH:MM`.
pub fn local_time(unix_ms: u64) -> String {
    local_tm(unix_ms).map_or_else(String::new, |tm| {
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}",
            tm.tm_year + 1900,
            tm.tm_mon + 1,
            tm.tm_mday,
            tm.tm_hour,
            tm.tm_min
        )
    })
}

/// Local date and time to the second, for file names: `YYYY-MM-DD-HH-MM-SS`.
pub fn local_stamp(unix_ms: u64) -> String {
    local_tm(unix_ms).map_or_else(String::new, |tm| {
        format!(
            "{:04}-{:02}-{:02}-{:02}-{:02}-{:02}",
            tm.tm_year + 1900,
            tm.tm_mon + 1,
            tm.tm_mday,
            tm.tm_hour,
            tm.tm_min,
            tm.tm_sec
        )
    })
}

fn local_tm(unix_ms: u64) -> Option<libc::tm> {
    let secs = (unix_ms / 1000) as libc::time_t;
    // SAFETY: localtime_r writes into our tm and reads only `secs`.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        (!libc::localtime_r(&secs, &mut tm).is_null()).then_some(tm)
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    fn entry(id: &str, name: &str, parent: Option<&str>, t: u64) -> api::SnapshotEntry {
        api::SnapshotEntry {
            id: id.into(),
            complete: true,
            meta: Some(api::SnapshotMeta {
                id: id.into(),
                name: name.into(),
                description: format!("about {name}"),
                created_unix_ms: t,
                parent: parent.map(str::to_string),
                config: vmm_core::config::VmConfig::new_linux(id, name, "/boot/vmlinuz".into()),
                memory_pages: 10,
                has_screen: false,
            }),
            problem: None,
        }
    }

    /// Issue 15: unnamed snapshots showed their raw ids.
    #[test]
    fn unnamed_snapshots_are_called_by_their_date_and_time() {
        let t = 1_796_573_674_463;
        let list = SnapshotList::from_api(api::SnapshotList {
            current: None,
            snapshots: vec![
                entry("1796573674-295", "Snapshot 1796573674-295", None, t),
                entry("b", " ", None, t + 1),
                entry("c", "Before the update", None, t + 2),
            ],
        });
        let names: Vec<&str> = list.items.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [local_time(t), local_time(t + 1), "Before the update".into()]
        );
        assert!(names[0].starts_with("20"), "{}", names[0]);
    }

    /// A `snapshot-list` result: (id, name, parent, created) plus one incomplete snapshot.
    pub fn sample() -> api::SnapshotList {
        api::SnapshotList {
            current: Some("b".into()),
            snapshots: vec![
                entry("c", "Installed tools", Some("a"), 3000),
                entry("a", "Fresh boot", None, 1000),
                api::SnapshotEntry {
                    id: "x".into(),
                    complete: false,
                    meta: None,
                    problem: Some("interrupted while being saved".into()),
                },
                entry("b", "Before update", Some("a"), 2000),
                entry("d", "After update", Some("b"), 4000),
                entry("e", "Orphan", Some("gone"), 5000),
            ],
        }
    }

    #[test]
    fn the_tree_puts_children_under_parents_and_incomplete_ones_last() {
        let l = SnapshotList::from_api(sample());
        assert_eq!(l.current.as_deref(), Some("b"));
        let t: Vec<(usize, &str)> = l.tree().iter().map(|(d, s)| (*d, s.id.as_str())).collect();
        assert_eq!(
            t,
            [(0, "a"), (1, "b"), (2, "d"), (1, "c"), (0, "e"), (0, "x")]
        );
        assert_eq!(l.children("a"), 2);
        assert!(!l.get("x").unwrap().complete);
        assert_eq!(l.get("a").unwrap().description, "about Fresh boot");
    }

    #[test]
    fn a_cycle_in_damaged_metadata_does_not_hang() {
        let l = SnapshotList::from_api(api::SnapshotList {
            current: None,
            snapshots: vec![entry("p", "P", Some("q"), 1), entry("q", "Q", Some("p"), 2)],
        });
        assert_eq!(l.tree().len(), 2);
    }

    #[test]
    fn a_stopped_vm_lists_from_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(SnapshotList::from_disk(dir.path()), SnapshotList::default());
        let snaps = dir.path().join("snapshots");
        std::fs::create_dir_all(snaps.join("123-000.partial")).unwrap();
        std::fs::write(snaps.join("current"), "123-000").unwrap();
        let l = SnapshotList::from_disk(dir.path());
        assert_eq!(l.items.len(), 1);
        assert!(!l.items[0].complete);
        assert!(thumbnail(dir.path(), "123-000").is_none());
        assert_eq!(local_time(0).len(), 16);
    }
}
