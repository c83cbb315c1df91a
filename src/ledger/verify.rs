//! The ledger's invariants, checked over the whole database with
//! aggregation in SQL.

use crate::db::models::REFUND_COUNTING_STATUSES;
use crate::db::{DbConnection, DbError};
use crate::domain::{LedgerAccountId, TransferId};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};
use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// A currency whose accounts' debits and credits differ.
    Unbalanced {
        currency: String,
        debits: i128,
        credits: i128,
        pending_debits: i128,
        pending_credits: i128,
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
        available: i128,
    },
    /// A transaction whose refunds add up to more than was paid.
    RefundedBeyondPaid {
        reference: String,
        paid: i64,
        refunded: i64,
    },
    /// A hold resolved by more than one transfer.
    ResolvedTwice {
        pending: TransferId,
        resolutions: i64,
    },
    /// A post or void that names something other than a hold, posts more
    /// than was held, or moves between other accounts than the hold.
    BadResolution {
        transfer: TransferId,
        pending: TransferId,
    },
    /// One idempotency key on several transfers.
    KeyUsedTwice { key: String, transfers: i64 },
    /// A transaction whose status says one thing and its transfers another.
    StatusDisagrees {
        reference: String,
        status: String,
        problem: &'static str,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::Unbalanced {
                currency,
                debits,
                credits,
                pending_debits,
                pending_credits,
            } => write!(
                f,
                "{currency}: debits {debits} != credits {credits} (pending {pending_debits} / {pending_credits}), in minor units"
            ),
            Violation::CachedTotalsDiffer {
                account,
                code,
                cached,
                from_transfers,
            } => write!(
                f,
                "account {code} (id {account}): cached totals {cached:?} but its transfers sum to {from_transfers:?} [debits posted, credits posted, debits pending, credits pending]"
            ),
            Violation::Overdrawn {
                account,
                code,
                available,
            } => {
                write!(
                    f,
                    "account {code} (id {account}) is overdrawn: {available} available"
                )
            }
            Violation::RefundedBeyondPaid {
                reference,
                paid,
                refunded,
            } => {
                write!(
                    f,
                    "transaction {reference}: refunded {refunded} of {paid} paid"
                )
            }
            Violation::ResolvedTwice {
                pending,
                resolutions,
            } => {
                write!(f, "hold {pending} was resolved {resolutions} times")
            }
            Violation::BadResolution { transfer, pending } => {
                write!(
                    f,
                    "transfer {transfer} resolves {pending}, which it does not match"
                )
            }
            Violation::KeyUsedTwice { key, transfers } => {
                write!(f, "idempotency key {key} is on {transfers} transfers")
            }
            Violation::StatusDisagrees {
                reference,
                status,
                problem,
            } => write!(f, "transaction {reference} is {status} but {problem}"),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct VerifyReport {
    pub accounts: i64,
    pub transfers: i64,
    pub currencies: Vec<String>,
    pub violations: Vec<Violation>,
    pub elapsed: Duration,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.violations.is_empty()
    }
}

#[derive(QueryableByName)]
struct AccountTotals {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Text)]
    currency: String,
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
           CAST(COALESCE(SUM(CASE WHEN t.phase = 'pending'
                                   AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = t.id)
                                  THEN t.amount_minor ELSE 0 END), 0) AS BIGINT) AS pending
    FROM ledger_transfers t
    GROUP BY t.{side}_account_id";

/// The refund statuses that count, as an SQL list: `'pending', 'completed'`.
fn refund_counting_statuses() -> String {
    REFUND_COUNTING_STATUSES
        .iter()
        .map(|status| format!("'{}'", status.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Transactions whose status disagrees with their transfers: each query
/// answers the reference and status of every such transaction.
fn status_checks() -> Vec<(&'static str, String)> {
    // What a payment's refunds that count add up to; its status says the same.
    let counted_sum = format!(
        "SELECT COALESCE(SUM(r.amount_minor), 0) FROM transactions r WHERE r.original_transaction_id = t.id AND r.kind = 'refund' AND r.status IN ({})",
        refund_counting_statuses()
    );
    let has = |condition: &str| {
        format!(
            "EXISTS (SELECT 1 FROM ledger_transfers l WHERE l.transaction_id = t.id AND {condition})"
        )
    };
    vec![
        (
            "it has a posted charge",
            format!(
                "t.kind = 'payment' AND t.status IN ('failed', 'declined', 'pending') AND {}",
                has("l.kind = 'payment' AND l.phase = 'posted'")
            ),
        ),
        (
            "nothing was sent",
            format!(
                "t.kind IN ('withdrawal', 'transfer') AND t.status = 'completed' AND NOT {}",
                has(
                    "l.kind IN ('withdrawal', 'wallet_transfer') AND l.phase IN ('posted', 'post_pending')"
                )
            ),
        ),
        (
            "its hold was not given back",
            format!(
                "t.kind IN ('withdrawal', 'transfer', 'p2p_trade') AND t.status IN ('failed', 'cancelled', 'reversed', 'declined') AND {} AND NOT {}",
                has("l.phase = 'pending'"),
                has("l.phase = 'void_pending'")
            ),
        ),
        (
            "its escrow was not paid out",
            format!(
                "t.kind = 'p2p_trade' AND t.status = 'released' AND NOT {}",
                has("l.kind = 'trade_release' AND l.phase = 'posted'")
            ),
        ),
        (
            "its counted refunds do not add up to what was paid",
            format!(
                "t.kind = 'payment' AND t.status = 'refunded' AND t.amount_minor <> ({counted_sum})"
            ),
        ),
        (
            "its counted refunds are not a part of what was paid",
            format!(
                "t.kind = 'payment' AND t.status = 'partially_refunded' AND ({counted_sum}) NOT BETWEEN 1 AND t.amount_minor - 1"
            ),
        ),
    ]
}

#[derive(QueryableByName)]
struct Disagreeing {
    #[diesel(sql_type = Text)]
    reference: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = BigInt)]
    problem: i64,
}

/// Checks every account and transfer, in one consistent snapshot of a live
/// database; a violation is reported, not raised.
pub fn verify_ledger(conn: &mut DbConnection) -> Result<VerifyReport, DbError> {
    crate::db::read_snapshot(conn, verify_in_snapshot)
}

fn verify_in_snapshot(conn: &mut DbConnection) -> Result<VerifyReport, DbError> {
    let started = Instant::now();
    let mut report = VerifyReport {
        accounts: diesel::sql_query("SELECT COUNT(*) AS n FROM ledger_accounts")
            .get_result::<Count>(conn)?
            .n,
        transfers: diesel::sql_query("SELECT COUNT(*) AS n FROM ledger_transfers")
            .get_result::<Count>(conn)?
            .n,
        ..VerifyReport::default()
    };

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
        "SELECT id, code, currency, forbid_overdraft, debits_posted, credits_posted, debits_pending, credits_pending
         FROM ledger_accounts ORDER BY id",
    )
    .load(conn)?;
    // Per currency: debits posted, credits posted, debits and credits
    // pending. Added in i128, which no number of i64 totals can overflow.
    let mut per_currency: BTreeMap<String, [i128; 4]> = BTreeMap::new();
    for account in accounts {
        let sums = per_currency.entry(account.currency.clone()).or_default();
        for (sum, total) in sums.iter_mut().zip([
            account.debits_posted,
            account.credits_posted,
            account.debits_pending,
            account.credits_pending,
        ]) {
            *sum += i128::from(total);
        }
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
        let available = i128::from(account.credits_posted)
            - i128::from(account.debits_posted)
            - i128::from(account.debits_pending);
        if account.forbid_overdraft && available < 0 {
            report.violations.push(Violation::Overdrawn {
                account: LedgerAccountId(account.id),
                code: account.code,
                available,
            });
        }
    }

    for (currency, [debits, credits, pending_debits, pending_credits]) in per_currency {
        if debits != credits || pending_debits != pending_credits {
            report.violations.push(Violation::Unbalanced {
                currency: currency.clone(),
                debits,
                credits,
                pending_debits,
                pending_credits,
            });
        }
        report.currencies.push(currency);
    }

    let refunds: Vec<Refunded> = diesel::sql_query(format!(
        "SELECT o.reference AS reference, o.amount_minor AS paid, CAST(SUM(r.amount_minor) AS BIGINT) AS refunded
         FROM transactions r JOIN transactions o ON o.id = r.original_transaction_id
         WHERE r.kind = 'refund' AND r.status IN ({})
         GROUP BY o.id, o.reference, o.amount_minor
         HAVING SUM(r.amount_minor) > o.amount_minor",
        refund_counting_statuses()
    ))
    .load(conn)?;
    report
        .violations
        .extend(refunds.into_iter().map(|r| Violation::RefundedBeyondPaid {
            reference: r.reference,
            paid: r.paid,
            refunded: r.refunded,
        }));

    let twice: Vec<Pair> = diesel::sql_query(
        "SELECT pending_id AS a, COUNT(*) AS b FROM ledger_transfers
         WHERE pending_id IS NOT NULL GROUP BY pending_id HAVING COUNT(*) > 1",
    )
    .load(conn)?;
    report
        .violations
        .extend(twice.into_iter().map(|p| Violation::ResolvedTwice {
            pending: TransferId(p.a),
            resolutions: p.b,
        }));

    let bad: Vec<Pair> = diesel::sql_query(
        "SELECT r.id AS a, p.id AS b FROM ledger_transfers r JOIN ledger_transfers p ON p.id = r.pending_id
         WHERE p.phase <> 'pending' OR r.amount_minor > p.amount_minor
            OR r.debit_account_id <> p.debit_account_id OR r.credit_account_id <> p.credit_account_id
            OR r.currency <> p.currency",
    )
    .load(conn)?;
    report
        .violations
        .extend(bad.into_iter().map(|p| Violation::BadResolution {
            transfer: TransferId(p.a),
            pending: TransferId(p.b),
        }));

    let keys: Vec<KeyCount> = diesel::sql_query(
        "SELECT idempotency_key AS key, COUNT(*) AS n FROM ledger_transfers
         GROUP BY idempotency_key HAVING COUNT(*) > 1",
    )
    .load(conn)?;
    report
        .violations
        .extend(keys.into_iter().map(|k| Violation::KeyUsedTwice {
            key: k.key,
            transfers: k.n,
        }));

    // One pass over the transactions for every status check: each row
    // answers the first check it fails.
    let checks = status_checks();
    let which = checks
        .iter()
        .enumerate()
        .map(|(n, (_, condition))| format!("WHEN {condition} THEN {n}"))
        .collect::<Vec<_>>()
        .join(" ");
    let any = checks
        .iter()
        .map(|(_, condition)| format!("({condition})"))
        .collect::<Vec<_>>()
        .join(" OR ");
    let found: Vec<Disagreeing> = diesel::sql_query(format!(
        "SELECT t.reference AS reference, t.status AS status, CAST(CASE {which} END AS BIGINT) AS problem
         FROM transactions t WHERE {any} ORDER BY t.id LIMIT 1000"
    ))
    .load(conn)?;
    report.violations.extend(found.into_iter().map(|d| {
        Violation::StatusDisagrees {
            problem: usize::try_from(d.problem)
                .ok()
                .and_then(|n| checks.get(n))
                .map_or("its transfers disagree", |(problem, _)| problem),
            reference: d.reference,
            status: d.status,
        }
    }));

    report.elapsed = started.elapsed();
    Ok(report)
}

#[derive(QueryableByName)]
struct Refunded {
    #[diesel(sql_type = Text)]
    reference: String,
    #[diesel(sql_type = BigInt)]
    paid: i64,
    #[diesel(sql_type = BigInt)]
    refunded: i64,
}

#[derive(QueryableByName)]
struct Pair {
    #[diesel(sql_type = BigInt)]
    a: i64,
    #[diesel(sql_type = BigInt)]
    b: i64,
}

#[derive(QueryableByName)]
struct KeyCount {
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}
