//! `export` and `import` on the command line: files written or nothing written, notes on
//! stderr, `--json`, and the options checked.

use super::*;
use crate::data::export::import::import;
use crate::data::export::tests::{files, HOST};
use crate::data::export::tests_import::{bad_inputs, sample};
use crate::testing::{self, FakeClient};
use std::path::PathBuf;

fn cli(paths: &Paths, line: &[&str]) -> (i32, String) {
    let words: Vec<String> = line.iter().map(|s| s.to_string()).collect();
    let args = parse(&words).unwrap();
    run_captured(paths, Arc::new(FakeClient::default()), &args)
}

#[test]
fn the_cli_imports_a_domain_and_writes_nothing_for_bad_input() {
    testing::english();
    let f = files();
    let root = tempfile::tempdir().unwrap();
    let paths = Paths::under(root.path());
    for (what, text, _) in bad_inputs(&f) {
        let file = f.dir.path().join("bad.xml");
        std::fs::write(&file, text).unwrap();
        let (code, out) = cli(&paths, &["import", &file.display().to_string()]);
        assert_eq!(code, code::USAGE, "{what}: {out}");
        let left: Vec<PathBuf> = std::fs::read_dir(paths.vms_dir())
            .map(|d| d.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        assert!(left.is_empty(), "{what}: {left:?}");
    }
    let file = f.dir.path().join("debian12.xml");
    let text = sample("q35-ovmf-virtio.xml", &f);
    std::fs::write(&file, text).unwrap();
    let (code, out) = cli(&paths, &["import", &file.display().to_string()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("imported as debian12"), "{out}");
    assert!(
        out.contains("not imported as is: <sound model='ich9'>"),
        "{out}"
    );
    let cfg = vmm_core::config::VmConfig::load(&paths.vm_config("debian12")).unwrap();
    assert_eq!(cfg.disks[0].path, f.qcow2);
    // Exported again, it is the VM that was imported.
    let (code, xml) = cli(&paths, &["export", "debian12", "--libvirt"]);
    assert_eq!(code, 0, "{xml}");
    let start = xml.find("<domain").unwrap();
    let end = xml.find("</domain>").unwrap() + "</domain>".len();
    let again = import(&xml[start..end], &[], &HOST).unwrap();
    assert_eq!(again.config, cfg);
    // --json: the id and the notes.
    let (code, out) = cli(&paths, &["import", &file.display().to_string(), "--json"]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["id"], "debian12-2");
    assert!(v["notes"].as_array().unwrap().len() >= 5, "{v}");
}

#[test]
fn the_cli_exports_to_a_file_or_stdout_and_lists_the_notes() {
    testing::english();
    let f = files();
    let root = tempfile::tempdir().unwrap();
    let paths = Paths::under(root.path());
    let mut cfg = testing::add_vm(&paths, "web", "Web");
    cfg.display = Some(vmm_core::config::DisplayConfig {
        vnc_port: Some(5907),
        vnc_password: Some("pw".into()),
        ..Default::default()
    });
    cfg.save(&paths.vm_config("web")).unwrap();
    let out_file = f.dir.path().join("web.xml");
    let (code, out) = cli(
        &paths,
        &[
            "export",
            "web",
            "--libvirt",
            &out_file.display().to_string(),
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("not exported as is: VNC on TCP port 5907"),
        "{out}"
    );
    let text = std::fs::read_to_string(&out_file).unwrap();
    assert!(text.starts_with("<domain type='kvm'>"), "{text}");
    let (code, out) = cli(&paths, &["export", "web", "--kubevirt", "--json"]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(v["text"].as_str().unwrap()).unwrap();
    assert_eq!(manifest["kind"], "VirtualMachine");
    assert!(v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n.as_str().unwrap().contains("kernel")));
    // The options are checked.
    for bad in [
        &["export", "web"][..],
        &["export", "web", "--libvirt", "--kubevirt"],
        &["export", "web", "--libvirt", "--container-disk", "x"],
        &[
            "export",
            "web",
            "--kubevirt",
            "--container-disk",
            "x",
            "--disk-image-url",
            "y",
        ],
    ] {
        let words: Vec<String> = bad.iter().map(|s| s.to_string()).collect();
        assert!(parse(&words).is_err(), "{bad:?}");
    }
    let (code, out) = cli(&paths, &["export", "nope", "--libvirt"]);
    assert_eq!(code, code::NO_SUCH_VM, "{out}");
}
