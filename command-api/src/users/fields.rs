//! What a user's fields may hold, checked before anything is decided: each parser answers the
//! canonical value or the field at fault with why.

use crate::auth::login_name::canonical_login;

/// A field refused, with its name (as the API spells it) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: &'static str,
    pub reason: String,
}

impl Invalid {
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}

/// The longest address SMTP can carry (RFC 5321 §4.5.3.1.3).
const EMAIL_MAX: usize = 254;
const DISPLAY_NAME_MAX: usize = 100;

/// An email address as logins compare it: trimmed, NFKC, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let email = canonical_login(raw);
        let invalid = |why: &str| Err(Invalid::new("email", why));
        if email.chars().count() > EMAIL_MAX {
            return invalid("at most 254 characters");
        }
        let Some((local, domain)) = email.rsplit_once('@') else {
            return invalid("an address like name@example.com");
        };
        let label_ok = |label: &str| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        if local.is_empty()
            || local.len() > 64
            || email.chars().any(|c| c.is_whitespace() || c.is_control())
            || !domain.contains('.')
            || !domain.split('.').all(label_ok)
        {
            return invalid("an address like name@example.com");
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How a user is shown: trimmed, 1 to 100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let name = raw.trim();
        let count = name.chars().count();
        if count == 0 || count > DISPLAY_NAME_MAX {
            return Err(Invalid::new("display_name", "1 to 100 characters"));
        }
        if name.chars().any(char::is_control) {
            return Err(Invalid::new("display_name", "no control characters"));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_compared_in_one_spelling() {
        let email = Email::parse("  Ada.Lovelace@EXAMPLE.test ").expect("valid");
        assert_eq!(email.as_str(), "ada.lovelace@example.test");
        assert_eq!(
            Email::parse("ａｄａ@example.test").expect("valid"),
            Email::parse("ada@example.test").expect("valid")
        );
    }

    #[test]
    fn malformed_emails_name_the_field() {
        for raw in [
            "",
            "ada",
            "@example.test",
            "ada@",
            "ada@localhost",
            "ada@exa mple.test",
            "ada@-example.test",
            "ada@example..test",
            "a\u{7}da@example.test",
        ] {
            let refused = Email::parse(raw).expect_err(raw);
            assert_eq!(refused.field, "email", "{raw:?}");
        }
        let long = format!("{}@example.test", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
    }

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(
            DisplayName::parse("  Ada  ").expect("valid").as_str(),
            "Ada"
        );
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"x".repeat(101)).is_err());
        assert!(DisplayName::parse(&"é".repeat(100)).is_ok());
        assert_eq!(
            DisplayName::parse("Ada\nLovelace")
                .expect_err("control")
                .field,
            "display_name"
        );
    }
}
