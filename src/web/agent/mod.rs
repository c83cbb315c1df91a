//! The agent desk under `/agent`: server-rendered pages behind a signed-in
//! session. Every handler takes the extractor of the least role it needs
//! (`Viewer`, `SupervisorViewer`, `AdminViewer`), so roles are enforced on
//! the server; every form that changes something goes through `CsrfForm`.

mod admin;
mod approvals;
pub mod auth;
mod customers;
mod dashboard;
mod session_store;
mod signin;
mod sla_words;
mod tickets;

use crate::domain::{Coded, Role};
use crate::i18n::{self, Lang};
use crate::web::AppState;
use crate::web::clock;
use crate::web::errors::DeskError;
use actix_session::SessionMiddleware;
use actix_session::config::{BrowserSession, TtlExtensionPolicy};
use actix_web::cookie::{Key, SameSite, time::Duration as CookieDuration};
use actix_web::http::StatusCode;
use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpResponse, http::header, web};
use auth::Viewer;
use chrono::NaiveDateTime;
use chrono_tz::Tz;
use session_store::DatabaseSessionStore;

const SESSION_COOKIE: &str = "redress_session";

/// What the desk's layout shows around every page, and the words and
/// times of the page in the agent's language and the desk's time zone.
pub struct Chrome {
    pub name: String,
    pub role: Role,
    pub is_admin: bool,
    pub is_supervisor: bool,
    pub csrf: String,
    /// Which part of the desk the page belongs to, for the navigation.
    pub section: &'static str,
    pub lang: Lang,
    pub zone: Tz,
}

impl Chrome {
    pub fn new(viewer: &Viewer, section: &'static str) -> Chrome {
        Chrome {
            name: viewer.name.clone(),
            role: viewer.role,
            is_admin: viewer.may(Role::Admin),
            is_supervisor: viewer.may(Role::Supervisor),
            csrf: viewer.csrf.clone(),
            section,
            lang: viewer.lang,
            zone: viewer.zone,
        }
    }

    /// The text of a catalog key.
    pub fn t(&self, key: &str) -> String {
        i18n::text(self.lang, key)
    }

    /// The text of a catalog key with one value placed.
    pub fn t1(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        i18n::text_with(self.lang, key, &[(name, value.to_string())])
    }

    /// The text of a catalog key with two values placed.
    pub fn t2(
        &self,
        key: &str,
        first: &str,
        first_value: impl std::fmt::Display,
        second: &str,
        second_value: impl std::fmt::Display,
    ) -> String {
        i18n::text_with(
            self.lang,
            key,
            &[
                (first, first_value.to_string()),
                (second, second_value.to_string()),
            ],
        )
    }

    /// What a timeline entry says.
    pub fn summary(&self, entry: &crate::tickets::view::TimelineEntry) -> String {
        entry.summary(self.lang)
    }

    /// A field's name as a label before its value ("Status:", "状态："),
    /// for table cells that stand alone on a phone.
    pub fn label(&self, key: &str) -> String {
        i18n::text_with(self.lang, "label-colon", &[("label", self.t(key))])
    }

    /// The words for a code of the data model.
    pub fn word<C: Coded>(&self, value: C) -> String {
        i18n::word(self.lang, value)
    }

    /// A code from outside the enumerations, in words when known.
    pub fn known(&self, group: &str, code: &str) -> String {
        i18n::known_word(self.lang, group, code)
    }

    /// A stored (UTC) time as the desk shows it: in the desk's zone.
    pub fn time(&self, at: &NaiveDateTime) -> String {
        clock::local_time(self.zone, *at)
    }

    /// A stored (UTC) time's date in the desk's zone.
    pub fn date(&self, at: &NaiveDateTime) -> String {
        clock::local_date(self.zone, *at)
    }

    /// The desk's time zone, named for the page's footer.
    pub fn zone_name(&self) -> String {
        clock::zone_name(self.zone, self.lang)
    }
}

/// The desk's routes, its session cookie signed with `key`.
pub fn routes(state: web::Data<AppState>, key: Key) -> impl FnOnce(&mut web::ServiceConfig) {
    move |config| {
        let secure = state.settings.base_url.scheme() == "https";
        let idle = crate::agents::sessions::IDLE_TIMEOUT.num_seconds();
        let sessions = SessionMiddleware::builder(DatabaseSessionStore::new(state), key)
            .cookie_name(SESSION_COOKIE.to_owned())
            .cookie_http_only(true)
            .cookie_secure(secure)
            .cookie_same_site(SameSite::Lax)
            .cookie_path("/agent".to_owned())
            // The cookie lasts while the browser does; the stored session
            // ends after the idle timeout, pushed on as the agent works.
            .session_lifecycle(
                BrowserSession::default()
                    .state_ttl(CookieDuration::seconds(idle))
                    .state_ttl_extension_policy(TtlExtensionPolicy::OnStateChanges),
            )
            .build();
        config.service(
            web::scope("/agent")
                .wrap(sessions)
                // Agent pages show customers' money: never keep them in a cache.
                .wrap(DefaultHeaders::new().add((header::CACHE_CONTROL, "no-store")))
                .route("", web::get().to(dashboard::dashboard))
                .route("/", web::get().to(dashboard::dashboard))
                .route("/login", web::get().to(signin::login_page))
                .route("/login", web::post().to(signin::login))
                .route("/logout", web::post().to(signin::logout))
                .route("/language", web::post().to(signin::switch_language))
                .configure(tickets::routes)
                .configure(customers::routes)
                .configure(approvals::routes)
                .configure(admin::routes),
        );
    }
}

/// A 400 for a value a field cannot hold (a hand-made link, a tampered
/// form), naming the field and the value in the reader's language.
pub fn bad_value(lang: Lang, field: &str, value: &str) -> DeskError {
    let shown: String = value.chars().take(40).collect();
    DeskError::BadRequest(i18n::text_with(
        lang,
        "error-bad-value",
        &[("field", i18n::text(lang, field)), ("value", shown)],
    ))
}

/// Renders a page with its status.
pub fn render(page: impl askama::Template, status: StatusCode) -> Result<HttpResponse, DeskError> {
    let html = page.render().map_err(DeskError::internal)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// A text made safe as one segment of a URL path: every byte outside the
/// unreserved set percent-encoded.
pub fn path_segment(text: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(text, SEGMENT).to_string()
}

/// Sends the browser on after a form, with a notice for the next page (a
/// flash in the session, never text in the URL).
pub fn see_other_noting(
    session: &actix_session::Session,
    location: &str,
    notice: impl Into<String>,
) -> Result<HttpResponse, DeskError> {
    auth::flash(session, notice)?;
    Ok(see_other(location))
}

/// Sends the browser back to the form's page after a refusal, the reason
/// and the typed input kept for it.
pub fn see_other_refused(
    session: &actix_session::Session,
    location: &str,
    refused: &auth::RefusedForm,
) -> Result<HttpResponse, DeskError> {
    let mut refused = refused.clone();
    refused.path = location.to_owned();
    auth::keep_refused(session, &refused)?;
    Ok(see_other(location))
}

/// Sends the browser on after a form (post/redirect/get).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
        .finish()
}
