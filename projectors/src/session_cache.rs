//! The session-cache projection: each session's state in Redis, written forward only in stream
//! version, so replays and duplicates are absorbed. An update for a session the cache lacks
//! (flushed, or its start is no longer on the topic) rebuilds the principal from the event
//! store.

use std::sync::{Arc, Mutex};

use events::codec::AnyEvent;
use events::sessions::SessionEvent;
use events::{EventFamily, Recorded};
use store::session_cache::{CacheError, Epoch, SessionCache, SessionSource, Written, principal_of};

use crate::projection::{ApplyError, Mode, Projection};

pub const NAME: &str = store::generations::PROJECTION;

#[derive(Clone)]
pub struct SessionCacheProjection {
    cache: SessionCache,
    store: Arc<dyn SessionSource>,
    /// The epoch a replay writes its session starts under: taken once, and again only after
    /// the cache refused a write for having been emptied since.
    replay_epoch: Arc<Mutex<Option<Epoch>>>,
}

impl std::fmt::Debug for SessionCacheProjection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCacheProjection")
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

impl SessionCacheProjection {
    pub fn new(cache: SessionCache, store: Arc<dyn SessionSource>) -> Self {
        Self {
            cache,
            store,
            replay_epoch: Arc::default(),
        }
    }

    pub fn cache(&self) -> &SessionCache {
        &self.cache
    }

    async fn apply_session(
        &self,
        recorded: &Recorded<SessionEvent>,
        mode: Mode,
    ) -> Result<&'static str, ApplyError> {
        let written = match mode {
            // Only a replay into an empty generation meets every start in order; a live start
            // the command's write-through missed may be older than what the cache lost.
            Mode::Replay if matches!(recorded.event, SessionEvent::Started(_)) => {
                self.apply_replayed_start(recorded).await
            }
            Mode::Replay | Mode::Live => self.cache.apply_existing(recorded).await,
        }
        .map_err(failure)?;
        match written {
            Written::Applied => Ok("applied"),
            Written::AlreadyApplied => Ok("already_applied"),
            Written::Missing => {
                let principal_id = principal_of(&recorded.envelope.stream_id)
                    .ok_or_else(|| ApplyError::Permanent("not a sessions stream".into()))?;
                self.cache
                    .rebuild(self.store.as_ref(), principal_id)
                    .await
                    .map_err(failure)?;
                Ok("rebuilt")
            }
        }
    }
}

impl SessionCacheProjection {
    /// A start met by a replay: any epoch taken before the record was read fences it, so one
    /// serves the whole replay (a round trip less per start) until a flush makes the cache
    /// refuse it; the retry then takes a new one.
    async fn apply_replayed_start(
        &self,
        recorded: &Recorded<SessionEvent>,
    ) -> Result<Written, CacheError> {
        let kept = self.replay_epoch.lock().expect("replay epoch").clone();
        let epoch = match kept {
            Some(epoch) => epoch,
            None => {
                let epoch = self.cache.epoch().await?;
                *self.replay_epoch.lock().expect("replay epoch") = Some(epoch.clone());
                epoch
            }
        };
        let written = self.cache.apply(recorded, &epoch).await;
        if matches!(written, Err(CacheError::Flushed)) {
            self.replay_epoch.lock().expect("replay epoch").take();
        }
        written
    }
}

fn failure(e: CacheError) -> ApplyError {
    if e.is_transient() {
        ApplyError::Transient(e.to_string())
    } else {
        ApplyError::Permanent(e.to_string())
    }
}

#[async_trait::async_trait]
impl Projection for SessionCacheProjection {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn apply(&self, event: &AnyEvent, mode: Mode) -> Result<&'static str, ApplyError> {
        match event {
            AnyEvent::Session(recorded) => self.apply_session(recorded, mode).await,
            _ => Ok("ignored"),
        }
    }

    async fn sink_available(&self) -> bool {
        self.cache.reachable().await
    }

    async fn redrive(&self, stream_id: &str, from_version: i64) -> Result<i64, ApplyError> {
        if principal_of(stream_id).is_none() {
            return Err(ApplyError::Permanent(format!(
                "{stream_id} is not a sessions stream"
            )));
        }
        let history = self
            .store
            .read_stream(stream_id, from_version.max(1))
            .await
            .map_err(|e| failure(e.into()))?;
        let mut last = from_version.max(1) - 1;
        for raw in &history {
            let recorded =
                SessionEvent::from_raw(raw).map_err(|e| ApplyError::Permanent(e.to_string()))?;
            self.apply_session(&recorded, Mode::Live).await?;
            last = raw.envelope.version;
        }
        Ok(last)
    }
}

impl SessionCacheProjection {
    /// An empty generation (first start, or Redis lost its data) is filled from the event
    /// store before consuming; until then introspection answers from the event store anyway.
    pub async fn fill_if_empty(
        &self,
        window: chrono::Duration,
        max_backoff: std::time::Duration,
        shutdown: &tokio_util::sync::CancellationToken,
    ) {
        use backon::BackoffBuilder;
        let mut backoff = backon::ExponentialBuilder::default()
            .with_max_delay(max_backoff)
            .with_jitter()
            .without_max_times()
            .build();
        loop {
            let outcome = match self.cache.is_filled().await {
                Ok(true) => return,
                Ok(false) => {
                    let since = chrono::Utc::now() - window;
                    self.cache.fill(self.store.as_ref(), since).await
                }
                Err(e) => Err(e),
            };
            match outcome {
                Ok(principals) => {
                    tracing::info!(principals, "session cache filled from the event store");
                    return;
                }
                Err(error) => {
                    let wait = backoff.next().unwrap_or(max_backoff);
                    tracing::warn!(%error, ?wait, "cannot fill the session cache yet");
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = tokio::time::sleep(wait) => {}
                    }
                }
            }
        }
    }
}
