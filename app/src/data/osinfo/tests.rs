//! Detection against the system's osinfo-db (ISOs made with xorriso carrying labels the
//! database knows) and against small databases written here (inheritance, firmware,
//! look-ahead, damaged files and caches, a missing database).

use super::logo::logo_in;
use super::*;
use crate::testing::{skip_or_fail, xorriso_iso, IsoSpec};

/// The system database, or None after saying `skipped: …` (fails under VMDESK_REQUIRE_TOOLS).
fn system_db() -> Option<Arc<Db>> {
    match load(Path::new(SYSTEM_DB)) {
        Ok(db) => Some(db),
        Err(e) => {
            skip_or_fail(&format!("osinfo-db (Debian package osinfo-db): {e}"));
            None
        }
    }
}

fn iso(dir: &Path, file: &str, volume_id: &str, publisher: &str) -> Option<PathBuf> {
    let spec = IsoSpec {
        volume_id,
        system_id: "",
        publisher,
        application: "",
    };
    match xorriso_iso(dir, file, spec) {
        Ok(p) => Some(p),
        Err(e) => {
            skip_or_fail(&e);
            None
        }
    }
}

/// Debian's bookworm osinfo-db (0.20221130) knows up to Debian 11, Ubuntu 22.10 and Fedora 37;
/// these labels are the ones the real ISOs carry (volume ids as on cdimage.debian.org,
/// releases.ubuntu.com, Fedora's and Microsoft's downloads).
#[test]
fn real_isos_are_recognised_with_resources_and_firmware() {
    let Some(db) = system_db() else { return };
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        // (file, volume id, publisher, id, name, version, MiB, GiB, firmware)
        (
            "debian.iso",
            "Debian 11.5.0 amd64 n",
            "",
            "http://debian.org/debian/11",
            "Debian 11",
            "11",
            1024,
            20,
            Firmware::Uefi,
        ),
        (
            "ubuntu.iso",
            "Ubuntu 22.04.1 LTS amd64",
            "",
            "http://ubuntu.com/ubuntu/22.04",
            "Ubuntu 22.04 LTS",
            "22.04",
            4096,
            25,
            Firmware::Uefi,
        ),
        (
            "fedora.iso",
            "Fedora-WS-Live-37-1-7",
            "",
            "http://fedoraproject.org/fedora/37",
            "Fedora Linux 37",
            "37",
            2048,
            20,
            Firmware::Uefi,
        ),
        // Windows 11 has only minimum resources (4 GiB, 64 GiB): Boxes' fallbacks apply, and
        // it requires UEFI (BIOS unsupported). Its labels are Windows 10's too: the newer wins.
        (
            "win11.iso",
            "CCCOMA_X64FRE_EN-US_DV9",
            "Microsoft Corporation",
            "http://microsoft.com/win/11",
            "Microsoft Windows 11",
            "11.0",
            4096,
            128,
            Firmware::Uefi,
        ),
    ];
    for (file, vol, publisher, id, name, version, mib, gib, fw) in cases {
        let Some(path) = iso(dir.path(), file, vol, publisher) else {
            return;
        };
        let d = detect_with(&db, &path, 8).unwrap();
        let os =
            d.os.as_ref()
                .unwrap_or_else(|| panic!("{vol}: not recognised"));
        assert_eq!(
            (os.id.as_str(), os.name.as_str(), os.version.as_deref()),
            (id, name, Some(version)),
            "{vol}"
        );
        assert_eq!(d.resources.memory_mib, mib, "{vol}");
        assert_eq!(d.resources.disk_gib, gib, "{vol}");
        assert_eq!(d.resources.vcpus, 2, "{vol}");
        assert_eq!(d.firmware, fw, "{vol}");
        assert_eq!(d.notice, None, "{vol}");
        assert_eq!(os.guest_os().name, name);
        // A one-CPU host gets one vCPU, whatever is recommended.
        assert_eq!(detect_with(&db, &path, 1).unwrap().resources.vcpus, 1);
    }
    // detect() goes through the same database (the system one unless VMDESK_OSINFO_DIR says).
    let deb = dir.path().join("debian.iso");
    if std::env::var_os(DB_DIR_ENV).is_none() {
        assert_eq!(detect(&deb, 4).unwrap().os.unwrap().short_id, "debian11");
    }
}

/// Releases newer than the installed database get their own name (what a newer osinfo-db calls
/// them) and the settings of the newest release the database knows; on a database that knows
/// them, the database's own entry gives the same id and name.
#[test]
fn releases_newer_than_the_database_are_named_from_their_label() {
    let Some(db) = system_db() else { return };
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "Debian 12.5.0 amd64 n",
            "http://debian.org/debian/12",
            "debian12",
            "Debian 12",
            "12",
        ),
        (
            "Ubuntu 24.04 LTS amd64",
            "http://ubuntu.com/ubuntu/24.04",
            "ubuntu24.04",
            "Ubuntu 24.04 LTS",
            "24.04",
        ),
        (
            "Fedora-WS-Live-40-1-14",
            "http://fedoraproject.org/fedora/40",
            "fedora40",
            "Fedora Linux 40",
            "40",
        ),
    ];
    for (i, (vol, id, short, name, version)) in cases.into_iter().enumerate() {
        let Some(path) = iso(dir.path(), &format!("{i}.iso"), vol, "") else {
            return;
        };
        let d = detect_with(&db, &path, 8).unwrap();
        let os =
            d.os.as_ref()
                .unwrap_or_else(|| panic!("{vol}: not recognised"));
        assert_eq!(
            (
                os.id.as_str(),
                os.short_id.as_str(),
                os.name.as_str(),
                os.version.as_deref()
            ),
            (id, short, name, Some(version)),
            "{vol}"
        );
        assert_eq!(d.firmware, Firmware::Uefi, "{vol}");
        assert_eq!(d.notice, None, "{vol}");
        assert!(d.resources.memory_mib >= GENERIC_MEMORY_MIB, "{vol}");
        assert!(d.resources.disk_gib >= GENERIC_DISK_GIB, "{vol}");
    }
    // Not for older releases, other architectures or other distributions.
    let l = |v: &str| media::IsoLabels {
        volume_id: v.into(),
        ..Default::default()
    };
    assert!(newer::from_label(&l("Debian 12.5.0 arm64 n")).is_none());
    assert!(newer::from_label(&l("Mint 21 amd64")).is_none());
    let old = newer::from_label(&l("Debian 9.13.0 amd64 n")).unwrap();
    assert!(
        newer::base(&db, &old).is_none(),
        "Debian 9 is in the database"
    );
}

#[test]
fn an_unknown_label_gets_generic_defaults_and_says_so() {
    let Some(db) = system_db() else { return };
    let dir = tempfile::tempdir().unwrap();
    let Some(path) = iso(dir.path(), "mine.iso", "VMDESK_TEST_MEDIUM", "") else {
        return;
    };
    let d = detect_with(&db, &path, 8).unwrap();
    assert_eq!(d.os, None);
    assert_eq!(d.notice, Some(Notice::UnknownOs));
    assert_eq!(d.firmware, Firmware::Uefi);
    assert_eq!(
        d.resources,
        Resources {
            memory_mib: GENERIC_MEMORY_MIB,
            disk_gib: GENERIC_DISK_GIB,
            vcpus: 2
        }
    );
    assert!(matches!(d.media, MediaKind::Iso(ref l) if l.volume_id == "VMDESK_TEST_MEDIUM"));
}

#[test]
fn a_missing_database_says_how_to_install_it() {
    let dir = tempfile::tempdir().unwrap();
    let Some(path) = iso(dir.path(), "d.iso", "Debian 11.5.0 amd64 n", "") else {
        return;
    };
    let d = detect_in(&dir.path().join("no-osinfo"), &path, 4).unwrap();
    assert_eq!(d.os, None);
    let Some(Notice::NoDatabase { reason }) = &d.notice else {
        panic!("{:?}", d.notice)
    };
    assert!(reason.contains("apt install osinfo-db"), "{reason}");
    assert!(reason.contains("no-osinfo"), "{reason}");
    assert_eq!(d.resources.memory_mib, GENERIC_MEMORY_MIB);
    // Not a medium at all: refused with the reason, database or not.
    let txt = dir.path().join("notes.txt");
    std::fs::write(&txt, "hello").unwrap();
    assert!(matches!(
        detect_in(&dir.path().join("no-osinfo"), &txt, 4),
        Err(MediaError::NotMedia { .. })
    ));
}

#[test]
fn disk_images_boot_uefi_with_their_own_size() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("cloud.img");
    let f = std::fs::File::create(&raw).unwrap();
    f.set_len(3 * GIB + 1).unwrap();
    drop(f);
    let mut mbr = vec![0u8; 512];
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
    use std::os::unix::fs::FileExt;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&raw)
        .unwrap()
        .write_all_at(&mbr, 0)
        .unwrap();
    let d = detect_in(&dir.path().join("no-osinfo"), &raw, 4).unwrap();
    assert_eq!(d.firmware, Firmware::Uefi);
    assert_eq!(d.resources.disk_gib, 4);
    assert_eq!(d.resources.memory_mib, GENERIC_MEMORY_MIB);
    // The database is not consulted for disk images, so its absence is not reported.
    assert_eq!(d.notice, Some(Notice::UnknownOs));
}

/// A small database: a parent with resources and EFI, a child inheriting them, an OS with
/// only minimum resources and no firmware, the look-ahead pattern, and a broken file.
fn tiny_db(root: &Path) {
    let os = root.join("os/example.org");
    std::fs::create_dir_all(&os).unwrap();
    std::fs::write(root.join("VERSION"), "20990101").unwrap();
    std::fs::write(
        os.join("base-1.xml"),
        r#"<?xml version="1.0"?>
<libosinfo version="0.0.1">
  <os id="http://example.org/base/1">
    <short-id>base1</short-id>
    <name>Base 1</name>
    <name xml:lang="de">Basis 1</name>
    <version>1</version>
    <distro>base</distro>
    <firmware arch="x86_64" type="efi"/>
    <resources arch="all">
      <minimum><n-cpus>1</n-cpus><ram>536870912</ram><storage>5368709120</storage></minimum>
      <recommended><n-cpus>4</n-cpus><ram>3221225472</ram><storage>32212254720</storage></recommended>
    </resources>
    <media arch="x86_64"><iso><volume-id>BASE 1 x86_64</volume-id></iso></media>
  </os>
</libosinfo>"#,
    )
    .unwrap();
    std::fs::write(
        os.join("base-2.xml"),
        r#"<libosinfo version="0.0.1">
  <os id="http://example.org/base/2">
    <short-id>base2</short-id>
    <name>Base 2</name>
    <version>2</version>
    <derives-from id="http://example.org/base/1"/>
    <resources arch="all" inherit="true">
      <recommended><ram>4294967296</ram></recommended>
    </resources>
    <media arch="i686"><iso><volume-id>BASE 2</volume-id></iso></media>
    <media arch="x86_64"><iso><volume-id>BASE 2 x86_64</volume-id><system-id>LINUX</system-id></iso></media>
  </os>
</libosinfo>"#,
    )
    .unwrap();
    std::fs::write(
        os.join("old.xml"),
        r#"<libosinfo version="0.0.1">
  <os id="http://example.org/old/7">
    <short-id>old7</short-id>
    <name>Old Server 7</name>
    <resources arch="x86_64"><minimum><ram>2147483648</ram><storage>16106127360</storage></minimum></resources>
    <media arch="x86_64"><iso><volume-id>Old Server (7 (?!SP[123])|(4 ?!SP[67])).+</volume-id></iso></media>
  </os>
</libosinfo>"#,
    )
    .unwrap();
    std::fs::write(
        os.join("roll.xml"),
        r#"<libosinfo version="0.0.1">
  <os id="http://example.org/roll/rolling">
    <short-id>roll</short-id>
    <name>Roll</name>
    <release-status>rolling</release-status>
    <derives-from id="http://example.org/base/1"/>
    <media arch="x86_64"><iso><volume-id>(BASE 2|ROLL) x86_6\d</volume-id><system-id>LINUX</system-id></iso></media>
  </os>
</libosinfo>"#,
    )
    .unwrap();
    std::fs::write(os.join("broken.xml"), "<libosinfo><os id=").unwrap();
    // Sparse: takes no room, but is over the size bound.
    let huge = std::fs::File::create(os.join("huge.xml")).unwrap();
    huge.set_len(64 << 20).unwrap();
}

#[test]
fn inheritance_firmware_and_look_ahead_follow_libosinfo() {
    let dir = tempfile::tempdir().unwrap();
    tiny_db(dir.path());
    let db = Db::parse_dir(dir.path()).unwrap();
    assert_eq!(db.oses.len(), 4);
    assert_eq!(db.skipped.len(), 2, "{:?}", db.skipped);
    assert!(db.skipped[0].contains("broken.xml"));
    assert!(db.skipped[1].contains("huge.xml") && db.skipped[1].contains("too large"));
    assert_eq!(db.os("http://example.org/base/1").unwrap().name, "Base 1");

    let labels = |v: &str, s: &str| media::IsoLabels {
        volume_id: v.into(),
        system_id: s.into(),
        ..Default::default()
    };
    let found = |l: &media::IsoLabels| {
        matcher::best_match(&db, l).map(|(o, m)| {
            (
                db.oses[o].short_id.as_str(),
                db.oses[o].media[m].arch.as_str(),
            )
        })
    };
    // Unanchored search; the x86_64 medium with more fields beats the i686 one.
    assert_eq!(
        found(&labels("BASE 2 x86_64", "LINUX")),
        Some(("base2", "x86_64"))
    );
    assert_eq!(found(&labels("BASE 2 x86_64", "")), Some(("base2", "i686")));
    // A rolling release only when nothing else matches: "BASE 2 x86_64" above matched its
    // longer pattern too.
    assert_eq!(
        found(&labels("ROLL x86_64", "LINUX")),
        Some(("roll", "x86_64"))
    );
    assert_eq!(
        found(&labels("base 2 x86_64", "LINUX")),
        None,
        "case-sensitive"
    );
    // Look-ahead: 7 followed by anything but SP1-3.
    assert_eq!(
        found(&labels("Old Server 7 SP4 x86_64", "")).map(|f| f.0),
        Some("old7")
    );
    assert_eq!(found(&labels("Old Server 7 SP2 x86_64", "")), None);

    // inherit="true": the child's own RAM, the rest from its parent, and EFI; vCPUs clamp to
    // the host.
    let base2 = db.os("http://example.org/base/2").unwrap();
    assert_eq!(
        resources(&db, base2, "x86_64", 2),
        Resources {
            memory_mib: 4096,
            disk_gib: 30,
            vcpus: 2
        }
    );
    assert_eq!(resources(&db, base2, "x86_64", 16).vcpus, 4);
    assert_eq!(firmware(&db, base2, "x86_64"), Firmware::Uefi);
    // Only minimum resources: Boxes' fallbacks (RAM max(min, 1 GiB), disk max(2 × min, 20 GiB));
    // an OS without EFI in the database gets BIOS.
    let old = db.os("http://example.org/old/7").unwrap();
    assert_eq!(
        resources(&db, old, "x86_64", 8),
        Resources {
            memory_mib: 2048,
            disk_gib: 30,
            vcpus: 2
        }
    );
    assert_eq!(firmware(&db, old, "x86_64"), Firmware::Bios);
    // No entries of its own: nothing is inherited from Base 1 (libosinfo), generic defaults;
    // firmware is inherited.
    let roll = db.os("http://example.org/roll/rolling").unwrap();
    assert_eq!(resources(&db, roll, "x86_64", 8), generic(8));
    assert_eq!(firmware(&db, roll, "x86_64"), Firmware::Uefi);
}

#[test]
fn the_cache_is_used_rebuilt_when_damaged_and_dropped_when_the_db_changes() {
    let dir = tempfile::tempdir().unwrap();
    tiny_db(dir.path());
    let cache = dir.path().join("cache/osinfo.json");
    let first = Db::load(dir.path(), Some(&cache)).unwrap();
    assert!(cache.is_file());
    // A hit gives the same database.
    assert_eq!(Db::load(dir.path(), Some(&cache)).unwrap(), first);
    // Damaged: ignored, parsed again, rewritten whole.
    std::fs::write(&cache, b"{\"format\":1,\"key\":").unwrap();
    assert_eq!(Db::load(dir.path(), Some(&cache)).unwrap(), first);
    assert!(serde_json::from_slice::<serde_json::Value>(&std::fs::read(&cache).unwrap()).is_ok());
    // A changed file (size and mtime) invalidates it.
    let f = dir.path().join("os/example.org/base-2.xml");
    let text = std::fs::read_to_string(&f)
        .unwrap()
        .replace("<name>Base 2</name>", "<name>Base Two</name>");
    std::fs::write(&f, text).unwrap();
    let again = Db::load(dir.path(), Some(&cache)).unwrap();
    assert_eq!(
        again.os("http://example.org/base/2").unwrap().name,
        "Base Two"
    );
    // A cache for another database folder is not taken for this one.
    let other = tempfile::tempdir().unwrap();
    tiny_db(other.path());
    std::fs::remove_file(other.path().join("os/example.org/old.xml")).unwrap();
    assert_eq!(Db::load(other.path(), Some(&cache)).unwrap().oses.len(), 3);
}

#[test]
fn every_system_pattern_compiles() {
    let Some(db) = system_db() else { return };
    let mut total = 0;
    let mut bad = Vec::new();
    for os in &db.oses {
        for m in &os.media {
            let i = &m.iso;
            for p in [
                &i.volume_id,
                &i.system_id,
                &i.publisher_id,
                &i.application_id,
            ]
            .into_iter()
            .flatten()
            {
                total += 1;
                if let Err(e) = matcher::compile(p) {
                    bad.push(format!("{}: {p}: {e}", os.id));
                }
            }
        }
    }
    eprintln!(
        "osinfo-db: {} OSes, {total} <iso> patterns, {} fail",
        db.oses.len(),
        bad.len()
    );
    assert!(total > 1000, "only {total} patterns: is this osinfo-db?");
    assert!(bad.is_empty(), "{bad:#?}");
    assert!(db.skipped.is_empty(), "{:?}", db.skipped);
}

#[test]
fn required_literals_never_exclude_a_match() {
    use matcher::required_literal as lit;
    assert_eq!(lit("Debian 11.\\d+.\\d+ amd64 n"), Some("Debian 11"));
    assert_eq!(lit("Fedora-WS-Live-37.*"), Some("Fedora-WS-Live-37"));
    assert_eq!(lit("^(J_)?CCSN?A_X86FRE_"), None);
    assert_eq!(lit("ABCD?E"), Some("ABC"));
    assert_eq!(lit("A|B"), None);
    assert_eq!(lit("Rocky-8-([4-9]|[1-9][0-9])-dvd$"), Some("Rocky-8-"));
    assert_eq!(lit("Ubuntu 22.04(.\\d\\+?)?"), Some("Ubuntu 22"));
    assert_eq!(lit("A[|]B|C"), None);
    assert_eq!(lit("A\\|B"), Some("A"));
    assert_eq!(lit("^LINUX$"), Some("LINUX"));
}

#[test]
fn logos_come_from_the_icon_theme_or_pixmaps() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().to_path_buf();
    assert_eq!(
        logo_in(std::slice::from_ref(&base), "http://debian.org/debian/11"),
        None
    );
    let pix = base.join("pixmaps");
    std::fs::create_dir_all(&pix).unwrap();
    std::fs::write(pix.join("debian-logo.png"), b"png").unwrap();
    assert_eq!(
        logo_in(std::slice::from_ref(&base), "http://debian.org/debian/11"),
        Some(pix.join("debian-logo.png"))
    );
    // The icon theme's largest size wins over pixmaps; Windows goes by "windows" too.
    for size in ["48x48", "256x256", "scalable"] {
        let apps = base.join("icons/hicolor").join(size).join("apps");
        std::fs::create_dir_all(&apps).unwrap();
        std::fs::write(apps.join("distributor-logo-debian.png"), b"png").unwrap();
        std::fs::write(apps.join("distributor-logo-windows.png"), b"png").unwrap();
    }
    let big = base.join("icons/hicolor/256x256/apps");
    assert_eq!(
        logo_in(std::slice::from_ref(&base), "http://debian.org/debian/11"),
        Some(big.join("distributor-logo-debian.png"))
    );
    assert_eq!(
        logo_in(std::slice::from_ref(&base), "http://microsoft.com/win/11"),
        Some(big.join("distributor-logo-windows.png"))
    );
    assert_eq!(logo_in(std::slice::from_ref(&base), "not an id"), None);
    assert_eq!(
        logo_in(std::slice::from_ref(&base), "http://x.org/../etc"),
        None
    );
}

/// The numbers in BENCHMARKS.md ("osinfo-db"): `cargo test -p vmdesk osinfo_timings --
/// --ignored --nocapture` (add `--release` for release numbers). Median of `ROUNDS` runs each.
#[test]
#[ignore = "a benchmark: prints timings"]
fn osinfo_timings() {
    use std::time::{Duration, Instant};
    const ROUNDS: usize = 7;
    let Some(_) = system_db() else { return };
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let time = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        f();
        t.elapsed()
    };
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("osinfo.json");
    let sys = Path::new(SYSTEM_DB);
    let cold: Vec<_> = (0..ROUNDS)
        .map(|_| time(&mut || drop(Db::parse_dir(sys).unwrap())))
        .collect();
    let first = time(&mut || drop(Db::load(sys, Some(&cache)).unwrap()));
    let warm: Vec<_> = (0..ROUNDS)
        .map(|_| time(&mut || drop(Db::load(sys, Some(&cache)).unwrap())))
        .collect();
    let db = Db::load(sys, Some(&cache)).unwrap();
    let isos: Vec<_> = [
        ("d.iso", "Debian 11.5.0 amd64 n", ""),
        ("u.iso", "Ubuntu 22.04.1 LTS amd64", ""),
        ("f.iso", "Fedora-WS-Live-37-1-7", ""),
        ("w.iso", "CCCOMA_X64FRE_EN-US_DV9", "Microsoft Corporation"),
        ("x.iso", "VMDESK_TEST_MEDIUM", ""),
    ]
    .into_iter()
    .filter_map(|(f, v, p)| iso(dir.path(), f, v, p))
    .collect();
    // The first detection in a process compiles the patterns whose literal part the label has.
    let mut detect_first = Vec::new();
    let mut detect_warm = Vec::new();
    for p in &isos {
        detect_first.push(time(&mut || drop(detect_with(&db, p, 4).unwrap())));
        for _ in 0..ROUNDS {
            detect_warm.push(time(&mut || drop(detect_with(&db, p, 4).unwrap())));
        }
    }
    let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1e3);
    eprintln!(
        "osinfo-db {}: {} OSes, cache {} KiB",
        std::fs::read_to_string(sys.join("VERSION"))
            .unwrap_or_default()
            .trim(),
        db.oses.len(),
        std::fs::metadata(&cache).map_or(0, |m| m.len() / 1024)
    );
    eprintln!("cold parse (median of {ROUNDS}): {}", ms(median(cold)));
    eprintln!("first load (parse + write cache): {}", ms(first));
    eprintln!("cache load (median of {ROUNDS}): {}", ms(median(warm)));
    eprintln!(
        "detect, first per label (max of {}): {}",
        isos.len(),
        ms(*detect_first.iter().max().unwrap())
    );
    eprintln!("detect, again (median): {}", ms(median(detect_warm)));
}

#[test]
fn needles_prefilter_without_losing_matches() {
    use matcher::needles;
    assert_eq!(needles("Debian 11.\\d+"), vec!["Debian 11"]);
    assert_eq!(needles(".*RHEL/5.4 x86_64.*"), vec!["RHEL/5"]);
    assert_eq!(needles("^\\D+-3-1-\\d+"), vec!["-3-1-"]);
    assert_eq!(needles("[A-Z]*_X64"), vec!["_X64"]);
    assert!(needles(".?X").is_empty() || needles(".?X").iter().all(|n| "X".contains(n.as_str())));
    let win = needles("^(J_)?(CCSN?A|C?CCOMA)_X64FREE?_");
    assert!(
        win.iter()
            .any(|n| "CCCOMA_X64FRE_EN-US_DV9".contains(n.as_str())),
        "{win:?}"
    );
    assert!(
        !win.iter().any(|n| "CPBA_X86FRE_EN-US".contains(n.as_str())),
        "{win:?}"
    );
    // Look-ahead: regex-syntax cannot read it, so the pattern itself decides.
    let ahead = needles("(?!x)Old Server");
    assert!(ahead.is_empty() || ahead.iter().all(|n| "Old Server 7".contains(n.as_str())));
    // On the real database: the needles never turn away a label the pattern matches
    // (they are only a pre-filter), over real-world labels of many distributions.
    let Some(db) = system_db() else { return };
    let labels = [
        "Debian 11.5.0 amd64 n",
        "Debian 10.13.0 amd64 1",
        "Ubuntu 22.04.1 LTS amd64",
        "Ubuntu-Server 22.04.1 LTS amd64",
        "Fedora-WS-Live-37-1-7",
        "Fedora-WS-Live-40-1-14",
        "Fedora-S-dvd-x86_64-37",
        "CCCOMA_X64FRE_EN-US_DV9",
        "J_CCSA_X64FRE_DE-DE_DV5",
        "CPBA_X64FRE_EN-US",
        "Rocky-8-7-x86_64-dvd",
        "Rocky-9-1-x86_64-dvd",
        "CentOS-Stream-9-BaseOS-x86_64",
        "RHEL-9-0-0-BaseOS-x86_64",
        "openSUSE-Leap-15.4-DVD-x86_64",
        "ARCH_202211",
        "alpine-virt 3.17.0 x86_64",
        "nixos-minimal-22.11-x86_64",
        "Asianux Server 7 SP4 x86_64",
        "LINUX",
        "MICROSOFT CORPORATION",
        "RHEL/5.4 x86_64 DVD",
        "RHEL_6.3 x86_64 Disc 1",
        "CentOS-3-1-1",
        "MIRACLE-LINUX-9-1-x86_64",
    ];
    let mut checked = 0;
    for os in &db.oses {
        for m in &os.media {
            let i = &m.iso;
            let n = &i.needles;
            for (p, ns) in [
                (&i.volume_id, &n.volume_id),
                (&i.system_id, &n.system_id),
                (&i.publisher_id, &n.publisher_id),
                (&i.application_id, &n.application_id),
            ] {
                let Some(p) = p else { continue };
                assert_eq!(ns, &needles(p), "{p}");
                let re = matcher::compile(p).unwrap();
                for l in labels {
                    if re.is_match(l).unwrap_or(false) {
                        checked += 1;
                        assert!(
                            matcher::field_matches(p, ns, l),
                            "{p} / {ns:?} turn away {l}"
                        );
                    }
                }
            }
        }
    }
    assert!(checked > 20, "only {checked} pattern/label matches checked");
}
