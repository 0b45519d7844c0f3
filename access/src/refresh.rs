//! Refresh tokens: opaque to clients, random, and stored only as a hash. A token names its
//! principal and session (so the right stream can be loaded) and carries 256 random bits.

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use events::PrincipalType;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

const PREFIX: &str = "rt1.";
const SECRET_LEN: usize = 32;
/// principal type (1 byte), principal id, session id, secret
const LEN: usize = 1 + 16 + 16 + SECRET_LEN;

#[derive(Debug, thiserror::Error)]
#[error("malformed refresh token")]
pub struct Malformed;

/// A refresh token as issued to a client, never stored.
pub struct RefreshToken {
    pub principal_type: PrincipalType,
    pub principal_id: Uuid,
    pub session_id: Uuid,
    token: SecretString,
}

impl std::fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshToken")
            .field("principal_type", &self.principal_type)
            .field("principal_id", &self.principal_id)
            .field("session_id", &self.session_id)
            .finish_non_exhaustive()
    }
}

impl RefreshToken {
    pub fn generate(
        principal_type: PrincipalType,
        principal_id: Uuid,
        session_id: Uuid,
    ) -> Result<Self, Malformed> {
        let mut bytes = Vec::with_capacity(LEN);
        bytes.push(match principal_type {
            PrincipalType::User => b'u',
            PrincipalType::Customer => b'c',
        });
        bytes.extend_from_slice(principal_id.as_bytes());
        bytes.extend_from_slice(session_id.as_bytes());
        let mut secret = [0u8; SECRET_LEN];
        aws_lc_rs::rand::fill(&mut secret).map_err(|_| Malformed)?;
        bytes.extend_from_slice(&secret);
        Ok(Self {
            principal_type,
            principal_id,
            session_id,
            token: format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)).into(),
        })
    }

    pub fn parse(token: &str) -> Result<Self, Malformed> {
        let encoded = token.strip_prefix(PREFIX).ok_or(Malformed)?;
        let bytes = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| Malformed)?;
        if bytes.len() != LEN {
            return Err(Malformed);
        }
        let principal_type = match bytes.first() {
            Some(b'u') => PrincipalType::User,
            Some(b'c') => PrincipalType::Customer,
            _ => return Err(Malformed),
        };
        let id = |range: std::ops::Range<usize>| {
            bytes
                .get(range)
                .and_then(|b| Uuid::from_slice(b).ok())
                .ok_or(Malformed)
        };
        Ok(Self {
            principal_type,
            principal_id: id(1..17)?,
            session_id: id(17..33)?,
            token: token.to_owned().into(),
        })
    }

    /// What the client receives.
    pub fn expose(&self) -> &str {
        self.token.expose_secret()
    }

    /// What the event store keeps: SHA-256 of the whole token, hex.
    pub fn hash(&self) -> String {
        digest(&SHA256, self.token.expose_secret().as_bytes())
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_round_trips_its_ids_and_hashes_the_same() {
        let (principal, session) = (Uuid::now_v7(), Uuid::now_v7());
        let token =
            RefreshToken::generate(PrincipalType::Customer, principal, session).expect("token");
        let parsed = RefreshToken::parse(token.expose()).expect("parses");
        assert_eq!(parsed.principal_type, PrincipalType::Customer);
        assert_eq!(parsed.principal_id, principal);
        assert_eq!(parsed.session_id, session);
        assert_eq!(parsed.hash(), token.hash());
        assert_eq!(token.hash().len(), 64);
    }

    #[test]
    fn two_tokens_for_one_session_differ() {
        let (principal, session) = (Uuid::now_v7(), Uuid::now_v7());
        let a = RefreshToken::generate(PrincipalType::User, principal, session).expect("token");
        let b = RefreshToken::generate(PrincipalType::User, principal, session).expect("token");
        assert_ne!(a.expose(), b.expose());
        assert_ne!(a.hash(), b.hash());
    }

    #[test]
    fn malformed_tokens_are_refused() {
        for bad in ["", "rt1.", "rt2.AAAA", "rt1.!!!", "rt1.AAAA"] {
            assert!(RefreshToken::parse(bad).is_err(), "{bad}");
        }
    }
}
