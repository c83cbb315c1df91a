//! Remedies: what an agent can do to a customer's money or account. Each runs
//! in one database transaction with its ledger transfers, the status changes
//! it implies, an idempotency record and an audit row; each refuses with a
//! typed error, moving nothing, when it cannot run.

use super::accounts::open_account;
use super::transfers::{
    Links, NewTransfer, TransferOutcome, post_pending, post_transfer, void_pending,
};
use super::{LedgerError, external_account};
use crate::audit::{self, AuditEntry};
use crate::db::models::{Customer, LedgerTransfer, REFUND_COUNTING_STATUSES, Transaction};
use crate::db::schema::{customers, idempotency_records, ledger_transfers, transactions};
use crate::db::{DbConnection, DbError, write_transaction_retrying_race};
use crate::domain::*;
use chrono::{SubsecRound, Utc};
use diesel::prelude::*;
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Who asks, why, for which ticket, and the key that makes it happen once.
#[derive(Debug, Clone)]
pub struct RemedyContext {
    pub idempotency_key: String,
    pub actor: AuditActor,
    pub agent: Option<AgentId>,
    pub ticket: Option<TicketId>,
    pub remedy: Option<RemedyId>,
    pub reason: String,
}

/// What a remedy did. Stored with its key, so a repeat answers the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemedyOutcome {
    pub action: String,
    /// The transaction the remedy created (a refund, a credit) or changed.
    pub transaction: Option<String>,
    pub transfers: Vec<TransferId>,
    pub customer_status: Option<CustomerStatus>,
    #[serde(skip)]
    pub replayed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum RemedyError {
    #[error("transaction {0} does not exist")]
    UnknownTransaction(TransactionId),
    #[error("customer {0} does not exist")]
    UnknownCustomer(CustomerId),
    #[error("{reference} is a {kind}; this remedy applies to a {expected}")]
    WrongKind {
        reference: String,
        kind: TransactionKind,
        expected: TransactionKind,
    },
    #[error("{reference} is {status}; this remedy needs it {expected}")]
    WrongStatus {
        reference: String,
        status: TransactionStatus,
        expected: &'static str,
    },
    #[error("nothing was charged for {0}, so there is nothing to refund")]
    NothingCharged(String),
    #[error("{reference} is already fully refunded ({refunded} of {paid})")]
    AlreadyRefunded {
        reference: String,
        paid: Money,
        refunded: Money,
    },
    #[error(
        "{reference}: at most {refundable} can still be refunded ({refunded} of {paid} already), not {asked}"
    )]
    ExceedsRefundable {
        reference: String,
        paid: Money,
        refunded: Money,
        refundable: Money,
        asked: Money,
    },
    #[error("the refund must be in {expected}, not {asked}")]
    WrongCurrency { expected: Currency, asked: Currency },
    #[error("{0} holds no funds to release or return")]
    NoHold(String),
    #[error("{0} was already credited to the wallet")]
    AlreadyCredited(String),
    #[error("the account is {status}; this remedy needs it {expected}")]
    WrongCustomerStatus {
        status: CustomerStatus,
        expected: CustomerStatus,
    },
    #[error("{0} changed while this remedy ran; nothing was done, try again")]
    ChangedMeanwhile(String),
    #[error("idempotency key {0} was already used for a different request")]
    IdempotencyConflict(String),
    #[error("the reason must not be empty")]
    NoReason,
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

impl From<DbError> for RemedyError {
    fn from(error: DbError) -> Self {
        RemedyError::Ledger(LedgerError::Db(error))
    }
}

impl crate::db::WriteFailure for RemedyError {
    fn database_error(&self) -> Option<&DbError> {
        match self {
            RemedyError::Ledger(LedgerError::Db(error)) => Some(error),
            _ => None,
        }
    }
}

impl From<diesel::result::Error> for RemedyError {
    fn from(error: diesel::result::Error) -> Self {
        RemedyError::Ledger(error.into())
    }
}

/// The customer-status changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum StatusChange {
    Freeze(StatusReason),
    Unfreeze,
    Lock,
    Unlock,
}

/// Refunds a payment, fully (`amount` None: all that is left) or partly,
/// from the merchant's settlement to the customer's wallet.
pub fn refund(
    conn: &mut DbConnection,
    ctx: &RemedyContext,
    payment: TransactionId,
    amount: Option<Money>,
) -> Result<RemedyOutcome, RemedyError> {
    let request = serde_json::json!({ "transaction": payment, "amount": amount.map(|a| (a.minor(), a.currency())) });
    once(conn, ctx, "refund", request, |conn| {
        let original = lock_transaction(conn, payment)?;
        let refund = refundable(conn, &original, amount)?;
        let refund_tx =
            insert_transaction(conn, &original, TransactionKind::Refund, refund.amount)?;
        let transfer = pay_refund(
            conn,
            &original,
            &refund_tx,
            refund.source,
            format!("{}:refund", ctx.idempotency_key),
            links(ctx, refund_tx.id),
            Some(ctx.reason.clone()),
        )?;
        Ok((
            original.customer_id,
            Some(original.reference.clone()),
            RemedyOutcome {
                action: "refund".into(),
                transaction: Some(refund_tx.reference),
                transfers: vec![transfer.transfer.id],
                customer_status: None,
                replayed: false,
            },
        ))
    })
}

/// A refund that fits what is left of a payment.
pub(crate) struct Refundable {
    pub amount: Money,
    /// Whom the payment paid, who pays the refund back.
    pub source: LedgerAccountId,
}

/// How much of a payment can still be refunded: `amount` when it fits, all
/// that is left when None. The payment must have been charged.
pub(crate) fn refundable(
    conn: &mut DbConnection,
    original: &Transaction,
    amount: Option<Money>,
) -> Result<Refundable, RemedyError> {
    expect_kind(original, TransactionKind::Payment)?;
    if !matches!(
        original.status,
        TransactionStatus::Completed
            | TransactionStatus::Cancelled
            | TransactionStatus::PartiallyRefunded
            | TransactionStatus::Refunded
    ) {
        return Err(wrong_status(
            original,
            "completed, cancelled or partly refunded",
        ));
    }
    let source = refund_source(conn, original)?;
    let paid = Money::from_minor(original.amount_minor, original.currency);
    let refunded = Money::from_minor(refunded_so_far(conn, original.id)?, original.currency);
    let left = paid.minor() - refunded.minor();
    if left <= 0 {
        return Err(RemedyError::AlreadyRefunded {
            reference: original.reference.clone(),
            paid,
            refunded,
        });
    }
    let amount = amount.unwrap_or(Money::from_minor(left, original.currency));
    if amount.currency() != original.currency {
        return Err(RemedyError::WrongCurrency {
            expected: original.currency,
            asked: amount.currency(),
        });
    }
    if amount.minor() <= 0 {
        return Err(LedgerError::AmountNotPositive.into());
    }
    if amount.minor() > left {
        return Err(RemedyError::ExceedsRefundable {
            reference: original.reference.clone(),
            paid,
            refunded,
            refundable: Money::from_minor(left, original.currency),
            asked: amount,
        });
    }
    Ok(Refundable { amount, source })
}

/// The account a payment's charge went to (the merchant's settlement),
/// which pays its refunds back.
pub(crate) fn refund_source(
    conn: &mut DbConnection,
    original: &Transaction,
) -> Result<LedgerAccountId, RemedyError> {
    ledger_transfers::table
        .filter(ledger_transfers::transaction_id.eq(original.id))
        .filter(ledger_transfers::kind.eq(TransferKind::Payment))
        .filter(ledger_transfers::phase.eq(TransferPhase::Posted))
        .select(ledger_transfers::credit_account_id)
        .first(conn)
        .optional()?
        .ok_or_else(|| RemedyError::NothingCharged(original.reference.clone()))
}

/// Pays a stored refund transaction (already counted by `refundable`) from
/// `source` to the wallet; marks the original refunded or partly refunded.
pub(crate) fn pay_refund(
    conn: &mut DbConnection,
    original: &Transaction,
    refund: &Transaction,
    source: LedgerAccountId,
    idempotency_key: String,
    links: Links,
    memo: Option<String>,
) -> Result<TransferOutcome, RemedyError> {
    let wallet = open_account(
        conn,
        AccountKind::CustomerWallet,
        Some(original.customer_id),
        original.currency,
    )?;
    let transfer = post_transfer(
        conn,
        &NewTransfer {
            idempotency_key,
            debit: source,
            credit: wallet.id,
            amount: Money::from_minor(refund.amount_minor, refund.currency),
            kind: TransferKind::Refund,
            links,
            memo,
        },
    )?;
    settle_refund_status(conn, original)?;
    Ok(transfer)
}

/// Releases a P2P trade's escrowed coins to the buyer.
pub fn release_escrow(
    conn: &mut DbConnection,
    ctx: &RemedyContext,
    trade: TransactionId,
) -> Result<RemedyOutcome, RemedyError> {
    once(
        conn,
        ctx,
        "release",
        serde_json::json!({ "transaction": trade }),
        |conn| {
            let trade_row = lock_transaction(conn, trade)?;
            expect_kind(&trade_row, TransactionKind::P2pTrade)?;
            if trade_row.status != TransactionStatus::AwaitingRelease {
                return Err(wrong_status(&trade_row, "awaiting release"));
            }
            let (buyer, transfers) = settle_escrow(
                conn,
                &trade_row,
                &ctx.idempotency_key,
                links(ctx, trade_row.id),
                Some(ctx.reason.clone()),
            )?;
            set_transaction_status(conn, &trade_row, TransactionStatus::Released)?;
            Ok((
                buyer,
                Some(trade_row.reference.clone()),
                RemedyOutcome {
                    action: "release".into(),
                    transaction: Some(trade_row.reference),
                    transfers,
                    customer_status: None,
                    replayed: false,
                },
            ))
        },
    )
}

/// Posts a trade's escrow hold and pays the coins on to the buyer (the
/// side that did not fund the escrow). Answers the buyer and the transfers.
pub(crate) fn settle_escrow(
    conn: &mut DbConnection,
    trade: &Transaction,
    key: &str,
    links: Links,
    memo: Option<String>,
) -> Result<(CustomerId, Vec<TransferId>), RemedyError> {
    let held = open_hold(conn, trade, TransferKind::TradeEscrow)?;
    let seller = account_owner(conn, held.debit_account_id)?;
    let buyer = [Some(trade.customer_id), trade.counterparty_customer_id]
        .into_iter()
        .flatten()
        .find(|customer| Some(*customer) != seller)
        .ok_or_else(|| RemedyError::NoHold(trade.reference.clone()))?;
    let posted = post_pending(conn, &format!("{key}:post"), held.id, None, links)?;
    let buyer_wallet = open_account(
        conn,
        AccountKind::CustomerWallet,
        Some(buyer),
        trade.currency,
    )?;
    let paid = post_transfer(
        conn,
        &NewTransfer {
            idempotency_key: format!("{key}:pay"),
            debit: held.credit_account_id,
            credit: buyer_wallet.id,
            amount: Money::from_minor(held.amount_minor, held.currency),
            kind: TransferKind::TradeRelease,
            links,
            memo,
        },
    )?;
    Ok((buyer, vec![posted.transfer.id, paid.transfer.id]))
}

/// Returns a P2P trade's escrowed coins to the seller (the buyer never paid).
pub fn return_escrow(
    conn: &mut DbConnection,
    ctx: &RemedyContext,
    trade: TransactionId,
) -> Result<RemedyOutcome, RemedyError> {
    void_hold_of(
        conn,
        ctx,
        trade,
        VoidedHold {
            action: "return_to_seller",
            kind: TransactionKind::P2pTrade,
            hold_kind: TransferKind::TradeEscrow,
            allowed: &[
                TransactionStatus::Pending,
                TransactionStatus::AwaitingRelease,
            ],
            allowed_text: "pending or awaiting release",
            after: TransactionStatus::Cancelled,
        },
    )
}

/// Voids a pending withdrawal: the held funds go back to the wallet.
pub fn reverse_withdrawal(
    conn: &mut DbConnection,
    ctx: &RemedyContext,
    withdrawal: TransactionId,
) -> Result<RemedyOutcome, RemedyError> {
    void_hold_of(
        conn,
        ctx,
        withdrawal,
        VoidedHold {
            action: "reverse_withdrawal",
            kind: TransactionKind::Withdrawal,
            hold_kind: TransferKind::Withdrawal,
            allowed: &[TransactionStatus::Pending],
            allowed_text: "pending",
            after: TransactionStatus::Reversed,
        },
    )
}

/// A remedy that voids a transaction's hold, giving the funds back.
struct VoidedHold {
    action: &'static str,
    kind: TransactionKind,
    hold_kind: TransferKind,
    allowed: &'static [TransactionStatus],
    allowed_text: &'static str,
    after: TransactionStatus,
}

fn void_hold_of(
    conn: &mut DbConnection,
    ctx: &RemedyContext,
    transaction: TransactionId,
    remedy: VoidedHold,
) -> Result<RemedyOutcome, RemedyError> {
    let request = serde_json::json!({ "transaction": transaction });
    once(conn, ctx, remedy.action, request, |conn| {
        let row = lock_transaction(conn, transaction)?;
        expect_kind(&row, remedy.kind)?;
        if !remedy.allowed.contains(&row.status) {
            return Err(wrong_status(&row, remedy.allowed_text));
        }
        let held = open_hold(conn, &row, remedy.hold_kind)?;
        let voided = void_pending(
            conn,
            &format!("{}:void", ctx.idempotency_key),
            held.id,
            links(ctx, row.id),
        )?;
        set_transaction_status(conn, &row, remedy.after)?;
        Ok((
            row.customer_id,
            Some(row.reference.clone()),
            RemedyOutcome {
                action: remedy.action.into(),
                transaction: Some(row.reference),
                transfers: vec![voided.transfer.id],
                customer_status: None,
                replayed: false,
            },
        ))
    })
}

/// Credits a top-up that failed after the bank charged, once.
pub fn credit_failed_top_up(
    conn: &mut DbConnection,
    ctx: &RemedyContext,
    top_up: TransactionId,
) -> Result<RemedyOutcome, RemedyError> {
    once(
        conn,
        ctx,
        "credit_top_up",
        serde_json::json!({ "transaction": top_up }),
        |conn| {
            let row = lock_transaction(conn, top_up)?;
            expect_kind(&row, TransactionKind::TopUp)?;
            let credited: i64 = ledger_transfers::table
                .filter(ledger_transfers::transaction_id.eq(row.id))
                .count()
                .get_result(conn)?;
            if credited > 0 {
                return Err(RemedyError::AlreadyCredited(row.reference));
            }
            if row.status != TransactionStatus::Failed {
                return Err(wrong_status(&row, "failed"));
            }
            let source = open_account(conn, external_account(row.method), None, row.currency)?;
            let wallet = open_account(
                conn,
                AccountKind::CustomerWallet,
                Some(row.customer_id),
                row.currency,
            )?;
            let credit = post_transfer(
                conn,
                &NewTransfer {
                    idempotency_key: format!("{}:credit", ctx.idempotency_key),
                    debit: source.id,
                    credit: wallet.id,
                    amount: Money::from_minor(row.amount_minor, row.currency),
                    kind: TransferKind::Credit,
                    links: links(ctx, row.id),
                    memo: Some(ctx.reason.clone()),
                },
            )?;
            set_transaction_status(conn, &row, TransactionStatus::Completed)?;
            Ok((
                row.customer_id,
                Some(row.reference.clone()),
                RemedyOutcome {
                    action: "credit_top_up".into(),
                    transaction: Some(row.reference),
                    transfers: vec![credit.transfer.id],
                    customer_status: None,
                    replayed: false,
                },
            ))
        },
    )
}

/// Freezes, unfreezes, locks or unlocks an account. No money moves.
pub fn change_customer_status(
    conn: &mut DbConnection,
    ctx: &RemedyContext,
    customer: CustomerId,
    change: StatusChange,
) -> Result<RemedyOutcome, RemedyError> {
    let action = match change {
        StatusChange::Freeze(_) => "freeze",
        StatusChange::Unfreeze => "unfreeze",
        StatusChange::Lock => "lock",
        StatusChange::Unlock => "unlock",
    };
    once(
        conn,
        ctx,
        action,
        serde_json::json!({ "customer": customer, "change": change }),
        |conn| {
            let row =
                Customer::find(conn, customer)?.ok_or(RemedyError::UnknownCustomer(customer))?;
            let (from, to, reason) = match change {
                StatusChange::Freeze(reason) => {
                    (CustomerStatus::Active, CustomerStatus::Frozen, Some(reason))
                }
                StatusChange::Unfreeze => (CustomerStatus::Frozen, CustomerStatus::Active, None),
                StatusChange::Lock => (
                    CustomerStatus::Active,
                    CustomerStatus::Locked,
                    Some(StatusReason::FailedLogins),
                ),
                StatusChange::Unlock => (CustomerStatus::Locked, CustomerStatus::Active, None),
            };
            if row.status != from {
                return Err(RemedyError::WrongCustomerStatus {
                    status: row.status,
                    expected: from,
                });
            }
            let now = Utc::now().naive_utc();
            let changed = diesel::update(
                customers::table
                    .filter(customers::id.eq(customer))
                    .filter(customers::status.eq(from)),
            )
            .set((
                customers::status.eq(to),
                customers::status_reason.eq(reason),
                customers::status_changed_at.eq(now),
                customers::updated_at.eq(now),
            ))
            .execute(conn)?;
            if changed != 1 {
                return Err(RemedyError::ChangedMeanwhile(format!(
                    "customer {customer}"
                )));
            }
            Ok((
                customer,
                None,
                RemedyOutcome {
                    action: action.into(),
                    transaction: None,
                    transfers: Vec::new(),
                    customer_status: Some(to),
                    replayed: false,
                },
            ))
        },
    )
}

/// Runs a remedy once per key: the stored outcome answers a repeat, a
/// different request under the same key is refused, and the work, its
/// idempotency record and its audit row commit together.
fn once<F>(
    conn: &mut DbConnection,
    ctx: &RemedyContext,
    action: &str,
    request: serde_json::Value,
    work: F,
) -> Result<RemedyOutcome, RemedyError>
where
    F: Fn(&mut DbConnection) -> Result<(CustomerId, Option<String>, RemedyOutcome), RemedyError>,
{
    if ctx.reason.trim().is_empty() {
        return Err(RemedyError::NoReason);
    }
    let request_hash = hex::encode(Sha256::digest(
        format!("{action}\u{1f}{request}").as_bytes(),
    ));
    // Two requests with one key race to claim it: the loser runs again and
    // replays the winner's outcome.
    write_transaction_retrying_race(
        conn,
        |error: &RemedyError| matches!(error, RemedyError::Ledger(e) if e.is_unique_violation()),
        |conn| {
            let stored: Option<(String, String)> = idempotency_records::table
                .find(&ctx.idempotency_key)
                .select((
                    idempotency_records::request_hash,
                    idempotency_records::result,
                ))
                .first(conn)
                .optional()?;
            if let Some((hash, result)) = stored {
                if hash != request_hash {
                    return Err(RemedyError::IdempotencyConflict(
                        ctx.idempotency_key.clone(),
                    ));
                }
                let mut outcome: RemedyOutcome = serde_json::from_str(&result).map_err(|e| {
                    LedgerError::Inconsistent(format!(
                        "stored result of {}: {e}",
                        ctx.idempotency_key
                    ))
                })?;
                outcome.replayed = true;
                return Ok(outcome);
            }
            // Claim the key first: a concurrent claim of the same key waits on
            // the unique index and fails when this commits, then replays.
            diesel::insert_into(idempotency_records::table)
                .values((
                    idempotency_records::key.eq(&ctx.idempotency_key),
                    idempotency_records::operation.eq(action),
                    idempotency_records::request_hash.eq(&request_hash),
                    idempotency_records::result.eq(""),
                    idempotency_records::created_at.eq(Utc::now().naive_utc()),
                ))
                .execute(conn)?;
            let (customer, entity, outcome) = work(conn)?;
            let result = serde_json::to_string(&outcome).map_err(|e| {
                LedgerError::Inconsistent(format!("result of {}: {e}", ctx.idempotency_key))
            })?;
            diesel::update(idempotency_records::table.find(&ctx.idempotency_key))
                .set(idempotency_records::result.eq(&result))
                .execute(conn)?;
            audit::record(
                conn,
                AuditEntry {
                    actor: ctx.actor,
                    agent: ctx.agent,
                    action: format!("remedy.{action}"),
                    entity_type: if entity.is_some() {
                        "transaction".into()
                    } else {
                        "customer".into()
                    },
                    entity_id: entity.unwrap_or_else(|| customer.to_string()),
                    ticket: ctx.ticket,
                    before: Some(serde_json::json!({ "request": request, "reason": ctx.reason })),
                    after: Some(serde_json::to_value(&outcome).unwrap_or_default()),
                },
            )?;
            Ok(outcome)
        },
    )
}

/// Reads a transaction holding it until commit, so two remedies on one
/// transaction run one after the other and the second sees the first.
pub(crate) fn lock_transaction(
    conn: &mut DbConnection,
    id: TransactionId,
) -> Result<Transaction, RemedyError> {
    Transaction::find_for_update(conn, id)?.ok_or(RemedyError::UnknownTransaction(id))
}

fn expect_kind(row: &Transaction, expected: TransactionKind) -> Result<(), RemedyError> {
    if row.kind == expected {
        Ok(())
    } else {
        Err(RemedyError::WrongKind {
            reference: row.reference.clone(),
            kind: row.kind,
            expected,
        })
    }
}

fn wrong_status(row: &Transaction, expected: &'static str) -> RemedyError {
    RemedyError::WrongStatus {
        reference: row.reference.clone(),
        status: row.status,
        expected,
    }
}

/// What has been refunded of a payment: its refunds that count (see
/// `Transaction::counts_as_refunded`), added with checked arithmetic.
pub(crate) fn refunded_so_far(
    conn: &mut DbConnection,
    original: TransactionId,
) -> Result<i64, RemedyError> {
    let [first, second] = REFUND_COUNTING_STATUSES;
    let amounts: Vec<i64> = transactions::table
        .filter(transactions::original_transaction_id.eq(original))
        .filter(transactions::kind.eq(TransactionKind::Refund))
        // Two comparisons rather than IN: diesel caches this statement then.
        .filter(
            transactions::status
                .eq(first)
                .or(transactions::status.eq(second)),
        )
        .select(transactions::amount_minor)
        .load(conn)?;
    amounts
        .iter()
        .try_fold(0_i64, |total, amount| total.checked_add(*amount))
        .ok_or_else(|| {
            LedgerError::Inconsistent(format!("the refunds of transaction {original} overflow"))
                .into()
        })
}

/// Sets a payment's status to what its refunds that count add up to:
/// refunded, partly refunded, or, when none counts any more (they failed),
/// completed again. The caller holds the payment's row.
fn settle_refund_status(
    conn: &mut DbConnection,
    original: &Transaction,
) -> Result<(), RemedyError> {
    use TransactionStatus as S;
    let refunded = refunded_so_far(conn, original.id)?;
    let status = match original.status {
        _ if refunded >= original.amount_minor => S::Refunded,
        _ if refunded > 0 => S::PartiallyRefunded,
        S::Refunded | S::PartiallyRefunded => S::Completed,
        unrefunded => unrefunded,
    };
    if status != original.status {
        set_transaction_status(conn, original, status)?;
    }
    Ok(())
}

/// After one of its refunds was recorded pending, failed or was cancelled:
/// the payment's status follows what its refunds now add up to.
pub(crate) fn recount_refunds(
    conn: &mut DbConnection,
    original: TransactionId,
) -> Result<(), RemedyError> {
    let original = lock_transaction(conn, original)?;
    settle_refund_status(conn, &original)
}

/// The transaction's hold of `kind` that nothing has resolved yet.
pub(crate) fn open_hold(
    conn: &mut DbConnection,
    row: &Transaction,
    kind: TransferKind,
) -> Result<LedgerTransfer, RemedyError> {
    let holds: Vec<LedgerTransfer> = ledger_transfers::table
        .filter(ledger_transfers::transaction_id.eq(row.id))
        .filter(ledger_transfers::kind.eq(kind))
        .filter(ledger_transfers::phase.eq(TransferPhase::Pending))
        .select(LedgerTransfer::as_select())
        .load(conn)?;
    for hold in holds {
        let resolved: i64 = ledger_transfers::table
            .filter(ledger_transfers::pending_id.eq(hold.id))
            .count()
            .get_result(conn)?;
        if resolved == 0 {
            return Ok(hold);
        }
    }
    Err(RemedyError::NoHold(row.reference.clone()))
}

/// The customer whose wallet an account is, if it is one.
fn account_owner(
    conn: &mut DbConnection,
    id: LedgerAccountId,
) -> Result<Option<CustomerId>, RemedyError> {
    use crate::db::schema::ledger_accounts;
    Ok(ledger_accounts::table
        .find(id)
        .select(ledger_accounts::customer_id)
        .first(conn)?)
}

fn set_transaction_status(
    conn: &mut DbConnection,
    row: &Transaction,
    status: TransactionStatus,
) -> Result<(), RemedyError> {
    let now = Utc::now().naive_utc();
    let changed = diesel::update(
        transactions::table
            .filter(transactions::id.eq(row.id))
            .filter(transactions::status.eq(row.status)),
    )
    .set((
        transactions::status.eq(status),
        transactions::updated_at.eq(now),
        transactions::completed_at.eq(Some(now)),
    ))
    .execute(conn)?;
    if changed == 1 {
        Ok(())
    } else {
        Err(RemedyError::ChangedMeanwhile(row.reference.clone()))
    }
}

fn links(ctx: &RemedyContext, transaction: TransactionId) -> Links {
    Links {
        transaction: Some(transaction),
        ticket: ctx.ticket,
        remedy: ctx.remedy,
    }
}

/// A new transaction the remedy creates (a refund), linked to `original`.
fn insert_transaction(
    conn: &mut DbConnection,
    original: &Transaction,
    kind: TransactionKind,
    amount: Money,
) -> Result<Transaction, RemedyError> {
    // Both databases keep microseconds: the row returned is the row stored.
    let now = Utc::now().naive_utc().trunc_subsecs(6);
    let reference = format!(
        "TX{}{:010}",
        now.format("%Y%m%d"),
        rand::rng().random_range(0..10_000_000_000_u64)
    );
    let id: TransactionId = diesel::insert_into(transactions::table)
        .values((
            transactions::reference.eq(&reference),
            transactions::customer_id.eq(original.customer_id),
            transactions::kind.eq(kind),
            transactions::status.eq(TransactionStatus::Completed),
            transactions::method.eq(PaymentMethod::WalletBalance),
            transactions::amount_minor.eq(amount.minor()),
            transactions::currency.eq(amount.currency()),
            transactions::counterparty.eq(&original.counterparty),
            transactions::original_transaction_id.eq(Some(original.id)),
            transactions::created_at.eq(now),
            transactions::updated_at.eq(now),
            transactions::completed_at.eq(Some(now)),
        ))
        .returning(transactions::id)
        .get_result(conn)?;
    Ok(Transaction {
        id,
        reference,
        customer_id: original.customer_id,
        kind,
        status: TransactionStatus::Completed,
        method: PaymentMethod::WalletBalance,
        amount_minor: amount.minor(),
        currency: amount.currency(),
        counterparty: original.counterparty.clone(),
        counterparty_customer_id: None,
        original_transaction_id: Some(original.id),
        external_ref: None,
        failure_reason: None,
        created_at: now,
        updated_at: now,
        completed_at: Some(now),
    })
}
