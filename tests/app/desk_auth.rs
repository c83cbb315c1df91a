//! Signing in and out of the desk, sessions, throttling, CSRF, roles, and
//! the error pages, over HTTP against a running server.

use crate::helpers::*;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use redress::db::schema::{agent_sessions, agents, audit_log, login_attempts};
use redress::domain::{AgentId, Role};
use scraper::Html;

fn admin_app() -> TestApp {
    let app = TestApp::start();
    add_test_agent(&app.db, "ada@example.com", "Ada Admin", Role::Admin);
    app
}

fn audit_actions(app: &TestApp) -> Vec<String> {
    audit_log::table
        .order(audit_log::id)
        .select(audit_log::action)
        .load(&mut app.db.conn())
        .expect("audit rows")
}

#[test]
fn signing_in_and_out() -> TestResult {
    let app = admin_app();
    // Not signed in: the desk sends you to the login page, remembering where.
    let response = app.get("/agent/admin/agents");
    assert_eq!(response.status(), 303);
    assert_eq!(
        location(&response),
        "/agent/login?next=%2Fagent%2Fadmin%2Fagents"
    );

    let response = app.sign_in_to("Ada@Example.com", AGENT_PASSWORD, "/agent/admin/agents");
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/agent/admin/agents");
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("redress_session="))
        .ok_or("no session cookie")?
        .to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/agent"), "{cookie}");
    // Plain http in tests: Secure only when the base URL is https.
    assert!(!cookie.contains("Secure"), "{cookie}");

    let response = app.get("/agent/admin/agents");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let page = Html::parse_document(&response.text()?);
    assert_eq!(text_of(select(&page, ".who-name")[0]), "Ada Admin Admin");
    let session_value = cookie.split(';').next().ok_or("a cookie value")?.to_owned();

    // Signing out ends the session on the server, not only in this browser.
    let csrf = app.csrf("/agent/admin/agents");
    let response = app.post_form("/agent/logout", &csrf, &[]);
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/agent/login?signed_out=1");
    let page = app.page("/agent/login?signed_out=1");
    assert_eq!(text_of(select(&page, ".notice")[0]), "You have signed out.");
    assert_eq!(app.get("/agent/admin/agents").status(), 303);
    let replayed = app
        .browser()
        .client
        .get(app.url("/agent/admin/agents"))
        .header("cookie", &session_value)
        .send()?;
    assert_eq!(replayed.status(), 303, "a signed-out session key is dead");

    let actions = audit_actions(&app);
    assert!(actions.ends_with(&["agent.sign_in".to_owned(), "agent.sign_out".to_owned()]));
    Ok(())
}

#[test]
fn every_sign_in_gets_a_new_session_key() -> TestResult {
    let app = admin_app();
    let key_hashes = |app: &TestApp| -> Vec<String> {
        agent_sessions::table
            .select(agent_sessions::key_hash)
            .order(agent_sessions::key_hash)
            .load(&mut app.db.conn())
            .expect("sessions")
    };
    assert_eq!(app.sign_in("ada@example.com", AGENT_PASSWORD).status(), 303);
    let first = key_hashes(&app);
    assert_eq!(first.len(), 1);
    // Signing in again from the same browser replaces the key.
    assert_eq!(
        app.sign_in_to("ada@example.com", AGENT_PASSWORD, "/agent/admin")
            .status(),
        303
    );
    let second = key_hashes(&app);
    assert_eq!(second.len(), 1, "{second:?}");
    assert_ne!(first, second);
    Ok(())
}

#[test]
fn wrong_passwords_and_unknown_emails_get_the_same_answer() -> TestResult {
    let app = admin_app();
    for (email, password) in [
        ("ada@example.com", "not the password at all"),
        ("nobody@example.com", AGENT_PASSWORD),
    ] {
        let response = app.sign_in(email, password);
        assert_eq!(response.status(), 401);
        let page = Html::parse_document(&response.text()?);
        assert_eq!(
            text_of(select(&page, ".error")[0]),
            "The e-mail or password is wrong."
        );
        // The e-mail stays in the form; the password does not.
        assert_eq!(
            select(&page, "input[name=email]")[0].value().attr("value"),
            Some(email)
        );
        assert_eq!(
            select(&page, "input[name=password]")[0]
                .value()
                .attr("value"),
            None
        );
    }
    assert_eq!(app.get("/agent/admin/agents").status(), 303);
    let failures: i64 = login_attempts::table
        .filter(login_attempts::succeeded.eq(false))
        .count()
        .get_result(&mut app.db.conn())?;
    assert_eq!(failures, 2);
    Ok(())
}

#[test]
fn five_failures_pause_sign_in_for_the_account() -> TestResult {
    let app = admin_app();
    for _ in 0..5 {
        assert_eq!(
            app.sign_in("ada@example.com", "wrong password!!").status(),
            401
        );
    }
    // Even the right password is refused now, with a clear message.
    let response = app.sign_in("ada@example.com", AGENT_PASSWORD);
    assert_eq!(response.status(), 429);
    let page = Html::parse_document(&response.text()?);
    let message = text_of(select(&page, ".error")[0]);
    assert!(
        message.starts_with("Too many failed sign-ins.") && message.contains("15 minutes"),
        "{message}"
    );
    assert_eq!(app.get("/agent/admin/agents").status(), 303);

    // Once the failures are older than the window, sign-in works again.
    app.db
        .conn()
        .batch_execute(
            "UPDATE login_throttles SET window_started_at = window_started_at - INTERVAL '16 minutes'",
        )
        .or_else(|_| {
            app.db.conn().batch_execute(
                "UPDATE login_throttles SET window_started_at = datetime(window_started_at, '-16 minutes')",
            )
        })?;
    assert_eq!(app.sign_in("ada@example.com", AGENT_PASSWORD).status(), 303);
    Ok(())
}

#[test]
fn five_failures_from_one_address_pause_every_account_from_it() -> TestResult {
    let app = admin_app();
    add_test_agent(&app.db, "bo@example.com", "Bo Agent", Role::Agent);
    for n in 0..5 {
        let email = format!("guess{n}@example.com");
        assert_eq!(app.sign_in(&email, "wrong password!!").status(), 401);
    }
    assert_eq!(app.sign_in("bo@example.com", AGENT_PASSWORD).status(), 429);
    Ok(())
}

#[test]
fn a_deactivated_agent_cannot_sign_in_and_is_signed_out_at_once() -> TestResult {
    let app = admin_app();
    app.sign_in_ok("ada@example.com");
    let bo = add_test_agent(&app.db, "bo@example.com", "Bo Agent", Role::Agent);
    let bo_browser = app.browser();
    assert_eq!(
        bo_browser
            .sign_in("bo@example.com", AGENT_PASSWORD)
            .status(),
        303
    );
    assert_eq!(bo_browser.get("/agent/tickets").status(), 200);

    let csrf = app.csrf("/agent/admin/agents");
    let response = app.post_form(
        &format!("/agent/admin/agents/{bo}"),
        &csrf,
        &[("active", "false")],
    );
    assert_eq!(response.status(), 303);
    let page = app.page(&location(&response));
    let row = select(&page, &format!("tr[data-agent='{bo}'] td.status"));
    assert_eq!(text_of(row[0]), "Deactivated");

    // Bo's open session stops working on the next request...
    assert_eq!(bo_browser.get("/agent/tickets").status(), 303);
    // ...and Bo cannot sign in again.
    let response = bo_browser.sign_in("bo@example.com", AGENT_PASSWORD);
    assert_eq!(response.status(), 403);
    let page = Html::parse_document(&response.text()?);
    assert!(text_of(select(&page, ".error")[0]).contains("deactivated"));

    let (before, after): (Option<String>, Option<String>) = audit_log::table
        .filter(audit_log::action.eq("agent.active"))
        .select((audit_log::before_json, audit_log::after_json))
        .first(&mut app.db.conn())?;
    assert_eq!(before.as_deref(), Some(r#"{"active":"true"}"#));
    assert_eq!(after.as_deref(), Some(r#"{"active":"false"}"#));
    Ok(())
}

#[test]
fn forms_without_the_session_token_or_from_elsewhere_are_refused() -> TestResult {
    let app = admin_app();
    app.sign_in_ok("ada@example.com");
    let agents_before: i64 = agents::table.count().get_result(&mut app.db.conn())?;
    let fields = [
        ("name", "Eve"),
        ("email", "eve@example.com"),
        ("role", "admin"),
        ("password", "a long enough password"),
    ];
    // No token.
    let response = app
        .client
        .post(app.url("/agent/admin/agents"))
        .form(&fields)
        .send()?;
    assert_eq!(response.status(), 403);
    let page = Html::parse_document(&response.text()?);
    assert_eq!(text_of(select(&page, "h1")[0]), "Form expired");
    // A wrong token.
    assert_eq!(
        app.post_form("/agent/admin/agents", "0123abcd", &fields)
            .status(),
        403
    );
    // The right token, posted from another site.
    let csrf = app.csrf("/agent/admin/agents");
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(&fields);
    let response = app
        .client
        .post(app.url("/agent/admin/agents"))
        .header("origin", "https://evil.example")
        .form(&form)
        .send()?;
    assert_eq!(response.status(), 403);
    // Signing out needs the token too.
    assert_eq!(
        app.client.post(app.url("/agent/logout")).send()?.status(),
        403
    );
    assert_eq!(
        app.get("/agent/admin/agents").status(),
        200,
        "still signed in"
    );
    let agents_after: i64 = agents::table.count().get_result(&mut app.db.conn())?;
    assert_eq!(agents_before, agents_after);

    // The login form carries its own token.
    let response = app
        .browser()
        .client
        .post(app.url("/agent/login"))
        .form(&[("email", "ada@example.com"), ("password", AGENT_PASSWORD)])
        .send()?;
    assert_eq!(response.status(), 403);

    // And with the token, from this site, it works.
    let response = app
        .client
        .post(app.url("/agent/admin/agents"))
        .header("origin", app.address.as_str())
        .form(&form)
        .send()?;
    assert_eq!(response.status(), 303);
    Ok(())
}

#[test]
fn agents_cannot_reach_admin_pages_or_act_on_them() -> TestResult {
    let app = admin_app();
    let ada = agent_id(&app.db, "ada@example.com");
    add_test_agent(&app.db, "bo@example.com", "Bo Agent", Role::Agent);
    add_test_agent(&app.db, "su@example.com", "Su Supervisor", Role::Supervisor);
    for email in ["bo@example.com", "su@example.com"] {
        let browser = app.browser();
        browser.sign_in_ok(email);
        let csrf = browser.csrf("/agent/tickets");
        for path in [
            "/agent/admin",
            "/agent/admin/agents",
            "/agent/admin/sla",
            "/agent/admin/audit",
        ] {
            let response = browser.get(path);
            assert_eq!(response.status(), 403, "{email} GET {path}");
            let page = Html::parse_document(&response.text()?);
            assert_eq!(text_of(select(&page, "h1")[0]), "Not allowed");
        }
        let response = browser.post_form(
            &format!("/agent/admin/agents/{ada}"),
            &csrf,
            &[("role", "agent")],
        );
        assert_eq!(response.status(), 403, "{email} demoting the admin");
        let response = browser.post_form(
            "/agent/admin/agents",
            &csrf,
            &[
                ("name", "X"),
                ("email", "x@example.com"),
                ("role", "admin"),
                ("password", "a long enough password"),
            ],
        );
        assert_eq!(response.status(), 403, "{email} adding an admin");
        let page = browser.page("/agent/tickets");
        assert!(select(&page, "nav a[href='/agent/admin/agents']").is_empty());
    }
    let role: Role = agents::table
        .find(ada)
        .select(agents::role)
        .first(&mut app.db.conn())?;
    assert_eq!(role, Role::Admin);
    Ok(())
}

#[test]
fn admins_add_agents_and_change_roles_with_audit() -> TestResult {
    let app = admin_app();
    app.sign_in_ok("ada@example.com");
    let csrf = app.csrf("/agent/admin/agents");
    // A refused form keeps what was typed and says why.
    let response = app.post_form(
        "/agent/admin/agents",
        &csrf,
        &[
            ("name", "<script>alert(1)</script>"),
            ("email", "cy@example.com"),
            ("role", "agent"),
            ("password", "short"),
        ],
    );
    assert_eq!(response.status(), 303);
    let body = app.get(&location(&response)).text()?;
    assert!(
        !body.contains("<script>alert(1)</script>"),
        "user text is escaped"
    );
    let page = Html::parse_document(&body);
    assert_eq!(
        text_of(select(&page, ".error")[0]),
        "The password must be at least 12 characters."
    );
    assert_eq!(
        select(&page, "#add-agent input[name=name]")[0]
            .value()
            .attr("value"),
        Some("<script>alert(1)</script>")
    );

    let response = app.post_form(
        "/agent/admin/agents",
        &csrf,
        &[
            ("name", "<script>alert(1)</script>"),
            ("email", "cy@example.com"),
            ("role", "agent"),
            ("password", "twelve chars or more"),
        ],
    );
    assert_eq!(response.status(), 303);
    let body = app.get(&location(&response)).text()?;
    assert!(!body.contains("<script>alert(1)</script>"));
    // Shown as text: the page has no script element, and the name reads back.
    let page = Html::parse_document(&body);
    assert!(select(&page, "script").is_empty());
    assert!(
        select(&page, "#agents td")
            .iter()
            .any(|cell| text_of(*cell) == "<script>alert(1)</script>")
    );
    let cy = agent_id(&app.db, "cy@example.com");

    let response = app.post_form(
        &format!("/agent/admin/agents/{cy}"),
        &csrf,
        &[("role", "supervisor")],
    );
    assert_eq!(response.status(), 303);
    let role: Role = agents::table
        .find(cy)
        .select(agents::role)
        .first(&mut app.db.conn())?;
    assert_eq!(role, Role::Supervisor);

    // An admin cannot demote or deactivate themselves.
    let ada = agent_id(&app.db, "ada@example.com");
    let response = app.post_form(
        &format!("/agent/admin/agents/{ada}"),
        &csrf,
        &[("active", "false")],
    );
    app.refused_page(response);

    type AuditLine = (String, Option<AgentId>, Option<String>, Option<String>);
    let rows: Vec<AuditLine> = audit_log::table
        .filter(audit_log::action.eq_any(["agent.add", "agent.role"]))
        .filter(audit_log::entity_id.eq(cy.to_string()))
        .order(audit_log::id)
        .select((
            audit_log::action,
            audit_log::actor_agent_id,
            audit_log::before_json,
            audit_log::after_json,
        ))
        .load(&mut app.db.conn())?;
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0].1, Some(ada));
    assert_eq!(rows[1].2.as_deref(), Some(r#"{"role":"agent"}"#));
    assert_eq!(rows[1].3.as_deref(), Some(r#"{"role":"supervisor"}"#));
    Ok(())
}

#[test]
fn sessions_end_after_idle_time_and_after_twelve_hours() -> TestResult {
    let app = admin_app();
    app.sign_in_ok("ada@example.com");
    assert_eq!(app.get("/agent/admin/agents").status(), 200);
    let age = |sql_pg: &str, sql_sqlite: &str| {
        let mut conn = app.db.conn();
        if app.db.is_postgres() {
            conn.batch_execute(sql_pg)
        } else {
            conn.batch_execute(sql_sqlite)
        }
        .expect("the session is aged");
    };
    // Idle for 31 minutes.
    age(
        "UPDATE agent_sessions SET expires_at = expires_at - INTERVAL '31 minutes'",
        "UPDATE agent_sessions SET expires_at = datetime(expires_at, '-31 minutes')",
    );
    assert_eq!(app.get("/agent/admin/agents").status(), 303);

    app.sign_in("ada@example.com", AGENT_PASSWORD);
    assert_eq!(app.get("/agent/admin/agents").status(), 200);
    let stored: i64 = agent_sessions::table
        .count()
        .get_result(&mut app.db.conn())?;
    assert_eq!(stored, 1, "the ended session was swept away at sign-in");
    // Busy all along, but signed in 12 hours and a minute ago.
    age(
        "UPDATE agent_sessions SET created_at = created_at - INTERVAL '721 minutes'",
        "UPDATE agent_sessions SET created_at = datetime(created_at, '-721 minutes')",
    );
    assert_eq!(app.get("/agent/admin/agents").status(), 303);
    Ok(())
}

#[test]
fn a_server_error_shows_a_request_id_and_no_internals() -> TestResult {
    let app = admin_app();
    app.sign_in_ok("ada@example.com");
    app.db
        .conn()
        .batch_execute("ALTER TABLE agents RENAME TO agents_gone")?;
    let response = app.get("/agent/admin/agents");
    assert_eq!(response.status(), 500);
    let header_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .ok_or("no request id header")?
        .to_owned();
    let body = response.text()?;
    let page = Html::parse_document(&body);
    assert_eq!(text_of(select(&page, "h1")[0]), "Something went wrong");
    assert_eq!(text_of(select(&page, "code")[0]), header_id);
    assert!(
        !body.contains("agents"),
        "no SQL or table names in the page"
    );
    assert!(!body.to_lowercase().contains("diesel"));
    Ok(())
}

#[test]
fn behind_tls_the_session_cookie_is_secure() -> TestResult {
    let db = TestDb::new();
    let settings = test_settings_with(&db, &[("REDRESS_BASE_URL", "https://desk.example.com/")]);
    let app = TestApp::start_with_settings(db, settings);
    add_test_agent(&app.db, "ada@example.com", "Ada Admin", Role::Admin);
    // Behind the TLS proxy, the browser's forms come from the public origin.
    let browser = app.browser_from("https://desk.example.com");
    let response = browser.sign_in("ada@example.com", AGENT_PASSWORD);
    assert_eq!(response.status(), 303);
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("redress_session="))
        .ok_or("no session cookie")?
        .to_owned();
    assert!(cookie.contains("Secure"), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    Ok(())
}
