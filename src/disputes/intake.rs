//! Filing a dispute: the form's fields checked by the parsers the desk and
//! the API use, then one transaction that finds or creates the customer,
//! opens the ticket (or adds to the open one about the same transaction),
//! stores the evidence's rows, issues the tracking token and queues the
//! "dispute received" mail.

use super::tracking;
use crate::db::models::{Customer, Transaction};
use crate::db::schema::{customers, tickets};
use crate::db::{DbConnection, DbError, write_transaction};
use crate::domain::text::{self, TextError};
use crate::domain::*;
use crate::evidence::{RefusedFile, StoredFile};
use crate::i18n::{self, Lang, Message};
use crate::mail::{letters, outbox};
use crate::platform::customers as platform_customers;
use crate::tickets::service::{self, CustomerMessage, CustomerTicket, TicketError};
use crate::tickets::sla::SlaSettings;
use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use std::str::FromStr;

/// Longest description accepted.
pub const MAX_DESCRIPTION_CHARS: usize = 5_000;
/// Disputes one address may file in an hour.
pub const DISPUTES_PER_HOUR: usize = 5;
/// How far back a problem may have happened.
const OLDEST_DAYS: i64 = 3 * 366;

/// The form as posted: every field as text.
#[derive(Debug, Clone, Default)]
pub struct DisputeForm {
    pub category: String,
    pub email: String,
    pub name: String,
    pub reference: String,
    pub amount: String,
    pub currency: String,
    pub date: String,
    pub description: String,
    pub consent: bool,
}

/// A dispute whose every field passed its parser.
#[derive(Debug, Clone)]
pub struct Dispute {
    pub category: TicketCategory,
    pub email: String,
    pub name: String,
    pub reference: Option<String>,
    pub amount: Option<Money>,
    pub date: NaiveDate,
    pub description: String,
}

/// What is wrong with which field (the form's field names).
pub type FieldErrors = Vec<(&'static str, Message)>;

impl Dispute {
    /// Checks every field, collecting every problem, not just the first.
    pub fn parse(form: &DisputeForm, today: NaiveDate) -> Result<Dispute, FieldErrors> {
        let mut errors: FieldErrors = Vec::new();
        let mut field = |name: &'static str, problem: Message| errors.push((name, problem));
        let category = TicketCategory::from_str(form.category.trim())
            .map_err(|_| field("category", Message::new("dispute-error-category")))
            .ok();
        let email = text::email(&form.email)
            .map_err(|e| field("email", e.message()))
            .ok();
        let name = text::person_name(&form.name)
            .map_err(|e| field("name", e.message()))
            .ok();
        let reference = text::optional_reference(Some(&form.reference))
            .map_err(|e| field("reference", e.message()))
            .ok()
            .flatten();
        let amount = match (form.amount.trim(), form.currency.trim()) {
            ("", _) => Some(None),
            (_, "") => {
                field("currency", Message::new("dispute-error-currency"));
                None
            }
            (amount, currency) => match parse_currency(currency) {
                Err(e) => {
                    field("currency", e.message());
                    None
                }
                Ok(currency) => Money::parse(amount, currency)
                    .map_err(|e| field("amount", e.message()))
                    .ok()
                    .map(Some),
            },
        };
        let date = match crate::tickets::sla::parse_date(&form.date) {
            Err(_) if form.date.trim().is_empty() => {
                field("date", TextError::Empty.message());
                None
            }
            Err(_) => {
                field("date", Message::new("dispute-error-date"));
                None
            }
            Ok(date) if date > today => {
                field("date", Message::new("dispute-error-date-future"));
                None
            }
            Ok(date) if date < today - Duration::days(OLDEST_DAYS) => {
                field("date", Message::new("dispute-error-date-old"));
                None
            }
            Ok(date) => Some(date),
        };
        let description = text::multi_line(&form.description, MAX_DESCRIPTION_CHARS)
            .map_err(|e| field("description", e.message()))
            .ok();
        if !form.consent {
            field("consent", Message::new("dispute-error-consent"));
        }
        match (category, email, name, amount, date, description) {
            (
                Some(category),
                Some(email),
                Some(name),
                Some(amount),
                Some(date),
                Some(description),
            ) if errors.is_empty() => Ok(Dispute {
                category,
                email,
                name,
                reference,
                amount,
                date,
                description,
            }),
            _ => Err(errors),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DisputeError {
    /// The reference is unknown or not this e-mail's: the same answer for
    /// both, so nobody learns whose a reference is.
    #[error("no transaction with this reference belongs to this e-mail address")]
    Reference,
    #[error(transparent)]
    Ticket(#[from] TicketError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl crate::db::WriteFailure for DisputeError {
    fn database_error(&self) -> Option<&DbError> {
        match self {
            DisputeError::Db(error) | DisputeError::Ticket(TicketError::Db(error)) => Some(error),
            _ => None,
        }
    }
}

impl From<diesel::result::Error> for DisputeError {
    fn from(error: diesel::result::Error) -> Self {
        DisputeError::Db(DbError::Query(error))
    }
}

/// A filed dispute: its ticket, the tracking token (shown once, stored
/// hashed), and whether it joined a ticket already open.
#[derive(Debug, Clone)]
pub struct Filed {
    pub ticket: TicketId,
    pub token: String,
    pub merged: bool,
}

/// What is filed and how the user reads.
#[derive(Debug, Clone)]
pub struct Filing<'a> {
    pub dispute: &'a Dispute,
    pub files: &'a [StoredFile],
    pub refused: &'a [RefusedFile],
    pub lang: Lang,
    /// The public address tracking links start with.
    pub base_url: &'a url::Url,
}

/// Files a dispute in one transaction.
pub fn file(
    conn: &mut DbConnection,
    sla: &SlaSettings,
    filing: &Filing<'_>,
    now: NaiveDateTime,
) -> Result<Filed, DisputeError> {
    let dispute = filing.dispute;
    write_transaction(conn, |conn| {
        let customer = platform_customers::for_email(
            conn,
            &dispute.email,
            Some(&dispute.name),
            filing.lang.locale(),
        )?;
        hold_customer(conn, &customer)?;
        let transaction = match &dispute.reference {
            Some(reference) => Some(customers_transaction(conn, &customer, reference)?),
            None => None,
        };
        let details = serde_json::json!({
            "date": dispute.date.to_string(),
            "amount": dispute.amount.map(|m| m.to_string()),
            "reference": dispute.reference,
            "name": dispute.name,
        });
        let message = CustomerMessage {
            body: &dispute.description,
            files: filing.files,
            refused: filing.refused,
            via: Channel::WebForm,
            details: Some(&details),
        };
        let open = match &transaction {
            Some(tx) => open_ticket_about(conn, &customer, tx)?,
            None => None,
        };
        let (ticket, merged) = match open {
            Some(id) => (
                service::add_customer_message(conn, sla, id, message)?.0,
                true,
            ),
            None => {
                let subject = subject(filing.lang, dispute, transaction.as_ref());
                let amount = transaction
                    .as_ref()
                    .map(Transaction::amount)
                    .or(dispute.amount);
                let priority =
                    crate::playbooks::remedies::intake_priority(conn, dispute.category, amount)?;
                let request = CustomerTicket {
                    category: dispute.category,
                    priority,
                    subject: &subject,
                    transaction: transaction.as_ref(),
                    amount: dispute.amount,
                };
                (
                    service::open_for_customer(conn, sla, &customer, request, message)?.0,
                    false,
                )
            }
        };
        let token = tracking::issue(conn, ticket.id, now)?;
        let link = tracking::link(filing.base_url, &token);
        let mail = letters::dispute_received(&customer, &ticket, &link, sla)
            .map_err(|e| TicketError::Mail(e.to_string()))?;
        outbox::enqueue(conn, mail)?;
        Ok(Filed {
            ticket: ticket.id,
            token,
            merged,
        })
    })
}

/// Counts a filing against its address, in a transaction of its own, before
/// the filing is tried: a refused reference counts too, so nobody can try
/// e-mail and reference pairs without limit. Answers the minutes to wait
/// when the address has had its filings this hour.
pub fn count_filing(
    conn: &mut DbConnection,
    client: &str,
    now: NaiveDateTime,
) -> Result<Result<(), i64>, DbError> {
    write_transaction(conn, |conn| {
        crate::throttle::count(
            conn,
            &crate::throttle::address_key("dispute", client),
            DISPUTES_PER_HOUR,
            Duration::hours(1),
            now,
        )
    })
}

/// Holds the customer's row until commit on PostgreSQL, so two disputes
/// of one customer at once are filed one after the other (and the second
/// finds the first's ticket). SQLite's writer already runs them in turn.
fn hold_customer(conn: &mut DbConnection, customer: &Customer) -> Result<(), DbError> {
    if conn.backend() == crate::db::Backend::Postgres {
        diesel::update(customers::table.find(customer.id))
            .set(customers::updated_at.eq(customers::updated_at))
            .execute(conn)?;
    }
    Ok(())
}

/// The transaction `reference` names, when it is the customer's.
fn customers_transaction(
    conn: &mut DbConnection,
    customer: &Customer,
    reference: &str,
) -> Result<Transaction, DisputeError> {
    match Transaction::by_reference(conn, reference)? {
        Some(tx)
            if tx.customer_id == customer.id
                || tx.counterparty_customer_id == Some(customer.id) =>
        {
            Ok(tx)
        }
        _ => Err(DisputeError::Reference),
    }
}

/// The customer's ticket about `tx` that is still being worked on.
fn open_ticket_about(
    conn: &mut DbConnection,
    customer: &Customer,
    tx: &Transaction,
) -> Result<Option<TicketId>, DbError> {
    Ok(tickets::table
        .filter(tickets::transaction_id.eq(tx.id))
        .filter(tickets::customer_id.eq(customer.id))
        .filter(tickets::status.eq_any([
            TicketStatus::New,
            TicketStatus::Open,
            TicketStatus::Pending,
            TicketStatus::OnHold,
        ]))
        .order(tickets::id.desc())
        .select(tickets::id)
        .first(conn)
        .optional()?)
}

/// "Refund not received · TX123 · 120.00 USDT", in the user's language.
fn subject(lang: Lang, dispute: &Dispute, transaction: Option<&Transaction>) -> String {
    let mut parts = vec![i18n::word(lang, dispute.category)];
    parts.extend(transaction.map(|tx| tx.reference.clone()));
    parts.extend(
        transaction
            .map(Transaction::amount)
            .or(dispute.amount)
            .map(|m| m.to_string()),
    );
    parts.join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> DisputeForm {
        DisputeForm {
            category: "refund_not_received".into(),
            email: " Wang@Example.com ".into(),
            name: "王芳".into(),
            reference: "TX1".into(),
            amount: "120.50".into(),
            currency: "usdt".into(),
            date: "2026-12-01".into(),
            description: "退款还没到".into(),
            consent: true,
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 3).unwrap_or_default()
    }

    #[test]
    fn a_good_form_parses() {
        let dispute = Dispute::parse(&form(), today()).map_err(|e| format!("{e:?}"));
        let dispute = dispute
            .as_ref()
            .map(|d| (d.email.as_str(), d.amount.map(|m| m.to_string())));
        assert_eq!(
            dispute,
            Ok(("wang@example.com", Some("120.500000 USDT".to_owned())))
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let bad = DisputeForm {
            category: "nope".into(),
            email: "not-an-email".into(),
            name: "".into(),
            reference: "TX 1/2".into(),
            amount: "-5".into(),
            currency: "EUR".into(),
            date: "2027-01-01".into(),
            description: "  ".into(),
            consent: false,
        };
        let fields: Vec<&str> = Dispute::parse(&bad, today())
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|(field, _)| field)
            .collect();
        assert_eq!(
            fields,
            [
                "category",
                "email",
                "name",
                "reference",
                "currency",
                "date",
                "description",
                "consent"
            ]
        );
        let amount = DisputeForm {
            amount: "-5".into(),
            ..form()
        };
        let fields: Vec<&str> = Dispute::parse(&amount, today())
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|(field, _)| field)
            .collect();
        assert_eq!(fields, ["amount"]);
    }
}
