//! Exact under hostile input, races and faults: every refusal is a 4xx that
//! names the field and writes nothing; two instances on one database keep
//! the money exact; a write that fails or panics stands alone; an instance
//! that cannot write says so.

use crate::api::{error_of, put, token_and_customer};
use crate::desk_tickets::{agent_actor, desk, new_ticket, open_ticket, version_of};
use crate::helpers::{
    AGENT_PASSWORD, Browser, TestApp, TestDb, TestResult, add_test_agent, location,
    redress_command, select, test_settings_with, text_of,
};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use redress::db::schema::{
    audit_log, customers, ledger_transfers, login_throttles, outbox_emails, sla_policies,
    ticket_events, transactions,
};
use redress::domain::Role;
use serde_json::{Value, json};
use std::sync::{Arc, Barrier};

/// Rows that any accepted record or change would add to.
fn written(app: &TestApp) -> [i64; 5] {
    let mut conn = app.db.conn();
    [
        customers::table.count().get_result(&mut conn),
        transactions::table.count().get_result(&mut conn),
        ledger_transfers::table.count().get_result(&mut conn),
        audit_log::table.count().get_result(&mut conn),
        ticket_events::table.count().get_result(&mut conn),
    ]
    .map(|count| count.expect("a count"))
}

fn post_json(
    client: &reqwest::blocking::Client,
    url: &str,
    token: &str,
    body: &Value,
) -> (u16, Value) {
    let response = client
        .post(url)
        .bearer_auth(token)
        .json(body)
        .send()
        .expect("the server answers");
    let status = response.status().as_u16();
    (status, response.json().unwrap_or(Value::Null))
}

fn record(reference: &str, customer: &str, kind: &str, status: &str, amount: &str) -> Value {
    json!({
        "reference": reference, "customer": customer, "kind": kind, "status": status,
        "method": "bank_card", "amount": amount, "currency": "CNY"
    })
}

fn cli_succeeds(db: &TestDb, args: &[&str]) -> String {
    let output = redress_command(db)
        .args(args)
        .output()
        .expect("redress runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "redress {args:?}: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn hostile_api_input_is_a_4xx_naming_the_field_and_writes_nothing() -> TestResult {
    let app = TestApp::start();
    let token = token_and_customer(&app)?;
    let url = app.url("/api/v1/transactions");
    let before = written(&app);
    let with = |field: &str, value: &str| {
        let mut body = record("TX-H1", "CU-1", "top_up", "completed", "10.00");
        body[field] = json!(value);
        body
    };
    let cases = [
        (
            with("amount", "92233720368547758.07"),
            "amount: the amount is larger than 10000000000.00 CNY",
        ),
        (
            with("amount", "10000000000.01"),
            "amount: the amount is larger than",
        ),
        (with("amount", "1e10"), "amount: '1e10' is not an amount"),
        (with("amount", "1_000"), "amount: '1_000' is not an amount"),
        (with("amount", "+5"), "amount: '+5' is not an amount"),
        (with("amount", ".5"), "amount: '.5' is not an amount"),
        (with("amount", "5."), "amount: '5.' is not an amount"),
        (
            with("reference", "TX\r\nX-Injected: 1"),
            "reference: may hold only",
        ),
        (with("reference", "TX/1"), "reference: may hold only"),
        (with("reference", "TX?1"), "reference: may hold only"),
        (with("reference", "TX#1"), "reference: may hold only"),
        (with("reference", "TX<1"), "reference: may hold only"),
        (with("reference", "订单1"), "reference: may hold only"),
        (with("reference", "TX\u{0}1"), "reference: may hold only"),
        (
            with("reference", &"X".repeat(65)),
            "reference: may hold only",
        ),
        (with("customer", "CU\u{0}1"), "customer: may hold only"),
        (
            with("counterparty", "Shop\u{0}"),
            "counterparty: must not contain control characters",
        ),
        (
            with("failure_reason", "a\nb"),
            "failure_reason: must not contain control characters",
        ),
        (
            with("status", "released"),
            "status: a top_up is never released",
        ),
    ];
    for (body, message) in &cases {
        let (status, answer) = post_json(&app.client, &url, &token, body);
        let got = answer["error"].as_str().unwrap_or_default();
        assert_eq!(status, 422, "{body}: {answer}");
        assert!(got.starts_with(message), "{body}: {got}");
    }
    let customer_cases = [
        (
            "/api/v1/customers/CU-2",
            r#"{"email": "a@example.com", "name": "A\u0000B", "locale": "en"}"#,
            "name: must not contain control characters",
        ),
        (
            "/api/v1/customers/CU-2",
            r#"{"email": "a@example.com\r\nBcc: x@example.com", "name": "A", "locale": "en"}"#,
            "email: must not contain control characters",
        ),
        (
            "/api/v1/customers/CU%002",
            r#"{"email": "a@example.com", "name": "A", "locale": "en"}"#,
            "external_ref: may hold only",
        ),
        (
            "/api/v1/customers/CU%0D%0A2",
            r#"{"email": "a@example.com", "name": "A", "locale": "en"}"#,
            "external_ref: may hold only",
        ),
    ];
    for (path, body, message) in customer_cases {
        let (status, got) = error_of(put(&app, Some(&token), path, body));
        assert_eq!(status, 422, "{path} {body}: {got}");
        assert!(got.starts_with(message), "{path} {body}: {got}");
    }
    let (status, got) = error_of(
        app.client
            .post(app.url("/api/v1/transactions/TX%00X/status"))
            .bearer_auth(&token)
            .json(&json!({ "status": "failed" }))
            .send()?,
    );
    assert_eq!(
        (status, got.starts_with("reference: may hold only")),
        (422, true),
        "{got}"
    );
    assert_eq!(written(&app), before, "a refused record writes nothing");
    cli_succeeds(&app.db, &["ledger", "verify"]);
    Ok(())
}

#[test]
fn account_totals_refuse_rather_than_overflow() -> TestResult {
    use redress::domain::*;
    use redress::ledger::LedgerError;
    use redress::ledger::accounts::open_account;
    use redress::ledger::transfers::{Links, NewTransfer, post_transfer};
    let db = TestDb::new();
    let mut conn = db.conn();
    if !db.is_postgres() {
        conn.batch_execute("PRAGMA synchronous = OFF")?;
    }
    diesel::insert_into(customers::table)
        .values((
            customers::external_ref.eq("CU-BIG"),
            customers::email.eq("big@example.com"),
            customers::name.eq("Big"),
            customers::locale.eq("en"),
            customers::status.eq("active"),
            customers::identity_verified.eq(true),
            customers::created_at.eq(chrono::Utc::now().naive_utc()),
            customers::updated_at.eq(chrono::Utc::now().naive_utc()),
        ))
        .execute(&mut conn)?;
    let chain = open_account(&mut conn, AccountKind::ExternalChain, None, Currency::Usdt)?;
    let wallet: CustomerId = customers::table.select(customers::id).first(&mut conn)?;
    let wallet = open_account(
        &mut conn,
        AccountKind::CustomerWallet,
        Some(wallet),
        Currency::Usdt,
    )?;
    let largest = Money::from_minor(Currency::Usdt.max_minor(), Currency::Usdt);
    let fits = i64::MAX / largest.minor();
    for n in 0..=fits {
        let outcome = post_transfer(
            &mut conn,
            &NewTransfer {
                idempotency_key: format!("big-{n}"),
                debit: chain.id,
                credit: wallet.id,
                amount: largest,
                kind: TransferKind::TopUp,
                links: Links::default(),
                memo: None,
            },
        );
        match (n < fits, outcome) {
            (true, Ok(_)) => {}
            (false, Err(LedgerError::TotalOverflow(code))) => {
                assert!(
                    code.starts_with("external_chain:USDT") || code.starts_with("wallet:"),
                    "{code}"
                );
            }
            (_, other) => panic!("transfer {n} of {fits}: {other:?}"),
        }
    }
    drop(conn);
    let verified = cli_succeeds(&db, &["ledger", "verify"]);
    assert!(verified.starts_with("ledger balances"), "{verified}");
    Ok(())
}

#[test]
fn a_failing_and_a_panicking_write_leave_the_rest_of_their_batch_standing() -> TestResult {
    use redress::db::schema::holidays;
    use redress::db::{Database, DbError};
    let db = TestDb::new();
    if db.is_postgres() {
        // Batches are the SQLite writer's; PostgreSQL writes one by one.
        return Ok(());
    }
    let database = Database::open(&db.url, 4)?;
    // A first write holds the writer, so the sixteen queue behind it and
    // go in its next batch together.
    let (holding, held) = std::sync::mpsc::channel::<()>();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let released = Arc::new(std::sync::Mutex::new(released));
    let holder = {
        let database = database.clone();
        std::thread::spawn(move || {
            database.write_blocking(move |_| {
                let _ = holding.send(());
                if let Ok(released) = released.lock() {
                    let _ = released.recv();
                }
                Ok::<_, DbError>(())
            })
        })
    };
    held.recv()?;
    let threads: Vec<_> = (0..16)
        .map(|n| {
            let database = database.clone();
            std::thread::spawn(move || {
                database.write_blocking(move |conn| {
                    diesel::insert_into(holidays::table)
                        .values((
                            holidays::day.eq(format!("2030-01-{:02}", n + 1)),
                            holidays::name.eq("batch"),
                        ))
                        .execute(conn)?;
                    match n {
                        3 => panic!("a write that panics"),
                        5 => Err(DbError::Migration("a write that fails".into())),
                        _ => Ok(n),
                    }
                })
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(300));
    release.send(())?;
    holder.join().map_err(|_| "the holder panicked")??;
    let answers: Vec<Result<usize, DbError>> = threads
        .into_iter()
        .map(|thread| thread.join().expect("the caller does not panic"))
        .collect();
    for (n, answer) in answers.iter().enumerate() {
        match n {
            3 => assert!(
                matches!(answer, Err(DbError::GroupCommit(m)) if m.contains("unexpectedly")),
                "{answer:?}"
            ),
            5 => assert!(matches!(answer, Err(DbError::Migration(_))), "{answer:?}"),
            _ => assert!(matches!(answer, Ok(m) if *m == n), "{n}: {answer:?}"),
        }
    }
    let days: Vec<String> = holidays::table
        .filter(holidays::name.eq("batch"))
        .select(holidays::day)
        .order(holidays::day)
        .load(&mut db.conn())?;
    let expected: Vec<String> = (0..16)
        .filter(|n| *n != 3 && *n != 5)
        .map(|n| format!("2030-01-{:02}", n + 1))
        .collect();
    assert_eq!(days, expected);
    // The writer goes on writing.
    let after = database.write_blocking(|conn| {
        diesel::insert_into(holidays::table)
            .values((holidays::day.eq("2030-02-01"), holidays::name.eq("after")))
            .execute(conn)
            .map_err(DbError::from)
    })?;
    assert_eq!(after, 1);
    Ok(())
}

#[test]
fn an_instance_that_cannot_write_answers_503_and_acknowledges_nothing() -> TestResult {
    let app = TestApp::start();
    let token = token_and_customer(&app)?;
    assert_eq!(app.get("/healthz").status(), 200);
    match &app.db.url {
        redress::db::DatabaseUrl::Sqlite(path) => {
            // The database file is deleted under the running server.
            for suffix in ["", "-wal", "-shm"] {
                let mut file = path.as_os_str().to_owned();
                file.push(suffix);
                let _ = std::fs::remove_file(&file);
            }
        }
        redress::db::DatabaseUrl::Postgres(url) => {
            // The database turns read-only; connections are dropped and
            // come back read-only.
            let name = url.rsplit('/').next().unwrap_or_default().to_owned();
            let admin = crate::helpers::postgres_admin_url().ok_or("no admin URL")?;
            let mut conn = diesel::PgConnection::establish(&admin)?;
            conn.batch_execute(&format!(
                "ALTER DATABASE {name} SET default_transaction_read_only = on;
                 SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                  WHERE datname = '{name}' AND pid <> pg_backend_pid();"
            ))?;
        }
    }
    // A health check's write probe answers for a quarter of a second.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let health = app.get("/healthz");
    assert_eq!(health.status(), 503);
    assert!(health.headers().get("retry-after").is_some());
    let (status, answer) = post_json(
        &app.client,
        &app.url("/api/v1/transactions"),
        &token,
        &record("TX-LOST", "CU-1", "top_up", "completed", "10.00"),
    );
    assert_eq!(status, 503, "{answer}");
    Ok(())
}

#[test]
fn thirty_wrong_passwords_at_once_count_no_more_than_five() -> TestResult {
    let app = TestApp::start();
    add_test_agent(&app.db, "ada@example.com", "Ada Admin", Role::Admin);
    // Each browser fetches the form first, then all post at once.
    let barrier = Arc::new(Barrier::new(30));
    let threads: Vec<_> = (0..30)
        .map(|_| {
            let browser = app.browser();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let page = scraper::Html::parse_document(
                    &browser.get("/agent/login").text().unwrap_or_default(),
                );
                let token = select(&page, "input[name=login_token]")
                    .first()
                    .and_then(|input| input.value().attr("value"))
                    .unwrap_or_default()
                    .to_owned();
                barrier.wait();
                browser
                    .client
                    .post(browser.url("/agent/login"))
                    .form(&[
                        ("email", "ada@example.com"),
                        ("password", "wrong password!!"),
                        ("login_token", &token),
                    ])
                    .send()
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0)
            })
        })
        .collect();
    let mut statuses: Vec<u16> = threads.into_iter().map(|t| t.join().unwrap_or(0)).collect();
    statuses.sort_unstable();
    let wrong = statuses.iter().filter(|s| **s == 401).count();
    let paused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((wrong, paused), (5, 25), "{statuses:?}");
    let tries: i64 = login_throttles::table
        .filter(login_throttles::key.eq("email:ada@example.com"))
        .select(login_throttles::tries)
        .first(&mut app.db.conn())?;
    assert_eq!(tries, 5);
    Ok(())
}

#[test]
fn the_client_address_comes_from_forwarded_headers_only_behind_a_trusted_proxy() -> TestResult {
    let try_from = |app: &TestApp, n: usize, forwarded: &str| {
        let browser = app.browser();
        let page = browser.page("/agent/login");
        let token = select(&page, "input[name=login_token]")[0]
            .value()
            .attr("value")
            .unwrap_or_default()
            .to_owned();
        browser
            .client
            .post(browser.url("/agent/login"))
            .header("X-Forwarded-For", forwarded)
            .form(&[
                ("email", format!("guess{n}@example.com").as_str()),
                ("password", "wrong password!!"),
                ("login_token", &token),
            ])
            .send()
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    };
    // Untrusted: every try counts against the peer, whatever it claims.
    let app = TestApp::start();
    for n in 0..5 {
        assert_eq!(try_from(&app, n, &format!("198.51.100.{n}")), 401);
    }
    assert_eq!(try_from(&app, 9, "198.51.100.99"), 429);

    // Behind a trusted proxy, each forwarded client counts on its own; a
    // forged entry to the left of the proxy's own is ignored.
    let db = TestDb::new();
    let settings = test_settings_with(&db, &[("REDRESS_TRUSTED_PROXIES", "127.0.0.1")]);
    let app = TestApp::start_with_settings(db, settings);
    for n in 0..5 {
        assert_eq!(
            try_from(&app, n, &format!("203.0.113.7, 198.51.100.{n}")),
            401
        );
    }
    assert_eq!(try_from(&app, 9, "198.51.100.99"), 401);
    for n in 10..14 {
        assert_eq!(try_from(&app, n, "198.51.100.50"), 401);
    }
    assert_eq!(try_from(&app, 20, "203.0.113.7, 198.51.100.50"), 401);
    assert_eq!(try_from(&app, 21, "198.51.100.50"), 429);
    // Junk the client wrote left of the proxy's entry changes nothing.
    assert_eq!(try_from(&app, 22, "junk, 198.51.100.70"), 401);
    assert_eq!(try_from(&app, 23, "junk"), 401, "the proxy's own address");
    Ok(())
}

#[test]
fn a_closed_ticket_refuses_every_change() -> TestResult {
    let app = desk();
    crate::desk_tickets::customer_with_payment(&app, 1, "TXCLOSED", "CNY");
    let bo = agent_actor(&app, "bo@example.com");
    let id = open_ticket(&app, &bo, new_ticket(1, "Closed and done"));
    diesel::update(redress::db::schema::tickets::table.find(id))
        .set(redress::db::schema::tickets::status.eq("closed"))
        .execute(&mut app.db.conn())?;
    let version = version_of(&app, id).to_string();
    let path = format!("/agent/tickets/{}", id.reference());
    let csrf = app.csrf(&path);
    let mails_before: i64 = outbox_emails::table
        .count()
        .get_result(&mut app.db.conn())?;
    let before = written(&app);
    for (action, fields) in [
        (
            "reply",
            vec![
                ("body", "Hello again"),
                ("visibility", "public"),
                ("status", ""),
            ],
        ),
        (
            "reply",
            vec![
                ("body", "A note"),
                ("visibility", "internal"),
                ("status", ""),
            ],
        ),
        (
            "fields",
            vec![
                ("status", "open"),
                ("priority", "high"),
                ("category", ""),
                ("assignee", ""),
            ],
        ),
        ("transaction", vec![("reference", "TXCLOSED")]),
        ("transaction", vec![("reference", "")]),
    ] {
        let mut form = fields.clone();
        form.push(("version", version.as_str()));
        let response = app.post_form(&format!("{path}/{action}"), &csrf, &form);
        let page = app.refused_page(response);
        let message = select(&page, ".error")
            .first()
            .map(|e| text_of(*e))
            .unwrap_or_default();
        assert!(message.contains("is closed"), "{message}");
    }
    let mails_after: i64 = outbox_emails::table
        .count()
        .get_result(&mut app.db.conn())?;
    assert_eq!((written(&app), mails_after), (before, mails_before));
    Ok(())
}

/// A desk with Bo signed in and one ticket of customer 1, opened by Bo.
fn desk_with_ticket(subject: &str) -> (TestApp, redress::domain::TicketId) {
    let app = desk();
    let bo = agent_actor(&app, "bo@example.com");
    crate::helpers::funded_wallet(&mut app.db.conn(), 1, 0);
    let id = open_ticket(&app, &bo, new_ticket(1, subject));
    (app, id)
}

#[test]
fn the_csrf_origin_check_fails_closed() -> TestResult {
    let (app, id) = desk_with_ticket("Origins");
    let own = app.address.clone();
    // A browser that sends only the headers each request is given.
    let browser = Browser::with_origin(own.clone(), None);
    let page = browser.page("/agent/login");
    let login_token = select(&page, "input[name=login_token]")[0]
        .value()
        .attr("value")
        .unwrap_or_default()
        .to_owned();
    let signed_in = browser
        .client
        .post(browser.url("/agent/login"))
        .header("Origin", own.as_str())
        .form(&[
            ("email", "bo@example.com"),
            ("password", AGENT_PASSWORD),
            ("next", ""),
            ("login_token", login_token.as_str()),
        ])
        .send()?;
    assert_eq!(signed_in.status(), 303);
    let ticket = format!("/agent/tickets/{}", id.reference());
    let csrf = browser.csrf(&ticket);
    let post = |headers: &[(&str, &str)]| {
        let version = version_of(&app, id).to_string();
        let mut request = browser.client.post(browser.url(&format!("{ticket}/reply")));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("body", "checked"),
                ("visibility", "internal"),
                ("status", ""),
                ("version", version.as_str()),
            ])
            .send()
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    };
    for headers in [
        vec![],
        vec![("Origin", "null")],
        vec![("Origin", "not a url")],
        vec![("Referer", "::::")],
        vec![("Origin", "http://evil.example")],
        vec![
            ("Origin", "http://evil.example"),
            ("X-Forwarded-Host", "evil.example"),
            ("Forwarded", "host=evil.example;proto=http"),
        ],
        vec![("Origin", "null"), ("Referer", own.as_str())],
    ] {
        assert_eq!(post(&headers), 403, "{headers:?}");
    }
    assert_eq!(post(&[("Origin", own.as_str())]), 303);
    let referer = format!("{own}{ticket}");
    assert_eq!(post(&[("Referer", referer.as_str())]), 303);
    Ok(())
}

#[test]
fn notices_come_from_the_server_never_from_the_url() -> TestResult {
    let (app, id) = desk_with_ticket("Notices");
    let path = format!("/agent/tickets/{}", id.reference());
    let body = app
        .get(&format!("{path}?done=Your+account+is+suspended"))
        .text()?;
    assert!(!body.contains("suspended"), "URL text is never shown");
    let csrf = app.csrf(&path);
    let version = version_of(&app, id).to_string();
    let response = app.post_form(
        &format!("{path}/reply"),
        &csrf,
        &[
            ("body", "Noted"),
            ("visibility", "internal"),
            ("status", ""),
            ("version", &version),
        ],
    );
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), path, "no text travels in the URL");
    let page = app.page(&path);
    assert_eq!(text_of(select(&page, ".notice")[0]), "Note added.");
    let again = app.page(&path);
    assert!(
        select(&again, ".notice").is_empty(),
        "a notice is shown once"
    );
    Ok(())
}

#[test]
fn hostile_desk_input_answers_a_4xx_never_a_5xx() -> TestResult {
    let app = TestApp::start();
    add_test_agent(&app.db, "ada@example.com", "Ada Admin", Role::Admin);
    let response = app.sign_in_to("ada@example.com", AGENT_PASSWORD, "/agent\r\nX:1");
    assert_eq!(
        (response.status().as_u16(), location(&response)),
        (303, "/agent".into())
    );
    let browser = app.browser();
    let response = browser.sign_in_to("ada@example.com", AGENT_PASSWORD, "/agent%0D%0AX:1");
    assert_eq!(response.status(), 303);
    assert_eq!(
        browser
            .sign_in("ada\u{0}@example.com", "wrong password!!")
            .status(),
        401
    );

    for (path, status) in [
        ("/agent/admin/audit?until=%2B262142-12-31", 400),
        ("/agent/admin/audit?from=262142-01-01", 400),
        ("/agent/admin/audit?before=99999999999999999999", 400),
        ("/agent/transactions?q=TX1%0D%0AX", 200),
        ("/agent/customers?q=%00", 200),
        ("/agent/admin/audit?action=%00x", 200),
        ("/agent/tickets?q=%00", 200),
        ("/agent/tickets/RD-99999999999999999999", 404),
        ("/agent/tickets?after=%FF%00&sort=%00", 400),
    ] {
        let got = app.get(path).status().as_u16();
        assert!(
            got == status || ((400..500).contains(&got) && status >= 400),
            "{path}: {got}"
        );
    }

    let csrf = app.csrf("/agent/admin/sla");
    let targets_before: Vec<(String, i64, i64)> = sla_policies::table
        .select((
            sla_policies::priority,
            sla_policies::first_response_minutes,
            sla_policies::resolution_minutes,
        ))
        .order(sla_policies::priority)
        .load(&mut app.db.conn())?;
    for minutes in ["9223372036854775807", "10000000", "0", "-5", "1e3"] {
        let response = app.post_form(
            "/agent/admin/sla/targets",
            &csrf,
            &[
                ("priority", "low"),
                ("first_response_minutes", "60"),
                ("resolution_minutes", minutes),
            ],
        );
        app.refused_page(response);
    }
    let response = app.post_form(
        "/agent/admin/sla/calendar",
        &csrf,
        &[
            ("time_zone", "Asia/Shanghai"),
            ("day1", "on"),
            ("start", "71582789:00"),
            ("end", "18:00"),
        ],
    );
    app.refused_page(response);
    let targets_after: Vec<(String, i64, i64)> = sla_policies::table
        .select((
            sla_policies::priority,
            sla_policies::first_response_minutes,
            sla_policies::resolution_minutes,
        ))
        .order(sla_policies::priority)
        .load(&mut app.db.conn())?;
    assert_eq!(targets_before, targets_after);
    let (start, end): (i64, i64) = redress::db::schema::business_calendar::table
        .select((
            redress::db::schema::business_calendar::work_start_minute,
            redress::db::schema::business_calendar::work_end_minute,
        ))
        .first(&mut app.db.conn())?;
    assert_eq!((start, end), (540, 1080), "the calendar is unchanged");
    Ok(())
}

#[test]
fn refunds_count_by_one_rule_everywhere() -> TestResult {
    let app = TestApp::start();
    let token = token_and_customer(&app)?;
    let url = app.url("/api/v1/transactions");
    let send = |body: Value| post_json(&app.client, &url, &token, &body);
    assert_eq!(
        send(record("TU-1", "CU-1", "top_up", "completed", "500.00")).0,
        201
    );
    assert_eq!(
        send(record("PAY-1", "CU-1", "payment", "completed", "100.00")).0,
        201
    );
    let refund = |reference: &str, status: &str, amount: &str| {
        let mut body = record(reference, "CU-1", "refund", status, amount);
        body["original"] = json!("PAY-1");
        send(body)
    };
    // A declined refund of the whole payment counts for nothing.
    assert_eq!(refund("RF-1", "declined", "100.00").0, 201);
    assert_eq!(refund("RF-2", "completed", "1.00").0, 201);
    // A pending one counts: 99.00 are spoken for.
    assert_eq!(refund("RF-3", "pending", "99.00").0, 201);
    let (status, answer) = refund("RF-4", "completed", "0.01");
    assert_eq!(status, 422, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .unwrap_or_default()
            .contains("already fully refunded"),
        "{answer}"
    );
    let payment_status = || -> Result<String, diesel::result::Error> {
        transactions::table
            .filter(transactions::reference.eq("PAY-1"))
            .select(transactions::status)
            .first(&mut app.db.conn())
    };
    // The payment's status follows its counted refunds: all 100.00.
    assert_eq!(payment_status()?, "refunded");
    cli_succeeds(&app.db, &["ledger", "verify"]);
    // The pending refund fails: its 99.00 are free again.
    let (status, answer) = post_json(
        &app.client,
        &app.url("/api/v1/transactions/RF-3/status"),
        &token,
        &json!({ "status": "failed" }),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(payment_status()?, "partially_refunded");
    cli_succeeds(&app.db, &["ledger", "verify"]);
    assert_eq!(refund("RF-5", "completed", "99.00").0, 201);
    assert_eq!(payment_status()?, "refunded");
    let verified = cli_succeeds(&app.db, &["ledger", "verify"]);
    assert!(verified.starts_with("ledger balances"), "{verified}");
    Ok(())
}

#[test]
fn ledger_verify_finds_a_status_that_contradicts_the_money() -> TestResult {
    let app = TestApp::start();
    let token = token_and_customer(&app)?;
    let url = app.url("/api/v1/transactions");
    assert_eq!(
        post_json(
            &app.client,
            &url,
            &token,
            &record("TU-1", "CU-1", "top_up", "completed", "50.00")
        )
        .0,
        201
    );
    assert_eq!(
        post_json(
            &app.client,
            &url,
            &token,
            &record("PAY-1", "CU-1", "payment", "completed", "20.00")
        )
        .0,
        201
    );
    cli_succeeds(&app.db, &["ledger", "verify"]);
    diesel::update(transactions::table.filter(transactions::reference.eq("PAY-1")))
        .set(transactions::status.eq("failed"))
        .execute(&mut app.db.conn())?;
    let output = redress_command(&app.db)
        .args(["ledger", "verify"])
        .output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("VIOLATION transaction PAY-1 is failed but it has a posted charge"),
        "{stdout}"
    );
    Ok(())
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

    /// Whatever the queue's query string holds: an answer below 500.
    #[test]
    fn queue_parameters_never_cause_a_server_error(
        view in "\\PC{0,12}|mine|unassigned|all|breaching",
        status in "\\PC{0,10}|open|pending",
        category in "\\PC{0,10}|refund_not_received",
        priority in "\\PC{0,8}|urgent",
        assignee in "\\PC{0,8}|none|[0-9]{1,25}",
        currency in "\\PC{0,6}|CNY|usdt",
        q in "\\PC{0,30}|RD-[0-9]{1,20}|TX[0-9]{0,30}|[\\x00-\\x1f]{1,3}[a-z]{0,3}",
        sort in "\\PC{0,8}|sla|priority|updated",
        after in "\\PC{0,40}|[0-9a-f:,.-]{0,40}|[\\x00-\\x1f]{1,3}",
    ) {
        let app = queue_app();
        let query = serde_urlencoded::to_string([
            ("view", view), ("status", status), ("category", category), ("priority", priority),
            ("assignee", assignee), ("currency", currency), ("q", q), ("sort", sort), ("after", after),
        ]).unwrap_or_default();
        let status = app.get(&format!("/agent/tickets?{query}")).status().as_u16();
        proptest::prop_assert!(status < 500, "{query}: {status}");
    }
}

/// One signed-in desk with a few tickets, shared by the property cases.
fn queue_app() -> &'static TestApp {
    static APP: std::sync::OnceLock<TestApp> = std::sync::OnceLock::new();
    APP.get_or_init(|| {
        let app = desk();
        let bo = agent_actor(&app, "bo@example.com");
        crate::helpers::funded_wallet(&mut app.db.conn(), 1, 0);
        for n in 0..3 {
            open_ticket(&app, &bo, new_ticket(1, &format!("Queue {n} 退款")));
        }
        app
    })
}

/// A `redress serve` process of its own, stopped when dropped.
struct Instance {
    child: std::process::Child,
    browser: Browser,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Instance {
    fn start(db: &TestDb, secret: &str) -> Instance {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|address| address.port())
            .expect("a free port");
        let child = redress_command(db)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env("REDRESS_SECRET", secret)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redress serve starts");
        let instance = Instance {
            child,
            browser: Browser::new(format!("http://127.0.0.1:{port}")),
        };
        let started = std::time::Instant::now();
        while started.elapsed() < std::time::Duration::from_secs(60) {
            if let Ok(response) = instance
                .browser
                .client
                .get(instance.browser.url("/healthz"))
                .send()
                && response.status() == 200
            {
                return instance;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("redress serve on port {port} did not become healthy");
    }
}

/// What one request of the burst was, and how it was answered.
#[derive(Debug, Clone)]
struct Answer {
    what: String,
    status: u16,
    body: String,
}

#[test]
fn two_instances_on_one_database_keep_the_money_exact() -> TestResult {
    let db = TestDb::new();
    cli_succeeds(&db, &["migrate"]);
    let token = {
        let output = redress_command(&db)
            .args(["token", "create", "--name", "platform"])
            .output()?;
        String::from_utf8(output.stdout)?.trim().to_owned()
    };
    add_test_agent(&db, "bo@example.com", "Bo Agent", Role::Agent);
    add_test_agent(&db, "su@example.com", "Su Supervisor", Role::Supervisor);
    let secret = "a shared secret of at least thirty-two characters";
    let instances = [Instance::start(&db, secret), Instance::start(&db, secret)];
    let client = reqwest::blocking::Client::new();
    let api = |n: usize, path: &str| instances[n % 2].browser.url(path);

    // The world before the burst, each record through one instance or the other.
    let customer = r#"{"email": "lin@example.com", "name": "林美", "locale": "zh-CN"}"#;
    let put_customer = |n: usize, reference: &str| {
        client
            .put(api(n, &format!("/api/v1/customers/{reference}")))
            .bearer_auth(&token)
            .header("Content-Type", "application/json")
            .body(customer.replace("lin@", &format!("{reference}@")))
            .send()
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    };
    assert_eq!(put_customer(0, "CU-1"), 201);
    let setup = [
        record("TU-1", "CU-1", "top_up", "completed", "1000.00"),
        record("PAY-1", "CU-1", "payment", "completed", "100.00"),
        record("PAY-P", "CU-1", "payment", "pending", "50.00"),
    ];
    for (n, body) in setup.iter().enumerate() {
        assert_eq!(
            post_json(&client, &api(n, "/api/v1/transactions"), &token, body).0,
            201
        );
    }
    for n in 1..=10 {
        let body = record(
            &format!("PAY-Y{n}"),
            "CU-1",
            "payment",
            "completed",
            "10.00",
        );
        assert_eq!(
            post_json(&client, &api(n, "/api/v1/transactions"), &token, &body).0,
            201
        );
    }
    // A ticket two agents will change at once, one on each instance.
    let ticket = {
        let mut conn = db.conn();
        let settings = redress::tickets::sla::load(&mut conn)?;
        let customer: redress::domain::CustomerId = customers::table
            .filter(customers::external_ref.eq("CU-1"))
            .select(customers::id)
            .first(&mut conn)?;
        let (id, name, role) = redress::db::schema::agents::table
            .filter(redress::db::schema::agents::email.eq("su@example.com"))
            .select((
                redress::db::schema::agents::id,
                redress::db::schema::agents::name,
                redress::db::schema::agents::role,
            ))
            .first(&mut conn)?;
        let actor = redress::tickets::service::Actor { id, name, role };
        redress::tickets::service::open(
            &mut conn,
            &settings,
            &actor,
            new_ticket(customer.0, "Charged twice"),
        )?
    };
    let ticket_path = format!("/agent/tickets/{}", ticket.id.reference());
    let desks: Vec<(Browser, String)> = instances
        .iter()
        .zip(["bo@example.com", "su@example.com"])
        .map(|(instance, email)| {
            let browser = Browser::new(instance.browser.address.clone());
            browser.sign_in_ok(email);
            let csrf = browser.csrf(&ticket_path);
            (browser, csrf)
        })
        .collect();

    // The burst: everything below is released at once, spread over both.
    type Request = Box<dyn FnOnce() -> Answer + Send>;
    let mut requests: Vec<Request> = Vec::new();
    let json_request = |n: usize, path: String, body: Value, what: String| -> Request {
        let (client, token, url) = (client.clone(), token.clone(), api(n, &path));
        Box::new(move || {
            let (status, body) = post_json(&client, &url, &token, &body);
            Answer {
                what,
                status,
                body: body.to_string(),
            }
        })
    };
    for n in 0..20 {
        requests.push(json_request(
            n,
            "/api/v1/transactions".into(),
            record("TX-SAME", "CU-1", "top_up", "completed", "5.00"),
            "same record".into(),
        ));
    }
    for n in 1..=10 {
        let mut body = record(&format!("RF-{n}"), "CU-1", "refund", "completed", "20.00");
        body["original"] = json!("PAY-1");
        requests.push(json_request(
            n,
            "/api/v1/transactions".into(),
            body,
            "over-refund".into(),
        ));
    }
    for (n, status) in ["completed", "failed"].into_iter().enumerate() {
        requests.push(json_request(
            n,
            "/api/v1/transactions/PAY-P/status".into(),
            json!({ "status": status }),
            "pending payment".into(),
        ));
    }
    for n in 1..=10 {
        requests.push(json_request(
            n,
            "/api/v1/transactions".into(),
            record(
                &format!("PAY-X{n}"),
                "CU-1",
                "payment",
                "completed",
                "10.00",
            ),
            "payment".into(),
        ));
        let mut body = record(&format!("RF-Y{n}"), "CU-1", "refund", "completed", "10.00");
        body["original"] = json!(format!("PAY-Y{n}"));
        requests.push(json_request(
            n + 1,
            "/api/v1/transactions".into(),
            body,
            "refund".into(),
        ));
    }
    for n in 0..2 {
        let (client, token, url) = (
            client.clone(),
            token.clone(),
            api(n, "/api/v1/customers/CU-NEW"),
        );
        requests.push(Box::new(move || {
            let response = client
                .put(url)
                .bearer_auth(&token)
                .header("Content-Type", "application/json")
                .body(r#"{"email": "new@example.com", "name": "New", "locale": "en"}"#)
                .send();
            let (status, body) = match response {
                Ok(r) => (r.status().as_u16(), r.text().unwrap_or_default()),
                Err(e) => (0, e.to_string()),
            };
            Answer {
                what: "new customer".into(),
                status,
                body,
            }
        }));
    }
    let version = ticket.version.to_string();
    for (browser, csrf) in desks {
        let (path, version) = (format!("{ticket_path}/fields"), version.clone());
        requests.push(Box::new(move || {
            let response = browser.post_form(
                &path,
                &csrf,
                &[
                    ("status", "pending"),
                    ("priority", ""),
                    ("category", ""),
                    ("assignee", ""),
                    ("version", &version),
                ],
            );
            // The desk answers both with a redirect (post/redirect/get);
            // the page it sends each to says whether it was done.
            let status = response.status().as_u16();
            let page = browser.page(&location(&response));
            let outcome = if !select(&page, ".error").is_empty() {
                "refused"
            } else if !select(&page, ".notice").is_empty() {
                "done"
            } else {
                "unsaid"
            };
            Answer {
                what: "ticket change".into(),
                status,
                body: outcome.into(),
            }
        }));
    }
    let barrier = Arc::new(Barrier::new(requests.len()));
    let threads: Vec<_> = requests
        .into_iter()
        .map(|request| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                request()
            })
        })
        .collect();
    let answers: Vec<Answer> = threads
        .into_iter()
        .map(|t| t.join().expect("a request thread"))
        .collect();

    assert!(
        answers.iter().all(|a| (200..500).contains(&a.status)),
        "no 5xx: {:?}",
        answers
            .iter()
            .filter(|a| a.status >= 500 || a.status < 200)
            .map(|a| format!("{} {} {}", a.what, a.status, a.body))
            .collect::<Vec<_>>()
    );
    let statuses = |what: &str| {
        let mut found: Vec<u16> = answers
            .iter()
            .filter(|a| a.what == what)
            .map(|a| a.status)
            .collect();
        found.sort_unstable();
        found
    };
    let mut same = vec![200; 19];
    same.insert(0, 201);
    same.sort_unstable();
    assert_eq!(statuses("same record"), same);
    assert_eq!(
        statuses("over-refund"),
        [vec![201; 5], vec![422; 5]].concat(),
        "{answers:?}"
    );
    assert_eq!(statuses("pending payment"), vec![200, 409], "{answers:?}");
    assert_eq!(statuses("payment"), vec![201; 10]);
    assert_eq!(statuses("refund"), vec![201; 10]);
    assert_eq!(statuses("new customer"), vec![200, 201]);
    assert_eq!(statuses("ticket change"), vec![303, 303]);
    let mut outcomes: Vec<&str> = answers
        .iter()
        .filter(|a| a.what == "ticket change")
        .map(|a| a.body.as_str())
        .collect();
    outcomes.sort_unstable();
    assert_eq!(
        outcomes,
        ["done", "refused"],
        "one change wins, the other is told"
    );

    // The money: exact, whichever way the pending payment went.
    let mut conn = db.conn();
    let pending_status: String = transactions::table
        .filter(transactions::reference.eq("PAY-P"))
        .select(transactions::status)
        .first(&mut conn)?;
    // In fen: the top-up and the same record once, less ten new payments
    // (the refunds of PAY-1 and PAY-Y* give back what those took).
    let expected = 100_000 + 500
        - 10 * 1_000
        - if pending_status == "completed" {
            5_000
        } else {
            0
        };
    let wallet: (i64, i64) = redress::db::schema::ledger_accounts::table
        .filter(redress::db::schema::ledger_accounts::code.like("wallet:%:CNY"))
        .select((
            redress::db::schema::ledger_accounts::credits_posted,
            redress::db::schema::ledger_accounts::debits_posted,
        ))
        .first(&mut conn)?;
    assert_eq!(wallet.0 - wallet.1, expected, "PAY-P is {pending_status}");
    let refunded: i64 = transactions::table
        .filter(transactions::reference.like("RF-%"))
        .filter(transactions::reference.not_like("RF-Y%"))
        .count()
        .get_result(&mut conn)?;
    assert_eq!(refunded, 5);
    drop(conn);
    drop(instances);
    cli_succeeds(&db, &["ledger", "verify"]);
    cli_succeeds(&db, &["audit", "verify"]);
    Ok(())
}
