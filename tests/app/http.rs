//! The running server: health, the login page in the layout, headers.

use crate::helpers::{TestApp, TestResult};
use diesel::connection::SimpleConnection;
use scraper::{Html, Selector};

fn select<'a>(html: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    let selector = Selector::parse(css).expect("a valid selector");
    html.select(&selector).collect()
}

#[test]
fn healthz_reports_the_backend_and_schema() -> TestResult {
    let app = TestApp::start();
    let response = app.get("/healthz");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json()?;
    assert_eq!(body["status"], "ok");
    assert_eq!(
        body["database"],
        if app.db.is_postgres() {
            "postgres"
        } else {
            "sqlite"
        }
    );
    assert!(
        body["schema"]
            .as_str()
            .is_some_and(|v| v.starts_with("2026")),
        "{body}"
    );
    Ok(())
}

#[test]
fn healthz_is_503_when_the_database_does_not_answer() -> TestResult {
    let app = TestApp::start();
    assert_eq!(app.get("/healthz").status(), 200);
    // Break the database under the running server.
    app.db
        .conn()
        .batch_execute("DROP TABLE __diesel_schema_migrations")?;
    let response = app.get("/healthz");
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json()?;
    assert_eq!(body["status"], "unavailable");
    Ok(())
}

#[test]
fn the_login_page_is_served_in_the_layout_with_its_css() -> TestResult {
    let app = TestApp::start();
    let response = app.get("/agent/login");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    assert!(
        response
            .headers()
            .get("content-security-policy")
            .is_some_and(|v| v
                .to_str()
                .unwrap_or_default()
                .contains("frame-ancestors 'none'"))
    );
    assert_eq!(
        response
            .headers()
            .get("x-content-type-options")
            .and_then(|v| v.to_str().ok()),
        Some("nosniff")
    );
    let html = Html::parse_document(&response.text()?);
    assert_eq!(
        select(&html, "title")[0].text().collect::<String>(),
        "Sign in to the desk · Redress"
    );
    assert_eq!(
        select(
            &html,
            "form[method=post][action='/agent/login'] input[name=email][type=email]"
        )
        .len(),
        1
    );
    assert_eq!(
        select(&html, "input[name=password][type=password]").len(),
        1
    );
    let stylesheet = select(&html, "link[rel=stylesheet]")[0]
        .value()
        .attr("href")
        .ok_or("no stylesheet")?
        .to_owned();

    let css = app.get(&stylesheet);
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap_or_default().starts_with("text/css"))
    );
    assert!(css.text()?.contains("--accent"));
    Ok(())
}

#[test]
fn unknown_pages_are_404_in_the_layout() -> TestResult {
    let app = TestApp::start();
    for path in ["/nowhere", "/static/missing.css", "/agent/nothing-here"] {
        let response = app.get(path);
        assert_eq!(response.status(), 404, "{path}");
        let html = Html::parse_document(&response.text()?);
        assert_eq!(
            select(&html, "h1")[0].text().collect::<String>(),
            "Not found",
            "{path}"
        );
    }
    Ok(())
}
