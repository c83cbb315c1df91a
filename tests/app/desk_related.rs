//! Related records linked both ways: a payment and its refunds, a P2P
//! trade's buyer and seller, a wallet and its owner, a customer's tickets
//! and transactions counted ("10 of 15") with full lists, newest first.

use crate::desk_tickets::{agent_actor, desk, new_ticket, open_ticket};
use crate::helpers::*;
use diesel::prelude::*;
use redress::db::schema::{tickets, transactions};
use redress::domain::*;
use redress::platform::transactions::{TransactionRecord, record_transaction};

fn record(app: &TestApp, record: TransactionRecord) {
    let reference = record.reference.clone();
    record_transaction(&mut app.db.conn(), &record)
        .unwrap_or_else(|e| panic!("{reference} is recorded: {e}"));
}

fn payment(reference: &str, customer: &str, amount: &str) -> TransactionRecord {
    TransactionRecord {
        reference: reference.into(),
        customer: customer.into(),
        kind: "payment".into(),
        status: "completed".into(),
        method: "bank_card".into(),
        amount: amount.into(),
        currency: "CNY".into(),
        counterparty: Some("Merchant".into()),
        ..TransactionRecord::default()
    }
}

fn hrefs(page: &scraper::Html, css: &str) -> Vec<String> {
    select(page, css)
        .into_iter()
        .filter_map(|a| a.value().attr("href").map(str::to_owned))
        .collect()
}

#[test]
fn a_payment_and_its_refunds_link_to_each_other() -> TestResult {
    let app = desk();
    funded_wallet(&mut app.db.conn(), 1, 100_000);
    record(&app, payment("PAYR1", "CU-T1", "300.00"));
    for (reference, amount) in [("RFR1", "100.00"), ("RFR2", "50.00")] {
        record(
            &app,
            TransactionRecord {
                reference: reference.into(),
                customer: "CU-T1".into(),
                kind: "refund".into(),
                status: "completed".into(),
                method: "bank_card".into(),
                amount: amount.into(),
                currency: "CNY".into(),
                original: Some("PAYR1".into()),
                ..TransactionRecord::default()
            },
        );
    }
    let page = app.page("/agent/transactions/PAYR1");
    let refunds = hrefs(&page, "#refunds a");
    assert_eq!(refunds.len(), 2, "{refunds:?}");
    assert!(refunds.contains(&"/agent/transactions/RFR1".to_owned()));
    assert!(refunds.contains(&"/agent/transactions/RFR2".to_owned()));
    let refund = app.page("/agent/transactions/RFR2");
    assert_eq!(
        hrefs(&refund, "#refund-of a"),
        ["/agent/transactions/PAYR1"]
    );
    // The customer is named and linked; wallets in the transfers name
    // their owner.
    assert_eq!(
        hrefs(&page, "#transaction-customer a"),
        ["/agent/customers/1"]
    );
    let owners = hrefs(&refund, "#transaction-panel .transfers a.party");
    assert!(
        owners.contains(&"/agent/customers/1".to_owned()),
        "{owners:?}"
    );
    let cells: Vec<String> = select(&refund, "#transaction-panel .transfers li")
        .into_iter()
        .map(text_of)
        .collect();
    assert!(
        cells.iter().all(|c| !c.contains("wallet:")),
        "account codes are not shown as text: {cells:?}"
    );
    Ok(())
}

#[test]
fn a_p2p_trade_names_its_seller_and_buyer() -> TestResult {
    let app = desk();
    funded_wallet(&mut app.db.conn(), 2, 0);
    funded_wallet(&mut app.db.conn(), 1, 0);
    record(
        &app,
        TransactionRecord {
            reference: "TU-S".into(),
            customer: "CU-T2".into(),
            kind: "top_up".into(),
            status: "completed".into(),
            method: "bank_transfer".into(),
            amount: "800".into(),
            currency: "USDT".into(),
            ..TransactionRecord::default()
        },
    );
    record(
        &app,
        TransactionRecord {
            reference: "P2P-R".into(),
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
    let page = app.page("/agent/transactions/P2P-R");
    assert_eq!(hrefs(&page, "#trade-seller a"), ["/agent/customers/2"]);
    assert_eq!(text_of(select(&page, "#trade-seller")[0]), "Customer 2");
    assert_eq!(hrefs(&page, "#trade-buyer a"), ["/agent/customers/1"]);
    let labels: Vec<String> = select(&page, "#transaction-panel dt")
        .into_iter()
        .map(text_of)
        .collect();
    assert!(labels.contains(&"Seller".to_owned()) && labels.contains(&"Buyer".to_owned()));
    assert!(!labels.contains(&"Other customer".to_owned()), "{labels:?}");
    Ok(())
}

#[test]
fn panels_count_what_they_show_and_link_to_the_full_lists() -> TestResult {
    let app = desk();
    funded_wallet(&mut app.db.conn(), 1, 10_000_000);
    for n in 0..57 {
        record(&app, payment(&format!("PAYL{n:03}"), "CU-T1", "1.00"));
    }
    let bo = agent_actor(&app, "bo@example.com");
    let first = open_ticket(&app, &bo, new_ticket(1, "The oldest ticket"));
    for n in 0..14 {
        open_ticket(&app, &bo, new_ticket(1, &format!("Ticket {n}")));
    }
    // Make the creation order plain: each ticket a minute after the last.
    let ids: Vec<TicketId> = tickets::table
        .order(tickets::id)
        .select(tickets::id)
        .load(&mut app.db.conn())?;
    let base = chrono::Utc::now().naive_utc() - chrono::Duration::days(1);
    for (n, id) in ids.iter().enumerate() {
        diesel::update(tickets::table.find(*id))
            .set(tickets::created_at.eq(base + chrono::Duration::minutes(n as i64)))
            .execute(&mut app.db.conn())?;
    }
    let page = app.page(&format!("/agent/tickets/{}", first.reference()));
    // 10 newest plus the ticket shown, of 15.
    assert_eq!(text_of(select(&page, "#tickets-count")[0]), "11 of 15");
    let listed: Vec<String> = select(&page, ".other-tickets li")
        .into_iter()
        .map(text_of)
        .collect();
    assert_eq!(listed.len(), 11);
    assert!(listed[0].contains("Ticket 13"), "newest first: {listed:?}");
    assert!(
        listed[10].contains("The oldest ticket") && listed[10].contains("(this ticket)"),
        "{listed:?}"
    );
    assert_eq!(text_of(select(&page, "#transactions-count")[0]), "10 of 57");
    assert_eq!(
        hrefs(&page, "#all-transactions"),
        ["/agent/customers/1/transactions"]
    );
    // The full list pages through every transaction once, newest first.
    let mut seen: Vec<String> = Vec::new();
    let mut next = Some("/agent/customers/1/transactions".to_owned());
    while let Some(path) = next {
        let list = app.page(&path);
        seen.extend(
            select(&list, "#customer-transactions tbody tr")
                .into_iter()
                .filter_map(|row| row.value().attr("data-transaction").map(str::to_owned)),
        );
        next = hrefs(&list, "a[rel=next]").into_iter().next();
    }
    let mut expected: Vec<(chrono::NaiveDateTime, i64, String)> = transactions::table
        .filter(transactions::customer_id.eq(1))
        .select((
            transactions::created_at,
            transactions::id,
            transactions::reference,
        ))
        .load::<(chrono::NaiveDateTime, TransactionId, String)>(&mut app.db.conn())?
        .into_iter()
        .map(|(at, id, reference)| (at, id.0, reference))
        .collect();
    expected.sort();
    expected.reverse();
    let expected: Vec<String> = expected.into_iter().map(|(_, _, r)| r).collect();
    assert_eq!(seen, expected);
    let tickets_list = app.page("/agent/customers/1/tickets");
    let refs: Vec<String> = select(&tickets_list, "#customer-tickets tbody tr")
        .into_iter()
        .filter_map(|row| row.value().attr("data-ticket").map(str::to_owned))
        .collect();
    assert_eq!(refs.len(), 15);
    assert_eq!(refs.last(), Some(&first.reference()));
    assert_eq!(
        app.get("/agent/customers/1/tickets?after=bogus").status(),
        400
    );
    Ok(())
}
