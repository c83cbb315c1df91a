//! The platform API under `/api/v1`, for the wallet platform only: every
//! request carries a bearer token. Errors are JSON `{"error": "..."}` with
//! a 4xx that says what was wrong.

use super::AppState;
use crate::db::DbError;
use crate::mail::inbound::{self, InboundError};
use crate::platform::customers::{
    CustomerRecord, IngestError, StatusRecord, Upserted, set_status, upsert_customer,
};
use crate::platform::tokens::{TokenCheck, check_token};
use crate::platform::transactions::{
    Recorded, StatusChanged, TransactionRecord, TransactionStatusRecord, record_transaction,
    update_transaction_status,
};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use futures_util::future::LocalBoxFuture;
use serde_json::json;

pub fn routes(config: &mut web::ServiceConfig) {
    config.service(
        web::scope("/api/v1")
            .app_data(
                web::JsonConfig::default()
                    .limit(256 * 1024)
                    .error_handler(|error, _| {
                        ApiError::new(
                            StatusCode::BAD_REQUEST,
                            format!("the body is not valid JSON for this request: {error}"),
                        )
                        .into()
                    }),
            )
            .route("/customers/{external_ref}", web::put().to(put_customer))
            .route(
                "/customers/{external_ref}/status",
                web::post().to(post_status),
            )
            .route("/transactions", web::post().to(post_transaction))
            .service(
                web::resource("/inbound-mail")
                    .app_data(web::PayloadConfig::new(inbound::MAX_MESSAGE_BYTES))
                    .route(web::post().to(post_inbound_mail)),
            )
            .route(
                "/transactions/{reference}/status",
                web::post().to(post_transaction_status),
            ),
    );
}

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header(("Retry-After", "1"));
        }
        response.json(json!({ "error": self.message }))
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        if error.is_unavailable() {
            tracing::warn!(%error, "platform API request refused: cannot write now");
            return ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("{error}; nothing was recorded, send it again"),
            );
        }
        tracing::error!(%error, "platform API request failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the request could not be completed",
        )
    }
}

impl From<IngestError> for ApiError {
    fn from(error: IngestError) -> Self {
        match error {
            IngestError::Invalid { .. } | IngestError::Refused(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, error.to_string())
            }
            IngestError::EmailTaken(_) | IngestError::Conflict(_) => {
                ApiError::new(StatusCode::CONFLICT, error.to_string())
            }
            IngestError::Db(db) => db.into(),
        }
    }
}

impl From<InboundError> for ApiError {
    fn from(error: InboundError) -> Self {
        match error {
            error if error.is_senders() => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, error.to_string())
            }
            InboundError::Db(db)
            | InboundError::Ticket(crate::tickets::service::TicketError::Db(db)) => db.into(),
            error => {
                tracing::error!(%error, "an inbound mail could not be taken");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the message could not be taken; nothing was recorded, send it again",
                )
            }
        }
    }
}

/// A request that presented a valid, unrevoked platform token.
pub struct PlatformClient;

impl FromRequest for PlatformClient {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = request.app_data::<web::Data<AppState>>().cloned();
        let token = request
            .headers()
            .get("Authorization")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::to_owned);
        Box::pin(async move {
            let unauthorized =
                || ApiError::new(StatusCode::UNAUTHORIZED, "a valid bearer token is required");
            let token = token.ok_or_else(unauthorized)?;
            let state = state.ok_or_else(|| {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "no application state")
            })?;
            match state.db.run(move |conn| check_token(conn, &token)).await? {
                TokenCheck::Valid { .. } => Ok(PlatformClient),
                TokenCheck::Revoked => Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "this token has been revoked",
                )),
                TokenCheck::Unknown => Err(unauthorized()),
            }
        })
    }
}

async fn put_customer(
    _client: PlatformClient,
    state: web::Data<AppState>,
    external_ref: web::Path<String>,
    record: web::Json<CustomerRecord>,
) -> Result<HttpResponse, ApiError> {
    let external_ref = external_ref.into_inner();
    let record = record.into_inner();
    let reference = external_ref.clone();
    let upserted = state
        .db
        .write(move |conn| upsert_customer(conn, &reference, &record))
        .await?;
    let (status, id) = match upserted {
        Upserted::Created(id) => (StatusCode::CREATED, id),
        Upserted::Updated(id) => (StatusCode::OK, id),
    };
    Ok(HttpResponse::build(status).json(json!({ "id": id, "external_ref": external_ref })))
}

async fn post_transaction(
    _client: PlatformClient,
    state: web::Data<AppState>,
    record: web::Json<TransactionRecord>,
) -> Result<HttpResponse, ApiError> {
    let record = record.into_inner();
    let reference = record.reference.trim().to_owned();
    let recorded = state
        .db
        .write(move |conn| record_transaction(conn, &record))
        .await?;
    let (status, id) = match recorded {
        Recorded::Created(id) => (StatusCode::CREATED, id),
        Recorded::AlreadyRecorded(id) => (StatusCode::OK, id),
    };
    Ok(HttpResponse::build(status).json(json!({ "id": id, "reference": reference })))
}

async fn post_status(
    _client: PlatformClient,
    state: web::Data<AppState>,
    external_ref: web::Path<String>,
    record: web::Json<StatusRecord>,
) -> Result<HttpResponse, ApiError> {
    let external_ref = external_ref.into_inner();
    let record = record.into_inner();
    let reference = external_ref.clone();
    let status = state
        .db
        .write(move |conn| set_status(conn, &reference, &record))
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "external_ref": external_ref, "status": status })))
}

async fn post_transaction_status(
    _client: PlatformClient,
    state: web::Data<AppState>,
    reference: web::Path<String>,
    record: web::Json<TransactionStatusRecord>,
) -> Result<HttpResponse, ApiError> {
    let reference = reference.into_inner();
    let record = record.into_inner();
    let target = reference.clone();
    let changed = state
        .db
        .write(move |conn| update_transaction_status(conn, &target, &record))
        .await?;
    Ok(HttpResponse::Ok().json(match changed {
        StatusChanged::Changed { from, to } => {
            json!({ "reference": reference, "status": to, "previous": from })
        }
        StatusChanged::Unchanged => json!({ "reference": reference, "unchanged": true }),
    }))
}

/// One raw RFC 5322 message, as a mail service's webhook forwards it.
async fn post_inbound_mail(
    _client: PlatformClient,
    state: web::Data<AppState>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let dir = crate::evidence::directory(&state.settings.data_dir);
    let receipt = inbound::receive(&state.db, &dir, &raw).await?;
    Ok(HttpResponse::Ok().json(receipt.json()))
}
