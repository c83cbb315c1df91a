//! `/agent/admin`: agents and roles, the SLA calendar, the audit log.
//! Admins only: every handler takes `AdminViewer`.

use super::auth::{AdminViewer, CsrfForm, RefusedForm, take_flash, take_refused};
use super::tickets::sla_settings;
use super::{Chrome, bad_value, render, see_other, see_other_noting, see_other_refused};
use crate::agents::{
    AgentChange, AgentError, NewAgentRequest, add_agent, change_agent, list_agents,
};
use crate::audit::{self, AuditFilter};
use crate::db::models::Agent;
use crate::domain::{AgentId, Role, TicketId, TicketPriority};
use crate::i18n::{self, Lang};
use crate::tickets::sla::{self, BusinessCalendar, SlaLoadError, SlaTarget};
use crate::web::AppState;
use crate::web::errors::{DeskError, urlencode};
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use std::str::FromStr;
use strum::IntoEnumIterator;

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/admin", web::get().to(admin_home))
        .route("/admin/agents", web::get().to(agents_page))
        .route("/admin/agents", web::post().to(add_agent_form))
        .route("/admin/agents/{id}", web::post().to(change_agent_form))
        .route(
            "/admin/agents/{id}/deactivate",
            web::get().to(confirm_deactivate),
        )
        .route("/admin/sla", web::get().to(sla_page))
        .route("/admin/sla/calendar", web::post().to(post_calendar))
        .route("/admin/sla/targets", web::post().to(post_target))
        .route("/admin/sla/holidays", web::post().to(post_holiday))
        .route("/admin/thresholds", web::get().to(thresholds_page))
        .route("/admin/thresholds", web::post().to(post_thresholds))
        .route("/admin/audit", web::get().to(audit_page))
        .route("/admin/mail", web::get().to(mail_page))
        .route("/admin/mail/{id}/retry", web::post().to(retry_mail));
}

#[derive(Template)]
#[template(path = "agent/admin/thresholds.html")]
struct ThresholdsPage {
    title: String,
    chrome: Chrome,
    /// (currency code, threshold as typed: empty when none).
    rows: Vec<(&'static str, String)>,
    notice: Option<String>,
    error: Option<String>,
}

async fn thresholds_view(
    state: &AppState,
    admin: &AdminViewer,
    notice: Option<String>,
    refused: Option<RefusedForm>,
) -> Result<HttpResponse, DeskError> {
    let stored = state
        .db
        .run(|conn| {
            crate::playbooks::remedies::thresholds(conn).map_err(|e| match e {
                crate::tickets::service::TicketError::Db(db) => DeskError::from(db),
                other => DeskError::internal(other),
            })
        })
        .await?;
    render(
        ThresholdsPage {
            title: i18n::text(admin.0.lang, "thresholds-title"),
            chrome: Chrome::new(&admin.0, "admin"),
            rows: stored
                .into_iter()
                .map(|(currency, limit)| {
                    // After a refusal, what was typed; else what is stored.
                    let typed = refused
                        .as_ref()
                        .and_then(|r| r.input.get(currency.code()).cloned());
                    let stored = limit
                        .map(|m| m.to_decimal().to_string())
                        .unwrap_or_default();
                    (currency.code(), typed.unwrap_or(stored))
                })
                .collect(),
            notice,
            error: refused.map(|r| r.error),
        },
        StatusCode::OK,
    )
}

async fn thresholds_page(
    admin: AdminViewer,
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse, DeskError> {
    let refused = take_refused(&session, "/agent/admin/thresholds");
    thresholds_view(&state, &admin, take_flash(&session), refused).await
}

/// Saves every currency's threshold given (a blank one is left as it is).
async fn post_thresholds(
    admin: AdminViewer,
    state: web::Data<AppState>,
    session: Session,
    form: CsrfForm<std::collections::HashMap<String, String>>,
) -> Result<HttpResponse, DeskError> {
    use crate::domain::Currency;
    let mut changes = Vec::new();
    for currency in Currency::iter() {
        let Some(text) = form.0.get(currency.code()).filter(|t| !t.trim().is_empty()) else {
            continue;
        };
        match crate::playbooks::remedies::parse_threshold(text, currency) {
            Ok(minor) => changes.push((currency, minor)),
            Err(error) => {
                let typed: Vec<(&str, &str)> = Currency::iter()
                    .filter_map(|c| form.0.get(c.code()).map(|t| (c.code(), t.as_str())))
                    .collect();
                return see_other_refused(
                    &session,
                    "/agent/admin/thresholds",
                    &RefusedForm::new(error.message().text(admin.0.lang), &typed),
                );
            }
        }
    }
    let by = admin.0.id;
    state
        .db
        .write(move |conn| {
            for (currency, minor) in &changes {
                crate::playbooks::remedies::set_threshold(conn, by, *currency, *minor, sla::now())?;
            }
            Ok::<_, crate::tickets::service::TicketError>(())
        })
        .await
        .map_err(|e| match e {
            crate::tickets::service::TicketError::Db(db) => DeskError::from(db),
            other => DeskError::internal(other),
        })?;
    see_other_noting(
        &session,
        "/agent/admin/thresholds",
        i18n::text(admin.0.lang, "thresholds-saved"),
    )
}

#[derive(Template)]
#[template(path = "agent/admin/mail.html")]
struct MailPage {
    title: String,
    chrome: Chrome,
    summary: crate::mail::admin::MailSummary,
    notice: Option<String>,
    error: Option<String>,
}

/// The outbox: how many mails wait, went and failed; the failed ones.
async fn mail_page(
    admin: AdminViewer,
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse, DeskError> {
    let summary = state.db.run(crate::mail::admin::summary).await?;
    render(
        MailPage {
            title: i18n::text(admin.0.lang, "admin-mail"),
            chrome: Chrome::new(&admin.0, "admin"),
            summary,
            notice: take_flash(&session),
            error: take_refused(&session, "/agent/admin/mail").map(|r| r.error),
        },
        StatusCode::OK,
    )
}

/// Queues a failed mail again (audited).
async fn retry_mail(
    admin: AdminViewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    session: Session,
    _form: CsrfForm<super::signin::NoFields>,
) -> Result<HttpResponse, DeskError> {
    let (id, by) = (id.into_inner(), admin.0.id);
    let retried = state
        .db
        .write(move |conn| crate::mail::admin::retry(conn, id, by))
        .await?;
    if retried {
        see_other_noting(
            &session,
            "/agent/admin/mail",
            i18n::text(admin.0.lang, "mail-retried"),
        )
    } else {
        see_other_refused(
            &session,
            "/agent/admin/mail",
            &RefusedForm::new(i18n::text(admin.0.lang, "mail-not-failed"), &[]),
        )
    }
}

async fn admin_home(_admin: AdminViewer) -> HttpResponse {
    see_other("/agent/admin/agents")
}

#[derive(Template)]
#[template(path = "agent/admin/agents.html")]
struct AgentsPage {
    title: String,
    chrome: Chrome,
    agents: Vec<Agent>,
    roles: Vec<Role>,
    me: AgentId,
    notice: Option<String>,
    error: Option<String>,
    form: NewAgentForm,
}

async fn agents_view(
    state: &AppState,
    admin: AdminViewer,
    notice: Option<String>,
    refused: Option<RefusedForm>,
) -> Result<HttpResponse, DeskError> {
    // After a refused form, what was typed (never the password).
    let form = refused
        .as_ref()
        .map(|r| NewAgentForm {
            email: r.value("email"),
            name: r.value("name"),
            role: r.value("role"),
            password: String::new(),
        })
        .unwrap_or_default();
    let agents = state
        .db
        .run(|conn| list_agents(conn).map_err(agent_error))
        .await?;
    render(
        AgentsPage {
            title: i18n::text(admin.0.lang, "admin-agents"),
            chrome: Chrome::new(&admin.0, "admin"),
            agents,
            roles: Role::iter().collect(),
            me: admin.0.id,
            notice,
            error: refused.map(|r| r.error),
            form,
        },
        StatusCode::OK,
    )
}

async fn agents_page(
    admin: AdminViewer,
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse, DeskError> {
    let refused = take_refused(&session, "/agent/admin/agents");
    let notice = take_flash(&session);
    agents_view(&state, admin, notice, refused).await
}

#[derive(Deserialize, Default, Clone)]
pub struct NewAgentForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub password: String,
}

fn agent_error(error: AgentError) -> DeskError {
    match error {
        AgentError::Db(db) => db.into(),
        // Listing agents refuses nothing: anything else is a fault.
        other => DeskError::internal(other),
    }
}

async fn add_agent_form(
    admin: AdminViewer,
    state: web::Data<AppState>,
    session: Session,
    form: CsrfForm<NewAgentForm>,
) -> Result<HttpResponse, DeskError> {
    let form = form.0;
    let by = admin.0.id;
    let request = Role::from_str(&form.role)
        .map_err(|_| AgentError::InvalidRole(form.role.clone()))
        .and_then(|role| NewAgentRequest::parse(&form.email, &form.name, role, &form.password));
    let added = match request {
        Ok(request) => {
            state
                .db
                .write(move |conn| add_agent(conn, request.clone(), Some(by)))
                .await
        }
        Err(error) => Err(error),
    };
    match added {
        Ok(_) => see_other_noting(
            &session,
            "/agent/admin/agents",
            i18n::text_with(
                admin.0.lang,
                "agents-added",
                &[("email", form.email.trim().to_owned())],
            ),
        ),
        Err(AgentError::Db(db)) => Err(db.into()),
        Err(error) => see_other_refused(
            &session,
            "/agent/admin/agents",
            &RefusedForm::new(
                error.message().text(admin.0.lang),
                &[
                    ("email", &form.email),
                    ("name", &form.name),
                    ("role", &form.role),
                ],
            ),
        ),
    }
}

#[derive(Template)]
#[template(path = "agent/admin/deactivate.html")]
struct DeactivatePage {
    title: String,
    chrome: Chrome,
    agent: Agent,
}

/// Deactivating an agent is asked again before it is done.
async fn confirm_deactivate(
    admin: AdminViewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, DeskError> {
    let id = AgentId(id.into_inner());
    let agent = state
        .db
        .run(move |conn| crate::agents::find(conn, id))
        .await?
        .ok_or_else(|| DeskError::NotFound(AgentError::Unknown(id).message().text(admin.0.lang)))?;
    render(
        DeactivatePage {
            title: i18n::text_with(
                admin.0.lang,
                "agents-deactivate-title",
                &[("name", agent.name.clone())],
            ),
            chrome: Chrome::new(&admin.0, "admin"),
            agent,
        },
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
pub struct ChangeAgentForm {
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    active: Option<String>,
}

async fn change_agent_form(
    admin: AdminViewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    session: Session,
    form: CsrfForm<ChangeAgentForm>,
) -> Result<HttpResponse, DeskError> {
    let change = match (&form.0.role, &form.0.active) {
        (Some(role), _) => AgentChange::Role(Role::from_str(role).map_err(|_| {
            DeskError::BadRequest(
                AgentError::InvalidRole(role.clone())
                    .message()
                    .text(admin.0.lang),
            )
        })?),
        (None, Some(active)) => AgentChange::Active(active == "true"),
        (None, None) => {
            return Err(DeskError::BadRequest(i18n::text(
                admin.0.lang,
                "agents-choose-change",
            )));
        }
    };
    let (target, by) = (AgentId(id.into_inner()), admin.0.id);
    match state
        .db
        .write(move |conn| change_agent(conn, target, change, by))
        .await
    {
        Ok(agent) => see_other_noting(
            &session,
            "/agent/admin/agents",
            i18n::text_with(admin.0.lang, "agents-updated", &[("email", agent.email)]),
        ),
        Err(AgentError::Db(db)) => Err(db.into()),
        Err(error @ AgentError::Unknown(_)) => {
            Err(DeskError::NotFound(error.message().text(admin.0.lang)))
        }
        Err(error) => see_other_refused(
            &session,
            "/agent/admin/agents",
            &RefusedForm::new(error.message().text(admin.0.lang), &[]),
        ),
    }
}

#[derive(Template)]
#[template(path = "agent/admin/sla.html")]
struct SlaPage {
    title: String,
    chrome: Chrome,
    time_zone: String,
    /// (ISO weekday, whether it is a working day).
    days: Vec<(u8, bool)>,
    start: String,
    end: String,
    targets: Vec<(TicketPriority, SlaTarget)>,
    holidays: Vec<(String, String)>,
    notice: Option<String>,
    error: Option<String>,
}

/// The catalog key of an ISO weekday's name (1 = Monday).
pub fn weekday_key(day: &u8) -> &'static str {
    const KEYS: [&str; 7] = [
        "weekday-1",
        "weekday-2",
        "weekday-3",
        "weekday-4",
        "weekday-5",
        "weekday-6",
        "weekday-7",
    ];
    KEYS[usize::from((*day).clamp(1, 7) - 1)]
}

async fn sla_view(
    state: &AppState,
    admin: &AdminViewer,
    notice: Option<String>,
    refused: Option<RefusedForm>,
) -> Result<HttpResponse, DeskError> {
    let settings = sla_settings(state).await?;
    let calendar = &settings.calendar;
    // After a refused calendar, what was typed; else what is stored.
    let typed = |field: &str, stored: String| {
        refused
            .as_ref()
            .and_then(|r| r.input.get(field).cloned())
            .unwrap_or(stored)
    };
    render(
        SlaPage {
            title: i18n::text(admin.0.lang, "admin-sla"),
            chrome: Chrome::new(&admin.0, "admin"),
            time_zone: typed("time_zone", calendar.time_zone.name().to_owned()),
            days: (1..=7)
                .map(|n| (n, calendar.work_days.contains(&n)))
                .collect(),
            start: typed("start", sla::clock(calendar.start_minute)),
            end: typed("end", sla::clock(calendar.end_minute)),
            targets: TicketPriority::iter()
                .map(|p| (p, settings.target(p)))
                .collect(),
            holidays: calendar
                .holidays
                .iter()
                .map(|(day, name)| (day.format("%Y-%m-%d").to_string(), name.clone()))
                .collect(),
            notice,
            error: refused.map(|r| r.error),
        },
        StatusCode::OK,
    )
}

async fn sla_page(
    admin: AdminViewer,
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse, DeskError> {
    let refused = take_refused(&session, "/agent/admin/sla");
    sla_view(&state, &admin, take_flash(&session), refused).await
}

/// After an SLA change: the page again, saying what happened or why not.
fn sla_outcome(
    admin: &AdminViewer,
    session: &Session,
    outcome: Result<(), SlaLoadError>,
    done: &'static str,
    typed: &[(&str, &str)],
) -> Result<HttpResponse, DeskError> {
    match outcome {
        Ok(()) => see_other_noting(session, "/agent/admin/sla", i18n::text(admin.0.lang, done)),
        Err(SlaLoadError::Db(db)) => Err(db.into()),
        Err(error) => see_other_refused(
            session,
            "/agent/admin/sla",
            &RefusedForm::new(sla_error_text(&error, admin.0.lang), typed),
        ),
    }
}

#[derive(Deserialize)]
pub struct CalendarForm {
    #[serde(default)]
    time_zone: String,
    /// One checkbox per ISO weekday, present when ticked.
    day1: Option<String>,
    day2: Option<String>,
    day3: Option<String>,
    day4: Option<String>,
    day5: Option<String>,
    day6: Option<String>,
    day7: Option<String>,
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
}

async fn post_calendar(
    admin: AdminViewer,
    state: web::Data<AppState>,
    session: Session,
    form: CsrfForm<CalendarForm>,
) -> Result<HttpResponse, DeskError> {
    let form = form.0;
    let by = admin.0.id;
    let checked = (|| {
        let days = [
            &form.day1, &form.day2, &form.day3, &form.day4, &form.day5, &form.day6, &form.day7,
        ]
        .iter()
        .zip(1_u8..)
        .filter(|(ticked, _)| ticked.is_some())
        .map(|(_, day)| day)
        .collect();
        let start = sla::parse_clock(&form.start)?;
        let end = sla::parse_clock(&form.end)?;
        BusinessCalendar::new(&form.time_zone, days, start, end, Default::default())
    })();
    let outcome = match checked {
        Ok(calendar) => {
            state
                .db
                .write(move |conn| sla::save_calendar(conn, &calendar, by))
                .await
        }
        Err(error) => Err(error.into()),
    };
    let typed = [
        ("time_zone", form.time_zone.as_str()),
        ("start", form.start.as_str()),
        ("end", form.end.as_str()),
    ];
    sla_outcome(&admin, &session, outcome, "sla-calendar-saved", &typed)
}

/// Why an SLA change was refused, in `lang`.
fn sla_error_text(error: &SlaLoadError, lang: Lang) -> String {
    match error {
        SlaLoadError::Calendar(problem) => problem.message().text(lang),
        SlaLoadError::Invalid(text) => text.clone(),
        SlaLoadError::Db(_) => i18n::text(lang, "error-internal"),
    }
}

#[derive(Deserialize)]
pub struct TargetForm {
    priority: String,
    #[serde(default)]
    first_response_hours: String,
    #[serde(default)]
    first_response_minutes: String,
    #[serde(default)]
    resolution_hours: String,
    #[serde(default)]
    resolution_minutes: String,
}

/// A target typed as hours and minutes (either may be blank), in minutes.
fn target_minutes(hours: &str, minutes: &str) -> Option<i64> {
    let part = |text: &str| match text.trim() {
        "" => Some(0),
        digits if digits.len() <= 7 && digits.bytes().all(|b| b.is_ascii_digit()) => {
            digits.parse::<i64>().ok()
        }
        _ => None,
    };
    part(hours)?.checked_mul(60)?.checked_add(part(minutes)?)
}

async fn post_target(
    admin: AdminViewer,
    state: web::Data<AppState>,
    session: Session,
    form: CsrfForm<TargetForm>,
) -> Result<HttpResponse, DeskError> {
    let form = form.0;
    let priority = TicketPriority::from_str(&form.priority)
        .map_err(|_| bad_value(admin.0.lang, "field-priority", &form.priority))?;
    let lang = admin.0.lang;
    let minutes = |hours: &str, minutes: &str, what: &str| {
        target_minutes(hours, minutes).ok_or_else(|| {
            SlaLoadError::Invalid(i18n::text_with(
                lang,
                "sla-target-invalid",
                &[("target", i18n::text(lang, what))],
            ))
        })
    };
    let by = admin.0.id;
    let target = minutes(
        &form.first_response_hours,
        &form.first_response_minutes,
        "sla-first-response",
    )
    .and_then(|first| {
        minutes(
            &form.resolution_hours,
            &form.resolution_minutes,
            "sla-resolution",
        )
        .map(|resolution| SlaTarget {
            first_response_minutes: first,
            resolution_minutes: resolution,
        })
    });
    let outcome = match target {
        Ok(target) => {
            state
                .db
                .write(move |conn| sla::save_target(conn, priority, target, by))
                .await
        }
        Err(error) => Err(error),
    };
    sla_outcome(&admin, &session, outcome, "sla-targets-saved", &[])
}

#[derive(Deserialize)]
pub struct HolidayForm {
    #[serde(default)]
    day: String,
    #[serde(default)]
    name: String,
    /// "add" or "remove".
    #[serde(default)]
    action: String,
}

async fn post_holiday(
    admin: AdminViewer,
    state: web::Data<AppState>,
    session: Session,
    form: CsrfForm<HolidayForm>,
) -> Result<HttpResponse, DeskError> {
    let form = form.0;
    let by = admin.0.id;
    let outcome = match sla::parse_date(&form.day) {
        Err(error) => Err(error.into()),
        Ok(day) if form.action == "remove" => {
            state
                .db
                .write(move |conn| sla::remove_holiday(conn, day, by))
                .await
        }
        Ok(day) => {
            let name = form.name.clone();
            state
                .db
                .write(move |conn| sla::add_holiday(conn, day, &name, by))
                .await
        }
    };
    sla_outcome(&admin, &session, outcome, "sla-holidays-saved", &[])
}

#[derive(Template)]
#[template(path = "agent/admin/audit.html")]
struct AuditPage {
    title: String,
    chrome: Chrome,
    rows: Vec<AuditLine>,
    agents: Vec<Agent>,
    filters: AuditParams,
    next_link: Option<String>,
}

struct AuditLine {
    id: i64,
    at: chrono::NaiveDateTime,
    who: String,
    action: String,
    entity: String,
    ticket: Option<String>,
    before: String,
    after: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct AuditParams {
    #[serde(default)]
    agent: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    ticket: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    before: String,
}

const AUDIT_PAGE: i64 = 50;

async fn audit_page(
    admin: AdminViewer,
    state: web::Data<AppState>,
    params: web::Query<AuditParams>,
) -> Result<HttpResponse, DeskError> {
    let params = params.into_inner();
    let bad = |field: &str, text: &str| bad_value(admin.0.lang, field, text);
    let trimmed = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
    let filter = AuditFilter {
        agent: trimmed(&params.agent)
            .map(|t| t.parse().map(AgentId).map_err(|_| bad("audit-agent", &t)))
            .transpose()?,
        action: trimmed(&crate::domain::text::search(&params.action)),
        ticket: trimmed(&params.ticket)
            .map(|t| TicketId::parse_reference(&t).ok_or_else(|| bad("field-ticket", &t)))
            .transpose()?,
        from: trimmed(&params.from)
            .map(|t| sla::parse_date(&t).map_err(|_| bad("field-date", &t)))
            .transpose()?
            .map(|day| day.and_time(chrono::NaiveTime::MIN)),
        until: trimmed(&params.until)
            .map(|t| sla::parse_date(&t).map_err(|_| bad("field-date", &t)))
            .transpose()?
            .map(|day| day.and_time(chrono::NaiveTime::MIN) + chrono::Duration::days(1)),
    };
    let before = trimmed(&params.before)
        .map(|t| t.parse::<i64>().map_err(|_| bad("pager-label", &t)))
        .transpose()?;
    let (rows, agents) = state
        .db
        .run(move |conn| {
            let rows = audit::search(conn, &filter, before, AUDIT_PAGE + 1)?;
            let agents = list_agents(conn).map_err(agent_error)?;
            Ok::<_, DeskError>((rows, agents))
        })
        .await?;
    let names: std::collections::HashMap<AgentId, String> =
        agents.iter().map(|a| (a.id, a.name.clone())).collect();
    let next_link = (rows.len() as i64 > AUDIT_PAGE).then(|| {
        let last = rows[AUDIT_PAGE as usize - 1].id;
        let mut pairs: Vec<String> = [
            ("agent", &params.agent),
            ("action", &params.action),
            ("ticket", &params.ticket),
            ("from", &params.from),
            ("until", &params.until),
        ]
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", urlencode(v.trim())))
        .collect();
        pairs.push(format!("before={last}"));
        format!("/agent/admin/audit?{}", pairs.join("&"))
    });
    let lines = rows
        .into_iter()
        .take(AUDIT_PAGE as usize)
        .map(|row| AuditLine {
            id: row.id,
            at: row.at,
            who: match row.actor_agent_id {
                Some(id) => names.get(&id).cloned().unwrap_or_else(|| format!("#{id}")),
                None => i18n::word(admin.0.lang, row.actor_kind),
            },
            action: row.action,
            entity: {
                // An agent is named; anything else by its id.
                let named = (row.entity_type == "agent")
                    .then(|| {
                        row.entity_id
                            .parse()
                            .ok()
                            .and_then(|id| names.get(&AgentId(id)))
                    })
                    .flatten();
                format!(
                    "{} {}",
                    i18n::known_word(admin.0.lang, "audit-entity", &row.entity_type),
                    named.cloned().unwrap_or_else(|| row.entity_id.clone())
                )
            },
            ticket: row.ticket_id.map(|id| id.reference()),
            before: row.before_json.unwrap_or_default(),
            after: row.after_json.unwrap_or_default(),
        })
        .collect();
    render(
        AuditPage {
            title: i18n::text(admin.0.lang, "admin-audit"),
            chrome: Chrome::new(&admin.0, "admin"),
            rows: lines,
            agents,
            filters: params,
            next_link,
        },
        StatusCode::OK,
    )
}
