//! `/agent/login` and `/agent/logout`.

use super::auth::{
    CsrfForm, Viewer, client_address, random_token, same_origin, start_session, tokens_match,
};
use super::see_other;
use crate::agents::signin::{self, SignInError};
use crate::i18n::{self, Lang};
use crate::web::AppState;
use crate::web::errors::DeskError;
use crate::web::language::{language_cookie, request_lang};
use actix_session::Session;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

/// The login form's CSRF token lives in its own short cookie (there is no
/// session before sign-in): the form must echo it.
const LOGIN_COOKIE: &str = "redress_login";

#[derive(Template)]
#[template(path = "agent/login.html")]
struct LoginPage<'a> {
    title: String,
    lang: Lang,
    login_token: &'a str,
    next: &'a str,
    email: &'a str,
    notice: Option<&'a str>,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    next: String,
    #[serde(default)]
    signed_out: Option<String>,
}

/// Only paths inside the desk are followed after sign-in, and only plain
/// ones: printable ASCII (a browser sends the rest percent-encoded).
pub fn safe_next(next: &str) -> &str {
    if next.starts_with("/agent")
        && !next.starts_with("//")
        && !next.contains('\\')
        && next.len() <= 2048
        && next.bytes().all(|b| b.is_ascii_graphic())
    {
        next
    } else {
        "/agent"
    }
}

fn login_form(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    next: &str,
    email: &str,
    notice: Option<&str>,
    error: Option<&str>,
) -> Result<HttpResponse, DeskError> {
    let token = random_token();
    let html = LoginPage {
        title: i18n::text(lang, "login-title"),
        lang,
        login_token: &token,
        next: safe_next(next),
        email,
        notice,
        error,
    }
    .render()
    .map_err(DeskError::internal)?;
    let cookie = Cookie::build(LOGIN_COOKIE, token)
        .path("/agent/login")
        .http_only(true)
        .secure(state.settings.base_url.scheme() == "https")
        .same_site(SameSite::Strict)
        .finish();
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .cookie(cookie)
        .body(html))
}

pub async fn login_page(
    request: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, DeskError> {
    let lang = request_lang(&request);
    let notice = query
        .signed_out
        .as_ref()
        .map(|_| i18n::text(lang, "login-signed-out"));
    login_form(
        &state,
        lang,
        StatusCode::OK,
        &query.next,
        "",
        notice.as_deref(),
        None,
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    login_token: String,
}

pub async fn login(
    request: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, DeskError> {
    let form = form.into_inner();
    let cookie_token = request
        .cookie(LOGIN_COOKIE)
        .map(|cookie| cookie.value().to_owned())
        .unwrap_or_default();
    if !same_origin(&request, &state) || !tokens_match(&form.login_token, &cookie_token) {
        return Err(DeskError::Csrf);
    }
    let ip = client_address(&request, &state.settings.trusted_proxies);
    let lang = request_lang(&request);
    let refuse = |status: StatusCode, message: String| {
        login_form(
            &state,
            lang,
            status,
            &form.next,
            &form.email,
            None,
            Some(&message),
        )
    };
    if form.email.trim().is_empty() || form.password.is_empty() {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            i18n::text(lang, "login-enter-both"),
        );
    }
    let (email, address) = (form.email.clone(), ip.clone());
    let check = match state
        .db
        .write(move |conn| signin::prepare(conn, &email, &address))
        .await
    {
        Ok(check) => check,
        Err(SignInError::Throttled { minutes }) => {
            return refuse(
                StatusCode::TOO_MANY_REQUESTS,
                i18n::text_with(lang, "login-throttled", &[("minutes", minutes.to_string())]),
            );
        }
        Err(SignInError::Db(db)) => return Err(db.into()),
        Err(error) => return Err(DeskError::internal(error)),
    };
    let password = form.password.clone();
    let (check, verified) = web::block(move || {
        let verified = signin::check_password(&check, &password);
        (check, verified)
    })
    .await
    .map_err(DeskError::internal)?;
    let address = ip.clone();
    let outcome = state
        .db
        .write(move |conn| signin::finish(conn, &check, verified.clone(), &address))
        .await;
    match outcome.map_err(DeskError::from)? {
        Ok(agent) => {
            start_session(&session, agent.id)?;
            tracing::info!(agent = %agent.id, %ip, "agent signed in");
            let mut response = see_other(safe_next(&form.next));
            // The agent's stored choice follows them to this browser, for
            // the pages shown before a session (sign-in, errors).
            if let Some(locale) = agent.language {
                let secure = state.settings.base_url.scheme() == "https";
                response
                    .add_cookie(&language_cookie(Lang::from(locale), secure))
                    .map_err(DeskError::internal)?;
            }
            Ok(response)
        }
        Err(SignInError::WrongCredentials) => {
            refuse(StatusCode::UNAUTHORIZED, i18n::text(lang, "login-wrong"))
        }
        Err(SignInError::Deactivated) => {
            refuse(StatusCode::FORBIDDEN, i18n::text(lang, "login-deactivated"))
        }
        Err(SignInError::Db(db)) => Err(db.into()),
        Err(error) => Err(DeskError::internal(error)),
    }
}

#[derive(Deserialize)]
pub struct NoFields {}

#[derive(Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    language: String,
}

/// The header's language switch: stores the agent's choice, remembers it
/// in this browser, and returns to the page it was used on (the form's
/// `Referer`, when it is a desk page; the dashboard otherwise).
pub async fn switch_language(
    request: HttpRequest,
    viewer: Viewer,
    state: web::Data<AppState>,
    form: CsrfForm<LanguageForm>,
) -> Result<HttpResponse, DeskError> {
    let form = form.0;
    let lang = Lang::from_tag(form.language.trim())
        .ok_or_else(|| DeskError::BadRequest(i18n::text(viewer.lang, "language-unknown")))?;
    let agent = viewer.id;
    state
        .db
        .write(move |conn| crate::agents::set_language(conn, agent, lang.locale()))
        .await?;
    let secure = state.settings.base_url.scheme() == "https";
    let back = request
        .headers()
        .get(actix_web::http::header::REFERER)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| url::Url::parse(text).ok())
        // Only the path is followed, and only inside the desk.
        .map(|url| match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        })
        .unwrap_or_default();
    let mut response = see_other(safe_next(&back));
    response
        .add_cookie(&language_cookie(lang, secure))
        .map_err(DeskError::internal)?;
    Ok(response)
}

pub async fn logout(
    request: HttpRequest,
    viewer: Viewer,
    state: web::Data<AppState>,
    session: Session,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, DeskError> {
    let ip = client_address(&request, &state.settings.trusted_proxies);
    let agent = viewer.id;
    state
        .db
        .write(move |conn| signin::sign_out(conn, agent, &ip))
        .await?;
    session.purge();
    Ok(see_other("/agent/login?signed_out=1"))
}
