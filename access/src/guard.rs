//! The one rule for acting on (or reading) a principal's resources: its owner may, and so may
//! a holder of the permission that covers everyone's.

use events::Permission;
use uuid::Uuid;

use crate::AccessClaims;

/// On what authority a caller acts on a principal's resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authority {
    /// The caller holds the permission: it acts as an administrator, on itself included.
    Permission,
    /// The caller is the principal and holds no such permission.
    Owner,
}

/// The caller is neither the owner nor a holder of the permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("neither the owner nor a holder of {0:?}")]
pub struct Denied(pub Permission);

/// Whether `claims` may act on what `owner` owns, and on what authority.
pub fn owner_or_permission(
    claims: &AccessClaims,
    owner: Uuid,
    permission: Permission,
) -> Result<Authority, Denied> {
    if claims.has(permission) {
        Ok(Authority::Permission)
    } else if claims.sub == owner {
        Ok(Authority::Owner)
    } else {
        Err(Denied(permission))
    }
}

#[cfg(test)]
mod tests {
    use events::PrincipalType;

    use super::*;

    fn claims(sub: Uuid, permissions: Vec<Permission>) -> AccessClaims {
        AccessClaims {
            iss: "test".into(),
            aud: "test".into(),
            sub,
            sid: Uuid::now_v7(),
            principal_type: PrincipalType::User,
            permissions,
            jti: Uuid::now_v7(),
            iat: 0,
            exp: 0,
        }
    }

    #[test]
    fn a_holder_of_the_permission_acts_on_anyone_as_such() {
        let (me, other) = (Uuid::now_v7(), Uuid::now_v7());
        let admin = claims(me, vec![Permission::SessionsRead]);
        for owner in [me, other] {
            assert_eq!(
                owner_or_permission(&admin, owner, Permission::SessionsRead),
                Ok(Authority::Permission)
            );
        }
    }

    #[test]
    fn without_it_only_the_owner_may() {
        let (me, other) = (Uuid::now_v7(), Uuid::now_v7());
        let caller = claims(me, vec![Permission::AuditRead]);
        assert_eq!(
            owner_or_permission(&caller, me, Permission::SessionsRead),
            Ok(Authority::Owner)
        );
        assert_eq!(
            owner_or_permission(&caller, other, Permission::SessionsRead),
            Err(Denied(Permission::SessionsRead))
        );
    }
}
