//! The container side for real: crun runs the busybox root, and what the kernel reports about
//! the running container is checked against the host and the limits asked for.

use super::container::{self, Options};
use super::Limits;
use crate::testing::skip_or_fail;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

/// The Linux test guest's initramfs when tests/linux/build-guest.sh made it, else a small one
/// made here from the host's static busybox (Debian: busybox-static), so CI runs this anyway.
fn initramfs(dir: &Path) -> Result<PathBuf, String> {
    let built = container::default_initramfs();
    if built.is_file() {
        return Ok(built);
    }
    let busybox = ["/bin/busybox", "/usr/bin/busybox"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .ok_or("neither the Linux test guest's initramfs nor busybox (Debian: busybox-static)")?;
    let data = std::fs::read(&busybox).map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    let mut entries: Vec<(String, u32, Vec<u8>)> = vec![
        ("bin".into(), 0o040755, vec![]),
        ("proc".into(), 0o040755, vec![]),
        ("dev".into(), 0o040755, vec![]),
        ("bin/busybox".into(), 0o100755, data),
    ];
    for applet in ["sh", "sleep", "uname", "ps", "echo"] {
        entries.push((format!("bin/{applet}"), 0o120777, b"busybox".to_vec()));
    }
    for (i, (name, mode, data)) in entries.iter().enumerate() {
        let mut w = cpio::newc::Builder::new(name)
            .mode(*mode)
            .ino(i as u32 + 1)
            .nlink(1)
            .write(&mut raw, data.len() as u32);
        w.write_all(data).map_err(|e| e.to_string())?;
        w.finish().map_err(|e| e.to_string())?;
    }
    cpio::newc::trailer(&mut raw).map_err(|e| e.to_string())?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&raw).map_err(|e| e.to_string())?;
    let path = dir.join("initramfs.cpio.gz");
    std::fs::write(&path, gz.finish().map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    Ok(path)
}

#[test]
fn crun_runs_the_busybox_root_isolated_limited_and_on_the_host_kernel() {
    if container::find_crun().is_none() {
        return skip_or_fail("crun is not installed (Debian: crun)");
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return skip_or_fail("running a container with cgroup limits needs root");
    }
    let dir = tempfile::tempdir().unwrap();
    let initramfs = match initramfs(dir.path()) {
        Ok(p) => p,
        Err(e) => return skip_or_fail(&e),
    };
    let limits = Limits {
        memory_bytes: 48 << 20,
        cpu_quota_us: 30_000,
        cpu_period_us: 100_000,
    };
    let opts = Options { initramfs, limits };
    let r = container::run(&opts, &AtomicBool::new(false)).unwrap();
    eprintln!("{r:#?}");

    let isolated: Vec<&str> = r.isolated().map(|n| n.kind.as_str()).collect();
    for kind in ["pid", "mnt", "uts", "ipc", "net"] {
        assert!(
            isolated.contains(&kind),
            "{kind} not isolated: {isolated:?}"
        );
    }
    assert!(r
        .namespaces
        .iter()
        .any(|n| n.kind == "pid" && n.inside.starts_with("pid:[")));
    // As root the kernel allows a user namespace: anything else is a refusal to explain.
    assert!(
        isolated.contains(&"user") || r.notes.iter().any(|n| n.contains("sysctl")),
        "{r:?}"
    );

    assert_eq!(r.cgroup.memory_max, Some(limits.memory_bytes));
    assert_eq!(r.cgroup.cpu_quota_us, Some(limits.cpu_quota_us));
    assert_eq!(r.cgroup.cpu_period_us, limits.cpu_period_us);
    assert!(r.cgroup.memory_current > 0 && r.cgroup.memory_current <= limits.memory_bytes);
    assert!(r.cgroup.path.contains(&r.id), "{:?}", r.cgroup.path);

    // One kernel: the container's is the host's.
    assert!(!r.kernel_inside.is_empty());
    assert_eq!(r.kernel_inside, r.kernel_host);

    assert_eq!(r.pid_inside, 1);
    assert_eq!(r.pid1_cmdline, super::oci::INIT.join(" "));
    assert!(
        r.processes.iter().any(|p| p.trim_start().starts_with("1 ")),
        "{:?}",
        r.processes
    );
    assert!(r.host_pid > 1);

    let overlay = r.overlay.as_ref().expect("an overlay root");
    assert_eq!(overlay.lower.len(), 1);
    assert!(overlay.lower[0].ends_with("lower"), "{overlay:?}");
    assert!(overlay.upper.ends_with("upper"), "{overlay:?}");
    assert!(
        r.rootfs_bytes > 500_000,
        "busybox alone is bigger: {}",
        r.rootfs_bytes
    );
    assert!(r.start_ms > 0.0 && r.start_ms < 20_000.0);

    // Removed afterwards: no container, no folder, no cgroup.
    assert!(!overlay.upper.parent().unwrap().exists());
    let state = std::process::Command::new("crun")
        .args(["state", &r.id])
        .output()
        .unwrap();
    assert!(!state.status.success(), "{} is still there", r.id);
    // SIGKILL is delivered at once, the reaping by the container's parent a moment later.
    let proc_dir = format!("/proc/{}", r.host_pid);
    let t0 = std::time::Instant::now();
    while Path::new(&proc_dir).exists() && t0.elapsed().as_secs() < 5 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        !Path::new(&proc_dir).exists(),
        "the container's init lives on"
    );
    assert!(!Path::new("/sys/fs/cgroup/memory").join(&r.id).exists());
}

#[test]
fn a_missing_root_filesystem_names_the_file_and_how_to_make_it() {
    let opts = Options::new(PathBuf::from("/nonexistent/initramfs-cloud.cpio.gz"));
    let e = container::run(&opts, &AtomicBool::new(false)).unwrap_err();
    assert!(e.contains("/nonexistent/initramfs-cloud.cpio.gz"), "{e}");
    assert!(e.contains("build-guest.sh"), "{e}");
}

/// A pid no process has now: a child that has been waited for.
fn dead_pid() -> u32 {
    let mut c = std::process::Command::new("true").spawn().unwrap();
    let pid = c.id();
    c.wait().unwrap();
    pid
}

#[test]
fn a_hard_killed_runs_leftovers_go_and_a_live_runs_stay() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let dead = dead_pid();
    // What a SIGKILLed run leaves: its folder with a bundle, and crun's state for its id.
    let stale = tmp.path().join(format!("vmdesk-compare-{dead}-12345"));
    std::fs::create_dir_all(stale.join("bundle/rootfs/bin")).unwrap();
    std::fs::write(stale.join("bundle/config.json"), "{}").unwrap();
    let stale_state = format!("vmdesk-compare-{dead}-777");
    std::fs::create_dir(state.path().join(&stale_state)).unwrap();
    // A run of a live vmdesk (this process), and folders that are not runs of ours.
    let live = tmp
        .path()
        .join(format!("vmdesk-compare-{}-1", std::process::id()));
    let others = [
        tmp.path().join("vmdesk-compare-notapid-1"),
        tmp.path().join(format!("vmdesk-compare-{dead}-x")),
        tmp.path().join("something-else"),
    ];
    for d in std::iter::once(&live).chain(&others) {
        std::fs::create_dir(d).unwrap();
    }
    // A symlink with a stale name is not followed into what it points at.
    let target = tempfile::tempdir().unwrap();
    std::fs::write(target.path().join("keep"), "x").unwrap();
    std::os::unix::fs::symlink(
        target.path(),
        tmp.path().join(format!("vmdesk-compare-{dead}-99")),
    )
    .unwrap();

    let removed = container::clean_stale(tmp.path(), &[state.path().to_path_buf()]);
    assert!(!stale.exists(), "the stale bundle is gone");
    assert!(
        removed.contains(&format!("vmdesk-compare-{dead}-12345")),
        "{removed:?}"
    );
    // crun deletes what its state says (a fake state may stay); only what went is said.
    assert_eq!(
        removed.contains(&stale_state),
        !state.path().join(&stale_state).exists()
    );
    assert!(live.is_dir(), "a live vmdesk's run stays");
    for d in &others {
        assert!(d.is_dir(), "{} is not ours", d.display());
    }
    assert!(target.path().join("keep").is_file());
}
