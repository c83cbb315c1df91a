//! `redress bench ledger`: refunds per second through the real remedy
//! service, several threads on one pool, then the time `verify` takes.

use super::accounts::open_account;
use super::remedies::{RemedyContext, refund};
use super::transfers::{Links, NewTransfer, post_transfer};
use super::verify::verify_ledger;
use crate::db::schema::{customers, transactions};
use crate::db::{Database, DbConnection, write_transaction};
use crate::domain::*;
use chrono::Utc;
use diesel::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct BenchReport {
    pub refunds: usize,
    pub threads: usize,
    pub elapsed: Duration,
    pub verify_elapsed: Duration,
    pub transfers: i64,
    pub ledger_ok: bool,
}

impl BenchReport {
    pub fn refunds_per_second(&self) -> f64 {
        self.refunds as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }
}

/// Creates `refunds` charged payments (one customer each), then refunds
/// them all from `threads` threads, each write going through the
/// database's writer as the desk's would. `progress` hears when refunding starts.
pub fn run(
    database: &Database,
    refunds: usize,
    threads: usize,
    progress: impl Fn(&str),
) -> anyhow::Result<BenchReport> {
    let run_id = format!("{:08x}", rand::random::<u32>());
    let payments = {
        let mut conn = database.conn()?;
        prepare_payments(&mut conn, &run_id, refunds)?
    };
    progress(&format!(
        "refunding {} payments on {threads} threads",
        payments.len()
    ));

    let payments = Arc::new(payments);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (payments, next, database, run_id) = (
                payments.clone(),
                next.clone(),
                database.clone(),
                run_id.clone(),
            );
            std::thread::spawn(move || -> anyhow::Result<()> {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let Some(payment) = payments.get(n) else {
                        return Ok(());
                    };
                    let ctx = RemedyContext {
                        idempotency_key: format!("bench-{run_id}-refund-{n}"),
                        actor: AuditActor::System,
                        agent: None,
                        ticket: None,
                        remedy: None,
                        reason: "benchmark".to_owned(),
                    };
                    let payment = *payment;
                    database.write_blocking(move |conn| refund(conn, &ctx, payment, None))?;
                }
            })
        })
        .collect();
    for worker in workers {
        worker
            .join()
            .map_err(|_| anyhow::anyhow!("a benchmark thread panicked"))??;
    }
    let elapsed = started.elapsed();

    let mut conn = database.conn()?;
    let report = verify_ledger(&mut conn)?;
    Ok(BenchReport {
        refunds: payments.len(),
        threads,
        elapsed,
        verify_elapsed: report.elapsed,
        transfers: report.transfers,
        ledger_ok: report.is_ok(),
    })
}

/// One funded customer per payment, charged through the ledger.
fn prepare_payments(
    conn: &mut DbConnection,
    run_id: &str,
    count: usize,
) -> anyhow::Result<Vec<TransactionId>> {
    let merchant = open_account(conn, AccountKind::MerchantSettlement, None, Currency::Cny)?;
    let bank = open_account(conn, AccountKind::ExternalBank, None, Currency::Cny)?;
    let mut payments = Vec::with_capacity(count);
    for chunk in (0..count).collect::<Vec<_>>().chunks(500) {
        let ids = write_transaction(conn, |conn| -> anyhow::Result<Vec<TransactionId>> {
            let mut ids = Vec::new();
            for n in chunk {
                let now = Utc::now().naive_utc();
                let customer: CustomerId = diesel::insert_into(customers::table)
                    .values((
                        customers::external_ref.eq(format!("BENCH-{run_id}-{n}")),
                        customers::email.eq(format!("bench-{run_id}-{n}@example.com")),
                        customers::name.eq(format!("Bench {n}")),
                        customers::locale.eq(Locale::En),
                        customers::status.eq(CustomerStatus::Active),
                        customers::identity_verified.eq(true),
                        customers::created_at.eq(now),
                        customers::updated_at.eq(now),
                    ))
                    .returning(customers::id)
                    .get_result(conn)?;
                let wallet = open_account(
                    conn,
                    AccountKind::CustomerWallet,
                    Some(customer),
                    Currency::Cny,
                )?;
                let amount = Money::from_minor(10_000, Currency::Cny);
                post_transfer(
                    conn,
                    &transfer(
                        format!("bench-{run_id}-fund-{n}"),
                        bank.id,
                        wallet.id,
                        amount,
                        TransferKind::TopUp,
                        None,
                    ),
                )?;
                let payment: TransactionId = diesel::insert_into(transactions::table)
                    .values((
                        transactions::reference.eq(format!("TXB{run_id}{n:08}")),
                        transactions::customer_id.eq(customer),
                        transactions::kind.eq(TransactionKind::Payment),
                        transactions::status.eq(TransactionStatus::Cancelled),
                        transactions::method.eq(PaymentMethod::WalletBalance),
                        transactions::amount_minor.eq(4_200),
                        transactions::currency.eq(Currency::Cny),
                        transactions::created_at.eq(now),
                        transactions::updated_at.eq(now),
                    ))
                    .returning(transactions::id)
                    .get_result(conn)?;
                let charge = Money::from_minor(4_200, Currency::Cny);
                post_transfer(
                    conn,
                    &transfer(
                        format!("bench-{run_id}-pay-{n}"),
                        wallet.id,
                        merchant.id,
                        charge,
                        TransferKind::Payment,
                        Some(payment),
                    ),
                )?;
                ids.push(payment);
            }
            Ok(ids)
        })?;
        payments.extend(ids);
    }
    Ok(payments)
}

fn transfer(
    key: String,
    debit: LedgerAccountId,
    credit: LedgerAccountId,
    amount: Money,
    kind: TransferKind,
    transaction: Option<TransactionId>,
) -> NewTransfer {
    NewTransfer {
        idempotency_key: key,
        debit,
        credit,
        amount,
        kind,
        links: Links {
            transaction,
            ..Links::default()
        },
        memo: None,
    }
}
