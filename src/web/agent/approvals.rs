//! `/agent/approvals`: remedies waiting for a second person. Supervisors
//! approve (typing their password again) or reject (saying why); nobody
//! decides their own proposal.

use super::auth::{CsrfForm, RefusedForm, SupervisorViewer, take_flash, take_refused};
use super::tickets::{actor, sla_settings};
use super::{Chrome, render, see_other_noting, see_other_refused};
use crate::domain::RemedyId;
use crate::i18n;
use crate::playbooks::remedies::{self, Awaiting};
use crate::tickets::service::TicketError;
use crate::tickets::sla;
use crate::web::AppState;
use crate::web::errors::DeskError;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/approvals", web::get().to(approvals_page))
        .route("/approvals/{id}/approve", web::post().to(approve))
        .route("/approvals/{id}/reject", web::post().to(reject));
}

struct Labels {
    title: String,
    none: String,
    reason: String,
    yours: String,
    password: String,
    approve: String,
    reject_reason: String,
    reject: String,
}

struct Row {
    id: RemedyId,
    what: String,
    amount: Option<String>,
    ticket: Option<String>,
    customer: String,
    proposed: String,
    reason: String,
    mine: bool,
}

#[derive(Template)]
#[template(path = "agent/approvals.html")]
struct ApprovalsPage {
    title: String,
    chrome: Chrome,
    labels: Labels,
    rows: Vec<Row>,
    notice: Option<String>,
    error: Option<String>,
}

async fn view(
    state: &AppState,
    viewer: &SupervisorViewer,
    notice: Option<String>,
    error: Option<String>,
) -> Result<HttpResponse, DeskError> {
    let lang = viewer.0.lang;
    let word = |key: &str| i18n::text(lang, key);
    let waiting: Vec<Awaiting> = state
        .db
        .run(|conn| remedies::awaiting(conn).map_err(decided_error))
        .await?;
    let rows = waiting
        .into_iter()
        .map(|w| Row {
            id: w.id,
            what: word(&format!("step-{}", w.kind.replace('_', "-"))),
            amount: w.amount.map(|m| m.to_string()),
            ticket: w.ticket.map(|t| t.reference()),
            customer: w.customer,
            proposed: i18n::text_with(
                lang,
                "approvals-proposed",
                &[
                    ("who", w.proposer),
                    (
                        "at",
                        crate::web::clock::local_time(viewer.0.zone, w.proposed_at),
                    ),
                ],
            ),
            reason: w.reason,
            mine: w.proposed_by == viewer.0.id,
        })
        .collect();
    render(
        ApprovalsPage {
            title: word("approvals-title"),
            chrome: Chrome::new(&viewer.0, "approvals"),
            labels: Labels {
                title: word("approvals-title"),
                none: word("approvals-none"),
                reason: word("remedy-reason"),
                yours: word("approvals-yours"),
                password: word("approvals-password"),
                approve: word("approvals-approve"),
                reject_reason: word("approvals-reject-reason"),
                reject: word("approvals-reject"),
            },
            rows,
            notice,
            error,
        },
        StatusCode::OK,
    )
}

fn decided_error(error: TicketError) -> DeskError {
    match error {
        TicketError::Db(db) => db.into(),
        // Reading the waiting remedies refuses nothing: anything else is a fault.
        other => DeskError::internal(other),
    }
}

async fn approvals_page(
    viewer: SupervisorViewer,
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse, DeskError> {
    let refused = take_refused(&session, "/agent/approvals").map(|r| r.error);
    view(&state, &viewer, take_flash(&session), refused).await
}

#[derive(Deserialize)]
pub struct ApproveForm {
    #[serde(default)]
    password: String,
}

async fn approve(
    viewer: SupervisorViewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    session: Session,
    form: CsrfForm<ApproveForm>,
) -> Result<HttpResponse, DeskError> {
    let remedy = RemedyId(id.into_inner());
    // Money moves on a password typed now, not on a sign-in from earlier.
    let agent_id = viewer.0.id;
    let agent = state
        .db
        .run(move |conn| crate::agents::find(conn, agent_id))
        .await?
        .ok_or(DeskError::Forbidden)?;
    let password = form.0.password;
    let matches =
        web::block(move || crate::agents::verify_password(&password, &agent.password_hash))
            .await
            .map_err(DeskError::internal)?;
    if !matches {
        let message = i18n::text(viewer.0.lang, "approvals-wrong-password");
        return see_other_refused(
            &session,
            "/agent/approvals",
            &RefusedForm::new(message, &[]),
        );
    }
    let settings = sla_settings(&state).await?;
    let actor = actor(&viewer.0);
    let outcome = state
        .db
        .write(move |conn| remedies::approve(conn, &actor, remedy, &settings.calendar, sla::now()))
        .await;
    decided(&viewer, &session, outcome, "approvals-approved")
}

/// After a decision: back to the list saying what was done, or why not.
fn decided(
    viewer: &SupervisorViewer,
    session: &Session,
    outcome: Result<crate::domain::TicketId, TicketError>,
    done: &str,
) -> Result<HttpResponse, DeskError> {
    match outcome {
        Ok(ticket) => see_other_noting(
            session,
            "/agent/approvals",
            i18n::text_with(viewer.0.lang, done, &[("ticket", ticket.reference())]),
        ),
        Err(TicketError::Db(db)) => Err(db.into()),
        Err(error) => see_other_refused(
            session,
            "/agent/approvals",
            &RefusedForm::new(error.message().text(viewer.0.lang), &[]),
        ),
    }
}

#[derive(Deserialize)]
pub struct RejectForm {
    #[serde(default)]
    reason: String,
}

async fn reject(
    viewer: SupervisorViewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    session: Session,
    form: CsrfForm<RejectForm>,
) -> Result<HttpResponse, DeskError> {
    let remedy = RemedyId(id.into_inner());
    let actor = actor(&viewer.0);
    let reason = form.0.reason;
    let outcome = state
        .db
        .write(move |conn| remedies::reject(conn, &actor, remedy, &reason, sla::now()))
        .await;
    decided(&viewer, &session, outcome, "approvals-rejected")
}
