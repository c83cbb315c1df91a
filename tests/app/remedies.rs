//! Remedies on the demo world: each moves money exactly once, and each
//! refusal says why and moves nothing.

use crate::helpers::{TestDb, TestResult, race, race_writes};
use chrono::NaiveDate;
use diesel::prelude::*;
use redress::audit::verify_chain;
use redress::db::models::{Customer, LedgerAccount, Transaction};
use redress::db::schema::{customers, ledger_accounts, transactions};
use redress::db::{Database, DbConnection};
use redress::demo::{self, GenerateOptions};
use redress::domain::*;
use redress::ledger::LedgerError;
use redress::ledger::remedies::*;
use redress::ledger::transfers::{Links, NewTransfer, post_transfer};
use redress::ledger::verify::verify_ledger;

fn world() -> (TestDb, DbConnection) {
    let db = TestDb::new();
    let mut conn = db.conn();
    let now = NaiveDate::from_ymd_opt(2026, 11, 18)
        .and_then(|d| d.and_hms_opt(9, 30, 0))
        .expect("a time");
    demo::generate(
        &mut conn,
        &GenerateOptions {
            tickets: 80,
            customers: 20,
            seed: 42,
            now,
        },
    )
    .expect("the demo world");
    (db, conn)
}

fn ctx(key: &str) -> RemedyContext {
    RemedyContext {
        idempotency_key: key.to_owned(),
        actor: AuditActor::Agent,
        agent: Some(AgentId(2)),
        ticket: None,
        remedy: None,
        reason: "Customer showed the bank statement".to_owned(),
    }
}

fn find(conn: &mut DbConnection, kind: TransactionKind, status: TransactionStatus) -> Transaction {
    transactions::table
        .filter(transactions::kind.eq(kind))
        .filter(transactions::status.eq(status))
        .order(transactions::id)
        .select(Transaction::as_select())
        .first(conn)
        .expect("the demo world has one")
}

/// Payments that were charged (a posted payment transfer) and then cancelled.
fn charged_cancelled_payment(conn: &mut DbConnection) -> Transaction {
    use redress::db::schema::ledger_transfers;
    transactions::table
        .inner_join(
            ledger_transfers::table
                .on(ledger_transfers::transaction_id.eq(transactions::id.nullable())),
        )
        .filter(transactions::status.eq(TransactionStatus::Cancelled))
        .filter(ledger_transfers::kind.eq(TransferKind::Payment))
        .order(transactions::id)
        .select(Transaction::as_select())
        .first(conn)
        .expect("a cancelled but charged payment")
}

fn reload(conn: &mut DbConnection, id: TransactionId) -> Transaction {
    transactions::table
        .find(id)
        .select(Transaction::as_select())
        .first(conn)
        .expect("the transaction")
}

fn wallet(conn: &mut DbConnection, customer: CustomerId, currency: Currency) -> LedgerAccount {
    ledger_accounts::table
        .filter(ledger_accounts::customer_id.eq(customer))
        .filter(ledger_accounts::currency.eq(currency))
        .select(LedgerAccount::as_select())
        .first(conn)
        .expect("the wallet")
}

/// Everything a remedy could change.
fn snapshot(conn: &mut DbConnection) -> String {
    format!(
        "{:?}{:?}{:?}",
        ledger_accounts::table
            .order(ledger_accounts::id)
            .select(LedgerAccount::as_select())
            .load(conn)
            .expect("accounts"),
        transactions::table
            .order(transactions::id)
            .select(Transaction::as_select())
            .load(conn)
            .expect("transactions"),
        customers::table
            .order(customers::id)
            .select(Customer::as_select())
            .load(conn)
            .expect("customers"),
    )
}

/// The remedy runs before the snapshot is taken again, so it may borrow the
/// same connection.
macro_rules! assert_refused {
    (&mut $conn:ident, $result:expr, $before:expr, $message:expr $(,)?) => {{
        let result = $result;
        check_refused(&mut $conn, result, $before, $message)
    }};
}

fn check_refused(
    conn: &mut DbConnection,
    result: Result<RemedyOutcome, RemedyError>,
    before: &str,
    message: &str,
) {
    assert_eq!(
        result.err().map(|e| e.to_string()).as_deref(),
        Some(message)
    );
    assert_eq!(snapshot(conn), before, "a refused remedy changed something");
}

fn assert_sound(conn: &mut DbConnection) {
    let report = verify_ledger(conn).expect("verify runs");
    assert!(report.is_ok(), "{:?}", report.violations);
    assert_eq!(
        verify_chain(conn).expect("the chain reads").first_break,
        None
    );
}

#[test]
fn a_full_refund_pays_back_once() -> TestResult {
    let (_db, mut conn) = world();
    let payment = charged_cancelled_payment(&mut conn);
    let before = wallet(&mut conn, payment.customer_id, Currency::Cny);

    let outcome = refund(&mut conn, &ctx("refund-1"), payment.id, None)?;
    assert!(!outcome.replayed);
    let after = wallet(&mut conn, payment.customer_id, Currency::Cny);
    assert_eq!(
        after.credits_posted - before.credits_posted,
        payment.amount_minor
    );
    assert_eq!(
        reload(&mut conn, payment.id).status,
        TransactionStatus::Refunded
    );
    let refund_ref = outcome.transaction.clone().ok_or("no refund transaction")?;
    let refund_tx: Transaction = transactions::table
        .filter(transactions::reference.eq(&refund_ref))
        .select(Transaction::as_select())
        .first(&mut conn)?;
    assert_eq!(
        (refund_tx.kind, refund_tx.original_transaction_id),
        (TransactionKind::Refund, Some(payment.id))
    );

    let snapshot_after = snapshot(&mut conn);
    let again = refund(&mut conn, &ctx("refund-1"), payment.id, None)?;
    assert!(again.replayed);
    assert_eq!(again.transfers, outcome.transfers);
    assert_eq!(snapshot(&mut conn), snapshot_after);

    let paid = Money::from_minor(payment.amount_minor, Currency::Cny);
    assert_refused!(
        &mut conn,
        refund(&mut conn, &ctx("refund-2"), payment.id, None),
        &snapshot_after,
        &format!(
            "{} is already fully refunded ({paid} of {paid})",
            payment.reference
        ),
    );
    assert_refused!(
        &mut conn,
        refund(
            &mut conn,
            &ctx("refund-1"),
            payment.id,
            Some(Money::from_minor(1, Currency::Cny))
        ),
        &snapshot_after,
        "idempotency key refund-1 was already used for a different request",
    );
    assert_sound(&mut conn);
    Ok(())
}

#[test]
fn partial_refunds_never_exceed_what_was_paid() -> TestResult {
    let (_db, mut conn) = world();
    let payment = charged_cancelled_payment(&mut conn);
    let part = payment.amount_minor / 4;
    refund(
        &mut conn,
        &ctx("part-1"),
        payment.id,
        Some(Money::from_minor(part, Currency::Cny)),
    )?;
    assert_eq!(
        reload(&mut conn, payment.id).status,
        TransactionStatus::PartiallyRefunded
    );

    let left = payment.amount_minor - part;
    let before = snapshot(&mut conn);
    let cny = |minor| Money::from_minor(minor, Currency::Cny);
    assert_refused!(
        &mut conn,
        refund(&mut conn, &ctx("part-2"), payment.id, Some(cny(left + 1))),
        &before,
        &format!(
            "{}: at most {} can still be refunded ({} of {} already), not {}",
            payment.reference,
            cny(left),
            cny(part),
            cny(payment.amount_minor),
            cny(left + 1)
        ),
    );
    assert_refused!(
        &mut conn,
        refund(
            &mut conn,
            &ctx("part-3"),
            payment.id,
            Some(Money::from_minor(1, Currency::Usdt))
        ),
        &before,
        "the refund must be in CNY, not USDT",
    );
    refund(&mut conn, &ctx("part-4"), payment.id, Some(cny(left)))?;
    assert_eq!(
        reload(&mut conn, payment.id).status,
        TransactionStatus::Refunded
    );
    assert_sound(&mut conn);
    Ok(())
}

#[test]
fn refunds_that_cannot_run_say_why() -> TestResult {
    let (_db, mut conn) = world();
    let before = snapshot(&mut conn);
    let top_up = find(
        &mut conn,
        TransactionKind::TopUp,
        TransactionStatus::Completed,
    );
    assert_refused!(
        &mut conn,
        refund(&mut conn, &ctx("r1"), top_up.id, None),
        &before,
        &format!(
            "{} is a top_up; this remedy applies to a payment",
            top_up.reference
        ),
    );
    let declined = find(
        &mut conn,
        TransactionKind::Payment,
        TransactionStatus::Declined,
    );
    assert_refused!(
        &mut conn,
        refund(&mut conn, &ctx("r2"), declined.id, None),
        &before,
        &format!(
            "{} is declined; this remedy needs it completed, cancelled or partly refunded",
            declined.reference
        ),
    );
    // The cancellations that froze an account were never charged.
    let frozen: Customer = customers::table
        .filter(customers::status_reason.eq(StatusReason::ManyCancellations))
        .select(Customer::as_select())
        .first(&mut conn)?;
    let uncharged: Transaction = transactions::table
        .filter(transactions::customer_id.eq(frozen.id))
        .filter(transactions::status.eq(TransactionStatus::Cancelled))
        .select(Transaction::as_select())
        .first(&mut conn)?;
    assert_refused!(
        &mut conn,
        refund(&mut conn, &ctx("r3"), uncharged.id, None),
        &before,
        &format!(
            "nothing was charged for {}, so there is nothing to refund",
            uncharged.reference
        ),
    );
    assert_refused!(
        &mut conn,
        refund(&mut conn, &ctx("r4"), TransactionId(999_999), None),
        &before,
        "transaction 999999 does not exist"
    );
    let mut no_reason = ctx("r5");
    no_reason.reason = "  ".into();
    let payment = charged_cancelled_payment(&mut conn);
    assert_refused!(
        &mut conn,
        refund(&mut conn, &no_reason, payment.id, None),
        &before,
        "the reason must not be empty"
    );
    Ok(())
}

#[test]
fn escrow_is_released_to_the_buyer_or_returned_to_the_seller() -> TestResult {
    let (_db, mut conn) = world();
    let trade = find(
        &mut conn,
        TransactionKind::P2pTrade,
        TransactionStatus::AwaitingRelease,
    );
    let buyer = trade.customer_id;
    let buyer_before = wallet(&mut conn, buyer, Currency::Usdt);
    let outcome = release_escrow(&mut conn, &ctx("release-1"), trade.id)?;
    assert_eq!(outcome.transfers.len(), 2);
    let buyer_after = wallet(&mut conn, buyer, Currency::Usdt);
    assert_eq!(
        buyer_after.credits_posted - buyer_before.credits_posted,
        trade.amount_minor
    );
    assert_eq!(
        reload(&mut conn, trade.id).status,
        TransactionStatus::Released
    );
    let before = snapshot(&mut conn);
    let message = format!(
        "{} is released; this remedy needs it awaiting release",
        trade.reference
    );
    assert_refused!(
        &mut conn,
        release_escrow(&mut conn, &ctx("release-2"), trade.id),
        &before,
        &message
    );
    let message = format!(
        "{} is released; this remedy needs it pending or awaiting release",
        trade.reference
    );
    assert_refused!(
        &mut conn,
        return_escrow(&mut conn, &ctx("return-0"), trade.id),
        &before,
        &message
    );

    // The buyer never paid: the coins go back to the seller.
    let unpaid = find(
        &mut conn,
        TransactionKind::P2pTrade,
        TransactionStatus::Pending,
    );
    let seller_before = wallet(&mut conn, unpaid.customer_id, Currency::Usdt);
    return_escrow(&mut conn, &ctx("return-1"), unpaid.id)?;
    let seller_after = wallet(&mut conn, unpaid.customer_id, Currency::Usdt);
    assert_eq!(
        seller_before.debits_pending - seller_after.debits_pending,
        unpaid.amount_minor
    );
    assert_eq!(seller_after.debits_posted, seller_before.debits_posted);
    assert_eq!(
        reload(&mut conn, unpaid.id).status,
        TransactionStatus::Cancelled
    );
    assert_sound(&mut conn);
    Ok(())
}

#[test]
fn a_stuck_withdrawal_is_reversed_and_a_charged_top_up_credited_once() -> TestResult {
    let (_db, mut conn) = world();
    let withdrawal = find(
        &mut conn,
        TransactionKind::Withdrawal,
        TransactionStatus::Pending,
    );
    let before = wallet(&mut conn, withdrawal.customer_id, Currency::Cny);
    reverse_withdrawal(&mut conn, &ctx("reverse-1"), withdrawal.id)?;
    let after = wallet(&mut conn, withdrawal.customer_id, Currency::Cny);
    assert_eq!(
        before.debits_pending - after.debits_pending,
        withdrawal.amount_minor
    );
    assert_eq!(
        reload(&mut conn, withdrawal.id).status,
        TransactionStatus::Reversed
    );
    let snap = snapshot(&mut conn);
    let message = format!(
        "{} is reversed; this remedy needs it pending",
        withdrawal.reference
    );
    assert_refused!(
        &mut conn,
        reverse_withdrawal(&mut conn, &ctx("reverse-2"), withdrawal.id),
        &snap,
        &message
    );

    let top_up = find(&mut conn, TransactionKind::TopUp, TransactionStatus::Failed);
    let before = wallet(&mut conn, top_up.customer_id, Currency::Cny);
    credit_failed_top_up(&mut conn, &ctx("credit-1"), top_up.id)?;
    let after = wallet(&mut conn, top_up.customer_id, Currency::Cny);
    assert_eq!(
        after.credits_posted - before.credits_posted,
        top_up.amount_minor
    );
    let snap = snapshot(&mut conn);
    let message = format!("{} was already credited to the wallet", top_up.reference);
    assert_refused!(
        &mut conn,
        credit_failed_top_up(&mut conn, &ctx("credit-2"), top_up.id),
        &snap,
        &message
    );
    assert_sound(&mut conn);
    Ok(())
}

#[test]
fn a_frozen_wallet_receives_but_cannot_send_until_unfrozen() -> TestResult {
    let (_db, mut conn) = world();
    let payment = charged_cancelled_payment(&mut conn);
    let customer = payment.customer_id;
    let outcome = change_customer_status(
        &mut conn,
        &ctx("freeze-1"),
        customer,
        StatusChange::Freeze(StatusReason::RiskRule),
    )?;
    assert_eq!(outcome.customer_status, Some(CustomerStatus::Frozen));
    let snap = snapshot(&mut conn);
    assert_refused!(
        &mut conn,
        change_customer_status(
            &mut conn,
            &ctx("freeze-2"),
            customer,
            StatusChange::Freeze(StatusReason::UserRequest)
        ),
        &snap,
        "the account is frozen; this remedy needs it active",
    );
    assert_refused!(
        &mut conn,
        change_customer_status(&mut conn, &ctx("unlock-1"), customer, StatusChange::Unlock),
        &snap,
        "the account is frozen; this remedy needs it locked",
    );

    let own = wallet(&mut conn, customer, Currency::Cny);
    let bank = ledger_accounts::table
        .filter(ledger_accounts::code.eq("external_bank:CNY"))
        .select(ledger_accounts::id)
        .first::<LedgerAccountId>(&mut conn)?;
    let send = NewTransfer {
        idempotency_key: "frozen-send".into(),
        debit: own.id,
        credit: bank,
        amount: Money::from_minor(100, Currency::Cny),
        kind: TransferKind::Withdrawal,
        links: Links::default(),
        memo: None,
    };
    let refused = post_transfer(&mut conn, &send);
    assert!(
        matches!(refused, Err(LedgerError::WalletFrozen(ref code)) if code == &own.code),
        "{refused:?}"
    );
    // Receiving still works: the refund lands.
    refund(&mut conn, &ctx("refund-frozen"), payment.id, None)?;

    change_customer_status(
        &mut conn,
        &ctx("unfreeze-1"),
        customer,
        StatusChange::Unfreeze,
    )?;
    assert!(post_transfer(&mut conn, &send).is_ok());
    change_customer_status(&mut conn, &ctx("lock-1"), customer, StatusChange::Lock)?;
    let locked: Customer = customers::table
        .find(customer)
        .select(Customer::as_select())
        .first(&mut conn)?;
    assert_eq!(
        (locked.status, locked.status_reason),
        (CustomerStatus::Locked, Some(StatusReason::FailedLogins))
    );
    change_customer_status(&mut conn, &ctx("unlock-2"), customer, StatusChange::Unlock)?;
    assert_sound(&mut conn);
    Ok(())
}

#[test]
fn concurrent_refunds_and_releases_happen_exactly_as_allowed() -> TestResult {
    concurrent_remedies(Race::PooledConnections)
}

#[test]
fn concurrent_remedies_through_the_writer_happen_exactly_as_allowed() -> TestResult {
    concurrent_remedies(Race::Writer)
}

/// How the racing remedies reach the database.
#[derive(Clone, Copy)]
enum Race {
    /// Each thread on its own connection, in its own transaction.
    PooledConnections,
    /// Each thread through `Database::write_blocking`: group commits on SQLite.
    Writer,
}

impl Race {
    fn run<T: Send + 'static>(
        self,
        database: &Database,
        work: impl Fn(usize, &mut DbConnection) -> Result<T, RemedyError> + Send + Sync + 'static,
    ) -> Vec<Result<T, RemedyError>> {
        match self {
            Race::PooledConnections => race(database, work),
            Race::Writer => race_writes(database, work),
        }
    }
}

fn concurrent_remedies(how: Race) -> TestResult {
    let (db, mut conn) = world();
    let database = Database::open(&db.url, 17)?;
    let payment = charged_cancelled_payment(&mut conn);
    let wallet_before = wallet(&mut conn, payment.customer_id, Currency::Cny).credits_posted;

    // 16 tries of one refund under one key: it happens once.
    let id = payment.id;
    let results = how.run(&database, move |_, conn| {
        refund(
            conn,
            &ctx("same"),
            id,
            Some(Money::from_minor(100, Currency::Cny)),
        )
    });
    let outcomes: Vec<RemedyOutcome> = results.into_iter().collect::<Result<_, _>>()?;
    assert_eq!(outcomes.iter().filter(|o| !o.replayed).count(), 1);

    // 16 different refunds of a tenth of what is left: exactly ten fit.
    let tenth = (payment.amount_minor - 100) / 10;
    let rest = payment.amount_minor - 100 - 10 * tenth;
    if rest > 0 {
        refund(
            &mut conn,
            &ctx("rest"),
            id,
            Some(Money::from_minor(rest, Currency::Cny)),
        )?;
    }
    let results = how.run(&database, move |n, conn| {
        refund(
            conn,
            &ctx(&format!("tenth-{n}")),
            id,
            Some(Money::from_minor(tenth, Currency::Cny)),
        )
    });
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        10,
        "{results:?}"
    );
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| matches!(
                e,
                RemedyError::AlreadyRefunded { .. }
                    | RemedyError::ExceedsRefundable { .. }
                    | RemedyError::WrongStatus { .. }
            ))
    );
    let wallet_after = wallet(&mut conn, payment.customer_id, Currency::Cny).credits_posted;
    assert_eq!(wallet_after - wallet_before, payment.amount_minor);

    // One escrow, sixteen releases under different keys: one.
    let trade = find(
        &mut conn,
        TransactionKind::P2pTrade,
        TransactionStatus::AwaitingRelease,
    );
    let trade_id = trade.id;
    let results = how.run(&database, move |n, conn| {
        release_escrow(conn, &ctx(&format!("rel-{n}")), trade_id)
    });
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert_sound(&mut conn);
    Ok(())
}
