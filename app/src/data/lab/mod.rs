//! Lab mode: a teacher's template VM and its numbered student copies.
//!
//! Students are linked clones made in one step ([`make_students`]): the template's disks are
//! frozen once and every student gets its own empty qcow2 overlay over that frozen image, so
//! twenty students cost twenty small files. The template then goes on on an overlay of its own,
//! like any linked clone's source: the teacher may keep using it, and students "reset to the
//! template" go back to the template as it was when they were made (a later change to the
//! template reaches students made later, not the ones already out). Which VMs are a template's
//! students is recorded in the template's folder (`lab.json`), not in `vm.toml`: the VMM does
//! not need to know, and a VM that is no longer listed is an ordinary linked clone.
//!
//! Throwaway runs ([`throwaway`]) live here too: they are lab mode's other half.

pub mod throwaway;

use crate::data::client::VmmClient;
use crate::data::error::at;
use crate::data::paths::Paths;
use crate::data::store::{self, VmEntry};
use crate::t;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use vmm_core::config::VmConfig;
use vmm_core::storage::{self, overlay};

/// Students one step makes at most (two-digit numbers; a class, not a data centre).
pub const MAX_STUDENTS: usize = 99;

const LAB_FILE: &str = "lab.json";
const LAB_VERSION: u32 = 1;

/// `lab.json` in a template's folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lab {
    pub version: u32,
    /// The students' VM ids, in the order they were made.
    pub students: Vec<String>,
}

impl Default for Lab {
    fn default() -> Self {
        Lab {
            version: LAB_VERSION,
            students: Vec::new(),
        }
    }
}

fn lab_file(paths: &Paths, template: &str) -> PathBuf {
    paths.vm_dir(template).join(LAB_FILE)
}

/// The template's lab record (an empty one when it has none); a damaged file is an error
/// naming it.
pub fn load(paths: &Paths, template: &str) -> Result<Lab, String> {
    let p = lab_file(paths, template);
    let text = match std::fs::read(&p) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Lab::default()),
        Err(e) => return Err(at(&p)(e).to_string()),
    };
    let lab: Lab = serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", p.display()))?;
    if lab.version != LAB_VERSION {
        return Err(t!(
            "lab-error-version",
            file = p.display().to_string(),
            version = lab.version.to_string()
        ));
    }
    Ok(lab)
}

fn save(paths: &Paths, template: &str, lab: &Lab) -> Result<(), String> {
    let p = lab_file(paths, template);
    let json = serde_json::to_vec_pretty(lab).map_err(|e| e.to_string())?;
    vmm_core::util::write_atomic(&p, &json).map_err(|e| at(&p)(e).to_string())
}

/// The template's students that still exist, in the order they were made.
pub fn students(paths: &Paths, template: &str) -> Vec<VmEntry> {
    let Ok(lab) = load(paths, template) else {
        return Vec::new();
    };
    let all = store::list(paths);
    lab.students
        .iter()
        .filter_map(|id| all.iter().find(|e| &e.id == id).cloned())
        .collect()
}

/// Whether VM `id` is a template with students.
pub fn is_template(paths: &Paths, id: &str) -> bool {
    !students(paths, id).is_empty()
}

/// The template VM `id` is a student of, if it is one.
pub fn template_of(paths: &Paths, id: &str) -> Option<String> {
    store::list(paths).into_iter().find_map(|e| {
        load(paths, &e.id)
            .ok()
            .filter(|l| l.students.iter().any(|s| s == id))
            .map(|_| e.id)
    })
}

/// Ids and names for `n` new students: "<prefix> 01", "<prefix> 02", … numbered on from the
/// highest "<prefix> NN" already in the library, so a second batch does not repeat names.
pub fn student_names(paths: &Paths, prefix: &str, n: usize) -> Vec<(String, String)> {
    let prefix = prefix.trim();
    let all = store::list(paths);
    let first = all
        .iter()
        .filter_map(|e| e.name().strip_prefix(prefix)?.trim().parse::<usize>().ok())
        .max()
        .unwrap_or(0)
        + 1;
    let width = (first + n - 1).to_string().len().max(2);
    let mut taken: Vec<String> = all.into_iter().map(|e| e.id).collect();
    (first..first + n)
        .map(|k| {
            let name = format!("{prefix} {k:0width$}");
            let id = store::derive_id(&name, &taken);
            taken.push(id.clone());
            (id, name)
        })
        .collect()
}

/// Why `count` and `prefix` (as typed) cannot make students, if they cannot.
pub fn check_request(count: &str, prefix: &str) -> Result<usize, String> {
    let n: usize = count
        .trim()
        .parse()
        .map_err(|_| t!("lab-error-count", max = MAX_STUDENTS.to_string()))?;
    if n == 0 || n > MAX_STUDENTS {
        return Err(t!("lab-error-count", max = MAX_STUDENTS.to_string()));
    }
    if prefix.trim().is_empty() {
        return Err(t!("lab-error-prefix"));
    }
    Ok(n)
}

/// Makes `n` student copies of the stopped VM `template` named "<prefix> 01".."NN" (linked
/// clones on one freeze of its disks) and records them in its `lab.json`. `progress(done, n)`
/// is called after each. All or nothing: on a failure the students made so far are removed
/// and the template is as it was.
pub fn make_students(
    paths: &Paths,
    template: &VmConfig,
    prefix: &str,
    n: usize,
    mut progress: impl FnMut(usize, usize),
) -> Result<Vec<VmConfig>, String> {
    check_request(&n.to_string(), prefix)?;
    if template_of(paths, &template.id).is_some() {
        return Err(t!(
            "lab-error-student-as-template",
            vm = template.name.as_str()
        ));
    }
    let mut lab = load(paths, &template.id)?;
    let names = student_names(paths, prefix, n);
    let made = crate::data::disks::linked_clones(paths, template, &names, "lab", |k| {
        progress(k, n);
        Ok(())
    })?;
    lab.students.extend(made.iter().map(|c| c.id.clone()));
    if let Err(e) = save(paths, &template.id, &lab) {
        // Unrecorded students would be ordinary clones nobody asked for.
        for c in &made {
            let _ = store::delete(paths, &c.id);
        }
        return Err(e);
    }
    Ok(made)
}

/// How many snapshots a reset of VM `id` drops (to say so before).
pub fn snapshots_lost(paths: &Paths, id: &str) -> usize {
    crate::data::snapshots::SnapshotList::from_disk(&paths.vm_dir(id))
        .items
        .len()
}

/// Puts the stopped student `id` back to its template: each writable disk's overlay is replaced
/// (atomically, by a rename) by a fresh empty one over the same frozen template image, and its
/// snapshots and their overlays are dropped. Refused while it runs, and for a VM that is no
/// template's student. Returns how many snapshots went.
pub fn reset_student(paths: &Paths, client: &dyn VmmClient, id: &str) -> Result<usize, String> {
    let entry = store::list(paths)
        .into_iter()
        .find(|e| e.id == id)
        .ok_or_else(|| t!("cli-no-such-vm", vm = id))?;
    let cfg = entry.config.clone()?;
    if template_of(paths, id).is_none() {
        return Err(t!("lab-error-not-student", vm = cfg.name.as_str()));
    }
    if client.status(id).is_ok() {
        return Err(t!("lab-error-running", vm = cfg.name.as_str()));
    }
    let dir = &entry.dir;
    let lost = snapshots_lost(paths, id);
    let mut keep = Vec::new();
    for d in &cfg.disks {
        let path = storage::config_path(d, dir);
        keep.push(path.clone());
        if d.read_only {
            continue;
        }
        fresh_overlay(&path)?;
    }
    // What the snapshots wrote: their files, the overlays they made and the record of which
    // overlay each disk writes now. Without current.json each disk starts on its fresh overlay.
    let snaps = vmm_core::snapshot::snapshots_dir(dir);
    if snaps.exists() {
        std::fs::remove_dir_all(&snaps).map_err(at(&snaps))?;
    }
    throwaway::forget(dir);
    let ddir = overlay::disks_dir(dir);
    if let Ok(rd) = std::fs::read_dir(&ddir) {
        for f in rd.flatten().map(|e| e.path()) {
            if !keep.iter().any(|k| overlay::same_file(k, &f)) {
                std::fs::remove_file(&f).map_err(at(&f))?;
            }
        }
    }
    Ok(lost)
}

/// Replaces the overlay `path` by an empty one over its own backing file: made beside it,
/// then renamed over it, so a crash leaves the old overlay or the new one, never half of one.
fn fresh_overlay(path: &Path) -> Result<(), String> {
    let info = storage::image_info(path).map_err(|e| e.to_string())?;
    let Some(backing) = info.backing_chain.first() else {
        return Err(t!(
            "lab-error-not-linked",
            file = path.display().to_string()
        ));
    };
    let tmp = path.with_extension("reset-tmp");
    let _ = std::fs::remove_file(&tmp);
    storage::create_linked_clone(&tmp, backing).map_err(|e| e.to_string())?;
    let done = std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .and_then(|()| std::fs::rename(&tmp, path))
        .and_then(|()| match path.parent() {
            Some(p) => std::fs::File::open(p).and_then(|d| d.sync_all()),
            None => Ok(()),
        });
    if let Err(e) = done {
        let _ = std::fs::remove_file(&tmp);
        return Err(at(path)(e).to_string());
    }
    Ok(())
}

/// Resets every student of `template`; each one's outcome (snapshots dropped, or why not —
/// a running student is left as it is).
pub fn reset_all(
    paths: &Paths,
    client: &dyn VmmClient,
    template: &str,
) -> Vec<(String, Result<usize, String>)> {
    students(paths, template)
        .into_iter()
        .map(|e| {
            let r = reset_student(paths, client, &e.id);
            (e.id, r)
        })
        .collect()
}

#[cfg(test)]
mod tests;
