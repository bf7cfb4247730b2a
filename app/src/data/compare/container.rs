//! The container side: an OCI bundle around the unpacked busybox root (an overlay: the rootfs
//! below, a per-run folder above), run by crun, measured while it runs, then removed — on
//! success, on error and when the caller's `cancel` flag is raised (Ctrl+C): [`Run`]'s `Drop`.

use super::procfs::{self, CgroupMounts};
use super::{oci, rootfs, ContainerReport, Limits};
use crate::data::error::at;
use crate::t;
use std::ffi::CString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// The Linux test guest's initramfs (busybox + /init).
    pub initramfs: PathBuf,
    pub limits: Limits,
}

impl Options {
    pub fn new(initramfs: PathBuf) -> Options {
        Options {
            initramfs,
            limits: Limits::default(),
        }
    }
}

/// Where tests/linux/build-guest.sh leaves the cloud flavour's initramfs.
pub fn default_initramfs() -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from("/root/.cache"));
    cache.join("vmdesk/linux/initramfs-cloud.cpio.gz")
}

/// `crun` on PATH.
pub fn find_crun() -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join("crun"))
        .find(|p| p.is_file())
}

/// How long the container's shell may take to answer before the run counts as failed.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// Runs the container, measures it, removes it.
pub fn run(opts: &Options, cancel: &AtomicBool) -> Result<ContainerReport, String> {
    if !opts.initramfs.is_file() {
        return Err(t!(
            "compare-no-rootfs",
            file = opts.initramfs.display().to_string()
        ));
    }
    let crun = find_crun().ok_or_else(|| t!("compare-no-crun"))?;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err(t!("compare-needs-root"));
    }
    // What a hard-killed run (SIGKILL skips `Drop`) left behind goes first.
    clean_stale(&std::env::temp_dir(), &crun_roots());
    let mut run = Run::new(crun)?;
    let mut notes = Vec::new();

    let lower = run.dir.join("lower");
    std::fs::create_dir(&lower).map_err(at(&lower))?;
    rootfs::unpack(&opts.initramfs, &lower)?;
    check(cancel)?;

    let bundle = run.dir.join("bundle");
    let root = bundle.join("rootfs");
    std::fs::create_dir_all(&root).map_err(at(&root))?;
    let mut root_path = "rootfs".to_string();
    if let Err(e) = run.mount_overlay(&lower, &root) {
        notes.push(t!("compare-overlay-refused", error = e));
        root_path = lower.display().to_string();
    }

    let mounts = CgroupMounts::of_host();
    if mounts.v2.is_none() && mounts.v1.is_empty() {
        return Err(t!("compare-no-cgroups"));
    }
    if mounts.hybrid_with_v2_controllers() {
        run.view = Some(CgroupView::new(&run.dir, &mounts)?);
        notes.push(t!("compare-cgroup-view"));
    }

    let runtime = run
        .crun(&["--version"])
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .map(str::to_string)
        })
        .unwrap_or_else(|| "crun".into());

    // A user namespace where the kernel allows one; else without, saying why.
    let mut started = None;
    let mut first_error = None;
    for user_namespace in [true, false] {
        check(cancel)?;
        let mut spec = oci::spec(&opts.limits, &format!("/{}", run.id), user_namespace);
        spec.root.path = root_path.clone();
        let json = serde_json::to_vec_pretty(&spec).map_err(|e| e.to_string())?;
        let config = bundle.join("config.json");
        vmm_core::util::write_atomic(&config, &json).map_err(at(&config))?;
        // The container inherits crun's stdio and outlives it: a pipe would never reach EOF,
        // so crun's errors go to a file.
        let err_file = run.dir.join("crun-run.err");
        let err = std::fs::File::create(&err_file).map_err(at(&err_file))?;
        let t0 = Instant::now();
        let status = run
            .crun(&["run", "--detach", "--bundle"])
            .arg(&bundle)
            .arg(&run.id)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(err)
            .status()
            .map_err(|e| t!("compare-crun-failed", step = "run", error = e.to_string()))?;
        run.created = true;
        if status.success() {
            started = Some(t0);
            break;
        }
        let error = std::fs::read_to_string(&err_file)
            .unwrap_or_default()
            .trim()
            .to_string();
        run.delete();
        if first_error.is_none() && user_namespace {
            first_error = Some(error);
        } else {
            return Err(t!("compare-crun-failed", step = "run", error = error));
        }
    }
    let t0 = started.expect("the loop returns unless a run started");
    if let Some(e) = first_error {
        notes.push(t!("compare-userns-refused", error = e));
    }

    // "A shell answering": the first `sh -c 'echo ready'` in the container that prints ready.
    loop {
        check(cancel)?;
        if run.exec(&["/bin/sh", "-c", "echo ready"]).ok().as_deref() == Some("ready") {
            break;
        }
        if t0.elapsed() > START_TIMEOUT {
            return Err(t!(
                "compare-crun-failed",
                step = "exec",
                error = format!("no answer after {} s", START_TIMEOUT.as_secs())
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let start_ms = t0.elapsed().as_secs_f64() * 1000.0;

    let host_pid = run.pid()?;
    let kernel_inside = run.exec(&["/bin/uname", "-r"])?;
    let processes = run
        .exec(&["/bin/ps"])?
        .lines()
        .map(str::to_string)
        .collect();
    let cgroup = procfs::cgroup(host_pid, &mounts)?;
    let upper = run.dir.join("upper");
    Ok(ContainerReport {
        runtime,
        id: run.id.clone(),
        host_pid,
        pid_inside: procfs::pid_inside(host_pid).unwrap_or(host_pid),
        pid1_cmdline: procfs::cmdline(host_pid).unwrap_or_default(),
        start_ms,
        kernel_inside,
        kernel_host: procfs::host_kernel(),
        processes,
        namespaces: procfs::namespaces(host_pid),
        cgroup,
        overlay: procfs::overlay_root(host_pid),
        rootfs_bytes: rootfs::disk_usage(&lower),
        upper_bytes: if run.mounted {
            rootfs::disk_usage(&upper)
        } else {
            0
        },
        notes,
    })
}

fn check(cancel: &AtomicBool) -> Result<(), String> {
    if cancel.load(Ordering::Relaxed) {
        return Err(t!("compare-interrupted"));
    }
    Ok(())
}

/// A run's folder (in the temp folder) and its container id: this, then the pid of the vmdesk
/// that made it, then a nonce.
const RUN_PREFIX: &str = "vmdesk-compare-";

/// The pid of the vmdesk that made run `name`, if it is one of ours.
fn run_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(RUN_PREFIX)?;
    let (pid, nonce) = rest.split_once('-')?;
    nonce.bytes().all(|b| b.is_ascii_digit()).then_some(())?;
    pid.parse().ok()
}

/// Whether process `pid` still runs (a live one's run is its own business).
fn alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

/// Where crun keeps its containers' state: root's default and a user's.
pub fn crun_roots() -> Vec<PathBuf> {
    let mut v = vec![PathBuf::from("/run/crun")];
    if let Some(r) = std::env::var_os("XDG_RUNTIME_DIR").filter(|r| !r.is_empty()) {
        v.push(PathBuf::from(r).join("crun"));
    }
    v
}

/// Removes what hard-killed runs left (SIGKILL skips `Drop`): each `vmdesk-compare-<pid>-…`
/// folder in `tmp` and container in crun's state folders `roots` whose vmdesk is gone — the
/// container deleted, the overlay unmounted, the folder removed. Runs of a live vmdesk are
/// left alone. Best effort (what cannot go stays for the next time); returns what was removed.
pub fn clean_stale(tmp: &Path, roots: &[PathBuf]) -> Vec<String> {
    let crun = find_crun();
    let stale = |name: &str| run_owner(name).is_some_and(|pid| !alive(pid));
    let mut removed = Vec::new();
    for e in std::fs::read_dir(tmp).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        // Only real folders: a symlink with our name is not ours to follow.
        if !stale(&name) || !e.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        // Deletes the container, unmounts the overlay and removes the folder.
        drop(Run {
            crun: crun.clone().unwrap_or_default(),
            created: crun.is_some(),
            mounted: true,
            dir: e.path(),
            id: name.clone(),
            view: None,
        });
        if !e.path().exists() {
            removed.push(name);
        }
    }
    // Containers whose folder went already (crun's state alone).
    let Some(crun) = crun else { return removed };
    for root in roots {
        for e in std::fs::read_dir(root).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !stale(&name) {
                continue;
            }
            let _ = Command::new(&crun)
                .arg("--root")
                .arg(root)
                .args(["delete", "--force", &name])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            if !e.path().exists() {
                removed.push(name);
            }
        }
    }
    removed
}

/// One run's folder, container and mount; `Drop` removes all three.
struct Run {
    crun: PathBuf,
    id: String,
    dir: PathBuf,
    created: bool,
    mounted: bool,
    view: Option<CgroupView>,
}

impl Run {
    fn new(crun: PathBuf) -> Result<Run, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let id = format!("{RUN_PREFIX}{}-{nanos}", std::process::id());
        let dir = std::env::temp_dir().join(&id);
        vmm_core::util::create_private_dir(&dir).map_err(at(&dir))?;
        Ok(Run {
            crun,
            id,
            dir,
            created: false,
            mounted: false,
            view: None,
        })
    }

    fn mount_overlay(&mut self, lower: &Path, target: &Path) -> Result<(), String> {
        let upper = self.dir.join("upper");
        let work = self.dir.join("work");
        for d in [&upper, &work] {
            std::fs::create_dir(d).map_err(at(d))?;
        }
        let data = format!(
            "lowerdir={},upperdir={},workdir={}",
            lower.display(),
            upper.display(),
            work.display()
        );
        let c = |s: &str| CString::new(s).map_err(|e| e.to_string());
        let (src, tgt, fs, data) = (
            c("overlay")?,
            c(&target.display().to_string())?,
            c("overlay")?,
            c(&data)?,
        );
        // SAFETY: all four are valid NUL-terminated strings that outlive the call.
        let rc = unsafe {
            libc::mount(
                src.as_ptr(),
                tgt.as_ptr(),
                fs.as_ptr(),
                0,
                data.as_ptr().cast(),
            )
        };
        if rc != 0 {
            return Err(std::io::Error::last_os_error().to_string());
        }
        self.mounted = true;
        Ok(())
    }

    /// A crun command (inside the cgroup view where the host needs one).
    fn crun(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.crun);
        cmd.args(args);
        if let Some(view) = &self.view {
            view.apply(&mut cmd);
        }
        cmd
    }

    /// `crun exec` of `args` in the container: its stdout, trimmed.
    fn exec(&self, args: &[&str]) -> Result<String, String> {
        let out = self
            .crun(&["exec", &self.id])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(t!(
                "compare-crun-failed",
                step = format!("exec {}", args.join(" ")),
                error = String::from_utf8_lossy(&out.stderr).trim().to_string()
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// The container's init as the host numbers it (`crun state`).
    fn pid(&self) -> Result<u32, String> {
        let out = self
            .crun(&["state", &self.id])
            .output()
            .map_err(|e| e.to_string())?;
        let state: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| {
            t!(
                "compare-crun-failed",
                step = "state",
                error = format!("{e}: {}", String::from_utf8_lossy(&out.stderr).trim())
            )
        })?;
        state["pid"]
            .as_u64()
            .and_then(|p| u32::try_from(p).ok())
            .filter(|p| *p > 0)
            .ok_or_else(|| t!("compare-crun-failed", step = "state", error = "no pid"))
    }

    fn delete(&mut self) {
        if self.created {
            let _ = self
                .crun(&["delete", "--force", &self.id])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            self.created = false;
        }
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        self.delete();
        if self.mounted {
            if let Ok(p) = CString::new(self.dir.join("bundle/rootfs").display().to_string()) {
                // SAFETY: a valid path string; MNT_DETACH so a busy mount cannot keep the folder.
                unsafe { libc::umount2(p.as_ptr(), libc::MNT_DETACH) };
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// crun 1.8 refuses hosts that mix cgroup v1 hierarchies with controllers on v2 ("hybrid
/// mode"). This runs crun in a mount namespace of its own whose /sys/fs/cgroup holds only the
/// host's v1 hierarchies (bind mounts of the same kernel cgroups), so crun sees a plain v1 host
/// and sets the limits there; the host's own mounts are untouched.
struct CgroupView {
    staging: CString,
    /// (host hierarchy, name under /sys/fs/cgroup) per v1 mount, plus aliases
    /// (`cpu` → `cpu,cpuacct`) as symlinks.
    binds: Vec<(CString, CString)>,
    aliases: Vec<(CString, CString)>,
}

impl CgroupView {
    fn new(dir: &Path, mounts: &CgroupMounts) -> Result<CgroupView, String> {
        let staging = dir.join("cgroup-view");
        std::fs::create_dir(&staging).map_err(at(&staging))?;
        let c =
            |p: &Path| CString::new(p.as_os_str().as_encoded_bytes()).map_err(|e| e.to_string());
        let mut binds = Vec::new();
        let mut aliases = Vec::new();
        for (path, ctrls) in &mounts.v1 {
            let Some(name) = path.file_name() else {
                continue;
            };
            binds.push((c(path)?, c(&staging.join(name))?));
            for ctrl in ctrls {
                if ctrl.as_str() != name {
                    aliases.push((c(Path::new(name))?, c(&staging.join(ctrl))?));
                }
            }
        }
        Ok(CgroupView {
            staging: c(&staging)?,
            binds,
            aliases,
        })
    }

    fn apply(&self, cmd: &mut Command) {
        let staging = self.staging.clone();
        let binds = self.binds.clone();
        let aliases = self.aliases.clone();
        let target = c"/sys/fs/cgroup";
        let tmpfs = c"tmpfs";
        let mode = c"mode=755";
        let root = c"/";
        // SAFETY: between fork and exec only async-signal-safe calls (unshare, mount, mkdir,
        // symlink) on strings made before the fork.
        unsafe {
            cmd.pre_exec(move || {
                let fail = |rc: libc::c_int| {
                    if rc != 0 {
                        Err(std::io::Error::last_os_error())
                    } else {
                        Ok(())
                    }
                };
                fail(libc::unshare(libc::CLONE_NEWNS))?;
                fail(libc::mount(
                    std::ptr::null(),
                    root.as_ptr(),
                    std::ptr::null(),
                    libc::MS_REC | libc::MS_PRIVATE,
                    std::ptr::null(),
                ))?;
                fail(libc::mount(
                    tmpfs.as_ptr(),
                    staging.as_ptr(),
                    tmpfs.as_ptr(),
                    0,
                    mode.as_ptr().cast(),
                ))?;
                for (src, dst) in &binds {
                    fail(libc::mkdir(dst.as_ptr(), 0o755))?;
                    fail(libc::mount(
                        src.as_ptr(),
                        dst.as_ptr(),
                        std::ptr::null(),
                        libc::MS_BIND,
                        std::ptr::null(),
                    ))?;
                }
                for (name, link) in &aliases {
                    // An alias that is also a mount's own name already exists: fine.
                    libc::symlink(name.as_ptr(), link.as_ptr());
                }
                fail(libc::mount(
                    staging.as_ptr(),
                    target.as_ptr(),
                    std::ptr::null(),
                    libc::MS_MOVE,
                    std::ptr::null(),
                ))
            });
        }
    }
}
