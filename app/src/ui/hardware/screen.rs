//! The screen device (`display.kind`) in the hardware settings: what each machine offers
//! (the kernel machine a framebuffer, the PC its standard VGA, both virtio-gpu) and the
//! default per machine and OS. The rules of what is valid are vmm-core's
//! ([`DisplayKind::allowed`]); this picks among them.

use crate::t;
use vmm_core::config::{DisplayKind, GuestOs};

/// A display kind in the pick list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindChoice(pub DisplayKind);

impl std::fmt::Display for KindChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self.0 {
            DisplayKind::Framebuffer => t!("hw-display-kind-framebuffer"),
            DisplayKind::StdVga => t!("hw-display-kind-std-vga"),
            DisplayKind::VirtioGpu => t!("hw-display-kind-virtio-gpu"),
        };
        f.write_str(&s)
    }
}

/// osinfo-db vendors whose OSes are Linux distributions: their kernels have the virtio_gpu
/// driver, which takes the screen over from the PC's VGA (firmware and boot loader stay
/// visible on the VGA until then).
const LINUX_VENDORS: &[&str] = &[
    "debian.org",
    "ubuntu.com",
    "fedoraproject.org",
    "redhat.com",
    "centos.org",
    "almalinux.org",
    "rockylinux.org",
    "opensuse.org",
    "suse.com",
    "archlinux.org",
    "linuxmint.com",
    "alpinelinux.org",
    "gentoo.org",
    "nixos.org",
    "kali.org",
    "manjaro.org",
    "voidlinux.org",
    "mageia.org",
    "elementary.io",
    "pop-os",
    "endeavouros.com",
];

/// Whether osinfo-db's id names a Linux distribution.
pub fn is_linux(os: &GuestOs) -> bool {
    let id = os.id.to_ascii_lowercase();
    LINUX_VENDORS.iter().any(|v| id.contains(v))
}

/// The screen a new VM gets: the kernel machine its framebuffer (every kernel drives it); on
/// the PC virtio-gpu for Linux (resizes with the window) and the standard VGA for everything
/// else (Windows and the BSDs have no virtio-gpu driver inbox).
pub fn default_kind(pc: bool, os: Option<&GuestOs>) -> DisplayKind {
    match (pc, os) {
        (false, _) => DisplayKind::Framebuffer,
        (true, Some(os)) if is_linux(os) => DisplayKind::VirtioGpu,
        (true, _) => DisplayKind::StdVga,
    }
}

/// The choices a machine offers (its `framebuffer` on a PC is shown as the VGA it is).
pub fn choices(pc: bool) -> Vec<KindChoice> {
    DisplayKind::allowed(pc)
        .iter()
        .map(|k| KindChoice(*k))
        .collect()
}

/// How a kind is shown on a machine: a PC config's `framebuffer` is its VGA.
pub fn shown(pc: bool, kind: DisplayKind) -> DisplayKind {
    match (pc, kind) {
        (true, DisplayKind::Framebuffer) => DisplayKind::StdVga,
        _ => kind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(id: &str) -> GuestOs {
        GuestOs {
            id: id.into(),
            name: "x".into(),
        }
    }

    #[test]
    fn defaults_follow_the_machine_and_the_os() {
        let debian = os("http://debian.org/debian/12");
        let win = os("http://microsoft.com/win/11");
        let bsd = os("http://freebsd.org/freebsd/14.0");
        assert_eq!(default_kind(false, Some(&debian)), DisplayKind::Framebuffer);
        assert_eq!(default_kind(true, Some(&debian)), DisplayKind::VirtioGpu);
        assert_eq!(default_kind(true, Some(&win)), DisplayKind::StdVga);
        assert_eq!(default_kind(true, Some(&bsd)), DisplayKind::StdVga);
        assert_eq!(default_kind(true, None), DisplayKind::StdVga);
        // Every default is a kind the machine allows.
        for pc in [false, true] {
            for o in [None, Some(&debian), Some(&win)] {
                assert!(DisplayKind::allowed(pc).contains(&default_kind(pc, o)));
            }
        }
    }
}
