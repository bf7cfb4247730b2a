//! The command line: `vmdesk list|create|clone|delete|start|stop|kill|pause|resume|status|console|
//! snapshot|snapshots|revert|screenshot|cdrom|inspect|export|import ...` (`vmdesk --help`), each with `--json`.
//!
//! [`parse`] turns the words into a [`Command`]; [`run`] hands it to its one function:
//! `library` (create, clone, delete), `vm` (list, state, power, console, screenshot) and
//! `snapshot` (take, list, revert).

mod compare;
pub mod export;
#[cfg(test)]
mod export_tests;
mod inspect;
mod install;
mod lab;
#[cfg(test)]
mod lab_tests;
mod library;
mod parse;
mod snapshot;
#[cfg(test)]
mod tests;
mod vm;

use crate::data::client::{ClientError, SocketClient, VmmClient};
use crate::data::paths::Paths;
use crate::data::store::{self, VmEntry};
use crate::t;
use std::path::PathBuf;
use std::sync::Arc;
use vmm_core::api::{ErrorCode, Kill, Pause, Resume};

pub use parse::{is_command, parse};

/// The help of the command `args` name (as far as they can be read), else the whole help:
/// shown after a command-line error.
pub fn help_for(args: &[String]) -> String {
    match args.iter().find(|a| !a.starts_with('-')) {
        Some(cmd) if is_command(cmd) => parse::command_help(&help(), cmd),
        _ => help(),
    }
}

/// Prints `text` on stdout as is; a closed pipe (`vmdesk --help | head -0`) ends quietly.
pub fn print(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if out
        .write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .is_err()
    {
        std::process::exit(code::OK);
    }
}

/// `completions SHELL`: clap_complete's script for the command line as parsed.
fn completions(ctx: &Ctx, shell: &str) -> i32 {
    use clap_complete::Shell;
    let shell = match shell {
        "bash" => Shell::Bash,
        "zsh" => Shell::Zsh,
        "fish" => Shell::Fish,
        // The parser only lets these three through.
        other => {
            return ctx.out.fail(
                code::USAGE,
                "bad-argument",
                t!("cli-unknown-command", command = other),
            )
        }
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut parse::command(), "vmdesk", &mut script);
    ctx.out.say(String::from_utf8_lossy(&script).trim_end());
    code::OK
}

/// Exit statuses of the CLI.
pub mod code {
    pub const OK: i32 = 0;
    /// Something failed (I/O, the VMM, the API).
    pub const ERROR: i32 = 1;
    /// Bad command line.
    pub const USAGE: i32 = 2;
    /// No VM by that id or name.
    pub const NO_SUCH_VM: i32 = 3;
    /// The VM is not in a state that allows this (not running, already running, broken).
    pub const WRONG_STATE: i32 = 4;
    /// `stop`: the guest did not react to the ACPI power button.
    pub const NO_RESPONSE: i32 = 5;
    /// No snapshot by that id or name.
    pub const NO_SUCH_SNAPSHOT: i32 = 6;
}

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    pub command: Command,
    /// `--json`: machine-readable output, errors included (every command takes it).
    pub json: bool,
}

/// A CLI command. `vm` is a VM's id or name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    List,
    Create(Box<CreateArgs>),
    /// A linked clone named `name`, or a full copy with `--full`.
    Clone {
        vm: String,
        name: String,
        full: bool,
    },
    Delete {
        vm: String,
        keep_disks: bool,
    },
    Status {
        vm: String,
    },
    /// `--throwaway`: what the VM writes is discarded when it is off.
    Start {
        vm: String,
        throwaway: bool,
    },
    /// The ACPI power button.
    Stop {
        vm: String,
    },
    Kill {
        vm: String,
    },
    Restart {
        vm: String,
    },
    Pause {
        vm: String,
    },
    Resume {
        vm: String,
    },
    Console {
        vm: String,
    },
    Snapshot(SnapshotCommand),
    /// The screen to a PNG `file` (relative to the working directory).
    Screenshot {
        vm: String,
        file: PathBuf,
    },
    /// `detect FILE`: what an ISO or disk image holds and what a VM for it gets.
    Detect {
        file: PathBuf,
    },
    /// `inspect VM [--exits]`: the inspector's view, or the exit log.
    Inspect {
        vm: String,
        exits: bool,
    },
    /// `compare [VM] [--initramfs FILE]`: the busybox root as a container (and the VM, when
    /// named), measured side by side.
    Compare {
        vm: Option<String>,
        initramfs: Option<PathBuf>,
    },
    /// `export VM --libvirt|--kubevirt [FILE]`: stdout without a file.
    Export {
        vm: String,
        format: export::Format,
        file: Option<PathBuf>,
    },
    /// `import FILE`: a libvirt domain XML as a new VM.
    Import {
        file: PathBuf,
    },
    /// `completions bash|zsh|fish`: the shell's completion script.
    Completions {
        shell: String,
    },
    /// `--help` after a command: the text to print.
    Help(String),
    /// `lab create|reset|list`.
    Lab(LabCommand),
    /// `cdrom VM eject|insert [FILE] [--drive N]`: `file` is `Some` for insert.
    Cdrom {
        vm: String,
        drive: String,
        insert: Option<PathBuf>,
    },
}

/// `create NAME --kernel K|--iso F|--boot-disk F …` (exactly one of the three: the parser
/// checks). Values stay text here: a bad one is the command's failure (exit status 2, in JSON
/// with `--json`), not a command-line error followed by the help.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CreateArgs {
    pub name: String,
    /// A Linux kernel booted directly.
    pub kernel: Option<PathBuf>,
    /// An installer ISO: in a CD-ROM drive, with a new disk to install onto.
    pub iso: Option<PathBuf>,
    /// A disk image with a system on it (e.g. a cloud image) as disk 0.
    pub boot_disk: Option<PathBuf>,
    pub initrd: Option<PathBuf>,
    pub cmdline: Option<String>,
    pub vcpus: Option<String>,
    pub memory: Option<String>,
    /// `WIDTHxHEIGHT`.
    pub display: Option<String>,
    /// A new disk of this many GiB.
    pub disk_size: Option<String>,
    /// An existing image.
    pub disk: Option<PathBuf>,
    pub linked: bool,
    pub read_only: bool,
    pub network: bool,
    /// `--boot-disk` copied into the VM's folder.
    pub copy: bool,
    /// `uefi` or `bios` (`--iso`, `--boot-disk`).
    pub firmware: Option<String>,
    pub no_display: bool,
    /// Backing files of `--disk`/`--boot-disk` outside the image's folder are used (the user
    /// saw the chain and confirms; recorded in vm.toml).
    pub allow_backing: bool,
}

/// Lab mode: a template VM's student copies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabCommand {
    /// `count` stays text: a bad one is the command's failure, with the reason.
    Create {
        template: String,
        count: String,
        prefix: String,
    },
    /// One student, or with `all` every student of the template `vm`.
    Reset {
        vm: String,
        all: bool,
    },
    List {
        template: String,
    },
}

/// `snapshot`, `snapshots` and `revert`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotCommand {
    Take {
        vm: String,
        name: String,
        description: String,
    },
    List {
        vm: String,
    },
    /// `snapshot` is an id, or a name when exactly one complete snapshot has it.
    Revert {
        vm: String,
        snapshot: String,
    },
}

pub fn help() -> String {
    t!("cli-help")
}

/// Runs a CLI command; returns the process exit status.
pub fn run(paths: &Paths, args: &Args) -> i32 {
    run_with(paths, Arc::new(SocketClient::new(paths.clone())), args)
}

pub fn run_with(paths: &Paths, client: Arc<dyn VmmClient>, args: &Args) -> i32 {
    let ctx = Ctx {
        paths,
        client,
        out: Out {
            json: args.json,
            captured: None,
        },
        entries: store::list(paths),
    };
    dispatch(&ctx, args)
}

/// Like [`run_with`], but what `Out` prints (results and failures) is returned instead.
#[cfg(test)]
fn run_captured(paths: &Paths, client: Arc<dyn VmmClient>, args: &Args) -> (i32, String) {
    let ctx = Ctx {
        paths,
        client,
        out: Out {
            json: args.json,
            captured: Some(Default::default()),
        },
        entries: store::list(paths),
    };
    let code = dispatch(&ctx, args);
    (code, ctx.out.captured.unwrap_or_default().into_inner())
}

fn dispatch(ctx: &Ctx, args: &Args) -> i32 {
    // A throwaway run that ended while no vmdesk was there is discarded now.
    crate::data::lab::throwaway::mend_all(ctx.paths, ctx.client());
    match &args.command {
        Command::List => vm::list(ctx),
        Command::Create(c) => library::create(ctx, c),
        Command::Clone { vm, name, full } => library::clone(ctx, vm, name, *full),
        Command::Delete { vm, keep_disks } => library::delete(ctx, vm, *keep_disks),
        Command::Status { vm } => ctx.with_vm(vm, |e| vm::status(ctx, e)),
        Command::Start { vm, throwaway } => ctx.with_vm(vm, |e| {
            let throwaway = *throwaway
                || crate::data::settings::Settings::load(&ctx.paths.settings_file())
                    .is_throwaway(&e.id);
            if throwaway {
                if let Err(code) = lab::prepare_throwaway(ctx, e) {
                    return code;
                }
            }
            vm::start(ctx, e)
        }),
        Command::Lab(c) => lab::run(ctx, c),
        Command::Stop { vm } => ctx.with_vm(vm, |e| vm::stop(ctx, e)),
        Command::Kill { vm } => ctx.with_vm(vm, |e| vm::request(ctx, e, Kill {}.into())),
        Command::Restart { vm } => ctx.with_vm(vm, |e| vm::restart(ctx, e)),
        Command::Pause { vm } => ctx.with_vm(vm, |e| vm::request(ctx, e, Pause {}.into())),
        Command::Resume { vm } => ctx.with_vm(vm, |e| vm::request(ctx, e, Resume {}.into())),
        Command::Console { vm } => ctx.with_vm(vm, |e| vm::console(ctx, e)),
        Command::Screenshot { vm, file } => ctx.with_vm(vm, |e| vm::screenshot(ctx, e, file)),
        Command::Snapshot(s) => snapshot::run(ctx, s),
        Command::Detect { file } => install::detect(ctx, file),
        Command::Inspect { vm, exits } => ctx.with_vm(vm, |e| inspect::inspect(ctx, e, *exits)),
        Command::Compare { vm, initramfs } => {
            compare::compare(ctx, vm.as_deref(), initramfs.as_deref())
        }
        Command::Export { vm, format, file } => {
            ctx.with_vm(vm, |e| export::export(ctx, e, format, file.as_deref()))
        }
        Command::Import { file } => export::import(ctx, file),
        Command::Completions { shell } => completions(ctx, shell),
        Command::Help(text) => {
            ctx.out.say(text.trim_end());
            code::OK
        }
        Command::Cdrom { vm, drive, insert } => {
            ctx.with_vm(vm, |e| vm::cdrom(ctx, e, drive, insert.as_deref()))
        }
    }
}

/// What every command works with: the library as it was when the command began, the VMMs'
/// client and where the output goes.
struct Ctx<'a> {
    paths: &'a Paths,
    client: Arc<dyn VmmClient>,
    out: Out,
    entries: Vec<VmEntry>,
}

impl Ctx<'_> {
    fn client(&self) -> &dyn VmmClient {
        &*self.client
    }

    /// The VM by id, else by name (any case); `Err` is the exit status once "no such VM" is
    /// printed.
    fn find(&self, key: &str) -> Result<&VmEntry, i32> {
        self.entries
            .iter()
            .find(|e| e.id == key)
            .or_else(|| {
                self.entries
                    .iter()
                    .find(|e| e.name().to_lowercase() == key.to_lowercase())
            })
            .ok_or_else(|| {
                self.out.fail(
                    code::NO_SUCH_VM,
                    "no-such-vm",
                    t!("cli-no-such-vm", vm = key),
                )
            })
    }

    /// Runs `f` on the VM named by `key` if its settings can be read: anything that starts or
    /// talks to its VMM needs them.
    fn with_vm(&self, key: &str, f: impl FnOnce(&VmEntry) -> i32) -> i32 {
        let e = match self.find(key) {
            Ok(e) => e,
            Err(code) => return code,
        };
        match &e.config {
            Ok(_) => f(e),
            Err(err) => self.broken(e, err),
        }
    }

    fn broken(&self, e: &VmEntry, err: &str) -> i32 {
        self.out.fail(
            code::WRONG_STATE,
            "broken",
            t!("cli-broken", vm = e.id.as_str(), error = err),
        )
    }

    /// Prints what went wrong talking to VM `e`'s VMM; returns the exit status.
    fn client_error(&self, e: &VmEntry, err: ClientError) -> i32 {
        let id = e.id.as_str();
        match err {
            ClientError::NotRunning => self.out.fail(
                code::WRONG_STATE,
                "not-running",
                t!("cli-not-running", vm = id),
            ),
            ClientError::Api {
                code: c @ ErrorCode::InvalidState,
                message,
            } => self.out.fail(code::WRONG_STATE, c.as_str(), message),
            ClientError::Exited(info) => {
                let rec = crate::data::vms::exit_record(self.paths, Some(e), id, Some(info));
                let mut msg = t!(
                    "error-vmm-exited",
                    name = e.name(),
                    meaning = crate::data::vms::exit_meaning(&info)
                );
                for l in rec.log_tail.iter().chain(rec.serial_tail.iter()) {
                    msg.push_str("\n  ");
                    msg.push_str(l);
                }
                self.out.fail(code::ERROR, "exited", msg)
            }
            other => self.out.fail(code::ERROR, "error", other.to_string()),
        }
    }
}

/// Prints results and failures as text or, with `--json`, as JSON on stdout.
struct Out {
    json: bool,
    /// Tests read what would be printed (stdout and stderr in order) here.
    captured: Option<std::cell::RefCell<String>>,
}

impl Out {
    /// Prints a success: the JSON value, or the text (nothing when it is empty).
    fn done(&self, v: serde_json::Value, text: String) -> i32 {
        if self.json {
            self.line(&v.to_string(), false);
        } else if !text.is_empty() {
            self.line(&text, false);
        }
        code::OK
    }

    fn fail(&self, code: i32, kind: &str, message: String) -> i32 {
        if self.json {
            let v = serde_json::json!({"ok": false, "error": {"code": kind, "message": message}});
            self.line(&v.to_string(), false);
        } else {
            self.line(&format!("vmdesk: {message}"), true);
        }
        code
    }

    /// A line of the result on stdout.
    fn say(&self, s: impl std::fmt::Display) {
        self.line(&s.to_string(), false);
    }

    /// A line for the person on stderr (kept out of what a pipe reads).
    fn warn(&self, s: impl std::fmt::Display) {
        self.line(&s.to_string(), true);
    }

    fn line(&self, s: &str, to_stderr: bool) {
        let written = match &self.captured {
            Some(c) => {
                let mut c = c.borrow_mut();
                c.push_str(s);
                c.push('\n');
                Ok(())
            }
            None if to_stderr => write_line(&mut std::io::stderr().lock(), s),
            None => write_line(&mut std::io::stdout().lock(), s),
        };
        // The reader went away (`vmdesk list | head -1`): it wants no more, which is no
        // failure, and there is nobody to tell. Any other write error has nowhere to go either.
        if written.is_err() {
            std::process::exit(code::OK);
        }
    }
}

/// Writes `s` and a newline, flushed (so a closed pipe shows now, not at exit, where Rust's
/// `println!` would panic).
fn write_line(w: &mut impl std::io::Write, s: &str) -> std::io::Result<()> {
    writeln!(w, "{s}")?;
    w.flush()
}

/// A path as given, relative ones taken from the working directory.
fn absolute(p: &std::path::Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    }
}
