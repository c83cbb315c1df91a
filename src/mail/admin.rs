//! What admins see of the outbox, and the retry of a failed mail.

use crate::audit::{self, AuditEntry};
use crate::db::schema::outbox_emails;
use crate::db::{DbConnection, DbError, write_transaction};
use crate::domain::{AgentId, AuditActor, TicketId};
use crate::tickets::view::{COUNT_CAP, Total};
use chrono::{NaiveDateTime, SubsecRound, Utc};
use diesel::prelude::*;

/// Failed mails listed at most.
pub const FAILED_ROWS: i64 = 50;

/// A mail that was given up on.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox_emails)]
pub struct FailedMail {
    pub id: i64,
    pub to_address: String,
    pub subject: String,
    pub template: String,
    pub ticket_id: Option<TicketId>,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub next_attempt_at: NaiveDateTime,
}

/// The outbox in brief: counts per status (each stopped at `COUNT_CAP`,
/// read from the status index) and the newest failed mails.
#[derive(Debug, Clone)]
pub struct MailSummary {
    pub queued: Total,
    pub sent: Total,
    pub failed: Total,
    pub failed_rows: Vec<FailedMail>,
}

fn count(conn: &mut DbConnection, status: &str) -> Result<Total, DbError> {
    let found = outbox_emails::table
        .filter(outbox_emails::status.eq(status))
        .select(outbox_emails::id)
        .limit(COUNT_CAP + 1)
        .load::<i64>(conn)?
        .len();
    Ok(Total::of(found))
}

pub fn summary(conn: &mut DbConnection) -> Result<MailSummary, DbError> {
    Ok(MailSummary {
        queued: count(conn, "queued")?,
        sent: count(conn, "sent")?,
        failed: count(conn, "failed")?,
        failed_rows: outbox_emails::table
            .filter(outbox_emails::status.eq("failed"))
            .order((
                outbox_emails::next_attempt_at.desc(),
                outbox_emails::id.desc(),
            ))
            .limit(FAILED_ROWS)
            .select(FailedMail::as_select())
            .load(conn)?,
    })
}

/// Queues a failed mail again with fresh tries, audited. False when it
/// is not failed (any more): someone else retried it meanwhile.
pub fn retry(conn: &mut DbConnection, id: i64, by: AgentId) -> Result<bool, DbError> {
    write_transaction(conn, |conn| {
        let now = Utc::now().naive_utc().trunc_subsecs(6);
        let ticket: Option<Option<TicketId>> = outbox_emails::table
            .filter(outbox_emails::id.eq(id))
            .filter(outbox_emails::status.eq("failed"))
            .select(outbox_emails::ticket_id)
            .first(conn)
            .optional()?;
        let Some(ticket) = ticket else {
            return Ok(false);
        };
        let changed = diesel::update(
            outbox_emails::table
                .filter(outbox_emails::id.eq(id))
                .filter(outbox_emails::status.eq("failed")),
        )
        .set((
            outbox_emails::status.eq("queued"),
            outbox_emails::attempts.eq(0_i64),
            outbox_emails::next_attempt_at.eq(now),
        ))
        .execute(conn)?;
        if changed != 1 {
            return Ok(false);
        }
        audit::record(
            conn,
            AuditEntry {
                actor: AuditActor::Agent,
                agent: Some(by),
                action: "mail.retry".to_owned(),
                entity_type: "mail".to_owned(),
                entity_id: id.to_string(),
                ticket,
                before: Some(serde_json::json!({ "status": "failed" })),
                after: Some(serde_json::json!({ "status": "queued" })),
            },
        )?;
        Ok(true)
    })
}
