//! Which active sessions a revoke-all ends.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Session;

/// The active sessions a [`RevokeAll`](super::RevokeAll) ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// Every one.
    #[default]
    All,
    /// Those started at or before a moment (a password change or a disabling: a session
    /// begun after it was begun with the new password, or after an enabling), except one (the
    /// session that changed the password).
    StartedBy {
        moment: DateTime<Utc>,
        except: Option<Uuid>,
    },
}

impl Scope {
    pub fn covers(self, session: &Session) -> bool {
        match self {
            Self::All => true,
            Self::StartedBy { moment, except } => {
                session.started_at <= moment && except != Some(session.id)
            }
        }
    }
}
