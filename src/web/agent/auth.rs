//! Who is asking: the signed-in agent behind a request, their role, and
//! the CSRF check every state-changing form passes.

use crate::db::models::Agent;
use crate::db::schema::agents;
use crate::domain::{AgentId, Role};
use crate::web::AppState;
use crate::web::errors::DeskError;
use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use chrono::Utc;
use diesel::prelude::*;
use futures_util::future::LocalBoxFuture;
use rand::RngCore;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

/// Session keys.
const AGENT_KEY: &str = "agent";
const CSRF_KEY: &str = "csrf";
const SEEN_KEY: &str = "seen";
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
        let next = if request.method() == actix_web::http::Method::GET {
            path_and_query(request)
        } else {
            "/agent".to_owned()
        };
        Box::pin(async move {
            let sign_in = || DeskError::SignInRequired { next: next.clone() };
            let state = state.ok_or_else(|| DeskError::internal("no application state"))?;
            let agent_id = session_agent(&session).ok_or_else(sign_in)?;
            let csrf: String = session.get(CSRF_KEY).ok().flatten().ok_or_else(sign_in)?;
            let agent: Option<Agent> = state
                .db
                .run(move |conn| {
                    Ok::<_, DeskError>(
                        agents::table
                            .find(agent_id)
                            .select(Agent::as_select())
                            .first(conn)
                            .optional()?,
                    )
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
            Ok(Viewer {
                id: agent.id,
                name: agent.name,
                role: agent.role,
                csrf,
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
    /// A signed-in admin.
    AdminViewer,
    Role::Admin
);

/// Whether the request says it comes from this site. Browsers send
/// `Origin` on form posts; when it is missing, `Referer` is checked; a
/// request with neither passes on its token alone.
pub fn same_origin(request: &HttpRequest, state: &AppState) -> bool {
    let claimed = request
        .headers()
        .get(header::ORIGIN)
        .or_else(|| request.headers().get(header::REFERER))
        .and_then(|value| value.to_str().ok())
        .and_then(|text| url::Url::parse(text).ok());
    let Some(claimed) = claimed else {
        return true;
    };
    let claimed = claimed.origin();
    if claimed == state.settings.base_url.origin() {
        return true;
    }
    let info = request.connection_info();
    url::Url::parse(&format!("{}://{}", info.scheme(), info.host()))
        .is_ok_and(|own| own.origin() == claimed)
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
        Box::pin(async move {
            let body = body
                .await
                .map_err(|e| DeskError::BadRequest(format!("the form could not be read: {e}")))?;
            if body.len() > FORM_LIMIT {
                return Err(DeskError::BadRequest("the form is too large".into()));
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
                .map_err(|e| DeskError::BadRequest(format!("the form is incomplete: {e}")))
        })
    }
}

/// The address a request came from, for login throttling: the peer's.
/// Forwarded headers are not trusted, so a client cannot pose as many
/// addresses; behind a proxy every try counts against the proxy's address
/// as well as the account.
pub fn client_address(request: &HttpRequest) -> String {
    request
        .peer_addr()
        .map(|address| address.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}
