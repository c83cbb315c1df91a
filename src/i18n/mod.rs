//! Every text a person reads, in Chinese and English, from the Fluent
//! catalogs under `locales/` (one folder per language, compiled into the
//! binary). Values are formatted before they are passed in (money with its
//! currency's places, dates in the desk's time zone), so the catalogs only
//! place them.

use crate::domain::{Coded, Locale};
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

impl Lang {
    /// The language's tag, for `<html lang>` and the stored choice.
    pub fn tag(self) -> &'static str {
        self.locale().as_str()
    }

    pub fn locale(self) -> Locale {
        match self {
            Lang::En => Locale::En,
            Lang::Zh => Locale::ZhCn,
        }
    }

    /// The language a stored tag names (`zh-CN`, `en`), if any.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        tag.parse::<Locale>().ok().map(Lang::from)
    }

    /// The first language of a ranked list of language tags (an
    /// `Accept-Language`) that the desk speaks: any `zh…` is Chinese, any
    /// `en…` English; English when none is.
    pub fn negotiate<'a>(ranked: impl IntoIterator<Item = &'a str>) -> Lang {
        ranked
            .into_iter()
            .find_map(|tag| {
                let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
                match primary.as_str() {
                    "zh" => Some(Lang::Zh),
                    "en" => Some(Lang::En),
                    _ => None,
                }
            })
            .unwrap_or(Lang::En)
    }
}

/// A text to show someone, kept as its catalog key and values until the
/// reader's language is known (a refusal made deep in a service is worded
/// by the page that shows it). Displays in English, for logs and the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    key: Cow<'static, str>,
    values: Vec<(&'static str, Value)>,
}

/// A value placed in a message: text as it is, or a catalog key worded in
/// the message's language (a status, a kind).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Text(String),
    Word(String),
    Message(Box<Message>),
}

impl Message {
    pub fn new(key: impl Into<Cow<'static, str>>) -> Message {
        Message {
            key: key.into(),
            values: Vec::new(),
        }
    }

    /// The message with one more value placed as it is.
    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Message {
        self.values.push((name, Value::Text(value.into())));
        self
    }

    /// The message with one more value: the text of a catalog key.
    pub fn with_word(mut self, name: &'static str, key: impl Into<String>) -> Message {
        self.values.push((name, Value::Word(key.into())));
        self
    }

    /// The message with another message placed (a field's problem).
    pub fn with_message(mut self, name: &'static str, message: Message) -> Message {
        self.values.push((name, Value::Message(Box::new(message))));
        self
    }

    /// The message with a code of the data model placed, in words.
    pub fn with_code<C: Coded>(self, name: &'static str, code: C) -> Message {
        self.with_word(name, word_key(code))
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn text(&self, lang: Lang) -> String {
        let values: Vec<(&str, String)> = self
            .values
            .iter()
            .map(|(name, value)| {
                let value = match value {
                    Value::Text(text) => text.clone(),
                    Value::Word(key) => text(lang, key),
                    Value::Message(message) => message.text(lang),
                };
                (*name, value)
            })
            .collect();
        text_with(lang, &self.key, &values)
    }
}

impl std::fmt::Display for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text(Lang::En))
    }
}

/// The catalog key of a code's words: `TicketStatus::OnHold` is
/// `ticket-status-on-hold`.
pub fn word_key<C: Coded>(value: C) -> String {
    let mut key = String::new();
    for (i, c) in C::KIND.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            key.push('-');
        }
        key.push(c.to_ascii_lowercase());
    }
    key.push('-');
    key.push_str(&value.code().replace('_', "-"));
    key
}

/// The words for a code of the data model, in `lang`.
pub fn word<C: Coded>(lang: Lang, value: C) -> String {
    text(lang, &word_key(value))
}

fn arguments(values: &[(&str, String)]) -> HashMap<Cow<'static, str>, FluentValue<'static>> {
    values
        .iter()
        .map(|(name, value)| {
            (
                Cow::Owned((*name).to_owned()),
                FluentValue::from(value.clone()),
            )
        })
        .collect()
}

/// A span of time in words ("2h 05m", "2小时05分"), its sign ignored.
pub fn duration(lang: Lang, minutes: i64) -> String {
    let minutes = minutes.abs();
    let (days, hours, rest) = (minutes / (24 * 60), minutes / 60 % 24, minutes % 60);
    match (days, hours) {
        (0, 0) => text_with(lang, "span-minutes", &[("m", rest.to_string())]),
        (0, h) => text_with(
            lang,
            "span-hours",
            &[("h", h.to_string()), ("m", format!("{rest:02}"))],
        ),
        (d, h) => text_with(
            lang,
            "span-days",
            &[("d", d.to_string()), ("h", h.to_string())],
        ),
    }
}

/// A code that comes from outside the data model's enumerations (a
/// platform's failure reason, an audit action) in words when the
/// catalogs know it under `group`, as given otherwise.
pub fn known_word(lang: Lang, group: &str, code: &str) -> String {
    let code = code.trim();
    let plain = code
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.');
    let key = format!("{group}-{}", code.replace(['_', '.'], "-"));
    if plain && has(lang, &key) {
        text(lang, &key)
    } else {
        code.to_owned()
    }
}

/// Why a transaction failed, as the platform said it: in words when it
/// is one of the reasons the catalogs know.
pub fn failure_reason(lang: Lang, reason: &str) -> String {
    known_word(lang, "failure", reason)
}

/// The text of `key`; the key itself (and a warning in the log) when the
/// catalog has no such text, so a missing text never breaks a page.
pub fn text(lang: Lang, key: &str) -> String {
    text_with(lang, key, &[])
}

/// The text of `key` with its values placed.
pub fn text_with(lang: Lang, key: &str, values: &[(&str, String)]) -> String {
    let args = arguments(values);
    CATALOGS
        .try_lookup_complete(lang.id(), key, (!args.is_empty()).then_some(&args))
        .unwrap_or_else(|| {
            tracing::warn!(key, ?lang, "no text in the catalog");
            key.to_owned()
        })
}

/// Whether the catalog of `lang` itself holds `key` (no fallback),
/// formatted with `values`.
pub fn has_with(lang: Lang, key: &str, values: &[(&str, String)]) -> bool {
    let args = arguments(values);
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

    /// Every code of every enumeration a person may see has words in both
    /// languages.
    #[test]
    fn every_code_has_words_in_both_languages() {
        use crate::domain::*;
        use strum::IntoEnumIterator;
        fn keys<C: Coded + IntoEnumIterator>() -> Vec<String> {
            C::iter().map(word_key).collect()
        }
        let all = [
            keys::<Role>(),
            keys::<Locale>(),
            keys::<CustomerStatus>(),
            keys::<StatusReason>(),
            keys::<TransactionKind>(),
            keys::<TransactionStatus>(),
            keys::<PaymentMethod>(),
            keys::<TicketCategory>(),
            keys::<TicketPriority>(),
            keys::<TicketStatus>(),
            keys::<Channel>(),
            keys::<TicketEventKind>(),
            keys::<AuditActor>(),
            keys::<AccountKind>(),
            keys::<TransferPhase>(),
            keys::<TransferKind>(),
        ];
        let missing: Vec<String> = all
            .iter()
            .flatten()
            .flat_map(|key| Lang::ALL.map(|lang| (lang, key.clone())))
            .filter(|(lang, key)| !has(*lang, key))
            .map(|(lang, key)| format!("{lang:?} {key}"))
            .collect();
        assert_eq!(missing, Vec::<String>::new());
        assert_eq!(word(Lang::Zh, TicketStatus::OnHold), "等待中");
        assert_eq!(
            word(Lang::En, TicketCategory::RefundNotReceived),
            "Refund not received"
        );
    }

    #[test]
    fn accept_language_picks_the_first_language_spoken() {
        assert_eq!(Lang::negotiate(["fr-FR", "zh-TW", "en"]), Lang::Zh);
        assert_eq!(Lang::negotiate(["en-GB", "zh-CN"]), Lang::En);
        assert_eq!(Lang::negotiate(["de"]), Lang::En);
        assert_eq!(Lang::negotiate([]), Lang::En);
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
