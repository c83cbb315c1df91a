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

/// 200 when the database answers with our schema and this instance can
/// write to it; 503 otherwise (a read-only, full or replaced database, a
/// stopped writer): a load balancer takes an instance out on the 503.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let database = state.db.backend().name();
    let checked = async {
        let schema = state.db.run(schema_version).await?;
        state.db.check_writable().await?;
        Ok::<_, DbError>(schema)
    };
    match checked.await {
        Ok(schema) => HttpResponse::Ok().json(Health {
            status: "ok",
            database,
            schema,
        }),
        Err(error) => {
            tracing::warn!(%error, "health check failed");
            HttpResponse::ServiceUnavailable()
                .insert_header(("Retry-After", "5"))
                .json(Health {
                    status: "unavailable",
                    database,
                    schema: None,
                })
        }
    }
}
