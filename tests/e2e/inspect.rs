//! The inspector with the real VMM and the test guest's `inspect` mode (tests/guest/README.md,
//! "Inspector mode"): registers and mode of the paused guest, single steps, the exit log, the
//! memory map against the config and pages the guest touches, and the device list.

use crate::harness::*;
use serde_json::{json, Value};
use std::time::Duration;
use vmm_core::api::{CpuMode, DeviceKind, ExitLog, Inspection, RegionKind, Stepped, VcpuView};

const MIB: u64 = 1 << 20;
const RAX0: u64 = 0x1111_1111_1111_1111;

/// The loop's instructions: offset from the loop → (length, bytes).
const LOOP: [(u64, u64, &str); 3] = [(0, 3, "48ffc0"), (3, 2, "e680"), (5, 2, "ebf9")];

fn result<T: serde::de::DeserializeOwned>(r: Value) -> T {
    assert_eq!(r["ok"], true, "{r}");
    serde_json::from_value(r["result"].clone()).unwrap_or_else(|e| panic!("{e}: {r}"))
}

fn inspect(api: &mut Api) -> Inspection {
    result(api.cmd("inspect"))
}

/// Boots the inspect mode; returns the VM and the loop's address.
fn boot(id: &str, spec: &GuestSpec) -> (Vm, u64) {
    let mut vm = Vm::start(id, spec);
    let log = vm.wait_serial("INSPECT ready", BOOT_TIMEOUT);
    let at = field(&log, "INSPECT loop=", "loop");
    let at = u64::from_str_radix(at.trim_start_matches("0x"), 16).unwrap();
    (vm, at)
}

fn check_known_registers(v: &VcpuView, loop_at: u64) {
    let r = &v.regs;
    let fixed = [
        ("rbx", r.rbx, 0x2222_2222_2222_2222u64),
        ("rcx", r.rcx, 0x3333_3333_3333_3333),
        ("rdx", r.rdx, 0x4444_4444_4444_4444),
        ("rsi", r.rsi, 0x5555_5555_5555_5555),
        ("rdi", r.rdi, 0x6666_6666_6666_6666),
        ("rbp", r.rbp, 0x7777_7777_7777_7777),
        ("r8", r.r8, 0x8888_8888_8888_8888),
        ("r9", r.r9, 0x9999_9999_9999_9999),
        ("r10", r.r10, 0xaaaa_aaaa_aaaa_aaaa),
        ("r11", r.r11, 0xbbbb_bbbb_bbbb_bbbb),
        ("r12", r.r12, 0xcccc_cccc_cccc_cccc),
        ("r13", r.r13, 0xdddd_dddd_dddd_dddd),
        ("r14", r.r14, 0xeeee_eeee_eeee_eeee),
        ("r15", r.r15, 0x0f0f_0f0f_0f0f_0f0f),
    ];
    for (name, got, want) in fixed {
        assert_eq!(got, want, "{name} = {got:#x}");
    }
    assert!(
        r.rax > RAX0 && r.rax - RAX0 < 1 << 32,
        "rax {:#x}: the loop's counter",
        r.rax
    );
    let (_, _, bytes) = LOOP
        .iter()
        .find(|(off, _, _)| loop_at + off == r.rip)
        .unwrap_or_else(|| panic!("rip {:#x} not in the loop at {loop_at:#x}", r.rip));
    assert!(v.code.starts_with(bytes), "code {} at rip", v.code);
    assert_eq!(v.mode, CpuMode::Long);
    assert!(v.paging);
    assert_eq!(v.cpl, 0);
    assert!(v.fresh);
    assert!(v.regs.cs.l, "64-bit code segment");
}

#[test]
fn inspect_shows_registers_memory_map_and_devices_and_step_runs_one_instruction() {
    if !kvm_or_skip("inspect_shows_registers_memory_map_and_devices") {
        return;
    }
    let mut spec = GuestSpec::test("inspect");
    spec.memory_mib = 128;
    spec.display = Some((640, 480));
    spec.cmdline.push_str(" vmdesk.touch_mib=8");
    let (mut vm, loop_at) = boot("inspect", &spec);
    let mut api = vm.api();

    // Running: the vCPU answers at its next exit (the guest polls COM1), within the probe's
    // 50 ms unless the host is too busy to run it; a few tries.
    let mut before = inspect(&mut api);
    for _ in 0..10 {
        if before.vcpus[0].fresh {
            break;
        }
        before = inspect(&mut api);
    }
    assert_eq!(before.state, "running");
    assert_eq!(before.vcpus.len(), 1);
    let v = &before.vcpus[0];
    assert!(v.fresh, "a running vCPU that exits answers in time");
    assert_eq!((v.mode, v.paging, v.cpl), (CpuMode::Long, true, 0));
    assert!(
        v.thread.tid != 0 && v.thread.name == "vcpu0",
        "{:?}",
        v.thread
    );
    assert!(v.exits.iter().any(|(n, c)| n == "io-in" && *c > 0));

    // The memory map: RAM as configured, the framebuffer's size, the virtio windows, KVM's.
    let ram: Vec<_> = before
        .memory
        .iter()
        .filter(|r| r.kind == RegionKind::Ram)
        .collect();
    assert_eq!(ram.iter().map(|r| r.size).sum::<u64>(), 128 * MIB);
    assert_eq!((ram[0].start, ram.len()), (0, 1));
    let fb = before
        .memory
        .iter()
        .find(|r| r.kind == RegionKind::Framebuffer)
        .expect("a framebuffer region");
    assert_eq!(fb.start, 0xe000_0000);
    assert!(
        fb.size >= 640 * 480 * 4 && fb.size < 640 * 480 * 4 + 4096,
        "{fb:?}"
    );
    assert!(fb.touched_bytes.is_some());
    let names: Vec<&str> = before.memory.iter().map(|r| r.name.as_str()).collect();
    for want in [
        "virtio-input 0 (MMIO)",
        "virtio-input 1 (MMIO)",
        "IOAPIC (in KVM)",
        "LAPIC (in KVM)",
        "KVM real-mode TSS",
        "MMIO hole (unused)",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    assert!(
        before
            .memory
            .windows(2)
            .all(|w| w[0].start + w[0].size <= w[1].start),
        "regions in order, none overlapping: {:?}",
        before.memory
    );
    let touched = |i: &Inspection| i.memory.iter().filter_map(|r| r.touched_bytes).sum::<u64>();
    let t0 = touched(&before);
    assert!(t0 > 0 && t0 < 64 * MIB, "touched before: {t0}");

    // Devices: the serial port and the POST port answered exits; KVM's own took none here.
    let dev = |i: &Inspection, n: &str| {
        i.devices
            .iter()
            .find(|d| d.name == n)
            .unwrap_or_else(|| panic!("no device {n} in {:?}", i.devices))
            .clone()
    };
    let serial = dev(&before, "serial (16550A) COM1");
    assert_eq!(
        (
            serial.kind,
            serial.transport.as_str(),
            serial.ports.clone(),
            serial.irqs.clone()
        ),
        (
            DeviceKind::Emulated,
            "isa-pio",
            vec![(0x3f8, 0x3ff)],
            vec![4]
        )
    );
    assert!(serial.exits > 0);
    // In bus order (rng, keyboard, tablet): one 4 KiB window and one IOAPIC pin each.
    for (i, n) in ["virtio-rng 0", "virtio-input 0", "virtio-input 1"]
        .iter()
        .enumerate()
    {
        let d = dev(&before, n);
        let at = 0xd000_0000 + 0x1000 * i as u64;
        assert_eq!(
            (d.kind, d.transport.as_str(), d.mmio.clone(), d.irqs.clone()),
            (
                DeviceKind::Paravirtual,
                "virtio-mmio",
                vec![(at, 0x1000)],
                vec![16 + i as u32]
            )
        );
    }
    // The guest's polled driver set the rng's queue up and was served.
    let rng = dev(&before, "virtio-rng 0");
    assert_eq!(rng.queues.len(), 1);
    assert!(
        rng.queues[0].size > 0 && rng.queues[0].served > 0,
        "{:?}",
        rng.queues
    );
    assert_eq!(dev(&before, "virtio-input 1").queues.len(), 2);
    for n in ["PIC (8259A pair)", "PIT (8254 timer)", "IOAPIC", "LAPIC"] {
        assert_eq!(dev(&before, n).kind, DeviceKind::InKernel);
    }
    assert!(before.host.pid > 0 && before.host.rss_bytes > 0);
    assert!(before.host.threads.iter().any(|t| t.name == "api"));

    // The guest touches 8 MiB more: resident pages grow by that much.
    api.type_text("touch\n");
    vm.wait_serial("INSPECT touched", Duration::from_secs(60));
    std::thread::sleep(Duration::from_millis(200));
    let r = api.cmd("pause");
    assert_eq!(r["ok"], true, "{r}");
    let paused = inspect(&mut api);
    assert_eq!(paused.state, "paused");
    let t1 = touched(&paused);
    assert!(t1 >= t0 + 8 * MIB, "touched {t0} → {t1}: +8 MiB expected");
    check_known_registers(&paused.vcpus[0], loop_at);
    assert!(dev(&paused, "POST port").exits > 0);

    // Step: each instruction moves RIP by its length; `inc` adds one to rax.
    let mut rip = paused.vcpus[0].regs.rip;
    let mut rax = paused.vcpus[0].regs.rax;
    let mut seen = [false; 3];
    for _ in 0..7 {
        let s: Stepped = result(api.call(json!({"cmd": "step", "vcpu": 0})));
        assert_eq!((s.before.regs.rip, s.before.regs.rax), (rip, rax), "{s:?}");
        let k = LOOP
            .iter()
            .position(|(off, _, _)| loop_at + off == rip)
            .unwrap();
        seen[k] = true;
        let (want_rip, want_rax) = match k {
            0 => (rip + 3, rax + 1),
            1 => (rip + 2, rax),
            _ => (loop_at, rax),
        };
        assert_eq!(
            (s.after.regs.rip, s.after.regs.rax),
            (want_rip, want_rax),
            "step from {rip:#x} (stopped by {})",
            s.stopped_by
        );
        assert_eq!(s.after.regs.rbx, 0x2222_2222_2222_2222);
        rip = want_rip;
        rax = want_rax;
    }
    assert_eq!(seen, [true; 3]);
    // Still paused, and nothing ran in between.
    let after = inspect(&mut api);
    assert_eq!(
        (after.state.as_str(), after.vcpus[0].regs.rip),
        ("paused", rip)
    );

    // Bad steps are refused, the VM goes on.
    let bad = api.call(json!({"cmd": "step", "vcpu": 3}));
    assert_eq!(bad["error"]["code"], "bad-request", "{bad}");
    api.cmd("resume");
    let running = api.call(json!({"cmd": "step", "vcpu": 0}));
    assert_eq!(running["error"]["code"], "invalid-state", "{running}");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while inspect(&mut api).vcpus[0].regs.rax <= rax + 100 {
        assert!(
            std::time::Instant::now() < deadline,
            "the guest runs on after steps"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn exit_log_shows_the_guests_port_writes_with_values_and_device() {
    if !kvm_or_skip("exit_log_shows_the_guests_port_writes") {
        return;
    }
    let mut spec = GuestSpec::test("inspect");
    spec.vcpus = 2;
    let (mut vm, _) = boot("exitlog", &spec);
    let mut api = vm.api();
    // The second vCPU waits in KVM for a start-up IPI the guest never sends: it answers the
    // probe all the same, and a step on it is refused rather than hanging.
    let mut i = inspect(&mut api);
    for _ in 0..10 {
        if i.vcpus.iter().all(|v| v.fresh) {
            break;
        }
        i = inspect(&mut api);
    }
    assert_eq!(i.vcpus.len(), 2);
    assert!(i.vcpus.iter().all(|v| v.fresh), "{:?}", i.vcpus);
    assert_eq!(i.vcpus[1].mode, CpuMode::Real);
    assert_eq!(api.cmd("pause")["ok"], true);
    let r = api.call(json!({"cmd": "step", "vcpu": 1}));
    assert_eq!(r["ok"], false, "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nothing to step"),
        "{r}"
    );
    assert_eq!(api.cmd("resume")["ok"], true);
    api.type_text("go\n");
    vm.wait_serial("INSPECT touched", Duration::from_secs(60));
    // Off until asked: the first read turns it on.
    let first: ExitLog = result(api.call(json!({"cmd": "exit-log"})));
    assert!(first.entries.is_empty(), "recorded before anyone asked");
    std::thread::sleep(Duration::from_millis(300));
    let log: ExitLog = result(api.call(json!({"cmd": "exit-log", "after": 0})));
    let outs: Vec<_> = log
        .entries
        .iter()
        .filter(|e| e.reason == "io-out" && e.addr == 0x80)
        .collect();
    assert!(
        outs.len() >= 20,
        "{} OUTs to 0x80 in {:?}",
        outs.len(),
        log.entries.len()
    );
    for e in &outs {
        assert_eq!(
            (e.size, e.device.as_deref(), e.vcpu),
            (1, Some("POST port"), 0)
        );
    }
    for w in outs.windows(2) {
        let (a, b) = (w[0].value.unwrap(), w[1].value.unwrap());
        assert_eq!(
            b,
            (a + 1) & 0xff,
            "each OUT writes one more: {:?} then {:?}",
            w[0],
            w[1]
        );
        assert!(w[1].seq > w[0].seq && w[1].at_us >= w[0].at_us);
    }
    assert!(log.next > outs.last().unwrap().seq);
    // `after` returns only newer records.
    let more: ExitLog = result(api.call(json!({"cmd": "exit-log", "after": log.next - 1})));
    assert!(more.entries.iter().all(|e| e.seq >= log.next));
}

#[test]
fn inspect_on_the_bios_machine_lists_its_rom_chipset_and_pci_devices() {
    let name = "inspect_on_the_bios_machine_lists_its_rom_chipset_and_pci_devices";
    if !kvm_or_skip(name) || !crate::firmware::seabios_or_skip(name) {
        return;
    }
    let rom = std::fs::metadata(crate::firmware::SEABIOS).unwrap().len();
    let mut vm = crate::firmware::start_bios_vm_with("bios-inspect", 1, |_| String::new());
    vm.wait_serial("SeaBIOS (version", crate::firmware::FIRMWARE_TIMEOUT);
    let mut api = vm.api();
    let i = inspect(&mut api);
    let ram: u64 = i
        .memory
        .iter()
        .filter(|r| r.kind == RegionKind::Ram)
        .map(|r| r.size)
        .sum();
    assert_eq!(ram, 128 * MIB);
    let r = i
        .memory
        .iter()
        .find(|r| r.kind == RegionKind::Rom)
        .expect("the ROM");
    assert_eq!((r.start, r.size), ((1 << 32) - rom, rom));
    let dev = |n: &str| {
        i.devices
            .iter()
            .find(|d| d.name == n)
            .unwrap_or_else(|| panic!("no {n} in {:?}", i.devices))
    };
    assert_eq!(dev("PCI host bridge (i440FX)").ports, [(0xcf8, 0xcff)]);
    assert_eq!(dev("ACPI PM (PIIX4)").transport, "pci");
    assert_eq!(dev("CMOS/RTC").irqs, [8]);
    // The firmware read its tables through fw_cfg and wrote its log to the debug console.
    assert!(dev("fw_cfg").exits > 0 && dev("debug console").exits > 0);
    assert_eq!(api.cmd("pause")["ok"], true);
    let p = inspect(&mut api);
    let v = &p.vcpus[0];
    assert!(v.fresh, "a paused vCPU is read directly");
    // SeaBIOS runs 32-bit protected mode without paging, and real mode for BIOS calls.
    assert!(
        matches!(v.mode, CpuMode::Protected | CpuMode::Real) && !v.paging,
        "{v:?}"
    );
}
