//! `create --disk/--boot-disk` with an image whose backing chain leaves its folder: refused
//! with the chain printed unless `--allow-backing`, which records the folder (issue 17 #1).

use super::*;

#[test]
fn a_chain_leaving_the_folder_is_printed_and_used_only_with_allow_backing() {
    testing::english();
    let root = tempfile::tempdir().unwrap();
    let paths = Paths::under(root.path());
    let kernel = testing::fake_kernel(root.path());
    let k = kernel.display();
    let (top, base) = testing::chain_across(root.path(), "elsewhere");
    let elsewhere = std::fs::canonicalize(base.parent().unwrap()).unwrap();
    let fake = Arc::new(FakeClient::default());
    let run = |s: &str| run_captured(&paths, fake.clone(), &parse(&args(s)).unwrap());
    let t = top.display();

    let (code, text) = run(&format!("create Img --kernel {k} --disk {t}"));
    assert_eq!(code, code::ERROR, "{text}");
    assert!(text.contains(&top.display().to_string()), "{text}");
    assert!(
        text.contains(&format!(
            "← base.qcow2 · qcow2 · 1.0 MiB · in {}",
            elsewhere.display()
        )),
        "{text}"
    );
    assert!(text.contains("--allow-backing"), "{text}");
    assert!(!paths.vm_dir("img").exists());

    let (code, text) = run(&format!(
        "create Img --kernel {k} --disk {t} --allow-backing"
    ));
    assert_eq!(code, code::OK, "{text}");
    let cfg = VmConfig::load(&paths.vm_config("img")).unwrap();
    assert_eq!(cfg.disks[0].allow_backing, std::slice::from_ref(&elsewhere));
    vmm_core::storage::open_disks(&cfg.disks, &paths.vm_dir("img")).unwrap();

    // The flag is for an existing image only.
    let (code, _) = run(&format!("create X --kernel {k} --allow-backing"));
    assert_eq!(code, code::USAGE);

    // A FIFO in the chain: refused whatever the flag says.
    testing::replace_by_fifo(&base);
    let (code, text) = run(&format!(
        "create Fifo --kernel {k} --disk {t} --allow-backing"
    ));
    assert_ne!(code, code::OK, "{text}");
    assert!(text.contains("FIFO"), "{text}");
    assert!(!paths.vm_dir("fifo").exists());
}
