//! Where the cache's data lives in Redis: every key of one generation, under its namespace.

use uuid::Uuid;

/// The keys of one generation (its namespace).
#[derive(Debug)]
pub(super) struct Keys(pub(super) String);

impl Keys {
    /// The principal's sessions, one hash (see `entry.rs`): each cached session's entry, and
    /// in field `v` the stream version up to which it holds them all.
    pub(super) fn sessions(&self, principal_id: Uuid) -> String {
        format!("{}s:{principal_id}", self.0)
    }

    pub(super) fn grants(&self, principal_id: Uuid) -> String {
        format!("{}principal:{principal_id}:grants", self.0)
    }

    pub(super) fn role_prefix(&self) -> String {
        format!("{}role:", self.0)
    }

    pub(super) fn role(&self, role_id: Uuid) -> String {
        format!("{}role:{role_id}", self.0)
    }

    /// How many sessions end in each second (field: the epoch second), for counting the active
    /// ones.
    pub(super) fn active(&self) -> String {
        format!("{}sessions:ending", self.0)
    }

    pub(super) fn epoch(&self) -> String {
        format!("{}epoch", self.0)
    }

    pub(super) fn filled(&self) -> String {
        format!("{}session-cache:filled", self.0)
    }
}
