use crate::db::schema::{ticket_events, tickets};
use crate::domain::{
    Actor, AgentId, Channel, Currency, CustomerId, TicketCategory, TicketEventId, TicketEventKind,
    TicketId, TicketPriority, TicketStatus, TransactionId,
};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = tickets, treat_none_as_default_value = false)]
pub struct Ticket {
    pub id: TicketId,
    pub customer_id: CustomerId,
    pub transaction_id: Option<TransactionId>,
    pub category: TicketCategory,
    pub priority: TicketPriority,
    pub status: TicketStatus,
    pub assignee_id: Option<AgentId>,
    pub channel: Channel,
    pub subject: String,
    pub amount_minor: Option<i64>,
    pub currency: Option<Currency>,
    pub version: i64,
    pub first_response_due_at: Option<NaiveDateTime>,
    pub resolution_due_at: Option<NaiveDateTime>,
    pub first_responded_at: Option<NaiveDateTime>,
    pub sla_paused_at: Option<NaiveDateTime>,
    pub solved_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The next SLA target still running; None while no clock runs.
    pub sla_due_at: Option<NaiveDateTime>,
    /// Business minutes spent pending, which move the resolution target on.
    pub sla_paused_minutes: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = ticket_events, treat_none_as_default_value = false)]
pub struct TicketEvent {
    pub id: TicketEventId,
    pub ticket_id: TicketId,
    pub kind: TicketEventKind,
    pub actor: Actor,
    pub agent_id: Option<AgentId>,
    pub body: Option<String>,
    pub data: Option<String>,
    pub created_at: NaiveDateTime,
}

impl Ticket {
    pub fn find(conn: &mut crate::db::DbConnection, id: TicketId) -> QueryResult<Option<Self>> {
        tickets::table
            .find(id)
            .select(Ticket::as_select())
            .first(conn)
            .optional()
    }
}
