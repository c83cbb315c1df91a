//! The ledger's invariants, checked over the whole database with
//! aggregation in SQL.

use crate::db::{DbConnection, DbError};
use crate::domain::LedgerAccountId;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// A currency whose accounts' debits and credits differ.
    Unbalanced {
        currency: String,
        debits: i64,
        credits: i64,
        pending_debits: i64,
        pending_credits: i64,
    },
    /// An account whose cached totals differ from the sum of its transfers.
    CachedTotalsDiffer {
        account: LedgerAccountId,
        code: String,
        cached: [i64; 4],
        from_transfers: [i64; 4],
    },
    /// An overdraft-protected account below zero, counting holds.
    Overdrawn {
        account: LedgerAccountId,
        code: String,
        available: i64,
    },
}

#[derive(Debug, Clone, Default)]
pub struct VerifyReport {
    pub accounts: i64,
    pub transfers: i64,
    pub currencies: Vec<String>,
    pub violations: Vec<Violation>,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.violations.is_empty()
    }
}

#[derive(QueryableByName)]
struct CurrencyTotals {
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = BigInt)]
    debits: i64,
    #[diesel(sql_type = BigInt)]
    credits: i64,
    #[diesel(sql_type = BigInt)]
    pending_debits: i64,
    #[diesel(sql_type = BigInt)]
    pending_credits: i64,
}

#[derive(QueryableByName)]
struct AccountTotals {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Bool)]
    forbid_overdraft: bool,
    #[diesel(sql_type = BigInt)]
    debits_posted: i64,
    #[diesel(sql_type = BigInt)]
    credits_posted: i64,
    #[diesel(sql_type = BigInt)]
    debits_pending: i64,
    #[diesel(sql_type = BigInt)]
    credits_pending: i64,
}

#[derive(QueryableByName)]
struct Movement {
    #[diesel(sql_type = BigInt)]
    account_id: i64,
    #[diesel(sql_type = BigInt)]
    posted: i64,
    #[diesel(sql_type = BigInt)]
    pending: i64,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// A transfer counts as posted when it is `posted` or posts a pending one;
/// it holds funds when it is `pending` and nothing has resolved it yet.
const MOVEMENTS_BY_SIDE: &str = "
    SELECT t.{side}_account_id AS account_id,
           CAST(COALESCE(SUM(CASE WHEN t.phase IN ('posted', 'post_pending') THEN t.amount_minor ELSE 0 END), 0) AS BIGINT) AS posted,
           CAST(COALESCE(SUM(CASE WHEN t.phase = 'pending' AND r.id IS NULL THEN t.amount_minor ELSE 0 END), 0) AS BIGINT) AS pending
    FROM ledger_transfers t
    LEFT JOIN ledger_transfers r ON r.pending_id = t.id
    GROUP BY t.{side}_account_id";

/// Checks every account and transfer; a violation is reported, not raised.
pub fn verify_ledger(conn: &mut DbConnection) -> Result<VerifyReport, DbError> {
    let mut report = VerifyReport {
        accounts: diesel::sql_query("SELECT COUNT(*) AS n FROM ledger_accounts")
            .get_result::<Count>(conn)?
            .n,
        transfers: diesel::sql_query("SELECT COUNT(*) AS n FROM ledger_transfers")
            .get_result::<Count>(conn)?
            .n,
        ..VerifyReport::default()
    };

    let per_currency: Vec<CurrencyTotals> = diesel::sql_query(
        "SELECT currency,
                CAST(SUM(debits_posted) AS BIGINT) AS debits,
                CAST(SUM(credits_posted) AS BIGINT) AS credits,
                CAST(SUM(debits_pending) AS BIGINT) AS pending_debits,
                CAST(SUM(credits_pending) AS BIGINT) AS pending_credits
         FROM ledger_accounts GROUP BY currency ORDER BY currency",
    )
    .load(conn)?;
    for totals in per_currency {
        if totals.debits != totals.credits || totals.pending_debits != totals.pending_credits {
            report.violations.push(Violation::Unbalanced {
                currency: totals.currency.clone(),
                debits: totals.debits,
                credits: totals.credits,
                pending_debits: totals.pending_debits,
                pending_credits: totals.pending_credits,
            });
        }
        report.currencies.push(totals.currency);
    }

    let mut from_transfers: BTreeMap<i64, [i64; 4]> = BTreeMap::new();
    for (side, posted_slot, pending_slot) in [("debit", 0, 2), ("credit", 1, 3)] {
        let movements: Vec<Movement> =
            diesel::sql_query(MOVEMENTS_BY_SIDE.replace("{side}", side)).load(conn)?;
        for movement in movements {
            let sums = from_transfers.entry(movement.account_id).or_default();
            sums[posted_slot] = movement.posted;
            sums[pending_slot] = movement.pending;
        }
    }

    let accounts: Vec<AccountTotals> = diesel::sql_query(
        "SELECT id, code, forbid_overdraft, debits_posted, credits_posted, debits_pending, credits_pending
         FROM ledger_accounts ORDER BY id",
    )
    .load(conn)?;
    for account in accounts {
        let cached = [
            account.debits_posted,
            account.credits_posted,
            account.debits_pending,
            account.credits_pending,
        ];
        let expected = from_transfers.get(&account.id).copied().unwrap_or_default();
        if cached != expected {
            report.violations.push(Violation::CachedTotalsDiffer {
                account: LedgerAccountId(account.id),
                code: account.code.clone(),
                cached,
                from_transfers: expected,
            });
        }
        let available = account.credits_posted - account.debits_posted - account.debits_pending;
        if account.forbid_overdraft && available < 0 {
            report.violations.push(Violation::Overdrawn {
                account: LedgerAccountId(account.id),
                code: account.code,
                available,
            });
        }
    }
    Ok(report)
}
