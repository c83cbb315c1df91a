//! `redress bench queue`: how long the queue page's database work takes on
//! the database at hand (a generated world, say a million tickets), over a
//! mix of views, sorts, filters, searches and later pages.

use super::queue::{self, AssigneeFilter, Filters, QueueQuery, Sort, View};
use super::sla;
use crate::db::schema::{agents, customers, tickets, transactions};
use crate::db::{DbConnection, DbError};
use crate::domain::*;
use diesel::prelude::*;
use rand::Rng;
use rand::seq::IndexedRandom;
use std::time::{Duration, Instant};
use strum::IntoEnumIterator;

#[derive(Debug, Clone)]
pub struct QueueBenchReport {
    pub requests: usize,
    pub tickets: i64,
    pub latencies: Latencies,
    /// The slowest requests, described, slowest first.
    pub slowest: Vec<(Duration, String)>,
}

/// How long timed requests took: median, tail and slowest.
#[derive(Debug, Clone, Copy, Default)]
pub struct Latencies {
    pub p50: Duration,
    pub p95: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Latencies {
    pub fn of(mut times: Vec<Duration>) -> Latencies {
        times.sort_unstable();
        let at = |fraction: f64| {
            let index =
                ((times.len() as f64 * fraction).ceil() as usize).clamp(1, times.len().max(1)) - 1;
            times.get(index).copied().unwrap_or_default()
        };
        Latencies {
            p50: at(0.50),
            p95: at(0.95),
            p99: at(0.99),
            max: times.last().copied().unwrap_or_default(),
        }
    }
}

impl std::fmt::Display for Latencies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        write!(
            f,
            "p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            ms(self.p50),
            ms(self.p95),
            ms(self.p99),
            ms(self.max)
        )
    }
}

/// A random queue request as agents make them.
fn random_query(
    rng: &mut impl Rng,
    viewer: AgentId,
    agents: &[AgentId],
    searches: &[String],
    now: chrono::NaiveDateTime,
) -> QueueQuery {
    let views: Vec<View> = View::iter().collect();
    let sorts: Vec<Sort> = Sort::iter().collect();
    let view = *views.choose(rng).unwrap_or(&View::Mine);
    let mut filters = Filters::default();
    match rng.random_range(0..8) {
        0 => {
            filters.category = TicketCategory::iter()
                .collect::<Vec<_>>()
                .choose(rng)
                .copied()
        }
        1 => {
            filters.priority = TicketPriority::iter()
                .collect::<Vec<_>>()
                .choose(rng)
                .copied()
        }
        2 => filters.currency = Currency::iter().collect::<Vec<_>>().choose(rng).copied(),
        3 => filters.assignee = agents.choose(rng).map(|id| AssigneeFilter::Agent(*id)),
        _ => {}
    }
    let search = (rng.random_range(0..6) == 0)
        .then(|| searches.choose(rng).cloned())
        .flatten();
    QueueQuery {
        viewer,
        view,
        filters,
        search,
        sort: if rng.random_bool(0.5) {
            view.default_sort()
        } else {
            *sorts.choose(rng).unwrap_or(&Sort::Updated)
        },
        after: None,
        now,
    }
}

/// Searches to try: ticket references, customer e-mails, transaction
/// references and words, taken from the data.
fn sample_searches(conn: &mut DbConnection, rng: &mut impl Rng) -> Result<Vec<String>, DbError> {
    let max_ticket: Option<TicketId> = tickets::table
        .select(diesel::dsl::max(tickets::id))
        .first(conn)?;
    let max_ticket = max_ticket.map_or(1, |id| id.0.max(1));
    let mut searches: Vec<String> = (0..20)
        .map(|_| TicketId(rng.random_range(1..=max_ticket)).reference())
        .collect();
    searches.extend(
        customers::table
            .select(customers::email)
            .order(customers::id)
            .limit(20)
            .load::<String>(conn)?,
    );
    searches.extend(
        transactions::table
            .select(transactions::reference)
            .order(transactions::id.desc())
            .limit(20)
            .load::<String>(conn)?,
    );
    searches.extend(
        [
            "refund",
            "withdrawal",
            "frozen",
            "退款",
            "提现 延迟",
            "nothing-matches-this",
        ]
        .map(str::to_owned),
    );
    Ok(searches)
}

/// Runs `requests` queue requests (each a page plus the sidebar counts, as
/// the page does), one in four on a later page.
pub fn run(conn: &mut DbConnection, requests: usize) -> Result<QueueBenchReport, DbError> {
    let mut rng = rand::rng();
    let agents: Vec<AgentId> = agents::table.select(agents::id).load(conn)?;
    let tickets: i64 = tickets::table.count().get_result(conn)?;
    let searches = sample_searches(conn, &mut rng)?;
    let calendar = sla::load(conn)
        .map_err(|e| DbError::Migration(e.to_string()))?
        .calendar;
    let now = sla::now();
    let mut times = Vec::with_capacity(requests);
    let mut described = Vec::with_capacity(requests);
    for _ in 0..requests {
        let viewer = *agents.choose(&mut rng).unwrap_or(&AgentId(1));
        let mut query = random_query(&mut rng, viewer, &agents, &searches, now);
        // Walk to a later page first, as an agent paging would.
        if rng.random_range(0..4) == 0 {
            let page = queue::page(conn, &query)?;
            query.after = page.next;
        }
        let started = Instant::now();
        let page = queue::page(conn, &query)?;
        queue::view_counts(conn, viewer, now)?;
        let tickets: Vec<_> = page.rows.iter().map(|row| row.ticket.clone()).collect();
        crate::playbooks::progress_many(conn, &tickets, &calendar, now)?;
        let elapsed = started.elapsed();
        described.push((elapsed, describe(&query)));
        times.push(elapsed);
    }
    described.sort_by_key(|entry| std::cmp::Reverse(entry.0));
    described.truncate(10);
    Ok(QueueBenchReport {
        requests,
        tickets,
        latencies: Latencies::of(times),
        slowest: described,
    })
}

fn describe(query: &QueueQuery) -> String {
    let f = &query.filters;
    let mut parts = vec![
        format!("view={}", query.view.as_str()),
        format!("sort={}", query.sort.as_str()),
    ];
    if let Some(s) = f.status {
        parts.push(format!("status={s}"));
    }
    if let Some(c) = f.category {
        parts.push(format!("category={c}"));
    }
    if let Some(p) = f.priority {
        parts.push(format!("priority={p}"));
    }
    if let Some(a) = f.assignee {
        parts.push(format!("assignee={a:?}"));
    }
    if let Some(c) = f.currency {
        parts.push(format!("currency={}", c.code()));
    }
    if let Some(q) = &query.search {
        parts.push(format!("q={q}"));
    }
    if query.after.is_some() {
        parts.push("later page".into());
    }
    parts.join(" ")
}

/// `redress bench ticket`: the database work of the ticket page, the
/// playbook's evaluation included, over random tickets.
#[derive(Debug, Clone)]
pub struct TicketPageBenchReport {
    pub requests: usize,
    pub tickets: i64,
    pub latencies: Latencies,
}

pub fn ticket_page(
    conn: &mut DbConnection,
    requests: usize,
) -> Result<TicketPageBenchReport, DbError> {
    let mut rng = rand::rng();
    let max_ticket: i64 = tickets::table
        .select(diesel::dsl::max(tickets::id))
        .first::<Option<TicketId>>(conn)?
        .map_or(0, |id| id.0);
    let settings = sla::load(conn).map_err(|e| DbError::Migration(e.to_string()))?;
    let now = sla::now();
    let mut times = Vec::with_capacity(requests);
    for _ in 0..requests {
        let id = TicketId(rng.random_range(1..=max_ticket.max(1)));
        let started = Instant::now();
        if let Some(page) = super::view::ticket_page(conn, id)? {
            crate::playbooks::view(
                conn,
                &page.ticket,
                &settings.calendar,
                now,
                crate::i18n::Lang::En,
            )?;
        }
        times.push(started.elapsed());
    }
    Ok(TicketPageBenchReport {
        requests,
        tickets: max_ticket,
        latencies: Latencies::of(times),
    })
}
