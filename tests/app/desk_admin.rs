//! The SLA calendar, the audit log page and the dashboard, over HTTP.

use crate::helpers::*;
use diesel::prelude::*;
use redress::db::schema::{audit_log, business_calendar, holidays, sla_policies, tickets};
use redress::domain::*;
use redress::tickets::service::{self, Actor, NewTicket};
use redress::tickets::sla;

fn admin() -> TestApp {
    let app = TestApp::start();
    add_test_agent(&app.db, "ada@example.com", "Ada Admin", Role::Admin);
    app.sign_in_ok("ada@example.com");
    app
}

#[test]
fn admins_edit_the_sla_calendar_targets_and_holidays() -> TestResult {
    let app = admin();
    let page = app.page("/agent/admin/sla");
    assert_eq!(
        select(&page, "#calendar-form input[name=time_zone]")[0]
            .value()
            .attr("value"),
        Some("Asia/Shanghai")
    );
    assert_eq!(
        select(&page, "#calendar-form input[type=checkbox][checked]").len(),
        5
    );
    let csrf = app.csrf("/agent/admin/sla");

    // A bad time zone is refused with the reason, and nothing changes.
    let response = app.post_form(
        "/agent/admin/sla/calendar",
        &csrf,
        &[
            ("time_zone", "Mars/Olympus"),
            ("day1", "on"),
            ("start", "09:00"),
            ("end", "18:00"),
        ],
    );
    // Sent back to the page (a reload does not post again), the typed
    // value kept.
    assert_eq!(location(&response), "/agent/admin/sla");
    let page = app.refused_page(response);
    assert!(text_of(select(&page, ".error")[0]).contains("“Mars/Olympus” is not a time zone"));
    assert_eq!(
        select(&page, "input[name=time_zone]")[0]
            .value()
            .attr("value"),
        Some("Mars/Olympus")
    );
    let again = app.page("/agent/admin/sla");
    assert!(select(&again, ".error").is_empty(), "said once");
    assert_eq!(
        select(&again, "input[name=time_zone]")[0]
            .value()
            .attr("value"),
        Some("Asia/Shanghai")
    );
    let response = app.post_form(
        "/agent/admin/sla/calendar",
        &csrf,
        &[
            ("time_zone", "UTC"),
            ("day1", "on"),
            ("start", "18:00"),
            ("end", "09:00"),
        ],
    );
    app.refused_page(response);

    let response = app.post_form(
        "/agent/admin/sla/calendar",
        &csrf,
        &[
            ("time_zone", "Europe/Berlin"),
            ("day1", "on"),
            ("day2", "on"),
            ("day3", "on"),
            ("day4", "on"),
            ("day6", "on"),
            ("start", "08:30"),
            ("end", "17:00"),
        ],
    );
    assert_eq!(response.status(), 303);
    let (zone, days, start, end): (String, String, i64, i64) = business_calendar::table
        .select((
            business_calendar::time_zone,
            business_calendar::work_days,
            business_calendar::work_start_minute,
            business_calendar::work_end_minute,
        ))
        .first(&mut app.db.conn())?;
    assert_eq!(
        (zone.as_str(), days.as_str(), start, end),
        ("Europe/Berlin", "1,2,3,4,6", 510, 1020)
    );

    let response = app.post_form(
        "/agent/admin/sla/targets",
        &csrf,
        &[
            ("priority", "urgent"),
            ("first_response_minutes", "30"),
            ("resolution_minutes", "240"),
        ],
    );
    assert_eq!(response.status(), 303);
    let response = app.post_form(
        "/agent/admin/sla/targets",
        &csrf,
        &[
            ("priority", "urgent"),
            ("first_response_minutes", "300"),
            ("resolution_minutes", "240"),
        ],
    );
    app.refused_page(response);
    let response = app.post_form(
        "/agent/admin/sla/targets",
        &csrf,
        &[
            ("priority", "urgent"),
            ("first_response_minutes", "soon"),
            ("resolution_minutes", "240"),
        ],
    );
    app.refused_page(response);
    let (first, resolution): (i64, i64) = sla_policies::table
        .filter(sla_policies::priority.eq(TicketPriority::Urgent))
        .select((
            sla_policies::first_response_minutes,
            sla_policies::resolution_minutes,
        ))
        .first(&mut app.db.conn())?;
    assert_eq!((first, resolution), (30, 240));
    // Targets are typed in hours and minutes, and shown that way.
    let response = app.post_form(
        "/agent/admin/sla/targets",
        &csrf,
        &[
            ("priority", "high"),
            ("first_response_hours", "1"),
            ("first_response_minutes", "30"),
            ("resolution_hours", "90"),
            ("resolution_minutes", "0"),
        ],
    );
    assert_eq!(response.status(), 303);
    let (first, resolution): (i64, i64) = sla_policies::table
        .filter(sla_policies::priority.eq(TicketPriority::High))
        .select((
            sla_policies::first_response_minutes,
            sla_policies::resolution_minutes,
        ))
        .first(&mut app.db.conn())?;
    assert_eq!((first, resolution), (90, 5400));
    let page = app.page("/agent/admin/sla");
    let shown = |name: &str| {
        select(&page, &format!("tr[data-priority=high] input[name={name}]"))[0]
            .value()
            .attr("value")
            .map(str::to_owned)
    };
    assert_eq!(shown("first_response_hours").as_deref(), Some("1"));
    assert_eq!(shown("first_response_minutes").as_deref(), Some("30"));
    assert_eq!(shown("resolution_hours").as_deref(), Some("90"));
    assert_eq!(shown("resolution_minutes").as_deref(), Some("0"));

    let response = app.post_form(
        "/agent/admin/sla/holidays",
        &csrf,
        &[
            ("action", "add"),
            ("day", "2026-12-25"),
            ("name", "Christmas <Day>"),
        ],
    );
    assert_eq!(response.status(), 303);
    let page = app.page("/agent/admin/sla");
    assert_eq!(
        text_of(select(&page, "#holidays li span")[0]),
        "2026-12-25 · Christmas <Day>"
    );
    let response = app.post_form(
        "/agent/admin/sla/holidays",
        &csrf,
        &[("action", "remove"), ("day", "2026-12-25")],
    );
    assert_eq!(response.status(), 303);
    let left: i64 = holidays::table.count().get_result(&mut app.db.conn())?;
    assert_eq!(left, 0);
    app.refused_page(app.post_form(
        "/agent/admin/sla/holidays",
        &csrf,
        &[("action", "add"), ("day", "25/12/2026"), ("name", "x")],
    ));

    // The stored calendar now drives new tickets' due times.
    let settings = sla::load(&mut app.db.conn())?;
    assert_eq!(settings.calendar.time_zone.name(), "Europe/Berlin");
    let actions: Vec<String> = audit_log::table
        .filter(audit_log::action.like("sla.%"))
        .order(audit_log::id)
        .select(audit_log::action)
        .load(&mut app.db.conn())?;
    assert_eq!(
        actions,
        [
            "sla.calendar",
            "sla.target",
            "sla.target",
            "sla.holiday_add",
            "sla.holiday_remove"
        ]
    );
    Ok(())
}

#[test]
fn the_audit_log_page_filters_by_agent_action_ticket_and_date() -> TestResult {
    let app = admin();
    let bo = add_test_agent(&app.db, "bo@example.com", "Bo Agent", Role::Agent);
    funded_wallet(&mut app.db.conn(), 1, 0);
    let settings = sla::load(&mut app.db.conn())?;
    let actor = Actor {
        id: bo,
        name: "Bo Agent".into(),
        role: Role::Agent,
    };
    let mut opened = Vec::new();
    for n in 0..3 {
        let ticket = service::open(
            &mut app.db.conn(),
            &settings,
            &actor,
            NewTicket {
                customer: CustomerId(1),
                transaction: None,
                category: TicketCategory::Other,
                priority: TicketPriority::Low,
                subject: format!("Question {n}"),
                description: String::new(),
            },
        )?;
        opened.push(ticket.id);
    }
    let page = app.page("/agent/admin/audit");
    assert!(select(&page, "#audit tbody tr").len() >= 5);

    let page = app.page(&format!("/agent/admin/audit?agent={bo}"));
    let rows = select(&page, "#audit tbody tr");
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter()
            .all(|row| row.value().attr("data-action") == Some("ticket.open"))
    );
    let page = app.page(&format!(
        "/agent/admin/audit?ticket={}",
        opened[1].reference()
    ));
    let rows = select(&page, "#audit tbody tr");
    assert_eq!(rows.len(), 1);
    assert!(text_of(rows[0]).contains("Question 1"));
    let page = app.page("/agent/admin/audit?action=agent.add");
    assert_eq!(select(&page, "#audit tbody tr").len(), 2);
    let today = chrono::Utc::now().date_naive();
    let page = app.page(&format!("/agent/admin/audit?from={today}&until={today}"));
    assert!(select(&page, "#audit tbody tr").len() >= 5);
    let yesterday = today - chrono::Duration::days(1);
    let page = app.page(&format!("/agent/admin/audit?until={yesterday}"));
    assert!(select(&page, "#audit tbody tr").is_empty());
    assert_eq!(app.get("/agent/admin/audit?from=yesterday").status(), 400);
    Ok(())
}

#[test]
fn the_dashboard_counts_open_tickets_breaches_and_draws_the_days() -> TestResult {
    let app = admin();
    let ada = Actor {
        id: AgentId(1),
        name: "Ada Admin".into(),
        role: Role::Admin,
    };
    funded_wallet(&mut app.db.conn(), 1, 0);
    let settings = sla::load(&mut app.db.conn())?;
    for (n, category) in [
        TicketCategory::AccountFrozen,
        TicketCategory::AccountFrozen,
        TicketCategory::TopUpFailed,
    ]
    .into_iter()
    .enumerate()
    {
        service::open(
            &mut app.db.conn(),
            &settings,
            &ada,
            NewTicket {
                customer: CustomerId(1),
                transaction: None,
                category,
                priority: TicketPriority::High,
                subject: format!("Dashboard {n}"),
                description: String::new(),
            },
        )?;
    }
    diesel::update(tickets::table.find(TicketId(3)))
        .set(tickets::sla_due_at.eq(Some(
            chrono::Utc::now().naive_utc() - chrono::Duration::minutes(5),
        )))
        .execute(&mut app.db.conn())?;
    let page = app.page("/agent");
    assert_eq!(text_of(select(&page, "#breaching .stat-value")[0]), "1");
    let frozen = select(&page, "#open-by-category tbody tr")
        .into_iter()
        .find(|row| text_of(*row).starts_with("Account frozen"))
        .ok_or("an account_frozen row")?;
    // Columns: new, open, pending, on_hold, total. Agent-opened tickets are open.
    let cells: Vec<String> = frozen
        .children()
        .filter_map(scraper::ElementRef::wrap)
        .map(text_of)
        .collect();
    assert_eq!(cells, ["Account frozen", "0", "2", "0", "0", "2"]);
    let bars = select(&page, "#per-day-chart rect");
    assert_eq!(bars.len(), 30);
    let today = select(&page, "#per-day-chart rect title")
        .last()
        .map(|t| text_of(*t))
        .ok_or("a bar for today")?;
    assert!(today.ends_with(": 3"), "{today}");
    // The footer totals each status column, and the grand total adds them.
    let footer: Vec<String> = select(&page, "#open-by-category tfoot th")
        .into_iter()
        .map(text_of)
        .collect();
    let by_status: i64 = footer[1..footer.len() - 1]
        .iter()
        .map(|n| n.parse::<i64>().unwrap_or(-1_000_000))
        .sum();
    assert!(by_status > 0, "{footer:?}");
    assert_eq!(
        text_of(select(&page, "#grand-total")[0]),
        by_status.to_string()
    );
    // The chart has its count axis and day labels.
    assert!(select(&page, "#per-day-chart text.y-value").len() >= 2);
    assert!(!select(&page, "#per-day-chart text.x-value").is_empty());
    assert_eq!(select(&page, "#per-day-values tbody tr").len(), 30);
    Ok(())
}
