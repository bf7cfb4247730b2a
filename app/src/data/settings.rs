//! App settings (`settings.toml` in the config folder). Unknown or bad values fall back to
//! defaults instead of failing the start, and the file is written atomically.

use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// UI language (`en`, `de`, `es`, `fr`); `None` follows the system locale.
    pub language: Option<String>,
    /// Warnings of the first-run check the user chose to continue past (e.g. `passt-missing`).
    pub accepted_warnings: Vec<String>,
    /// VMs whose every run is a throwaway run (lab mode): changes discarded at power-off.
    pub throwaway: Vec<String>,
    /// Projector mode: a bigger, starker UI for a classroom.
    pub projector: Projector,
    /// VMs whose console scales the guest's screen instead of resizing it with the window
    /// ("Resize guest with window" turned off; on is the default).
    pub fixed_size: Vec<String>,
}

/// The UI scales projector mode offers.
pub const SCALES: [f64; 5] = [1.0, 1.25, 1.5, 1.75, 2.0];

/// Projector mode's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Projector {
    /// UI scale, one of [`SCALES`] (another value in the file reads as 1.0).
    pub scale: f64,
    /// Black on white, strong borders.
    pub high_contrast: bool,
    /// A larger font in the serial terminal.
    pub large_console_font: bool,
}

impl Default for Projector {
    fn default() -> Self {
        Projector {
            scale: 1.0,
            high_contrast: false,
            large_console_font: false,
        }
    }
}

impl Projector {
    /// The scale to draw with in a window of `width`×`height` pixels: the chosen one, but never
    /// so large that the window holds less than 800×600 logical pixels, the size every screen
    /// is laid out and tested for (a 1280×800 window gets at most 1.33×).
    pub fn effective_scale(&self, width: f32, height: f32) -> f64 {
        let fit = (f64::from(width) / 800.0).min(f64::from(height) / 600.0);
        self.scale.min(fit).max(1.0)
    }
}

impl Settings {
    pub fn is_throwaway(&self, id: &str) -> bool {
        self.throwaway.iter().any(|t| t == id)
    }

    /// Whether VM `id`'s console resizes the guest's screen with the window.
    pub fn follows_window(&self, id: &str) -> bool {
        !self.fixed_size.iter().any(|t| t == id)
    }

    /// Records the choice for VM `id`; whether it changed.
    pub fn set_follows_window(&mut self, id: &str, on: bool) -> bool {
        if on == self.follows_window(id) {
            return false;
        }
        if on {
            self.fixed_size.retain(|t| t != id);
        } else {
            self.fixed_size.push(id.to_string());
        }
        true
    }

    pub fn load(path: &Path) -> Settings {
        let mut s: Settings = std::fs::read_to_string(path)
            .ok()
            .and_then(|t| toml::from_str(&t).ok())
            .unwrap_or_default();
        if !SCALES.contains(&s.projector.scale) {
            s.projector.scale = 1.0;
        }
        s
    }

    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let text = toml::to_string_pretty(self).map_err(std::io::Error::other)?;
        vmm_core::util::write_atomic(path, text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_bad_files_fall_back_to_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("cfg/settings.toml");
        assert_eq!(Settings::load(&p), Settings::default());
        let s = Settings {
            language: Some("de".into()),
            accepted_warnings: vec!["passt-missing".into()],
            ..Default::default()
        };
        s.save(&p).unwrap();
        assert_eq!(Settings::load(&p), s);
        std::fs::write(&p, "language = 42").unwrap();
        assert_eq!(Settings::load(&p), Settings::default());
    }

    #[test]
    fn resize_with_window_is_on_by_default_and_saved_per_vm() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("settings.toml");
        let mut s = Settings::default();
        assert!(s.follows_window("a") && s.follows_window("b"));
        assert!(s.set_follows_window("a", false));
        assert!(!s.set_follows_window("a", false), "no change");
        s.save(&p).unwrap();
        let mut back = Settings::load(&p);
        assert!(!back.follows_window("a") && back.follows_window("b"));
        assert!(back.set_follows_window("a", true));
        assert!(back.follows_window("a") && back.fixed_size.is_empty());
    }

    #[test]
    fn projector_mode_is_saved_and_its_scale_keeps_800_by_600_logical() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("settings.toml");
        let s = Settings {
            projector: Projector {
                scale: 1.75,
                high_contrast: true,
                large_console_font: true,
            },
            ..Default::default()
        };
        s.save(&p).unwrap();
        let back = Settings::load(&p);
        assert_eq!(back.projector, s.projector);
        assert_eq!(back.projector.effective_scale(1920.0, 1080.0), 1.75);
        assert_eq!(back.projector.effective_scale(1600.0, 1200.0), 1.75);
        assert!((back.projector.effective_scale(1280.0, 800.0) - 1.3333).abs() < 0.001);
        assert_eq!(back.projector.effective_scale(800.0, 600.0), 1.0);
        std::fs::write(&p, "[projector]\nscale = 7.0\nhigh_contrast = true\n").unwrap();
        let odd = Settings::load(&p);
        assert_eq!(
            (odd.projector.scale, odd.projector.high_contrast),
            (1.0, true)
        );
    }
}
