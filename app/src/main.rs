//! `vmdesk`: the desktop VM manager. No arguments opens the window; with a command it is a CLI
//! (`vmdesk --help`).

mod cli;
mod data;
mod i18n;
#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;
mod ui;

/// Opens the window. iced_winit panics ("Create event loop: …") when no display server can be
/// reached, and release builds abort on panic, so a hook turns that one panic into a plain
/// error and exit code instead of a crash report; any other panic keeps the default report.
fn gui(paths: data::paths::Paths, open: Option<std::path::PathBuf>) {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if let Some(reason) = msg.strip_prefix("Create event loop: ") {
            eprintln!("vmdesk: {}", no_display_message(reason));
            std::process::exit(cli::code::ERROR);
        }
        default_hook(info);
    }));
    // A `vmdesk compare` killed hard (SIGKILL) left its container and bundle: they go now,
    // off the window's way.
    std::thread::spawn(|| {
        use data::compare::container;
        container::clean_stale(&std::env::temp_dir(), &container::crun_roots())
    });
    if let Err(e) = ui::app::run(paths, open) {
        eprintln!("vmdesk: {e}");
        std::process::exit(cli::code::ERROR);
    }
}

/// What to tell someone whose window could not open: which display was tried, and that the
/// CLI works without one.
fn no_display_message(reason: &str) -> String {
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| "-".into());
    // winit's error is `Os(OsError { line, file, error: WHAT })`: only WHAT helps a person.
    let reason = reason
        .rsplit_once("error: ")
        .and_then(|(_, r)| r.strip_suffix(")")?.strip_suffix(" }"))
        .unwrap_or(reason);
    t!(
        "main-no-display",
        display = var("DISPLAY"),
        wayland = var("WAYLAND_DISPLAY"),
        reason = reason
    )
}

/// `vmdesk FILE` is how a file manager opens an ISO or disk image (Exec=vmdesk %f): one
/// argument that is no CLI command and names an existing file. The window opens with the
/// new-VM wizard installing from it.
fn open_file_arg(args: &[String]) -> Option<std::path::PathBuf> {
    let [arg] = args else { return None };
    if cli::is_command(arg) {
        return None;
    }
    let file = std::path::PathBuf::from(arg.strip_prefix("file://").unwrap_or(arg));
    if !file.is_file() {
        return None;
    }
    // The wizard's paths are absolute (it has no working directory to resolve against).
    std::path::absolute(&file).ok()
}

fn main() {
    // `std::env::args` would panic on a word that is not UTF-8; it is refused below instead.
    let args_os: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let settings_lang = data::paths::Paths::from_env()
        .ok()
        .map(|p| data::settings::Settings::load(&p.settings_file()))
        .and_then(|s| s.language);
    i18n::apply(settings_lang.as_deref());
    let args: Vec<String> = match args_os.into_iter().map(|a| a.into_string()).collect() {
        Ok(a) => a,
        Err(bad) => {
            let arg = bad.to_string_lossy().into_owned();
            eprintln!("vmdesk: {}", t!("cli-not-utf8", arg = arg));
            std::process::exit(cli::code::USAGE);
        }
    };
    let paths = match data::paths::Paths::from_env() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("vmdesk: {e}");
            std::process::exit(cli::code::ERROR);
        }
    };
    if args.is_empty() {
        gui(paths, None);
        return;
    }
    match args[0].as_str() {
        // `help CMD` is that command's help.
        "-h" | "--help" | "help" => {
            cli::print(&cli::help_for(&args[1..]));
            return;
        }
        "-V" | "--version" => {
            cli::print(&format!("vmdesk {}\n", env!("CARGO_PKG_VERSION")));
            return;
        }
        _ => {}
    }
    if let Some(file) = open_file_arg(&args) {
        gui(paths, Some(file));
        return;
    }
    match cli::parse(&args) {
        Ok(a) => std::process::exit(cli::run(&paths, &a)),
        Err(e) => {
            // The error, then how the command it is about is used.
            eprintln!("vmdesk: {e}\n");
            eprint!("{}", cli::help_for(&args));
            std::process::exit(cli::code::USAGE);
        }
    }
}

#[cfg(test)]
mod open_file_tests {
    use super::open_file_arg;

    #[test]
    fn one_existing_file_that_is_no_command_opens_the_wizard() {
        let dir = tempfile::tempdir().unwrap();
        let iso = dir.path().join("debian.iso");
        std::fs::write(&iso, "x").unwrap();
        let arg = |a: &[&str]| open_file_arg(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let path = iso.display().to_string();
        assert_eq!(arg(&[&path]), Some(iso.clone()));
        assert_eq!(arg(&[&format!("file://{path}")]), Some(iso.clone()));
        assert_eq!(arg(&[&path, "list"]), None, "two arguments are a CLI call");
        assert_eq!(arg(&["list"]), None, "a CLI command");
        assert_eq!(arg(&[&dir.path().display().to_string()]), None, "a folder");
        assert_eq!(arg(&["/nonexistent/x.iso"]), None);
    }
}
