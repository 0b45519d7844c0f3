//! The client a session is started, refreshed or ended from: its user agent and address. A
//! customer's are personal data, so they are sealed with the customer's data key before any
//! event holds them (and dropped once the key is gone); other principals' stay in the clear,
//! for the audit.

use std::collections::BTreeMap;

use events::PrincipalType;
use events::sessions::{SEALED_IP, SEALED_USER_AGENT};
use store::event_store::StoreError;
use uuid::Uuid;

use super::SessionRunner;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Client {
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

impl Client {
    /// As revocation metadata.
    pub fn into_metadata(self) -> BTreeMap<String, String> {
        [("user_agent", self.user_agent), ("ip", self.ip)]
            .into_iter()
            .filter_map(|(k, v)| Some((k.to_owned(), v?)))
            .collect()
    }
}

/// `client` as the events of `principal_id` may hold it.
pub async fn recorded(
    runner: &SessionRunner,
    principal_type: PrincipalType,
    principal_id: Uuid,
    client: Client,
) -> Result<Client, StoreError> {
    if principal_type != PrincipalType::Customer {
        return Ok(client);
    }
    let Some(key) = runner.subjects.find(principal_id).await? else {
        return Ok(Client::default());
    };
    let seal = |field: &str, value: Option<String>| {
        value
            .map(|plain| key.seal(field, &plain))
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))
    };
    Ok(Client {
        user_agent: seal(SEALED_USER_AGENT, client.user_agent)?,
        ip: seal(SEALED_IP, client.ip)?,
    })
}
