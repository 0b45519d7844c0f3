//! [`DirectoryReads`] on the directory's Postgres tables.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::postgres::PgRow;
use store::event_store::{StoreError, unavailable};
use uuid::Uuid;

use crate::reach::{Projected, projected_in};

use super::{DirectoryReads, Holder, RoleRef, RoleView, UserFilter, UserView};

#[derive(Debug, Clone)]
pub struct PgDirectory {
    pool: sqlx::PgPool,
}

impl PgDirectory {
    pub fn new(pool: sqlx::PgPool) -> Self {
        Self { pool }
    }

    async fn find_users(
        &self,
        user_id: Option<Uuid>,
        filter: &UserFilter,
    ) -> Result<Vec<UserView>, StoreError> {
        let rows = sqlx::query(include_str!("users.sql"))
            .bind(user_id)
            .bind(filter.role_id)
            .bind(filter.prefix.as_deref().map(like_prefix))
            .bind(filter.disabled)
            .bind(filter.after)
            .bind(filter.limit)
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        rows.iter().map(user).collect()
    }

    async fn find_roles(
        &self,
        role_id: Option<Uuid>,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<RoleView>, StoreError> {
        let rows = sqlx::query(include_str!("roles.sql"))
            .bind(role_id)
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        rows.iter().map(role).collect()
    }
}

/// `prefix` as a LIKE pattern's start: its wildcards and escape character taken literally.
fn like_prefix(prefix: &str) -> String {
    let mut pattern = String::with_capacity(prefix.len());
    for c in prefix.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn user(row: &PgRow) -> Result<UserView, StoreError> {
    let roles: serde_json::Value = row.try_get("roles").map_err(corrupt)?;
    let roles = roles
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            Ok(RoleRef {
                role_id: r["role_id"]
                    .as_str()
                    .unwrap_or_default()
                    .parse()
                    .map_err(corrupt)?,
                name: r["name"].as_str().unwrap_or_default().to_owned(),
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(UserView {
        user_id: row.try_get("user_id").map_err(corrupt)?,
        email: row.try_get("email").map_err(corrupt)?,
        display_name: row.try_get("display_name").map_err(corrupt)?,
        disabled: row.try_get("disabled").map_err(corrupt)?,
        registered_at: row.try_get("registered_at").map_err(corrupt)?,
        updated_at: row.try_get("updated_at").map_err(corrupt)?,
        version: row.try_get("version").map_err(corrupt)?,
        roles,
        permissions: row.try_get("permissions").map_err(corrupt)?,
    })
}

fn role(row: &PgRow) -> Result<RoleView, StoreError> {
    Ok(RoleView {
        role_id: row.try_get("role_id").map_err(corrupt)?,
        name: row.try_get("name").map_err(corrupt)?,
        description: row.try_get("description").map_err(corrupt)?,
        permissions: row.try_get("permissions").map_err(corrupt)?,
        created_at: row.try_get("created_at").map_err(corrupt)?,
        updated_at: row.try_get("updated_at").map_err(corrupt)?,
        version: row.try_get("version").map_err(corrupt)?,
        holder_count: row.try_get("holder_count").map_err(corrupt)?,
    })
}

#[async_trait]
impl DirectoryReads for PgDirectory {
    async fn users(&self, filter: &UserFilter) -> Result<Vec<UserView>, StoreError> {
        self.find_users(None, filter).await
    }

    async fn user(&self, user_id: Uuid) -> Result<Option<UserView>, StoreError> {
        let one = UserFilter {
            limit: 1,
            ..UserFilter::default()
        };
        Ok(self.find_users(Some(user_id), &one).await?.pop())
    }

    async fn roles(&self, after: Option<Uuid>, limit: i64) -> Result<Vec<RoleView>, StoreError> {
        self.find_roles(None, after, limit).await
    }

    async fn role(&self, role_id: Uuid) -> Result<Option<RoleView>, StoreError> {
        Ok(self.find_roles(Some(role_id), None, 1).await?.pop())
    }

    async fn holders(&self, role_id: Uuid) -> Result<Vec<Holder>, StoreError> {
        let rows: Vec<(Uuid, String, String)> = sqlx::query_as(include_str!("holders.sql"))
            .bind(role_id)
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(rows
            .into_iter()
            .map(|(user_id, email, display_name)| Holder {
                user_id,
                email,
                display_name,
            })
            .collect())
    }
}

#[async_trait]
impl Projected for PgDirectory {
    async fn projected_version(&self, stream_id: &str) -> Result<i64, StoreError> {
        projected_in(&self.pool, store::directory::PROJECTION, stream_id).await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_prefix_matches_its_wildcards_literally() {
        assert_eq!(super::like_prefix("a_b%c\\"), "a\\_b\\%c\\\\");
        assert_eq!(super::like_prefix("grace"), "grace");
    }
}
