//! The agents' queue: views, filters, search, sorting and keyset pages that
//! stay fast at a million tickets. Each status is read on its own through
//! an index that already holds the sort order (status first, then the sort
//! key), a page's worth at most, and the per-status runs are merged here;
//! so no query sorts or counts the whole table.

use super::UNSOLVED;
use super::terms;
use crate::db::models::Ticket;
use crate::db::schema::{agents, customers, tickets, transactions};
use crate::db::{DbConnection, DbError};
use crate::domain::*;
use chrono::{DateTime, NaiveDateTime};
use diesel::prelude::*;
use std::collections::HashMap;
use std::str::FromStr;

/// Rows on a page.
pub const PAGE_SIZE: usize = 50;
/// Sidebar counts stop here and show "1000+".
pub const COUNT_CAP: usize = 1000;
/// Most tickets a search considers.
pub const SEARCH_CAP: i64 = 2_000;
/// Matches few enough to read by id and order in memory.
const SMALL_SET: i64 = 2_000;

/// The queue's named views.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::EnumIter, strum::EnumString, strum::IntoStaticStr,
)]
#[strum(serialize_all = "snake_case")]
pub enum View {
    Mine,
    Unassigned,
    AllOpen,
    Pending,
    OnHold,
    Breaching,
    /// Tickets with a remedy waiting for a second person's approval.
    AwaitingApproval,
    Solved,
}

impl View {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    fn statuses(self) -> &'static [TicketStatus] {
        match self {
            View::Mine
            | View::Unassigned
            | View::AllOpen
            | View::Breaching
            | View::AwaitingApproval => &UNSOLVED,
            View::Pending => &[TicketStatus::Pending],
            View::OnHold => &[TicketStatus::OnHold],
            View::Solved => &[TicketStatus::Solved, TicketStatus::Closed],
        }
    }

    /// The sort a view opens with.
    pub fn default_sort(self) -> Sort {
        match self {
            View::Solved => Sort::Updated,
            _ => Sort::SlaDue,
        }
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::EnumIter, strum::EnumString, strum::IntoStaticStr,
)]
#[strum(serialize_all = "snake_case")]
pub enum Sort {
    /// Soonest SLA target first; tickets with no clock running last.
    SlaDue,
    /// Urgent first, then most recently updated.
    Priority,
    /// Most recently updated first.
    Updated,
}

impl Sort {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl crate::domain::Coded for View {
    const KIND: &'static str = "View";

    fn code(&self) -> &'static str {
        self.as_str()
    }
}

impl crate::domain::Coded for Sort {
    const KIND: &'static str = "Sort";

    fn code(&self) -> &'static str {
        self.as_str()
    }
}

/// Who a ticket is assigned to, as a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeFilter {
    Nobody,
    Agent(AgentId),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    pub status: Option<TicketStatus>,
    pub category: Option<TicketCategory>,
    pub priority: Option<TicketPriority>,
    pub assignee: Option<AssigneeFilter>,
    pub currency: Option<Currency>,
}

/// Where a page starts: just after this ticket in the sort order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    /// After a ticket with an SLA clock running, due at `at`.
    Due {
        at: NaiveDateTime,
        id: TicketId,
    },
    /// Among tickets with no clock, after `id`.
    NoDue {
        id: TicketId,
    },
    Updated {
        at: NaiveDateTime,
        id: TicketId,
    },
    Priority {
        priority: TicketPriority,
        at: NaiveDateTime,
        id: TicketId,
    },
}

fn micros(at: NaiveDateTime) -> i64 {
    at.and_utc().timestamp_micros()
}

fn from_micros(value: &str) -> Option<NaiveDateTime> {
    DateTime::from_timestamp_micros(value.parse().ok()?).map(|at| at.naive_utc())
}

impl Cursor {
    /// The cursor as it travels in a link.
    pub fn encode(self) -> String {
        match self {
            Cursor::Due { at, id } => format!("d.{}.{}", micros(at), id.0),
            Cursor::NoDue { id } => format!("n.{}", id.0),
            Cursor::Updated { at, id } => format!("u.{}.{}", micros(at), id.0),
            Cursor::Priority { priority, at, id } => {
                format!("p.{}.{}.{}", priority.as_str(), micros(at), id.0)
            }
        }
    }

    pub fn decode(text: &str) -> Option<Cursor> {
        let parts: Vec<&str> = text.split('.').collect();
        let id = |text: &str| text.parse().ok().map(TicketId);
        match parts.as_slice() {
            ["d", at, tid] => Some(Cursor::Due {
                at: from_micros(at)?,
                id: id(tid)?,
            }),
            ["n", tid] => Some(Cursor::NoDue { id: id(tid)? }),
            ["u", at, tid] => Some(Cursor::Updated {
                at: from_micros(at)?,
                id: id(tid)?,
            }),
            ["p", priority, at, tid] => Some(Cursor::Priority {
                priority: TicketPriority::from_str(priority).ok()?,
                at: from_micros(at)?,
                id: id(tid)?,
            }),
            _ => None,
        }
    }

    fn of(ticket: &Ticket, sort: Sort) -> Cursor {
        match sort {
            Sort::SlaDue => match ticket.sla_due_at {
                Some(at) => Cursor::Due { at, id: ticket.id },
                None => Cursor::NoDue { id: ticket.id },
            },
            Sort::Updated => Cursor::Updated {
                at: ticket.updated_at,
                id: ticket.id,
            },
            Sort::Priority => Cursor::Priority {
                priority: ticket.priority,
                at: ticket.updated_at,
                id: ticket.id,
            },
        }
    }
}

/// What the queue page asks for.
#[derive(Debug, Clone)]
pub struct QueueQuery {
    pub viewer: AgentId,
    pub view: View,
    pub filters: Filters,
    pub search: Option<String>,
    pub sort: Sort,
    pub after: Option<Cursor>,
    pub now: NaiveDateTime,
}

/// One row of the queue, with the names it shows.
#[derive(Debug, Clone)]
pub struct QueueRow {
    pub ticket: Ticket,
    pub customer_name: String,
    pub customer_email: String,
    pub assignee_name: Option<String>,
}

#[derive(Debug, Clone)]
pub struct QueuePage {
    pub rows: Vec<QueueRow>,
    pub next: Option<Cursor>,
    /// The search matched more tickets than it considers.
    pub search_truncated: bool,
}

/// The tickets a search names: by reference or bare number, customer
/// e-mail or name, transaction reference (its `TX` optional), or words of
/// the subject. None: no search.
fn search_candidates(
    conn: &mut DbConnection,
    text: &str,
) -> Result<(Vec<TicketId>, bool), DbError> {
    let text = text.trim();
    if let Some(id) = TicketId::parse_reference(text) {
        return Ok((vec![id], false));
    }
    let mut found: Vec<TicketId> = Vec::new();
    // A bare number is a ticket's number without its prefix.
    if let Some(id) = TicketId::parse_number(text) {
        found.extend(
            tickets::table
                .find(id)
                .select(tickets::id)
                .first::<TicketId>(conn)
                .optional()?,
        );
    }
    let mut customer_ids: Vec<CustomerId> = customers::table
        .filter(customers::email.eq(text.to_lowercase()))
        .select(customers::id)
        .load(conn)?;
    customer_ids.extend(
        customers::table
            .filter(customers::name.eq(text))
            .select(customers::id)
            .limit(100)
            .load::<CustomerId>(conn)?,
    );
    for customer in customer_ids {
        found.extend(
            tickets::table
                .filter(tickets::customer_id.eq(customer))
                .select(tickets::id)
                .limit(SEARCH_CAP)
                .load::<TicketId>(conn)?,
        );
    }
    let transaction: Option<TransactionId> = transactions::table
        .filter(transactions::reference.eq_any([
            text.to_owned(),
            text.to_uppercase(),
            format!("TX{}", text.to_uppercase()),
        ]))
        .select(transactions::id)
        .first(conn)
        .optional()?;
    if let Some(transaction) = transaction {
        found.extend(
            tickets::table
                .filter(tickets::transaction_id.eq(transaction))
                .select(tickets::id)
                .limit(SEARCH_CAP)
                .load::<TicketId>(conn)?,
        );
    }
    if let Some(by_words) = terms::matching(conn, text, SEARCH_CAP)? {
        found.extend(by_words);
    }
    found.sort_unstable_by(|a, b| b.cmp(a));
    found.dedup();
    let truncated = found.len() >= SEARCH_CAP as usize;
    found.truncate(SEARCH_CAP as usize);
    Ok((found, truncated))
}

type Boxed = tickets::BoxedQuery<'static, crate::db::MultiBackend>;

diesel::define_sql_function! {
    /// SQL's COALESCE of a nullable time and a time.
    fn coalesce(value: diesel::sql_types::Nullable<diesel::sql_types::Timestamp>, otherwise: diesel::sql_types::Timestamp) -> diesel::sql_types::Timestamp;
}

/// One status's tickets matching the view and filters, unordered.
fn base_query(query: &QueueQuery, status: TicketStatus, walk: bool) -> Boxed {
    // All columns, in the order `Ticket` reads them.
    let mut q = tickets::table
        .filter(tickets::status.eq(status))
        .into_boxed();
    // A search looks through every ticket; the filters still narrow it.
    let view = if query.search.is_some() {
        None
    } else {
        Some(query.view)
    };
    match view {
        Some(View::Mine) => q = q.filter(tickets::assignee_id.eq(query.viewer)),
        Some(View::Unassigned) => q = q.filter(tickets::assignee_id.is_null()),
        Some(View::Breaching) if walk => {
            // Written so no index serves it: walking the sort order, the
            // test is made on each index entry (the walk indexes carry
            // sla_due_at), rather than SQLite sorting every breach.
            q = q.filter(coalesce(tickets::sla_due_at, query.now).lt(query.now))
        }
        Some(View::Breaching) => q = q.filter(tickets::sla_due_at.lt(query.now)),
        _ => {}
    }
    let f = &query.filters;
    if let Some(category) = f.category {
        q = q.filter(tickets::category.eq(category));
    }
    if let Some(priority) = f.priority {
        q = q.filter(tickets::priority.eq(priority));
    }
    match f.assignee {
        Some(AssigneeFilter::Nobody) => q = q.filter(tickets::assignee_id.is_null()),
        Some(AssigneeFilter::Agent(agent)) => q = q.filter(tickets::assignee_id.eq(agent)),
        None => {}
    }
    if let Some(currency) = f.currency {
        q = q.filter(tickets::currency.eq(currency));
    }
    q
}

/// The statuses a query reads: the view's (all of them for a search),
/// narrowed by the status filter.
fn statuses(query: &QueueQuery) -> Vec<TicketStatus> {
    use strum::IntoEnumIterator;
    let base: Vec<TicketStatus> = if query.search.is_some() {
        TicketStatus::iter().collect()
    } else {
        query.view.statuses().to_vec()
    };
    base.into_iter()
        .filter(|status| query.filters.status.is_none_or(|wanted| wanted == *status))
        .collect()
}

/// Sort position of a ticket: smaller comes first.
fn order_key(ticket: &Ticket, sort: Sort) -> (i64, i64, i64) {
    match sort {
        Sort::SlaDue => match ticket.sla_due_at {
            Some(at) => (0, micros(at), ticket.id.0),
            None => (1, 0, ticket.id.0),
        },
        Sort::Updated => (0, -micros(ticket.updated_at), -ticket.id.0),
        Sort::Priority => (
            -(priority_rank(ticket.priority)),
            -micros(ticket.updated_at),
            -ticket.id.0,
        ),
    }
}

fn priority_rank(priority: TicketPriority) -> i64 {
    match priority {
        TicketPriority::Low => 0,
        TicketPriority::Normal => 1,
        TicketPriority::High => 2,
        TicketPriority::Urgent => 3,
    }
}

/// Whether the query narrows tickets beyond their status: a view other than
/// a plain status one, or a filter.
fn narrows(query: &QueueQuery) -> bool {
    let f = &query.filters;
    matches!(query.view, View::Mine | View::Unassigned | View::Breaching)
        || f.category.is_some()
        || f.priority.is_some()
        || f.assignee.is_some()
        || f.currency.is_some()
}

/// Whether a ticket passes the filters (for tickets read by id).
fn passes_filters(ticket: &Ticket, filters: &Filters) -> bool {
    filters.category.is_none_or(|c| c == ticket.category)
        && filters.priority.is_none_or(|p| p == ticket.priority)
        && filters.currency.is_none_or(|c| Some(c) == ticket.currency)
        && match filters.assignee {
            None => true,
            Some(AssigneeFilter::Nobody) => ticket.assignee_id.is_none(),
            Some(AssigneeFilter::Agent(agent)) => ticket.assignee_id == Some(agent),
        }
}

/// The sort position of a cursor, comparable with `order_key`.
fn cursor_key(cursor: Cursor) -> (i64, i64, i64) {
    match cursor {
        Cursor::Due { at, id } => (0, micros(at), id.0),
        Cursor::NoDue { id } => (1, 0, id.0),
        Cursor::Updated { at, id } => (0, -micros(at), -id.0),
        Cursor::Priority { priority, at, id } => (-priority_rank(priority), -micros(at), -id.0),
    }
}

/// Up to `limit` tickets of one status, in sort order, after the cursor.
///
/// A narrowing query first takes the matching ids through whichever index
/// its equality filters pick, at most `SMALL_SET` of them: when that is all
/// of them, those rows are read by id and ordered here, so a filter that
/// matches few tickets never walks a long index. Otherwise matches are
/// plentiful and the walk along the sort order finds a page quickly.
fn run_for_status(
    conn: &mut DbConnection,
    query: &QueueQuery,
    status: TicketStatus,
    limit: i64,
) -> Result<Vec<Ticket>, DbError> {
    if narrows(query) {
        let ids: Vec<TicketId> = base_query(query, status, false)
            .select(tickets::id)
            .limit(SMALL_SET + 1)
            .load(conn)?;
        if ids.len() as i64 <= SMALL_SET {
            let mut rows: Vec<Ticket> = if ids.is_empty() {
                Vec::new()
            } else {
                tickets::table
                    .filter(tickets::id.eq_any(&ids))
                    .select(Ticket::as_select())
                    .load(conn)?
            };
            if let Some(after) = query.after {
                let after = cursor_key(after);
                rows.retain(|ticket| order_key(ticket, query.sort) > after);
            }
            rows.sort_by_key(|ticket| order_key(ticket, query.sort));
            rows.truncate(limit as usize);
            return Ok(rows);
        }
    }
    let mut rows = Vec::new();
    match query.sort {
        Sort::SlaDue => {
            // Tickets with a clock, soonest first; then those without.
            if !matches!(query.after, Some(Cursor::NoDue { .. })) {
                let mut q = base_query(query, status, true)
                    .filter(tickets::sla_due_at.is_not_null())
                    .order((tickets::sla_due_at.asc(), tickets::id.asc()))
                    .limit(limit);
                if let Some(Cursor::Due { at, id }) = query.after {
                    // The first test is the index range; the second
                    // breaks ties on the cursor's own time.
                    q = q
                        .filter(tickets::sla_due_at.ge(at))
                        .filter(tickets::sla_due_at.gt(at).or(tickets::id.gt(id)));
                }
                rows = q.load(conn)?;
            }
            let left = limit - rows.len() as i64;
            let breaching = query.view == View::Breaching && query.search.is_none();
            if left > 0 && !breaching {
                let mut q = base_query(query, status, true)
                    .filter(tickets::sla_due_at.is_null())
                    .order(tickets::id.asc())
                    .limit(left);
                if let Some(Cursor::NoDue { id }) = query.after {
                    q = q.filter(tickets::id.gt(id));
                }
                rows.extend(q.load(conn)?);
            }
        }
        Sort::Updated => {
            let mut q = base_query(query, status, true)
                .order((tickets::updated_at.desc(), tickets::id.desc()))
                .limit(limit);
            if let Some(Cursor::Updated { at, id }) = query.after {
                q = q
                    .filter(tickets::updated_at.le(at))
                    .filter(tickets::updated_at.lt(at).or(tickets::id.lt(id)));
            }
            rows = q.load(conn)?;
        }
        Sort::Priority => {
            // Each priority in turn, most urgent first; inside one, most
            // recently updated first.
            let mut levels = vec![
                TicketPriority::Urgent,
                TicketPriority::High,
                TicketPriority::Normal,
                TicketPriority::Low,
            ];
            levels.retain(|p| query.filters.priority.is_none_or(|wanted| wanted == *p));
            for level in levels {
                let left = limit - rows.len() as i64;
                if left <= 0 {
                    break;
                }
                let mut q = base_query(query, status, true)
                    .filter(tickets::priority.eq(level))
                    .order((tickets::updated_at.desc(), tickets::id.desc()))
                    .limit(left);
                if let Some(Cursor::Priority { priority, at, id }) = query.after {
                    if priority_rank(level) > priority_rank(priority) {
                        continue;
                    }
                    if level == priority {
                        q = q
                            .filter(tickets::updated_at.le(at))
                            .filter(tickets::updated_at.lt(at).or(tickets::id.lt(id)));
                    }
                }
                rows.extend(q.load(conn)?);
            }
        }
    }
    Ok(rows)
}

/// Tickets with a remedy waiting for approval, newest proposals first (at
/// most `SEARCH_CAP`), read through the remedies' status index.
pub fn awaiting_approval(conn: &mut DbConnection) -> Result<Vec<TicketId>, DbError> {
    use crate::db::schema::remedies;
    let mut ids: Vec<TicketId> = remedies::table
        .filter(remedies::status.eq("proposed"))
        .filter(remedies::requires_approval.eq(true))
        .order(remedies::proposed_at.desc())
        .select(remedies::ticket_id)
        .limit(SEARCH_CAP)
        .load::<Option<TicketId>>(conn)?
        .into_iter()
        .flatten()
        .collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// One page of the queue.
pub fn page(conn: &mut DbConnection, query: &QueueQuery) -> Result<QueuePage, DbError> {
    let (mut candidates, search_truncated) = match query.search.as_deref() {
        Some(text) => {
            let (ids, truncated) = search_candidates(conn, text)?;
            (Some(ids), truncated)
        }
        None => (None, false),
    };
    // Awaiting approval: the few tickets with such a remedy, read by id.
    if query.view == View::AwaitingApproval {
        let awaiting = awaiting_approval(conn)?;
        candidates = Some(match candidates {
            Some(found) => found
                .into_iter()
                .filter(|id| awaiting.contains(id))
                .collect(),
            None => awaiting,
        });
    }
    if candidates.as_ref().is_some_and(Vec::is_empty) {
        return Ok(QueuePage {
            rows: Vec::new(),
            next: None,
            search_truncated,
        });
    }
    let limit = PAGE_SIZE as i64 + 1;
    let mut merged: Vec<Ticket> = Vec::new();
    match &candidates {
        // A search's few candidates are read by id and narrowed here.
        Some(ids) => {
            let wanted = statuses(query);
            merged = tickets::table
                .filter(tickets::id.eq_any(ids))
                .select(Ticket::as_select())
                .load(conn)?;
            merged.retain(|ticket| {
                wanted.contains(&ticket.status) && passes_filters(ticket, &query.filters)
            });
            if let Some(after) = query.after {
                let after = cursor_key(after);
                merged.retain(|ticket| order_key(ticket, query.sort) > after);
            }
        }
        None => {
            for status in statuses(query) {
                merged.extend(run_for_status(conn, query, status, limit)?);
            }
        }
    }
    merged.sort_by_key(|ticket| order_key(ticket, query.sort));
    let next = (merged.len() > PAGE_SIZE).then(|| Cursor::of(&merged[PAGE_SIZE - 1], query.sort));
    merged.truncate(PAGE_SIZE);
    Ok(QueuePage {
        rows: with_names(conn, merged)?,
        next,
        search_truncated,
    })
}

/// Adds customer and assignee names to tickets (two look-ups per page).
pub fn with_names(conn: &mut DbConnection, tickets: Vec<Ticket>) -> Result<Vec<QueueRow>, DbError> {
    let customer_ids: Vec<CustomerId> = tickets.iter().map(|t| t.customer_id).collect();
    let agent_ids: Vec<AgentId> = tickets.iter().filter_map(|t| t.assignee_id).collect();
    let customers: HashMap<CustomerId, (String, String)> = customers::table
        .filter(customers::id.eq_any(&customer_ids))
        .select((customers::id, customers::name, customers::email))
        .load::<(CustomerId, String, String)>(conn)?
        .into_iter()
        .map(|(id, name, email)| (id, (name, email)))
        .collect();
    let agents: HashMap<AgentId, String> = agents::table
        .filter(agents::id.eq_any(&agent_ids))
        .select((agents::id, agents::name))
        .load::<(AgentId, String)>(conn)?
        .into_iter()
        .collect();
    Ok(tickets
        .into_iter()
        .map(|ticket| {
            let (customer_name, customer_email) = customers
                .get(&ticket.customer_id)
                .cloned()
                .unwrap_or_default();
            let assignee_name = ticket.assignee_id.and_then(|id| agents.get(&id).cloned());
            QueueRow {
                ticket,
                customer_name,
                customer_email,
                assignee_name,
            }
        })
        .collect())
}

/// How many tickets each view holds for `viewer`, counted to `COUNT_CAP`.
pub fn view_counts(
    conn: &mut DbConnection,
    viewer: AgentId,
    now: NaiveDateTime,
) -> Result<Vec<(View, usize)>, DbError> {
    use strum::IntoEnumIterator;
    let mut counts = Vec::new();
    for view in View::iter() {
        if view == View::AwaitingApproval {
            counts.push((view, awaiting_approval(conn)?.len().min(COUNT_CAP + 1)));
            continue;
        }
        let query = QueueQuery {
            viewer,
            view,
            filters: Filters::default(),
            search: None,
            sort: view.default_sort(),
            after: None,
            now,
        };
        let mut total = 0;
        for status in view.statuses() {
            let left = COUNT_CAP + 1 - total;
            if left == 0 {
                break;
            }
            let ids: Vec<TicketId> = base_query(&query, *status, false)
                .select(tickets::id)
                .limit(left as i64)
                .load(conn)?;
            total += ids.len();
        }
        counts.push((view, total));
    }
    Ok(counts)
}
