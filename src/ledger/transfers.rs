//! Moving money: posted transfers, holds, and resolving holds. Each call is
//! one database transaction (or a savepoint inside the caller's); balances
//! change only through conditional updates, so two writers can never both
//! spend the same funds, on SQLite or PostgreSQL.

use super::LedgerError;
use crate::db::models::{LedgerAccount, LedgerTransfer};
use crate::db::schema::{ledger_accounts, ledger_transfers};
use crate::db::{DbConnection, write_transaction_retrying_race};
use crate::domain::{
    LedgerAccountId, Money, RemedyId, TicketId, TransactionId, TransferId, TransferKind,
    TransferPhase,
};
use chrono::{SubsecRound, Utc};
use diesel::prelude::*;

/// What a transfer is about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Links {
    pub transaction: Option<TransactionId>,
    pub ticket: Option<TicketId>,
    pub remedy: Option<RemedyId>,
}

/// A request to move `amount` from `debit` to `credit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTransfer {
    pub idempotency_key: String,
    pub debit: LedgerAccountId,
    pub credit: LedgerAccountId,
    pub amount: Money,
    pub kind: TransferKind,
    pub links: Links,
    pub memo: Option<String>,
}

/// The transfer written, or found: `replayed` when the key had been used
/// before with the same request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferOutcome {
    pub transfer: LedgerTransfer,
    pub replayed: bool,
}

/// Posts a transfer at once.
pub fn post_transfer(
    conn: &mut DbConnection,
    request: &NewTransfer,
) -> Result<TransferOutcome, LedgerError> {
    with_one_retry(conn, |conn| book(conn, request, TransferPhase::Posted))
}

/// Reserves funds: a pending transfer that a later `post_pending` or
/// `void_pending` resolves. The debit side's available balance drops now.
pub fn hold(
    conn: &mut DbConnection,
    request: &NewTransfer,
) -> Result<TransferOutcome, LedgerError> {
    with_one_retry(conn, |conn| book(conn, request, TransferPhase::Pending))
}

/// Posts a hold, fully (`amount` None) or partly; what is not posted goes
/// back. A hold is resolved once.
pub fn post_pending(
    conn: &mut DbConnection,
    idempotency_key: &str,
    pending: TransferId,
    amount: Option<Money>,
    links: Links,
) -> Result<TransferOutcome, LedgerError> {
    with_one_retry(conn, |conn| {
        resolve(
            conn,
            idempotency_key,
            pending,
            amount,
            links,
            TransferPhase::PostPending,
        )
    })
}

/// Voids a hold: the funds go back to the debit side.
pub fn void_pending(
    conn: &mut DbConnection,
    idempotency_key: &str,
    pending: TransferId,
    links: Links,
) -> Result<TransferOutcome, LedgerError> {
    with_one_retry(conn, |conn| {
        resolve(
            conn,
            idempotency_key,
            pending,
            None,
            links,
            TransferPhase::VoidPending,
        )
    })
}

/// Two writers with the same key (or resolving the same hold) race to the
/// unique index; the loser runs again and answers from the winner's row.
fn with_one_retry<F>(conn: &mut DbConnection, attempt: F) -> Result<TransferOutcome, LedgerError>
where
    F: Fn(&mut DbConnection) -> Result<TransferOutcome, LedgerError>,
{
    write_transaction_retrying_race(conn, LedgerError::is_unique_violation, attempt)
}

fn find_by_key(conn: &mut DbConnection, key: &str) -> Result<Option<LedgerTransfer>, LedgerError> {
    Ok(ledger_transfers::table
        .filter(ledger_transfers::idempotency_key.eq(key))
        .select(LedgerTransfer::as_select())
        .first(conn)
        .optional()?)
}

fn find_account(
    conn: &mut DbConnection,
    id: LedgerAccountId,
) -> Result<LedgerAccount, LedgerError> {
    ledger_accounts::table
        .find(id)
        .select(LedgerAccount::as_select())
        .first(conn)
        .optional()?
        .ok_or(LedgerError::UnknownAccount(id))
}

/// The stored transfer answers a repeated request only if it is the same request.
fn replay(stored: LedgerTransfer, same_request: bool) -> Result<TransferOutcome, LedgerError> {
    if same_request {
        Ok(TransferOutcome {
            transfer: stored,
            replayed: true,
        })
    } else {
        Err(LedgerError::IdempotencyConflict(stored.idempotency_key))
    }
}

fn book(
    conn: &mut DbConnection,
    request: &NewTransfer,
    phase: TransferPhase,
) -> Result<TransferOutcome, LedgerError> {
    let amount = request.amount.minor();
    if let Some(stored) = find_by_key(conn, &request.idempotency_key)? {
        let same = stored.debit_account_id == request.debit
            && stored.credit_account_id == request.credit
            && stored.amount_minor == amount
            && stored.currency == request.amount.currency()
            && stored.kind == request.kind
            && stored.phase == phase
            && stored.pending_id.is_none()
            && links_of(&stored) == request.links
            && stored.memo == request.memo;
        return replay(stored, same);
    }
    if amount <= 0 {
        return Err(LedgerError::AmountNotPositive);
    }
    if request.debit == request.credit {
        return Err(LedgerError::SameAccount);
    }
    let debit = find_account(conn, request.debit)?;
    let credit = find_account(conn, request.credit)?;
    refuse_frozen_sender(conn, &debit)?;
    for account in [&debit, &credit] {
        if account.currency != request.amount.currency() {
            return Err(LedgerError::CurrencyMismatch {
                account: account.code.clone(),
                account_currency: account.currency,
                amount_currency: request.amount.currency(),
            });
        }
    }

    let pending = phase == TransferPhase::Pending;
    // Accounts are always updated in the order of their ids, so two
    // transfers between the same accounts in opposite directions cannot
    // deadlock on PostgreSQL's row locks.
    if debit.id < credit.id {
        debit_side(conn, &debit, request.amount, pending)?;
        credit_side(conn, &credit, request.amount, pending)?;
    } else {
        credit_side(conn, &credit, request.amount, pending)?;
        debit_side(conn, &debit, request.amount, pending)?;
    }

    let transfer = insert(
        conn,
        NewRow {
            idempotency_key: &request.idempotency_key,
            debit: debit.id,
            credit: credit.id,
            amount: request.amount,
            kind: request.kind,
            phase,
            pending_id: None,
            links: request.links,
            memo: request.memo.as_deref(),
        },
    )?;
    Ok(TransferOutcome {
        transfer,
        replayed: false,
    })
}

/// The highest an account's total may reach before adding `amount`: sums
/// are checked, never wrapped (SQLite would store an overflowing sum as a
/// floating point number).
fn headroom(amount: i64) -> i64 {
    i64::MAX - amount
}

/// Adds `amount` to the debit side: posted, or held when `pending`. An
/// overdraft-protected account keeps posted credits at or above posted
/// debits plus holds, counting this transfer.
fn debit_side(
    conn: &mut DbConnection,
    account: &LedgerAccount,
    amount: Money,
    pending: bool,
) -> Result<(), LedgerError> {
    use ledger_accounts::dsl as a;
    let minor = amount.minor();
    let row = a::ledger_accounts.filter(a::id.eq(account.id));
    // Written as a difference of non-negative totals, so it cannot overflow;
    // unprotected accounts skip it.
    let funded = (a::credits_posted - a::debits_posted - a::debits_pending).ge(minor);
    let changed = match (pending, account.forbid_overdraft) {
        (true, true) => diesel::update(
            row.filter(funded)
                .filter(a::debits_pending.le(headroom(minor))),
        )
        .set(a::debits_pending.eq(a::debits_pending + minor))
        .execute(conn)?,
        (true, false) => diesel::update(row.filter(a::debits_pending.le(headroom(minor))))
            .set(a::debits_pending.eq(a::debits_pending + minor))
            .execute(conn)?,
        (false, true) => diesel::update(
            row.filter(funded)
                .filter(a::debits_posted.le(headroom(minor))),
        )
        .set(a::debits_posted.eq(a::debits_posted + minor))
        .execute(conn)?,
        (false, false) => diesel::update(row.filter(a::debits_posted.le(headroom(minor))))
            .set(a::debits_posted.eq(a::debits_posted + minor))
            .execute(conn)?,
    };
    if changed == 1 {
        return Ok(());
    }
    let now = find_account(conn, account.id)?;
    let total = if pending {
        now.debits_pending
    } else {
        now.debits_posted
    };
    if total > headroom(minor) {
        return Err(LedgerError::TotalOverflow(now.code));
    }
    Err(LedgerError::InsufficientFunds {
        account: now.code,
        available: Money::from_minor(
            now.credits_posted - now.debits_posted - now.debits_pending,
            now.currency,
        ),
        needed: amount,
    })
}

/// Adds `amount` to the credit side: posted, or pending when `pending`.
fn credit_side(
    conn: &mut DbConnection,
    account: &LedgerAccount,
    amount: Money,
    pending: bool,
) -> Result<(), LedgerError> {
    use ledger_accounts::dsl as a;
    let minor = amount.minor();
    let row = a::ledger_accounts.filter(a::id.eq(account.id));
    let changed = if pending {
        diesel::update(row.filter(a::credits_pending.le(headroom(minor))))
            .set(a::credits_pending.eq(a::credits_pending + minor))
            .execute(conn)?
    } else {
        diesel::update(row.filter(a::credits_posted.le(headroom(minor))))
            .set(a::credits_posted.eq(a::credits_posted + minor))
            .execute(conn)?
    };
    if changed == 1 {
        Ok(())
    } else {
        Err(LedgerError::TotalOverflow(account.code.clone()))
    }
}

fn resolve(
    conn: &mut DbConnection,
    key: &str,
    pending_id: TransferId,
    amount: Option<Money>,
    links: Links,
    phase: TransferPhase,
) -> Result<TransferOutcome, LedgerError> {
    if let Some(stored) = find_by_key(conn, key)? {
        let same = stored.pending_id == Some(pending_id)
            && stored.phase == phase
            && amount.is_none_or(|a| {
                a.minor() == stored.amount_minor && a.currency() == stored.currency
            })
            && links_of(&stored) == links;
        return replay(stored, same);
    }
    let held: LedgerTransfer = ledger_transfers::table
        .find(pending_id)
        .select(LedgerTransfer::as_select())
        .first(conn)
        .optional()?
        .ok_or(LedgerError::PendingNotFound(pending_id))?;
    if held.phase != TransferPhase::Pending {
        return Err(LedgerError::NotPending(pending_id));
    }
    let resolved: Option<TransferId> = ledger_transfers::table
        .filter(ledger_transfers::pending_id.eq(pending_id))
        .select(ledger_transfers::id)
        .first(conn)
        .optional()?;
    if let Some(by) = resolved {
        return Err(LedgerError::PendingAlreadyResolved {
            pending: pending_id,
            by,
        });
    }
    let posted = match (phase, amount) {
        (TransferPhase::VoidPending, _) => 0,
        (_, None) => held.amount_minor,
        (_, Some(amount)) if amount.currency() != held.currency => {
            return Err(LedgerError::CurrencyMismatch {
                account: format!("hold {pending_id}"),
                account_currency: held.currency,
                amount_currency: amount.currency(),
            });
        }
        (_, Some(amount)) if amount.minor() <= 0 => return Err(LedgerError::AmountNotPositive),
        (_, Some(amount)) if amount.minor() > held.amount_minor => {
            return Err(LedgerError::PostExceedsHold {
                held: Money::from_minor(held.amount_minor, held.currency),
                asked: amount,
            });
        }
        (_, Some(amount)) => amount.minor(),
    };

    // The row goes in first: the unique pending_id lets only one resolution
    // of a hold commit, whatever the key.
    let transfer = insert(
        conn,
        NewRow {
            idempotency_key: key,
            debit: held.debit_account_id,
            credit: held.credit_account_id,
            amount: Money::from_minor(posted, held.currency),
            kind: held.kind,
            phase,
            pending_id: Some(pending_id),
            links,
            memo: None,
        },
    )?;
    let released = held.amount_minor;
    let (first, second) = if held.debit_account_id < held.credit_account_id {
        (Side::Debit, Side::Credit)
    } else {
        (Side::Credit, Side::Debit)
    };
    for side in [first, second] {
        settle_hold_side(conn, &held, side, released, posted)?;
    }
    Ok(TransferOutcome {
        transfer,
        replayed: false,
    })
}

#[derive(Clone, Copy)]
enum Side {
    Debit,
    Credit,
}

/// Takes a resolved hold off one side's pending total and adds what was
/// posted of it to the side's posted total.
fn settle_hold_side(
    conn: &mut DbConnection,
    held: &LedgerTransfer,
    side: Side,
    released: i64,
    posted: i64,
) -> Result<(), LedgerError> {
    use ledger_accounts::dsl as a;
    let changed = match side {
        Side::Debit => diesel::update(
            a::ledger_accounts
                .filter(a::id.eq(held.debit_account_id))
                .filter(a::debits_pending.ge(released))
                .filter(a::debits_posted.le(headroom(posted))),
        )
        .set((
            a::debits_pending.eq(a::debits_pending - released),
            a::debits_posted.eq(a::debits_posted + posted),
        ))
        .execute(conn)?,
        Side::Credit => diesel::update(
            a::ledger_accounts
                .filter(a::id.eq(held.credit_account_id))
                .filter(a::credits_pending.ge(released))
                .filter(a::credits_posted.le(headroom(posted))),
        )
        .set((
            a::credits_pending.eq(a::credits_pending - released),
            a::credits_posted.eq(a::credits_posted + posted),
        ))
        .execute(conn)?,
    };
    if changed == 1 {
        return Ok(());
    }
    let account = match side {
        Side::Debit => held.debit_account_id,
        Side::Credit => held.credit_account_id,
    };
    let now = find_account(conn, account)?;
    let (pending, total) = match side {
        Side::Debit => (now.debits_pending, now.debits_posted),
        Side::Credit => (now.credits_pending, now.credits_posted),
    };
    if pending >= released && total > headroom(posted) {
        return Err(LedgerError::TotalOverflow(now.code));
    }
    Err(LedgerError::Inconsistent(format!(
        "hold {} is not reflected in {}'s pending totals",
        held.id, now.code
    )))
}

/// A frozen wallet can receive but cannot send.
fn refuse_frozen_sender(conn: &mut DbConnection, debit: &LedgerAccount) -> Result<(), LedgerError> {
    use crate::db::schema::customers;
    use crate::domain::CustomerStatus;
    let Some(customer) = debit.customer_id else {
        return Ok(());
    };
    let status: CustomerStatus = customers::table
        .find(customer)
        .select(customers::status)
        .first(conn)?;
    if status == CustomerStatus::Frozen {
        return Err(LedgerError::WalletFrozen(debit.code.clone()));
    }
    Ok(())
}

fn links_of(transfer: &LedgerTransfer) -> Links {
    Links {
        transaction: transfer.transaction_id,
        ticket: transfer.ticket_id,
        remedy: transfer.remedy_id,
    }
}

struct NewRow<'a> {
    idempotency_key: &'a str,
    debit: LedgerAccountId,
    credit: LedgerAccountId,
    amount: Money,
    kind: TransferKind,
    phase: TransferPhase,
    pending_id: Option<TransferId>,
    links: Links,
    memo: Option<&'a str>,
}

#[derive(Insertable)]
#[diesel(table_name = ledger_transfers, treat_none_as_default_value = false)]
struct TransferInsert<'a> {
    idempotency_key: &'a str,
    debit_account_id: LedgerAccountId,
    credit_account_id: LedgerAccountId,
    amount_minor: i64,
    currency: crate::domain::Currency,
    kind: TransferKind,
    phase: TransferPhase,
    pending_id: Option<TransferId>,
    transaction_id: Option<TransactionId>,
    ticket_id: Option<TicketId>,
    remedy_id: Option<RemedyId>,
    memo: Option<&'a str>,
    created_at: chrono::NaiveDateTime,
}

fn insert(conn: &mut DbConnection, row: NewRow<'_>) -> Result<LedgerTransfer, LedgerError> {
    let insert = TransferInsert {
        idempotency_key: row.idempotency_key,
        debit_account_id: row.debit,
        credit_account_id: row.credit,
        amount_minor: row.amount.minor(),
        currency: row.amount.currency(),
        kind: row.kind,
        phase: row.phase,
        pending_id: row.pending_id,
        transaction_id: row.links.transaction,
        ticket_id: row.links.ticket,
        remedy_id: row.links.remedy,
        memo: row.memo,
        // Both databases keep microseconds: the row returned is the row stored.
        created_at: Utc::now().naive_utc().trunc_subsecs(6),
    };
    let id: TransferId = diesel::insert_into(ledger_transfers::table)
        .values(&insert)
        .returning(ledger_transfers::id)
        .get_result(conn)?;
    Ok(LedgerTransfer {
        id,
        idempotency_key: insert.idempotency_key.to_owned(),
        debit_account_id: insert.debit_account_id,
        credit_account_id: insert.credit_account_id,
        amount_minor: insert.amount_minor,
        currency: insert.currency,
        kind: insert.kind,
        phase: insert.phase,
        pending_id: insert.pending_id,
        transaction_id: insert.transaction_id,
        ticket_id: insert.ticket_id,
        remedy_id: insert.remedy_id,
        memo: insert.memo.map(str::to_owned),
        created_at: insert.created_at,
    })
}
