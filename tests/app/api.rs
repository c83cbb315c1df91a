//! The platform API over HTTP: tokens, and customers fed in.

use crate::helpers::{TestApp, TestResult, redress_command};
use diesel::prelude::*;
use redress::db::models::Customer;
use redress::db::schema::customers;
use serde_json::{Value, json};

pub(crate) fn token(app: &TestApp, name: &str) -> Result<String, Box<dyn std::error::Error>> {
    let output = redress_command(&app.db)
        .args(["token", "create", "--name", name])
        .output()?;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout)?.trim().to_owned();
    assert!(token.starts_with("rdk_") && token.len() == 68, "{token}");
    Ok(token)
}

/// A platform token, and customer CU-1 created with it.
pub(crate) fn token_and_customer(app: &TestApp) -> Result<String, Box<dyn std::error::Error>> {
    let token = token(app, "platform")?;
    assert_eq!(
        put(app, Some(&token), "/api/v1/customers/CU-1", CUSTOMER).status(),
        201
    );
    Ok(token)
}

pub(crate) fn put(
    app: &TestApp,
    token: Option<&str>,
    path: &str,
    body: &str,
) -> reqwest::blocking::Response {
    let mut request = app
        .client
        .put(app.url(path))
        .header("Content-Type", "application/json")
        .body(body.to_owned());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().expect("the server answers")
}

pub(crate) fn error_of(response: reqwest::blocking::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().unwrap_or(Value::Null);
    (
        status,
        body["error"].as_str().unwrap_or_default().to_owned(),
    )
}

pub(crate) const CUSTOMER: &str = r#"{"email": "Lin.Mei@Example.com", "name": "林美", "locale": "zh-CN", "phone": "+86 13800000000"}"#;

#[test]
fn the_api_wants_a_valid_unrevoked_token() -> TestResult {
    let app = TestApp::start();
    let (status, message) = error_of(put(&app, None, "/api/v1/customers/CU1", CUSTOMER));
    assert_eq!(
        (status, message.as_str()),
        (401, "a valid bearer token is required")
    );
    let (status, _) = error_of(put(
        &app,
        Some("rdk_not-a-token"),
        "/api/v1/customers/CU1",
        CUSTOMER,
    ));
    assert_eq!(status, 401);

    let token = token(&app, "platform")?;
    assert_eq!(
        put(&app, Some(&token), "/api/v1/customers/CU1", CUSTOMER).status(),
        201
    );

    let revoked = redress_command(&app.db)
        .args(["token", "revoke", "--name", "platform"])
        .output()?;
    assert!(revoked.status.success());
    let (status, message) = error_of(put(&app, Some(&token), "/api/v1/customers/CU1", CUSTOMER));
    assert_eq!(
        (status, message.as_str()),
        (403, "this token has been revoked")
    );

    // Only the hash is stored.
    use redress::db::schema::api_tokens;
    let hashes: Vec<String> = api_tokens::table
        .select(api_tokens::token_hash)
        .load(&mut app.db.conn())?;
    assert!(hashes.iter().all(|hash| !hash.contains(&token[4..])));
    Ok(())
}

#[test]
fn customers_are_created_then_updated_by_external_reference() -> TestResult {
    let app = TestApp::start();
    let token = token(&app, "platform")?;
    let created = put(&app, Some(&token), "/api/v1/customers/CU-77", CUSTOMER);
    assert_eq!(created.status(), 201);
    let body: Value = created.json()?;
    assert_eq!(body["external_ref"], "CU-77");

    let update = json!({ "email": "lin.mei@example.net", "name": "林美 Lin Mei", "locale": "en" })
        .to_string();
    assert_eq!(
        put(&app, Some(&token), "/api/v1/customers/CU-77", &update).status(),
        200
    );
    let row: Customer = customers::table
        .filter(customers::external_ref.eq("CU-77"))
        .select(Customer::as_select())
        .first(&mut app.db.conn())?;
    assert_eq!(
        (row.email.as_str(), row.name.as_str()),
        ("lin.mei@example.net", "林美 Lin Mei")
    );
    assert_eq!(row.locale.as_str(), "en");
    assert_eq!(row.phone, None);
    Ok(())
}

#[test]
fn bad_records_get_a_4xx_that_names_the_problem_and_change_nothing() -> TestResult {
    let app = TestApp::start();
    let token = token(&app, "platform")?;
    let cases = [
        ("{not json", 400, "the body is not valid JSON"),
        (
            r#"{"email": "a@example.com", "name": "A"}"#,
            400,
            "missing field `locale`",
        ),
        (
            r#"{"email": "a@example.com", "name": "A", "locale": "fr"}"#,
            422,
            "locale: must be zh-CN or en",
        ),
        (
            r#"{"email": "not an address", "name": "A", "locale": "en"}"#,
            422,
            "email: is not an e-mail address",
        ),
        (
            r#"{"email": "a@example.com", "name": "  ", "locale": "en"}"#,
            422,
            "name: must not be empty",
        ),
        (
            r#"{"email": "a@example.com", "name": "A", "locale": "en", "balance": 5}"#,
            400,
            "unknown field `balance`",
        ),
    ];
    for (body, status, message) in cases {
        let (got_status, got_message) =
            error_of(put(&app, Some(&token), "/api/v1/customers/CU-9", body));
        assert_eq!(got_status, status, "{body}: {got_message}");
        assert!(got_message.contains(message), "{body}: {got_message}");
    }
    assert_eq!(
        customers::table
            .count()
            .get_result::<i64>(&mut app.db.conn())?,
        0
    );

    // An e-mail that belongs to someone else is a conflict.
    assert_eq!(
        put(&app, Some(&token), "/api/v1/customers/CU-1", CUSTOMER).status(),
        201
    );
    let (status, message) = error_of(put(&app, Some(&token), "/api/v1/customers/CU-2", CUSTOMER));
    assert_eq!(
        (status, message.as_str()),
        (
            409,
            "email: lin.mei@example.com belongs to another customer"
        )
    );
    assert_eq!(
        customers::table
            .count()
            .get_result::<i64>(&mut app.db.conn())?,
        1
    );
    Ok(())
}

fn post(app: &TestApp, token: &str, path: &str, body: &Value) -> reqwest::blocking::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .expect("the server answers")
}

fn record_tx(app: &TestApp, token: &str, record: &Value) -> reqwest::blocking::Response {
    post(app, token, "/api/v1/transactions", record)
}

fn wallet_totals(app: &TestApp, external_ref: &str) -> redress::ledger::Totals {
    use redress::db::schema::ledger_accounts;
    let mut conn = app.db.conn();
    let customer: redress::domain::CustomerId = customers::table
        .filter(customers::external_ref.eq(external_ref))
        .select(customers::id)
        .first(&mut conn)
        .expect("the customer");
    let (dp, cp, dpe, cpe): (i64, i64, i64, i64) = ledger_accounts::table
        .filter(ledger_accounts::customer_id.eq(customer))
        .filter(ledger_accounts::currency.eq("CNY"))
        .select((
            ledger_accounts::debits_posted,
            ledger_accounts::credits_posted,
            ledger_accounts::debits_pending,
            ledger_accounts::credits_pending,
        ))
        .first(&mut conn)
        .expect("the wallet");
    redress::ledger::Totals {
        debits_posted: dp,
        credits_posted: cp,
        debits_pending: dpe,
        credits_pending: cpe,
    }
}

fn tx(reference: &str, kind: &str, status: &str, amount: &str) -> Value {
    json!({
        "reference": reference, "customer": "CU-1", "kind": kind, "status": status,
        "method": "bank_transfer", "amount": amount, "currency": "CNY"
    })
}

#[test]
fn transactions_are_recorded_with_their_ledger_transfers_once() -> TestResult {
    let app = TestApp::start();
    let token = token_and_customer(&app)?;

    assert_eq!(
        record_tx(&app, &token, &tx("TX-1", "top_up", "completed", "500.00")).status(),
        201
    );
    assert_eq!(
        record_tx(&app, &token, &tx("TX-2", "payment", "completed", "120.5")).status(),
        201
    );
    assert_eq!(
        record_tx(&app, &token, &tx("TX-3", "withdrawal", "pending", "100")).status(),
        201
    );
    assert_eq!(
        record_tx(&app, &token, &tx("TX-4", "top_up", "failed", "80")).status(),
        201
    );
    let wallet = wallet_totals(&app, "CU-1");
    assert_eq!((wallet.balance(), wallet.available()), (37_950, 27_950));

    // The same record again: 200, nothing moves. Other values under its reference: refused.
    assert_eq!(
        record_tx(&app, &token, &tx("TX-1", "top_up", "completed", "500.00")).status(),
        200
    );
    assert_eq!(wallet_totals(&app, "CU-1"), wallet);
    let (status, message) = error_of(record_tx(
        &app,
        &token,
        &tx("TX-1", "top_up", "completed", "501"),
    ));
    assert_eq!(
        (status, message.as_str()),
        (
            422,
            "reference: TX-1 was already recorded with other values"
        )
    );

    // A payment the wallet cannot cover is refused whole: no transaction row either.
    let (status, message) = error_of(record_tx(
        &app,
        &token,
        &tx("TX-5", "payment", "completed", "1000"),
    ));
    assert_eq!(status, 422);
    assert!(
        message.contains("available, 1000.00 CNY is needed"),
        "{message}"
    );
    use redress::db::schema::transactions;
    let references: Vec<String> = transactions::table
        .select(transactions::reference)
        .order(transactions::id)
        .load(&mut app.db.conn())?;
    assert_eq!(references, ["TX-1", "TX-2", "TX-3", "TX-4"]);
    assert_eq!(wallet_totals(&app, "CU-1"), wallet);

    let report = redress::ledger::verify::verify_ledger(&mut app.db.conn())?;
    assert!(report.is_ok(), "{:?}", report.violations);
    Ok(())
}

#[test]
fn bad_transaction_records_name_the_field() -> TestResult {
    let app = TestApp::start();
    let token = token_and_customer(&app)?;
    let with = |field: &str, value: Value| {
        let mut record = tx("TX-9", "top_up", "completed", "10");
        record[field] = value;
        record
    };
    let cases = [
        (
            with("currency", json!("EUR")),
            "currency: 'EUR' is not a supported currency",
        ),
        (
            with("amount", json!("0.00")),
            "amount: the amount must be greater than zero",
        ),
        (with("amount", json!("-5")), "amount: '-5' is not an amount"),
        (
            with("amount", json!("1.001")),
            "amount: CNY amounts have at most 2 decimal places",
        ),
        (
            with("amount", json!("ten")),
            "amount: 'ten' is not an amount",
        ),
        (
            with("customer", json!("CU-404")),
            "customer: no customer has the reference 'CU-404'",
        ),
        (with("kind", json!("gift")), "kind: 'gift' is not one of"),
        (
            {
                let mut record = with("kind", json!("p2p_trade"));
                record["status"] = json!("pending");
                record
            },
            "counterparty_customer: a p2p_trade needs the other customer's reference",
        ),
        (
            with("kind", json!("p2p_trade")),
            "status: a p2p_trade is never completed",
        ),
        (
            with("original", json!("TX-1")),
            "original: a refund, and only a refund, names the payment it pays back",
        ),
        (
            with("status", json!("refunded")),
            "status: 'refunded' is set by Redress's remedies, not by the platform",
        ),
    ];
    for (record, message) in cases {
        let (status, got) = error_of(record_tx(&app, &token, &record));
        assert_eq!(status, 422, "{record}: {got}");
        assert!(got.starts_with(message), "{record}: {got}");
    }
    let (status, got) = error_of(record_tx(&app, &token, &with("amount", json!(10.5))));
    assert_eq!(status, 400, "a JSON number is not an amount: {got}");
    use redress::db::schema::transactions;
    assert_eq!(
        transactions::table
            .count()
            .get_result::<i64>(&mut app.db.conn())?,
        0
    );
    Ok(())
}

#[test]
fn the_platform_sets_an_account_status_and_a_frozen_wallet_cannot_pay() -> TestResult {
    let app = TestApp::start();
    let token = token_and_customer(&app)?;
    assert_eq!(
        record_tx(&app, &token, &tx("TX-1", "top_up", "completed", "50")).status(),
        201
    );

    let (status, message) = error_of(post(
        &app,
        &token,
        "/api/v1/customers/CU-1/status",
        &json!({ "status": "frozen" }),
    ));
    assert_eq!(
        (status, message.as_str()),
        (422, "reason: a freeze needs a reason")
    );
    let frozen = post(
        &app,
        &token,
        "/api/v1/customers/CU-1/status",
        &json!({ "status": "frozen", "reason": "risk_rule" }),
    );
    assert_eq!(frozen.status(), 200);

    let (status, message) = error_of(record_tx(
        &app,
        &token,
        &tx("TX-2", "payment", "completed", "10"),
    ));
    assert_eq!(
        (status, message.as_str()),
        (
            422,
            "wallet wallet:1:CNY is frozen: it can receive but not send"
        )
    );
    // Receiving still works.
    assert_eq!(
        record_tx(&app, &token, &tx("TX-3", "top_up", "completed", "5")).status(),
        201
    );

    let (status, _) = error_of(post(
        &app,
        &token,
        "/api/v1/customers/CU-404/status",
        &json!({ "status": "active" }),
    ));
    assert_eq!(status, 422);
    assert_eq!(
        post(
            &app,
            &token,
            "/api/v1/customers/CU-1/status",
            &json!({ "status": "active" })
        )
        .status(),
        200
    );
    assert_eq!(
        record_tx(&app, &token, &tx("TX-2", "payment", "completed", "10")).status(),
        201
    );
    Ok(())
}

#[test]
fn import_applies_good_lines_and_names_the_bad_ones_by_number() -> TestResult {
    let app = TestApp::start();
    let file = app.db.dir.path().join("records.jsonl");
    let lines = [
        r#"{"type": "customer", "external_ref": "CU-1", "email": "a@example.com", "name": "Ann", "locale": "en"}"#,
        r#"{"type": "transaction", "reference": "TX-1", "customer": "CU-1", "kind": "top_up", "status": "completed", "method": "bank_transfer", "amount": "20.00", "currency": "CNY"}"#,
        r#"{"type": "transaction", "reference": "TX-2", "customer": "CU-1", "kind": "payment", "status": "completed", "method": "wallet_balance", "amount": "25.00", "currency": "CNY"}"#,
        "",
        r#"{"type": "transaction", "reference": "TX-3", "customer": "CU-1", "kind": "payment", "status": "completed", "method": "wallet_balance", "amount": "5", "currency": "XYZ"}"#,
        r#"{"type": "status", "customer": "CU-1", "status": "locked"}"#,
        r#"{"type": "customer", "external_ref": "CU-2", "email": "b@example.com", "name": "Bo", "locale": "en", "vip": true}"#,
        "not json",
        r#"{"type": "transaction_status", "reference": "TX-1", "status": "pending"}"#,
    ];
    std::fs::write(&file, lines.join("\n"))?;
    let output = redress_command(&app.db)
        .args(["import", &file.display().to_string()])
        .output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout
            .contains("line 3: account wallet:1:CNY has 20.00 CNY available, 25.00 CNY is needed"),
        "{stdout}"
    );
    assert!(
        stdout.contains("line 5: currency: 'XYZ' is not a supported currency"),
        "{stdout}"
    );
    assert!(stdout.contains("line 7: unknown field `vip`"), "{stdout}");
    assert!(stdout.contains("line 8: "), "{stdout}");
    assert!(
        stdout.contains("line 9: TX-1 is completed: a top_up cannot go from completed to pending"),
        "{stdout}"
    );
    assert!(stdout.contains("3 records applied, 5 refused"), "{stdout}");

    use redress::db::schema::transactions;
    let mut conn = app.db.conn();
    let references: Vec<String> = transactions::table
        .select(transactions::reference)
        .load(&mut conn)?;
    assert_eq!(references, ["TX-1"]);
    let status: String = customers::table
        .filter(customers::external_ref.eq("CU-1"))
        .select(customers::status)
        .first(&mut conn)?;
    assert_eq!(status, "locked");
    assert_eq!(wallet_totals(&app, "CU-1").balance(), 2_000);
    Ok(())
}

fn set_tx_status(
    app: &TestApp,
    token: &str,
    reference: &str,
    status: &str,
) -> reqwest::blocking::Response {
    post(
        app,
        token,
        &format!("/api/v1/transactions/{reference}/status"),
        &json!({ "status": status }),
    )
}

fn tx_status(app: &TestApp, reference: &str) -> String {
    use redress::db::schema::transactions;
    transactions::table
        .filter(transactions::reference.eq(reference))
        .select(transactions::status)
        .first(&mut app.db.conn())
        .expect("the transaction")
}

#[test]
fn every_kind_is_recorded_and_moves_on_with_its_status() -> TestResult {
    let app = TestApp::start();
    let token = token_and_customer(&app)?;
    let other = r#"{"email": "bo@example.com", "name": "Bo", "locale": "en"}"#;
    assert_eq!(
        put(&app, Some(&token), "/api/v1/customers/CU-2", other).status(),
        201
    );
    for (reference, customer) in [("TX-U1", "CU-1"), ("TX-U2", "CU-2")] {
        let mut top_up = tx(reference, "top_up", "completed", "100.00");
        top_up["customer"] = json!(customer);
        assert_eq!(record_tx(&app, &token, &top_up).status(), 201);
    }
    let balance = |customer: &str| wallet_totals(&app, customer).balance();

    // A transfer between wallets holds first, then completes.
    let mut transfer = tx("TX-T", "transfer", "pending", "30.00");
    transfer["counterparty_customer"] = json!("CU-2");
    assert_eq!(record_tx(&app, &token, &transfer).status(), 201);
    assert_eq!(wallet_totals(&app, "CU-1").debits_pending, 3_000);
    assert_eq!(
        set_tx_status(&app, &token, "TX-T", "completed").status(),
        200
    );
    assert_eq!((balance("CU-1"), balance("CU-2")), (7_000, 13_000));
    assert_eq!(wallet_totals(&app, "CU-1").debits_pending, 0);
    // The same status again changes nothing; going back is refused.
    let again: Value = set_tx_status(&app, &token, "TX-T", "completed").json()?;
    assert_eq!(again["unchanged"], json!(true));
    let (status, message) = error_of(set_tx_status(&app, &token, "TX-T", "pending"));
    assert_eq!(
        (status, message.as_str()),
        (
            409,
            "TX-T is completed: a transfer cannot go from completed to pending"
        )
    );

    // A withdrawal that fails gives its hold back.
    assert_eq!(
        record_tx(&app, &token, &tx("TX-W", "withdrawal", "pending", "10.00")).status(),
        201
    );
    assert_eq!(wallet_totals(&app, "CU-1").debits_pending, 1_000);
    assert_eq!(set_tx_status(&app, &token, "TX-W", "failed").status(), 200);
    assert_eq!(wallet_totals(&app, "CU-1").debits_pending, 0);
    assert_eq!(balance("CU-1"), 7_000);

    // A P2P trade: the seller's coins wait in escrow until released to the buyer.
    let mut trade = tx("TX-P", "p2p_trade", "pending", "20.00");
    trade["counterparty_customer"] = json!("CU-2");
    trade["seller"] = json!("CU-2");
    assert_eq!(record_tx(&app, &token, &trade).status(), 201);
    assert_eq!(wallet_totals(&app, "CU-2").debits_pending, 2_000);
    assert_eq!(
        set_tx_status(&app, &token, "TX-P", "awaiting_release").status(),
        200
    );
    assert_eq!(
        set_tx_status(&app, &token, "TX-P", "released").status(),
        200
    );
    assert_eq!((balance("CU-1"), balance("CU-2")), (9_000, 11_000));
    assert_eq!(tx_status(&app, "TX-P"), "released");

    // A refund pays a payment back, never beyond what was paid.
    assert_eq!(
        record_tx(&app, &token, &tx("TX-PAY", "payment", "completed", "40.00")).status(),
        201
    );
    assert_eq!(balance("CU-1"), 5_000);
    let mut refund = tx("TX-R1", "refund", "pending", "30.00");
    refund["original"] = json!("TX-PAY");
    assert_eq!(record_tx(&app, &token, &refund).status(), 201);
    let mut too_much = tx("TX-R2", "refund", "completed", "20.00");
    too_much["original"] = json!("TX-PAY");
    let (status, message) = error_of(record_tx(&app, &token, &too_much));
    assert_eq!(status, 422);
    assert!(
        message.contains("at most 10.00 CNY can still be refunded"),
        "{message}"
    );
    assert_eq!(balance("CU-1"), 5_000);
    assert_eq!(
        set_tx_status(&app, &token, "TX-R1", "completed").status(),
        200
    );
    assert_eq!(balance("CU-1"), 8_000);
    assert_eq!(tx_status(&app, "TX-PAY"), "partially_refunded");

    let (status, message) = error_of(set_tx_status(&app, &token, "TX-404", "completed"));
    assert_eq!(
        (status, message.as_str()),
        (422, "reference: no transaction has the reference 'TX-404'")
    );
    let report = redress::ledger::verify::verify_ledger(&mut app.db.conn())?;
    assert!(report.is_ok(), "{:?}", report.violations);
    Ok(())
}
