//! Releases newer than the installed osinfo-db: Debian's stable osinfo-db lags behind (bookworm's
//! knows Debian 11, Ubuntu 22.10 and Fedora 37; Fedora 38+ only as "Fedora"), so a Debian 12 or
//! Ubuntu 24.04 ISO would be "unknown" on the very system that runs it. For the three
//! distributions whose labels say their release plainly, a newer release is named from its
//! label and gets the settings of the newest release the database knows (what a newer
//! osinfo-db says about them is the same or more: resources only grow).

use super::db::{Db, Os};
use crate::data::media::IsoLabels;
use fancy_regex::Regex;
use std::sync::OnceLock;

/// What the label says: the distro (osinfo-db's `<distro>`) and the release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Newer {
    pub distro: &'static str,
    pub version: String,
    /// Ubuntu's long-term releases say so in the label.
    pub lts: bool,
}

/// x86_64 labels only: the VM is x86_64.
const RULES: [(&str, &str); 3] = [
    // Debian 12.5.0 amd64 n / Debian 12.5.0 amd64 1
    (r"^Debian (\d{1,2})\.\d+(?:\.\d+)? amd64\b", "debian"),
    // Ubuntu 24.04 LTS amd64 / Ubuntu-Server 24.04.1 LTS amd64 / Ubuntu 24.10 amd64
    (
        r"^Ubuntu(?:-Server)? (\d{2}\.\d{2})(?:\.\d+)?(?: LTS)? amd64\b",
        "ubuntu",
    ),
    // Fedora-WS-Live-40-1-14 / Fedora-S-dvd-x86_64-40 / Fedora-E-dvd-x86_64-41
    (
        r"^Fedora-[A-Za-z]+-(?:Live-|dvd-x86_64-|netinst-x86_64-)(\d{2,3})\b",
        "fedora",
    ),
];

/// The release the ISO's volume label names, for the distributions above.
pub fn from_label(labels: &IsoLabels) -> Option<Newer> {
    static RES: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    let res = RES.get_or_init(|| {
        RULES
            .iter()
            .filter_map(|(p, d)| Regex::new(p).ok().map(|r| (r, *d)))
            .collect()
    });
    let v = &labels.volume_id;
    res.iter().find_map(|(re, distro)| {
        let version = re.captures(v).ok()??.get(1)?.as_str().to_string();
        Some(Newer {
            distro,
            version,
            lts: v.contains(" LTS "),
        })
    })
}

/// The newest release of `n.distro` the database knows (a plain release, not rolling or
/// pre-release), when `n` is newer than it.
pub fn base<'a>(db: &'a Db, n: &Newer) -> Option<&'a Os> {
    let want = numeric(&n.version)?;
    db.oses
        .iter()
        // The distribution's main line: `http://fedoraproject.org/fedora/37`, not Silverblue or
        // CoreOS (same <distro>).
        .filter(|o| o.distro.as_deref() == Some(n.distro) && o.release_status.is_none())
        .filter(|o| o.id.contains(&format!("/{}/", n.distro)))
        .filter_map(|o| Some((numeric(o.version.as_deref()?)?, o)))
        .max_by(|a, b| a.0.cmp(&b.0))
        .filter(|(have, _)| *have < want)
        .map(|(_, o)| o)
}

/// `"22.04"` → `[22, 4]`; `"12"` → `[12]`; None for `testing`, `unknown`.
fn numeric(v: &str) -> Option<Vec<u32>> {
    v.split('.').map(|p| p.parse().ok()).collect()
}

/// `base`'s id, short id and name with its release replaced by `n`'s: what a newer
/// osinfo-db calls it (`http://debian.org/debian/12`, `debian12`, `Debian 12`).
pub fn renamed(base: &Os, n: &Newer) -> (String, String, String) {
    let old = base.version.as_deref().unwrap_or_default();
    let id = match base.id.rsplit_once('/') {
        Some((prefix, _)) => format!("{prefix}/{}", n.version),
        None => base.id.clone(),
    };
    let short = base.short_id.replace(old, &n.version);
    let mut name = base.name.replace(old, &n.version);
    if n.distro == "ubuntu" {
        name = name.trim_end_matches(" LTS").to_string();
        if n.lts {
            name.push_str(" LTS");
        }
    }
    (id, short, name)
}
