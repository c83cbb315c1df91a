//! Opening and finding ledger accounts.

use super::{LedgerError, account_code, forbids_overdraft};
use crate::db::models::LedgerAccount;
use crate::db::schema::ledger_accounts;
use crate::db::{DbConnection, in_transaction};
use crate::domain::{AccountKind, Currency, CustomerId};
use chrono::Utc;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

#[derive(Insertable)]
#[diesel(table_name = ledger_accounts, treat_none_as_default_value = false)]
struct AccountInsert {
    code: String,
    kind: AccountKind,
    customer_id: Option<CustomerId>,
    currency: Currency,
    debits_posted: i64,
    credits_posted: i64,
    debits_pending: i64,
    credits_pending: i64,
    forbid_overdraft: bool,
    created_at: chrono::NaiveDateTime,
}

/// The account of this kind, customer and currency, opened if it does not
/// exist yet. Safe to race: the unique code decides, and the loser reads.
pub fn open_account(
    conn: &mut DbConnection,
    kind: AccountKind,
    customer: Option<CustomerId>,
    currency: Currency,
) -> Result<LedgerAccount, LedgerError> {
    let code = account_code(kind, customer, currency);
    let find = |conn: &mut DbConnection| {
        ledger_accounts::table
            .filter(ledger_accounts::code.eq(&code))
            .select(LedgerAccount::as_select())
            .first(conn)
            .optional()
    };
    if let Some(account) = find(conn)? {
        return Ok(account);
    }
    let row = AccountInsert {
        code: code.clone(),
        kind,
        customer_id: customer,
        currency,
        debits_posted: 0,
        credits_posted: 0,
        debits_pending: 0,
        credits_pending: 0,
        forbid_overdraft: forbids_overdraft(kind),
        created_at: Utc::now().naive_utc(),
    };
    let insert = |conn: &mut DbConnection| {
        diesel::insert_into(ledger_accounts::table)
            .values(&row)
            .execute(conn)
    };
    // Losing the race to open it is fine; inside a transaction a savepoint
    // keeps that failed insert from failing the caller's transaction.
    let inserted = if in_transaction(conn)? {
        conn.transaction(insert)
    } else {
        insert(conn)
    };
    match inserted {
        Ok(_) => {}
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            tracing::debug!(code, "account opened concurrently");
        }
        Err(error) => return Err(error.into()),
    }
    find(conn)?
        .ok_or_else(|| LedgerError::Inconsistent(format!("account {code} vanished after opening")))
}
