//! Logins as they are stored and compared: one spelling per name, whatever the keyboard typed.

use unicode_normalization::UnicodeNormalization;

/// `raw` trimmed, NFKC-normalised and lower-cased (normalised again after, since lower-casing
/// can leave a non-normal form): full-width letters, ligatures and composed or decomposed
/// accents all name the same login.
pub fn canonical_login(raw: &str) -> String {
    raw.trim()
        .nfkc()
        .collect::<String>()
        .to_lowercase()
        .nfkc()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::canonical_login;

    #[test]
    fn spellings_of_one_login_become_one() {
        let plain = "admin@example.test";
        for spelling in [
            "  Admin@Example.TEST ",
            "ａｄｍｉｎ＠ｅｘａｍｐｌｅ．ｔｅｓｔ",
            "ADMIN@EXAMPLE.TEST",
        ] {
            assert_eq!(canonical_login(spelling), plain, "{spelling:?}");
        }
        assert_eq!(canonical_login("\u{FB01}ne@x.test"), "fine@x.test");
        assert_eq!(
            canonical_login("jose\u{301}@x.test"),
            canonical_login("jos\u{E9}@x.test")
        );
    }

    #[test]
    fn different_logins_stay_different() {
        assert_ne!(
            canonical_login("ada@x.test"),
            canonical_login("ada1@x.test")
        );
        assert_ne!(
            canonical_login("jose@x.test"),
            canonical_login("jos\u{E9}@x.test")
        );
    }
}
