//! The outbox: queued e-mails, each with a stable Message-ID.

use crate::db::schema::outbox_emails;
use crate::db::{DbConnection, DbError};
use crate::domain::{CustomerId, Locale, TicketId};
use chrono::{NaiveDateTime, SubsecRound, Utc};
use diesel::prelude::*;
use rand::RngCore;

/// A mail ready to queue.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    pub to: String,
    pub locale: Locale,
    /// Which template made it, e.g. `agent_reply`.
    pub template: &'static str,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub ticket: Option<TicketId>,
    pub customer: Option<CustomerId>,
}

/// Header text with no line breaks: user text never starts a new header.
pub fn header_safe(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The right-hand side of every Message-ID: the left is 128 random bits,
/// so one fixed name keeps them unique and lets replies be matched.
pub const MESSAGE_ID_DOMAIN: &str = "redress.local";

/// Queues a mail in the caller's transaction; answers its Message-ID.
pub fn enqueue(conn: &mut DbConnection, mail: OutgoingMail) -> Result<String, DbError> {
    let mut bytes = [0_u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let message_id = format!("<{}@{MESSAGE_ID_DOMAIN}>", hex::encode(bytes));
    let now: NaiveDateTime = Utc::now().naive_utc().trunc_subsecs(6);
    diesel::insert_into(outbox_emails::table)
        .values((
            outbox_emails::message_id.eq(&message_id),
            outbox_emails::to_address.eq(header_safe(&mail.to)),
            outbox_emails::locale.eq(mail.locale.as_str()),
            outbox_emails::template.eq(mail.template),
            outbox_emails::subject.eq(header_safe(&mail.subject)),
            outbox_emails::body_text.eq(&mail.body_text),
            outbox_emails::body_html.eq(&mail.body_html),
            outbox_emails::ticket_id.eq(mail.ticket),
            outbox_emails::customer_id.eq(mail.customer),
            outbox_emails::status.eq("queued"),
            outbox_emails::attempts.eq(0_i64),
            outbox_emails::next_attempt_at.eq(now),
            outbox_emails::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(message_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_text_loses_its_line_breaks() {
        assert_eq!(
            header_safe("Refund\r\nBcc: victim@example.com"),
            "Refund Bcc: victim@example.com"
        );
    }
}
