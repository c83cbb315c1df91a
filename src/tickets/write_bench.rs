//! `redress bench write`: what the desk's and the platform's writes cost on
//! the database at hand (a generated world, say a million tickets): ticket
//! opens, public replies, status changes and recorded transactions per
//! second, from one client and from several at once, each through the one
//! write path.

use super::service::{self, Actor, Changes, NewTicket, Reply, TicketError};
use super::sla::{self, SlaSettings};
use crate::db::models::{Agent, Customer};
use crate::db::schema::{agents, customers, tickets};
use crate::db::{Database, DbError};
use crate::domain::*;
use crate::platform::customers::IngestError;
use crate::platform::transactions::{TransactionRecord, record_transaction};
use diesel::prelude::*;
use rand::Rng;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One kind of write, timed.
#[derive(Debug, Clone)]
pub struct WriteRate {
    pub what: &'static str,
    pub clients: usize,
    pub writes: usize,
    pub elapsed: Duration,
}

impl WriteRate {
    pub fn per_second(&self) -> f64 {
        self.writes as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

#[derive(Debug, Clone)]
pub struct WriteBenchReport {
    pub tickets_before: i64,
    pub rates: Vec<WriteRate>,
}

#[derive(Debug, thiserror::Error)]
pub enum WriteBenchError {
    #[error("the database holds no {0} to write for; run `redress generate` first")]
    Empty(&'static str),
    #[error(transparent)]
    Ticket(#[from] TicketError),
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for WriteBenchError {
    fn from(error: diesel::result::Error) -> Self {
        WriteBenchError::Db(DbError::Query(error))
    }
}

/// What every client needs: whom to act as, for whom, and the calendar.
struct Fixture {
    actor: Actor,
    customers: Vec<Customer>,
    sla: SlaSettings,
}

/// Runs `writes` of each kind with one client, then with `clients` at
/// once, on new tickets of existing customers.
pub fn run(
    db: &Database,
    writes: usize,
    clients: usize,
) -> Result<WriteBenchReport, WriteBenchError> {
    let mut conn = db.conn()?;
    let tickets_before: i64 = tickets::table
        .select(diesel::dsl::max(tickets::id))
        .first::<Option<TicketId>>(&mut conn)?
        .map_or(0, |id| id.0);
    let agent: Agent = agents::table
        .filter(agents::active.eq(true))
        .order(agents::id)
        .select(Agent::as_select())
        .first(&mut conn)
        .optional()?
        .ok_or(WriteBenchError::Empty("agent"))?;
    // Customers spread over the whole table, read by id.
    let max_customer: i64 = customers::table
        .select(diesel::dsl::max(customers::id))
        .first::<Option<CustomerId>>(&mut conn)?
        .map_or(0, |id| id.0);
    let mut rng = rand::rng();
    let mut sample = Vec::new();
    for _ in 0..200 {
        if max_customer == 0 {
            break;
        }
        let id = CustomerId(rng.random_range(1..=max_customer));
        if let Some(customer) = Customer::find(&mut conn, id)? {
            sample.push(customer);
        }
    }
    if sample.is_empty() {
        return Err(WriteBenchError::Empty("customers"));
    }
    let fixture = Arc::new(Fixture {
        actor: Actor {
            id: agent.id,
            name: agent.name,
            role: agent.role,
        },
        customers: sample,
        sla: sla::load(&mut conn).map_err(|e| DbError::Migration(e.to_string()))?,
    });
    drop(conn);
    let mut rates = Vec::new();
    for clients in [1, clients.max(1)] {
        rates.extend(round(db, &fixture, writes, clients)?);
    }
    Ok(WriteBenchReport {
        tickets_before,
        rates,
    })
}

/// Each kind of write, `writes` of it spread over `clients` threads.
fn round(
    db: &Database,
    fixture: &Arc<Fixture>,
    writes: usize,
    clients: usize,
) -> Result<Vec<WriteRate>, WriteBenchError> {
    let opened = timed(db, fixture, "ticket opens", writes, clients, |db, f, n| {
        let customer = &f.customers[n % f.customers.len()];
        let request = NewTicket {
            customer: customer.id,
            transaction: None,
            category: TicketCategory::RefundNotReceived,
            priority: TicketPriority::Normal,
            subject: format!("Refund not received 退款未到账 bench {n}"),
            description: "The refund has not arrived yet.".into(),
        };
        let (sla, actor) = (f.sla.clone(), f.actor.clone());
        db.write_blocking(move |conn| service::open(conn, &sla, &actor, request.clone()))
            .map_err(WriteBenchError::from)
    })?;
    let (open_rate, opened) = opened;
    let tickets = Arc::new(opened);
    let replied = timed(db, fixture, "public replies", writes, clients, {
        let tickets = tickets.clone();
        move |db, f, n| {
            let ticket = &tickets[n];
            let reply = Reply {
                body: "We are looking into it and will write again within a day.".into(),
                public: true,
                status: None,
                version: ticket.version,
            };
            let (sla, actor, id) = (f.sla.clone(), f.actor.clone(), ticket.id);
            db.write_blocking(move |conn| service::reply(conn, &sla, &actor, id, reply.clone()))
        }
    })?;
    let (reply_rate, replied) = replied;
    let replied = Arc::new(replied);
    let changed = timed(db, fixture, "status changes", writes, clients, {
        let replied = replied.clone();
        move |db, f, n| {
            let ticket = &replied[n];
            let changes = Changes {
                status: Some(TicketStatus::Pending),
                version: ticket.version,
                ..Changes::default()
            };
            let (sla, actor, id) = (f.sla.clone(), f.actor.clone(), ticket.id);
            db.write_blocking(move |conn| service::change(conn, &sla, &actor, id, changes.clone()))
        }
    })?;
    let stamp = rand::rng().random_range(0..u32::MAX);
    let recorded = timed(
        db,
        fixture,
        "transactions recorded",
        writes,
        clients,
        move |db, f, n| {
            let customer = &f.customers[n % f.customers.len()];
            let record = TransactionRecord {
                reference: format!("BW{stamp:08x}-{clients}-{n}"),
                customer: customer.external_ref.clone(),
                kind: "top_up".into(),
                status: "completed".into(),
                method: "bank_card".into(),
                amount: "10.00".into(),
                currency: "CNY".into(),
                ..TransactionRecord::default()
            };
            db.write_blocking(move |conn| record_transaction(conn, &record))
        },
    )?;
    Ok(vec![open_rate, reply_rate, changed.0, recorded.0])
}

/// Runs `work(n)` for n in 0..writes over `clients` threads; answers the
/// rate and the results in order of n.
fn timed<T, E, W>(
    db: &Database,
    fixture: &Arc<Fixture>,
    what: &'static str,
    writes: usize,
    clients: usize,
    work: W,
) -> Result<(WriteRate, Vec<T>), WriteBenchError>
where
    T: Send + 'static,
    E: Into<WriteBenchError> + Send + 'static,
    W: Fn(&Database, &Fixture, usize) -> Result<T, E> + Send + Sync + 'static,
{
    let work = Arc::new(work);
    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|client| {
            let (db, fixture, work) = (db.clone(), fixture.clone(), work.clone());
            std::thread::spawn(move || {
                (client..writes)
                    .step_by(clients)
                    .map(|n| work(&db, &fixture, n).map(|t| (n, t)).map_err(Into::into))
                    .collect::<Result<Vec<_>, WriteBenchError>>()
            })
        })
        .collect();
    let mut results = Vec::with_capacity(writes);
    for thread in threads {
        let done = thread
            .join()
            .map_err(|_| DbError::Thread("a benchmark client panicked".into()))??;
        results.extend(done);
    }
    let elapsed = started.elapsed();
    results.sort_by_key(|(n, _)| *n);
    Ok((
        WriteRate {
            what,
            clients,
            writes,
            elapsed,
        },
        results.into_iter().map(|(_, t)| t).collect(),
    ))
}
