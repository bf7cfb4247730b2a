//! The command line through clap (builder API, so the help can be the translated `cli-help`):
//! words in, an [`Args`] out. clap does the strict parts — `--opt value` and `--opt=value`,
//! `--` ending the options, a value that looks like an option is no value, a flag takes no
//! value, an option given twice is an error — and its errors are turned into our translated
//! messages here.

use super::{Args, Command, CreateArgs, LabCommand, SnapshotCommand};
use crate::t;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, ArgMatches, ValueHint};
use std::path::PathBuf;

/// A command's words: its operands (value names; required unless marked optional), options
/// taking a value (name, value name) and flags.
struct Spec {
    name: &'static str,
    operands: &'static [(&'static str, bool)],
    options: &'static [(&'static str, &'static str)],
    flags: &'static [&'static str],
}

const fn vm_only(name: &'static str) -> Spec {
    Spec {
        name,
        operands: &[("VM", true)],
        options: &[],
        flags: &[],
    }
}

/// Every command, in the order of the help.
const COMMANDS: &[Spec] = &[
    Spec {
        name: "list",
        operands: &[],
        options: &[],
        flags: &[],
    },
    Spec {
        name: "create",
        operands: &[("NAME", true)],
        options: &[
            ("kernel", "FILE"),
            ("iso", "FILE"),
            ("boot-disk", "IMAGE"),
            ("initrd", "FILE"),
            ("cmdline", "TEXT"),
            ("vcpus", "N"),
            ("memory", "MIB"),
            ("display", "WxH"),
            ("disk-size", "GIB"),
            ("disk", "IMAGE"),
            ("firmware", "uefi|bios"),
        ],
        flags: &[
            "linked",
            "copy",
            "read-only",
            "network",
            "no-display",
            "allow-backing",
        ],
    },
    Spec {
        name: "detect",
        operands: &[("FILE", true)],
        options: &[],
        flags: &[],
    },
    Spec {
        name: "clone",
        operands: &[("VM", true), ("NAME", true)],
        options: &[],
        flags: &["full"],
    },
    Spec {
        name: "delete",
        operands: &[("VM", true)],
        options: &[],
        flags: &["keep-disks"],
    },
    vm_only("status"),
    Spec {
        name: "start",
        operands: &[("VM", true)],
        options: &[],
        flags: &["throwaway"],
    },
    vm_only("stop"),
    vm_only("kill"),
    vm_only("restart"),
    vm_only("pause"),
    vm_only("resume"),
    vm_only("console"),
    Spec {
        name: "snapshot",
        operands: &[("VM", true)],
        options: &[("name", "NAME"), ("description", "TEXT")],
        flags: &[],
    },
    vm_only("snapshots"),
    Spec {
        name: "revert",
        operands: &[("VM", true), ("SNAPSHOT", true)],
        options: &[],
        flags: &[],
    },
    Spec {
        name: "screenshot",
        operands: &[("VM", true), ("FILE", true)],
        options: &[],
        flags: &[],
    },
    Spec {
        name: "cdrom",
        operands: &[("VM", true), ("ACTION", true), ("FILE", false)],
        options: &[("drive", "N")],
        flags: &[],
    },
    Spec {
        name: "inspect",
        operands: &[("VM", true)],
        options: &[],
        flags: &["exits"],
    },
    Spec {
        name: "compare",
        operands: &[("VM", false)],
        options: &[("initramfs", "FILE")],
        flags: &[],
    },
    Spec {
        name: "lab",
        operands: &[("LAB-ACTION", true), ("VM", true)],
        options: &[("count", "N"), ("prefix", "P")],
        flags: &["all"],
    },
    Spec {
        name: "export",
        operands: &[("VM", true), ("FILE", false)],
        options: &[
            ("disk-image-url", "URL"),
            ("container-disk", "REF"),
            ("kernel-image", "REF"),
        ],
        flags: &["libvirt", "kubevirt"],
    },
    Spec {
        name: "import",
        operands: &[("FILE", true)],
        options: &[],
        flags: &[],
    },
    Spec {
        name: "completions",
        operands: &[("SHELL", true)],
        options: &[],
        flags: &[],
    },
];

/// clap's ids of the operands, in order (no command has more).
const OPERANDS: [&str; 3] = ["operand0", "operand1", "operand2"];

/// Whether `word` names a CLI command (anything else as a lone argument may be a file to open).
pub fn is_command(word: &str) -> bool {
    COMMANDS.iter().any(|c| c.name == word)
}

/// Operands and option values that name files: shells complete them as paths.
fn is_path(value_name: &str) -> bool {
    matches!(value_name, "FILE" | "IMAGE")
}

/// The whole command line as clap sees it; its help is the translated `cli-help`, and each
/// command's is that command's part of it.
pub fn command() -> clap::Command {
    let help = t!("cli-help");
    let mut root = clap::Command::new("vmdesk")
        .override_help(help.clone())
        .disable_version_flag(true)
        .disable_help_subcommand(true)
        .subcommand_required(true)
        .arg(
            Arg::new("json")
                .long("json")
                .global(true)
                .action(ArgAction::SetTrue),
        );
    for spec in COMMANDS {
        let mut c = clap::Command::new(spec.name)
            .override_help(command_help(&help, spec.name))
            // `--vcpus -1` is a bad number, not an unknown option `-1`.
            .allow_negative_numbers(true);
        for (i, (value, required)) in spec.operands.iter().enumerate() {
            let mut a = Arg::new(OPERANDS[i]).value_name(*value).required(*required);
            if is_path(value) {
                a = a.value_hint(ValueHint::FilePath);
            }
            if *value == "SHELL" {
                a = a.value_parser(["bash", "zsh", "fish"]);
            }
            if *value == "LAB-ACTION" {
                a = a.value_parser(["create", "reset", "list"]);
            }
            if *value == "ACTION" {
                a = a.value_parser(["eject", "insert"]);
            }
            c = c.arg(a);
        }
        for (name, value) in spec.options {
            let mut a = Arg::new(*name)
                .long(*name)
                .value_name(*value)
                .action(ArgAction::Set);
            if is_path(value) {
                a = a.value_hint(ValueHint::FilePath);
            }
            if *name == "firmware" {
                a = a.value_hint(ValueHint::Other);
            }
            c = c.arg(a);
        }
        for name in spec.flags {
            c = c.arg(Arg::new(*name).long(*name).action(ArgAction::SetTrue));
        }
        root = root.subcommand(c);
    }
    root
}

/// `cmd`'s part of the full help: the title, its usage lines and what follows the list
/// (operands, `--json`, exit statuses). A help without the command gives the whole help.
pub fn command_help(full: &str, cmd: &str) -> String {
    let lines: Vec<&str> = full.lines().collect();
    // Usage lines are indented; the title (also starting with "vmdesk") is not.
    let is_usage = |l: &&str| l.starts_with(' ') && l.trim_start().starts_with("vmdesk");
    let Some(start) = lines.iter().position(is_usage) else {
        return full.to_string();
    };
    let end = lines[start..]
        .iter()
        .position(|l| l.trim().is_empty())
        .map_or(lines.len(), |n| start + n);
    let mut part: Vec<&str> = Vec::new();
    let mut taking = false;
    for l in &lines[start..end] {
        if let Some(rest) = l
            .strip_prefix(' ')
            .map(str::trim_start)
            .and_then(|l| l.strip_prefix("vmdesk"))
        {
            taking = rest.split_whitespace().next() == Some(cmd);
        }
        if taking {
            part.push(l);
        }
    }
    if part.is_empty() {
        return full.to_string();
    }
    let mut out: Vec<&str> = lines[..start].to_vec();
    out.extend(part);
    out.extend(&lines[end..]);
    let mut s = out.join("\n");
    s.push('\n');
    s
}

/// Parses the arguments after the program name. `--help` anywhere gives [`Command::Help`] with
/// the help of the command it follows.
pub fn parse(args: &[String]) -> Result<Args, String> {
    let words = std::iter::once("vmdesk").chain(args.iter().map(String::as_str));
    let m = match command().try_get_matches_from(words) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::DisplayHelp => {
            return Ok(Args {
                command: Command::Help(e.render().to_string()),
                json: false,
            })
        }
        Err(e) => return Err(explain(&e, args)),
    };
    let Some((name, sm)) = m.subcommand() else {
        return Err(t!("cli-missing-command"));
    };
    let json = sm.get_flag("json");
    let operand = |i: usize| {
        sm.get_one::<String>(OPERANDS[i])
            .cloned()
            .unwrap_or_default()
    };
    let vm = || operand(0);
    let command = match name {
        "list" => Command::List,
        "status" => Command::Status { vm: vm() },
        "start" => Command::Start {
            vm: vm(),
            throwaway: sm.get_flag("throwaway"),
        },
        "stop" => Command::Stop { vm: vm() },
        "kill" => Command::Kill { vm: vm() },
        "restart" => Command::Restart { vm: vm() },
        "pause" => Command::Pause { vm: vm() },
        "resume" => Command::Resume { vm: vm() },
        "console" => Command::Console { vm: vm() },
        "create" => Command::Create(Box::new(create_args(sm, operand(0))?)),
        "compare" => Command::Compare {
            vm: sm.get_one::<String>(OPERANDS[0]).cloned(),
            initramfs: opt(sm, "initramfs").map(PathBuf::from),
        },
        "detect" => Command::Detect {
            file: PathBuf::from(operand(0)),
        },
        "clone" => Command::Clone {
            vm: vm(),
            name: operand(1),
            full: sm.get_flag("full"),
        },
        "delete" => Command::Delete {
            vm: vm(),
            keep_disks: sm.get_flag("keep-disks"),
        },
        "snapshot" => Command::Snapshot(SnapshotCommand::Take {
            vm: vm(),
            name: opt(sm, "name").unwrap_or_default(),
            description: opt(sm, "description").unwrap_or_default(),
        }),
        "snapshots" => Command::Snapshot(SnapshotCommand::List { vm: vm() }),
        "revert" => Command::Snapshot(SnapshotCommand::Revert {
            vm: vm(),
            snapshot: operand(1),
        }),
        "screenshot" => Command::Screenshot {
            vm: vm(),
            file: PathBuf::from(operand(1)),
        },
        "cdrom" => {
            let (action, file) = (operand(1), operand(2));
            let insert = match (action.as_str(), file.is_empty()) {
                ("eject", true) => None,
                ("insert", false) => Some(PathBuf::from(file)),
                _ => return Err(t!("cli-cdrom-usage")),
            };
            Command::Cdrom {
                vm: vm(),
                drive: opt(sm, "drive").unwrap_or_else(|| "0".into()),
                insert,
            }
        }
        "inspect" => Command::Inspect {
            vm: vm(),
            exits: sm.get_flag("exits"),
        },
        "lab" => Command::Lab(lab_command(sm, &operand(0), operand(1))?),
        "export" => Command::Export {
            vm: vm(),
            format: export_format(sm)?,
            file: sm.get_one::<String>(OPERANDS[1]).map(PathBuf::from),
        },
        "import" => Command::Import {
            file: PathBuf::from(operand(0)),
        },
        "completions" => Command::Completions { shell: operand(0) },
        other => return Err(t!("cli-unknown-command", command = other)),
    };
    Ok(Args { command, json })
}

/// `lab create TEMPLATE --count N [--prefix P]`, `lab reset VM | --all TEMPLATE`,
/// `lab list TEMPLATE`: options that belong to another action are errors, not ignored.
fn lab_command(m: &ArgMatches, action: &str, vm: String) -> Result<LabCommand, String> {
    let count = opt(m, "count");
    let prefix = opt(m, "prefix");
    let all = m.get_flag("all");
    let stray = |option: &str| Err(t!("cli-lab-option", option = option, action = action));
    match action {
        "create" if all => stray("--all"),
        "create" => Ok(LabCommand::Create {
            template: vm,
            count: count.ok_or_else(|| t!("cli-lab-count-missing"))?,
            prefix: prefix.unwrap_or_else(|| t!("lab-default-prefix")),
        }),
        _ if count.is_some() => stray("--count"),
        _ if prefix.is_some() => stray("--prefix"),
        "reset" => Ok(LabCommand::Reset { vm, all }),
        _ if all => stray("--all"),
        _ => Ok(LabCommand::List { template: vm }),
    }
}

/// `--libvirt` or `--kubevirt` (one), and the KubeVirt options only with the latter.
fn export_format(m: &ArgMatches) -> Result<super::export::Format, String> {
    let (libvirt, kubevirt) = (m.get_flag("libvirt"), m.get_flag("kubevirt"));
    if libvirt == kubevirt {
        return Err(t!("cli-export-one-format"));
    }
    let opts = crate::data::export::kubevirt::Options {
        disk_image_url: opt(m, "disk-image-url"),
        container_disk: opt(m, "container-disk"),
        kernel_image: opt(m, "kernel-image"),
    };
    if opts.disk_image_url.is_some() && opts.container_disk.is_some() {
        return Err(t!(
            "cli-options-conflict",
            first = "--disk-image-url",
            second = "--container-disk"
        ));
    }
    if libvirt {
        let given = [
            ("--disk-image-url", opts.disk_image_url.is_some()),
            ("--container-disk", opts.container_disk.is_some()),
            ("--kernel-image", opts.kernel_image.is_some()),
        ];
        if let Some((option, _)) = given.iter().find(|(_, g)| *g) {
            return Err(t!(
                "cli-option-needs",
                option = option.to_string(),
                needs = "--kubevirt"
            ));
        }
        return Ok(super::export::Format::Libvirt);
    }
    Ok(super::export::Format::Kubevirt(opts))
}

fn opt(m: &ArgMatches, name: &str) -> Option<String> {
    m.get_one::<String>(name).cloned()
}

fn create_args(m: &ArgMatches, name: String) -> Result<CreateArgs, String> {
    // Exactly one way to boot: which one decides the rest of the options.
    let boots = ["kernel", "iso", "boot-disk"];
    if boots
        .iter()
        .filter(|b| m.contains_id(b) && opt(m, b).is_some())
        .count()
        != 1
    {
        return Err(t!("cli-create-one-boot"));
    }
    let path = |n: &str| opt(m, n).map(PathBuf::from);
    Ok(CreateArgs {
        name,
        kernel: path("kernel"),
        iso: path("iso"),
        boot_disk: path("boot-disk"),
        initrd: path("initrd"),
        cmdline: opt(m, "cmdline"),
        vcpus: opt(m, "vcpus"),
        memory: opt(m, "memory"),
        display: opt(m, "display"),
        disk_size: opt(m, "disk-size"),
        disk: path("disk"),
        linked: m.get_flag("linked"),
        read_only: m.get_flag("read-only"),
        network: m.get_flag("network"),
        copy: m.get_flag("copy"),
        firmware: opt(m, "firmware"),
        no_display: m.get_flag("no-display"),
        allow_backing: m.get_flag("allow-backing"),
    })
}

/// clap's error as one of our translated messages. `args` tell which command it was about.
fn explain(e: &clap::Error, args: &[String]) -> String {
    let context = |kind: ContextKind| match e.get(kind) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.first().cloned().unwrap_or_default(),
        _ => String::new(),
    };
    // clap names an option with its value ("--vcpus <N>"): the option alone is clearer.
    let arg = context(ContextKind::InvalidArg);
    let option = arg.split_whitespace().next().unwrap_or("").to_string();
    let command = args
        .iter()
        .find(|a| !a.starts_with('-'))
        .cloned()
        .unwrap_or_default();
    let after_dashes = |word: &str| {
        args.iter()
            .position(|a| a == "--")
            .is_some_and(|i| args[i + 1..].iter().any(|a| a == word))
    };
    match e.kind() {
        ErrorKind::InvalidSubcommand => t!(
            "cli-unknown-command",
            command = context(ContextKind::InvalidSubcommand)
        ),
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            t!("cli-missing-command")
        }
        // After `--` every word is an operand, even one that looks like an option.
        ErrorKind::UnknownArgument if option.starts_with('-') && !after_dashes(&option) => {
            t!("cli-unknown-option", option = option)
        }
        ErrorKind::UnknownArgument => t!("cli-extra-args"),
        // clap names the first missing operand; a VM gets its own message.
        ErrorKind::MissingRequiredArgument if arg == "<VM>" => {
            t!("cli-missing-vm", command = command)
        }
        ErrorKind::MissingRequiredArgument => t!("cli-missing-arg", command = command),
        ErrorKind::InvalidValue if context(ContextKind::InvalidValue).is_empty() => {
            t!("cli-missing-value", option = option)
        }
        ErrorKind::InvalidValue if arg == "<ACTION>" => t!("cli-cdrom-usage"),
        ErrorKind::InvalidValue => t!(
            "cli-bad-value",
            option = arg.trim_matches(['<', '>']),
            value = context(ContextKind::InvalidValue),
            valid = match e.get(ContextKind::ValidValue) {
                Some(ContextValue::Strings(v)) => v.join(", "),
                _ => String::new(),
            }
        ),
        ErrorKind::ArgumentConflict => t!("cli-repeated-option", option = option),
        ErrorKind::TooManyValues => t!("cli-flag-takes-no-value", option = option),
        // Anything else (rare): clap's own words, without its "error: " prefix.
        _ => e
            .render()
            .to_string()
            .trim()
            .trim_start_matches("error: ")
            .to_string(),
    }
}

/// `1024x768` → (1024, 768).
pub fn parse_size(s: &str) -> Option<(u32, u32)> {
    let (w, h) = s.split_once(['x', 'X'])?;
    let (w, h) = (w.trim().parse().ok()?, h.trim().parse().ok()?);
    (w > 0 && h > 0).then_some((w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(w: &[&str]) -> Result<Args, String> {
        parse(&w.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn compare_takes_an_optional_vm_and_initramfs() {
        crate::testing::english();
        assert_eq!(
            p(&["compare"]).unwrap().command,
            Command::Compare {
                vm: None,
                initramfs: None
            }
        );
        let a = p(&["compare", "tg", "--initramfs", "r.cpio.gz", "--json"]).unwrap();
        assert!(a.json);
        assert_eq!(
            a.command,
            Command::Compare {
                vm: Some("tg".into()),
                initramfs: Some(PathBuf::from("r.cpio.gz"))
            }
        );
        assert!(p(&["compare", "a", "b"]).is_err());
    }

    /// The table and the match in `parse` name the commands twice: every row must give a
    /// command, or that command would be reported as unknown.
    #[test]
    fn every_command_in_the_table_parses() {
        crate::testing::english();
        command().debug_assert();
        for spec in COMMANDS {
            let mut words = vec![spec.name.to_string()];
            for (i, (value, required)) in spec.operands.iter().enumerate() {
                if *required {
                    words.push(match *value {
                        "SHELL" => "bash".into(),
                        "ACTION" => "eject".into(),
                        "LAB-ACTION" => "list".into(),
                        _ => format!("x{i}"),
                    });
                }
            }
            if spec.name == "create" {
                words.extend(["--kernel".to_string(), "/k".to_string()]);
            }
            if spec.name == "export" {
                words.push("--libvirt".to_string());
            }
            let words: Vec<&str> = words.iter().map(String::as_str).collect();
            assert!(p(&words).is_ok(), "{words:?}: {:?}", p(&words));
            assert!(is_command(spec.name));
        }
        assert!(!is_command("installer.iso"));
    }

    #[test]
    fn cdrom_takes_eject_or_insert_with_a_file() {
        crate::testing::english();
        assert_eq!(
            p(&["cdrom", "pc", "eject"]).unwrap().command,
            Command::Cdrom {
                vm: "pc".into(),
                drive: "0".into(),
                insert: None
            }
        );
        assert_eq!(
            p(&["cdrom", "pc", "insert", "d.iso", "--drive", "1"])
                .unwrap()
                .command,
            Command::Cdrom {
                vm: "pc".into(),
                drive: "1".into(),
                insert: Some("d.iso".into())
            }
        );
        for bad in [
            &["cdrom", "pc", "insert"][..],
            &["cdrom", "pc", "eject", "x"],
            &["cdrom", "pc", "open"],
        ] {
            assert!(p(bad).is_err(), "{bad:?}");
        }
    }

    /// The old hand-written parser's known bugs, each now a clear error (or the help).
    #[test]
    fn the_old_parsers_bugs_are_gone() {
        crate::testing::english();
        // `list --help` is the help, not "--help needs a value"; a command's help is its part.
        let Command::Help(h) = p(&["list", "--help"]).unwrap().command else {
            panic!("no help")
        };
        assert!(
            h.contains("vmdesk list") && !h.contains("vmdesk start"),
            "{h}"
        );
        assert!(h.contains("--json"), "the common part is there too: {h}");
        // `--` ends the options: a VM may be named like one.
        assert_eq!(
            p(&["start", "--", "--odd"]).unwrap().command,
            Command::Start {
                vm: "--odd".into(),
                throwaway: false
            }
        );
        // A value that looks like an option is no value.
        let e = p(&["create", "x", "--kernel", "--vcpus", "2"]).unwrap_err();
        assert_eq!(e, "--kernel needs a value");
        // Flags take no value.
        let e = p(&["create", "x", "--kernel", "/k", "--linked=no"]).unwrap_err();
        assert!(e.contains("--linked") && e.contains("no value"), "{e}");
        // An option twice is an error, not "the last one wins".
        let e = p(&[
            "create", "x", "--kernel", "/k", "--vcpus", "1", "--vcpus", "2",
        ])
        .unwrap_err();
        assert!(e.contains("--vcpus") && e.contains("twice"), "{e}");
        // Completions: bash, zsh or fish.
        assert!(p(&["completions", "bash"]).is_ok());
        let e = p(&["completions", "tcsh"]).unwrap_err();
        assert!(e.contains("tcsh") && e.contains("bash, zsh, fish"), "{e}");
    }

    #[test]
    fn errors_are_ours_and_name_what_is_wrong() {
        crate::testing::english();
        assert_eq!(p(&[]).unwrap_err(), "no command given");
        assert_eq!(p(&["--json"]).unwrap_err(), "no command given");
        assert_eq!(p(&["explode"]).unwrap_err(), "unknown command “explode”");
        assert_eq!(p(&["list", "--fast"]).unwrap_err(), "unknown option --fast");
        assert_eq!(p(&["kill", "a", "b"]).unwrap_err(), "too many arguments");
        assert_eq!(p(&["start"]).unwrap_err(), "“start” needs a VM id or name");
        assert_eq!(
            p(&["revert", "web"]).unwrap_err(),
            "“revert” needs one more argument (see vmdesk --help)"
        );
        assert!(
            p(&["--json", "list"]).unwrap().json,
            "--json before the command"
        );
    }

    /// Each command's `--help` is its part of the translated help: every language's help must
    /// have a usage line for every command (else that command's help would be the whole text).
    #[test]
    fn every_language_has_every_commands_help() {
        for lang in ["en", "de", "es", "fr"] {
            let text = std::fs::read_to_string(format!(
                "{}/../i18n/{lang}/vmdesk.ftl",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap();
            // The message as Fluent gives it: its lines without the 4-space indent.
            let help: String = text
                .lines()
                .skip_while(|l| !l.starts_with("cli-help ="))
                .skip(1)
                .take_while(|l| l.is_empty() || l.starts_with(' '))
                .map(|l| format!("{}\n", l.get(4..).unwrap_or("")))
                .collect();
            for spec in COMMANDS {
                let part = command_help(&help, spec.name);
                assert!(
                    part != help && part.contains(&format!("vmdesk {}", spec.name)),
                    "{lang}: no usage line for {}",
                    spec.name
                );
            }
        }
    }

    /// A closed pipe is an error `Out` can act on (exit quietly), never a panic.
    #[test]
    fn writing_to_a_closed_pipe_is_an_error_not_a_panic() {
        let mut fds = [0; 2];
        // SAFETY: `fds` is a valid array of two ints for pipe(2) to fill.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        // SAFETY: both are our own new descriptors; the read end is closed, the write end is
        // owned by the File from here on.
        let mut w = unsafe {
            libc::close(fds[0]);
            <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fds[1])
        };
        let e = super::super::write_line(&mut w, "nobody reads this").unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe);
    }
}
