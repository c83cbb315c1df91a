//! The ticket side of the desk over HTTP: opening tickets, the ticket page,
//! replies and notes, status rules, assignment, and the queue's views,
//! filters, search and pages.

use crate::helpers::*;
use diesel::prelude::*;
use redress::db::schema::{audit_log, outbox_emails, ticket_events, tickets};
use redress::domain::*;
use redress::platform::transactions::{TransactionRecord, record_transaction};
use redress::tickets::service::{self, Actor, Changes, NewTicket};
use redress::tickets::sla;
use scraper::Html;
use std::collections::BTreeSet;

/// A customer (`customer{n}@example.com`, "Customer n") with a completed
/// payment `reference` of 120.00 in `currency`.
pub(crate) fn customer_with_payment(app: &TestApp, n: i64, reference: &str, currency: &str) {
    let mut conn = app.db.conn();
    funded_wallet(&mut conn, n, 0);
    record_transaction(
        &mut conn,
        &TransactionRecord {
            reference: format!("TU{reference}"),
            customer: format!("CU-T{n}"),
            kind: "top_up".into(),
            status: "completed".into(),
            method: "bank_transfer".into(),
            amount: "500.00".into(),
            currency: currency.into(),
            ..TransactionRecord::default()
        },
    )
    .expect("the top-up is recorded");
    record_transaction(
        &mut conn,
        &TransactionRecord {
            reference: reference.to_owned(),
            customer: format!("CU-T{n}"),
            kind: "payment".into(),
            status: "completed".into(),
            method: "bank_card".into(),
            amount: "120.00".into(),
            currency: currency.into(),
            counterparty: Some("Shop <b>".into()),
            ..TransactionRecord::default()
        },
    )
    .expect("the payment is recorded");
}

pub(crate) fn agent_actor(app: &TestApp, email: &str) -> Actor {
    use redress::db::schema::agents;
    let (id, name, role): (AgentId, String, Role) = agents::table
        .filter(agents::email.eq(email))
        .select((agents::id, agents::name, agents::role))
        .first(&mut app.db.conn())
        .expect("the agent");
    Actor { id, name, role }
}

pub(crate) fn open_ticket(app: &TestApp, by: &Actor, ticket: NewTicket) -> TicketId {
    let mut conn = app.db.conn();
    let settings = sla::load(&mut conn).expect("SLA settings");
    service::open(&mut conn, &settings, by, ticket)
        .expect("the ticket opens")
        .id
}

pub(crate) fn new_ticket(customer: i64, subject: &str) -> NewTicket {
    NewTicket {
        customer: CustomerId(customer),
        transaction: None,
        category: TicketCategory::RefundNotReceived,
        priority: TicketPriority::Normal,
        subject: subject.to_owned(),
        description: String::new(),
    }
}

pub(crate) fn version_of(app: &TestApp, id: TicketId) -> i64 {
    tickets::table
        .find(id)
        .select(tickets::version)
        .first(&mut app.db.conn())
        .expect("the ticket")
}

pub(crate) fn desk() -> TestApp {
    let app = TestApp::start();
    add_test_agent(&app.db, "bo@example.com", "Bo Agent", Role::Agent);
    add_test_agent(&app.db, "su@example.com", "Su Supervisor", Role::Supervisor);
    app.sign_in_ok("bo@example.com");
    app
}

#[test]
fn agents_open_tickets_from_a_customer_or_a_transaction() -> TestResult {
    let app = desk();
    customer_with_payment(&app, 1, "TXOPEN1", "CNY");

    // Find the customer, open their page.
    let page = app.page("/agent/customers?q=Customer1@example.com");
    let link = select(&page, "#customers a")[0]
        .value()
        .attr("href")
        .ok_or("a customer link")?
        .to_owned();
    assert_eq!(link, "/agent/customers/1");
    let page = app.page(&link);
    assert_eq!(
        text_of(select(&page, "#customer-panel .wallets .currency")[0]),
        "CNY"
    );
    let csrf = app.csrf(&link);

    // A refused form keeps what was typed.
    let response = app.post_form(
        "/agent/customers/1/tickets",
        &csrf,
        &[
            ("category", "payment_cancelled"),
            ("priority", "high"),
            ("subject", "  "),
            ("transaction", "TXOPEN1"),
            ("description", "called us"),
        ],
    );
    assert_eq!(location(&response), "/agent/customers/1");
    let page = app.refused_page(response);
    assert_eq!(
        text_of(select(&page, "#open-ticket .error")[0]),
        "The subject must not be empty."
    );
    assert_eq!(
        text_of(select(&page, "#open-ticket textarea")[0]),
        "called us"
    );

    let response = app.post_form(
        "/agent/customers/1/tickets",
        &csrf,
        &[
            ("category", "payment_cancelled"),
            ("priority", "high"),
            (
                "subject",
                "<script>alert('x')</script> charged after cancel",
            ),
            ("transaction", "TXOPEN1"),
            ("description", "Customer phoned: <b>still charged</b>"),
        ],
    );
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/agent/tickets/RD-000001");
    let body = app.get("/agent/tickets/RD-000001").text()?;
    assert!(!body.contains("<script>alert"), "the subject is escaped");
    assert!(!body.contains("<b>still charged</b>"));
    let page = Html::parse_document(&body);
    assert!(select(&page, "script").is_empty());
    assert_eq!(
        text_of(select(&page, "h1")[0]),
        "<script>alert('x')</script> charged after cancel"
    );
    assert_eq!(text_of(select(&page, "#ticket-status")[0]), "Open");
    assert_eq!(text_of(select(&page, "#ticket-priority")[0]), "High");
    assert_eq!(text_of(select(&page, "#ticket-assignee")[0]), "Bo Agent");
    assert!(text_of(select(&page, "#ticket-sla")[0]).ends_with("left"));
    // The transaction panel shows the payment and its ledger transfer.
    assert_eq!(
        text_of(select(&page, "#transaction-panel h2")[0]),
        "TXOPEN1"
    );
    assert_eq!(
        text_of(select(&page, "#transaction-panel .amount")[0]),
        "120.00 CNY"
    );
    assert_eq!(select(&page, "#transaction-panel .transfers li").len(), 1);
    // The description is an internal note.
    let notes = select(&page, "#timeline li[data-kind=internal_note] .event-body");
    assert_eq!(text_of(notes[0]), "Customer phoned: <b>still charged</b>");

    // From the transaction: search, then its page's form.
    let response = app.get("/agent/transactions?q=txopen1");
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/agent/transactions/TXOPEN1");
    let page = app.page("/agent/transactions/TXOPEN1");
    assert_eq!(select(&page, "#transaction-tickets li").len(), 1);
    let response = app.post_form(
        "/agent/transactions/TXOPEN1/tickets",
        &csrf,
        &[
            ("category", "refund_not_received"),
            ("priority", "normal"),
            ("subject", "Refund missing"),
        ],
    );
    assert_eq!(response.status(), 303);
    let (transaction, customer): (Option<TransactionId>, CustomerId) = tickets::table
        .find(TicketId(2))
        .select((tickets::transaction_id, tickets::customer_id))
        .first(&mut app.db.conn())?;
    assert!(transaction.is_some());
    assert_eq!(customer, CustomerId(1));

    let opened: i64 = audit_log::table
        .filter(audit_log::action.eq("ticket.open"))
        .count()
        .get_result(&mut app.db.conn())?;
    assert_eq!(opened, 2);
    assert_eq!(app.get("/agent/tickets/RD-000099").status(), 404);
    assert_eq!(app.get("/agent/customers/99").status(), 404);
    Ok(())
}

#[test]
fn replies_are_mailed_and_notes_are_not() -> TestResult {
    let app = desk();
    customer_with_payment(&app, 1, "TXR1", "CNY");
    let bo = agent_actor(&app, "bo@example.com");
    let id = open_ticket(&app, &bo, new_ticket(1, "Refund missing"));
    let path = format!("/agent/tickets/{}", id.reference());
    let csrf = app.csrf(&path);
    let outbox = |app: &TestApp| -> i64 {
        outbox_emails::table
            .count()
            .get_result(&mut app.db.conn())
            .expect("outbox count")
    };

    let response = app.post_form(
        &format!("{path}/reply"),
        &csrf,
        &[
            ("body", "Checked <i>the bank</i>; waiting."),
            ("visibility", "internal"),
            ("status", ""),
            ("version", &version_of(&app, id).to_string()),
        ],
    );
    assert_eq!(response.status(), 303);
    assert_eq!(outbox(&app), 0, "a note is never e-mailed");

    let response = app.post_form(
        &format!("{path}/reply"),
        &csrf,
        &[
            (
                "body",
                "Your refund was issued.\n\nExpect it in 3-5 business days.",
            ),
            ("visibility", "public"),
            ("status", "pending"),
            ("version", &version_of(&app, id).to_string()),
        ],
    );
    assert_eq!(response.status(), 303);
    assert_eq!(outbox(&app), 1);
    let (to, subject, text, status): (String, String, String, String) = outbox_emails::table
        .select((
            outbox_emails::to_address,
            outbox_emails::subject,
            outbox_emails::body_text,
            outbox_emails::status,
        ))
        .first(&mut app.db.conn())?;
    assert_eq!(to, "customer1@example.com");
    assert_eq!(subject, format!("Re: Refund missing [{}]", id.reference()));
    assert!(text.contains("Expect it in 3-5 business days."), "{text}");
    assert_eq!(status, "queued");

    let page = app.page(&path);
    let kinds: Vec<String> = select(&page, "#timeline li")
        .iter()
        .filter_map(|li| li.value().attr("data-kind").map(str::to_owned))
        .collect();
    assert_eq!(
        kinds,
        [
            "assignment",
            "internal_note",
            "public_reply",
            "status_change"
        ]
    );
    let note = select(&page, "#timeline li.internal_note")[0];
    assert_eq!(text_of(select_in(note, ".tag")[0]), "Internal note");
    assert_eq!(
        text_of(select_in(note, ".event-body")[0]),
        "Checked <i>the bank</i>; waiting."
    );
    assert_eq!(text_of(select(&page, "#ticket-status")[0]), "Pending");
    assert_eq!(text_of(select(&page, "#ticket-sla")[0]), "SLA: Paused");

    let (responded, paused): (Option<chrono::NaiveDateTime>, Option<chrono::NaiveDateTime>) =
        tickets::table
            .find(id)
            .select((tickets::first_responded_at, tickets::sla_paused_at))
            .first(&mut app.db.conn())?;
    assert!(responded.is_some() && paused.is_some());
    let actions: Vec<String> = audit_log::table
        .filter(audit_log::ticket_id.eq(id))
        .order(audit_log::id)
        .select(audit_log::action)
        .load(&mut app.db.conn())?;
    assert_eq!(actions, ["ticket.open", "ticket.note", "ticket.reply"]);

    // An empty reply is refused and changes nothing.
    let response = app.post_form(
        &format!("{path}/reply"),
        &csrf,
        &[
            ("body", "   "),
            ("visibility", "public"),
            ("status", ""),
            ("version", &version_of(&app, id).to_string()),
        ],
    );
    app.refused_page(response);
    assert_eq!(outbox(&app), 1);
    Ok(())
}

fn select_in<'a>(element: scraper::ElementRef<'a>, css: &str) -> Vec<scraper::ElementRef<'a>> {
    let selector = scraper::Selector::parse(css).expect("a valid selector");
    element.select(&selector).collect()
}

#[test]
fn status_moves_only_along_the_allowed_paths() -> TestResult {
    let app = desk();
    customer_with_payment(&app, 1, "TXS1", "CNY");
    let bo = agent_actor(&app, "bo@example.com");
    let id = open_ticket(&app, &bo, new_ticket(1, "Frozen account"));
    let path = format!("/agent/tickets/{}", id.reference());
    let csrf = app.csrf(&path);
    let fields = |status: &str, version: i64| {
        app.post_form(
            &format!("{path}/fields"),
            &csrf,
            &[
                ("status", status),
                ("priority", "normal"),
                ("category", "refund_not_received"),
                ("assignee", ""),
                ("version", &version.to_string()),
            ],
        )
    };
    assert_eq!(fields("solved", version_of(&app, id)).status(), 303);
    let solved_version = version_of(&app, id);
    for refused in ["pending", "on_hold", "new", "closed"] {
        let response = fields(refused, solved_version);
        let page = app.refused_page(response);
        let message = text_of(select(&page, ".error")[0]);
        assert!(
            message.starts_with("A ticket cannot go from Solved to"),
            "{message}"
        );
    }
    assert_eq!(
        version_of(&app, id),
        solved_version,
        "refusals change nothing"
    );
    // Someone else's change meanwhile: the stale form is refused.
    assert_eq!(fields("open", solved_version).status(), 303);
    let response = fields("pending", solved_version);
    let page = app.refused_page(response);
    assert!(text_of(select(&page, ".error")[0]).contains("changed by someone else"));
    let status: TicketStatus = tickets::table
        .find(id)
        .select(tickets::status)
        .first(&mut app.db.conn())?;
    assert_eq!(status, TicketStatus::Open);

    // Priority changes recompute the due times.
    let due_before: Option<chrono::NaiveDateTime> = tickets::table
        .find(id)
        .select(tickets::resolution_due_at)
        .first(&mut app.db.conn())?;
    let response = app.post_form(
        &format!("{path}/fields"),
        &csrf,
        &[
            ("status", ""),
            ("priority", "urgent"),
            ("category", "refund_not_received"),
            ("assignee", ""),
            ("version", &version_of(&app, id).to_string()),
        ],
    );
    assert_eq!(response.status(), 303);
    let due_after: Option<chrono::NaiveDateTime> = tickets::table
        .find(id)
        .select(tickets::resolution_due_at)
        .first(&mut app.db.conn())?;
    assert!(due_after < due_before, "{due_after:?} < {due_before:?}");
    let (before, after): (Option<String>, Option<String>) = audit_log::table
        .filter(audit_log::action.eq("ticket.update"))
        .order(audit_log::id.desc())
        .select((audit_log::before_json, audit_log::after_json))
        .first(&mut app.db.conn())?;
    assert_eq!(before.as_deref(), Some(r#"{"priority":"normal"}"#));
    assert_eq!(after.as_deref(), Some(r#"{"priority":"urgent"}"#));
    Ok(())
}

#[test]
fn agents_take_tickets_and_supervisors_assign_them() -> TestResult {
    let app = desk();
    customer_with_payment(&app, 1, "TXA1", "CNY");
    let su = agent_actor(&app, "su@example.com");
    let bo = agent_actor(&app, "bo@example.com");
    let id = open_ticket(&app, &su, new_ticket(1, "Locked out"));
    let path = format!("/agent/tickets/{}", id.reference());
    let csrf = app.csrf(&path);
    let assign = |browser: &Browser, csrf: &str, assignee: &str| {
        browser.post_form(
            &format!("{path}/fields"),
            csrf,
            &[
                ("status", ""),
                ("priority", "normal"),
                ("category", "refund_not_received"),
                ("assignee", assignee),
                ("version", &version_of(&app, id).to_string()),
            ],
        )
    };
    // Bo cannot hand Su's ticket to someone else, but can take it.
    // Assigning to its current assignee changes nothing, and says so.
    app.refused_page(assign(&app, &csrf, &su.id.to_string()));
    let response = assign(&app, &csrf, "none");
    assert_eq!(response.status(), 403);
    assert_eq!(assign(&app, &csrf, &bo.id.to_string()).status(), 303);
    let page = app.page(&path);
    assert_eq!(text_of(select(&page, "#ticket-assignee")[0]), "Bo Agent");

    // Su reassigns it back.
    let su_browser = app.browser();
    su_browser.sign_in_ok("su@example.com");
    let su_csrf = su_browser.csrf(&path);
    assert_eq!(
        assign(&su_browser, &su_csrf, &su.id.to_string()).status(),
        303
    );
    let assignee: Option<AgentId> = tickets::table
        .find(id)
        .select(tickets::assignee_id)
        .first(&mut app.db.conn())?;
    assert_eq!(assignee, Some(su.id));
    let kinds: Vec<TicketEventKind> = ticket_events::table
        .filter(ticket_events::ticket_id.eq(id))
        .filter(ticket_events::kind.eq(TicketEventKind::Assignment))
        .select(ticket_events::kind)
        .load(&mut app.db.conn())?;
    assert_eq!(kinds.len(), 3);
    Ok(())
}

/// Every ticket reference a queue URL lists, following "next" to the end.
fn walk(app: &TestApp, first: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut next = Some(first.to_owned());
    let mut pages = 0;
    while let Some(path) = next {
        pages += 1;
        assert!(pages < 100, "the pager ends");
        let page = app.page(&path);
        seen.extend(
            select(&page, "#queue tbody tr")
                .iter()
                .filter_map(|tr| tr.value().attr("data-ticket").map(str::to_owned)),
        );
        next = select(&page, "a[rel=next]")
            .first()
            .and_then(|a| a.value().attr("href"))
            .map(str::to_owned);
    }
    seen
}

fn refs(ids: impl IntoIterator<Item = TicketId>) -> BTreeSet<String> {
    ids.into_iter().map(|id| id.reference()).collect()
}

#[test]
fn the_queue_filters_searches_and_pages_through_every_ticket_once() -> TestResult {
    let app = desk();
    let bo = agent_actor(&app, "bo@example.com");
    let su = agent_actor(&app, "su@example.com");
    let settings = sla::load(&mut app.db.conn())?;
    let categories = [
        TicketCategory::RefundNotReceived,
        TicketCategory::AccountFrozen,
        TicketCategory::WithdrawalDelayed,
    ];
    let priorities = [
        TicketPriority::Low,
        TicketPriority::Normal,
        TicketPriority::High,
        TicketPriority::Urgent,
    ];
    let mut all = Vec::new();
    let mut usdt = BTreeSet::new();
    let mut by_su = BTreeSet::new();
    let mut frozen_urgent = BTreeSet::new();
    for n in 1..=12_i64 {
        let currency = if n % 3 == 0 { "USDT" } else { "CNY" };
        customer_with_payment(&app, n, &format!("TXQ{n}"), currency);
    }
    // 130 tickets: more than two pages.
    for i in 0..130_i64 {
        let customer = i % 12 + 1;
        let by = if i % 4 == 0 { &su } else { &bo };
        let category = categories[(i % 3) as usize];
        let priority = priorities[(i % 4) as usize];
        let with_tx = i % 2 == 0;
        let subject = if i == 77 {
            "退款未到账 wallet refund".to_owned()
        } else {
            format!("Case {i} about money")
        };
        let id = open_ticket(
            &app,
            by,
            NewTicket {
                customer: CustomerId(customer),
                transaction: with_tx.then(|| format!("TXQ{customer}")),
                category,
                priority,
                subject,
                description: String::new(),
            },
        );
        if with_tx && customer % 3 == 0 {
            usdt.insert(id);
        }
        if i % 4 == 0 {
            by_su.insert(id);
        }
        if category == TicketCategory::AccountFrozen && priority == TicketPriority::Urgent {
            frozen_urgent.insert(id);
        }
        all.push(id);
    }
    // Solve ten of Bo's tickets; they leave the open views.
    let mut conn = app.db.conn();
    let mut solved = BTreeSet::new();
    for id in all.iter().filter(|id| !by_su.contains(id)).take(10) {
        service::change(
            &mut conn,
            &settings,
            &bo,
            *id,
            Changes {
                status: Some(TicketStatus::Solved),
                version: version_of(&app, *id),
                ..Changes::default()
            },
        )?;
        solved.insert(*id);
    }
    drop(conn);
    let open: BTreeSet<TicketId> = all
        .iter()
        .copied()
        .filter(|id| !solved.contains(id))
        .collect();

    // My open tickets: Bo's unsolved ones.
    let mine = walk(&app, "/agent/tickets");
    let expected_mine: BTreeSet<TicketId> = open
        .iter()
        .copied()
        .filter(|id| !by_su.contains(id))
        .collect();
    assert_eq!(mine.len(), expected_mine.len(), "each ticket once");
    assert_eq!(
        mine.iter().cloned().collect::<BTreeSet<_>>(),
        refs(expected_mine.clone())
    );

    // All open, in each sort order, walks every unsolved ticket exactly once.
    for sort in ["sla_due", "priority", "updated"] {
        let listed = walk(&app, &format!("/agent/tickets?view=all_open&sort={sort}"));
        assert_eq!(listed.len(), open.len(), "{sort}: no ticket twice");
        assert_eq!(
            listed.iter().cloned().collect::<BTreeSet<_>>(),
            refs(open.clone()),
            "{sort}"
        );
        if sort == "priority" {
            let page = app.page(&format!("/agent/tickets?view=all_open&sort={sort}"));
            let first = text_of(select(&page, "#queue tbody tr td .priority")[0]);
            assert_eq!(first, "Urgent");
        }
    }
    let listed_solved = walk(&app, "/agent/tickets?view=solved");
    assert_eq!(
        listed_solved.into_iter().collect::<BTreeSet<_>>(),
        refs(solved.clone())
    );

    // Filters return exactly the matching tickets.
    let listed = walk(
        &app,
        &format!("/agent/tickets?view=all_open&assignee={}", su.id),
    );
    assert_eq!(
        listed.into_iter().collect::<BTreeSet<_>>(),
        refs(by_su.clone())
    );
    let listed = walk(&app, "/agent/tickets?view=all_open&currency=USDT");
    assert_eq!(
        listed.into_iter().collect::<BTreeSet<_>>(),
        refs(usdt.intersection(&open).copied())
    );
    let listed = walk(
        &app,
        "/agent/tickets?view=all_open&category=account_frozen&priority=urgent",
    );
    assert_eq!(
        listed.into_iter().collect::<BTreeSet<_>>(),
        refs(frozen_urgent.intersection(&open).copied())
    );
    let listed = walk(
        &app,
        "/agent/tickets?view=all_open&status=open&category=withdrawal_delayed",
    );
    assert!(
        listed
            .iter()
            .all(|r| open.iter().any(|id| id.reference() == *r))
    );
    assert!(!listed.is_empty());

    // Search: by reference, e-mail, name, transaction, words (and Chinese).
    let listed = walk(&app, &format!("/agent/tickets?q={}", all[5].reference()));
    assert_eq!(listed, [all[5].reference()]);
    let for_customer_5: BTreeSet<String> = refs(
        all.iter()
            .enumerate()
            .filter(|(i, _)| *i as i64 % 12 + 1 == 5)
            .map(|(_, id)| *id),
    );
    let listed = walk(&app, "/agent/tickets?q=customer5%40example.com");
    assert_eq!(listed.into_iter().collect::<BTreeSet<_>>(), for_customer_5);
    let listed = walk(&app, "/agent/tickets?q=Customer+5");
    assert_eq!(listed.into_iter().collect::<BTreeSet<_>>(), for_customer_5);
    let with_txq5: BTreeSet<String> = refs(
        all.iter()
            .enumerate()
            .filter(|(i, _)| *i as i64 % 12 + 1 == 5 && i % 2 == 0)
            .map(|(_, id)| *id),
    );
    let listed = walk(&app, "/agent/tickets?q=TXQ5");
    assert_eq!(listed.into_iter().collect::<BTreeSet<_>>(), with_txq5);
    let listed = walk(&app, "/agent/tickets?q=case+42+money");
    assert_eq!(listed, [all[42].reference()]);
    let listed = walk(&app, "/agent/tickets?q=%E6%9C%AA%E5%88%B0%E8%B4%A6"); // 未到账
    assert_eq!(listed, [all[77].reference()]);
    assert!(walk(&app, "/agent/tickets?q=nothing+like+this").is_empty());

    // Sidebar counts.
    let page = app.page("/agent/tickets");
    let count = |view: &str| text_of(select(&page, &format!("a[data-view={view}] .count"))[0]);
    assert_eq!(count("mine"), expected_mine.len().to_string());
    assert_eq!(count("all_open"), open.len().to_string());
    assert_eq!(count("solved"), solved.len().to_string());
    assert_eq!(count("unassigned"), "0");

    // A breached ticket shows in its view, in red.
    let late = *open.iter().next().ok_or("a ticket")?;
    diesel::update(tickets::table.find(late))
        .set(tickets::sla_due_at.eq(Some(
            chrono::Utc::now().naive_utc() - chrono::Duration::hours(2),
        )))
        .execute(&mut app.db.conn())?;
    let page = app.page("/agent/tickets?view=breaching");
    let rows = select(&page, "#queue tbody tr");
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].value().attr("data-ticket"),
        Some(late.reference().as_str())
    );
    let cell = select_in(rows[0], "td.sla")[0];
    assert!(cell.value().classes().any(|c| c == "breached"));
    assert!(text_of(cell).ends_with("overdue"));

    // Bad input is a 400 that says what was wrong.
    let response = app.get("/agent/tickets?priority=whenever");
    assert_eq!(response.status(), 400);
    let page = Html::parse_document(&response.text()?);
    assert_eq!(
        text_of(select(&page, "p")[0]),
        "“whenever” is not a valid value for Priority."
    );
    assert_eq!(app.get("/agent/tickets?after=garbage").status(), 400);
    Ok(())
}

#[test]
fn customer_text_is_shown_escaped_on_every_page() -> TestResult {
    use redress::db::schema::customers;
    let app = desk();
    customer_with_payment(&app, 1, "TXE1", "CNY");
    let evil = "<script>alert(1)</script>";
    diesel::update(customers::table.find(CustomerId(1)))
        .set(customers::name.eq(evil))
        .execute(&mut app.db.conn())?;
    let bo = agent_actor(&app, "bo@example.com");
    let id = open_ticket(&app, &bo, new_ticket(1, evil));
    for path in [
        "/agent/tickets".to_owned(),
        format!("/agent/tickets?q={}", id.reference()),
        format!("/agent/tickets/{}", id.reference()),
        "/agent/customers/1".to_owned(),
        "/agent/customers?q=customer1%40example.com".to_owned(),
        "/agent/transactions/TXE1".to_owned(),
    ] {
        let body = app.get(&path).text()?;
        assert!(!body.contains(evil), "{path} shows raw user text");
        let page = Html::parse_document(&body);
        assert!(select(&page, "script").is_empty(), "{path}");
        assert!(
            body.contains("&#60;script&#62;") || body.contains("&lt;script&gt;"),
            "{path}"
        );
    }
    Ok(())
}

#[test]
fn agents_link_and_unlink_the_customers_transactions_only() -> TestResult {
    let app = desk();
    customer_with_payment(&app, 1, "TXL1", "CNY");
    customer_with_payment(&app, 2, "TXL2", "USDT");
    let bo = agent_actor(&app, "bo@example.com");
    let id = open_ticket(&app, &bo, new_ticket(1, "Which payment?"));
    let path = format!("/agent/tickets/{}", id.reference());
    let csrf = app.csrf(&path);
    let link = |reference: &str| {
        app.post_form(
            &format!("{path}/transaction"),
            &csrf,
            &[
                ("reference", reference),
                ("version", &version_of(&app, id).to_string()),
            ],
        )
    };
    // Another customer's transaction is refused, and so is an unknown one.
    let response = link("TXL2");
    let page = app.refused_page(response);
    assert_eq!(
        text_of(select(&page, ".error")[0]),
        "Transaction TXL2 is not customer1@example.com's."
    );
    app.refused_page(link("TXNOPE"));

    assert_eq!(link("TXL1").status(), 303);
    let page = app.page(&path);
    assert_eq!(text_of(select(&page, "#transaction-panel h2")[0]), "TXL1");
    let (amount, currency): (Option<i64>, Option<Currency>) = tickets::table
        .find(id)
        .select((tickets::amount_minor, tickets::currency))
        .first(&mut app.db.conn())?;
    assert_eq!((amount, currency), (Some(12_000), Some(Currency::Cny)));

    assert_eq!(link("").status(), 303);
    let page = app.page(&path);
    assert!(select(&page, "#transaction-panel").is_empty());
    let actions: Vec<String> = audit_log::table
        .filter(audit_log::ticket_id.eq(id))
        .order(audit_log::id)
        .select(audit_log::action)
        .load(&mut app.db.conn())?;
    assert_eq!(actions, ["ticket.open", "ticket.link", "ticket.unlink"]);
    Ok(())
}

#[test]
fn time_pending_moves_the_resolution_target_on() -> TestResult {
    let app = desk();
    funded_wallet(&mut app.db.conn(), 1, 0);
    let bo = agent_actor(&app, "bo@example.com");
    let id = open_ticket(&app, &bo, new_ticket(1, "Waiting on the user"));
    let settings = sla::load(&mut app.db.conn())?;
    let change = |status: TicketStatus| {
        service::change(
            &mut app.db.conn(),
            &settings,
            &bo,
            id,
            Changes {
                status: Some(status),
                version: version_of(&app, id),
                ..Changes::default()
            },
        )
    };
    change(TicketStatus::Pending)?;
    // It has been pending for three days.
    let paused_at = chrono::Utc::now().naive_utc() - chrono::Duration::days(3);
    diesel::update(tickets::table.find(id))
        .set(tickets::sla_paused_at.eq(Some(paused_at)))
        .execute(&mut app.db.conn())?;
    let resumed = change(TicketStatus::Open)?;
    let expected = settings
        .calendar
        .business_minutes_between(paused_at, resumed.updated_at);
    assert!(expected > 0);
    assert_eq!(resumed.sla_paused_minutes, expected);
    assert_eq!(resumed.sla_paused_at, None);
    let due = settings.due_times(resumed.priority, resumed.created_at, expected)?;
    assert_eq!(resumed.resolution_due_at, Some(due.resolution));
    Ok(())
}

#[test]
fn a_refused_note_comes_back_as_a_note_on_its_own_ticket_only() -> TestResult {
    let app = desk();
    funded_wallet(&mut app.db.conn(), 1, 0);
    let bo = agent_actor(&app, "bo@example.com");
    let first = open_ticket(&app, &bo, new_ticket(1, "First"));
    let second = open_ticket(&app, &bo, new_ticket(1, "Second"));
    let path = format!("/agent/tickets/{}", first.reference());
    let csrf = app.csrf(&path);
    // A stale version: refused, and sent back to its own page.
    let response = app.post_form(
        &format!("{path}/reply"),
        &csrf,
        &[
            ("body", "Only for us: the bank is slow."),
            ("visibility", "internal"),
            ("status", ""),
            ("version", "0"),
        ],
    );
    assert_eq!(location(&response), path);
    // Another tab's page does not show it, nor take it.
    let other = app.page(&format!("/agent/tickets/{}", second.reference()));
    assert!(select(&other, ".error").is_empty());
    assert_eq!(text_of(select(&other, "#reply-body")[0]), "");
    let page = app.refused_page(response);
    assert_eq!(
        text_of(select(&page, "#reply-body")[0]),
        "Only for us: the bank is slow."
    );
    let checked: Vec<&str> = select(&page, "input[name=visibility][checked]")
        .into_iter()
        .filter_map(|input| input.value().attr("value"))
        .collect();
    assert_eq!(checked, ["internal"], "never turned into a public reply");
    Ok(())
}
