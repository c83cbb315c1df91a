//! Tracking links: a random token of 256 bits per filing, stored only as
//! its SHA-256, valid for a year. The public tracking page shows the
//! ticket's status, the diagnosis and the public conversation, never an
//! internal note.

use super::diagnosis::{self, Diagnosis};
use crate::db::models::{Ticket, TicketEvent};
use crate::db::schema::{attachments, ticket_events, tracking_tokens};
use crate::db::{DbConnection, DbError};
use crate::domain::*;
use crate::i18n::Lang;
use crate::playbooks::evaluate::Facts;
use crate::tickets::sla::BusinessCalendar;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Random bytes in a token (shown as 64 hex digits).
const TOKEN_BYTES: usize = 32;
/// How long a tracking link works.
const LIFETIME_DAYS: i64 = 365;
/// Most conversation entries the page shows.
const CONVERSATION_ROWS: i64 = 500;

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Issues a token for the ticket, in the caller's transaction; answers the
/// token itself, which is never stored.
pub fn issue(
    conn: &mut DbConnection,
    ticket: TicketId,
    now: NaiveDateTime,
) -> Result<String, DbError> {
    let mut bytes = [0_u8; TOKEN_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    diesel::insert_into(tracking_tokens::table)
        .values((
            tracking_tokens::ticket_id.eq(ticket),
            tracking_tokens::token_hash.eq(hash(&token)),
            tracking_tokens::created_at.eq(now),
            tracking_tokens::expires_at.eq(Some(now + Duration::days(LIFETIME_DAYS))),
        ))
        .execute(conn)?;
    Ok(token)
}

/// The tracking page's address for a token.
pub fn link(base_url: &url::Url, token: &str) -> String {
    format!("{}/track/{token}", base_url.as_str().trim_end_matches('/'))
}

/// The ticket a token opens: none for a malformed, unknown or expired one
/// (all answered alike).
pub fn ticket_of(
    conn: &mut DbConnection,
    token: &str,
    now: NaiveDateTime,
) -> Result<Option<TicketId>, DbError> {
    let well_formed = token.len() == TOKEN_BYTES * 2
        && token
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !well_formed {
        return Ok(None);
    }
    Ok(tracking_tokens::table
        .filter(tracking_tokens::token_hash.eq(hash(token)))
        .filter(tracking_tokens::expires_at.gt(now))
        .select(tracking_tokens::ticket_id)
        .first(conn)
        .optional()?)
}

/// One entry of the public conversation.
#[derive(Debug, Clone)]
pub struct PublicEntry {
    /// The customer's own message (else a reply from support).
    pub mine: bool,
    pub at: NaiveDateTime,
    pub body: Option<String>,
    /// Names of the files that came with it.
    pub files: Vec<String>,
}

/// What the tracking page shows.
#[derive(Debug, Clone)]
pub struct Tracking {
    pub ticket: Ticket,
    pub diagnosis: Diagnosis,
    pub conversation: Vec<PublicEntry>,
}

/// The tracking page of a ticket, in the customer's words.
pub fn view(
    conn: &mut DbConnection,
    id: TicketId,
    calendar: &BusinessCalendar,
    lang: Lang,
    now: NaiveDateTime,
) -> Result<Option<Tracking>, DbError> {
    let Some(ticket) = Ticket::find(conn, id)? else {
        return Ok(None);
    };
    let Some(facts) = Facts::load(conn, &ticket, now)? else {
        return Ok(None);
    };
    // The newest entries, shown oldest first.
    let mut events: Vec<TicketEvent> = ticket_events::table
        .filter(ticket_events::ticket_id.eq(id))
        .filter(
            ticket_events::kind
                .eq_any([TicketEventKind::UserMessage, TicketEventKind::PublicReply]),
        )
        .order(ticket_events::id.desc())
        .limit(CONVERSATION_ROWS)
        .select(TicketEvent::as_select())
        .load(conn)?;
    events.reverse();
    let shown: Vec<TicketEventId> = events.iter().map(|e| e.id).collect();
    let files: Vec<(Option<TicketEventId>, String)> = attachments::table
        .filter(attachments::ticket_id.eq(id))
        .filter(attachments::event_id.eq_any(&shown))
        .order(attachments::id)
        .limit(CONVERSATION_ROWS * 5)
        .select((attachments::event_id, attachments::original_name))
        .load(conn)?;
    let conversation = events
        .into_iter()
        .map(|event| PublicEntry {
            mine: event.kind == TicketEventKind::UserMessage,
            at: event.created_at,
            files: files
                .iter()
                .filter(|(on, _)| *on == Some(event.id))
                .map(|(_, name)| name.clone())
                .collect(),
            body: event.body,
        })
        .collect();
    Ok(Some(Tracking {
        diagnosis: diagnosis::diagnose(&ticket, &facts, calendar, lang, now),
        ticket,
        conversation,
    }))
}
