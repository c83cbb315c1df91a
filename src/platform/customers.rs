//! Customers as the platform sends them: created or updated by their
//! external reference.

use crate::audit::{self, AuditEntry};
use crate::db::models::Customer;
use crate::db::schema::customers;
use crate::db::{DbConnection, DbError, write_transaction};
use crate::domain::text::{self, TextError};
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
    /// The record changed meanwhile (another request moved its status
    /// first): nothing was done.
    #[error("{0}")]
    Conflict(String),
    /// The ledger refused the money movement (funds, a frozen wallet...).
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::write_failure!(IngestError);

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

/// A text parser's refusal, naming the field.
pub(crate) fn field(field: &'static str) -> impl Fn(TextError) -> IngestError {
    move |error| invalid(field, error.to_string())
}

/// The customer with this (already parsed) external reference.
pub(crate) fn customer_by_ref(
    conn: &mut DbConnection,
    field: &'static str,
    external_ref: &str,
) -> Result<Customer, IngestError> {
    Customer::by_external_ref(conn, external_ref)?.ok_or_else(|| {
        invalid(
            field,
            format!("no customer has the reference '{external_ref}'"),
        )
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Created(CustomerId),
    Updated(CustomerId),
}

/// A customer record, checked.
#[derive(Debug, Clone)]
struct CheckedCustomer {
    external_ref: String,
    email: String,
    name: String,
    phone: Option<String>,
    locale: Locale,
}

impl CheckedCustomer {
    fn parse(external_ref: &str, record: &CustomerRecord) -> Result<Self, IngestError> {
        Ok(CheckedCustomer {
            external_ref: text::reference(external_ref).map_err(field("external_ref"))?,
            email: text::email(&record.email).map_err(field("email"))?,
            name: text::person_name(&record.name).map_err(field("name"))?,
            phone: text::optional_line(record.phone.as_deref(), 40).map_err(field("phone"))?,
            locale: Locale::from_str(record.locale.trim())
                .map_err(|_| invalid("locale", "must be zh-CN or en"))?,
        })
    }
}

/// Creates the customer with this external reference, or updates its
/// e-mail, name, phone and locale. Status is changed separately. Sent
/// twice at once, one creates and the other updates: the loser of the
/// race to the unique reference runs again through the write path.
pub fn upsert_customer(
    conn: &mut DbConnection,
    external_ref: &str,
    record: &CustomerRecord,
) -> Result<Upserted, IngestError> {
    let checked = CheckedCustomer::parse(external_ref, record)?;
    write_transaction(conn, |conn| store_customer(conn, &checked))
}

fn store_customer(conn: &mut DbConnection, c: &CheckedCustomer) -> Result<Upserted, IngestError> {
    let now = Utc::now().naive_utc();
    let mut existing = Customer::by_external_ref(conn, &c.external_ref)?;
    // The e-mail's owner is read after: if the same customer was created by
    // a concurrent request in between, the owner is that customer.
    if let Some(owner) = Customer::by_email(conn, &c.email)? {
        match &existing {
            None if owner.external_ref == c.external_ref => existing = Some(owner),
            // Someone who wrote in before the platform sent them: the
            // platform's record takes over theirs, tickets and all.
            None if is_made_up(&owner.external_ref) => existing = Some(owner),
            Some(found) if found.id == owner.id => {}
            _ => return Err(IngestError::EmailTaken(c.email.clone())),
        }
    }
    let (upserted, before) = match existing {
        Some(customer) => {
            diesel::update(customers::table.find(customer.id))
                .set((
                    customers::external_ref.eq(&c.external_ref),
                    customers::email.eq(&c.email),
                    customers::name.eq(&c.name),
                    customers::phone.eq(&c.phone),
                    customers::locale.eq(c.locale),
                    customers::updated_at.eq(now),
                ))
                .execute(conn)?;
            let before = serde_json::json!({ "external_ref": customer.external_ref, "email": customer.email, "name": customer.name, "locale": customer.locale.as_str() });
            (Upserted::Updated(customer.id), Some(before))
        }
        None => {
            let id: CustomerId = diesel::insert_into(customers::table)
                .values((
                    customers::external_ref.eq(&c.external_ref),
                    customers::email.eq(&c.email),
                    customers::name.eq(&c.name),
                    customers::phone.eq(&c.phone),
                    customers::locale.eq(c.locale),
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
                serde_json::json!({ "email": c.email, "name": c.name, "locale": c.locale.as_str() }),
            ),
        },
    )?;
    Ok(upserted)
}

/// The prefix of references Redress makes up for customers the platform
/// has not sent yet.
const MADE_UP_PREFIX: &str = "RDC-";

fn is_made_up(external_ref: &str) -> bool {
    external_ref.starts_with(MADE_UP_PREFIX)
}

/// The customer with this (parsed) e-mail address, created when unknown:
/// someone who writes in or files a dispute before the platform told
/// Redress about them. The reference is made up (`RDC-` and 16 random hex
/// digits) until the platform sends its own record with this address,
/// which then takes this one over (see `store_customer`). Two at once for one new
/// address: the loser of the race to the unique address runs again.
pub fn for_email(
    conn: &mut DbConnection,
    email: &str,
    name: Option<&str>,
    locale: Locale,
) -> Result<Customer, DbError> {
    if let Some(customer) = Customer::by_email(conn, email)? {
        return Ok(customer);
    }
    let name = name
        .map(str::to_owned)
        .filter(|name| !name.trim().is_empty())
        .unwrap_or_else(|| email.split('@').next().unwrap_or(email).to_owned());
    let mut random = [0_u8; 8];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut random);
    let external_ref = format!("{MADE_UP_PREFIX}{}", hex::encode(random));
    let now = Utc::now().naive_utc();
    let id: CustomerId = diesel::insert_into(customers::table)
        .values((
            customers::external_ref.eq(&external_ref),
            customers::email.eq(email),
            customers::name.eq(&name),
            customers::locale.eq(locale),
            customers::status.eq(CustomerStatus::Active),
            customers::identity_verified.eq(false),
            customers::created_at.eq(now),
            customers::updated_at.eq(now),
        ))
        .returning(customers::id)
        .get_result(conn)?;
    audit::record(
        conn,
        AuditEntry {
            actor: AuditActor::Customer,
            agent: None,
            action: "customer.create".to_owned(),
            entity_type: "customer".to_owned(),
            entity_id: id.to_string(),
            ticket: None,
            before: None,
            after: Some(
                serde_json::json!({ "email": email, "name": name, "locale": locale.as_str() }),
            ),
        },
    )?;
    Customer::find(conn, id)?.ok_or(DbError::Query(diesel::result::Error::NotFound))
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
    record: &StatusRecord,
) -> Result<CustomerStatus, IngestError> {
    use crate::domain::StatusReason;
    let external_ref = text::reference(external_ref).map_err(field("customer"))?;
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
        let customer = customer_by_ref(conn, "customer", &external_ref)?;
        let now = Utc::now().naive_utc();
        // Conditioned on the status read: a change that raced this one
        // wins, and this one is refused rather than overwriting it.
        let changed = diesel::update(
            customers::table
                .filter(customers::id.eq(customer.id))
                .filter(customers::status.eq(customer.status)),
        )
        .set((
            customers::status.eq(status),
            customers::status_reason.eq(reason),
            customers::status_changed_at.eq(now),
            customers::updated_at.eq(now),
        ))
        .execute(conn)?;
        if changed != 1 {
            let now = customer_by_ref(conn, "customer", &external_ref)?.status;
            return Err(IngestError::Conflict(format!(
                "customer {external_ref} changed meanwhile: it is now {now}; nothing was done"
            )));
        }
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
