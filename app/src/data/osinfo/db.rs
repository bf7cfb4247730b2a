//! osinfo-db read into a compact index: only what detection needs (each OS's names, family,
//! derivation, `<iso>` patterns, resources and firmware), cached as JSON in the XDG cache dir.
//!
//! The whole database is ~940 XML files (3 MB); parsing it costs tens of milliseconds, the cached
//! index one or two. The cache is keyed by the database folder, its VERSION and every file's size
//! and mtime, so a package update (or an edited file) rebuilds it; a damaged cache is ignored.

use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// Bumped whenever [`Db`]'s shape changes, so an old cache is not misread.
const CACHE_FORMAT: u32 = 5;

/// Bytes of one XML file at most.
const MAX_FILE: u64 = 8 << 20;

/// One `<iso>` block: each present field must match the ISO's label.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IsoPattern {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
    /// Bytes; matches only that exact size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_size: Option<u64>,
    /// Pre-filters, computed when the database is read (see [`super::matcher::needles`]).
    #[serde(default)]
    pub needles: Needles,
}

/// Per field: a label that contains none of these strings cannot match the field's pattern
/// (empty: no pre-filter, the pattern is run). Saves compiling most patterns per process.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Needles {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volume_id: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub system_id: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub publisher_id: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub application_id: Vec<String>,
}

impl IsoPattern {
    pub fn is_empty(&self) -> bool {
        self.volume_id.is_none()
            && self.system_id.is_none()
            && self.publisher_id.is_none()
            && self.application_id.is_none()
            && self.volume_size.unwrap_or(0) == 0
    }
}

/// A `<media>` that carries an `<iso>` (the others cannot be recognised from a file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Media {
    pub arch: String,
    pub live: bool,
    pub installer: bool,
    pub iso: IsoPattern,
}

/// Resource amounts (bytes for RAM and storage).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amounts {
    pub ram: Option<u64>,
    pub storage: Option<u64>,
    pub n_cpus: Option<u32>,
}

/// One `<resources arch>` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceSet {
    pub arch: String,
    /// `inherit="true"`: missing values come from what the OS derives from or clones.
    #[serde(default)]
    pub inherit: bool,
    pub minimum: Option<Amounts>,
    pub recommended: Option<Amounts>,
}

/// `<firmware arch type supported>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirmwareEntry {
    pub arch: String,
    /// `efi` or `bios`.
    pub kind: String,
    pub supported: bool,
}

/// One `<os>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Os {
    pub id: String,
    pub short_id: String,
    pub name: String,
    pub version: Option<String>,
    pub vendor: Option<String>,
    pub family: Option<String>,
    pub distro: Option<String>,
    /// `rolling`, `prerelease`, `snapshot`; None for a release.
    #[serde(default)]
    pub release_status: Option<String>,
    pub derives_from: Vec<String>,
    pub clones: Vec<String>,
    pub media: Vec<Media>,
    pub resources: Vec<ResourceSet>,
    pub firmware: Vec<FirmwareEntry>,
}

/// The parsed database.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Db {
    pub dir: PathBuf,
    /// Sorted by id (deterministic order for ties in matching).
    pub oses: Vec<Os>,
    /// Files that could not be read or parsed, with the reason (skipped, reported once).
    pub skipped: Vec<String>,
    #[serde(skip)]
    by_id: HashMap<String, usize>,
}

/// What the cache is valid for: the database's identity at the time it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct CacheKey {
    dir: PathBuf,
    version: String,
    /// Number of XML files, their summed sizes and newest mtime (ns since the epoch).
    files: usize,
    bytes: u64,
    newest_mtime_ns: u128,
}

#[derive(Serialize, Deserialize)]
struct CacheFile {
    format: u32,
    key: CacheKey,
    db: Db,
}

/// Why the database could not be read at all (a bad single file is skipped instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoDb(pub String);

impl Db {
    pub fn os(&self, id: &str) -> Option<&Os> {
        self.by_id.get(id).map(|&i| &self.oses[i])
    }

    /// The OS, then what it derives from or clones, breadth-first, each once (the database could
    /// hold a cycle; this never loops).
    pub fn lineage<'a>(&'a self, os: &'a Os) -> Vec<&'a Os> {
        let mut out = vec![os];
        let mut seen: HashSet<&str> = HashSet::from([os.id.as_str()]);
        let mut i = 0;
        while i < out.len() && out.len() < 64 {
            let cur = out[i];
            for parent in cur.derives_from.iter().chain(&cur.clones) {
                if seen.insert(parent.as_str()) {
                    if let Some(p) = self.os(parent) {
                        out.push(p);
                    }
                }
            }
            i += 1;
        }
        out
    }

    fn index(mut self) -> Db {
        self.by_id = self
            .oses
            .iter()
            .enumerate()
            .map(|(i, o)| (o.id.clone(), i))
            .collect();
        self
    }

    /// Parses every XML file under `dir/os` (no cache): the tests' way in.
    #[cfg(test)]
    pub fn parse_dir(dir: &Path) -> Result<Db, NoDb> {
        let files = xml_files(dir)?;
        Ok(parse_files(dir, &files))
    }

    /// The database at `dir`, from the cache file when it is still valid, else parsed and the
    /// cache (re)written. `cache` None: no caching (e.g. no cache folder).
    pub fn load(dir: &Path, cache: Option<&Path>) -> Result<Db, NoDb> {
        let files = xml_files(dir)?;
        let key = CacheKey {
            dir: dir.to_path_buf(),
            version: std::fs::read_to_string(dir.join("VERSION"))
                .map(|v| v.trim().to_string())
                .unwrap_or_default(),
            files: files.len(),
            bytes: files.iter().map(|f| f.len).sum(),
            newest_mtime_ns: files.iter().map(|f| f.mtime_ns).max().unwrap_or(0),
        };
        if let Some(db) = cache.and_then(|c| read_cache(c, &key)) {
            return Ok(db);
        }
        let db = parse_files(dir, &files);
        if let Some(c) = cache {
            // A cache that cannot be written only costs the next start the parse again.
            let _ = write_cache(c, &key, &db);
        }
        Ok(db)
    }
}

struct XmlFile {
    path: PathBuf,
    len: u64,
    mtime_ns: u128,
}

/// Every `*.xml` under `dir/os`, sorted (bounded depth: the db nests vendor/os.d/file).
fn xml_files(dir: &Path) -> Result<Vec<XmlFile>, NoDb> {
    let os_dir = dir.join("os");
    let meta = std::fs::metadata(&os_dir).map_err(|e| {
        NoDb(format!(
            "{} cannot be read ({e}); install the operating system database: apt install osinfo-db",
            os_dir.display()
        ))
    })?;
    if !meta.is_dir() {
        return Err(NoDb(format!(
            "{} is not a folder; install the operating system database: apt install osinfo-db",
            os_dir.display()
        )));
    }
    let mut out = Vec::new();
    let mut stack = vec![(os_dir, 0u32)];
    while let Some((d, depth)) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let Ok(m) = std::fs::metadata(&p) else {
                continue;
            };
            if m.is_dir() {
                if depth < 4 {
                    stack.push((p, depth + 1));
                }
            } else if m.is_file() && p.extension().is_some_and(|x| x == "xml") {
                let mtime_ns = m
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos());
                out.push(XmlFile {
                    path: p,
                    len: m.len(),
                    mtime_ns,
                });
            }
        }
    }
    if out.is_empty() {
        return Err(NoDb(format!(
            "{} holds no operating systems; install the operating system database: apt install osinfo-db",
            dir.display()
        )));
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn read_cache(cache: &Path, key: &CacheKey) -> Option<Db> {
    let bytes = std::fs::read(cache).ok()?;
    let c: CacheFile = serde_json::from_slice(&bytes).ok()?;
    (c.format == CACHE_FORMAT && &c.key == key).then(|| c.db.index())
}

fn write_cache(cache: &Path, key: &CacheKey, db: &Db) -> std::io::Result<()> {
    if let Some(parent) = cache.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let c = CacheFile {
        format: CACHE_FORMAT,
        key: key.clone(),
        db: db.clone(),
    };
    let text = serde_json::to_vec(&c).map_err(std::io::Error::other)?;
    vmm_core::util::write_atomic(cache, &text)
}

/// Parses the files; a file that cannot be read or is not well-formed XML is skipped and
/// named in [`Db::skipped`]. An `<os>` split over several files (e.g. `win-10.d/` adding
/// drivers) is merged by id, as libosinfo's loader does.
fn parse_files(dir: &Path, files: &[XmlFile]) -> Db {
    let mut oses: Vec<Os> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut skipped = Vec::new();
    for XmlFile { path, len, .. } in files {
        // The largest real file is ~100 KiB; a huge one is not osinfo-db's and is not read.
        if *len > MAX_FILE {
            skipped.push(format!("{}: {len} bytes, too large", path.display()));
            continue;
        }
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                skipped.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        let doc = match roxmltree::Document::parse(&text) {
            Ok(d) => d,
            Err(e) => {
                skipped.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        let root = doc.root_element();
        if root.tag_name().name() != "libosinfo" {
            skipped.push(format!(
                "{}: the root element is not <libosinfo>",
                path.display()
            ));
            continue;
        }
        for node in root.children().filter(|n| n.has_tag_name("os")) {
            let Some(os) = parse_os(node) else { continue };
            match by_id.get(&os.id) {
                Some(&i) => merge(&mut oses[i], os),
                None => {
                    by_id.insert(os.id.clone(), oses.len());
                    oses.push(os);
                }
            }
        }
    }
    if !skipped.is_empty() {
        // Reported once per parse (the cache keeps the list; nothing is printed on a cache hit).
        eprintln!(
            "vmdesk: osinfo-db: {} file(s) skipped: {}",
            skipped.len(),
            skipped.join("; ")
        );
    }
    oses.sort_by(|a, b| a.id.cmp(&b.id));
    Db {
        dir: dir.to_path_buf(),
        oses,
        skipped,
        by_id: HashMap::new(),
    }
    .index()
}

fn merge(into: &mut Os, more: Os) {
    let fill = |a: &mut String, b: String| {
        if a.is_empty() {
            *a = b;
        }
    };
    fill(&mut into.short_id, more.short_id);
    fill(&mut into.name, more.name);
    into.version = into.version.take().or(more.version);
    into.vendor = into.vendor.take().or(more.vendor);
    into.family = into.family.take().or(more.family);
    into.distro = into.distro.take().or(more.distro);
    into.release_status = into.release_status.take().or(more.release_status);
    into.derives_from.extend(more.derives_from);
    into.clones.extend(more.clones);
    into.media.extend(more.media);
    into.resources.extend(more.resources);
    into.firmware.extend(more.firmware);
}

/// The element's text, trimmed; None when empty.
fn text(n: roxmltree::Node) -> Option<String> {
    let t = n.text()?.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Untranslated elements only (translations carry `xml:lang`).
fn untranslated(n: &roxmltree::Node) -> bool {
    !n.attributes().any(|a| a.name() == "lang")
}

fn parse_os(node: roxmltree::Node) -> Option<Os> {
    let mut os = Os {
        id: node.attribute("id")?.to_string(),
        ..Os::default()
    };
    for c in node.children().filter(|c| c.is_element()) {
        match c.tag_name().name() {
            "short-id" if os.short_id.is_empty() => os.short_id = text(c).unwrap_or_default(),
            "name" if untranslated(&c) && os.name.is_empty() => {
                os.name = text(c).unwrap_or_default()
            }
            "version" => os.version = text(c),
            "vendor" if untranslated(&c) => os.vendor = text(c),
            "family" => os.family = text(c),
            "distro" => os.distro = text(c),
            "release-status" => os.release_status = text(c),
            "derives-from" => os.derives_from.extend(c.attribute("id").map(String::from)),
            "clones" => os.clones.extend(c.attribute("id").map(String::from)),
            "media" => os.media.extend(parse_media(c)),
            "resources" => os.resources.push(ResourceSet {
                arch: c.attribute("arch").unwrap_or("all").to_string(),
                inherit: c.attribute("inherit") == Some("true"),
                minimum: child(c, "minimum").map(amounts),
                recommended: child(c, "recommended").map(amounts),
            }),
            "firmware" => {
                if let Some(kind) = c.attribute("type") {
                    os.firmware.push(FirmwareEntry {
                        arch: c.attribute("arch").unwrap_or("all").to_string(),
                        kind: kind.to_string(),
                        // libosinfo: supported unless the attribute says "false".
                        supported: c.attribute("supported") != Some("false"),
                    });
                }
            }
            _ => {}
        }
    }
    Some(os)
}

fn child<'a, 'i>(n: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    n.children().find(|c| c.has_tag_name(name))
}

fn amounts(n: roxmltree::Node) -> Amounts {
    let num = |name: &str| {
        child(n, name)
            .and_then(text)
            .and_then(|t| t.parse::<u64>().ok())
    };
    Amounts {
        ram: num("ram"),
        storage: num("storage"),
        n_cpus: num("n-cpus").and_then(|v| u32::try_from(v).ok()),
    }
}

fn parse_media(n: roxmltree::Node) -> Option<Media> {
    let iso = child(n, "iso")?;
    let field = |name: &str| child(iso, name).and_then(text);
    let pattern = IsoPattern {
        volume_id: field("volume-id"),
        system_id: field("system-id"),
        publisher_id: field("publisher-id"),
        application_id: field("application-id"),
        volume_size: field("volume-size").and_then(|t| t.parse().ok()),
        needles: Needles::default(),
    };
    let needles = |f: &Option<String>| {
        f.as_deref()
            .map(super::matcher::needles)
            .unwrap_or_default()
    };
    let pattern = IsoPattern {
        needles: Needles {
            volume_id: needles(&pattern.volume_id),
            system_id: needles(&pattern.system_id),
            publisher_id: needles(&pattern.publisher_id),
            application_id: needles(&pattern.application_id),
        },
        ..pattern
    };
    let flag = |name: &str, default: bool| match n.attribute(name) {
        Some(v) => v == "true" || v == "yes",
        None => default,
    };
    Some(Media {
        arch: n.attribute("arch").unwrap_or("all").to_string(),
        live: flag("live", false),
        installer: flag("installer", true),
        iso: pattern,
    })
}
