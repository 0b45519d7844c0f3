//! The claims of an access token.

use events::{Permission, PrincipalType};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    /// The services the token is for.
    pub aud: String,
    /// The principal.
    pub sub: Uuid,
    /// The session the token belongs to.
    pub sid: Uuid,
    pub principal_type: PrincipalType,
    pub permissions: Vec<Permission>,
    pub jti: Uuid,
    pub iat: i64,
    pub exp: i64,
}

impl AccessClaims {
    pub fn has(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }
}
