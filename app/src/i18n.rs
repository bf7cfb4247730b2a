//! Translations: Fluent files `i18n/<lang>/vmdesk.ftl` (en, de, es, fr), embedded in the binary.
//! Every user-visible string goes through [`t!`](crate::t); the system locale picks the
//! language unless the settings name one.

use i18n_embed::fluent::{fluent_language_loader, FluentLanguageLoader};
use i18n_embed::{DesktopLanguageRequester, LanguageLoader};
use rust_embed::RustEmbed;
use std::sync::LazyLock;
use unic_langid::LanguageIdentifier;

#[derive(RustEmbed)]
#[folder = "../i18n/"]
struct Localizations;

/// The languages shipped, with their own names.
pub const LANGUAGES: &[(&str, &str)] = &[
    ("en", "English"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("fr", "Français"),
];

pub static LOADER: LazyLock<FluentLanguageLoader> = LazyLock::new(|| {
    let loader: FluentLanguageLoader = fluent_language_loader!();
    loader
        .load_fallback_language(&Localizations)
        .expect("the English strings are embedded");
    // No Unicode isolation marks around arguments: they show up as boxes in some fonts.
    loader.set_use_isolating(false);
    loader
});

/// Looks up a message: `t!("key")` or `t!("key", name = value)`.
#[macro_export]
macro_rules! t {
    ($($tokens:tt)*) => {
        i18n_embed_fl::fl!($crate::i18n::loader(), $($tokens)*)
    };
}

/// The loader `t!` reads: the app's, or in tests this thread's own language (see
/// [`with_language`]), so a test can draw German while the others run in English.
pub fn loader() -> &'static FluentLanguageLoader {
    #[cfg(test)]
    if let Some(l) = THREAD_LOADER.get() {
        return l;
    }
    &LOADER
}

#[cfg(test)]
thread_local! {
    static THREAD_LOADER: std::cell::Cell<Option<&'static FluentLanguageLoader>> =
        const { std::cell::Cell::new(None) };
}

/// Runs `f` with this thread's strings in `lang` (tests only; the language is global otherwise).
#[cfg(test)]
pub fn with_language<R>(lang: &str, f: impl FnOnce() -> R) -> R {
    static LOADERS: LazyLock<Vec<(&'static str, &'static FluentLanguageLoader)>> =
        LazyLock::new(|| {
            LANGUAGES
                .iter()
                .map(|(code, _)| {
                    let loader: FluentLanguageLoader = fluent_language_loader!();
                    loader
                        .load_fallback_language(&Localizations)
                        .expect("the English strings are embedded");
                    let id: LanguageIdentifier = code.parse().expect("a language id");
                    let _ = i18n_embed::select(&loader, &Localizations, &[id]);
                    loader.set_use_isolating(false);
                    let leaked: &'static FluentLanguageLoader = Box::leak(Box::new(loader));
                    (*code, leaked)
                })
                .collect()
        });
    let l = LOADERS
        .iter()
        .find(|(c, _)| *c == lang)
        .unwrap_or_else(|| panic!("no language {lang}"))
        .1;
    let before = THREAD_LOADER.replace(Some(l));
    let out = f();
    THREAD_LOADER.set(before);
    out
}

/// Picks the UI language: `setting` (e.g. "de") if given, else the system locale.
pub fn apply(setting: Option<&str>) {
    let requested: Vec<LanguageIdentifier> = match setting.and_then(|s| s.parse().ok()) {
        Some(l) => vec![l],
        None => DesktopLanguageRequester::requested_languages(),
    };
    let _ = i18n_embed::select(&*LOADER, &Localizations, &requested);
    LOADER.set_use_isolating(false);
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../i18n")
    }

    /// Message ids defined in a Fluent file (attributes and comments skipped).
    fn keys(lang: &str) -> BTreeSet<String> {
        let path = root().join(lang).join("vmdesk.ftl");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        let mut out = BTreeSet::new();
        for line in text.lines() {
            let Some(first) = line.chars().next() else {
                continue;
            };
            if !first.is_ascii_alphabetic() {
                continue;
            }
            if let Some((k, _)) = line.split_once('=') {
                let k = k.trim();
                if k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    assert!(out.insert(k.to_string()), "{lang}: {k} defined twice");
                }
            }
        }
        out
    }

    /// Message ids used in the source as `t!("id"...)`.
    fn used_keys() -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    let text = std::fs::read_to_string(&p).unwrap();
                    let bytes = text.as_bytes();
                    let mut from = 0;
                    while let Some(i) = text[from..].find("t!(") {
                        let at = from + i;
                        from = at + 3;
                        if at > 0
                            && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_')
                        {
                            continue;
                        }
                        let rest = text[at + 3..].trim_start();
                        if let Some(rest) = rest.strip_prefix('"') {
                            if let Some(end) = rest.find('"') {
                                let key = &rest[..end];
                                if key.bytes().all(|b| {
                                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'
                                }) {
                                    out.insert(key.to_string());
                                }
                            }
                        }
                    }
                }
            }
        }
        // The macro's own definition above is not a use.
        out.remove("key");
        out.remove("id");
        out
    }

    #[test]
    fn every_language_has_exactly_the_english_keys_and_all_are_used() {
        let en = keys("en");
        assert!(en.len() > 50, "only {} English keys", en.len());
        for (lang, _) in super::LANGUAGES {
            let k = keys(lang);
            let missing: Vec<_> = en.difference(&k).collect();
            let extra: Vec<_> = k.difference(&en).collect();
            assert!(missing.is_empty(), "{lang} misses {missing:?}");
            assert!(
                extra.is_empty(),
                "{lang} has keys English does not: {extra:?}"
            );
        }
        let used = used_keys();
        let undefined: Vec<_> = used.difference(&en).collect();
        let unused: Vec<_> = en.difference(&used).collect();
        assert!(undefined.is_empty(), "used but not defined: {undefined:?}");
        assert!(unused.is_empty(), "defined but never used: {unused:?}");
        // The folders on disk are exactly the languages offered.
        let dirs: BTreeSet<String> = std::fs::read_dir(root())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        let offered: BTreeSet<String> = super::LANGUAGES
            .iter()
            .map(|(l, _)| l.to_string())
            .collect();
        assert_eq!(dirs, offered);
    }

    #[test]
    fn every_language_loads_and_translates() {
        use i18n_embed::LanguageLoader;
        for (lang, _) in super::LANGUAGES {
            let loader: i18n_embed::fluent::FluentLanguageLoader =
                i18n_embed::fluent::fluent_language_loader!();
            let id: unic_langid::LanguageIdentifier = lang.parse().unwrap();
            loader.load_languages(&super::Localizations, &[id]).unwrap();
            let title = loader.get("app-title");
            assert!(!title.is_empty());
            if *lang != "en" {
                assert_ne!(
                    loader.get("library-new"),
                    "New VM",
                    "{lang} is not translated"
                );
            }
        }
    }
}
