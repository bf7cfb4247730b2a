//! QEMU as the peer the benchmarks and tests compare with, started the same way everywhere
//! (`benches/*.rs` and `tests/e2e`).

/// The arguments for a microvm booting `kernel` with `cmdline` through qboot (`bios`): 1 vCPU,
/// `memory_mib`, COM1 to `serial` (a QEMU chardev: `stdio`, `file:<path>`), no display and no
/// default devices. Callers add their devices after these.
///
/// qboot, not the default SeaBIOS build, which needs the linuxboot option ROM and crawls on a
/// software KVM: qboot loads the bzImage and runs its real-mode setup code
/// (tests/guest/setup.S), which enters the guest's 32-bit entry. HW-reduced ACPI (acpi=on)
/// gives a FADT whose sleep register is the GED's, in MMIO.
pub fn microvm_args(
    bios: &str,
    memory_mib: u64,
    serial: &str,
    kernel: &str,
    cmdline: &str,
) -> Vec<String> {
    let mem = format!("{memory_mib}M");
    [
        "-M",
        "microvm,x-option-roms=off,pit=on,pic=on,rtc=off,isa-serial=on,acpi=on",
        "-bios",
        bios,
        "-accel",
        "kvm",
        // Plain -cpu host aborts on hosts that refuse IA32_ARCH_CAPABILITIES (kvm_pvm).
        "-cpu",
        "host,-arch-capabilities",
        "-m",
        &mem,
        "-smp",
        "1",
        "-nodefaults",
        "-no-user-config",
        "-display",
        "none",
        "-no-reboot",
        "-serial",
        serial,
        "-kernel",
        kernel,
        "-append",
        cmdline,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// The arguments for QEMU's i440FX PC (`-M pc`) on firmware `bios` (SeaBIOS's
/// bios-256k.bin, the file vmdesk's BIOS machine runs): 1 vCPU, `memory_mib`, COM1 to
/// `serial`, no display and no default devices (callers add the same devices vmdesk's VM
/// has). `sercon_port_file` is a 2-byte file holding 0x3f8: as vmdesk tells SeaBIOS, it makes
/// COM1 SeaBIOS's text console, so both print their boot screens on the serial port.
pub fn pc_args(bios: &str, memory_mib: u64, serial: &str, sercon_port_file: &str) -> Vec<String> {
    let mem = format!("{memory_mib}M");
    let sercon = format!("name=etc/sercon-port,file={sercon_port_file}");
    [
        "-M",
        "pc",
        "-bios",
        bios,
        "-accel",
        "kvm",
        "-cpu",
        "host,-arch-capabilities",
        "-m",
        &mem,
        "-smp",
        "1",
        "-nodefaults",
        "-no-user-config",
        "-display",
        "none",
        "-vga",
        "none",
        "-no-reboot",
        "-serial",
        serial,
        "-fw_cfg",
        &sercon,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}
