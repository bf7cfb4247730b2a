//! `vmdesk`: the desktop VM manager. No arguments opens the window; with a command it is a CLI
//! (`vmdesk --help`).

mod app;
mod check;
mod cli;
mod client;
mod disks;
mod form;
mod hardware;
mod host;
mod i18n;
mod paths;
mod screen;
mod settings;
mod snapshots;
mod store;
mod style;
#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;
mod thumbs;
mod trace;
mod vms;
mod vnc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let settings_lang = paths::Paths::from_env()
        .ok()
        .map(|p| settings::Settings::load(&p.settings_file()))
        .and_then(|s| s.language);
    i18n::apply(settings_lang.as_deref());
    let paths = match paths::Paths::from_env() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("vmdesk: {e}");
            std::process::exit(cli::code::ERROR);
        }
    };
    if args.is_empty() {
        if let Err(e) = app::run(paths) {
            eprintln!("vmdesk: {e}");
            std::process::exit(cli::code::ERROR);
        }
        return;
    }
    match args[0].as_str() {
        "-h" | "--help" | "help" => {
            print!("{}", cli::help());
            return;
        }
        "-V" | "--version" => {
            println!("vmdesk {}", env!("CARGO_PKG_VERSION"));
            return;
        }
        _ => {}
    }
    // `vmdesk FILE` is how a file manager opens an ISO or disk image (Exec=vmdesk %f). Booting
    // those needs firmware, which vmdesk-vmm does not have yet: open the library and say so.
    if args.len() == 1 && !cli::is_command(&args[0]) {
        let file = args[0].trim_start_matches("file://");
        if std::path::Path::new(file).is_file() {
            eprintln!(
                "vmdesk: {file}: booting ISO and disk images is not supported yet; \
                 create a VM with a Linux kernel in the new-VM wizard"
            );
            if let Err(e) = app::run(paths) {
                eprintln!("vmdesk: {e}");
                std::process::exit(cli::code::ERROR);
            }
            return;
        }
    }
    match cli::parse(&args) {
        Ok(a) => std::process::exit(cli::run(&paths, &a)),
        Err(e) => {
            eprintln!("vmdesk: {e}\n");
            eprint!("{}", cli::help());
            std::process::exit(cli::code::USAGE);
        }
    }
}
