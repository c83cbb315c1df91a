//! Playbooks on the ticket page: each step's state and evidence, read from
//! the ledger, the customer and the ticket.

use crate::desk_tickets::{agent_actor, desk};
use crate::helpers::{TestApp, TestResult, funded_wallet, select, text_of};
use diesel::prelude::*;
use redress::db::schema::{ledger_transfers, transactions};
use redress::domain::*;
use redress::i18n::Lang;
use redress::platform::transactions::{TransactionRecord, record_transaction};
use redress::tickets::service::{self, NewTicket};
use redress::tickets::sla;
use std::collections::BTreeMap;
use strum::IntoEnumIterator;

fn record(
    app: &TestApp,
    reference: &str,
    customer: &str,
    kind: &str,
    status: &str,
    amount: &str,
    currency: &str,
) {
    record_transaction(
        &mut app.db.conn(),
        &TransactionRecord {
            reference: reference.into(),
            customer: customer.into(),
            kind: kind.into(),
            status: status.into(),
            method: "bank_card".into(),
            amount: amount.into(),
            currency: currency.into(),
            ..TransactionRecord::default()
        },
    )
    .unwrap_or_else(|e| panic!("{reference} is recorded: {e}"));
}

/// Customer CU-T1 with 500.00 CNY, who paid PAY-1 of 120.00 CNY.
fn customer_with_payment(app: &TestApp) {
    funded_wallet(&mut app.db.conn(), 1, 50_000);
    record(
        app,
        "PAY-1",
        "CU-T1",
        "payment",
        "completed",
        "120.00",
        "CNY",
    );
}

/// Opens a ticket of `category` for customer `customer`, about `transaction`.
fn ticket(
    app: &TestApp,
    customer: i64,
    category: TicketCategory,
    transaction: Option<&str>,
) -> TicketId {
    let bo = agent_actor(app, "bo@example.com");
    let mut conn = app.db.conn();
    let settings = sla::load(&mut conn).expect("SLA settings");
    service::open(
        &mut conn,
        &settings,
        &bo,
        NewTicket {
            customer: CustomerId(customer),
            transaction: transaction.map(str::to_owned),
            category,
            priority: TicketPriority::Normal,
            subject: format!("About {category}"),
            description: String::new(),
        },
    )
    .expect("the ticket opens")
    .id
}

/// Each step on the page: its state and evidence, by key.
fn steps(app: &TestApp, id: TicketId) -> BTreeMap<String, (String, String)> {
    let page = app.page(&format!("/agent/tickets/{}", id.reference()));
    select(&page, "#playbook [data-step]")
        .into_iter()
        .map(|step| {
            let key = step
                .value()
                .attr("data-step")
                .unwrap_or_default()
                .to_owned();
            let state = step
                .value()
                .attr("data-state")
                .unwrap_or_default()
                .to_owned();
            let evidence = select_text(step, ".evidence");
            (key, (state, evidence))
        })
        .collect()
}

/// Moves a transaction and its transfers `hours` into the past.
pub(crate) fn age(app: &TestApp, reference: &str, hours: i64) {
    let mut conn = app.db.conn();
    let id: TransactionId = transactions::table
        .filter(transactions::reference.eq(reference))
        .select(transactions::id)
        .first(&mut conn)
        .expect("the transaction");
    let at = chrono::Utc::now().naive_utc() - chrono::Duration::hours(hours);
    diesel::update(transactions::table.find(id))
        .set(transactions::created_at.eq(at))
        .execute(&mut conn)
        .expect("aged");
    diesel::update(ledger_transfers::table.filter(ledger_transfers::transaction_id.eq(id)))
        .set(ledger_transfers::created_at.eq(at))
        .execute(&mut conn)
        .expect("aged transfers");
}

#[test]
fn refund_not_received_reads_the_refund_and_its_window() -> TestResult {
    let app = desk();
    customer_with_payment(&app);
    let id = ticket(&app, 1, TicketCategory::RefundNotReceived, Some("PAY-1"));
    let found = steps(&app, id);
    assert_eq!(found["refund-issued"].0, "failed");
    assert_eq!(
        found["refund-issued"].1,
        "No refund has been issued for PAY-1."
    );
    assert_eq!(found["refund-window"].0, "not_applicable");
    assert_eq!(
        found["account-normal"],
        ("passed".into(), "The account is active.".into())
    );
    assert_eq!(found["proof-supplied"].0, "pending");
    assert_eq!(found["reissue-refund"].0, "pending");

    let refund = TransactionRecord {
        reference: "RF-1".into(),
        customer: "CU-T1".into(),
        kind: "refund".into(),
        status: "pending".into(),
        method: "bank_card".into(),
        amount: "120.00".into(),
        currency: "CNY".into(),
        original: Some("PAY-1".into()),
        ..TransactionRecord::default()
    };
    record_transaction(&mut app.db.conn(), &refund)?;
    let found = steps(&app, id);
    assert_eq!(found["refund-issued"].0, "passed");
    assert!(
        found["refund-issued"]
            .1
            .starts_with("Refund RF-1 of 120.00 CNY issued "),
        "{}",
        found["refund-issued"].1
    );
    assert!(
        found["refund-issued"]
            .1
            .ends_with("0 business days ago; it is pending.")
    );
    assert_eq!(found["refund-window"].0, "pending");
    assert!(
        found["refund-window"].1.starts_with("Expected by "),
        "{}",
        found["refund-window"].1
    );

    // Twelve days later it is overdue, and the re-issue waits only for proof.
    age(&app, "RF-1", 12 * 24);
    let found = steps(&app, id);
    assert_eq!(found["refund-window"].0, "passed");
    assert!(
        found["refund-window"]
            .1
            .starts_with("Overdue: it was expected by ")
    );
    let page = app.page(&format!("/agent/tickets/{}", id.reference()));
    let waiting = select(&page, "[data-step=reissue-refund] .waiting")
        .first()
        .map(|e| text_of(*e))
        .unwrap_or_default();
    assert_eq!(
        waiting,
        "Waits for: The customer sent the transaction number or proof"
    );
    assert_eq!(
        select(&page, "#playbook .progress")
            .first()
            .map(|e| text_of(*e)),
        Some("3 of 5 steps done".to_owned())
    );
    // The queue shows the same progress on the ticket's row.
    let queue = app.page("/agent/tickets?view=all_open");
    let row_progress: Vec<(String, String)> = select(&queue, "tbody tr")
        .into_iter()
        .map(|row| (select_text(row, "td.ref"), select_text(row, "td.progress")))
        .collect();
    assert!(
        row_progress.contains(&(id.reference(), "3/5".to_owned())),
        "{row_progress:?}"
    );

    // With the proof in, the refund is issued again, to the wallet.
    let before = wallet_balance(&app, 1);
    run_remedy(&app, id, &["proof-supplied"], "reissue-refund");
    assert_eq!(wallet_balance(&app, 1), before + 12_000);
    assert_eq!(status_of(&app, "RF-1"), "failed");
    assert_eq!(status_of(&app, "PAY-1"), "refunded");
    let found = steps(&app, id);
    assert_eq!(found["reissue-refund"].0, "passed");
    let verified = redress::ledger::verify::verify_ledger(&mut app.db.conn())?;
    assert!(verified.is_ok(), "{:?}", verified.violations);

    // A frozen account fails its check, with the reason in words.
    diesel::update(redress::db::schema::customers::table.find(CustomerId(1)))
        .set((
            redress::db::schema::customers::status.eq("frozen"),
            redress::db::schema::customers::status_reason.eq("risk_rule"),
            redress::db::schema::customers::status_changed_at
                .eq(chrono::NaiveDate::from_ymd_opt(2026, 5, 18)
                    .and_then(|d| d.and_hms_opt(6, 0, 0))),
        ))
        .execute(&mut app.db.conn())?;
    let found = steps(&app, id);
    assert_eq!(
        found["account-normal"],
        (
            "failed".into(),
            "The account is frozen since 2026-05-18 (a risk rule).".into()
        )
    );
    Ok(())
}

/// A seller CU-T2 with USDT, and a P2P trade to buyer CU-T1 awaiting release.
fn trade_awaiting_release(app: &TestApp) {
    trade_awaiting_release_between(app, 2, 1);
}

#[test]
fn paid_not_released_reads_the_escrow_and_its_age() -> TestResult {
    let app = desk();
    trade_awaiting_release(&app);
    let id = ticket(&app, 1, TicketCategory::PaidNotReleased, Some("P2P-1"));
    let found = steps(&app, id);
    assert_eq!(found["escrow-held"].0, "passed");
    assert!(
        found["escrow-held"]
            .1
            .starts_with("Escrow hold of 500.000000 USDT pending since ")
            && found["escrow-held"].1.ends_with(", for 0m."),
        "{}",
        found["escrow-held"].1
    );
    assert_eq!(found["release-delay"].0, "pending");
    assert_eq!(
        found["buyer-not-frozen"],
        ("passed".into(), "Customer 1's wallet can receive.".into())
    );

    age(&app, "P2P-1", 26);
    let found = steps(&app, id);
    assert!(
        found["escrow-held"].1.ends_with(", for 1d 2h."),
        "{}",
        found["escrow-held"].1
    );
    assert_eq!(found["release-delay"].0, "passed");
    assert!(
        found["release-delay"]
            .1
            .ends_with("1d 2h ago; sellers usually release within 30m."),
        "{}",
        found["release-delay"].1
    );
    // The release waits for the payment evidence; the return for contact.
    let page = app.page(&format!("/agent/tickets/{}", id.reference()));
    assert_eq!(
        select(&page, "[data-step=release][data-kind=remedy]").len(),
        1
    );
    assert_eq!(
        select(&page, "[data-step=return-to-seller][data-kind=remedy]").len(),
        1
    );
    assert!(
        select(&page, "form[data-remedy]").is_empty(),
        "both still wait"
    );
    Ok(())
}

#[test]
fn evidence_reads_in_chinese_too() -> TestResult {
    let app = desk();
    trade_awaiting_release(&app);
    let id = ticket(&app, 1, TicketCategory::PaidNotReleased, Some("P2P-1"));
    let mut conn = app.db.conn();
    let settings = sla::load(&mut conn)?;
    let row = redress::db::models::Ticket::find(&mut conn, id)?.ok_or("the ticket")?;
    let now = sla::now();
    let chinese = redress::playbooks::view(&mut conn, &row, &settings.calendar, now, Lang::Zh)?
        .ok_or("a playbook")?;
    let escrow = chinese
        .steps
        .iter()
        .find(|s| s.key == "escrow-held")
        .ok_or("the step")?;
    assert_eq!(
        (escrow.title.as_str(), escrow.state_text.as_str()),
        ("币已由平台托管", "通过")
    );
    let evidence = escrow.evidence.clone().unwrap_or_default();
    assert!(
        evidence.starts_with("托管冻结 500.000000 USDT，自 ") && evidence.ends_with("已 0分钟。"),
        "{evidence}"
    );

    funded_wallet(&mut conn, 3, 50_000);
    drop(conn);
    record(
        &app,
        "PAY-3",
        "CU-T3",
        "payment",
        "completed",
        "120.00",
        "CNY",
    );
    let id = ticket(&app, 3, TicketCategory::PaymentCancelled, Some("PAY-3"));
    let mut conn = app.db.conn();
    let row = redress::db::models::Ticket::find(&mut conn, id)?.ok_or("the ticket")?;
    let chinese = redress::playbooks::view(&mut conn, &row, &settings.calendar, now, Lang::Zh)?
        .ok_or("a playbook")?;
    let status = chinese
        .steps
        .iter()
        .find(|s| s.key == "payment-cancelled")
        .ok_or("the step")?;
    assert_eq!(status.state, "failed");
    assert!(
        status
            .evidence
            .clone()
            .unwrap_or_default()
            .ends_with("状态：已完成。")
    );
    let charged = chinese
        .steps
        .iter()
        .find(|s| s.key == "payment-charged")
        .ok_or("the step")?;
    assert!(
        charged
            .evidence
            .clone()
            .unwrap_or_default()
            .contains("扣款 120.00 CNY")
    );
    Ok(())
}

#[test]
fn every_category_shows_its_playbook_in_words() -> TestResult {
    let app = desk();
    funded_wallet(&mut app.db.conn(), 1, 0);
    for category in TicketCategory::iter() {
        let id = ticket(&app, 1, category, None);
        let page = app.page(&format!("/agent/tickets/{}", id.reference()));
        let found = select(&page, "#playbook [data-step]");
        let expected = redress::playbooks::for_category(category).map_or(0, |p| p.steps.len());
        assert_eq!(found.len(), expected, "{category}");
        for step in found {
            let state = step.value().attr("data-state").unwrap_or_default();
            assert!(
                ["passed", "failed", "pending", "skipped", "not_applicable"].contains(&state),
                "{category}: {state}"
            );
            let title = select_text(step, ".step-title");
            assert!(
                !title.is_empty() && !title.starts_with("step-"),
                "{category}: {title}"
            );
        }
    }
    // Without a transaction the transaction checks say so.
    let id = ticket(&app, 1, TicketCategory::WithdrawalDelayed, None);
    let found = steps(&app, id);
    assert_eq!(
        found["withdrawal-pending"],
        (
            "not_applicable".into(),
            "No transaction is linked to this ticket.".into()
        )
    );
    Ok(())
}

fn select_text(element: scraper::ElementRef<'_>, css: &str) -> String {
    let selector = scraper::Selector::parse(css).expect("a selector");
    element
        .select(&selector)
        .next()
        .map(text_of)
        .unwrap_or_default()
}

#[test]
fn agents_mark_manual_steps_with_notes_timeline_and_audit() -> TestResult {
    use redress::db::schema::{audit_log, customers, ticket_events};
    let app = desk();
    funded_wallet(&mut app.db.conn(), 1, 0);
    diesel::update(customers::table.find(CustomerId(1)))
        .set((
            customers::status.eq("frozen"),
            customers::status_reason.eq("risk_rule"),
            customers::identity_verified.eq(false),
        ))
        .execute(&mut app.db.conn())?;
    let id = ticket(&app, 1, TicketCategory::AccountFrozen, None);
    let path = format!("/agent/tickets/{}", id.reference());
    let csrf = app.csrf(&path);
    let events = |app: &TestApp| -> i64 {
        ticket_events::table
            .filter(ticket_events::ticket_id.eq(id))
            .count()
            .get_result(&mut app.db.conn())
            .unwrap_or(-1)
    };
    let before = events(&app);

    // Refused: a skip without a note, an auto step, a step of no playbook.
    for (key, state, note, message) in [
        (
            "password-changed",
            "skipped",
            "",
            "say why the step is skipped: a skip needs a note",
        ),
        (
            "freeze-reason",
            "passed",
            "",
            "this ticket's playbook has no step 'freeze-reason' an agent marks",
        ),
        (
            "no-such-step",
            "passed",
            "",
            "this ticket's playbook has no step 'no-such-step' an agent marks",
        ),
        (
            "password-changed",
            "passed",
            "bad\u{0}note",
            "The note must not contain control characters or line breaks.",
        ),
    ] {
        let response = app.post_form(
            &format!("{path}/steps/{key}"),
            &csrf,
            &[("state", state), ("note", note)],
        );
        let page = app.refused_page(response);
        assert_eq!(
            select(&page, ".error").first().map(|e| text_of(*e)),
            Some(message.to_owned())
        );
    }
    assert_eq!(events(&app), before, "refusals write nothing");
    let response = app.post_form(
        &format!("{path}/steps/password-changed"),
        &csrf,
        &[("state", "maybe")],
    );
    assert_eq!(response.status(), 400);

    let response = app.post_form(
        &format!("{path}/steps/identity-verified"),
        &csrf,
        &[
            ("state", "passed"),
            ("note", "Checked the passport on a video call"),
        ],
    );
    assert_eq!(response.status(), 303);
    let verified: bool = customers::table
        .find(CustomerId(1))
        .select(customers::identity_verified)
        .first(&mut app.db.conn())?;
    assert!(verified, "identity verified sets the customer's flag");
    let found = steps(&app, id);
    assert_eq!(found["identity-verified"].0, "passed");
    assert!(
        found["identity-verified"].1.starts_with("Bo Agent, ")
            && found["identity-verified"]
                .1
                .ends_with(": Checked the passport on a video call"),
        "{}",
        found["identity-verified"].1
    );
    let page = app.page(&path);
    assert_eq!(
        select(&page, "[data-step=unfreeze] .waiting")
            .first()
            .map(|e| text_of(*e)),
        Some("Waits for: Password change confirmed".to_owned())
    );
    assert_eq!(
        select(&page, "#timeline [data-kind=playbook_step]").len(),
        1,
        "the mark is on the timeline"
    );

    // A skip with its reason; marked again, the step keeps the last mark.
    assert_eq!(
        app.post_form(
            &format!("{path}/steps/password-changed"),
            &csrf,
            &[
                ("state", "skipped"),
                ("note", "The customer uses a hardware key")
            ],
        )
        .status(),
        303
    );
    assert_eq!(steps(&app, id)["password-changed"].0, "skipped");
    assert_eq!(
        app.post_form(
            &format!("{path}/steps/password-changed"),
            &csrf,
            &[("state", "passed")]
        )
        .status(),
        303
    );
    assert_eq!(steps(&app, id)["password-changed"].0, "passed");
    let audited: Vec<(String, Option<String>)> = audit_log::table
        .filter(audit_log::action.eq("playbook.step"))
        .order(audit_log::id)
        .select((audit_log::action, audit_log::before_json))
        .load(&mut app.db.conn())?;
    assert_eq!(audited.len(), 3);
    assert!(
        audited[2]
            .1
            .as_deref()
            .unwrap_or_default()
            .contains("skipped")
    );
    assert!(
        select(&app.page(&path), "[data-step=unfreeze] .waiting").is_empty(),
        "the unfreeze may run now"
    );
    Ok(())
}

fn wallet_balance(app: &TestApp, customer: i64) -> i64 {
    use redress::db::schema::ledger_accounts;
    ledger_accounts::table
        .filter(ledger_accounts::code.eq(format!("wallet:{customer}:CNY")))
        .select((
            ledger_accounts::credits_posted,
            ledger_accounts::debits_posted,
        ))
        .first::<(i64, i64)>(&mut app.db.conn())
        .map(|(credits, debits)| credits - debits)
        .expect("the wallet")
}

fn set_status(app: &TestApp, reference: &str, status: &str) {
    redress::platform::transactions::update_transaction_status(
        &mut app.db.conn(),
        reference,
        &redress::platform::transactions::TransactionStatusRecord {
            status: status.into(),
            failure_reason: None,
        },
    )
    .expect("the status changes");
}

#[test]
fn a_refund_remedy_is_previewed_then_runs_once_with_its_mail() -> TestResult {
    use redress::db::schema::{audit_log, outbox_emails, ticket_events};
    let app = desk();
    customer_with_payment(&app);
    set_status(&app, "PAY-1", "cancelled");
    let id = ticket(&app, 1, TicketCategory::PaymentCancelled, Some("PAY-1"));
    let path = format!("/agent/tickets/{}", id.reference());
    let page = app.page(&path);
    let form = select(&page, "form[data-remedy=refund]");
    assert_eq!(form.len(), 1, "the refund may run: both checks passed");
    let amount = select(&page, "form[data-remedy=refund] input[name=amount]")[0]
        .value()
        .attr("value")
        .unwrap_or_default()
        .to_owned();
    assert_eq!(amount, "120.00", "prefilled with what is refundable");
    let key_of = |page: &scraper::Html| {
        select(page, "form[data-remedy=refund] input[name=form_key]")[0]
            .value()
            .attr("value")
            .unwrap_or_default()
            .to_owned()
    };
    let after_of = |page: &scraper::Html| {
        select(page, "form[data-remedy=refund] input[name=after]")[0]
            .value()
            .attr("value")
            .unwrap_or_default()
            .to_owned()
    };
    let form_key = key_of(&page);
    let csrf = app.csrf(&path);

    // Too much is refused with what is refundable.
    let response = app.post_form(
        &format!("{path}/remedies/refund/preview"),
        &csrf,
        &[
            ("amount", "200.00"),
            ("reason", "charged after cancel"),
            ("form_key", &form_key),
        ],
    );
    let refusal = app.refused_page(response);
    let message = text_of(select(&refusal, ".error")[0]);
    assert!(
        message.contains("at most 120.00 CNY can still be refunded"),
        "{message}"
    );

    // A malformed amount is refused in words, naming the field.
    let response = app.post_form(
        &format!("{path}/remedies/refund/preview"),
        &csrf,
        &[
            ("amount", "12.345"),
            ("reason", "charged after cancel"),
            ("form_key", &form_key),
        ],
    );
    let refusal = app.refused_page(response);
    let message = text_of(select(&refusal, ".error")[0]);
    assert!(
        message.contains("amount: CNY amounts have at most 2 decimal places"),
        "{message}"
    );

    // The preview shows the exact ledger effect.
    let response = app.post_form(
        &format!("{path}/remedies/refund/preview"),
        &csrf,
        &[
            ("amount", "50.00"),
            ("reason", "charged after cancel"),
            ("form_key", &form_key),
        ],
    );
    assert_eq!(response.status(), 200);
    let preview = scraper::Html::parse_document(&response.text()?);
    let lines: Vec<Vec<String>> = select(&preview, "#remedy-preview tbody tr")
        .into_iter()
        .map(|row| {
            let cells = scraper::Selector::parse("td").expect("a selector");
            row.select(&cells).map(text_of).collect()
        })
        .collect();
    assert_eq!(lines.len(), 2);
    // Accounts read as what they are and whose; the code stays a data
    // attribute. Only the wallet's balance afterwards is shown.
    assert_eq!(
        lines[0],
        ["Merchant settlement", "money leaves", "50.00 CNY", "—"]
    );
    assert_eq!(
        lines[1],
        ["Customer 1", "money arrives", "50.00 CNY", "430.00 CNY"]
    );
    let accounts: Vec<&str> = select(&preview, "#remedy-preview tbody tr")
        .into_iter()
        .filter_map(|row| row.value().attr("data-account"))
        .collect();
    assert_eq!(accounts, ["merchant_settlement:CNY", "wallet:1:CNY"]);
    assert_eq!(
        select(&preview, "#remedy-preview tbody tr a.party")[0]
            .value()
            .attr("href"),
        Some("/agent/customers/1")
    );
    assert_eq!(
        text_of(select(&preview, "#approval")[0]),
        "This remedy runs as soon as you confirm."
    );

    // Confirmed twice at once with the same form: the money moves once.
    let before = wallet_balance(&app, 1);
    let confirm = || {
        app.post_form(
            &format!("{path}/remedies/refund"),
            &csrf,
            &[
                ("amount", "50.00"),
                ("reason", "charged after cancel"),
                ("form_key", &form_key),
            ],
        )
        .status()
        .as_u16()
    };
    let statuses = std::thread::scope(|scope| {
        let first = scope.spawn(confirm);
        let second = scope.spawn(confirm);
        [first.join().unwrap_or(0), second.join().unwrap_or(0)]
    });
    assert_eq!(statuses, [303, 303]);
    assert_eq!(confirm(), 303, "a resubmitted form does nothing more");
    // A second tab, opened before that refund, is out of date.
    let stale = app.post_form(
        &format!("{path}/remedies/refund"),
        &csrf,
        &[
            ("amount", "50.00"),
            ("reason", "charged after cancel"),
            ("form_key", "another-tab"),
            ("after", "0"),
        ],
    );
    let stale = app.refused_page(stale);
    assert_eq!(
        text_of(select(&stale, ".error")[0]),
        "another remedy was proposed on this ticket meanwhile: look at the page again"
    );
    assert_eq!(wallet_balance(&app, 1), before + 5_000);
    // The run's notice waited for the next page: the one the refusal led to.
    assert!(
        select(&stale, ".notice")
            .iter()
            .any(|n| !text_of(*n).is_empty())
    );

    // A second refund of the rest, from a fresh form, finishes the payment.
    let page = app.page(&path);
    let response = app.post_form(
        &format!("{path}/remedies/refund"),
        &csrf,
        &[
            ("amount", "70.00"),
            ("reason", "the rest"),
            ("form_key", &key_of(&page)),
            ("after", &after_of(&page)),
        ],
    );
    assert_eq!(response.status(), 303);
    assert_eq!(wallet_balance(&app, 1), before + 12_000);
    let status: String = transactions::table
        .filter(transactions::reference.eq("PAY-1"))
        .select(transactions::status)
        .first(&mut app.db.conn())?;
    assert_eq!(status, "refunded");
    let page = app.page(&path);
    assert!(
        select(&page, "form[data-remedy=refund]").is_empty() || {
            // Nothing is refundable any more: no amount to prefill.
            select(&page, "form[data-remedy=refund] input[name=amount]").is_empty()
        }
    );

    let kinds: Vec<String> = ticket_events::table
        .filter(ticket_events::ticket_id.eq(id))
        .filter(ticket_events::kind.like("remedy_%"))
        .order(ticket_events::id)
        .select(ticket_events::kind)
        .load(&mut app.db.conn())?;
    assert_eq!(
        kinds,
        [
            "remedy_proposed",
            "remedy_executed",
            "remedy_proposed",
            "remedy_executed"
        ]
    );
    let audited: Vec<String> = audit_log::table
        .filter(audit_log::action.like("remedy.%"))
        .order(audit_log::id)
        .select(audit_log::action)
        .load(&mut app.db.conn())?;
    assert_eq!(
        audited,
        [
            "remedy.propose",
            "remedy.refund",
            "remedy.propose",
            "remedy.refund"
        ]
    );
    let mails: Vec<(String, String, String)> = outbox_emails::table
        .filter(outbox_emails::template.eq("remedy_executed"))
        .select((
            outbox_emails::to_address,
            outbox_emails::subject,
            outbox_emails::body_text,
        ))
        .load(&mut app.db.conn())?;
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[0].0, "customer1@example.com");
    assert_eq!(mails[0].1, "[RD-000001] Your refund has been issued");
    assert!(
        mails[0].2.contains("We have refunded 50.00 CNY for PAY-1")
            && mails[0].2.contains(&format!(
                "so by {} at the latest",
                sla::load(&mut app.db.conn())?
                    .calendar
                    .add_business_days(chrono::Utc::now().naive_utc(), 5)
                    .format("%Y-%m-%d")
            )),
        "{}",
        mails[0].2
    );
    let verified = redress::ledger::verify::verify_ledger(&mut app.db.conn())?;
    assert!(verified.is_ok(), "{:?}", verified.violations);
    Ok(())
}

#[test]
fn remedies_are_refused_until_their_steps_pass_and_big_ones_wait_for_approval() -> TestResult {
    use redress::db::schema::{customers, remedies};
    let app = desk();
    customer_with_payment(&app);
    // The payment was never cancelled: the refund's first step fails.
    let id = ticket(&app, 1, TicketCategory::PaymentCancelled, Some("PAY-1"));
    let path = format!("/agent/tickets/{}", id.reference());
    let csrf = app.csrf(&path);
    assert!(select(&app.page(&path), "form[data-remedy]").is_empty());
    let response = app.post_form(
        &format!("{path}/remedies/refund"),
        &csrf,
        &[
            ("amount", "120.00"),
            ("reason", "by hand"),
            ("form_key", "k1"),
        ],
    );
    let page = app.refused_page(response);
    assert_eq!(
        text_of(select(&page, ".error")[0]),
        "this remedy waits for: The payment was cancelled"
    );
    let proposed: i64 = remedies::table.count().get_result(&mut app.db.conn())?;
    assert_eq!(proposed, 0);
    // The merchant refunding part of a completed payment does not make it
    // a cancelled one.
    record_transaction(
        &mut app.db.conn(),
        &TransactionRecord {
            reference: "RF-M".into(),
            customer: "CU-T1".into(),
            kind: "refund".into(),
            status: "completed".into(),
            method: "bank_card".into(),
            amount: "20.00".into(),
            currency: "CNY".into(),
            original: Some("PAY-1".into()),
            ..TransactionRecord::default()
        },
    )?;
    assert_eq!(steps(&app, id)["payment-cancelled"].0, "failed");
    assert!(select(&app.page(&path), "form[data-remedy]").is_empty());

    // A risk rule's freeze is lifted only with a second person's approval.
    diesel::update(customers::table.find(CustomerId(1)))
        .set((
            customers::status.eq("frozen"),
            customers::status_reason.eq("risk_rule"),
        ))
        .execute(&mut app.db.conn())?;
    let id = ticket(&app, 1, TicketCategory::AccountFrozen, None);
    let path = format!("/agent/tickets/{}", id.reference());
    let csrf = app.csrf(&path);
    for key in ["identity-verified", "password-changed"] {
        assert_eq!(
            app.post_form(
                &format!("{path}/steps/{key}"),
                &csrf,
                &[("state", "passed")]
            )
            .status(),
            303
        );
    }
    let response = app.post_form(
        &format!("{path}/remedies/unfreeze"),
        &csrf,
        &[("reason", "identity checked"), ("form_key", "k2")],
    );
    assert_eq!(response.status(), 303);
    let (status, requires): (String, bool) = remedies::table
        .select((remedies::status, remedies::requires_approval))
        .first(&mut app.db.conn())?;
    assert_eq!((status.as_str(), requires), ("proposed", true));
    let still: String = customers::table
        .find(CustomerId(1))
        .select(customers::status)
        .first(&mut app.db.conn())?;
    assert_eq!(still, "frozen", "nothing changes before the approval");
    Ok(())
}

#[test]
fn a_second_supervisor_approves_with_a_fresh_password_or_rejects() -> TestResult {
    use crate::helpers::{AGENT_PASSWORD, add_test_agent};
    use redress::db::schema::{customers, outbox_emails, remedies};
    let app = desk();
    add_test_agent(&app.db, "ada@example.com", "Ada Admin", Role::Admin);
    funded_wallet(&mut app.db.conn(), 1, 2_000_000);
    diesel::update(customers::table.find(CustomerId(1)))
        .set((
            customers::status.eq("frozen"),
            customers::status_reason.eq("risk_rule"),
        ))
        .execute(&mut app.db.conn())?;
    // Bo (an agent) proposes the unfreeze of a risk rule's freeze.
    let id = ticket(&app, 1, TicketCategory::AccountFrozen, None);
    let path = format!("/agent/tickets/{}", id.reference());
    let csrf = app.csrf(&path);
    for key in ["identity-verified", "password-changed"] {
        app.post_form(
            &format!("{path}/steps/{key}"),
            &csrf,
            &[("state", "passed")],
        );
    }
    assert_eq!(
        app.post_form(
            &format!("{path}/remedies/unfreeze"),
            &csrf,
            &[("reason", "identity checked"), ("form_key", "unfreeze-1")],
        )
        .status(),
        303
    );
    let unfreeze: RemedyId = remedies::table
        .select(remedies::id)
        .first(&mut app.db.conn())?;
    assert_eq!(
        app.get("/agent/approvals").status(),
        403,
        "agents do not approve"
    );
    let bo_csrf = app.csrf(&path);
    assert_eq!(
        app.post_form(
            &format!("/agent/approvals/{unfreeze}/approve"),
            &bo_csrf,
            &[("password", crate::helpers::AGENT_PASSWORD)],
        )
        .status(),
        403,
        "an agent's approval is refused before anything happens"
    );
    // The queue's view and the dashboard find the ticket waiting.
    let queue = app.page("/agent/tickets?view=awaiting_approval");
    let listed: Vec<String> = select(&queue, "a[href^='/agent/tickets/RD-']")
        .into_iter()
        .filter_map(|a| a.value().attr("href").map(str::to_owned))
        .collect();
    assert!(listed.contains(&path), "{listed:?}");
    let dashboard = app.page("/agent");
    assert_eq!(
        select(&dashboard, "#awaiting-approval .stat-value")
            .first()
            .map(|e| text_of(*e)),
        Some("1".to_owned())
    );

    let su = app.browser();
    su.sign_in_ok("su@example.com");
    let page = su.page("/agent/approvals");
    assert_eq!(
        select(&page, &format!("[data-remedy-id='{unfreeze}']")).len(),
        1
    );
    let su_csrf = su.csrf("/agent/approvals");
    let approve =
        |browser: &crate::helpers::Browser, csrf: &str, remedy: RemedyId, password: &str| {
            browser.post_form(
                &format!("/agent/approvals/{remedy}/approve"),
                csrf,
                &[("password", password)],
            )
        };
    // No approval without the password typed again.
    let page = su.refused_page(approve(&su, &su_csrf, unfreeze, ""));
    assert!(text_of(select(&page, ".error")[0]).contains("password"));
    su.refused_page(approve(&su, &su_csrf, unfreeze, "not my password!"));
    let status_of = |remedy: RemedyId| -> String {
        remedies::table
            .find(remedy)
            .select(remedies::status)
            .first(&mut app.db.conn())
            .unwrap_or_default()
    };
    assert_eq!(status_of(unfreeze), "proposed");
    assert_eq!(
        approve(&su, &su_csrf, unfreeze, AGENT_PASSWORD).status(),
        303
    );
    assert_eq!(status_of(unfreeze), "executed");
    let now: String = customers::table
        .find(CustomerId(1))
        .select(customers::status)
        .first(&mut app.db.conn())?;
    assert_eq!(now, "active");
    let subjects: Vec<String> = outbox_emails::table
        .filter(outbox_emails::template.eq("remedy_executed"))
        .select(outbox_emails::subject)
        .load(&mut app.db.conn())?;
    assert_eq!(
        subjects,
        [format!(
            "[{}] Your account has been unfrozen",
            id.reference()
        )]
    );
    // Approving again changes nothing.
    su.refused_page(approve(&su, &su_csrf, unfreeze, AGENT_PASSWORD));

    // Su proposes a refund above the CNY threshold: Su cannot approve it,
    // Ada rejects it, and no money moves.
    record(
        &app,
        "PAY-9",
        "CU-T1",
        "payment",
        "completed",
        "9000.00",
        "CNY",
    );
    set_status(&app, "PAY-9", "cancelled");
    let refund_ticket = ticket(&app, 1, TicketCategory::PaymentCancelled, Some("PAY-9"));
    let refund_path = format!("/agent/tickets/{}", refund_ticket.reference());
    let su_ticket_csrf = su.csrf(&refund_path);
    assert_eq!(
        su.post_form(
            &format!("{refund_path}/remedies/refund"),
            &su_ticket_csrf,
            &[
                ("amount", "9000.00"),
                ("reason", "charged after cancel"),
                ("form_key", "big-1")
            ],
        )
        .status(),
        303
    );
    let big: RemedyId = remedies::table
        .filter(remedies::kind.eq("refund"))
        .select(remedies::id)
        .first(&mut app.db.conn())?;
    assert_eq!(status_of(big), "proposed");
    let before = wallet_balance(&app, 1);
    let page = su.page("/agent/approvals");
    assert!(
        select(&page, &format!("[data-remedy-id='{big}'] form")).is_empty(),
        "no decision forms on one's own proposal"
    );
    su.refused_page(approve(&su, &su_csrf, big, AGENT_PASSWORD));
    assert_eq!(status_of(big), "proposed");
    let ada = app.browser();
    ada.sign_in_ok("ada@example.com");
    let ada_csrf = ada.csrf("/agent/approvals");
    // A rejection says why.
    ada.refused_page(ada.post_form(
        &format!("/agent/approvals/{big}/reject"),
        &ada_csrf,
        &[("reason", "")],
    ));
    assert_eq!(
        ada.post_form(
            &format!("/agent/approvals/{big}/reject"),
            &ada_csrf,
            &[("reason", "the merchant already refunded it")]
        )
        .status(),
        303
    );
    assert_eq!(status_of(big), "rejected");
    assert_eq!(wallet_balance(&app, 1), before);
    let timeline = su.page(&refund_path);
    let decision = select(&timeline, "#timeline [data-kind=remedy_rejected]");
    assert_eq!(
        decision.len(),
        1,
        "the proposer sees the decision on the ticket"
    );
    assert!(text_of(decision[0]).contains("rejected: Refund the payment"));
    assert!(text_of(decision[0]).contains("the merchant already refunded it"));
    assert!(select(&su.page("/agent/approvals"), "[data-remedy-id]").is_empty());
    Ok(())
}

/// Runs the remedy step `step` of ticket `id` from its form, after marking
/// `manual` steps passed; insists it ran.
fn run_remedy(app: &TestApp, id: TicketId, manual: &[&str], step: &str) {
    let path = format!("/agent/tickets/{}", id.reference());
    let csrf = app.csrf(&path);
    for key in manual {
        let response = app.post_form(
            &format!("{path}/steps/{key}"),
            &csrf,
            &[("state", "passed")],
        );
        assert_eq!(response.status(), 303, "{key}");
    }
    let page = app.page(&path);
    let form_key = select(
        &page,
        &format!("[data-step={step}] form[data-remedy] input[name=form_key]"),
    )
    .first()
    .and_then(|input| input.value().attr("value"))
    .unwrap_or_else(|| panic!("{step} has its form"))
    .to_owned();
    let after = select(
        &page,
        &format!("[data-step={step}] form[data-remedy] input[name=after]"),
    )
    .first()
    .and_then(|input| input.value().attr("value"))
    .unwrap_or("0")
    .to_owned();
    let response = app.post_form(
        &format!("{path}/remedies/{step}"),
        &csrf,
        &[
            ("reason", "checked with both sides"),
            ("form_key", &form_key),
            ("after", &after),
        ],
    );
    assert_eq!(response.status(), 303, "{step}");
    let done = app.page(&path);
    assert_eq!(
        select(&done, ".notice").first().map(|n| text_of(*n)),
        Some("Remedy done.".to_owned()),
        "{step}"
    );
    // On the timeline, in the audit log, and in the customer's mail.
    use redress::db::schema::{audit_log, outbox_emails, ticket_events};
    let mut conn = app.db.conn();
    let executed: i64 = ticket_events::table
        .filter(ticket_events::ticket_id.eq(id))
        .filter(ticket_events::kind.eq("remedy_executed"))
        .count()
        .get_result(&mut conn)
        .unwrap_or(0);
    let audited: i64 = audit_log::table
        .filter(audit_log::ticket_id.eq(id))
        .filter(audit_log::action.like("remedy.%"))
        .count()
        .get_result(&mut conn)
        .unwrap_or(0);
    let mailed: i64 = outbox_emails::table
        .filter(outbox_emails::ticket_id.eq(id))
        .filter(outbox_emails::template.eq("remedy_executed"))
        .count()
        .get_result(&mut conn)
        .unwrap_or(0);
    assert_eq!(
        (executed, audited, mailed),
        (1, 2, 1),
        "{step}: proposal and run audited"
    );
}

fn status_of(app: &TestApp, reference: &str) -> String {
    transactions::table
        .filter(transactions::reference.eq(reference))
        .select(transactions::status)
        .first(&mut app.db.conn())
        .unwrap_or_default()
}

fn usdt_available(app: &TestApp, customer: i64) -> i64 {
    use redress::db::schema::ledger_accounts;
    ledger_accounts::table
        .filter(ledger_accounts::code.eq(format!("wallet:{customer}:USDT")))
        .select((
            ledger_accounts::credits_posted,
            ledger_accounts::debits_posted,
            ledger_accounts::debits_pending,
        ))
        .first::<(i64, i64, i64)>(&mut app.db.conn())
        .map(|(credits, debits, held)| credits - debits - held)
        .unwrap_or(0)
}

#[test]
fn every_money_remedy_moves_exactly_what_it_says() -> TestResult {
    use redress::db::schema::customers;
    let app = desk();

    // Paid but not released: the coins go to the buyer.
    trade_awaiting_release(&app);
    let id = ticket(&app, 1, TicketCategory::PaidNotReleased, Some("P2P-1"));
    run_remedy(&app, id, &["payment-evidence"], "release");
    assert_eq!(status_of(&app, "P2P-1"), "released");
    assert_eq!(
        (usdt_available(&app, 1), usdt_available(&app, 2)),
        (500_000_000, 300_000_000)
    );

    // The buyer never paid: the coins go back to the seller.
    record_transaction(
        &mut app.db.conn(),
        &TransactionRecord {
            reference: "P2P-2".into(),
            customer: "CU-T1".into(),
            kind: "p2p_trade".into(),
            status: "pending".into(),
            method: "crypto".into(),
            amount: "100".into(),
            currency: "USDT".into(),
            counterparty_customer: Some("CU-T2".into()),
            seller: Some("CU-T2".into()),
            ..TransactionRecord::default()
        },
    )?;
    assert_eq!(usdt_available(&app, 2), 200_000_000);
    let id = ticket(&app, 2, TicketCategory::CounterpartyUnpaid, Some("P2P-2"));
    run_remedy(
        &app,
        id,
        &["both-contacted", "evidence-collected"],
        "return-to-seller",
    );
    assert_eq!(status_of(&app, "P2P-2"), "cancelled");
    assert_eq!(usdt_available(&app, 2), 300_000_000);

    // A withdrawal stuck past its window comes back to the wallet.
    funded_wallet(&mut app.db.conn(), 3, 100_000);
    record(
        &app,
        "WD-1",
        "CU-T3",
        "withdrawal",
        "pending",
        "400.00",
        "CNY",
    );
    assert_eq!(wallet_balance(&app, 3), 100_000);
    age(&app, "WD-1", 24 * 6);
    let id = ticket(&app, 3, TicketCategory::WithdrawalDelayed, Some("WD-1"));
    run_remedy(&app, id, &[], "reverse-withdrawal");
    assert_eq!(status_of(&app, "WD-1"), "reversed");
    use redress::db::schema::ledger_accounts;
    let held: i64 = ledger_accounts::table
        .filter(ledger_accounts::code.eq("wallet:3:CNY"))
        .select(ledger_accounts::debits_pending)
        .first(&mut app.db.conn())?;
    assert_eq!((wallet_balance(&app, 3), held), (100_000, 0));

    // A failed top-up the bank charged is credited once.
    funded_wallet(&mut app.db.conn(), 4, 0);
    record(&app, "TU-F", "CU-T4", "top_up", "failed", "88.00", "CNY");
    let id = ticket(&app, 4, TicketCategory::TopUpFailed, Some("TU-F"));
    run_remedy(&app, id, &["external-charge"], "credit-top-up");
    assert_eq!(wallet_balance(&app, 4), 8_800);
    assert_eq!(status_of(&app, "TU-F"), "completed");
    let page = app.page(&format!("/agent/tickets/{}", id.reference()));
    assert_eq!(
        select(&page, "[data-step=no-wallet-credit]")[0]
            .value()
            .attr("data-state"),
        Some("failed"),
        "the credit is seen at once"
    );

    // A locked account is unlocked once identity is verified.
    funded_wallet(&mut app.db.conn(), 5, 0);
    diesel::update(customers::table.find(CustomerId(5)))
        .set((
            customers::status.eq("locked"),
            customers::status_reason.eq("failed_logins"),
        ))
        .execute(&mut app.db.conn())?;
    let id = ticket(&app, 5, TicketCategory::AccountLocked, None);
    run_remedy(&app, id, &["identity-verified"], "unlock");
    let status: String = customers::table
        .find(CustomerId(5))
        .select(customers::status)
        .first(&mut app.db.conn())?;
    assert_eq!(status, "active");

    let verified = redress::ledger::verify::verify_ledger(&mut app.db.conn())?;
    assert!(verified.is_ok(), "{:?}", verified.violations);
    let chain = redress::audit::verify_chain(&mut app.db.conn())?;
    assert_eq!(chain.first_break, None);
    Ok(())
}

#[test]
fn macros_fill_the_reply_box_in_the_customers_language() -> TestResult {
    use redress::db::schema::customers;
    let app = desk();
    customer_with_payment(&app);
    record_transaction(
        &mut app.db.conn(),
        &TransactionRecord {
            reference: "RF-1".into(),
            customer: "CU-T1".into(),
            kind: "refund".into(),
            status: "pending".into(),
            method: "bank_card".into(),
            amount: "120.00".into(),
            currency: "CNY".into(),
            original: Some("PAY-1".into()),
            ..TransactionRecord::default()
        },
    )?;
    let id = ticket(&app, 1, TicketCategory::RefundNotReceived, Some("PAY-1"));
    let path = format!("/agent/tickets/{}", id.reference());
    let page = app.page(&path);
    let links: Vec<String> = select(&page, "#macros a")
        .into_iter()
        .filter_map(|a| a.value().attr("data-macro").map(str::to_owned))
        .collect();
    assert_eq!(links, ["refund-expected", "refund-reissued"]);
    let draft = |app: &TestApp, key: &str| {
        let page = app.page(&format!("{path}?macro={key}"));
        select(&page, "#reply-body")
            .first()
            .map(|t| text_of(*t))
            .unwrap_or_default()
    };
    let english = draft(&app, "refund-expected");
    // The mail greets the customer; the macro is what the agent says.
    assert!(
        english.starts_with("A refund of 120.00 CNY was issued on "),
        "{english}"
    );
    assert!(english.contains("so please expect it by "), "{english}");

    diesel::update(customers::table.find(CustomerId(1)))
        .set(customers::locale.eq("zh-CN"))
        .execute(&mut app.db.conn())?;
    let chinese = draft(&app, "refund-expected");
    assert!(chinese.starts_with("120.00 CNY 的退款已于 "), "{chinese}");
    assert_eq!(
        draft(&app, "no-such-macro"),
        "",
        "an unknown macro fills nothing"
    );
    assert_eq!(draft(&app, "coins-held"), "", "nor does another playbook's");
    Ok(())
}

#[test]
fn admins_set_the_approval_thresholds() -> TestResult {
    use crate::helpers::add_test_agent;
    use redress::db::schema::remedies;
    let app = desk();
    add_test_agent(&app.db, "ada@example.com", "Ada Admin", Role::Admin);
    let ada = app.browser();
    ada.sign_in_ok("ada@example.com");
    let page = ada.page("/agent/admin/thresholds");
    assert_eq!(
        select(&page, "input[name=CNY]")[0].value().attr("value"),
        Some("5000.00")
    );
    let csrf = ada.csrf("/agent/admin/thresholds");
    let response = ada.post_form("/agent/admin/thresholds", &csrf, &[("CNY", "1e3")]);
    let page = ada.refused_page(response);
    assert_eq!(
        select(&page, "input[name=CNY]")[0].value().attr("value"),
        Some("1e3"),
        "what was typed is kept"
    );
    let response = ada.post_form(
        "/agent/admin/thresholds",
        &csrf,
        &[("CNY", "100.00"), ("USDT", "")],
    );
    assert_eq!(response.status(), 303);
    assert_eq!(
        app.get("/agent/admin/thresholds").status(),
        403,
        "agents cannot"
    );

    // Now a 120.00 CNY refund waits for approval.
    customer_with_payment(&app);
    set_status(&app, "PAY-1", "cancelled");
    let id = ticket(&app, 1, TicketCategory::PaymentCancelled, Some("PAY-1"));
    let path = format!("/agent/tickets/{}", id.reference());
    let csrf = app.csrf(&path);
    let response = app.post_form(
        &format!("{path}/remedies/refund/preview"),
        &csrf,
        &[
            ("amount", "120.00"),
            ("reason", "charged"),
            ("form_key", "t1"),
        ],
    );
    let preview = scraper::Html::parse_document(&response.text()?);
    assert!(
        text_of(select(&preview, "#approval")[0])
            .starts_with("This remedy needs a supervisor's approval")
    );
    app.post_form(
        &format!("{path}/remedies/refund"),
        &csrf,
        &[
            ("amount", "120.00"),
            ("reason", "charged"),
            ("form_key", "t1"),
        ],
    );
    let status: String = remedies::table
        .select(remedies::status)
        .first(&mut app.db.conn())?;
    assert_eq!(status, "proposed");
    Ok(())
}

#[test]
fn the_other_playbooks_read_their_evidence() -> TestResult {
    use redress::db::schema::customers;
    let app = desk();
    funded_wallet(&mut app.db.conn(), 1, 100_000);

    // Top-up failed but charged.
    record_transaction(
        &mut app.db.conn(),
        &TransactionRecord {
            reference: "TU-F".into(),
            customer: "CU-T1".into(),
            kind: "top_up".into(),
            status: "failed".into(),
            method: "bank_card".into(),
            amount: "88.00".into(),
            currency: "CNY".into(),
            failure_reason: Some("channel_timeout".into()),
            ..TransactionRecord::default()
        },
    )?;
    let id = ticket(&app, 1, TicketCategory::TopUpFailed, Some("TU-F"));
    let found = steps(&app, id);
    assert_eq!(found["top-up-failed"].0, "passed");
    assert!(
        found["top-up-failed"]
            .1
            .starts_with("Top-up TU-F of 88.00 CNY (")
    );
    assert!(
        found["top-up-failed"]
            .1
            .ends_with(") is failed; reason: The payment channel timed out."),
        "{}",
        found["top-up-failed"].1
    );
    assert_eq!(
        found["no-wallet-credit"],
        (
            "passed".into(),
            "No credit of TU-F reached the wallet.".into()
        )
    );

    // Withdrawal delayed: pending, then past its window.
    record(
        &app,
        "WD-1",
        "CU-T1",
        "withdrawal",
        "pending",
        "300.00",
        "CNY",
    );
    let id = ticket(&app, 1, TicketCategory::WithdrawalDelayed, Some("WD-1"));
    let found = steps(&app, id);
    assert_eq!(found["withdrawal-pending"].0, "passed");
    assert!(
        found["withdrawal-pending"]
            .1
            .starts_with("Withdrawal WD-1 of 300.00 CNY is pending since ")
    );
    assert_eq!(found["withdrawal-age"].0, "pending");
    assert!(
        found["withdrawal-age"]
            .1
            .starts_with("Pending 0 hours (0 business days); expected by ")
    );
    age(&app, "WD-1", 50);
    let found = steps(&app, id);
    assert_eq!(found["withdrawal-age"].0, "passed");
    assert!(
        found["withdrawal-age"].1.starts_with("Pending 50 hours ("),
        "{}",
        found["withdrawal-age"].1
    );

    // Counterparty did not pay: the trade is still open.
    trade_awaiting_release_between(&app, 2, 3);
    let id = ticket(&app, 3, TicketCategory::CounterpartyUnpaid, Some("P2P-1"));
    let found = steps(&app, id);
    assert_eq!(found["trade-open"].0, "passed");
    assert!(
        found["trade-open"]
            .1
            .starts_with("Trade P2P-1 of 500.000000 USDT (")
    );
    assert!(found["trade-open"].1.ends_with(") is awaiting release."));

    // Transaction declined: the balance did not cover it.
    record(
        &app, "PAY-D", "CU-T1", "payment", "declined", "5000.00", "CNY",
    );
    let id = ticket(&app, 1, TicketCategory::TransactionDeclined, Some("PAY-D"));
    let found = steps(&app, id);
    assert_eq!(
        found["balance"],
        (
            "passed".into(),
            "The wallet has 700.00 CNY available; 5000.00 CNY was needed.".into()
        )
    );

    // Account locked after failed sign-ins.
    diesel::update(customers::table.find(CustomerId(1)))
        .set((
            customers::status.eq("locked"),
            customers::status_reason.eq("failed_logins"),
            customers::status_changed_at
                .eq(chrono::NaiveDate::from_ymd_opt(2026, 11, 30)
                    .and_then(|d| d.and_hms_opt(3, 0, 0))),
        ))
        .execute(&mut app.db.conn())?;
    let id = ticket(&app, 1, TicketCategory::AccountLocked, None);
    let found = steps(&app, id);
    assert_eq!(
        found["lock-confirmed"],
        (
            "passed".into(),
            "Locked 2026-11-30 after failed sign-ins.".into()
        )
    );
    Ok(())
}

/// Seller CU-T`seller` with USDT and a P2P trade P2P-1 to buyer
/// CU-T`buyer`, awaiting release.
fn trade_awaiting_release_between(app: &TestApp, seller: i64, buyer: i64) {
    funded_wallet(&mut app.db.conn(), seller, 0);
    funded_wallet(&mut app.db.conn(), buyer, 0);
    record(
        app,
        "TU-S",
        &format!("CU-T{seller}"),
        "top_up",
        "completed",
        "800",
        "USDT",
    );
    record_transaction(
        &mut app.db.conn(),
        &TransactionRecord {
            reference: "P2P-1".into(),
            customer: format!("CU-T{buyer}"),
            kind: "p2p_trade".into(),
            status: "awaiting_release".into(),
            method: "crypto".into(),
            amount: "500".into(),
            currency: "USDT".into(),
            counterparty_customer: Some(format!("CU-T{seller}")),
            seller: Some(format!("CU-T{seller}")),
            ..TransactionRecord::default()
        },
    )
    .expect("the trade is recorded");
}

#[test]
fn a_done_remedy_shows_as_passed_and_offers_no_second_run() -> TestResult {
    let app = desk();
    funded_wallet(&mut app.db.conn(), 4, 0);
    record(&app, "TU-F", "CU-T4", "top_up", "failed", "88.00", "CNY");
    let id = ticket(&app, 4, TicketCategory::TopUpFailed, Some("TU-F"));
    run_remedy(&app, id, &["external-charge"], "credit-top-up");
    let page = app.page(&format!("/agent/tickets/{}", id.reference()));
    let step = select(&page, "[data-step=credit-top-up]")[0];
    assert_eq!(step.value().attr("data-state"), Some("passed"));
    assert!(
        select_text(step, ".evidence").starts_with("Done "),
        "{}",
        select_text(step, ".evidence")
    );
    assert!(select_text(step, ".evidence").ends_with(": 88.00 CNY."));
    assert!(
        select(&page, "form[data-remedy]").is_empty(),
        "nothing left to run"
    );
    Ok(())
}
