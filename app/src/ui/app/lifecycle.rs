//! The app's work on VMs: polling the store and the VMMs, starting and commanding VMs, and the
//! jobs that run off the UI thread (snapshots, thumbnails, counters). Results come back as
//! messages, which `App::update` routes to the screens that show them.

use super::{App, Message, Screen};
use crate::data::client::{self, ClientError, ExitInfo, VmmClientExt};
use crate::data::snapshots::SnapshotList;
use crate::data::store::{self, VmEntry};
use crate::data::thumbs;
use crate::data::vms::{exit_record, ExitRecord};
use crate::t;
use crate::ui::screen::console::Console;
use crate::ui::screen::details::{self, activity, serial, snapshots, SnapOp};
use crate::ui::screen::library;
use iced::Task;
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use vmm_core::api::{
    ApiRequest, Command, Empty, GetCounters, ListSnapshots, Screenshot, SnapshotCreate,
    SnapshotDelete, SnapshotRename, SnapshotRevert, Status,
};

/// What one poll of the disk and the sockets found.
#[derive(Debug, Clone)]
pub struct Poll {
    pub entries: Vec<VmEntry>,
    pub statuses: Vec<(String, Option<Status>)>,
    pub exits: Vec<(String, ExitRecord)>,
}

/// Reads the clipboard into VM `id`'s serial terminal (Ctrl+Shift+V).
pub(super) fn paste_into_serial(id: String) -> Task<Message> {
    iced::clipboard::read().map(move |text| {
        Message::ToDetails(
            id.clone(),
            details::Message::Serial(serial::Message::Pasted(text)),
        )
    })
}

/// Runs a blocking call on its own thread; the task yields its result.
pub fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Task<T> {
    let (tx, rx) = iced::futures::channel::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    Task::future(rx).then(|r| match r {
        Ok(v) => Task::done(v),
        Err(_) => Task::none(),
    })
}

impl App {
    pub(super) fn name_of(&self, id: &str) -> String {
        self.vms
            .get(id)
            .map(|e| e.name().to_string())
            .unwrap_or_else(|| id.to_string())
    }

    pub(super) fn poll(&mut self) -> Task<Message> {
        if self.polling {
            return Task::none();
        }
        self.polling = true;
        let client = self.client.clone();
        let paths = self.paths.clone();
        // VMs seen running, with when their run started.
        let was_running: HashMap<String, u64> = self
            .vms
            .runtime
            .iter()
            .filter_map(|(id, r)| r.status.as_ref().map(|s| (id.clone(), s.started_unix_ms)))
            .collect();
        blocking(move || {
            let entries = store::list(&paths);
            let reaped = client.reap();
            let statuses: Vec<(String, Option<Status>)> = entries
                .iter()
                .filter(|e| !e.is_broken())
                .map(|e| (e.id.clone(), client.status(&e.id).ok()))
                .collect();
            let mut exits = Vec::new();
            let reaped_ids: HashSet<&String> = reaped.iter().map(|(id, _)| id).collect();
            for (id, info) in &reaped {
                let e = entries.iter().find(|e| &e.id == id);
                exits.push((id.clone(), exit_record(&paths, e, id, Some(*info))));
            }
            // Reattached VMMs are not our children: how they ended is in last-exit.json.
            for (id, st) in &statuses {
                let Some(started) = was_running.get(id) else {
                    continue;
                };
                if st.is_none() && !reaped_ids.contains(id) {
                    let e = entries.iter().find(|e| &e.id == id);
                    let info =
                        client::wait_last_exit(&paths.vm_dir(id), *started, Duration::from_secs(1))
                            .map(|x| ExitInfo {
                                code: x.code,
                                signal: None,
                            });
                    exits.push((id.clone(), exit_record(&paths, e, id, info)));
                }
            }
            Poll {
                entries,
                statuses,
                exits,
            }
        })
        .map(|p| Message::Polled(Box::new(p)))
    }

    /// The stored thumbnails (the last screen of each VM).
    pub(super) fn load_thumbs(&self) -> Task<Message> {
        let dirs: Vec<(String, std::path::PathBuf)> = self
            .vms
            .entries
            .iter()
            .map(|e| (e.id.clone(), e.dir.clone()))
            .collect();
        blocking(move || {
            Message::Library(library::Message::Thumbs(
                dirs.into_iter()
                    .filter_map(|(id, dir)| thumbs::load(&dir).map(|t| (id, t)))
                    .collect(),
            ))
        })
    }

    /// New thumbnails of the running VMs that have a screen (while the library shows).
    pub(super) fn refresh_thumbs(&self) -> Task<Message> {
        let running: Vec<(String, std::path::PathBuf)> = self
            .vms
            .entries
            .iter()
            .filter(|e| {
                matches!(&e.config, Ok(c) if c.display.is_some())
                    && self.vms.state(&e.id) == crate::data::vms::VmState::Running
            })
            .map(|e| (e.id.clone(), e.dir.clone()))
            .collect();
        if running.is_empty() {
            return Task::none();
        }
        let client = self.client.clone();
        blocking(move || {
            Message::Library(library::Message::Thumbs(
                running
                    .into_iter()
                    // A VM that just stopped or has no screen yet keeps its old thumbnail.
                    .filter_map(|(id, dir)| {
                        thumbs::refresh(client.as_ref(), &id, &dir)
                            .ok()
                            .map(|t| (id, t))
                    })
                    .collect(),
            ))
        })
    }

    /// Asks a running VM's VMM for its counters (for the activity tab); a failed request is
    /// dropped (the next tick asks again).
    pub(super) fn counters(&self, id: &str) -> Task<Message> {
        let client = self.client.clone();
        let id = id.to_string();
        blocking(move || {
            let c = client.call(&id, GetCounters {}).ok()?;
            let m = details::Message::Activity(activity::Message::Counters(Box::new(c)));
            Some(Message::ToDetails(id, m))
        })
        .then(|m| m.map_or_else(Task::none, Task::done))
    }

    pub(super) fn api(&self, id: String, command: Command) -> Task<Message> {
        let client = self.client.clone();
        blocking(move || {
            let result = client.send(&id, command.clone());
            Message::Replied {
                id,
                command,
                result,
            }
        })
    }

    /// Types `bytes` into the VM's serial port; the terminal hears back (it sends the keys
    /// typed meanwhile only then, so they arrive in order).
    pub(super) fn serial_input(&self, id: String, bytes: Vec<u8>) -> Task<Message> {
        let client = self.client.clone();
        blocking(move || {
            let r = client
                .call(&id, client::serial_bytes(&bytes))
                .map(|_| ())
                .map_err(|e| e.to_string());
            Message::ToDetails(id, details::Message::Serial(serial::Message::Sent(r)))
        })
    }

    pub(super) fn start(&mut self, id: String) -> Task<Message> {
        self.start_from(id, None)
    }

    pub(super) fn start_from(&mut self, id: String, snapshot: Option<String>) -> Task<Message> {
        let rt = self.vms.runtime.entry(id.clone()).or_default();
        rt.starting = true;
        rt.last_exit = None;
        let client = self.client.clone();
        let paths = self.paths.clone();
        let entry = self.vms.get(&id).cloned();
        let throwaway = snapshot.is_none() && self.settings.is_throwaway(&id);
        blocking(move || {
            // A throwaway run starts on temporary overlays (never under a running VMM).
            let cfg = entry.as_ref().and_then(|e| e.config.as_ref().ok());
            if let (true, Some(cfg), Err(_)) = (throwaway, cfg, client.status(&id)) {
                if let Err(e) = crate::data::lab::throwaway::prepare(&paths, cfg) {
                    let result = Err(ClientError::Other(e));
                    return Message::Started {
                        id,
                        result,
                        record: None,
                    };
                }
            }
            let result = client.start_from(&id, snapshot.as_deref());
            let record = match &result {
                Err(ClientError::Exited(info)) => {
                    Some(exit_record(&paths, entry.as_ref(), &id, Some(*info)))
                }
                _ => None,
            };
            Message::Started { id, result, record }
        })
    }

    pub(super) fn reload(&mut self) {
        self.vms.entries = store::list(&self.paths);
    }

    /// Loads a VM's snapshots: from its VMM when it runs, else from its folder.
    pub(super) fn load_snapshots(&self, id: &str) -> Task<Message> {
        let client = self.client.clone();
        let active = self.vms.is_active(id);
        let dir = self.paths.vm_dir(id);
        let id = id.to_string();
        blocking(move || {
            let r = if active {
                match client.call(&id, ListSnapshots {}) {
                    Ok(list) => Ok(SnapshotList::from_api(list)),
                    // Still starting, or just gone: the folder has the same list.
                    Err(ClientError::NotRunning) => Ok(SnapshotList::from_disk(&dir)),
                    Err(e) => Err(e.to_string()),
                }
            } else {
                Ok(SnapshotList::from_disk(&dir))
            };
            let m = details::Message::Snap(snapshots::Message::Listed(r));
            Message::ToDetails(id, m)
        })
    }

    /// Carries out a snapshot operation: through the API when the VM runs; on a stopped VM,
    /// rename and delete work on its folder and revert starts it from the snapshot.
    pub(super) fn snapshot_op(&mut self, id: String, op: SnapOp) -> Task<Message> {
        if op == SnapOp::Refresh {
            return self.load_snapshots(&id);
        }
        let active = self.vms.is_active(&id);
        if !active {
            if let SnapOp::Revert(snap) = &op {
                return self.start_from(id, Some(snap.clone()));
            }
        }
        let client = self.client.clone();
        let dir = self.paths.vm_dir(&id);
        blocking(move || {
            let command: Command = match &op {
                SnapOp::Refresh => ListSnapshots {}.into(),
                SnapOp::Take { name, description } => SnapshotCreate {
                    name: name.clone(),
                    description: description.clone(),
                }
                .into(),
                SnapOp::Revert(s) => SnapshotRevert {
                    snapshot: s.clone(),
                }
                .into(),
                SnapOp::Rename(s, name) => SnapshotRename {
                    snapshot: s.clone(),
                    name: name.clone(),
                }
                .into(),
                SnapOp::Delete(s) => SnapshotDelete {
                    snapshot: s.clone(),
                }
                .into(),
            };
            let result = if active {
                client.send(&id, command).map_err(|e| e.to_string())
            } else {
                // What the VMM would answer, done on the folder.
                match &op {
                    SnapOp::Rename(s, name) => vmm_core::snapshot::rename(&dir, s, name)
                        .map(|()| SnapshotRename::wrap(Empty {}))
                        .map_err(|e| e.to_string()),
                    SnapOp::Delete(s) => vmm_core::snapshot::delete(&dir, s)
                        .map(|()| SnapshotDelete::wrap(Empty {}))
                        .map_err(|e| e.to_string()),
                    _ => Err(t!("snap-needs-running")),
                }
            };
            Message::SnapshotDone { id, op, result }
        })
    }

    /// The details of `id` on screen become its console (the details stay under it). The task
    /// tells the console the window's scale factor.
    pub(super) fn details_to_console(&mut self, id: &str) -> Task<Message> {
        match std::mem::replace(&mut self.screen, Screen::Library) {
            Screen::Details(d) => {
                let c = Console::new(id)
                    .with_follow(self.display_follows(id), self.settings.follows_window(id));
                self.screen = Screen::Console(Box::new(c), d);
                super::console_follow::window_scale()
            }
            other => {
                self.screen = other;
                Task::none()
            }
        }
    }

    /// Asks the VMM for a PNG of the screen, in the Pictures folder, under a new name.
    pub(super) fn screenshot(&mut self, id: String) -> Task<Message> {
        let dir = match crate::data::paths::screenshot_dir() {
            Ok(d) => d,
            Err(e) => {
                self.notice(t!("notice-screenshot-failed", reason = e), true, None);
                return Task::none();
            }
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let path = crate::data::paths::screenshot_file(&dir, &id, now);
        self.api(
            id,
            Screenshot {
                path: path.display().to_string(),
            }
            .into(),
        )
    }

    /// Starts a VM again after its VMM ended with a reset (the guest rebooted, or Restart was
    /// pressed) — unless it keeps resetting.
    pub(super) fn restart_after_reset(&mut self, id: String) -> Task<Message> {
        let rt = self.vms.runtime.entry(id.clone()).or_default();
        if !rt.reset_allows_restart(std::time::Instant::now()) {
            let count = rt.resets.len().to_string();
            let name = self.name_of(&id);
            self.notice(
                t!("notice-reset-loop", name = name, count = count),
                true,
                None,
            );
            return Task::none();
        }
        self.start(id)
    }

    /// Takes in what a poll found; returns the VMs to start again after a reset.
    pub(super) fn apply_poll(&mut self, p: Poll) -> Vec<String> {
        let mut restart = Vec::new();
        self.vms.entries = p.entries;
        for (id, st) in p.statuses {
            let rt = self.vms.runtime.entry(id).or_default();
            if st.is_some() {
                rt.starting = false;
            }
            rt.status = st;
        }
        for (id, rec) in p.exits {
            let rt = self.vms.runtime.entry(id.clone()).or_default();
            rt.status = None;
            rt.starting = false;
            if rec.info.code == Some(vmm_core::api::exit_code::RESET) {
                restart.push(id.clone());
            }
            rt.last_exit = Some(rec);
            // A throwaway run is over: what it wrote goes (a reset's restart is a new run).
            if let Err(e) = crate::data::lab::throwaway::discard(&self.paths, &id) {
                self.notice(e, true, None);
            }
        }
        let known: HashSet<String> = self.vms.ids().into_iter().collect();
        self.vms.runtime.retain(|id, _| known.contains(id));
        self.library.retain_vms(&known);
        restart.retain(|id| known.contains(id));
        restart
    }
}
