//! One lane per stream: records of the same stream run one after another, in the order they
//! were received, while records of other streams run beside them.

use std::collections::HashMap;

use tokio::sync::oneshot;

/// The lane of every stream with a record in flight: the sequence number of its last record,
/// and the signal that record gives when it is done.
#[derive(Debug, Default)]
pub struct Lanes {
    next: u64,
    tails: HashMap<String, (u64, oneshot::Receiver<bool>)>,
}

/// A record's place in its lane.
#[derive(Debug)]
pub struct Turn {
    seq: u64,
    previous: Option<oneshot::Receiver<bool>>,
    done: oneshot::Sender<bool>,
}

/// A record's turn has come.
#[derive(Debug)]
pub struct Ready {
    /// The sequence number to leave the lane with.
    pub seq: u64,
    /// Whether every earlier record of the stream was finished. If not (shutdown interrupted
    /// one), this one must not be applied either: it would overtake the earlier one.
    pub in_order: bool,
    done: oneshot::Sender<bool>,
}

impl Ready {
    /// Lets the next record of the stream go; `finished` says whether this one was.
    pub fn finish(self, finished: bool) {
        // Err: nothing waits behind this record.
        let _ = self.done.send(finished && self.in_order);
    }
}

impl Turn {
    /// Waits until the previous record of the stream is done.
    pub async fn wait(self) -> Ready {
        let in_order = match self.previous {
            // Err: the previous record's task was aborted before it could say.
            Some(previous) => previous.await.unwrap_or(false),
            None => true,
        };
        Ready {
            seq: self.seq,
            in_order,
            done: self.done,
        }
    }
}

impl Lanes {
    /// Joins the end of `stream`'s lane.
    pub fn enter(&mut self, stream: &str) -> Turn {
        self.next += 1;
        let (done, signal) = oneshot::channel();
        let previous = self
            .tails
            .insert(stream.to_owned(), (self.next, signal))
            .map(|(_, previous)| previous);
        Turn {
            seq: self.next,
            previous,
            done,
        }
    }

    /// The record `seq` of `stream` is done; the lane closes if nothing followed it.
    pub fn leave(&mut self, stream: &str, seq: u64) {
        if self.tails.get(stream).is_some_and(|(tail, _)| *tail == seq) {
            self.tails.remove(stream);
        }
    }

    /// Streams with a record in flight.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.tails.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_record_waits_for_the_previous_one_of_its_stream_only() {
        let mut lanes = Lanes::default();
        let first = lanes.enter("a");
        let second = lanes.enter("a");
        let other = lanes.enter("b");

        other.wait().await.finish(true);
        let mut second = Box::pin(second.wait());
        assert!(
            futures::poll!(second.as_mut()).is_pending(),
            "the second record of a stream waits for the first"
        );
        let first = first.wait().await;
        assert!(first.in_order);
        let seq = first.seq;
        first.finish(true);
        lanes.leave("a", seq);
        assert_eq!(lanes.len(), 2, "the lane stays open for the record behind");
        let second = second.await;
        assert!(second.in_order);
        lanes.leave("a", second.seq);
        assert_eq!(lanes.len(), 1);
    }

    #[tokio::test]
    async fn records_behind_an_unfinished_one_are_not_in_order() {
        let mut lanes = Lanes::default();
        let first = lanes.enter("a");
        let second = lanes.enter("a");
        let third = lanes.enter("a");
        first.wait().await.finish(false);
        let second = second.wait().await;
        assert!(
            !second.in_order,
            "the record behind an interrupted one must not overtake it"
        );
        second.finish(true);
        assert!(!third.wait().await.in_order, "nor may any record after it");
    }
}
