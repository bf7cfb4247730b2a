//! `vmdesk-vmm`: runs one VM described by a vmdesk VM config (TOML).

// Not eprintln!: it panics when vmm.log (stderr) cannot be written.
#![deny(clippy::print_stderr)]

use clap::Parser;
use std::io::Read;
use std::path::PathBuf;
use std::process::exit;
use vmm_core::api::exit_code;
use vmm_core::api_server;
use vmm_core::builder::VmSpec;
use vmm_core::config::VmConfig;
use vmm_core::display::vnc::{self, VncOptions};
use vmm_core::exit::ExitReason;
use vmm_core::host::{self, KvmFlavor};
use vmm_core::sandbox::{self, SeccompMode, ThreadKind};
use vmm_core::vmm::Vmm;

/// Runs one virtual machine on /dev/kvm.
///
/// Exit status: 0 the guest powered off; 1 VMM error; 2 bad command line or config;
/// 3 the guest asked for a reset (reboot); 4 the guest crashed; 5 killed through the API.
#[derive(Parser, Debug)]
#[command(name = "vmdesk-vmm", version, about, long_about)]
struct Args {
    /// The VM's config file (TOML). Relative paths inside it are taken from its folder, and the
    /// serial log is written there.
    #[arg(long, value_name = "FILE")]
    config: PathBuf,

    /// Folder for the control socket (control.sock, mode 0600).
    /// Default: $XDG_RUNTIME_DIR/vmdesk/<vm id>.
    #[arg(long, value_name = "DIR")]
    runtime_dir: Option<PathBuf>,

    /// Attach the guest's serial console to this terminal: guest output on stdout, typed keys
    /// go to the guest. Press Ctrl-A then x to stop the VM.
    #[arg(long)]
    console: bool,

    /// Only check the config against this host and exit (0 if it is valid).
    #[arg(long)]
    check: bool,

    /// Start from this snapshot (an id from the VM's snapshots folder) instead of booting.
    #[arg(long, value_name = "SNAPSHOT_ID")]
    restore: Option<String>,

    /// Seccomp filters on every thread: "on" (a forbidden syscall stops the VMM, naming the
    /// thread and syscall), "log" (the kernel logs it to dmesg and lets it through: for finding
    /// a missing syscall), "off".
    #[arg(
        long,
        value_name = "on|log|off",
        env = "VMDESK_SECCOMP",
        default_value = "on"
    )]
    seccomp: SeccompMode,

    /// A folder screenshots may be written to, besides the VM's folder and runtime folder
    /// (Landlock lets the VMM write nowhere else).
    #[arg(long, value_name = "DIR")]
    screenshot_dir: Option<PathBuf>,

    /// Do not confine file access with Landlock (which otherwise limits the VMM to its VM's
    /// folder, images, firmware, kernel and runtime folder).
    #[arg(long)]
    no_landlock: bool,
}

// The sandbox's SIGSYS reporter ends the process with the VMM-error status.
const _: () = assert!(sandbox::EXIT_STATUS == exit_code::VMM_ERROR);

fn fail(code: i32, msg: &str) -> ! {
    vmm_core::log_line!("vmdesk-vmm: {msg}");
    exit(code)
}

fn main() {
    let args = Args::parse();
    let config = VmConfig::load(&args.config)
        .unwrap_or_else(|e| fail(exit_code::BAD_CONFIG, &e.to_string()));
    let kvm = kvm_ioctls::Kvm::new().unwrap_or_else(|e| {
        fail(
            exit_code::VMM_ERROR,
            &format!("cannot open /dev/kvm: {e} (is KVM enabled and the user in group 'kvm'?)"),
        )
    });
    let flavor = KvmFlavor::detect();
    if let Some(w) = flavor.warning() {
        vmm_core::log_line!("vmdesk-vmm: warning: {w}");
    }
    let vm_dir = args
        .config
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    let mut errs = config
        .validate_in(&host::host_limits(&kvm), &vm_dir)
        .err()
        .unwrap_or_default();
    // The log's place depends on the VM's folder, which the config does not know.
    if let Some(log) = config.serial.log_path(&vm_dir) {
        errs.extend(vmm_core::config::validate::validate_log_file(&log).err());
    }
    if !errs.is_empty() {
        for mut e in errs {
            e.file = Some(args.config.clone());
            vmm_core::log_line!("vmdesk-vmm: {e}");
        }
        exit(exit_code::BAD_CONFIG);
    }
    drop(kvm);
    if args.check {
        println!("{}: ok", args.config.display());
        return;
    }

    let runtime_dir = args
        .runtime_dir
        .clone()
        .unwrap_or_else(|| api_server::default_runtime_dir(&config.id));
    let listener =
        api_server::bind(&runtime_dir).unwrap_or_else(|e| fail(exit_code::VMM_ERROR, &e));
    let socket = api_server::socket_path(&runtime_dir);
    // Before anything is built: the threads the builder starts confine themselves.
    let policy = policy_for(
        &config,
        &vm_dir,
        &runtime_dir,
        args.screenshot_dir.as_deref(),
        args.seccomp,
        !args.no_landlock,
    );
    match sandbox::init(&policy) {
        Ok(status) => vmm_core::log_line!("vmdesk-vmm: confinement: no_new_privs; {status}"),
        Err(e) => {
            let _ = std::fs::remove_file(&socket);
            fail(exit_code::VMM_ERROR, &format!("confinement: {e}"))
        }
    }
    let vm_dir_for_exit = vm_dir.clone();
    let vmm = Vmm::try_from(VmSpec {
        config,
        vm_dir,
        console: args.console,
    })
    .unwrap_or_else(|e| {
        let _ = std::fs::remove_file(&socket);
        fail(exit_code::VMM_ERROR, &e.to_string())
    });
    let handle = vmm.handle();
    // A firmware machine resets in place: its power-on state, before anything (a snapshot
    // restore, the API) touches it.
    let power_on = vmm_core::snapshot::power_on::capture(&handle).unwrap_or_else(|e| {
        let _ = std::fs::remove_file(&socket);
        fail(exit_code::VMM_ERROR, &e.to_string())
    });
    if power_on.is_some() {
        handle.exit.set_resets_in_place();
    }
    if let Some(id) = &args.restore {
        // Before the API serves anyone: nothing may reach devices the restore overwrites.
        if let Err(e) = vmm_core::snapshot::restore_at_start(&handle, id) {
            let _ = std::fs::remove_file(&socket);
            fail(
                exit_code::VMM_ERROR,
                &format!("restoring snapshot {id}: {e}"),
            );
        }
    }
    api_server::serve(listener, handle.clone());
    // The screen over VNC: always on a Unix socket next to the control socket; on loopback
    // TCP (password-protected) when the config asks. Kept alive for the life of the VM.
    let mut vnc_servers = Vec::new();
    if let (Some(display), Some(cfg)) = (&handle.display, &handle.config.display) {
        let opts = || VncOptions {
            vm_name: handle.config.name.clone(),
            ..Default::default()
        };
        match vnc::serve_unix(&runtime_dir.join("vnc.sock"), display.clone(), opts()) {
            Ok(s) => vnc_servers.push(s),
            Err(e) => vmm_core::log_line!(
                "vmdesk-vmm: warning: VNC on {}: {e}",
                runtime_dir.join("vnc.sock").display()
            ),
        }
        if let Some(port) = cfg.vnc_port {
            let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
            match vnc::serve_tcp(addr, cfg.vnc_password.clone(), display.clone(), opts()) {
                Ok(s) => vnc_servers.push(s),
                Err(e) => {
                    let _ = std::fs::remove_file(&socket);
                    fail(
                        exit_code::VMM_ERROR,
                        &format!("display.vnc_port: cannot listen on {addr}: {e}"),
                    )
                }
            }
        }
    }

    let term = if args.console {
        let saved = raw_terminal();
        let h = handle.clone();
        let _ = std::thread::Builder::new()
            .name("console-in".into())
            .spawn(move || {
                sandbox::confine(ThreadKind::ConsoleIn);
                console_input(h)
            });
        saved
    } else {
        None
    };

    // Everything main starts is running; from here it waits, resets, spawns vCPUs and ends.
    sandbox::confine(ThreadKind::Main);
    let reason = vmm.run_resetting(|h| match &power_on {
        Some(p) => vmm_core::snapshot::power_on::reset(h, p).map_err(|e| e.to_string()),
        None => Err("this machine cannot reset in place".into()),
    });
    // No destructors run at exit: remove the VNC socket ourselves (servers stay up till then).
    if !vnc_servers.is_empty() {
        let _ = std::fs::remove_file(runtime_dir.join("vnc.sock"));
    }
    restore_terminal(term);
    // For the app, which may not be our parent: why and when this VM last ended. Written
    // before the socket goes, so a client that sees the socket vanish finds it.
    let last = serde_json::json!({
        "code": reason.code(),
        "reason": reason.name(),
        "message": reason.to_string(),
        "ended_unix_ms": std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0),
    });
    let _ = vmm_core::util::write_atomic(
        &vm_dir_for_exit.join("last-exit.json"),
        last.to_string().as_bytes(),
    );
    let _ = std::fs::remove_file(&socket);
    match &reason {
        ExitReason::PowerOff => vmm_core::log_line!("vmdesk-vmm: {reason}"),
        _ => vmm_core::log_line!("vmdesk-vmm: {reason} (exit status {})", reason.code()),
    }
    exit(reason.code());
}

/// The policy for a VM: what `config` names, resolved against `vm_dir` as the builder does.
fn policy_for(
    config: &vmm_core::config::VmConfig,
    vm_dir: &std::path::Path,
    runtime_dir: &std::path::Path,
    screenshot_dir: Option<&std::path::Path>,
    seccomp: SeccompMode,
    landlock: bool,
) -> sandbox::Policy {
    use vmm_core::config::{BootSource, UEFI_VARS_TEMPLATE};
    let mut p = sandbox::Policy {
        seccomp,
        landlock,
        rw_dirs: vec![vm_dir.to_path_buf(), runtime_dir.to_path_buf()],
        rw_files: Vec::new(),
        ro_files: Vec::new(),
        ro_dirs: Vec::new(),
    };
    p.rw_dirs
        .extend(screenshot_dir.map(std::path::Path::to_path_buf));
    for d in &config.disks {
        let path = vmm_core::storage::config_path(d, vm_dir);
        // Backing files are opened again when a snapshot is reverted.
        if let Ok(info) = vmm_core::storage::image_info(&path) {
            p.ro_files.extend(info.backing_chain);
        }
        if d.read_only {
            p.ro_files.push(path);
        } else {
            p.rw_files.push(path);
        }
    }
    if let BootSource::Linux { kernel, initrd, .. } = &config.boot {
        p.ro_files.push(vm_dir.join(kernel));
        p.ro_files.extend(initrd.iter().map(|i| vm_dir.join(i)));
    }
    p.ro_files
        .extend(config.boot.firmware().map(|f| vm_dir.join(f)));
    p.ro_files
        .extend(config.boot.vga_rom().map(|f| vm_dir.join(f)));
    if let Some(vars) = config.boot.uefi_vars(vm_dir) {
        p.rw_files.push(vars);
        p.ro_files.push(UEFI_VARS_TEMPLATE.into());
    }
    if let Some(log) = config.serial.log_path(vm_dir) {
        p.rw_files.push(log);
    }
    // A disc changed at run time must come from a folder of the configured discs; elsewhere
    // the insert fails with a message that says so (api_server).
    for c in &config.cdroms {
        if let Some(path) = &c.path {
            let path = vm_dir.join(path);
            p.ro_dirs.extend(path.parent().map(|d| d.to_path_buf()));
            p.ro_files.push(path);
        }
    }
    // The inspector's and the counters' view of this process (/proc/self is a link to it).
    p.ro_dirs
        .push(PathBuf::from(format!("/proc/{}", std::process::id())));
    p
}

/// Copies the terminal's input to the guest's serial port; Ctrl-A x stops the VM.
fn console_input(h: std::sync::Arc<vmm_core::vmm::VmHandle>) {
    let mut stdin = std::io::stdin().lock();
    let mut buf = [0u8; 256];
    let mut saw_ctrl_a = false;
    loop {
        let n = match stdin.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let mut out = Vec::with_capacity(n);
        for &b in &buf[..n] {
            if saw_ctrl_a {
                saw_ctrl_a = false;
                match b {
                    b'x' | b'X' => {
                        h.exit.send(ExitReason::Killed);
                        return;
                    }
                    1 => out.push(1), // Ctrl-A Ctrl-A sends one Ctrl-A
                    _ => out.push(b),
                }
            } else if b == 1 {
                saw_ctrl_a = true;
            } else {
                out.push(b);
            }
        }
        let _ = h.serial_input(&out);
    }
}

/// Puts a terminal stdin in raw mode so keys (Ctrl-C too) reach the guest; returns the old mode.
fn raw_terminal() -> Option<libc::termios> {
    // SAFETY: plain termios calls on fd 0 with a zeroed, then filled, struct.
    unsafe {
        if libc::isatty(0) != 1 {
            return None;
        }
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(0, &mut t) != 0 {
            return None;
        }
        let saved = t;
        libc::cfmakeraw(&mut t);
        // Keep output post-processing so "\n" from the guest still returns the carriage.
        t.c_oflag |= libc::OPOST;
        libc::tcsetattr(0, libc::TCSANOW, &t);
        vmm_core::log_line!("vmdesk-vmm: serial console attached; Ctrl-A x stops the VM\r");
        Some(saved)
    }
}

fn restore_terminal(saved: Option<libc::termios>) {
    if let Some(t) = saved {
        // SAFETY: restores the attributes read by tcgetattr on the same fd.
        unsafe {
            libc::tcsetattr(0, libc::TCSANOW, &t);
        }
    }
}
