//! Which language a page speaks: the signed-in agent's stored choice;
//! before that (or with no agent, as on the sign-in and error pages) the
//! language cookie set at the last choice or sign-in, then the browser's
//! `Accept-Language`.

use crate::i18n::Lang;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header::{AcceptLanguage, Header};
use actix_web::{HttpMessage, HttpRequest};

/// The cookie remembering the language outside a session (path `/`, so
/// error pages anywhere follow it). Not secret: only a language tag.
pub const LANGUAGE_COOKIE: &str = "redress_lang";

/// The language this request's pages speak, once the agent is known
/// (kept in the request's extensions, so error pages follow it too).
#[derive(Debug, Clone, Copy)]
pub struct PageLang(pub Lang);

/// The language of a request with no agent's choice at hand.
pub fn request_lang(request: &HttpRequest) -> Lang {
    if let Some(PageLang(lang)) = request.extensions().get::<PageLang>() {
        return *lang;
    }
    if let Some(lang) = request
        .cookie(LANGUAGE_COOKIE)
        .and_then(|cookie| Lang::from_tag(cookie.value()))
    {
        return lang;
    }
    let ranked = AcceptLanguage::parse(request)
        .map(|header| header.ranked())
        .unwrap_or_default();
    let tags: Vec<String> = ranked.iter().map(ToString::to_string).collect();
    Lang::negotiate(tags.iter().map(String::as_str))
}

/// The language cookie for `lang`, a year long.
pub fn language_cookie(lang: Lang, secure: bool) -> Cookie<'static> {
    Cookie::build(LANGUAGE_COOKIE, lang.tag())
        .path("/")
        .secure(secure)
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::days(365))
        .finish()
}
