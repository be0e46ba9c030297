//! Translations. User-facing text lives in `locales/<language>/*.ftl`;
//! Indonesian is the default and the fallback.

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{Loader, static_loader};
use std::borrow::Cow;
use std::collections::HashMap;
use unic_langid::{LanguageIdentifier, langid};

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "id",
        // Isolation marks around arguments would end up in JSON messages.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static INDONESIAN: LanguageIdentifier = langid!("id");
static ENGLISH: LanguageIdentifier = langid!("en");

/// The language of a response.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    Id,
    En,
}

impl Lang {
    /// Picks the language from an `Accept-Language` header: the first
    /// supported language in order of preference, Indonesian otherwise.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let Some(header) = header else {
            return Lang::Id;
        };
        let mut ranges: Vec<(f32, &str)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.trim().split(';');
                let tag = pieces.next()?.trim();
                let quality = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                Some((quality, tag))
            })
            .collect();
        ranges.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (_, tag) in ranges {
            let primary = tag.split('-').next().unwrap_or("").to_ascii_lowercase();
            match primary.as_str() {
                "id" | "in" => return Lang::Id,
                "en" => return Lang::En,
                _ => {}
            }
        }
        Lang::Id
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }

    fn identifier(self) -> &'static LanguageIdentifier {
        match self {
            Lang::Id => &INDONESIAN,
            Lang::En => &ENGLISH,
        }
    }

    /// Translates `key` with string arguments. Every argument a message
    /// uses must be passed, or Fluent shows an error marker in its place.
    pub fn text(self, key: &str, args: &[(&'static str, String)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(name, value)| (Cow::Borrowed(*name), FluentValue::from(value.clone())))
            .collect();
        LOCALES
            .try_lookup_with_args(self.identifier(), key, &args)
            .unwrap_or_else(|| key.to_owned())
    }

    /// Tells whether a message exists and formats, for tests of the
    /// translation files. Every argument name the messages use is passed.
    pub fn has(self, key: &str) -> bool {
        let args: HashMap<Cow<'static, str>, FluentValue> = [
            "limit",
            "until",
            "action",
            "status",
            "current",
            "detail",
            "name",
            "total",
            "page",
            "pages",
            "days",
            "rating",
            "missing",
            "tracking",
            "secret",
            "ok",
            "failed",
            "value",
            "years",
            "minutes",
            "quarter",
            "year",
            "requirement",
            "date",
            "from",
            "period",
            "version",
            "number",
            "header",
            "rows",
            "valid",
            "rejected",
            "imported",
            "unchanged",
            "agency",
            "link",
        ]
        .into_iter()
        .map(|name| (Cow::Borrowed(name), FluentValue::from("x")))
        .collect();
        LOCALES
            .try_lookup_with_args(self.identifier(), key, &args)
            .is_some()
    }
}

/// The notification texts of `notify.ftl`, for the outbox workers.
pub struct NotificationTemplates;

impl tanggap_service::notify::MessageTemplates for NotificationTemplates {
    fn render(&self, language: &str, key: &str, args: &[(&'static str, String)]) -> String {
        let lang = if language == "en" { Lang::En } else { Lang::Id };
        lang.text(key, args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_prefers_supported() {
        assert_eq!(Lang::from_accept_language(None), Lang::Id);
        assert_eq!(Lang::from_accept_language(Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("fr, en;q=0.5")), Lang::En);
        assert_eq!(
            Lang::from_accept_language(Some("en;q=0.4, id;q=0.8")),
            Lang::Id
        );
        assert_eq!(Lang::from_accept_language(Some("de")), Lang::Id);
    }

    #[test]
    fn messages_take_arguments() {
        let text = Lang::En.text("field-too_long", &[("limit", "200".into())]);
        assert_eq!(text, "Too long; at most 200 characters.");
    }

    /// Every key in the Indonesian file exists in English and the reverse.
    #[test]
    fn locales_have_same_keys() {
        let keys = |text: &str| -> Vec<String> {
            text.lines()
                .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim().to_owned()))
                .filter(|k| !k.starts_with('#'))
                .collect()
        };
        let id = [
            keys(include_str!("../locales/id/main.ftl")),
            keys(include_str!("../locales/id/ui.ftl")),
            keys(include_str!("../locales/id/admin.ftl")),
            keys(include_str!("../locales/id/portal.ftl")),
            keys(include_str!("../locales/id/report.ftl")),
            keys(include_str!("../locales/id/monev.ftl")),
            keys(include_str!("../locales/id/open311.ftl")),
            keys(include_str!("../locales/id/transparency.ftl")),
            keys(include_str!("../locales/id/report-docs.ftl")),
            keys(include_str!("../locales/id/intake.ftl")),
            keys(include_str!("../locales/id/triage.ftl")),
            keys(include_str!("../locales/id/notify.ftl")),
        ]
        .concat();
        let en = [
            keys(include_str!("../locales/en/main.ftl")),
            keys(include_str!("../locales/en/ui.ftl")),
            keys(include_str!("../locales/en/admin.ftl")),
            keys(include_str!("../locales/en/portal.ftl")),
            keys(include_str!("../locales/en/report.ftl")),
            keys(include_str!("../locales/en/monev.ftl")),
            keys(include_str!("../locales/en/open311.ftl")),
            keys(include_str!("../locales/en/transparency.ftl")),
            keys(include_str!("../locales/en/report-docs.ftl")),
            keys(include_str!("../locales/en/intake.ftl")),
            keys(include_str!("../locales/en/triage.ftl")),
            keys(include_str!("../locales/en/notify.ftl")),
        ]
        .concat();
        assert_eq!(id, en);
        for key in &id {
            assert!(Lang::Id.has(key), "{key}");
            assert!(Lang::En.has(key), "{key}");
        }
    }
}
