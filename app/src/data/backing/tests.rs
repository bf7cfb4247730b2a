use super::*;
use crate::data::disks::{provision, DiskPlan};
use crate::testing::{chain_across, replace_by_fifo};

#[test]
fn a_chain_in_the_images_folder_needs_no_question() {
    let dir = tempfile::tempdir().unwrap();
    let (top, base) = chain_across(dir.path(), "images");
    let c = check(&top, None, &[]).unwrap();
    let Chain::Fine(files) = &c else {
        panic!("{c:?}")
    };
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].path, base);
    assert_eq!(files[0].format, ImageFormat::Qcow2);
    assert_eq!(files[0].virtual_size, 1 << 20);
    assert!(files[0].allowed);
    assert!(c.folders().is_empty());
}

#[test]
fn a_chain_leaving_the_folder_asks_and_allowing_it_lets_the_vmm_open_the_disk() {
    crate::testing::english();
    let dir = tempfile::tempdir().unwrap();
    let (top, base) = chain_across(dir.path(), "elsewhere");
    let vm = dir.path().join("vm");
    std::fs::create_dir_all(&vm).unwrap();
    let c = check(&top, Some(&vm), &[]).unwrap();
    let elsewhere = std::fs::canonicalize(dir.path().join("elsewhere")).unwrap();
    let Chain::Ask { files, folders } = &c else {
        panic!("{c:?}")
    };
    assert_eq!(folders, std::slice::from_ref(&elsewhere));
    assert!(!files[0].allowed);
    assert_eq!(files[0].folder(), elsewhere);
    let text = describe(&top, &c);
    assert!(text.contains("base.qcow2"), "{text}");
    assert!(text.contains(&elsewhere.display().to_string()), "{text}");
    assert!(text.contains("qcow2"), "{text}");
    // Used directly without the answer: the VMM refuses it, as the question said it would.
    let plan = |allow: Vec<PathBuf>, linked| DiskPlan::Existing {
        path: top.clone(),
        linked,
        read_only: false,
        allow,
    };
    let bare = provision(&vm, &plan(Vec::new(), false)).unwrap();
    let e = storage::open_disks(&[bare], &vm).err().unwrap();
    assert!(e.to_string().contains(&base.display().to_string()), "{e}");
    // Allowed: recorded in the disk, and the VMM opens it, directly or as a linked clone.
    for linked in [false, true] {
        let d = provision(&vm, &plan(folders.clone(), linked)).unwrap();
        assert!(
            d.allow_backing.contains(&elsewhere),
            "{:?}",
            d.allow_backing
        );
        storage::open_disks(std::slice::from_ref(&d), &vm).unwrap();
        // And asking again about the recorded disk has no question left.
        assert!(check(&top, Some(&vm), &d.allow_backing)
            .unwrap()
            .folders()
            .is_empty());
    }
}

#[test]
fn a_copy_reads_a_chain_elsewhere_only_when_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let (top, _) = chain_across(dir.path(), "elsewhere");
    let vm = dir.path().join("vm");
    std::fs::create_dir_all(&vm).unwrap();
    let folders = check(&top, None, &[]).unwrap().folders().to_vec();
    assert_eq!(folders.len(), 1);
    let copy = |allow| DiskPlan::Copy {
        path: top.clone(),
        allow,
    };
    assert!(provision(&vm, &copy(Vec::new())).is_err());
    let d = provision(&vm, &copy(folders)).unwrap();
    assert!(storage::image_info(&d.path)
        .unwrap()
        .backing_chain
        .is_empty());
}

#[test]
fn a_fifo_or_device_in_the_chain_is_refused_with_no_question() {
    let dir = tempfile::tempdir().unwrap();
    let (top, base) = chain_across(dir.path(), "elsewhere");
    replace_by_fifo(&base);
    let c = check(&top, None, &[]).unwrap();
    let Chain::Refused { file, reason } = &c else {
        panic!("{c:?}")
    };
    assert_eq!(file, &base);
    assert!(reason.contains("FIFO"), "{reason}");
    assert!(c.folders().is_empty(), "nothing to allow");
    // Allowing its folder changes nothing.
    let allowed = [base.parent().unwrap().to_path_buf()];
    assert!(matches!(
        check(&top, None, &allowed).unwrap(),
        Chain::Refused { .. }
    ));
    // A symlink to a device node (as an image could name /dev/sda).
    std::fs::remove_file(&base).unwrap();
    std::os::unix::fs::symlink("/dev/null", &base).unwrap();
    let c = check(&top, None, &allowed).unwrap();
    let Chain::Refused { reason, .. } = &c else {
        panic!("{c:?}")
    };
    assert!(reason.contains("/dev/null"), "{reason}");
    assert!(describe(&top, &c).contains("/dev/null"));
}

#[test]
fn an_unreadable_image_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("missing.qcow2");
    let e = check(&p, None, &[]).unwrap_err();
    assert!(e.contains("missing.qcow2"), "{e}");
}
