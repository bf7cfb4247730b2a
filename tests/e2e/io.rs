//! Disks and network with the real VMM and the test guest: data the guest writes survives a
//! restart and reads the same on the host; the guest talks to a service on the host's loopback
//! through passt, and a host port forward reaches the guest.

use crate::harness::*;
use std::process::Command;
use std::time::Duration;

const SEED: u64 = 0x766d_6465_736b_3031;

/// The 32 KiB the guest writes at `sector` (tests/guest/README.md).
fn blk_pattern(sector: u64) -> Vec<u8> {
    (0..4096u64)
        .flat_map(|j| (SEED ^ (sector * 64 + j)).to_le_bytes())
        .collect()
}

/// A fresh 8 MiB qcow2 image in `dir`, and a spec for `mode` with it as disk 0.
fn qcow2_spec(dir: &std::path::Path, mode: &str) -> (std::path::PathBuf, GuestSpec) {
    let img = dir.join("disk.qcow2");
    let st = Command::new("qemu-img")
        .args(["create", "-q", "-f", "qcow2"])
        .arg(&img)
        .arg("8M")
        .status()
        .unwrap();
    assert!(st.success());
    let mut spec = GuestSpec::test(mode);
    spec.extra_toml = format!(
        "\n[[disks]]\npath = \"{}\"\nformat = \"qcow2\"\n",
        img.display()
    );
    (img, spec)
}

/// The guest's bytes at `sector` as the host sees them in the image.
fn host_bytes(img: &std::path::Path, dir: &std::path::Path, sector: usize) -> Vec<u8> {
    let raw = dir.join("out.raw");
    let st = Command::new("qemu-img")
        .args(["convert", "-O", "raw"])
        .arg(img)
        .arg(&raw)
        .status()
        .unwrap();
    assert!(st.success());
    std::fs::read(&raw).unwrap()[sector * 512..sector * 512 + 32768].to_vec()
}

fn qemu_img_check(img: &std::path::Path) {
    let out = Command::new("qemu-img")
        .arg("check")
        .arg(img)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn guest_writes_survive_a_restart_and_read_the_same_on_the_host() {
    if !kvm_or_skip("guest_writes_survive_a_restart_and_read_the_same_on_the_host")
        || !tool_or_skip("qemu-img", "qemu-img", "apt-get install qemu-utils")
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (img, spec) = qcow2_spec(dir.path(), "blk");
    let mut vm = Vm::start("blk", &spec);
    let (st, log, stderr) = vm.wait_exit(BOOT_TIMEOUT);
    assert_eq!(st.code(), Some(0), "{stderr}\n{log}");
    let data = blk_pattern(2048);
    let crc = format!("crc={:#010x}", crc32fast::hash(&data));
    assert!(log.contains("BLK 0 sectors=16384 ro=0 flush=1"), "{log}");
    assert!(
        log.contains(&format!(
            "BLK write ok sector=2048 count=64 seed={SEED:#x} {crc}"
        )),
        "{log}"
    );
    assert!(
        log.contains("BLK flush ok") && log.contains(&format!("BLK read ok {crc}")),
        "{log}"
    );

    // Another run of the VM reads it back.
    std::fs::write(
        vm.dir.path().join("vm.toml"),
        std::fs::read_to_string(vm.dir.path().join("vm.toml"))
            .unwrap()
            .replace("vmdesk.test=blk", "vmdesk.test=blk-read"),
    )
    .unwrap();
    vm.restart();
    let (st, log, _) = vm.wait_exit(BOOT_TIMEOUT);
    assert_eq!(st.code(), Some(0));
    assert!(log.contains(&format!("BLK read ok {crc}")), "{log}");

    // The host sees the same bytes, and the image is clean.
    assert_eq!(host_bytes(&img, dir.path(), 2048), data);
    qemu_img_check(&img);
}

#[test]
fn read_only_disks_refuse_writes_with_an_io_error() {
    if !kvm_or_skip("read_only_disks_refuse_writes_with_an_io_error") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("ro.raw");
    std::fs::write(&img, vec![0u8; 4 << 20]).unwrap();
    let mut spec = GuestSpec::test("blk");
    spec.extra_toml = format!(
        "\n[[disks]]\npath = \"{}\"\nformat = \"raw\"\nread_only = true\n",
        img.display()
    );
    let mut vm = Vm::start("blkro", &spec);
    let (st, log, _) = vm.wait_exit(BOOT_TIMEOUT);
    assert!(log.contains("BLK 0 sectors=8192 ro=1"), "{log}");
    assert!(log.contains("BLK write status=1"), "IOERR expected:\n{log}");
    assert_eq!(st.code(), Some(0), "the VM carries on and powers off");
    assert!(std::fs::read(&img).unwrap().iter().all(|b| *b == 0));
}

#[test]
fn guest_talks_to_a_host_loopback_service_and_a_forward_reaches_it() {
    if !kvm_or_skip("guest_talks_to_a_host_loopback_service_and_a_forward_reaches_it")
        || !tool_or_skip("passt", "passt", "apt-get install passt")
    {
        return;
    }
    // A UDP echo service on the host's loopback; the guest reaches it as 192.0.2.1.
    let echo_port = udp_echo_service();
    let fwd_port = free_udp_port();
    let mut spec = GuestSpec::test("net");
    spec.cmdline
        .push_str(&format!(" vmdesk.udp_port={echo_port}"));
    spec.extra_toml = format!(
        "\n[[nics]]\nforwards = [{{ proto = \"udp\", host_port = {fwd_port}, guest_port = 7 }}]\n"
    );
    let mut vm = Vm::start("net", &spec);
    vm.wait_serial("NET arp ok", BOOT_TIMEOUT);
    vm.wait_serial("NET udp reply \"vmdesk-ping", BOOT_TIMEOUT);
    vm.wait_serial("NET listen udp port=7", BOOT_TIMEOUT);
    // Host → guest through the forward; the guest echoes.
    let got = echo_through_forward(fwd_port, b"hello-guest");
    assert_eq!(
        got.as_deref(),
        Some(&b"hello-guest"[..]),
        "echo through the forward"
    );
    vm.wait_serial("NET udp in \"hello-guest\"", Duration::from_secs(30));
    let c = vm.api().cmd("counters");
    let nic = &c["result"]["nics"][0];
    assert!(
        nic["rx_frames"].as_u64().unwrap() >= 2 && nic["tx_frames"].as_u64().unwrap() >= 2,
        "{c}"
    );
    vm.api().cmd("kill");
}

#[test]
fn kill_9_right_after_a_guest_flush_loses_nothing() {
    if !kvm_or_skip("kill_9_right_after_a_guest_flush_loses_nothing")
        || !tool_or_skip("qemu-img", "qemu-img", "apt-get install qemu-utils")
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (img, mut spec) = qcow2_spec(dir.path(), "blk");
    spec.cmdline.push_str(" vmdesk.blk_sector=4096");
    let mut vm = Vm::start("blkkill", &spec);
    vm.wait_serial("BLK flush ok", BOOT_TIMEOUT);
    // No clean-up of any kind: the VMM dies the instant the guest's flush completed.
    let _ = vm.child.kill();
    vm.child.wait().unwrap();
    assert_eq!(
        host_bytes(&img, dir.path(), 4096),
        blk_pattern(4096),
        "flushed data lost"
    );
    qemu_img_check(&img);
}

#[test]
fn disk_counters_match_what_the_guest_moved_and_cpu_time_rises() {
    if !kvm_or_skip("disk_counters_match_what_the_guest_moved_and_cpu_time_rises") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("disk.raw");
    std::fs::write(&img, vec![0u8; 4 << 20]).unwrap();
    // blk: one 32 KiB write, a flush, one 32 KiB read; then it ticks so the VM stays up.
    let mut spec = GuestSpec::test("blk vmdesk.then=tick");
    spec.extra_toml = format!(
        "\n[[disks]]\npath = \"{}\"\nformat = \"raw\"\n",
        img.display()
    );
    let mut vm = Vm::start("blkcount", &spec);
    let log = vm.wait_serial("TICK 1\n", BOOT_TIMEOUT);
    assert!(
        log.contains("BLK flush ok") && log.contains("BLK read ok"),
        "{log}"
    );
    let mut api = vm.api();
    let c1 = api.cmd("counters")["result"].clone();
    let disk = &c1["disks"][0];
    assert_eq!(disk["write_bytes"], 32768, "{c1}");
    assert_eq!(disk["read_bytes"], 32768, "{c1}");
    // The guest's limits allow 32 KiB per request: one of each.
    assert_eq!(disk["write_requests"], 1, "{c1}");
    assert_eq!(disk["read_requests"], 1, "{c1}");
    assert_eq!(disk["flushes"], 1, "{c1}");
    assert_eq!(disk["io_errors"], 0, "{c1}");
    assert_eq!(c1["disks"].as_array().unwrap().len(), 1);
    assert_eq!(c1["guest_memory_bytes"], 64u64 << 20);
    let rss = c1["rss_bytes"].as_u64().unwrap();
    assert!(rss > 1 << 20, "RSS {rss}");

    // The guest keeps ticking (port writes, each an exit): its vCPU thread and the process
    // use CPU time.
    let u = |c: &serde_json::Value, k: &str| c[k].as_u64().unwrap();
    let ticks_at = |log: &str| log.matches("TICK ").count();
    let before = ticks_at(&vm.serial_log());
    vm.wait_serial(&format!("TICK {}\n", before + 3), BOOT_TIMEOUT);
    let c2 = api.cmd("counters")["result"].clone();
    let vcpu = |c: &serde_json::Value| c["vcpu_cpu_us"][0].as_u64().unwrap();
    let process = |c: &serde_json::Value| u(c, "process_user_us") + u(c, "process_system_us");
    assert!(
        vcpu(&c2) > vcpu(&c1),
        "vCPU time {} → {}",
        vcpu(&c1),
        vcpu(&c2)
    );
    assert!(
        process(&c2) > process(&c1),
        "process time {} → {}",
        process(&c1),
        process(&c2)
    );
    // The process includes its vCPU threads (read first; 1 ms for rounding of the two clocks).
    assert!(process(&c2) + 1000 >= vcpu(&c2), "{c2}");
    assert!(u(&c2, "started_unix_ms") > 0);
    assert_eq!(c2["started_unix_ms"], c1["started_unix_ms"]);
    // Nothing touched the disk since.
    assert_eq!(c2["disks"], c1["disks"]);
    api.cmd("kill");
    vm.wait_exit(Duration::from_secs(10));
}

/// Sends `msg` to the host end of a UDP forward until the guest's echo comes back (each
/// backend drops what arrives before it has learnt where the guest is). Read with recv_from on
/// an unconnected socket: passt may answer from another local port.
fn echo_through_forward(fwd_port: u16, msg: &[u8]) -> Option<Vec<u8>> {
    let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    for _ in 0..20 {
        s.send_to(msg, ("127.0.0.1", fwd_port)).unwrap();
        let mut buf = [0u8; 64];
        if let Ok((n, _)) = s.recv_from(&mut buf) {
            return Some(buf[..n].to_vec());
        }
    }
    None
}

/// A VM with a NIC through a snapshot: the network backend keeps no state in a snapshot (neither
/// passt nor libslirp can hand theirs over), so what must hold is that the guest's network works
/// again: after a live revert (same backend) and after `--restore` in a new process (a fresh
/// backend, its forwards set up again), a datagram through the forward reaches the guest's
/// listener and its echo comes back.
fn network_works_after_revert_and_restore(test: &str, backend: &str) {
    let fwd_port = free_udp_port();
    // The guest pings a UDP echo service on the host's loopback once at start and wants the answer.
    let echo_port = udp_echo_service();
    let expect_echo = |msg: &str, when: &str| {
        assert_eq!(
            echo_through_forward(fwd_port, msg.as_bytes()).as_deref(),
            Some(msg.as_bytes()),
            "{backend}: echo through the forward {when}"
        );
    };
    let mut spec = GuestSpec::test("net");
    spec.cmdline
        .push_str(&format!(" vmdesk.udp_port={echo_port}"));
    spec.extra_toml = format!(
        "\n[[nics]]\nbackend = \"{backend}\"\nforwards = [{{ proto = \"udp\", host_port = {fwd_port}, guest_port = 7 }}]\n"
    );
    let mut vm = Vm::start(test, &spec);
    vm.wait_serial("NET listen udp port=7", BOOT_TIMEOUT);
    expect_echo("before", "before the snapshot");
    let mut api = vm.api();
    let r = api.call(serde_json::json!({"cmd": "snapshot-create", "name": "net"}));
    assert_eq!(r["ok"], true, "{r}");
    let id = r["result"]["id"].as_str().unwrap().to_string();
    let r = api.call(serde_json::json!({"cmd": "snapshot-revert", "snapshot": id}));
    assert_eq!(r["ok"], true, "{r}");
    expect_echo("after-revert", "after a live revert");
    vm.wait_serial("NET udp in \"after-revert\"", Duration::from_secs(30));
    api.cmd("kill");
    drop(api);
    let _ = vm.child.wait();
    vm.restore(&id);
    // The API answers once the restore is done.
    let mut api = Api::connect(&vm.socket(), BOOT_TIMEOUT);
    assert_eq!(api.cmd("status")["ok"], true);
    expect_echo(
        "after-restore",
        "of a new process restored from the snapshot",
    );
    vm.wait_serial("NET udp in \"after-restore\"", Duration::from_secs(30));
    api.cmd("kill");
}

/// A UDP echo service on the host's loopback (the guest reaches it as 192.0.2.1); its port.
fn udp_echo_service() -> u16 {
    let echo = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = echo.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1500];
        while let Ok((n, from)) = echo.recv_from(&mut buf) {
            let _ = echo.send_to(&buf[..n], from);
        }
    });
    port
}

fn free_udp_port() -> u16 {
    let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    s.local_addr().unwrap().port()
}

#[test]
fn a_vm_on_libslirp_talks_through_its_forward_after_a_revert_and_a_restore() {
    let test = "a_vm_on_libslirp_talks_through_its_forward_after_a_revert_and_a_restore";
    if !kvm_or_skip(test) {
        return;
    }
    if let Err(e) = vmm_core::net::slirp::available() {
        let msg =
            format!("skipped: {test}: libslirp not installed (apt-get install libslirp0): {e}");
        assert!(
            std::env::var_os("VMDESK_REQUIRE_TOOLS").is_none(),
            "{msg} (VMDESK_REQUIRE_TOOLS is set)"
        );
        eprintln!("{msg}");
        return;
    }
    network_works_after_revert_and_restore("net-snap-slirp", "slirp");
}

#[test]
fn a_vm_on_passt_talks_through_its_forward_after_a_revert_and_a_restore() {
    let test = "a_vm_on_passt_talks_through_its_forward_after_a_revert_and_a_restore";
    if !kvm_or_skip(test) || !tool_or_skip("passt", "passt", "apt-get install passt") {
        return;
    }
    network_works_after_revert_and_restore("net-snap-passt", "passt");
}
