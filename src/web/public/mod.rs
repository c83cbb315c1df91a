//! The wallet user's pages: help for each problem, the dispute form, and
//! the tracking page. Nobody signs in: forms carry a signed double-submit
//! token, disputes are rate-limited per address, and a tracking page opens
//! only with its link's token. Every page works without JavaScript.

mod guard;
mod upload;

use crate::disputes::intake::{self, DisputeError, DisputeForm, Filing};
use crate::disputes::tracking::{self, Tracking};
use crate::domain::{Coded, Currency, TicketCategory};
use crate::evidence::{self, RefusedFile};
use crate::i18n::{self, Lang, Message};
use crate::tickets::service::{self as tickets_service, CustomerMessage, TicketError};
use crate::tickets::sla::{self, SlaSettings};
use crate::web::AppState;
use crate::web::agent::auth::client_address;
use crate::web::errors::DeskError;
use crate::web::language::{language_cookie, request_lang};
use actix_web::cookie::Cookie;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use strum::IntoEnumIterator;
use upload::{Upload, UploadError};

pub use guard::form_key;

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/", web::get().to(index))
        .route("/help", web::get().to(index))
        .route("/help/{category}", web::get().to(help))
        .route("/disputes/new", web::get().to(new_dispute))
        .route("/disputes", web::post().to(post_dispute))
        .route("/disputes/filed/{receipt}", web::get().to(filed))
        .route("/track/{token}", web::get().to(track))
        .route("/track/{token}/reply", web::post().to(post_reply))
        .route("/language", web::get().to(switch_language));
}

/// Replies one address may post in an hour.
const REPLIES_PER_HOUR: usize = 30;
/// How long the confirmation of a filing can be opened again.
const RECEIPT_SECONDS: i64 = 3600;

/// What every public page has: its language and where it is (for the
/// language switch to come back to).
pub struct Public {
    pub lang: Lang,
    pub here: String,
}

impl Public {
    fn new(request: &HttpRequest) -> Public {
        // A page answering a post switches language to the form's own page
        // (the post's address takes no GET).
        let here = match (
            request.method() == actix_web::http::Method::GET,
            request.path(),
        ) {
            (true, _) => request
                .uri()
                .path_and_query()
                .map_or("/".to_owned(), |p| p.to_string()),
            (false, "/disputes") => "/disputes/new".to_owned(),
            (false, path) => path.trim_end_matches("/reply").to_owned(),
        };
        Public {
            lang: request_lang(request),
            here,
        }
    }

    pub fn t(&self, key: &str) -> String {
        i18n::text(self.lang, key)
    }

    pub fn word<C: Coded>(&self, value: C) -> String {
        i18n::word(self.lang, value)
    }

    /// The other language, for the switch.
    pub fn other(&self) -> Lang {
        match self.lang {
            Lang::En => Lang::Zh,
            Lang::Zh => Lang::En,
        }
    }

    /// The switch's link: to the other language, back here.
    pub fn switch_href(&self) -> String {
        format!(
            "/language?to={}&next={}",
            self.other().tag(),
            crate::web::errors::urlencode(&self.here)
        )
    }

    /// A time in the business calendar's zone, with its offset (users may
    /// live anywhere).
    pub fn time(&self, calendar: &sla::BusinessCalendar, at: &NaiveDateTime) -> String {
        calendar
            .local(*at)
            .format("%Y-%m-%d %H:%M (UTC%:z)")
            .to_string()
    }
}

/// The slug of a category in help links: `refund-not-received`.
fn slug(category: TicketCategory) -> String {
    category.as_str().replace('_', "-")
}

fn page(html: askama::Result<String>, status: StatusCode) -> Result<HttpResponse, DeskError> {
    let html = html.map_err(DeskError::internal)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(html))
}

fn not_found(lang: Lang) -> DeskError {
    DeskError::NotFound(i18n::text(lang, "error-not-found"))
}

#[derive(Template)]
#[template(path = "public/index.html")]
struct IndexPage {
    p: Public,
    cards: Vec<(String, String, String)>,
}

/// The help centre: one card per problem.
async fn index(request: HttpRequest) -> Result<HttpResponse, DeskError> {
    let p = Public::new(&request);
    let cards = TicketCategory::iter()
        .map(|category| {
            let key = slug(category);
            (
                key.clone(),
                p.t(&format!("help-{key}-title")),
                p.t(&format!("help-{key}-summary")),
            )
        })
        .collect();
    page(IndexPage { p, cards }.render(), StatusCode::OK)
}

#[derive(Template)]
#[template(path = "public/help.html")]
struct HelpPage {
    p: Public,
    category: TicketCategory,
    key: String,
    has_details: bool,
}

impl HelpPage {
    /// One part of the problem's help text (`title`, `causes`…).
    fn part(&self, part: &str) -> String {
        self.p.t(&format!("help-{}-{part}", self.key))
    }
}

/// One problem: what causes it, what to check, how long it takes.
async fn help(request: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, DeskError> {
    let p = Public::new(&request);
    let category = TicketCategory::iter()
        .find(|c| slug(*c) == *path)
        .ok_or_else(|| not_found(p.lang))?;
    let key = slug(category);
    page(
        HelpPage {
            has_details: category != TicketCategory::Other,
            p,
            category,
            key,
        }
        .render(),
        StatusCode::OK,
    )
}

/// The dispute form, blank or as the user filled it.
#[derive(Template)]
#[template(path = "public/dispute_form.html")]
struct DisputePage {
    p: Public,
    form: DisputeForm,
    csrf: String,
    categories: Vec<TicketCategory>,
    currencies: Vec<Currency>,
    /// Field name and what is wrong with it, in the form's order.
    errors: Vec<(&'static str, String)>,
    /// A refusal of the whole form (the rate limit, the reference).
    refusal: Option<String>,
    max_description: usize,
}

impl DisputePage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, text)| text.as_str())
    }

    fn label_of(&self, field: &str) -> String {
        self.p.t(&format!("dispute-field-{field}"))
    }

    /// A line of the error summary: the field and what is wrong.
    fn summary_line(&self, field: &str, problem: &str) -> String {
        i18n::text_with(
            self.p.lang,
            "dispute-error-line",
            &[
                ("field", self.label_of(field)),
                ("problem", problem.to_owned()),
            ],
        )
    }
}

fn dispute_page(
    request: &HttpRequest,
    state: &AppState,
    form: DisputeForm,
    errors: Vec<(&'static str, String)>,
    refusal: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, DeskError> {
    let (csrf, cookie) = guard::token(request, state);
    let html = DisputePage {
        p: Public::new(request),
        form,
        csrf,
        categories: TicketCategory::iter().collect(),
        currencies: Currency::iter().collect(),
        errors,
        refusal,
        max_description: intake::MAX_DESCRIPTION_CHARS,
    }
    .render();
    let mut response = page(html, status)?;
    with_cookie(&mut response, cookie);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

fn with_cookie(response: &mut HttpResponse, cookie: Option<Cookie<'static>>) {
    if let Some(cookie) = cookie {
        // A cookie built here always encodes.
        let _ = response.add_cookie(&cookie);
    }
}

#[derive(serde::Deserialize)]
struct NewDisputeQuery {
    #[serde(default)]
    category: String,
}

async fn new_dispute(
    request: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<NewDisputeQuery>,
) -> Result<HttpResponse, DeskError> {
    let form = DisputeForm {
        category: query.category.replace('-', "_"),
        ..DisputeForm::default()
    };
    dispute_page(&request, &state, form, Vec::new(), None, StatusCode::OK)
}

/// The words of a refused file, for the evidence field.
fn refused_text(lang: Lang, refused: &[RefusedFile]) -> Option<String> {
    (!refused.is_empty()).then(|| {
        refused
            .iter()
            .map(|file| {
                i18n::text_with(
                    lang,
                    "timeline-file-refused",
                    &[
                        ("name", file.name.clone()),
                        ("reason", i18n::text(lang, file.reason.key())),
                    ],
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// A form's upload, or the page answering why it cannot be read.
async fn read_upload(request: &HttpRequest, payload: web::Payload) -> Result<Upload, DeskError> {
    let lang = request_lang(request);
    match upload::read(request, payload).await {
        Ok(upload) => Ok(upload),
        Err(UploadError::TooLarge) => Err(DeskError::PayloadTooLarge(i18n::text_with(
            lang,
            "public-too-large",
            &[("mb", (upload::MAX_BODY_BYTES / 1024 / 1024).to_string())],
        ))),
        Err(UploadError::Unreadable) => Err(DeskError::BadRequest(i18n::text(
            lang,
            "error-form-unreadable",
        ))),
    }
}

async fn post_dispute(
    request: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, DeskError> {
    // Origin and cookie are headers: a foreign or tokenless post is refused
    // before its body is read.
    if !guard::may_post(&request, &state) {
        return Err(DeskError::Csrf);
    }
    let upload = read_upload(&request, payload).await?;
    if !guard::accepts(&request, &state, upload.field("csrf_token")) {
        return Err(DeskError::Csrf);
    }
    let lang = request_lang(&request);
    let form = DisputeForm {
        category: upload.field("category").to_owned(),
        email: upload.field("email").to_owned(),
        name: upload.field("name").to_owned(),
        reference: upload.field("reference").to_owned(),
        amount: upload.field("amount").to_owned(),
        currency: upload.field("currency").to_owned(),
        date: upload.field("date").to_owned(),
        description: upload.field("description").to_owned(),
        consent: upload.field("consent") == "yes",
    };
    let settings = sla_settings(&state).await?;
    let today = settings.calendar.local_date(sla::now());
    let parsed = crate::disputes::intake::Dispute::parse(&form, today);
    let mut errors: Vec<(&'static str, String)> = match &parsed {
        Ok(_) => Vec::new(),
        Err(problems) => problems
            .iter()
            .map(|(field, message)| (*field, message.text(lang)))
            .collect(),
    };
    if let Some(text) = refused_text(lang, &upload.refused) {
        errors.push((upload::FILES_FIELD, text));
    }
    let dispute = match parsed {
        Ok(dispute) if errors.is_empty() => dispute,
        _ => {
            return dispute_page(
                &request,
                &state,
                form,
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
    };
    let client = client_address(&request, &state.settings.trusted_proxies);
    let counted = state
        .db
        .write(move |conn| intake::count_filing(conn, &client, sla::now()))
        .await?;
    if let Err(minutes) = counted {
        let mut response = dispute_page(
            &request,
            &state,
            form,
            Vec::new(),
            Some(i18n::text_with(
                lang,
                "dispute-throttled",
                &[("minutes", minutes.to_string())],
            )),
            StatusCode::TOO_MANY_REQUESTS,
        )?;
        if let Ok(value) = header::HeaderValue::from_str(&(minutes * 60).to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return Ok(response);
    }
    let dir = evidence::directory(&state.settings.data_dir);
    let stored = store_files(&dir, upload.files).await?;
    let base_url = state.settings.base_url.clone();
    let files = stored.clone();
    let filed = state
        .db
        .write(move |conn| {
            let filing = Filing {
                dispute: &dispute,
                files: &files,
                refused: &[],
                lang,
                base_url: &base_url,
            };
            intake::file(conn, &settings, &filing, sla::now())
        })
        .await;
    let refusal = |message: Message, errors: Vec<(&'static str, String)>| {
        evidence::discard(&dir, &stored);
        dispute_page(
            &request,
            &state,
            form.clone(),
            errors,
            Some(message.text(lang)),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    match filed {
        // The confirmation shows what is known; the tracking link goes
        // only to the e-mail address, so only its owner can follow the
        // dispute and read its conversation.
        Ok(filed) => {
            let until = chrono::Utc::now().timestamp() + RECEIPT_SECONDS;
            let receipt = guard::receipt(&state.form_key, filed.ticket.0, filed.merged, until);
            Ok(crate::web::agent::see_other(&format!(
                "/disputes/filed/{receipt}"
            )))
        }
        Err(DisputeError::Reference) => {
            let text = i18n::text(lang, "dispute-error-reference");
            refusal(
                Message::new("dispute-error-summary"),
                vec![("reference", text)],
            )
        }
        Err(DisputeError::Ticket(error)) => {
            evidence::discard(&dir, &stored);
            Err(ticket_failure(error))
        }
        Err(DisputeError::Db(error)) => {
            evidence::discard(&dir, &stored);
            Err(error.into())
        }
    }
}

fn ticket_failure(error: TicketError) -> DeskError {
    match error {
        TicketError::Db(error) => error.into(),
        other => DeskError::internal(other),
    }
}

async fn sla_settings(state: &AppState) -> Result<SlaSettings, DeskError> {
    state
        .db
        .run(|conn| sla::load(conn).map_err(DeskError::internal))
        .await
}

/// Writes checked files to the evidence folder, off the server's threads.
async fn store_files(
    dir: &std::path::Path,
    files: Vec<evidence::CheckedFile>,
) -> Result<Vec<evidence::StoredFile>, DeskError> {
    let dir = dir.to_owned();
    web::block(move || evidence::store(&dir, files))
        .await
        .map_err(DeskError::internal)?
        .map_err(DeskError::internal)
}

#[derive(Template)]
#[template(path = "public/filed.html")]
struct FiledPage {
    p: Public,
    reference: String,
    merged: bool,
    diagnosis: crate::disputes::diagnosis::Diagnosis,
}

/// The confirmation of a filing: its reference, what is known already and
/// what happens next. No conversation and no reply box: those are behind
/// the e-mailed link.
async fn filed(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, DeskError> {
    let p = Public::new(&request);
    let (ticket, merged) =
        guard::open_receipt(&state.form_key, &path, chrono::Utc::now().timestamp())
            .ok_or_else(|| not_found(p.lang))?;
    let id = crate::domain::TicketId(ticket);
    let settings = sla_settings(&state).await?;
    let lang = p.lang;
    let view = state
        .db
        .run(move |conn| tracking::view(conn, id, &settings.calendar, lang, sla::now()))
        .await?
        .ok_or_else(|| not_found(lang))?;
    let html = FiledPage {
        p,
        reference: id.reference(),
        merged,
        diagnosis: view.diagnosis,
    }
    .render();
    let mut response = page(html, StatusCode::OK)?;
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    headers.insert(
        header::HeaderName::from_static("x-robots-tag"),
        header::HeaderValue::from_static("noindex, nofollow"),
    );
    Ok(response)
}

#[derive(Template)]
#[template(path = "public/tracking.html")]
struct TrackingPage {
    p: Public,
    token: String,
    reference: String,
    view: Tracking,
    calendar: sla::BusinessCalendar,
    csrf: String,
    /// `new` or `added` after filing; `sent` after a reply.
    notice: Option<String>,
    error: Option<String>,
    draft: String,
}

impl TrackingPage {
    /// The ticket's status in the user's words.
    fn status_text(&self) -> String {
        let status = self.view.ticket.status.as_str().replace('_', "-");
        self.p.t(&format!("track-status-{status}"))
    }
}

#[derive(serde::Deserialize)]
struct TrackQuery {
    sent: Option<String>,
}

/// The ticket a token opens, or the 404 every bad token gets.
async fn tracked(
    state: &AppState,
    token: &str,
    lang: Lang,
) -> Result<crate::domain::TicketId, DeskError> {
    let token = token.to_owned();
    state
        .db
        .run(move |conn| tracking::ticket_of(conn, &token, sla::now()))
        .await?
        .ok_or_else(|| not_found(lang))
}

#[allow(clippy::too_many_arguments)]
async fn tracking_page(
    request: &HttpRequest,
    state: &AppState,
    token: &str,
    notice: Option<String>,
    error: Option<String>,
    draft: String,
    status: StatusCode,
) -> Result<HttpResponse, DeskError> {
    let p = Public::new(request);
    let id = tracked(state, token, p.lang).await?;
    let settings = sla_settings(state).await?;
    let lang = p.lang;
    let calendar = settings.calendar.clone();
    let view = state
        .db
        .run(move |conn| tracking::view(conn, id, &calendar, lang, sla::now()))
        .await?
        .ok_or_else(|| not_found(lang))?;
    let (csrf, cookie) = guard::token(request, state);
    let html = TrackingPage {
        p,
        token: token.to_owned(),
        reference: id.reference(),
        view,
        calendar: settings.calendar,
        csrf,
        notice,
        error,
        draft,
    }
    .render();
    let mut response = page(html, status)?;
    with_cookie(&mut response, cookie);
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    // The site-wide `Referrer-Policy: same-origin` keeps the token from
    // other sites; `no-referrer` would make browsers post the reply form
    // with `Origin: null`, which the form guard refuses.
    headers.insert(
        header::HeaderName::from_static("x-robots-tag"),
        header::HeaderValue::from_static("noindex, nofollow"),
    );
    Ok(response)
}

async fn track(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<TrackQuery>,
) -> Result<HttpResponse, DeskError> {
    let lang = request_lang(&request);
    let notice = query.sent.is_some().then(|| i18n::text(lang, "track-sent"));
    tracking_page(
        &request,
        &state,
        &path,
        notice,
        None,
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// A reply from the tracking page, with more evidence.
async fn post_reply(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, DeskError> {
    let lang = request_lang(&request);
    let id = tracked(&state, &path, lang).await?;
    if !guard::may_post(&request, &state) {
        return Err(DeskError::Csrf);
    }
    let upload = read_upload(&request, payload).await?;
    if !guard::accepts(&request, &state, upload.field("csrf_token")) {
        return Err(DeskError::Csrf);
    }
    let body = upload.field("message").to_owned();
    let refuse = |error: String| {
        tracking_page(
            &request,
            &state,
            &path,
            None,
            Some(error),
            body.clone(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    if let Some(text) = refused_text(lang, &upload.refused) {
        return refuse(text).await;
    }
    if let Err(problem) = crate::domain::text::multi_line(&body, tickets_service::MAX_BODY_CHARS) {
        let text = i18n::text_with(
            lang,
            "track-error-message",
            &[("problem", problem.message().text(lang))],
        );
        return refuse(text).await;
    }
    let dir = evidence::directory(&state.settings.data_dir);
    let stored = store_files(&dir, upload.files).await?;
    let settings = sla_settings(&state).await?;
    let client = client_address(&request, &state.settings.trusted_proxies);
    let files = stored.clone();
    let message_body = body.clone();
    let added = state
        .db
        .write(move |conn| {
            if let Err(minutes) = crate::throttle::count(
                conn,
                &crate::throttle::address_key("reply", &client),
                REPLIES_PER_HOUR,
                chrono::Duration::hours(1),
                sla::now(),
            )? {
                return Ok(Err(minutes));
            }
            let message = CustomerMessage {
                body: &message_body,
                files: &files,
                refused: &[],
                via: crate::domain::Channel::WebForm,
                details: None,
            };
            tickets_service::add_customer_message(conn, &settings, id, message).map(|_| Ok(()))
        })
        .await;
    match added {
        Ok(Ok(())) => Ok(crate::web::agent::see_other(&format!(
            "/track/{}?sent=1",
            path.as_str()
        ))),
        Ok(Err(minutes)) => {
            evidence::discard(&dir, &stored);
            refuse(i18n::text_with(
                lang,
                "dispute-throttled",
                &[("minutes", minutes.to_string())],
            ))
            .await
        }
        Err(TicketError::Closed(_)) => {
            evidence::discard(&dir, &stored);
            refuse(i18n::text(lang, "track-closed")).await
        }
        Err(error) => {
            evidence::discard(&dir, &stored);
            Err(ticket_failure(error))
        }
    }
}

#[derive(serde::Deserialize)]
struct LanguageQuery {
    #[serde(default)]
    to: String,
    #[serde(default)]
    next: String,
}

/// The language switch: remembered in a cookie, then back to the page.
async fn switch_language(
    request: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<LanguageQuery>,
) -> Result<HttpResponse, DeskError> {
    let lang = Lang::from_tag(&query.to).unwrap_or_else(|| request_lang(&request));
    // Only a plain path of this site: printable ASCII (browsers drop tabs
    // and line breaks, which could turn "/<tab>/x" into "//x"), one leading
    // slash, no backslash.
    let plain = query
        .next
        .bytes()
        .all(|b| b.is_ascii_graphic() && b != b'\\');
    let next = if plain && query.next.starts_with('/') && !query.next.starts_with("//") {
        query.next.as_str()
    } else {
        "/"
    };
    let mut response = crate::web::agent::see_other(next);
    let _ = response.add_cookie(&language_cookie(
        lang,
        state.settings.base_url.scheme() == "https",
    ));
    Ok(response)
}
