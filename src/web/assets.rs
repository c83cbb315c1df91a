//! Static files, compiled into the binary so a deployment is one file.

use actix_web::http::header::{CacheControl, CacheDirective, ContentType};
use actix_web::{HttpResponse, web};

const ASSETS: &[(&str, &str, &str)] = &[(
    "redress.css",
    "text/css; charset=utf-8",
    include_str!("../../static/redress.css"),
)];

pub async fn asset(file: web::Path<String>) -> HttpResponse {
    match ASSETS.iter().find(|(name, _, _)| *name == file.as_str()) {
        Some((_, content_type, body)) => HttpResponse::Ok()
            .insert_header(("Content-Type", *content_type))
            .insert_header(CacheControl(vec![
                CacheDirective::Public,
                CacheDirective::MaxAge(3600),
            ]))
            .body(*body),
        None => HttpResponse::NotFound()
            .content_type(ContentType::plaintext())
            .body("no such file"),
    }
}
