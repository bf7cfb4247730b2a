//! Replays every fuzz target's corpus (`fuzz/corpus/<target>/`) and every crash or hang
//! input once found (`fuzz/regressions/<target>/`) through the same harness functions the
//! fuzzer runs, on stable Rust, as part of `cargo test`: a fixed bug cannot come back, and a
//! harness that stopped compiling or started panicking on its own seeds fails here first.

use super::TARGETS;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Runs `target` on each file, naming the file if it panics.
fn replay(target: &str, run: fn(&[u8]), files: &[PathBuf]) {
    for f in files {
        let data = std::fs::read(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let t = Instant::now();
        if std::panic::catch_unwind(|| run(&data)).is_err() {
            panic!(
                "{target}: {} panics (replay: cargo +nightly fuzz run {target} {})",
                f.display(),
                f.display()
            );
        }
        // A hang found once must stay fixed: no input of ours takes long.
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "{target}: {} took {:?}",
            f.display(),
            t.elapsed()
        );
    }
}

#[test]
fn every_target_has_a_fuzz_target_file_and_a_seed_corpus() {
    let dir = fuzz_dir();
    for (name, _) in TARGETS {
        let src = dir.join("fuzz_targets").join(format!("{name}.rs"));
        let text =
            std::fs::read_to_string(&src).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
        assert!(
            text.contains(&format!("vmm_core::fuzzing::{name}(")),
            "{} calls another harness",
            src.display()
        );
        assert!(
            !inputs(&dir.join("corpus").join(name)).is_empty(),
            "{name}: no seed corpus"
        );
    }
    // And no target file without a harness here (it would never be replayed).
    let listed: Vec<String> = inputs(&dir.join("fuzz_targets"))
        .iter()
        .filter_map(|p| Some(p.file_stem()?.to_str()?.to_string()))
        .collect();
    for name in listed {
        assert!(
            TARGETS.iter().any(|(n, _)| *n == name),
            "fuzz_targets/{name}.rs is not in TARGETS"
        );
    }
}

#[test]
fn corpora_and_regressions_replay_without_a_panic() {
    let dir = fuzz_dir();
    let mut n = 0;
    for (name, run) in TARGETS {
        for sub in ["corpus", "regressions"] {
            let files = inputs(&dir.join(sub).join(name));
            n += files.len();
            replay(name, *run, &files);
        }
    }
    super::cleanup();
    eprintln!("replayed {n} fuzz inputs over {} targets", TARGETS.len());
    assert!(n >= TARGETS.len());
}
