//! Checking access, the same way on the write side and the read side: the claims of an access
//! token, their verification against the published signing keys, the bearer token of a request,
//! the one rule for acting on a principal's resources (its owner, or a holder of the
//! permission), and the format of refresh tokens (issued by command-api, parsed by whoever
//! refreshes or revokes with one). Signing keys are made and rotated by command-api; this crate
//! only reads the published halves.

pub mod bearer;
pub mod claims;
pub mod guard;
pub mod keys;
pub mod refresh;
pub mod rules;
pub mod verifier;
pub mod watch;

pub use bearer::bearer_token;
pub use claims::AccessClaims;
pub use guard::{Authority, Denied, owner_or_permission};
pub use keys::{PublicKey, PublishedKeys};
pub use rules::TokenRules;
pub use verifier::{TokenError, TokenVerifier};
pub use watch::{KeyChanges, follow};
