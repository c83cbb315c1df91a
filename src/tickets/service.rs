//! What agents do to tickets: open them, reply, write notes, change their
//! fields, link transactions. Each change is one transaction with its
//! timeline event and audit row; a ticket changed by someone else since the
//! agent loaded it is refused (its `version` moved on).

use super::sla::{CalendarError, SlaSettings};
use super::{agent_may_move, terms};
use crate::audit::{self, AuditEntry};
use crate::db::models::{Customer, Ticket, Transaction};
use crate::db::schema::{agents, ticket_events, tickets};
use crate::db::{DbConnection, DbError, write_transaction};
use crate::domain::text::{self, TextError};
use crate::domain::*;
use crate::evidence::{self, RefusedFile, StoredFile};
use crate::i18n::Message;
use crate::mail::{letters, outbox};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

/// Longest subject accepted.
pub const MAX_SUBJECT_CHARS: usize = 200;
/// Longest reply or note accepted.
pub const MAX_BODY_CHARS: usize = 20_000;

#[derive(Debug, thiserror::Error)]
pub enum TicketError {
    #[error("ticket {0} does not exist")]
    UnknownTicket(String),
    #[error("customer {0} does not exist")]
    UnknownCustomer(CustomerId),
    #[error("transaction {0} does not exist")]
    UnknownTransaction(String),
    #[error("transaction {reference} is not {customer}'s")]
    NotTheCustomers { reference: String, customer: String },
    #[error("agent {0} does not exist or is deactivated")]
    UnknownAgent(AgentId),
    #[error("the subject {0}")]
    Subject(TextError),
    #[error("the message {0}")]
    Body(TextError),
    #[error("ticket {0} is closed: it cannot be changed any more")]
    Closed(String),
    #[error("the note {0}")]
    Note(TextError),
    /// The ledger or the remedy's own checks refused it; nothing moved.
    #[error("{0}")]
    Refused(Message),
    #[error("a ticket cannot go from {from} to {to}")]
    Transition {
        from: TicketStatus,
        to: TicketStatus,
    },
    #[error("only supervisors can assign tickets to someone else")]
    AssignOthers,
    #[error("nothing to change")]
    NothingChanged,
    #[error(
        "this ticket was changed by someone else meanwhile (it is now {0}); nothing was saved, look again and retry"
    )]
    ChangedMeanwhile(TicketStatus),
    #[error("the SLA calendar cannot place a due time: {0}")]
    Calendar(#[from] CalendarError),
    #[error("the e-mail could not be written: {0}")]
    Mail(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::write_failure!(TicketError);

impl TicketError {
    /// What went wrong, in the reader's words.
    pub fn message(&self) -> Message {
        let field = |key: &'static str, problem: &TextError| {
            Message::new(key).with_message("problem", problem.message())
        };
        match self {
            TicketError::UnknownTicket(reference) => {
                Message::new("error-unknown-ticket").with("reference", reference.clone())
            }
            TicketError::UnknownCustomer(id) => {
                Message::new("error-unknown-customer").with("customer", id.to_string())
            }
            TicketError::UnknownTransaction(reference) => {
                Message::new("error-unknown-transaction").with("reference", reference.clone())
            }
            TicketError::NotTheCustomers {
                reference,
                customer,
            } => Message::new("error-not-the-customers")
                .with("reference", reference.clone())
                .with("customer", customer.clone()),
            TicketError::UnknownAgent(id) => {
                Message::new("error-unknown-agent").with("agent", id.to_string())
            }
            TicketError::Subject(problem) => field("error-subject", problem),
            TicketError::Body(problem) => field("error-body", problem),
            TicketError::Note(problem) => field("error-note", problem),
            TicketError::Closed(reference) => {
                Message::new("error-closed").with("reference", reference.clone())
            }
            TicketError::Refused(message) => message.clone(),
            TicketError::Transition { from, to } => Message::new("error-transition")
                .with_code("from", *from)
                .with_code("to", *to),
            TicketError::AssignOthers => Message::new("error-assign-others"),
            TicketError::NothingChanged => Message::new("error-nothing-changed"),
            TicketError::ChangedMeanwhile(status) => {
                Message::new("error-changed-meanwhile").with_code("status", *status)
            }
            TicketError::Calendar(error) => {
                Message::new("error-calendar").with("detail", error.to_string())
            }
            TicketError::Mail(detail) => Message::new("error-mail").with("detail", detail.clone()),
            TicketError::Db(_) => Message::new("error-internal"),
        }
    }
}

/// A refusal in the desk's words, from the catalogs, worded in the
/// language of whoever reads it.
pub fn refusal(key: &'static str, values: &[(&'static str, String)]) -> TicketError {
    let message = values
        .iter()
        .fold(Message::new(key), |message, (name, value)| {
            message.with(name, value.clone())
        });
    TicketError::Refused(message)
}

/// The refusal of a step the ticket's playbook does not have (or that an
/// agent does not mark).
pub fn no_step(key: &str) -> TicketError {
    refusal(
        "refusal-no-step",
        &[("step", key.chars().take(40).collect())],
    )
}

impl From<diesel::result::Error> for TicketError {
    fn from(error: diesel::result::Error) -> Self {
        TicketError::Db(DbError::Query(error))
    }
}

/// The agent acting, as services need them.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: AgentId,
    pub name: String,
    pub role: Role,
}

/// A ticket an agent opens for a customer.
#[derive(Debug, Clone)]
pub struct NewTicket {
    pub customer: CustomerId,
    pub transaction: Option<String>,
    pub category: TicketCategory,
    pub priority: TicketPriority,
    pub subject: String,
    /// What the customer reported, kept as an internal note.
    pub description: String,
}

fn now() -> NaiveDateTime {
    super::sla::now()
}

/// A subject: one line, its runs of blanks made one space.
fn check_subject(subject: &str) -> Result<String, TicketError> {
    let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    text::single_line(&subject, MAX_SUBJECT_CHARS).map_err(TicketError::Subject)
}

fn check_body(body: &str) -> Result<String, TicketError> {
    text::multi_line(body, MAX_BODY_CHARS).map_err(TicketError::Body)
}

/// The transaction `reference` names, which must be the customer's (as
/// payer or as the other side).
fn customers_transaction(
    conn: &mut DbConnection,
    customer: &Customer,
    reference: &str,
) -> Result<Transaction, TicketError> {
    let reference = text::reference(reference).map_err(|_| {
        TicketError::UnknownTransaction(reference.trim().chars().take(64).collect())
    })?;
    let row = Transaction::by_reference(conn, &reference)?
        .ok_or_else(|| TicketError::UnknownTransaction(reference.clone()))?;
    if row.customer_id != customer.id && row.counterparty_customer_id != Some(customer.id) {
        return Err(TicketError::NotTheCustomers {
            reference: row.reference,
            customer: customer.email.clone(),
        });
    }
    Ok(row)
}

/// Sets the SLA fields a ticket's status, priority and history imply.
pub fn apply_sla(ticket: &mut Ticket, sla: &SlaSettings) -> Result<(), TicketError> {
    let due = sla.due_times(
        ticket.priority,
        ticket.created_at,
        ticket.sla_paused_minutes,
    )?;
    ticket.first_response_due_at = Some(due.first_response);
    ticket.resolution_due_at = Some(due.resolution);
    let responded = ticket.first_responded_at.is_some();
    ticket.sla_due_at = match ticket.status {
        TicketStatus::Solved | TicketStatus::Closed => None,
        _ if !responded => Some(due.first_response),
        // Waiting on the user stops the resolution clock.
        TicketStatus::Pending => None,
        _ => Some(due.resolution),
    };
    Ok(())
}

/// Moves a ticket to `to`, pausing or resuming its resolution clock.
fn apply_status(
    ticket: &mut Ticket,
    to: TicketStatus,
    sla: &SlaSettings,
    at: NaiveDateTime,
) -> Result<(), TicketError> {
    let from = ticket.status;
    if !agent_may_move(from, to) {
        return Err(TicketError::Transition { from, to });
    }
    if from == TicketStatus::Pending
        && let Some(paused) = ticket.sla_paused_at.take()
    {
        ticket.sla_paused_minutes += sla.calendar.business_minutes_between(paused, at);
    }
    if to == TicketStatus::Pending {
        ticket.sla_paused_at = Some(at);
    }
    ticket.solved_at = (to == TicketStatus::Solved).then_some(at);
    ticket.status = to;
    Ok(())
}

/// An agent's event on the ticket's timeline.
fn event(
    conn: &mut DbConnection,
    ticket: TicketId,
    kind: TicketEventKind,
    agent: AgentId,
    body: Option<&str>,
    data: Option<serde_json::Value>,
    at: NaiveDateTime,
) -> Result<TicketEventId, TicketError> {
    timeline_event(
        conn,
        ticket,
        kind,
        (crate::domain::Actor::Agent, Some(agent)),
        body,
        data,
        at,
    )
}

/// An event on the ticket's timeline, by whoever made it.
pub fn timeline_event(
    conn: &mut DbConnection,
    ticket: TicketId,
    kind: TicketEventKind,
    (actor, agent): (crate::domain::Actor, Option<AgentId>),
    body: Option<&str>,
    data: Option<serde_json::Value>,
    at: NaiveDateTime,
) -> Result<TicketEventId, TicketError> {
    Ok(diesel::insert_into(ticket_events::table)
        .values((
            ticket_events::ticket_id.eq(ticket),
            ticket_events::kind.eq(kind),
            ticket_events::actor.eq(actor),
            ticket_events::agent_id.eq(agent),
            ticket_events::body.eq(body),
            ticket_events::data.eq(data.map(|d| d.to_string())),
            ticket_events::created_at.eq(at),
        ))
        .returning(ticket_events::id)
        .get_result(conn)?)
}

fn audit_ticket(
    conn: &mut DbConnection,
    actor: &Actor,
    ticket: TicketId,
    action: &str,
    before: Option<serde_json::Value>,
    after: serde_json::Value,
) -> Result<(), TicketError> {
    audit::record(
        conn,
        AuditEntry {
            actor: AuditActor::Agent,
            agent: Some(actor.id),
            action: action.to_owned(),
            entity_type: "ticket".to_owned(),
            entity_id: ticket.reference(),
            ticket: Some(ticket),
            before,
            after: Some(after),
        },
    )?;
    Ok(())
}

/// The ticket's customer.
/// Tells the customer their ticket is solved, in their language, in the
/// transaction that solves it.
fn queue_solved_mail(conn: &mut DbConnection, ticket: &Ticket) -> Result<(), TicketError> {
    let customer = the_customer(conn, ticket)?;
    let mail = letters::ticket_solved(&customer, ticket.id, &ticket.subject)
        .map_err(|e| TicketError::Mail(e.to_string()))?;
    outbox::enqueue(conn, mail)?;
    Ok(())
}

fn the_customer(conn: &mut DbConnection, ticket: &Ticket) -> Result<Customer, TicketError> {
    Customer::find(conn, ticket.customer_id)?
        .ok_or(TicketError::UnknownCustomer(ticket.customer_id))
}

/// Reads a ticket for a change, insisting it is still at `version` and
/// not closed: every change of a ticket starts here.
fn ticket_at(conn: &mut DbConnection, id: TicketId, version: i64) -> Result<Ticket, TicketError> {
    let ticket = find(conn, id)?;
    if ticket.status == TicketStatus::Closed {
        return Err(TicketError::Closed(id.reference()));
    }
    if ticket.version != version {
        return Err(TicketError::ChangedMeanwhile(ticket.status));
    }
    Ok(ticket)
}

/// Reads a ticket holding its row until commit, so changes that depend on
/// the whole ticket (its playbook's marks, its remedies) run one after the
/// other. SQLite's write transactions already exclude every other writer;
/// PostgreSQL takes the row lock with an update that changes nothing.
pub fn find_for_update(conn: &mut DbConnection, id: TicketId) -> Result<Ticket, TicketError> {
    if conn.backend() == crate::db::Backend::Postgres {
        diesel::update(tickets::table.filter(tickets::id.eq(id)))
            .set(tickets::updated_at.eq(tickets::updated_at))
            .execute(conn)?;
    }
    find(conn, id)
}

pub fn find(conn: &mut DbConnection, id: TicketId) -> Result<Ticket, TicketError> {
    Ticket::find(conn, id)?.ok_or_else(|| TicketError::UnknownTicket(id.reference()))
}

/// Writes a changed ticket back if nobody changed it meanwhile.
fn save(conn: &mut DbConnection, ticket: &Ticket, read_version: i64) -> Result<(), TicketError> {
    let changed = diesel::update(
        tickets::table
            .filter(tickets::id.eq(ticket.id))
            .filter(tickets::version.eq(read_version)),
    )
    .set((
        tickets::transaction_id.eq(ticket.transaction_id),
        tickets::category.eq(ticket.category),
        tickets::priority.eq(ticket.priority),
        tickets::status.eq(ticket.status),
        tickets::assignee_id.eq(ticket.assignee_id),
        tickets::amount_minor.eq(ticket.amount_minor),
        tickets::currency.eq(ticket.currency),
        tickets::version.eq(read_version + 1),
        tickets::first_response_due_at.eq(ticket.first_response_due_at),
        tickets::resolution_due_at.eq(ticket.resolution_due_at),
        tickets::first_responded_at.eq(ticket.first_responded_at),
        tickets::sla_paused_at.eq(ticket.sla_paused_at),
        tickets::sla_paused_minutes.eq(ticket.sla_paused_minutes),
        tickets::sla_due_at.eq(ticket.sla_due_at),
        tickets::solved_at.eq(ticket.solved_at),
        tickets::updated_at.eq(ticket.updated_at),
    ))
    .execute(conn)?;
    if changed == 1 {
        Ok(())
    } else {
        // Another change came first: say where it left the ticket.
        let now = find(conn, ticket.id)?;
        Err(TicketError::ChangedMeanwhile(now.status))
    }
}

/// Opens a ticket for a customer, assigned to the agent who opens it.
pub fn open(
    conn: &mut DbConnection,
    sla: &SlaSettings,
    actor: &Actor,
    request: NewTicket,
) -> Result<Ticket, TicketError> {
    let subject = check_subject(&request.subject)?;
    let description = request.description.trim().to_owned();
    write_transaction(conn, |conn| {
        let customer = Customer::find(conn, request.customer)?
            .ok_or(TicketError::UnknownCustomer(request.customer))?;
        let transaction = match request.transaction.as_deref().map(str::trim) {
            Some(reference) if !reference.is_empty() => {
                Some(customers_transaction(conn, &customer, reference)?)
            }
            _ => None,
        };
        let at = now();
        let ticket = insert(
            conn,
            sla,
            Opening {
                customer: customer.id,
                transaction: transaction.as_ref().map(|tx| tx.id),
                category: request.category,
                priority: request.priority,
                status: TicketStatus::Open,
                assignee: Some(actor.id),
                channel: Channel::Agent,
                subject: subject.clone(),
                amount: transaction.as_ref().map(Transaction::amount),
                at,
            },
        )?;
        let id = ticket.id;
        if !description.is_empty() {
            event(
                conn,
                id,
                TicketEventKind::InternalNote,
                actor.id,
                Some(&check_body(&description)?),
                None,
                at,
            )?;
        }
        event(
            conn,
            id,
            TicketEventKind::Assignment,
            actor.id,
            None,
            Some(json!({ "from": null, "to": actor.name })),
            at,
        )?;
        audit_ticket(
            conn,
            actor,
            id,
            "ticket.open",
            None,
            json!({
                "customer": customer.email,
                "transaction": transaction.as_ref().map(|tx| tx.reference.clone()),
                "category": ticket.category,
                "priority": ticket.priority,
                "subject": subject,
                "assignee": actor.name,
            }),
        )?;
        Ok(ticket)
    })
}

/// A ticket about to be stored.
struct Opening {
    customer: CustomerId,
    transaction: Option<TransactionId>,
    category: TicketCategory,
    priority: TicketPriority,
    status: TicketStatus,
    assignee: Option<AgentId>,
    channel: Channel,
    subject: String,
    amount: Option<Money>,
    at: NaiveDateTime,
}

/// Stores a new ticket with its SLA clocks and indexes its subject.
fn insert(conn: &mut DbConnection, sla: &SlaSettings, new: Opening) -> Result<Ticket, TicketError> {
    let mut ticket = Ticket {
        id: TicketId(0),
        customer_id: new.customer,
        transaction_id: new.transaction,
        category: new.category,
        priority: new.priority,
        status: new.status,
        assignee_id: new.assignee,
        channel: new.channel,
        subject: new.subject,
        amount_minor: new.amount.map(Money::minor),
        currency: new.amount.map(Money::currency),
        version: 1,
        first_response_due_at: None,
        resolution_due_at: None,
        first_responded_at: None,
        sla_paused_at: None,
        solved_at: None,
        closed_at: None,
        created_at: new.at,
        updated_at: new.at,
        sla_due_at: None,
        sla_paused_minutes: 0,
    };
    apply_sla(&mut ticket, sla)?;
    ticket.id = diesel::insert_into(tickets::table)
        .values((
            tickets::customer_id.eq(ticket.customer_id),
            tickets::transaction_id.eq(ticket.transaction_id),
            tickets::category.eq(ticket.category),
            tickets::priority.eq(ticket.priority),
            tickets::status.eq(ticket.status),
            tickets::assignee_id.eq(ticket.assignee_id),
            tickets::channel.eq(ticket.channel),
            tickets::subject.eq(&ticket.subject),
            tickets::amount_minor.eq(ticket.amount_minor),
            tickets::currency.eq(ticket.currency),
            tickets::version.eq(1_i64),
            tickets::first_response_due_at.eq(ticket.first_response_due_at),
            tickets::resolution_due_at.eq(ticket.resolution_due_at),
            tickets::sla_due_at.eq(ticket.sla_due_at),
            tickets::created_at.eq(ticket.created_at),
            tickets::updated_at.eq(ticket.updated_at),
        ))
        .returning(tickets::id)
        .get_result(conn)?;
    terms::index(conn, ticket.id, &ticket.subject)?;
    Ok(ticket)
}

/// What a customer sends to a ticket: its text (quoted history already
/// trimmed), the files that passed the checks, and those that did not.
#[derive(Debug, Clone, Copy)]
pub struct CustomerMessage<'a> {
    pub body: &'a str,
    pub files: &'a [StoredFile],
    pub refused: &'a [RefusedFile],
    /// How it came: by e-mail, by the web form or the tracking page.
    pub via: Channel,
    /// What the form said besides the text (when it happened, the amount).
    pub details: Option<&'a serde_json::Value>,
}

/// The customer's message on the timeline, with its files, and the audit
/// row; answers the event.
fn customer_message_event(
    conn: &mut DbConnection,
    ticket: TicketId,
    message: CustomerMessage<'_>,
    action: &str,
    at: NaiveDateTime,
) -> Result<TicketEventId, TicketError> {
    let body = message.body.trim();
    let body = match body.is_empty() {
        true => None,
        false => Some(check_body(
            &body.chars().take(MAX_BODY_CHARS).collect::<String>(),
        )?),
    };
    let data = json!({
        "via": message.via,
        "refused": message.refused,
        "details": message.details,
    });
    let event_id = timeline_event(
        conn,
        ticket,
        TicketEventKind::UserMessage,
        (crate::domain::Actor::Customer, None),
        body.as_deref(),
        Some(data),
        at,
    )?;
    evidence::attach(
        conn,
        ticket,
        event_id,
        crate::domain::Actor::Customer,
        message.files,
        at,
    )?;
    audit::record(
        conn,
        AuditEntry {
            actor: AuditActor::Customer,
            agent: None,
            action: action.to_owned(),
            entity_type: "ticket".to_owned(),
            entity_id: ticket.reference(),
            ticket: Some(ticket),
            before: None,
            after: Some(json!({
                "event": event_id,
                "via": message.via,
                "files": message.files.iter().map(|f| &f.sha256).collect::<Vec<_>>(),
                "refused": message.refused.len(),
            })),
        },
    )?;
    Ok(event_id)
}

/// Adds a customer's message to their ticket. A solved ticket opens again
/// and one waiting on the customer goes back to the agents; a closed one
/// is refused (the caller opens a new ticket).
pub fn add_customer_message(
    conn: &mut DbConnection,
    sla: &SlaSettings,
    id: TicketId,
    message: CustomerMessage<'_>,
) -> Result<(Ticket, TicketEventId), TicketError> {
    write_transaction(conn, |conn| {
        let mut ticket = find_for_update(conn, id)?;
        if ticket.status == TicketStatus::Closed {
            return Err(TicketError::Closed(id.reference()));
        }
        let read_version = ticket.version;
        let at = now();
        let event_id = customer_message_event(conn, id, message, "ticket.customer_message", at)?;
        let from = ticket.status;
        if matches!(from, TicketStatus::Solved | TicketStatus::Pending) {
            apply_status(&mut ticket, TicketStatus::Open, sla, at)?;
            timeline_event(
                conn,
                id,
                TicketEventKind::StatusChange,
                (crate::domain::Actor::System, None),
                None,
                Some(json!({ "from": from, "to": TicketStatus::Open })),
                at,
            )?;
        }
        apply_sla(&mut ticket, sla)?;
        ticket.updated_at = at;
        save(conn, &ticket, read_version)?;
        ticket.version = read_version + 1;
        Ok((ticket, event_id))
    })
}

/// A ticket a customer opens themselves.
#[derive(Debug, Clone, Copy)]
pub struct CustomerTicket<'a> {
    pub category: TicketCategory,
    pub priority: TicketPriority,
    pub subject: &'a str,
    /// Already checked to be the customer's.
    pub transaction: Option<&'a Transaction>,
    /// What the customer says it is about, when no transaction says it.
    pub amount: Option<Money>,
}

/// A ticket a customer opens themselves (by the dispute form or by
/// e-mail), unassigned and new, with their message as its first event.
pub fn open_for_customer(
    conn: &mut DbConnection,
    sla: &SlaSettings,
    customer: &Customer,
    request: CustomerTicket<'_>,
    message: CustomerMessage<'_>,
) -> Result<(Ticket, TicketEventId), TicketError> {
    let subject = check_subject(request.subject)?;
    let amount = request
        .transaction
        .map(Transaction::amount)
        .or(request.amount);
    write_transaction(conn, |conn| {
        let at = now();
        let ticket = insert(
            conn,
            sla,
            Opening {
                customer: customer.id,
                transaction: request.transaction.map(|tx| tx.id),
                category: request.category,
                priority: request.priority,
                status: TicketStatus::New,
                assignee: None,
                channel: message.via,
                subject: subject.clone(),
                amount,
                at,
            },
        )?;
        let event_id = customer_message_event(conn, ticket.id, message, "ticket.open", at)?;
        Ok((ticket, event_id))
    })
}

/// A reply or internal note from the ticket page.
#[derive(Debug, Clone)]
pub struct Reply {
    pub body: String,
    /// A public reply is e-mailed to the user; a note never is.
    pub public: bool,
    /// The status to set in the same submit, if any.
    pub status: Option<TicketStatus>,
    /// The ticket's version the agent saw.
    pub version: i64,
}

/// Adds a public reply (queued as an e-mail to the user) or an internal
/// note, and sets the status asked for in the same submit.
pub fn reply(
    conn: &mut DbConnection,
    sla: &SlaSettings,
    actor: &Actor,
    id: TicketId,
    reply: Reply,
) -> Result<Ticket, TicketError> {
    let body = check_body(&reply.body)?;
    write_transaction(conn, |conn| {
        let mut ticket = ticket_at(conn, id, reply.version)?;
        let before = ticket.clone();
        let at = now();
        let kind = if reply.public {
            TicketEventKind::PublicReply
        } else {
            TicketEventKind::InternalNote
        };
        let event_id = event(conn, id, kind, actor.id, Some(&body), None, at)?;
        if reply.public {
            let customer = the_customer(conn, &ticket)?;
            let mail = letters::agent_reply(&customer, id, &ticket.subject, &actor.name, &body)
                .map_err(|e| TicketError::Mail(e.to_string()))?;
            outbox::enqueue(conn, mail)?;
            if ticket.first_responded_at.is_none() {
                ticket.first_responded_at = Some(at);
            }
        }
        // Answering a new ticket opens it, as agents expect.
        let status = reply
            .status
            .or((reply.public && ticket.status == TicketStatus::New).then_some(TicketStatus::Open));
        if let Some(to) = status.filter(|to| *to != ticket.status) {
            apply_status(&mut ticket, to, sla, at)?;
            // A public reply already tells the customer; a note does not.
            if to == TicketStatus::Solved && !reply.public {
                queue_solved_mail(conn, &ticket)?;
            }
            event(
                conn,
                id,
                TicketEventKind::StatusChange,
                actor.id,
                None,
                Some(json!({ "from": before.status, "to": to })),
                at,
            )?;
        }
        apply_sla(&mut ticket, sla)?;
        ticket.updated_at = at;
        save(conn, &ticket, reply.version)?;
        audit_ticket(
            conn,
            actor,
            id,
            if reply.public {
                "ticket.reply"
            } else {
                "ticket.note"
            },
            Some(json!({ "status": before.status })),
            json!({ "event": event_id, "status": ticket.status, "chars": body.chars().count() }),
        )?;
        ticket.version = reply.version + 1;
        Ok(ticket)
    })
}

/// Longest note on a playbook step.
pub const MAX_STEP_NOTE_CHARS: usize = 2_000;

/// How an agent marks a manual playbook step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum StepMark {
    Passed,
    Failed,
    Skipped,
}

/// Marks a manual step of the ticket's playbook, with a note (a skip needs
/// one): kept per ticket and step, written to the timeline and the audit
/// log. "Identity verified" marked passed also sets the customer's flag.
pub fn mark_step(
    conn: &mut DbConnection,
    actor: &Actor,
    id: TicketId,
    key: &str,
    mark: StepMark,
    note: &str,
) -> Result<(), TicketError> {
    use crate::db::schema::{customers, playbook_step_states as steps};
    let note = match note.trim() {
        "" => None,
        text => Some(text::multi_line(text, MAX_STEP_NOTE_CHARS).map_err(TicketError::Note)?),
    };
    if mark == StepMark::Skipped && note.is_none() {
        return Err(refusal("refusal-skip-needs-note", &[]));
    }
    write_transaction(conn, |conn| {
        let ticket = find_for_update(conn, id)?;
        if ticket.status == TicketStatus::Closed {
            return Err(TicketError::Closed(id.reference()));
        }
        let step = crate::playbooks::for_category(ticket.category)
            .and_then(|playbook| {
                playbook
                    .steps
                    .iter()
                    .find(|step| step.key == key && step.kind == crate::playbooks::StepKind::Manual)
            })
            .ok_or_else(|| no_step(key))?;
        let state: &'static str = mark.into();
        let at = now();
        let before: Option<(String, Option<String>)> = steps::table
            .filter(steps::ticket_id.eq(id))
            .filter(steps::step_key.eq(step.key))
            .select((steps::state, steps::note))
            .first(conn)
            .optional()?;
        let values = (
            steps::state.eq(state),
            steps::note.eq(&note),
            steps::agent_id.eq(Some(actor.id)),
            steps::updated_at.eq(at),
        );
        // One row per ticket and step: a first mark racing another loses to
        // the unique index and runs again through the write path.
        let updated = diesel::update(
            steps::table
                .filter(steps::ticket_id.eq(id))
                .filter(steps::step_key.eq(step.key)),
        )
        .set(values)
        .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(steps::table)
                .values((
                    steps::ticket_id.eq(id),
                    steps::step_key.eq(step.key),
                    values,
                ))
                .execute(conn)?;
        }
        event(
            conn,
            id,
            TicketEventKind::PlaybookStep,
            actor.id,
            note.as_deref(),
            Some(json!({ "step": step.key, "state": state })),
            at,
        )?;
        if step.key == crate::playbooks::IDENTITY_VERIFIED && mark == StepMark::Passed {
            diesel::update(
                customers::table
                    .filter(customers::id.eq(ticket.customer_id))
                    .filter(customers::identity_verified.eq(false)),
            )
            .set((
                customers::identity_verified.eq(true),
                customers::updated_at.eq(at),
            ))
            .execute(conn)?;
        }
        audit_ticket(
            conn,
            actor,
            id,
            "playbook.step",
            before.map(|(state, note)| json!({ "step": step.key, "state": state, "note": note })),
            json!({ "step": step.key, "state": state, "note": note }),
        )
    })
}

/// Field changes from the ticket page; None leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub status: Option<TicketStatus>,
    pub priority: Option<TicketPriority>,
    pub category: Option<TicketCategory>,
    /// Some(None) unassigns.
    pub assignee: Option<Option<AgentId>>,
    pub version: i64,
}

fn agent_name(conn: &mut DbConnection, id: Option<AgentId>) -> Result<Option<String>, TicketError> {
    match id {
        None => Ok(None),
        Some(id) => Ok(Some(
            agents::table
                .find(id)
                .filter(agents::active.eq(true))
                .select(agents::name)
                .first(conn)
                .optional()?
                .ok_or(TicketError::UnknownAgent(id))?,
        )),
    }
}

/// What one submit changes: a timeline event per field as it changes, and
/// the values before and after for its audit row.
struct ChangeLog {
    ticket: TicketId,
    agent: AgentId,
    at: NaiveDateTime,
    before: serde_json::Map<String, serde_json::Value>,
    after: serde_json::Map<String, serde_json::Value>,
}

impl ChangeLog {
    fn new(ticket: TicketId, agent: AgentId, at: NaiveDateTime) -> ChangeLog {
        ChangeLog {
            ticket,
            agent,
            at,
            before: serde_json::Map::new(),
            after: serde_json::Map::new(),
        }
    }

    fn note(
        &mut self,
        conn: &mut DbConnection,
        field: &str,
        from: serde_json::Value,
        to: serde_json::Value,
    ) -> Result<(), TicketError> {
        let (kind, data) = match field {
            "status" => (
                TicketEventKind::StatusChange,
                json!({ "from": from, "to": to }),
            ),
            "assignee" => (
                TicketEventKind::Assignment,
                json!({ "from": from, "to": to }),
            ),
            _ => (
                TicketEventKind::FieldChange,
                json!({ "field": field, "from": from, "to": to }),
            ),
        };
        event(
            conn,
            self.ticket,
            kind,
            self.agent,
            None,
            Some(data),
            self.at,
        )?;
        self.before.insert(field.to_owned(), from);
        self.after.insert(field.to_owned(), to);
        Ok(())
    }
}

/// Changes a ticket's status, priority, category or assignee. Agents may
/// take a ticket or give it up; assigning someone else is for supervisors.
pub fn change(
    conn: &mut DbConnection,
    sla: &SlaSettings,
    actor: &Actor,
    id: TicketId,
    changes: Changes,
) -> Result<Ticket, TicketError> {
    write_transaction(conn, |conn| {
        let mut ticket = ticket_at(conn, id, changes.version)?;
        let at = now();
        let mut log = ChangeLog::new(id, actor.id, at);
        if let Some(to) = changes.status.filter(|to| *to != ticket.status) {
            let from = ticket.status;
            apply_status(&mut ticket, to, sla, at)?;
            log.note(conn, "status", json!(from), json!(to))?;
            if to == TicketStatus::Solved {
                queue_solved_mail(conn, &ticket)?;
            }
        }
        if let Some(to) = changes.priority.filter(|to| *to != ticket.priority) {
            log.note(conn, "priority", json!(ticket.priority), json!(to))?;
            ticket.priority = to;
        }
        if let Some(to) = changes.category.filter(|to| *to != ticket.category) {
            log.note(conn, "category", json!(ticket.category), json!(to))?;
            ticket.category = to;
        }
        if let Some(to) = changes.assignee.filter(|to| *to != ticket.assignee_id) {
            let from = ticket.assignee_id;
            // Taking a ticket, or giving up one's own, is every agent's;
            // moving it between other people is a supervisor's.
            let own_move = to == Some(actor.id) || (to.is_none() && from == Some(actor.id));
            if !own_move && actor.role < Role::Supervisor {
                return Err(TicketError::AssignOthers);
            }
            let from_name = agent_name(conn, from)
                .or_else(|_| Ok::<_, TicketError>(from.map(|id| id.to_string())))?;
            let to_name = agent_name(conn, to)?;
            ticket.assignee_id = to;
            log.note(conn, "assignee", json!(from_name), json!(to_name))?;
        }
        if log.after.is_empty() {
            return Err(TicketError::NothingChanged);
        }
        apply_sla(&mut ticket, sla)?;
        ticket.updated_at = at;
        save(conn, &ticket, changes.version)?;
        audit_ticket(
            conn,
            actor,
            id,
            "ticket.update",
            Some(log.before.into()),
            log.after.into(),
        )?;
        ticket.version = changes.version + 1;
        Ok(ticket)
    })
}

/// Links the ticket to one of its customer's transactions, or unlinks it
/// (`reference` None).
pub fn link_transaction(
    conn: &mut DbConnection,
    actor: &Actor,
    id: TicketId,
    reference: Option<&str>,
    version: i64,
) -> Result<Ticket, TicketError> {
    write_transaction(conn, |conn| {
        let mut ticket = ticket_at(conn, id, version)?;
        let before = match ticket.transaction_id {
            Some(tx) => Transaction::find(conn, tx)?.map(|tx| tx.reference),
            None => None,
        };
        let linked = match reference.map(str::trim).filter(|r| !r.is_empty()) {
            Some(reference) => {
                let customer = the_customer(conn, &ticket)?;
                Some(customers_transaction(conn, &customer, reference)?)
            }
            None => None,
        };
        let after = linked.as_ref().map(|tx| tx.reference.clone());
        if before == after {
            return Err(TicketError::NothingChanged);
        }
        ticket.transaction_id = linked.as_ref().map(|tx| tx.id);
        ticket.amount_minor = linked.as_ref().map(|tx| tx.amount_minor);
        ticket.currency = linked.as_ref().map(|tx| tx.currency);
        let at = now();
        ticket.updated_at = at;
        event(
            conn,
            id,
            TicketEventKind::FieldChange,
            actor.id,
            None,
            Some(json!({ "field": "transaction", "from": before, "to": after })),
            at,
        )?;
        save(conn, &ticket, version)?;
        audit_ticket(
            conn,
            actor,
            id,
            if after.is_some() {
                "ticket.link"
            } else {
                "ticket.unlink"
            },
            Some(json!({ "transaction": before })),
            json!({ "transaction": after }),
        )?;
        ticket.version = version + 1;
        Ok(ticket)
    })
}
