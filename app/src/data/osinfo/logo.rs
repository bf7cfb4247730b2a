//! A logo for an OS: osinfo-db has none, so the desktop's distributor logos are used, found
//! by the distro name in the OS's id (`http://debian.org/debian/12` → `debian`):
//! `<data dir>/icons/<theme>/<size>/apps/distributor-logo-<distro>.png` (the largest size) and
//! `<data dir>/pixmaps/<distro>-logo.png` (Debian's desktop-base ships `debian-logo.png`).
//! PNG only: that is what the app draws.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// The logo for `os_id` (an osinfo-db id), if this desktop has one. Cached per id, so the
/// library card may call it on every draw.
pub fn logo_for(os_id: &str) -> Option<PathBuf> {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<PathBuf>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(hit) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(os_id) {
        return hit.clone();
    }
    let found = logo_in(&data_dirs(), os_id);
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(os_id.to_string(), found.clone());
    found
}

/// `$XDG_DATA_HOME` then `$XDG_DATA_DIRS` (defaults per the XDG base-directory spec).
fn data_dirs() -> Vec<PathBuf> {
    let mut out = Vec::new();
    match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        Some(h) => out.push(PathBuf::from(h)),
        None => {
            if let Some(home) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
                out.push(Path::new(&home).join(".local/share"));
            }
        }
    }
    let dirs = std::env::var("XDG_DATA_DIRS")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "/usr/local/share:/usr/share".to_string());
    out.extend(dirs.split(':').filter(|d| !d.is_empty()).map(PathBuf::from));
    out
}

/// The names a logo for the OS may go by: the distro part of its id, and the usual alias.
fn names(os_id: &str) -> Vec<String> {
    let rest = os_id.split_once("://").map_or(os_id, |(_, r)| r);
    let mut parts = rest.split('/');
    let _vendor = parts.next();
    let Some(distro) = parts
        .next()
        .map(str::to_ascii_lowercase)
        .filter(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    else {
        return Vec::new();
    };
    let alias = match distro.as_str() {
        "win" | "winnt" => Some("windows"),
        "rhel" => Some("redhat"),
        "sles" | "sled" => Some("suse"),
        "opensuse" => Some("suse"),
        _ => None,
    };
    let mut v = vec![distro];
    v.extend(alias.map(String::from));
    v
}

/// [`logo_for`] over the given data folders (tests point it at a temporary one).
pub fn logo_in(data_dirs: &[PathBuf], os_id: &str) -> Option<PathBuf> {
    for name in names(os_id) {
        for base in data_dirs {
            if let Some(p) = themed(&base.join("icons"), &name) {
                return Some(p);
            }
            for file in [
                format!("{name}-logo.png"),
                format!("distributor-logo-{name}.png"),
            ] {
                let p = base.join("pixmaps").join(file);
                if p.is_file() {
                    return Some(p);
                }
            }
        }
    }
    None
}

/// The largest `distributor-logo-<name>.png` in any icon theme under `icons`.
fn themed(icons: &Path, name: &str) -> Option<PathBuf> {
    let file = format!("distributor-logo-{name}.png");
    let mut best: Option<(u32, PathBuf)> = None;
    for theme in std::fs::read_dir(icons).ok()?.flatten() {
        let Ok(sizes) = std::fs::read_dir(theme.path()) else {
            continue;
        };
        for size in sizes.flatten() {
            let p = size.path().join("apps").join(&file);
            if !p.is_file() {
                continue;
            }
            // "48x48", "256x256", "48x48@2" → 48, 256, 96; anything else counts as small.
            let dir = size.file_name().to_string_lossy().to_string();
            let (dims, scale) = dir.split_once('@').unwrap_or((&dir, "1"));
            let px = dims
                .split_once('x')
                .and_then(|(w, _)| w.parse::<u32>().ok())
                .unwrap_or(1)
                .saturating_mul(scale.parse::<u32>().unwrap_or(1));
            if best.as_ref().is_none_or(|(b, _)| px > *b) {
                best = Some((px, p));
            }
        }
    }
    best.map(|(_, p)| p)
}
