//! Library thumbnails: a small picture of each VM's screen, kept as `<vm dir>/thumbnail.png` so a
//! stopped VM shows its last screen. While a VM with a display runs, the app asks the VMM for a
//! thumbnail every few seconds (the VMM scales it), off the UI thread.

use crate::data::client::{VmmClient, VmmClientExt};
use std::path::{Path, PathBuf};
use vmm_core::api::Thumbnail;

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

/// Asks the running VM's VMM for a thumbnail of its screen, written straight to the VM's
/// `thumbnail.png` (atomically, by the VMM), and loads it. The VMM scales before it encodes, so
/// only a few kB of PNG are made and read every few seconds, not the whole screen.
pub fn refresh(client: &dyn VmmClient, id: &str, vm_dir: &Path) -> Result<Thumb, String> {
    let dest = std::path::absolute(path(vm_dir)).map_err(|e| e.to_string())?;
    client
        .call(
            id,
            Thumbnail {
                path: dest.to_string_lossy().into_owned(),
                max_width: MAX_W,
                max_height: MAX_H,
            },
        )
        .map_err(|e| e.to_string())?;
    load(vm_dir).ok_or_else(|| format!("{}: not a readable PNG", dest.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_thumbnail_loads_and_a_broken_one_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()), None, "none yet");
        image::RgbaImage::from_pixel(128, 72, image::Rgba([1, 2, 3, 255]))
            .save(path(dir.path()))
            .unwrap();
        let t = load(dir.path()).unwrap();
        assert_eq!((t.width, t.height), (128, 72));
        assert_eq!(&t.rgba[..4], &[1, 2, 3, 255]);
        std::fs::write(path(dir.path()), b"broken").unwrap();
        assert_eq!(load(dir.path()), None);
    }
}
