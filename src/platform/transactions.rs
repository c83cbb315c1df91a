//! Wallet transactions as the platform reports them, booked in the ledger
//! in the same database transaction. The reference is the idempotency key:
//! the same record again changes nothing; another record under a used
//! reference is refused.

use super::customers::IngestError;
use crate::audit::{self, AuditEntry};
use crate::db::models::Transaction;
use crate::db::schema::{customers, transactions};
use crate::db::{DbConnection, write_transaction};
use crate::domain::*;
use crate::ledger::LedgerError;
use crate::ledger::accounts::open_account;
use crate::ledger::transfers::{Links, NewTransfer, hold, post_transfer};
use chrono::Utc;
use diesel::prelude::*;
use serde::Deserialize;
use std::str::FromStr;

/// A transaction record as the platform sends it. Amounts are decimal
/// strings (`"120.50"`), never floats.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
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
    #[serde(default)]
    pub external_ref: Option<String>,
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

/// Checks the record, then stores it and moves its money: a completed
/// top-up credits the wallet, a completed payment debits it, a pending
/// withdrawal holds its amount and a completed one sends it.
pub fn record_transaction(
    conn: &mut DbConnection,
    record: TransactionRecord,
) -> Result<Recorded, IngestError> {
    let reference = record.reference.trim().to_owned();
    if reference.is_empty() || reference.len() > 64 {
        return Err(invalid("reference", "must be 1 to 64 characters"));
    }
    let kind: TransactionKind = parse_field("kind", &record.kind, "top_up, payment, withdrawal")?;
    let status: TransactionStatus = parse_field(
        "status",
        &record.status,
        "pending, completed, failed, cancelled, declined",
    )?;
    let method: PaymentMethod = parse_field(
        "method",
        &record.method,
        "wallet_balance, bank_card, bank_transfer, alipay, wechat_pay, crypto",
    )?;
    let currency =
        parse_currency(&record.currency).map_err(|e| invalid("currency", e.to_string()))?;
    let amount =
        Money::parse(&record.amount, currency).map_err(|e| invalid("amount", e.to_string()))?;
    if !matches!(
        kind,
        TransactionKind::TopUp | TransactionKind::Payment | TransactionKind::Withdrawal
    ) {
        return Err(invalid(
            "kind",
            format!("{kind} records are not accepted over the API"),
        ));
    }
    let clean = |value: &Option<String>| {
        value
            .as_ref()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };

    write_transaction(conn, |conn| {
        let customer: CustomerId = customers::table
            .filter(customers::external_ref.eq(record.customer.trim()))
            .select(customers::id)
            .first(conn)
            .optional()?
            .ok_or_else(|| {
                invalid(
                    "customer",
                    format!("no customer has the reference '{}'", record.customer.trim()),
                )
            })?;

        if let Some(existing) = transactions::table
            .filter(transactions::reference.eq(&reference))
            .select(Transaction::as_select())
            .first(conn)
            .optional()?
        {
            let same = existing.customer_id == customer
                && existing.kind == kind
                && existing.status == status
                && existing.method == method
                && existing.amount_minor == amount.minor()
                && existing.currency == currency;
            return if same {
                Ok(Recorded::AlreadyRecorded(existing.id))
            } else {
                Err(invalid(
                    "reference",
                    format!("{reference} was already recorded with other values"),
                ))
            };
        }

        let now = Utc::now().naive_utc();
        let finished = !matches!(status, TransactionStatus::Pending);
        let id: TransactionId = diesel::insert_into(transactions::table)
            .values((
                transactions::reference.eq(&reference),
                transactions::customer_id.eq(customer),
                transactions::kind.eq(kind),
                transactions::status.eq(status),
                transactions::method.eq(method),
                transactions::amount_minor.eq(amount.minor()),
                transactions::currency.eq(currency),
                transactions::counterparty.eq(clean(&record.counterparty)),
                transactions::external_ref.eq(clean(&record.external_ref)),
                transactions::failure_reason.eq(clean(&record.failure_reason)),
                transactions::created_at.eq(now),
                transactions::updated_at.eq(now),
                transactions::completed_at.eq(finished.then_some(now)),
            ))
            .returning(transactions::id)
            .get_result(conn)?;

        book(conn, &reference, id, customer, kind, status, method, amount).map_err(|error| {
            match error {
                LedgerError::Db(db) => IngestError::Db(db),
                refused => IngestError::Refused(refused.to_string()),
            }
        })?;
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

#[allow(clippy::too_many_arguments)]
fn book(
    conn: &mut DbConnection,
    reference: &str,
    transaction: TransactionId,
    customer: CustomerId,
    kind: TransactionKind,
    status: TransactionStatus,
    method: PaymentMethod,
    amount: Money,
) -> Result<(), LedgerError> {
    let currency = amount.currency();
    let wallet = open_account(conn, AccountKind::CustomerWallet, Some(customer), currency)?.id;
    let outside = match method {
        PaymentMethod::BankCard | PaymentMethod::Alipay | PaymentMethod::WechatPay => {
            AccountKind::ExternalCard
        }
        PaymentMethod::Crypto => AccountKind::ExternalChain,
        PaymentMethod::BankTransfer | PaymentMethod::WalletBalance => AccountKind::ExternalBank,
    };
    let request = |debit, credit, kind| NewTransfer {
        idempotency_key: format!("platform:{reference}"),
        debit,
        credit,
        amount,
        kind,
        links: Links {
            transaction: Some(transaction),
            ..Links::default()
        },
        memo: None,
    };
    match (kind, status) {
        (TransactionKind::TopUp, TransactionStatus::Completed) => {
            let source = open_account(conn, outside, None, currency)?.id;
            post_transfer(conn, &request(source, wallet, TransferKind::TopUp))?;
        }
        (TransactionKind::Payment, TransactionStatus::Completed) => {
            let merchant = open_account(conn, AccountKind::MerchantSettlement, None, currency)?.id;
            post_transfer(conn, &request(wallet, merchant, TransferKind::Payment))?;
        }
        (
            TransactionKind::Withdrawal,
            TransactionStatus::Pending | TransactionStatus::Completed,
        ) => {
            let bank = open_account(conn, outside, None, currency)?.id;
            let withdrawal = request(wallet, bank, TransferKind::Withdrawal);
            if status == TransactionStatus::Pending {
                hold(conn, &withdrawal)?;
            } else {
                post_transfer(conn, &withdrawal)?;
            }
        }
        // Failed, declined, cancelled and pending payments moved no money.
        _ => {}
    }
    Ok(())
}
