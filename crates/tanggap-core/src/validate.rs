//! Field limits and format checks for input from people and other systems.
//!
//! Limits are counted in Unicode scalar values (characters), not bytes, so
//! Indonesian text with emoji is measured the way a person counts it.

use serde::Serialize;

pub const TITLE_MAX: usize = 200;
pub const BODY_MAX: usize = 20_000;
pub const NAME_MAX: usize = 200;
pub const PHONE_MAX: usize = 32;
pub const EMAIL_MAX: usize = 254;
pub const NIK_LEN: usize = 16;
pub const ADDRESS_MAX: usize = 500;
pub const LOCATION_TEXT_MAX: usize = 500;
pub const CHANNEL_REFERENCE_MAX: usize = 500;
pub const TAG_MAX: usize = 50;
pub const TAGS_MAX: usize = 20;
pub const SUPPORTING_AGENCIES_MAX: usize = 10;
/// Follow-ups, responses, hold questions and internal notes.
pub const TEXT_MAX: usize = 20_000;
/// Reasons for archiving, returning, reopening.
pub const REASON_MAX: usize = 2_000;
pub const INSTITUTION_MAX: usize = 200;
pub const COMMENT_MAX: usize = 2_000;
pub const CATEGORY_MAX: usize = 200;

/// One problem with one input field. `code` is a stable identifier that the
/// web layer turns into a message in the user's language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    /// The limit that was exceeded, for codes that have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str) -> Self {
        Self {
            field: field.into(),
            code,
            limit: None,
        }
    }

    pub fn with_limit(field: impl Into<String>, code: &'static str, limit: usize) -> Self {
        Self {
            field: field.into(),
            code,
            limit: Some(limit),
        }
    }
}

/// Collects every field error of one request, so the user sees all of them at once.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn push(&mut self, error: FieldError) {
        self.errors.push(error);
    }

    /// Trims `value` and returns `None` for an empty one; records an error
    /// when it is longer than `max`.
    pub fn optional_text(
        &mut self,
        field: &str,
        value: Option<&str>,
        max: usize,
    ) -> Option<String> {
        let trimmed = value.map(str::trim).filter(|v| !v.is_empty())?;
        if trimmed.chars().count() > max {
            self.push(FieldError::with_limit(field, "too_long", max));
        }
        Some(trimmed.to_owned())
    }

    /// Like [`Self::optional_text`], but records `required` when empty.
    pub fn required_text(&mut self, field: &str, value: Option<&str>, max: usize) -> String {
        match self.optional_text(field, value, max) {
            Some(text) => text,
            None => {
                self.push(FieldError::new(field, "required"));
                String::new()
            }
        }
    }

    pub fn phone(&mut self, field: &str, value: Option<&str>) -> Option<String> {
        let phone = self.optional_text(field, value, PHONE_MAX)?;
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        let allowed = phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.'));
        if !allowed || !(6..=16).contains(&digits) {
            self.push(FieldError::new(field, "invalid_phone"));
        }
        Some(phone)
    }

    pub fn email(&mut self, field: &str, value: Option<&str>) -> Option<String> {
        let email = self.optional_text(field, value, EMAIL_MAX)?;
        let valid = match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !email.chars().any(char::is_whitespace)
                    && !domain.contains('@')
            }
            None => false,
        };
        if !valid {
            self.push(FieldError::new(field, "invalid_email"));
        }
        Some(email)
    }

    /// NIK: exactly 16 digits.
    pub fn nik(&mut self, field: &str, value: Option<&str>) -> Option<String> {
        let nik = self.optional_text(field, value, NIK_LEN)?;
        if nik.len() != NIK_LEN || !nik.chars().all(|c| c.is_ascii_digit()) {
            self.push(FieldError::new(field, "invalid_nik"));
        }
        Some(nik)
    }

    pub fn coordinate(&mut self, field: &str, value: Option<f64>, bound: f64) -> Option<f64> {
        let value = value?;
        if !value.is_finite() || value.abs() > bound {
            self.push(FieldError::new(field, "out_of_range"));
        }
        Some(value)
    }

    /// Trims, drops empty and repeated tags, and checks count and length.
    pub fn tags(&mut self, field: &str, tags: &[String]) -> Vec<String> {
        let mut cleaned: Vec<String> = Vec::new();
        for tag in tags {
            let tag = tag.trim().to_lowercase();
            if tag.is_empty() || cleaned.contains(&tag) {
                continue;
            }
            if tag.chars().count() > TAG_MAX {
                self.push(FieldError::with_limit(field, "too_long", TAG_MAX));
            }
            cleaned.push(tag);
        }
        if cleaned.len() > TAGS_MAX {
            self.push(FieldError::with_limit(field, "too_many", TAGS_MAX));
        }
        cleaned
    }

    /// Returns every error collected, or `Ok` when there is none.
    pub fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_limits_count_characters() {
        let mut v = Validator::default();
        let emoji_title = "😡".repeat(TITLE_MAX);
        assert!(
            v.optional_text("title", Some(&emoji_title), TITLE_MAX)
                .is_some()
        );
        assert!(v.finish().is_ok());

        let mut v = Validator::default();
        let long = "a".repeat(TITLE_MAX + 1);
        v.optional_text("title", Some(&long), TITLE_MAX);
        let errors = v.finish().expect_err("too long");
        assert_eq!(errors[0].code, "too_long");
        assert_eq!(errors[0].limit, Some(TITLE_MAX));
    }

    #[test]
    fn reporter_formats() {
        let mut v = Validator::default();
        v.phone("phone", Some("0812-0008-8730"));
        v.email("email", Some("yoga.pratama@contoh.id"));
        v.nik("nik", Some("6371010101900001"));
        assert!(v.finish().is_ok());

        let mut v = Validator::default();
        v.phone("phone", Some("call me"));
        v.email("email", Some("no-at-sign"));
        v.nik("nik", Some("12345"));
        let codes: Vec<_> = v
            .finish()
            .expect_err("invalid")
            .iter()
            .map(|e| e.code)
            .collect();
        assert_eq!(codes, ["invalid_phone", "invalid_email", "invalid_nik"]);
    }

    #[test]
    fn required_text_rejects_blank() {
        let mut v = Validator::default();
        assert_eq!(v.required_text("body", Some("   "), BODY_MAX), "");
        assert_eq!(v.finish().expect_err("blank")[0].code, "required");
    }
}
