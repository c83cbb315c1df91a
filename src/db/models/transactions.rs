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

impl Transaction {
    /// The amount, in its currency.
    pub fn amount(&self) -> crate::domain::Money {
        crate::domain::Money::from_minor(self.amount_minor, self.currency)
    }

    pub fn find(
        conn: &mut crate::db::DbConnection,
        id: TransactionId,
    ) -> QueryResult<Option<Self>> {
        transactions::table
            .find(id)
            .select(Transaction::as_select())
            .first(conn)
            .optional()
    }

    pub fn by_reference(
        conn: &mut crate::db::DbConnection,
        reference: &str,
    ) -> QueryResult<Option<Self>> {
        transactions::table
            .filter(transactions::reference.eq(reference))
            .select(Transaction::as_select())
            .first(conn)
            .optional()
    }

    /// Reads the transaction holding its row until commit, so that two
    /// writers changing it run one after the other and the second sees the
    /// first. SQLite's write transactions begin IMMEDIATE and already
    /// exclude every other writer; PostgreSQL takes the row lock with an
    /// update that changes nothing.
    pub fn find_for_update(
        conn: &mut crate::db::DbConnection,
        id: TransactionId,
    ) -> QueryResult<Option<Self>> {
        if conn.backend() == crate::db::Backend::Postgres {
            diesel::update(transactions::table.filter(transactions::id.eq(id)))
                .set(transactions::updated_at.eq(transactions::updated_at))
                .execute(conn)?;
        }
        Transaction::find(conn, id)
    }

    /// Whether a refund in this status counts toward what its payment has
    /// had refunded: one that is paid or may still be paid. The one rule
    /// the remedy, the API, import and `ledger verify` share.
    pub fn counts_as_refunded(status: TransactionStatus) -> bool {
        REFUND_COUNTING_STATUSES.contains(&status)
    }
}

/// The refund statuses that count toward what was refunded (see
/// `Transaction::counts_as_refunded`).
pub const REFUND_COUNTING_STATUSES: [TransactionStatus; 2] =
    [TransactionStatus::Pending, TransactionStatus::Completed];
