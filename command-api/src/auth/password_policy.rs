//! Which new passwords are accepted, after NIST SP 800-63B (§3.1.1.2, "memorized secrets"):
//! long enough, counted in characters after NFKC normalisation (every Unicode character and
//! space allowed, long passphrases welcome), not absurdly long, and not one attackers try first:
//! on the list of common passwords shipped with the code (`common-passwords.txt`, 30,000 of
//! them; see its NOTICE), a single repeated character, a run like `abcdefghijkl` or
//! `987654321098`, or built around the account's own email or name. No composition rules
//! (NIST asks for none).

use std::collections::HashSet;
use std::sync::LazyLock;

use unicode_normalization::UnicodeNormalization;

static COMMON: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("common-passwords.txt").lines().collect());

/// The shortest context word (an email's local part, a name) a password may not contain.
const CONTEXT_MIN: usize = 4;

#[derive(Debug, Clone, clap::Args)]
pub struct PasswordPolicyArgs {
    /// Fewest characters a new password may have.
    #[arg(
        long = "password-min-chars",
        env = "PASSWORD_MIN_CHARS",
        default_value_t = 12
    )]
    pub min_chars: usize,
    /// Most characters a new password may have (the hash's cost does not depend on it, but a
    /// bound keeps requests small).
    #[arg(
        long = "password-max-chars",
        env = "PASSWORD_MAX_CHARS",
        default_value_t = 256
    )]
    pub max_chars: usize,
}

impl Default for PasswordPolicyArgs {
    fn default() -> Self {
        Self {
            min_chars: 12,
            max_chars: 256,
        }
    }
}

/// Why a new password was refused (what the client is told, under the field `password`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeakPassword {
    #[error("at least {0} characters")]
    TooShort(usize),
    #[error("at most {0} characters")]
    TooLong(usize),
    #[error("too common: it is on the list of passwords attackers try first")]
    Common,
    #[error("a single character repeated")]
    Repeated,
    #[error("a run of consecutive characters")]
    Sequential,
    #[error("contains the account's email or name")]
    Personal,
}

impl PasswordPolicyArgs {
    /// Accepts `password` for the account known by `context` (its email, its name), or says
    /// why not.
    pub fn check(&self, password: &str, context: &[&str]) -> Result<(), WeakPassword> {
        let normal: String = password.nfkc().collect();
        let chars: Vec<char> = normal.to_lowercase().chars().collect();
        if chars.len() < self.min_chars {
            return Err(WeakPassword::TooShort(self.min_chars));
        }
        if chars.len() > self.max_chars {
            return Err(WeakPassword::TooLong(self.max_chars));
        }
        let lower: String = chars.iter().collect();
        if COMMON.contains(lower.as_str()) {
            return Err(WeakPassword::Common);
        }
        if chars.iter().all(|c| *c == chars[0]) {
            return Err(WeakPassword::Repeated);
        }
        if is_run(&chars) {
            return Err(WeakPassword::Sequential);
        }
        let personal = context
            .iter()
            .flat_map(|word| words(word))
            .filter(|w| w.chars().count() >= CONTEXT_MIN)
            .any(|w| lower.contains(&w));
        if personal {
            return Err(WeakPassword::Personal);
        }
        Ok(())
    }
}

/// Every step one code point up, or every step one down (digits wrap: `…890123`).
fn is_run(chars: &[char]) -> bool {
    let step = |a: char, b: char| match (a, b) {
        ('9', '0') => 1,
        ('0', '9') => -1,
        _ => b as i64 - a as i64,
    };
    let steps: Vec<i64> = chars.windows(2).map(|w| step(w[0], w[1])).collect();
    steps.iter().all(|s| *s == 1) || steps.iter().all(|s| *s == -1)
}

/// The words a context entry offers: an email's local part and its pieces, a name's parts.
fn words(entry: &str) -> Vec<String> {
    let lower = entry.to_lowercase();
    let local = lower.split('@').next().unwrap_or_default().to_owned();
    let mut words: Vec<String> = local
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_owned)
        .collect();
    words.push(local);
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(password: &str) -> Result<(), WeakPassword> {
        PasswordPolicyArgs::default().check(password, &["ada.lovelace@example.test", "Ada Byron"])
    }

    #[test]
    fn long_passphrases_in_any_script_are_welcome() {
        for good in [
            "correct horse battery staple",
            "Ünïcödé pässphrase, ja!",
            "日本語のパスフレーズです",
            "x7#kQ!p2vL9@",
        ] {
            assert_eq!(check(good), Ok(()), "{good:?}");
        }
    }

    #[test]
    fn length_is_counted_in_characters_after_normalisation() {
        assert_eq!(check("short pass"), Err(WeakPassword::TooShort(12)));
        // Twelve full-width letters are twelve characters, whatever their bytes.
        assert_eq!(check("ｑｚｘｊｖｋｗｐｍｆｈｂ"), Ok(()));
        assert_eq!(check(&"xy".repeat(129)), Err(WeakPassword::TooLong(256)));
    }

    #[test]
    fn what_attackers_try_first_is_refused() {
        assert_eq!(check("1qaz2wsx3edc"), Err(WeakPassword::Common));
        assert_eq!(check("QWERTY123456"), Err(WeakPassword::Common));
        assert_eq!(check("aaaaaaaaaaaaaaa"), Err(WeakPassword::Repeated));
        assert_eq!(check("abcdefghijklm"), Err(WeakPassword::Sequential));
        assert_eq!(check("987654321098"), Err(WeakPassword::Sequential));
        assert_eq!(check("lovelace-2026!"), Err(WeakPassword::Personal));
        assert_eq!(check("my name is byron, ok"), Err(WeakPassword::Personal));
    }

    #[test]
    fn the_shipped_list_is_whole() {
        assert_eq!(COMMON.len(), 30_000);
        assert!(COMMON.contains("password"));
    }
}
