//! Group commit for SQLite. SQLite lets one connection write at a time, and
//! a pooled connection that finds the lock taken sleeps in steps of
//! milliseconds before it tries again. So writes queue here instead: one
//! writer thread takes every write waiting, runs each in its own savepoint
//! inside one transaction, commits them with one sync, and only then
//! answers each caller. A write that fails rolls back its savepoint alone.

use super::{DbConnection, DbError, DbPool, PooledDbConnection, write_transaction};
use diesel::Connection;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use tokio::sync::oneshot;

/// How many writes one commit takes at most, bounding a batch's latency.
const MAX_BATCH: usize = 128;

/// One queued write: run inside the batch, then told how the batch ended.
trait QueuedWrite: Send {
    fn run(&mut self, conn: &mut DbConnection);
    fn finish(self: Box<Self>, commit: Result<(), &DbError>);
}

struct Pending<T, E, F> {
    work: Option<F>,
    result: Option<Result<T, E>>,
    reply: oneshot::Sender<Result<T, E>>,
}

impl<T, E, F> QueuedWrite for Pending<T, E, F>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send,
    T: Send,
    E: From<diesel::result::Error> + From<DbError> + Send,
{
    fn run(&mut self, conn: &mut DbConnection) {
        if let Some(work) = self.work.take() {
            self.result = Some(conn.transaction(work));
        }
    }

    fn finish(self: Box<Self>, commit: Result<(), &DbError>) {
        let answer = match (self.result, commit) {
            (Some(Err(refused)), _) => Err(refused),
            (Some(Ok(value)), Ok(())) => Ok(value),
            (_, Err(error)) => Err(DbError::GroupCommit(error.to_string()).into()),
            (None, Ok(())) => Err(DbError::GroupCommit("the write did not run".into()).into()),
        };
        // The caller may have stopped waiting; its write stands either way.
        let _ = self.reply.send(answer);
    }
}

/// The queue in front of the writer thread; cheap to clone.
#[derive(Clone)]
pub(super) struct WriteQueue {
    jobs: mpsc::Sender<Box<dyn QueuedWrite>>,
}

impl WriteQueue {
    /// Starts the writer thread, which ends when every queue clone is gone.
    pub(super) fn start(pool: DbPool) -> std::io::Result<WriteQueue> {
        let (jobs, queued) = mpsc::channel::<Box<dyn QueuedWrite>>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                // The writer keeps its connection between batches.
                let mut held: Option<PooledDbConnection> = None;
                while let Ok(first) = queued.recv() {
                    let mut batch = vec![first];
                    while batch.len() < MAX_BATCH {
                        match queued.try_recv() {
                            Ok(job) => batch.push(job),
                            Err(_) => break,
                        }
                    }
                    let conn = match held.take() {
                        Some(conn) => Ok(conn),
                        None => pool.get().map_err(DbError::from),
                    };
                    held = commit_batch(conn, batch);
                }
            })?;
        Ok(WriteQueue { jobs })
    }

    /// Queues `work`; the answer arrives after its batch has committed.
    pub(super) fn submit<T, E, F>(&self, work: F) -> oneshot::Receiver<Result<T, E>>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<diesel::result::Error> + From<DbError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(Pending {
            work: Some(work),
            result: None,
            reply,
        });
        if let Err(mpsc::SendError(job)) = self.jobs.send(job) {
            job.finish(Err(&DbError::GroupCommit("the writer has stopped".into())));
        }
        answer
    }
}

/// Commits `batch` and answers its writers; hands back the connection
/// unless it failed.
fn commit_batch(
    conn: Result<PooledDbConnection, DbError>,
    mut batch: Vec<Box<dyn QueuedWrite>>,
) -> Option<PooledDbConnection> {
    let (committed, conn) = match conn {
        Ok(mut conn) => {
            let committed = catch_unwind(AssertUnwindSafe(|| {
                write_transaction(&mut conn, |conn| {
                    for job in batch.iter_mut() {
                        job.run(conn);
                    }
                    Ok::<(), DbError>(())
                })
            }))
            .unwrap_or_else(|_| {
                tracing::error!("a queued write panicked; its batch was rolled back");
                Err(DbError::GroupCommit(
                    "a write in the batch failed unexpectedly".into(),
                ))
            });
            // After a failure the connection may be mid-transaction: let the
            // pool check it and take a fresh one next time.
            let keep = committed.is_ok().then_some(conn);
            (committed, keep)
        }
        Err(error) => (Err(error), None),
    };
    if let Err(error) = &committed {
        tracing::error!(%error, writes = batch.len(), "a batch of writes was rolled back");
    }
    for job in batch {
        job.finish(committed.as_ref().map(|_| ()));
    }
    conn
}
