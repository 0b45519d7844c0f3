//! What a role's fields may hold: each parser answers the canonical value or the field at fault.

use crate::users::fields::Invalid;

const NAME_MAX: usize = 64;
const DESCRIPTION_MAX: usize = 500;

/// A role's name: trimmed, 1 to 64 letters, digits, spaces, `-`, `_` or `.`. Names are unique
/// regardless of case ([`RoleName::key`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleName(String);

impl RoleName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let name = raw.trim();
        let count = name.chars().count();
        if count == 0 || count > NAME_MAX {
            return Err(Invalid::new("name", "1 to 64 characters"));
        }
        if !name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.'))
        {
            return Err(Invalid::new(
                "name",
                "letters, digits, spaces, '-', '_' and '.' only",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What uniqueness compares: the name lower-cased.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// What a role is for: trimmed, at most 500 characters, no control characters but new lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let text = raw.trim();
        if text.chars().count() > DESCRIPTION_MAX {
            return Err(Invalid::new("description", "at most 500 characters"));
        }
        if text.chars().any(|c| c.is_control() && c != '\n') {
            return Err(Invalid::new("description", "no control characters"));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_bounded_and_unique_regardless_of_case() {
        let name = RoleName::parse("  Customer Support ").expect("valid");
        assert_eq!(name.as_str(), "Customer Support");
        assert_eq!(
            name.key(),
            RoleName::parse("customer support").expect("valid").key()
        );
        for raw in ["", "   ", "a/b", "drop;table", &"x".repeat(65)] {
            assert_eq!(
                RoleName::parse(raw).expect_err(raw).field,
                "name",
                "{raw:?}"
            );
        }
    }

    #[test]
    fn descriptions_are_bounded() {
        assert_eq!(
            Description::parse(" Reads \n customers ")
                .expect("valid")
                .as_str(),
            "Reads \n customers"
        );
        assert!(Description::parse(&"x".repeat(501)).is_err());
        assert_eq!(
            Description::parse("a\u{0}b").expect_err("nul").field,
            "description"
        );
    }
}
