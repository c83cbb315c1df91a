//! The HTTP side: routes, pages and the server's life cycle. Handlers parse
//! input, call a service and render; they never run SQL themselves.

mod agent;
mod api;
mod assets;
mod clock;
mod errors;
mod health;
mod language;
mod public;

use crate::config::Settings;
use crate::db::Database;
use actix_web::cookie::Key;
use actix_web::dev::Server;
use actix_web::middleware::{DefaultHeaders, ErrorHandlers, Logger, from_fn};
use actix_web::{App, HttpServer, http::StatusCode, web};
use std::net::TcpListener;

/// What every handler may reach.
pub struct AppState {
    pub db: Database,
    pub settings: Settings,
    /// Signs the public forms' tokens (derived from the shared secret).
    pub form_key: [u8; 32],
}

/// A bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
}

/// Browsers must not frame, sniff or pull in outside content.
fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "same-origin"))
}

/// The request as the log shows it: method and path, without the query
/// (it may hold what a user typed) and with tracking tokens hidden (each
/// opens someone's dispute).
fn logged_request(request: &actix_web::dev::ServiceRequest) -> String {
    format!("{} {}", request.method(), loggable_path(request.path()))
}

/// A path as logs may hold it: decoded as the router decodes it, with any
/// tracking token hidden.
pub fn loggable_path(raw: &str) -> String {
    let path = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
    match path.strip_prefix("/track/") {
        Some(rest) => match rest.split_once('/') {
            Some((_, tail)) => format!("/track/…/{tail}"),
            None => "/track/…".to_owned(),
        },
        None => path.into_owned(),
    }
}

pub fn routes(state: web::Data<AppState>, key: Key) -> impl FnOnce(&mut web::ServiceConfig) {
    move |config| {
        config
            .route("/healthz", web::get().to(health::healthz))
            .route("/static/{file}", web::get().to(assets::asset))
            .configure(agent::routes(state, key))
            .configure(api::routes)
            .configure(public::routes);
    }
}

impl Application {
    /// Binds `listener` (port 0 picks a free one) and prepares the server.
    pub fn build(
        listener: TcpListener,
        db: Database,
        settings: Settings,
    ) -> std::io::Result<Application> {
        let port = listener.local_addr()?.port();
        // Every process signs session cookies with the same key, derived
        // from the shared secret, so any of them can serve any agent.
        let secret = settings
            .load_or_create_secret()
            .map_err(std::io::Error::other)?;
        let key = Key::derive_from(secret.expose());
        let form_key = public::form_key(secret.expose());
        let state = web::Data::new(AppState {
            db,
            settings,
            form_key,
        });
        let server = HttpServer::new(move || {
            App::new()
                .wrap(
                    ErrorHandlers::new()
                        .handler(StatusCode::NOT_FOUND, errors::render_not_found)
                        .handler(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            errors::render_server_error,
                        ),
                )
                .wrap(security_headers())
                .wrap(
                    Logger::new("%{request}xi %s %Dms")
                        .custom_request_replace("request", logged_request),
                )
                .wrap(from_fn(errors::render_error_pages))
                .wrap(from_fn(errors::assign_request_id))
                .app_data(state.clone())
                .app_data(web::QueryConfig::default().error_handler(errors::unreadable_query))
                .configure(routes(state.clone(), key.clone()))
                .default_service(web::to(errors::not_found))
        })
        .listen(listener)?
        // On SIGTERM or SIGINT, stop accepting and let requests finish.
        .shutdown_timeout(30)
        .run();
        Ok(Application { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_never_holds_a_tracking_token_or_a_query() {
        let logged = |uri: &str| {
            logged_request(&actix_web::test::TestRequest::with_uri(uri).to_srv_request())
        };
        assert_eq!(logged("/track/0123abcd"), "GET /track/…");
        assert_eq!(logged("/track/0123abcd/reply"), "GET /track/…/reply");
        assert_eq!(logged("/agent/tickets?q=secret"), "GET /agent/tickets");
        assert_eq!(logged("/%74rack/0123abcd"), "GET /track/…");
    }
}
