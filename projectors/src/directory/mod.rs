//! The directory projections: admin users (with their role assignments) from the users' topic
//! and roles from the roles' topic, into the Postgres tables the query API lists and shows.
//! Both write one generation of the directory and switch together when it is rebuilt.

mod rebuild;
mod runner;

use std::sync::Arc;

use events::codec::AnyEvent;
use events::roles::RoleEvent;
use events::topics::Category;
use events::users::UserEvent;
use events::{EventFamily, RawEvent};
use store::directory::Directory;
use store::event_store::EventStore;
use store::read_model::Projected;
use store::session_cache::SessionCache;

use crate::cli::DirectoryArgs;
use crate::engine::Source;
use crate::projection::{ApplyError, Mode, Projection, redrive_stream};
pub use rebuild::{RebuiltDirectory, rebuild};
pub use runner::DirectoryRunner;

/// Which of the directory's topics a projection follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Users,
    Roles,
}

impl Side {
    pub const BOTH: [Side; 2] = [Side::Users, Side::Roles];

    pub fn category(self) -> Category {
        match self {
            Self::Users => Category::Users,
            Self::Roles => Category::Roles,
        }
    }

    /// The projection's name in metrics, dead-letter headers and the parked streams.
    pub fn name(self) -> &'static str {
        match self {
            Self::Users => "directory-users",
            Self::Roles => "directory-roles",
        }
    }
}

/// Where `side` of generation `generation` reads from.
pub fn source(
    kafka: &runtime::kafka::KafkaArgs,
    args: &DirectoryArgs,
    side: Side,
    generation: u32,
    mode: Mode,
) -> Source {
    let topics = kafka.topics();
    let group = match (side, generation) {
        (Side::Users, 0) => format!("{}-users", args.group_prefix),
        (Side::Roles, 0) => format!("{}-roles", args.group_prefix),
        (Side::Users, n) => format!("{}-users.g{n}", args.group_prefix),
        (Side::Roles, n) => format!("{}-roles.g{n}", args.group_prefix),
    };
    Source {
        topic: topics.events(side.category()),
        dead_letter_topic: topics.dead_letters(side.category()),
        group,
        mode,
    }
}

pub struct DirectoryProjection {
    side: Side,
    directory: Directory,
    store: Arc<dyn EventStore>,
    /// Where live events' effective permissions are written through, beside the commands'
    /// own writes: what a command's lost write left stale lasts only until its event is here.
    grants: Option<SessionCache>,
}

impl std::fmt::Debug for DirectoryProjection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectoryProjection")
            .field("side", &self.side)
            .field("directory", &self.directory)
            .finish_non_exhaustive()
    }
}

impl DirectoryProjection {
    pub fn new(side: Side, directory: Directory, store: Arc<dyn EventStore>) -> Self {
        Self {
            side,
            directory,
            store,
            grants: None,
        }
    }

    /// Also writes the effective permissions of each live event's user or role to `cache`,
    /// when the directory has them at the newest version of the stream.
    pub fn with_grants(self, cache: SessionCache) -> Self {
        Self {
            grants: Some(cache),
            ..self
        }
    }

    /// Best effort: the cache entry expires anyway, and readers that miss fold the events.
    async fn write_grants(&self, cache: &SessionCache, event: &AnyEvent) {
        if let Err(error) = self.try_write_grants(cache, event).await {
            tracing::warn!(%error, "effective permissions not written to the cache");
        }
    }

    async fn try_write_grants(&self, cache: &SessionCache, event: &AnyEvent) -> Result<(), String> {
        match event {
            AnyEvent::User(recorded) => {
                let Some(user_id) = Category::Users.id_of(&recorded.envelope.stream_id) else {
                    return Ok(());
                };
                let found = self.directory.principal_grants(user_id).await;
                if let Some(grants) = found.map_err(|e| e.to_string())? {
                    let put = cache.put_principal_grants(user_id, &grants).await;
                    put.map_err(|e| e.to_string())?;
                }
            }
            AnyEvent::Role(recorded) => {
                let Some(role_id) = Category::Roles.id_of(&recorded.envelope.stream_id) else {
                    return Ok(());
                };
                let version = recorded.envelope.version;
                let role = self.directory.role_permissions(role_id, version).await;
                if let Some(role) = role.map_err(|e| e.to_string())? {
                    let put = cache.put_role_permissions(role_id, &role).await;
                    put.map_err(|e| e.to_string())?;
                }
            }
            AnyEvent::Session(_) | AnyEvent::Customer(_) => {}
        }
        Ok(())
    }

    async fn apply_raw(&self, raw: &RawEvent) -> Result<Projected, ApplyError> {
        let projected = match self.side {
            Side::Users => {
                let recorded = UserEvent::from_raw(raw).map_err(permanent)?;
                self.directory.apply_user(&recorded).await
            }
            Side::Roles => {
                let recorded = RoleEvent::from_raw(raw).map_err(permanent)?;
                self.directory.apply_role(&recorded).await
            }
        };
        projected.map_err(ApplyError::from)
    }
}

fn permanent(e: impl std::fmt::Display) -> ApplyError {
    ApplyError::Permanent(e.to_string())
}

fn outcome(projected: Projected) -> &'static str {
    match projected {
        Projected::Applied => "applied",
        Projected::AlreadyApplied => "already_applied",
    }
}

#[async_trait::async_trait]
impl Projection for DirectoryProjection {
    fn name(&self) -> &'static str {
        self.side.name()
    }

    async fn apply(&self, event: &AnyEvent, mode: Mode) -> Result<&'static str, ApplyError> {
        let projected = match (self.side, event) {
            (Side::Users, AnyEvent::User(recorded)) => self.directory.apply_user(recorded).await,
            (Side::Roles, AnyEvent::Role(recorded)) => self.directory.apply_role(recorded).await,
            _ => return Ok("ignored"),
        };
        let projected = projected.map_err(ApplyError::from)?;
        if let (Some(cache), Mode::Live, Projected::Applied) = (&self.grants, mode, projected) {
            self.write_grants(cache, event).await;
        }
        Ok(outcome(projected))
    }

    async fn redrive(&self, stream_id: &str, from_version: i64) -> Result<i64, ApplyError> {
        let (category, name) = (self.side.category(), self.side.name());
        redrive_stream(
            &*self.store,
            category,
            name,
            stream_id,
            from_version,
            |raw| async move { self.apply_raw(&raw).await.map(drop) },
        )
        .await
    }

    async fn sink_available(&self) -> bool {
        self.directory.reachable().await
    }
}
