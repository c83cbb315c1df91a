//! The database: one connection type over SQLite and PostgreSQL, its pool,
//! per-connection settings and the embedded migrations.

pub mod models;
pub mod schema;
mod url;

pub use url::{Backend, DatabaseUrl, DatabaseUrlError};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, CustomizeConnection, ManageConnection, Pool, PooledConnection};
use diesel::sql_types::{Nullable, Text};
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use std::time::Duration;

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
}

/// Opens one connection of the backend the URL names.
pub fn establish(url: &DatabaseUrl) -> Result<DbConnection, diesel::ConnectionError> {
    match url {
        DatabaseUrl::Postgres(text) => PgConnection::establish(text).map(DbConnection::Postgres),
        DatabaseUrl::Sqlite(path) => {
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
            // FULL: a committed refund must survive a power cut.
            DbConnection::Sqlite(_) => format!(
                "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA synchronous = FULL;"
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
            c.batch_execute(&format!(
                "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA foreign_keys = ON;"
            ))?;
            apply(c, SQLITE_MIGRATIONS)
        }
        DbConnection::Postgres(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))?;
            let applied = apply(c, POSTGRES_MIGRATIONS);
            c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))?;
            applied
        }
    }
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
        Ok(Database {
            pool,
            backend: url.backend(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn conn(&self) -> Result<PooledDbConnection, DbError> {
        Ok(self.pool.get()?)
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

/// Runs `work` in a transaction that writes (a savepoint when one is
/// already open). On SQLite it begins with
/// `BEGIN IMMEDIATE`, taking the write lock up front: a deferred transaction
/// that reads and then writes can fail with SQLITE_BUSY when another writer
/// got there first, which `busy_timeout` cannot wait out.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let depth = match conn {
        DbConnection::Sqlite(sqlite) => {
            AnsiTransactionManager::transaction_manager_status_mut(sqlite).transaction_depth()
        }
        DbConnection::Postgres(pg) => {
            AnsiTransactionManager::transaction_manager_status_mut(pg).transaction_depth()
        }
    }?;
    if depth.is_some() {
        // Already inside one: the caller's transaction holds the lock; nest as a savepoint.
        return conn.transaction(work);
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
