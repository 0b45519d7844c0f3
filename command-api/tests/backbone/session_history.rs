//! The read side's fold of a sessions stream resumes from its own snapshot: the same answer as
//! a fold of every event, saved once enough events were replayed, kept beside the command
//! side's snapshot of the same stream, ignored when unreadable; sessions long past their expiry
//! are left out, as the cache lets them expire.

use events::sessions::{SessionEvent, SessionStarted};
use events::{EventFamily, EventMetadata, PrincipalType};
use store::event_store::{EventStore, NewEvent, PgSnapshots, Snapshots};
use store::session_cache::{self, HISTORY_SNAPSHOT_FORMAT, fold};
use uuid::Uuid;

use crate::support::{Backbone, BackboneExt, append_events, session_event, stream};

/// The command side's snapshot format of the sessions aggregate.
const AGGREGATE_FORMAT: i32 = 2;

async fn folded_from_every_event(
    backbone: &Backbone,
    principal: Uuid,
) -> std::collections::BTreeMap<Uuid, session_cache::CachedSession> {
    let events: Vec<_> = backbone
        .store()
        .read_stream(&stream(principal), 1)
        .await
        .expect("read")
        .iter()
        .map(|raw| SessionEvent::from_raw(raw).expect("session event"))
        .collect();
    fold(&events)
}

async fn snapshots(backbone: &Backbone, principal: Uuid) -> Vec<(i32, i64)> {
    sqlx::query_as("SELECT format, version FROM snapshots WHERE stream_id = $1 ORDER BY format")
        .bind(stream(principal))
        .fetch_all(&backbone.db.pool)
        .await
        .expect("snapshots")
}

#[tokio::test]
async fn a_fold_resumes_from_the_read_sides_snapshot_beside_the_command_sides() {
    let backbone = Backbone::start().await;
    let store = backbone.store();
    let principal = Uuid::now_v7();
    append_events(&store, principal, 100).await;
    PgSnapshots::new(backbone.db.pool.clone())
        .save(
            &stream(principal),
            AGGREGATE_FORMAT,
            50,
            serde_json::json!({}),
        )
        .await
        .expect("the command side's snapshot");

    let first = session_cache::history(&store, principal)
        .await
        .expect("history");
    assert_eq!(first.version, 100);
    assert_eq!(
        first.sessions,
        folded_from_every_event(&backbone, principal).await
    );
    assert_eq!(
        snapshots(&backbone, principal).await,
        vec![(AGGREGATE_FORMAT, 50), (HISTORY_SNAPSHOT_FORMAT, 100)],
        "each side's snapshot, side by side"
    );

    // Marked, to tell a fold from the snapshot from one of every event.
    sqlx::query(
        "UPDATE snapshots SET state = jsonb_set(state, '{0,user_agent}', '\"from the snapshot\"') \
         WHERE stream_id = $1 AND format = $2",
    )
    .bind(stream(principal))
    .bind(HISTORY_SNAPSHOT_FORMAT)
    .execute(&backbone.db.pool)
    .await
    .expect("marked");
    for version in 101..=103 {
        store
            .append(
                &stream(principal),
                version - 1,
                vec![session_event(principal, version)],
            )
            .await
            .expect("append");
    }
    let next = session_cache::history(&store, principal)
        .await
        .expect("history");
    assert_eq!(next.version, 103);
    let mut expected = folded_from_every_event(&backbone, principal).await;
    for session in expected.values_mut() {
        session.user_agent = Some("from the snapshot".into());
    }
    assert_eq!(next.sessions, expected, "folded on from the snapshot");
}

#[tokio::test]
async fn an_unreadable_snapshot_is_ignored() {
    let backbone = Backbone::start().await;
    let store = backbone.store();
    let principal = Uuid::now_v7();
    append_events(&store, principal, 70).await;
    PgSnapshots::new(backbone.db.pool.clone())
        .save(
            &stream(principal),
            HISTORY_SNAPSHOT_FORMAT,
            60,
            serde_json::json!("not a history"),
        )
        .await
        .expect("saved");
    let history = session_cache::history(&store, principal)
        .await
        .expect("history");
    assert_eq!(history.version, 70);
    assert_eq!(
        history.sessions,
        folded_from_every_event(&backbone, principal).await
    );
}

#[tokio::test]
async fn sessions_long_past_their_expiry_are_left_out() {
    let backbone = Backbone::start().await;
    let store = backbone.store();
    let principal = Uuid::now_v7();
    let now = events::now();
    let ago = |hours| now - chrono::Duration::hours(hours);
    let (gone, live) = (Uuid::now_v7(), Uuid::now_v7());
    for (version, (session_id, started_at)) in
        [(gone, ago(9)), (live, ago(1))].into_iter().enumerate()
    {
        let event = SessionEvent::Started(SessionStarted {
            session_id,
            principal_id: principal,
            principal_type: PrincipalType::User,
            refresh_token_hash: "0".repeat(64),
            user_agent: None,
            ip: None,
            started_at,
            idle_timeout_secs: 1800,
            expires_at: started_at + chrono::Duration::hours(8),
        });
        store
            .append(
                &stream(principal),
                version as i64,
                vec![NewEvent::new(&event, EventMetadata::new(None)).expect("event")],
            )
            .await
            .expect("append");
    }
    let history = session_cache::history(&store, principal)
        .await
        .expect("history");
    assert_eq!(history.version, 2);
    assert_eq!(history.sessions.keys().collect::<Vec<_>>(), vec![&live]);
}
