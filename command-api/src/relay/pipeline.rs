//! The relay's steps, with the database work of one batch overlapping Kafka's work on another:
//! batch n+1 is read while batch n is in flight, and batch n's checkpoint is written while
//! batch n+1 is in flight. Kafka still sees one batch at a time, in commit order, and a
//! checkpoint is still written only for a batch Kafka acknowledged.

use super::{Checkpoint, Outgoing, Relay, RelayError, StepOutcome};

/// Where a leading relay is: the last acknowledged event, the checkpoint not yet written, and
/// the batch read ahead.
#[derive(Debug)]
pub struct Pipeline<'r> {
    relay: &'r Relay,
    /// The last event Kafka acknowledged.
    acknowledged: Checkpoint,
    /// `acknowledged`, while it is not yet written to Postgres.
    unsaved: Option<Checkpoint>,
    /// The batch after `acknowledged`, read while the previous one was in flight.
    ahead: Option<Vec<Outgoing>>,
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

    /// Publishes the next batch, reading the one after it and writing the previous one's
    /// checkpoint meanwhile. When nothing is left it writes the checkpoint it owes. After an
    /// error the next step starts again from the last acknowledged event.
    pub async fn step(&mut self) -> Result<StepOutcome, RelayError> {
        let started = std::time::Instant::now();
        let relay = self.relay;
        let batch = match self.ahead.take() {
            Some(batch) => batch,
            None => relay.fetch_batch(self.acknowledged).await?,
        };
        let mut outcome = match batch.last() {
            None => {
                self.flush().await?;
                StepOutcome::Idle
            }
            Some(last) => {
                let unsaved = self.unsaved;
                let save = async {
                    match unsaved {
                        Some(checkpoint) => relay.save_checkpoint(checkpoint).await,
                        None => Ok(()),
                    }
                };
                let (published, ahead, saved) = tokio::join!(
                    relay.publish(&batch),
                    relay.fetch_batch(last.checkpoint),
                    save
                );
                saved?;
                self.unsaved = None;
                published?;
                relay.acknowledged(&batch);
                self.acknowledged = last.checkpoint;
                self.unsaved = Some(last.checkpoint);
                // A failed read ahead is read again at the next step.
                self.ahead = ahead.ok();
                StepOutcome::Published(batch.len())
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
