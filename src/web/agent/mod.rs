//! The agent desk under `/agent`.

use actix_web::middleware::DefaultHeaders;
use actix_web::web;
use askama::Template;
use askama_web::WebTemplate;

pub fn routes(config: &mut web::ServiceConfig) {
    config.service(
        web::scope("/agent")
            // Agent pages show customers' money: never keep them in a cache.
            .wrap(DefaultHeaders::new().add(("Cache-Control", "no-store")))
            .route("/login", web::get().to(login_page)),
    );
}

#[derive(Template, WebTemplate)]
#[template(path = "agent/login.html")]
struct LoginPage {
    title: &'static str,
}

async fn login_page() -> LoginPage {
    LoginPage { title: "Sign in" }
}
