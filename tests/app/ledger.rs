//! The ledger's money movement on a real database: exactly once, never
//! overdrawn, refused operations move nothing.

use crate::helpers::{TestDb, TestResult, funded_wallet, race};
use diesel::prelude::*;
use proptest::prelude::*;
use redress::db::models::LedgerAccount;
use redress::db::schema::ledger_accounts;
use redress::db::{Database, DbConnection};
use redress::domain::*;
use redress::ledger::accounts::open_account;
use redress::ledger::remedies::{RemedyContext, RemedyError, refund};
use redress::ledger::transfers::{
    Links, NewTransfer, hold, post_pending, post_transfer, void_pending,
};
use redress::ledger::verify::verify_ledger;
use redress::ledger::{LedgerError, Totals};
use redress::platform::transactions::{Recorded, TransactionRecord, record_transaction};

fn cny(minor: i64) -> Money {
    Money::from_minor(minor, Currency::Cny)
}

fn transfer(
    key: &str,
    debit: LedgerAccountId,
    credit: LedgerAccountId,
    amount: Money,
) -> NewTransfer {
    NewTransfer {
        idempotency_key: key.to_owned(),
        debit,
        credit,
        amount,
        kind: TransferKind::Payment,
        links: Links::default(),
        memo: None,
    }
}

fn totals(conn: &mut DbConnection, id: LedgerAccountId) -> Totals {
    let a: LedgerAccount = ledger_accounts::table
        .find(id)
        .select(LedgerAccount::as_select())
        .first(conn)
        .expect("the account");
    Totals {
        debits_posted: a.debits_posted,
        credits_posted: a.credits_posted,
        debits_pending: a.debits_pending,
        credits_pending: a.credits_pending,
    }
}

fn all_totals(conn: &mut DbConnection) -> Vec<LedgerAccount> {
    ledger_accounts::table
        .order(ledger_accounts::id)
        .select(LedgerAccount::as_select())
        .load(conn)
        .expect("accounts")
}

fn assert_verified(conn: &mut DbConnection) {
    let report = verify_ledger(conn).expect("verify runs");
    assert!(report.is_ok(), "{:?}", report.violations);
}

#[test]
fn a_transfer_moves_money_once_per_key() -> TestResult {
    let db = TestDb::new();
    let mut conn = db.conn();
    let (wallet, bank) = funded_wallet(&mut conn, 1, 10_000);
    let merchant = open_account(
        &mut conn,
        AccountKind::MerchantSettlement,
        None,
        Currency::Cny,
    )?
    .id;

    let first = post_transfer(&mut conn, &transfer("pay-1", wallet, merchant, cny(2_500)))?;
    assert!(!first.replayed);
    assert_eq!(first.transfer.phase, TransferPhase::Posted);
    assert_eq!(totals(&mut conn, wallet).balance(), 7_500);

    let again = post_transfer(&mut conn, &transfer("pay-1", wallet, merchant, cny(2_500)))?;
    assert!(again.replayed);
    assert_eq!(again.transfer, first.transfer);
    assert_eq!(totals(&mut conn, wallet).balance(), 7_500);

    let before = all_totals(&mut conn);
    let conflict = post_transfer(&mut conn, &transfer("pay-1", wallet, merchant, cny(2_600)));
    assert_eq!(
        conflict.err().map(|e| e.to_string()),
        Some("idempotency key pay-1 was already used for a different request".to_owned())
    );
    assert_eq!(all_totals(&mut conn), before);
    assert_eq!(totals(&mut conn, bank).debits_posted, 10_000);
    assert_verified(&mut conn);
    Ok(())
}

#[test]
fn refused_transfers_say_why_and_move_nothing() -> TestResult {
    let db = TestDb::new();
    let mut conn = db.conn();
    let (wallet, _) = funded_wallet(&mut conn, 1, 100);
    let merchant = open_account(
        &mut conn,
        AccountKind::MerchantSettlement,
        None,
        Currency::Cny,
    )?
    .id;
    let usdt_escrow = open_account(&mut conn, AccountKind::Escrow, None, Currency::Usdt)?.id;
    let before = all_totals(&mut conn);

    let cases: Vec<(NewTransfer, &str)> = vec![
        (
            transfer("t1", wallet, merchant, cny(150)),
            "account wallet:1:CNY has 1.00 CNY available, 1.50 CNY is needed",
        ),
        (
            transfer("t2", wallet, usdt_escrow, cny(10)),
            "account escrow:USDT holds USDT, not CNY",
        ),
        (
            transfer("t3", wallet, wallet, cny(10)),
            "a transfer needs two different accounts",
        ),
        (
            transfer("t4", wallet, LedgerAccountId(999), cny(10)),
            "ledger account 999 does not exist",
        ),
        (
            transfer("t5", wallet, merchant, cny(0)),
            "the amount must be greater than zero",
        ),
        (
            transfer("t6", wallet, merchant, cny(-5)),
            "the amount must be greater than zero",
        ),
    ];
    for (request, message) in cases {
        let error = post_transfer(&mut conn, &request)
            .err()
            .map(|e| e.to_string());
        assert_eq!(error.as_deref(), Some(message));
        let error = hold(&mut conn, &request).err().map(|e| e.to_string());
        assert_eq!(error.as_deref(), Some(message));
        assert_eq!(all_totals(&mut conn), before);
    }
    // The refused keys stay free for a correct request.
    assert!(post_transfer(&mut conn, &transfer("t1", wallet, merchant, cny(100))).is_ok());
    assert_verified(&mut conn);
    Ok(())
}

#[test]
fn holds_reserve_funds_and_resolve_exactly_once() -> TestResult {
    let db = TestDb::new();
    let mut conn = db.conn();
    let (wallet, bank) = funded_wallet(&mut conn, 1, 10_000);
    let escrow = open_account(&mut conn, AccountKind::Escrow, None, Currency::Cny)?.id;

    let held = hold(&mut conn, &transfer("hold-1", wallet, escrow, cny(6_000)))?.transfer;
    assert_eq!(totals(&mut conn, wallet).available(), 4_000);
    assert!(matches!(
        post_transfer(&mut conn, &transfer("too-much", wallet, bank, cny(5_000))),
        Err(LedgerError::InsufficientFunds { .. })
    ));

    let before = all_totals(&mut conn);
    let too_big = post_pending(
        &mut conn,
        "post-big",
        held.id,
        Some(cny(6_001)),
        Links::default(),
    );
    assert_eq!(
        too_big.err().map(|e| e.to_string()),
        Some("cannot post 60.01 CNY: the hold is for 60.00 CNY".into())
    );
    let missing = void_pending(&mut conn, "void-missing", TransferId(999), Links::default());
    assert_eq!(
        missing.err().map(|e| e.to_string()),
        Some("hold 999 does not exist".into())
    );
    let not_a_hold = void_pending(&mut conn, "void-posted", TransferId(1), Links::default());
    assert_eq!(
        not_a_hold.err().map(|e| e.to_string()),
        Some("transfer 1 is not a hold".into())
    );
    assert_eq!(all_totals(&mut conn), before);

    let posted = post_pending(
        &mut conn,
        "post-1",
        held.id,
        Some(cny(4_000)),
        Links::default(),
    )?;
    assert_eq!(posted.transfer.amount_minor, 4_000);
    assert_eq!(posted.transfer.pending_id, Some(held.id));
    let wallet_now = totals(&mut conn, wallet);
    assert_eq!(
        (
            wallet_now.balance(),
            wallet_now.debits_pending,
            wallet_now.available()
        ),
        (6_000, 0, 6_000)
    );
    assert_eq!(totals(&mut conn, escrow).credits_posted, 4_000);

    assert!(
        post_pending(
            &mut conn,
            "post-1",
            held.id,
            Some(cny(4_000)),
            Links::default()
        )?
        .replayed
    );
    let before = all_totals(&mut conn);
    let twice = void_pending(&mut conn, "void-1", held.id, Links::default());
    assert_eq!(
        twice.err().map(|e| e.to_string()),
        Some(format!(
            "hold {} was already resolved by transfer {}",
            held.id, posted.transfer.id
        ))
    );
    assert_eq!(all_totals(&mut conn), before);

    let second = hold(&mut conn, &transfer("hold-2", wallet, escrow, cny(1_000)))?.transfer;
    void_pending(&mut conn, "void-2", second.id, Links::default())?;
    assert_eq!(totals(&mut conn, wallet).available(), 6_000);
    assert_verified(&mut conn);
    Ok(())
}

#[test]
fn concurrent_spending_never_overdraws_and_keys_count_once() -> TestResult {
    let db = TestDb::new();
    let (wallet, _) = funded_wallet(&mut db.conn(), 1, 10_000);
    let merchant = open_account(
        &mut db.conn(),
        AccountKind::MerchantSettlement,
        None,
        Currency::Cny,
    )?
    .id;
    let database = Database::open(&db.url, 16)?;

    // 16 different payments of 15.00 from 100.00: exactly six fit.
    let results = race(&database, move |n, conn| {
        post_transfer(
            conn,
            &transfer(&format!("spend-{n}"), wallet, merchant, cny(1_500)),
        )
    });
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 6, "{results:?}");
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| matches!(e, LedgerError::InsufficientFunds { .. }))
    );
    assert_eq!(totals(&mut db.conn(), wallet).balance(), 1_000);

    // 16 tries of the same key: one moves money, the rest replay it.
    let results = race(&database, move |_, conn| {
        post_transfer(conn, &transfer("same-key", wallet, merchant, cny(100)))
    });
    let outcomes: Vec<_> = results.into_iter().collect::<Result<_, _>>()?;
    assert_eq!(outcomes.iter().filter(|o| !o.replayed).count(), 1);
    assert!(outcomes.iter().all(|o| o.transfer == outcomes[0].transfer));
    assert_eq!(totals(&mut db.conn(), wallet).balance(), 900);

    // 16 tries to resolve one hold, each with its own key: one wins.
    let held = hold(
        &mut db.conn(),
        &transfer("hold", wallet, merchant, cny(500)),
    )?
    .transfer;
    let results = race(&database, move |n, conn| {
        if n % 2 == 0 {
            post_pending(
                conn,
                &format!("resolve-{n}"),
                held.id,
                None,
                Links::default(),
            )
        } else {
            void_pending(conn, &format!("resolve-{n}"), held.id, Links::default())
        }
    });
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| matches!(e, LedgerError::PendingAlreadyResolved { .. }))
    );
    assert_verified(&mut db.conn());
    Ok(())
}

#[derive(Debug, Clone)]
enum Op {
    Pay {
        from: usize,
        to: usize,
        amount: i64,
    },
    Hold {
        from: usize,
        to: usize,
        amount: i64,
    },
    Post {
        hold: usize,
        amount: Option<i64>,
    },
    Void {
        hold: usize,
    },
    Replay {
        op: usize,
    },
    Refund {
        payment: usize,
        amount: Option<i64>,
        key: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..4usize, 0..4usize, -50..4_000i64).prop_map(|(from, to, amount)| Op::Pay {
            from,
            to,
            amount
        }),
        (0..4usize, 0..4usize, 1..4_000i64).prop_map(|(from, to, amount)| Op::Hold {
            from,
            to,
            amount
        }),
        (0..8usize, proptest::option::of(1..4_000i64))
            .prop_map(|(hold, amount)| Op::Post { hold, amount }),
        (0..8usize).prop_map(|hold| Op::Void { hold }),
        (0..30usize).prop_map(|op| Op::Replay { op }),
        (0..2usize, proptest::option::of(-10..2_500i64), 0..6usize).prop_map(
            |(payment, amount, key)| Op::Refund {
                payment,
                amount,
                key
            }
        ),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, failure_persistence: None, ..ProptestConfig::default() })]

    /// Random payments, holds, posts, voids and refunds, many of them impossible:
    /// after every sequence the ledger verifies, and each refusal moved nothing.
    #[test]
    fn random_operations_keep_the_ledger_balanced(ops in proptest::collection::vec(op(), 1..30)) {
        let db = TestDb::new();
        let mut conn = db.conn();
        // Three customer wallets and the bank, which may run either way.
        let mut accounts = Vec::new();
        for number in 1..=3 {
            accounts.push(funded_wallet(&mut conn, number, 5_000).0);
        }
        accounts.push(open_account(&mut conn, AccountKind::ExternalBank, None, Currency::Cny).map_err(|e| TestCaseError::fail(e.to_string()))?.id);
        // Two card payments of 20.00 to refund, recorded as the platform would.
        let mut payments = Vec::new();
        for number in 1..=2 {
            let record = TransactionRecord {
                reference: format!("TX-P{number}"),
                customer: format!("CU-T{number}"),
                kind: "payment".into(),
                status: "completed".into(),
                method: "wallet_balance".into(),
                amount: "20.00".into(),
                currency: "CNY".into(),
                ..TransactionRecord::default()
            };
            match record_transaction(&mut conn, &record).map_err(|e| TestCaseError::fail(e.to_string()))? {
                Recorded::Created(id) => payments.push(id),
                Recorded::AlreadyRecorded(_) => return Err(TestCaseError::fail("a fresh database")),
            }
        }
        let mut holds: Vec<TransferId> = Vec::new();
        let mut done: Vec<NewTransfer> = Vec::new();
        for (n, op) in ops.iter().enumerate() {
            let before = all_totals(&mut conn);
            let key = format!("op-{n}");
            let result: Result<bool, LedgerError> = match op {
                Op::Refund { payment, amount, key } => {
                    let ctx = RemedyContext {
                        idempotency_key: format!("refund-{key}"),
                        actor: AuditActor::System,
                        agent: None,
                        ticket: None,
                        remedy: None,
                        reason: "property test".into(),
                    };
                    match refund(&mut conn, &ctx, payments[*payment], amount.map(cny)) {
                        Ok(outcome) => Ok(outcome.replayed),
                        Err(RemedyError::Ledger(error)) => Err(error),
                        Err(other) => Err(LedgerError::Inconsistent(format!("refused: {other}"))),
                    }
                }
                Op::Pay { from, to, amount } => {
                    let request = transfer(&key, accounts[*from], accounts[*to], cny(*amount));
                    post_transfer(&mut conn, &request).inspect(|_| done.push(request)).map(|o| o.replayed)
                }
                Op::Hold { from, to, amount } => {
                    let request = transfer(&key, accounts[*from], accounts[*to], cny(*amount));
                    hold(&mut conn, &request).inspect(|o| holds.push(o.transfer.id)).map(|o| o.replayed)
                }
                Op::Post { hold, amount } => match holds.get(*hold) {
                    Some(id) => post_pending(&mut conn, &key, *id, amount.map(cny), Links::default()).map(|o| o.replayed),
                    None => continue,
                },
                Op::Void { hold } => match holds.get(*hold) {
                    Some(id) => void_pending(&mut conn, &key, *id, Links::default()).map(|o| o.replayed),
                    None => continue,
                },
                Op::Replay { op } => match done.get(*op).cloned() {
                    Some(request) => post_transfer(&mut conn, &request).map(|o| o.replayed),
                    None => continue,
                },
            };
            match result {
                // A replay answers from the stored transfer and moves nothing.
                Ok(true) => prop_assert_eq!(all_totals(&mut conn), before),
                Ok(false) => {}
                Err(LedgerError::Db(error)) => return Err(TestCaseError::fail(error.to_string())),
                Err(_) => prop_assert_eq!(all_totals(&mut conn), before, "a refused {:?} moved money", op),
            }
        }
        use redress::db::schema::transactions;
        for payment in &payments {
            let refunded: Vec<i64> = transactions::table
                .filter(transactions::original_transaction_id.eq(payment))
                .select(transactions::amount_minor)
                .load(&mut conn)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(refunded.iter().sum::<i64>() <= 2_000, "refunded {:?} of 20.00", refunded);
        }
        let report = verify_ledger(&mut conn).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(report.is_ok(), "{:?}", report.violations);
        for account in all_totals(&mut conn).iter().filter(|a| a.forbid_overdraft) {
            prop_assert!(account.credits_posted - account.debits_posted - account.debits_pending >= 0);
        }
    }
}
