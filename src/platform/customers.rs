//! Customers as the platform sends them: created or updated by their
//! external reference.

use crate::agents::normalize_email;
use crate::audit::{self, AuditEntry};
use crate::db::models::Customer;
use crate::db::schema::customers;
use crate::db::{DbConnection, DbError, write_transaction};
use crate::domain::{AuditActor, CustomerId, CustomerStatus, Locale};
use chrono::Utc;
use diesel::prelude::*;
use serde::Deserialize;
use std::str::FromStr;

/// A customer record as the platform sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerRecord {
    pub email: String,
    pub name: String,
    #[serde(default)]
    pub phone: Option<String>,
    pub locale: String,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// A field the record got wrong, named.
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("email: {0} belongs to another customer")]
    EmailTaken(String),
    /// The ledger refused the money movement (funds, a frozen wallet...).
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for IngestError {
    fn from(error: diesel::result::Error) -> Self {
        IngestError::Db(DbError::Query(error))
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> IngestError {
    IngestError::Invalid {
        field,
        reason: reason.into(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Created(CustomerId),
    Updated(CustomerId),
}

/// Creates the customer with this external reference, or updates its
/// e-mail, name, phone and locale. Status is changed separately.
pub fn upsert_customer(
    conn: &mut DbConnection,
    external_ref: &str,
    record: CustomerRecord,
) -> Result<Upserted, IngestError> {
    let external_ref = external_ref.trim();
    if external_ref.is_empty() || external_ref.len() > 64 {
        return Err(invalid("external_ref", "must be 1 to 64 characters"));
    }
    let email = normalize_email(&record.email).map_err(|e| invalid("email", e.to_string()))?;
    let name = record.name.trim().to_owned();
    if name.is_empty() {
        return Err(invalid("name", "must not be empty"));
    }
    let locale = Locale::from_str(record.locale.trim())
        .map_err(|_| invalid("locale", "must be zh-CN or en"))?;
    let phone = record
        .phone
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty());
    let now = Utc::now().naive_utc();
    let result = write_transaction(conn, |conn| {
        let existing: Option<Customer> = customers::table
            .filter(customers::external_ref.eq(external_ref))
            .select(Customer::as_select())
            .first(conn)
            .optional()?;
        let (upserted, before) = match existing {
            Some(customer) => {
                diesel::update(customers::table.find(customer.id))
                    .set((
                        customers::email.eq(&email),
                        customers::name.eq(&name),
                        customers::phone.eq(&phone),
                        customers::locale.eq(locale),
                        customers::updated_at.eq(now),
                    ))
                    .execute(conn)?;
                let before = serde_json::json!({ "email": customer.email, "name": customer.name, "locale": customer.locale.as_str() });
                (Upserted::Updated(customer.id), Some(before))
            }
            None => {
                let id: CustomerId = diesel::insert_into(customers::table)
                    .values((
                        customers::external_ref.eq(external_ref),
                        customers::email.eq(&email),
                        customers::name.eq(&name),
                        customers::phone.eq(&phone),
                        customers::locale.eq(locale),
                        customers::status.eq(CustomerStatus::Active),
                        customers::identity_verified.eq(false),
                        customers::created_at.eq(now),
                        customers::updated_at.eq(now),
                    ))
                    .returning(customers::id)
                    .get_result(conn)?;
                (Upserted::Created(id), None)
            }
        };
        let id = match upserted {
            Upserted::Created(id) | Upserted::Updated(id) => id,
        };
        audit::record(
            conn,
            AuditEntry {
                actor: AuditActor::Api,
                agent: None,
                action: "customer.upsert".to_owned(),
                entity_type: "customer".to_owned(),
                entity_id: id.to_string(),
                ticket: None,
                before,
                after: Some(
                    serde_json::json!({ "email": email, "name": name, "locale": locale.as_str() }),
                ),
            },
        )?;
        Ok::<Upserted, IngestError>(upserted)
    });
    match result {
        Err(IngestError::Db(DbError::Query(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )))) => Err(IngestError::EmailTaken(email)),
        other => other,
    }
}

/// A status change as the platform reports it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusRecord {
    pub status: String,
    #[serde(default)]
    pub reason: Option<String>,
}

/// Sets a customer's status as the platform says it is: `frozen` needs a
/// freeze reason, `locked` means failed logins, `active` clears the reason.
pub fn set_status(
    conn: &mut DbConnection,
    external_ref: &str,
    record: StatusRecord,
) -> Result<CustomerStatus, IngestError> {
    use crate::domain::StatusReason;
    let status = CustomerStatus::from_str(record.status.trim())
        .map_err(|_| invalid("status", "must be active, frozen or locked"))?;
    let reason = record
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let reason = match (status, reason) {
        (CustomerStatus::Active, None) => None,
        (CustomerStatus::Active, Some(_)) => return Err(invalid("reason", "an active account has no reason")),
        (CustomerStatus::Locked, None | Some("failed_logins")) => Some(StatusReason::FailedLogins),
        (CustomerStatus::Locked, Some(_)) => return Err(invalid("reason", "a lock's reason is failed_logins")),
        (CustomerStatus::Frozen, None) => return Err(invalid("reason", "a freeze needs a reason")),
        (CustomerStatus::Frozen, Some(text)) => Some(
            StatusReason::from_str(text)
                .ok()
                .filter(|r| *r != StatusReason::FailedLogins)
                .ok_or_else(|| {
                    invalid("reason", "must be risk_rule, many_cancellations, unverified_identity, user_request or suspicious_login")
                })?,
        ),
    };
    write_transaction(conn, |conn| {
        let customer: Customer = customers::table
            .filter(customers::external_ref.eq(external_ref.trim()))
            .select(Customer::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| {
                invalid(
                    "customer",
                    format!("no customer has the reference '{}'", external_ref.trim()),
                )
            })?;
        let now = Utc::now().naive_utc();
        diesel::update(customers::table.find(customer.id))
            .set((
                customers::status.eq(status),
                customers::status_reason.eq(reason),
                customers::status_changed_at.eq(now),
                customers::updated_at.eq(now),
            ))
            .execute(conn)?;
        let describe = |status: CustomerStatus, reason: Option<StatusReason>| serde_json::json!({ "status": status.as_str(), "reason": reason.map(StatusReason::as_str) });
        audit::record(
            conn,
            AuditEntry {
                actor: AuditActor::Api,
                agent: None,
                action: "customer.status".to_owned(),
                entity_type: "customer".to_owned(),
                entity_id: customer.id.to_string(),
                ticket: None,
                before: Some(describe(customer.status, customer.status_reason)),
                after: Some(describe(status, reason)),
            },
        )?;
        Ok(status)
    })
}
