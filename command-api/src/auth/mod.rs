//! Authentication pieces the commands use: password hashing and the policy new passwords
//! meet, signing keys, access and refresh tokens, credentials and the role grants logins read.

pub mod config;
pub mod credentials;
pub mod grants;
pub mod keys;
pub mod lockout;
pub mod login_name;
pub mod password_policy;
pub mod passwords;
pub mod reauth;
pub(crate) mod refresher;
pub mod throttle;
pub mod tokens;
