//! The database: one connection type over SQLite and PostgreSQL, its pool,
//! per-connection settings and the embedded migrations.

pub mod models;
pub mod schema;
mod sqlite_tuning;
mod url;
mod writer;

pub use url::{Backend, DatabaseUrl, DatabaseUrlError};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, CustomizeConnection, ManageConnection, Pool, PooledConnection};
use diesel::sql_types::{Nullable, Text};
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// How long a SQLite writer waits for the lock before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 10_000;
/// Serialises migrations when several processes start against one PostgreSQL.
const MIGRATION_LOCK_KEY: i64 = 0x0052_4544_5245_5353;

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

impl DbConnection {
    pub fn backend(&self) -> Backend {
        match self {
            DbConnection::Postgres(_) => Backend::Postgres,
            DbConnection::Sqlite(_) => Backend::Sqlite,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot connect to the database: {0}")]
    Connection(#[from] diesel::ConnectionError),
    #[error("no database connection available: {0}")]
    Pool(#[from] r2d2::PoolError),
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("migrations failed: {0}")]
    Migration(String),
    #[error("the database task was cancelled")]
    Cancelled,
    #[error("the write was not committed: {0}")]
    GroupCommit(String),
    #[error("cannot start a database thread: {0}")]
    Thread(String),
    /// This instance cannot write now (its database file was replaced, a
    /// commit failed, the writer stopped): answer 503 so that a load
    /// balancer sends the work elsewhere.
    #[error("the database cannot be written: {0}")]
    Unavailable(String),
    /// The write queue is full: answer 503 with Retry-After.
    #[error("too many writes are waiting; try again shortly")]
    Busy,
}

impl DbError {
    /// Whether the instance is unable or too busy to write: a 503, not a
    /// 500. That is also a database that has turned read-only, is full, or
    /// fails to write its file.
    pub fn is_unavailable(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            // No connection to be had: the database is down or overloaded.
            DbError::Unavailable(_) | DbError::Busy | DbError::Pool(_) | DbError::Connection(_) => {
                true
            }
            DbError::Query(Error::DatabaseError(DatabaseErrorKind::ReadOnlyTransaction, _)) => true,
            DbError::Query(Error::DatabaseError(_, info)) => {
                let message = info.message();
                [
                    "read-only transaction",
                    "readonly database",
                    "disk I/O error",
                    "database or disk is full",
                    "No space left",
                ]
                .iter()
                .any(|known| message.contains(known))
            }
            _ => false,
        }
    }

    /// Whether running the same transaction again may succeed: it lost a
    /// race to a unique index, a serialization check or a deadlock on
    /// PostgreSQL.
    pub fn is_retryable(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            DbError::Query(Error::DatabaseError(kind, info)) => {
                matches!(
                    kind,
                    DatabaseErrorKind::UniqueViolation | DatabaseErrorKind::SerializationFailure
                ) || info.message().contains("deadlock detected")
            }
            _ => false,
        }
    }

    /// The error each write of a batch answers when the batch could not
    /// commit: the instance cannot write.
    fn clone_for_batch(&self) -> DbError {
        match self {
            DbError::Busy => DbError::Busy,
            DbError::Unavailable(reason) => DbError::Unavailable(reason.clone()),
            other => DbError::Unavailable(other.to_string()),
        }
    }
}

/// An error a write can end with, which may carry a database failure; the
/// write path retries those that lost a race (see `DbError::is_retryable`).
pub trait WriteFailure: From<DbError> + From<diesel::result::Error> {
    fn database_error(&self) -> Option<&DbError>;
}

impl WriteFailure for DbError {
    fn database_error(&self) -> Option<&DbError> {
        Some(self)
    }
}

/// Implements `WriteFailure` for an error enum with a `Db(DbError)` variant.
#[macro_export]
macro_rules! write_failure {
    ($name:ty) => {
        impl $crate::db::WriteFailure for $name {
            fn database_error(&self) -> Option<&$crate::db::DbError> {
                match self {
                    Self::Db(error) => Some(error),
                    _ => None,
                }
            }
        }
    };
}

/// How many times a write that lost a race on PostgreSQL runs in all.
const WRITE_ATTEMPTS: u32 = 5;

/// A short, random pause before running a write again, growing with each
/// try so that writers that collided spread out.
fn backoff(attempt: u32) -> Duration {
    use rand::Rng;
    let ceiling = 5_u64 << attempt.min(6);
    Duration::from_millis(rand::rng().random_range(1..=ceiling))
}

/// Opens one connection of the backend the URL names.
pub fn establish(url: &DatabaseUrl) -> Result<DbConnection, diesel::ConnectionError> {
    match url {
        DatabaseUrl::Postgres(text) => PgConnection::establish(text).map(DbConnection::Postgres),
        DatabaseUrl::Sqlite(path) => {
            sqlite_tuning::configure();
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| {
                    diesel::ConnectionError::BadConnection(format!(
                        "cannot create {}: {e}",
                        parent.display()
                    ))
                })?;
            }
            let path = path.to_str().ok_or_else(|| {
                diesel::ConnectionError::InvalidConnectionUrl(format!(
                    "{} is not UTF-8",
                    path.display()
                ))
            })?;
            SqliteConnection::establish(path).map(DbConnection::Sqlite)
        }
    }
}

/// The r2d2 manager: connects by the URL's scheme (see `DatabaseUrl`).
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = diesel::ConnectionError;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        establish(&self.url)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel::ConnectionError::CouldntSetupConfiguration)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        std::thread::panicking() || r2d2::R2D2Connection::is_broken(conn)
    }
}

/// Settings every new pooled connection gets.
#[derive(Debug)]
struct SessionSettings;

impl CustomizeConnection<DbConnection, diesel::ConnectionError> for SessionSettings {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), diesel::ConnectionError> {
        let sql = match conn {
            // FULL: a committed refund must survive a power cut. Savepoint
            // journals stay in memory.
            DbConnection::Sqlite(_) => format!(
                "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY;"
            ),
            DbConnection::Postgres(_) => {
                "SET TIME ZONE 'UTC'; SET statement_timeout = '30s';".to_owned()
            }
        };
        conn.batch_execute(&sql)
            .map_err(diesel::ConnectionError::CouldntSetupConfiguration)
    }
}

/// Applies pending migrations on a dedicated connection; returns the
/// versions applied. SQLite is switched to WAL here, once, since the mode
/// is kept in the file.
pub fn run_migrations(conn: &mut DbConnection) -> Result<Vec<String>, DbError> {
    fn apply<C: MigrationHarness<B>, B: diesel::backend::Backend>(
        conn: &mut C,
        migrations: EmbeddedMigrations,
    ) -> Result<Vec<String>, DbError> {
        conn.run_pending_migrations(migrations)
            .map(|versions| versions.iter().map(ToString::to_string).collect())
            .map_err(|e| DbError::Migration(e.to_string()))
    }
    match conn {
        DbConnection::Sqlite(c) => {
            // Foreign keys stay off while migrating, as SQLite's procedure
            // for rebuilding a table asks, and are checked afterwards.
            c.batch_execute(&format!(
                "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA foreign_keys = OFF;"
            ))?;
            let applied = apply(c, SQLITE_MIGRATIONS)?;
            // Checked only after a migration ran: the check reads every
            // table.
            let broken: Vec<ForeignKeyProblem> = if applied.is_empty() {
                Vec::new()
            } else {
                diesel::sql_query("PRAGMA foreign_key_check").load(c)?
            };
            c.batch_execute("PRAGMA foreign_keys = ON;")?;
            match broken.first() {
                Some(problem) => Err(DbError::Migration(format!(
                    "after migrating, {} rows of {} point at rows that do not exist",
                    broken.len(),
                    problem.table
                ))),
                None => Ok(applied),
            }
        }
        DbConnection::Postgres(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))?;
            let applied = apply(c, POSTGRES_MIGRATIONS);
            c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))?;
            applied
        }
    }
}

/// A row `PRAGMA foreign_key_check` reports.
#[derive(QueryableByName)]
struct ForeignKeyProblem {
    #[diesel(sql_type = Text)]
    table: String,
}

#[derive(QueryableByName)]
struct SchemaVersion {
    #[diesel(sql_type = Nullable<Text>)]
    version: Option<String>,
}

/// The newest applied migration: proves the database answers and is ours.
pub fn schema_version(conn: &mut DbConnection) -> Result<Option<String>, DbError> {
    let row: SchemaVersion =
        diesel::sql_query("SELECT MAX(version) AS version FROM __diesel_schema_migrations")
            .get_result(conn)?;
    Ok(row.version)
}

pub type DbPool = Pool<ConnectionManager>;
pub type PooledDbConnection = PooledConnection<ConnectionManager>;

/// The pool and what it is connected to; cheap to clone.
#[derive(Clone)]
pub struct Database {
    pool: DbPool,
    backend: Backend,
    /// SQLite only: the single writer that group-commits.
    writer: Option<writer::WriteQueue>,
    /// The last write probe and when it ran (see `check_writable`).
    probe: Arc<tokio::sync::Mutex<Option<LastProbe>>>,
}

/// When a write probe ran, and why it failed if it did.
type LastProbe = (Instant, Option<String>);

/// How long one write probe answers for: a flood of health checks costs a
/// few writes a second, not one each.
const PROBE_TTL: Duration = Duration::from_millis(250);

/// Runs `work` in a write transaction on PostgreSQL, again when it lost a
/// race (a unique index, a serialization check, a deadlock), a bounded
/// number of times.
fn write_with_retries<T, E, F>(conn: &mut DbConnection, work: &F) -> Result<T, E>
where
    F: Fn(&mut DbConnection) -> Result<T, E>,
    E: WriteFailure,
{
    let mut attempt = 1;
    loop {
        match write_transaction(conn, work) {
            Err(error)
                if attempt < WRITE_ATTEMPTS
                    && error.database_error().is_some_and(DbError::is_retryable) =>
            {
                tracing::debug!(attempt, "a write lost a race; running it again");
                std::thread::sleep(backoff(attempt));
                attempt += 1;
            }
            other => return other,
        }
    }
}

impl Database {
    /// Migrates, then opens a pool of `size` connections.
    pub fn open(url: &DatabaseUrl, size: u32) -> Result<Database, DbError> {
        let mut conn = establish(url)?;
        run_migrations(&mut conn)?;
        drop(conn);
        let pool = Pool::builder()
            .max_size(size)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .connection_customizer(Box::new(SessionSettings))
            .build(ConnectionManager { url: url.clone() })?;
        let writer = match url {
            DatabaseUrl::Sqlite(path) => Some(
                writer::WriteQueue::start(pool.clone(), path.clone(), writer::QUEUE_CAPACITY)
                    .map_err(|e| DbError::Thread(e.to_string()))?,
            ),
            DatabaseUrl::Postgres(_) => None,
        };
        Ok(Database {
            pool,
            backend: url.backend(),
            writer,
            probe: Arc::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn conn(&self) -> Result<PooledDbConnection, DbError> {
        Ok(self.pool.get()?)
    }

    /// Runs `work` in a write transaction and answers once it is committed:
    /// the one write path. On SQLite it joins the writer's next group
    /// commit; on PostgreSQL it runs on a pooled connection, again if it
    /// lost a race. `work` must not call `write` itself.
    pub async fn write<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: Fn(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: WriteFailure + Send + 'static,
    {
        match &self.writer {
            Some(writer) => writer
                .submit(work)
                .await
                .unwrap_or_else(|_| Err(DbError::Cancelled.into())),
            None => self.run(move |conn| write_with_retries(conn, &work)).await,
        }
    }

    /// `write` for threads outside the async runtime (the CLI, benchmarks).
    pub fn write_blocking<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: Fn(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: WriteFailure + Send + 'static,
    {
        match &self.writer {
            Some(writer) => writer
                .submit(work)
                .blocking_recv()
                .unwrap_or_else(|_| Err(DbError::Cancelled.into())),
            None => write_with_retries(&mut *self.conn()?, &work),
        }
    }

    /// Proves this instance can write now: a real write through the write
    /// path (it touches the one-row `health_checks` table), on top of the
    /// writer's own state on SQLite.
    pub async fn check_writable(&self) -> Result<(), DbError> {
        // One probe at a time, its answer kept for a second.
        let mut last = self.probe.lock().await;
        if let Some((at, outcome)) = last.as_ref()
            && at.elapsed() < PROBE_TTL
        {
            return outcome
                .clone()
                .map_or(Ok(()), |e| Err(DbError::Unavailable(e)));
        }
        if let Some(writer) = &self.writer
            && !writer.is_healthy()
        {
            // Still try: a write that commits again makes it healthy.
            tracing::warn!("the last write batch failed");
        }
        let outcome = self.probe_write().await;
        *last = Some((
            Instant::now(),
            outcome.as_ref().err().map(ToString::to_string),
        ));
        outcome
    }

    async fn probe_write(&self) -> Result<(), DbError> {
        self.write(|conn| {
            use schema::health_checks;
            let now = chrono::Utc::now().naive_utc();
            let touched = diesel::update(health_checks::table.filter(health_checks::id.eq(1)))
                .set(health_checks::checked_at.eq(now))
                .execute(conn)?;
            if touched == 1 {
                Ok(())
            } else {
                Err(DbError::Unavailable("the health row is missing".into()))
            }
        })
        .await
    }

    /// Runs blocking diesel work on actix's thread pool, never on a worker.
    pub async fn run<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        actix_web::web::block(move || {
            let _entered = span.enter();
            let mut conn = pool.get().map_err(DbError::from)?;
            work(&mut conn)
        })
        .await
        .map_err(|_| E::from(DbError::Cancelled))?
    }
}

/// After rows were inserted with ids chosen by the caller, moves PostgreSQL's
/// id sequences past them (SQLite needs nothing: it takes max(id) + 1).
pub fn reset_id_sequences(conn: &mut DbConnection, tables: &[&str]) -> Result<(), DbError> {
    if let DbConnection::Postgres(pg) = conn {
        for table in tables {
            pg.batch_execute(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
            ))?;
        }
    }
    Ok(())
}

/// Whether a transaction is open on this connection.
pub fn in_transaction(conn: &mut DbConnection) -> Result<bool, diesel::result::Error> {
    Ok(transaction_depth(conn)? > 0)
}

/// How many transactions and savepoints are open on this connection.
pub fn transaction_depth(conn: &mut DbConnection) -> Result<u32, diesel::result::Error> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let depth = match conn {
        DbConnection::Sqlite(sqlite) => {
            AnsiTransactionManager::transaction_manager_status_mut(sqlite).transaction_depth()
        }
        DbConnection::Postgres(pg) => {
            AnsiTransactionManager::transaction_manager_status_mut(pg).transaction_depth()
        }
    }?;
    Ok(depth.map_or(0, |depth| depth.get()))
}

/// Runs `work` in a transaction that writes. Inside an open transaction it
/// simply runs there: its error fails the caller's transaction as a whole.
/// (Code that recovers from an error and goes on opens a savepoint with
/// `conn.transaction` itself.) On SQLite it begins with
/// `BEGIN IMMEDIATE`, taking the write lock up front: a deferred transaction
/// that reads and then writes can fail with SQLITE_BUSY when another writer
/// got there first, which `busy_timeout` cannot wait out.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    if in_transaction(conn)? {
        return work(conn);
    }
    match conn {
        DbConnection::Sqlite(sqlite) => {
            AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?
        }
        DbConnection::Postgres(pg) => AnsiTransactionManager::begin_transaction(pg)?,
    }
    let commit = |conn: &mut DbConnection| match conn {
        DbConnection::Sqlite(sqlite) => AnsiTransactionManager::commit_transaction(sqlite),
        DbConnection::Postgres(pg) => AnsiTransactionManager::commit_transaction(pg),
    };
    let rollback = |conn: &mut DbConnection| match conn {
        DbConnection::Sqlite(sqlite) => AnsiTransactionManager::rollback_transaction(sqlite),
        DbConnection::Postgres(pg) => AnsiTransactionManager::rollback_transaction(pg),
    };
    match work(conn) {
        Ok(value) => {
            commit(conn)?;
            Ok(value)
        }
        Err(error) => {
            rollback(conn)?;
            Err(error)
        }
    }
}

/// Runs `work` in one read-only transaction that sees one consistent
/// snapshot of the database however long it takes: REPEATABLE READ on
/// PostgreSQL; on SQLite (WAL) a read transaction, whose snapshot is fixed
/// at its first read.
pub fn read_snapshot<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    match conn {
        DbConnection::Sqlite(sqlite) => {
            AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN DEFERRED")?
        }
        DbConnection::Postgres(pg) => AnsiTransactionManager::begin_transaction_sql(
            pg,
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        )?,
    }
    let outcome = work(conn);
    // Nothing was written: ending the transaction either way is the same.
    let ended = match conn {
        DbConnection::Sqlite(sqlite) => AnsiTransactionManager::rollback_transaction(sqlite),
        DbConnection::Postgres(pg) => AnsiTransactionManager::rollback_transaction(pg),
    };
    let value = outcome?;
    ended?;
    Ok(value)
}

/// Runs `attempt` as `write_transaction` does, for writes that can lose a
/// race to a unique index: two PostgreSQL transactions inserting the same
/// key, where the loser's insert fails once the winner commits. The loser
/// is rolled back (to a savepoint, inside a caller's transaction) and runs
/// once more, now finding the winner's row. SQLite's write transactions
/// never overlap, so there no race is lost and no savepoint is needed.
pub fn write_transaction_retrying_race<T, E, F>(
    conn: &mut DbConnection,
    lost_race: impl Fn(&E) -> bool,
    attempt: F,
) -> Result<T, E>
where
    F: Fn(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn.backend() {
        Backend::Sqlite => write_transaction(conn, attempt),
        Backend::Postgres => match conn.transaction(&attempt) {
            Err(error) if lost_race(&error) => conn.transaction(&attempt),
            other => other,
        },
    }
}

/// Whether a failed statement lost a race to a unique index.
pub fn is_unique_violation(error: &diesel::result::Error) -> bool {
    matches!(
        error,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}
