//! Logos from the icon theme.

#[test]
fn logos_come_from_the_icon_theme_by_the_distributions_name() {
    let share = tempfile::tempdir().unwrap();
    let apps = share.path().join("icons/hicolor/64x64/apps");
    std::fs::create_dir_all(&apps).unwrap();
    std::fs::create_dir_all(share.path().join("pixmaps")).unwrap();
    std::fs::write(apps.join("fedora-logo-icon.png"), b"png").unwrap();
    std::fs::write(share.path().join("pixmaps/debian-logo.png"), b"png").unwrap();
    let find = |id| super::card::icon_theme_logo(share.path(), id);
    assert_eq!(
        find("http://fedoraproject.org/fedora/40"),
        Some(apps.join("fedora-logo-icon.png"))
    );
    assert_eq!(
        find("http://debian.org/debian/12"),
        Some(share.path().join("pixmaps/debian-logo.png"))
    );
    assert_eq!(find("http://microsoft.com/win/11"), None);
    assert_eq!(find("http://x/../12"), None);
    assert_eq!(find("nonsense"), None);
}
