//! The audit log: who did what, when, with the values before and after.
//! Rows form a hash chain (each stores the SHA-256 of the previous row's
//! hash and its own content), so an edited, removed or re-linked row is
//! detected by `verify_chain`.

use crate::db::schema::{audit_chain_head, audit_log};
use crate::db::{Backend, DbConnection, DbError, write_transaction};
use crate::domain::{AgentId, AuditActor, TicketId};
use chrono::{NaiveDateTime, SubsecRound, Utc};
use diesel::prelude::*;
use sha2::{Digest, Sha256};
use std::fmt;

/// One thing that happened, as the caller describes it.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub actor: AuditActor,
    pub agent: Option<AgentId>,
    /// What was done, e.g. `agent.add`, `remedy.execute`.
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub ticket: Option<TicketId>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_log, treat_none_as_default_value = false)]
pub struct AuditRow {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor_kind: AuditActor,
    pub actor_agent_id: Option<AgentId>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub ticket_id: Option<TicketId>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRow {
    /// The SHA-256 of the previous hash and this row's content, hex.
    fn compute_hash(&self) -> String {
        let optional = |value: &Option<String>| value.clone().unwrap_or_default();
        let content = [
            self.id.to_string(),
            self.at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
            self.actor_kind.as_str().to_owned(),
            self.actor_agent_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            self.action.clone(),
            self.entity_type.clone(),
            self.entity_id.clone(),
            self.ticket_id.map(|id| id.to_string()).unwrap_or_default(),
            optional(&self.before_json),
            optional(&self.after_json),
        ]
        // The unit separator cannot be confused with any field's text.
        .join("\u{1f}");
        let mut hasher = Sha256::new();
        hasher.update(self.prev_hash.as_bytes());
        hasher.update(content.as_bytes());
        hex::encode(hasher.finalize())
    }
}

/// Appends an entry; runs inside the caller's transaction when there is one,
/// so the audit row commits or rolls back with the change it describes.
pub fn record(conn: &mut DbConnection, entry: AuditEntry) -> Result<i64, DbError> {
    write_transaction(conn, |conn| {
        use audit_chain_head::dsl as head;
        // PostgreSQL writers serialise on the head's row lock, taken first
        // and held until commit; SQLite's write transactions already run one
        // at a time.
        if conn.backend() == Backend::Postgres {
            diesel::update(head::audit_chain_head.filter(head::id.eq(1)))
                .set(head::last_seq.eq(head::last_seq))
                .execute(conn)?;
        }
        let (last_seq, prev_hash): (i64, String) = head::audit_chain_head
            .filter(head::id.eq(1))
            .select((head::last_seq, head::last_hash))
            .first(conn)?;
        let seq = last_seq + 1;
        let mut row = AuditRow {
            id: seq,
            // Both databases keep microseconds; the hash must see what is stored.
            at: Utc::now().naive_utc().trunc_subsecs(6),
            actor_kind: entry.actor,
            actor_agent_id: entry.agent,
            action: entry.action,
            entity_type: entry.entity_type,
            entity_id: entry.entity_id,
            ticket_id: entry.ticket,
            before_json: entry.before.map(|value| value.to_string()),
            after_json: entry.after.map(|value| value.to_string()),
            prev_hash,
            hash: String::new(),
        };
        row.hash = row.compute_hash();
        diesel::insert_into(audit_log::table)
            .values(&row)
            .execute(conn)?;
        diesel::update(head::audit_chain_head.filter(head::id.eq(1)))
            .set((head::last_seq.eq(seq), head::last_hash.eq(&row.hash)))
            .execute(conn)?;
        Ok(seq)
    })
}

/// What the audit log page filters by.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub agent: Option<AgentId>,
    pub action: Option<String>,
    pub ticket: Option<TicketId>,
    pub from: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
}

/// Up to `limit` rows matching `filter`, newest first, older than `before`.
pub fn search(
    conn: &mut DbConnection,
    filter: &AuditFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditRow>, DbError> {
    let mut query = audit_log::table
        .select(AuditRow::as_select())
        .order(audit_log::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(agent) = filter.agent {
        query = query.filter(audit_log::actor_agent_id.eq(agent));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_log::action.eq(action.clone()));
    }
    if let Some(ticket) = filter.ticket {
        query = query.filter(audit_log::ticket_id.eq(ticket));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_log::at.ge(from));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit_log::at.lt(until));
    }
    if let Some(before) = before {
        query = query.filter(audit_log::id.lt(before));
    }
    Ok(query.load(conn)?)
}

/// Where the chain first breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainBreak {
    /// Row `seq` is gone: the next row present has a later number.
    Missing { seq: i64 },
    /// Row `seq` does not hash to what it stores: its content was changed.
    Edited { seq: i64 },
    /// Row `seq` does not point at the row before it.
    Relinked { seq: i64 },
    /// The newest rows are gone: the chain's head says `expected`.
    TailMissing { last_present: i64, expected: i64 },
}

impl fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainBreak::Missing { seq } => write!(f, "row {seq} is missing"),
            ChainBreak::Edited { seq } => write!(f, "row {seq} was edited"),
            ChainBreak::Relinked { seq } => {
                write!(f, "row {seq} does not follow the row before it")
            }
            ChainBreak::TailMissing {
                last_present,
                expected,
            } => {
                write!(f, "rows {} to {expected} are missing", last_present + 1)
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub rows: i64,
    pub first_break: Option<ChainBreak>,
}

const VERIFY_PAGE: i64 = 5_000;

/// Walks the whole chain in order and reports the first break.
pub fn verify_chain(conn: &mut DbConnection) -> Result<ChainReport, DbError> {
    let (head_seq, head_hash): (i64, String) = audit_chain_head::table
        .filter(audit_chain_head::id.eq(1))
        .select((audit_chain_head::last_seq, audit_chain_head::last_hash))
        .first(conn)?;
    let mut expected_seq = 1;
    let mut prev_hash = GENESIS_HASH.to_owned();
    let mut rows = 0;
    loop {
        let page: Vec<AuditRow> = audit_log::table
            .filter(audit_log::id.ge(expected_seq))
            .order(audit_log::id)
            .limit(VERIFY_PAGE)
            .select(AuditRow::as_select())
            .load(conn)?;
        let Some(last) = page.last().map(|row| row.id) else {
            break;
        };
        for row in page {
            let first_break = if row.id != expected_seq {
                Some(ChainBreak::Missing { seq: expected_seq })
            } else if row.prev_hash != prev_hash {
                Some(ChainBreak::Relinked { seq: row.id })
            } else if row.compute_hash() != row.hash {
                Some(ChainBreak::Edited { seq: row.id })
            } else {
                None
            };
            if first_break.is_some() {
                return Ok(ChainReport { rows, first_break });
            }
            rows += 1;
            expected_seq += 1;
            prev_hash = row.hash;
        }
        expected_seq = last + 1;
    }
    let last_present = expected_seq - 1;
    let first_break = if last_present != head_seq || (head_seq > 0 && prev_hash != head_hash) {
        Some(ChainBreak::TailMissing {
            last_present,
            expected: head_seq,
        })
    } else {
        None
    };
    Ok(ChainReport { rows, first_break })
}

/// The `prev_hash` of the first row, as the migration seeds the head.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";
