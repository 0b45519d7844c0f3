//! When a session stops being usable: the one rule the sessions aggregate and the session cache
//! both apply, so that a command and an introspection never disagree about it.

use chrono::{DateTime, Duration, Utc};

/// The times that bound a session's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetime {
    pub last_used_at: DateTime<Utc>,
    /// The session ends when unused for this long.
    pub idle_timeout_secs: i64,
    /// The session ends at this time whatever its use.
    pub expires_at: DateTime<Utc>,
}

impl Lifetime {
    /// When the session ends unless it is used again.
    pub fn idle_expires_at(&self) -> DateTime<Utc> {
        self.last_used_at + Duration::seconds(self.idle_timeout_secs)
    }

    /// When the session ends if nothing else happens: the earlier of its two expiries.
    pub fn ends_at(&self) -> DateTime<Utc> {
        self.expires_at.min(self.idle_expires_at())
    }

    /// Whether a session of this lifetime is active at `now`: not revoked, and neither idle
    /// for too long nor past its absolute lifetime.
    pub fn is_active(&self, revoked: bool, now: DateTime<Utc>) -> bool {
        !revoked && now < self.ends_at()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + seconds, 0)
            .single()
            .expect("time")
    }

    fn lifetime(last_used: i64) -> Lifetime {
        Lifetime {
            last_used_at: at(last_used),
            idle_timeout_secs: 60,
            expires_at: at(100),
        }
    }

    #[test]
    fn active_until_the_idle_timeout_has_passed_since_the_last_use() {
        assert!(lifetime(0).is_active(false, at(59)));
        assert!(!lifetime(0).is_active(false, at(60)));
        assert_eq!(lifetime(0).ends_at(), at(60));
    }

    #[test]
    fn use_never_extends_a_session_past_its_absolute_expiry() {
        assert!(lifetime(90).is_active(false, at(99)));
        assert!(!lifetime(90).is_active(false, at(100)));
        assert_eq!(lifetime(90).ends_at(), at(100));
    }

    #[test]
    fn a_revoked_session_is_never_active() {
        assert!(!lifetime(0).is_active(true, at(1)));
    }
}
