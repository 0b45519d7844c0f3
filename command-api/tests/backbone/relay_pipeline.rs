//! The relay's pipeline: a batch's checkpoint is written while the next batch is in flight,
//! never before Kafka acknowledged it, and the owed one is written once nothing is left.

use std::time::Duration;

use command_api::relay::{RelayArgs, StepOutcome};
use devtools::testing::assert_per_stream_order;
use uuid::Uuid;

use crate::support::{Backbone, BackboneExt, append_events};

#[tokio::test]
async fn each_checkpoint_is_written_while_the_next_batch_is_in_flight_and_the_last_when_idle() {
    let backbone = Backbone::start().await;
    let ids = append_events(&backbone.store(), Uuid::now_v7(), 10).await;
    let relay = backbone.relay_with(RelayArgs {
        batch_size: 3,
        message_timeout_ms: 5_000,
        ..RelayArgs::default()
    });
    let mut pipeline = relay.pipeline(relay.load_checkpoint().await.expect("checkpoint"));
    let (mut published, mut steps) = (0, 0);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while published < ids.len() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "relayed {published}"
        );
        let before = pipeline.acknowledged();
        let outcome = pipeline.step().await.expect("relay step");
        let written = relay.load_checkpoint().await.expect("checkpoint");
        match outcome {
            StepOutcome::Published(n) => {
                published += n;
                steps += 1;
                assert_eq!(
                    written, before,
                    "a step writes the previous batch's checkpoint, not its own"
                );
                assert!(pipeline.acknowledged() > written);
            }
            StepOutcome::Idle => {
                assert_eq!(written, pipeline.acknowledged(), "idle writes what it owes");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    assert!(
        steps >= 4,
        "10 events in batches of at most 3: {steps} steps"
    );
    assert_eq!(
        pipeline.step().await.expect("relay step"),
        StepOutcome::Idle
    );
    assert_eq!(
        relay.load_checkpoint().await.expect("checkpoint"),
        pipeline.acknowledged()
    );

    let records = backbone.read_until_all(&ids, Duration::from_secs(60)).await;
    assert_eq!(records.len(), ids.len(), "each event once");
    assert_per_stream_order(&records);
}
