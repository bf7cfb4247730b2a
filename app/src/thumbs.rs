//! Library thumbnails: a small picture of each VM's screen, kept as `<vm dir>/thumbnail.png` so a
//! stopped VM shows its last screen. While a VM with a display runs, the app asks the VMM for a
//! screenshot every few seconds and scales it down here, off the UI thread.

use crate::client::VmmClient;
use std::path::{Path, PathBuf};
use vmm_core::api::Command;

/// The largest thumbnail; the guest screen's aspect ratio is kept inside it.
pub const MAX_W: u32 = 128;
pub const MAX_H: u32 = 96;

/// Seconds between two refreshes of a running VM's thumbnail.
pub const EVERY_SECS: u64 = 5;

/// A decoded thumbnail, ready to become an image handle.
#[derive(Debug, Clone, PartialEq)]
pub struct Thumb {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

pub fn path(vm_dir: &Path) -> PathBuf {
    vm_dir.join("thumbnail.png")
}

/// The stored thumbnail, if there is a readable one.
pub fn load(vm_dir: &Path) -> Option<Thumb> {
    let img = image::open(path(vm_dir)).ok()?.to_rgba8();
    Some(Thumb {
        width: img.width(),
        height: img.height(),
        rgba: img.into_raw(),
    })
}

/// Scales a full screenshot (PNG file) to fit MAX_W × MAX_H and stores it atomically.
pub fn from_screenshot(shot: &Path, vm_dir: &Path) -> Result<Thumb, String> {
    let full = image::open(shot).map_err(|e| format!("{}: {e}", shot.display()))?;
    // Triangle is smooth enough at this size and several times cheaper than Lanczos.
    let small = full
        .resize(MAX_W, MAX_H, image::imageops::FilterType::Triangle)
        .to_rgba8();
    let mut png = Vec::new();
    small
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| e.to_string())?;
    let dest = path(vm_dir);
    vmm_core::util::write_atomic(&dest, &png).map_err(|e| format!("{}: {e}", dest.display()))?;
    Ok(Thumb {
        width: small.width(),
        height: small.height(),
        rgba: small.into_raw(),
    })
}

/// Asks the running VM's VMM for a screenshot and turns it into the VM's thumbnail.
pub fn refresh(client: &dyn VmmClient, id: &str, vm_dir: &Path) -> Result<Thumb, String> {
    // The full-size screenshot is only a step: written next to the thumbnail, then removed.
    let shot = vm_dir.join(".thumbnail-full.png");
    let shot_abs = std::path::absolute(&shot).map_err(|e| e.to_string())?;
    client
        .request(
            id,
            Command::Screenshot {
                path: shot_abs.to_string_lossy().into_owned(),
            },
        )
        .map_err(|e| e.to_string())?;
    let r = from_screenshot(&shot_abs, vm_dir);
    let _ = std::fs::remove_file(&shot_abs);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_screenshot_becomes_a_small_thumbnail_with_the_same_colours_and_aspect() {
        let dir = tempfile::tempdir().unwrap();
        let shot = dir.path().join("shot.png");
        // 640x480: left half red, right half blue.
        let img = image::RgbaImage::from_fn(640, 480, |x, _| {
            if x < 320 {
                image::Rgba([255, 0, 0, 255])
            } else {
                image::Rgba([0, 0, 255, 255])
            }
        });
        img.save(&shot).unwrap();
        let t = from_screenshot(&shot, dir.path()).unwrap();
        assert_eq!((t.width, t.height), (MAX_W, MAX_H), "4:3 fills the box");
        let px = |x: u32, y: u32| {
            let i = ((y * t.width + x) * 4) as usize;
            [t.rgba[i], t.rgba[i + 1], t.rgba[i + 2]]
        };
        assert_eq!(px(10, 50), [255, 0, 0]);
        assert_eq!(px(MAX_W - 10, 50), [0, 0, 255]);
        // Stored, and loads back the same.
        assert_eq!(load(dir.path()), Some(t));
    }

    #[test]
    fn a_wide_screen_keeps_its_aspect_and_bad_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let shot = dir.path().join("wide.png");
        image::RgbaImage::new(1920, 1080).save(&shot).unwrap();
        let t = from_screenshot(&shot, dir.path()).unwrap();
        assert_eq!(t.width, MAX_W);
        assert_eq!(t.height, 72, "1920x1080 scaled to 128 wide");

        std::fs::write(dir.path().join("junk.png"), b"not a png").unwrap();
        let e = from_screenshot(&dir.path().join("junk.png"), dir.path()).unwrap_err();
        assert!(e.contains("junk.png"), "{e}");
        std::fs::write(path(dir.path()), b"broken").unwrap();
        assert_eq!(load(dir.path()), None);
    }
}
