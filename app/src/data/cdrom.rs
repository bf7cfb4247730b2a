//! A VM's CD/DVD drives as the app changes them: put an ISO in, take it out, add a drive.
//!
//! A running VM gets the change through its VMM (`cdrom-insert`/`cdrom-eject`) first; only
//! when the VMM took it is vm.toml written (atomically), so the next start has the same disc
//! and a refusal (the guest locks the tray) leaves both as they were. A stopped VM: vm.toml only.

use crate::data::client::{ClientError, VmmClient, VmmClientExt};
use crate::data::media::{self, MediaKind};
use crate::data::paths::Paths;
use crate::data::store;
use crate::t;
use std::path::{Path, PathBuf};
use vmm_core::api::{CdromEject, CdromInsert};
use vmm_core::config::{CdromConfig, VmConfig};

/// The ISO a person chose (picked or typed): absolute (the VMM opens it from its own working
/// folder), `~/` expanded, and really an ISO 9660 image; otherwise the reason, naming the file.
pub fn check_iso(typed: &str) -> Result<PathBuf, String> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Err(t!("details-cd-path-empty"));
    }
    let path = match (typed.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(typed),
    };
    let path = std::path::absolute(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    match media::sniff(&path).map_err(|e| e.to_string())? {
        MediaKind::Iso(_) => Ok(path),
        MediaKind::DiskImage { .. } => Err(t!(
            "details-cd-disk-image",
            file = path.display().to_string()
        )),
    }
}

/// Puts `medium` (checked with [`check_iso`]) into drive `drive` of VM `id`, or empties the
/// drive with `None`; through the VMM when `live`. Returns the config as saved.
pub fn change(
    client: &dyn VmmClient,
    paths: &Paths,
    id: &str,
    drive: usize,
    medium: Option<&str>,
    live: bool,
) -> Result<VmConfig, String> {
    let iso = medium.map(check_iso).transpose()?;
    let cfg = load(paths, id)?;
    if drive >= cfg.cdroms.len() {
        return Err(t!("details-cd-no-drive", drive = (drive + 1).to_string()));
    }
    if live {
        let sent = match &iso {
            Some(p) => client
                .call(
                    id,
                    CdromInsert {
                        drive,
                        path: p.display().to_string(),
                    },
                )
                .map(|_| ()),
            None => client.call(id, CdromEject { drive }).map(|_| ()),
        };
        match sent {
            // Stopped meanwhile: the file alone holds the medium.
            Ok(()) | Err(ClientError::NotRunning) => {}
            Err(ClientError::Api { message, .. }) => {
                return Err(t!("details-cd-refused", reason = message))
            }
            Err(e) => return Err(t!("details-cd-refused", reason = e.to_string())),
        }
    }
    let mut cfg = cfg;
    cfg.cdroms[drive].path = iso;
    store::save(paths, &cfg).map_err(|e| e.to_string())?;
    Ok(cfg)
}

/// Gives a stopped firmware VM an empty CD/DVD drive (an installer or a guest-tools disc can
/// then go in). Returns the config as saved.
pub fn add_drive(paths: &Paths, id: &str) -> Result<VmConfig, String> {
    let mut cfg = load(paths, id)?;
    cfg.cdroms.push(CdromConfig::default());
    // The same rules the VMM applies (firmware machines only, a bounded number of drives).
    let firmware = cfg.boot.firmware().is_some();
    if let Some(e) = vmm_core::config::validate::validate_cdroms(firmware, &cfg.cdroms).first() {
        return Err(crate::data::problems::describe(&e.kind));
    }
    store::save(paths, &cfg).map_err(|e| e.to_string())?;
    Ok(cfg)
}

fn load(paths: &Paths, id: &str) -> Result<VmConfig, String> {
    VmConfig::load(&paths.vm_config(id)).map_err(|e| e.reason())
}

/// A drive's medium as shown: the file's name, or the whole path when it has none.
pub fn medium_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{self, FakeClient, IsoSpec};
    use vmm_core::api::{Command, ErrorCode, RunState};
    use vmm_core::config::BootSource;

    fn bios_vm(paths: &Paths, id: &str) -> VmConfig {
        let mut cfg = testing::add_vm(paths, id, id);
        cfg.boot = BootSource::Bios {
            firmware: None,
            order: vec![],
            vga_rom: None,
        };
        cfg.cdroms = vec![CdromConfig::default()];
        store::save(paths, &cfg).unwrap();
        cfg
    }

    #[test]
    fn a_live_change_goes_to_the_vmm_first_and_a_refusal_changes_nothing() {
        testing::english();
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        bios_vm(&paths, "pc");
        let iso = match testing::xorriso_iso(dir.path(), "d.iso", IsoSpec::default()) {
            Ok(p) => p,
            Err(e) => return testing::skip_or_fail(&e),
        };
        let fake = FakeClient::default();
        fake.set_running("pc", RunState::Running);
        let typed = iso.display().to_string();
        let cfg = change(&fake, &paths, "pc", 0, Some(&typed), true).unwrap();
        assert_eq!(cfg.cdroms[0].path.as_deref(), Some(iso.as_path()));
        fake.refuse_next(ErrorCode::InvalidState, "the guest has locked the tray");
        let e = change(&fake, &paths, "pc", 0, None, true).unwrap_err();
        assert!(e.contains("the guest has locked the tray"), "{e}");
        let on_disk = VmConfig::load(&paths.vm_config("pc")).unwrap();
        assert_eq!(on_disk.cdroms[0].path.as_deref(), Some(iso.as_path()));
        // A drive that is not there, and a file that is not an ISO: nothing is sent.
        let before = fake.commands().len();
        assert!(change(&fake, &paths, "pc", 3, None, true)
            .unwrap_err()
            .contains('4'));
        let txt = dir.path().join("notes.txt");
        std::fs::write(&txt, "hello\n").unwrap();
        let e = change(
            &fake,
            &paths,
            "pc",
            0,
            Some(&txt.display().to_string()),
            true,
        )
        .unwrap_err();
        assert!(e.contains("notes.txt"), "{e}");
        assert_eq!(fake.commands().len(), before);
        assert!(matches!(fake.commands()[0].1, Command::CdromInsert(_)));
    }

    #[test]
    fn drives_are_added_only_to_firmware_vms() {
        testing::english();
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        testing::add_vm(&paths, "linux", "Linux");
        assert!(add_drive(&paths, "linux").is_err());
        assert!(VmConfig::load(&paths.vm_config("linux"))
            .unwrap()
            .cdroms
            .is_empty());
        bios_vm(&paths, "pc");
        assert_eq!(add_drive(&paths, "pc").unwrap().cdroms.len(), 2);
        assert!(check_iso("  ").is_err());
        // A disk image belongs under Disks, and says so.
        let disk = testing::add_vm_with_disk(&paths, "d", "D", 2, b"x").disks[0]
            .path
            .clone();
        let e = check_iso(&disk.display().to_string()).unwrap_err();
        assert!(
            e.ends_with("is a disk image, not an ISO: add it under Disks instead."),
            "{e}"
        );
        assert!(e.starts_with(&disk.display().to_string()), "{e}");
    }
}
