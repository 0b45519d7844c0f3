//! Stream categories and the Kafka topics they are published to.

use crate::EventError;

/// The aggregate category of a stream, taken from its id prefix (`sessions-<principal_id>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    Sessions,
    Users,
    Roles,
    Customers,
}

impl Category {
    pub const ALL: [Category; 4] = [
        Category::Sessions,
        Category::Users,
        Category::Roles,
        Category::Customers,
    ];

    /// The stream id prefix, without the dash.
    pub fn stream_prefix(self) -> &'static str {
        match self {
            Self::Sessions => "sessions",
            Self::Users => "user",
            Self::Roles => "role",
            Self::Customers => "customer",
        }
    }

    /// The topic name without any deployment prefix, e.g. `identity.sessions.v1`.
    pub fn topic(self) -> &'static str {
        match self {
            Self::Sessions => "identity.sessions.v1",
            Self::Users => "identity.users.v1",
            Self::Roles => "identity.roles.v1",
            Self::Customers => "identity.customers.v1",
        }
    }

    pub fn stream_id(self, id: impl std::fmt::Display) -> String {
        format!("{}-{id}", self.stream_prefix())
    }

    /// The id a stream of this category is named after (`None`: another category's, or no id).
    pub fn id_of(self, stream_id: &str) -> Option<uuid::Uuid> {
        stream_id
            .strip_prefix(self.stream_prefix())?
            .strip_prefix('-')?
            .parse()
            .ok()
    }

    pub fn of_stream(stream_id: &str) -> Result<Self, EventError> {
        Self::ALL
            .into_iter()
            .find(|c| {
                stream_id
                    .strip_prefix(c.stream_prefix())
                    .is_some_and(|rest| rest.starts_with('-') && rest.len() > 1)
            })
            .ok_or_else(|| EventError::invalid("stream_id", stream_id))
    }
}

/// How a dead-letter topic's name ends: the event topic's name and this.
pub const DEAD_LETTER_SUFFIX: &str = ".dlq";

/// Topic names under an optional prefix, so several deployments (or tests) can share a broker.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Topics {
    prefix: String,
}

impl Topics {
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
        }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn events(&self, category: Category) -> String {
        format!("{}{}", self.prefix, category.topic())
    }

    pub fn dead_letters(&self, category: Category) -> String {
        format!("{}{}{DEAD_LETTER_SUFFIX}", self.prefix, category.topic())
    }

    /// Every topic the platform needs: one event topic and one dead-letter topic per category.
    pub fn all(&self) -> Vec<String> {
        Category::ALL
            .into_iter()
            .flat_map(|c| [self.events(c), self.dead_letters(c)])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_ids_map_to_their_category() {
        assert_eq!(
            Category::of_stream("sessions-0190").ok(),
            Some(Category::Sessions)
        );
        assert_eq!(
            Category::of_stream("customer-42").ok(),
            Some(Category::Customers)
        );
        assert!(Category::of_stream("sessions").is_err());
        assert!(Category::of_stream("sessions-").is_err());
        assert!(Category::of_stream("users-1").is_err());
    }

    #[test]
    fn prefixed_topics_keep_the_canonical_name() {
        let topics = Topics::new("t1.");
        assert_eq!(topics.events(Category::Sessions), "t1.identity.sessions.v1");
        assert_eq!(
            topics.dead_letters(Category::Users),
            "t1.identity.users.v1.dlq"
        );
        assert_eq!(topics.all().len(), 8);
    }
}
