//! The cache's writes go to Redis together: a write made while others are on their way queues,
//! and what queued goes in the next call of `apply.lua`, which applies the changes in the order
//! they queued. Alone, a write goes at once; under load (a projector applying many records at a
//! time, a burst of logins) one script call carries many, which saves Redis and this process
//! the cost of a call per change. What one caller writes together (a principal's entries and
//! its claim) goes in one call, in order.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use redis::aio::ConnectionManager;
use redis::{RedisError, Script};
use tokio::sync::oneshot;

/// The most changes one script call carries (unless one caller writes more together).
const MOST: usize = 128;

/// One write for `apply.lua`: its three keys and its arguments.
#[derive(Debug)]
pub(super) struct Write {
    pub(super) keys: [String; 3],
    pub(super) args: Vec<Vec<u8>>,
}

type Answers = Result<Vec<i64>, RedisError>;

/// What one caller writes together, and where its answers go.
struct Group {
    writes: Vec<Write>,
    answers: oneshot::Sender<Answers>,
}

#[derive(Default)]
struct Queue {
    waiting: VecDeque<Group>,
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

    /// Applies `writes` in order in one script call, each answered as `apply.lua` answers it.
    /// The call may carry changes queued by others.
    pub(super) async fn write(self: &Arc<Self>, writes: Vec<Write>) -> Answers {
        let (answers, answered) = oneshot::channel();
        let start = {
            let mut queue = self.lock();
            queue.waiting.push_back(Group { writes, answers });
            !std::mem::replace(&mut queue.sending, true)
        };
        if start {
            tokio::spawn(self.clone().send());
        }
        answered.await.unwrap_or_else(|_| Err(abandoned()))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sends what is queued, a batch at a time, until nothing is.
    async fn send(self: Arc<Self>) {
        let mut sender = Sender {
            batches: self.clone(),
            finished: false,
        };
        loop {
            let batch = {
                let mut queue = self.lock();
                if queue.waiting.is_empty() {
                    queue.sending = false;
                    sender.finished = true;
                    return;
                }
                let mut batch = Vec::new();
                let mut changes = 0;
                while let Some(group) = queue.waiting.front() {
                    if !batch.is_empty() && changes + group.writes.len() > MOST {
                        break;
                    }
                    changes += group.writes.len();
                    batch.extend(queue.waiting.pop_front());
                }
                batch
            };
            match self.call(&batch).await {
                // A change the script fails on (a corrupt entry) fails the whole call: each
                // caller's writes are then sent alone, so that only that caller's fail.
                Err(error) if batch.len() > 1 && failed_in_script(&error) => {
                    for group in batch {
                        let answer = self.call(std::slice::from_ref(&group)).await;
                        let _ = group.answers.send(answer);
                    }
                }
                Err(error) => {
                    for group in batch {
                        let _ = group.answers.send(Err(error.clone()));
                    }
                }
                Ok(written) => {
                    let mut written = written.into_iter();
                    for group in batch {
                        let answers = written.by_ref().take(group.writes.len()).collect();
                        let _ = group.answers.send(Ok(answers));
                    }
                }
            }
        }
    }

    /// One call of `apply.lua` making the groups' writes; one answer per write.
    async fn call(&self, groups: &[Group]) -> Answers {
        let mut invocation = self.script.prepare_invoke();
        let writes = groups.iter().flat_map(|group| &group.writes);
        for write in writes.clone() {
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
        match written.len() == writes.clone().count() {
            true => Ok(written),
            false => Err(RedisError::from((
                redis::ErrorKind::Parse,
                "apply.lua answered another number of changes than it was sent",
                format!("{} answers to {} changes", written.len(), writes.count()),
            ))),
        }
    }
}

/// The task sending batches. Dropped before the queue is empty (its runtime shut down while
/// a call was on its way), it drops the writes still queued, whose writers are answered
/// (abandoned) rather than left waiting, and lets the next write start a sender.
struct Sender {
    batches: Arc<Batches>,
    finished: bool,
}

impl Drop for Sender {
    fn drop(&mut self) {
        if !self.finished {
            let mut queue = self.batches.lock();
            queue.sending = false;
            queue.waiting.clear();
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
