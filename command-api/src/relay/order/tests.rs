//! Per-stream order within a batch.

use events::{Envelope, EventMetadata, RawEvent};

use super::order_streams;
use crate::relay::{Checkpoint, Outgoing};

fn outgoing(position: i64, stream: &str, version: i64) -> Outgoing {
    Outgoing {
        checkpoint: Checkpoint {
            tx_id: 10,
            position,
        },
        event: RawEvent {
            envelope: Envelope {
                event_id: uuid::Uuid::now_v7(),
                stream_id: stream.into(),
                version,
                recorded_at: chrono::Utc::now(),
                metadata: EventMetadata::new(None),
            },
            event_type: "session.refreshed.v1".into(),
            payload: serde_json::Value::Null,
        },
    }
}

fn layout(batch: &[Outgoing]) -> Vec<(i64, String, i64)> {
    batch
        .iter()
        .map(|o| {
            (
                o.checkpoint.position,
                o.event.envelope.stream_id.clone(),
                o.event.envelope.version,
            )
        })
        .collect()
}

#[test]
fn a_batch_in_stream_order_is_left_alone() {
    let mut batch = vec![
        outgoing(1, "a", 1),
        outgoing(2, "b", 1),
        outgoing(3, "a", 2),
    ];
    let before = layout(&batch);
    order_streams(&mut batch);
    assert_eq!(layout(&batch), before);
}

#[test]
fn versions_out_of_order_within_a_stream_are_reordered_in_place() {
    let mut batch = vec![
        outgoing(1, "a", 2),
        outgoing(2, "b", 7),
        outgoing(3, "a", 1),
        outgoing(4, "a", 3),
    ];
    order_streams(&mut batch);
    assert_eq!(
        layout(&batch),
        vec![
            (1, "a".into(), 1),
            (2, "b".into(), 7),
            (3, "a".into(), 2),
            (4, "a".into(), 3),
        ],
        "checkpoints keep their slots so the last one is still the batch's maximum"
    );
}
