//! The runtime itself, under a probe projection that records what it is given.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use devtools::testing::eventually;
use events::codec::AnyEvent;
use events::topics::Category;
use projectors::engine::dead_letter::headers;
use projectors::engine::parking;
use projectors::engine::{Engine, EngineArgs, Progress, Source};
use projectors::metrics::ProjectorMetrics;
use projectors::projection::{ApplyError, Mode, Projection};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::support::{Drill, TIMEOUT};

/// Counts how many events it applies at once and the order it sees each stream's versions in;
/// one stream's events, or every event, can be made to fail for a passing reason, forever.
#[derive(Debug, Default)]
struct Probe {
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
    seen: Mutex<HashMap<String, Vec<i64>>>,
    failing_stream: Option<String>,
    failing_everything: bool,
}

impl Probe {
    fn seen(&self) -> HashMap<String, Vec<i64>> {
        self.seen.lock().expect("seen").clone()
    }

    fn total(&self) -> usize {
        self.seen().values().map(Vec::len).sum()
    }
}

#[async_trait::async_trait]
impl Projection for Probe {
    fn name(&self) -> &'static str {
        "probe"
    }

    async fn apply(&self, event: &AnyEvent, _: Mode) -> Result<&'static str, ApplyError> {
        let envelope = event.envelope();
        if self.failing_everything
            || self.failing_stream.as_deref() == Some(envelope.stream_id.as_str())
        {
            return Err(ApplyError::Transient(
                "probe: dependency unreachable".into(),
            ));
        }
        let now = self.in_flight.fetch_add(1, Ordering::AcqRel) + 1;
        self.most_in_flight.fetch_max(now, Ordering::AcqRel);
        tokio::time::sleep(Duration::from_millis(5)).await;
        self.seen
            .lock()
            .expect("seen")
            .entry(envelope.stream_id.clone())
            .or_default()
            .push(envelope.version);
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
        Ok("applied")
    }

    async fn redrive(&self, _: &str, from_version: i64) -> Result<i64, ApplyError> {
        Ok(from_version)
    }

    /// The probe's failures are its records' fault: its store always answers.
    async fn sink_available(&self) -> bool {
        true
    }
}

/// An engine of the probe consuming in the background, in the drill's probe group.
struct Started {
    shutdown: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Started {
    /// Stops the engine and checks it stopped cleanly.
    async fn stop(self) {
        self.shutdown.cancel();
        self.task
            .await
            .expect("engine task")
            .expect("engine stops cleanly");
    }
}

fn start(drill: &Drill, probe: Arc<Probe>, args: &EngineArgs) -> Started {
    let topics = drill.stack.kafka.topics();
    let engine = Engine::new(
        &drill.stack.kafka,
        drill.stack.db.pool.clone(),
        probe,
        Source {
            topic: topics.events(Category::Sessions),
            dead_letter_topic: topics.dead_letters(Category::Sessions),
            group: format!("{}probe", drill.stack.kafka.topic_prefix),
            mode: Mode::Live,
        },
        args,
        ProjectorMetrics::default(),
        Progress::default(),
    )
    .expect("engine");
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(engine.run(shutdown.clone()));
    Started { shutdown, task }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_stays_within_its_limit_and_each_stream_stays_in_order() {
    const STREAMS: usize = 16;
    const EVENTS: usize = 8;
    let drill = Drill::start().await;
    let principals: Vec<Uuid> = (0..STREAMS).map(|_| Uuid::now_v7()).collect();
    for _ in 0..EVENTS / 2 {
        for p in &principals {
            let session = drill.start_session(*p).await;
            drill.refresh(*p, session).await;
        }
    }

    let probe = Arc::new(Probe::default());
    let args = EngineArgs {
        concurrency: 3,
        ..EngineArgs::default()
    };
    let running = start(&drill, probe.clone(), &args);
    eventually(TIMEOUT, "every event to be applied", || async {
        (probe.total() >= STREAMS * EVENTS).then_some(())
    })
    .await;
    running.stop().await;

    let most = probe.most_in_flight.load(Ordering::Acquire);
    assert!(most <= 3, "at most 3 events at once, saw {most}");
    assert!(
        most >= 2,
        "events of different streams run in parallel, saw {most}"
    );
    let expected: Vec<i64> = (1..=i64::try_from(EVENTS).expect("small")).collect();
    for (stream, versions) in probe.seen() {
        assert_eq!(versions, expected, "{stream} applied once each, in order");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_that_outlives_the_retry_budget_is_dead_lettered_and_parks_its_stream() {
    let drill = Drill::start().await;
    let (failing, healthy) = (Uuid::now_v7(), Uuid::now_v7());
    let failing_stream = Category::Sessions.stream_id(failing);
    let session = drill.start_session(failing).await;
    drill.refresh(failing, session).await;
    drill.start_session(healthy).await;

    let probe = Arc::new(Probe {
        failing_stream: Some(failing_stream.clone()),
        ..Probe::default()
    });
    let args = EngineArgs {
        max_backoff_ms: 100,
        retry_budget_secs: 1,
        ..EngineArgs::default()
    };
    let running = start(&drill, probe.clone(), &args);

    let dead = drill.dead_letters(|records| !records.is_empty()).await;
    let record = &dead[0];
    assert_eq!(record.key.as_deref(), Some(failing_stream.as_str()));
    assert_eq!(record.header(headers::ERROR_CLASS), Some("transient"));
    assert_eq!(record.header(headers::STREAM_VERSION), Some("1"));
    assert!(record.header(headers::EVENT_ID).is_some());
    let attempts: u32 = record
        .header(headers::ATTEMPTS)
        .and_then(|a| a.parse().ok())
        .expect("attempts");
    assert!(attempts > 1, "retried before giving up: {attempts}");

    let parked = eventually(TIMEOUT, "the later event to be held", || async {
        parking::find(&drill.stack.db.pool, "probe", &failing_stream)
            .await
            .expect("parked streams")
            .filter(|p| p.held_events >= 1 && p.last_held_version == Some(2))
    })
    .await;
    assert_eq!(parked.parked_version, Some(1));
    assert_eq!(parked.last_held_version, Some(2));
    eventually(TIMEOUT, "the other stream to be applied", || async {
        probe
            .seen()
            .contains_key(&Category::Sessions.stream_id(healthy))
            .then_some(())
    })
    .await;

    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_stuck_retrying_does_not_hold_up_the_others() {
    let drill = Drill::start().await;
    let stuck = Uuid::now_v7();
    let session = drill.start_session(stuck).await;
    for _ in 0..9 {
        drill.refresh(stuck, session).await;
    }
    let others: Vec<Uuid> = (0..6).map(|_| Uuid::now_v7()).collect();
    for p in &others {
        drill.start_session(*p).await;
    }

    let probe = Arc::new(Probe {
        failing_stream: Some(Category::Sessions.stream_id(stuck)),
        ..Probe::default()
    });
    // Two slots, ten records of the stuck stream: they must not all wait holding a slot.
    let args = EngineArgs {
        concurrency: 2,
        max_backoff_ms: 100,
        ..EngineArgs::default()
    };
    let running = start(&drill, probe.clone(), &args);
    eventually(TIMEOUT, "the other streams to be applied", || async {
        (probe.total() == others.len()).then_some(())
    })
    .await;
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reloading_the_parked_set_never_forgets_a_stream_parked_meanwhile() {
    let db = devtools::testing::TestDatabase::create().await;
    let parked = parking::Parking::new(db.pool.clone(), "probe");
    parked
        .park("sessions-a", Some(3), "permanent")
        .await
        .expect("parked");
    // A reload that read Postgres before that park committed sees nothing; simulate it by
    // taking the row away before reloading.
    sqlx::query("DELETE FROM parked_streams")
        .execute(&db.pool)
        .await
        .expect("deleted");
    parked.reload().await.expect("reloaded");
    assert!(parked.is_parked("sessions-a"), "a reload only adds");
    // Postgres is the authority: an event of a stream no longer parked is applied, not held.
    assert!(!parked.hold("sessions-a", Some(4)).await.expect("hold"));
    assert!(!parked.is_parked("sessions-a"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_that_loses_a_partition_while_retrying_leaves_its_events_to_the_next_owner() {
    let drill = Drill::start().await;
    let principals: Vec<Uuid> = (0..12).map(|_| Uuid::now_v7()).collect();
    for p in &principals {
        drill.start_session(*p).await;
    }
    let args = EngineArgs {
        max_backoff_ms: 100,
        retry_budget_secs: 8,
        ..EngineArgs::default()
    };
    // The first owner cannot apply anything and retries every stream...
    let failing = Arc::new(Probe {
        failing_everything: true,
        ..Probe::default()
    });
    let first = start(&drill, failing, &args);
    tokio::time::sleep(Duration::from_secs(1)).await;
    // ...until a second member joins and takes some of its partitions over.
    let healthy = Arc::new(Probe::default());
    let second = start(&drill, healthy.clone(), &args);
    eventually(TIMEOUT, "the second member to apply events", || async {
        (healthy.total() > 0).then_some(())
    })
    .await;

    // The first member gives up on what it kept once its budget is spent: dead-lettered. (A
    // rebalance revokes every partition first, so its budget on those it kept started over;
    // the ones it lost would have been dead-lettered earlier.)
    let dead = {
        let healthy = healthy.clone();
        let total = principals.len();
        drill
            .dead_letters(move |records| {
                let dead: HashSet<_> = records.iter().filter_map(|r| r.key.clone()).collect();
                healthy.seen().len() + dead.len() >= total
            })
            .await
    };
    // What it lost it neither dead-lettered nor parked: the new owner applied it.
    let moved = healthy.seen();
    for record in &dead {
        let stream = record.key.as_deref().expect("key");
        assert!(
            !moved.contains_key(stream),
            "{stream} was applied by its new owner, yet dead-lettered by its old one"
        );
    }
    for stream in moved.keys() {
        let parked = parking::find(&drill.stack.db.pool, "probe", stream)
            .await
            .expect("parked streams");
        assert!(parked.is_none(), "{stream} parked by an owner it had left");
    }

    first.stop().await;
    second.stop().await;
}
