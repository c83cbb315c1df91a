//! Every text a person reads, in Chinese and English, from the Fluent
//! catalogs under `locales/` (one folder per language, compiled into the
//! binary). Values are formatted before they are passed in (money with its
//! currency's places, dates in the desk's time zone), so the catalogs only
//! place them.

use crate::domain::Locale;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};
use std::borrow::Cow;
use std::collections::HashMap;

fluent_templates::static_loader! {
    static CATALOGS = {
        locales: "./locales",
        fallback_language: "en",
        // No Unicode isolation marks around values: the texts go into
        // HTML and e-mail as they are.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static ENGLISH: LanguageIdentifier = langid!("en");
static CHINESE: LanguageIdentifier = langid!("zh-CN");

/// A language texts are shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Zh,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::En => &ENGLISH,
            Lang::Zh => &CHINESE,
        }
    }
}

impl From<Locale> for Lang {
    fn from(locale: Locale) -> Lang {
        match locale {
            Locale::ZhCn => Lang::Zh,
            Locale::En => Lang::En,
        }
    }
}

/// The text of `key`; the key itself (and a warning in the log) when the
/// catalog has no such text, so a missing text never breaks a page.
pub fn text(lang: Lang, key: &str) -> String {
    text_with(lang, key, &[])
}

/// The text of `key` with its values placed.
pub fn text_with(lang: Lang, key: &str, values: &[(&'static str, String)]) -> String {
    let args: HashMap<Cow<'static, str>, FluentValue> = values
        .iter()
        .map(|(name, value)| (Cow::Borrowed(*name), FluentValue::from(value.clone())))
        .collect();
    CATALOGS
        .try_lookup_complete(lang.id(), key, (!args.is_empty()).then_some(&args))
        .unwrap_or_else(|| {
            tracing::warn!(key, ?lang, "no text in the catalog");
            key.to_owned()
        })
}

/// Whether the catalog of `lang` itself holds `key` (no fallback),
/// formatted with `values`.
pub fn has_with(lang: Lang, key: &str, values: &[(&'static str, String)]) -> bool {
    let args: HashMap<Cow<'static, str>, FluentValue> = values
        .iter()
        .map(|(name, value)| (Cow::Borrowed(*name), FluentValue::from(value.clone())))
        .collect();
    CATALOGS
        .lookup_no_default_fallback(lang.id(), key, Some(&args))
        .is_some()
}

/// `has_with` for a text without values.
pub fn has(lang: Lang, key: &str) -> bool {
    has_with(lang, key, &[])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The message ids a catalog folder defines.
    fn ids(folder: &str) -> BTreeSet<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales")
            .join(folder);
        let mut ids = BTreeSet::new();
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            ids.extend(text.lines().filter_map(|line| {
                let (id, _) = line.split_once(" =")?;
                let first = id.chars().next()?;
                (first.is_ascii_lowercase() && !id.contains(' ')).then(|| id.to_owned())
            }));
        }
        ids
    }

    #[test]
    fn both_languages_hold_the_same_texts() {
        let english = ids("en");
        let chinese = ids("zh-CN");
        assert!(!english.is_empty());
        assert_eq!(
            english.difference(&chinese).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "in English only"
        );
        assert_eq!(
            chinese.difference(&english).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "in Chinese only"
        );
    }

    #[test]
    fn values_are_placed_without_isolation_marks() {
        let values = [("amount", "120.00 USDT".to_owned())];
        let english = text_with(Lang::En, "money-test", &values);
        assert_eq!(english, "Amount: 120.00 USDT");
        assert_eq!(
            text_with(Lang::Zh, "money-test", &values),
            "金额：120.00 USDT"
        );
        assert_eq!(text(Lang::En, "no-such-text"), "no-such-text");
    }
}
