//! App settings (`settings.toml` in the config folder). Unknown or bad values fall back to
//! defaults instead of failing the start, and the file is written atomically.

use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// UI language (`en`, `de`, `es`, `fr`); `None` follows the system locale.
    pub language: Option<String>,
    /// Warnings of the first-run check the user chose to continue past (e.g. `passt-missing`).
    pub accepted_warnings: Vec<String>,
    /// VMs whose every run is a throwaway run (lab mode): changes discarded at power-off.
    pub throwaway: Vec<String>,
}

impl Settings {
    pub fn is_throwaway(&self, id: &str) -> bool {
        self.throwaway.iter().any(|t| t == id)
    }

    pub fn load(path: &Path) -> Settings {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|t| toml::from_str(&t).ok())
            .unwrap_or_default()
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
}
