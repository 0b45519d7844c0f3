//! The closed set of permissions an access token can carry (API.md "Users and RBAC").

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::EventError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Permission {
    UsersRead,
    UsersWrite,
    RolesRead,
    RolesWrite,
    RolesAssign,
    SessionsRead,
    SessionsRevoke,
    AuditRead,
    CustomersRead,
    CustomersWrite,
    CustomersSegment,
    CustomersExport,
    CustomersErase,
    /// Asking query-api whether someone else's access token is active (RFC 7662 §2.1: the
    /// introspection endpoint authenticates its callers); service accounts hold it.
    TokensIntrospect,
}

impl Permission {
    pub const ALL: [Permission; 14] = [
        Self::UsersRead,
        Self::UsersWrite,
        Self::RolesRead,
        Self::RolesWrite,
        Self::RolesAssign,
        Self::SessionsRead,
        Self::SessionsRevoke,
        Self::AuditRead,
        Self::CustomersRead,
        Self::CustomersWrite,
        Self::CustomersSegment,
        Self::CustomersExport,
        Self::CustomersErase,
        Self::TokensIntrospect,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::UsersRead => "users:read",
            Self::UsersWrite => "users:write",
            Self::RolesRead => "roles:read",
            Self::RolesWrite => "roles:write",
            Self::RolesAssign => "roles:assign",
            Self::SessionsRead => "sessions:read",
            Self::SessionsRevoke => "sessions:revoke",
            Self::AuditRead => "audit:read",
            Self::CustomersRead => "customers:read",
            Self::CustomersWrite => "customers:write",
            Self::CustomersSegment => "customers:segment",
            Self::CustomersExport => "customers:export",
            Self::CustomersErase => "customers:erase",
            Self::TokensIntrospect => "tokens:introspect",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Permission {
    type Err = EventError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| EventError::invalid("permission", s))
    }
}

impl TryFrom<String> for Permission {
    type Error = EventError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Permission> for String {
    fn from(p: Permission) -> Self {
        p.as_str().to_owned()
    }
}
