//! Throwaway runs: the VM starts on temporary overlays and what it wrote is discarded when it
//! is off. The VMM does not need to know: the app points the VM's disks (`disks/current.json`,
//! which the VMM already follows for snapshots) at fresh overlays before the start, and puts
//! the previous `current.json` back once the VMM has ended. The marker `throwaway.json` is
//! written before anything else changes, so a crash of the app at any point is mended the next
//! time it looks (any start, `vmdesk list`, the GUI's start-up): a leftover overlay is removed.
//! Snapshots taken during a throwaway run go with it (their disk states were temporary).

use crate::data::client::VmmClient;
use crate::data::error::at;
use crate::data::paths::Paths;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use vmm_core::config::VmConfig;
use vmm_core::storage::{self, overlay};

const MARKER: &str = "throwaway.json";

/// `throwaway.json`: how to undo a throwaway run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Marker {
    /// `current.json` as it was before (None: there was none).
    previous: Option<overlay::CurrentDisks>,
    /// The temporary overlays (file names in `disks/`).
    overlays: Vec<String>,
    /// Snapshot ids that existed before: the run's own ones go with it.
    snapshots: Vec<String>,
}

fn marker(vm_dir: &Path) -> PathBuf {
    vm_dir.join(MARKER)
}

/// Whether VM `id` is in (or was left in) a throwaway run.
pub fn active(paths: &Paths, id: &str) -> bool {
    marker(&paths.vm_dir(id)).exists()
}

/// Points the stopped VM `cfg`'s writable disks at new temporary overlays over what they hold
/// now. Call right before starting it; [`discard`] undoes it.
pub fn prepare(paths: &Paths, cfg: &VmConfig) -> Result<(), String> {
    let dir = paths.vm_dir(&cfg.id);
    // A run the app did not see end: its changes go first.
    discard(paths, &cfg.id)?;
    let previous = overlay::CurrentDisks::load(&dir).map_err(|e| e.to_string())?;
    let mut cur = previous.clone().unwrap_or_default();
    let config_paths: Vec<PathBuf> = cfg
        .disks
        .iter()
        .map(|d| storage::config_path(d, &dir))
        .collect();
    let mut plan = Vec::new();
    for (i, d) in cfg.disks.iter().enumerate() {
        if d.read_only {
            continue;
        }
        let top = cur
            .top(&dir, i, &config_paths[i])
            .unwrap_or_else(|| config_paths[i].clone());
        let label = overlay::disk_label(&config_paths, i);
        plan.push((i, top, overlay::new_overlay_path(&dir, &label, "throwaway")));
    }
    if plan.is_empty() {
        return Ok(());
    }
    let m = Marker {
        previous,
        overlays: plan
            .iter()
            .filter_map(|(_, _, ov)| ov.file_name()?.to_str().map(str::to_string))
            .collect(),
        snapshots: crate::data::snapshots::SnapshotList::from_disk(&dir)
            .items
            .into_iter()
            .map(|s| s.id)
            .collect(),
    };
    let json = serde_json::to_vec_pretty(&m).map_err(|e| e.to_string())?;
    let mp = marker(&dir);
    vmm_core::util::write_atomic(&mp, &json).map_err(at(&mp))?;
    let res = (|| {
        for (i, top, ov) in &plan {
            let info = storage::image_info(top).map_err(|e| e.to_string())?;
            overlay::create_overlay(&dir, ov, top, info.format, info.virtual_size)
                .map_err(|e| e.to_string())?;
            cur.register(ov);
            cur.set_top(&dir, *i, &config_paths[*i], ov)
                .map_err(|e| e.to_string())?;
        }
        cur.save(&dir).map_err(|e| e.to_string())
    })();
    if res.is_err() {
        let _ = discard(paths, &cfg.id);
    }
    res
}

/// Ends VM `id`'s throwaway run (it must be off): its disks go back to what they were before,
/// the temporary overlays and the run's snapshots are deleted. Whether there was one.
pub fn discard(paths: &Paths, id: &str) -> Result<bool, String> {
    let dir = paths.vm_dir(id);
    let mp = marker(&dir);
    let text = match std::fs::read(&mp) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(at(&mp)(e).to_string()),
    };
    let m: Marker = serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", mp.display()))?;
    match &m.previous {
        Some(p) => p.save(&dir).map_err(|e| e.to_string())?,
        None => {
            let c = overlay::current_file(&dir);
            if c.exists() {
                std::fs::remove_file(&c).map_err(at(&c))?;
            }
        }
    }
    let ddir = overlay::disks_dir(&dir);
    for name in &m.overlays {
        // Only a plain file name in disks/: the marker is ours, but never trust a path in it.
        if Path::new(name).file_name().and_then(|n| n.to_str()) != Some(name.as_str()) {
            continue;
        }
        let f = ddir.join(name);
        if f.exists() {
            std::fs::remove_file(&f).map_err(at(&f))?;
        }
    }
    let snaps = vmm_core::snapshot::snapshots_dir(&dir);
    for s in crate::data::snapshots::SnapshotList::from_disk(&dir).items {
        if !m.snapshots.contains(&s.id) && !s.id.contains('/') && !s.id.starts_with('.') {
            let _ = std::fs::remove_dir_all(snaps.join(&s.id));
        }
    }
    std::fs::remove_file(&mp).map_err(at(&mp))?;
    Ok(true)
}

/// Forgets a throwaway run without undoing it (a reset replaces the disks anyway).
pub(super) fn forget(vm_dir: &Path) {
    let _ = std::fs::remove_file(marker(vm_dir));
}

/// Ends the throwaway runs of every VM whose VMM is not running (the app or the CLI was not
/// there when it powered off). Returns the ids mended.
pub fn mend_all(paths: &Paths, client: &dyn VmmClient) -> Vec<String> {
    crate::data::store::list(paths)
        .into_iter()
        .filter(|e| active(paths, &e.id) && client.status(&e.id).is_err())
        .filter(|e| discard(paths, &e.id).unwrap_or(false))
        .map(|e| e.id)
        .collect()
}
