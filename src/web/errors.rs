//! Error pages in the site's layout, request ids, and the desk's errors.
//! Pages never show a stack trace or SQL: a server error shows the request
//! id, and the log holds the cause under the same id.

use crate::i18n::{self, Lang};
use crate::web::language::request_lang;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, Next};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use rand::RngCore;
use tracing::Instrument;

/// A random id for each request, in the log, the `X-Request-Id` header
/// and the 500 page.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub async fn assign_request_id(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut bytes = [0_u8; 8];
    rand::rng().fill_bytes(&mut bytes);
    let id = hex::encode(bytes);
    request.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", id = %id);
    let mut response = next.call(request).instrument(span).await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert(header::HeaderName::from_static("x-request-id"), value);
    }
    Ok(response)
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    lang: Lang,
    /// An agent's page: back to the desk; else back to the help pages.
    desk: bool,
    title: String,
    message: &'a str,
    request_id: Option<&'a str>,
}

/// The site's error page in `lang`: its title from the catalog key
/// `title`, its message as given.
pub fn error_page(
    status: StatusCode,
    desk: bool,
    lang: Lang,
    title: &str,
    message: &str,
    request_id: Option<&str>,
) -> HttpResponse {
    let page = ErrorPage {
        lang,
        desk,
        title: i18n::text(lang, title),
        message,
        request_id,
    };
    let mut response = match page.render() {
        Ok(html) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(html),
        Err(_) => HttpResponse::build(status)
            .content_type("text/plain; charset=utf-8")
            .body(message.to_owned()),
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Whether a path is the agents' desk (else a page for wallet users).
pub fn is_desk(path: &str) -> bool {
    path == "/agent" || path.starts_with("/agent/")
}

fn not_found_page(request: &HttpRequest) -> HttpResponse {
    let lang = request_lang(request);
    error_page(
        StatusCode::NOT_FOUND,
        is_desk(request.path()),
        lang,
        "error-not-found-title",
        &i18n::text(lang, "error-not-found"),
        None,
    )
}

/// A query string no page can read (a repeated or mistyped parameter):
/// the site's 400 page, not the framework's plain text.
pub fn unreadable_query(
    _: actix_web::error::QueryPayloadError,
    request: &HttpRequest,
) -> actix_web::Error {
    DeskError::BadRequest(i18n::text(request_lang(request), "error-page-link")).into()
}

pub async fn not_found(request: HttpRequest) -> HttpResponse {
    not_found_page(&request)
}

/// A desk error's page, to be worded in the language of the request that
/// met it (an error's response is made without the request).
#[derive(Debug, Clone)]
struct PendingPage {
    title: &'static str,
    message: PageMessage,
}

#[derive(Debug, Clone)]
enum PageMessage {
    Key(&'static str),
    Text(String),
}

/// Words the pages desk errors left pending, in the request's language.
pub async fn render_error_pages(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let response = next.call(request).await?;
    let pending = response
        .response()
        .extensions()
        .get::<PendingPage>()
        .cloned();
    let Some(pending) = pending else {
        return Ok(response.map_into_boxed_body());
    };
    let lang = request_lang(response.request());
    let message = match &pending.message {
        PageMessage::Key(key) => i18n::text(lang, key),
        PageMessage::Text(text) => text.clone(),
    };
    let status = response.status();
    let headers = response.headers().clone();
    let (request, _) = response.into_parts();
    let desk = is_desk(request.path());
    let mut page = error_page(status, desk, lang, pending.title, &message, None);
    for (name, value) in headers.iter() {
        if !page.headers().contains_key(name) {
            page.headers_mut().insert(name.clone(), value.clone());
        }
    }
    Ok(ServiceResponse::new(request, page).map_into_boxed_body())
}

fn is_html<B>(response: &ServiceResponse<B>) -> bool {
    response
        .response()
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.to_str().unwrap_or_default().starts_with("text/html"))
}

/// Gives 404s that carry no page of their own the site's page.
pub fn render_not_found<B>(
    response: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let worded_later = response.response().extensions().contains::<PendingPage>();
    if worded_later || is_html(&response) || response.request().path().starts_with("/api/") {
        return Ok(ErrorHandlerResponse::Response(
            response.map_into_left_body(),
        ));
    }
    let (request, _) = response.into_parts();
    let page = not_found_page(&request);
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(request, page).map_into_right_body(),
    ))
}

/// Logs a server error with its request id and answers the 500 page.
pub fn render_server_error<B>(
    response: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let request_id = response
        .request()
        .extensions()
        .get::<RequestId>()
        .map(|id| id.0.clone());
    let cause = response
        .response()
        .error()
        .map(|error| error.to_string())
        .unwrap_or_default();
    tracing::error!(
        request_id = request_id.as_deref().unwrap_or("-"),
        path = crate::web::loggable_path(response.request().path()),
        %cause,
        "server error"
    );
    if response.request().path().starts_with("/api/") {
        return Ok(ErrorHandlerResponse::Response(
            response.map_into_left_body(),
        ));
    }
    let (request, _) = response.into_parts();
    let lang = request_lang(&request);
    let page = error_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        is_desk(request.path()),
        lang,
        "error-server-title",
        &i18n::text(lang, "error-server"),
        request_id.as_deref(),
    );
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(request, page).map_into_right_body(),
    ))
}

/// What can go wrong answering a desk page, each with its status.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error("sign in to continue")]
    SignInRequired { next: String },
    #[error("your role does not allow this")]
    Forbidden,
    #[error(
        "this form is out of date or came from another site; nothing was changed, reload the page and try again"
    )]
    Csrf,
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    /// A form with more than the body limit (files, mostly).
    #[error("{0}")]
    PayloadTooLarge(String),
    /// This instance cannot write now, or too many writes wait.
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl DeskError {
    pub fn internal(error: impl std::fmt::Display) -> DeskError {
        DeskError::Internal(error.to_string())
    }
}

impl From<crate::db::DbError> for DeskError {
    fn from(error: crate::db::DbError) -> Self {
        if error.is_unavailable() {
            tracing::warn!(%error, "desk request refused: cannot write now");
            return DeskError::Unavailable(i18n::text(Lang::En, "error-unavailable"));
        }
        DeskError::internal(error)
    }
}

impl ResponseError for DeskError {
    fn status_code(&self) -> StatusCode {
        match self {
            DeskError::SignInRequired { .. } => StatusCode::SEE_OTHER,
            DeskError::Forbidden | DeskError::Csrf => StatusCode::FORBIDDEN,
            DeskError::NotFound(_) => StatusCode::NOT_FOUND,
            DeskError::BadRequest(_) => StatusCode::BAD_REQUEST,
            DeskError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            DeskError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            DeskError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            DeskError::SignInRequired { next } => {
                let target = format!("/agent/login?next={}", urlencode(next));
                HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, target))
                    .insert_header((header::CACHE_CONTROL, "no-store"))
                    .finish()
            }
            // The error handler renders the page, with the request id.
            DeskError::Internal(_) => HttpResponse::InternalServerError().finish(),
            DeskError::Forbidden => pending(
                self.status_code(),
                "error-forbidden-title",
                PageMessage::Key("error-forbidden"),
            ),
            DeskError::Csrf => pending(
                self.status_code(),
                "error-csrf-title",
                PageMessage::Key("error-csrf"),
            ),
            DeskError::NotFound(message) => pending(
                self.status_code(),
                "error-not-found-title",
                PageMessage::Text(capitalised(message)),
            ),
            DeskError::BadRequest(message) => pending(
                self.status_code(),
                "error-bad-request-title",
                PageMessage::Text(capitalised(message)),
            ),
            DeskError::PayloadTooLarge(message) => pending(
                self.status_code(),
                "error-too-large-title",
                PageMessage::Text(message.clone()),
            ),
            DeskError::Unavailable(_) => {
                let mut page = pending(
                    self.status_code(),
                    "error-unavailable-title",
                    PageMessage::Key("error-unavailable"),
                );
                page.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                page
            }
        }
    }
}

/// A response whose page `render_error_pages` words.
fn pending(status: StatusCode, title: &'static str, message: PageMessage) -> HttpResponse {
    let mut response = HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish();
    response
        .extensions_mut()
        .insert(PendingPage { title, message });
    response
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
