//! Refresh tokens as clients present them: parsing never panics, and whatever parses is exactly
//! the token that encodes it (one spelling per token).
#![no_main]

use access::refresh::RefreshToken;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(token) = RefreshToken::parse(text) {
        assert_eq!(token.expose(), text);
    }
});
