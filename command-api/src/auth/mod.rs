//! Authentication pieces the commands use: password hashing, signing keys, access and refresh
//! tokens, and credential lookup.

pub mod config;
pub mod credentials;
pub mod keys;
pub mod lockout;
pub mod passwords;
pub mod refresh;
pub(crate) mod refresher;
pub mod tokens;
