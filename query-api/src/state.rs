//! What every handler of the query API reads through, each behind its port.

use std::sync::Arc;

use access::{PublishedKeys, TokenVerifier};
use runtime::clock::Clock;
use store::session_cache::grants::Grants;
use store::session_cache::{SessionCache, SessionSource};
use store::subject_keys::SubjectKeys;

use crate::cache_metrics::CacheMetrics;
use crate::customers::{CustomerReads, StreamPages};
use crate::directory::DirectoryReads;
use crate::event_log::EventLog;
use crate::metadata::Metadata;
use crate::revocations::RevocationLog;

#[derive(Clone)]
pub struct AppState {
    pub verifier: Arc<TokenVerifier>,
    pub keys: PublishedKeys,
    pub cache: SessionCache,
    pub store: Arc<dyn SessionSource>,
    /// The permissions principals hold now.
    pub grants: Grants,
    pub revocations: Arc<dyn RevocationLog>,
    /// Users and roles, as the directory read model holds them.
    pub directory: Arc<dyn DirectoryReads>,
    /// Every event, as the audit searches it.
    pub events: Arc<dyn EventLog>,
    /// Customers' data keys, which open their sealed session details.
    pub subjects: Arc<dyn SubjectKeys>,
    /// Customers' accounts and segments, as the customer directory holds them.
    pub customers: Arc<dyn CustomerReads>,
    /// Streams read a page at a time (the customer export).
    pub pages: Arc<dyn StreamPages>,
    pub clock: Arc<dyn Clock>,
    /// Where session reads were answered from.
    pub cache_metrics: CacheMetrics,
    /// The RFC 8414 metadata, fixed at start.
    pub metadata: Arc<Metadata>,
}

impl axum::extract::FromRef<AppState> for Arc<Metadata> {
    fn from_ref(state: &AppState) -> Self {
        state.metadata.clone()
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}
