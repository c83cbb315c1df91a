//! The desk in Chinese and English: the agent's stored choice, the
//! browser's language before it, and no code of the data model shown to a
//! person on any page, in either language.

use crate::helpers::*;
use chrono::NaiveDate;
use diesel::prelude::*;
use redress::db::schema::{agents, customers, tickets, transactions};
use redress::demo::{self, GenerateOptions};
use redress::domain::*;
use scraper::{ElementRef, Html, Node};
use std::collections::BTreeSet;
use strum::IntoEnumIterator;

/// Every stored code of the enumerations an agent's page might show.
fn codes() -> BTreeSet<String> {
    fn of<C: Coded + IntoEnumIterator>() -> Vec<String> {
        C::iter().map(|c| c.code().to_owned()).collect()
    }
    [
        of::<Role>(),
        of::<CustomerStatus>(),
        of::<StatusReason>(),
        of::<TransactionKind>(),
        of::<TransactionStatus>(),
        of::<PaymentMethod>(),
        of::<TicketCategory>(),
        of::<TicketPriority>(),
        of::<TicketStatus>(),
        of::<Channel>(),
        of::<TicketEventKind>(),
        of::<AuditActor>(),
        of::<TransferPhase>(),
        of::<TransferKind>(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The text a person sees: text nodes outside scripts and styles, and the
/// texts of form controls' placeholders and labels.
fn visible_texts(page: &Html) -> Vec<String> {
    let mut texts = Vec::new();
    for node in page.root_element().descendants() {
        if let Node::Text(text) = node.value() {
            let hidden = node.ancestors().any(|a| {
                ElementRef::wrap(a).is_some_and(|e| {
                    matches!(e.value().name(), "script" | "style" | "title" | "code")
                })
            });
            if !hidden && !text.trim().is_empty() {
                texts.push(text.trim().to_owned());
            }
        }
        if let Some(element) = ElementRef::wrap(node) {
            for name in ["placeholder", "aria-label"] {
                if let Some(value) = element.value().attr(name) {
                    texts.push(value.trim().to_owned());
                }
            }
        }
    }
    texts
}

/// The codes `page` shows as text: a text that is a code, or a code with
/// an underscore among its words.
fn raw_codes(page: &Html, codes: &BTreeSet<String>) -> Vec<String> {
    let mut found = Vec::new();
    for text in visible_texts(page) {
        if codes.contains(&text) {
            found.push(text);
            continue;
        }
        for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            if word.contains('_') && codes.contains(word) {
                found.push(word.to_owned());
            }
        }
    }
    found
}

/// A signed-in admin on a small demo world, and its password.
fn demo_desk() -> (TestApp, String) {
    let db = TestDb::new();
    let summary = {
        let mut conn = db.conn();
        demo::generate(
            &mut conn,
            &GenerateOptions {
                tickets: 160,
                customers: 40,
                seed: 11,
                now: NaiveDate::from_ymd_opt(2026, 11, 18)
                    .and_then(|d| d.and_hms_opt(9, 30, 0))
                    .expect("a valid time"),
            },
        )
        .expect("the demo world")
    };
    let admin = summary
        .logins
        .iter()
        .find(|login| login.role == Role::Admin)
        .expect("an admin login")
        .clone();
    let app = TestApp::start_with(db);
    let response = app.sign_in(&admin.email, &admin.password);
    assert_eq!(response.status(), 303);
    (app, admin.email)
}

fn choose_language(app: &TestApp, tag: &str) {
    let csrf = app.csrf("/agent");
    let response = app.post_form("/agent/language", &csrf, &[("language", tag)]);
    assert_eq!(response.status(), 303, "switching to {tag}");
}

/// The desk's pages worth walking: every list, one ticket of each
/// category, a customer, a transaction, and each admin page.
fn desk_pages(app: &TestApp) -> Vec<String> {
    let mut conn = app.db.conn();
    let mut pages: Vec<String> = [
        "/agent",
        "/agent/tickets?view=all_open",
        "/agent/tickets?view=unassigned",
        "/agent/tickets?view=pending",
        "/agent/tickets?view=on_hold",
        "/agent/tickets?view=breaching",
        "/agent/tickets?view=awaiting_approval",
        "/agent/tickets?view=solved",
        "/agent/tickets?view=all_open&sort=priority",
        "/agent/customers",
        "/agent/transactions",
        "/agent/approvals",
        "/agent/admin/agents",
        "/agent/admin/sla",
        "/agent/admin/thresholds",
        "/agent/admin/audit",
        "/agent/admin/mail",
    ]
    .iter()
    .map(|p| (*p).to_owned())
    .collect();
    for category in TicketCategory::iter() {
        let id: Option<TicketId> = tickets::table
            .filter(tickets::category.eq(category))
            .select(tickets::id)
            .order(tickets::id)
            .first(&mut conn)
            .optional()
            .expect("a ticket query");
        if let Some(id) = id {
            pages.push(format!("/agent/tickets/{}", id.reference()));
        }
    }
    let customer: i64 = customers::table
        .select(customers::id)
        .order(customers::id)
        .first(&mut conn)
        .expect("a customer");
    pages.push(format!("/agent/customers/{customer}"));
    let frozen: Option<i64> = customers::table
        .filter(customers::status.eq(CustomerStatus::Frozen))
        .select(customers::id)
        .first(&mut conn)
        .optional()
        .expect("a customer query");
    pages.extend(frozen.map(|id| format!("/agent/customers/{id}")));
    for kind in TransactionKind::iter() {
        let reference: Option<String> = transactions::table
            .filter(transactions::kind.eq(kind))
            .select(transactions::reference)
            .first(&mut conn)
            .optional()
            .expect("a transaction query");
        pages.extend(reference.map(|r| format!("/agent/transactions/{r}")));
    }
    let other_agent: i64 = agents::table
        .select(agents::id)
        .order(agents::id.desc())
        .first(&mut conn)
        .expect("an agent");
    pages.push(format!("/agent/admin/agents/{other_agent}/deactivate"));
    pages
}

#[test]
fn every_desk_page_speaks_both_languages_and_shows_no_codes() -> TestResult {
    let (app, _) = demo_desk();
    let codes = codes();
    // The check itself finds codes, whole or inside a sentence.
    let planted = Html::parse_document(
        "<p><span>on_hold</span> <b>open</b> see refund_not_received.</p><input placeholder='p2p_trade'>",
    );
    assert_eq!(
        raw_codes(&planted, &codes),
        ["on_hold", "open", "refund_not_received", "p2p_trade"]
    );
    let pages = desk_pages(&app);
    assert!(pages.len() > 30, "{pages:?}");
    for (tag, nav_tickets) in [("zh-CN", "工单"), ("en", "Tickets")] {
        choose_language(&app, tag);
        for path in &pages {
            let page = app.page(path);
            let lang = select(&page, "html")[0]
                .value()
                .attr("lang")
                .unwrap_or_default()
                .to_owned();
            assert_eq!(lang, tag, "{path}");
            let found = raw_codes(&page, &codes);
            assert!(found.is_empty(), "{tag} {path} shows codes {found:?}");
            let nav: Vec<String> = select(&page, ".desk-nav a")
                .into_iter()
                .map(text_of)
                .collect();
            assert!(
                nav.iter().any(|n| n == nav_tickets),
                "{tag} {path}: {nav:?}"
            );
            let zone = text_of(select(&page, "#time-zone")[0]);
            assert!(zone.contains("Asia/Shanghai"), "{tag} {path}: {zone}");
        }
        let missing = app.get("/agent/no-such-page");
        assert_eq!(missing.status(), 404);
        let page = Html::parse_document(&missing.text()?);
        let title = text_of(select(&page, "h1")[0]);
        assert_eq!(
            title,
            if tag == "en" {
                "Not found"
            } else {
                "找不到页面"
            }
        );
    }
    Ok(())
}

#[test]
fn every_public_page_speaks_both_languages_and_shows_no_codes() -> TestResult {
    let (app, _) = demo_desk();
    let codes = codes();
    let mut pages: Vec<String> = vec!["/".into(), "/disputes/new".into()];
    for category in TicketCategory::iter() {
        pages.push(format!("/help/{}", category.as_str().replace('_', "-")));
        pages.push(format!("/disputes/new?category={}", category.as_str()));
    }
    // A tracking page for a ticket of each category and of each status,
    // so every diagnosis and status is read.
    let mut conn = app.db.conn();
    let mut picked: Vec<TicketId> = Vec::new();
    for category in TicketCategory::iter() {
        let ids: Vec<TicketId> = tickets::table
            .filter(tickets::category.eq(category))
            .filter(tickets::transaction_id.is_not_null())
            .select(tickets::id)
            .order(tickets::id)
            .limit(3)
            .load(&mut conn)?;
        picked.extend(ids);
    }
    for status in TicketStatus::iter() {
        let id: Option<TicketId> = tickets::table
            .filter(tickets::status.eq(status))
            .select(tickets::id)
            .first(&mut conn)
            .optional()?;
        picked.extend(id);
    }
    let now = chrono::Utc::now().naive_utc();
    for id in picked {
        let token = redress::disputes::tracking::issue(&mut conn, id, now)?;
        pages.push(format!("/track/{token}"));
    }
    assert!(pages.len() > 40, "{pages:?}");
    for tag in ["zh-CN", "en"] {
        let user = app.browser();
        assert_eq!(
            user.get(&format!("/language?to={tag}&next=/")).status(),
            303
        );
        for path in &pages {
            let response = user.get(path);
            assert_eq!(response.status(), 200, "{tag} {path}");
            let page = Html::parse_document(&response.text()?);
            let lang = select(&page, "html")[0]
                .value()
                .attr("lang")
                .unwrap_or_default()
                .to_owned();
            assert_eq!(lang, tag, "{path}");
            let found = raw_codes(&page, &codes);
            assert!(found.is_empty(), "{tag} {path} shows codes {found:?}");
        }
    }
    Ok(())
}

#[test]
fn the_language_is_the_agents_choice_and_the_browsers_before_it() -> TestResult {
    let app = TestApp::start();
    add_test_agent(&app.db, "lang@example.com", "Lang Agent", Role::Agent);
    app.sign_in_ok("lang@example.com");
    let with_language = |accept: &str| -> Html {
        let response = app
            .client
            .get(app.url("/agent/tickets"))
            .header("Accept-Language", accept)
            .send()
            .expect("the server answers");
        assert_eq!(response.status(), 200);
        Html::parse_document(&response.text().expect("a body"))
    };
    let h1 = |page: &Html| text_of(select(page, "h1")[0]);
    // No choice yet: the browser's language decides.
    assert_eq!(
        h1(&with_language("zh-CN,zh;q=0.9,en;q=0.5")),
        "我的待办工单"
    );
    assert_eq!(h1(&with_language("en-GB,en;q=0.9")), "My open tickets");
    assert_eq!(h1(&with_language("fr-FR")), "My open tickets");
    // The switch offers the other language, and the choice is stored.
    let page = with_language("en");
    let offered: Vec<&str> = select(&page, "#language-switch button")
        .into_iter()
        .filter_map(|b| b.value().attr("value"))
        .collect();
    assert_eq!(offered, ["zh-CN"]);
    let csrf = app.csrf("/agent/tickets?view=pending");
    let response = app
        .client
        .post(app.url("/agent/language"))
        .header("Referer", app.url("/agent/tickets?view=pending"))
        .form(&[("csrf_token", csrf.as_str()), ("language", "zh-CN")])
        .send()?;
    assert_eq!(response.status(), 303);
    assert_eq!(
        location(&response),
        "/agent/tickets?view=pending",
        "back to the page"
    );
    let stored: Option<String> = agents::table
        .filter(agents::email.eq("lang@example.com"))
        .select(agents::language)
        .first(&mut app.db.conn())?;
    assert_eq!(stored.as_deref(), Some("zh-CN"));
    // The stored choice wins over the browser's language.
    assert_eq!(h1(&with_language("en")), "我的待办工单");
    // An unknown language changes nothing.
    let csrf = app.csrf("/agent");
    let response = app.post_form("/agent/language", &csrf, &[("language", "tlh")]);
    assert_eq!(response.status(), 400);
    assert_eq!(h1(&with_language("en")), "我的待办工单");
    // A fresh browser signing in as this agent gets Chinese pages, and
    // afterwards so do its sign-in and error pages.
    let other = app.browser();
    other.sign_in_ok("lang@example.com");
    assert_eq!(
        text_of(select(&other.page("/agent/tickets"), "h1")[0]),
        "我的待办工单"
    );
    let csrf = other.csrf("/agent");
    assert_eq!(other.post_form("/agent/logout", &csrf, &[]).status(), 303);
    let login = other.page("/agent/login");
    assert_eq!(text_of(select(&login, "h1")[0]), "登录客服工作台");
    Ok(())
}

#[test]
fn a_tickets_sla_says_met_met_late_or_breached_by_how_much() -> TestResult {
    let app = crate::desk_tickets::desk();
    let bo = crate::desk_tickets::agent_actor(&app, "bo@example.com");
    funded_wallet(&mut app.db.conn(), 1, 0);
    let id = crate::desk_tickets::open_ticket(
        &app,
        &bo,
        crate::desk_tickets::new_ticket(1, "SLA words"),
    );
    let at = |day: u32, hour: u32| {
        NaiveDate::from_ymd_opt(2026, 11, day)
            .and_then(|d| d.and_hms_opt(hour, 0, 0))
            .expect("a valid time")
    };
    let set = |due: chrono::NaiveDateTime, responded: Option<chrono::NaiveDateTime>| {
        diesel::update(tickets::table.find(id))
            .set((
                tickets::first_response_due_at.eq(Some(due)),
                tickets::first_responded_at.eq(responded),
            ))
            .execute(&mut app.db.conn())
            .expect("the ticket changes");
    };
    let path = format!("/agent/tickets/{}", id.reference());
    let first_response = || {
        let page = app.page(&path);
        let line = select(&page, "#sla-first-response")[0];
        (
            text_of(line),
            line.value()
                .attr("class")
                .unwrap_or_default()
                .contains("breached"),
        )
    };
    set(at(2, 4), Some(at(2, 2)));
    assert_eq!(
        first_response(),
        (
            "First response met at 2026-11-02 10:00, 2h 00m before the target".to_owned(),
            false
        )
    );
    set(at(2, 4), Some(at(24, 7)));
    let (late, breached) = first_response();
    assert!(breached);
    assert!(late.starts_with("First response 22d 3h late"), "{late}");
    set(at(2, 4), None);
    let (overdue, breached) = first_response();
    assert!(breached);
    assert!(
        overdue.starts_with("First response overdue by"),
        "{overdue}"
    );
    Ok(())
}
