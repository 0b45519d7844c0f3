//! Grants in Redis: the principal's hash (`version`, `disabled`, `roles` as comma-separated
//! ids) and each role's (`version`, `permissions` comma-separated, `deleted`), read together by
//! `read.lua` from the trusted instance only, and written by `write.lua`.

use std::collections::{BTreeSet, HashMap};

use redis::{FromRedisValue, Value};
use uuid::Uuid;

use super::{ENTRY_TTL, Effective, PrincipalGrants, RolePermissions};
use crate::session_cache::read::{entry_of, parse};
use crate::session_cache::{CacheError, CachedSession, Epoch, SessionCache};

fn flag(value: bool) -> &'static str {
    if value { "1" } else { "0" }
}

fn joined<T: ToString>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|item| item.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn principal_fields(grants: &PrincipalGrants) -> Vec<(&'static str, String)> {
    vec![
        ("disabled", flag(grants.disabled).to_owned()),
        ("roles", joined(&grants.roles)),
    ]
}

fn role_fields(role: &RolePermissions) -> Vec<(&'static str, String)> {
    vec![
        (
            "permissions",
            joined(role.permissions.iter().map(|p| p.as_str())),
        ),
        ("deleted", flag(role.deleted).to_owned()),
    ]
}

impl SessionCache {
    /// The effective permissions of `principal_id` if the cache holds its grants and those of
    /// every role it holds; `None` otherwise.
    pub async fn grants_of(&self, principal_id: Uuid) -> Result<Option<Effective>, CacheError> {
        let keys = self.keys();
        let prefix = keys.role_prefix();
        let read = self
            .read_with(&[keys.grants(principal_id)], "grants", &[prefix.as_bytes()])
            .await?;
        effective_of(read)
    }

    /// For each `(session_id, principal_id)` of `tokens`, the session's entry and the
    /// principal's effective permissions, all read in one step: what authenticating bearer
    /// tokens needs (introspection checks its caller's token and the one it is asked about).
    /// Either is `None` when the cache lacks it (as [`SessionCache::get`] and
    /// [`SessionCache::grants_of`] answer).
    pub async fn access_all(
        &self,
        tokens: &[(Uuid, Uuid)],
    ) -> Result<Vec<(Option<CachedSession>, Option<Effective>)>, CacheError> {
        let keys = self.keys();
        let wanted: Vec<String> = tokens
            .iter()
            .flat_map(|(_, principal)| [keys.sessions(*principal), keys.grants(*principal)])
            .collect();
        let prefix = keys.role_prefix();
        let args: Vec<&[u8]> = std::iter::once(prefix.as_bytes())
            .chain(
                tokens
                    .iter()
                    .map(|(session, _)| session.as_bytes().as_slice()),
            )
            .collect();
        let read = self.read_with(&wanted, "access", &args).await?;
        let answers: Vec<(Vec<Option<Vec<u8>>>, Value)> = parse(read)?;
        if answers.len() != tokens.len() {
            return Err(unexpected("not one answer for each session"));
        }
        tokens
            .iter()
            .zip(answers)
            .map(|((session_id, principal_id), (entry, grants))| {
                let grants = match grants {
                    Value::Array(items) if items.is_empty() => None,
                    grants => effective_of(grants)?,
                };
                Ok((entry_of(*principal_id, *session_id, entry), grants))
            })
            .collect()
    }

    /// Writes what a reader folded from the event store after taking `epoch`.
    pub async fn fill_grants(
        &self,
        principal_id: Uuid,
        principal: &PrincipalGrants,
        roles: &[(Uuid, RolePermissions)],
        epoch: &Epoch,
    ) -> Result<(), CacheError> {
        let keys = self.keys();
        for (role_id, role) in roles {
            self.write_grants(
                keys.role(*role_id),
                role.version,
                Some(epoch),
                role_fields(role),
            )
            .await?;
        }
        let fields = principal_fields(principal);
        self.write_grants(
            keys.grants(principal_id),
            principal.version,
            Some(epoch),
            fields,
        )
        .await
    }

    /// Writes the state a command on the principal's user stream just committed.
    pub async fn put_principal_grants(
        &self,
        principal_id: Uuid,
        grants: &PrincipalGrants,
    ) -> Result<(), CacheError> {
        let key = self.keys().grants(principal_id);
        self.write_grants(key, grants.version, None, principal_fields(grants))
            .await
    }

    /// Writes the state a command on the role's stream just committed.
    pub async fn put_role_permissions(
        &self,
        role_id: Uuid,
        role: &RolePermissions,
    ) -> Result<(), CacheError> {
        let key = self.keys().role(role_id);
        self.write_grants(key, role.version, None, role_fields(role))
            .await
    }

    /// Drops what the cache holds of a principal's grants (before a command on its stream).
    pub async fn forget_principal_grants(&self, principal_id: Uuid) -> Result<(), CacheError> {
        self.delete(self.keys().grants(principal_id)).await
    }

    /// Drops what the cache holds of a role (before a command on its stream).
    pub async fn forget_role_permissions(&self, role_id: Uuid) -> Result<(), CacheError> {
        self.delete(self.keys().role(role_id)).await
    }

    async fn delete(&self, key: String) -> Result<(), CacheError> {
        let mut conn = self.conn.clone();
        redis::cmd("DEL")
            .arg(key)
            .query_async::<i64>(&mut conn)
            .await?;
        Ok(())
    }

    async fn write_grants(
        &self,
        key: String,
        version: i64,
        epoch: Option<&Epoch>,
        fields: Vec<(&'static str, String)>,
    ) -> Result<(), CacheError> {
        let mut invocation = self.grants_script.prepare_invoke();
        invocation
            .key(key)
            .key(self.keys().epoch())
            .arg(version)
            .arg(epoch.map(|e| e.0.as_str()).unwrap_or(""))
            .arg(u64::try_from(ENTRY_TTL.as_millis()).unwrap_or(u64::MAX));
        for (field, value) in fields {
            invocation.arg(field).arg(value);
        }
        let mut conn = self.conn.clone();
        match invocation.invoke_async::<i64>(&mut conn).await? {
            -2 => Err(CacheError::Flushed),
            _ => Ok(()),
        }
    }
}

/// The answer of a "grants" read: the principal's hash, then each role's; `None` when the
/// cache lacks the principal or one of its roles, or holds a permission this build does not
/// know.
fn effective_of(read: Value) -> Result<Option<Effective>, CacheError> {
    let Some(items) =
        Option::<Vec<Value>>::from_redis_value(read).map_err(redis::RedisError::from)?
    else {
        return Ok(None);
    };
    let mut hashes = items
        .into_iter()
        .map(|v| HashMap::<String, String>::from_redis_value(v).map_err(redis::RedisError::from));
    let principal = hashes.next().transpose()?.unwrap_or_default();
    let disabled = principal.get("disabled").map(String::as_str) == Some("1");
    let mut permissions = BTreeSet::new();
    for role in hashes {
        let role = role?;
        if role.is_empty() {
            return Ok(None);
        }
        if role.get("deleted").map(String::as_str) == Some("1") {
            continue;
        }
        let listed = role.get("permissions").map(String::as_str).unwrap_or("");
        for permission in listed.split(',').filter(|p| !p.is_empty()) {
            match permission.parse() {
                Ok(permission) => permissions.insert(permission),
                Err(_) => return Ok(None),
            };
        }
    }
    if disabled {
        permissions.clear();
    }
    Ok(Some(Effective {
        disabled,
        permissions,
    }))
}

fn unexpected(what: &'static str) -> CacheError {
    redis::RedisError::from((redis::ErrorKind::UnexpectedReturnType, what)).into()
}
