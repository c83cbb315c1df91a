//! Group commit for SQLite. SQLite lets one connection write at a time, and
//! a pooled connection that finds the lock taken sleeps in steps of
//! milliseconds before it tries again. So writes queue here instead: one
//! writer thread takes every write waiting, runs each in its own savepoint
//! inside one transaction, commits them with one sync, and only then
//! answers each caller. A write that fails or panics rolls back its
//! savepoint alone; the rest of its batch commits.
//!
//! The queue is bounded (a full queue answers `DbError::Busy` at once),
//! and before each commit the writer checks that the database file is still
//! the one it opened: a file deleted or replaced under a running server
//! would otherwise take writes that vanish at the next start.

use super::{
    DbConnection, DbError, DbPool, PooledDbConnection, transaction_depth, write_transaction,
};
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use tokio::sync::oneshot;

/// How many writes one commit takes at most, bounding a batch's latency.
const MAX_BATCH: usize = 128;
/// How many writes may wait; more are refused with `DbError::Busy` (a 503
/// with Retry-After), so a stalled disk cannot pile up requests without end.
pub(super) const QUEUE_CAPACITY: usize = 4096;

/// One queued write: run inside the batch, then told how the batch ended.
trait QueuedWrite: Send {
    /// Runs the write in its savepoint; false when the batch's transaction
    /// can no longer be trusted (a savepoint could not be rolled back).
    fn run(&mut self, conn: &mut DbConnection) -> bool;
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
    fn run(&mut self, conn: &mut DbConnection) -> bool {
        let Some(work) = self.work.take() else {
            return true;
        };
        let (result, sound) = in_savepoint(conn, work);
        self.result = Some(result);
        sound
    }

    fn finish(self: Box<Self>, commit: Result<(), &DbError>) {
        let answer = match (self.result, commit) {
            (Some(Err(refused)), _) => Err(refused),
            (Some(Ok(value)), Ok(())) => Ok(value),
            (_, Err(error)) => Err(error.clone_for_batch().into()),
            (None, Ok(())) => Err(DbError::GroupCommit("the write did not run".into()).into()),
        };
        // The caller may have stopped waiting; its write stands either way.
        let _ = self.reply.send(answer);
    }
}

/// Runs one write in a savepoint of the batch's transaction. An error rolls
/// the savepoint back; so does a panic, after which every savepoint the
/// write left open is unwound, and the write answers an error while the
/// batch goes on. Answers the write's result, and false when a savepoint
/// could not be released or rolled back: SQLite may have rolled the whole
/// transaction back under it (a full disk, an I/O error), and the batch
/// must not go on.
fn in_savepoint<T, E, F>(conn: &mut DbConnection, work: F) -> (Result<T, E>, bool)
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error> + From<DbError>,
{
    let base = match transaction_depth(conn) {
        Ok(depth) => depth,
        Err(error) => return (Err(error.into()), false),
    };
    let savepoint = match conn {
        DbConnection::Sqlite(sqlite) => AnsiTransactionManager::begin_transaction(sqlite),
        DbConnection::Postgres(_) => Err(diesel::result::Error::BrokenTransactionManager),
    };
    if let Err(error) = savepoint {
        return (Err(error.into()), false);
    }
    let outcome = catch_unwind(AssertUnwindSafe(|| work(conn)));
    let rollback_to_base = |conn: &mut DbConnection| -> Result<(), diesel::result::Error> {
        while transaction_depth(conn)? > base {
            if let DbConnection::Sqlite(sqlite) = conn {
                AnsiTransactionManager::rollback_transaction(sqlite)?;
            }
        }
        Ok(())
    };
    match outcome {
        Ok(Ok(value)) => {
            let released = match conn {
                DbConnection::Sqlite(sqlite) => AnsiTransactionManager::commit_transaction(sqlite),
                DbConnection::Postgres(_) => Ok(()),
            };
            match released {
                Ok(()) => (Ok(value), true),
                Err(error) => (Err(error.into()), false),
            }
        }
        Ok(Err(refused)) => {
            let sound = rollback_to_base(conn).is_ok();
            (Err(refused), sound)
        }
        Err(_) => {
            tracing::error!("a queued write panicked; it alone was rolled back");
            let sound = rollback_to_base(conn).is_ok();
            (
                Err(DbError::GroupCommit("the write failed unexpectedly".into()).into()),
                sound,
            )
        }
    }
}

/// The identity of a file on disk: device and inode.
fn file_identity(path: &std::path::Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// The queue in front of the writer thread; cheap to clone.
#[derive(Clone)]
pub(super) struct WriteQueue {
    jobs: mpsc::SyncSender<Box<dyn QueuedWrite>>,
    healthy: Arc<AtomicBool>,
}

impl WriteQueue {
    /// Starts the writer thread for the database file at `path`; it ends
    /// when every queue clone is gone.
    pub(super) fn start(
        pool: DbPool,
        path: PathBuf,
        capacity: usize,
    ) -> std::io::Result<WriteQueue> {
        let (jobs, queued) = mpsc::sync_channel::<Box<dyn QueuedWrite>>(capacity);
        let healthy = Arc::new(AtomicBool::new(true));
        let opened = file_identity(&path);
        let writer_health = healthy.clone();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                let writer = Writer {
                    pool,
                    path,
                    opened,
                    healthy: writer_health,
                };
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
                    held = writer.commit_batch(held, batch);
                }
            })?;
        Ok(WriteQueue { jobs, healthy })
    }

    /// Queues `work`; the answer arrives after its batch has committed. A
    /// full queue or a stopped writer answers at once.
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
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(mpsc::TrySendError::Full(job)) => job.finish(Err(&DbError::Busy)),
            Err(mpsc::TrySendError::Disconnected(job)) => {
                self.healthy.store(false, Ordering::SeqCst);
                job.finish(Err(&DbError::Unavailable("the writer has stopped".into())))
            }
        }
        answer
    }

    /// Whether the last batch committed to the file this server opened.
    pub(super) fn is_healthy(&self) -> bool {
        self.healthy.load(Ordering::SeqCst)
    }
}

struct Writer {
    pool: DbPool,
    path: PathBuf,
    opened: Option<(u64, u64)>,
    healthy: Arc<AtomicBool>,
}

impl Writer {
    /// Commits `batch` and answers its writers; hands back the connection
    /// unless it failed.
    fn commit_batch(
        &self,
        held: Option<PooledDbConnection>,
        mut batch: Vec<Box<dyn QueuedWrite>>,
    ) -> Option<PooledDbConnection> {
        let conn = match held {
            Some(conn) => Ok(conn),
            None => self.pool.get().map_err(DbError::from),
        };
        let (committed, conn) = match conn {
            Ok(mut conn) => {
                let committed = write_transaction(&mut conn, |conn| {
                    for job in batch.iter_mut() {
                        if !job.run(conn) {
                            return Err(DbError::Unavailable(
                                "a write could not be rolled back alone; its batch was abandoned"
                                    .into(),
                            ));
                        }
                    }
                    // Acknowledge nothing a replaced or deleted file took.
                    if file_identity(&self.path) != self.opened {
                        return Err(DbError::Unavailable(format!(
                            "{} is no longer the database file this server opened",
                            self.path.display()
                        )));
                    }
                    Ok::<(), DbError>(())
                });
                // After a failure the connection may be mid-transaction: let the
                // pool check it and take a fresh one next time.
                let keep = committed.is_ok().then_some(conn);
                (committed, keep)
            }
            Err(error) => (Err(error), None),
        };
        self.healthy.store(committed.is_ok(), Ordering::SeqCst);
        if let Err(error) = &committed {
            tracing::error!(%error, writes = batch.len(), "a batch of writes was rolled back");
        }
        for job in batch {
            job.finish(committed.as_ref().map(|_| ()));
        }
        conn
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{ConnectionManager, DatabaseUrl};

    #[test]
    fn a_full_queue_refuses_at_once_and_the_rest_still_commit()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("queue.db");
        let url = DatabaseUrl::Sqlite(path.clone());
        drop(crate::db::establish(&url)?);
        let pool = diesel::r2d2::Pool::builder()
            .max_size(2)
            .build(ConnectionManager { url })?;
        let queue = WriteQueue::start(pool, path, 1)?;
        let (running, started) = std::sync::mpsc::channel::<()>();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let first = queue.submit(move |_| {
            let _ = running.send(());
            let _ = released.recv();
            Ok::<_, DbError>(1)
        });
        // The writer now holds the first write; one more fits in the queue.
        started.recv()?;
        let second = queue.submit(|_| Ok::<_, DbError>(2));
        let third = queue.submit(|_| Ok::<_, DbError>(3));
        assert!(matches!(third.blocking_recv(), Ok(Err(DbError::Busy))));
        release.send(())?;
        assert!(matches!(first.blocking_recv(), Ok(Ok(1))));
        assert!(matches!(second.blocking_recv(), Ok(Ok(2))));
        assert!(queue.is_healthy());
        Ok(())
    }
}
