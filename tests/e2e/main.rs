//! End-to-end tests: the real `vmdesk-vmm` binary on the test guest (tests/guest).

mod harness;
use vmdesk_test_support::{qemu, rfb};

mod api;
mod boot;
mod cdrom;
mod config;
mod confinement;
mod display;
mod firmware;
mod firmware_uefi;
mod gpu;
mod gpuanim;
mod grub;
mod hardening;
mod inspect;
mod io;
mod pc_gpu;
mod ps2;
mod sata;
mod snapshot;
mod vga;
mod vnc_resize;
