//! Each stream's events in version order within a batch, whatever order they committed in.

use std::collections::HashMap;

use super::Outgoing;

/// Puts each stream's events in version order within the batch, keeping the slots each stream
/// occupies. Commit order already implies it when appends take their xid at the insert; this
/// keeps per-key order even if a transaction wrote elsewhere first.
pub(super) fn order_streams(batch: &mut [Outgoing]) {
    let mut slots: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, o) in batch.iter().enumerate() {
        slots
            .entry(o.event.envelope.stream_id.clone())
            .or_default()
            .push(i);
    }
    for indices in slots.values().filter(|ix| ix.len() > 1) {
        let in_order = indices
            .windows(2)
            .all(|w| batch[w[0]].event.envelope.version < batch[w[1]].event.envelope.version);
        if in_order {
            continue;
        }
        tracing::warn!(
            stream_id = %batch[indices[0]].event.envelope.stream_id,
            "events of one stream committed out of version order; reordering within the batch"
        );
        let mut events: Vec<Outgoing> = indices.iter().map(|&i| batch[i].clone()).collect();
        events.sort_by_key(|o| o.event.envelope.version);
        for (&i, o) in indices.iter().zip(events) {
            batch[i].event = o.event;
        }
    }
}

#[cfg(test)]
mod tests;
