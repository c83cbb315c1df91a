//! Wallet transactions as the platform reports them, booked in the ledger
//! in the same database transaction, and their later status changes. The
//! reference is the idempotency key: the same record again changes nothing;
//! another record under a used reference is refused.

use super::customers::{IngestError, customer_by_ref, field};
use crate::audit::{self, AuditEntry};
use crate::db::models::Transaction;
use crate::db::schema::transactions;
use crate::db::{DbConnection, write_transaction};
use crate::domain::text::{self, MAX_LINE_CHARS};
use crate::domain::*;
use crate::ledger::accounts::open_account;
use crate::ledger::remedies::{
    RemedyError, lock_transaction, open_hold, pay_refund, recount_refunds, refund_source,
    refundable, settle_escrow,
};
use crate::ledger::transfers::{
    Links, NewTransfer, hold, post_pending, post_transfer, void_pending,
};
use crate::ledger::{LedgerError, external_account};
use chrono::Utc;
use diesel::prelude::*;
use serde::Deserialize;
use std::str::FromStr;

/// A transaction record as the platform sends it. Amounts are decimal
/// strings (`"120.50"`), never floats.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TransactionRecord {
    pub reference: String,
    /// The customer's external reference.
    pub customer: String,
    pub kind: String,
    pub status: String,
    pub method: String,
    pub amount: String,
    pub currency: String,
    #[serde(default)]
    pub counterparty: Option<String>,
    /// The other wallet customer (external reference) of a transfer or a
    /// P2P trade.
    #[serde(default)]
    pub counterparty_customer: Option<String>,
    /// A P2P trade's seller, whose coins go into escrow: the customer or
    /// the counterparty customer (external reference).
    #[serde(default)]
    pub seller: Option<String>,
    /// The payment a refund pays back (its reference).
    #[serde(default)]
    pub original: Option<String>,
    #[serde(default)]
    pub external_ref: Option<String>,
    #[serde(default)]
    pub failure_reason: Option<String>,
}

/// A later status of a recorded transaction.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TransactionStatusRecord {
    pub status: String,
    #[serde(default)]
    pub failure_reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Created(TransactionId),
    /// The same record was sent before; nothing changed.
    AlreadyRecorded(TransactionId),
}

fn invalid(field: &'static str, reason: impl Into<String>) -> IngestError {
    IngestError::Invalid {
        field,
        reason: reason.into(),
    }
}

fn parse_field<T: FromStr>(
    field: &'static str,
    text: &str,
    expected: &str,
) -> Result<T, IngestError> {
    T::from_str(text.trim())
        .map_err(|_| invalid(field, format!("'{}' is not one of {expected}", text.trim())))
}

const STATUSES: &str =
    "pending, completed, cancelled, failed, declined, awaiting_release, released";

fn parse_status(text: &str) -> Result<TransactionStatus, IngestError> {
    let status: TransactionStatus = parse_field("status", text, STATUSES)?;
    // Refunded, partly refunded and reversed are what remedies make.
    if matches!(
        status,
        TransactionStatus::Refunded
            | TransactionStatus::PartiallyRefunded
            | TransactionStatus::Reversed
    ) {
        return Err(invalid(
            "status",
            format!("'{status}' is set by Redress's remedies, not by the platform"),
        ));
    }
    Ok(status)
}

/// The ledger refusing a movement is the record's fault; a database
/// failure is not.
fn refused(error: RemedyError) -> IngestError {
    match error {
        RemedyError::Ledger(LedgerError::Db(db)) => IngestError::Db(db),
        other => IngestError::Refused(other.to_string()),
    }
}

/// The statuses a transaction of `kind` can have.
fn kind_allows(kind: TransactionKind, status: TransactionStatus) -> bool {
    use TransactionStatus as S;
    match kind {
        TransactionKind::P2pTrade => matches!(
            status,
            S::Pending | S::AwaitingRelease | S::Released | S::Cancelled | S::Failed
        ),
        _ => matches!(
            status,
            S::Pending | S::Completed | S::Cancelled | S::Failed | S::Declined
        ),
    }
}

/// A transaction record, checked: every field parsed and bounded.
struct CheckedRecord {
    reference: String,
    customer: String,
    kind: TransactionKind,
    status: TransactionStatus,
    method: PaymentMethod,
    amount: Money,
    counterparty: Option<String>,
    counterparty_customer: Option<String>,
    seller: Option<String>,
    original: Option<String>,
    external_ref: Option<String>,
    failure_reason: Option<String>,
}

impl CheckedRecord {
    fn parse(record: &TransactionRecord) -> Result<CheckedRecord, IngestError> {
        let reference = text::reference(&record.reference).map_err(field("reference"))?;
        let customer = text::reference(&record.customer).map_err(field("customer"))?;
        let kind: TransactionKind = parse_field(
            "kind",
            &record.kind,
            "top_up, payment, withdrawal, transfer, p2p_trade, refund",
        )?;
        let status = parse_status(&record.status)?;
        if !kind_allows(kind, status) {
            return Err(invalid("status", format!("a {kind} is never {status}")));
        }
        let method: PaymentMethod = parse_field(
            "method",
            &record.method,
            "wallet_balance, bank_card, bank_transfer, alipay, wechat_pay, crypto",
        )?;
        let currency =
            parse_currency(&record.currency).map_err(|e| invalid("currency", e.to_string()))?;
        let amount =
            Money::parse(&record.amount, currency).map_err(|e| invalid("amount", e.to_string()))?;
        Ok(CheckedRecord {
            reference,
            customer,
            kind,
            status,
            method,
            amount,
            counterparty: text::optional_line(record.counterparty.as_deref(), MAX_LINE_CHARS)
                .map_err(field("counterparty"))?,
            counterparty_customer: text::optional_reference(
                record.counterparty_customer.as_deref(),
            )
            .map_err(field("counterparty_customer"))?,
            seller: text::optional_reference(record.seller.as_deref()).map_err(field("seller"))?,
            original: text::optional_reference(record.original.as_deref())
                .map_err(field("original"))?,
            external_ref: text::optional_reference(record.external_ref.as_deref())
                .map_err(field("external_ref"))?,
            failure_reason: text::optional_line(record.failure_reason.as_deref(), MAX_LINE_CHARS)
                .map_err(field("failure_reason"))?,
        })
    }
}

/// Checks the record, then stores it and moves its money as `book` says.
pub fn record_transaction(
    conn: &mut DbConnection,
    record: &TransactionRecord,
) -> Result<Recorded, IngestError> {
    let r = CheckedRecord::parse(record)?;
    let (kind, status, method, amount, currency) =
        (r.kind, r.status, r.method, r.amount, r.amount.currency());
    let reference = r.reference.clone();
    let needs_counterparty = matches!(kind, TransactionKind::Transfer | TransactionKind::P2pTrade);
    match (needs_counterparty, &r.counterparty_customer) {
        (true, None) => {
            return Err(invalid(
                "counterparty_customer",
                format!("a {kind} needs the other customer's reference"),
            ));
        }
        (false, Some(_)) => {
            return Err(invalid(
                "counterparty_customer",
                format!("only transfers and P2P trades have one, not a {kind}"),
            ));
        }
        _ => {}
    }
    if (kind == TransactionKind::P2pTrade) != r.seller.is_some() {
        return Err(invalid(
            "seller",
            "a P2P trade, and only a P2P trade, names its seller",
        ));
    }
    if (kind == TransactionKind::Refund) != r.original.is_some() {
        return Err(invalid(
            "original",
            "a refund, and only a refund, names the payment it pays back",
        ));
    }

    write_transaction(conn, |conn| {
        let customer = customer_by_ref(conn, "customer", &r.customer)?.id;
        let counterparty_customer = match &r.counterparty_customer {
            Some(other) => {
                let id = customer_by_ref(conn, "counterparty_customer", other)?.id;
                if id == customer {
                    return Err(invalid("counterparty_customer", "must be another customer"));
                }
                Some(id)
            }
            None => None,
        };
        let seller = match &r.seller {
            Some(seller) => {
                let id = customer_by_ref(conn, "seller", seller)?.id;
                if id != customer && Some(id) != counterparty_customer {
                    return Err(invalid(
                        "seller",
                        "must be the customer or the counterparty customer",
                    ));
                }
                Some(id)
            }
            None => None,
        };
        let original = match &r.original {
            Some(original) => {
                let row = Transaction::by_reference(conn, original)?.ok_or_else(|| {
                    invalid(
                        "original",
                        format!("no transaction has the reference '{original}'"),
                    )
                })?;
                if row.customer_id != customer {
                    return Err(invalid(
                        "original",
                        format!("{original} belongs to another customer"),
                    ));
                }
                // Held until commit: refunds of one payment are counted
                // one after the other, on every backend.
                Some(lock_transaction(conn, row.id).map_err(refused)?)
            }
            None => None,
        };

        if let Some(existing) = Transaction::by_reference(conn, &reference)? {
            let same = existing.customer_id == customer
                && existing.kind == kind
                && existing.status == status
                && existing.method == method
                && existing.amount_minor == amount.minor()
                && existing.currency == currency
                && existing.counterparty_customer_id == counterparty_customer
                && existing.original_transaction_id == original.as_ref().map(|o| o.id);
            return if same {
                Ok(Recorded::AlreadyRecorded(existing.id))
            } else {
                Err(invalid(
                    "reference",
                    format!("{reference} was already recorded with other values"),
                ))
            };
        }
        if let Some(original) = &original
            && Transaction::counts_as_refunded(status)
        {
            // A refund that may still be paid counts against what is left.
            refundable(conn, original, Some(amount)).map_err(refused)?;
        }

        let now = Utc::now().naive_utc();
        let finished = !matches!(
            status,
            TransactionStatus::Pending | TransactionStatus::AwaitingRelease
        );
        let id: TransactionId = diesel::insert_into(transactions::table)
            .values((
                transactions::reference.eq(&reference),
                transactions::customer_id.eq(customer),
                transactions::kind.eq(kind),
                transactions::status.eq(status),
                transactions::method.eq(method),
                transactions::amount_minor.eq(amount.minor()),
                transactions::currency.eq(currency),
                transactions::counterparty.eq(&r.counterparty),
                transactions::counterparty_customer_id.eq(counterparty_customer),
                transactions::original_transaction_id.eq(original.as_ref().map(|o| o.id)),
                transactions::external_ref.eq(&r.external_ref),
                transactions::failure_reason.eq(&r.failure_reason),
                transactions::created_at.eq(now),
                transactions::updated_at.eq(now),
                transactions::completed_at.eq(finished.then_some(now)),
            ))
            .returning(transactions::id)
            .get_result(conn)?;
        let row = Transaction::by_reference(conn, &reference)?
            .ok_or_else(|| IngestError::Refused(format!("{reference} vanished while recorded")))?;

        book_new(conn, &row, seller, original.as_ref()).map_err(refused)?;
        // A refund still to be paid counts for its payment from now on.
        if let Some(original) = &original
            && status == TransactionStatus::Pending
        {
            recount_refunds(conn, original.id).map_err(refused)?;
        }
        audit::record(
            conn,
            AuditEntry {
                actor: AuditActor::Api,
                agent: None,
                action: "transaction.record".to_owned(),
                entity_type: "transaction".to_owned(),
                entity_id: reference.clone(),
                ticket: None,
                before: None,
                after: Some(serde_json::json!({
                    "kind": kind.as_str(), "status": status.as_str(), "amount": amount.to_string()
                })),
            },
        )?;
        Ok(Recorded::Created(id))
    })
}

/// What a status change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChanged {
    Changed {
        from: TransactionStatus,
        to: TransactionStatus,
    },
    /// The transaction already had that status; nothing changed.
    Unchanged,
}

/// Moves a recorded transaction to the status the platform reports, with
/// the money that goes with it: a pending withdrawal or transfer that
/// completes posts its hold and one that fails voids it; a completed
/// top-up, payment or refund is booked then; a P2P trade moves from
/// pending to awaiting release, is released to the buyer or cancelled
/// back to the seller. Any other change is refused, naming both statuses.
pub fn update_transaction_status(
    conn: &mut DbConnection,
    reference: &str,
    update: &TransactionStatusRecord,
) -> Result<StatusChanged, IngestError> {
    let to = parse_status(&update.status)?;
    let reference = text::reference(reference).map_err(field("reference"))?;
    let failure_reason = text::optional_line(update.failure_reason.as_deref(), MAX_LINE_CHARS)
        .map_err(field("failure_reason"))?;
    write_transaction(conn, |conn| {
        let row = Transaction::by_reference(conn, &reference)?.ok_or_else(|| {
            invalid(
                "reference",
                format!("no transaction has the reference '{reference}'"),
            )
        })?;
        let from = row.status;
        if from == to {
            return Ok(StatusChanged::Unchanged);
        }
        use TransactionKind as K;
        use TransactionStatus as S;
        let ends = matches!(to, S::Failed | S::Cancelled | S::Declined);
        let key = format!("platform:{reference}:{to}");
        let links = Links {
            transaction: Some(row.id),
            ..Links::default()
        };
        match (row.kind, from, to) {
            (K::Withdrawal | K::Transfer, S::Pending, S::Completed) => {
                let held = open_hold(conn, &row, transfer_kind(row.kind)).map_err(refused)?;
                post_pending(conn, &key, held.id, None, links).map_err(|e| refused(e.into()))?;
            }
            // A failed withdrawal or transfer, or a cancelled trade: the hold goes back.
            (K::Withdrawal | K::Transfer, S::Pending, _)
            | (K::P2pTrade, S::Pending | S::AwaitingRelease, S::Cancelled)
                if ends =>
            {
                let held = open_hold(conn, &row, transfer_kind(row.kind)).map_err(refused)?;
                void_pending(conn, &key, held.id, links).map_err(|e| refused(e.into()))?;
            }
            (K::TopUp | K::Payment, S::Pending, S::Completed) => {
                let changed = Transaction {
                    status: to,
                    ..row.clone()
                };
                book_new(conn, &changed, None, None).map_err(refused)?;
            }
            (K::Refund, S::Pending, S::Completed) => {
                let Some(original) = row.original_transaction_id else {
                    return Err(IngestError::Refused(format!(
                        "{reference} pays back no payment"
                    )));
                };
                let original = lock_transaction(conn, original).map_err(refused)?;
                let source = refund_source(conn, &original).map_err(refused)?;
                pay_refund(conn, &original, &row, source, key, links, None).map_err(refused)?;
            }
            (K::TopUp | K::Payment | K::Refund, S::Pending, _) if ends => {}
            // The platform cancelled a payment after charging: the charge
            // stands until an agent refunds it.
            (K::Payment, S::Completed, S::Cancelled) => {}
            (K::P2pTrade, S::Pending, S::AwaitingRelease) => {}
            (K::P2pTrade, S::Pending | S::AwaitingRelease, S::Released) => {
                settle_escrow(conn, &row, &key, links, None).map_err(refused)?;
            }
            _ => {
                return Err(IngestError::Conflict(format!(
                    "{reference} is {from}: a {} cannot go from {from} to {to}",
                    row.kind
                )));
            }
        }
        let now = Utc::now().naive_utc();
        let finished = !matches!(to, S::Pending | S::AwaitingRelease);
        // Conditioned on the status read: of two changes sent at once, the
        // second finds the status moved on and is refused with its money.
        let changed = diesel::update(
            transactions::table
                .filter(transactions::id.eq(row.id))
                .filter(transactions::status.eq(from)),
        )
        .set((
            transactions::status.eq(to),
            transactions::updated_at.eq(now),
            transactions::completed_at.eq(finished.then_some(now)),
            transactions::failure_reason.eq(failure_reason.clone().or(row.failure_reason.clone())),
        ))
        .execute(conn)?;
        if changed != 1 {
            let now_status = Transaction::find(conn, row.id)?
                .map(|t| t.status)
                .unwrap_or(from);
            return Err(IngestError::Conflict(format!(
                "{reference} changed meanwhile: it is now {now_status}, so it cannot go from {from} to {to}"
            )));
        }
        // A refund that will not be paid no longer counts for its payment.
        if row.kind == K::Refund
            && ends
            && let Some(original) = row.original_transaction_id
        {
            recount_refunds(conn, original).map_err(refused)?;
        }
        audit::record(
            conn,
            AuditEntry {
                actor: AuditActor::Api,
                agent: None,
                action: "transaction.status".to_owned(),
                entity_type: "transaction".to_owned(),
                entity_id: reference.clone(),
                ticket: None,
                before: Some(serde_json::json!({ "status": from.as_str() })),
                after: Some(serde_json::json!({ "status": to.as_str() })),
            },
        )?;
        Ok(StatusChanged::Changed { from, to })
    })
}

/// The ledger transfer kind a transaction of `kind` moves money with.
fn transfer_kind(kind: TransactionKind) -> TransferKind {
    match kind {
        TransactionKind::TopUp => TransferKind::TopUp,
        TransactionKind::Payment => TransferKind::Payment,
        TransactionKind::Withdrawal => TransferKind::Withdrawal,
        TransactionKind::Transfer => TransferKind::WalletTransfer,
        TransactionKind::P2pTrade => TransferKind::TradeEscrow,
        TransactionKind::Refund => TransferKind::Refund,
    }
}

/// Books a newly recorded transaction: a completed top-up credits the
/// wallet and a completed payment debits it; a pending withdrawal or
/// transfer holds its amount and a completed one sends it; a pending P2P
/// trade holds the seller's coins in escrow and a released one also pays
/// them to the buyer (`seller` funds the escrow; the customer when None);
/// a completed refund pays the original back. Failed,
/// declined, cancelled and pending others move nothing.
fn book_new(
    conn: &mut DbConnection,
    row: &Transaction,
    seller: Option<CustomerId>,
    original: Option<&Transaction>,
) -> Result<(), RemedyError> {
    use TransactionKind as K;
    use TransactionStatus as S;
    let amount = Money::from_minor(row.amount_minor, row.currency);
    let wallet_of = |conn: &mut DbConnection, customer| {
        open_account(
            conn,
            AccountKind::CustomerWallet,
            Some(customer),
            row.currency,
        )
        .map(|a| a.id)
    };
    let key = format!("platform:{}", row.reference);
    let links = Links {
        transaction: Some(row.id),
        ..Links::default()
    };
    let request = |debit, credit, kind| NewTransfer {
        idempotency_key: key.clone(),
        debit,
        credit,
        amount,
        kind,
        links,
        memo: None,
    };
    match (row.kind, row.status) {
        (K::TopUp, S::Completed) => {
            let source = open_account(conn, external_account(row.method), None, row.currency)?.id;
            let wallet = wallet_of(conn, row.customer_id)?;
            post_transfer(conn, &request(source, wallet, TransferKind::TopUp))?;
        }
        (K::Payment, S::Completed) => {
            let wallet = wallet_of(conn, row.customer_id)?;
            let merchant =
                open_account(conn, AccountKind::MerchantSettlement, None, row.currency)?.id;
            post_transfer(conn, &request(wallet, merchant, TransferKind::Payment))?;
        }
        (K::Withdrawal | K::Transfer, S::Pending | S::Completed) => {
            let wallet = wallet_of(conn, row.customer_id)?;
            let destination = match row.counterparty_customer_id {
                Some(other) => wallet_of(conn, other)?,
                None => open_account(conn, external_account(row.method), None, row.currency)?.id,
            };
            let sent = request(wallet, destination, transfer_kind(row.kind));
            if row.status == S::Pending {
                hold(conn, &sent)?;
            } else {
                post_transfer(conn, &sent)?;
            }
        }
        (K::P2pTrade, S::Pending | S::AwaitingRelease | S::Released) => {
            let seller = seller.unwrap_or(row.customer_id);
            let seller_wallet = wallet_of(conn, seller)?;
            let escrow = open_account(conn, AccountKind::Escrow, None, row.currency)?.id;
            hold(
                conn,
                &request(seller_wallet, escrow, TransferKind::TradeEscrow),
            )?;
            if row.status == S::Released {
                settle_escrow(conn, row, &key, links, None)?;
            }
        }
        (K::Refund, S::Completed) => {
            if let Some(original) = original {
                let source = refund_source(conn, original)?;
                pay_refund(conn, original, row, source, key.clone(), links, None)?;
            }
        }
        _ => {}
    }
    Ok(())
}
