//! Who is asking: the signed-in agent behind a request, their role, and
//! the CSRF check every state-changing form passes.

use crate::db::models::Agent;
use crate::domain::{AgentId, Role};
use crate::i18n::Lang;
use crate::web::AppState;
use crate::web::errors::DeskError;
use crate::web::language::{PageLang, request_lang};
use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use chrono::Utc;
use chrono_tz::Tz;
use futures_util::future::LocalBoxFuture;
use rand::RngCore;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

/// Session keys.
const AGENT_KEY: &str = "agent";
const CSRF_KEY: &str = "csrf";
const SEEN_KEY: &str = "seen";
const FLASH_KEY: &str = "flash";
const REFUSED_KEY: &str = "refused";
/// How often a working agent's session is written back, pushing its idle
/// deadline on.
const REFRESH_SECONDS: i64 = 60;
/// Largest form the desk accepts.
const FORM_LIMIT: usize = 64 * 1024;

/// The signed-in agent, re-read from the database on every request: a
/// deactivated agent or a changed role takes effect at once.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub id: AgentId,
    pub name: String,
    pub role: Role,
    /// This session's CSRF token, for the forms a page renders.
    pub csrf: String,
    /// The language the agent's pages speak.
    pub lang: Lang,
    /// The one time zone desk pages show times in: the business calendar's.
    pub zone: Tz,
}

impl Viewer {
    pub fn may(&self, role: Role) -> bool {
        self.role >= role
    }

    /// Refuses unless the viewer's role is at least `role`.
    pub fn require(&self, role: Role) -> Result<(), DeskError> {
        if self.may(role) {
            Ok(())
        } else {
            Err(DeskError::Forbidden)
        }
    }
}

/// A random token, hex.
pub fn random_token() -> String {
    let mut bytes = [0_u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Starts a fresh session for `agent`: a new key (the old one, if any, is
/// dropped) and a new CSRF token.
pub fn start_session(session: &Session, agent: AgentId) -> Result<(), DeskError> {
    session.renew();
    session.clear();
    session
        .insert(AGENT_KEY, agent.0)
        .and_then(|_| session.insert(CSRF_KEY, random_token()))
        .and_then(|_| session.insert(SEEN_KEY, Utc::now().timestamp()))
        .map_err(DeskError::internal)
}

/// The agent a session names, if any (no database look-up).
fn session_agent(session: &Session) -> Option<AgentId> {
    session.get::<i64>(AGENT_KEY).ok().flatten().map(AgentId)
}

fn path_and_query(request: &HttpRequest) -> String {
    request
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_owned())
        .unwrap_or_else(|| "/agent".to_owned())
}

impl FromRequest for Viewer {
    type Error = DeskError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = request.get_session();
        let state = request.app_data::<web::Data<AppState>>().cloned();
        let fallback_lang = request_lang(request);
        let request = request.clone();
        let next = if request.method() == actix_web::http::Method::GET {
            path_and_query(&request)
        } else {
            "/agent".to_owned()
        };
        Box::pin(async move {
            let sign_in = || DeskError::SignInRequired { next: next.clone() };
            let state = state.ok_or_else(|| DeskError::internal("no application state"))?;
            let agent_id = session_agent(&session).ok_or_else(sign_in)?;
            let csrf: String = session.get(CSRF_KEY).ok().flatten().ok_or_else(sign_in)?;
            let (agent, zone): (Option<Agent>, Tz) = state
                .db
                .run(move |conn| {
                    let agent = crate::agents::find(conn, agent_id)?;
                    let zone = crate::tickets::sla::time_zone(conn).map_err(DeskError::internal)?;
                    Ok::<_, DeskError>((agent, zone))
                })
                .await?;
            let Some(agent) = agent.filter(|agent| agent.active) else {
                session.purge();
                return Err(sign_in());
            };
            let now = Utc::now().timestamp();
            let seen: i64 = session.get(SEEN_KEY).ok().flatten().unwrap_or(0);
            if now - seen >= REFRESH_SECONDS {
                session.insert(SEEN_KEY, now).map_err(DeskError::internal)?;
            }
            let lang = match agent.language {
                Some(locale) => Lang::from(locale),
                None => fallback_lang,
            };
            request.extensions_mut().insert(PageLang(lang));
            Ok(Viewer {
                id: agent.id,
                name: agent.name,
                role: agent.role,
                csrf,
                lang,
                zone,
            })
        })
    }
}

macro_rules! role_extractor {
    ($(#[$doc:meta])* $name:ident, $role:expr) => {
        $(#[$doc])*
        pub struct $name(pub Viewer);

        impl FromRequest for $name {
            type Error = DeskError;
            type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

            fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
                let viewer = Viewer::from_request(request, payload);
                Box::pin(async move {
                    let viewer = viewer.await?;
                    viewer.require($role)?;
                    Ok($name(viewer))
                })
            }
        }
    };
}

role_extractor!(
    /// A signed-in supervisor or admin.
    SupervisorViewer,
    Role::Supervisor
);

role_extractor!(
    /// A signed-in admin.
    AdminViewer,
    Role::Admin
);

/// Whether the request says it comes from this site, failing closed:
/// `Origin` must name this site (the public address, or this scheme with
/// the `Host` the request was sent to); without `Origin`, `Referer` must.
/// `null`, an unparseable value, a foreign origin, or neither header is
/// refused. Forwarded-host headers are ignored: a client can set them.
pub fn same_origin(request: &HttpRequest, state: &AppState) -> bool {
    let headers = request.headers();
    let claimed = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|value| value.to_str().ok())
        .and_then(|text| url::Url::parse(text).ok())
        .map(|url| url.origin())
        .filter(url::Origin::is_tuple);
    let Some(claimed) = claimed else {
        return false;
    };
    let base = &state.settings.base_url;
    if claimed == base.origin() {
        return true;
    }
    headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .and_then(|host| url::Url::parse(&format!("{}://{host}", base.scheme())).ok())
        .is_some_and(|own| own.origin() == claimed)
}

/// Compares two tokens in constant time.
pub fn tokens_match(given: &str, expected: &str) -> bool {
    !expected.is_empty() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

/// A posted form whose `csrf_token` matches the session's token and whose
/// origin is this site; anything else is a 403 before the handler runs.
pub struct CsrfForm<T>(pub T);

#[derive(serde::Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf_token: String,
}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = DeskError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = request.get_session();
        let origin_ok = request
            .app_data::<web::Data<AppState>>()
            .is_some_and(|state| same_origin(request, state));
        let body = web::Bytes::from_request(request, payload);
        let request = request.clone();
        Box::pin(async move {
            // Worded once the agent is known (their extractor runs first).
            let unreadable = || {
                DeskError::BadRequest(crate::i18n::text(
                    request_lang(&request),
                    "error-form-unreadable",
                ))
            };
            let body = body.await.map_err(|_| unreadable())?;
            if body.len() > FORM_LIMIT {
                return Err(unreadable());
            }
            let expected: String = session.get(CSRF_KEY).ok().flatten().unwrap_or_default();
            let given = serde_urlencoded::from_bytes::<CsrfField>(&body)
                .map(|field| field.csrf_token)
                .unwrap_or_default();
            if !origin_ok || !tokens_match(&given, &expected) {
                return Err(DeskError::Csrf);
            }
            serde_urlencoded::from_bytes::<T>(&body)
                .map(CsrfForm)
                .map_err(|_| unreadable())
        })
    }
}

/// The address a request came from, for login throttling: the peer's,
/// unless the peer is a trusted proxy (`REDRESS_TRUSTED_PROXIES`): then the
/// nearest address in `X-Forwarded-For` that is not itself a trusted proxy.
/// Anyone else's forwarded headers are ignored, so a client cannot pose as
/// many addresses.
pub fn client_address(request: &HttpRequest, trusted: &[ipnet::IpNet]) -> String {
    // An IPv4 peer of a server listening on [::] arrives IPv4-mapped.
    let Some(peer) = request
        .peer_addr()
        .map(|address| address.ip().to_canonical())
    else {
        return "unknown".to_owned();
    };
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer.to_string();
    }
    // Each proxy appends the address it saw: read from the right, past our
    // own proxies. What lies further left was written by the client.
    let entries: Vec<String> = request
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|part| part.trim().to_owned())
        .collect();
    let mut client = peer;
    for entry in entries.iter().rev() {
        match entry.parse::<std::net::IpAddr>() {
            Ok(ip) => {
                client = ip.to_canonical();
                if !is_trusted(&client) {
                    break;
                }
            }
            // A trusted proxy would not write this: keep the last sure hop.
            Err(_) => break,
        }
    }
    client.to_string()
}

/// Keeps a notice for the next page this agent sees (after a redirect).
/// Notices are the server's own words, never text from a request.
pub fn flash(session: &Session, notice: impl Into<String>) -> Result<(), DeskError> {
    session
        .insert(FLASH_KEY, notice.into())
        .map_err(DeskError::internal)
}

/// The notice kept for this page, if any; shown once.
pub fn take_flash(session: &Session) -> Option<String> {
    let notice = session.get::<String>(FLASH_KEY).ok().flatten()?;
    session.remove(FLASH_KEY);
    Some(notice)
}

/// A refused form: why, and what the agent typed, kept in the session for
/// the page the browser is sent back to (post/redirect/get, so a reload
/// never sends the form again).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct RefusedForm {
    pub error: String,
    pub input: std::collections::BTreeMap<String, String>,
    /// The page it belongs to: another tab's page never shows it.
    #[serde(default)]
    pub path: String,
}

impl RefusedForm {
    pub fn new(error: String, input: &[(&str, &str)]) -> RefusedForm {
        RefusedForm {
            error,
            input: input
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect(),
            path: String::new(),
        }
    }

    /// What was typed in `field`; empty when nothing was.
    pub fn value(&self, field: &str) -> String {
        self.input.get(field).cloned().unwrap_or_default()
    }
}

/// Keeps a refused form for the next page this agent sees.
pub fn keep_refused(session: &Session, refused: &RefusedForm) -> Result<(), DeskError> {
    session
        .insert(REFUSED_KEY, refused)
        .map_err(DeskError::internal)
}

/// The refused form kept for the page at `path`, if any; shown once.
/// One kept for another page stays for that page.
pub fn take_refused(session: &Session, path: &str) -> Option<RefusedForm> {
    let refused = session.get::<RefusedForm>(REFUSED_KEY).ok().flatten()?;
    if refused.path != path {
        return None;
    }
    session.remove(REFUSED_KEY);
    Some(refused)
}
