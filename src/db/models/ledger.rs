use crate::db::schema::{ledger_accounts, ledger_transfers};
use crate::domain::{
    AccountKind, Currency, CustomerId, LedgerAccountId, RemedyId, TicketId, TransactionId,
    TransferId, TransferKind, TransferPhase,
};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = ledger_accounts, treat_none_as_default_value = false)]
pub struct LedgerAccount {
    pub id: LedgerAccountId,
    pub code: String,
    pub kind: AccountKind,
    pub customer_id: Option<CustomerId>,
    pub currency: Currency,
    pub debits_posted: i64,
    pub credits_posted: i64,
    pub debits_pending: i64,
    pub credits_pending: i64,
    pub forbid_overdraft: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = ledger_transfers, treat_none_as_default_value = false)]
pub struct LedgerTransfer {
    pub id: TransferId,
    pub idempotency_key: String,
    pub debit_account_id: LedgerAccountId,
    pub credit_account_id: LedgerAccountId,
    pub amount_minor: i64,
    pub currency: Currency,
    pub kind: TransferKind,
    pub phase: TransferPhase,
    pub pending_id: Option<TransferId>,
    pub transaction_id: Option<TransactionId>,
    pub ticket_id: Option<TicketId>,
    pub remedy_id: Option<RemedyId>,
    pub memo: Option<String>,
    pub created_at: NaiveDateTime,
}
