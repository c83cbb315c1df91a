//! The wallet user's pages over HTTP: help, the dispute form (every field
//! refused on its own, the limits, CSRF), intake, the instant diagnosis,
//! tracking and replies, and evidence on the agent's side.

use crate::desk_tickets::desk;
use crate::helpers::*;
use diesel::prelude::*;
use redress::db::schema::{attachments, customers, outbox_emails, ticket_events, tickets};
use redress::domain::*;
use redress::platform::transactions::{TransactionRecord, record_transaction};
use reqwest::blocking::multipart::{Form, Part};
use sha2::{Digest, Sha256};

/// The smallest PNG signature the content check accepts.
const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
const PDF: &[u8] = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n";

fn record(app: &TestApp, record: TransactionRecord) {
    record_transaction(&mut app.db.conn(), &record)
        .unwrap_or_else(|e| panic!("{} is recorded: {e}", record.reference));
}

/// Customer 1 (customer1@example.com) paid PAY-1 of 120.00 CNY, refunded
/// by RF-1 today (pending, inside its window).
pub(crate) fn payment_with_refund(app: &TestApp) {
    funded_wallet(&mut app.db.conn(), 1, 50_000);
    let payment =
        |reference: &str, kind: &str, status: &str, original: Option<&str>| TransactionRecord {
            reference: reference.into(),
            customer: "CU-T1".into(),
            kind: kind.into(),
            status: status.into(),
            method: "bank_card".into(),
            amount: "120.00".into(),
            currency: "CNY".into(),
            original: original.map(str::to_owned),
            ..TransactionRecord::default()
        };
    record(app, payment("PAY-1", "payment", "completed", None));
    record(app, payment("RF-1", "refund", "pending", Some("PAY-1")));
}

/// Buyer customer 1 paid for trade P2P-1 (500 USDT from seller customer 2),
/// whose coins wait in escrow.
fn held_trade(app: &TestApp) {
    funded_wallet(&mut app.db.conn(), 2, 0);
    funded_wallet(&mut app.db.conn(), 1, 0);
    record(
        app,
        TransactionRecord {
            reference: "TU-S".into(),
            customer: "CU-T2".into(),
            kind: "top_up".into(),
            status: "completed".into(),
            method: "bank_card".into(),
            amount: "800".into(),
            currency: "USDT".into(),
            ..TransactionRecord::default()
        },
    );
    record(
        app,
        TransactionRecord {
            reference: "P2P-1".into(),
            customer: "CU-T1".into(),
            kind: "p2p_trade".into(),
            status: "awaiting_release".into(),
            method: "crypto".into(),
            amount: "500".into(),
            currency: "USDT".into(),
            counterparty_customer: Some("CU-T2".into()),
            seller: Some("CU-T2".into()),
            ..TransactionRecord::default()
        },
    );
}

fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

/// A form as a user fills it; `files` as (name, type, bytes).
fn form(fields: &[(&str, &str)], files: &[(&str, &str, Vec<u8>)], csrf: &str) -> Form {
    let mut form = Form::new().text("csrf_token", csrf.to_owned());
    for (name, value) in fields {
        form = form.text((*name).to_owned(), (*value).to_owned());
    }
    for (name, content_type, bytes) in files {
        let part = Part::bytes(bytes.clone())
            .file_name((*name).to_owned())
            .mime_str(content_type)
            .expect("a type");
        form = form.part("evidence", part);
    }
    form
}

/// The fields of a good refund dispute of customer 1 about PAY-1.
fn good_fields() -> Vec<(&'static str, String)> {
    vec![
        ("category", "refund_not_received".into()),
        ("email", "Customer1@Example.com".into()),
        ("name", "王芳".into()),
        ("reference", "PAY-1".into()),
        ("amount", "120.00".into()),
        ("currency", "CNY".into()),
        ("date", today()),
        ("description", "退款一直没有到账。".into()),
        ("consent", "yes".into()),
    ]
}

fn with(fields: &[(&'static str, String)], name: &str, value: &str) -> Vec<(&'static str, String)> {
    fields
        .iter()
        .map(|(n, v)| {
            (
                *n,
                if *n == name {
                    value.to_owned()
                } else {
                    v.clone()
                },
            )
        })
        .collect()
}

/// The form page's token (its cookie is kept by the browser).
fn csrf(browser: &Browser) -> String {
    let page = scraper::Html::parse_document(&browser.get("/disputes/new").text().expect("a page"));
    select(&page, "input[name=csrf_token]")[0]
        .value()
        .attr("value")
        .expect("a token")
        .to_owned()
}

fn submit(
    browser: &Browser,
    fields: &[(&'static str, String)],
    files: &[(&str, &str, Vec<u8>)],
) -> reqwest::blocking::Response {
    let token = csrf(browser);
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
    browser
        .client
        .post(browser.url("/disputes"))
        .multipart(form(&pairs, files, &token))
        .send()
        .expect("the server answers")
}

/// What a refused form page says at each field.
fn field_errors(response: reqwest::blocking::Response) -> Vec<(String, String)> {
    let page = scraper::Html::parse_document(&response.text().expect("a page"));
    select(&page, ".field-error")
        .into_iter()
        .map(|e| {
            (
                e.value().attr("id").unwrap_or_default().to_owned(),
                text_of(e),
            )
        })
        .collect()
}

/// Rows that a filing creates, counted.
fn created(app: &TestApp) -> [i64; 5] {
    let mut conn = app.db.conn();
    let count = |n: QueryResult<i64>| n.expect("a count");
    [
        count(tickets::table.count().get_result(&mut conn)),
        count(customers::table.count().get_result(&mut conn)),
        count(attachments::table.count().get_result(&mut conn)),
        count(outbox_emails::table.count().get_result(&mut conn)),
        count(ticket_events::table.count().get_result(&mut conn)),
    ]
}

/// The token of the tracking link in the newest "dispute received" mail:
/// the only place it is written.
fn mailed_token(app: &TestApp) -> String {
    let body: String = outbox_emails::table
        .filter(outbox_emails::template.eq("dispute_received"))
        .order(outbox_emails::id.desc())
        .select(outbox_emails::body_text)
        .first(&mut app.db.conn())
        .expect("a dispute-received mail");
    let start = body.find("/track/").expect("a tracking link") + "/track/".len();
    body[start..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect()
}

fn evidence_files(app: &TestApp) -> usize {
    std::fs::read_dir(app.db.dir.path().join("data/evidence"))
        .map(|dir| dir.count())
        .unwrap_or(0)
}

fn location(response: &reqwest::blocking::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn chinese(app: &TestApp) -> Browser {
    let browser = app.browser();
    assert_eq!(browser.get("/language?to=zh-CN&next=/").status(), 303);
    browser
}

#[test]
fn help_pages_speak_the_browsers_language_and_lead_to_the_form() -> TestResult {
    let app = TestApp::start();
    let english = app.browser();
    let page = scraper::Html::parse_document(&english.get("/").text()?);
    assert_eq!(
        select(&page, "#help-cards li").len(),
        10,
        "nine problems and something else"
    );
    assert_eq!(
        text_of(select(&page, "h1")[0]),
        "Get help with a payment problem"
    );

    let zh = app
        .client
        .get(app.url("/help/refund-not-received"))
        .header("Accept-Language", "zh-CN,zh;q=0.9,en;q=0.5")
        .send()?;
    let page = scraper::Html::parse_document(&zh.text()?);
    assert_eq!(text_of(select(&page, "h1")[0]), "退款一直没到账");
    assert!(text_of(select(&page, "#help-timing")[0]).contains("3–5 个工作日"));
    assert_eq!(
        select(&page, "#file-dispute")[0].value().attr("href"),
        Some("/disputes/new?category=refund_not_received")
    );

    // The switch is remembered, and only ever leads back into this site.
    let browser = app.browser();
    let switched = browser.get("/language?to=zh-CN&next=/help/top-up-failed");
    assert_eq!(switched.status(), 303);
    assert_eq!(location(&switched), "/help/top-up-failed");
    let page =
        scraper::Html::parse_document(&browser.get("/disputes/new?category=top_up_failed").text()?);
    assert_eq!(text_of(select(&page, "h1")[0]), "提交申诉");
    assert_eq!(
        select(&page, "#field-category option[selected]")[0]
            .value()
            .attr("value"),
        Some("top_up_failed")
    );
    for away in [
        "//evil.example/x",
        "/%09/evil.example",
        "https://evil.example",
        "/%01",
    ] {
        let answer = browser.get(&format!("/language?to=en&next={away}"));
        assert_eq!(location(&answer), "/", "{away}");
    }

    // A missing page leads back to help, not to the desk.
    let missing = english.get("/help/no-such-problem");
    assert_eq!(missing.status(), 404);
    let page = scraper::Html::parse_document(&missing.text()?);
    assert!(select(&page, "a[href='/agent']").is_empty());
    assert_eq!(select(&page, "main a[href='/']").len(), 1);
    Ok(())
}

#[test]
fn a_dispute_in_chinese_with_two_files_files_everything_in_one_go() -> TestResult {
    let app = TestApp::start();
    payment_with_refund(&app);
    // The customer reads Chinese: the mail follows the customer's language.
    diesel::update(customers::table.find(CustomerId(1)))
        .set(customers::locale.eq(Locale::ZhCn))
        .execute(&mut app.db.conn())?;
    let browser = chinese(&app);
    let before = created(&app);
    let response = submit(
        &browser,
        &good_fields(),
        &[
            ("截图.png", "image/png", PNG.to_vec()),
            ("bank.pdf", "application/pdf", PDF.to_vec()),
        ],
    );
    assert_eq!(response.status(), 303);
    let to = location(&response);
    assert!(to.starts_with("/disputes/filed/"), "{to}");
    let token = mailed_token(&app);
    assert_eq!(token.len(), 64, "256 random bits");
    assert!(!to.contains(&token), "the link goes only by e-mail");
    let after = created(&app);
    assert_eq!(after[0] - before[0], 1, "one ticket");
    assert_eq!(after[1] - before[1], 0, "the customer was known");
    assert_eq!(after[2] - before[2], 2, "two files");
    assert_eq!(after[3] - before[3], 1, "one mail queued");
    assert_eq!(evidence_files(&app), 2);

    let (id, channel, category, transaction, customer): (
        TicketId,
        Channel,
        TicketCategory,
        Option<TransactionId>,
        CustomerId,
    ) = tickets::table
        .order(tickets::id.desc())
        .select((
            tickets::id,
            tickets::channel,
            tickets::category,
            tickets::transaction_id,
            tickets::customer_id,
        ))
        .first(&mut app.db.conn())?;
    assert_eq!(
        (channel, category, customer),
        (
            Channel::WebForm,
            TicketCategory::RefundNotReceived,
            CustomerId(1)
        )
    );
    assert!(
        transaction.is_some(),
        "PAY-1 is customer 1's, so it is linked"
    );
    let shas: Vec<String> = attachments::table
        .filter(attachments::ticket_id.eq(id))
        .order(attachments::id)
        .select(attachments::sha256)
        .load(&mut app.db.conn())?;
    assert_eq!(
        shas,
        [
            hex::encode(Sha256::digest(PNG)),
            hex::encode(Sha256::digest(PDF))
        ]
    );
    let (to_address, subject, text, template): (String, String, String, String) =
        outbox_emails::table
            .filter(outbox_emails::ticket_id.eq(id))
            .select((
                outbox_emails::to_address,
                outbox_emails::subject,
                outbox_emails::body_text,
                outbox_emails::template,
            ))
            .first(&mut app.db.conn())?;
    assert_eq!(
        (to_address.as_str(), template.as_str()),
        ("customer1@example.com", "dispute_received")
    );
    assert!(
        subject.contains(&id.reference()) && subject.contains("我们已收到您的申诉"),
        "{subject}"
    );
    assert!(
        text.contains(&format!("/track/{token}")),
        "the mail holds the link: {text}"
    );
    // The token is stored only hashed.
    let stored: Vec<String> = redress::db::schema::tracking_tokens::table
        .select(redress::db::schema::tracking_tokens::token_hash)
        .load(&mut app.db.conn())?;
    assert_eq!(stored, [hex::encode(Sha256::digest(token.as_bytes()))]);

    // The confirmation: the reference and what is known, in Chinese.
    let page = browser.get(&to);
    assert_eq!(page.status(), 200);
    assert_eq!(
        page.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    assert_eq!(
        page.headers()
            .get("x-robots-tag")
            .and_then(|v| v.to_str().ok()),
        Some("noindex, nofollow")
    );
    let page = scraper::Html::parse_document(&page.text()?);
    assert_eq!(
        text_of(select(&page, "#filed-reference")[0]),
        id.reference()
    );
    assert!(
        select(&page, "#conversation").is_empty(),
        "no conversation here"
    );
    // The mailed link opens the tracking page, no-store and not indexed,
    // with the desk's security headers.
    let tracking = browser.get(&format!("/track/{token}"));
    let header = |name: &str| {
        tracking
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("x-robots-tag"), "noindex, nofollow");
    assert_eq!(header("cache-control"), "no-store");
    assert!(header("content-security-policy").contains("frame-ancestors 'none'"));
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("x-frame-options"), "DENY");
    let tracking = scraper::Html::parse_document(&tracking.text()?);
    assert_eq!(
        text_of(select(&tracking, "#track-reference")[0]),
        id.reference()
    );
    let known: Vec<String> = select(&page, "#diagnosis li")
        .into_iter()
        .map(text_of)
        .collect();
    assert!(
        known
            .iter()
            .any(|line| line.starts_with("120.00 CNY 的退款已于 ") && line.contains("预计")),
        "{known:?}"
    );

    let english = app.browser();
    let page = scraper::Html::parse_document(&english.get(&to).text()?);
    let known: Vec<String> = select(&page, "#diagnosis li")
        .into_iter()
        .map(text_of)
        .collect();
    assert!(
        known.iter().any(
            |line| line.starts_with("A refund of 120.00 CNY was issued on ")
                && line.contains("Refunds take 3–5 business days, so expect it by ")
        ),
        "{known:?}"
    );

    // The same customer about the same transaction while it is open: the
    // second filing joins the first ticket.
    let again = submit(
        &browser,
        &with(&good_fields(), "description", "还是没到"),
        &[],
    );
    assert_eq!(again.status(), 303);
    let page = scraper::Html::parse_document(&browser.get(&location(&again)).text()?);
    assert_eq!(
        text_of(select(&page, "#filed-notice")[0]),
        "已收到，并已加入您关于这笔交易、正在处理中的申诉。"
    );
    assert_eq!(created(&app)[0], after[0], "no second ticket");
    Ok(())
}

/// Fields, files, the field whose error is expected, and its words.
type Case = (
    Vec<(&'static str, String)>,
    Vec<(&'static str, &'static str, Vec<u8>)>,
    &'static str,
    &'static str,
);

#[test]
fn each_bad_field_is_refused_with_its_message_and_nothing_is_created() -> TestResult {
    let app = TestApp::start();
    payment_with_refund(&app);
    funded_wallet(&mut app.db.conn(), 7, 0);
    let browser = app.browser();
    let before = created(&app);
    let good = good_fields();
    let cases: Vec<Case> = vec![
        (
            with(&good, "email", ""),
            vec![],
            "error-email",
            "must not be empty",
        ),
        (
            with(&good, "email", "not-an-address"),
            vec![],
            "error-email",
            "is not an e-mail address",
        ),
        (
            with(&good, "amount", "-5"),
            vec![],
            "error-amount",
            "“-5” is not an amount",
        ),
        (
            with(&good, "amount", "12.3.4"),
            vec![],
            "error-amount",
            "is not an amount",
        ),
        (
            with(&good, "amount", "1.234"),
            vec![],
            "error-amount",
            "CNY amounts have at most 2 decimal places",
        ),
        (
            with(&good, "amount", "99999999999999999999"),
            vec![],
            "error-amount",
            "must be at most",
        ),
        (
            with(&good, "currency", "EUR"),
            vec![],
            "error-currency",
            "“EUR” is not a currency we support",
        ),
        (
            good.clone(),
            (0..6)
                .map(|n| {
                    (
                        ["a.png", "b.png", "c.png", "d.png", "e.png", "f.png"][n],
                        "image/png",
                        PNG.to_vec(),
                    )
                })
                .collect(),
            "error-evidence",
            "at most 5 files are accepted",
        ),
        (
            good.clone(),
            vec![(
                "big.png",
                "image/png",
                [PNG, &vec![0_u8; 8 * 1024 * 1024]].concat(),
            )],
            "error-evidence",
            "it is larger than 5 MB",
        ),
        (
            good.clone(),
            vec![(
                "receipt.png",
                "image/png",
                b"<html><script>alert(1)</script></html>".to_vec(),
            )],
            "error-evidence",
            "“receipt.png” not accepted: it is not a PNG, JPEG or PDF file",
        ),
        (
            with(&good, "reference", "TU-T7"),
            vec![],
            "error-reference",
            "We found no transaction with this reference for this e-mail address",
        ),
        (
            with(&good, "consent", ""),
            vec![],
            "error-consent",
            "we need your consent",
        ),
    ];
    // Customer 7's own top-up, named by customer 1's address.
    record(
        &app,
        TransactionRecord {
            reference: "TU-T7".into(),
            customer: "CU-T7".into(),
            kind: "top_up".into(),
            status: "completed".into(),
            method: "bank_card".into(),
            amount: "10.00".into(),
            currency: "CNY".into(),
            ..TransactionRecord::default()
        },
    );
    let before_tx = created(&app);
    for (fields, files, field, words) in cases {
        let response = submit(&browser, &fields, &files);
        assert_eq!(response.status(), 422, "{field}");
        let errors = field_errors(response);
        assert!(
            errors
                .iter()
                .any(|(id, text)| id == field && text.contains(words)),
            "{field}: {errors:?}"
        );
    }
    assert_eq!(created(&app), before_tx, "nothing was created");
    assert_eq!(before[0], before_tx[0]);
    assert_eq!(evidence_files(&app), 0, "no file was kept");

    // What was typed in any field comes back, escaped, with a summary at
    // the top.
    let mut hostile = with(&good, "email", "x");
    for (n, field) in ["name", "reference", "amount", "description"]
        .into_iter()
        .enumerate()
    {
        hostile = with(&hostile, field, &format!("<script>alert({n})</script>"));
    }
    let response = submit(&browser, &hostile, &[]);
    let html = response.text()?;
    for n in 0..4 {
        assert!(!html.contains(&format!("<script>alert({n})</script>")));
        assert!(
            html.contains(&format!("&#60;script&#62;alert({n})&#60;/script&#62;")),
            "escaped {n}: {html}"
        );
    }
    let page = scraper::Html::parse_document(&html);
    assert_eq!(
        select(&page, "#error-summary a")[0].value().attr("href"),
        Some("#field-email")
    );
    Ok(())
}

#[test]
fn forms_without_a_matching_signed_token_or_from_elsewhere_are_refused() -> TestResult {
    let app = TestApp::start();
    payment_with_refund(&app);
    let pairs: Vec<(&str, String)> = good_fields();
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (*n, v.as_str())).collect();
    // No cookie at all.
    let stranger = app.browser();
    let response = stranger
        .client
        .post(stranger.url("/disputes"))
        .multipart(form(&pairs, &[], "0123456789abcdef0123456789abcdef.00"))
        .send()?;
    assert_eq!(response.status(), 403);
    // A real cookie, but another token in the form.
    let browser = app.browser();
    let token = csrf(&browser);
    let forged = format!("{}.{}", &token[..32], "0".repeat(64));
    let response = browser
        .client
        .post(browser.url("/disputes"))
        .multipart(form(&pairs, &[], &forged))
        .send()?;
    assert_eq!(response.status(), 403);
    // The right token, posted from another site.
    let elsewhere = app.browser_from("https://evil.example");
    let token = csrf(&elsewhere);
    let response = elsewhere
        .client
        .post(elsewhere.url("/disputes"))
        .multipart(form(&pairs, &[], &token))
        .send()?;
    assert_eq!(response.status(), 403);
    assert_eq!(created(&app)[0], 0);
    Ok(())
}

#[test]
fn an_address_may_file_five_disputes_an_hour_and_a_huge_form_gets_a_413_page() -> TestResult {
    let app = TestApp::start();
    let browser = app.browser();
    let fields = |n: usize| {
        vec![
            ("category", "other".to_owned()),
            ("email", format!("user{n}@example.org")),
            ("name", format!("User {n}")),
            ("reference", String::new()),
            ("amount", String::new()),
            ("currency", String::new()),
            ("date", today()),
            ("description", "Something went wrong.".to_owned()),
            ("consent", "yes".to_owned()),
        ]
    };
    for n in 0..5 {
        assert_eq!(
            submit(&browser, &fields(n), &[]).status(),
            303,
            "dispute {n}"
        );
    }
    let refused = submit(&browser, &fields(5), &[]);
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    let page = scraper::Html::parse_document(&refused.text()?);
    assert!(text_of(select(&page, "#form-refusal")[0]).contains("Too many disputes"));
    assert_eq!(created(&app)[0], 5);
    // Each unknown address became a customer of its own.
    let mut emails: Vec<String> = customers::table
        .select(customers::email)
        .load(&mut app.db.conn())?;
    emails.sort();
    assert_eq!(
        emails,
        (0..5)
            .map(|n| format!("user{n}@example.org"))
            .collect::<Vec<_>>()
    );

    let token = csrf(&browser);
    let huge: Vec<(&str, &str, Vec<u8>)> = (0..6)
        .map(|n| {
            (
                ["1.png", "2.png", "3.png", "4.png", "5.png", "6.png"][n],
                "image/png",
                vec![0_u8; 5 * 1024 * 1024],
            )
        })
        .collect();
    let response = browser
        .client
        .post(browser.url("/disputes"))
        .multipart(form(&[("category", "other")], &huge, &token))
        .send()?;
    assert_eq!(response.status(), 413);
    let page = scraper::Html::parse_document(&response.text()?);
    assert!(text_of(select(&page, "main")[0]).contains("larger than"));
    Ok(())
}

#[test]
fn the_diagnosis_reads_a_held_escrow_in_both_languages_and_nothing_of_others() -> TestResult {
    let app = TestApp::start();
    held_trade(&app);
    let fields = vec![
        ("category", "paid_not_released".to_owned()),
        ("email", "customer1@example.com".to_owned()),
        ("name", "Customer 1".to_owned()),
        ("reference", "P2P-1".to_owned()),
        ("amount", String::new()),
        ("currency", String::new()),
        ("date", today()),
        (
            "description",
            "I paid but the coins were not released.".to_owned(),
        ),
        ("consent", "yes".to_owned()),
    ];
    let english = app.browser();
    let response = submit(&english, &fields, &[]);
    let to = location(&response);
    let page = scraper::Html::parse_document(&english.get(&to).text()?);
    let known: Vec<String> = select(&page, "#diagnosis li")
        .into_iter()
        .map(text_of)
        .collect();
    assert!(known.contains(&"Your payment is confirmed and the coins (500.000000 USDT) are held for you. We asked the seller to release them.".to_owned()), "{known:?}");
    assert!(
        text_of(select(&page, "#track-next-step")[0])
            .starts_with("An agent will check this and answer you by ")
    );
    let zh = chinese(&app);
    let page = scraper::Html::parse_document(&zh.get(&to).text()?);
    let known: Vec<String> = select(&page, "#diagnosis li")
        .into_iter()
        .map(text_of)
        .collect();
    assert!(
        known.contains(
            &"您的付款已确认，币（500.000000 USDT）已为您托管。我们已请卖家放币。".to_owned()
        ),
        "{known:?}"
    );

    // Filing with the seller's trade under another address reveals nothing.
    let other = with(
        &with(&fields, "email", "someone@example.net"),
        "reference",
        "TU-S",
    );
    let response = submit(&app.browser(), &other, &[]);
    assert_eq!(response.status(), 422);
    let html = response.text()?;
    assert!(
        !html.contains("800.000000") && !html.contains("Customer 2"),
        "nothing of the transaction shows"
    );
    Ok(())
}

#[test]
fn tracking_opens_only_with_its_token_and_a_reply_reopens_the_ticket() -> TestResult {
    let app = desk();
    payment_with_refund(&app);
    let user = app.browser();
    let response = submit(&user, &with(&good_fields(), "name", "<b>Fang</b>"), &[]);
    assert_eq!(response.status(), 303);
    let token = mailed_token(&app);
    let path = format!("/track/{token}");
    let id: TicketId = tickets::table
        .order(tickets::id.desc())
        .select(tickets::id)
        .first(&mut app.db.conn())?;

    // Wrong and malformed tokens get the page every missing page gets.
    let mut wrong = token.clone();
    wrong.replace_range(..1, if token.starts_with('0') { "1" } else { "0" });
    for bad in [
        format!("/track/{wrong}"),
        "/track/xyz".to_owned(),
        format!("/track/{token}extra"),
    ] {
        let response = app.browser().get(&bad);
        assert_eq!(response.status(), 404, "{bad}");
        assert_eq!(
            text_of(select(&scraper::Html::parse_document(&response.text()?), "h1")[0]),
            text_of(
                select(
                    &scraper::Html::parse_document(&app.browser().get("/no-such-page").text()?),
                    "h1"
                )[0]
            )
        );
    }

    // A query string the page cannot read gets the site's page, not text.
    let response = app.browser().get(&format!("{path}?sent=1&sent=2"));
    assert_eq!(response.status(), 400);
    let page = scraper::Html::parse_document(&response.text()?);
    assert!(
        text_of(select(&page, "section.card p")[0]).contains("The page link is damaged"),
        "{}",
        page.html()
    );

    // The agent solves it; the user's reply opens it again.
    let settings = redress::tickets::sla::load(&mut app.db.conn())?;
    let agent = crate::desk_tickets::agent_actor(&app, "bo@example.com");
    let version = redress::tickets::service::find(&mut app.db.conn(), id)?.version;
    redress::tickets::service::reply(
        &mut app.db.conn(),
        &settings,
        &agent,
        id,
        redress::tickets::service::Reply {
            body: "The refund is on its way.".into(),
            public: true,
            status: Some(TicketStatus::Solved),
            version,
        },
    )?;
    redress::tickets::service::reply(
        &mut app.db.conn(),
        &settings,
        &agent,
        id,
        redress::tickets::service::Reply {
            body: "Internal: bank says Friday".into(),
            public: false,
            status: None,
            version: version + 1,
        },
    )?;
    let page = scraper::Html::parse_document(&user.get(&path).text()?);
    let conversation = text_of(select(&page, "#conversation")[0]);
    assert!(conversation.contains("The refund is on its way."));
    assert!(!conversation.contains("Internal"), "never an internal note");
    assert_eq!(text_of(select(&page, "#track-status")[0]), "Solved");
    let token_field = select(&page, "#reply-form input[name=csrf_token]")[0]
        .value()
        .attr("value")
        .unwrap_or_default()
        .to_owned();
    let reply = Form::new()
        .text("csrf_token", token_field)
        .text("message", "<script>x</script> Still nothing.")
        .part(
            "evidence",
            Part::bytes(PNG.to_vec())
                .file_name("proof.png")
                .mime_str("image/png")?,
        );
    let response = user
        .client
        .post(user.url(&format!("{path}/reply")))
        .multipart(reply)
        .send()?;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), format!("{path}?sent=1"));
    let status: TicketStatus = tickets::table
        .find(id)
        .select(tickets::status)
        .first(&mut app.db.conn())?;
    assert_eq!(status, TicketStatus::Open, "the reply reopened it");

    // The agent sees it, with the file, escaped.
    let response = app
        .client
        .get(app.url(&format!("/agent/tickets/{}", id.reference())))
        .send()?;
    let html = response.text()?;
    assert!(
        html.contains("&#60;script&#62;x&#60;/script&#62; Still nothing.")
            && !html.contains("<script>x")
    );
    assert!(html.contains("&#60;b&#62;Fang&#60;/b&#62;"));
    let page = scraper::Html::parse_document(&html);
    // Listed with its name, type, size and SHA-256.
    let listed = select(&page, "#timeline li.file")
        .into_iter()
        .find(|file| text_of(*file).contains("proof.png"))
        .ok_or("proof.png is listed")?;
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(PNG));
    assert_eq!(listed.value().attr("data-sha256"), Some(sha.as_str()));
    let facts = text_of(listed);
    assert!(
        facts.contains(&format!("PNG image · {} B", PNG.len())) && facts.contains(&sha),
        "{facts}"
    );
    let link = select(&page, "#timeline a.file-name")[0]
        .value()
        .attr("href")
        .unwrap_or_default()
        .to_owned();

    // Agents download it as a file; the public never.
    let download = app.get(&link);
    assert_eq!(download.status(), 200);
    assert_eq!(
        download
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("image/png")
    );
    assert!(
        download
            .headers()
            .get("content-disposition")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("attachment"))
    );
    assert_eq!(
        download
            .headers()
            .get("x-content-type-options")
            .and_then(|v| v.to_str().ok()),
        Some("nosniff")
    );
    assert_eq!(download.bytes()?.as_ref(), PNG);
    let preview = app.get(&format!("{link}/preview"));
    assert_eq!(preview.status(), 200, "a real PNG gets a thumbnail");
    let public = user.get(&link);
    assert_eq!(public.status(), 303, "the public is sent to sign in");
    assert!(location(&public).starts_with("/agent/login"));
    Ok(())
}

#[test]
fn two_filings_about_one_transaction_at_once_make_one_ticket() -> TestResult {
    let app = TestApp::start();
    payment_with_refund(&app);
    let address = app.address.clone();
    let handles: Vec<_> = (0..4)
        .map(|n| {
            let address = address.clone();
            std::thread::spawn(move || {
                let browser = Browser::new(address);
                let fields = with(&good_fields(), "description", &format!("filing {n}"));
                submit(&browser, &fields, &[]).status().as_u16()
            })
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().map_err(|_| "a thread")?, 303);
    }
    let open: i64 = tickets::table.count().get_result(&mut app.db.conn())?;
    assert_eq!(open, 1, "one ticket, the others joined it");
    let messages: i64 = ticket_events::table
        .filter(ticket_events::kind.eq(TicketEventKind::UserMessage))
        .count()
        .get_result(&mut app.db.conn())?;
    assert_eq!(messages, 4);
    Ok(())
}

#[test]
fn guessing_references_counts_toward_the_hourly_limit() -> TestResult {
    let app = TestApp::start();
    payment_with_refund(&app);
    let browser = app.browser();
    for guess in ["PAY-2", "PAY-3", "PAY-4", "PAY-5", "PAY-6"] {
        let response = submit(&browser, &with(&good_fields(), "reference", guess), &[]);
        assert_eq!(response.status(), 422, "{guess}");
    }
    let sixth = submit(&browser, &good_fields(), &[]);
    assert_eq!(sixth.status(), 429, "the right pair comes too late");
    assert_eq!(created(&app)[0], 0);
    Ok(())
}
