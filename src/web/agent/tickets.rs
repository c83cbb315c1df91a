//! The queue and the ticket page.

use super::auth::{CsrfForm, RefusedForm, Viewer, take_flash, take_refused};
use super::sla_words::{self, SlaWords, sla_cell};
use super::{Chrome, bad_value, render, see_other_noting, see_other_refused};
use crate::domain::*;
use crate::i18n::{self, Lang};
use crate::playbooks::{self, PlaybookView};
use crate::tickets::agent_choices;
use crate::tickets::queue::{self, AssigneeFilter, Cursor, Filters, QueueQuery, Sort, View};
use crate::tickets::service::{self, Actor, Changes, Reply, StepMark, TicketError};
use crate::tickets::sla::{self, SlaSettings};
use crate::tickets::view::{self, TicketPage};
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
        .route("/tickets", web::get().to(queue_page))
        .route("/tickets/{reference}", web::get().to(ticket_page))
        .route("/tickets/{reference}/reply", web::post().to(post_reply))
        .route("/tickets/{reference}/fields", web::post().to(post_fields))
        .route(
            "/tickets/{reference}/steps/{key}",
            web::post().to(post_step),
        )
        .route(
            "/tickets/{reference}/remedies/{key}/preview",
            web::post().to(preview_remedy),
        )
        .route(
            "/tickets/{reference}/remedies/{key}",
            web::post().to(post_remedy),
        )
        .route(
            "/tickets/{reference}/transaction",
            web::post().to(post_link),
        )
        .route("/attachments/{id}", web::get().to(download_attachment))
        .route(
            "/attachments/{id}/preview",
            web::get().to(preview_attachment),
        );
}

/// An attachment, for agents only.
async fn attachment(
    viewer: &Viewer,
    state: &AppState,
    id: &str,
) -> Result<crate::evidence::Download, DeskError> {
    let missing = || DeskError::NotFound(crate::i18n::text(viewer.lang, "error-not-found"));
    let id: i64 = id.parse().map_err(|_| missing())?;
    let dir = crate::evidence::directory(&state.settings.data_dir);
    state
        .db
        .run(move |conn| crate::evidence::read(conn, &dir, id))
        .await?
        .ok_or_else(missing)
}

/// Downloads an attachment as a file, never shown by the browser.
async fn download_attachment(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, DeskError> {
    use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
    let file = attachment(&viewer, &state, &path).await?;
    let ascii: String = file
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(ascii),
            DispositionParam::FilenameExt(actix_web::http::header::ExtendedValue {
                charset: actix_web::http::header::Charset::Ext("UTF-8".to_owned()),
                language_tag: None,
                value: file.name.clone().into_bytes(),
            }),
        ],
    };
    Ok(HttpResponse::Ok()
        .content_type(file.content_type.as_str())
        .insert_header(disposition)
        .body(file.bytes))
}

/// An image attachment shown inline, as a thumbnail on the ticket page,
/// only when its content is the image type it was stored as.
async fn preview_attachment(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, DeskError> {
    let file = attachment(&viewer, &state, &path).await?;
    if !file.is_previewable() {
        return Err(DeskError::NotFound(crate::i18n::text(
            viewer.lang,
            "error-not-found",
        )));
    }
    Ok(HttpResponse::Ok()
        .content_type(file.content_type.as_str())
        .body(file.bytes))
}

/// Loads the SLA settings (a few small rows).
pub async fn sla_settings(state: &AppState) -> Result<SlaSettings, DeskError> {
    state
        .db
        .run(|conn| sla::load(conn).map_err(DeskError::internal))
        .await
}

pub fn actor(viewer: &Viewer) -> Actor {
    Actor {
        id: viewer.id,
        name: viewer.name.clone(),
        role: viewer.role,
    }
}

#[derive(Deserialize, Default)]
pub struct QueueParams {
    #[serde(default)]
    view: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    priority: Option<String>,
    #[serde(default)]
    assignee: Option<String>,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    sort: Option<String>,
    #[serde(default)]
    after: Option<String>,
}

/// An optional choice from a query string: empty means none, anything
/// unknown is a 400 naming it.
fn choice<T: FromStr>(
    value: &Option<String>,
    field: &str,
    lang: Lang,
) -> Result<Option<T>, DeskError> {
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(text) => T::from_str(text)
            .map(Some)
            .map_err(|_| bad_value(lang, field, text)),
    }
}

struct QueueLine {
    /// Playbook steps settled of all ("3/6"); None without a playbook.
    progress: Option<String>,
    reference: String,
    subject: String,
    customer: String,
    category: TicketCategory,
    priority: TicketPriority,
    status: TicketStatus,
    assignee: String,
    sla: SlaWords,
}

struct ViewLink {
    view: View,
    count: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "agent/queue.html")]
struct QueueTemplate {
    title: String,
    chrome: Chrome,
    views: Vec<ViewLink>,
    view: View,
    lines: Vec<QueueLine>,
    search: String,
    search_truncated: bool,
    filters: FilterValues,
    sort: Sort,
    sorts: Vec<Sort>,
    statuses: Vec<TicketStatus>,
    categories: Vec<TicketCategory>,
    priorities: Vec<TicketPriority>,
    currencies: Vec<Currency>,
    agents: Vec<(AgentId, String)>,
    next_link: Option<String>,
    first_link: Option<String>,
}

/// The filter values as the form shows them.
#[derive(Default, Clone)]
struct FilterValues {
    status: String,
    category: String,
    priority: String,
    assignee: String,
    currency: String,
}

impl FilterValues {
    /// The query string of these filters, search and sort.
    fn query(&self, view: View, search: &str, sort: Sort) -> String {
        let mut pairs = vec![
            ("view", view.as_str().to_owned()),
            ("sort", sort.as_str().to_owned()),
        ];
        for (key, value) in [
            ("status", &self.status),
            ("category", &self.category),
            ("priority", &self.priority),
            ("assignee", &self.assignee),
            ("currency", &self.currency),
        ] {
            if !value.is_empty() {
                pairs.push((key, value.clone()));
            }
        }
        if !search.is_empty() {
            pairs.push(("q", search.to_owned()));
        }
        pairs
            .into_iter()
            .map(|(k, v)| format!("{k}={}", urlencode(&v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

async fn queue_page(
    viewer: Viewer,
    state: web::Data<AppState>,
    params: web::Query<QueueParams>,
) -> Result<HttpResponse, DeskError> {
    let params = params.into_inner();
    let lang = viewer.lang;
    let view: View = choice(&params.view, "field-view", lang)?.unwrap_or(View::Mine);
    let sort: Sort = choice(&params.sort, "queue-sort", lang)?.unwrap_or(view.default_sort());
    let assignee = match params.assignee.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("none") => Some(AssigneeFilter::Nobody),
        Some(id) => Some(AssigneeFilter::Agent(AgentId(
            id.parse()
                .map_err(|_| bad_value(lang, "field-assignee", id))?,
        ))),
    };
    let currency = match params.currency.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(code) => {
            Some(parse_currency(code).map_err(|_| bad_value(lang, "field-currency", code))?)
        }
    };
    let filters = Filters {
        status: choice(&params.status, "field-status", lang)?,
        category: choice(&params.category, "field-category", lang)?,
        priority: choice(&params.priority, "field-priority", lang)?,
        assignee,
        currency,
    };
    let after = match params.after.as_deref().filter(|a| !a.is_empty()) {
        Some(text) => Some(
            Cursor::decode(text)
                .ok_or_else(|| DeskError::BadRequest(i18n::text(lang, "error-page-link")))?,
        ),
        None => None,
    };
    let search = crate::domain::text::search(params.q.as_deref().unwrap_or_default());
    let now = sla::now();
    let query = QueueQuery {
        viewer: viewer.id,
        view,
        filters: filters.clone(),
        search: (!search.is_empty()).then(|| search.clone()),
        sort,
        after,
        now,
    };
    let (page, counts, agents, progress) = state
        .db
        .run(move |conn| {
            let page = queue::page(conn, &query)?;
            let counts = queue::view_counts(conn, query.viewer, now)?;
            let agents = view::active_agents(conn)?;
            let calendar = sla::load(conn).map_err(DeskError::internal)?.calendar;
            let tickets: Vec<_> = page.rows.iter().map(|row| row.ticket.clone()).collect();
            let progress = playbooks::progress_many(conn, &tickets, &calendar, now)?;
            Ok::<_, DeskError>((page, counts, agents, progress))
        })
        .await?;
    let values = FilterValues {
        status: filters
            .status
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        category: filters
            .category
            .map(|c| c.as_str().to_owned())
            .unwrap_or_default(),
        priority: filters
            .priority
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default(),
        assignee: match filters.assignee {
            Some(AssigneeFilter::Nobody) => "none".into(),
            Some(AssigneeFilter::Agent(id)) => id.to_string(),
            None => String::new(),
        },
        currency: filters
            .currency
            .map(|c| c.code().to_owned())
            .unwrap_or_default(),
    };
    let base = values.query(view, &search, sort);
    let lines = page
        .rows
        .into_iter()
        .map(|row| QueueLine {
            progress: progress
                .get(&row.ticket.id)
                .map(|(done, total)| format!("{done}/{total}")),
            reference: row.ticket.id.reference(),
            sla: sla_cell(&row.ticket, now, viewer.lang),
            subject: row.ticket.subject.clone(),
            customer: if row.customer_name.is_empty() {
                row.customer_email.clone()
            } else {
                row.customer_name.clone()
            },
            category: row.ticket.category,
            priority: row.ticket.priority,
            status: row.ticket.status,
            assignee: row.assignee_name.unwrap_or_else(|| "—".into()),
        })
        .collect();
    let views = counts
        .into_iter()
        .map(|(v, count)| ViewLink {
            view: v,
            count: if count > queue::COUNT_CAP {
                format!("{}+", queue::COUNT_CAP)
            } else {
                count.to_string()
            },
            current: v == view && search.is_empty(),
        })
        .collect();
    render(
        QueueTemplate {
            title: if search.is_empty() {
                i18n::word(viewer.lang, view)
            } else {
                i18n::text_with(
                    viewer.lang,
                    "queue-search-title",
                    &[("search", search.clone())],
                )
            },
            chrome: Chrome::new(&viewer, "tickets"),
            views,
            view,
            lines,
            search: search.clone(),
            search_truncated: page.search_truncated,
            filters: values,
            sort,
            sorts: Sort::iter().collect(),
            statuses: TicketStatus::iter().collect(),
            categories: TicketCategory::iter().collect(),
            priorities: TicketPriority::iter().collect(),
            currencies: Currency::iter().collect(),
            agents,
            next_link: page
                .next
                .map(|cursor| format!("/agent/tickets?{base}&after={}", cursor.encode())),
            first_link: after.map(|_| format!("/agent/tickets?{base}")),
        },
        StatusCode::OK,
    )
}

fn ticket_id(reference: &str, lang: Lang) -> Result<TicketId, DeskError> {
    TicketId::parse_reference(reference).ok_or_else(|| {
        DeskError::NotFound(
            TicketError::UnknownTicket(reference.chars().take(40).collect())
                .message()
                .text(lang),
        )
    })
}

#[derive(Template)]
#[template(path = "agent/ticket.html")]
struct TicketTemplate {
    title: String,
    chrome: Chrome,
    page: TicketPage,
    /// The ticket shown (its id), marked in its customer's list.
    current_ticket: i64,
    playbook: Option<PlaybookView>,
    /// A fresh key for the remedy forms: one form, one remedy.
    form_key: String,
    /// Reply macros of the ticket's category: (key, title).
    macros: Vec<(&'static str, String)>,
    reference: String,
    sla: SlaWords,
    first_response: SlaWords,
    resolution: SlaWords,
    status_choices: Vec<TicketStatus>,
    priorities: Vec<TicketPriority>,
    categories: Vec<TicketCategory>,
    may_assign_others: bool,
    viewer_id: AgentId,
    assigned_to_me: bool,
    is_closed: bool,
    notice: Option<String>,
    error: Option<String>,
    draft: String,
    draft_internal: bool,
}

async fn ticket_view(
    viewer: &Viewer,
    state: &AppState,
    id: TicketId,
    notice: Option<String>,
    error: Option<String>,
    draft: Draft,
) -> Result<HttpResponse, DeskError> {
    let lang = viewer.lang;
    let now = sla::now();
    let (page, playbook) = state
        .db
        .run(move |conn| {
            let page = view::ticket_page(conn, id)?;
            let settings = sla::load(conn).map_err(DeskError::internal)?;
            let playbook = match &page {
                Some(page) => playbooks::view(conn, &page.ticket, &settings.calendar, now, lang)?,
                None => None,
            };
            Ok::<_, DeskError>((page, playbook))
        })
        .await?;
    let page = page.ok_or_else(|| {
        DeskError::NotFound(
            TicketError::UnknownTicket(id.reference())
                .message()
                .text(lang),
        )
    })?;
    render(
        TicketTemplate {
            title: format!("{} · {}", id.reference(), page.ticket.subject),
            chrome: Chrome::new(viewer, "tickets"),
            reference: id.reference(),
            current_ticket: id.0,
            form_key: super::auth::random_token(),
            macros: playbooks::macro_choices(page.ticket.category, lang),
            playbook,
            sla: sla_cell(&page.ticket, now, lang),
            first_response: sla_words::first_response(&page.ticket, now, lang, viewer.zone),
            resolution: sla_words::resolution(&page.ticket, now, lang, viewer.zone),
            status_choices: agent_choices(page.ticket.status),
            priorities: TicketPriority::iter().collect(),
            categories: TicketCategory::iter().collect(),
            may_assign_others: viewer.may(Role::Supervisor),
            viewer_id: viewer.id,
            assigned_to_me: page.ticket.assignee_id == Some(viewer.id),
            is_closed: page.ticket.status == TicketStatus::Closed,
            page,
            notice,
            error,
            draft: draft.body,
            draft_internal: draft.internal,
        },
        StatusCode::OK,
    )
}

async fn ticket_page(
    viewer: Viewer,
    state: web::Data<AppState>,
    reference: web::Path<String>,
    params: web::Query<TicketParams>,
    session: Session,
) -> Result<HttpResponse, DeskError> {
    let id = ticket_id(&reference, viewer.lang)?;
    // A reply macro asked for: its text, filled, becomes the draft.
    let draft = match params.into_inner().r#macro {
        Some(key) if key.len() <= 64 => {
            let settings = sla_settings(&state).await?;
            state
                .db
                .run(move |conn| {
                    let ticket = service::find(conn, id).map_err(|e| match e {
                        TicketError::Db(db) => DeskError::from(db),
                        other => DeskError::NotFound(other.message().text(viewer.lang)),
                    })?;
                    Ok::<_, DeskError>(playbooks::macro_text(
                        conn,
                        &ticket,
                        &key,
                        &settings.calendar,
                        sla::now(),
                    )?)
                })
                .await?
                .unwrap_or_default()
        }
        _ => String::new(),
    };
    // After a refused form: why, and the reply as it was typed.
    let refused = take_refused(&session, &format!("/agent/tickets/{}", id.reference()));
    let draft = match &refused {
        Some(refused) if draft.is_empty() => refused.value("body"),
        _ => draft,
    };
    // A refused internal note comes back as a note, never as a reply.
    let internal = refused
        .as_ref()
        .is_some_and(|r| r.value("visibility") == "internal");
    ticket_view(
        &viewer,
        &state,
        id,
        take_flash(&session),
        refused.map(|r| r.error),
        Draft {
            body: draft,
            internal,
        },
    )
    .await
}

/// The reply box as the page shows it.
struct Draft {
    body: String,
    /// Kept as an internal note (after a refused note).
    internal: bool,
}

#[derive(Deserialize, Default)]
pub struct TicketParams {
    /// A reply macro to put in the reply box.
    #[serde(default)]
    r#macro: Option<String>,
}

/// After a change: back to the ticket, saying what happened.
fn done(
    session: &Session,
    id: TicketId,
    message: impl Into<String>,
) -> Result<HttpResponse, DeskError> {
    see_other_noting(
        session,
        &format!("/agent/tickets/{}", id.reference()),
        message,
    )
}

/// A refused change: back to the ticket page, saying why, keeping the
/// draft (post/redirect/get: a reload does not send the form again).
fn refused(
    viewer: &Viewer,
    session: &Session,
    id: TicketId,
    error: TicketError,
    input: &[(&str, &str)],
) -> Result<HttpResponse, DeskError> {
    match error {
        TicketError::Db(db) => Err(db.into()),
        TicketError::UnknownTicket(_) => {
            Err(DeskError::NotFound(error.message().text(viewer.lang)))
        }
        TicketError::Calendar(_) | TicketError::Mail(_) => Err(DeskError::internal(error)),
        TicketError::AssignOthers => Err(DeskError::Forbidden),
        error => see_other_refused(
            session,
            &format!("/agent/tickets/{}", id.reference()),
            &RefusedForm::new(error.message().text(viewer.lang), input),
        ),
    }
}

#[derive(Deserialize)]
pub struct ReplyForm {
    #[serde(default)]
    body: String,
    /// "public" or "internal".
    #[serde(default)]
    visibility: String,
    /// The status to set with it; empty keeps the status.
    #[serde(default)]
    status: String,
    version: i64,
}

async fn post_reply(
    viewer: Viewer,
    state: web::Data<AppState>,
    reference: web::Path<String>,
    session: Session,
    form: CsrfForm<ReplyForm>,
) -> Result<HttpResponse, DeskError> {
    let id = ticket_id(&reference, viewer.lang)?;
    let form = form.0;
    let public = match form.visibility.as_str() {
        "public" => true,
        "internal" => false,
        other => return Err(bad_value(viewer.lang, "reply-legend", other)),
    };
    let status = choice::<TicketStatus>(&Some(form.status.clone()), "field-status", viewer.lang)?;
    let settings = sla_settings(&state).await?;
    let actor = actor(&viewer);
    let reply = Reply {
        body: form.body.clone(),
        public,
        status,
        version: form.version,
    };
    match state
        .db
        .write(move |conn| service::reply(conn, &settings, &actor, id, reply.clone()))
        .await
    {
        Ok(_) => done(
            &session,
            id,
            i18n::text(
                viewer.lang,
                if public {
                    "notice-reply-sent"
                } else {
                    "notice-note-added"
                },
            ),
        ),
        Err(error) => refused(
            &viewer,
            &session,
            id,
            error,
            &[("body", &form.body), ("visibility", &form.visibility)],
        ),
    }
}

#[derive(Deserialize)]
pub struct FieldsForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    category: String,
    /// An agent id, "none" to unassign, empty to leave as is.
    #[serde(default)]
    assignee: String,
    version: i64,
}

async fn post_fields(
    viewer: Viewer,
    state: web::Data<AppState>,
    reference: web::Path<String>,
    session: Session,
    form: CsrfForm<FieldsForm>,
) -> Result<HttpResponse, DeskError> {
    let id = ticket_id(&reference, viewer.lang)?;
    let form = form.0;
    let assignee = match form.assignee.trim() {
        "" => None,
        "none" => Some(None),
        text => {
            Some(Some(AgentId(text.parse().map_err(|_| {
                bad_value(viewer.lang, "field-assignee", text)
            })?)))
        }
    };
    let changes = Changes {
        status: choice(&Some(form.status.clone()), "field-status", viewer.lang)?,
        priority: choice(&Some(form.priority.clone()), "field-priority", viewer.lang)?,
        category: choice(&Some(form.category.clone()), "field-category", viewer.lang)?,
        assignee,
        version: form.version,
    };
    let settings = sla_settings(&state).await?;
    let actor = actor(&viewer);
    match state
        .db
        .write(move |conn| service::change(conn, &settings, &actor, id, changes.clone()))
        .await
    {
        Ok(_) => done(
            &session,
            id,
            i18n::text(viewer.lang, "notice-ticket-updated"),
        ),
        Err(error) => refused(&viewer, &session, id, error, &[]),
    }
}

#[derive(Deserialize)]
pub struct StepForm {
    /// `passed`, `failed` or `skipped`.
    #[serde(default)]
    state: String,
    #[serde(default)]
    note: String,
}

async fn post_step(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    session: Session,
    form: CsrfForm<StepForm>,
) -> Result<HttpResponse, DeskError> {
    let (reference, key) = path.into_inner();
    let id = ticket_id(&reference, viewer.lang)?;
    let form = form.0;
    let mark = StepMark::from_str(form.state.trim())
        .map_err(|_| bad_value(viewer.lang, "step-mark", form.state.trim()))?;
    let actor = actor(&viewer);
    let note = form.note.clone();
    match state
        .db
        .write(move |conn| service::mark_step(conn, &actor, id, &key, mark, &note))
        .await
    {
        Ok(()) => done(&session, id, i18n::text(viewer.lang, "step-saved")),
        Err(error) => refused(&viewer, &session, id, error, &[]),
    }
}

#[derive(Deserialize, Clone)]
pub struct RemedyForm {
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    form_key: String,
    /// The ticket's newest remedy when the page was shown.
    #[serde(default)]
    after: i64,
}

struct PreviewLabels {
    effect: String,
    account: String,
    side: String,
    amount: String,
    available_after: String,
    reason: String,
    confirm: String,
    back: String,
}

struct PreviewLine {
    account: String,
    label: Option<view::AccountLabel>,
    side: &'static str,
    side_text: String,
    amount: String,
    available_after: String,
}

#[derive(Template)]
#[template(path = "agent/remedy_preview.html")]
struct RemedyPreviewPage {
    title: String,
    chrome: Chrome,
    reference: String,
    step_key: String,
    step_title: String,
    kind: &'static str,
    lines: Vec<PreviewLine>,
    status_change: Option<String>,
    requires_approval: bool,
    approval_text: String,
    labels: PreviewLabels,
    form_key: String,
    after: i64,
    amount: String,
    reason: String,
}

/// What a remedy step would do, before the agent confirms it.
async fn preview_remedy(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    session: Session,
    form: CsrfForm<RemedyForm>,
) -> Result<HttpResponse, DeskError> {
    let (reference, key) = path.into_inner();
    let id = ticket_id(&reference, viewer.lang)?;
    let form = form.0;
    let amount = form.amount.clone();
    let plan_key = key.clone();
    let settings = sla_settings(&state).await?;
    let planned = state
        .db
        .run(move |conn| {
            let ticket = service::find(conn, id)?;
            playbooks::remedies::plan(
                conn,
                &ticket,
                &plan_key,
                &amount,
                &settings.calendar,
                sla::now(),
            )
        })
        .await;
    let plan = match planned {
        Ok(plan) => plan,
        Err(error) => return refused(&viewer, &session, id, error, &[]),
    };
    let lang = viewer.lang;
    let word = |key: &str| i18n::text(lang, key);
    let kind: &'static str = plan.kind.into();
    render(
        RemedyPreviewPage {
            title: format!("{} · {}", id.reference(), plan.step.title(lang)),
            chrome: Chrome::new(&viewer, "tickets"),
            reference: id.reference(),
            step_key: key,
            step_title: plan.step.title(lang),
            kind,
            lines: plan
                .lines
                .iter()
                .map(|line| PreviewLine {
                    account: line.account.clone(),
                    label: line.label.clone(),
                    side: line.side,
                    side_text: word(&format!("remedy-side-{}", line.side)),
                    amount: line.amount.to_string(),
                    // Only a wallet's balance means something to the
                    // customer; outside accounts run negative by design.
                    available_after: match &line.label {
                        Some(label) if label.kind == AccountKind::CustomerWallet => {
                            line.available_after.to_string()
                        }
                        _ => "—".to_owned(),
                    },
                })
                .collect(),
            status_change: plan.status_change.map(|(from, to)| {
                i18n::text_with(
                    lang,
                    "remedy-status-change",
                    &[
                        ("from", word(&format!("account-state-{from}"))),
                        ("to", word(&format!("account-state-{to}"))),
                    ],
                )
            }),
            requires_approval: plan.requires_approval,
            approval_text: word(if plan.requires_approval {
                "remedy-needs-approval"
            } else {
                "remedy-runs-now"
            }),
            labels: PreviewLabels {
                effect: word("remedy-effect"),
                account: word("remedy-account"),
                side: word("remedy-side"),
                amount: word("remedy-amount"),
                available_after: word("remedy-available-after"),
                reason: word("remedy-reason"),
                confirm: word("remedy-confirm"),
                back: word("remedy-back"),
            },
            form_key: form.form_key,
            after: form.after,
            amount: plan
                .amount
                .map(|m| m.to_decimal().to_string())
                .unwrap_or_default(),
            reason: form.reason,
        },
        StatusCode::OK,
    )
}

/// Proposes the remedy; it runs at once unless it needs approval.
async fn post_remedy(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    session: Session,
    form: CsrfForm<RemedyForm>,
) -> Result<HttpResponse, DeskError> {
    use playbooks::remedies::{Proposal, Proposed, propose};
    let (reference, key) = path.into_inner();
    let id = ticket_id(&reference, viewer.lang)?;
    let form = form.0;
    let proposal = Proposal {
        step: key,
        amount: form.amount,
        reason: form.reason,
        form_key: form.form_key,
        after: form.after,
    };
    let settings = sla_settings(&state).await?;
    let actor = actor(&viewer);
    match state
        .db
        .write(move |conn| propose(conn, &actor, id, &proposal, &settings.calendar, sla::now()))
        .await
    {
        Ok(proposed) => done(
            &session,
            id,
            i18n::text(
                viewer.lang,
                match proposed {
                    Proposed::Executed(_) => "remedy-executed",
                    Proposed::AwaitingApproval(_) => "remedy-awaiting",
                    Proposed::Repeated(_) => "remedy-repeated",
                },
            ),
        ),
        Err(error) => refused(&viewer, &session, id, error, &[]),
    }
}

#[derive(Deserialize)]
pub struct LinkForm {
    /// A transaction reference; empty unlinks.
    #[serde(default)]
    reference: String,
    version: i64,
}

async fn post_link(
    viewer: Viewer,
    state: web::Data<AppState>,
    reference: web::Path<String>,
    session: Session,
    form: CsrfForm<LinkForm>,
) -> Result<HttpResponse, DeskError> {
    let id = ticket_id(&reference, viewer.lang)?;
    let form = form.0;
    let actor = actor(&viewer);
    let linked = form.reference.trim().to_owned();
    let unlink = linked.is_empty();
    match state
        .db
        .write(move |conn| {
            service::link_transaction(
                conn,
                &actor,
                id,
                (!linked.is_empty()).then_some(linked.as_str()),
                form.version,
            )
        })
        .await
    {
        Ok(_) => done(
            &session,
            id,
            i18n::text(
                viewer.lang,
                if unlink {
                    "notice-transaction-unlinked"
                } else {
                    "notice-transaction-linked"
                },
            ),
        ),
        Err(error) => refused(&viewer, &session, id, error, &[]),
    }
}
