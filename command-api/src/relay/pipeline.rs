//! The relay's steps, with the work of one batch that needs no broker overlapping Kafka's work
//! on another: batch n+1 is read and encoded on a task of its own while batch n is in flight,
//! and batch n's checkpoint is written while batch n+1 is in flight. Kafka still sees one
//! batch at a time, in commit order, and a checkpoint is still written only for a batch Kafka
//! acknowledged.

use std::sync::Arc;

use events::RawEvent;
use events::codec::Encoded;
use tracing::Instrument;

use super::outbox::Outbox;
use super::{Checkpoint, Outgoing, Publisher, Relay, RelayError, StepOutcome};

/// Where a leading relay is: the last acknowledged event, the checkpoint not yet written, and
/// the batch read ahead.
#[derive(Debug)]
pub struct Pipeline<'r> {
    relay: &'r Relay,
    /// The last event Kafka acknowledged.
    acknowledged: Checkpoint,
    /// `acknowledged`, while it is not yet written to Postgres.
    unsaved: Option<Checkpoint>,
    /// The batch after `acknowledged`, read and encoded while the previous one was in flight.
    ahead: Option<Prepared>,
}

/// A batch read from the outbox and encoded for Kafka.
#[derive(Debug)]
struct Prepared {
    batch: Vec<Outgoing>,
    encoded: Vec<(String, Encoded)>,
}

impl Prepared {
    async fn read(
        outbox: &Outbox,
        publisher: &Publisher,
        after: Checkpoint,
    ) -> Result<Self, RelayError> {
        let batch = outbox.fetch_batch(after).await?;
        let encoded = publisher.encode(&events(&batch)).await?;
        Ok(Self { batch, encoded })
    }
}

pub(super) fn events(batch: &[Outgoing]) -> Vec<&RawEvent> {
    batch.iter().map(|o| &o.event).collect()
}

impl<'r> Pipeline<'r> {
    pub(super) fn new(relay: &'r Relay, checkpoint: Checkpoint) -> Self {
        Self {
            relay,
            acknowledged: checkpoint,
            unsaved: None,
            ahead: None,
        }
    }

    /// The last event Kafka acknowledged (its checkpoint may not be written yet).
    pub fn acknowledged(&self) -> Checkpoint {
        self.acknowledged
    }

    /// Publishes the next batch, reading and encoding the one after it and writing the
    /// previous one's checkpoint meanwhile. When nothing is left it writes the checkpoint it
    /// owes. After an error the next step starts again from the last acknowledged event.
    pub async fn step(&mut self) -> Result<StepOutcome, RelayError> {
        let started = std::time::Instant::now();
        let relay = self.relay;
        let prepared = match self.ahead.take() {
            Some(prepared) => prepared,
            None => Prepared::read(&relay.outbox, &relay.publisher, self.acknowledged).await?,
        };
        let mut outcome = match prepared.batch.last() {
            None => {
                self.flush().await?;
                StepOutcome::Idle
            }
            Some(last) => {
                // On a task of its own, so its CPU work runs beside this batch's.
                let ahead = tokio::spawn({
                    let outbox = relay.outbox.clone();
                    let publisher = Arc::clone(&relay.publisher);
                    let after = last.checkpoint;
                    async move { Prepared::read(&outbox, &publisher, after).await }
                        .in_current_span()
                });
                let unsaved = self.unsaved;
                let save = async {
                    match unsaved {
                        Some(checkpoint) => relay.save_checkpoint(checkpoint).await,
                        None => Ok(()),
                    }
                };
                let events = events(&prepared.batch);
                let send = relay.publisher.send(&events, &prepared.encoded);
                let (published, saved) = tokio::join!(send, save);
                if let Err(error) = saved {
                    ahead.abort();
                    return Err(error);
                }
                self.unsaved = None;
                if let Err(error) = published {
                    ahead.abort();
                    return Err(error.into());
                }
                relay.acknowledged(&prepared.batch);
                self.acknowledged = last.checkpoint;
                self.unsaved = Some(last.checkpoint);
                // A failed read ahead is read again at the next step.
                self.ahead = ahead.await.ok().and_then(Result::ok);
                StepOutcome::Published(prepared.batch.len())
            }
        };
        if outcome == StepOutcome::Idle || relay.lag_due() {
            let unpublished = relay.record_lag(self.acknowledged).await?;
            if outcome == StepOutcome::Idle && unpublished {
                outcome = StepOutcome::Held;
            }
        }
        tracing::debug!(?outcome, elapsed = ?started.elapsed(), "relay step");
        Ok(outcome)
    }

    /// Writes the checkpoint of the last acknowledged batch, if it is owed.
    pub async fn flush(&mut self) -> Result<(), RelayError> {
        if let Some(checkpoint) = self.unsaved {
            self.relay.save_checkpoint(checkpoint).await?;
            self.unsaved = None;
        }
        Ok(())
    }
}
