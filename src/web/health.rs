use super::AppState;
use crate::db::{DbError, schema_version};
use actix_web::{HttpResponse, web};
use serde::Serialize;

#[derive(Serialize)]
struct Health {
    status: &'static str,
    database: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    schema: Option<String>,
}

/// 200 when the database answers with our schema, 503 when it does not:
/// a load balancer takes an instance out on the 503.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let database = state.db.backend().name();
    match state.db.run(schema_version).await {
        Ok(schema) => HttpResponse::Ok().json(Health {
            status: "ok",
            database,
            schema,
        }),
        Err(error) => {
            let error: DbError = error;
            tracing::warn!(%error, "health check failed");
            HttpResponse::ServiceUnavailable().json(Health {
                status: "unavailable",
                database,
                schema: None,
            })
        }
    }
}
