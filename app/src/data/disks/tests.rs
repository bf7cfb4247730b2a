//! Disk plans, clones and deletes against real images in temporary folders.
use super::*;
use crate::testing;
use vmm_core::storage::image_info;

const DATA: &[u8] = b"the source's data";

#[test]
fn sizes_are_checked_against_free_space() {
    testing::english();
    assert_eq!(check_size_gib("2"), Ok(2 * GIB));
    // Thin disks may be larger than the free space: allowed, with a warning.
    assert_eq!(check_size_gib("4"), Ok(4 * GIB));
    assert_eq!(over_free(2 * GIB, Some(3 * GIB)), None);
    assert!(over_free(4 * GIB, Some(3 * GIB))
        .unwrap()
        .contains("3 GiB free there now"));
    assert!(check_size_gib("0").is_err());
    assert!(check_size_gib("2.5").is_err());
    let dir = tempfile::tempdir().unwrap();
    // The nearest existing folder counts for one not made yet.
    assert!(free_space(&dir.path().join("a/b")).unwrap() > 0);
}

#[test]
fn existing_images_are_named_in_errors_and_linked_clones_leave_them_alone() {
    testing::english();
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.qcow2");
    std::fs::write(&junk, b"QFI\xfbnot really").unwrap();
    let e = check_existing(&junk.display().to_string()).unwrap_err();
    assert!(e.contains("junk.qcow2"), "{e}");
    assert!(check_existing("rel/x.img").is_err());
    // Issue 15: an installer ISO is not taken for a raw data disk without a word.
    let iso = dir.path().join("debian.iso");
    std::fs::write(&iso, crate::data::media::tests::tiny_iso("DEBIAN", "LINUX")).unwrap();
    let e = check_existing(&iso.display().to_string()).unwrap_err();
    assert!(
        e.contains("installer image (ISO)") && e.contains("debian.iso"),
        "{e}"
    );
    let raw = dir.path().join("base.img");
    std::fs::write(&raw, vec![7u8; 1 << 20]).unwrap();
    let info = check_existing(&raw.display().to_string()).unwrap();
    assert_eq!(info.format, ImageFormat::Raw);
    let vm = dir.path().join("vm");
    std::fs::create_dir(&vm).unwrap();
    let plan = DiskPlan::Existing {
        path: raw.clone(),
        linked: true,
        read_only: false,
        allow: Vec::new(),
    };
    let d = provision(&vm, &plan).unwrap();
    assert!(d.path.starts_with(vm.join("disks")));
    let i = image_info(&d.path).unwrap();
    assert_eq!(i.backing_chain, std::slice::from_ref(&raw));
    assert_eq!(i.virtual_size, 1 << 20);
    let direct = DiskPlan::Existing {
        path: raw.clone(),
        linked: false,
        read_only: true,
        allow: Vec::new(),
    };
    let d = provision(&vm, &direct).unwrap();
    assert_eq!(
        (d.path, d.format, d.read_only),
        (raw, Some(ImageFormat::Raw), true)
    );
}

#[test]
fn linked_clones_read_the_source_and_both_then_write_their_own_overlays() {
    testing::english();
    let root = tempfile::tempdir().unwrap();
    let paths = Paths::under(root.path());
    let mut src = testing::add_vm_with_disk(&paths, "src", "Source", 4, DATA);
    let base = src.disks[0].path.clone();
    // A kernel kept in the VM's folder goes with the clone.
    let kernel = testing::fake_kernel(&paths.vm_dir("src"));
    let vmm_core::config::BootSource::Linux { kernel: k, .. } = &mut src.boot else {
        panic!("not a kernel boot");
    };
    *k = kernel;
    crate::data::store::save(&paths, &src).unwrap();
    let p = Progress::default();
    let c = clone_vm(&paths, &src, "copy", "Copy", true, &p).unwrap();
    assert_eq!(c.name, "Copy");
    let vmm_core::config::BootSource::Linux { kernel: ck, .. } = &c.boot else {
        panic!("not a kernel boot");
    };
    assert_eq!(*ck, paths.vm_dir("copy").join("vmlinuz"));
    assert!(ck.is_file());
    // The clone's overlay is backed by the source's image, and reads its data.
    let info = image_info(&c.disks[0].path).unwrap();
    assert_eq!(info.backing_chain, std::slice::from_ref(&base));
    assert_eq!(
        testing::read_disk(&paths, "copy", 0, 1 << 20, DATA.len()),
        DATA
    );
    // The source went onto an overlay of its own: writing it does not reach the clone.
    let cur = overlay::CurrentDisks::load(&paths.vm_dir("src"))
        .unwrap()
        .unwrap();
    let top = cur.tops(&paths.vm_dir("src"))[0].clone();
    assert_ne!(top, base);
    {
        let d = Disk::open(&top, None, false).unwrap();
        d.write(b"later", 1 << 20).unwrap();
        d.flush().unwrap();
    }
    assert_eq!(testing::read_disk(&paths, "src", 0, 1 << 20, 5), b"later");
    assert_eq!(
        testing::read_disk(&paths, "copy", 0, 1 << 20, DATA.len()),
        DATA
    );
    // The saved config is the one returned, and valid.
    let saved = VmConfig::load(&paths.vm_config("copy")).unwrap();
    assert_eq!(saved, c);
    // The source cannot go while its clone needs it.
    let e = delete_vm(&paths, "src", DiskDisposal::Keep).unwrap_err();
    assert!(e.contains("Copy"), "{e}");
    assert!(paths.vm_dir("src").exists());
}

#[test]
fn full_clones_copy_every_disk_sparsely_and_stand_alone() {
    testing::english();
    let root = tempfile::tempdir().unwrap();
    let paths = Paths::under(root.path());
    let src = testing::add_vm_with_disk(&paths, "src", "Source", 64, DATA);
    let p = Progress::default();
    let c = clone_vm(&paths, &src, "full", "Full", false, &p).unwrap();
    assert_eq!(p.percent(), 100);
    let info = image_info(&c.disks[0].path).unwrap();
    assert!(info.backing_chain.is_empty());
    assert_eq!(info.virtual_size, 64 << 20);
    // Only the one written MiB is copied (plus qcow2 metadata).
    assert!(info.allocated_size < 4 << 20, "{}", info.allocated_size);
    assert_eq!(
        testing::read_disk(&paths, "full", 0, 1 << 20, DATA.len()),
        DATA
    );
    // Holes are known without reading them (what makes copying empty disks fast).
    let d = Disk::open(&c.disks[0].path, None, true).unwrap();
    assert_eq!(d.zero_extent(0, 1 << 20).unwrap(), Some(1 << 20));
    assert_eq!(d.zero_extent(1 << 20, 4096).unwrap(), None);
    assert_eq!(d.zero_extent(2 << 20, 62 << 20).unwrap(), Some(62 << 20));
    drop(d);
    // The source did not move, and can be deleted without harm to the copy.
    assert!(overlay::CurrentDisks::load(&paths.vm_dir("src"))
        .unwrap()
        .is_none());
    delete_vm(&paths, "src", DiskDisposal::Keep).unwrap();
    assert_eq!(
        testing::read_disk(&paths, "full", 0, 1 << 20, DATA.len()),
        DATA
    );
}

#[test]
fn removing_a_disk_keeps_the_others_on_their_overlays() {
    testing::english();
    let root = tempfile::tempdir().unwrap();
    let paths = Paths::under(root.path());
    let mut src = testing::add_vm_with_disk(&paths, "src", "Source", 4, DATA);
    let dir = paths.vm_dir("src");
    let second = provision(
        &dir,
        &DiskPlan::New {
            size_bytes: 4 << 20,
        },
    )
    .unwrap();
    src.disks.push(second);
    crate::data::store::save(&paths, &src).unwrap();
    // A linked clone puts both disks of the source onto overlays; write to the second's.
    clone_vm(&paths, &src, "copy", "Copy", true, &Progress::default()).unwrap();
    let top = overlay::CurrentDisks::load(&dir)
        .unwrap()
        .unwrap()
        .tops(&dir)[1]
        .clone();
    {
        let d = Disk::open(&top, None, false).unwrap();
        d.write(b"second", 0).unwrap();
        d.flush().unwrap();
    }
    let mut cfg = VmConfig::load(&paths.vm_config("src")).unwrap();
    cfg.disks.remove(0);
    reindex_current(&dir, &cfg).unwrap();
    crate::data::store::save(&paths, &cfg).unwrap();
    assert_eq!(testing::read_disk(&paths, "src", 0, 0, 6), b"second");
    let cur = overlay::CurrentDisks::load(&dir).unwrap().unwrap();
    assert_eq!(cur.disks.len(), 1);
    assert_eq!(cur.disks[0].index, 0);
}

#[test]
fn deleting_keeps_the_disks_or_puts_them_in_the_trash() {
    testing::english();
    let trash = testing::test_trash();
    let root = tempfile::tempdir().unwrap();
    let paths = Paths::under(root.path());
    let outside = root.path().join("mine.img");
    std::fs::write(&outside, vec![0u8; 1 << 20]).unwrap();
    let mut a = testing::add_vm_with_disk(&paths, "keep-me", "A", 4, DATA);
    a.disks.push(
        provision(
            &paths.vm_dir("keep-me"),
            &DiskPlan::Existing {
                path: outside.clone(),
                linked: false,
                read_only: true,
                allow: Vec::new(),
            },
        )
        .unwrap(),
    );
    crate::data::store::save(&paths, &a).unwrap();
    let kept = delete_vm(&paths, "keep-me", DiskDisposal::Keep)
        .unwrap()
        .unwrap();
    assert!(!paths.vm_dir("keep-me").exists());
    assert!(kept.join("disk.qcow2").is_file());
    assert!(outside.is_file(), "images elsewhere are never touched");
    let b = testing::add_vm_with_disk(&paths, "trash-me", "B", 4, DATA);
    let disk = b.disks[0].path.clone();
    assert_eq!(
        delete_vm(&paths, "trash-me", DiskDisposal::Trash).unwrap(),
        None
    );
    assert!(!paths.vm_dir("trash-me").exists());
    assert!(!disk.exists());
    let trashed: Vec<_> = std::fs::read_dir(&trash)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("disk.qcow2").is_file())
        .collect();
    assert!(
        !trashed.is_empty(),
        "the disks folder is in {}",
        trash.display()
    );
}

#[test]
fn a_linked_disk_on_a_chosen_image_records_its_folder_and_the_vmm_opens_it() {
    let dir = tempfile::tempdir().unwrap();
    let images = dir.path().join("images");
    let vm = dir.path().join("vm");
    std::fs::create_dir_all(&images).unwrap();
    std::fs::create_dir_all(&vm).unwrap();
    let base = images.join("base.qcow2");
    storage::create_qcow2(&base, 1 << 20).unwrap();
    let plan = DiskPlan::Existing {
        path: base.clone(),
        linked: true,
        read_only: false,
        allow: Vec::new(),
    };
    let d = provision(&vm, &plan).unwrap();
    assert_eq!(d.allow_backing, [std::fs::canonicalize(&images).unwrap()]);
    storage::open_disks(std::slice::from_ref(&d), &vm).unwrap();
    // Without the record, the VMM refuses the base as outside the allowed places.
    let bare = DiskConfig {
        allow_backing: Vec::new(),
        ..d
    };
    let e = storage::open_disks(&[bare], &vm).err().unwrap();
    assert!(e.to_string().contains("allow_backing"), "{e}");
}

#[test]
fn a_running_linked_clone_leaves_its_source_free_to_start() {
    testing::english();
    let root = tempfile::tempdir().unwrap();
    let paths = Paths::under(root.path());
    let mut src = testing::add_vm_with_disk(&paths, "src", "Source", 4, DATA);
    let vmm_core::config::BootSource::Linux { kernel, .. } = &mut src.boot else {
        panic!("not a kernel boot");
    };
    *kernel = testing::fake_kernel(&paths.vm_dir("src"));
    crate::data::store::save(&paths, &src).unwrap();
    let c = clone_vm(&paths, &src, "copy", "Copy", true, &Progress::default()).unwrap();
    let host = vmm_core::config::HostLimits {
        max_vcpus: 8,
        memory_mib: 8192,
    };
    // The clone runs: its VMM opened its disks as the real one does.
    let clone_disks = storage::open_disks(&c.disks, &paths.vm_dir("copy")).unwrap();
    let dir = paths.vm_dir("src");
    let disk_errors = |r: Result<(), Vec<vmm_core::config::ConfigError>>| -> Vec<String> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e.field.starts_with("disks"))
            .map(|e| e.to_string())
            .collect()
    };
    // Checking the configured image as the writable one is what refused the start.
    assert_eq!(disk_errors(src.validate(&host)).len(), 1);
    let none: Vec<String> = Vec::new();
    assert_eq!(disk_errors(src.validate_in(&host, &dir)), none);
    let src_disks = storage::open_disks(&src.disks, &dir).unwrap();
    let mut buf = vec![0; DATA.len()];
    src_disks[0].disk.read(&mut buf, 1 << 20).unwrap();
    assert_eq!(buf, DATA);
    drop((clone_disks, src_disks));
}

#[test]
fn a_kept_linked_clone_disk_outlives_its_source() {
    testing::english();
    let root = tempfile::tempdir().unwrap();
    let paths = Paths::under(root.path());
    let src = testing::add_vm_with_disk(&paths, "src", "Source", 4, DATA);
    let c = clone_vm(&paths, &src, "copy", "Copy", true, &Progress::default()).unwrap();
    let name = c.disks[0].path.file_name().unwrap().to_owned();
    let kept = delete_vm(&paths, "copy", DiskDisposal::Keep)
        .unwrap()
        .unwrap();
    let image = kept.join(name);
    assert!(image_info(&image).unwrap().backing_chain.is_empty());
    // The source goes too: its disks move away from where the clone's overlay pointed.
    delete_vm(&paths, "src", DiskDisposal::Keep).unwrap();
    assert!(!paths.vm_dir("src").exists());
    let d = Disk::open(&image, None, true).unwrap();
    let mut buf = vec![0; DATA.len()];
    d.read(&mut buf, 1 << 20).unwrap();
    assert_eq!(buf, DATA);
}
