//! Compatibility levels and the decision behind registration and the compatibility endpoints:
//! which earlier versions a new schema is compared with, and whether each comparison passes.
//! Pure: parsed schemas in, human-readable reasons out.
//!
//! The decision itself is `apache_avro`'s schema resolution check; only a full match counts,
//! because a partial one means some records written by one side cannot be read by the other.

use std::fmt;
use std::str::FromStr;

use apache_avro::Schema;
use apache_avro::schema_compatibility::{Compatibility, SchemaCompatibility};

/// A subject's compatibility level, as Confluent names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    None,
    /// The new schema can read data written with the latest one.
    Backward,
    /// The new schema can read data written with every earlier one.
    BackwardTransitive,
    /// The latest schema can read data written with the new one.
    Forward,
    /// Every earlier schema can read data written with the new one.
    ForwardTransitive,
    /// Backward and forward against the latest schema.
    Full,
    /// Backward and forward against every earlier schema.
    FullTransitive,
}

impl Level {
    pub const ALL: [Level; 7] = [
        Self::None,
        Self::Backward,
        Self::BackwardTransitive,
        Self::Forward,
        Self::ForwardTransitive,
        Self::Full,
        Self::FullTransitive,
    ];

    /// Confluent's default when neither the subject nor the registry sets a level.
    pub const DEFAULT: Level = Level::Backward;

    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Backward => "BACKWARD",
            Self::BackwardTransitive => "BACKWARD_TRANSITIVE",
            Self::Forward => "FORWARD",
            Self::ForwardTransitive => "FORWARD_TRANSITIVE",
            Self::Full => "FULL",
            Self::FullTransitive => "FULL_TRANSITIVE",
        }
    }

    pub fn is_transitive(self) -> bool {
        matches!(
            self,
            Self::BackwardTransitive | Self::ForwardTransitive | Self::FullTransitive
        )
    }

    fn new_must_read_old(self) -> bool {
        matches!(
            self,
            Self::Backward | Self::BackwardTransitive | Self::Full | Self::FullTransitive
        )
    }

    fn old_must_read_new(self) -> bool {
        matches!(
            self,
            Self::Forward | Self::ForwardTransitive | Self::Full | Self::FullTransitive
        )
    }

    /// The earlier versions (oldest first) a new schema is compared with: none, the latest, or
    /// all of them.
    pub fn versions_to_check<T>(self, history: &[T]) -> &[T] {
        match self {
            Self::None => &[],
            level if level.is_transitive() => history,
            _ => history.last().map(std::slice::from_ref).unwrap_or(&[]),
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A compatibility level name that is none of [`Level::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "Invalid compatibility level {0:?}. Valid values are NONE, BACKWARD, BACKWARD_TRANSITIVE, \
     FORWARD, FORWARD_TRANSITIVE, FULL and FULL_TRANSITIVE"
)]
pub struct UnknownLevel(pub String);

impl FromStr for Level {
    type Err = UnknownLevel;

    /// Case-insensitive, as Confluent's registry accepts `backward` as well as `BACKWARD`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.to_ascii_uppercase();
        Self::ALL
            .into_iter()
            .find(|l| l.as_str() == upper)
            .ok_or_else(|| UnknownLevel(s.to_owned()))
    }
}

/// A registered version of a subject, parsed.
#[derive(Debug, Clone)]
pub struct Version {
    pub number: i32,
    pub schema: Schema,
}

/// Why `candidate` may not follow `previous` under `level`; empty when it may.
pub fn incompatibilities(level: Level, candidate: &Schema, previous: &Version) -> Vec<String> {
    let mut reasons = Vec::new();
    if level.new_must_read_old()
        && let Some(why) = cannot_read(&previous.schema, candidate)
    {
        reasons.push(format!(
            "the new schema cannot read data written with version {}: {why}",
            previous.number
        ));
    }
    if level.old_must_read_new()
        && let Some(why) = cannot_read(candidate, &previous.schema)
    {
        reasons.push(format!(
            "version {} cannot read data written with the new schema: {why}",
            previous.number
        ));
    }
    reasons
}

/// Compares `candidate` with the versions of `history` (oldest first) that `level` requires.
/// A subject without versions accepts anything.
pub fn check(level: Level, candidate: &Schema, history: &[Version]) -> Vec<String> {
    level
        .versions_to_check(history)
        .iter()
        .flat_map(|previous| incompatibilities(level, candidate, previous))
        .collect()
}

fn cannot_read(writer: &Schema, reader: &Schema) -> Option<String> {
    match SchemaCompatibility::can_read(writer, reader) {
        Ok(Compatibility::Full) => None,
        Ok(Compatibility::Partial) => {
            Some("only some of the values written can be read (partial match)".to_owned())
        }
        Err(e) => Some(e.to_string()),
    }
}

#[cfg(test)]
#[path = "compat_tests.rs"]
mod tests;
