//! CSRF protection for public forms, without a session: a signed
//! double-submit token. The page sets a cookie holding a random nonce and
//! its HMAC under the server's secret, and puts the same value in the
//! form; a post must carry both, equal, with a valid signature, and come
//! from this site (`Origin`, failing closed).

use crate::web::AppState;
use crate::web::agent::auth::{same_origin, tokens_match};
use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The cookie carrying the form token.
pub const FORM_COOKIE: &str = "redress_form";

/// The key form tokens are signed with, derived from the shared secret so
/// every instance accepts every other's tokens.
pub fn form_key(secret: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"redress public form tokens v1\0");
    hasher.update(secret);
    hasher.finalize().into()
}

fn signature(key: &[u8; 32], nonce: &str) -> String {
    // HMAC takes a key of any length: this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(nonce.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether a token is one this server signed.
fn is_signed(key: &[u8; 32], token: &str) -> bool {
    token
        .split_once('.')
        .is_some_and(|(nonce, mac)| nonce.len() == 32 && tokens_match(mac, &signature(key, nonce)))
}

/// The form token for a page: the browser's own when it holds a valid
/// one (so several tabs work), else a new one; and the cookie to set when
/// it is new.
pub fn token(request: &HttpRequest, state: &AppState) -> (String, Option<Cookie<'static>>) {
    if let Some(cookie) = request.cookie(FORM_COOKIE)
        && is_signed(&state.form_key, cookie.value())
    {
        return (cookie.value().to_owned(), None);
    }
    let mut bytes = [0_u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let nonce = hex::encode(bytes);
    let token = format!("{nonce}.{}", signature(&state.form_key, &nonce));
    let cookie = Cookie::build(FORM_COOKIE, token.clone())
        .path("/")
        .http_only(true)
        .secure(state.settings.base_url.scheme() == "https")
        .same_site(SameSite::Strict)
        .finish();
    (token, Some(cookie))
}

/// Whether a posted form may be taken: from this site, with the field's
/// token equal to the cookie's and signed by this server.
pub fn accepts(request: &HttpRequest, state: &AppState, field: &str) -> bool {
    let cookie = request
        .cookie(FORM_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    same_origin(request, state)
        && tokens_match(field, &cookie)
        && is_signed(&state.form_key, &cookie)
}

/// Whether a request may carry a form at all: from this site and with a
/// form cookie this server signed. Checked on the headers, before the body
/// is read.
pub fn may_post(request: &HttpRequest, state: &AppState) -> bool {
    same_origin(request, state)
        && request
            .cookie(FORM_COOKIE)
            .is_some_and(|cookie| is_signed(&state.form_key, cookie.value()))
}

/// A receipt for the page that confirms a filing: the ticket, whether the
/// filing joined an open one, and until when (unix seconds) the receipt
/// opens the page, signed. The tracking link itself goes only by e-mail.
pub fn receipt(key: &[u8; 32], ticket: i64, merged: bool, until: i64) -> String {
    let body = format!("{ticket}.{}.{until}", u8::from(merged));
    format!("{body}.{}", signature(key, &format!("filed:{body}")))
}

/// The ticket and merge flag of a receipt still valid at `now` (unix
/// seconds); none for anything else.
pub fn open_receipt(key: &[u8; 32], receipt: &str, now: i64) -> Option<(i64, bool)> {
    let (body, mac) = receipt.rsplit_once('.')?;
    if !tokens_match(mac, &signature(key, &format!("filed:{body}"))) {
        return None;
    }
    let mut parts = body.split('.');
    let ticket = parts.next()?.parse().ok()?;
    let merged = parts.next()? == "1";
    let until: i64 = parts.next()?.parse().ok()?;
    (until >= now && parts.next().is_none()).then_some((ticket, merged))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tokens_signed_with_the_key_pass() {
        let key = form_key(b"a secret of enough length for tests");
        let nonce = "0123456789abcdef0123456789abcdef";
        let good = format!("{nonce}.{}", signature(&key, nonce));
        assert!(is_signed(&key, &good));
        assert!(!is_signed(
            &form_key(b"another secret entirely, also long"),
            &good
        ));
        assert!(!is_signed(&key, &format!("{nonce}.{}", "0".repeat(64))));
        assert!(!is_signed(&key, "no-dot"));
    }

    #[test]
    fn receipts_open_only_signed_and_in_time() {
        let key = form_key(b"a secret of enough length for tests");
        let good = receipt(&key, 42, true, 1_000);
        assert_eq!(open_receipt(&key, &good, 999), Some((42, true)));
        assert_eq!(open_receipt(&key, &good, 1_001), None, "expired");
        assert_eq!(
            open_receipt(&key, &good.replacen("42", "43", 1), 999),
            None,
            "forged"
        );
        assert_eq!(
            open_receipt(&form_key(b"another secret entirely, also long"), &good, 999),
            None
        );
    }
}
