//! Reading `[boot]` so that errors name the key at fault.
//!
//! serde's internally tagged enums (`#[serde(tag = "kind")]`) buffer the whole table before
//! they know the variant, and toml's spans are lost in that buffer: `kernel = 1` was reported
//! at `[boot]` without naming `kernel`. So `[boot]` is read as one flat struct of every key any
//! kind has (toml keeps each value's span and key), and then turned into its kind, refusing
//! keys that kind does not have by name. Serializing still uses the derived tagged form.

use super::{BootDevice, BootSource};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use std::path::PathBuf;

/// A reader for one key of `[boot]` whose errors start with `boot.<key>: ` (toml points at the
/// value; this names it in the message too, which the app shows without the snippet).
macro_rules! keyed {
    ($fn:ident, $key:literal, $ty:ty) => {
        fn $fn<'de, D: Deserializer<'de>>(d: D) -> Result<$ty, D::Error> {
            <$ty>::deserialize(d).map_err(|e| D::Error::custom(format!("boot.{}: {e}", $key)))
        }
    };
}

keyed!(de_kind, "kind", Kind);
keyed!(de_kernel, "kernel", Option<PathBuf>);
keyed!(de_initrd, "initrd", Option<PathBuf>);
keyed!(de_cmdline, "cmdline", Option<String>);
keyed!(de_firmware, "firmware", Option<PathBuf>);
keyed!(de_order, "order", Option<Vec<BootDevice>>);
keyed!(de_vga_rom, "vga_rom", Option<PathBuf>);
keyed!(de_vars, "vars", Option<PathBuf>);

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Kind {
    Linux,
    Bios,
    Uefi,
}

/// Every key of every kind of `[boot]`, each typed: a wrong type is reported by toml at the
/// value, with its key.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BootRaw {
    #[serde(deserialize_with = "de_kind")]
    kind: Kind,
    #[serde(default, deserialize_with = "de_kernel")]
    kernel: Option<PathBuf>,
    #[serde(default, deserialize_with = "de_initrd")]
    initrd: Option<PathBuf>,
    #[serde(default, deserialize_with = "de_cmdline")]
    cmdline: Option<String>,
    #[serde(default, deserialize_with = "de_firmware")]
    firmware: Option<PathBuf>,
    #[serde(default, deserialize_with = "de_order")]
    order: Option<Vec<BootDevice>>,
    #[serde(default, deserialize_with = "de_vga_rom")]
    vga_rom: Option<PathBuf>,
    #[serde(default, deserialize_with = "de_vars")]
    vars: Option<PathBuf>,
}

impl TryFrom<BootRaw> for BootSource {
    type Error = String;

    fn try_from(r: BootRaw) -> Result<BootSource, String> {
        let (kind, allowed): (&str, &[&str]) = match r.kind {
            Kind::Linux => ("linux", &["kernel", "initrd", "cmdline"]),
            Kind::Bios => ("bios", &["firmware", "order", "vga_rom"]),
            Kind::Uefi => ("uefi", &["firmware", "vars", "order"]),
        };
        let present = [
            ("kernel", r.kernel.is_some()),
            ("initrd", r.initrd.is_some()),
            ("cmdline", r.cmdline.is_some()),
            ("firmware", r.firmware.is_some()),
            ("order", r.order.is_some()),
            ("vga_rom", r.vga_rom.is_some()),
            ("vars", r.vars.is_some()),
        ];
        if let Some((key, _)) = present.iter().find(|(k, set)| *set && !allowed.contains(k)) {
            return Err(format!(
                "boot.{key}: unknown field for kind = \"{kind}\", expected one of {}",
                allowed.join(", ")
            ));
        }
        Ok(match r.kind {
            Kind::Linux => BootSource::Linux {
                kernel: r
                    .kernel
                    .ok_or("boot.kernel: missing field `kernel` (kind = \"linux\" needs it)")?,
                initrd: r.initrd,
                cmdline: r.cmdline.unwrap_or_default(),
            },
            Kind::Bios => BootSource::Bios {
                firmware: r.firmware,
                order: r.order.unwrap_or_default(),
                vga_rom: r.vga_rom,
            },
            Kind::Uefi => BootSource::Uefi {
                firmware: r.firmware,
                vars: r.vars,
                order: r.order.unwrap_or_default(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::VmConfig;

    fn parse(boot: &str) -> Result<VmConfig, String> {
        let text = format!("id='a'\nname='A'\nvcpus=1\nmemory_mib=64\n\n[boot]\n{boot}\n");
        VmConfig::from_toml(&text).map_err(|e| e.to_string())
    }

    /// The error names the key and points at its line, not at `[boot]`.
    fn names_key(boot: &str, key: &str) {
        let e = parse(boot).unwrap_err();
        let line = boot
            .lines()
            .position(|l| l.starts_with(&format!("{key} ")))
            .map(|i| i + 7);
        let line = line.expect("the key is in the input");
        assert!(
            e.contains(&format!("line {line}")) && e.contains(&format!("{key} =")),
            "{key}: {e}"
        );
        assert!(!e.contains("[boot]"), "{key} reported at the table: {e}");
        if key != "turbo" {
            assert!(e.contains(&format!("boot.{key}: ")), "{key} not named: {e}");
        }
    }

    #[test]
    fn wrong_types_in_boot_name_their_key_for_every_kind() {
        names_key("kind = 'linux'\nkernel = 1", "kernel");
        names_key("kind = 'linux'\nkernel = 'k'\ninitrd = true", "initrd");
        names_key("kind = 'linux'\nkernel = 'k'\ncmdline = 3", "cmdline");
        names_key("kind = 'bios'\nfirmware = 1.5", "firmware");
        names_key("kind = 'bios'\norder = 'disk'", "order");
        names_key("kind = 'bios'\nvga_rom = []", "vga_rom");
        names_key("kind = 'uefi'\nvars = 7", "vars");
        names_key("kind = 'uefi'\norder = ['floppy']", "order");
        names_key("kind = 3", "kind");
        names_key("kind = 'linux'\nkernel = 'k'\nturbo = 1", "turbo");
    }

    #[test]
    fn keys_of_another_kind_and_missing_keys_are_named() {
        let e = parse("kind = 'linux'\nkernel = 'k'\nvars = 'v'").unwrap_err();
        assert!(
            e.contains("boot.vars") && e.contains("kind = \"linux\""),
            "{e}"
        );
        let e = parse("kind = 'bios'\nkernel = 'k'").unwrap_err();
        assert!(e.contains("boot.kernel"), "{e}");
        let e = parse("kind = 'linux'").unwrap_err();
        assert!(e.contains("boot.kernel") && e.contains("missing"), "{e}");
        let e = parse("kind = 'floppy'").unwrap_err();
        assert!(e.contains("floppy") && e.contains("line 7"), "{e}");
    }

    #[test]
    fn every_kind_still_round_trips() {
        for boot in [
            "kind = 'linux'\nkernel = 'k'\ninitrd = 'i'\ncmdline = 'c'",
            "kind = 'bios'\nfirmware = 'f'\norder = ['cdrom', 'disk']\nvga_rom = 'v'",
            "kind = 'uefi'\nfirmware = 'f'\nvars = 'v'\norder = ['disk']",
            "kind = 'bios'",
        ] {
            let c = parse(boot).unwrap();
            let back = VmConfig::from_toml(&toml::to_string(&c).unwrap()).unwrap();
            assert_eq!(back, c, "{boot}");
        }
    }
}
