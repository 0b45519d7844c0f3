//! A principal's credentials: written in the transaction that creates or changes the
//! principal, looked up with the effective permissions as logins and refreshes need them.

use async_trait::async_trait;
use events::{Permission, PrincipalType};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Row};
use uuid::Uuid;

use store::event_store::{StoreError, TransactionalWrite, unavailable, violated_constraint};
use store::subject_keys::LoginIndex;

/// The unique index that makes a login (an email) one principal's only.
const LOGIN_CONSTRAINT: &str = "credentials_login_key";

/// A credential write's failure: a login another principal holds, or the database.
fn write_failed(e: sqlx::Error) -> StoreError {
    match violated_constraint(&e) {
        Some(LOGIN_CONSTRAINT) => StoreError::Taken("login"),
        _ => unavailable(e),
    }
}

/// A principal's login and password hash, stored beside (never inside) the events that create
/// or change the principal: a [`TransactionalWrite`] of that command. A login another principal
/// holds fails it with [`StoreError::Taken`].
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    pub principal_id: Uuid,
    pub principal_type: PrincipalType,
    /// The login's keyed hash (`LoginIndex::digest`), never the address.
    pub login: String,
    pub password_hash: String,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("principal_id", &self.principal_id)
            .field("principal_type", &self.principal_type)
            .field("login", &self.login)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl TransactionalWrite for Credential {
    async fn write(&self, conn: &mut PgConnection) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO credentials (principal_id, principal_type, login, password_hash) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (principal_id) DO UPDATE \
             SET login = excluded.login, password_hash = excluded.password_hash, \
             updated_at = now()",
        )
        .bind(self.principal_id)
        .bind(self.principal_type.as_str())
        .bind(&self.login)
        .bind(&self.password_hash)
        .execute(conn)
        .await
        .map(drop)
        .map_err(write_failed)
    }
}

/// One column of a principal's credential row, changed by the command that records why.
#[derive(Clone, PartialEq, Eq)]
pub enum CredentialChange {
    /// The new login's keyed hash; one another principal holds fails with [`StoreError::Taken`].
    Login(String),
    Password(String),
    Disabled(bool),
}

/// A [`CredentialChange`] of one principal: a [`TransactionalWrite`] of its command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialUpdate {
    pub principal_id: Uuid,
    pub change: CredentialChange,
}

/// Names the column, never the login's hash or the password hash.
impl std::fmt::Debug for CredentialChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Login(_) => "Login",
            Self::Password(_) => "Password",
            Self::Disabled(_) => "Disabled",
        })
    }
}

#[async_trait]
impl TransactionalWrite for CredentialUpdate {
    async fn write(&self, conn: &mut PgConnection) -> Result<(), StoreError> {
        let query = match &self.change {
            CredentialChange::Login(login) => sqlx::query(
                "UPDATE credentials SET login = $2, updated_at = now() WHERE principal_id = $1",
            )
            .bind(self.principal_id)
            .bind(login),
            CredentialChange::Password(hash) => sqlx::query(
                "UPDATE credentials SET password_hash = $2, updated_at = now() \
                 WHERE principal_id = $1",
            )
            .bind(self.principal_id)
            .bind(hash),
            CredentialChange::Disabled(disabled) => sqlx::query(
                "UPDATE credentials SET disabled = $2, updated_at = now() WHERE principal_id = $1",
            )
            .bind(self.principal_id)
            .bind(disabled),
        };
        query.execute(conn).await.map(drop).map_err(write_failed)
    }
}

/// What a login needs to know about a principal.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredCredential {
    pub principal_id: Uuid,
    pub principal_type: PrincipalType,
    pub password_hash: String,
    pub disabled: bool,
    /// Effective permissions: the union of the principal's roles'.
    pub permissions: Vec<Permission>,
}

impl std::fmt::Debug for StoredCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredCredential")
            .field("principal_id", &self.principal_id)
            .field("principal_type", &self.principal_type)
            .field("disabled", &self.disabled)
            .field("permissions", &self.permissions)
            .finish_non_exhaustive()
    }
}

#[async_trait]
pub trait Credentials: Send + Sync + 'static {
    async fn find(&self, login: &str) -> Result<Option<StoredCredential>, StoreError>;
    async fn find_by_id(&self, principal_id: Uuid) -> Result<Option<StoredCredential>, StoreError>;
    /// Replaces a hash made with outdated parameters (after a successful login).
    async fn rehash(&self, principal_id: Uuid, password_hash: &str) -> Result<(), StoreError>;
}

#[derive(Debug, Clone)]
pub struct PgCredentials {
    pool: PgPool,
}

impl PgCredentials {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

/// Credentials with their effective permissions; `$1` is bound by the caller's condition.
macro_rules! select_credential {
    ($condition:literal) => {
        concat!(
            "SELECT c.principal_id, c.principal_type, c.password_hash, c.disabled, ",
            "coalesce(array_agg(DISTINCT p) FILTER (WHERE p IS NOT NULL), '{}') AS permissions ",
            "FROM credentials c ",
            "LEFT JOIN auth_user_roles ur ON ur.user_id = c.principal_id ",
            "LEFT JOIN auth_roles r ON r.role_id = ur.role_id ",
            "LEFT JOIN LATERAL unnest(r.permissions) AS p ON true ",
            "WHERE ",
            $condition,
            " GROUP BY c.principal_id"
        )
    };
}

#[async_trait]
impl Credentials for PgCredentials {
    async fn find(&self, login: &str) -> Result<Option<StoredCredential>, StoreError> {
        sqlx::query(select_credential!("c.login = $1"))
            .bind(login)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?
            .map(|row| credential(&row))
            .transpose()
    }

    async fn find_by_id(&self, principal_id: Uuid) -> Result<Option<StoredCredential>, StoreError> {
        sqlx::query(select_credential!("c.principal_id = $1"))
            .bind(principal_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?
            .map(|row| credential(&row))
            .transpose()
    }

    async fn rehash(&self, principal_id: Uuid, password_hash: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE credentials SET password_hash = $2, updated_at = now() WHERE principal_id = $1",
        )
        .bind(principal_id)
        .bind(password_hash)
        .execute(&self.pool)
        .await
        .map(drop)
        .map_err(unavailable)
    }
}

fn credential(row: &PgRow) -> Result<StoredCredential, StoreError> {
    let corrupt = |e: &dyn std::fmt::Display| StoreError::Corrupt(e.to_string());
    let principal_type: String = row.try_get("principal_type").map_err(|e| corrupt(&e))?;
    let permissions: Vec<String> = row.try_get("permissions").map_err(|e| corrupt(&e))?;
    Ok(StoredCredential {
        principal_id: row.try_get("principal_id").map_err(|e| corrupt(&e))?,
        principal_type: principal_type.parse().map_err(|e| corrupt(&e))?,
        password_hash: row.try_get("password_hash").map_err(|e| corrupt(&e))?,
        disabled: row.try_get("disabled").map_err(|e| corrupt(&e))?,
        permissions: permissions
            .iter()
            .map(|p| p.parse())
            .collect::<Result<_, _>>()
            .map_err(|e| corrupt(&e))?,
    })
}

/// Replaces the addresses an older version stored as logins (in `credentials` and the login
/// counters) by their keyed hashes; run at start, before any login is served. How many rows
/// changed.
pub async fn hash_stored_logins(pool: &PgPool, logins: &LoginIndex) -> Result<u64, StoreError> {
    let mut tx = pool.begin().await.map_err(unavailable)?;
    let stored: Vec<String> = sqlx::query_scalar(
        "SELECT login FROM credentials WHERE login NOT LIKE 'h1:%' \
         UNION SELECT login FROM login_attempts WHERE login NOT LIKE 'h1:%'",
    )
    .fetch_all(&mut *tx)
    .await
    .map_err(unavailable)?;
    let mut changed = 0;
    for login in stored.iter().filter(|l| !LoginIndex::is_digest(l)) {
        let digest = logins.digest(login);
        for update in [
            "UPDATE credentials SET login = $2 WHERE login = $1",
            "UPDATE login_attempts SET login = $2 WHERE login = $1",
        ] {
            changed += sqlx::query(update)
                .bind(login)
                .bind(&digest)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?
                .rows_affected();
        }
    }
    tx.commit().await.map_err(unavailable)?;
    Ok(changed)
}
