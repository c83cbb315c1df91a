//! The demo world: believable, complete, deterministic, and its ledger
//! balances.

use crate::helpers::{TestDb, TestResult};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use redress::db::DbConnection;
use redress::db::models::{
    Customer, LedgerAccount, LedgerTransfer, Ticket, TicketEvent, Transaction,
};
use redress::db::schema::{
    customers, ledger_accounts, ledger_transfers, ticket_events, tickets, transactions,
};
use redress::demo::{self, GenerateError, GenerateOptions};
use redress::domain::*;
use redress::ledger::verify::verify_ledger;
use std::collections::BTreeSet;
use strum::IntoEnumIterator;

fn fixed_now() -> NaiveDateTime {
    // A Wednesday afternoon, UTC.
    NaiveDate::from_ymd_opt(2026, 11, 18)
        .and_then(|d| d.and_hms_opt(9, 30, 0))
        .expect("a valid time")
}

fn options(tickets: u64, customers: u64, seed: u64) -> GenerateOptions {
    GenerateOptions {
        tickets,
        customers,
        seed,
        now: fixed_now(),
    }
}

#[test]
fn the_demo_world_balances_and_covers_every_case() -> TestResult {
    let db = TestDb::new();
    let mut conn = db.conn();
    let summary = demo::generate(&mut conn, &options(400, 60, 7))?;
    assert_eq!(summary.tickets, 400);
    assert_eq!(summary.customers, 60);
    assert_eq!(summary.logins.len(), 8);
    for role in [Role::Agent, Role::Supervisor, Role::Admin] {
        assert!(
            summary.logins.iter().any(|login| login.role == role),
            "no {role} login"
        );
    }

    // The ledger balances: per currency, and every account equals its transfers.
    let report = verify_ledger(&mut conn)?;
    assert!(report.is_ok(), "{:?}", report.violations);
    assert_eq!(report.transfers as usize, summary.transfers);
    assert_eq!(report.currencies, vec!["CNY".to_owned(), "USDT".to_owned()]);

    // Every category in every status.
    let pairs: BTreeSet<(TicketCategory, TicketStatus)> = tickets::table
        .select((tickets::category, tickets::status))
        .load(&mut conn)?
        .into_iter()
        .collect();
    for category in TicketCategory::iter() {
        for status in TicketStatus::iter() {
            assert!(
                pairs.contains(&(category, status)),
                "no {category} ticket in {status}"
            );
        }
    }
    Ok(())
}

#[test]
fn the_named_cases_are_there() -> TestResult {
    let db = TestDb::new();
    let mut conn = db.conn();
    demo::generate(&mut conn, &options(80, 20, 11))?;
    let all_customers: Vec<Customer> = customers::table
        .select(Customer::as_select())
        .load(&mut conn)?;
    let all_tx: Vec<Transaction> = transactions::table
        .select(Transaction::as_select())
        .load(&mut conn)?;
    let transfers: Vec<LedgerTransfer> = ledger_transfers::table
        .select(LedgerTransfer::as_select())
        .load(&mut conn)?;
    let accounts: Vec<LedgerAccount> = ledger_accounts::table
        .select(LedgerAccount::as_select())
        .load(&mut conn)?;
    let transfers_of = |tx: &Transaction| {
        let id = tx.id;
        transfers
            .iter()
            .filter(move |t| t.transaction_id == Some(id))
    };

    // Frozen by a risk rule, frozen after many cancellations, locked after failed logins.
    for (status, reason) in [
        (CustomerStatus::Frozen, StatusReason::RiskRule),
        (CustomerStatus::Frozen, StatusReason::ManyCancellations),
        (CustomerStatus::Locked, StatusReason::FailedLogins),
    ] {
        assert!(
            all_customers
                .iter()
                .any(|c| c.status == status && c.status_reason == Some(reason)),
            "{status}/{reason}"
        );
    }
    let cancelled_by_frozen = all_tx
        .iter()
        .filter(|tx| tx.status == TransactionStatus::Cancelled)
        .filter(|tx| {
            all_customers.iter().any(|c| {
                c.id == tx.customer_id && c.status_reason == Some(StatusReason::ManyCancellations)
            })
        })
        .count();
    assert!(
        cancelled_by_frozen >= 5,
        "{cancelled_by_frozen} cancellations"
    );
    assert!(
        all_customers.iter().any(|c| c.locale == Locale::ZhCn)
            && all_customers.iter().any(|c| c.locale == Locale::En)
    );

    // A cancelled payment whose charge was posted and never refunded.
    assert!(all_tx.iter().any(|tx| {
        tx.kind == TransactionKind::Payment
            && tx.status == TransactionStatus::Cancelled
            && transfers_of(tx)
                .any(|t| t.phase == TransferPhase::Posted && t.kind == TransferKind::Payment)
    }));

    // Refunds issued 2 and 7 business days before their tickets were opened.
    let refunds: Vec<&Transaction> = all_tx
        .iter()
        .filter(|tx| tx.kind == TransactionKind::Refund)
        .collect();
    let ticket_rows: Vec<Ticket> = tickets::table.select(Ticket::as_select()).load(&mut conn)?;
    for days in [2, 7] {
        assert!(
            refunds
                .iter()
                .any(|refund| ticket_rows.iter().any(|ticket| {
                    ticket.transaction_id == refund.original_transaction_id
                        && demo::business_days_before(ticket.created_at, days) == refund.created_at
                })),
            "no refund issued {days} business days before its ticket"
        );
    }

    // A paid-but-not-released trade with its coins held in escrow.
    let escrow = accounts
        .iter()
        .find(|a| a.kind == AccountKind::Escrow)
        .ok_or("no escrow account")?;
    assert!(all_tx.iter().any(|tx| {
        tx.status == TransactionStatus::AwaitingRelease
            && transfers_of(tx)
                .any(|t| t.phase == TransferPhase::Pending && t.credit_account_id == escrow.id)
    }));
    assert!(escrow.credits_pending > 0);

    // A failed top-up the bank charged: evidence, and no wallet credit.
    assert!(all_tx.iter().any(|tx| tx.kind == TransactionKind::TopUp
        && tx.status == TransactionStatus::Failed
        && tx.external_ref.is_some()
        && transfers_of(tx).next().is_none()));

    // A withdrawal pending for three days, its funds held.
    assert!(
        all_tx
            .iter()
            .any(|tx| tx.kind == TransactionKind::Withdrawal
                && tx.status == TransactionStatus::Pending
                && fixed_now() - tx.created_at >= chrono::Duration::hours(60)
                && transfers_of(tx).any(|t| t.phase == TransferPhase::Pending))
    );

    // A declined payment that moved nothing.
    assert!(
        all_tx
            .iter()
            .any(|tx| tx.status == TransactionStatus::Declined
                && tx.failure_reason.is_some()
                && transfers_of(tx).next().is_none())
    );

    // Every ticket opens with the user's words; worked ones have an agent's reply.
    let events: Vec<TicketEvent> = ticket_events::table
        .select(TicketEvent::as_select())
        .load(&mut conn)?;
    for ticket in &ticket_rows {
        let first = events
            .iter()
            .find(|e| e.ticket_id == ticket.id)
            .ok_or("a ticket without events")?;
        assert_eq!(first.kind, TicketEventKind::UserMessage);
        if ticket.status != TicketStatus::New {
            assert!(ticket.assignee_id.is_some());
            assert!(
                events
                    .iter()
                    .any(|e| e.ticket_id == ticket.id && e.kind == TicketEventKind::PublicReply)
            );
        }
    }
    Ok(())
}

/// Everything generated, except agents' password hashes (salted at random).
fn dump(conn: &mut DbConnection) -> Result<String, diesel::result::Error> {
    Ok(format!(
        "{:?}{:?}{:?}{:?}{:?}{:?}",
        customers::table
            .order(customers::id)
            .select(Customer::as_select())
            .load(conn)?,
        ledger_accounts::table
            .order(ledger_accounts::id)
            .select(LedgerAccount::as_select())
            .load(conn)?,
        transactions::table
            .order(transactions::id)
            .select(Transaction::as_select())
            .load(conn)?,
        ledger_transfers::table
            .order(ledger_transfers::id)
            .select(LedgerTransfer::as_select())
            .load(conn)?,
        tickets::table
            .order(tickets::id)
            .select(Ticket::as_select())
            .load(conn)?,
        ticket_events::table
            .order(ticket_events::id)
            .select(TicketEvent::as_select())
            .load(conn)?,
    ))
}

#[test]
fn the_same_seed_gives_the_same_world() -> TestResult {
    let (first, second, third) = (TestDb::new(), TestDb::new(), TestDb::new());
    let (mut a, mut b, mut c) = (first.conn(), second.conn(), third.conn());
    let logins_a = demo::generate(&mut a, &options(120, 20, 99))?.logins;
    let logins_b = demo::generate(&mut b, &options(120, 20, 99))?.logins;
    demo::generate(&mut c, &options(120, 20, 100))?;
    assert_eq!(dump(&mut a)?, dump(&mut b)?);
    assert_eq!(
        logins_a.iter().map(|l| &l.password).collect::<Vec<_>>(),
        logins_b.iter().map(|l| &l.password).collect::<Vec<_>>()
    );
    assert_ne!(dump(&mut a)?, dump(&mut c)?);
    Ok(())
}

#[test]
fn generate_refuses_a_database_that_holds_data() -> TestResult {
    let db = TestDb::new();
    let mut conn = db.conn();
    demo::generate(&mut conn, &options(20, 10, 1))?;
    let before = tickets::table.count().get_result::<i64>(&mut conn)?;
    match demo::generate(&mut conn, &options(20, 10, 2)) {
        Err(GenerateError::NotEmpty(what)) => assert!(what.contains("20 tickets"), "{what}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(tickets::table.count().get_result::<i64>(&mut conn)?, before);
    assert!(matches!(
        demo::generate(&mut db.conn(), &options(20, 3, 1)),
        Err(GenerateError::TooFewCustomers)
    ));
    Ok(())
}

#[test]
fn new_rows_after_generation_get_fresh_ids() -> TestResult {
    // On PostgreSQL the id sequences must have moved past the generated rows.
    let db = TestDb::new();
    let mut conn = db.conn();
    demo::generate(&mut conn, &options(20, 10, 3))?;
    let request = redress::agents::NewAgentRequest::parse(
        "new.agent@example.com",
        "New Agent",
        Role::Agent,
        "a long enough passphrase",
    )?;
    let id = redress::agents::add_agent(&mut conn, request, None)?;
    assert_eq!(id, AgentId(9));
    Ok(())
}

#[derive(QueryableByName)]
struct IndexName {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

fn index_names(conn: &mut DbConnection) -> Result<Vec<String>, diesel::result::Error> {
    let query = match conn {
        DbConnection::Sqlite(_) => {
            "SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name"
        }
        DbConnection::Postgres(_) => {
            "SELECT indexname::TEXT AS name FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname"
        }
    };
    Ok(diesel::sql_query(query)
        .load::<IndexName>(conn)?
        .into_iter()
        .map(|row| row.name)
        .collect())
}

#[test]
fn generation_leaves_every_index_and_reference_in_place() -> TestResult {
    let db = TestDb::new();
    let mut conn = db.conn();
    let before = index_names(&mut conn)?;
    assert!(before.iter().any(|name| name == "tickets_status_updated"));
    demo::generate(&mut conn, &options(60, 12, 5))?;
    assert_eq!(index_names(&mut conn)?, before);
    // Foreign keys are enforced again: a ticket for a customer that does not exist is refused.
    let orphan = diesel::sql_query(
        "INSERT INTO tickets (customer_id, category, priority, status, channel, subject, version, created_at, updated_at)
         VALUES (999999, 'other', 'low', 'new', 'agent', 'x', 1, '2026-11-18 09:00:00', '2026-11-18 09:00:00')",
    )
    .execute(&mut conn);
    assert!(orphan.is_err());
    Ok(())
}
