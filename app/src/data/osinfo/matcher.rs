//! An ISO's volume labels against osinfo-db's `<iso>` patterns, as libosinfo's
//! `osinfo_media_matches` does: every field the pattern has must match the label (a GRegex/PCRE
//! search, unanchored, case-sensitive); a blank label never matches a pattern; a
//! `<volume-size>` must equal the volume's size; a pattern with no field matches nothing.
//!
//! libosinfo takes the first match in its (hash) order, a rolling release's only when nothing
//! else matches (`osinfo_db_identify_media`); this picks deterministically: rolling releases
//! last, media for the host's architecture (x86_64) first, then the pattern with the most fields, then the
//! longest patterns (the most specific), then the OS id.

use super::db::{Db, IsoPattern};
use crate::data::media::IsoLabels;
use fancy_regex::Regex;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Compiled patterns, kept for the process: each compiles once, and only when its literal
/// part is in the label (most never are), so one detection stays in the low milliseconds.
fn compiled(pattern: &str) -> Option<Arc<Regex>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<Arc<Regex>>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(hit) = map.get(pattern) {
        return hit.clone();
    }
    let re = compile(pattern).ok().map(Arc::new);
    map.insert(pattern.to_string(), re.clone());
    re
}

/// GRegex (PCRE) syntax in fancy-regex: the same for everything osinfo-db uses (classes,
/// `\d`, groups, alternation, look-ahead). PCRE's default limits are generous; so is this one.
pub fn compile(pattern: &str) -> Result<Regex, fancy_regex::Error> {
    fancy_regex::RegexBuilder::new(pattern)
        .backtrack_limit(100_000)
        .build()
}

/// A literal every match of `pattern` contains (its leading literal run), when there is a
/// simple one: a cheap test before compiling. None when the pattern has a top-level
/// alternation or starts with a metacharacter.
pub fn required_literal(pattern: &str) -> Option<&str> {
    if has_top_level_alternation(pattern) {
        return None;
    }
    let body = pattern.strip_prefix('^').unwrap_or(pattern);
    let end = body
        .find(|c: char| "\\.[](){}*+?$|^".contains(c))
        .unwrap_or(body.len());
    let mut lit = &body[..end];
    // A quantifier right after the run applies to its last character only.
    if body[end..].starts_with(['?', '*', '{']) {
        lit = match lit.char_indices().last() {
            Some((i, _)) => &lit[..i],
            None => lit,
        };
    }
    (!lit.is_empty()).then_some(lit)
}

/// A `|` outside every group and class (escapes skipped): the whole pattern is alternatives.
fn has_top_level_alternation(pattern: &str) -> bool {
    let (mut depth, mut class, mut chars) = (0usize, false, pattern.chars());
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '[' if !class => class = true,
            ']' if class => class = false,
            '(' if !class => depth += 1,
            ')' if !class => depth = depth.saturating_sub(1),
            '|' if !class && depth == 0 => return true,
            _ => {}
        }
    }
    false
}

/// Strings one of which every match of `pattern` contains (empty: none known). The leading
/// literal when there is a simple one; else the prefixes regex-syntax extracts (every match
/// starts with one of them, e.g. `^(J_)?(CCSN?A|C?CCOMA)_X64` → `J_CCSA_X64`, `CCCOMA_X64`,
/// …); none for patterns regex-syntax cannot read (look-ahead) or with unbounded prefixes.
pub fn needles(pattern: &str) -> Vec<String> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let pattern = strip_leading_repeat(pattern);
    if let Some(lit) = required_literal(pattern) {
        return vec![lit.to_string()];
    }
    let Ok(hir) = regex_syntax::Parser::new().parse(pattern) else {
        return Vec::new();
    };
    let seq = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
    let Some(lits) = seq.literals() else {
        return Vec::new();
    };
    if lits.is_empty() || lits.iter().any(|l| l.as_bytes().is_empty()) {
        return Vec::new();
    }
    // A literal cut inside a character (not UTF-8) drops the whole filter: it must be exact.
    lits.iter()
        .map(|l| String::from_utf8(l.as_bytes().to_vec()).ok())
        .collect::<Option<Vec<_>>>()
        .unwrap_or_default()
}

/// `^`, then a leading `.*`, `\\D+`, `[…]*` and the like taken off: the search is unanchored,
/// so what follows must still be in the label (RHEL's `.*RHEL/5.4 x86_64.*`).
fn strip_leading_repeat(pattern: &str) -> &str {
    let p = pattern.strip_prefix('^').unwrap_or(pattern);
    let atom = if p.starts_with('.') {
        1
    } else if p.starts_with('\\') && p[1..].starts_with(['d', 'D', 'w', 'W', 's', 'S']) {
        2
    } else if p.starts_with('[') && !p.starts_with("[]") && !p.starts_with("[^]") {
        match p.find(']') {
            Some(end) if !p[1..end].contains('[') && !p[1..end].contains('\\') => end + 1,
            _ => return pattern,
        }
    } else {
        return pattern;
    };
    let rest = &p[atom..];
    match rest.strip_prefix(['*', '+']) {
        Some(r) => r.strip_prefix('?').unwrap_or(r),
        None => pattern,
    }
}

/// Does `pattern` (a GRegex) find a match in `label`? A blank label never matches; a label
/// with none of the pattern's `needles` cannot.
pub fn field_matches(pattern: &str, needles: &[String], label: &str) -> bool {
    if label.trim().is_empty() {
        return false;
    }
    if !needles.is_empty() && !needles.iter().any(|n| label.contains(n.as_str())) {
        return false;
    }
    match compiled(pattern) {
        // A pattern that hits the backtrack limit is taken as no match, like PCRE's error.
        Some(re) => re.is_match(label).unwrap_or(false),
        // A pattern that does not compile matches nothing (libosinfo: GRegex error → FALSE).
        None => false,
    }
}

/// libosinfo's `osinfo_media_matches` for one `<iso>`.
pub fn iso_matches(p: &IsoPattern, l: &IsoLabels) -> bool {
    if p.is_empty() {
        return false;
    }
    let ok = |pat: &Option<String>, needles: &[String], label: &str| {
        pat.as_deref()
            .is_none_or(|p| field_matches(p, needles, label))
    };
    let n = &p.needles;
    ok(&p.volume_id, &n.volume_id, &l.volume_id)
        && ok(&p.application_id, &n.application_id, &l.application_id)
        && ok(&p.system_id, &n.system_id, &l.system_id)
        && ok(&p.publisher_id, &n.publisher_id, &l.publisher_id)
        && p.volume_size.is_none_or(|s| s == 0 || s == l.volume_size)
}

/// Lower is preferred: the host's architecture (x86_64), then arch-neutral, then 32-bit x86
/// (runs on x86_64), then the rest (still named, so the person learns what the ISO is).
fn arch_rank(arch: &str) -> u8 {
    match arch {
        "x86_64" => 0,
        "all" => 1,
        "i686" | "i586" | "i486" | "i386" => 2,
        _ => 3,
    }
}

/// Lower is better: not a rolling release, architecture, then more fields, longer patterns.
type Rank = (bool, u8, std::cmp::Reverse<usize>, std::cmp::Reverse<usize>);

/// The best `(os index, media index)` for the labels, if any OS's media matches.
pub fn best_match(db: &Db, labels: &IsoLabels) -> Option<(usize, usize)> {
    let mut best: Option<(Rank, (usize, usize))> = None;
    for (oi, os) in db.oses.iter().enumerate() {
        for (mi, m) in os.media.iter().enumerate() {
            if !iso_matches(&m.iso, labels) {
                continue;
            }
            let fields = [
                &m.iso.volume_id,
                &m.iso.system_id,
                &m.iso.publisher_id,
                &m.iso.application_id,
            ];
            let n = fields.iter().filter(|f| f.is_some()).count()
                + usize::from(m.iso.volume_size.is_some_and(|s| s > 0));
            let len: usize = fields
                .iter()
                .filter_map(|f| f.as_ref())
                .map(String::len)
                .sum();
            let rank = (
                os.release_status.as_deref() == Some("rolling"),
                arch_rank(&m.arch),
                std::cmp::Reverse(n),
                std::cmp::Reverse(len),
            );
            // On a full tie the OS that derives from the other wins (Windows 11's media carry
            // Windows 10's labels: a newer release is likelier, and its settings boot both);
            // otherwise the earlier OS id (sorted).
            let better = match &best {
                None => true,
                Some((r, (boi, _))) => {
                    rank < *r
                        || (rank == *r
                            && db
                                .lineage(os)
                                .iter()
                                .skip(1)
                                .any(|o| o.id == db.oses[*boi].id))
                }
            };
            if better {
                best = Some((rank, (oi, mi)));
            }
        }
    }
    best.map(|(_, at)| at)
}
