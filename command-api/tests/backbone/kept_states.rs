//! States kept in memory between commands: a command on a stream this process wrote last reads
//! nothing, and a kept state another process moved past never decides alone (each runner here
//! stands for one process, with its own kept states).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{Duration, Utc};
use command_api::sessions::{
    Command, Refresh, Rejected, SessionError, SessionRunner, execute, load,
};
use events::sessions::{RevocationReason, SessionEvent};
use events::topics::Category;
use events::{EventMetadata, RawEvent};
use store::event_store::{
    Appended, EventStore, NewEvent, StoreError, Transaction, TransactionalWrite, UnitOfWork,
};
use uuid::Uuid;

use crate::support::{Backbone, BackboneExt, start_session};

async fn refresh(
    runner: &SessionRunner,
    principal: Uuid,
    session_id: Uuid,
    presented: &str,
    next: &str,
) -> Result<Vec<SessionEvent>, Rejected> {
    let command = Command::Refresh(Refresh {
        session_id,
        presented_hash: presented.to_owned(),
        new_hash: next.to_owned(),
        grace: Duration::zero(),
        user_agent: None,
        ip: None,
    });
    let outcome = execute(runner, principal, command, EventMetadata::new(None)).await?;
    Ok(outcome.events)
}

#[tokio::test]
async fn two_processes_rotating_one_session_each_decide_on_what_the_other_appended() {
    let backbone = Backbone::start().await;
    let (here, there) = (backbone.session_runner(), backbone.session_runner());
    let (principal, session) = (Uuid::now_v7(), Uuid::now_v7());
    start_session(&here, principal, session, "h0").await;

    refresh(&there, principal, session, "h0", "h1")
        .await
        .expect("there rotates h0");
    // Here still keeps the state where h0 is current, which would refuse h1 as unknown.
    refresh(&here, principal, session, "h1", "h2")
        .await
        .expect("here rotates h1, appended there");
    let unknown = refresh(&here, principal, session, "never-issued", "x").await;
    assert!(
        matches!(
            unknown,
            Err(Rejected::Domain(SessionError::UnknownRefreshToken))
        ),
        "a token the stream never issued is still refused: {unknown:?}"
    );
    refresh(&there, principal, session, "h2", "h3")
        .await
        .expect("there rotates h2, appended here");

    // Here keeps h2 as current and h1 as spent; the stream moved on to h3 there. Presenting
    // h1 again is reuse either way, decided on the stream as it is.
    let reused = refresh(&here, principal, session, "h1", "h9")
        .await
        .expect("reuse is an outcome");
    assert!(
        reused
            .iter()
            .any(|e| matches!(e, SessionEvent::RefreshTokenReuseDetected(_))),
        "reuse detected: {reused:?}"
    );
    let (sessions, _) = load(&there, &Category::Sessions.stream_id(principal))
        .await
        .expect("stream loads");
    let ended = sessions.get(session).expect("session kept");
    assert_eq!(
        sessions.version, 6,
        "start, three rotations, the reuse, the revocation"
    );
    assert_eq!(
        ended.revoked.map(|(reason, _)| reason),
        Some(RevocationReason::RefreshTokenReuse)
    );
    assert!(!ended.is_active(Utc::now()));
}

#[tokio::test]
async fn a_command_on_a_stream_this_process_wrote_last_reads_nothing() {
    let backbone = Backbone::start().await;
    let reads = Arc::new(AtomicUsize::new(0));
    let mut runner = backbone.session_runner();
    runner.ports.store = Arc::new(CountingReads {
        inner: backbone.store(),
        reads: reads.clone(),
    });
    let (principal, session) = (Uuid::now_v7(), Uuid::now_v7());

    start_session(&runner, principal, session, "h0").await;
    assert_eq!(
        reads.load(Ordering::SeqCst),
        1,
        "a first command reads its stream"
    );
    for (presented, next) in [("h0", "h1"), ("h1", "h2"), ("h2", "h3")] {
        refresh(&runner, principal, session, presented, next)
            .await
            .expect("rotates");
    }
    assert_eq!(
        reads.load(Ordering::SeqCst),
        1,
        "later ones decide on the kept state"
    );

    let other = backbone.session_runner();
    refresh(&other, principal, session, "h3", "h4")
        .await
        .expect("another process rotates");
    refresh(&runner, principal, session, "h4", "h5")
        .await
        .expect("rotates what the other appended");
    assert_eq!(
        reads.load(Ordering::SeqCst),
        2,
        "a state another process moved past is read again, once"
    );
}

/// The event store, counting the stream reads of commands.
struct CountingReads<S> {
    inner: S,
    reads: Arc<AtomicUsize>,
}

struct CountingUnit {
    inner: Box<dyn UnitOfWork>,
    reads: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl<S: EventStore> EventStore for CountingReads<S> {
    async fn append(
        &self,
        stream_id: &str,
        expected_version: i64,
        events: Vec<NewEvent>,
    ) -> Result<Appended, StoreError> {
        self.inner.append(stream_id, expected_version, events).await
    }

    async fn commit(&self, transaction: Transaction) -> Result<Vec<Appended>, StoreError> {
        self.inner.commit(transaction).await
    }

    async fn unit_of_work(&self) -> Result<Box<dyn UnitOfWork>, StoreError> {
        Ok(Box::new(CountingUnit {
            inner: self.inner.unit_of_work().await?,
            reads: self.reads.clone(),
        }))
    }

    async fn read_from_snapshot(
        &self,
        stream_id: &str,
        format: i32,
    ) -> Result<(Option<(i64, String)>, Vec<RawEvent>), StoreError> {
        self.inner.read_from_snapshot(stream_id, format).await
    }

    async fn read_stream(
        &self,
        stream_id: &str,
        from_version: i64,
    ) -> Result<Vec<RawEvent>, StoreError> {
        self.inner.read_stream(stream_id, from_version).await
    }
}

#[async_trait::async_trait]
impl UnitOfWork for CountingUnit {
    async fn read_from_snapshot(
        &mut self,
        stream_id: &str,
        format: i32,
    ) -> Result<(Option<(i64, String)>, Vec<RawEvent>), StoreError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.read_from_snapshot(stream_id, format).await
    }

    async fn append(
        &mut self,
        stream_id: &str,
        expected_version: i64,
        events: Vec<NewEvent>,
        writes: Vec<Box<dyn TransactionalWrite>>,
    ) -> Result<Appended, StoreError> {
        self.inner
            .append(stream_id, expected_version, events, writes)
            .await
    }
}
