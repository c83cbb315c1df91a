//! The desk's main journeys in a real browser, in Chinese: a refund over
//! the approval threshold from queue to solved, and a frozen account
//! unfrozen once identity is verified.

use crate::browser::Driver;
use crate::desk_tickets::{agent_actor, desk, open_ticket};
use crate::helpers::*;
use diesel::prelude::*;
use redress::db::schema::{customers, transactions};
use redress::domain::*;
use redress::platform::transactions::{TransactionRecord, record_transaction};
use redress::tickets::service::NewTicket;

fn record(app: &TestApp, record: TransactionRecord) {
    let reference = record.reference.clone();
    record_transaction(&mut app.db.conn(), &record)
        .unwrap_or_else(|e| panic!("{reference} is recorded: {e}"));
}

fn open(
    app: &TestApp,
    customer: i64,
    category: TicketCategory,
    tx: Option<&str>,
    subject: &str,
) -> TicketId {
    let bo = agent_actor(app, "bo@example.com");
    open_ticket(
        app,
        &bo,
        NewTicket {
            customer: CustomerId(customer),
            transaction: tx.map(str::to_owned),
            category,
            priority: TicketPriority::High,
            subject: subject.to_owned(),
            description: "客户说退款一直没到账。".to_owned(),
        },
    )
}

#[test]
fn a_big_refund_goes_from_the_queue_through_approval_to_solved() -> TestResult {
    let app = desk();
    funded_wallet(&mut app.db.conn(), 1, 1_000_000);
    record(
        &app,
        TransactionRecord {
            reference: "PAYBIG1".into(),
            customer: "CU-T1".into(),
            kind: "payment".into(),
            status: "completed".into(),
            method: "bank_card".into(),
            amount: "6000.00".into(),
            currency: "CNY".into(),
            counterparty: Some("京东商城".into()),
            ..TransactionRecord::default()
        },
    );
    record(
        &app,
        TransactionRecord {
            reference: "RFBIG1".into(),
            customer: "CU-T1".into(),
            kind: "refund".into(),
            status: "pending".into(),
            method: "bank_card".into(),
            amount: "6000.00".into(),
            currency: "CNY".into(),
            original: Some("PAYBIG1".into()),
            ..TransactionRecord::default()
        },
    );
    crate::playbooks::age(&app, "RFBIG1", 14 * 24);
    let id = open(
        &app,
        1,
        TicketCategory::RefundNotReceived,
        Some("PAYBIG1"),
        "退款两周还没到账",
    );
    open(
        &app,
        1,
        TicketCategory::TopUpFailed,
        None,
        "充值失败但银行扣款了",
    );
    let reference = id.reference();

    let browser = Driver::start(&app.address, "big-refund");
    browser.sign_in("bo@example.com", AGENT_PASSWORD);
    browser.look("dashboard-en");
    // Switch to Chinese from the header, and find the ticket by category.
    browser.click("#language-switch button[value='zh-CN']");
    assert_eq!(browser.text(".desk-nav a[href='/agent/tickets']"), "工单");
    browser.look("dashboard-zh");
    browser.goto("/agent/tickets?view=all_open");
    browser.look("all-open-zh");
    browser.choose("select[name=category]", "refund_not_received");
    browser.click("form.filters button[type=submit]");
    let rows = browser.texts("#queue tbody tr td.subject");
    assert_eq!(rows, ["退款两周还没到账"]);
    assert_eq!(browser.text("#queue tbody tr td.category"), "退款未到账");
    browser.look("queue-zh");
    browser.click(&format!("#queue a[href='/agent/tickets/{reference}']"));
    browser.look("ticket-zh");
    assert_eq!(browser.text("#ticket-category"), "退款未到账");
    // Walk the playbook: the customer's proof is marked, then the re-issue.
    browser.choose("[data-step=proof-supplied] select[name=state]", "passed");
    browser.fill(
        "[data-step=proof-supplied] input[name=note]",
        "客户发来了银行流水截图",
    );
    browser.click("[data-step=proof-supplied] button[type=submit]");
    assert_eq!(
        browser.text("[data-step=proof-supplied] .step-state"),
        "通过"
    );
    browser.look("proof-marked-zh");
    browser.fill(
        "[data-step=reissue-refund] input[name=reason]",
        "原退款超时未到账，重新发起",
    );
    browser.click("[data-step=reissue-refund] button[type=submit]");
    browser.look("preview-zh");
    assert!(
        browser.text("#approval").contains("主管批准"),
        "{}",
        browser.text("#approval")
    );
    browser.click("#confirm-remedy button[type=submit]");
    browser.look("proposed-zh");
    browser.sign_out();

    // A supervisor approves with a fresh password; that runs it.
    browser.sign_in("su@example.com", AGENT_PASSWORD);
    browser.look("supervisor-dashboard");
    browser.goto("/agent/approvals");
    browser.look("approvals");
    browser.fill(
        "#approvals li .approve input[name=password]",
        AGENT_PASSWORD,
    );
    browser.click("#approvals li .approve button[type=submit]");
    browser.look("approved");
    browser.sign_out();

    // The agent finds it done and solves the ticket with a reply.
    browser.sign_in("bo@example.com", AGENT_PASSWORD);
    browser.look("dashboard-again-zh");
    browser.goto(&format!("/agent/tickets/{reference}"));
    browser.look("remedy-done-zh");
    let timeline = browser.texts("#timeline li");
    assert!(
        timeline.iter().any(|entry| entry.contains("完成：")),
        "{timeline:?}"
    );
    browser.fill("#reply-body", "您好，退款已重新发起，请留意银行到账。");
    browser.choose("#reply-form select[name=status]", "solved");
    browser.click("#reply-form button[type=submit]");
    assert_eq!(browser.text("#ticket-status"), "已解决");
    browser.look("solved-zh");
    let status: String = transactions::table
        .filter(transactions::reference.eq("RFBIG1"))
        .select(transactions::status)
        .first(&mut app.db.conn())?;
    assert_ne!(status, "pending", "the stuck refund was dealt with");
    Ok(())
}

#[test]
fn a_frozen_account_is_unfrozen_once_identity_is_verified() -> TestResult {
    let app = desk();
    funded_wallet(&mut app.db.conn(), 2, 300_000);
    diesel::update(customers::table.find(CustomerId(2)))
        .set((
            customers::status.eq("frozen"),
            customers::status_reason.eq("unverified_identity"),
        ))
        .execute(&mut app.db.conn())?;
    let id = open(
        &app,
        2,
        TicketCategory::AccountFrozen,
        None,
        "账户被冻结无法付款",
    );
    let path = format!("/agent/tickets/{}", id.reference());

    let browser = Driver::start(&app.address, "unfreeze");
    browser.sign_in("bo@example.com", AGENT_PASSWORD);
    browser.click("#language-switch button[value='zh-CN']");
    browser.look("dashboard-zh");
    browser.goto(&path);
    browser.look("frozen-zh");
    assert_eq!(
        browser.text("#customer-panel .account-status .pill"),
        "已冻结"
    );
    // The unfreeze is not offered before identity is verified.
    assert!(
        browser
            .texts("[data-step=unfreeze] form[data-remedy]")
            .is_empty()
    );
    for step in ["identity-verified", "password-changed"] {
        browser.choose(&format!("[data-step={step}] select[name=state]"), "passed");
        browser.click(&format!("[data-step={step}] button[type=submit]"));
        browser.look(&format!("{step}-marked-zh"));
    }
    browser.look("verified-zh");
    assert_eq!(browser.text("#customer-panel dd:nth-of-type(4)"), "已认证");
    browser.fill(
        "[data-step=unfreeze] input[name=reason]",
        "身份已核实，密码已修改",
    );
    browser.click("[data-step=unfreeze] button[type=submit]");
    browser.look("unfreeze-preview-zh");
    browser.click("#confirm-remedy button[type=submit]");
    assert_eq!(
        browser.text("#customer-panel .account-status .pill"),
        "正常"
    );
    browser.look("unfrozen-zh");
    let status: String = customers::table
        .find(CustomerId(2))
        .select(customers::status)
        .first(&mut app.db.conn())?;
    assert_eq!(status, "active");
    Ok(())
}
