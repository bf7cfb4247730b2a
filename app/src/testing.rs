//! Test helpers: a fake VMM client that records what the app asks, fake kernels, temp VMs.

pub mod compare_fake;
pub mod inspect_fake;

use crate::data::client::{ClientError, ExitInfo, VmmClient};
use crate::data::paths::Paths;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};
use vmm_core::api::{
    ApiRequest, CdromEject, CdromInsert, Command, Counters, Empty, ErrorCode, Event, GetCounters,
    GetExitLog, GetStatus, Inspect, Kill, ListSnapshots, Pause, PowerOff, PowerOffResult, Reset,
    Response, Resume, RunState, Screenshot, ScreenshotResult, SerialInput, SerialInputResult,
    SnapshotCreate, SnapshotCreated, SnapshotDelete, SnapshotList, SnapshotRename, SnapshotRevert,
    SnapshotReverted, Status, Step, Subscribe, Thumbnail, ThumbnailResult, Timing,
};
use vmm_core::config::VmConfig;

pub mod inspect;

/// Tests read English strings.
pub fn english() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| crate::i18n::apply(Some("en")));
}

/// Points the freedesktop trash at a folder of this test run (never the real home's trash);
/// returns its `files/` folder.
pub fn test_trash() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let d = tempfile::tempdir().unwrap().keep();
        // Set once, before any test trashes anything; the trash crate reads it through std.
        std::env::set_var("XDG_DATA_HOME", &d);
        d
    })
    .join("Trash/files")
}

/// A VM with one writable qcow2 disk of `mib` MiB (in its disks/ folder) holding `data` at
/// offset 1 MiB; returns its config.
pub fn add_vm_with_disk(paths: &Paths, id: &str, name: &str, mib: u64, data: &[u8]) -> VmConfig {
    let cfg = add_vm(paths, id, name);
    // Made here rather than through data::disks (whose tests use this helper: no cycle), as
    // its `provision` makes a new disk: an empty qcow2 in the VM's disks/ folder.
    let dir = vmm_core::storage::overlay::disks_dir(&paths.vm_dir(id));
    std::fs::create_dir_all(&dir).unwrap();
    let disk = vmm_core::config::DiskConfig {
        path: dir.join("disk.qcow2"),
        format: Some(vmm_core::config::ImageFormat::Qcow2),
        ..Default::default()
    };
    vmm_core::storage::create_qcow2(&disk.path, mib << 20).unwrap();
    {
        let d = vmm_core::storage::Disk::open(&disk.path, disk.format, false).unwrap();
        d.write(data, 1 << 20).unwrap();
        d.flush().unwrap();
    }
    let mut cfg = cfg;
    cfg.disks.push(disk);
    crate::data::store::save(paths, &cfg).unwrap();
    VmConfig::load(&paths.vm_config(id)).unwrap()
}

/// What a guest reads from disk `index` of VM `id` at `offset` (through the image its VM
/// writes now, snapshots' overlays included).
pub fn read_disk(paths: &Paths, id: &str, index: usize, offset: u64, len: usize) -> Vec<u8> {
    let dir = paths.vm_dir(id);
    let cfg = VmConfig::load(&paths.vm_config(id)).unwrap();
    let d = &cfg.disks[index];
    let top = vmm_core::storage::overlay::CurrentDisks::load(&dir)
        .unwrap()
        .and_then(|c| c.top(&dir, index, &d.path))
        .unwrap_or(d.path.clone());
    // The backing files the VMM would allow (a linked clone's are in its source's folder).
    let policy = vmm_core::storage::BackingPolicy::for_disk(d, Some(&dir));
    let disk = vmm_core::storage::Disk::open_with(&top, None, true, &policy).unwrap();
    let mut buf = vec![0u8; len];
    disk.read(&mut buf, offset).unwrap();
    buf
}

/// `<root>/images/top.qcow2`, a 1 MiB qcow2 over `<root>/<base_dir>/base.qcow2`: a backing
/// chain that leaves the image's folder unless `base_dir` is "images". Returns both.
pub fn chain_across(root: &Path, base_dir: &str) -> (PathBuf, PathBuf) {
    let images = root.join("images");
    let other = root.join(base_dir);
    std::fs::create_dir_all(&images).unwrap();
    std::fs::create_dir_all(&other).unwrap();
    let base = other.join("base.qcow2");
    vmm_core::storage::create_qcow2(&base, 1 << 20).unwrap();
    let top = images.join("top.qcow2");
    vmm_core::storage::create_linked_clone(&top, &base).unwrap();
    (top, base)
}

/// Replaces `p` by a FIFO (what an image could name as its backing file).
pub fn replace_by_fifo(p: &Path) {
    let _ = std::fs::remove_file(p);
    let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: `c` is a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

/// A file that passes as a bzImage.
pub fn fake_kernel(dir: &Path) -> PathBuf {
    // Five 512-byte sectors: the boot sector and the 4 setup sectors that setup_sects = 0
    // means, so the image is as long as its header says.
    let mut img = vec![0u8; 0xa00];
    img[0x1fe] = 0x55;
    img[0x1ff] = 0xaa;
    img[0x202..0x206].copy_from_slice(b"HdrS");
    let p = dir.join("vmlinuz");
    std::fs::write(&p, img).unwrap();
    p
}

/// Writes a VM with a fake kernel into the library; returns its config.
pub fn add_vm(paths: &Paths, id: &str, name: &str) -> VmConfig {
    std::fs::create_dir_all(&paths.data_dir).unwrap();
    let kernel = fake_kernel(&paths.data_dir);
    let mut form = crate::ui::form::VmForm::with_defaults(&crate::data::host::HostInfo {
        cpus: 2,
        memory_mib: 2048,
    });
    form.name = name.into();
    form.kernel = kernel.display().to_string();
    let cfg = form.to_config(id, None);
    crate::data::store::create(paths, &cfg).unwrap();
    cfg
}

#[derive(Default)]
struct State {
    running: HashMap<String, Status>,
    commands: Vec<(String, Command)>,
    started: Vec<String>,
    restored: Vec<(String, String)>,
    no_acpi: bool,
    snapshots: Option<SnapshotList>,
    /// Fixed answers to `inspect` and `exit-log` (the CLI's tests); else the panel's moving
    /// ones.
    inspection: Option<(vmm_core::api::Inspection, vmm_core::api::ExitLog)>,
    exits: Vec<(String, ExitInfo)>,
    /// What `counters` answers, in turn; the last one stays.
    counters: HashMap<String, std::collections::VecDeque<Counters>>,
    /// The VMM's answer to the next command (other than status and counters): this error.
    refusal: Option<(ErrorCode, String)>,
    /// The next start's VMM exits at once with this status (it refused the start).
    start_exit: Option<i32>,
    /// The inspector's fake machine: where each vCPU is (see `inspect_fake`).
    ticks: HashMap<String, Vec<u64>>,
}

/// Records requests; VMs "run" from `start` until `kill`.
#[derive(Default)]
pub struct FakeClient {
    state: Mutex<State>,
}

impl FakeClient {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    pub fn commands(&self) -> Vec<(String, Command)> {
        self.lock().commands.clone()
    }

    pub fn started(&self) -> Vec<String> {
        self.lock().started.clone()
    }

    /// Starts from a snapshot, as (VM, snapshot).
    pub fn restored(&self) -> Vec<(String, String)> {
        self.lock().restored.clone()
    }

    /// What `inspect` and `exit-log` answer, always the same.
    pub fn set_inspection(&self, i: vmm_core::api::Inspection, log: vmm_core::api::ExitLog) {
        self.lock().inspection = Some((i, log));
    }

    /// What `snapshot-list` answers.
    pub fn set_snapshots(&self, list: SnapshotList) {
        self.lock().snapshots = Some(list);
    }

    /// What `counters` answers for `id`, one after the other (the last one repeats).
    pub fn queue_counters(&self, id: &str, samples: Vec<Counters>) {
        self.lock()
            .counters
            .insert(id.to_string(), samples.into_iter().collect());
    }

    /// The next command (not status or counters) is refused with this error, as the VMM
    /// refuses e.g. an eject while the guest locks the tray. It is still recorded.
    pub fn refuse_next(&self, code: ErrorCode, message: &str) {
        self.lock().refusal = Some((code, message.to_string()));
    }

    /// The next start fails: its VMM exits at once with `code`, as one that refuses its config
    /// or a snapshot does (what it says is in the test's `vmm.log`).
    pub fn fail_next_start(&self, code: i32) {
        self.lock().start_exit = Some(code);
    }

    pub fn set_acpi_ack(&self, ack: bool) {
        self.lock().no_acpi = !ack;
    }

    pub fn set_running(&self, id: &str, state: RunState) {
        self.lock()
            .running
            .insert(id.to_string(), status(id, state));
    }

    /// Makes a VM's VMM disappear without being our child (a reattached VM ending).
    pub fn vanish(&self, id: &str) {
        self.lock().running.remove(id);
    }

    /// Makes a running VM end with the given exit status (seen by the next `reap`).
    pub fn crash(&self, id: &str, code: i32) {
        let mut s = self.lock();
        s.running.remove(id);
        s.exits.push((
            id.to_string(),
            ExitInfo {
                code: Some(code),
                signal: None,
            },
        ));
    }
}

/// The fake VM's screen: 4:3, left half red, right half blue.
fn screen() -> image::RgbaImage {
    image::RgbaImage::from_fn(320, 240, |x, _| {
        image::Rgba(if x < 160 {
            [255, 0, 0, 255]
        } else {
            [0, 0, 255, 255]
        })
    })
}

fn status(id: &str, state: RunState) -> Status {
    Status {
        vm_id: id.into(),
        name: id.into(),
        state,
        vcpus: 1,
        memory_mib: 64,
        uptime_ms: 1000,
        pid: 4242,
        hardware_virtualization: true,
        confinement: Some(vmm_core::api::Confinement {
            seccomp: vmm_core::api::SeccompMode::On,
            filters: 14,
            landlock: "abi v7".into(),
        }),
        ..Default::default()
    }
}

impl VmmClient for FakeClient {
    fn status(&self, id: &str) -> Result<Status, ClientError> {
        self.lock()
            .running
            .get(id)
            .cloned()
            .ok_or(ClientError::NotRunning)
    }

    fn send(&self, id: &str, command: Command) -> Result<Response, ClientError> {
        let mut s = self.lock();
        if !s.running.contains_key(id) {
            return Err(ClientError::NotRunning);
        }
        if let (Command::Counters(_), Some(q)) = (&command, s.counters.get_mut(id)) {
            let c = if q.len() > 1 {
                q.pop_front()
            } else {
                q.front().cloned()
            };
            if let Some(c) = c {
                return Ok(GetCounters::wrap(c));
            }
        }
        if !matches!(command, Command::Status(_) | Command::Counters(_)) {
            if let Some((code, message)) = s.refusal.take() {
                s.commands.push((id.to_string(), command));
                return Err(ClientError::Api { code, message });
            }
        }
        let fixed = s.inspection.clone();
        let Some(st) = s.running.get_mut(id) else {
            return Err(ClientError::NotRunning);
        };
        // Each arm builds its request's reply type (`R::wrap` checks that).
        let result = match &command {
            Command::Pause(_) => {
                st.state = RunState::Paused;
                Pause::wrap(st.clone())
            }
            Command::Resume(_) => {
                st.state = RunState::Running;
                Resume::wrap(st.clone())
            }
            Command::Status(_) => GetStatus::wrap(st.clone()),
            Command::Counters(_) => GetCounters::wrap(Counters {
                uptime_ms: st.uptime_ms,
                exits: vec![("io-out".into(), 10), ("hlt".into(), 3)],
                per_vcpu: vec![],
                dropped_events: 0,
                ..Default::default()
            }),
            Command::PowerOff(_) => PowerOff::wrap(PowerOffResult {
                method: "acpi-power-button".into(),
                guest_acknowledged: !s.no_acpi,
            }),
            Command::Kill(_) => {
                s.running.remove(id);
                Kill::wrap(Empty {})
            }
            // Like the real VMM: it ends with the reset status, as our child.
            Command::Reset(_) => {
                s.running.remove(id);
                s.exits.push((
                    id.to_string(),
                    ExitInfo {
                        code: Some(vmm_core::api::exit_code::RESET),
                        signal: None,
                    },
                ));
                Reset::wrap(Empty {})
            }
            Command::Screenshot(r) => {
                screen().save(&r.path).unwrap();
                Screenshot::wrap(ScreenshotResult {
                    path: r.path.clone(),
                })
            }
            // The same screen, as the VMM would scale it.
            Command::Thumbnail(r) => {
                image::imageops::thumbnail(&screen(), r.max_width, r.max_height)
                    .save(&r.path)
                    .unwrap();
                Thumbnail::wrap(ThumbnailResult {
                    path: r.path.clone(),
                    width: r.max_width,
                    height: r.max_height,
                })
            }
            Command::SnapshotList(_) => {
                ListSnapshots::wrap(s.snapshots.clone().unwrap_or_default())
            }
            Command::SnapshotCreate(_) => SnapshotCreate::wrap(SnapshotCreated {
                id: "new".into(),
                timing: Timing {
                    total_ms: 120.0,
                    paused_ms: 35.0,
                    memory_pages: 100,
                    ..Timing::default()
                },
            }),
            Command::SnapshotRevert(r) => SnapshotRevert::wrap(SnapshotReverted {
                id: r.snapshot.clone(),
                timing: Timing::default(),
            }),
            Command::SerialInput(r) => SerialInput::wrap(SerialInputResult {
                queued: crate::data::client::decode_serial(&r.data).len() as u64,
                dropped: 0,
            }),
            Command::Subscribe(_) => Subscribe::wrap(Empty {}),
            Command::SnapshotRename(_) => SnapshotRename::wrap(Empty {}),
            Command::SnapshotDelete(_) => SnapshotDelete::wrap(Empty {}),
            Command::CdromEject(_) => CdromEject::wrap(Empty {}),
            Command::SetDisplaySize(_) => vmm_core::api::SetDisplaySize::wrap(Empty {}),
            Command::CdromInsert(_) => CdromInsert::wrap(Empty {}),
            // A running machine moves on between polls; a paused one stays put.
            Command::Inspect(_) if fixed.is_some() => Inspect::wrap(fixed.unwrap().0),
            Command::ExitLog(_) if fixed.is_some() => GetExitLog::wrap(fixed.unwrap().1),
            Command::Inspect(_) => {
                let running = st.state == RunState::Running;
                let state = if running { "running" } else { "paused" };
                let ticks = s.ticks.entry(id.to_string()).or_insert(vec![0, 0]);
                if running {
                    ticks.iter_mut().for_each(|t| *t += 1);
                }
                Inspect::wrap(inspect_fake::gui_inspection(state, ticks))
            }
            Command::ExitLog(r) => {
                let tick = s.ticks.get(id).map_or(0, |t| t[0]);
                GetExitLog::wrap(inspect_fake::gui_exit_log(r.after, tick))
            }
            Command::Step(r) => {
                let paused = st.state == RunState::Paused;
                let ticks = s.ticks.entry(id.to_string()).or_insert(vec![0, 0]);
                let refusal = if !paused {
                    Some((ErrorCode::InvalidState, "the VM is not paused"))
                } else if r.vcpu as usize >= ticks.len() {
                    Some((ErrorCode::BadRequest, "no such vCPU"))
                } else {
                    None
                };
                if let Some((code, message)) = refusal {
                    s.commands.push((id.to_string(), command));
                    return Err(ClientError::Api {
                        code,
                        message: message.into(),
                    });
                }
                let t = &mut ticks[r.vcpu as usize];
                *t += 1;
                Step::wrap(inspect_fake::gui_step(r.vcpu, *t - 1))
            }
        };
        if !matches!(command, Command::Status(_) | Command::Counters(_)) {
            s.commands.push((id.to_string(), command));
        }
        Ok(result)
    }

    fn start_from(&self, id: &str, snapshot: Option<&str>) -> Result<u32, ClientError> {
        let mut s = self.lock();
        if s.running.contains_key(id) {
            return Err(ClientError::Api {
                code: ErrorCode::InvalidState,
                message: "already running".into(),
            });
        }
        s.started.push(id.to_string());
        if let Some(snap) = snapshot {
            s.restored.push((id.to_string(), snap.to_string()));
        }
        if let Some(code) = s.start_exit.take() {
            return Err(ClientError::Exited(ExitInfo {
                code: Some(code),
                signal: None,
            }));
        }
        s.running
            .insert(id.to_string(), status(id, RunState::Running));
        Ok(4242)
    }

    fn reap(&self) -> Vec<(String, ExitInfo)> {
        std::mem::take(&mut self.lock().exits)
    }

    fn subscribe(&self, _id: &str) -> Result<Box<dyn Iterator<Item = Event> + Send>, ClientError> {
        Ok(Box::new(std::iter::empty()))
    }
}

/// Labels of a test ISO (`xorriso -as mkisofs`): the primary volume descriptor fields
/// osinfo-db matches. Empty = left out.
#[derive(Debug, Clone, Copy, Default)]
pub struct IsoSpec<'a> {
    pub volume_id: &'a str,
    pub system_id: &'a str,
    pub publisher: &'a str,
    pub application: &'a str,
}

/// Makes `<dir>/<file>`, a small ISO carrying `spec`'s labels, with xorriso (Debian: xorriso).
/// `Err` when xorriso is missing or fails: callers print `skipped: …` and fail under
/// `VMDESK_REQUIRE_TOOLS`, like every test needing a tool.
pub fn xorriso_iso(dir: &Path, file: &str, spec: IsoSpec<'_>) -> Result<PathBuf, String> {
    let root = dir.join(format!("{file}.root"));
    std::fs::create_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
    std::fs::write(root.join("README.TXT"), "vmdesk test medium\n")
        .map_err(|e| format!("{}: {e}", root.display()))?;
    let iso = dir.join(file);
    let mut cmd = std::process::Command::new("xorriso");
    cmd.args(["-as", "mkisofs", "-quiet", "-o"]).arg(&iso);
    for (flag, v) in [
        ("-V", spec.volume_id),
        ("-sysid", spec.system_id),
        ("-publisher", spec.publisher),
        ("-A", spec.application),
    ] {
        if !v.is_empty() {
            cmd.args([flag, v]);
        }
    }
    let out = cmd
        .arg(&root)
        .output()
        .map_err(|e| format!("xorriso (Debian package xorriso): {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "xorriso failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(iso)
}

/// `skipped: why` when a tool is missing, or a failure when `VMDESK_REQUIRE_TOOLS` says every
/// tool must be there (CI).
pub fn skip_or_fail(why: &str) {
    if std::env::var_os("VMDESK_REQUIRE_TOOLS").is_some() {
        panic!("VMDESK_REQUIRE_TOOLS is set but: {why}");
    }
    eprintln!("skipped: {why}");
}

#[test]
fn xorriso_isos_carry_the_labels_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let spec = IsoSpec {
        volume_id: "Fedora-WS-Live-40-1-14",
        system_id: "LINUX",
        publisher: "Fedora Project",
        application: "",
    };
    let iso = match xorriso_iso(dir.path(), "f.iso", spec) {
        Ok(p) => p,
        Err(e) => return skip_or_fail(&e),
    };
    let crate::data::media::MediaKind::Iso(l) = crate::data::media::sniff(&iso).unwrap() else {
        panic!("xorriso's output is not seen as an ISO")
    };
    // mkisofs upper-cases the publisher (ISO 9660 a-characters), as real media have it.
    assert_eq!(
        (
            l.volume_id.as_str(),
            l.system_id.as_str(),
            l.publisher_id.as_str()
        ),
        ("Fedora-WS-Live-40-1-14", "LINUX", "FEDORA PROJECT")
    );
}
