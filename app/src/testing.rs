//! Test helpers: a fake VMM client that records what the app asks, fake kernels, temp VMs.

use crate::client::{ClientError, ExitInfo, VmmClient};
use crate::paths::Paths;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};
use vmm_core::api::{Command, Counters, Event, PowerOffResult, RunState, Status};
use vmm_core::config::VmConfig;

/// Tests read English strings.
pub fn english() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| crate::i18n::apply(Some("en")));
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
    let mut form = crate::form::VmForm::with_defaults(&crate::host::HostInfo {
        cpus: 2,
        memory_mib: 2048,
    });
    form.name = name.into();
    form.kernel = kernel.display().to_string();
    let cfg = form.to_config(id, None);
    crate::store::create(paths, &cfg).unwrap();
    cfg
}

#[derive(Default)]
struct State {
    running: HashMap<String, Status>,
    commands: Vec<(String, Command)>,
    started: Vec<String>,
    restored: Vec<(String, String)>,
    no_acpi: bool,
    snapshots: Option<serde_json::Value>,
    exits: Vec<(String, ExitInfo)>,
    /// What `counters` answers, in turn; the last one stays.
    counters: HashMap<String, std::collections::VecDeque<Counters>>,
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

    /// What `snapshot-list` answers.
    pub fn set_snapshots(&self, v: serde_json::Value) {
        self.lock().snapshots = Some(v);
    }

    /// What `counters` answers for `id`, one after the other (the last one repeats).
    pub fn queue_counters(&self, id: &str, samples: Vec<Counters>) {
        self.lock()
            .counters
            .insert(id.to_string(), samples.into_iter().collect());
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

    fn request(&self, id: &str, command: Command) -> Result<serde_json::Value, ClientError> {
        let mut s = self.lock();
        if !s.running.contains_key(id) {
            return Err(ClientError::NotRunning);
        }
        if let (Command::Counters, Some(q)) = (&command, s.counters.get_mut(id)) {
            let c = if q.len() > 1 {
                q.pop_front()
            } else {
                q.front().cloned()
            };
            if let Some(c) = c {
                return Ok(serde_json::to_value(c).unwrap());
            }
        }
        let Some(st) = s.running.get_mut(id) else {
            return Err(ClientError::NotRunning);
        };
        let result = match &command {
            Command::Pause => {
                st.state = RunState::Paused;
                serde_json::to_value(&*st).unwrap()
            }
            Command::Resume => {
                st.state = RunState::Running;
                serde_json::to_value(&*st).unwrap()
            }
            Command::Status => serde_json::to_value(&*st).unwrap(),
            Command::Counters => serde_json::to_value(Counters {
                uptime_ms: st.uptime_ms,
                exits: vec![("io-out".into(), 10), ("hlt".into(), 3)],
                per_vcpu: vec![],
                dropped_events: 0,
                ..Default::default()
            })
            .unwrap(),
            Command::PowerOff => serde_json::to_value(PowerOffResult {
                method: "acpi-power-button".into(),
                guest_acknowledged: !s.no_acpi,
            })
            .unwrap(),
            Command::Kill => {
                s.running.remove(id);
                serde_json::json!({})
            }
            Command::SnapshotList => s
                .snapshots
                .clone()
                .unwrap_or_else(|| serde_json::json!({"current": null, "snapshots": []})),
            Command::SnapshotCreate { .. } => serde_json::json!({
                "id": "new", "total_ms": 120.0, "paused_ms": 35.0, "memory_pages": 100
            }),
            _ => serde_json::json!({}),
        };
        if !matches!(command, Command::Status | Command::Counters) {
            s.commands.push((id.to_string(), command));
        }
        Ok(result)
    }

    fn start_from(&self, id: &str, snapshot: Option<&str>) -> Result<u32, ClientError> {
        let mut s = self.lock();
        if s.running.contains_key(id) {
            return Err(ClientError::Api {
                code: "invalid-state".into(),
                message: "already running".into(),
            });
        }
        s.started.push(id.to_string());
        if let Some(snap) = snapshot {
            s.restored.push((id.to_string(), snap.to_string()));
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
