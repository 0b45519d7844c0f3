//! The cache's writes go to Redis together: a write made while others are on their way queues,
//! and everything queued goes in the next call of `apply.lua`, which applies the changes in the
//! order they queued. Alone, a write goes at once; under load (a projector applying many
//! records at a time, a burst of logins) one script call carries many, which saves Redis and
//! this process the cost of a call per change.

use std::sync::{Arc, Mutex};

use redis::aio::ConnectionManager;
use redis::{RedisError, Script};
use tokio::sync::oneshot;

/// The most changes one script call carries.
const MOST: usize = 128;

/// One write for `apply.lua`: its three keys and its arguments.
#[derive(Debug)]
pub(super) struct Write {
    pub(super) keys: [String; 3],
    pub(super) args: Vec<Vec<u8>>,
}

type Answer = Result<i64, RedisError>;

#[derive(Default)]
struct Queue {
    waiting: Vec<(Write, oneshot::Sender<Answer>)>,
    /// Whether a task is sending batches (it sends until the queue is empty).
    sending: bool,
}

/// Sends the changes queued by every clone of a cache, a batch at a time.
pub(super) struct Batches {
    queue: Mutex<Queue>,
    conn: ConnectionManager,
    script: Script,
}

impl Batches {
    pub(super) fn new(conn: ConnectionManager) -> Self {
        Self {
            queue: Mutex::default(),
            conn,
            script: Script::new(include_str!("apply.lua")),
        }
    }

    /// Applies `changes` in order, each answered as `apply.lua` answers it. They may share
    /// their script call with changes queued by others.
    pub(super) async fn write(
        self: &Arc<Self>,
        changes: Vec<Write>,
    ) -> Result<Vec<i64>, RedisError> {
        let mut answers = Vec::with_capacity(changes.len());
        let start = {
            let mut queue = self.lock();
            for change in changes {
                let (tx, rx) = oneshot::channel();
                queue.waiting.push((change, tx));
                answers.push(rx);
            }
            !std::mem::replace(&mut queue.sending, true)
        };
        if start {
            tokio::spawn(self.clone().send());
        }
        let mut written = Vec::with_capacity(answers.len());
        for answer in answers {
            written.push(answer.await.unwrap_or_else(|_| Err(abandoned()))?);
        }
        Ok(written)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sends what is queued, a batch at a time, until nothing is.
    async fn send(self: Arc<Self>) {
        loop {
            let batch = {
                let mut queue = self.lock();
                if queue.waiting.is_empty() {
                    queue.sending = false;
                    return;
                }
                let end = queue.waiting.len().min(MOST);
                queue.waiting.drain(..end).collect::<Vec<_>>()
            };
            let (writes, answers): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
            match self.call(&writes).await {
                // A change the script fails on (a corrupt entry) fails the whole call: each is
                // then sent alone, so that only that one fails.
                Err(error) if writes.len() > 1 && failed_in_script(&error) => {
                    for (write, tx) in writes.into_iter().zip(answers) {
                        let answer = self.call(std::slice::from_ref(&write)).await;
                        let _ = tx.send(answer.map(|written| written[0]));
                    }
                }
                Err(error) => {
                    for tx in answers {
                        let _ = tx.send(Err(error.clone()));
                    }
                }
                Ok(written) => {
                    for (tx, written) in answers.into_iter().zip(written) {
                        let _ = tx.send(Ok(written));
                    }
                }
            }
        }
    }

    /// One call of `apply.lua` making `writes`; one answer per write.
    async fn call(&self, writes: &[Write]) -> Result<Vec<i64>, RedisError> {
        let mut invocation = self.script.prepare_invoke();
        for write in writes {
            for key in &write.keys {
                invocation.key(key);
            }
            invocation.arg(write.args.len());
            for arg in &write.args {
                invocation.arg(arg.as_slice());
            }
        }
        let mut conn = self.conn.clone();
        let written: Vec<i64> = invocation.invoke_async(&mut conn).await?;
        match written.len() == writes.len() {
            true => Ok(written),
            false => Err(RedisError::from((
                redis::ErrorKind::Parse,
                "apply.lua answered another number of changes than it was sent",
                format!("{} answers to {} changes", written.len(), writes.len()),
            ))),
        }
    }
}

/// Whether Redis ran the script and it failed (rather than Redis being out of reach).
fn failed_in_script(error: &RedisError) -> bool {
    matches!(
        error.kind(),
        redis::ErrorKind::Server(redis::ServerErrorKind::ResponseError)
            | redis::ErrorKind::Extension
    )
}

/// The task sending a batch ended without an answer (its runtime shut down).
fn abandoned() -> RedisError {
    RedisError::from((
        redis::ErrorKind::Io,
        "the session cache's write was abandoned before Redis answered",
    ))
}
