use crate::db::schema::transactions;
use crate::domain::{
    Currency, CustomerId, PaymentMethod, TransactionId, TransactionKind, TransactionStatus,
};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = transactions, treat_none_as_default_value = false)]
pub struct Transaction {
    pub id: TransactionId,
    pub reference: String,
    pub customer_id: CustomerId,
    pub kind: TransactionKind,
    pub status: TransactionStatus,
    pub method: PaymentMethod,
    pub amount_minor: i64,
    pub currency: Currency,
    pub counterparty: Option<String>,
    pub counterparty_customer_id: Option<CustomerId>,
    pub original_transaction_id: Option<TransactionId>,
    pub external_ref: Option<String>,
    pub failure_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub completed_at: Option<NaiveDateTime>,
}
