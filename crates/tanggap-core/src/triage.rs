//! Vocabulary of the triage inbox: messages from WhatsApp, SMS and e-mail
//! wait there, grouped into conversations per sender, until staff turn a
//! conversation into a complaint, attach it to one, or dismiss it.

use crate::complaint::coded_enum;
use serde::{Deserialize, Serialize};

coded_enum! {
    /// State of a triage conversation.
    TriageState {
        /// Waiting for staff.
        New = "new",
        /// Turned into a complaint; later messages follow that complaint.
        Converted = "converted",
        /// Attached to an existing complaint; later messages follow it.
        Attached = "attached",
        Dismissed = "dismissed",
        /// A message that could not be read or was too large, kept with the reason.
        Quarantined = "quarantined",
    }
}

impl TriageState {
    /// States in which a sender's next message joins the conversation.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            TriageState::New | TriageState::Converted | TriageState::Attached
        )
    }
}

coded_enum! {
    /// Reason staff dismissed a conversation.
    DismissReason {
        Spam = "spam",
        NotAComplaint = "not_a_complaint",
        Duplicate = "duplicate",
    }
}

coded_enum! {
    /// Reason a message went to quarantine instead of the inbox.
    QuarantineReason {
        /// The message could not be parsed.
        Malformed = "malformed",
        /// The message is larger than the configured limit.
        Oversized = "oversized",
    }
}

/// Flag of a conversation whose message named a complaint (by tracking
/// number or threading headers) that its sender does not own.
pub const FLAG_FOREIGN_REFERENCE: &str = "foreign_reference";

/// Masks a phone number or e-mail address for lists: a phone number keeps
/// its first four and last two digits, an e-mail address the first
/// character of its local part and its domain.
pub fn mask_sender(sender: &str) -> String {
    if let Some((local, domain)) = sender.split_once('@') {
        let first: String = local.chars().take(1).collect();
        return format!("{first}***@{domain}");
    }
    let chars: Vec<char> = sender.chars().collect();
    if chars.len() <= 6 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 6))
}

/// Returns the first `words` words of `text`, with an ellipsis when cut.
pub fn first_words(text: &str, words: usize) -> String {
    let mut parts = text.split_whitespace();
    let head: Vec<&str> = parts.by_ref().take(words).collect();
    let mut preview = head.join(" ");
    if parts.next().is_some() {
        preview.push('…');
    }
    preview
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_phone_keeps_ends() {
        assert_eq!(mask_sender("6281234567890"), "6281*******90");
    }

    #[test]
    fn mask_short_phone_hides_all() {
        assert_eq!(mask_sender("12345"), "*****");
    }

    #[test]
    fn mask_email_keeps_domain() {
        assert_eq!(mask_sender("warga@contoh.id"), "w***@contoh.id");
    }

    #[test]
    fn first_words_cuts_with_ellipsis() {
        assert_eq!(first_words("satu dua  tiga empat", 2), "satu dua…");
        assert_eq!(first_words("satu dua", 2), "satu dua");
    }
}
