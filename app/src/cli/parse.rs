//! The hand-written command-line parser: words and `--options` in, an [`Args`] out.
//!
//! It works in two steps so that its rules stay those of the table below: the words are first
//! sorted into operands and options (any order, `--opt value`, `--opt=value`, flags), checked
//! against the command's table row, and only then turned into the typed [`Command`].

use super::{Args, Command, CreateArgs, SnapshotCommand};
use crate::t;
use std::path::PathBuf;

/// Commands: (name, operands after the VM, options taking a value).
const COMMANDS: &[(&str, usize, &[&str])] = &[
    ("list", 0, &[]),
    ("status", 1, &[]),
    ("start", 1, &[]),
    ("stop", 1, &[]),
    ("kill", 1, &[]),
    ("restart", 1, &[]),
    ("pause", 1, &[]),
    ("resume", 1, &[]),
    ("console", 1, &[]),
    (
        "create",
        1,
        &[
            "kernel",
            "iso",
            "boot-disk",
            "initrd",
            "cmdline",
            "vcpus",
            "memory",
            "display",
            "disk-size",
            "disk",
            "linked",
            "read-only",
            "network",
            "copy",
            "firmware",
            "no-display",
        ],
    ),
    ("detect", 1, &[]),
    ("clone", 2, &["full"]),
    ("delete", 1, &["keep-disks"]),
    ("snapshot", 1, &["name", "description"]),
    ("snapshots", 1, &[]),
    ("revert", 2, &[]),
    ("screenshot", 2, &[]),
    ("cdrom", 3, &["drive"]),
];

/// Options without a value (recorded with an empty one).
const FLAGS: &[&str] = &[
    "linked",
    "read-only",
    "network",
    "full",
    "keep-disks",
    "copy",
    "no-display",
];

/// Whether `word` names a CLI command (anything else as a lone argument may be a file to open).
pub fn is_command(word: &str) -> bool {
    COMMANDS.iter().any(|(c, _, _)| *c == word)
}

/// The words sorted but not yet typed: what the table's rules are checked on.
struct Words {
    /// The command and its operands.
    rest: Vec<String>,
    json: bool,
    /// `--option value` pairs, option without the dashes.
    opts: Vec<(String, String)>,
}

impl Words {
    /// An option's value; the last one wins when it is given twice.
    fn opt(&self, name: &str) -> Option<String> {
        self.opts
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    fn flag(&self, name: &str) -> bool {
        self.opts.iter().any(|(k, _)| k == name)
    }
}

/// Parses the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Args, String> {
    let words = sort(args)?;
    let command = check(&words)?;
    let json = words.json;
    // `check` made sure the command has all its operands.
    let mut operands = words.rest.iter().skip(1).cloned();
    let mut operand = || operands.next().unwrap_or_default();
    let command = match command {
        "list" => Command::List,
        "status" => Command::Status { vm: operand() },
        "start" => Command::Start { vm: operand() },
        "stop" => Command::Stop { vm: operand() },
        "kill" => Command::Kill { vm: operand() },
        "restart" => Command::Restart { vm: operand() },
        "pause" => Command::Pause { vm: operand() },
        "resume" => Command::Resume { vm: operand() },
        "console" => Command::Console { vm: operand() },
        "create" => Command::Create(Box::new(CreateArgs {
            name: operand(),
            kernel: words.opt("kernel").map(PathBuf::from),
            iso: words.opt("iso").map(PathBuf::from),
            boot_disk: words.opt("boot-disk").map(PathBuf::from),
            initrd: words.opt("initrd").map(PathBuf::from),
            cmdline: words.opt("cmdline"),
            vcpus: words.opt("vcpus"),
            memory: words.opt("memory"),
            display: words.opt("display"),
            disk_size: words.opt("disk-size"),
            disk: words.opt("disk").map(PathBuf::from),
            linked: words.flag("linked"),
            read_only: words.flag("read-only"),
            network: words.flag("network"),
            copy: words.flag("copy"),
            firmware: words.opt("firmware"),
            no_display: words.flag("no-display"),
        })),
        "detect" => Command::Detect {
            file: PathBuf::from(operand()),
        },
        "clone" => Command::Clone {
            vm: operand(),
            name: operand(),
            full: words.flag("full"),
        },
        "delete" => Command::Delete {
            vm: operand(),
            keep_disks: words.flag("keep-disks"),
        },
        "snapshot" => Command::Snapshot(SnapshotCommand::Take {
            vm: operand(),
            name: words.opt("name").unwrap_or_default(),
            description: words.opt("description").unwrap_or_default(),
        }),
        "snapshots" => Command::Snapshot(SnapshotCommand::List { vm: operand() }),
        "revert" => Command::Snapshot(SnapshotCommand::Revert {
            vm: operand(),
            snapshot: operand(),
        }),
        "screenshot" => Command::Screenshot {
            vm: operand(),
            file: PathBuf::from(operand()),
        },
        "cdrom" => {
            let (vm, action, file) = (operand(), operand(), operand());
            let insert = match (action.as_str(), file.is_empty()) {
                ("eject", true) => None,
                ("insert", false) => Some(PathBuf::from(file)),
                _ => return Err(t!("cli-cdrom-usage")),
            };
            Command::Cdrom {
                vm,
                drive: words.opt("drive").unwrap_or_else(|| "0".into()),
                insert,
            }
        }
        other => return Err(t!("cli-unknown-command", command = other)),
    };
    Ok(Args { command, json })
}

/// Sorts the words into `--json`, options and the rest.
fn sort(args: &[String]) -> Result<Words, String> {
    let mut json = false;
    let mut rest = Vec::new();
    let mut opts = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--json" => json = true,
            s if s.starts_with("--") && s.len() > 2 => {
                let (k, v) = match s[2..].split_once('=') {
                    Some((k, v)) => (k.to_string(), Some(v.to_string())),
                    None if FLAGS.contains(&&s[2..]) => (s[2..].to_string(), Some(String::new())),
                    None => (s[2..].to_string(), None),
                };
                let v = match v {
                    Some(v) => v,
                    None => it
                        .next()
                        .cloned()
                        .ok_or_else(|| t!("cli-missing-value", option = s))?,
                };
                opts.push((k, v));
            }
            s if s.starts_with('-') && s != "-" => {
                return Err(t!("cli-unknown-option", option = s));
            }
            s => rest.push(s.to_string()),
        }
    }
    Ok(Words { rest, json, opts })
}

/// Checks the words against the command's row of [`COMMANDS`]; returns the command's name.
fn check(words: &Words) -> Result<&'static str, String> {
    let Some(command) = words.rest.first() else {
        return Err(t!("cli-missing-command"));
    };
    let Some((name, operands, allowed)) = COMMANDS.iter().find(|(c, _, _)| c == command) else {
        return Err(t!("cli-unknown-command", command = command.as_str()));
    };
    if let Some((k, _)) = words
        .opts
        .iter()
        .find(|(k, _)| !allowed.contains(&k.as_str()))
    {
        return Err(t!("cli-unknown-option", option = format!("--{k}")));
    }
    let given = words.rest.len() - 1;
    if *operands >= 1 && given < 1 {
        return Err(t!("cli-missing-vm", command = command.as_str()));
    }
    if *operands >= 2 && given < 2 {
        return Err(t!("cli-missing-arg", command = command.as_str()));
    }
    if given > *operands {
        return Err(t!("cli-extra-args"));
    }
    // Exactly one way to boot: which one decides the rest of the options.
    if *name == "create"
        && ["kernel", "iso", "boot-disk"]
            .iter()
            .filter(|o| words.flag(o))
            .count()
            != 1
    {
        return Err(t!("cli-create-one-boot"));
    }
    Ok(name)
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

    /// The table and the match in `parse` name the commands twice: every row must give a
    /// command, or that command would be reported as unknown.
    #[test]
    fn every_command_in_the_table_parses() {
        crate::testing::english();
        for (name, operands, _) in COMMANDS {
            let mut words = vec![name.to_string()];
            words.extend((0..*operands).map(|i| format!("x{i}")));
            if *name == "create" {
                words.extend(["--kernel".to_string(), "/k".to_string()]);
            }
            if *name == "cdrom" {
                words[2] = "insert".into();
            }
            assert!(parse(&words).is_ok(), "{words:?}: {:?}", parse(&words));
            assert!(is_command(name));
        }
        assert!(!is_command("installer.iso"));
    }

    #[test]
    fn cdrom_takes_eject_or_insert_with_a_file() {
        crate::testing::english();
        let p = |w: &[&str]| parse(&w.iter().map(|s| s.to_string()).collect::<Vec<_>>());
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
}
