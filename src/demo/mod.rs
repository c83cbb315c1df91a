//! The demo world: a believable wallet with customers, money, and tickets
//! of every category in every status, generated into an empty database.

mod text;
mod world;

pub use world::business_days_before;

use crate::agents::{AgentError, NewAgentRequest, add_agent};
use crate::db::schema::{
    agents, customers, ledger_accounts, ledger_transfers, ticket_events, ticket_terms, tickets,
    transactions,
};
use crate::db::{DbConnection, DbError, reset_id_sequences};
use crate::domain::Role;
use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use rand::SeedableRng;
use rand::distr::{Alphanumeric, SampleString};
use rand_chacha::ChaCha8Rng;
use std::time::{Duration, Instant};
use world::{AgentSeat, Builder, MIN_CUSTOMERS};

pub const DEFAULT_TICKETS: u64 = 1_200;
pub const DEFAULT_CUSTOMERS: u64 = 300;
pub const DEFAULT_SEED: u64 = 2026;

#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub tickets: u64,
    pub customers: u64,
    pub seed: u64,
    /// The world's "now": times are laid out before it.
    pub now: NaiveDateTime,
}

/// A sign-in for the demo desk.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password: String,
}

#[derive(Debug, Clone)]
pub struct GenerateSummary {
    pub customers: usize,
    pub ledger_accounts: usize,
    pub transactions: usize,
    pub transfers: usize,
    pub tickets: usize,
    pub events: usize,
    pub logins: Vec<DemoLogin>,
    pub elapsed: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("the database already holds data ({0}); generate fills an empty database only")]
    NotEmpty(String),
    #[error("at least {MIN_CUSTOMERS} customers are needed for the demo's named cases")]
    TooFewCustomers,
    #[error("the generated world has {0} rows that point at nothing")]
    BrokenReferences(i64),
    #[error(transparent)]
    Agent(#[from] AgentError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Sla(#[from] crate::tickets::sla::SlaLoadError),
    #[error(transparent)]
    Ticket(#[from] crate::tickets::service::TicketError),
}

impl From<diesel::result::Error> for GenerateError {
    fn from(error: diesel::result::Error) -> Self {
        GenerateError::Db(DbError::Query(error))
    }
}

#[derive(QueryableByName)]
struct RowCount {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// The desk's staff: (name, e-mail, role).
const STAFF: &[(&str, &str, Role)] = &[
    ("Ada Admin", "admin@redress.example", Role::Admin),
    (
        "陈静 Chen Jing",
        "chen.jing@redress.example",
        Role::Supervisor,
    ),
    ("Sam Okafor", "sam.okafor@redress.example", Role::Supervisor),
    ("李明 Li Ming", "li.ming@redress.example", Role::Agent),
    ("Grace Kim", "grace.kim@redress.example", Role::Agent),
    ("王芳 Wang Fang", "wang.fang@redress.example", Role::Agent),
    ("Tom Fischer", "tom.fischer@redress.example", Role::Agent),
    ("周涛 Zhou Tao", "zhou.tao@redress.example", Role::Agent),
];

/// Rows per multi-row INSERT, kept under SQLite's 32,766 bound parameters.
const ROWS_PER_INSERT: usize = 1_000;
/// Statements per database transaction.
const INSERTS_PER_COMMIT: usize = 100;

/// Inserts `rows` into `table` in multi-row statements, committing in groups.
/// Multi-row inserts are made on the backend's own connection: diesel's
/// multi-backend connection does not build them.
macro_rules! insert_all {
    ($conn:expr, $table:expr, $rows:expr) => {{
        for group in $rows.chunks(ROWS_PER_INSERT * INSERTS_PER_COMMIT) {
            $conn.transaction(|conn| {
                match conn {
                    // One prepared statement, run per row: SQLite's fastest load.
                    DbConnection::Sqlite(c) => {
                        for row in group {
                            diesel::insert_into($table).values(row).execute(c)?;
                        }
                    }
                    DbConnection::Postgres(c) => {
                        for chunk in group.chunks(ROWS_PER_INSERT) {
                            diesel::insert_into($table).values(chunk).execute(c)?;
                        }
                    }
                }
                Ok::<(), diesel::result::Error>(())
            })?;
        }
        tracing::info!(table = stringify!($table), rows = $rows.len(), "inserted");
    }};
}

pub fn generate(
    conn: &mut DbConnection,
    options: &GenerateOptions,
) -> Result<GenerateSummary, GenerateError> {
    let started = Instant::now();
    if options.customers < MIN_CUSTOMERS {
        return Err(GenerateError::TooFewCustomers);
    }
    refuse_non_empty(conn)?;

    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let mut logins = Vec::new();
    let mut seats = Vec::new();
    for (name, email, role) in STAFF {
        let password = format!("demo-{}", Alphanumeric.sample_string(&mut rng, 12));
        let id = add_agent(
            conn,
            NewAgentRequest::parse(email, name, *role, &password)?,
            None,
        )?;
        if *role != Role::Admin {
            seats.push(AgentSeat {
                id,
                name: name.to_string(),
            });
        }
        logins.push(DemoLogin {
            email: email.to_string(),
            name: name.to_string(),
            role: *role,
            password,
        });
    }

    let mut world = Builder::new(rng, options.seed, options.now, &seats)
        .build(options.customers, options.tickets);
    // Due times from the stored SLA calendar, and the subject index.
    let sla = crate::tickets::sla::load(conn)?;
    let mut terms = Vec::new();
    for ticket in &mut world.tickets {
        crate::tickets::service::apply_sla(ticket, &sla)?;
        terms.extend(
            crate::tickets::terms::terms_of(&ticket.subject)
                .into_iter()
                .map(|term| TicketTerm {
                    term,
                    ticket_id: ticket.id,
                }),
        );
    }
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "demo world built in memory"
    );

    // SQLite loads fastest into bare tables: secondary indexes are built
    // afterwards by sorting, and foreign keys are checked once, in bulk.
    let deferred_indexes = match conn {
        DbConnection::Sqlite(sqlite) => {
            sqlite.batch_execute("PRAGMA cache_size = -1048576; PRAGMA temp_store = MEMORY; PRAGMA foreign_keys = OFF;")?;
            drop_secondary_indexes(sqlite)?
        }
        DbConnection::Postgres(_) => Vec::new(),
    };
    insert_all!(conn, customers::table, world.customers);
    insert_all!(conn, ledger_accounts::table, world.book.accounts);
    insert_all!(conn, transactions::table, world.transactions);
    insert_all!(conn, tickets::table, world.tickets);
    insert_all!(conn, ticket_events::table, world.events);
    insert_all!(conn, ticket_terms::table, terms);
    insert_all!(conn, ledger_transfers::table, world.book.transfers);
    if let DbConnection::Sqlite(sqlite) = conn {
        for create in &deferred_indexes {
            sqlite.batch_execute(create)?;
        }
        tracing::info!(indexes = deferred_indexes.len(), "indexes built");
        let broken = diesel::sql_query("SELECT COUNT(*) AS n FROM pragma_foreign_key_check")
            .get_result::<RowCount>(sqlite)?
            .n;
        sqlite.batch_execute("PRAGMA foreign_keys = ON;")?;
        if broken > 0 {
            return Err(GenerateError::BrokenReferences(broken));
        }
    }
    reset_id_sequences(
        conn,
        &[
            "agents",
            "customers",
            "ledger_accounts",
            "transactions",
            "tickets",
            "ticket_events",
            "ledger_transfers",
        ],
    )?;

    Ok(GenerateSummary {
        customers: world.customers.len(),
        ledger_accounts: world.book.accounts.len(),
        transactions: world.transactions.len(),
        transfers: world.book.transfers.len(),
        tickets: world.tickets.len(),
        events: world.events.len(),
        logins,
        elapsed: started.elapsed(),
    })
}

#[derive(Insertable)]
#[diesel(table_name = ticket_terms)]
struct TicketTerm {
    term: String,
    ticket_id: crate::domain::TicketId,
}

#[derive(QueryableByName)]
struct IndexDefinition {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    sql: String,
}

/// Drops the indexes the migrations created (not the ones behind PRIMARY
/// KEY and UNIQUE) and returns the statements that create them again.
fn drop_secondary_indexes(
    sqlite: &mut diesel::SqliteConnection,
) -> Result<Vec<String>, GenerateError> {
    let indexes: Vec<IndexDefinition> = diesel::sql_query(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name",
    )
    .load(sqlite)?;
    for index in &indexes {
        sqlite.batch_execute(&format!("DROP INDEX \"{}\"", index.name))?;
    }
    Ok(indexes.into_iter().map(|index| index.sql).collect())
}

fn refuse_non_empty(conn: &mut DbConnection) -> Result<(), GenerateError> {
    let counts = [
        ("agents", agents::table.count().get_result::<i64>(conn)?),
        (
            "customers",
            customers::table.count().get_result::<i64>(conn)?,
        ),
        (
            "ledger accounts",
            ledger_accounts::table.count().get_result::<i64>(conn)?,
        ),
        (
            "transactions",
            transactions::table.count().get_result::<i64>(conn)?,
        ),
        ("tickets", tickets::table.count().get_result::<i64>(conn)?),
    ];
    let held: Vec<String> = counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(what, n)| format!("{n} {what}"))
        .collect();
    if held.is_empty() {
        Ok(())
    } else {
        Err(GenerateError::NotEmpty(held.join(", ")))
    }
}
