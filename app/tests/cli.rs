//! The `vmdesk` command as a script sees it: a real process, its exit status (the ones
//! `vmdesk --help` promises), what goes to stdout and what to stderr, `--json`, the language.
//! The CLI's logic has unit tests in src/cli; these check the binary around it.
//!
//! Being an integration test also makes `cargo test` build the debug `vmdesk` binary, which the
//! lab's `vm-vs-container` test runs (tests/run-all.sh).

use std::path::Path;
use std::process::{Command, Output};

/// The exit statuses `vmdesk --help` lists.
const BAD_INPUT: i32 = 2;
const NO_SUCH_VM: i32 = 3;
const WRONG_STATE: i32 = 4;

/// `vmdesk ARGS` with its VMs under `home` (`VMDESK_HOME`) and messages in `lang`.
fn vmdesk(home: &Path, lang: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vmdesk"))
        .args(args)
        .env("VMDESK_HOME", home)
        .env_remove("LANGUAGE")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", lang)
        .output()
        .expect("run the vmdesk binary")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("vmdesk writes UTF-8")
}

/// The boot-sector signature and "HdrS" and nothing else: enough for `create` to take it as a
/// Linux kernel (the VM is never started here). The same image as src/testing.rs's
/// `fake_kernel`, which an integration test of a binary crate cannot reach.
fn fake_kernel(dir: &Path) -> std::path::PathBuf {
    let mut img = vec![0u8; 0xa00];
    img[0x1fe] = 0x55;
    img[0x1ff] = 0xaa;
    img[0x202..0x206].copy_from_slice(b"HdrS");
    let path = dir.join("vmlinuz");
    std::fs::write(&path, img).unwrap();
    path
}

#[test]
fn version_and_bad_command_lines_give_their_exit_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let out = vmdesk(dir.path(), "C.UTF-8", &["--version"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        text(&out.stdout).trim(),
        format!("vmdesk {}", env!("CARGO_PKG_VERSION"))
    );

    let out = vmdesk(dir.path(), "C.UTF-8", &["frobnicate"]);
    assert_eq!(out.status.code(), Some(BAD_INPUT), "{out:?}");
    assert!(
        out.stdout.is_empty(),
        "an error goes to stderr only: {out:?}"
    );
    assert!(text(&out.stderr).contains("frobnicate"), "{out:?}");

    let out = vmdesk(dir.path(), "C.UTF-8", &["create", "x", "--vcpus", "-1"]);
    assert_eq!(out.status.code(), Some(BAD_INPUT), "{out:?}");
}

#[test]
fn a_vm_is_created_listed_and_deleted_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let kernel = fake_kernel(dir.path());
    let kernel = kernel.to_str().unwrap();
    let c = "C.UTF-8";

    let out = vmdesk(&home, c, &["list", "--json"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(text(&out.stdout).trim(), "[]");

    let out = vmdesk(
        &home,
        c,
        &["create", "demo", "--kernel", kernel, "--memory", "256"],
    );
    assert!(out.status.success(), "{out:?}");
    let vm_dir = home.join("data/vms/demo");
    assert!(vm_dir.join("vm.toml").is_file(), "{out:?}");
    // Other users must not read a VM's folder (its RAM and disks end up there).
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&vm_dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "{}", vm_dir.display());

    let out = vmdesk(&home, c, &["list", "--json"]);
    assert!(out.status.success(), "{out:?}");
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let vms = list.as_array().unwrap();
    assert_eq!(vms.len(), 1, "{list}");
    assert_eq!(vms[0]["name"], "demo");
    assert_eq!(vms[0]["state"], "stopped");
    assert_eq!(vms[0]["memory_mib"], 256);

    // A stopped VM cannot be powered off; a VM that does not exist is status 3, in JSON too.
    let out = vmdesk(&home, c, &["stop", "demo"]);
    assert_eq!(out.status.code(), Some(WRONG_STATE), "{out:?}");
    assert!(text(&out.stderr).contains("demo"), "{out:?}");
    let out = vmdesk(&home, c, &["status", "nosuch", "--json"]);
    assert_eq!(out.status.code(), Some(NO_SUCH_VM), "{out:?}");
    let err: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(err["ok"], false, "{err}");
    assert_eq!(err["error"]["code"], "no-such-vm", "{err}");

    let out = vmdesk(&home, c, &["delete", "demo"]);
    assert!(out.status.success(), "{out:?}");
    assert!(!vm_dir.exists());
    let out = vmdesk(&home, c, &["list", "--json"]);
    assert_eq!(text(&out.stdout).trim(), "[]");
}

#[test]
fn a_bad_kernel_is_refused_naming_the_setting_and_nothing_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let junk = dir.path().join("junk");
    std::fs::write(&junk, b"not a kernel").unwrap();
    let out = vmdesk(
        &home,
        "C.UTF-8",
        &["create", "demo", "--kernel", junk.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(BAD_INPUT), "{out:?}");
    let err = text(&out.stderr);
    assert!(err.contains("boot.kernel"), "{err}");
    assert!(err.contains("Not a Linux kernel"), "{err}");
    assert!(!home.join("data/vms/demo").exists());
}

#[test]
fn messages_follow_the_language() {
    let dir = tempfile::tempdir().unwrap();
    let en = vmdesk(dir.path(), "C.UTF-8", &["status", "nosuch"]);
    let de = vmdesk(dir.path(), "de_DE.UTF-8", &["status", "nosuch"]);
    assert_eq!(de.status.code(), Some(NO_SUCH_VM));
    assert!(
        text(&en.stderr).contains("no VM with the id or name"),
        "{en:?}"
    );
    assert!(text(&de.stderr).contains("keine VM"), "{de:?}");
}
